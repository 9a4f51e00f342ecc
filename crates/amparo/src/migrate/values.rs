//! One column's values on their way from SQLite to PostgreSQL: what type the target column is,
//! how a source value becomes that type, and an order-free digest of a table's rows that both
//! sides can compute, so the copy is checked value by value and not only counted.
//!
//! The target's column type decides the conversion (the SQLite tables are STRICT, so a column
//! holds one storage class): ids are 16-byte blobs in SQLite and `uuid` in PostgreSQL, flags are
//! 0/1 integers and `boolean`, code lists are comma-separated text and `text[]`.

use sha2::{Digest, Sha256};
use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;
use sqlx::{Postgres, Row};
use uuid::Uuid;

/// The PostgreSQL types Amparo's schema uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Uuid,
    BigInt,
    Int,
    SmallInt,
    Double,
    Bool,
    Text,
    Bytes,
    TextList,
}

impl Kind {
    /// The kind of a PostgreSQL column by its `udt_name`, or `None` for a type this copy does not
    /// know yet (a new migration's: add it here and to [`Value`]).
    pub fn of_postgres(udt_name: &str) -> Option<Self> {
        Some(match udt_name {
            "uuid" => Self::Uuid,
            "int8" => Self::BigInt,
            "int4" => Self::Int,
            "int2" => Self::SmallInt,
            "float8" => Self::Double,
            "bool" => Self::Bool,
            "text" | "varchar" => Self::Text,
            "bytea" => Self::Bytes,
            "_text" => Self::TextList,
            _ => return None,
        })
    }
}

/// One value, already in the target's type. `None` is SQL NULL.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Uuid(Option<Uuid>),
    BigInt(Option<i64>),
    Int(Option<i32>),
    SmallInt(Option<i16>),
    Double(Option<f64>),
    Bool(Option<bool>),
    Text(Option<String>),
    Bytes(Option<Vec<u8>>),
    TextList(Option<Vec<String>>),
}

/// Why a source value does not fit its target column.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Unfit(String);

fn unfit(what: impl std::fmt::Display) -> Unfit {
    Unfit(what.to_string())
}

/// Reads column `index` of a SQLite row as `kind`.
pub fn from_sqlite(row: &SqliteRow, index: usize, kind: Kind) -> Result<Value, Unfit> {
    let narrow = |v: Option<i64>, bits: &str| unfit(format!("{v:?} does not fit a PostgreSQL {bits}"));
    Ok(match kind {
        Kind::Uuid => {
            let blob: Option<Vec<u8>> = row.try_get(index).map_err(unfit)?;
            Value::Uuid(match blob {
                None => None,
                Some(bytes) => Some(
                    Uuid::from_slice(&bytes).map_err(|_| unfit(format!("an id of {} bytes, not 16", bytes.len())))?,
                ),
            })
        }
        Kind::BigInt => Value::BigInt(row.try_get(index).map_err(unfit)?),
        Kind::Int => {
            let v: Option<i64> = row.try_get(index).map_err(unfit)?;
            Value::Int(v.map(i32::try_from).transpose().map_err(|_| narrow(v, "integer"))?)
        }
        Kind::SmallInt => {
            let v: Option<i64> = row.try_get(index).map_err(unfit)?;
            Value::SmallInt(v.map(i16::try_from).transpose().map_err(|_| narrow(v, "smallint"))?)
        }
        Kind::Double => Value::Double(row.try_get(index).map_err(unfit)?),
        Kind::Bool => {
            let v: Option<i64> = row.try_get(index).map_err(unfit)?;
            Value::Bool(match v {
                None => None,
                Some(0) => Some(false),
                Some(1) => Some(true),
                Some(other) => return Err(unfit(format!("{other} where a flag (0 or 1) belongs"))),
            })
        }
        Kind::Text => Value::Text(row.try_get(index).map_err(unfit)?),
        Kind::Bytes => Value::Bytes(row.try_get(index).map_err(unfit)?),
        Kind::TextList => {
            // The SQLite store's lists are comma-separated codes, none holding a comma.
            let v: Option<String> = row.try_get(index).map_err(unfit)?;
            Value::TextList(v.map(|list| {
                list.split(',')
                    .filter(|code| !code.is_empty())
                    .map(str::to_owned)
                    .collect()
            }))
        }
    })
}

