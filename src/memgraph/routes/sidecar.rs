//! The cognitive sidecar (docs/spec/memgraph.md §7.3): memory around an LLM call. Pre-flight
//! recalls what is relevant to the user's message, within a token budget; post-flight records
//! the exchange as events and learns beliefs from what the user said (`extract.rs` holds the
//! rules); process does both. Pre-flight reads (viewer); the others write (editor).
//!
//! Emulator choices, here: a token is four characters (rounded up); `memory_context` is made of
//! sections, in this order, each line added while the whole still fits the budget: the user's
//! rules (tenets), relevant memories (as `/v2/context` ranks them, at most 10), lessons from
//! similar past decisions that have an outcome (at most 3), reminders. Post-flight learns
//! before it answers even when the client does not wait: `queued` only means the client did
//! not ask for the counts.

use axum::Json;
use serde_json::{Value, json};

use super::Result;
use crate::memgraph::auth::{Authorized, Editor, Viewer};
use crate::memgraph::extract::{self, LEARNED_CONFIDENCE};
use crate::memgraph::model::Belief;
use crate::memgraph::model::sidecar::{
    ChatMessage, Learned, PastDecision, PostFlight, PreFlight, Process, Processed, Profile,
    ProfileEntry, ProspectiveItem, Recall, SystemMessage,
};
use crate::memgraph::openapi;
use crate::memgraph::store::{NewBelief, NewEvent, Store};
use crate::memgraph::validation::Body;

const TOKEN_BUDGET: i64 = 4000;
const MEMORIES: i64 = 10;
const PAST_DECISIONS: usize = 3;
const PROFILE_EACH: i64 = 20;
const REMINDERS: i64 = 10;

/// What to recall, for whom.
struct Ask<'a> {
    user_id: &'a str,
    message: &'a str,
    token_budget: i64,
    include_profile: bool,
    include_prospective: bool,
}

#[utoipa::path(
    post,
    path = "/v1/sidecar/pre-flight",
    tag = "sidecar",
    request_body = PreFlight,
    security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "What to inject before the LLM call", body = Recall),
        openapi::Authed,
    ),
)]
pub async fn sidecar_pre_flight(
    auth: Authorized<Viewer>,
    store: Store,
    Body(body): Body<PreFlight>,
) -> Result<Json<Recall>> {
    let ask = Ask {
        user_id: &body.user_id,
        message: &body.message,
        token_budget: body.token_budget.unwrap_or(TOKEN_BUDGET),
        include_profile: body.include_profile.unwrap_or(true),
        include_prospective: body.include_prospective.unwrap_or(true),
    };
    Ok(Json(recall(&store, &auth.caller.tenant_id, &ask).await?))
}

#[utoipa::path(
    post,
    path = "/v1/sidecar/post-flight",
    tag = "sidecar",
    request_body = PostFlight,
    security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "Learned (the counts and beliefs when the client waited)", body = Learned),
        openapi::Authed,
    ),
)]
pub async fn sidecar_post_flight(
    auth: Authorized<Editor>,
    store: Store,
    Body(body): Body<PostFlight>,
) -> Result<Json<Learned>> {
    let conversation = Conversation {
        user_id: &body.user_id,
        agent_id: body.agent_id.as_deref(),
        thread_id: body.thread_id.as_deref(),
    };
    let (events, extracted, beliefs) = learn(
        &store,
        &auth.caller.tenant_id,
        &conversation,
        &body.messages,
    )
    .await?;
    let waited = body.wait.unwrap_or(false);
    Ok(Json(Learned {
        status: if waited { "completed" } else { "queued" },
        messages_received: body.messages.len(),
        events_recorded: waited.then_some(events),
        beliefs_extracted: waited.then_some(extracted),
        beliefs: waited.then_some(beliefs),
    }))
}

