//! The decision for one `$connect`: token, key, signature, claims, policy.

use std::time::{Duration, Instant};

use serde_json::{Map, Value};

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crate::access::{access_rules, Request};
use crate::answer::Answering;
use crate::checks::{self, Observer};
use crate::claims::{self, claim_checks, Claims};
use crate::config::{Config, JWT_ALGORITHMS, JWT_ISSUERS, JWT_REQUIRED_TYP, TOKEN_SOURCES};
use crate::date::unix_now;
use crate::decision_cache::{DecisionCache, VerifiedToken, VerifiedWith};
use crate::decision_log::{self, Line, Trace};
use crate::error::{Decision, HandlerError, Outcome, Refusal};
use crate::event::{ApiType, ConnectEvent, Shape, MAX_TOKEN_BYTES};
use crate::invocation::NotAnEvent;
use crate::issuers::Issuer;
use crate::jwks::KeyStore;
use crate::jws;
use crate::metrics::Metrics;
use crate::policy::AuthorizerResponse;
use crate::token::{extract_token, TokenSource};

/// A configured authorizer: the configuration and the cached key set, shared
/// by every invocation of the execution environment.
#[derive(Debug)]
pub struct Authorizer {
    config: Config,
    /// One key store per trusted issuer, in the order of `config.issuers`.
    keys: Vec<KeyStore>,
    decisions: Option<DecisionCache>,
    metrics: Metrics,
    /// Set by the first decision, which reports `cold_start`.
    decided_once: AtomicBool,
}

/// What a valid token grants: an Allow, or a Deny (403) for the reason
/// given, as the answer API Gateway receives.
#[derive(Debug)]
struct Grant {
    response: AuthorizerResponse,
    denied: Option<Refusal>,
}

