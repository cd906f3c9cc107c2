//! Keeping each issuer's key set: freshness, stale-if-error, backoff and
//! refetches for unknown kids, over the fetcher of [`crate::fetch`].

use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use moka::future::Cache;

use crate::algorithm::AlgorithmSet;
use crate::backoff::Backoff;
use crate::error::Refusal;
use crate::fetch::{ClientError, FetchError, Fetched, JwksFetcher};
use crate::issuers::{Issuer, KeySource};
use crate::jws::{self, UnverifiedToken};
use crate::keys::{KeySet, VerificationKey};
use crate::kms;
use crate::metrics::Metrics;
use crate::settings::{ConfigError, Env};
use crate::tls::Trust;

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
    /// The certificate authorities fetches trust (its variables are
    /// listed and shown by the configuration, beside these).
    pub trust: Trust,
}

impl KeyStoreOptions {
    /// The fetcher of `issuer`'s key set with these limits (no network use).
    pub fn fetcher(
        &self,
        algorithms: AlgorithmSet,
        issuer: &Issuer,
    ) -> Result<JwksFetcher, ClientError> {
        let (timeout, ttl) = (self.fetch_timeout, self.cache_ttl);
        JwksFetcher::new(
            issuer,
            algorithms,
            timeout,
            self.max_bytes,
            ttl,
            &self.trust,
        )
    }

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
            trust: Trust::read(env)?,
        })
    }
}

impl KeyStoreOptions {
    /// The variables these options come from.
    pub const VARIABLES: [&'static str; 7] = [
        JWKS_CACHE_TTL_SECONDS,
        JWKS_MIN_TTL_SECONDS,
        JWKS_REFRESH_COOLDOWN_SECONDS,
        JWKS_MAX_STALE_SECONDS,
        JWKS_FETCH_TIMEOUT_MS,
        JWKS_MAX_BACKOFF_SECONDS,
        JWKS_MAX_BYTES,
    ];

