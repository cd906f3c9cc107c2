//! Fetching the key set over HTTP and caching it: the network edge.

use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use moka::future::Cache;
use reqwest::{redirect, Client, StatusCode, Url};

use crate::algorithm::AlgorithmSet;
use crate::error::Refusal;
use crate::issuers::{parse_https_url, Issuer, KeySource};
use crate::keys::{KeySet, KeySetError, VerificationKey};
use crate::metrics::Metrics;
use crate::settings::{ConfigError, Env};

/// How long fetched keys are used before a refetch.
pub const JWKS_CACHE_TTL_SECONDS: &str = "JWKS_CACHE_TTL_SECONDS";
/// Minimum time between refetches caused by unknown kids.
pub const JWKS_REFRESH_COOLDOWN_SECONDS: &str = "JWKS_REFRESH_COOLDOWN_SECONDS";
/// How long past the TTL cached keys may serve while the key set cannot be refreshed.
pub const JWKS_MAX_STALE_SECONDS: &str = "JWKS_MAX_STALE_SECONDS";
/// The longest wait between fetches while the key set server keeps failing.
pub const JWKS_MAX_BACKOFF_SECONDS: &str = "JWKS_MAX_BACKOFF_SECONDS";
/// Total time allowed for one key set fetch.
pub const JWKS_FETCH_TIMEOUT_MS: &str = "JWKS_FETCH_TIMEOUT_MS";
/// Largest key set body accepted.
pub const JWKS_MAX_BYTES: &str = "JWKS_MAX_BYTES";
/// The least time a key set is cached when its `Cache-Control: max-age` is shorter.
pub const JWKS_MIN_TTL_SECONDS: &str = "JWKS_MIN_TTL_SECONDS";

/// API Gateway gives up on an authorizer after 29 s; a fetch must end well before.
const MAX_FETCH_TIMEOUT_MS: u64 = 10_000;

/// How key sets are fetched and kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyStoreOptions {
    /// How long a fetched key set is used.
    pub cache_ttl: Duration,
    /// The least time a key set is cached, whatever its `max-age`.
    pub min_ttl: Duration,
    /// Minimum time between refetches triggered by unknown kids.
    pub refresh_cooldown: Duration,
    /// How long past the TTL cached keys serve while refreshes fail.
    pub max_stale: Duration,
    /// Total timeout of one key set fetch.
    pub fetch_timeout: Duration,
    /// The longest wait between fetches while they keep failing.
    pub max_backoff: Duration,
    /// Largest key set body read.
    pub max_bytes: usize,
}

impl KeyStoreOptions {
    /// Reads the key store's settings.
    pub fn read(env: &Env) -> Result<Self, ConfigError> {
        let seconds = |variable, default, range| {
            env.number(variable, default, range)
                .map(Duration::from_secs)
        };
        let cache_ttl = seconds(JWKS_CACHE_TTL_SECONDS, 600, 1..=86_400)?;
        // The default floor gives way to a shorter TTL; a floor set above it is a mistake.
        let min_ttl = seconds(
            JWKS_MIN_TTL_SECONDS,
            60.min(cache_ttl.as_secs()),
            0..=86_400,
        )?;
        if min_ttl > cache_ttl {
            return Err(ConfigError::new(
                JWKS_MIN_TTL_SECONDS,
                format!(
                    "must not exceed {JWKS_CACHE_TTL_SECONDS} ({} s), got {} s",
                    cache_ttl.as_secs(),
                    min_ttl.as_secs()
                ),
            ));
        }
        Ok(KeyStoreOptions {
            cache_ttl,
            min_ttl,
            refresh_cooldown: seconds(JWKS_REFRESH_COOLDOWN_SECONDS, 10, 0..=86_400)?,
            max_stale: seconds(JWKS_MAX_STALE_SECONDS, 3600, 0..=604_800)?,
            fetch_timeout: Duration::from_millis(env.number(
                JWKS_FETCH_TIMEOUT_MS,
                2000,
                1..=MAX_FETCH_TIMEOUT_MS,
            )?),
            max_backoff: seconds(JWKS_MAX_BACKOFF_SECONDS, 30, 1..=3600)?,
            max_bytes: env
                .number(JWKS_MAX_BYTES, 262_144, 1024..=16 * 1024 * 1024)?
                .try_into()
                .map_err(|_| ConfigError::new(JWKS_MAX_BYTES, "does not fit this platform"))?,
        })
    }
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
        }
    }
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
    pub fn new(
        options: &KeyStoreOptions,
        algorithms: AlgorithmSet,
        issuer: &Issuer,
    ) -> Result<Self, reqwest::Error> {
        let client = Client::builder()
            .timeout(options.fetch_timeout)
            .connect_timeout(options.fetch_timeout)
            // A redirect could move the key set to a host nobody configured.
            .redirect(redirect::Policy::none())
            .user_agent(concat!("ws-jwt-authorizer/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(JwksFetcher {
            client,
            source: issuer.keys.clone(),
            timeout: options.fetch_timeout,
            max_bytes: options.max_bytes,
            algorithms,
            discovered: Arc::new(Mutex::new(None)),
            discovery_ttl: options.cache_ttl,
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
                    set: KeySet::parse_answer(json.as_bytes(), self.algorithms)?,
                    max_age: None,
                })
            }
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
            crate::issuers::redacted(&url)
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

