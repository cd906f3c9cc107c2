//! Connects to a WebSocket API protected by ws-jwt-authorizer with the token
//! in the `Authorization` header, sends `whoami`, prints the answer, and
//! stays connected: after a drop it reconnects with backoff, fetching a fresh
//! token first when its own has expired.
//!
//! ```text
//! WS_URL=wss://…/prod TOKEN=eyJ… cargo run --release
//! cargo run -- --url ws://127.0.0.1:8080/local --token-url http://127.0.0.1:8081/token --once
//! ```

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

struct Options {
    url: String,
    token: Option<String>,
    token_url: Option<String>,
    max_connections: usize,
}

enum Outcome {
    Done,
    Dropped,
    Refused,
}

fn options() -> Result<Options, String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let value = |name: &str| {
        args.iter()
            .position(|arg| arg == name)
            .and_then(|index| args.get(index + 1).cloned())
    };
    let url = value("--url")
        .or_else(|| std::env::var("WS_URL").ok())
        .ok_or("set WS_URL (or --url) to the WebSocket API's URL")?;
    let max_connections = if args.iter().any(|arg| arg == "--once") {
        1
    } else {
        value("--max-connections")
            .map(|n| {
                n.parse()
                    .map_err(|_| format!("--max-connections: not a number: {n}"))
            })
            .transpose()?
            .unwrap_or(usize::MAX)
    };
    Ok(Options {
        url,
        token: value("--token").or_else(|| std::env::var("TOKEN").ok()),
        token_url: value("--token-url").or_else(|| std::env::var("TOKEN_URL").ok()),
        max_connections,
    })
}

fn meaning(status: u16) -> &'static str {
    match status {
        401 => "missing, invalid or expired token",
        403 => "the token is valid but not allowed to connect to this API",
        500 => "the authorizer failed (is the identity provider's key set reachable?)",
        _ => "unexpected status",
    }
}

fn expired(token: &str) -> bool {
    let exp = token
        .split('.')
        .nth(1)
        .and_then(|payload| URL_SAFE_NO_PAD.decode(payload).ok())
        .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).ok())
        .and_then(|claims| claims["exp"].as_u64());
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    exp.is_some_and(|exp| exp <= now)
}

async fn fresh_token(token_url: &str) -> Result<String, String> {
    let response = reqwest::Client::new()
        .post(token_url)
        .header("Content-Type", "application/json")
        .body(r#"{"sub":"rust-client"}"#)
        .send()
        .await
        .map_err(|error| format!("token endpoint: {error}"))?;
    let body: Value =
        serde_json::from_str(&response.text().await.map_err(|error| error.to_string())?)
            .map_err(|error| format!("token endpoint: {error}"))?;
    body["access_token"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| format!("token endpoint answered {body}"))
}

async fn connect_once(
    options: &Options,
    token: &str,
    answers: &mut usize,
) -> Result<Outcome, String> {
    let mut request = options
        .url
        .as_str()
        .into_client_request()
        .map_err(|error| error.to_string())?;
    let bearer = format!("Bearer {token}")
        .parse()
        .map_err(|_| "the token is not a valid header value")?;
    request.headers_mut().insert("Authorization", bearer);
    let mut socket = match tokio_tungstenite::connect_async(request).await {
        Ok((socket, _)) => socket,
        Err(WsError::Http(response)) => {
            let status = response.status();
            eprintln!(
                "refused: {} {} ({})",
                status.as_u16(),
                status.canonical_reason().unwrap_or(""),
                meaning(status.as_u16())
            );
            return Ok(Outcome::Refused);
        }
        Err(error) => {
            eprintln!("connection failed: {error}");
            return Ok(Outcome::Dropped);
        }
    };
    socket
        .send(Message::text("whoami"))
        .await
        .map_err(|error| error.to_string())?;
    while let Some(message) = socket.next().await {
        match message {
            Ok(Message::Text(text)) => {
                println!("{text}");
                *answers += 1;
                if *answers >= options.max_connections {
                    let _ = socket.close(None).await;
                    return Ok(Outcome::Done);
                }
            }
            Ok(Message::Close(_)) | Err(_) => break,
            Ok(_) => {}
        }
    }
    Ok(Outcome::Dropped)
}

async fn run() -> Result<i32, String> {
    let mut options = options()?;
    let mut answers = 0;
    let mut delay = Duration::from_secs(1);
    loop {
        let stale = options.token.as_deref().is_none_or(expired);
        if let (true, Some(token_url)) = (stale, &options.token_url) {
            options.token = Some(fresh_token(token_url).await?);
            eprintln!("fetched a fresh token");
        }
        let token = options.token.clone().unwrap_or_default();
        match connect_once(&options, &token, &mut answers).await? {
            Outcome::Done => return Ok(0),
            Outcome::Refused if !(options.token_url.is_some() && expired(&token)) => return Ok(1),
            Outcome::Refused | Outcome::Dropped => {}
        }
        eprintln!("reconnecting in {} s", delay.as_secs());
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_secs(30));
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    match run().await {
        Ok(code) => std::process::exit(code),
        Err(error) => {
            eprintln!("error: {error}");
            std::process::exit(2);
        }
    }
}
