//! Lambda Managed Instances: several invocations at once in one process.
//! The compiled binary runs with AWS_LAMBDA_MAX_CONCURRENCY=8 behind the
//! Runtime API emulator, which serves every `/next` poller at once.

use crate::AUTHORIZER;
use std::collections::HashMap;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use testkit::function::{decision_lines, start_function, stop_and_read_logs};
use testkit::http::Reply;
use testkit::runtime_api::{Answer, RuntimeApi};
use testkit::*;

fn connect_event(token: &str, connection_id: &str) -> Value {
    let mut event = query_event_json(token);
    event["requestContext"]["connectionId"] = json!(connection_id);
    event
}

async fn burst(api: &RuntimeApi, events: Vec<Value>) -> Vec<Answer> {
    let calls: Vec<_> = events
        .into_iter()
        .map(|event| {
            let api = api.clone();
            tokio::spawn(async move { api.invoke(&event).await })
        })
        .collect();
    let mut answers = Vec::new();
    for call in calls {
        answers.push(call.await.unwrap());
    }
    answers
}

fn principal(answer: &Answer) -> &str {
    match answer {
        Answer::Response(response) => response["principalId"].as_str().unwrap(),
        Answer::Error(error) => panic!("expected an Allow, got {error}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eight_workers_answer_a_burst_together_with_one_fetch() {
    let key = SigningKey::shared("RS256");
    // Down at start, so the cache is cold when the burst arrives.
    let server = KeyServer::start_with(Reply::status(503)).await;
    let api = RuntimeApi::start().await;
    let child = start_function(
        AUTHORIZER,
        &api,
        &[
            ("AWS_LAMBDA_MAX_CONCURRENCY", "8"),
            ("JWT_ISSUER_JWKS_URI", &server.url),
            ("JWT_AUTHORIZED_AUDIENCES", AUDIENCE),
            ("JWT_ISSUER", ISSUER),
            ("JWKS_CACHE_TTL_SECONDS", "2"),
            ("JWKS_REFRESH_COOLDOWN_SECONDS", "1"),
        ],
    );
    api.wait_for_pollers(8).await;
    assert_eq!(server.hits(), 1, "the failed prefetch");
    // The backoff after that failure (the 1 s cooldown) passes first.
    tokio::time::sleep(Duration::from_millis(1100)).await;

    server.set(Reply::json(jwks(&[key]).to_string()).delayed(Duration::from_millis(500)));
    let token = key.sign(&valid_claims());
    let started = Instant::now();
    let events = (0..8)
        .map(|i| connect_event(&token, &format!("cold-{i}")))
        .collect();
    let answers = burst(&api, events).await;
    let elapsed = started.elapsed();
    assert!(answers.iter().all(|answer| principal(answer) == "user-123"));
    assert_eq!(
        api.max_in_flight(),
        8,
        "all eight were in the function at once"
    );
    assert_eq!(server.hits(), 2, "the eight cold requests shared one fetch");
    assert!(
        elapsed < Duration::from_millis(1500),
        "the burst took {elapsed:?}, not about one fetch"
    );

    // After the TTL, with the same slow key server: one refresh, all allowed.
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let events = (0..8)
        .map(|i| connect_event(&token, &format!("stale-{i}")))
        .collect();
    let answers = burst(&api, events).await;
    assert!(answers.iter().all(|answer| principal(answer) == "user-123"));
    assert_eq!(server.hits(), 3, "one refresh for the whole burst");

    stop_and_read_logs(child).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_answer_and_log_line_belongs_to_its_own_request() {
    let key = SigningKey::shared("ES256");
    let server = KeyServer::start(&jwks(&[key])).await;
    let api = RuntimeApi::start().await;
    let child = start_function(
        AUTHORIZER,
        &api,
        &[
            ("AWS_LAMBDA_MAX_CONCURRENCY", "8"),
            ("JWT_ISSUER_JWKS_URI", &server.url),
            ("JWT_AUTHORIZED_AUDIENCES", AUDIENCE),
            ("JWT_ISSUER", ISSUER),
        ],
    );
    api.wait_for_pollers(8).await;

    let events: Vec<Value> = (0..16)
        .map(|i| {
            let token = key.sign(&claims_with(json!({ "sub": format!("user-{i}") })));
            connect_event(&token, &format!("connection-{i}"))
        })
        .collect();
    let answers = burst(&api, events).await;
    for (i, answer) in answers.iter().enumerate() {
        assert_eq!(principal(answer), format!("user-{i}"));
        let Answer::Response(response) = answer else {
            unreachable!()
        };
        assert_eq!(response["context"]["sub"], format!("user-{i}"));
    }

    let logs = stop_and_read_logs(child).await;
    let by_connection: HashMap<String, String> = decision_lines(&logs)
        .iter()
        .map(|line| {
            (
                line["fields"]["connection_id"].as_str().unwrap().to_owned(),
                line["fields"]["sub"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(by_connection.len(), 16, "{logs}");
    for i in 0..16 {
        assert_eq!(
            by_connection[&format!("connection-{i}")],
            format!("user-{i}")
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_variable_one_invocation_at_a_time() {
    let key = SigningKey::shared("RS256");
    let server = KeyServer::start(&jwks(&[key])).await;
    let api = RuntimeApi::start().await;
    let child = start_function(
        AUTHORIZER,
        &api,
        &[
            ("JWT_ISSUER_JWKS_URI", &server.url),
            ("JWT_AUTHORIZED_AUDIENCES", AUDIENCE),
            ("JWT_ISSUER", ISSUER),
        ],
    );
    api.wait_for_pollers(1).await;
    let token = key.sign(&valid_claims());
    let events = (0..4)
        .map(|i| connect_event(&token, &format!("c-{i}")))
        .collect();
    let answers = burst(&api, events).await;
    assert!(answers.iter().all(|answer| principal(answer) == "user-123"));
    assert_eq!(api.max_in_flight(), 1);
    api.wait_for_pollers(1).await;
    stop_and_read_logs(child).await;
}
