//! The adversarial corpus: tokens an attacker would try, built at test time
//! against the keys of a loopback key server. Every case asserts its exact
//! refusal: never an Allow, never a panic.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use serde_json::{json, Value};
use testkit::http::{self, Reply, Request};
use testkit::*;
use ws_jwt_authorizer::explain::steps;
use ws_jwt_authorizer::explain::Status;
use ws_jwt_authorizer::{Authorizer, ConnectEvent, Refusal};

struct Corpus {
    authorizer: Authorizer,
    cases: usize,
}

impl Corpus {
    async fn expect(&mut self, name: &str, event: ConnectEvent, expected: Refusal) {
        self.cases += 1;
        // `explain` walks the same checks one by one: its first failure must
        // be the refusal the authorizer gives.
        let explanation = self.authorizer.explain(&event).await;
        let failed = explanation
            .checks
            .iter()
            .find(|check| check.status == Status::Fail);
        let first_failure = failed.and_then(|check| check.reason);
        assert_eq!(
            (explanation.reason, first_failure),
            (expected.code(), Some(expected.code())),
            "{name}: explain disagrees: {:?}",
            explanation.checks
        );
        // The step that failed is the one the pipeline's list says gives it.
        let step = failed.map(|check| check.name);
        assert!(
            steps()
                .iter()
                .any(|listed| Some(listed.name) == step && listed.reasons.contains(&expected)),
            "{name}: {step:?} is not a step that gives {}",
            expected.code()
        );
        match self.authorizer.authorize(&event).await {
            Ok(response) => {
                let response = serde_json::to_value(response).unwrap();
                assert_eq!(
                    (
                        expected,
                        &response["policyDocument"]["Statement"][0]["Effect"]
                    ),
                    (Refusal::ApiNotAuthorized, &json!("Deny")),
                    "{name}: expected {expected:?}, got {response}"
                );
            }
            Err(error) => assert_eq!(error.refusal, expected, "{name}"),
        }
    }

    async fn token(&mut self, name: &str, token: &str, expected: Refusal) {
        self.expect(name, query_event(token), expected).await;
    }
}

/// `b64(header).b64(payload).signature_part` from raw parts.
fn raw(header: &str, payload: &str, signature: &str) -> String {
    format!("{}.{}.{signature}", b64(header), b64(payload))
}

