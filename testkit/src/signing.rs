//! Signing keys and signers for tests, on AWS-LC (the authorizer's own
//! crypto library): RSA (PKCS#1 v1.5 and PSS), ECDSA on P-256, P-384 and
//! P-521, Ed25519, and HMAC for the tokens an authorizer must refuse.

use std::sync::Arc;

use aws_lc_rs::encoding::{AsBigEndian, AsDer, Pkcs8V1Der};
use aws_lc_rs::error::Unspecified;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::{KeyPair as RsaKeyPair, KeySize};
use aws_lc_rs::signature::{self, EcdsaKeyPair, Ed25519KeyPair, KeyPair, RsaEncoding};
use serde_json::{json, Value};

use crate::b64;

/// What signs a JWS: the bytes of the signature over `message`.
pub trait JwsSigner: Send + Sync {
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, Unspecified>;
}

/// A private key of one of the algorithms the authorizer verifies.
pub enum PrivateKey {
    Rsa(RsaKeyPair),
    Ec(EcdsaKeyPair),
    Ed25519(Ed25519KeyPair),
}

impl PrivateKey {
    /// A fresh key for `alg` (RS*, PS*, ES256/384/512, EdDSA).
    pub fn generate(alg: &str) -> Result<Self, Unspecified> {
        Ok(match alg {
            "RS256" | "RS384" | "RS512" | "PS256" | "PS384" | "PS512" => {
                PrivateKey::Rsa(RsaKeyPair::generate(KeySize::Rsa2048)?)
            }
            "ES256" => PrivateKey::Ec(EcdsaKeyPair::generate(
                &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
            )?),
            "ES384" => PrivateKey::Ec(EcdsaKeyPair::generate(
                &signature::ECDSA_P384_SHA384_FIXED_SIGNING,
            )?),
            "ES512" => PrivateKey::Ec(EcdsaKeyPair::generate(
                &signature::ECDSA_P521_SHA512_FIXED_SIGNING,
            )?),
            "EdDSA" => PrivateKey::Ed25519(Ed25519KeyPair::generate()?),
            _ => return Err(Unspecified),
        })
    }

    /// The public JWK (`kty` and the key members only).
    pub fn public_jwk(&self) -> Value {
        match self {
            PrivateKey::Rsa(pair) => {
                let public = pair.public_key();
                json!({
                    "kty": "RSA",
                    "n": b64(public.modulus().big_endian_without_leading_zero()),
                    "e": b64(public.exponent().big_endian_without_leading_zero()),
                })
            }
            PrivateKey::Ec(pair) => {
                let point = pair.public_key().as_ref();
                let half = (point.len() - 1) / 2;
                let crv = match half {
                    32 => "P-256",
                    48 => "P-384",
                    _ => "P-521",
                };
                json!({
                    "kty": "EC",
                    "crv": crv,
                    "x": b64(&point[1..=half]),
                    "y": b64(&point[1 + half..]),
                })
            }
            PrivateKey::Ed25519(pair) => json!({
                "kty": "OKP",
                "crv": "Ed25519",
                "x": b64(pair.public_key().as_ref()),
            }),
        }
    }

    /// The private JWK: the public members and the private ones (RFC 7518
    /// §6.3.2, §6.2.2; RFC 8037 §2), as providers such as oidc-provider
    /// take their keys.
    pub fn private_jwk(&self) -> Value {
        let mut jwk = self.public_jwk();
        match self {
            PrivateKey::Rsa(pair) => {
                let pkcs8: Pkcs8V1Der = pair.as_der().expect("an RSA key encodes");
                let names = ["n", "e", "d", "p", "q", "dp", "dq", "qi"];
                for (name, value) in names.iter().zip(rsa_private_integers(pkcs8.as_ref())) {
                    jwk[*name] = json!(b64(value));
                }
            }
            PrivateKey::Ec(pair) => {
                let d = pair.private_key().as_be_bytes().expect("an EC key encodes");
                jwk["d"] = json!(b64(d.as_ref()));
            }
            PrivateKey::Ed25519(pair) => {
                let seed = pair.seed().expect("an Ed25519 key has a seed");
                let seed = seed.as_be_bytes().expect("a seed encodes");
                jwk["d"] = json!(b64(seed.as_ref()));
            }
        }
        jwk
    }

