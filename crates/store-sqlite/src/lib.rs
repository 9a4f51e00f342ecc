//! The embedded default store: Amparo's metadata in one SQLite file.
//!
//! Module map:
//! - this file: [`SqliteStore`], how the file is opened, and the [`Store`] trait wired to the
//!   modules below.
//! - `accounts`: accounts, roles and sessions.
//! - `encounters`: encounters, their attorneys, and the access log.
//! - `uploads`: uploads and their chunks.
//! - `append`: `append_batch`, the hot path: one transaction of multi-row inserts.
//! - `log`: reading the log back (size, stored hashes, leaves) and checkpoints.
//! - `households`: households, invitations and plan periods (issue 5).
//! - `contacts`: emergency contacts (their prepared messages arrive sealed) and detentions.
//! - `push`: Web Push subscriptions, at most a few per account (issue 5).
//! - `organizations`, `billing`, `invitations`: organizations' seat pools and admins, the facts
//!   coverage is judged by, billing events applied once, pending invitations and their purge
//!   (issue 5).
//! - `attorneys`, `calls`: the attorney line (issue 4): vetted attorneys, organizations' admins
//!   and state policies; time on duty, requests for an attorney, and attorneys' notes.
//! - `convert`: what SQLite does its own way: its errors, ids as blobs, `group_concat` roles,
//!   comma-separated codes (the conversions every backend shares are in `amparo_store::convert`).
//! - `observers`: legal observers (issue 6): requests for observers and each observer sent,
//!   every responder's action logged in its own transaction; no responder's cell, ever.
//! - `rapid`, `rapid_talk`, `rapid_registry`: the rapid-response network (issue 6): reports
//!   decided once by a conditional update, incidents, questions, the audit log written in each
//!   decision's transaction; watch areas as rows per cell; the vehicle registry with its folded
//!   key and trigrams indexed.
//! - `rapid_audit`: the audit log read a page at a time, newest first, by responder, report or
//!   incident.
//! - `rapid_photos`: report photos' rows (the bytes are in object storage), capped per report in
//!   the adding transaction, and marked shareable with the responder's action logged.
//! - `leases`: leases held by this process (one node: nothing else to exclude), never lost.
//! - `deployment_keys`: the fingerprints of the server's key files, recorded on first start and
//!   checked on every start after (a replaced key file is refused).
//! - `rapid_erase`: a reporter deleting their report or photo, and the purge of rejected and
//!   expired reports' photos; each returns the photos removed, for their bytes.
//! - `group_commit`: small writes (an encounter's insert, a call record, a duty span) committed
//!   many to a transaction, one fsync for all.
//! - `migrations/` (beside `src/`): the schema, applied on open.
//!
//! Durability: the file is in WAL mode with `synchronous=FULL`, so a commit has reached the disk
//! when it returns. The server hands out a chunk's receipt only after its batch commits, so an
//! acknowledged chunk survives power loss.
//!
//! Concurrency: SQLite allows one writer at a time, so every write goes through one connection
//! (a pool of one: waiting for it is queueing for the write lock, without `SQLITE_BUSY`), while
//! reads use a small pool of their own and, thanks to WAL, never wait for a write. The small
//! writes that arrive by the hundred a second go through `group_commit`, so that they share
//! their fsyncs instead of queueing for one each.

#![forbid(unsafe_code)]

mod accounts;
mod append;
mod attorneys;
mod billing;
mod calls;
mod contacts;
mod convert;
mod deployment_keys;
mod encounters;
mod group_commit;
mod households;
mod invitations;
mod leases;
mod log;
mod observers;
mod organizations;
mod push;
mod rapid;
mod rapid_audit;
mod rapid_erase;
mod rapid_photos;
mod rapid_registry;
mod rapid_talk;
mod uploads;
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
use amparo_store::*;
use async_trait::async_trait;
use futures::future::BoxFuture;
use sqlx::pool::PoolConnection;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Sqlite, SqliteConnection, SqlitePool, Transaction};
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

