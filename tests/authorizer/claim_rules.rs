//! Required scopes, context claims, lifetime limits and `typ`, through the
//! handler against a key server on loopback.

use serde_json::{json, Value};
use testkit::*;
use ws_jwt_authorizer::error::Decision;
use ws_jwt_authorizer::explain::Status;
use ws_jwt_authorizer::{Authorizer, ConnectEvent, HandlerError, Refusal};

/// The answer as API Gateway reads it, after checking that `explain` gives
/// the same reason and shows it as its first failed check.
async fn decide(authorizer: &Authorizer, event: &ConnectEvent) -> Result<Value, HandlerError> {
    let explanation = authorizer.explain(event).await;
    let first_failure = explanation
        .checks
        .iter()
        .find(|check| check.status == Status::Fail)
        .and_then(|check| check.reason);
    if explanation.decision == Decision::Allow {
        assert_eq!(first_failure, None, "{:?}", explanation.checks);
    } else {
        assert_eq!(
            first_failure,
            Some(explanation.reason),
            "{:?}",
            explanation.checks
        );
    }
    authorizer
        .authorize(event)
        .await
        .map(|response| serde_json::to_value(response).unwrap())
}

fn effect(response: &Value) -> &str {
    response["policyDocument"]["Statement"][0]["Effect"]
        .as_str()
        .unwrap()
}

async fn authorizer(vars: &[(&str, &str)]) -> (Authorizer, &'static SigningKey, KeyServer) {
    let key = SigningKey::shared("RS256");
    let server = KeyServer::start(&jwks(&[key])).await;
    (
        Authorizer::new(config(&server.url, vars)).unwrap(),
        key,
        server,
    )
}

#[tokio::test]
async fn a_valid_token_without_the_required_scopes_is_denied_not_refused() {
    let (any, key, _server) = authorizer(&[("JWT_REQUIRED_SCOPES", "chat:write admin")]).await;
    let (all, ..) = authorizer(&[
        ("JWT_REQUIRED_SCOPES", "chat:write admin"),
        ("JWT_REQUIRED_SCOPES_MODE", "all"),
    ])
    .await;
    let reader = key.sign(&claims_with(json!({"scope": "chat:read"})));
    let writer = key.sign(&valid_claims());
    let okta_admin = key.sign(&claims_with(
        json!({"scope": null, "scp": ["chat:write", "admin"]}),
    ));

    let denied = decide(&any, &query_event(&reader)).await.unwrap();
    assert_eq!(effect(&denied), "Deny");
    assert_eq!(denied["principalId"], "user-123");
    assert_eq!(denied["context"], json!({}), "a Deny carries no claims");

    assert_eq!(
        effect(&decide(&any, &query_event(&writer)).await.unwrap()),
        "Allow"
    );
    assert_eq!(
        effect(&decide(&all, &query_event(&writer)).await.unwrap()),
        "Deny"
    );
    assert_eq!(
        effect(&decide(&all, &query_event(&okta_admin)).await.unwrap()),
        "Allow"
    );
}

#[tokio::test]
async fn configured_claims_reach_the_context_json_encoded_with_exp() {
    let (authorizer, key, _server) = authorizer(&[(
        "CONTEXT_CLAIMS",
        "realm_access.roles,email,email_verified,https://example.com/tenant,missing",
    )])
    .await;
    let claims = claims_with(json!({
        "realm_access": {"roles": ["admin", "user"]},
        "email": "ada@example.com",
        "email_verified": true,
        "https://example.com/tenant": {"id": 42},
    }));
    let response = decide(&authorizer, &query_event(&key.sign(&claims)))
        .await
        .unwrap();
    assert_eq!(
        response["context"],
        json!({
            "sub": "user-123", "iss": ISSUER, "aud": AUDIENCE, "scope": "chat:read chat:write",
            "client_id": "web-client", "exp": claims["exp"],
            "realm_access.roles": "[\"admin\",\"user\"]",
            "email": "ada@example.com",
            "email_verified": true,
            "https://example.com/tenant": "{\"id\":42}",
        })
    );
}

#[tokio::test]
async fn a_context_over_the_budget_leaves_claims_out_and_stays_valid() {
    let (authorizer, key, _server) = authorizer(&[
        ("CONTEXT_CLAIMS", "groups,email"),
        ("CONTEXT_MAX_BYTES", "1024"),
    ])
    .await;
    let groups: Vec<String> = (0..100).map(|n| format!("group-{n:03}")).collect();
    let claims = claims_with(json!({"groups": groups, "email": "ada@example.com"}));
    let response = decide(&authorizer, &query_event(&key.sign(&claims)))
        .await
        .unwrap();
    assert_eq!(effect(&response), "Allow");
    let context = response["context"].as_object().unwrap();
    assert!(!context.contains_key("groups"));
    assert_eq!(context["email"], "ada@example.com");
    assert_eq!(context["exp"], claims["exp"]);
    assert!(serde_json::to_string(context).unwrap().len() <= 1024);
}

#[tokio::test]
async fn lifetime_limits_refuse_short_lived_and_old_tokens() {
    let (authorizer, key, _server) = authorizer(&[
        ("JWT_MIN_REMAINING_SECONDS", "120"),
        ("JWT_MAX_AGE_SECONDS", "3600"),
        ("JWT_LEEWAY_SECONDS", "0"),
    ])
    .await;
    let now = now();
    let cases = [
        (json!({}), None),
        (json!({"exp": now + 60}), Some(Refusal::ExpiresTooSoon)),
        (
            json!({"iat": now - 7200, "nbf": now - 7200}),
            Some(Refusal::TokenTooOld),
        ),
        (json!({"iat": null}), Some(Refusal::MissingIssuedAt)),
    ];
    for (changes, expected) in cases {
        let token = key.sign(&claims_with(changes.clone()));
        let outcome = decide(&authorizer, &query_event(&token)).await;
        match expected {
            None => assert_eq!(effect(&outcome.unwrap()), "Allow", "{changes}"),
            Some(refusal) => {
                let error = outcome.unwrap_err();
                assert_eq!(error.refusal, refusal, "{changes}");
                assert_eq!(error.to_string(), "Unauthorized");
            }
        }
    }
}

#[tokio::test]
async fn a_required_typ_refuses_id_tokens_where_access_tokens_are_expected() {
    let (authorizer, key, server) = authorizer(&[("JWT_REQUIRED_TYP", "at+jwt")]).await;
    let with_typ = |typ: Value| {
        let mut header = key.header();
        match typ {
            Value::Null => drop(header.as_object_mut().unwrap().remove("typ")),
            typ => header["typ"] = typ,
        }
        key.sign_with_header(&header, &valid_claims())
    };
    for typ in [json!("at+jwt"), json!("application/AT+JWT")] {
        let response = decide(&authorizer, &query_event(&with_typ(typ.clone()))).await;
        assert_eq!(effect(&response.unwrap()), "Allow", "{typ}");
    }
    let hits = server.hits();
    for typ in [json!("JWT"), Value::Null] {
        let error = decide(&authorizer, &query_event(&with_typ(typ.clone())))
            .await
            .unwrap_err();
        assert_eq!(error.refusal, Refusal::WrongType, "{typ}");
    }
    assert_eq!(server.hits(), hits, "refused before any key set work");
}
