//! Per-session counters: how often each operation was called and with which statuses, the
//! violations found, and the session's `strict` setting. Kept apart from the request journal,
//! which drops old entries: coverage must not depend on its size.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

use serde::Serialize;

use super::{Checked, Pending, Rule};
use crate::clip::clipped;
use crate::session::SessionName;

/// Violations kept per session, oldest dropped first (a suite that breaks the contract on every
/// request must not grow the process without bound).
const MAX_VIOLATIONS: usize = 10_000;

/// Bytes kept of a violation's message, path and request id: each may quote what the client sent
/// (a field name, a path, a header), of any length.
const TEXT_LIMIT: usize = 1024;

#[derive(Default)]
pub struct Ledgers(Mutex<HashMap<SessionName, Ledger>>);

#[derive(Default)]
struct Ledger {
    calls: HashMap<(&'static str, Arc<str>), Counts>,
    violations: VecDeque<Violation>,
    strict: Option<bool>,
}

#[derive(Default, Clone)]
struct Counts {
    calls: u64,
    statuses: BTreeMap<u16, u64>,
}

/// One operation's line of coverage.
#[derive(Debug, Clone, Serialize)]
pub struct Calls {
    pub operation: Arc<str>,
    pub calls: u64,
    /// By status, as text (`"200"`), as JSON keys are.
    pub statuses: BTreeMap<String, u64>,
}

/// A request that broke the real API's contract, as `GET /_offcloud/contract/violations` lists it.
#[derive(Debug, Clone, Serialize)]
pub struct Violation {
    /// The request's `X-Request-Id` (also in the journal's entry and on the response).
    pub request_id: String,
    pub service: &'static str,
    /// The operation it called, when it reached one.
    pub operation: Option<String>,
    pub rule: Rule,
    pub message: String,
    pub method: String,
    /// As the client sent it.
    pub path: String,
    pub status: u16,
}

impl Ledgers {
    fn lock(&self) -> MutexGuard<'_, HashMap<SessionName, Ledger>> {
        // Counters are updated in place, whole: a poisoned lock still holds valid ones.
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn record(&self, session: &SessionName, pending: Pending, status: u16, checked: Checked) {
        let mut ledgers = self.lock();
        let ledger = ledgers.entry(session.clone()).or_default();
        for operation in checked.operations {
            let counts = ledger
                .calls
                .entry((pending.service, operation))
                .or_default();
            counts.calls += 1;
            *counts.statuses.entry(status).or_default() += 1;
        }
        for finding in checked.findings {
            if ledger.violations.len() >= MAX_VIOLATIONS {
                ledger.violations.pop_front();
            }
            ledger.violations.push_back(Violation {
                request_id: clipped(pending.request_id.clone(), TEXT_LIMIT),
                service: pending.service,
                operation: finding.operation.map(|o| o.to_string()),
                rule: finding.rule,
                message: clipped(finding.message, TEXT_LIMIT),
                method: clipped(pending.method.clone(), TEXT_LIMIT),
                path: clipped(pending.path.clone(), TEXT_LIMIT),
                status,
            });
        }
    }

    /// Every operation of `operations`, with the session's calls (0 for those never called).
    pub fn calls(
        &self,
        session: &SessionName,
        service: &'static str,
        operations: &[Arc<str>],
    ) -> Vec<Calls> {
        let ledgers = self.lock();
        let ledger = ledgers.get(session);
        operations
            .iter()
            .map(|operation| {
                let counts = ledger
                    .and_then(|l| l.calls.get(&(service, operation.clone())))
                    .cloned()
                    .unwrap_or_default();
                Calls {
                    operation: operation.clone(),
                    calls: counts.calls,
                    statuses: counts
                        .statuses
                        .iter()
                        .map(|(status, n)| (status.to_string(), *n))
                        .collect(),
                }
            })
            .collect()
    }

    /// The session's violations of `service` (or every service), oldest first: the newest `limit`.
    pub fn violations(
        &self,
        session: &SessionName,
        service: Option<&str>,
        limit: usize,
    ) -> Vec<Violation> {
        self.lock().get(session).map_or_else(Vec::new, |ledger| {
            let mut newest: Vec<Violation> = ledger
                .violations
                .iter()
                .rev()
                .filter(|v| service.is_none_or(|s| s == v.service))
                .take(limit)
                .cloned()
                .collect();
            newest.reverse();
            newest
        })
    }

    pub fn clear_violations(&self, session: &SessionName, service: Option<&str>) -> usize {
        let mut ledgers = self.lock();
        let Some(ledger) = ledgers.get_mut(session) else {
            return 0;
        };
        let before = ledger.violations.len();
        ledger
            .violations
            .retain(|v| service.is_some_and(|s| s != v.service));
        before - ledger.violations.len()
    }

    pub fn clear_calls(&self, session: &SessionName, service: Option<&str>) {
        if let Some(ledger) = self.lock().get_mut(session) {
            ledger
                .calls
                .retain(|(s, _), _| service.is_some_and(|name| name != *s));
        }
    }

    pub fn strict(&self, session: &SessionName) -> Option<bool> {
        self.lock().get(session).and_then(|l| l.strict)
    }

    pub fn set_strict(&self, session: &SessionName, strict: bool) {
        self.lock().entry(session.clone()).or_default().strict = Some(strict);
    }

    pub fn forget(&self, session: &SessionName) {
        self.lock().remove(session);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::Finding;

    #[test]
    fn a_violation_keeps_a_bounded_prefix_of_what_the_client_sent() {
        let ledgers = Ledgers::default();
        let session = SessionName::default_session();
        let huge = "x".repeat(1024 * 1024);
        let pending = Pending {
            service: "memgraph",
            request_id: huge.clone(),
            method: "POST".to_owned(),
            path: format!("/v1/{huge}"),
        };
        let checked = Checked {
            operations: Vec::new(),
            findings: vec![Finding {
                operation: None,
                rule: Rule::UnknownField,
                message: format!("`body.{huge}` is not defined by the API"),
            }],
        };
        ledgers.record(&session, pending, 422, checked);
        let kept = ledgers.violations(&session, None, 10);
        assert_eq!(kept.len(), 1);
        for text in [&kept[0].message, &kept[0].path, &kept[0].request_id] {
            assert!(text.len() < 2 * TEXT_LIMIT, "{} bytes kept", text.len());
            assert!(text.ends_with("more characters)"));
        }
    }
}