/// The schema, embedded at build time and applied on open. Public so that `amparo migrate-store`
/// can tell whether a database it copies from is at this schema.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// How long a statement waits for a lock held by another process (an admin command on the same
/// file, a backup) before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);
/// The writer's page cache, in KiB.
const WRITER_CACHE_KIB: u32 = 64 * 1024;
/// Readers: enough for the two cores of a small server plus requests waiting on I/O.
const READERS: u32 = 4;

/// Amparo's metadata in a SQLite file.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    /// One connection: every write, in turn.
    writer: SqlitePool,
    /// Small writes, committed many to a transaction by one task (see `group_commit`).
    grouped: group_commit::Queue,
    /// Read-only (`query_only`) connections for everything else.
    readers: SqlitePool,
    /// The leases this process holds (see `leases`).
    leases: leases::Leases,
}

impl SqliteStore {
    /// Opens the database at `path`, creating the file if it is missing, and brings its schema up
    /// to date.
    pub async fn open(path: &Path) -> Result<Self, StoreError> {
        Self::with_options(SqliteConnectOptions::new().filename(path)).await
    }

    /// Opens a `sqlite://path` (or `sqlite:path`) URL, as [`SqliteStore::open`] does. In-memory
    /// databases are refused: writer and readers would each see a different empty database.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        if url.contains("mode=memory") {
            return Err(in_memory(url));
        }
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|e| StoreError::Backend(format!("{url} is not a SQLite URL: {e}")))?;
        Self::with_options(options).await
    }

    async fn with_options(options: SqliteConnectOptions) -> Result<Self, StoreError> {
        let file = options.get_filename().display().to_string();
        // sqlx names an in-memory database `file:sqlx-in-memory-N`; SQLite itself `:memory:`.
        if file == ":memory:" || file.starts_with("file:sqlx-in-memory") {
            return Err(in_memory(&file));
        }
        let common = options
            .busy_timeout(BUSY_TIMEOUT)
            .foreign_keys(true)
            // Statement journals (which a multi-row INSERT keeps so it can fail alone) stay in
            // memory, instead of in a temporary file made and deleted by every batch.
            .pragma("temp_store", "memory");
        let writer_options = common
            .clone()
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            // A batch dirties a page per recording it touches (the chunk index's insertion
            // points): keep the hot pages cached, and let the WAL grow to 8,000 pages (32 MiB)
            // between checkpoints, so that a page rewritten by many commits is copied back once.
            // Measured with the append_rate benchmark: +30% appends/s over the defaults.
            .pragma("cache_size", format!("-{WRITER_CACHE_KIB}"))
            .pragma("wal_autocheckpoint", "8000")
            // After a checkpoint, a WAL file that grew past this is truncated back.
            .pragma("journal_size_limit", (64u32 << 20).to_string());
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            // A pool of one must never drop its connection just to make a new one.
            .idle_timeout(None)
            .max_lifetime(None)
            .test_before_acquire(false)
            .connect_with(writer_options)
            .await
            .map_err(|e| convert::from_sqlx(e, &format!("opening {file}")))?;
        MIGRATOR
            .run(&writer)
            .await
            .map_err(|e| StoreError::Backend(format!("migrating {file}: {e}")))?;
        // Readers are opened after the writer set WAL mode, which is a property of the file.
        // `query_only` rather than a read-only open: a read-only connection cannot recreate the
        // WAL index (`-shm`) if the writer happens to be closed.
        let readers = SqlitePoolOptions::new()
            .max_connections(READERS)
            .test_before_acquire(false)
            .connect_with(common.pragma("query_only", "ON"))
            .await
            .map_err(|e| convert::from_sqlx(e, &format!("opening {file} for reading")))?;
        let grouped = group_commit::start(writer.clone());
        Ok(Self {
            writer,
            grouped,
            readers,
            leases: leases::Leases::default(),
        })
    }

    /// Closes every connection, waiting for statements under way.
    pub async fn close(&self) {
        self.writer.close().await;
        self.readers.close().await;
    }

    /// A write transaction. `BEGIN IMMEDIATE` takes the write lock at once, so a transaction
    /// that reads before it writes cannot fail halfway with `SQLITE_BUSY` when another process
    /// writes to the same file.
    async fn write(&self) -> Result<Transaction<'static, Sqlite>, StoreError> {
        self.writer
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(|e| convert::from_sqlx(e, "starting a write"))
    }

    /// The writer, for a write that is a single statement (and so atomic on its own).
    async fn write_conn(&self) -> Result<PoolConnection<Sqlite>, StoreError> {
        self.writer
            .acquire()
            .await
            .map_err(|e| convert::from_sqlx(e, "waiting for the writer"))
    }

    /// A small write, committed with the others waiting at the same moment (see `group_commit`):
    /// durable when this returns, at the cost of one fsync shared by the whole batch.
    async fn grouped<T, F>(&self, step: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c mut SqliteConnection) -> BoxFuture<'c, Result<T, StoreError>> + Send + 'static,
    {
        group_commit::write(&self.grouped, step).await
    }

    async fn read(&self) -> Result<PoolConnection<Sqlite>, StoreError> {
        self.readers
            .acquire()
            .await
            .map_err(|e| convert::from_sqlx(e, "waiting for a reader"))
    }
}

