//! The authorizer events API Gateway sends, of every kind: a REST API's
//! `TOKEN` event, the `REQUEST` event of REST APIs, HTTP APIs (payload 1.0)
//! and WebSocket `$connect`, and an HTTP API's payload 2.0. One type reads
//! them all, and [`ConnectEvent::shape`] tells which kind it is and where
//! its route is; an event of no known kind is refused there, never guessed.
//!
//! `aws_lambda_events`' request types drop `connectionId` from the request
//! context (the decision log needs it) and parse every header and query
//! parameter into owned maps (the authorizer needs one entry of each), so
//! the event is typed here.

use std::fmt;

use serde::de::{DeserializeSeed, IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};

/// An authorizer event of any kind (the name is the WebSocket one it began
/// with), as much of it as the authorizer reads; serde skips the rest
/// without allocating.
///
/// Of the four header and query maps only the entries that can decide
/// something are kept (`authorization`, and the `Sec-WebSocket-Protocol`,
/// `Cookie` and `Origin` headers): deserializing every header into owned
/// maps cost five times more than the rest of a refusal.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectEvent {
    /// `TOKEN` or `REQUEST`.
    #[serde(default, rename = "type")]
    pub kind: String,
    /// An HTTP API's payload format version (`1.0`, `2.0`); REST and
    /// WebSocket events have none.
    #[serde(default)]
    pub version: Option<String>,
    /// `arn:aws:execute-api:{region}:{account}:{apiId}/{stage}/$connect`, or
    /// `…/{stage}/{METHOD}/{path}`: what the answer's policy is about
    /// (`TOKEN`, `REQUEST` payload 1.0).
    #[serde(default)]
    pub method_arn: String,
    /// The same for an HTTP API's payload 2.0.
    #[serde(default)]
    pub route_arn: String,
    /// A `TOKEN` event's token: the value of the API's identity source.
    #[serde(default, deserialize_with = "capped_value")]
    pub authorization_token: Carried,
    /// Payload 2.0: the route, as API Gateway writes it (`GET /orders/{id}`).
    #[serde(default)]
    pub route_key: Option<String>,
    /// REST and payload 1.0: the resource, as its template (`/orders/{id}`).
    #[serde(default)]
    pub resource: Option<String>,
    /// REST and payload 1.0: the request's method.
    #[serde(default)]
    pub http_method: Option<String>,
    /// Payload 2.0: the request's cookies (`name=value` each), which its
    /// `headers` no longer carry.
    #[serde(default, deserialize_with = "cookie_values")]
    pub cookies: Carried,
    /// The headers that matter (names in any case) of `headers`.
    #[serde(default, rename = "headers", deserialize_with = "header_values")]
    pub headers: CarriedHeaders,
    /// The same headers, every value, from `multiValueHeaders`.
    #[serde(
        default,
        rename = "multiValueHeaders",
        deserialize_with = "multi_header_values"
    )]
    pub multi_value_headers: CarriedHeaders,
    /// The `authorization` query parameter of `queryStringParameters`.
    #[serde(
        default,
        rename = "queryStringParameters",
        deserialize_with = "query_values"
    )]
    pub query_authorization: Carried,
    /// Every `authorization` value of `multiValueQueryStringParameters`.
    #[serde(
        default,
        rename = "multiValueQueryStringParameters",
        deserialize_with = "multi_query_values"
    )]
    pub query_authorization_values: Carried,
    /// Where the connection comes from.
    #[serde(default)]
    pub request_context: ConnectRequestContext,
}

/// The query parameter that carries the token (case-sensitive).
const QUERY_NAMES: [&str; 1] = ["authorization"];

/// The headers kept, in the order of [`CarriedHeaders`]' fields.
const HEADER_NAMES: [&str; 4] = [
    "authorization",
    "sec-websocket-protocol",
    "cookie",
    "origin",
];

/// Tokens longer than this are refused before any decoding. Real access
/// tokens are well under 4 KiB; the cap bounds the work an attacker can cause.
/// The event reader owns it: what it does not copy cannot be a token.
pub const MAX_TOKEN_BYTES: usize = 8 * 1024;

