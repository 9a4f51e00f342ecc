//! Encounter starts at a fixed rate, open loop: start *i* goes out at `t0 + i / rate` whether or
//! not earlier ones have come back, as presses from thousands of phones would. Each is a real
//! `POST /api/v1/encounters` with its owner's bearer token. A start that leaves more than one
//! period after its slot is counted as late, so a client that cannot keep the pace says so.

use anyhow::{Context, Result, ensure};
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use std::time::Duration;
use tokio::time::Instant;

/// One start: when it was sent, how long its request took, and the encounter it created.
#[derive(Debug)]
pub struct Start {
    /// Which owner (an index into the tokens `run` was given).
    pub owner: usize,
    /// Just before the request was handed to the client.
    pub sent: Instant,
    /// To the end of the response body.
    pub round_trip: Duration,
    pub encounter: Result<String, String>,
}

/// What a paced run did.
#[derive(Debug)]
pub struct Starts {
    pub starts: Vec<Start>,
    /// Sent more than one period after their slot.
    pub late: usize,
    pub elapsed: Duration,
}

impl Starts {
    pub fn errors(&self) -> impl Iterator<Item = &String> {
        self.starts.iter().filter_map(|s| s.encounter.as_ref().err())
    }

    /// Two runs pooled into one.
    pub fn join(mut self, other: Starts) -> Starts {
        self.starts.extend(other.starts);
        self.late += other.late;
        self.elapsed += other.elapsed;
        self
    }
}

/// A client shared by every start, as one load balancer's worth of phones would share the
/// server's connections; its pool grows to what the pace needs.
pub fn client() -> Result<Client> {
    // A bound on any one request: the benchmark must end even if the server stalls.
    Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .context("building an HTTP client")
}

/// `count` starts at `per_second`, owner `i % owners.len()` for start `i`.
pub async fn run(client: &Client, base: &str, owners: &[String], count: usize, per_second: u32) -> Result<Starts> {
    run_with(client, base, owners, count, per_second, &body()).await
}

/// `run`, each start sending `body`.
pub async fn run_with(
    client: &Client,
    base: &str,
    owners: &[String],
    count: usize,
    per_second: u32,
    body: &Value,
) -> Result<Starts> {
    ensure!(!owners.is_empty(), "no owners to start encounters");
    let url = format!("{base}/api/v1/encounters");
    let period = Duration::from_secs(1) / per_second;
    // A moment to spawn before the first slot.
    let t0 = Instant::now() + Duration::from_millis(50);
    let mut tasks = Vec::with_capacity(count);
    let mut late = 0;
    // Bounded by count; each request by the client's timeout.
    for i in 0..count {
        let slot = t0 + period * u32::try_from(i)?;
        tokio::time::sleep_until(slot).await;
        if slot.elapsed() > period {
            late += 1;
        }
        let owner = i % owners.len();
        let request = client.post(&url).bearer_auth(&owners[owner]).json(body).build()?;
        let client = client.clone();
        tasks.push(tokio::spawn(async move {
            let sent = Instant::now();
            let encounter = start(&client, request).await.map_err(|e| format!("{e:#}"));
            Start {
                owner,
                sent,
                round_trip: sent.elapsed(),
                encounter,
            }
        }));
    }
    let mut starts = Vec::with_capacity(count);
    for task in tasks {
        starts.push(task.await?);
    }
    Ok(Starts {
        starts,
        late,
        elapsed: t0.elapsed(),
    })
}

/// What a phone sends when the person allowed their location (as the API tests send).
fn body() -> Value {
    json!({"location": {"latitude": 41.85712, "longitude": -87.6563, "accuracy_m": 25.0}, "us_state": "IL"})
}

async fn start(client: &Client, request: reqwest::Request) -> Result<String> {
    let response = client.execute(request).await?;
    let status = response.status();
    let body = response.bytes().await?;
    ensure!(
        status == StatusCode::CREATED,
        "POST /api/v1/encounters answered {status}: {}",
        String::from_utf8_lossy(&body)
    );
    let view: Value = serde_json::from_slice(&body)?;
    view["id"]
        .as_str()
        .map(str::to_owned)
        .context("the new encounter has no id")
}
