//! A public key's material, read from a JWK's members or from a DER
//! SubjectPublicKeyInfo (a certificate's, a KMS key's) into one form, and
//! checked once, before any verifier is built from it.
//!
//! Both sources land in [`PublicKey`]: a key published as a JWK and the
//! same key in a certificate compare equal. What AWS-LC would take but a
//! JWS key must not be is refused here with its own reason: RSA exponents
//! that are even, 1 or over 33 bits, ROCA-weak moduli, EC coordinates not
//! exactly the curve's length (RFC 7518 §6.2.1.2), EC parameters given
//! explicitly (RFC 5480 §2.1.1), compressed points, and Ed448, which AWS-LC
//! does not implement (no major provider issues Ed448 tokens). AWS-LC then
//! checks the rest when the verifier is built: the modulus size, the point
//! on its curve, the Ed25519 encoding (`curve_verifier`, `rsa_verifier`).

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use serde_json::{Map, Value};

use crate::algorithm::KeyFamily;
use crate::der::{self, tag, Reader};

/// The ECDSA curves a key may be on, as JWK names them, with the length of
/// each coordinate in bytes and the DER object identifier that names them.
const CURVES: [(&str, usize, &[u8]); 3] = [
    (
        "P-256",
        32,
        &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07],
    ),
    ("P-384", 48, &[0x2b, 0x81, 0x04, 0x00, 0x22]),
    ("P-521", 66, &[0x2b, 0x81, 0x04, 0x00, 0x23]),
];

/// rsaEncryption (1.2.840.113549.1.1.1).
const RSA_ENCRYPTION: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
/// id-ecPublicKey (1.2.840.10045.2.1).
const EC_PUBLIC_KEY: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
/// id-Ed25519 (1.3.101.112).
const ED25519: &[u8] = &[0x2b, 0x65, 0x70];
/// id-Ed448 (1.3.101.113).
const ED448: &[u8] = &[0x2b, 0x65, 0x71];

/// Why Ed448 keys are skipped.
const NO_ED448: &str =
    "Ed448 is not supported: AWS-LC, the one crypto library of this authorizer, does not implement it";

/// The material of one public key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublicKey {
    /// An RSA key: modulus and public exponent, big-endian, no leading zero.
    Rsa { n: Vec<u8>, e: Vec<u8> },
    /// An ECDSA key: its curve's JWK name and the uncompressed point
    /// (`0x04 || x || y`, each coordinate at the curve's full length).
    Ec { curve: &'static str, point: Vec<u8> },
    /// An Ed25519 key: the encoded point.
    Ed25519([u8; 32]),
}

impl PublicKey {
    /// The key family, which decides the algorithms it may verify.
    pub fn family(&self) -> KeyFamily {
        match self {
            PublicKey::Rsa { .. } => KeyFamily::Rsa,
            PublicKey::Ec { curve, .. } => KeyFamily::Ec(curve),
            PublicKey::Ed25519(_) => KeyFamily::Okp,
        }
    }

    /// The key of a JWK's members (`kty` and its key members; the others
    /// are the caller's to check).
    pub fn from_jwk(members: &Map<String, Value>) -> Result<Self, String> {
        let member = |name: &str| members.get(name).and_then(Value::as_str);
        let decoded = |name: &str| {
            member(name)
                .and_then(|value| URL_SAFE_NO_PAD.decode(value).ok())
                .ok_or(format!("member {name} is missing or not base64url"))
        };
        // A published private key lets anyone sign: the set is misconfigured
        // (and whoever has it can forge tokens), so the key is not used.
        if let Some(private) = ["d", "p", "q", "dp", "dq", "qi"]
            .into_iter()
            .find(|name| members.contains_key(*name))
        {
            return Err(format!(
                "holds the private member {private}: a key set publishes public keys only"
            ));
        }
        match member("kty").unwrap_or_default() {
            "RSA" => rsa(&decoded("n")?, &decoded("e")?),
            "EC" => {
                let crv = member("crv").unwrap_or_default();
                let (curve, coordinate_bytes, _) = CURVES
                    .into_iter()
                    .find(|(name, ..)| *name == crv)
                    .ok_or(format!("EC curve {crv:?} is not supported"))?;
                let (x, y) = (decoded("x")?, decoded("y")?);
                if x.len() != coordinate_bytes || y.len() != coordinate_bytes {
                    return Err(format!(
                        "EC coordinates must be {coordinate_bytes} bytes each on {curve} (RFC 7518 §6.2.1.2)"
                    ));
                }
                let mut point = Vec::with_capacity(1 + 2 * coordinate_bytes);
                point.push(0x04);
                point.extend_from_slice(&x);
                point.extend_from_slice(&y);
                Ok(PublicKey::Ec { curve, point })
            }
            "OKP" => match member("crv") {
                Some("Ed25519") => ed25519(&decoded("x")?),
                Some("Ed448") => Err(NO_ED448.to_owned()),
                other => Err(format!("OKP curve {other:?} cannot sign")),
            },
            other => Err(format!(
                "key type {other:?} is not an asymmetric signing key"
            )),
        }
    }

