//! Signature backends side by side, one algorithm at a time, in turns within
//! one process, so that each ratio divides timings taken at the same machine
//! speed: aws-lc-rs (AWS-LC, with a key parsed once, as a key set holds
//! it), `ring`, and what the authorizer runs (a key from a parsed key set,
//! as a decision uses it: AWS-LC for every algorithm). Prints one line per
//! algorithm; the ratios are to bare AWS-LC, so the authorizer's column is
//! what its key handling costs on top.
//!
//! ```text
//! cargo bench --bench backends
//! ```
//!
//! (OpenSSL through josekit was the first column until AWS-LC became the
//! one crypto library: BENCHMARKS.md, "Signature backends", has its
//! figures.)

use std::hint::black_box;
use std::time::Instant;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ring::signature::{self, RsaPublicKeyComponents, UnparsedPublicKey};
use testkit::*;
use ws_jwt_authorizer::algorithm::{Algorithm, AlgorithmSet};
use ws_jwt_authorizer::keys::KeySet;

const ALGORITHMS: [&str; 6] = ["RS256", "PS256", "ES256", "ES384", "ES512", "EdDSA"];
const ROUNDS: usize = 31;

/// One backend's check of a signature over a message.
type Check = Box<dyn Fn(&[u8], &[u8]) -> bool>;

/// One signed message and the ways to check it.
struct Case {
    alg: Algorithm,
    keys: KeySet,
    kid: String,
    message: Vec<u8>,
    signature: Vec<u8>,
    ring: Option<Check>,
    aws_lc: Check,
}

fn decode(key: &SigningKey, member: &str) -> Vec<u8> {
    URL_SAFE_NO_PAD
        .decode(key.public[member].as_str().unwrap())
        .unwrap()
}

/// ring's verifier for `key`, where ring has the algorithm.
fn ring_verifier(key: &SigningKey) -> Option<Check> {
    let point = |params: &'static signature::EcdsaVerificationAlgorithm| {
        let mut point = vec![4];
        point.extend(decode(key, "x"));
        point.extend(decode(key, "y"));
        let key = UnparsedPublicKey::new(params, point);
        Some(Box::new(move |m: &[u8], s: &[u8]| key.verify(m, s).is_ok()) as Check)
    };
    let rsa = |params: &'static signature::RsaParameters| {
        let components = RsaPublicKeyComponents {
            n: decode(key, "n"),
            e: decode(key, "e"),
        };
        Some(Box::new(move |m: &[u8], s: &[u8]| components.verify(params, m, s).is_ok()) as Check)
    };
    match key.alg {
        "RS256" => rsa(&signature::RSA_PKCS1_2048_8192_SHA256),
        "PS256" => rsa(&signature::RSA_PSS_2048_8192_SHA256),
        "ES256" => point(&signature::ECDSA_P256_SHA256_FIXED),
        "ES384" => point(&signature::ECDSA_P384_SHA384_FIXED),
        "EdDSA" => {
            let key = UnparsedPublicKey::new(&signature::ED25519, decode(key, "x"));
            Some(Box::new(move |m: &[u8], s: &[u8]| key.verify(m, s).is_ok()))
        }
        _ => None,
    }
}

