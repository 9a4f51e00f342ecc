//! The log's signing key lives in `<data_dir>/log.key`, created on first start, readable by the
//! server's user only.

use amparo_core::keys::LogKey;
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
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(&path)
        .with_context(|| format!("creating {}", path.display()))?;
    writeln!(file, "{}", key.to_private_string())?;
    file.sync_all()?;
    tracing::info!(verifier_key = %key.verifier_key(), "created a new log key");
    Ok(key)
}
