//! The Rust side of `benches/compare/compare.sh`: writes one key set and
//! token for every peer to verify, then measures, in this process and on
//! one thread, our whole handler per decision (for RS256 in turns with
//! AWS-LC's bare RS256 verification, for a ratio that holds), decisions per
//! second with 1 and 8 concurrent workers, and the compiled binary's cold
//! start to its first Allow through the Lambda Runtime API emulator. Prints
//! one JSON object.
//!
//! ```text
//! cargo bench --bench decision -- OUT_DIR                  # RS256
//! COMPARE_ALG=ES256 cargo bench --bench decision -- OUT_DIR
//! ```

use std::hint::black_box;
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use testkit::function::function_command;
use testkit::runtime_api::{Answer, RuntimeApi};
use testkit::*;
use ws_jwt_authorizer::{Authorizer, ConnectEvent};

async fn decide_json(authorizer: &Authorizer, event: &[u8]) -> bool {
    let Ok(event) = serde_json::from_slice::<ConnectEvent>(event) else {
        return false;
    };
    match authorizer.authorize(&event).await {
        Ok(response) => serde_json::to_vec(&response).is_ok(),
        Err(_) => false,
    }
}

/// The median of `rounds` timings of `iterations` decisions, in µs per decision.
async fn per_decision(
    authorizer: &Authorizer,
    event: &[u8],
    iterations: u32,
    rounds: usize,
) -> f64 {
    let mut samples = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let started = Instant::now();
        for _ in 0..iterations {
            assert!(decide_json(authorizer, black_box(event)).await);
        }
        samples.push(started.elapsed().as_secs_f64() * 1e6 / f64::from(iterations));
    }
    samples.sort_by(f64::total_cmp);
    samples[rounds / 2]
}

