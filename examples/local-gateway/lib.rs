//! The local gateway's parts: the authorizer events API Gateway would build
//! (`event`: a WebSocket `$connect`, an HTTP API's payload 2.0), the
//! WebSocket API itself (`gateway`), the HTTP API beside it behind the same
//! authorizer (`http_api`), the demo identity provider (`idp`), and the
//! `@connections` Management API with the stage's access log
//! (`management`). A library of its own so that `cargo test` runs their unit
//! tests while the example (`main.rs`) stays a plain binary that the gateway
//! tests start.

pub mod event;
pub mod gateway;
pub mod http_api;
pub mod idp;
pub mod management;
