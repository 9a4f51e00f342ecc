//! Households over HTTP: the whole flow, who may do what, the six-seat limit (also under a race),
//! codes that no longer work, and hostile input.

use crate::harness::{TestServer, problem};
use amparo_server::limits::Limits;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const FULL: &str = "This household is full: it has six people.";

/// A server where the many sign-ups and code tries of a test are not throttled.
async fn server() -> TestServer {
    TestServer::start_with(Limits {
        anonymous_requests_per_minute: 10_000,
        invitation_attempts_per_minute: 10_000,
        ..Limits::default()
    })
    .await
}

async fn send(server: &TestServer, method: Method, path: &str, token: &str) -> reqwest::Response {
    server.request(method, path, Some(token)).send().await.expect("send")
}

async fn create(server: &TestServer, token: &str) -> Value {
    let response = send(server, Method::POST, "/api/v1/households", token).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    response.json().await.expect("json")
}

async fn invite(server: &TestServer, token: &str) -> String {
    let response = send(server, Method::POST, "/api/v1/households/current/invitations", token).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(
        response.headers()["cache-control"],
        "no-store",
        "a secret is not cached"
    );
    let body: Value = response.json().await.expect("json");
    assert!(body["expires_at"].is_string());
    body["code"].as_str().expect("code").to_owned()
}

async fn join(server: &TestServer, token: &str, code: &str) -> reqwest::Response {
    server
        .post_json("/api/v1/households/join", Some(token), &json!({ "code": code }))
        .await
}

async fn current(server: &TestServer, token: &str) -> reqwest::Response {
    send(server, Method::GET, "/api/v1/households/current", token).await
}

/// The owner and `others` members who joined; returns the owner's token and everyone's tokens.
async fn household_of(server: &TestServer, others: usize) -> (String, Vec<(String, String)>) {
    let (owner, _) = server.member().await;
    create(server, &owner).await;
    let mut members = Vec::new();
    for _ in 0..others {
        let member = server.member().await;
        let code = invite(server, &owner).await;
        assert_eq!(join(server, &member.0, &code).await.status(), StatusCode::OK);
        members.push(member);
    }
    (owner, members)
}

#[tokio::test]
async fn a_household_from_creation_to_closing() {
    let server = server().await;
    let (owner, owner_id) = server.member().await;
    let created = create(&server, &owner).await;
    assert_eq!(created["your_role"], "owner");
    assert_eq!(created["seats_left"], 5);
    assert_eq!(created["members"][0]["account_id"], owner_id);
    assert_eq!(created["period"]["active"], true, "open-ended from creation");
    let twice = send(&server, Method::POST, "/api/v1/households", &owner).await;
    problem(twice, 409).await;

    let (ana, ana_id) = server.member().await;
    let code = invite(&server, &owner).await;
    let joined: Value = join(&server, &ana, &code).await.json().await.expect("json");
    assert_eq!(joined["your_role"], "member");
    assert_eq!(joined["members"][1]["account_id"], ana_id);
    assert!(
        joined["members"][1]["username"].is_string(),
        "members come with usernames"
    );
    let seen: Value = current(&server, &ana).await.json().await.expect("json");
    assert_eq!(
        (seen["id"].clone(), seen["seats_left"].clone()),
        (created["id"].clone(), json!(4))
    );

    // Members may not do what only the owner does.
    problem(
        send(&server, Method::POST, "/api/v1/households/current/invitations", &ana).await,
        403,
    )
    .await;
    let remove_owner = format!("/api/v1/households/current/members/{owner_id}");
    problem(send(&server, Method::DELETE, &remove_owner, &ana).await, 403).await;
    // The owner leaves last, and cannot remove themself.
    problem(send(&server, Method::DELETE, &remove_owner, &owner).await, 409).await;
    problem(
        send(&server, Method::POST, "/api/v1/households/current/leave", &owner).await,
        409,
    )
    .await;

    let remove_ana = format!("/api/v1/households/current/members/{ana_id}");
    assert_eq!(
        send(&server, Method::DELETE, &remove_ana, &owner).await.status(),
        StatusCode::NO_CONTENT
    );
    problem(current(&server, &ana).await, 404).await;
    problem(send(&server, Method::DELETE, &remove_ana, &owner).await, 404).await;
    let garbage = "/api/v1/households/current/members/not-an-id";
    problem(send(&server, Method::DELETE, garbage, &owner).await, 404).await;

    let again = invite(&server, &owner).await;
    assert_eq!(join(&server, &ana, &again).await.status(), StatusCode::OK);
    let left: Value = send(&server, Method::POST, "/api/v1/households/current/leave", &ana)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(left["household_closed"], false);
    problem(
        send(&server, Method::POST, "/api/v1/households/current/leave", &ana).await,
        404,
    )
    .await;

    let closed: Value = send(&server, Method::POST, "/api/v1/households/current/leave", &owner)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(closed["household_closed"], true, "the last person leaving closes it");
    problem(current(&server, &owner).await, 404).await;
}

