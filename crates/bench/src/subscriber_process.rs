//! The subscribers' apps for `rapid-delivery`, in a process of their own: `amparo-bench
//! subscribers --url WS --tokens FILE` (not for people to run). Each process has its own
//! open-files limit, so the server's process keeps its whole limit for the server's ends of the
//! sockets.
//!
//! It signs in one live WebSocket per token (one per line of FILE), prints `ready N`, then one
//! line `<socket> <unix µs> <incident id>` for every incident message a socket receives; the
//! clock (wall time, which both processes share) is read as soon as a text frame arrives, before
//! parsing it. It ends when its standard input closes.

use crate::live_sockets::{Socket, open_each, sign_in};
use crate::open_files;
use anyhow::{Context, Result};
use futures::StreamExt;
use serde_json::Value;
use std::io::Write;
use std::time::{SystemTime, UNIX_EPOCH};
use tokio::io::AsyncReadExt;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

/// Microseconds since the Unix epoch: the clock both processes read.
pub fn unix_us() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
}

pub async fn run(url: &str, tokens_file: &std::path::Path) -> Result<()> {
    open_files::raise_to_hard_limit();
    let text = std::fs::read_to_string(tokens_file).with_context(|| format!("reading {}", tokens_file.display()))?;
    let tokens: Vec<&str> = text.lines().filter(|l| !l.is_empty()).collect();
    let sockets = open_each(&tokens, |token| sign_in(url, token)).await?;
    let (arrivals, mut lines) = mpsc::unbounded_channel::<String>();
    for (n, socket) in sockets.into_iter().enumerate() {
        tokio::spawn(listen(n, socket, arrivals.clone()));
    }
    drop(arrivals);
    println!("ready {}", tokens.len());
    std::io::stdout().flush()?;
    let writer = tokio::spawn(async move {
        let mut batch = Vec::new();
        while lines.recv_many(&mut batch, 4_096).await > 0 {
            let mut out = std::io::stdout().lock();
            for line in batch.drain(..) {
                // The parent reads until it has what it waits for; a closed pipe ends us below.
                if writeln!(out, "{line}").is_err() {
                    return;
                }
            }
            let _ = out.flush();
        }
    });
    // Until the parent closes our standard input.
    let mut sink = [0u8; 64];
    let mut stdin = tokio::io::stdin();
    while stdin.read(&mut sink).await.map(|n| n > 0).unwrap_or(false) {}
    writer.abort();
    Ok(())
}

async fn listen(n: usize, mut socket: Socket, arrivals: mpsc::UnboundedSender<String>) {
    while let Some(Ok(message)) = socket.next().await {
        let at = unix_us();
        let Message::Text(text) = message else { continue };
        let Ok(value) = serde_json::from_str::<Value>(&text) else {
            continue;
        };
        if value["type"] == "incident"
            && let Some(id) = value["incident"]["id"].as_str()
            && arrivals.send(format!("{n} {at} {id}")).is_err()
        {
            return;
        }
    }
}
