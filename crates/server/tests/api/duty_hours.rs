//! Hours on duty as the store keeps them (what organizations report): an attorney whose
//! connection goes quiet without closing (a laptop shut, a network gone, a node dead) is on duty
//! until their last heartbeat, not until the server notices the socket is gone, and on duty again
//! from the moment they are heard again.

use crate::attorneys::{attorney, call, ok, on_duty, organization, settings};
use crate::harness::{TestServer, eventually};
use amparo_server::clock::now_us;
use reqwest::{Method, StatusCode};
use serde_json::json;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(5);

#[tokio::test]
async fn an_attorney_who_goes_quiet_is_off_duty_from_their_last_heartbeat_until_heard_again() {
    let (limits, services) = settings(1, 15_000, 1_000);
    let server = TestServer::start_with_services(limits, services).await;
    let org = organization(&server).await;
    let ana = attorney(&server, &org, "Ana").await;
    let org_id = org.id.parse().expect("org id");
    let spans = || async { server.store.duty_spans(org_id, 0, i64::MAX).await.expect("duty spans") };
    let on_duty_read = || async {
        let me = ok(
            call(&server, Method::GET, "/api/v1/attorney/me", &ana.token, None).await,
            StatusCode::OK,
        )
        .await;
        me["on_duty"] == true
    };

    let mut live = on_duty(&server, &ana).await;
    // Heard once more a moment later; then the socket stays open and says nothing.
    let started = eventually(WAIT, || async { spans().await.len() == 1 }).await;
    assert!(started, "the span is stored");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let last_heard = now_us();
    live.send_json(&json!({"type": "heartbeat"})).await;

    let ended = eventually(WAIT, || async { spans().await.iter().all(|s| s.until_us.is_some()) }).await;
    let read = spans().await;
    assert!(ended, "the span of a quiet attorney ends: {read:?}");
    assert_eq!(read.len(), 1, "one span: {read:?}");
    let (since_us, until_us) = (read[0].since_us, read[0].until_us.expect("closed"));
    assert!(
        until_us >= last_heard && until_us < last_heard + 500_000,
        "ended at the last heartbeat ({last_heard}), not the duty's start ({since_us}) or when the silence was seen: {until_us}"
    );
    assert!(!on_duty_read().await, "the roster says she is off duty");

    let heard_again = now_us();
    live.send_json(&json!({"type": "heartbeat"})).await;
    let back = eventually(WAIT, || async {
        let read = spans().await;
        read.len() == 2 && read[1].until_us.is_none() && read[1].since_us >= heard_again
    })
    .await;
    assert!(back, "a new span from when she was heard again: {:?}", spans().await);
    assert!(on_duty_read().await, "on duty again");
}
