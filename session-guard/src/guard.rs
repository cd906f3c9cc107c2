//! The guard's three jobs, each a short loop over the pure decisions, run
//! against [`Schedules`] and [`Connections`].

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::access_log::{self, parse_line};
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
    /// CONNECTs or DISCONNECTs without a subject.
    pub without_subject: usize,
    /// Connection ids that cannot be put in a schedule name.
    pub bad_connection_id: usize,
    /// Messages and refused connects: nothing to do.
    pub other: usize,
    /// Calls that still failed after retrying.
    pub failed: usize,
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
}

/// Why an invocation fails. Failing is how the guard asks to be invoked
/// again: the subscription redelivers the batch, the schedule retries.
#[derive(Debug)]
pub enum GuardError {
    /// The delivery could not be read at all.
    Batch(access_log::BatchError),
    /// Some calls failed after retrying; the report says what was done.
    Incomplete(Value),
    /// Ending the connection failed.
    Call(CallError),
}

impl std::fmt::Display for GuardError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            GuardError::Batch(error) => write!(f, "{error}"),
            GuardError::Incomplete(report) => write!(f, "incomplete: {report}"),
            GuardError::Call(error) => write!(f, "{error}"),
        }
    }
}

impl std::error::Error for GuardError {}

/// The guard, over any implementation of the two services.
pub struct Guard<S, C> {
    /// EventBridge Scheduler.
    pub schedules: S,
    /// The Management API.
    pub connections: C,
    /// How throttled calls are retried.
    pub backoff: Backoff,
}

/// JSON of a report (plain structs of strings and numbers: cannot fail).
fn json(report: &impl Serialize) -> Value {
    serde_json::to_value(report).unwrap_or(Value::Null)
}

impl<S: Schedules, C: Connections> Guard<S, C> {
    /// Handles one invocation at `now` (seconds since the epoch) and returns
    /// its report.
    pub async fn handle(&self, input: Input, now: u64) -> Result<Value, GuardError> {
        match input {
            Input::Awslogs { data } => self.batch(&data, now).await,
            Input::Disconnect(target) => self.disconnect(&target).await,
            Input::Revoke { sub } => self.revoke(&sub).await,
        }
    }

    async fn end(&self, connection_id: &str) -> Result<Ended, CallError> {
        retry(self.backoff, || self.connections.end(connection_id)).await
    }

    async fn batch(&self, data: &str, now: u64) -> Result<Value, GuardError> {
        let lines = access_log::messages(data).map_err(GuardError::Batch)?;
        let mut report = BatchReport {
            lines: lines.len(),
            ..BatchReport::default()
        };
        for line in &lines {
            let event = match parse_line(line) {
                Ok(event) => event,
                Err(error) => {
                    // The line itself is not logged: it may hold whatever a
                    // hand-edited format put there.
                    tracing::warn!(?error, "skipping a malformed access-log line");
                    report.malformed += 1;
                    continue;
                }
            };
            // Each outcome is the counter it adds to.
            let counted = match plan(&event, now) {
                Step::Schedule(schedule) => {
                    retry(self.backoff, || self.schedules.create(&schedule))
                        .await
                        .map(|created| match created {
                            Created::New => &mut report.scheduled,
                            Created::AlreadyExists => &mut report.already_scheduled,
                        })
                }
                Step::DisconnectNow(target) => self
                    .end(&target.connection_id)
                    .await
                    .map(|_| &mut report.disconnected_now),
                Step::Unschedule(name) => retry(self.backoff, || self.schedules.delete(&name))
                    .await
                    .map(|()| &mut report.unscheduled),
                Step::Skip(Skip::NoExp) => Ok(&mut report.without_exp),
                Step::Skip(Skip::NoSubject) => Ok(&mut report.without_subject),
                Step::Skip(Skip::BadConnectionId) => Ok(&mut report.bad_connection_id),
                Step::Skip(Skip::NotConnectOrDisconnect) => Ok(&mut report.other),
            };
            match counted {
                Ok(counter) => *counter += 1,
                Err(error) => {
                    tracing::error!(connection_id = %event.connection_id, %error, "call failed");
                    report.failed += 1;
                }
            }
        }
        tracing::info!(report = %json(&report), "log batch");
        if report.failed > 0 {
            return Err(GuardError::Incomplete(json(&report)));
        }
        Ok(json(&report))
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

    async fn revoke(&self, sub: &str) -> Result<Value, GuardError> {
        let prefix = subject_prefix(sub);
        let names = retry(self.backoff, || self.schedules.list(&prefix))
            .await
            .map_err(GuardError::Call)?;
        let mut report = RevokeReport {
            sub: sub.to_owned(),
            ..RevokeReport::default()
        };
        // Only what the schedule itself says belongs to `sub` is ended: a
        // hash prefix shared with another subject, or a listing that ignored
        // the prefix, never ends someone else's connection.
        for name in names.iter().filter(|name| name.starts_with(&prefix)) {
            let input = match retry(self.backoff, || self.schedules.target_input(name)).await {
                Ok(Some(input)) => input,
                // Ran or was deleted since the listing.
                Ok(None) => continue,
                Err(error) => {
                    tracing::error!(schedule = %name, %error, "reading a schedule failed");
                    report.failed += 1;
                    continue;
                }
            };
            let target = match serde_json::from_str::<Input>(&input) {
                Ok(Input::Disconnect(target)) if target.sub == sub => target,
                _ => {
                    report.left_alone += 1;
                    continue;
                }
            };
            match self.end(&target.connection_id).await {
                Ok(Ended::Closed) => report.ended.push(target.connection_id),
                Ok(Ended::AlreadyGone) => report.already_gone.push(target.connection_id),
                Err(error) => {
                    tracing::error!(connection_id = %target.connection_id, %error, "ending failed");
                    report.failed += 1;
                    continue;
                }
            }
            if let Err(error) = retry(self.backoff, || self.schedules.delete(name)).await {
                tracing::error!(schedule = %name, %error, "deleting failed");
                report.failed += 1;
            }
        }
        tracing::info!(report = %json(&report), "revoked");
        if report.failed > 0 {
            return Err(GuardError::Incomplete(json(&report)));
        }
        Ok(json(&report))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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
