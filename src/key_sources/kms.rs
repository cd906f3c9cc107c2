//! AWS KMS as an issuer's keys: the key ids and key ARNs configured
//! (`KMS_JWT_KEY_ID`, or `kms_key_ids` of a `JWT_ISSUERS` entry), where
//! each is asked for (its region, the endpoint), and `kms:GetPublicKey`
//! over the authorizer's own HTTP client, signed with the function's
//! credentials ([`crate::sigv4`]): no AWS SDK.
//!
//! A token names a KMS key by its key id in `kid` (the id, also when the
//! key is configured by its ARN). A key id's public key never changes, so
//! each is read once and kept ([`crate::fetch`]).

use std::fmt;
use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use reqwest::{Client, Url};
use serde::Deserialize;

use crate::algorithm::{Algorithm, AlgorithmSet};
use crate::error::Refusal;
use crate::keys::KeySet;
use crate::sigv4::{self, Credentials, Scope};

/// Comma list of KMS key ids or key ARNs whose keys sign the tokens (the
/// variable of the Go authorizer of AWS's KMS signing example).
pub const KMS_JWT_KEY_ID: &str = "KMS_JWT_KEY_ID";
/// The function's region (Lambda sets it).
pub const AWS_REGION: &str = "AWS_REGION";
/// The region when `AWS_REGION` is not set, as the AWS SDKs read it.
pub const AWS_DEFAULT_REGION: &str = "AWS_DEFAULT_REGION";
/// KMS's endpoint, as the AWS SDKs read it (a local emulator, say).
pub const AWS_ENDPOINT_URL_KMS: &str = "AWS_ENDPOINT_URL_KMS";
/// Every service's endpoint, when `AWS_ENDPOINT_URL_KMS` is not set.
pub const AWS_ENDPOINT_URL: &str = "AWS_ENDPOINT_URL";
/// `true` makes the AWS SDKs ignore both endpoint variables; so here.
pub const AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: &str = "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS";

/// The endpoint variable in effect and its value, as the AWS SDKs choose
/// it: `AWS_ENDPOINT_URL_KMS`, else `AWS_ENDPOINT_URL`, neither when
/// `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS` is true.
pub fn endpoint_variable(get: impl Fn(&str) -> Option<String>) -> Option<(&'static str, String)> {
    if get(AWS_IGNORE_CONFIGURED_ENDPOINT_URLS)
        .is_some_and(|value| value.eq_ignore_ascii_case("true"))
    {
        return None;
    }
    [AWS_ENDPOINT_URL_KMS, AWS_ENDPOINT_URL]
        .into_iter()
        .find_map(|variable| get(variable).map(|value| (variable, value)))
}

/// The region of key ids given without their ARN: `AWS_REGION`, else
/// `AWS_DEFAULT_REGION`.
pub fn default_region(get: impl Fn(&str) -> Option<String>) -> Option<String> {
    get(AWS_REGION).or_else(|| get(AWS_DEFAULT_REGION))
}

/// What KMS keys are resolved with: the default region and an endpoint
/// that replaces KMS's own (already checked by the configuration).
#[derive(Debug, Clone, Default)]
pub struct KmsSettings {
    /// The region of key ids given without their ARN.
    pub region: Option<String>,
    /// The endpoint of every request, when configured.
    pub endpoint: Option<Url>,
}

/// One configured KMS key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KmsKey {
    /// Its key id: the `kid` tokens name it by.
    pub id: String,
    /// As configured, what `GetPublicKey` is asked for: the key ARN or id.
    pub key_id: String,
    /// Its region.
    pub region: String,
    /// Where `GetPublicKey` is sent.
    pub endpoint: Url,
}

/// An issuer's KMS keys; never empty, each key once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KmsKeys {
    keys: Vec<KmsKey>,
}

/// Shown by key id: what tokens name them by (no credentials here).
impl fmt::Display for KmsKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ids: Vec<&str> = self.keys.iter().map(|key| key.id.as_str()).collect();
        write!(f, "KMS keys {}", ids.join(", "))
    }
}

