//! A pass-through [`Store`] that times `append_batch` calls and counts the entries they carry.
//! The sequencer's batches are not visible from outside the server; timing them here costs a
//! clock read and a short lock per batch, and needs no instrumentation in the server. It also
//! times an encounter start's one write and the household read its alert makes, for
//! `household-alerts`.

use crate::timing::Calls;
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
use std::sync::Arc;
use std::time::Instant;

/// Wraps a store; every call goes straight through.
#[derive(Debug)]
pub struct TimedStore {
    inner: Arc<dyn Store>,
    /// One record per `append_batch`: its duration and entries.
    pub batches: Calls,
    /// One record per `create_encounter` (a write transaction of its own).
    pub encounter_writes: Calls,
    /// One record per `household_of` (what an alert reads to find who to tell).
    pub household_reads: Calls,
    /// One record per `session_account` (every signed-in request's first read), and per
    /// `plan_facts` (what an attorney request reads before it is asked), for
    /// `attorney-dispatch`.
    pub session_reads: Calls,
    pub plan_reads: Calls,
}

impl TimedStore {
    pub fn new(inner: Arc<dyn Store>) -> Self {
        Self {
            inner,
            batches: Calls::default(),
            encounter_writes: Calls::default(),
            household_reads: Calls::default(),
            session_reads: Calls::default(),
            plan_reads: Calls::default(),
        }
    }
}

#[async_trait]
impl Store for TimedStore {
    async fn append_batch(&self, batch: &AppendBatch) -> Result<(), StoreError> {
        let start = Instant::now();
        let result = self.inner.append_batch(batch).await;
        self.batches.record(start.elapsed(), batch.entries.len() as u64);
        result
    }

    // Everything else: straight through.