    /// The key of a DER SubjectPublicKeyInfo (RFC 5280 §4.1.2.7).
    pub fn from_public_key_info(der: &[u8]) -> Result<Self, String> {
        let unreadable = |error: der::DerError| format!("the public key cannot be read ({error})");
        let mut outer = Reader::new(der);
        let mut info = Reader::new(outer.expect(tag::SEQUENCE).map_err(unreadable)?);
        outer.finish().map_err(unreadable)?;
        let mut algorithm = Reader::new(info.expect(tag::SEQUENCE).map_err(unreadable)?);
        let key = der::whole_bytes(info.expect(tag::BIT_STRING).map_err(unreadable)?)
            .map_err(unreadable)?;
        info.finish().map_err(unreadable)?;
        let oid = algorithm.expect(tag::OID).map_err(unreadable)?;
        let parameters = if algorithm.is_empty() {
            None
        } else {
            Some(algorithm.element().map_err(unreadable)?)
        };
        algorithm.finish().map_err(unreadable)?;
        match (oid, parameters) {
            (RSA_ENCRYPTION, None | Some((tag::NULL, [], _))) => {
                let mut outer = Reader::new(key);
                let mut components = Reader::new(outer.expect(tag::SEQUENCE).map_err(unreadable)?);
                outer.finish().map_err(unreadable)?;
                let n = components.expect(tag::INTEGER).map_err(unreadable)?;
                let e = components.expect(tag::INTEGER).map_err(unreadable)?;
                components.finish().map_err(unreadable)?;
                rsa(
                    der::positive_integer(n).map_err(unreadable)?,
                    der::positive_integer(e).map_err(unreadable)?,
                )
            }
            (EC_PUBLIC_KEY, Some((tag::OID, curve_oid, _))) => {
                let (curve, coordinate_bytes, _) = CURVES
                    .into_iter()
                    .find(|(.., oid)| *oid == curve_oid)
                    .ok_or("unsupported EC curve".to_owned())?;
                match key.first() {
                    Some(0x04) if key.len() == 1 + 2 * coordinate_bytes => Ok(PublicKey::Ec {
                        curve,
                        point: key.to_vec(),
                    }),
                    Some(0x02 | 0x03) => Err("a compressed EC point is not supported".to_owned()),
                    _ => Err(format!(
                        "an EC point on {curve} must be 1 + 2 × {coordinate_bytes} bytes"
                    )),
                }
            }
            (EC_PUBLIC_KEY, Some((tag::SEQUENCE, ..))) => Err(
                "EC parameters given explicitly, not by a named curve (RFC 5480 §2.1.1)".to_owned(),
            ),
            (ED25519, None) => ed25519(key),
            (ED448, None) => Err(NO_ED448.to_owned()),
            _ => Err("unsupported public key type".to_owned()),
        }
    }

