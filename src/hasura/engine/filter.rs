//! Table arguments (docs/spec/hasura.md §4, §8.7): `where`, `order_by`, `distinct_on`, `offset`
//! and `limit`, read into a typed [`Page`] with Hasura's messages and JSON paths
//! (`$.selectionSet.projects.args.where.foo`). The store turns a `Page` into SQL; nothing here
//! touches rows.
//!
//! Reading recurses over the argument's JSON, whose depth [`super::validate::Operation::arg`]
//! has bounded by `--graphql-max-depth`.

use serde_json::Value;

use super::validate::{Operation, graphql_type};
use crate::hasura::error::ApiError;
use crate::hasura::schema::{self, Card, Relation, Scalar, TypeDef};
use async_graphql::parser::types::Field;

/// What a table field's arguments ask for, in Postgres's order of operations: filter, order,
/// keep the first row of each `distinct_on` value, skip `offset`, take `limit`.
#[derive(Debug, Default)]
pub struct Page {
    pub filter: Option<BoolExp>,
    pub order: Vec<OrderKey>,
    pub distinct_on: Vec<&'static str>,
    pub offset: Option<u64>,
    pub limit: Option<u64>,
}

/// Hasura's boolean expressions: every condition holds for a row or it does not (a comparison
/// with a null column is false, even under `_not`).
#[derive(Debug)]
pub enum BoolExp {
    /// `_and`, and the keys of one expression object; true when empty.
    All(Vec<BoolExp>),
    /// `_or`; false when empty.
    Any(Vec<BoolExp>),
    Not(Box<BoolExp>),
    Column {
        column: &'static str,
        scalar: Scalar,
        test: Test,
    },
    /// A relationship: some related row (the one, for an object relationship) matches.
    Related {
        relation: &'static Relation,
        target: &'static TypeDef,
        exp: Box<BoolExp>,
    },
}

/// One operator of a `<type>_comparison_exp`, with its (non-null) operand. Operands of another
/// JSON type than the column's never match, as in a comparison of JSON values.
#[derive(Debug)]
pub enum Test {
    IsNull(bool),
    Eq(Value),
    Neq(Value),
    Gt(Value),
    Gte(Value),
    Lt(Value),
    Lte(Value),
    In(Vec<Value>),
    Nin(Vec<Value>),
    /// `_like` and friends: `%` any run, `_` any one character, nothing escapes.
    Like {
        pattern: String,
        insensitive: bool,
        negated: bool,
    },
    HasKey(String),
    HasKeysAll(Vec<Value>),
    HasKeysAny(Vec<Value>),
    Contains(Value),
    ContainedIn(Value),
}

/// One sort key: a column, possibly reached through object relationships.
#[derive(Debug)]
pub struct OrderKey {
    pub through: Vec<(&'static Relation, &'static TypeDef)>,
    pub column: &'static str,
    pub scalar: Scalar,
    pub desc: bool,
    pub nulls_first: bool,
}

impl Page {
    /// The arguments of a table field (root list, aggregate, or array relationship).
    pub fn read(op: &Operation, ty: &TypeDef, field: &Field, path: &str) -> Result<Page, ApiError> {
        let filter = match op.arg(field, "where", path)? {
            Some(exp) => Some(bool_exp(ty, &exp, &format!("{path}.args.where"))?),
            None => None,
        };
        let order = match op.arg(field, "order_by", path)? {
            Some(order) => order_keys(ty, &order, &format!("{path}.args.order_by"))?,
            None => Vec::new(),
        };
        let distinct_on = match op.arg(field, "distinct_on", path)? {
            Some(columns) => distinct_columns(ty, &columns, path)?,
            None => Vec::new(),
        };
        let offset = count_arg(op.arg(field, "offset", path)?, path, "offset")?;
        let limit = count_arg(op.arg(field, "limit", path)?, path, "limit")?;
        Ok(Page {
            filter,
            order,
            distinct_on,
            offset,
            limit,
        })
    }
}

/// A value that may be one item or a list of them (GraphQL input coercion); null is none.
fn as_list(value: &Value) -> &[Value] {
    match value {
        Value::Array(items) => items,
        Value::Null => &[],
        other => std::slice::from_ref(other),
    }
}

