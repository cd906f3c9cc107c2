//! What every layer writes through: logs (`logging`), metrics
//! (`metrics`), and the Runtime API call lambda_runtime does not make
//! (`runtime_api`).

pub mod logging;
pub mod metrics;
pub mod runtime_api;
