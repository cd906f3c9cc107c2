//! Soak (#22): the compiled binary with 8 concurrent workers (Lambda Managed
//! Instances mode) under a steady load, against a key server that rotates
//! its keys, removes old ones, fails with 503 and stalls past the fetch
//! timeout, on a schedule.
//!
//! Every answer is checked: no token invalid by construction is allowed,
//! every Allow carries its own request's subject and `methodArn`, every
//! answer comes within one fetch timeout plus the key store's deadline margin
//! (plus scheduling slack), and the fetches in each outage window stay within
//! what the backoff allows. The run is reported (printed, and written to
//! `target/tmp/soak-report.json`): decisions, fetches per TTL and per outage
//! window, valid tokens refused inside and outside outage windows, latency,
//! and the process's RSS over time.
//!
//! An answer's time is counted from the moment the function took the
//! invocation from `/next`: the wait in the emulator's queue while all 8
//! workers are busy is Lambda's, which scales out or throttles instead (the
//! end-to-end time is reported too). The mix of tokens includes a made-up kid
//! in every 20 requests, as a scanner would send, so outside outages the key
//! set is refetched about once per cooldown, which is what the store allows.
//!
//! `cargo test` runs the short form (`SOAK_SECONDS`, default 60, at
//! `SOAK_RATE` decisions per second, default 100); the long form is
//! `SOAK_SECONDS=300 cargo test --release --test soak -- --nocapture`
//! (BENCHMARKS.md, "Reliability: soak").

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use testkit::http::{self, Reply, Request};
use testkit::runtime_api::{Answer, RuntimeApi, Timed};
use testkit::*;
use ws_jwt_authorizer::jwks::DEADLINE_MARGIN;

/// `JWKS_CACHE_TTL_SECONDS`: short, so that a minute holds many refreshes.
const TTL: Duration = Duration::from_secs(3);
/// `JWKS_MAX_STALE_SECONDS`: shorter than every outage window, so that each
/// window has a part where no keys may serve and every request needs a fetch
/// (the queued case), after a part served from stale keys.
const MAX_STALE: Duration = Duration::from_secs(2);
/// `JWKS_REFRESH_COOLDOWN_SECONDS`, also the base of the backoff (with at
/// least [`MIN_BACKOFF`]).
const COOLDOWN: Duration = Duration::from_secs(1);
/// `JWKS_MAX_BACKOFF_SECONDS`: reached within one window, so the cap is used.
const MAX_BACKOFF: Duration = Duration::from_secs(4);
/// `JWKS_FETCH_TIMEOUT_MS`.
const FETCH_TIMEOUT: Duration = Duration::from_millis(1000);
/// The key store's least backoff, whatever the cooldown (`MIN_BACKOFF` in
/// src/jwks.rs, private there).
const MIN_BACKOFF: Duration = Duration::from_secs(1);
/// What the test's own measurement may add to a decision: two loopback
/// exchanges with the emulator, parsing, one signature check and the
/// answer in a debug build, on two cores that other builds share (a thread
/// ready to run waits a few scheduler periods of ~24 ms at most). It stays
/// below one more fetch timeout minus the margin (750 ms), so a decision
/// that waits for two fetch timeouts, the fault #22 fixed, still fails.
const SCHEDULING_SLACK: Duration = Duration::from_millis(500);
/// How long a stalled key server waits before answering: past the timeout.
const STALL: Duration = Duration::from_millis(3000);
/// The memory the function is given (`AWS_LAMBDA_FUNCTION_MEMORY_SIZE` in
/// testkit/src/function.rs): Lambda stops a function that grows past it.
const MEMORY_LIMIT_KB: u64 = 128 * 1024;
/// Valid tokens kept for reconnects (decision cache hits).
const RECONNECT_POOL: usize = 64;

/// The longest a request may take in the function: one fetch timeout, the
/// key store's margin, and the slack above.
fn decision_bound() -> Duration {
    FETCH_TIMEOUT + DEADLINE_MARGIN + SCHEDULING_SLACK
}

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .map(|value| value.parse().unwrap_or_else(|_| panic!("{name}={value}")))
        .unwrap_or(default)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fault {
    /// 503 at once.
    Down,
    /// A key set, but only after [`STALL`].
    Stall,
}

