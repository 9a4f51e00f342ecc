//! The rapid-response network (issue 6) over HTTP and the live WebSocket: a member reports, a
//! responder verifies, subscribers whose areas hold the cell are alerted and nobody else is;
//! unverified and expired reports alert nobody; who may do what; bad input; plate search.

use crate::harness::{TestServer, problem};
use amparo_core::roles::Role;
use amparo_server::limits::Limits;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::time::Duration;

const PILSEN: (f64, f64) = (41.85712, -87.6563);
/// About 22 km north: outside any small area around Pilsen.
const EVANSTON: (f64, f64) = (42.0451, -87.6877);

fn limits() -> Limits {
    Limits {
        anonymous_requests_per_minute: 10_000,
        reports_per_hour: 1_000,
        reports_per_hour_per_address: 1_000,
        ..Limits::default()
    }
}

async fn responder(server: &TestServer) -> String {
    let (token, id) = server.member().await;
    server
        .store
        .grant_role(id.parse().expect("id"), Role::Responder)
        .await
        .expect("grant responder");
    token
}

async fn watch(server: &TestServer, token: &str, at: (f64, f64), radius_m: u32) {
    let created = server
        .post_json(
            "/api/v1/watch-areas",
            Some(token),
            &json!({"label": "home", "circle": {"latitude": at.0, "longitude": at.1, "radius_m": radius_m}}),
        )
        .await;
    assert_eq!(created.status(), StatusCode::CREATED, "{:?}", created.text().await);
}

async fn report(server: &TestServer, token: &str, body: &Value) -> Value {
    let response = server.post_json("/api/v1/reports", Some(token), body).await;
    assert_eq!(response.status(), StatusCode::CREATED, "{:?}", response.text().await);
    response.json().await.expect("report json")
}

fn checkpoint(plate: &str) -> Value {
    json!({
        "kind": "checkpoint",
        "place": {"latitude": PILSEN.0, "longitude": PILSEN.1},
        "description": "Checkpoint on 18th Street, two white vans",
        "vehicles": [{"plate": plate, "region": "il", "make": "Ford", "model": "Transit", "colour": "white"}],
    })
}

async fn verify(server: &TestServer, token: &str, report: &str) -> reqwest::Response {
    server
        .post_json(
            &format!("/api/v1/reports/{report}/verify"),
            Some(token),
            &json!({"how": "in_person", "description": "Checkpoint on 18th Street, confirmed on site"}),
        )
        .await
}

async fn get(server: &TestServer, path: &str, token: &str) -> reqwest::Response {
    server
        .request(Method::GET, path, Some(token))
        .send()
        .await
        .expect("get")
}

