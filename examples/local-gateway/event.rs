//! The REQUEST authorizer events API Gateway builds: for a WebSocket
//! `$connect` (payload 1.0 shape, `methodArn`), and for an HTTP API's route
//! (payload format 2.0, `routeArn`).

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};
use ws_jwt_authorizer::date::UtcDateTime;

/// Where the emulated API lives: what API Gateway puts in the ARN and context.
#[derive(Debug, Clone)]
pub struct ApiIdentity {
    /// AWS region of the API.
    pub region: String,
    /// Account id in the ARN.
    pub account: String,
    /// The API's id.
    pub api_id: String,
    /// The stage name (the URL's first path segment).
    pub stage: String,
    /// The host clients connect to.
    pub domain_name: String,
}

impl ApiIdentity {
    /// `arn:aws:execute-api:{region}:{account}:{apiId}/{stage}/$connect`.
    pub fn connect_arn(&self) -> String {
        format!(
            "arn:aws:execute-api:{}:{}:{}/{}/$connect",
            self.region, self.account, self.api_id, self.stage
        )
    }

    /// An HTTP API's `routeArn`: the request's actual method and path (the
    /// path without the stage), never the route's template:
    /// `arn:aws:execute-api:{region}:{account}:{apiId}/{stage}/GET/orders/42`.
    pub fn route_arn(&self, method: &str, path: &str) -> String {
        format!(
            "arn:aws:execute-api:{}:{}:{}/{}/{method}{path}",
            self.region, self.account, self.api_id, self.stage
        )
    }
}

/// What the client sent with its upgrade request.
#[derive(Debug, Clone, Default)]
pub struct UpgradeRequest {
    /// Header (name, value) pairs in arrival order.
    pub headers: Vec<(String, String)>,
    /// The raw query string, without `?`.
    pub query: Option<String>,
    /// The client's address.
    pub source_ip: String,
}

/// Ids and times of one connection attempt.
#[derive(Debug, Clone)]
pub struct ConnectionIds {
    /// The connection id routes would post to.
    pub connection_id: String,
    /// API Gateway's request id.
    pub request_id: String,
    /// Milliseconds since the epoch.
    pub now_ms: u64,
}

/// Builds the event exactly as API Gateway shapes it: single-value maps keep
/// the last value of a repeated header or parameter (headers comma-joined),
/// multi-value maps keep all; an absent query is `null`.
pub fn connect_event(api: &ApiIdentity, request: &UpgradeRequest, ids: &ConnectionIds) -> Value {
    let mut multi_headers: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (name, value) in &request.headers {
        multi_headers
            .entry(name.clone())
            .or_default()
            .push(value.clone());
    }
    let headers: Map<String, Value> = multi_headers
        .iter()
        .map(|(name, values)| (name.clone(), Value::String(values.join(","))))
        .collect();

    let mut multi_query: BTreeMap<String, Vec<String>> = BTreeMap::new();
    if let Some(query) = request.query.as_deref().filter(|query| !query.is_empty()) {
        for (name, value) in url::form_urlencoded::parse(query.as_bytes()) {
            multi_query
                .entry(name.into_owned())
                .or_default()
                .push(value.into_owned());
        }
    }
    let (query, multi_query_value) = if multi_query.is_empty() {
        (Value::Null, Value::Null)
    } else {
        let single: Map<String, Value> = multi_query
            .iter()
            .filter_map(|(name, values)| {
                Some((name.clone(), Value::String(values.last()?.clone())))
            })
            .collect();
        (Value::Object(single), json!(multi_query))
    };
    let user_agent = request
        .headers
        .iter()
        .rev()
        .find(|(name, _)| name.eq_ignore_ascii_case("user-agent"))
        .map(|(_, value)| value.clone());

    json!({
        "type": "REQUEST",
        "methodArn": api.connect_arn(),
        "headers": headers,
        "multiValueHeaders": multi_headers,
        "queryStringParameters": query,
        "multiValueQueryStringParameters": multi_query_value,
        "stageVariables": {},
        "requestContext": {
            "routeKey": "$connect",
            "eventType": "CONNECT",
            "extendedRequestId": ids.request_id,
            "requestTime": clf_time(ids.now_ms / 1000),
            "messageDirection": "IN",
            "stage": api.stage,
            "connectedAt": ids.now_ms,
            "requestTimeEpoch": ids.now_ms,
            "identity": {
                "userAgent": user_agent,
                "sourceIp": request.source_ip,
            },
            "requestId": ids.request_id,
            "domainName": api.domain_name,
            "connectionId": ids.connection_id,
            "apiId": api.api_id,
        }
    })
}

