//! A provider behind a private CA (a self-hosted Keycloak or WSO2 Identity
//! Server): its key set is served over HTTPS on loopback, with a
//! certificate issued by a CA of the test's own, and the compiled binary
//! reaches it only when `JWKS_CA_BUNDLE` (or `SSL_CERT_FILE`) names that CA.

use crate::AUTHORIZER;

use serde_json::json;
use testkit::function::{decision_reasons, start_function, stop_and_read_logs, take_logs};
use testkit::runtime_api::{Answer, RuntimeApi};
use testkit::tls::PrivateCa;
use testkit::*;

/// `content` in a file of its own, removed when dropped.
struct TempFile(std::path::PathBuf);

impl TempFile {
    fn new(name: &str, content: &str) -> Self {
        let path = std::env::temp_dir().join(format!("private-ca-{}-{name}", std::process::id()));
        std::fs::write(&path, content).unwrap();
        TempFile(path)
    }

    fn path(&self) -> &str {
        self.0.to_str().unwrap()
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_set_behind_a_private_ca_is_reached_only_through_its_bundle() {
    let key = SigningKey::shared("ES256");
    let ca = PrivateCa::new("Internal Test CA");
    let keys = KeyServer::start_https(&jwks(&[key]), &ca).await;
    assert!(keys.url.starts_with("https://127.0.0.1:"), "{}", keys.url);
    let bundle = TempFile::new("ca.pem", &ca.certificate_pem);
    let stranger = TempFile::new("other.pem", &PrivateCa::new("Another CA").certificate_pem);
    let token = key.sign(&valid_claims());

    type Case<'a> = (&'a str, Vec<(&'a str, &'a str)>, bool);
    let cases: [Case; 5] = [
        ("the web's roots alone", vec![], false),
        (
            "another CA",
            vec![("JWKS_CA_BUNDLE", stranger.path())],
            false,
        ),
        (
            "JWKS_CA_BUNDLE",
            vec![("JWKS_CA_BUNDLE", bundle.path())],
            true,
        ),
        (
            "SSL_CERT_FILE",
            vec![("SSL_CERT_FILE", bundle.path())],
            true,
        ),
        (
            "the bundle alone, web roots off",
            vec![
                ("JWKS_CA_BUNDLE", bundle.path()),
                ("JWKS_TRUST_WEB_ROOTS", "false"),
            ],
            true,
        ),
    ];
    for (name, trust, reached) in cases {
        let hits = keys.hits();
        let api = RuntimeApi::start().await;
        let mut vars = vec![
            ("JWT_ISSUER_JWKS_URI", keys.url.as_str()),
            ("JWT_AUTHORIZED_AUDIENCES", AUDIENCE),
            ("JWT_ISSUER", ISSUER),
        ];
        vars.extend(trust);
        let child = start_function(AUTHORIZER, &api, &vars);
        let answer = api.invoke(&query_event_json(&token)).await;
        let logs = stop_and_read_logs(child).await;
        if reached {
            let Answer::Response(allow) = &answer else {
                panic!("{name}: expected an Allow, got {answer:?}\n{logs}");
            };
            assert_eq!(
                allow["policyDocument"]["Statement"][0]["Effect"], "Allow",
                "{name}"
            );
            assert!(keys.hits() > hits, "{name}: the key set was fetched");
        } else {
            // The TLS handshake fails: no request reaches the server, and
            // the outage is a 500, never an Allow.
            assert_eq!(
                answer,
                Answer::Error(json!({
                    "errorType": "AuthorizerError",
                    "errorMessage": "jwks_unavailable: the key set is unavailable"
                })),
                "{name}\n{logs}"
            );
            assert_eq!(keys.hits(), hits, "{name}: no request got through");
            assert_eq!(decision_reasons(&logs), ["jwks_unavailable"], "{name}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unusable_bundle_fails_the_cold_start_naming_its_variable() {
    let not_pem = TempFile::new("not.pem", "no certificate here\n");
    for (vars, says) in [
        (
            vec![("JWKS_CA_BUNDLE", "/nonexistent/ca.pem")],
            "JWKS_CA_BUNDLE: cannot read /nonexistent/ca.pem",
        ),
        (
            vec![("SSL_CERT_FILE", not_pem.path())],
            "SSL_CERT_FILE: holds no PEM certificate",
        ),
        (
            vec![("JWKS_TRUST_WEB_ROOTS", "false")],
            "JWKS_TRUST_WEB_ROOTS: is false, but neither",
        ),
    ] {
        let api = RuntimeApi::start().await;
        let mut all = vec![
            ("JWT_ISSUER_JWKS_URI", "https://idp.example.com/jwks"),
            ("JWT_AUTHORIZED_AUDIENCES", AUDIENCE),
        ];
        all.extend(vars);
        let mut child = start_function(AUTHORIZER, &api, &all);
        let pid = child.id().unwrap();
        tokio::time::timeout(std::time::Duration::from_secs(10), child.wait())
            .await
            .expect("the function should exit")
            .unwrap();
        let logs = take_logs(pid);
        let (_, error) = api
            .init_error()
            .unwrap_or_else(|| panic!("no init error for {says}\n{logs}"));
        let message = error["errorMessage"].as_str().unwrap_or_default();
        assert!(message.contains(says), "{message} (expected {says})");
    }
}
