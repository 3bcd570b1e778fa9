//! Statements: built as with sqlx (`query(sql).bind(value).fetch_all(&db)`), run by SQLite on the
//! calling task's thread while it holds the session's connection.
//!
//! Why not sqlx's own executor: an sqlx SQLite connection runs every statement on a worker thread
//! of its own, so each statement costs two thread hand-offs (2.5-3 context switches, most of a
//! small request's CPU: bench/RESULTS.md), and every column of every row is copied on that thread
//! and freed on another, which defeats the allocator's per-thread caches (~9 µs a row of 18
//! columns). An in-memory statement takes microseconds: running it in place, under the lock the
//! session already takes, costs less than handing it over.

use std::cell::{Cell, RefCell};
use std::marker::PhantomData;
use std::sync::Arc;

pub use rusqlite::Connection;
use rusqlite::types::{FromSql, FromSqlError, ToSql, ToSqlOutput, Value, ValueRef};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{Db, Tx};

/// Why a statement failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
    #[error("no rows returned by a query that expected to return at least one row")]
    RowNotFound,
    #[error("the database is closed")]
    Closed,
    #[error("timed out waiting for the database")]
    TimedOut,
    /// Making the empty store or migrating a file (sqlx runs the migrations).
    #[error(transparent)]
    Migrate(#[from] sqlx::Error),
    #[error(transparent)]
    Migrator(#[from] sqlx::migrate::MigrateError),
}

impl Error {
    /// SQLite's message, when SQLite refused the statement (a constraint, a syntax error).
    pub fn database_message(&self) -> Option<&str> {
        match self {
            Error::Sqlite(rusqlite::Error::SqliteFailure(_, Some(message))) => Some(message),
            _ => None,
        }
    }

    /// True when a write failed on a UNIQUE constraint or a primary key.
    pub fn is_unique_violation(&self) -> bool {
        matches!(self, Error::Sqlite(rusqlite::Error::SqliteFailure(e, _))
            if e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                || e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY)
    }
}

/// What a statement changed.
#[derive(Debug, Clone, Copy)]
pub struct Done {
    rows_affected: u64,
    last_insert_rowid: i64,
}

impl Done {
    pub fn rows_affected(&self) -> u64 {
        self.rows_affected
    }

    pub fn last_insert_rowid(&self) -> i64 {
        self.last_insert_rowid
    }
}

/// Where a statement runs: the session's database (taking its connection for the one statement),
/// a transaction, or a connection already held.
pub trait Executor<'c> {
    fn target(self) -> Target<'c>;
}

/// What an [`Executor`] names.
pub enum Target<'c> {
    Db(&'c Db),
    Held(&'c mut Connection),
}

impl Target<'_> {
    /// Runs `statement` on the connection, once it is this statement's turn.
    async fn run<R>(
        self,
        statement: impl FnOnce(&Connection) -> Result<R, Error>,
    ) -> Result<R, Error> {
        match self {
            Target::Db(db) => statement(&*db.acquire().await?),
            Target::Held(conn) => statement(conn),
        }
    }
}

impl<'c> Executor<'c> for &'c Db {
    fn target(self) -> Target<'c> {
        Target::Db(self)
    }
}

impl<'c> Executor<'c> for &'c mut Connection {
    fn target(self) -> Target<'c> {
        Target::Held(self)
    }
}

impl<'c> Executor<'c> for &'c mut Tx {
    fn target(self) -> Target<'c> {
        Target::Held(&mut *self)
    }
}

/// A row read whole, by column name or position.
#[derive(Debug, Clone)]
pub struct Row {
    columns: Arc<[String]>,
    values: Vec<Value>,
    /// Where the next column read by name is looked for first (see [`Named`]).
    next: Cell<usize>,
}

/// A column of a [`Row`]: its position, or its name.
pub trait ColumnIndex {
    fn position(&self, row: &Row) -> rusqlite::Result<usize>;
}

impl ColumnIndex for usize {
    fn position(&self, row: &Row) -> rusqlite::Result<usize> {
        if *self < row.values.len() {
            Ok(*self)
        } else {
            Err(rusqlite::Error::InvalidColumnIndex(*self))
        }
    }
}

impl ColumnIndex for &str {
    fn position(&self, row: &Row) -> rusqlite::Result<usize> {
        position(
            row.columns.len(),
            |i| row.columns.get(i).map(String::as_str),
            self,
            &row.next,
        )
    }
}

