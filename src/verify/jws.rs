//! Strict parsing of a compact JWS: three base64url parts, a JSON header whose
//! every member is understood, and (after the signature is checked) a JSON
//! object payload.

use std::borrow::Cow;
use std::fmt;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::de::{Deserialize, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::{Map, Value};

use crate::algorithm::{Algorithm, AlgorithmSet};
use crate::error::Refusal;
use crate::keys::VerificationKey;

/// The header members that decide how a token is verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// The signature algorithm, already checked against the allow-list.
    pub alg: Algorithm,
    /// The id of the key in the key set.
    pub kid: String,
    /// The media type of the whole token (`at+jwt` for RFC 9068 access tokens).
    pub typ: Option<String>,
}

impl Header {
    /// Whether `typ` is `required`, compared as RFC 7515 §4.1.9 says: in any
    /// case, with or without the `application/` prefix.
    pub fn has_type(&self, required: &str) -> bool {
        fn media_type(typ: &str) -> &str {
            match typ.get(..12) {
                Some(prefix) if prefix.eq_ignore_ascii_case("application/") => &typ[12..],
                _ => typ,
            }
        }
        self.typ
            .as_deref()
            .is_some_and(|typ| media_type(typ).eq_ignore_ascii_case(media_type(required)))
    }
}

/// A token whose header has been checked and whose signature has not.
#[derive(Debug)]
pub struct UnverifiedToken<'a> {
    /// The checked header.
    pub header: Header,
    /// `base64url(header) "." base64url(payload)`: what the signature covers.
    pub signing_input: &'a str,
    /// The decoded signature.
    pub signature: Vec<u8>,
    payload: &'a str,
}

impl<'a> UnverifiedToken<'a> {
    /// Verifies the signature with `key`, for the header's `alg`. Only a
    /// verified token gives its payload: nothing an attacker made up is
    /// parsed beyond the header.
    pub fn verify(&self, key: &VerificationKey) -> Result<VerifiedPayload<'a>, Refusal> {
        key.verify(
            self.header.alg,
            self.signing_input.as_bytes(),
            &self.signature,
        )?;
        Ok(VerifiedPayload {
            payload: self.payload,
        })
    }
}

/// The payload of a token whose signature verified; made only by
/// [`UnverifiedToken::verify`].
#[derive(Debug)]
pub struct VerifiedPayload<'a> {
    payload: &'a str,
}

impl VerifiedPayload<'_> {
    /// Decodes the claims: a JSON object.
    pub fn claims(&self) -> Result<Map<String, Value>, Refusal> {
        decode_json_object(self.payload)
    }
}

/// Reads that skip the signature, fenced off as jsonwebtoken's `dangerous`
/// is: the tests, benchmarks and fuzzing of the decoder use them, the
/// authorizer never does (`tests/project/architecture.rs` holds it to that).
pub mod dangerous {
    use super::{decode_json_object, Map, Refusal, UnverifiedToken, Value};

    /// The claims of a token whose signature has NOT been verified.
    pub fn unverified_claims(token: &UnverifiedToken) -> Result<Map<String, Value>, Refusal> {
        decode_json_object(token.payload)
    }
}

/// Splits and checks a compact JWS.
///
/// `alg` must be a registered asymmetric algorithm in `allowed` (so `none`,
/// in any case, and HMAC are refused here), `kid` must be present, and `crit`
/// or a nested JWT (`cty: JWT`) are refused. Key-carrying members (`jku`,
/// `x5u`, `x5c`, `jwk`) are never read: keys come only from the configured
/// key set.
pub fn parse(token: &str, allowed: AlgorithmSet) -> Result<UnverifiedToken<'_>, Refusal> {
    parse_choosing_kid(token, allowed, |_| Err(Refusal::MissingKid))
}

