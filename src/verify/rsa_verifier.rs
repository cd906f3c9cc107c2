//! RS256/384/512 (RSASSA-PKCS1-v1_5) and PS256/384/512 (RSASSA-PSS)
//! verification with `aws-lc-rs` (AWS-LC), each key parsed once.
//!
//! Measured side by side in one process (`cargo bench --bench backends`,
//! BENCHMARKS.md, "Signature backends"), AWS-LC verifies RS256 faster than
//! the OpenSSL 3 context this module used to prepare once per key (which had
//! itself saved a fifth of a verification over josekit's context per call),
//! and PS256 about a quarter faster than OpenSSL through josekit. It does
//! not depend on the OpenSSL the binary links, so the Lambda package
//! verifies as fast as the development build.
//!
//! A signature must be exactly as long as the modulus: OpenSSL accepted a
//! PSS signature one byte short (its leading zero dropped), a second
//! encoding of the same signature, which RFC 8017 §8.1.2 step 1 makes
//! invalid; the length is checked here whatever the backend does. PSS takes
//! a salt as long as the hash, as RFC 7518 §3.5 requires. Moduli of 2048 to
//! 8192 bits are accepted (NIST SP 800-131A below; the upper bound caps
//! the work one key can cost).

use aws_lc_rs::signature::{self, ParsedPublicKey, RsaParameters};
use openssl::pkey::{Id, PKey, Public};

use crate::algorithm::Algorithm;

/// RSA moduli shorter than this are refused (NIST SP 800-131A).
pub const MIN_RSA_BITS: u32 = 2048;

/// RSA moduli longer than this are refused: AWS-LC's bound, and a bound on
/// the work one key can cost.
pub const MAX_RSA_BITS: u32 = 8192;

/// AWS-LC's parameters for `alg`, if it is an RSA algorithm.
fn parameters(alg: Algorithm) -> Option<&'static RsaParameters> {
    Some(match alg {
        Algorithm::Rs256 => &signature::RSA_PKCS1_2048_8192_SHA256,
        Algorithm::Rs384 => &signature::RSA_PKCS1_2048_8192_SHA384,
        Algorithm::Rs512 => &signature::RSA_PKCS1_2048_8192_SHA512,
        Algorithm::Ps256 => &signature::RSA_PSS_2048_8192_SHA256,
        Algorithm::Ps384 => &signature::RSA_PSS_2048_8192_SHA384,
        Algorithm::Ps512 => &signature::RSA_PSS_2048_8192_SHA512,
        _ => return None,
    })
}

/// An RSA public key parsed for one algorithm.
pub struct RsaVerifier {
    public_key: ParsedPublicKey,
    /// The modulus length in bytes: every signature's length.
    signature_len: usize,
}

impl std::fmt::Debug for RsaVerifier {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("RsaVerifier")
            .field("bits", &(self.signature_len * 8))
            .field("algorithm", &self.public_key.algorithm())
            .finish_non_exhaustive()
    }
}

impl RsaVerifier {
    /// A verifier for `alg`, or `None` when `alg` is not RS* or PS*, the key
    /// is not RSA, or its modulus is not 2048 to 8192 bits long.
    pub fn new(public_key: &PKey<Public>, alg: Algorithm) -> Option<Self> {
        let parameters = parameters(alg)?;
        let bits = public_key.bits();
        if public_key.id() != Id::RSA || !(MIN_RSA_BITS..=MAX_RSA_BITS).contains(&bits) {
            return None;
        }
        let der = public_key.rsa().ok()?.public_key_to_der_pkcs1().ok()?;
        Some(RsaVerifier {
            public_key: ParsedPublicKey::new(parameters, der).ok()?,
            signature_len: public_key.size(),
        })
    }

    /// Whether `signature` is a valid signature of `message`.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        signature.len() == self.signature_len
            && self.public_key.verify_sig(message, signature).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use openssl::hash::MessageDigest;
    use openssl::rsa::{Padding, Rsa};
    use openssl::sign::{RsaPssSaltlen, Signer};

    fn key_pair(bits: u32) -> (PKey<openssl::pkey::Private>, PKey<Public>) {
        let private = Rsa::generate(bits).unwrap();
        let public = Rsa::from_public_components(
            private.n().to_owned().unwrap(),
            private.e().to_owned().unwrap(),
        )
        .unwrap();
        (
            PKey::from_rsa(private).unwrap(),
            PKey::from_rsa(public).unwrap(),
        )
    }

    fn sign(
        private: &PKey<openssl::pkey::Private>,
        alg: Algorithm,
        digest: MessageDigest,
        message: &[u8],
    ) -> Vec<u8> {
        let mut signer = Signer::new(digest, private).unwrap();
        if matches!(alg, Algorithm::Ps256 | Algorithm::Ps384 | Algorithm::Ps512) {
            signer.set_rsa_padding(Padding::PKCS1_PSS).unwrap();
            signer.set_rsa_mgf1_md(digest).unwrap();
            signer
                .set_rsa_pss_saltlen(RsaPssSaltlen::DIGEST_LENGTH)
                .unwrap();
        }
        signer.update(message).unwrap();
        signer.sign_to_vec().unwrap()
    }

