//! The README's main command, driven from the outside: the local-gateway
//! example is started as a process and a real WebSocket client connects.

use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use tokio::process::Child;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

/// `target/debug/examples/local-gateway`. `cargo test` builds it with the
/// tests, but not when test targets are chosen (`cargo test --test
/// gateway`): then it is built here, once, in the same profile.
fn example_binary() -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            let main_binary = PathBuf::from(env!("CARGO_BIN_EXE_ws-jwt-authorizer"));
            let profile_dir = main_binary.parent().unwrap();
            let example = profile_dir.join("examples/local-gateway");
            if !example.exists() {
                let mut cargo = std::process::Command::new(env!("CARGO"));
                cargo
                    .args(["build", "--quiet", "--example", "local-gateway"])
                    .current_dir(env!("CARGO_MANIFEST_DIR"));
                if profile_dir.ends_with("release") {
                    cargo.arg("--release");
                }
                let status = cargo.status().unwrap();
                assert!(
                    status.success(),
                    "cargo build --example local-gateway: {status}"
                );
            }
            example
        })
        .clone()
}

struct LocalGateway {
    _process: Child,
    websocket_url: String,
    idp_url: String,
}

impl LocalGateway {
    async fn start(args: &[&str], envs: &[(&str, &str)]) -> Self {
        let started = testkit::local_gateway::start(example_binary(), args, envs).await;
        let mut lines = started.stdout;
        // Its decision lines go to the suite-wide log check.
        if let Some(mut file) = testkit::archive::log_file("local-gateway") {
            tokio::spawn(async move {
                while let Ok(Some(line)) = lines.next_line().await {
                    let _ = std::io::Write::write_all(&mut file, format!("{line}\n").as_bytes());
                }
            });
        }
        LocalGateway {
            websocket_url: started.websocket_url,
            idp_url: started.idp_url,
            _process: started.process,
        }
    }

    async fn token(&self, fields: &str) -> String {
        let response = reqwest::Client::new()
            .post(format!("{}/token", self.idp_url))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(fields.to_owned())
            .send()
            .await
            .unwrap();
        let body: Value = serde_json::from_str(&response.text().await.unwrap()).unwrap();
        body["access_token"].as_str().unwrap().to_owned()
    }
}