/// [`parse`], except that a header without `kid` gets the one `choose`
/// names for its `alg` (the one KMS key that can verify it), or is refused
/// with `choose`'s refusal. A header with a `kid` keeps it.
pub fn parse_choosing_kid(
    token: &str,
    allowed: AlgorithmSet,
    choose: impl FnOnce(Algorithm) -> Result<String, Refusal>,
) -> Result<UnverifiedToken<'_>, Refusal> {
    let mut parts = token.split('.');
    let (Some(header), Some(payload), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(Refusal::MalformedToken);
    };
    // The payload is decoded only after the signature verifies, but a
    // segment that cannot be base64url is malformed whatever it signs.
    if header.is_empty() || !is_base64url(payload) {
        return Err(Refusal::MalformedToken);
    }
    // RFC 7515 §4: the header is UTF-8 JSON. serde_json checks the UTF-8 of
    // the strings it keeps, not of the members it skips: check it all first.
    let header_bytes = decode_base64url(header)?;
    let header_text = std::str::from_utf8(&header_bytes).map_err(|_| Refusal::MalformedToken)?;
    let header_members: HeaderMembers =
        serde_json::from_str(header_text).map_err(|_| Refusal::MalformedToken)?;
    let header_checked = check_header(header_members, allowed, choose)?;
    let signature = decode_base64url(signature)?;
    if signature.is_empty() {
        return Err(Refusal::BadSignature);
    }
    Ok(UnverifiedToken {
        header: header_checked,
        signing_input: &token[..header.len() + 1 + payload.len()],
        signature,
        payload,
    })
}

/// The `iss` of a token's payload, before its signature is checked: only to
/// choose among several issuers' key sets, each of which then verifies the
/// token and its `iss` in full.
pub fn unverified_issuer(token: &str) -> Result<Option<String>, Refusal> {
    #[derive(serde::Deserialize)]
    struct Issuer {
        iss: Option<Value>,
    }
    let payload = token.split('.').nth(1).ok_or(Refusal::MalformedToken)?;
    let bytes = decode_base64url(payload)?;
    let issuer: Issuer = serde_json::from_slice(&bytes).map_err(|_| Refusal::MalformedToken)?;
    Ok(match issuer.iss {
        Some(Value::String(iss)) => Some(iss),
        _ => None,
    })
}

/// A base64url JSON segment of a token, leniently decoded, only to be shown
/// to a person (`explain`): nothing in it has been verified or checked.
pub fn segment_for_display(segment: &str) -> Option<Value> {
    let bytes = URL_SAFE_NO_PAD.decode(segment.trim_end_matches('=')).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// Which part of a token that is not a compact JWS is at fault, and how,
/// for a person (`explain`, the decision log): the part and its length,
/// never its content.
pub fn malformed_for_display(token: &str) -> String {
    let parts: Vec<&str> = token.split('.').collect();
    let [header, payload, signature] = parts[..] else {
        return format!(
            "{} dot-separated parts; a compact JWS has 3 (header.payload.signature)",
            parts.len()
        );
    };
    let encoding = |name: &str, part: &str| {
        if part.is_empty() {
            Some(format!("the {name} is empty"))
        } else if part.len() % 4 == 1 {
            Some(format!(
                "the {name} is {} characters, a length no base64url text has: cut short or lengthened (a copy-paste?)",
                part.len()
            ))
        } else if !is_base64url(part) {
            Some(format!("the {name} is not base64url"))
        } else if URL_SAFE_NO_PAD.decode(part).is_err() {
            // Every character is base64url but the last one's spare bits
            // are set: the text ended inside a character's bits.
            Some(format!(
                "the {name} is {} characters and does not end where a base64url text can: cut short or lengthened (a copy-paste?)",
                part.len()
            ))
        } else {
            None
        }
    };
    let json = |name: &str, part: &str| match segment_for_display(part) {
        Some(Value::Object(_)) => None,
        _ => Some(format!("the {name} is not a JSON object")),
    };
    encoding("header", header)
        .or_else(|| json("header", header))
        .or_else(|| encoding("payload", payload))
        .or_else(|| encoding("signature", signature))
        .or_else(|| json("payload", payload))
        .unwrap_or_else(|| Refusal::MalformedToken.to_string())
}

/// A member of a token's header as text for a person (`no NAME` when absent).
pub fn header_member_for_display(token: &str, name: &str) -> String {
    let header = token.split('.').next().and_then(segment_for_display);
    match header.as_ref().and_then(|header| header.get(name)) {
        Some(value) => value.to_string(),
        None => format!("no {name}"),
    }
}

fn check_header(
    members: HeaderMembers,
    allowed: AlgorithmSet,
    choose: impl FnOnce(Algorithm) -> Result<String, Refusal>,
) -> Result<Header, Refusal> {
    let alg = match &members.alg {
        Some(Value::String(name)) => name
            .parse::<Algorithm>()
            .map_err(|_| Refusal::AlgorithmNotAllowed)?,
        Some(_) | None => return Err(Refusal::MalformedToken),
    };
    if !allowed.contains(alg) {
        return Err(Refusal::AlgorithmNotAllowed);
    }
    // No extension is understood, so any `crit` (even an empty list, which
    // RFC 7515 forbids) must be refused.
    if members.crit {
        return Err(Refusal::UnsupportedHeader);
    }
    if let Some(Value::String(cty)) = &members.cty {
        if cty.eq_ignore_ascii_case("JWT") {
            return Err(Refusal::UnsupportedHeader);
        }
    }
    let kid = match members.kid {
        Some(Value::String(kid)) if !kid.is_empty() => kid,
        Some(Value::String(_)) => return Err(Refusal::MissingKid),
        None => choose(alg)?,
        Some(_) => return Err(Refusal::MalformedToken),
    };
    let typ = match members.typ {
        Some(Value::String(typ)) => Some(typ),
        None => None,
        Some(_) => return Err(Refusal::MalformedToken),
    };
    Ok(Header { alg, kid, typ })
}

/// Whether `part` is non-empty unpadded base64url of a whole number of bytes.
fn is_base64url(part: &str) -> bool {
    !part.is_empty()
        && part.len() % 4 != 1
        && part
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_')
}

/// Strict base64url: no padding, no `+` or `/`, no whitespace, no set trailing bits.
fn decode_base64url(part: &str) -> Result<Vec<u8>, Refusal> {
    URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| Refusal::MalformedToken)
}

