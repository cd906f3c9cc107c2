//! A JWT authorizer for Amazon API Gateway WebSocket APIs.
//!
//! API Gateway has a built-in JWT authorizer only for HTTP APIs; a WebSocket
//! API needs a Lambda REQUEST authorizer on `$connect`. This crate is that
//! Lambda: it reads the token from the `authorization` query parameter or
//! header, verifies it against a cached JWKS, checks its claims and answers
//! with an IAM policy.
//!
//! The decisions (token extraction, header and claim checks, policy building)
//! are pure functions in their own modules; [`jwks`] is the only network edge
//! and [`authorizer::Authorizer`] ties them together.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod access;
pub mod algorithm;
pub mod authorizer;
pub mod checks;
pub mod claims;
pub mod cli;
pub mod config;
pub mod context;
pub mod date;
pub mod decision_cache;
pub mod error;
pub mod event;
pub mod explain;
pub mod fetch;
pub mod invocation;
pub mod issuers;
pub mod jwks;
pub mod jws;
pub mod keys;
pub mod logging;
pub mod metrics;
pub mod policy;
pub mod provider;
pub mod ring_verifier;
pub mod rsa_pkcs1;
pub mod runtime_api;
pub mod settings;
pub mod token;

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
    authorizer
        .authorize(&invocation::event_or(event.payload))
        .await
}
