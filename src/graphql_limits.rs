//! Bounds on the GraphQL documents the GraphQL services (Hasura, Cerebro, a Dgraph backend's
//! `/admin` and `/admin/slash`) accept, so that no document can exhaust the stack, the memory or
//! the time of the process that every session shares.
//!
//! Each service checks a request in two steps and answers a failure in its own error shape:
//! [`GraphqlLimits::check_text`] before parsing (size, and nesting read off the text without
//! recursion, so the parser never meets a document deep enough to overflow), then
//! [`GraphqlLimits::check_document`] on the parsed document (depth and field count with fragments
//! expanded, so a short document cannot stand for a huge one).

use std::collections::HashMap;
use std::sync::{Arc, OnceLock, RwLock};

use async_graphql::parser::types::{
    DocumentOperations, ExecutableDocument, Selection, SelectionSet,
};

/// The limits, from the command line (`--graphql-max-*`). The defaults leave room for every real
/// client offcloud is tested with: the largest document they send is an introspection query
/// (about 13 levels, a few hundred fields with its fragments expanded).
#[derive(Debug, Clone, clap::Args, serde::Serialize)]
pub struct GraphqlLimits {
    /// Largest GraphQL document (the query text) accepted, in bytes.
    #[arg(
        long = "graphql-max-bytes",
        env = "OFFCLOUD_GRAPHQL_MAX_BYTES",
        default_value_t = 256 * 1024,
        global = true
    )]
    pub max_bytes: usize,

    /// Deepest nesting a GraphQL document may have: selection sets with fragments expanded, and
    /// the braces, brackets and parentheses of its text (a nested `where` argument counts each).
    #[arg(
        long = "graphql-max-depth",
        env = "OFFCLOUD_GRAPHQL_MAX_DEPTH",
        default_value_t = 64,
        global = true
    )]
    pub max_depth: usize,

    /// Most fields a GraphQL document may select, aliases included and fragments expanded.
    #[arg(
        long = "graphql-max-fields",
        env = "OFFCLOUD_GRAPHQL_MAX_FIELDS",
        default_value_t = 2000,
        global = true
    )]
    pub max_fields: usize,
}

impl Default for GraphqlLimits {
    fn default() -> Self {
        GraphqlLimits {
            max_bytes: 256 * 1024,
            max_depth: 64,
            max_fields: 2000,
        }
    }
}

/// Parses a GraphQL document, or takes it from the documents parsed before: a test suite sends the
/// same few documents again and again, and a document is parsed twice per request (by the
/// contract check and by the service). Check its text first ([`GraphqlLimits::check_text`]): the
/// parser recurses. Only short documents that parse are kept, at most [`PARSED_KEPT`] of them.
pub fn parse(query: &str) -> Result<Arc<ExecutableDocument>, async_graphql::parser::Error> {
    static PARSED: OnceLock<RwLock<HashMap<Box<str>, Arc<ExecutableDocument>>>> = OnceLock::new();
    let parsed = PARSED.get_or_init(RwLock::default);
    let kept = |map: &HashMap<Box<str>, Arc<ExecutableDocument>>| map.get(query).cloned();
    // Documents are inserted whole: a poisoned lock still holds valid ones.
    if let Some(doc) = kept(&parsed.read().unwrap_or_else(|p| p.into_inner())) {
        return Ok(doc);
    }
    let doc = Arc::new(async_graphql::parser::parse_query(query)?);
    if query.len() <= PARSED_MAX_BYTES {
        let mut map = parsed.write().unwrap_or_else(|p| p.into_inner());
        if map.len() >= PARSED_KEPT {
            map.clear();
        }
        map.insert(Box::from(query), doc.clone());
    }
    Ok(doc)
}

/// Documents [`parse`] keeps (all forgotten when it is full), and the longest it keeps.
pub const PARSED_KEPT: usize = 256;
const PARSED_MAX_BYTES: usize = 8 * 1024;

/// Why a document was refused: a sentence for the service's own error shape.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct LimitExceeded(pub String);

impl GraphqlLimits {
    /// Checks the query text before it is parsed: its size, and how deeply its braces, brackets
    /// and parentheses nest (strings, block strings and comments skipped). Linear, no recursion.
    pub fn check_text(&self, query: &str) -> Result<(), LimitExceeded> {
        if query.len() > self.max_bytes {
            return Err(LimitExceeded(format!(
                "the query is {} bytes long; the limit is {} (--graphql-max-bytes)",
                query.len(),
                self.max_bytes
            )));
        }
        let depth = text_nesting(query);
        if depth > self.max_depth {
            return Err(LimitExceeded(format!(
                "the query nests {depth} levels deep; the limit is {} (--graphql-max-depth)",
                self.max_depth
            )));
        }
        Ok(())
    }