impl Fault {
    fn name(self) -> &'static str {
        match self {
            Fault::Down => "503",
            Fault::Stall => "stall",
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Window {
    fault: Fault,
    start: Duration,
    end: Duration,
}

/// What the key server does over time, from the start of the load.
///
/// Cycles of 20 s (30 s from 180 s of soak on, with 10-second outages like
/// the outside soak of #22): a rotation at the start of each cycle but the
/// first (the new key is published and signs every new token at once), the
/// previous key removed 4 s later, and from 7 s an outage, 503 and stall in
/// turn. The outage starts after the rotation's grace (TTL + two bounds,
/// 6.5 s) and the backoff after it has passed (cap + bound) before the next
/// rotation, so each refusal has one cause.
#[derive(Debug, Clone)]
struct Schedule {
    /// When key `i + 1` is published and starts signing (key 0 at start).
    rotations: Vec<Duration>,
    /// When key `i` stops being published.
    removals: Vec<Duration>,
    windows: Vec<Window>,
}

impl Schedule {
    fn new(duration: Duration) -> Self {
        let secs = Duration::from_secs;
        let (cycle, outage) = if duration >= secs(180) {
            (secs(30), secs(10))
        } else {
            (secs(20), secs(6))
        };
        let mut schedule = Schedule {
            rotations: Vec::new(),
            removals: Vec::new(),
            windows: Vec::new(),
        };
        let mut start = Duration::ZERO;
        let mut number = 0;
        while start < duration {
            if number > 0 {
                schedule.rotations.push(start);
                if start + secs(4) < duration {
                    schedule.removals.push(start + secs(4));
                }
            }
            let window = Window {
                fault: if number % 2 == 0 {
                    Fault::Down
                } else {
                    Fault::Stall
                },
                start: start + secs(7),
                end: start + secs(7) + outage,
            };
            if window.end <= duration {
                schedule.windows.push(window);
            }
            start += cycle;
            number += 1;
        }
        schedule
    }

    fn keys(&self) -> usize {
        self.rotations.len() + 1
    }

    fn published_at(&self, key: usize) -> Duration {
        if key == 0 {
            Duration::ZERO
        } else {
            self.rotations[key - 1]
        }
    }

    fn removed_at(&self, key: usize) -> Option<Duration> {
        self.removals.get(key).copied()
    }

    /// The key that signs new tokens at `t`.
    fn signing_key(&self, t: Duration) -> usize {
        self.rotations.iter().filter(|&&at| at <= t).count()
    }

    /// The key removed last before `t`, if any.
    fn removed_key(&self, t: Duration) -> Option<usize> {
        self.removals.iter().rposition(|&at| at <= t)
    }

    fn published(&self, t: Duration) -> Vec<usize> {
        (0..self.keys())
            .filter(|&key| {
                self.published_at(key) <= t && self.removed_at(key).is_none_or(|at| t < at)
            })
            .collect()
    }

    fn fault(&self, t: Duration) -> Option<Fault> {
        self.windows
            .iter()
            .find(|window| window.start <= t && t < window.end)
            .map(|window| window.fault)
    }
}

/// What the key server answered one request with.
#[derive(Debug, Clone)]
enum Served {
    Keys(Vec<usize>),
    Fault(Fault),
}

#[derive(Debug, Clone)]
struct Hit {
    at: Instant,
    served: Served,
}

/// The key server: answers by the schedule, from the moment `epoch` is set
/// (before that, as at its start), and records every request.
async fn start_key_server(
    schedule: Arc<Schedule>,
    keys: Arc<Vec<SigningKey>>,
    epoch: Arc<OnceLock<Instant>>,
    hits: Arc<Mutex<Vec<Hit>>>,
) -> String {
    let addr = http::serve(Arc::new(move |_request: Request| {
        let at = Instant::now();
        let t = epoch
            .get()
            .map_or(Duration::ZERO, |epoch| at.saturating_duration_since(*epoch));
        let published = schedule.published(t);
        let body = || {
            let published: Vec<&SigningKey> = published.iter().map(|&key| &keys[key]).collect();
            jwks(&published).to_string()
        };
        let (served, reply) = match schedule.fault(t) {
            None => (Served::Keys(published.clone()), Reply::json(body())),
            Some(Fault::Down) => (Served::Fault(Fault::Down), Reply::status(503)),
            Some(Fault::Stall) => (
                Served::Fault(Fault::Stall),
                Reply::json(body()).delayed(STALL),
            ),
        };
        // Recorded before the reply exists: no answer precedes its record.
        hits.lock().unwrap().push(Hit { at, served });
        Box::pin(async move { reply })
    }))
    .await;
    format!("http://{addr}/.well-known/jwks.json")
}

/// The tokens of the mix, by how they were made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Kind {
    /// Signed by the current key, with its own subject.
    Valid,
    /// A valid token of the current key sent again (a reconnect), for a
    /// new connection: a decision cache hit.
    Reconnect,
    /// A token of the key that signed before the last rotation sent again:
    /// valid until that key is removed, then a cached decision that must
    /// not outlive the key.
    ReconnectPrevious,
    /// The current key's kid, another key's signature.
    BadSignature,
    Expired,
    WrongAudience,
    WrongIssuer,
    /// Signed by a key never published, under a kid never published.
    MadeUpKid,
    /// Signed by a key after the server stopped publishing it.
    RemovedKey,
}

impl Kind {
    /// The mix, per 20 requests: 10 valid, 4 reconnects, one of each other.
    fn of(n: u64) -> Kind {
        match n % 20 {
            0..=9 => Kind::Valid,
            10 | 11 => Kind::Reconnect,
            12 | 13 => Kind::ReconnectPrevious,
            14 => Kind::BadSignature,
            15 => Kind::Expired,
            16 => Kind::WrongAudience,
            17 => Kind::WrongIssuer,
            18 => Kind::MadeUpKid,
            _ => Kind::RemovedKey,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Kind::Valid => "valid",
            Kind::Reconnect => "reconnect",
            Kind::ReconnectPrevious => "reconnect_previous_key",
            Kind::BadSignature => "bad_signature",
            Kind::Expired => "expired",
            Kind::WrongAudience => "wrong_audience",
            Kind::WrongIssuer => "wrong_issuer",
            Kind::MadeUpKid => "made_up_kid",
            Kind::RemovedKey => "removed_key",
        }
    }

