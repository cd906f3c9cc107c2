//! The guard end to end against emulators: the local gateway (the WebSocket
//! API, its `@connections` Management API and its access log) and moto in
//! server mode (EventBridge Scheduler). Schedules do not fire in moto: the
//! test fires one by invoking the guard's compiled binary, behind a Lambda
//! Runtime API emulator, with the target input read back from moto, once
//! the token has expired.
//!
//! `scripts/test-guard.sh` starts moto and runs this with
//! `SESSION_GUARD_LOCAL_GATEWAY` (the example's binary) and `MOTO_URL`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sdk_scheduler::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_scheduler::types::ActionAfterCompletion;
use base64::Engine;
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use session_guard::aws;
use session_guard::naming::{schedule_name, unattributed_schedule_name};
use session_guard::plan::at_expression;
use session_guard::settings::{ScheduleTarget, Settings};
use session_guard::Input;
use tokio::net::TcpStream;
use tokio::process::{Child, Command};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use testkit::runtime_api::{Answer, RuntimeApi};

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// A guard process (the Lambda or the command line) whose AWS calls go to
/// moto, with nothing read from this machine's AWS setup.
fn guard_command(moto: &str, dir: &Path, settings: &Settings) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_session-guard"));
    command
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_CONFIG_FILE", dir.join("none"))
        .env("AWS_SHARED_CREDENTIALS_FILE", dir.join("none"))
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_ENDPOINT_URL_SCHEDULER", moto)
        .env("SESSION_GUARD_SCHEDULE_GROUP", &settings.group)
        .env(
            "SESSION_GUARD_MANAGEMENT_ENDPOINT",
            &settings.management_endpoint,
        )
        .stdin(Stdio::null())
        .kill_on_drop(true);
    command
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn required(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name}: run scripts/test-guard.sh"))
}

/// The local gateway as a process, writing its access log to `log`.
struct Gateway {
    _process: Child,
    websocket_url: String,
    idp_url: String,
    log: PathBuf,
}

impl Gateway {
    async fn start(binary: &str, log: &Path) -> Self {
        let args = [Path::new("--access-log").as_os_str(), log.as_os_str()];
        let started =
            testkit::local_gateway::start(binary, &args, &[("JWT_LEEWAY_SECONDS", "0")]).await;
        Gateway {
            websocket_url: started.websocket_url,
            idp_url: started.idp_url,
            log: log.to_owned(),
            _process: started.process,
        }
    }

    /// The Management API endpoint, as `https://{api}.execute-api…/{stage}`.
    fn management_endpoint(&self) -> String {
        self.websocket_url.replacen("ws://", "http://", 1)
    }

    /// Connects as `sub` with a token valid `expires_in` seconds; returns
    /// the socket and the connection id.
    async fn connect(&self, sub: &str, expires_in: u64) -> (Socket, String) {
        self.connect_offering(sub, expires_in, None)
            .await
            .unwrap_or_else(|error| panic!("{sub} could not connect: {error}"))
    }

    /// The same, offering `subprotocol` too (the token stays in the query);
    /// the handshake's error if the gateway refuses it.
    async fn connect_offering(
        &self,
        sub: &str,
        expires_in: u64,
        subprotocol: Option<&str>,
    ) -> Result<(Socket, String), tokio_tungstenite::tungstenite::Error> {
        let body = json!({"sub": sub, "expires_in": expires_in}).to_string();
        let token: Value = serde_json::from_str(
            &reqwest::Client::new()
                .post(format!("{}/token", self.idp_url))
                .header("Content-Type", "application/json")
                .body(body)
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap(),
        )
        .unwrap();
        let url = format!(
            "{}?authorization={}",
            self.websocket_url,
            token["access_token"].as_str().unwrap()
        );
        let mut request = url.into_client_request().unwrap();
        if let Some(subprotocol) = subprotocol {
            request
                .headers_mut()
                .insert("Sec-WebSocket-Protocol", subprotocol.parse().unwrap());
        }
        let (mut socket, _) = tokio_tungstenite::connect_async(request).await?;
        let reply = whoami(&mut socket).await.expect("a whoami reply");
        Ok((socket, reply["connectionId"].as_str().unwrap().to_owned()))
    }

    /// The HTTP status of `GET @connections/{id}`: 200 open, 410 gone.
    async fn status(&self, connection_id: &str) -> u16 {
        let encoded: String = url_encode(connection_id);
        reqwest::Client::new()
            .get(format!(
                "{}/@connections/{encoded}",
                self.management_endpoint()
            ))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    }

