//! Why a token is allowed or refused, check by check, for a person.
//!
//! The checks call the same functions as a `$connect`, in the same order, and
//! the decision at the end is the authorizer's own evaluation of the event, so
//! the explanation cannot disagree with what API Gateway would get.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::authorizer::{unix_now, Authorizer, Trace};
use crate::claims;
use crate::config::{
    Config, ALLOWED_ORIGINS, AUTHORIZED_APIS, JWT_ALGORITHMS, JWT_AUTHORIZED_AUDIENCES, JWT_ISSUER,
    JWT_ISSUERS, JWT_MAX_AGE_SECONDS, JWT_MIN_REMAINING_SECONDS, JWT_REQUIRED_CLAIMS,
    JWT_REQUIRED_SCOPES, JWT_REQUIRED_TYP, JWT_VERIFY_EXPIRATION, PRINCIPAL_ID_CLAIM,
    TOKEN_SOURCES,
};
use crate::date::UtcDateTime;
use crate::error::{Decision, Refusal};
use crate::event::ConnectEvent;
use crate::issuers::Issuer;
use crate::jws;
use crate::token::{extract_token, origin_allowed, MAX_TOKEN_BYTES};

/// The result of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// The check passed.
    Pass,
    /// The check failed; the token is refused for its reason.
    Fail,
    /// The configuration turns the check off.
    Skipped,
}

/// One check, with the values it compared.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    /// A stable name: `token`, `format`, `alg`, `kid`, `signature`, `payload`,
    /// `exp`, `nbf`, `iat`, `iss`, `aud`, `principal`, `api`.
    pub name: &'static str,
    /// Passed, failed or skipped.
    pub status: Status,
    /// What was compared with what, for a person.
    pub detail: String,
    /// The reason code a failure is logged with.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'static str>,
}

/// The whole explanation of one token.
#[derive(Debug, Clone, Serialize)]
pub struct Explanation {
    /// What was decided, as in the decision log line.
    pub decision: Decision,
    /// The reason code, as in the decision log line.
    pub reason: &'static str,
    /// The HTTP status the client gets from API Gateway (101 opens the socket).
    pub status: u16,
    /// What API Gateway does, in words.
    pub answer: &'static str,
    /// The token's header, decoded (whether or not it passed the checks).
    pub header: Option<Value>,
    /// The token's claims, decoded; unverified unless `claims_verified`.
    pub claims: Option<Value>,
    /// Whether the signature over `claims` verified.
    pub claims_verified: bool,
    /// The checks in the order the authorizer runs them.
    pub checks: Vec<Check>,
}

impl Explanation {
    /// The process exit code of `explain`: 0 allow, 1 refused, 2 when the
    /// key set could not be had (an operational problem, not the token's).
    pub fn exit_code(&self) -> i32 {
        match self.decision {
            Decision::Allow => 0,
            Decision::Error => 2,
            Decision::Deny | Decision::Unauthorized => 1,
        }
    }
}

/// The checks as they are made; the first failure is the reason.
#[derive(Default)]
struct Checks(Vec<Check>);

impl Checks {
    fn record(&mut self, name: &'static str, result: Result<(), Refusal>, detail: String) {
        let (status, reason) = match result {
            Ok(()) => (Status::Pass, None),
            Err(refusal) => (Status::Fail, Some(refusal.code())),
        };
        self.0.push(Check {
            name,
            status,
            detail,
            reason,
        });
    }

    fn skip(&mut self, name: &'static str, detail: String) {
        self.0.push(Check {
            name,
            status: Status::Skipped,
            detail,
            reason: None,
        });
    }
}

