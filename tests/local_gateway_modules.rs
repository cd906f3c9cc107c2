//! The local gateway example's own unit tests (the event it builds against
//! the real-shaped fixture, how it reads policies), compiled from its
//! modules so that `cargo test` runs them.
// The example's entry point, which uses the rest, is not part of this crate.
#![allow(dead_code)]

#[path = "../examples/local-gateway/event.rs"]
mod event;
#[path = "../examples/local-gateway/gateway.rs"]
mod gateway;
#[path = "common/http.rs"]
mod http;
#[path = "../examples/local-gateway/idp.rs"]
mod idp;
#[path = "../examples/local-gateway/management.rs"]
mod management;
#[path = "common/runtime_api.rs"]
mod runtime_api;
