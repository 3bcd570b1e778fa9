//! What a service's fixture section is made of. A service declares its section as a type that
//! deserializes with spans ([`S`]) and implements [`Section`]: validating it gives a [`Prepared`]
//! form (secrets already hashed) that applies to a session with plain inserts. Errors are
//! [`Problem`]s, at the line and field path they were written. The documents themselves (loading,
//! sources, applying to sessions, the control API) are `control::fixtures`.
//!
//! A document is read once per section it holds, each reading deserializing that section alone
//! (a service's section type is not known here): see [`Reader`] and [`outline`].

use std::any::Any;
use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;

use serde::de::{self, DeserializeOwned, DeserializeSeed, IgnoredAny, MapAccess, Visitor};
use serde_json::Value;
use serde_saphyr::{MessageFormatter, Spanned};

use crate::config::Config;
use crate::db;
use crate::error::{Internal, is_unique_violation};
use crate::service::BoxFuture;
use crate::session::Session;

/// A value with the place it was written (1-based line).
pub type S<T> = Spanned<T>;

/// An error inside one document, before it is known which source the document came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub line: u64,
    pub field: String,
    pub message: String,
}

impl Problem {
    pub fn at<T>(spanned: &S<T>, field: impl Into<String>, message: impl Into<String>) -> Problem {
        Problem {
            line: spanned.referenced.line().max(1),
            field: field.into(),
            message: message.into(),
        }
    }

    /// Whether the field is inside the top-level section `name`.
    fn is_in(&self, name: &str) -> bool {
        self.field
            .strip_prefix(name)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with(['.', '[']))
    }
}

/// Why a prepared section could not be applied to a session.
pub enum ApplyError {
    /// A pinned id, email or key that the session already has.
    Conflict(Problem),
    Internal(Internal),
}

impl From<db::Error> for ApplyError {
    fn from(e: db::Error) -> Self {
        ApplyError::Internal(e.into())
    }
}

impl From<Internal> for ApplyError {
    fn from(e: Internal) -> Self {
        ApplyError::Internal(e)
    }
}

/// Where a prepared row came from, so a conflict at apply time can still name its line and field.
#[derive(Debug, Clone)]
pub struct Origin {
    pub line: u64,
    pub field: String,
}

impl Origin {
    pub fn of<T>(spanned: &S<T>, field: impl Into<String>) -> Origin {
        Origin {
            line: spanned.referenced.line().max(1),
            field: field.into(),
        }
    }

    pub fn conflict_now(&self) -> ApplyError {
        ApplyError::Conflict(Problem {
            line: self.line,
            field: self.field.clone(),
            message: "already exists in this session".to_owned(),
        })
    }

    /// Like [`Origin::conflict`], but a clash on `id_column` (`table.column`, as SQLite names it)
    /// blames the pinned id when there is one.
    pub fn conflict_or_id(
        &self,
        e: db::Error,
        pinned: Option<&Origin>,
        id_column: &str,
    ) -> ApplyError {
        let on_id = e
            .database_message()
            .is_some_and(|message| message.ends_with(id_column));
        match pinned {
            Some(id) if on_id => id.conflict(e),
            _ => self.conflict(e),
        }
    }

    /// Maps a unique violation to a conflict naming this field; other errors stay internal.
    pub fn conflict(&self, e: db::Error) -> ApplyError {
        if is_unique_violation(&e) {
            self.conflict_now()
        } else {
            e.into()
        }
    }
}

// ---- what a service implements ------------------------------------------------------------------

/// A service's section of a fixture document, as written.
pub trait Section: DeserializeOwned + Send + 'static {
    type Prepared: Prepared;

    /// Validates the section by the service's own rules and hashes its secrets.
    fn prepare(
        self,
        config: &Config,
    ) -> impl Future<Output = Result<Self::Prepared, Problem>> + Send;
}

/// A validated section: applying it is inserts only.
pub trait Prepared: Send + Sync + 'static {
    /// How many things of each kind it creates (no secrets).
    fn counts(&self) -> Value;

    /// Inserts everything on an open transaction.
    fn apply(
        &self,
        conn: &mut db::Connection,
        session: &Session,
    ) -> impl Future<Output = Result<(), ApplyError>> + Send;
}

/// A service's section of a document as read, if the document has one.
pub type Read = Result<Option<Box<dyn ParsedSection>>, Problem>;

/// How the core reads a service's section: `Reader::of::<Section>()`.
#[derive(Clone, Copy)]
pub struct Reader {
    read: fn(&str, &'static str) -> Read,
}

impl Reader {
    pub fn of<T: Section>() -> Reader {
        Reader {
            read: read_section::<T>,
        }
    }