impl Row {
    /// The value of a column, as `T`: an error if it is of another type (NULL only as `Option`).
    pub fn try_get<T: FromSql, I: ColumnIndex>(&self, index: I) -> Result<T, Error> {
        Ok(self.decode(index)?)
    }

    fn decode<T: FromSql, I: ColumnIndex>(&self, index: I) -> rusqlite::Result<T> {
        let i = index.position(self)?;
        let value = ValueRef::from(&self.values[i]);
        T::column_result(value).map_err(|e| decode_error(e, i, &self.columns[i], value))
    }

    /// The value of a column as SQLite stored it.
    pub fn value<I: ColumnIndex>(&self, index: I) -> Result<&Value, Error> {
        Ok(&self.values[index.position(self)?])
    }

    /// The values, in the columns' order.
    pub fn into_values(self) -> Vec<Value> {
        self.values
    }

    /// The number of columns.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
}

fn decode_error(e: FromSqlError, i: usize, name: &str, value: ValueRef<'_>) -> rusqlite::Error {
    match e {
        FromSqlError::InvalidType => {
            rusqlite::Error::InvalidColumnType(i, name.to_owned(), value.data_type())
        }
        FromSqlError::OutOfRange(n) => rusqlite::Error::IntegralValueOutOfRange(i, n),
        other => rusqlite::Error::FromSqlConversionFailure(i, value.data_type(), Box::new(other)),
    }
}

/// A row being read: SQLite's own, in place (`query_as`), or a [`Row`] read whole.
pub trait Columns {
    /// The value of the column named `name` (a name written in the code: see [`Named`]).
    fn column<T: FromSql>(&self, name: &'static str) -> rusqlite::Result<T>;
    /// The value of the column at `index`.
    fn column_at<T: FromSql>(&self, index: usize) -> rusqlite::Result<T>;
}

/// SQLite's row, read by column name: a type reads its columns by name, nearly always in the
/// order the statement selects them, so each name is first looked for where the one before was
/// found, plus one (rusqlite's own lookup compares the name with every column's in turn). The
/// rows after the first ask for the same names in the same order: where the n-th name asked is
/// the very string the first row's n-th was (the same `&'static str`), its place is known
/// without reading a column's name from SQLite (about 8% of a 10-row list's time otherwise).
struct Named<'r, 's> {
    row: &'r rusqlite::Row<'s>,
    next: Cell<usize>,
    /// How many columns this row was asked for by name so far.
    asked: Cell<usize>,
    /// The statement's rows so far: the n-th name asked, and where it was found.
    found: &'r RefCell<Vec<(&'static str, usize)>>,
}

impl Columns for Named<'_, '_> {
    fn column<T: FromSql>(&self, name: &'static str) -> rusqlite::Result<T> {
        let n = self.asked.get();
        self.asked.set(n + 1);
        let known = self
            .found
            .borrow()
            .get(n)
            .filter(|(asked, _)| std::ptr::eq(*asked, name))
            .map(|&(_, at)| at);
        let at = match known {
            Some(at) => {
                self.next.set(at + 1);
                at
            }
            None => {
                let statement = self.row.as_ref();
                let at = position(
                    statement.column_count(),
                    |i| statement.column_name(i).ok(),
                    name,
                    &self.next,
                )?;
                let mut found = self.found.borrow_mut();
                if let Some(slot) = found.get_mut(n) {
                    *slot = (name, at);
                } else if found.len() == n {
                    found.push((name, at));
                }
                at
            }
        };
        self.row.get(at)
    }

    fn column_at<T: FromSql>(&self, index: usize) -> rusqlite::Result<T> {
        self.row.get(index)
    }
}

/// Where the column `name` is among `count` named by `name_at`: at `next` when it is there, else
/// wherever it is.
fn position<'n>(
    count: usize,
    name_at: impl Fn(usize) -> Option<&'n str>,
    name: &str,
    next: &Cell<usize>,
) -> rusqlite::Result<usize> {
    let is_named = |i: usize| name_at(i).is_some_and(|there| there.eq_ignore_ascii_case(name));
    let guess = next.get();
    let at = if guess < count && is_named(guess) {
        guess
    } else {
        (0..count)
            .find(|&i| is_named(i))
            .ok_or_else(|| rusqlite::Error::InvalidColumnName(name.to_owned()))?
    };
    next.set(at + 1);
    Ok(at)
}

