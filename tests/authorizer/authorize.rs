//! The authorizer against a real key server on loopback: one test per row of
//! the outcome table, per algorithm family, and per key set behaviour.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use testkit::http::Reply;
use testkit::*;
use ws_jwt_authorizer::{Authorizer, ConnectEvent, HandlerError, Refusal};

async fn authorizer_for(server: &KeyServer, vars: &[(&str, &str)]) -> Authorizer {
    Authorizer::new(config(&server.url, vars)).unwrap()
}

/// The response as API Gateway reads it.
async fn decide(authorizer: &Authorizer, event: &ConnectEvent) -> Result<Value, HandlerError> {
    authorizer
        .authorize(event)
        .await
        .map(|response| serde_json::to_value(response).unwrap())
}

async fn refusal(authorizer: &Authorizer, event: &ConnectEvent) -> Refusal {
    match decide(authorizer, event).await {
        Ok(response) => panic!("expected a refusal, got {response}"),
        Err(error) => error.refusal,
    }
}

fn effect(response: &Value) -> &str {
    response["policyDocument"]["Statement"][0]["Effect"]
        .as_str()
        .unwrap()
}

#[tokio::test]
async fn allows_a_valid_token_of_each_algorithm_family() {
    let algs = ["RS256", "PS256", "ES256", "ES384", "ES512", "EdDSA"];
    let keys: Vec<&SigningKey> = algs.iter().map(|alg| SigningKey::shared(alg)).collect();
    let server = KeyServer::start(&jwks(&keys)).await;
    let authorizer = authorizer_for(&server, &[]).await;
    for key in keys {
        let claims = valid_claims();
        let response = decide(&authorizer, &query_event(&key.sign(&claims))).await;
        let response = response.unwrap_or_else(|error| panic!("{}: {error:?}", key.alg));
        assert_eq!(
            response,
            json!({
                "principalId": "user-123",
                "policyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [{"Action": ["execute-api:Invoke"], "Effect": "Allow", "Resource": [METHOD_ARN]}]
                },
                "context": {
                    "sub": "user-123", "iss": ISSUER, "aud": AUDIENCE, "scope": "chat:read chat:write",
                    "client_id": "web-client", "exp": claims["exp"]
                },
                "usageIdentifierKey": null
            }),
            "{}",
            key.alg
        );
    }
    assert_eq!(server.hits(), 1, "one fetch serves every key");
}

#[tokio::test]
async fn header_transport_with_bearer_prefix() {
    let key = SigningKey::shared("RS256");
    let server = KeyServer::start(&jwks(&[key])).await;
    let authorizer = authorizer_for(&server, &[]).await;
    let event = header_event(&key.sign(&valid_claims()));
    let response = decide(&authorizer, &event).await.unwrap();
    assert_eq!(effect(&response), "Allow");
    assert_eq!(
        response["policyDocument"]["Statement"][0]["Resource"][0],
        "arn:aws:execute-api:us-east-1:210987654321:zyxw987654/dev/$connect"
    );
}

#[tokio::test]
async fn firebase_certificate_map() {
    let key = SigningKey::generate("RS256", "a1b2c3d4e5f6");
    let pem = key.certificate_pem("securetoken.system.gserviceaccount.com");

    let kid = "a1b2c3d4e5f6";
    let server = KeyServer::start(&json!({ kid: pem })).await;
    let project = "my-firebase-project";
    let authorizer = authorizer_for(
        &server,
        &[
            (
                "JWT_ISSUER",
                &format!("https://securetoken.google.com/{project}"),
            ),
            ("JWT_AUTHORIZED_AUDIENCES", project),
        ],
    )
    .await;
    let claims = claims_with(json!({
        "iss": format!("https://securetoken.google.com/{project}"),
        "aud": project,
        "sub": "firebase-uid-1",
    }));
    let header = json!({"alg": "RS256", "kid": kid, "typ": "JWT"});
    let token = key.sign_with_header(&header, &claims);
    let response = decide(&authorizer, &query_event(&token)).await.unwrap();
    assert_eq!(effect(&response), "Allow");
    assert_eq!(response["principalId"], "firebase-uid-1");
}

