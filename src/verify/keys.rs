//! Turning a key set body into ready verifiers, once per fetch.
//!
//! Two formats are read, told apart by the body: a standard JWKS
//! (`{"keys": [...]}`) and a map of kid to X.509 PEM certificate (Firebase).
//! Unusable keys are skipped one by one, as RFC 7517 §5 asks, and reported.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use serde_json::{Map, Value};

use crate::algorithm::{Algorithm, AlgorithmSet, KeyFamily};
use crate::curve_verifier::CurveVerifier;
use crate::error::Refusal;
use crate::public_key::PublicKey;
use crate::rsa_verifier::{RsaVerifier, MAX_RSA_BITS, MIN_RSA_BITS};

/// One key of the key set, with a verifier per algorithm built on first use.
///
/// Building a verifier costs about as much as several verifications, so each
/// is built once and kept for as long as the key set.
#[derive(Debug)]
pub struct VerificationKey {
    kid: String,
    algorithms: AlgorithmSet,
    material: PublicKey,
    verifiers: [OnceLock<Option<Verifier>>; Algorithm::ALL.len()],
}

/// One backend per key family, the fastest measured (BENCHMARKS.md,
/// "Signature backends"), both AWS-LC.
#[derive(Debug)]
enum Verifier {
    Rsa(RsaVerifier),
    Curve(CurveVerifier),
}

impl Verifier {
    fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        match self {
            Verifier::Rsa(verifier) => verifier.verify(message, signature),
            Verifier::Curve(verifier) => verifier.verify(message, signature),
        }
    }
}

impl VerificationKey {
    /// The algorithms this key may verify (its own `alg`, or its family's,
    /// within the configured allow-list).
    pub fn algorithms(&self) -> AlgorithmSet {
        self.algorithms
    }

    /// Verifies `signature` over `message` with `alg`.
    pub fn verify(&self, alg: Algorithm, message: &[u8], signature: &[u8]) -> Result<(), Refusal> {
        let verifier = self.verifier(alg).ok_or(Refusal::KeyAlgorithmMismatch)?;
        if verifier.verify(message, signature) {
            Ok(())
        } else {
            Err(Refusal::BadSignature)
        }
    }

    /// How long a signature of this key is, in bytes (every algorithm the
    /// key serves makes signatures of one length): to tell a truncated or
    /// padded signature from a forged one.
    pub fn signature_len(&self) -> usize {
        match &self.material {
            PublicKey::Rsa { n, .. } => n.len(),
            PublicKey::Ec { point, .. } => point.len() - 1,
            PublicKey::Ed25519(_) => 64,
        }
    }

    /// Why a signature of `length` bytes for `alg` did not verify with this
    /// key (`kid`), for a person: a length the key never makes is named as
    /// such, since a signature cut short by a copy-paste is the usual cause.
    pub fn refusal_detail(
        &self,
        kid: &str,
        alg: Algorithm,
        length: usize,
        refusal: Refusal,
    ) -> String {
        let expected = self.signature_len();
        match refusal {
            Refusal::KeyAlgorithmMismatch => format!("key {kid:?} cannot verify {alg}"),
            _ if length != expected => format!(
                "the signature is {length} bytes, but {alg} with key {kid:?} makes {expected}: {} (a copy-paste?)",
                if length < expected { "truncated" } else { "padded" }
            ),
            _ => format!("{alg} signature does not verify with key {kid:?}"),
        }
    }

    fn verifier(&self, alg: Algorithm) -> Option<&Verifier> {
        if !self.algorithms.contains(alg) {
            return None;
        }
        self.verifiers[alg.index()]
            .get_or_init(|| build_verifier(&self.material, alg))
            .as_ref()
    }
}

fn build_verifier(material: &PublicKey, alg: Algorithm) -> Option<Verifier> {
    match material {
        PublicKey::Rsa { n, e } => RsaVerifier::new(n, e, alg).map(Verifier::Rsa),
        PublicKey::Ec { .. } | PublicKey::Ed25519(_) => {
            CurveVerifier::new(material, alg).map(Verifier::Curve)
        }
    }
}

/// The usable keys of one fetched key set.
#[derive(Debug, Clone)]
pub struct KeySet {
    keys: HashMap<String, Arc<VerificationKey>>,
    skipped: Vec<SkippedKey>,
    fetched_at: Instant,
    lifetime: Duration,
}

