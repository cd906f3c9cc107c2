//! Every API Gateway event kind through the compiled binary: AWS's
//! documented example events and `aws_lambda_events`' fixtures
//! (`testkit/fixtures/api-gateway/`), with a token put where each kind
//! carries it, answered as each API expects; each refusal class; an event
//! of no known kind; and route scopes under API Gateway's authorizer cache.

use crate::AUTHORIZER;

use ::local_gateway::gateway::{verdict_from_response, Verdict};
use serde_json::{json, Value};
use testkit::function::{decision_lines, decision_reasons, start_function_for, stop_and_read_logs};
use testkit::http::Reply;
use testkit::runtime_api::Answer;
use testkit::*;

/// Each fixture, with the API type its decision line must name.
const FIXTURES: [(&str, &str); 10] = [
    ("awsdocs-rest-token-request.json", "rest"),
    ("awsdocs-rest-request-request.json", "rest"),
    ("awsdocs-httpapi-v1-request.json", "http"),
    ("awsdocs-httpapi-v2-request.json", "http"),
    ("awsdocs-websocket-connect-request.json", "websocket"),
    ("example-apigw-custom-auth-request.json", "rest"),
    (
        "example-apigw-custom-auth-request-type-request.json",
        "rest",
    ),
    ("example-apigw-v2-custom-authorizer-v1-request.json", "http"),
    ("example-apigw-v2-custom-authorizer-v2-request.json", "http"),
    (
        "example-apigw-v2-custom-authorizer-websocket-request.json",
        "websocket",
    ),
];

fn event(name: &str) -> Value {
    serde_json::from_str(&fixture(&format!("api-gateway/{name}"))).unwrap()
}

/// `event` with `token` where its kind carries it: a `TOKEN` event's
/// `authorizationToken`, else the `Authorization` header (lower-case in
/// payload 2.0, as API Gateway writes it), in both header maps when the
/// event has both.
fn with_token(mut event: Value, token: &str) -> Value {
    let value = format!("Bearer {token}");
    if event["type"] == "TOKEN" {
        event["authorizationToken"] = json!(value);
        return event;
    }
    let name = if event["version"] == "2.0" {
        "authorization"
    } else {
        "Authorization"
    };
    event["headers"][name] = json!(value);
    if event["multiValueHeaders"].is_object() {
        event["multiValueHeaders"][name] = json!([value]);
    }
    event
}

/// The ARN the answer must be about.
fn arn_of(event: &Value) -> String {
    event["methodArn"]
        .as_str()
        .or(event["routeArn"].as_str())
        .unwrap()
        .to_owned()
}

fn unauthorized() -> Answer {
    Answer::Error(json!({"errorType": "Unauthorized", "errorMessage": "Unauthorized"}))
}

fn policy(answer: Answer) -> Value {
    match answer {
        Answer::Response(response) => response,
        Answer::Error(error) => panic!("expected an answer, got the error {error}"),
    }
}

#[tokio::test]
async fn each_kind_is_answered_as_its_api_expects() {
    let key = SigningKey::shared("ES256");
    let server = KeyServer::start(&jwks(&[key])).await;
    let (api, child) = start_function_for(AUTHORIZER, &server, &[]).await;
    let token = key.sign(&valid_claims());
    for (name, api_type) in FIXTURES {
        let event = with_token(event(name), &token);
        let answer = policy(api.invoke(&event).await);
        let arn = arn_of(&event);
        assert_eq!(
            answer["policyDocument"]["Statement"],
            json!([{"Action": ["execute-api:Invoke"], "Effect": "Allow", "Resource": [arn]}]),
            "{name}"
        );
        assert_eq!(answer["principalId"], "user-123", "{name}");
        assert_eq!(answer["context"]["sub"], "user-123", "{name}");
        // REST and WebSocket answers carry usageIdentifierKey; HTTP APIs' have none.
        assert_eq!(
            answer.get("usageIdentifierKey").is_some(),
            api_type != "http",
            "{name}"
        );
        assert!(
            matches!(verdict_from_response(&answer, &arn), Verdict::Allow { .. }),
            "{name}"
        );
    }
    // An HTTP API's payload 1.0 repeats its identity sources in
    // `authorizationToken`: that is not where its token is read.
    let mut v1 = event("awsdocs-httpapi-v1-request.json");
    v1["authorizationToken"] = json!(token);
    let answer = policy(api.invoke(&v1).await);
    assert_eq!(answer["policyDocument"]["Statement"][0]["Effect"], "Deny");
    let logs = stop_and_read_logs(child).await;
    let lines = decision_lines(&logs);
    let api_types: Vec<&str> = lines
        .iter()
        .map(|line| line["fields"]["api_type"].as_str().unwrap())
        .collect();
    let mut expected: Vec<&str> = FIXTURES.iter().map(|(_, api_type)| *api_type).collect();
    expected.push("http");
    assert_eq!(api_types, expected);
    assert_eq!(
        decision_reasons(&logs).last().map(String::as_str),
        Some("missing_token")
    );
}

