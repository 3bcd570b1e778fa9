//! A backend's schema and data as files: the DQL schema derived from the GraphQL SDL (what `/query`
//! `schema {}` answers), and the gzip files an export produces (docs/spec/dgraph.md §6.2).

use async_graphql::parser::parse_schema;
use async_graphql::parser::types::{BaseType, Type, TypeKind, TypeSystemDefinition};
use serde_json::{Value, json};

/// One object type of the schema as Dgraph stores it: its predicates `Type.field` and their types.
#[derive(Debug, PartialEq)]
pub struct DqlType {
    pub name: String,
    pub predicates: Vec<(String, String)>,
}

/// The DQL types and predicates Dgraph derives from a GraphQL schema (object types only).
pub fn dql_types(sdl: Option<&str>) -> Vec<DqlType> {
    let Some(doc) = sdl.and_then(|s| parse_schema(s).ok()) else {
        return Vec::new();
    };
    let mut enums = Vec::new();
    for def in &doc.definitions {
        if let TypeSystemDefinition::Type(t) = def
            && let TypeKind::Enum(_) = t.node.kind
        {
            enums.push(t.node.name.node.to_string());
        }
    }
    let mut types = Vec::new();
    for def in &doc.definitions {
        let TypeSystemDefinition::Type(t) = def else {
            continue;
        };
        let fields = match &t.node.kind {
            TypeKind::Object(o) => &o.fields,
            TypeKind::Interface(i) => &i.fields,
            _ => continue,
        };
        let name = t.node.name.node.to_string();
        let predicates = fields
            .iter()
            .filter(|f| !is_id(&f.node.ty.node))
            .map(|f| {
                (
                    format!("{name}.{}", f.node.name.node),
                    dql_type(&f.node.ty.node, &enums),
                )
            })
            .collect();
        types.push(DqlType { name, predicates });
    }
    types
}

fn is_id(ty: &Type) -> bool {
    matches!(&ty.base, BaseType::Named(n) if n.as_str() == "ID")
}

fn dql_type(ty: &Type, enums: &[String]) -> String {
    match &ty.base {
        BaseType::List(inner) => format!("[{}]", dql_type(inner, enums)),
        BaseType::Named(n) => match n.as_str() {
            "String" => "string".into(),
            "Int" | "Int64" => "int".into(),
            "Float" => "float".into(),
            "Boolean" => "bool".into(),
            "DateTime" => "datetime".into(),
            "Point" | "Polygon" | "MultiPolygon" => "geo".into(),
            other if enums.iter().any(|e| e == other) => "string".into(),
            _ => "uid".into(),
        },
    }
}

/// The answer to DQL `schema {}` (docs/spec/dgraph.md §7): predicates and types of the GraphQL
/// schema, plus those only the stored data uses (as Dgraph creates predicates on mutation; the
/// CLI's `drop -l` lists them as unused).
pub fn schema_response(sdl: Option<&str>, nodes: &[(i64, String)]) -> Value {
    let mut types = dql_types(sdl);
    for (_, body) in nodes {
        let Ok(Value::Object(node)) = serde_json::from_str::<Value>(body) else {
            continue;
        };
        let type_names: Vec<String> = match node.get("dgraph.type") {
            Some(Value::String(t)) => vec![t.clone()],
            Some(Value::Array(ts)) => ts
                .iter()
                .filter_map(|t| t.as_str().map(str::to_owned))
                .collect(),
            _ => Vec::new(),
        };
        for name in type_names {
            if !types.iter().any(|t| t.name == name) {
                types.push(DqlType {
                    name: name.clone(),
                    predicates: Vec::new(),
                });
            }
        }
        for key in node.keys().filter(|k| *k != "dgraph.type" && *k != "uid") {
            if types
                .iter()
                .any(|t| t.predicates.iter().any(|(p, _)| p == key))
            {
                continue;
            }
            let owner = key.split_once('.').map(|(t, _)| t.to_owned());
            match types.iter_mut().find(|t| Some(&t.name) == owner.as_ref()) {
                Some(t) => t.predicates.push((key.clone(), "default".into())),
                None => types.push(DqlType {
                    name: owner.unwrap_or_else(|| key.clone()),
                    predicates: vec![(key.clone(), "default".into())],
                }),
            }
        }
    }
    let mut schema =
        vec![json!({"predicate": "dgraph.type", "type": "string", "index": true, "list": true})];
    for t in &types {
        for (predicate, ty) in &t.predicates {
            let (ty, list) = match ty.strip_prefix('[').and_then(|s| s.strip_suffix(']')) {
                Some(inner) => (inner.to_owned(), true),
                None => (ty.clone(), false),
            };
            let mut p = json!({"predicate": predicate, "type": ty});
            if list {
                p["list"] = json!(true);
            }
            schema.push(p);
        }
    }
    let types: Vec<Value> = types
        .iter()
        .map(|t| {
            let fields: Vec<Value> = t
                .predicates
                .iter()
                .map(|(p, _)| json!({"name": p}))
                .collect();
            json!({"name": t.name, "fields": fields})
        })
        .collect();
    json!({"data": {"schema": schema, "types": types}})
}

