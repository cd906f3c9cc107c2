//! The key store's rules where a review found them broken: the bundled
//! fallback against the provider's answers, the backoff against new kids,
//! and OIDC discovery against a key set that moved. Each test is named for
//! the rule it holds.

use std::time::Duration;

use serde_json::json;
use testkit::http::Reply;
use testkit::*;
use ws_jwt_authorizer::{Authorizer, Refusal};

async fn outcome(authorizer: &Authorizer, token: &str) -> Result<String, Refusal> {
    authorizer
        .authorize(&query_event(token))
        .await
        .map(|response| {
            serde_json::to_value(response).unwrap()["policyDocument"]["Statement"][0]["Effect"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .map_err(|error| error.refusal)
}

/// One failed refetch for a new kid blocks new kids for the backoff, not
/// for the rest of the cached set's TTL: once the backoff has passed, the
/// next new kid asks the (recovered) provider again.
#[tokio::test]
async fn a_failed_kid_refetch_blocks_new_kids_for_the_backoff_only() {
    let old = SigningKey::generate("ES256", "old-1");
    let new = SigningKey::generate("ES256", "new-1");
    let server = KeyServer::start(&jwks(&[&old])).await;
    let authorizer = Authorizer::new(config(
        &server.url,
        &[
            ("JWKS_CACHE_TTL_SECONDS", "3600"),
            ("JWKS_REFRESH_COOLDOWN_SECONDS", "0"),
            ("JWKS_MAX_BACKOFF_SECONDS", "1"),
        ],
    ))
    .unwrap();
    assert_eq!(
        outcome(&authorizer, &old.sign(&valid_claims())).await,
        Ok("Allow".into())
    );
    assert_eq!(server.hits(), 1);

    // A blip: the one refetch for the new kid gets a 503.
    server.set(Reply::status(503));
    let token = new.sign(&valid_claims());
    assert_eq!(
        outcome(&authorizer, &token).await,
        Err(Refusal::JwksUnavailable)
    );
    assert_eq!(server.hits(), 2);

    // The provider is healthy again and publishes the new key; the backoff passes.
    server.set_keys(&jwks(&[&old, &new]));
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(outcome(&authorizer, &token).await, Ok("Allow".to_owned()));
    assert_eq!(server.hits(), 3, "one refetch once the backoff has passed");
}

/// The bundled fallback serves only until the provider has answered: a key
/// the provider revoked (here by emptying its key set) stays revoked when
/// that answer has grown old and the provider is down, bundled or not.
#[tokio::test]
async fn the_fallback_never_brings_back_a_key_the_provider_revoked() {
    let revoked = SigningKey::generate("ES256", "revoked-1");
    let other = SigningKey::generate("ES256", "other-1");
    let bundled =
        std::env::temp_dir().join(format!("review-fallback2b-{}.json", std::process::id()));
    std::fs::write(&bundled, jwks(&[&revoked]).to_string()).unwrap();
    let server = KeyServer::start(&json!({"keys": []})).await;
    let authorizer = Authorizer::new(config(
        &server.url,
        &[
            ("JWKS_FALLBACK_FILE", &bundled.to_string_lossy()),
            ("JWKS_CACHE_TTL_SECONDS", "1"),
            ("JWKS_MAX_STALE_SECONDS", "1"),
            ("DECISION_CACHE_MAX_ENTRIES", "0"),
        ],
    ))
    .unwrap();
    std::fs::remove_file(&bundled).unwrap();
    // The provider answers: no key at all (emergency revocation).
    assert_eq!(
        outcome(&authorizer, &other.sign(&valid_claims())).await,
        Err(Refusal::UnknownKid)
    );
    assert_eq!(server.hits(), 1);
    server.set(Reply::status(503));
    tokio::time::sleep(Duration::from_millis(2200)).await;
    let token = revoked.sign(&valid_claims());
    // The answer has aged out: a fetch is tried (and fails), then the backoff.
    assert_eq!(
        outcome(&authorizer, &token).await,
        Err(Refusal::JwksUnavailable)
    );
    assert_eq!(
        outcome(&authorizer, &token).await,
        Err(Refusal::JwksUnavailable)
    );
    assert_eq!(server.hits(), 2);
}

/// With a fallback file, a key set older than TTL + MAX_STALE (an idle
/// environment) is fetched again, not served as current: a key the
/// provider removed meanwhile is refused.
#[tokio::test]
async fn with_a_fallback_an_expired_key_set_is_fetched_again() {
    let removed = SigningKey::generate("ES256", "removed-1");
    let kept = SigningKey::generate("ES256", "kept-1");
    let bundled =
        std::env::temp_dir().join(format!("review-fallback5-{}.json", std::process::id()));
    std::fs::write(&bundled, jwks(&[&kept]).to_string()).unwrap();
    let server = KeyServer::start(&jwks(&[&removed, &kept])).await;
    let authorizer = Authorizer::new(config(
        &server.url,
        &[
            ("JWKS_FALLBACK_FILE", &bundled.to_string_lossy()),
            ("JWKS_CACHE_TTL_SECONDS", "1"),
            ("JWKS_MAX_STALE_SECONDS", "1"),
            ("DECISION_CACHE_MAX_ENTRIES", "0"),
        ],
    ))
    .unwrap();
    std::fs::remove_file(&bundled).unwrap();
    let token = removed.sign(&valid_claims());
    assert_eq!(outcome(&authorizer, &token).await, Ok("Allow".into()));
    assert_eq!(server.hits(), 1);
    // The provider removes the key and stays healthy; the function idles past TTL + MAX_STALE.
    server.set_keys(&jwks(&[&kept]));
    tokio::time::sleep(Duration::from_millis(2300)).await;
    let mut seen = Vec::new();
    for _ in 0..5 {
        seen.push(outcome(&authorizer, &token).await);
        tokio::time::sleep(Duration::from_millis(700)).await;
    }
    assert_eq!(seen, vec![Err(Refusal::UnknownKid); 5]);
    // The first request after the idle gap fetched (more follow the 1 s TTL).
    assert!(
        server.hits() >= 2,
        "the healthy provider was never asked again"
    );
}

/// With OIDC discovery, a key set that moved (a new `jwks_uri` in the
/// discovery document, 404 at the old one) is found by reading the document
/// again, not taken for a key set that is gone (which would revoke every key).
#[tokio::test]
async fn a_key_set_that_moved_is_found_by_discovery_not_taken_as_gone() {
    use std::sync::{Arc, Mutex};
    use testkit::http::{self, Request};
    let a = SigningKey::generate("ES256", "a-1");
    let b = SigningKey::generate("ES256", "b-1");
    let path = Arc::new(Mutex::new("/keys-v1".to_owned()));
    let requests: Arc<Mutex<Vec<String>>> = Arc::default();
    let issuer_slot: Arc<Mutex<String>> = Arc::default();
    let (p, log, own, body_v1, body_v2) = (
        path.clone(),
        requests.clone(),
        issuer_slot.clone(),
        jwks(&[&a]).to_string(),
        jwks(&[&a, &b]).to_string(),
    );
    let addr = http::serve(Arc::new(move |request: Request| {
        log.lock().unwrap().push(request.path.clone());
        let issuer = own.lock().unwrap().clone();
        let current = p.lock().unwrap().clone();
        let answer = match request.path.as_str() {
            "/.well-known/openid-configuration" => Reply::json(
                json!({"issuer": issuer, "jwks_uri": format!("{issuer}{current}")}).to_string(),
            ),
            "/keys-v1" if current == "/keys-v1" => Reply::json(body_v1.clone()),
            "/keys-v2" if current == "/keys-v2" => Reply::json(body_v2.clone()),
            _ => Reply::status(404),
        };
        Box::pin(async move { answer })
    }))
    .await;
    let issuer = format!("http://{addr}");
    *issuer_slot.lock().unwrap() = issuer.clone();
    let authorizer = Authorizer::new(config_from(&[
        ("JWT_ISSUER", &issuer),
        ("JWT_AUTHORIZED_AUDIENCES", AUDIENCE),
        ("JWKS_REFRESH_COOLDOWN_SECONDS", "0"),
        ("DECISION_CACHE_MAX_ENTRIES", "0"),
    ]))
    .unwrap();
    let claims = claims_with(json!({"iss": issuer}));
    let token_a = a.sign(&claims);
    let token_b = b.sign(&claims);
    assert_eq!(outcome(&authorizer, &token_a).await, Ok("Allow".into()));
    // The provider rotates in key b at a new key set URL.
    *path.lock().unwrap() = "/keys-v2".to_owned();
    assert_eq!(outcome(&authorizer, &token_b).await, Ok("Allow".to_owned()));
    assert_eq!(outcome(&authorizer, &token_a).await, Ok("Allow".to_owned()));
    assert_eq!(
        *requests.lock().unwrap(),
        [
            "/.well-known/openid-configuration",
            "/keys-v1",
            "/keys-v1",
            "/.well-known/openid-configuration",
            "/keys-v2"
        ]
    );
}

/// A fetch that was already on its way when a token with a new kid came is
/// no proof that the kid is absent: the key may have been published while
/// it travelled. The token is allowed by a fetch of its own, and the kid is
/// not remembered as unknown.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fetch_begun_before_a_new_kid_came_does_not_prove_it_absent() {
    let old = SigningKey::generate("ES256", "old-1");
    let new = SigningKey::generate("ES256", "new-1");
    let server = KeyServer::start(&jwks(&[&old])).await;
    let authorizer = std::sync::Arc::new(
        Authorizer::new(config(
            &server.url,
            &[
                ("JWKS_CACHE_TTL_SECONDS", "1"),
                ("JWKS_REFRESH_COOLDOWN_SECONDS", "0"),
                ("DECISION_CACHE_MAX_ENTRIES", "0"),
            ],
        ))
        .unwrap(),
    );
    assert_eq!(
        outcome(&authorizer, &old.sign(&valid_claims())).await,
        Ok("Allow".into())
    );
    // Past the TTL, a revalidation sets off and takes 500 ms to bring the old set.
    server.set(Reply::json(jwks(&[&old]).to_string()).delayed(Duration::from_millis(500)));
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let revalidating = {
        let (authorizer, token) = (authorizer.clone(), old.sign(&valid_claims()));
        tokio::spawn(async move { outcome(&authorizer, &token).await })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    // The new key is published while that fetch is on its way.
    server.set_keys(&jwks(&[&old, &new]));
    let token = new.sign(&valid_claims());
    assert_eq!(outcome(&authorizer, &token).await, Ok("Allow".into()));
    assert_eq!(revalidating.await.unwrap(), Ok("Allow".into()));
    assert_eq!(
        server.hits(),
        3,
        "the prefetch, the revalidation, the new kid's own fetch"
    );
    assert_eq!(outcome(&authorizer, &token).await, Ok("Allow".into()));
}
