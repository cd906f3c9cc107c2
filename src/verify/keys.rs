//! Turning a key set body into ready verifiers, once per fetch.
//!
//! Two formats are read, told apart by the body: a standard JWKS
//! (`{"keys": [...]}`) and a map of kid to X.509 PEM certificate (Firebase).
//! Unusable keys are skipped one by one, as RFC 7517 §5 asks, and reported.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use josekit::jwk::Jwk;
use josekit::jws::{EdDSA, JwsVerifier};
use openssl::bn::BigNum;
use openssl::pkey::{Id, PKey, Public};
use openssl::rsa::Rsa;
use serde_json::{Map, Value};

use crate::algorithm::{Algorithm, AlgorithmSet, KeyFamily};
use crate::curve_verifier::CurveVerifier;
use crate::error::Refusal;
use crate::rsa_verifier::{RsaVerifier, MAX_RSA_BITS, MIN_RSA_BITS};

/// The key material a verifier is built from.
#[derive(Debug, PartialEq, Eq)]
enum Material {
    Jwk(Box<Jwk>),
    /// A SubjectPublicKeyInfo, from a certificate.
    Spki(Vec<u8>),
}

/// One key of the key set, with a verifier per algorithm built on first use.
///
/// Building a verifier costs about as much as several verifications, so each
/// is built once and kept for as long as the key set.
#[derive(Debug)]
pub struct VerificationKey {
    kid: String,
    algorithms: AlgorithmSet,
    material: Material,
    verifiers: [OnceLock<Option<Verifier>>; Algorithm::ALL.len()],
}

/// One backend per algorithm, the fastest measured (BENCHMARKS.md, "Signature
/// backends"): AWS-LC for every algorithm but EdDSA on Ed448, which it does
/// not have and josekit (OpenSSL) verifies.
#[derive(Debug)]
enum Verifier {
    Rsa(RsaVerifier),
    Curve(CurveVerifier),
    Ed448(Box<dyn JwsVerifier>),
}

impl Verifier {
    fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        match self {
            Verifier::Rsa(verifier) => verifier.verify(message, signature),
            Verifier::Curve(verifier) => verifier.verify(message, signature),
            Verifier::Ed448(verifier) => verifier.verify(message, signature).is_ok(),
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

    fn verifier(&self, alg: Algorithm) -> Option<&Verifier> {
        if !self.algorithms.contains(alg) {
            return None;
        }
        self.verifiers[alg.index()]
            .get_or_init(|| build_verifier(&self.material, alg))
            .as_ref()
    }
}

/// The RSA public key of `material`, from the JWK's `n` and `e` or the
/// certificate's SubjectPublicKeyInfo.
fn rsa_public_key(material: &Material) -> Option<PKey<Public>> {
    match material {
        Material::Jwk(jwk) => {
            let component = |name: &str| {
                let encoded = jwk.parameter(name)?.as_str()?;
                let bytes = URL_SAFE_NO_PAD.decode(encoded).ok()?;
                BigNum::from_slice(&bytes).ok()
            };
            let rsa = Rsa::from_public_components(component("n")?, component("e")?).ok()?;
            PKey::from_rsa(rsa).ok()
        }
        Material::Spki(der) => PKey::public_key_from_der(der).ok(),
    }
}

/// The curve of an OKP key (`Ed25519` or `Ed448`), which picks EdDSA's backend.
fn okp_curve(material: &Material) -> Option<&'static str> {
    let curve = match material {
        Material::Jwk(jwk) => jwk.parameter("crv")?.as_str()?,
        Material::Spki(der) => match PKey::public_key_from_der(der).ok()?.id() {
            Id::ED25519 => "Ed25519",
            Id::ED448 => "Ed448",
            _ => return None,
        },
    };
    ["Ed25519", "Ed448"].into_iter().find(|name| *name == curve)
}

