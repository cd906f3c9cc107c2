//! The compiled binary, as Lambda runs it: behind the Runtime API
//! emulator, fed real-shaped `$connect` events; its command line; its
//! behaviour when keys, the network or the configuration fail; a real
//! OpenID Provider.
//!
//! One test binary per subject (authorizer, binary, gateway, vectors,
//! project; the soak runs alone): each links once.

/// The compiled authorizer, which Cargo builds for the package's tests.
const AUTHORIZER: &str = env!("CARGO_BIN_EXE_ws-jwt-authorizer");

mod api_types;
mod cli;
mod concurrency;
mod differential_findings;
mod fail_closed;
mod key_set_edges;
mod kms;
mod lambda_binary;
mod private_ca;
mod real_idp;