    /// Each variable with the value in effect, in the order of [`Self::VARIABLES`].
    pub fn settings(&self) -> [(&'static str, String); 7] {
        let seconds = |duration: Duration| duration.as_secs().to_string();
        [
            (JWKS_CACHE_TTL_SECONDS, seconds(self.cache_ttl)),
            (JWKS_MIN_TTL_SECONDS, seconds(self.min_ttl)),
            (
                JWKS_REFRESH_COOLDOWN_SECONDS,
                seconds(self.refresh_cooldown),
            ),
            (JWKS_MAX_STALE_SECONDS, seconds(self.max_stale)),
            (
                JWKS_FETCH_TIMEOUT_MS,
                self.fetch_timeout.as_millis().to_string(),
            ),
            (JWKS_MAX_BACKOFF_SECONDS, seconds(self.max_backoff)),
            (JWKS_MAX_BYTES, self.max_bytes.to_string()),
        ]
    }
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
///   kid a refetch proved absent none for a while. Only an answer with
///   other usable keys proves a kid absent: after an empty or gone answer,
///   an unknown kid refetches at the cooldown (or at the backoff, while
///   fetches fail), so the store recovers one cooldown after the provider.
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
        fallback: Option<Arc<KeySet>>,
        metrics: Metrics,
    ) -> Self {
        KeyStore {
            fetcher,
            installed: RwLock::new(None),
            // Stale from the start, so that every request past it may try a fetch.
            fallback: fallback.map(|set| Arc::new(KeySet::clone(&set).fresh_for(Duration::ZERO))),
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
        if let KeySource::Kms(keys) = self.source() {
            if !keys.contains(kid) {
                return Err(Refusal::UnknownKid);
            }
            return self.kms_set(|set| set.answers_for(kid)).await;
        }
        let started = Instant::now();
        let deadline = self.deadline();
        let current = self.current_until(deadline).await?;
        if current.set.get(kid).is_some() {
            return Ok(current.set);
        }
        if current.answered_now {
            // The provider answered during this request, without the kid.
            self.remember_absent(kid, &current.set).await;
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
            self.remember_absent(kid, &set).await;
            Err(Refusal::UnknownKid)
        }
    }

    /// Remembers `kid` as absent, so that it costs no fetch for a while,
    /// but only when the provider's answer `set` holds other usable keys:
    /// then the kid is really not published. An empty answer (or a key set
    /// gone, 404 or 410) says nothing of one kid but that no key is
    /// trusted now; a CDN's bad second must not refuse the provider's real
    /// keys for [`UNKNOWN_KID_MEMORY`] after it recovers, so the kid
    /// refetches at the next cooldown instead.
    async fn remember_absent(&self, kid: &str, set: &KeySet) {
        if !set.is_empty() {
            self.unknown_kids.insert(kid.to_owned(), ()).await;
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

    /// What a request gets when no key can be had: `kms_unavailable` for
    /// KMS keys, `jwks_unavailable` for a key set.
    fn unavailable(&self) -> Refusal {
        match self.source() {
            KeySource::Kms(_) => Refusal::KmsUnavailable,
            _ => Refusal::JwksUnavailable,
        }
    }

    /// Parses a token whose header has no `kid` (KMS signs without one) for
    /// the one KMS key that can verify its `alg`: `missing_kid` when the
    /// keys are not KMS keys or when none or several of them can, and
    /// `kms_unavailable` when a key that might could not be read.
    pub async fn parse_without_kid<'a>(
        &self,
        token: &'a str,
        allowed: AlgorithmSet,
    ) -> Result<UnverifiedToken<'a>, Refusal> {
        let KeySource::Kms(keys) = self.source() else {
            return Err(Refusal::MissingKid);
        };
        let set = self
            .kms_set(|set| keys.keys().iter().all(|key| set.answers_for(&key.id)))
            .await?;
        jws::parse_choosing_kid(token, allowed, |alg| kms::only_key_for(&set, alg))
    }

    /// KMS keys: the set, once it answers for what `answers` asks. Each
    /// key is read once and kept; one whose `GetPublicKey` failed is asked
    /// again once the backoff after the failure has passed, and the
    /// requests in between are answered `kms_unavailable` at once.
    async fn kms_set(&self, answers: impl Fn(&KeySet) -> bool) -> Result<Arc<KeySet>, Refusal> {
        let deadline = self.deadline();
        let set = self.current_until(deadline).await?.set;
        if answers(&set) {
            return Ok(set);
        }
        if self.backoff_blocks(Instant::now()) {
            return Err(Refusal::KmsUnavailable);
        }
        let Some(_fetching) = self.fetch_turn(deadline).await else {
            return Err(Refusal::KmsUnavailable);
        };
        let set = match self.installed_set() {
            // Read by the fetch this request waited for.
            Some(set) if answers(&set) => set,
            _ if self.backoff_blocks(Instant::now()) => return Err(Refusal::KmsUnavailable),
            _ => self
                .fetch(deadline)
                .await
                .map_err(|_| Refusal::KmsUnavailable)?,
        };
        if answers(&set) {
            Ok(set)
        } else {
            Err(Refusal::KmsUnavailable)
        }
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
            return Err(self.unavailable());
        }
        let Some(_fetching) = self.fetch_turn(deadline).await else {
            return Err(self.unavailable());
        };
        let now = Instant::now();
        if let Some(set) = self.usable(now) {
            return Ok(current(set));
        }
        if self.backoff_blocks(now) {
            return Err(self.unavailable());
        }
        let set = self.fetch(deadline).await.map_err(|_| self.unavailable())?;
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
        let (set, kind, incomplete) = match fetched {
            // KMS keys are read once and kept: a key id's public key never changes.
            Ok(Fetched {
                set, incomplete, ..
            }) if matches!(self.source(), KeySource::Kms(_)) => {
                (set.fresh_for(Duration::MAX), "ok", incomplete)
            }
            Ok(Fetched { set, max_age, .. }) => {
                let kind = if set.is_empty() { "empty" } else { "ok" };
                (set.fresh_for(self.lifetime(max_age)), kind, None)
            }
            // The provider says the key set is gone: no key is valid.
            Err(error) if error.is_authoritative() => {
                tracing::warn!(
                    source = %self.fetcher.source(),
                    error = %error,
                    duration_ms,
                    "the key set server answered that the key set is gone: no key is trusted until it serves one"
                );
                (KeySet::empty().fresh_for(self.lifetime(None)), "gone", None)
            }
            Err(error) => {
                self.failed(&error, duration_ms);
                return Err(error);
            }
        };
        // A set is the provider's word on the keys published before its
        // fetch began, not on a key published while it was on its way.
        let mut set = set.requested_at(started);
        // KMS keys read, beside one that could not be: served, and the
        // failure counted and backed off from as any other.
        match &incomplete {
            Some(error) => self.failed(error, duration_ms),
            None => {
                self.metrics.key_set_fetch(kind, duration_ms);
                self.backoff
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .succeeded();
            }
        }
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

impl KeyStore {
    /// Counts and logs a failed fetch, and starts or lengthens the backoff.
    fn failed(&self, error: &FetchError, duration_ms: u64) {
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