/// A key of the body that cannot be used, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedKey {
    /// Its `kid`, when it had one.
    pub kid: Option<String>,
    /// Why it was skipped.
    pub reason: String,
}

/// The body is not a key set in either format.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeySetError {
    /// Not JSON, or JSON of another shape.
    #[error("the body is neither a JWKS nor a map of kid to X.509 certificate")]
    UnknownFormat,
    /// The body parsed but no key in it can be used: each one, and why.
    #[error("no usable key in the key set ({})", skipped_text(.0))]
    NoUsableKey(Vec<SkippedKey>),
}

/// `2 skipped: "a": reason; "b": reason`, or `0 skipped`.
fn skipped_text(skipped: &[SkippedKey]) -> String {
    let each: Vec<String> = skipped
        .iter()
        .map(|key| match &key.kid {
            Some(kid) => format!("{kid:?}: {}", key.reason),
            None => format!("a key without kid: {}", key.reason),
        })
        .collect();
    match each.is_empty() {
        true => "0 skipped".to_owned(),
        false => format!("{} skipped: {}", each.len(), each.join("; ")),
    }
}

impl KeySet {
    /// Parses a key set body that must hold at least one key able to verify
    /// one of `allowed`: a key set given in the configuration.
    pub fn parse(body: &[u8], allowed: AlgorithmSet) -> Result<Self, KeySetError> {
        let set = Self::parse_answer(body, allowed)?;
        if set.is_empty() {
            return Err(KeySetError::NoUsableKey(set.skipped));
        }
        Ok(set)
    }

    /// Parses a key set as its server answered it, keeping only keys that can
    /// verify one of `allowed`. A set with no usable key is still a set: the
    /// provider's word that no key is valid now (an emptied key set is how
    /// keys are revoked in an emergency).
    pub fn parse_answer(body: &[u8], allowed: AlgorithmSet) -> Result<Self, KeySetError> {
        let Ok(Value::Object(root)) = serde_json::from_slice::<Value>(body) else {
            return Err(KeySetError::UnknownFormat);
        };
        let candidates: Vec<(Option<String>, Result<VerificationKey, String>)> =
            match root.get("keys") {
                Some(Value::Array(keys)) => keys
                    .iter()
                    .map(|key| match key {
                        Value::Object(members) => (
                            members
                                .get("kid")
                                .and_then(Value::as_str)
                                .map(str::to_owned),
                            key_from_jwk(members, allowed),
                        ),
                        _ => (None, Err("not a JSON object".to_owned())),
                    })
                    .collect(),
                Some(_) => return Err(KeySetError::UnknownFormat),
                None if !root.is_empty() && root.values().all(Value::is_string) => root
                    .iter()
                    .map(|(kid, pem)| {
                        let pem = pem.as_str().unwrap_or_default();
                        (Some(kid.clone()), key_from_certificate(kid, pem, allowed))
                    })
                    .collect(),
                None => return Err(KeySetError::UnknownFormat),
            };

        let mut usable: HashMap<String, Vec<VerificationKey>> = HashMap::new();
        let mut skipped = Vec::new();
        for (kid, candidate) in candidates {
            match candidate {
                Ok(key) => usable.entry(key.kid.clone()).or_default().push(key),
                Err(reason) => skipped.push(SkippedKey { kid, reason }),
            }
        }
        // A kid naming two keys is ambiguous: verifiers disagree on which one
        // applies, so neither is used.
        let mut keys = HashMap::with_capacity(usable.len());
        for (kid, mut candidates) in usable {
            match (candidates.pop(), candidates.is_empty()) {
                (Some(key), true) => {
                    keys.insert(kid, Arc::new(key));
                }
                _ => skipped.push(SkippedKey {
                    kid: Some(kid),
                    reason: "several keys share this kid".to_owned(),
                }),
            }
        }
        Ok(KeySet {
            keys,
            skipped,
            fetched_at: Instant::now(),
            lifetime: Duration::MAX,
        })
    }

    /// A set of keys built one by one (KMS keys), with those that could
    /// not be used.
    pub fn from_keys(
        keys: impl IntoIterator<Item = Arc<VerificationKey>>,
        skipped: Vec<SkippedKey>,
    ) -> Self {
        KeySet {
            keys: keys.into_iter().map(|key| (key.kid.clone(), key)).collect(),
            skipped,
            ..KeySet::empty()
        }
    }

