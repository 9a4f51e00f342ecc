//! The server's key files in the data directory, readable by the server's user only: the log's
//! signing key in `log.key`, the Web Push (VAPID) key in `push.key` (the prepared messages' key,
//! `messages.key`, is read and made by `amparo_server::alerts::seal`). Each is read if present and
//! made only when [`crate::shared_keys`] finds the deployment has none yet.

use amparo_core::keys::LogKey;
use amparo_server::alerts::webpush::vapid::VapidKey;
use anyhow::Context;
use std::io::Write;
use std::path::Path;

pub const LOG_KEY: &str = "log.key";
pub const PUSH_KEY: &str = "push.key";
pub const MESSAGES_KEY: &str = "messages.key";

/// `<data_dir>/log.key`, if there is one; it must be a key for the log `origin`.
pub fn read_log_key(data_dir: &Path, origin: &str) -> anyhow::Result<Option<LogKey>> {
    let path = data_dir.join(LOG_KEY);
    let Some(text) = read_if_present(&path)? else {
        return Ok(None);
    };
    let key = LogKey::from_private_string(&text).with_context(|| format!("{} is not a log key", path.display()))?;
    anyhow::ensure!(
        key.name() == origin,
        "the log key in {} is for the log {:?}, but log.origin is {origin:?}: a log's origin cannot change \
         (set log.origin back, or start a new log in a new data directory)",
        path.display(),
        key.name()
    );
    Ok(Some(key))
}

/// A new log key for `origin`, written to `<data_dir>/log.key`.
pub fn create_log_key(data_dir: &Path, origin: &str) -> anyhow::Result<LogKey> {
    let key = LogKey::generate(origin).with_context(|| format!("log.origin {origin:?} cannot name a log"))?;
    write_new_secret(&data_dir.join(LOG_KEY), &key.to_private_string())?;
    tracing::info!(verifier_key = %key.verifier_key(), "created a new log key");
    Ok(key)
}

/// `<data_dir>/push.key`, if there is one: the VAPID key browsers subscribe to alerts with.
/// Replacing it would silently end every subscription, so it is kept like the log key.
pub fn read_vapid(data_dir: &Path) -> anyhow::Result<Option<VapidKey>> {
    let path = data_dir.join(PUSH_KEY);
    let Some(text) = read_if_present(&path)? else {
        return Ok(None);
    };
    let key = VapidKey::from_private_string(&text).with_context(|| format!("{} is not a VAPID key", path.display()))?;
    Ok(Some(key))
}

/// A new VAPID key, written to `<data_dir>/push.key`.
pub fn create_vapid(data_dir: &Path) -> anyhow::Result<VapidKey> {
    let key = VapidKey::generate();
    write_new_secret(&data_dir.join(PUSH_KEY), &key.to_private_string())?;
    tracing::info!(public_key = key.public_key(), "created a new Web Push (VAPID) key");
    Ok(key)
}

fn read_if_present(path: &Path) -> anyhow::Result<Option<String>> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(error).with_context(|| format!("reading {}", path.display())),
    }
}

/// Writes a new file only the server's user can read, and makes sure it reached the disk.
fn write_new_secret(path: &Path, secret: &str) -> anyhow::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    writeln!(file, "{secret}")?;
    file.sync_all()?;
    Ok(())
}
