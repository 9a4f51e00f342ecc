//! Legal observers (issue 6) over HTTP and the live WebSocket, on a real server: the nearest
//! available responders are asked first, the first accept wins and the others' offers are
//! withdrawn, an unanswered offer falls through to the next nearest, nobody near means waiting
//! until someone comes available, unavailable and too-far responders are never asked, only
//! responders may take part, and a dispatched observer survives a restart.

use crate::harness::{LiveSocket, TestServer, problem, test_services};
use amparo_core::geo::{Cell, Precision};
use amparo_core::roles::Role;
use amparo_server::limits::Limits;
use amparo_server::observers::settings::ObserverConfig;
use amparo_server::state::Services;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::num::NonZeroUsize;
use std::time::Duration;

const PILSEN: (f64, f64) = (41.85712, -87.6563);
const QUIET: Duration = Duration::from_millis(400);
const SOON: Duration = Duration::from_secs(5);

pub(crate) fn limits() -> Limits {
    Limits {
        anonymous_requests_per_minute: 10_000,
        reports_per_hour: 1_000,
        reports_per_hour_per_address: 1_000,
        ..Limits::default()
    }
}

fn services(config: ObserverConfig) -> Services {
    Services {
        observers: config,
        ..test_services()
    }
}

/// Three at once, a minute to answer, at most three steps away.
pub(crate) fn config() -> ObserverConfig {
    ObserverConfig {
        max_distance_cells: 3,
        ..ObserverConfig::default()
    }
}

async fn start(config: ObserverConfig) -> TestServer {
    TestServer::start_with_services(limits(), services(config)).await
}

/// The incident's cell, and one exactly `steps` grid steps from it.
pub(crate) fn here() -> Cell {
    Precision::new(8)
        .expect("resolution")
        .cell_of(PILSEN.0, PILSEN.1)
        .expect("cell")
}

pub(crate) fn away(steps: u32) -> Cell {
    here()
        .disk(steps)
        .into_iter()
        .find(|c| c.grid_distance(here()) == Some(steps))
        .expect("a cell that far")
}

pub(crate) struct Responder {
    pub(crate) token: String,
    pub(crate) id: String,
    pub(crate) username: String,
    pub(crate) live: LiveSocket,
}

pub(crate) async fn responder(server: &TestServer) -> Responder {
    let (token, id) = server.member().await;
    server
        .store
        .grant_role(id.parse().expect("id"), Role::Responder)
        .await
        .expect("grant responder");
    let me: Value = server
        .request(Method::GET, "/api/v1/accounts/me", Some(&token))
        .send()
        .await
        .expect("me")
        .json()
        .await
        .expect("me json");
    let username = me["username"].as_str().expect("username").to_owned();
    let live = server.live(&token).await;
    Responder {
        token,
        id,
        username,
        live,
    }
}

async fn available(server: &TestServer, token: &str, at: Cell) -> reqwest::Response {
    server
        .request(Method::PUT, "/api/v1/observers/availability", Some(token))
        .json(&json!({"available": true, "place": {"cell": at.to_string()}}))
        .send()
        .await
        .expect("availability")
}

pub(crate) async fn make_available(server: &TestServer, r: &Responder, at: Cell) {
    let response = available(server, &r.token, at).await;
    assert_eq!(response.status(), StatusCode::OK, "{:?}", response.text().await);
}

/// A member's report at Pilsen, verified by `verifier`: the incident's id.
pub(crate) async fn incident(server: &TestServer, verifier: &str) -> String {
    let (reporter, _) = server.member().await;
    let report = server
        .post_json(
            "/api/v1/reports",
            Some(&reporter),
            &json!({"kind": "raid_workplace", "place": {"latitude": PILSEN.0, "longitude": PILSEN.1},
                    "description": "Agents at the bakery on 18th Street"}),
        )
        .await;
    assert_eq!(report.status(), StatusCode::CREATED);
    let report: Value = report.json().await.expect("report");
    let verified = server
        .post_json(
            &format!("/api/v1/reports/{}/verify", report["id"].as_str().expect("id")),
            Some(verifier),
            &json!({"how": "in_person"}),
        )
        .await;
    assert_eq!(verified.status(), StatusCode::CREATED);
    let verified: Value = verified.json().await.expect("incident");
    verified["id"].as_str().expect("incident id").to_owned()
}