fn decode_json_object(part: &str) -> Result<Map<String, Value>, Refusal> {
    let bytes = decode_base64url(part)?;
    serde_json::from_slice::<UniqueMembers>(&bytes)
        .map(|members| members.0)
        .map_err(|_| Refusal::MalformedToken)
}

/// A JSON object whose top-level member names are unique. Parsers disagree on
/// which duplicate wins, so a token with duplicates means different things to
/// different verifiers: refuse it.
struct UniqueMembers(Map<String, Value>);

impl<'de> Deserialize<'de> for UniqueMembers {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct UniqueVisitor;

        impl<'de> Visitor<'de> for UniqueVisitor {
            type Value = UniqueMembers;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object with unique member names")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Self::Value, A::Error> {
                let mut map = Map::new();
                while let Some((name, value)) = access.next_entry::<String, Value>()? {
                    if map.insert(name, value).is_some() {
                        return Err(duplicate_member());
                    }
                }
                Ok(UniqueMembers(map))
            }
        }

        deserializer.deserialize_map(UniqueVisitor)
    }
}

fn duplicate_member<E: serde::de::Error>() -> E {
    E::custom("duplicate member")
}

/// The members of a JOSE header that the checks read, each member name
/// unique as for [`UniqueMembers`]; the others are skipped once their JSON
/// is known to be valid, without building a map of them.
#[derive(Default)]
struct HeaderMembers {
    alg: Option<Value>,
    kid: Option<Value>,
    typ: Option<Value>,
    cty: Option<Value>,
    crit: bool,
}

impl<'de> Deserialize<'de> for HeaderMembers {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct HeaderVisitor;

        impl<'de> Visitor<'de> for HeaderVisitor {
            type Value = HeaderMembers;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JOSE header: a JSON object with unique member names")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Self::Value, A::Error> {
                let mut members = HeaderMembers::default();
                let mut names = Vec::new();
                while let Some(MemberName(name)) = access.next_key()? {
                    let slot = match name.as_ref() {
                        "alg" => &mut members.alg,
                        "kid" => &mut members.kid,
                        "typ" => &mut members.typ,
                        "cty" => &mut members.cty,
                        other => {
                            members.crit |= other == "crit";
                            access.next_value::<IgnoredAny>()?;
                            names.push(name);
                            continue;
                        }
                    };
                    if slot.replace(access.next_value()?).is_some() {
                        return Err(duplicate_member());
                    }
                }
                // Sorted rather than hashed: linear in the header's size.
                names.sort_unstable();
                if names.windows(2).any(|pair| pair[0] == pair[1]) {
                    return Err(duplicate_member());
                }
                Ok(members)
            }
        }

        deserializer.deserialize_map(HeaderVisitor)
    }
}