/// Reads column `index` of a PostgreSQL row as `kind`: the copy read back, for the digest.
pub fn from_postgres(row: &PgRow, index: usize, kind: Kind) -> Result<Value, sqlx::Error> {
    Ok(match kind {
        Kind::Uuid => Value::Uuid(row.try_get(index)?),
        Kind::BigInt => Value::BigInt(row.try_get(index)?),
        Kind::Int => Value::Int(row.try_get(index)?),
        Kind::SmallInt => Value::SmallInt(row.try_get(index)?),
        Kind::Double => Value::Double(row.try_get(index)?),
        Kind::Bool => Value::Bool(row.try_get(index)?),
        Kind::Text => Value::Text(row.try_get(index)?),
        Kind::Bytes => Value::Bytes(row.try_get(index)?),
        Kind::TextList => Value::TextList(row.try_get(index)?),
    })
}

/// Binds a value as the next parameter of an insert's row.
pub fn bind(row: &mut sqlx::query_builder::Separated<'_, Postgres, &'static str>, value: Value) {
    match value {
        Value::Uuid(v) => row.push_bind(v),
        Value::BigInt(v) => row.push_bind(v),
        Value::Int(v) => row.push_bind(v),
        Value::SmallInt(v) => row.push_bind(v),
        Value::Double(v) => row.push_bind(v),
        Value::Bool(v) => row.push_bind(v),
        Value::Text(v) => row.push_bind(v),
        Value::Bytes(v) => row.push_bind(v),
        Value::TextList(v) => row.push_bind(v),
    };
}

/// A table's rows as a multiset: the count, and the wrapping sum of each row's SHA-256, so the
/// order rows are read in does not matter (SQLite and PostgreSQL order text differently).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TableDigest {
    pub rows: u64,
    sum: [u64; 4],
}

impl TableDigest {
    pub fn add(&mut self, row: &[Value]) {
        let mut hasher = Sha256::new();
        for value in row {
            encode(value, &mut hasher);
        }
        let hash = hasher.finalize();
        for (lane, bytes) in self.sum.iter_mut().zip(hash.chunks_exact(8)) {
            let mut word = [0u8; 8];
            word.copy_from_slice(bytes);
            *lane = lane.wrapping_add(u64::from_le_bytes(word));
        }
        self.rows += 1;
    }
}

/// An unambiguous encoding: a tag per type and null, lengths before variable bytes.
fn encode(value: &Value, out: &mut Sha256) {
    fn bytes(out: &mut Sha256, tag: u8, data: Option<&[u8]>) {
        match data {
            None => out.update([tag, 0]),
            Some(data) => {
                out.update([tag, 1]);
                out.update((data.len() as u64).to_le_bytes());
                out.update(data);
            }
        }
    }
    match value {
        Value::Uuid(v) => bytes(out, 1, v.as_ref().map(|u| u.as_bytes().as_slice())),
        Value::BigInt(v) => bytes(out, 2, v.map(i64::to_le_bytes).as_ref().map(|b| b.as_slice())),
        Value::Int(v) => bytes(out, 3, v.map(i32::to_le_bytes).as_ref().map(|b| b.as_slice())),
        Value::SmallInt(v) => bytes(out, 4, v.map(i16::to_le_bytes).as_ref().map(|b| b.as_slice())),
        Value::Double(v) => bytes(
            out,
            5,
            v.map(|f| f.to_bits().to_le_bytes()).as_ref().map(|b| b.as_slice()),
        ),
        Value::Bool(v) => bytes(out, 6, v.map(|b| [u8::from(b)]).as_ref().map(|b| b.as_slice())),
        Value::Text(v) => bytes(out, 7, v.as_deref().map(str::as_bytes)),
        Value::Bytes(v) => bytes(out, 8, v.as_deref()),
        Value::TextList(v) => match v {
            None => out.update([9, 0]),
            Some(list) => {
                out.update([9, 1]);
                out.update((list.len() as u64).to_le_bytes());
                for item in list {
                    bytes(out, 7, Some(item.as_bytes()));
                }
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_digest_ignores_order_and_sees_every_value() {
        let a = [Value::Text(Some("a".into())), Value::BigInt(Some(1))];
        let b = [Value::Text(Some("b".into())), Value::BigInt(None)];
        let (mut one, mut two) = (TableDigest::default(), TableDigest::default());
        one.add(&a);
        one.add(&b);
        two.add(&b);
        two.add(&a);
        assert_eq!(one, two);
        let mut three = TableDigest::default();
        three.add(&a);
        three.add(&[Value::Text(Some("b".into())), Value::BigInt(Some(0))]);
        assert_ne!(one, three, "NULL and 0 differ");
        let mut four = TableDigest::default();
        four.add(&[Value::TextList(Some(vec!["ab".into()]))]);
        let mut five = TableDigest::default();
        five.add(&[Value::TextList(Some(vec!["a".into(), "b".into()]))]);
        assert_ne!(four, five, "list items keep their boundaries");
    }
}
