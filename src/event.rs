//! The REQUEST authorizer event API Gateway sends for a WebSocket `$connect`.
//!
//! `aws_lambda_events`' request type drops `connectionId`, `routeKey`,
//! `eventType` and `domainName` from the request context, and the decision
//! log needs them, so the event is typed here, field for field.

use std::collections::HashMap;

use serde::{Deserialize, Deserializer, Serialize};

/// A WebSocket `$connect` REQUEST authorizer event.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectEvent {
    /// Always `REQUEST` for this authorizer type.
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    /// `arn:aws:execute-api:{region}:{account}:{apiId}/{stage}/$connect`.
    #[serde(default)]
    pub method_arn: String,
    /// Request headers, names in the client's case.
    #[serde(default, deserialize_with = "nullable")]
    pub headers: HashMap<String, String>,
    /// Every value of every request header.
    #[serde(default, deserialize_with = "nullable")]
    pub multi_value_headers: HashMap<String, Vec<String>>,
    /// Query parameters; `null` when the URL has none.
    #[serde(default, deserialize_with = "nullable")]
    pub query_string_parameters: HashMap<String, String>,
    /// Every value of every query parameter.
    #[serde(default, deserialize_with = "nullable")]
    pub multi_value_query_string_parameters: HashMap<String, Vec<String>>,
    /// The stage's variables.
    #[serde(default, deserialize_with = "nullable")]
    pub stage_variables: HashMap<String, String>,
    /// Where the connection comes from.
    #[serde(default)]
    pub request_context: ConnectRequestContext,
}

/// The `requestContext` of a `$connect` event.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectRequestContext {
    /// `$connect`.
    #[serde(default)]
    pub route_key: Option<String>,
    /// `CONNECT`.
    #[serde(default)]
    pub event_type: Option<String>,
    /// `IN`.
    #[serde(default)]
    pub message_direction: Option<String>,
    /// The id the backend uses to post to this connection.
    #[serde(default)]
    pub connection_id: Option<String>,
    /// When the connection was opened, in milliseconds since the epoch.
    #[serde(default)]
    pub connected_at: Option<i64>,
    /// The WebSocket API's id.
    #[serde(default)]
    pub api_id: Option<String>,
    /// The stage name.
    #[serde(default)]
    pub stage: Option<String>,
    /// The domain the client connected to.
    #[serde(default)]
    pub domain_name: Option<String>,
    /// API Gateway's id for this request.
    #[serde(default)]
    pub request_id: Option<String>,
    /// API Gateway's extended id for this request.
    #[serde(default)]
    pub extended_request_id: Option<String>,
    /// The request time in CLF format.
    #[serde(default)]
    pub request_time: Option<String>,
    /// The request time in milliseconds since the epoch.
    #[serde(default)]
    pub request_time_epoch: Option<i64>,
    /// The caller.
    #[serde(default)]
    pub identity: ConnectIdentity,
}

/// The caller as API Gateway saw it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectIdentity {
    /// The client's IP address.
    #[serde(default)]
    pub source_ip: Option<String>,
    /// The client's `User-Agent`.
    #[serde(default)]
    pub user_agent: Option<String>,
}

/// Treats `null` as an empty map, as API Gateway sends `null` for an absent query.
fn nullable<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn null_maps_become_empty() {
        let event: ConnectEvent = serde_json::from_str(
            r#"{"type":"REQUEST","methodArn":"arn:x","headers":null,"multiValueHeaders":null,
                "queryStringParameters":null,"multiValueQueryStringParameters":null,
                "stageVariables":null,"requestContext":{"connectionId":"c1"}}"#,
        )
        .unwrap();
        assert!(event.headers.is_empty());
        assert!(event.query_string_parameters.is_empty());
        assert_eq!(event.request_context.connection_id.as_deref(), Some("c1"));
    }
}
