//! Operator commands that act on the store directly, for the first admin and for recovery.

use crate::admin_plans;
use crate::cli::AdminAction;
use crate::config::Settings;
use crate::run::open_store;
use amparo_core::roles::Role;

pub async fn run(settings: Settings, action: AdminAction) -> anyhow::Result<()> {
    let store = open_store(&settings).await?;
    match action {
        AdminAction::GrantRole { username, role } => {
            let role: Role = role.parse()?;
            let (account, _) = store
                .account_credentials(&username)
                .await?
                .ok_or_else(|| anyhow::anyhow!("no account named {username:?}"))?;
            let account = store.grant_role(account.id, role).await?;
            let roles: Vec<String> = account.roles.iter().map(ToString::to_string).collect();
            println!("{} now has roles: {}", account.username, roles.join(", "));
        }
        AdminAction::CreateOrg(args) => admin_plans::create_org(&*store, args).await?,
        AdminAction::AddOrgAdmin { org, username } => admin_plans::add_org_admin(&*store, &org, &username).await?,
        AdminAction::SetOrgPlan { org, seats, period } => {
            admin_plans::set_org_plan(&*store, &org, seats, &period).await?;
        }
        AdminAction::SetHouseholdPeriod { household, period } => {
            admin_plans::set_household_period(&*store, &household, &period).await?;
        }
    }
    Ok(())
}
