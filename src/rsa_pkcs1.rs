//! RS256, RS384 and RS512 verification with the key's OpenSSL context
//! prepared once.
//!
//! josekit builds an EVP digest-verify context for every signature, and
//! OpenSSL 3 then fetches the digest and sets the key up in its provider each
//! time: about a fifth of a 2048-bit verification. Here the context is
//! initialised once per key, kept in a small pool so that concurrent requests
//! do not wait for each other, and the message is hashed on its own, by
//! `sha2`: OpenSSL 3 would fetch the digest from its provider and allocate
//! a context for every hash, which cost more than hashing a token.

use std::sync::Mutex;

use openssl::md::{Md, MdRef};
use openssl::pkey::{Id, PKey, Public};
use openssl::pkey_ctx::PkeyCtx;
use openssl::rsa::Padding;
use sha2::{Digest, Sha256, Sha384, Sha512};

use crate::algorithm::Algorithm;

/// Idle contexts kept per key: enough for every request a Lambda instance
/// runs at once, few enough that a key costs little memory.
const MAX_IDLE_CONTEXTS: usize = 16;

/// The hash of RS256, RS384 or RS512.
#[derive(Debug, Clone, Copy)]
enum Hash {
    Sha256,
    Sha384,
    Sha512,
}

impl Hash {
    fn of(alg: Algorithm) -> Option<Self> {
        match alg {
            Algorithm::Rs256 => Some(Hash::Sha256),
            Algorithm::Rs384 => Some(Hash::Sha384),
            Algorithm::Rs512 => Some(Hash::Sha512),
            _ => None,
        }
    }

    /// OpenSSL's name for it, which the prepared context checks digests against.
    fn md(self) -> &'static MdRef {
        match self {
            Hash::Sha256 => Md::sha256(),
            Hash::Sha384 => Md::sha384(),
            Hash::Sha512 => Md::sha512(),
        }
    }
}

/// An RSASSA-PKCS1-v1_5 verifier for one key and one hash.
pub struct RsaPkcs1Verifier {
    public_key: PKey<Public>,
    hash: Hash,
    idle: Mutex<Vec<PkeyCtx<Public>>>,
}

impl std::fmt::Debug for RsaPkcs1Verifier {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("RsaPkcs1Verifier")
            .field("bits", &self.public_key.bits())
            .finish_non_exhaustive()
    }
}

impl RsaPkcs1Verifier {
    /// A verifier for `alg`, or `None` when `alg` is not RS256/384/512, the
    /// key is not RSA, or its modulus is shorter than `min_bits`.
    pub fn new(public_key: PKey<Public>, alg: Algorithm, min_bits: u32) -> Option<Self> {
        let hash = Hash::of(alg)?;
        if public_key.id() != Id::RSA || public_key.bits() < min_bits {
            return None;
        }
        let verifier = RsaPkcs1Verifier {
            public_key,
            hash,
            idle: Mutex::new(Vec::new()),
        };
        // A key OpenSSL cannot set up for verification is refused now, not
        // on a request.
        let context = verifier.prepared_context().ok()?;
        verifier.release(context);
        Some(verifier)
    }

    /// Whether `signature` is a valid signature of `message`.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        match self.hash {
            Hash::Sha256 => self.verify_digest(&Sha256::digest(message), signature),
            Hash::Sha384 => self.verify_digest(&Sha384::digest(message), signature),
            Hash::Sha512 => self.verify_digest(&Sha512::digest(message), signature),
        }
    }

    fn verify_digest(&self, digest: &[u8], signature: &[u8]) -> bool {
        let idle = self.idle.lock().ok().and_then(|mut idle| idle.pop());
        let Some(mut context) = idle.or_else(|| self.prepared_context().ok()) else {
            return false;
        };
        let valid = matches!(context.verify(digest, signature), Ok(true));
        // A context that saw an error goes; a fresh one costs one set-up.
        if valid {
            self.release(context);
        }
        valid
    }

    fn prepared_context(&self) -> Result<PkeyCtx<Public>, openssl::error::ErrorStack> {
        let mut context = PkeyCtx::new(&self.public_key)?;
        context.verify_init()?;
        context.set_rsa_padding(Padding::PKCS1)?;
        context.set_signature_md(self.hash.md())?;
        Ok(context)
    }

    fn release(&self, context: PkeyCtx<Public>) {
        if let Ok(mut idle) = self.idle.lock() {
            if idle.len() < MAX_IDLE_CONTEXTS {
                idle.push(context);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use openssl::hash::MessageDigest;
    use openssl::rsa::Rsa;
    use openssl::sign::Signer;

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
        digest: MessageDigest,
        message: &[u8],
    ) -> Vec<u8> {
        let mut signer = Signer::new(digest, private).unwrap();
        signer.update(message).unwrap();
        signer.sign_to_vec().unwrap()
    }

    #[test]
    fn verifies_each_hash_and_refuses_the_others() {
        let (private, public) = key_pair(2048);
        let cases = [
            (Algorithm::Rs256, MessageDigest::sha256()),
            (Algorithm::Rs384, MessageDigest::sha384()),
            (Algorithm::Rs512, MessageDigest::sha512()),
        ];
        for (alg, _) in cases {
            let verifier = RsaPkcs1Verifier::new(public.clone(), alg, 2048).unwrap();
            for (other, other_digest) in cases {
                let signature = sign(&private, other_digest, b"header.payload");
                assert_eq!(
                    verifier.verify(b"header.payload", &signature),
                    alg == other,
                    "{alg} verifier, {other} signature"
                );
            }
        }
    }

    #[test]
    fn a_refused_signature_does_not_spoil_the_next_one() {
        let (private, public) = key_pair(2048);
        let verifier = RsaPkcs1Verifier::new(public, Algorithm::Rs256, 2048).unwrap();
        let signature = sign(&private, MessageDigest::sha256(), b"m");
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
    fn concurrent_verifications_share_a_bounded_pool() {
        let (private, public) = key_pair(2048);
        let verifier = RsaPkcs1Verifier::new(public, Algorithm::Rs256, 2048).unwrap();
        let signature = sign(&private, MessageDigest::sha256(), b"m");
        std::thread::scope(|scope| {
            for _ in 0..32 {
                scope.spawn(|| {
                    for _ in 0..20 {
                        assert!(verifier.verify(b"m", &signature));
                    }
                });
            }
        });
        let idle = verifier.idle.lock().unwrap().len();
        assert!((1..=MAX_IDLE_CONTEXTS).contains(&idle), "{idle} idle");
    }

    #[test]
    fn refuses_short_keys_other_key_types_and_other_algorithms() {
        let (_, short) = key_pair(1024);
        assert!(RsaPkcs1Verifier::new(short, Algorithm::Rs256, 2048).is_none());
        let (_, public) = key_pair(2048);
        assert!(RsaPkcs1Verifier::new(public.clone(), Algorithm::Ps256, 2048).is_none());
        assert!(RsaPkcs1Verifier::new(public, Algorithm::Es256, 2048).is_none());
        let ec = openssl::ec::EcKey::generate(
            &openssl::ec::EcGroup::from_curve_name(openssl::nid::Nid::X9_62_PRIME256V1).unwrap(),
        )
        .unwrap();
        let ec_public = PKey::from_ec_key(
            openssl::ec::EcKey::from_public_key(ec.group(), ec.public_key()).unwrap(),
        )
        .unwrap();
        assert!(RsaPkcs1Verifier::new(ec_public, Algorithm::Rs256, 2048).is_none());
    }
}
