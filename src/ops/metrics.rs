//! CloudWatch metrics in the Embedded Metric Format: one JSON line on stdout
//! per event, which CloudWatch Logs turns into metrics with no API call and
//! no extra latency.
//!
//! Four lines exist: a decision (count, latency, cache hit, cold start, by
//! decision and reason), a key set fetch (count and latency by result), a
//! fetch skipped because of the backoff after a failure, and a stale key set
//! served. Dimensions are few on purpose: each combination is
//! a billed custom metric.

use std::io::Write;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::error::Decision;

/// The CloudWatch namespace of every metric.
pub const NAMESPACE: &str = "WsJwtAuthorizer";

/// Writes metric lines for one function, or nothing when turned off.
#[derive(Debug, Clone)]
pub struct Metrics {
    /// The function name, already a JSON string literal.
    function_name: Option<String>,
}

/// One decision, as the metrics see it.
#[derive(Debug, Clone, Copy)]
pub struct DecisionMetric {
    /// What was decided.
    pub decision: Decision,
    /// The reason code.
    pub reason: &'static str,
    /// The API type (`websocket`, `rest`, `http`, or `unknown` for a body
    /// that is not an event).
    pub api_type: &'static str,
    /// Time spent deciding, in microseconds.
    pub duration_us: u64,
    /// Whether the decision cache answered.
    pub cached: bool,
    /// Whether this is the execution environment's first decision.
    pub cold_start: bool,
}

impl Metrics {
    /// Metrics for `function_name`; `None` turns them off.
    pub fn new(function_name: Option<&str>) -> Self {
        Metrics {
            function_name: function_name
                .map(|name| serde_json::Value::String(name.to_owned()).to_string()),
        }
    }

    /// Whether lines are written.
    pub fn enabled(&self) -> bool {
        self.function_name.is_some()
    }

    /// Writes the line of one decision.
    pub fn decision(&self, metric: DecisionMetric) {
        self.emit(|function, timestamp| decision_line(function, timestamp, metric));
    }

    /// Writes the line of one key set fetch, by its result: `ok`, `empty`
    /// and `gone` (the provider answered), or an outage (`unreachable`,
    /// `timeout`, `http_status`, `too_large`, `invalid`).
    pub fn key_set_fetch(&self, result: &'static str, duration_ms: u64) {
        self.emit(|function, timestamp| fetch_line(function, timestamp, result, duration_ms));
    }

    /// Writes the line of a fetch not made: the backoff after a failed
    /// fetch had not passed.
    pub fn key_set_fetch_skipped(&self) {
        self.emit(skipped_line);
    }

    /// Writes the line of a stale key set served because a refresh failed.
    pub fn stale_keys_served(&self) {
        self.emit(stale_line);
    }

    fn emit(&self, line: impl FnOnce(&str, u128) -> String) {
        let Some(function) = &self.function_name else {
            return;
        };
        let timestamp = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|elapsed| elapsed.as_millis())
            .unwrap_or_default();
        let mut line = line(function, timestamp);
        line.push('\n');
        // One write per line, so concurrent lines never interleave; a closed
        // stdout must not fail a decision.
        let _ = std::io::stdout().lock().write_all(line.as_bytes());
    }
}

fn decision_line(function: &str, timestamp: u128, metric: DecisionMetric) -> String {
    let DecisionMetric {
        decision,
        reason,
        api_type,
        duration_us,
        cached,
        cold_start,
    } = metric;
    let decision = decision.name();
    // Decision, reason and API type are fixed snake_case codes: nothing to escape.
    format!(
        r#"{{"_aws":{{"Timestamp":{timestamp},"CloudWatchMetrics":[{{"Namespace":"{NAMESPACE}","Dimensions":[["FunctionName"],["FunctionName","Decision","Reason"],["FunctionName","ApiType","Decision"]],"Metrics":[{{"Name":"Decisions","Unit":"Count"}},{{"Name":"DecisionLatency","Unit":"Microseconds"}},{{"Name":"DecisionCacheHits","Unit":"Count"}},{{"Name":"ColdStarts","Unit":"Count"}}]}}]}},"FunctionName":{function},"Decision":"{decision}","Reason":"{reason}","ApiType":"{api_type}","Decisions":1,"DecisionLatency":{duration_us},"DecisionCacheHits":{},"ColdStarts":{}}}"#,
        u8::from(cached),
        u8::from(cold_start),
    )
}

