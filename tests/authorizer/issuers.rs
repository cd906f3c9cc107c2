//! OIDC discovery, several issuers, `Cache-Control: max-age`, inline and
//! bundled key sets, through the handler against identity providers on
//! loopback.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};
use testkit::http::{self, Reply, Request};
use testkit::*;
use ws_jwt_authorizer::explain::Status;
use ws_jwt_authorizer::{Authorizer, Refusal};

/// An identity provider on loopback: a discovery document naming its key
/// set, and the key set, each request counted by path.
struct Provider {
    issuer: String,
    requests: Arc<Mutex<Vec<String>>>,
    key_set_reply: Arc<Mutex<Reply>>,
}

impl Provider {
    /// A provider whose discovery document claims `claimed_issuer`, or its
    /// own address when `None`.
    async fn start(keys: &[&SigningKey], claimed_issuer: Option<&str>) -> Self {
        let requests = Arc::new(Mutex::new(Vec::new()));
        let key_set_reply = Arc::new(Mutex::new(Reply::json(jwks(keys).to_string())));
        let issuer_slot: Arc<Mutex<String>> = Arc::default();
        let (log, reply, own_issuer) = (
            Arc::clone(&requests),
            Arc::clone(&key_set_reply),
            Arc::clone(&issuer_slot),
        );
        let claimed = claimed_issuer.map(str::to_owned);
        let addr = http::serve(Arc::new(move |request: Request| {
            log.lock().unwrap().push(request.path.clone());
            let issuer = own_issuer.lock().unwrap().clone();
            let answer = match request.path.as_str() {
                "/.well-known/openid-configuration" => Reply::json(
                    json!({
                        "issuer": claimed.clone().unwrap_or_else(|| issuer.clone()),
                        "jwks_uri": format!("{issuer}/keys"),
                        "authorization_endpoint": format!("{issuer}/authorize"),
                    })
                    .to_string(),
                ),
                "/keys" => reply.lock().unwrap().clone(),
                _ => Reply::status(404),
            };
            Box::pin(async move { answer })
        }))
        .await;
        let issuer = format!("http://{addr}");
        *issuer_slot.lock().unwrap() = issuer.clone();
        Provider {
            issuer,
            requests,
            key_set_reply,
        }
    }

    fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }

    fn set_key_set(&self, reply: Reply) {
        *self.key_set_reply.lock().unwrap() = reply;
    }
}

fn claims_from(issuer: &str, audience: &str) -> Value {
    claims_with(json!({"iss": issuer, "aud": audience}))
}

async fn outcome(authorizer: &Authorizer, token: &str) -> Result<String, Refusal> {
    match authorizer.authorize(&query_event(token)).await {
        Ok(response) => {
            let response = serde_json::to_value(response).unwrap();
            Ok(response["policyDocument"]["Statement"][0]["Effect"]
                .as_str()
                .unwrap()
                .to_owned())
        }
        Err(error) => Err(error.refusal),
    }
}

#[tokio::test]
async fn the_issuer_alone_finds_its_keys_by_discovery_once() {
    let key = SigningKey::shared("ES256");
    let provider = Provider::start(&[key], None).await;
    let authorizer = Authorizer::new(config_from(&[
        ("JWT_ISSUER", &provider.issuer),
        ("JWT_AUTHORIZED_AUDIENCES", AUDIENCE),
    ]))
    .unwrap();
    let token = key.sign(&claims_from(&provider.issuer, AUDIENCE));
    assert_eq!(outcome(&authorizer, &token).await, Ok("Allow".to_owned()));
    assert_eq!(outcome(&authorizer, &token).await, Ok("Allow".to_owned()));
    assert_eq!(
        provider.requests(),
        vec!["/.well-known/openid-configuration", "/keys"],
        "one discovery, one key set fetch"
    );
    let other = key.sign(&claims_from("https://elsewhere.example.com", AUDIENCE));
    assert_eq!(
        outcome(&authorizer, &other).await,
        Err(Refusal::WrongIssuer)
    );
}

