//! Starting the compiled authorizer binary as Lambda would, and reading its logs.

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use serde_json::Value;
use tokio::process::{Child, Command};

use super::runtime_api::RuntimeApi;

/// Where each started function writes, by process id: a file, not a pipe,
/// so that a function writing more than a pipe holds never blocks on a
/// test that reads its logs only at the end.
static LOG_FILES: Mutex<Vec<(u32, PathBuf)>> = Mutex::new(Vec::new());

/// Starts `binary` (the compiled authorizer: the test passes
/// `env!("CARGO_BIN_EXE_ws-jwt-authorizer")`, which Cargo sets for the
/// package's own tests) with only the variables Lambda would set plus `vars`.
pub fn start_function(binary: &str, api: &RuntimeApi, vars: &[(&str, &str)]) -> Child {
    static STARTED: AtomicUsize = AtomicUsize::new(0);
    let path = std::env::temp_dir().join(format!(
        "ws-jwt-authorizer-test-{}-{}.log",
        std::process::id(),
        STARTED.fetch_add(1, Ordering::SeqCst)
    ));
    let file = std::fs::File::create(&path).unwrap();
    let child = function_command(Command::new(binary), api, vars)
        .stdout(Stdio::from(file.try_clone().unwrap()))
        .stderr(Stdio::from(file))
        .spawn()
        .unwrap();
    if let Some(pid) = child.id() {
        LOG_FILES.lock().unwrap().push((pid, path));
    }
    child
}

/// `command` (the binary, or a wrapper that runs it) with the environment
/// Lambda gives a function plus `vars`.
pub fn function_command(mut command: Command, api: &RuntimeApi, vars: &[(&str, &str)]) -> Command {
    command
        .env_clear()
        .env("AWS_LAMBDA_RUNTIME_API", api.addr.to_string())
        .env("AWS_LAMBDA_FUNCTION_NAME", "ws-jwt-authorizer")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_LOG_FORMAT", "JSON")
        .kill_on_drop(true);
    for (name, value) in vars {
        command.env(name, value);
    }
    command
}

/// Stops the function and returns everything it wrote.
pub async fn stop_and_read_logs(mut child: Child) -> String {
    let pid = child.id().expect("a running function");
    let _ = child.start_kill();
    let _ = child.wait().await;
    take_logs(pid)
}

/// Everything the function with process id `pid`, started by
/// [`start_function`] and since exited, wrote; archived for the log check.
pub fn take_logs(pid: u32) -> String {
    let path = {
        let mut files = LOG_FILES.lock().unwrap();
        let index = files
            .iter()
            .position(|(started, _)| *started == pid)
            .expect("started by start_function");
        files.swap_remove(index).1
    };
    let logs = std::fs::read_to_string(&path).unwrap();
    let _ = std::fs::remove_file(path);
    if let Some(mut file) = super::archive::log_file("function") {
        let _ = std::io::Write::write_all(&mut file, logs.as_bytes());
    }
    logs
}

/// The function with the test issuer and audience, keys from `server`,
/// plus `vars` (which may override them), behind a fresh Runtime API.
pub async fn start_function_for(
    binary: &str,
    server: &super::KeyServer,
    vars: &[(&str, &str)],
) -> (RuntimeApi, Child) {
    let api = RuntimeApi::start().await;
    let mut all = vec![
        ("JWT_ISSUER_JWKS_URI", server.url.as_str()),
        ("JWT_AUTHORIZED_AUDIENCES", super::AUDIENCE),
        ("JWT_ISSUER", super::ISSUER),
    ];
    all.extend_from_slice(vars);
    let child = start_function(binary, &api, &all);
    (api, child)
}

/// The reason codes of the decision lines of JSON logs, in order.
pub fn decision_reasons(logs: &str) -> Vec<String> {
    decision_lines(logs)
        .iter()
        .map(|line| {
            line["fields"]["reason"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect()
}

/// The decision lines of JSON logs.
pub fn decision_lines(logs: &str) -> Vec<Value> {
    logs.lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|line| line["fields"]["message"] == "decision")
        .collect()
}