fn stale_line(function: &str, timestamp: u128) -> String {
    format!(
        r#"{{"_aws":{{"Timestamp":{timestamp},"CloudWatchMetrics":[{{"Namespace":"{NAMESPACE}","Dimensions":[["FunctionName"]],"Metrics":[{{"Name":"StaleKeysServed","Unit":"Count"}}]}}]}},"FunctionName":{function},"StaleKeysServed":1}}"#
    )
}

fn skipped_line(function: &str, timestamp: u128) -> String {
    format!(
        r#"{{"_aws":{{"Timestamp":{timestamp},"CloudWatchMetrics":[{{"Namespace":"{NAMESPACE}","Dimensions":[["FunctionName"]],"Metrics":[{{"Name":"KeySetFetchesSkipped","Unit":"Count"}}]}}]}},"FunctionName":{function},"KeySetFetchesSkipped":1}}"#
    )
}

fn fetch_line(function: &str, timestamp: u128, result: &str, duration_ms: u64) -> String {
    format!(
        r#"{{"_aws":{{"Timestamp":{timestamp},"CloudWatchMetrics":[{{"Namespace":"{NAMESPACE}","Dimensions":[["FunctionName","Result"]],"Metrics":[{{"Name":"KeySetFetches","Unit":"Count"}},{{"Name":"KeySetFetchLatency","Unit":"Milliseconds"}}]}}]}},"FunctionName":{function},"Result":"{result}","KeySetFetches":1,"KeySetFetchLatency":{duration_ms}}}"#
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    /// Checks a line against the EMF specification: every metric named in
    /// the directive has a numeric value at the root, every dimension a
    /// string value.
    fn parse_emf(line: &str) -> Value {
        let value: Value = serde_json::from_str(line).unwrap();
        let directive = &value["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(directive["Namespace"], NAMESPACE);
        assert!(value["_aws"]["Timestamp"].as_u64().unwrap() > 1_600_000_000_000);
        for dimension_set in directive["Dimensions"].as_array().unwrap() {
            for dimension in dimension_set.as_array().unwrap() {
                assert!(
                    value[dimension.as_str().unwrap()].is_string(),
                    "{dimension}"
                );
            }
        }
        for metric in directive["Metrics"].as_array().unwrap() {
            assert!(
                value[metric["Name"].as_str().unwrap()].is_number(),
                "{metric}"
            );
        }
        value
    }

    fn function() -> String {
        Metrics::new(Some("auth \"prod\"")).function_name.unwrap()
    }

    #[test]
    fn decision_lines_are_valid_emf() {
        let line = decision_line(
            &function(),
            1_763_900_000_000,
            DecisionMetric {
                decision: Decision::Unauthorized,
                reason: "expired",
                api_type: "websocket",
                duration_us: 42,
                cached: false,
                cold_start: true,
            },
        );
        let value = parse_emf(&line);
        assert_eq!(value["FunctionName"], "auth \"prod\"");
        assert_eq!(
            (
                &value["Decision"],
                &value["Reason"],
                &value["ApiType"],
                &value["Decisions"],
                &value["DecisionLatency"],
                &value["DecisionCacheHits"],
                &value["ColdStarts"]
            ),
            (
                &json!("unauthorized"),
                &json!("expired"),
                &json!("websocket"),
                &json!(1),
                &json!(42),
                &json!(0),
                &json!(1)
            )
        );
    }

    #[test]
    fn fetch_lines_are_valid_emf_with_the_result() {
        let value = parse_emf(&fetch_line(&function(), 1_763_900_000_000, "timeout", 2000));
        assert_eq!(value["Result"], "timeout");
        assert_eq!(value["KeySetFetchLatency"], 2000);
        let value = parse_emf(&stale_line(&function(), 1_763_900_000_000));
        assert_eq!(value["StaleKeysServed"], 1);
        let value = parse_emf(&skipped_line(&function(), 1_763_900_000_000));
        assert_eq!(value["KeySetFetchesSkipped"], 1);
    }

    #[test]
    fn off_writes_nothing() {
        let metrics = Metrics::new(None);
        assert!(!metrics.enabled());
        let mut called = false;
        metrics.emit(|_, _| {
            called = true;
            String::new()
        });
        assert!(!called);
    }
}