    /// Whether the set says anything of `kid`: a usable key, or one skipped.
    pub fn answers_for(&self, kid: &str) -> bool {
        self.keys.contains_key(kid)
            || self
                .skipped
                .iter()
                .any(|skipped| skipped.kid.as_deref() == Some(kid))
    }

    /// A set without keys: what a server that answers that the key set is
    /// gone (a 4xx such as 404 or 410) vouches for.
    pub fn empty() -> Self {
        KeySet {
            keys: HashMap::new(),
            skipped: Vec::new(),
            fetched_at: Instant::now(),
            lifetime: Duration::MAX,
        }
    }

    /// The key with this `kid`.
    pub fn get(&self, kid: &str) -> Option<&VerificationKey> {
        self.keys.get(kid).map(Arc::as_ref)
    }

    /// The key with this `kid`, shared: its identity tells whether a later
    /// set still holds the very key a token was verified with.
    pub fn shared_key(&self, kid: &str) -> Option<&Arc<VerificationKey>> {
        self.keys.get(kid)
    }

    /// Takes over from `previous` every key whose material and algorithms
    /// did not change, with the verifiers already built for it: a refetch
    /// of an unchanged set then costs no verifier building, and a key keeps
    /// its identity for as long as the provider keeps publishing it.
    pub fn keep_unchanged_keys_of(&mut self, previous: &KeySet) {
        for (kid, key) in self.keys.iter_mut() {
            if let Some(old) = previous.keys.get(kid) {
                if old.algorithms == key.algorithms && old.material == key.material {
                    *key = Arc::clone(old);
                }
            }
        }
    }

    /// The usable keys, sorted by kid.
    pub fn keys(&self) -> Vec<(&str, &VerificationKey)> {
        let mut keys: Vec<(&str, &VerificationKey)> = self
            .keys
            .iter()
            .map(|(kid, key)| (kid.as_str(), key.as_ref()))
            .collect();
        keys.sort_unstable_by_key(|(kid, _)| *kid);
        keys
    }

    /// The keys of the body that could not be used.
    pub fn skipped(&self) -> &[SkippedKey] {
        &self.skipped
    }

    /// How many usable keys the set has.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether the set has no usable key.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// When the fetch that brought the set began (when it was parsed, for a
    /// set that was not fetched).
    pub fn fetched_at(&self) -> Instant {
        self.fetched_at
    }

    /// The set as brought by a fetch that began at `requested`: it says
    /// nothing of keys published after that, and its lifetime counts from
    /// then.
    pub fn requested_at(mut self, requested: Instant) -> Self {
        self.fetched_at = requested;
        self
    }

    /// The set, fresh for `lifetime` after [`Self::fetched_at`].
    pub fn fresh_for(mut self, lifetime: Duration) -> Self {
        self.lifetime = lifetime;
        self
    }

    /// How long after [`Self::fetched_at`] the set is fresh (unbounded until set).
    pub fn lifetime(&self) -> Duration {
        self.lifetime
    }
}

fn key_from_jwk(
    members: &Map<String, Value>,
    allowed: AlgorithmSet,
) -> Result<VerificationKey, String> {
    let kid = match members.get("kid") {
        Some(Value::String(kid)) if !kid.is_empty() => kid.clone(),
        _ => return Err("no kid: tokens could not select it".to_owned()),
    };
    match members.get("use") {
        None => {}
        Some(Value::String(key_use)) if key_use == "sig" => {}
        Some(other) => return Err(format!("use is {other}, not sig")),
    }
    match members.get("key_ops") {
        None => {}
        Some(Value::Array(ops)) if ops.iter().any(|op| op == "verify") => {}
        Some(_) => return Err("key_ops does not include verify".to_owned()),
    }
    let material = PublicKey::from_jwk(members)?;
    let family = material.family();
    let family_algorithms = algorithms_of(|candidate| candidate == family);
    let own_algorithms = match members.get("alg") {
        None => family_algorithms,
        Some(Value::String(name)) => match name.parse::<Algorithm>() {
            Ok(alg) if family_algorithms.contains(alg) => [alg].into_iter().collect(),
            _ => {
                let kty = members
                    .get("kty")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                return Err(format!("alg {name:?} does not fit key type {kty}"));
            }
        },
        Some(_) => return Err("alg is not a string".to_owned()),
    };
    finish(kid, own_algorithms, allowed, material)
}

