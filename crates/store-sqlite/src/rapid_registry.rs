//! Watch areas (a row per cell, indexed by cell) and the vehicle registry (folded key and
//! trigrams indexed for searches, read by `search`) of the rapid-response network (issue 6).

use crate::SqliteStore;
use crate::convert::{from_sqlx, uuid};
use crate::rapid::log_action;
use amparo_core::geo::Cell;
use amparo_core::ids::{AccountId, VehicleId, WatchAreaId};
use amparo_core::plate::plate_grams;
use amparo_store::rapid::{cell, plate, status, status_name};
use amparo_store::{NewSighting, ResponderAction, Sighting, StoreError, Vehicle, VehicleStatusChange, WatchArea};
use sqlx::Row;
use sqlx::sqlite::SqliteRow;

pub(crate) async fn save_area(store: &SqliteStore, area: &WatchArea, max: usize) -> Result<(), StoreError> {
    let what = || format!("saving watch area {} of account {}", area.id, area.account);
    let mut tx = store.write().await?;
    let owner: Option<Vec<u8>> = sqlx::query_scalar("SELECT account FROM watch_areas WHERE id = ?")
        .bind(area.id.as_bytes().as_slice())
        .fetch_optional(&mut *tx)
        .await
        .map_err(|e| from_sqlx(e, &what()))?;
    match owner {
        Some(owner) if owner != area.account.as_bytes() => {
            return Err(StoreError::NotFound(format!("watch area {}", area.id)));
        }
        Some(_) => {
            sqlx::query("DELETE FROM watch_cells WHERE area = ?")
                .bind(area.id.as_bytes().as_slice())
                .execute(&mut *tx)
                .await
                .map_err(|e| from_sqlx(e, &what()))?;
            sqlx::query("UPDATE watch_areas SET label = ? WHERE id = ?")
                .bind(&area.label)
                .bind(area.id.as_bytes().as_slice())
                .execute(&mut *tx)
                .await
                .map_err(|e| from_sqlx(e, &what()))?;
        }
        None => {
            let count: i64 = sqlx::query_scalar("SELECT count(*) FROM watch_areas WHERE account = ?")
                .bind(area.account.as_bytes().as_slice())
                .fetch_one(&mut *tx)
                .await
                .map_err(|e| from_sqlx(e, &what()))?;
            if usize::try_from(count).unwrap_or(usize::MAX) >= max {
                return Err(StoreError::Conflict(format!(
                    "an account may watch at most {max} areas: delete one first"
                )));
            }
            sqlx::query("INSERT INTO watch_areas (id, account, label, created_at_us) VALUES (?, ?, ?, ?)")
                .bind(area.id.as_bytes().as_slice())
                .bind(area.account.as_bytes().as_slice())
                .bind(&area.label)
                .bind(area.created_at_us)
                .execute(&mut *tx)
                .await
                .map_err(|e| from_sqlx(e, &what()))?;
        }
    }
    for cell in &area.cells {
        sqlx::query("INSERT OR IGNORE INTO watch_cells (cell, area, account) VALUES (?, ?, ?)")
            .bind(cell.to_i64())
            .bind(area.id.as_bytes().as_slice())
            .bind(area.account.as_bytes().as_slice())
            .execute(&mut *tx)
            .await
            .map_err(|e| from_sqlx(e, &what()))?;
    }
    tx.commit().await.map_err(|e| from_sqlx(e, &what()))
}

pub(crate) async fn areas_of(store: &SqliteStore, account: AccountId) -> Result<Vec<WatchArea>, StoreError> {
    let mut conn = store.read().await?;
    let rows = sqlx::query(
        "SELECT a.id, a.label, a.created_at_us, c.cell FROM watch_areas a LEFT JOIN watch_cells c ON c.area = a.id \
         WHERE a.account = ? ORDER BY a.created_at_us, a.id, c.cell",
    )
    .bind(account.as_bytes().as_slice())
    .fetch_all(&mut *conn)
    .await
    .map_err(|e| from_sqlx(e, &format!("reading the watch areas of account {account}")))?;
    let mut areas: Vec<WatchArea> = Vec::new();
    for row in &rows {
        let get = |e| from_sqlx(e, "reading a watch area");
        let id = WatchAreaId(uuid(&row.try_get::<Vec<u8>, _>("id").map_err(get)?, "watch area id")?);
        if areas.last().is_none_or(|a| a.id != id) {
            areas.push(WatchArea {
                id,
                account,
                label: row.try_get("label").map_err(get)?,
                cells: Vec::new(),
                created_at_us: row.try_get("created_at_us").map_err(get)?,
            });
        }
        if let (Some(area), Some(raw)) = (areas.last_mut(), row.try_get::<Option<i64>, _>("cell").map_err(get)?) {
            area.cells.push(cell(raw)?);
        }
    }
    Ok(areas)
}

