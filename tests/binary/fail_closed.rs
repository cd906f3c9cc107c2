//! The edges where a correct core could still fail open or leak, through the
//! compiled binary behind the Runtime API emulator: logs at TRACE, key set
//! URLs with credentials, shared key sets without an issuer, API Gateway's
//! 8 KiB answer limit, and large cookie headers.

use crate::AUTHORIZER;
use std::time::Duration;

use serde_json::{json, Value};
use testkit::function::{
    decision_lines, decision_reasons, start_function, start_function_for, stop_and_read_logs,
    take_logs,
};
use testkit::runtime_api::{Answer, RuntimeApi};
use testkit::*;

const ORIGIN: &str = "https://app.example.com";
const PREFIX: &str = "base64url.bearer.authorization.";

fn response(answer: Answer) -> Value {
    match answer {
        Answer::Response(response) => response,
        Answer::Error(error) => panic!("expected a policy, got {error}"),
    }
}

fn effect(response: &Value) -> &str {
    response["policyDocument"]["Statement"][0]["Effect"]
        .as_str()
        .unwrap()
}

/// An event without any token, with these headers (both maps, as API Gateway sends them).
fn event_with_headers(headers: &[(&str, &str)]) -> Value {
    let mut event = event_without_token_json();
    for (name, value) in headers {
        event["headers"][*name] = json!(value);
        event["multiValueHeaders"][*name] = json!([value]);
    }
    event
}

/// Stops the function once it has exited on its own, and returns its init error.
async fn init_error(vars: &[(&str, &str)]) -> (String, String) {
    let api = RuntimeApi::start().await;
    let mut child = start_function(AUTHORIZER, &api, vars);
    let pid = child.id().unwrap();
    tokio::time::timeout(Duration::from_secs(10), child.wait())
        .await
        .expect("the function should exit")
        .unwrap();
    let logs = take_logs(pid);
    let (_, body) = api.init_error().expect("no init error was posted");
    (body["errorMessage"].as_str().unwrap().to_owned(), logs)
}

/// #16.7: with every level turned up to TRACE (both ways Lambda and Rust
/// know), no transport's token reaches the log: lambda_runtime writes the
/// raw event at TRACE, and that output is filtered whatever level is asked.
#[tokio::test]
async fn logs_at_trace_hold_no_token_for_any_transport() {
    let key = SigningKey::shared("RS256");
    let server = KeyServer::start(&jwks(&[key])).await;
    let (api, child) = start_function_for(
        AUTHORIZER,
        &server,
        &[
            ("TOKEN_SOURCES", "query,header,protocol,cookie"),
            ("ALLOWED_ORIGINS", ORIGIN),
            ("AWS_LAMBDA_LOG_LEVEL", "TRACE"),
            (
                "RUST_LOG",
                "trace,lambda_runtime=trace,hyper=trace,reqwest=trace",
            ),
        ],
    )
    .await;
    let token = key.sign(&valid_claims());
    let mut query = query_event_json(&token);
    query["headers"]["Origin"] = json!(ORIGIN);
    query["multiValueHeaders"]["Origin"] = json!([ORIGIN]);
    let bearer = format!("Bearer {token}");
    let pair = format!("bearer, {token}");
    let prefixed = format!("chat.v1, {PREFIX}{token}");
    let cookie = format!("theme=dark; access_token={token}");
    let events = [
        query,
        event_with_headers(&[("Origin", ORIGIN), ("Authorization", &bearer)]),
        event_with_headers(&[("Origin", ORIGIN), ("Sec-WebSocket-Protocol", &pair)]),
        event_with_headers(&[("Origin", ORIGIN), ("Sec-WebSocket-Protocol", &prefixed)]),
        event_with_headers(&[("Origin", ORIGIN), ("Cookie", &cookie)]),
    ];
    for event in &events {
        assert_eq!(effect(&response(api.invoke(event).await)), "Allow");
    }
    let logs = stop_and_read_logs(child).await;
    assert_eq!(decision_lines(&logs).len(), events.len(), "{logs}");
    let (signing_input, signature) = token.rsplit_once('.').unwrap();
    let (header, payload) = signing_input.split_once('.').unwrap();
    for (name, secret) in [
        ("header", header),
        ("payload", payload),
        ("signature", signature),
    ] {
        assert!(!logs.contains(secret), "the token's {name} is in the log");
    }
}

