//! Log set-up: Lambda's advanced logging controls, one decision line per
//! invocation and nothing else at error level for an ordinary refusal.

use std::str::FromStr;

use tracing_subscriber::filter::{Directive, EnvFilter, LevelFilter};
use tracing_subscriber::util::SubscriberInitExt;

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
    // A second initialisation (tests, examples) keeps the first subscriber.
    if format.eq_ignore_ascii_case("json") {
        let _ = json_lines(filter, std::io::stdout).try_init();
    } else {
        // Lambda stamps text lines itself.
        let _ = tracing_subscriber::fmt()
            .with_target(false)
            .without_time()
            .with_env_filter(filter)
            .try_init();
    }
}

/// JSON lines as Lambda's log-level filtering reads them: `level`, and a
/// `timestamp` in RFC 3339. Lambda counts a JSON line without a valid
/// `timestamp` as INFO, so at `AWS_LAMBDA_LOG_LEVEL=WARN` it would drop the
/// warnings (stale keys served) along with everything else.
fn json_lines<W>(
    filter: EnvFilter,
    writer: W,
) -> tracing_subscriber::FmtSubscriber<
    tracing_subscriber::fmt::format::JsonFields,
    tracing_subscriber::fmt::format::Format<
        tracing_subscriber::fmt::format::Json,
        tracing_subscriber::fmt::time::SystemTime,
    >,
    EnvFilter,
    W,
>
where
    W: for<'writer> tracing_subscriber::fmt::MakeWriter<'writer> + Send + Sync + 'static,
{
    tracing_subscriber::fmt()
        .json()
        .with_target(false)
        .with_timer(tracing_subscriber::fmt::time::SystemTime)
        .with_env_filter(filter)
        .with_writer(writer)
        .finish()
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

    /// A writer into a shared buffer, to read what the subscriber wrote.
    #[derive(Clone, Default)]
    struct Buffer(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

    impl std::io::Write for Buffer {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn json_lines_carry_the_level_and_an_rfc3339_timestamp() {
        let buffer = Buffer::default();
        let writer = buffer.clone();
        let subscriber = json_lines(EnvFilter::new("warn"), move || writer.clone());
        tracing::subscriber::with_default(subscriber, || {
            tracing::info!("filtered out");
            tracing::warn!("stale keys served");
        });
        let output = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
        let lines: Vec<&str> = output.lines().collect();
        assert_eq!(lines.len(), 1, "{output}");
        let line: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
        assert_eq!(line["level"], "WARN");
        assert_eq!(line["fields"]["message"], "stale keys served");
        let timestamp = line["timestamp"].as_str().expect("a timestamp string");
        // RFC 3339 in UTC: YYYY-MM-DDTHH:MM:SS[.fraction]Z.
        let bytes = timestamp.as_bytes();
        assert!(
            timestamp.len() >= 20
                && timestamp.ends_with('Z')
                && bytes[4] == b'-'
                && bytes[7] == b'-'
                && bytes[10] == b'T'
                && bytes[13] == b':'
                && bytes[16] == b':'
                && timestamp[..4].parse::<u32>().unwrap() >= 2024,
            "{timestamp}"
        );
    }

    #[test]
    fn lambda_level_names() {
        assert_eq!(level_filter("DEBUG"), LevelFilter::DEBUG);
        assert_eq!(level_filter("warn"), LevelFilter::WARN);
        assert_eq!(level_filter("FATAL"), LevelFilter::ERROR);
        assert_eq!(level_filter("chatty"), LevelFilter::INFO);
        assert!(Directive::from_str(HANDLER_ERROR_TARGET).is_ok());
    }
}
