//! Operator commands for plans (issue 5), on the store directly like the rest of `admin`: create
//! an organization, name its admins, set its plan, set a household's period. Values are checked
//! by the same rules as the API's.

use amparo_core::ids::OrgId;
use amparo_server::clock::{now_us, rfc3339};
use amparo_server::error::ApiError;
use amparo_server::routes::household_view::PeriodInput;
use amparo_server::routes::org_view::{org_name, seat_count};
use amparo_store::{HouseholdId, NewOrganization, Organization, PlanPeriod, Store};
use anyhow::Context;
use clap::Args;

/// A plan's period, as flags.
#[derive(Debug, Args)]
pub struct PeriodArgs {
    /// When the plan starts, RFC 3339 (default: now).
    #[arg(long, value_name = "TIME")]
    pub starts: Option<String>,
    /// When it ends, RFC 3339 (default: open-ended).
    #[arg(long, value_name = "TIME")]
    pub ends: Option<String>,
    /// Days after the end it still covers, 0 to 366.
    #[arg(long, default_value_t = 0)]
    pub grace_days: u32,
}

impl PeriodArgs {
    fn parse(&self) -> anyhow::Result<PlanPeriod> {
        let input = PeriodInput {
            starts_at: self.starts.clone().unwrap_or_else(|| rfc3339(now_us())),
            ends_at: self.ends.clone(),
            grace_days: self.grace_days,
        };
        input.parse().map_err(refused)
    }
}

#[derive(Debug, Args)]
pub struct CreateOrg {
    /// How its admins and you know it (1 to 120 characters).
    pub name: String,
    /// The pool's size.
    #[arg(long)]
    pub seats: u32,
    /// A person holding a seat may own a household covered by the organization's plan.
    #[arg(long)]
    pub seat_covers_household: bool,
    /// A phone number people are given when no attorney is free.
    #[arg(long, value_name = "PHONE")]
    pub backup_line: Option<String>,
    /// Alerts keep going out once the plan has lapsed (after its grace days).
    #[arg(long)]
    pub lapsed_alerts: bool,
    /// The attorney line keeps answering once the plan has lapsed.
    #[arg(long)]
    pub lapsed_attorney_line: bool,
    #[command(flatten)]
    pub period: PeriodArgs,
}

/// An `ApiError`'s message, for the operator.
fn refused(error: ApiError) -> anyhow::Error {
    anyhow::anyhow!("{}", error.detail())
}

fn org_id(text: &str) -> anyhow::Result<OrgId> {
    text.trim()
        .parse()
        .with_context(|| format!("{text:?} is not an organization id (the UUID create-org printed)"))
}

fn describe(org: &Organization) -> String {
    let mut line = format!(
        "organization {} ({:?}): {} seats, {} used; plan from {} to {}, {} grace days",
        org.id,
        org.name,
        org.seats,
        org.used,
        rfc3339(org.period.starts_at_us),
        org.period.ends_at_us.map_or_else(|| "open-ended".to_owned(), rfc3339),
        org.period.grace_days,
    );
    if org.over_allocated() > 0 {
        line.push_str(&format!(
            "\nwarning: {} seats are held beyond the plan's {}: nobody loses one; none is given until its admins reclaim enough",
            org.over_allocated(),
            org.seats
        ));
    }
    line
}

pub async fn create_org(store: &dyn Store, args: CreateOrg) -> anyhow::Result<()> {
    let policy = amparo_server::routes::org_view::PolicyInput {
        seat_covers_household: args.seat_covers_household,
        backup_line: args.backup_line.clone(),
        lapsed_alerts: args.lapsed_alerts,
        lapsed_attorney_line: args.lapsed_attorney_line,
    };
    let new = NewOrganization {
        id: OrgId::new(),
        name: org_name(&args.name).map_err(refused)?,
        seats: seat_count(args.seats).map_err(refused)?,
        policy: policy.parse().map_err(refused)?,
        period: args.period.parse()?,
        created_at_us: now_us(),
    };
    let org = store.create_organization(&new).await?;
    println!("{}", describe(&org));
    Ok(())
}

pub async fn add_org_admin(store: &dyn Store, org: &str, username: &str) -> anyhow::Result<()> {
    let org = org_id(org)?;
    let (account, _) = store
        .account_credentials(username)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no account named {username:?}"))?;
    store
        .organization(org)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no organization {org}"))?;
    store.add_org_admin(org, account.id).await?;
    println!("{} is now an admin of organization {org}", account.username);
    Ok(())
}

pub async fn set_org_plan(store: &dyn Store, org: &str, seats: u32, period: &PeriodArgs) -> anyhow::Result<()> {
    let org = org_id(org)?;
    let (period, seats) = (period.parse()?, seat_count(seats).map_err(refused)?);
    let updated = store.set_org_plan(org, &period, seats).await.map_err(|e| match e {
        amparo_store::StoreError::NotFound(_) => anyhow::anyhow!("no organization {org}"),
        other => other.into(),
    })?;
    println!("{}", describe(&updated));
    Ok(())
}

/// The household by its id, or by the username of anyone in it.
pub async fn set_household_period(store: &dyn Store, household: &str, period: &PeriodArgs) -> anyhow::Result<()> {
    let period = period.parse()?;
    let id = match household.trim().parse::<HouseholdId>() {
        Ok(id) => id,
        Err(_) => {
            let (account, _) = store
                .account_credentials(household)
                .await?
                .ok_or_else(|| anyhow::anyhow!("{household:?} is neither a household id nor a username"))?;
            store
                .household_of(account.id)
                .await?
                .ok_or_else(|| anyhow::anyhow!("{} is in no household", account.username))?
                .id
        }
    };
    let updated = store.set_plan_period(id, &period).await.map_err(|e| match e {
        amparo_store::StoreError::NotFound(_) => anyhow::anyhow!("no household {id}"),
        other => other.into(),
    })?;
    println!(
        "household {}: plan from {} to {}, {} grace days",
        updated.id,
        rfc3339(updated.period.starts_at_us),
        updated
            .period
            .ends_at_us
            .map_or_else(|| "open-ended".to_owned(), rfc3339),
        updated.period.grace_days
    );
    Ok(())
}
