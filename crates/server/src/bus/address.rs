//! `bus_url` taken apart: the NATS servers, and the credentials NATS operators put in the URL
//! (`nats://user:password@host:4222`, `nats://token@host:4222`). async-nats does not read a URL's
//! credentials itself, so they are taken out of every server's URL and given to it as options;
//! they never reach a message or the log: [`redacted`] is the URL as errors show it.

use super::BusError;
use percent_encoding::percent_decode_str;
use reqwest::Url;
use std::fmt;

/// The NATS servers of `bus_url`, without credentials, and the credentials they carried.
#[derive(Clone, PartialEq, Eq)]
pub struct NatsAddress {
    /// `nats://host:4222` or `tls://host:4222`, as async-nats takes them.
    pub servers: Vec<String>,
    pub credentials: UrlCredentials,
}

/// Credentials from the URL. `Debug` never shows a password or token.
#[derive(Clone, PartialEq, Eq)]
pub enum UrlCredentials {
    None,
    /// `user:password@`.
    UserPassword {
        user: String,
        password: String,
    },
    /// `token@`: the server's `authorization { token }` (or `--auth`).
    Token(String),
}

impl fmt::Debug for UrlCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::None => f.write_str("None"),
            Self::UserPassword { user, .. } => write!(f, "UserPassword {{ user: {user:?}, password: *** }}"),
            Self::Token(_) => f.write_str("Token(***)"),
        }
    }
}

impl fmt::Debug for NatsAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NatsAddress")
            .field("servers", &self.servers)
            .field("credentials", &self.credentials)
            .finish()
    }
}

impl NatsAddress {
    /// Parses a non-empty `bus_url`: servers separated by commas, each `nats://` or `tls://`.
    /// Servers that carry credentials must carry the same ones (one deployment, one NATS user).
    pub fn parse(url: &str) -> Result<Self, BusError> {
        let mut servers = Vec::new();
        let mut credentials = UrlCredentials::None;
        for server in url.split(',').map(str::trim) {
            let (bare, carried) = parse_server(server)?;
            servers.push(bare);
            match (&credentials, carried) {
                (_, UrlCredentials::None) => {}
                (UrlCredentials::None, carried) => credentials = carried,
                (known, carried) if *known == carried => {}
                _ => {
                    return Err(BusError::Setting(format!(
                        "bus_url's servers carry different credentials ({}): one deployment connects as one NATS \
                         user",
                        redacted(url)
                    )));
                }
            }
        }
        Ok(Self { servers, credentials })
    }
}

/// One server's URL without its credentials, and the credentials.
fn parse_server(server: &str) -> Result<(String, UrlCredentials), BusError> {
    let scheme = server.split_once("://").map(|(scheme, _)| scheme);
    if !matches!(scheme, Some("nats" | "tls")) {
        // Only the scheme goes into the message: the rest may hold a secret.
        let shown: String = scheme.unwrap_or("(none)").chars().take(16).collect();
        return Err(BusError::Setting(format!(
            "bus_url must be empty (one node) or nats://host:4222 (or tls://); got a URL starting with {shown:?}"
        )));
    }
    let unreadable = || BusError::Setting(format!("bus_url is not a URL: {}", redacted(server)));
    let mut parsed = Url::parse(server).map_err(|_| unreadable())?;
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(unreadable());
    }
    let decode = |text: &str| {
        percent_decode_str(text)
            .decode_utf8()
            .map(|decoded| decoded.into_owned())
            .map_err(|_| unreadable())
    };
    let user = decode(parsed.username())?;
    let password = parsed.password().map(decode).transpose()?;
    let credentials = match (user.is_empty(), password) {
        (true, None) => UrlCredentials::None,
        (false, None) => UrlCredentials::Token(user),
        (false, Some(password)) => UrlCredentials::UserPassword { user, password },
        (true, Some(_)) => {
            return Err(BusError::Setting(format!(
                "bus_url has a password but no user ({}): write nats://user:password@host:4222, or \
                 nats://token@host:4222 for a token",
                redacted(server)
            )));
        }
    };
    // Neither can fail on a URL with a host.
    let _ = parsed.set_username("");
    let _ = parsed.set_password(None);
    let bare = parsed.as_str().trim_end_matches('/').to_owned();
    Ok((bare, credentials))
}

/// `bus_url` as messages may show it: each server's credentials replaced by `***`.
pub fn redacted(url: &str) -> String {
    let servers: Vec<String> = url
        .split(',')
        .map(|server| {
            let server = server.trim();
            let Some((scheme, rest)) = server.split_once("://") else {
                return server.to_owned();
            };
            let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
            match rest[..authority_end].rfind('@') {
                Some(at) => format!("{scheme}://***{}", &rest[at..]),
                None => server.to_owned(),
            }
        })
        .collect();
    servers.join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_taken_out_of_every_server() {
        let parsed =
            NatsAddress::parse("nats://amparo:s%40cret@10.0.0.5:4222, tls://amparo:s%40cret@nats.example:4443")
                .expect("user and password");
        assert_eq!(parsed.servers, ["nats://10.0.0.5:4222", "tls://nats.example:4443"]);
        assert_eq!(
            parsed.credentials,
            UrlCredentials::UserPassword {
                user: "amparo".into(),
                password: "s@cret".into()
            }
        );
        let shown = format!("{parsed:?}");
        assert!(!shown.contains("s@cret") && !shown.contains("s%40cret"), "{shown}");

        let token = NatsAddress::parse("nats://t0ken@127.0.0.1:4222,nats://127.0.0.1:4223").expect("token");
        assert_eq!(token.servers, ["nats://127.0.0.1:4222", "nats://127.0.0.1:4223"]);
        assert_eq!(token.credentials, UrlCredentials::Token("t0ken".into()));
        assert!(!format!("{token:?}").contains("t0ken"));

        let plain = NatsAddress::parse("nats://10.0.0.5:4222").expect("plain");
        assert_eq!(plain.credentials, UrlCredentials::None);
        assert_eq!(plain.servers, ["nats://10.0.0.5:4222"]);
    }

    #[test]
    fn ambiguous_or_broken_credentials_are_refused_without_showing_them() {
        for bad in [
            "nats://me:secret@a:4222,nats://me:other-secret@b:4222",
            "nats://:secret@a:4222",
            "nats://me:secret@",
            "nats://me:secret%ff@a:4222",
        ] {
            let refused = NatsAddress::parse(bad).expect_err(bad).to_string();
            assert!(refused.contains("bus_url"), "{refused}");
            assert!(!refused.contains("secret"), "{bad}: {refused}");
        }
    }

    #[test]
    fn redacted_urls_keep_hosts_and_drop_secrets() {
        assert_eq!(
            redacted("nats://me:p@ss@a:4222, nats://b:4222,tls://tok@c"),
            "nats://***@a:4222,nats://b:4222,tls://***@c"
        );
        assert_eq!(redacted("nats://a:4222/x@y"), "nats://a:4222/x@y");
    }
}