    /// The section `name` of the document, if it has one. Errors elsewhere in the document may
    /// show up too: [`outline`] is what reports those.
    pub fn read(&self, text: &str, name: &'static str) -> Read {
        (self.read)(text, name)
    }
}

/// A section read but not validated yet, whichever service's.
pub trait ParsedSection: Send {
    fn prepare<'a>(
        self: Box<Self>,
        config: &'a Config,
    ) -> BoxFuture<'a, Result<Box<dyn PreparedSection>, Problem>>;
}

impl<T: Section> ParsedSection for T {
    fn prepare<'a>(
        self: Box<Self>,
        config: &'a Config,
    ) -> BoxFuture<'a, Result<Box<dyn PreparedSection>, Problem>> {
        Box::pin(async move {
            let prepared = Section::prepare(*self, config).await?;
            Ok(Box::new(prepared) as Box<dyn PreparedSection>)
        })
    }
}

/// A validated section, whichever service's.
pub trait PreparedSection: Send + Sync {
    fn counts(&self) -> Value;
    fn apply<'a>(
        &'a self,
        conn: &'a mut db::Connection,
        session: &'a Session,
    ) -> BoxFuture<'a, Result<(), ApplyError>>;
    fn as_any(&self) -> &dyn Any;
}

impl<T: Prepared> PreparedSection for T {
    fn counts(&self) -> Value {
        Prepared::counts(self)
    }

    fn apply<'a>(
        &'a self,
        conn: &'a mut db::Connection,
        session: &'a Session,
    ) -> BoxFuture<'a, Result<(), ApplyError>> {
        Box::pin(Prepared::apply(self, conn, session))
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

// ---- reading a document ---------------------------------------------------------------------------

/// The name serde gives the document in its messages (`expected struct Document`).
const DOCUMENT: &str = "Document";

/// Walks the document's top-level keys, refusing any that is not in `known`, without reading
/// the sections; `seen` gets the known keys met, in order, even when the walk fails (their
/// sections come before the failure, and their own errors come first).
pub fn outline(
    text: &str,
    known: &'static [&'static str],
    seen: &mut Vec<&'static str>,
) -> Result<(), Problem> {
    read(text, Outline { known, seen })
}

/// Reads section `name` of a document as `T`, skipping the others.
fn read_section<T: Section>(text: &str, name: &'static str) -> Read {
    let section: Option<T> = read(
        text,
        SectionOf {
            name,
            section: PhantomData,
        },
    )?;
    Ok(section.map(|s| Box::new(s) as Box<dyn ParsedSection>))
}

/// Reads a section of a document that [`outline`] accepted, or, when it refused it, that comes
/// before the refusal: `Some` error only when it lies inside the section.
pub fn read_known(
    reader: &Reader,
    text: &str,
    name: &'static str,
    outline_failed: bool,
) -> Result<Option<Box<dyn ParsedSection>>, Option<Problem>> {
    match reader.read(text, name) {
        Ok(section) => Ok(section),
        Err(problem) if !outline_failed || problem.is_in(name) => Err(Some(problem)),
        Err(_) => Err(None),
    }
}

/// Runs `seed` over the whole document, with the line and field path of any syntax or type error.
fn read<T, D>(text: &str, seed: D) -> Result<T, Problem>
where
    D: for<'de> DeserializeSeed<'de, Value = T>,
{
    let mut path = String::new();
    let parsed = serde_saphyr::with_deserializer_from_str(text, |de| {
        let mut track = serde_path_to_error::Track::new();
        let tracked = serde_path_to_error::Deserializer::new(de, &mut track);
        seed.deserialize(tracked).inspect_err(|_| {
            path = track.path().to_string();
        })
    });
    parsed.map_err(|e| {
        let e = e.without_snippet();
        Problem {
            line: e.location().map_or(1, |l| l.line().max(1)),
            field: field_path(&path),
            message: serde_saphyr::DefaultMessageFormatter
                .format_message(e)
                .to_string(),
        }
    })
}

/// serde_path_to_error's path without what spans add: a last `.value` is the inside of a
/// `Spanned` (every field of ours named `value` is spanned, so it shows as `value.value`), and
/// `?` stands for a key that was never read.
fn field_path(raw: &str) -> String {
    let mut segments: Vec<&str> = raw.split('.').filter(|s| !s.is_empty()).collect();
    while segments.last() == Some(&"?") {
        segments.pop();
    }
    if segments.last() == Some(&"value") {
        segments.pop();
    }
    if segments.is_empty() {
        "(document)".to_owned()
    } else {
        segments.join(".")
    }
}

/// The top-level walk of [`outline`].
struct Outline<'s> {
    known: &'static [&'static str],
    seen: &'s mut Vec<&'static str>,
}

impl<'de> DeserializeSeed<'de> for Outline<'_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, de: D) -> Result<(), D::Error> {
        de.deserialize_struct(DOCUMENT, self.known, self)
    }
}

