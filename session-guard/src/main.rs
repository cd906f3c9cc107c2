//! The session guard's binary: the Lambda (no arguments, under the Lambda
//! runtime), or `session-guard revoke --sub SUBJECT` from an operator's
//! shell with AWS credentials.

// The Lambda's future nests the SDK's, the batch's stream and the runtime's
// deeper than the default limit of 128 lets the compiler lay it out.
#![recursion_limit = "256"]

use std::io::Write;
use std::time::{SystemTime, UNIX_EPOCH};

use lambda_runtime::{service_fn, Diagnostic, LambdaEvent};
use serde_json::Value;
use session_guard::aws;
use session_guard::guard::deadline_instant;
use session_guard::runtime_api::report_init_error;
use session_guard::settings::Settings;
use session_guard::{parse_input, GuardError, Input};
use tokio::time::Instant;

const HELP: &str = "\
session-guard: ends API Gateway WebSocket connections at their token's exp, and on demand

  session-guard                      run as the Lambda (under the Lambda runtime)
  session-guard revoke --sub ALICE   end every guarded connection of subject ALICE now,
                                     and print what was ended (JSON)

Environment: SESSION_GUARD_SCHEDULE_GROUP, SESSION_GUARD_MANAGEMENT_ENDPOINT
(https://{api}.execute-api.{region}.amazonaws.com/{stage}); the Lambda also needs
SESSION_GUARD_FUNCTION_ARN and SESSION_GUARD_SCHEDULER_ROLE_ARN. Credentials and
region come from the usual AWS chain. Terraform's output revoke_command has them set.";

fn now() -> u64 {
    now_ms() / 1000
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| {
            u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX)
        })
}

fn settings() -> Result<Settings, String> {
    Settings::from_lookup(|name| std::env::var(name).ok())
}

/// The Lambda also needs the schedules' target.
fn lambda_settings() -> Result<Settings, String> {
    let settings = settings()?;
    if settings.target.is_none() {
        return Err(
            "SESSION_GUARD_FUNCTION_ARN and SESSION_GUARD_SCHEDULER_ROLE_ARN are not set".into(),
        );
    }
    Ok(settings)
}

#[tokio::main]
async fn main() {
    let arguments: Vec<String> = std::env::args().skip(1).collect();
    let outcome = match arguments.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        [] => lambda().await,
        ["revoke", "--sub", sub] => revoke(sub).await,
        ["--help" | "-h" | "help"] => print(HELP),
        _ => Err(format!("unexpected arguments {arguments:?}\n\n{HELP}")),
    };
    if let Err(error) = outcome {
        eprintln!("session-guard: {error}");
        std::process::exit(2);
    }
}

async fn revoke(sub: &str) -> Result<(), String> {
    let guard = aws::guard(&settings()?).await;
    let report = guard
        .handle(
            Input::Revoke {
                sub: sub.to_owned(),
            },
            now(),
        )
        .await
        .map_err(|error| error.to_string())?;
    print(&report.to_string())
}

/// Writes a line to stdout; a closed pipe (`| head`) is an error, not a
/// panic.
fn print(text: &str) -> Result<(), String> {
    writeln!(std::io::stdout(), "{text}").map_err(|error| format!("stdout: {error}"))
}

async fn lambda() -> Result<(), String> {
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("SESSION_GUARD_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_current_span(false)
        .without_time()
        .init();
    let settings = match lambda_settings() {
        Ok(settings) => settings,
        Err(message) => {
            // Lambda shows this as the init error, naming the variable.
            tracing::error!(error = %message, "invalid configuration");
            report_init_error("Runtime.InvalidConfiguration", &message).await;
            return Err(message);
        }
    };
    let guard = &aws::guard(&settings).await;
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| async move {
        // One reading of the clock for the whole invocation.
        let now_ms = now_ms();
        let deadline = deadline_instant(event.context.deadline, now_ms, Instant::now());
        let handled = match parse_input(event.payload) {
            Ok(input) => {
                guard
                    .handle_until(input, now_ms / 1000, Some(deadline))
                    .await
            }
            Err(error) => Err(error),
        };
        handled.map_err(diagnostic)
    }))
    .await
    .map_err(|error| error.to_string())
}

/// What Lambda shows for a failed invocation (the console, the failure
/// queue's record, alarms): the failure's stable type, and a message that
/// names the call and the connection. Logged the same way.
fn diagnostic(error: GuardError) -> Diagnostic {
    let error_type = error.error_type();
    let error_message = error.to_string();
    tracing::error!(error_type, error = %error_message, "invocation failed");
    Diagnostic {
        error_type: error_type.to_owned(),
        error_message,
    }
}
