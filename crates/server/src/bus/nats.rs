//! The bus over a NATS server (core NATS: publish, subscribe, request and reply; nothing is
//! stored on the NATS server). The connection is made with `no_echo`, so a node never hears its
//! own messages: it has delivered them to its own connections already.
//!
//! Publishing goes through one queue and one task, so a handler never waits on the network and
//! a node's messages leave in the order they were published (the WebRTC signaling of a call,
//! an offer and its withdrawal). async-nats reconnects by itself and subscribes again.

use super::{BusError, Message, REQUEST_TIMEOUT, Reply, Subscription};
use async_nats::{Client, ConnectOptions, RequestErrorKind};
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
    /// Connects to `url` (`nats://host:4222`, or several separated by commas). Fails when no
    /// server answers within five seconds: a node that cannot reach the others must not start
    /// serving as if it were alone.
    pub async fn connect(url: &str) -> Result<Self, BusError> {
        let servers: Vec<&str> = url.split(',').map(str::trim).collect();
        let client = ConnectOptions::new()
            .name("amparo")
            .no_echo()
            .connection_timeout(Duration::from_secs(5))
            .connect(servers)
            .await
            .map_err(|e| BusError::Nats(format!("connecting to the NATS server at bus_url: {e}")))?;
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

async fn send_in_order(client: Client, mut queued: mpsc::Receiver<(String, Bytes)>) {
    while let Some((subject, payload)) = queued.recv().await {
        if let Err(e) = client.publish(subject, payload).await {
            tracing::warn!(error = %e, "a bus message was not sent");
        }
    }
}