pub(crate) async fn delete_area(store: &SqliteStore, account: AccountId, id: WatchAreaId) -> Result<bool, StoreError> {
    let mut conn = store.write_conn().await?;
    let done = sqlx::query("DELETE FROM watch_areas WHERE id = ? AND account = ?")
        .bind(id.as_bytes().as_slice())
        .bind(account.as_bytes().as_slice())
        .execute(&mut *conn)
        .await
        .map_err(|e| from_sqlx(e, &format!("deleting watch area {id}")))?;
    Ok(done.rows_affected() > 0)
}

pub(crate) async fn watchers(store: &SqliteStore, at: Cell) -> Result<Vec<AccountId>, StoreError> {
    let mut conn = store.read().await?;
    let rows: Vec<Vec<u8>> =
        sqlx::query_scalar("SELECT DISTINCT account FROM watch_cells WHERE cell = ? ORDER BY account")
            .bind(at.to_i64())
            .fetch_all(&mut *conn)
            .await
            .map_err(|e| from_sqlx(e, &format!("reading who watches cell {at}")))?;
    rows.iter().map(|b| uuid(b, "watcher").map(AccountId)).collect()
}

macro_rules! vehicle_columns {
    () => {
        "id, plate, region, make, model, colour, markings, status, status_by, status_reason, status_at_us, last_confirmed_at_us, created_at_us"
    };
}

mod search;
pub(crate) use search::candidates;

pub(crate) async fn record_sightings(store: &SqliteStore, sightings: &[NewSighting]) -> Result<(), StoreError> {
    let what = "recording vehicle sightings";
    let mut tx = store.write().await?;
    for s in sightings {
        // A new vehicle gets its row and index entries; a known one keeps its id and what it
        // has, gains what it lacked, and is confirmed as of its latest sighting.
        let id: Vec<u8> = sqlx::query_scalar(
            "INSERT INTO vehicles (id, plate, folded, region, make, model, colour, markings, status, status_at_us, \
             last_confirmed_at_us, created_at_us) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'confirmed', ?, ?, ?) \
             ON CONFLICT (plate, region) DO UPDATE SET make = COALESCE(make, excluded.make), \
             model = COALESCE(model, excluded.model), colour = COALESCE(colour, excluded.colour), \
             markings = COALESCE(markings, excluded.markings), status = 'confirmed', status_by = NULL, \
             status_reason = NULL, status_at_us = excluded.status_at_us, \
             last_confirmed_at_us = max(last_confirmed_at_us, excluded.last_confirmed_at_us) RETURNING id",
        )
        .bind(s.new_id.as_bytes().as_slice())
        .bind(s.plate.as_str())
        .bind(s.plate.folded())
        .bind(&s.region)
        .bind(&s.make)
        .bind(&s.model)
        .bind(&s.colour)
        .bind(&s.markings)
        .bind(s.seen_at_us)
        .bind(s.seen_at_us)
        .bind(s.seen_at_us)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| from_sqlx(e, what))?;
        // All of a plate's grams in one statement: seeding a registry of a million plates
        // spends its time in statements, not in the index.
        sqlx::query("INSERT OR IGNORE INTO vehicle_grams (gram, vehicle) SELECT value, ? FROM json_each(?)")
            .bind(id.as_slice())
            .bind(search::json_list(&plate_grams(&s.plate)))
            .execute(&mut *tx)
            .await
            .map_err(|e| from_sqlx(e, what))?;
        sqlx::query(
            "INSERT OR IGNORE INTO vehicle_sightings (vehicle, incident, cell, seen_at_us) VALUES (?, ?, ?, ?)",
        )
        .bind(id.as_slice())
        .bind(s.incident.as_bytes().as_slice())
        .bind(s.cell.to_i64())
        .bind(s.seen_at_us)
        .execute(&mut *tx)
        .await
        .map_err(|e| from_sqlx(e, what))?;
    }
    tx.commit().await.map_err(|e| from_sqlx(e, what))
}