/// The internal Dgraph schema file (`g01.schema`).
pub fn dql_schema_text(sdl: Option<&str>) -> String {
    let mut out = String::from("<dgraph.type>:[string] @index(exact) .\n");
    let types = dql_types(sdl);
    for t in &types {
        for (predicate, ty) in &t.predicates {
            out.push_str(&format!("<{predicate}>:{ty} .\n"));
        }
    }
    for t in &types {
        out.push_str(&format!("type <{}> {{\n", t.name));
        for (predicate, _) in &t.predicates {
            out.push_str(&format!("\t{predicate}\n"));
        }
        out.push_str("}\n");
    }
    out
}

/// The data as N-Quads, one blank node per stored object.
pub fn rdf_text(nodes: &[(i64, String)]) -> String {
    let mut out = String::new();
    for (id, body) in nodes {
        let Ok(Value::Object(map)) = serde_json::from_str::<Value>(body) else {
            continue;
        };
        for (predicate, value) in map {
            let values = match value {
                Value::Array(items) => items,
                other => vec![other],
            };
            for v in values {
                let literal = match v {
                    Value::String(s) => Value::String(s).to_string(),
                    other => Value::String(other.to_string()).to_string(),
                };
                out.push_str(&format!("<_:n{id}> <{predicate}> {literal} .\n"));
            }
        }
    }
    out
}

/// The data as the JSON array the live loader reads.
pub fn json_text(nodes: &[(i64, String)]) -> String {
    let items: Vec<Value> = nodes
        .iter()
        .filter_map(|(id, body)| {
            let mut v: Value = serde_json::from_str(body).ok()?;
            v["uid"] = json!(format!("_:n{id}"));
            Some(v)
        })
        .collect();
    Value::Array(items).to_string()
}

/// A gzip member holding `data` in stored (uncompressed) deflate blocks: a valid `.gz` file that
/// any gunzip reads, without a compression crate.
pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
    let mut chunks = data.chunks(0xffff).peekable();
    if chunks.peek().is_none() {
        out.extend_from_slice(&[1, 0, 0, 0xff, 0xff]);
    }
    while let Some(chunk) = chunks.next() {
        let last = u8::from(chunks.peek().is_none());
        // Chunks are at most 0xffff long, so the length fits in 16 bits.
        let len = u16::try_from(chunk.len()).unwrap_or(u16::MAX);
        out.push(last);
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(chunk);
    }
    out.extend_from_slice(&crc32(data).to_le_bytes());
    out.extend_from_slice(&(data.len() as u32).to_le_bytes());
    out
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for &byte in data {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (0xedb8_8320 & mask);
        }
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc_matches_the_standard_check_value() {
        assert_eq!(crc32(b"123456789"), 0xcbf4_3926);
    }

    #[test]
    fn predicates_come_from_object_types() {
        let types = dql_types(Some(
            "type Person { id: ID! name: String! age: Int friends: [Person] }",
        ));
        assert_eq!(
            types,
            vec![DqlType {
                name: "Person".into(),
                predicates: vec![
                    ("Person.name".into(), "string".into()),
                    ("Person.age".into(), "int".into()),
                    ("Person.friends".into(), "[uid]".into()),
                ],
            }]
        );
    }
}
