//! Amparo's metadata store: one narrow trait, one crate per backend.
//!
//! Module map:
//! - [`records`]: the rows the store keeps (accounts, sessions, encounters, uploads, chunks,
//!   checkpoints, the access log, emergency contacts, households and their invitations, Web Push
//!   subscriptions, organizations, their seats and the facts plans are judged by, billing events).
//! - [`attorneys`]: the attorney line's rows (vetted attorneys, duty spans, calls, notes, each
//!   organization's state policy).
//! - [`rapid`]: the rapid-response network's rows (issue 6): reports, incidents, questions, the
//!   responders' audit log, watch areas, the vehicle registry, and what the data model refuses.
//! - [`audit`]: a page of the responders' audit log, by cursor and filters.
//! - [`photos`]: photos attached to reports, as re-encoded bytes in object storage and a row
//!   that holds nothing about where they came from.
//! - [`observers`]: legal observers (issue 6): requests for observers at an incident and each
//!   observer sent, never where a responder is.
//! - [`lease`]: a named lease held by one node of the deployment at a time ([`LeaseHold`]), for
//!   the jobs only one node may do (sequencing the log, dispatching attorneys).
//! - [`Store`] (this file): every operation the server needs, and nothing more.
//! - [`batch`]: what `append_batch` does, checked and planned before any SQL runs; every backend
//!   executes the same plan with its own statements.
//! - [`convert`]: between the store's types and SQL's (unsigned counters, 32-byte strings, role
//!   names), the same for every backend.
//! - [`conformance`]: the suite every backend must pass (`amparo-store-sqlite`,
//!   `amparo-store-postgres` each run it from their tests).
//!
//! Times are microseconds since the Unix epoch (`i64`), so every backend stores them the same way.
//! Media bytes are not here: they live in object storage, addressed by [`records::chunk_blob_key`]
//! (the chunk's recording, offset and SHA-256, all in its row).

pub mod attorneys;
pub mod audit;
pub mod batch;
pub mod conformance;
pub mod convert;
pub mod lease;
pub mod observers;
pub mod photos;
pub mod rapid;
pub mod records;

