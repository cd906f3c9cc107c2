//! The README's main command, driven from the outside: the local-gateway
//! example is started as a process, a real WebSocket client connects, and
//! an HTTP client calls the HTTP API beside it.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
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
    http_url: String,
    idp_url: String,
    /// Its standard output after the ready line: the authorizer's decision
    /// lines and the HTTP API's line for each request.
    output: Arc<Mutex<Vec<String>>>,
}

/// What the HTTP API answered one request, and what the gateway wrote
/// about it.
#[derive(Debug)]
struct Called {
    status: u16,
    body: Value,
    /// The `fields` of the authorizer's decision line for this request
    /// (by its `request_id`), if the authorizer was called.
    decision: Option<Value>,
    /// The gateway's own line for it.
    line: String,
}

impl LocalGateway {
    async fn start(args: &[&str], envs: &[(&str, &str)]) -> Self {
        let started = testkit::local_gateway::start(example_binary(), args, envs).await;
        let mut lines = started.stdout;
        let output = Arc::new(Mutex::new(Vec::new()));
        let collected = output.clone();
        // Its decision lines go to the suite-wide log check too.
        let mut archive = testkit::archive::log_file("local-gateway");
        tokio::spawn(async move {
            while let Ok(Some(line)) = lines.next_line().await {
                if let Some(file) = &mut archive {
                    let _ = std::io::Write::write_all(file, format!("{line}\n").as_bytes());
                }
                collected.lock().unwrap().push(line);
            }
        });
        LocalGateway {
            websocket_url: started.websocket_url,
            http_url: started.http_url,
            idp_url: started.idp_url,
            _process: started.process,
            output,
        }
    }