/// Values longer than this are not copied out of the event: they are too
/// long to hold a token (with a `Bearer ` prefix and some whitespace).
pub const MAX_CARRIED_BYTES: usize = MAX_TOKEN_BYTES + 128;

/// The `Cookie` header carries every cookie of the site, not just the
/// token's (analytics cookies alone can pass 8 KiB), so it has a bound of
/// its own; the token cookie's value is held to the token cap when read.
pub const MAX_COOKIE_HEADER_BYTES: usize = 32 * 1024;

/// The cap of each kept header, in the order of [`HEADER_NAMES`].
const HEADER_CAPS: [usize; 4] = [
    MAX_CARRIED_BYTES,
    MAX_CARRIED_BYTES,
    MAX_COOKIE_HEADER_BYTES,
    MAX_CARRIED_BYTES,
];

/// The `authorization` values one map of the event carries.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Carried {
    /// The values, in order.
    pub values: Vec<String>,
    /// Whether a value longer than its cap ([`MAX_CARRIED_BYTES`], or
    /// [`MAX_COOKIE_HEADER_BYTES`] for cookies) was left out.
    pub oversize: bool,
}

/// The values of the headers that can carry a token or decide on one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CarriedHeaders {
    /// `Authorization`.
    pub authorization: Carried,
    /// `Sec-WebSocket-Protocol`: the subprotocols the client offers.
    pub protocol: Carried,
    /// `Cookie`.
    pub cookie: Carried,
    /// `Origin`: the page a browser connects from.
    pub origin: Carried,
}

impl From<[Carried; 4]> for CarriedHeaders {
    fn from([authorization, protocol, cookie, origin]: [Carried; 4]) -> Self {
        CarriedHeaders {
            authorization,
            protocol,
            cookie,
            origin,
        }
    }
}

fn header_values<'de, D: Deserializer<'de>>(deserializer: D) -> Result<CarriedHeaders, D::Error> {
    deserializer
        .deserialize_option(Entries {
            names: HEADER_NAMES,
            caps: HEADER_CAPS,
            ignore_case: true,
            multi: false,
        })
        .map(CarriedHeaders::from)
}

fn multi_header_values<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<CarriedHeaders, D::Error> {
    deserializer
        .deserialize_option(Entries {
            names: HEADER_NAMES,
            caps: HEADER_CAPS,
            ignore_case: true,
            multi: true,
        })
        .map(CarriedHeaders::from)
}

// Query parameter names are case-sensitive: `Authorization=` is another parameter.
fn capped_value<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Carried, D::Error> {
    let mut carried = Carried::default();
    CappedValue(&mut carried, MAX_CARRIED_BYTES).deserialize(deserializer)?;
    Ok(carried)
}

fn cookie_values<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Carried, D::Error> {
    let mut carried = Carried::default();
    CappedValues(&mut carried, MAX_COOKIE_HEADER_BYTES).deserialize(deserializer)?;
    Ok(carried)
}

fn query_values<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Carried, D::Error> {
    deserializer
        .deserialize_option(Entries {
            names: QUERY_NAMES,
            caps: [MAX_CARRIED_BYTES],
            ignore_case: false,
            multi: false,
        })
        .map(|[carried]| carried)
}

fn multi_query_values<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Carried, D::Error> {
    deserializer
        .deserialize_option(Entries {
            names: QUERY_NAMES,
            caps: [MAX_CARRIED_BYTES],
            ignore_case: false,
            multi: true,
        })
        .map(|[carried]| carried)
}

/// Reads a (possibly `null`) map of name to value (or to a list of values)
/// and keeps the values of the entries named in `names`, one slot per name,
/// each up to its cap in `caps`, skipping the rest without allocating.
#[derive(Clone, Copy)]
struct Entries<const N: usize> {
    names: [&'static str; N],
    caps: [usize; N],
    ignore_case: bool,
    multi: bool,
}

impl<'de, const N: usize> Visitor<'de> for Entries<N> {
    type Value = [Carried; N];

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a map of names to values, or null")
    }

