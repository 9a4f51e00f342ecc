//! Subcommands and flags.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "amparo",
    version,
    about = "Recordings that survive, sealed in a transparency log."
)]
pub struct Cli {
    /// Config file (default: ./amparo.toml if it exists). `amparo config` prints a documented one.
    #[arg(long, global = true, env = "AMPARO_CONFIG")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server.
    Serve(ServeFlags),
    /// Check an evidence bundle offline: exits 0 if every check passes.
    Verify {
        /// The bundle file (.zip) exported from an encounter.
        bundle: PathBuf,
        /// The log's verifier key as the organization publishes it (its /log/key), or a file
        /// holding it. Without it the bundle is checked against the key it carries.
        #[arg(long, value_name = "KEY_OR_FILE")]
        trusted_key: Option<String>,
    },
    /// Print the default configuration, documented.
    Config,
    /// Operator commands on the store.
    Admin(AdminCommand),
    /// Copy a single node's SQLite database and media directory into an empty PostgreSQL database
    /// and an S3 bucket, then check the copy. Stop the node first. See docs/migrate-store.md.
    MigrateStore(MigrateFlags),
}

/// Flags that override the config file and environment.
#[derive(Debug, Default, Args)]
pub struct ServeFlags {
    /// Address to listen on (port 0 picks a free port; the address is printed).
    #[arg(long)]
    pub listen: Option<String>,
    /// Data directory: the SQLite database, media files and the log's key.
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Metadata store: sqlite://PATH or postgres://... (default: SQLite in the data directory).
    #[arg(long)]
    pub database_url: Option<String>,
    /// Media store: s3://bucket/prefix (with [s3] or AWS_* settings), or empty for
    /// <data_dir>/media.
    #[arg(long)]
    pub blob_url: Option<String>,
    /// The other nodes' bus: nats://host:4222, or empty for a single node (the in-process bus).
    #[arg(long)]
    pub bus_url: Option<String>,
}

/// The source (a single node's data directory) and the target (PostgreSQL and S3).
#[derive(Debug, Default, Args)]
pub struct MigrateFlags {
    /// The single node's data directory: its amparo.db, media/ and key files.
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// The SQLite database to copy, when it is not <data_dir>/amparo.db.
    #[arg(long, value_name = "PATH")]
    pub sqlite: Option<PathBuf>,
    /// The target: an empty PostgreSQL database, postgres://user@host/database.
    #[arg(long)]
    pub database_url: Option<String>,
    /// The target for the media: s3://bucket/prefix, reached with the [s3] settings or AWS_*.
    #[arg(long)]
    pub blob_url: Option<String>,
}

impl MigrateFlags {
    /// The layered settings read these as `serve` does: the target is what the nodes will use.
    pub fn settings_flags(&self) -> ServeFlags {
        ServeFlags {
            listen: None,
            data_dir: self.data_dir.clone(),
            database_url: self.database_url.clone(),
            blob_url: self.blob_url.clone(),
            // Copying never talks to the other nodes.
            bus_url: None,
        }
    }
}

#[derive(Debug, Args)]
pub struct AdminCommand {
    #[command(flatten)]
    pub flags: ServeFlags,
    #[command(subcommand)]
    pub action: AdminAction,
}

#[derive(Debug, Subcommand)]
pub enum AdminAction {
    /// Grant a role (attorney, responder, admin) to an account by username.
    GrantRole { username: String, role: String },
    /// Create an organization with a pool of seats; prints its id.
    CreateOrg(crate::admin_plans::CreateOrg),
    /// Name an account an admin of one organization.
    AddOrgAdmin {
        /// The organization's id, as create-org printed it.
        org: String,
        username: String,
    },
    /// Set an organization's plan: its period and its pool's size. A size below the seats in use
    /// is accepted and reported: nobody loses a seat.
    SetOrgPlan {
        org: String,
        #[arg(long)]
        seats: u32,
        #[command(flatten)]
        period: crate::admin_plans::PeriodArgs,
    },
    /// Set a household's plan period: the household by its id, or by anyone's username in it.
    SetHouseholdPeriod {
        household: String,
        #[command(flatten)]
        period: crate::admin_plans::PeriodArgs,
    },
}
