//! The API Gateway WebSocket emulator: builds the `$connect` event, asks the
//! authorizer, answers as API Gateway does, and runs a `$default` route.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{ConnectInfo, Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Map, Value};
use tokio::process::Child;
use tokio::sync::mpsc;
use ws_jwt_authorizer::policy::ArnPattern;
use ws_jwt_authorizer::{Authorizer, ConnectEvent};

use crate::event::{connect_event, ApiIdentity, ConnectionIds, UpgradeRequest};
use crate::http_api::{self, HttpApi};
use crate::idp::{rand_id, unix_now};
use crate::management::{self, AccessLog, Command, LogEvent, Registry};
use testkit::runtime_api::{Answer, RuntimeApi};

/// Who decides: the library in this process, or the compiled Lambda binary
/// behind a local Runtime API.
pub enum Backend {
    /// `Authorizer::authorize` in process.
    InProcess(Arc<Authorizer>),
    /// The production artifact, fed through the Runtime API.
    Lambda {
        /// The emulated Runtime API the binary polls.
        api: RuntimeApi,
        /// The running binary (killed with the gateway).
        _process: Box<Child>,
    },
}

/// What API Gateway makes of the authorizer's answer.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// 101: the connection opens; routes see the principal and context.
    Allow {
        /// `requestContext.authorizer.principalId`.
        principal_id: String,
        /// The other `requestContext.authorizer` entries.
        context: Map<String, Value>,
    },
    /// 403.
    Deny,
    /// 401: the authorizer failed with exactly `Unauthorized`.
    Unauthorized,
    /// 500: any other failure or an invalid answer.
    Error(String),
}

