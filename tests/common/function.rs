//! Starting the compiled authorizer binary as Lambda would, and reading its logs.

use std::process::Stdio;

use serde_json::Value;
use tokio::io::AsyncReadExt;
use tokio::process::{Child, Command};

use super::runtime_api::RuntimeApi;

/// Starts the binary with only the variables Lambda would set plus `vars`.
pub fn start_function(api: &RuntimeApi, vars: &[(&str, &str)]) -> Child {
    function_command(
        Command::new(env!("CARGO_BIN_EXE_ws-jwt-authorizer")),
        api,
        vars,
    )
    .spawn()
    .unwrap()
}

/// `command` (the binary, or a wrapper that runs it) with the environment
/// Lambda gives a function plus `vars`, output piped.
pub fn function_command(mut command: Command, api: &RuntimeApi, vars: &[(&str, &str)]) -> Command {
    command
        .env_clear()
        .env("AWS_LAMBDA_RUNTIME_API", api.addr.to_string())
        .env("AWS_LAMBDA_FUNCTION_NAME", "ws-jwt-authorizer")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_LOG_FORMAT", "JSON")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    for (name, value) in vars {
        command.env(name, value);
    }
    command
}

/// Stops the function and returns everything it wrote.
pub async fn stop_and_read_logs(mut child: Child) -> String {
    let _ = child.start_kill();
    let _ = child.wait().await;
    let mut logs = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut logs)
        .await
        .unwrap();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut logs)
        .await
        .unwrap();
    if let Some(mut file) = super::archive::log_file("function") {
        let _ = std::io::Write::write_all(&mut file, logs.as_bytes());
    }
    logs
}

/// The decision lines of JSON logs.
pub fn decision_lines(logs: &str) -> Vec<Value> {
    logs.lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|line| line["fields"]["message"] == "decision")
        .collect()
}
