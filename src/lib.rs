//! A JWT authorizer for Amazon API Gateway WebSocket APIs.
//!
//! API Gateway has a built-in JWT authorizer only for HTTP APIs; a WebSocket
//! API needs a Lambda REQUEST authorizer on `$connect`. This crate is that
//! Lambda: it reads the token (query string, header, subprotocol or cookie),
//! verifies it against a cached JWKS, checks its claims and answers with an
//! IAM policy.
//!
//! The decisions (token extraction, header and claim checks, policy building)
//! are pure functions in their own modules; [`jwks`] (with the fetcher behind
//! it) is the only network edge and [`Authorizer`] ties them together.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

// The surface: the Lambda (`handle`, `Authorizer`, `Config`, the event and
// the answer); the pipeline's pure parts, which the fuzz targets, the
// published vectors and the benches drive directly; and what `main.rs`
// wires. The rest is how the authorizer does its work, free to change.

pub mod algorithm;
pub mod claims;
pub mod cli;
pub mod config;
pub mod date;
pub mod error;
pub mod explain;
pub mod invocation;
pub mod jwks;
pub mod jws;
pub mod keys;
pub mod logging;
pub mod metrics;
pub mod policy;
pub mod provider;
pub mod runtime_api;
pub mod token;

mod access;
mod answer;
mod authorizer;
mod backoff;
mod checks;
mod context;
mod curve_verifier;
mod decision_cache;
mod decision_log;
mod event;
mod fetch;
mod issuers;
mod kms;
mod redact;
mod route_scopes;
mod rsa_verifier;
mod settings;
mod sigv4;

pub use authorizer::Authorizer;
pub use config::{Config, ConfigError};
pub use error::{HandlerError, Refusal};
pub use event::ConnectEvent;
pub use policy::AuthorizerResponse;

/// The Lambda handler: one `$connect` event in, one policy (or error) out.
/// Behind [`invocation::ReadEventLayer`] the event is the one that layer read.
pub async fn handle(
    authorizer: &Authorizer,
    event: lambda_runtime::LambdaEvent<ConnectEvent>,
) -> Result<AuthorizerResponse, HandlerError> {
    match invocation::event_or(event.payload) {
        Ok(event) => authorizer.authorize(&event).await,
        Err(body) => Err(authorizer.refuse_body(body)),
    }
}