/// aws-lc-rs's verifier for `key`, its key parsed once.
fn aws_lc_verifier(key: &SigningKey) -> Check {
    use aws_lc_rs::signature::{self as lc, ParsedPublicKey};
    let parsed = |params: &'static dyn lc::VerificationAlgorithm, bytes: Vec<u8>| {
        let key = ParsedPublicKey::new(params, bytes).unwrap();
        Box::new(move |m: &[u8], s: &[u8]| key.verify_sig(m, s).is_ok()) as Check
    };
    let point = || {
        let mut point = vec![4];
        point.extend(decode(key, "x"));
        point.extend(decode(key, "y"));
        point
    };
    let rsa = |params: &'static lc::RsaParameters| {
        let (n, e) = (decode(key, "n"), decode(key, "e"));
        let key = lc::RsaPublicKeyComponents { n: &n, e: &e }
            .to_parsed_public_key(params)
            .unwrap();
        Box::new(move |m: &[u8], s: &[u8]| key.verify_sig(m, s).is_ok()) as Check
    };
    match key.alg {
        "RS256" => rsa(&lc::RSA_PKCS1_2048_8192_SHA256),
        "PS256" => rsa(&lc::RSA_PSS_2048_8192_SHA256),
        "ES256" => parsed(&lc::ECDSA_P256_SHA256_FIXED, point()),
        "ES384" => parsed(&lc::ECDSA_P384_SHA384_FIXED, point()),
        "ES512" => parsed(&lc::ECDSA_P521_SHA512_FIXED, point()),
        "EdDSA" => parsed(&lc::ED25519, decode(key, "x")),
        other => panic!("no AWS-LC verifier for {other}"),
    }
}

impl Case {
    fn new(alg: &'static str) -> Self {
        let key = SigningKey::shared(alg);
        let token = key.sign(&valid_claims());
        let (message, signature) = token.rsplit_once('.').unwrap();
        let body = serde_json::to_vec(&jwks(&[key])).unwrap();
        let case = Case {
            alg: alg.parse().unwrap(),
            keys: KeySet::parse(&body, AlgorithmSet::all()).unwrap(),
            kid: key.kid.clone(),
            message: message.as_bytes().to_vec(),
            signature: URL_SAFE_NO_PAD.decode(signature).unwrap(),
            ring: ring_verifier(key),
            aws_lc: aws_lc_verifier(key),
        };
        assert!(case.ours());
        assert!((case.aws_lc)(&case.message, &case.signature));
        if let Some(ring) = &case.ring {
            assert!(ring(&case.message, &case.signature));
        }
        case
    }

    fn ours(&self) -> bool {
        let key = self.keys.get(&self.kid).unwrap();
        key.verify(
            self.alg,
            black_box(&self.message),
            black_box(&self.signature),
        )
        .is_ok()
    }

    /// µs per verification over `iterations`.
    fn time(&self, iterations: u32, verify: &dyn Fn() -> bool) -> f64 {
        let started = Instant::now();
        for _ in 0..iterations {
            assert!(verify());
        }
        started.elapsed().as_secs_f64() * 1e6 / f64::from(iterations)
    }
}

fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

fn main() {
    println!("{ROUNDS} rounds, in turns | µs per verification (median)");
    println!(
        "{:<6} {:>10} {:>10} {:>11} {:>10} {:>11}",
        "alg", "aws-lc", "ring", "authorizer", "ring/lc", "authz/lc"
    );
    for alg in ALGORITHMS {
        let case = Case::new(alg);
        // About 20 ms per round and backend, whatever the algorithm costs.
        let once = case.time(50, &|| case.ours());
        let iterations = ((20_000.0 / once) as u32).clamp(20, 5_000);
        let [mut aws_lc, mut ring, mut ours, mut ring_ratios, mut our_ratios] =
            std::array::from_fn(|_| Vec::new());
        let check = |verify: &Check| {
            case.time(iterations, &|| {
                verify(black_box(&case.message), black_box(&case.signature))
            })
        };
        for _ in 0..ROUNDS {
            let base = check(&case.aws_lc);
            aws_lc.push(base);
            if let Some(verify) = &case.ring {
                let theirs = check(verify);
                ring.push(theirs);
                ring_ratios.push(theirs / base);
            }
            let mine = case.time(iterations, &|| case.ours());
            ours.push(mine);
            our_ratios.push(mine / base);
        }
        let show = |samples: Vec<f64>| {
            if samples.is_empty() {
                "-".to_owned()
            } else {
                format!("{:.2}", median(samples))
            }
        };
        println!(
            "{alg:<6} {:>10} {:>10} {:>11} {:>10} {:>11}",
            show(aws_lc),
            show(ring),
            show(ours),
            show(ring_ratios),
            show(our_ratios)
        );
    }
}