fn algorithms_of(matches: impl Fn(KeyFamily) -> bool) -> AlgorithmSet {
    Algorithm::ALL
        .into_iter()
        .filter(|alg| matches(alg.key_family()))
        .collect()
}

fn key_from_certificate(
    kid: &str,
    pem: &str,
    allowed: AlgorithmSet,
) -> Result<VerificationKey, String> {
    let material = PublicKey::from_certificate_pem(pem)?;
    VerificationKey::from_material(kid, material, AlgorithmSet::all(), allowed)
}

impl VerificationKey {
    /// The key `kid` of a DER SubjectPublicKeyInfo (a KMS key's) whose
    /// owner signs with `algorithms`: checked (RSA exponent, ROCA, named
    /// curve), for the algorithms that fit the key, `algorithms` and
    /// `allowed`.
    pub fn from_public_key(
        kid: &str,
        der: &[u8],
        algorithms: AlgorithmSet,
        allowed: AlgorithmSet,
    ) -> Result<Self, String> {
        let material = PublicKey::from_public_key_info(der)?;
        Self::from_material(kid, material, algorithms, allowed)
    }

    fn from_material(
        kid: &str,
        material: PublicKey,
        algorithms: AlgorithmSet,
        allowed: AlgorithmSet,
    ) -> Result<Self, String> {
        let family = material.family();
        let fitting: AlgorithmSet = Algorithm::ALL
            .into_iter()
            .filter(|alg| alg.key_family() == family && algorithms.contains(*alg))
            .collect();
        if fitting.is_empty() {
            return Err(format!(
                "none of its algorithms ({algorithms}) fits its key"
            ));
        }
        finish(kid.to_owned(), fitting, allowed, material)
    }
}

