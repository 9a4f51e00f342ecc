//! The `bus_url` setting and `[bus]`: how this node reaches the others. Chosen by the URL's
//! scheme, as `database_url` and `blob_url` are, refusing what it does not know rather than
//! guessing: a typo must not leave a node serving alone while its peers think it is with them.

use super::address::{NatsAddress, UrlCredentials, redacted};
use super::nats::NatsBus;
use super::{Bus, BusError};
use serde::{Deserialize, Serialize};

/// Where the other nodes are, parsed from `bus_url`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BusLocation {
    /// Empty: a single node, the in-process bus.
    InProcess,
    /// `nats://host:port` (or `tls://`, several separated by commas), perhaps with credentials: a
    /// NATS server.
    Nats(NatsAddress),
}

/// `[bus]`: how to authenticate to NATS and check its certificate, beyond what `bus_url` says.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BusSettings {
    /// A NATS credentials file (`.creds`: a user's JWT and nkey seed, as `nsc` writes them), for
    /// a NATS server in operator mode. Empty: none. Not with credentials in `bus_url`.
    pub credentials_file: String,
    /// A PEM file of the certificate authority that signed the NATS server's certificate, for a
    /// private CA; TLS is then required. Empty: `tls://` servers are checked against the system's
    /// roots.
    pub ca_file: String,
}

impl BusLocation {
    pub fn parse(url: &str) -> Result<Self, BusError> {
        let url = url.trim();
        if url.is_empty() {
            return Ok(Self::InProcess);
        }
        Ok(Self::Nats(NatsAddress::parse(url)?))
    }

    /// [`BusLocation::parse`], and `[bus]` checked against it: one way to authenticate.
    pub fn with_settings(url: &str, settings: &BusSettings) -> Result<Self, BusError> {
        let location = Self::parse(url)?;
        match &location {
            Self::InProcess if !settings.credentials_file.is_empty() || !settings.ca_file.is_empty() => {
                Err(BusError::Setting(
                    "[bus] credentials_file and ca_file are for a NATS bus_url, and bus_url is empty".to_owned(),
                ))
            }
            Self::Nats(address)
                if address.credentials != UrlCredentials::None && !settings.credentials_file.is_empty() =>
            {
                Err(BusError::Setting(format!(
                    "bus_url carries credentials ({}) and [bus] credentials_file is set too: use one",
                    redacted(url)
                )))
            }
            _ => Ok(location),
        }
    }
}

/// Opens the bus `bus_url` names; a NATS server that does not answer, or refuses our
/// credentials, is an error now, not at the first alert.
pub async fn open(url: &str, settings: &BusSettings) -> Result<Bus, BusError> {
    match BusLocation::with_settings(url, settings)? {
        BusLocation::InProcess => Ok(Bus::single_node()),
        BusLocation::Nats(address) => Ok(Bus::Nats(NatsBus::connect_with(&address, settings).await?)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bus_is_chosen_by_scheme_and_refused_when_unknown() {
        assert_eq!(BusLocation::parse(" ").expect("empty"), BusLocation::InProcess);
        let BusLocation::Nats(address) = BusLocation::parse("nats://10.0.0.5:4222,nats://10.0.0.6:4222").expect("nats")
        else {
            panic!("a NATS URL is NATS");
        };
        assert_eq!(address.servers, ["nats://10.0.0.5:4222", "nats://10.0.0.6:4222"]);
        for bad in ["redis://x", "10.0.0.5:4222", "nats://a:4222,http://b"] {
            let refused = BusLocation::parse(bad).expect_err(bad).to_string();
            assert!(refused.contains("bus_url"), "{refused}");
        }
    }

    #[test]
    fn one_way_to_authenticate() {
        let creds = BusSettings {
            credentials_file: "/etc/amparo/nats.creds".into(),
            ..BusSettings::default()
        };
        let refused = BusLocation::with_settings("nats://me:secret@a:4222", &creds).expect_err("both");
        assert!(refused.to_string().contains("credentials_file"), "{refused}");
        assert!(!refused.to_string().contains("secret"), "{refused}");
        assert!(BusLocation::with_settings("", &creds).is_err(), "creds without NATS");
        assert!(BusLocation::with_settings("nats://a:4222", &creds).is_ok());
        assert!(BusLocation::with_settings("nats://me:secret@a:4222", &BusSettings::default()).is_ok());
    }
}