/// #16.8: a key set URL with user info and a query string is never printed
/// whole: not in fetch logs, not in warnings, not in `check-config`, not in
/// init errors.
#[tokio::test]
async fn key_set_urls_with_credentials_are_never_printed_whole() {
    let key = SigningKey::shared("ES256");
    let server = KeyServer::start(&jwks(&[key])).await;
    let address = server.url.trim_start_matches("http://");
    let url = format!("http://alice:pa55word@{address}?api_key=k3y-s3cret");
    let shown = format!(
        "http://***:***@{}?api_key=***",
        address.trim_end_matches('/')
    );
    let api = RuntimeApi::start().await;
    let vars = [
        ("JWT_ISSUER_JWKS_URI", url.as_str()),
        ("JWT_AUTHORIZED_AUDIENCES", AUDIENCE),
        ("JWT_ISSUER", ISSUER),
        ("JWKS_CACHE_TTL_SECONDS", "1"),
    ];
    let child = start_function(AUTHORIZER, &api, &vars);
    let token = key.sign(&valid_claims());
    assert_eq!(
        effect(&response(api.invoke(&query_event_json(&token)).await)),
        "Allow"
    );
    // A failed refresh writes its warnings with the key set's source.
    server.set(testkit::http::Reply::status(503));
    tokio::time::sleep(Duration::from_millis(1100)).await;
    api.invoke(&query_event_json(&token)).await;
    let logs = stop_and_read_logs(child).await;
    assert!(logs.contains("key set fetch failed"), "{logs}");
    assert!(logs.contains(&shown), "{logs}");

    let check = tokio::process::Command::new(env!("CARGO_BIN_EXE_ws-jwt-authorizer"))
        .arg("check-config")
        .env_clear()
        .envs(vars)
        .output()
        .await
        .unwrap();
    let printed = String::from_utf8_lossy(&check.stdout).to_string()
        + &String::from_utf8_lossy(&check.stderr);
    assert!(printed.contains(&shown), "{printed}");

    let remote = "http://alice:pa55word@idp.example.com/keys?api_key=k3y-s3cret";
    let (message, init_logs) = init_error(&[
        ("JWT_ISSUER_JWKS_URI", remote),
        ("JWT_AUTHORIZED_AUDIENCES", AUDIENCE),
    ])
    .await;
    assert_eq!(
        message,
        "JWT_ISSUER_JWKS_URI: http://***:***@idp.example.com/keys?api_key=*** must use https:// (plain http:// is allowed only for loopback addresses)"
    );
    for output in [&logs, &printed, &message, &init_logs] {
        for secret in ["pa55word", "k3y-s3cret"] {
            assert!(!output.contains(secret), "{secret} printed: {output}");
        }
    }
}

/// #28.6: a URL with credentials is redacted in start-up errors and in
/// `check-config` whatever the case of its scheme and whichever member of
/// `JWT_ISSUERS` it was typed into, and an issuer with user info is never
/// printed raw in its own error.
#[tokio::test]
async fn credentials_in_start_up_errors_are_redacted_whatever_the_case_of_the_scheme() {
    let misplaced = r#"[{"issuer": "https://idp.example.com", "audiences": "HTTPS://alice:pa55word@idp.example.com/keys?api_key=k3y-s3cret"}]"#;
    let twice = r#"[{"issuer": "Https://alice:pa55word@idp.example.com/?api_key=k3y-s3cret", "jwks_uri": "https://idp.example.com/keys"},
                    {"issuer": "Https://alice:pa55word@idp.example.com/?api_key=k3y-s3cret", "jwks_uri": "https://idp.example.com/keys"}]"#;
    let no_audience = r#"[{"issuer": "https://alice:pa55word@idp.example.com/?api_key=k3y-s3cret", "jwks_uri": "https://idp.example.com/keys"}]"#;
    let cases = [
        (
            vec![("JWT_ISSUERS", misplaced), ("JWT_AUTHORIZED_AUDIENCES", AUDIENCE)],
            "JWT_ISSUERS: is not a JSON list of {\"issuer\", \"jwks_uri\"?, \"jwks\"?, \"kms_key_ids\"?, \"audiences\"?}: invalid type: string \"https://***:***@idp.example.com/keys?api_key=***\", expected a sequence at line 1 column 116",
        ),
        (
            vec![("JWT_ISSUERS", twice), ("JWT_AUTHORIZED_AUDIENCES", AUDIENCE)],
            "JWT_ISSUERS: lists \"https://***:***@idp.example.com/?api_key=***\" twice",
        ),
        (
            vec![("JWT_ISSUERS", no_audience)],
            "JWT_ISSUERS: https://***:***@idp.example.com/?api_key=***: no audiences (give \"audiences\" or JWT_AUTHORIZED_AUDIENCES)",
        ),
        (
            vec![
                ("JWT_ISSUER_JWKS_URI", "HTTP://alice:pa55word@idp.example.com/keys?api_key=k3y-s3cret"),
                ("JWT_AUTHORIZED_AUDIENCES", AUDIENCE),
            ],
            "JWT_ISSUER_JWKS_URI: http://***:***@idp.example.com/keys?api_key=*** must use https:// (plain http:// is allowed only for loopback addresses)",
        ),
    ];
    for (vars, expected) in &cases {
        let (message, logs) = init_error(vars).await;
        // The first problem is the one at fault; those after it (every
        // problem is reported) are checked for secrets below.
        assert_eq!(message.lines().next(), Some(*expected), "{message}");
        let check = tokio::process::Command::new(env!("CARGO_BIN_EXE_ws-jwt-authorizer"))
            .arg("check-config")
            .env_clear()
            .envs(vars.iter().copied())
            .output()
            .await
            .unwrap();
        assert_eq!(check.status.code(), Some(2), "{expected}");
        let printed = String::from_utf8_lossy(&check.stdout).to_string()
            + &String::from_utf8_lossy(&check.stderr);
        assert!(printed.contains(*expected), "{printed}");
        for output in [&message, &logs, &printed] {
            for secret in ["pa55word", "k3y-s3cret"] {
                assert!(!output.contains(secret), "{secret} printed: {output}");
            }
        }
    }
}

