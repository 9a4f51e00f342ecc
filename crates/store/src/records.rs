//! The rows the store keeps. Plain data: validation happens before a record is built.

use amparo_core::Hash;
use amparo_core::ids::{AccountId, ContactId, EncounterId, RecordingId};
use amparo_core::merkle::StoredHash;
use amparo_core::roles::Role;

/// An account as the rest of the system sees it (never with its password hash).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Account {
    pub id: AccountId,
    pub username: String,
    /// Always contains [`Role::Member`]; sorted, no duplicates.
    pub roles: Vec<Role>,
    pub created_at_us: i64,
}

impl Account {
    pub fn has_role(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }
}

/// A sign-up, with the password already hashed (Argon2id PHC string).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewAccount {
    pub id: AccountId,
    pub username: String,
    pub password_hash: String,
    pub created_at_us: i64,
}

/// A logged-in session, keyed by the SHA-256 of its bearer token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    pub token_sha256: [u8; 32],
    pub account: AccountId,
    pub created_at_us: i64,
    pub expires_at_us: i64,
}

/// An encounter and the facts the person chose to give.
#[derive(Clone, Debug, PartialEq)]
pub struct Encounter {
    pub id: EncounterId,
    pub owner: AccountId,
    pub started_at_us: i64,
    pub ended_at_us: Option<i64>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub accuracy_m: Option<f64>,
    /// Two-letter USPS code.
    pub us_state: Option<String>,
    /// BCP 47 language tag.
    pub language: Option<String>,
    pub wants_attorney: bool,
    pub note: Option<String>,
}

/// A tus upload: one recording of an encounter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Upload {
    pub id: RecordingId,
    pub encounter: EncounterId,
    pub owner: AccountId,
    /// `None` while the length is deferred (a live recording does not know its length).
    pub length: Option<u64>,
    /// Bytes received and logged so far.
    pub offset: u64,
    /// The recording's hash chain after the last chunk (`CHAIN_START` before the first).
    pub chain: [u8; 32],
    /// The media type the client declared (`filetype` metadata).
    pub media_type: Option<String>,
    /// The raw `Upload-Metadata` header, returned on HEAD as tus requires.
    pub metadata: String,
    pub created_at_us: i64,
    /// After this, the server accepts no more chunks (tus expiration); the store, which has no
    /// clock, does not check it. What was received stays.
    pub expires_at_us: i64,
    pub terminated_at_us: Option<i64>,
}

/// One received chunk of a recording, and its log entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chunk {
    pub recording: RecordingId,
    pub offset: u64,
    pub length: u64,
    pub sha256: [u8; 32],
    pub chain: [u8; 32],
    pub received_at_us: i64,
    pub leaf_index: u64,
}

/// Where a chunk's bytes live in object storage: named by its recording, its offset and the
/// SHA-256 of the bytes themselves. Two nodes racing on one offset with different bytes write two
/// different objects, so the loser's PUT can never replace what the winner committed, even on S3
/// servers that ignore `If-None-Match`; the store's chunk row (which records the SHA-256) says
/// which one is the evidence. The same bytes again are the same object: a retry is harmless.
pub fn chunk_blob_key(recording: RecordingId, offset: u64, sha256: &[u8; 32]) -> String {
    use std::fmt::Write;
    let mut key = format!("recordings/{recording}/{offset:020}-");
    for byte in sha256 {
        // Writing to a String cannot fail.
        let _ = write!(key, "{byte:02x}");
    }
    key
}

/// The key chunks were written under before [`chunk_blob_key`] named their SHA-256. Deployments
/// keep such objects; readers fall back to this key when the new one is absent.
pub fn legacy_chunk_blob_key(recording: RecordingId, offset: u64) -> String {
    format!("recordings/{recording}/{offset:020}")
}

/// One entry of a batch: the leaf bytes (as hashed into the log), the chunk they describe, and
/// the upload's state after it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppendEntry {
    pub leaf: Vec<u8>,
    pub chunk: Chunk,
    /// The upload's expiry after this chunk (tus expiration slides with activity).
    pub upload_expires_at_us: i64,
}

/// A group commit: consecutive log entries starting at `first_index`, and the stored hashes they
/// create. `entries[i].chunk.leaf_index == first_index + i`.
#[derive(Clone, Debug, PartialEq)]
pub struct AppendBatch {
    pub first_index: u64,
    pub entries: Vec<AppendEntry>,
    pub hashes: Vec<StoredHash>,
}

/// A published checkpoint.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredCheckpoint {
    pub size: u64,
    pub root: Hash,
    /// The signed note, as published.
    pub note: String,
    pub published_at_us: i64,
}

/// One read or export of an encounter's evidence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccessRecord {
    pub encounter: EncounterId,
    pub account: AccountId,
    /// The role under which access was granted ("owner", "attorney", "admin").
    pub role: String,
    /// What was done ("export bundle", ...).
    pub action: String,
    pub at_us: i64,
}

// --- Households (issue 5) ---

/// The most people a personal plan covers: the owner and five others.
pub const HOUSEHOLD_SEATS: usize = 6;