impl Authorizer {
    /// Builds the authorizer and its HTTP clients; no network use.
    pub fn new(config: Config) -> Result<Self, crate::fetch::ClientError> {
        let metrics = Metrics::new(config.metrics.then_some(config.function_name.as_str()));
        let mut keys = Vec::with_capacity(config.issuers.len());
        for issuer in &config.issuers {
            keys.push(KeyStore::new(
                config.key_store.fetcher(config.algorithms, issuer)?,
                &config.key_store,
                // The configuration allows a fallback with one issuer only.
                config.jwks_fallback.clone(),
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
        let result = self.evaluate(event, unix_now(), &mut trace, &mut ()).await;
        let request = &event.request_context;
        self.record(
            &result,
            &trace,
            request.connection_id.as_deref().unwrap_or(""),
            request.request_id.as_deref().unwrap_or(""),
            started,
        );
        let grant = result.map_err(HandlerError::from)?;
        Ok(grant.response)
    }

    /// Answers an invocation whose body is not an event with an error (500)
    /// that names the body's JSON type and length, never its content, and
    /// logs and counts it as a decision (`not_an_event`).
    pub fn refuse_body(&self, body: NotAnEvent) -> HandlerError {
        let started = Instant::now();
        tracing::error!(
            body_type = body.kind,
            body_bytes = body.bytes,
            "the invocation's body is not an API Gateway authorizer event"
        );
        let refused = Err(Refusal::NotAnEvent);
        self.record(&refused, &Trace::default(), "", "", started);
        HandlerError {
            refusal: Refusal::NotAnEvent,
            detail: Some(body.to_string()),
        }
    }

    /// Writes the decision log line of `result` and counts it.
    fn record(
        &self,
        result: &Result<Grant, Refusal>,
        trace: &Trace,
        connection_id: &str,
        request_id: &str,
        started: Instant,
    ) {
        let (decision, reason) = verdict(result);
        decision_log::write(
            &self.metrics,
            Line {
                decision,
                reason,
                trace,
                connection_id,
                request_id,
                cold_start: !self.decided_once.swap(true, Ordering::Relaxed),
                duration_us: started.elapsed().as_micros() as u64,
            },
        );
    }

    /// Runs the whole pipeline for `event` with `observer` watching every
    /// step, without the decision cache (so every check is made), and
    /// returns what a `$connect` would decide. `explain` is built on this.
    pub async fn observe<O: Observer>(
        &self,
        event: &ConnectEvent,
        observer: &mut O,
    ) -> (Decision, &'static str, Option<ApiType>) {
        let mut trace = Trace::default();
        let (decision, reason) =
            verdict(&self.evaluate(event, unix_now(), &mut trace, observer).await);
        (decision, reason, trace.api)
    }

    /// The pipeline: token, JOSE header, key, signature, claim checks,
    /// access rules, answer. Stops at the first failure, unless `observer`
    /// records (then the claim checks and access rules all run).
    async fn evaluate<O: Observer>(
        &self,
        event: &ConnectEvent,
        now: u64,
        trace: &mut Trace,
        observer: &mut O,
    ) -> Result<Grant, Refusal> {
        let shape = event.shape();
        observer.record(
            "event",
            shape.as_ref().map(drop).map_err(|r| *r),
            || match &shape {
                Ok(shape) => format!(
                    "{} API, {} on {}{}",
                    shape.api.name(),
                    shape.kind_name(),
                    shape.arn,
                    shape
                        .route
                        .as_deref()
                        .map(|route| format!(", route {route}"))
                        .unwrap_or_default()
                ),
                Err(_) => "not a TOKEN or REQUEST event with its methodArn or routeArn".to_owned(),
            },
        );
        let shape = shape?;
        trace.api = Some(shape.api);
        let answering = Answering::new(&shape, self.config.simple_responses, &self.config.access);
        match self
            .decide(event, &shape, &answering, now, trace, observer)
            .await
        {
            Err(refusal) if answering.answers_as_denial(refusal) => Ok(Grant {
                response: answering.deny(None, refusal, &[])?,
                denied: Some(refusal),
            }),
            decided => decided,
        }
    }

    /// The pipeline after the event's kind is known.
    async fn decide<O: Observer>(
        &self,
        event: &ConnectEvent,
        shape: &Shape<'_>,
        answering: &Answering<'_>,
        now: u64,
        trace: &mut Trace,
        observer: &mut O,
    ) -> Result<Grant, Refusal> {
        let config = &self.config;
        let found = extract_token(event, &config.transports);
        observer.record("token", found.as_ref().map(drop).map_err(|r| *r), || {
            let sources: Vec<&str> = config.transports.sources.iter().map(|s| s.name()).collect();
            let sources = sources.join(",");
            match &found {
                Ok(found) => format!(
                    "{} bytes (cap {MAX_TOKEN_BYTES}) from {} ({TOKEN_SOURCES}: {sources})",
                    found.token.len(),
                    found.source.name(),
                ),
                Err(refusal) => format!("{refusal} ({TOKEN_SOURCES}: {sources})"),
            }
        });
        let found = found?;
        let token = found.token;
        observer.token(token);
        // A watched run makes every check: it neither reads nor fills the cache.
        let remembered = self
            .decisions
            .as_ref()
            .filter(|_| !O::RECORDS)
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
                verified
            }
            None => Arc::new(self.verify(token, now, trace, observer).await?),
        };
        trace.verified = Some(Arc::clone(&verified));
        let issuer = &config.issuers[self.issuer_of_claims(&verified.claims)?];
        let claims = &verified.claims;
        let request = Request {
            claims,
            rules: &config.access,
            event,
            shape,
        };
        // Checked on every decision, cached or not: time passes.
        let claims_checked = checks::run(
            &claim_checks(),
            &Claims {
                claims,
                rules: &config.claims,
                issuer,
                issuers_listed: config.issuers_json.is_some(),
                now,
            },
            observer,
        );
        if claims_checked.is_err() && O::RECORDS {
            // Every problem at once: the rights too, though the token is refused.
            let _ = checks::run(&access_rules(), &request, observer);
        }
        claims_checked?;
        let remembering = remembered.is_some() && verified.cacheable();
        if let (Some((decisions, digest)), false) = (remembered, trace.cached) {
            if verified.cacheable() {
                decisions.insert(digest, Arc::clone(&verified)).await;
            }
        }
        let principal_id = claims::principal_id(claims, &config.claims.principal_id_claim)?;
        let denied = checks::run(&access_rules(), &request, observer).err();
        if found.source == TokenSource::Protocol && found.subprotocol.is_none() {
            tracing::warn!(
                "the client offered no subprotocol besides the token's: the $connect integration has none to answer with, and browsers fail such a handshake"
            );
        }
        let arn = shape.arn;
        let granted = config.access.scopes_for_routes(claims);
        if let Some(refusal) = denied {
            let response = answering.deny(Some(principal_id), refusal, &granted)?;
            return Ok(Grant { response, denied });
        }
        if let Some(allowed) = verified.allowed_on(arn, found.subprotocol, answering.form()) {
            self.warn_left_out(&allowed.left_out);
            let response = allowed.response.clone();
            return Ok(Grant { response, denied });
        }
        let context = match config.context.build(claims, found.subprotocol) {
            Ok(context) => context,
            Err(refusal) if refusal.outcome() == Outcome::Deny => {
                let response = answering.deny(Some(principal_id), refusal, &granted)?;
                return Ok(Grant {
                    response,
                    denied: Some(refusal),
                });
            }
            Err(refusal) => return Err(refusal),
        };
        self.warn_left_out(&context.left_out);
        let response = answering.allow(principal_id, &granted, &context.entries)?;
        if remembering {
            verified.remember_allow(
                arn,
                found.subprotocol,
                answering.form(),
                &response,
                &context.left_out,
            );
        }
        Ok(Grant { response, denied })
    }
}

impl Authorizer {
    /// Logs the context claims an answer leaves out for its size.
    fn warn_left_out(&self, left_out: &[String]) {
        if !left_out.is_empty() {
            tracing::warn!(
                left_out = left_out.join(","),
                max_bytes = self.config.context.max_bytes(),
                "context claims left out: over the context budget"
            );
        }
    }