    async fn create_account(&self, account: &NewAccount) -> Result<Account, StoreError> {
        self.inner.create_account(account).await
    }
    async fn account(&self, id: AccountId) -> Result<Option<Account>, StoreError> {
        self.inner.account(id).await
    }
    async fn account_credentials(&self, username: &str) -> Result<Option<(Account, String)>, StoreError> {
        self.inner.account_credentials(username).await
    }
    async fn grant_role(&self, id: AccountId, role: Role) -> Result<Account, StoreError> {
        self.inner.grant_role(id, role).await
    }
    async fn revoke_role(&self, id: AccountId, role: Role) -> Result<Account, StoreError> {
        self.inner.revoke_role(id, role).await
    }
    async fn create_session(&self, session: &Session) -> Result<(), StoreError> {
        self.inner.create_session(session).await
    }
    async fn session_account(&self, token_sha256: &[u8; 32], now_us: i64) -> Result<Option<Account>, StoreError> {
        let start = Instant::now();
        let result = self.inner.session_account(token_sha256, now_us).await;
        self.session_reads.record(start.elapsed(), 1);
        result
    }
    async fn delete_session(&self, token_sha256: &[u8; 32]) -> Result<(), StoreError> {
        self.inner.delete_session(token_sha256).await
    }
    async fn create_encounter(&self, encounter: &Encounter) -> Result<(), StoreError> {
        let start = Instant::now();
        let result = self.inner.create_encounter(encounter).await;
        self.encounter_writes.record(start.elapsed(), 1);
        result
    }
    async fn encounter(&self, id: EncounterId) -> Result<Option<Encounter>, StoreError> {
        self.inner.encounter(id).await
    }
    async fn encounters_of(&self, owner: AccountId) -> Result<Vec<Encounter>, StoreError> {
        self.inner.encounters_of(owner).await
    }
    async fn end_encounter(&self, id: EncounterId, ended_at_us: i64) -> Result<Encounter, StoreError> {
        self.inner.end_encounter(id, ended_at_us).await
    }
    async fn assign_attorney(&self, encounter: EncounterId, attorney: AccountId) -> Result<(), StoreError> {
        self.inner.assign_attorney(encounter, attorney).await
    }
    async fn encounter_attorneys(&self, encounter: EncounterId) -> Result<Vec<AccountId>, StoreError> {
        self.inner.encounter_attorneys(encounter).await
    }
    async fn create_upload(&self, upload: &Upload) -> Result<(), StoreError> {
        self.inner.create_upload(upload).await
    }
    async fn upload(&self, id: RecordingId) -> Result<Option<Upload>, StoreError> {
        self.inner.upload(id).await
    }
    async fn uploads_of(&self, encounter: EncounterId) -> Result<Vec<Upload>, StoreError> {
        self.inner.uploads_of(encounter).await
    }
    async fn set_upload_length(&self, id: RecordingId, length: u64) -> Result<Upload, StoreError> {
        self.inner.set_upload_length(id, length).await
    }
    async fn terminate_upload(&self, id: RecordingId, at_us: i64) -> Result<(), StoreError> {
        self.inner.terminate_upload(id, at_us).await
    }
    async fn chunks_of(&self, id: RecordingId) -> Result<Vec<Chunk>, StoreError> {
        self.inner.chunks_of(id).await
    }
    async fn log_size(&self) -> Result<u64, StoreError> {
        self.inner.log_size().await
    }
    async fn read_hashes(&self, addrs: &[NodeAddr]) -> Result<Vec<Hash>, StoreError> {
        self.inner.read_hashes(addrs).await
    }
    async fn hashes_at_level(&self, level: u8, start: u64, count: u64) -> Result<Vec<Hash>, StoreError> {
        self.inner.hashes_at_level(level, start, count).await
    }
    async fn entries(&self, start: u64, count: u64) -> Result<Vec<Vec<u8>>, StoreError> {
        self.inner.entries(start, count).await
    }
    async fn save_checkpoint(&self, checkpoint: &StoredCheckpoint) -> Result<(), StoreError> {
        self.inner.save_checkpoint(checkpoint).await
    }
    async fn latest_checkpoint(&self) -> Result<Option<StoredCheckpoint>, StoreError> {
        self.inner.latest_checkpoint().await
    }
    async fn first_checkpoint_covering(&self, index: u64) -> Result<Option<StoredCheckpoint>, StoreError> {
        self.inner.first_checkpoint_covering(index).await
    }
    async fn acquire_lease(&self, name: &str, holder: &str) -> Result<Option<LeaseHold>, StoreError> {
        self.inner.acquire_lease(name, holder).await
    }
    async fn lease_holder(&self, name: &str) -> Result<Option<String>, StoreError> {
        self.inner.lease_holder(name).await
    }
    async fn deployment_key(&self, name: &str) -> Result<Option<String>, StoreError> {
        self.inner.deployment_key(name).await
    }
    async fn claim_deployment_key(&self, name: &str, fingerprint: &str) -> Result<String, StoreError> {
        self.inner.claim_deployment_key(name, fingerprint).await
    }
    async fn record_access(&self, access: &AccessRecord) -> Result<(), StoreError> {
        self.inner.record_access(access).await
    }
    async fn access_log(&self, encounter: EncounterId) -> Result<Vec<AccessRecord>, StoreError> {
        self.inner.access_log(encounter).await
    }
    async fn save_contact(&self, contact: &EmergencyContact) -> Result<EmergencyContact, StoreError> {
        self.inner.save_contact(contact).await
    }
    async fn contacts_of(&self, account: AccountId) -> Result<Vec<EmergencyContact>, StoreError> {
        self.inner.contacts_of(account).await
    }
    async fn delete_contact(&self, account: AccountId, id: ContactId) -> Result<(), StoreError> {
        self.inner.delete_contact(account, id).await
    }
    async fn mark_detained(&self, encounter: EncounterId, at_us: i64) -> Result<bool, StoreError> {
        self.inner.mark_detained(encounter, at_us).await
    }
    async fn detained_at(&self, encounter: EncounterId) -> Result<Option<i64>, StoreError> {
        self.inner.detained_at(encounter).await
    }
    async fn create_household(&self, household: &NewHousehold) -> Result<Household, StoreError> {
        self.inner.create_household(household).await
    }
    async fn household(&self, id: HouseholdId) -> Result<Option<Household>, StoreError> {
        self.inner.household(id).await
    }
    async fn household_of(&self, account: AccountId) -> Result<Option<Household>, StoreError> {
        let start = Instant::now();
        let result = self.inner.household_of(account).await;
        self.household_reads.record(start.elapsed(), 1);
        result
    }
    async fn create_invitation(&self, invitation: &Invitation) -> Result<(), StoreError> {
        self.inner.create_invitation(invitation).await
    }
    async fn accept_invitation(
        &self,
        code_sha256: &[u8; 32],
        account: AccountId,
        now_us: i64,
    ) -> Result<Result<Household, JoinRefusal>, StoreError> {
        self.inner.accept_invitation(code_sha256, account, now_us).await
    }
    async fn remove_member(&self, household: HouseholdId, account: AccountId) -> Result<Household, StoreError> {
        self.inner.remove_member(household, account).await
    }
    async fn leave_household(&self, account: AccountId) -> Result<Left, StoreError> {
        self.inner.leave_household(account).await
    }
    async fn set_plan_period(&self, household: HouseholdId, period: &PlanPeriod) -> Result<Household, StoreError> {
        self.inner.set_plan_period(household, period).await
    }