#[tokio::test]
async fn refusals_take_the_status_each_api_gives_them() {
    let key = SigningKey::shared("ES256");
    let server = KeyServer::start(&jwks(&[key])).await;
    let (api, child) =
        start_function_for(AUTHORIZER, &server, &[("JWT_REQUIRED_SCOPES", "admin")]).await;
    let expired = key.sign(&claims_with(
        json!({"exp": now() - 600, "iat": now() - 900}),
    ));
    let without_scope = key.sign(&valid_claims());
    let deny = |arn: &str| json!([{"Action": ["execute-api:Invoke"], "Effect": "Deny", "Resource": [arn]}]);
    for (name, api_type) in FIXTURES {
        let arn = arn_of(&event(name));
        // An invalid token: 401 where the API can give one (the error
        // `Unauthorized`), a Deny (403) on HTTP APIs, which cannot.
        let answer = api.invoke(&with_token(event(name), &expired)).await;
        if api_type == "http" {
            let answer = policy(answer);
            assert_eq!(answer["principalId"], "anonymous", "{name}");
            assert_eq!(answer["policyDocument"]["Statement"], deny(&arn), "{name}");
        } else {
            assert_eq!(answer, unauthorized(), "{name}");
        }
        // A valid token without the rights: a Deny (403) everywhere.
        let answer = policy(api.invoke(&with_token(event(name), &without_scope)).await);
        assert_eq!(answer["policyDocument"]["Statement"], deny(&arn), "{name}");
        assert_eq!(answer["principalId"], "user-123", "{name}");
    }
    let logs = stop_and_read_logs(child).await;
    let lines = decision_lines(&logs);
    let seen: Vec<(&str, &str)> = lines
        .iter()
        .map(|line| {
            (
                line["fields"]["decision"].as_str().unwrap(),
                line["fields"]["reason"].as_str().unwrap(),
            )
        })
        .collect();
    let expected: Vec<(&str, &str)> = FIXTURES
        .iter()
        .flat_map(|(_, api_type)| {
            let invalid = if *api_type == "http" {
                ("deny", "expired")
            } else {
                ("unauthorized", "expired")
            };
            [invalid, ("deny", "missing_scope")]
        })
        .collect();
    assert_eq!(seen, expected);
}

#[tokio::test]
async fn simple_responses_answer_payload_2_0_and_nothing_else() {
    let key = SigningKey::shared("ES256");
    let server = KeyServer::start(&jwks(&[key])).await;
    let (api, child) =
        start_function_for(AUTHORIZER, &server, &[("SIMPLE_RESPONSES", "true")]).await;
    let token = key.sign(&valid_claims());
    let forged = SigningKey::generate("ES256", "es256-1").sign(&valid_claims());
    for name in [
        "awsdocs-httpapi-v2-request.json",
        "example-apigw-v2-custom-authorizer-v2-request.json",
    ] {
        let answer = policy(api.invoke(&with_token(event(name), &token)).await);
        assert_eq!(answer["isAuthorized"], true, "{name}");
        assert_eq!(answer["context"]["sub"], "user-123", "{name}");
        assert_eq!(
            answer.as_object().unwrap().keys().collect::<Vec<_>>(),
            ["isAuthorized", "context"],
            "{name}"
        );
        assert_eq!(
            policy(api.invoke(&with_token(event(name), &forged)).await),
            json!({"isAuthorized": false, "context": {}}),
            "{name}"
        );
    }
    // Payload 1.0 and the other APIs take policies only.
    for name in [
        "awsdocs-httpapi-v1-request.json",
        "awsdocs-rest-request-request.json",
        "awsdocs-rest-token-request.json",
    ] {
        let answer = policy(api.invoke(&with_token(event(name), &token)).await);
        assert_eq!(
            answer["policyDocument"]["Statement"][0]["Effect"], "Allow",
            "{name}"
        );
    }
    let logs = stop_and_read_logs(child).await;
    assert_eq!(
        decision_reasons(&logs),
        [
            "allowed",
            "bad_signature",
            "allowed",
            "bad_signature",
            "allowed",
            "allowed",
            "allowed"
        ]
    );
}

