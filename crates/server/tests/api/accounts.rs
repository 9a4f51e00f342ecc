use crate::harness::{TestServer, problem};
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn sign_up_log_in_and_see_yourself() {
    let server = TestServer::start().await;
    let (token, id) = server.member().await;
    let me: serde_json::Value = server
        .request(Method::GET, "/api/v1/accounts/me", Some(&token))
        .send()
        .await
        .expect("me")
        .json()
        .await
        .expect("json");
    assert_eq!(me["id"], id);
    assert_eq!(me["roles"], json!(["member"]));
    let out = server
        .request(Method::DELETE, "/api/v1/sessions/current", Some(&token))
        .send()
        .await
        .expect("log out");
    assert_eq!(out.status(), StatusCode::NO_CONTENT);
    let after = server
        .request(Method::GET, "/api/v1/accounts/me", Some(&token))
        .send()
        .await
        .expect("me");
    problem(after, 401).await;
}

#[tokio::test]
async fn bad_sign_ups_name_the_field() {
    let server = TestServer::start().await;
    let cases = [
        (
            json!({"username": "ab", "password": "long enough password"}),
            "username",
        ),
        (json!({"username": "valid_name", "password": "short"}), "password"),
        (json!({"password": "long enough password"}), "username"),
        (json!({"username": 5, "password": "long enough password"}), "username"),
        (
            json!({"username": "valid_name", "password": "long enough password", "email": "x"}),
            "email",
        ),
    ];
    for (body, field) in cases {
        let response = server.post_json("/api/v1/accounts", None, &body).await;
        let problem = problem(response, 400).await;
        assert_eq!(problem["field"], field, "{body}");
    }
    let not_json = server
        .request(Method::POST, "/api/v1/accounts", None)
        .header("content-type", "application/json")
        .body("{nope")
        .send()
        .await
        .expect("send");
    problem(not_json, 400).await;
}

#[tokio::test]
async fn usernames_are_unique_and_wrong_passwords_fail() {
    let server = TestServer::start().await;
    let body = json!({"username": "Maria", "password": "a long enough password"});
    let first = server.post_json("/api/v1/accounts", None, &body).await;
    assert_eq!(first.status(), StatusCode::CREATED);
    let again = json!({"username": "maria", "password": "another long password"});
    let second = server.post_json("/api/v1/accounts", None, &again).await;
    problem(second, 409).await;
    let wrong = json!({"username": "Maria", "password": "not the password at all"});
    let login = server.post_json("/api/v1/sessions", None, &wrong).await;
    problem(login, 401).await;
    let nobody = json!({"username": "nobody_here", "password": "not the password at all"});
    let login = server.post_json("/api/v1/sessions", None, &nobody).await;
    problem(login, 401).await;
}

#[tokio::test]
async fn tokens_are_checked_and_roles_need_an_admin() {
    let server = TestServer::start().await;
    problem(
        server
            .request(Method::GET, "/api/v1/accounts/me", None)
            .send()
            .await
            .expect("send"),
        401,
    )
    .await;
    problem(
        server
            .request(Method::GET, "/api/v1/accounts/me", Some("forged"))
            .send()
            .await
            .expect("send"),
        401,
    )
    .await;
    let (token, id) = server.member().await;
    let grant = server
        .request(Method::POST, &format!("/api/v1/accounts/{id}/roles"), Some(&token))
        .json(&json!({"role": "admin"}))
        .send()
        .await
        .expect("send");
    problem(grant, 403).await;

    // An admin (made through the store, as `amparo admin grant-role` does) can grant roles.
    let admin_id = id.parse().expect("account id");
    server
        .store
        .grant_role(admin_id, amparo_core::roles::Role::Admin)
        .await
        .expect("grant");
    let (_, other) = server.member().await;
    let grant = server
        .request(Method::POST, &format!("/api/v1/accounts/{other}/roles"), Some(&token))
        .json(&json!({"role": "attorney"}))
        .send()
        .await
        .expect("send");
    assert_eq!(grant.status(), StatusCode::OK);
    let body: serde_json::Value = grant.json().await.expect("json");
    assert_eq!(body["roles"], json!(["member", "attorney"]));
    let bad = server
        .request(Method::POST, &format!("/api/v1/accounts/{other}/roles"), Some(&token))
        .json(&json!({"role": "sheriff"}))
        .send()
        .await
        .expect("send");
    assert_eq!(problem(bad, 400).await["field"], "role");
}