/// What a client sent to the HTTP API.
#[derive(Debug, Clone, Default)]
pub struct HttpRequest {
    /// `GET`, `POST`, …
    pub method: String,
    /// The path as sent, the stage's segment included (`/local/orders/42`).
    pub raw_path: String,
    /// The raw query string, without `?`.
    pub query: Option<String>,
    /// Header (name, value) pairs in arrival order.
    pub headers: Vec<(String, String)>,
    /// The client's address.
    pub source_ip: String,
}

/// The route an HTTP API request matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchedRoute {
    /// The route key, its template (`GET /orders/{id}`).
    pub key: String,
    /// The request's path without the stage (`/orders/42`).
    pub path: String,
    /// The values of the template's parameters (`id` → `42`).
    pub path_parameters: BTreeMap<String, String>,
}

/// Builds the payload 2.0 authorizer event an HTTP API sends for `request`
/// on `route`, as API Gateway shapes it: lower-case header names, repeated
/// headers and query parameters comma-joined, cookies in their own array
/// (and out of `headers`), `identitySource` the values of the authorizer's
/// identity sources, members without a value left out.
pub fn http_event(
    api: &ApiIdentity,
    request: &HttpRequest,
    route: &MatchedRoute,
    identity_source: &[String],
    request_id: &str,
    now_ms: u64,
) -> Value {
    let mut headers: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut cookies = Vec::new();
    for (name, value) in &request.headers {
        let name = name.to_ascii_lowercase();
        if name == "cookie" {
            cookies.extend(
                value
                    .split(';')
                    .map(str::trim)
                    .filter(|cookie| !cookie.is_empty())
                    .map(str::to_owned),
            );
        } else {
            headers.entry(name).or_default().push(value.clone());
        }
    }
    let header = |name: &str| headers.get(name).map(|values| values.join(","));
    let user_agent = header("user-agent").unwrap_or_default();
    let raw_query = request.query.clone().unwrap_or_default();
    let mut query: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (name, value) in url::form_urlencoded::parse(raw_query.as_bytes()) {
        query
            .entry(name.into_owned())
            .or_default()
            .push(value.into_owned());
    }
    let joined = |map: &BTreeMap<String, Vec<String>>| -> Map<String, Value> {
        map.iter()
            .map(|(name, values)| (name.clone(), Value::String(values.join(","))))
            .collect()
    };

    let mut event = json!({
        "version": "2.0",
        "type": "REQUEST",
        "routeArn": api.route_arn(&request.method, &route.path),
        "identitySource": identity_source,
        "routeKey": route.key,
        "rawPath": request.raw_path,
        "rawQueryString": raw_query,
        "headers": joined(&headers),
        "requestContext": {
            "accountId": api.account,
            "apiId": api.api_id,
            "domainName": api.domain_name,
            "domainPrefix": api.domain_name.split(['.', ':']).next().unwrap_or_default(),
            "http": {
                "method": request.method,
                "path": request.raw_path,
                "protocol": "HTTP/1.1",
                "sourceIp": request.source_ip,
                "userAgent": user_agent,
            },
            "requestId": request_id,
            "routeKey": route.key,
            "stage": api.stage,
            "time": clf_time(now_ms / 1000),
            "timeEpoch": now_ms,
        },
    });
    if !cookies.is_empty() {
        event["cookies"] = json!(cookies);
    }
    if !query.is_empty() {
        event["queryStringParameters"] = Value::Object(joined(&query));
    }
    if !route.path_parameters.is_empty() {
        event["pathParameters"] = json!(route.path_parameters);
    }
    event
}