#[tokio::test]
async fn an_outage_is_an_error_for_every_kind_never_a_refusal() {
    let key = SigningKey::shared("ES256");
    let server = KeyServer::start_with(Reply::status(503)).await;
    let (api, child) =
        start_function_for(AUTHORIZER, &server, &[("SIMPLE_RESPONSES", "true")]).await;
    let token = key.sign(&valid_claims());
    for (name, _) in FIXTURES {
        assert_eq!(
            api.invoke(&with_token(event(name), &token)).await,
            Answer::Error(json!({
                "errorType": "AuthorizerError",
                "errorMessage": "jwks_unavailable: the key set is unavailable"
            })),
            "{name}"
        );
    }
    let logs = stop_and_read_logs(child).await;
    assert_eq!(
        decision_reasons(&logs),
        vec!["jwks_unavailable"; FIXTURES.len()]
    );
}

#[tokio::test]
async fn an_event_of_no_known_kind_is_an_error_never_an_allow() {
    let key = SigningKey::shared("ES256");
    let server = KeyServer::start(&jwks(&[key])).await;
    let (api, child) = start_function_for(AUTHORIZER, &server, &[]).await;
    let token = key.sign(&valid_claims());
    let v2 = with_token(event("awsdocs-httpapi-v2-request.json"), &token);
    let mut without_route_arn = v2.clone();
    without_route_arn["routeArn"] = json!("");
    let mut unknown_version = v2.clone();
    unknown_version["version"] = json!("3.0");
    let mut unknown_type = with_token(event("awsdocs-rest-request-request.json"), &token);
    unknown_type["type"] = json!("COGNITO_USER_POOLS");
    let mut token_without_arn = with_token(event("awsdocs-rest-token-request.json"), &token);
    token_without_arn
        .as_object_mut()
        .unwrap()
        .remove("methodArn");
    let mut untyped = query_event_json(&token);
    untyped.as_object_mut().unwrap().remove("type");
    for event in [
        without_route_arn,
        unknown_version,
        unknown_type,
        token_without_arn,
        untyped,
        json!({}),
    ] {
        assert_eq!(
            api.invoke(&event).await,
            Answer::Error(json!({
                "errorType": "AuthorizerError",
                "errorMessage": "not_an_event: the invocation's body is not an API Gateway authorizer event"
            })),
            "{event}"
        );
    }
    let logs = stop_and_read_logs(child).await;
    assert_eq!(decision_reasons(&logs), vec!["not_an_event"; 6]);
}

/// The routes of the caching test, their requests and the scopes that grant
/// each (one suffices; none listed: any token).
const ROUTES: [(&str, &str, &str, &[&str]); 5] = [
    (
        "GET /orders/{id}",
        "GET",
        "/orders/42",
        &["orders:read", "orders:admin"],
    ),
    (
        "DELETE /orders/{id}",
        "DELETE",
        "/orders/42",
        &["orders:admin"],
    ),
    ("POST /orders", "POST", "/orders", &["orders:write"]),
    ("GET /health", "GET", "/health", &[]),
    (
        "GET /reports/{year}",
        "GET",
        "/reports/2026",
        &["reports:read"],
    ),
];

const STAGE: &str = "arn:aws:execute-api:eu-west-1:123456789012:abc123/prod/";

