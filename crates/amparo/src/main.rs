//! The `amparo` binary.
//!
//! Module map:
//! - [`cli`]: the subcommands and their flags.
//! - [`config`]: layered settings (defaults, then the config file, then `AMPARO_*`, then flags)
//!   and the documented default file `amparo config` prints.
//! - [`run`]: assembling a server from settings: store by URL scheme, media, the log key.
//! - [`keyfile`]: the key files in the data directory (log, Web Push), read or made.
//! - [`shared_keys`]: the keys every node of a deployment shares, checked against the store's
//!   fingerprints before a node serves.
//! - [`admin`]: operator commands that work on the store directly; [`admin_plans`] those for
//!   organizations and plan periods.
//! - [`migrate`]: `migrate-store`, a single node's SQLite and media copied into PostgreSQL and S3,
//!   then checked (its own module map).

mod admin;
mod admin_plans;
mod cli;
mod config;
mod keyfile;
mod migrate;
mod run;
mod shared_keys;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    match cli.command {
        cli::Command::Config => {
            print!("{}", config::DEFAULT_CONFIG);
            ExitCode::SUCCESS
        }
        cli::Command::Verify { bundle, trusted_key } => {
            // A key is name+id+base64; anything that is not one is read as a path to a key file.
            let trusted_key = match trusted_key {
                Some(text) if text.contains('+') && !std::path::Path::new(&text).exists() => Some(text),
                Some(path) => match std::fs::read_to_string(&path) {
                    Ok(key) => Some(key.trim().to_owned()),
                    Err(error) => {
                        eprintln!("amparo: cannot read the trusted key file {path}: {error}");
                        return ExitCode::from(2);
                    }
                },
                None => None,
            };
            let options = amparo_verify::VerifyOptions { trusted_key };
            let report = amparo_verify::verify_bundle_with(&bundle, &options);
            println!("{report}");
            if report.is_valid() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        command => match tokio_main(cli.config, command) {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("amparo: {error:#}");
                ExitCode::FAILURE
            }
        },
    }
}

#[tokio::main]
async fn tokio_main(config_file: Option<std::path::PathBuf>, command: cli::Command) -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .with_writer(std::io::stderr)
        .init();
    match command {
        cli::Command::Serve(flags) => {
            let settings = config::load(config_file.as_deref(), &flags)?;
            run::serve(settings).await
        }
        cli::Command::Admin(admin) => {
            let settings = config::load(config_file.as_deref(), &admin.flags)?;
            admin::run(settings, admin.action).await
        }
        cli::Command::MigrateStore(flags) => {
            let settings = config::load(config_file.as_deref(), &flags.settings_flags())?;
            migrate::run(settings, flags.sqlite).await
        }
        cli::Command::Config | cli::Command::Verify { .. } => Ok(()),
    }
}