/// `23/Nov/2026:08:54:02 +0000`, the Common Log Format time API Gateway uses.
fn clf_time(epoch_seconds: u64) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let time = UtcDateTime::from_unix(epoch_seconds);
    format!(
        "{:02}/{}/{}:{:02}:{:02}:{:02} +0000",
        time.day,
        MONTHS[usize::from(time.month) - 1],
        time.year,
        time.hour,
        time.minute,
        time.second
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use ws_jwt_authorizer::ConnectEvent;

    fn api() -> ApiIdentity {
        ApiIdentity {
            region: "eu-west-1".into(),
            account: "123456789012".into(),
            api_id: "abcdef1234".into(),
            stage: "prod".into(),
            domain_name: "abcdef1234.execute-api.eu-west-1.amazonaws.com".into(),
        }
    }

    fn fixture() -> Value {
        serde_json::from_str(&testkit::fixture("connect-query.json")).unwrap()
    }

    /// The names of every member, recursively, as dotted paths.
    fn shape(value: &Value, prefix: &str, out: &mut Vec<String>) {
        if let Value::Object(map) = value {
            for (name, member) in map {
                let path = format!("{prefix}{name}");
                out.push(path.clone());
                if !matches!(
                    name.as_str(),
                    "headers"
                        | "multiValueHeaders"
                        | "queryStringParameters"
                        | "multiValueQueryStringParameters"
                        | "pathParameters"
                        | "stageVariables"
                ) {
                    shape(member, &format!("{path}."), out);
                }
            }
        }
    }

    #[test]
    fn the_event_has_the_shape_of_a_real_one() {
        let request = UpgradeRequest {
            headers: vec![
                (
                    "Host".into(),
                    "abcdef1234.execute-api.eu-west-1.amazonaws.com".into(),
                ),
                ("User-Agent".into(), "test-agent".into()),
                (
                    "Sec-WebSocket-Key".into(),
                    "dGhlIHNhbXBsZSBub25jZQ==".into(),
                ),
            ],
            query: Some("authorization=a.b.c".into()),
            source_ip: "203.0.113.7".into(),
        };
        let ids = ConnectionIds {
            connection_id: "Dzl8bdcnDoECJZQ=".into(),
            request_id: "Dzl8bFzJDoEFXvQ=".into(),
            now_ms: 1_795_423_442_123,
        };
        let built = connect_event(&api(), &request, &ids);
        let (mut ours, mut real) = (Vec::new(), Vec::new());
        shape(&built, "", &mut ours);
        shape(&fixture(), "", &mut real);
        ours.sort();
        real.sort();
        assert_eq!(ours, real);

        for field in [
            "/methodArn",
            "/requestContext/routeKey",
            "/requestContext/eventType",
            "/requestContext/requestTime",
            "/requestContext/messageDirection",
        ] {
            assert_eq!(built.pointer(field), fixture().pointer(field), "{field}");
        }
        assert_eq!(
            built.pointer("/requestContext/identity/userAgent"),
            Some(&json!("test-agent"))
        );
        let parsed: ConnectEvent = serde_json::from_value(built).unwrap();
        assert_eq!(parsed.query_authorization.values, vec!["a.b.c"]);
        assert_eq!(
            parsed.request_context.connection_id.as_deref(),
            Some("Dzl8bdcnDoECJZQ=")
        );
    }

    #[test]
    fn repeated_values_and_missing_query() {
        let request = UpgradeRequest {
            headers: vec![("X-A".into(), "1".into()), ("X-A".into(), "2".into())],
            query: Some("authorization=one&authorization=two%2B".into()),
            source_ip: "127.0.0.1".into(),
        };
        let ids = ConnectionIds {
            connection_id: "c".into(),
            request_id: "r".into(),
            now_ms: 0,
        };
        let event = connect_event(&api(), &request, &ids);
        assert_eq!(event["headers"]["X-A"], "1,2");
        assert_eq!(event["multiValueHeaders"]["X-A"], json!(["1", "2"]));
        assert_eq!(event["queryStringParameters"]["authorization"], "two+");
        assert_eq!(
            event["multiValueQueryStringParameters"]["authorization"],
            json!(["one", "two+"])
        );
        assert_eq!(
            event["requestContext"]["requestTime"],
            "01/Jan/1970:00:00:00 +0000"
        );

        let bare = connect_event(&api(), &UpgradeRequest::default(), &ids);
        assert_eq!(bare["queryStringParameters"], Value::Null);
        assert_eq!(bare["multiValueQueryStringParameters"], Value::Null);
    }

    fn order_request() -> (HttpRequest, MatchedRoute) {
        let request = HttpRequest {
            method: "GET".into(),
            raw_path: "/prod/orders/42".into(),
            query: Some("expand=items&expand=customer&q=a%2Bb".into()),
            headers: vec![
                (
                    "Host".into(),
                    "abcdef1234.execute-api.eu-west-1.amazonaws.com".into(),
                ),
                ("User-Agent".into(), "curl/8.5.0".into()),
                ("Authorization".into(), "Bearer a.b.c".into()),
                ("Cookie".into(), "theme=dark; session=s1".into()),
                ("X-Trace".into(), "1".into()),
                ("x-trace".into(), "2".into()),
            ],
            source_ip: "203.0.113.7".into(),
        };
        let route = MatchedRoute {
            key: "GET /orders/{id}".into(),
            path: "/orders/42".into(),
            path_parameters: [("id".to_owned(), "42".to_owned())].into(),
        };
        (request, route)
    }

    #[test]
    fn the_payload_2_0_event_has_the_members_of_the_documented_one() {
        let (request, route) = order_request();
        let built = http_event(
            &api(),
            &request,
            &route,
            &["Bearer a.b.c".to_owned()],
            "JnHqXgGBIAMEJpA=",
            1_795_423_442_123,
        );
        let mut documented: Value =
            serde_json::from_str(&testkit::fixture("aws-docs/httpapi-v2-request.json")).unwrap();
        // Only with mutual TLS, and with stage variables.
        documented["requestContext"]
            .as_object_mut()
            .unwrap()
            .remove("authentication");
        documented.as_object_mut().unwrap().remove("stageVariables");
        let (mut ours, mut theirs) = (Vec::new(), Vec::new());
        shape(&built, "", &mut ours);
        shape(&documented, "", &mut theirs);
        ours.sort();
        theirs.sort();
        assert_eq!(ours, theirs);

        assert_eq!(
            built["routeArn"],
            "arn:aws:execute-api:eu-west-1:123456789012:abcdef1234/prod/GET/orders/42"
        );
        assert_eq!(built["routeKey"], "GET /orders/{id}");
        assert_eq!(built["requestContext"]["routeKey"], "GET /orders/{id}");
        assert_eq!(built["identitySource"], json!(["Bearer a.b.c"]));
        assert_eq!(built["rawPath"], "/prod/orders/42");
        assert_eq!(built["requestContext"]["http"]["path"], "/prod/orders/42");
        assert_eq!(built["requestContext"]["http"]["method"], "GET");
        assert_eq!(built["requestContext"]["http"]["userAgent"], "curl/8.5.0");
        assert_eq!(built["requestContext"]["requestId"], "JnHqXgGBIAMEJpA=");
        assert_eq!(built["requestContext"]["stage"], "prod");
        assert_eq!(built["requestContext"]["domainPrefix"], "abcdef1234");
        assert_eq!(
            built["requestContext"]["time"],
            fixture()["requestContext"]["requestTime"]
        );
        assert_eq!(
            built["headers"],
            json!({
                "authorization": "Bearer a.b.c",
                "host": "abcdef1234.execute-api.eu-west-1.amazonaws.com",
                "user-agent": "curl/8.5.0",
                "x-trace": "1,2",
            })
        );
        assert_eq!(built["cookies"], json!(["theme=dark", "session=s1"]));
        assert_eq!(
            built["queryStringParameters"],
            json!({"expand": "items,customer", "q": "a+b"})
        );
        assert_eq!(built["pathParameters"], json!({"id": "42"}));

        // The authorizer reads it as API Gateway means it.
        let parsed: ConnectEvent = serde_json::from_value(built).unwrap();
        let shape = parsed.shape().unwrap();
        assert!(shape.payload_v2);
        assert_eq!(shape.api.name(), "http");
        assert_eq!(shape.route.as_deref(), Some("GET /orders/{id}"));
        assert_eq!(parsed.headers.authorization.values, vec!["Bearer a.b.c"]);
        assert_eq!(parsed.cookies.values, vec!["theme=dark", "session=s1"]);
    }

    #[test]
    fn members_without_a_value_are_left_out() {
        let (mut request, mut route) = order_request();
        request.query = None;
        request.headers.retain(|(name, _)| name != "Cookie");
        route.path_parameters.clear();
        let built = http_event(&api(), &request, &route, &[], "r", 0);
        for absent in ["cookies", "queryStringParameters", "pathParameters"] {
            assert!(built.get(absent).is_none(), "{absent}");
        }
        assert_eq!(built["rawQueryString"], "");
        assert_eq!(built["identitySource"], json!([]));
    }
}