fn in_memory(what: &str) -> StoreError {
    StoreError::Backend(format!(
        "{what}: in-memory SQLite is not supported (writer and readers would each see a different empty \
         database); give a file path, in a temporary directory for tests"
    ))
}

#[async_trait]
impl Store for SqliteStore {
    async fn create_account(&self, account: &NewAccount) -> Result<Account, StoreError> {
        accounts::create(self, account).await
    }
    async fn account(&self, id: AccountId) -> Result<Option<Account>, StoreError> {
        accounts::get(self, id).await
    }
    async fn account_credentials(&self, username: &str) -> Result<Option<(Account, String)>, StoreError> {
        accounts::credentials(self, username).await
    }
    async fn grant_role(&self, id: AccountId, role: Role) -> Result<Account, StoreError> {
        accounts::grant(self, id, role).await
    }
    async fn revoke_role(&self, id: AccountId, role: Role) -> Result<Account, StoreError> {
        accounts::revoke(self, id, role).await
    }
    async fn create_session(&self, session: &Session) -> Result<(), StoreError> {
        accounts::create_session(self, session).await
    }
    async fn session_account(&self, token_sha256: &[u8; 32], now_us: i64) -> Result<Option<Account>, StoreError> {
        accounts::session_account(self, token_sha256, now_us).await
    }
    async fn delete_session(&self, token_sha256: &[u8; 32]) -> Result<(), StoreError> {
        accounts::delete_session(self, token_sha256).await
    }

    async fn create_encounter(&self, encounter: &Encounter) -> Result<(), StoreError> {
        encounters::create(self, encounter).await
    }
    async fn encounter(&self, id: EncounterId) -> Result<Option<Encounter>, StoreError> {
        encounters::get(self, id).await
    }
    async fn encounters_of(&self, owner: AccountId) -> Result<Vec<Encounter>, StoreError> {
        encounters::of_owner(self, owner).await
    }
    async fn end_encounter(&self, id: EncounterId, ended_at_us: i64) -> Result<Encounter, StoreError> {
        encounters::end(self, id, ended_at_us).await
    }
    async fn assign_attorney(&self, encounter: EncounterId, attorney: AccountId) -> Result<(), StoreError> {
        encounters::assign_attorney(self, encounter, attorney).await
    }
    async fn encounter_attorneys(&self, encounter: EncounterId) -> Result<Vec<AccountId>, StoreError> {
        encounters::attorneys(self, encounter).await
    }

