//! `GET /_offcloud/tables` and `GET /_offcloud/tables/{service}/{table}`: a session's state as
//! tables a person can read, for the dashboard. Read-only, paged in SQL, and without secrets.
//!
//! Unlike `/_offcloud/state` (a backup: every column of every row, signing keys included), what
//! this shows is decided table by table in `views.rs`, which leaves secrets out. JSON and masked
//! columns cannot be searched or sorted on either, so a search cannot be used to guess what
//! they hold.
//!
//! A rows request: `?session=NAME&limit=50&offset=0&q=TEXT&sort=COLUMN&order=asc|desc` and
//! `eq.COLUMN=VALUE` (exact match, repeatable). Rows come newest first unless sorted.

use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use rusqlite::types::Value as Stored;
use serde_json::{Value, json};

use super::error::ControlError;
use super::redact;
use crate::AppState;
use crate::db;
use crate::error::Internal;
use crate::session::{Session, SessionName};

mod views;

use views::{Col, Kind, MASK, NOT_SHOWN, VIEWS, View, view};

/// Text cells longer than this are cut (a Dgraph node or an event payload can be large).
const CELL_LIMIT: usize = 2000;

/// Values every query can use, as `ctx.<name>`: the session's virtual time, and the settings
/// the services derive lifecycle states from. Bound as `?1`..`?7` in this order.
const CONTEXT: &str = "WITH ctx(now_iso, now_ms, dgraph_host, typedb_starting, typedb_suspending, \
     typedb_resuming, typedb_destroying) AS (SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7)";
const CONTEXT_PARAMS: usize = 7;

/// The open session of that name. Reading never opens one: a dashboard left on a dropped session
/// must not bring it back.
async fn open_session(state: &AppState, name: SessionName) -> Result<Session, ControlError> {
    state.sessions.get_open(&name).await?.ok_or_else(|| {
        ControlError::new(
            StatusCode::NOT_FOUND,
            &format!("no open session {:?}", name.as_str()),
        )
    })
}

fn describe_columns(view: &View) -> Vec<Value> {
    view.columns
        .iter()
        .map(|c| json!({"name": c.name, "kind": c.kind}))
        .collect()
}

/// `GET /_offcloud/tables[?session=NAME][&service=NAME]`: the session's tables with their row
/// counts, columns, and what each leaves out.
pub async fn catalogue(
    State(state): State<AppState>,
    req: Request,
) -> Result<axum::Json<Value>, ControlError> {
    let session = open_session(&state, super::session_name(&req)?).await?;
    let params = params(&req)?;
    let service = match params.iter().find(|(k, _)| k == "service") {
        Some((_, name)) if VIEWS.iter().any(|v| v.service == name) => Some(name.as_str()),
        Some((_, name)) => {
            return Err(ControlError::bad_request(&format!(
                "unknown service {name:?}: use memgraph, typedb, hasura or dgraph"
            )));
        }
        None => None,
    };
    if let Some((key, _)) = params
        .iter()
        .find(|(k, _)| k != "service" && k != "session")
    {
        return Err(ControlError::bad_request(&format!(
            "unknown parameter {key:?}: use session and service"
        )));
    }
    let context = Context::of(&state, &session);
    let mut conn = session.db().acquire().await.map_err(Internal::from)?;
    let mut tables = Vec::new();
    for view in VIEWS
        .iter()
        .filter(|v| service.is_none_or(|s| s == v.service))
    {
        let sql = format!(
            "{CONTEXT} SELECT count(*) FROM ctx, {} t {}",
            view.table, view.joins
        );
        let rows: i64 = context
            .bound(db::query_scalar(&sql), &[])
            .fetch_one(&mut *conn)
            .await
            .map_err(Internal::from)?;
        let hidden: Vec<Value> = view
            .hidden
            .iter()
            .map(|(column, why)| json!({"column": column, "why": why}))
            .collect();
        tables.push(json!({
            "service": view.service,
            "name": view.name,
            "title": view.title,
            "rows": rows,
            "columns": describe_columns(view),
            "hidden": hidden,
        }));
    }
    let not_shown: Vec<Value> = NOT_SHOWN
        .iter()
        .filter(|(table, _)| service.is_none_or(|s| table.starts_with(&format!("{s}_"))))
        .map(|(table, why)| json!({"table": table, "why": why}))
        .collect();
    Ok(axum::Json(json!({
        "session": session.name(),
        "tables": tables,
        "not_shown": not_shown,
    })))
}

const DEFAULT_LIMIT: u64 = 50;
const MAX_LIMIT: u64 = 500;

