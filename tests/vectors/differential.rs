//! Differential test (issue #19): more than 2 000 generated tokens through our
//! decision code (`Authorizer::authorize`, what the Lambda runs, with the key
//! set inline in `JWKS_JSON`), PyJWT and aws-jwt-verify, configured alike:
//! the issuer, the audience, every algorithm each supports, no leeway, `exp`
//! required. Every disagreement must belong to a class of
//! `tests/differential/expected.md`, each with its one-line reason, and every
//! class there must still occur, so that the table stays true.
//!
//! The peers are installed, pinned, under `target/differential/` on first use
//! (a venv for PyJWT, `npm --prefix` for aws-jwt-verify, as
//! `benches/compare/compare.sh` does); the corpus, each verifier's verdicts
//! and a report are left there.
//!
//! Keys and signatures come from AWS-LC through the test kit, from
//! RustCrypto's `rsa` where AWS-LC does not sign (a 1024-bit key, PSS salts
//! other than the hash's length), and, for Ed448, which AWS-LC does not
//! implement and the authorizer no longer verifies, from `cryptography` in
//! the peers' venv (`tests/differential/ed448_signer.py`).

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{ChildStdin, ChildStdout, Command, Stdio};
use std::sync::Mutex;

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::{KeyPair as RsaKeyPair, KeySize};
use aws_lc_rs::signature as lc;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use rsa::pkcs8::{DecodePrivateKey, EncodePublicKey};
use rsa::rand_core::OsRng;
use rsa::traits::PublicKeyParts;
use rsa::{BigUint, Pkcs1v15Sign, Pss};
use serde_json::{json, Value};
use sha2::{Digest, Sha256, Sha384, Sha512};
use testkit::{
    b64, config_from, now, query_event, with_changes, HmacSigner, JwsSigner, PrivateKey,
};
use ws_jwt_authorizer::algorithm::AlgorithmSet;
use ws_jwt_authorizer::keys::KeySet as AuthorizerKeySet;
use ws_jwt_authorizer::Authorizer;

const PYJWT: &str = "pyjwt==2.15.1";
const CRYPTOGRAPHY: &str = "cryptography==50.0.2";
const AWS_JWT_VERIFY: &str = "aws-jwt-verify@5.2.1";

const ISSUER: &str = "https://issuer.differential.test";
const AUDIENCE: &str = "api://differential";

/// The generator's seed: the same mutations, positions and values every run
/// (keys and randomised signatures differ; no verdict depends on them).
const SEED: u64 = 0x2301_0019;

/// The two peers, as the table names them.
const PEERS: [&str; 2] = ["PyJWT", "aws-jwt-verify"];

fn out_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/differential")
}

fn suite_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/differential")
}

// ---------------------------------------------------------------- peers

fn run(command: &mut Command, what: &str) {
    let status = command
        .status()
        .unwrap_or_else(|error| panic!("{what}: {error}"));
    assert!(status.success(), "{what} failed: {status}");
}

/// Installs the peers once; a marker file names the pinned versions, so a
/// new pin reinstalls.
fn ensure_peers_installed() {
    static INSTALL: Mutex<()> = Mutex::new(());
    let _guard = INSTALL.lock().unwrap_or_else(|poison| poison.into_inner());
    let out = out_dir();
    let marker = out.join("installed");
    let pins = format!("{PYJWT} {CRYPTOGRAPHY} {AWS_JWT_VERIFY}\n");
    if std::fs::read_to_string(&marker).ok().as_deref() == Some(pins.as_str()) {
        return;
    }
    std::fs::create_dir_all(&out).unwrap();
    let venv = out.join("venv");
    if !venv.join("bin/python").exists() {
        run(
            Command::new("python3").args(["-m", "venv"]).arg(&venv),
            "python3 -m venv",
        );
    }
    run(
        Command::new(venv.join("bin/pip")).args([
            "install",
            "--quiet",
            "--disable-pip-version-check",
            PYJWT,
            CRYPTOGRAPHY,
        ]),
        "pip install of PyJWT",
    );
    run(
        Command::new("npm")
            .args([
                "install",
                "--no-audit",
                "--no-fund",
                "--loglevel=error",
                "--prefix",
            ])
            .arg(out.join("node"))
            .arg(AWS_JWT_VERIFY),
        "npm install of aws-jwt-verify",
    );
    std::fs::write(marker, pins).unwrap();
}

/// Each peer's verdict per token id: `(accepted, why)`.
fn peer_verdicts(corpus: &Path) -> BTreeMap<&'static str, Vec<(bool, String)>> {
    let out = out_dir();
    // Node resolves packages from the script's folder: run it from beside
    // node_modules, as compare.sh does.
    let script = out.join("node/aws_jwt_verify_verdicts.mjs");
    std::fs::copy(suite_dir().join("aws_jwt_verify_verdicts.mjs"), &script).unwrap();
    let mut python = Command::new(out.join("venv/bin/python"));
    python
        .arg(suite_dir().join("pyjwt_verdicts.py"))
        .arg(corpus);
    let mut node = Command::new("node");
    node.arg(&script).arg(corpus);
    let mut verdicts = BTreeMap::new();
    for (peer, command) in PEERS.into_iter().zip([&mut python, &mut node]) {
        let output = command.output().unwrap();
        assert!(
            output.status.success(),
            "{peer}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let lines: Vec<(bool, String)> = String::from_utf8(output.stdout)
            .unwrap()
            .lines()
            .map(|line| {
                let verdict: Value = serde_json::from_str(line).unwrap();
                (
                    verdict["accepted"].as_bool().unwrap(),
                    verdict["why"].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect();
        verdicts.insert(peer, lines);
    }
    verdicts
}

// ---------------------------------------------------------------- keys

/// splitmix64: positions and values the generator picks, from [`SEED`].
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, bound: usize) -> usize {
        (self.next() % bound as u64) as usize
    }
}

/// A private key of the corpus.
enum Private {
    /// AWS-LC's, through the test kit: RSA of 2048 bits and more, ECDSA on
    /// P-256, P-384 and P-521, Ed25519.
    Kit(PrivateKey),
    /// An RSA key AWS-LC does not make (1024 bits): RustCrypto's.
    SmallRsa(Box<rsa::RsaPrivateKey>),
    /// Ed448, which AWS-LC does not implement (the authorizer skips Ed448
    /// keys): its RFC 8032 seed and public key, signed by the peers' own
    /// library ([`ed448`]).
    Ed448 { seed: [u8; 57], public: Vec<u8> },
}

/// A signing key with its public JWK (`kid` set; `alg` and `use` as given).
struct Key {
    private: Private,
    public: Value,
}

fn rsa_key(size: KeySize) -> Private {
    Private::Kit(PrivateKey::Rsa(RsaKeyPair::generate(size).unwrap()))
}

/// A key of 1024 bits, under what RFC 7518 allows (AWS-LC makes none).
fn rsa_1024_key() -> Private {
    let key = rsa::RsaPrivateKey::new(&mut OsRng, 1024).unwrap();
    assert_eq!(key.n().bits(), 1024);
    Private::SmallRsa(Box::new(key))
}

/// A key of `alg`'s curve: ES256, ES384, ES512, or EdDSA for Ed25519.
fn curve_key(alg: &str) -> Private {
    Private::Kit(PrivateKey::generate(alg).unwrap())
}

fn ed448_key() -> Private {
    let mut seed = [0; 57];
    aws_lc_rs::rand::fill(&mut seed).unwrap();
    let (public, _) = ed448(&seed, b"");
    Private::Ed448 { seed, public }
}

/// Hex, for the Ed448 signer's requests and answers.
fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

fn unhex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|at| u8::from_str_radix(&text[at..at + 2], 16).unwrap())
        .collect()
}