/// What the rows of one statement share while they are read.
#[derive(Default)]
pub struct Reading {
    /// The columns' names, read from SQLite by the first row read whole.
    names: Option<Arc<[String]>>,
    /// Where the columns asked for by name were found (see [`Named`]).
    found: RefCell<Vec<(&'static str, usize)>>,
}

/// The columns' names of the statement `row` comes from, read from SQLite once per statement.
fn names(row: &rusqlite::Row<'_>, cache: &mut Option<Arc<[String]>>) -> Arc<[String]> {
    cache
        .get_or_insert_with(|| {
            let statement = row.as_ref();
            (0..statement.column_count())
                .map(|i| statement.column_name(i).unwrap_or_default().to_owned())
                .collect()
        })
        .clone()
}

impl Columns for Row {
    fn column<T: FromSql>(&self, name: &'static str) -> rusqlite::Result<T> {
        self.decode(name)
    }

    fn column_at<T: FromSql>(&self, index: usize) -> rusqlite::Result<T> {
        self.decode(index)
    }
}

/// A type a row reads into, by column name or position.
pub trait FromRow: Sized {
    fn from_row(row: &impl Columns) -> rusqlite::Result<Self>;
}

macro_rules! tuple_from_row {
    ($($t:ident $i:tt),+) => {
        impl<$($t: FromSql),+> FromRow for ($($t,)+) {
            fn from_row(row: &impl Columns) -> rusqlite::Result<Self> {
                Ok(($(row.column_at($i)?,)+))
            }
        }
    };
}

tuple_from_row!(A 0);
tuple_from_row!(A 0, B 1);
tuple_from_row!(A 0, B 1, C 2);
tuple_from_row!(A 0, B 1, C 2, D 3);
tuple_from_row!(A 0, B 1, C 2, D 3, E 4);
tuple_from_row!(A 0, B 1, C 2, D 3, E 4, F 5);
tuple_from_row!(A 0, B 1, C 2, D 3, E 4, F 5, G 6);
tuple_from_row!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7);
tuple_from_row!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8);
tuple_from_row!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9);

/// How the rows of a statement are read: whole ([`Row`]), into a type ([`FromRow`]), or the
/// first column alone ([`Scalar`]).
pub trait Decode {
    type Out: Send;
    /// `reading` is what the statement's rows before this one left there.
    fn decode(row: &rusqlite::Row<'_>, reading: &mut Reading) -> Result<Self::Out, Error>;
}

/// Reads a row into a [`FromRow`] type.
pub struct As<T>(PhantomData<fn() -> T>);

impl<T: FromRow + Send> Decode for As<T> {
    type Out = T;
    fn decode(row: &rusqlite::Row<'_>, reading: &mut Reading) -> Result<T, Error> {
        let named = Named {
            row,
            next: Cell::new(0),
            asked: Cell::new(0),
            found: &reading.found,
        };
        Ok(T::from_row(&named)?)
    }
}

/// Reads the first column of a row.
pub struct Scalar<T>(PhantomData<fn() -> T>);

impl<T: FromSql + Send> Decode for Scalar<T> {
    type Out = T;
    fn decode(row: &rusqlite::Row<'_>, _: &mut Reading) -> Result<T, Error> {
        Ok(row.get(0)?)
    }
}

impl Decode for Row {
    type Out = Row;
    fn decode(row: &rusqlite::Row<'_>, reading: &mut Reading) -> Result<Row, Error> {
        let columns = names(row, &mut reading.names);
        let values = (0..columns.len())
            .map(|i| row.get_ref(i).map(Value::from))
            .collect::<rusqlite::Result<_>>()?;
        Ok(Row {
            columns,
            values,
            next: Cell::new(0),
        })
    }
}

/// A statement and its arguments.
pub struct Query<'q, D = Row> {
    sql: &'q str,
    arguments: Vec<Box<dyn ToSql + Send + 'q>>,
    decode: PhantomData<fn() -> D>,
}

/// A statement whose rows are read whole.
pub fn query(sql: &str) -> Query<'_, Row> {
    Query::new(sql)
}

/// A statement whose rows are read into `T`.
pub fn query_as<T: FromRow + Send>(sql: &str) -> Query<'_, As<T>> {
    Query::new(sql)
}

/// A statement whose rows are their first column, as `T`.
pub fn query_scalar<T: FromSql + Send>(sql: &str) -> Query<'_, Scalar<T>> {
    Query::new(sql)
}