/// The key's DER SubjectPublicKeyInfo as PEM (`-----BEGIN PUBLIC KEY-----`,
/// lines of 64 characters), as key confusion attacks use it.
fn rsa_public_pem(key: &SigningKey) -> Vec<u8> {
    let encoded = STANDARD.encode(rsa_public_der(key));
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

/// The key's DER SubjectPublicKeyInfo.
fn rsa_public_der(key: &SigningKey) -> Vec<u8> {
    key.private.public_key_der()
}

/// A server that counts requests: where `jku`/`x5u` point. Nothing may call it.
async fn attacker_server(attacker: &SigningKey) -> (String, Arc<AtomicUsize>) {
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    let body = jwks(&[attacker]).to_string();
    let addr = http::serve(Arc::new(move |_request: Request| {
        counter.fetch_add(1, Ordering::SeqCst);
        let body = body.clone();
        Box::pin(async move { Reply::json(body) })
    }))
    .await;
    (format!("http://{addr}/attacker-jwks.json"), hits)
}

#[tokio::test]
async fn the_adversarial_corpus_is_refused() {
    let rsa = SigningKey::shared("RS256");
    let ec = SigningKey::shared("ES256");
    let ed = SigningKey::shared("EdDSA");

    // Keys the key set carries but the authorizer must not use.
    let short_rsa = {
        use rsa::traits::PublicKeyParts;
        // AWS-LC makes no RSA key under 2048 bits: RustCrypto's rsa does.
        let rsa = rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 1024).unwrap();
        assert_eq!(rsa.n().bits(), 1024);
        json!({"kty": "RSA", "kid": "short-rsa", "n": b64(rsa.n().to_bytes_be()), "e": b64(rsa.e().to_bytes_be())})
    };
    let mut enc_key = SigningKey::generate("RS256", "enc-key");
    enc_key.public["use"] = json!("enc");
    let mut no_verify_op = SigningKey::generate("RS256", "no-verify-op");
    no_verify_op.public["key_ops"] = json!(["sign"]);
    let mut ps_only = SigningKey::generate("RS256", "ps-only");
    ps_only.public["alg"] = json!("PS256");
    let mut off_curve = SigningKey::generate("ES256", "off-curve");
    let mut y = URL_SAFE_NO_PAD
        .decode(off_curve.public["y"].as_str().unwrap())
        .unwrap();
    y[31] ^= 1;
    off_curve.public["y"] = json!(b64(&y));

    let mut key_set = jwks(&[rsa, ec, ed, &enc_key, &no_verify_op, &ps_only, &off_curve]);
    key_set["keys"].as_array_mut().unwrap().push(short_rsa);
    let server = KeyServer::start(&key_set).await;
    let mut corpus = Corpus {
        authorizer: Authorizer::new(config(
            &server.url,
            &[("JWKS_REFRESH_COOLDOWN_SECONDS", "3600")],
        ))
        .unwrap(),
        cases: 0,
    };
    let claims = valid_claims();
    let payload = claims.to_string();
    let good = rsa.sign(&claims);
    let good_signature = good.rsplit('.').next().unwrap().to_owned();

    // alg none, in every case, with and without a signature part.
    for alg in ["none", "None", "NONE", "nOnE"] {
        let header = json!({"alg": alg, "kid": rsa.kid}).to_string();
        corpus
            .token(
                &format!("alg {alg}, empty signature"),
                &raw(&header, &payload, ""),
                Refusal::AlgorithmNotAllowed,
            )
            .await;
        corpus
            .token(
                &format!("alg {alg}, no signature part"),
                &format!("{}.{}", b64(&header), b64(&payload)),
                Refusal::MalformedToken,
            )
            .await;
        corpus
            .token(
                &format!("alg {alg}, RS256 signature"),
                &raw(&header, &payload, &good_signature),
                Refusal::AlgorithmNotAllowed,
            )
            .await;
    }

    // Key confusion: HMAC with the RSA public key (PEM or DER) as the secret.
    for (secret_name, secret) in [("PEM", rsa_public_pem(rsa)), ("DER", rsa_public_der(rsa))] {
        for alg in ["HS256", "HS384", "HS512"] {
            let signer = HmacSigner::new(alg, &secret).unwrap();
            let header = json!({"alg": alg, "kid": rsa.kid, "typ": "JWT"}).to_string();
            let token = sign_raw(&signer, header.as_bytes(), payload.as_bytes());
            corpus
                .token(
                    &format!("{alg} with the public key {secret_name}"),
                    &token,
                    Refusal::AlgorithmNotAllowed,
                )
                .await;
        }
    }

    // Signatures.
    let (input, _) = good.rsplit_once('.').unwrap();
    corpus
        .token(
            "empty signature",
            &format!("{input}."),
            Refusal::BadSignature,
        )
        .await;
    let impostor = SigningKey::generate("RS256", &rsa.kid);
    corpus
        .token(
            "another key under the same kid",
            &impostor.sign(&claims),
            Refusal::BadSignature,
        )
        .await;
    let mut tampered_claims = claims.clone();
    tampered_claims["sub"] = json!("user-124");
    let tampered = format!(
        "{}.{}.{good_signature}",
        good.split('.').next().unwrap(),
        b64(tampered_claims.to_string())
    );
    corpus
        .token("one payload byte changed", &tampered, Refusal::BadSignature)
        .await;
    let mut flipped = URL_SAFE_NO_PAD.decode(&good_signature).unwrap();
    flipped[10] ^= 0x01;
    corpus
        .token(
            "one signature bit flipped",
            &format!("{input}.{}", b64(&flipped)),
            Refusal::BadSignature,
        )
        .await;

    // Kids.
    for (name, kid) in [
        ("unknown kid", "no-such-key".to_owned()),
        ("path traversal kid", "../../../../etc/passwd".to_owned()),
        ("SQL kid", "' OR '1'='1' --".to_owned()),
        ("NUL kid", "rs256-1\u{0}".to_owned()),
        ("kid of the right key plus a space", format!("{} ", rsa.kid)),
    ] {
        let token = rsa.sign_with_header(&json!({"alg": "RS256", "kid": kid}), &claims);
        corpus.token(name, &token, Refusal::UnknownKid).await;
    }
    let long_kid = rsa.sign_with_header(
        &json!({"alg": "RS256", "kid": "k".repeat(10 * 1024)}),
        &claims,
    );
    corpus
        .token("10 KB kid", &long_kid, Refusal::TokenTooLarge)
        .await;
    corpus
        .token(
            "no kid",
            &rsa.sign_with_header(&json!({"alg": "RS256"}), &claims),
            Refusal::MissingKid,
        )
        .await;
    corpus
        .token(
            "numeric kid",
            &rsa.sign_with_header(&json!({"alg": "RS256", "kid": 1}), &claims),
            Refusal::MalformedToken,
        )
        .await;

    // Key-carrying headers point at an attacker key: it must never be used.
    let attacker = SigningKey::generate("RS256", "attacker");
    let (attacker_url, attacker_hits) = attacker_server(&attacker).await;
    let attacker_public = attacker.public.clone();
    let attacker_cert_chain = vec![STANDARD.encode(rsa_public_der(&attacker))];
    for (name, extra, expected) in [
        (
            "jku to the attacker",
            json!({"jku": attacker_url, "kid": "attacker"}),
            Refusal::UnknownKid,
        ),
        (
            "jku with the victim's kid",
            json!({"jku": attacker_url, "kid": rsa.kid}),
            Refusal::BadSignature,
        ),
        (
            "x5u to the attacker",
            json!({"x5u": attacker_url, "kid": "attacker"}),
            Refusal::UnknownKid,
        ),
        (
            "embedded jwk",
            json!({"jwk": attacker_public, "kid": "attacker"}),
            Refusal::UnknownKid,
        ),
        (
            "embedded jwk, victim's kid",
            json!({"jwk": attacker_public, "kid": rsa.kid}),
            Refusal::BadSignature,
        ),
        (
            "x5c with the attacker key",
            json!({"x5c": attacker_cert_chain, "kid": rsa.kid}),
            Refusal::BadSignature,
        ),
    ] {
        let mut header = json!({"alg": "RS256", "typ": "JWT"});
        header
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        corpus
            .token(name, &attacker.sign_with_header(&header, &claims), expected)
            .await;
    }
    assert_eq!(
        attacker_hits.load(Ordering::SeqCst),
        0,
        "the attacker's URL was fetched"
    );

    // Header features that are refused.
    let crit = rsa.sign_with_header(
        &json!({"alg": "RS256", "kid": rsa.kid, "crit": ["x-unknown"], "x-unknown": 1}),
        &claims,
    );
    corpus
        .token(
            "crit with an unknown extension",
            &crit,
            Refusal::UnsupportedHeader,
        )
        .await;
    let nested = rsa.sign_with_header(
        &json!({"alg": "RS256", "kid": rsa.kid, "cty": "JWT"}),
        &json!(good),
    );
    corpus
        .token("cty JWT nested token", &nested, Refusal::UnsupportedHeader)
        .await;
    let jwe = format!(
        "{}.{}.{}.{}.{}",
        b64(r#"{"alg":"RSA-OAEP","enc":"A256GCM","kid":"rs256-1"}"#),
        b64("key"),
        b64("iv"),
        b64("ciphertext"),
        b64("tag")
    );
    corpus
        .token("5-part JWE", &jwe, Refusal::MalformedToken)
        .await;

    // ECDSA: r = s = 0 and r or s at or above the group order (CVE-2022-21449).
    let ec_input = ec.sign(&claims);
    let (ec_input, ec_signature) = ec_input.rsplit_once('.').unwrap();
    let ec_signature = URL_SAFE_NO_PAD.decode(ec_signature).unwrap();
    let order = hex_bytes("FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551");
    let ff = [0xffu8; 32];
    for (name, r, s) in [
        ("r = s = 0", [0u8; 32].to_vec(), [0u8; 32].to_vec()),
        ("r = n", order.clone(), ec_signature[32..].to_vec()),
        ("s = n", ec_signature[..32].to_vec(), order.clone()),
        ("r = 2^256 - 1", ff.to_vec(), ec_signature[32..].to_vec()),
        ("s = 2^256 - 1", ec_signature[..32].to_vec(), ff.to_vec()),
    ] {
        let token = format!("{ec_input}.{}", b64([r, s].concat()));
        corpus
            .token(&format!("ECDSA {name}"), &token, Refusal::BadSignature)
            .await;
    }
    let der = ecdsa_der(&ec_signature[..32], &ec_signature[32..]);
    // The same signature, valid in DER: only its form is wrong.
    aws_lc_rs::signature::UnparsedPublicKey::new(
        &aws_lc_rs::signature::ECDSA_P256_SHA256_ASN1,
        ec.private.public_key_der(),
    )
    .verify(ec_input.as_bytes(), &der)
    .expect("the DER signature verifies as DER");
    let der_signature = format!("{ec_input}.{}", b64(&der));
    corpus
        .token(
            "ECDSA signature in DER instead of P1363",
            &der_signature,
            Refusal::BadSignature,
        )
        .await;

    // Keys in the set that must not serve.
    corpus
        .token(
            "point not on the curve",
            &off_curve.sign(&claims),
            Refusal::UnknownKid,
        )
        .await;
    let short_token = rsa.sign_with_header(&json!({"alg": "RS256", "kid": "short-rsa"}), &claims);
    corpus
        .token("RSA key under 2048 bits", &short_token, Refusal::UnknownKid)
        .await;
    corpus
        .token(
            "JWK with use enc",
            &enc_key.sign(&claims),
            Refusal::UnknownKid,
        )
        .await;
    corpus
        .token(
            "JWK with key_ops without verify",
            &no_verify_op.sign(&claims),
            Refusal::UnknownKid,
        )
        .await;
    corpus
        .token(
            "JWK alg PS256, token RS256",
            &ps_only.sign(&claims),
            Refusal::KeyAlgorithmMismatch,
        )
        .await;
    let es_header_rsa_key = rsa.sign_with_header(&json!({"alg": "ES256", "kid": rsa.kid}), &claims);
    corpus
        .token(
            "ES256 header on an RSA key",
            &es_header_rsa_key,
            Refusal::KeyAlgorithmMismatch,
        )
        .await;

    // Encoding.
    let header_part = good.split('.').next().unwrap().to_owned();
    let payload_part = good.split('.').nth(1).unwrap().to_owned();
    for (name, token) in [
        (
            "padding",
            format!("{header_part}=.{payload_part}.{good_signature}"),
        ),
        ("padded signature", format!("{input}.{good_signature}==")),
        (
            "+ and / alphabet",
            format!(
                "{}.{payload_part}.{good_signature}",
                STANDARD
                    .encode(URL_SAFE_NO_PAD.decode(&header_part).unwrap())
                    .replace('=', "")
                    + "+/"
            ),
        ),
        (
            "whitespace inside",
            format!(
                "{header_part}.{} {}.{good_signature}",
                &payload_part[..10],
                &payload_part[10..]
            ),
        ),
        (
            "newline inside",
            format!("{header_part}\n.{payload_part}.{good_signature}"),
        ),
        ("only dots", "..".to_owned()),
        ("four dots", "....".to_owned()),
    ] {
        corpus.token(name, &token, Refusal::MalformedToken).await;
    }
    // Trailing bits: a signature segment whose last character carries set bits.
    let two_bytes = format!("{input}.{}", "AAB");
    corpus
        .token("trailing bits set", &two_bytes, Refusal::MalformedToken)
        .await;
    corpus
        .token(
            "duplicate alg in header",
            &raw(
                &format!(r#"{{"alg":"RS256","kid":"{}","alg":"none"}}"#, rsa.kid),
                &payload,
                &good_signature,
            ),
            Refusal::MalformedToken,
        )
        .await;
    let duplicate_payload = payload.replacen('{', r#"{"sub":"admin","#, 1);
    let duplicate = sign_raw(
        &*rsa.signer(),
        rsa.header().to_string().as_bytes(),
        duplicate_payload.as_bytes(),
    );
    corpus
        .token(
            "duplicate sub in payload (validly signed)",
            &duplicate,
            Refusal::MalformedToken,
        )
        .await;
    let invalid_utf8 = sign_raw(
        &*rsa.signer(),
        rsa.header().to_string().as_bytes(),
        b"{\"sub\":\"\xff\xfe\"}",
    );
    corpus
        .token(
            "invalid UTF-8 in payload (validly signed)",
            &invalid_utf8,
            Refusal::MalformedToken,
        )
        .await;
    let deep = format!("{{\"a\":{}1{}}}", "[".repeat(3000), "]".repeat(3000));
    let deep = sign_raw(
        &*rsa.signer(),
        rsa.header().to_string().as_bytes(),
        deep.as_bytes(),
    );
    corpus
        .token("deeply nested JSON", &deep, Refusal::TokenTooLarge)
        .await;
    let deep_small = format!("{{\"a\":{}1{}}}", "[".repeat(1000), "]".repeat(1000));
    let deep_small = sign_raw(
        &*rsa.signer(),
        rsa.header().to_string().as_bytes(),
        deep_small.as_bytes(),
    );
    corpus
        .token(
            "deeply nested JSON under the size cap",
            &deep_small,
            Refusal::MalformedToken,
        )
        .await;
    corpus
        .token(
            "header not JSON",
            &raw("not json", &payload, &good_signature),
            Refusal::MalformedToken,
        )
        .await;
    corpus
        .token(
            "header a JSON array",
            &raw("[\"RS256\"]", &payload, &good_signature),
            Refusal::MalformedToken,
        )
        .await;
    corpus
        .token("1 MB token", &"a".repeat(1 << 20), Refusal::TokenTooLarge)
        .await;
    corpus
        .token("empty string", "", Refusal::MissingToken)
        .await;

    // Claims (validly signed).
    let now = now();
    for (name, changes, expected) in [
        (
            "exp as a string",
            json!({"exp": (now + 300).to_string()}),
            Refusal::InvalidTimeClaim,
        ),
        (
            "exp as an overflowing float",
            json!({"exp": 1.7e308}),
            Refusal::InvalidTimeClaim,
        ),
        ("exp huge", json!({"exp": 1e19}), Refusal::InvalidTimeClaim),
        (
            "exp u64::MAX",
            json!({"exp": u64::MAX}),
            Refusal::InvalidTimeClaim,
        ),
        (
            "exp negative",
            json!({"exp": -1}),
            Refusal::InvalidTimeClaim,
        ),
        (
            "exp in the past as a float",
            json!({"exp": (now - 3600) as f64 + 0.5}),
            Refusal::Expired,
        ),
        (
            "exp an object",
            json!({"exp": {"$gt": 0}}),
            Refusal::InvalidTimeClaim,
        ),
        (
            "nbf beyond the leeway",
            json!({"nbf": now + 3600}),
            Refusal::NotYetValid,
        ),
        (
            "iat beyond the leeway",
            json!({"iat": now + 3600}),
            Refusal::IssuedInFuture,
        ),
        (
            "aud array without a match",
            json!({"aud": ["api://other", "api://websocket "]}),
            Refusal::WrongAudience,
        ),
        (
            "aud with different case",
            json!({"aud": "API://WEBSOCKET"}),
            Refusal::WrongAudience,
        ),
        ("missing iss", json!({"iss": null}), Refusal::WrongIssuer),
        (
            "iss with a trailing slash",
            json!({"iss": format!("{ISSUER}/")}),
            Refusal::WrongIssuer,
        ),
        (
            "sub an object",
            json!({"sub": {"id": 1}}),
            Refusal::MissingPrincipal,
        ),
    ] {
        corpus
            .token(name, &rsa.sign(&claims_with(changes)), expected)
            .await;
    }

    // Transports.
    let mut both = query_event_json(&good);
    both["headers"]["Authorization"] = json!(format!("Bearer {}", ec.sign(&claims)));
    let both: ConnectEvent = serde_json::from_value(both).unwrap();
    corpus
        .expect(
            "different tokens in the query and the header",
            both,
            Refusal::ConflictingTokens,
        )
        .await;

    eprintln!("adversarial corpus: {} cases, none allowed", corpus.cases);
    assert_eq!(corpus.cases, 83, "the corpus lost or gained cases");
}

fn hex_bytes(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

/// The same corpus ideas against AUTHORIZED_APIS: a valid token for the
/// wrong API gets a Deny, whatever the ARN looks like.
#[tokio::test]
async fn method_arn_tricks_are_denied() {
    let key = SigningKey::shared("RS256");
    let server = KeyServer::start(&jwks(&[key])).await;
    let mut corpus = Corpus {
        authorizer: Authorizer::new(config(
            &server.url,
            &[(
                "AUTHORIZED_APIS",
                "arn:aws:execute-api:eu-west-1:123456789012:abcdef1234/prod/$connect",
            )],
        ))
        .unwrap(),
        cases: 0,
    };
    let token = key.sign(&valid_claims());
    for arn in [
        "arn:aws:execute-api:eu-west-1:123456789012:abcdef1234/prod/$connect/extra",
        "arn:aws:execute-api:eu-west-1:123456789012:abcdef1234/prod/$CONNECT",
        "arn:aws:execute-api:eu-west-1:123456789012:abcdef12345/prod/$connect",
        "arn:aws:execute-api:eu-west-1:123456789012:abcdef1234/prod",
    ] {
        let mut event = query_event(&token);
        event.method_arn = arn.to_owned();
        corpus
            .expect(
                &format!("methodArn {arn:?}"),
                event,
                Refusal::ApiNotAuthorized,
            )
            .await;
    }
    // An answer never names an empty resource, nor one that is no ARN: such
    // an event is not an event (500), whatever AUTHORIZED_APIS says.
    for arn in ["", "*", "arn:"] {
        let mut event = query_event(&token);
        event.method_arn = arn.to_owned();
        corpus
            .expect(&format!("methodArn {arn:?}"), event, Refusal::NotAnEvent)
            .await;
    }
    let value: Value = serde_json::to_value(
        corpus
            .authorizer
            .authorize(&query_event(&token))
            .await
            .unwrap(),
    )
    .unwrap();
    assert_eq!(value["policyDocument"]["Statement"][0]["Effect"], "Allow");
}
