//! The authorizer context the routes receive in `requestContext.authorizer`:
//! the standard claims, the claims `CONTEXT_CLAIMS` names, and `exp`, within
//! a size budget.
//!
//! API Gateway accepts only strings, numbers and booleans as context values
//! and limits the whole answer to about 8 KB; an answer over that is a 500
//! for the client, so the budget is enforced here rather than discovered in
//! production.

use std::io;

use serde_json::{Map, Value};

use crate::error::Refusal;
use crate::provider::Preset;
use crate::settings::{ConfigError, Env};

/// Comma list of claim paths copied into the authorizer context.
pub const CONTEXT_CLAIMS: &str = "CONTEXT_CLAIMS";
/// The largest authorizer context, in bytes of JSON.
pub const CONTEXT_MAX_BYTES: &str = "CONTEXT_MAX_BYTES";

/// The claims every context carries when the token has them, in this order
/// (`sub` whatever the budget).
const STANDARD_CLAIMS: [&str; 4] = ["sub", "iss", "scope", "client_id"];

/// The keys always written when present, whatever the budget: `exp`, so
/// routes can close the connection when the token expires, and the
/// subprotocol the `$connect` integration must echo, whose value the client
/// chooses: room for one of up to [`SUBPROTOCOL_ROOM`] bytes is kept.
const RESERVED_BYTES: usize = r#"{"exp":99999999999,"subprotocol":""}"#.len() + SUBPROTOCOL_ROOM;

/// The subprotocol length the budget always has room for; a longer one
/// (the token-carrying protocol itself) takes the rest from the budget.
const SUBPROTOCOL_ROOM: usize = 256;

/// A claim named by a path: `realm_access.roles` reads `roles` inside the
/// `realm_access` object. A claim whose own name contains dots (Auth0's
/// `https://example.com/roles`) is found by its whole name first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimPath(String);

impl ClaimPath {
    /// A non-empty path without empty segments.
    pub fn parse(path: &str) -> Result<Self, String> {
        if path.is_empty() || path.starts_with('.') || path.ends_with('.') || path.contains("..") {
            return Err(format!("{path:?} is not a claim path (name or name.name)"));
        }
        Ok(ClaimPath(path.to_owned()))
    }

    /// The path as written, which is also its context key.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The value at this path in `claims`.
    pub fn resolve<'a>(&self, claims: &'a Map<String, Value>) -> Option<&'a Value> {
        resolve(claims, &self.0)
    }
}

fn resolve<'a>(claims: &'a Map<String, Value>, path: &str) -> Option<&'a Value> {
    if let Some(value) = claims.get(path) {
        return Some(value);
    }
    path.match_indices('.')
        .find_map(|(dot, _)| match claims.get(&path[..dot]) {
            Some(Value::Object(inner)) => resolve(inner, &path[dot + 1..]),
            _ => None,
        })
}

/// Which claims go into the context, and how many bytes it may take.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContextSpec {
    claims: Vec<ClaimPath>,
    max_bytes: usize,
}

/// The context of one decision, and the claims that did not fit.
#[derive(Debug, Default, PartialEq)]
pub struct Context {
    /// The entries, ready for the answer.
    pub entries: Map<String, Value>,
    /// The context keys left out to stay within the budget.
    pub left_out: Vec<String>,
}

impl ContextSpec {
    /// The standard claims plus `claims`, within `max_bytes` of JSON.
    ///
    /// Fails when the budget cannot hold even the keys of `claims` with the
    /// shortest values, as no token could then have all of them.
    pub fn new(claims: Vec<ClaimPath>, max_bytes: usize) -> Result<Self, String> {
        let mut claims_deduplicated: Vec<ClaimPath> = Vec::with_capacity(claims.len());
        for claim in claims {
            let standard = STANDARD_CLAIMS.contains(&claim.as_str())
                || matches!(claim.as_str(), "aud" | "exp");
            if !standard && !claims_deduplicated.contains(&claim) {
                claims_deduplicated.push(claim);
            }
        }
        // `"key":0,` is the smallest entry a claim can make.
        let least: usize = RESERVED_BYTES
            + claims_deduplicated
                .iter()
                .map(|claim| json_len(claim.as_str()) + 3)
                .sum::<usize>();
        if least > max_bytes {
            return Err(format!(
                "{} claims need at least {least} bytes of context, more than the budget of {max_bytes}",
                claims_deduplicated.len()
            ));
        }
        Ok(ContextSpec {
            claims: claims_deduplicated,
            max_bytes,
        })
    }

    /// The configured claim paths, without the standard ones.
    pub fn claims(&self) -> &[ClaimPath] {
        &self.claims
    }

    /// The budget in bytes.
    pub fn max_bytes(&self) -> usize {
        self.max_bytes
    }