/// The Ed448 public key of `seed` and its signature of `message` (RFC 8032
/// §5.2). Neither AWS-LC nor RustCrypto's crates here make Ed448: the
/// signatures come from `cryptography`, PyJWT's backend in the suite's
/// venv, through `tests/differential/ed448_signer.py`, started once and
/// asked one line at a time.
fn ed448(seed: &[u8; 57], message: &[u8]) -> (Vec<u8>, Vec<u8>) {
    struct Signer {
        input: ChildStdin,
        output: BufReader<ChildStdout>,
    }
    static SIGNER: Mutex<Option<Signer>> = Mutex::new(None);
    let mut signer = SIGNER.lock().unwrap_or_else(|poison| poison.into_inner());
    // It ends when its input does: when this test binary exits, which
    // reaps it; nothing here could wait for it sooner.
    #[allow(clippy::zombie_processes)]
    let signer = signer.get_or_insert_with(|| {
        let mut child = Command::new(out_dir().join("venv/bin/python"))
            .arg(suite_dir().join("ed448_signer.py"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("the Ed448 signer starts (the peers are installed first)");
        Signer {
            input: child.stdin.take().unwrap(),
            output: BufReader::new(child.stdout.take().unwrap()),
        }
    });
    let request = json!({"seed": hex(seed), "message": hex(message)});
    writeln!(signer.input, "{request}").unwrap();
    signer.input.flush().unwrap();
    let mut line = String::new();
    signer.output.read_line(&mut line).unwrap();
    let answer: Value = serde_json::from_str(&line).expect("the Ed448 signer answers");
    let field = |name: &str| unhex(answer[name].as_str().unwrap());
    let (public, signature) = (field("public"), field("signature"));
    assert_eq!((public.len(), signature.len()), (57, 114));
    (public, signature)
}

/// The public JWK of `private`, with `members` added.
fn public_jwk(private: &Private, members: Value) -> Value {
    let mut jwk = match private {
        Private::Kit(key) => key.public_jwk(),
        Private::SmallRsa(key) => {
            json!({"kty": "RSA", "n": b64(key.n().to_bytes_be()), "e": b64(key.e().to_bytes_be())})
        }
        Private::Ed448 { public, .. } => json!({"kty": "OKP", "crv": "Ed448", "x": b64(public)}),
    };
    for (name, value) in members.as_object().unwrap() {
        jwk[name] = value.clone();
    }
    jwk
}

/// The DER SubjectPublicKeyInfo of `private` (RFC 5280 §4.1.2.7).
fn public_key_der(private: &Private) -> Vec<u8> {
    match private {
        Private::Kit(key) => key.public_key_der(),
        Private::SmallRsa(key) => key
            .to_public_key()
            .to_public_key_der()
            .unwrap()
            .as_bytes()
            .to_vec(),
        // SEQUENCE { SEQUENCE { OID 1.3.101.113 }, BIT STRING (the key) }
        // (RFC 8410 §4).
        Private::Ed448 { public, .. } => [
            &[
                0x30, 0x43, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x71, 0x03, 0x3a, 0x00,
            ][..],
            public,
        ]
        .concat(),
    }
}

/// The public key as PEM (`-----BEGIN PUBLIC KEY-----`, lines of 64
/// characters), as key confusion attacks use it for an HMAC secret.
fn public_key_pem(private: &Private) -> Vec<u8> {
    let encoded = STANDARD.encode(public_key_der(private));
    let lines: Vec<&str> = encoded
        .as_bytes()
        .chunks(64)
        .map(|line| std::str::from_utf8(line).unwrap())
        .collect();
    format!(
        "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
        lines.join("\n")
    )
    .into_bytes()
}

/// The length of each of r and s in a P1363 ECDSA signature.
fn ec_size(alg: &str) -> usize {
    match alg {
        "ES256" => 32,
        "ES384" => 48,
        _ => 66,
    }
}

/// The order of `alg`'s curve (SEC 2 §2.4.2, §2.5.1, §2.6.1), big-endian,
/// as long as r and s.
fn ec_order(alg: &str) -> Vec<u8> {
    let hex_order = match alg {
        "ES256" => "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551",
        "ES384" => concat!(
            "ffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf",
            "581a0db248b0a77aecec196accc52973"
        ),
        _ => concat!(
            "01ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
            "fffa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e9138",
            "6409"
        ),
    };
    let order = unhex(hex_order);
    assert_eq!(order.len(), ec_size(alg));
    order
}

/// `value` big-endian in exactly `size` bytes.
fn padded(value: &BigUint, size: usize) -> Vec<u8> {
    let bytes = value.to_bytes_be();
    assert!(bytes.len() <= size);
    [vec![0; size - bytes.len()], bytes].concat()
}

/// Verifies a signature of `private` (an ECDSA key of the kit) with AWS-LC:
/// what a mutation says is a valid signature in another form is one.
fn assert_verifies(
    algorithm: &'static dyn aws_lc_rs::signature::VerificationAlgorithm,
    private: &Private,
    input: &[u8],
    signature: &[u8],
) {
    aws_lc_rs::signature::UnparsedPublicKey::new(algorithm, public_key_der(private))
        .verify(input, signature)
        .expect("a valid signature");
}

/// How a PSS signature's salt is chosen: RFC 7518 §3.5 says as long as the
/// hash; the others are for the salt-length mutations.
#[derive(Clone, Copy)]
enum Salt {
    HashLength,
    Empty,
    Maximum,
}

/// `alg`'s signature of `input` with `key`, in JWS form (P1363 for ECDSA).
fn sign_as(alg: &str, key: &Private, input: &[u8], salt: Salt) -> Vec<u8> {
    match key {
        Private::Ed448 { seed, .. } => ed448(seed, input).1,
        // AWS-LC signs PSS with a salt as long as the hash only.
        Private::Kit(PrivateKey::Rsa(pair))
            if alg.starts_with("PS") && !matches!(salt, Salt::HashLength) =>
        {
            let der = pair.as_der().unwrap();
            let key = rsa::RsaPrivateKey::from_pkcs8_der(der.as_ref()).unwrap();
            rustcrypto_sign(alg, &key, input, salt)
        }
        Private::Kit(key) => key.sign(alg, input).unwrap(),
        Private::SmallRsa(key) => rustcrypto_sign(alg, key, input, salt),
    }
}

/// An RS* or PS* signature by RustCrypto's rsa: keys and salt lengths
/// AWS-LC does not sign with. A PSS signature is checked against its own
/// salt length before it is used.
fn rustcrypto_sign(alg: &str, key: &rsa::RsaPrivateKey, input: &[u8], salt: Salt) -> Vec<u8> {
    let hash_length = match &alg[2..] {
        "384" => 48,
        "512" => 64,
        _ => 32,
    };
    let salt_length = match salt {
        Salt::HashLength => hash_length,
        Salt::Empty => 0,
        // As long as the encoded message leaves room for (RFC 8017 §9.1.1
        // step 3; OpenSSL's RSA_PSS_SALTLEN_MAX).
        Salt::Maximum => (key.n().bits() - 1).div_ceil(8) - hash_length - 2,
    };
    let sign = |pss: Option<Pss>, pkcs1: Pkcs1v15Sign, hashed: &[u8]| match pss {
        Some(pss) => key.sign_with_rng(&mut OsRng, pss, hashed).unwrap(),
        None => key.sign(pkcs1, hashed).unwrap(),
    };
    let pss = alg.starts_with("PS");
    let (signature, hashed, check) = match &alg[2..] {
        "384" => {
            let hashed = Sha384::digest(input).to_vec();
            let signature = sign(
                pss.then(|| Pss::new_with_salt::<Sha384>(salt_length)),
                Pkcs1v15Sign::new::<Sha384>(),
                &hashed,
            );
            (signature, hashed, Pss::new_with_salt::<Sha384>(salt_length))
        }
        "512" => {
            let hashed = Sha512::digest(input).to_vec();
            let signature = sign(
                pss.then(|| Pss::new_with_salt::<Sha512>(salt_length)),
                Pkcs1v15Sign::new::<Sha512>(),
                &hashed,
            );
            (signature, hashed, Pss::new_with_salt::<Sha512>(salt_length))
        }
        _ => {
            let hashed = Sha256::digest(input).to_vec();
            let signature = sign(
                pss.then(|| Pss::new_with_salt::<Sha256>(salt_length)),
                Pkcs1v15Sign::new::<Sha256>(),
                &hashed,
            );
            (signature, hashed, Pss::new_with_salt::<Sha256>(salt_length))
        }
    };
    if pss {
        key.to_public_key()
            .verify(check, &hashed, &signature)
            .expect("the PSS signature verifies with its salt length");
    }
    assert_eq!(signature.len(), key.size());
    signature
}

/// One algorithm with one key size or curve: every mutation is applied to
/// each profile.
struct Profile {
    alg: &'static str,
    /// The key's name in the key set (its `kid`).
    kid: &'static str,
    key: Key,
}

/// The key set every verifier gets: a key per profile, then the oddities.
struct KeySet {
    profiles: Vec<Profile>,
    /// Same algorithm as the profile, other key, same kid: a forgery.
    impostors: BTreeMap<&'static str, Private>,
    /// Keys of the oddities, by kid.
    odd: BTreeMap<&'static str, Key>,
    jwks: Value,
}

/// The kids of the key set's Ed448 keys: the Ed448 profile's and the one
/// without `alg`.
const ED448_KIDS: [&str; 2] = ["ed448", "ed448-no-alg"];

/// Why the authorizer skips an Ed448 key (`src/verify/public_key.rs`).
const NO_ED448: &str =
    "Ed448 is not supported: AWS-LC, the one crypto library of this authorizer, does not implement it";

/// How the authorizer refuses a token of an Ed448 key: no usable key has
/// its kid. Each token of the Ed448 profile that it accepted while it
/// verified Ed448 (the `valid.*` classes and `keyset.no_alg`) now gets this
/// refusal; the peers still verify Ed448.
const ED448_REFUSAL: &str = "unknown_kid";

/// The table's class of a disagreement on a token of the Ed448 profile
/// refused as [`ED448_REFUSAL`], whatever its mutation.
const ED448_CLASS: &str = "ed448";

fn key_set() -> KeySet {
    let profile = |alg: &'static str, kid: &'static str, private: Private| Profile {
        alg,
        kid,
        key: Key {
            public: public_jwk(&private, json!({"kid": kid, "alg": alg, "use": "sig"})),
            private,
        },
    };
    let profiles = vec![
        profile("RS256", "rs256", rsa_key(KeySize::Rsa2048)),
        profile("RS384", "rs384", rsa_key(KeySize::Rsa2048)),
        profile("RS512", "rs512", rsa_key(KeySize::Rsa2048)),
        profile("RS256", "rs256-3072", rsa_key(KeySize::Rsa3072)),
        profile("PS256", "ps256", rsa_key(KeySize::Rsa2048)),
        profile("PS384", "ps384", rsa_key(KeySize::Rsa2048)),
        profile("PS512", "ps512", rsa_key(KeySize::Rsa2048)),
        profile("PS256", "ps256-4096", rsa_key(KeySize::Rsa4096)),
        profile("ES256", "es256", curve_key("ES256")),
        profile("ES384", "es384", curve_key("ES384")),
        profile("ES512", "es512", curve_key("ES512")),
        profile("EdDSA", "ed25519", curve_key("EdDSA")),
        // No longer verified (AWS-LC has no Ed448): its tokens are refused,
        // and compared with the peers as the table's `ed448` class.
        profile("EdDSA", "ed448", ed448_key()),
    ];
    let impostors = profiles
        .iter()
        .map(|profile| {
            let private = match &profile.key.private {
                Private::Kit(PrivateKey::Rsa(_)) | Private::SmallRsa(_) => {
                    rsa_key(KeySize::Rsa2048)
                }
                Private::Kit(_) => curve_key(profile.alg),
                Private::Ed448 { .. } => ed448_key(),
            };
            (profile.kid, private)
        })
        .collect();
    let odd_key = |private: Private, members: Value| Key {
        public: public_jwk(&private, members),
        private,
    };
    let mut odd = BTreeMap::new();
    // No `alg`: the key serves its family's algorithms.
    odd.insert(
        "rsa-no-alg",
        odd_key(rsa_key(KeySize::Rsa2048), json!({"kid": "rsa-no-alg"})),
    );
    odd.insert(
        "ec-no-alg",
        odd_key(curve_key("ES256"), json!({"kid": "ec-no-alg"})),
    );
    odd.insert(
        "okp-no-alg",
        odd_key(curve_key("EdDSA"), json!({"kid": "okp-no-alg"})),
    );
    // Two keys under one kid.
    odd.insert(
        "duplicate-first",
        odd_key(
            rsa_key(KeySize::Rsa2048),
            json!({"kid": "duplicate", "use": "sig"}),
        ),
    );
    odd.insert(
        "duplicate-second",
        odd_key(
            rsa_key(KeySize::Rsa2048),
            json!({"kid": "duplicate", "use": "sig"}),
        ),
    );
    odd.insert(
        "use-enc",
        odd_key(
            rsa_key(KeySize::Rsa2048),
            json!({"kid": "use-enc", "use": "enc"}),
        ),
    );
    odd.insert(
        "key-ops-encrypt",
        odd_key(
            rsa_key(KeySize::Rsa2048),
            json!({"kid": "key-ops-encrypt", "key_ops": ["encrypt"]}),
        ),
    );
    odd.insert(
        "rsa-1024",
        odd_key(rsa_1024_key(), json!({"kid": "rsa-1024", "use": "sig"})),
    );
    odd.insert(
        "rsa-alg-rs256",
        odd_key(
            rsa_key(KeySize::Rsa2048),
            json!({"kid": "rsa-alg-rs256", "alg": "RS256"}),
        ),
    );
    odd.insert(
        "ec-p256-alg-es384",
        odd_key(
            curve_key("ES256"),
            json!({"kid": "ec-p256-alg-es384", "alg": "ES384"}),
        ),
    );
    odd.insert(
        "ed448-no-alg",
        odd_key(ed448_key(), json!({"kid": "ed448-no-alg"})),
    );
    let keys: Vec<Value> = profiles
        .iter()
        .map(|profile| profile.key.public.clone())
        .chain(odd.values().map(|key| key.public.clone()))
        .collect();
    KeySet {
        profiles,
        impostors,
        odd,
        jwks: json!({ "keys": keys }),
    }
}

// ---------------------------------------------------------------- tokens

/// One generated token.
struct Case {
    class: &'static str,
    /// The profile's kid (the algorithm and key it was made for).
    profile: &'static str,
    alg: &'static str,
    token: String,
}

/// Builds the mutations of one profile.
struct Generator<'a> {
    profile: &'a Profile,
    set: &'a KeySet,
    rng: &'a mut Rng,
    now: u64,
    cases: Vec<Case>,
}

fn b64s(text: &str) -> String {
    b64(text.as_bytes())
}

impl Generator<'_> {
    fn alg(&self) -> &'static str {
        self.profile.alg
    }

    fn header(&self) -> Value {
        json!({"alg": self.alg(), "kid": self.profile.kid, "typ": "JWT"})
    }

    fn claims(&self) -> Value {
        let now = self.now;
        json!({
            "iss": ISSUER, "sub": "user-1", "aud": AUDIENCE,
            "iat": now - 60, "nbf": now - 60, "exp": now + 3600,
            "jti": format!("{:016x}", self.rng_peek()),
        })
    }

    /// A value from the seed without advancing it (the jti of a token).
    fn rng_peek(&self) -> u64 {
        self.rng.0
    }

    fn signature(&self, input: &str) -> Vec<u8> {
        sign_as(
            self.alg(),
            &self.profile.key.private,
            input.as_bytes(),
            Salt::HashLength,
        )
    }

    /// The encoded `header` and `payload` segments, signed as they are
    /// (non-canonical encodings included).
    fn signed(&self, header: &str, payload: &str) -> String {
        let input = format!("{header}.{payload}");
        let signature = self.signature(&input);
        format!("{input}.{}", b64(signature))
    }

    /// Header and payload JSON texts, encoded and signed.
    fn raw(&self, header: &str, payload: &str) -> String {
        self.signed(&b64s(header), &b64s(payload))
    }

    fn json(&self, header: &Value, claims: &Value) -> String {
        self.raw(&header.to_string(), &claims.to_string())
    }

    fn push(&mut self, class: &'static str, token: String) {
        self.rng.next();
        self.cases.push(Case {
            class,
            profile: self.profile.kid,
            alg: self.alg(),
            token,
        });
    }

    /// The valid claims with `changes` (a null removes a claim).
    fn claims_with(&self, changes: Value) -> Value {
        with_changes(self.claims(), &changes)
    }

    fn header_with(&self, changes: Value) -> Value {
        with_changes(self.header(), &changes)
    }

    fn claim(&mut self, class: &'static str, changes: Value) {
        let token = self.json(&self.header(), &self.claims_with(changes));
        self.push(class, token);
    }

    fn head(&mut self, class: &'static str, changes: Value) {
        let token = self.json(&self.header_with(changes), &self.claims());
        self.push(class, token);
    }

    /// The claims as JSON text with `extra` spliced in before the last `}`.
    fn claims_text_with(&self, extra: &str) -> String {
        let text = self.claims().to_string();
        format!("{}{extra}}}", &text[..text.len() - 1])
    }

    fn valid(&mut self) {
        for _ in 0..4 {
            let token = self.json(&self.header(), &self.claims());
            self.push("valid.plain", token);
        }
        self.head("valid.typ_at_jwt", json!({"typ": "at+jwt"}));
        self.head("valid.no_typ", json!({"typ": null}));
        self.head("valid.unknown_header_member", json!({"x-trace": "abc"}));
        self.head("valid.cty_other", json!({"cty": "text/plain"}));
        self.head(
            "valid.key_urls_ignored",
            json!({"jku": "https://attacker.example/jwks", "x5u": "https://attacker.example/x5"}),
        );
        self.claim("valid.aud_array", json!({"aud": ["other", AUDIENCE]}));
        self.claim(
            "valid.extra_claims",
            json!({"roles": ["a", "b"], "nested": {"deep": [1, {"x": null}]}, "name": "Zoë 🐙"}),
        );
        self.claim("valid.no_iat_no_nbf", json!({"iat": null, "nbf": null}));
        self.claim(
            "valid.exp_fraction",
            json!({"exp": self.now as f64 + 3600.5}),
        );
        let pretty = serde_json::to_string_pretty(&self.claims()).unwrap();
        let token = self.raw(&self.header().to_string(), &pretty);
        self.push("valid.pretty_json", token);
        let escaped = self
            .claims()
            .to_string()
            .replace("\"iss\"", "\"\\u0069ss\"")
            .replace("https:", "\\u0068ttps:");
        let token = self.raw(&self.header().to_string(), &escaped);
        self.push("valid.unicode_escapes", token);
        let exponent = self.claims().to_string().replace(
            &format!("\"exp\":{}", self.now + 3600),
            &format!("\"exp\":{}e0", self.now + 3600),
        );
        let token = self.raw(&self.header().to_string(), &exponent);
        self.push("valid.exp_exponent_notation", token);
        let token = self.raw(
            &self.header().to_string(),
            &format!(" {} \n", self.claims()),
        );
        self.push("valid.json_surrounding_whitespace", token);
        self.claim(
            "valid.scope_string",
            json!({"scope": "chat:read chat:write"}),
        );
    }

    fn header_mutations(&mut self) {
        let claims = b64s(&self.claims().to_string());
        for name in ["none", "None", "NONE"] {
            let header = b64s(&self.header_with(json!({"alg": name})).to_string());
            self.push("header.alg_none", format!("{header}.{claims}."));
            let token = format!(
                "{header}.{claims}.{}",
                b64(self.signature(&format!("{header}.{claims}")))
            );
            self.push("header.alg_none", token);
        }
        // The public key as an HMAC secret (key confusion).
        for (hmac, secret) in [
            ("HS256", self.profile.key.public.to_string().into_bytes()),
            ("HS256", public_key_pem(&self.profile.key.private)),
        ] {
            let header = b64s(&self.header_with(json!({"alg": hmac})).to_string());
            let input = format!("{header}.{claims}");
            let signer = HmacSigner::new(hmac, &secret).unwrap();
            let token = format!("{input}.{}", b64(signer.sign(input.as_bytes()).unwrap()));
            self.push("header.alg_hmac", token);
        }
        let lower = self.alg().to_lowercase();
        self.head("header.alg_case", json!({"alg": lower}));
        let other_family = if self.alg().starts_with("ES") {
            "RS256"
        } else {
            "ES256"
        };
        self.head("header.alg_other_family", json!({"alg": other_family}));
        for alg in [json!(256), json!(["RS256"]), json!({"alg": "RS256"})] {
            self.head("header.alg_type", json!({ "alg": alg }));
        }
        self.head("header.alg_missing", json!({"alg": null}));
        self.head("header.kid_missing", json!({"kid": null}));
        self.head("header.kid_empty", json!({"kid": ""}));
        self.head("header.kid_unknown", json!({"kid": "no-such-key"}));
        self.head("header.kid_unknown", json!({"kid": "../../etc/passwd"}));
        for kid in [json!(7), json!(["rs256"]), json!(true)] {
            self.head("header.kid_type", json!({ "kid": kid }));
        }
        let mut null_kid = self.header();
        null_kid["kid"] = Value::Null;
        let token = self.raw(&null_kid.to_string(), &self.claims().to_string());
        self.push("header.kid_null", token);
        self.head(
            "header.crit_unknown",
            json!({"crit": ["exp"], "exp": self.now + 3600}),
        );
        self.head(
            "header.crit_unknown",
            json!({"crit": ["urn:example:ext"], "urn:example:ext": 1}),
        );
        self.head("header.crit_empty", json!({"crit": []}));
        self.head("header.crit_type", json!({"crit": "exp"}));
        self.head("header.cty_jwt", json!({"cty": "JWT"}));
        self.head("header.cty_jwt", json!({"cty": "jwt"}));
        self.head("header.typ_type", json!({"typ": 7}));
        self.head("header.typ_type", json!({"typ": ["JWT"]}));
        self.head("header.typ_other", json!({"typ": "secevent+jwt"}));
        // An embedded key, signed by that key: only the key set counts.
        let attacker = &self.set.impostors[self.profile.kid];
        let embedded = public_jwk(attacker, json!({"kid": self.profile.kid}));
        let header = b64s(&self.header_with(json!({ "jwk": embedded })).to_string());
        let input = format!("{header}.{claims}");
        let signature = sign_as(self.alg(), attacker, input.as_bytes(), Salt::HashLength);
        self.push(
            "header.jwk_embedded_forgery",
            format!("{input}.{}", b64(signature)),
        );
        for text in ["[]", "\"RS256\"", "1", "null"] {
            let token = self.raw(text, &self.claims().to_string());
            self.push("header.not_object", token);
        }
    }

    fn json_mutations(&mut self) {
        let header = self.header().to_string();
        let claims = self.claims().to_string();
        let kid = self.profile.kid;
        let alg = self.alg();
        for duplicate in [
            format!("{{\"alg\":\"{alg}\",\"kid\":\"no-such-key\",\"kid\":\"{kid}\"}}"),
            format!("{{\"alg\":\"none\",\"alg\":\"{alg}\",\"kid\":\"{kid}\"}}"),
            format!("{{\"alg\":\"{alg}\",\"kid\":\"{kid}\",\"typ\":\"JWT\",\"typ\":\"JWT\"}}"),
            format!("{{\"alg\":\"{alg}\",\"kid\":\"{kid}\",\"x\":1,\"x\":2}}"),
            format!("{{\"alg\":\"{alg}\",\"k\\u0069d\":\"no-such-key\",\"kid\":\"{kid}\"}}"),
        ] {
            let token = self.raw(&duplicate, &claims);
            self.push("json.duplicate_header_member", token);
        }
        let now = self.now;
        for extra in [
            ",\"sub\":\"admin\"".to_owned(),
            ",\"aud\":\"other\"".to_owned(),
            format!(",\"exp\":{}", now + 7200),
            ",\"iss\":\"https://issuer.differential.test\"".to_owned(),
            ",\"\\u0073ub\":\"admin\"".to_owned(),
        ] {
            let token = self.raw(&header, &self.claims_text_with(&extra));
            self.push("json.duplicate_claim", token);
        }
        // The duplicate first, the value every verifier accepts last.
        let first_wrong = claims.replacen('{', "{\"aud\":\"other\",", 1);
        let token = self.raw(&header, &first_wrong);
        self.push("json.duplicate_claim", token);
        let bom = |text: &str| format!("\u{feff}{text}");
        let token = self.raw(&bom(&header), &claims);
        self.push("json.bom_header", token);
        let token = self.raw(&header, &bom(&claims));
        self.push("json.bom_payload", token);
        // Invalid UTF-8 inside a claim nobody reads.
        let mut bytes = self.claims_text_with(",\"name\":\"x\"").into_bytes();
        let at = bytes.len() - 3;
        bytes[at] = 0xff;
        let token = self.signed(&b64s(&header), &b64(&bytes));
        self.push("json.invalid_utf8_payload", token);
        let mut bytes = self.header_with(json!({"x": "x"})).to_string().into_bytes();
        let at = bytes.iter().rposition(|b| *b == b'x').unwrap();
        bytes[at] = 0xc3;
        let token = self.signed(&b64(&bytes), &b64s(&claims));
        self.push("json.invalid_utf8_header", token);
        let token = self.raw(&header, &self.claims_text_with(",\"name\":\"\\ud800\""));
        self.push("json.lone_surrogate", token);
        let token = self.raw(&header, &self.claims_text_with(",\"name\":\"a\\u0000b\""));
        self.push("json.nul_escape", token);
        let deep = format!(",\"deep\":{}{}", "[".repeat(300), "]".repeat(300));
        let token = self.raw(&header, &self.claims_text_with(&deep));
        self.push("json.deep_nesting", token);
        let token = self.raw(&header, &self.claims_text_with(",\"n\":1e400"));
        self.push("json.number_overflow", token);
        let token = self.raw(&header, &self.claims_text_with(",\"n\":NaN"));
        self.push("json.nan_literal", token);
        let token = self.raw(
            &header,
            &self.claims_text_with(",\"n\":123456789012345678901234567890"),
        );
        self.push("json.big_integer", token);
        let token = self.raw(
            &header,
            &self.claims_text_with(",\"__proto__\":{\"admin\":true}"),
        );
        self.push("json.proto_member", token);
        let token = self.raw(&header, &format!("{claims} x"));
        self.push("json.trailing_garbage", token);
        let token = self.raw(&header, &self.claims_text_with(","));
        self.push("json.trailing_comma", token);
        let token = self.raw(&header, &claims.replace('"', "'"));
        self.push("json.single_quotes", token);
        for text in ["[]", "\"text\"", "1", "null", "true"] {
            let token = self.raw(&header, text);
            self.push("json.payload_not_object", token);
        }
    }

    fn claim_mutations(&mut self) {
        let now = self.now;
        self.claim("claims.exp_missing", json!({"exp": null}));
        self.claim("claims.exp_past", json!({"exp": now - 600}));
        self.claim("claims.exp_past", json!({"exp": now - 86_400}));
        self.claim(
            "claims.exp_string",
            json!({"exp": (now + 3600).to_string()}),
        );
        self.claim("claims.exp_string", json!({"exp": "tomorrow"}));
        self.claim("claims.exp_bool", json!({"exp": true}));
        let mut null_exp = self.claims();
        null_exp["exp"] = Value::Null;
        let token = self.json(&self.header(), &null_exp);
        self.push("claims.exp_null", token);
        self.claim("claims.exp_beyond_year_9999", json!({"exp": 1e19}));
        self.claim(
            "claims.exp_beyond_year_9999",
            json!({"exp": 253_402_300_800_u64}),
        );
        self.claim("claims.exp_negative", json!({"exp": -1}));
        self.claim("claims.exp_array", json!({"exp": [now + 3600]}));
        self.claim("claims.exp_object", json!({"exp": {"at": now + 3600}}));
        self.claim("claims.nbf_future", json!({"nbf": now + 3600}));
        self.claim("claims.nbf_string", json!({"nbf": (now - 60).to_string()}));
        self.claim("claims.nbf_bool", json!({"nbf": false}));
        self.claim("claims.nbf_beyond_year_9999", json!({"nbf": 1e19}));
        self.claim("claims.nbf_negative", json!({"nbf": -5}));
        self.claim("claims.iat_future", json!({"iat": now + 3600}));
        self.claim("claims.iat_string", json!({"iat": (now - 60).to_string()}));
        self.claim("claims.iat_bool", json!({"iat": true}));
        self.claim("claims.iat_negative", json!({"iat": -5}));
        self.claim("claims.iat_beyond_year_9999", json!({"iat": 1e19}));
        self.claim("claims.iss_wrong", json!({"iss": "https://other.test"}));
        self.claim("claims.iss_wrong", json!({"iss": format!("{ISSUER}/")}));
        self.claim("claims.iss_wrong", json!({"iss": ISSUER.to_uppercase()}));
        self.claim("claims.iss_missing", json!({"iss": null}));
        for iss in [json!([ISSUER]), json!(7), json!({"iss": ISSUER})] {
            self.claim("claims.iss_type", json!({ "iss": iss }));
        }
        self.claim("claims.aud_wrong", json!({"aud": "api://other"}));
        self.claim("claims.aud_wrong", json!({"aud": AUDIENCE.to_uppercase()}));
        self.claim("claims.aud_wrong", json!({"aud": format!("{AUDIENCE}/")}));
        self.claim("claims.aud_missing", json!({"aud": null}));
        self.claim(
            "claims.aud_missing_client_id_matches",
            json!({"aud": null, "client_id": AUDIENCE}),
        );
        self.claim(
            "claims.aud_wrong_client_id_matches",
            json!({"aud": "api://other", "client_id": AUDIENCE}),
        );
        for aud in [
            json!([AUDIENCE, 1]),
            json!([AUDIENCE, null]),
            json!([{"aud": AUDIENCE}, AUDIENCE]),
            json!([AUDIENCE, [AUDIENCE]]),
        ] {
            self.claim("claims.aud_array_non_string", json!({ "aud": aud }));
        }
        self.claim("claims.aud_empty_array", json!({"aud": []}));
        for aud in [
            json!(1),
            json!({"aud": AUDIENCE}),
            json!(true),
            json!([[AUDIENCE]]),
        ] {
            self.claim("claims.aud_type", json!({ "aud": aud }));
        }
        self.claim("claims.sub_number", json!({"sub": 123}));
        self.claim("claims.sub_number", json!({"sub": 1.5}));
        self.claim("claims.sub_missing", json!({"sub": null}));
        self.claim("claims.sub_empty", json!({"sub": ""}));
        for sub in [json!(true), json!({"id": "user-1"}), json!(["user-1"])] {
            self.claim("claims.sub_type", json!({ "sub": sub }));
        }
        self.claim("claims.jti_type", json!({"jti": 42}));
        self.claim("claims.scope_array", json!({"scope": ["chat:read"]}));
        self.claim("claims.client_id_type", json!({"client_id": 7}));
    }

    /// Each of the three segments of a valid token, mutated by `change` (the
    /// header and payload re-signed, so only the encoding differs).
    fn each_segment(&mut self, class: &'static str, change: impl Fn(&str) -> Option<String>) {
        let header = b64s(&self.header().to_string());
        let payload = b64s(&self.claims().to_string());
        if let Some(changed) = change(&header) {
            let token = self.signed(&changed, &payload);
            self.push(class, token);
        }
        if let Some(changed) = change(&payload) {
            let token = self.signed(&header, &changed);
            self.push(class, token);
        }
        let token = self.signed(&header, &payload);
        let (input, signature) = token.rsplit_once('.').unwrap();
        if let Some(changed) = change(signature) {
            self.push(class, format!("{input}.{changed}"));
        }
    }

    fn encoding_mutations(&mut self) {
        self.each_segment("encoding.padding", |segment| {
            (segment.len() % 4 != 0)
                .then(|| format!("{segment}{}", "=".repeat(4 - segment.len() % 4)))
        });
        self.each_segment("encoding.standard_alphabet", |segment| {
            segment
                .contains(['-', '_'])
                .then(|| segment.replace('-', "+").replace('_', "/"))
        });
        self.each_segment("encoding.whitespace", |segment| {
            let middle = segment.len() / 2;
            Some(format!("{} {}", &segment[..middle], &segment[middle..]))
        });
        self.each_segment("encoding.line_break", |segment| {
            let middle = segment.len() / 2;
            Some(format!("{}\n{}", &segment[..middle], &segment[middle..]))
        });
        self.each_segment("encoding.trailing_bits", |segment| {
            // With 2 or 3 characters in the last group, the last character
            // has unused low bits: set one.
            if segment.len() % 4 < 2 {
                return None;
            }
            let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
            let last = segment.as_bytes()[segment.len() - 1];
            let index = alphabet.iter().position(|c| *c == last).unwrap();
            Some(format!(
                "{}{}",
                &segment[..segment.len() - 1],
                alphabet[index | 1] as char
            ))
            .filter(|changed| changed != segment)
        });
        self.each_segment("encoding.invalid_character", |segment| {
            Some(format!("{}*{}", &segment[..4], &segment[4..]))
        });
        let token = self.json(&self.header(), &self.claims());
        let (header, rest) = token.split_once('.').unwrap();
        let (payload, signature) = rest.split_once('.').unwrap();
        for changed in [
            format!("{header}.{payload}"),
            format!("{header}.{payload}.{signature}.{signature}"),
            format!("{header}.{payload}.{signature}.."),
            format!("{header}..{signature}"),
            format!(".{payload}.{signature}"),
            format!("{header}.{payload}."),
        ] {
            self.push("encoding.parts", changed);
        }
        self.push("encoding.surrounding_space", format!(" {token}"));
        self.push("encoding.surrounding_space", format!("{token} "));
        let large = format!(",\"blob\":\"{}\"", "x".repeat(9000));
        let token = self.raw(&self.header().to_string(), &self.claims_text_with(&large));
        self.push("encoding.over_8_kib", token);
    }

    fn signature_mutations(&mut self) {
        let alg = self.alg();
        let token = self.json(&self.header(), &self.claims());
        let (input, signature) = token.rsplit_once('.').unwrap();
        let (input, signature) = (input.to_owned(), URL_SAFE_NO_PAD.decode(signature).unwrap());
        let with = |bytes: &[u8]| format!("{input}.{}", b64(bytes));
        for _ in 0..6 {
            let mut flipped = signature.clone();
            let at = self.rng.below(flipped.len());
            flipped[at] ^= 1 << self.rng.below(8);
            self.push("signature.bit_flip", with(&flipped));
        }
        self.push(
            "signature.truncated",
            with(&signature[..signature.len() - 1]),
        );
        self.push(
            "signature.truncated",
            with(&signature[..signature.len() / 2]),
        );
        self.push(
            "signature.extended",
            with(&[signature.as_slice(), &[0]].concat()),
        );
        self.push(
            "signature.extended",
            with(&[&[0], signature.as_slice()].concat()),
        );
        self.push("signature.all_zero", with(&vec![0; signature.len()]));
        self.push("signature.empty_bytes", format!("{input}."));
        let impostor = &self.set.impostors[self.profile.kid];
        let forged = sign_as(alg, impostor, input.as_bytes(), Salt::HashLength);
        self.push("signature.other_key_same_kid", with(&forged));
        // A signature whose first byte is zero, without it: RSA signatures
        // are as long as the modulus, ECDSA's as twice the order.
        if alg != "EdDSA" {
            let (input, zero) = (0..20_000)
                .find_map(|n| {
                    let token = self.json(
                        &self.header(),
                        &self.claims_with(json!({"jti": format!("zero-{n}")})),
                    );
                    let (input, signature) = token.rsplit_once('.').unwrap();
                    let signature = URL_SAFE_NO_PAD.decode(signature).unwrap();
                    (signature[0] == 0).then(|| (input.to_owned(), signature))
                })
                .expect("a signature with a leading zero byte");
            self.push(
                "signature.leading_zero_kept",
                format!("{input}.{}", b64(&zero)),
            );
            self.push(
                "signature.leading_zero_stripped",
                format!("{input}.{}", b64(&zero[1..])),
            );
        }
        match &alg[..2] {
            "RS" | "PS" => {
                // The other RSA padding, same key and hash.
                let padding = if alg.starts_with("RS") { "PS" } else { "RS" };
                let other = format!("{padding}{}", &alg[2..]);
                let signature = sign_as(
                    &other,
                    &self.profile.key.private,
                    input.as_bytes(),
                    Salt::HashLength,
                );
                self.push("signature.other_rsa_padding", with(&signature));
            }
            "ES" => {
                let size = ec_size(alg);
                let (r, s) = signature.split_at(size);
                let order = ec_order(alg);
                let (fixed, asn1): (
                    &'static lc::EcdsaVerificationAlgorithm,
                    &'static lc::EcdsaVerificationAlgorithm,
                ) = match alg {
                    "ES256" => (&lc::ECDSA_P256_SHA256_FIXED, &lc::ECDSA_P256_SHA256_ASN1),
                    "ES384" => (&lc::ECDSA_P384_SHA384_FIXED, &lc::ECDSA_P384_SHA384_ASN1),
                    _ => (&lc::ECDSA_P521_SHA512_FIXED, &lc::ECDSA_P521_SHA512_ASN1),
                };
                let key = &self.profile.key.private;
                // s' = n - s: the same signature, the other s (ECDSA does not
                // tell the two apart; only a low-S rule would).
                let high_s = padded(
                    &(BigUint::from_bytes_be(&order) - BigUint::from_bytes_be(s)),
                    size,
                );
                let high_s = [r, high_s.as_slice()].concat();
                assert_verifies(fixed, key, input.as_bytes(), &high_s);
                self.push("signature.ecdsa_high_s", with(&high_s));
                let der = testkit::ecdsa_der(r, s);
                assert_verifies(asn1, key, input.as_bytes(), &der);
                self.push("signature.ecdsa_der", with(&der));
                let mut order_r = order;
                order_r.extend_from_slice(&signature[size..]);
                self.push("signature.ecdsa_r_is_order", with(&order_r));
            }
            _ => {}
        }
        if alg.starts_with("PS") {
            for salt in [Salt::Empty, Salt::Maximum] {
                let signature = sign_as(alg, &self.profile.key.private, input.as_bytes(), salt);
                self.push("signature.pss_salt_length", with(&signature));
            }
        }
    }

    /// A token of this profile's algorithm signed by the odd key `name`,
    /// with `kid` in its header.
    fn with_odd_key(&mut self, class: &'static str, name: &str, kid: &str) {
        let header = self.header_with(json!({ "kid": kid }));
        let input = format!(
            "{}.{}",
            b64s(&header.to_string()),
            b64s(&self.claims().to_string())
        );
        let private = &self.set.odd[name].private;
        let signature = sign_as(self.alg(), private, input.as_bytes(), Salt::HashLength);
        self.push(class, format!("{input}.{}", b64(signature)));
    }

    /// Tokens for the key set's oddities that fit this profile's algorithm.
    fn key_set_mutations(&mut self) {
        let alg = self.alg();
        let family = match &alg[..2] {
            "RS" | "PS" => "RSA",
            "ES" => "EC",
            _ => "OKP",
        };
        match family {
            "RSA" => {
                self.with_odd_key("keyset.no_alg", "rsa-no-alg", "rsa-no-alg");
                self.with_odd_key("keyset.duplicate_kid", "duplicate-first", "duplicate");
                self.with_odd_key("keyset.duplicate_kid", "duplicate-second", "duplicate");
                self.with_odd_key("keyset.use_enc", "use-enc", "use-enc");
                self.with_odd_key(
                    "keyset.key_ops_without_verify",
                    "key-ops-encrypt",
                    "key-ops-encrypt",
                );
                // A PS512 signature (two hashes of 64 bytes) does not fit a 1024-bit key.
                if alg != "PS512" {
                    self.with_odd_key("keyset.rsa_1024", "rsa-1024", "rsa-1024");
                }
                if alg != "RS256" {
                    self.with_odd_key(
                        "keyset.alg_other_than_token",
                        "rsa-alg-rs256",
                        "rsa-alg-rs256",
                    );
                }
            }
            "EC" => {
                if alg == "ES256" {
                    self.with_odd_key("keyset.no_alg", "ec-no-alg", "ec-no-alg");
                    self.with_odd_key(
                        "keyset.alg_other_than_token",
                        "ec-p256-alg-es384",
                        "ec-p256-alg-es384",
                    );
                }
            }
            _ => {
                if self.profile.kid == "ed448" {
                    self.with_odd_key("keyset.no_alg", "ed448-no-alg", "ed448-no-alg");
                } else {
                    self.with_odd_key("keyset.no_alg", "okp-no-alg", "okp-no-alg");
                }
            }
        }
    }
}