#[tokio::test]
async fn the_seventh_person_is_refused() {
    let server = server().await;
    let (owner, _) = household_of(&server, 4).await;
    let spare = invite(&server, &owner).await;
    let (sixth, _) = server.member().await;
    let last = invite(&server, &owner).await;
    assert_eq!(join(&server, &sixth, &last).await.status(), StatusCode::OK);

    let (seventh, _) = server.member().await;
    let refused = problem(join(&server, &seventh, &spare).await, 409).await;
    assert_eq!(refused["detail"], FULL);
    let no_more = send(&server, Method::POST, "/api/v1/households/current/invitations", &owner).await;
    assert_eq!(problem(no_more, 409).await["detail"], FULL);
    problem(current(&server, &seventh).await, 404).await;
}

#[tokio::test]
async fn six_accepts_for_the_last_seat_fill_it_once() {
    let server = server().await;
    let (owner, _) = household_of(&server, 4).await;
    let mut racers = Vec::new();
    for _ in 0..6 {
        racers.push((server.member().await.0, invite(&server, &owner).await));
    }
    let url = server.url("/api/v1/households/join");
    let tasks: Vec<_> = racers
        .into_iter()
        .map(|(token, code)| {
            let request = server
                .client
                .post(&url)
                .bearer_auth(token)
                .json(&json!({ "code": code }));
            tokio::spawn(async move { request.send().await.expect("send") })
        })
        .collect();
    let mut statuses = Vec::new();
    for task in tasks {
        let response = task.await.expect("task");
        let status = response.status().as_u16();
        if status == 409 {
            assert_eq!(problem(response, 409).await["detail"], FULL);
        }
        statuses.push(status);
    }
    statuses.sort_unstable();
    assert_eq!(
        statuses,
        [200, 409, 409, 409, 409, 409],
        "exactly one gets the last seat"
    );
    let seen: Value = current(&server, &owner).await.json().await.expect("json");
    assert_eq!(seen["members"].as_array().map(Vec::len), Some(6));
    assert_eq!(seen["seats_left"], 0);
}

#[tokio::test]
async fn used_expired_and_unknown_codes_look_alike() {
    let server = server().await;
    let (owner, members) = household_of(&server, 1).await;
    let code = invite(&server, &owner).await;
    let (ana, _) = server.member().await;
    assert_eq!(join(&server, &ana, &code).await.status(), StatusCode::OK);

    let (ben, _) = server.member().await;
    let used = problem(join(&server, &ben, &code).await, 404).await;
    let unknown = problem(
        join(&server, &ben, "0000-0000-0000-0000-0000-0000-0000-0000").await,
        404,
    )
    .await;
    assert_eq!(used, unknown, "a used code and one never issued get the same answer");

    // Already in a household: refused, and the code stays good for someone else.
    let spare = invite(&server, &owner).await;
    problem(join(&server, &members[0].0, &spare).await, 409).await;
    assert_eq!(join(&server, &ben, &spare).await.status(), StatusCode::OK);

    let expiring = TestServer::start_with(Limits {
        invitation_ttl_hours: 0,
        ..Limits::default()
    })
    .await;
    let (owner, _) = expiring.member().await;
    create(&expiring, &owner).await;
    let code = invite(&expiring, &owner).await;
    let (late, _) = expiring.member().await;
    let expired = problem(join(&expiring, &late, &code).await, 404).await;
    assert_eq!(expired, unknown, "an expired code gets the same answer too");
}

