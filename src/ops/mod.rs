//! What every layer writes through: logs (`logging`), metrics
//! (`metrics`), the Runtime API call lambda_runtime does not make
//! (`runtime_api`), and TLS for every HTTPS call (`tls`).

pub mod logging;
pub mod metrics;
pub mod runtime_api;
pub mod tls;