pub(crate) async fn ask(server: &TestServer, token: &str, incident: &str, observers: u32) -> reqwest::Response {
    server
        .post_json(
            &format!("/api/v1/incidents/{incident}/observers"),
            Some(token),
            &json!({"observers": observers}),
        )
        .await
}

pub(crate) async fn answer(server: &TestServer, token: &str, incident: &str, what: &str) -> reqwest::Response {
    server
        .post_json(
            &format!("/api/v1/incidents/{incident}/observers/{what}"),
            Some(token),
            &json!({}),
        )
        .await
}

pub(crate) async fn observers(server: &TestServer, token: &str, incident: &str) -> Value {
    let response = server
        .request(
            Method::GET,
            &format!("/api/v1/incidents/{incident}/observers"),
            Some(token),
        )
        .send()
        .await
        .expect("observers");
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.expect("observers json")
}

pub(crate) async fn offered(r: &mut Responder, incident: &str) -> Value {
    let offer = r.live.next_of("observer_offer", SOON).await.expect("an offer");
    assert_eq!(offer["incident"], incident);
    offer
}

pub(crate) async fn not_offered(r: &mut Responder) {
    assert!(
        r.live.next_of("observer_offer", QUIET).await.is_none(),
        "no offer for this responder"
    );
}

#[tokio::test]
async fn the_nearest_are_asked_the_first_accept_wins_and_the_others_are_withdrawn() {
    let server = start(config()).await;
    let mut requester = responder(&server).await;
    let mut at_0 = responder(&server).await;
    let mut at_1 = responder(&server).await;
    let mut at_2 = responder(&server).await;
    let mut at_3 = responder(&server).await;
    for (r, steps) in [(&at_3, 3), (&at_2, 2), (&at_1, 1), (&at_0, 0)] {
        make_available(&server, r, away(steps)).await;
    }
    let id = incident(&server, &requester.token).await;
    let asked = ask(&server, &requester.token, &id, 1).await;
    assert_eq!(asked.status(), StatusCode::ACCEPTED);
    let asked: Value = asked.json().await.expect("request");
    assert_eq!(asked["status"], "offering");

    let offer = offered(&mut at_0, &id).await;
    assert_eq!(offer["distance_cells"], 0);
    assert_eq!(offer["place"]["cell"], here().to_string());
    assert_eq!(offered(&mut at_1, &id).await["distance_cells"], 1);
    offered(&mut at_2, &id).await;
    not_offered(&mut at_3).await;

    let accepted = answer(&server, &at_1.token, &id, "accept").await;
    assert_eq!(accepted.status(), StatusCode::OK);
    let accepted: Value = accepted.json().await.expect("observer");
    assert_eq!(accepted["display_name"], at_1.username.as_str());
    for other in [&mut at_0, &mut at_2] {
        let withdrawn = other
            .live
            .next_of("observer_offer_withdrawn", SOON)
            .await
            .expect("withdrawn at once");
        assert_eq!(withdrawn["reason"], "taken_by_other");
    }
    let late = answer(&server, &at_0.token, &id, "accept").await;
    assert!(
        problem(late, 409).await["detail"]
            .as_str()
            .expect("detail")
            .contains("first")
    );
    not_offered(&mut at_3).await;

    // The requester hears it and the incident page shows who is on the way: a name and a time.
    let status = requester.live.next_of("observers", SOON).await.expect("status");
    assert_eq!(status["incident"], id.as_str());
    let page = observers(&server, &requester.token, &id).await;
    assert_eq!(page["request"]["status"], "fulfilled");
    let listed = page["observers"].as_array().expect("list");
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["display_name"], at_1.username.as_str());
    assert!(listed[0]["accepted_at"].is_string());
    assert_eq!(listed[0]["you"], false);
    let text = page.to_string();
    assert!(!text.contains(&at_1.id), "no account ids: {text}");
    let actions = server.store.responder_actions(50).await.expect("audit log");
    for what in ["request_observers", "observer_accept"] {
        assert!(actions.iter().any(|a| a.action == what), "{what} in the audit log");
    }
}

