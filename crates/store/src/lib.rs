//! Amparo's metadata store: one narrow trait, one crate per backend.
//!
//! Module map:
//! - [`records`]: the rows the store keeps (accounts, sessions, encounters, uploads, chunks,
//!   checkpoints, the access log, emergency contacts, households and their invitations, Web Push
//!   subscriptions).
//!   checkpoints, the access log, households and their invitations, organizations, their seats
//!   and the facts plans are judged by, billing events).
//! - [`Store`] (this file): every operation the server needs, and nothing more.
//! - [`batch`]: what `append_batch` does, checked and planned before any SQL runs; every backend
//!   executes the same plan with its own statements.
//! - [`convert`]: between the store's types and SQL's (unsigned counters, 32-byte strings, role
//!   names), the same for every backend.
//! - [`conformance`]: the suite every backend must pass (`amparo-store-sqlite`,
//!   `amparo-store-postgres` each run it from their tests).
//!
//! Times are microseconds since the Unix epoch (`i64`), so every backend stores them the same way.
//! Media bytes are not here: they live in object storage, addressed by [`records::chunk_blob_key`].

pub mod batch;
pub mod conformance;
pub mod convert;
pub mod records;

use amparo_core::Hash;
use amparo_core::ids::{AccountId, ContactId, EncounterId, OrgId, RecordingId};
use amparo_core::merkle::NodeAddr;
use amparo_core::roles::Role;
use async_trait::async_trait;
pub use records::*;

/// What can go wrong in a store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The thing asked for does not exist.
    #[error("not found: {0}")]
    NotFound(String),
    /// The write conflicts with what is stored (a taken username, a stale offset, a second
    /// checkpoint for a size). Nothing was changed.
    #[error("conflict: {0}")]
    Conflict(String),
    /// The backend failed (I/O, connection, corruption). Nothing was changed.
    #[error("storage backend: {0}")]
    Backend(String),
}

