//! Alerts to the household over the live WebSocket, following an encounter (its state, its
//! recording's bytes, progress as chunks arrive), who may follow, and the silence alert.

use crate::harness::{TestServer, problem};
use amparo_core::roles::Role;
use amparo_server::alerts::fanout::Alerts;
use amparo_server::limits::Limits;
use futures::{SinkExt, StreamExt};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

fn limits() -> Limits {
    Limits {
        anonymous_requests_per_minute: 10_000,
        invitation_attempts_per_minute: 10_000,
        ..Limits::default()
    }
}

async fn server() -> TestServer {
    TestServer::start_with(limits()).await
}

/// Creates a household owned by `owner` and brings `others` into it.
pub(crate) async fn household(server: &TestServer, owner: &str, others: &[&str]) {
    let created = server.post_json("/api/v1/households", Some(owner), &json!({})).await;
    assert_eq!(created.status(), StatusCode::CREATED);
    for member in others {
        let invitation: Value = server
            .post_json("/api/v1/households/current/invitations", Some(owner), &json!({}))
            .await
            .json()
            .await
            .expect("invitation");
        let joined = server
            .post_json(
                "/api/v1/households/join",
                Some(member),
                &json!({"code": invitation["code"]}),
            )
            .await;
        assert_eq!(joined.status(), StatusCode::OK, "{:?}", joined.text().await);
    }
}