impl Verdict {
    /// The HTTP status API Gateway answers the upgrade with.
    pub fn status(&self) -> StatusCode {
        match self {
            Verdict::Allow { .. } => StatusCode::SWITCHING_PROTOCOLS,
            Verdict::Deny => StatusCode::FORBIDDEN,
            Verdict::Unauthorized => StatusCode::UNAUTHORIZED,
            Verdict::Error(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// Whether an IAM answer's policy lets the request on `arn` through, read
/// as API Gateway reads it: a Deny statement that covers `arn` wins, then an
/// Allow that covers it; anything else (no statement for it) is a refusal.
/// `Err` when the answer has no policy to read.
pub fn policy_allows(response: &Value, arn: &str) -> Result<bool, String> {
    let Some(statements) = response["policyDocument"]["Statement"].as_array() else {
        return Err("the answer has no policyDocument.Statement".into());
    };
    let strings = |value: &Value| -> Vec<String> {
        match value {
            Value::String(text) => vec![text.clone()],
            Value::Array(items) => items
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect(),
            _ => Vec::new(),
        }
    };
    let covers = |statement: &Value| {
        let invoke = strings(&statement["Action"]).iter().any(|action| {
            action == "execute-api:Invoke" || action == "execute-api:*" || action == "*"
        });
        invoke
            && strings(&statement["Resource"]).iter().any(|resource| {
                ArnPattern::parse(resource).is_ok_and(|pattern| pattern.matches(arn))
            })
    };
    let effect_covers = |effect: &str| {
        statements
            .iter()
            .any(|s| s["Effect"] == effect && covers(s))
    };
    Ok(!effect_covers("Deny") && effect_covers("Allow"))
}

/// Reads an authorizer response as API Gateway does for a WebSocket (or
/// REST) API: the policy must allow the `methodArn` ([`policy_allows`]),
/// else 403; context values must be strings, numbers or booleans (500 if
/// not).
pub fn verdict_from_response(response: &Value, method_arn: &str) -> Verdict {
    match policy_allows(response, method_arn) {
        Err(error) => return Verdict::Error(error),
        Ok(false) => return Verdict::Deny,
        Ok(true) => {}
    }
    let context = match &response["context"] {
        Value::Object(context) => context.clone(),
        Value::Null => Map::new(),
        _ => return Verdict::Error("context is not an object".into()),
    };
    if context
        .values()
        .any(|value| value.is_object() || value.is_array() || value.is_null())
    {
        return Verdict::Error("context values must be strings, numbers or booleans".into());
    }
    let principal_id = match &response["principalId"] {
        Value::String(principal) => principal.clone(),
        Value::Number(number) => number.to_string(),
        _ => return Verdict::Error("principalId is missing".into()),
    };
    Verdict::Allow {
        principal_id,
        context,
    }
}

impl Backend {
    /// Invokes the authorizer with `event`: its answer, or the message of
    /// the error it failed with (`Unauthorized`, …).
    pub async fn invoke(&self, event: Value) -> Result<Value, String> {
        match self {
            Backend::InProcess(authorizer) => {
                let parsed: ConnectEvent =
                    serde_json::from_value(event).map_err(|error| error.to_string())?;
                let response = authorizer
                    .authorize(&parsed)
                    .await
                    .map_err(|error| error.to_string())?;
                serde_json::to_value(response).map_err(|error| error.to_string())
            }
            Backend::Lambda { api, .. } => match api.invoke(&event).await {
                Answer::Response(response) => Ok(response),
                Answer::Error(error) => Err(error["errorMessage"]
                    .as_str()
                    .map_or_else(|| error.to_string(), str::to_owned)),
            },
        }
    }

    /// Asks the authorizer about a `$connect` `event`.
    pub async fn decide(&self, event: Value) -> Verdict {
        let method_arn = event["methodArn"].as_str().unwrap_or_default().to_owned();
        match self.invoke(event).await {
            Ok(response) => verdict_from_response(&response, &method_arn),
            Err(message) if message == "Unauthorized" => Verdict::Unauthorized,
            Err(message) => Verdict::Error(message),
        }
    }
}

/// Everything the routes share.
pub struct Gateway {
    /// The emulated API.
    pub api: ApiIdentity,
    /// Who decides.
    pub backend: Backend,
    /// Close connections when the token's `exp` passes (API Gateway does not).
    pub disconnect_on_expiry: bool,
    /// `client-examples/browser/`, served at `/`.
    pub browser_dir: PathBuf,
    /// What the browser page needs to know: the WebSocket and token URLs.
    pub browser_config: Value,
    /// The open connections, for the `@connections` Management API.
    pub connections: Registry,
    /// The stage's access log, when one is configured.
    pub access_log: Option<AccessLog>,
    /// The HTTP API served beside the WebSocket API, behind the same
    /// authorizer.
    pub http_api: HttpApi,
}

impl Gateway {
    fn log(&self, event: &LogEvent<'_>) {
        if let Some(access_log) = &self.access_log {
            access_log.write(self, event);
        }
    }
}

impl Gateway {
    /// The routes: the browser example at `/`, the WebSocket API at
    /// `/{stage}` (and its Management API), and every other request to the
    /// HTTP API (`/{stage}/orders/42`).
    pub fn router(self: Arc<Self>) -> Router {
        Router::new()
            .route("/", get(browser_page))
            .route("/config.json", get(browser_config))
            .route("/{stage}", get(upgrade))
            .route(
                "/{stage}/@connections/{connection_id}",
                get(management::get_connection)
                    .post(management::post_to_connection)
                    .delete(management::delete_connection),
            )
            .fallback(http_api::serve)
            .with_state(self)
    }
}

async fn browser_page(State(gateway): State<Arc<Gateway>>) -> Response {
    match tokio::fs::read_to_string(gateway.browser_dir.join("index.html")).await {
        Ok(page) => Html(page).into_response(),
        Err(error) => (
            StatusCode::NOT_FOUND,
            format!("client-examples/browser/index.html: {error}"),
        )
            .into_response(),
    }
}

async fn browser_config(State(gateway): State<Arc<Gateway>>) -> Json<Value> {
    Json(gateway.browser_config.clone())
}

async fn upgrade(
    State(gateway): State<Arc<Gateway>>,
    Path(stage): Path<String>,
    RawQuery(query): RawQuery,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    upgrade: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
) -> Response {
    if stage != gateway.api.stage {
        return (StatusCode::FORBIDDEN, Json(json!({"message": "Forbidden"}))).into_response();
    }
    let Ok(upgrade) = upgrade else {
        return (
            StatusCode::UPGRADE_REQUIRED,
            "connect with a WebSocket client",
        )
            .into_response();
    };
    let request = UpgradeRequest {
        headers: headers
            .iter()
            .map(|(name, value)| {
                (
                    name.as_str().to_owned(),
                    String::from_utf8_lossy(value.as_bytes()).into_owned(),
                )
            })
            .collect(),
        query,
        source_ip: peer.ip().to_string(),
    };
    let ids = ConnectionIds {
        connection_id: short_id(),
        request_id: short_id(),
        now_ms: unix_now() * 1000,
    };
    let event = connect_event(&gateway.api, &request, &ids);
    let verdict = gateway.backend.decide(event).await;
    let user_agent = request
        .headers
        .iter()
        .find(|(name, _)| name == "user-agent")
        .map_or("", |(_, value)| value.as_str());
    eprintln!(
        "$connect {} from {}: {} {:?}",
        ids.connection_id,
        request.source_ip,
        verdict.status().as_u16(),
        verdict
    );
    let connect = |status: u16, principal_id, context| LogEvent {
        event_type: "CONNECT",
        route_key: "$connect",
        status,
        connection_id: &ids.connection_id,
        request_id: &ids.request_id,
        source_ip: &request.source_ip,
        principal_id,
        context,
    };
    if !matches!(verdict, Verdict::Allow { .. }) {
        gateway.log(&connect(verdict.status().as_u16(), None, None));
    }
    match verdict {
        Verdict::Allow {
            principal_id,
            context,
        } => {
            // Registered before it is logged, so that the Management API
            // knows it by the time the guard reads the line. API Gateway
            // logs a successful `$connect` as 200.
            let commands =
                gateway
                    .connections
                    .open(&ids.connection_id, &request.source_ip, user_agent);
            gateway.log(&connect(200, Some(&principal_id), Some(&context)));
            let expires_at = gateway
                .disconnect_on_expiry
                .then(|| context.get("exp").and_then(Value::as_u64))
                .flatten();
            let connection_id = ids.connection_id;
            // API Gateway answers the handshake with the subprotocol the
            // `$connect` integration returns; the integration documented in
            // the README returns the authorizer's `subprotocol`.
            let upgrade = match context.get("subprotocol").and_then(Value::as_str) {
                Some(subprotocol) => upgrade.protocols([subprotocol.to_owned()]),
                None => upgrade,
            };
            let failed = (gateway.clone(), connection_id.clone());
            let source_ip = request.source_ip;
            upgrade
                .on_failed_upgrade(move |_| failed.0.connections.close(&failed.1))
                .on_upgrade(move |socket| async move {
                    let session = Session {
                        gateway: &gateway,
                        connection_id: &connection_id,
                        expires_at,
                    };
                    default_route(socket, &session, &principal_id, &context, commands).await;
                    gateway.connections.close(&connection_id);
                    gateway.log(&LogEvent {
                        event_type: "DISCONNECT",
                        route_key: "$disconnect",
                        status: 200,
                        connection_id: &connection_id,
                        request_id: &short_id(),
                        source_ip: &source_ip,
                        principal_id: Some(&principal_id),
                        context: Some(&context),
                    });
                })
        }
        Verdict::Deny => {
            (StatusCode::FORBIDDEN, Json(json!({"message": "Forbidden"}))).into_response()
        }
        Verdict::Unauthorized => (
            StatusCode::UNAUTHORIZED,
            Json(json!({"message": "Unauthorized"})),
        )
            .into_response(),
        Verdict::Error(_) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            Json(json!({"message": "Internal server error"})),
        )
            .into_response(),
    }
}

/// One open connection, as its route sees it.
struct Session<'a> {
    gateway: &'a Gateway,
    connection_id: &'a str,
    expires_at: Option<u64>,
}

/// The `$default` route: `whoami` answers with the authorizer's principal
/// and context; any other message is echoed. The Management API's commands
/// (`POST`, `DELETE`) arrive on `commands`.
async fn default_route(
    mut socket: WebSocket,
    session: &Session<'_>,
    principal_id: &str,
    context: &Map<String, Value>,
    mut commands: mpsc::UnboundedReceiver<Command>,
) {
    let (connection_id, expires_at) = (session.connection_id, session.expires_at);
    let expiry = async {
        match expires_at {
            Some(exp) => {
                tokio::time::sleep(Duration::from_secs(exp.saturating_sub(unix_now()))).await
            }
            None => std::future::pending().await,
        }
    };
    tokio::pin!(expiry);
    loop {
        let message = tokio::select! {
            message = socket.recv() => message,
            () = &mut expiry => {
                let close = axum::extract::ws::CloseFrame { code: 1008, reason: "token expired".into() };
                let _ = socket.send(Message::Close(Some(close))).await;
                return;
            }
            command = commands.recv() => {
                let message = match command {
                    Some(Command::Send(message)) => message,
                    // DeleteConnection.
                    Some(Command::Close) | None => Message::Close(Some(axum::extract::ws::CloseFrame {
                        code: 1000,
                        reason: "connection deleted".into(),
                    })),
                };
                let closing = matches!(message, Message::Close(_));
                if socket.send(message).await.is_err() || closing {
                    return;
                }
                continue;
            }
        };
        session.gateway.connections.touch(connection_id);
        let reply = match message {
            Some(Ok(Message::Text(text))) if text.trim() == "whoami" => Message::Text(
                json!({"principalId": principal_id, "context": context, "connectionId": connection_id})
                    .to_string()
                    .into(),
            ),
            Some(Ok(Message::Text(text))) => Message::Text(text),
            Some(Ok(Message::Binary(bytes))) => Message::Binary(bytes),
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
            Some(Ok(Message::Close(_)) | Err(_)) | None => return,
        };
        if socket.send(reply).await.is_err() {
            return;
        }
    }
}

/// An id shaped like API Gateway's (`Dzl8bdcnDoECJZQ=`).
pub fn short_id() -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(&rand_id().to_le_bytes()[..10])
}

#[cfg(test)]
mod tests {
    use super::*;