impl KmsKeys {
    /// The keys of `items` (key ids or key ARNs), resolved with `settings`;
    /// the reason when one is malformed, repeated or without a region.
    pub fn parse(items: &[String], settings: &KmsSettings) -> Result<Self, String> {
        let mut keys: Vec<KmsKey> = Vec::with_capacity(items.len());
        for item in items.iter().map(|item| item.trim()) {
            let (id, arn_region) = parse_key_reference(item)?;
            if keys.iter().any(|key| key.id == id) {
                return Err(format!("names the KMS key {id} twice"));
            }
            let region = arn_region.or_else(|| settings.region.clone()).ok_or_else(|| {
                format!(
                    "the KMS key id {id} needs a region: give its key ARN, or set {AWS_REGION} (Lambda sets it)"
                )
            })?;
            let endpoint = match &settings.endpoint {
                Some(endpoint) => endpoint.clone(),
                None => default_endpoint(&region)?,
            };
            keys.push(KmsKey {
                key_id: item.to_owned(),
                id,
                region,
                endpoint,
            });
        }
        if keys.is_empty() {
            return Err("names no KMS key".to_owned());
        }
        Ok(KmsKeys { keys })
    }

    /// The keys, in the configured order.
    pub fn keys(&self) -> &[KmsKey] {
        &self.keys
    }

    /// Whether `kid` is the key id of one of the keys.
    pub fn contains(&self, kid: &str) -> bool {
        self.keys.iter().any(|key| key.id == kid)
    }
}

/// KMS's endpoint in `region`: `https://kms.{region}.amazonaws.com`
/// (`.com.cn` in the China regions).
fn default_endpoint(region: &str) -> Result<Url, String> {
    let domain = if region.starts_with("cn-") {
        "amazonaws.com.cn"
    } else {
        "amazonaws.com"
    };
    Url::parse(&format!("https://kms.{region}.{domain}/"))
        .map_err(|_| format!("{region:?} is not a region"))
}

/// The key id of a key id or key ARN, and the ARN's region. Aliases are
/// refused: an alias can be moved to another key, and a key id's public
/// key must never change.
fn parse_key_reference(item: &str) -> Result<(String, Option<String>), String> {
    if item.starts_with("alias/") {
        return Err(format!(
            "{item:?} is an alias: give the key id or key ARN (an alias can be moved to another key)"
        ));
    }
    let Some(rest) = item.strip_prefix("arn:") else {
        return key_id(item).map(|id| (id, None));
    };
    let parts: Vec<&str> = rest.splitn(5, ':').collect();
    let [partition, service, region, account, resource] = parts[..] else {
        return Err(format!(
            "{item:?} is not a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/KEY_ID)"
        ));
    };
    let name_like = |text: &str| {
        !text.is_empty()
            && text
                .bytes()
                .all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'-')
    };
    let well_formed = name_like(partition)
        && service == "kms"
        && name_like(region)
        && account.len() == 12
        && account.bytes().all(|byte| byte.is_ascii_digit());
    match resource.strip_prefix("key/") {
        Some(id) if well_formed => key_id(id).map(|id| (id, Some(region.to_owned()))),
        _ if resource.starts_with("alias/") => Err(format!(
            "{item:?} is an alias ARN: give the key ARN (an alias can be moved to another key)"
        )),
        _ => Err(format!(
            "{item:?} is not a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/KEY_ID)"
        )),
    }
}

/// A KMS key id: a UUID (`1234abcd-12ab-34cd-56ef-1234567890ab`) or a
/// multi-Region key id (`mrk-` and 32 hex digits), in lower case as KMS
/// writes them.
fn key_id(text: &str) -> Result<String, String> {
    let hex = |part: &str, length: usize| {
        part.len() == length
            && part
                .bytes()
                .all(|byte| byte.is_ascii_digit() || (b'a'..=b'f').contains(&byte))
    };
    let uuid = {
        let parts: Vec<&str> = text.split('-').collect();
        parts.len() == 5
            && parts
                .iter()
                .zip([8, 4, 4, 4, 12])
                .all(|(part, length)| hex(part, length))
    };
    let multi_region = text.strip_prefix("mrk-").is_some_and(|rest| hex(rest, 32));
    if uuid || multi_region {
        Ok(text.to_owned())
    } else {
        Err(format!(
            "{text:?} is not a KMS key id (1234abcd-12ab-34cd-56ef-1234567890ab, or mrk- and 32 hex digits for a multi-Region key) nor a key ARN"
        ))
    }
}