    /// The context for verified `claims`, with `subprotocol` when the token
    /// came as one. `exp` and `sub` always stay: the session guard ends a
    /// connection at `exp` and revokes it by `sub`, so a client must not be
    /// able to push them out by padding what it offers. Other entries that
    /// would overflow the budget are left out, in order: the standard claims
    /// first, then the configured ones.
    ///
    /// Refused with `subprotocol_too_long` when the subprotocol to echo does
    /// not fit beside `exp` and `sub`, and with `response_too_large` when
    /// `sub` alone does not.
    pub fn build(
        &self,
        claims: &Map<String, Value>,
        subprotocol: Option<&str>,
    ) -> Result<Context, Refusal> {
        let mut context = Context::default();
        let mut used = RESERVED_BYTES;
        if let Some(Value::Number(exp)) = claims.get("exp") {
            context
                .entries
                .insert("exp".to_owned(), Value::Number(exp.clone()));
        }
        if let Some(subject) = claims.get("sub").and_then(context_value) {
            used += entry_len("sub", &subject);
            if used > self.max_bytes {
                return Err(Refusal::ResponseTooLarge);
            }
            context.entries.insert("sub".to_owned(), subject);
        }
        if let Some(subprotocol) = subprotocol {
            // Its quotes are in the reserved bytes already.
            used += (json_len(subprotocol) - 2).saturating_sub(SUBPROTOCOL_ROOM);
            if used > self.max_bytes {
                return Err(Refusal::SubprotocolTooLong);
            }
            context
                .entries
                .insert("subprotocol".to_owned(), Value::from(subprotocol));
        }
        let audience = match claims.get("aud") {
            Some(Value::Array(values)) => Some(Value::from(
                values
                    .iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(","),
            )),
            Some(aud @ Value::String(_)) => Some(aud.clone()),
            _ => None,
        };
        let standard = STANDARD_CLAIMS
            .iter()
            .filter(|name| **name != "sub")
            .map(|name| (*name, claims.get(*name).and_then(context_value)))
            .chain([("aud", audience)]);
        let configured = self
            .claims
            .iter()
            .map(|path| (path.as_str(), path.resolve(claims).and_then(context_value)));
        for (key, value) in standard.chain(configured) {
            let Some(value) = value else { continue };
            let size = entry_len(key, &value);
            if used + size > self.max_bytes {
                context.left_out.push(key.to_owned());
                continue;
            }
            used += size;
            context.entries.insert(key.to_owned(), value);
        }
        Ok(context)
    }
}

/// The bytes `"key":value,` takes in the context's JSON.
fn entry_len(key: &str, value: &Value) -> usize {
    json_len(key) + json_len(value) + 2
}

/// A claim as API Gateway accepts it: scalars as they are, arrays and
/// objects as their JSON text, `null` not at all.
fn context_value(value: &Value) -> Option<Value> {
    match value {
        Value::Null => None,
        Value::String(_) | Value::Number(_) | Value::Bool(_) => Some(value.clone()),
        Value::Array(_) | Value::Object(_) => Some(Value::String(value.to_string())),
    }
}