    // --- Web Push subscriptions (issue 5) ---

    async fn save_push_subscription(
        &self,
        subscription: &PushSubscription,
        max_per_account: usize,
    ) -> Result<(), StoreError> {
        self.inner.save_push_subscription(subscription, max_per_account).await
    }
    async fn push_subscriptions_of(&self, account: AccountId) -> Result<Vec<PushSubscription>, StoreError> {
        self.inner.push_subscriptions_of(account).await
    }
    async fn delete_push_subscription(&self, account: AccountId, endpoint: &str) -> Result<bool, StoreError> {
        self.inner.delete_push_subscription(account, endpoint).await
    }
    // --- Organizations and plans (issue 5) ---

    async fn create_organization(&self, org: &NewOrganization) -> Result<Organization, StoreError> {
        self.inner.create_organization(org).await
    }
    async fn organization(&self, id: OrgId) -> Result<Option<Organization>, StoreError> {
        self.inner.organization(id).await
    }
    async fn add_org_admin(&self, org: OrgId, account: AccountId) -> Result<(), StoreError> {
        self.inner.add_org_admin(org, account).await
    }
    async fn remove_org_admin(&self, org: OrgId, account: AccountId) -> Result<(), StoreError> {
        self.inner.remove_org_admin(org, account).await
    }
    async fn organizations_administered_by(&self, account: AccountId) -> Result<Vec<Organization>, StoreError> {
        self.inner.organizations_administered_by(account).await
    }
    async fn assign_seat(
        &self,
        org: OrgId,
        account: AccountId,
        now_us: i64,
    ) -> Result<Result<Seat, SeatRefusal>, StoreError> {
        self.inner.assign_seat(org, account, now_us).await
    }
    async fn reclaim_seat(&self, org: OrgId, account: AccountId) -> Result<(), StoreError> {
        self.inner.reclaim_seat(org, account).await
    }
    async fn seats(&self, org: OrgId) -> Result<Vec<Seat>, StoreError> {
        self.inner.seats(org).await
    }
    async fn set_org_policy(&self, org: OrgId, policy: &OrgPolicy) -> Result<Organization, StoreError> {
        self.inner.set_org_policy(org, policy).await
    }
    async fn set_org_plan(&self, org: OrgId, period: &PlanPeriod, seats: u32) -> Result<Organization, StoreError> {
        self.inner.set_org_plan(org, period, seats).await
    }
    async fn plan_facts(&self, account: AccountId) -> Result<PlanFacts, StoreError> {
        let start = Instant::now();
        let result = self.inner.plan_facts(account).await;
        self.plan_reads.record(start.elapsed(), 1);
        result
    }
    async fn apply_billing_event(&self, event: &BillingEvent) -> Result<BillingOutcome, StoreError> {
        self.inner.apply_billing_event(event).await
    }
    async fn pending_invitations(
        &self,
        household: HouseholdId,
        now_us: i64,
    ) -> Result<Vec<PendingInvitation>, StoreError> {
        self.inner.pending_invitations(household, now_us).await
    }
    async fn revoke_invitation(&self, household: HouseholdId, id: InvitationId) -> Result<(), StoreError> {
        self.inner.revoke_invitation(household, id).await
    }
    async fn purge_invitations(&self, now_us: i64) -> Result<u64, StoreError> {
        self.inner.purge_invitations(now_us).await
    }
    // --- The attorney line (issue 4) ---

