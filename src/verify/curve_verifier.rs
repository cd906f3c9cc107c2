//! ECDSA (ES256, ES384, ES512) and Ed25519 verification with `aws-lc-rs`
//! (AWS-LC), each key parsed once.
//!
//! Measured side by side in one process (`cargo bench --bench backends`,
//! BENCHMARKS.md, "Signature backends"), AWS-LC verifies every one of these
//! faster than OpenSSL through josekit and than `ring`: ES384 3.7 times
//! faster than OpenSSL 3.0 (which has no fast P-384 code), ES512 1.5 times,
//! ES256 and Ed25519 a little faster than ring, which verified them before.
//! It does not depend on the OpenSSL the binary links, so the Lambda package
//! verifies as fast as the development build.
//!
//! Keys are checked when the key set is read. An EC key's coordinates must
//! each be exactly as long as the curve's field (RFC 7518 §6.2.1.2: 32, 48
//! and 66 bytes) and name a point on the curve (OpenSSL checks that, and
//! AWS-LC again when it parses the point). An Ed25519 key must be 32 bytes
//! with a canonical `y` below the field prime, and not one of the
//! small-order points, for which one signature verifies every message
//! (libsodium refuses the same list). AWS-LC checks each signature's
//! encoding itself: exactly the fixed-length `r || s` of RFC 7518 §3.4, `r`
//! and `s` in range, and for Ed25519 a canonical `S` (RFC 8032 §5.1.7).

use aws_lc_rs::signature::{self, ParsedPublicKey, VerificationAlgorithm};
use openssl::bn::BigNumContext;
use openssl::ec::{EcGroup, EcPoint, PointConversionForm};
use openssl::nid::Nid;
use openssl::pkey::{Id, PKey, Public};

use crate::algorithm::Algorithm;

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
    nid: Nid,
    /// The length of each coordinate, in bytes.
    coordinate_bytes: usize,
    algorithm: &'static dyn VerificationAlgorithm,
}