    /// The refusal reason this token earns when the keys are at hand.
    fn reason(self) -> &'static str {
        match self {
            Kind::Valid | Kind::Reconnect | Kind::ReconnectPrevious => "allowed",
            Kind::BadSignature => "bad_signature",
            Kind::Expired => "expired",
            Kind::WrongAudience => "wrong_audience",
            Kind::WrongIssuer => "wrong_issuer",
            Kind::MadeUpKid | Kind::RemovedKey => "unknown_kid",
        }
    }
}

/// One request of the soak, as sent and as answered.
#[derive(Debug)]
struct Record {
    kind: Kind,
    /// The key whose publication decides whether the token is valid.
    key: Option<usize>,
    sub: String,
    connection_id: String,
    method_arn: String,
    sent: Instant,
    timed: Timed,
    done: Instant,
}

struct Minter {
    schedule: Arc<Schedule>,
    keys: Arc<Vec<SigningKey>>,
    signers: Vec<Box<dyn JwsSigner>>,
    forger: Box<dyn JwsSigner>,
    /// The latest valid tokens of each key, with their subjects.
    pools: Mutex<Vec<VecDeque<(String, String)>>>,
}

impl Minter {
    fn sign(&self, signer: &dyn JwsSigner, header: &Value, claims: &Value) -> String {
        sign_raw(
            signer,
            header.to_string().as_bytes(),
            claims.to_string().as_bytes(),
        )
    }

    /// The token of request `n` of `kind` at `t`. A reconnect before any
    /// valid token, or a removed key's token before any removal, is a valid
    /// token instead.
    fn token(&self, n: u64, kind: Kind, t: Duration) -> Minted {
        let current = self.schedule.signing_key(t);
        let header = self.keys[current].header();
        let sub = format!("soak-user-{n}");
        let claims = claims_with(json!({ "sub": sub }));
        let now = now();
        let minted = |token: String, key: Option<usize>, sub: String| Minted {
            kind,
            token,
            key,
            sub,
        };
        match kind {
            Kind::Valid => {
                let token = self.sign(&*self.signers[current], &header, &claims);
                let mut pools = self.pools.lock().unwrap();
                let pool = &mut pools[current];
                if pool.len() == RECONNECT_POOL {
                    pool.pop_front();
                }
                pool.push_back((token.clone(), sub.clone()));
                minted(token, Some(current), sub)
            }
            Kind::Reconnect | Kind::ReconnectPrevious => {
                let key = match kind {
                    Kind::Reconnect => current,
                    _ => current.saturating_sub(1),
                };
                let pools = self.pools.lock().unwrap();
                let pool = &pools[key];
                match pool.get(n as usize % pool.len().max(1)) {
                    Some((token, sub)) => minted(token.clone(), Some(key), sub.clone()),
                    None => {
                        drop(pools);
                        self.token(n, Kind::Valid, t)
                    }
                }
            }
            Kind::BadSignature => minted(self.sign(&*self.forger, &header, &claims), None, sub),
            // Signed by the current key, invalid by their claims.
            Kind::Expired | Kind::WrongAudience | Kind::WrongIssuer => {
                let changes = match kind {
                    Kind::Expired => {
                        json!({ "sub": sub, "iat": now - 7200, "nbf": now - 7200, "exp": now - 3600 })
                    }
                    Kind::WrongAudience => json!({ "sub": sub, "aud": "api://someone-else" }),
                    _ => json!({ "sub": sub, "iss": "https://evil.test" }),
                };
                let claims = claims_with(changes);
                minted(
                    self.sign(&*self.signers[current], &header, &claims),
                    None,
                    sub,
                )
            }
            Kind::MadeUpKid => {
                let header = json!({"alg": "RS256", "kid": format!("made-up-{n}"), "typ": "JWT"});
                minted(self.sign(&*self.forger, &header, &claims), None, sub)
            }
            Kind::RemovedKey => match self.schedule.removed_key(t) {
                Some(removed) => {
                    let header = self.keys[removed].header();
                    let token = self.sign(&*self.signers[removed], &header, &claims);
                    minted(token, Some(removed), sub)
                }
                None => self.token(n, Kind::Valid, t),
            },
        }
    }
}

/// A token of the mix: what it is, and the key whose publication decides
/// whether it is valid (none: invalid whatever the keys).
struct Minted {
    kind: Kind,
    token: String,
    key: Option<usize>,
    sub: String,
}

/// A line of the function's output that the soak reads.
#[derive(Debug, Default)]
struct Output {
    /// `Result` of each `KeySetFetches` line, in order.
    fetches: Vec<String>,
    skipped: usize,
    stale_served: usize,
    /// Decision lines by connection id.
    decisions: HashMap<String, Value>,
    lines: usize,
    bytes: usize,
}

/// What the checks need of the function's output (which
/// `stop_and_read_logs` has archived for the log check).
fn read_output(logs: &str) -> Output {
    let mut output = Output::default();
    for line in logs.lines() {
        output.lines += 1;
        output.bytes += line.len() + 1;
        let relevant = line.contains("KeySetFetches")
            || line.contains("StaleKeysServed")
            || line.contains("\"decision\"");
        if !relevant {
            continue;
        }
        let Ok(value) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        if let Some(result) = value.get("KeySetFetches").and(value.get("Result")) {
            output
                .fetches
                .push(result.as_str().unwrap_or("").to_owned());
        } else if value.get("KeySetFetchesSkipped").is_some() {
            output.skipped += 1;
        } else if value.get("StaleKeysServed").is_some() {
            output.stale_served += 1;
        } else if value["fields"]["message"] == "decision" {
            let id = value["fields"]["connection_id"]
                .as_str()
                .unwrap_or("")
                .to_owned();
            output.decisions.insert(id, value["fields"].clone());
        }
    }
    output
}

