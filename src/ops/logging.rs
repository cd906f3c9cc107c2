//! Log set-up: Lambda's advanced logging controls, one decision line per
//! invocation and nothing else at error level for an ordinary refusal.

use std::str::FromStr;

use tracing::{Level, Metadata, Subscriber};
use tracing_subscriber::filter::{filter_fn, Directive, EnvFilter, LevelFilter};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::{Layer, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;
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
    let registry = tracing_subscriber::registry()
        .with(filter)
        .with(filter_fn(is_safe_to_write));
    // A second initialisation (tests, examples) keeps the first subscriber.
    let _ = if format.eq_ignore_ascii_case("json") {
        registry.with(json_lines(std::io::stdout)).try_init()
    } else {
        // Lambda stamps text lines itself.
        let text = tracing_subscriber::fmt::layer()
            .with_target(false)
            .without_time();
        registry.with(text).try_init()
    };
}

/// JSON lines as Lambda's log-level filtering reads them: `level`, and a
/// `timestamp` in RFC 3339. Lambda counts a JSON line without a valid
/// `timestamp` as INFO, so at `AWS_LAMBDA_LOG_LEVEL=WARN` it would drop the
/// warnings (stale keys served) along with everything else.
fn json_lines<S, W>(writer: W) -> impl Layer<S>
where
    S: Subscriber + for<'span> LookupSpan<'span>,
    W: for<'writer> MakeWriter<'writer> + Send + Sync + 'static,
{
    tracing_subscriber::fmt::layer()
        .json()
        .with_target(false)
        .with_timer(tracing_subscriber::fmt::time::SystemTime)
        .with_writer(writer)
}

/// Whether an event or span may be written at all, whatever level was asked
/// for: other crates' DEBUG and TRACE output carries what they handle
/// (lambda_runtime writes the whole event — query string, `Authorization`,
/// cookies, subprotocols: the token — and hyper and reqwest write headers and
/// bodies), so only this crate's own may pass below INFO. This crate never
/// writes a token, a signature or key material at any level.
fn is_safe_to_write(metadata: &Metadata<'_>) -> bool {
    *metadata.level() <= Level::INFO || metadata.target().starts_with(env!("CARGO_CRATE_NAME"))
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
        let subscriber = tracing_subscriber::registry()
            .with(EnvFilter::new("warn"))
            .with(json_lines(move || writer.clone()));
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
    fn other_crates_write_nothing_below_info() {
        use tracing::callsite::Identifier;
        use tracing::metadata::Kind;
        use tracing::Callsite;

        struct Site;
        impl Callsite for Site {
            fn set_interest(&self, _: tracing::subscriber::Interest) {}
            fn metadata(&self) -> &Metadata<'_> {
                unreachable!()
            }
        }
        static SITE: Site = Site;
        let metadata = |target: &'static str, level: Level| {
            Metadata::new(
                "event",
                target,
                level,
                None,
                None,
                None,
                tracing::field::FieldSet::new(&[], Identifier(&SITE)),
                Kind::EVENT,
            )
        };
        for (target, level, written) in [
            ("lambda_runtime::layers::api_response", Level::TRACE, false),
            ("lambda_runtime", Level::DEBUG, false),
            ("hyper_util::client", Level::TRACE, false),
            ("reqwest::connect", Level::DEBUG, false),
            ("lambda_runtime", Level::INFO, true),
            ("hyper", Level::WARN, true),
            ("ws_jwt_authorizer::jwks", Level::TRACE, true),
            ("ws_jwt_authorizer", Level::DEBUG, true),
        ] {
            assert_eq!(
                is_safe_to_write(&metadata(target, level)),
                written,
                "{target} at {level}"
            );
        }
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
