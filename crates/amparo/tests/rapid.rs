//! The rapid-response network in real browsers (issue 6): a member reports, a responder verifies,
//! and a subscriber's page in another browser shows the alert live, then its update and its
//! withdrawal; a duplicate merged into the incident alerts nobody again, a rejected report tells its
//! reporter why; an unverified report alerts nobody and, once its time is up (set short through the
//! server's config, `AMPARO_LIMITS__REPORT_EXPIRY_SECS`), leaves the queue and shows as expired.
//! The vehicle registry, typed and spoken. Every new screen is screenshot and audited in English
//! and Spanish. tests/e2e/rapid.mjs drives the pages; this file sets up, checks what the server
//! holds afterwards, and runs inside a network namespace with only `lo` (no packet leaves).

mod common;

use common::{Amparo, PASSWORD, admin, assert_no_audit_problems};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::path::Path;

/// Pilsen, Chicago: where the three phones say they are.
const PLACE: (f64, f64) = (41.85712, -87.6563);
/// How long an unverified report lives on this server: long enough for the responder to verify
/// the first report on a slow machine, short enough to watch the second expire.
const EXPIRY_SECS: &str = "60";
/// Every screen the scenario audits, in both languages.
const SCREENS: [&str; 7] = [
    "home-community",
    "watch",
    "report",
    "triage",
    "vehicles",
    "my-reports",
    "incidents",
];