    /// Checks a parsed document: the depth of its selections and the number of fields it
    /// selects, with every fragment spread expanded where it is used. Fragments are measured
    /// once each (a fragment spread twice in each of twenty fragments is counted, not walked, a
    /// million times), and a fragment that spreads itself is refused.
    pub fn check_document(&self, doc: &ExecutableDocument) -> Result<(), LimitExceeded> {
        let fragments = measure_fragments(doc)?;
        let operations: Vec<&SelectionSet> = match &doc.operations {
            DocumentOperations::Single(op) => vec![&op.node.selection_set.node],
            DocumentOperations::Multiple(ops) => {
                ops.values().map(|op| &op.node.selection_set.node).collect()
            }
        };
        for set in operations {
            let size = measure(set, &|name| fragments.get(name).copied());
            if size.depth > self.max_depth {
                return Err(LimitExceeded(format!(
                    "the query selects {} levels deep; the limit is {} (--graphql-max-depth)",
                    size.depth, self.max_depth
                )));
            }
            if size.fields > self.max_fields as u64 {
                return Err(LimitExceeded(format!(
                    "the query selects {} fields; the limit is {} (--graphql-max-fields)",
                    size.fields, self.max_fields
                )));
            }
        }
        Ok(())
    }
}

/// How deeply brackets nest in GraphQL text, outside strings and comments.
fn text_nesting(query: &str) -> usize {
    let bytes = query.as_bytes();
    let (mut depth, mut deepest, mut i) = (0usize, 0usize, 0usize);
    while i < bytes.len() {
        match bytes[i] {
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'"' if bytes[i..].starts_with(b"\"\"\"") => {
                i += 3;
                while i < bytes.len() && !bytes[i..].starts_with(b"\"\"\"") {
                    // An escaped triple quote does not close the block string.
                    i += if bytes[i..].starts_with(b"\\\"\"\"") {
                        4
                    } else {
                        1
                    };
                }
                i += 2;
            }
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'{' | b'[' | b'(' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b'}' | b']' | b')' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    deepest
}

/// The expanded size of a selection set or fragment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Size {
    depth: usize,
    fields: u64,
}

/// The size of one selection set, with the sizes of the fragments it spreads looked up
/// (an unknown fragment counts as empty: the service's validation reports it). The parser bounds
/// how deeply selection sets nest in the text, so this recursion is bounded too.
fn measure(set: &SelectionSet, fragment: &dyn Fn(&str) -> Option<Size>) -> Size {
    let mut size = Size::default();
    for selection in &set.items {
        let inner = match &selection.node {
            Selection::Field(field) => {
                let inner = measure(&field.node.selection_set.node, fragment);
                Size {
                    depth: inner.depth + 1,
                    fields: inner.fields.saturating_add(1),
                }
            }
            Selection::InlineFragment(inline) => measure(&inline.node.selection_set.node, fragment),
            Selection::FragmentSpread(spread) => {
                fragment(spread.node.fragment_name.node.as_str()).unwrap_or_default()
            }
        };
        size.depth = size.depth.max(inner.depth);
        size.fields = size.fields.saturating_add(inner.fields);
    }
    size
}

/// The names of the fragments a selection set spreads, at any depth within it.
fn spreads(set: &SelectionSet, out: &mut Vec<String>) {
    for selection in &set.items {
        match &selection.node {
            Selection::Field(field) => spreads(&field.node.selection_set.node, out),
            Selection::InlineFragment(inline) => spreads(&inline.node.selection_set.node, out),
            Selection::FragmentSpread(spread) => {
                out.push(spread.node.fragment_name.node.to_string());
            }
        }
    }
}

/// Every fragment's expanded size, each measured once after the fragments it spreads (an
/// explicit stack rather than recursion: a chain of fragments can be as long as the text allows).
fn measure_fragments(doc: &ExecutableDocument) -> Result<HashMap<String, Size>, LimitExceeded> {
    let mut done: HashMap<String, Size> = HashMap::new();
    let mut on_stack: HashMap<String, ()> = HashMap::new();
    for start in doc.fragments.keys() {
        if done.contains_key(start.as_str()) {
            continue;
        }
        // (fragment, whether its dependencies were already pushed)
        let mut stack: Vec<(String, bool)> = vec![(start.to_string(), false)];
        while let Some((name, expanded)) = stack.pop() {
            if done.contains_key(&name) {
                continue;
            }
            let Some(definition) = doc.fragments.get(name.as_str()) else {
                continue;
            };
            let set = &definition.node.selection_set.node;
            if expanded {
                on_stack.remove(&name);
                let size = measure(set, &|n| done.get(n).copied());
                done.insert(name, size);
                continue;
            }
            on_stack.insert(name.clone(), ());
            stack.push((name.clone(), true));
            let mut needed = Vec::new();
            spreads(set, &mut needed);
            for dependency in needed {
                if on_stack.contains_key(&dependency) {
                    return Err(LimitExceeded(format!(
                        "fragment \"{dependency}\" spreads itself"
                    )));
                }
                if !done.contains_key(&dependency) {
                    stack.push((dependency, false));
                }
            }
        }
    }
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;
    use async_graphql::parser::parse_query;

    fn check(query: &str) -> Result<(), LimitExceeded> {
        let limits = GraphqlLimits::default();
        limits.check_text(query)?;
        let doc = parse_query(query).map_err(|e| LimitExceeded(e.to_string()))?;
        limits.check_document(&doc)
    }

    #[test]
    fn documents_parsed_before_are_kept_and_told_apart() {
        let first = super::parse("{ keptDocumentA }").unwrap();
        let again = super::parse("{ keptDocumentA }").unwrap();
        assert!(std::sync::Arc::ptr_eq(&first, &again));
        let other = super::parse("{ keptDocumentB }").unwrap();
        assert!(!std::sync::Arc::ptr_eq(&first, &other));
        assert!(super::parse("{ keptDocumentA").is_err());
    }

    #[test]
    fn a_deeply_nested_argument_is_refused_before_parsing() {
        let d = 1000;
        let query = format!(
            "{{ projects(where: {}{{}}{}) {{ id }} }}",
            "{_and: [".repeat(d),
            "]}".repeat(d)
        );
        let err = GraphqlLimits::default().check_text(&query).unwrap_err();
        assert!(err.0.contains("levels deep"), "{err}");
    }

    #[test]
    fn brackets_inside_strings_and_comments_do_not_count() {
        let deep = "[".repeat(200);
        let query = format!("# {deep}\n{{ a(s: \"{deep}\", t: \"\"\"{deep}\"\"\") {{ id }} }}");
        assert_eq!(check(&query), Ok(()));
    }

    #[test]
    fn an_alias_flood_is_refused() {
        let fields: String = (0..3000)
            .map(|i| format!("a{i}: deployments {{ uid }} "))
            .collect();
        let err = check(&format!("{{ {fields} }}")).unwrap_err();
        assert!(err.0.contains("fields"), "{err}");
    }

    #[test]
    fn a_fragment_bomb_is_measured_not_walked() {
        // Each fragment spreads the next twice: 2^40 fields once expanded.
        let mut query = String::from("{ ...F0 }\n");
        for i in 0..40 {
            query.push_str(&format!(
                "fragment F{i} on Query {{ a: x {{ ...F{n} }} b: x {{ ...F{n} }} }}\n",
                n = i + 1
            ));
        }
        query.push_str("fragment F40 on Query { id }\n");
        let err = check(&query).unwrap_err();
        assert!(err.0.contains("fields"), "{err}");
    }

    #[test]
    fn fragments_count_where_they_are_spread() {
        let query = "query { a { ...F } b { ...F } } fragment F on T { x y z }";
        let doc = parse_query(query).unwrap();
        let limits = GraphqlLimits {
            max_fields: 8,
            ..GraphqlLimits::default()
        };
        assert_eq!(limits.check_document(&doc), Ok(()));
        let limits = GraphqlLimits {
            max_fields: 7,
            ..GraphqlLimits::default()
        };
        assert!(limits.check_document(&doc).is_err());
    }

    #[test]
    fn a_fragment_cycle_is_refused_without_looping() {
        let query = "{ ...A } fragment A on Q { x { ...B } } fragment B on Q { y { ...A } }";
        assert!(check(query).is_err());
    }

    #[test]
    fn an_introspection_query_fits() {
        let query = include_str!("../tests/data/introspection.graphql");
        assert_eq!(check(query), Ok(()));
    }
}
