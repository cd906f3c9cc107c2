//! The guard's three jobs, each a short loop over the pure decisions, run
//! against [`Schedules`] and [`Connections`].

use std::collections::HashMap;
use std::time::Duration;

use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::time::Instant;

use crate::access_log::{self, parse_line, LogLine};
use crate::naming::subject_prefix;
use crate::plan::{plan, Disconnect, Skip, Step};
use crate::ports::{CallError, Connections, Created, Ended, Schedules};
use crate::retry::{retry, Backoff};

/// What invokes the guard.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Input {
    /// A CloudWatch Logs subscription delivery: `{"awslogs": {"data": …}}`.
    Awslogs {
        /// base64 gzip JSON.
        data: String,
    },
    /// A schedule firing: `{"disconnect": {"connectionId": …, "sub": …}}`.
    Disconnect(Disconnect),
    /// An operator: `{"revoke": {"sub": "alice"}}`.
    Revoke {
        /// The subject whose connections end.
        sub: String,
    },
}

/// The input a schedule hands the guard when it fires: the same
/// [`Input::Disconnect`] the guard reads, so the two cannot drift apart.
pub fn schedule_input(target: &Disconnect) -> Result<String, serde_json::Error> {
    serde_json::to_string(&Input::Disconnect(target.clone()))
}

/// Reads an invocation's input. What does not fit is described by its
/// shape only: serde's own message would quote a value, and the payload of
/// a mistaken invocation may be anything, a token included.
pub fn parse_input(event: serde_json::Value) -> Result<Input, GuardError> {
    let shape = shape(&event);
    serde_json::from_value(event).map_err(|_| {
        GuardError::InvalidInput(format!(
            "not a guard input ({{\"awslogs\": {{\"data\"}}}}, {{\"disconnect\": \
             {{\"connectionId\", \"sub\"}}}} or {{\"revoke\": {{\"sub\"}}}}): {shape}"
        ))
    })
}

/// What an input is, without a word of its content beyond the guard's own
/// member names.
fn shape(event: &Value) -> String {
    const KNOWN: [&str; 6] = [
        "awslogs",
        "disconnect",
        "revoke",
        "data",
        "connectionId",
        "sub",
    ];
    let count = |count: usize, what: &str| match count {
        1 => format!("1 {what}"),
        count => format!("{count} {what}s"),
    };
    let described = |value: &Value| match value {
        Value::Null => "null".to_owned(),
        Value::Bool(_) => "a boolean".to_owned(),
        Value::Number(_) => "a number".to_owned(),
        Value::String(text) => format!("a string of {}", count(text.len(), "byte")),
        Value::Array(items) => format!("an array of {}", count(items.len(), "item")),
        Value::Object(members) => format!("an object of {}", count(members.len(), "member")),
    };
    match event {
        Value::Object(members) if members.len() == 1 => match members.iter().next() {
            Some((name, inner)) if KNOWN.contains(&name.as_str()) => match inner {
                Value::Object(inner_members) => {
                    let known: Vec<String> = inner_members
                        .keys()
                        .filter(|key| KNOWN.contains(&key.as_str()))
                        .map(|key| format!("{key:?}"))
                        .collect();
                    let known = match known.is_empty() {
                        true => "none".to_owned(),
                        false => known.join(", "),
                    };
                    format!("{name:?} with {} ({known} known)", described(inner))
                }
                other => format!("{name:?} with {}", described(other)),
            },
            _ => described(event),
        },
        other => described(other),
    }
}