/// #16.4: a key set that signs for every tenant or project needs an issuer;
/// Entra's preset needs its tenant. Both stop the function at start.
#[tokio::test]
async fn shared_key_sets_without_an_issuer_stop_the_function_at_start() {
    let (message, _) = init_error(&[
        ("JWT_PROVIDER", "entra"),
        ("JWT_AUTHORIZED_AUDIENCES", AUDIENCE),
    ])
    .await;
    assert!(message.starts_with("JWT_PROVIDER: is required with https://login.microsoftonline.com/common/discovery/v2.0/keys"), "{message}");
    assert!(message.contains("entra:TENANT_ID"), "{message}");
    for url in [
        "https://www.googleapis.com/oauth2/v3/certs",
        "https://www.googleapis.com/robot/v1/metadata/x509/securetoken@system.gserviceaccount.com",
        "https://login.microsoftonline.com/organizations/discovery/v2.0/keys",
    ] {
        let (message, _) = init_error(&[
            ("JWT_ISSUER_JWKS_URI", url),
            ("JWT_AUTHORIZED_AUDIENCES", AUDIENCE),
        ])
        .await;
        assert!(
            message.starts_with(&format!("JWT_ISSUER: is required with {url}")),
            "{message}"
        );
    }
}

/// #16.9: the answer stays under API Gateway's 8 KiB. An oversize principal
/// is refused with its own reason instead of an answer API Gateway turns
/// into a 500; a token carried as a prefixed subprotocol is never echoed.
#[tokio::test]
async fn answers_stay_under_api_gateways_limit_and_never_carry_the_token() {
    let key = SigningKey::shared("ES256");
    let server = KeyServer::start(&jwks(&[key])).await;
    let (api, child) = start_function_for(
        AUTHORIZER,
        &server,
        &[
            ("TOKEN_SOURCES", "protocol,query"),
            ("CONTEXT_MAX_BYTES", "7680"),
        ],
    )
    .await;
    // A 5 KB principal within the 8 KiB token cap: as principalId and as
    // the context's `sub` (within its budget), over 8 KiB in all.
    let huge_sub = key.sign(&claims_with(json!({"sub": "u".repeat(5_000)})));
    assert_eq!(
        api.invoke(&query_event_json(&huge_sub)).await,
        Answer::Error(json!({"errorType": "Unauthorized", "errorMessage": "Unauthorized"}))
    );

    // A 7.9 KB token as the only, prefixed subprotocol.
    let large = key.sign(&claims_with(json!({"pad": "p".repeat(5_600)})));
    assert!(
        large.len() > 7_500 && large.len() < 8_192,
        "{}",
        large.len()
    );
    for (offered, echoed) in [
        (format!("{PREFIX}{large}"), None),
        (format!("chat.v1, {PREFIX}{large}"), Some("chat.v1")),
        (format!("bearer, {large}"), Some("bearer")),
    ] {
        let answer = response(
            api.invoke(&event_with_headers(&[("Sec-WebSocket-Protocol", &offered)]))
                .await,
        );
        assert_eq!(effect(&answer), "Allow");
        assert_eq!(answer["context"]["subprotocol"].as_str(), echoed);
        let text = answer.to_string();
        assert!(text.len() < 8 * 1024, "{} bytes", text.len());
        assert!(
            !text.contains(&large[large.len() - 40..]),
            "the token is in the answer"
        );
    }

    let logs = stop_and_read_logs(child).await;
    let reasons = decision_reasons(&logs);
    assert_eq!(
        reasons,
        ["response_too_large", "allowed", "allowed", "allowed"]
    );
    assert!(
        logs.contains("the client offered no subprotocol besides the token's"),
        "{logs}"
    );
}

