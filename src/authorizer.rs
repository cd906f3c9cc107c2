//! The decision for one `$connect`: token, key, signature, claims, policy.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value};

use crate::claims;
use crate::config::Config;
use crate::error::{HandlerError, Outcome, Refusal};
use crate::event::ConnectEvent;
use crate::jwks::{JwksFetcher, KeyStore};
use crate::jws;
use crate::policy::{policy_response, AuthorizerResponse};
use crate::token::extract_token;

/// A configured authorizer: the configuration and the cached key set, shared
/// by every invocation of the execution environment.
#[derive(Debug)]
pub struct Authorizer {
    config: Config,
    keys: KeyStore,
}

/// What a valid token grants.
#[derive(Debug)]
struct Grant {
    principal_id: String,
    context: Map<String, Value>,
    allowed: bool,
}

/// What the decision log line reports, filled in as the checks go.
#[derive(Debug, Default)]
struct Trace {
    alg: Option<&'static str>,
    kid: Option<String>,
    iss: Option<String>,
    sub: Option<String>,
}

impl Authorizer {
    /// Builds the authorizer and its HTTP client; no network use.
    pub fn new(config: Config) -> Result<Self, reqwest::Error> {
        let keys = KeyStore::new(JwksFetcher::new(&config)?, &config);
        Ok(Authorizer { config, keys })
    }

    /// The configuration in use.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Fetches the key set ahead of the first request, giving up after
    /// `deadline`; a failure is logged and left to the first request to retry.
    pub async fn prefetch(&self, deadline: Duration) -> bool {
        match tokio::time::timeout(deadline, self.keys.current()).await {
            Ok(Ok(_)) => true,
            Ok(Err(_)) => false,
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
        let (decision, reason) = match &result {
            Ok(grant) if grant.allowed => ("allow", "allowed"),
            Ok(_) => ("deny", Refusal::ApiNotAuthorized.code()),
            Err(refusal) => (
                match refusal.outcome() {
                    Outcome::Unauthorized => "unauthorized",
                    Outcome::Deny => "deny",
                    Outcome::Error => "error",
                },
                refusal.code(),
            ),
        };
        tracing::info!(
            decision,
            reason,
            alg = trace.alg.unwrap_or(""),
            kid = trace.kid.as_deref().unwrap_or(""),
            iss = trace.iss.as_deref().unwrap_or(""),
            sub = if decision == "allow" {
                trace.sub.as_deref().unwrap_or("")
            } else {
                ""
            },
            connection_id,
            request_id,
            duration_us,
            "decision"
        );
        let grant = result.map_err(|refusal| HandlerError { refusal })?;
        Ok(policy_response(
            grant.principal_id,
            grant.allowed,
            &event.method_arn,
            grant.context,
        ))
    }

    async fn evaluate(
        &self,
        event: &ConnectEvent,
        now: u64,
        trace: &mut Trace,
    ) -> Result<Grant, Refusal> {
        let token = extract_token(event)?;
        let parsed = jws::parse(token, self.config.algorithms)?;
        trace.alg = Some(parsed.header.alg.name());
        trace.kid = Some(parsed.header.kid.clone());

        let key_set = self.keys.with_kid(&parsed.header.kid).await?;
        let key = key_set.get(&parsed.header.kid).ok_or(Refusal::UnknownKid)?;
        key.verify(
            parsed.header.alg,
            parsed.signing_input.as_bytes(),
            &parsed.signature,
        )?;

        let verified = parsed.claims()?;
        trace.iss = verified
            .get("iss")
            .and_then(Value::as_str)
            .map(str::to_owned);
        claims::check_claims(&verified, &self.config, now)?;
        let principal_id = claims::principal_id(&verified, &self.config.principal_id_claim)?;
        trace.sub = verified
            .get("sub")
            .and_then(Value::as_str)
            .map(str::to_owned);

        let allowed = match &self.config.authorized_apis {
            None => true,
            Some(patterns) => patterns
                .iter()
                .any(|pattern| pattern.matches(&event.method_arn)),
        };
        Ok(Grant {
            principal_id,
            context: if allowed {
                claims::context(&verified)
            } else {
                Map::new()
            },
            allowed,
        })
    }
}

/// Seconds since the epoch; a clock before 1970 reads as the far future, so
/// that every token with an expiry is refused rather than accepted.
fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs())
        .unwrap_or(u64::MAX)
}