/// What one log delivery led to.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchReport {
    /// Log lines in the delivery.
    pub lines: usize,
    /// Schedules created.
    pub scheduled: usize,
    /// Schedules that existed already (the delivery was seen before).
    pub already_scheduled: usize,
    /// Connections ended at once: their token had expired when read.
    pub disconnected_now: usize,
    /// DISCONNECTs whose schedule is now gone (removed, or already gone:
    /// it ran, or the line was delivered twice).
    pub unscheduled: usize,
    /// Lines that are not access-log lines of the module's format.
    pub malformed: usize,
    /// CONNECTs without `exp`: these connections are not guarded.
    pub without_exp: usize,
    /// CONNECTs and DISCONNECTs without a subject (neither `sub` nor
    /// `principalId`, or one that cannot be read), also counted under what
    /// was done for them: such a connection still ends at its `exp`, but
    /// revoke cannot find it.
    pub without_subject: usize,
    /// Of those, the ones whose subject was logged with an escape the guard
    /// does not read back (see [`access_log::logged_text`]).
    pub unreadable_subject: usize,
    /// Connection ids that cannot be put in a schedule name.
    pub bad_connection_id: usize,
    /// Messages and refused connects: nothing to do.
    pub other: usize,
    /// Calls that still failed after retrying.
    pub failed: usize,
    /// Lines not started, or cut off, because the invocation's deadline was
    /// near: the invocation fails so that Lambda runs the batch again.
    pub deferred: usize,
}

/// What one line led to: the counter of [`BatchReport`] it adds to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Scheduled,
    AlreadyScheduled,
    DisconnectedNow,
    Unscheduled,
    Malformed,
    WithoutExp,
    BadConnectionId,
    Other,
    Failed,
    Deferred,
}

impl BatchReport {
    fn count(&mut self, outcome: Outcome) {
        let counter = match outcome {
            Outcome::Scheduled => &mut self.scheduled,
            Outcome::AlreadyScheduled => &mut self.already_scheduled,
            Outcome::DisconnectedNow => &mut self.disconnected_now,
            Outcome::Unscheduled => &mut self.unscheduled,
            Outcome::Malformed => &mut self.malformed,
            Outcome::WithoutExp => &mut self.without_exp,
            Outcome::BadConnectionId => &mut self.bad_connection_id,
            Outcome::Other => &mut self.other,
            Outcome::Failed => &mut self.failed,
            Outcome::Deferred => &mut self.deferred,
        };
        *counter += 1;
    }
}

/// What one line led to, and what the batch's error names.
#[derive(Debug)]
struct LineDone {
    outcome: Outcome,
    /// A CONNECT or DISCONNECT filed without a subject.
    without_subject: bool,
    /// … because its subject could not be read.
    unreadable_subject: bool,
    /// The call that failed, for [`Outcome::Failed`].
    failure: Option<FailedCall>,
}

impl From<Outcome> for LineDone {
    fn from(outcome: Outcome) -> Self {
        LineDone {
            outcome,
            without_subject: false,
            unreadable_subject: false,
            failure: None,
        }
    }
}

/// What a revoke ended.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RevokeReport {
    /// The subject.
    pub sub: String,
    /// Connections closed.
    pub ended: Vec<String>,
    /// Connections already gone (410).
    pub already_gone: Vec<String>,
    /// Schedules of another subject whose names share the hash prefix, or
    /// whose input could not be read: left alone.
    pub left_alone: usize,
    /// Calls that still failed after retrying.
    pub failed: usize,
    /// Schedules not looked at, or cut off, because the invocation's
    /// deadline was near: the revoke fails, and running it again ends the
    /// rest.
    pub deferred: usize,
}

/// A call that still failed after retrying, and what it was for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedCall {
    /// The API call: `DeleteConnection`, `CreateSchedule`, …
    pub call: &'static str,
    /// What it was for: `connection abc=`, `schedule …`.
    pub target: String,
    /// How it failed.
    pub error: CallError,
}

impl FailedCall {
    fn new(call: &'static str, target: String, error: CallError) -> Self {
        FailedCall {
            call,
            target,
            error,
        }
    }

    /// A call for the connection `connection_id`.
    fn for_connection(call: &'static str, connection_id: &str, error: CallError) -> Self {
        FailedCall::new(call, format!("connection {connection_id}"), error)
    }
}

impl std::fmt::Display for FailedCall {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} for {} failed: {}",
            self.call, self.target, self.error
        )
    }
}

/// How many failed calls an error message names; the rest are counted.
const NAMED_FAILURES: usize = 5;