/// The cached key set of one issuer, and how it is kept fresh.
///
/// - A set younger than its lifetime (the TTL, or the server's `max-age`
///   above the floor) is used as is.
/// - An older one is revalidated by the first request that sees it, while
///   the others go on with the old keys at once (stale-while-revalidate). If
///   the provider cannot be reached, the old keys serve until they are
///   `max_stale` past their lifetime (stale-if-error, RFC 5861).
/// - What counts as "cannot be reached" is an outage only: a transport
///   error, a timeout, a 5xx, 408 or 429, or a body that is not a key set.
///   A key set the server answers with (even one without usable keys) and a
///   4xx such as 404 or 410 are the provider's word: they replace the cached
///   keys at once, so emptying a key set revokes every key.
/// - After a failed fetch, no request fetches again before a backoff has
///   passed: the cooldown (at least a second), doubled after each further
///   failure up to `max_backoff`. Requests in between are answered at once
///   from stale keys or with `jwks_unavailable`: a flood of requests while
///   the provider is down never becomes a flood of fetches.
/// - One fetch at a time: others that need it wait for it, never longer than
///   one fetch timeout plus [`DEADLINE_MARGIN`] in all.
/// - A token whose kid the set lacks causes one refetch per cooldown, and a
///   kid a refetch proved absent none for a while.
#[derive(Debug)]
pub struct KeyStore {
    fetcher: JwksFetcher,
    /// The set the provider last answered with.
    installed: RwLock<Option<Arc<KeySet>>>,
    /// A set bundled with the function, served (as stale) while nothing
    /// the provider answered is at hand.
    fallback: Option<Arc<KeySet>>,
    /// Held by the one fetch in flight.
    fetching: tokio::sync::Mutex<()>,
    backoff: Mutex<Backoff>,
    min_ttl: Duration,
    ttl: Duration,
    max_stale: Duration,
    cooldown: Duration,
    max_backoff: Duration,
    fetch_timeout: Duration,
    last_kid_refetch: Mutex<Option<Instant>>,
    unknown_kids: Cache<String, ()>,
    metrics: Metrics,
}

/// What a decision may wait beyond one fetch timeout for its keys: the
/// scheduling between the fetch's end and the waiters' wake-up.
pub const DEADLINE_MARGIN: Duration = Duration::from_millis(250);

/// The least wait after a failed fetch, whatever the cooldown.
const MIN_BACKOFF: Duration = Duration::from_secs(1);

/// How long a kid that a fresh refetch did not have is answered without
/// another: at least this, or the cooldown when longer.
const UNKNOWN_KID_MEMORY: Duration = Duration::from_secs(60);

/// Bounds the memory a flood of distinct made-up kids can take.
const MAX_REMEMBERED_UNKNOWN_KIDS: u64 = 10_000;

/// The key set a request got, and whether the fetch that brought it began
/// during this very request: only then is it the provider's word on a kid
/// the request carries.
struct Current {
    set: Arc<KeySet>,
    answered_now: bool,
}

