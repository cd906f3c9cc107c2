//! The defects the differential run against PyJWT and aws-jwt-verify found
//! (issue #19), and Keycloak's `azp` rule (issue #16), each through the
//! compiled binary behind the Runtime API emulator, with the reason code it
//! logs.

use crate::AUTHORIZER;
use serde_json::{json, Value};
use testkit::function::{decision_lines, start_function, stop_and_read_logs};
use testkit::runtime_api::{Answer, RuntimeApi};
use testkit::*;

/// The binary with the key set of `keys` on loopback and `vars`.
async fn function_with(
    keys: &[&SigningKey],
    vars: &[(&str, &str)],
) -> (RuntimeApi, tokio::process::Child, KeyServer) {
    let server = KeyServer::start(&jwks(keys)).await;
    let api = RuntimeApi::start().await;
    let mut all = vec![
        ("JWT_ISSUER_JWKS_URI", server.url.as_str()),
        ("METRICS_ENABLED", "false"),
    ];
    all.extend_from_slice(vars);
    let child = start_function(AUTHORIZER, &api, &all);
    (api, child, server)
}

/// The principal of an Allow, or `None` for a refusal (401).
async fn principal(api: &RuntimeApi, token: &str) -> Option<String> {
    match api.invoke(&query_event_json(token)).await {
        Answer::Response(response) => {
            assert_eq!(
                response["policyDocument"]["Statement"][0]["Effect"], "Allow",
                "{response}"
            );
            Some(response["principalId"].as_str().unwrap().to_owned())
        }
        Answer::Error(error) => {
            assert_eq!(error["errorType"], "Unauthorized");
            None
        }
    }
}

/// The reason codes of the function's decision lines, in order.
async fn reasons(child: tokio::process::Child) -> Vec<String> {
    let logs = stop_and_read_logs(child).await;
    decision_lines(&logs)
        .iter()
        .map(|line| line["fields"]["reason"].as_str().unwrap().to_owned())
        .collect()
}

fn standard_vars() -> Vec<(&'static str, &'static str)> {
    vec![
        ("JWT_AUTHORIZED_AUDIENCES", AUDIENCE),
        ("JWT_ISSUER", ISSUER),
    ]
}

/// RFC 7519 §4.1.2: `sub` is a string. A number was written out and became
/// the principal, the same one as the string of its digits.
#[tokio::test]
async fn a_numeric_principal_claim_is_refused() {
    let key = SigningKey::shared("RS256");
    let (api, child, _server) = function_with(&[key], &standard_vars()).await;
    let numeric = key.sign(&claims_with(json!({"sub": 123})));
    let string = key.sign(&claims_with(json!({"sub": "123"})));
    let float = key.sign(&claims_with(json!({"sub": 1.5})));
    assert_eq!(principal(&api, &numeric).await, None);
    assert_eq!(principal(&api, &string).await.as_deref(), Some("123"));
    assert_eq!(principal(&api, &float).await, None);
    assert_eq!(
        reasons(child).await,
        ["missing_principal", "allowed", "missing_principal"]
    );
}

/// RFC 7519 §4.1.3: `aud` is a string or an array of strings. An array with
/// another member is malformed even when one of its strings is accepted.
#[tokio::test]
async fn an_audience_array_with_a_non_string_member_is_refused() {
    let key = SigningKey::shared("RS256");
    let (api, child, _server) = function_with(&[key], &standard_vars()).await;
    let mut answers = Vec::new();
    for aud in [
        json!([AUDIENCE, 1]),
        json!([AUDIENCE, null]),
        json!([{"aud": AUDIENCE}, AUDIENCE]),
        json!([AUDIENCE, [AUDIENCE]]),
        json!(["other", AUDIENCE]),
    ] {
        let token = key.sign(&claims_with(json!({ "aud": aud })));
        answers.push(principal(&api, &token).await);
    }
    assert_eq!(
        answers,
        [None, None, None, None, Some("user-123".to_owned())]
    );
    assert_eq!(
        reasons(child).await,
        [
            "wrong_audience",
            "wrong_audience",
            "wrong_audience",
            "wrong_audience",
            "allowed"
        ]
    );
}

/// A token of `key` whose signature starts with a zero byte (RSA signatures
/// are as long as the modulus, so about one in 256 does): PSS signing is
/// randomised, so signing again with another `jti` gives another signature.
fn token_with_leading_zero_signature(key: &SigningKey) -> String {
    (0..5_000)
        .map(|jti| key.sign(&claims_with(json!({ "jti": format!("zero-{jti}") }))))
        .find(|token| {
            let signature = token.rsplit('.').next().unwrap();
            base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, signature)
                .unwrap()[0]
                == 0
        })
        .expect("no signature with a leading zero byte in 5 000")
}

