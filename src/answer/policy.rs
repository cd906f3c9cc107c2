//! The answers' JSON: the IAM policy and the simple response API Gateway
//! expects, each measured against its limit when written.

pub use crate::arn::ArnPattern;

use std::sync::Arc;

use serde::{Serialize, Serializer};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::error::Refusal;

/// The authorizer's answer, as the JSON the function returns.
///
/// It is written once, when the decision is made, and measured against API
/// Gateway's limit then; a remembered Allow shares it (an `Arc`), so that a
/// client reconnecting with the same token on the same route gets it without
/// the context being built or the answer being written again.
#[derive(Debug, Clone)]
pub struct AuthorizerResponse {
    json: Arc<RawValue>,
}

impl AuthorizerResponse {
    /// The answer's JSON text.
    pub fn json(&self) -> &str {
        self.json.get()
    }
}

/// Written as the JSON it holds, byte for byte.
impl Serialize for AuthorizerResponse {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.json.serialize(serializer)
    }
}

/// The largest answer API Gateway takes from a Lambda authorizer; it turns
/// a larger one into a 500.
pub const MAX_RESPONSE_BYTES: usize = 8 * 1024;

/// The answer's members, in the order API Gateway's own examples give them.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Answer<'a> {
    principal_id: &'a str,
    policy_document: PolicyDocument<'a>,
    context: &'a Map<String, Value>,
    /// `null` for REST and WebSocket APIs (no usage plan is keyed by this
    /// authorizer); HTTP APIs' answer has no such member.
    #[serde(skip_serializing_if = "Option::is_none")]
    usage_identifier_key: Option<Option<&'a str>>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct PolicyDocument<'a> {
    version: &'static str,
    statement: &'a [Statement],
}

/// One statement of the policy: `execute-api:Invoke` allowed or denied on
/// these resources. An explicit Deny wins over any Allow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Statement {
    action: [&'static str; 1],
    effect: &'static str,
    resource: Vec<String>,
}

impl Statement {
    /// Allows `resources`.
    pub fn allow(resources: Vec<String>) -> Self {
        Statement {
            action: ["execute-api:Invoke"],
            effect: "Allow",
            resource: resources,
        }
    }

    /// Denies `resources`.
    pub fn deny(resources: Vec<String>) -> Self {
        Statement {
            action: ["execute-api:Invoke"],
            effect: "Deny",
            resource: resources,
        }
    }
}

/// Writes the `execute-api:Invoke` policy of `statements` (those with no
/// resource left out), or refuses with [`Refusal::ResponseTooLarge`] an
/// answer over [`MAX_RESPONSE_BYTES`], which API Gateway would turn into a
/// 500.
///
/// An Allow names the `methodArn` itself rather than the `AUTHORIZED_APIS`
/// patterns: a pattern such as `…/prod/*/*` would not cover a `$connect`
/// (403). Only `ROUTE_SCOPES` adds the other routes a token may call, for
/// API Gateway's cache.
pub fn policy_response(
    principal_id: &str,
    statements: &[Statement],
    context: &Map<String, Value>,
    usage_identifier_key: bool,
) -> Result<AuthorizerResponse, Refusal> {
    let kept: Vec<Statement>;
    let statement = if statements
        .iter()
        .any(|statement| statement.resource.is_empty())
    {
        kept = statements
            .iter()
            .filter(|statement| !statement.resource.is_empty())
            .cloned()
            .collect();
        &kept[..]
    } else {
        statements
    };
    written(&Answer {
        principal_id,
        policy_document: PolicyDocument {
            version: "2012-10-17",
            statement,
        },
        context,
        usage_identifier_key: usage_identifier_key.then_some(None),
    })
}

/// An HTTP API's simple response (payload 2.0 with simple responses on):
/// whether the request may go on, and the context for the route.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SimpleAnswer<'a> {
    is_authorized: bool,
    context: &'a Map<String, Value>,
}

/// Writes a simple response, within [`MAX_RESPONSE_BYTES`].
pub fn simple_response(
    authorized: bool,
    context: &Map<String, Value>,
) -> Result<AuthorizerResponse, Refusal> {
    written(&SimpleAnswer {
        is_authorized: authorized,
        context,
    })
}

