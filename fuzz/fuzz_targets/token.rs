//! Token parsing and verification against a fixed key set.
//!
//! The first byte picks the mode: odd, the rest is a token as received;
//! even, the rest is `header 0xFF payload`, signed with the key set's key so
//! that the fuzzer reaches the claim checks behind a valid signature.
#![no_main]

use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

use libfuzzer_sys::fuzz_target;
use testkit::PrivateKey;
use ws_jwt_authorizer::algorithm::AlgorithmSet;
use ws_jwt_authorizer::keys::KeySet;
use ws_jwt_authorizer::{claims, jws, Config};

struct Fixture {
    keys: KeySet,
    signer: PrivateKey,
    config: Config,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let pair = PrivateKey::generate("ES256").expect("key pair");
        let mut public = pair.public_jwk();
        public["kid"] = "fuzz".into();
        let body = serde_json::json!({ "keys": [public] }).to_string();
        let config = Config::from_lookup(|name| match name {
            "JWT_ISSUER_JWKS_URI" => Some("https://idp.example.com/jwks".into()),
            "JWT_AUTHORIZED_AUDIENCES" => Some("api".into()),
            "JWT_ISSUER" => Some("https://idp.example.com".into()),
            _ => None,
        })
        .expect("config");
        Fixture {
            keys: KeySet::parse(body.as_bytes(), AlgorithmSet::all()).expect("key set"),
            signer: pair,
            config,
        }
    })
}

fn b64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let fixture = fixture();
    let token = if mode % 2 == 1 {
        match std::str::from_utf8(rest) {
            Ok(text) => text.to_owned(),
            Err(_) => return,
        }
    } else {
        let split = rest
            .iter()
            .position(|&byte| byte == 0xff)
            .unwrap_or(rest.len());
        let (header, payload) = (&rest[..split], rest.get(split + 1..).unwrap_or_default());
        let input = format!("{}.{}", b64(header), b64(payload));
        let Ok(signature) = fixture.signer.sign("ES256", input.as_bytes()) else {
            return;
        };
        format!("{input}.{}", b64(&signature))
    };
    let Ok(parsed) = jws::parse(&token, AlgorithmSet::all()) else {
        return;
    };
    let Some(key) = fixture.keys.get(&parsed.header.kid) else {
        return;
    };
    let Ok(verified) = parsed.verify(key).and_then(|payload| payload.claims()) else {
        return;
    };
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    if fixture
        .config
        .claims
        .check(&verified, &fixture.config.issuers[0], now)
        .is_ok()
    {
        let _ = claims::principal_id(&verified, "sub");
        // A subject longer than the budget is refused; any other context
        // holds no object or array, which API Gateway rejects.
        if let Ok(context) = fixture.config.context.build(&verified, None) {
            assert!(context
                .entries
                .values()
                .all(|value| !value.is_object() && !value.is_array()));
        }
    }
});