#[tokio::test]
async fn hostile_input_gets_a_clear_problem() {
    let server = server().await;
    let (token, _) = server.member().await;
    let huge = "a".repeat(1 << 20);
    for (body, field) in [
        (json!({"code": 5}), Some("code")),
        (json!({"code": null}), Some("code")),
        (json!({}), Some("code")),
        (json!({"code": "abcd", "extra": 1}), Some("extra")),
        (json!({"code": "not hex at all"}), Some("code")),
        (json!({"code": huge}), Some("code")),
        (json!([1, 2]), None),
    ] {
        let response = server.post_json("/api/v1/households/join", Some(&token), &body).await;
        let problem = problem(response, 400).await;
        if let Some(field) = field {
            assert_eq!(problem["field"], field, "{:.80}", body.to_string());
        }
    }
    for (content_type, body) in [
        ("application/json", b"{\"code\":".to_vec()),
        ("application/json", vec![0xff, 0xfe]),
        ("text/plain", b"{\"code\": \"x\"}".to_vec()),
        ("application/json", vec![b' '; 3 << 20]),
    ] {
        let response = server
            .request(Method::POST, "/api/v1/households/join", Some(&token))
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .expect("send");
        assert!(
            response.status().is_client_error(),
            "{content_type}: {}",
            response.status()
        );
        assert_eq!(response.headers()["content-type"], "application/problem+json");
    }
    let stranger = server
        .request(Method::GET, "/api/v1/households/current", None)
        .send()
        .await
        .expect("send");
    problem(stranger, 401).await;
}

#[tokio::test]
async fn admins_set_the_period() {
    let server = server().await;
    let (owner, _) = server.member().await;
    let id = create(&server, &owner).await["id"].as_str().expect("id").to_owned();
    let path = format!("/api/v1/households/{id}/period");
    let period = json!({"starts_at": "2025-01-01T00:00:00Z", "ends_at": "2025-02-01T00:00:00Z", "grace_days": 7});
    let put = |token: &str, path: &str, body: &Value| server.request(Method::PUT, path, Some(token)).json(body).send();
    problem(put(&owner, &path, &period).await.expect("send"), 403).await;

    let (admin, admin_id) = server.member().await;
    let admin_id = admin_id.parse().expect("account id");
    server
        .store
        .grant_role(admin_id, amparo_core::roles::Role::Admin)
        .await
        .expect("grant");
    let set: Value = put(&admin, &path, &period)
        .await
        .expect("send")
        .json()
        .await
        .expect("json");
    assert_eq!(set["period"]["ends_at"], "2025-02-01T00:00:00Z");
    assert_eq!(set["your_role"], "admin");
    let seen: Value = current(&server, &owner).await.json().await.expect("json");
    assert_eq!(seen["period"]["grace_days"], 7);
    assert_eq!(seen["period"]["active"], false, "lapsed: ended and past its grace");

    let unknown = "/api/v1/households/01890000-0000-7000-8000-000000000000/period";
    problem(put(&admin, unknown, &period).await.expect("send"), 404).await;
    problem(
        put(&admin, "/api/v1/households/nope/period", &period)
            .await
            .expect("send"),
        404,
    )
    .await;
    for (body, field) in [
        (json!({"starts_at": "yesterday"}), "starts_at"),
        (
            json!({"starts_at": "2025-01-01T00:00:00Z", "ends_at": "2024-01-01T00:00:00Z"}),
            "ends_at",
        ),
        (
            json!({"starts_at": "2025-01-01T00:00:00Z", "grace_days": -1}),
            "grace_days",
        ),
        (
            json!({"starts_at": "2025-01-01T00:00:00Z", "grace_days": 10_000}),
            "grace_days",
        ),
    ] {
        let response = put(&admin, &path, &body).await.expect("send");
        assert_eq!(problem(response, 400).await["field"], field, "{body}");
    }
}

#[tokio::test]
async fn code_tries_are_rate_limited() {
    let server = TestServer::start_with(Limits {
        invitation_attempts_per_minute: 3,
        ..Limits::default()
    })
    .await;
    let (token, _) = server.member().await;
    let mut statuses = Vec::new();
    for _ in 0..5 {
        let response = join(&server, &token, "0000-0000-0000-0000-0000-0000-0000-0000").await;
        statuses.push(response.status().as_u16());
    }
    assert_eq!(statuses, [404, 404, 404, 429, 429]);
}

#[tokio::test]
async fn the_household_routes_are_documented() {
    let server = TestServer::start().await;
    let doc: Value = server
        .request(Method::GET, "/api/v1/openapi.json", None)
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("json");
    for path in [
        "/api/v1/households",
        "/api/v1/households/current",
        "/api/v1/households/current/invitations",
        "/api/v1/households/current/members/{account_id}",
        "/api/v1/households/current/leave",
        "/api/v1/households/join",
        "/api/v1/households/{id}/period",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} is documented");
    }
}
