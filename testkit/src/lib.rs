//! The test kit: what the authorizer's tests, benches, the local gateway
//! and the session guard's tests share. Signing keys and tokens, a loopback
//! key server whose answers a test changes (including the misbehaving ones:
//! stalls, dripping bodies, wrong lengths), the real-shaped `$connect`
//! events, a Lambda Runtime API emulator, and starting the compiled binary
//! behind it.
//!
//! A workspace member of its own, so that every user links one copy instead
//! of compiling the same files into each test binary.

pub mod archive;
pub mod function;
pub mod http;
pub mod local_gateway;
pub mod runtime_api;
pub mod signing;
pub mod tls;

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{json, Value};
use ws_jwt_authorizer::{Config, ConnectEvent};

use http::{Reply, Request};
pub use signing::{der_element, ecdsa_der, HmacSigner, JwsSigner, KeySigner, PrivateKey};

pub const AUDIENCE: &str = "api://websocket";
pub const ISSUER: &str = "https://issuer.test";
pub const METHOD_ARN: &str = "arn:aws:execute-api:eu-west-1:123456789012:abcdef1234/prod/$connect";

pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// A private key with its kid and its public JWK.
#[derive(Clone)]
pub struct SigningKey {
    pub alg: &'static str,
    pub kid: String,
    pub private: Arc<PrivateKey>,
    pub public: Value,
}

impl SigningKey {
    /// A fresh key for `alg` (RS*, PS*, ES256, ES384, ES512, EdDSA).
    pub fn generate(alg: &'static str, kid: &str) -> Self {
        let private = PrivateKey::generate(alg).unwrap_or_else(|_| panic!("no test key for {alg}"));
        let mut public = private.public_jwk();
        public["kid"] = json!(kid);
        public["use"] = json!("sig");
        public["alg"] = json!(alg);
        SigningKey {
            alg,
            kid: kid.to_owned(),
            private: Arc::new(private),
            public,
        }
    }

    /// One key per algorithm, generated once per test binary.
    pub fn shared(alg: &'static str) -> &'static SigningKey {
        static KEYS: OnceLock<Mutex<HashMap<&'static str, &'static SigningKey>>> = OnceLock::new();
        let mut keys = KEYS.get_or_init(Default::default).lock().unwrap();
        keys.entry(alg).or_insert_with(|| {
            Box::leak(Box::new(SigningKey::generate(
                alg,
                &format!("{}-1", alg.to_lowercase()),
            )))
        })
    }

    pub fn signer(&self) -> Box<dyn JwsSigner> {
        Box::new(KeySigner {
            alg: self.alg,
            key: Arc::clone(&self.private),
        })
    }

    /// A self-signed X.509 certificate of this key, PEM, as Firebase
    /// publishes its keys.
    pub fn certificate_pem(&self, common_name: &str) -> String {
        let pkcs8 = self.private.pkcs8();
        let algorithm = match self.alg {
            "RS256" | "RS384" | "RS512" | "PS256" | "PS384" | "PS512" => &rcgen::PKCS_RSA_SHA256,
            "ES256" => &rcgen::PKCS_ECDSA_P256_SHA256,
            "ES384" => &rcgen::PKCS_ECDSA_P384_SHA384,
            "ES512" => &rcgen::PKCS_ECDSA_P521_SHA512,
            _ => &rcgen::PKCS_ED25519,
        };
        let key = rcgen::KeyPair::from_pkcs8_der_and_sign_algo(&pkcs8, algorithm).unwrap();
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, common_name);
        params.self_signed(&key).unwrap().pem()
    }

    /// The private JWK, with kid, alg and use.
    pub fn private_jwk(&self) -> Value {
        let mut jwk = self.private.private_jwk();
        jwk["kid"] = json!(self.kid);
        jwk["alg"] = json!(self.alg);
        jwk["use"] = json!("sig");
        jwk
    }

