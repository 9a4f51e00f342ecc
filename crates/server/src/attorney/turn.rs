//! ICE servers for a call, with TURN credentials in coturn's REST scheme: the username is
//! `<expiry unix time>:<random id>` and the password `base64(HMAC-SHA1(secret, username))`.
//! coturn (`use-auth-secret`) recomputes the same HMAC and refuses the credentials after the
//! expiry, so nothing is stored and nothing is shared with the TURN server but the secret.
//!
//! The random part says nothing about who called: a TURN server's logs must not become a list of
//! the people who called a lawyer. SHA-1 is what the scheme specifies; as an HMAC it is sound.

use super::settings::TurnSettings;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde::Serialize;
use sha1::Sha1;
use utoipa::ToSchema;

const DEFAULT_TTL_SECS: u64 = 3_600;

/// One entry of `RTCConfiguration.iceServers`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct IceServer {
    pub urls: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credential: Option<String>,
}

/// What `GET /api/v1/turn` answers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct IceConfig {
    pub ice_servers: Vec<IceServer>,
    /// How long the credentials last.
    pub ttl_secs: u64,
}

/// The ICE servers for a call starting at `now_secs` (Unix time).
pub fn ice_config(settings: &TurnSettings, now_secs: u64) -> IceConfig {
    let ttl_secs = if settings.ttl_secs == 0 {
        DEFAULT_TTL_SECS
    } else {
        settings.ttl_secs
    };
    let mut ice_servers = Vec::new();
    if !settings.stun_urls.is_empty() {
        ice_servers.push(IceServer {
            urls: settings.stun_urls.clone(),
            username: None,
            credential: None,
        });
    }
    if let Some(secret) = settings.secret.as_deref().filter(|_| !settings.urls.is_empty()) {
        let username = format!(
            "{}:{}",
            now_secs.saturating_add(ttl_secs),
            uuid::Uuid::new_v4().simple()
        );
        ice_servers.push(IceServer {
            urls: settings.urls.clone(),
            credential: Some(credential(secret, &username)),
            username: Some(username),
        });
    }
    IceConfig { ice_servers, ttl_secs }
}

/// coturn's password for `username`.
pub fn credential(secret: &str, username: &str) -> String {
    // HMAC takes a key of any length; `new_from_slice` cannot fail for it.
    let mut mac = Hmac::<Sha1>::new_from_slice(secret.as_bytes()).expect("HMAC accepts any key length");
    mac.update(username.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credential_matches_coturns_scheme() {
        // Computed independently: printf '1700000000:alice' | openssl dgst -sha1 -hmac 'north' -binary | base64
        assert_eq!(credential("north", "1700000000:alice"), "Cd/49soE35ICqcJF/bCTn8Z4OyE=");
    }

    #[test]
    fn issues_time_limited_turn_credentials_only_with_a_secret() {
        let mut settings = TurnSettings {
            urls: vec!["turn:127.0.0.1:3478?transport=udp".into()],
            stun_urls: vec!["stun:127.0.0.1:3478".into()],
            ..TurnSettings::default()
        };
        let open = ice_config(&settings, 1_000);
        assert_eq!(open.ice_servers.len(), 1, "no secret: STUN only");
        settings.secret = Some("s3cret".into());
        let config = ice_config(&settings, 1_000);
        let turn = &config.ice_servers[1];
        let username = turn.username.as_deref().unwrap();
        let (expiry, id) = username.split_once(':').unwrap();
        assert_eq!(expiry, "4600");
        assert_eq!(id.len(), 32);
        assert_eq!(
            turn.credential.as_deref(),
            Some(credential("s3cret", username).as_str())
        );
        assert_ne!(
            ice_config(&settings, 1_000).ice_servers[1].username.as_deref(),
            Some(username)
        );
    }
}