/// The first failures, then how many more, then how many were deferred.
fn failures_and_deferred(
    f: &mut std::fmt::Formatter<'_>,
    failures: &[FailedCall],
    deferred: usize,
    what: &str,
) -> std::fmt::Result {
    let mut parts: Vec<String> = failures
        .iter()
        .take(NAMED_FAILURES)
        .map(ToString::to_string)
        .collect();
    if failures.len() > NAMED_FAILURES {
        parts.push(format!(
            "and {} more failed calls",
            failures.len() - NAMED_FAILURES
        ));
    }
    if deferred > 0 {
        parts.push(format!(
            "{deferred} {what} left at the invocation's deadline (running it again does them)"
        ));
    }
    write!(f, "{}", parts.join("; "))
}

/// Why an invocation fails. Failing is how the guard asks to be invoked
/// again: both the subscription and Scheduler invoke it asynchronously, so
/// Lambda retries the invocation twice and then puts it in the failure queue.
/// Each kind has a stable [`GuardError::error_type`], the `errorType` the
/// Lambda console, the failure queue's records and alarms show.
#[derive(Debug, PartialEq)]
pub enum GuardError {
    /// The invocation's payload is none of the three inputs (`InvalidInput`).
    InvalidInput(String),
    /// The delivery could not be read at all (`UnreadableDelivery`).
    UnreadableDelivery(access_log::BatchError),
    /// Some lines of a delivery were not done: calls failed after retrying,
    /// or the deadline came (`IncompleteBatch`). Lambda runs it again.
    IncompleteBatch {
        /// The batch's report.
        report: Value,
        /// The calls that failed, in the order they failed.
        failures: Vec<FailedCall>,
        /// Lines left at the deadline.
        deferred: usize,
    },
    /// A schedule fired and its connection could not be ended
    /// (`DisconnectFailed`).
    DisconnectFailed(FailedCall),
    /// A revoke did not end everything it should have: a call failed, or
    /// the deadline came (`RevokeIncomplete`). Running it again ends the
    /// rest.
    RevokeIncomplete {
        /// The revoke's report.
        report: Value,
        /// The calls that failed.
        failures: Vec<FailedCall>,
        /// Schedules left at the deadline.
        deferred: usize,
    },
    /// A revoke of `-`, of nothing, or of a subject with a backslash: no
    /// connection is ever filed under one (`InvalidInput`).
    NotASubject(String),
}

impl GuardError {
    /// The invocation's `errorType`: one name for each kind of failure,
    /// stable across releases (alarms and queries match on it).
    pub fn error_type(&self) -> &'static str {
        match self {
            GuardError::InvalidInput(_) | GuardError::NotASubject(_) => "InvalidInput",
            GuardError::UnreadableDelivery(_) => "UnreadableDelivery",
            GuardError::IncompleteBatch { .. } => "IncompleteBatch",
            GuardError::DisconnectFailed(_) => "DisconnectFailed",
            GuardError::RevokeIncomplete { .. } => "RevokeIncomplete",
        }
    }
}

impl std::fmt::Display for GuardError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            GuardError::InvalidInput(message) => write!(f, "{message}"),
            GuardError::UnreadableDelivery(error) => write!(f, "unreadable delivery: {error}"),
            GuardError::IncompleteBatch {
                report,
                failures,
                deferred,
            } => {
                write!(f, "batch incomplete: ")?;
                failures_and_deferred(f, failures, *deferred, "lines")?;
                write!(f, "; report {report}")
            }
            GuardError::DisconnectFailed(failed) => write!(f, "{failed}"),
            GuardError::RevokeIncomplete {
                report,
                failures,
                deferred,
            } => {
                write!(f, "revoke incomplete: ")?;
                failures_and_deferred(f, failures, *deferred, "schedules")?;
                write!(f, "; report {report}")
            }
            GuardError::NotASubject(sub) => write!(
                f,
                "{sub:?} is not a subject: API Gateway logs - for none, and no subject with a \
                 backslash is ever read from the access log (docs/sessions.md)"
            ),
        }
    }
}

impl std::error::Error for GuardError {}

/// How many lines of a batch are worked on at once by default. A
/// reconnect storm delivers thousands of CONNECTs in one batch: one at a
/// time, at tens of milliseconds a call, they could outlast the Lambda's
/// timeout on every attempt. Sixteen, at tens of milliseconds a call, is a
/// few hundred requests a second: within Scheduler's default CreateSchedule
/// rate in its main regions (1,000 a second or more; 250 in the others,
/// where what is throttled is retried with backoff).
pub const CONCURRENCY: usize = 16;

