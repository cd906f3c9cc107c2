//! The HTTP API beside the WebSocket API: routes behind the same authorizer,
//! which it calls with a payload format 2.0 event, answering as an API
//! Gateway HTTP API does:
//!
//! - no route for the method and path: 404, the authorizer not called;
//! - no `Authorization` header (the identity source,
//!   `$request.header.Authorization`): 401, the authorizer not called;
//! - an Allow for the `routeArn` (or `isAuthorized: true` with simple
//!   responses): the route's integration answers 200 with what a backend
//!   would see of the authorizer;
//! - a Deny, or no Allow for the `routeArn` (or `isAuthorized: false`): 403;
//! - an error of the authorizer (`Unauthorized` too: an HTTP API has no
//!   401 from its authorizer) or an answer of the wrong format: 500.
//!
//! Each request writes one line to standard output, after the authorizer's
//! decision line (which gives the reason of a refusal) when it was called.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::extract::{ConnectInfo, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Map, Value};

use crate::event::{http_event, ApiIdentity, HttpRequest, MatchedRoute};
use crate::gateway::{policy_allows, short_id, Gateway};

/// The authorizer's identity source, as the HTTP API is configured.
pub const IDENTITY_SOURCE: &str = "$request.header.Authorization";

/// The demo's routes.
pub const DEMO_ROUTES: [&str; 2] = ["GET /orders/{id}", "GET /whoami"];

/// The `ROUTE_SCOPES` the demo gives the authorizer (with the demo identity
/// provider, which mints tokens with any scope): reading an order needs
/// `orders:read`; `GET /whoami` needs no scope.
pub const DEMO_ROUTE_SCOPES: &str = r#"{"GET /orders/{id}":["orders:read"]}"#;

/// One segment of a route's path.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    /// `{name}`: one non-empty segment.
    Parameter(String),
}

/// One route of the HTTP API, by its key (`GET /orders/{id}`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    key: String,
    method: String,
    segments: Vec<Segment>,
}

impl Route {
    /// Parses a route key: a method (or `ANY`), a space, a path whose
    /// segments may be `{parameters}`.
    pub fn parse(key: &str) -> Result<Self, String> {
        let (method, path) = key
            .split_once(' ')
            .ok_or_else(|| format!("{key:?}: a route key is METHOD /path"))?;
        let segments = path
            .strip_prefix('/')
            .ok_or_else(|| format!("{key:?}: the path must start with /"))?;
        let segments = segments
            .split('/')
            .filter(|segment| !segment.is_empty())
            .map(|segment| {
                match segment
                    .strip_prefix('{')
                    .and_then(|name| name.strip_suffix('}'))
                {
                    Some(name) => Segment::Parameter(name.to_owned()),
                    None => Segment::Literal(segment.to_owned()),
                }
            })
            .collect();
        Ok(Route {
            key: key.to_owned(),
            method: method.to_owned(),
            segments,
        })
    }

    /// The route key.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The path parameters when `method` and `path` (without the stage)
    /// are this route's.
    fn matches(&self, method: &str, path: &str) -> Option<BTreeMap<String, String>> {
        if self.method != "ANY" && self.method != method {
            return None;
        }
        let parts: Vec<&str> = match path.strip_prefix('/')? {
            "" => Vec::new(),
            rest => rest.split('/').collect(),
        };
        if parts.len() != self.segments.len() {
            return None;
        }
        let mut parameters = BTreeMap::new();
        for (segment, part) in self.segments.iter().zip(parts) {
            match segment {
                Segment::Literal(literal) if literal == part => {}
                Segment::Parameter(name) if !part.is_empty() => {
                    parameters.insert(name.clone(), part.to_owned());
                }
                _ => return None,
            }
        }
        Some(parameters)
    }
}

/// The HTTP API: where it lives, its routes, and how its authorizer is
/// configured.
#[derive(Debug, Clone)]
pub struct HttpApi {
    /// Its id, stage and host (its own API id, beside the WebSocket API's).
    pub api: ApiIdentity,
    /// Its routes, all behind the authorizer.
    pub routes: Vec<Route>,
    /// The authorizer answers with simple responses (`enableSimpleResponses`,
    /// the authorizer's `SIMPLE_RESPONSES`), else with IAM policies.
    pub simple_responses: bool,
}