#[tokio::test]
async fn a_verified_report_alerts_subscribers_in_the_area_and_nobody_else() {
    let server = TestServer::start_with(limits()).await;
    let (reporter, _) = server.member().await;
    let responder = responder(&server).await;
    let (near, _) = server.member().await;
    let (far, _) = server.member().await;
    watch(&server, &near, PILSEN, 1_000).await;
    watch(&server, &far, EVANSTON, 1_000).await;
    let mut near_live = server.live(&near).await;
    let mut far_live = server.live(&far).await;

    let made = report(&server, &reporter, &checkpoint("7ABC123")).await;
    assert_eq!(made["state"], "unverified");
    assert!(
        made.get("reporter").is_none(),
        "the reporter is not shown to themselves as a record"
    );
    let cell = made["place"]["cell"].as_str().expect("cell").to_owned();
    // Unverified: nobody hears of it.
    assert!(
        near_live
            .next_of("incident", Duration::from_millis(500))
            .await
            .is_none()
    );

    let queue: Value = get(&server, &format!("/api/v1/reports?near={cell}"), &responder)
        .await
        .json()
        .await
        .expect("queue");
    let listed = queue
        .as_array()
        .expect("list")
        .iter()
        .find(|r| r["id"] == made["id"])
        .expect("in the queue")
        .clone();
    assert_eq!(
        listed["reporter"]["total"], 0,
        "the reporter's record is shown to responders"
    );
    assert_eq!(listed["distance_cells"], 0);

    let verified = verify(&server, &responder, made["id"].as_str().expect("id")).await;
    assert_eq!(verified.status(), StatusCode::CREATED);
    let incident: Value = verified.json().await.expect("incident");
    let alert = near_live
        .next_of("incident", Duration::from_secs(5))
        .await
        .expect("the near subscriber is alerted");
    assert_eq!(alert["event"], "verified");
    assert_eq!(alert["incident"]["id"], incident["id"]);
    assert_eq!(alert["incident"]["verified_how"], "in_person");
    assert_eq!(alert["incident"]["place"]["cell"], cell.as_str());
    assert!(
        alert["incident"].get("verified_by").is_none(),
        "subscribers never learn who verified"
    );
    assert!(
        far_live.next_of("incident", Duration::from_millis(500)).await.is_none(),
        "outside the area"
    );

    let id = incident["id"].as_str().expect("id");
    let listed: Value = get(&server, "/api/v1/incidents", &near)
        .await
        .json()
        .await
        .expect("incidents");
    assert_eq!(listed[0]["id"], id);
    problem(get(&server, &format!("/api/v1/incidents/{id}"), &far).await, 404).await;
    let twice = verify(&server, &responder, made["id"].as_str().expect("id")).await;
    problem(twice, 409).await;

    // Withdrawn: the subscriber is told.
    let withdrawn = server
        .request(Method::PATCH, &format!("/api/v1/incidents/{id}"), Some(&responder))
        .json(&json!({"note": "They left at 3 pm", "withdrawn": true}))
        .send()
        .await
        .expect("patch");
    assert_eq!(withdrawn.status(), StatusCode::OK);
    let update = near_live
        .next_of("incident", Duration::from_secs(5))
        .await
        .expect("withdrawal sent");
    assert_eq!(update["event"], "withdrawn");
    assert_eq!(update["incident"]["note"], "They left at 3 pm");

    // The reporter sees what became of their report.
    let mine: Value = get(&server, "/api/v1/reports/mine", &reporter)
        .await
        .json()
        .await
        .expect("mine");
    assert_eq!(mine[0]["state"], "verified");
    assert_eq!(mine[0]["incident"], id);
}