/// #28.2: with the token in the query too, an offered subprotocol that is
/// the token, holds it, or carries it behind the prefix in another case is
/// never echoed nor put into the context; a plain one beside it is.
#[tokio::test]
async fn no_subprotocol_holding_the_token_is_echoed_whichever_source_carried_it() {
    let key = SigningKey::shared("ES256");
    let server = KeyServer::start(&jwks(&[key])).await;
    let (api, child) =
        start_function_for(AUTHORIZER, &server, &[("TOKEN_SOURCES", "protocol,query")]).await;
    let token = key.sign(&valid_claims());
    let signature = token.rsplit('.').next().unwrap().to_owned();
    let cases = [
        (token.clone(), None),
        (format!("{token}, chat.v1"), Some("chat.v1")),
        (format!("{}{token}", PREFIX.to_uppercase()), None),
        (
            format!("Base64URL.Bearer.Authorization.{token}, chat.v1"),
            Some("chat.v1"),
        ),
        (format!("x.{signature}"), None),
    ];
    for (offered, echoed) in &cases {
        let mut event = query_event_json(&token);
        event["headers"]["Sec-WebSocket-Protocol"] = json!(offered);
        event["multiValueHeaders"]["Sec-WebSocket-Protocol"] = json!([offered]);
        let answer = response(api.invoke(&event).await);
        assert_eq!(effect(&answer), "Allow", "{offered}");
        assert_eq!(
            answer["context"]["subprotocol"].as_str(),
            *echoed,
            "{offered}"
        );
        let text = answer.to_string();
        assert!(
            !text.contains(&signature),
            "the token is in the answer to {offered}"
        );
    }
    let logs = stop_and_read_logs(child).await;
    assert_eq!(decision_reasons(&logs), vec!["allowed"; cases.len()]);
    assert!(!logs.contains(&signature), "{logs}");
}

/// #28.3: a client padding its offered subprotocol cannot push `sub` out of
/// the context (where the session guard files the connection): a padded
/// one that fits beside `exp` and `sub` is echoed with both kept, a longer
/// one is refused with a Deny of its own reason, whatever the principal.
#[tokio::test]
async fn a_padded_subprotocol_never_pushes_the_subject_out_of_the_context() {
    let key = SigningKey::shared("ES256");
    let server = KeyServer::start(&jwks(&[key])).await;
    let (api, child) = start_function_for(
        AUTHORIZER,
        &server,
        &[
            ("TOKEN_SOURCES", "protocol"),
            ("PRINCIPAL_ID_CLAIM", "client_id"),
        ],
    )
    .await;
    let token = key.sign(&claims_with(json!({"sub": "alice", "client_id": "app-1"})));
    let offer = |padding: usize| {
        let offered = format!("chat.{}, bearer, {token}", "p".repeat(padding));
        event_with_headers(&[("Sec-WebSocket-Protocol", &offered)])
    };
    // At the default budget (4096 bytes) a 3 KB subprotocol fits beside them.
    let answer = response(api.invoke(&offer(3_000)).await);
    assert_eq!(effect(&answer), "Allow");
    assert_eq!(answer["principalId"], "app-1");
    assert_eq!(answer["context"]["sub"], "alice");
    assert!(answer["context"]["exp"].is_u64());
    assert_eq!(
        answer["context"]["subprotocol"].as_str().map(str::len),
        Some(3_005)
    );
    // Past the budget: refused, rather than the subject dropped.
    for padding in [4_100, 5_000, 7_000] {
        let answer = response(api.invoke(&offer(padding)).await);
        assert_eq!(effect(&answer), "Deny", "{padding}");
        assert_eq!(answer["principalId"], "app-1");
        assert_eq!(answer["context"], json!({}), "{padding}: {answer}");
    }
    let logs = stop_and_read_logs(child).await;
    assert_eq!(
        decision_reasons(&logs),
        [
            "allowed",
            "subprotocol_too_long",
            "subprotocol_too_long",
            "subprotocol_too_long"
        ]
    );
}