/// A household: the people a personal plan covers. Its own id type (the core's ids are for the
/// evidence), a UUID like the others.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct HouseholdId(pub uuid::Uuid);

impl HouseholdId {
    /// A fresh id (version 7: sorts by creation time).
    pub fn new() -> Self {
        Self(uuid::Uuid::now_v7())
    }
}

impl Default for HouseholdId {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Display for HouseholdId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::str::FromStr for HouseholdId {
    type Err = uuid::Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        uuid::Uuid::from_str(s).map(Self)
    }
}

/// When a plan covers its household. Recording and evidence export never depend on it: a lapsed
/// plan must not take evidence hostage. What does follow it (the attorney line, alerts) reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlanPeriod {
    pub starts_at_us: i64,
    /// `None`: open-ended.
    pub ends_at_us: Option<i64>,
    /// Days after `ends_at_us` during which the plan still counts as active.
    pub grace_days: u32,
}

/// A household as created: its owner is its first member.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewHousehold {
    pub id: HouseholdId,
    pub owner: AccountId,
    pub created_at_us: i64,
    pub period: PlanPeriod,
}

/// One person in a household (the owner included).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HouseholdMember {
    pub account: AccountId,
    pub username: String,
    pub joined_at_us: i64,
}

/// A household and everyone in it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Household {
    pub id: HouseholdId,
    pub owner: AccountId,
    pub created_at_us: i64,
    pub period: PlanPeriod,
    /// Everyone, the owner included, in the order they joined (the owner first).
    pub members: Vec<HouseholdMember>,
}

impl Household {
    pub fn seats_left(&self) -> usize {
        HOUSEHOLD_SEATS.saturating_sub(self.members.len())
    }

    pub fn has_member(&self, account: AccountId) -> bool {
        self.members.iter().any(|m| m.account == account)
    }
}

/// A single-use invitation into a household, keyed by the SHA-256 of its code (the code itself
/// is shown once to the owner and never stored).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invitation {
    pub code_sha256: [u8; 32],
    pub household: HouseholdId,
    pub created_by: AccountId,
    pub created_at_us: i64,
    /// The code no longer works once `now_us >= expires_at_us`.
    pub expires_at_us: i64,
}

/// Why an invitation was not accepted. Nothing changed, and the code stays usable unless it was
/// the reason.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JoinRefusal {
    /// Unknown, already used, or expired. Deliberately one answer: telling them apart would tell
    /// a guesser which codes exist.
    InvalidCode,
    /// The account already belongs to a household (this one or another).
    AlreadyInHousehold,
    /// The household has [`HOUSEHOLD_SEATS`] people.
    Full,
}

/// What leaving a household did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Left {
    /// A member left; the household goes on.
    Member,
    /// The owner left as its last person: the household, its plan and its pending invitations
    /// are gone.
    Closed,
}

// --- Emergency contacts and detention (issue 5) ---

/// The most emergency contacts one account keeps. Alerts go to each of them at once; past a
/// handful, a list becomes a broadcast nobody reads.
pub const MAX_EMERGENCY_CONTACTS: usize = 5;

/// Someone outside the household a member wants told when they are stopped. Only what reaching
/// them needs: a name to address them by, and where to send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EmergencyContact {
    pub id: ContactId,
    /// The member whose contact this is.
    pub account: AccountId,
    pub name: String,
    pub email: Option<String>,
    /// E.164, for the organization's SMS gateway (the signed webhook).
    pub phone: Option<String>,
    /// BCP 47 tag of the language alerts to them are written in.
    pub language: String,
    /// The message prepared for a detention, sealed by the server before it reaches the store:
    /// the store only ever holds ciphertext.
    pub prepared_message: Option<Vec<u8>>,
    pub created_at_us: i64,
    pub updated_at_us: i64,
}

// --- Web Push subscriptions (issue 5) ---

/// One browser's Web Push subscription (RFC 8030): where to POST, and the keys its messages are
/// encrypted to (RFC 8291). An endpoint belongs to one account at a time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PushSubscription {
    /// The push service's URL for this browser; unique across accounts.
    pub endpoint: String,
    pub account: AccountId,
    /// The browser's P-256 public key, an uncompressed point (`0x04 || x || y`).
    pub p256dh: [u8; 65],
    /// The browser's authentication secret.
    pub auth: [u8; 16],
    /// The language alerts to this browser are written in (a tag such as `es`).
    pub language: String,
    pub created_at_us: i64,
}

impl PushSubscription {
    /// The refusal when an account already has `max` other subscriptions.
    pub fn cap_reached(account: AccountId, max: usize) -> crate::StoreError {
        crate::StoreError::Conflict(format!(
            "account {account} already has {max} devices subscribed to alerts"
        ))
    }
}

// --- Organizations and plans (issue 5) ---

use amparo_core::ids::OrgId;

/// The most seats an organization's pool may hold: far above any real pool, low enough that a
/// typo (an extra zero or three) is refused rather than sold.
pub const MAX_ORG_SEATS: u32 = 1_000_000;

