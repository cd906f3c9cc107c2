//! `AUTHORIZED_APIS` matching and the IAM policy answer API Gateway expects.

use aws_lambda_events::apigw::{
    ApiGatewayCustomAuthorizerPolicy, ApiGatewayCustomAuthorizerResponse,
};
use aws_lambda_events::iam::{IamPolicyEffect, IamPolicyStatement};
use serde_json::{Map, Value};

/// An execute-api ARN pattern from `AUTHORIZED_APIS`, where `*` matches any run
/// of characters (IAM's rule), so `…:abc/prod/*` covers `…:abc/prod/$connect`
/// while `…:abc/prod/*/*` does not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArnPattern(String);

impl ArnPattern {
    /// Accepts `*` alone or a pattern that starts like an ARN.
    pub fn parse(pattern: &str) -> Result<Self, String> {
        if pattern == "*" || pattern.starts_with("arn:") {
            Ok(ArnPattern(pattern.to_owned()))
        } else {
            Err(format!(
                "{pattern:?} is not an execute-api ARN pattern (arn:aws:execute-api:REGION:ACCOUNT:API_ID/STAGE/ROUTE, * as wildcard)"
            ))
        }
    }

    /// Whether `arn` matches the pattern.
    pub fn matches(&self, arn: &str) -> bool {
        glob_match(self.0.as_bytes(), arn.as_bytes())
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Matches `*` greedily with single-point backtracking: linear for patterns
/// whose stars are separated by literals, and never recursive.
fn glob_match(pattern: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0, 0);
    let mut backtrack: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && pattern[p] == b'*' {
            backtrack = Some((p, t));
            p += 1;
        } else if p < pattern.len() && pattern[p] == text[t] {
            p += 1;
            t += 1;
        } else if let Some((star, matched)) = backtrack {
            p = star + 1;
            t = matched + 1;
            backtrack = Some((star, matched + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|&byte| byte == b'*')
}

/// The authorizer's answer: what API Gateway reads from a successful invocation.
pub type AuthorizerResponse = ApiGatewayCustomAuthorizerResponse<Map<String, Value>>;

/// The largest answer API Gateway takes from a Lambda authorizer; it turns
/// a larger one into a 500.
pub const MAX_RESPONSE_BYTES: usize = 8 * 1024;

/// Whether `response`, as the JSON the function returns, is within
/// [`MAX_RESPONSE_BYTES`]: one that is not is refused with its own reason
/// rather than handed to API Gateway.
pub fn fits_api_gateway(response: &AuthorizerResponse) -> bool {
    crate::context::json_len(response) <= MAX_RESPONSE_BYTES
}

/// Builds the one-statement `execute-api:Invoke` policy for `method_arn`.
///
/// The Allow policy names the `methodArn` itself rather than the
/// `AUTHORIZED_APIS` patterns: API Gateway evaluates it only against this
/// `$connect`, and a pattern such as `…/prod/*/*` would not cover it (403).
pub fn policy_response(
    principal_id: String,
    allow: bool,
    method_arn: &str,
    context: Map<String, Value>,
) -> AuthorizerResponse {
    let mut statement = IamPolicyStatement::default();
    statement.action = vec!["execute-api:Invoke".to_owned()];
    statement.effect = if allow {
        IamPolicyEffect::Allow
    } else {
        IamPolicyEffect::Deny
    };
    statement.resource = vec![method_arn.to_owned()];

    let mut policy = ApiGatewayCustomAuthorizerPolicy::default();
    policy.version = Some("2012-10-17".to_owned());
    policy.statement = vec![statement];

    let mut response = AuthorizerResponse::default();
    response.principal_id = Some(principal_id);
    response.policy_document = policy;
    response.context = context;
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const CONNECT: &str = "arn:aws:execute-api:eu-west-1:123456789012:abcdef1234/prod/$connect";

    fn pattern(text: &str) -> ArnPattern {
        ArnPattern::parse(text).unwrap()
    }

    #[test]
    fn the_answer_limit_counts_the_whole_json() {
        let answer =
            |principal: &str| policy_response(principal.to_owned(), true, CONNECT, Map::new());
        let small = answer("user");
        let overhead = serde_json::to_vec(&small).unwrap().len() - "user".len();
        assert!(fits_api_gateway(&answer(
            &"u".repeat(MAX_RESPONSE_BYTES - overhead)
        )));
        assert!(!fits_api_gateway(&answer(
            &"u".repeat(MAX_RESPONSE_BYTES - overhead + 1)
        )));
        // Escapes count as the bytes they take.
        assert!(!fits_api_gateway(&answer(
            &"\"".repeat(MAX_RESPONSE_BYTES / 2)
        )));
    }

    #[test]
    fn wildcards_follow_iam_rules() {
        assert!(pattern("*").matches(CONNECT));
        assert!(pattern(CONNECT).matches(CONNECT));
        assert!(
            pattern("arn:aws:execute-api:eu-west-1:123456789012:abcdef1234/*").matches(CONNECT)
        );
        assert!(
            pattern("arn:aws:execute-api:eu-west-1:123456789012:abcdef1234/prod/*")
                .matches(CONNECT)
        );
        assert!(pattern("arn:aws:execute-api:*:123456789012:*/prod/$connect").matches(CONNECT));
        assert!(
            pattern("arn:aws:execute-api:eu-west-1:123456789012:abcdef1234/*/$connect")
                .matches(CONNECT)
        );
        assert!(
            !pattern("arn:aws:execute-api:eu-west-1:123456789012:abcdef1234/prod/*/*")
                .matches(CONNECT)
        );
        assert!(!pattern("arn:aws:execute-api:eu-west-1:123456789012:other/*").matches(CONNECT));
        assert!(
            !pattern("arn:aws:execute-api:eu-west-1:123456789012:abcdef1234/dev/*")
                .matches(CONNECT)
        );
        assert!(!pattern("arn:aws:execute-api:eu-west-1:123456789012:abcdef123").matches(CONNECT));
    }

    #[test]
    fn many_stars_stay_fast() {
        let text = "a".repeat(10_000);
        let mut pattern_text = "arn:".to_owned();
        pattern_text.push_str(&"*a".repeat(50));
        pattern_text.push('b');
        assert!(!pattern(&pattern_text).matches(&text));
    }

    #[test]
    fn parse_refuses_what_cannot_be_an_arn() {
        assert!(ArnPattern::parse("abcdef/prod").is_err());
        assert!(ArnPattern::parse("").is_err());
    }

    #[test]
    fn response_shape_is_what_api_gateway_reads() {
        let mut context = Map::new();
        context.insert("sub".into(), json!("user-1"));
        let response = policy_response("user-1".into(), true, CONNECT, context);
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
        let deny = policy_response("user-1".into(), false, CONNECT, Map::new());
        let value = serde_json::to_value(&deny).unwrap();
        assert_eq!(value["policyDocument"]["Statement"][0]["Effect"], "Deny");
        assert_eq!(value["context"], json!({}));
    }
}