fn count_arg(value: Option<Value>, path: &str, name: &str) -> Result<Option<u64>, ApiError> {
    // Spelled only for an error: these arguments are read at every request.
    let at = || format!("{path}.args.{name}");
    match value {
        None => Ok(None),
        Some(Value::Number(n)) => match int32(&n) {
            Some(n) => u64::try_from(n)
                .map(Some)
                .map_err(|_| ApiError::validation(&at(), "unexpected negative value")),
            // Hasura reads the number before its sign: a float or a number past the 32 bits of
            // `Int` is refused as such, whatever its sign.
            None => Err(ApiError::parse_failed(
                &at(),
                format!(
                    "The value {} lies outside the bounds or is not an integer. Maybe it is a \
                     float, or is there integer overflow?",
                    scientific(&n)
                ),
            )),
        },
        Some(_) => Err(ApiError::validation(
            &at(),
            "expected a 32-bit integer for type 'Int'",
        )),
    }
}

/// The digits, or the `0` Haskell writes where there are none.
fn or_zero(digits: &str) -> &str {
    if digits.is_empty() { "0" } else { digits }
}

/// The number as a GraphQL `Int` (32 bits) if it is a whole number in range, written as an
/// integer or not (`10.0`).
fn int32(n: &serde_json::Number) -> Option<i32> {
    match n.as_i64() {
        Some(i) => i32::try_from(i).ok(),
        None => n
            .as_f64()
            .filter(|f| f.fract() == 0.0 && (f64::from(i32::MIN)..=f64::from(i32::MAX)).contains(f))
            // In range and whole: the cast is exact.
            .map(|f| f as i32),
    }
}

/// A number as Hasura's messages write it (Haskell's `Scientific`): positional from `0.1` up to
/// 8 digits before the point (`3.5`, `0.5`, `1234567.5`), else `2.147483648e9`, `5.0e-2`.
fn scientific(n: &serde_json::Number) -> String {
    let exponential = match n.as_i64() {
        Some(i) => format!("{i:e}"),
        None => match n.as_u64() {
            Some(u) => format!("{u:e}"),
            None => format!("{:e}", n.as_f64().unwrap_or(0.0)),
        },
    };
    // `d.ddd` times ten to the `exponent`, the digits without trailing zeros.
    let (mantissa, exponent) = exponential
        .split_once('e')
        .unwrap_or((exponential.as_str(), "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let (sign, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => ("-", m),
        None => ("", mantissa),
    };
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    match usize::try_from(exponent + 1) {
        Ok(whole_len @ 1..=7) => {
            let mut whole = digits
                .get(..whole_len.min(digits.len()))
                .unwrap_or("")
                .to_owned();
            while whole.len() < whole_len {
                whole.push('0');
            }
            let fraction = or_zero(digits.get(whole_len..).unwrap_or(""));
            format!("{sign}{whole}.{fraction}")
        }
        Ok(0) => format!("{sign}0.{digits}"),
        _ => {
            let (first, rest) = digits.split_at(1.min(digits.len()));
            format!("{sign}{first}.{}e{exponent}", or_zero(rest))
        }
    }
}

fn distinct_columns(
    ty: &TypeDef,
    columns: &Value,
    path: &str,
) -> Result<Vec<&'static str>, ApiError> {
    let names: Vec<&str> = match columns {
        Value::Array(items) => items.iter().filter_map(Value::as_str).collect(),
        Value::String(c) => vec![c.as_str()],
        _ => Vec::new(),
    };
    names
        .into_iter()
        .map(|c| {
            ty.columns
                .iter()
                .find(|(name, _)| *name == c)
                .map(|(name, _)| *name)
                .ok_or_else(|| {
                    ApiError::validation(
                        &format!("{path}.args.distinct_on"),
                        format!(
                            "unexpected value '{c}' for enum: '{}_select_column'",
                            ty.name
                        ),
                    )
                })
        })
        .collect()
}

fn target_of(relation: &Relation) -> Result<&'static TypeDef, ApiError> {
    schema::type_def(relation.target).ok_or_else(|| ApiError::internal("relation without target"))
}