/// Connects (token in the query or the header), sends `whoami`, returns the reply or the HTTP status.
async fn whoami(
    url: &str,
    query_token: Option<&str>,
    header_token: Option<&str>,
) -> Result<Value, u16> {
    let url = match query_token {
        Some(token) => format!("{url}?authorization={token}"),
        None => url.to_owned(),
    };
    let headers: Vec<(&'static str, String)> = header_token
        .map(|token| ("Authorization", format!("Bearer {token}")))
        .into_iter()
        .collect();
    whoami_with_headers(&url, &headers)
        .await
        .map(|(reply, _)| reply)
}

/// Connects with these request headers, sends `whoami`, returns the reply
/// and the subprotocol the handshake chose, or the HTTP status. Like a
/// browser, the client fails the handshake when it offered subprotocols and
/// the answer names none of them.
async fn whoami_with_headers(
    url: &str,
    headers: &[(&'static str, String)],
) -> Result<(Value, Option<String>), u16> {
    let mut request = url.into_client_request().unwrap();
    for (name, value) in headers {
        request.headers_mut().insert(*name, value.parse().unwrap());
    }
    let (mut socket, response) = match tokio_tungstenite::connect_async(request).await {
        Ok(connected) => connected,
        Err(WsError::Http(response)) => return Err(response.status().as_u16()),
        Err(error) => panic!("connection failed: {error}"),
    };
    assert_eq!(response.status().as_u16(), 101);
    socket.send(Message::text("whoami")).await.unwrap();
    let reply = loop {
        match socket.next().await.unwrap().unwrap() {
            Message::Text(text) => break serde_json::from_str(&text).unwrap(),
            _ => continue,
        }
    };
    socket.send(Message::text("echo me")).await.unwrap();
    let echo = socket.next().await.unwrap().unwrap();
    assert_eq!(echo, Message::text("echo me"));
    let _ = socket.close(None).await;
    let subprotocol = response
        .headers()
        .get("Sec-WebSocket-Protocol")
        .map(|value| value.to_str().unwrap().to_owned());
    Ok((reply, subprotocol))
}

#[tokio::test]
async fn the_local_gateway_answers_like_api_gateway() {
    // No leeway, so a token that expired a second ago is refused at once.
    let gateway = LocalGateway::start(&[], &[("JWT_LEEWAY_SECONDS", "0")]).await;
    let alice = gateway.token("sub=alice&expires_in=600").await;

    let reply = whoami(&gateway.websocket_url, Some(&alice), None)
        .await
        .unwrap();
    assert_eq!(reply["principalId"], "alice");
    assert_eq!(reply["context"]["sub"], "alice");
    assert_eq!(reply["context"]["aud"], "ws-local-api");

    let via_header = whoami(&gateway.websocket_url, None, Some(&alice))
        .await
        .unwrap();
    assert_eq!(via_header["principalId"], "alice");

    assert_eq!(
        whoami(&gateway.websocket_url, None, None).await,
        Err(401),
        "missing token"
    );

    let short = gateway.token("sub=bob&expires_in=1").await;
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(
        whoami(&gateway.websocket_url, Some(&short), None).await,
        Err(401),
        "expired token"
    );

    let other_audience = gateway.token("sub=carol&aud=another-api").await;
    assert_eq!(
        whoami(&gateway.websocket_url, Some(&other_audience), None).await,
        Err(401),
        "wrong audience"
    );

    let service = reqwest::Client::new()
        .post(format!("{}/token", gateway.idp_url))
        .basic_auth("demo-client", Some("demo-secret"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body("grant_type=client_credentials")
        .send()
        .await
        .unwrap();
    let service: Value = serde_json::from_str(&service.text().await.unwrap()).unwrap();
    let service_token = service["access_token"].as_str().unwrap();
    let reply = whoami(&gateway.websocket_url, Some(service_token), None)
        .await
        .unwrap();
    assert_eq!(
        reply["principalId"], "demo-client",
        "client_credentials grant"
    );
}

#[tokio::test]
async fn an_api_outside_authorized_apis_is_a_403() {
    let gateway = LocalGateway::start(
        &[
            "--authorized-apis",
            "arn:aws:execute-api:us-east-1:000000000000:someother1/*",
        ],
        &[],
    )
    .await;
    let token = gateway.token("sub=alice").await;
    assert_eq!(
        whoami(&gateway.websocket_url, Some(&token), None).await,
        Err(403)
    );
}

#[tokio::test]
async fn the_lambda_binary_behind_the_runtime_api_with_es256() {
    let binary = env!("CARGO_BIN_EXE_ws-jwt-authorizer");
    let gateway = LocalGateway::start(&["--lambda-binary", binary, "--alg", "ES256"], &[]).await;
    let token = gateway.token("sub=dave").await;
    let reply = whoami(&gateway.websocket_url, Some(&token), None)
        .await
        .unwrap();
    assert_eq!(reply["principalId"], "dave");
    assert_eq!(
        whoami(&gateway.websocket_url, Some("not-a-token"), None).await,
        Err(401)
    );
}

#[tokio::test]
async fn disconnect_on_expiry_closes_the_connection() {
    let gateway =
        LocalGateway::start(&["--disconnect-on-expiry"], &[("JWT_LEEWAY_SECONDS", "0")]).await;
    let token = gateway.token("sub=erin&expires_in=2").await;
    let url = format!("{}?authorization={token}", gateway.websocket_url);
    let (mut socket, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    let closed = tokio::time::timeout(Duration::from_secs(5), async {
        while let Some(message) = socket.next().await {
            if let Ok(Message::Close(frame)) = message {
                return frame.map(|frame| u16::from(frame.code));
            }
        }
        None
    })
    .await
    .expect("the connection should close when the token expires");
    assert_eq!(closed, Some(1008));
}

#[tokio::test]
async fn a_token_in_the_subprotocol_and_the_protocol_echoed() {
    let gateway = LocalGateway::start(&[], &[]).await;
    let alice = gateway.token("sub=alice&expires_in=600").await;
    let (reply, chosen) = whoami_with_headers(
        &gateway.websocket_url,
        &[("Sec-WebSocket-Protocol", format!("bearer, {alice}"))],
    )
    .await
    .unwrap();
    assert_eq!(reply["principalId"], "alice");
    assert_eq!(reply["context"]["subprotocol"], "bearer");
    assert_eq!(chosen.as_deref(), Some("bearer"));

    let (reply, chosen) = whoami_with_headers(
        &gateway.websocket_url,
        &[(
            "Sec-WebSocket-Protocol",
            format!("chat.v1, base64url.bearer.authorization.{alice}"),
        )],
    )
    .await
    .unwrap();
    assert_eq!(reply["principalId"], "alice");
    assert_eq!(chosen.as_deref(), Some("chat.v1"));

    assert_eq!(
        whoami_with_headers(
            &gateway.websocket_url,
            &[("Sec-WebSocket-Protocol", "bearer, not.a.token".to_owned())],
        )
        .await
        .map(|_| ()),
        Err(401)
    );
}

#[tokio::test]
async fn a_token_in_a_cookie_only_from_an_allowed_origin() {
    let gateway = LocalGateway::start(
        &[],
        &[
            ("TOKEN_SOURCES", "cookie,protocol"),
            ("TOKEN_COOKIE_NAME", "ws_token"),
            ("ALLOWED_ORIGINS", "https://app.example.com"),
        ],
    )
    .await;
    let alice = gateway.token("sub=alice&expires_in=600").await;
    let cookie = format!("theme=dark; ws_token={alice}");
    let (reply, _) = whoami_with_headers(
        &gateway.websocket_url,
        &[
            ("Cookie", cookie.clone()),
            ("Origin", "https://app.example.com".to_owned()),
        ],
    )
    .await
    .unwrap();
    assert_eq!(reply["principalId"], "alice");

    for origin in [Some("https://evil.example.net"), None] {
        let mut headers = vec![("Cookie", cookie.clone())];
        headers.extend(origin.map(|origin| ("Origin", origin.to_owned())));
        assert_eq!(
            whoami_with_headers(&gateway.websocket_url, &headers)
                .await
                .map(|_| ()),
            Err(403),
            "cross-site WebSocket hijacking from {origin:?}"
        );
    }
    let in_query = format!("{}?authorization={alice}", gateway.websocket_url);
    assert_eq!(
        whoami_with_headers(
            &in_query,
            &[("Origin", "https://app.example.com".to_owned())]
        )
        .await
        .map(|_| ()),
        Err(401),
        "the query string is not a source here"
    );
}

/// The Management API (`/{stage}/@connections/{id}`) and the access log,
/// which the session guard's tests run against.
#[tokio::test]
async fn the_management_api_and_the_access_log() {
    let log = std::env::temp_dir().join(format!("access-log-{}.jsonl", std::process::id()));
    let _ = std::fs::remove_file(&log);
    let gateway = LocalGateway::start(&["--access-log", log.to_str().unwrap()], &[]).await;
    let token = gateway.token("sub=mallory&expires_in=600").await;
    let url = format!("{}?authorization={token}", gateway.websocket_url);
    let (mut socket, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    socket.send(Message::text("whoami")).await.unwrap();
    let Some(Ok(Message::Text(reply))) = socket.next().await else {
        panic!("no whoami reply");
    };
    let reply: Value = serde_json::from_str(&reply).unwrap();
    let id = reply["connectionId"].as_str().unwrap().to_owned();
    // Connection ids are base64: `+`, `/` and `=` travel percent-encoded.
    let encoded: String = url::form_urlencoded::byte_serialize(id.as_bytes()).collect();
    let endpoint = format!(
        "{}/@connections/{encoded}",
        gateway.websocket_url.replacen("ws://", "http://", 1)
    );
    let http = reqwest::Client::new();

    let info = http.get(&endpoint).send().await.unwrap();
    assert_eq!(info.status().as_u16(), 200);
    let info: Value = serde_json::from_str(&info.text().await.unwrap()).unwrap();
    assert_eq!(info["identity"]["sourceIp"], "127.0.0.1");
    assert!(info["connectedAt"].as_str().unwrap().ends_with('Z'));

    let posted = http
        .post(&endpoint)
        .body("from the backend")
        .send()
        .await
        .unwrap();
    assert_eq!(posted.status().as_u16(), 200);
    assert_eq!(
        socket.next().await.unwrap().unwrap(),
        Message::text("from the backend")
    );

    let deleted = http.delete(&endpoint).send().await.unwrap();
    assert_eq!(deleted.status().as_u16(), 204);
    let Some(Ok(Message::Close(Some(frame)))) = socket.next().await else {
        panic!("DELETE should close the connection");
    };
    assert_eq!(u16::from(frame.code), 1000);

    for request in [
        http.get(&endpoint),
        http.delete(&endpoint),
        http.post(&endpoint),
    ] {
        let gone = request.send().await.unwrap();
        assert_eq!(gone.status().as_u16(), 410);
        assert_eq!(gone.headers()["x-amzn-ErrorType"], "GoneException");
    }
    let wrong_stage = http
        .delete(endpoint.replacen("/local/", "/other/", 1))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_stage.status().as_u16(), 403);

    // A refused connect is logged too, without authorizer values.
    let refused = format!("{}?authorization=not-a-token", gateway.websocket_url);
    assert!(tokio_tungstenite::connect_async(refused).await.is_err());
    let lines: Vec<Value> = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            if text.lines().count() >= 3 {
                break text
                    .lines()
                    .map(|l| serde_json::from_str(l).unwrap())
                    .collect();
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("three access-log lines");
    let _ = std::fs::remove_file(&log);
    let field = |line: &Value, key: &str| line[key].as_str().unwrap().to_owned();
    assert_eq!(field(&lines[0], "eventType"), "CONNECT");
    assert_eq!(field(&lines[0], "status"), "200");
    assert_eq!(field(&lines[0], "connectionId"), id);
    assert_eq!(field(&lines[0], "sub"), "mallory");
    assert_eq!(field(&lines[0], "principalId"), "mallory");
    assert_eq!(field(&lines[0], "exp"), reply["context"]["exp"].to_string());
    assert!(field(&lines[0], "requestTime").ends_with(" +0000"));
    assert_eq!(field(&lines[1], "eventType"), "DISCONNECT");
    assert_eq!(field(&lines[1], "connectionId"), id);
    assert_eq!(field(&lines[1], "sub"), "mallory");
    assert_eq!(field(&lines[2], "eventType"), "CONNECT");
    assert_ne!(field(&lines[2], "status"), "200");
    assert_eq!(field(&lines[2], "sub"), "-");
    assert_eq!(field(&lines[2], "exp"), "-");
}