impl<'de> Visitor<'de> for Outline<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "struct {DOCUMENT}")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key_seed(Key { known: self.known })? {
            if self.seen.contains(&key) {
                return Err(de::Error::duplicate_field(key));
            }
            self.seen.push(key);
            map.next_value::<IgnoredAny>()?;
        }
        Ok(())
    }
}

/// A top-level key, refused as serde refuses an unknown field when it is not `known`.
struct Key {
    known: &'static [&'static str],
}

impl<'de> DeserializeSeed<'de> for Key {
    type Value = &'static str;

    fn deserialize<D: de::Deserializer<'de>>(self, de: D) -> Result<&'static str, D::Error> {
        de.deserialize_identifier(self)
    }
}

impl<'de> Visitor<'de> for Key {
    type Value = &'static str;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("field identifier")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<&'static str, E> {
        self.known
            .iter()
            .find(|known| **known == key)
            .copied()
            .ok_or_else(|| E::unknown_field(key, self.known))
    }
}

/// The top-level walk of [`read_section`]: section `name` as `T`, the rest skipped.
struct SectionOf<T> {
    name: &'static str,
    section: PhantomData<T>,
}

impl<'de, T: DeserializeOwned> DeserializeSeed<'de> for SectionOf<T> {
    type Value = Option<T>;

    fn deserialize<D: de::Deserializer<'de>>(self, de: D) -> Result<Option<T>, D::Error> {
        de.deserialize_struct(DOCUMENT, &[], self)
    }
}

impl<'de, T: DeserializeOwned> Visitor<'de> for SectionOf<T> {
    type Value = Option<T>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "struct {DOCUMENT}")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Option<T>, A::Error> {
        // `None` when absent, and when given as null (`memgraph: ~`), as an `Option` field is.
        let mut section = None;
        let mut seen = false;
        while let Some(key) = map.next_key::<String>()? {
            if key != self.name {
                map.next_value::<IgnoredAny>()?;
            } else if seen {
                return Err(de::Error::duplicate_field(self.name));
            } else {
                seen = true;
                section = map.next_value::<Option<T>>()?;
            }
        }
        Ok(section)
    }
}

// ---- small validation helpers shared by the sections ---------------------------------------------

/// A required text that must not be blank.
pub fn non_empty(value: &S<String>, field: &str) -> Result<(), Problem> {
    if value.value.trim().is_empty() {
        Err(Problem::at(value, field, "must not be empty"))
    } else {
        Ok(())
    }
}

/// A pinned UUID, or a new one.
pub fn uuid_or_new(id: &Option<S<String>>, field: &str) -> Result<String, Problem> {
    match id {
        None => Ok(uuid::Uuid::new_v4().to_string()),
        Some(id) => uuid::Uuid::parse_str(&id.value)
            .map(|u| u.to_string())
            .map_err(|_| Problem::at(id, field, "must be a UUID")),
    }
}

/// Whether a fixture's email looks like one a real sign-up would take: something before the
/// last `@`, a dotted domain after it, no whitespace, at most 254 characters (what
/// `email-validator`, behind pydantic's `EmailStr`, checks first).
pub fn is_email(email: &str) -> bool {
    let Some((local, domain)) = email.rsplit_once('@') else {
        return false;
    };
    !local.is_empty()
        && email.len() <= 254
        && !email.chars().any(char::is_whitespace)
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
}

/// Remembers keys already declared, to refuse the second.
pub struct Unique<'a> {
    what: &'a str,
    seen: HashMap<String, u64>,
}

impl<'a> Unique<'a> {
    pub fn new(what: &'a str) -> Unique<'a> {
        Unique {
            what,
            seen: HashMap::new(),
        }
    }

    pub fn check(&mut self, key: &str, at: &S<String>, field: &str) -> Result<(), Problem> {
        let line = at.referenced.line().max(1);
        if let Some(first) = self.seen.get(key) {
            return Err(Problem::at(
                at,
                field,
                format!(
                    "duplicate {} {:?} (first declared on line {first})",
                    self.what, at.value
                ),
            ));
        }
        self.seen.insert(key.to_owned(), line);
        Ok(())
    }

    pub fn contains(&self, key: &str) -> bool {
        self.seen.contains_key(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_paths_drop_what_spans_add() {
        assert_eq!(field_path("typedb.teams[0].id.value"), "typedb.teams[0].id");
        assert_eq!(
            field_path("memgraph.tenants[0].beliefs[1].value.value"),
            "memgraph.tenants[0].beliefs[1].value"
        );
        assert_eq!(field_path("typedb.clusters[1].?"), "typedb.clusters[1]");
        assert_eq!(field_path("."), "(document)");
    }

    #[test]
    fn emails_need_something_before_the_at_and_a_dotted_domain() {
        assert!(is_email("dev@acme.test"));
        assert!(!is_email("dev"));
        assert!(!is_email("@acme.test"));
        assert!(!is_email("dev@localhost"));
        assert!(!is_email("dev@acme."));
        assert!(!is_email("a b@acme.test"));
    }
}
