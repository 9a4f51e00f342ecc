//! Settings, layered: built-in defaults, then the config file, then `AMPARO_*` environment
//! variables (`AMPARO_LISTEN`, `AMPARO_LIMITS__MAX_CHUNK_BYTES`: `__` separates sections), then
//! command-line flags.

use crate::cli::ServeFlags;
use amparo_server::alerts::AlertSettings;
use amparo_server::attorney::settings::{DispatchConfig, MetricsSettings, TurnSettings};
use amparo_server::blobs::{BlobLocation, S3Settings};
use amparo_server::bus::Subjects;
use amparo_server::bus::open::{BusLocation, BusSettings};
use amparo_server::limits::{Limits, LogSettings};
use amparo_server::observers::settings::ObserverConfig;
use amparo_server::plans::PlanSettings;
use amparo_server::rapid::webhook::RapidSettings;
use amparo_server::routes::billing::BillingSettings;
use anyhow::Context;
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The documented default configuration, printed by `amparo config`. A test keeps it equal to
/// `Settings::default()`.
pub const DEFAULT_CONFIG: &str = include_str!("../amparo.example.toml");

/// The top-level keys of [`Settings`], as environment variables name them after `AMPARO_`.
const SECTIONS: [&str; 18] = [
    "listen",
    "data_dir",
    "database_url",
    "blob_url",
    "bus_url",
    "bus_cluster",
    "bus",
    "s3",
    "log",
    "limits",
    "alerts",
    "plans",
    "billing",
    "dispatch",
    "turn",
    "metrics",
    "rapid",
    "observers",
];

