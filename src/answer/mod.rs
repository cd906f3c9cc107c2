//! The answer each kind of event expects, from one decision: an IAM policy
//! for `TOKEN`, `REQUEST` payload 1.0 and (by default) 2.0, or an HTTP API's
//! simple response (`SIMPLE_RESPONSES`, payload 2.0 only).
//!
//! With `ROUTE_SCOPES`, an IAM answer speaks for every listed route, not
//! just the one at hand, because API Gateway caches it (by token, or by the
//! identity sources) and applies it to the API's other routes: it allows
//! those the token may call and denies those it may not, on the request's
//! own API and stage. A simple response is only a yes or no for this
//! request; the Terraform module keys the cache by route when the two meet.

pub mod policy;

use serde_json::{Map, Value};

use crate::access::AccessRules;
use crate::error::{Outcome, Refusal};
use crate::event::{ApiType, Shape};
use crate::policy::{policy_response, simple_response, AuthorizerResponse, Statement};

/// `SIMPLE_RESPONSES`: `true` answers an HTTP API's payload 2.0 with
/// `{"isAuthorized", "context"}` instead of an IAM policy.
pub const SIMPLE_RESPONSES: &str = "SIMPLE_RESPONSES";

/// The principal of a Deny given before any token was verified: an IAM
/// answer must name one.
const NO_PRINCIPAL: &str = "anonymous";

/// The form of an answer: what a remembered one must match besides its
/// ARN and subprotocol to be given again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// An IAM policy, with `usageIdentifierKey` (REST, WebSocket) or
    /// without (HTTP APIs).
    Policy {
        /// Whether it carries `usageIdentifierKey`.
        usage_identifier_key: bool,
    },
    /// An HTTP API's simple response.
    Simple,
}

/// How one request is answered.
pub struct Answering<'a> {
    /// The event's kind, ARN and route.
    pub shape: &'a Shape<'a>,
    /// Whether the answer is a simple response.
    pub simple: bool,
    /// `AUTHORIZED_APIS` and `ROUTE_SCOPES`.
    pub access: &'a AccessRules,
}

impl<'a> Answering<'a> {
    /// Answers `shape` as configured: simple responses only for payload 2.0.
    pub fn new(shape: &'a Shape<'a>, simple_responses: bool, access: &'a AccessRules) -> Self {
        Answering {
            shape,
            simple: simple_responses && shape.payload_v2,
            access,
        }
    }

    /// The request may go on: `context` for the routes.
    pub fn allow(
        &self,
        principal_id: &str,
        granted: &[&str],
        context: &Map<String, Value>,
    ) -> Result<AuthorizerResponse, Refusal> {
        if self.simple {
            return simple_response(true, context);
        }
        let arn = self.shape.arn;
        let reach = self
            .access
            .route_scopes
            .reach(arn, granted, true)
            .unwrap_or_default();
        let mut allow = vec![arn.to_owned()];
        allow.extend(
            reach
                .allow
                .into_iter()
                .filter(|resource| resource != arn && self.access.authorizes(resource)),
        );
        let whole = [Statement::allow(allow), Statement::deny(reach.deny)];
        let request_alone = [Statement::allow(vec![arn.to_owned()])];
        self.policy_within_limit(principal_id, &whole, &request_alone, context)
    }

    /// The policy of `whole`, or, when the routes it lists take it past API
    /// Gateway's limit, `request_alone` (a cached one then refuses the other
    /// routes, never admits one): a configuration of many routes must not
    /// turn valid tokens into refusals.
    fn policy_within_limit(
        &self,
        principal_id: &str,
        whole: &[Statement],
        request_alone: &[Statement],
        context: &Map<String, Value>,
    ) -> Result<AuthorizerResponse, Refusal> {
        let usage_identifier_key = self.usage_identifier_key();
        match policy_response(principal_id, whole, context, usage_identifier_key) {
            Err(Refusal::ResponseTooLarge) if !self.access.route_scopes.is_empty() => {
                tracing::warn!(
                    routes = self.access.route_scopes.routes().len(),
                    "the answer naming every route of ROUTE_SCOPES is over API Gateway's limit: it names the request alone"
                );
                policy_response(principal_id, request_alone, context, usage_identifier_key)
            }
            answered => answered,
        }
    }