pub(crate) async fn set_status(
    store: &SqliteStore,
    id: VehicleId,
    change: &VehicleStatusChange,
    audit: &ResponderAction,
) -> Result<Vehicle, StoreError> {
    let what = || format!("setting the status of vehicle {id}");
    let mut tx = store.write().await?;
    let row = sqlx::query(concat!("UPDATE vehicles SET status = ?, status_by = ?, status_reason = ?, status_at_us = ?, \
         last_confirmed_at_us = CASE WHEN ? = 'confirmed' THEN max(last_confirmed_at_us, ?) ELSE last_confirmed_at_us END \
         WHERE id = ? RETURNING ", vehicle_columns!()))
    .bind(status_name(change.status))
    .bind(change.by.as_bytes().as_slice())
    .bind(&change.reason)
    .bind(change.at_us)
    .bind(status_name(change.status))
    .bind(change.at_us)
    .bind(id.as_bytes().as_slice())
    .fetch_optional(&mut *tx)
    .await
    .map_err(|e| from_sqlx(e, &what()))?
    .ok_or_else(|| StoreError::NotFound(format!("vehicle {id}")))?;
    let vehicle = vehicle_row(&row)?;
    log_action(&mut tx, audit).await?;
    tx.commit().await.map_err(|e| from_sqlx(e, &what()))?;
    Ok(vehicle)
}

pub(crate) async fn vehicle(store: &SqliteStore, id: VehicleId) -> Result<Option<Vehicle>, StoreError> {
    let mut conn = store.read().await?;
    let row = sqlx::query(concat!("SELECT ", vehicle_columns!(), " FROM vehicles WHERE id = ?"))
        .bind(id.as_bytes().as_slice())
        .fetch_optional(&mut *conn)
        .await
        .map_err(|e| from_sqlx(e, &format!("reading vehicle {id}")))?;
    row.as_ref().map(vehicle_row).transpose()
}

pub(crate) async fn sightings(store: &SqliteStore, id: VehicleId) -> Result<Vec<Sighting>, StoreError> {
    let mut conn = store.read().await?;
    let rows = sqlx::query(
        "SELECT incident, cell, seen_at_us FROM vehicle_sightings WHERE vehicle = ? ORDER BY seen_at_us DESC",
    )
    .bind(id.as_bytes().as_slice())
    .fetch_all(&mut *conn)
    .await
    .map_err(|e| from_sqlx(e, &format!("reading the sightings of vehicle {id}")))?;
    rows.iter()
        .map(|row| {
            let get = |e| from_sqlx(e, "reading a sighting");
            let incident: Vec<u8> = row.try_get("incident").map_err(get)?;
            Ok(Sighting {
                vehicle: id,
                incident: amparo_core::ids::IncidentId(uuid(&incident, "sighting incident")?),
                cell: cell(row.try_get("cell").map_err(get)?)?,
                seen_at_us: row.try_get("seen_at_us").map_err(get)?,
            })
        })
        .collect()
}

fn vehicle_row(row: &SqliteRow) -> Result<Vehicle, StoreError> {
    let get = |e| from_sqlx(e, "reading a vehicle");
    let id: Vec<u8> = row.try_get("id").map_err(get)?;
    let by: Option<Vec<u8>> = row.try_get("status_by").map_err(get)?;
    Ok(Vehicle {
        id: VehicleId(uuid(&id, "vehicle id")?),
        plate: plate(row.try_get("plate").map_err(get)?)?,
        region: row.try_get("region").map_err(get)?,
        make: row.try_get("make").map_err(get)?,
        model: row.try_get("model").map_err(get)?,
        colour: row.try_get("colour").map_err(get)?,
        markings: row.try_get("markings").map_err(get)?,
        status: status(row.try_get("status").map_err(get)?)?,
        status_by: by.map(|b| uuid(&b, "vehicle status by").map(AccountId)).transpose()?,
        status_reason: row.try_get("status_reason").map_err(get)?,
        status_at_us: row.try_get("status_at_us").map_err(get)?,
        last_confirmed_at_us: row.try_get("last_confirmed_at_us").map_err(get)?,
        created_at_us: row.try_get("created_at_us").map_err(get)?,
    })
}
