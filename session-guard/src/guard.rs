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

/// Reads an invocation's input.
pub fn parse_input(event: serde_json::Value) -> Result<Input, String> {
    serde_json::from_value(event).map_err(|error| format!("not a guard input: {error}"))
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
    /// `principalId`), also counted under what was done for them: such a
    /// connection still ends at its `exp`, but revoke cannot find it.
    pub without_subject: usize,
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

/// Why an invocation fails. Failing is how the guard asks to be invoked
/// again: both the subscription and Scheduler invoke it asynchronously, so
/// Lambda retries the invocation twice and then puts it in the failure queue.
#[derive(Debug)]
pub enum GuardError {
    /// The delivery could not be read at all.
    Batch(access_log::BatchError),
    /// Some calls failed after retrying; the report says what was done.
    Incomplete(Value),
    /// Ending the connection failed.
    Call(CallError),
    /// A revoke of `-` or of nothing: API Gateway logs `-` for a missing
    /// value, so no connection is ever attributed to it.
    NotASubject(String),
}

impl std::fmt::Display for GuardError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            GuardError::Batch(error) => write!(f, "{error}"),
            GuardError::Incomplete(report) => write!(f, "incomplete: {report}"),
            GuardError::Call(error) => write!(f, "{error}"),
            GuardError::NotASubject(sub) => {
                write!(f, "{sub:?} is not a subject (API Gateway logs - for none)")
            }
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
        let lines = access_log::messages(data).map_err(GuardError::Batch)?;
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
        while let Some(group) = outcomes.next().await {
            for (outcome, without_subject) in group {
                report.count(outcome);
                report.without_subject += usize::from(without_subject);
            }
        }
        tracing::info!(report = %json(&report), "log batch");
        if report.failed > 0 || report.deferred > 0 {
            return Err(GuardError::Incomplete(json(&report)));
        }
        Ok(json(&report))
    }

    /// [`Self::line`], unless `stop_at` has come, and cut off there.
    async fn line_before(
        &self,
        line: &LogLine,
        now: u64,
        stop_at: Option<Instant>,
    ) -> (Outcome, bool) {
        within(stop_at, self.line(line, now))
            .await
            .unwrap_or((Outcome::Deferred, false))
    }

    /// What one log line needs, done, and whether it named no subject.
    async fn line(&self, line: &LogLine, now: u64) -> (Outcome, bool) {
        let event = match parse_line(&line.message) {
            Ok(event) => event,
            Err(error) => {
                // The line itself is not logged: it may hold whatever a
                // hand-edited format put there.
                tracing::warn!(?error, "skipping a malformed access-log line");
                return (Outcome::Malformed, false);
            }
        };
        let without_subject =
            event.subject.is_none() && event.event_type != access_log::EventType::Other;
        let done = match plan(&event, line.logged_at(), now) {
            Step::Schedule(schedule) => retry(self.backoff, || self.schedules.create(&schedule))
                .await
                .map(|created| match created {
                    Created::New => Outcome::Scheduled,
                    Created::AlreadyExists => Outcome::AlreadyScheduled,
                }),
            Step::DisconnectNow(target) => self
                .end(&target.connection_id)
                .await
                .map(|_| Outcome::DisconnectedNow),
            Step::Unschedule(name) => retry(self.backoff, || self.schedules.delete(&name))
                .await
                .map(|()| Outcome::Unscheduled),
            Step::Skip(Skip::NoExp) => Ok(Outcome::WithoutExp),
            Step::Skip(Skip::BadConnectionId) => Ok(Outcome::BadConnectionId),
            Step::Skip(Skip::NotConnectOrDisconnect) => Ok(Outcome::Other),
        };
        let outcome = done.unwrap_or_else(|error| {
            tracing::error!(connection_id = %event.connection_id, %error, "call failed");
            Outcome::Failed
        });
        (outcome, without_subject)
    }

    async fn disconnect(&self, target: &Disconnect) -> Result<Value, GuardError> {
        let ended = self
            .end(&target.connection_id)
            .await
            .map_err(GuardError::Call)?;
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
        let names = retry(self.backoff, || self.schedules.list(&prefix))
            .await
            .map_err(GuardError::Call)?;
        let mut report = RevokeReport {
            sub: sub.to_owned(),
            ..RevokeReport::default()
        };
        let stop_at = stop_at(deadline);
        // Only what the schedule itself says belongs to `sub` is ended: a
        // hash prefix shared with another subject, or a listing that ignored
        // the prefix, never ends someone else's connection.
        for name in names.iter().filter(|name| name.starts_with(&prefix)) {
            if within(stop_at, self.revoke_one(name, sub, &mut report))
                .await
                .is_none()
            {
                report.deferred += 1;
            }
        }
        tracing::info!(report = %json(&report), "revoked");
        if report.failed > 0 || report.deferred > 0 {
            return Err(GuardError::Incomplete(json(&report)));
        }
        Ok(json(&report))
    }

    /// Ends the connection of the schedule `name` if it is `sub`'s, then
    /// deletes the schedule; counted in `report`.
    async fn revoke_one(&self, name: &str, sub: &str, report: &mut RevokeReport) {
        let input = match retry(self.backoff, || self.schedules.target_input(name)).await {
            Ok(Some(input)) => input,
            // Ran or was deleted since the listing.
            Ok(None) => return,
            Err(error) => {
                tracing::error!(schedule = %name, %error, "reading a schedule failed");
                report.failed += 1;
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
            Ok(Ended::Closed) => report.ended.push(target.connection_id),
            Ok(Ended::AlreadyGone) => report.already_gone.push(target.connection_id),
            Err(error) => {
                tracing::error!(connection_id = %target.connection_id, %error, "ending failed");
                report.failed += 1;
                return;
            }
        }
        if let Err(error) = retry(self.backoff, || self.schedules.delete(name)).await {
            tracing::error!(schedule = %name, %error, "deleting failed");
            report.failed += 1;
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
}
