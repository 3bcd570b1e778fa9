//! Shared error plumbing. Each service owns its wire error shape (`<service>/error.rs`); this is
//! only the carrier for failures that are ours, not the client's (a database that went away,
//! a task that panicked). Services answer them with their generic 500 and log them once.

use crate::db;
use std::fmt;

/// An internal failure: never caused by request input, never shown to the client.
pub struct Internal(Box<dyn std::error::Error + Send + Sync>);

impl Internal {
    pub fn msg(message: impl Into<String>) -> Internal {
        Internal(message.into().into())
    }

    pub fn from_error(e: impl std::error::Error + Send + Sync + 'static) -> Internal {
        Internal(Box::new(e))
    }

    /// The failure, if it is of type `T` (a failure the caller answers in a way of its own).
    pub fn downcast_ref<T: std::error::Error + 'static>(&self) -> Option<&T> {
        self.0.downcast_ref::<T>()
    }

    /// Logs the failure; called once, where it becomes a response.
    pub fn log(&self) {
        tracing::error!(error = %self.0, "internal error");
    }
}

impl fmt::Debug for Internal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Internal({})", self.0)
    }
}

impl fmt::Display for Internal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl From<db::Error> for Internal {
    fn from(e: db::Error) -> Self {
        Internal(Box::new(e))
    }
}

impl From<rusqlite::Error> for Internal {
    fn from(e: rusqlite::Error) -> Self {
        Internal(Box::new(e))
    }
}

impl From<tokio::task::JoinError> for Internal {
    fn from(e: tokio::task::JoinError) -> Self {
        Internal(Box::new(e))
    }
}

impl From<serde_json::Error> for Internal {
    fn from(e: serde_json::Error) -> Self {
        Internal(Box::new(e))
    }
}

/// True when a write failed on a UNIQUE constraint: each service maps that to its own "already
/// exists" answer.
pub fn is_unique_violation(e: &db::Error) -> bool {
    e.is_unique_violation()
}
