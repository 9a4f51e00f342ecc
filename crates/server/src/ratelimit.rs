//! Rate limits: per account for logged-in calls, per client address for what a stranger can
//! call (sign-up, log-in), both for trying household invitation codes and for rapid-response
//! reports, and per account for test push alerts. Backed by
//! `governor`'s keyed GCRA limiters.

use crate::error::ApiError;
use crate::limits::Limits;
use amparo_core::ids::AccountId;
use axum::http::{HeaderValue, StatusCode, header};
use governor::{DefaultKeyedRateLimiter, Quota};
use std::net::IpAddr;
use std::num::NonZeroU32;

#[derive(Debug)]
pub struct RateLimits {
    accounts: DefaultKeyedRateLimiter<AccountId>,
    addresses: DefaultKeyedRateLimiter<IpAddr>,
    /// Invitation codes tried, by account and by address: one account cannot guess fast, nor
    /// many accounts from one address. Separate from log-ins, so neither starves the other.
    code_accounts: DefaultKeyedRateLimiter<AccountId>,
    code_addresses: DefaultKeyedRateLimiter<IpAddr>,
    /// Test alerts an account sends to its own devices: each one makes a phone buzz.
    push_tests: DefaultKeyedRateLimiter<AccountId>,
    /// Rapid-response reports, by account and by address: trolls and false alarms are the main
    /// failure of sighting apps.
    report_accounts: DefaultKeyedRateLimiter<AccountId>,
    report_addresses: DefaultKeyedRateLimiter<IpAddr>,
}

/// Test alerts per minute per account.
const PUSH_TESTS_PER_MINUTE: u32 = 3;

fn at_least_one(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN)
}

impl RateLimits {
    pub fn new(limits: &Limits) -> Self {
        let per_account = Quota::per_second(at_least_one(limits.account_requests_per_second))
            .allow_burst(at_least_one(limits.account_burst));
        let per_address = Quota::per_minute(at_least_one(limits.anonymous_requests_per_minute));
        let codes = Quota::per_minute(at_least_one(limits.invitation_attempts_per_minute));
        Self {
            accounts: DefaultKeyedRateLimiter::keyed(per_account),
            addresses: DefaultKeyedRateLimiter::keyed(per_address),
            code_accounts: DefaultKeyedRateLimiter::keyed(codes),
            code_addresses: DefaultKeyedRateLimiter::keyed(codes),
            push_tests: DefaultKeyedRateLimiter::keyed(Quota::per_minute(at_least_one(PUSH_TESTS_PER_MINUTE))),
            report_accounts: DefaultKeyedRateLimiter::keyed(per_hour(limits.reports_per_hour)),
            report_addresses: DefaultKeyedRateLimiter::keyed(per_hour(limits.reports_per_hour_per_address)),
        }
    }

    pub fn check_account(&self, account: AccountId) -> Result<(), ApiError> {
        self.accounts.check_key(&account).map_err(|_| too_many())
    }

    pub fn check_address(&self, address: IpAddr) -> Result<(), ApiError> {
        self.addresses.check_key(&address).map_err(|_| too_many())
    }

    /// One try of an invitation code, charged to both the account and its address.
    pub fn check_code_attempt(&self, account: AccountId, address: IpAddr) -> Result<(), ApiError> {
        self.code_accounts.check_key(&account).map_err(|_| too_many())?;
        self.code_addresses.check_key(&address).map_err(|_| too_many())
    }

    /// One test alert to the account's own devices.
    pub fn check_push_test(&self, account: AccountId) -> Result<(), ApiError> {
        self.push_tests.check_key(&account).map_err(|_| too_many())
    }

    /// One report, charged to both the account and its address.
    pub fn check_report(&self, account: AccountId, address: IpAddr) -> Result<(), ApiError> {
        self.report_accounts
            .check_key(&account)
            .map_err(|_| too_many_reports())?;
        self.report_addresses
            .check_key(&address)
            .map_err(|_| too_many_reports())
    }

    /// Forgets keys that are back to full capacity, so the maps do not grow without bound.
    pub fn forget_idle(&self) {
        self.accounts.retain_recent();
        self.addresses.retain_recent();
        self.code_accounts.retain_recent();
        self.code_addresses.retain_recent();
        self.push_tests.retain_recent();
        self.report_accounts.retain_recent();
        self.report_addresses.retain_recent();
    }
}

/// `n` an hour, all of them at once if need be (a burst of `n`).
fn per_hour(n: u32) -> Quota {
    let n = at_least_one(n);
    Quota::with_period(std::time::Duration::from_secs(3_600) / n.get())
        .unwrap_or_else(|| Quota::per_hour(n))
        .allow_burst(n)
}

fn too_many_reports() -> ApiError {
    ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "Too many reports",
        "You have sent many reports in the last hour: responders are looking at them. Try again later, or call your rapid-response hotline if it is urgent.",
    )
    .with_header(header::RETRY_AFTER, HeaderValue::from_static("600"))
}

pub(crate) fn too_many() -> ApiError {
    ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "Too many requests",
        "Too many requests: wait a moment and try again.",
    )
    .with_header(header::RETRY_AFTER, HeaderValue::from_static("1"))
}
