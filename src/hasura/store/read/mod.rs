//! The read model behind the GraphQL tables (docs/spec/hasura.md §4, §8.2): what a [`Fetch`]
//! asks for becomes one SQL statement with the caller's visibility, the filter, the order and
//! the page in it ([`sql`]), over each table's SQL source ([`sources`]). Rows come back with
//! only the asked columns, typed as Hasura prints them.

mod sources;
mod sql;

use rusqlite::types::Value as Stored;
use serde_json::{Map, Value};

use super::Store;
use crate::db;
use crate::error::Internal;
use crate::hasura::auth::User;
use crate::hasura::engine::filter::{BoolExp, Page, Test};
use crate::hasura::model::Row;
use crate::hasura::schema::{self, Scalar, TypeDef};
use sql::{Bind, Sql};

/// Rows of one table type.
pub struct Fetch<'a> {
    pub ty: &'static TypeDef,
    /// The columns to read, by name.
    pub columns: &'a [&'static str],
    pub page: &'a Page,
    pub within: Within<'a>,
}

/// Which rows a fetch looks at.
pub enum Within<'a> {
    /// Every row the caller may see (a root list).
    Visible,
    /// Rows found by their key in the page's filter (`_by_pk`), if the caller may see them.
    Key,
    /// The rows whose `column` holds one of `keys` (a relationship of the rows one level up),
    /// the page applied to each key's rows.
    Related {
        column: &'static str,
        keys: &'a [Value],
    },
}

/// Why a read failed.
#[derive(Debug)]
pub enum ReadError {
    /// SQLite refused the statement as too big or too deep — a filter of tens of thousands of
    /// conditions, relationships followed a few dozen levels down: the request's doing, and
    /// answered as such, with SQLite's reason.
    TooComplex(String),
    Internal(Internal),
}

impl From<Internal> for ReadError {
    fn from(e: Internal) -> Self {
        ReadError::Internal(e)
    }
}

impl From<db::Error> for ReadError {
    fn from(e: db::Error) -> Self {
        // SQLite's own bounds on a statement (SQLITE_MAX_VARIABLE_NUMBER, _EXPR_DEPTH,
        // _LIKE_PATTERN_LENGTH, _LENGTH), by their messages: it checks them rather than
        // overflowing, and they are the only SQLite errors a request's input can cause.
        const BOUNDS: &[&str] = &[
            "too many SQL variables",
            "Expression tree is too large",
            "parser stack overflow",
            "pattern too complex",
            "too big",
            "too many terms",
        ];
        if let Some(message) = e.database_message()
            && BOUNDS.iter().any(|bound| message.contains(bound))
        {
            return ReadError::TooComplex(message.to_owned());
        }
        ReadError::Internal(e.into())
    }
}

impl Store {
    /// The rows `user` may see of a fetch, as of the session time `now`.
    pub async fn fetch(
        &self,
        user: &User,
        now: &str,
        fetch: &Fetch<'_>,
    ) -> Result<Vec<Row>, ReadError> {
        let mut sql = Sql::new(user.id(), now);
        sql.select(fetch, false)?;
        let rows = query(&sql).fetch_all(self.session.db()).await?;
        Ok(rows
            .into_iter()
            .map(|row| decode(fetch.ty, fetch.columns, row))
            .collect::<Result<_, _>>()?)
    }

    /// How many rows the fetch would give.
    pub async fn count(&self, user: &User, now: &str, fetch: &Fetch<'_>) -> Result<u64, ReadError> {
        let mut sql = Sql::new(user.id(), now);
        sql.select(fetch, true)?;
        let (count,): (i64,) = query_as(&sql).fetch_one(self.session.db()).await?;
        Ok(u64::try_from(count).unwrap_or(0))
    }

