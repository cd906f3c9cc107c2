//! The two services the guard talks to, as small traits: [`crate::aws`]
//! implements them with the AWS SDK, the tests with fakes.

use std::future::Future;

use crate::plan::Schedule;

/// How a call failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallError {
    /// Throttling, a 5xx or a network failure: worth another try.
    Retryable(String),
    /// Anything else (permissions, validation): trying again will not help.
    Failed(String),
}

impl std::fmt::Display for CallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CallError::Retryable(message) => write!(f, "retryable: {message}"),
            CallError::Failed(message) => write!(f, "failed: {message}"),
        }
    }
}

/// What creating a schedule did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Created {
    /// A new schedule.
    New,
    /// One of that name exists: this log line was seen before.
    AlreadyExists,
}

/// What ending a connection did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// API Gateway closed it.
    Closed,
    /// 410: it was already gone. The goal is reached all the same.
    AlreadyGone,
}

/// EventBridge Scheduler, in the guard's schedule group.
pub trait Schedules {
    /// Creates `schedule` (one-time, deleted after it runs).
    fn create(
        &self,
        schedule: &Schedule,
    ) -> impl Future<Output = Result<Created, CallError>> + Send;
    /// Deletes the schedule `name`; one that does not exist is no error.
    fn delete(&self, name: &str) -> impl Future<Output = Result<(), CallError>> + Send;
    /// The names of the schedules that begin with `prefix`.
    fn list(&self, prefix: &str) -> impl Future<Output = Result<Vec<String>, CallError>> + Send;
    /// The target input of the schedule `name`, `None` if it no longer exists.
    fn target_input(
        &self,
        name: &str,
    ) -> impl Future<Output = Result<Option<String>, CallError>> + Send;
}

/// The API Gateway Management API of the guarded stage.
pub trait Connections {
    /// `DeleteConnection`.
    fn end(&self, connection_id: &str) -> impl Future<Output = Result<Ended, CallError>> + Send;
}