    async fn org_admins(&self, org: OrgId) -> Result<Vec<AccountId>, StoreError> {
        self.inner.org_admins(org).await
    }
    async fn save_attorney(&self, attorney: &StoredAttorney) -> Result<StoredAttorney, StoreError> {
        self.inner.save_attorney(attorney).await
    }
    async fn attorney(&self, account: AccountId) -> Result<Option<StoredAttorney>, StoreError> {
        self.inner.attorney(account).await
    }
    async fn attorneys_of(&self, org: OrgId) -> Result<Vec<StoredAttorney>, StoreError> {
        self.inner.attorneys_of(org).await
    }
    async fn start_duty(&self, attorney: AccountId, org: OrgId, at_us: i64) -> Result<(), StoreError> {
        self.inner.start_duty(attorney, org, at_us).await
    }
    async fn end_duty(&self, attorney: AccountId, at_us: i64) -> Result<(), StoreError> {
        self.inner.end_duty(attorney, at_us).await
    }
    async fn end_all_duty(&self, at_us: i64) -> Result<u64, StoreError> {
        self.inner.end_all_duty(at_us).await
    }
    async fn duty_spans(&self, org: OrgId, since_us: i64, until_us: i64) -> Result<Vec<DutySpan>, StoreError> {
        self.inner.duty_spans(org, since_us, until_us).await
    }
    async fn save_call(&self, call: &CallRecord) -> Result<(), StoreError> {
        self.inner.save_call(call).await
    }
    async fn calls_of_org(&self, org: OrgId, since_us: i64, until_us: i64) -> Result<Vec<CallRecord>, StoreError> {
        self.inner.calls_of_org(org, since_us, until_us).await
    }
    async fn calls_of_attorney(&self, attorney: AccountId, limit: u32) -> Result<Vec<CallRecord>, StoreError> {
        self.inner.calls_of_attorney(attorney, limit).await
    }
    async fn open_calls(&self) -> Result<Vec<CallRecord>, StoreError> {
        self.inner.open_calls().await
    }
    async fn unrecorded_attorney_requests(&self, since_us: i64, limit: u32) -> Result<Vec<Encounter>, StoreError> {
        self.inner.unrecorded_attorney_requests(since_us, limit).await
    }
    async fn add_note(&self, note: &Note) -> Result<(), StoreError> {
        self.inner.add_note(note).await
    }
    async fn notes_of(&self, encounter: EncounterId) -> Result<Vec<Note>, StoreError> {
        self.inner.notes_of(encounter).await
    }
    async fn set_dispatch_policy(&self, org: OrgId, policy: StatePolicy) -> Result<(), StoreError> {
        self.inner.set_dispatch_policy(org, policy).await
    }
    async fn dispatch_policies(&self) -> Result<Vec<OrgDispatchPolicy>, StoreError> {
        self.inner.dispatch_policies().await
    }

    // --- Rapid response (issue 6) ---

