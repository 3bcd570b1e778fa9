//! The cognitive sidecar's wire types (docs/spec/memgraph.md §7.3): recall before an LLM call
//! (pre-flight), learning after it (post-flight), or both (process).

use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::Belief;
use super::decisions::Outcome;

/// One message of a conversation.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct ChatMessage {
    /// `user`, `assistant`, `system`...: only the user's messages are learned from.
    pub role: String,
    pub content: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct PreFlight {
    pub user_id: String,
    /// Accepted: recall is per user, whichever agent asks.
    #[allow(dead_code)]
    pub agent_id: Option<String>,
    /// What the user just said: memories relevant to it are recalled.
    pub message: String,
    /// Accepted: recall is per user, whichever thread asks.
    #[allow(dead_code)]
    pub thread_id: Option<String>,
    /// How many tokens `memory_context` may take (about four characters each); 4000 by default.
    #[schema(minimum = 1, maximum = 1000000, default = 4000)]
    pub token_budget: Option<i64>,
    /// Include the user's tenets, preferences and facts (true by default).
    pub include_profile: Option<bool>,
    /// Include what the user asked to be reminded of (true by default).
    pub include_prospective: Option<bool>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct PostFlight {
    pub user_id: String,
    pub agent_id: Option<String>,
    #[schema(inline)]
    pub messages: Vec<ChatMessage>,
    pub thread_id: Option<String>,
    /// Answer with what was learned (the emulator learns before answering either way).
    pub wait: Option<bool>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct Process {
    pub user_id: String,
    pub agent_id: Option<String>,
    /// The conversation so far; its last user message is what to recall for.
    #[schema(inline)]
    pub messages: Vec<ChatMessage>,
    pub thread_id: Option<String>,
    #[schema(minimum = 1, maximum = 1000000, default = 4000)]
    pub token_budget: Option<i64>,
    pub include_profile: Option<bool>,
    pub include_prospective: Option<bool>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SystemMessage {
    pub role: &'static str,
    pub content: String,
}

/// A belief in the profile: `{key, value}` is what the SDK's middleware prints.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProfileEntry {
    pub key: String,
    pub value: String,
    pub confidence: f64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Profile {
    pub tenets: Vec<ProfileEntry>,
    pub preferences: Vec<ProfileEntry>,
    pub facts: Vec<ProfileEntry>,
}

/// Something the user asked to be reminded of.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProspectiveItem {
    pub id: String,
    pub content: String,
    pub created_at: String,
}

/// An earlier attempt at a similar task, and how it turned out.
#[derive(Debug, Serialize, ToSchema)]
pub struct PastDecision {
    pub id: String,
    pub goal: String,
    #[schema(inline)]
    pub outcome: Option<Outcome>,
    pub outcome_assessment: Option<String>,
    pub feedback: Option<String>,
    /// How similar its goal is to the message (0..1).
    pub score: f64,
    pub created_at: String,
}

/// What pre-flight recalls (and process answers, with its learning fields).
#[derive(Debug, Serialize, ToSchema)]
pub struct Recall {
    /// Text to inject as a system message: the memories, lessons, profile and reminders.
    pub memory_context: String,
    /// `memory_context` as a ready-made message list (empty when there is nothing to say).
    pub system_messages: Vec<SystemMessage>,
    pub memories_found: usize,
    /// The memories in `memory_context`, as `/v2/context` ranks them.
    #[schema(value_type = Vec<Object>)]
    pub memories: Vec<Value>,
    pub past_decisions: Vec<PastDecision>,
    pub profile: Option<Profile>,
    pub prospective_items: Vec<ProspectiveItem>,
    pub token_budget: i64,
    /// The estimated size of `memory_context` (about four characters a token).
    pub tokens_used: i64,
}

/// `POST /v1/sidecar/post-flight`. `status` is `queued` unless the client waited; the counts
/// and beliefs are there only when it did.
#[derive(Debug, Serialize, ToSchema)]
pub struct Learned {
    pub status: &'static str,
    pub messages_received: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub events_recorded: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub beliefs_extracted: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub beliefs: Option<Vec<Belief>>,
}

/// `POST /v1/sidecar/process`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Processed {
    #[serde(flatten)]
    pub recall: Recall,
    /// Whether earlier messages were there to learn from.
    pub learning_triggered: bool,
    pub messages_learned: usize,
    pub beliefs_extracted: usize,
}
