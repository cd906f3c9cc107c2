//! Fetching the key set over HTTP and caching it: the network edge.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use moka::future::Cache;
use moka::ops::compute::Op;
use reqwest::{redirect, Client, StatusCode, Url};

use crate::algorithm::AlgorithmSet;
use crate::config::Config;
use crate::error::Refusal;
use crate::issuers::{parse_https_url, Issuer, KeySource};
use crate::keys::{KeySet, KeySetError};
use crate::metrics::Metrics;

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
}

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
}

/// A key set as fetched, with how long its server says it may be cached.
#[derive(Debug)]
pub struct Fetched {
    /// The parsed key set.
    pub set: KeySet,
    /// `Cache-Control: max-age`, when the server sent one.
    pub max_age: Option<Duration>,
}

impl JwksFetcher {
    /// Builds the HTTP client for `issuer`'s key set (no network use).
    pub fn new(config: &Config, issuer: &Issuer) -> Result<Self, reqwest::Error> {
        let client = Client::builder()
            .timeout(config.jwks_fetch_timeout)
            .connect_timeout(config.jwks_fetch_timeout)
            // A redirect could move the key set to a host nobody configured.
            .redirect(redirect::Policy::none())
            .user_agent(concat!("ws-jwt-authorizer/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(JwksFetcher {
            client,
            source: issuer.keys.clone(),
            timeout: config.jwks_fetch_timeout,
            max_bytes: config.jwks_max_bytes,
            algorithms: config.algorithms,
            discovered: Arc::new(Mutex::new(None)),
            discovery_ttl: config.jwks_cache_ttl,
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
            KeySource::Inline(json) => {
                return Ok(Fetched {
                    set: KeySet::parse(json.as_bytes(), self.algorithms)?,
                    max_age: None,
                })
            }
            KeySource::Url(url) => (url.clone(), None),
            KeySource::Discovery { document, issuer } => (document.clone(), Some(issuer)),
        };
        let (body, max_age) = tokio::time::timeout(self.timeout, async {
            let url = match issuer {
                None => url,
                Some(issuer) => self.discover(&url, issuer).await?,
            };
            self.download(&url).await
        })
        .await
        .map_err(|_| FetchError::Timeout(self.timeout))??;
        Ok(Fetched {
            set: KeySet::parse(&body, self.algorithms)?,
            max_age,
        })
    }

    /// The `jwks_uri` of the discovery document at `document`, whose
    /// `issuer` must be exactly `issuer` (OpenID Connect Discovery §4.3).
    async fn discover(&self, document: &Url, issuer: &str) -> Result<Url, FetchError> {
        let cached = self
            .discovered
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        if let Some((url, at)) = cached {
            if at.elapsed() < self.discovery_ttl {
                return Ok(url);
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
        let url = parse_https_url(&metadata.jwks_uri).map_err(FetchError::Discovery)?;
        *self
            .discovered
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) =
            Some((url.clone(), Instant::now()));
        Ok(url)
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

/// The cached key set.
///
/// A set younger than the TTL is used as is. An older one is refreshed by the
/// first request that sees it, while concurrent requests go on with the old
/// keys (stale-while-revalidate); if that refresh fails, the old keys stay in
/// use until they are `max_stale` past the TTL (stale-if-error). Only a cold
/// start, or a set past both, makes requests wait for a fetch.
///
/// A token whose kid the set lacks triggers one refetch per cooldown.
/// Concurrent requests that need a fetch share one: moka runs compute
/// operations on one key one at a time, and each re-checks whether another
/// already brought a fresh enough set.
#[derive(Debug)]
pub struct KeyStore {
    fetcher: JwksFetcher,
    cache: Cache<(), Arc<KeySet>>,
    ttl: Duration,
    min_ttl: Duration,
    fallback: Option<Arc<KeySet>>,
    cooldown: Duration,
    last_kid_refetch: Mutex<Option<Instant>>,
    revalidating: AtomicBool,
    unknown_kids: Cache<String, ()>,
    metrics: Metrics,
}

/// How long a kid that a fresh refetch did not have is answered without
/// another: at least this, or the cooldown when longer.
const UNKNOWN_KID_MEMORY: Duration = Duration::from_secs(60);

/// Bounds the memory a flood of distinct made-up kids can take.
const MAX_REMEMBERED_UNKNOWN_KIDS: u64 = 10_000;

impl KeyStore {
    /// A store with an empty cache. `fallback`, a key set bundled with the
    /// function, serves when no fetch has succeeded (logged as stale keys).
    pub fn new(
        fetcher: JwksFetcher,
        config: &Config,
        fallback: Option<KeySet>,
        metrics: Metrics,
    ) -> Self {
        KeyStore {
            fetcher,
            cache: Cache::builder()
                .max_capacity(1)
                .time_to_live(config.jwks_cache_ttl + config.jwks_max_stale)
                .build(),
            ttl: config.jwks_cache_ttl,
            min_ttl: config.jwks_min_ttl,
            // Stale from the start, so that every request past it tries a fetch.
            fallback: fallback.map(|set| Arc::new(set.fresh_for(Duration::ZERO))),
            cooldown: config.jwks_refresh_cooldown,
            last_kid_refetch: Mutex::new(None),
            revalidating: AtomicBool::new(false),
            unknown_kids: Cache::builder()
                .max_capacity(MAX_REMEMBERED_UNKNOWN_KIDS)
                .time_to_live(UNKNOWN_KID_MEMORY.max(config.jwks_refresh_cooldown))
                .build(),
            metrics,
        }
    }

    /// The key set to verify with now: the cached one, revalidated after the
    /// TTL, or a fetched one when nothing usable is cached.
    pub async fn current(&self) -> Result<Arc<KeySet>, Refusal> {
        let Some(set) = self.cache.get(&()).await else {
            let fetched = self.refresh(None).await;
            return match (fetched, &self.fallback) {
                (Err(_), Some(fallback)) => {
                    tracing::warn!(
                        source = %self.fetcher.source(),
                        "serving the bundled fallback key set: the key set could not be fetched"
                    );
                    self.metrics.stale_keys_served();
                    self.cache.insert((), Arc::clone(fallback)).await;
                    Ok(Arc::clone(fallback))
                }
                (fetched, _) => fetched,
            };
        };
        if set.fetched_at().elapsed() < set.lifetime() {
            return Ok(set);
        }
        // Past the TTL: one request refreshes, the others use the old keys.
        let Some(_claim) = RevalidationClaim::take(&self.revalidating) else {
            return Ok(set);
        };
        match self.refresh(Some(set.fetched_at())).await {
            Ok(fresh) => Ok(fresh),
            Err(_) => {
                tracing::warn!(
                    source = %self.fetcher.source(),
                    age_s = set.fetched_at().elapsed().as_secs(),
                    "serving stale keys: the key set could not be refreshed"
                );
                self.metrics.stale_keys_served();
                Ok(set)
            }
        }
    }

    /// How much longer `set` counts as fresh (zero once it is served stale).
    pub fn freshness_left(&self, set: &KeySet) -> Duration {
        set.lifetime().saturating_sub(set.fetched_at().elapsed())
    }

    /// Where the keys come from.
    pub fn source(&self) -> &KeySource {
        self.fetcher.source()
    }

    /// How long a fetched set stays fresh: the server's `max-age` kept
    /// between the floor and the configured TTL, or the TTL without one.
    fn lifetime(&self, max_age: Option<Duration>) -> Duration {
        max_age.map_or(self.ttl, |age| age.max(self.min_ttl).min(self.ttl))
    }

    /// A key set that has `kid`: the current one, or a refetched one when the
    /// cooldown allows.
    pub async fn with_kid(&self, kid: &str) -> Result<Arc<KeySet>, Refusal> {
        let set = self.current().await?;
        if set.get(kid).is_some() {
            return Ok(set);
        }
        // A kid that a refetch just proved absent costs no further fetch.
        if self.unknown_kids.contains_key(kid) || !self.take_refetch_slot() {
            return Err(Refusal::UnknownKid);
        }
        // A failed refetch keeps the cached set; the kid is still unknown to it.
        match self.refresh(Some(set.fetched_at())).await {
            Ok(set) if set.get(kid).is_some() => Ok(set),
            Ok(_) => {
                self.unknown_kids.insert(kid.to_owned(), ()).await;
                Err(Refusal::UnknownKid)
            }
            Err(_) => Err(Refusal::UnknownKid),
        }
    }

    /// Claims the one refetch per cooldown that unknown kids may cause.
    fn take_refetch_slot(&self) -> bool {
        let now = Instant::now();
        let mut last = self
            .last_kid_refetch
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match *last {
            Some(previous) if now.duration_since(previous) < self.cooldown => false,
            _ => {
                *last = Some(now);
                true
            }
        }
    }

    /// Fetches a new set unless a set newer than `older_than` (or, with
    /// `None`, any set) arrived while this call waited for its turn.
    async fn refresh(&self, older_than: Option<Instant>) -> Result<Arc<KeySet>, Refusal> {
        let fetcher = &self.fetcher;
        let metrics = &self.metrics;
        let lifetime = |max_age| self.lifetime(max_age);
        let result = self
            .cache
            .entry(())
            .and_try_compute_with(|entry| async move {
                if let Some(entry) = entry {
                    let fresh_enough =
                        older_than.is_none_or(|seen| entry.value().fetched_at() > seen);
                    if fresh_enough {
                        return Ok(Op::Nop);
                    }
                }
                let started = Instant::now();
                let fetched = fetcher.fetch().await;
                let duration_ms = started.elapsed().as_millis() as u64;
                metrics.key_set_fetch(fetched.as_ref().map(drop), duration_ms);
                match fetched {
                    Ok(Fetched { set, max_age }) => {
                        let set = set.fresh_for(lifetime(max_age));
                        log_fetch(fetcher.source(), &set, duration_ms);
                        Ok(Op::Put(Arc::new(set)))
                    }
                    Err(error) => {
                        tracing::warn!(
                            source = %fetcher.source(),
                            error = %error,
                            duration_ms,
                            "key set fetch failed"
                        );
                        Err(error)
                    }
                }
            })
            .await;
        match result {
            Ok(outcome) => outcome
                .into_entry()
                .map(|entry| entry.into_value())
                .ok_or(Refusal::JwksUnavailable),
            Err(_) => Err(Refusal::JwksUnavailable),
        }
    }
}

/// The right to revalidate the key set, released when dropped: also when the
/// refreshing request is cancelled mid-fetch, so revalidation never stalls.
struct RevalidationClaim<'a>(&'a AtomicBool);

impl<'a> RevalidationClaim<'a> {
    fn take(flag: &'a AtomicBool) -> Option<Self> {
        // `then`, not `then_some`: a claim built and dropped would release the flag.
        (!flag.swap(true, Ordering::AcqRel)).then(|| RevalidationClaim(flag))
    }
}

impl Drop for RevalidationClaim<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Release);
    }
}

fn log_fetch(source: &KeySource, set: &KeySet, duration_ms: u64) {
    for skipped in set.skipped() {
        tracing::warn!(
            source = %source,
            kid = skipped.kid.as_deref().unwrap_or(""),
            reason = %skipped.reason,
            "key set entry skipped"
        );
    }
    tracing::info!(
        source = %source,
        keys = set.len(),
        fresh_s = set.lifetime().as_secs(),
        skipped = set.skipped().len(),
        duration_ms,
        "key set fetched"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn a_revalidation_claim_is_exclusive_and_released_on_drop() {
        let flag = AtomicBool::new(false);
        let claim = RevalidationClaim::take(&flag);
        assert!(claim.is_some());
        assert!(RevalidationClaim::take(&flag).is_none());
        assert!(
            flag.load(Ordering::Acquire),
            "a refused claim leaves the holder's flag set"
        );
        drop(claim);
        assert!(RevalidationClaim::take(&flag).is_some());
    }
}
