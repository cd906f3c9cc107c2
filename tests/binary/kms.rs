//! KMS-signed tokens (#29.4), through the compiled binary behind the
//! Runtime API emulator: against a fake KMS on loopback, which shows what
//! `GetPublicKey` is sent and how often (read once, asked again only after
//! the backoff), and end to end against moto (`--ignored`; run by
//! `scripts/test-kms.sh`, which starts moto and passes `MOTO_URL`): keys
//! made with `CreateKey`, tokens signed with KMS `Sign` by boto3, the
//! authorizer's requests signed with a role's temporary credentials and
//! checked by moto.

use crate::AUTHORIZER;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::{json, Value};
use testkit::function::{decision_lines, decision_reasons, start_function, stop_and_read_logs};
use testkit::http::{Reply, Request};
use testkit::runtime_api::{Answer, RuntimeApi};
use testkit::*;

const REGION: &str = "eu-west-1";
const SECRET: &str = "fake-secret-access-key-S3CR3T";
const SESSION: &str = "fake-session-token-T0K3N";

/// What an invocation came to: `Allow`, `Deny`, `Unauthorized` (401) or
/// the reason code of another error (500).
fn verdict(answer: &Answer) -> String {
    match answer {
        Answer::Response(response) => response["policyDocument"]["Statement"][0]["Effect"]
            .as_str()
            .unwrap_or("?")
            .to_owned(),
        Answer::Error(error) => {
            let message = error["errorMessage"].as_str().unwrap_or("?");
            message.split(':').next().unwrap_or(message).to_owned()
        }
    }
}

async fn invoke(api: &RuntimeApi, token: &str) -> String {
    verdict(&api.invoke(&query_event_json(token)).await)
}

/// A KMS key of the fake: its private key, as KMS would hold it.
struct Key {
    id: String,
    arn: String,
    private: PrivateKey,
}

impl Key {
    fn p521(id: &str) -> Self {
        Key::new(id, PrivateKey::generate("ES512").unwrap())
    }

    fn rsa(id: &str) -> Self {
        Key::new(id, PrivateKey::generate("RS256").unwrap())
    }

    fn new(id: &str, private: PrivateKey) -> Self {
        Key {
            id: id.to_owned(),
            arn: format!("arn:aws:kms:{REGION}:111122223333:key/{id}"),
            private,
        }
    }

    /// The `GetPublicKey` answer KMS gives for this key.
    fn answer(&self) -> Reply {
        let (spec, algorithms) = match self.private {
            PrivateKey::Ec(_) => ("ECC_NIST_P521", vec!["ECDSA_SHA_512"]),
            _ => (
                "RSA_2048",
                vec![
                    "RSASSA_PSS_SHA_256",
                    "RSASSA_PSS_SHA_384",
                    "RSASSA_PSS_SHA_512",
                    "RSASSA_PKCS1_V1_5_SHA_256",
                    "RSASSA_PKCS1_V1_5_SHA_384",
                    "RSASSA_PKCS1_V1_5_SHA_512",
                ],
            ),
        };
        // The DER SubjectPublicKeyInfo, as KMS gives it.
        let der = self.private.public_key_der();
        Reply::json(
            json!({
                "KeyId": self.arn,
                "CustomerMasterKeySpec": spec,
                "KeySpec": spec,
                "KeyUsage": "SIGN_VERIFY",
                "PublicKey": STANDARD.encode(der),
                "SigningAlgorithms": algorithms,
            })
            .to_string(),
        )
        .with_header("Content-Type", "application/x-amz-json-1.1")
    }