/// The JWS algorithm of a KMS signing algorithm, when it has one.
pub fn jose_algorithm(kms: &str) -> Option<Algorithm> {
    Some(match kms {
        "RSASSA_PKCS1_V1_5_SHA_256" => Algorithm::Rs256,
        "RSASSA_PKCS1_V1_5_SHA_384" => Algorithm::Rs384,
        "RSASSA_PKCS1_V1_5_SHA_512" => Algorithm::Rs512,
        "RSASSA_PSS_SHA_256" => Algorithm::Ps256,
        "RSASSA_PSS_SHA_384" => Algorithm::Ps384,
        "RSASSA_PSS_SHA_512" => Algorithm::Ps512,
        // On ECC_NIST_P256, P384, P521; ECC_SECG_P256K1 also signs with
        // ECDSA_SHA_256, which its curve's public key then refuses.
        "ECDSA_SHA_256" => Algorithm::Es256,
        "ECDSA_SHA_384" => Algorithm::Es384,
        "ECDSA_SHA_512" => Algorithm::Es512,
        // Pure Ed25519 (ECC_NIST_EDWARDS25519): JWS's EdDSA.
        "ED25519_SHA_512" => Algorithm::EdDsa,
        _ => return None,
    })
}

/// The kid of the one key of `set` that can verify `alg`, for a token
/// without kid (KMS signs without one); `missing_kid` when none or several
/// can, as the token then names no key.
pub fn only_key_for(set: &KeySet, alg: Algorithm) -> Result<String, Refusal> {
    let fitting: Vec<&str> = set
        .keys()
        .into_iter()
        .filter(|(_, key)| key.algorithms().contains(alg))
        .map(|(kid, _)| kid)
        .collect();
    match fitting[..] {
        [kid] => {
            tracing::debug!(kid, %alg, "a token without kid: verified with the one KMS key that can verify its alg");
            Ok(kid.to_owned())
        }
        _ => Err(Refusal::MissingKid),
    }
}

/// Why `GetPublicKey` gave no usable key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KmsError {
    /// The function has no credentials to sign with.
    #[error("no AWS credentials: {0}")]
    Credentials(String),
    /// Connection, TLS or protocol failure.
    #[error("request failed: {0}")]
    Request(String),
    /// The request took longer than the timeout.
    #[error("timed out after {0:?}")]
    Timeout(Duration),
    /// KMS answered with an error: its HTTP status and error type
    /// (`AccessDeniedException`, `NotFoundException`, …). Never its
    /// message, which may echo the signed request.
    #[error("KMS answered {status} {code}")]
    Status {
        /// The HTTP status.
        status: u16,
        /// The error type, or `unknown`.
        code: String,
    },
    /// The answer is larger than the cap; reading stopped there.
    #[error("answer larger than {0} bytes")]
    TooLarge(usize),
    /// The answer is not a `GetPublicKey` answer for this key.
    #[error("answer unreadable: {0}")]
    Invalid(String),
    /// KMS answered, with a key that can never verify a token (not a
    /// signing key, no JWS algorithm): permanent, unlike the others.
    #[error("{0}")]
    Unusable(String),
}

impl KmsError {
    /// The `Result` dimension of the fetch metric.
    pub fn kind(&self) -> &'static str {
        match self {
            KmsError::Credentials(_) | KmsError::Status { .. } => "http_status",
            KmsError::Request(_) => "unreachable",
            KmsError::Timeout(_) => "timeout",
            KmsError::TooLarge(_) => "too_large",
            KmsError::Invalid(_) | KmsError::Unusable(_) => "invalid",
        }
    }
}

/// What `GetPublicKey` says of a signing key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKey {
    /// Its DER SubjectPublicKeyInfo.
    pub der: Vec<u8>,
    /// The JWS algorithms of its signing algorithms.
    pub algorithms: AlgorithmSet,
}