    /// The request is refused with `refusal`, a Deny (403) for the token of
    /// `principal_id` (if one was verified) whose scopes are `granted`.
    pub fn deny(
        &self,
        principal_id: Option<&str>,
        refusal: Refusal,
        granted: &[&str],
    ) -> Result<AuthorizerResponse, Refusal> {
        if self.simple {
            return simple_response(false, &Map::new());
        }
        let arn = self.shape.arn;
        let principal_id = principal_id.unwrap_or(NO_PRINCIPAL);
        if refusal != Refusal::MissingRouteScope {
            return policy_response(
                principal_id,
                &[Statement::deny(vec![arn.to_owned()])],
                &Map::new(),
                self.usage_identifier_key(),
            );
        }
        // Only this route is out of reach: a cached answer still lets the
        // token call the routes it may, where the listed routes allow it.
        let reach = self
            .access
            .route_scopes
            .reach(arn, granted, false)
            .unwrap_or_default();
        let allow: Vec<String> = reach
            .allow
            .into_iter()
            .filter(|resource| self.access.authorizes(resource))
            .collect();
        let mut deny = vec![arn.to_owned()];
        deny.extend(reach.deny.into_iter().filter(|resource| resource != arn));
        let whole = [Statement::allow(allow), Statement::deny(deny)];
        let request_alone = [Statement::deny(vec![arn.to_owned()])];
        self.policy_within_limit(principal_id, &whole, &request_alone, &Map::new())
    }

    /// The form of this request's answers.
    pub fn form(&self) -> Form {
        if self.simple {
            Form::Simple
        } else {
            Form::Policy {
                usage_identifier_key: self.usage_identifier_key(),
            }
        }
    }

    /// Whether the policy answer carries `usageIdentifierKey` (REST and
    /// WebSocket APIs; an HTTP API's answer has no such member).
    fn usage_identifier_key(&self) -> bool {
        self.shape.api != ApiType::Http
    }

    /// What `refusal`, an error of the handler on other APIs, is on this
    /// one: an HTTP API has no answer that gives its client a 401 (an
    /// `Unauthorized` error is a 500 there), so a token it would refuse
    /// with 401 elsewhere is denied (403) instead. Except `unknown_kid`,
    /// the one refusal a key rotation turns into an Allow moments later:
    /// a Deny would be cached for the authorizer's TTL, an error is not.
    /// An outage stays an error (500) on every API: the client keeps its
    /// token and retries.
    pub fn answers_as_denial(&self, refusal: Refusal) -> bool {
        self.shape.api == ApiType::Http
            && refusal.outcome() == Outcome::Unauthorized
            && refusal != Refusal::UnknownKid
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::route_scopes::RouteScopes;
    use serde_json::json;

    const STAGE: &str = "arn:aws:execute-api:eu-west-1:123456789012:abc123/prod/";

    fn shape(arn: &str, api: ApiType, payload_v2: bool) -> Shape<'_> {
        Shape {
            api,
            payload_v2,
            token_event: false,
            arn,
            route: None,
        }
    }

    fn rules(route_scopes: &str, authorized_apis: Option<&str>) -> AccessRules {
        AccessRules {
            allowed_origins: None,
            required_scopes: None,
            scope_claims: vec!["scope".into()],
            authorized_apis: authorized_apis
                .map(|pattern| vec![crate::arn::ArnPattern::parse(pattern).unwrap()]),
            route_scopes: RouteScopes::parse(route_scopes).unwrap(),
        }
    }

    fn json(response: Result<AuthorizerResponse, Refusal>) -> Value {
        serde_json::from_str(response.unwrap().json()).unwrap()
    }

    #[test]
    fn without_route_scopes_the_policy_names_the_request_alone() {
        let arn = format!("{STAGE}GET/orders/1");
        let access = rules("{}", None);
        let shape = shape(&arn, ApiType::Rest, false);
        let answering = Answering::new(&shape, true, &access);
        assert!(
            !answering.simple,
            "simple responses are for payload 2.0 only"
        );
        let allowed = json(answering.allow("alice", &[], &Map::new()));
        assert_eq!(
            allowed["policyDocument"]["Statement"],
            json!([{"Action": ["execute-api:Invoke"], "Effect": "Allow", "Resource": [arn]}])
        );
        let denied = json(answering.deny(None, Refusal::MissingScope, &[]));
        assert_eq!(denied["principalId"], "anonymous");
        assert_eq!(denied["policyDocument"]["Statement"][0]["Effect"], "Deny");
        assert_eq!(
            denied["policyDocument"]["Statement"][0]["Resource"],
            json!([arn])
        );
    }