fn ecdsa_curve(alg: Algorithm) -> Option<Curve> {
    match alg {
        Algorithm::Es256 => Some(Curve {
            name: "P-256",
            nid: Nid::X9_62_PRIME256V1,
            coordinate_bytes: 32,
            algorithm: &signature::ECDSA_P256_SHA256_FIXED,
        }),
        Algorithm::Es384 => Some(Curve {
            name: "P-384",
            nid: Nid::SECP384R1,
            coordinate_bytes: 48,
            algorithm: &signature::ECDSA_P384_SHA384_FIXED,
        }),
        Algorithm::Es512 => Some(Curve {
            name: "P-521",
            nid: Nid::SECP521R1,
            coordinate_bytes: 66,
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
    fn parsed(algorithm: &'static dyn VerificationAlgorithm, public_key: &[u8]) -> Option<Self> {
        Some(CurveVerifier {
            public_key: ParsedPublicKey::new(algorithm, public_key).ok()?,
        })
    }

    /// An ECDSA key from a JWK's `crv`, `x` and `y` (already decoded),
    /// if they name a point on the algorithm's curve, each coordinate at its
    /// full length (RFC 7518 §6.2.1.2).
    pub fn ecdsa_from_coordinates(alg: Algorithm, crv: &str, x: &[u8], y: &[u8]) -> Option<Self> {
        let curve = ecdsa_curve(alg)?;
        if crv != curve.name
            || x.len() != curve.coordinate_bytes
            || y.len() != curve.coordinate_bytes
        {
            return None;
        }
        let mut point = Vec::with_capacity(1 + x.len() + y.len());
        point.push(0x04);
        point.extend_from_slice(x);
        point.extend_from_slice(y);
        // OpenSSL refuses a point of the wrong length, a coordinate not below
        // the field prime, and a point off the curve.
        let group = EcGroup::from_curve_name(curve.nid).ok()?;
        let mut context = BigNumContext::new().ok()?;
        EcPoint::from_bytes(&group, &point, &mut context).ok()?;
        Self::parsed(curve.algorithm, &point)
    }

    /// An Ed25519 key from a JWK's decoded `x`.
    pub fn ed25519_from_x(crv: &str, x: &[u8]) -> Option<Self> {
        let encoded: &[u8; 32] = x.try_into().ok()?;
        if crv != "Ed25519" || is_weak_ed25519_key(encoded) {
            return None;
        }
        Self::parsed(&signature::ED25519, x)
    }

    /// A key for `alg` from an X.509 certificate's public key.
    pub fn from_public_key(alg: Algorithm, public_key: &PKey<Public>) -> Option<Self> {
        if alg == Algorithm::EdDsa {
            if public_key.id() != Id::ED25519 {
                return None;
            }
            let x = public_key.raw_public_key().ok()?;
            return Self::ed25519_from_x("Ed25519", &x);
        }
        let curve = ecdsa_curve(alg)?;
        let ec = public_key.ec_key().ok()?;
        if ec.group().curve_name() != Some(curve.nid) {
            return None;
        }
        let mut context = BigNumContext::new().ok()?;
        let point = ec
            .public_key()
            .to_bytes(ec.group(), PointConversionForm::UNCOMPRESSED, &mut context)
            .ok()?;
        Self::parsed(curve.algorithm, &point)
    }

    /// True when `signature` is valid for `message`.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        self.public_key.verify_sig(message, signature).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use openssl::ec::EcKey;

    /// Each ECDSA algorithm with its JWK `crv` and OpenSSL's curve.
    const CURVES: [(Algorithm, &str, Nid); 3] = [
        (Algorithm::Es256, "P-256", Nid::X9_62_PRIME256V1),
        (Algorithm::Es384, "P-384", Nid::SECP384R1),
        (Algorithm::Es512, "P-521", Nid::SECP521R1),
    ];

    fn coordinates(nid: Nid) -> (Vec<u8>, Vec<u8>) {
        let group = EcGroup::from_curve_name(nid).unwrap();
        let key = EcKey::generate(&group).unwrap();
        let mut context = BigNumContext::new().unwrap();
        let point = key
            .public_key()
            .to_bytes(&group, PointConversionForm::UNCOMPRESSED, &mut context)
            .unwrap();
        let half = (point.len() - 1) / 2;
        (point[1..=half].to_vec(), point[1 + half..].to_vec())
    }

    #[test]
    fn a_point_on_its_curve_is_accepted_for_that_curve_only() {
        for (alg, crv, nid) in CURVES {
            let (x, y) = coordinates(nid);
            for (other_alg, other_crv, _) in CURVES {
                assert_eq!(
                    CurveVerifier::ecdsa_from_coordinates(other_alg, crv, &x, &y).is_some(),
                    other_alg == alg,
                    "a {crv} point for {other_alg}"
                );
                assert_eq!(
                    CurveVerifier::ecdsa_from_coordinates(alg, other_crv, &x, &y).is_some(),
                    other_crv == crv,
                    "a {crv} point named {other_crv}"
                );
            }
        }
        assert!(CurveVerifier::ecdsa_from_coordinates(
            Algorithm::Rs256,
            "P-256",
            &[0; 32],
            &[0; 32]
        )
        .is_none());
    }

    #[test]
    fn a_point_off_the_curve_or_short_is_refused() {
        for (alg, crv, nid) in CURVES {
            let (x, mut y) = coordinates(nid);
            let short_x = &x[1..];
            assert!(CurveVerifier::ecdsa_from_coordinates(alg, crv, short_x, &y).is_none());
            let last = y.len() - 1;
            y[last] ^= 1;
            assert!(CurveVerifier::ecdsa_from_coordinates(alg, crv, &x, &y).is_none());
        }
    }

    #[test]
    fn ed25519_needs_its_curve_and_32_bytes() {
        assert!(CurveVerifier::ed25519_from_x("Ed25519", &[9; 32]).is_some());
        assert!(CurveVerifier::ed25519_from_x("Ed448", &[9; 32]).is_none());
        assert!(CurveVerifier::ed25519_from_x("Ed25519", &[9; 31]).is_none());
    }

    #[test]
    fn a_coordinate_split_off_its_length_is_refused() {
        // x one byte short and y one byte long: 65 bytes in all, as a point
        // needs, but not two coordinates of 32 bytes.
        let (x, y) = coordinates(Nid::X9_62_PRIME256V1);
        let mut joined = x.clone();
        joined.extend(&y);
        let (short_x, long_y) = joined.split_at(31);
        assert!(
            CurveVerifier::ecdsa_from_coordinates(Algorithm::Es256, "P-256", short_x, long_y)
                .is_none()
        );
    }

    #[test]
    fn small_order_and_non_canonical_ed25519_keys_are_refused() {
        for weak in ED25519_SMALL_ORDER {
            for sign in [0, 0x80] {
                let mut key = weak;
                key[31] |= sign;
                assert!(
                    CurveVerifier::ed25519_from_x("Ed25519", &key).is_none(),
                    "{key:02x?}"
                );
            }
        }
        // y = p + 2 .. 2^255 - 1: not canonical.
        assert!(CurveVerifier::ed25519_from_x("Ed25519", &field_element_below_max(0xff)).is_none());
        // The identity with a signature of R = identity, S = 0 would verify
        // any message; AWS-LC, given such a key, accepts it.
        let identity = ED25519_SMALL_ORDER[1];
        let mut forged = [0u8; 64];
        forged[0] = 1;
        let accepting = ParsedPublicKey::new(&signature::ED25519, identity).unwrap();
        assert!(accepting.verify_sig(b"any message", &forged).is_ok());
        // y = p - 2 is canonical and not of small order.
        assert!(CurveVerifier::ed25519_from_x("Ed25519", &field_element_below_max(0xeb)).is_some());
    }
}
