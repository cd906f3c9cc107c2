//! Reading what the CloudWatch Logs subscription delivers: a base64, gzip
//! JSON envelope of log events, each message one access-log line in the
//! module's format (`terraform/modules/session-guard/access-log-format.json`).

use std::io::Read;

use base64::Engine;
use serde::Deserialize;
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
    log_events: Vec<LogEvent>,
}

#[derive(Deserialize)]
struct LogEvent {
    message: String,
}

/// Unpacks `awslogs.data` into the messages of its log events. The
/// `CONTROL_MESSAGE` CloudWatch Logs sends to check the destination has
/// none.
pub fn messages(data: &str) -> Result<Vec<String>, BatchError> {
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
    Ok(envelope.log_events.into_iter().map(|e| e.message).collect())
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
    /// otherwise).
    pub subject: Option<String>,
    /// `$context.authorizer.exp`, seconds since the epoch.
    pub exp: Option<u64>,
}

/// Why one line was skipped.
#[derive(Debug, PartialEq, Eq)]
pub enum LineError {
    /// Not a JSON object.
    NotJson,
    /// No `connectionId`.
    NoConnectionId,
    /// An `exp` that is not a number of seconds.
    BadExp,
}

/// API Gateway writes `-` for a variable without a value.
fn present(value: Option<&Value>) -> Option<&Value> {
    value.filter(|value| !matches!(value, Value::Null) && value.as_str() != Some("-"))
}

fn text(object: &serde_json::Map<String, Value>, key: &str) -> Option<String> {
    present(object.get(key))
        .and_then(Value::as_str)
        .filter(|value| !value.is_empty())
        .map(str::to_owned)
}

/// Reads one access-log line. `exp` may be written quoted (the format
/// quotes every variable) or as a number.
pub fn parse_line(line: &str) -> Result<AccessEvent, LineError> {
    let Ok(Value::Object(object)) = serde_json::from_str::<Value>(line.trim()) else {
        return Err(LineError::NotJson);
    };
    // A refused `$connect` (401, 403, 500) is logged as a CONNECT too; no
    // connection was opened.
    let refused = text(&object, "status").is_some_and(|status| !status.starts_with('2'));
    let event_type = match text(&object, "eventType").as_deref() {
        Some("CONNECT") if refused => EventType::Other,
        Some("CONNECT") => EventType::Connect,
        Some("DISCONNECT") => EventType::Disconnect,
        _ => EventType::Other,
    };
    let connection_id = text(&object, "connectionId").ok_or(LineError::NoConnectionId)?;
    let exp = match present(object.get("exp")) {
        None => None,
        Some(Value::Number(number)) => Some(number.as_u64().ok_or(LineError::BadExp)?),
        Some(Value::String(digits)) => Some(digits.parse().map_err(|_| LineError::BadExp)?),
        Some(_) => return Err(LineError::BadExp),
    };
    let subject = text(&object, "sub").or_else(|| text(&object, "principalId"));
    Ok(AccessEvent {
        event_type,
        connection_id,
        subject,
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
            "logEvents": [{"id": "1", "timestamp": 1, "message": "a"}, {"id": "2", "timestamp": 2, "message": "b"}]
        }));
        assert_eq!(messages(&data), Ok(vec!["a".to_owned(), "b".to_owned()]));
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
        for exp in [r#""soon""#, "-5", "1.5", "[1]", r#""""#] {
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
