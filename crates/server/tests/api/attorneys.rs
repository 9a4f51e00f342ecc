//! The attorney line over HTTP and the live WebSocket, against a real server: an organization
//! vets its attorneys, they go on duty, a member's start rings them, the first to accept gets the
//! call, signaling crosses between the two sides only, notes reach the bundle; offers that time
//! out or whose attorney goes away move on; nobody eligible queues until someone comes on duty.

use crate::harness::{LiveSocket, TestServer, eventually, problem, test_services};
use crate::push::{PushPeer, browser_subscription, subscribe};
use amparo_core::ids::{EncounterId, OrgId};
use amparo_core::roles::Role;
use amparo_server::attorney::LineSettings;
use amparo_server::attorney::settings::{DispatchConfig, MetricsSettings, TurnSettings};
use amparo_server::limits::Limits;
use amparo_server::state::Services;
use amparo_store::{CallOutcome, CallRecord};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::io::Read;
use std::num::NonZeroUsize;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(5);

pub(crate) struct Person {
    pub token: String,
    pub id: String,
    pub username: String,
}

/// Settings whose offers last `offer_ms`, ringing `ring` attorneys at once.
pub(crate) fn settings(ring: usize, offer_ms: u64, heartbeat_ms: u64) -> (Limits, Services) {
    let dispatch = DispatchConfig {
        ring_count: NonZeroUsize::new(ring).expect("ring > 0"),
        offer_timeout_ms: offer_ms,
        heartbeat_timeout_ms: heartbeat_ms,
        ..DispatchConfig::default()
    };
    let turn = TurnSettings {
        urls: vec!["turn:127.0.0.1:3478?transport=udp".into()],
        secret: Some("coturn-shared-secret".into()),
        ..TurnSettings::default()
    };
    let services = Services {
        attorney: LineSettings {
            dispatch,
            turn,
            metrics: MetricsSettings::default(),
        },
        ..test_services()
    };
    let limits = Limits {
        anonymous_requests_per_minute: 10_000,
        ..Limits::default()
    };
    (limits, services)
}

/// A server with [`settings`].
async fn server(ring: usize, offer_ms: u64, heartbeat_ms: u64) -> TestServer {
    let (limits, services) = settings(ring, offer_ms, heartbeat_ms);
    TestServer::start_with_services(limits, services).await
}

pub(crate) async fn person(server: &TestServer) -> Person {
    let (token, id) = server.member().await;
    let me: Value = ok(
        call(server, Method::GET, "/api/v1/accounts/me", &token, None).await,
        StatusCode::OK,
    )
    .await;
    let username = me["username"].as_str().expect("username").to_owned();
    Person { token, id, username }
}

async fn with_role(server: &TestServer, role: Role) -> Person {
    let who = person(server).await;
    server
        .store
        .grant_role(who.id.parse().expect("id"), role)
        .await
        .expect("grant");
    who
}