#[tokio::test]
async fn every_unauthorized_row_of_the_outcome_table() {
    let key = SigningKey::shared("ES256");
    let other = SigningKey::generate("ES256", &key.kid);
    let server = KeyServer::start(&jwks(&[key])).await;
    let authorizer = authorizer_for(&server, &[("JWT_ALGORITHMS", "ES256,RS256")]).await;
    let good = key.sign(&valid_claims());
    let now = now();

    let cases: Vec<(&str, ConnectEvent, Refusal)> = vec![
        ("no token", event_without_token(), Refusal::MissingToken),
        (
            "malformed",
            query_event("not-a-jwt"),
            Refusal::MalformedToken,
        ),
        (
            "bad signature",
            query_event(&other.sign(&valid_claims())),
            Refusal::BadSignature,
        ),
        (
            "unknown kid",
            query_event(
                &key.sign_with_header(&json!({"alg": "ES256", "kid": "nope"}), &valid_claims()),
            ),
            Refusal::UnknownKid,
        ),
        (
            "alg not allowed",
            query_event(&SigningKey::shared("EdDSA").sign(&valid_claims())),
            Refusal::AlgorithmNotAllowed,
        ),
        (
            "expired",
            query_event(&key.sign(&claims_with(
                json!({"exp": now - 120, "iat": now - 600, "nbf": now - 600}),
            ))),
            Refusal::Expired,
        ),
        (
            "not yet valid",
            query_event(&key.sign(&claims_with(json!({"nbf": now + 600})))),
            Refusal::NotYetValid,
        ),
        (
            "wrong issuer",
            query_event(&key.sign(&claims_with(json!({"iss": "https://evil.test"})))),
            Refusal::WrongIssuer,
        ),
        (
            "wrong audience",
            query_event(&key.sign(&claims_with(json!({"aud": ["api://other"]})))),
            Refusal::WrongAudience,
        ),
        (
            "missing exp",
            query_event(&key.sign(&claims_with(json!({"exp": null})))),
            Refusal::MissingExpiry,
        ),
        (
            "different tokens in query and header",
            {
                let mut event = query_event_json(&good);
                event["headers"]["Authorization"] = json!(format!(
                    "Bearer {}",
                    key.sign(&claims_with(json!({"sub": "x"})))
                ));
                serde_json::from_value(event).unwrap()
            },
            Refusal::ConflictingTokens,
        ),
        (
            "oversize",
            query_event(&"a".repeat(9000)),
            Refusal::TokenTooLarge,
        ),
    ];
    for (name, event, expected) in cases {
        let error = decide(&authorizer, &event).await.expect_err(name);
        assert_eq!(error.refusal, expected, "{name}");
        assert_eq!(error.to_string(), "Unauthorized", "{name}");
    }
    assert_eq!(
        effect(&decide(&authorizer, &query_event(&good)).await.unwrap()),
        "Allow"
    );
}

#[tokio::test]
async fn authorized_apis_allow_or_deny() {
    let key = SigningKey::shared("RS256");
    let server = KeyServer::start(&jwks(&[key])).await;
    let token = key.sign(&valid_claims());

    let covering = authorizer_for(
        &server,
        &[("AUTHORIZED_APIS", "arn:aws:execute-api:eu-west-1:123456789012:other/*, arn:aws:execute-api:eu-west-1:123456789012:abcdef1234/prod/*")],
    )
    .await;
    let response = decide(&covering, &query_event(&token)).await.unwrap();
    assert_eq!(effect(&response), "Allow");
    assert_eq!(
        response["policyDocument"]["Statement"][0]["Resource"],
        json!([METHOD_ARN])
    );

    let elsewhere = authorizer_for(
        &server,
        &[(
            "AUTHORIZED_APIS",
            "arn:aws:execute-api:eu-west-1:123456789012:abcdef1234/dev/*",
        )],
    )
    .await;
    let response = decide(&elsewhere, &query_event(&token)).await.unwrap();
    assert_eq!(
        response,
        json!({
            "principalId": "user-123",
            "policyDocument": {
                "Version": "2012-10-17",
                "Statement": [{"Action": ["execute-api:Invoke"], "Effect": "Deny", "Resource": [METHOD_ARN]}]
            },
            "context": {},
            "usageIdentifierKey": null
        })
    );
}