/// A member name, borrowed from the JSON text unless it has escapes.
struct MemberName<'de>(Cow<'de, str>);

impl<'de> Deserialize<'de> for MemberName<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct NameVisitor;

        impl<'de> Visitor<'de> for NameVisitor {
            type Value = MemberName<'de>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a member name")
            }

            fn visit_borrowed_str<E>(self, name: &'de str) -> Result<Self::Value, E> {
                Ok(MemberName(Cow::Borrowed(name)))
            }

            fn visit_str<E>(self, name: &str) -> Result<Self::Value, E> {
                Ok(MemberName(Cow::Owned(name.to_owned())))
            }
        }

        deserializer.deserialize_str(NameVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dangerous::unverified_claims as claims_of;

    fn b64(text: &str) -> String {
        URL_SAFE_NO_PAD.encode(text)
    }

    fn token(header: &str, payload: &str) -> String {
        format!("{}.{}.{}", b64(header), b64(payload), b64("signature"))
    }

    const HEADER: &str = r#"{"alg":"RS256","kid":"k1","typ":"JWT"}"#;

    #[test]
    fn well_formed_token() {
        let text = token(HEADER, r#"{"sub":"u"}"#);
        let parsed = parse(&text, AlgorithmSet::all()).unwrap();
        assert_eq!(
            parsed.header,
            Header {
                alg: Algorithm::Rs256,
                kid: "k1".into(),
                typ: Some("JWT".into()),
            }
        );
        assert_eq!(parsed.signature, b"signature");
        assert_eq!(parsed.signing_input, &text[..text.rfind('.').unwrap()]);
        assert_eq!(claims_of(&parsed).unwrap()["sub"], "u");
    }

    #[test]
    fn media_types_compare_without_case_or_application_prefix() {
        let with = |typ: Option<&str>| Header {
            alg: Algorithm::Rs256,
            kid: "k1".into(),
            typ: typ.map(str::to_owned),
        };
        for typ in [
            "at+jwt",
            "AT+JWT",
            "application/at+jwt",
            "Application/At+Jwt",
        ] {
            assert!(with(Some(typ)).has_type("at+jwt"), "{typ}");
            assert!(with(Some(typ)).has_type("application/at+jwt"), "{typ}");
        }
        for typ in [Some("JWT"), Some("at+jwt2"), Some("application/"), None] {
            assert!(!with(typ).has_type("at+jwt"), "{typ:?}");
        }
        let text = token(r#"{"alg":"RS256","kid":"k1","typ":7}"#, "{}");
        assert_eq!(
            parse(&text, AlgorithmSet::all()).unwrap_err(),
            Refusal::MalformedToken
        );
    }

    #[test]
    fn structure() {
        for text in ["", ".", "..", "...", "a.b", "a.b.c.d", "a.b.c.d.e"] {
            assert_eq!(
                parse(text, AlgorithmSet::all()).unwrap_err(),
                Refusal::MalformedToken,
                "{text:?}"
            );
        }
        let no_signature = format!("{}.{}.", b64(HEADER), b64("{}"));
        assert_eq!(
            parse(&no_signature, AlgorithmSet::all()).unwrap_err(),
            Refusal::BadSignature
        );
    }

    #[test]
    fn algorithms_outside_the_allow_list() {
        for alg in [
            "none", "None", "NONE", "nOnE", "HS256", "HS384", "HS512", "rs256", "ES256K",
        ] {
            let text = token(&format!(r#"{{"alg":"{alg}","kid":"k1"}}"#), "{}");
            assert_eq!(
                parse(&text, AlgorithmSet::all()).unwrap_err(),
                Refusal::AlgorithmNotAllowed,
                "{alg}"
            );
        }
        let only_es256: AlgorithmSet = [Algorithm::Es256].into_iter().collect();
        assert_eq!(
            parse(&token(HEADER, "{}"), only_es256).unwrap_err(),
            Refusal::AlgorithmNotAllowed
        );
        let no_alg = token(r#"{"kid":"k1"}"#, "{}");
        assert_eq!(
            parse(&no_alg, AlgorithmSet::all()).unwrap_err(),
            Refusal::MalformedToken
        );
    }

    #[test]
    fn refused_header_members() {
        for header in [
            r#"{"alg":"RS256","kid":"k1","crit":["exp"],"exp":1}"#,
            r#"{"alg":"RS256","kid":"k1","crit":[]}"#,
            r#"{"alg":"RS256","kid":"k1","cty":"JWT"}"#,
            r#"{"alg":"RS256","kid":"k1","cty":"jwt"}"#,
        ] {
            assert_eq!(
                parse(&token(header, "{}"), AlgorithmSet::all()).unwrap_err(),
                Refusal::UnsupportedHeader,
                "{header}"
            );
        }
    }

    #[test]
    fn kid_is_required() {
        for header in [r#"{"alg":"RS256"}"#, r#"{"alg":"RS256","kid":""}"#] {
            assert_eq!(
                parse(&token(header, "{}"), AlgorithmSet::all()).unwrap_err(),
                Refusal::MissingKid
            );
        }
        let numeric = token(r#"{"alg":"RS256","kid":7}"#, "{}");
        assert_eq!(
            parse(&numeric, AlgorithmSet::all()).unwrap_err(),
            Refusal::MalformedToken
        );
    }

    /// KMS: only a header without `kid` is given the one `choose` names,
    /// for its alg; `choose`'s refusal stands when it names none.
    #[test]
    fn a_kid_is_chosen_only_for_a_header_without_one() {
        let choose = |alg: Algorithm| match alg {
            Algorithm::Es512 => Ok("kms-key".to_owned()),
            _ => Err(Refusal::MissingKid),
        };
        let without = token(r#"{"alg":"ES512","typ":"JWT"}"#, "{}");
        let parsed = parse_choosing_kid(&without, AlgorithmSet::all(), choose).unwrap();
        assert_eq!(
            (parsed.header.alg, parsed.header.kid.as_str()),
            (Algorithm::Es512, "kms-key")
        );
        let other_alg = token(r#"{"alg":"RS256"}"#, "{}");
        assert_eq!(
            parse_choosing_kid(&other_alg, AlgorithmSet::all(), choose).unwrap_err(),
            Refusal::MissingKid
        );
        let unavailable = |_| Err(Refusal::KmsUnavailable);
        assert_eq!(
            parse_choosing_kid(&without, AlgorithmSet::all(), unavailable).unwrap_err(),
            Refusal::KmsUnavailable
        );
        let own = token(r#"{"alg":"ES512","kid":"its-own"}"#, "{}");
        let parsed = parse_choosing_kid(&own, AlgorithmSet::all(), choose).unwrap();
        assert_eq!(parsed.header.kid, "its-own");
        // An empty kid is not an absent one; the header's other checks come first.
        for (header, refusal) in [
            (r#"{"alg":"ES512","kid":""}"#, Refusal::MissingKid),
            (
                r#"{"alg":"ES512","crit":["x"]}"#,
                Refusal::UnsupportedHeader,
            ),
            (r#"{"alg":"HS256"}"#, Refusal::AlgorithmNotAllowed),
        ] {
            let token = token(header, "{}");
            let chosen = parse_choosing_kid(&token, AlgorithmSet::all(), choose);
            assert_eq!(chosen.unwrap_err(), refusal, "{header}");
        }
    }

    #[test]
    fn duplicate_members_are_refused() {
        for header in [
            r#"{"alg":"RS256","kid":"k1","alg":"none"}"#,
            r#"{"alg":"RS256","kid":"k1","kid":"k2"}"#,
            r#"{"alg":"RS256","kid":"k1","typ":"JWT","typ":"at+jwt"}"#,
            r#"{"alg":"RS256","kid":"k1","cty":"x","cty":"JWT"}"#,
            r#"{"alg":"RS256","kid":"k1","x5t":"a","jku":"b","x5t":"c"}"#,
            // The same name, once with an escape.
            r#"{"alg":"RS256","kid":"k1","\u006bid":"k2"}"#,
            r#"{"alg":"RS256","kid":"k1","x\u0035t":"a","x5t":"a"}"#,
        ] {
            assert_eq!(
                parse(&token(header, "{}"), AlgorithmSet::all()).unwrap_err(),
                Refusal::MalformedToken,
                "{header}"
            );
        }
        let payload = token(HEADER, r#"{"sub":"a","sub":"b"}"#);
        assert_eq!(
            claims_of(&parse(&payload, AlgorithmSet::all()).unwrap()).unwrap_err(),
            Refusal::MalformedToken
        );
    }

    #[test]
    fn header_must_be_one_valid_json_object() {
        for header in [
            r#"["alg","RS256"]"#,
            r#""RS256""#,
            r#"{"alg":"RS256","kid":"k1","x":[1,}"#,
            r#"{"alg":"RS256","kid":"k1"} {}"#,
            r#"{"alg":"RS256","kid":"k1""#,
        ] {
            assert_eq!(
                parse(&token(header, "{}"), AlgorithmSet::all()).unwrap_err(),
                Refusal::MalformedToken,
                "{header}"
            );
        }
        // Members nobody reads are skipped, whatever their value, and an
        // escaped name means the member it spells.
        let text = token(
            r#"{"x5t":{"a":[1,null]},"\u0061lg":"RS256","k\u0069d":"k1","crit_not":1}"#,
            "{}",
        );
        let parsed = parse(&text, AlgorithmSet::all()).unwrap();
        assert_eq!(
            (parsed.header.alg, parsed.header.kid.as_str()),
            (Algorithm::Rs256, "k1")
        );
    }

    #[test]
    fn header_must_be_utf8_even_in_members_nobody_reads() {
        let header = |x: &[u8]| {
            let mut bytes = br#"{"alg":"RS256","kid":"k1","x":""#.to_vec();
            bytes.extend_from_slice(x);
            bytes.extend_from_slice(br#""}"#);
            format!("{}.e30.c2ln", URL_SAFE_NO_PAD.encode(bytes))
        };
        assert!(parse(&header("é".as_bytes()), AlgorithmSet::all()).is_ok());
        for x in [&b"\xff"[..], b"\xc3", b"\xed\xa0\x80"] {
            assert_eq!(
                parse(&header(x), AlgorithmSet::all()).unwrap_err(),
                Refusal::MalformedToken,
                "{x:?}"
            );
        }
    }

    #[test]
    fn non_canonical_base64url_is_refused() {
        let good = b64(HEADER);
        let cases = [
            format!("{good}=.e30.c2ln"),
            format!("{good}.e30.ab/+"),
            format!(" {good}.e30.c2ln"),
            format!("{good}.e30.c2lnbg="),
            // "c2l" is "c2k" ("si") with a trailing bit set.
            format!("{good}.e30.c2l"),
        ];
        assert!(parse(&format!("{good}.e30.c2k"), AlgorithmSet::all()).is_ok());
        for text in &cases {
            assert_eq!(
                parse(text, AlgorithmSet::all()).unwrap_err(),
                Refusal::MalformedToken,
                "{text}"
            );
        }
    }

    #[test]
    fn payload_segment_is_checked_before_the_signature() {
        for payload in ["e30 ", "e3=0", "e30=", "e+30", "e", ""] {
            let text = format!("{}.{payload}.c2ln", b64(HEADER));
            assert_eq!(
                parse(&text, AlgorithmSet::all()).unwrap_err(),
                Refusal::MalformedToken,
                "{payload:?}"
            );
        }
    }

    #[test]
    fn payload_must_be_a_json_object() {
        for payload in ["[]", "\"text\"", "1", "null", "{", "{\"a\":1}garbage"] {
            let text = token(HEADER, payload);
            assert_eq!(
                claims_of(&parse(&text, AlgorithmSet::all()).unwrap()).unwrap_err(),
                Refusal::MalformedToken,
                "{payload}"
            );
        }
        let invalid_utf8 = format!(
            "{}.{}.c2ln",
            b64(HEADER),
            URL_SAFE_NO_PAD.encode([b'{', b'"', 0xff, b'"', b':', b'1', b'}'])
        );
        assert_eq!(
            claims_of(&parse(&invalid_utf8, AlgorithmSet::all()).unwrap()).unwrap_err(),
            Refusal::MalformedToken
        );
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let nested = format!("{{\"a\":{}{}}}", "[".repeat(10_000), "]".repeat(10_000));
        let text = token(HEADER, &nested);
        assert_eq!(
            claims_of(&parse(&text, AlgorithmSet::all()).unwrap()).unwrap_err(),
            Refusal::MalformedToken
        );
    }
}