/// What a plan still gives its people once it has lapsed (past its end and its grace days), or
/// before it starts. Recording and evidence export are deliberately not in it: they never depend
/// on a plan. Both off by default: alerts and the attorney line work through the grace days, then
/// stop.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LapsePolicy {
    /// Alerts to family and emergency contacts keep going out.
    pub alerts: bool,
    /// The attorney line keeps answering.
    pub attorney_line: bool,
}

/// What an organization's admins decide for it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OrgPolicy {
    /// Whether a person holding one of its seats may own a household under that seat: the
    /// household's people are then covered by the organization's plan.
    pub seat_covers_household: bool,
    /// A phone number people are given when no attorney is free; `None`: no backup line.
    pub backup_line: Option<String>,
    pub lapse: LapsePolicy,
}

/// An organization as created by a server admin (or the operator's CLI).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewOrganization {
    pub id: OrgId,
    /// How its admins and the operator know it; people's details are not kept here.
    pub name: String,
    /// The pool's size, at most [`MAX_ORG_SEATS`].
    pub seats: u32,
    pub policy: OrgPolicy,
    pub period: PlanPeriod,
    pub created_at_us: i64,
}

/// An organization, with how many of its seats are taken.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Organization {
    pub id: OrgId,
    pub name: String,
    /// The pool's size. It may be below `used` when billing shrank the pool: nobody loses a seat
    /// for that, but no seat is given until enough are reclaimed.
    pub seats: u32,
    pub used: u32,
    pub policy: OrgPolicy,
    pub period: PlanPeriod,
    pub created_at_us: i64,
}

impl Organization {
    pub fn free(&self) -> u32 {
        self.seats.saturating_sub(self.used)
    }

    /// Seats held beyond the pool's size.
    pub fn over_allocated(&self) -> u32 {
        self.used.saturating_sub(self.seats)
    }
}

/// A seat held by an account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Seat {
    pub org: OrgId,
    pub account: AccountId,
    pub username: String,
    pub assigned_at_us: i64,
}

/// Why a seat was not given. Nothing changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SeatRefusal {
    /// Every seat of the pool is taken (or more: see [`Organization::seats`]).
    Full,
    /// The account holds a seat already, of this organization or another.
    AlreadySeated,
}

/// An organization's plan, as coverage needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrgPlan {
    pub org: OrgId,
    pub period: PlanPeriod,
    pub policy: OrgPolicy,
}

/// A household's plan, as coverage needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HouseholdPlan {
    pub household: HouseholdId,
    pub period: PlanPeriod,
    /// The organization whose seat the owner holds, whatever its policy (coverage reads
    /// `seat_covers_household`).
    pub owner_seat: Option<OrgPlan>,
}

/// Every plan that may cover an account, read at one moment: what `coverage` decides from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PlanFacts {
    /// The organization whose seat the account holds.
    pub seat: Option<OrgPlan>,
    /// The household the account belongs to.
    pub household: Option<HouseholdPlan>,
}

/// What a billing event changes. Each sets a whole state (never adds to one), so applying the
/// latest event leaves the right state whatever came before.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BillingChange {
    HouseholdPeriod { household: HouseholdId, period: PlanPeriod },
    OrganizationPlan { org: OrgId, period: PlanPeriod, seats: u32 },
}

/// A billing event, applied at most once by its id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BillingEvent {
    /// The billing system's own id for the event (1 to 200 visible ASCII characters).
    pub id: String,
    pub change: BillingChange,
    pub received_at_us: i64,
}

/// What applying a billing event did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BillingOutcome {
    /// An event with this id was applied before; nothing changed this time.
    AlreadyApplied,
    Household(Household),
    Organization(Organization),
}

/// An invitation not yet used nor expired, as its household's owner may see it: never the code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingInvitation {
    pub id: InvitationId,
    pub created_by: AccountId,
    pub created_at_us: i64,
    pub expires_at_us: i64,
}

/// An invitation's public name: the first 16 bytes of the SHA-256 of its code's hash. It names
/// the invitation to its owner without being, or leading to, the code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct InvitationId(pub [u8; 16]);

impl InvitationId {
    pub fn of(code_sha256: &[u8; 32]) -> Self {
        let digest = amparo_core::leaf::sha256(code_sha256);
        let mut id = [0; 16];
        id.copy_from_slice(&digest[..16]);
        Self(id)
    }
}

impl InvitationId {
    /// Whether a stored code hash is this invitation's; `Backend` if it is not 32 bytes.
    pub fn names(&self, code_sha256: &[u8]) -> Result<bool, crate::StoreError> {
        let code = crate::convert::bytes32(code_sha256, "an invitation's code hash")?;
        Ok(Self::of(&code) == *self)
    }
}

impl std::fmt::Display for InvitationId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

impl std::str::FromStr for InvitationId {
    type Err = ();
    /// 32 lowercase or uppercase hex digits.
    fn from_str(s: &str) -> Result<Self, ()> {
        if s.len() != 32 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(());
        }
        let mut id = [0; 16];
        for (i, byte) in id.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).map_err(|_| ())?;
        }
        Ok(Self(id))
    }
}
