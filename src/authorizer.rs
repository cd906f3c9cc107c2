//! The decision for one `$connect`: token, key, signature, claims, policy.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value};

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crate::claims;
use crate::config::Config;
use crate::decision_cache::{DecisionCache, VerifiedToken, VerifiedWith};
use crate::error::{Decision, HandlerError, Refusal};
use crate::event::ConnectEvent;
use crate::jwks::{JwksFetcher, KeyStore};
use crate::jws;
use crate::keys::KeySet;
use crate::metrics::{DecisionMetric, Metrics};
use crate::policy::{fits_api_gateway, policy_response, AuthorizerResponse};
use crate::token::{extract_token, origin_allowed, TokenSource};

/// A configured authorizer: the configuration and the cached key set, shared
/// by every invocation of the execution environment.
#[derive(Debug)]
pub struct Authorizer {
    config: Config,
    /// One key store per trusted issuer, in the order of `config.issuers`.
    pub(crate) keys: Vec<KeyStore>,
    decisions: Option<DecisionCache>,
    metrics: Metrics,
    /// Set by the first decision, which reports `cold_start`.
    decided_once: AtomicBool,
}

/// What a valid token grants: an Allow, or a Deny (403) for the reason
/// given, as the answer API Gateway receives.
#[derive(Debug)]
pub(crate) struct Grant {
    response: AuthorizerResponse,
    denied: Option<Refusal>,
}

/// What the decision log line reports, filled in as the checks go.
#[derive(Debug, Default)]
pub(crate) struct Trace {
    cached: bool,
    alg: Option<&'static str>,
    kid: Option<String>,
    iss: Option<String>,
    sub: Option<String>,
}

impl Authorizer {
    /// Builds the authorizer and its HTTP clients; no network use.
    pub fn new(config: Config) -> Result<Self, reqwest::Error> {
        let metrics = Metrics::new(config.metrics.then_some(config.function_name.as_str()));
        // Validated with the configuration, which allows it with one issuer only.
        let mut fallback = config
            .jwks_fallback
            .as_deref()
            .and_then(|json| KeySet::parse(json.as_bytes(), config.algorithms).ok());
        let mut keys = Vec::with_capacity(config.issuers.len());
        for issuer in &config.issuers {
            keys.push(KeyStore::new(
                JwksFetcher::new(&config, issuer)?,
                &config,
                fallback.take(),
                metrics.clone(),
            ));
        }
        let decisions = (config.decision_cache_max_entries > 0)
            .then(|| DecisionCache::new(config.decision_cache_max_entries));
        Ok(Authorizer {
            config,
            keys,
            decisions,
            metrics,
            decided_once: AtomicBool::new(false),
        })
    }

    /// The configuration in use.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Fetches the key sets ahead of the first request, giving up after
    /// `deadline`; a failure is logged and left to the first request to retry.
    pub async fn prefetch(&self, deadline: Duration) -> bool {
        let all = async {
            let mut ok = true;
            for store in &self.keys {
                ok &= store.current().await.is_ok();
            }
            ok
        };
        match tokio::time::timeout(deadline, all).await {
            Ok(ok) => ok,
            Err(_) => {
                tracing::warn!(
                    deadline_ms = deadline.as_millis() as u64,
                    "key set prefetch did not finish in time"
                );
                false
            }
        }
    }

    /// Decides one `$connect` and writes its decision log line.
    ///
    /// `Ok` holds an Allow or Deny policy; `Err` is `Unauthorized` (401) or,
    /// when no key could be had, another error (500).
    pub async fn authorize(
        &self,
        event: &ConnectEvent,
    ) -> Result<AuthorizerResponse, HandlerError> {
        let started = Instant::now();
        let mut trace = Trace::default();
        let result = self.evaluate(event, unix_now(), &mut trace).await;
        let duration_us = started.elapsed().as_micros() as u64;
        let request = &event.request_context;
        let connection_id = request.connection_id.as_deref().unwrap_or("");
        let request_id = request.request_id.as_deref().unwrap_or("");
        let (decision, reason) = verdict(&result);
        let cold_start = !self.decided_once.swap(true, Ordering::Relaxed);
        tracing::info!(
            decision = decision.name(),
            reason,
            alg = trace.alg.unwrap_or(""),
            kid = trace.kid.as_deref().unwrap_or(""),
            iss = trace.iss.as_deref().unwrap_or(""),
            sub = if decision == Decision::Allow {
                trace.sub.as_deref().unwrap_or("")
            } else {
                ""
            },
            cached = trace.cached,
            cold_start,
            connection_id,
            request_id,
            duration_us,
            "decision"
        );
        self.metrics.decision(DecisionMetric {
            decision,
            reason,
            duration_us,
            cached: trace.cached,
            cold_start,
        });
        let grant = result.map_err(|refusal| HandlerError { refusal })?;
        Ok(grant.response)
    }

