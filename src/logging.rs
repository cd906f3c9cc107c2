//! Log set-up: Lambda's advanced logging controls, one decision line per
//! invocation and nothing else at error level for an ordinary refusal.

use std::str::FromStr;

use tracing_subscriber::filter::{Directive, EnvFilter, LevelFilter};

/// lambda_runtime logs every handler error at ERROR level from this target.
/// A refused token is an ordinary outcome, already in the decision line, so
/// these are dropped; a panic still reaches stderr through Rust's panic hook.
const HANDLER_ERROR_TARGET: &str = "lambda_runtime::layers::panic=off";

/// Installs the global subscriber: JSON when `AWS_LAMBDA_LOG_FORMAT=JSON`,
/// the level from `AWS_LAMBDA_LOG_LEVEL` (else `RUST_LOG`, else INFO).
pub fn init() {
    let format = std::env::var("AWS_LAMBDA_LOG_FORMAT").unwrap_or_default();
    let level = std::env::var("AWS_LAMBDA_LOG_LEVEL")
        .or_else(|_| std::env::var("RUST_LOG"))
        .map(|value| level_filter(&value))
        .unwrap_or(LevelFilter::INFO);
    let mut filter = EnvFilter::builder()
        .with_default_directive(level.into())
        .from_env_lossy();
    if let Ok(directive) = Directive::from_str(HANDLER_ERROR_TARGET) {
        filter = filter.add_directive(directive);
    }
    let subscriber = tracing_subscriber::fmt()
        .with_target(false)
        .without_time()
        .with_env_filter(filter);
    // A second initialisation (tests, examples) keeps the first subscriber.
    let _ = if format.eq_ignore_ascii_case("json") {
        subscriber.json().try_init()
    } else {
        subscriber.try_init()
    };
}

/// Lambda's level names, `FATAL` included, to a filter; unknown names mean INFO.
fn level_filter(value: &str) -> LevelFilter {
    if value.eq_ignore_ascii_case("fatal") {
        return LevelFilter::ERROR;
    }
    LevelFilter::from_str(value).unwrap_or(LevelFilter::INFO)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lambda_level_names() {
        assert_eq!(level_filter("DEBUG"), LevelFilter::DEBUG);
        assert_eq!(level_filter("warn"), LevelFilter::WARN);
        assert_eq!(level_filter("FATAL"), LevelFilter::ERROR);
        assert_eq!(level_filter("chatty"), LevelFilter::INFO);
        assert!(Directive::from_str(HANDLER_ERROR_TARGET).is_ok());
    }
}