/// Recall for the last user message, then learn from the exchange before it. When the last
/// message is the user's, that exchange runs from the user's previous message up to it;
/// otherwise from the last user message to the end. Clients send the whole conversation at
/// every turn, so only that exchange is learned (and recorded as events), never older ones
/// again.
#[utoipa::path(
    post,
    path = "/v1/sidecar/process",
    tag = "sidecar",
    request_body = Process,
    security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "What to inject, and what was learned", body = Processed),
        openapi::Authed,
    ),
)]
pub async fn sidecar_process(
    auth: Authorized<Editor>,
    store: Store,
    Body(body): Body<Process>,
) -> Result<Json<Processed>> {
    let tenant = &auth.caller.tenant_id;
    let messages = &body.messages;
    let last_user = messages.iter().rposition(|m| m.role == "user");
    let (current, exchange) = match last_user {
        Some(i) if i + 1 == messages.len() => {
            let previous = messages[..i].iter().rposition(|m| m.role == "user");
            (
                Some(&messages[i]),
                previous.map_or(&messages[..0], |p| &messages[p..i]),
            )
        }
        Some(i) => (Some(&messages[i]), &messages[i..]),
        None => (None, &messages[..0]),
    };
    let ask = Ask {
        user_id: &body.user_id,
        message: current.map_or("", |m| m.content.as_str()),
        token_budget: body.token_budget.unwrap_or(TOKEN_BUDGET),
        include_profile: body.include_profile.unwrap_or(true),
        include_prospective: body.include_prospective.unwrap_or(true),
    };
    let recalled = recall(&store, tenant, &ask).await?;
    let conversation = Conversation {
        user_id: &body.user_id,
        agent_id: body.agent_id.as_deref(),
        thread_id: body.thread_id.as_deref(),
    };
    let (_, extracted, _) = learn(&store, tenant, &conversation, exchange).await?;
    Ok(Json(Processed {
        recall: recalled,
        learning_triggered: !exchange.is_empty(),
        messages_learned: exchange.len(),
        beliefs_extracted: extracted,
    }))
}

/// A token is about four characters.
fn tokens(text: &str) -> i64 {
    let chars = i64::try_from(text.chars().count()).unwrap_or(i64::MAX);
    (chars + 3) / 4
}

/// Text made of titled sections, each line added only while the whole fits the budget.
struct Budgeted {
    text: String,
    budget: i64,
}

impl Budgeted {
    /// Adds what fits of one section; returns which lines made it.
    fn section(&mut self, title: &str, lines: &[String]) -> Vec<usize> {
        let mut taken = Vec::new();
        for (i, line) in lines.iter().enumerate() {
            let mut next = self.text.clone();
            if taken.is_empty() {
                if !next.is_empty() {
                    next.push_str("\n\n");
                }
                next.push_str(title);
            }
            next.push_str("\n- ");
            next.push_str(line);
            if tokens(&next) <= self.budget {
                self.text = next;
                taken.push(i);
            }
        }
        taken
    }
}