/// Time kept back before the invocation's deadline to log the report and
/// answer: no line starts, and none still running goes on, past
/// `deadline - DEADLINE_RESERVE`.
pub const DEADLINE_RESERVE: Duration = Duration::from_secs(2);

/// The lines grouped by connection, each group in log order (a line that
/// cannot be read is a group of its own: it is only counted).
fn by_connection(lines: &[LogLine]) -> Vec<Vec<&LogLine>> {
    let mut groups: Vec<Vec<&LogLine>> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for line in lines {
        match parse_line(&line.message) {
            Ok(event) => match index.get(&event.connection_id).copied() {
                Some(group) if group < groups.len() => groups[group].push(line),
                _ => {
                    index.insert(event.connection_id, groups.len());
                    groups.push(vec![line]);
                }
            },
            Err(_) => groups.push(vec![line]),
        }
    }
    groups
}

/// When work must stop: [`DEADLINE_RESERVE`] before `deadline`.
fn stop_at(deadline: Option<Instant>) -> Option<Instant> {
    deadline.map(|deadline| deadline.checked_sub(DEADLINE_RESERVE).unwrap_or(deadline))
}

/// `work`, unless `stop_at` has come (`None`), and cut off there (`None`
/// too: what it did so far stays done, and is idempotent to do again).
async fn within<T>(
    stop_at: Option<Instant>,
    work: impl std::future::Future<Output = T>,
) -> Option<T> {
    match stop_at {
        None => Some(work.await),
        Some(stop_at) if Instant::now() >= stop_at => None,
        Some(stop_at) => {
            let done = tokio::time::timeout_at(stop_at, work).await.ok();
            if done.is_none() {
                tracing::warn!("work was cut off at the deadline");
            }
            done
        }
    }
}

/// The Lambda's deadline (`deadline_ms`, milliseconds since the epoch) as
/// an instant of the monotonic clock, read at `now_ms` and `now`.
pub fn deadline_instant(deadline_ms: u64, now_ms: u64, now: Instant) -> Instant {
    now + Duration::from_millis(deadline_ms.saturating_sub(now_ms))
}

/// The guard, over any implementation of the two services.
pub struct Guard<S, C> {
    /// EventBridge Scheduler.
    pub schedules: S,
    /// The Management API.
    pub connections: C,
    /// How throttled calls are retried.
    pub backoff: Backoff,
    /// How many lines of a batch are worked on at once ([`CONCURRENCY`]).
    pub concurrency: usize,
}

/// JSON of a report (plain structs of strings and numbers: cannot fail).
fn json(report: &impl Serialize) -> Value {
    serde_json::to_value(report).unwrap_or(Value::Null)
}

impl<S: Schedules, C: Connections> Guard<S, C> {
    /// Handles one invocation at `now` (seconds since the epoch) and returns
    /// its report; no deadline (the command line).
    pub async fn handle(&self, input: Input, now: u64) -> Result<Value, GuardError> {
        self.handle_until(input, now, None).await
    }

    /// Handles one invocation at `now` (seconds since the epoch, read once:
    /// every line of a batch is judged against the same clock) that must be
    /// answered by `deadline` (the Lambda's). A batch stops starting lines
    /// [`DEADLINE_RESERVE`] before it and fails, so that Lambda runs it
    /// again rather than timing out with no report.
    pub async fn handle_until(
        &self,
        input: Input,
        now: u64,
        deadline: Option<Instant>,
    ) -> Result<Value, GuardError> {
        match input {
            Input::Awslogs { data } => self.batch(&data, now, deadline).await,
            Input::Disconnect(target) => self.disconnect(&target).await,
            Input::Revoke { sub } => self.revoke(&sub, deadline).await,
        }
    }

    async fn end(&self, connection_id: &str) -> Result<Ended, CallError> {
        retry(self.backoff, || self.connections.end(connection_id)).await
    }