#[tokio::test]
async fn unreachable_key_set_is_a_500_not_a_401() {
    // Bind then drop a listener: nothing listens on that port any more.
    let addr = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let authorizer = Authorizer::new(config(&format!("http://{addr}/jwks"), &[])).unwrap();
    let token = SigningKey::shared("RS256").sign(&valid_claims());
    let error = decide(&authorizer, &query_event(&token)).await.unwrap_err();
    assert_eq!(error.refusal, Refusal::JwksUnavailable);
    assert_eq!(
        error.to_string(),
        "jwks_unavailable: the key set is unavailable"
    );
}

/// Every way a key set server can fail at a cold start: each outage is a
/// 500 (`jwks_unavailable`) within the timeout, the next request inside the
/// backoff is answered at once without a fetch, and the first one after it
/// succeeds once the server is back. Authoritative answers (a 404, an empty
/// set) are not outages: the tokens' kids are unknown.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn key_set_faults_fail_closed_within_the_timeout() {
    let key = SigningKey::shared("RS256");
    let token = key.sign(&valid_claims());
    let good = jwks(&[key]).to_string();
    let outages: Vec<(&str, Reply)> = vec![
        (
            "slow",
            Reply::json(good.clone()).delayed(Duration::from_secs(5)),
        ),
        ("503", Reply::status(503)),
        ("429", Reply::status(429)),
        ("408", Reply::status(408)),
        ("html", Reply::json("<html><body>maintenance</body></html>")),
        ("truncated", Reply::json(good[..good.len() / 2].to_owned())),
        (
            "oversize",
            Reply::json(format!(
                "{{\"keys\":[],\"pad\":\"{}\"}}",
                "x".repeat(300_000)
            )),
        ),
        (
            "oversize without a length, 20 MB",
            Reply::json(format!(
                "{{\"keys\":[],\"pad\":\"{}\"}}",
                "x".repeat(20 << 20)
            ))
            .without_length(),
        ),
        (
            "announced length longer than the body",
            Reply {
                content_length: Some(good.len() + 100),
                ..Reply::json(good.clone())
            },
        ),
        (
            "slow drip",
            Reply::json(good.clone()).dripping(Duration::from_millis(20)),
        ),
        ("500", Reply::status(500)),
        (
            "redirect",
            Reply::status(302).with_header("Location", "http://127.0.0.1:1/jwks"),
        ),
    ];
    let vars = [
        ("JWKS_FETCH_TIMEOUT_MS", "300"),
        ("JWKS_REFRESH_COOLDOWN_SECONDS", "0"),
    ];
    let cases = outages.into_iter().map(|(name, reply)| {
        let (token, good) = (token.clone(), good.clone());
        async move {
            let server = KeyServer::start_with(reply).await;
            let authorizer = authorizer_for(&server, &vars).await;
            let started = Instant::now();
            let error = decide(&authorizer, &query_event(&token)).await.unwrap_err();
            assert_eq!(error.refusal, Refusal::JwksUnavailable, "{name}");
            assert!(
                started.elapsed() < Duration::from_millis(800),
                "{name} took {:?}",
                started.elapsed()
            );
            assert_eq!(server.hits(), 1, "{name}");

            // Within the backoff (1 s with no cooldown): at once, no fetch.
            server.set(Reply::json(good.clone()));
            let started = Instant::now();
            let error = decide(&authorizer, &query_event(&token)).await.unwrap_err();
            assert_eq!(error.refusal, Refusal::JwksUnavailable, "{name}");
            assert!(started.elapsed() < Duration::from_millis(50), "{name}");
            assert_eq!(server.hits(), 1, "{name}: no fetch in the backoff");

            tokio::time::sleep(Duration::from_millis(1100)).await;
            let response = decide(&authorizer, &query_event(&token)).await;
            assert_eq!(
                effect(&response.unwrap_or_else(|e| panic!("{name}: {e:?}"))),
                "Allow",
                "{name}"
            );
        }
    });
    futures_util::future::join_all(cases).await;

    for (name, reply) in [
        ("404", Reply::status(404)),
        ("410", Reply::status(410)),
        ("empty set", Reply::json("{\"keys\":[]}")),
    ] {
        let server = KeyServer::start_with(reply).await;
        let authorizer = authorizer_for(&server, &vars).await;
        assert_eq!(
            refusal(&authorizer, &query_event(&token)).await,
            Refusal::UnknownKid,
            "{name}"
        );
    }
}