pub(crate) async fn call(
    server: &TestServer,
    method: Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> reqwest::Response {
    let request = server.request(method, path, Some(token));
    let request = match body {
        Some(body) => request.json(&body),
        None => request,
    };
    request.send().await.expect("send")
}

pub(crate) async fn ok(response: reqwest::Response, status: StatusCode) -> Value {
    assert_eq!(response.status(), status, "{:?}", response.text().await);
    response.json().await.unwrap_or(Value::Null)
}

/// An organization with a backup line, its admin, and a member holding one of its seats.
pub(crate) struct Org {
    pub id: String,
    pub admin: Person,
    pub member: Person,
}

pub(crate) async fn organization(server: &TestServer) -> Org {
    let root = with_role(server, Role::Admin).await;
    let admin = person(server).await;
    let member = person(server).await;
    let body = json!({"name": "Valley Legal Aid", "seats": 10,
        "policy": {"seat_covers_household": false, "backup_line": "+1 555 010 0100",
                   "lapsed_alerts": true, "lapsed_attorney_line": false}});
    let created = ok(
        call(server, Method::POST, "/api/v1/organizations", &root.token, Some(body)).await,
        StatusCode::CREATED,
    )
    .await;
    let id = created["id"].as_str().expect("id").to_owned();
    let named = call(
        server,
        Method::POST,
        &format!("/api/v1/organizations/{id}/admins"),
        &root.token,
        Some(json!({"username": admin.username})),
    )
    .await;
    assert_eq!(named.status(), StatusCode::NO_CONTENT);
    let seat = call(
        server,
        Method::POST,
        &format!("/api/v1/organizations/{id}/seats"),
        &admin.token,
        Some(json!({"username": member.username})),
    )
    .await;
    assert_eq!(seat.status(), StatusCode::CREATED, "{:?}", seat.text().await);
    Org { id, admin, member }
}

/// A new member holding one of `org`'s seats.
pub(crate) async fn seated(server: &TestServer, org: &Org) -> Person {
    let member = person(server).await;
    let seat = call(
        server,
        Method::POST,
        &format!("/api/v1/organizations/{}/seats", org.id),
        &org.admin.token,
        Some(json!({"username": member.username})),
    )
    .await;
    assert_eq!(seat.status(), StatusCode::CREATED);
    member
}

/// An attorney of `org`, vetted for Spanish in California.
pub(crate) async fn attorney(server: &TestServer, org: &Org, name: &str) -> Person {
    let lawyer = with_role(server, Role::Attorney).await;
    let body = json!({"display_name": name, "bar_admissions": ["CA"], "languages": ["es", "en"],
        "specialties": ["immigration"], "capacity": 1, "vetted": true});
    let path = format!("/api/v1/organizations/{}/attorneys/{}", org.id, lawyer.username);
    let vetted = ok(
        call(server, Method::PUT, &path, &org.admin.token, Some(body)).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(vetted["display_name"], name);
    assert_eq!(vetted["vetted"], true);
    lawyer
}

/// Waits for the offer of `encounter` on `live` (`what`: why it is expected) and accepts it.
async fn accept_offer(live: &mut LiveSocket, encounter: &str, what: &str) {
    let offer = live.next_of("offer", WAIT).await.expect(what);
    assert_eq!(offer["encounter"], encounter, "{what}");
    live.send_json(&json!({"type": "accept", "encounter": encounter})).await;
}

pub(crate) async fn on_duty(server: &TestServer, lawyer: &Person) -> LiveSocket {
    let mut live = server.live(&lawyer.token).await;
    live.send_json(&json!({"type": "duty", "on": true})).await;
    let duty = live.next_of("duty", WAIT).await.expect("duty answer");
    assert_eq!(duty["on"], true, "{duty}");
    live
}

#[tokio::test]
async fn the_first_attorney_to_accept_gets_the_call_and_only_the_two_sides_signal() {
    let server = server(3, 15_000, 30_000).await;
    let org = organization(&server).await;
    let (ana, ben) = (
        attorney(&server, &org, "Ana Ruiz").await,
        attorney(&server, &org, "Ben Okafor").await,
    );
    let (mut ana_live, mut ben_live) = (on_duty(&server, &ana).await, on_duty(&server, &ben).await);
    let mut member_live = server.live(&org.member.token).await;

    let encounter = server.start_encounter(&org.member.token).await;
    let offer = ana_live.next_of("offer", WAIT).await.expect("Ana is rung");
    assert_eq!(
        (
            offer["encounter"].as_str(),
            offer["language"].as_str(),
            offer["us_state"].as_str()
        ),
        (Some(encounter.as_str()), Some("es"), Some("CA"))
    );
    assert_eq!(
        offer["note"], "traffic stop <b>",
        "the attorney sees what the person entered"
    );
    assert!(offer["expires_at"].is_string());
    ben_live
        .next_of("offer", WAIT)
        .await
        .expect("Ben is rung at the same time");
    assert_eq!(
        member_live.next_of("attorney_status", WAIT).await.expect("status")["status"],
        "offering"
    );

    ana_live
        .send_json(&json!({"type": "accept", "encounter": encounter}))
        .await;
    let ana_call = ana_live.next_of("call", WAIT).await.expect("Ana has the call");
    assert_eq!(ana_call["role"], "attorney");
    assert_eq!(ana_call["peer"]["us_state"], "CA");
    let withdrawn = ben_live
        .next_of("offer_withdrawn", WAIT)
        .await
        .expect("Ben's offer withdrawn");
    assert_eq!(withdrawn["reason"], "taken_by_other");
    ben_live
        .send_json(&json!({"type": "accept", "encounter": encounter}))
        .await;
    assert_eq!(
        ben_live.next_of("accept_refused", WAIT).await.expect("refused")["reason"],
        "already_taken"
    );
    let member_call = member_live.next_of("call", WAIT).await.expect("the member is told");
    assert_eq!(member_call["peer"]["display_name"], "Ana Ruiz");
    assert_eq!(member_call["peer"]["languages"], json!(["en", "es"]));
    let status = ok(
        call(
            &server,
            Method::GET,
            &format!("/api/v1/encounters/{encounter}/attorney-request"),
            &org.member.token,
            None,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(status["status"], "connected");
    assert_eq!(status["attorney"]["display_name"], "Ana Ruiz");

    // Signaling goes to the other side only; anyone else is refused.
    let offer_sdp = json!({"description": {"type": "offer", "sdp": "v=0 test"}});
    ana_live
        .send_json(&json!({"type": "signal", "encounter": encounter, "data": offer_sdp}))
        .await;
    let relayed = member_live
        .next_of("signal", WAIT)
        .await
        .expect("relayed to the member");
    assert_eq!(
        (relayed["from"].as_str(), &relayed["data"]),
        (Some("attorney"), &offer_sdp)
    );
    member_live
        .send_json(&json!({"type": "signal", "encounter": encounter, "data": {"candidate": {"candidate": "c"}}}))
        .await;
    assert_eq!(
        ana_live.next_of("signal", WAIT).await.expect("relayed to Ana")["from"],
        "member"
    );
    ben_live
        .send_json(&json!({"type": "signal", "encounter": encounter, "data": {}}))
        .await;
    assert_eq!(ben_live.next_of("error", WAIT).await.expect("refused")["status"], 403);

    // Notes: the assigned attorney writes, the member reads, the bundle carries them.
    let notes_path = format!("/api/v1/encounters/{encounter}/notes");
    let note = json!({"text": "Advised to remain silent. Badge 4411."});
    ok(
        call(&server, Method::POST, &notes_path, &ana.token, Some(note)).await,
        StatusCode::CREATED,
    )
    .await;
    problem(
        call(
            &server,
            Method::POST,
            &notes_path,
            &org.member.token,
            Some(json!({"text": "x"})),
        )
        .await,
        403,
    )
    .await;
    problem(
        call(
            &server,
            Method::POST,
            &notes_path,
            &ben.token,
            Some(json!({"text": "x"})),
        )
        .await,
        403,
    )
    .await;
    let notes = ok(
        call(&server, Method::GET, &notes_path, &org.member.token, None).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(notes[0]["text"], "Advised to remain silent. Badge 4411.");

    // Hanging up ends the call for both; the recording is untouched.
    member_live
        .send_json(&json!({"type": "hangup", "encounter": encounter}))
        .await;
    ana_live.next_of("hangup", WAIT).await.expect("Ana's call ends");
    assert_eq!(
        member_live.next_of("attorney_status", WAIT).await.expect("status")["status"],
        "closed"
    );
    // The call record is saved by the line's writer a moment after the hang-up is announced.
    let past_calls = || async {
        ok(
            call(&server, Method::GET, "/api/v1/attorney/calls", &ana.token, None).await,
            StatusCode::OK,
        )
        .await
    };
    let ended = eventually(WAIT, || async { past_calls().await[0]["outcome"] == "ended" }).await;
    let calls = past_calls().await;
    assert!(ended, "the ended call is on record: {calls}");
    assert_eq!(calls[0]["encounter"], encounter.as_str());

    let upload = server.create_upload(&org.member.token, &encounter).await;
    assert_eq!(
        server
            .patch(&org.member.token, &upload, 0, vec![7u8; 2048])
            .await
            .status(),
        StatusCode::NO_CONTENT
    );
    let bundle = bundle_of(&server, &encounter, &ana.token).await;
    assert!(
        bundle.0.contains("Advised to remain silent"),
        "notes.json in the bundle: {}",
        bundle.0
    );
    assert!(bundle.1.contains("add note"), "the note is in the chain of custody");

    let coverage_path = format!("/api/v1/organizations/{}/attorney-coverage?weeks=1", org.id);
    let coverage = ok(
        call(&server, Method::GET, &coverage_path, &org.admin.token, None).await,
        StatusCode::OK,
    )
    .await;
    let row = coverage["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .find(|r| r["requests"] == 1)
        .cloned()
        .expect("the request's hour");
    assert_eq!(
        (row["language"].as_str(), row["us_state"].as_str()),
        (Some("es"), Some("CA"))
    );
    // Two attorneys on duty for seconds of a week average to about nothing; the hour is no gap.
    assert_eq!(
        (row["gap"].as_bool(), row["unanswered"].as_u64()),
        (Some(false), Some(0)),
        "{row}"
    );
    assert!(row["wait_p50_secs"].as_f64().is_some_and(|s| s < 5.0), "{row}");
    problem(call(&server, Method::GET, &coverage_path, &ana.token, None).await, 403).await;

    let metrics = server
        .request(Method::GET, "/metrics", None)
        .send()
        .await
        .expect("metrics");
    let text = metrics.text().await.expect("text");
    assert!(
        text.contains("amparo_dispatch_time_to_connect_seconds{language=\"es\",state=\"CA\",quantile=\"0.99\"}"),
        "{text}"
    );
    assert!(
        text.contains("amparo_dispatch_offers_ended_total{reason=\"taken_by_other\"} 1"),
        "{text}"
    );
}

/// The bundle's notes.json and custody.json, as text.
async fn bundle_of(server: &TestServer, encounter: &str, token: &str) -> (String, String) {
    let path = format!("/api/v1/encounters/{encounter}/bundle");
    let mut bytes = Vec::new();
    for _ in 0..10 {
        let response = call(server, Method::GET, &path, token, None).await;
        if response.status() == StatusCode::OK {
            bytes = response.bytes().await.expect("bytes").to_vec();
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a zip");
    let mut read = |name: &str| {
        let mut text = String::new();
        zip.by_name(name).expect(name).read_to_string(&mut text).expect("utf-8");
        text
    };
    (read("notes.json"), read("custody.json"))
}

#[tokio::test]
async fn an_offer_nobody_answers_moves_to_the_next_attorney() {
    let server = server(1, 700, 30_000).await;
    let org = organization(&server).await;
    let (ana, ben) = (
        attorney(&server, &org, "Ana").await,
        attorney(&server, &org, "Ben").await,
    );
    let mut ana_live = on_duty(&server, &ana).await;
    let mut ben_live = on_duty(&server, &ben).await;
    let encounter = server.start_encounter(&org.member.token).await;
    // Ana has been idle longest: she is rung first, alone.
    ana_live.next_of("offer", WAIT).await.expect("Ana rung");
    assert!(
        ben_live.next_of("offer", Duration::from_millis(300)).await.is_none(),
        "one at a time"
    );
    let expired = ana_live
        .next_of("offer_withdrawn", WAIT)
        .await
        .expect("Ana's offer expires");
    assert_eq!(expired["reason"], "expired");
    accept_offer(&mut ben_live, &encounter, "then Ben is rung").await;
    ben_live.next_of("call", WAIT).await.expect("Ben has the call");
}

#[tokio::test]
async fn an_attorney_who_goes_away_mid_offer_loses_it_at_once() {
    let server = server(1, 30_000, 1_000).await;
    let org = organization(&server).await;
    let (ana, ben) = (
        attorney(&server, &org, "Ana").await,
        attorney(&server, &org, "Ben").await,
    );
    let ana_live = on_duty(&server, &ana).await;
    let mut ben_live = on_duty(&server, &ben).await;
    let mut ana_live = Some(ana_live);
    let encounter = server.start_encounter(&org.member.token).await;
    ana_live
        .as_mut()
        .expect("open")
        .next_of("offer", WAIT)
        .await
        .expect("Ana rung");
    // Ana's laptop drops its connection: the offer passes to Ben long before its 30 s run out.
    drop(ana_live.take());
    let keep_alive = async {
        loop {
            tokio::time::sleep(Duration::from_millis(200)).await;
            ben_live.send_json(&json!({"type": "heartbeat"})).await;
            if let Some(offer) = ben_live.next_of("offer", Duration::from_millis(100)).await {
                return offer;
            }
        }
    };
    let offer = tokio::time::timeout(WAIT, keep_alive)
        .await
        .expect("Ben rung within seconds");
    assert_eq!(offer["encounter"], encounter.as_str());

    // A connection that stays open but stops beating counts as away after the heartbeat timeout.
    let cara = attorney(&server, &org, "Cara").await;
    let mut cara_live = on_duty(&server, &cara).await;
    let second = seated(&server, &org).await;
    server.start_encounter(&second.token).await;
    cara_live.next_of("offer", WAIT).await.expect("Cara rung");
    let away = cara_live
        .next_of("offer_withdrawn", WAIT)
        .await
        .expect("withdrawn once she is silent");
    assert_eq!(away["reason"], "away");
}

#[tokio::test]
async fn nobody_eligible_queues_with_the_backup_line_until_someone_comes_on_duty() {
    let server = server(3, 15_000, 30_000).await;
    let org = organization(&server).await;
    let mut admin_live = server.live(&org.admin.token).await;
    let (push_service, push_base) = PushPeer::start().await;
    let device = browser_subscription(&format!("{push_base}/wpush/admin-phone"));
    assert_eq!(
        subscribe(&server, &org.admin.token, &device).await.status(),
        StatusCode::CREATED
    );
    let mut member_live = server.live(&org.member.token).await;
    let encounter = server.start_encounter(&org.member.token).await;
    let queued = member_live
        .next_of("attorney_status", WAIT)
        .await
        .expect("told honestly");
    let queued = if queued["status"] == "offering" {
        member_live.next_of("attorney_status", WAIT).await.expect("queued")
    } else {
        queued
    };
    assert_eq!(queued["status"], "queued", "{queued}");
    assert_eq!(queued["position"], 1);
    assert_eq!(queued["backup_line"], "+1 555 010 0100");
    let gap = admin_live
        .next_of("coverage_gap", WAIT)
        .await
        .expect("the admins are alerted");
    assert_eq!(
        (
            gap["language"].as_str(),
            gap["us_state"].as_str(),
            gap["reason"].as_str()
        ),
        (Some("es"), Some("CA"), Some("nobody_available"))
    );
    // And on the admin's phone, where the app is not open.
    let pushed = tokio::time::timeout(WAIT, async {
        while push_service.tries("admin-phone") == 0 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    });
    pushed.await.expect("the coverage gap is pushed to the admin's device");

    let ana = attorney(&server, &org, "Ana").await;
    let mut ana_live = on_duty(&server, &ana).await;
    accept_offer(&mut ana_live, &encounter, "offered as soon as she is on duty").await;
    assert_eq!(
        member_live.next_of("call", WAIT).await.expect("connected")["peer"]["display_name"],
        "Ana"
    );
}

#[tokio::test]
async fn requests_that_cannot_be_matched_say_why_and_strangers_are_refused() {
    let server = server(3, 15_000, 30_000).await;
    let org = organization(&server).await;
    // No seat and no organization for personal plans: no attorney line, said plainly.
    let loner = person(&server).await;
    let encounter = server.start_encounter(&loner.token).await;
    let path = format!("/api/v1/encounters/{encounter}/attorney-request");
    let status = ok(
        call(&server, Method::POST, &path, &loner.token, None).await,
        StatusCode::ACCEPTED,
    )
    .await;
    assert_eq!(
        (status["status"].as_str(), status["reason"].as_str()),
        (Some("unavailable"), Some("no_attorney_line"))
    );
    problem(call(&server, Method::POST, &path, &org.member.token, None).await, 403).await;
    problem(call(&server, Method::GET, &path, &org.member.token, None).await, 403).await;

    // No state: the person is asked for it.
    let body = json!({"language": "es"});
    let started = ok(
        call(
            &server,
            Method::POST,
            "/api/v1/encounters",
            &org.member.token,
            Some(body),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let path = format!(
        "/api/v1/encounters/{}/attorney-request",
        started["id"].as_str().expect("id")
    );
    let status = ok(
        call(&server, Method::POST, &path, &org.member.token, None).await,
        StatusCode::ACCEPTED,
    )
    .await;
    assert_eq!(status["reason"], "no_state");

    // Vetting: only the organization's admins, only attorneys, only valid input.
    let lawyer = with_role(&server, Role::Attorney).await;
    let vet_path = format!("/api/v1/organizations/{}/attorneys/{}", org.id, lawyer.username);
    let good = json!({"display_name": "Ana", "bar_admissions": ["CA"], "languages": ["es"], "vetted": true});
    problem(
        call(&server, Method::PUT, &vet_path, &org.member.token, Some(good.clone())).await,
        403,
    )
    .await;
    let not_lawyer = format!("/api/v1/organizations/{}/attorneys/{}", org.id, org.member.username);
    problem(
        call(&server, Method::PUT, &not_lawyer, &org.admin.token, Some(good.clone())).await,
        409,
    )
    .await;
    for (field, bad) in [
        (
            "bar_admissions",
            json!({"display_name": "Ana", "bar_admissions": ["XX"], "languages": ["es"], "vetted": true}),
        ),
        (
            "languages",
            json!({"display_name": "Ana", "bar_admissions": ["CA"], "languages": ["1"], "vetted": true}),
        ),
        (
            "capacity",
            json!({"display_name": "Ana", "bar_admissions": ["CA"], "languages": ["es"], "capacity": 11, "vetted": true}),
        ),
        (
            "display_name",
            json!({"display_name": " ", "bar_admissions": ["CA"], "languages": ["es"], "vetted": true}),
        ),
    ] {
        let body = problem(
            call(&server, Method::PUT, &vet_path, &org.admin.token, Some(bad)).await,
            400,
        )
        .await;
        assert!(body.to_string().contains(field), "{field}: {body}");
    }

    // Duty: a member cannot; an attorney not yet vetted is told why.
    let mut member_live = server.live(&org.member.token).await;
    member_live.send_json(&json!({"type": "duty", "on": true})).await;
    assert_eq!(
        member_live.next_of("error", WAIT).await.expect("refused")["status"],
        403
    );
    let unvetted = json!({"display_name": "Ana", "bar_admissions": ["CA"], "languages": ["es"], "vetted": false});
    ok(
        call(&server, Method::PUT, &vet_path, &org.admin.token, Some(unvetted)).await,
        StatusCode::OK,
    )
    .await;
    let mut lawyer_live = server.live(&lawyer.token).await;
    lawyer_live.send_json(&json!({"type": "duty", "on": true})).await;
    let refused = lawyer_live.next_of("error", WAIT).await.expect("refused");
    assert_eq!(refused["status"], 409);
    assert!(refused["detail"].as_str().expect("detail").contains("vetted"));
    let me = ok(
        call(&server, Method::GET, "/api/v1/attorney/me", &lawyer.token, None).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (me["vetted"].as_bool(), me["on_duty"].as_bool()),
        (Some(false), Some(false))
    );

    // The state rule: the default until the admins choose; theirs only.
    let policy_path = format!("/api/v1/organizations/{}/dispatch-policy", org.id);
    let policy = ok(
        call(&server, Method::GET, &policy_path, &org.admin.token, None).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(policy["state_policy"], "admitted_in_state");
    let any = json!({"state_policy": "any_us_admission"});
    ok(
        call(&server, Method::PUT, &policy_path, &org.admin.token, Some(any)).await,
        StatusCode::OK,
    )
    .await;
    let policy = ok(
        call(&server, Method::GET, &policy_path, &org.admin.token, None).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(policy["state_policy"], "any_us_admission");
    problem(
        call(&server, Method::GET, &policy_path, &org.member.token, None).await,
        403,
    )
    .await;
    let nonsense = json!({"state_policy": "anywhere"});
    problem(
        call(&server, Method::PUT, &policy_path, &org.admin.token, Some(nonsense)).await,
        400,
    )
    .await;

    // TURN credentials in coturn's scheme, for anyone signed in; none for strangers.
    let ice = ok(
        call(&server, Method::GET, "/api/v1/turn", &org.member.token, None).await,
        StatusCode::OK,
    )
    .await;
    let turn = &ice["ice_servers"][0];
    let username = turn["username"].as_str().expect("username");
    assert_eq!(
        turn["credential"].as_str(),
        Some(amparo_server::attorney::turn::credential("coturn-shared-secret", username).as_str())
    );
    problem(
        server
            .request(Method::GET, "/api/v1/turn", None)
            .send()
            .await
            .expect("send"),
        401,
    )
    .await;
}

/// The calls `org` has on record for `encounter`, read from the store itself, once `done` holds
/// for them (the attorney line writes on a task of its own) or after five seconds.
pub(crate) async fn calls_of(
    server: &TestServer,
    org: &Org,
    encounter: &str,
    done: fn(&[CallRecord]) -> bool,
) -> Vec<CallRecord> {
    let org: OrgId = org.id.parse().expect("organization id");
    let encounter: EncounterId = encounter.parse().expect("encounter id");
    let mut found = Vec::new();
    for _ in 0..50 {
        let calls = server.store.calls_of_org(org, 0, i64::MAX).await.expect("calls_of_org");
        found = calls.into_iter().filter(|c| c.encounter == encounter).collect();
        if done(&found) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    found
}

/// A node restart: a request still waiting keeps its place and its original time and is offered
/// when an attorney comes on duty on the new run; a call that was connected lost its signaling
/// with the old process and is recorded as ended, which frees its attorney.
#[tokio::test]
async fn a_restart_keeps_waiting_requests_and_records_connected_calls_as_ended() {
    let server = server(3, 15_000, 30_000).await;
    let org = organization(&server).await;
    let ana = attorney(&server, &org, "Ana").await;
    let second = seated(&server, &org).await;

    // Ana takes the second member's call; the first member's request then waits: she is busy.
    let mut ana_live = on_duty(&server, &ana).await;
    let connected = server.start_encounter(&second.token).await;
    accept_offer(&mut ana_live, &connected, "offered").await;
    ana_live.next_of("call", WAIT).await.expect("connected");
    let mut member_live = server.live(&org.member.token).await;
    let waiting = server.start_encounter(&org.member.token).await;
    loop {
        let status = member_live.next_of("attorney_status", WAIT).await.expect("a status");
        if status["status"] == "queued" {
            break;
        }
        assert_eq!(status["status"], "offering", "{status}");
    }
    let recorded = calls_of(&server, &org, &waiting, |c| !c.is_empty()).await;
    assert_eq!(recorded.len(), 1, "the waiting request is on record before the restart");
    let asked_at = recorded[0].requested_at_us;
    drop((ana_live, member_live));

    let (limits, services) = settings(3, 15_000, 30_000);
    let server = server.restart(limits, services).await;
    // The new run closes it as it starts, through its writer.
    let ended = calls_of(&server, &org, &connected, |c| c.iter().any(|c| c.outcome.is_some())).await;
    assert_eq!(ended.len(), 1, "{ended:?}");
    assert_eq!(ended[0].outcome, Some(CallOutcome::Ended), "{ended:?}");
    assert!(ended[0].closed_at_us.is_some());

    // Ana, free again, comes on duty on the new run and is offered the waiting request.
    let mut ana_live = on_duty(&server, &ana).await;
    accept_offer(&mut ana_live, &waiting, "the waiting request, resumed").await;
    ana_live
        .next_of("call", WAIT)
        .await
        .expect("connected after the restart");
    let resumed = calls_of(&server, &org, &waiting, |c| {
        c.iter().any(|c| c.connected_at_us.is_some())
    })
    .await;
    assert_eq!(resumed.len(), 1, "one request, not a second one: {resumed:?}");
    assert_eq!(resumed[0].requested_at_us, asked_at, "it kept its place");
    assert!(resumed[0].connected_at_us.is_some(), "{resumed:?}");
}
