//! Emergency contacts: the people outside the household a member wants told when they are
//! stopped, and the message prepared for each in case of detention.
//!
//! A prepared message is sealed (see `alerts::seal`) before it reaches the store, and never
//! comes back out through the API: after saving, the app shows only that one is saved, and when.
//! Someone holding the member's unlocked phone cannot read what they wrote.

use crate::auth::CurrentAccount;
use crate::clock::{now_us, rfc3339};
use crate::error::ApiError;
use crate::json::ApiJson;
use crate::state::AppState;
use crate::validate;
use amparo_core::ids::ContactId;
use amparo_store::{EmergencyContact, MAX_EMERGENCY_CONTACTS};
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Json, Response};
use axum::routing::{get, put};
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;

const MAX_NAME_CHARS: usize = 100;
const MAX_MESSAGE_CHARS: usize = 2_000;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/contacts", get(list).post(create))
        .route("/api/v1/contacts/{id}", put(update).delete(remove))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactInput {
    /// How alerts address them ("Lucía", "Tía Rosa"), at most 100 characters.
    pub name: String,
    pub email: Option<String>,
    /// E.164 (`+13125550100`), for the organization's SMS gateway.
    pub phone: Option<String>,
    /// `en` or `es` (alerts in other languages are written in English for now). Default `en`.
    pub language: Option<String>,
    /// Sent to this contact only when you press "I'm being detained" or end an encounter as a
    /// detention. On update: leave it out to keep the saved one, `null` to remove it, text to
    /// replace it. At most 2,000 characters.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub prepared_message: Option<Option<String>>,
}

/// Tells a field that is absent (`None`) from one that is `null` (`Some(None)`).
fn present<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(deserializer).map(Some)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ContactView {
    pub id: String,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub language: String,
    /// Whether a prepared message is saved. Its text is never shown again.
    pub has_prepared_message: bool,
    pub prepared_message_saved_at: Option<String>,
    /// The channels this server can reach the contact on now (`email`, `sms`): a contact with
    /// an address the server has no channel for would not be told.
    pub reachable_by: Vec<&'static str>,
    pub created_at: String,
    pub updated_at: String,
}

fn view(state: &AppState, contact: &EmergencyContact, message_saved_at_us: Option<i64>) -> ContactView {
    let mut reachable_by = Vec::new();
    if contact.email.is_some() && state.alerts.has_email() {
        reachable_by.push("email");
    }
    if contact.phone.is_some() && state.alerts.has_webhook() {
        reachable_by.push("sms");
    }
    ContactView {
        id: contact.id.to_string(),
        name: contact.name.clone(),
        email: contact.email.clone(),
        phone: contact.phone.clone(),
        language: contact.language.clone(),
        has_prepared_message: contact.prepared_message.is_some(),
        prepared_message_saved_at: message_saved_at_us
            .filter(|_| contact.prepared_message.is_some())
            .map(rfc3339),
        reachable_by,
        created_at: rfc3339(contact.created_at_us),
        updated_at: rfc3339(contact.updated_at_us),
    }
}

/// The caller's emergency contacts, oldest first.
#[utoipa::path(get, path = "/api/v1/contacts", tag = "contacts", security(("bearer" = [])),
    responses((status = 200, body = [ContactView]), (status = 401)))]
pub async fn list(State(state): State<AppState>, account: CurrentAccount) -> Result<Json<Vec<ContactView>>, ApiError> {
    let contacts = state.store.contacts_of(account.0.id).await?;
    Ok(Json(
        contacts
            .iter()
            .map(|c| view(&state, c, Some(c.updated_at_us)))
            .collect(),
    ))
}

/// Adds an emergency contact (at most five).
#[utoipa::path(post, path = "/api/v1/contacts", tag = "contacts", security(("bearer" = [])), request_body = ContactInput,
    responses((status = 201, body = ContactView), (status = 400), (status = 401), (status = 409)))]
pub async fn create(
    State(state): State<AppState>,
    account: CurrentAccount,
    ApiJson(input): ApiJson<ContactInput>,
) -> Result<Response, ApiError> {
    let now = now_us();
    let id = ContactId::new();
    let checked = check(&input)?;
    let contact = EmergencyContact {
        id,
        account: account.0.id,
        name: checked.name,
        email: checked.email,
        phone: checked.phone,
        language: checked.language,
        prepared_message: input
            .prepared_message
            .flatten()
            .map(|text| state.alerts.message_key.seal(account.0.id, id, &text)),
        created_at_us: now,
        updated_at_us: now,
    };
    let saved = state.store.save_contact(&contact).await.map_err(|e| match e {
        amparo_store::StoreError::Conflict(_) => ApiError::conflict(format!(
            "You already have {MAX_EMERGENCY_CONTACTS} emergency contacts: remove one to add another."
        )),
        other => other.into(),
    })?;
    Ok((StatusCode::CREATED, Json(view(&state, &saved, Some(now)))).into_response())
}