    async fn create_upload(&self, upload: &Upload) -> Result<(), StoreError> {
        uploads::create(self, upload).await
    }
    async fn upload(&self, id: RecordingId) -> Result<Option<Upload>, StoreError> {
        uploads::get(self, id).await
    }
    async fn uploads_of(&self, encounter: EncounterId) -> Result<Vec<Upload>, StoreError> {
        uploads::of_encounter(self, encounter).await
    }
    async fn set_upload_length(&self, id: RecordingId, length: u64) -> Result<Upload, StoreError> {
        uploads::set_length(self, id, length).await
    }
    async fn terminate_upload(&self, id: RecordingId, at_us: i64) -> Result<(), StoreError> {
        uploads::terminate(self, id, at_us).await
    }
    async fn chunks_of(&self, id: RecordingId) -> Result<Vec<Chunk>, StoreError> {
        uploads::chunks(self, id).await
    }

    async fn append_batch(&self, batch: &AppendBatch) -> Result<(), StoreError> {
        append::append_batch(self, batch).await
    }
    async fn log_size(&self) -> Result<u64, StoreError> {
        log::size(self).await
    }
    async fn read_hashes(&self, addrs: &[NodeAddr]) -> Result<Vec<Hash>, StoreError> {
        log::read_hashes(self, addrs).await
    }
    async fn hashes_at_level(&self, level: u8, start: u64, count: u64) -> Result<Vec<Hash>, StoreError> {
        log::hashes_at_level(self, level, start, count).await
    }
    async fn entries(&self, start: u64, count: u64) -> Result<Vec<Vec<u8>>, StoreError> {
        log::entries(self, start, count).await
    }

    async fn save_checkpoint(&self, checkpoint: &StoredCheckpoint) -> Result<(), StoreError> {
        log::save_checkpoint(self, checkpoint).await
    }
    async fn latest_checkpoint(&self) -> Result<Option<StoredCheckpoint>, StoreError> {
        log::latest_checkpoint(self).await
    }
    async fn first_checkpoint_covering(&self, index: u64) -> Result<Option<StoredCheckpoint>, StoreError> {
        log::first_checkpoint_covering(self, index).await
    }

    async fn acquire_lease(&self, name: &str, holder: &str) -> Result<Option<LeaseHold>, StoreError> {
        Ok(self.leases.acquire(name, holder))
    }
    async fn lease_holder(&self, name: &str) -> Result<Option<String>, StoreError> {
        Ok(self.leases.holder(name))
    }
    async fn deployment_key(&self, name: &str) -> Result<Option<String>, StoreError> {
        deployment_keys::fingerprint(self, name).await
    }
    async fn claim_deployment_key(&self, name: &str, fingerprint: &str) -> Result<String, StoreError> {
        deployment_keys::claim(self, name, fingerprint).await
    }

    async fn record_access(&self, access: &AccessRecord) -> Result<(), StoreError> {
        encounters::record_access(self, access).await
    }
    async fn access_log(&self, encounter: EncounterId) -> Result<Vec<AccessRecord>, StoreError> {
        encounters::access_log(self, encounter).await
    }

    // Emergency contacts and detention (issue 5)

    async fn save_contact(&self, contact: &EmergencyContact) -> Result<EmergencyContact, StoreError> {
        contacts::save(self, contact).await
    }
    async fn contacts_of(&self, account: AccountId) -> Result<Vec<EmergencyContact>, StoreError> {
        contacts::of_account(self, account).await
    }
    async fn delete_contact(&self, account: AccountId, id: ContactId) -> Result<(), StoreError> {
        contacts::delete(self, account, id).await
    }
    async fn mark_detained(&self, encounter: EncounterId, at_us: i64) -> Result<bool, StoreError> {
        contacts::mark_detained(self, encounter, at_us).await
    }
    async fn detained_at(&self, encounter: EncounterId) -> Result<Option<i64>, StoreError> {
        contacts::detained_at(self, encounter).await
    }