impl KeyStore {
    /// A store with nothing cached. `fallback`, a key set bundled with the
    /// function, serves when no fetch has succeeded (logged as stale keys).
    pub fn new(
        fetcher: JwksFetcher,
        options: &KeyStoreOptions,
        fallback: Option<KeySet>,
        metrics: Metrics,
    ) -> Self {
        KeyStore {
            fetcher,
            installed: RwLock::new(None),
            // Stale from the start, so that every request past it may try a fetch.
            fallback: fallback.map(|set| Arc::new(set.fresh_for(Duration::ZERO))),
            fetching: tokio::sync::Mutex::new(()),
            backoff: Mutex::new(Backoff::default()),
            min_ttl: options.min_ttl,
            ttl: options.cache_ttl,
            max_stale: options.max_stale,
            cooldown: options.refresh_cooldown,
            max_backoff: options.max_backoff,
            fetch_timeout: options.fetch_timeout,
            last_kid_refetch: Mutex::new(None),
            unknown_kids: Cache::builder()
                .max_capacity(MAX_REMEMBERED_UNKNOWN_KIDS)
                .time_to_live(UNKNOWN_KID_MEMORY.max(options.refresh_cooldown))
                .build(),
            metrics,
        }
    }

    /// The key set to verify with now: the cached one, revalidated after its
    /// lifetime, or a fetched one when nothing usable is cached.
    pub async fn current(&self) -> Result<Arc<KeySet>, Refusal> {
        Ok(self.current_until(self.deadline()).await?.set)
    }

    /// A key set that has `kid`: the current one, or a refetched one when
    /// the cooldown allows. `jwks_unavailable` when the kid is unknown and
    /// the provider could not be asked (it failed, or is in backoff): a
    /// token signed with a key published during an outage is not bad.
    pub async fn with_kid(&self, kid: &str) -> Result<Arc<KeySet>, Refusal> {
        let started = Instant::now();
        let deadline = self.deadline();
        let current = self.current_until(deadline).await?;
        if current.set.get(kid).is_some() {
            return Ok(current.set);
        }
        if current.answered_now {
            // The provider answered during this request, without the kid.
            self.unknown_kids.insert(kid.to_owned(), ()).await;
            return Err(Refusal::UnknownKid);
        }
        // A kid that a refetch just proved absent costs no further fetch.
        if self.unknown_kids.contains_key(kid) {
            return Err(Refusal::UnknownKid);
        }
        if self.backoff_blocks(Instant::now()) {
            return Err(Refusal::JwksUnavailable);
        }
        if !self.take_refetch_slot() {
            // The last word on this kid is the provider's, if it answered.
            return Err(if self.last_fetch_failed() {
                Refusal::JwksUnavailable
            } else {
                Refusal::UnknownKid
            });
        }
        let Some(_fetching) = self.fetch_turn(deadline).await else {
            return Err(Refusal::JwksUnavailable);
        };
        let set = match self.installed_newer_than(&current.set) {
            // The fetch this request waited for: it has the kid, or it began
            // after the request did, so the key was published before it.
            Some(set) if set.get(kid).is_some() || set.fetched_at() >= started => set,
            _ if self.backoff_blocks(Instant::now()) => return Err(Refusal::JwksUnavailable),
            _ => self
                .fetch(deadline)
                .await
                .map_err(|_| Refusal::JwksUnavailable)?,
        };
        if set.get(kid).is_some() {
            Ok(set)
        } else {
            self.unknown_kids.insert(kid.to_owned(), ()).await;
            Err(Refusal::UnknownKid)
        }
    }

    /// Whether the current key set still holds `key` under `kid`: a
    /// remembered decision is only as good as the key it was verified with.
    pub async fn still_holds(
        &self,
        kid: &str,
        key: &Arc<VerificationKey>,
    ) -> Result<bool, Refusal> {
        let set = self.current().await?;
        Ok(set
            .shared_key(kid)
            .is_some_and(|current| Arc::ptr_eq(current, key)))
    }

    /// How much longer `set` counts as fresh (zero once it is served stale).
    pub fn freshness_left(&self, set: &KeySet) -> Duration {
        set.lifetime().saturating_sub(set.fetched_at().elapsed())
    }

    /// Where the keys come from.
    pub fn source(&self) -> &KeySource {
        self.fetcher.source()
    }

    /// The latest a request that starts now may be answered by.
    fn deadline(&self) -> Instant {
        Instant::now() + self.fetch_timeout + DEADLINE_MARGIN
    }