impl Authorizer {
    /// Explains the decision for `event`, fetching the key set if needed.
    pub async fn explain(&self, event: &ConnectEvent) -> Explanation {
        let now = unix_now();
        let mut checks = Checks::default();
        let mut header = None;
        let mut claims = None;
        let claims_verified = self
            .explain_checks(event, now, &mut checks, &mut header, &mut claims)
            .await;
        let result = self.evaluate(event, now, &mut Trace::default()).await;
        let (decision, reason) = crate::authorizer::verdict(&result);
        Explanation {
            decision,
            reason,
            status: decision.http_status(),
            answer: decision.answer(),
            header,
            claims: claims.map(Value::Object),
            claims_verified,
            checks: checks.0,
        }
    }

    /// Runs the checks one by one; returns whether the claims were verified.
    async fn explain_checks(
        &self,
        event: &ConnectEvent,
        now: u64,
        checks: &mut Checks,
        header: &mut Option<Value>,
        claims: &mut Option<Map<String, Value>>,
    ) -> bool {
        let config = self.config();
        let sources: Vec<&str> = config
            .transports
            .sources
            .iter()
            .map(|source| source.name())
            .collect();
        let token = match extract_token(event, &config.transports) {
            Ok(found) => {
                checks.record(
                    "token",
                    Ok(()),
                    format!(
                        "{} bytes (cap {MAX_TOKEN_BYTES}) from {} ({TOKEN_SOURCES}: {})",
                        found.token.len(),
                        found.source.name(),
                        sources.join(",")
                    ),
                );
                found.token
            }
            Err(refusal) => {
                checks.record(
                    "token",
                    Err(refusal),
                    format!("{refusal} ({TOKEN_SOURCES}: {})", sources.join(",")),
                );
                return false;
            }
        };
        let mut segments = token.split('.');
        *header = segments.next().and_then(decode_for_display);
        *claims = segments
            .next()
            .and_then(decode_for_display)
            .and_then(|value| match value {
                Value::Object(map) => Some(map),
                _ => None,
            });

        let parsed = match jws::parse(token, config.algorithms) {
            Ok(parsed) => parsed,
            Err(refusal) => {
                let (name, detail) = match refusal {
                    Refusal::AlgorithmNotAllowed => (
                        "alg",
                        format!(
                            "{} is not in {JWT_ALGORITHMS} ({})",
                            header_member(header, "alg"),
                            config.algorithms
                        ),
                    ),
                    Refusal::MissingKid => ("kid", "the header has no kid".to_owned()),
                    _ => ("format", refusal.to_string()),
                };
                checks.record(name, Err(refusal), detail);
                return false;
            }
        };
        checks.record(
            "format",
            Ok(()),
            "a compact JWS with a JSON header".to_owned(),
        );
        let alg = parsed.header.alg;
        checks.record(
            "alg",
            Ok(()),
            format!("{alg} is in {JWT_ALGORITHMS} ({})", config.algorithms),
        );
        if let Some(required) = &config.required_typ {
            let typ = header_member(header, "typ");
            let result = if parsed.header.has_type(required) {
                Ok(())
            } else {
                Err(Refusal::WrongType)
            };
            checks.record(
                "typ",
                result,
                format!("{typ} against {JWT_REQUIRED_TYP} ({required})"),
            );
            if result.is_err() {
                return false;
            }
        }
        let index = match self.issuer_of_token(token) {
            Ok(index) => index,
            Err(refusal) => {
                let iss = jws::unverified_issuer(token).ok().flatten();
                let names: Vec<String> = config
                    .issuers
                    .iter()
                    .flat_map(|issuer| issuer.names.iter().flatten().cloned())
                    .collect();
                checks.record(
                    "issuer",
                    Err(refusal),
                    format!(
                        "the token's iss {iss:?} is none of {JWT_ISSUERS} ({}); no key set was fetched",
                        names.join(", ")
                    ),
                );
                return false;
            }
        };
        let issuer = &config.issuers[index];
        if config.issuers.len() > 1 {
            checks.record(
                "issuer",
                Ok(()),
                format!(
                    "the token's iss chooses the key set of {}",
                    issuer_names(issuer)
                ),
            );
        }
        let store = &self.keys[index];
        let kid = &parsed.header.kid;
        let uri = store.source();
        let key_set = match store.with_kid(kid).await {
            Ok(key_set) => key_set,
            Err(Refusal::UnknownKid) => {
                let known = match store.current().await {
                    Ok(set) => set
                        .keys()
                        .iter()
                        .map(|(kid, _)| format!("{kid:?}"))
                        .collect::<Vec<_>>()
                        .join(", "),
                    Err(_) => String::new(),
                };
                let detail = if known.is_empty() {
                    format!("{kid:?} is not in the key set at {uri}, which has no usable key (the provider answered with none, or that the key set is gone)")
                } else {
                    format!("{kid:?} is not in the key set at {uri} (its kids: {known})")
                };
                checks.record("kid", Err(Refusal::UnknownKid), detail);
                return false;
            }
            Err(refusal) => {
                checks.record(
                    "kid",
                    Err(refusal),
                    format!("the key set at {uri} could not be fetched, or the provider could not be asked about {kid:?} (a failed fetch, or the backoff after one)"),
                );
                return false;
            }
        };
        let Some(key) = key_set.get(kid) else {
            checks.record("kid", Err(Refusal::UnknownKid), format!("{kid:?} vanished"));
            return false;
        };
        checks.record("kid", Ok(()), format!("{kid:?} is in the key set at {uri}"));
        let verified = key.verify(alg, parsed.signing_input.as_bytes(), &parsed.signature);
        let detail = match verified {
            Ok(()) => format!("{alg} signature verifies with key {kid:?}"),
            Err(Refusal::KeyAlgorithmMismatch) => format!("key {kid:?} cannot verify {alg}"),
            Err(_) => format!("{alg} signature does not verify with key {kid:?}"),
        };
        checks.record("signature", verified, detail);
        if verified.is_err() {
            return false;
        }
        let verified_claims = match parsed.claims() {
            Ok(verified_claims) => verified_claims,
            Err(refusal) => {
                checks.record("payload", Err(refusal), "not a JSON object".to_owned());
                return false;
            }
        };
        explain_claims(&verified_claims, config, issuer, now, event, checks);
        *claims = Some(verified_claims);
        true
    }
}