/// A `<table>_bool_exp`: `_and`, `_or`, `_not`, column comparisons and relationships.
pub fn bool_exp(ty: &TypeDef, exp: &Value, path: &str) -> Result<BoolExp, ApiError> {
    let Value::Object(exp) = exp else {
        return Err(ApiError::validation(
            path,
            format!("expected an object for type '{}_bool_exp'", ty.name),
        ));
    };
    let mut all = Vec::with_capacity(exp.len());
    for (key, value) in exp {
        let sub_path = format!("{path}.{key}");
        all.push(match key.as_str() {
            "_and" | "_or" => {
                let items = as_list(value)
                    .iter()
                    .enumerate()
                    .map(|(i, e)| bool_exp(ty, e, &format!("{sub_path}[{i}]")))
                    .collect::<Result<Vec<_>, _>>()?;
                if key == "_and" {
                    BoolExp::All(items)
                } else {
                    BoolExp::Any(items)
                }
            }
            "_not" => BoolExp::Not(Box::new(bool_exp(ty, value, &sub_path)?)),
            column => {
                if let Some((column, scalar)) = ty.columns.iter().find(|(c, _)| *c == column) {
                    comparison(column, *scalar, value, &sub_path)?
                } else if let Some(relation) = ty.relation(column) {
                    let target = target_of(relation)?;
                    BoolExp::Related {
                        relation,
                        target,
                        exp: Box::new(bool_exp(target, value, &sub_path)?),
                    }
                } else {
                    return Err(ApiError::field_not_found(
                        column,
                        &format!("{}_bool_exp", ty.name),
                        &sub_path,
                    ));
                }
            }
        });
    }
    Ok(BoolExp::All(all))
}

/// A `<type>_comparison_exp`: every operator must hold; a null operand is no condition, as in
/// Hasura v2.
fn comparison(
    column: &'static str,
    scalar: Scalar,
    exp: &Value,
    path: &str,
) -> Result<BoolExp, ApiError> {
    let type_name = format!("{}_comparison_exp", graphql_type(Some(scalar)));
    let Value::Object(ops) = exp else {
        return Err(ApiError::validation(
            path,
            format!("expected an object for type '{type_name}'"),
        ));
    };
    let mut tests = Vec::with_capacity(ops.len());
    for (op, operand) in ops {
        let op_path = format!("{path}.{op}");
        if operand.is_null() {
            continue;
        }
        let allowed = match op.as_str() {
            "_eq" | "_neq" | "_gt" | "_gte" | "_lt" | "_lte" | "_in" | "_nin" | "_is_null" => true,
            "_like" | "_nlike" | "_ilike" | "_nilike" => scalar == Scalar::Text,
            "_contains" | "_contained_in" | "_has_key" | "_has_keys_all" | "_has_keys_any" => {
                scalar == Scalar::Jsonb
            }
            _ => false,
        };
        if !allowed {
            return Err(ApiError::field_not_found(op, &type_name, &op_path));
        }
        if matches!(op.as_str(), "_in" | "_nin") {
            for v in as_list(operand) {
                check_scalar(Some(scalar), v)?;
            }
        } else if op != "_is_null" {
            check_scalar(Some(scalar), operand)?;
        }
        let test = match op.as_str() {
            "_is_null" => Test::IsNull(operand.as_bool().ok_or_else(|| {
                ApiError::validation(&op_path, "expected a boolean for type 'Boolean'")
            })?),
            "_eq" => Test::Eq(operand.clone()),
            "_neq" => Test::Neq(operand.clone()),
            "_gt" => Test::Gt(operand.clone()),
            "_gte" => Test::Gte(operand.clone()),
            "_lt" => Test::Lt(operand.clone()),
            "_lte" => Test::Lte(operand.clone()),
            "_in" => Test::In(as_list(operand).to_vec()),
            "_nin" => Test::Nin(as_list(operand).to_vec()),
            "_like" | "_nlike" | "_ilike" | "_nilike" => {
                let Some(pattern) = operand.as_str() else {
                    return Err(ApiError::validation(
                        &op_path,
                        "expected a string for type 'String'",
                    ));
                };
                Test::Like {
                    pattern: pattern.to_owned(),
                    insensitive: op.contains('i'),
                    negated: op.starts_with("_n"),
                }
            }
            "_has_key" => Test::HasKey(operand.as_str().unwrap_or_default().to_owned()),
            "_has_keys_all" => Test::HasKeysAll(as_list(operand).to_vec()),
            "_has_keys_any" => Test::HasKeysAny(as_list(operand).to_vec()),
            "_contains" => Test::Contains(operand.clone()),
            _ => Test::ContainedIn(operand.clone()),
        };
        tests.push(BoolExp::Column {
            column,
            scalar,
            test,
        });
    }
    Ok(BoolExp::All(tests))
}