    /// Calls the HTTP API, `Authorization: Bearer {token}` when a token is
    /// given, and reads the gateway's output up to its line for the
    /// request (which follows the authorizer's decision line).
    async fn call(&self, method: &str, path: &str, token: Option<&str>) -> Called {
        let mut request = testkit::http_client()
            .request(method.parse().unwrap(), format!("{}{path}", self.http_url));
        if let Some(token) = token {
            request = request.header("Authorization", format!("Bearer {token}"));
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let request_id = response.headers()["apigw-requestid"]
            .to_str()
            .unwrap()
            .to_owned();
        let body = serde_json::from_str(&response.text().await.unwrap()).unwrap();
        let ours = format!("request_id {request_id})");
        let output = tokio::time::timeout(Duration::from_secs(5), async {
            loop {
                {
                    let output = self.output.lock().unwrap();
                    if let Some(end) = output.iter().position(|line| line.ends_with(&ours)) {
                        break output[..=end].to_vec();
                    }
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
        .await
        .unwrap_or_else(|_| panic!("no line of the gateway for {method} {path} ({request_id})"));
        let decisions: Vec<Value> = output
            .iter()
            .filter_map(|line| serde_json::from_str::<Value>(line).ok())
            .map(|record| record["fields"].clone())
            .filter(|fields| fields["message"] == "decision" && fields["request_id"] == request_id)
            .collect();
        assert!(decisions.len() <= 1, "{decisions:?}");
        Called {
            status,
            body,
            decision: decisions.into_iter().next(),
            line: output.last().unwrap().clone(),
        }
    }

    /// The token endpoint's status and JSON answer.
    async fn token_response(&self, fields: &str) -> (u16, Value) {
        let response = testkit::http_client()
            .post(format!("{}/token", self.idp_url))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(fields.to_owned())
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (
            status,
            serde_json::from_str(&response.text().await.unwrap()).unwrap(),
        )
    }

    async fn token(&self, fields: &str) -> String {
        let response = testkit::http_client()
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

    // The demo provider mints an expired token on request (a negative
    // expires_in), and refuses an expires_in that is not a number.
    let expired = gateway.token("sub=bob&expires_in=-5").await;
    assert_eq!(
        whoami(&gateway.websocket_url, Some(&expired), None).await,
        Err(401),
        "expired token"
    );
    for bad in ["abc", "1.5", "86401"] {
        let (status, body) = gateway
            .token_response(&format!("sub=bob&expires_in={bad}"))
            .await;
        assert_eq!(status, 400, "{bad}: {body}");
        assert_eq!(body["error"], "invalid_request", "{bad}");
        assert!(
            body["error_description"]
                .as_str()
                .unwrap()
                .contains("expires_in"),
            "{body}"
        );
    }

    let other_audience = gateway.token("sub=carol&aud=another-api").await;
    assert_eq!(
        whoami(&gateway.websocket_url, Some(&other_audience), None).await,
        Err(401),
        "wrong audience"
    );

    let service = testkit::http_client()
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
    let http = testkit::http_client();

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

/// The claims of `token`, unverified.
fn claims(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

/// `token` with its claims changed and its signature kept.
fn forged(token: &str, change: impl FnOnce(&mut Value)) -> String {
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    let mut payload = claims(token);
    change(&mut payload);
    parts[1] = URL_SAFE_NO_PAD.encode(payload.to_string());
    parts.join(".")
}

/// A refusal of the authorizer on the HTTP API: 403 (an HTTP API has no 401
/// from its authorizer), with the reason in its decision line, and the
/// gateway's line saying it refused.
fn assert_refused(called: &Called, reason: &str, what: &str) {
    assert_eq!(called.status, 403, "{what}: {}", called.line);
    assert_eq!(called.body, json!({"message": "Forbidden"}), "{what}");
    let decision = called
        .decision
        .as_ref()
        .unwrap_or_else(|| panic!("{what}: no decision line"));
    assert_eq!(
        (
            &decision["decision"],
            &decision["reason"],
            &decision["api_type"]
        ),
        (&json!("deny"), &json!(reason), &json!("http")),
        "{what}"
    );
    assert!(
        called
            .line
            .contains(": 403 Forbidden: the authorizer refused"),
        "{what}: {}",
        called.line
    );
}

/// A 401 of the gateway itself: no identity source, no authorizer call.
fn assert_not_authorized_without_the_authorizer(called: &Called, what: &str) {
    assert_eq!(called.status, 401, "{what}: {}", called.line);
    assert_eq!(called.body, json!({"message": "Unauthorized"}), "{what}");
    assert_eq!(called.decision, None, "{what}: the authorizer was called");
    assert!(
        called.line.contains(
            ": 401 Unauthorized: no Authorization header, the authorizer's identity source ($request.header.Authorization); the authorizer was not called"
        ),
        "{what}: {}",
        called.line
    );
}

/// The HTTP API beside the WebSocket API, as the README's walkthrough
/// shows it with curl: the same authorizer, called with a payload 2.0
/// event, answering with IAM policies; `GET /orders/{id}` needs the scope
/// `orders:read` (the demo's `ROUTE_SCOPES`).
#[tokio::test]
async fn the_http_api_answers_like_api_gateway_and_says_why() {
    let gateway = LocalGateway::start(
        &[],
        &[
            ("JWT_LEEWAY_SECONDS", "0"),
            ("AWS_LAMBDA_LOG_FORMAT", "JSON"),
        ],
    )
    .await;
    let reader = gateway
        .token("sub=alice&scope=orders:read&expires_in=600")
        .await;
    let chatter = gateway
        .token("sub=bob&scope=chat:read&expires_in=600")
        .await;

    let order = gateway.call("GET", "/orders/42", Some(&reader)).await;
    assert_eq!(order.status, 200, "{}", order.line);
    assert_eq!(
        order.body,
        json!({
            "routeKey": "GET /orders/{id}",
            "pathParameters": {"id": "42"},
            "principalId": "alice",
            "authorizer": {"lambda": {
                "sub": "alice",
                "iss": gateway.idp_url,
                "aud": "ws-local-api",
                "exp": claims(&reader)["exp"],
                "scope": "orders:read",
                "client_id": "demo-client",
            }},
        })
    );
    let decision = order.decision.unwrap();
    assert_eq!(
        (
            &decision["decision"],
            &decision["reason"],
            &decision["api_type"],
            &decision["sub"]
        ),
        (
            &json!("allow"),
            &json!("allowed"),
            &json!("http"),
            &json!("alice")
        )
    );
    assert!(
        order
            .line
            .contains(": 200 OK: allowed principal alice, the route's integration answers"),
        "{}",
        order.line
    );

    // A route no scope guards: any valid token.
    let whoami = gateway.call("GET", "/whoami", Some(&chatter)).await;
    assert_eq!(whoami.status, 200, "{}", whoami.line);
    assert_eq!(whoami.body["principalId"], "bob");
    assert_eq!(whoami.body["routeKey"], "GET /whoami");
    assert_eq!(whoami.body["pathParameters"], json!({}));
    assert_eq!(whoami.body["authorizer"]["lambda"]["sub"], "bob");

    // No identity source: 401 from API Gateway itself; a token in the query
    // string is not the identity source.
    let bare = gateway.call("GET", "/orders/42", None).await;
    assert_not_authorized_without_the_authorizer(&bare, "no Authorization header");
    let in_query = gateway
        .call("GET", &format!("/whoami?authorization={reader}"), None)
        .await;
    assert_not_authorized_without_the_authorizer(&in_query, "a token in the query string");

    assert_refused(
        &gateway.call("GET", "/orders/42", Some(&chatter)).await,
        "missing_route_scope",
        "a token without the route's scope",
    );
    let escalated = forged(&chatter, |claims| {
        claims["scope"] = json!("orders:read");
    });
    assert_refused(
        &gateway.call("GET", "/orders/42", Some(&escalated)).await,
        "bad_signature",
        "a forged token (the scope added, the signature kept)",
    );
    assert_refused(
        &gateway.call("GET", "/whoami", Some("not-a-token")).await,
        "malformed_token",
        "not a token",
    );
    let short = gateway.token("sub=carol&expires_in=1").await;
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_refused(
        &gateway.call("GET", "/whoami", Some(&short)).await,
        "expired",
        "an expired token",
    );

    // No route: 404, whatever the token; the authorizer is not called.
    for (method, path) in [("GET", "/orders"), ("POST", "/orders/42")] {
        let missing = gateway.call(method, path, Some(&reader)).await;
        assert_eq!(missing.status, 404, "{method} {path}");
        assert_eq!(missing.body, json!({"message": "Not Found"}));
        assert_eq!(missing.decision, None, "{method} {path}");
    }
}

/// The same HTTP API with simple responses (`SIMPLE_RESPONSES=true`, the
/// API's `enableSimpleResponses`), decided by the compiled Lambda binary;
/// the WebSocket API beside it still gets IAM policies from it.
#[tokio::test]
async fn the_http_api_with_simple_responses_from_the_lambda_binary() {
    let binary = env!("CARGO_BIN_EXE_ws-jwt-authorizer");
    let gateway = LocalGateway::start(
        &["--lambda-binary", binary],
        &[
            ("SIMPLE_RESPONSES", "true"),
            ("AWS_LAMBDA_LOG_FORMAT", "JSON"),
        ],
    )
    .await;
    let reader = gateway
        .token("sub=dave&scope=orders:read&expires_in=600")
        .await;
    let chatter = gateway
        .token("sub=erin&scope=chat:read&expires_in=600")
        .await;

    let order = gateway.call("GET", "/orders/7", Some(&reader)).await;
    assert_eq!(order.status, 200, "{}", order.line);
    assert_eq!(order.body["routeKey"], "GET /orders/{id}");
    assert_eq!(order.body["pathParameters"], json!({"id": "7"}));
    assert_eq!(
        order.body.get("principalId"),
        None,
        "a simple response has no principal"
    );
    assert_eq!(order.body["authorizer"]["lambda"]["sub"], "dave");
    assert_eq!(order.decision.unwrap()["reason"], "allowed");

    assert_refused(
        &gateway.call("GET", "/orders/7", Some(&chatter)).await,
        "missing_route_scope",
        "a token without the route's scope",
    );
    assert_refused(
        &gateway.call("GET", "/whoami", Some("not-a-token")).await,
        "malformed_token",
        "not a token",
    );
    assert_not_authorized_without_the_authorizer(
        &gateway.call("GET", "/whoami", None).await,
        "no Authorization header",
    );

    let reply = whoami(&gateway.websocket_url, Some(&reader), None)
        .await
        .unwrap();
    assert_eq!(reply["principalId"], "dave");
}

/// Keys that cannot be had are an outage: a 500, never a refusal that
/// tells the client to drop its token.
#[tokio::test]
async fn an_outage_is_a_500_on_the_http_api() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let issuer = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let jwks_uri = format!("{issuer}/jwks");
    let gateway = LocalGateway::start(
        &["--issuer", &issuer, "--jwks-uri", &jwks_uri],
        &[("AWS_LAMBDA_LOG_FORMAT", "JSON")],
    )
    .await;
    let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"RS256","typ":"JWT","kid":"k1"}"#);
    let payload = URL_SAFE_NO_PAD.encode(json!({"sub": "frank", "iss": issuer}).to_string());
    let token = format!("{header}.{payload}.c2lnbmF0dXJl");
    let called = gateway.call("GET", "/whoami", Some(&token)).await;
    assert_eq!(called.status, 500, "{}", called.line);
    assert_eq!(called.body, json!({"message": "Internal Server Error"}));
    let decision = called.decision.unwrap();
    assert_eq!(
        (&decision["decision"], &decision["reason"]),
        (&json!("error"), &json!("jwks_unavailable"))
    );
    assert!(
        called
            .line
            .contains(": 500 Internal Server Error: the authorizer failed"),
        "{}",
        called.line
    );
}