impl HttpApi {
    /// The route `method` and `raw_path` (`/{stage}/…`) call, if any.
    pub fn route(&self, method: &str, raw_path: &str) -> Option<MatchedRoute> {
        let path = raw_path
            .strip_prefix('/')?
            .strip_prefix(self.api.stage.as_str())?;
        if !path.starts_with('/') {
            return None;
        }
        self.routes.iter().find_map(|route| {
            Some(MatchedRoute {
                path_parameters: route.matches(method, path)?,
                key: route.key.clone(),
                path: path.to_owned(),
            })
        })
    }

    /// `http://{host}/{stage}`, the base of its routes' URLs.
    pub fn url(&self) -> String {
        format!("http://{}/{}", self.api.domain_name, self.api.stage)
    }
}

/// What an HTTP API makes of its authorizer's answer.
#[derive(Debug, Clone, PartialEq)]
pub enum HttpVerdict {
    /// The route's integration is called.
    Allow {
        /// The IAM answer's `principalId` (`$context.authorizer.principalId`);
        /// a simple response has none.
        principal_id: Option<String>,
        /// `requestContext.authorizer.lambda` of the integration's event.
        context: Map<String, Value>,
    },
    /// 403.
    Deny,
    /// 500: the authorizer failed, or answered in the wrong format.
    Error(String),
}

