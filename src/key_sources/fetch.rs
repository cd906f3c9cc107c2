//! Fetching one issuer's key set over HTTP (or reading it inline): the
//! network edge, with a size cap, a total timeout, no redirects, and OIDC
//! discovery. Caching is [`crate::jwks`]'s.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::{redirect, Client, StatusCode, Url};

use crate::algorithm::AlgorithmSet;
use crate::date::unix_now;
use crate::issuers::{parse_https_url, Issuer, KeySource};
use crate::keys::{KeySet, KeySetError, SkippedKey, VerificationKey};
use crate::kms::{self, KmsError, KmsKeys};
use crate::sigv4::Credentials;
use crate::tls::Trust;

/// The HTTP client of a key source could not be built.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// reqwest refused its settings.
    #[error("HTTP client: {0}")]
    Http(#[from] reqwest::Error),
    /// rustls refused its settings.
    #[error("TLS: {0}")]
    Tls(#[from] rustls::Error),
}

/// Why a key set fetch failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    /// Connection, TLS or protocol failure.
    #[error("request failed: {0}")]
    Request(String),
    /// The whole fetch took longer than the timeout.
    #[error("timed out after {0:?}")]
    Timeout(Duration),
    /// The server answered something other than 200 (redirects are not followed).
    #[error("HTTP status {0}")]
    Status(u16),
    /// The body is larger than the cap; reading stopped there.
    #[error("body larger than {0} bytes")]
    TooLarge(usize),
    /// The body is not a usable key set.
    #[error(transparent)]
    KeySet(#[from] KeySetError),
    /// The OIDC discovery document is unusable.
    #[error("discovery: {0}")]
    Discovery(String),
    /// `kms:GetPublicKey` failed for a KMS key: an outage, whatever KMS
    /// answered (a key disabled or a permission missing can be restored).
    #[error("KMS key {key}: GetPublicKey: {error}")]
    Kms {
        /// The key id.
        key: String,
        /// What went wrong.
        error: KmsError,
    },
}

impl FetchError {
    /// Whether the answer is the provider's word on the key set rather than
    /// an outage: a 4xx other than 408 (timeout) and 429 (throttled) says
    /// the key set is not there (RFC 5861 serves stale content only on
    /// errors that say nothing about it).
    pub fn is_authoritative(&self) -> bool {
        matches!(self, FetchError::Status(status) if (400..500).contains(status) && *status != 408 && *status != 429)
    }

    /// The `Result` dimension of the fetch metric.
    pub fn kind(&self) -> &'static str {
        match self {
            FetchError::Request(_) => "unreachable",
            FetchError::Timeout(_) => "timeout",
            FetchError::Status(_) if self.is_authoritative() => "gone",
            FetchError::Status(_) => "http_status",
            FetchError::TooLarge(_) => "too_large",
            FetchError::KeySet(_) | FetchError::Discovery(_) => "invalid",
            FetchError::Kms { error, .. } => error.kind(),
        }
    }
}

/// By KMS key id: the key, or why it can never verify a token.
type KmsAnswers = HashMap<String, Result<Arc<VerificationKey>, String>>;

/// Downloads (or, for an inline key set, reads) and parses one issuer's key
/// set, with a size cap and a total timeout.
#[derive(Debug, Clone)]
pub struct JwksFetcher {
    client: Client,
    source: KeySource,
    timeout: Duration,
    max_bytes: usize,
    algorithms: AlgorithmSet,
    /// The `jwks_uri` discovery found, and when; reused for the cache TTL.
    discovered: Arc<Mutex<Option<(Url, Instant)>>>,
    discovery_ttl: Duration,
    /// What `GetPublicKey` answered for each KMS key: kept for the life of
    /// the process, as a key id's public key never changes.
    kms_answers: Arc<Mutex<KmsAnswers>>,
}

/// A key set as fetched, with how long its server says it may be cached.
#[derive(Debug)]
pub struct Fetched {
    /// The parsed key set.
    pub set: KeySet,
    /// `Cache-Control: max-age`, when the server sent one.
    pub max_age: Option<Duration>,
    /// For KMS keys: why one could not be read (the set holds the others).
    pub incomplete: Option<FetchError>,
}

