//! The scale store: Amparo's metadata in PostgreSQL.
//!
//! Module map:
//! - this file: [`PostgresStore`], connecting, and the [`Store`] trait wired to the modules below.
//! - `accounts`: accounts, roles and sessions.
//! - `encounters`: encounters, their attorneys, and the access log.
//! - `uploads`: uploads and their chunks.
//! - `append`: `append_batch`, the hot path: one transaction of `UNNEST`-array statements.
//! - `log`: reading the log back (size, stored hashes, leaves) and checkpoints.
//! - `households`: households, invitations and plan periods (issue 5); seats under a row lock.
//! - `contacts`: emergency contacts (their prepared messages arrive sealed) and detentions.
//! - `push`: Web Push subscriptions, at most a few per account (issue 5).
//! - `organizations`, `billing`, `invitations`: organizations' seat pools and admins, the facts
//!   coverage is judged by, billing events applied once, pending invitations and their purge
//!   (issue 5).
//! - `attorneys`, `calls`: the attorney line (issue 4): vetted attorneys, organizations' admins
//!   and state policies; time on duty (a start under the account's row lock), requests for an
//!   attorney, and attorneys' notes.
//! - `observers`: legal observers (issue 6): requests for observers and each observer sent,
//!   every responder's action logged in its own transaction; no responder's cell, ever.
//! - `rapid`, `rapid_talk`, `rapid_registry`: the rapid-response network (issue 6): reports
//!   decided once by a conditional update, incidents, questions, the audit log written in each
//!   decision's transaction; watch areas as rows per cell; the vehicle registry with its folded
//!   key and trigrams indexed.
//! - `rapid_audit`: the audit log read a page at a time, newest first, by responder, report or
//!   incident.
//! - `rapid_photos`: report photos' rows (the bytes are in object storage), capped per report
//!   under the report row's lock, and marked shareable with the responder's action logged.
//! - `leases`: leases as session-level advisory locks on a connection of their own, checked every
//!   second; the last holder's note in the `leases` table.
//! - `deployment_keys`: the fingerprints of the key files every node shares, recorded by the first
//!   node to start and checked by every other.
//! - `rapid_erase`: a reporter deleting their report or photo, and the purge of rejected and
//!   expired reports' photos; each returns the photos removed, for their bytes.
//! - `convert`: PostgreSQL's errors in the store's vocabulary (the value conversions every
//!   backend shares are in `amparo_store::convert`).
//! - `migrations/` (beside `src/`): the schema, applied on connect.
//!
//! Durability is PostgreSQL's: with its default `synchronous_commit = on`, a commit has reached
//! the write-ahead log on disk when it returns, and the server hands out a chunk's receipt only
//! after its batch commits.
//!
//! Concurrency: every method is one statement or one transaction. Appends serialize on the
//! one-row `log_size` table (see `append`), so two sequencers can never interleave entries.

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
use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;
use std::time::Duration;

/// The schema, embedded at build time and applied on connect.
static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Connections: the sequencer's one at a time, plus readers for tiles, proofs and the API.
const MAX_CONNECTIONS: u32 = 16;
/// How long a request waits for a free connection before failing.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);

/// Amparo's metadata in a PostgreSQL database.
#[derive(Debug, Clone)]
pub struct PostgresStore {
    pool: PgPool,
    /// Sessions of lease attempts that found the lease taken, kept for the next attempt (a node
    /// that does not hold a lease tries every second).
    lease_sessions: leases::Spare,
}

impl PostgresStore {
    /// Connects to a `postgres://` URL and brings the database's schema up to date.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        // The URL may hold a password: it is never put into an error message.
        let pool = PgPoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect(url)
            .await
            .map_err(|e| convert::from_sqlx(e, "connecting to PostgreSQL"))?;
        Self::with_pool(pool).await
    }

    /// Uses a pool the caller configured (size, timeouts, TLS), after bringing its database's
    /// schema up to date.
    pub async fn with_pool(pool: PgPool) -> Result<Self, StoreError> {
        // Migrations take an advisory lock, so servers starting together apply them once.
        MIGRATOR
            .run(&pool)
            .await
            .map_err(|e| StoreError::Backend(format!("migrating the database: {e}")))?;
        Ok(Self {
            pool,
            lease_sessions: leases::Spare::default(),
        })
    }

    /// Closes every connection, waiting for statements under way.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

#[async_trait]
impl Store for PostgresStore {
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
        leases::acquire(self, name, holder).await
    }
    async fn lease_holder(&self, name: &str) -> Result<Option<String>, StoreError> {
        leases::holder(self, name).await
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