    async fn create_report(&self, report: &Report) -> Result<(), StoreError> {
        self.inner.create_report(report).await
    }
    async fn report(&self, id: ReportId) -> Result<Option<Report>, StoreError> {
        self.inner.report(id).await
    }
    async fn reports_of(&self, reporter: AccountId) -> Result<Vec<Report>, StoreError> {
        self.inner.reports_of(reporter).await
    }
    async fn open_reports(&self, now_us: i64, limit: u32) -> Result<Vec<Report>, StoreError> {
        self.inner.open_reports(now_us, limit).await
    }
    async fn verify_report(
        &self,
        report: ReportId,
        incident: &Incident,
        audit: &ResponderAction,
    ) -> Result<(), StoreError> {
        self.inner.verify_report(report, incident, audit).await
    }
    async fn merge_report(
        &self,
        report: ReportId,
        incident: IncidentId,
        audit: &ResponderAction,
    ) -> Result<(), StoreError> {
        self.inner.merge_report(report, incident, audit).await
    }
    async fn reject_report(&self, report: ReportId, reason: &str, audit: &ResponderAction) -> Result<(), StoreError> {
        self.inner.reject_report(report, reason, audit).await
    }
    async fn expire_reports(&self, now_us: i64) -> Result<u64, StoreError> {
        self.inner.expire_reports(now_us).await
    }
    async fn update_incident(&self, incident: &Incident, audit: &ResponderAction) -> Result<(), StoreError> {
        self.inner.update_incident(incident, audit).await
    }
    async fn incident(&self, id: IncidentId) -> Result<Option<Incident>, StoreError> {
        self.inner.incident(id).await
    }
    async fn incidents_in(&self, cells: &[Cell], since_us: i64, limit: u32) -> Result<Vec<Incident>, StoreError> {
        self.inner.incidents_in(cells, since_us, limit).await
    }
    async fn ask_question(&self, question: &Question, audit: &ResponderAction) -> Result<(), StoreError> {
        self.inner.ask_question(question, audit).await
    }
    async fn answer_question(
        &self,
        id: QuestionId,
        reporter: AccountId,
        answer: &str,
        at_us: i64,
    ) -> Result<Question, StoreError> {
        self.inner.answer_question(id, reporter, answer, at_us).await
    }
    async fn questions_of(&self, report: ReportId) -> Result<Vec<Question>, StoreError> {
        self.inner.questions_of(report).await
    }
    async fn reporter_accuracy(&self, reporter: AccountId) -> Result<Accuracy, StoreError> {
        self.inner.reporter_accuracy(reporter).await
    }
    async fn responder_actions(&self, limit: u32) -> Result<Vec<ResponderAction>, StoreError> {
        self.inner.responder_actions(limit).await
    }
    async fn audit_log(&self, query: &AuditQuery) -> Result<Vec<AuditEntry>, StoreError> {
        self.inner.audit_log(query).await
    }
    async fn save_watch_area(&self, area: &WatchArea, max_per_account: usize) -> Result<(), StoreError> {
        self.inner.save_watch_area(area, max_per_account).await
    }
    async fn watch_areas_of(&self, account: AccountId) -> Result<Vec<WatchArea>, StoreError> {
        self.inner.watch_areas_of(account).await
    }
    async fn delete_watch_area(&self, account: AccountId, id: WatchAreaId) -> Result<bool, StoreError> {
        self.inner.delete_watch_area(account, id).await
    }
    async fn watchers_of(&self, cell: Cell) -> Result<Vec<AccountId>, StoreError> {
        self.inner.watchers_of(cell).await
    }
    async fn record_sightings(&self, sightings: &[NewSighting]) -> Result<(), StoreError> {
        self.inner.record_sightings(sightings).await
    }
    async fn set_vehicle_status(
        &self,
        id: VehicleId,
        change: &VehicleStatusChange,
        audit: &ResponderAction,
    ) -> Result<Vehicle, StoreError> {
        self.inner.set_vehicle_status(id, change, audit).await
    }
    async fn vehicle(&self, id: VehicleId) -> Result<Option<Vehicle>, StoreError> {
        self.inner.vehicle(id).await
    }
    async fn sightings_of(&self, id: VehicleId) -> Result<Vec<Sighting>, StoreError> {
        self.inner.sightings_of(id).await
    }
    async fn vehicle_candidates(&self, query: &IndexQuery, limit: u32) -> Result<Vec<Vehicle>, StoreError> {
        self.inner.vehicle_candidates(query, limit).await
    }
    async fn add_report_photo(&self, photo: &ReportPhoto, max_per_report: usize) -> Result<(), StoreError> {
        self.inner.add_report_photo(photo, max_per_report).await
    }
    async fn report_photo(&self, id: PhotoId) -> Result<Option<ReportPhoto>, StoreError> {
        self.inner.report_photo(id).await
    }
    async fn photos_of_report(&self, report: ReportId) -> Result<Vec<ReportPhoto>, StoreError> {
        self.inner.photos_of_report(report).await
    }
    async fn photos_of_incident(&self, incident: IncidentId) -> Result<Vec<ReportPhoto>, StoreError> {
        self.inner.photos_of_incident(incident).await
    }
    async fn set_photo_shareable(
        &self,
        id: PhotoId,
        shareable: bool,
        audit: &ResponderAction,
    ) -> Result<ReportPhoto, StoreError> {
        self.inner.set_photo_shareable(id, shareable, audit).await
    }