#[tokio::test(flavor = "multi_thread")]
async fn a_verified_report_reaches_the_subscribers_page_live_and_an_unverified_one_nobody() {
    if !common::in_network_namespace("a_verified_report_reaches_the_subscribers_page_live_and_an_unverified_one_nobody")
    {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let amparo = Amparo::spawn_with(
        dir.path(),
        &[
            ("AMPARO_LIMITS__REPORT_EXPIRY_SECS", EXPIRY_SECS),
            ("AMPARO_LIMITS__REPORTS_PER_HOUR", "100"),
        ],
    );
    let result = scenario(&amparo, dir.path()).await;
    let details = &result["details"];
    println!(
        "verify click to the subscriber's page: {} ms; verified {} ms after it was reported, the question \
         answered after {} ms (of {EXPIRY_SECS} s); the expired report left the queue {} ms after its time",
        details["latencyMs"], details["verifiedAfterMs"], details["answeredAfterMs"], details["goneAfterMs"]
    );
    check_pages(&result);
    check_server(&amparo, &result).await;
    assert_no_audit_problems(details);
    for screen in SCREENS {
        for language in ["en", "es"] {
            let shot = format!("{screen}-{language}.png");
            assert!(
                details["shots"]
                    .as_array()
                    .expect("shots")
                    .iter()
                    .any(|s| s.as_str().is_some_and(|s| s.ends_with(&shot) && Path::new(s).exists())),
                "a screenshot of {shot}"
            );
        }
    }
}

/// Three accounts, the responder role granted as an operator would, then the browsers.
async fn scenario(amparo: &Amparo, data_dir: &Path) -> Value {
    let name = |role: &str| format!("{role}{}", rand::random::<u32>());
    let (member, responder, subscriber) = (name("member"), name("responder"), name("subscriber"));
    for username in [&member, &responder, &subscriber] {
        amparo.sign_up(username).await;
    }
    admin(data_dir, &["grant-role", &responder, "responder"]);
    let out = common::e2e_out("rapid");
    std::fs::create_dir_all(&out).expect("out dir");
    let setup = out.join("setup.json");
    let credentials = |username: &str| json!({"username": username, "password": PASSWORD});
    let setup_json = json!({
        "member": credentials(&member),
        "responder": credentials(&responder),
        "subscriber": credentials(&subscriber),
        "place": {"latitude": PLACE.0, "longitude": PLACE.1},
    });
    std::fs::write(&setup, setup_json.to_string()).expect("setup");
    common::run_e2e("rapid.mjs", &[amparo.base.as_ref(), out.as_ref(), setup.as_ref()])
}

/// What the pages showed.
fn check_pages(result: &Value) {
    let details = &result["details"];
    let text = |key: &str| details["texts"][key].as_str().expect("text").to_owned();
    let nav = &details["nav"];
    assert_eq!(nav["responderTriageTab"], 1, "responders have the triage tab: {nav}");
    assert_eq!(nav["memberTriageTab"], 0, "members do not: {nav}");
    assert_eq!(nav["memberReportLink"], 1, "home links to reporting: {nav}");
    assert!(
        details["checkedFirst"]
            .as_str()
            .is_some_and(|s| s.contains("before anyone is alerted")),
        "the report screen says reports are checked first: {details}"
    );
    assert!(
        details["refusal"].as_str().is_some_and(|s| s.contains("description")),
        "the server's refusal is shown as it wrote it: {}",
        details["refusal"]
    );
    assert!(
        details["watchCells"].as_u64() > Some(1),
        "the watch area is drawn cell by cell"
    );
    assert!(
        details["pickName"].as_str().is_some_and(|s| !s.is_empty()),
        "picked cells are named for screen readers"
    );
    assert_ne!(details["hereCell"], details["nextCell"]);

    // Nearest first: the raid (where the responder is) before the checkpoint, made earlier.
    let queue = details["queue"].as_array().expect("queue");
    let position = |id: &Value| queue.iter().position(|r| &r["id"] == id).expect("listed");
    assert!(
        position(&result["reportB"]) < position(&result["reportA"]),
        "nearest first: {queue:?}"
    );
    assert!(
        queue
            .iter()
            .all(|r| r["total"] == "0" && r["reporter"].as_str().is_some_and(|s| !s.is_empty())),
        "each report shows its reporter's record (a new reporter here): {queue:?}"
    );

    // Unverified: nothing. Verified: the page shows what, how, when; live, never reloaded.
    assert_eq!(details["beforeVerify"], 0, "two unverified reports alerted nobody");
    let shown = &details["shown"];
    assert!(
        shown["verified"].as_str().is_some_and(|s| s.contains("en persona")),
        "says how it was verified, in Spanish: {shown}"
    );
    assert_eq!(shown["what"], text("checkpoint").as_str(), "what was verified: {shown}");
    assert_eq!(shown["mapped"], 1, "on the map: {shown}");
    assert!(shown["announced"].as_str().is_some_and(|s| !s.is_empty()));
    let messages = details["messages"].as_array().expect("messages");
    let events: Vec<&str> = messages.iter().map(|m| m["event"].as_str().expect("event")).collect();
    assert_eq!(events, ["verified", "updated", "withdrawn"], "{messages:?}");
    assert!(
        messages
            .iter()
            .all(|m| m["id"] == result["incidentId"] && m["how"] == "in_person"),
        "only the verified incident ever reached the subscriber: {messages:?}"
    );
    assert!(
        !messages.iter().any(|m| m["description"] == text("raid").as_str()),
        "the unverified raid reached nobody"
    );
    assert_eq!(details["listed"], 1, "one incident on the subscriber's page");
    let no_reload = &details["noReload"];
    for page in ["subscriber", "member", "responder"] {
        assert_eq!(no_reload[page], true, "the {page}'s page changed without a reload");
    }
    assert!(
        details["withdrawnText"]
            .as_str()
            .is_some_and(|s| s.contains(&text("withdraw"))),
        "the withdrawal and why: {}",
        details["withdrawnText"]
    );

    assert!(
        details["rejectedShown"]
            .as_str()
            .is_some_and(|s| s.contains(&text("rejected"))),
        "the member reads why their report was rejected: {}",
        details["rejectedShown"]
    );
    let banner = &details["bannerFacts"];
    assert_eq!(banner["role"], "alert", "screen readers announce it: {banner}");
    assert!(
        banner["text"].as_str().is_some_and(|s| s.contains("Actualizado")),
        "an update on another screen shows as a banner: {banner}"
    );

    // A question to the reporter, answered on their page, read in the queue.
    let conversation = &details["conversation"];
    assert!(
        conversation["asked"]
            .as_str()
            .is_some_and(|s| s.contains(&text("question"))),
        "the member sees the responder's question: {conversation}"
    );
    assert!(
        conversation["answered"]
            .as_str()
            .is_some_and(|s| s.contains(&text("answer"))),
        "the responder sees the answer in the queue: {conversation}"
    );

    // The registry: typed with a wildcard and a confusable character; spoken in Spanish.
    assert_eq!(details["typed"][0], "7ABC123", "{}", details["typed"]);
    assert_eq!(details["spoken"]["results"][0], "7ABC123", "{}", details["spoken"]);
    assert!(
        details["spoken"]["heard"]
            .as_str()
            .is_some_and(|s| s.contains("7ABC123")),
        "the server's reading is shown: {}",
        details["spoken"]
    );
    assert_eq!(details["micWith"], 1, "a mic where the browser recognizes speech");
    assert!(
        details["cleared"]
            .as_str()
            .is_some_and(|s| s.contains(&text("cleared"))),
        "a responder cleared the vehicle with why, and a member sees it: {}",
        details["cleared"]
    );
    assert_eq!(details["memberStatusForm"], 0, "members cannot set a status");
    assert_eq!(details["micWithout"], 0, "none where it cannot");
}

/// What the server holds afterwards, asked with each person's own token.
async fn check_server(amparo: &Amparo, result: &Value) {
    let get = |path: &str, who: &str| {
        let token = result["tokens"][who].as_str().expect("token").to_owned();
        let request = amparo.request(Method::GET, path, &token);
        async move {
            let response = request.send().await.expect("get");
            assert_eq!(response.status(), StatusCode::OK);
            response.json::<Value>().await.expect("json")
        }
    };
    let mine = get("/api/v1/reports/mine", "member").await;
    let state_of = |id: &Value| {
        mine.as_array()
            .expect("reports")
            .iter()
            .find(|r| &r["id"] == id)
            .map(|r| (r["state"].clone(), r["incident"].clone()))
            .expect("the member's report")
    };
    assert_eq!(
        state_of(&result["reportA"]),
        (json!("verified"), result["incidentId"].clone())
    );
    assert_eq!(state_of(&result["reportB"]).0, "expired");
    assert_eq!(
        state_of(&result["reportC"]),
        (json!("merged"), result["incidentId"].clone()),
        "the duplicate joined the incident"
    );
    let rejected = mine
        .as_array()
        .expect("reports")
        .iter()
        .find(|r| r["id"] == result["reportD"])
        .expect("the rejected report");
    assert_eq!(rejected["state"], "rejected");
    assert_eq!(rejected["reason"], result["details"]["texts"]["rejected"]);
    let queue = get("/api/v1/reports", "responder").await;
    assert_eq!(queue, json!([]), "nothing left to triage");
    let incidents = get("/api/v1/incidents", "subscriber").await;
    let incidents = incidents.as_array().expect("incidents");
    assert_eq!(incidents.len(), 1, "{incidents:?}");
    assert_eq!(incidents[0]["id"], result["incidentId"]);
    assert!(incidents[0]["withdrawn_at"].is_string());
    assert!(incidents[0].get("verified_by").is_none(), "never who verified");
}
