//! Verified tokens remembered by their SHA-256, so a client reconnecting with
//! the same token skips parsing and signature verification. API Gateway
//! caches no WebSocket authorizer result, and clients reconnect often.
//!
//! Only the digest is kept as the key, never the token. An entry lives no
//! longer than the token's `exp` nor than the key set it was verified with
//! stays fresh, and serves only while the issuer's current key set still
//! holds the very key it was verified with (a removed key revokes its
//! remembered decisions at once); every time-based claim, the issuer, the
//! audience and `AUTHORIZED_APIS` are checked again on each hit.

use crate::answer::Form;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use moka::future::Cache;
use moka::Expiry;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::keys::VerificationKey;
use crate::policy::AuthorizerResponse;

/// A token whose signature verified, as the cache keeps it.
#[derive(Debug)]
pub struct VerifiedToken {
    /// Its claims.
    pub claims: Map<String, Value>,
    /// The algorithm it was signed with.
    pub alg: &'static str,
    /// The key it was verified with.
    pub key: VerifiedWith,
    /// How long it may be remembered; `None` when not at all.
    lifetime: Option<Duration>,
    /// The first Allow answered for it while remembered.
    allowed: OnceLock<RememberedAllow>,
}

/// An Allow answered for a remembered token, given again to the next
/// `$connect` with the same token, `methodArn`, subprotocol and answer form
/// (an HTTP API's payload 1.0 and 2.0 may share an ARN) once its
/// claims and rights have been checked again: besides those two, the answer
/// depends only on the claims and the configuration, which a remembered
/// token and its authorizer keep.
#[derive(Debug)]
pub struct RememberedAllow {
    method_arn: String,
    subprotocol: Option<String>,
    form: Form,
    /// The answer.
    pub response: AuthorizerResponse,
    /// The context claims left out of it for its size, logged each time.
    pub left_out: Vec<String>,
}

/// The key a token was verified with: a remembered decision holds only while
/// the issuer's current key set still has this very key.
#[derive(Debug, Clone)]
pub struct VerifiedWith {
    /// The index of the issuer whose key set held it.
    pub issuer: usize,
    /// Its kid.
    pub kid: String,
    /// The key itself.
    pub key: Arc<VerificationKey>,
}

impl VerifiedToken {
    /// A verified token, to be remembered for no longer than its `exp` (seen
    /// from `now`, seconds since the epoch) nor than `key_freshness`, what is
    /// left of its key set's TTL.
    pub fn new(
        claims: Map<String, Value>,
        alg: &'static str,
        key: VerifiedWith,
        now: u64,
        key_freshness: Duration,
    ) -> Self {
        VerifiedToken {
            lifetime: remembered_for(&claims, now, key_freshness),
            claims,
            alg,
            key,
            allowed: OnceLock::new(),
        }
    }

    /// The Allow answered for this token on the `$connect` of `method_arn`
    /// with `subprotocol`, if it was remembered.
    pub fn allowed_on(
        &self,
        method_arn: &str,
        subprotocol: Option<&str>,
        form: Form,
    ) -> Option<&RememberedAllow> {
        self.allowed.get().filter(|allowed| {
            allowed.method_arn == method_arn
                && allowed.subprotocol.as_deref() == subprotocol
                && allowed.form == form
        })
    }

    /// Remembers an Allow answered for this token. Only the first is kept: a
    /// token connects to one API's `$connect`, usually with one subprotocol.
    pub fn remember_allow(
        &self,
        method_arn: &str,
        subprotocol: Option<&str>,
        form: Form,
        response: &AuthorizerResponse,
        left_out: &[String],
    ) {
        let _ = self.allowed.set(RememberedAllow {
            method_arn: method_arn.to_owned(),
            subprotocol: subprotocol.map(str::to_owned),
            form,
            response: response.clone(),
            left_out: left_out.to_vec(),
        });
    }

    /// Whether the token may be remembered at all.
    pub fn cacheable(&self) -> bool {
        self.lifetime.is_some()
    }
}

/// How long a token with `claims`, verified at `now` with a key set fresh
/// for `key_freshness` more, may be remembered; `None` when not at all.
fn remembered_for(
    claims: &Map<String, Value>,
    now: u64,
    key_freshness: Duration,
) -> Option<Duration> {
    let until_exp = match claims.get("exp").and_then(Value::as_f64) {
        Some(exp) if exp > now as f64 => {
            Duration::try_from_secs_f64(exp - now as f64).unwrap_or(Duration::MAX)
        }
        Some(_) => Duration::ZERO,
        None => Duration::MAX,
    };
    let lifetime = until_exp.min(key_freshness);
    (!lifetime.is_zero()).then_some(lifetime)
}

/// Each entry expires after its own lifetime.
struct ByLifetime;

impl Expiry<[u8; 32], Arc<VerifiedToken>> for ByLifetime {
    fn expire_after_create(
        &self,
        _key: &[u8; 32],
        value: &Arc<VerifiedToken>,
        _created_at: std::time::Instant,
    ) -> Option<Duration> {
        Some(value.lifetime.unwrap_or(Duration::ZERO))
    }
}

/// The bounded cache of verified tokens.
#[derive(Debug, Clone)]
pub struct DecisionCache {
    entries: Cache<[u8; 32], Arc<VerifiedToken>>,
}

impl DecisionCache {
    /// A cache of at most `max_entries` tokens.
    pub fn new(max_entries: u64) -> Self {
        DecisionCache {
            entries: Cache::builder()
                .max_capacity(max_entries)
                .expire_after(ByLifetime)
                .build(),
        }
    }

    /// The cache key of `token`.
    pub fn digest(token: &str) -> [u8; 32] {
        Sha256::digest(token.as_bytes()).into()
    }

    /// The remembered verification of the token with this digest.
    pub async fn get(&self, digest: &[u8; 32]) -> Option<Arc<VerifiedToken>> {
        self.entries.get(digest).await
    }

    /// Forgets the token with this digest.
    pub async fn remove(&self, digest: &[u8; 32]) {
        self.entries.invalidate(digest).await;
    }

    /// Remembers a verified token.
    pub async fn insert(&self, digest: [u8; 32], token: Arc<VerifiedToken>) {
        self.entries.insert(digest, token).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn claims(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => unreachable!(),
        }
    }

    #[test]
    fn lifetime_is_bounded_by_exp_and_key_freshness() {
        let ten_minutes = Duration::from_secs(600);
        let lifetime =
            |value: Value, freshness: Duration| remembered_for(&claims(value), 1000, freshness);
        assert_eq!(
            lifetime(json!({"exp": 1030}), ten_minutes),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            lifetime(json!({"exp": 9000}), ten_minutes),
            Some(ten_minutes)
        );
        assert_eq!(lifetime(json!({}), ten_minutes), Some(ten_minutes));
        assert_eq!(
            lifetime(json!({"exp": 1e300}), ten_minutes),
            Some(ten_minutes)
        );
        assert_eq!(lifetime(json!({"exp": 1000}), ten_minutes), None);
        assert_eq!(lifetime(json!({"exp": 9000}), Duration::ZERO), None);
    }

    #[test]
    fn the_key_is_a_digest_not_the_token() {
        let digest = DecisionCache::digest("a.b.c");
        assert_eq!(digest.len(), 32);
        assert_ne!(DecisionCache::digest("a.b.d"), digest);
    }
}
