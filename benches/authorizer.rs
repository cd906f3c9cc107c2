//! Criterion benchmarks: verification per algorithm, the whole handler,
//! refusals that must cost less than a signature check, and cold set-up.
//!
//! ```text
//! cargo bench --bench authorizer
//! ```

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use serde_json::json;
use testkit::*;
use ws_jwt_authorizer::algorithm::{Algorithm, AlgorithmSet};
use ws_jwt_authorizer::keys::KeySet;
use ws_jwt_authorizer::{jws, Authorizer, Config, ConnectEvent};

const ALGORITHMS: [&str; 6] = ["RS256", "PS256", "ES256", "ES384", "ES512", "EdDSA"];

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// Signature verification alone, with the verifier already built and cached.
fn verification(c: &mut Criterion) {
    let keys: Vec<&SigningKey> = ALGORITHMS
        .iter()
        .map(|alg| SigningKey::shared(alg))
        .collect();
    let set = KeySet::parse(jwks(&keys).to_string().as_bytes(), AlgorithmSet::all()).unwrap();
    let mut group = c.benchmark_group("verify");
    for key in keys {
        let token = key.sign(&valid_claims());
        let parsed = jws::parse(&token, AlgorithmSet::all()).unwrap();
        let verifier = set.get(&key.kid).unwrap();
        let alg: Algorithm = key.alg.parse().unwrap();
        // The first call builds and caches the verifier.
        verifier
            .verify(alg, parsed.signing_input.as_bytes(), &parsed.signature)
            .unwrap();
        group.bench_function(key.alg, |b| {
            b.iter(|| {
                verifier
                    .verify(
                        alg,
                        black_box(parsed.signing_input.as_bytes()),
                        black_box(&parsed.signature),
                    )
                    .unwrap()
            })
        });
    }
    group.finish();
}

/// Event JSON in, response JSON out, as lambda_runtime runs the handler.
async fn decide_json(authorizer: &Authorizer, event: &[u8]) -> Option<Vec<u8>> {
    let event: ConnectEvent = serde_json::from_slice(event).ok()?;
    let response = authorizer.authorize(&event).await.ok()?;
    serde_json::to_vec(&response).ok()
}

fn handler(c: &mut Criterion) {
    let runtime = runtime();
    let key = SigningKey::shared("RS256");
    let (authorizer, server) = runtime.block_on(async {
        let server = KeyServer::start(&jwks(&[key])).await;
        // Every decision verifies: the decision cache is measured separately.
        let authorizer = Authorizer::new(config(
            &server.url,
            &[
                ("JWKS_REFRESH_COOLDOWN_SECONDS", "3600"),
                ("DECISION_CACHE_MAX_ENTRIES", "0"),
            ],
        ))
        .unwrap();
        assert!(authorizer.prefetch(Duration::from_secs(2)).await);
        (authorizer, server)
    });
    let token = key.sign(&valid_claims());
    let valid = serde_json::to_vec(&query_event_json(&token)).unwrap();
    assert!(runtime.block_on(decide_json(&authorizer, &valid)).is_some());
    c.bench_function("handler/allow_rs256", |b| {
        b.to_async(&runtime)
            .iter(|| decide_json(&authorizer, black_box(&valid)))
    });

    // The same token again with the decision cache on: a reconnect.
    let cached = runtime.block_on(async {
        let authorizer = Authorizer::new(config(&server.url, &[])).unwrap();
        assert!(authorizer.prefetch(Duration::from_secs(2)).await);
        assert!(decide_json(&authorizer, &valid).await.is_some());
        authorizer
    });
    c.bench_function("handler/allow_rs256_cache_hit", |b| {
        b.to_async(&runtime)
            .iter(|| decide_json(&cached, black_box(&valid)))
    });

    // Refusals that must be cheaper than a signature check.
    let unknown_kid =
        key.sign_with_header(&json!({"alg": "RS256", "kid": "unknown"}), &valid_claims());
    // Uses up the one refetch the cooldown allows, so the benchmark measures the cooldown path.
    runtime
        .block_on(authorizer.authorize(&query_event(&unknown_kid)))
        .unwrap_err();
    let refusals = [
        (
            "malformed",
            query_event_json("eyJhbGciOiJSUzI1NiJ9.not-base64!.x"),
        ),
        ("oversize", query_event_json(&"a".repeat(9000))),
        (
            "alg_not_allowed",
            query_event_json(
                &key.sign_with_header(&json!({"alg": "HS256", "kid": key.kid}), &valid_claims()),
            ),
        ),
        ("unknown_kid_in_cooldown", query_event_json(&unknown_kid)),
    ];
    let mut group = c.benchmark_group("refusal");
    for (name, event) in refusals {
        let event = serde_json::to_vec(&event).unwrap();
        assert!(
            runtime.block_on(decide_json(&authorizer, &event)).is_none(),
            "{name}"
        );
        group.bench_function(name, |b| {
            b.to_async(&runtime)
                .iter(|| decide_json(&authorizer, black_box(&event)))
        });
    }
    group.finish();
}

