//! RS256/384/512 (RSASSA-PKCS1-v1_5) and PS256/384/512 (RSASSA-PSS)
//! verification with `aws-lc-rs` (AWS-LC), each key parsed once.
//!
//! Measured side by side in one process (`cargo bench --bench backends`,
//! BENCHMARKS.md, "Signature backends"), AWS-LC verifies RS256 faster than
//! the OpenSSL 3 context this module used to prepare once per key (which had
//! itself saved a fifth of a verification over josekit's context per call),
//! and PS256 about a quarter faster than OpenSSL through josekit. AWS-LC is
//! the binary's one crypto library: the Lambda package verifies as fast as
//! the development build.
//!
//! A signature must be exactly as long as the modulus: OpenSSL accepted a
//! PSS signature one byte short (its leading zero dropped), a second
//! encoding of the same signature, which RFC 8017 §8.1.2 step 1 makes
//! invalid; the length is checked here whatever the backend does. PSS takes
//! a salt as long as the hash, as RFC 7518 §3.5 requires. Moduli of 2048 to
//! 8192 bits are accepted (NIST SP 800-131A below; the upper bound caps
//! the work one key can cost).

use aws_lc_rs::signature::{self, ParsedPublicKey, RsaParameters, RsaPublicKeyComponents};

use crate::algorithm::Algorithm;

/// RSA moduli shorter than this are refused (NIST SP 800-131A).
pub const MIN_RSA_BITS: usize = 2048;