#[tokio::test]
async fn key_rotation_picks_up_a_new_kid() {
    let old = SigningKey::shared("RS256");
    let new = SigningKey::generate("RS256", "rotated-2");
    let server = KeyServer::start(&jwks(&[old])).await;
    let authorizer = authorizer_for(&server, &[]).await;
    assert_eq!(
        effect(
            &decide(&authorizer, &query_event(&old.sign(&valid_claims())))
                .await
                .unwrap()
        ),
        "Allow"
    );

    server.set_keys(&jwks(&[old, &new]));
    let response = decide(&authorizer, &query_event(&new.sign(&valid_claims())))
        .await
        .unwrap();
    assert_eq!(effect(&response), "Allow");
    assert_eq!(server.hits(), 2);
    // The old key still works from the refreshed set, with no further fetch.
    assert_eq!(
        effect(
            &decide(&authorizer, &query_event(&old.sign(&valid_claims())))
                .await
                .unwrap()
        ),
        "Allow"
    );
    assert_eq!(server.hits(), 2);
}

#[tokio::test]
async fn a_flood_of_unknown_kids_causes_at_most_one_refetch_per_cooldown() {
    let key = SigningKey::shared("RS256");
    let server = KeyServer::start(&jwks(&[key])).await;
    let authorizer = authorizer_for(&server, &[("JWKS_REFRESH_COOLDOWN_SECONDS", "60")]).await;
    assert!(authorizer.prefetch(Duration::from_secs(2)).await);
    assert_eq!(server.hits(), 1);
    for index in 0..100 {
        let header = json!({"alg": "RS256", "kid": format!("random-{index}")});
        let token = key.sign_with_header(&header, &valid_claims());
        assert_eq!(
            refusal(&authorizer, &query_event(&token)).await,
            Refusal::UnknownKid
        );
    }
    assert_eq!(
        server.hits(),
        2,
        "one refetch for the first unknown kid, none after"
    );
}

#[tokio::test]
async fn a_removed_key_stops_working_after_the_ttl() {
    let kept = SigningKey::shared("ES256");
    let removed = SigningKey::shared("ES384");
    let server = KeyServer::start(&jwks(&[kept, removed])).await;
    let authorizer = authorizer_for(&server, &[("JWKS_CACHE_TTL_SECONDS", "1")]).await;
    let token = removed.sign(&valid_claims());
    assert_eq!(
        effect(&decide(&authorizer, &query_event(&token)).await.unwrap()),
        "Allow"
    );

    server.set_keys(&jwks(&[kept]));
    // Within the TTL the cached key still verifies.
    assert_eq!(
        effect(&decide(&authorizer, &query_event(&token)).await.unwrap()),
        "Allow"
    );
    assert_eq!(server.hits(), 1);

    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(
        refusal(&authorizer, &query_event(&token)).await,
        Refusal::UnknownKid
    );
    assert_eq!(
        effect(
            &decide(&authorizer, &query_event(&kept.sign(&valid_claims())))
                .await
                .unwrap()
        ),
        "Allow"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_cold_requests_share_one_fetch() {
    let key = SigningKey::shared("RS256");
    let server = KeyServer::start_with(
        Reply::json(jwks(&[key]).to_string()).delayed(Duration::from_millis(200)),
    )
    .await;
    let authorizer = Arc::new(authorizer_for(&server, &[]).await);
    let token = key.sign(&valid_claims());
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let (authorizer, event) = (authorizer.clone(), query_event(&token));
            tokio::spawn(async move { authorizer.authorize(&event).await.is_ok() })
        })
        .collect();
    for task in tasks {
        assert!(task.await.unwrap());
    }
    assert_eq!(server.hits(), 1);
}

#[tokio::test]
async fn principal_from_a_configured_claim() {
    let key = SigningKey::shared("RS256");
    let server = KeyServer::start(&jwks(&[key])).await;
    let authorizer = authorizer_for(&server, &[("PRINCIPAL_ID_CLAIM", "client_id")]).await;
    let response = decide(&authorizer, &query_event(&key.sign(&valid_claims())))
        .await
        .unwrap();
    assert_eq!(response["principalId"], "web-client");
    let without = key.sign(&claims_with(json!({"client_id": null})));
    assert_eq!(
        refusal(&authorizer, &query_event(&without)).await,
        Refusal::MissingPrincipal
    );
}