/// Checks a value against a column type the way Postgres would: a malformed uuid is an error,
/// not a non-match (docs/spec/hasura.md §3.3).
pub fn check_scalar(scalar: Option<Scalar>, value: &Value) -> Result<(), ApiError> {
    if scalar == Some(Scalar::Uuid) {
        match value {
            Value::String(s) if is_uuid(s) => {}
            Value::String(s) => return Err(ApiError::invalid_uuid(s)),
            Value::Null => {}
            other => return Err(ApiError::invalid_uuid(&other.to_string())),
        }
    }
    Ok(())
}

pub fn is_uuid(s: &str) -> bool {
    uuid::Uuid::parse_str(s).is_ok() && s.len() == 36
}

/// `order_by` (an object or a list of them) as sort keys; object relationships nest.
fn order_keys(ty: &TypeDef, order: &Value, path: &str) -> Result<Vec<OrderKey>, ApiError> {
    let mut keys = Vec::new();
    let items = as_list(order);
    for (i, item) in items.iter().enumerate() {
        let item_path = if items.len() > 1 || order.is_array() {
            format!("{path}[{i}]")
        } else {
            path.to_owned()
        };
        collect_order(ty, item, &item_path, &[], &mut keys)?;
    }
    Ok(keys)
}

fn collect_order(
    ty: &TypeDef,
    item: &Value,
    path: &str,
    through: &[(&'static Relation, &'static TypeDef)],
    keys: &mut Vec<OrderKey>,
) -> Result<(), ApiError> {
    let Value::Object(map) = item else {
        return Err(ApiError::validation(
            path,
            format!("expected an object for type '{}_order_by'", ty.name),
        ));
    };
    for (key, value) in map {
        let sub_path = format!("{path}.{key}");
        if let Some((column, scalar)) = ty.columns.iter().find(|(c, _)| c == key) {
            let (desc, nulls_first) = match value.as_str() {
                Some("asc") | Some("asc_nulls_last") => (false, false),
                Some("asc_nulls_first") => (false, true),
                Some("desc") | Some("desc_nulls_first") => (true, true),
                Some("desc_nulls_last") => (true, false),
                _ => {
                    return Err(ApiError::validation(
                        &sub_path,
                        format!("unexpected value {value} for enum: 'order_by'"),
                    ));
                }
            };
            keys.push(OrderKey {
                through: through.to_vec(),
                column,
                scalar: *scalar,
                desc,
                nulls_first,
            });
        } else if let Some(relation) = ty.relation(key).filter(|r| r.card == Card::Object) {
            let target = target_of(relation)?;
            let mut deeper = through.to_vec();
            deeper.push((relation, target));
            collect_order(target, value, &sub_path, &deeper, keys)?;
        } else {
            return Err(ApiError::field_not_found(
                key,
                &format!("{}_order_by", ty.name),
                &sub_path,
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn number(text: &str) -> serde_json::Number {
        serde_json::from_str(text).expect("a JSON number")
    }

    #[test]
    fn numbers_are_written_as_hasura_writes_them() {
        for (text, written) in [
            ("3.5", "3.5"),
            ("-2.5", "-2.5"),
            ("42.25", "42.25"),
            ("12345678.5", "1.23456785e7"),
            ("0.05", "5.0e-2"),
            ("2147483648", "2.147483648e9"),
            ("-2147483649", "-2.147483649e9"),
            ("18446744073709551615", "1.8446744073709551615e19"),
            ("1e23", "1.0e23"),
            ("10000000", "1.0e7"),
            ("1234567.5", "1234567.5"),
            ("0.5", "0.5"),
        ] {
            assert_eq!(scientific(&number(text)), written, "{text}");
        }
    }

    #[test]
    fn an_int_argument_is_a_whole_number_of_32_bits() {
        let arg = |text: &str| count_arg(Some(Value::Number(number(text))), "$", "limit");
        assert_eq!(arg("10").ok().flatten(), Some(10));
        assert_eq!(arg("10.0").ok().flatten(), Some(10));
        assert_eq!(arg("2147483647").ok().flatten(), Some(2_147_483_647));
        for refused in ["-1", "2147483648", "2.5", "-2.5", "1e30"] {
            assert!(arg(refused).is_err(), "{refused}");
        }
    }
}
