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

// The layout is the pipeline, top to bottom (`tests/project/architecture.rs`
// holds every import to point down): the face (`cli`, `explain`), the
// decision (`authorizer`, `decision_cache`, `decision_log`), `config`, which
// assembles every part's settings, then the parts: `answer/`, `rules/`,
// `key_sources/`, `verify/` and `request/`, over `ops/`, `settings/` and
// `base/`.
//
// The surface: the Lambda (`handle`, `Authorizer`, `Config`, the event and
// the answer); the pipeline's pure parts, which the fuzz targets, the
// published vectors and the benches drive directly; and what `main.rs`
// wires, each re-exported under its own name. The rest is how the
// authorizer does its work, free to change.

pub mod cli;
pub mod config;
mod environment;
pub mod explain;

mod answer;
mod authorizer;
mod base;
mod decision_cache;
mod decision_log;
mod key_sources;
mod ops;
mod request;
mod rules;
mod settings;
mod verify;

pub use answer::policy;
pub use base::{date, error};
pub use key_sources::jwks;
pub use ops::{logging, metrics, runtime_api, tls};
pub use request::{invocation, token};
pub use rules::claims;
pub use settings::provider;
pub use verify::{algorithm, jws, keys};

// The other parts, by name, for the crate's own paths.
use base::redact;
use key_sources::{backoff, fetch, issuers, kms, sigv4};
use request::event;
use rules::{access, arn, checks, context, route_scopes};
use verify::{curve_verifier, der, public_key, rsa_verifier};

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