/// `Debug` shows no secret: the URLs' passwords and tokens are redacted, and the sections'
/// secrets are redacted by their own `Debug`.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    pub listen: String,
    pub data_dir: PathBuf,
    /// Empty: SQLite at `<data_dir>/amparo.db`.
    pub database_url: String,
    /// Empty: media in `<data_dir>/media`. `s3://bucket/prefix`: S3-compatible storage, `[s3]`.
    pub blob_url: String,
    /// Empty: a single node, the in-process bus. `nats://host:4222`: the other nodes of the
    /// deployment are reached through this NATS server (offers, alerts, signaling, presence).
    pub bus_url: String,
    /// This deployment's name on the bus (every subject starts `amparo.<bus_cluster>.`), so
    /// deployments sharing a NATS server stay apart.
    pub bus_cluster: String,
    /// `[bus]`: a NATS credentials file and a private CA, beyond what `bus_url` says.
    pub bus: BusSettings,
    /// How to reach the S3 store (secrets redacted in `Debug`); empty values from `AWS_*`.
    pub s3: S3Settings,
    pub log: LogSettings,
    pub limits: Limits,
    pub alerts: AlertSettings,
    pub plans: PlanSettings,
    pub billing: BillingSettings,
    pub dispatch: DispatchConfig,
    pub turn: TurnSettings,
    pub metrics: MetricsSettings,
    /// The rapid-response network's own channels (its incident webhook).
    pub rapid: RapidSettings,
    pub observers: ObserverConfig,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".to_owned(),
            data_dir: PathBuf::from("./amparo-data"),
            database_url: String::new(),
            blob_url: String::new(),
            bus_url: String::new(),
            bus_cluster: "main".to_owned(),
            bus: BusSettings::default(),
            s3: S3Settings::default(),
            log: LogSettings::default(),
            limits: Limits::default(),
            alerts: AlertSettings::default(),
            plans: PlanSettings::default(),
            billing: BillingSettings::default(),
            dispatch: DispatchConfig::default(),
            turn: TurnSettings::default(),
            metrics: MetricsSettings::default(),
            rapid: RapidSettings::default(),
            observers: ObserverConfig::default(),
        }
    }
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("listen", &self.listen)
            .field("data_dir", &self.data_dir)
            .field("database_url", &crate::run::redact(&self.database_url))
            .field("blob_url", &self.blob_url)
            .field("bus_url", &amparo_server::bus::address::redacted(&self.bus_url))
            .field("bus_cluster", &self.bus_cluster)
            .field("bus", &self.bus)
            .field("s3", &self.s3)
            .field("log", &self.log)
            .field("limits", &self.limits)
            .field("alerts", &self.alerts)
            .field("plans", &self.plans)
            .field("billing", &self.billing)
            .field("dispatch", &self.dispatch)
            .field("turn", &self.turn)
            .field("metrics", &self.metrics)
            .field("rapid", &self.rapid)
            .field("observers", &self.observers)
            .finish()
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
    // Only variables that name a setting: others share the prefix (AMPARO_CONFIG is the flag's,
    // AMPARO_TEST_* belong to the test suite) and must not be mistaken for unknown settings.
    let settings_env = Env::prefixed("AMPARO_").filter(|key| {
        let key = key.as_str().to_ascii_lowercase();
        SECTIONS
            .iter()
            .any(|section| key == *section || key.starts_with(&format!("{section}__")))
    });
    figment = figment.merge(settings_env.split("__"));
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
    if let Some(url) = &flags.blob_url {
        settings.blob_url.clone_from(url);
    }
    if let Some(url) = &flags.bus_url {
        settings.bus_url.clone_from(url);
    }
    // Refused now, with the setting's name, rather than when the first chunk arrives.
    BlobLocation::parse(&settings.blob_url)?;
    BusLocation::with_settings(&settings.bus_url, &settings.bus)?;
    Subjects::new(&settings.bus_cluster)?;
    anyhow::ensure!(
        (1..=1000).contains(&settings.log.checkpoint_interval_ms),
        "log.checkpoint_interval_ms must be 1 to 1000: receipts promise a checkpoint within a second"
    );
    anyhow::ensure!(
        settings.limits.max_chunk_bytes > 0,
        "limits.max_chunk_bytes must be above 0"
    );
    anyhow::ensure!(
        settings.limits.rapid_resolution <= 15,
        "limits.rapid_resolution must be an H3 resolution, 0 to 15 (8: cells of about 0.74 km²)"
    );
    settings.alerts.check()?;
    settings.billing.check()?;
    settings.rapid.channel()?;
    Ok(settings)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    // figment's Jail fixes the closure's error type; its size is not ours to choose.
    #[allow(clippy::result_large_err)]
    fn environment_variables_set_settings_and_others_are_ignored() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("AMPARO_LISTEN", "127.0.0.1:9999");
            jail.set_env("AMPARO_LIMITS__MAX_CHUNK_BYTES", "1234");
            jail.set_env("AMPARO_LOG__ORIGIN", "example.org/log");
            jail.set_env("AMPARO_TEST_POSTGRES_URL", "postgres://elsewhere");
            let flags = ServeFlags {
                data_dir: Some(PathBuf::from("/tmp/x")),
                ..ServeFlags::default()
            };
            let settings = load(None, &flags).map_err(|e| e.to_string())?;
            assert_eq!(settings.listen, "127.0.0.1:9999");
            assert_eq!(settings.limits.max_chunk_bytes, 1234);
            assert_eq!(settings.log.origin, "example.org/log");
            assert_eq!(settings.data_dir, PathBuf::from("/tmp/x"));
            jail.set_env("AMPARO_LIMITS__NO_SUCH_LIMIT", "1");
            assert!(
                load(None, &flags).is_err(),
                "a misspelt setting is an error, not ignored"
            );
            Ok(())
        });
    }

    #[test]
    #[allow(clippy::result_large_err)]
    fn alert_channels_are_configured_by_file_and_environment() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "amparo.toml",
                "[alerts.email]\nhost = \"smtp.example.org\"\nfrom = \"Amparo <alerts@example.org>\"\n",
            )?;
            jail.set_env("AMPARO_ALERTS__EMAIL__USERNAME", "amparo");
            jail.set_env("AMPARO_ALERTS__EMAIL__PASSWORD", "from-the-environment");
            jail.set_env("AMPARO_ALERTS__WEBHOOK__URL", "https://sms.example.org/hook");
            jail.set_env("AMPARO_ALERTS__WEBHOOK__SECRET", "0123456789abcdef0123");
            let settings = load(None, &ServeFlags::default()).map_err(|e| e.to_string())?;
            let email = settings.alerts.email.expect("an email section");
            assert_eq!(email.host, "smtp.example.org");
            assert_eq!(email.port, None);
            assert_eq!(email.password.expose(), "from-the-environment");
            let webhook = settings.alerts.webhook.expect("a webhook section");
            assert_eq!(webhook.secret.expose(), "0123456789abcdef0123");

            jail.set_env("AMPARO_ALERTS__EMAIL__TLS", "none");
            let refused = load(None, &ServeFlags::default()).expect_err("plaintext SMTP to another host");
            assert!(format!("{refused:#}").contains("alerts.email.tls"), "{refused:#}");
            Ok(())
        });
    }

    #[test]
    #[allow(clippy::result_large_err)]
    fn object_storage_is_chosen_by_blob_url_and_refused_when_unknown() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("AMPARO_BLOB_URL", "s3://evidence/city-a");
            jail.set_env("AMPARO_S3__ENDPOINT", "http://127.0.0.1:9000");
            jail.set_env("AMPARO_S3__SECRET_ACCESS_KEY", "do-not-print-me");
            let settings = load(None, &ServeFlags::default()).map_err(|e| e.to_string())?;
            assert_eq!(settings.blob_url, "s3://evidence/city-a");
            assert_eq!(settings.s3.endpoint, "http://127.0.0.1:9000");
            assert_eq!(settings.s3.secret_access_key.expose(), "do-not-print-me");
            assert!(!format!("{settings:?}").contains("do-not-print-me"));

            let flags = ServeFlags {
                blob_url: Some("file:///srv/media".into()),
                ..ServeFlags::default()
            };
            let refused = load(None, &flags).expect_err("an unknown scheme");
            assert!(format!("{refused:#}").contains("s3://bucket/prefix"), "{refused:#}");
            Ok(())
        });
    }

    #[test]
    #[allow(clippy::result_large_err)]
    fn the_bus_is_set_by_flag_environment_or_file_and_refused_when_unknown() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("amparo.toml", "bus_cluster = \"city-a\"\n")?;
            jail.set_env("AMPARO_BUS_URL", "nats://10.0.0.5:4222");
            let settings = load(None, &ServeFlags::default()).map_err(|e| e.to_string())?;
            assert_eq!(settings.bus_url, "nats://10.0.0.5:4222");
            assert_eq!(settings.bus_cluster, "city-a");
            let flags = ServeFlags {
                bus_url: Some("redis://10.0.0.5".into()),
                ..ServeFlags::default()
            };
            let refused = load(None, &flags).expect_err("an unknown scheme");
            assert!(format!("{refused:#}").contains("nats://"), "{refused:#}");
            jail.set_env("AMPARO_BUS_URL", "nats://amparo:s3cret@10.0.0.5:4222");
            jail.set_env("AMPARO_BUS__CREDENTIALS_FILE", "/etc/amparo/nats.creds");
            let refused = load(None, &ServeFlags::default()).expect_err("two ways to authenticate");
            assert!(format!("{refused:#}").contains("credentials_file"), "{refused:#}");
            assert!(!format!("{refused:#}").contains("s3cret"), "{refused:#}");
            jail.set_env("AMPARO_BUS_URL", "nats://10.0.0.5:4222");
            jail.set_env("AMPARO_BUS__CA_FILE", "/etc/amparo/nats-ca.pem");
            jail.set_env("AMPARO_DATABASE_URL", "postgres://amparo:pg-s3cret@db/amparo");
            let settings = load(None, &ServeFlags::default()).map_err(|e| e.to_string())?;
            assert_eq!(settings.bus.credentials_file, "/etc/amparo/nats.creds");
            assert_eq!(settings.bus.ca_file, "/etc/amparo/nats-ca.pem");
            assert_eq!(
                settings.bus_url, "nats://10.0.0.5:4222",
                "bus_url is not read as [bus] url"
            );
            jail.set_env("AMPARO_BUS__CREDENTIALS_FILE", "");
            jail.set_env("AMPARO_BUS_URL", "nats://t0ken-s3cret@10.0.0.5:4222");
            let settings = load(None, &ServeFlags::default()).map_err(|e| e.to_string())?;
            let shown = format!("{settings:?}");
            assert!(!shown.contains("s3cret"), "Debug shows a secret: {shown}");
            assert!(shown.contains("nats://***@10.0.0.5:4222"), "{shown}");
            jail.set_env("AMPARO_BUS_CLUSTER", "city.a");
            let refused = load(None, &ServeFlags::default()).expect_err("a dot in the cluster's name");
            assert!(format!("{refused:#}").contains("bus_cluster"), "{refused:#}");
            Ok(())
        });
    }

    #[test]
    #[allow(clippy::result_large_err)]
    fn the_networks_incident_webhook_is_its_own_section() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "amparo.toml",
                "[rapid.webhook]\nurl = \"https://alerts.example.org/incidents\"\n",
            )?;
            jail.set_env("AMPARO_RAPID__WEBHOOK__SECRET", "0123456789abcdef0123");
            let settings = load(None, &ServeFlags::default()).map_err(|e| e.to_string())?;
            let webhook = settings.rapid.webhook.expect("a rapid.webhook section");
            assert_eq!(webhook.url, "https://alerts.example.org/incidents");
            assert_eq!(webhook.secret.expose(), "0123456789abcdef0123");
            assert!(settings.alerts.webhook.is_none(), "not the household alerts' webhook");

            jail.set_env("AMPARO_RAPID__WEBHOOK__URL", "http://alerts.example.org/incidents");
            let refused = load(None, &ServeFlags::default()).expect_err("plaintext off this machine");
            assert!(format!("{refused:#}").contains("rapid.webhook.url"), "{refused:#}");
            Ok(())
        });
    }

    #[test]
    fn the_printed_default_config_is_the_default() {
        let parsed: Settings = toml::from_str(DEFAULT_CONFIG).expect("the example config parses");
        assert_eq!(parsed, Settings::default());
    }
}
