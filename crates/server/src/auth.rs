//! Who is calling: passwords (Argon2id), bearer tokens, and the extractor every protected route
//! takes.
//!
//! Tokens are 32 random bytes. The store keeps only their SHA-256, so a copy of the database
//! does not let anyone log in; a lookup by that hash reveals nothing about a guessed token, which
//! is why no separate constant-time comparison is needed here.

use crate::clock::now_us;
use crate::error::ApiError;
use crate::state::AppState;
use amparo_core::roles::Role;
use amparo_store::Account;
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// The logged-in account of a request, rate-limited per account, and the hash of the session
/// token it came with (so logging out needs no second look at the header).
#[derive(Clone, Debug)]
pub struct CurrentAccount(pub Account, [u8; 32]);

impl FromRequestParts<AppState> for CurrentAccount {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let session = token_hash(bearer_token(parts)?);
        let account = state
            .store
            .session_account(&session, now_us())
            .await?
            .ok_or_else(|| ApiError::unauthorized("Your session has expired or is not valid: log in again."))?;
        state.rate_limits.check_account(account.id)?;
        Ok(CurrentAccount(account, session))
    }
}

impl CurrentAccount {
    /// The SHA-256 of the bearer token this request was authenticated with.
    pub fn session_hash(&self) -> &[u8; 32] {
        &self.1
    }

    /// Refuses unless the account holds `role`.
    pub fn require(&self, role: Role) -> Result<(), ApiError> {
        if self.0.has_role(role) {
            Ok(())
        } else {
            Err(ApiError::forbidden(format!(
                "This needs the {role} role, which your account does not have."
            )))
        }
    }
}

fn bearer_token(parts: &Parts) -> Result<&str, ApiError> {
    let value = parts
        .headers
        .get(header::AUTHORIZATION)
        .ok_or_else(|| ApiError::unauthorized("Log in first: send Authorization: Bearer <token>."))?;
    value
        .to_str()
        .ok()
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| ApiError::unauthorized("The Authorization header must be: Bearer <token>."))
}

/// A new random session token.
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// What the store keeps of a token.
pub fn token_hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// Hashes a password with Argon2id (the crate's defaults follow OWASP's recommendation), off the
/// async workers: it takes tens of milliseconds on purpose.
pub async fn hash_password(password: String) -> Result<String, ApiError> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut rand::rngs::OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
    })
    .await
    .map_err(ApiError::internal)?
    .map_err(ApiError::internal)
}

/// Checks a password against a stored hash. With no stored hash (unknown username) it still does
/// the work against a fixed hash, so response times do not reveal which usernames exist.
pub async fn verify_password(password: String, stored: Option<String>) -> Result<bool, ApiError> {
    tokio::task::spawn_blocking(move || {
        let (hash, known) = match stored {
            Some(hash) => (hash, true),
            None => (DUMMY_HASH.to_owned(), false),
        };
        let parsed = PasswordHash::new(&hash).map_err(|e| e.to_string())?;
        let matches = Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok();
        Ok::<bool, String>(matches && known)
    })
    .await
    .map_err(ApiError::internal)?
    .map_err(ApiError::internal)
}

/// Argon2id (default parameters) of a random password nobody knows.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$8Ylbx9rxZ+S0zL6u0aPBbJL5Yk0GSRrRfJaR2wPpNdE";
