//! What the sidecar learns from a conversation (`/v1/sidecar/post-flight`, `process`;
//! docs/spec/memgraph.md §7.3). The real service has an LLM extract beliefs; the emulator's
//! choice, all of it here, is a small set of first-person sentence patterns, so the same words
//! always give the same beliefs:
//!
//! - Only the user's messages are read, sentence by sentence (split at `.`, `!`, `?`, line
//!   ends); questions are skipped.
//! - The belief's value is the sentence as said (without its final `.` or `!`); its key says
//!   what it is about, so saying something new about the same thing supersedes the old belief
//!   (and records a contradiction, as any write does).
//!
//! | The sentence starts with | key | type | domain |
//! |---|---|---|---|
//! | remind me (to), don't let me forget (to) | `reminder_<words>` | belief | prospective |
//! | my name is, call me | `name` | fact | personal |
//! | i moved to, i relocated to, i live in, i'm/i am based in, i'm/i am living in | `location` | fact | personal |
//! | i work at, i work for, i joined | `employer` | fact | work |
//! | i work as, i'm a/an, i am a/an | `occupation` | fact | work |
//! | my X is/are Y | `X` (its words) | fact | personal |
//! | i prefer, i like, i love, i enjoy, i hate, i dislike, i don't like | `preference_<first 3 words after it>` | preference | general |
//! | always, never, please always, please never | `tenet_<words>` | tenet | rules |
//! | any other i, i'm, i've, i'd, i'll, we, our | `statement_<words>_<6 hex of its SHA-256>` | belief | general |
//!
//! `<words>` is the sentence's first five words (letters and digits, lower-cased) joined by `_`.

use crate::auth::digest_hex;
use crate::memgraph::store::PROSPECTIVE_DOMAIN;

/// The confidence of a belief the sidecar learned (below the 0.9 of a stated one).
pub const LEARNED_CONFIDENCE: f64 = 0.8;

/// A belief to write.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    pub key: String,
    pub value: String,
    pub belief_type: &'static str,
    pub domain: &'static str,
}

/// The beliefs in one user message, in order.
pub fn statements(text: &str) -> Vec<Statement> {
    sentences(text).filter_map(statement).collect()
}

/// Sentences with their final mark; a question keeps its `?` so it can be skipped.
fn sentences(text: &str) -> impl Iterator<Item = &str> {
    text.split_inclusive(['.', '!', '?', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

fn statement(sentence: &str) -> Option<Statement> {
    if sentence.ends_with('?') {
        return None;
    }
    let value = sentence
        .trim_end_matches(['.', '!', '\n'])
        .trim()
        .to_owned();
    // Typographic apostrophes read as plain ones.
    let lower = value.to_lowercase().replace('\u{2019}', "'");
    let starts = |prefixes: &[&str]| -> Option<String> {
        prefixes
            .iter()
            .find_map(|p| lower.strip_prefix(p).map(|rest| rest.trim().to_owned()))
    };
    let fact = |key: String, domain| Statement {
        key,
        value: value.clone(),
        belief_type: "fact",
        domain,
    };
    if let Some(rest) = starts(&[
        "remind me to ",
        "don't let me forget to ",
        "remind me ",
        "don't let me forget ",
    ]) {
        return Some(Statement {
            key: format!("reminder_{}", slug(&rest, 5)?),
            value,
            belief_type: "belief",
            domain: PROSPECTIVE_DOMAIN,
        });
    }
    if starts(&["my name is ", "call me "]).is_some() {
        return Some(fact("name".into(), "personal"));
    }
    if starts(&[
        "i moved to ",
        "i relocated to ",
        "i live in ",
        "i'm based in ",
        "i am based in ",
        "i'm living in ",
        "i am living in ",
    ])
    .is_some()
    {
        return Some(fact("location".into(), "personal"));
    }
    if starts(&["i work at ", "i work for ", "i joined "]).is_some() {
        return Some(fact("employer".into(), "work"));
    }
    if starts(&["i work as ", "i'm a ", "i'm an ", "i am a ", "i am an "]).is_some() {
        return Some(fact("occupation".into(), "work"));
    }
    if let Some(rest) = starts(&["my "]) {
        let about = [" is ", " are "]
            .iter()
            .filter_map(|verb| rest.find(verb))
            .min()
            .map(|at| &rest[..at]);
        if let Some(key) = about.and_then(|a| slug(a, 5)) {
            return Some(fact(key, "personal"));
        }
    }
    if let Some(rest) = starts(&[
        "i prefer ",
        "i like ",
        "i love ",
        "i enjoy ",
        "i hate ",
        "i dislike ",
        "i don't like ",
    ]) {
        return Some(Statement {
            key: format!("preference_{}", slug(&rest, 3)?),
            value,
            belief_type: "preference",
            domain: "general",
        });
    }
    if starts(&["always ", "never ", "please always ", "please never "]).is_some() {
        return Some(Statement {
            key: format!("tenet_{}", slug(&lower, 5)?),
            value,
            belief_type: "tenet",
            domain: "rules",
        });
    }
    let first_person = ["i ", "i'm ", "i've ", "i'd ", "i'll ", "we ", "our "];
    if first_person.iter().any(|p| lower.starts_with(p)) {
        let hash = digest_hex(&lower);
        return Some(Statement {
            key: format!("statement_{}_{}", slug(&lower, 5)?, &hash[..6]),
            value,
            belief_type: "belief",
            domain: "general",
        });
    }
    None
}

/// The first `n` words (letters and digits, lower-cased) joined by `_`; `None` when there are none.
fn slug(text: &str, n: usize) -> Option<String> {
    let words: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(n)
        .map(str::to_lowercase)
        .collect();
    (!words.is_empty()).then(|| words.join("_"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str) -> Statement {
        let mut found = statements(text);
        assert_eq!(found.len(), 1, "{text}: {found:?}");
        found.remove(0)
    }

    #[test]
    fn a_move_is_the_users_location() {
        let s = one("I moved to Berlin last month.");
        assert_eq!(s.key, "location");
        assert_eq!(s.value, "I moved to Berlin last month");
        assert_eq!((s.belief_type, s.domain), ("fact", "personal"));
        assert_eq!(one("I live in Paris").key, "location");
    }

    #[test]
    fn my_x_is_y_is_keyed_by_x() {
        let s = one("My favourite colour is blue!");
        assert_eq!(s.key, "favourite_colour");
        assert_eq!(one("My cats are called Tom and Jerry").key, "cats");
    }

    #[test]
    fn preferences_tenets_and_reminders() {
        let p = one("I prefer dark mode in every editor");
        assert_eq!(
            (p.key.as_str(), p.belief_type),
            ("preference_dark_mode_in", "preference")
        );
        let t = one("Always answer in British English.");
        assert_eq!(
            (t.key.as_str(), t.belief_type),
            ("tenet_always_answer_in_british_english", "tenet")
        );
        let r = one("Remind me to renew my passport");
        assert_eq!(
            (r.key.as_str(), r.domain),
            ("reminder_renew_my_passport", "prospective")
        );
    }

    #[test]
    fn questions_and_other_peoples_news_teach_nothing() {
        assert!(statements("Where do I live? What is the weather like.").is_empty());
        assert!(statements("The weather is nice").is_empty());
    }

    #[test]
    fn other_first_person_sentences_are_kept_under_a_stable_key() {
        let found = statements("I’ve got two kids. We ship on Fridays.");
        assert_eq!(found.len(), 2);
        assert!(found[0].key.starts_with("statement_i_ve_got_two_kids_"));
        assert_eq!(found, statements("I’ve got two kids. We ship on Fridays."));
    }
}