    async fn batch(
        &self,
        data: &str,
        now: u64,
        deadline: Option<Instant>,
    ) -> Result<Value, GuardError> {
        let lines = access_log::messages(data).map_err(GuardError::UnreadableDelivery)?;
        let mut report = BatchReport {
            lines: lines.len(),
            ..BatchReport::default()
        };
        let stop_at = stop_at(deadline);
        // Connections are independent (one schedule name each): at most
        // `concurrency` at once, in any order. One connection's lines run in
        // log order, so that its DISCONNECT deletes the schedule its CONNECT
        // created even when that creation was throttled and retried.
        let mut outcomes = futures_util::stream::iter(by_connection(&lines))
            .map(|group| async move {
                let mut outcomes = Vec::with_capacity(group.len());
                for line in group {
                    outcomes.push(self.line_before(line, now, stop_at).await);
                }
                outcomes
            })
            .buffer_unordered(self.concurrency.max(1));
        let mut failures = Vec::new();
        while let Some(group) = outcomes.next().await {
            for done in group {
                report.count(done.outcome);
                report.without_subject += usize::from(done.without_subject);
                report.unreadable_subject += usize::from(done.unreadable_subject);
                failures.extend(done.failure);
            }
        }
        tracing::info!(report = %json(&report), "log batch");
        if report.failed > 0 || report.deferred > 0 {
            return Err(GuardError::IncompleteBatch {
                report: json(&report),
                failures,
                deferred: report.deferred,
            });
        }
        Ok(json(&report))
    }

    /// [`Self::line`], unless `stop_at` has come, and cut off there.
    async fn line_before(&self, line: &LogLine, now: u64, stop_at: Option<Instant>) -> LineDone {
        within(stop_at, self.line(line, now))
            .await
            .unwrap_or_else(|| LineDone::from(Outcome::Deferred))
    }

    /// What one log line needs, done.
    async fn line(&self, line: &LogLine, now: u64) -> LineDone {
        let event = match parse_line(&line.message) {
            Ok(event) => event,
            Err(error) => {
                // The line itself is not logged: it may hold whatever a
                // hand-edited format put there.
                tracing::warn!(?error, "skipping a malformed access-log line");
                return LineDone::from(Outcome::Malformed);
            }
        };
        let guarded = event.event_type != access_log::EventType::Other;
        let connection =
            |call, error| FailedCall::for_connection(call, &event.connection_id, error);
        let done = match plan(&event, line.logged_at(), now) {
            Step::Schedule(schedule) => retry(self.backoff, || self.schedules.create(&schedule))
                .await
                .map(|created| match created {
                    Created::New => Outcome::Scheduled,
                    Created::AlreadyExists => Outcome::AlreadyScheduled,
                })
                .map_err(|error| connection("CreateSchedule", error)),
            Step::DisconnectNow(target) => self
                .end(&target.connection_id)
                .await
                .map(|_| Outcome::DisconnectedNow)
                .map_err(|error| connection("DeleteConnection", error)),
            Step::Unschedule(name) => retry(self.backoff, || self.schedules.delete(&name))
                .await
                .map(|()| Outcome::Unscheduled)
                .map_err(|error| connection("DeleteSchedule", error)),
            Step::Skip(Skip::NoExp) => Ok(Outcome::WithoutExp),
            Step::Skip(Skip::BadConnectionId) => Ok(Outcome::BadConnectionId),
            Step::Skip(Skip::NotConnectOrDisconnect) => Ok(Outcome::Other),
        };
        let (outcome, failure) = match done {
            Ok(outcome) => (outcome, None),
            Err(failed) => {
                tracing::error!(connection_id = %event.connection_id, call = failed.call,
                    error = %failed.error, "call failed");
                (Outcome::Failed, Some(failed))
            }
        };
        LineDone {
            outcome,
            without_subject: guarded && event.subject.is_none(),
            unreadable_subject: guarded && event.unreadable_subject,
            failure,
        }
    }

    async fn disconnect(&self, target: &Disconnect) -> Result<Value, GuardError> {
        let ended = self.end(&target.connection_id).await.map_err(|error| {
            GuardError::DisconnectFailed(FailedCall::for_connection(
                "DeleteConnection",
                &target.connection_id,
                error,
            ))
        })?;
        let outcome = match ended {
            Ended::Closed => "closed",
            Ended::AlreadyGone => "alreadyGone",
        };
        tracing::info!(connection_id = %target.connection_id, outcome, "token expired");
        Ok(serde_json::json!({"connectionId": target.connection_id, "outcome": outcome}))
    }

