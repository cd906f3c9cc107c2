//! Reading what the CloudWatch Logs subscription delivers: a base64, gzip
//! JSON envelope of log events, each message one access-log line in the
//! module's format (`terraform/modules/session-guard/access-log-format.json`).

use std::io::Read;

use base64::Engine;
use serde::de::IgnoredAny;
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;

/// The access-log format the Terraform module gives the stage, and the
/// local gateway writes in the tests: one JSON object a line.
pub const FORMAT: &str =
    include_str!("../../terraform/modules/session-guard/access-log-format.json");

/// Why a whole delivery could not be read (nothing in it is processed).
#[derive(Debug, PartialEq, Eq)]
pub enum BatchError {
    /// `awslogs.data` is not base64.
    Base64,
    /// The decoded bytes are not gzip.
    Gzip,
    /// The unzipped text is not the subscription's JSON envelope.
    Json(String),
}

impl std::fmt::Display for BatchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BatchError::Base64 => write!(f, "awslogs.data is not base64"),
            BatchError::Gzip => write!(f, "awslogs.data is not gzip"),
            BatchError::Json(error) => write!(f, "awslogs.data is not a log envelope: {error}"),
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Envelope {
    message_type: String,
    #[serde(default)]
    log_events: Vec<LogLine>,
}

/// One log event of a delivery.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct LogLine {
    /// The access-log line.
    pub message: String,
    /// When API Gateway wrote it, milliseconds since the epoch: for a
    /// CONNECT, when the connection opened.
    #[serde(default)]
    pub timestamp: Option<u64>,
}

impl LogLine {
    /// [`Self::timestamp`] in seconds.
    pub fn logged_at(&self) -> Option<u64> {
        self.timestamp.map(|milliseconds| milliseconds / 1000)
    }
}

/// Unpacks `awslogs.data` into its log events. The `CONTROL_MESSAGE`
/// CloudWatch Logs sends to check the destination has none.
pub fn messages(data: &str) -> Result<Vec<LogLine>, BatchError> {
    let zipped = base64::engine::general_purpose::STANDARD
        .decode(data.trim())
        .map_err(|_| BatchError::Base64)?;
    // Access-log batches are at most 1 MB unzipped; refuse to inflate a
    // bomb beyond a generous bound.
    let mut text = String::new();
    flate2::read::GzDecoder::new(zipped.as_slice())
        .take(16 << 20)
        .read_to_string(&mut text)
        .map_err(|_| BatchError::Gzip)?;
    let envelope: Envelope =
        serde_json::from_str(&text).map_err(|error| BatchError::Json(error.to_string()))?;
    if envelope.message_type != "DATA_MESSAGE" {
        return Ok(Vec::new());
    }
    Ok(envelope.log_events)
}

/// What happened on the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventType {
    /// `$connect` succeeded: the connection is open.
    Connect,
    /// The connection closed (either side).
    Disconnect,
    /// A message, a refused `$connect`, or anything else the guard has no
    /// business with.
    Other,
}

/// One access-log line, as the guard needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessEvent {
    /// `$context.eventType`.
    pub event_type: EventType,
    /// `$context.connectionId`.
    pub connection_id: String,
    /// `$context.authorizer.sub`, else `$context.authorizer.principalId`
    /// (the authorizer's principal is the subject unless configured
    /// otherwise), exactly as the token has it; `None` when neither is
    /// there, or when the one that is cannot be read back exactly
    /// ([`Self::unreadable_subject`]).
    pub subject: Option<String>,
    /// The subject was logged with an escape other than `\"` (see
    /// [`logged_text`]): the connection is guarded without a subject, never
    /// under a guessed one.
    pub unreadable_subject: bool,
    /// `$context.authorizer.exp`, seconds since the epoch.
    pub exp: Option<u64>,
}

/// Why one line was skipped.
#[derive(Debug, PartialEq, Eq)]
pub enum LineError {
    /// Not a JSON object.
    NotJson,
    /// A member the format does not write, or one written twice: a value
    /// broke out of its quotes (see [`Line`]).
    InjectedMember,
    /// No `connectionId`.
    NoConnectionId,
    /// An `exp` that is not a number of seconds.
    BadExp,
}

