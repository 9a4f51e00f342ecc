//! A fresh, uniquely named database per test on the server at `AMPARO_TEST_POSTGRES_URL`, by
//! default `postgres://postgres@127.0.0.1:5432/postgres` (a local server with trust
//! authentication). The user needs the right to create databases.

use sqlx::{AssertSqlSafe, Connection, PgConnection};
use std::future::Future;

const DEFAULT_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// The server's URL with its path (the database name) replaced by `database`.
pub fn with_database(url: &str, database: &str) -> String {
    let (base, query) = url.split_once('?').map_or((url, None), |(b, q)| (b, Some(q)));
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let path_start = base[authority_start..]
        .find('/')
        .map_or(base.len(), |i| authority_start + i);
    let mut out = format!("{}/{database}", &base[..path_start]);
    if let Some(query) = query {
        out = format!("{out}?{query}");
    }
    out
}

/// Runs `test` against the URL of a fresh database, then drops the database whether the test
/// passed or panicked.
pub async fn with_fresh_database<F, Fut>(test: F)
where
    F: FnOnce(String) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let server = std::env::var("AMPARO_TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_URL.to_owned());
    let mut admin = PgConnection::connect(&server).await.unwrap_or_else(|e| {
        panic!(
            "PostgreSQL is not reachable at AMPARO_TEST_POSTGRES_URL ({}): {e}\n\
             Start a local server (trust authentication for 127.0.0.1), or set AMPARO_TEST_POSTGRES_URL \
             to a server where the user may CREATE DATABASE, e.g. postgres://user:password@host:5432/postgres",
            if std::env::var_os("AMPARO_TEST_POSTGRES_URL").is_some() {
                "as set"
            } else {
                DEFAULT_URL
            }
        )
    });
    let name = format!("amparo_test_{}", uuid::Uuid::new_v4().simple());
    sqlx::query(AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut admin)
        .await
        .unwrap_or_else(|e| panic!("CREATE DATABASE {name}: {e}"));

    // In its own task, so a failing check is caught here and the database still dropped.
    let outcome = tokio::spawn(test(with_database(&server, &name))).await;

    sqlx::query(AssertSqlSafe(format!("DROP DATABASE {name} WITH (FORCE)")))
        .execute(&mut admin)
        .await
        .unwrap_or_else(|e| panic!("DROP DATABASE {name}: {e}"));
    if let Err(failure) = outcome {
        std::panic::resume_unwind(failure.into_panic());
    }
}