use amparo_core::Hash;
use amparo_core::dispatch::StatePolicy;
use amparo_core::geo::Cell;
use amparo_core::ids::{
    AccountId, ContactId, EncounterId, IncidentId, OrgId, PhotoId, QuestionId, RecordingId, ReportId, VehicleId,
    WatchAreaId,
};
use amparo_core::merkle::NodeAddr;
use amparo_core::plate::IndexQuery;
use amparo_core::rapid::Accuracy;
use amparo_core::roles::Role;
use async_trait::async_trait;
pub use attorneys::*;
pub use audit::{AuditEntry, AuditQuery};
pub use lease::LeaseHold;
pub use observers::{ObserverDispatch, ObserverMark, ObserverRequest};
pub use photos::{ReportPhoto, photo_blob_key};
pub use rapid::{
    Incident, NewSighting, Question, Report, ResponderAction, Sighting, Vehicle, VehicleStatusChange, WatchArea,
};
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

    // --- leases: one node at a time (see [`lease`]) ---

    /// Takes the lease `name` if nobody holds it, noting `holder` (how other nodes reach this
    /// one, e.g. its URL) as who took it last. `None` if it is held, by another node or by
    /// another hold in this process. SQLite, a single node's store, has only this process to
    /// exclude; PostgreSQL excludes every node connected to the database.
    async fn acquire_lease(&self, name: &str, holder: &str) -> Result<Option<LeaseHold>, StoreError>;
    /// The `holder` the last node to take the lease `name` gave, if one ever took it. That node
    /// may have lost the lease or died since: ask again when it does not answer as the holder.
    async fn lease_holder(&self, name: &str) -> Result<Option<String>, StoreError>;

    // --- the deployment's shared keys (see `amparo::shared_keys`) ---

    /// The fingerprint recorded for the shared key `name` (a key file every node of the
    /// deployment must hold a copy of), if a node recorded one.
    async fn deployment_key(&self, name: &str) -> Result<Option<String>, StoreError>;
    /// Records `fingerprint` for the shared key `name` unless one is recorded already, and
    /// returns the one recorded: this one, or the earlier one. Nodes starting at once agree on
    /// the first; a recorded fingerprint never changes.
    async fn claim_deployment_key(&self, name: &str, fingerprint: &str) -> Result<String, StoreError>;

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

    // --- The attorney line (issue 4) ---
    //
    // Vetted attorneys, their time on duty, each request for an attorney and how it went, and
    // the notes attorneys keep. Dispatch itself runs in memory (`amparo_core::dispatch`); these
    // rows are what it starts from and what the coverage page and past calls are read from.

    /// The accounts named admins of the organization, oldest account first (by when the account
    /// was created, then id, as [`Store::organizations_administered_by`] lists the oldest
    /// organization first); coverage-gap alerts go to them. `NotFound` if the organization does
    /// not exist.
    async fn org_admins(&self, org: OrgId) -> Result<Vec<AccountId>, StoreError>;
    /// Creates or replaces the attorney's profile. `NotFound` if the account or the profile's
    /// organization does not exist. (The server checks the attorney role first.)
    async fn save_attorney(&self, attorney: &StoredAttorney) -> Result<StoredAttorney, StoreError>;
    async fn attorney(&self, account: AccountId) -> Result<Option<StoredAttorney>, StoreError>;
    /// The organization's attorneys, by display name in byte order (then account), so every
    /// backend lists them alike whatever its locale; the server sorts for a reader's language.
    async fn attorneys_of(&self, org: OrgId) -> Result<Vec<StoredAttorney>, StoreError>;
    /// Opens a duty span for the attorney at `at_us`, closing any span of theirs still open at
    /// that time first (a node that died left it open), so an attorney has at most one open span.
    /// A span is never closed before it began (a clock behind its start closes it at its start).
    /// `NotFound` if the account or the organization does not exist.
    async fn start_duty(&self, attorney: AccountId, org: OrgId, at_us: i64) -> Result<(), StoreError>;
    /// Closes the attorney's open span, if any, at `at_us`.
    async fn end_duty(&self, attorney: AccountId, at_us: i64) -> Result<(), StoreError>;
    /// Closes every open span at `at_us` (each at its start, if that is later) and says how many
    /// it closed: a dispatcher that starts knows nobody on duty until they say so again, and the
    /// attorneys of a node that died never will.
    async fn end_all_duty(&self, at_us: i64) -> Result<u64, StoreError>;
    /// The organization's duty spans that overlap `[since_us, until_us)`, oldest first; open
    /// spans included.
    async fn duty_spans(&self, org: OrgId, since_us: i64, until_us: i64) -> Result<Vec<DutySpan>, StoreError>;
    /// Creates or updates the call identified by (encounter, requested_at_us). `NotFound` if the
    /// encounter, the organization or the attorney does not exist.
    async fn save_call(&self, call: &CallRecord) -> Result<(), StoreError>;
    /// The organization's calls requested in `[since_us, until_us)`, oldest first.
    async fn calls_of_org(&self, org: OrgId, since_us: i64, until_us: i64) -> Result<Vec<CallRecord>, StoreError>;
    /// The calls the attorney took, newest first, at most `limit`.
    async fn calls_of_attorney(&self, attorney: AccountId, limit: u32) -> Result<Vec<CallRecord>, StoreError>;
    /// Calls still open (not closed), oldest first: what a restarted node hands back to
    /// dispatch.
    async fn open_calls(&self) -> Result<Vec<CallRecord>, StoreError>;
    /// Encounters started at or after `since_us`, not ended, that asked for an attorney when
    /// they started and have neither a call record nor an assigned attorney: requests a
    /// dispatcher rang but never recorded (its node died first). Newest first, at most `limit`.
    /// Read along the encounters' primary key from `since_us` (their ids are version 7 UUIDs,
    /// in order of creation), so the read is bounded by the encounters started since then.
    async fn unrecorded_attorney_requests(&self, since_us: i64, limit: u32) -> Result<Vec<Encounter>, StoreError>;
    /// Adds a note. `NotFound` if the encounter or the author does not exist; `Conflict` if
    /// the id is taken.
    async fn add_note(&self, note: &Note) -> Result<(), StoreError>;
    /// The encounter's notes, oldest first.
    async fn notes_of(&self, encounter: EncounterId) -> Result<Vec<Note>, StoreError>;
    /// Sets the organization's state policy. `NotFound` if it does not exist.
    async fn set_dispatch_policy(&self, org: OrgId, policy: StatePolicy) -> Result<(), StoreError>;
    /// Every organization's chosen state policy (those that chose one).
    async fn dispatch_policies(&self) -> Result<Vec<OrgDispatchPolicy>, StoreError>;
    // --- Rapid response (issue 6) ---
    //
    // A report is decided once: each decision updates it only while it is unverified and not
    // expired, in the statement that changes it, and writes the responder's action to the audit
    // log in the same transaction. Watch areas are rows per cell, indexed by cell, so an
    // incident's subscribers are one lookup.

    /// Stores a new report (unverified). `NotFound` if the reporter's account does not exist.
    async fn create_report(&self, report: &Report) -> Result<(), StoreError>;
    async fn report(&self, id: ReportId) -> Result<Option<Report>, StoreError>;
    /// The reporter's reports, newest first.
    async fn reports_of(&self, reporter: AccountId) -> Result<Vec<Report>, StoreError>;
    /// Unverified reports not expired at `now_us`, newest first, at most `limit`.
    async fn open_reports(&self, now_us: i64, limit: u32) -> Result<Vec<Report>, StoreError>;
    /// Verifies an open report: stores `incident` (made from it), marks the report verified
    /// into it, and logs `audit`. `Conflict` if the report is not open at the incident's
    /// verification time ([`Report::not_open`]); `NotFound` if it does not exist.
    async fn verify_report(
        &self,
        report: ReportId,
        incident: &Incident,
        audit: &ResponderAction,
    ) -> Result<(), StoreError>;
    /// Merges an open report into an incident. `Conflict` as for verifying; `NotFound` if the
    /// report or the incident does not exist.
    async fn merge_report(
        &self,
        report: ReportId,
        incident: IncidentId,
        audit: &ResponderAction,
    ) -> Result<(), StoreError>;
    /// Rejects an open report with a reason. `Conflict`/`NotFound` as for verifying.
    async fn reject_report(&self, report: ReportId, reason: &str, audit: &ResponderAction) -> Result<(), StoreError>;
    /// Marks every unverified report whose time is past at `now_us` expired. Returns how many.
    async fn expire_reports(&self, now_us: i64) -> Result<u64, StoreError>;
    /// Replaces an incident's description, withdrawal and note (the rest is fixed at
    /// verification), and logs `audit`. `NotFound` if it does not exist.
    async fn update_incident(&self, incident: &Incident, audit: &ResponderAction) -> Result<(), StoreError>;
    async fn incident(&self, id: IncidentId) -> Result<Option<Incident>, StoreError>;
    /// Incidents in any of `cells` updated at or after `since_us`, newest first, at most `limit`.
    async fn incidents_in(&self, cells: &[Cell], since_us: i64, limit: u32) -> Result<Vec<Incident>, StoreError>;
    /// Stores a responder's question and logs `audit`. `NotFound` if the report does not exist.
    async fn ask_question(&self, question: &Question, audit: &ResponderAction) -> Result<(), StoreError>;
    /// The reporter answers (or answers again). `NotFound` unless the question is about one of
    /// `reporter`'s reports.
    async fn answer_question(
        &self,
        id: QuestionId,
        reporter: AccountId,
        answer: &str,
        at_us: i64,
    ) -> Result<Question, StoreError>;
    /// The questions about a report, oldest first.
    async fn questions_of(&self, report: ReportId) -> Result<Vec<Question>, StoreError>;
    /// How many of the reporter's reports were verified or merged, out of those decided or
    /// expired (open ones do not count yet).
    async fn reporter_accuracy(&self, reporter: AccountId) -> Result<Accuracy, StoreError>;
    /// The audit log, newest first, at most `limit`.
    async fn responder_actions(&self, limit: u32) -> Result<Vec<ResponderAction>, StoreError>;
    /// A page of the audit log, newest first: entries before `query.before` (all if `None`)
    /// matching every filter given, at most `query.limit`.
    async fn audit_log(&self, query: &AuditQuery) -> Result<Vec<AuditEntry>, StoreError>;

    /// Saves a watch area (replacing its cells if the id exists and is the account's).
    /// `Conflict` past `max_per_account` areas, checked in the saving transaction; `NotFound`
    /// if the account does not exist or the id is another account's.
    async fn save_watch_area(&self, area: &WatchArea, max_per_account: usize) -> Result<(), StoreError>;
    /// The account's areas, oldest first.
    async fn watch_areas_of(&self, account: AccountId) -> Result<Vec<WatchArea>, StoreError>;
    /// Deletes one of the account's areas; `false` if it has none by that id.
    async fn delete_watch_area(&self, account: AccountId, id: WatchAreaId) -> Result<bool, StoreError>;
    /// Every account with an area containing `cell`, each once, sorted.
    async fn watchers_of(&self, cell: Cell) -> Result<Vec<AccountId>, StoreError>;

    /// Records sightings in one transaction: each vehicle found by plate and region or added,
    /// confirmed, its last confirmation moved forward, its missing description filled in.
    async fn record_sightings(&self, sightings: &[NewSighting]) -> Result<(), StoreError>;
    /// Sets a vehicle's status with who and why, and logs `audit`. `NotFound` if unknown.
    async fn set_vehicle_status(
        &self,
        id: VehicleId,
        change: &VehicleStatusChange,
        audit: &ResponderAction,
    ) -> Result<Vehicle, StoreError>;
    async fn vehicle(&self, id: VehicleId) -> Result<Option<Vehicle>, StoreError>;
    /// The vehicle's sightings, newest first.
    async fn sightings_of(&self, id: VehicleId) -> Result<Vec<Sighting>, StoreError>;
    /// The vehicles to score for a search (`amparo_core::plate::index`), each once: those whose
    /// folded plate matches `query.glob`, found through `query.seek` without a scan, at most
    /// `limit`, the most recently confirmed first; those whose folded plate is `query.whole`;
    /// then, for `query.near`, at most `near.limit` sharing at least `near.min_shared` of its
    /// grams, the most shared first.
    async fn vehicle_candidates(&self, query: &IndexQuery, limit: u32) -> Result<Vec<Vehicle>, StoreError>;

    // --- Report photos (issue 6) ---
    //
    // The bytes are in object storage (`photo_blob_key`), written before the row; a photo is
    // only ever listed once its row exists, so a failed upload leaves nothing anyone sees.

    /// Adds a photo's row to its report. `NotFound` if the report does not exist; `Conflict` if
    /// it already has `max_per_report` photos, checked in the adding transaction so two uploads
    /// at once cannot both take the last place.
    async fn add_report_photo(&self, photo: &ReportPhoto, max_per_report: usize) -> Result<(), StoreError>;
    async fn report_photo(&self, id: PhotoId) -> Result<Option<ReportPhoto>, StoreError>;
    /// The report's photos, oldest first.
    async fn photos_of_report(&self, report: ReportId) -> Result<Vec<ReportPhoto>, StoreError>;
    /// The photos of every report verified or merged into the incident, oldest first.
    async fn photos_of_incident(&self, incident: IncidentId) -> Result<Vec<ReportPhoto>, StoreError>;
    /// A responder marks a photo shareable with subscribers (or not), and `audit` is logged in
    /// the same transaction. `NotFound` if the photo does not exist.
    async fn set_photo_shareable(
        &self,
        id: PhotoId,
        shareable: bool,
        audit: &ResponderAction,
    ) -> Result<ReportPhoto, StoreError>;
    // --- Deleting reports and photos, and the purge (issue 6) ---
    //
    // Each returns the photos whose rows it removed: their bytes go from object storage after
    // the commit. A report verified or merged into an incident leaves the incident as it was
    // verified (its facts are the responders'); responders' actions stay in the audit log.

    /// The reporter deletes their report: its photos' rows, its questions and the report, in one
    /// transaction. `NotFound` unless `reporter` made it.
    async fn delete_report(&self, report: ReportId, reporter: AccountId) -> Result<Vec<ReportPhoto>, StoreError>;
    /// The reporter deletes a photo of one of their reports. `NotFound` unless it is theirs.
    async fn delete_report_photo(&self, photo: PhotoId, reporter: AccountId) -> Result<ReportPhoto, StoreError>;
    /// Deletes the rows of at most `limit` photos of reports rejected or expired at or before
    /// `decided_before_us`.
    async fn purge_report_photos(&self, decided_before_us: i64, limit: u32) -> Result<Vec<ReportPhoto>, StoreError>;

    // --- Legal observers (issue 6) ---
    //
    // Every write that is a responder's action logs it in the audit log in its own transaction.

    /// Asks for observers at an incident: a new request, or (while one is open, or to reopen a
    /// closed one) the number wanted set again, keeping the first request time unless it was
    /// closed. Returns the request as stored. `NotFound` if the incident does not exist.
    async fn request_observers(
        &self,
        request: &ObserverRequest,
        audit: &ResponderAction,
    ) -> Result<ObserverRequest, StoreError>;
    /// Closes the incident's request if open (nothing if none is).
    async fn close_observer_request(&self, incident: IncidentId, at_us: i64) -> Result<(), StoreError>;
    /// The requests not closed, oldest first: what a restarted node asks for again.
    async fn open_observer_requests(&self) -> Result<Vec<ObserverRequest>, StoreError>;
    /// The incident's request, open or closed, read by its key.
    async fn observer_request(&self, incident: IncidentId) -> Result<Option<ObserverRequest>, StoreError>;
    /// Marks an observer who marked nothing in time as lapsed, if they are neither done nor
    /// lapsed already (then nothing changes). Returns whether this call marked them.
    async fn lapse_observer(&self, incident: IncidentId, observer: AccountId, at_us: i64) -> Result<bool, StoreError>;
    /// Records an observer sent to an incident. `Conflict` if they were already sent there;
    /// `NotFound` if the incident or the account does not exist.
    async fn add_observer(&self, dispatch: &ObserverDispatch, audit: &ResponderAction) -> Result<(), StoreError>;
    /// The observer marks they arrived or are done; returns the row after. `NotFound` if they
    /// were not sent there; `Conflict` if already done or lapsed, or (for arrived) already arrived.
    async fn mark_observer(
        &self,
        incident: IncidentId,
        observer: AccountId,
        mark: ObserverMark,
        at_us: i64,
        audit: &ResponderAction,
    ) -> Result<ObserverDispatch, StoreError>;
    /// The observers sent to an incident, in the order they accepted.
    async fn observers_of(&self, incident: IncidentId) -> Result<Vec<ObserverDispatch>, StoreError>;
    /// Logs a responder's action that changes no row (declining an offer).
    async fn log_responder_action(&self, audit: &ResponderAction) -> Result<(), StoreError>;
}