    async fn current_until(&self, deadline: Instant) -> Result<Current, Refusal> {
        let started = Instant::now();
        // A set whose fetch began after this request did is the provider's
        // answer to it; one already on its way when the request came is not.
        let current = |set: Arc<KeySet>| Current {
            answered_now: set.fetched_at() >= started,
            set,
        };
        if let Some(set) = self.usable(started) {
            if set.fetched_at().elapsed() < set.lifetime() {
                return Ok(current(set));
            }
            // Past its lifetime: one request revalidates, the others go on
            // with the old keys at once (stale-while-revalidate, quietly).
            // While the backoff after a failure runs, or when the
            // revalidation fails, the old keys serve (stale-if-error).
            if self.backoff_blocks(started) {
                return Ok(self.serve_stale(set));
            }
            let Ok(_fetching) = self.fetching.try_lock() else {
                return Ok(current(set));
            };
            if let Some(newer) = self.installed_newer_than(&set) {
                return Ok(current(newer));
            }
            // A fetch that failed just before this request took its turn.
            if self.backoff_blocks(Instant::now()) {
                return Ok(self.serve_stale(set));
            }
            return match self.fetch(deadline).await {
                Ok(fresh) => Ok(current(fresh)),
                Err(_) => Ok(self.serve_stale(set)),
            };
        }
        // Nothing usable: wait for the fetch in flight, or make one.
        if self.backoff_blocks(started) {
            return Err(Refusal::JwksUnavailable);
        }
        let Some(_fetching) = self.fetch_turn(deadline).await else {
            return Err(Refusal::JwksUnavailable);
        };
        let now = Instant::now();
        if let Some(set) = self.usable(now) {
            return Ok(current(set));
        }
        if self.backoff_blocks(now) {
            return Err(Refusal::JwksUnavailable);
        }
        let set = self
            .fetch(deadline)
            .await
            .map_err(|_| Refusal::JwksUnavailable)?;
        Ok(current(set))
    }

    /// The installed set, if it is newer than `set`: a fetch this request
    /// waited for brought it.
    fn installed_newer_than(&self, set: &KeySet) -> Option<Arc<KeySet>> {
        self.installed_set().filter(|installed| {
            installed.fetched_at() > set.fetched_at()
                && self.within_stale_window(installed, Instant::now())
        })
    }