    /// A table row by its `id`, every column, if `user` may see it: what a delete answers with.
    pub async fn visible_row(
        &self,
        user: &User,
        table: &str,
        id: &str,
    ) -> Result<Option<Row>, Internal> {
        let ty = schema::type_def(table).ok_or_else(|| Internal::msg("no such table"))?;
        let columns: Vec<&'static str> = ty.columns.iter().map(|(c, _)| *c).collect();
        let page = Page {
            filter: Some(BoolExp::Column {
                column: "id",
                scalar: Scalar::Uuid,
                test: Test::Eq(Value::String(id.to_owned())),
            }),
            limit: Some(1),
            ..Page::default()
        };
        let fetch = Fetch {
            ty,
            columns: &columns,
            page: &page,
            within: Within::Key,
        };
        match self.fetch(user, &self.now(), &fetch).await {
            Ok(mut rows) => Ok(rows.pop()),
            Err(ReadError::Internal(e)) => Err(e),
            Err(ReadError::TooComplex(why)) => Err(Internal::msg(why)),
        }
    }
}

fn query<'q>(sql: &'q Sql<'_>) -> db::Query<'q> {
    bound(db::query(&sql.text), sql)
}

fn query_as<'q, T: db::FromRow + Send>(sql: &'q Sql<'_>) -> db::Query<'q, db::As<T>> {
    bound(db::query_as(&sql.text), sql)
}

fn bound<'q, D: db::Decode>(mut query: db::Query<'q, D>, sql: &'q Sql<'_>) -> db::Query<'q, D> {
    for bind in &sql.binds {
        query = match bind {
            Bind::Text(s) => query.bind(s.as_str()),
            Bind::Int(i) => query.bind(*i),
            Bind::Real(f) => query.bind(*f),
        };
    }
    query
}