fn generate(set: &KeySet, now: u64) -> Vec<Case> {
    let mut rng = Rng(SEED);
    let mut cases = Vec::new();
    for profile in &set.profiles {
        let mut generator = Generator {
            profile,
            set,
            rng: &mut rng,
            now,
            cases: Vec::new(),
        };
        generator.valid();
        generator.header_mutations();
        generator.json_mutations();
        generator.claim_mutations();
        generator.encoding_mutations();
        generator.signature_mutations();
        generator.key_set_mutations();
        cases.extend(generator.cases);
    }
    cases
}

// ---------------------------------------------------------------- ours

/// Our verdict on each token: the decision of `Authorizer::authorize`, the
/// Lambda's own code path, with the key set inline.
async fn our_verdicts(jwks: &Value, cases: &[Case]) -> Vec<(bool, String)> {
    let jwks = jwks.to_string();
    let config = config_from(&[
        ("JWKS_JSON", jwks.as_str()),
        ("JWT_ISSUER", ISSUER),
        ("JWT_AUTHORIZED_AUDIENCES", AUDIENCE),
        ("JWT_LEEWAY_SECONDS", "0"),
    ]);
    let authorizer = Authorizer::new(config).unwrap();
    let mut verdicts = Vec::with_capacity(cases.len());
    for case in cases {
        verdicts.push(
            match authorizer.authorize(&query_event(&case.token)).await {
                Ok(response) => {
                    let response = serde_json::to_value(response).unwrap();
                    let effect = &response["policyDocument"]["Statement"][0]["Effect"];
                    (effect == "Allow", "allowed".to_owned())
                }
                Err(error) => (false, error.refusal.code().to_owned()),
            },
        );
    }
    verdicts
}