    fn visit_none<E: serde::de::Error>(self) -> Result<Self::Value, E> {
        Ok(std::array::from_fn(|_| Carried::default()))
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
        self.visit_none()
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut slots: [Carried; N] = std::array::from_fn(|_| Carried::default());
        let seed = NameIndex {
            names: &self.names,
            ignore_case: self.ignore_case,
        };
        while let Some(index) = map.next_key_seed(seed)? {
            let slot =
                index.and_then(|index| Some((slots.get_mut(index)?, *self.caps.get(index)?)));
            match slot {
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
                Some((slot, cap)) if self.multi => map.next_value_seed(CappedValues(slot, cap))?,
                Some((slot, cap)) => map.next_value_seed(CappedValue(slot, cap))?,
            }
        }
        Ok(slots)
    }
}

/// One value (or `null`), added to `Carried` unless it is longer than the cap.
struct CappedValue<'a>(&'a mut Carried, usize);

impl<'de> DeserializeSeed<'de> for CappedValue<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_option(self)
    }
}

impl<'de> Visitor<'de> for CappedValue<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string or null")
    }

    fn visit_none<E: serde::de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_str(self)
    }

    fn visit_str<E: serde::de::Error>(self, value: &str) -> Result<(), E> {
        if value.len() > self.1 {
            self.0.oversize = true;
        } else {
            self.0.values.push(value.to_owned());
        }
        Ok(())
    }
}

/// A list of values (or `null`), each added as by [`CappedValue`].
struct CappedValues<'a>(&'a mut Carried, usize);

impl<'de> DeserializeSeed<'de> for CappedValues<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_option(self)
    }
}

impl<'de> Visitor<'de> for CappedValues<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of strings or null")
    }

    fn visit_none<E: serde::de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq
            .next_element_seed(CappedValue(&mut *self.0, self.1))?
            .is_some()
        {}
        Ok(())
    }
}

/// Deserializes a map key into the index of the name it matches, if any.
#[derive(Clone, Copy)]
struct NameIndex<'a> {
    names: &'a [&'static str],
    ignore_case: bool,
}

impl<'de> DeserializeSeed<'de> for NameIndex<'_> {
    type Value = Option<usize>;

    /// As bytes: serde_json then unescapes the name without checking its
    /// UTF-8, which a name compared with ASCII names does not need (a
    /// quarter of the instructions of reading the event went to that check).
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_bytes(self)
    }
}

impl Visitor<'_> for NameIndex<'_> {
    type Value = Option<usize>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a name")
    }

    fn visit_bytes<E: serde::de::Error>(self, name: &[u8]) -> Result<Self::Value, E> {
        Ok(self.names.iter().position(|candidate| {
            if self.ignore_case {
                name.eq_ignore_ascii_case(candidate.as_bytes())
            } else {
                name == candidate.as_bytes()
            }
        }))
    }

    fn visit_str<E: serde::de::Error>(self, name: &str) -> Result<Self::Value, E> {
        self.visit_bytes(name.as_bytes())
    }
}

/// The `requestContext` of an event: the ids the decision log carries and
/// where the route is. (It also holds `stage`, `apiId`, `domainName`, times
/// and the caller's identity, which decide nothing.)
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectRequestContext {
    /// The route: `$connect` on a WebSocket API, `GET /orders/{id}` on an
    /// HTTP API's payload 1.0.
    #[serde(default)]
    pub route_key: Option<String>,
    /// `CONNECT` on a WebSocket API.
    #[serde(default)]
    pub event_type: Option<String>,
    /// The id the backend uses to post to this connection.
    #[serde(default)]
    pub connection_id: Option<String>,
    /// API Gateway's id for this request.
    #[serde(default)]
    pub request_id: Option<String>,
}

