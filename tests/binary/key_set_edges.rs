//! The key set's edges, through the compiled binary behind the Runtime API
//! emulator: keys taken away (revocation), outages against answers, and a
//! flood of requests while the key set server is down or black-holed.

use crate::AUTHORIZER;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use testkit::function::{decision_lines, decision_reasons, start_function_for, stop_and_read_logs};
use testkit::http::Reply;
use testkit::runtime_api::Answer;
use testkit::*;

fn unauthorized() -> Answer {
    Answer::Error(json!({"errorType": "Unauthorized", "errorMessage": "Unauthorized"}))
}

fn unavailable() -> Answer {
    Answer::Error(json!({
        "errorType": "AuthorizerError",
        "errorMessage": "jwks_unavailable: the key set is unavailable"
    }))
}

fn allowed(answer: &Answer) -> bool {
    matches!(answer, Answer::Response(response)
        if response["policyDocument"]["Statement"][0]["Effect"] == "Allow")
}

/// A token with a made-up kid, signed by `key`.
fn with_kid(key: &SigningKey, kid: &str) -> String {
    key.sign_with_header(&json!({"alg": key.alg, "kid": kid}), &valid_claims())
}

/// #16.1: a remembered decision does not outlive its key. Token A is
/// allowed (then remembered); its key is removed at the server; a token
/// with a new kid makes the authorizer refetch; A is then refused, although
/// the decision cache still holds it.
#[tokio::test]
async fn a_cached_decision_ends_when_a_fetch_sees_its_key_removed() {
    let removed = SigningKey::generate("ES256", "removed-1");
    let kept = SigningKey::shared("ES256");
    let added = SigningKey::generate("ES256", "added-1");
    let server = KeyServer::start(&jwks(&[&removed, kept])).await;
    let (api, child) = start_function_for(
        AUTHORIZER,
        &server,
        &[("JWKS_REFRESH_COOLDOWN_SECONDS", "0")],
    )
    .await;
    let token = removed.sign(&valid_claims());
    let other = kept.sign(&valid_claims());
    assert!(allowed(&api.invoke(&query_event_json(&token)).await));
    assert!(allowed(&api.invoke(&query_event_json(&token)).await));
    assert!(allowed(&api.invoke(&query_event_json(&other)).await));

    server.set_keys(&jwks(&[kept, &added]));
    let new = added.sign(&valid_claims());
    assert!(allowed(&api.invoke(&query_event_json(&new)).await));
    assert_eq!(
        server.hits(),
        2,
        "the prefetch, and the refetch for the new kid"
    );
    assert_eq!(api.invoke(&query_event_json(&token)).await, unauthorized());
    // A key that stays published keeps its remembered decisions across the refetch.
    assert!(allowed(&api.invoke(&query_event_json(&other)).await));

    let logs = stop_and_read_logs(child).await;
    let cached: Vec<bool> = decision_lines(&logs)
        .iter()
        .map(|line| line["fields"]["cached"].as_bool().unwrap())
        .collect();
    assert_eq!(cached, [false, true, false, false, false, true], "{logs}");
    assert_eq!(
        decision_reasons(&logs),
        [
            "allowed",
            "allowed",
            "allowed",
            "allowed",
            "unknown_kid",
            "allowed"
        ]
    );
}

