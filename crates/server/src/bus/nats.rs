//! The bus over a NATS server (core NATS: publish, subscribe, request and reply; nothing is
//! stored on the NATS server). The connection is made with `no_echo`, so a node never hears its
//! own messages: it has delivered them to its own connections already.
//!
//! Publishing goes through one queue and one task, so a handler never waits on the network and
//! a node's messages leave in the order they were published (the WebRTC signaling of a call,
//! an offer and its withdrawal). async-nats reconnects by itself and subscribes again.

use super::address::{NatsAddress, UrlCredentials};
use super::open::BusSettings;
use super::{BusError, Message, REQUEST_TIMEOUT, Reply, Subscription};
use async_nats::{Client, ConnectErrorKind, ConnectOptions, RequestErrorKind};
use bytes::Bytes;
use futures::StreamExt;
use std::time::Duration;
use tokio::sync::mpsc;

/// Messages waiting to leave this node. A full queue drops new live messages (logged).
const OUTGOING_QUEUE: usize = 65_536;

#[derive(Clone, Debug)]
pub struct NatsBus {
    client: Client,
    outgoing: mpsc::Sender<(String, Bytes)>,
}

/// A NATS subscription, with the client its answers go out on.
#[derive(Debug)]
pub struct NatsSubscription {
    subscriber: async_nats::Subscriber,
    client: Client,
}

impl NatsSubscription {
    pub async fn next(&mut self) -> Option<Message> {
        let message = self.subscriber.next().await?;
        let reply = match message.reply {
            Some(to) => Reply::Nats {
                client: self.client.clone(),
                to: to.to_string(),
            },
            None => Reply::None,
        };
        Some(Message {
            subject: message.subject.to_string(),
            payload: message.payload,
            reply,
        })
    }
}

impl NatsBus {
    /// Connects to `url` (`nats://host:4222`, or several separated by commas, perhaps with
    /// credentials), with no `[bus]` settings.
    pub async fn connect(url: &str) -> Result<Self, BusError> {
        Self::connect_with(&NatsAddress::parse(url)?, &BusSettings::default()).await
    }

    /// Connects to the servers of `address` with its credentials or `[bus] credentials_file`.
    /// Fails when no server answers within five seconds, or one refuses the credentials: a node
    /// that cannot reach the others must not start serving as if it were alone.
    pub async fn connect_with(address: &NatsAddress, settings: &BusSettings) -> Result<Self, BusError> {
        let shown = address.servers.join(",");
        let client = connect_options(address, settings)
            .await?
            .name("amparo")
            .no_echo()
            .connection_timeout(Duration::from_secs(5))
            .connect(address.servers.as_slice())
            .await
            .map_err(|e| match e.kind() {
                ConnectErrorKind::AuthorizationViolation | ConnectErrorKind::Authentication => BusError::Nats(format!(
                    "authentication to the NATS server at bus_url ({shown}) failed: it refused {} (check them \
                         against the NATS server's authorization settings)",
                    what_authenticates(address, settings)
                )),
                _ => BusError::Nats(format!("connecting to the NATS server at bus_url ({shown}): {e}")),
            })?;
        let (outgoing, queued) = mpsc::channel(OUTGOING_QUEUE);
        tokio::spawn(send_in_order(client.clone(), queued));
        Ok(Self { client, outgoing })
    }

    pub fn publish(&self, subject: String, payload: Bytes) {
        match self.outgoing.try_send((subject, payload)) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full((subject, _))) => {
                tracing::warn!(%subject, "the bus's outgoing queue is full: a message was dropped");
            }
            Err(mpsc::error::TrySendError::Closed(_)) => {}
        }
    }

    pub async fn request(&self, subject: String, payload: Bytes) -> Result<Bytes, BusError> {
        let asked = self.client.request(subject.clone(), payload);
        match tokio::time::timeout(REQUEST_TIMEOUT, asked).await {
            Ok(Ok(answer)) => Ok(answer.payload),
            Ok(Err(e)) if e.kind() == RequestErrorKind::NoResponders => Err(BusError::NoResponders(subject)),
            Ok(Err(e)) if e.kind() == RequestErrorKind::TimedOut => Err(BusError::TimedOut(subject)),
            Ok(Err(e)) => Err(BusError::Nats(e.to_string())),
            Err(_) => Err(BusError::TimedOut(subject)),
        }
    }

    /// Subscribes, then waits until the server has the subscription, so a message published
    /// anywhere after this returns reaches it.
    pub async fn subscribe(&self, pattern: String) -> Result<Subscription, BusError> {
        let subscriber = self
            .client
            .subscribe(pattern)
            .await
            .map_err(|e| BusError::Nats(e.to_string()))?;
        self.round_trip().await?;
        Ok(Subscription::Nats(NatsSubscription {
            subscriber,
            client: self.client.clone(),
        }))
    }

    /// Returns once the server has read everything this connection sent before. A flush only
    /// empties the socket: the server may still read another client's message before our
    /// subscription. A request nobody listens for is answered "no responders" by the server
    /// itself, after what came before it on this connection.
    async fn round_trip(&self) -> Result<(), BusError> {
        let nobody = format!("_amparo.sync.{}", uuid::Uuid::new_v4().simple());
        match self.request(nobody, Bytes::new()).await {
            Ok(_) | Err(BusError::NoResponders(_)) => Ok(()),
            Err(e) => Err(e),
        }
    }
}

/// async-nats's options for the credentials and CA we were given.
async fn connect_options(address: &NatsAddress, settings: &BusSettings) -> Result<ConnectOptions, BusError> {
    let mut options = ConnectOptions::new();
    if !settings.credentials_file.is_empty() {
        options = options
            .credentials_file(&settings.credentials_file)
            .await
            .map_err(|e| {
                BusError::Setting(format!(
                    "[bus] credentials_file {:?} cannot be read as a NATS credentials file (a user JWT and nkey \
                     seed, as `nsc` writes them): {}",
                    settings.credentials_file,
                    e.kind()
                ))
            })?;
    }
    options = match &address.credentials {
        UrlCredentials::None => options,
        UrlCredentials::UserPassword { user, password } => options.user_and_password(user.clone(), password.clone()),
        UrlCredentials::Token(token) => options.token(token.clone()),
    };
    if !settings.ca_file.is_empty() {
        options = options
            .add_root_certificates(settings.ca_file.clone().into())
            .require_tls(true);
    }
    Ok(options)
}

/// What the server refused, for the message: never the secret itself.
fn what_authenticates(address: &NatsAddress, settings: &BusSettings) -> String {
    match &address.credentials {
        UrlCredentials::UserPassword { user, .. } => format!("the user {user:?} and password in bus_url"),
        UrlCredentials::Token(_) => "the token in bus_url".to_owned(),
        UrlCredentials::None if !settings.credentials_file.is_empty() => {
            format!("[bus] credentials_file {:?}", settings.credentials_file)
        }
        UrlCredentials::None => {
            "a connection without credentials (put them in bus_url or [bus] credentials_file)".to_owned()
        }
    }
}

async fn send_in_order(client: Client, mut queued: mpsc::Receiver<(String, Bytes)>) {
    while let Some((subject, payload)) = queued.recv().await {
        if let Err(e) = client.publish(subject, payload).await {
            tracing::warn!(error = %e, "a bus message was not sent");
        }
    }
}