/// The resident set size of process `pid`, in kB.
fn rss_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
}

/// The most fetches the backoff lets start within an outage of `window`:
/// each failure bars the next fetch for the base backoff (the cooldown, at
/// least [`MIN_BACKOFF`]), doubled per failure in a row, at most
/// [`MAX_BACKOFF`]. The server stamps a hit before it answers and the store
/// starts the backoff after the answer, so successive hits are further apart
/// than each wait, whatever failures came before the window.
fn fetches_allowed(window: Duration) -> usize {
    let mut wait = COOLDOWN.max(MIN_BACKOFF);
    let (mut fetches, mut elapsed) = (1, Duration::ZERO);
    loop {
        elapsed += wait.min(MAX_BACKOFF);
        if elapsed >= window {
            return fetches;
        }
        fetches += 1;
        wait *= 2;
    }
}

/// The CPU time process `pid` (or `self`) has used, from /proc/<pid>/stat
/// (user and system clock ticks, 100 per second in Linux's ABI).
fn cpu_seconds(pid: &str) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or(Vec::new(), |(_, rest)| rest.split_whitespace().collect());
    let ticks = |index: usize| {
        fields
            .get(index)
            .and_then(|value| value.parse::<u64>().ok())
            .unwrap_or(0)
    };
    (ticks(11) + ticks(12)) as f64 / 100.0
}

fn percentile(sorted: &[Duration], fraction: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let index = ((sorted.len() as f64 * fraction).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[index]
}

fn ms(duration: Duration) -> f64 {
    (duration.as_secs_f64() * 1e6).round() / 1e3
}

fn secs(duration: Duration) -> f64 {
    (duration.as_secs_f64() * 1e3).round() / 1e3
}

/// Whether the token of `record` must be refused, may be either, or must be
/// allowed while the keys are at hand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Valid,
    /// A removed key's token before its removal has surely reached the store.
    Transitional,
    Invalid,
}

