//! One [`Fetch`] as one SQL statement. Parameters are numbered (`?N`) and the caller's id and
//! the clock's now are bound once however often they appear, so the same query shape is the
//! same text and SQLite reuses its prepared statement. Expressions are built recursively over
//! a filter whose depth `--graphql-max-depth` bounds; long `_and`/`_or` lists are split in
//! halves so that SQLite's expression tree stays shallow.

use serde_json::Value;

use super::sources::{Source, source};
use super::{Fetch, Within};
use crate::error::Internal;
use crate::hasura::engine::filter::{BoolExp, OrderKey, Test};
use crate::hasura::schema::{Relation, Scalar, TypeDef};

pub(super) enum Bind {
    Text(String),
    Int(i64),
    Real(f64),
}

pub(super) struct Sql<'a> {
    pub text: String,
    pub binds: Vec<Bind>,
    user_id: &'a str,
    now: &'a str,
    user_param: Option<String>,
    now_param: Option<String>,
    aliases: usize,
}

fn no_source(table: &str) -> Internal {
    Internal::msg(format!("no rows for type {table}"))
}

fn no_column(table: &str, column: &str) -> Internal {
    Internal::msg(format!("no column {table}.{column}"))
}

/// SQL for `exprs` joined by `op`, in halves: `((a AND b) AND (c AND d))`.
fn balanced(exprs: &[String], op: &str, empty: &str) -> String {
    match exprs {
        [] => empty.to_owned(),
        [one] => one.clone(),
        _ => {
            let (left, right) = exprs.split_at(exprs.len() / 2);
            format!(
                "({} {op} {})",
                balanced(left, op, empty),
                balanced(right, op, empty)
            )
        }
    }
}

/// `_like`'s pattern as a GLOB pattern, which is case-sensitive: `%` and `_` become `*` and `?`,
/// and GLOB's own wildcards stand for themselves.
fn glob(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len());
    for c in pattern.chars() {
        match c {
            '%' => out.push('*'),
            '_' => out.push('?'),
            '*' => out.push_str("[*]"),
            '?' => out.push_str("[?]"),
            '[' => out.push_str("[[]"),
            other => out.push(other),
        }
    }
    out
}

/// The items of the JSON element `j` (a `json_each` row) if it is an object or a list, else
/// none: a scalar's value is not JSON text, and `json_each` would refuse it.
fn children(j: &str) -> String {
    format!("json_each(iif({j}.type IN ('object', 'array'), {j}.value, NULL))")
}

/// How a column's values compare: as text, as numbers, as booleans, or as JSON.
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Text,
    Number,
    Boolean,
    Json,
}

fn kind(scalar: Scalar) -> Kind {
    match scalar {
        Scalar::Uuid | Scalar::Text | Scalar::Timestamptz => Kind::Text,
        Scalar::Int | Scalar::Bigint => Kind::Number,
        Scalar::Bool => Kind::Boolean,
        Scalar::Jsonb => Kind::Json,
    }
}

