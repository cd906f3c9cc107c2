//! A guard Lambda whose configuration is wrong reports it to the Runtime
//! API's `/init/error`, naming the variable, and exits non-zero: Lambda
//! shows that message instead of a bare `Runtime.ExitError`.

use std::process::Stdio;
use std::time::Duration;

use serde_json::json;
use tokio::process::Command;

use testkit::runtime_api::RuntimeApi;

/// Starts the guard as the Lambda with `vars` and the Runtime API at
/// `api` (in `form`), and returns its exit code and stderr.
async fn cold_start(api: &str, vars: &[(&str, &str)]) -> (Option<i32>, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_session-guard"));
    command
        .env_clear()
        .env("AWS_LAMBDA_RUNTIME_API", api)
        .env("AWS_LAMBDA_FUNCTION_NAME", "session-guard")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_REGION", "eu-west-1")
        .envs(vars.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let output = tokio::time::timeout(Duration::from_secs(20), command.output())
        .await
        .expect("the guard exits at once")
        .unwrap();
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[tokio::test]
async fn a_missing_variable_is_reported_as_the_init_error_and_the_process_exits_non_zero() {
    let api = RuntimeApi::start().await;
    let (code, stderr) = cold_start(
        &api.addr.to_string(),
        &[(
            "SESSION_GUARD_MANAGEMENT_ENDPOINT",
            "https://a.execute-api.eu-west-1.amazonaws.com/prod",
        )],
    )
    .await;
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains("SESSION_GUARD_SCHEDULE_GROUP is not set"),
        "{stderr}"
    );
    assert_eq!(
        api.init_error(),
        Some((
            Some("Runtime.InitError".to_owned()),
            json!({"errorMessage": "SESSION_GUARD_SCHEDULE_GROUP is not set",
                   "errorType": "Runtime.InvalidConfiguration"})
        ))
    );
}

#[tokio::test]
async fn a_lambda_without_its_schedule_target_is_reported_too_under_an_emulators_url() {
    let api = RuntimeApi::start().await;
    // cargo-lambda's form of the address: a URL (this emulator has no prefix).
    let (code, _) = cold_start(
        &format!("http://{}/", api.addr),
        &[
            ("SESSION_GUARD_SCHEDULE_GROUP", "g"),
            (
                "SESSION_GUARD_MANAGEMENT_ENDPOINT",
                "https://a.execute-api.eu-west-1.amazonaws.com/prod",
            ),
        ],
    )
    .await;
    assert_eq!(code, Some(2));
    let (_, body) = api.init_error().expect("no init error was posted");
    assert_eq!(
        body["errorMessage"],
        "SESSION_GUARD_FUNCTION_ARN and SESSION_GUARD_SCHEDULER_ROLE_ARN are not set"
    );
}

/// `http://127.0.0.1:1@example.com/prod` begins like a loopback address
/// but names example.com: the guard refuses it at start, without quoting
/// it (user info may be a password), instead of calling example.com over
/// plain http at each firing.
#[tokio::test]
async fn an_endpoint_with_user_info_before_its_host_is_refused_at_start() {
    for endpoint in [
        "http://127.0.0.1:1@example.com/prod",
        "http://localhost:80@example.com/prod",
        "http://[::1]:1@example.com/prod",
    ] {
        let api = RuntimeApi::start().await;
        let (code, _) = cold_start(
            &api.addr.to_string(),
            &[
                ("SESSION_GUARD_SCHEDULE_GROUP", "g"),
                ("SESSION_GUARD_MANAGEMENT_ENDPOINT", endpoint),
                ("SESSION_GUARD_FUNCTION_ARN", "arn:f"),
                ("SESSION_GUARD_SCHEDULER_ROLE_ARN", "arn:r"),
            ],
        )
        .await;
        assert_eq!(code, Some(2), "{endpoint}");
        let (_, body) = api.init_error().expect("no init error was posted");
        assert_eq!(body["errorType"], "Runtime.InvalidConfiguration");
        let message = body["errorMessage"].as_str().unwrap_or_default();
        assert!(
            message.starts_with("SESSION_GUARD_MANAGEMENT_ENDPOINT must not carry user info"),
            "{endpoint}: {message}"
        );
        assert!(!message.contains("example.com"), "{message}");
    }
}
