//! ECDSA (ES256, ES384, ES512) and Ed25519 verification with `aws-lc-rs`
//! (AWS-LC), each key parsed once.
//!
//! Measured side by side in one process (`cargo bench --bench backends`,
//! BENCHMARKS.md, "Signature backends"), AWS-LC verifies every one of these
//! faster than OpenSSL through josekit and than `ring`: ES384 3.7 times
//! faster than OpenSSL 3.0 (which has no fast P-384 code), ES512 1.5 times,
//! ES256 and Ed25519 a little faster than ring, which verified them before.
//!
//! Keys are checked when the key set is read. An EC key's coordinates must
//! each be exactly as long as the curve's field (RFC 7518 §6.2.1.2: 32, 48
//! and 66 bytes, checked by `public_key`), each below the field's prime and
//! together a point on the curve (AWS-LC checks both when it parses the
//! point). An Ed25519 key must be 32 bytes
//! with a canonical `y` below the field prime, and not one of the
//! small-order points, for which one signature verifies every message
//! (libsodium refuses the same list). AWS-LC checks each signature's
//! encoding itself: exactly the fixed-length `r || s` of RFC 7518 §3.4, `r`
//! and `s` in range, and for Ed25519 a canonical `S` (RFC 8032 §5.1.7).

use aws_lc_rs::signature::{self, ParsedPublicKey, VerificationAlgorithm};

use crate::algorithm::Algorithm;
use crate::public_key::PublicKey;

/// A public key parsed for one of AWS-LC's verification algorithms.
pub struct CurveVerifier {
    public_key: ParsedPublicKey,
}

impl std::fmt::Debug for CurveVerifier {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("CurveVerifier")
            .field("algorithm", &self.public_key.algorithm())
            .finish_non_exhaustive()
    }
}

/// An ECDSA curve this module verifies on.
struct Curve {
    /// Its JWK `crv`.
    name: &'static str,
    algorithm: &'static dyn VerificationAlgorithm,
}

fn ecdsa_curve(alg: Algorithm) -> Option<Curve> {
    match alg {
        Algorithm::Es256 => Some(Curve {
            name: "P-256",
            algorithm: &signature::ECDSA_P256_SHA256_FIXED,
        }),
        Algorithm::Es384 => Some(Curve {
            name: "P-384",
            algorithm: &signature::ECDSA_P384_SHA384_FIXED,
        }),
        Algorithm::Es512 => Some(Curve {
            name: "P-521",
            algorithm: &signature::ECDSA_P521_SHA512_FIXED,
        }),
        _ => None,
    }
}

/// The Ed25519 public keys of small order, the sign bit left out: the
/// identity (order 1), the points of order 2, 4 and 8, and the non-canonical
/// encodings of the first three (`y` = p - 1, p, p + 1 as `y` + p). With any
/// of them a signature made without a private key verifies every message.
const ED25519_SMALL_ORDER: [[u8; 32]; 7] = [
    [0; 32],
    [
        1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0,
    ],
    [
        0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4, 0x89, 0xf2, 0xef, 0x98,
        0xf0, 0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6, 0x33, 0x39, 0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53,
        0xfc, 0x05,
    ],
    [
        0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f, 0xba, 0x3c, 0x0b, 0x76, 0x0d, 0x10, 0x67,
        0x0f, 0x2a, 0x20, 0x53, 0xfa, 0x2c, 0x39, 0xcc, 0xc6, 0x4e, 0xc7, 0xfd, 0x77, 0x92, 0xac,
        0x03, 0x7a,
    ],
    field_element_below_max(0xec),
    field_element_below_max(0xed),
    field_element_below_max(0xee),
];

/// `first` followed by thirty 0xff and a last 0x7f: p - 1, p and p + 1 for
/// 0xec, 0xed and 0xee (p = 2^255 - 19, little-endian).
const fn field_element_below_max(first: u8) -> [u8; 32] {
    let mut bytes = [0xff; 32];
    bytes[0] = first;
    bytes[31] = 0x7f;
    bytes
}

/// Whether `x`, an encoded Ed25519 point, has a `y` of at least the field
/// prime or is a point of small order.
fn is_weak_ed25519_key(x: &[u8; 32]) -> bool {
    let mut y = *x;
    y[31] &= 0x7f;
    let at_least_prime = y[0] >= 0xed && y[1..31].iter().all(|byte| *byte == 0xff) && y[31] == 0x7f;
    at_least_prime || ED25519_SMALL_ORDER.contains(&y)
}

impl CurveVerifier {
    /// A verifier for `alg` (an ECDSA algorithm, or EdDSA) of `key`, or
    /// `None` when the key is not on the algorithm's curve, not a point of
    /// it, or a weak Ed25519 key.
    pub fn new(key: &PublicKey, alg: Algorithm) -> Option<Self> {
        let (algorithm, bytes): (&'static dyn VerificationAlgorithm, &[u8]) = match key {
            PublicKey::Ed25519(x) if alg == Algorithm::EdDsa && !is_weak_ed25519_key(x) => {
                (&signature::ED25519, x)
            }
            PublicKey::Ec { curve, point } => {
                let expected = ecdsa_curve(alg)?;
                if expected.name != *curve {
                    return None;
                }
                (expected.algorithm, point)
            }
            _ => return None,
        };
        Some(CurveVerifier {
            public_key: ParsedPublicKey::new(algorithm, bytes).ok()?,
        })
    }