/// The answer's JSON, measured against API Gateway's limit.
fn written<T: Serialize>(answer: &T) -> Result<AuthorizerResponse, Refusal> {
    // Strings and maps with string keys always serialize; were that ever
    // to fail, no answer is given rather than a partial one.
    let json = serde_json::value::to_raw_value(answer).map_err(|_| Refusal::ResponseTooLarge)?;
    if json.get().len() > MAX_RESPONSE_BYTES {
        return Err(Refusal::ResponseTooLarge);
    }
    Ok(AuthorizerResponse {
        json: Arc::from(json),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const CONNECT: &str = "arn:aws:execute-api:eu-west-1:123456789012:abcdef1234/prod/$connect";

    #[test]
    fn the_answer_limit_counts_the_whole_json() {
        let allow = [Statement::allow(vec![CONNECT.to_owned()])];
        let answer = |principal: &str| policy_response(principal, &allow, &Map::new(), true);
        let overhead = answer("user").unwrap().json().len() - "user".len();
        let longest = "u".repeat(MAX_RESPONSE_BYTES - overhead);
        assert_eq!(answer(&longest).unwrap().json().len(), MAX_RESPONSE_BYTES);
        assert_eq!(
            answer(&"u".repeat(MAX_RESPONSE_BYTES - overhead + 1)).unwrap_err(),
            Refusal::ResponseTooLarge
        );
        // Escapes count as the bytes they take.
        assert_eq!(
            answer(&"\"".repeat(MAX_RESPONSE_BYTES / 2)).unwrap_err(),
            Refusal::ResponseTooLarge
        );
    }

    #[test]
    fn response_shape_is_what_api_gateway_reads() {
        let mut context = Map::new();
        context.insert("sub".into(), json!("user-1"));
        let allow = [Statement::allow(vec![CONNECT.to_owned()])];
        let response = policy_response("user-1", &allow, &context, true).unwrap();
        assert_eq!(
            serde_json::to_value(&response).unwrap(),
            json!({
                "principalId": "user-1",
                "policyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [{
                        "Action": ["execute-api:Invoke"],
                        "Effect": "Allow",
                        "Resource": [CONNECT]
                    }]
                },
                "context": {"sub": "user-1"},
                "usageIdentifierKey": null
            })
        );
        // Written as it is held, byte for byte, not as a string of JSON.
        assert_eq!(serde_json::to_string(&response).unwrap(), response.json());
        let deny = [Statement::deny(vec![CONNECT.to_owned()])];
        let deny = policy_response("user-1", &deny, &Map::new(), true).unwrap();
        let value = serde_json::to_value(&deny).unwrap();
        assert_eq!(value["policyDocument"]["Statement"][0]["Effect"], "Deny");
        assert_eq!(value["context"], json!({}));
        // An HTTP API's answer has no usageIdentifierKey; a statement
        // without resources is left out.
        let http = [
            Statement::allow(vec![CONNECT.to_owned()]),
            Statement::deny(Vec::new()),
        ];
        let http = policy_response("user-1", &http, &Map::new(), false).unwrap();
        let value = serde_json::to_value(&http).unwrap();
        assert_eq!(value.get("usageIdentifierKey"), None);
        assert_eq!(
            value["policyDocument"]["Statement"]
                .as_array()
                .unwrap()
                .len(),
            1
        );
    }

    /// The answer is byte for byte the one `aws_lambda_events`' response
    /// type wrote before this crate wrote its own: same members, same order,
    /// same escapes.
    #[test]
    fn the_answer_is_the_one_aws_lambda_events_writes() {
        use aws_lambda_events::apigw::{
            ApiGatewayCustomAuthorizerPolicy, ApiGatewayCustomAuthorizerResponse,
        };
        use aws_lambda_events::iam::{IamPolicyEffect, IamPolicyStatement};
        let contexts = [
            json!({}),
            json!({"sub": "user-1", "exp": 1_900_000_000, "admin": true}),
            json!({"quote\"key": "line\nbreak \u{1} \u{2028} é 😀", "n": -1.5e300, "aud": "a,b"}),
        ];
        for principal in ["user-1", "", "\"</script>\\", "ünïcödé"] {
            for (allow, effect) in [
                (true, IamPolicyEffect::Allow),
                (false, IamPolicyEffect::Deny),
            ] {
                for context in &contexts {
                    let Value::Object(context) = context.clone() else {
                        unreachable!()
                    };
                    let mut statement = IamPolicyStatement::default();
                    statement.action = vec!["execute-api:Invoke".to_owned()];
                    statement.effect = effect.clone();
                    statement.resource = vec![CONNECT.to_owned()];
                    let mut policy = ApiGatewayCustomAuthorizerPolicy::default();
                    policy.version = Some("2012-10-17".to_owned());
                    policy.statement = vec![statement];
                    let mut expected =
                        ApiGatewayCustomAuthorizerResponse::<Map<String, Value>>::default();
                    expected.principal_id = Some(principal.to_owned());
                    expected.policy_document = policy;
                    expected.context = context.clone();
                    let statement = if allow {
                        Statement::allow(vec![CONNECT.to_owned()])
                    } else {
                        Statement::deny(vec![CONNECT.to_owned()])
                    };
                    let ours = policy_response(principal, &[statement], &context, true).unwrap();
                    assert_eq!(ours.json(), serde_json::to_string(&expected).unwrap());
                }
            }
        }
    }
}
