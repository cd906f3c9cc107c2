//! The REQUEST authorizer event API Gateway builds for a WebSocket `$connect`.

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
}
