//! End to end: the compiled binary behind a Lambda Runtime API emulator,
//! fed real-shaped `$connect` events, exactly as Lambda runs it.

use crate::AUTHORIZER;
use std::time::Duration;

use serde_json::{json, Value};
use testkit::function::{decision_lines, start_function, stop_and_read_logs, take_logs};
use testkit::runtime_api::{Answer, RuntimeApi};
use testkit::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn allow_deny_and_unauthorized_through_the_runtime_api() {
    let key = SigningKey::shared("RS256");
    let keys = KeyServer::start(&jwks(&[key])).await;
    let api = RuntimeApi::start().await;
    let child = start_function(
        AUTHORIZER,
        &api,
        &[
            ("JWT_ISSUER_JWKS_URI", &keys.url),
            ("JWT_AUTHORIZED_AUDIENCES", AUDIENCE),
            ("JWT_ISSUER", ISSUER),
            (
                "AUTHORIZED_APIS",
                "arn:aws:execute-api:eu-west-1:123456789012:abcdef1234/*",
            ),
        ],
    );
    let token = key.sign(&valid_claims());

    let allow = api.invoke(&query_event_json(&token)).await;
    let Answer::Response(allow) = allow else {
        panic!("expected a response, got {allow:?}");
    };
    assert_eq!(allow["principalId"], "user-123");
    assert_eq!(allow["policyDocument"]["Statement"][0]["Effect"], "Allow");
    assert_eq!(
        allow["policyDocument"]["Statement"][0]["Resource"],
        json!([METHOD_ARN])
    );
    assert_eq!(allow["context"]["sub"], "user-123");
    assert_eq!(
        keys.hits(),
        1,
        "the key set was prefetched during init and reused"
    );
    let again = api.invoke(&query_event_json(&token)).await;
    assert!(matches!(again, Answer::Response(ref r) if r["principalId"] == "user-123"));

    // The header fixture connects to another account's API: not in AUTHORIZED_APIS.
    let deny = api.invoke(&header_event_json(&token)).await;
    let Answer::Response(deny) = deny else {
        panic!("expected a response, got {deny:?}");
    };
    assert_eq!(deny["policyDocument"]["Statement"][0]["Effect"], "Deny");
    assert_eq!(deny["principalId"], "user-123");

    let unauthorized = api.invoke(&event_without_token_json()).await;
    assert_eq!(
        unauthorized,
        Answer::Error(json!({"errorType": "Unauthorized", "errorMessage": "Unauthorized"}))
    );
    let expired = key.sign(&claims_with(
        json!({"exp": now() - 3600, "iat": now() - 7200, "nbf": null}),
    ));
    let answer = api.invoke(&query_event_json(&expired)).await;
    assert_eq!(
        answer,
        Answer::Error(json!({"errorType": "Unauthorized", "errorMessage": "Unauthorized"}))
    );

    let logs = stop_and_read_logs(child).await;
    let decisions = decision_lines(&logs);
    let summary: Vec<(&str, &str)> = decisions
        .iter()
        .map(|line| {
            (
                line["fields"]["decision"].as_str().unwrap(),
                line["fields"]["reason"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            ("allow", "allowed"),
            ("allow", "allowed"),
            ("deny", "api_not_authorized"),
            ("unauthorized", "missing_token"),
            ("unauthorized", "expired"),
        ],
        "{logs}"
    );
    let errors: Vec<&str> = logs
        .lines()
        .filter(|line| line.contains("\"level\":\"ERROR\""))
        .collect();
    assert!(errors.is_empty(), "refusals are not errors: {errors:?}");
    let first = &decisions[0]["fields"];
    assert_eq!(first["kid"], key.kid);
    assert_eq!(first["iss"], ISSUER);
    assert_eq!(first["sub"], "user-123");
    assert_eq!(first["alg"], "RS256");
    assert_eq!(first["connection_id"], "Dzl8bdcnDoECJZQ=");
    assert_eq!(first["request_id"], "Dzl8bFzJDoEFXvQ=");
    assert!(first["duration_us"].is_u64());
    assert_eq!(first["cached"], false);
    assert_eq!(
        decisions[1]["fields"]["cached"], true,
        "the same token again is a cache hit"
    );
    assert_eq!(
        decisions[2]["fields"]["sub"], "",
        "sub is logged on allow only"
    );
    // The schema documented in docs/operations.md's "Logs" section, exactly.
    let mut fields: Vec<&str> = first
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    fields.sort_unstable();
    assert_eq!(
        fields,
        [
            "alg",
            "api_type",
            "cached",
            "cold_start",
            "connection_id",
            "decision",
            "duration_us",
            "iss",
            "kid",
            "message",
            "reason",
            "request_id",
            "sub"
        ]
    );
    let cold: Vec<bool> = decisions
        .iter()
        .map(|line| line["fields"]["cold_start"].as_bool().unwrap())
        .collect();
    assert_eq!(cold, [true, false, false, false, false]);

    // CloudWatch Embedded Metric Format lines, one per decision and fetch.
    let metrics = metric_lines(&logs);
    let fetches: Vec<&Value> = metrics
        .iter()
        .filter(|line| line.get("KeySetFetches").is_some())
        .collect();
    assert_eq!(fetches.len(), 1, "{logs}");
    assert_eq!(fetches[0]["Result"], "ok");
    let decided: Vec<(&str, &str, u64, u64)> = metrics
        .iter()
        .filter(|line| line.get("Decisions").is_some())
        .map(|line| {
            assert_eq!(line["FunctionName"], "ws-jwt-authorizer");
            assert_eq!(
                line["_aws"]["CloudWatchMetrics"][0]["Namespace"],
                "WsJwtAuthorizer"
            );
            (
                line["Decision"].as_str().unwrap(),
                line["Reason"].as_str().unwrap(),
                line["ColdStarts"].as_u64().unwrap(),
                line["DecisionCacheHits"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        decided,
        vec![
            ("allow", "allowed", 1, 0),
            ("allow", "allowed", 0, 1),
            ("deny", "api_not_authorized", 0, 1),
            ("unauthorized", "missing_token", 0, 0),
            ("unauthorized", "expired", 0, 0),
        ]
    );
    for secret in [&token, &expired] {
        let signature = secret.rsplit('.').next().unwrap();
        assert!(!logs.contains(signature), "a signature reached the logs");
        let payload = secret.split('.').nth(1).unwrap();
        assert!(!logs.contains(payload), "a token reached the logs");
    }
}

/// The lines CloudWatch reads as Embedded Metric Format.
fn metric_lines(logs: &str) -> Vec<Value> {
    logs.lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|line| line.get("_aws").is_some())
        .collect()
}

#[tokio::test]
async fn metrics_are_off_with_one_variable() {
    let key = SigningKey::shared("RS256");
    let keys = KeyServer::start(&jwks(&[key])).await;
    let api = RuntimeApi::start().await;
    let child = start_function(
        AUTHORIZER,
        &api,
        &[
            ("JWT_ISSUER_JWKS_URI", &keys.url),
            ("JWT_AUTHORIZED_AUDIENCES", AUDIENCE),
            ("METRICS_ENABLED", "false"),
        ],
    );
    let answer = api
        .invoke(&query_event_json(&key.sign(&valid_claims())))
        .await;
    assert!(matches!(answer, Answer::Response(_)), "{answer:?}");
    let logs = stop_and_read_logs(child).await;
    assert_eq!(decision_lines(&logs).len(), 1, "{logs}");
    assert_eq!(metric_lines(&logs), Vec::<Value>::new());
}

#[tokio::test]
async fn a_bad_configuration_is_reported_as_an_init_error() {
    let api = RuntimeApi::start().await;
    let mut child = start_function(
        AUTHORIZER,
        &api,
        &[
            ("JWT_ISSUER_JWKS_URI", "http://idp.example.com/jwks"),
            ("JWT_AUTHORIZED_AUDIENCES", AUDIENCE),
        ],
    );
    let pid = child.id().unwrap();
    let status = tokio::time::timeout(Duration::from_secs(10), child.wait())
        .await
        .expect("the function should exit")
        .unwrap();
    assert!(!status.success());
    take_logs(pid);
    let (error_type_header, body) = api.init_error().expect("no init error was posted");
    assert_eq!(error_type_header.as_deref(), Some("Runtime.InitError"));
    assert_eq!(body["errorType"], "Runtime.InvalidConfiguration");
    let message = body["errorMessage"].as_str().unwrap();
    assert!(
        message.starts_with("JWT_ISSUER_JWKS_URI: http://idp.example.com/jwks must use https://"),
        "{message}"
    );
}

#[tokio::test]
async fn a_missing_audience_is_reported_as_an_init_error() {
    let api = RuntimeApi::start().await;
    let mut child = start_function(
        AUTHORIZER,
        &api,
        &[("JWT_ISSUER_JWKS_URI", "https://idp.example.com/jwks")],
    );
    let pid = child.id().unwrap();
    let status = tokio::time::timeout(Duration::from_secs(10), child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(!status.success());
    take_logs(pid);
    let (_, body) = api.init_error().expect("no init error was posted");
    assert!(body["errorMessage"]
        .as_str()
        .unwrap()
        .starts_with("JWT_AUTHORIZED_AUDIENCES: is required"));
}
