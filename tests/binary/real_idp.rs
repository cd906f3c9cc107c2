//! Against a real, certified OpenID Provider: node-oidc-provider on loopback
//! issues JWT access tokens (client_credentials, resource indicators, RS256
//! and ES256), and the compiled authorizer, behind the Runtime API emulator,
//! must allow them, refuse them for another audience, and survive a key
//! rotation. The provider is installed from npm into tests/idp/ on first use.

use crate::AUTHORIZER;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Mutex;
use std::time::Duration;

use serde_json::{json, Value};
use testkit::function::start_function;
use testkit::runtime_api::{Answer, RuntimeApi};
use testkit::*;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

const CLIENT: (&str, &str) = ("ws-test-client", "ws-test-secret");
const RS256_RESOURCE: &str = "urn:ws-api";
const ES256_RESOURCE: &str = "urn:ws-api:es256";

fn idp_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/idp")
}

/// Installs oidc-provider with npm the first time (the version is pinned in
/// tests/idp/package.json).
fn ensure_installed() {
    static INSTALL: Mutex<()> = Mutex::new(());
    let _guard = INSTALL
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if idp_dir()
        .join("node_modules/oidc-provider/package.json")
        .exists()
    {
        return;
    }
    let status = std::process::Command::new("npm")
        .args(["install", "--no-audit", "--no-fund", "--loglevel=error"])
        .current_dir(idp_dir())
        .status()
        .expect("npm is needed to install oidc-provider for this test");
    assert!(status.success(), "npm install of oidc-provider failed");
}

fn rsa_key(kid: &str) -> Value {
    SigningKey::generate("RS256", kid).private_jwk()
}

fn ec_key(kid: &str) -> Value {
    SigningKey::generate("ES256", kid).private_jwk()
}

struct Provider {
    child: Child,
    port: u16,
    _keys: tempfile_path::TempFile,
}

mod tempfile_path {
    /// A file removed when dropped.
    pub struct TempFile(pub std::path::PathBuf);

    impl Drop for TempFile {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }
}

impl Provider {
    /// Starts the provider on `port` (0: any free port) with `keys`, the first
    /// of each algorithm signing.
    async fn start(port: u16, keys: &[&Value]) -> Self {
        ensure_installed();
        let port = if port == 0 {
            std::net::TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port()
        } else {
            port
        };
        let path = std::env::temp_dir().join(format!(
            "ws-jwt-idp-keys-{}-{port}.json",
            std::process::id()
        ));
        std::fs::write(&path, json!({ "keys": keys }).to_string()).unwrap();
        let mut child = Command::new("node")
            .arg(idp_dir().join("provider.mjs"))
            .arg(port.to_string())
            .arg(&path)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("node is needed to run oidc-provider");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        tokio::time::timeout(Duration::from_secs(20), async {
            while let Some(line) = lines.next_line().await.unwrap() {
                if line.starts_with("listening") {
                    return;
                }
            }
            panic!("oidc-provider exited before listening");
        })
        .await
        .expect("oidc-provider did not start within 20 s");
        Provider {
            child,
            port,
            _keys: tempfile_path::TempFile(path),
        }
    }

