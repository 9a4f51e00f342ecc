//! The responders' audit log over HTTP (issue 6): admins read it newest first, a page at a time,
//! by responder, report or incident; responders and members may not; bad parameters are
//! problem+json.

use crate::harness::{TestServer, problem};
use amparo_core::roles::Role;
use amparo_server::limits::Limits;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

async fn report(server: &TestServer, token: &str) -> String {
    let body = json!({
        "kind": "checkpoint",
        "place": {"latitude": 41.85712, "longitude": -87.6563},
        "description": "Checkpoint on Ashland",
    });
    let response = server.post_json("/api/v1/reports", Some(token), &body).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let made: Value = response.json().await.expect("report");
    made["id"].as_str().expect("id").to_owned()
}

async fn post(server: &TestServer, token: &str, path: &str, body: Value) -> Value {
    let response = server.post_json(path, Some(token), &body).await;
    assert!(response.status().is_success(), "{path}: {:?}", response.text().await);
    response.json().await.expect("json")
}

async fn audit(server: &TestServer, token: &str, query: &str) -> reqwest::Response {
    server
        .request(Method::GET, &format!("/api/v1/audit-log{query}"), Some(token))
        .send()
        .await
        .expect("get")
}

async fn page(server: &TestServer, token: &str, query: &str) -> Value {
    let response = audit(server, token, query).await;
    assert_eq!(response.status(), StatusCode::OK, "{query}");
    response.json().await.expect("page")
}

fn actions(page: &Value) -> Vec<&str> {
    page["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| e["action"].as_str().expect("action"))
        .collect()
}

#[tokio::test]
async fn admins_read_the_audit_log_by_page_and_filter() {
    let server = TestServer::start_with(Limits {
        reports_per_hour: 1_000,
        reports_per_hour_per_address: 1_000,
        ..Limits::default()
    })
    .await;
    let (admin, _) = server.with_role(Role::Admin).await;
    let (ana, ana_id) = server.with_role(Role::Responder).await;
    let (ben, _) = server.with_role(Role::Responder).await;
    let (member, _) = server.member().await;
    let first = report(&server, &member).await;
    let second = report(&server, &member).await;
    post(
        &server,
        &ana,
        &format!("/api/v1/reports/{first}/questions"),
        json!({"question": "Which corner?"}),
    )
    .await;
    let incident = post(
        &server,
        &ana,
        &format!("/api/v1/reports/{first}/verify"),
        json!({"how": "in_person"}),
    )
    .await;
    let incident = incident["id"].as_str().expect("id").to_owned();
    post(
        &server,
        &ben,
        &format!("/api/v1/reports/{second}/reject"),
        json!({"reason": "The photo is from 2019"}),
    )
    .await;
    let withdrawn = server
        .request(Method::PATCH, &format!("/api/v1/incidents/{incident}"), Some(&ben))
        .json(&json!({"note": "They left", "withdrawn": true}))
        .send()
        .await
        .expect("withdraw");
    assert_eq!(withdrawn.status(), StatusCode::OK);

    let all = page(&server, &admin, "").await;
    assert_eq!(
        actions(&all),
        vec!["withdraw", "reject", "verify", "ask"],
        "newest first"
    );
    assert!(all["next"].is_null(), "one page holds it all");
    let reject = &all["entries"][1];
    assert_eq!(reject["note"], "The photo is from 2019");
    assert_eq!(reject["report"], second.as_str());
    assert!(
        reject["responder"]["username"]
            .as_str()
            .is_some_and(|u| u.starts_with('m'))
    );
    assert!(reject["at"].is_string());

    let anas = page(&server, &admin, &format!("?responder={ana_id}")).await;
    assert_eq!(actions(&anas), vec!["verify", "ask"]);
    assert!(
        anas["entries"]
            .as_array()
            .expect("entries")
            .iter()
            .all(|e| e["responder"]["id"] == ana_id.as_str())
    );
    assert_eq!(
        actions(&page(&server, &admin, &format!("?report={first}")).await),
        vec!["verify", "ask"]
    );
    assert_eq!(
        actions(&page(&server, &admin, &format!("?incident={incident}")).await),
        vec!["withdraw", "verify"]
    );

    // A page at a time: each entry once, in order.
    let mut seen = Vec::new();
    let mut query = "?limit=3".to_owned();
    loop {
        let this = page(&server, &admin, &query).await;
        seen.extend(actions(&this).into_iter().map(str::to_owned));
        match this["next"].as_str() {
            Some(next) => query = format!("?limit=3&before={next}"),
            None => break,
        }
    }
    assert_eq!(seen, vec!["withdraw", "reject", "verify", "ask"]);

    for bad in [
        "?before=abc",
        "?before=-4",
        "?responder=nobody",
        "?incident=1",
        "?limit=0",
        "?limit=5000",
    ] {
        problem(audit(&server, &admin, bad).await, 400).await;
    }
    for who in [&ana, &member] {
        let refused = problem(audit(&server, who, "").await, 403).await;
        assert!(
            refused["detail"].as_str().expect("detail").contains("admin"),
            "{refused}"
        );
    }
    let anonymous = server
        .request(Method::GET, "/api/v1/audit-log", None)
        .send()
        .await
        .expect("get");
    problem(anonymous, 401).await;
}