#[tokio::test]
async fn cognito_access_token_audience_is_its_client_id() {
    let key = SigningKey::shared("RS256");
    let server = KeyServer::start(&jwks(&[key])).await;
    let authorizer = authorizer_for(&server, &[("JWT_AUTHORIZED_AUDIENCES", "web-client")]).await;
    let access_token = key.sign(&claims_with(json!({"aud": null, "token_use": "access"})));
    assert_eq!(
        effect(
            &decide(&authorizer, &query_event(&access_token))
                .await
                .unwrap()
        ),
        "Allow"
    );
}

/// A kid the provider could not be asked about is not a bad token: the
/// answer is `jwks_unavailable` (500, "try again"), and the cached keys stay.
#[tokio::test]
async fn an_unknown_kid_whose_refetch_failed_is_unavailable_and_the_cached_keys_stay() {
    let key = SigningKey::shared("RS256");
    let server = KeyServer::start(&jwks(&[key])).await;
    let authorizer = authorizer_for(&server, &[("JWKS_REFRESH_COOLDOWN_SECONDS", "0")]).await;
    assert!(authorizer.prefetch(Duration::from_secs(2)).await);

    server.set(Reply::status(503));
    let unknown = key.sign_with_header(&json!({"alg": "RS256", "kid": "new-kid"}), &valid_claims());
    assert_eq!(
        refusal(&authorizer, &query_event(&unknown)).await,
        Refusal::JwksUnavailable
    );
    assert_eq!(server.hits(), 2);
    // In the backoff that follows, no refetch: still unavailable, at once.
    assert_eq!(
        refusal(&authorizer, &query_event(&unknown)).await,
        Refusal::JwksUnavailable
    );
    assert_eq!(server.hits(), 2);
    let response = decide(&authorizer, &query_event(&key.sign(&valid_claims())))
        .await
        .unwrap();
    assert_eq!(effect(&response), "Allow");
}

