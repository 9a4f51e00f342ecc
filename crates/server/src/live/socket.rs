//! The app's live connection: `GET /api/v1/live`, a WebSocket.
//!
//! Browsers cannot put an `Authorization` header on a WebSocket, and a token in the URL ends up
//! in proxy logs; so the first message is `{"type":"auth","token":"…"}`, within ten seconds, or
//! the connection closes. After that the connection gets the account's alerts, and the progress
//! and state of every encounter it follows (`{"type":"follow","encounter":"…"}`), each checked
//! against who may follow it. The session is checked again every minute: logging out, or an
//! expired session, closes the connection with code 4401, as a failed sign-in does.

use super::hub::{Frame, OUTBOX_CAPACITY, Subscription};
use super::view::{followable, live_message, record_following};
use crate::attorney::socket::{self as calls, CallSocket};
use crate::auth::token_hash;
use crate::clock::now_us;
use crate::state::AppState;
use amparo_core::ids::EncounterId;
use amparo_store::Account;
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::{ConnectInfo, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::sync::mpsc;

const AUTH_TIMEOUT: Duration = Duration::from_secs(10);
const PING_EVERY: Duration = Duration::from_secs(20);
/// Pings between checks that the session is still valid.
const PINGS_PER_SESSION_CHECK: u32 = 3;
/// Encounters one connection may follow at once; a household has at most five others.
const MAX_FOLLOWS: usize = 16;
/// Close code for "sign in again" (4000–4999 are the application's own).
const UNAUTHORIZED: u16 = 4401;
/// RFC 6455's "try again later": the session may be fine, the server could not say now.
const TRY_AGAIN_LATER: u16 = 1013;

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
enum FromApp {
    Auth { token: String },
    Follow { encounter: String },
    Unfollow { encounter: String },
    // The attorney line (docs/attorney-line.md).
    Duty { on: bool },
    Heartbeat,
    Accept { encounter: String },
    Decline { encounter: String },
    Signal { encounter: String, data: serde_json::Value },
    Hangup { encounter: String },
}

/// The WebSocket upgrade. Messages from the app are small; the largest are a call's session
/// descriptions, a few KiB each.
pub async fn upgrade(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    ws: WebSocketUpgrade,
) -> Response {
    ws.max_message_size(64 * 1024)
        .on_upgrade(move |socket| connection(state, socket, peer))
        .into_response()
}

async fn connection(state: AppState, mut socket: WebSocket, peer: SocketAddr) {
    let account = match sign_in(&state, &mut socket).await {
        Ok(account) => account,
        Err((code, reason)) => {
            // A stranger's failed sign-ins count against their address, like failed log-ins;
            // the limit's answer itself is not needed: the connection closes either way.
            if code == UNAUTHORIZED {
                let _ = state.rate_limits.check_address(peer.ip());
            }
            close(&mut socket, code, reason).await;
            return;
        }
    };
    let (outbox, mut inbox) = mpsc::channel::<Frame>(OUTBOX_CAPACITY);
    let _alerts = state.hub.subscribe_account(account.id, outbox.clone());
    let mut follows: HashMap<EncounterId, Subscription> = HashMap::new();
    let mut call = CallSocket::new(&state);
    if send(&mut socket, r#"{"type":"ready"}"#.into()).await.is_err() {
        return;
    }
    // Each connection starts its pings (and so its session checks, a store read every few
    // pings) at a random point of the interval: connections opened together (a restart, a shift
    // coming on duty) would otherwise all read the store in the same instant, every minute, and
    // hold up their own messages while they wait.
    let first = PING_EVERY + PING_EVERY.mul_f64(rand::random::<f64>());
    let mut ping = tokio::time::interval_at(tokio::time::Instant::now() + first, PING_EVERY);
    let mut pings = 0u32;
    loop {
        tokio::select! {
            frame = inbox.recv() => {
                let Some(frame) = frame else { break };
                if send(&mut socket, frame).await.is_err() { break; }
            }
            message = socket.recv() => {
                let text = match message {
                    Some(Ok(Message::Text(text))) => text,
                    Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                    Some(Ok(_)) => continue,
                };
                let reply = handle(&state, &account, &text, &mut follows, &outbox, &mut call).await;
                if let Some(reply) = reply
                    && send(&mut socket, reply).await.is_err()
                {
                    break;
                }
            }
            _ = ping.tick() => {
                pings += 1;
                if pings.is_multiple_of(PINGS_PER_SESSION_CHECK) && !session_still_valid(&state, &account).await {
                    close(&mut socket, UNAUTHORIZED, "Your session has ended: log in again.").await;
                    break;
                }
                if socket.send(Message::Ping(Default::default())).await.is_err() { break; }
            }
            () = state.closing.cancelled() => {
                close(&mut socket, 1012, "The server is restarting: connect again.").await;
                break;
            }
        }
    }
}

/// The session token this connection signed in with, kept as its hash to check it again.
#[derive(Debug)]
struct SignedIn {
    account: Account,
    session: [u8; 32],
}

impl std::ops::Deref for SignedIn {
    type Target = Account;
    fn deref(&self) -> &Account {
        &self.account
    }
}

/// Why a sign-in failed: the close code (4401: log in again; 1013: try again later) and why.
type Refusal = (u16, &'static str);

async fn sign_in(state: &AppState, socket: &mut WebSocket) -> Result<SignedIn, Refusal> {
    const SIGN_IN_FIRST: Refusal = (
        UNAUTHORIZED,
        "Sign in first: send {\"type\":\"auth\",\"token\":\"…\"} within ten seconds.",
    );
    let first = tokio::time::timeout(AUTH_TIMEOUT, socket.recv())
        .await
        .map_err(|_| SIGN_IN_FIRST)?;
    let Some(Ok(Message::Text(text))) = first else {
        return Err(SIGN_IN_FIRST);
    };
    let Ok(FromApp::Auth { token }) = serde_json::from_str::<FromApp>(&text) else {
        return Err(SIGN_IN_FIRST);
    };
    let session = token_hash(token.trim());
    let account = state
        .store
        .session_account(&session, now_us())
        .await
        .map_err(|_| {
            (
                TRY_AGAIN_LATER,
                "The server could not check your session: connect again.",
            )
        })?
        .ok_or((UNAUTHORIZED, "Your session has expired or is not valid: log in again."))?;
    state.rate_limits.check_account(account.id).map_err(|_| {
        (
            TRY_AGAIN_LATER,
            "Too many requests from your account: connect again in a moment.",
        )
    })?;
    Ok(SignedIn { account, session })
}

async fn session_still_valid(state: &AppState, signed_in: &SignedIn) -> bool {
    // A store hiccup is not a logout: keep the connection and check again later.
    !matches!(
        state.store.session_account(&signed_in.session, now_us()).await,
        Ok(None)
    )
}

/// One message from the app; the answer to send back, if any.
async fn handle(
    state: &AppState,
    account: &SignedIn,
    text: &str,
    follows: &mut HashMap<EncounterId, Subscription>,
    outbox: &mpsc::Sender<Frame>,
    call: &mut CallSocket,
) -> Option<Frame> {
    let message = match serde_json::from_str::<FromApp>(text) {
        Ok(message) => message,
        Err(e) => {
            return Some(error(
                None,
                400,
                &format!("That message is not one this connection takes: {e}."),
            ));
        }
    };
    match message {
        FromApp::Auth { .. } => Some(error(None, 400, "This connection is already signed in.")),
        FromApp::Duty { on } => call.duty(state, account, on).await,
        FromApp::Heartbeat => {
            call.heartbeat(state, account).await;
            None
        }
        FromApp::Accept { encounter } => calls::answer(state, account, &encounter, true).await,
        FromApp::Decline { encounter } => calls::answer(state, account, &encounter, false).await,
        FromApp::Signal { encounter, data } => calls::signal(state, account, &encounter, &data),
        FromApp::Hangup { encounter } => calls::hangup(state, account, &encounter).await,
        FromApp::Unfollow { encounter } => {
            if let Ok(id) = encounter.parse::<EncounterId>() {
                follows.remove(&id);
            }
            None
        }
        FromApp::Follow { encounter } => {
            let Ok(id) = encounter.parse::<EncounterId>() else {
                return Some(error(Some(&encounter), 404, "No such encounter."));
            };
            if !follows.contains_key(&id) && follows.len() >= MAX_FOLLOWS {
                return Some(error(
                    Some(&encounter),
                    429,
                    "This connection follows too many encounters: unfollow one first.",
                ));
            }
            let access = match followable(state, account, id).await {
                Ok((_, access)) => access,
                Err(e) => return Some(error(Some(&encounter), e.status().as_u16(), e.detail())),
            };
            if record_following(state, account, id, access, "follow live")
                .await
                .is_err()
            {
                return Some(error(
                    Some(&encounter),
                    503,
                    "The server could not record this: try again.",
                ));
            }
            // Subscribe before reading the snapshot, so no chunk falls between the two.
            follows
                .entry(id)
                .or_insert_with(|| state.hub.subscribe_encounter(id, outbox.clone()));
            match live_message(state, id).await {
                Ok(Some(frame)) => Some(frame),
                Ok(None) => Some(error(Some(&encounter), 404, "No such encounter.")),
                Err(_) => Some(error(
                    Some(&encounter),
                    503,
                    "The server could not read this encounter: try again.",
                )),
            }
        }
    }
}

pub(crate) fn error(encounter: Option<&str>, status: u16, detail: &str) -> Frame {
    let value = serde_json::json!({ "type": "error", "encounter": encounter, "status": status, "detail": detail });
    Frame::from(value.to_string())
}

async fn send(socket: &mut WebSocket, frame: Frame) -> Result<(), axum::Error> {
    socket.send(Message::Text(Utf8Bytes::from(&*frame))).await
}

async fn close(socket: &mut WebSocket, code: u16, reason: &'static str) {
    let frame = CloseFrame {
        code,
        reason: Utf8Bytes::from_static(reason),
    };
    // Best effort: the other end may already be gone.
    let _ = socket.send(Message::Close(Some(frame))).await;
}