    // Households (issue 5)

    async fn create_household(&self, household: &NewHousehold) -> Result<Household, StoreError> {
        households::create(self, household).await
    }
    async fn household(&self, id: HouseholdId) -> Result<Option<Household>, StoreError> {
        households::get(self, id).await
    }
    async fn household_of(&self, account: AccountId) -> Result<Option<Household>, StoreError> {
        households::of_account(self, account).await
    }
    async fn create_invitation(&self, invitation: &Invitation) -> Result<(), StoreError> {
        households::invite(self, invitation).await
    }
    async fn accept_invitation(
        &self,
        code_sha256: &[u8; 32],
        account: AccountId,
        now_us: i64,
    ) -> Result<Result<Household, JoinRefusal>, StoreError> {
        households::accept(self, code_sha256, account, now_us).await
    }
    async fn remove_member(&self, household: HouseholdId, account: AccountId) -> Result<Household, StoreError> {
        households::remove(self, household, account).await
    }
    async fn leave_household(&self, account: AccountId) -> Result<Left, StoreError> {
        households::leave(self, account).await
    }
    async fn set_plan_period(&self, household: HouseholdId, period: &PlanPeriod) -> Result<Household, StoreError> {
        households::set_period(self, household, period).await
    }

    // --- Web Push subscriptions (issue 5) ---

    async fn save_push_subscription(
        &self,
        subscription: &PushSubscription,
        max_per_account: usize,
    ) -> Result<(), StoreError> {
        push::save(self, subscription, max_per_account).await
    }
    async fn push_subscriptions_of(&self, account: AccountId) -> Result<Vec<PushSubscription>, StoreError> {
        push::of_account(self, account).await
    }
    async fn delete_push_subscription(&self, account: AccountId, endpoint: &str) -> Result<bool, StoreError> {
        push::delete(self, account, endpoint).await
    }
    // --- Organizations and plans (issue 5) ---

    async fn create_organization(&self, org: &NewOrganization) -> Result<Organization, StoreError> {
        organizations::create(self, org).await
    }
    async fn organization(&self, id: OrgId) -> Result<Option<Organization>, StoreError> {
        organizations::get(self, id).await
    }
    async fn add_org_admin(&self, org: OrgId, account: AccountId) -> Result<(), StoreError> {
        organizations::add_admin(self, org, account).await
    }
    async fn remove_org_admin(&self, org: OrgId, account: AccountId) -> Result<(), StoreError> {
        organizations::remove_admin(self, org, account).await
    }
    async fn organizations_administered_by(&self, account: AccountId) -> Result<Vec<Organization>, StoreError> {
        organizations::administered_by(self, account).await
    }
    async fn assign_seat(
        &self,
        org: OrgId,
        account: AccountId,
        now_us: i64,
    ) -> Result<Result<Seat, SeatRefusal>, StoreError> {
        organizations::assign_seat(self, org, account, now_us).await
    }
    async fn reclaim_seat(&self, org: OrgId, account: AccountId) -> Result<(), StoreError> {
        organizations::reclaim_seat(self, org, account).await
    }
    async fn seats(&self, org: OrgId) -> Result<Vec<Seat>, StoreError> {
        organizations::seats(self, org).await
    }
    async fn set_org_policy(&self, org: OrgId, policy: &OrgPolicy) -> Result<Organization, StoreError> {
        organizations::set_policy(self, org, policy).await
    }
    async fn set_org_plan(&self, org: OrgId, period: &PlanPeriod, seats: u32) -> Result<Organization, StoreError> {
        organizations::set_plan(self, org, period, seats).await
    }
    async fn plan_facts(&self, account: AccountId) -> Result<PlanFacts, StoreError> {
        organizations::plan_facts(self, account).await
    }
    async fn apply_billing_event(&self, event: &BillingEvent) -> Result<BillingOutcome, StoreError> {
        billing::apply(self, event).await
    }
    async fn pending_invitations(
        &self,
        household: HouseholdId,
        now_us: i64,
    ) -> Result<Vec<PendingInvitation>, StoreError> {
        invitations::pending(self, household, now_us).await
    }
    async fn revoke_invitation(&self, household: HouseholdId, id: InvitationId) -> Result<(), StoreError> {
        invitations::revoke(self, household, id).await
    }
    async fn purge_invitations(&self, now_us: i64) -> Result<u64, StoreError> {
        invitations::purge(self, now_us).await
    }