#[tokio::test]
async fn stale_keys_serve_while_the_key_set_is_down_then_expire() {
    let key = SigningKey::shared("RS256");
    let server = KeyServer::start(&jwks(&[key])).await;
    let token = key.sign(&valid_claims());
    let tolerant = authorizer_for(
        &server,
        &[
            ("JWKS_CACHE_TTL_SECONDS", "1"),
            ("JWKS_MAX_STALE_SECONDS", "3600"),
        ],
    )
    .await;
    let strict = authorizer_for(
        &server,
        &[
            ("JWKS_CACHE_TTL_SECONDS", "1"),
            ("JWKS_MAX_STALE_SECONDS", "1"),
            ("JWKS_MAX_BACKOFF_SECONDS", "1"),
        ],
    )
    .await;
    assert!(tolerant.prefetch(Duration::from_secs(2)).await);
    assert!(strict.prefetch(Duration::from_secs(2)).await);

    server.set(Reply::status(503));
    tokio::time::sleep(Duration::from_millis(1100)).await;
    // Past the TTL the refresh fails, and the cached keys still decide.
    assert_eq!(
        effect(&decide(&tolerant, &query_event(&token)).await.unwrap()),
        "Allow"
    );
    assert_eq!(
        effect(&decide(&strict, &query_event(&token)).await.unwrap()),
        "Allow"
    );

    tokio::time::sleep(Duration::from_millis(1100)).await;
    // Past TTL + max stale, nothing is cached any more: fail closed.
    assert_eq!(
        refusal(&strict, &query_event(&token)).await,
        Refusal::JwksUnavailable
    );
    assert_eq!(
        effect(&decide(&tolerant, &query_event(&token)).await.unwrap()),
        "Allow"
    );

    // Once the backoff after the last failure has passed, the next request fetches.
    server.set_keys(&jwks(&[key]));
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(
        effect(&decide(&strict, &query_event(&token)).await.unwrap()),
        "Allow"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_the_ttl_one_request_refreshes_and_the_others_do_not_wait() {
    let key = SigningKey::shared("ES256");
    let server = KeyServer::start(&jwks(&[key])).await;
    let authorizer = Arc::new(authorizer_for(&server, &[("JWKS_CACHE_TTL_SECONDS", "1")]).await);
    assert!(authorizer.prefetch(Duration::from_secs(2)).await);
    server.set(Reply::json(jwks(&[key]).to_string()).delayed(Duration::from_millis(500)));
    tokio::time::sleep(Duration::from_millis(1100)).await;

    let token = key.sign(&valid_claims());
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let (authorizer, event) = (authorizer.clone(), query_event(&token));
            tokio::spawn(async move {
                let started = Instant::now();
                let allowed = authorizer.authorize(&event).await.is_ok();
                (allowed, started.elapsed())
            })
        })
        .collect();
    let mut waited = 0;
    for task in tasks {
        let (allowed, elapsed) = task.await.unwrap();
        assert!(allowed);
        if elapsed >= Duration::from_millis(400) {
            waited += 1;
        }
    }
    assert_eq!(server.hits(), 2, "one refresh for the whole burst");
    assert_eq!(
        waited, 1,
        "only the refreshing request waits for the slow key server"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_tasks_asking_for_a_new_kid_share_one_refetch() {
    use ws_jwt_authorizer::jwks::KeyStore;
    use ws_jwt_authorizer::metrics::Metrics;

    let old = SigningKey::shared("RS256");
    let new = SigningKey::generate("RS256", "brand-new");
    let server = KeyServer::start(&jwks(&[old])).await;
    let config = config(&server.url, &[("JWKS_REFRESH_COOLDOWN_SECONDS", "0")]);
    let store = Arc::new(KeyStore::new(
        config
            .key_store
            .fetcher(config.algorithms, &config.issuers[0])
            .unwrap(),
        &config.key_store,
        None,
        Metrics::new(None),
    ));
    store.current().await.unwrap();

    server.set(Reply::json(jwks(&[old, &new]).to_string()).delayed(Duration::from_millis(300)));
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move { store.with_kid("brand-new").await.is_ok() })
        })
        .collect();
    for task in tasks {
        assert!(task.await.unwrap(), "every task finds the new kid");
    }
    assert_eq!(server.hits(), 2, "one initial fetch, one shared refetch");
}

#[tokio::test]
async fn a_flood_of_one_unknown_kid_causes_one_fetch_even_without_cooldown() {
    let key = SigningKey::shared("RS256");
    let server = KeyServer::start(&jwks(&[key])).await;
    let authorizer = authorizer_for(&server, &[("JWKS_REFRESH_COOLDOWN_SECONDS", "0")]).await;
    assert!(authorizer.prefetch(Duration::from_secs(2)).await);
    let token = key.sign_with_header(&json!({"alg": "RS256", "kid": "made-up"}), &valid_claims());
    for _ in 0..100 {
        assert_eq!(
            refusal(&authorizer, &query_event(&token)).await,
            Refusal::UnknownKid
        );
    }
    assert_eq!(
        server.hits(),
        2,
        "one refetch proved the kid absent; the rest asked nobody"
    );

    // Another unknown kid still gets its refetch: the memory is per kid.
    let other = key.sign_with_header(&json!({"alg": "RS256", "kid": "another"}), &valid_claims());
    assert_eq!(
        refusal(&authorizer, &query_event(&other)).await,
        Refusal::UnknownKid
    );
    assert_eq!(server.hits(), 3);
}

#[tokio::test]
async fn cached_decisions_recheck_expiry_and_authorized_apis() {
    let key = SigningKey::shared("RS256");
    let server = KeyServer::start(&jwks(&[key])).await;
    let authorizer = authorizer_for(
        &server,
        &[
            ("JWT_LEEWAY_SECONDS", "0"),
            (
                "AUTHORIZED_APIS",
                "arn:aws:execute-api:eu-west-1:123456789012:abcdef1234/prod/*",
            ),
        ],
    )
    .await;
    let token = key.sign(&claims_with(json!({"exp": now() + 2})));
    for _ in 0..2 {
        assert_eq!(
            effect(&decide(&authorizer, &query_event(&token)).await.unwrap()),
            "Allow"
        );
    }
    let mut elsewhere = query_event(&token);
    elsewhere.method_arn =
        "arn:aws:execute-api:eu-west-1:123456789012:abcdef1234/dev/$connect".into();
    assert_eq!(
        effect(&decide(&authorizer, &elsewhere).await.unwrap()),
        "Deny"
    );
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(
        refusal(&authorizer, &query_event(&token)).await,
        Refusal::Expired
    );
}