fn curve_verifier(material: &Material, alg: Algorithm) -> Option<CurveVerifier> {
    match material {
        Material::Jwk(jwk) => {
            let member = |name: &str| jwk.parameter(name)?.as_str();
            let decoded = |name: &str| URL_SAFE_NO_PAD.decode(member(name)?).ok();
            let crv = member("crv")?;
            if alg == Algorithm::EdDsa {
                CurveVerifier::ed25519_from_x(crv, &decoded("x")?)
            } else {
                CurveVerifier::ecdsa_from_coordinates(alg, crv, &decoded("x")?, &decoded("y")?)
            }
        }
        Material::Spki(der) => {
            CurveVerifier::from_public_key(alg, &PKey::public_key_from_der(der).ok()?)
        }
    }
}

fn build_verifier(material: &Material, alg: Algorithm) -> Option<Verifier> {
    match alg {
        Algorithm::Rs256
        | Algorithm::Rs384
        | Algorithm::Rs512
        | Algorithm::Ps256
        | Algorithm::Ps384
        | Algorithm::Ps512 => RsaVerifier::new(&rsa_public_key(material)?, alg).map(Verifier::Rsa),
        Algorithm::Es256 | Algorithm::Es384 | Algorithm::Es512 => {
            curve_verifier(material, alg).map(Verifier::Curve)
        }
        Algorithm::EdDsa if okp_curve(material) == Some("Ed25519") => {
            curve_verifier(material, alg).map(Verifier::Curve)
        }
        Algorithm::EdDsa => {
            let verifier = match material {
                Material::Jwk(jwk) => EdDSA.verifier_from_jwk(jwk),
                Material::Spki(der) => EdDSA.verifier_from_der(der),
            };
            Some(Verifier::Ed448(Box::new(verifier.ok()?)))
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
    /// The body parsed but no key in it can be used.
    #[error("no usable key in the key set ({0} skipped)")]
    NoUsableKey(usize),
}

impl KeySet {
    /// Parses a key set body that must hold at least one key able to verify
    /// one of `allowed`: a key set given in the configuration.
    pub fn parse(body: &[u8], allowed: AlgorithmSet) -> Result<Self, KeySetError> {
        let set = Self::parse_answer(body, allowed)?;
        if set.is_empty() {
            return Err(KeySetError::NoUsableKey(set.skipped.len()));
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
    let kty = members
        .get("kty")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let family_algorithms = match kty {
        "RSA" => {
            check_rsa_public_key(members)?;
            algorithms_of(|family| family == KeyFamily::Rsa)
        }
        "EC" => {
            let crv = members
                .get("crv")
                .and_then(Value::as_str)
                .unwrap_or_default();
            algorithms_of(|family| family == KeyFamily::Ec(crv_name(crv)))
        }
        "OKP" => match members.get("crv").and_then(Value::as_str) {
            Some("Ed25519" | "Ed448") => algorithms_of(|family| family == KeyFamily::Okp),
            other => return Err(format!("OKP curve {other:?} cannot sign")),
        },
        other => {
            return Err(format!(
                "key type {other:?} is not an asymmetric signing key"
            ))
        }
    };
    let own_algorithms = match members.get("alg") {
        None => family_algorithms,
        Some(Value::String(name)) => match name.parse::<Algorithm>() {
            Ok(alg) if family_algorithms.contains(alg) => [alg].into_iter().collect(),
            _ => return Err(format!("alg {name:?} does not fit key type {kty}")),
        },
        Some(_) => return Err("alg is not a string".to_owned()),
    };
    let jwk = Jwk::from_map(members.clone()).map_err(|error| error.to_string())?;
    finish(kid, own_algorithms, allowed, Material::Jwk(Box::new(jwk)))
}

/// Maps a JWK curve name to the `&'static str` used by [`KeyFamily`].
fn crv_name(crv: &str) -> &'static str {
    match crv {
        "P-256" => "P-256",
        "P-384" => "P-384",
        "P-521" => "P-521",
        _ => "",
    }
}

fn algorithms_of(matches: impl Fn(KeyFamily) -> bool) -> AlgorithmSet {
    Algorithm::ALL
        .into_iter()
        .filter(|alg| matches(alg.key_family()))
        .collect()
}

/// josekit accepts e = 1 (which makes every signature "verify" trivially
/// forgeable), even exponents and ROCA-weak moduli: refuse all three.
fn check_rsa_public_key(members: &Map<String, Value>) -> Result<(), String> {
    let decode = |name: &str| {
        members
            .get(name)
            .and_then(Value::as_str)
            .and_then(|value| URL_SAFE_NO_PAD.decode(value).ok())
            .ok_or(format!("RSA member {name} is missing or not base64url"))
    };
    check_exponent_bytes(&decode("e")?)?;
    check_not_roca(&decode("n")?)
}

/// The small primes of the ROCA fingerprint (CVE-2017-15361).
const ROCA_PRIMES: [u32; 38] = [
    3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83, 89, 97,
    101, 103, 107, 109, 113, 127, 131, 137, 139, 149, 151, 157, 163, 167,
];

/// Keys from the vulnerable Infineon library have a modulus that, modulo
/// each of these primes, lies in the subgroup generated by 65537; a random
/// modulus does so with probability about 2^-154. Such keys can be factored.
fn check_not_roca(modulus: &[u8]) -> Result<(), String> {
    let fingerprinted = ROCA_PRIMES.iter().all(|&prime| {
        let residue = modulus
            .iter()
            .fold(0u32, |acc, &byte| (acc * 256 + u32::from(byte)) % prime);
        let generator = 65_537 % prime;
        let mut power = 1;
        for _ in 0..prime {
            if power == residue {
                return true;
            }
            power = power * generator % prime;
        }
        false
    });
    if fingerprinted {
        Err("RSA modulus has the ROCA fingerprint (CVE-2017-15361): it can be factored".to_owned())
    } else {
        Ok(())
    }
}

/// AWS-LC, which verifies RSA signatures, takes public exponents of at most
/// 33 bits (65537 has 17; larger ones are not in use): a larger one is
/// refused here, with its own reason, rather than when the key is first used.
const MAX_RSA_EXPONENT_BITS: usize = 33;

fn check_exponent_bytes(e: &[u8]) -> Result<(), String> {
    let significant: Vec<u8> = e.iter().copied().skip_while(|byte| *byte == 0).collect();
    let odd = significant.last().is_some_and(|byte| byte & 1 == 1);
    let at_least_three =
        significant.len() > 1 || significant.first().is_some_and(|byte| *byte >= 3);
    let bits = significant.first().map_or(0, |first| {
        (significant.len() - 1) * 8 + (8 - first.leading_zeros() as usize)
    });
    if !(odd && at_least_three) {
        Err("RSA exponent e must be odd and at least 3".to_owned())
    } else if bits > MAX_RSA_EXPONENT_BITS {
        Err(format!(
            "RSA exponent e has {bits} bits; at most {MAX_RSA_EXPONENT_BITS} are accepted"
        ))
    } else {
        Ok(())
    }
}

fn key_from_certificate(
    kid: &str,
    pem: &str,
    allowed: AlgorithmSet,
) -> Result<VerificationKey, String> {
    let certificate = openssl::x509::X509::from_pem(pem.as_bytes())
        .map_err(|_| "not a PEM X.509 certificate".to_owned())?;
    let der = certificate
        .public_key()
        .and_then(|public_key| public_key.public_key_to_der())
        .map_err(|_| "the certificate's public key cannot be read".to_owned())?;
    VerificationKey::from_public_key(kid, &der, AlgorithmSet::all(), allowed)
}

impl VerificationKey {
    /// The key `kid` of a DER SubjectPublicKeyInfo (a certificate's, or a
    /// KMS key's) whose owner signs with `algorithms`: checked (RSA
    /// exponent, ROCA, named curve), for the algorithms that fit the key,
    /// `algorithms` and `allowed`.
    pub fn from_public_key(
        kid: &str,
        der: &[u8],
        algorithms: AlgorithmSet,
        allowed: AlgorithmSet,
    ) -> Result<Self, String> {
        let public_key = PKey::public_key_from_der(der)
            .map_err(|_| "the public key cannot be read".to_owned())?;
        let fitting: AlgorithmSet = certificate_algorithms(&public_key)?
            .iter()
            .filter(|alg| algorithms.contains(*alg))
            .collect();
        if fitting.is_empty() {
            return Err(format!(
                "none of its algorithms ({algorithms}) fits its key"
            ));
        }
        let der = public_key
            .public_key_to_der()
            .map_err(|_| "the public key cannot be encoded".to_owned())?;
        finish(kid.to_owned(), fitting, allowed, Material::Spki(der))
    }
}

fn certificate_algorithms(public_key: &PKey<Public>) -> Result<AlgorithmSet, String> {
    match public_key.id() {
        Id::RSA => {
            let rsa = public_key.rsa().map_err(|error| error.to_string())?;
            check_exponent_bytes(&rsa.e().to_vec())?;
            check_not_roca(&rsa.n().to_vec())?;
            Ok(algorithms_of(|family| family == KeyFamily::Rsa))
        }
        Id::EC => {
            let ec = public_key.ec_key().map_err(|error| error.to_string())?;
            // OpenSSL names a curve given by its parameters when they match
            // one it knows, but RFC 5480 §2.1.1 forbids that form.
            if ec.group().asn1_flag() != openssl::ec::Asn1Flag::NAMED_CURVE {
                return Err(
                    "EC parameters given explicitly, not by a named curve (RFC 5480 §2.1.1)"
                        .to_owned(),
                );
            }
            let curve = match ec.group().curve_name() {
                Some(openssl::nid::Nid::X9_62_PRIME256V1) => "P-256",
                Some(openssl::nid::Nid::SECP384R1) => "P-384",
                Some(openssl::nid::Nid::SECP521R1) => "P-521",
                _ => return Err("unsupported EC curve".to_owned()),
            };
            Ok(algorithms_of(|family| family == KeyFamily::Ec(curve)))
        }
        Id::ED25519 | Id::ED448 => Ok(algorithms_of(|family| family == KeyFamily::Okp)),
        _ => Err("unsupported public key type".to_owned()),
    }
}

/// Keeps the key only if one of its algorithms is allowed, and builds the
/// first verifier now so that bad key material (a short RSA modulus, a point
/// off the curve) is found at fetch time, not on a request.
fn finish(
    kid: String,
    own_algorithms: AlgorithmSet,
    allowed: AlgorithmSet,
    material: Material,
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
        return Err(format!(
            "its key material is invalid for {first} (RSA keys need {MIN_RSA_BITS} to {MAX_RSA_BITS} bits; EC points must be on the curve)"
        ));
    }
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A bare RSA public JWK (no kid, no alg), from OpenSSL so that sizes
    /// josekit refuses to generate can be tested too.
    fn rsa_public_jwk(bits: u32) -> Map<String, Value> {
        let rsa = openssl::rsa::Rsa::generate(bits).unwrap();
        let Value::Object(map) = json!({
            "kty": "RSA",
            "n": URL_SAFE_NO_PAD.encode(rsa.n().to_vec()),
            "e": URL_SAFE_NO_PAD.encode(rsa.e().to_vec()),
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

    /// Each algorithm reaches the backend measured fastest for it
    /// (BENCHMARKS.md, "Signature backends").
    #[test]
    fn each_algorithm_takes_its_backend() {
        use josekit::jwk::alg::ec::EcCurve;
        use josekit::jwk::alg::ed::EdCurve;
        let public = |jwk: Jwk, kid: &str| {
            with(
                jwk.to_public_key().unwrap().as_ref().clone(),
                json!({ "kid": kid }),
            )
        };
        let set = parse(vec![
            with(rsa_public_jwk(2048), json!({"kid": "rsa"})),
            public(Jwk::generate_ec_key(EcCurve::P256).unwrap(), "p256"),
            public(Jwk::generate_ec_key(EcCurve::P384).unwrap(), "p384"),
            public(Jwk::generate_ec_key(EcCurve::P521).unwrap(), "p521"),
            public(Jwk::generate_ed_key(EdCurve::Ed25519).unwrap(), "ed25519"),
            public(Jwk::generate_ed_key(EdCurve::Ed448).unwrap(), "ed448"),
        ])
        .unwrap();
        let backend = |kid: &str, alg: Algorithm| match set.get(kid).unwrap().verifier(alg) {
            Some(Verifier::Rsa(_) | Verifier::Curve(_)) => "aws-lc",
            Some(Verifier::Ed448(_)) => "josekit",
            None => "none",
        };
        let rsa = Algorithm::ALL
            .into_iter()
            .filter(|alg| alg.key_family() == KeyFamily::Rsa);
        assert_eq!(rsa.clone().count(), 6);
        for alg in rsa {
            assert_eq!(backend("rsa", alg), "aws-lc");
        }
        assert_eq!(backend("p256", Algorithm::Es256), "aws-lc");
        assert_eq!(backend("p384", Algorithm::Es384), "aws-lc");
        assert_eq!(backend("p521", Algorithm::Es512), "aws-lc");
        assert_eq!(backend("ed25519", Algorithm::EdDsa), "aws-lc");
        assert_eq!(backend("ed448", Algorithm::EdDsa), "josekit");
        assert_eq!(backend("p384", Algorithm::Es256), "none");
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
            KeySet::parse(body.as_bytes(), only_es256).unwrap_err(),
            KeySetError::NoUsableKey(1)
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
            KeySet::parse(certificates.to_string().as_bytes(), AlgorithmSet::all()).unwrap_err(),
            KeySetError::NoUsableKey(1)
        );
    }

    #[test]
    fn exponent_rules() {
        assert!(check_exponent_bytes(&[1, 0, 1]).is_ok());
        assert!(check_exponent_bytes(&[3]).is_ok());
        assert!(check_exponent_bytes(&[0, 0, 3]).is_ok());
        assert!(check_exponent_bytes(&[1]).is_err());
        assert!(check_exponent_bytes(&[0]).is_err());
        assert!(check_exponent_bytes(&[]).is_err());
        assert!(check_exponent_bytes(&[1, 0, 0]).is_err());
        // 2^32 + 15 (33 bits) is the largest size AWS-LC verifies with.
        assert!(check_exponent_bytes(&[1, 0, 0, 0, 15]).is_ok());
        assert_eq!(
            check_exponent_bytes(&[2, 0, 0, 0, 1]),
            Err("RSA exponent e has 34 bits; at most 33 are accepted".to_owned())
        );
        assert!(check_exponent_bytes(&[0x80, 0, 0, 0, 0, 0, 0, 1]).is_err());
    }

    /// A key whose exponent AWS-LC cannot verify with is refused when the
    /// set is read, with that reason, and one it can is used.
    #[test]
    fn rsa_exponents_of_up_to_33_bits_verify() {
        use openssl::bn::BigNum;
        use openssl::hash::MessageDigest;
        use openssl::sign::Signer;
        for (e, usable) in [
            (65_537_u64, true),
            ((1 << 32) + 15, true),
            ((1 << 33) + 1, false),
        ] {
            let private = openssl::rsa::Rsa::generate_with_e(
                2048,
                &BigNum::from_slice(&e.to_be_bytes()).unwrap(),
            )
            .unwrap();
            let jwk = json!({
                "kty": "RSA",
                "kid": "k",
                "n": URL_SAFE_NO_PAD.encode(private.n().to_vec()),
                "e": URL_SAFE_NO_PAD.encode(private.e().to_vec()),
            });
            // A second key keeps the set usable, so the first one's reason shows.
            let parsed = parse(vec![
                jwk,
                with(rsa_public_jwk(2048), json!({"kid": "other"})),
            ]);
            let set = parsed.unwrap();
            if !usable {
                assert!(set.get("k").is_none());
                let reason = &set.skipped()[0].reason;
                assert!(reason.contains("34 bits"), "{reason}");
                continue;
            }
            let private = PKey::from_rsa(private).unwrap();
            let mut signer = Signer::new(MessageDigest::sha256(), &private).unwrap();
            signer.update(b"header.payload").unwrap();
            let signature = signer.sign_to_vec().unwrap();
            assert_eq!(
                set.get("k")
                    .unwrap()
                    .verify(Algorithm::Rs256, b"header.payload", &signature),
                Ok(()),
                "e = {e}"
            );
        }
    }

    /// A self-signed certificate for a new P-256 key, its curve named or
    /// given by its parameters.
    fn p256_certificate(explicit: bool) -> String {
        use openssl::ec::{Asn1Flag, EcGroup, EcKey};
        use openssl::x509::{X509Builder, X509NameBuilder};
        let mut group = EcGroup::from_curve_name(openssl::nid::Nid::X9_62_PRIME256V1).unwrap();
        if explicit {
            group.set_asn1_flag(Asn1Flag::EXPLICIT_CURVE);
        }
        let key = PKey::from_ec_key(EcKey::generate(&group).unwrap()).unwrap();
        let mut name = X509NameBuilder::new().unwrap();
        name.append_entry_by_text("CN", "k").unwrap();
        let name = name.build();
        let mut builder = X509Builder::new().unwrap();
        builder.set_subject_name(&name).unwrap();
        builder.set_issuer_name(&name).unwrap();
        builder.set_pubkey(&key).unwrap();
        let now = openssl::asn1::Asn1Time::days_from_now(0).unwrap();
        let later = openssl::asn1::Asn1Time::days_from_now(1).unwrap();
        builder.set_not_before(&now).unwrap();
        builder.set_not_after(&later).unwrap();
        builder
            .sign(&key, openssl::hash::MessageDigest::sha256())
            .unwrap();
        String::from_utf8(builder.build().to_pem().unwrap()).unwrap()
    }

    /// KMS keys: a DER public key with the algorithms KMS signs with, kept
    /// to those its key fits and `JWT_ALGORITHMS` allows, checked as a
    /// certificate's key is.
    #[test]
    fn a_kms_public_key_takes_the_algorithms_of_kms_its_key_and_the_allow_list() {
        use openssl::ec::{EcGroup, EcKey};
        let set = |names: &[&str]| -> AlgorithmSet {
            names
                .iter()
                .map(|name| name.parse::<Algorithm>().unwrap())
                .collect()
        };
        let p521 =
            EcKey::generate(&EcGroup::from_curve_name(openssl::nid::Nid::SECP521R1).unwrap())
                .unwrap();
        let p521 = PKey::from_ec_key(p521)
            .unwrap()
            .public_key_to_der()
            .unwrap();
        let key =
            VerificationKey::from_public_key("k", &p521, set(&["ES512"]), AlgorithmSet::all())
                .unwrap();
        assert_eq!(key.algorithms(), set(&["ES512"]));
        let rsa = PKey::from_rsa(openssl::rsa::Rsa::generate(2048).unwrap())
            .unwrap()
            .public_key_to_der()
            .unwrap();
        let both = set(&["RS256", "PS256", "ES256"]);
        let key = VerificationKey::from_public_key("r", &rsa, both, AlgorithmSet::all()).unwrap();
        assert_eq!(key.algorithms(), set(&["RS256", "PS256"]));
        let key = VerificationKey::from_public_key("r", &rsa, both, set(&["PS256"])).unwrap();
        assert_eq!(key.algorithms(), set(&["PS256"]));
        let k1 = EcKey::generate(&EcGroup::from_curve_name(openssl::nid::Nid::SECP256K1).unwrap())
            .unwrap();
        let k1 = PKey::from_ec_key(k1).unwrap().public_key_to_der().unwrap();
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

    #[test]
    fn a_certificate_with_explicit_curve_parameters_is_refused() {
        let body = |pem: String| json!({ "k": pem }).to_string();
        let named = KeySet::parse(
            body(p256_certificate(false)).as_bytes(),
            AlgorithmSet::all(),
        )
        .unwrap();
        assert!(named.get("k").is_some());
        let explicit =
            KeySet::parse_answer(body(p256_certificate(true)).as_bytes(), AlgorithmSet::all())
                .unwrap();
        assert!(explicit.get("k").is_none());
        assert!(
            explicit.skipped()[0].reason.contains("RFC 5480"),
            "{:?}",
            explicit.skipped()
        );
    }
}