    // --- The attorney line (issue 4) ---

    async fn org_admins(&self, org: OrgId) -> Result<Vec<AccountId>, StoreError> {
        attorneys::org_admins(self, org).await
    }
    async fn save_attorney(&self, attorney: &StoredAttorney) -> Result<StoredAttorney, StoreError> {
        attorneys::save(self, attorney).await
    }
    async fn attorney(&self, account: AccountId) -> Result<Option<StoredAttorney>, StoreError> {
        attorneys::get(self, account).await
    }
    async fn attorneys_of(&self, org: OrgId) -> Result<Vec<StoredAttorney>, StoreError> {
        attorneys::of_org(self, org).await
    }
    async fn start_duty(&self, attorney: AccountId, org: OrgId, at_us: i64) -> Result<(), StoreError> {
        calls::start_duty(self, attorney, org, at_us).await
    }
    async fn end_duty(&self, attorney: AccountId, at_us: i64) -> Result<(), StoreError> {
        calls::end_duty(self, attorney, at_us).await
    }
    async fn end_all_duty(&self, at_us: i64) -> Result<u64, StoreError> {
        calls::end_all_duty(self, at_us).await
    }
    async fn duty_spans(&self, org: OrgId, since_us: i64, until_us: i64) -> Result<Vec<DutySpan>, StoreError> {
        calls::duty_spans(self, org, since_us, until_us).await
    }
    async fn save_call(&self, call: &CallRecord) -> Result<(), StoreError> {
        calls::save_call(self, call).await
    }
    async fn calls_of_org(&self, org: OrgId, since_us: i64, until_us: i64) -> Result<Vec<CallRecord>, StoreError> {
        calls::calls_of_org(self, org, since_us, until_us).await
    }
    async fn calls_of_attorney(&self, attorney: AccountId, limit: u32) -> Result<Vec<CallRecord>, StoreError> {
        calls::calls_of_attorney(self, attorney, limit).await
    }
    async fn open_calls(&self) -> Result<Vec<CallRecord>, StoreError> {
        calls::open_calls(self).await
    }
    async fn unrecorded_attorney_requests(&self, since_us: i64, limit: u32) -> Result<Vec<Encounter>, StoreError> {
        encounters::unrecorded_attorney_requests(self, since_us, limit).await
    }
    async fn add_note(&self, note: &Note) -> Result<(), StoreError> {
        calls::add_note(self, note).await
    }
    async fn notes_of(&self, encounter: EncounterId) -> Result<Vec<Note>, StoreError> {
        calls::notes_of(self, encounter).await
    }
    async fn set_dispatch_policy(&self, org: OrgId, policy: StatePolicy) -> Result<(), StoreError> {
        attorneys::set_policy(self, org, policy).await
    }
    async fn dispatch_policies(&self) -> Result<Vec<OrgDispatchPolicy>, StoreError> {
        attorneys::policies(self).await
    }

    // --- Rapid response (issue 6) ---