/// Which API sent the event: the dimension of the decision metrics, and
/// what decides how a refusal is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ApiType {
    /// A WebSocket API's `$connect`.
    WebSocket,
    /// A REST API (`TOKEN` or `REQUEST`).
    Rest,
    /// An HTTP API (payload 1.0 or 2.0).
    Http,
}

impl ApiType {
    /// The name in logs and metrics.
    pub fn name(self) -> &'static str {
        match self {
            ApiType::WebSocket => "websocket",
            ApiType::Rest => "rest",
            ApiType::Http => "http",
        }
    }
}

/// The kind of an event and what the answer is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shape<'a> {
    /// The API that sent it.
    pub api: ApiType,
    /// An HTTP API's payload 2.0 (answered as such: `routeArn`, simple
    /// responses).
    pub payload_v2: bool,
    /// A REST API's `TOKEN` event: its token is in `authorizationToken`.
    pub token_event: bool,
    /// The `methodArn` or `routeArn`: never empty.
    pub arn: &'a str,
    /// The route as API Gateway writes its key (`GET /orders/{id}`,
    /// `$connect`), when the event says it; a `TOKEN` event does not.
    pub route: Option<std::borrow::Cow<'a, str>>,
}

impl Shape<'_> {
    /// The event's kind, as `explain` names it.
    pub fn kind_name(&self) -> &'static str {
        match (self.token_event, self.payload_v2, self.api) {
            (true, _, _) => "TOKEN event",
            (_, true, _) => "REQUEST event, payload 2.0",
            (_, _, ApiType::Http) => "REQUEST event, payload 1.0",
            (_, _, ApiType::WebSocket) => "$connect REQUEST event",
            (_, _, ApiType::Rest) => "REQUEST event",
        }
    }
}