/// One offer at a time: a responder one step away and one two steps away, an incident, and one
/// observer asked for (so the nearer is offered first).
async fn one_at_a_time(config: ObserverConfig) -> (TestServer, Responder, Responder, Responder, String) {
    let server = start(ObserverConfig {
        offer_count: NonZeroUsize::MIN,
        ..config
    })
    .await;
    let requester = responder(&server).await;
    let near = responder(&server).await;
    let farther = responder(&server).await;
    make_available(&server, &near, away(1)).await;
    make_available(&server, &farther, away(2)).await;
    let id = incident(&server, &requester.token).await;
    assert_eq!(
        ask(&server, &requester.token, &id, 1).await.status(),
        StatusCode::ACCEPTED
    );
    (server, requester, near, farther, id)
}

#[tokio::test]
async fn an_unanswered_offer_expires_and_goes_to_the_next_nearest() {
    let (server, _requester, mut near, mut farther, id) = one_at_a_time(ObserverConfig {
        offer_timeout_ms: 1_000,
        ..config()
    })
    .await;
    offered(&mut near, &id).await;
    not_offered(&mut farther).await;
    let expired = near
        .live
        .next_of("observer_offer_withdrawn", SOON)
        .await
        .expect("the offer lapses");
    assert_eq!(expired["reason"], "expired");
    offered(&mut farther, &id).await;
    let late = answer(&server, &near.token, &id, "accept").await;
    assert!(
        problem(late, 409).await["detail"]
            .as_str()
            .expect("detail")
            .contains("ran out")
    );
    assert_eq!(
        answer(&server, &farther.token, &id, "accept").await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn nobody_near_waits_and_is_offered_when_someone_near_comes_available() {
    let server = start(config()).await;
    let mut requester = responder(&server).await;
    let mut too_far = responder(&server).await;
    let mut gone = responder(&server).await;
    let mut later = responder(&server).await;
    make_available(&server, &too_far, away(4)).await;
    make_available(&server, &gone, away(0)).await;
    let off = server
        .request(Method::PUT, "/api/v1/observers/availability", Some(&gone.token))
        .json(&json!({"available": false}))
        .send()
        .await
        .expect("unavailable");
    assert_eq!(off.status(), StatusCode::OK);
    let id = incident(&server, &requester.token).await;
    let asked: Value = ask(&server, &requester.token, &id, 1)
        .await
        .json()
        .await
        .expect("request");
    assert_eq!(asked["status"], "waiting");
    assert!(asked["detail"].as_str().expect("detail").contains("Nobody"));
    not_offered(&mut too_far).await;
    not_offered(&mut gone).await;

    let status = requester.live.next_of("observers", SOON).await.expect("status");
    assert_eq!(status["status"], "waiting");
    make_available(&server, &later, away(3)).await;
    offered(&mut later, &id).await;
    let status = requester.live.next_of("observers", SOON).await.expect("status");
    assert_eq!(status["status"], "offering");
    not_offered(&mut too_far).await;
    not_offered(&mut gone).await;
}

#[tokio::test]
async fn only_responders_take_part_and_subscribers_hear_nothing_of_observers() {
    let server = start(config()).await;
    let requester = responder(&server).await;
    let (member, _) = server.member().await;
    let created = server
        .post_json(
            "/api/v1/watch-areas",
            Some(&member),
            &json!({"label": "work", "circle": {"latitude": PILSEN.0, "longitude": PILSEN.1, "radius_m": 1000}}),
        )
        .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let mut watcher = server.live(&member).await;
    let id = incident(&server, &requester.token).await;

    problem(available(&server, &member, here()).await, 403).await;
    problem(ask(&server, &member, &id, 1).await, 403).await;
    problem(answer(&server, &member, &id, "accept").await, 403).await;
    let page = server
        .request(Method::GET, &format!("/api/v1/incidents/{id}/observers"), Some(&member))
        .send()
        .await
        .expect("observers");
    problem(page, 403).await;
    let anonymous = server
        .request(Method::GET, "/api/v1/observers/availability", None)
        .send()
        .await
        .expect("availability");
    problem(anonymous, 401).await;

    // Bad input is refused with what to send instead.
    let no_place = server
        .request(Method::PUT, "/api/v1/observers/availability", Some(&requester.token))
        .json(&json!({"available": true}))
        .send()
        .await
        .expect("availability");
    assert_eq!(problem(no_place, 400).await["field"], "place");
    let not_a_cell = server
        .request(Method::PUT, "/api/v1/observers/availability", Some(&requester.token))
        .json(&json!({"available": true, "place": {"cell": "nowhere"}}))
        .send()
        .await
        .expect("availability");
    problem(not_a_cell, 400).await;
    assert_eq!(
        problem(ask(&server, &requester.token, &id, 0).await, 400).await["field"],
        "observers"
    );
    problem(ask(&server, &requester.token, &id, 11).await, 400).await;
    problem(
        ask(&server, &requester.token, &uuid::Uuid::new_v4().to_string(), 1).await,
        404,
    )
    .await;
    problem(answer(&server, &requester.token, &id, "decline").await, 409).await;
    problem(answer(&server, &requester.token, &id, "done").await, 404).await;

    // The subscriber heard of the incident, and nothing of who is asked to go.
    make_available(&server, &requester, here()).await;
    assert_eq!(
        ask(&server, &requester.token, &id, 1).await.status(),
        StatusCode::ACCEPTED
    );
    while let Some(message) = watcher.next_json(QUIET).await {
        let kind = message["type"].as_str().unwrap_or_default();
        assert!(!kind.starts_with("observer"), "a subscriber got {message}");
    }
}

#[tokio::test]
async fn a_dispatched_observer_survives_a_restart_then_arrives_and_is_done() {
    let server = start(config()).await;
    let requester = responder(&server).await;
    let mut observer = responder(&server).await;
    make_available(&server, &observer, away(1)).await;
    let id = incident(&server, &requester.token).await;
    assert_eq!(
        ask(&server, &requester.token, &id, 1).await.status(),
        StatusCode::ACCEPTED
    );
    offered(&mut observer, &id).await;
    assert_eq!(
        answer(&server, &observer.token, &id, "accept").await.status(),
        StatusCode::OK
    );
    // A retried accept (a lost answer) is the same dispatch, not a second one.
    assert_eq!(
        answer(&server, &observer.token, &id, "accept").await.status(),
        StatusCode::OK
    );

    let server = server.restart(limits(), services(config())).await;
    // The restarted node asks again for the open request, with the observer it already has.
    let mut page = observers(&server, &requester.token, &id).await;
    for _ in 0..50 {
        if page["request"]["status"] == "fulfilled" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        page = observers(&server, &requester.token, &id).await;
    }
    let listed = page["observers"].as_array().expect("list");
    assert_eq!(listed.len(), 1, "{page}");
    assert_eq!(listed[0]["display_name"], observer.username.as_str());
    assert_eq!(page["request"]["status"], "fulfilled", "{page}");
    let availability: Value = server
        .request(Method::GET, "/api/v1/observers/availability", Some(&observer.token))
        .send()
        .await
        .expect("availability")
        .json()
        .await
        .expect("json");
    assert_eq!(availability["available"], false, "availability is never stored");
    assert_eq!(availability["on_the_way_to"], id.as_str());

    let arrived = answer(&server, &observer.token, &id, "arrived").await;
    assert_eq!(arrived.status(), StatusCode::OK);
    let arrived: Value = arrived.json().await.expect("observer");
    assert!(arrived["arrived_at"].is_string());
    assert_eq!(arrived["you"], true);
    problem(answer(&server, &observer.token, &id, "arrived").await, 409).await;
    let done: Value = answer(&server, &observer.token, &id, "done")
        .await
        .json()
        .await
        .expect("done");
    assert!(done["done_at"].is_string());
    problem(answer(&server, &observer.token, &id, "done").await, 409).await;
    problem(answer(&server, &requester.token, &id, "arrived").await, 404).await;
    let actions = server.store.responder_actions(50).await.expect("audit log");
    for what in ["observer_arrived", "observer_done"] {
        assert!(actions.iter().any(|a| a.action == what), "{what} in the audit log");
    }
}

#[tokio::test]
async fn the_verifier_asks_at_verification_and_withdrawing_the_incident_calls_it_off() {
    let server = start(config()).await;
    let verifier = responder(&server).await;
    let mut near = responder(&server).await;
    make_available(&server, &near, away(1)).await;
    let (reporter, _) = server.member().await;
    let report: Value = server
        .post_json(
            "/api/v1/reports",
            Some(&reporter),
            &json!({"kind": "arrest", "place": {"latitude": PILSEN.0, "longitude": PILSEN.1},
                    "description": "Two people taken from a car on Blue Island Avenue"}),
        )
        .await
        .json()
        .await
        .expect("report");
    let path = format!("/api/v1/reports/{}/verify", report["id"].as_str().expect("id"));
    let verify = |observers: Value| {
        let body = json!({"how": "in_person", "observers": observers});
        let request = server.request(Method::POST, &path, Some(&verifier.token)).json(&body);
        async move { request.send().await.expect("verify") }
    };
    problem(verify(json!(0)).await, 400).await;
    let verified = verify(json!(1)).await;
    assert_eq!(verified.status(), StatusCode::CREATED);
    let verified: Value = verified.json().await.expect("incident");
    assert_eq!(verified["observers"]["status"], "offering", "{verified}");
    let id = verified["id"].as_str().expect("id").to_owned();
    offered(&mut near, &id).await;

    let withdrawn = server
        .request(Method::PATCH, &format!("/api/v1/incidents/{id}"), Some(&verifier.token))
        .json(&json!({"note": "it was a film set", "withdrawn": true}))
        .send()
        .await
        .expect("withdraw");
    assert_eq!(withdrawn.status(), StatusCode::OK);
    let gone = near
        .live
        .next_of("observer_offer_withdrawn", SOON)
        .await
        .expect("the offer is withdrawn");
    assert_eq!(gone["reason"], "cancelled");
    let again = ask(&server, &verifier.token, &id, 1).await;
    assert!(
        problem(again, 409).await["detail"]
            .as_str()
            .expect("detail")
            .contains("withdrawn")
    );
    problem(answer(&server, &near.token, &id, "accept").await, 409).await;
}

#[tokio::test]
async fn an_observer_who_never_arrives_lapses_and_metrics_count_it_all() {
    let (server, requester, mut near, mut farther, id) = one_at_a_time(ObserverConfig {
        on_the_way_ttl_secs: 1,
        ..config()
    })
    .await;
    offered(&mut near, &id).await;
    assert_eq!(
        answer(&server, &near.token, &id, "accept").await.status(),
        StatusCode::OK
    );

    // A second passes with no "arrived": they are let go, told so, and the next nearest asked.
    let lapsed = near.live.next_of("observer_lapsed", SOON).await.expect("lapsed");
    assert_eq!(lapsed["incident"], id.as_str());
    assert_eq!(lapsed["arrived"], false);
    offered(&mut farther, &id).await;
    let late = answer(&server, &near.token, &id, "arrived").await;
    assert!(
        problem(late, 409).await["detail"]
            .as_str()
            .expect("detail")
            .contains("lapsed")
    );
    let page = observers(&server, &requester.token, &id).await;
    assert_eq!(page["request"]["status"], "offering");
    assert_eq!(page["request"]["wanted"], 1);
    assert_eq!(page["request"]["sent"], 0, "a lapsed observer does not count");
    let listed = page["observers"].as_array().expect("list");
    assert_eq!(listed.len(), 1);
    assert!(listed[0]["lapsed_at"].is_string(), "the row says when: {page}");

    let metrics = server
        .request(Method::GET, "/metrics", None)
        .send()
        .await
        .expect("metrics");
    assert_eq!(metrics.status(), StatusCode::OK);
    let text = metrics.text().await.expect("text");
    for line in [
        "amparo_observers_requests_open 1",
        "amparo_observers_offers_sent_total 2",
        "amparo_observers_lapsed_total{arrived=\"false\"} 1",
        "amparo_observers_time_to_accept_seconds_count 1",
        "amparo_observers_time_to_accept_seconds{quantile=\"0.99\"}",
    ] {
        assert!(text.contains(line), "{line} in\n{text}");
    }
}
