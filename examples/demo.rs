//! Runs the authorizer locally with no AWS account and no network: a fresh
//! key pair's public half is the inline key set (`JWKS_JSON`), tokens are
//! minted with its private half, and sample `$connect` events show each
//! decision and what API Gateway answers.
//!
//! ```text
//! cargo run --example demo
//! ```

use std::time::{SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{json, Value};
use testkit::PrivateKey;
use ws_jwt_authorizer::error::Outcome;
use ws_jwt_authorizer::{Authorizer, Config, ConnectEvent};

const ISSUER: &str = "https://demo-idp.local";
const AUDIENCE: &str = "demo-websocket-api";
const METHOD_ARN: &str = "arn:aws:execute-api:eu-west-1:123456789012:demo123456/prod/$connect";

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let generate = || PrivateKey::generate("RS256").map_err(|_| "could not generate a key");
    let signer = generate()?;
    let mut public = signer.public_jwk();
    public["kid"] = json!("demo-key-1");
    public["use"] = json!("sig");
    public["alg"] = json!("RS256");
    let key_set = json!({ "keys": [public] }).to_string();
    let forger = generate()?;

    let variables = [
        ("JWKS_JSON", key_set.as_str()),
        ("JWT_AUTHORIZED_AUDIENCES", AUDIENCE),
        ("JWT_ISSUER", ISSUER),
        ("METRICS_ENABLED", "false"),
        (
            "AUTHORIZED_APIS",
            "arn:aws:execute-api:eu-west-1:123456789012:demo123456/*",
        ),
    ];
    println!("Demo identity provider: an inline key set with one RS256 key");
    println!("Authorizer configuration:");
    for (name, value) in variables {
        // The key set is a long line of base64: its name says enough.
        let value = if name == "JWKS_JSON" {
            "{\"keys\":[…]}"
        } else {
            value
        };
        println!("  {name}={value}");
    }
    let config = Config::from_lookup(|name| {
        variables
            .iter()
            .find(|(key, _)| *key == name)
            .map(|(_, value)| (*value).to_owned())
    })?;
    let authorizer = Authorizer::new(config)?;

    let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs();
    let claims = json!({
        "iss": ISSUER, "sub": "alice", "aud": AUDIENCE, "iat": now, "exp": now + 3600,
        "scope": "chat:read chat:write", "client_id": "demo-web-app",
    });
    let with = |changes: Value| {
        let mut changed = claims.clone();
        for (name, value) in changes.as_object().into_iter().flatten() {
            changed[name] = value.clone();
        }
        changed
    };
    let valid = mint(&signer, "demo-key-1", &claims)?;
    println!("\nA valid token (exp in one hour):\n{valid}\n");

    let samples: Vec<(&str, ConnectEvent)> = vec![
        (
            "valid token in the query string",
            event(Some(&valid), None, METHOD_ARN),
        ),
        (
            "valid token in the Authorization header",
            event(None, Some(&format!("Bearer {valid}")), METHOD_ARN),
        ),
        ("no token", event(None, None, METHOD_ARN)),
        (
            "expired token",
            event(
                Some(&mint(
                    &signer,
                    "demo-key-1",
                    &with(json!({"exp": now - 3600})),
                )?),
                None,
                METHOD_ARN,
            ),
        ),
        (
            "wrong audience",
            event(
                Some(&mint(
                    &signer,
                    "demo-key-1",
                    &with(json!({"aud": "another-api"})),
                )?),
                None,
                METHOD_ARN,
            ),
        ),
        (
            "signed by another key",
            event(
                Some(&mint(&forger, "demo-key-1", &claims)?),
                None,
                METHOD_ARN,
            ),
        ),
        (
            "unknown kid",
            event(
                Some(&mint(&signer, "rotated-away", &claims)?),
                None,
                METHOD_ARN,
            ),
        ),
        (
            "valid token, API not in AUTHORIZED_APIS",
            event(
                Some(&valid),
                None,
                "arn:aws:execute-api:eu-west-1:123456789012:other98765/prod/$connect",
            ),
        ),
    ];
    for (name, sample) in samples {
        println!("── {name}");
        match authorizer.authorize(&sample).await {
            Ok(response) => {
                let response = serde_json::to_value(&response)?;
                let effect = &response["policyDocument"]["Statement"][0]["Effect"];
                let status = if effect == "Allow" {
                    "101 Switching Protocols"
                } else {
                    "403 Forbidden"
                };
                println!("   policy {effect}: client sees {status}");
                println!("   {}", serde_json::to_string(&response)?);
            }
            Err(error) => {
                let status = match error.refusal.outcome() {
                    Outcome::Unauthorized => "401 Unauthorized",
                    Outcome::Deny => "403 Forbidden",
                    Outcome::Error => "500 Internal Server Error",
                };
                println!(
                    "   error {:?} (reason {}): client sees {status}",
                    error.to_string(),
                    error.refusal.code()
                );
            }
        }
    }
    Ok(())
}

fn mint(
    signer: &PrivateKey,
    kid: &str,
    claims: &Value,
) -> Result<String, Box<dyn std::error::Error>> {
    let header = json!({"alg": "RS256", "typ": "JWT", "kid": kid});
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let signature = signer
        .sign("RS256", input.as_bytes())
        .map_err(|_| "could not sign")?;
    Ok(format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature)))
}

/// A `$connect` event shaped like API Gateway's.
fn event(query: Option<&str>, header: Option<&str>, method_arn: &str) -> ConnectEvent {
    let mut event = json!({
        "type": "REQUEST",
        "methodArn": method_arn,
        "headers": {"Host": "demo123456.execute-api.eu-west-1.amazonaws.com", "Sec-WebSocket-Version": "13"},
        "queryStringParameters": null,
        "requestContext": {
            "routeKey": "$connect", "eventType": "CONNECT", "connectionId": "demo-connection",
            "requestId": "demo-request", "apiId": "demo123456", "stage": "prod",
            "domainName": "demo123456.execute-api.eu-west-1.amazonaws.com",
            "identity": {"sourceIp": "127.0.0.1"}
        }
    });
    if let Some(token) = query {
        event["queryStringParameters"] = json!({ "authorization": token });
    }
    if let Some(value) = header {
        event["headers"]["Authorization"] = json!(value);
    }
    serde_json::from_value(event).unwrap_or_default()
}