/// Decisions per second with `workers` tasks deciding at once on a runtime of `threads`.
fn throughput(
    authorizer: Arc<Authorizer>,
    event: Arc<Vec<u8>>,
    workers: usize,
    threads: usize,
) -> f64 {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()
        .unwrap();
    let per_worker = 2000;
    runtime.block_on(async {
        let started = Instant::now();
        let tasks: Vec<_> = (0..workers)
            .map(|_| {
                let (authorizer, event) = (authorizer.clone(), event.clone());
                tokio::spawn(async move {
                    for _ in 0..per_worker {
                        assert!(decide_json(&authorizer, &event).await);
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        (workers * per_worker) as f64 / started.elapsed().as_secs_f64()
    })
}

/// Rounds of the handler against AWS-LC's bare verification, each short
/// (tens of milliseconds): the host's bursts of slowness then spoil a few
/// rounds, which the median leaves out, rather than every one.
const ROUNDS: usize = 31;
/// Decisions, and verifications, per round, for RS256; other algorithms
/// take as many as fit in the same time.
const ROUND_ITERATIONS: u32 = 500;

/// The algorithms the comparison knows (`COMPARE_ALG`).
const ALGORITHMS: [&str; 6] = ["RS256", "PS256", "ES256", "ES384", "ES512", "EdDSA"];

/// Process start to first Allow, and peak RSS, over `runs` cold starts.
async fn cold_start(server: &KeyServer, token: &str, runs: usize) -> (f64, u64) {
    let mut times = Vec::new();
    let mut peak_rss_kb = 0;
    for _ in 0..runs {
        let api = RuntimeApi::start().await;
        let event = query_event_json(token);
        let mut time = tokio::process::Command::new("/usr/bin/time");
        time.arg("-v").arg(env!("CARGO_BIN_EXE_ws-jwt-authorizer"));
        let vars = [
            ("JWT_ISSUER_JWKS_URI", server.url.as_str()),
            ("JWT_AUTHORIZED_AUDIENCES", AUDIENCE),
            ("JWT_ISSUER", ISSUER),
        ];
        let mut command = function_command(time, &api, &vars);
        // `time -v` reports on stderr; the function logs to stdout.
        command.stdout(Stdio::null()).stderr(Stdio::piped());
        let started = Instant::now();
        let mut child = command.spawn().unwrap();
        let answer = api.invoke(&event).await;
        times.push(started.elapsed().as_secs_f64() * 1e3);
        assert!(
            matches!(answer, Answer::Response(ref r) if r["policyDocument"]["Statement"][0]["Effect"] == "Allow")
        );
        // Stop the function (the child of `time`); `time` then reports and exits.
        if let Some(pid) = child.id() {
            let _ = std::process::Command::new("pkill")
                .args(["-TERM", "-P", &pid.to_string()])
                .status();
        }
        let output = tokio::time::timeout(Duration::from_secs(5), async {
            let mut stderr = String::new();
            use tokio::io::AsyncReadExt;
            child
                .stderr
                .take()
                .unwrap()
                .read_to_string(&mut stderr)
                .await
                .unwrap();
            let _ = child.wait().await;
            stderr
        })
        .await
        .unwrap_or_default();
        if let Some(rss) = output
            .lines()
            .find_map(|line| {
                line.trim()
                    .strip_prefix("Maximum resident set size (kbytes): ")
            })
            .and_then(|value| value.trim().parse::<u64>().ok())
        {
            peak_rss_kb = peak_rss_kb.max(rss);
        }
    }
    times.sort_by(f64::total_cmp);
    (times[runs / 2], peak_rss_kb)
}

fn main() {
    // `cargo bench` passes `--bench`; the output directory is the first other argument.
    let out_dir = std::env::args()
        .skip(1)
        .find(|arg| !arg.starts_with("--"))
        .unwrap_or_else(|| "target/compare".to_owned());
    std::fs::create_dir_all(&out_dir).unwrap();

    let wanted = std::env::var("COMPARE_ALG").unwrap_or_else(|_| "RS256".to_owned());
    let alg = ALGORITHMS
        .into_iter()
        .find(|alg| *alg == wanted)
        .unwrap_or_else(|| panic!("COMPARE_ALG {wanted:?}: one of {ALGORITHMS:?}"));
    let key = SigningKey::shared(alg);
    let token = key.sign(&claims_with(json!({"exp": now() + 86_400})));
    std::fs::write(format!("{out_dir}/jwks.json"), jwks(&[key]).to_string()).unwrap();
    std::fs::write(format!("{out_dir}/token.txt"), &token).unwrap();
    std::fs::write(
        format!("{out_dir}/expect.json"),
        json!({"issuer": ISSUER, "audience": AUDIENCE, "sub": "user-123"}).to_string(),
    )
    .unwrap();

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    // Every decision verifies, as the peers do; the cache is measured apart.
    let (server, authorizer, cached) = runtime.block_on(async {
        let server = KeyServer::start(&jwks(&[key])).await;
        let no_cache = [("DECISION_CACHE_MAX_ENTRIES", "0")];
        let authorizer = Authorizer::new(config(&server.url, &no_cache)).unwrap();
        assert!(authorizer.prefetch(Duration::from_secs(2)).await);
        let cached = Authorizer::new(config(&server.url, &[])).unwrap();
        assert!(cached.prefetch(Duration::from_secs(2)).await);
        (server, authorizer, cached)
    });
    let event = serde_json::to_vec(&query_event_json(&token)).unwrap();
    // AWS-LC's bare verification, to take turns with, exists for RS256.
    let bare = (alg == "RS256").then(|| BareRsaVerify::new(key, &token));
    let (rounds, cache_hit_us) = runtime.block_on(async {
        // Warm-up, and the length of a round: RS256's, in time.
        let one = per_decision(&authorizer, &event, 20, 3).await;
        let rs256_round_us = 30.0 * f64::from(ROUND_ITERATIONS);
        let iterations = ((rs256_round_us / one) as u32).clamp(5, ROUND_ITERATIONS);
        // The handler and AWS-LC's bare verification take turns, so that
        // each ratio is of two timings taken at the same machine speed: on
        // a shared host that speed drifts by a third within minutes.
        let mut rounds = Vec::with_capacity(ROUNDS);
        for _ in 0..ROUNDS {
            let handler = per_decision(&authorizer, &event, iterations, 1).await;
            let verify = bare.as_ref().map(|bare| {
                let started = Instant::now();
                for _ in 0..iterations {
                    assert!(bare.verify());
                }
                started.elapsed().as_secs_f64() * 1e6 / f64::from(iterations)
            });
            rounds.push((handler, verify));
        }
        (rounds, per_decision(&cached, &event, 2000, 7).await)
    });
    let median = |mut values: Vec<f64>| {
        values.sort_by(f64::total_cmp);
        values.get(values.len() / 2).copied()
    };
    let ratios: Vec<f64> = rounds
        .iter()
        .filter_map(|(handler, verify)| Some(handler / (*verify)?))
        .collect();
    let handler_us = median(rounds.iter().map(|round| round.0).collect());
    let bare_verify_us = median(rounds.iter().filter_map(|round| round.1).collect());

    let (authorizer, event) = (Arc::new(authorizer), Arc::new(event));
    let one_worker = throughput(authorizer.clone(), event.clone(), 1, 1);
    let eight_workers = throughput(authorizer, event, 8, 2);
    let (cold_start_ms, peak_rss_kb) = runtime.block_on(cold_start(&server, &token, 9));
    let binary_bytes = std::fs::metadata(env!("CARGO_BIN_EXE_ws-jwt-authorizer"))
        .map(|meta| meta.len())
        .unwrap_or(0);

    let report: Value = json!({
        "alg": alg,
        "handler_us": handler_us,
        "bare_verify_us": bare_verify_us,
        "rounds": ROUNDS,
        "handler_to_bare_verify": median(ratios.clone()),
        "handler_to_bare_verify_range": [
            ratios.iter().copied().fold(f64::INFINITY, f64::min),
            ratios.iter().copied().fold(0.0, f64::max),
        ],
        "cache_hit_us": cache_hit_us,
        "decisions_per_second_1_worker": one_worker,
        "decisions_per_second_8_workers": eight_workers,
        "cold_start_ms": cold_start_ms,
        "peak_rss_kb": peak_rss_kb,
        "binary_bytes": binary_bytes,
    });
    println!("{report}");
}