/// A `$connect` event offering the subprotocol `offered` and `token` in the
/// default prefixed form.
fn protocol_event(token: &str, offered: &str) -> ConnectEvent {
    let mut event = event_without_token_json();
    let header = json!(format!("{offered}, base64url.bearer.authorization.{token}"));
    event["headers"]["Sec-WebSocket-Protocol"] = header.clone();
    event["multiValueHeaders"]["Sec-WebSocket-Protocol"] = json!([header]);
    serde_json::from_value(event).unwrap()
}

/// A remembered Allow is given again only to the same `methodArn` and
/// subprotocol; any other `$connect` with the token gets its own answer, and
/// the rights are checked again before a remembered answer is given.
#[tokio::test]
async fn a_remembered_answer_is_given_only_to_the_same_route_and_subprotocol() {
    let key = SigningKey::shared("RS256");
    let server = KeyServer::start(&jwks(&[key])).await;
    let prod = "arn:aws:execute-api:eu-west-1:123456789012:abcdef1234/prod/$connect";
    let dev = "arn:aws:execute-api:eu-west-1:123456789012:abcdef1234/dev/$connect";
    let other_api = "arn:aws:execute-api:eu-west-1:123456789012:other12345/prod/$connect";
    let vars = [
        ("TOKEN_SOURCES", "protocol"),
        (
            "AUTHORIZED_APIS",
            "arn:aws:execute-api:eu-west-1:123456789012:abcdef1234/*",
        ),
    ];
    let token = key.sign(&valid_claims());
    let connect = |arn: &str, offered: &str| {
        let mut event = protocol_event(&token, offered);
        event.method_arn = arn.to_owned();
        event
    };
    let sequence = [
        (prod, "chat.v1"),
        (prod, "chat.v1"),
        (dev, "chat.v1"),
        (prod, "chat.v2"),
        (other_api, "chat.v1"),
        (prod, "chat.v1"),
    ];
    // Every answer, remembered or not, is the one a fresh decision gives.
    let fresh = authorizer_for(
        &server,
        &[&vars[..], &[("DECISION_CACHE_MAX_ENTRIES", "0")]].concat(),
    )
    .await;
    let remembering = authorizer_for(&server, &vars).await;
    for (arn, offered) in sequence {
        let event = connect(arn, offered);
        let expected = decide(&fresh, &event).await.unwrap();
        let answer = decide(&remembering, &event).await.unwrap();
        assert_eq!(answer, expected, "{arn} {offered}");
        assert_eq!(
            answer["policyDocument"]["Statement"][0]["Resource"],
            json!([arn])
        );
        let allowed = arn != other_api;
        assert_eq!(effect(&answer), if allowed { "Allow" } else { "Deny" });
        if allowed {
            assert_eq!(answer["context"]["subprotocol"], offered);
        }
    }
}

#[tokio::test]
async fn cached_decisions_end_with_the_key_sets_freshness() {
    let kept = SigningKey::shared("ES256");
    let removed = SigningKey::shared("RS256");
    let server = KeyServer::start(&jwks(&[kept, removed])).await;
    for cache in ["10000", "0"] {
        let authorizer = authorizer_for(
            &server,
            &[
                ("JWKS_CACHE_TTL_SECONDS", "1"),
                ("DECISION_CACHE_MAX_ENTRIES", cache),
            ],
        )
        .await;
        server.set_keys(&jwks(&[kept, removed]));
        let token = removed.sign(&valid_claims());
        assert_eq!(
            effect(&decide(&authorizer, &query_event(&token)).await.unwrap()),
            "Allow"
        );
        assert_eq!(
            effect(&decide(&authorizer, &query_event(&token)).await.unwrap()),
            "Allow"
        );
        server.set_keys(&jwks(&[kept]));
        tokio::time::sleep(Duration::from_millis(1100)).await;
        assert_eq!(
            refusal(&authorizer, &query_event(&token)).await,
            Refusal::UnknownKid,
            "cache {cache}"
        );
    }
}