    /// The right to fetch, once the fetch in flight (if any) has ended;
    /// `None` if that takes past `deadline`.
    async fn fetch_turn(&self, deadline: Instant) -> Option<tokio::sync::MutexGuard<'_, ()>> {
        let wait = deadline.saturating_duration_since(Instant::now());
        tokio::time::timeout(wait, self.fetching.lock()).await.ok()
    }

    /// The installed set while it may still serve (fresh or stale within
    /// `max_stale`), else the bundled fallback.
    ///
    /// The fallback serves only until the provider has answered once: after
    /// that its answer rules, and a bundled key the provider has taken away
    /// must not come back when that answer grows old.
    fn usable(&self, now: Instant) -> Option<Arc<KeySet>> {
        match self.installed_set() {
            Some(set) => self.within_stale_window(&set, now).then_some(set),
            None => self.fallback.clone(),
        }
    }

    /// Whether `set` may still serve at `now`: fresh, or stale for no longer
    /// than `max_stale` past its lifetime.
    fn within_stale_window(&self, set: &KeySet, now: Instant) -> bool {
        now.saturating_duration_since(set.fetched_at())
            < set.lifetime().saturating_add(self.max_stale)
    }

    fn installed_set(&self) -> Option<Arc<KeySet>> {
        self.installed
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    fn serve_stale(&self, set: Arc<KeySet>) -> Current {
        tracing::warn!(
            source = %self.fetcher.source(),
            age_s = set.fetched_at().elapsed().as_secs(),
            fallback = self.fallback.as_ref().is_some_and(|fallback| Arc::ptr_eq(fallback, &set)),
            "serving stale keys: the key set could not be refreshed"
        );
        self.metrics.stale_keys_served();
        Current {
            set,
            answered_now: false,
        }
    }

    fn backoff_blocks(&self, now: Instant) -> bool {
        let blocked = self
            .backoff
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .blocks(now);
        if blocked {
            self.metrics.key_set_fetch_skipped();
        }
        blocked
    }

    fn last_fetch_failed(&self) -> bool {
        self.backoff
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .failing()
    }

    /// How long a fetched set stays fresh: the server's `max-age` kept
    /// between the floor and the configured TTL, or the TTL without one.
    fn lifetime(&self, max_age: Option<Duration>) -> Duration {
        max_age.map_or(self.ttl, |age| age.max(self.min_ttl).min(self.ttl))
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

    /// Fetches the key set (the caller holds the fetch turn) and installs
    /// what the provider answered; an outage leaves the installed set as it
    /// is and starts or lengthens the backoff.
    async fn fetch(&self, deadline: Instant) -> Result<Arc<KeySet>, FetchError> {
        let started = Instant::now();
        let wait = deadline.saturating_duration_since(started);
        let fetched = tokio::time::timeout(wait, self.fetcher.fetch())
            .await
            .unwrap_or(Err(FetchError::Timeout(wait)));
        let duration_ms = started.elapsed().as_millis() as u64;
        let (set, kind) = match fetched {
            Ok(Fetched { set, max_age }) => {
                let kind = if set.is_empty() { "empty" } else { "ok" };
                (set.fresh_for(self.lifetime(max_age)), kind)
            }
            // The provider says the key set is gone: no key is valid.
            Err(error) if error.is_authoritative() => {
                tracing::warn!(
                    source = %self.fetcher.source(),
                    error = %error,
                    duration_ms,
                    "the key set server answered that the key set is gone: no key is trusted until it serves one"
                );
                (KeySet::empty().fresh_for(self.lifetime(None)), "gone")
            }
            Err(error) => {
                self.metrics.key_set_fetch(error.kind(), duration_ms);
                let retry_in = self
                    .backoff
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .failed(
                        Instant::now(),
                        self.cooldown.max(MIN_BACKOFF),
                        self.max_backoff,
                    );
                tracing::warn!(
                    source = %self.fetcher.source(),
                    error = %error,
                    duration_ms,
                    retry_in_ms = retry_in.as_millis() as u64,
                    "key set fetch failed"
                );
                return Err(error);
            }
        };
        // A set is the provider's word on the keys published before its
        // fetch began, not on a key published while it was on its way.
        let mut set = set.requested_at(started);
        self.metrics.key_set_fetch(kind, duration_ms);
        self.backoff
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .succeeded();
        if let Some(previous) = self.installed_set() {
            set.keep_unchanged_keys_of(&previous);
        }
        log_fetch(self.fetcher.source(), &set, duration_ms);
        let set = Arc::new(set);
        *self
            .installed
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(Arc::clone(&set));
        Ok(set)
    }
}

/// Failed fetches in a row and when the next may be made.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct Backoff {
    failures: u32,
    retry_at: Option<Instant>,
}

impl Backoff {
    /// Whether a fetch must not be made at `now`.
    fn blocks(&self, now: Instant) -> bool {
        self.retry_at.is_some_and(|retry_at| now < retry_at)
    }

    /// Whether the last fetch failed.
    fn failing(&self) -> bool {
        self.failures > 0
    }

    /// Records a failure at `now`; returns the wait before the next attempt:
    /// `base`, doubled for each failure before, at most `cap`.
    fn failed(&mut self, now: Instant, base: Duration, cap: Duration) -> Duration {
        let doublings = self.failures.min(16);
        self.failures = self.failures.saturating_add(1);
        let wait = base.saturating_mul(1 << doublings).min(cap);
        self.retry_at = Some(now + wait);
        wait
    }

    fn succeeded(&mut self) {
        *self = Backoff::default();
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
    fn backoff_doubles_from_the_base_up_to_the_cap_and_resets_on_success() {
        let start = Instant::now();
        let (base, cap) = (Duration::from_secs(10), Duration::from_secs(30));
        let mut backoff = Backoff::default();
        assert!(!backoff.blocks(start) && !backoff.failing());
        let waits: Vec<u64> = (0..4)
            .map(|_| backoff.failed(start, base, cap).as_secs())
            .collect();
        assert_eq!(waits, [10, 20, 30, 30]);
        assert!(backoff.failing());
        assert!(backoff.blocks(start + Duration::from_secs(29)));
        assert!(!backoff.blocks(start + Duration::from_secs(30)));
        backoff.succeeded();
        assert_eq!(backoff, Backoff::default());
        // A cap below the base wins: the cap is the longest wait.
        assert_eq!(
            backoff
                .failed(start, base, Duration::from_secs(1))
                .as_secs(),
            1
        );
        // Many failures neither overflow nor pass the cap.
        for _ in 0..100 {
            backoff.failed(start, base, cap);
        }
        assert_eq!(backoff.failed(start, base, cap), cap);
    }

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
}
