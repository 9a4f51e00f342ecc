//! A webhook receiver on loopback for tests: records every request and answers with the given
//! statuses in turn (the last one from then on).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use std::sync::{Arc, Mutex};

#[derive(Clone)]
pub struct Receiver {
    pub seen: Arc<Mutex<Vec<(HeaderMap, Bytes)>>>,
    statuses: Arc<Vec<StatusCode>>,
}

async fn receive(State(receiver): State<Receiver>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let mut seen = receiver.seen.lock().expect("not poisoned");
    seen.push((headers, body));
    let last = receiver.statuses.len() - 1;
    receiver.statuses[(seen.len() - 1).min(last)]
}

/// Starts a receiver; returns its URL.
pub async fn start_receiver(statuses: &[StatusCode]) -> (String, Receiver) {
    let receiver = Receiver {
        seen: Arc::default(),
        statuses: Arc::new(statuses.to_vec()),
    };
    let app = axum::Router::new()
        .route("/hook", axum::routing::post(receive))
        .with_state(receiver.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{address}/hook"), receiver)
}

/// Every request received so far.
pub fn requests(receiver: &Receiver) -> Vec<(HeaderMap, Bytes)> {
    receiver.seen.lock().expect("not poisoned").clone()
}