    /// The key of a PEM X.509 certificate (the first in `pem`).
    pub fn from_certificate_pem(pem: &str) -> Result<Self, String> {
        const BEGIN: &str = "-----BEGIN CERTIFICATE-----";
        const END: &str = "-----END CERTIFICATE-----";
        let not_pem = || "not a PEM X.509 certificate".to_owned();
        let (_, after_begin) = pem.split_once(BEGIN).ok_or_else(not_pem)?;
        let (body, _) = after_begin.split_once(END).ok_or_else(not_pem)?;
        let base64: String = body.split_ascii_whitespace().collect();
        let certificate = STANDARD.decode(base64).map_err(|_| not_pem())?;
        let info = der::certificate_public_key_info(&certificate)
            .map_err(|error| format!("the certificate cannot be read ({error})"))?;
        Self::from_public_key_info(info)
    }
}

/// An RSA key whose exponent and modulus pass the checks AWS-LC does not do.
fn rsa(n: &[u8], e: &[u8]) -> Result<PublicKey, String> {
    let strip = |bytes: &[u8]| {
        let start = bytes
            .iter()
            .position(|byte| *byte != 0)
            .unwrap_or(bytes.len());
        bytes[start..].to_vec()
    };
    let (n, e) = (strip(n), strip(e));
    if n.last().is_none_or(|byte| byte & 1 == 0) {
        return Err("RSA modulus is even: not the product of two odd primes".to_owned());
    }
    check_exponent(&e)?;
    check_not_roca(&n)?;
    Ok(PublicKey::Rsa { n, e })
}

fn ed25519(x: &[u8]) -> Result<PublicKey, String> {
    x.try_into()
        .map(PublicKey::Ed25519)
        .map_err(|_| format!("an Ed25519 key is 32 bytes, not {}", x.len()))
}

/// AWS-LC, which verifies RSA signatures, takes public exponents of at most
/// 33 bits (65537 has 17; larger ones are not in use): a larger one is
/// refused here, with its own reason, rather than when the key is first used.
const MAX_RSA_EXPONENT_BITS: usize = 33;

