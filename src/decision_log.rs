//! The decision log line and the decision metric: what every decision
//! writes, in one place, with the fields docs/operations.md's schema lists.

use std::sync::Arc;

use serde_json::Value;

use crate::decision_cache::VerifiedToken;
use crate::error::Decision;
use crate::event::ApiType;
use crate::metrics::{DecisionMetric, Metrics};

/// What the decision log line reports, filled in as the checks go.
#[derive(Debug, Default)]
pub(crate) struct Trace {
    /// Whether the decision cache answered.
    pub cached: bool,
    /// The header's algorithm, once read.
    pub alg: Option<&'static str>,
    /// The header's kid, before a key verified the token.
    pub kid: Option<String>,
    /// The token, once verified or remembered: its kid, `iss` and `sub`.
    pub verified: Option<Arc<VerifiedToken>>,
    /// The API the event came from, once its kind is known.
    pub api: Option<ApiType>,
}

impl Trace {
    /// The kid of the verified token, else the header's.
    pub fn kid(&self) -> &str {
        match &self.verified {
            Some(verified) => &verified.key.kid,
            None => self.kid.as_deref().unwrap_or(""),
        }
    }

    /// A claim of the verified token, if it is a string.
    pub fn claim(&self, name: &str) -> &str {
        self.verified
            .as_ref()
            .and_then(|verified| verified.claims.get(name))
            .and_then(Value::as_str)
            .unwrap_or("")
    }
}

/// One decision, as its log line and metric say it.
pub(crate) struct Line<'a> {
    pub decision: Decision,
    pub reason: &'static str,
    pub trace: &'a Trace,
    pub connection_id: &'a str,
    pub request_id: &'a str,
    pub cold_start: bool,
    pub duration_us: u64,
}

/// Writes the decision log line and counts the decision.
pub(crate) fn write(metrics: &Metrics, line: Line<'_>) {
    let Line {
        decision,
        reason,
        trace,
        connection_id,
        request_id,
        cold_start,
        duration_us,
    } = line;
    let api_type = trace.api.map_or("unknown", ApiType::name);
    tracing::info!(
        decision = decision.name(),
        reason,
        alg = trace.alg.unwrap_or(""),
        kid = trace.kid(),
        iss = trace.claim("iss"),
        sub = if decision == Decision::Allow {
            trace.claim("sub")
        } else {
            ""
        },
        cached = trace.cached,
        cold_start,
        api_type,
        connection_id,
        request_id,
        duration_us,
        "decision"
    );
    metrics.decision(DecisionMetric {
        decision,
        reason,
        api_type,
        duration_us,
        cached: trace.cached,
        cold_start,
    });
}