async fn start_at(server: &TestServer, token: &str) -> String {
    let response = server
        .post_json(
            "/api/v1/encounters",
            Some(token),
            &json!({"location": {"latitude": 41.85712, "longitude": -87.6563, "accuracy_m": 25.0}, "us_state": "IL"}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let body: Value = response.json().await.expect("json");
    body["id"].as_str().expect("id").to_owned()
}

async fn get(server: &TestServer, path: &str, token: Option<&str>) -> reqwest::Response {
    server.request(Method::GET, path, token).send().await.expect("get")
}

async fn username(server: &TestServer, token: &str) -> String {
    let me: Value = get(server, "/api/v1/accounts/me", Some(token))
        .await
        .json()
        .await
        .expect("me");
    me["username"].as_str().expect("username").to_owned()
}

#[tokio::test]
async fn the_household_hears_of_an_encounter_within_two_seconds_and_nobody_else_does() {
    let server = server().await;
    let (ana, _) = server.member().await;
    let (ben, _) = server.member().await;
    let (cruz, _) = server.member().await;
    let (dora, _) = server.member().await;
    household(&server, &ana, &[&ben, &cruz]).await;
    household(&server, &dora, &[]).await;
    let mut ben_phone = server.live(&ben).await;
    let mut ben_laptop = server.live(&ben).await;
    let mut cruz_live = server.live(&cruz).await;
    let mut dora_live = server.live(&dora).await;
    let mut ana_live = server.live(&ana).await;

    let pressed = Instant::now();
    let encounter = start_at(&server, &ana).await;
    let alert = ben_phone
        .next_of("alert", Duration::from_secs(2))
        .await
        .expect("Ben's phone is alerted within 2 s");
    let latency = pressed.elapsed();
    eprintln!("start to in-app alert: {latency:?}");
    assert_eq!(alert["encounter"], encounter.as_str());
    assert_eq!(alert["alert"]["kind"]["type"], "encounter_started");
    assert_eq!(alert["alert"]["who"], username(&server, &ana).await.as_str());
    assert_eq!(alert["alert"]["place"]["lat"], 41.85712);
    assert_eq!(alert["alert"]["attorney_on_line"], false);
    let follow = alert["alert"]["follow_url"].as_str().expect("follow url");
    assert!(follow.ends_with(&format!("/#/follow/{encounter}")), "{follow}");
    for (name, socket) in [("Ben's laptop", &mut ben_laptop), ("Cruz", &mut cruz_live)] {
        let other = socket.next_of("alert", Duration::from_secs(2)).await;
        assert!(
            other.is_some_and(|a| a["encounter"] == encounter.as_str()),
            "{name} is alerted"
        );
    }
    assert!(
        dora_live.next_json(Duration::from_millis(500)).await.is_none(),
        "another household hears nothing"
    );
    assert!(
        ana_live.next_json(Duration::from_millis(100)).await.is_none(),
        "the person is not alerted of their own press"
    );

    let ended = server
        .post_json(&format!("/api/v1/encounters/{encounter}/end"), Some(&ana), &json!({}))
        .await;
    assert_eq!(ended.status(), StatusCode::OK);
    let alert = ben_phone
        .next_of("alert", Duration::from_secs(2))
        .await
        .expect("the end is announced");
    assert_eq!(alert["alert"]["kind"]["type"], "encounter_ended");
}

#[tokio::test]
async fn the_live_socket_wants_a_valid_sign_in_first() {
    let server = server().await;
    let url = format!("ws{}/api/v1/live", server.base.trim_start_matches("http"));
    for first in [
        json!({"type": "auth", "token": "not-a-token"}).to_string(),
        json!({"type": "follow", "encounter": "x"}).to_string(),
        "not json".to_owned(),
    ] {
        let (mut socket, _) = tokio_tungstenite::connect_async(&url).await.expect("connects");
        socket.send(Message::text(first.clone())).await.expect("send");
        match socket.next().await {
            Some(Ok(Message::Close(Some(frame)))) => {
                assert_eq!(frame.code, CloseCode::from(4401), "{first}");
                assert!(
                    frame.reason.contains("log in") || frame.reason.contains("Sign in"),
                    "{}",
                    frame.reason
                );
            }
            other => panic!("{first}: expected a 4401 close, got {other:?}"),
        }
    }
    // Logging out closes the live connection too (checked each minute; here: the next message
    // after sign-in is answered normally, and a bad message gets an error, not a crash).
    let (token, _) = server.member().await;
    let mut live = server.live(&token).await;
    live.send_json(&json!({"type": "follow", "encounter": "not-an-id"}))
        .await;
    let error = live.next_of("error", Duration::from_secs(2)).await.expect("an error");
    assert_eq!(error["status"], 404);
    live.0.send(Message::text("{\"type\":\"dance\"}")).await.expect("send");
    let error = live.next_of("error", Duration::from_secs(2)).await.expect("an error");
    assert_eq!(error["status"], 400);
}

#[tokio::test]
async fn only_the_household_an_assigned_attorney_and_admins_may_follow() {
    let server = server().await;
    let (ana, _) = server.member().await;
    let (ben, _) = server.member().await;
    let (dora, _) = server.member().await;
    let (lawyer, lawyer_id) = server.member().await;
    let (stranger, _) = server.member().await;
    household(&server, &ana, &[&ben]).await;
    household(&server, &dora, &[]).await;
    server
        .store
        .grant_role(lawyer_id.parse().expect("id"), Role::Attorney)
        .await
        .expect("attorney role");
    let encounter = start_at(&server, &ana).await;
    let upload = server.create_upload(&ana, &encounter).await;
    let recording = upload.rsplit('/').next().expect("id").to_owned();
    let live = format!("/api/v1/encounters/{encounter}/live");
    let media = format!("/api/v1/encounters/{encounter}/recordings/{recording}/media");

    for (who, token) in [("Ana", &ana), ("Ben", &ben)] {
        assert_eq!(get(&server, &live, Some(token)).await.status(), StatusCode::OK, "{who}");
        assert_eq!(
            get(&server, &media, Some(token)).await.status(),
            StatusCode::OK,
            "{who}"
        );
    }
    for (who, token) in [
        ("another household", &dora),
        ("an unassigned attorney", &lawyer),
        ("a stranger", &stranger),
    ] {
        problem(get(&server, &live, Some(token)).await, 403).await;
        let refused = problem(get(&server, &media, Some(token)).await, 403).await;
        assert!(
            refused["detail"].as_str().is_some_and(|d| d.contains("household")),
            "{who}: {refused}"
        );
        let mut socket = server.live(token).await;
        socket
            .send_json(&json!({"type": "follow", "encounter": encounter}))
            .await;
        let error = socket.next_of("error", Duration::from_secs(2)).await.expect("refused");
        assert_eq!(error["status"], 403, "{who}");
    }
    problem(get(&server, &live, None).await, 401).await;
    problem(get(&server, &media, None).await, 401).await;
    problem(
        get(
            &server,
            &format!(
                "/api/v1/encounters/{encounter}/recordings/{}/media",
                uuid::Uuid::now_v7()
            ),
            Some(&ben),
        )
        .await,
        404,
    )
    .await;

    // Once assigned, the attorney may follow.
    let assigned = server
        .store
        .assign_attorney(encounter.parse().expect("id"), lawyer_id.parse().expect("id"))
        .await;
    assert!(assigned.is_ok());
    assert_eq!(get(&server, &live, Some(&lawyer)).await.status(), StatusCode::OK);

    // Reading again and again (the app polls) is recorded once per while, not once per read.
    for _ in 0..3 {
        assert_eq!(get(&server, &live, Some(&ben)).await.status(), StatusCode::OK);
    }
    let mut socket = server.live(&ben).await;
    socket
        .send_json(&json!({"type": "follow", "encounter": encounter}))
        .await;
    socket
        .next_of("live", Duration::from_secs(2))
        .await
        .expect("a snapshot");

    // Following is part of the chain of custody; the owner's own reads are not.
    let log = server
        .store
        .access_log(encounter.parse().expect("id"))
        .await
        .expect("access log");
    let roles: Vec<(&str, &str)> = log.iter().map(|r| (r.role.as_str(), r.action.as_str())).collect();
    let household_follows = roles.iter().filter(|r| **r == ("household", "follow live")).count();
    assert_eq!(household_follows, 1, "one record for many reads: {roles:?}");
    assert!(roles.contains(&("household", "watch recording")), "{roles:?}");
    assert!(roles.contains(&("attorney", "follow live")), "{roles:?}");
    assert!(!roles.iter().any(|(role, _)| *role == "owner"), "{roles:?}");
}

#[tokio::test]
async fn a_follower_sees_each_chunk_arrive_and_reads_the_same_bytes() {
    let server = TestServer::start_with(Limits {
        account_requests_per_second: 10_000,
        account_burst: 10_000,
        ..limits()
    })
    .await;
    let (ana, _) = server.member().await;
    let (ben, _) = server.member().await;
    household(&server, &ana, &[&ben]).await;
    let encounter = start_at(&server, &ana).await;
    let upload = server.create_upload(&ana, &encounter).await;
    let recording = upload.rsplit('/').next().expect("id").to_owned();

    let mut follower = server.live(&ben).await;
    follower
        .send_json(&json!({"type": "follow", "encounter": encounter}))
        .await;
    let snapshot = follower
        .next_of("live", Duration::from_secs(2))
        .await
        .expect("a snapshot");
    assert_eq!(snapshot["id"], encounter.as_str());
    assert_eq!(snapshot["recording"], false, "no chunk yet");
    assert_eq!(snapshot["location"]["latitude"], 41.85712);

    let chunks: Vec<Vec<u8>> = (0..3u8).map(|i| vec![i; 1000 + usize::from(i) * 10]).collect();
    let mut offset = 0;
    for chunk in &chunks {
        let sent = server.patch(&ana, &upload, offset, chunk.clone()).await;
        assert_eq!(sent.status(), StatusCode::NO_CONTENT);
        offset += chunk.len() as u64;
        let progress = follower
            .next_of("progress", Duration::from_secs(2))
            .await
            .expect("progress");
        assert_eq!(progress["recording"], recording.as_str());
        assert_eq!(progress["bytes_received"], offset);
        assert_eq!(progress["media_type"], "video/webm");
    }
    let path = format!("/api/v1/encounters/{encounter}/recordings/{recording}/media");
    let all = get(&server, &path, Some(&ben)).await;
    assert_eq!(all.status(), StatusCode::OK);
    assert_eq!(all.headers()["content-type"], "video/webm");
    assert_eq!(all.headers()["cache-control"], "no-store");
    assert_eq!(all.headers()["amparo-next-offset"], offset.to_string().as_str());
    assert_eq!(all.bytes().await.expect("bytes").to_vec(), chunks.concat());
    // From the middle of a chunk, and from the end (nothing new yet).
    let tail = get(&server, &format!("{path}?from=1500"), Some(&ben)).await;
    assert_eq!(
        tail.bytes().await.expect("bytes").to_vec(),
        chunks.concat()[1500..].to_vec()
    );
    let none = get(&server, &format!("{path}?from={offset}"), Some(&ben)).await;
    assert_eq!(none.headers()["amparo-next-offset"], offset.to_string().as_str());
    assert!(none.bytes().await.expect("bytes").is_empty());
    problem(
        get(&server, &format!("{path}?from={}", offset + 1), Some(&ben)).await,
        416,
    )
    .await;
    problem(get(&server, &format!("{path}?from=-1"), Some(&ben)).await, 400).await;

    let live: Value = get(&server, &format!("/api/v1/encounters/{encounter}/live"), Some(&ben))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(live["recording"], true);
    assert_eq!(live["recordings"][0]["bytes_received"], offset);
    assert!(live["last_chunk_at"].is_string());
    let following: Value = get(&server, "/api/v1/following", Some(&ben))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(following.as_array().map(Vec::len), Some(1), "{following}");
    assert_eq!(following[0]["id"], encounter.as_str());

    // Ending it: the follower is told, and it leaves the open list.
    server
        .post_json(&format!("/api/v1/encounters/{encounter}/end"), Some(&ana), &json!({}))
        .await;
    let state = follower
        .next_of("live", Duration::from_secs(2))
        .await
        .expect("the new state");
    assert!(state["ended_at"].is_string(), "{state}");
    let following: Value = get(&server, "/api/v1/following", Some(&ben))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(following, json!([]));
}

#[tokio::test]
async fn a_recording_that_stops_without_being_ended_is_announced_once() {
    let mut alerts = Alerts::in_app_only();
    alerts.silence_after = Duration::from_secs(2);
    let server = TestServer::start_with_alerts(limits(), alerts).await;
    let (ana, _) = server.member().await;
    let (ben, _) = server.member().await;
    household(&server, &ana, &[&ben]).await;
    let mut ben_live = server.live(&ben).await;
    let encounter = start_at(&server, &ana).await;
    let upload = server.create_upload(&ana, &encounter).await;
    ben_live
        .next_of("alert", Duration::from_secs(2))
        .await
        .expect("started");
    let sent_at = Instant::now();
    assert_eq!(
        server.patch(&ana, &upload, 0, vec![1; 500]).await.status(),
        StatusCode::NO_CONTENT
    );

    let alert = ben_live
        .next_of("alert", Duration::from_secs(5))
        .await
        .expect("the silence is announced");
    let after = sent_at.elapsed();
    assert_eq!(alert["alert"]["kind"]["type"], "recording_stopped");
    assert!(
        alert["alert"]["kind"]["silent_secs"].as_u64().is_some_and(|s| s >= 2),
        "{alert}"
    );
    assert!(
        after >= Duration::from_secs(2) && after < Duration::from_secs(4),
        "{after:?}"
    );
    assert!(
        ben_live.next_of("alert", Duration::from_secs(3)).await.is_none(),
        "once per silence"
    );

    // It comes back, then stops again: told again. Ended: never.
    assert_eq!(
        server.patch(&ana, &upload, 500, vec![2; 500]).await.status(),
        StatusCode::NO_CONTENT
    );
    let again = ben_live
        .next_of("alert", Duration::from_secs(5))
        .await
        .expect("a second silence");
    assert_eq!(again["alert"]["kind"]["type"], "recording_stopped");
    server
        .post_json(&format!("/api/v1/encounters/{encounter}/end"), Some(&ana), &json!({}))
        .await;
    let ended = ben_live.next_of("alert", Duration::from_secs(2)).await.expect("ended");
    assert_eq!(ended["alert"]["kind"]["type"], "encounter_ended");
    assert!(
        ben_live.next_of("alert", Duration::from_secs(3)).await.is_none(),
        "an ended encounter is not silent"
    );
}