    const ARN: &str = "arn:aws:execute-api:eu-west-1:123456789012:abcdef1234/prod/$connect";

    fn response(effect: &str, resource: &str, context: Value) -> Value {
        json!({
            "principalId": "user-1",
            "policyDocument": {"Version": "2012-10-17", "Statement": [
                {"Action": ["execute-api:Invoke"], "Effect": effect, "Resource": [resource]}
            ]},
            "context": context,
        })
    }

    #[test]
    fn api_gateway_reads_policies_like_this() {
        assert_eq!(
            verdict_from_response(
                &response("Allow", ARN, json!({"sub": "user-1", "exp": 5})),
                ARN
            ),
            Verdict::Allow {
                principal_id: "user-1".into(),
                context: json!({"sub": "user-1", "exp": 5})
                    .as_object()
                    .unwrap()
                    .clone()
            }
        );
        assert_eq!(
            verdict_from_response(&response("Deny", ARN, json!({})), ARN),
            Verdict::Deny
        );
        // An Allow that does not cover the methodArn is a 403.
        let two_segments = "arn:aws:execute-api:eu-west-1:123456789012:abcdef1234/prod/*/*";
        assert_eq!(
            verdict_from_response(&response("Allow", two_segments, json!({})), ARN),
            Verdict::Deny
        );
        let wildcard = "arn:aws:execute-api:eu-west-1:123456789012:abcdef1234/*";
        assert!(matches!(
            verdict_from_response(&response("Allow", wildcard, json!({})), ARN),
            Verdict::Allow { .. }
        ));
        // Objects in the context make the whole answer invalid.
        assert!(matches!(
            verdict_from_response(&response("Allow", ARN, json!({"a": {"b": 1}})), ARN),
            Verdict::Error(_)
        ));
        assert!(matches!(
            verdict_from_response(&json!({"principalId": "x"}), ARN),
            Verdict::Error(_)
        ));
    }

    #[test]
    fn statuses() {
        assert_eq!(Verdict::Unauthorized.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(Verdict::Deny.status(), StatusCode::FORBIDDEN);
        assert_eq!(
            Verdict::Error(String::new()).status(),
            StatusCode::INTERNAL_SERVER_ERROR
        );
    }
}