/// The members of a `GetPublicKey` answer read here.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GetPublicKeyAnswer {
    key_id: Option<String>,
    public_key: String,
    key_usage: Option<String>,
    #[serde(default)]
    signing_algorithms: Vec<String>,
}

/// `kms:GetPublicKey` for `key`, signed with `credentials` at `unix_time`,
/// over `client` (whose timeout is `timeout`); reads at most `max_bytes`
/// of the answer.
pub async fn get_public_key(
    client: &Client,
    key: &KmsKey,
    credentials: &Credentials,
    unix_time: u64,
    (timeout, max_bytes): (Duration, usize),
) -> Result<PublicKey, KmsError> {
    let request_error = |error| request_error(error, timeout);
    let body = serde_json::json!({ "KeyId": key.key_id }).to_string();
    let host = match (key.endpoint.host_str(), key.endpoint.port()) {
        (Some(host), Some(port)) => format!("{host}:{port}"),
        (Some(host), None) => host.to_owned(),
        (None, _) => return Err(KmsError::Request("the endpoint has no host".to_owned())),
    };
    let headers = [
        ("content-type", "application/x-amz-json-1.1"),
        ("x-amz-target", "TrentService.GetPublicKey"),
    ];
    let request = sigv4::Request {
        host: &host,
        path: key.endpoint.path(),
        headers: &headers,
        body: body.as_bytes(),
    };
    let scope = Scope {
        region: &key.region,
        service: "kms",
    };
    let mut post = client.post(key.endpoint.clone()).header("host", &host);
    for (name, value) in headers {
        post = post.header(name, value);
    }
    for (name, value) in sigv4::sign(&request, credentials, scope, unix_time) {
        post = post.header(name, value);
    }
    let mut response = post.body(body).send().await.map_err(request_error)?;
    let status = response.status().as_u16();
    let mut answer = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(request_error)? {
        if answer.len() + chunk.len() > max_bytes {
            return Err(KmsError::TooLarge(max_bytes));
        }
        answer.extend_from_slice(&chunk);
    }
    if status != 200 {
        return Err(KmsError::Status {
            status,
            code: error_code(&answer),
        });
    }
    read_answer(&answer, key)
}

/// The public key and algorithms of a `GetPublicKey` answer for `key`.
fn read_answer(answer: &[u8], key: &KmsKey) -> Result<PublicKey, KmsError> {
    let answer: GetPublicKeyAnswer = serde_json::from_slice(answer)
        .map_err(|_| KmsError::Invalid("not a GetPublicKey answer".to_owned()))?;
    // KMS names the key by its ARN; an emulator may name it by its id.
    if let Some(named) = &answer.key_id {
        if named.rsplit('/').next() != Some(key.id.as_str()) {
            return Err(KmsError::Invalid(format!(
                "it is for the key {named:?}, not {}",
                key.id
            )));
        }
    }
    let der = STANDARD
        .decode(&answer.public_key)
        .map_err(|_| KmsError::Invalid("PublicKey is not base64".to_owned()))?;
    if let Some(usage) = answer.key_usage.filter(|usage| usage != "SIGN_VERIFY") {
        return Err(KmsError::Unusable(format!(
            "KMS key usage is {usage}, not SIGN_VERIFY"
        )));
    }
    let algorithms: AlgorithmSet = answer
        .signing_algorithms
        .iter()
        .filter_map(|name| jose_algorithm(name))
        .collect();
    if algorithms.is_empty() {
        return Err(KmsError::Unusable(format!(
            "none of its signing algorithms ({}) is a JWS algorithm",
            answer.signing_algorithms.join(", ")
        )));
    }
    Ok(PublicKey { der, algorithms })
}