/// One result row as JSON, each column typed by the schema: booleans from 0/1, jsonb parsed,
/// times as Postgres prints `timestamptz` (`…+00:00`; they are stored as `…Z`, which sorts).
fn decode(ty: &TypeDef, columns: &[&'static str], row: db::Row) -> Result<Row, Internal> {
    let mut out = Map::with_capacity(columns.len());
    for (column, stored) in columns.iter().zip(row.into_values()) {
        let scalar = ty
            .column(column)
            .ok_or_else(|| Internal::msg(format!("no column {}.{column}", ty.name)))?;
        let value = match (scalar, stored) {
            (_, Stored::Null) => Value::Null,
            (Scalar::Int | Scalar::Bigint, stored) => Value::from(integer(&stored)),
            (Scalar::Bool, stored) => Value::Bool(integer(&stored) != 0),
            (Scalar::Uuid | Scalar::Text, stored) => Value::String(text(stored)),
            (Scalar::Timestamptz, stored) => {
                let t = text(stored);
                Value::String(match t.strip_suffix('Z') {
                    Some(utc) => format!("{utc}+00:00"),
                    None => t,
                })
            }
            (Scalar::Jsonb, stored) => serde_json::from_str(&text(stored))?,
        };
        out.insert((*column).to_owned(), value);
    }
    Ok(out)
}

/// A stored number as an integer, as SQLite converts it.
fn integer(stored: &Stored) -> i64 {
    match stored {
        Stored::Integer(i) => *i,
        Stored::Real(f) => *f as i64,
        Stored::Text(t) => t.trim().parse().unwrap_or(0),
        Stored::Null | Stored::Blob(_) => 0,
    }
}

/// A stored value as text, as SQLite converts it.
fn text(stored: Stored) -> String {
    match stored {
        Stored::Text(t) => t,
        Stored::Integer(i) => i.to_string(),
        Stored::Real(f) => f.to_string(),
        Stored::Blob(b) => String::from_utf8_lossy(&b).into_owned(),
        Stored::Null => String::new(),
    }
}

#[cfg(test)]
mod tests {
    //! The statements on a request's path read what the request returns: no full scan of a
    //! table that grows with the session (`EXPLAIN QUERY PLAN`).

    use super::*;
    use crate::hasura::engine::filter::{BoolExp, OrderKey};
    use crate::session::Session;

    /// The plan's lines, and those that scan a whole table or index.
    async fn plan(session: &Session, fetch: &Fetch<'_>, count: bool) -> (Vec<String>, Vec<String>) {
        let mut sql = Sql::new(
            "00000000-0000-4000-8000-000000000001",
            "2026-01-01T00:00:00.000000Z",
        );
        sql.select(fetch, count).unwrap();
        sql.text = format!("EXPLAIN QUERY PLAN {}", sql.text);
        let rows = query(&sql).fetch_all(session.db()).await.unwrap();
        let lines: Vec<String> = rows
            .iter()
            .map(|r| r.try_get::<String, _>(3).unwrap())
            .collect();
        let scans = lines
            .iter()
            .filter(|l| {
                l.starts_with("SCAN ")
                    && !l.starts_with("SCAN (subquery")
                    && !l.starts_with("SCAN CONSTANT ROW")
                    && !l.contains("VIRTUAL TABLE")
            })
            .cloned()
            .collect();
        (lines, scans)
    }

    fn ty(name: &str) -> &'static TypeDef {
        schema::type_def(name).unwrap()
    }

    fn eq(column: &'static str, scalar: Scalar, value: &str) -> BoolExp {
        BoolExp::Column {
            column,
            scalar,
            test: Test::Eq(Value::String(value.to_owned())),
        }
    }

    #[tokio::test]
    async fn request_statements_read_only_what_they_return() {
        let session = Session::scratch().await.unwrap();
        let id = "00000000-0000-4000-8000-000000000002";
        let keys = vec![Value::String(id.to_owned())];
        let first_page = Page {
            limit: Some(10),
            ..Page::default()
        };
        let all = Page::default();
        let by_name = Page {
            filter: Some(eq("name", Scalar::Text, "bench")),
            ..Page::default()
        };
        let by_id = Page {
            filter: Some(eq("id", Scalar::Uuid, id)),
            limit: Some(1),
            ..Page::default()
        };
        let tenant_by_project_name = Page {
            filter: Some(BoolExp::Related {
                relation: ty("tenant").relation("project").unwrap(),
                target: ty("projects"),
                exp: Box::new(eq("name", Scalar::Text, "bench")),
            }),
            limit: Some(1),
            ..Page::default()
        };
        let newest_event = Page {
            order: vec![OrderKey {
                through: Vec::new(),
                column: "updated_at",
                scalar: Scalar::Timestamptz,
                desc: true,
                nulls_first: true,
            }],
            limit: Some(1),
            ..Page::default()
        };
        let cases: Vec<(&str, Fetch, bool)> = vec![
            (
                "projects(limit: 10)",
                Fetch {
                    ty: ty("projects"),
                    columns: &["id", "name"],
                    page: &first_page,
                    within: Within::Visible,
                },
                false,
            ),
            (
                "projects",
                Fetch {
                    ty: ty("projects"),
                    columns: &["id", "name"],
                    page: &all,
                    within: Within::Visible,
                },
                false,
            ),
            (
                "projects(where: name)",
                Fetch {
                    ty: ty("projects"),
                    columns: &["id"],
                    page: &by_name,
                    within: Within::Visible,
                },
                false,
            ),
            (
                "projects_aggregate",
                Fetch {
                    ty: ty("projects"),
                    columns: &[],
                    page: &all,
                    within: Within::Visible,
                },
                true,
            ),
            (
                "projects_by_pk",
                Fetch {
                    ty: ty("projects"),
                    columns: &["id", "name", "owner_id"],
                    page: &by_id,
                    within: Within::Key,
                },
                false,
            ),
            (
                "projects { tenant }",
                Fetch {
                    ty: ty("tenant"),
                    columns: &["id", "project_id", "region"],
                    page: &all,
                    within: Within::Related {
                        column: "project_id",
                        keys: &keys,
                    },
                },
                false,
            ),
            (
                "tenant { project }",
                Fetch {
                    ty: ty("projects"),
                    columns: &["id", "name"],
                    page: &all,
                    within: Within::Related {
                        column: "id",
                        keys: &keys,
                    },
                },
                false,
            ),
            (
                "projects { owner }",
                Fetch {
                    ty: ty("users_public"),
                    columns: &["id", "email"],
                    page: &all,
                    within: Within::Related {
                        column: "id",
                        keys: &keys,
                    },
                },
                false,
            ),
            (
                "projects { collaborators }",
                Fetch {
                    ty: ty("project_collaborators"),
                    columns: &["id", "project_id"],
                    page: &all,
                    within: Within::Related {
                        column: "project_id",
                        keys: &keys,
                    },
                },
                false,
            ),
            (
                "collaborators { privileges }",
                Fetch {
                    ty: ty("project_collaborator_privileges"),
                    columns: &["privilege_slug", "project_collaborator_id"],
                    page: &all,
                    within: Within::Related {
                        column: "project_collaborator_id",
                        keys: &keys,
                    },
                },
                false,
            ),
            (
                "tenant { config }",
                Fetch {
                    ty: ty("config"),
                    columns: &["hash", "tenant_id"],
                    page: &all,
                    within: Within::Related {
                        column: "tenant_id",
                        keys: &keys,
                    },
                },
                false,
            ),
            (
                "tenant { custom_domains }",
                Fetch {
                    ty: ty("custom_domain"),
                    columns: &["id", "fqdn", "tenant_id"],
                    page: &all,
                    within: Within::Related {
                        column: "tenant_id",
                        keys: &keys,
                    },
                },
                false,
            ),
            (
                "tenant_by_pk",
                Fetch {
                    ty: ty("tenant"),
                    columns: &["id", "slug"],
                    page: &by_id,
                    within: Within::Key,
                },
                false,
            ),
            (
                "tenant(where: {project: {name}}, limit: 1)",
                Fetch {
                    ty: ty("tenant"),
                    columns: &["id", "slug"],
                    page: &tenant_by_project_name,
                    within: Within::Visible,
                },
                false,
            ),
            (
                "jobs_by_pk",
                Fetch {
                    ty: ty("jobs"),
                    columns: &["id", "status", "updated_at"],
                    page: &by_id,
                    within: Within::Key,
                },
                false,
            ),
            (
                "jobs { tasks }",
                Fetch {
                    ty: ty("tasks"),
                    columns: &["id", "job_id", "updated_at"],
                    page: &all,
                    within: Within::Related {
                        column: "job_id",
                        keys: &keys,
                    },
                },
                false,
            ),
            (
                "tasks { task_events(order_by, limit: 1) }",
                Fetch {
                    ty: ty("task_event"),
                    columns: &["id", "task_id", "event_type"],
                    page: &newest_event,
                    within: Within::Related {
                        column: "task_id",
                        keys: &keys,
                    },
                },
                false,
            ),
            (
                "tenant",
                Fetch {
                    ty: ty("tenant"),
                    columns: &["id", "slug"],
                    page: &all,
                    within: Within::Visible,
                },
                false,
            ),
            (
                "jobs(limit: 10)",
                Fetch {
                    ty: ty("jobs"),
                    columns: &["id", "status"],
                    page: &first_page,
                    within: Within::Visible,
                },
                false,
            ),
            (
                "users",
                Fetch {
                    ty: ty("users"),
                    columns: &["id", "email"],
                    page: &all,
                    within: Within::Visible,
                },
                false,
            ),
            (
                "user_personal_access_tokens",
                Fetch {
                    ty: ty("user_personal_access_tokens"),
                    columns: &["id"],
                    page: &all,
                    within: Within::Visible,
                },
                false,
            ),
        ];
        let mut failures = Vec::new();
        for (name, fetch, count) in &cases {
            let (lines, scans) = plan(&session, fetch, *count).await;
            if !scans.is_empty() {
                failures.push(format!("{name}: {scans:?}\n  plan: {lines:#?}"));
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }
}
