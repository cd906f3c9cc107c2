//! A failed invocation names itself: the compiled guard, behind the Runtime
//! API emulator, posts each kind of failure with its own stable `errorType`
//! and a message naming the call that failed and the connection it was for
//! (what the Lambda console, the failure queue's records and alarms show),
//! not lambda_runtime's `&alloc::boxed::Box<dyn core::error::Error …>`.

use std::io::Write;
use std::sync::Arc;

use base64::Engine;
use serde_json::{json, Value};
use testkit::function::{start_function, stop_and_read_logs};
use testkit::http::{serve, Reply, Request};
use testkit::runtime_api::{Answer, RuntimeApi};

/// An AWS service that refuses every call with `code` (403).
async fn refusing(code: &'static str) -> String {
    let addr = serve(Arc::new(move |_: Request| {
        Box::pin(async move {
            Reply {
                status: 403,
                ..Reply::json(r#"{"message":"not allowed here"}"#)
            }
            .with_header("x-amzn-ErrorType", code)
        })
    }))
    .await;
    format!("http://{addr}")
}

/// The guard as the Lambda, its Scheduler at `scheduler` and its stage's
/// Management API at `management`, plus `vars`; nothing read from this
/// machine's AWS setup.
fn guard(
    api: &RuntimeApi,
    scheduler: &str,
    management: &str,
    vars: &[(&str, &str)],
) -> tokio::process::Child {
    let mut all = vec![
        ("AWS_REGION", "eu-west-1"),
        ("AWS_ACCESS_KEY_ID", "test"),
        ("AWS_SECRET_ACCESS_KEY", "test"),
        ("AWS_CONFIG_FILE", "/nonexistent/config"),
        ("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials"),
        ("AWS_EC2_METADATA_DISABLED", "true"),
        ("AWS_ENDPOINT_URL_SCHEDULER", scheduler),
        ("SESSION_GUARD_SCHEDULE_GROUP", "guard"),
        ("SESSION_GUARD_MANAGEMENT_ENDPOINT", management),
        (
            "SESSION_GUARD_FUNCTION_ARN",
            "arn:aws:lambda:eu-west-1:123456789012:function:guard",
        ),
        (
            "SESSION_GUARD_SCHEDULER_ROLE_ARN",
            "arn:aws:iam::123456789012:role/guard-scheduler",
        ),
    ];
    all.extend_from_slice(vars);
    start_function(env!("CARGO_BIN_EXE_session-guard"), api, &all)
}

/// What the subscription delivers for `lines`.
fn delivery(lines: &[String]) -> Value {
    let events: Vec<Value> = lines
        .iter()
        .enumerate()
        .map(|(i, line)| json!({"id": i.to_string(), "timestamp": testkit::now() * 1000, "message": line}))
        .collect();
    let envelope = json!({"messageType": "DATA_MESSAGE", "owner": "123456789012",
        "logGroup": "/aws/apigateway/ws", "logStream": "s", "subscriptionFilters": ["guard"],
        "logEvents": events});
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(envelope.to_string().as_bytes()).unwrap();
    json!({"awslogs": {"data": base64::engine::general_purpose::STANDARD.encode(encoder.finish().unwrap())}})
}

/// The `errorType` and `errorMessage` posted for `event`.
async fn failure(api: &RuntimeApi, event: &Value) -> (String, String) {
    match api.invoke(event).await {
        Answer::Error(error) => (
            error["errorType"].as_str().unwrap_or_default().to_owned(),
            error["errorMessage"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        ),
        answer => panic!("{event} was answered {answer:?}"),
    }
}

#[tokio::test]
async fn each_failed_invocation_posts_its_type_and_names_the_call_and_connection() {
    let api = RuntimeApi::start().await;
    let scheduler = refusing("AccessDeniedException").await;
    let management = format!("{}/prod", refusing("ForbiddenException").await);
    let child = guard(&api, &scheduler, &management, &[]);

    // A firing whose DeleteConnection is refused.
    assert_eq!(
        failure(
            &api,
            &json!({"disconnect": {"connectionId": "abc=", "sub": "alice"}})
        )
        .await,
        (
            "DisconnectFailed".to_owned(),
            "DeleteConnection for connection abc= failed: failed: ForbiddenException: not \
             allowed here"
                .to_owned()
        )
    );

    // A delivery whose CreateSchedule is refused.
    let line = json!({"requestId": "r", "requestTime": "t", "eventType": "CONNECT",
        "routeKey": "$connect", "status": "200", "connectionId": "C1=", "principalId": "alice",
        "sub": "alice", "exp": (testkit::now() + 3600).to_string()})
    .to_string();
    let (error_type, message) = failure(&api, &delivery(&[line])).await;
    assert_eq!(error_type, "IncompleteBatch");
    assert!(
        message.starts_with(
            "batch incomplete: CreateSchedule for connection C1= failed: failed: \
             AccessDeniedException: not allowed here; report {"
        ),
        "{message}"
    );
    assert!(message.contains(r#""failed":1"#), "{message}");

    // A revoke whose ListSchedules is refused.
    let (error_type, message) = failure(&api, &json!({"revoke": {"sub": "alice"}})).await;
    assert_eq!(error_type, "RevokeIncomplete");
    assert!(
        message.starts_with(
            "revoke incomplete: ListSchedules for prefix 2bd806c97f0e00af- failed: failed: \
             AccessDeniedException: not allowed here; report {"
        ),
        "{message}"
    );

    // A delivery that cannot be read at all.
    assert_eq!(
        failure(&api, &json!({"awslogs": {"data": "%%"}})).await,
        (
            "UnreadableDelivery".to_owned(),
            "unreadable delivery: awslogs.data is not base64".to_owned()
        )
    );

    // What is none of the three inputs, and a revoke of no subject.
    let token = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl";
    let (error_type, message) = failure(&api, &json!(token)).await;
    assert_eq!(error_type, "InvalidInput");
    assert!(message.starts_with("not a guard input ("), "{message}");
    assert!(message.ends_with("): a string of 54 bytes"), "{message}");
    let (error_type, message) = failure(&api, &json!({"revoke": {"sub": "-"}})).await;
    assert_eq!(error_type, "InvalidInput");
    assert!(message.starts_with(r#""-" is not a subject"#), "{message}");

    // Each is logged the same way, and the token of the mistaken input
    // nowhere.
    let logs = stop_and_read_logs(child).await;
    for error_type in [
        "DisconnectFailed",
        "IncompleteBatch",
        "RevokeIncomplete",
        "UnreadableDelivery",
        "InvalidInput",
    ] {
        assert!(
            logs.contains(&format!(r#""error_type":"{error_type}""#)),
            "{error_type}: {logs}"
        );
    }
    assert!(!logs.contains("eyJ"), "{logs}");
}

/// The failure of the issue: a firing against a Management API that
/// refuses the connection was posted as `dispatch failure: … Connection
/// refused`, naming neither the connection nor the call.
#[tokio::test]
async fn a_firing_that_cannot_reach_the_management_api_names_the_connection() {
    // A loopback port nobody listens on: the connection is refused.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let api = RuntimeApi::start().await;
    let scheduler = refusing("AccessDeniedException").await;
    // No SDK retries: the guard's own (five tries, about six seconds) are
    // enough for the test's time.
    let child = guard(
        &api,
        &scheduler,
        &format!("http://{closed}/prod"),
        &[("AWS_MAX_ATTEMPTS", "1")],
    );
    let (error_type, message) = failure(
        &api,
        &json!({"disconnect": {"connectionId": "Dzl8bdcnDoECJZQ=", "sub": "alice"}}),
    )
    .await;
    assert_eq!(error_type, "DisconnectFailed");
    assert!(
        message.starts_with(
            "DeleteConnection for connection Dzl8bdcnDoECJZQ= failed: retryable: dispatch failure"
        ),
        "{message}"
    );
    drop(child);
}