/// `GET /_offcloud/tables/{service}/{table}`: one page of rows.
pub async fn rows(
    State(state): State<AppState>,
    Path((service, table)): Path<(String, String)>,
    req: Request,
) -> Result<axum::Json<Value>, ControlError> {
    let Some(view) = view(&service, &table) else {
        return Err(ControlError::new(
            StatusCode::NOT_FOUND,
            &format!("no table {service}/{table}: GET /_offcloud/tables lists them"),
        ));
    };
    let session = open_session(&state, super::session_name(&req)?).await?;
    let page = Page::parse(view, &params(&req)?)?;

    let select: Vec<String> = view.columns.iter().map(Col::expr).collect();
    let (filter, binds) = page.filter(view);
    let from = format!("FROM ctx, {} t {} {filter}", view.table, view.joins);
    let order = match page.sort {
        Some((column, descending)) => format!(
            "{} {}, {}",
            column.expr(),
            if descending { "DESC" } else { "ASC" },
            view.order
        ),
        None => view.order.to_owned(),
    };
    let count_sql = format!("{CONTEXT} SELECT count(*) {from}");
    let rows_sql = format!(
        "{CONTEXT} SELECT {} {from} ORDER BY {order} LIMIT {} OFFSET {}",
        select.join(", "),
        page.limit,
        page.offset
    );

    let context = Context::of(&state, &session);
    let mut conn = session.db().acquire().await.map_err(Internal::from)?;
    let total: i64 = context
        .bound(db::query_scalar(&count_sql), &binds)
        .fetch_one(&mut *conn)
        .await
        .map_err(Internal::from)?;
    let found: Vec<db::Row> = context
        .bound(db::query(&rows_sql), &binds)
        .fetch_all(&mut *conn)
        .await
        .map_err(Internal::from)?;
    let rows = found
        .iter()
        .map(|row| {
            view.columns
                .iter()
                .enumerate()
                .map(|(i, c)| cell(row, i, c.kind))
                .collect::<Result<Vec<Value>, db::Error>>()
                .map(Value::Array)
        })
        .collect::<Result<Vec<Value>, db::Error>>()
        .map_err(Internal::from)?;
    Ok(axum::Json(json!({
        "session": session.name(),
        "service": view.service,
        "table": view.name,
        "title": view.title,
        "columns": describe_columns(view),
        "rows": rows,
        "total": total,
        "offset": page.offset,
        "limit": page.limit,
    })))
}

/// The query string as pairs.
fn params(req: &Request) -> Result<Vec<(String, String)>, ControlError> {
    serde_urlencoded::from_str(req.uri().query().unwrap_or(""))
        .map_err(|_| ControlError::bad_request("the query string is malformed"))
}

