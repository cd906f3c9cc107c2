//! The demo identity provider: fresh signing keys at start, OpenID discovery,
//! a JWKS and a token endpoint that mints access tokens.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use serde_json::{json, Value};
use testkit::PrivateKey;

/// The demo client for the OAuth client_credentials grant.
pub const DEMO_CLIENT_ID: &str = "demo-client";
/// Its secret (a demo: printed at start, never use it elsewhere).
pub const DEMO_CLIENT_SECRET: &str = "demo-secret";
/// The audience tokens get unless the request names one.
pub const DEFAULT_AUDIENCE: &str = "ws-local-api";

/// AWS-LC could not sign (it does not happen with a key it generated).
#[derive(Debug)]
pub struct SignError;

impl std::fmt::Display for SignError {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("the token could not be signed")
    }
}

impl std::error::Error for SignError {}

/// A running demo provider's signing key and identity.
pub struct DemoIdp {
    issuer: String,
    alg: &'static str,
    kid: String,
    key: PrivateKey,
    jwks: Value,
}

/// The fields a token request may set.
#[derive(Debug, Default, serde::Deserialize)]
pub struct TokenRequest {
    grant_type: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    sub: Option<String>,
    scope: Option<String>,
    aud: Option<String>,
    /// As sent: a whole number of seconds, checked by [`lifetime`].
    expires_in: Option<Value>,
}

impl DemoIdp {
    /// Generates a key for `alg` (`RS256` or `ES256`) for the issuer `issuer`.
    pub fn new(issuer: String, alg: &str) -> Result<Self, Box<dyn std::error::Error>> {
        let kid = format!("demo-{}-{}", alg.to_lowercase(), unix_now());
        let alg = match alg {
            "RS256" => "RS256",
            "ES256" => "ES256",
            other => return Err(format!("--alg must be RS256 or ES256, got {other}").into()),
        };
        let key =
            PrivateKey::generate(alg).map_err(|_| format!("could not generate an {alg} key"))?;
        let mut public = key.public_jwk();
        public["kid"] = json!(kid);
        public["alg"] = json!(alg);
        public["use"] = json!("sig");
        Ok(DemoIdp {
            issuer,
            alg,
            kid,
            key,
            jwks: json!({ "keys": [public] }),
        })
    }

    /// The issuer URL (`iss` of every token).
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The key set URL.
    pub fn jwks_uri(&self) -> String {
        format!("{}/jwks", self.issuer)
    }

    /// Signs `claims` as a JWT.
    pub fn sign(&self, claims: &Value) -> Result<String, SignError> {
        let header = json!({"alg": self.alg, "typ": "JWT", "kid": self.kid});
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let signature = self
            .key
            .sign(self.alg, input.as_bytes())
            .map_err(|_| SignError)?;
        Ok(format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature)))
    }

    /// An access token for `sub`, valid `expires_in` seconds (negative: it
    /// expired that long ago).
    pub fn mint(
        &self,
        sub: &str,
        scope: &str,
        aud: &str,
        expires_in: i64,
    ) -> Result<String, SignError> {
        let now = unix_now();
        let exp = now.saturating_add_signed(expires_in);
        self.sign(&json!({
            "iss": self.issuer,
            "sub": sub,
            "aud": aud,
            "scope": scope,
            "client_id": DEMO_CLIENT_ID,
            "iat": now,
            "nbf": now,
            "exp": exp,
            "jti": format!("{:x}", rand_id()),
        }))
    }

    /// The provider's routes: discovery, JWKS, token.
    pub fn router(self: Arc<Self>) -> Router {
        Router::new()
            .route("/.well-known/openid-configuration", get(discovery))
            .route("/jwks", get(jwks))
            .route("/token", post(token).options(preflight))
            .with_state(self)
    }
}

async fn discovery(State(idp): State<Arc<DemoIdp>>) -> Json<Value> {
    Json(json!({
        "issuer": idp.issuer,
        "jwks_uri": idp.jwks_uri(),
        "token_endpoint": format!("{}/token", idp.issuer),
        "grant_types_supported": ["client_credentials"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "id_token_signing_alg_values_supported": [idp.alg],
    }))
}

async fn jwks(State(idp): State<Arc<DemoIdp>>) -> Response {
    (
        [(header::CACHE_CONTROL, "max-age=300")],
        Json(idp.jwks.clone()),
    )
        .into_response()
}

/// Browsers on the gateway's origin fetch tokens from here.
fn cors(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        header::HeaderValue::from_static("*"),
    );
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        header::HeaderValue::from_static("authorization, content-type"),
    );
    response
}

async fn preflight() -> Response {
    cors(StatusCode::NO_CONTENT.into_response())
}