    /// The access-log line of `event_type` for `connection_id`, once written.
    async fn line(&self, event_type: &str, connection_id: &str) -> String {
        tokio::time::timeout(Duration::from_secs(5), async {
            loop {
                let text = std::fs::read_to_string(&self.log).unwrap_or_default();
                let found = text.lines().find(|line| {
                    let line: Value = serde_json::from_str(line).unwrap();
                    line["eventType"] == event_type && line["connectionId"] == connection_id
                });
                if let Some(line) = found {
                    return line.to_owned();
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
        .await
        .unwrap_or_else(|_| panic!("no {event_type} line for {connection_id}"))
    }
}

fn url_encode(text: &str) -> String {
    text.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' => (byte as char).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect()
}

async fn whoami(socket: &mut Socket) -> Option<Value> {
    socket.send(Message::text("whoami")).await.ok()?;
    loop {
        match socket.next().await? {
            Ok(Message::Text(text)) => return serde_json::from_str(&text).ok(),
            Ok(Message::Close(_)) | Err(_) => return None,
            Ok(_) => continue,
        }
    }
}

/// The close code the client receives within 5 s, if any.
async fn closed(socket: &mut Socket) -> Option<u16> {
    tokio::time::timeout(Duration::from_secs(5), async {
        while let Some(message) = socket.next().await {
            if let Ok(Message::Close(frame)) = message {
                return frame.map(|frame| u16::from(frame.code));
            }
        }
        None
    })
    .await
    .ok()
    .flatten()
}

/// What the CloudWatch Logs subscription would deliver for these lines.
fn delivery(lines: &[&str]) -> Input {
    let events: Vec<Value> = lines
        .iter()
        .enumerate()
        .map(|(i, line)| json!({"id": i.to_string(), "timestamp": unix_now() * 1000, "message": line}))
        .collect();
    let envelope = json!({"messageType": "DATA_MESSAGE", "owner": "123456789012",
        "logGroup": "/aws/apigateway/local", "logStream": "local",
        "subscriptionFilters": ["session-guard"], "logEvents": events});
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(envelope.to_string().as_bytes()).unwrap();
    Input::Awslogs {
        data: base64::engine::general_purpose::STANDARD.encode(encoder.finish().unwrap()),
    }
}

fn exp_of(line: &str) -> u64 {
    let line: Value = serde_json::from_str(line).unwrap();
    line["exp"].as_str().unwrap().parse().unwrap()
}

#[tokio::test]
#[ignore = "needs moto and the local gateway: scripts/test-guard.sh"]
async fn connections_end_at_exp_and_on_revoke_against_the_local_gateway_and_moto() {
    let moto = required("MOTO_URL");
    let dir = std::env::temp_dir().join(format!("session-guard-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let gateway = Gateway::start(
        &required("SESSION_GUARD_LOCAL_GATEWAY"),
        &dir.join("access.log"),
    )
    .await;

    let config = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("test", "test", None, None, "test"))
        .endpoint_url(&moto)
        .load()
        .await;
    let scheduler = aws_sdk_scheduler::Client::new(&config);
    let group = format!("session-guard-{}", std::process::id());
    scheduler
        .create_schedule_group()
        .name(&group)
        .send()
        .await
        .unwrap();
    let settings = Settings {
        group: group.clone(),
        management_endpoint: gateway.management_endpoint(),
        target: Some(ScheduleTarget {
            function_arn: "arn:aws:lambda:us-east-1:123456789012:function:session-guard".into(),
            role_arn: "arn:aws:iam::123456789012:role/session-guard-scheduler".into(),
            dead_letter_arn: Some(
                "arn:aws:sqs:us-east-1:123456789012:session-guard-failures".into(),
            ),
        }),
    };
    let guard = aws::guard_with(&config, &settings);

    let (mut short, short_id) = gateway.connect("alice", 2).await;
    let (mut alice, alice_id) = gateway.connect("alice", 600).await;
    let (mut bob, bob_id) = gateway.connect("bob", 600).await;
    let (mut carol, carol_id) = gateway.connect("carol", 600).await;
    // A subject with a backslash, which a JSON reader of a line written as
    // it came would take for `alice`, and one with a quote. The local
    // gateway JSON-escapes both (`\\u0061lice`, `o\"hara`).
    let (mut escaped, escaped_id) = gateway.connect(r"\u0061lice", 600).await;
    let (mut quoted, quoted_id) = gateway.connect(r#"o"hara"#, 600).await;
    let mut connects = Vec::new();
    for id in [
        &short_id,
        &alice_id,
        &bob_id,
        &carol_id,
        &escaped_id,
        &quoted_id,
    ] {
        connects.push(gateway.line("CONNECT", id).await);
    }
    let connects: Vec<&str> = connects.iter().map(String::as_str).collect();

    // One schedule a connection; the same delivery again changes nothing.
    // Read as if a minute early: the two-second token would otherwise be
    // within Scheduler's minute of precision and ended at once, and this
    // test wants its schedule to fire.
    let now = exp_of(connects[0]) - 61;
    let report = guard.handle(delivery(&connects), now).await.unwrap();
    assert_eq!(
        (report["lines"].as_u64(), report["scheduled"].as_u64()),
        (Some(6), Some(6))
    );
    // The backslash's connection is guarded without a subject: it ends at
    // its exp, and no revoke reaches it, nor it anyone else's.
    assert_eq!(
        (
            report["withoutSubject"].as_u64(),
            report["unreadableSubject"].as_u64()
        ),
        (Some(1), Some(1))
    );
    let again = guard.handle(delivery(&connects), now).await.unwrap();
    assert_eq!(
        (
            again["scheduled"].as_u64(),
            again["alreadyScheduled"].as_u64()
        ),
        (Some(0), Some(6))
    );
    let unattributed = unattributed_schedule_name(&escaped_id).unwrap();
    let stored = scheduler
        .get_schedule()
        .group_name(&group)
        .name(&unattributed)
        .send()
        .await
        .unwrap();
    assert_eq!(
        serde_json::from_str::<Value>(stored.target().unwrap().input().unwrap()).unwrap(),
        json!({"disconnect": {"connectionId": escaped_id}})
    );

    // The short-lived connection's schedule, as moto stores it.
    let exp = exp_of(connects[0]);
    let name = schedule_name("alice", &short_id).unwrap();
    let stored = scheduler
        .get_schedule()
        .group_name(&group)
        .name(&name)
        .send()
        .await
        .unwrap();
    assert_eq!(stored.schedule_expression(), at_expression(exp).as_deref());
    assert_eq!(stored.schedule_expression_timezone(), Some("UTC"));
    assert_eq!(
        stored.action_after_completion(),
        Some(&ActionAfterCompletion::Delete)
    );
    let target = stored.target().unwrap();
    assert_eq!(target.arn(), settings.target.as_ref().unwrap().function_arn);
    // Retried for the two hours a connection can live, then dead-lettered.
    let retry = target.retry_policy().unwrap();
    assert_eq!(
        (
            retry.maximum_retry_attempts(),
            retry.maximum_event_age_in_seconds()
        ),
        (Some(185), Some(7200))
    );
    assert_eq!(
        target.dead_letter_config().and_then(|dlq| dlq.arn()),
        Some("arn:aws:sqs:us-east-1:123456789012:session-guard-failures")
    );
    let input = target.input().unwrap().to_owned();
    assert_eq!(
        serde_json::from_str::<Value>(&input).unwrap(),
        json!({"disconnect": {"connectionId": short_id, "sub": "alice"}})
    );
    assert_eq!(gateway.status(&short_id).await, 200);

    // The schedule fires at exp: Scheduler invokes the guard Lambda with
    // the input it stores.
    let runtime = RuntimeApi::start().await;
    let target = settings.target.as_ref().unwrap();
    let _lambda = guard_command(&moto, &dir, &settings)
        .env("AWS_LAMBDA_RUNTIME_API", runtime.addr.to_string())
        .env("AWS_LAMBDA_FUNCTION_NAME", "session-guard")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("SESSION_GUARD_FUNCTION_ARN", &target.function_arn)
        .env("SESSION_GUARD_SCHEDULER_ROLE_ARN", &target.role_arn)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let wait = (exp + 1).saturating_sub(unix_now());
    tokio::time::sleep(Duration::from_secs(wait)).await;
    let fired: Value = serde_json::from_str(&input).unwrap();
    assert_eq!(
        runtime.invoke(&fired).await,
        Answer::Response(json!({"connectionId": short_id, "outcome": "closed"}))
    );
    assert_eq!(closed(&mut short).await, Some(1000));
    assert_eq!(gateway.status(&short_id).await, 410);
    // Fired again (a Scheduler retry): 410 is done.
    assert_eq!(
        runtime.invoke(&fired).await,
        Answer::Response(json!({"connectionId": short_id, "outcome": "alreadyGone"}))
    );
    // Anything else is refused as an invocation error.
    let Answer::Error(error) = runtime.invoke(&json!({"disconnect": {}})).await else {
        panic!("an unknown input must be an error");
    };
    assert!(error["errorMessage"]
        .as_str()
        .unwrap()
        .starts_with("not a guard input"));
    // Its DISCONNECT line removes the schedule (a real one deletes itself).
    let disconnect = gateway.line("DISCONNECT", &short_id).await;
    let report = guard
        .handle(delivery(&[&disconnect]), unix_now())
        .await
        .unwrap();
    assert_eq!(report["unscheduled"], 1);
    let gone = scheduler
        .get_schedule()
        .group_name(&group)
        .name(&name)
        .send()
        .await;
    assert!(gone.is_err(), "the schedule is deleted");

    // `session-guard revoke --sub alice`, as an operator runs it.
    let output = guard_command(&moto, &dir, &settings)
        .args(["revoke", "--sub", "alice"])
        .output()
        .await
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let revoked: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        revoked,
        json!({"sub": "alice", "ended": [alice_id], "alreadyGone": [], "leftAlone": 0, "failed": 0, "deferred": 0})
    );
    assert_eq!(closed(&mut alice).await, Some(1000));
    // Nobody else's: not the one whose subject is `\u0061lice`.
    for (socket, id) in [
        (&mut bob, &bob_id),
        (&mut carol, &carol_id),
        (&mut escaped, &escaped_id),
        (&mut quoted, &quoted_id),
    ] {
        assert_eq!(gateway.status(id).await, 200);
        assert_eq!(whoami(socket).await.unwrap()["connectionId"], id.as_str());
    }
    // Its own subject finds nothing either: no subject with a backslash is
    // ever filed, and the revoke says so.
    let output = guard_command(&moto, &dir, &settings)
        .args(["revoke", "--sub", r"\u0061lice"])
        .output()
        .await
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("is not a subject") && stderr.contains("backslash"),
        "{stderr}"
    );
    assert_eq!(gateway.status(&escaped_id).await, 200);
    // The quote was read back exactly: its own subject ends it.
    let output = guard_command(&moto, &dir, &settings)
        .args(["revoke", "--sub", r#"o"hara"#])
        .output()
        .await
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        serde_json::from_slice::<Value>(&output.stdout).unwrap(),
        json!({"sub": "o\"hara", "ended": [quoted_id], "alreadyGone": [], "leftAlone": 0,
               "failed": 0, "deferred": 0})
    );
    assert_eq!(closed(&mut quoted).await, Some(1000));
    let listed = scheduler
        .list_schedules()
        .group_name(&group)
        .send()
        .await
        .unwrap();
    let mut left: Vec<&str> = listed.schedules().iter().filter_map(|s| s.name()).collect();
    left.sort_unstable();
    let mut expected = [
        schedule_name("bob", &bob_id).unwrap(),
        schedule_name("carol", &carol_id).unwrap(),
        unattributed,
    ];
    expected.sort_unstable();
    assert_eq!(left, expected);

    // #28.3: a client padding its subprotocol cannot push its subject out
    // of the context: at 3 KB the CONNECT line still carries `sub` and a
    // revoke by subject ends the connection; past the context budget the
    // authorizer refuses the handshake (403) instead of dropping `sub`.
    let padded = format!("chat.{}", "p".repeat(3_000));
    let (mut erin, erin_id) = gateway
        .connect_offering("erin", 600, Some(&padded))
        .await
        .unwrap();
    let line = gateway.line("CONNECT", &erin_id).await;
    let logged: Value = serde_json::from_str(&line).unwrap();
    assert_eq!(logged["sub"], "erin", "{line}");
    let report = guard.handle(delivery(&[&line]), unix_now()).await.unwrap();
    assert_eq!(
        (
            report["scheduled"].as_u64(),
            report["withoutSubject"].as_u64()
        ),
        (Some(1), Some(0))
    );
    let output = guard_command(&moto, &dir, &settings)
        .args(["revoke", "--sub", "erin"])
        .output()
        .await
        .unwrap();
    assert_eq!(
        serde_json::from_slice::<Value>(&output.stdout).unwrap(),
        json!({"sub": "erin", "ended": [erin_id], "alreadyGone": [], "leftAlone": 0,
               "failed": 0, "deferred": 0}),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(closed(&mut erin).await, Some(1000));
    let too_long = format!("chat.{}", "p".repeat(5_000));
    match gateway.connect_offering("erin", 600, Some(&too_long)).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), 403)
        }
        other => panic!("a padded subprotocol past the budget must be refused: {other:?}"),
    }

    // Clock skew: a token that had expired when its line is read is ended
    // at once, and no schedule is made for it.
    let (mut dave, dave_id) = gateway.connect("dave", 600).await;
    let line = gateway.line("CONNECT", &dave_id).await;
    let report = guard
        .handle(delivery(&[&line]), exp_of(&line) + 1)
        .await
        .unwrap();
    assert_eq!(
        (
            report["disconnectedNow"].as_u64(),
            report["scheduled"].as_u64()
        ),
        (Some(1), Some(0))
    );
    assert_eq!(closed(&mut dave).await, Some(1000));

    let _ = std::fs::remove_dir_all(&dir);
}