    pub(crate) async fn evaluate(
        &self,
        event: &ConnectEvent,
        now: u64,
        trace: &mut Trace,
    ) -> Result<Grant, Refusal> {
        let found = extract_token(event, &self.config.transports)?;
        let token = found.token;
        let remembered = self
            .decisions
            .as_ref()
            .map(|decisions| (decisions, DecisionCache::digest(token)));
        let cached = match &remembered {
            Some((decisions, digest)) => decisions.get(digest).await,
            None => None,
        };
        // A remembered decision holds only while its key is still published.
        let cached = match (cached, &remembered) {
            (Some(verified), Some((decisions, digest))) => {
                let key = &verified.key;
                if self.keys[key.issuer]
                    .still_holds(&key.kid, &key.key)
                    .await?
                {
                    Some(verified)
                } else {
                    decisions.remove(digest).await;
                    None
                }
            }
            _ => None,
        };
        trace.cached = cached.is_some();
        let verified = match cached {
            Some(verified) => {
                trace.alg = Some(verified.alg);
                trace.kid = Some(verified.key.kid.clone());
                verified
            }
            None => Arc::new(self.verify(token, now, trace).await?),
        };
        trace.iss = verified
            .claims
            .get("iss")
            .and_then(Value::as_str)
            .map(str::to_owned);
        let issuer = &self.config.issuers[self.issuer_of_claims(&verified.claims)?];
        // Checked on every decision, cached or not: time passes.
        claims::check_claims(&verified.claims, &self.config, issuer, now)?;
        if let (Some((decisions, digest)), false) = (remembered, trace.cached) {
            if verified.cacheable() {
                decisions.insert(digest, Arc::clone(&verified)).await;
            }
        }
        let verified = &verified.claims;
        let principal_id = claims::principal_id(verified, &self.config.principal_id_claim)?;
        trace.sub = verified
            .get("sub")
            .and_then(Value::as_str)
            .map(str::to_owned);

        let api_allowed = match &self.config.authorized_apis {
            None => true,
            Some(patterns) => patterns
                .iter()
                .any(|pattern| pattern.matches(&event.method_arn)),
        };
        let origin_allowed = self
            .config
            .allowed_origins
            .as_ref()
            .is_none_or(|origins| origin_allowed(event, origins));
        let denied = if !origin_allowed {
            Some(Refusal::OriginNotAllowed)
        } else if let Err(refusal) = claims::check_scopes(verified, &self.config) {
            Some(refusal)
        } else if !api_allowed {
            Some(Refusal::ApiNotAuthorized)
        } else {
            None
        };
        if found.source == TokenSource::Protocol && found.subprotocol.is_none() {
            tracing::warn!(
                "the client offered no subprotocol besides the token's: the $connect integration has none to answer with, and browsers fail such a handshake"
            );
        }
        let context = match denied {
            Some(_) => Map::new(),
            None => {
                let context = self.config.context.build(verified, found.subprotocol);
                if !context.left_out.is_empty() {
                    tracing::warn!(
                        left_out = context.left_out.join(","),
                        max_bytes = self.config.context.max_bytes(),
                        "context claims left out: over the context budget"
                    );
                }
                context.entries
            }
        };
        let response = policy_response(principal_id, denied.is_none(), &event.method_arn, context);
        if !fits_api_gateway(&response) {
            return Err(Refusal::ResponseTooLarge);
        }
        Ok(Grant { response, denied })
    }
}

impl Authorizer {
    /// Parses `token`, verifies its signature with the key set's key, and
    /// decodes its claims.
    async fn verify(
        &self,
        token: &str,
        now: u64,
        trace: &mut Trace,
    ) -> Result<VerifiedToken, Refusal> {
        let parsed = jws::parse(token, self.config.algorithms)?;
        trace.alg = Some(parsed.header.alg.name());
        trace.kid = Some(parsed.header.kid.clone());
        if let Some(required) = &self.config.required_typ {
            if !parsed.header.has_type(required) {
                return Err(Refusal::WrongType);
            }
        }
        let issuer = self.issuer_of_token(token)?;
        let store = &self.keys[issuer];
        let key_set = store.with_kid(&parsed.header.kid).await?;
        let key = key_set
            .shared_key(&parsed.header.kid)
            .ok_or(Refusal::UnknownKid)?;
        key.verify(
            parsed.header.alg,
            parsed.signing_input.as_bytes(),
            &parsed.signature,
        )?;
        let key = VerifiedWith {
            issuer,
            kid: parsed.header.kid.clone(),
            key: Arc::clone(key),
        };
        Ok(VerifiedToken::new(
            parsed.claims()?,
            parsed.header.alg.name(),
            key,
            now,
            store.freshness_left(&key_set),
        ))
    }

    /// The index of the issuer whose keys verify `token`. With one issuer,
    /// that one (its `iss` is checked after the signature). With several,
    /// the token's unverified `iss` chooses, and a token naming none of them
    /// is refused before any key set is fetched.
    pub(crate) fn issuer_of_token(&self, token: &str) -> Result<usize, Refusal> {
        if self.config.issuers.len() == 1 {
            return Ok(0);
        }
        self.issuer_named(jws::unverified_issuer(token)?.as_deref())
    }

    /// The index of the issuer of verified `claims`, chosen as for the token.
    pub(crate) fn issuer_of_claims(&self, claims: &Map<String, Value>) -> Result<usize, Refusal> {
        if self.config.issuers.len() == 1 {
            return Ok(0);
        }
        self.issuer_named(claims.get("iss").and_then(Value::as_str))
    }

    /// The index of the first trusted issuer that answers to `iss`.
    fn issuer_named(&self, iss: Option<&str>) -> Result<usize, Refusal> {
        self.config
            .issuers
            .iter()
            .position(|issuer| issuer.accepts(iss))
            .ok_or(Refusal::WrongIssuer)
    }
}

/// The decision and reason code of the log line for an evaluation's result.
pub(crate) fn verdict(result: &Result<Grant, Refusal>) -> (Decision, &'static str) {
    match result {
        Ok(Grant {
            denied: Some(refusal),
            ..
        }) => (Decision::Deny, refusal.code()),
        Ok(_) => (Decision::Allow, "allowed"),
        Err(refusal) => (refusal.outcome().into(), refusal.code()),
    }
}

/// Seconds since the epoch; a clock before 1970 reads as the far future, so
/// that every token with an expiry is refused rather than accepted.
pub(crate) fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs())
        .unwrap_or(u64::MAX)
}