    async fn create_report(&self, report: &Report) -> Result<(), StoreError> {
        rapid::create(self, report).await
    }
    async fn report(&self, id: ReportId) -> Result<Option<Report>, StoreError> {
        rapid::get(self, id).await
    }
    async fn reports_of(&self, reporter: AccountId) -> Result<Vec<Report>, StoreError> {
        rapid::of_reporter(self, reporter).await
    }
    async fn open_reports(&self, now_us: i64, limit: u32) -> Result<Vec<Report>, StoreError> {
        rapid::open(self, now_us, limit).await
    }
    async fn verify_report(
        &self,
        report: ReportId,
        incident: &Incident,
        audit: &ResponderAction,
    ) -> Result<(), StoreError> {
        rapid::verify(self, report, incident, audit).await
    }
    async fn merge_report(
        &self,
        report: ReportId,
        incident: IncidentId,
        audit: &ResponderAction,
    ) -> Result<(), StoreError> {
        rapid::merge(self, report, incident, audit).await
    }
    async fn reject_report(&self, report: ReportId, reason: &str, audit: &ResponderAction) -> Result<(), StoreError> {
        rapid::reject(self, report, reason, audit).await
    }
    async fn expire_reports(&self, now_us: i64) -> Result<u64, StoreError> {
        rapid::expire(self, now_us).await
    }
    async fn update_incident(&self, incident: &Incident, audit: &ResponderAction) -> Result<(), StoreError> {
        rapid::update_incident(self, incident, audit).await
    }
    async fn incident(&self, id: IncidentId) -> Result<Option<Incident>, StoreError> {
        rapid::incident(self, id).await
    }
    async fn incidents_in(&self, cells: &[Cell], since_us: i64, limit: u32) -> Result<Vec<Incident>, StoreError> {
        rapid::incidents_in(self, cells, since_us, limit).await
    }
    async fn ask_question(&self, question: &Question, audit: &ResponderAction) -> Result<(), StoreError> {
        rapid_talk::ask(self, question, audit).await
    }
    async fn answer_question(
        &self,
        id: QuestionId,
        reporter: AccountId,
        answer: &str,
        at_us: i64,
    ) -> Result<Question, StoreError> {
        rapid_talk::answer(self, id, reporter, answer, at_us).await
    }
    async fn questions_of(&self, report: ReportId) -> Result<Vec<Question>, StoreError> {
        rapid_talk::questions(self, report).await
    }
    async fn reporter_accuracy(&self, reporter: AccountId) -> Result<Accuracy, StoreError> {
        rapid_talk::accuracy(self, reporter).await
    }
    async fn responder_actions(&self, limit: u32) -> Result<Vec<ResponderAction>, StoreError> {
        let query = AuditQuery {
            limit,
            ..AuditQuery::default()
        };
        Ok(rapid_audit::page(self, &query)
            .await?
            .into_iter()
            .map(|e| e.action)
            .collect())
    }
    async fn audit_log(&self, query: &AuditQuery) -> Result<Vec<AuditEntry>, StoreError> {
        rapid_audit::page(self, query).await
    }
    async fn save_watch_area(&self, area: &WatchArea, max_per_account: usize) -> Result<(), StoreError> {
        rapid_registry::save_area(self, area, max_per_account).await
    }
    async fn watch_areas_of(&self, account: AccountId) -> Result<Vec<WatchArea>, StoreError> {
        rapid_registry::areas_of(self, account).await
    }
    async fn delete_watch_area(&self, account: AccountId, id: WatchAreaId) -> Result<bool, StoreError> {
        rapid_registry::delete_area(self, account, id).await
    }
    async fn watchers_of(&self, cell: Cell) -> Result<Vec<AccountId>, StoreError> {
        rapid_registry::watchers(self, cell).await
    }
    async fn record_sightings(&self, sightings: &[NewSighting]) -> Result<(), StoreError> {
        rapid_registry::record_sightings(self, sightings).await
    }
    async fn set_vehicle_status(
        &self,
        id: VehicleId,
        change: &VehicleStatusChange,
        audit: &ResponderAction,
    ) -> Result<Vehicle, StoreError> {
        rapid_registry::set_status(self, id, change, audit).await
    }
    async fn vehicle(&self, id: VehicleId) -> Result<Option<Vehicle>, StoreError> {
        rapid_registry::vehicle(self, id).await
    }
    async fn sightings_of(&self, id: VehicleId) -> Result<Vec<Sighting>, StoreError> {
        rapid_registry::sightings(self, id).await
    }
    async fn vehicle_candidates(&self, query: &IndexQuery, limit: u32) -> Result<Vec<Vehicle>, StoreError> {
        rapid_registry::candidates(self, query, limit).await
    }