    /// Parses `token`, verifies its signature with the key set's key, and
    /// decodes its claims.
    async fn verify<O: Observer>(
        &self,
        token: &str,
        now: u64,
        trace: &mut Trace,
        observer: &mut O,
    ) -> Result<VerifiedToken, Refusal> {
        let config = &self.config;
        let algorithms = config.algorithms;
        let parsed = match jws::parse(token, algorithms) {
            // #29.4, KMS: a token without kid (KMS signs without one) is verified
            // with the one KMS key of its issuer that can verify its alg, if one can.
            Err(Refusal::MissingKid) => match self.issuer_of_token(token) {
                Ok(index) => self.keys[index].parse_without_kid(token, algorithms).await,
                Err(_) => Err(Refusal::MissingKid),
            },
            parsed => parsed,
        };
        let parsed = match parsed {
            Ok(parsed) => parsed,
            Err(refusal) => {
                let name = match refusal {
                    Refusal::AlgorithmNotAllowed => "alg",
                    Refusal::MissingKid | Refusal::KmsUnavailable => "kid",
                    _ => "format",
                };
                observer.record(name, Err(refusal), || match refusal {
                    Refusal::AlgorithmNotAllowed => format!(
                        "{} is not in {JWT_ALGORITHMS} ({algorithms})",
                        jws::header_member_for_display(token, "alg")
                    ),
                    Refusal::MissingKid => "the header has no kid".to_owned(),
                    Refusal::MalformedToken => jws::malformed_for_display(token),
                    _ => refusal.to_string(),
                });
                return Err(refusal);
            }
        };
        let alg = parsed.header.alg;
        let kid = &parsed.header.kid;
        trace.alg = Some(alg.name());
        trace.kid = Some(kid.clone());
        observer.record("format", Ok(()), || {
            "a compact JWS with a JSON header".to_owned()
        });
        observer.record("alg", Ok(()), || {
            format!("{alg} is in {JWT_ALGORITHMS} ({algorithms})")
        });
        if let Some(required) = &config.required_typ {
            let result = if parsed.header.has_type(required) {
                Ok(())
            } else {
                Err(Refusal::WrongType)
            };
            observer.record("typ", result, || {
                let typ = jws::header_member_for_display(token, "typ");
                format!("{typ} against {JWT_REQUIRED_TYP} ({required})")
            });
            result?;
        }
        let index = self.issuer_of_token(token);
        if config.issuers.len() > 1 {
            observer.record("issuer", index.map(drop), || match index {
                Ok(index) => format!(
                    "the token's iss chooses the key set of {}",
                    issuer_names(&config.issuers[index])
                ),
                Err(_) => {
                    let iss = jws::unverified_issuer(token).ok().flatten();
                    let names: Vec<String> =
                        config.issuers.iter().map(issuer_names).collect();
                    format!(
                        "the token's iss {iss:?} is none of {JWT_ISSUERS} ({}); no key set was fetched",
                        names.join(", ")
                    )
                }
            });
        }
        let index = index?;
        let store = &self.keys[index];
        let uri = store.source();
        let key_set = store.with_kid(kid).await;
        let key = match &key_set {
            Ok(key_set) => key_set.shared_key(kid).cloned().ok_or(Refusal::UnknownKid),
            Err(refusal) => Err(*refusal),
        };
        // Which kids the key set has, only when someone watches.
        let known = match &key {
            Err(Refusal::UnknownKid) if O::RECORDS => match store.current().await {
                Ok(set) => set
                    .keys()
                    .iter()
                    .map(|(kid, _)| format!("{kid:?}"))
                    .collect::<Vec<_>>()
                    .join(", "),
                Err(_) => String::new(),
            },
            _ => String::new(),
        };
        observer.record("kid", key.as_ref().map(drop).map_err(|r| *r), || match &key {
            Ok(_) if jws::header_member_for_display(token, "kid") == "no kid" => {
                format!("no kid in the header: {kid:?} is the one key of {uri} that can verify {alg}")
            }
            Ok(_) => format!("{kid:?} is in the key set at {uri}"),
            Err(Refusal::UnknownKid) if known.is_empty() => format!(
                "{kid:?} is not in the key set at {uri}, which has no usable key (the provider answered with none, or that the key set is gone)"
            ),
            Err(Refusal::UnknownKid) => {
                format!("{kid:?} is not in the key set at {uri} (its kids: {known})")
            }
            Err(_) => format!(
                "the key set at {uri} could not be fetched, or the provider could not be asked about {kid:?} (a failed fetch, or the backoff after one)"
            ),
        });
        let (key_set, key) = (key_set?, key?);
        let verified = parsed.verify(&key);
        observer.record(
            "signature",
            verified.as_ref().map(drop).map_err(|r| *r),
            || match &verified {
                Ok(_) => format!("{alg} signature verifies with key {kid:?}"),
                Err(refusal) => key.refusal_detail(kid, alg, parsed.signature.len(), *refusal),
            },
        );
        let claims = verified?.claims();
        match &claims {
            Ok(claims) => observer.verified(claims),
            Err(refusal) => {
                observer.record("payload", Err(*refusal), || "not a JSON object".to_owned())
            }
        }
        let key = VerifiedWith {
            issuer: index,
            kid: kid.clone(),
            key,
        };
        Ok(VerifiedToken::new(
            claims?,
            alg.name(),
            key,
            now,
            store.freshness_left(&key_set),
        ))
    }