/// Changes an emergency contact; its prepared message is kept, removed or replaced.
#[utoipa::path(put, path = "/api/v1/contacts/{id}", tag = "contacts", security(("bearer" = [])), request_body = ContactInput,
    params(("id" = String, Path)), responses((status = 200, body = ContactView), (status = 400), (status = 401), (status = 404)))]
pub async fn update(
    State(state): State<AppState>,
    account: CurrentAccount,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<ContactInput>,
) -> Result<Json<ContactView>, ApiError> {
    let existing = own_contact(&state, &account, &id).await?;
    let checked = check(&input)?;
    let now = now_us();
    let prepared_message = match input.prepared_message {
        None => existing.prepared_message.clone(),
        Some(None) => None,
        Some(Some(text)) => Some(state.alerts.message_key.seal(account.0.id, existing.id, &text)),
    };
    let contact = EmergencyContact {
        name: checked.name,
        email: checked.email,
        phone: checked.phone,
        language: checked.language,
        prepared_message,
        updated_at_us: now,
        ..existing
    };
    let saved = state.store.save_contact(&contact).await?;
    Ok(Json(view(&state, &saved, Some(now))))
}

/// Removes an emergency contact and its prepared message.
#[utoipa::path(delete, path = "/api/v1/contacts/{id}", tag = "contacts", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 204), (status = 401), (status = 404)))]
pub async fn remove(
    State(state): State<AppState>,
    account: CurrentAccount,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let contact = own_contact(&state, &account, &id).await?;
    state.store.delete_contact(account.0.id, contact.id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn own_contact(state: &AppState, account: &CurrentAccount, id: &str) -> Result<EmergencyContact, ApiError> {
    let not_found = || ApiError::not_found("You have no emergency contact with that id.");
    let id: ContactId = id.parse().map_err(|_| not_found())?;
    state
        .store
        .contacts_of(account.0.id)
        .await?
        .into_iter()
        .find(|c| c.id == id)
        .ok_or_else(not_found)
}

struct Checked {
    name: String,
    email: Option<String>,
    phone: Option<String>,
    language: String,
}

fn check(input: &ContactInput) -> Result<Checked, ApiError> {
    let name = crate::alerts::text::one_line(&input.name);
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
        return Err(ApiError::invalid_field(
            "name",
            format!("Give the contact a name of 1 to {MAX_NAME_CHARS} characters."),
        ));
    }
    let email = input.email.as_deref().map(str::trim).filter(|e| !e.is_empty());
    if let Some(email) = email
        && (email.len() > 254 || email.parse::<lettre::Address>().is_err())
    {
        return Err(ApiError::invalid_field(
            "email",
            "That is not an email address (like name@example.org).",
        ));
    }
    let phone = input
        .phone
        .as_deref()
        .map(|p| p.replace([' ', '-', '(', ')', '.'], ""))
        .filter(|p| !p.is_empty());
    if let Some(phone) = &phone
        && !is_e164(phone)
    {
        return Err(ApiError::invalid_field(
            "phone",
            "Write the phone number with its country code, like +1 312 555 0100.",
        ));
    }
    if email.is_none() && phone.is_none() {
        return Err(ApiError::bad_request(
            "Give an email address, a phone number, or both: otherwise this contact cannot be told.",
        ));
    }
    let language = match input.language.as_deref() {
        None => "en".to_owned(),
        Some(tag) => validate::language(tag)?,
    };
    if let Some(Some(message)) = &input.prepared_message {
        if message.trim().is_empty() {
            return Err(ApiError::invalid_field(
                "prepared_message",
                "The prepared message is empty: write it, or send null to remove it.",
            ));
        }
        if message.chars().count() > MAX_MESSAGE_CHARS {
            return Err(ApiError::invalid_field(
                "prepared_message",
                format!("The prepared message is too long: at most {MAX_MESSAGE_CHARS} characters."),
            ));
        }
    }
    Ok(Checked {
        name,
        email: email.map(str::to_owned),
        phone,
        language,
    })
}

/// `+` then 8 to 15 digits, the first not zero (ITU-T E.164).
fn is_e164(phone: &str) -> bool {
    phone.strip_prefix('+').is_some_and(|digits| {
        (8..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) && !digits.starts_with('0')
    })
}

#[cfg(test)]
mod tests {
    use super::is_e164;

    #[test]
    fn phone_numbers_are_e164() {
        for good in ["+13125550100", "+525512345678", "+34600123456"] {
            assert!(is_e164(good), "{good}");
        }
        for bad in [
            "13125550100",
            "+0312555",
            "+1312",
            "+1312555010012345",
            "+1312555O100",
            "+",
            "",
        ] {
            assert!(!is_e164(bad), "{bad}");
        }
    }
}