/// Form or JSON fields `sub`, `scope`, `aud`, `expires_in`, answered with
/// the token response's JSON, or the token alone for `Accept: text/plain`; with
/// `grant_type=client_credentials` the demo client must authenticate
/// (HTTP Basic or form fields), and the token's subject is the client.
async fn token(State(idp): State<Arc<DemoIdp>>, headers: HeaderMap, body: String) -> Response {
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("application/json"));
    let request: TokenRequest = if is_json {
        serde_json::from_str(&body).unwrap_or_default()
    } else {
        let fields: HashMap<String, String> = url::form_urlencoded::parse(body.as_bytes())
            .into_owned()
            .collect();
        TokenRequest {
            grant_type: fields.get("grant_type").cloned(),
            client_id: fields.get("client_id").cloned(),
            client_secret: fields.get("client_secret").cloned(),
            sub: fields.get("sub").cloned(),
            scope: fields.get("scope").cloned(),
            aud: fields.get("aud").cloned(),
            expires_in: fields.get("expires_in").cloned().map(Value::String),
        }
    };
    let client_credentials = request.grant_type.as_deref() == Some("client_credentials");
    if client_credentials {
        let (id, secret) = basic_credentials(&headers).unwrap_or((
            request.client_id.clone().unwrap_or_default(),
            request.client_secret.clone().unwrap_or_default(),
        ));
        if id != DEMO_CLIENT_ID || secret != DEMO_CLIENT_SECRET {
            return cors(
                (
                    StatusCode::UNAUTHORIZED,
                    Json(json!({"error": "invalid_client"})),
                )
                    .into_response(),
            );
        }
    } else if let Some(grant_type) = &request.grant_type {
        return cors(
            (
                StatusCode::BAD_REQUEST,
                Json(json!({"error": "unsupported_grant_type", "grant_type": grant_type})),
            )
                .into_response(),
        );
    }
    let sub = request.sub.unwrap_or_else(|| {
        if client_credentials {
            DEMO_CLIENT_ID.to_owned()
        } else {
            "demo-user".to_owned()
        }
    });
    let scope = request
        .scope
        .unwrap_or_else(|| "chat:read chat:write".to_owned());
    let aud = request.aud.unwrap_or_else(|| DEFAULT_AUDIENCE.to_owned());
    let expires_in = match lifetime(request.expires_in.as_ref()) {
        Ok(seconds) => seconds,
        Err(description) => {
            return cors(
                (
                    StatusCode::BAD_REQUEST,
                    Json(json!({"error": "invalid_request", "error_description": description})),
                )
                    .into_response(),
            )
        }
    };
    // `Accept: text/plain` (for a shell: `TOKEN=$(curl -H 'Accept: text/plain' …)`)
    // answers with the token alone.
    let plain = headers
        .get(header::ACCEPT)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("text/plain"));
    match idp.mint(&sub, &scope, &aud, expires_in) {
        Ok(token) if plain => cors(
            (
                [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
                format!("{token}\n"),
            )
                .into_response(),
        ),
        Ok(token) => cors(
            Json(json!({
                "access_token": token,
                "token_type": "Bearer",
                "expires_in": expires_in,
                "scope": scope,
            }))
            .into_response(),
        ),
        Err(error) => cors((StatusCode::INTERNAL_SERVER_ERROR, error.to_string()).into_response()),
    }
}

/// The longest lifetime, either way, a demo token gets.
const MAX_LIFETIME_SECONDS: i64 = 86_400;

/// The token's lifetime from the request's `expires_in`: one hour when
/// absent; a whole number of seconds up to a day, either way. A negative
/// one mints a token that expired that long ago, to try a refusal locally
/// (a demo provider does this; a real one never would).
fn lifetime(expires_in: Option<&Value>) -> Result<i64, String> {
    let seconds = match expires_in {
        None => return Ok(3600),
        Some(Value::Number(number)) => number.as_i64(),
        Some(Value::String(text)) => text.trim().parse::<i64>().ok(),
        Some(_) => None,
    };
    match seconds {
        Some(seconds) if seconds.abs() <= MAX_LIFETIME_SECONDS => Ok(seconds),
        Some(_) => Err(format!(
            "expires_in must be between -{MAX_LIFETIME_SECONDS} and {MAX_LIFETIME_SECONDS} seconds"
        )),
        None => Err(format!(
            "expires_in must be a whole number of seconds (negative for a token that has already expired), got {}",
            expires_in.map(Value::to_string).unwrap_or_default()
        )),
    }
}

fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let encoded = value
        .strip_prefix("Basic ")
        .or_else(|| value.strip_prefix("basic "))?;
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    Some((id.to_owned(), secret.to_owned()))
}

/// Seconds since the epoch.
pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs())
        .unwrap_or(0)
}

/// A random-enough id for demo tokens and connection ids.
pub fn rand_id() -> u128 {
    let mut bytes = [0u8; 16];
    if aws_lc_rs::rand::fill(&mut bytes).is_err() {
        return u128::from(unix_now());
    }
    u128::from_le_bytes(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lifetime_is_a_whole_number_of_seconds_up_to_a_day_either_way() {
        for (sent, expected) in [
            (None, Ok(3600)),
            (Some(json!(600)), Ok(600)),
            (Some(json!("600")), Ok(600)),
            (Some(json!("-5")), Ok(-5)),
            (Some(json!(-86_400)), Ok(-86_400)),
            (Some(json!(0)), Ok(0)),
        ] {
            assert_eq!(lifetime(sent.as_ref()), expected, "{sent:?}");
        }
        for (sent, says) in [
            (json!("abc"), "whole number of seconds (negative for a token that has already expired), got \"abc\""),
            (json!(1.5), "whole number of seconds"),
            (json!(""), "whole number of seconds"),
            (json!(true), "whole number of seconds"),
            (json!(86_401), "between -86400 and 86400 seconds"),
            (json!("-100000"), "between -86400 and 86400 seconds"),
        ] {
            let error = lifetime(Some(&sent)).unwrap_err();
            assert!(error.contains(says), "{sent}: {error}");
        }
    }
}
