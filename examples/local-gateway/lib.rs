//! The local gateway's parts: the `$connect` event API Gateway would build
//! (`event`), the WebSocket API itself (`gateway`), the demo identity
//! provider (`idp`), and the `@connections` Management API with the stage's
//! access log (`management`). A library of its own so that `cargo test`
//! runs their unit tests while the example (`main.rs`) stays a plain binary
//! that the gateway tests start.

pub mod event;
pub mod gateway;
pub mod idp;
pub mod management;