    /// The index of the issuer whose keys verify `token`. With one issuer,
    /// that one (its `iss` is checked after the signature). With several,
    /// the token's unverified `iss` chooses, and a token naming none of them
    /// is refused before any key set is fetched.
    fn issuer_of_token(&self, token: &str) -> Result<usize, Refusal> {
        if self.config.issuers.len() == 1 {
            return Ok(0);
        }
        self.issuer_named(jws::unverified_issuer(token)?.as_deref())
    }

    /// The index of the issuer of verified `claims`, chosen as for the token.
    fn issuer_of_claims(&self, claims: &Map<String, Value>) -> Result<usize, Refusal> {
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

/// An issuer's accepted `iss` values, for a person.
fn issuer_names(issuer: &Issuer) -> String {
    issuer
        .names
        .as_ref()
        .map_or_else(|| "any issuer".to_owned(), |names| names.join(", "))
}

/// The decision and reason code of the log line for an evaluation's result.
fn verdict(result: &Result<Grant, Refusal>) -> (Decision, &'static str) {
    match result {
        Ok(Grant {
            denied: Some(refusal),
            ..
        }) => (Decision::Deny, refusal.code()),
        Ok(_) => (Decision::Allow, "allowed"),
        Err(refusal) => (refusal.outcome().into(), refusal.code()),
    }
}