/// #28.5: a body that is not an event (a direct `lambda invoke` with a bare
/// token, or an object whose members have other types) is answered with an
/// error naming its JSON type and length only, and logged the same: the
/// token is in neither, at INFO nor at TRACE.
#[tokio::test]
async fn a_body_that_is_not_an_event_is_answered_by_its_type_and_length_only() {
    let key = SigningKey::shared("ES256");
    let server = KeyServer::start(&jwks(&[key])).await;
    let token = key.sign(&valid_claims());
    let signature = token.rsplit('.').next().unwrap().to_owned();
    for level in ["INFO", "TRACE"] {
        let (api, child) =
            start_function_for(AUTHORIZER, &server, &[("AWS_LAMBDA_LOG_LEVEL", level)]).await;
        let bodies = [
            (
                json!(token),
                format!("a JSON string of {} bytes", token.len() + 2),
            ),
            (
                json!({"headers": token}),
                format!(
                    "a JSON object without an event's members and types of {} bytes",
                    token.len() + 14
                ),
            ),
            (
                json!([token]),
                format!("a JSON array of {} bytes", token.len() + 4),
            ),
            (json!(7), "a JSON number of 1 bytes".to_owned()),
        ];
        for (body, described) in &bodies {
            assert_eq!(
                api.invoke(body).await,
                Answer::Error(json!({
                    "errorType": "AuthorizerError",
                    "errorMessage": format!(
                        "not_an_event: the invocation's body is not an API Gateway authorizer event: {described}"
                    )
                })),
                "{level}"
            );
        }
        // The function goes on answering events.
        let answer = response(api.invoke(&query_event_json(&token)).await);
        assert_eq!(effect(&answer), "Allow");
        let logs = stop_and_read_logs(child).await;
        assert!(
            !logs.contains(&signature),
            "{level}: the token is in the log: {logs}"
        );
        assert!(!logs.contains("deserialization"), "{level}: {logs}");
        assert_eq!(
            decision_reasons(&logs),
            [
                "not_an_event",
                "not_an_event",
                "not_an_event",
                "not_an_event",
                "allowed"
            ],
            "{level}"
        );
        assert!(
            logs.contains(&format!(r#""body_bytes":{}"#, token.len() + 2)),
            "{level}: {logs}"
        );
    }
}

/// #16.10: the token cap applies to the token cookie, not to the whole
/// `Cookie` header: a browser holding 20 KB of analytics cookies connects.
#[tokio::test]
async fn large_analytics_cookies_do_not_count_against_the_token_cap() {
    let key = SigningKey::shared("RS256");
    let server = KeyServer::start(&jwks(&[key])).await;
    let (api, child) = start_function_for(
        AUTHORIZER,
        &server,
        &[("TOKEN_SOURCES", "cookie"), ("ALLOWED_ORIGINS", ORIGIN)],
    )
    .await;
    let token = key.sign(&valid_claims());
    let cookies = format!(
        "_ga={}; _hjSession={}; access_token={token}",
        "g".repeat(12_000),
        "h".repeat(8_000)
    );
    let answer = api
        .invoke(&event_with_headers(&[
            ("Origin", ORIGIN),
            ("Cookie", &cookies),
        ]))
        .await;
    assert_eq!(effect(&response(answer)), "Allow");

    // The token cookie itself is still held to the token cap.
    let oversize = format!("access_token={}", "a".repeat(9_000));
    assert_eq!(
        api.invoke(&event_with_headers(&[
            ("Origin", ORIGIN),
            ("Cookie", &oversize)
        ]))
        .await,
        Answer::Error(json!({"errorType": "Unauthorized", "errorMessage": "Unauthorized"}))
    );
    let logs = stop_and_read_logs(child).await;
    let reasons = decision_reasons(&logs);
    assert_eq!(reasons, ["allowed", "token_too_large"]);
}