/// The claim checks, all of them, so that every problem shows at once.
fn explain_claims(
    verified: &Map<String, Value>,
    config: &Config,
    issuer: &Issuer,
    now: u64,
    event: &ConnectEvent,
    checks: &mut Checks,
) {
    let method_arn = event.method_arn.as_str();
    let leeway = config.leeway_seconds;
    if config.verify_expiration {
        checks.record(
            "exp",
            claims::check_expiry(verified, config, now),
            time_detail(verified, "exp", now, leeway),
        );
    } else {
        checks.skip(
            "exp",
            format!(
                "{JWT_VERIFY_EXPIRATION}=false; {}",
                time_detail(verified, "exp", now, leeway)
            ),
        );
    }
    if config.min_remaining_seconds > 0 {
        checks.record(
            "lifetime",
            claims::check_remaining_lifetime(verified, config, now),
            format!(
                "{}; {JWT_MIN_REMAINING_SECONDS}={}",
                time_detail(verified, "exp", now, 0),
                config.min_remaining_seconds
            ),
        );
    } else {
        checks.skip(
            "lifetime",
            format!("{JWT_MIN_REMAINING_SECONDS} is not set"),
        );
    }
    checks.record(
        "nbf",
        claims::check_not_before(verified, config, now),
        time_detail(verified, "nbf", now, leeway),
    );
    checks.record(
        "iat",
        claims::check_issued_at(verified, config, now),
        time_detail(verified, "iat", now, leeway),
    );
    match config.max_age_seconds {
        Some(max_age) => checks.record(
            "age",
            claims::check_max_age(verified, config, now),
            format!(
                "{}; {JWT_MAX_AGE_SECONDS}={max_age}",
                time_detail(verified, "iat", now, leeway)
            ),
        ),
        None => checks.skip("age", format!("{JWT_MAX_AGE_SECONDS} is not set")),
    }
    if config.check_auth_time {
        checks.record(
            "auth_time",
            claims::check_auth_time(verified, config, now),
            time_detail(verified, "auth_time", now, leeway),
        );
    }
    let iss = claim_text(verified, "iss");
    match &issuer.names {
        Some(names) => checks.record(
            "iss",
            claims::check_issuer(verified, issuer),
            format!(
                "{iss} against {} ({})",
                issuer_variable(config),
                names.join(", ")
            ),
        ),
        None => checks.skip(
            "iss",
            format!("{JWT_ISSUER} is not set; the token has {iss}"),
        ),
    }
    let audience = match verified.get("aud") {
        None => format!("no aud; client_id {}", claim_text(verified, "client_id")),
        Some(aud) => format!("aud {aud}"),
    };
    checks.record(
        "aud",
        claims::check_audience(verified, &issuer.audiences, &config.audience_claims),
        format!(
            "{audience} against {} ({})",
            if config.issuers_json.is_some() {
                JWT_ISSUERS
            } else {
                JWT_AUTHORIZED_AUDIENCES
            },
            issuer.audiences.join(", ")
        ),
    );
    if config.required_claims.is_empty() {
        checks.skip("claims", format!("{JWT_REQUIRED_CLAIMS} is not set"));
    } else {
        let wanted: Vec<String> = config
            .required_claims
            .iter()
            .map(|claim| {
                let values: Vec<String> = claim.values.iter().map(Value::to_string).collect();
                format!(
                    "{} {} (has {})",
                    claim.name,
                    values.join("|"),
                    match verified.get(&claim.name) {
                        Some(value) => value.to_string(),
                        None => "none".to_owned(),
                    }
                )
            })
            .collect();
        checks.record(
            "claims",
            claims::check_required_claims(verified, &config.required_claims),
            format!("required: {}", wanted.join("; ")),
        );
    }
    let claim = &config.principal_id_claim;
    checks.record(
        "principal",
        claims::principal_id(verified, claim).map(drop),
        format!(
            "{PRINCIPAL_ID_CLAIM} {claim}: {}",
            claim_text(verified, claim)
        ),
    );
    match &config.allowed_origins {
        Some(origins) => {
            let sent: Vec<&str> = event
                .multi_value_headers
                .origin
                .values
                .iter()
                .chain(&event.headers.origin.values)
                .map(String::as_str)
                .collect();
            let result = if origin_allowed(event, origins) {
                Ok(())
            } else {
                Err(Refusal::OriginNotAllowed)
            };
            checks.record(
                "origin",
                result,
                format!(
                    "Origin [{}] against {ALLOWED_ORIGINS} ({})",
                    sent.join(", "),
                    origins.join(", ")
                ),
            );
        }
        None => checks.skip("origin", format!("{ALLOWED_ORIGINS} is not set")),
    }
    match &config.required_scopes {
        Some(required) => checks.record(
            "scope",
            claims::check_scopes(verified, config),
            format!(
                "granted [{}] against {JWT_REQUIRED_SCOPES} ({}, {} of them)",
                claims::granted_scopes(verified, &config.scope_claims).join(" "),
                required.scopes.join(" "),
                required.mode.name()
            ),
        ),
        None => checks.skip("scope", format!("{JWT_REQUIRED_SCOPES} is not set")),
    }
    match &config.authorized_apis {
        None => checks.skip(
            "api",
            format!("{AUTHORIZED_APIS} is not set: every API using this authorizer is allowed"),
        ),
        Some(patterns) => {
            let matched = patterns.iter().find(|pattern| pattern.matches(method_arn));
            let (result, detail) = match matched {
                Some(pattern) => (Ok(()), format!("{method_arn} matches {}", pattern.as_str())),
                None => {
                    let patterns: Vec<&str> = patterns.iter().map(|p| p.as_str()).collect();
                    (
                        Err(Refusal::ApiNotAuthorized),
                        format!(
                            "{method_arn} matches none of {AUTHORIZED_APIS} ({})",
                            patterns.join(", ")
                        ),
                    )
                }
            };
            checks.record("api", result, detail);
        }
    }
}