impl HttpVerdict {
    /// The status the client gets (the integration's 200 for an Allow).
    pub fn status(&self) -> StatusCode {
        match self {
            HttpVerdict::Allow { .. } => StatusCode::OK,
            HttpVerdict::Deny => StatusCode::FORBIDDEN,
            HttpVerdict::Error(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// Reads the authorizer's `answer` (or the message of its error) for the
/// request on `route_arn`, as an HTTP API configured for simple responses
/// or IAM policies does. Unlike a WebSocket or REST API, an HTTP API takes
/// objects and arrays as context values.
pub fn http_verdict(
    answer: Result<Value, String>,
    route_arn: &str,
    simple_responses: bool,
) -> HttpVerdict {
    let response = match answer {
        Ok(response) => response,
        Err(message) => return HttpVerdict::Error(format!("the authorizer failed: {message}")),
    };
    let allowed = if simple_responses {
        match response["isAuthorized"] {
            Value::Bool(allowed) => allowed,
            _ => {
                return HttpVerdict::Error(
                    "the authorizer is configured for simple responses, and the answer has no boolean isAuthorized".into(),
                )
            }
        }
    } else {
        match policy_allows(&response, route_arn) {
            Ok(allowed) => allowed,
            Err(_) if response.get("isAuthorized").is_some() => {
                return HttpVerdict::Error(
                    "a simple response, and the authorizer is configured for IAM policies".into(),
                )
            }
            Err(error) => return HttpVerdict::Error(error),
        }
    };
    if !allowed {
        return HttpVerdict::Deny;
    }
    let context = match &response["context"] {
        Value::Object(context) => context.clone(),
        Value::Null => Map::new(),
        _ => return HttpVerdict::Error("context is not an object".into()),
    };
    let principal_id = match &response["principalId"] {
        _ if simple_responses => None,
        Value::String(principal) => Some(principal.clone()),
        Value::Number(number) => Some(number.to_string()),
        _ => return HttpVerdict::Error("principalId is missing".into()),
    };
    HttpVerdict::Allow {
        principal_id,
        context,
    }
}

/// Every request no other route of the gateway takes: the HTTP API's.
pub async fn serve(
    State(gateway): State<Arc<Gateway>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let http = &gateway.http_api;
    let request_id = short_id();
    let raw_path = uri.path().to_owned();
    let source_ip = peer.ip().to_string();
    let report = |status: StatusCode, route: &str, what: &str| {
        say(&format!(
            "HTTP {method} {raw_path} from {source_ip}: {} {what} (route {route}, request_id {request_id})",
            status.as_u16()
        ));
    };

    let Some(route) = http.route(method.as_str(), &raw_path) else {
        report(
            StatusCode::NOT_FOUND,
            "none",
            "Not Found: no route of the HTTP API matches",
        );
        return answer(
            StatusCode::NOT_FOUND,
            json!({"message": "Not Found"}),
            &request_id,
        );
    };
    let identity: Vec<String> = headers
        .get_all(header::AUTHORIZATION)
        .iter()
        .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned())
        .collect();
    let identity = identity.join(",");
    if identity.trim().is_empty() {
        report(
            StatusCode::UNAUTHORIZED,
            &route.key,
            &format!("Unauthorized: no Authorization header, the authorizer's identity source ({IDENTITY_SOURCE}); the authorizer was not called"),
        );
        return answer(
            StatusCode::UNAUTHORIZED,
            json!({"message": "Unauthorized"}),
            &request_id,
        );
    }

    let request = HttpRequest {
        method: method.to_string(),
        raw_path: raw_path.clone(),
        query: uri.query().map(str::to_owned),
        headers: headers
            .iter()
            .map(|(name, value)| {
                (
                    name.as_str().to_owned(),
                    String::from_utf8_lossy(value.as_bytes()).into_owned(),
                )
            })
            .collect(),
        source_ip: source_ip.clone(),
    };
    let event = http_event(
        &http.api,
        &request,
        &route,
        &[identity],
        &request_id,
        now_ms(),
    );
    let route_arn = event["routeArn"].as_str().unwrap_or_default().to_owned();
    let verdict = http_verdict(
        gateway.backend.invoke(event).await,
        &route_arn,
        http.simple_responses,
    );
    let status = verdict.status();
    match verdict {
        HttpVerdict::Allow {
            principal_id,
            context,
        } => {
            let principal = principal_id
                .as_deref()
                .map(|principal| format!(" principal {principal}"))
                .unwrap_or_default();
            report(
                status,
                &route.key,
                &format!("OK: allowed{principal}, the route's integration answers"),
            );
            // What the integration sees: the route, its parameters, and
            // `requestContext.authorizer`.
            let mut body = Map::new();
            body.insert("routeKey".into(), json!(route.key));
            body.insert("pathParameters".into(), json!(route.path_parameters));
            if let Some(principal_id) = principal_id {
                body.insert("principalId".into(), json!(principal_id));
            }
            body.insert("authorizer".into(), json!({ "lambda": context }));
            answer(status, Value::Object(body), &request_id)
        }
        HttpVerdict::Deny => {
            report(
                status,
                &route.key,
                "Forbidden: the authorizer refused; the reason is in its decision line above (same request_id)",
            );
            answer(status, json!({"message": "Forbidden"}), &request_id)
        }
        HttpVerdict::Error(error) => {
            report(
                status,
                &route.key,
                &format!("Internal Server Error: {error}"),
            );
            answer(
                status,
                json!({"message": "Internal Server Error"}),
                &request_id,
            )
        }
    }
}

/// A JSON answer with the `apigw-requestid` header HTTP APIs send.
fn answer(status: StatusCode, body: Value, request_id: &str) -> Response {
    let mut response = (status, Json(body)).into_response();
    if let Ok(value) = HeaderValue::from_str(request_id) {
        response.headers_mut().insert("apigw-requestid", value);
    }
    response
}

/// One line on standard output, beside the authorizer's decision lines. A
/// reader that went away (a closed pipe) is no reason to fail the request.
fn say(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stdout().lock(), "{line}");
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_millis() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ARN: &str = "arn:aws:execute-api:us-east-1:000000000000:localhttp1/local/GET/orders/42";

    fn api(simple_responses: bool) -> HttpApi {
        HttpApi {
            api: ApiIdentity {
                region: "us-east-1".into(),
                account: "000000000000".into(),
                api_id: "localhttp1".into(),
                stage: "local".into(),
                domain_name: "127.0.0.1:8080".into(),
            },
            routes: DEMO_ROUTES
                .iter()
                .map(|key| Route::parse(key).unwrap())
                .collect(),
            simple_responses,
        }
    }

    #[test]
    fn routes_match_like_an_http_api() {
        let http = api(false);
        let order = http.route("GET", "/local/orders/42").unwrap();
        assert_eq!(order.key, "GET /orders/{id}");
        assert_eq!(order.path, "/orders/42");
        assert_eq!(
            order.path_parameters,
            BTreeMap::from([("id".to_owned(), "42".to_owned())])
        );
        assert_eq!(
            http.api.route_arn("GET", &order.path),
            ARN,
            "the routeArn has the actual path, without the stage"
        );
        assert_eq!(
            http.route("GET", "/local/whoami").unwrap().key,
            "GET /whoami"
        );
        for (method, path) in [
            ("POST", "/local/orders/42"),
            ("GET", "/local/orders"),
            ("GET", "/local/orders/"),
            ("GET", "/local/orders/42/items"),
            ("GET", "/other/whoami"),
            ("GET", "/localx/whoami"),
            ("GET", "/whoami"),
        ] {
            assert_eq!(http.route(method, path), None, "{method} {path}");
        }
        let any = Route::parse("ANY /").unwrap();
        assert_eq!(any.matches("DELETE", "/"), Some(BTreeMap::new()));
        assert!(Route::parse("GET orders").is_err());
    }

    fn policy(effect: &str, resource: &str) -> Value {
        json!({
            "principalId": "alice",
            "policyDocument": {"Version": "2012-10-17", "Statement": [
                {"Action": ["execute-api:Invoke"], "Effect": effect, "Resource": [resource]}
            ]},
            "context": {"sub": "alice", "groups": ["a", "b"]},
        })
    }

    #[test]
    fn iam_answers_are_read_against_the_route_arn() {
        let context = json!({"sub": "alice", "groups": ["a", "b"]});
        assert_eq!(
            http_verdict(Ok(policy("Allow", ARN)), ARN, false),
            HttpVerdict::Allow {
                principal_id: Some("alice".into()),
                context: context.as_object().unwrap().clone(),
            },
            "an HTTP API takes arrays in the context"
        );
        let other_route = "arn:aws:execute-api:us-east-1:000000000000:localhttp1/local/GET/whoami";
        assert_eq!(
            http_verdict(Ok(policy("Allow", other_route)), ARN, false),
            HttpVerdict::Deny
        );
        assert_eq!(
            http_verdict(Ok(policy("Deny", ARN)), ARN, false),
            HttpVerdict::Deny
        );
        let simple = json!({"isAuthorized": true, "context": {}});
        assert!(matches!(
            http_verdict(Ok(simple), ARN, false),
            HttpVerdict::Error(error) if error.contains("configured for IAM policies")
        ));
    }

    #[test]
    fn simple_responses_are_a_yes_or_no() {
        assert_eq!(
            http_verdict(
                Ok(json!({"isAuthorized": true, "context": {"sub": "alice"}})),
                ARN,
                true
            ),
            HttpVerdict::Allow {
                principal_id: None,
                context: json!({"sub": "alice"}).as_object().unwrap().clone(),
            }
        );
        assert_eq!(
            http_verdict(Ok(json!({"isAuthorized": false})), ARN, true),
            HttpVerdict::Deny
        );
        assert!(matches!(
            http_verdict(Ok(policy("Allow", ARN)), ARN, true),
            HttpVerdict::Error(_)
        ));
    }

    #[test]
    fn an_error_of_the_authorizer_is_a_500_even_unauthorized() {
        for message in ["Unauthorized", "jwks_unavailable"] {
            let verdict = http_verdict(Err(message.into()), ARN, false);
            assert_eq!(verdict.status(), StatusCode::INTERNAL_SERVER_ERROR);
        }
        assert_eq!(HttpVerdict::Deny.status(), StatusCode::FORBIDDEN);
    }
}
