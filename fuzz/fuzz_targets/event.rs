//! Event JSON in, handler response out: the whole authorizer, with its key
//! set served from loopback by a thread of this process.
#![no_main]

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::OnceLock;
use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use testkit::PrivateKey;
use ws_jwt_authorizer::{Authorizer, Config, ConnectEvent};

struct Fixture {
    runtime: tokio::runtime::Runtime,
    authorizer: Authorizer,
}

fn serve(body: String) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let address = listener.local_addr().expect("address");
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let mut request = [0u8; 4096];
            let _ = stream.read(&mut request);
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    format!("http://{address}/jwks")
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let pair = PrivateKey::generate("ES256").expect("key pair");
        let mut public = pair.public_jwk();
        public["kid"] = "fuzz".into();
        let url = serve(serde_json::json!({ "keys": [public] }).to_string());
        let config = Config::from_lookup(|name| match name {
            "JWT_ISSUER_JWKS_URI" => Some(url.clone()),
            "JWT_AUTHORIZED_AUDIENCES" => Some("api".into()),
            "AUTHORIZED_APIS" => {
                Some("arn:aws:execute-api:eu-west-1:123456789012:abcdef1234/*".into())
            }
            "JWKS_REFRESH_COOLDOWN_SECONDS" => Some("86400".into()),
            _ => None,
        })
        .expect("config");
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let authorizer = Authorizer::new(config).expect("authorizer");
        assert!(runtime.block_on(authorizer.prefetch(Duration::from_secs(5))));
        Fixture {
            runtime,
            authorizer,
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let fixture = fixture();
    let Ok(event) = serde_json::from_slice::<ConnectEvent>(data) else {
        return;
    };
    if let Ok(response) = fixture
        .runtime
        .block_on(fixture.authorizer.authorize(&event))
    {
        let response = serde_json::to_value(&response).expect("a response always serializes");
        // Nothing without a valid signature of the fixed key can be allowed.
        assert_ne!(
            response["policyDocument"]["Statement"][0]["Effect"],
            "Allow"
        );
    }
});