/// The length of `value`'s JSON text, counted without building it.
pub(crate) fn json_len<T: serde::Serialize + ?Sized>(value: &T) -> usize {
    struct Count(usize);
    impl io::Write for Count {
        fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
            self.0 += bytes.len();
            Ok(bytes.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }
    let mut count = Count(0);
    // Writing strings or Values into a sink that never fails cannot fail.
    let _ = serde_json::to_writer(&mut count, value);
    count.0
}

impl ContextSpec {
    /// The variables the context comes from.
    pub const VARIABLES: [&'static str; 2] = [CONTEXT_CLAIMS, CONTEXT_MAX_BYTES];

    /// Each variable with the value in effect, in the order of [`Self::VARIABLES`].
    pub fn settings(&self) -> [(&'static str, String); 2] {
        let claims: Vec<&str> = self.claims().iter().map(ClaimPath::as_str).collect();
        [
            (CONTEXT_CLAIMS, claims.join(",")),
            (CONTEXT_MAX_BYTES, self.max_bytes().to_string()),
        ]
    }
}

impl ContextSpec {
    /// Reads `CONTEXT_CLAIMS` (after the preset's) and `CONTEXT_MAX_BYTES`.
    pub fn read(env: &Env, preset: &Preset) -> Result<Self, ConfigError> {
        let context_claims = env
            .parsed_list(CONTEXT_CLAIMS, ClaimPath::parse)?
            .unwrap_or_default()
            .into_iter()
            .chain(
                preset
                    .context_claims
                    .iter()
                    .filter_map(|path| ClaimPath::parse(path).ok()),
            )
            .collect();
        let context_max_bytes = env.number(CONTEXT_MAX_BYTES, 4096, 512..=7680)?;
        ContextSpec::new(context_claims, context_max_bytes as usize).map_err(|reason| {
            ConfigError::new(
                CONTEXT_CLAIMS,
                format!("{reason} ({CONTEXT_MAX_BYTES}={context_max_bytes})"),
            )
        })
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

    fn paths(names: &[&str]) -> Vec<ClaimPath> {
        names
            .iter()
            .map(|name| ClaimPath::parse(name).unwrap())
            .collect()
    }

    #[test]
    fn paths_reach_into_objects_and_prefer_whole_names() {
        let verified = claims(json!({
            "realm_access": {"roles": ["admin", "user"]},
            "https://example.com/roles": ["editor"],
            "a": {"b.c": 1, "b": {"c": 2}},
            "n": 5
        }));
        let at = |path: &str| ClaimPath::parse(path).unwrap().resolve(&verified).cloned();
        assert_eq!(at("realm_access.roles"), Some(json!(["admin", "user"])));
        assert_eq!(at("https://example.com/roles"), Some(json!(["editor"])));
        assert_eq!(at("a.b.c"), Some(json!(1)));
        assert_eq!(at("n.x"), None);
        assert_eq!(at("missing"), None);
        for bad in ["", ".a", "a.", "a..b"] {
            assert!(ClaimPath::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn standard_claims_configured_claims_and_exp() {
        let spec = ContextSpec::new(
            paths(&["realm_access.roles", "email_verified", "org", "none", "sub"]),
            4096,
        )
        .unwrap();
        assert_eq!(spec.claims().len(), 4, "sub is standard");
        let verified = claims(json!({
            "sub": "user-1", "iss": "https://a", "aud": ["api", "other"], "scope": "read write",
            "client_id": "c1", "exp": 1700000600, "realm_access": {"roles": ["admin"]},
            "email_verified": true, "org": {"id": 7}, "none": null
        }));
        let context = spec.build(&verified, Some("bearer")).unwrap();
        assert_eq!(
            Value::Object(context.entries),
            json!({"sub": "user-1", "iss": "https://a", "aud": "api,other", "scope": "read write",
                   "client_id": "c1", "exp": 1700000600, "subprotocol": "bearer",
                   "realm_access.roles": "[\"admin\"]", "email_verified": true,
                   "org": "{\"id\":7}"})
        );
        assert!(context.left_out.is_empty());
    }

    #[test]
    fn entries_over_the_budget_are_left_out_but_exp_stays() {
        let spec = ContextSpec::new(paths(&["big", "small"]), 1024).unwrap();
        let verified = claims(json!({
            "sub": "user-1", "exp": 1700000600, "big": "x".repeat(2000), "small": 1
        }));
        let context = spec.build(&verified, None).unwrap();
        assert_eq!(
            Value::Object(context.entries.clone()),
            json!({"sub": "user-1", "exp": 1700000600, "small": 1})
        );
        assert_eq!(context.left_out, vec!["big"]);
        let answer = serde_json::to_string(&context.entries).unwrap();
        assert!(answer.len() <= 1024);
    }

    /// #28.3: a client padding its offered subprotocol cannot push `sub`
    /// (nor `exp`) out of the context: the subprotocol is refused instead,
    /// and a subject the budget cannot hold at all refuses the answer.
    #[test]
    fn sub_and_exp_stay_and_a_subprotocol_that_would_push_them_out_is_refused() {
        let spec = ContextSpec::new(Vec::new(), 1024).unwrap();
        let verified = claims(json!({
            "sub": "alice", "iss": "https://idp.example.com", "exp": 1700000600
        }));
        // The longest subprotocol that fits beside exp and sub is echoed,
        // and the other claims give way to it.
        let fits = 1024 - RESERVED_BYTES - entry_len("sub", &json!("alice")) + SUBPROTOCOL_ROOM;
        let longest = "p".repeat(fits);
        let context = spec.build(&verified, Some(&longest)).unwrap();
        assert_eq!(
            Value::Object(context.entries.clone()),
            json!({"exp": 1700000600, "sub": "alice", "subprotocol": longest})
        );
        assert_eq!(context.left_out, vec!["iss"]);
        assert!(json_len(&context.entries) <= 1024);
        assert_eq!(
            spec.build(&verified, Some(&"p".repeat(fits + 1))),
            Err(Refusal::SubprotocolTooLong)
        );
        assert_eq!(
            spec.build(&verified, Some(&"p".repeat(4096))),
            Err(Refusal::SubprotocolTooLong)
        );
        // A subject longer than the whole budget refuses the answer.
        let huge = claims(json!({"sub": "s".repeat(1024), "exp": 1700000600}));
        assert_eq!(spec.build(&huge, None), Err(Refusal::ResponseTooLarge));
    }

    #[test]
    fn a_budget_too_small_for_the_keys_is_a_configuration_error() {
        let many: Vec<String> = (0..100).map(|n| format!("claim_number_{n}")).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        let error = ContextSpec::new(paths(&many), 1024).unwrap_err();
        assert!(error.starts_with("100 claims need at least"), "{error}");
        assert!(ContextSpec::new(paths(&many), 4096).is_ok());
    }

    #[test]
    fn json_length_is_exact() {
        for value in [
            json!("a\"b\\c\n"),
            json!([1, "x", {"y": null}]),
            json!(12.5),
        ] {
            assert_eq!(json_len(&value), value.to_string().len());
        }
    }
}