/// The pieces of one Allow, each on its own, beside the bare AWS-LC RSA
/// verification that bounds it: what the handler adds to a signature check.
fn pieces(c: &mut Criterion) {
    let key = SigningKey::shared("RS256");
    let token = key.sign(&valid_claims());
    let event = serde_json::to_vec(&query_event_json(&token)).unwrap();
    let parsed = jws::parse(&token, AlgorithmSet::all()).unwrap();
    let mut group = c.benchmark_group("pieces");

    let bare = BareRsaVerify::new(key, &token);
    group.bench_function("aws_lc_rs256_verify", |b| b.iter(|| bare.verify()));

    group.bench_function("event_json", |b| {
        b.iter(|| serde_json::from_slice::<ConnectEvent>(black_box(&event)).unwrap())
    });
    // The floor: every byte of the event read and nothing kept.
    group.bench_function("event_json_skipped", |b| {
        b.iter(|| serde_json::from_slice::<serde::de::IgnoredAny>(black_box(&event)).unwrap())
    });
    group.bench_function("token_header", |b| {
        b.iter(|| jws::parse(black_box(&token), AlgorithmSet::all()).unwrap())
    });
    group.bench_function("token_claims", |b| {
        b.iter(|| jws::dangerous::unverified_claims(black_box(&parsed)).unwrap())
    });
    let runtime = runtime();
    let response = runtime.block_on(async {
        let server = KeyServer::start(&jwks(&[key])).await;
        let authorizer = Authorizer::new(config(&server.url, &[])).unwrap();
        let event: ConnectEvent = serde_json::from_slice(&event).unwrap();
        authorizer.authorize(&event).await.unwrap()
    });
    group.bench_function("response_json", |b| {
        b.iter(|| serde_json::to_vec(black_box(&response)).unwrap())
    });
    group.finish();
}

/// Configuration parsing and client construction, without the network.
fn cold_init(c: &mut Criterion) {
    let vars = [
        (
            "JWT_ISSUER_JWKS_URI",
            "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Example/.well-known/jwks.json",
        ),
        ("JWT_AUTHORIZED_AUDIENCES", "client-1,client-2"),
        (
            "JWT_ISSUER",
            "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Example",
        ),
        (
            "AUTHORIZED_APIS",
            "arn:aws:execute-api:eu-west-1:123456789012:abcdef1234/*",
        ),
    ];
    let lookup = |name: &str| {
        vars.iter()
            .find(|(key, _)| *key == name)
            .map(|(_, value)| (*value).to_owned())
    };
    c.bench_function("cold/config", |b| {
        b.iter(|| Config::from_lookup(lookup).unwrap())
    });
    c.bench_function("cold/config_and_client", |b| {
        b.iter(|| Authorizer::new(Config::from_lookup(lookup).unwrap()).unwrap())
    });
}

/// Many tasks deciding at once on a multi-threaded runtime: the shared cache under contention.
fn contention(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let key = SigningKey::shared("ES256");
    let (authorizer, _server) = runtime.block_on(async {
        let server = KeyServer::start(&jwks(&[key])).await;
        let authorizer = Arc::new(Authorizer::new(config(&server.url, &[])).unwrap());
        assert!(authorizer.prefetch(Duration::from_secs(2)).await);
        (authorizer, server)
    });
    let token = key.sign_with_header(&json!({"alg": "ES256", "kid": "unknown"}), &valid_claims());
    runtime
        .block_on(authorizer.authorize(&query_event(&token)))
        .unwrap_err();
    let event = Arc::new(serde_json::to_vec(&query_event_json(&token)).unwrap());
    // Each iteration: 8 concurrent decisions that hit the key cache and stop at the kid lookup.
    c.bench_function("contention/8_concurrent_cache_hits", |b| {
        b.to_async(&runtime).iter(|| {
            let (authorizer, event) = (authorizer.clone(), event.clone());
            async move {
                let tasks: Vec<_> = (0..8)
                    .map(|_| {
                        let (authorizer, event) = (authorizer.clone(), event.clone());
                        tokio::spawn(async move { decide_json(&authorizer, &event).await })
                    })
                    .collect();
                for task in tasks {
                    black_box(task.await.unwrap());
                }
            }
        })
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().measurement_time(Duration::from_secs(3)).warm_up_time(Duration::from_secs(1));
    targets = verification, handler, pieces, cold_init, contention
}
criterion_main!(benches);
