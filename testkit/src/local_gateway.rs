//! The local gateway example as a process: started on free ports, ready
//! once it prints the addresses it listens on.

use std::ffi::OsStr;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::{Child, ChildStdout, Command};

/// A running local gateway.
pub struct LocalGateway {
    /// The process; killed when dropped.
    pub process: Child,
    /// `ws://127.0.0.1:{port}/{stage}`.
    pub websocket_url: String,
    /// `http://127.0.0.1:{port}/{stage}`: the HTTP API beside it.
    pub http_url: String,
    /// The demo identity provider's base URL.
    pub idp_url: String,
    /// The rest of its standard output (its decision lines).
    pub stdout: Lines<BufReader<ChildStdout>>,
}

/// Starts `binary` on free ports with `args` and `envs` added, and waits
/// (30 s at most) for its `ready ws=… http=… idp=…` line.
pub async fn start<A: AsRef<OsStr>>(
    binary: impl AsRef<OsStr>,
    args: &[A],
    envs: &[(&str, &str)],
) -> LocalGateway {
    let mut process = Command::new(binary)
        .args(["--port", "0", "--idp-port", "0"])
        .args(args)
        .envs(envs.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("the local gateway starts");
    let mut stdout = BufReader::new(process.stdout.take().unwrap()).lines();
    let ready = tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(line) = stdout.next_line().await.unwrap() {
            if let Some(rest) = line.strip_prefix("ready ") {
                return rest.to_owned();
            }
        }
        panic!("the local gateway exited before it was ready");
    })
    .await
    .expect("the local gateway is ready within 30 s");
    let field = |name: &str| {
        ready
            .split(' ')
            .find_map(|part| part.strip_prefix(&format!("{name}=")))
            .unwrap_or_else(|| panic!("no {name}= in {ready:?}"))
            .to_owned()
    };
    LocalGateway {
        websocket_url: field("ws"),
        http_url: field("http"),
        idp_url: field("idp"),
        process,
        stdout,
    }
}