    /// The default header: alg, kid, typ.
    pub fn header(&self) -> Value {
        json!({"alg": self.alg, "kid": self.kid, "typ": "JWT"})
    }

    /// A token with the default header.
    pub fn sign(&self, claims: &Value) -> String {
        self.sign_with_header(&self.header(), claims)
    }

    /// A token with any header, signed by this key.
    pub fn sign_with_header(&self, header: &Value, claims: &Value) -> String {
        sign_raw(
            &*self.signer(),
            header.to_string().as_bytes(),
            claims.to_string().as_bytes(),
        )
    }
}

/// `b64(header).b64(payload).b64(sign(...))` over raw bytes.
pub fn sign_raw(signer: &dyn JwsSigner, header: &[u8], payload: &[u8]) -> String {
    let input = format!("{}.{}", b64(header), b64(payload));
    let signature = signer.sign(input.as_bytes()).unwrap();
    format!("{input}.{}", b64(&signature))
}

/// An HTTP client for tests: reqwest with rustls on AWS-LC, the provider
/// the authorizer itself configures (reqwest is built without one of its
/// own, so that ring stays out of the binary).
pub fn http_client() -> reqwest::Client {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    reqwest::Client::new()
}

pub fn b64(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// AWS-LC's own RS256 verification, as the authorizer calls it: the key
/// parsed once, the whole signing input given. The bound the benchmarks
/// hold the handler against.
pub struct BareRsaVerify {
    key: aws_lc_rs::signature::ParsedPublicKey,
    signing_input: Vec<u8>,
    signature: Vec<u8>,
}

impl BareRsaVerify {
    /// For `token`, signed by the RS256 `key`.
    pub fn new(key: &SigningKey, token: &str) -> Self {
        let component = |name: &str| {
            let encoded = key.public[name].as_str().unwrap();
            URL_SAFE_NO_PAD.decode(encoded).unwrap()
        };
        let (n, e) = (component("n"), component("e"));
        let parsed = aws_lc_rs::signature::RsaPublicKeyComponents { n: &n, e: &e }
            .to_parsed_public_key(&aws_lc_rs::signature::RSA_PKCS1_2048_8192_SHA256)
            .unwrap();
        let (signing_input, signature) = token.rsplit_once('.').unwrap();
        let bare = BareRsaVerify {
            key: parsed,
            signing_input: signing_input.as_bytes().to_vec(),
            signature: URL_SAFE_NO_PAD.decode(signature).unwrap(),
        };
        assert!(bare.verify());
        bare
    }

    /// One verification; true when the signature is valid.
    pub fn verify(&self) -> bool {
        self.key
            .verify_sig(
                std::hint::black_box(&self.signing_input),
                std::hint::black_box(&self.signature),
            )
            .is_ok()
    }
}

pub fn jwks(keys: &[&SigningKey]) -> Value {
    json!({ "keys": keys.iter().map(|key| key.public.clone()).collect::<Vec<_>>() })
}

/// Claims that pass with [`config`]'s defaults.
pub fn valid_claims() -> Value {
    let now = now();
    json!({
        "iss": ISSUER,
        "sub": "user-123",
        "aud": AUDIENCE,
        "iat": now,
        "nbf": now,
        "exp": now + 300,
        "scope": "chat:read chat:write",
        "client_id": "web-client",
    })
}

pub fn claims_with(changes: Value) -> Value {
    with_changes(valid_claims(), &changes)
}

/// `object` with the members of `changes` set, a null removing the member.
pub fn with_changes(mut object: Value, changes: &Value) -> Value {
    for (name, value) in changes.as_object().unwrap() {
        if value.is_null() {
            object.as_object_mut().unwrap().remove(name);
        } else {
            object[name] = value.clone();
        }
    }
    object
}

/// A key server on loopback whose answer the test can change, counting requests.
#[derive(Clone)]
pub struct KeyServer {
    pub url: String,
    hits: Arc<AtomicUsize>,
    reply: Arc<Mutex<Reply>>,
}

impl KeyServer {
    pub async fn start(body: &Value) -> Self {
        Self::start_with(Reply::json(body.to_string())).await
    }

    pub async fn start_with(reply: Reply) -> Self {
        Self::serve(reply, None).await
    }

    /// A key server over HTTPS, its certificate issued by `ca`.
    pub async fn start_https(body: &Value, ca: &tls::PrivateCa) -> Self {
        Self::serve(Reply::json(body.to_string()), Some(ca.acceptor())).await
    }

    async fn serve(reply: Reply, acceptor: Option<tokio_rustls::TlsAcceptor>) -> Self {
        let hits = Arc::new(AtomicUsize::new(0));
        let reply = Arc::new(Mutex::new(reply));
        let (counter, current) = (hits.clone(), reply.clone());
        let scheme = if acceptor.is_some() { "https" } else { "http" };
        let handler: http::Handler = Arc::new(move |_request: Request| {
            counter.fetch_add(1, Ordering::SeqCst);
            let reply = current.lock().unwrap().clone();
            Box::pin(async move { reply })
        });
        let addr = http::serve_with(handler, acceptor).await;
        KeyServer {
            url: format!("{scheme}://{addr}/.well-known/jwks.json"),
            hits,
            reply,
        }
    }

    pub fn set(&self, reply: Reply) {
        *self.reply.lock().unwrap() = reply;
    }

    pub fn set_keys(&self, body: &Value) {
        self.set(Reply::json(body.to_string()));
    }

    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

/// A configuration pointing at `jwks_uri`, with the test issuer and audience;
/// `vars` override or add variables (an empty value unsets one).
pub fn config(jwks_uri: &str, vars: &[(&str, &str)]) -> Config {
    let mut all = vec![
        ("JWT_ISSUER_JWKS_URI", jwks_uri),
        ("JWT_AUTHORIZED_AUDIENCES", AUDIENCE),
        ("JWT_ISSUER", ISSUER),
    ];
    all.extend_from_slice(vars);
    config_from(&all)
}

/// A configuration from exactly `vars` (a later entry wins), metrics off
/// (metric lines are tested on the binary's output, in lambda_binary.rs).
pub fn config_from(vars: &[(&str, &str)]) -> Config {
    let mut all: Vec<(&str, &str)> = vec![("METRICS_ENABLED", "false")];
    all.extend_from_slice(vars);
    Config::from_lookup(|name| {
        all.iter()
            .rev()
            .find(|(key, _)| *key == name)
            .map(|(_, value)| (*value).to_owned())
    })
    .unwrap()
}

pub fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!("{}/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

/// The real-shaped `$connect` event JSON with `token` in the query string.
pub fn query_event_json(token: &str) -> Value {
    let mut event: Value = serde_json::from_str(&fixture("connect-query.json")).unwrap();
    event["queryStringParameters"]["authorization"] = json!(token);
    event["multiValueQueryStringParameters"]["authorization"] = json!([token]);
    event
}

/// The same, parsed.
pub fn query_event(token: &str) -> ConnectEvent {
    serde_json::from_value(query_event_json(token)).unwrap()
}

/// The real-shaped `$connect` event JSON with `token` in the `authorization` header.
pub fn header_event_json(token: &str) -> Value {
    let mut event: Value = serde_json::from_str(&fixture("connect-header.json")).unwrap();
    let value = format!("Bearer {token}");
    event["headers"]["authorization"] = json!(value);
    event["multiValueHeaders"]["authorization"] = json!([value]);
    event
}

/// The same, parsed.
pub fn header_event(token: &str) -> ConnectEvent {
    serde_json::from_value(header_event_json(token)).unwrap()
}

/// The real-shaped `$connect` event JSON without any token.
pub fn event_without_token_json() -> Value {
    serde_json::from_str(&fixture("connect-no-token.json")).unwrap()
}

/// The same, parsed.
pub fn event_without_token() -> ConnectEvent {
    serde_json::from_value(event_without_token_json()).unwrap()
}