#[tokio::test]
async fn a_discovery_document_for_another_issuer_is_not_trusted() {
    let key = SigningKey::shared("ES256");
    let provider = Provider::start(&[key], Some("https://impostor.example.com")).await;
    let authorizer = Authorizer::new(config_from(&[
        ("JWT_ISSUER", &provider.issuer),
        ("JWT_AUTHORIZED_AUDIENCES", AUDIENCE),
    ]))
    .unwrap();
    let token = key.sign(&claims_from(&provider.issuer, AUDIENCE));
    assert_eq!(
        outcome(&authorizer, &token).await,
        Err(Refusal::JwksUnavailable)
    );
    assert_eq!(
        provider.requests(),
        vec!["/.well-known/openid-configuration"],
        "the keys it names are never fetched"
    );
}

#[tokio::test]
async fn several_issuers_each_with_its_keys_and_audiences() {
    let key_a = SigningKey::generate("RS256", "a-key");
    let key_b = SigningKey::generate("ES256", "b-key");
    let (a, b) = (
        Provider::start(&[&key_a], None).await,
        Provider::start(&[&key_b], None).await,
    );
    let issuers = json!([
        {"issuer": a.issuer, "audiences": ["api-a"]},
        {"issuer": b.issuer, "jwks_uri": format!("{}/keys", b.issuer), "audiences": ["api-b"]},
    ])
    .to_string();
    let authorizer = Authorizer::new(config_from(&[("JWT_ISSUERS", &issuers)])).unwrap();

    assert_eq!(
        outcome(&authorizer, &key_a.sign(&claims_from(&a.issuer, "api-a"))).await,
        Ok("Allow".to_owned())
    );
    assert_eq!(
        outcome(&authorizer, &key_b.sign(&claims_from(&b.issuer, "api-b"))).await,
        Ok("Allow".to_owned())
    );
    // Each issuer's audiences are its own.
    assert_eq!(
        outcome(&authorizer, &key_a.sign(&claims_from(&a.issuer, "api-b"))).await,
        Err(Refusal::WrongAudience)
    );
    // A key of one issuer does not sign for the other: the kid is not in its set.
    assert_eq!(
        outcome(&authorizer, &key_a.sign(&claims_from(&b.issuer, "api-b"))).await,
        Err(Refusal::UnknownKid)
    );
    let (a_seen, b_seen) = (a.requests().len(), b.requests().len());
    // An unlisted issuer causes no fetch at all.
    let stranger = key_a.sign(&claims_from("https://stranger.example.com", "api-a"));
    assert_eq!(
        outcome(&authorizer, &stranger).await,
        Err(Refusal::WrongIssuer)
    );
    let explained = authorizer.explain(&query_event(&stranger)).await;
    let failed: Vec<(&str, Option<&str>)> = explained
        .checks
        .iter()
        .filter(|check| check.status == Status::Fail)
        .map(|check| (check.name, check.reason))
        .collect();
    assert_eq!(failed, vec![("issuer", Some("wrong_issuer"))]);
    let no_iss = key_a.sign(&claims_with(json!({"iss": null, "aud": "api-a"})));
    assert_eq!(
        outcome(&authorizer, &no_iss).await,
        Err(Refusal::WrongIssuer)
    );
    assert_eq!((a.requests().len(), b.requests().len()), (a_seen, b_seen));
    assert_eq!(
        a.requests(),
        vec!["/.well-known/openid-configuration", "/keys"]
    );
    assert_eq!(
        b.requests(),
        vec!["/keys", "/keys"],
        "one fetch plus one unknown-kid refetch"
    );
}

