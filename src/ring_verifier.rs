//! ES256 and Ed25519 verification with `ring`.
//!
//! Measured side by side with the OpenSSL path in one process
//! (`cargo bench --bench backends`, BENCHMARKS.md), ring verifies these two
//! faster on the system OpenSSL and on the vendored one the Lambda ships
//! (ES256 by 15 %, Ed25519 by half), and it is already linked (through
//! rustls). Its P-384 is slower than OpenSSL's and it has no P-521, so
//! ES384 and ES512 stay with OpenSSL. The key material is checked by
//! OpenSSL when the key set is read, as before: a point off its curve, a
//! coordinate of the wrong length or a key of another curve never becomes a
//! verifier. ring then checks the signature's encoding itself: exactly the
//! fixed-length `r || s` of RFC 7518 §3.4, `r` and `s` in range, and for
//! Ed25519 a canonical `S` (RFC 8032 §5.1.7).

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

/// The curve of an ECDSA algorithm this module verifies: its JWK name,
/// OpenSSL's name and ring's algorithm.
fn ecdsa_curve(alg: Algorithm) -> Option<(&'static str, Nid, &'static dyn VerificationAlgorithm)> {
    match alg {
        Algorithm::Es256 => Some((
            "P-256",
            Nid::X9_62_PRIME256V1,
            &signature::ECDSA_P256_SHA256_FIXED,
        )),
        _ => None,
    }
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
        let (name, nid, algorithm) = ecdsa_curve(alg)?;
        if crv != name {
            return None;
        }
        let mut point = Vec::with_capacity(1 + x.len() + y.len());
        point.push(0x04);
        point.extend_from_slice(x);
        point.extend_from_slice(y);
        // OpenSSL refuses a point of the wrong length, a coordinate not below
        // the field prime, and a point off the curve.
        let group = EcGroup::from_curve_name(nid).ok()?;
        let mut context = BigNumContext::new().ok()?;
        EcPoint::from_bytes(&group, &point, &mut context).ok()?;
        Some(RingVerifier {
            algorithm,
            public_key: point.into_boxed_slice(),
        })
    }

    /// An Ed25519 key from a JWK's decoded `x`.
    pub fn ed25519_from_x(crv: &str, x: &[u8]) -> Option<Self> {
        (crv == "Ed25519" && x.len() == 32).then(|| RingVerifier {
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
        let (_, nid, algorithm) = ecdsa_curve(alg)?;
        let ec = public_key.ec_key().ok()?;
        if ec.group().curve_name() != Some(nid) {
            return None;
        }
        let mut context = BigNumContext::new().ok()?;
        let point = ec
            .public_key()
            .to_bytes(ec.group(), PointConversionForm::UNCOMPRESSED, &mut context)
            .ok()?;
        Some(RingVerifier {
            algorithm,
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
    fn only_es256_and_ed25519_are_routed_here() {
        assert!(RingVerifier::handles(Algorithm::Es256, None));
        assert!(!RingVerifier::handles(Algorithm::Es384, None));
        assert!(!RingVerifier::handles(Algorithm::Es512, None));
        assert!(RingVerifier::handles(Algorithm::EdDsa, Some("Ed25519")));
        assert!(!RingVerifier::handles(Algorithm::EdDsa, Some("Ed448")));
        assert!(!RingVerifier::handles(Algorithm::Rs256, None));
    }
}
