//! The key files every node of a deployment shares (`log.key`, `messages.key`, `push.key`),
//! checked against the store before a node serves.
//!
//! A node given another key than the deployment's must not serve: a new log key would sign
//! receipts no verifier of the deployment accepts, a new messages key would not open the prepared
//! messages other nodes sealed, and a new push key would not reach the browsers that subscribed
//! with the old one. So the first node to start records a fingerprint of each key in the store
//! (`Store::claim_deployment_key`), and every start after compares its own with it. A node without
//! a key file makes one only when the store has none recorded (and, for the log key, no log yet):
//! otherwise it refuses, saying which file to copy. The log's key is also checked against the
//! log's last checkpoint, which protects stores from before fingerprints were recorded.
//!
//! A fingerprint reveals nothing of a secret: it is a labelled SHA-256 of the key's public part
//! (the log's verifier key, the VAPID public key), or of the random 256-bit key itself for
//! `messages.key` ([`MessageKey::fingerprint`]).
//!
//! On a single node (SQLite) the same checks catch a key file replaced in the data directory.

use crate::keyfile::{self, LOG_KEY, MESSAGES_KEY, PUSH_KEY};
use amparo_core::checkpoint;
use amparo_core::keys::LogKey;
use amparo_server::alerts::seal::MessageKey;
use amparo_server::alerts::webpush::vapid::VapidKey;
use amparo_store::Store;
use anyhow::Context;
use sha2::{Digest, Sha256};
use std::path::Path;

/// The node's copies of the deployment's keys, checked against the store. `Debug` shows no secret
/// (each key's own `Debug` is redacted).
#[derive(Debug)]
pub struct SharedKeys {
    pub log: LogKey,
    pub messages: MessageKey,
    pub push: VapidKey,
}

/// Reads the key files of `data_dir` (making those the deployment does not have yet) and checks
/// each against what the store recorded. An error names the file and what to do.
pub async fn settle(store: &dyn Store, data_dir: &Path, origin: &str) -> anyhow::Result<SharedKeys> {
    let last_checkpoint = store.latest_checkpoint().await?;
    let log_history = last_checkpoint.is_some() || store.log_size().await? > 0;
    let log = match keyfile::read_log_key(data_dir, origin)? {
        Some(key) => key,
        None => {
            refuse_if_deployed(store, data_dir, LOG_KEY, log_history).await?;
            keyfile::create_log_key(data_dir, origin)?
        }
    };
    if let Some(last) = &last_checkpoint {
        // The check that needs no recorded fingerprint: a store from before they were recorded.
        anyhow::ensure!(
            checkpoint::verify(&log.public(), &last.note).is_ok(),
            "{} did not sign this deployment's log: its last checkpoint (size {}) is signed by another key. {}",
            data_dir.join(LOG_KEY).display(),
            last.size,
            what_to_do(data_dir)
        );
    }
    claim(
        store,
        data_dir,
        LOG_KEY,
        public_fingerprint(LOG_KEY, &log.verifier_key()),
    )
    .await?;

    let messages_path = data_dir.join(MESSAGES_KEY);
    let messages = match MessageKey::load(data_dir).with_context(|| format!("reading {}", messages_path.display()))? {
        Some(key) => key,
        None => {
            refuse_if_deployed(store, data_dir, MESSAGES_KEY, false).await?;
            MessageKey::create(data_dir).with_context(|| format!("creating {}", messages_path.display()))?
        }
    };
    claim(store, data_dir, MESSAGES_KEY, messages.fingerprint()).await?;

    let push = match keyfile::read_vapid(data_dir)? {
        Some(key) => key,
        None => {
            refuse_if_deployed(store, data_dir, PUSH_KEY, false).await?;
            keyfile::create_vapid(data_dir)?
        }
    };
    claim(
        store,
        data_dir,
        PUSH_KEY,
        public_fingerprint(PUSH_KEY, push.public_key()),
    )
    .await?;
    Ok(SharedKeys { log, messages, push })
}

/// A node without `file` may make one only for a deployment that has none: nothing recorded for
/// it, and (for the log's key) no log yet.
async fn refuse_if_deployed(store: &dyn Store, data_dir: &Path, file: &str, history: bool) -> anyhow::Result<()> {
    let recorded = store.deployment_key(file).await?.is_some();
    anyhow::ensure!(
        !recorded && !history,
        "{} is missing, but this deployment already has its {file} (its store is in use): a new one would not \
         match. {}",
        data_dir.join(file).display(),
        what_to_do(data_dir)
    );
    Ok(())
}

/// Records this node's fingerprint of `file` if it is the first, or checks it against the first.
async fn claim(store: &dyn Store, data_dir: &Path, file: &str, fingerprint: String) -> anyhow::Result<()> {
    let recorded = store
        .claim_deployment_key(file, &fingerprint)
        .await
        .with_context(|| format!("recording the fingerprint of {file}"))?;
    anyhow::ensure!(
        recorded == fingerprint,
        "{} is not this deployment's {file}: the store was first used with another one. {}",
        data_dir.join(file).display(),
        what_to_do(data_dir)
    );
    Ok(())
}

fn what_to_do(data_dir: &Path) -> String {
    format!(
        "Copy log.key, messages.key and push.key from the data directory of a running node of this deployment \
         (or restore them from this node's backup) into {} (mode 0600), then start again",
        data_dir.display()
    )
}

/// A labelled SHA-256 of a key's public part, hex.
fn public_fingerprint(file: &str, public: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(format!("amparo {file} fingerprint v1\n").as_bytes());
    hasher.update(public.as_bytes());
    hex::encode(hasher.finalize())
}