    fn issuer(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn jwks_uri(&self) -> String {
        format!("{}/jwks", self.issuer())
    }

    /// An access token for `resource`, by the client_credentials grant.
    async fn token(&self, resource: &str) -> String {
        let response = testkit::http_client()
            .post(format!("{}/token", self.issuer()))
            .basic_auth(CLIENT.0, Some(CLIENT.1))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(format!(
                "grant_type=client_credentials&scope=chat%3Aread&resource={resource}"
            ))
            .send()
            .await
            .unwrap();
        let body: Value = serde_json::from_str(&response.text().await.unwrap()).unwrap();
        body["access_token"]
            .as_str()
            .unwrap_or_else(|| panic!("no access token: {body}"))
            .to_owned()
    }

    async fn stop(mut self) {
        let _ = self.child.start_kill();
        let _ = self.child.wait().await;
    }
}

fn kid_of(token: &str) -> String {
    use base64::Engine;
    let header = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token.split('.').next().unwrap())
        .unwrap();
    serde_json::from_slice::<Value>(&header).unwrap()["kid"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn decide(api: &RuntimeApi, token: &str) -> Answer {
    api.invoke(&query_event_json(token)).await
}

fn allowed_as(answer: &Answer) -> Option<&str> {
    match answer {
        Answer::Response(response)
            if response["policyDocument"]["Statement"][0]["Effect"] == "Allow" =>
        {
            response["principalId"].as_str()
        }
        _ => None,
    }
}

fn borrowed(vars: &[(String, String)]) -> Vec<(&str, &str)> {
    vars.iter()
        .map(|(name, value)| (name.as_str(), value.as_str()))
        .collect()
}

fn unauthorized() -> Answer {
    Answer::Error(json!({"errorType": "Unauthorized", "errorMessage": "Unauthorized"}))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidc_provider_tokens_audiences_and_key_rotation() {
    let (old_rsa, new_rsa, ec) = (rsa_key("rsa-old"), rsa_key("rsa-new"), ec_key("ec-1"));
    let provider = Provider::start(0, &[&old_rsa, &ec]).await;
    let port = provider.port;
    let audiences = format!("{RS256_RESOURCE},{ES256_RESOURCE}");
    let base_vars = |audiences: &str| {
        vec![
            ("JWT_ISSUER_JWKS_URI".to_owned(), provider.jwks_uri()),
            ("JWT_ISSUER".to_owned(), provider.issuer()),
            ("JWT_AUTHORIZED_AUDIENCES".to_owned(), audiences.to_owned()),
            ("JWKS_CACHE_TTL_SECONDS".to_owned(), "2".to_owned()),
        ]
    };

    let api = RuntimeApi::start().await;
    let _function = start_function(AUTHORIZER, &api, &borrowed(&base_vars(&audiences)));

    let rs256 = provider.token(RS256_RESOURCE).await;
    let es256 = provider.token(ES256_RESOURCE).await;
    assert_eq!(kid_of(&rs256), "rsa-old");
    assert_eq!(kid_of(&es256), "ec-1");
    assert_eq!(
        allowed_as(&decide(&api, &rs256).await),
        Some(CLIENT.0),
        "RS256 access token"
    );
    assert_eq!(
        allowed_as(&decide(&api, &es256).await),
        Some(CLIENT.0),
        "ES256 access token"
    );

    // The same tokens with another audience configured: refused.
    let other_api = RuntimeApi::start().await;
    let _other = start_function(
        AUTHORIZER,
        &other_api,
        &borrowed(&base_vars("urn:some-other-api")),
    );
    assert_eq!(decide(&other_api, &rs256).await, unauthorized());
    assert_eq!(decide(&other_api, &es256).await, unauthorized());

    // Rotation: a new signing key first, the old one still published.
    provider.stop().await;
    let provider = Provider::start(port, &[&new_rsa, &old_rsa, &ec]).await;
    let rotated = provider.token(RS256_RESOURCE).await;
    assert_eq!(kid_of(&rotated), "rsa-new");
    assert_eq!(
        allowed_as(&decide(&api, &rotated).await),
        Some(CLIENT.0),
        "token signed with the new key"
    );
    assert_eq!(
        allowed_as(&decide(&api, &rs256).await),
        Some(CLIENT.0),
        "token signed with the old key"
    );

    // The old key removed: old tokens pass until the cache TTL, then not.
    provider.stop().await;
    let provider = Provider::start(port, &[&new_rsa, &ec]).await;
    assert_eq!(
        allowed_as(&decide(&api, &rs256).await),
        Some(CLIENT.0),
        "within the TTL"
    );
    tokio::time::sleep(Duration::from_millis(2200)).await;
    assert_eq!(
        decide(&api, &rs256).await,
        unauthorized(),
        "old key gone after the TTL"
    );
    assert_eq!(allowed_as(&decide(&api, &rotated).await), Some(CLIENT.0));
    assert_eq!(allowed_as(&decide(&api, &es256).await), Some(CLIENT.0));
    provider.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_oidc_providers_by_discovery_each_with_its_audience() {
    let (a_rsa, a_ec) = (rsa_key("a-rsa"), ec_key("a-ec"));
    let (b_rsa, b_ec) = (rsa_key("b-rsa"), ec_key("b-ec"));
    let (a, b) = (
        Provider::start(0, &[&a_rsa, &a_ec]).await,
        Provider::start(0, &[&b_rsa, &b_ec]).await,
    );
    // No key set URL: each issuer's keys come from its discovery document.
    let issuers = json!([
        {"issuer": a.issuer(), "audiences": [RS256_RESOURCE]},
        {"issuer": b.issuer(), "audiences": [ES256_RESOURCE]},
    ])
    .to_string();
    let api = RuntimeApi::start().await;
    let _function = start_function(AUTHORIZER, &api, &[("JWT_ISSUERS", issuers.as_str())]);

    let from_a = a.token(RS256_RESOURCE).await;
    let from_b = b.token(ES256_RESOURCE).await;
    assert_eq!(allowed_as(&decide(&api, &from_a).await), Some(CLIENT.0));
    assert_eq!(allowed_as(&decide(&api, &from_b).await), Some(CLIENT.0));
    // B's audience is not A's: a token A issued for B's API is refused.
    let a_for_b = a.token(ES256_RESOURCE).await;
    assert_eq!(decide(&api, &a_for_b).await, unauthorized());
    a.stop().await;
    b.stop().await;
}
