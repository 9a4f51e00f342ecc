//! Organizations over HTTP: server admins create them and name their admins; an organization's
//! admins give and reclaim seats and set its policy, for their own organization only; the pool's
//! size under a race; what a seat covers; pending invitations; hostile input.

use crate::harness::{TestServer, problem};
use amparo_core::roles::Role;
use amparo_server::limits::Limits;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// Someone logged in: token, account id, username.
struct Person {
    token: String,
    id: String,
    username: String,
}

async fn server() -> TestServer {
    TestServer::start_with(Limits {
        anonymous_requests_per_minute: 10_000,
        ..Limits::default()
    })
    .await
}

async fn person(server: &TestServer) -> Person {
    let (token, id) = server.member().await;
    let me: Value = call(server, Method::GET, "/api/v1/accounts/me", &token, None)
        .await
        .json()
        .await
        .expect("me");
    let username = me["username"].as_str().expect("username").to_owned();
    Person { token, id, username }
}

async fn admin(server: &TestServer) -> Person {
    let admin = person(server).await;
    let id = admin.id.parse().expect("account id");
    server.store.grant_role(id, Role::Admin).await.expect("grant admin");
    admin
}

async fn call(server: &TestServer, method: Method, path: &str, token: &str, body: Option<Value>) -> reqwest::Response {
    let request = server.request(method, path, Some(token));
    let request = match body {
        Some(body) => request.json(&body),
        None => request,
    };
    request.send().await.expect("send")
}

async fn ok_json(response: reqwest::Response, status: StatusCode) -> Value {
    assert_eq!(response.status(), status, "{:?}", response.text().await);
    response.json().await.expect("json")
}

/// An organization of `seats` created by `admin`, with `org_admin` named its admin; its id.
async fn organization(server: &TestServer, admin: &Person, org_admin: &Person, seats: u32) -> String {
    let body = json!({
        "name": "Legal Aid of the Valley",
        "seats": seats,
        "policy": {"seat_covers_household": true, "backup_line": "+1 555 010 0100",
                   "lapsed_alerts": true, "lapsed_attorney_line": false},
    });
    let created = call(server, Method::POST, "/api/v1/organizations", &admin.token, Some(body)).await;
    let created = ok_json(created, StatusCode::CREATED).await;
    let id = created["id"].as_str().expect("id").to_owned();
    let named = json!({"username": org_admin.username});
    let path = format!("/api/v1/organizations/{id}/admins");
    let response = call(server, Method::POST, &path, &admin.token, Some(named)).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    id
}

async fn assign(server: &TestServer, org: &str, by: &Person, who: &str) -> reqwest::Response {
    let path = format!("/api/v1/organizations/{org}/seats");
    call(server, Method::POST, &path, &by.token, Some(json!({"username": who}))).await
}

async fn join(server: &TestServer, who: &Person, code: &Value) -> reqwest::Response {
    let body = json!({ "code": code });
    call(server, Method::POST, "/api/v1/households/join", &who.token, Some(body)).await
}

async fn coverage(server: &TestServer, who: &Person) -> Value {
    ok_json(
        call(server, Method::GET, "/api/v1/coverage", &who.token, None).await,
        StatusCode::OK,
    )
    .await
}