/// An event of `kind` for the request `method path`.
fn route_event(kind: &str, route_key: &str, method: &str, path: &str, token: &str) -> Value {
    let arn = format!("{STAGE}{method}{path}");
    match kind {
        "TOKEN" => {
            json!({"type": "TOKEN", "authorizationToken": format!("Bearer {token}"), "methodArn": arn})
        }
        "REQUEST" => {
            let resource = route_key.split_once(' ').unwrap().1;
            let mut event = with_token(event("awsdocs-rest-request-request.json"), token);
            event["methodArn"] = json!(arn);
            event["resource"] = json!(resource);
            event["httpMethod"] = json!(method);
            event
        }
        _ => {
            let mut event = with_token(event("awsdocs-httpapi-v2-request.json"), token);
            event["routeArn"] = json!(arn);
            event["routeKey"] = json!(route_key);
            event
        }
    }
}

/// Route scopes under API Gateway's authorizer cache: for every token and
/// every route the first answer was given for, that answer, reused for
/// every route as the cache reuses it (a REST `TOKEN` authorizer's cache is
/// keyed by the token alone), never admits a route the token's scopes do
/// not grant, and never refuses a listed route they do.
#[tokio::test]
async fn an_answer_reused_for_every_route_admits_exactly_the_routes_the_scopes_grant() {
    let key = SigningKey::shared("ES256");
    let server = KeyServer::start(&jwks(&[key])).await;
    let route_scopes: serde_json::Map<String, Value> = ROUTES
        .iter()
        .map(|(route, _, _, scopes)| ((*route).to_owned(), json!(scopes)))
        .collect();
    let route_scopes = Value::Object(route_scopes).to_string();
    let (api, child) = start_function_for(
        AUTHORIZER,
        &server,
        &[
            ("ROUTE_SCOPES", route_scopes.as_str()),
            ("DECISION_CACHE_MAX_ENTRIES", "0"),
        ],
    )
    .await;
    let grants = [
        "",
        "orders:read",
        "orders:admin",
        "orders:read orders:write",
        "reports:read",
    ];
    let mut answers = 0;
    for kind in ["TOKEN", "REQUEST", "2.0"] {
        for scope in grants {
            let token = key.sign(&claims_with(json!({"scope": scope})));
            let granted: Vec<&str> = scope.split(' ').filter(|s| !s.is_empty()).collect();
            let may_call =
                |scopes: &[&str]| scopes.is_empty() || scopes.iter().any(|s| granted.contains(s));
            for (first_route, method, path, scopes) in ROUTES {
                let answer = policy(
                    api.invoke(&route_event(kind, first_route, method, path, &token))
                        .await,
                );
                answers += 1;
                let first = verdict_from_response(&answer, &format!("{STAGE}{method}{path}"));
                assert_eq!(
                    matches!(first, Verdict::Allow { .. }),
                    may_call(scopes),
                    "{kind} [{scope}] on {first_route}: {answer}"
                );
                for (route, method, path, scopes) in ROUTES {
                    let reused = verdict_from_response(&answer, &format!("{STAGE}{method}{path}"));
                    assert_eq!(
                        matches!(reused, Verdict::Allow { .. }),
                        may_call(scopes),
                        "{kind} [{scope}]: the answer for {first_route} reused for {route}: {answer}"
                    );
                }
                // Nor does it reach another API or stage.
                for other in [
                    format!("arn:aws:execute-api:eu-west-1:123456789012:other/prod/{method}{path}"),
                    format!("arn:aws:execute-api:eu-west-1:123456789012:abc123/dev/{method}{path}"),
                ] {
                    assert_eq!(
                        verdict_from_response(&answer, &other),
                        Verdict::Deny,
                        "{other}"
                    );
                }
            }
        }
    }
    let logs = stop_and_read_logs(child).await;
    let reasons = decision_reasons(&logs);
    assert_eq!(reasons.len(), answers);
    assert!(reasons
        .iter()
        .all(|reason| reason == "allowed" || reason == "missing_route_scope"));
}

