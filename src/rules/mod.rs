//! The rules a verified token meets: the claim checks (`claims`), the
//! rights that give a 403 (`access`, with `route_scopes` and the ARN
//! patterns of `arn`), the context they pass on (`context`), each a list of
//! checks run by `checks`. They read their own settings and know nothing of
//! the event's kind beyond its `Shape`.

pub mod access;
pub mod arn;
pub mod checks;
pub mod claims;
pub mod context;
pub mod route_scopes;