/// An exponent of 1 makes every signature "verify" (trivially forgeable);
/// an even one is not RSA.
fn check_exponent(e: &[u8]) -> Result<(), String> {
    let odd = e.last().is_some_and(|byte| byte & 1 == 1);
    let at_least_three = e.len() > 1 || e.first().is_some_and(|byte| *byte >= 3);
    let bits = e.first().map_or(0, |first| {
        (e.len() - 1) * 8 + (8 - first.leading_zeros() as usize)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::der::write::{certificate, pem, tlv};
    use serde_json::json;

    fn jwk(value: Value) -> Result<PublicKey, String> {
        PublicKey::from_jwk(value.as_object().unwrap())
    }

    fn spki(oid: &[u8], parameters: Option<Vec<u8>>, key: &[u8]) -> Vec<u8> {
        let mut algorithm = tlv(tag::OID, oid);
        algorithm.extend(parameters.unwrap_or_default());
        let mut bits = vec![0];
        bits.extend_from_slice(key);
        let mut info = tlv(tag::SEQUENCE, &algorithm);
        info.extend(tlv(tag::BIT_STRING, &bits));
        tlv(tag::SEQUENCE, &info)
    }

    fn rsa_spki(n: &[u8], e: &[u8]) -> Vec<u8> {
        let integer = |magnitude: &[u8]| {
            let mut content = Vec::new();
            if magnitude[0] & 0x80 != 0 {
                content.push(0);
            }
            content.extend_from_slice(magnitude);
            tlv(tag::INTEGER, &content)
        };
        let mut components = integer(n);
        components.extend(integer(e));
        spki(
            RSA_ENCRYPTION,
            Some(tlv(tag::NULL, &[])),
            &tlv(tag::SEQUENCE, &components),
        )
    }

    /// A 2048-bit odd modulus that is not ROCA-shaped (not a product of two
    /// primes: this reader cannot tell, and nothing verifies with it here).
    fn modulus() -> Vec<u8> {
        (0..256).map(|i| (i * 7 + 0x82) as u8).collect()
    }

    #[test]
    fn a_jwk_and_a_public_key_info_of_the_same_key_are_equal() {
        let n = modulus();
        let from_jwk = jwk(json!({"kty": "RSA", "n": URL_SAFE_NO_PAD.encode(&n), "e": "AQAB"}));
        let from_der = PublicKey::from_public_key_info(&rsa_spki(&n, &[1, 0, 1]));
        assert_eq!(from_jwk, from_der);
        assert_eq!(from_jwk.unwrap().family(), KeyFamily::Rsa);
        // A leading zero in the JWK's n (some providers write one) changes nothing.
        let mut padded = vec![0];
        padded.extend(&n);
        let padded = jwk(json!({"kty": "RSA", "n": URL_SAFE_NO_PAD.encode(&padded), "e": "AQAB"}));
        assert_eq!(padded, from_der);

        let (x, y) = ([1u8; 32], [2u8; 32]);
        let mut point = vec![4];
        point.extend(x);
        point.extend(y);
        let from_jwk = jwk(json!({"kty": "EC", "crv": "P-256",
            "x": URL_SAFE_NO_PAD.encode(x), "y": URL_SAFE_NO_PAD.encode(y)}));
        let from_der = PublicKey::from_public_key_info(&spki(
            EC_PUBLIC_KEY,
            Some(tlv(tag::OID, CURVES[0].2)),
            &point,
        ));
        assert_eq!(from_jwk, from_der);
        assert_eq!(from_der.unwrap().family(), KeyFamily::Ec("P-256"));

        let from_jwk =
            jwk(json!({"kty": "OKP", "crv": "Ed25519", "x": URL_SAFE_NO_PAD.encode([9; 32])}));
        assert_eq!(
            from_jwk,
            PublicKey::from_public_key_info(&spki(ED25519, None, &[9; 32]))
        );
        assert_eq!(from_jwk, Ok(PublicKey::Ed25519([9; 32])));
    }

    #[test]
    fn what_aws_lc_would_take_but_a_jws_key_must_not_be_is_refused_with_its_reason() {
        let reason = |der: Vec<u8>| PublicKey::from_public_key_info(&der).unwrap_err();
        let point = |curve: usize, first: u8| {
            let mut point = vec![first];
            point.extend(vec![5; 2 * CURVES[curve].1]);
            point
        };
        let named = |curve: usize| Some(tlv(tag::OID, CURVES[curve].2));
        // An explicit prime field: any SEQUENCE in place of the curve's name.
        let explicit = Some(tlv(tag::SEQUENCE, &tlv(tag::INTEGER, &[1])));
        for (der, says) in [
            (spki(EC_PUBLIC_KEY, explicit, &point(0, 4)), "RFC 5480"),
            (
                spki(EC_PUBLIC_KEY, named(0), &point(0, 4)[..33]),
                "1 + 2 × 32",
            ),
            (spki(EC_PUBLIC_KEY, named(1), &point(0, 4)), "1 + 2 × 48"),
            (
                spki(EC_PUBLIC_KEY, named(0), &[&[2][..], &[5; 32]].concat()),
                "compressed",
            ),
            // secp256k1 (1.3.132.0.10).
            (
                spki(
                    EC_PUBLIC_KEY,
                    Some(tlv(tag::OID, &[0x2b, 0x81, 0x04, 0x00, 0x0a])),
                    &point(0, 4),
                ),
                "unsupported EC curve",
            ),
            (spki(ED448, None, &[1; 57]), "Ed448 is not supported"),
            (spki(ED25519, None, &[1; 31]), "32 bytes"),
            (
                spki(ED25519, Some(tlv(tag::NULL, &[])), &[1; 32]),
                "unsupported public key type",
            ),
            // RSASSA-PSS keys (1.2.840.113549.1.1.10).
            (
                spki(
                    &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a],
                    None,
                    &[0],
                ),
                "unsupported public key type",
            ),
            (rsa_spki(&modulus(), &[1]), "odd and at least 3"),
            (rsa_spki(&modulus(), &[1, 0, 0]), "odd and at least 3"),
            (rsa_spki(&modulus(), &[2, 0, 0, 0, 1]), "34 bits"),
            (vec![0x30, 0x00], "cannot be read"),
            (
                [rsa_spki(&modulus(), &[3]), vec![0]].concat(),
                "trailing data",
            ),
        ] {
            let error = reason(der);
            assert!(error.contains(says), "{error} (expected {says})");
        }
        for (value, says) in [
            (
                json!({"kty": "EC", "crv": "P-256", "x": "AAAA", "y": "AAAA"}),
                "32 bytes each",
            ),
            (
                json!({"kty": "EC", "crv": "P-256K", "x": "AAAA", "y": "AAAA"}),
                "not supported",
            ),
            (
                json!({"kty": "OKP", "crv": "Ed448", "x": "AAAA"}),
                "Ed448 is not supported",
            ),
            (
                json!({"kty": "OKP", "crv": "X25519", "x": "AAAA"}),
                "cannot sign",
            ),
            (json!({"kty": "RSA", "n": "AAAA"}), "member e is missing"),
            (
                json!({"kty": "oct", "k": "AAAA"}),
                "not an asymmetric signing key",
            ),
            (
                json!({"kty": "EC", "crv": "P-256", "x": "AAAA", "y": "AAAA", "d": "AAAA"}),
                "private member d",
            ),
            (
                json!({"kty": "RSA", "n": "AAAA", "e": "AQAB", "p": "AQ"}),
                "private member p",
            ),
            (
                json!({"kty": "RSA", "n": "AAAC", "e": "AQAB"}),
                "modulus is even",
            ),
            (json!({"kty": "foo"}), "not an asymmetric signing key"),
        ] {
            let error = jwk(value).unwrap_err();
            assert!(error.contains(says), "{error} (expected {says})");
        }
    }

    #[test]
    fn a_certificate_gives_its_key_and_anything_else_is_not_pem() {
        let certificate = certificate(&spki(ED25519, None, &[9; 32]), true);
        assert_eq!(
            PublicKey::from_certificate_pem(&pem(&certificate)),
            Ok(PublicKey::Ed25519([9; 32]))
        );
        for bad in [
            "",
            "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n",
            "-----BEGIN CERTIFICATE-----\nAAAA\n",
        ] {
            assert_eq!(
                PublicKey::from_certificate_pem(bad),
                Err("not a PEM X.509 certificate".to_owned())
            );
        }
        let short = pem(&certificate[..certificate.len() - 3]);
        assert!(PublicKey::from_certificate_pem(&short)
            .unwrap_err()
            .contains("cannot be read"));
    }

    #[test]
    fn exponent_rules() {
        assert!(check_exponent(&[1, 0, 1]).is_ok());
        assert!(check_exponent(&[3]).is_ok());
        assert!(check_exponent(&[1]).is_err());
        assert!(check_exponent(&[]).is_err());
        assert!(check_exponent(&[1, 0, 0]).is_err());
        // 2^32 + 15 (33 bits) is the largest size AWS-LC verifies with.
        assert!(check_exponent(&[1, 0, 0, 0, 15]).is_ok());
        assert_eq!(
            check_exponent(&[2, 0, 0, 0, 1]),
            Err("RSA exponent e has 34 bits; at most 33 are accepted".to_owned())
        );
        assert!(check_exponent(&[0x80, 0, 0, 0, 0, 0, 0, 1]).is_err());
        // Leading zeros are stripped before the check.
        assert!(rsa(&modulus(), &[0, 0, 3]).is_ok());
        assert!(rsa(&modulus(), &[0]).is_err());
    }

    proptest::proptest! {
        /// Whatever the bytes, reading ends in a key or a reason: never a
        /// panic, an endless loop or a read past the input. Mutations of a
        /// real certificate (any byte changed, any length cut) reach the
        /// deep paths that random bytes would not.
        #[test]
        fn any_input_is_a_key_or_a_reason(
            bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300),
            at in 0usize..400,
            value in proptest::prelude::any::<u8>(),
            cut in 0usize..400,
        ) {
            let _ = PublicKey::from_public_key_info(&bytes);
            let _ = crate::der::certificate_public_key_info(&bytes);
            let info = spki(EC_PUBLIC_KEY, Some(tlv(tag::OID, CURVES[0].2)), &[&[4][..], &[7; 64]].concat());
            let mut mutated = certificate(&info, true);
            let position = at % mutated.len();
            mutated[position] = value;
            mutated.truncate(cut.max(1).min(mutated.len()));
            let _ = PublicKey::from_certificate_pem(&pem(&mutated));
            let _ = crate::der::certificate_public_key_info(&mutated);
        }
    }
}
