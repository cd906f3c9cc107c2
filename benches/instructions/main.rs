//! Instructions per decision, counted by callgrind. Wall-clock timings on a
//! shared 2-core machine move by a third from one run to the next; the
//! number of instructions a decision executes does not, so a change to the
//! hot path can be judged by a few percent. Run through the script, which
//! starts this binary under valgrind once per case:
//!
//! ```text
//! bash benches/instructions/count.sh
//! ```
//!
//! By hand: `<binary> CASE ITERATIONS` runs CASE ITERATIONS times inside
//! `measured`, the one function callgrind is told to count, and prints how
//! many heap allocations (and bytes) were made inside it; the script takes
//! the same difference of those, run natively.

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use lambda_runtime::tower::{Layer, Service};
use lambda_runtime::{service_fn, LambdaInvocation};
use serde_json::json;
use testkit::*;
use ws_jwt_authorizer::algorithm::AlgorithmSet;
use ws_jwt_authorizer::invocation::{self, ReadEventLayer};
use ws_jwt_authorizer::{jws, Authorizer, ConnectEvent};

/// Every case, in the order the script prints them.
const CASES: [&str; 12] = [
    "aws_lc_rs256_verify",
    "allow_rs256",
    "allow_rs256_cache_hit",
    "event_json",
    "event_json_lambda_runtime",
    "event_json_read_event_layer",
    "token_header",
    "token_claims",
    "refusal_malformed",
    "refusal_oversize",
    "refusal_alg_not_allowed",
    "refusal_unknown_kid_in_cooldown",
];

