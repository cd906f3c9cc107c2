//! Key material from the network: a key set body (JWKS or a map of kid to
//! PEM certificate) and a DER SubjectPublicKeyInfo (KMS `GetPublicKey`),
//! read by the authorizer's own DER reader. Neither may panic, and a key
//! that is read must verify nothing it did not sign.

#![no_main]

use libfuzzer_sys::fuzz_target;
use ws_jwt_authorizer::algorithm::{Algorithm, AlgorithmSet};
use ws_jwt_authorizer::keys::{KeySet, VerificationKey};

fuzz_target!(|data: &[u8]| {
    if let Ok(set) = KeySet::parse_answer(data, AlgorithmSet::all()) {
        for (_, key) in set.keys() {
            for alg in key.algorithms().iter() {
                assert!(key.verify(alg, b"message", &[0; 64]).is_err());
            }
        }
    }
    if let Ok(key) =
        VerificationKey::from_public_key("k", data, AlgorithmSet::all(), AlgorithmSet::all())
    {
        assert!(key.verify(Algorithm::Rs256, b"message", data).is_err());
    }
});
