//! The request: the event as API Gateway sends it, of every kind
//! (`event`), where its token is (`token`), and reading it from the
//! invocation's body before lambda_runtime would (`invocation`).

pub mod event;
pub mod invocation;
pub mod token;