/// The members of a line the guard reads.
///
/// API Gateway does not promise to escape `$context.authorizer.*` values
/// in the access log, and those come from the token (the principal claim,
/// `sub`). A value such as `x","connectionId":"VICTIM` would otherwise
/// write a second `connectionId`, and a JSON reader keeping the last one
/// would schedule someone else's connection; `alice","q":"` would end the
/// subject early and file the connection under `alice`. A value that breaks
/// out of its quotes must write a member of its own: every member of
/// [`FORMAT`] is declared here, unknown ones are refused, and serde refuses a
/// member written twice, so such a line is refused, never read.
///
/// `principalId` and `sub` are kept as the logger wrote them (their raw
/// JSON text): [`logged_text`] reads them, not a JSON decoder.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Line<'a> {
    #[serde(rename = "requestId")]
    _request_id: Option<IgnoredAny>,
    #[serde(rename = "requestTime")]
    _request_time: Option<IgnoredAny>,
    #[serde(rename = "routeKey")]
    _route_key: Option<IgnoredAny>,
    event_type: Option<Value>,
    status: Option<Value>,
    connection_id: Option<Value>,
    #[serde(borrow)]
    principal_id: Option<&'a RawValue>,
    #[serde(borrow)]
    sub: Option<&'a RawValue>,
    exp: Option<Value>,
}

/// API Gateway writes `-` for a variable without a value.
fn present(value: Option<&Value>) -> Option<&Value> {
    value.filter(|value| !matches!(value, Value::Null) && value.as_str() != Some("-"))
}

fn text(value: Option<&Value>) -> Option<String> {
    present(value)
        .and_then(Value::as_str)
        .filter(|value| !value.is_empty())
        .map(str::to_owned)
}

/// Whether `sub` can be a subject the guard reads from a line: not empty,
/// not `-`, which API Gateway writes for a missing value (a token whose
/// `sub` is literally `-` cannot be told from one without `sub`), and
/// without a backslash, which the guard never reads back (see
/// [`logged_text`]): no connection is ever filed under such a subject.
pub fn is_subject(sub: &str) -> bool {
    !sub.is_empty() && sub != "-" && !sub.contains('\\')
}

/// A subject or principal as the guard reads it from a line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Logged {
    /// Not in the line, `null`, not a string, empty, or `-`.
    Missing,
    /// The token's claim value, exactly.
    Text(String),
    /// Written with an escape other than `\"`: what the token holds cannot
    /// be told for sure.
    Unreadable,
}

/// Reads a subject (or principal) from the raw JSON text of its member,
/// undoing only the one escape the logger is known to write.
///
/// The `$context` variables are substituted into the access-log format by
/// API Gateway, and AWS documents no escaping of their values: its pages on
/// access logging ("Variables for access logging for API Gateway",
/// <https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-variables-for-access-logging.html>,
/// and "Configure logging for WebSocket APIs in API Gateway",
/// <https://docs.aws.amazon.com/apigateway/latest/developerguide/websocket-api-logging.html>)
/// say only that `$context.authorizer.property` is "the stringified value"
/// of the authorizer's context entry, and `$context.error.messageString`
/// "the quoted value of `$context.error.message`"; nothing on quotes or
/// backslashes in a value. What is known comes from observation: a quote
/// is written `\"` (the format's quotes hold), and a REST API's access log
/// has been seen writing a backslash as `\\` too (a User-Agent of
/// `""\"…` logged as `\"\"\\\"…`: DataBiosphere/azul issue 4348, July
/// 2024), while a WebSocket API's log of a backslash in a subject has not
/// been seen here either way. A JSON decoder reads `\u0061lice` as `alice` and
/// `bob\\` as `bob\`: right if the logger escapes backslashes, wrong if it
/// does not, and then a token whose subject is the literal `\u0061lice`
/// is filed under `alice` (revoke `alice` ends it, revoke `\u0061lice`
/// misses it). Taking the backslash literally is wrong the other way round:
/// if the logger does escape it, the subject `bob\` is filed as `bob\\`,
/// under another's name. Neither reading is safe while the logger's rule is
/// unknown, so:
///
/// - `\"` is a quote: both kinds of logger write a quote so (a logger that
///   wrote it bare would end the value and break the line, which is then
///   refused), and a text whose every backslash is the start of `\"` reads
///   the same under either rule;
/// - any other backslash makes the value [`Logged::Unreadable`]. The
///   connection is then guarded without a subject (its schedule still ends
///   it at `exp`; revoke cannot find it), and no subject with a backslash
///   is ever filed, so `revoke --sub` refuses one ([`is_subject`]).
///
/// So a subject is either the token's own value or none: `a"` and `a\"`
/// cannot meet (the first is logged `a\"`, the second `a\\\"` or
/// `a\\"`, unreadable or a broken line), nor can an escape the logger did
/// not write turn one subject into another.
pub fn logged_text(raw: Option<&RawValue>) -> Logged {
    let Some(text) = raw
        .map(RawValue::get)
        .and_then(|json| json.strip_prefix('"'))
        .and_then(|json| json.strip_suffix('"'))
    else {
        return Logged::Missing;
    };
    let mut read = String::with_capacity(text.len());
    let mut characters = text.chars();
    while let Some(character) = characters.next() {
        match character {
            '\\' => match characters.next() {
                Some('"') => read.push('"'),
                _ => return Logged::Unreadable,
            },
            other => read.push(other),
        }
    }
    if read.is_empty() || read == "-" {
        Logged::Missing
    } else {
        Logged::Text(read)
    }
}