    /// True when `signature` is valid for `message`.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        self.public_key.verify_sig(message, signature).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lc_rs::rand::SystemRandom;
    use aws_lc_rs::signature::{EcdsaKeyPair, EcdsaSigningAlgorithm, KeyPair};

    /// Each ECDSA algorithm with its JWK `crv` and its signing algorithm.
    const CURVES: [(Algorithm, &str, &EcdsaSigningAlgorithm); 3] = [
        (
            Algorithm::Es256,
            "P-256",
            &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
        ),
        (
            Algorithm::Es384,
            "P-384",
            &signature::ECDSA_P384_SHA384_FIXED_SIGNING,
        ),
        (
            Algorithm::Es512,
            "P-521",
            &signature::ECDSA_P521_SHA512_FIXED_SIGNING,
        ),
    ];

    fn ec(curve: &'static str, point: &[u8]) -> PublicKey {
        PublicKey::Ec {
            curve,
            point: point.to_vec(),
        }
    }

    #[test]
    fn a_point_on_its_curve_is_accepted_for_that_curve_only_and_verifies() {
        for (alg, crv, signing) in CURVES {
            let pair = EcdsaKeyPair::generate(signing).unwrap();
            let point = pair.public_key().as_ref();
            for (other_alg, other_crv, _) in CURVES {
                assert_eq!(
                    CurveVerifier::new(&ec(crv, point), other_alg).is_some(),
                    other_alg == alg,
                    "a {crv} point for {other_alg}"
                );
                assert_eq!(
                    CurveVerifier::new(&ec(other_crv, point), alg).is_some(),
                    other_crv == crv,
                    "a {crv} point named {other_crv}"
                );
            }
            let verifier = CurveVerifier::new(&ec(crv, point), alg).unwrap();
            let signature = pair.sign(&SystemRandom::new(), b"m").unwrap();
            assert!(verifier.verify(b"m", signature.as_ref()));
            assert!(!verifier.verify(b"n", signature.as_ref()));
        }
        let key = ec("P-256", &[4; 65]);
        assert!(CurveVerifier::new(&key, Algorithm::Rs256).is_none());
        assert!(CurveVerifier::new(&key, Algorithm::EdDsa).is_none());
    }

    #[test]
    fn a_point_off_the_curve_or_a_coordinate_past_the_prime_is_refused() {
        for (alg, crv, signing) in CURVES {
            let pair = EcdsaKeyPair::generate(signing).unwrap();
            let mut point = pair.public_key().as_ref().to_vec();
            let last = point.len() - 1;
            point[last] ^= 1;
            assert!(CurveVerifier::new(&ec(crv, &point), alg).is_none(), "{crv}");
            // x = 2^k - 1, the largest value of the coordinate's bytes: past
            // every one of these primes (P-521's top byte holds one bit).
            let coordinate = (point.len() - 1) / 2;
            let mut past = pair.public_key().as_ref().to_vec();
            past[1..=coordinate].fill(0xff);
            if crv == "P-521" {
                past[1] = 0x01;
            }
            assert!(CurveVerifier::new(&ec(crv, &past), alg).is_none(), "{crv}");
        }
    }

    #[test]
    fn ed25519_keys_serve_eddsa_only() {
        let key = PublicKey::Ed25519([9; 32]);
        assert!(CurveVerifier::new(&key, Algorithm::EdDsa).is_some());
        assert!(CurveVerifier::new(&key, Algorithm::Es256).is_none());
    }

    #[test]
    fn small_order_and_non_canonical_ed25519_keys_are_refused() {
        for weak in ED25519_SMALL_ORDER {
            for sign in [0, 0x80] {
                let mut key = weak;
                key[31] |= sign;
                assert!(
                    CurveVerifier::new(&PublicKey::Ed25519(key), Algorithm::EdDsa).is_none(),
                    "{key:02x?}"
                );
            }
        }
        // y = p + 2 .. 2^255 - 1: not canonical.
        let key = |bytes| PublicKey::Ed25519(bytes);
        assert!(
            CurveVerifier::new(&key(field_element_below_max(0xff)), Algorithm::EdDsa).is_none()
        );
        // The identity with a signature of R = identity, S = 0 would verify
        // any message; AWS-LC, given such a key, accepts it.
        let identity = ED25519_SMALL_ORDER[1];
        let mut forged = [0u8; 64];
        forged[0] = 1;
        let accepting = ParsedPublicKey::new(&signature::ED25519, identity).unwrap();
        assert!(accepting.verify_sig(b"any message", &forged).is_ok());
        // y = p - 2 is canonical and not of small order.
        assert!(
            CurveVerifier::new(&key(field_element_below_max(0xeb)), Algorithm::EdDsa).is_some()
        );
    }
}