impl ConnectEvent {
    /// The event's kind, told from its members, or `not_an_event`: an
    /// event of no known kind, or one without the ARN its answer must name
    /// (an answer never names an empty resource).
    pub fn shape(&self) -> Result<Shape<'_>, crate::error::Refusal> {
        use std::borrow::Cow;
        let not_an_event = crate::error::Refusal::NotAnEvent;
        let named = |arn: &str| arn.starts_with("arn:") && arn.contains(":execute-api:");
        let rest_route = || match (&self.http_method, self.resource.as_deref()) {
            // An HTTP API's payload 1.0 names its `$default` route so.
            (_, Some("$default")) => Some(Cow::Borrowed("$default")),
            (Some(method), Some(resource)) => Some(Cow::Owned(format!("{method} {resource}"))),
            _ => None,
        };
        match (self.kind.as_str(), self.version.as_deref()) {
            ("TOKEN", None) if named(&self.method_arn) => Ok(Shape {
                api: ApiType::Rest,
                payload_v2: false,
                token_event: true,
                arn: &self.method_arn,
                route: None,
            }),
            ("REQUEST", Some("2.0")) if named(&self.route_arn) => Ok(Shape {
                api: ApiType::Http,
                payload_v2: true,
                token_event: false,
                arn: &self.route_arn,
                route: self.route_key.as_deref().map(Cow::Borrowed),
            }),
            ("REQUEST", Some("1.0")) if named(&self.method_arn) => Ok(Shape {
                api: ApiType::Http,
                payload_v2: false,
                token_event: false,
                arn: &self.method_arn,
                route: self
                    .request_context
                    .route_key
                    .as_deref()
                    .filter(|key| !key.is_empty())
                    .map(Cow::Borrowed)
                    .or_else(rest_route),
            }),
            // REST and WebSocket events carry no version (a serialised
            // test event may carry the function's, `$LATEST`).
            ("REQUEST", _) if named(&self.method_arn) => {
                let websocket = self.request_context.connection_id.is_some()
                    || self.request_context.event_type.is_some();
                Ok(Shape {
                    api: if websocket {
                        ApiType::WebSocket
                    } else {
                        ApiType::Rest
                    },
                    payload_v2: false,
                    token_event: false,
                    arn: &self.method_arn,
                    route: if websocket {
                        self.request_context.route_key.as_deref().map(Cow::Borrowed)
                    } else {
                        rest_route()
                    },
                })
            }
            _ => Err(not_an_event),
        }
    }
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
        assert_eq!(event.headers, CarriedHeaders::default());
        assert_eq!(event.query_authorization, Carried::default());
        assert_eq!(event.request_context.connection_id.as_deref(), Some("c1"));
    }

    #[test]
    fn only_the_entries_that_decide_are_kept() {
        let event = parse(
            r#"{"headers":{"Host":"h","AUTHORIZATION":"Bearer a","authorization":"Bearer b","X-Other":"x",
                           "Sec-WebSocket-Protocol":"bearer, t","cookie":"a=b","ORIGIN":"https://o"},
                "multiValueHeaders":{"Authorization":["Bearer c","Bearer d"],"Host":["h"],"Origin":["https://o"]},
                "queryStringParameters":{"authorization":"e","Authorization":"not-this","x":"y"},
                "multiValueQueryStringParameters":{"authorization":["f","g"],"x":["y"]},
                "stageVariables":{"a":"b"}}"#,
        );
        assert_eq!(
            event.headers.authorization.values,
            vec!["Bearer a", "Bearer b"]
        );
        assert_eq!(event.headers.protocol.values, vec!["bearer, t"]);
        assert_eq!(event.headers.cookie.values, vec!["a=b"]);
        assert_eq!(event.headers.origin.values, vec!["https://o"]);
        assert_eq!(
            event.multi_value_headers.authorization.values,
            vec!["Bearer c", "Bearer d"]
        );
        assert_eq!(event.multi_value_headers.origin.values, vec!["https://o"]);
        assert!(event.multi_value_headers.cookie.values.is_empty());
        assert_eq!(event.query_authorization.values, vec!["e"]);
        assert_eq!(event.query_authorization_values.values, vec!["f", "g"]);
    }

    #[test]
    fn the_cookie_header_has_a_larger_cap_of_its_own() {
        let analytics = format!("_ga={}; access_token=a.b.c", "x".repeat(20_000));
        let event = parse(&format!(r#"{{"headers":{{"Cookie":"{analytics}"}}}}"#));
        assert_eq!(event.headers.cookie.values, vec![analytics]);
        assert!(!event.headers.cookie.oversize);
        let huge = "x".repeat(MAX_COOKIE_HEADER_BYTES + 1);
        let event = parse(&format!(
            r#"{{"headers":{{"Cookie":"{huge}","Authorization":"{huge}"}}}}"#
        ));
        assert!(event.headers.cookie.oversize && event.headers.authorization.oversize);
        let over_token_cap = "x".repeat(MAX_CARRIED_BYTES + 1);
        let event = parse(&format!(
            r#"{{"headers":{{"Sec-WebSocket-Protocol":"{over_token_cap}"}}}}"#
        ));
        assert!(event.headers.protocol.oversize);
    }

    #[test]
    fn escaped_names_still_match() {
        let event = parse(r#"{"headers":{"Authoriz\u0061tion":"Bearer a"}}"#);
        assert_eq!(event.headers.authorization.values, vec!["Bearer a"]);
    }

    #[test]
    fn oversize_values_are_flagged_not_copied() {
        let long = "a".repeat(MAX_CARRIED_BYTES + 1);
        let json = format!(
            r#"{{"queryStringParameters":{{"authorization":"{long}"}},"multiValueHeaders":{{"authorization":["{long}","short",null]}}}}"#
        );
        let event = parse(&json);
        assert_eq!(
            event.query_authorization,
            Carried {
                values: vec![],
                oversize: true
            }
        );
        assert_eq!(
            event.multi_value_headers.authorization,
            Carried {
                values: vec!["short".into()],
                oversize: true
            }
        );
        let at_cap = "a".repeat(MAX_CARRIED_BYTES);
        let event = parse(&format!(
            r#"{{"queryStringParameters":{{"authorization":"{at_cap}"}}}}"#
        ));
        assert_eq!(event.query_authorization.values.len(), 1);
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