/// What one rows request asks for.
struct Page<'v> {
    limit: u64,
    offset: u64,
    q: Option<String>,
    equal: Vec<(&'v Col, String)>,
    /// A column, and whether descending.
    sort: Option<(&'v Col, bool)>,
}

impl<'v> Page<'v> {
    fn parse(view: &'v View, params: &[(String, String)]) -> Result<Page<'v>, ControlError> {
        let searchable = |name: &str| -> Result<&'v Col, ControlError> {
            match view.columns.iter().find(|c| c.name == name) {
                Some(c) if c.kind.searchable() => Ok(c),
                Some(_) => Err(ControlError::bad_request(&format!(
                    "column {name:?} cannot be filtered or sorted on"
                ))),
                None => Err(ControlError::bad_request(&format!(
                    "no column {name:?} in {}/{}",
                    view.service, view.name
                ))),
            }
        };
        let number = |key: &str, value: &str| -> Result<u64, ControlError> {
            value.parse().map_err(|_| {
                ControlError::bad_request(&format!("{key:?} must be a whole number, not {value:?}"))
            })
        };
        let mut page = Page {
            limit: DEFAULT_LIMIT,
            offset: 0,
            q: None,
            equal: Vec::new(),
            sort: None,
        };
        let mut descending = false;
        let mut sort = None;
        for (key, value) in params {
            match key.as_str() {
                "session" => {}
                "limit" => page.limit = number(key, value)?.clamp(1, MAX_LIMIT),
                "offset" => {
                    // SQLite's OFFSET is a signed 64-bit integer.
                    page.offset = number(key, value)?.min(i64::MAX as u64);
                }
                "q" => page.q = Some(value.clone()).filter(|q| !q.is_empty()),
                "sort" => sort = Some(searchable(value)?),
                "order" => {
                    descending = match value.as_str() {
                        "asc" => false,
                        "desc" => true,
                        _ => {
                            return Err(ControlError::bad_request("\"order\" must be asc or desc"));
                        }
                    }
                }
                _ => match key.strip_prefix("eq.") {
                    Some(column) => page.equal.push((searchable(column)?, value.clone())),
                    None => {
                        return Err(ControlError::bad_request(&format!(
                            "unknown parameter {key:?}: use session, limit, offset, q, sort, order or eq.COLUMN"
                        )));
                    }
                },
            }
        }
        page.sort = sort.map(|c| (c, descending));
        Ok(page)
    }

    /// The WHERE clause and its values, bound after the context's.
    fn filter(&self, view: &View) -> (String, Vec<String>) {
        let mut clauses = Vec::new();
        let mut binds = Vec::new();
        let mut next = CONTEXT_PARAMS + 1;
        if let Some(q) = &self.q {
            let pattern = format!(
                "%{}%",
                q.replace('\\', "\\\\")
                    .replace('%', "\\%")
                    .replace('_', "\\_")
            );
            let any: Vec<String> = view
                .columns
                .iter()
                .filter(|c| c.kind.searchable())
                .map(|c| format!("{} LIKE ?{next} ESCAPE '\\'", c.expr()))
                .collect();
            clauses.push(format!("({})", any.join(" OR ")));
            binds.push(pattern);
            next += 1;
        }
        for (column, value) in &self.equal {
            clauses.push(format!("CAST({} AS TEXT) = ?{next}", column.expr()));
            binds.push(value.clone());
            next += 1;
        }
        if clauses.is_empty() {
            (String::new(), binds)
        } else {
            (format!("WHERE {}", clauses.join(" AND ")), binds)
        }
    }
}

/// The values behind `ctx`.
struct Context {
    now_iso: String,
    now_ms: i64,
    dgraph_host: String,
    typedb: [i64; 4],
}

impl Context {
    fn of(state: &AppState, session: &Session) -> Context {
        let now = session.clock().now();
        let ms = |d: std::time::Duration| i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
        let typedb = &state.config.typedb;
        Context {
            now_iso: crate::clock::iso(now),
            now_ms: i64::try_from(now.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX),
            dgraph_host: state.config.dgraph.public_host.clone(),
            typedb: [
                ms(typedb.starting.0),
                ms(typedb.suspending.0),
                ms(typedb.resuming.0),
                ms(typedb.destroying.0),
            ],
        }
    }

    /// `query` with the context's values (`?1`..`?7`), then `extra`, bound.
    fn bound<'a, D: db::Decode>(
        &'a self,
        query: db::Query<'a, D>,
        extra: &'a [String],
    ) -> db::Query<'a, D> {
        let [starting, suspending, resuming, destroying] = self.typedb;
        let mut query = query
            .bind(self.now_iso.as_str())
            .bind(self.now_ms)
            .bind(self.dgraph_host.as_str());
        for ms in [starting, suspending, resuming, destroying] {
            query = query.bind(ms);
        }
        for value in extra {
            query = query.bind(value.as_str());
        }
        query
    }
}

/// One value, shown as its column's kind says.
fn cell(row: &db::Row, i: usize, kind: Kind) -> Result<Value, db::Error> {
    if kind == Kind::Masked {
        return Ok(Value::String(MASK.to_owned()));
    }
    let value = match row.value(i)? {
        Stored::Null => Value::Null,
        Stored::Integer(n) if kind == Kind::Bool => Value::Bool(*n != 0),
        Stored::Integer(n) => Value::from(*n),
        Stored::Real(x) => Value::from(*x),
        Stored::Blob(bytes) => Value::String(format!("({} bytes)", bytes.len())),
        Stored::Text(text) if kind == Kind::Json => json_cell(text),
        Stored::Text(text) => Value::String(cut(text.clone())),
    };
    Ok(value)
}

/// A JSON column, redacted as the journal redacts bodies; too large a document is shown as its
/// (redacted) text, cut.
fn json_cell(text: &str) -> Value {
    match serde_json::from_str::<Value>(text) {
        Ok(mut value) => {
            redact::json(&mut value);
            let shown = value.to_string();
            if shown.len() > CELL_LIMIT {
                Value::String(cut(shown))
            } else {
                value
            }
        }
        Err(_) => Value::String(cut(redact::text(&redact::loose_json(text)))),
    }
}

fn cut(text: String) -> String {
    crate::clip::clipped(text, CELL_LIMIT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_cells_are_cut_on_a_character_boundary() {
        let text = "é".repeat(CELL_LIMIT);
        let shown = cut(text);
        assert!(shown.starts_with("éé"));
        assert!(shown.ends_with(&format!("… ({} more characters)", CELL_LIMIT / 2)));
    }

    #[test]
    fn json_cells_are_redacted_like_journal_bodies() {
        let shown = json_cell(r#"{"text":"hi","password":"hunter2","nested":{"apiKey":"k"}}"#);
        assert_eq!(
            shown,
            json!({"text": "hi", "password": redact::REDACTED, "nested": {"apiKey": redact::REDACTED}})
        );
        let broken = json_cell(r#"{"password": "hunter2", "#);
        assert!(!broken.to_string().contains("hunter2"));
    }
}
