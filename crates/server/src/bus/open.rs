//! The `bus_url` setting: how this node reaches the others. Chosen by the URL's scheme, as
//! `database_url` and `blob_url` are, refusing what it does not know rather than guessing: a
//! typo must not leave a node serving alone while its peers think it is with them.

use super::nats::NatsBus;
use super::{Bus, BusError};

/// Where the other nodes are, parsed from `bus_url`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BusLocation {
    /// Empty: a single node, the in-process bus.
    InProcess,
    /// `nats://host:port` (or `tls://`, several separated by commas): a NATS server.
    Nats(String),
}

impl BusLocation {
    pub fn parse(url: &str) -> Result<Self, BusError> {
        let url = url.trim();
        if url.is_empty() {
            return Ok(Self::InProcess);
        }
        for server in url.split(',') {
            let server = server.trim();
            let scheme = server.split_once("://").map(|(scheme, _)| scheme);
            if !matches!(scheme, Some("nats" | "tls")) {
                // Only the scheme goes into the message: the rest may hold a secret.
                let shown: String = scheme.unwrap_or("(none)").chars().take(16).collect();
                return Err(BusError::Setting(format!(
                    "bus_url must be empty (one node) or nats://host:4222 (or tls://); got a URL starting with {shown:?}"
                )));
            }
            if server.contains('@') {
                return Err(BusError::Setting(
                    "bus_url must not carry credentials (user:password@): run NATS on the nodes' private network"
                        .to_owned(),
                ));
            }
        }
        Ok(Self::Nats(url.to_owned()))
    }
}

/// Opens the bus `bus_url` names; a NATS server that does not answer is an error now, not at the
/// first alert.
pub async fn open(url: &str) -> Result<Bus, BusError> {
    match BusLocation::parse(url)? {
        BusLocation::InProcess => Ok(Bus::single_node()),
        BusLocation::Nats(url) => Ok(Bus::Nats(NatsBus::connect(&url).await?)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bus_is_chosen_by_scheme_and_refused_when_unknown() {
        assert_eq!(BusLocation::parse(" ").expect("empty"), BusLocation::InProcess);
        assert_eq!(
            BusLocation::parse("nats://10.0.0.5:4222,nats://10.0.0.6:4222").expect("nats"),
            BusLocation::Nats("nats://10.0.0.5:4222,nats://10.0.0.6:4222".to_owned())
        );
        for bad in [
            "redis://x",
            "10.0.0.5:4222",
            "nats://a:4222,http://b",
            "nats://me:secret@x:4222",
        ] {
            let refused = BusLocation::parse(bad).expect_err(bad).to_string();
            assert!(refused.contains("bus_url"), "{refused}");
            assert!(!refused.contains("secret"), "{refused}");
        }
    }
}