// ---------------------------------------------------------------- table

/// A row of the table: a class, a peer, and which side accepts.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Disagreement {
    class: String,
    peer: String,
    we_accept: bool,
}

/// The rows of `tests/differential/expected.md`: `| class | peer | ours |
/// theirs | why |`, `both` standing for each peer.
fn expected_classes() -> BTreeMap<Disagreement, String> {
    let text = std::fs::read_to_string(suite_dir().join("expected.md")).unwrap();
    let mut rows = BTreeMap::new();
    for line in text.lines().filter(|line| line.starts_with("| `")) {
        let cells: Vec<&str> = line.trim_matches('|').split(" | ").map(str::trim).collect();
        assert_eq!(cells.len(), 5, "a row has five cells: {line}");
        let class = cells[0].trim_matches('`');
        let accepts = |cell: &str| match cell {
            "accept" => true,
            "refuse" => false,
            other => panic!("ours/theirs is accept or refuse, not {other:?}: {line}"),
        };
        let (ours, theirs) = (accepts(cells[2]), accepts(cells[3]));
        assert_ne!(ours, theirs, "a disagreement: {line}");
        assert!(cells[4].len() > 20, "every class says why: {line}");
        if ours {
            assert!(
                cells[4].starts_with("Safe: "),
                "accepting what a peer refuses must say why it is safe (\"Safe: …\"): {line}"
            );
        }
        let peers: Vec<&str> = match cells[1] {
            "both" => PEERS.to_vec(),
            peer => {
                assert!(PEERS.contains(&peer), "unknown peer {peer:?}: {line}");
                vec![peer]
            }
        };
        for peer in peers {
            let key = Disagreement {
                class: class.to_owned(),
                peer: peer.to_owned(),
                we_accept: ours,
            };
            assert!(
                rows.insert(key, cells[4].to_owned()).is_none(),
                "duplicate row: {line}"
            );
        }
    }
    rows
}