#[tokio::test]
async fn strangers_are_rate_limited() {
    let limits = amparo_server::limits::Limits {
        anonymous_requests_per_minute: 3,
        ..Default::default()
    };
    let server = TestServer::start_with(limits).await;
    let body = json!({"username": "nobody_here", "password": "not the password at all"});
    let mut statuses = Vec::new();
    for _ in 0..5 {
        statuses.push(
            server
                .post_json("/api/v1/sessions", None, &body)
                .await
                .status()
                .as_u16(),
        );
    }
    assert_eq!(statuses, [401, 401, 401, 429, 429]);
}

#[tokio::test]
async fn encounters_belong_to_their_owner() {
    let server = TestServer::start().await;
    let (owner, _) = server.member().await;
    let (stranger, _) = server.member().await;
    let id = server.start_encounter(&owner).await;
    let path = format!("/api/v1/encounters/{id}");
    problem(
        server
            .request(Method::GET, &path, Some(&stranger))
            .send()
            .await
            .expect("send"),
        403,
    )
    .await;
    problem(
        server
            .request(Method::POST, &format!("{path}/end"), Some(&stranger))
            .send()
            .await
            .expect("send"),
        403,
    )
    .await;
    problem(
        server
            .request(Method::GET, &format!("{path}/bundle"), Some(&stranger))
            .send()
            .await
            .expect("send"),
        403,
    )
    .await;
    let ended = server
        .request(Method::POST, &format!("{path}/end"), Some(&owner))
        .send()
        .await
        .expect("send");
    assert_eq!(ended.status(), StatusCode::OK);
    let body: serde_json::Value = ended.json().await.expect("json");
    assert!(body["ended_at"].is_string());
    problem(
        server
            .request(Method::POST, &format!("{path}/end"), Some(&owner))
            .send()
            .await
            .expect("send"),
        409,
    )
    .await;
    let list: serde_json::Value = server
        .request(Method::GET, "/api/v1/encounters", Some(&owner))
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("json");
    assert_eq!(list.as_array().map(Vec::len), Some(1));
    let bad = server
        .request(Method::POST, "/api/v1/encounters", Some(&owner))
        .json(&json!({"us_state": "ZZ"}))
        .send()
        .await
        .expect("send");
    assert_eq!(problem(bad, 400).await["field"], "us_state");
    let bad = server
        .request(Method::POST, "/api/v1/encounters", Some(&owner))
        .json(&json!({"location": {"latitude": 91, "longitude": 0}}))
        .send()
        .await
        .expect("send");
    assert_eq!(problem(bad, 400).await["field"], "location.latitude");
}

#[tokio::test]
async fn openapi_document_lists_the_api() {
    let server = TestServer::start().await;
    let doc: serde_json::Value = server
        .request(Method::GET, "/api/v1/openapi.json", None)
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("json");
    for path in [
        "/api/v1/accounts",
        "/api/v1/sessions",
        "/api/v1/encounters",
        "/api/v1/encounters/{id}/end",
        "/api/v1/encounters/{id}/bundle",
        "/api/v1/uploads",
        "/api/v1/uploads/{id}",
        "/log/checkpoint",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} is documented");
    }
    problem(
        server
            .request(Method::GET, "/nowhere", None)
            .send()
            .await
            .expect("send"),
        404,
    )
    .await;
}
