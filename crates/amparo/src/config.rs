//! Settings, layered: built-in defaults, then the config file, then `AMPARO_*` environment
//! variables (`AMPARO_LISTEN`, `AMPARO_LIMITS__MAX_CHUNK_BYTES`: `__` separates sections), then
//! command-line flags.

use crate::cli::ServeFlags;
use amparo_server::limits::{Limits, LogSettings};
use anyhow::Context;
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The documented default configuration, printed by `amparo config`. A test keeps it equal to
/// `Settings::default()`.
pub const DEFAULT_CONFIG: &str = include_str!("../amparo.example.toml");

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    pub listen: String,
    pub data_dir: PathBuf,
    /// Empty: SQLite at `<data_dir>/amparo.db`.
    pub database_url: String,
    pub log: LogSettings,
    pub limits: Limits,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".to_owned(),
            data_dir: PathBuf::from("./amparo-data"),
            database_url: String::new(),
            log: LogSettings::default(),
            limits: Limits::default(),
        }
    }
}

/// Loads settings from every layer.
pub fn load(file: Option<&Path>, flags: &ServeFlags) -> anyhow::Result<Settings> {
    let mut figment = Figment::from(Serialized::defaults(Settings::default()));
    match file {
        Some(path) => {
            anyhow::ensure!(path.exists(), "config file {} does not exist", path.display());
            figment = figment.merge(Toml::file(path));
        }
        None if Path::new("amparo.toml").exists() => figment = figment.merge(Toml::file("amparo.toml")),
        None => {}
    }
    figment = figment.merge(Env::prefixed("AMPARO_").split("__").ignore(&["config"]));
    let mut settings: Settings = figment.extract().context("invalid configuration")?;
    if let Some(listen) = &flags.listen {
        settings.listen.clone_from(listen);
    }
    if let Some(dir) = &flags.data_dir {
        settings.data_dir.clone_from(dir);
    }
    if let Some(url) = &flags.database_url {
        settings.database_url.clone_from(url);
    }
    anyhow::ensure!(
        (1..=1000).contains(&settings.log.checkpoint_interval_ms),
        "log.checkpoint_interval_ms must be 1 to 1000: receipts promise a checkpoint within a second"
    );
    anyhow::ensure!(settings.limits.max_chunk_bytes > 0, "limits.max_chunk_bytes must be above 0");
    Ok(settings)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_printed_default_config_is_the_default() {
        let parsed: Settings = toml::from_str(DEFAULT_CONFIG).expect("the example config parses");
        assert_eq!(parsed, Settings::default());
    }
}