impl<'q, D: Decode> Query<'q, D> {
    fn new(sql: &'q str) -> Self {
        Query {
            sql,
            arguments: Vec::new(),
            decode: PhantomData,
        }
    }

    /// Binds the next `?`.
    pub fn bind<T: ToSql + Send + 'q>(mut self, value: T) -> Self {
        self.arguments.push(Box::new(value));
        self
    }

    /// Runs the statement to its end.
    pub async fn execute<'c>(self, executor: impl Executor<'c>) -> Result<Done, Error> {
        executor
            .target()
            .run(move |conn| {
                let rows_affected = self.each(conn, |_| true)?;
                Ok(Done {
                    rows_affected,
                    last_insert_rowid: conn.last_insert_rowid(),
                })
            })
            .await
    }

    pub async fn fetch_all<'c>(self, executor: impl Executor<'c>) -> Result<Vec<D::Out>, Error> {
        executor
            .target()
            .run(move |conn| {
                let mut rows = Vec::new();
                self.each(conn, |row| {
                    rows.push(row);
                    true
                })?;
                Ok(rows)
            })
            .await
    }

    pub async fn fetch_optional<'c>(
        self,
        executor: impl Executor<'c>,
    ) -> Result<Option<D::Out>, Error> {
        executor
            .target()
            .run(move |conn| {
                let mut first = None;
                self.each(conn, |row| {
                    first = Some(row);
                    false
                })?;
                Ok(first)
            })
            .await
    }

    pub async fn fetch_one<'c>(self, executor: impl Executor<'c>) -> Result<D::Out, Error> {
        self.fetch_optional(executor)
            .await?
            .ok_or(Error::RowNotFound)
    }

    /// Runs the statement, handing each row to `row` until it answers false; answers how many
    /// rows it changed.
    fn each(self, conn: &Connection, mut row: impl FnMut(D::Out) -> bool) -> Result<u64, Error> {
        // Several statements in one text (a batch's inserts): each runs in turn, taking the next
        // arguments, as sqlx ran them. A `;` inside a literal only costs the statement cache.
        if self.sql.trim_end().trim_end_matches(';').contains(';') {
            return self.each_of_many(conn, row);
        }
        let mut statement = conn.prepare_cached(self.sql)?;
        // As sqlx did: parameters left without an argument are NULL (as in SQLite), arguments
        // beyond the parameters are not used (a statement built for either case takes both).
        let parameters = statement.parameter_count();
        for (i, argument) in self.arguments.iter().take(parameters).enumerate() {
            statement.raw_bind_parameter(i + 1, &**argument)?;
        }
        let mut rows = statement.raw_query();
        let mut reading = Reading::default();
        while let Some(next) = rows.next()? {
            if !row(D::decode(next, &mut reading)?) {
                break;
            }
        }
        Ok(conn.changes())
    }

    fn each_of_many(
        self,
        conn: &Connection,
        mut row: impl FnMut(D::Out) -> bool,
    ) -> Result<u64, Error> {
        let mut batch = rusqlite::Batch::new(conn, self.sql);
        let mut taken = 0;
        let mut changed = 0;
        let mut more = true;
        while more && let Some(mut statement) = batch.next()? {
            for parameter in 1..=statement.parameter_count() {
                // `?NNN` names its argument; a plain `?` takes the next one.
                let numbered = statement
                    .parameter_name(parameter)
                    .and_then(|name| name.strip_prefix('?')?.parse::<usize>().ok());
                let index = numbered.unwrap_or_else(|| {
                    taken += 1;
                    taken
                });
                if let Some(argument) = index.checked_sub(1).and_then(|i| self.arguments.get(i)) {
                    statement.raw_bind_parameter(parameter, &**argument)?;
                }
            }
            let mut rows = statement.raw_query();
            let mut reading = Reading::default();
            while let Some(next) = rows.next()? {
                if !row(D::decode(next, &mut reading)?) {
                    more = false;
                    break;
                }
            }
            drop(rows);
            changed += conn.changes();
        }
        Ok(changed)
    }
}

/// A value kept as JSON text: bound serialised, read back through serde.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Json<T>(pub T);

impl<T: Serialize> ToSql for Json<T> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        serde_json::to_string(&self.0)
            .map(ToSqlOutput::from)
            .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))
    }
}