/// The variable that names the accepted issuers.
fn issuer_variable(config: &Config) -> &'static str {
    if config.issuers_json.is_some() {
        JWT_ISSUERS
    } else {
        JWT_ISSUER
    }
}

fn issuer_names(issuer: &Issuer) -> String {
    issuer
        .names
        .as_ref()
        .map_or_else(|| "any issuer".to_owned(), |names| names.join(", "))
}

/// A time claim as an RFC 3339 date with its distance from `now`.
fn time_detail(claims: &Map<String, Value>, name: &str, now: u64, leeway: u64) -> String {
    let Some(value) = claims.get(name) else {
        return format!("no {name}");
    };
    let Some(seconds) = value.as_f64().filter(|seconds| *seconds >= 0.0) else {
        return format!("{name} is {value}, not a NumericDate");
    };
    let at = seconds as u64;
    let distance = if at >= now {
        format!("in {}", duration_text(at - now))
    } else {
        format!("{} ago", duration_text(now - at))
    };
    format!(
        "{name} {} ({distance}; leeway {leeway} s)",
        UtcDateTime::from_unix(at).rfc3339()
    )
}

/// `2 h 5 min`, `40 s`: the two largest units.
fn duration_text(seconds: u64) -> String {
    let units = [(86_400, "d"), (3600, "h"), (60, "min"), (1, "s")];
    let parts: Vec<String> = units
        .iter()
        .scan(seconds, |left, &(size, unit)| {
            let count = *left / size;
            *left %= size;
            Some((count, unit))
        })
        .skip_while(|(count, _)| *count == 0)
        .take(2)
        .filter(|(count, _)| *count > 0)
        .map(|(count, unit)| format!("{count} {unit}"))
        .collect();
    if parts.is_empty() {
        "0 s".to_owned()
    } else {
        parts.join(" ")
    }
}

