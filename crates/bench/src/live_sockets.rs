//! The household members' apps, as far as alerts go: one live WebSocket each (`/api/v1/live`),
//! signed in with `{"type":"auth","token":…}` and ready before the clock starts, each noting
//! when every `encounter_started` alert reaches it.
//!
//! A listener reads the clock as soon as a text frame arrives and before parsing it, so a figure
//! includes the server's fan-out and the socket, and this process's own scheduling, which shares
//! the two cores with the server.

use anyhow::{Context, Result, bail, ensure};
use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use std::time::Duration;
use tokio::net::TcpStream;
use tokio::sync::mpsc::UnboundedSender;
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use tokio_util::sync::CancellationToken;

/// Connections opened at once: the listener's backlog and the store's session reads set the
/// pace, not this.
const CONNECT_AT_ONCE: usize = 64;
const READY_WITHIN: Duration = Duration::from_secs(10);

pub type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// One alert as a listener saw it.
#[derive(Debug)]
pub struct Arrival {
    /// Which listener (an index into the tokens `connect` was given).
    pub socket: usize,
    pub encounter: String,
    pub at: Instant,
}

/// Listeners connected and ready; `stop` ends them.
#[derive(Debug)]
pub struct Listeners {
    tasks: Vec<JoinHandle<Option<String>>>,
    stop: CancellationToken,
}

/// Connects and signs in one socket per token, `CONNECT_AT_ONCE` at a time, and starts a
/// listener on each that sends every `encounter_started` alert it receives to `arrivals`.
pub async fn connect(base: &str, tokens: &[&str], arrivals: UnboundedSender<Arrival>) -> Result<Listeners> {
    let url = live_url(base);
    let sockets = open_each(tokens, |token| sign_in(&url, token)).await?;
    let stop = CancellationToken::new();
    let tasks = sockets
        .into_iter()
        .enumerate()
        .map(|(socket, stream)| tokio::spawn(listen(socket, stream, arrivals.clone(), stop.clone())))
        .collect();
    Ok(Listeners { tasks, stop })
}

/// The live WebSocket's address on the server at `base`.
pub fn live_url(base: &str) -> String {
    format!("ws{}/api/v1/live", base.trim_start_matches("http"))
}

/// Opens one socket per token with `open`, `CONNECT_AT_ONCE` at a time, in the tokens' order.
pub async fn open_each<'a, T: ?Sized + 'a, F, Fut>(tokens: &'a [&'a T], open: F) -> Result<Vec<Socket>>
where
    F: Fn(&'a T) -> Fut,
    Fut: std::future::Future<Output = Result<Socket>>,
{
    futures::stream::iter(tokens.iter().copied())
        .map(open)
        .buffered(CONNECT_AT_ONCE)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect()
}

/// Opens the live WebSocket and signs in; returns it once the server said it is ready.
pub async fn sign_in(url: &str, token: &str) -> Result<Socket> {
    // Nagle off, as browsers have it on their WebSockets: an accept is one small frame.
    let (mut socket, _) = tokio_tungstenite::connect_async_with_config(url, None, true)
        .await
        .context("opening the live WebSocket")?;
    let auth = json!({"type": "auth", "token": token}).to_string();
    socket.send(Message::text(auth)).await?;
    let deadline = Instant::now() + READY_WITHIN;
    // Bounded by the deadline.
    loop {
        let message = tokio::time::timeout_at(deadline, socket.next())
            .await
            .context("no answer to auth within 10 s")?;
        match message {
            Some(Ok(Message::Text(text))) => {
                let answer: Value = serde_json::from_str(&text)?;
                ensure!(answer["type"] == "ready", "auth answered with {answer}");
                return Ok(socket);
            }
            Some(Ok(Message::Close(close))) => bail!("the server closed the socket on auth: {close:?}"),
            Some(Ok(_)) => continue,
            Some(Err(e)) => return Err(e).context("reading the answer to auth"),
            None => bail!("the socket ended before it was ready"),
        }
    }
}

/// Until stopped; returns why the socket ended early, if it did (its later alerts go missing,
/// and the run says so).
async fn listen(
    socket: usize,
    mut stream: Socket,
    arrivals: UnboundedSender<Arrival>,
    stop: CancellationToken,
) -> Option<String> {
    loop {
        let message = tokio::select! {
            () = stop.cancelled() => return None,
            message = stream.next() => message,
        };
        let text = match message {
            Some(Ok(Message::Text(text))) => text,
            // Pings are answered by tungstenite as it reads.
            Some(Ok(Message::Close(close))) => return Some(format!("closed by the server: {close:?}")),
            Some(Ok(_)) => continue,
            Some(Err(e)) => return Some(format!("{e}")),
            None => return Some("ended".to_owned()),
        };
        let at = Instant::now();
        let Ok(message) = serde_json::from_str::<Value>(&text) else {
            continue;
        };
        if message["type"] == "alert"
            && message["alert"]["kind"]["type"] == "encounter_started"
            && let Some(encounter) = message["encounter"].as_str()
        {
            let _ = arrivals.send(Arrival {
                socket,
                encounter: encounter.to_owned(),
                at,
            });
        }
    }
}

impl Listeners {
    pub fn len(&self) -> usize {
        self.tasks.len()
    }

    /// Stops every listener and closes its socket; how many ended early, and the first reason.
    pub async fn stop(self) -> Result<(usize, Option<String>)> {
        self.stop.cancel();
        let mut early = (0, None);
        for task in self.tasks {
            if let Some(reason) = task.await? {
                early.0 += 1;
                early.1.get_or_insert(reason);
            }
        }
        Ok(early)
    }
}
