//! State snapshots: every row of a session's database as JSON, and back (`/_offcloud/state`,
//! `--state-file`). Generic over tables: the schema is read from `sqlite_master` and
//! `pragma_table_info`, so a table added by a later migration is covered without a word here.
//!
//! The document:
//!
//! ```json
//! {"offcloud": "state", "version": 1, "schema": 6,
//!  "sessions": {"default": {"clock_offset_ms": 0,
//!    "tables": {"memgraph_users": {"columns": ["id", "email", ...],
//!                                  "rows": [["3f2c...", "a@example.com", ...], ...]}, ...}}}}
//! ```
//!
//! - `version` is this format's version; `schema` the number of the latest migration: a document
//!   from another schema is refused rather than guessed at.
//! - Sessions and tables are in name order; tables without rows are left out (and a table missing
//!   from a document is empty after loading it); rows are in rowid order, the order in which the
//!   services list things, so that order survives a load.
//! - Values keep their SQLite type: INTEGER as a JSON integer, REAL as a number (written so that it
//!   reads back to the same float), TEXT as a string, BLOB as `{"base64": "..."}`, NULL as null.
//! - Tables derived from others by triggers (`Service::derived_tables`) are left out: loading the rows
//!   they count rebuilds them.
//! - `offcloud_secrets` (the per-session signing keys) is included, so tokens issued before an
//!   export still verify after loading it: the document holds secrets, like the database does.

use std::collections::{BTreeMap, HashMap};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use rusqlite::types::Value as Stored;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::db;
use crate::session::Session;

/// What `"offcloud"` says in every state document.
pub const KIND: &str = "state";
/// The version of the document format.
pub const FORMAT_VERSION: u32 = 1;

/// The whole state, or some sessions of it.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Document {
    pub offcloud: String,
    pub version: u32,
    pub schema: i64,
    pub sessions: BTreeMap<String, SessionState>,
}

/// One session: its clock and its rows.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionState {
    /// How far the session's virtual clock is ahead of real time.
    pub clock_offset_ms: u64,
    pub tables: BTreeMap<String, Table>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Table {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Value>>,
}

/// Why a load was refused or failed.
#[derive(Debug)]
pub enum LoadError {
    /// The document does not fit: the message names the table, row and column.
    Invalid(String),
    Internal(crate::error::Internal),
}

impl From<db::Error> for LoadError {
    fn from(e: db::Error) -> Self {
        LoadError::Internal(e.into())
    }
}

impl From<crate::error::Internal> for LoadError {
    fn from(e: crate::error::Internal) -> Self {
        LoadError::Internal(e)
    }
}

impl Document {
    pub fn new(sessions: BTreeMap<String, SessionState>) -> Document {
        Document {
            offcloud: KIND.to_owned(),
            version: FORMAT_VERSION,
            schema: crate::db::schema_version(),
            sessions,
        }
    }

    /// Parses a document and checks what can be checked without a database: its kind and versions.
    pub fn parse(bytes: &[u8]) -> Result<Document, String> {
        let document: Document =
            serde_json::from_slice(bytes).map_err(|e| format!("invalid state document: {e}"))?;
        if document.offcloud != KIND {
            return Err(format!(
                "not a state document: \"offcloud\" is {:?}, expected {KIND:?}",
                document.offcloud
            ));
        }
        if document.version != FORMAT_VERSION {
            return Err(format!(
                "state document version {} is not supported (this offcloud reads version {FORMAT_VERSION})",
                document.version
            ));
        }
        let schema = crate::db::schema_version();
        if document.schema != schema {
            return Err(format!(
                "the state document is from schema version {}, this offcloud has schema version {schema}",
                document.schema
            ));
        }
        Ok(document)
    }

    /// The document as it is written: compact JSON, the same bytes for the same state.
    pub fn to_bytes(&self) -> Vec<u8> {
        // Serialising plain maps, vectors and JSON values cannot fail.
        serde_json::to_vec(self).unwrap_or_default()
    }
}