/// The same token with the signature's leading zero byte removed.
fn strip_leading_zero(token: &str) -> String {
    use base64::Engine;
    let (input, signature) = token.rsplit_once('.').unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(signature)
        .unwrap();
    assert_eq!((bytes.len(), bytes[0]), (256, 0));
    format!("{input}.{}", b64(&bytes[1..]))
}

/// RFC 8017 §8.1.2 step 1: an RSASSA-PSS signature is exactly as long as the
/// modulus; one byte short (its leading zero dropped) is a second encoding
/// of the same signature, which RS256 already refused and PS256 accepted.
#[tokio::test]
async fn an_rsa_signature_one_byte_short_is_refused_for_pss_as_for_pkcs1() {
    let pss = SigningKey::shared("PS256");
    let pkcs1 = SigningKey::shared("RS256");
    let (api, child, _server) = function_with(&[pss, pkcs1], &standard_vars()).await;
    let mut answers = Vec::new();
    for key in [pss, pkcs1] {
        let token = token_with_leading_zero_signature(key);
        answers.push(principal(&api, &token).await.is_some());
        answers.push(principal(&api, &strip_leading_zero(&token)).await.is_some());
    }
    assert_eq!(answers, [true, false, true, false]);
    assert_eq!(
        reasons(child).await,
        ["allowed", "bad_signature", "allowed", "bad_signature"]
    );
}

const REALM: &str = "https://sso.example.com/realms/chat";

/// With the Keycloak preset, `azp` names the audience only when `aud` names
/// no other API: Keycloak's tokens carry `aud: account` (its account
/// console) or none, and `azp` the client; a token whose `aud` names
/// another API was issued for that API, whoever asked for it.
#[tokio::test]
async fn keycloak_azp_is_the_audience_only_when_aud_names_no_other_api() {
    let key = SigningKey::shared("RS256");
    let (api, child, _server) = function_with(
        &[key],
        &[
            ("JWT_PROVIDER", &format!("keycloak:{REALM}")),
            ("JWT_AUTHORIZED_AUDIENCES", "chat-frontend"),
        ],
    )
    .await;
    let token = |aud: Value| {
        let now = now();
        let mut claims = json!({
            "iss": REALM, "sub": "kc-1", "azp": "chat-frontend",
            "iat": now, "exp": now + 600,
        });
        if !aud.is_null() {
            claims["aud"] = aud;
        }
        key.sign(&claims)
    };
    let mut answers = Vec::new();
    for aud in [
        json!("billing-api"),
        json!(["account", "billing-api"]),
        json!("account"),
        json!(["account"]),
        Value::Null,
        json!(["chat-frontend", "billing-api"]),
    ] {
        answers.push(principal(&api, &token(aud)).await.is_some());
    }
    assert_eq!(answers, [false, false, true, true, true, true]);
    assert_eq!(
        reasons(child).await,
        [
            "wrong_audience",
            "wrong_audience",
            "allowed",
            "allowed",
            "allowed",
            "allowed"
        ]
    );
}

/// RFC 7515 §4 and RFC 8259 §8.1: the header is UTF-8 JSON. serde_json
/// checked the UTF-8 of the header members it kept, not of those it skipped,
/// so invalid bytes in a member nobody reads passed (PyJWT refuses them; the
/// payload was already refused).
#[tokio::test]
async fn a_header_that_is_not_utf8_is_refused() {
    let key = SigningKey::shared("ES256");
    let (api, child, _server) = function_with(&[key], &standard_vars()).await;
    let header = |x: &[u8]| {
        let mut bytes = format!(r#"{{"alg":"ES256","kid":"{}","x":""#, key.kid).into_bytes();
        bytes.extend_from_slice(x);
        bytes.extend_from_slice(br#""}"#);
        bytes
    };
    let claims = valid_claims().to_string();
    let signer = key.signer();
    let mut answers = Vec::new();
    for x in [&b"caf\xc3\xa9"[..], b"caf\xc3", b"\xff", b"\xed\xa0\x80"] {
        let token = sign_raw(&*signer, &header(x), claims.as_bytes());
        answers.push(principal(&api, &token).await.is_some());
    }
    assert_eq!(answers, [true, false, false, false]);
    assert_eq!(
        reasons(child).await,
        [
            "allowed",
            "malformed_token",
            "malformed_token",
            "malformed_token"
        ]
    );
}