impl JwksFetcher {
    /// Builds the HTTP client for `issuer`'s key set (no network use):
    /// each fetch ends within `timeout` and reads at most `max_bytes`; a key
    /// set URL found by discovery is reused for `discovery_ttl`.
    pub fn new(
        issuer: &Issuer,
        algorithms: AlgorithmSet,
        timeout: Duration,
        max_bytes: usize,
        discovery_ttl: Duration,
        trust: &Trust,
    ) -> Result<Self, ClientError> {
        // KMS is AWS's own endpoint: the web's roots certify it whatever
        // JWKS_TRUST_WEB_ROOTS says.
        let kms = matches!(issuer.keys, KeySource::Kms(_));
        let client = Client::builder()
            .use_preconfigured_tls(trust.client_config(kms)?)
            .timeout(timeout)
            .connect_timeout(timeout)
            // A redirect could move the key set to a host nobody configured.
            .redirect(redirect::Policy::none())
            .user_agent(concat!("ws-jwt-authorizer/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(JwksFetcher {
            client,
            source: issuer.keys.clone(),
            timeout,
            max_bytes,
            algorithms,
            discovered: Arc::new(Mutex::new(None)),
            discovery_ttl,
            kms_answers: Arc::default(),
        })
    }

    /// Where the key set comes from.
    pub fn source(&self) -> &KeySource {
        &self.source
    }

    /// Fetches and parses the key set once; for OIDC discovery, reads the
    /// discovery document first unless one read within the TTL named the
    /// key set. The timeout covers both requests.
    pub async fn fetch(&self) -> Result<Fetched, FetchError> {
        let (url, issuer) = match &self.source {
            KeySource::Inline(set) => {
                return Ok(Fetched {
                    set: KeySet::clone(set),
                    max_age: None,
                    incomplete: None,
                })
            }
            KeySource::Kms(keys) => return self.fetch_kms(keys).await,
            KeySource::Url(url) => (url.clone(), None),
            KeySource::Discovery { document, issuer } => (document.clone(), Some(issuer)),
        };
        let (body, max_age) = tokio::time::timeout(self.timeout, async {
            let Some(issuer) = issuer else {
                return self.download(&url).await;
            };
            let (jwks_uri, remembered) = self.discover(&url, issuer, false).await?;
            match self.download(&jwks_uri).await {
                // A key set that moved is found by reading the document
                // again, not mistaken for a key set that is gone.
                Err(_) if remembered => {
                    let (moved, _) = self.discover(&url, issuer, true).await?;
                    self.download(&moved).await
                }
                downloaded => downloaded,
            }
        })
        .await
        .map_err(|_| FetchError::Timeout(self.timeout))??;
        Ok(Fetched {
            set: KeySet::parse_answer(&body, self.algorithms)?,
            max_age,
            incomplete: None,
        })
    }

    /// Reads, with `kms:GetPublicKey` and the function's credentials, each
    /// KMS key not read yet, within the timeout; the set holds every key
    /// read so far. A key KMS says can never verify a token (not a signing
    /// key, no JWS algorithm allowed) is skipped for good; any other failure
    /// leaves the key to the next fetch and is the fetch's error, or, when
    /// other keys are at hand, `incomplete`.
    async fn fetch_kms(&self, keys: &KmsKeys) -> Result<Fetched, FetchError> {
        let deadline = Instant::now() + self.timeout;
        let lock = || {
            self.kms_answers
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
        };
        let mut failure = None;
        for key in keys.keys() {
            if lock().contains_key(&key.id) {
                continue;
            }
            let read = async {
                let credentials = Credentials::from_lookup(|name| std::env::var(name).ok())
                    .map_err(KmsError::Credentials)?;
                let limits = (self.timeout, self.max_bytes);
                kms::get_public_key(&self.client, key, &credentials, unix_now(), limits).await
            };
            let wait = deadline.saturating_duration_since(Instant::now());
            let read = tokio::time::timeout(wait, read)
                .await
                .unwrap_or(Err(KmsError::Timeout(self.timeout)));
            let answer = match read {
                Ok(public) => VerificationKey::from_public_key(
                    &key.id,
                    &public.der,
                    public.algorithms,
                    self.algorithms,
                )
                .map(Arc::new),
                Err(KmsError::Unusable(reason)) => Err(reason),
                Err(error) => {
                    failure.get_or_insert(FetchError::Kms {
                        key: key.id.clone(),
                        error,
                    });
                    continue;
                }
            };
            // Kept at once: a fetch cut short by its caller's deadline loses nothing.
            lock().insert(key.id.clone(), answer);
        }
        let answers = lock().clone();
        if answers.is_empty() {
            if let Some(failure) = failure {
                return Err(failure);
            }
        }
        let mut usable = Vec::with_capacity(answers.len());
        let mut skipped = Vec::new();
        for (kid, answer) in answers {
            match answer {
                Ok(key) => usable.push(key),
                Err(reason) => skipped.push(SkippedKey {
                    kid: Some(kid),
                    reason,
                }),
            }
        }
        Ok(Fetched {
            set: KeySet::from_keys(usable, skipped),
            max_age: None,
            incomplete: failure,
        })
    }

