//! Text relevance for `/v2/context` and `/v1/context`: Okapi BM25 over one caller's memories.
//!
//! The memories are found through an inverted index kept in SQLite (migration 0042): each memory
//! is stored with its [`Bag`] of words, triggers keep the postings of every word and the size of
//! each collection (a batch of beliefs writes them itself, in the same transaction: migration
//! 0062), and a query reads the postings of its own words and two kept figures, not
//! every memory; the scores are the same as ranking the whole collection here. Not FTS5: its
//! tokenizer cuts and folds words otherwise than [`words`] does (the plural `s`, Unicode letters),
//! so its counts are not the ranking's, and its shadow tables are not plain rows that a wipe or a
//! state snapshot can treat like the others.
//!
//! Why not SQLite FTS5's `bm25()` either: its IDF, `ln((N - n + 0.5) / (n + 0.5))`, is zero or clamped
//! to almost nothing when a word occurs in half the documents or more, which is the usual case
//! for one user's handful of memories (two beliefs, one of them matching, scored 0). This uses
//! the always-positive IDF Lucene adopted, `ln(1 + (N - n + 0.5) / (n + 0.5))`, with the usual
//! k1 = 1.2, b = 0.75. The collection is the caller's own candidates, so no statistics leak
//! between tenants. Scores are mapped into 0..1 by `s / (1 + s)`, as the SDK documents a
//! relevance between 0 and 1.

use std::collections::BTreeMap;

use serde_json::Value;

const K1: f64 = 1.2;
const B: f64 = 0.75;
/// A memory's label (a belief's key, an event's type) counts half as much as its text.
const LABEL_WEIGHT: f64 = 0.5;
/// Queries are cut to this many distinct words.
const MAX_TERMS: usize = 32;

/// A memory's words as the ranking counts them: each word's weighted count. Its length is the
/// sum of the counts. (Stored with the memory, as `search_bag`: the index is built from it.)
pub type Bag = BTreeMap<String, f64>;

/// Words: letters and digits, lower-cased, with a plural `s` dropped (`charts` finds `chart`).
pub fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| {
            let w = w.to_lowercase();
            match w.strip_suffix('s') {
                Some(stem) if stem.chars().count() >= 3 && !stem.ends_with('s') => stem.to_owned(),
                _ => w,
            }
        })
}

/// The distinct words of a query.
pub fn terms(query: &str) -> Vec<String> {
    let mut terms: Vec<String> = Vec::new();
    for word in words(query) {
        if !terms.contains(&word) && terms.len() < MAX_TERMS {
            terms.push(word);
        }
    }
    terms
}

/// The bag of a memory with this label and text.
pub fn bag(label: &str, text: &str) -> Bag {
    let mut bag = Bag::new();
    for (text, weight) in [(label, LABEL_WEIGHT), (text, 1.0)] {
        for word in words(text) {
            *bag.entry(word).or_default() += weight;
        }
    }
    bag
}

/// A bag as stored: a JSON object, its words in order (a map of strings to numbers always
/// serialises; a count that is not finite would be `null`, as in a `Value`).
pub fn bag_json(bag: &Bag) -> String {
    serde_json::to_string(bag).unwrap_or_else(|_| "{}".to_owned())
}

/// The text of an event, as searched: `content.text` when there is one.
pub fn event_text(content: &Value) -> &str {
    content
        .get("text")
        .and_then(Value::as_str)
        .unwrap_or_default()
}

/// The memories a query is ranked against: how many, and their total length.
#[derive(Debug, Clone, Copy, Default)]
pub struct Collection {
    pub docs: i64,
    pub length: f64,
}

/// The relevance (0..1) of every bag that shares a word with the query, as (index, score), best
/// first; ties keep the bags' order. `bags` must hold every memory of the collection that has
/// one of the terms (and may hold others): how many have each term is counted among them.
///
/// Lengths and counts are sums of halves, exact in floating point whatever the order they are
/// added in, so the collection's figures may be kept rather than summed here.
pub fn rank(terms: &[String], collection: Collection, bags: &[&Bag]) -> Vec<(usize, f64)> {
    if terms.is_empty() || bags.is_empty() || collection.docs <= 0 {
        return Vec::new();
    }
    let n = collection.docs as f64;
    let average = (collection.length / n).max(f64::MIN_POSITIVE);
    let idf: Vec<f64> = terms
        .iter()
        .map(|t| {
            let with = bags.iter().filter(|bag| bag.contains_key(t)).count() as f64;
            (1.0 + (n - with + 0.5) / (with + 0.5)).ln()
        })
        .collect();
    let mut scored: Vec<(usize, f64)> = bags
        .iter()
        .enumerate()
        .filter_map(|(i, bag)| {
            let length: f64 = bag.values().sum();
            let mut score = 0.0;
            for (term, idf) in terms.iter().zip(&idf) {
                if let Some(tf) = bag.get(term) {
                    score += idf * tf * (K1 + 1.0) / (tf + K1 * (1.0 - B + B * length / average));
                }
            }
            (score > 0.0).then_some((i, score / (1.0 + score)))
        })
        .collect();
    scored.sort_by(|a, b| b.1.total_cmp(&a.1));
    scored
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Ranks a whole collection, as the index's answer for it would be.
    fn rank_all(query: &str, docs: &[(&str, &str)]) -> Vec<(usize, f64)> {
        let bags: Vec<Bag> = docs.iter().map(|(label, text)| bag(label, text)).collect();
        let collection = Collection {
            docs: bags.len() as i64,
            length: bags.iter().flat_map(|b| b.values()).sum(),
        };
        rank(&terms(query), collection, &bags.iter().collect::<Vec<_>>())
    }

    #[test]
    fn the_only_match_in_a_tiny_collection_still_scores() {
        let docs = [
            ("k1", "We deploy on Kubernetes with Helm charts"),
            ("k2", "Prefers green tea"),
        ];
        let ranked = rank_all("kubernetes?", &docs);
        assert_eq!(ranked.len(), 1);
        assert_eq!(ranked[0].0, 0);
        assert!(ranked[0].1 > 0.2 && ranked[0].1 < 1.0, "{ranked:?}");
    }

    #[test]
    fn more_and_rarer_matching_words_rank_higher() {
        let docs = [
            ("", "green tea"),
            ("", "green tea with rust"),
            ("", "green paint"),
        ];
        let ranked = rank_all("rust green teas", &docs);
        let order: Vec<usize> = ranked.iter().map(|(i, _)| *i).collect();
        assert_eq!(order, vec![1, 0, 2]);
    }

    #[test]
    fn words_are_case_folded_and_plurals_dropped() {
        let w: Vec<String> = words("Charts, GLASS and a bus! Ünïcode").collect();
        assert_eq!(w, ["chart", "glass", "and", "a", "bus", "ünïcode"]);
        assert!(rank_all("  ?! ", &[("", "x")]).is_empty());
    }

    #[test]
    fn a_bag_weighs_the_label_half_and_adds_up_to_the_length() {
        let b = bag("favourite_colours", "Blue, blue and green");
        assert_eq!(
            bag_json(&b),
            r#"{"and":1.0,"blue":2.0,"colour":0.5,"favourite":0.5,"green":1.0}"#
        );
    }
}
