//! The session guard: ends API Gateway WebSocket connections when their
//! token expires, and on demand for one subject.
//!
//! API Gateway keeps a WebSocket connection open for up to two hours whatever
//! the token's `exp`, and the authorizer decides only once, at `$connect`.
//! The guard works off the hot path: it reads the stage's access log (through
//! a CloudWatch Logs subscription), creates one EventBridge Scheduler
//! schedule per connection at its `exp`, and calls the Management API's
//! `DeleteConnection` when the schedule fires or when an operator revokes a
//! subject.
//!
//! Functional core, thin shell: [`access_log`], [`naming`] and [`plan`] are
//! pure decisions; [`guard`] runs them against the two small traits of
//! [`ports`], which [`aws`] implements with the AWS SDK and the tests with
//! fakes.

pub mod access_log;
pub mod aws;
pub mod guard;
pub mod naming;
pub mod plan;
pub mod ports;
pub mod retry;
pub mod runtime_api;
pub mod settings;

pub use guard::{parse_input, Guard, GuardError, Input};