    async fn revoke(&self, sub: &str, deadline: Option<Instant>) -> Result<Value, GuardError> {
        if !access_log::is_subject(sub) {
            return Err(GuardError::NotASubject(sub.to_owned()));
        }
        let prefix = subject_prefix(sub);
        let mut report = RevokeReport {
            sub: sub.to_owned(),
            ..RevokeReport::default()
        };
        let mut failures = Vec::new();
        let names = match retry(self.backoff, || self.schedules.list(&prefix)).await {
            Ok(names) => names,
            Err(error) => {
                tracing::error!(%prefix, %error, "listing schedules failed");
                report.failed += 1;
                failures.push(FailedCall::new(
                    "ListSchedules",
                    format!("prefix {prefix}"),
                    error,
                ));
                Vec::new()
            }
        };
        let stop_at = stop_at(deadline);
        // Only what the schedule itself says belongs to `sub` is ended: a
        // hash prefix shared with another subject, or a listing that ignored
        // the prefix, never ends someone else's connection.
        for name in names.iter().filter(|name| name.starts_with(&prefix)) {
            if within(
                stop_at,
                self.revoke_one(name, sub, &mut report, &mut failures),
            )
            .await
            .is_none()
            {
                report.deferred += 1;
            }
        }
        tracing::info!(report = %json(&report), "revoked");
        if report.failed > 0 || report.deferred > 0 {
            return Err(GuardError::RevokeIncomplete {
                report: json(&report),
                failures,
                deferred: report.deferred,
            });
        }
        Ok(json(&report))
    }

