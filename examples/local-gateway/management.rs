//! What API Gateway has beside the WebSocket itself, for the session guard
//! to be tested against: the Management API at
//! `/{stage}/@connections/{connectionId}` (`GET` info, `POST` data to the
//! client, `DELETE` closes it, 410 `GoneException` for an unknown id), and
//! the stage's access log, written in a configured format of `$context.*`
//! variables.

use std::collections::HashMap;
use std::io::Write;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::ws::Message;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Map, Value};
use tokio::sync::mpsc;
use ws_jwt_authorizer::date::UtcDateTime;

use crate::gateway::Gateway;
use crate::idp::unix_now;

/// What the Management API asks of an open connection.
#[derive(Debug)]
pub enum Command {
    /// `POST`: a message to the client.
    Send(Message),
    /// `DELETE`: close it.
    Close,
}

struct Entry {
    commands: mpsc::UnboundedSender<Command>,
    connected_at: u64,
    last_active_at: u64,
    source_ip: String,
    user_agent: String,
}

/// The open connections, by id.
#[derive(Default)]
pub struct Registry(Mutex<HashMap<String, Entry>>);

impl Registry {
    fn entries(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        // A panic while holding the lock leaves the map usable.
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Records an open connection; its route reads the commands.
    pub fn open(
        &self,
        connection_id: &str,
        source_ip: &str,
        user_agent: &str,
    ) -> mpsc::UnboundedReceiver<Command> {
        let (commands, receiver) = mpsc::unbounded_channel();
        let now = unix_now();
        self.entries().insert(
            connection_id.to_owned(),
            Entry {
                commands,
                connected_at: now,
                last_active_at: now,
                source_ip: source_ip.to_owned(),
                user_agent: user_agent.to_owned(),
            },
        );
        receiver
    }

    /// A message came in (`lastActiveAt`).
    pub fn touch(&self, connection_id: &str) {
        if let Some(entry) = self.entries().get_mut(connection_id) {
            entry.last_active_at = unix_now();
        }
    }

    /// The connection closed.
    pub fn close(&self, connection_id: &str) {
        self.entries().remove(connection_id);
    }
}

fn iso(seconds: u64) -> String {
    UtcDateTime::from_unix(seconds).rfc3339()
}

/// 410, as the Management API answers for a connection that is not open
/// (the SDKs read the error type from the header).
fn gone(connection_id: &str) -> Response {
    (
        StatusCode::GONE,
        [("x-amzn-ErrorType", "GoneException")],
        Json(json!({"message": format!("connection {connection_id} is gone")})),
    )
        .into_response()
}

fn wrong_stage() -> Response {
    (StatusCode::FORBIDDEN, Json(json!({"message": "Forbidden"}))).into_response()
}

/// `GET /{stage}/@connections/{id}`.
pub async fn get_connection(
    State(gateway): State<Arc<Gateway>>,
    Path((stage, connection_id)): Path<(String, String)>,
) -> Response {
    if stage != gateway.api.stage {
        return wrong_stage();
    }
    let entries = gateway.connections.entries();
    match entries.get(&connection_id) {
        Some(entry) => Json(json!({
            "connectedAt": iso(entry.connected_at),
            "lastActiveAt": iso(entry.last_active_at),
            "identity": {"sourceIp": entry.source_ip, "userAgent": entry.user_agent},
        }))
        .into_response(),
        None => gone(&connection_id),
    }
}

/// `POST /{stage}/@connections/{id}`: the body goes to the client, as text
/// when it is UTF-8.
pub async fn post_to_connection(
    State(gateway): State<Arc<Gateway>>,
    Path((stage, connection_id)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    if stage != gateway.api.stage {
        return wrong_stage();
    }
    let message = match String::from_utf8(body.to_vec()) {
        Ok(text) => Message::Text(text.into()),
        Err(_) => Message::Binary(body),
    };
    let sent = gateway
        .connections
        .entries()
        .get(&connection_id)
        .is_some_and(|entry| entry.commands.send(Command::Send(message)).is_ok());
    if sent {
        StatusCode::OK.into_response()
    } else {
        gone(&connection_id)
    }
}

/// `DELETE /{stage}/@connections/{id}`: closes the connection (204).
pub async fn delete_connection(
    State(gateway): State<Arc<Gateway>>,
    Path((stage, connection_id)): Path<(String, String)>,
) -> Response {
    if stage != gateway.api.stage {
        return wrong_stage();
    }
    match gateway.connections.entries().remove(&connection_id) {
        Some(entry) => {
            eprintln!("@connections DELETE {connection_id}");
            // The route may have just ended on its own: closed either way.
            let _ = entry.commands.send(Command::Close);
            StatusCode::NO_CONTENT.into_response()
        }
        None => gone(&connection_id),
    }
}

/// The stage's access log: one line an event, in `format`.
pub struct AccessLog {
    format: String,
    out: Mutex<Box<dyn Write + Send>>,
}

/// One event of a connection, as the access log's variables see it.
pub struct LogEvent<'a> {
    /// `CONNECT` or `DISCONNECT`.
    pub event_type: &'a str,
    /// `$connect` or `$disconnect`.
    pub route_key: &'a str,
    /// The HTTP status of the event.
    pub status: u16,
    /// `$context.connectionId`.
    pub connection_id: &'a str,
    /// `$context.requestId`.
    pub request_id: &'a str,
    /// `$context.identity.sourceIp`.
    pub source_ip: &'a str,
    /// `$context.authorizer.principalId`, for an allowed connection.
    pub principal_id: Option<&'a str>,
    /// `$context.authorizer.*`, for an allowed connection.
    pub context: Option<&'a Map<String, Value>>,
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// `$context.requestTime`: CLF, `30/Nov/2026:04:00:00 +0000`.
fn request_time(seconds: u64) -> String {
    let t = UtcDateTime::from_unix(seconds);
    let month = MONTHS[usize::from(t.month.clamp(1, 12) - 1)];
    format!(
        "{:02}/{month}/{}:{:02}:{:02}:{:02} +0000",
        t.day, t.year, t.hour, t.minute, t.second
    )
}

/// Replaces each `$context.name` in `format` with its value, `-` when it
/// has none, as API Gateway does. Values are JSON-escaped so that a JSON
/// format stays JSON.
pub fn render(format: &str, lookup: impl Fn(&str) -> Option<String>) -> String {
    const MARK: &str = "$context.";
    let mut out = String::with_capacity(format.len());
    let mut rest = format;
    while let Some(start) = rest.find(MARK) {
        out.push_str(&rest[..start]);
        let after = &rest[start + MARK.len()..];
        let length = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
            .unwrap_or(after.len());
        let name = after[..length].trim_end_matches('.');
        let value = lookup(name).unwrap_or_else(|| "-".to_owned());
        let quoted = Value::String(value).to_string();
        out.push_str(&quoted[1..quoted.len() - 1]);
        rest = &after[name.len()..];
    }
    out.push_str(rest);
    out
}

impl AccessLog {
    /// Writes to `path` (appending), or to stdout for `-`.
    pub fn open(format: String, path: &str) -> std::io::Result<Self> {
        let out: Box<dyn Write + Send> = if path == "-" {
            Box::new(std::io::stdout())
        } else {
            Box::new(
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)?,
            )
        };
        Ok(AccessLog {
            format,
            out: Mutex::new(out),
        })
    }

    /// Writes the line of `event`.
    pub fn write(&self, gateway: &Gateway, event: &LogEvent<'_>) {
        let line = render(&self.format, |name| {
            let value = match name {
                "eventType" => event.event_type.to_owned(),
                "routeKey" => event.route_key.to_owned(),
                "status" => event.status.to_string(),
                "connectionId" => event.connection_id.to_owned(),
                "requestId" => event.request_id.to_owned(),
                "requestTime" => request_time(unix_now()),
                "requestTimeEpoch" => (unix_now() * 1000).to_string(),
                "identity.sourceIp" => event.source_ip.to_owned(),
                "apiId" => gateway.api.api_id.clone(),
                "stage" => gateway.api.stage.clone(),
                "domainName" => gateway.api.domain_name.clone(),
                "authorizer.principalId" => event.principal_id?.to_owned(),
                other => match event.context?.get(other.strip_prefix("authorizer.")?)? {
                    Value::String(text) => text.clone(),
                    value => value.to_string(),
                },
            };
            Some(value)
        });
        let mut out = self.out.lock().unwrap_or_else(|p| p.into_inner());
        if let Err(error) = writeln!(out, "{line}").and_then(|()| out.flush()) {
            eprintln!("access log: {error}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_context_variables_with_dashes_for_missing_ones() {
        let format = r#"{"eventType":"$context.eventType","exp":"$context.authorizer.exp","x":"$context.nothing"}"#;
        let line = render(format, |name| match name {
            "eventType" => Some("CONNECT".into()),
            "authorizer.exp" => Some("17".into()),
            _ => None,
        });
        assert_eq!(line, r#"{"eventType":"CONNECT","exp":"17","x":"-"}"#);
        // A sentence end is not part of the name; values stay JSON.
        assert_eq!(
            render("id $context.connectionId.", |_| Some("a\"b".into())),
            r#"id a\"b."#
        );
    }

    #[test]
    fn request_times_are_clf() {
        assert_eq!(request_time(1_764_475_200), "30/Nov/2025:04:00:00 +0000");
        assert_eq!(request_time(0), "01/Jan/1970:00:00:00 +0000");
    }
}