    /// The `jwks_uri` of the discovery document at `document`, whose
    /// `issuer` must be exactly `issuer` (OpenID Connect Discovery §4.3),
    /// and whether it is the one remembered from a read within the TTL
    /// (never, with `reread`).
    async fn discover(
        &self,
        document: &Url,
        issuer: &str,
        reread: bool,
    ) -> Result<(Url, bool), FetchError> {
        let cached = self
            .discovered
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        if let Some((url, at)) = cached.filter(|_| !reread) {
            if at.elapsed() < self.discovery_ttl {
                return Ok((url, true));
            }
        }
        let (body, _) = self.download(document).await?;
        let metadata: DiscoveryDocument = serde_json::from_slice(&body)
            .map_err(|_| FetchError::Discovery("not a discovery document".to_owned()))?;
        if metadata.issuer != issuer {
            return Err(FetchError::Discovery(format!(
                "its issuer {:?} is not the configured {issuer:?}",
                metadata.issuer
            )));
        }
        let url = discovered_key_set_url(document, &metadata.jwks_uri)?;
        *self
            .discovered
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) =
            Some((url.clone(), Instant::now()));
        Ok((url, false))
    }

    async fn download(&self, url: &Url) -> Result<(Vec<u8>, Option<Duration>), FetchError> {
        let mut response = self
            .client
            .get(url.clone())
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(|error| self.request_error(error))?;
        if response.status() != StatusCode::OK {
            return Err(FetchError::Status(response.status().as_u16()));
        }
        if response
            .content_length()
            .is_some_and(|length| length > self.max_bytes as u64)
        {
            return Err(FetchError::TooLarge(self.max_bytes));
        }
        let max_age = response
            .headers()
            .get(reqwest::header::CACHE_CONTROL)
            .and_then(|value| value.to_str().ok())
            .and_then(max_age);
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|error| self.request_error(error))?
        {
            if body.len() + chunk.len() > self.max_bytes {
                return Err(FetchError::TooLarge(self.max_bytes));
            }
            body.extend_from_slice(&chunk);
        }
        Ok((body, max_age))
    }

    fn request_error(&self, error: reqwest::Error) -> FetchError {
        if error.is_timeout() {
            FetchError::Timeout(self.timeout)
        } else {
            // The source chain names the cause (refused, DNS, TLS) without the URL's query.
            let error = error.without_url();
            let mut message = error.to_string();
            let mut source = std::error::Error::source(&error);
            while let Some(cause) = source {
                message.push_str(": ");
                message.push_str(&cause.to_string());
                source = cause.source();
            }
            FetchError::Request(message)
        }
    }
}

/// The key set URL a discovery document at `document` names: `https`, or
/// plain `http` only when the document itself was read over `http` on
/// loopback. An `https` issuer's document may not send the key set fetch to
/// `http`, where anyone on the path could answer with keys of their own.
fn discovered_key_set_url(document: &Url, jwks_uri: &str) -> Result<Url, FetchError> {
    let url = parse_https_url(jwks_uri).map_err(FetchError::Discovery)?;
    if document.scheme() == "https" && url.scheme() != "https" {
        return Err(FetchError::Discovery(format!(
            "its jwks_uri {} is not https, as the issuer is",
            crate::redact::redacted(&url)
        )));
    }
    Ok(url)
}

/// The members of an OpenID Provider's metadata this authorizer reads.
#[derive(Debug, serde::Deserialize)]
struct DiscoveryDocument {
    issuer: String,
    jwks_uri: String,
}