    async fn add_report_photo(&self, photo: &ReportPhoto, max_per_report: usize) -> Result<(), StoreError> {
        rapid_photos::add(self, photo, max_per_report).await
    }
    async fn report_photo(&self, id: PhotoId) -> Result<Option<ReportPhoto>, StoreError> {
        rapid_photos::get(self, id).await
    }
    async fn photos_of_report(&self, report: ReportId) -> Result<Vec<ReportPhoto>, StoreError> {
        rapid_photos::of_report(self, report).await
    }
    async fn photos_of_incident(&self, incident: IncidentId) -> Result<Vec<ReportPhoto>, StoreError> {
        rapid_photos::of_incident(self, incident).await
    }
    async fn set_photo_shareable(
        &self,
        id: PhotoId,
        shareable: bool,
        audit: &ResponderAction,
    ) -> Result<ReportPhoto, StoreError> {
        rapid_photos::set_shareable(self, id, shareable, audit).await
    }
    async fn delete_report(&self, report: ReportId, reporter: AccountId) -> Result<Vec<ReportPhoto>, StoreError> {
        rapid_erase::delete_report(self, report, reporter).await
    }
    async fn delete_report_photo(&self, photo: PhotoId, reporter: AccountId) -> Result<ReportPhoto, StoreError> {
        rapid_erase::delete_photo(self, photo, reporter).await
    }
    async fn purge_report_photos(&self, decided_before_us: i64, limit: u32) -> Result<Vec<ReportPhoto>, StoreError> {
        rapid_erase::purge_photos(self, decided_before_us, limit).await
    }

    async fn request_observers(
        &self,
        request: &amparo_store::ObserverRequest,
        audit: &ResponderAction,
    ) -> Result<amparo_store::ObserverRequest, StoreError> {
        observers::request(self, request, audit).await
    }
    async fn close_observer_request(&self, incident: IncidentId, at_us: i64) -> Result<(), StoreError> {
        observers::close(self, incident, at_us).await
    }
    async fn open_observer_requests(&self) -> Result<Vec<amparo_store::ObserverRequest>, StoreError> {
        observers::open(self).await
    }
    async fn observer_request(
        &self,
        incident: IncidentId,
    ) -> Result<Option<amparo_store::ObserverRequest>, StoreError> {
        observers::get(self, incident).await
    }
    async fn lapse_observer(&self, incident: IncidentId, observer: AccountId, at_us: i64) -> Result<bool, StoreError> {
        observers::lapse(self, incident, observer, at_us).await
    }
    async fn add_observer(
        &self,
        dispatch: &amparo_store::ObserverDispatch,
        audit: &ResponderAction,
    ) -> Result<(), StoreError> {
        observers::add(self, dispatch, audit).await
    }
    async fn mark_observer(
        &self,
        incident: IncidentId,
        observer: AccountId,
        mark: amparo_store::ObserverMark,
        at_us: i64,
        audit: &ResponderAction,
    ) -> Result<amparo_store::ObserverDispatch, StoreError> {
        observers::mark(self, incident, observer, mark, at_us, audit).await
    }
    async fn observers_of(&self, incident: IncidentId) -> Result<Vec<amparo_store::ObserverDispatch>, StoreError> {
        observers::of(self, incident).await
    }
    async fn log_responder_action(&self, audit: &ResponderAction) -> Result<(), StoreError> {
        observers::log(self, audit).await
    }
}
