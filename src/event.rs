//! The REQUEST authorizer event API Gateway sends for a WebSocket `$connect`.
//!
//! `aws_lambda_events`' request type drops `connectionId`, `routeKey`,
//! `eventType` and `domainName` from the request context, and the decision
//! log needs them, so the event is typed here, field for field.

use std::fmt;

use serde::de::{DeserializeSeed, IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};

/// A WebSocket `$connect` REQUEST authorizer event, as much of it as the
/// authorizer reads.
///
/// Of the four header and query maps only the `authorization` entries are
/// kept: deserializing every header into owned maps cost five times more
/// than the rest of a refusal, and nothing else in them decides anything.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectEvent {
    /// Always `REQUEST` for this authorizer type.
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    /// `arn:aws:execute-api:{region}:{account}:{apiId}/{stage}/$connect`.
    #[serde(default)]
    pub method_arn: String,
    /// The `Authorization` header (name in any case) of `headers`.
    #[serde(default, rename = "headers", deserialize_with = "header_values")]
    pub header_authorization: Vec<String>,
    /// Every `Authorization` header value of `multiValueHeaders`.
    #[serde(
        default,
        rename = "multiValueHeaders",
        deserialize_with = "multi_header_values"
    )]
    pub header_authorization_values: Vec<String>,
    /// The `authorization` query parameter of `queryStringParameters`.
    #[serde(
        default,
        rename = "queryStringParameters",
        deserialize_with = "query_values"
    )]
    pub query_authorization: Vec<String>,
    /// Every `authorization` value of `multiValueQueryStringParameters`.
    #[serde(
        default,
        rename = "multiValueQueryStringParameters",
        deserialize_with = "multi_query_values"
    )]
    pub query_authorization_values: Vec<String>,
    /// Where the connection comes from.
    #[serde(default)]
    pub request_context: ConnectRequestContext,
}

/// The header and query parameter that carry the token.
const AUTHORIZATION: &str = "authorization";

fn header_values<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    deserializer.deserialize_option(AuthorizationEntries {
        ignore_case: true,
        multi: false,
    })
}

fn multi_header_values<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Vec<String>, D::Error> {
    deserializer.deserialize_option(AuthorizationEntries {
        ignore_case: true,
        multi: true,
    })
}

// Query parameter names are case-sensitive: `Authorization=` is another parameter.
fn query_values<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    deserializer.deserialize_option(AuthorizationEntries {
        ignore_case: false,
        multi: false,
    })
}

fn multi_query_values<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    deserializer.deserialize_option(AuthorizationEntries {
        ignore_case: false,
        multi: true,
    })
}

/// Reads a (possibly `null`) map of name to value (or to a list of values)
/// and keeps the values of the `authorization` entries, skipping the rest
/// without allocating.
#[derive(Clone, Copy)]
struct AuthorizationEntries {
    ignore_case: bool,
    multi: bool,
}

impl<'de> Visitor<'de> for AuthorizationEntries {
    type Value = Vec<String>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a map of names to values, or null")
    }

    fn visit_none<E: serde::de::Error>(self) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut values = Vec::new();
        while let Some(matches) = map.next_key_seed(NameMatches(self.ignore_case))? {
            match (matches, self.multi) {
                (false, _) => {
                    map.next_value::<IgnoredAny>()?;
                }
                (true, false) => values.extend(map.next_value::<Option<String>>()?),
                (true, true) => {
                    values.extend(map.next_value::<Option<Vec<String>>>()?.unwrap_or_default())
                }
            }
        }
        Ok(values)
    }
}

/// Deserializes a map key into whether it names `authorization`.
struct NameMatches(bool);

impl<'de> DeserializeSeed<'de> for NameMatches {
    type Value = bool;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<bool, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl Visitor<'_> for NameMatches {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a name")
    }

    fn visit_str<E: serde::de::Error>(self, name: &str) -> Result<bool, E> {
        Ok(if self.0 {
            name.eq_ignore_ascii_case(AUTHORIZATION)
        } else {
            name == AUTHORIZATION
        })
    }
}

/// The `requestContext` of a `$connect` event.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
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
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectIdentity {
    /// The client's IP address.
    #[serde(default)]
    pub source_ip: Option<String>,
    /// The client's `User-Agent`.
    #[serde(default)]
    pub user_agent: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> ConnectEvent {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn null_maps_carry_nothing() {
        let event = parse(
            r#"{"type":"REQUEST","methodArn":"arn:x","headers":null,"multiValueHeaders":null,
                "queryStringParameters":null,"multiValueQueryStringParameters":null,
                "stageVariables":null,"requestContext":{"connectionId":"c1"}}"#,
        );
        assert!(event.header_authorization.is_empty());
        assert!(event.query_authorization.is_empty());
        assert_eq!(event.request_context.connection_id.as_deref(), Some("c1"));
    }

    #[test]
    fn only_authorization_entries_are_kept() {
        let event = parse(
            r#"{"headers":{"Host":"h","AUTHORIZATION":"Bearer a","authorization":"Bearer b","X-Other":"x"},
                "multiValueHeaders":{"Authorization":["Bearer c","Bearer d"],"Host":["h"]},
                "queryStringParameters":{"authorization":"e","Authorization":"not-this","x":"y"},
                "multiValueQueryStringParameters":{"authorization":["f","g"],"x":["y"]},
                "stageVariables":{"a":"b"}}"#,
        );
        assert_eq!(event.header_authorization, vec!["Bearer a", "Bearer b"]);
        assert_eq!(
            event.header_authorization_values,
            vec!["Bearer c", "Bearer d"]
        );
        assert_eq!(event.query_authorization, vec!["e"]);
        assert_eq!(event.query_authorization_values, vec!["f", "g"]);
    }

    #[test]
    fn escaped_names_still_match() {
        let event = parse(r#"{"headers":{"Authoriz\u0061tion":"Bearer a"}}"#);
        assert_eq!(event.header_authorization, vec!["Bearer a"]);
    }

    #[test]
    fn malformed_maps_are_errors() {
        assert!(serde_json::from_str::<ConnectEvent>(r#"{"headers":["a"]}"#).is_err());
        assert!(serde_json::from_str::<ConnectEvent>(
            r#"{"multiValueHeaders":{"authorization":"a"}}"#
        )
        .is_err());
    }
}
