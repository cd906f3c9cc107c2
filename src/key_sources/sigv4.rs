//! AWS Signature Version 4, by hand, for the one kind of request the
//! authorizer makes to AWS: a POST of a JSON body to the root of a service
//! endpoint (KMS `GetPublicKey`). HMAC-SHA256 from AWS-LC and SHA-256 from
//! `sha2`, both already linked: no AWS SDK.
//!
//! The credentials are what Lambda gives a function in its environment
//! (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`);
//! nothing here ever formats the secret or the session token for a person.

use std::fmt;

use aws_lc_rs::hmac;
use sha2::{Digest, Sha256};

use crate::date::UtcDateTime;

/// The access key id variable Lambda sets.
pub const AWS_ACCESS_KEY_ID: &str = "AWS_ACCESS_KEY_ID";
/// The secret access key variable Lambda sets.
pub const AWS_SECRET_ACCESS_KEY: &str = "AWS_SECRET_ACCESS_KEY";
/// The session token variable Lambda sets (temporary credentials of the role).
pub const AWS_SESSION_TOKEN: &str = "AWS_SESSION_TOKEN";

/// The function's credentials. Its `Debug` shows none of them.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    access_key_id: String,
    secret_access_key: String,
    session_token: Option<String>,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Credentials { .. }")
    }
}

impl Credentials {
    /// The credentials of `lookup` (the process environment, for Lambda),
    /// or the name of the variable that is missing.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, String> {
        let get = |name: &str| lookup(name).filter(|value| !value.trim().is_empty());
        let missing = |name: &str| format!("{name} is not set");
        Ok(Credentials {
            access_key_id: get(AWS_ACCESS_KEY_ID).ok_or_else(|| missing(AWS_ACCESS_KEY_ID))?,
            secret_access_key: get(AWS_SECRET_ACCESS_KEY)
                .ok_or_else(|| missing(AWS_SECRET_ACCESS_KEY))?,
            session_token: get(AWS_SESSION_TOKEN),
        })
    }
}

/// One request to sign: a `POST` with no query string.
#[derive(Debug)]
pub struct Request<'a> {
    /// The `Host` header as sent: the host, and the port when not the
    /// scheme's default.
    pub host: &'a str,
    /// The path, as sent (already URI-encoded): `/` for AWS's endpoints.
    pub path: &'a str,
    /// The other headers to sign, names in lower case.
    pub headers: &'a [(&'a str, &'a str)],
    /// The body.
    pub body: &'a [u8],
}

/// Where the request goes: the credential scope.
#[derive(Debug, Clone, Copy)]
pub struct Scope<'a> {
    /// The region, `eu-west-1`.
    pub region: &'a str,
    /// The signing name of the service, `kms`.
    pub service: &'a str,
}

/// The headers that sign `request` at `unix_time` (seconds since the
/// epoch): `x-amz-date`, `x-amz-security-token` with a session, and
/// `authorization`. Send them with the request's own headers.
pub fn sign(
    request: &Request,
    credentials: &Credentials,
    scope: Scope,
    unix_time: u64,
) -> Vec<(&'static str, String)> {
    let amz_date = amz_date(unix_time);
    let mut added = vec![("x-amz-date", amz_date.clone())];
    if let Some(token) = &credentials.session_token {
        added.push(("x-amz-security-token", token.clone()));
    }
    let mut headers: Vec<(&str, &str)> = vec![("host", request.host)];
    headers.extend(request.headers.iter().copied());
    headers.extend(added.iter().map(|(name, value)| (*name, value.as_str())));
    let (canonical, signed_headers) =
        canonical_request("POST", request.path, "", &headers, request.body);
    let day = &amz_date[..8];
    let credential_scope = format!("{day}/{}/{}/aws4_request", scope.region, scope.service);
    let to_sign = string_to_sign(&amz_date, &credential_scope, &canonical);
    let key = signing_key(&credentials.secret_access_key, day, scope);
    let signature = hex(hmac::sign(&key, to_sign.as_bytes()).as_ref());
    added.push((
        "authorization",
        format!(
            "AWS4-HMAC-SHA256 Credential={}/{credential_scope}, SignedHeaders={signed_headers}, Signature={signature}",
            credentials.access_key_id
        ),
    ));
    added
}