/// RSA moduli longer than this are refused: AWS-LC's bound, and a bound on
/// the work one key can cost.
pub const MAX_RSA_BITS: usize = 8192;

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
    /// A verifier for `alg` of the key with modulus `n` and exponent `e`
    /// (big-endian, no leading zero), or `None` when `alg` is not RS* or
    /// PS*, or the modulus is not 2048 to 8192 bits long.
    pub fn new(n: &[u8], e: &[u8], alg: Algorithm) -> Option<Self> {
        let parameters = parameters(alg)?;
        let bits = n.first().map_or(0, |first| {
            (n.len() - 1) * 8 + (8 - first.leading_zeros() as usize)
        });
        if !(MIN_RSA_BITS..=MAX_RSA_BITS).contains(&bits) {
            return None;
        }
        Some(RsaVerifier {
            public_key: RsaPublicKeyComponents { n, e }
                .to_parsed_public_key(parameters)
                .ok()?,
            signature_len: n.len(),
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
    use aws_lc_rs::encoding::AsDer;
    use aws_lc_rs::rand::SystemRandom;
    use aws_lc_rs::rsa::{KeyPair, KeySize};
    use aws_lc_rs::signature::{KeyPair as _, RsaEncoding};

    /// A key pair and its public modulus and exponent.
    fn key_pair(size: KeySize) -> (KeyPair, Vec<u8>, Vec<u8>) {
        let pair = KeyPair::generate(size).unwrap();
        let public = pair.public_key();
        let n = public.modulus().big_endian_without_leading_zero().to_vec();
        let e = public.exponent().big_endian_without_leading_zero().to_vec();
        (pair, n, e)
    }

    fn encoding(alg: Algorithm) -> &'static dyn RsaEncoding {
        match alg {
            Algorithm::Rs256 => &signature::RSA_PKCS1_SHA256,
            Algorithm::Rs384 => &signature::RSA_PKCS1_SHA384,
            Algorithm::Rs512 => &signature::RSA_PKCS1_SHA512,
            Algorithm::Ps256 => &signature::RSA_PSS_SHA256,
            Algorithm::Ps384 => &signature::RSA_PSS_SHA384,
            _ => &signature::RSA_PSS_SHA512,
        }
    }

    fn sign(pair: &KeyPair, alg: Algorithm, message: &[u8]) -> Vec<u8> {
        let mut signature = vec![0; pair.public_modulus_len()];
        pair.sign(encoding(alg), &SystemRandom::new(), message, &mut signature)
            .unwrap();
        signature
    }

    const RSA_ALGORITHMS: [Algorithm; 6] = [
        Algorithm::Rs256,
        Algorithm::Rs384,
        Algorithm::Rs512,
        Algorithm::Ps256,
        Algorithm::Ps384,
        Algorithm::Ps512,
    ];

    #[test]
    fn verifies_each_hash_and_padding_and_refuses_the_others() {
        let (pair, n, e) = key_pair(KeySize::Rsa2048);
        for alg in RSA_ALGORITHMS {
            let verifier = RsaVerifier::new(&n, &e, alg).unwrap();
            for other in RSA_ALGORITHMS {
                let signature = sign(&pair, other, b"header.payload");
                assert_eq!(
                    verifier.verify(b"header.payload", &signature),
                    alg == other,
                    "{alg} verifier, {other} signature"
                );
            }
        }
    }

    /// PSS signatures with other salt lengths, made by RustCrypto's `rsa`
    /// (AWS-LC signs with the hash's length only).
    #[test]
    fn pss_takes_a_salt_as_long_as_the_hash_only() {
        use rsa::pkcs8::DecodePrivateKey;
        let (pair, n, e) = key_pair(KeySize::Rsa2048);
        let private = rsa::RsaPrivateKey::from_pkcs8_der(
            AsDer::<aws_lc_rs::encoding::Pkcs8V1Der>::as_der(&pair)
                .unwrap()
                .as_ref(),
        )
        .unwrap();
        let verifier = RsaVerifier::new(&n, &e, Algorithm::Ps256).unwrap();
        let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, b"m");
        for (salt, valid) in [(32, true), (0, false), (20, false), (64, false)] {
            let signature = private
                .sign_with_rng(
                    &mut rsa::rand_core::OsRng,
                    rsa::Pss::new_with_salt::<sha2::Sha256>(salt),
                    digest.as_ref(),
                )
                .unwrap();
            assert_eq!(verifier.verify(b"m", &signature), valid, "salt {salt}");
        }
    }

    #[test]
    fn a_refused_signature_does_not_spoil_the_next_one() {
        let (pair, n, e) = key_pair(KeySize::Rsa2048);
        let verifier = RsaVerifier::new(&n, &e, Algorithm::Rs256).unwrap();
        let signature = sign(&pair, Algorithm::Rs256, b"m");
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
        let (pair, n, e) = key_pair(KeySize::Rsa2048);
        let verifier = RsaVerifier::new(&n, &e, Algorithm::Rs256).unwrap();
        let signature = sign(&pair, Algorithm::Rs256, b"m");
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

    #[test]
    fn moduli_of_2048_to_8192_bits_only() {
        let verifier = |bytes: usize, alg| RsaVerifier::new(&vec![0xff; bytes], &[1, 0, 1], alg);
        assert!(verifier(255, Algorithm::Rs256).is_none());
        assert!(verifier(256, Algorithm::Rs256).is_some());
        assert!(verifier(1024, Algorithm::Rs256).is_some());
        assert!(verifier(1025, Algorithm::Rs256).is_none());
        assert!(verifier(1025, Algorithm::Ps256).is_none());
        // 2047 bits in 256 bytes.
        let mut short = vec![0xff; 256];
        short[0] = 0x7f;
        assert!(RsaVerifier::new(&short, &[1, 0, 1], Algorithm::Rs256).is_none());
    }

    #[test]
    fn refuses_other_algorithms() {
        let (_, n, e) = key_pair(KeySize::Rsa2048);
        assert!(RsaVerifier::new(&n, &e, Algorithm::Es256).is_none());
        assert!(RsaVerifier::new(&n, &e, Algorithm::EdDsa).is_none());
        assert!(RsaVerifier::new(&n, &e, Algorithm::Rs256).is_some());
    }
}