    #[test]
    fn with_route_scopes_the_policy_covers_every_listed_route_for_the_cache() {
        let arn = format!("{STAGE}GET/orders/1");
        let access = rules(
            r#"{"GET /orders/{id}": ["orders:read"], "DELETE /orders/{id}": ["orders:admin"], "GET /health": []}"#,
            None,
        );
        let shape = shape(&arn, ApiType::Http, false);
        let answering = Answering::new(&shape, false, &access);
        let allowed = json(answering.allow("alice", &["orders:read"], &Map::new()));
        assert_eq!(
            allowed["policyDocument"]["Statement"],
            json!([
                {"Action": ["execute-api:Invoke"], "Effect": "Allow",
                 "Resource": [arn, format!("{STAGE}GET/health"), format!("{STAGE}GET/orders/*")]},
                {"Action": ["execute-api:Invoke"], "Effect": "Deny",
                 "Resource": [format!("{STAGE}DELETE/orders/*")]}
            ])
        );
        // Refused on this route, the answer still lets the cache admit the
        // routes the token may call.
        let denied = json(answering.deny(Some("bob"), Refusal::MissingRouteScope, &[]));
        assert_eq!(
            denied["policyDocument"]["Statement"],
            json!([
                {"Action": ["execute-api:Invoke"], "Effect": "Allow",
                 "Resource": [format!("{STAGE}GET/health")]},
                {"Action": ["execute-api:Invoke"], "Effect": "Deny",
                 "Resource": [arn, format!("{STAGE}DELETE/orders/*"), format!("{STAGE}GET/orders/*")]}
            ])
        );
    }

    #[test]
    fn authorized_apis_bound_what_the_cache_may_reuse() {
        let arn = format!("{STAGE}GET/orders/1");
        let access = rules(
            r#"{"GET /orders/{id}": [], "GET /admin": []}"#,
            Some(&format!("{STAGE}GET/orders/*")),
        );
        let shape = shape(&arn, ApiType::Rest, false);
        let allowed = json(Answering::new(&shape, false, &access).allow("alice", &[], &Map::new()));
        assert_eq!(
            allowed["policyDocument"]["Statement"][0]["Resource"],
            json!([arn, format!("{STAGE}GET/orders/*")])
        );
    }

    #[test]
    fn routes_past_the_answer_limit_leave_the_answer_to_the_request_alone() {
        let arn = format!("{STAGE}GET/r0/1");
        let many: serde_json::Map<String, Value> = (0..200)
            .map(|n| (format!("GET /r{n}/{{id}}"), json!([])))
            .collect();
        let access = rules(&Value::Object(many).to_string(), None);
        let shape = shape(&arn, ApiType::Rest, false);
        let answering = Answering::new(&shape, false, &access);
        let allowed = json(answering.allow("alice", &[], &Map::new()));
        assert_eq!(
            allowed["policyDocument"]["Statement"],
            json!([{"Action": ["execute-api:Invoke"], "Effect": "Allow", "Resource": [arn]}])
        );
        let denied = json(answering.deny(Some("alice"), Refusal::MissingRouteScope, &[]));
        assert_eq!(
            denied["policyDocument"]["Statement"],
            json!([{"Action": ["execute-api:Invoke"], "Effect": "Deny", "Resource": [arn]}])
        );
        // A principal over the limit is refused still.
        assert_eq!(
            answering
                .allow(&"p".repeat(9000), &[], &Map::new())
                .unwrap_err(),
            Refusal::ResponseTooLarge
        );
    }

    #[test]
    fn simple_responses_answer_payload_2_0_with_a_yes_or_no() {
        let arn = format!("{STAGE}GET/orders/1");
        let access = rules("{}", None);
        let shape = shape(&arn, ApiType::Http, true);
        let answering = Answering::new(&shape, true, &access);
        let mut context = Map::new();
        context.insert("sub".into(), json!("alice"));
        assert_eq!(
            json(answering.allow("alice", &[], &context)),
            json!({"isAuthorized": true, "context": {"sub": "alice"}})
        );
        assert_eq!(
            json(answering.deny(Some("alice"), Refusal::MissingScope, &[])),
            json!({"isAuthorized": false, "context": {}})
        );
    }

    #[test]
    fn only_http_apis_deny_what_others_refuse_with_401() {
        let arn = format!("{STAGE}GET/orders/1");
        let access = rules("{}", None);
        for (api, denied) in [
            (ApiType::Http, true),
            (ApiType::Rest, false),
            (ApiType::WebSocket, false),
        ] {
            let shape = shape(&arn, api, false);
            let answering = Answering::new(&shape, false, &access);
            assert_eq!(answering.answers_as_denial(Refusal::Expired), denied);
            assert!(!answering.answers_as_denial(Refusal::JwksUnavailable));
            assert!(!answering.answers_as_denial(Refusal::UnknownKid));
        }
    }
}