impl<'a> Sql<'a> {
    pub fn new(user_id: &'a str, now: &'a str) -> Sql<'a> {
        Sql {
            text: String::new(),
            binds: Vec::new(),
            user_id,
            now,
            user_param: None,
            now_param: None,
            aliases: 0,
        }
    }

    fn param(&mut self, bind: Bind) -> String {
        self.binds.push(bind);
        format!("?{}", self.binds.len())
    }

    fn alias(&mut self) -> String {
        self.aliases += 1;
        format!("t{}", self.aliases - 1)
    }

    fn json_alias(&mut self) -> String {
        self.aliases += 1;
        format!("j{}", self.aliases - 1)
    }

    /// A source template with its alias, the caller and the clock filled in.
    fn fill(&mut self, template: &str, alias: &str) -> String {
        let mut out = template.replace('@', alias);
        if out.contains("{u}") {
            let param = match &self.user_param {
                Some(p) => p.clone(),
                None => {
                    let p = self.param(Bind::Text(self.user_id.to_owned()));
                    self.user_param = Some(p.clone());
                    p
                }
            };
            out = out.replace("{u}", &param);
        }
        if out.contains("{now}") {
            let param = match &self.now_param {
                Some(p) => p.clone(),
                None => {
                    let p = self.param(Bind::Text(self.now.to_owned()));
                    self.now_param = Some(p.clone());
                    p
                }
            };
            out = out.replace("{now}", &param);
        }
        out
    }

    fn column(
        &mut self,
        ty: &TypeDef,
        src: &Source,
        alias: &str,
        column: &str,
    ) -> Result<String, Internal> {
        let template = src
            .column(column)
            .ok_or_else(|| no_column(ty.name, column))?
            .to_owned();
        Ok(self.fill(&template, alias))
    }

    /// The statement of a fetch: its columns in order, or a count of its rows.
    pub fn select(&mut self, fetch: &Fetch, count: bool) -> Result<(), Internal> {
        let ty = fetch.ty;
        let src = source(ty.name).ok_or_else(|| no_source(ty.name))?;
        let a = self.alias();
        let mut columns = Vec::with_capacity(fetch.columns.len());
        for column in fetch.columns {
            columns.push(self.column(ty, src, &a, column)?);
        }
        if columns.is_empty() {
            columns.push("1".to_owned());
        }
        let page = fetch.page;
        let filter = match &page.filter {
            Some(exp) => self.exp(ty, src, &a, exp)?,
            None => "1".to_owned(),
        };
        let mut order = Vec::new();
        for key in &page.order {
            order.push(self.order_key(ty, src, &a, key)?);
        }
        for template in &src.order {
            order.push((self.fill(template, &a), "ASC", ""));
        }
        let order_by = |exprs: &[(String, &str, &str)]| {
            exprs
                .iter()
                .map(|(e, dir, nulls)| format!("{e} {dir}{nulls}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let from = self.fill(&src.from, &a);
        let distinct = !page.distinct_on.is_empty();
        let (related_key, scope) = match fetch.within {
            Within::Visible => (None, None),
            Within::Key => (None, Some(self.fill(&src.visible, &a))),
            Within::Related { column, keys } => {
                let key = self.column(ty, src, &a, column)?;
                let keys = self.param(Bind::Text(
                    serde_json::to_string(keys).map_err(Internal::from)?,
                ));
                let visible = self.fill(&src.visible, &a);
                (
                    Some(key.clone()),
                    Some(format!(
                        "{key} IN (SELECT value FROM json_each({keys})) AND {visible}"
                    )),
                )
            }
        };
        // Where the rows come from: by key, or for a root list the caller's branches of rows.
        let condition = match scope {
            Some(scope) => format!("{scope} AND {filter}"),
            None => match src.branches.as_slice() {
                [] => {
                    let visible = self.fill(&src.visible, &a);
                    format!("{visible} AND {filter}")
                }
                [branch] => {
                    let branch = self.fill(branch, &a);
                    format!("{branch} AND {filter}")
                }
                branches => match (page.limit, distinct) {
                    // A first page: each branch's first rows in order (from its index when the
                    // order is the rows' own), then the page of their union.
                    (Some(limit), false) => {
                        let k = limit.saturating_add(page.offset.unwrap_or(0));
                        let k = self.param(Bind::Int(i64::try_from(k).unwrap_or(i64::MAX)));
                        let mut arms = Vec::new();
                        for branch in branches {
                            let branch = self.fill(branch, &a);
                            arms.push(format!(
                                "SELECT rowid FROM (SELECT {a}.rowid AS rowid FROM {from} WHERE {branch} AND {filter} ORDER BY {} LIMIT {k})",
                                order_by(&order)
                            ));
                        }
                        format!("{a}.rowid IN ({})", arms.join(" UNION ALL "))
                    }
                    // Every visible row: SQLite reads each branch from its index and merges.
                    _ => {
                        let mut any = Vec::new();
                        for branch in branches {
                            any.push(self.fill(branch, &a));
                        }
                        format!("({}) AND {filter}", any.join(" OR "))
                    }
                },
            },
        };
        let paged_by_key = related_key.is_some() && (page.limit.is_some() || page.offset.is_some());
        let statement = if !distinct && !paged_by_key {
            // A count of every matching row needs no order.
            let ordered = !count || page.limit.is_some() || page.offset.is_some();
            let mut text = format!(
                "SELECT {} FROM {from} WHERE {condition}",
                columns.join(", ")
            );
            if ordered {
                text.push_str(&format!(" ORDER BY {}", order_by(&order)));
            }
            if related_key.is_none() {
                text.push_str(&self.limit_offset(page.limit, page.offset));
            }
            text
        } else {
            self.layered(
                &a,
                &columns,
                &order,
                &from,
                &condition,
                related_key.as_deref(),
                fetch,
            )?
        };
        self.text = if count {
            format!("SELECT COUNT(*) FROM ({statement})")
        } else {
            statement
        };
        Ok(())
    }

    fn limit_offset(&mut self, limit: Option<u64>, offset: Option<u64>) -> String {
        let int = |n: u64| Bind::Int(i64::try_from(n).unwrap_or(i64::MAX));
        match (limit, offset) {
            (None, None) => String::new(),
            (Some(limit), None) => format!(" LIMIT {}", self.param(int(limit))),
            (limit, Some(offset)) => {
                let limit = self.param(limit.map_or(Bind::Int(-1), int));
                format!(" LIMIT {limit} OFFSET {}", self.param(int(offset)))
            }
        }
    }

    /// `distinct_on`, and pages per parent row of a relationship, need the rows numbered: the
    /// selected values, order keys, the parent's key and the distinct columns are computed
    /// once, then filtered by their row numbers.
    #[allow(clippy::too_many_arguments)]
    fn layered(
        &mut self,
        a: &str,
        columns: &[String],
        order: &[(String, &str, &str)],
        from: &str,
        condition: &str,
        related_key: Option<&str>,
        fetch: &Fetch,
    ) -> Result<String, Internal> {
        let page = fetch.page;
        let mut inner: Vec<String> = Vec::new();
        for (i, c) in columns.iter().enumerate() {
            inner.push(format!("{c} AS c{i}"));
        }
        for (i, (o, _, _)) in order.iter().enumerate() {
            inner.push(format!("{o} AS o{i}"));
        }
        if let Some(key) = related_key {
            inner.push(format!("{key} AS k"));
        }
        for (i, column) in page.distinct_on.iter().enumerate() {
            let src = source(fetch.ty.name).ok_or_else(|| no_source(fetch.ty.name))?;
            let expr = self.column(fetch.ty, src, a, column)?;
            inner.push(format!("{expr} AS d{i}"));
        }
        let numbered_order = order
            .iter()
            .enumerate()
            .map(|(i, (_, dir, nulls))| format!("o{i} {dir}{nulls}"))
            .collect::<Vec<_>>()
            .join(", ");
        let mut stage = format!("SELECT {} FROM {from} WHERE {condition}", inner.join(", "));
        if !page.distinct_on.is_empty() {
            let mut partition: Vec<String> = related_key.iter().map(|_| "k".to_owned()).collect();
            partition.extend((0..page.distinct_on.len()).map(|i| format!("d{i}")));
            stage = format!(
                "SELECT * FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY {} ORDER BY {numbered_order}) AS n_d FROM ({stage})) WHERE n_d = 1",
                partition.join(", ")
            );
        }
        let mut tail = String::new();
        if related_key.is_some() {
            if page.limit.is_some() || page.offset.is_some() {
                let offset = page.offset.unwrap_or(0);
                let from_n = self.param(Bind::Int(i64::try_from(offset).unwrap_or(i64::MAX)));
                let mut window = format!("n_p > {from_n}");
                if let Some(limit) = page.limit {
                    let to_n = self.param(Bind::Int(
                        i64::try_from(offset.saturating_add(limit)).unwrap_or(i64::MAX),
                    ));
                    window.push_str(&format!(" AND n_p <= {to_n}"));
                }
                stage = format!(
                    "SELECT * FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY k ORDER BY {numbered_order}) AS n_p FROM ({stage})) WHERE {window}"
                );
            }
        } else {
            tail = self.limit_offset(page.limit, page.offset);
        }
        let outer: Vec<String> = (0..columns.len()).map(|i| format!("c{i}")).collect();
        Ok(format!(
            "SELECT {} FROM ({stage}) ORDER BY {numbered_order}{tail}",
            outer.join(", ")
        ))
    }

    /// A sort key: its expression, direction and null placement. Object relationships on the
    /// way are subqueries; a jsonb value sorts by whether it is null only.
    fn order_key(
        &mut self,
        ty: &TypeDef,
        src: &Source,
        alias: &str,
        key: &OrderKey,
    ) -> Result<(String, &'static str, &'static str), Internal> {
        let value = self.through(ty, src, alias, &key.through, key.column)?;
        if key.scalar == Scalar::Jsonb {
            let null = format!("({value} IS NULL OR json_type({value}) = 'null')");
            return Ok((null, if key.nulls_first { "DESC" } else { "ASC" }, ""));
        }
        Ok((
            value,
            if key.desc { "DESC" } else { "ASC" },
            if key.nulls_first {
                " NULLS FIRST"
            } else {
                " NULLS LAST"
            },
        ))
    }

    /// A column reached through object relationships: `(SELECT … LIMIT 1)` for each.
    fn through(
        &mut self,
        ty: &TypeDef,
        src: &Source,
        alias: &str,
        path: &[(&'static Relation, &'static TypeDef)],
        column: &str,
    ) -> Result<String, Internal> {
        let Some(((relation, target), rest)) = path.split_first() else {
            return self.column(ty, src, alias, column);
        };
        let target_src = source(target.name).ok_or_else(|| no_source(target.name))?;
        let b = self.alias();
        let local = self.column(ty, src, alias, relation.local)?;
        let remote = self.column(target, target_src, &b, relation.remote)?;
        let from = self.fill(&target_src.from, &b);
        let visible = self.fill(&target_src.visible, &b);
        let value = self.through(target, target_src, &b, rest, column)?;
        let order: Vec<String> = target_src
            .order
            .iter()
            .map(|o| o.replace('@', &b))
            .collect();
        Ok(format!(
            "(SELECT {value} FROM {from} WHERE {remote} = {local} AND {visible} ORDER BY {} LIMIT 1)",
            order.join(", ")
        ))
    }

    /// A boolean expression over the row `alias` of `ty`: true or false, never null (SQL's
    /// unknown only ever reaches `NOT` through `IFNULL(…, 0)`).
    fn exp(
        &mut self,
        ty: &TypeDef,
        src: &Source,
        alias: &str,
        exp: &BoolExp,
    ) -> Result<String, Internal> {
        Ok(match exp {
            BoolExp::All(items) => {
                let parts = items
                    .iter()
                    .map(|e| self.exp(ty, src, alias, e))
                    .collect::<Result<Vec<_>, _>>()?;
                balanced(&parts, "AND", "1")
            }
            BoolExp::Any(items) => {
                let parts = items
                    .iter()
                    .map(|e| self.exp(ty, src, alias, e))
                    .collect::<Result<Vec<_>, _>>()?;
                balanced(&parts, "OR", "0")
            }
            BoolExp::Not(inner) => format!("NOT IFNULL({}, 0)", self.exp(ty, src, alias, inner)?),
            BoolExp::Column {
                column,
                scalar,
                test,
            } => {
                let value = self.column(ty, src, alias, column)?;
                self.test(&value, *scalar, test)
            }
            BoolExp::Related {
                relation,
                target,
                exp,
            } => {
                let target_src = source(target.name).ok_or_else(|| no_source(target.name))?;
                let b = self.alias();
                let local = self.column(ty, src, alias, relation.local)?;
                let remote = self.column(target, target_src, &b, relation.remote)?;
                let from = self.fill(&target_src.from, &b);
                let visible = self.fill(&target_src.visible, &b);
                let inner = self.exp(target, target_src, &b, exp)?;
                format!(
                    "EXISTS (SELECT 1 FROM {from} WHERE {remote} = {local} AND {visible} AND {inner})"
                )
            }
        })
    }

    /// A value as a parameter of the column's kind, if it is of that kind.
    fn operand(&mut self, kind: Kind, value: &Value) -> Option<String> {
        let bind = match (kind, value) {
            (Kind::Text, Value::String(s)) => Bind::Text(s.clone()),
            (Kind::Number, Value::Number(n)) => match n.as_i64() {
                Some(i) => Bind::Int(i),
                None => Bind::Real(n.as_f64()?),
            },
            (Kind::Boolean, Value::Bool(b)) => Bind::Int(i64::from(*b)),
            _ => return None,
        };
        Some(self.param(bind))
    }

    /// The values of a list operand that can equal a column of this kind, as one JSON-array
    /// parameter for `IN (SELECT value FROM json_each(?))`; `None` when there are none.
    fn list_operand(&mut self, kind: Kind, values: &[Value]) -> Option<String> {
        let fitting: Vec<Value> = values
            .iter()
            .filter_map(|v| match (kind, v) {
                (Kind::Text, Value::String(_)) | (Kind::Number, Value::Number(_)) => {
                    Some(v.clone())
                }
                (Kind::Boolean, Value::Bool(b)) => Some(Value::from(i64::from(*b))),
                _ => None,
            })
            .collect();
        if fitting.is_empty() {
            return None;
        }
        Some(self.param(Bind::Text(Value::Array(fitting).to_string())))
    }

    /// One comparison of a column's value `v`.
    fn test(&mut self, v: &str, scalar: Scalar, test: &Test) -> String {
        let kind = kind(scalar);
        if kind == Kind::Json {
            return self.json_test(v, test);
        }
        // Stored times end in `Z`; Hasura shows and compares them as `+00:00`.
        let compared = if scalar == Scalar::Timestamptz {
            format!("(substr({v}, 1, length({v}) - 1) || '+00:00')")
        } else {
            v.to_owned()
        };
        let compare = |sql: &mut Sql, op: &str, operand: &Value, otherwise: &str| match sql
            .operand(kind, operand)
        {
            Some(p) => format!("{compared} {op} {p}"),
            None => otherwise.to_owned(),
        };
        match test {
            Test::IsNull(true) => format!("{v} IS NULL"),
            Test::IsNull(false) => format!("{v} IS NOT NULL"),
            Test::Eq(x) => compare(self, "=", x, "0"),
            Test::Neq(x) => compare(self, "<>", x, &format!("{v} IS NOT NULL")),
            Test::Gt(x) => compare(self, ">", x, "0"),
            Test::Gte(x) => compare(self, ">=", x, "0"),
            Test::Lt(x) => compare(self, "<", x, "0"),
            Test::Lte(x) => compare(self, "<=", x, "0"),
            Test::In(xs) => match self.list_operand(kind, xs) {
                Some(p) => format!("{compared} IN (SELECT value FROM json_each({p}))"),
                None => "0".to_owned(),
            },
            Test::Nin(xs) => match self.list_operand(kind, xs) {
                Some(p) => {
                    format!(
                        "({v} IS NOT NULL AND {compared} NOT IN (SELECT value FROM json_each({p})))"
                    )
                }
                None => format!("{v} IS NOT NULL"),
            },
            Test::Like {
                pattern,
                insensitive,
                negated,
            } => {
                let (text, pattern) = if *insensitive {
                    (format!("lower({v})"), glob(&pattern.to_lowercase()))
                } else {
                    (v.to_owned(), glob(pattern))
                };
                let p = self.param(Bind::Text(pattern));
                if *negated {
                    format!("NOT ({text} GLOB {p})")
                } else {
                    format!("{text} GLOB {p}")
                }
            }
            // jsonb operators on other columns were refused when the filter was read.
            _ => "0".to_owned(),
        }
    }

    /// One comparison of a jsonb value `v` (JSON text, or null). A JSON `null` is a null
    /// value, as Hasura reads it.
    fn json_test(&mut self, v: &str, test: &Test) -> String {
        let present = format!("({v} IS NOT NULL AND json_type({v}) <> 'null')");
        let test = match test {
            Test::IsNull(true) => return format!("({v} IS NULL OR json_type({v}) = 'null')"),
            Test::IsNull(false) => return present,
            Test::Eq(x) => self.json_equals(v, x),
            Test::Neq(x) => format!("NOT IFNULL({}, 0)", self.json_equals(v, x)),
            Test::Gt(x) => self.json_order(v, ">", x),
            Test::Gte(x) => self.json_order(v, ">=", x),
            Test::Lt(x) => self.json_order(v, "<", x),
            Test::Lte(x) => self.json_order(v, "<=", x),
            Test::In(xs) | Test::Nin(xs) => {
                let parts: Vec<String> = xs
                    .iter()
                    .filter(|x| !x.is_null())
                    .map(|x| self.json_equals(v, x))
                    .collect();
                let any = balanced(&parts, "OR", "0");
                if matches!(test, Test::In(_)) {
                    any
                } else {
                    format!("NOT IFNULL({any}, 0)")
                }
            }
            Test::HasKey(k) => self.has_key(v, k),
            Test::HasKeysAll(keys) | Test::HasKeysAny(keys) => {
                let parts: Vec<String> = keys
                    .iter()
                    .map(|k| match k.as_str() {
                        Some(k) => self.has_key(v, k),
                        None => "0".to_owned(),
                    })
                    .collect();
                if matches!(test, Test::HasKeysAll(_)) {
                    balanced(&parts, "AND", "1")
                } else {
                    balanced(&parts, "OR", "0")
                }
            }
            Test::Contains(x) => {
                let j = self.json_alias();
                let inner = self.contains(&j, x);
                format!("EXISTS (SELECT 1 FROM json_each(json_array(json({v}))) {j} WHERE {inner})")
            }
            Test::ContainedIn(x) => {
                let j = self.json_alias();
                let inner = self.contained(&j, x);
                format!("EXISTS (SELECT 1 FROM json_each(json_array(json({v}))) {j} WHERE {inner})")
            }
            Test::Like { .. } => "0".to_owned(),
        };
        format!("({present} AND {test})")
    }

    fn has_key(&mut self, v: &str, key: &str) -> String {
        let j = self.json_alias();
        let p = self.param(Bind::Text(key.to_owned()));
        format!(
            "(json_type({v}) = 'object' AND EXISTS (SELECT 1 FROM json_each({v}) {j} WHERE {j}.key = {p}))"
        )
    }

    /// A jsonb value equal to `x`: numbers by value at the top, every other value exactly.
    fn json_equals(&mut self, v: &str, x: &Value) -> String {
        let j = self.json_alias();
        let inner = self.element_equals(&j, x, false);
        format!("EXISTS (SELECT 1 FROM json_each(json_array(json({v}))) {j} WHERE {inner})")
    }

    /// A jsonb scalar ordered against `x` of the same JSON type.
    fn json_order(&mut self, v: &str, op: &str, x: &Value) -> String {
        match x {
            Value::String(s) => {
                let p = self.param(Bind::Text(s.clone()));
                format!("(json_type({v}) = 'text' AND json_extract({v}, '$') {op} {p})")
            }
            Value::Number(n) => match n.as_f64() {
                Some(f) => {
                    let p = self.param(Bind::Real(f));
                    format!(
                        "(json_type({v}) IN ('integer', 'real') AND json_extract({v}, '$') {op} {p})"
                    )
                }
                None => "0".to_owned(),
            },
            Value::Bool(b) => {
                let p = self.param(Bind::Int(i64::from(*b)));
                format!(
                    "(json_type({v}) IN ('true', 'false') AND (json_type({v}) = 'true') {op} {p})"
                )
            }
            _ => "0".to_owned(),
        }
    }

    /// The JSON element `j` (a `json_each` row) equals `x`. Numbers compare by value when
    /// `strict` is false (the top of a comparison), by type and value inside objects and lists.
    fn element_equals(&mut self, j: &str, x: &Value, strict: bool) -> String {
        let kids = children(j);
        match x {
            Value::Null => format!("{j}.type = 'null'"),
            Value::Bool(true) => format!("{j}.type = 'true'"),
            Value::Bool(false) => format!("{j}.type = 'false'"),
            Value::Number(n) => {
                let (types, bind) = match (n.as_i64(), n.as_f64()) {
                    (Some(i), _) if strict => ("'integer'", Bind::Int(i)),
                    (_, Some(f)) if strict => ("'real'", Bind::Real(f)),
                    (_, Some(f)) => ("'integer', 'real'", Bind::Real(f)),
                    _ => return "0".to_owned(),
                };
                let p = self.param(bind);
                format!("({j}.type IN ({types}) AND {j}.value = {p})")
            }
            Value::String(s) => {
                let p = self.param(Bind::Text(s.clone()));
                format!("({j}.type = 'text' AND {j}.value = {p})")
            }
            Value::Array(items) => {
                let mut parts = vec![
                    format!("{j}.type = 'array'"),
                    format!(
                        "json_array_length(iif({j}.type = 'array', {j}.value, '[]')) = {}",
                        items.len()
                    ),
                ];
                for (i, item) in items.iter().enumerate() {
                    let e = self.json_alias();
                    let inner = self.element_equals(&e, item, true);
                    parts.push(format!(
                        "EXISTS (SELECT 1 FROM {kids} {e} WHERE {e}.key = {i} AND {inner})"
                    ));
                }
                balanced(&parts, "AND", "1")
            }
            Value::Object(map) => {
                let mut parts = vec![
                    format!("{j}.type = 'object'"),
                    format!("(SELECT COUNT(*) FROM {kids}) = {}", map.len()),
                ];
                for (key, item) in map {
                    let e = self.json_alias();
                    let k = self.param(Bind::Text(key.clone()));
                    let inner = self.element_equals(&e, item, true);
                    parts.push(format!(
                        "EXISTS (SELECT 1 FROM {kids} {e} WHERE {e}.key = {k} AND {inner})"
                    ));
                }
                balanced(&parts, "AND", "1")
            }
        }
    }

    /// The JSON element `j` contains `x` (`_contains`): every key of an object with a value
    /// that contains `x`'s, every item of a list contained by some item, a scalar equal.
    fn contains(&mut self, j: &str, x: &Value) -> String {
        let kids = children(j);
        match x {
            Value::Object(map) => {
                let mut parts = vec![format!("{j}.type = 'object'")];
                for (key, item) in map {
                    let e = self.json_alias();
                    let k = self.param(Bind::Text(key.clone()));
                    let inner = self.contains(&e, item);
                    parts.push(format!(
                        "EXISTS (SELECT 1 FROM {kids} {e} WHERE {e}.key = {k} AND {inner})"
                    ));
                }
                balanced(&parts, "AND", "1")
            }
            Value::Array(items) => {
                let mut parts = vec![format!("{j}.type = 'array'")];
                for item in items {
                    let e = self.json_alias();
                    let inner = self.contains(&e, item);
                    parts.push(format!("EXISTS (SELECT 1 FROM {kids} {e} WHERE {inner})"));
                }
                balanced(&parts, "AND", "1")
            }
            scalar => self.element_equals(j, scalar, false),
        }
    }

    /// The JSON element `j` is contained in `x` (`_contained_in`): the same relation, the
    /// other way round.
    fn contained(&mut self, j: &str, x: &Value) -> String {
        let kids = children(j);
        match x {
            Value::Object(map) => {
                let e = self.json_alias();
                let mut keys = Vec::new();
                for (key, item) in map {
                    let k = self.param(Bind::Text(key.clone()));
                    let inner = self.contained(&e, item);
                    keys.push(format!("({e}.key = {k} AND {inner})"));
                }
                format!(
                    "({j}.type = 'object' AND NOT EXISTS (SELECT 1 FROM {kids} {e} WHERE NOT IFNULL({}, 0)))",
                    balanced(&keys, "OR", "0")
                )
            }
            Value::Array(items) => {
                let e = self.json_alias();
                let mut any = Vec::new();
                for item in items {
                    any.push(self.contained(&e, item));
                }
                format!(
                    "({j}.type = 'array' AND NOT EXISTS (SELECT 1 FROM {kids} {e} WHERE NOT IFNULL({}, 0)))",
                    balanced(&any, "OR", "0")
                )
            }
            scalar => self.element_equals(j, scalar, false),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns_become_globs() {
        assert_eq!(glob("my-%"), "my-*");
        assert_eq!(glob("a_c"), "a?c");
        assert_eq!(glob("100%*?[x]"), "100*[*][?][[]x]");
    }

    #[test]
    fn long_lists_are_split_in_halves() {
        let parts: Vec<String> = (0..4).map(|i| format!("p{i}")).collect();
        assert_eq!(balanced(&parts, "OR", "0"), "((p0 OR p1) OR (p2 OR p3))");
        assert_eq!(balanced(&[], "AND", "1"), "1");
    }
}