    /// A token signed as KMS `Sign` signs, in JOSE's form: ECDSA as r || s,
    /// 66 bytes each on P-521 (what KMS's DER signature is turned into),
    /// PSS with a salt as long as the hash; with `kid` or without.
    fn sign(&self, alg: &str, kid: bool, claims: &Value) -> String {
        let mut header = json!({"alg": alg, "typ": "JWT"});
        if kid {
            header["kid"] = json!(self.id);
        }
        let input = format!("{}.{}", b64(header.to_string()), b64(claims.to_string()));
        let signature = self.private.sign(alg, input.as_bytes()).unwrap();
        format!("{input}.{}", b64(signature))
    }
}

/// A KMS endpoint on loopback: answers `GetPublicKey` for each key as
/// told, and keeps every request.
struct FakeKms {
    url: String,
    requests: Arc<Mutex<Vec<Request>>>,
    answers: Arc<Mutex<HashMap<String, Reply>>>,
}

impl FakeKms {
    async fn start() -> Self {
        let requests = Arc::new(Mutex::new(Vec::new()));
        let answers: Arc<Mutex<HashMap<String, Reply>>> = Arc::default();
        let (kept, known) = (requests.clone(), answers.clone());
        let addr = testkit::http::serve(Arc::new(move |request: Request| {
            let asked = serde_json::from_slice::<Value>(&request.body)
                .ok()
                .and_then(|body| body["KeyId"].as_str().map(str::to_owned))
                .unwrap_or_default();
            kept.lock().unwrap().push(request);
            let reply = known
                .lock()
                .unwrap()
                .get(&asked)
                .cloned()
                .unwrap_or_else(|| Reply {
                    status: 400,
                    ..Reply::json(r#"{"__type":"NotFoundException","message":"no such key"}"#)
                });
            Box::pin(async move { reply })
        }))
        .await;
        FakeKms {
            url: format!("http://{addr}"),
            requests,
            answers,
        }
    }

    fn answer(&self, key_id: &str, reply: Reply) {
        self.answers
            .lock()
            .unwrap()
            .insert(key_id.to_owned(), reply);
    }

    fn hits(&self) -> usize {
        self.requests.lock().unwrap().len()
    }
}

fn kms_failure() -> Reply {
    Reply {
        status: 500,
        ..Reply::json(r#"{"__type":"KMSInternalException","message":"try again"}"#)
    }
}

/// What Lambda gives the function, and the KMS endpoint of the test.
fn lambda_environment<'a>(
    endpoint: &'a str,
    extra: &[(&'a str, &'a str)],
) -> Vec<(&'a str, &'a str)> {
    let mut vars = vec![
        ("AWS_REGION", REGION),
        ("AWS_ACCESS_KEY_ID", "ASIAFAKEACCESSKEY001"),
        ("AWS_SECRET_ACCESS_KEY", SECRET),
        ("AWS_SESSION_TOKEN", SESSION),
        ("AWS_ENDPOINT_URL_KMS", endpoint),
        ("JWT_AUTHORIZED_AUDIENCES", AUDIENCE),
        ("JWT_ISSUER", ISSUER),
        // The backoff after a failed GetPublicKey: 2 s, then 2 s again.
        ("JWKS_REFRESH_COOLDOWN_SECONDS", "2"),
        ("JWKS_MAX_BACKOFF_SECONDS", "2"),
    ];
    vars.extend_from_slice(extra);
    vars
}

/// Two keys, the P-521 one by id and the RSA one by ARN. The RSA key's
/// `GetPublicKey` fails at first: the P-521 key serves meanwhile, a token
/// naming the RSA key gets `kms_unavailable` (500) without a request
/// until the backoff has passed, and so does a token without kid (the
/// unread key might fit it). Once both are read, no request is made again;
/// a token without kid takes the one key that fits its alg.
#[tokio::test]
async fn kms_keys_are_read_once_and_a_failed_one_again_after_the_backoff() {
    let p521 = Key::p521("0f8a3b1c-2d4e-4f60-8a1b-2c3d4e5f6a7b");
    let rsa = Key::rsa("mrk-0123456789abcdef0123456789abcdef");
    let kms = FakeKms::start().await;
    kms.answer(&p521.id, p521.answer());
    kms.answer(&rsa.arn, kms_failure());
    let keys = format!("{}, {}", p521.id, rsa.arn);
    let api = RuntimeApi::start().await;
    let vars = lambda_environment(&kms.url, &[("KMS_JWT_KEY_ID", &keys)]);
    let child = start_function(AUTHORIZER, &api, &vars);

    let claims = valid_claims();
    let es512 = p521.sign("ES512", true, &claims);
    assert_eq!(invoke(&api, &es512).await, "Allow");
    // Both keys were asked for once, at start.
    assert_eq!(kms.hits(), 2);
    assert_eq!(
        invoke(&api, &rsa.sign("RS256", true, &claims)).await,
        "kms_unavailable"
    );
    assert_eq!(
        invoke(&api, &p521.sign("ES512", false, &claims)).await,
        "kms_unavailable"
    );
    let stranger = Key::p521("11111111-2222-4333-8444-555555555555");
    assert_eq!(
        invoke(&api, &stranger.sign("ES512", true, &claims)).await,
        "Unauthorized"
    );
    assert_eq!(
        kms.hits(),
        2,
        "no request within the backoff, none for a kid not configured"
    );

    kms.answer(&rsa.arn, rsa.answer());
    tokio::time::sleep(Duration::from_millis(2300)).await;
    assert_eq!(
        invoke(&api, &rsa.sign("RS256", true, &claims)).await,
        "Allow"
    );
    assert_eq!(kms.hits(), 3, "the failed key asked for again, alone");
    for token in [
        p521.sign("ES512", false, &claims),
        rsa.sign("RS256", false, &claims),
        rsa.sign("PS256", false, &claims),
        rsa.sign("PS256", true, &claims),
    ] {
        assert_eq!(invoke(&api, &token).await, "Allow");
    }
    // A changed token: the payload of one, the signature of another.
    let (signing_input, _) = es512.rsplit_once('.').unwrap();
    let other = p521.sign("ES512", true, &claims_with(json!({"sub": "mallory"})));
    let (_, other_signature) = other.rsplit_once('.').unwrap();
    let changed = format!("{signing_input}.{other_signature}");
    assert_eq!(invoke(&api, &changed).await, "Unauthorized");
    assert_eq!(kms.hits(), 3, "a key id's public key is read once");

    let logs = stop_and_read_logs(child).await;
    assert_eq!(
        decision_reasons(&logs),
        [
            "allowed",
            "kms_unavailable",
            "kms_unavailable",
            "unknown_kid",
            "allowed",
            "allowed",
            "allowed",
            "allowed",
            "allowed",
            "bad_signature"
        ]
    );
    // A token without kid is logged with the key that verified it.
    let kids: Vec<String> = decision_lines(&logs)
        .iter()
        .map(|line| {
            line["fields"]["kid"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect();
    assert_eq!(kids[5], p521.id);
    assert_eq!(kids[6], rsa.id);
    assert!(logs.contains("KMSInternalException"), "{logs}");
    for secret in [SECRET, SESSION] {
        assert!(!logs.contains(secret), "a credential is in the log");
    }

    let requests = kms.requests.lock().unwrap();
    let host = kms.url.trim_start_matches("http://");
    for request in requests.iter() {
        assert_eq!(
            (request.method.as_str(), request.path.as_str()),
            ("POST", "/")
        );
        assert_eq!(
            request.header("x-amz-target"),
            Some("TrentService.GetPublicKey")
        );
        assert_eq!(
            request.header("content-type"),
            Some("application/x-amz-json-1.1")
        );
        assert_eq!(request.header("host"), Some(host));
        assert_eq!(request.header("x-amz-security-token"), Some(SESSION));
        let authorization = request.header("authorization").unwrap_or_default();
        assert!(
            authorization.starts_with("AWS4-HMAC-SHA256 Credential=ASIAFAKEACCESSKEY001/")
                && authorization.contains(&format!("/{REGION}/kms/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-security-token;x-amz-target, Signature=")),
            "{authorization}"
        );
    }
    let asked: Vec<Value> = requests
        .iter()
        .map(|request| serde_json::from_slice(&request.body).unwrap())
        .collect();
    // Each key as configured: the RSA key by its ARN.
    assert!(asked.contains(&json!({"KeyId": p521.id})));
    assert_eq!(asked.last(), Some(&json!({"KeyId": rsa.arn})));
}

/// Two keys that can verify ES512 (as `kms_key_ids` of a `JWT_ISSUERS`
/// entry): a token without kid is refused (`missing_kid`), one naming
/// either key is allowed. KMS unreachable at start: `kms_unavailable`.
#[tokio::test]
async fn a_token_without_kid_needs_exactly_one_fitting_key_and_an_unreachable_kms_is_an_outage() {
    let first = Key::p521("aaaaaaaa-1111-4222-8333-444444444444");
    let second = Key::p521("bbbbbbbb-1111-4222-8333-444444444444");
    let kms = FakeKms::start().await;
    kms.answer(&first.id, first.answer());
    kms.answer(&second.id, second.answer());
    let issuers = json!([{"issuer": ISSUER, "kms_key_ids": [first.id, second.id]}]).to_string();
    let api = RuntimeApi::start().await;
    let vars = lambda_environment(&kms.url, &[("JWT_ISSUERS", &issuers), ("JWT_ISSUER", "")]);
    let child = start_function(AUTHORIZER, &api, &vars);
    let claims = valid_claims();
    assert_eq!(
        invoke(&api, &first.sign("ES512", false, &claims)).await,
        "Unauthorized"
    );
    assert_eq!(
        invoke(&api, &first.sign("ES512", true, &claims)).await,
        "Allow"
    );
    assert_eq!(
        invoke(&api, &second.sign("ES512", true, &claims)).await,
        "Allow"
    );
    let logs = stop_and_read_logs(child).await;
    assert_eq!(
        decision_reasons(&logs),
        ["missing_kid", "allowed", "allowed"]
    );

    // Nothing listens on the endpoint.
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", listener.local_addr().unwrap())
    };
    let api = RuntimeApi::start().await;
    let keys = first.id.clone();
    let child = start_function(
        AUTHORIZER,
        &api,
        &lambda_environment(&closed, &[("KMS_JWT_KEY_ID", &keys)]),
    );
    let answer = api
        .invoke(&query_event_json(&first.sign("ES512", true, &claims)))
        .await;
    assert_eq!(
        answer,
        Answer::Error(json!({
            "errorType": "AuthorizerError",
            "errorMessage": "kms_unavailable: a KMS public key could not be read"
        }))
    );
    assert_eq!(
        invoke(&api, &first.sign("ES512", false, &claims)).await,
        "kms_unavailable"
    );
    let logs = stop_and_read_logs(child).await;
    assert_eq!(
        decision_reasons(&logs),
        ["kms_unavailable", "kms_unavailable"]
    );
}

/// `check-config` reads the KMS keys once and lists them with their
/// algorithms; a key KMS cannot give makes the configuration unusable.
/// `explain` says which key a token without kid was verified with.
#[tokio::test]
async fn check_config_reads_the_kms_keys_and_explain_names_the_chosen_one() {
    let p521 = Key::p521("cccccccc-1111-4222-8333-444444444444");
    let missing = "dddddddd-1111-4222-8333-444444444444";
    let kms = FakeKms::start().await;
    kms.answer(&p521.arn, p521.answer());
    let check = |keys: String| {
        let url = kms.url.clone();
        async move {
            let output = tokio::process::Command::new(AUTHORIZER)
                .args(["check-config", "--json"])
                .env_clear()
                .envs(lambda_environment(&url, &[("KMS_JWT_KEY_ID", &keys)]))
                .output()
                .await
                .unwrap();
            let report: Value = serde_json::from_slice(&output.stdout).unwrap();
            (output.status.code(), report)
        }
    };
    let (code, report) = check(p521.arn.clone()).await;
    assert_eq!(code, Some(0), "{report}");
    assert_eq!(report["settings"]["KMS_JWT_KEY_ID"], json!(p521.arn));
    assert_eq!(
        report["key_sets"][0]["uri"],
        json!(format!("KMS keys {}", p521.id))
    );
    assert_eq!(
        report["key_sets"][0]["keys"],
        json!([{"kid": p521.id, "algorithms": ["ES512"]}])
    );
    let token = p521.sign("ES512", false, &valid_claims());
    let output = tokio::process::Command::new(AUTHORIZER)
        .args(["explain", "--token", &token, "--json"])
        .env_clear()
        .envs(lambda_environment(
            &kms.url,
            &[("KMS_JWT_KEY_ID", &p521.arn)],
        ))
        .output()
        .await
        .unwrap();
    let explanation: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(explanation["decision"], "allow", "{explanation}");
    let kid = explanation["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|check| check["name"] == "kid")
        .unwrap();
    assert_eq!(
        kid["detail"],
        json!(format!(
            "no kid in the header: {:?} is the one key of KMS keys {} that can verify ES512",
            p521.id, p521.id
        ))
    );
    let (code, report) = check(format!("{},{missing}", p521.arn)).await;
    assert_eq!(code, Some(2), "{report}");
    let error = report["key_sets"][0]["error"].as_str().unwrap_or_default();
    assert!(
        error.contains(missing) && error.contains("NotFoundException"),
        "{error}"
    );
    assert!(!report.to_string().contains(SECRET));
}

/// The KMS setup of moto, made by `scripts/kms-fixture.py` with boto3.
struct Moto {
    url: String,
    keys: Value,
    tokens: Vec<String>,
    credentials: Value,
}

impl Moto {
    async fn setup(url: &str, request: Value) -> Self {
        let python = std::env::var("MOTO_PYTHON").expect("MOTO_PYTHON: the Python of moto's venv");
        let script = format!("{}/scripts/kms-fixture.py", env!("CARGO_MANIFEST_DIR"));
        let mut child = tokio::process::Command::new(python)
            .arg(script)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut input = child.stdin.take().unwrap();
        tokio::io::AsyncWriteExt::write_all(&mut input, request.to_string().as_bytes())
            .await
            .unwrap();
        drop(input);
        let output = child.wait_with_output().await.unwrap();
        assert!(output.status.success(), "kms-fixture.py failed");
        let answer: Value = serde_json::from_slice(&output.stdout).unwrap();
        Moto {
            url: url.to_owned(),
            keys: answer["keys"].clone(),
            tokens: answer["tokens"]
                .as_array()
                .unwrap()
                .iter()
                .map(|token| token.as_str().unwrap().to_owned())
                .collect(),
            credentials: answer["credentials"].clone(),
        }
    }

    fn key(&self, name: &str, member: &str) -> String {
        self.keys[name][member].as_str().unwrap().to_owned()
    }

    /// From now on moto checks every request's signature and the caller's
    /// IAM permissions (`amount` unauthenticated requests first).
    async fn authenticate_after(&self, amount: &str) {
        // reqwest's rustls brings no crypto provider of its own: the
        // authorizer's TLS configuration gives it AWS-LC's (plain HTTP here,
        // but the client is built with TLS all the same).
        let tls = ws_jwt_authorizer::tls::Trust::default()
            .client_config(false)
            .unwrap();
        let client = reqwest::Client::builder()
            .use_preconfigured_tls(tls)
            .build()
            .unwrap();
        let status = client
            .post(format!("{}/moto-api/reset-auth", self.url))
            .body(amount.to_owned())
            .send()
            .await
            .unwrap()
            .status();
        assert!(status.is_success(), "reset-auth: {status}");
    }

    /// The environment of a function with the role's credentials (the
    /// secret replaced by `secret` when given) and `extra`.
    fn function<'a>(
        &'a self,
        secret: Option<&'a str>,
        extra: &[(&'a str, &'a str)],
    ) -> Vec<(&'a str, &'a str)> {
        let credential = |name: &str| self.credentials[name].as_str().unwrap();
        let mut vars = vec![
            ("AWS_REGION", "us-east-1"),
            ("AWS_ACCESS_KEY_ID", credential("access_key_id")),
            (
                "AWS_SECRET_ACCESS_KEY",
                secret.unwrap_or(credential("secret_access_key")),
            ),
            ("AWS_SESSION_TOKEN", credential("session_token")),
            // The endpoint of every service, as the AWS SDKs read it.
            ("AWS_ENDPOINT_URL", self.url.as_str()),
            ("JWT_AUTHORIZED_AUDIENCES", AUDIENCE),
            ("JWT_ISSUER", ISSUER),
        ];
        vars.extend_from_slice(extra);
        vars
    }
}

/// #29.4, done when: an `ECC_NIST_P521` key and an `RSA_2048` key made in
/// moto, JWTs signed with KMS `Sign` (the DER ECDSA signature made JOSE's
/// r || s): allowed; a changed token refused (`bad_signature`); a token
/// without kid allowed when one configured key fits its alg and refused
/// (`missing_kid`) when two do; a failing `GetPublicKey` (a key that does
/// not exist, credentials moto does not accept) is `kms_unavailable`.
/// moto checks the signature of every `GetPublicKey` (botocore's SigV4)
/// and the role's permission.
#[tokio::test]
#[ignore = "needs moto: scripts/test-kms.sh"]
async fn kms_end_to_end_against_moto() {
    let url = std::env::var("MOTO_URL").expect("MOTO_URL: moto in server mode");
    let claims = valid_claims();
    let token = |key: &str, alg: &str, kid: bool| json!({"key": key, "alg": alg, "kid": kid, "claims": claims});
    let moto = Moto::setup(
        &url,
        json!({
            "endpoint": url,
            "region": "us-east-1",
            "keys": {"p521": "ECC_NIST_P521", "rsa": "RSA_2048", "rsa2": "RSA_2048"},
            "tokens": [
                token("p521", "ES512", true),
                token("p521", "ES512", false),
                token("rsa", "RS256", true),
                token("rsa", "RS256", false),
                token("rsa", "RS512", true),
                token("rsa2", "RS256", true),
            ],
        }),
    )
    .await;
    moto.authenticate_after("0").await;
    let [es512, es512_without_kid, rs256, rs256_without_kid, rs512, rs256_of_rsa2] =
        &moto.tokens[..]
    else {
        panic!("six tokens: {:?}", moto.tokens)
    };
    let (p521_arn, p521) = (moto.key("p521", "arn"), moto.key("p521", "id"));
    let (rsa, rsa2) = (moto.key("rsa", "id"), moto.key("rsa2", "id"));

    // The P-521 key by its ARN, the RSA key by its id.
    let keys = format!("{p521_arn},{rsa}");
    let api = RuntimeApi::start().await;
    let child = start_function(
        AUTHORIZER,
        &api,
        &moto.function(None, &[("KMS_JWT_KEY_ID", &keys)]),
    );
    let (signing_input, _) = es512.rsplit_once('.').unwrap();
    let (_, rs_signature) = rs256.rsplit_once('.').unwrap();
    let changed_payload = {
        let (header, _) = signing_input.split_once('.').unwrap();
        let (_, signature) = es512.rsplit_once('.').unwrap();
        let payload = b64(claims_with(json!({"sub": "mallory"})).to_string());
        format!("{header}.{payload}.{signature}")
    };
    let mut flipped = es512.clone();
    let last = if flipped.ends_with('A') { "B" } else { "A" };
    flipped.replace_range(flipped.len() - 1.., last);
    for (token, expected) in [
        (es512.as_str(), "Allow"),
        (es512_without_kid, "Allow"),
        (rs256, "Allow"),
        (rs256_without_kid, "Allow"),
        (rs512, "Allow"),
        (changed_payload.as_str(), "Unauthorized"),
        (flipped.as_str(), "Unauthorized"),
        (&format!("{signing_input}.{rs_signature}"), "Unauthorized"),
        (rs256_of_rsa2, "Unauthorized"),
    ] {
        assert_eq!(invoke(&api, token).await, expected, "{token}");
    }
    let logs = stop_and_read_logs(child).await;
    assert_eq!(
        decision_reasons(&logs),
        [
            "allowed",
            "allowed",
            "allowed",
            "allowed",
            "allowed",
            "bad_signature",
            "bad_signature",
            "bad_signature",
            "unknown_kid"
        ],
        "{logs}"
    );
    let kids: Vec<String> = decision_lines(&logs)
        .iter()
        .map(|line| {
            line["fields"]["kid"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect();
    assert_eq!(kids[1], p521, "a token without kid, logged with its key");
    assert_eq!(kids[3], rsa);

    // Two RSA keys (kms_key_ids of a JWT_ISSUERS entry): an RS256 token
    // without kid is refused; the one P-521 key still takes ES512's.
    let issuers = json!([{"issuer": ISSUER, "kms_key_ids": [p521, rsa, rsa2]}]).to_string();
    let api = RuntimeApi::start().await;
    let vars = moto.function(None, &[("JWT_ISSUERS", &issuers), ("JWT_ISSUER", "")]);
    let child = start_function(AUTHORIZER, &api, &vars);
    assert_eq!(invoke(&api, rs256_without_kid).await, "Unauthorized");
    assert_eq!(invoke(&api, es512_without_kid).await, "Allow");
    assert_eq!(invoke(&api, rs256_of_rsa2).await, "Allow");
    let logs = stop_and_read_logs(child).await;
    assert_eq!(
        decision_reasons(&logs),
        ["missing_kid", "allowed", "allowed"],
        "{logs}"
    );

    // GetPublicKey fails: a key that does not exist (NotFoundException),
    // and a secret moto does not accept (the signature does not match).
    let absent = "00000000-1111-4222-8333-444444444444";
    let absent_token = {
        let header = b64(json!({"alg": "ES512", "kid": absent}).to_string());
        let (_, rest) = es512.split_once('.').unwrap();
        format!("{header}.{rest}")
    };
    let api = RuntimeApi::start().await;
    let child = start_function(
        AUTHORIZER,
        &api,
        &moto.function(None, &[("KMS_JWT_KEY_ID", absent)]),
    );
    assert_eq!(invoke(&api, &absent_token).await, "kms_unavailable");
    assert_eq!(invoke(&api, es512_without_kid).await, "kms_unavailable");
    let logs = stop_and_read_logs(child).await;
    assert_eq!(
        decision_reasons(&logs),
        ["kms_unavailable", "kms_unavailable"]
    );
    assert!(logs.contains("NotFoundException"), "{logs}");

    let api = RuntimeApi::start().await;
    let vars = moto.function(Some("not-the-secret"), &[("KMS_JWT_KEY_ID", &keys)]);
    let child = start_function(AUTHORIZER, &api, &vars);
    assert_eq!(invoke(&api, es512).await, "kms_unavailable");
    let logs = stop_and_read_logs(child).await;
    assert_eq!(decision_reasons(&logs), ["kms_unavailable"]);
    let secret = moto.credentials["secret_access_key"].as_str().unwrap();
    let session = moto.credentials["session_token"].as_str().unwrap();
    assert!(!logs.contains(secret) && !logs.contains(session));
    moto.authenticate_after("inf").await;
}