fn claim_text(claims: &Map<String, Value>, name: &str) -> String {
    match claims.get(name) {
        Some(value) => format!("{name} {value}"),
        None => format!("no {name}"),
    }
}

fn header_member(header: &Option<Value>, name: &str) -> String {
    match header.as_ref().and_then(|header| header.get(name)) {
        Some(value) => value.to_string(),
        None => format!("no {name}"),
    }
}

/// A base64url JSON segment, leniently decoded, only to be shown.
fn decode_for_display(segment: &str) -> Option<Value> {
    let bytes = URL_SAFE_NO_PAD.decode(segment.trim_end_matches('=')).ok()?;
    serde_json::from_slice(&bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(duration_text(0), "0 s");
        assert_eq!(duration_text(40), "40 s");
        assert_eq!(duration_text(3600 * 2 + 5 * 60 + 7), "2 h 5 min");
        assert_eq!(duration_text(86_400 + 30), "1 d");
        assert_eq!(duration_text(86_400 * 3 + 3600), "3 d 1 h");
    }

    #[test]
    fn time_details_say_how_far_from_now() {
        let claims: Map<String, Value> = serde_json::from_value(
            serde_json::json!({"exp": 1_700_000_100, "iat": 1_699_996_400, "nbf": "soon"}),
        )
        .unwrap();
        let now = 1_700_000_000;
        assert_eq!(
            time_detail(&claims, "exp", now, 60),
            "exp 2023-11-14T22:15:00Z (in 1 min 40 s; leeway 60 s)"
        );
        assert_eq!(
            time_detail(&claims, "iat", now, 0),
            "iat 2023-11-14T21:13:20Z (1 h ago; leeway 0 s)"
        );
        assert_eq!(
            time_detail(&claims, "nbf", now, 0),
            "nbf is \"soon\", not a NumericDate"
        );
        assert_eq!(time_detail(&claims, "auth_time", now, 0), "no auth_time");
    }
}