/// The metadata store. Every method is atomic: it either fully happens or changes nothing.
#[async_trait]
pub trait Store: Send + Sync + std::fmt::Debug + 'static {
    // --- accounts and sessions ---

    /// Creates an account with the member role. `Conflict` if the username is taken
    /// (usernames compare case-insensitively).
    async fn create_account(&self, account: &NewAccount) -> Result<Account, StoreError>;
    async fn account(&self, id: AccountId) -> Result<Option<Account>, StoreError>;
    /// The account and its password hash, for logging in.
    async fn account_credentials(&self, username: &str) -> Result<Option<(Account, String)>, StoreError>;
    /// Adds a role (idempotent). `NotFound` if the account does not exist.
    async fn grant_role(&self, id: AccountId, role: Role) -> Result<Account, StoreError>;
    /// Removes a role (idempotent: revoking a role the account lacks is fine). `Conflict` for the
    /// member role, which every account keeps; `NotFound` if the account does not exist.
    async fn revoke_role(&self, id: AccountId, role: Role) -> Result<Account, StoreError>;
    /// Stores a session by the SHA-256 of its bearer token (the token itself is never stored).
    async fn create_session(&self, session: &Session) -> Result<(), StoreError>;
    /// The account of an unexpired session, with its current roles. A session is over once
    /// `now_us >= expires_at_us`: `None` then, as for an unknown or deleted session.
    async fn session_account(&self, token_sha256: &[u8; 32], now_us: i64) -> Result<Option<Account>, StoreError>;
    /// Deletes one session; the account's others stay. Deleting an unknown or already deleted
    /// session is fine (logging out twice is not an error).
    async fn delete_session(&self, token_sha256: &[u8; 32]) -> Result<(), StoreError>;

    // --- encounters ---

    async fn create_encounter(&self, encounter: &Encounter) -> Result<(), StoreError>;
    async fn encounter(&self, id: EncounterId) -> Result<Option<Encounter>, StoreError>;
    /// The owner's encounters, newest first.
    async fn encounters_of(&self, owner: AccountId) -> Result<Vec<Encounter>, StoreError>;
    /// Ends an encounter. `NotFound` if unknown, `Conflict` if already ended.
    async fn end_encounter(&self, id: EncounterId, ended_at_us: i64) -> Result<Encounter, StoreError>;
    /// Assigns an attorney to an encounter (idempotent).
    async fn assign_attorney(&self, encounter: EncounterId, attorney: AccountId) -> Result<(), StoreError>;
    /// The encounter's attorneys, each once, sorted by id.
    async fn encounter_attorneys(&self, encounter: EncounterId) -> Result<Vec<AccountId>, StoreError>;

    // --- uploads (one per recording) ---

    async fn create_upload(&self, upload: &Upload) -> Result<(), StoreError>;
    async fn upload(&self, id: RecordingId) -> Result<Option<Upload>, StoreError>;
    /// The encounter's uploads, oldest first.
    async fn uploads_of(&self, encounter: EncounterId) -> Result<Vec<Upload>, StoreError>;
    /// Sets a deferred length. `Conflict` if a length is already set, or is below the offset.
    async fn set_upload_length(&self, id: RecordingId, length: u64) -> Result<Upload, StoreError>;
    /// Marks an upload terminated (tus termination); its chunks and log entries stay, and
    /// [`Store::append_batch`] takes no more chunks for it. Terminating twice is fine and keeps
    /// the first time (the one reported to the client). `NotFound` if the upload does not exist.
    async fn terminate_upload(&self, id: RecordingId, at_us: i64) -> Result<(), StoreError>;
    /// The upload's chunks in offset order. An empty list for an upload without chunks, and for
    /// an unknown upload.
    async fn chunks_of(&self, id: RecordingId) -> Result<Vec<Chunk>, StoreError>;

    // --- the transparency log ---

    /// Appends a batch of entries in one transaction: the log entries and chunks, the stored
    /// hashes, and each upload's new offset, chain and expiry (as its last chunk in the batch
    /// leaves them).
    ///
    /// The whole batch is refused, and nothing at all changes (not even the entries of other
    /// uploads that were fine), when:
    /// - the batch disagrees with itself: its leaf indexes do not count up from `first_index`,
    ///   or one upload's chunks leave a gap or overlap: `Conflict`;
    /// - `batch.first_index` is not the log's size: `Conflict`;
    /// - an entry names an unknown upload: `NotFound`;
    /// - an upload's first chunk in the batch does not start at the upload's current offset:
    ///   `Conflict`;
    /// - an upload was terminated (see [`Store::terminate_upload`]), even for an empty chunk:
    ///   `Conflict`;
    /// - an upload has a declared length and its last chunk in the batch ends past it (ending
    ///   exactly at it is fine): `Conflict`.
    ///
    /// A `Conflict` about an upload names it and says why. The upload's state is checked by the
    /// same statement that moves it, so the store is the arbiter when several servers share it:
    /// a termination or a length change and a batch for the same upload are ordered, and the
    /// one that commits second sees the other.
    ///
    /// Expiry is not checked: the store has no clock. The server refuses a chunk for an expired
    /// upload when it arrives, and a chunk received before the expiry must still commit after.
    async fn append_batch(&self, batch: &AppendBatch) -> Result<(), StoreError>;
    /// Number of entries in the log.
    async fn log_size(&self) -> Result<u64, StoreError>;
    /// The stored hashes at these addresses, in the same order. `NotFound` if any is missing.
    async fn read_hashes(&self, addrs: &[NodeAddr]) -> Result<Vec<Hash>, StoreError>;
    /// Up to `count` stored hashes at `level`, indexes `start..start+count` (fewer at the end).
    async fn hashes_at_level(&self, level: u8, start: u64, count: u64) -> Result<Vec<Hash>, StoreError>;
    /// Up to `count` leaf bytes starting at log index `start`.
    async fn entries(&self, start: u64, count: u64) -> Result<Vec<Vec<u8>>, StoreError>;

    // --- checkpoints ---

    /// Records a published checkpoint. Saving one again for a stored size with the same root is
    /// accepted and changes nothing: the first note is kept, even if this one's note differs.
    /// `Conflict` if one for that size exists with another root.
    async fn save_checkpoint(&self, checkpoint: &StoredCheckpoint) -> Result<(), StoreError>;
    /// The checkpoint of the largest tree (not the last one saved).
    async fn latest_checkpoint(&self) -> Result<Option<StoredCheckpoint>, StoreError>;
    /// The earliest checkpoint whose tree contains log index `index`.
    async fn first_checkpoint_covering(&self, index: u64) -> Result<Option<StoredCheckpoint>, StoreError>;

    // --- chain of custody ---

    async fn record_access(&self, access: &AccessRecord) -> Result<(), StoreError>;
    /// Every access to an encounter's evidence, oldest first.
    async fn access_log(&self, encounter: EncounterId) -> Result<Vec<AccessRecord>, StoreError>;

    // --- emergency contacts and detention (issue 5) ---

    /// Creates or updates one of an account's emergency contacts (by id). Creating one past
    /// [`MAX_EMERGENCY_CONTACTS`] is a `Conflict`, checked in the same transaction as the insert so
    /// two concurrent adds cannot both take the last place. `NotFound` if the id belongs to
    /// another account's contact (it is not theirs to change).
    async fn save_contact(&self, contact: &EmergencyContact) -> Result<EmergencyContact, StoreError>;
    /// The account's contacts, oldest first.
    async fn contacts_of(&self, account: AccountId) -> Result<Vec<EmergencyContact>, StoreError>;
    /// Deletes one of the account's contacts. `NotFound` if it is unknown or another account's.
    async fn delete_contact(&self, account: AccountId, id: ContactId) -> Result<(), StoreError>;
    /// Records that the person in an encounter said they are being detained. `true` the first
    /// time, `false` after that: prepared messages go out exactly once, however often it is
    /// pressed or however many nodes see it. `NotFound` for an unknown encounter.
    async fn mark_detained(&self, encounter: EncounterId, at_us: i64) -> Result<bool, StoreError>;
    /// When the encounter was marked as a detention, if it was.
    async fn detained_at(&self, encounter: EncounterId) -> Result<Option<i64>, StoreError>;

    // Households (issue 5)
    //
    // An account belongs to at most one household (the owner counts). A household holds at most
    // `HOUSEHOLD_SEATS` people, and the store enforces it inside the transaction that adds one,
    // so that concurrent accepts for the last seat fill it exactly once.

    /// Creates a household with its owner as first member. `Conflict` if the owner already
    /// belongs to a household; `NotFound` if the owner's account does not exist.
    async fn create_household(&self, household: &NewHousehold) -> Result<Household, StoreError>;
    async fn household(&self, id: HouseholdId) -> Result<Option<Household>, StoreError>;
    /// The household the account belongs to, as owner or member.
    async fn household_of(&self, account: AccountId) -> Result<Option<Household>, StoreError>;
    /// Stores an invitation (whether its creator may invite is the server's to judge).
    /// `NotFound` if the household does not exist; `Conflict` if the code's hash is stored.
    async fn create_invitation(&self, invitation: &Invitation) -> Result<(), StoreError>;
    /// Uses an invitation: adds the account to its household and marks the code used, in one
    /// transaction. A refusal (`Ok(Err(_))`) changes nothing; in particular a code refused
    /// because the household is full or the account is in one stays usable.
    async fn accept_invitation(
        &self,
        code_sha256: &[u8; 32],
        account: AccountId,
        now_us: i64,
    ) -> Result<Result<Household, JoinRefusal>, StoreError>;
    /// Removes a member other than the owner. `NotFound` if the account is not in that
    /// household; `Conflict` for the owner (who leaves instead).
    async fn remove_member(&self, household: HouseholdId, account: AccountId) -> Result<Household, StoreError>;
    /// The account leaves its household. The owner may leave only as its last person, which
    /// closes the household. `NotFound` if the account is in no household; `Conflict` if it is
    /// the owner and others remain.
    async fn leave_household(&self, account: AccountId) -> Result<Left, StoreError>;
    /// Sets the plan's period. `NotFound` if the household does not exist.
    async fn set_plan_period(&self, household: HouseholdId, period: &PlanPeriod) -> Result<Household, StoreError>;

    // --- Web Push subscriptions (issue 5) ---
    //
    // A browser's subscription is keyed by its endpoint: saving one again replaces it, and a
    // browser that subscribes again for another account moves to that account.

    /// Saves a subscription, replacing any with the same endpoint (whoever held it). `Conflict`
    /// if the account already has `max_per_account` other subscriptions, checked in the same
    /// transaction as the save; `NotFound` if the account does not exist.
    async fn save_push_subscription(
        &self,
        subscription: &PushSubscription,
        max_per_account: usize,
    ) -> Result<(), StoreError>;
    /// The account's subscriptions, oldest first.
    async fn push_subscriptions_of(&self, account: AccountId) -> Result<Vec<PushSubscription>, StoreError>;
    /// Deletes the account's subscription with this endpoint; `false` if the account has none
    /// with it (another account's subscription is never touched).
    async fn delete_push_subscription(&self, account: AccountId, endpoint: &str) -> Result<bool, StoreError>;
    // --- Organizations and plans (issue 5) ---
    //
    // An organization holds a pool of seats; its admins (accounts named for that organization
    // only) give them to accounts and take them back. An account holds at most one seat (the
    // primary key says so), and the store checks the pool's size inside the transaction that
    // gives a seat, so concurrent assignments for the last seat fill it exactly once.

    /// Creates an organization with no admins and no seats given. `Conflict` if the id is taken.
    async fn create_organization(&self, org: &NewOrganization) -> Result<Organization, StoreError>;
    async fn organization(&self, id: OrgId) -> Result<Option<Organization>, StoreError>;
    /// Names an account an admin of one organization (idempotent). `NotFound` if either does not
    /// exist.
    async fn add_org_admin(&self, org: OrgId, account: AccountId) -> Result<(), StoreError>;
    /// Takes the role back (idempotent). `NotFound` if the organization does not exist.
    async fn remove_org_admin(&self, org: OrgId, account: AccountId) -> Result<(), StoreError>;
    /// The organizations the account is an admin of, oldest first.
    async fn organizations_administered_by(&self, account: AccountId) -> Result<Vec<Organization>, StoreError>;
    /// Gives a seat of the organization's pool to an account. A refusal (`Ok(Err(_))`) changes
    /// nothing. `NotFound` if the organization or the account does not exist.
    async fn assign_seat(
        &self,
        org: OrgId,
        account: AccountId,
        now_us: i64,
    ) -> Result<Result<Seat, SeatRefusal>, StoreError>;
    /// Takes a seat back. `NotFound` if the account holds no seat of that organization.
    async fn reclaim_seat(&self, org: OrgId, account: AccountId) -> Result<(), StoreError>;
    /// The organization's seats, in the order they were given.
    async fn seats(&self, org: OrgId) -> Result<Vec<Seat>, StoreError>;
    /// Sets what the organization's admins decide. `NotFound` if it does not exist.
    async fn set_org_policy(&self, org: OrgId, policy: &OrgPolicy) -> Result<Organization, StoreError>;
    /// Sets the plan's period and the pool's size. A size below the seats in use is accepted:
    /// nobody loses a seat, and no seat is given until enough are reclaimed
    /// ([`Organization::over_allocated`] says how many). `NotFound` if it does not exist.
    async fn set_org_plan(&self, org: OrgId, period: &PlanPeriod, seats: u32) -> Result<Organization, StoreError>;
    /// Every plan that may cover the account, read as of one moment.
    async fn plan_facts(&self, account: AccountId) -> Result<PlanFacts, StoreError>;
    /// Applies a billing event unless one with its id was applied before; the change and the
    /// id are stored in one transaction, so an event is applied exactly once. A refused event
    /// (`NotFound` for an unknown household or organization) stores nothing, its id included,
    /// so the billing system can send it again once the target exists.
    async fn apply_billing_event(&self, event: &BillingEvent) -> Result<BillingOutcome, StoreError>;
    /// The household's invitations not yet used and not expired at `now_us`, oldest first.
    async fn pending_invitations(
        &self,
        household: HouseholdId,
        now_us: i64,
    ) -> Result<Vec<PendingInvitation>, StoreError>;
    /// Deletes an unused invitation of the household, so its code stops working. `NotFound` if
    /// the household has no unused invitation by that id.
    async fn revoke_invitation(&self, household: HouseholdId, id: InvitationId) -> Result<(), StoreError>;
    /// Deletes every used invitation and every one expired at `now_us`: neither can let anyone
    /// in, and an unknown code gets the same answer as a used one. Returns how many were deleted.
    async fn purge_invitations(&self, now_us: i64) -> Result<u64, StoreError>;
}