impl<T: DeserializeOwned> FromSql for Json<T> {
    fn column_result(value: ValueRef<'_>) -> Result<Self, FromSqlError> {
        match value {
            ValueRef::Text(text) | ValueRef::Blob(text) => serde_json::from_slice(text)
                .map(Json)
                .map_err(|e| FromSqlError::Other(Box::new(e))),
            _ => Err(FromSqlError::InvalidType),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::blank;

    struct Pair {
        a: String,
        b: i64,
    }

    impl FromRow for Pair {
        fn from_row(row: &impl Columns) -> rusqlite::Result<Self> {
            // Out of the statement's order, and in another case.
            Ok(Pair {
                b: row.column("B")?,
                a: row.column("a")?,
            })
        }
    }

    struct Missing;

    impl FromRow for Missing {
        fn from_row(row: &impl Columns) -> rusqlite::Result<Self> {
            row.column::<i64>("c").map(|_| Missing)
        }
    }

    #[tokio::test]
    async fn rows_are_read_by_name_in_any_order_and_an_unknown_name_is_an_error() {
        let db = blank().unwrap();
        let sql = "SELECT 'x' AS a, 2 AS b";
        let pair: Pair = query_as(sql).fetch_one(&db).await.unwrap();
        assert_eq!((pair.a.as_str(), pair.b), ("x", 2));
        let row = query(sql).fetch_one(&db).await.unwrap();
        let pair = Pair::from_row(&row).unwrap();
        assert_eq!((pair.a.as_str(), pair.b), ("x", 2));
        assert_eq!(row.try_get::<String, _>(0).unwrap(), "x");
        assert!(row.try_get::<i64, _>("c").is_err());
        assert!(
            row.try_get::<i64, _>("a").is_err(),
            "text is not read as a number"
        );
        assert!(query_as::<Missing>(sql).fetch_one(&db).await.is_err());
        assert!(matches!(
            query("SELECT 1 WHERE 0").fetch_one(&db).await,
            Err(Error::RowNotFound)
        ));
    }

    /// Reads `b` after an `x`, else `c`: its rows ask for different second columns.
    struct Either(i64);

    impl FromRow for Either {
        fn from_row(row: &impl Columns) -> rusqlite::Result<Self> {
            let first: String = row.column("a")?;
            Ok(Either(if first == "x" {
                row.column("b")?
            } else {
                row.column("c")?
            }))
        }
    }

    #[tokio::test]
    async fn each_row_reads_the_columns_it_names_even_when_rows_name_different_ones() {
        let db = blank().unwrap();
        let sql = "SELECT 'x' AS a, 1 AS b, 2 AS c UNION ALL SELECT 'y', 3, 4
                   UNION ALL SELECT 'x', 5, 6 UNION ALL SELECT 'y', 7, 8";
        let read: Vec<i64> = query_as::<Either>(sql)
            .fetch_all(&db)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.0)
            .collect();
        assert_eq!(read, [1, 4, 5, 8]);
        let pairs: Vec<Pair> = query_as("SELECT 'p' AS a, 1 AS b UNION ALL SELECT 'q', 2")
            .fetch_all(&db)
            .await
            .unwrap();
        let pairs: Vec<(&str, i64)> = pairs.iter().map(|p| (p.a.as_str(), p.b)).collect();
        assert_eq!(pairs, [("p", 1), ("q", 2)]);
    }

    #[tokio::test]
    async fn several_statements_in_one_text_take_the_arguments_in_turn() {
        let db = blank().unwrap();
        db.execute_batch("CREATE TABLE t (x, y)").await.unwrap();
        let done = query("INSERT INTO t VALUES (?, 0); INSERT INTO t VALUES (?, 1), (?, 1);")
            .bind(1)
            .bind(2)
            .bind(3)
            .execute(&db)
            .await
            .unwrap();
        assert_eq!(done.rows_affected(), 3);
        let rows: Vec<(i64, i64)> = query_as("SELECT x, y FROM t ORDER BY x")
            .fetch_all(&db)
            .await
            .unwrap();
        assert_eq!(rows, [(1, 0), (2, 1), (3, 1)]);
    }

    #[tokio::test]
    async fn missing_arguments_are_null_and_json_comes_back_as_it_went() {
        let db = blank().unwrap();
        let (left, given): (Option<i64>, Json<Vec<String>>) = query_as("SELECT ?2, ?1")
            .bind(Json(vec!["a".to_owned()]))
            .fetch_one(&db)
            .await
            .unwrap();
        assert_eq!(left, None);
        assert_eq!(given, Json(vec!["a".to_owned()]));
    }
}