#[tokio::test]
async fn an_organization_gives_seats_reclaims_them_and_reports_usage() {
    let server = server().await;
    let (root, boss) = (admin(&server).await, person(&server).await);
    let org = organization(&server, &root, &boss, 2).await;
    let mine = ok_json(
        call(&server, Method::GET, "/api/v1/organizations/mine", &boss.token, None).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(mine[0]["id"], org.as_str());
    assert_eq!(
        mine[0]["seats"],
        json!({"total": 2, "used": 0, "free": 2, "over_allocated": 0})
    );
    assert_eq!(mine[0]["policy"]["backup_line"], "+1 555 010 0100");
    assert_eq!(mine[0]["phase"], "active", "open-ended from creation");

    let (ana, ben, carl) = (person(&server).await, person(&server).await, person(&server).await);
    assert_eq!(coverage(&server, &ana).await["plan"], "none");
    let seat = ok_json(assign(&server, &org, &boss, &ana.username).await, StatusCode::CREATED).await;
    assert_eq!(
        (&seat["account_id"], &seat["username"]),
        (&json!(ana.id), &json!(ana.username))
    );
    problem(assign(&server, &org, &boss, &ana.username).await, 409).await;
    ok_json(assign(&server, &org, &boss, &ben.username).await, StatusCode::CREATED).await;
    let full = problem(assign(&server, &org, &boss, &carl.username).await, 409).await;
    assert!(
        full["detail"].as_str().is_some_and(|d| d.contains("All 2 seats")),
        "{full}"
    );

    let seats_path = format!("/api/v1/organizations/{org}/seats");
    let listed = ok_json(
        call(&server, Method::GET, &seats_path, &boss.token, None).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(listed["usage"]["used"], 2);
    let names: Vec<&str> = listed["seats"]
        .as_array()
        .expect("seats")
        .iter()
        .filter_map(|s| s["username"].as_str())
        .collect();
    assert_eq!(names, [ana.username.as_str(), ben.username.as_str()]);

    let covered = coverage(&server, &ana).await;
    assert_eq!(
        (&covered["plan"], &covered["organization_id"]),
        (&json!("organization"), &json!(org))
    );
    assert_eq!(
        (&covered["alerts"], &covered["attorney_line"], &covered["recording"]),
        (&json!(true), &json!(true), &json!(true))
    );
    assert_eq!(covered["backup_line"], "+1 555 010 0100");

    let ana_seat = format!("/api/v1/organizations/{org}/seats/{}", ana.id);
    assert_eq!(
        call(&server, Method::DELETE, &ana_seat, &boss.token, None)
            .await
            .status(),
        StatusCode::NO_CONTENT
    );
    problem(call(&server, Method::DELETE, &ana_seat, &boss.token, None).await, 404).await;
    problem(
        call(
            &server,
            Method::DELETE,
            &format!("/api/v1/organizations/{org}/seats/not-an-id"),
            &boss.token,
            None,
        )
        .await,
        404,
    )
    .await;
    assert_eq!(
        coverage(&server, &ana).await["plan"],
        "none",
        "a reclaimed seat covers no more"
    );
    ok_json(assign(&server, &org, &boss, &carl.username).await, StatusCode::CREATED).await;

    // Billing (here, the server's admin) shrinks the pool below what is used: accepted, reported.
    let plan = json!({"period": {"starts_at": "2025-01-01T00:00:00Z", "ends_at": "2099-01-01T00:00:00Z", "grace_days": 30}, "seats": 1});
    let plan_path = format!("/api/v1/organizations/{org}/plan");
    let shrunk = ok_json(
        call(&server, Method::PUT, &plan_path, &root.token, Some(plan.clone())).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        shrunk["seats"],
        json!({"total": 1, "used": 2, "free": 0, "over_allocated": 1})
    );
    problem(
        call(&server, Method::PUT, &plan_path, &boss.token, Some(plan)).await,
        403,
    )
    .await;
    let reclaim = format!("/api/v1/organizations/{org}/seats/{}", ben.id);
    assert_eq!(
        call(&server, Method::DELETE, &reclaim, &boss.token, None)
            .await
            .status(),
        StatusCode::NO_CONTENT
    );
    let over = problem(assign(&server, &org, &boss, &ana.username).await, 409).await;
    assert!(
        over["detail"].as_str().is_some_and(|d| d.contains("All 1 seats")),
        "{over}"
    );
}

#[tokio::test]
async fn admins_manage_their_own_organization_only() {
    let server = server().await;
    let root = admin(&server).await;
    let (boss, rival, stranger) = (person(&server).await, person(&server).await, person(&server).await);
    let org = organization(&server, &root, &boss, 5).await;
    let other = organization(&server, &root, &rival, 5).await;
    let policy = json!({"seat_covers_household": false, "backup_line": null, "lapsed_alerts": false, "lapsed_attorney_line": false});

    for who in [&rival, &stranger] {
        for (method, path, body) in [
            (Method::GET, format!("/api/v1/organizations/{org}"), None),
            (Method::GET, format!("/api/v1/organizations/{org}/seats"), None),
            (
                Method::POST,
                format!("/api/v1/organizations/{org}/seats"),
                Some(json!({"username": stranger.username})),
            ),
            (
                Method::DELETE,
                format!("/api/v1/organizations/{org}/seats/{}", boss.id),
                None,
            ),
            (
                Method::PUT,
                format!("/api/v1/organizations/{org}/policy"),
                Some(policy.clone()),
            ),
        ] {
            let response = call(&server, method.clone(), &path, &who.token, body).await;
            problem(response, 403).await;
        }
    }
    // Only the server's admins create organizations, name admins and set plans.
    let create = json!({"name": "Mine now", "seats": 10});
    problem(
        call(
            &server,
            Method::POST,
            "/api/v1/organizations",
            &boss.token,
            Some(create),
        )
        .await,
        403,
    )
    .await;
    let name = json!({"username": boss.username});
    let path = format!("/api/v1/organizations/{other}/admins");
    problem(call(&server, Method::POST, &path, &boss.token, Some(name)).await, 403).await;
    let demote = format!("/api/v1/organizations/{other}/admins/{}", rival.id);
    problem(call(&server, Method::DELETE, &demote, &boss.token, None).await, 403).await;

    // Unknown and malformed organizations are 404 for everyone.
    for path in [
        "/api/v1/organizations/0190a0a0-0000-7000-8000-000000000000",
        "/api/v1/organizations/nope",
    ] {
        problem(call(&server, Method::GET, path, &boss.token, None).await, 404).await;
    }
    problem(
        call(&server, Method::GET, "/api/v1/organizations/mine", "bad-token", None).await,
        401,
    )
    .await;

    // The server's admin takes the role back: the rival loses access to their organization.
    assert_eq!(
        call(&server, Method::DELETE, &demote, &root.token, None).await.status(),
        StatusCode::NO_CONTENT
    );
    problem(
        call(
            &server,
            Method::GET,
            &format!("/api/v1/organizations/{other}"),
            &rival.token,
            None,
        )
        .await,
        403,
    )
    .await;
    let set = ok_json(
        call(
            &server,
            Method::PUT,
            &format!("/api/v1/organizations/{org}/policy"),
            &boss.token,
            Some(policy),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(set["policy"]["seat_covers_household"], false);
    assert_eq!(set["policy"]["backup_line"], Value::Null);
}

#[tokio::test]
async fn a_seat_covers_its_holders_household_when_the_organization_allows_it() {
    let server = server().await;
    let (root, boss) = (admin(&server).await, person(&server).await);
    let org = organization(&server, &root, &boss, 5).await;
    let (owner, member) = (person(&server).await, person(&server).await);
    ok_json(
        call(&server, Method::POST, "/api/v1/households", &owner.token, None).await,
        StatusCode::CREATED,
    )
    .await;
    let invitation = ok_json(
        call(
            &server,
            Method::POST,
            "/api/v1/households/current/invitations",
            &owner.token,
            None,
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let joined = call(
        &server,
        Method::POST,
        "/api/v1/households/join",
        &member.token,
        Some(json!({"code": invitation["code"]})),
    )
    .await;
    assert_eq!(joined.status(), StatusCode::OK);
    assert_eq!(coverage(&server, &member).await["plan"], "household");

    ok_json(assign(&server, &org, &boss, &owner.username).await, StatusCode::CREATED).await;
    let covered = coverage(&server, &member).await;
    assert_eq!(
        (&covered["plan"], &covered["organization_id"]),
        (&json!("organization_household"), &json!(org))
    );

    let policy = json!({"seat_covers_household": false, "backup_line": null, "lapsed_alerts": false, "lapsed_attorney_line": false});
    let path = format!("/api/v1/organizations/{org}/policy");
    ok_json(
        call(&server, Method::PUT, &path, &boss.token, Some(policy)).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        coverage(&server, &member).await["plan"],
        "household",
        "the organization stopped covering households"
    );
    assert_eq!(
        coverage(&server, &owner).await["plan"],
        "organization",
        "the seat still covers its holder"
    );
}

#[tokio::test]
async fn six_assignments_racing_for_the_last_seat_fill_it_once() {
    let server = server().await;
    let (root, boss) = (admin(&server).await, person(&server).await);
    let org = organization(&server, &root, &boss, 1).await;
    let mut racers = Vec::new();
    for _ in 0..6 {
        racers.push(person(&server).await);
    }
    let path = format!("/api/v1/organizations/{org}/seats");
    let tasks: Vec<_> = racers
        .iter()
        .map(|r| {
            let request = server
                .request(Method::POST, &path, Some(&boss.token))
                .json(&json!({"username": r.username}));
            tokio::spawn(async move { request.send().await.expect("send").status().as_u16() })
        })
        .collect();
    let mut statuses = Vec::new();
    for task in tasks {
        statuses.push(task.await.expect("task"));
    }
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 1, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 409).count(), 5, "{statuses:?}");
}

#[tokio::test]
async fn owners_list_and_revoke_pending_invitations_without_seeing_codes() {
    let server = server().await;
    let (owner, member, guest) = (person(&server).await, person(&server).await, person(&server).await);
    ok_json(
        call(&server, Method::POST, "/api/v1/households", &owner.token, None).await,
        StatusCode::CREATED,
    )
    .await;
    let invite = || {
        call(
            &server,
            Method::POST,
            "/api/v1/households/current/invitations",
            &owner.token,
            None,
        )
    };
    let first = ok_json(invite().await, StatusCode::CREATED).await;
    let second = ok_json(invite().await, StatusCode::CREATED).await;
    assert_eq!(join(&server, &member, &first["code"]).await.status(), StatusCode::OK);

    let path = "/api/v1/households/current/invitations";
    let pending = ok_json(
        call(&server, Method::GET, path, &owner.token, None).await,
        StatusCode::OK,
    )
    .await;
    let pending = pending.as_array().expect("a list");
    assert_eq!(pending.len(), 1, "the used one is not pending: {pending:?}");
    assert_eq!(pending[0]["expires_at"], second["expires_at"]);
    let text = serde_json::to_string(pending).expect("json");
    let digits = second["code"].as_str().expect("code").replace('-', "");
    assert!(
        !text.contains(&digits) && !text.contains("code"),
        "never the code: {text}"
    );
    problem(call(&server, Method::GET, path, &member.token, None).await, 403).await;
    problem(call(&server, Method::GET, path, &guest.token, None).await, 404).await;

    let revoke = format!("{path}/{}", pending[0]["id"].as_str().expect("id"));
    problem(call(&server, Method::DELETE, &revoke, &member.token, None).await, 403).await;
    assert_eq!(
        call(&server, Method::DELETE, &revoke, &owner.token, None)
            .await
            .status(),
        StatusCode::NO_CONTENT
    );
    problem(call(&server, Method::DELETE, &revoke, &owner.token, None).await, 404).await;
    problem(
        call(&server, Method::DELETE, &format!("{path}/xyz"), &owner.token, None).await,
        404,
    )
    .await;
    problem(join(&server, &guest, &second["code"]).await, 404).await;
    let left = ok_json(
        call(&server, Method::GET, path, &owner.token, None).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(left, json!([]));
}

#[tokio::test]
async fn bad_input_gets_a_problem_naming_the_field() {
    let server = server().await;
    let (root, boss) = (admin(&server).await, person(&server).await);
    let org = organization(&server, &root, &boss, 3).await;
    let create = |body: Value| call(&server, Method::POST, "/api/v1/organizations", &root.token, Some(body));
    let policy = |line: Value| json!({"seat_covers_household": true, "backup_line": line, "lapsed_alerts": false, "lapsed_attorney_line": false});
    for (body, field) in [
        (json!({"name": "", "seats": 1}), "name"),
        (json!({"name": "a\nb", "seats": 1}), "name"),
        (json!({"name": "x".repeat(500), "seats": 1}), "name"),
        (json!({"name": "Org", "seats": 1_000_001}), "seats"),
        (json!({"name": "Org", "seats": -1}), "seats"),
        (json!({"name": "Org"}), "seats"),
        (json!({"name": "Org", "seats": 1, "colour": "red"}), "colour"),
        (
            json!({"name": "Org", "seats": 1, "policy": policy(json!("call Ana"))}),
            "backup_line",
        ),
        (
            json!({"name": "Org", "seats": 1, "policy": {"seat_covers_household": true}}),
            "policy.lapsed_alerts",
        ),
        (
            json!({"name": "Org", "seats": 1, "period": {"starts_at": "tomorrow"}}),
            "starts_at",
        ),
        (
            json!({"name": "Org", "seats": 1, "period": {"starts_at": "2025-01-01T00:00:00Z", "ends_at": "2024-01-01T00:00:00Z"}}),
            "ends_at",
        ),
    ] {
        let body = problem(create(body.clone()).await, 400).await;
        assert_eq!(body["field"], field, "{body}");
    }
    let not_json = server
        .request(Method::POST, "/api/v1/organizations", Some(&root.token))
        .header("content-type", "application/json")
        .body("{nope")
        .send()
        .await
        .expect("send");
    problem(not_json, 400).await;

    for (username, status) in [
        ("", 400),
        ("a b", 400),
        (&"x".repeat(10_000) as &str, 400),
        ("nobody_here", 404),
    ] {
        problem(assign(&server, &org, &boss, username).await, status).await;
    }
    let path = format!("/api/v1/organizations/{org}/policy");
    let bad = problem(
        call(
            &server,
            Method::PUT,
            &path,
            &boss.token,
            Some(policy(json!("+1+2 555 0100"))),
        )
        .await,
        400,
    )
    .await;
    assert_eq!(bad["field"], "backup_line");
    let missing = problem(
        call(
            &server,
            Method::PUT,
            &path,
            &boss.token,
            Some(json!({"seat_covers_household": true})),
        )
        .await,
        400,
    )
    .await;
    assert!(missing["field"].is_string(), "{missing}");
}