    async fn delete_report(&self, report: ReportId, reporter: AccountId) -> Result<Vec<ReportPhoto>, StoreError> {
        self.inner.delete_report(report, reporter).await
    }
    async fn delete_report_photo(&self, photo: PhotoId, reporter: AccountId) -> Result<ReportPhoto, StoreError> {
        self.inner.delete_report_photo(photo, reporter).await
    }
    async fn purge_report_photos(&self, decided_before_us: i64, limit: u32) -> Result<Vec<ReportPhoto>, StoreError> {
        self.inner.purge_report_photos(decided_before_us, limit).await
    }
    async fn request_observers(
        &self,
        request: &ObserverRequest,
        audit: &ResponderAction,
    ) -> Result<ObserverRequest, StoreError> {
        self.inner.request_observers(request, audit).await
    }
    async fn close_observer_request(&self, incident: IncidentId, at_us: i64) -> Result<(), StoreError> {
        self.inner.close_observer_request(incident, at_us).await
    }
    async fn open_observer_requests(&self) -> Result<Vec<ObserverRequest>, StoreError> {
        self.inner.open_observer_requests().await
    }
    async fn observer_request(&self, incident: IncidentId) -> Result<Option<ObserverRequest>, StoreError> {
        self.inner.observer_request(incident).await
    }
    async fn lapse_observer(&self, incident: IncidentId, observer: AccountId, at_us: i64) -> Result<bool, StoreError> {
        self.inner.lapse_observer(incident, observer, at_us).await
    }
    async fn add_observer(&self, dispatch: &ObserverDispatch, audit: &ResponderAction) -> Result<(), StoreError> {
        self.inner.add_observer(dispatch, audit).await
    }
    async fn mark_observer(
        &self,
        incident: IncidentId,
        observer: AccountId,
        mark: ObserverMark,
        at_us: i64,
        audit: &ResponderAction,
    ) -> Result<ObserverDispatch, StoreError> {
        self.inner.mark_observer(incident, observer, mark, at_us, audit).await
    }
    async fn observers_of(&self, incident: IncidentId) -> Result<Vec<ObserverDispatch>, StoreError> {
        self.inner.observers_of(incident).await
    }
    async fn log_responder_action(&self, audit: &ResponderAction) -> Result<(), StoreError> {
        self.inner.log_responder_action(audit).await
    }
}