    /// Ends the connection of the schedule `name` if it is `sub`'s, then
    /// deletes the schedule; counted in `report`, what failed in `failures`.
    async fn revoke_one(
        &self,
        name: &str,
        sub: &str,
        report: &mut RevokeReport,
        failures: &mut Vec<FailedCall>,
    ) {
        let input = match retry(self.backoff, || self.schedules.target_input(name)).await {
            Ok(Some(input)) => input,
            // Ran or was deleted since the listing.
            Ok(None) => return,
            Err(error) => {
                tracing::error!(schedule = %name, %error, "reading a schedule failed");
                report.failed += 1;
                failures.push(FailedCall::new(
                    "GetSchedule",
                    format!("schedule {name}"),
                    error,
                ));
                return;
            }
        };
        let target = match serde_json::from_str::<Input>(&input) {
            Ok(Input::Disconnect(target)) if target.sub.as_deref() == Some(sub) => target,
            _ => {
                report.left_alone += 1;
                return;
            }
        };
        match self.end(&target.connection_id).await {
            Ok(Ended::Closed) => report.ended.push(target.connection_id.clone()),
            Ok(Ended::AlreadyGone) => report.already_gone.push(target.connection_id.clone()),
            Err(error) => {
                tracing::error!(connection_id = %target.connection_id, %error, "ending failed");
                report.failed += 1;
                failures.push(FailedCall::for_connection(
                    "DeleteConnection",
                    &target.connection_id,
                    error,
                ));
                return;
            }
        }
        if let Err(error) = retry(self.backoff, || self.schedules.delete(name)).await {
            tracing::error!(schedule = %name, %error, "deleting failed");
            report.failed += 1;
            failures.push(FailedCall::new(
                "DeleteSchedule",
                format!("schedule {name} (connection {})", target.connection_id),
                error,
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_deadline_is_what_is_left_of_the_invocation() {
        let now = Instant::now();
        assert_eq!(
            deadline_instant(1_000_060_500, 1_000_000_000, now),
            now + Duration::from_millis(60_500)
        );
        // Already past: no time left, never a panic.
        assert_eq!(deadline_instant(5, 1_000_000_000, now), now);
    }

    #[test]
    fn inputs_are_the_three_documented_shapes() {
        assert_eq!(
            parse_input(json!({"revoke": {"sub": "alice"}})),
            Ok(Input::Revoke {
                sub: "alice".into()
            })
        );
        assert_eq!(
            parse_input(json!({"awslogs": {"data": "H4s="}})),
            Ok(Input::Awslogs {
                data: "H4s=".into()
            })
        );
        assert!(matches!(
            parse_input(json!({"disconnect": {"connectionId": "c", "sub": "s"}})),
            Ok(Input::Disconnect(_))
        ));
        assert!(parse_input(json!({"revoke": {}})).is_err());
        assert!(parse_input(json!({"other": 1})).is_err());
    }

    /// A mistaken invocation may carry anything, a token say: what does not
    /// fit is described by its shape, never quoted.
    #[test]
    fn an_input_that_does_not_fit_is_named_by_its_shape_only() {
        let token = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl";
        for (input, shape) in [
            (json!(token), "a string of 54 bytes"),
            (json!({ token: {"sub": "alice"} }), "an object of 1 member"),
            (
                json!({"revoke": {"subject": token}}),
                r#""revoke" with an object of 1 member (none known)"#,
            ),
            (
                json!({"revoke": {"sub": 1}}),
                r#""revoke" with an object of 1 member ("sub" known)"#,
            ),
            (
                json!({"revoke": {}}),
                r#""revoke" with an object of 0 members (none known)"#,
            ),
            (
                json!({"revoke": token}),
                r#""revoke" with a string of 54 bytes"#,
            ),
            (
                json!({"disconnect": {"sub": token, token: 1}}),
                r#""disconnect" with an object of 2 members ("sub" known)"#,
            ),
            (json!([token, token]), "an array of 2 items"),
        ] {
            let Err(error) = parse_input(input.clone()) else {
                panic!("{input} was read");
            };
            assert_eq!(error.error_type(), "InvalidInput");
            let message = error.to_string();
            assert!(message.starts_with("not a guard input ("), "{message}");
            assert!(message.ends_with(&format!("): {shape}")), "{message}");
            assert!(!message.contains("eyJ"), "{message}");
        }
    }

    #[test]
    fn each_failure_has_its_type_and_names_the_call_and_connection() {
        let refused = CallError::Retryable(
            "dispatch failure: io error: Connection refused (os error 111)".into(),
        );
        let fired = GuardError::DisconnectFailed(FailedCall::for_connection(
            "DeleteConnection",
            "abc=",
            refused.clone(),
        ));
        assert_eq!(fired.error_type(), "DisconnectFailed");
        assert_eq!(
            fired.to_string(),
            "DeleteConnection for connection abc= failed: retryable: dispatch failure: io error: \
             Connection refused (os error 111)"
        );
        let failures: Vec<FailedCall> = (0..7)
            .map(|i| {
                FailedCall::for_connection("CreateSchedule", &format!("C{i}="), refused.clone())
            })
            .collect();
        let batch = GuardError::IncompleteBatch {
            report: json!({"deferred": 2}),
            failures,
            deferred: 2,
        };
        assert_eq!(batch.error_type(), "IncompleteBatch");
        let message = batch.to_string();
        assert!(
            message.starts_with("batch incomplete: CreateSchedule for connection C0= failed: retryable: dispatch failure"),
            "{message}"
        );
        assert!(message.contains("connection C4= failed"), "{message}");
        assert!(!message.contains("connection C5="), "{message}");
        assert!(
            message.ends_with(
                "; and 2 more failed calls; 2 lines left at the invocation's deadline (running it \
                 again does them); report {\"deferred\":2}"
            ),
            "{message}"
        );
        let revoke = GuardError::RevokeIncomplete {
            report: json!({"sub": "alice"}),
            failures: vec![FailedCall::new(
                "ListSchedules",
                "prefix 2bd806c97f0e00af-".into(),
                CallError::Failed("AccessDeniedException: no".into()),
            )],
            deferred: 0,
        };
        assert_eq!(revoke.error_type(), "RevokeIncomplete");
        assert_eq!(
            revoke.to_string(),
            "revoke incomplete: ListSchedules for prefix 2bd806c97f0e00af- failed: failed: \
             AccessDeniedException: no; report {\"sub\":\"alice\"}"
        );
        assert_eq!(
            GuardError::UnreadableDelivery(access_log::BatchError::Base64).error_type(),
            "UnreadableDelivery"
        );
        assert_eq!(
            GuardError::NotASubject("-".into()).error_type(),
            "InvalidInput"
        );
    }
}