#[tokio::test]
async fn members_and_strangers_are_refused_responder_actions() {
    let server = TestServer::start_with(limits()).await;
    let (reporter, _) = server.member().await;
    let (member, _) = server.member().await;
    let made = report(&server, &reporter, &checkpoint("5SAM123")).await;
    let id = made["id"].as_str().expect("id");
    problem(get(&server, "/api/v1/reports", &member).await, 403).await;
    for action in ["verify", "reject", "merge", "questions"] {
        let body = json!({"how": "photo", "reason": "x", "incident": id, "question": "where?"});
        let refused = server
            .post_json(&format!("/api/v1/reports/{id}/{action}"), Some(&member), &body)
            .await;
        // Unknown fields are refused before the role is checked in some handlers: both say no.
        assert!(
            matches!(refused.status().as_u16(), 400 | 403),
            "{action}: {}",
            refused.status()
        );
    }
    let refused = server
        .post_json(
            &format!("/api/v1/reports/{id}/verify"),
            Some(&member),
            &json!({"how": "photo"}),
        )
        .await;
    problem(refused, 403).await;
    let stranger = server
        .post_json(&format!("/api/v1/reports/{id}/verify"), None, &json!({"how": "photo"}))
        .await;
    problem(stranger, 401).await;
    // Someone else's report is not there for a member.
    problem(get(&server, &format!("/api/v1/reports/{id}"), &member).await, 404).await;
    assert_eq!(
        get(&server, &format!("/api/v1/reports/{id}"), &reporter).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn bad_input_is_refused_with_a_clear_detail() {
    let server = TestServer::start_with(limits()).await;
    let (member, _) = server.member().await;
    let cases = [
        (
            json!({"kind": "riot", "place": {"latitude": 1.0, "longitude": 1.0}, "description": "x"}),
            "kind",
        ),
        (
            json!({"kind": "arrest", "place": {"latitude": 1.0}, "description": "x"}),
            "place",
        ),
        (
            json!({"kind": "arrest", "place": {"latitude": 91.0, "longitude": 1.0}, "description": "x"}),
            "place",
        ),
        (
            json!({"kind": "arrest", "place": {"cell": "nope"}, "description": "x"}),
            "place",
        ),
        (
            json!({"kind": "arrest", "place": {"latitude": 1.0, "longitude": 1.0}, "description": "  "}),
            "description",
        ),
        (
            json!({"kind": "vehicle", "place": {"latitude": 1.0, "longitude": 1.0}, "description": "van", "vehicles": [{"plate": "7AB#1"}]}),
            "vehicles[0].plate",
        ),
        (
            json!({"kind": "arrest", "place": {"latitude": 1.0, "longitude": 1.0}, "description": "x", "observed_at": "2999-01-01T00:00:00Z"}),
            "observed_at",
        ),
        (
            json!({"kind": "arrest", "place": {"latitude": 1.0, "longitude": 1.0}, "description": "x", "officer_name": "x"}),
            "officer_name",
        ),
    ];
    for (body, field) in cases {
        let refused = problem(server.post_json("/api/v1/reports", Some(&member), &body).await, 400).await;
        assert_eq!(refused["field"], field, "{refused}");
    }
    let huge = json!({"label": "city", "circle": {"latitude": PILSEN.0, "longitude": PILSEN.1, "radius_m": 60_000}});
    let refused = problem(server.post_json("/api/v1/watch-areas", Some(&member), &huge).await, 400).await;
    assert!(
        refused["detail"].as_str().expect("detail").contains("smaller radius"),
        "{refused}"
    );
    let vague = problem(get(&server, "/api/v1/vehicles?plate=7A", &member).await, 400).await;
    assert!(
        vague["detail"].as_str().expect("detail").contains("three characters"),
        "{vague}"
    );
    let mumble = json!({"transcript": "um I don't know"});
    problem(
        server
            .post_json("/api/v1/vehicles/spoken", Some(&member), &mumble)
            .await,
        400,
    )
    .await;
}

#[tokio::test]
async fn an_expired_report_leaves_the_queue_and_alerts_nobody() {
    let server = TestServer::start_with(Limits {
        report_expiry_secs: 1,
        ..limits()
    })
    .await;
    let (reporter, _) = server.member().await;
    let responder = responder(&server).await;
    let (near, _) = server.member().await;
    watch(&server, &near, PILSEN, 1_000).await;
    let mut near_live = server.live(&near).await;
    let made = report(&server, &reporter, &checkpoint("8BAD555")).await;
    let id = made["id"].as_str().expect("id");
    let in_queue = |queue: &Value| queue.as_array().expect("list").iter().any(|r| r["id"] == id);
    let queue: Value = get(&server, "/api/v1/reports", &responder)
        .await
        .json()
        .await
        .expect("queue");
    assert!(in_queue(&queue));
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    let queue: Value = get(&server, "/api/v1/reports", &responder)
        .await
        .json()
        .await
        .expect("queue");
    assert!(!in_queue(&queue), "gone when its time is up");
    let mine: Value = get(&server, "/api/v1/reports/mine", &reporter)
        .await
        .json()
        .await
        .expect("mine");
    assert_eq!(mine[0]["state"], "expired", "the reporter sees it expired at once");
    problem(verify(&server, &responder, id).await, 409).await;
    assert!(
        near_live
            .next_of("incident", Duration::from_millis(300))
            .await
            .is_none()
    );
}

#[tokio::test]
async fn reports_are_rate_limited_per_account() {
    let server = TestServer::start_with(Limits {
        reports_per_hour: 2,
        ..limits()
    })
    .await;
    let (member, _) = server.member().await;
    report(&server, &member, &checkpoint("1ABC111")).await;
    report(&server, &member, &checkpoint("1ABC112")).await;
    let third = server
        .post_json("/api/v1/reports", Some(&member), &checkpoint("1ABC113"))
        .await;
    problem(third, 429).await;
}

/// Verified reports put their vehicles in the registry; searches forgive confusable characters
/// and take wildcards; a spoken plate in English or Spanish finds the same vehicle.
#[tokio::test]
async fn plates_are_found_typed_partially_confused_and_spoken() {
    let server = TestServer::start_with(limits()).await;
    let (reporter, _) = server.member().await;
    let responder = responder(&server).await;
    let (member, _) = server.member().await;
    for plate in ["7ABC123", "7XYZ999", "ABC1234"] {
        let made = report(&server, &reporter, &checkpoint(plate)).await;
        let verified = verify(&server, &responder, made["id"].as_str().expect("id")).await;
        assert_eq!(verified.status(), StatusCode::CREATED);
    }
    let search = |q: &str| {
        let path = format!("/api/v1/vehicles?plate={}", q.replace('*', "%2A").replace('?', "%3F"));
        let (server, member, q) = (&server, &member, q.to_owned());
        async move {
            let response = get(server, &path, member).await;
            assert_eq!(response.status(), StatusCode::OK, "{q}");
            let body: Value = response.json().await.expect("json");
            body["results"]
                .as_array()
                .expect("results")
                .iter()
                .map(|v| v["plate"].as_str().expect("plate").to_owned())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(search("7ABC123").await[0], "7ABC123");
    // 8 for B, O for 0 aside: the confusable reading still finds it first.
    assert_eq!(search("7A8C*").await[0], "7ABC123");
    assert_eq!(search("7?BC12?").await, vec!["7ABC123"]);
    let partial = search("ABC12").await;
    assert!(
        partial.contains(&"7ABC123".to_owned()) && partial.contains(&"ABC1234".to_owned()),
        "{partial:?}"
    );

    let spoken = |transcript: &str| {
        let body = json!({"transcript": transcript});
        let (server, member) = (&server, &member);
        async move {
            let response = server.post_json("/api/v1/vehicles/spoken", Some(member), &body).await;
            assert_eq!(response.status(), StatusCode::OK);
            response.json::<Value>().await.expect("json")
        }
    };
    let english = spoken("it was seven alpha bravo charlie one two three").await;
    assert_eq!(english["readings"][0]["plate"], "7ABC123");
    assert_eq!(english["results"][0]["plate"], "7ABC123");
    let spanish = spoken("placa siete a de adam be de burro ce de casa uno dos tres").await;
    assert_eq!(spanish["results"][0]["plate"], "7ABC123");

    // A responder clears a vehicle with a reason; members cannot.
    let id = english["results"][0]["id"].as_str().expect("id").to_owned();
    let body = json!({"status": "cleared", "reason": "a rental, returned"});
    problem(
        server
            .post_json(&format!("/api/v1/vehicles/{id}/status"), Some(&member), &body)
            .await,
        403,
    )
    .await;
    let cleared = server
        .post_json(&format!("/api/v1/vehicles/{id}/status"), Some(&responder), &body)
        .await;
    assert_eq!(cleared.status(), StatusCode::OK);
    let vehicle: Value = get(&server, &format!("/api/v1/vehicles/{id}"), &member)
        .await
        .json()
        .await
        .expect("vehicle");
    assert_eq!(vehicle["status"], "cleared");
    assert_eq!(vehicle["sightings"].as_array().expect("sightings").len(), 1);
}

/// The map is drawn from the cells themselves: places carry their corners, watch areas each
/// cell's corners, and `/api/v1/cells` the cells around a point (nothing kept).
#[tokio::test]
async fn maps_are_drawn_from_cells_with_their_corners() {
    let server = TestServer::start_with(limits()).await;
    let (member, _) = server.member().await;
    let around: Value = get(
        &server,
        &format!("/api/v1/cells?latitude={}&longitude={}&rings=2", PILSEN.0, PILSEN.1),
        &member,
    )
    .await
    .json()
    .await
    .expect("cells");
    let cells = around["cells"].as_array().expect("cells");
    assert_eq!(cells.len(), 19, "the centre and two rings");
    let centre = around["centre"]["cell"].as_str().expect("centre");
    assert!(cells.iter().any(|c| c["cell"] == centre));
    for cell in cells {
        let corners = cell["boundary"].as_array().expect("boundary");
        assert_eq!(corners.len(), 6, "{cell}");
        let (lat, lon) = (
            cell["latitude"].as_f64().expect("lat"),
            cell["longitude"].as_f64().expect("lon"),
        );
        for corner in corners {
            assert!((corner[0].as_f64().expect("lat") - lat).abs() < 0.01, "{cell}");
            assert!((corner[1].as_f64().expect("lon") - lon).abs() < 0.01, "{cell}");
        }
    }
    let by_cell: Value = get(&server, &format!("/api/v1/cells?cell={centre}&rings=0"), &member)
        .await
        .json()
        .await
        .expect("one cell");
    assert_eq!(by_cell["cells"].as_array().expect("cells").len(), 1);
    problem(
        get(&server, &format!("/api/v1/cells?cell={centre}&rings=7"), &member).await,
        400,
    )
    .await;
    problem(
        get(&server, "/api/v1/cells?latitude=91&longitude=0", &member).await,
        400,
    )
    .await;

    watch(&server, &member, PILSEN, 1_000).await;
    let areas: Value = get(&server, "/api/v1/watch-areas", &member)
        .await
        .json()
        .await
        .expect("areas");
    let area = &areas[0];
    let (ids, shapes) = (
        area["cells"].as_array().expect("cells"),
        area["boundaries"].as_array().expect("boundaries"),
    );
    assert!(!ids.is_empty());
    assert_eq!(ids.len(), shapes.len(), "one polygon per cell");
    assert!(shapes.iter().all(|s| s.as_array().is_some_and(|c| c.len() == 6)));

    let made = report(&server, &member, &checkpoint("7MAP123")).await;
    assert_eq!(made["place"]["boundary"].as_array().expect("corners").len(), 6);
}

/// A responder lists the incidents near a report's cell (to merge into, or to manage); a member
/// cannot look beyond their own watch areas.
#[tokio::test]
async fn responders_list_incidents_near_a_cell() {
    let server = TestServer::start_with(limits()).await;
    let (reporter, _) = server.member().await;
    let responder = responder(&server).await;
    let made = report(&server, &reporter, &checkpoint("7NEAR12")).await;
    let cell = made["place"]["cell"].as_str().expect("cell").to_owned();
    let incident: Value = verify(&server, &responder, made["id"].as_str().expect("id"))
        .await
        .json()
        .await
        .expect("incident");
    let near: Value = get(&server, &format!("/api/v1/incidents?near={cell}&rings=1"), &responder)
        .await
        .json()
        .await
        .expect("near");
    assert_eq!(near[0]["id"], incident["id"]);
    assert!(near[0]["verified_by"].is_string(), "responders see who verified");
    let far = cell_of_evanston(&server, &responder).await;
    let elsewhere: Value = get(&server, &format!("/api/v1/incidents?near={far}&rings=2"), &responder)
        .await
        .json()
        .await
        .expect("far");
    assert_eq!(elsewhere, json!([]), "nothing near Evanston");
    problem(
        get(&server, &format!("/api/v1/incidents?near={cell}"), &reporter).await,
        403,
    )
    .await;
    problem(
        get(&server, &format!("/api/v1/incidents?near={cell}&rings=11"), &responder).await,
        400,
    )
    .await;
}

/// Evanston's cell, asked of the server.
async fn cell_of_evanston(server: &TestServer, token: &str) -> String {
    let around: Value = get(
        server,
        &format!("/api/v1/cells?latitude={}&longitude={}&rings=0", EVANSTON.0, EVANSTON.1),
        token,
    )
    .await
    .json()
    .await
    .expect("cell");
    around["centre"]["cell"].as_str().expect("cell").to_owned()
}