/// The system allocator, counting what it is asked for (a relaxed add per
/// call: a handful of instructions against a decision's hundreds of thousands).
struct Counting;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);
static ALLOCATED_BYTES: AtomicU64 = AtomicU64::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        ALLOCATED_BYTES.fetch_add(layout.size() as u64, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        ALLOCATED_BYTES.fetch_add(new_size as u64, Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// The function callgrind counts (`--toggle-collect=*measured*`); prints
/// the allocations made inside it.
#[inline(never)]
fn measured(iterations: u32, decide: &mut dyn FnMut()) {
    let (count, bytes) = (
        ALLOCATIONS.load(Ordering::Relaxed),
        ALLOCATED_BYTES.load(Ordering::Relaxed),
    );
    for _ in 0..iterations {
        decide();
    }
    println!(
        "allocations: {} bytes: {}",
        ALLOCATIONS.load(Ordering::Relaxed) - count,
        ALLOCATED_BYTES.load(Ordering::Relaxed) - bytes
    );
}

/// Event JSON in, response JSON out, as lambda_runtime runs the handler.
async fn decide_json(authorizer: &Authorizer, event: &[u8]) -> Option<Vec<u8>> {
    let event: ConnectEvent = serde_json::from_slice(event).ok()?;
    let response = authorizer.authorize(&event).await.ok()?;
    serde_json::to_vec(&response).ok()
}

fn main() {
    // `cargo bench` passes `--bench`; only the positional arguments count.
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|arg| !arg.starts_with("--"))
        .collect();
    let (case, iterations) = match args.as_slice() {
        [case, iterations] => (case.as_str(), iterations.parse().expect("ITERATIONS")),
        [] => {
            println!("{}", CASES.join("\n"));
            return;
        }
        _ => panic!("usage: instructions [CASE ITERATIONS]"),
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let key = SigningKey::shared("RS256");
    let token = key.sign(&valid_claims());
    let event_for = |token: &str| serde_json::to_vec(&query_event_json(token)).unwrap();
    let valid = event_for(&token);

    if case == "aws_lc_rs256_verify" {
        let bare = BareRsaVerify::new(key, &token);
        let mut verify = || assert!(bare.verify());
        verify();
        measured(iterations, &mut verify);
        return;
    }
    if case == "event_json_read_event_layer" {
        // What the binary does: ReadEventLayer reads the event, then
        // lambda_runtime's own reading (of `{}`) and the hand-over.
        let mut service =
            ReadEventLayer.layer(service_fn(|invocation: LambdaInvocation| async move {
                let mut json = serde_json::Deserializer::from_slice(&invocation.body);
                let deserialized: ConnectEvent = serde_path_to_error::deserialize(&mut json)?;
                let _event = black_box(invocation::event_or(deserialized));
                Ok::<(), serde_path_to_error::Error<serde_json::Error>>(())
            }));
        let (parts, ()) = ::http::Response::new(()).into_parts();
        let template = LambdaInvocation {
            parts,
            body: valid.clone().into(),
            context: lambda_runtime::Context::default(),
        };
        let mut read = || {
            let invocation = LambdaInvocation {
                parts: template.parts.clone(),
                body: template.body.clone(),
                context: template.context.clone(),
            };
            runtime.block_on(service.call(invocation)).unwrap();
        };
        read();
        measured(iterations, &mut read);
        return;
    }
    // The pieces of an Allow that do not depend on the key set.
    let mut piece: Option<Box<dyn FnMut()>> = match case {
        "event_json" => Some(Box::new(|| {
            black_box(serde_json::from_slice::<ConnectEvent>(black_box(&valid)).unwrap());
        })),
        // lambda_runtime reads the event through serde_path_to_error, which
        // keeps the path of every key it passes, for its error messages.
        "event_json_lambda_runtime" => Some(Box::new(|| {
            let mut json = serde_json::Deserializer::from_slice(black_box(&valid));
            black_box(serde_path_to_error::deserialize::<_, ConnectEvent>(&mut json).unwrap());
        })),
        "token_header" => Some(Box::new(|| {
            black_box(jws::parse(black_box(&token), AlgorithmSet::all()).unwrap());
        })),
        "token_claims" => {
            let parsed = jws::parse(&token, AlgorithmSet::all()).unwrap();
            Some(Box::new(move || {
                black_box(jws::dangerous::unverified_claims(black_box(&parsed)).unwrap());
            }))
        }
        _ => None,
    };
    if let Some(piece) = piece.as_mut() {
        piece();
        measured(iterations, piece);
        return;
    }

    let server = runtime.block_on(KeyServer::start(&jwks(&[key])));
    let cache_entries = if case == "allow_rs256_cache_hit" {
        "1000"
    } else {
        "0"
    };
    let authorizer = Authorizer::new(config(
        &server.url,
        &[
            ("JWKS_REFRESH_COOLDOWN_SECONDS", "3600"),
            ("DECISION_CACHE_MAX_ENTRIES", cache_entries),
        ],
    ))
    .unwrap();
    assert!(runtime.block_on(authorizer.prefetch(Duration::from_secs(2))));
    let unknown_kid =
        key.sign_with_header(&json!({"alg": "RS256", "kid": "unknown"}), &valid_claims());
    let (event, allowed) = match case {
        "allow_rs256" | "allow_rs256_cache_hit" => (valid.clone(), true),
        "refusal_malformed" => (event_for("eyJhbGciOiJSUzI1NiJ9.not-base64!.x"), false),
        "refusal_oversize" => (event_for(&"a".repeat(9000)), false),
        "refusal_alg_not_allowed" => (
            event_for(
                &key.sign_with_header(&json!({"alg": "HS256", "kid": key.kid}), &valid_claims()),
            ),
            false,
        ),
        "refusal_unknown_kid_in_cooldown" => (event_for(&unknown_kid), false),
        other => panic!("no case {other:?}; cases: {}", CASES.join(", ")),
    };
    let mut decide = || {
        let response = runtime.block_on(decide_json(&authorizer, black_box(&event)));
        assert_eq!(response.is_some(), allowed, "{case}");
    };
    // The first decision warms what is set up once (the refetch the
    // cooldown allows, the decision cache entry, pooled contexts).
    decide();
    measured(iterations, &mut decide);
}
