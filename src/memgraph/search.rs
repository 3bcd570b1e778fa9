//! Text relevance for `/v2/context` and `/v1/context`: Okapi BM25 over one caller's memories.
//!
//! Why not SQLite FTS5's `bm25()`: its IDF, `ln((N - n + 0.5) / (n + 0.5))`, is zero or clamped
//! to almost nothing when a word occurs in half the documents or more, which is the usual case
//! for one user's handful of memories (two beliefs, one of them matching, scored 0). This uses
//! the always-positive IDF Lucene adopted, `ln(1 + (N - n + 0.5) / (n + 0.5))`, with the usual
//! k1 = 1.2, b = 0.75. The collection is the caller's own candidates, so no statistics leak
//! between tenants. Scores are mapped into 0..1 by `s / (1 + s)`, as the SDK documents a
//! relevance between 0 and 1.

use std::collections::HashMap;

const K1: f64 = 1.2;
const B: f64 = 0.75;
/// A memory's label (a belief's key) counts half as much as its text.
const LABEL_WEIGHT: f64 = 0.5;
/// Queries are cut to this many distinct words.
const MAX_TERMS: usize = 32;

/// A document to rank: its label and text.
pub struct Doc<'a> {
    pub label: &'a str,
    pub text: &'a str,
}

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

/// The relevance (0..1) of every document that shares a word with the query, as
/// (index, score), best first; ties keep the documents' order.
pub fn rank(terms: &[String], docs: &[Doc]) -> Vec<(usize, f64)> {
    if terms.is_empty() || docs.is_empty() {
        return Vec::new();
    }
    // Weighted term frequencies and lengths.
    let bags: Vec<(HashMap<String, f64>, f64)> = docs
        .iter()
        .map(|doc| {
            let mut bag: HashMap<String, f64> = HashMap::new();
            let mut length = 0.0;
            for (text, weight) in [(doc.label, LABEL_WEIGHT), (doc.text, 1.0)] {
                for word in words(text) {
                    *bag.entry(word).or_default() += weight;
                    length += weight;
                }
            }
            (bag, length)
        })
        .collect();
    let n = docs.len() as f64;
    let average = (bags.iter().map(|(_, l)| l).sum::<f64>() / n).max(f64::MIN_POSITIVE);
    let idf: Vec<f64> = terms
        .iter()
        .map(|t| {
            let with = bags.iter().filter(|(bag, _)| bag.contains_key(t)).count() as f64;
            (1.0 + (n - with + 0.5) / (with + 0.5)).ln()
        })
        .collect();
    let mut scored: Vec<(usize, f64)> = bags
        .iter()
        .enumerate()
        .filter_map(|(i, (bag, length))| {
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

    fn doc<'a>(label: &'a str, text: &'a str) -> Doc<'a> {
        Doc { label, text }
    }

    #[test]
    fn the_only_match_in_a_tiny_collection_still_scores() {
        let docs = [
            doc("k1", "We deploy on Kubernetes with Helm charts"),
            doc("k2", "Prefers green tea"),
        ];
        let ranked = rank(&terms("kubernetes?"), &docs);
        assert_eq!(ranked.len(), 1);
        assert_eq!(ranked[0].0, 0);
        assert!(ranked[0].1 > 0.2 && ranked[0].1 < 1.0, "{ranked:?}");
    }

    #[test]
    fn more_and_rarer_matching_words_rank_higher() {
        let docs = [
            doc("", "green tea"),
            doc("", "green tea with rust"),
            doc("", "green paint"),
        ];
        let ranked = rank(&terms("rust green teas"), &docs);
        let order: Vec<usize> = ranked.iter().map(|(i, _)| *i).collect();
        assert_eq!(order, vec![1, 0, 2]);
    }

    #[test]
    fn words_are_case_folded_and_plurals_dropped() {
        let w: Vec<String> = words("Charts, GLASS and a bus! Ünïcode").collect();
        assert_eq!(w, ["chart", "glass", "and", "a", "bus", "ünïcode"]);
        assert!(rank(&terms("  ?! "), &[doc("", "x")]).is_empty());
    }
}