/// The error type of a KMS error answer (`{"__type": "…"}`), without any
/// namespace, at most 64 letters, digits, `.` or `_`; `unknown` otherwise.
fn error_code(answer: &[u8]) -> String {
    #[derive(Deserialize)]
    struct ErrorAnswer {
        #[serde(rename = "__type")]
        kind: Option<String>,
    }
    let code = serde_json::from_slice::<ErrorAnswer>(answer)
        .ok()
        .and_then(|error| error.kind)
        .map(|kind| kind.rsplit('#').next().unwrap_or_default().to_owned())
        .filter(|code| {
            !code.is_empty()
                && code.len() <= 64
                && code
                    .bytes()
                    .all(|byte| byte.is_ascii_alphanumeric() || byte == b'.' || byte == b'_')
        });
    code.unwrap_or_else(|| "unknown".to_owned())
}

fn request_error(error: reqwest::Error, timeout: Duration) -> KmsError {
    if error.is_timeout() {
        return KmsError::Timeout(timeout);
    }
    // The source chain names the cause (refused, DNS, TLS); no header is in it.
    let error = error.without_url();
    let mut message = error.to_string();
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    KmsError::Request(message)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "1234abcd-12ab-34cd-56ef-1234567890ab";
    const MRK: &str = "mrk-1234abcd12ab34cd56ef1234567890ab";
    const ARN: &str = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";

    fn settings(region: Option<&str>, endpoint: Option<&str>) -> KmsSettings {
        KmsSettings {
            region: region.map(str::to_owned),
            endpoint: endpoint.map(|url| Url::parse(url).unwrap()),
        }
    }

    fn list(items: &[&str]) -> Vec<String> {
        items.iter().map(|item| (*item).to_owned()).collect()
    }

    #[test]
    fn key_ids_and_arns_name_a_key_by_its_id() {
        assert_eq!(parse_key_reference(ID), Ok((ID.to_owned(), None)));
        assert_eq!(parse_key_reference(MRK), Ok((MRK.to_owned(), None)));
        assert_eq!(
            parse_key_reference(ARN),
            Ok((ID.to_owned(), Some("eu-west-1".to_owned())))
        );
        assert_eq!(
            parse_key_reference(&format!("arn:aws-cn:kms:cn-north-1:111122223333:key/{MRK}")),
            Ok((MRK.to_owned(), Some("cn-north-1".to_owned())))
        );
        for (bad, says) in [
            ("", "is not a KMS key id"),
            (
                "1234ABCD-12AB-34CD-56EF-1234567890AB",
                "is not a KMS key id",
            ),
            ("1234abcd-12ab-34cd-56ef-1234567890a", "is not a KMS key id"),
            ("1234abcd12ab34cd56ef1234567890ab", "is not a KMS key id"),
            ("mrk-1234", "is not a KMS key id"),
            ("alias/jwt", "is an alias"),
            (
                "arn:aws:kms:eu-west-1:111122223333:alias/jwt",
                "is an alias ARN",
            ),
            (
                "arn:aws:kms:eu-west-1:1111:key/1234abcd-12ab-34cd-56ef-1234567890ab",
                "is not a KMS key ARN",
            ),
            (
                "arn:aws:sns:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
                "is not a KMS key ARN",
            ),
            (
                "arn:aws:kms::111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
                "is not a KMS key ARN",
            ),
            (
                "arn:aws:kms:eu-west-1:111122223333:key/nope",
                "is not a KMS key id",
            ),
            ("arn:aws:kms:eu-west-1:111122223333", "is not a KMS key ARN"),
        ] {
            let error = parse_key_reference(bad).unwrap_err();
            assert!(error.contains(says), "{bad}: {error}");
        }
    }

    #[test]
    fn each_key_gets_its_region_and_endpoint() {
        let keys = KmsKeys::parse(&list(&[ARN, MRK]), &settings(Some("us-east-2"), None)).unwrap();
        let [by_arn, by_id] = keys.keys() else {
            panic!("two keys: {keys:?}")
        };
        // A key ARN is asked for in its own region, whatever AWS_REGION says.
        assert_eq!((by_arn.id.as_str(), by_arn.key_id.as_str()), (ID, ARN));
        assert_eq!(by_arn.region, "eu-west-1");
        assert_eq!(
            by_arn.endpoint.as_str(),
            "https://kms.eu-west-1.amazonaws.com/"
        );
        assert_eq!((by_id.id.as_str(), by_id.key_id.as_str()), (MRK, MRK));
        assert_eq!(by_id.region, "us-east-2");
        assert_eq!(
            by_id.endpoint.as_str(),
            "https://kms.us-east-2.amazonaws.com/"
        );
        assert!(keys.contains(ID) && keys.contains(MRK) && !keys.contains(ARN));
        assert_eq!(keys.to_string(), format!("KMS keys {ID}, {MRK}"));

        let china = KmsKeys::parse(&list(&[ID]), &settings(Some("cn-north-1"), None)).unwrap();
        assert_eq!(
            china.keys()[0].endpoint.as_str(),
            "https://kms.cn-north-1.amazonaws.com.cn/"
        );
        let local = settings(Some("us-east-1"), Some("http://127.0.0.1:5000"));
        let emulated = KmsKeys::parse(&list(&[ARN, MRK]), &local).unwrap();
        for key in emulated.keys() {
            assert_eq!(key.endpoint.as_str(), "http://127.0.0.1:5000/");
        }
        assert_eq!(emulated.keys()[0].region, "eu-west-1");
    }

    #[test]
    fn mistakes_are_named() {
        for (items, region, says) in [
            (vec![ID], None, "needs a region"),
            (vec![ID, ARN], Some("eu-west-1"), "twice"),
            (vec![], Some("eu-west-1"), "names no KMS key"),
            (vec!["alias/jwt"], Some("eu-west-1"), "alias"),
        ] {
            let error = KmsKeys::parse(&list(&items), &settings(region, None)).unwrap_err();
            assert!(error.contains(says), "{items:?}: {error}");
        }
        assert!(KmsKeys::parse(&list(&[ARN]), &settings(None, None)).is_ok());
    }

    #[test]
    fn the_endpoint_and_region_are_read_as_the_aws_sdks_read_them() {
        let env = |values: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                values
                    .iter()
                    .find(|(variable, _)| *variable == name)
                    .map(|(_, value)| (*value).to_owned())
            }
        };
        const BOTH: [(&str, &str); 2] = [
            (AWS_ENDPOINT_URL, "http://127.0.0.1:1"),
            (AWS_ENDPOINT_URL_KMS, "http://127.0.0.1:2"),
        ];
        assert_eq!(
            endpoint_variable(env(&BOTH)),
            Some((AWS_ENDPOINT_URL_KMS, "http://127.0.0.1:2".to_owned()))
        );
        assert_eq!(
            endpoint_variable(env(&[(AWS_ENDPOINT_URL, "http://127.0.0.1:1")])),
            Some((AWS_ENDPOINT_URL, "http://127.0.0.1:1".to_owned()))
        );
        const IGNORED: [(&str, &str); 2] = [
            (AWS_ENDPOINT_URL_KMS, "http://127.0.0.1:2"),
            (AWS_IGNORE_CONFIGURED_ENDPOINT_URLS, "TRUE"),
        ];
        assert_eq!(endpoint_variable(env(&IGNORED)), None);
        assert_eq!(endpoint_variable(env(&[])), None);
        assert_eq!(
            default_region(env(&[(AWS_DEFAULT_REGION, "b"), (AWS_REGION, "a")])),
            Some("a".to_owned())
        );
        assert_eq!(
            default_region(env(&[(AWS_DEFAULT_REGION, "b")])),
            Some("b".to_owned())
        );
    }

    #[test]
    fn kms_signing_algorithms_map_to_their_jws_algorithms() {
        for (kms, jose) in [
            ("ECDSA_SHA_256", "ES256"),
            ("ECDSA_SHA_384", "ES384"),
            ("ECDSA_SHA_512", "ES512"),
            ("RSASSA_PKCS1_V1_5_SHA_256", "RS256"),
            ("RSASSA_PKCS1_V1_5_SHA_384", "RS384"),
            ("RSASSA_PKCS1_V1_5_SHA_512", "RS512"),
            ("RSASSA_PSS_SHA_256", "PS256"),
            ("RSASSA_PSS_SHA_384", "PS384"),
            ("RSASSA_PSS_SHA_512", "PS512"),
            ("ED25519_SHA_512", "EdDSA"),
        ] {
            assert_eq!(
                jose_algorithm(kms).map(Algorithm::name),
                Some(jose),
                "{kms}"
            );
        }
        for none in [
            "SM2DSA",
            "ML_DSA_SHAKE_256",
            "ED25519_PH_SHA_512",
            "ecdsa_sha_256",
            "",
        ] {
            assert_eq!(jose_algorithm(none), None, "{none}");
        }
    }

    fn key() -> KmsKey {
        KmsKeys::parse(&list(&[ARN]), &KmsSettings::default())
            .unwrap()
            .keys()[0]
            .clone()
    }

    #[test]
    fn an_answer_gives_the_key_and_its_algorithms() {
        let answer = |key_id: &str, usage: &str, algorithms: &[&str]| {
            serde_json::json!({
                "KeyId": key_id,
                "PublicKey": "MCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=",
                "KeySpec": "ECC_NIST_P521",
                "KeyUsage": usage,
                "SigningAlgorithms": algorithms,
            })
            .to_string()
        };
        let read = read_answer(
            answer(ARN, "SIGN_VERIFY", &["ECDSA_SHA_512"]).as_bytes(),
            &key(),
        )
        .unwrap();
        assert_eq!(read.algorithms.to_string(), "ES512");
        assert_eq!(read.der.len(), 44);
        // moto names the key by its id.
        assert!(read_answer(
            answer(ID, "SIGN_VERIFY", &["ECDSA_SHA_512"]).as_bytes(),
            &key()
        )
        .is_ok());
        let rsa = read_answer(
            answer(
                ID,
                "SIGN_VERIFY",
                &[
                    "RSASSA_PSS_SHA_256",
                    "RSASSA_PKCS1_V1_5_SHA_256",
                    "SOMETHING_NEW",
                ],
            )
            .as_bytes(),
            &key(),
        )
        .unwrap();
        assert_eq!(rsa.algorithms.to_string(), "RS256,PS256");
        let other = "arn:aws:kms:eu-west-1:111122223333:key/00000000-0000-0000-0000-000000000000";
        assert!(matches!(
            read_answer(
                answer(other, "SIGN_VERIFY", &["ECDSA_SHA_512"]).as_bytes(),
                &key()
            ),
            Err(KmsError::Invalid(_))
        ));
        assert!(matches!(
            read_answer(answer(ARN, "ENCRYPT_DECRYPT", &[]).as_bytes(), &key()),
            Err(KmsError::Unusable(reason)) if reason.contains("ENCRYPT_DECRYPT")
        ));
        assert!(matches!(
            read_answer(answer(ARN, "SIGN_VERIFY", &["SM2DSA"]).as_bytes(), &key()),
            Err(KmsError::Unusable(reason)) if reason.contains("SM2DSA")
        ));
        for bad in ["", "{}", "[]", r#"{"PublicKey": "%%%"}"#] {
            assert!(
                matches!(
                    read_answer(bad.as_bytes(), &key()),
                    Err(KmsError::Invalid(_))
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn an_error_answer_gives_its_type_and_nothing_else() {
        for (answer, code) in [
            (
                r#"{"__type": "NotFoundException", "message": "Key 'x' does not exist"}"#,
                "NotFoundException",
            ),
            (
                r#"{"__type": "com.amazonaws.kms#AccessDeniedException"}"#,
                "AccessDeniedException",
            ),
            (
                r#"{"message": "The request signature we calculated does not match"}"#,
                "unknown",
            ),
            (r#"{"__type": "a b\nc"}"#, "unknown"),
            ("<html>", "unknown"),
        ] {
            assert_eq!(error_code(answer.as_bytes()), code, "{answer}");
        }
        let error = KmsError::Status {
            status: 400,
            code: "AccessDeniedException".to_owned(),
        };
        assert_eq!(error.to_string(), "KMS answered 400 AccessDeniedException");
        assert_eq!(error.kind(), "http_status");
        assert_eq!(
            KmsError::Request("refused".to_owned()).kind(),
            "unreachable"
        );
    }
}
