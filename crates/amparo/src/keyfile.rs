//! The server's keys, each created on first start in the data directory, readable by the server's
//! user only: the log's signing key in `log.key`, the Web Push (VAPID) key in `push.key`.

use amparo_core::keys::LogKey;
use amparo_server::alerts::webpush::vapid::VapidKey;
use anyhow::Context;
use std::io::Write;
use std::path::Path;

pub fn load_or_create(data_dir: &Path, origin: &str) -> anyhow::Result<LogKey> {
    let path = data_dir.join("log.key");
    if path.exists() {
        let text = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
        let key = LogKey::from_private_string(&text).with_context(|| format!("{} is not a log key", path.display()))?;
        anyhow::ensure!(
            key.name() == origin,
            "the log key in {} is for the log {:?}, but log.origin is {origin:?}: a log's origin cannot change \
             (set log.origin back, or start a new log in a new data directory)",
            path.display(),
            key.name()
        );
        return Ok(key);
    }
    let key = LogKey::generate(origin).with_context(|| format!("log.origin {origin:?} cannot name a log"))?;
    write_new_secret(&path, &key.to_private_string())?;
    tracing::info!(verifier_key = %key.verifier_key(), "created a new log key");
    Ok(key)
}

/// The VAPID key browsers subscribe to alerts with. Replacing it would silently end every
/// subscription, so it is kept like the log key.
pub fn load_or_create_vapid(data_dir: &Path) -> anyhow::Result<VapidKey> {
    let path = data_dir.join("push.key");
    if path.exists() {
        let text = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
        return VapidKey::from_private_string(&text).with_context(|| format!("{} is not a VAPID key", path.display()));
    }
    let key = VapidKey::generate();
    write_new_secret(&path, &key.to_private_string())?;
    tracing::info!(public_key = key.public_key(), "created a new Web Push (VAPID) key");
    Ok(key)
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