/// #16.2: an emptied key set and a 410 are the provider's answer, not an
/// outage: the removed keys stop at the next refresh, whatever
/// `JWKS_MAX_STALE_SECONDS`. A 503 is an outage: the cached keys serve.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_emptied_key_set_or_a_4xx_revokes_while_a_503_serves_stale_keys() {
    let key = SigningKey::shared("RS256");
    let token = key.sign(&valid_claims());
    let cases = [
        (
            "empty key set",
            Reply::json(r#"{"keys": []}"#),
            unauthorized(),
        ),
        ("410", Reply::status(410), unauthorized()),
        ("404", Reply::status(404), unauthorized()),
        ("503", Reply::status(503), Answer::Response(Value::Null)),
    ]
    .into_iter()
    .map(|(name, reply, expected)| {
        let token = token.clone();
        async move {
            let server = KeyServer::start(&jwks(&[key])).await;
            let (api, child) = start_function_for(
                AUTHORIZER,
                &server,
                &[
                    ("JWKS_CACHE_TTL_SECONDS", "1"),
                    ("JWKS_MAX_STALE_SECONDS", "3600"),
                ],
            )
            .await;
            assert!(
                allowed(&api.invoke(&query_event_json(&token)).await),
                "{name}"
            );
            server.set(reply);
            tokio::time::sleep(Duration::from_millis(1100)).await;
            let answer = api.invoke(&query_event_json(&token)).await;
            match expected {
                Answer::Response(_) => assert!(allowed(&answer), "{name}: {answer:?}"),
                expected => assert_eq!(answer, expected, "{name}"),
            }
            assert_eq!(server.hits(), 2, "{name}");
            stop_and_read_logs(child).await
        }
    });
    let logs = futures_util::future::join_all(cases).await;
    for logs in &logs[..3] {
        assert_eq!(decision_reasons(logs), ["allowed", "unknown_kid"], "{logs}");
        assert!(!logs.contains("serving stale keys"), "{logs}");
    }
    assert!(logs[1].contains(r#""Result":"gone""#), "{}", logs[1]);
    assert!(logs[0].contains(r#""Result":"empty""#), "{}", logs[0]);
    assert_eq!(decision_reasons(&logs[3]), ["allowed", "allowed"]);
    assert!(logs[3].contains("serving stale keys"), "{}", logs[3]);
    assert!(logs[3].contains(r#""Result":"http_status""#), "{}", logs[3]);
}

/// #16.3: with the key set server down at a cold start, a flood of forged
/// tokens (sequential, then concurrent) causes no fetch beyond the failed
/// prefetch within the backoff, and each is answered at once — also when the
/// server is black-holed and every fetch would wait the whole timeout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_junk_while_the_key_set_server_is_down_makes_no_fetches() {
    let forger = SigningKey::generate("RS256", "forger");
    for (name, reply) in [
        ("503", Reply::status(503)),
        (
            "black hole",
            Reply::status(503).delayed(Duration::from_secs(30)),
        ),
    ] {
        let server = KeyServer::start_with(reply).await;
        let (api, child) = start_function_for(
            AUTHORIZER,
            &server,
            &[
                ("AWS_LAMBDA_MAX_CONCURRENCY", "8"),
                ("JWKS_FETCH_TIMEOUT_MS", "500"),
            ],
        )
        .await;
        api.wait_for_pollers(8).await;
        assert_eq!(server.hits(), 1, "{name}: the failed prefetch");

        let started = Instant::now();
        for index in 0..30 {
            let token = with_kid(&forger, &format!("forged-{index}"));
            assert_eq!(api.invoke(&query_event_json(&token)).await, unavailable());
        }
        let calls: Vec<_> = (30..60)
            .map(|index| {
                let (api, token) = (api.clone(), with_kid(&forger, &format!("forged-{index}")));
                tokio::spawn(async move { api.invoke(&query_event_json(&token)).await })
            })
            .collect();
        for call in calls {
            assert_eq!(call.await.unwrap(), unavailable(), "{name}");
        }
        let elapsed = started.elapsed();
        assert_eq!(server.hits(), 1, "{name}: 60 forged tokens, no fetch");
        assert!(
            elapsed < Duration::from_millis(1500),
            "{name}: 60 answers took {elapsed:?}"
        );
        let logs = stop_and_read_logs(child).await;
        assert!(
            logs.matches(r#""KeySetFetchesSkipped":1"#).count() >= 60,
            "{name}: every skipped fetch is counted"
        );
    }
}

/// #22: an unknown kid with stale keys and a black-holed server makes one
/// fetch, not two back to back, and concurrent requests queued behind it
/// answer within one fetch timeout (plus the 250 ms margin): the valid ones
/// from stale keys, the new kid with `jwks_unavailable` (the provider could
/// not be asked), never `unknown_kid`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn during_a_stall_every_decision_answers_within_one_fetch_timeout() {
    let key = SigningKey::shared("ES384");
    let published_later = SigningKey::generate("ES384", "published-during-the-outage");
    let server = KeyServer::start(&jwks(&[key])).await;
    let (api, child) = start_function_for(
        AUTHORIZER,
        &server,
        &[
            ("AWS_LAMBDA_MAX_CONCURRENCY", "8"),
            ("JWKS_CACHE_TTL_SECONDS", "1"),
            ("JWKS_FETCH_TIMEOUT_MS", "1000"),
            ("JWKS_REFRESH_COOLDOWN_SECONDS", "0"),
            ("DECISION_CACHE_MAX_ENTRIES", "0"),
        ],
    )
    .await;
    api.wait_for_pollers(8).await;
    server.set(
        Reply::json(jwks(&[key, &published_later]).to_string()).delayed(Duration::from_secs(30)),
    );
    tokio::time::sleep(Duration::from_millis(1100)).await;

    let bound = Duration::from_millis(1000 + 250 + 350);
    let started = Instant::now();
    let answer = api
        .invoke(&query_event_json(&published_later.sign(&valid_claims())))
        .await;
    let elapsed = started.elapsed();
    assert_eq!(answer, unavailable());
    assert!(elapsed < bound, "one fetch timeout, not two: {elapsed:?}");
    assert_eq!(server.hits(), 2, "the prefetch and one revalidation");

    // In the backoff now: all answered at once from stale keys.
    let calls: Vec<_> = (0..16)
        .map(|index| {
            let api = api.clone();
            let token = if index % 2 == 0 {
                key.sign(&claims_with(json!({"sub": format!("user-{index}")})))
            } else {
                published_later.sign(&valid_claims())
            };
            tokio::spawn(async move {
                let started = Instant::now();
                let answer = api.invoke(&query_event_json(&token)).await;
                (index, answer, started.elapsed())
            })
        })
        .collect();
    for call in calls {
        let (index, answer, elapsed) = call.await.unwrap();
        if index % 2 == 0 {
            assert!(allowed(&answer), "{index}: {answer:?}");
        } else {
            assert_eq!(answer, unavailable(), "{index}");
        }
        assert!(elapsed < bound, "{index} took {elapsed:?}");
    }
    assert_eq!(server.hits(), 2, "no fetch within the backoff");
    let logs = stop_and_read_logs(child).await;
    assert!(
        !decision_reasons(&logs)
            .iter()
            .any(|reason| reason == "unknown_kid"),
        "{logs}"
    );
}

/// #22: requests queued behind a stalled fetch at a cold start wait for that
/// one fetch, never for one each.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_queued_behind_a_stalled_cold_fetch_share_its_timeout() {
    let key = SigningKey::shared("ES256");
    let server = KeyServer::start_with(
        Reply::json(jwks(&[key]).to_string()).delayed(Duration::from_secs(30)),
    )
    .await;
    let (api, child) = start_function_for(
        AUTHORIZER,
        &server,
        &[
            ("AWS_LAMBDA_MAX_CONCURRENCY", "8"),
            ("JWKS_FETCH_TIMEOUT_MS", "800"),
            ("JWKS_REFRESH_COOLDOWN_SECONDS", "1"),
        ],
    )
    .await;
    api.wait_for_pollers(8).await;
    // The prefetch failed; once its backoff has passed, a burst arrives.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let token = key.sign(&valid_claims());
    let calls: Vec<_> = (0..8)
        .map(|_| {
            let (api, token) = (api.clone(), token.clone());
            tokio::spawn(async move {
                let started = Instant::now();
                (
                    api.invoke(&query_event_json(&token)).await,
                    started.elapsed(),
                )
            })
        })
        .collect();
    for call in calls {
        let (answer, elapsed) = call.await.unwrap();
        assert_eq!(answer, unavailable());
        assert!(
            elapsed < Duration::from_millis(800 + 250 + 350),
            "queued {elapsed:?}"
        );
    }
    assert_eq!(server.hits(), 2, "the prefetch and one shared fetch");
    stop_and_read_logs(child).await;
}

/// #28.1: one bad answer from the key set server (a 404, or an empty key
/// set), then recovery at once. The bad answer is the provider's word for
/// the request it came to (401), but the kid is not remembered as absent:
/// valid tokens are allowed again within one cooldown and one fetch, not a
/// minute (the unknown-kid memory) or a TTL (the empty set's lifetime) later.
/// Meanwhile a flood of made-up kids costs at most one fetch per cooldown.
/// Both at a refresh while running (the good set's `max-age` ends its
/// lifetime early, the bad one is fresh for the whole 300 s TTL) and at a
/// cold start (the prefetch and the first request see the bad answer).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_bad_answer_from_the_key_set_server_costs_one_cooldown_not_a_minute() {
    let key = SigningKey::shared("ES256");
    let forger = SigningKey::generate("ES256", "forger");
    let good = || Reply::json(jwks(&[key]).to_string()).with_header("cache-control", "max-age=1");
    let cases = [
        ("404 at a refresh", Reply::status(404), true),
        (
            "empty set at a refresh",
            Reply::json(r#"{"keys": []}"#),
            true,
        ),
        ("404 at a cold start", Reply::status(404), false),
        (
            "empty set at a cold start",
            Reply::json(r#"{"keys": []}"#),
            false,
        ),
    ]
    .into_iter()
    .map(|(name, bad, at_refresh)| {
        let forger = &forger;
        async move {
            let server = KeyServer::start_with(if at_refresh { good() } else { bad.clone() }).await;
            let (api, child) = start_function_for(
                AUTHORIZER,
                &server,
                &[
                    ("JWKS_CACHE_TTL_SECONDS", "300"),
                    ("JWKS_MIN_TTL_SECONDS", "1"),
                    ("JWKS_REFRESH_COOLDOWN_SECONDS", "1"),
                ],
            )
            .await;
            let token = key.sign(&valid_claims());
            if at_refresh {
                assert!(
                    allowed(&api.invoke(&query_event_json(&token)).await),
                    "{name}"
                );
                server.set(bad);
                tokio::time::sleep(Duration::from_millis(1100)).await;
            }
            // The bad answer comes to this very request: the provider's word.
            assert_eq!(
                api.invoke(&query_event_json(&token)).await,
                unauthorized(),
                "{name}"
            );
            let seen_bad = server.hits();
            assert_eq!(
                seen_bad, 2,
                "{name}: the prefetch and the one that saw the bad answer"
            );

            // A flood of made-up kids: at most one refetch within the cooldown.
            for index in 0..20 {
                let junk = with_kid(forger, &format!("junk-{index}"));
                assert_eq!(
                    api.invoke(&query_event_json(&junk)).await,
                    unauthorized(),
                    "{name}"
                );
            }
            assert!(
                server.hits() <= seen_bad + 1,
                "{name}: {} fetches",
                server.hits()
            );
            let before_recovery = server.hits();

            server.set(good());
            let recovered = Instant::now();
            let mut answers = Vec::new();
            let answer = loop {
                let answer = api.invoke(&query_event_json(&token)).await;
                if allowed(&answer) || recovered.elapsed() > Duration::from_secs(4) {
                    break answer;
                }
                answers.push(answer);
                tokio::time::sleep(Duration::from_millis(100)).await;
            };
            let took = recovered.elapsed();
            assert!(
                allowed(&answer),
                "{name}: still refused {took:?} after recovery: {answer:?}"
            );
            assert!(
                took < Duration::from_millis(1000 + 500),
                "{name}: allowed {took:?} after recovery, more than a cooldown and a fetch"
            );
            assert!(
                answers.iter().all(|answer| *answer == unauthorized()),
                "{name}: {answers:?}"
            );
            assert_eq!(
                server.hits(),
                before_recovery + 1,
                "{name}: one fetch brought the keys back"
            );
            stop_and_read_logs(child).await
        }
    });
    for logs in futures_util::future::join_all(cases).await {
        let reasons = decision_reasons(&logs);
        assert_eq!(
            reasons.last().map(String::as_str),
            Some("allowed"),
            "{logs}"
        );
        assert!(!logs.contains("serving stale keys"), "{logs}");
    }
}