/// Later than any real token lifetime (9999-12-31), as the authorizer's bound.
const MAX_EXP: f64 = 253_402_300_799.0;

/// `exp` as whole seconds: a number or its text, fractions dropped (the
/// authorizer accepts `exp: 1700000060.5` and passes it on as written).
fn seconds(value: &Value) -> Result<u64, LineError> {
    let number = match value {
        Value::Number(number) => number.as_f64(),
        Value::String(text) => text.trim().parse::<f64>().ok(),
        _ => None,
    };
    match number {
        Some(number) if number.is_finite() && (0.0..=MAX_EXP).contains(&number) => {
            Ok(number.floor() as u64)
        }
        _ => Err(LineError::BadExp),
    }
}

/// Reads one access-log line. `exp` may be written quoted (the format
/// quotes every variable) or as a number.
pub fn parse_line(line: &str) -> Result<AccessEvent, LineError> {
    let line = line.trim();
    // serde_json would also read a struct from an array.
    if !line.starts_with('{') {
        return Err(LineError::NotJson);
    }
    let line: Line = serde_json::from_str(line).map_err(|error| match error.classify() {
        // Every value fits (a `Value`, or its raw text): the only data
        // errors left are a member the format does not write and one
        // written twice.
        serde_json::error::Category::Data => LineError::InjectedMember,
        _ => LineError::NotJson,
    })?;
    // A refused `$connect` (401, 403, 500) is logged as a CONNECT too; no
    // connection was opened.
    let refused = text(line.status.as_ref()).is_some_and(|status| !status.starts_with('2'));
    let event_type = match text(line.event_type.as_ref()).as_deref() {
        Some("CONNECT") if refused => EventType::Other,
        Some("CONNECT") => EventType::Connect,
        Some("DISCONNECT") => EventType::Disconnect,
        _ => EventType::Other,
    };
    let connection_id = text(line.connection_id.as_ref()).ok_or(LineError::NoConnectionId)?;
    let exp = present(line.exp.as_ref()).map(seconds).transpose()?;
    // The principal stands in only for a missing `sub`, never for one that
    // cannot be read.
    let subject = match logged_text(line.sub) {
        Logged::Missing => logged_text(line.principal_id),
        sub => sub,
    };
    let (subject, unreadable_subject) = match subject {
        Logged::Text(subject) => (Some(subject), false),
        Logged::Missing => (None, false),
        Logged::Unreadable => (None, true),
    };
    Ok(AccessEvent {
        event_type,
        connection_id,
        subject,
        unreadable_subject,
        exp,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    /// What CloudWatch Logs sends: gzip, then base64.
    fn pack(envelope: &Value) -> String {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder.write_all(envelope.to_string().as_bytes()).unwrap();
        base64::engine::general_purpose::STANDARD.encode(encoder.finish().unwrap())
    }

    #[test]
    fn unpacks_a_subscription_delivery() {
        let data = pack(&serde_json::json!({
            "messageType": "DATA_MESSAGE", "owner": "123456789012",
            "logGroup": "/aws/apigateway/ws", "logStream": "s", "subscriptionFilters": ["guard"],
            "logEvents": [{"id": "1", "timestamp": 1764475200123_u64, "message": "a"}, {"id": "2", "message": "b"}]
        }));
        let read = messages(&data).unwrap();
        assert_eq!(
            read,
            [
                LogLine {
                    message: "a".into(),
                    timestamp: Some(1_764_475_200_123)
                },
                LogLine {
                    message: "b".into(),
                    timestamp: None
                }
            ]
        );
        assert_eq!(read[0].logged_at(), Some(1_764_475_200));
    }

    #[test]
    fn the_control_message_has_no_lines() {
        let data = pack(&serde_json::json!({
            "messageType": "CONTROL_MESSAGE", "logEvents": [{"id": "", "timestamp": 1,
            "message": "CWL CONTROL MESSAGE: Checking health of destination Lambda."}]
        }));
        assert_eq!(messages(&data), Ok(Vec::new()));
    }

    #[test]
    fn refuses_what_is_not_a_delivery() {
        assert_eq!(messages("%%%"), Err(BatchError::Base64));
        let not_gzip = base64::engine::general_purpose::STANDARD.encode(b"plain");
        assert_eq!(messages(&not_gzip), Err(BatchError::Gzip));
        assert!(matches!(
            messages(&pack(&serde_json::json!({"logEvents": []}))),
            Err(BatchError::Json(_))
        ));
    }

    #[test]
    fn reads_the_module_format_with_api_gateway_dashes() {
        let line = r#"{"requestId":"r1","requestTime":"30/Nov/2026:04:00:00 +0000","eventType":"CONNECT","routeKey":"$connect","status":"200","connectionId":"Dzl8bdcnDoECJZQ=","principalId":"alice","sub":"alice","exp":"1764478800"}"#;
        assert_eq!(
            parse_line(line),
            Ok(AccessEvent {
                event_type: EventType::Connect,
                connection_id: "Dzl8bdcnDoECJZQ=".into(),
                subject: Some("alice".into()),
                unreadable_subject: false,
                exp: Some(1_764_478_800),
            })
        );
        let without = r#"{"eventType":"DISCONNECT","connectionId":"c1","sub":"-","principalId":"-","exp":"-"}"#;
        assert_eq!(
            parse_line(without),
            Ok(AccessEvent {
                event_type: EventType::Disconnect,
                connection_id: "c1".into(),
                subject: None,
                unreadable_subject: false,
                exp: None,
            })
        );
    }

    #[test]
    fn the_principal_stands_in_for_a_missing_sub_and_exp_may_be_a_number() {
        let line =
            r#"{"eventType":"CONNECT","connectionId":"c1","principalId":"svc","exp":1764478800}"#;
        let event = parse_line(line).unwrap();
        assert_eq!(event.subject.as_deref(), Some("svc"));
        assert_eq!(event.exp, Some(1_764_478_800));
        let refused = r#"{"eventType":"CONNECT","status":"403","connectionId":"c1","exp":"-"}"#;
        assert_eq!(parse_line(refused).unwrap().event_type, EventType::Other);
        assert_eq!(
            parse_line(r#"{"eventType":"MESSAGE","connectionId":"c1"}"#)
                .unwrap()
                .event_type,
            EventType::Other
        );
    }

    #[test]
    fn malformed_lines_say_why() {
        assert_eq!(parse_line("not json"), Err(LineError::NotJson));
        assert_eq!(parse_line("[1]"), Err(LineError::NotJson));
        assert_eq!(
            parse_line(r#"{"eventType":"CONNECT","connectionId":"-"}"#),
            Err(LineError::NoConnectionId)
        );
        for exp in [
            r#""soon""#,
            "-5",
            r#""-1""#,
            "[1]",
            r#""""#,
            r#""inf""#,
            r#""NaN""#,
            "1e300",
        ] {
            assert_eq!(
                parse_line(&format!(
                    r#"{{"eventType":"CONNECT","connectionId":"c","exp":{exp}}}"#
                )),
                Err(LineError::BadExp),
                "{exp}"
            );
        }
    }

    #[test]
    fn a_fractional_or_exponent_exp_is_whole_seconds() {
        for (exp, seconds) in [
            ("1764478860.5", 1_764_478_860),
            (r#""1764478860.0""#, 1_764_478_860),
            (r#""1.76447886E9""#, 1_764_478_860),
            (r#""1764478860""#, 1_764_478_860),
        ] {
            let line = format!(r#"{{"eventType":"CONNECT","connectionId":"c","exp":{exp}}}"#);
            assert_eq!(
                parse_line(&line).map(|event| event.exp),
                Ok(Some(seconds)),
                "{exp}"
            );
        }
    }

    /// The shipped format with these authorizer values written in verbatim,
    /// as a logger that does not escape them would.
    fn unescaped_line(event_type: &str, connection_id: &str, principal: &str, sub: &str) -> String {
        FORMAT
            .replace("$context.requestId", "r")
            .replace("$context.requestTime", "t")
            .replace("$context.eventType", event_type)
            .replace("$context.routeKey", "$connect")
            .replace("$context.status", "200")
            .replace("$context.connectionId", connection_id)
            .replace("$context.authorizer.principalId", principal)
            .replace("$context.authorizer.sub", sub)
            .replace("$context.authorizer.exp", "1764478860")
    }

    #[test]
    fn a_value_that_breaks_out_of_its_quotes_cannot_name_another_connection() {
        let honest = unescaped_line("CONNECT", "MALLORYid0000A=", "mallory", "mallory");
        assert_eq!(
            parse_line(&honest).map(|event| (event.connection_id, event.subject)),
            Ok(("MALLORYid0000A=".to_owned(), Some("mallory".to_owned())))
        );
        for (principal, sub) in [
            (r#"x","connectionId":"VICTIMid0000AA="#, "mallory"),
            ("mallory", r#"m","eventType":"DISCONNECT"#),
            ("mallory", r#"m","status":"403"#),
            ("mallory", r#"m","exp":"9999999999"#),
            (r#"x","sub":"alice"#, "-"),
            // Ends the subject early without repeating a member.
            (r#"mallory","q":""#, r#"mallory","q":""#),
            (r#"alice","q":""#, r#"alice","q":""#),
        ] {
            let forged = unescaped_line("CONNECT", "MALLORYid0000A=", principal, sub);
            assert_eq!(
                parse_line(&forged),
                Err(LineError::InjectedMember),
                "{forged}"
            );
        }
    }

    /// A logger that escapes only the quote, and writes a backslash as it
    /// came (what the review assumed API Gateway does).
    fn quotes_escaped(value: &str) -> String {
        value.replace('"', "\\\"")
    }

    /// A logger that escapes as JSON does (what a REST API's access log has
    /// been seen doing, and the local gateway does).
    fn json_escaped(value: &str) -> String {
        let quoted = Value::String(value.to_owned()).to_string();
        quoted[1..quoted.len() - 1].to_owned()
    }

    /// The shipped format's CONNECT line for `sub` and `principal`, written
    /// by `logger`.
    fn logged(logger: fn(&str) -> String, principal: &str, sub: &str) -> String {
        unescaped_line("CONNECT", "C1=", &logger(principal), &logger(sub))
    }

    /// What the guard files the line under: the subject, or none and
    /// whether that is because it could not be read.
    fn filed(line: &str) -> Result<(Option<String>, bool), LineError> {
        parse_line(line).map(|event| (event.subject, event.unreadable_subject))
    }

    #[test]
    fn an_escape_in_the_line_never_changes_the_subject() {
        // Written as they came (a logger escaping only quotes): JSON would
        // read `alice`, `bob\` and `carol/`.
        for sub in [r"\u0061lice", r"bob\\", r"carol\/", r"tab\tbed", r"\u0022"] {
            assert_eq!(
                filed(&logged(quotes_escaped, "-", sub)),
                Ok((None, true)),
                "{sub}"
            );
        }
        // The same subjects JSON-escaped: `\\u0061lice` is not read as
        // `\u0061lice` either (a logger taking backslashes literally
        // would write that for the subject `\\u0061lice`).
        for sub in [r"\u0061lice", r"bob\", "carol/\\", "line\nbreak"] {
            assert_eq!(
                filed(&logged(json_escaped, "-", sub)),
                Ok((None, true)),
                "{sub}"
            );
        }
        // JSON would read these as `alice`: none is ever filed so.
        for raw in [r"\u0061lice", r"\u0061\u006c\u0069\u0063\u0065", r"\/alice"] {
            let line = unescaped_line("CONNECT", "C1=", "-", raw);
            assert_eq!(filed(&line), Ok((None, true)), "{raw}");
        }
    }

    #[test]
    fn a_quote_the_logger_escaped_reads_back_exactly() {
        for logger in [quotes_escaped, json_escaped] {
            for sub in [r#"o"hara"#, r#"""#, r#"a""b"#, "alice", "ü@example.com"] {
                assert_eq!(
                    filed(&logged(logger, "-", sub)),
                    Ok((Some(sub.to_owned()), false)),
                    "{sub}"
                );
            }
        }
    }

    /// `a"` and `a\"` (and every other pair) never meet: whatever either
    /// logger writes, the guard files the token's own subject or none.
    #[test]
    fn a_subject_is_the_tokens_own_or_none() {
        let subjects = [
            r#"a""#,
            r#"a\""#,
            r#"a\\""#,
            r"a\",
            r"a\\",
            "a",
            r#"a\"b"#,
            r#"a"b"#,
            r"\u0061",
            "\u{0}",
            "\n",
            r"\n",
            r#"","sub":"alice"#,
            "-",
            "",
        ];
        for logger in [quotes_escaped, json_escaped] {
            for sub in subjects {
                match filed(&logged(logger, "-", sub)) {
                    Ok((Some(read), false)) => assert_eq!(read, sub),
                    Ok((None, _)) | Err(_) => {}
                    Ok(other) => panic!("{sub:?}: {other:?}"),
                }
            }
        }
    }

    #[test]
    fn the_principal_stands_in_only_for_a_missing_sub() {
        // No `sub`: the principal, read the same way.
        assert_eq!(
            filed(&logged(quotes_escaped, "svc", "-")),
            Ok((Some("svc".to_owned()), false))
        );
        assert_eq!(
            filed(&logged(quotes_escaped, r"\u0073vc", "-")),
            Ok((None, true))
        );
        // A `sub` that cannot be read is not replaced by the principal.
        assert_eq!(
            filed(&logged(quotes_escaped, "alice", r"\u0061lice")),
            Ok((None, true))
        );
    }

    #[test]
    fn no_subject_with_a_backslash_is_ever_revoked() {
        assert!(is_subject("alice"));
        assert!(is_subject(r#"o"hara"#));
        for sub in ["", "-", r"\u0061lice", r"bob\", r"corp\alice"] {
            assert!(!is_subject(sub), "{sub}");
        }
    }

    /// Every member the format writes is one [`Line`] declares: with
    /// unknown members refused, a member missing there would refuse every
    /// line.
    #[test]
    fn every_line_of_the_shipped_format_is_read() {
        let line = unescaped_line("CONNECT", "C1=", "alice", "alice");
        assert_eq!(
            parse_line(&line).map(|event| event.subject),
            Ok(Some("alice".to_owned()))
        );
    }

    #[test]
    fn the_shipped_format_is_json_with_the_variables_the_guard_reads() {
        let format: Value = serde_json::from_str(FORMAT).unwrap();
        for (key, variable) in [
            ("eventType", "$context.eventType"),
            ("connectionId", "$context.connectionId"),
            ("sub", "$context.authorizer.sub"),
            ("principalId", "$context.authorizer.principalId"),
            ("exp", "$context.authorizer.exp"),
            ("requestTime", "$context.requestTime"),
        ] {
            assert_eq!(format[key], variable, "{key}");
        }
    }
}