impl Class {
    fn name(self) -> &'static str {
        match self {
            Class::Valid => "valid",
            Class::Transitional => "removed_key_in_transition",
            Class::Invalid => "invalid",
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn soak_with_rotations_removals_outages_and_stalls() {
    let duration = Duration::from_secs(env_number("SOAK_SECONDS", 60));
    let rate = env_number("SOAK_RATE", 100);
    assert!(
        duration >= Duration::from_secs(40) && rate > 0,
        "SOAK_SECONDS must be at least 40 (one cycle of each fault)"
    );
    let schedule = Schedule::new(duration);
    assert!(
        !schedule.rotations.is_empty()
            && !schedule.removals.is_empty()
            && schedule.windows.iter().any(|w| w.fault == Fault::Down)
            && schedule.windows.iter().any(|w| w.fault == Fault::Stall),
        "{schedule:?}"
    );
    let run = soak(Arc::new(schedule), duration, rate).await;
    let (report, failures) = check(&run);

    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("soak-report.json");
    std::fs::write(&path, serde_json::to_string_pretty(&report).unwrap()).unwrap();
    let mut summary = report.clone();
    summary["rss_kb"]["samples"] = json!(run
        .rss
        .iter()
        .step_by(10)
        .map(|&(t, kb)| json!([t, kb]))
        .collect::<Vec<_>>());
    println!(
        "soak report ({}):\n{}",
        path.display(),
        serde_json::to_string_pretty(&summary).unwrap()
    );
    let failed: Vec<String> = failures
        .iter()
        .map(|(check, messages)| {
            let shown: Vec<&str> = messages.iter().take(5).map(String::as_str).collect();
            format!("{check}: {} failure(s), first: {shown:#?}", messages.len())
        })
        .collect();
    assert!(failed.is_empty(), "{}", failed.join("\n"));
}

/// Everything one soak produced, for the checks and the report.
struct Run {
    schedule: Arc<Schedule>,
    duration: Duration,
    rate: u64,
    /// When the schedule and the load started.
    epoch: Instant,
    /// When the last answer came.
    finished: Instant,
    records: Vec<Record>,
    hits: Vec<Hit>,
    output: Output,
    /// (seconds since the epoch, VmRSS in kB).
    rss: Vec<(f64, u64)>,
    /// CPU seconds of the function and of the test process.
    cpu: (f64, f64),
}

/// Starts the key server and the function, runs the load for `duration`
/// at `rate` requests per second, and stops the function.
async fn soak(schedule: Arc<Schedule>, duration: Duration, rate: u64) -> Run {
    let keys: Arc<Vec<SigningKey>> = Arc::new(
        (0..schedule.keys())
            .map(|key| SigningKey::generate("RS256", &format!("soak-key-{key}")))
            .collect(),
    );
    let minter = Arc::new(Minter {
        schedule: schedule.clone(),
        keys: keys.clone(),
        signers: keys.iter().map(SigningKey::signer).collect(),
        forger: SigningKey::generate("RS256", "forger").signer(),
        pools: Mutex::new(vec![VecDeque::new(); schedule.keys()]),
    });

    let epoch_cell = Arc::new(OnceLock::new());
    let hits = Arc::new(Mutex::new(Vec::new()));
    let url = start_key_server(
        schedule.clone(),
        keys.clone(),
        epoch_cell.clone(),
        hits.clone(),
    )
    .await;
    let api = RuntimeApi::start().await;
    let (ttl, stale, cooldown, backoff, timeout) = (
        TTL.as_secs().to_string(),
        MAX_STALE.as_secs().to_string(),
        COOLDOWN.as_secs().to_string(),
        MAX_BACKOFF.as_secs().to_string(),
        FETCH_TIMEOUT.as_millis().to_string(),
    );
    let child = testkit::function::start_function(
        env!("CARGO_BIN_EXE_ws-jwt-authorizer"),
        &api,
        &[
            ("AWS_LAMBDA_MAX_CONCURRENCY", "8"),
            ("JWT_ISSUER_JWKS_URI", &url),
            ("JWT_AUTHORIZED_AUDIENCES", AUDIENCE),
            ("JWT_ISSUER", ISSUER),
            ("JWKS_CACHE_TTL_SECONDS", &ttl),
            ("JWKS_MAX_STALE_SECONDS", &stale),
            ("JWKS_REFRESH_COOLDOWN_SECONDS", &cooldown),
            ("JWKS_MAX_BACKOFF_SECONDS", &backoff),
            ("JWKS_FETCH_TIMEOUT_MS", &timeout),
        ],
    );
    let pid = child.id().unwrap();
    api.wait_for_pollers(8).await;

    // The schedule starts now.
    let epoch = Instant::now();
    epoch_cell.set(epoch).unwrap();
    let rss = Arc::new(Mutex::new(vec![(0.0, rss_kb(pid).unwrap_or(0))]));
    let sampler = {
        let rss = rss.clone();
        tokio::spawn(async move {
            let mut ticker = tokio::time::interval(Duration::from_secs(1));
            ticker.tick().await;
            loop {
                ticker.tick().await;
                let Some(kb) = rss_kb(pid) else { break };
                rss.lock().unwrap().push((secs(epoch.elapsed()), kb));
            }
        })
    };

    let base_event = query_event_json("");
    let mut calls = Vec::new();
    let mut ticker = tokio::time::interval(Duration::from_secs(1) / rate as u32);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut n = 0u64;
    while epoch.elapsed() < duration {
        ticker.tick().await;
        let (api, minter) = (api.clone(), minter.clone());
        let mut event = base_event.clone();
        calls.push(tokio::spawn(async move {
            let sent = Instant::now();
            let Minted {
                kind,
                token,
                key,
                sub,
            } = minter.token(n, Kind::of(n), sent.duration_since(epoch));
            let connection_id = format!("soak-{n}");
            let method_arn =
                format!("arn:aws:execute-api:eu-west-1:123456789012:soak{n}/prod/$connect");
            event["methodArn"] = json!(method_arn);
            event["requestContext"]["connectionId"] = json!(connection_id);
            event["requestContext"]["requestId"] = json!(format!("request-{n}"));
            event["queryStringParameters"]["authorization"] = json!(token);
            event["multiValueQueryStringParameters"]["authorization"] = json!([token]);
            let timed = api.invoke_timed(&event).await;
            Record {
                kind,
                key,
                sub,
                connection_id,
                method_arn,
                sent,
                timed,
                done: Instant::now(),
            }
        }));
        n += 1;
    }
    let mut records = Vec::with_capacity(calls.len());
    for call in calls {
        records.push(call.await.unwrap());
    }
    let finished = Instant::now();
    sampler.abort();
    let rss_end = rss_kb(pid).unwrap_or(0);
    let cpu = (cpu_seconds(&pid.to_string()), cpu_seconds("self"));
    rss.lock().unwrap().push((secs(epoch.elapsed()), rss_end));
    let output = read_output(&testkit::function::stop_and_read_logs(child).await);
    let hits = std::mem::take(&mut *hits.lock().unwrap());
    let rss = std::mem::take(&mut *rss.lock().unwrap());
    Run {
        schedule,
        duration,
        rate,
        epoch,
        finished,
        records,
        hits,
        output,
        rss,
        cpu,
    }
}

/// Checks every answer and fetch of `run`: the report, and the failures
/// by check.
fn check(run: &Run) -> (Value, BTreeMap<&'static str, Vec<String>>) {
    let Run {
        schedule,
        duration,
        rate,
        epoch,
        finished,
        records,
        hits,
        output,
        rss,
        cpu,
    } = run;
    let (epoch, finished, duration) = (*epoch, *finished, *duration);
    let bound = decision_bound();
    let rss_end = rss.last().map_or(0, |&(_, kb)| kb);
    let at = |offset: Duration| epoch + offset;
    let mut failures: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    let mut fail = |check: &'static str, message: String| {
        failures.entry(check).or_default().push(message);
    };

    // Fetches: one metric line per request the key server saw, in order,
    // with the result that the server's answer makes.
    if output.fetches.len() != hits.len() {
        fail(
            "one KeySetFetches line per fetch",
            format!(
                "{} lines, {} requests at the key server",
                output.fetches.len(),
                hits.len()
            ),
        );
    }
    for (index, (hit, result)) in hits.iter().zip(&output.fetches).enumerate() {
        let expected = match hit.served {
            Served::Keys(_) => "ok",
            Served::Fault(Fault::Down) => "http_status",
            Served::Fault(Fault::Stall) => "timeout",
        };
        if result != expected {
            fail(
                "fetch results match the server's answers",
                format!(
                    "fetch {index} at {:.3} s: {result}, expected {expected}",
                    secs(hit.at.saturating_duration_since(epoch))
                ),
            );
        }
    }
    let fetch_ok = |index: usize| {
        output
            .fetches
            .get(index)
            .is_some_and(|result| result == "ok")
    };

    // Each outage lasts, for the store, from its start until the first
    // successful fetch after it (the backoff may outlast the server's fault).
    struct Outage {
        window: Window,
        fetches: usize,
        allowed: usize,
        recovered: Option<Instant>,
    }
    let outages: Vec<Outage> = schedule
        .windows
        .iter()
        .map(|&window| {
            let fetches = hits
                .iter()
                .filter(|hit| at(window.start) <= hit.at && hit.at < at(window.end))
                .count();
            let recovered = hits
                .iter()
                .enumerate()
                .find(|(index, hit)| hit.at >= at(window.end) && fetch_ok(*index))
                .map(|(_, hit)| hit.at);
            Outage {
                window,
                fetches,
                allowed: fetches_allowed(window.end - window.start),
                recovered,
            }
        })
        .collect();
    for outage in &outages {
        let window = outage.window;
        if outage.fetches == 0 || outage.fetches > outage.allowed {
            fail(
                "fetches per outage window within the backoff",
                format!(
                    "{} window {:?}..{:?}: {} fetches, the backoff allows 1..={}",
                    window.fault.name(),
                    window.start,
                    window.end,
                    outage.fetches,
                    outage.allowed
                ),
            );
        }
    }
    // A request is touched by an outage when its time in the function
    // (at most one bound) meets the outage.
    let in_outage = |handed_out: Instant| {
        outages.iter().any(|outage| {
            let start = at(outage.window.start);
            let end = outage.recovered.unwrap_or(finished + bound) + bound;
            handed_out + bound >= start && handed_out <= end
        })
    };
    // Outside the outages, a fetch is made at most once per TTL (a refresh)
    // plus once per cooldown (an unknown kid), each per stretch of time
    // between outages.
    let mut stretches = Vec::new();
    let mut stretch_start = hits.first().map_or(epoch, |hit| hit.at);
    for outage in &outages {
        stretches.push((stretch_start, at(outage.window.start)));
        stretch_start = outage.recovered.unwrap_or(finished);
    }
    stretches.push((stretch_start, finished.max(stretch_start)));
    let outside_fetches = hits
        .iter()
        .filter(|hit| {
            stretches
                .iter()
                .any(|&(start, end)| start <= hit.at && hit.at < end)
        })
        .count();
    let outside_time: Duration = stretches
        .iter()
        .map(|&(start, end)| end.saturating_duration_since(start))
        .sum();
    let outside_allowed: usize = stretches
        .iter()
        .map(|&(start, end)| {
            let length = end.saturating_duration_since(start);
            (length.as_secs_f64() / TTL.as_secs_f64()) as usize
                + ((length + bound).as_secs_f64() / COOLDOWN.as_secs_f64()) as usize
                + 2
        })
        .sum();
    if outside_fetches > outside_allowed {
        fail(
            "fetches outside outages within one per TTL plus one per cooldown",
            format!("{outside_fetches} fetches, at most {outside_allowed}"),
        );
    }

    // When each removal was surely in the store: the first answer that a
    // token of the key is unknown, to a request that came after the
    // removal and after a set with the key had served (so the set read came
    // from a fetch after the removal, and so does every set installed
    // later); or the first successful fetch after the removal plus the
    // bound (a fetch installs what it got by its end), whichever is first.
    let removal_seen: Vec<Option<Instant>> = (0..schedule.keys())
        .map(|key| {
            let removed = at(schedule.removed_at(key)?);
            let served = records
                .iter()
                .filter(|record| record.key == Some(key))
                .filter(|record| matches!(record.timed.answer, Answer::Response(_)))
                .map(|record| record.timed.answered)
                .min()?;
            let refused = records
                .iter()
                .filter(|record| record.key == Some(key))
                .filter(|record| record.timed.handed_out >= removed.max(served))
                .filter(|record| {
                    output
                        .decisions
                        .get(&record.connection_id)
                        .is_some_and(|line| line["reason"] == "unknown_kid")
                })
                .map(|record| record.timed.answered)
                .min();
            let fetched = hits
                .iter()
                .enumerate()
                .find(|(index, hit)| {
                    let without =
                        matches!(&hit.served, Served::Keys(published) if !published.contains(&key));
                    hit.at >= removed && without && fetch_ok(*index)
                })
                .map(|(_, hit)| hit.at + bound);
            refused.into_iter().chain(fetched).min()
        })
        .collect();
    let class = |record: &Record| -> Class {
        let Some(key) = record.key else {
            return Class::Invalid;
        };
        let handed_out = record.timed.handed_out;
        match schedule.removed_at(key).map(at) {
            Some(removed) if handed_out + bound >= removed => {
                if removal_seen[key].is_some_and(|seen| handed_out >= seen) {
                    Class::Invalid
                } else {
                    Class::Transitional
                }
            }
            _ => Class::Valid,
        }
    };
    // A rotation's grace: until the new key must be in the store, even when
    // a fetch that started before the rotation answered without it (then
    // the next refresh, a TTL later, brings it).
    let rotation_grace = TTL + bound * 2;
    let after_rotation = |handed_out: Instant| {
        schedule
            .rotations
            .iter()
            .map(|&rotation| at(rotation))
            .filter(|&rotation| handed_out >= rotation && handed_out <= rotation + rotation_grace)
            .map(|rotation| handed_out - rotation)
            .min()
    };

    let mut in_function = Vec::with_capacity(records.len());
    let mut end_to_end = Vec::with_capacity(records.len());
    let mut by_kind: BTreeMap<&str, [usize; 3]> = BTreeMap::new();
    let mut valid_refused: BTreeMap<&str, usize> = BTreeMap::new();
    let mut refused_reasons: BTreeMap<String, usize> = BTreeMap::new();
    let mut per_rotation: Vec<(usize, usize, Duration)> =
        vec![(0, 0, Duration::ZERO); schedule.rotations.len()];
    let mut by_class: BTreeMap<&str, [usize; 3]> = BTreeMap::new();
    let mut cache_hits = 0;
    let mut unavailable = 0;
    for record in records {
        let elapsed = record.timed.answered - record.timed.handed_out;
        in_function.push(elapsed);
        end_to_end.push(record.done - record.sent);
        let id = &record.connection_id;
        if elapsed > bound {
            fail(
                "every answer within the bound",
                format!(
                    "{id} ({}) took {elapsed:?} in the function, bound {bound:?}",
                    record.kind.name()
                ),
            );
        }
        let class = class(record);
        let line = output.decisions.get(id);
        let reason = line.and_then(|line| line["reason"].as_str()).unwrap_or("");
        if line.is_none() {
            fail(
                "one decision line per request",
                format!("{id}: no decision line"),
            );
        }
        if line.is_some_and(|line| line["cached"] == true) {
            cache_hits += 1;
        }
        let allowed = match &record.timed.answer {
            Answer::Response(response) => {
                let statement = &response["policyDocument"]["Statement"][0];
                if statement["Effect"] != "Allow"
                    || statement["Resource"] != json!([record.method_arn])
                    || response["principalId"] != json!(record.sub)
                    || response["context"]["sub"] != json!(record.sub)
                {
                    fail(
                        "every Allow carries its own request's subject and methodArn",
                        format!(
                            "{id} ({}, sub {}, {}): {response}",
                            record.kind.name(),
                            record.sub,
                            record.method_arn
                        ),
                    );
                }
                if line.is_some_and(|line| {
                    line["decision"] != "allow" || line["sub"] != json!(record.sub)
                }) {
                    fail(
                        "decision lines match the answers",
                        format!("{id}: allowed, logged {line:?}"),
                    );
                }
                true
            }
            Answer::Error(error) => {
                let expected_type = if reason == "jwks_unavailable" {
                    "AuthorizerError"
                } else {
                    "Unauthorized"
                };
                if error["errorType"] != expected_type
                    || line.is_some_and(|line| line["decision"] == "allow")
                {
                    fail(
                        "decision lines match the answers",
                        format!("{id}: {error}, logged {line:?}"),
                    );
                }
                false
            }
        };
        if reason == "jwks_unavailable" {
            unavailable += 1;
            if !in_outage(record.timed.handed_out) {
                fail(
                    "jwks_unavailable only in outages",
                    format!(
                        "{id} ({}) handed out at {:.3} s",
                        record.kind.name(),
                        secs(record.timed.handed_out - epoch)
                    ),
                );
            }
        }
        let counts = by_kind.entry(record.kind.name()).or_default();
        counts[0] += 1;
        counts[usize::from(!allowed) + 1] += 1;
        let counts = by_class.entry(class.name()).or_default();
        counts[0] += 1;
        counts[usize::from(!allowed) + 1] += 1;
        match class {
            Class::Invalid => {
                let expected = [record.kind.reason(), "unknown_kid", "jwks_unavailable"];
                if allowed || !expected.contains(&reason) {
                    fail(
                        "no token invalid by construction is allowed",
                        format!(
                            "{id} ({}, key {:?}): {:?}, reason {reason}",
                            record.kind.name(),
                            record.key,
                            record.timed.answer
                        ),
                    );
                }
            }
            Class::Transitional => {}
            Class::Valid if !allowed => {
                *refused_reasons.entry(reason.to_owned()).or_default() += 1;
                let handed_out = record.timed.handed_out;
                let bucket = if in_outage(handed_out) {
                    "inside_outages"
                } else if let Some(since) = after_rotation(handed_out) {
                    let rotation = schedule
                        .rotations
                        .iter()
                        .rposition(|&rotation| at(rotation) <= handed_out)
                        .unwrap();
                    let entry = &mut per_rotation[rotation];
                    if since <= Duration::from_secs(1) {
                        entry.0 += 1;
                    } else {
                        entry.1 += 1;
                    }
                    entry.2 = entry.2.max(since);
                    if since <= Duration::from_secs(1) {
                        "first_second_after_a_rotation"
                    } else {
                        "rest_of_a_rotation_grace"
                    }
                } else {
                    fail(
                        "valid tokens allowed outside outages and rotations",
                        format!(
                            "{id} ({}, key {:?}) at {:.3} s: {reason}",
                            record.kind.name(),
                            record.key,
                            secs(handed_out - epoch)
                        ),
                    );
                    "elsewhere"
                };
                *valid_refused.entry(bucket).or_default() += 1;
            }
            Class::Valid => {}
        }
    }
    if cache_hits == 0 {
        fail(
            "reconnects are decision cache hits",
            "no cached decision".to_owned(),
        );
    }
    let rss_max = rss.iter().map(|&(_, kb)| kb).max().unwrap_or(0);
    if rss_max > MEMORY_LIMIT_KB {
        fail("RSS within the function's memory", format!("{rss_max} kB"));
    }

    in_function.sort_unstable();
    end_to_end.sort_unstable();
    let elapsed = finished - epoch;
    let latency = |sorted: &[Duration]| {
        json!({
            "p50_ms": ms(percentile(sorted, 0.5)),
            "p99_ms": ms(percentile(sorted, 0.99)),
            "max_ms": ms(sorted.last().copied().unwrap_or_default()),
        })
    };
    let mut by_result: BTreeMap<&str, usize> = BTreeMap::new();
    for result in &output.fetches {
        *by_result.entry(result.as_str()).or_default() += 1;
    }
    let report = json!({
        "seconds": duration.as_secs(),
        "target_rate": rate,
        "settings": {
            "AWS_LAMBDA_MAX_CONCURRENCY": 8,
            "JWKS_CACHE_TTL_SECONDS": TTL.as_secs(),
            "JWKS_MAX_STALE_SECONDS": MAX_STALE.as_secs(),
            "JWKS_REFRESH_COOLDOWN_SECONDS": COOLDOWN.as_secs(),
            "JWKS_MAX_BACKOFF_SECONDS": MAX_BACKOFF.as_secs(),
            "JWKS_FETCH_TIMEOUT_MS": FETCH_TIMEOUT.as_millis() as u64,
            "decision_bound_ms": ms(bound),
            "build": if cfg!(debug_assertions) { "debug" } else { "release" },
        },
        "schedule": {
            "rotations_s": schedule.rotations.iter().map(|t| t.as_secs()).collect::<Vec<_>>(),
            "removals_s": schedule.removals.iter().map(|t| t.as_secs()).collect::<Vec<_>>(),
        },
        "decisions": records.len(),
        "rate_per_s": (records.len() as f64 / elapsed.as_secs_f64()).round(),
        "by_kind": by_kind.iter().map(|(kind, [sent, allowed, refused])| (kind.to_string(), json!({"sent": sent, "allowed": allowed, "refused": refused}))).collect::<serde_json::Map<_, _>>(),
        "decision_cache_hits": cache_hits,
        "jwks_unavailable": unavailable,
        "by_class": by_class
            .iter()
            .map(|(class, [sent, allowed, refused])| {
                (class.to_string(), json!({"sent": sent, "allowed": allowed, "refused": refused}))
            })
            .collect::<serde_json::Map<_, _>>(),
        "valid_refused": {
            "inside_outages": valid_refused.get("inside_outages").copied().unwrap_or(0),
            "first_second_after_a_rotation": valid_refused.get("first_second_after_a_rotation").copied().unwrap_or(0),
            "rest_of_a_rotation_grace": valid_refused.get("rest_of_a_rotation_grace").copied().unwrap_or(0),
            "elsewhere": valid_refused.get("elsewhere").copied().unwrap_or(0),
            "reasons": refused_reasons,
        },
        "rotations": schedule.rotations.iter().zip(&per_rotation).map(|(rotation, (first, rest, last))| json!({
            "at_s": rotation.as_secs(),
            "valid_refused_first_second": first,
            "valid_refused_later": rest,
            "last_refusal_after_ms": ms(*last),
        })).collect::<Vec<_>>(),
        "fetches": {
            "total": hits.len(),
            "by_result": by_result,
            "skipped_for_backoff": output.skipped,
            "stale_keys_served": output.stale_served,
            "outside_outages": outside_fetches,
            "outside_outages_allowed": outside_allowed,
            "per_ttl_outside_outages": (outside_fetches as f64 * TTL.as_secs_f64() / outside_time.as_secs_f64().max(1.0) * 100.0).round() / 100.0,
        },
        "outage_windows": outages.iter().map(|outage| json!({
            "fault": outage.window.fault.name(),
            "start_s": outage.window.start.as_secs(),
            "end_s": outage.window.end.as_secs(),
            "fetches": outage.fetches,
            "allowed_by_backoff": outage.allowed,
            "recovered_after_end_s": outage.recovered.map(|recovered| secs(recovered.saturating_duration_since(at(outage.window.end)))),
        })).collect::<Vec<_>>(),
        "latency": {"in_function": latency(&in_function), "end_to_end": latency(&end_to_end)},
        "rss_kb": {
            "start": rss.first().map_or(0, |&(_, kb)| kb),
            "end": rss_end,
            "max": rss_max,
            "samples": rss.iter().map(|&(t, kb)| json!([t, kb])).collect::<Vec<_>>(),
        },
        "output": {"lines": output.lines, "bytes": output.bytes},
        "cpu_seconds": {"function": cpu.0, "test": cpu.1},
        "failures": failures.iter().map(|(check, messages)| (check.to_string(), json!(messages.len()))).collect::<serde_json::Map<_, _>>(),
    });
    (report, failures)
}