    #[test]
    fn verifies_each_hash_and_padding_and_refuses_the_others() {
        let (private, public) = key_pair(2048);
        let cases = [
            (Algorithm::Rs256, MessageDigest::sha256()),
            (Algorithm::Rs384, MessageDigest::sha384()),
            (Algorithm::Rs512, MessageDigest::sha512()),
            (Algorithm::Ps256, MessageDigest::sha256()),
            (Algorithm::Ps384, MessageDigest::sha384()),
            (Algorithm::Ps512, MessageDigest::sha512()),
        ];
        for (alg, _) in cases {
            let verifier = RsaVerifier::new(&public, alg).unwrap();
            for (other, other_digest) in cases {
                let signature = sign(&private, other, other_digest, b"header.payload");
                assert_eq!(
                    verifier.verify(b"header.payload", &signature),
                    alg == other,
                    "{alg} verifier, {other} signature"
                );
            }
        }
    }

    #[test]
    fn pss_takes_a_salt_as_long_as_the_hash_only() {
        let (private, public) = key_pair(2048);
        let verifier = RsaVerifier::new(&public, Algorithm::Ps256).unwrap();
        for (salt, valid) in [(32, true), (0, false), (20, false), (64, false)] {
            let mut signer = Signer::new(MessageDigest::sha256(), &private).unwrap();
            signer.set_rsa_padding(Padding::PKCS1_PSS).unwrap();
            signer.set_rsa_mgf1_md(MessageDigest::sha256()).unwrap();
            signer
                .set_rsa_pss_saltlen(RsaPssSaltlen::custom(salt))
                .unwrap();
            signer.update(b"m").unwrap();
            let signature = signer.sign_to_vec().unwrap();
            assert_eq!(verifier.verify(b"m", &signature), valid, "salt {salt}");
        }
    }

    #[test]
    fn a_refused_signature_does_not_spoil_the_next_one() {
        let (private, public) = key_pair(2048);
        let verifier = RsaVerifier::new(&public, Algorithm::Rs256).unwrap();
        let signature = sign(&private, Algorithm::Rs256, MessageDigest::sha256(), b"m");
        for _ in 0..3 {
            assert!(!verifier.verify(b"m", &signature[1..]), "short signature");
            assert!(!verifier.verify(b"n", &signature), "other message");
            assert!(!verifier.verify(b"m", &[]), "empty signature");
            assert!(verifier.verify(b"m", &signature));
        }
        let mut tampered = signature.clone();
        tampered[100] ^= 1;
        assert!(!verifier.verify(b"m", &tampered));
        assert!(verifier.verify(b"m", &signature));
    }

    #[test]
    fn concurrent_verifications_share_the_key() {
        let (private, public) = key_pair(2048);
        let verifier = RsaVerifier::new(&public, Algorithm::Rs256).unwrap();
        let signature = sign(&private, Algorithm::Rs256, MessageDigest::sha256(), b"m");
        std::thread::scope(|scope| {
            for _ in 0..32 {
                scope.spawn(|| {
                    for _ in 0..20 {
                        assert!(verifier.verify(b"m", &signature));
                        assert!(!verifier.verify(b"n", &signature));
                    }
                });
            }
        });
    }

    /// A public key with an all-ones modulus of `bytes` bytes.
    fn all_ones_modulus(bytes: usize) -> PKey<Public> {
        let n = openssl::bn::BigNum::from_slice(&vec![0xff; bytes]).unwrap();
        let e = openssl::bn::BigNum::from_u32(65_537).unwrap();
        PKey::from_rsa(Rsa::from_public_components(n, e).unwrap()).unwrap()
    }

    #[test]
    fn moduli_of_2048_to_8192_bits_only() {
        assert!(RsaVerifier::new(&all_ones_modulus(255), Algorithm::Rs256).is_none());
        assert!(RsaVerifier::new(&all_ones_modulus(256), Algorithm::Rs256).is_some());
        assert!(RsaVerifier::new(&all_ones_modulus(1024), Algorithm::Rs256).is_some());
        assert!(RsaVerifier::new(&all_ones_modulus(1025), Algorithm::Rs256).is_none());
        assert!(RsaVerifier::new(&all_ones_modulus(1025), Algorithm::Ps256).is_none());
    }

    #[test]
    fn refuses_short_keys_other_key_types_and_other_algorithms() {
        let (_, short) = key_pair(1024);
        assert!(RsaVerifier::new(&short, Algorithm::Rs256).is_none());
        let (_, public) = key_pair(2048);
        assert!(RsaVerifier::new(&public, Algorithm::Es256).is_none());
        assert!(RsaVerifier::new(&public, Algorithm::EdDsa).is_none());
        let ec = openssl::ec::EcKey::generate(
            &openssl::ec::EcGroup::from_curve_name(openssl::nid::Nid::X9_62_PRIME256V1).unwrap(),
        )
        .unwrap();
        let ec_public = PKey::from_ec_key(
            openssl::ec::EcKey::from_public_key(ec.group(), ec.public_key()).unwrap(),
        )
        .unwrap();
        assert!(RsaVerifier::new(&ec_public, Algorithm::Rs256).is_none());
    }
}
