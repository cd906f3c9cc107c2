//! ES256 and Ed25519 verification with `ring`.
//!
//! Measured side by side with the OpenSSL path in one process
//! (`cargo bench --bench backends`, BENCHMARKS.md), ring verifies these two
//! faster on the system OpenSSL and on the vendored one the Lambda ships
//! (ES256 by 15 %, Ed25519 by half), and it is already linked (through
//! rustls). Its P-384 is slower than OpenSSL's and it has no P-521, so
//! ES384 and ES512 stay with OpenSSL.
//!
//! Keys are checked when the key set is read. An EC key's coordinates must
//! each be exactly 32 bytes (RFC 7518 §6.2.1.2) and name a point on P-256
//! (OpenSSL checks that). An Ed25519 key must be 32 bytes with a canonical
//! `y` below the field prime, and not one of the small-order points, for
//! which one signature verifies every message (libsodium refuses the same
//! list); whether any other `y` lies on the curve ring finds out on the
//! first verification, which then fails. ring checks each signature's
//! encoding itself: exactly the fixed-length `r || s` of RFC 7518 §3.4, `r`
//! and `s` in range, and for Ed25519 a canonical `S` (RFC 8032 §5.1.7).

use openssl::bn::BigNumContext;
use openssl::ec::{EcGroup, EcPoint, PointConversionForm};
use openssl::nid::Nid;
use openssl::pkey::{Id, PKey, Public};
use ring::signature::{self, UnparsedPublicKey, VerificationAlgorithm};

use crate::algorithm::Algorithm;

/// A public key ready for one of ring's verification algorithms.
pub struct RingVerifier {
    algorithm: &'static dyn VerificationAlgorithm,
    public_key: Box<[u8]>,
}

impl std::fmt::Debug for RingVerifier {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("RingVerifier")
            .field("algorithm", &self.algorithm)
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

impl RingVerifier {
    /// Whether `alg` (on the given key curve, for EdDSA) is verified here.
    pub fn handles(alg: Algorithm, okp_curve: Option<&str>) -> bool {
        match alg {
            Algorithm::EdDsa => okp_curve == Some("Ed25519"),
            _ => ecdsa_curve(alg).is_some(),
        }
    }

    /// An ES256 key from a JWK's `crv`, `x` and `y` (already decoded),
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
        Some(RingVerifier {
            algorithm: curve.algorithm,
            public_key: point.into_boxed_slice(),
        })
    }

    /// An Ed25519 key from a JWK's decoded `x`.
    pub fn ed25519_from_x(crv: &str, x: &[u8]) -> Option<Self> {
        let encoded: &[u8; 32] = x.try_into().ok()?;
        (crv == "Ed25519" && !is_weak_ed25519_key(encoded)).then(|| RingVerifier {
            algorithm: &signature::ED25519,
            public_key: x.into(),
        })
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
        Some(RingVerifier {
            algorithm: curve.algorithm,
            public_key: point.into_boxed_slice(),
        })
    }

    /// True when `signature` is valid for `message`.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        UnparsedPublicKey::new(self.algorithm, &self.public_key)
            .verify(message, signature)
            .is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use openssl::ec::EcKey;

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
    fn a_point_on_its_curve_is_accepted() {
        let (x, y) = coordinates(Nid::X9_62_PRIME256V1);
        assert!(RingVerifier::ecdsa_from_coordinates(Algorithm::Es256, "P-256", &x, &y).is_some());
        assert!(RingVerifier::ecdsa_from_coordinates(Algorithm::Es256, "P-384", &x, &y).is_none());
        assert!(RingVerifier::ecdsa_from_coordinates(Algorithm::Es384, "P-384", &x, &y).is_none());
    }

    #[test]
    fn a_point_off_the_curve_or_short_is_refused() {
        let (x, mut y) = coordinates(Nid::X9_62_PRIME256V1);
        let short_x = &x[1..];
        assert!(
            RingVerifier::ecdsa_from_coordinates(Algorithm::Es256, "P-256", short_x, &y).is_none()
        );
        y[31] ^= 1;
        assert!(RingVerifier::ecdsa_from_coordinates(Algorithm::Es256, "P-256", &x, &y).is_none());
    }

    #[test]
    fn ed25519_needs_its_curve_and_32_bytes() {
        assert!(RingVerifier::ed25519_from_x("Ed25519", &[9; 32]).is_some());
        assert!(RingVerifier::ed25519_from_x("Ed448", &[9; 32]).is_none());
        assert!(RingVerifier::ed25519_from_x("Ed25519", &[9; 31]).is_none());
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
            RingVerifier::ecdsa_from_coordinates(Algorithm::Es256, "P-256", short_x, long_y)
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
                    RingVerifier::ed25519_from_x("Ed25519", &key).is_none(),
                    "{key:02x?}"
                );
            }
        }
        // y = p + 2 .. 2^255 - 1: not canonical.
        assert!(RingVerifier::ed25519_from_x("Ed25519", &field_element_below_max(0xff)).is_none());
        // The identity with a signature of R = identity, S = 0 would verify
        // any message; ring, given such a key, would accept it.
        let identity = ED25519_SMALL_ORDER[1];
        let mut forged = [0u8; 64];
        forged[0] = 1;
        let accepting = UnparsedPublicKey::new(&signature::ED25519, identity);
        assert!(accepting.verify(b"any message", &forged).is_ok());
        // y = p - 2 is canonical and not of small order.
        assert!(RingVerifier::ed25519_from_x("Ed25519", &field_element_below_max(0xeb)).is_some());
    }

    #[test]
    fn only_es256_and_ed25519_are_routed_here() {
        assert!(RingVerifier::handles(Algorithm::Es256, None));
        assert!(!RingVerifier::handles(Algorithm::Es384, None));
        assert!(!RingVerifier::handles(Algorithm::Es512, None));
        assert!(RingVerifier::handles(Algorithm::EdDsa, Some("Ed25519")));
        assert!(!RingVerifier::handles(Algorithm::EdDsa, Some("Ed448")));
        assert!(!RingVerifier::handles(Algorithm::Rs256, None));
    }
}