/// `YYYYMMDD'T'HHMMSS'Z'`, the form of `x-amz-date`.
fn amz_date(unix_time: u64) -> String {
    let time = UtcDateTime::from_unix(unix_time);
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        time.year, time.month, time.day, time.hour, time.minute, time.second
    )
}

/// The canonical request and its signed header names: headers in lower
/// case, sorted, values trimmed with inner runs of spaces made one.
fn canonical_request(
    method: &str,
    path: &str,
    query: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> (String, String) {
    let mut headers: Vec<(String, String)> = headers
        .iter()
        .map(|(name, value)| {
            (
                name.to_ascii_lowercase(),
                value.split_whitespace().collect::<Vec<_>>().join(" "),
            )
        })
        .collect();
    headers.sort();
    let canonical_headers: String = headers
        .iter()
        .map(|(name, value)| format!("{name}:{value}\n"))
        .collect();
    let signed_headers = headers
        .iter()
        .map(|(name, _)| name.as_str())
        .collect::<Vec<_>>()
        .join(";");
    let canonical = format!(
        "{method}\n{path}\n{query}\n{canonical_headers}\n{signed_headers}\n{}",
        hex(&Sha256::digest(body))
    );
    (canonical, signed_headers)
}

fn string_to_sign(amz_date: &str, credential_scope: &str, canonical_request: &str) -> String {
    format!(
        "AWS4-HMAC-SHA256\n{amz_date}\n{credential_scope}\n{}",
        hex(&Sha256::digest(canonical_request.as_bytes()))
    )
}

/// `HMAC(HMAC(HMAC(HMAC("AWS4" + secret, day), region), service), "aws4_request")`.
fn signing_key(secret: &str, day: &str, scope: Scope) -> hmac::Key {
    let step = |key: &[u8], data: &str| {
        hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, key), data.as_bytes())
    };
    let date_key = step(format!("AWS4{secret}").as_bytes(), day);
    let region_key = step(date_key.as_ref(), scope.region);
    let service_key = step(region_key.as_ref(), scope.service);
    let signing = step(service_key.as_ref(), "aws4_request");
    hmac::Key::new(hmac::HMAC_SHA256, signing.as_ref())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The credentials, scope and time of AWS's published Signature Version 4
    /// test suite (aws4_testsuite, as the AWS SDKs vendor it).
    const SUITE_TIME: u64 = 1_440_938_160; // 2015-08-30T12:36:00Z
    const SUITE_SCOPE: Scope = Scope {
        region: "us-east-1",
        service: "service",
    };
    const SUITE_TOKEN: &str = "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==";

    impl Credentials {
        fn new(
            access_key_id: &str,
            secret_access_key: &str,
            session_token: Option<String>,
        ) -> Self {
            Credentials {
                access_key_id: access_key_id.to_owned(),
                secret_access_key: secret_access_key.to_owned(),
                session_token,
            }
        }
    }

    fn suite_credentials(token: Option<&str>) -> Credentials {
        Credentials::new(
            "AKIDEXAMPLE",
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            token.map(str::to_owned),
        )
    }

    fn header<'a>(headers: &'a [(&str, String)], name: &str) -> &'a str {
        headers
            .iter()
            .find(|(header, _)| *header == name)
            .map(|(_, value)| value.as_str())
            .unwrap_or_default()
    }

    #[test]
    fn the_suites_date() {
        assert_eq!(amz_date(SUITE_TIME), "20150830T123600Z");
    }

    /// post-vanilla: the canonical request, the string to sign and the
    /// Authorization header, as published.
    #[test]
    fn post_vanilla() {
        let (canonical, signed) = canonical_request(
            "POST",
            "/",
            "",
            &[
                ("Host", "example.amazonaws.com"),
                ("X-Amz-Date", "20150830T123600Z"),
            ],
            b"",
        );
        assert_eq!(
            canonical,
            "POST\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(signed, "host;x-amz-date");
        let scope = "20150830/us-east-1/service/aws4_request";
        assert_eq!(
            string_to_sign("20150830T123600Z", scope, &canonical),
            "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n553f88c9e4d10fc9e109e2aeb65f030801b70c2f6468faca261d401ae622fc87"
        );
        let request = Request {
            host: "example.amazonaws.com",
            path: "/",
            headers: &[],
            body: b"",
        };
        let headers = sign(&request, &suite_credentials(None), SUITE_SCOPE, SUITE_TIME);
        assert_eq!(header(&headers, "x-amz-date"), "20150830T123600Z");
        assert_eq!(
            header(&headers, "authorization"),
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"
        );
        assert_eq!(header(&headers, "x-amz-security-token"), "");
    }

    /// post-sts-header-before: temporary credentials sign their session
    /// token as `x-amz-security-token`, as Lambda's role credentials need.
    #[test]
    fn post_with_a_session_token() {
        let request = Request {
            host: "example.amazonaws.com",
            path: "/",
            headers: &[],
            body: b"",
        };
        let credentials = suite_credentials(Some(SUITE_TOKEN));
        let headers = sign(&request, &credentials, SUITE_SCOPE, SUITE_TIME);
        assert_eq!(header(&headers, "x-amz-security-token"), SUITE_TOKEN);
        assert_eq!(
            header(&headers, "authorization"),
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date;x-amz-security-token, Signature=85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead"
        );
    }

    /// A KMS `GetPublicKey` request with a body, a port in the host and a
    /// session token; the expected values are botocore's (`SigV4Auth`,
    /// botocore 1.44 in moto's environment), an implementation of its own.
    #[test]
    fn a_kms_request_as_botocore_signs_it() {
        let body = br#"{"KeyId": "1234abcd-12ab-34cd-56ef-1234567890ab"}"#;
        let request = Request {
            host: "127.0.0.1:4566",
            path: "/",
            headers: &[
                ("content-type", "application/x-amz-json-1.1"),
                ("x-amz-target", "TrentService.GetPublicKey"),
            ],
            body,
        };
        let credentials = Credentials::new(
            "ASIAEXAMPLEEXAMPLE01",
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            Some("session-token-example".to_owned()),
        );
        let scope = Scope {
            region: "eu-west-1",
            service: "kms",
        };
        let headers = sign(&request, &credentials, scope, 1_767_225_600);
        assert_eq!(header(&headers, "x-amz-date"), "20260101T000000Z");
        assert_eq!(header(&headers, "authorization"), KMS_AUTHORIZATION);
    }

    const KMS_AUTHORIZATION: &str = "AWS4-HMAC-SHA256 Credential=ASIAEXAMPLEEXAMPLE01/20260101/eu-west-1/kms/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-security-token;x-amz-target, Signature=5c305fd0cc193f74b2a172eddf49d0e24b88d71bc63c3b887c0b3028d14e4252";

    #[test]
    fn credentials_come_from_the_environment_and_never_show() {
        let lookup = |values: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                values
                    .iter()
                    .find(|(variable, _)| *variable == name)
                    .map(|(_, value)| (*value).to_owned())
            }
        };
        let credentials = Credentials::from_lookup(lookup(&[
            (AWS_ACCESS_KEY_ID, "AKIDEXAMPLE"),
            (AWS_SECRET_ACCESS_KEY, "s3cr3t"),
            (AWS_SESSION_TOKEN, "t0k3n"),
        ]))
        .unwrap();
        assert_eq!(
            credentials,
            Credentials::new("AKIDEXAMPLE", "s3cr3t", Some("t0k3n".to_owned()))
        );
        let shown = format!("{credentials:?}");
        assert!(!shown.contains("s3cr3t") && !shown.contains("t0k3n") && !shown.contains("AKID"));
        assert_eq!(
            Credentials::from_lookup(lookup(&[(AWS_ACCESS_KEY_ID, "AKIDEXAMPLE")])).unwrap_err(),
            "AWS_SECRET_ACCESS_KEY is not set"
        );
        assert_eq!(
            Credentials::from_lookup(lookup(&[(AWS_SECRET_ACCESS_KEY, "s")])).unwrap_err(),
            "AWS_ACCESS_KEY_ID is not set"
        );
        let without_session = Credentials::from_lookup(lookup(&[
            (AWS_ACCESS_KEY_ID, "AKIDEXAMPLE"),
            (AWS_SECRET_ACCESS_KEY, "s3cr3t"),
            (AWS_SESSION_TOKEN, " "),
        ]))
        .unwrap();
        assert_eq!(without_session.session_token, None);
    }
}