    /// The private key, PKCS#8 (DER).
    pub fn pkcs8(&self) -> rustls::pki_types::PrivatePkcs8KeyDer<'static> {
        let der: Result<Vec<u8>, Unspecified> = match self {
            PrivateKey::Rsa(pair) => {
                AsDer::<Pkcs8V1Der>::as_der(pair).map(|der| der.as_ref().to_vec())
            }
            PrivateKey::Ec(pair) => pair.to_pkcs8v1().map(|der| der.as_ref().to_vec()),
            PrivateKey::Ed25519(pair) => {
                AsDer::<Pkcs8V1Der>::as_der(pair).map(|der| der.as_ref().to_vec())
            }
        };
        der.expect("a private key encodes").into()
    }

    /// The DER SubjectPublicKeyInfo of the public key.
    pub fn public_key_der(&self) -> Vec<u8> {
        let der = match self {
            PrivateKey::Rsa(pair) => pair.public_key().as_der().map(|der| der.as_ref().to_vec()),
            PrivateKey::Ec(pair) => pair.public_key().as_der().map(|der| der.as_ref().to_vec()),
            PrivateKey::Ed25519(pair) => {
                pair.public_key().as_der().map(|der| der.as_ref().to_vec())
            }
        };
        der.expect("a public key encodes")
    }

    /// The signature of `message` with `alg` (which must fit the key).
    pub fn sign(&self, alg: &str, message: &[u8]) -> Result<Vec<u8>, Unspecified> {
        let random = SystemRandom::new();
        match self {
            PrivateKey::Rsa(pair) => {
                let encoding: &'static dyn RsaEncoding = match alg {
                    "RS256" => &signature::RSA_PKCS1_SHA256,
                    "RS384" => &signature::RSA_PKCS1_SHA384,
                    "RS512" => &signature::RSA_PKCS1_SHA512,
                    "PS256" => &signature::RSA_PSS_SHA256,
                    "PS384" => &signature::RSA_PSS_SHA384,
                    "PS512" => &signature::RSA_PSS_SHA512,
                    _ => return Err(Unspecified),
                };
                let mut signature = vec![0; pair.public_modulus_len()];
                pair.sign(encoding, &random, message, &mut signature)?;
                Ok(signature)
            }
            PrivateKey::Ec(pair) => Ok(pair.sign(&random, message)?.as_ref().to_vec()),
            PrivateKey::Ed25519(pair) => Ok(pair.sign(message).as_ref().to_vec()),
        }
    }
}

/// The INTEGERs of the RSAPrivateKey inside a PKCS#8 key, version left out:
/// n, e, d, p, q, dp, dq, qi (RFC 8017 A.1.2), each without its sign byte.
fn rsa_private_integers(pkcs8: &[u8]) -> Vec<&[u8]> {
    /// One DER element: (tag, content, rest).
    fn element(input: &[u8]) -> (u8, &[u8], &[u8]) {
        let (tag, length_byte) = (input[0], input[1]);
        let (length, start) = if length_byte < 0x80 {
            (usize::from(length_byte), 2)
        } else {
            let count = usize::from(length_byte & 0x7f);
            let length = input[2..2 + count]
                .iter()
                .fold(0, |length, byte| length << 8 | usize::from(*byte));
            (length, 2 + count)
        };
        (tag, &input[start..start + length], &input[start + length..])
    }
    let (_, info, _) = element(pkcs8);
    let (_, _, rest) = element(info); // version
    let (_, _, rest) = element(rest); // algorithm
    let (_, private_key, _) = element(rest); // OCTET STRING
    let (_, mut integers, _) = element(private_key); // RSAPrivateKey
    let mut values = Vec::new();
    while !integers.is_empty() {
        let (_, value, rest) = element(integers);
        values.push(value.strip_prefix(&[0]).unwrap_or(value));
        integers = rest;
    }
    values.split_off(1)
}

/// A signing key and the algorithm it signs with.
#[derive(Clone)]
pub struct KeySigner {
    pub alg: &'static str,
    pub key: Arc<PrivateKey>,
}

impl JwsSigner for KeySigner {
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, Unspecified> {
        self.key.sign(self.alg, message)
    }
}

/// HMAC with SHA-256, -384 or -512 (HS256, HS384, HS512): the algorithms an
/// authorizer of public keys must never accept.
pub struct HmacSigner(aws_lc_rs::hmac::Key);

impl HmacSigner {
    /// HS256, HS384 or HS512 with `secret`.
    pub fn new(alg: &str, secret: &[u8]) -> Option<Self> {
        let algorithm = match alg {
            "HS256" => aws_lc_rs::hmac::HMAC_SHA256,
            "HS384" => aws_lc_rs::hmac::HMAC_SHA384,
            "HS512" => aws_lc_rs::hmac::HMAC_SHA512,
            _ => return None,
        };
        Some(HmacSigner(aws_lc_rs::hmac::Key::new(algorithm, secret)))
    }
}

impl JwsSigner for HmacSigner {
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, Unspecified> {
        Ok(aws_lc_rs::hmac::sign(&self.0, message).as_ref().to_vec())
    }
}

/// One DER element (lengths up to 65 535 bytes).
pub fn der_element(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    match content.len() {
        short @ 0..=0x7f => out.push(short as u8),
        long @ 0x80..=0xff => out.extend([0x81, long as u8]),
        long => out.extend([0x82, (long >> 8) as u8, long as u8]),
    }
    out.extend_from_slice(content);
    out
}

/// An ECDSA signature in DER (`SEQUENCE { INTEGER r, INTEGER s }`, RFC 3279
/// §2.2.3), from the big-endian r and s of a JOSE signature: the encoding a
/// JWS must not use.
pub fn ecdsa_der(r: &[u8], s: &[u8]) -> Vec<u8> {
    let integer = |magnitude: &[u8]| {
        let start = magnitude
            .iter()
            .position(|byte| *byte != 0)
            .unwrap_or(magnitude.len() - 1);
        let magnitude = &magnitude[start..];
        let mut content = Vec::new();
        if magnitude[0] & 0x80 != 0 {
            content.push(0);
        }
        content.extend_from_slice(magnitude);
        der_element(0x02, &content)
    };
    der_element(0x30, &[integer(r), integer(s)].concat())
}