#[tokio::test]
async fn cache_control_max_age_shortens_the_ttl_down_to_the_floor() {
    let key = SigningKey::shared("ES256");
    let provider = Provider::start(&[key], None).await;
    provider.set_key_set(
        Reply::json(jwks(&[key]).to_string()).with_header("Cache-Control", "public, max-age=0"),
    );
    let url = format!("{}/keys", provider.issuer);
    let authorizer = Authorizer::new(config_from(&[
        ("JWT_ISSUER_JWKS_URI", &url),
        ("JWT_AUTHORIZED_AUDIENCES", AUDIENCE),
        ("JWKS_MIN_TTL_SECONDS", "1"),
        ("DECISION_CACHE_MAX_ENTRIES", "0"),
    ]))
    .unwrap();
    let token = key.sign(&valid_claims());
    assert_eq!(outcome(&authorizer, &token).await, Ok("Allow".to_owned()));
    assert_eq!(outcome(&authorizer, &token).await, Ok("Allow".to_owned()));
    assert_eq!(provider.requests().len(), 1, "fresh for the 1 s floor");
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(outcome(&authorizer, &token).await, Ok("Allow".to_owned()));
    assert_eq!(
        provider.requests().len(),
        2,
        "refreshed after the floor, long before the 600 s TTL"
    );
}

#[tokio::test]
async fn an_inline_key_set_needs_no_network() {
    let key = SigningKey::shared("EdDSA");
    let inline = jwks(&[key]).to_string();
    let authorizer = Authorizer::new(config_from(&[
        ("JWKS_JSON", &inline),
        ("JWT_ISSUER", ISSUER),
        ("JWT_AUTHORIZED_AUDIENCES", AUDIENCE),
    ]))
    .unwrap();
    assert!(authorizer.prefetch(Duration::from_secs(1)).await);
    assert_eq!(
        outcome(&authorizer, &key.sign(&valid_claims())).await,
        Ok("Allow".to_owned())
    );
    let stranger = SigningKey::generate("EdDSA", key.kid.as_str());
    assert_eq!(
        outcome(&authorizer, &stranger.sign(&valid_claims())).await,
        Err(Refusal::BadSignature)
    );
}

#[tokio::test]
async fn the_bundled_key_set_serves_while_the_provider_is_down() {
    let key = SigningKey::shared("ES256");
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&hits);
    let down = http::serve(Arc::new(move |_request: Request| {
        counter.fetch_add(1, Ordering::SeqCst);
        Box::pin(async { Reply::status(503) })
    }))
    .await;
    let bundled = std::env::temp_dir().join(format!("bundled-jwks-{}.json", std::process::id()));
    std::fs::write(&bundled, jwks(&[key]).to_string()).unwrap();
    let url = format!("http://{down}/keys");
    let config = config_from(&[
        ("JWT_ISSUER_JWKS_URI", &url),
        ("JWT_ISSUER", ISSUER),
        ("JWT_AUTHORIZED_AUDIENCES", AUDIENCE),
        ("JWKS_FALLBACK_FILE", &bundled.to_string_lossy()),
        ("DECISION_CACHE_MAX_ENTRIES", "0"),
    ]);
    std::fs::remove_file(&bundled).unwrap();
    let authorizer = Authorizer::new(config).unwrap();
    let token = key.sign(&valid_claims());
    assert_eq!(outcome(&authorizer, &token).await, Ok("Allow".to_owned()));
    assert_eq!(hits.load(Ordering::SeqCst), 1);
    assert_eq!(outcome(&authorizer, &token).await, Ok("Allow".to_owned()));
    assert_eq!(
        hits.load(Ordering::SeqCst),
        1,
        "within the backoff after the failed fetch, the provider is not asked again"
    );
    // A kid the bundled set lacks, while the provider cannot be asked: not a bad token.
    let unknown = SigningKey::generate("ES256", "not-bundled");
    assert_eq!(
        outcome(&authorizer, &unknown.sign(&valid_claims())).await,
        Err(Refusal::JwksUnavailable)
    );
}
