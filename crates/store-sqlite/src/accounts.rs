//! Accounts, roles and sessions.

use crate::SqliteStore;
use crate::convert::{from_sqlx, roles, uuid};
use amparo_core::ids::AccountId;
use amparo_core::roles::Role;
use amparo_store::{Account, NewAccount, Session, StoreError};
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqliteConnection};

/// The columns [`account`] reads, for an `accounts` table aliased `a`.
macro_rules! account_columns {
    () => {
        "a.id, a.username, a.created_at_us, \
         (SELECT group_concat(r.role) FROM account_roles r WHERE r.account = a.id) AS roles"
    };
}

fn account(row: &SqliteRow) -> Result<Account, StoreError> {
    let get = |e| from_sqlx(e, "reading an account");
    Ok(Account {
        id: AccountId(uuid(row.try_get("id").map_err(get)?, "account id")?),
        username: row.try_get("username").map_err(get)?,
        roles: roles(row.try_get("roles").map_err(get)?)?,
        created_at_us: row.try_get("created_at_us").map_err(get)?,
    })
}

async fn account_on(conn: &mut SqliteConnection, id: AccountId) -> Result<Option<Account>, StoreError> {
    let row = sqlx::query(concat!(
        "SELECT ",
        account_columns!(),
        " FROM accounts a WHERE a.id = ?"
    ))
    .bind(id.as_bytes().as_slice())
    .fetch_optional(conn)
    .await
    .map_err(|e| from_sqlx(e, "reading an account"))?;
    row.as_ref().map(account).transpose()
}

pub(crate) async fn create(store: &SqliteStore, new: &NewAccount) -> Result<Account, StoreError> {
    let what = || format!("creating the account {:?}", new.username);
    let mut tx = store.write().await?;
    sqlx::query("INSERT INTO accounts (id, username, password_hash, created_at_us) VALUES (?, ?, ?, ?)")
        .bind(new.id.as_bytes().as_slice())
        .bind(&new.username)
        .bind(&new.password_hash)
        .bind(new.created_at_us)
        .execute(&mut *tx)
        .await
        .map_err(|e| match from_sqlx(e, &what()) {
            StoreError::Conflict(_) => StoreError::Conflict(format!(
                "the username {:?} or the id {} is taken (usernames compare case-insensitively)",
                new.username, new.id
            )),
            other => other,
        })?;
    sqlx::query("INSERT INTO account_roles (account, role) VALUES (?, ?)")
        .bind(new.id.as_bytes().as_slice())
        .bind(Role::Member.as_str())
        .execute(&mut *tx)
        .await
        .map_err(|e| from_sqlx(e, &what()))?;
    let created = account_on(&mut tx, new.id).await?;
    tx.commit().await.map_err(|e| from_sqlx(e, &what()))?;
    // The row was inserted in this transaction, so it is there.
    created.ok_or_else(|| StoreError::Backend(format!("{}: the new row vanished", what())))
}

pub(crate) async fn get(store: &SqliteStore, id: AccountId) -> Result<Option<Account>, StoreError> {
    let mut conn = store.read().await?;
    account_on(&mut conn, id).await
}

pub(crate) async fn credentials(store: &SqliteStore, username: &str) -> Result<Option<(Account, String)>, StoreError> {
    // `lower(username) = lower(?)` is the indexed expression, so this is an index lookup.
    let query = concat!(
        "SELECT ",
        account_columns!(),
        ", a.password_hash FROM accounts a WHERE lower(a.username) = lower(?)"
    );
    let mut conn = store.read().await?;
    let row = sqlx::query(query)
        .bind(username)
        .fetch_optional(&mut *conn)
        .await
        .map_err(|e| from_sqlx(e, "looking up a username"))?;
    let Some(row) = row else { return Ok(None) };
    let hash = row
        .try_get("password_hash")
        .map_err(|e| from_sqlx(e, "reading an account"))?;
    Ok(Some((account(&row)?, hash)))
}

pub(crate) async fn grant(store: &SqliteStore, id: AccountId, role: Role) -> Result<Account, StoreError> {
    let mut tx = store.write().await?;
    sqlx::query("INSERT INTO account_roles (account, role) VALUES (?, ?) ON CONFLICT DO NOTHING")
        .bind(id.as_bytes().as_slice())
        .bind(role.as_str())
        .execute(&mut *tx)
        .await
        .map_err(|e| from_sqlx(e, &format!("granting {role} to account {id}")))?;
    let account = account_on(&mut tx, id).await?;
    tx.commit().await.map_err(|e| from_sqlx(e, "granting a role"))?;
    account.ok_or_else(|| StoreError::NotFound(format!("account {id}")))
}

pub(crate) async fn revoke(store: &SqliteStore, id: AccountId, role: Role) -> Result<Account, StoreError> {
    if role == Role::Member {
        return Err(StoreError::Conflict(
            "every account is a member: that role cannot be revoked".into(),
        ));
    }
    let mut tx = store.write().await?;
    sqlx::query("DELETE FROM account_roles WHERE account = ? AND role = ?")
        .bind(id.as_bytes().as_slice())
        .bind(role.as_str())
        .execute(&mut *tx)
        .await
        .map_err(|e| from_sqlx(e, &format!("revoking {role} from account {id}")))?;
    let account = account_on(&mut tx, id).await?;
    tx.commit().await.map_err(|e| from_sqlx(e, "revoking a role"))?;
    account.ok_or_else(|| StoreError::NotFound(format!("account {id}")))
}

pub(crate) async fn create_session(store: &SqliteStore, session: &Session) -> Result<(), StoreError> {
    let session = session.clone();
    store
        .grouped(move |conn| {
            Box::pin(async move {
                sqlx::query(
                    "INSERT INTO sessions (token_sha256, account, created_at_us, expires_at_us) VALUES (?, ?, ?, ?)",
                )
                .bind(session.token_sha256.as_slice())
                .bind(session.account.as_bytes().as_slice())
                .bind(session.created_at_us)
                .bind(session.expires_at_us)
                .execute(conn)
                .await
                .map_err(|e| from_sqlx(e, &format!("creating a session for account {}", session.account)))?;
                Ok(())
            })
        })
        .await
}

pub(crate) async fn session_account(
    store: &SqliteStore,
    token: &[u8; 32],
    now_us: i64,
) -> Result<Option<Account>, StoreError> {
    let query = concat!(
        "SELECT ",
        account_columns!(),
        " FROM sessions s JOIN accounts a ON a.id = s.account",
        " WHERE s.token_sha256 = ? AND s.expires_at_us > ?"
    );
    let mut conn = store.read().await?;
    let row = sqlx::query(query)
        .bind(token.as_slice())
        .bind(now_us)
        .fetch_optional(&mut *conn)
        .await
        .map_err(|e| from_sqlx(e, "looking up a session"))?;
    row.as_ref().map(account).transpose()
}

pub(crate) async fn delete_session(store: &SqliteStore, token: &[u8; 32]) -> Result<(), StoreError> {
    let mut conn = store.write_conn().await?;
    sqlx::query("DELETE FROM sessions WHERE token_sha256 = ?")
        .bind(token.as_slice())
        .execute(&mut *conn)
        .await
        .map_err(|e| from_sqlx(e, "deleting a session"))?;
    Ok(())
}