/// Overlapping routes and a `$default` the token may not call, where no
/// answer can speak for every route: a reused answer still never admits a
/// request the token's scopes do not grant (it may refuse more, until the
/// cache lets the request through to a fresh decision), and a fresh one
/// decides by the request's own route. HTTP API payload 2.0 names it by
/// `routeKey`, payload 1.0's `$default` by its `resource`.
#[tokio::test]
async fn overlapping_routes_and_default_never_admit_from_the_cache() {
    let key = SigningKey::shared("ES256");
    let server = KeyServer::start(&jwks(&[key])).await;
    let route_scopes = r#"{"GET /orders/{id}": ["orders:read"], "GET /orders/{id}/items": ["items:read"],
        "GET /health": [], "$default": ["misc"], "ANY /admin/{proxy+}": ["admin"]}"#;
    let (api, child) = start_function_for(
        AUTHORIZER,
        &server,
        &[
            ("ROUTE_SCOPES", route_scopes),
            ("DECISION_CACHE_MAX_ENTRIES", "0"),
        ],
    )
    .await;
    // (route API Gateway picks, method, path, scopes of that route)
    let requests: [(&str, &str, &str, &[&str]); 6] = [
        ("GET /orders/{id}", "GET", "/orders/42", &["orders:read"]),
        (
            "GET /orders/{id}/items",
            "GET",
            "/orders/42/items",
            &["items:read"],
        ),
        ("GET /health", "GET", "/health", &[]),
        ("$default", "GET", "/orders/42/secret", &["misc"]),
        ("$default", "POST", "/anything", &["misc"]),
        (
            "ANY /admin/{proxy+}",
            "DELETE",
            "/admin/users/7",
            &["admin"],
        ),
    ];
    let mut fresh = Vec::new();
    for scope in [
        "",
        "orders:read",
        "items:read",
        "misc",
        "orders:read misc",
        "admin",
    ] {
        let token = key.sign(&claims_with(json!({"scope": scope})));
        let granted: Vec<&str> = scope.split(' ').filter(|s| !s.is_empty()).collect();
        let may_call =
            |scopes: &[&str]| scopes.is_empty() || scopes.iter().any(|s| granted.contains(s));
        for (first_route, method, path, scopes) in requests {
            let answer = policy(
                api.invoke(&route_event("2.0", first_route, method, path, &token))
                    .await,
            );
            let decided = verdict_from_response(&answer, &format!("{STAGE}{method}{path}"));
            assert_eq!(
                matches!(decided, Verdict::Allow { .. }),
                may_call(scopes),
                "[{scope}] on {first_route}: {answer}"
            );
            fresh.push(may_call(scopes));
            for (route, method, path, scopes) in requests {
                let reused = verdict_from_response(&answer, &format!("{STAGE}{method}{path}"));
                assert!(
                    !matches!(reused, Verdict::Allow { .. }) || may_call(scopes),
                    "[{scope}]: the answer for {first_route} reused for {route} admits it: {answer}"
                );
            }
        }
    }
    // Payload 1.0 names `$default` by its resource.
    let token = key.sign(&claims_with(json!({"scope": "orders:read"})));
    let mut v1 = with_token(event("awsdocs-httpapi-v1-request.json"), &token);
    v1["methodArn"] = json!(format!("{STAGE}POST/anything"));
    v1["resource"] = json!("$default");
    let answer = policy(api.invoke(&v1).await);
    assert_eq!(
        verdict_from_response(&answer, &format!("{STAGE}POST/anything")),
        Verdict::Deny,
        "{answer}"
    );
    let logs = stop_and_read_logs(child).await;
    let mut expected: Vec<&str> = fresh
        .iter()
        .map(|allowed| {
            if *allowed {
                "allowed"
            } else {
                "missing_route_scope"
            }
        })
        .collect();
    expected.push("missing_route_scope");
    assert_eq!(decision_reasons(&logs), expected);
}

/// On an HTTP API, `unknown_kid` stays an error rather than a Deny: a key
/// published a moment ago makes the same token good at the next refetch,
/// and a Deny would be cached for the authorizer's TTL, an error is not.
#[tokio::test]
async fn an_unknown_kid_on_an_http_api_is_not_a_cacheable_deny() {
    let key = SigningKey::shared("ES256");
    let server = KeyServer::start(&jwks(&[key])).await;
    let (api, child) = start_function_for(AUTHORIZER, &server, &[]).await;
    let unpublished = SigningKey::generate("ES256", "published-later").sign(&valid_claims());
    for name in [
        "awsdocs-httpapi-v2-request.json",
        "awsdocs-httpapi-v1-request.json",
    ] {
        assert_eq!(
            api.invoke(&with_token(event(name), &unpublished)).await,
            unauthorized(),
            "{name}"
        );
    }
    let logs = stop_and_read_logs(child).await;
    assert_eq!(decision_reasons(&logs), ["unknown_kid", "unknown_kid"]);
}