async fn recall(store: &Store, tenant_id: &str, ask: &Ask<'_>) -> Result<Recall> {
    let (memories, _) =
        super::memory::memories(store, tenant_id, ask.message, Some(ask.user_id), MEMORIES).await?;
    let similar = super::decisions::similar_decisions(
        store,
        tenant_id,
        ask.message,
        Some(ask.user_id),
        PAST_DECISIONS,
    )
    .await?;
    let profile_beliefs = if ask.include_profile {
        store
            .profile_beliefs(tenant_id, ask.user_id, PROFILE_EACH)
            .await?
    } else {
        Vec::new()
    };
    let reminders = if ask.include_prospective {
        store
            .prospective_beliefs(tenant_id, ask.user_id, REMINDERS)
            .await?
    } else {
        Vec::new()
    };

    let mut context = Budgeted {
        text: String::new(),
        budget: ask.token_budget,
    };
    let of_type = |t: &str| -> Vec<&Belief> {
        profile_beliefs
            .iter()
            .filter(|b| b.belief_type == t)
            .collect()
    };
    let rules: Vec<String> = of_type("tenet").iter().map(|b| b.value.clone()).collect();
    context.section("User rules:", &rules);
    let memory_lines: Vec<String> = memories
        .iter()
        .map(|m| m["content"].as_str().unwrap_or_default().to_owned())
        .collect();
    let included = context.section("Relevant memories:", &memory_lines);
    let lessons: Vec<String> = similar
        .iter()
        .filter_map(|(d, _)| {
            let outcome = d.outcome?;
            let why = d.feedback.as_deref().or(d.outcome_assessment.as_deref());
            Some(match why {
                Some(why) => format!("{}: {} ({why})", d.goal, outcome.as_str()),
                None => format!("{}: {}", d.goal, outcome.as_str()),
            })
        })
        .collect();
    context.section("Lessons from past attempts:", &lessons);
    let reminder_lines: Vec<String> = reminders.iter().map(|b| b.value.clone()).collect();
    context.section("Reminders:", &reminder_lines);

    let entries = |t: &str| -> Vec<ProfileEntry> {
        of_type(t)
            .into_iter()
            .map(|b| ProfileEntry {
                key: b.key.clone(),
                value: b.value.clone(),
                confidence: b.confidence,
            })
            .collect()
    };
    let profile = ask.include_profile.then(|| Profile {
        tenets: entries("tenet"),
        preferences: entries("preference"),
        facts: entries("fact"),
    });
    let memory_context = context.text;
    let tokens_used = tokens(&memory_context);
    let system_messages = if memory_context.is_empty() {
        Vec::new()
    } else {
        vec![SystemMessage {
            role: "system",
            content: memory_context.clone(),
        }]
    };
    let memories: Vec<Value> = included
        .into_iter()
        .filter_map(|i| memories.get(i).cloned())
        .collect();
    Ok(Recall {
        memory_context,
        system_messages,
        memories_found: memories.len(),
        memories,
        past_decisions: similar
            .into_iter()
            .map(|(d, score)| PastDecision {
                id: d.id,
                goal: d.goal,
                outcome: d.outcome,
                outcome_assessment: d.outcome_assessment,
                feedback: d.feedback,
                score,
                created_at: d.created_at,
            })
            .collect(),
        profile,
        prospective_items: reminders
            .into_iter()
            .map(|b| ProspectiveItem {
                id: b.id,
                content: b.value,
                created_at: b.created_at,
            })
            .collect(),
        token_budget: ask.token_budget,
        tokens_used,
    })
}

/// Whose conversation it is.
struct Conversation<'a> {
    user_id: &'a str,
    agent_id: Option<&'a str>,
    thread_id: Option<&'a str>,
}

/// Records the messages as events and writes the beliefs the user's messages state. Returns
/// (events recorded, statements found, the beliefs as written).
async fn learn(
    store: &Store,
    tenant_id: &str,
    who: &Conversation<'_>,
    messages: &[ChatMessage],
) -> Result<(usize, usize, Vec<Belief>)> {
    for m in messages {
        let event_type = match m.role.as_str() {
            "user" => "user_message",
            "assistant" => "agent_response",
            "system" => "system_log",
            "tool" => "tool_call",
            other => other,
        };
        let event = NewEvent {
            user_id: who.user_id.to_owned(),
            agent_id: who.agent_id.map(str::to_owned),
            thread_id: who.thread_id.map(str::to_owned),
            event_type: event_type.to_owned(),
            content: json!({"text": m.content, "role": m.role}),
        };
        store.record_event(tenant_id, &event).await?;
    }
    let statements: Vec<NewBelief> = messages
        .iter()
        .filter(|m| m.role == "user")
        .flat_map(|m| extract::statements(&m.content))
        .map(|s| NewBelief {
            subject_id: who.user_id.to_owned(),
            key: s.key,
            value: s.value,
            confidence: LEARNED_CONFIDENCE,
            belief_type: s.belief_type.to_owned(),
            domain: s.domain.to_owned(),
        })
        .collect();
    let beliefs = if statements.is_empty() {
        Vec::new()
    } else {
        store.create_beliefs(tenant_id, &statements).await?
    };
    Ok((messages.len(), statements.len(), beliefs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_take_the_lines_that_fit() {
        let mut text = Budgeted {
            text: String::new(),
            budget: 12,
        };
        let lines = vec!["a".repeat(20), "b".repeat(60), "c".repeat(5)];
        assert_eq!(text.section("Memories:", &lines), vec![0, 2]);
        assert!(tokens(&text.text) <= 12, "{}", text.text);
        assert_eq!(
            text.section("More:", &["d".repeat(40)]),
            Vec::<usize>::new()
        );
        assert_eq!(tokens("abcde"), 2);
    }
}