/// Keeps the key only if one of its algorithms is allowed, and builds the
/// first verifier now so that bad key material (a short RSA modulus, a point
/// off the curve) is found at fetch time, not on a request.
fn finish(
    kid: String,
    own_algorithms: AlgorithmSet,
    allowed: AlgorithmSet,
    material: PublicKey,
) -> Result<VerificationKey, String> {
    let algorithms: AlgorithmSet = own_algorithms
        .iter()
        .filter(|alg| allowed.contains(*alg))
        .collect();
    let Some(first) = algorithms.iter().next() else {
        return Err("none of its algorithms is allowed by JWT_ALGORITHMS".to_owned());
    };
    let key = VerificationKey {
        kid,
        algorithms,
        material,
        verifiers: Default::default(),
    };
    if key.verifier(first).is_none() {
        return Err(match &key.material {
            PublicKey::Rsa { .. } => format!(
                "its key material is invalid for {first} (RSA keys need {MIN_RSA_BITS} to {MAX_RSA_BITS} bits)"
            ),
            PublicKey::Ec { curve, .. } => format!(
                "its key material is invalid for {first}: not a point of {curve}"
            ),
            PublicKey::Ed25519(_) => format!(
                "its key material is invalid for {first}: an Ed25519 key of small order or not canonical, for which signatures made without the private key verify"
            ),
        });
    }
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::der::write;
    use aws_lc_rs::encoding::AsDer;
    use aws_lc_rs::signature::{EcdsaKeyPair, Ed25519KeyPair, KeyPair as _};
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    use serde_json::json;

    /// A bare RSA public JWK (no kid, no alg). AWS-LC generates 2048 bits
    /// and more; a 1024-bit one is an odd modulus of that size, which no
    /// verifier is ever built for.
    fn rsa_public_jwk(bits: usize) -> Map<String, Value> {
        let n = if bits == 1024 {
            let mut n = vec![0; 128];
            aws_lc_rs::rand::fill(&mut n).unwrap();
            n[0] |= 0x80;
            n[127] |= 1;
            n
        } else {
            let size = match bits {
                2048 => aws_lc_rs::rsa::KeySize::Rsa2048,
                other => panic!("no {other}-bit test key"),
            };
            let pair = aws_lc_rs::rsa::KeyPair::generate(size).unwrap();
            pair.public_key()
                .modulus()
                .big_endian_without_leading_zero()
                .to_vec()
        };
        let Value::Object(map) = json!({
            "kty": "RSA",
            "n": URL_SAFE_NO_PAD.encode(n),
            "e": "AQAB",
        }) else {
            unreachable!()
        };
        map
    }

    /// The public JWK of a new EC key on `crv`.
    fn ec_public_jwk(crv: &str) -> Map<String, Value> {
        let signing = match crv {
            "P-256" => &aws_lc_rs::signature::ECDSA_P256_SHA256_FIXED_SIGNING,
            "P-384" => &aws_lc_rs::signature::ECDSA_P384_SHA384_FIXED_SIGNING,
            _ => &aws_lc_rs::signature::ECDSA_P521_SHA512_FIXED_SIGNING,
        };
        let pair = EcdsaKeyPair::generate(signing).unwrap();
        let point = pair.public_key().as_ref();
        let half = (point.len() - 1) / 2;
        let Value::Object(map) = json!({
            "kty": "EC",
            "crv": crv,
            "x": URL_SAFE_NO_PAD.encode(&point[1..=half]),
            "y": URL_SAFE_NO_PAD.encode(&point[1 + half..]),
        }) else {
            unreachable!()
        };
        map
    }

    fn with(mut map: Map<String, Value>, extra: Value) -> Value {
        if let Value::Object(extra) = extra {
            map.extend(extra);
        }
        Value::Object(map)
    }

    fn parse(keys: Vec<Value>) -> Result<KeySet, KeySetError> {
        KeySet::parse(
            json!({ "keys": keys }).to_string().as_bytes(),
            AlgorithmSet::all(),
        )
    }

    /// Each algorithm reaches AWS-LC; Ed448 keys are skipped, saying why.
    #[test]
    fn each_algorithm_takes_its_verifier_and_ed448_keys_are_skipped() {
        let ed25519 = Ed25519KeyPair::generate().unwrap();
        let set = parse(vec![
            with(rsa_public_jwk(2048), json!({"kid": "rsa"})),
            with(ec_public_jwk("P-256"), json!({"kid": "p256"})),
            with(ec_public_jwk("P-384"), json!({"kid": "p384"})),
            with(ec_public_jwk("P-521"), json!({"kid": "p521"})),
            json!({"kid": "ed25519", "kty": "OKP", "crv": "Ed25519",
                "x": URL_SAFE_NO_PAD.encode(ed25519.public_key().as_ref())}),
            json!({"kid": "ed448", "kty": "OKP", "crv": "Ed448", "x": URL_SAFE_NO_PAD.encode([7; 57])}),
        ])
        .unwrap();
        let verifier = |kid: &str, alg: Algorithm| match set.get(kid).unwrap().verifier(alg) {
            Some(Verifier::Rsa(_)) => "rsa",
            Some(Verifier::Curve(_)) => "curve",
            None => "none",
        };
        let rsa = Algorithm::ALL
            .into_iter()
            .filter(|alg| alg.key_family() == KeyFamily::Rsa);
        assert_eq!(rsa.clone().count(), 6);
        for alg in rsa {
            assert_eq!(verifier("rsa", alg), "rsa");
        }
        assert_eq!(verifier("p256", Algorithm::Es256), "curve");
        assert_eq!(verifier("p384", Algorithm::Es384), "curve");
        assert_eq!(verifier("p521", Algorithm::Es512), "curve");
        assert_eq!(verifier("ed25519", Algorithm::EdDsa), "curve");
        assert_eq!(verifier("p384", Algorithm::Es256), "none");
        assert!(set.get("ed448").is_none());
        assert_eq!(
            set.skipped(),
            [SkippedKey {
                kid: Some("ed448".to_owned()),
                reason: "Ed448 is not supported: AWS-LC, the one crypto library of this authorizer, does not implement it".to_owned(),
            }]
        );
        let signature = ed25519.sign(b"m");
        assert_eq!(
            set.get("ed25519")
                .unwrap()
                .verify(Algorithm::EdDsa, b"m", signature.as_ref()),
            Ok(())
        );
    }

    #[test]
    fn rsa_key_without_alg_serves_every_rsa_algorithm() {
        let set = parse(vec![with(rsa_public_jwk(2048), json!({"kid": "r"}))]).unwrap();
        let key = set.get("r").unwrap();
        assert_eq!(key.algorithms().iter().count(), 6);
        assert!(!key.algorithms().contains(Algorithm::Es256));
    }

    #[test]
    fn jwk_alg_restricts_the_key() {
        let set = parse(vec![with(
            rsa_public_jwk(2048),
            json!({"kid": "r", "alg": "PS256"}),
        )])
        .unwrap();
        let key = set.get("r").unwrap();
        assert_eq!(
            key.algorithms().iter().collect::<Vec<_>>(),
            vec![Algorithm::Ps256]
        );
        assert_eq!(
            key.verify(Algorithm::Rs256, b"m", b"s"),
            Err(Refusal::KeyAlgorithmMismatch)
        );
    }

    #[test]
    fn unusable_keys_are_skipped_one_by_one() {
        let good = with(rsa_public_jwk(2048), json!({"kid": "good"}));
        let set = parse(vec![
            good,
            with(rsa_public_jwk(1024), json!({"kid": "short"})),
            with(rsa_public_jwk(2048), json!({"kid": "enc", "use": "enc"})),
            with(
                rsa_public_jwk(2048),
                json!({"kid": "ops", "key_ops": ["encrypt"]}),
            ),
            with(rsa_public_jwk(2048), json!({"kid": "e1", "e": "AQ"})),
            with(rsa_public_jwk(2048), json!({"kid": "even", "e": "AQAA"})),
            with(rsa_public_jwk(2048), json!({"kid": "es", "alg": "ES256"})),
            with(rsa_public_jwk(2048), json!({})),
            json!({"kid": "hmac", "kty": "oct", "k": "c2VjcmV0"}),
            json!({"kid": "curve", "kty": "EC", "crv": "P-256", "x": "AAAA", "y": "AAAA"}),
            json!("not an object"),
        ])
        .unwrap();
        assert_eq!(set.len(), 1);
        assert!(set.get("good").is_some());
        let skipped: Vec<_> = set.skipped().iter().map(|s| s.kid.clone()).collect();
        assert_eq!(skipped.len(), 10, "{:?}", set.skipped());
        for kid in ["short", "enc", "ops", "e1", "even", "es", "hmac", "curve"] {
            assert!(skipped.contains(&Some(kid.to_owned())), "{kid} not skipped");
        }
    }

    #[test]
    fn a_kid_shared_by_two_keys_is_used_by_neither() {
        let set = parse(vec![
            with(rsa_public_jwk(2048), json!({"kid": "twice"})),
            with(rsa_public_jwk(2048), json!({"kid": "twice"})),
            with(rsa_public_jwk(2048), json!({"kid": "once"})),
        ])
        .unwrap();
        assert!(set.get("twice").is_none());
        assert!(set.get("once").is_some());
        assert_eq!(set.skipped()[0].reason, "several keys share this kid");
    }

    #[test]
    fn an_unchanged_key_keeps_its_identity_across_fetches_and_a_changed_one_does_not() {
        let same = with(rsa_public_jwk(2048), json!({"kid": "same"}));
        let body = |other: Value| json!({"keys": [same.clone(), other]}).to_string();
        let first = KeySet::parse(
            body(with(rsa_public_jwk(2048), json!({"kid": "other"}))).as_bytes(),
            AlgorithmSet::all(),
        )
        .unwrap();
        // The same kid now names another key: it must not pass for the old one.
        let mut second = KeySet::parse(
            body(with(rsa_public_jwk(2048), json!({"kid": "other"}))).as_bytes(),
            AlgorithmSet::all(),
        )
        .unwrap();
        second.keep_unchanged_keys_of(&first);
        let identical = |kid: &str| {
            Arc::ptr_eq(
                first.shared_key(kid).unwrap(),
                second.shared_key(kid).unwrap(),
            )
        };
        assert!(identical("same"));
        assert!(!identical("other"));
        // A narrower alg on the same material is another key too.
        let mut narrowed = KeySet::parse(
            json!({"keys": [with(same.as_object().unwrap().clone(), json!({"alg": "PS256"}))]})
                .to_string()
                .as_bytes(),
            AlgorithmSet::all(),
        )
        .unwrap();
        narrowed.keep_unchanged_keys_of(&first);
        assert!(!Arc::ptr_eq(
            first.shared_key("same").unwrap(),
            narrowed.shared_key("same").unwrap()
        ));
    }

    #[test]
    fn an_answer_without_usable_keys_is_an_empty_set() {
        let set = KeySet::parse_answer(b"{\"keys\": []}", AlgorithmSet::all()).unwrap();
        assert!(set.is_empty());
        let only_bad = json!({"keys": [with(rsa_public_jwk(1024), json!({"kid": "short"}))]});
        let set =
            KeySet::parse_answer(only_bad.to_string().as_bytes(), AlgorithmSet::all()).unwrap();
        assert!(set.is_empty());
        assert_eq!(set.skipped().len(), 1);
        assert!(KeySet::parse_answer(b"<html>", AlgorithmSet::all()).is_err());
        assert!(KeySet::empty().is_empty());
    }

    #[test]
    fn allow_list_filters_keys() {
        let only_es256: AlgorithmSet = [Algorithm::Es256].into_iter().collect();
        let body = json!({"keys": [with(rsa_public_jwk(2048), json!({"kid": "r"}))]}).to_string();
        assert_eq!(
            KeySet::parse(body.as_bytes(), only_es256)
                .unwrap_err()
                .to_string(),
            "no usable key in the key set (1 skipped: \"r\": none of its algorithms is allowed by JWT_ALGORITHMS)"
        );
    }

    #[test]
    fn formats_are_detected_from_the_body() {
        for body in [
            "",
            "[]",
            "{}",
            "{\"keys\": {}}",
            "<html></html>",
            "{\"a\": 1}",
            "{\"keys\": []}",
        ] {
            assert!(
                KeySet::parse(body.as_bytes(), AlgorithmSet::all()).is_err(),
                "{body}"
            );
        }
        let certificates =
            json!({"k1": "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n"});
        assert_eq!(
            KeySet::parse(certificates.to_string().as_bytes(), AlgorithmSet::all())
                .unwrap_err()
                .to_string(),
            "no usable key in the key set (1 skipped: \"k1\": not a PEM X.509 certificate)"
        );
    }

    /// A key whose exponent AWS-LC cannot verify with is refused when the
    /// set is read, with that reason, and one it can is used. The keys are
    /// RustCrypto's `rsa` (AWS-LC generates e = 65537 only).
    #[test]
    fn rsa_exponents_of_up_to_33_bits_verify() {
        use rsa::traits::PublicKeyParts;
        // 2^33 + 1: past what AWS-LC verifies with (and RustCrypto
        // generates), so the key is refused before any signature.
        let too_large = with(
            rsa_public_jwk(2048),
            json!({"kid": "k", "e": URL_SAFE_NO_PAD.encode([2, 0, 0, 0, 1])}),
        );
        let set = parse(vec![
            too_large,
            with(rsa_public_jwk(2048), json!({"kid": "other"})),
        ])
        .unwrap();
        assert!(set.get("k").is_none());
        assert_eq!(
            set.skipped()[0].reason,
            "RSA exponent e has 34 bits; at most 33 are accepted"
        );
        for e in [65_537_u64, (1 << 32) + 15] {
            let private = rsa::RsaPrivateKey::new_with_exp(
                &mut rsa::rand_core::OsRng,
                2048,
                &rsa::BigUint::from(e),
            )
            .unwrap();
            let jwk = json!({
                "kty": "RSA",
                "kid": "k",
                "n": URL_SAFE_NO_PAD.encode(private.n().to_bytes_be()),
                "e": URL_SAFE_NO_PAD.encode(private.e().to_bytes_be()),
            });
            let set = parse(vec![jwk]).unwrap();
            let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, b"header.payload");
            let signature = private
                .sign(rsa::Pkcs1v15Sign::new::<sha2::Sha256>(), digest.as_ref())
                .unwrap();
            assert_eq!(
                set.get("k")
                    .unwrap()
                    .verify(Algorithm::Rs256, b"header.payload", &signature),
                Ok(()),
                "e = {e}"
            );
        }
    }

    /// KMS keys: a DER public key with the algorithms KMS signs with, kept
    /// to those its key fits and `JWT_ALGORITHMS` allows, checked as a
    /// certificate's key is.
    #[test]
    fn a_kms_public_key_takes_the_algorithms_of_kms_its_key_and_the_allow_list() {
        let set = |names: &[&str]| -> AlgorithmSet {
            names
                .iter()
                .map(|name| name.parse::<Algorithm>().unwrap())
                .collect()
        };
        let p521 =
            EcdsaKeyPair::generate(&aws_lc_rs::signature::ECDSA_P521_SHA512_FIXED_SIGNING).unwrap();
        let p521 = p521.public_key().as_der().unwrap().as_ref().to_vec();
        let key =
            VerificationKey::from_public_key("k", &p521, set(&["ES512"]), AlgorithmSet::all())
                .unwrap();
        assert_eq!(key.algorithms(), set(&["ES512"]));
        let rsa = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).unwrap();
        let rsa = rsa.public_key().as_der().unwrap().as_ref().to_vec();
        let both = set(&["RS256", "PS256", "ES256"]);
        let key = VerificationKey::from_public_key("r", &rsa, both, AlgorithmSet::all()).unwrap();
        assert_eq!(key.algorithms(), set(&["RS256", "PS256"]));
        let key = VerificationKey::from_public_key("r", &rsa, both, set(&["PS256"])).unwrap();
        assert_eq!(key.algorithms(), set(&["PS256"]));
        // secp256k1 (1.3.132.0.10) in place of P-521's name.
        let k1 = {
            let p521_name = [0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x23];
            let at = p521.windows(7).position(|w| w == p521_name).unwrap();
            let mut k1 = p521.clone();
            k1[at + 6] = 0x0a;
            k1
        };
        for (der, algorithms, allowed, says) in [
            (&p521, set(&["ES256"]), AlgorithmSet::all(), "fits its key"),
            (&p521, set(&["ES512"]), set(&["RS256"]), "JWT_ALGORITHMS"),
            (
                &k1,
                set(&["ES256"]),
                AlgorithmSet::all(),
                "unsupported EC curve",
            ),
            (
                &vec![0x30, 0x00],
                set(&["ES256"]),
                AlgorithmSet::all(),
                "cannot be read",
            ),
        ] {
            let error =
                VerificationKey::from_public_key("x", der, algorithms, allowed).unwrap_err();
            assert!(error.contains(says), "{error}");
        }
        let keys = KeySet::from_keys(
            [Arc::new(
                VerificationKey::from_public_key("r", &rsa, both, AlgorithmSet::all()).unwrap(),
            )],
            vec![SkippedKey {
                kid: Some("s".to_owned()),
                reason: "not a signing key".to_owned(),
            }],
        );
        assert!(keys.get("r").is_some() && keys.answers_for("r") && keys.answers_for("s"));
        assert!(!keys.answers_for("t") && keys.get("s").is_none());
    }

    /// A certificate's key is read, and one with explicit curve parameters
    /// (any SEQUENCE where the curve's name belongs) is refused.
    #[test]
    fn a_certificate_with_explicit_curve_parameters_is_refused() {
        let pair =
            EcdsaKeyPair::generate(&aws_lc_rs::signature::ECDSA_P256_SHA256_FIXED_SIGNING).unwrap();
        let spki = pair.public_key().as_der().unwrap().as_ref().to_vec();
        let p256_name = [0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
        let at = spki.windows(10).position(|w| w == p256_name).unwrap();
        // The same length, a SEQUENCE in place of the OID.
        let mut explicit = spki.clone();
        explicit[at] = 0x30;
        explicit[at + 2..at + 10].copy_from_slice(&write::tlv(0x02, &[1, 2, 3, 4, 5, 6]));
        let body =
            |spki: &[u8]| json!({ "k": write::pem(&write::certificate(spki, true)) }).to_string();
        let named = KeySet::parse(body(&spki).as_bytes(), AlgorithmSet::all()).unwrap();
        assert!(named.get("k").is_some());
        let signature = pair
            .sign(&aws_lc_rs::rand::SystemRandom::new(), b"m")
            .unwrap();
        assert_eq!(
            named
                .get("k")
                .unwrap()
                .verify(Algorithm::Es256, b"m", signature.as_ref()),
            Ok(())
        );
        let explicit =
            KeySet::parse_answer(body(&explicit).as_bytes(), AlgorithmSet::all()).unwrap();
        assert!(explicit.get("k").is_none());
        assert!(
            explicit.skipped()[0].reason.contains("RFC 5480"),
            "{:?}",
            explicit.skipped()
        );
    }
}