/// One table of the schema, as the database describes it.
struct TableSchema {
    name: String,
    columns: Vec<Column>,
    /// WITHOUT ROWID tables are ordered by their primary key instead.
    order_by: String,
}

struct Column {
    name: String,
    kind: Affinity,
}

/// What a column accepts, from its declared type (SQLite's affinity rules).
#[derive(Clone, Copy, PartialEq)]
enum Affinity {
    Integer,
    Real,
    Text,
    Blob,
    /// `ANY`, `NUMERIC` or anything else: every value.
    Any,
}

impl Affinity {
    fn of(declared: &str) -> Affinity {
        let t = declared.to_ascii_uppercase();
        if t.contains("INT") {
            Affinity::Integer
        } else if t.contains("CHAR") || t.contains("CLOB") || t.contains("TEXT") {
            Affinity::Text
        } else if t.contains("BLOB") {
            Affinity::Blob
        } else if t.contains("REAL") || t.contains("FLOA") || t.contains("DOUB") {
            Affinity::Real
        } else {
            Affinity::Any
        }
    }
}

/// A value ready to bind.
enum Sql {
    Null,
    Integer(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
}

/// The tables that hold state: every table but SQLite's own and the migrations' bookkeeping.
async fn schema(conn: &mut db::Connection) -> Result<Vec<TableSchema>, db::Error> {
    let tables: Vec<(String, bool)> = db::query_as(
        "SELECT m.name, coalesce(l.wr, 0) FROM sqlite_master m
           LEFT JOIN pragma_table_list l ON l.name = m.name AND l.schema = 'main'
          WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name NOT LIKE '_sqlx_%'
          ORDER BY m.name",
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut schema = Vec::with_capacity(tables.len());
    for (name, without_rowid) in tables {
        if crate::service::is_derived_table(&name) {
            continue;
        }
        let columns: Vec<(String, String, i64)> =
            db::query_as("SELECT name, type, pk FROM pragma_table_info(?) ORDER BY cid")
                .bind(&name)
                .fetch_all(&mut *conn)
                .await?;
        let order_by = if without_rowid {
            let mut keys: Vec<&(String, String, i64)> =
                columns.iter().filter(|(_, _, pk)| *pk > 0).collect();
            keys.sort_by_key(|(_, _, pk)| *pk);
            keys.iter()
                .map(|(column, _, _)| quote(column))
                .collect::<Vec<_>>()
                .join(", ")
        } else {
            "rowid".to_owned()
        };
        schema.push(TableSchema {
            name,
            columns: columns
                .into_iter()
                .map(|(name, declared, _)| Column {
                    name,
                    kind: Affinity::of(&declared),
                })
                .collect(),
            order_by,
        });
    }
    Ok(schema)
}

/// An identifier for SQL. Names come from the schema, or are checked against it first.
fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Every row of a session, with its clock.
pub async fn dump(session: &Session) -> Result<SessionState, db::Error> {
    db::long(rows_of(session)).await
}

async fn rows_of(session: &Session) -> Result<SessionState, db::Error> {
    let mut conn = session.db().acquire().await?;
    let mut tables = BTreeMap::new();
    for table in schema(&mut conn).await? {
        let names: Vec<String> = table.columns.iter().map(|c| quote(&c.name)).collect();
        let sql = format!(
            "SELECT {} FROM {} ORDER BY {}",
            names.join(", "),
            quote(&table.name),
            table.order_by
        );
        let rows: Vec<db::Row> = db::query(&sql).fetch_all(&mut *conn).await?;
        if rows.is_empty() {
            continue;
        }
        let rows = rows
            .iter()
            .map(|row| (0..row.len()).map(|i| json_value(row, i)).collect())
            .collect::<Result<Vec<Vec<Value>>, db::Error>>()?;
        tables.insert(
            table.name,
            Table {
                columns: table.columns.into_iter().map(|c| c.name).collect(),
                rows,
            },
        );
    }
    let offset = session.clock().offset().as_millis();
    Ok(SessionState {
        clock_offset_ms: u64::try_from(offset).unwrap_or(u64::MAX),
        tables,
    })
}

/// One stored value as JSON, by the type the value has (not the column's: an `ANY` column keeps
/// whatever it was given).
fn json_value(row: &db::Row, i: usize) -> Result<Value, db::Error> {
    Ok(match row.value(i)? {
        Stored::Null => Value::Null,
        Stored::Integer(n) => Value::from(*n),
        Stored::Real(x) => Value::from(*x),
        Stored::Blob(bytes) => serde_json::json!({ "base64": BASE64.encode(bytes) }),
        Stored::Text(text) => Value::from(text.as_str()),
    })
}

/// Row counts of a session's non-empty tables, by table name (derived tables left out, as a dump
/// leaves them). Two statements, whatever the number of tables: sessions are listed often (and
/// counted each time one is parked).
pub async fn row_counts(pool: &crate::db::Db) -> Result<BTreeMap<String, i64>, db::Error> {
    let mut conn = pool.acquire().await?;
    let tables: Vec<String> = db::query_scalar(
        "SELECT name FROM sqlite_master
          WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_sqlx_%'
          ORDER BY name",
    )
    .fetch_all(&mut *conn)
    .await?;
    let counted: Vec<String> = tables
        .into_iter()
        .filter(|name| !crate::service::is_derived_table(name))
        .collect();
    if counted.is_empty() {
        return Ok(BTreeMap::new());
    }
    // Table names come from sqlite_master, never from a request.
    let sql = counted
        .iter()
        .enumerate()
        .map(|(i, name)| format!("SELECT {i}, count(*) FROM {}", quote(name)))
        .collect::<Vec<_>>()
        .join(" UNION ALL ");
    let rows: Vec<(i64, i64)> = db::query_as(&sql).fetch_all(&mut *conn).await?;
    Ok(rows
        .into_iter()
        .filter(|(_, count)| *count > 0)
        .filter_map(|(i, count)| Some((counted.get(usize::try_from(i).ok()?)?.clone(), count)))
        .collect())
}

/// The rows to insert into one table.
struct Insert {
    table: String,
    sql: String,
    rows: Vec<Vec<Sql>>,
}

/// Replaces the rows of several sessions at once: each gets the given state, or is emptied when
/// given none. All or nothing: the whole document is checked first (tables, columns, value types),
/// then every session is rewritten in its own transaction, foreign keys are checked in each, and
/// only when all passed are they committed. Clocks and caches are the caller's to set.
pub async fn load(targets: &[(Session, Option<&SessionState>)]) -> Result<(), LoadError> {
    db::long(rewrite(targets)).await
}

async fn rewrite(targets: &[(Session, Option<&SessionState>)]) -> Result<(), LoadError> {
    let Some((first, _)) = targets.first() else {
        return Ok(());
    };
    let tables = {
        let mut conn = first.db().acquire().await?;
        schema(&mut conn).await?
    };
    let mut plans = Vec::with_capacity(targets.len());
    for (session, state) in targets {
        let inserts = match state {
            Some(state) => check(&tables, session.name(), state).map_err(LoadError::Invalid)?,
            None => Vec::new(),
        };
        plans.push((session, inserts));
    }
    // Sessions are taken in name order, so two loads at once cannot wait on each other.
    plans.sort_by(|(a, _), (b, _)| a.name().cmp(b.name()));

    let mut open = Vec::with_capacity(plans.len());
    for (session, inserts) in plans {
        let mut tx = session.db().begin().await?;
        // Checked below, once every row is in: rows may come in any order.
        db::query("PRAGMA defer_foreign_keys = ON")
            .execute(&mut *tx)
            .await?;
        let derived = crate::service::derived_tables()
            .iter()
            .map(|t| t.to_string());
        // Derived tables last: deleting the rows they count updates them on the way.
        for table in tables.iter().map(|t| t.name.clone()).chain(derived) {
            db::query(&format!("DELETE FROM {}", quote(&table)))
                .execute(&mut *tx)
                .await?;
        }
        let mut row_of_rowid: HashMap<(String, i64), usize> = HashMap::new();
        for insert in inserts {
            for (index, row) in insert.rows.into_iter().enumerate() {
                let mut query = db::query(&insert.sql);
                for value in row {
                    query = match value {
                        Sql::Null => query.bind(None::<i64>),
                        Sql::Integer(n) => query.bind(n),
                        Sql::Real(x) => query.bind(x),
                        Sql::Text(s) => query.bind(s),
                        Sql::Blob(b) => query.bind(b),
                    };
                }
                let done = query.execute(&mut *tx).await.map_err(|e| {
                    refusal(e, || {
                        format!(
                            "session {:?}, table {:?}, row {index}",
                            session.name(),
                            insert.table
                        )
                    })
                })?;
                row_of_rowid.insert((insert.table.clone(), done.last_insert_rowid()), index);
            }
        }
        let broken: Option<(String, Option<i64>, String)> =
            db::query_as("SELECT \"table\", rowid, parent FROM pragma_foreign_key_check")
                .fetch_optional(&mut *tx)
                .await?;
        if let Some((table, rowid, parent)) = broken {
            let row = rowid
                .and_then(|r| row_of_rowid.get(&(table.clone(), r)))
                .map(|i| format!(", row {i}"))
                .unwrap_or_default();
            return Err(LoadError::Invalid(format!(
                "session {:?}, table {table:?}{row}: refers to a row of {parent:?} that is not in the document",
                session.name()
            )));
        }
        open.push(tx);
    }
    for tx in open {
        tx.commit().await?;
    }
    Ok(())
}

/// A database error caused by the document (a constraint) is the document's fault; others are ours.
fn refusal(e: db::Error, at: impl FnOnce() -> String) -> LoadError {
    match e.database_message() {
        Some(message) => LoadError::Invalid(format!("{}: {message}", at())),
        None => LoadError::Internal(e.into()),
    }
}

/// Checks a session's tables against the schema and turns them into inserts.
fn check(
    schema: &[TableSchema],
    session: &str,
    state: &SessionState,
) -> Result<Vec<Insert>, String> {
    if std::time::Duration::from_millis(state.clock_offset_ms) > crate::clock::latest_offset() {
        return Err(format!(
            "session {session:?}: clock_offset_ms puts the clock past 9000-01-01T00:00:00Z, the latest time it shows"
        ));
    }
    let mut inserts = Vec::with_capacity(state.tables.len());
    for (name, table) in &state.tables {
        let at = format!("session {session:?}, table {name:?}");
        let known = schema
            .iter()
            .find(|t| &t.name == name)
            .ok_or_else(|| format!("{at}: no such table"))?;
        let mut columns = Vec::with_capacity(table.columns.len());
        for column in &table.columns {
            let found = known
                .columns
                .iter()
                .find(|c| &c.name == column)
                .ok_or_else(|| format!("{at}: no such column {column:?}"))?;
            if columns.iter().any(|c: &&Column| &c.name == column) {
                return Err(format!("{at}: column {column:?} is listed twice"));
            }
            columns.push(found);
        }
        let mut rows = Vec::with_capacity(table.rows.len());
        for (index, row) in table.rows.iter().enumerate() {
            if row.len() != columns.len() {
                return Err(format!(
                    "{at}, row {index}: {} values for {} columns",
                    row.len(),
                    columns.len()
                ));
            }
            let values = row
                .iter()
                .zip(&columns)
                .map(|(value, column)| {
                    sql_value(value, column.kind).map_err(|expected| {
                        format!(
                            "{at}, row {index}, column {:?}: expected {expected}, got {value}",
                            column.name
                        )
                    })
                })
                .collect::<Result<Vec<Sql>, String>>()?;
            rows.push(values);
        }
        let names: Vec<String> = columns.iter().map(|c| quote(&c.name)).collect();
        let marks = vec!["?"; names.len()].join(", ");
        inserts.push(Insert {
            table: name.clone(),
            sql: format!(
                "INSERT INTO {} ({}) VALUES ({marks})",
                quote(name),
                names.join(", ")
            ),
            rows,
        });
    }
    Ok(inserts)
}

/// A JSON value as the column's type wants it, or what was expected.
fn sql_value(value: &Value, kind: Affinity) -> Result<Sql, &'static str> {
    let blob = |v: &Value| -> Option<Vec<u8>> {
        let object = v.as_object()?;
        if object.len() != 1 {
            return None;
        }
        BASE64.decode(object.get("base64")?.as_str()?).ok()
    };
    match (kind, value) {
        (_, Value::Null) => Ok(Sql::Null),
        (Affinity::Integer | Affinity::Any, Value::Number(n)) if n.is_i64() => {
            Ok(Sql::Integer(n.as_i64().unwrap_or_default()))
        }
        (Affinity::Integer, _) => Err("an integer"),
        (Affinity::Real | Affinity::Any, Value::Number(n)) => match n.as_f64() {
            Some(x) => Ok(Sql::Real(x)),
            None => Err("a number"),
        },
        (Affinity::Real, _) => Err("a number"),
        (Affinity::Text | Affinity::Any, Value::String(s)) => Ok(Sql::Text(s.clone())),
        (Affinity::Text, _) => Err("a string"),
        (Affinity::Blob | Affinity::Any, v) => blob(v)
            .map(Sql::Blob)
            .ok_or(r#"{"base64": "..."} (a blob)"#),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn declared_types_map_to_what_a_column_accepts() {
        assert!(Affinity::of("INTEGER") == Affinity::Integer);
        assert!(Affinity::of("int") == Affinity::Integer);
        assert!(Affinity::of("TEXT") == Affinity::Text);
        assert!(Affinity::of("VARCHAR(20)") == Affinity::Text);
        assert!(Affinity::of("REAL") == Affinity::Real);
        assert!(Affinity::of("BLOB") == Affinity::Blob);
        assert!(Affinity::of("ANY") == Affinity::Any);
        assert!(Affinity::of("") == Affinity::Any);
    }

    #[test]
    fn values_must_fit_their_column() {
        assert!(matches!(
            sql_value(&json!(7), Affinity::Integer),
            Ok(Sql::Integer(7))
        ));
        assert_eq!(
            sql_value(&json!(7.5), Affinity::Integer).err(),
            Some("an integer")
        );
        assert_eq!(
            sql_value(&json!(true), Affinity::Integer).err(),
            Some("an integer")
        );
        assert!(matches!(sql_value(&json!(2), Affinity::Real), Ok(Sql::Real(x)) if x == 2.0));
        assert!(matches!(sql_value(&json!(0.1), Affinity::Any), Ok(Sql::Real(x)) if x == 0.1));
        assert!(matches!(sql_value(&json!("a"), Affinity::Text), Ok(Sql::Text(t)) if t == "a"));
        assert_eq!(sql_value(&json!(1), Affinity::Text).err(), Some("a string"));
        assert!(matches!(
            sql_value(&json!({"base64": "AAE="}), Affinity::Blob),
            Ok(Sql::Blob(b)) if b == vec![0, 1]
        ));
        assert!(sql_value(&json!({"base64": "!"}), Affinity::Blob).is_err());
        assert!(sql_value(&json!({"base64": "AA==", "x": 1}), Affinity::Blob).is_err());
        assert!(sql_value(&json!("AA=="), Affinity::Blob).is_err());
        assert!(matches!(
            sql_value(&Value::Null, Affinity::Integer),
            Ok(Sql::Null)
        ));
    }

    #[test]
    fn identifiers_are_quoted_with_their_quotes_doubled() {
        assert_eq!(quote("memgraph_users"), "\"memgraph_users\"");
        assert_eq!(quote("a\"b"), "\"a\"\"b\"");
    }
}