/// Whether `peer` supports `alg` (aws-jwt-verify has no PS256/384/512).
fn supports(peer: &str, alg: &str) -> bool {
    !(peer == "aws-jwt-verify" && alg.starts_with("PS"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_disagreement_with_pyjwt_and_aws_jwt_verify_is_an_expected_class() {
    ensure_peers_installed();
    let set = key_set();
    let now = now();
    let cases = generate(&set, now);
    assert!(cases.len() >= 2000, "{} tokens", cases.len());
    let ours = our_verdicts(&set.jwks, &cases).await;

    // Ed448 is no longer verified: the key set's Ed448 keys are skipped,
    // saying why, no token of the Ed448 profile is accepted, and each that
    // was (its valid ones) is refused as naming no usable key.
    let parsed =
        AuthorizerKeySet::parse(set.jwks.to_string().as_bytes(), AlgorithmSet::all()).unwrap();
    for kid in ED448_KIDS {
        let reasons: Vec<&str> = parsed
            .skipped()
            .iter()
            .filter(|skipped| skipped.kid.as_deref() == Some(kid))
            .map(|skipped| skipped.reason.as_str())
            .collect();
        assert_eq!(reasons, [NO_ED448], "the Ed448 key {kid}");
    }
    let mut ed448_valid = 0;
    for (index, (case, (accepted, why))) in cases.iter().zip(&ours).enumerate() {
        if case.profile != ED448_KIDS[0] {
            continue;
        }
        assert!(
            !accepted,
            "#{index} {}: an Ed448 token accepted",
            case.class
        );
        if case.class.starts_with("valid.") || case.class == "keyset.no_alg" {
            ed448_valid += 1;
            assert_eq!(why, ED448_REFUSAL, "#{index} {} (Ed448)", case.class);
        }
    }
    assert_eq!(ed448_valid, 19, "the valid Ed448 tokens");

    let corpus = json!({
        "issuer": ISSUER,
        "audience": AUDIENCE,
        "jwks": set.jwks,
        "tokens": cases.iter().map(|case| case.token.as_str()).collect::<Vec<_>>(),
    });
    let out = out_dir();
    std::fs::create_dir_all(&out).unwrap();
    let corpus_path = out.join("corpus.json");
    std::fs::write(&corpus_path, corpus.to_string()).unwrap();
    let peers = peer_verdicts(&corpus_path);

    // Every verdict, one line per token, to read when a class changes.
    let lines: String = cases
        .iter()
        .enumerate()
        .map(|(index, case)| {
            let verdict =
                |(accepted, why): &(bool, String)| json!({"accepted": accepted, "why": why});
            format!(
                "{}\n",
                json!({
                    "id": index, "class": case.class, "profile": case.profile,
                    "ours": verdict(&ours[index]),
                    "PyJWT": verdict(&peers["PyJWT"][index]),
                    "aws-jwt-verify": verdict(&peers["aws-jwt-verify"][index]),
                })
            )
        })
        .collect();
    std::fs::write(out.join("verdicts.jsonl"), lines).unwrap();

    let expected = expected_classes();
    let mut seen: BTreeMap<Disagreement, usize> = BTreeMap::new();
    let mut unexpected = Vec::new();
    let mut report = String::new();
    let mut figures = Vec::new();
    for peer in PEERS {
        let theirs = &peers[peer];
        assert_eq!(theirs.len(), cases.len(), "{peer} answered every token");
        let (mut compared, mut agreed) = (0, 0);
        for (index, case) in cases.iter().enumerate() {
            if !supports(peer, case.alg) {
                continue;
            }
            compared += 1;
            let ((we_accept, our_why), (they_accept, their_why)) = (&ours[index], &theirs[index]);
            if we_accept == they_accept {
                agreed += 1;
                continue;
            }
            // Any disagreement on a token of an Ed448 key that we refuse for
            // that key is one class: the peers verify Ed448, we no longer do.
            let class = if case.profile == ED448_KIDS[0] && our_why == ED448_REFUSAL {
                ED448_CLASS
            } else {
                case.class
            };
            let key = Disagreement {
                class: class.to_owned(),
                peer: peer.to_owned(),
                we_accept: *we_accept,
            };
            if expected.contains_key(&key) {
                *seen.entry(key).or_default() += 1;
            } else {
                unexpected.push(format!(
                    "#{index} {} ({}, {}): we {} ({our_why}), {peer} {} ({their_why})",
                    case.class,
                    case.profile,
                    case.alg,
                    if *we_accept { "accept" } else { "refuse" },
                    if *they_accept { "accepts" } else { "refuses" },
                ));
            }
        }
        figures.push(format!(
            "{peer}: {agreed} of {compared} agree ({:.1} %)",
            100.0 * agreed as f64 / compared as f64
        ));
    }
    let stale: Vec<&Disagreement> = expected
        .keys()
        .filter(|key| !seen.contains_key(key))
        .collect();
    let classes: BTreeSet<&str> = expected.keys().map(|key| key.class.as_str()).collect();
    report.push_str(&format!(
        "differential: {} tokens ({} mutation classes), {} expected disagreement classes ({} class and peer pairs)\n",
        cases.len(),
        cases.iter().map(|case| case.class).collect::<BTreeSet<_>>().len(),
        classes.len(),
        expected.len(),
    ));
    for line in &figures {
        report.push_str(&format!("  {line}\n"));
    }
    for (key, count) in &seen {
        report.push_str(&format!(
            "  {:<40} {:<15} we {:<6} x{count}\n",
            key.class,
            key.peer,
            if key.we_accept { "accept" } else { "refuse" }
        ));
    }
    std::fs::write(out.join("report.txt"), &report).unwrap();
    eprintln!("{report}");
    assert!(
        unexpected.is_empty(),
        "{} disagreements outside tests/differential/expected.md:\n{}",
        unexpected.len(),
        unexpected.join("\n")
    );
    assert!(
        stale.is_empty(),
        "classes in tests/differential/expected.md that no longer occur (remove them): {stale:?}"
    );
}