/// `max-age` of a `Cache-Control` value; `no-store`, `no-cache` and
/// `max-age=0` read as zero (the floor then applies).
fn max_age(cache_control: &str) -> Option<Duration> {
    let mut age = None;
    for directive in cache_control.split(',').map(str::trim) {
        let (name, value) = directive.split_once('=').unwrap_or((directive, ""));
        if name.eq_ignore_ascii_case("no-store") || name.eq_ignore_ascii_case("no-cache") {
            return Some(Duration::ZERO);
        }
        if name.eq_ignore_ascii_case("max-age") {
            age = value
                .trim_matches('"')
                .parse::<u64>()
                .ok()
                .map(Duration::from_secs);
        }
    }
    age
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_4xx_other_than_408_and_429_is_authoritative() {
        for (status, authoritative) in [
            (400, true),
            (401, true),
            (403, true),
            (404, true),
            (410, true),
            (408, false),
            (429, false),
            (302, false),
            (500, false),
            (503, false),
        ] {
            let error = FetchError::Status(status);
            assert_eq!(error.is_authoritative(), authoritative, "{status}");
            assert_eq!(
                error.kind(),
                if authoritative { "gone" } else { "http_status" }
            );
        }
        assert!(!FetchError::Timeout(Duration::from_secs(1)).is_authoritative());
        assert!(!FetchError::KeySet(KeySetError::UnknownFormat).is_authoritative());
    }

    #[test]
    fn discovery_keeps_the_issuers_scheme() {
        let https = Url::parse("https://idp.example.com/.well-known/openid-configuration").unwrap();
        let loopback =
            Url::parse("http://127.0.0.1:8080/.well-known/openid-configuration").unwrap();
        assert!(discovered_key_set_url(&https, "https://keys.example.com/jwks").is_ok());
        for downgrade in [
            "http://127.0.0.1:9/jwks",
            "http://localhost/jwks",
            "http://keys.example.com/jwks",
        ] {
            assert!(
                matches!(
                    discovered_key_set_url(&https, downgrade),
                    Err(FetchError::Discovery(_))
                ),
                "{downgrade}"
            );
        }
        assert!(discovered_key_set_url(&loopback, "http://127.0.0.1:9/jwks").is_ok());
        assert!(discovered_key_set_url(&loopback, "https://keys.example.com/jwks").is_ok());
        assert!(discovered_key_set_url(&loopback, "http://keys.example.com/jwks").is_err());
    }

    #[test]
    fn cache_control_max_age() {
        for (header, expected) in [
            ("max-age=300", Some(300)),
            (
                "public, max-age=19204, must-revalidate, no-transform",
                Some(19_204),
            ),
            ("Max-Age=\"60\"", Some(60)),
            ("no-cache", Some(0)),
            ("max-age=600, no-store", Some(0)),
            ("public", None),
            ("max-age=soon", None),
        ] {
            assert_eq!(
                max_age(header),
                expected.map(Duration::from_secs),
                "{header}"
            );
        }
    }

    /// `JWKS_JSON` (and each `jwks` of `JWT_ISSUERS`) is parsed when the
    /// configuration is read; a refresh after the TTL hands out the same
    /// verifiers instead of parsing the text again.
    #[tokio::test]
    async fn an_inline_key_set_is_parsed_once_and_shared_by_every_fetch() {
        let jwks = br#"{"keys":[{"kty":"EC","crv":"P-256","kid":"k1","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}]}"#;
        let keys = KeySource::inline(jwks, AlgorithmSet::all()).unwrap();
        let KeySource::Inline(parsed) = &keys else {
            panic!("not inline: {keys}")
        };
        let issuer = Issuer {
            names: None,
            keys: keys.clone(),
            audiences: vec!["api".to_owned()],
        };
        let fetcher = JwksFetcher::new(
            &issuer,
            AlgorithmSet::all(),
            Duration::from_secs(1),
            1024,
            Duration::from_secs(60),
            &Trust::default(),
        )
        .unwrap();
        for _ in 0..2 {
            let fetched = fetcher.fetch().await.unwrap();
            assert_eq!(fetched.max_age, None);
            let (Some(served), Some(configured)) =
                (fetched.set.shared_key("k1"), parsed.shared_key("k1"))
            else {
                panic!("k1 missing")
            };
            assert!(Arc::ptr_eq(served, configured));
        }
    }
}
