//! The attorneys' consoles, as far as dispatch goes: one live WebSocket each, on duty and
//! beating every 3 s, noting when each offer (and each call) reaches it, accepting every offer
//! at once and hanging up half a second into each call.
//!
//! The clock is read as soon as a text frame arrives and before parsing it.

use crate::live_sockets::{Socket, live_url, open_each, sign_in};
use anyhow::{Result, bail, ensure};
use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use std::collections::VecDeque;
use std::time::Duration;
use tokio::sync::mpsc::UnboundedSender;
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;
use tokio_util::sync::CancellationToken;

const READY_WITHIN: Duration = Duration::from_secs(10);
const HEARTBEAT: Duration = Duration::from_secs(3);
const CALL_LENGTH: Duration = Duration::from_millis(500);

/// An offer (or, with `call`, a connected call) as an attorney's socket saw it.
#[derive(Debug)]
pub struct Rung {
    pub encounter: String,
    pub call: bool,
    pub at: Instant,
}

#[derive(Debug)]
pub struct Consoles {
    tasks: Vec<JoinHandle<Result<usize>>>,
    stop: CancellationToken,
}

/// Connects, signs in and goes on duty for each token, `CONNECT_AT_ONCE` at a time.
pub async fn connect(base: &str, tokens: &[String], rung: UnboundedSender<Rung>) -> Result<Consoles> {
    let url = live_url(base);
    let tokens: Vec<&str> = tokens.iter().map(String::as_str).collect();
    let sockets = open_each(&tokens, |token| on_duty(&url, token)).await?;
    let stop = CancellationToken::new();
    let tasks = sockets
        .into_iter()
        .enumerate()
        .map(|(n, socket)| tokio::spawn(console(n, socket, rung.clone(), stop.clone())))
        .collect();
    Ok(Consoles { tasks, stop })
}

impl Consoles {
    /// Stops every console; calls taken in all, and how many consoles ended on their own.
    pub async fn stop(self) -> (usize, usize) {
        self.stop.cancel();
        let (mut calls, mut early) = (0, 0);
        for task in self.tasks {
            match task.await {
                Ok(Ok(n)) => calls += n,
                _ => early += 1,
            }
        }
        (calls, early)
    }
}

async fn on_duty(url: &str, token: &str) -> Result<Socket> {
    let mut socket = sign_in(url, token).await?;
    socket
        .send(Message::text(json!({"type": "duty", "on": true}).to_string()))
        .await?;
    let ready = async {
        while let Some(message) = socket.next().await {
            if let Message::Text(text) = message? {
                let value: Value = serde_json::from_str(&text)?;
                if value["type"] == "duty" {
                    ensure!(value["on"] == true, "not on duty: {value}");
                    return Ok(());
                }
                if value["type"] == "error" {
                    bail!("duty refused: {value}");
                }
            }
        }
        bail!("the server closed the connection before duty")
    };
    tokio::time::timeout(READY_WITHIN, ready).await??;
    Ok(socket)
}

async fn console(n: usize, mut socket: Socket, rung: UnboundedSender<Rung>, stop: CancellationToken) -> Result<usize> {
    // Spread the beats over the interval, as real consoles would be.
    let offset = HEARTBEAT * u32::try_from(n % 300)? / 300;
    let mut beat = tokio::time::interval_at(Instant::now() + offset, HEARTBEAT);
    let mut hangups: VecDeque<(Instant, String)> = VecDeque::new();
    let mut calls = 0;
    loop {
        let next_hangup = hangups.front().map(|(at, _)| *at);
        tokio::select! {
            message = socket.next() => {
                let at = Instant::now();
                let Some(message) = message else { bail!("closed by the server") };
                let Message::Text(text) = message? else { continue };
                let value: Value = serde_json::from_str(&text)?;
                let encounter = value["encounter"].as_str().unwrap_or_default().to_owned();
                match value["type"].as_str() {
                    Some("offer") => {
                        let _ = rung.send(Rung { encounter: encounter.clone(), call: false, at });
                        socket.send(Message::text(json!({"type": "accept", "encounter": encounter}).to_string())).await?;
                    }
                    Some("call") => {
                        calls += 1;
                        let _ = rung.send(Rung { encounter: encounter.clone(), call: true, at });
                        hangups.push_back((at + CALL_LENGTH, encounter));
                    }
                    _ => {}
                }
            }
            () = sleep_until(next_hangup) => {
                if let Some((_, encounter)) = hangups.pop_front() {
                    socket.send(Message::text(json!({"type": "hangup", "encounter": encounter}).to_string())).await?;
                }
            }
            _ = beat.tick() => socket.send(Message::text(r#"{"type":"heartbeat"}"#)).await?,
            () = stop.cancelled() => {
                let _ = socket.close(None).await;
                return Ok(calls);
            }
        }
    }
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}
