//! Claim checks after the signature verified: time, issuer, audience,
//! required claims and the principal, as one ordered list of checks
//! ([`claim_checks`]) with the settings they read ([`ClaimRules`]).
//!
//! josekit's payload validator treats `exp` as optional, passes a missing
//! `aud` and has no leeway, so every rule is enforced here.

use serde_json::{Map, Value};

use crate::checks::{Check, Use};
use crate::date::UtcDateTime;
use crate::error::Refusal;
use crate::issuers::{Issuer, JWT_AUTHORIZED_AUDIENCES, JWT_ISSUER, JWT_ISSUERS};
use crate::provider::{parse_required_claims, Preset, RequiredClaim, KEYCLOAK_ACCOUNT_AUDIENCE};
use crate::settings::{ConfigError, Env};

/// Whether `exp` is required and checked.
pub const JWT_VERIFY_EXPIRATION: &str = "JWT_VERIFY_EXPIRATION";
/// Allowed clock skew, in seconds.
pub const JWT_LEEWAY_SECONDS: &str = "JWT_LEEWAY_SECONDS";
/// The least lifetime, in seconds, a token must have left.
pub const JWT_MIN_REMAINING_SECONDS: &str = "JWT_MIN_REMAINING_SECONDS";
/// The greatest age (`iat` to now), in seconds, a token may have.
pub const JWT_MAX_AGE_SECONDS: &str = "JWT_MAX_AGE_SECONDS";
/// A JSON object of claims the token must carry, each with its accepted value(s).
pub const JWT_REQUIRED_CLAIMS: &str = "JWT_REQUIRED_CLAIMS";
/// The claim used as `principalId`.
pub const PRINCIPAL_ID_CLAIM: &str = "PRINCIPAL_ID_CLAIM";
/// Set by a provider preset, not a variable: Firebase's `auth_time` check.
const JWT_PROVIDER: &str = "JWT_PROVIDER";

/// Later than any real token lifetime (9999-12-31): larger values are refused
/// as nonsense rather than compared.
const MAX_NUMERIC_DATE: f64 = 253_402_300_799.0;

/// The settings of the claim checks.
#[derive(Debug, Clone)]
pub struct ClaimRules {
    /// Whether `exp` is required and must lie in the future.
    pub verify_expiration: bool,
    /// Clock skew tolerated on `exp`, `nbf`, `iat` and `auth_time`, in seconds.
    pub leeway_seconds: u64,
    /// The least lifetime a token must have left, in seconds (0: no limit).
    pub min_remaining_seconds: u64,
    /// The greatest age of a token, from `iat`, in seconds.
    pub max_age_seconds: Option<u64>,
    /// Whether `auth_time` must not be in the future (a preset's rule).
    pub check_auth_time: bool,
    /// Claims besides `aud` that may name an accepted audience (a preset's).
    pub audience_claims: Vec<String>,
    /// `JWT_REQUIRED_CLAIMS`, as given.
    pub required_claims_json: Option<String>,
    /// Claims the token must carry: the preset's, overridden by `JWT_REQUIRED_CLAIMS`.
    pub required_claims: Vec<RequiredClaim>,
    /// The claim whose value becomes `principalId`.
    pub principal_id_claim: String,
}

impl ClaimRules {
    /// Reads the claim settings, on top of the provider preset's.
    pub fn read(env: &Env, preset: &Preset) -> Result<Self, ConfigError> {
        let required_claims_json = env.text(JWT_REQUIRED_CLAIMS);
        let mut required_claims = preset.required_claims.clone();
        if let Some(json) = &required_claims_json {
            for claim in parse_required_claims(json)
                .map_err(|reason| ConfigError::new(JWT_REQUIRED_CLAIMS, reason))?
            {
                required_claims.retain(|preset| preset.name != claim.name);
                required_claims.push(claim);
            }
        }
        Ok(ClaimRules {
            verify_expiration: env.flag(JWT_VERIFY_EXPIRATION)?,
            leeway_seconds: env.number(JWT_LEEWAY_SECONDS, 60, 0..=3600)?,
            min_remaining_seconds: env.number(JWT_MIN_REMAINING_SECONDS, 0, 0..=86_400)?,
            max_age_seconds: env.optional_number(JWT_MAX_AGE_SECONDS, 1..=31_536_000)?,
            check_auth_time: preset.check_auth_time,
            audience_claims: preset
                .audience_claims
                .iter()
                .map(|claim| (*claim).to_owned())
                .collect(),
            required_claims_json,
            required_claims,
            principal_id_claim: env
                .text(PRINCIPAL_ID_CLAIM)
                .unwrap_or_else(|| "sub".to_owned()),
        })
    }
}

impl ClaimRules {
    /// The verdict of every claim check on verified `claims` of `issuer`
    /// at `now` (seconds since the epoch): the first failure, in the order
    /// of [`claim_checks`].
    pub fn check(
        &self,
        claims: &Map<String, Value>,
        issuer: &Issuer,
        now: u64,
    ) -> Result<(), Refusal> {
        let on = Claims {
            claims,
            rules: self,
            issuer,
            issuers_listed: false,
            now,
        };
        crate::checks::run(&claim_checks(), &on, &mut ())
    }
}

impl ClaimRules {
    /// The variables these rules read.
    pub const VARIABLES: [&'static str; 6] = [
        JWT_VERIFY_EXPIRATION,
        JWT_LEEWAY_SECONDS,
        JWT_MIN_REMAINING_SECONDS,
        JWT_MAX_AGE_SECONDS,
        JWT_REQUIRED_CLAIMS,
        PRINCIPAL_ID_CLAIM,
    ];

    /// Each variable with the value in effect, in the order of [`Self::VARIABLES`].
    pub fn settings(&self) -> [(&'static str, String); 6] {
        [
            (JWT_VERIFY_EXPIRATION, self.verify_expiration.to_string()),
            (JWT_LEEWAY_SECONDS, self.leeway_seconds.to_string()),
            (
                JWT_MIN_REMAINING_SECONDS,
                self.min_remaining_seconds.to_string(),
            ),
            (
                JWT_MAX_AGE_SECONDS,
                self.max_age_seconds
                    .map(|age| age.to_string())
                    .unwrap_or_default(),
            ),
            (
                JWT_REQUIRED_CLAIMS,
                self.required_claims_json.clone().unwrap_or_default(),
            ),
            (PRINCIPAL_ID_CLAIM, self.principal_id_claim.clone()),
        ]
    }
}

/// What the claim checks look at: verified claims, their rules, the trusted
/// issuer the token was verified for, and the time.
pub struct Claims<'a> {
    /// The verified claims.
    pub claims: &'a Map<String, Value>,
    /// The rules in effect.
    pub rules: &'a ClaimRules,
    /// The trusted issuer whose keys verified the token.
    pub issuer: &'a Issuer,
    /// Whether the issuers come from `JWT_ISSUERS` (for the details).
    pub issuers_listed: bool,
    /// Seconds since the epoch.
    pub now: u64,
}

impl Claims<'_> {
    fn date(&self, name: &str) -> Result<Option<f64>, Refusal> {
        numeric_date(self.claims, name)
    }

    fn leeway(&self) -> f64 {
        self.rules.leeway_seconds as f64
    }

    fn now(&self) -> f64 {
        self.now as f64
    }

    fn time_detail(&self, name: &str, leeway: u64) -> String {
        time_detail(self.claims, name, self.now, leeway)
    }

    fn issuer_variable(&self) -> &'static str {
        if self.issuers_listed {
            JWT_ISSUERS
        } else {
            JWT_ISSUER
        }
    }
}

/// The claim checks, in the order a `$connect` makes them.
pub fn claim_checks<'a>() -> [Check<Claims<'a>>; 10] {
    [
        Check {
            name: "exp",
            setting: JWT_VERIFY_EXPIRATION,
            reasons: &[
                Refusal::MissingExpiry,
                Refusal::InvalidTimeClaim,
                Refusal::Expired,
            ],
            applies: |on| use_if(on.rules.verify_expiration),
            verdict: |on| {
                let exp = on.date("exp")?.ok_or(Refusal::MissingExpiry)?;
                if on.now() >= exp + on.leeway() {
                    return Err(Refusal::Expired);
                }
                Ok(())
            },
            detail: |on| {
                let detail = on.time_detail("exp", on.rules.leeway_seconds);
                if on.rules.verify_expiration {
                    detail
                } else {
                    format!("{JWT_VERIFY_EXPIRATION}=false; {detail}")
                }
            },
        },
        Check {
            name: "lifetime",
            setting: JWT_MIN_REMAINING_SECONDS,
            reasons: &[
                Refusal::MissingExpiry,
                Refusal::InvalidTimeClaim,
                Refusal::ExpiresTooSoon,
            ],
            applies: |on| use_if(on.rules.min_remaining_seconds > 0),
            // No leeway: the limit is about the future.
            verdict: |on| {
                let exp = on.date("exp")?.ok_or(Refusal::MissingExpiry)?;
                if exp < on.now() + on.rules.min_remaining_seconds as f64 {
                    return Err(Refusal::ExpiresTooSoon);
                }
                Ok(())
            },
            detail: |on| match on.rules.min_remaining_seconds {
                0 => format!("{JWT_MIN_REMAINING_SECONDS} is not set"),
                least => format!(
                    "{}; {JWT_MIN_REMAINING_SECONDS}={least}",
                    on.time_detail("exp", 0)
                ),
            },
        },
        Check {
            name: "nbf",
            setting: JWT_LEEWAY_SECONDS,
            reasons: &[Refusal::InvalidTimeClaim, Refusal::NotYetValid],
            applies: |_| Use::Check,
            verdict: |on| match on.date("nbf")? {
                Some(nbf) if nbf > on.now() + on.leeway() => Err(Refusal::NotYetValid),
                _ => Ok(()),
            },
            detail: |on| on.time_detail("nbf", on.rules.leeway_seconds),
        },
        Check {
            name: "iat",
            setting: JWT_LEEWAY_SECONDS,
            reasons: &[Refusal::InvalidTimeClaim, Refusal::IssuedInFuture],
            applies: |_| Use::Check,
            verdict: |on| match on.date("iat")? {
                Some(iat) if iat > on.now() + on.leeway() => Err(Refusal::IssuedInFuture),
                _ => Ok(()),
            },
            detail: |on| on.time_detail("iat", on.rules.leeway_seconds),
        },
        Check {
            name: "age",
            setting: JWT_MAX_AGE_SECONDS,
            reasons: &[
                Refusal::MissingIssuedAt,
                Refusal::InvalidTimeClaim,
                Refusal::TokenTooOld,
            ],
            applies: |on| use_if(on.rules.max_age_seconds.is_some()),
            verdict: |on| {
                let max_age = on.rules.max_age_seconds.unwrap_or(u64::MAX) as f64;
                let iat = on.date("iat")?.ok_or(Refusal::MissingIssuedAt)?;
                if on.now() > iat + max_age + on.leeway() {
                    return Err(Refusal::TokenTooOld);
                }
                Ok(())
            },
            detail: |on| match on.rules.max_age_seconds {
                None => format!("{JWT_MAX_AGE_SECONDS} is not set"),
                Some(max_age) => format!(
                    "{}; {JWT_MAX_AGE_SECONDS}={max_age}",
                    on.time_detail("iat", on.rules.leeway_seconds)
                ),
            },
        },
        Check {
            name: "auth_time",
            setting: JWT_PROVIDER,
            reasons: &[Refusal::InvalidTimeClaim, Refusal::AuthTimeInFuture],
            // Only a preset (Firebase) asks for it; without one it is no check at all.
            applies: |on| {
                if on.rules.check_auth_time {
                    Use::Check
                } else {
                    Use::Omit
                }
            },
            verdict: |on| match on.date("auth_time")? {
                Some(at) if at > on.now() + on.leeway() => Err(Refusal::AuthTimeInFuture),
                _ => Ok(()),
            },
            detail: |on| on.time_detail("auth_time", on.rules.leeway_seconds),
        },
        Check {
            name: "iss",
            setting: JWT_ISSUER,
            reasons: &[Refusal::WrongIssuer],
            applies: |on| use_if(on.issuer.names.is_some()),
            verdict: |on| check_issuer(on.claims, on.issuer),
            detail: |on| {
                let iss = claim_text(on.claims, "iss");
                match &on.issuer.names {
                    Some(names) => format!(
                        "{iss} against {} ({})",
                        on.issuer_variable(),
                        names.join(", ")
                    ),
                    None => format!("{JWT_ISSUER} is not set; the token has {iss}"),
                }
            },
        },
        Check {
            name: "aud",
            setting: JWT_AUTHORIZED_AUDIENCES,
            reasons: &[Refusal::WrongAudience],
            applies: |_| Use::Check,
            verdict: |on| {
                check_audience(on.claims, &on.issuer.audiences, &on.rules.audience_claims)
            },
            detail: |on| {
                let audience = match on.claims.get("aud") {
                    None => format!("no aud; client_id {}", claim_text(on.claims, "client_id")),
                    Some(aud) => format!("aud {aud}"),
                };
                let variable = if on.issuers_listed {
                    JWT_ISSUERS
                } else {
                    JWT_AUTHORIZED_AUDIENCES
                };
                format!(
                    "{audience} against {variable} ({})",
                    on.issuer.audiences.join(", ")
                )
            },
        },
        Check {
            name: "claims",
            setting: JWT_REQUIRED_CLAIMS,
            reasons: &[Refusal::ClaimMismatch],
            applies: |on| use_if(!on.rules.required_claims.is_empty()),
            verdict: |on| check_required_claims(on.claims, &on.rules.required_claims),
            detail: |on| {
                if on.rules.required_claims.is_empty() {
                    return format!("{JWT_REQUIRED_CLAIMS} is not set");
                }
                let wanted: Vec<String> = on
                    .rules
                    .required_claims
                    .iter()
                    .map(|claim| {
                        let values: Vec<String> =
                            claim.values.iter().map(Value::to_string).collect();
                        format!(
                            "{} {} (has {})",
                            claim.name,
                            values.join("|"),
                            match on.claims.get(&claim.name) {
                                Some(value) => value.to_string(),
                                None => "none".to_owned(),
                            }
                        )
                    })
                    .collect();
                format!("required: {}", wanted.join("; "))
            },
        },
        Check {
            name: "principal",
            setting: PRINCIPAL_ID_CLAIM,
            reasons: &[Refusal::MissingPrincipal],
            applies: |_| Use::Check,
            verdict: |on| principal_id(on.claims, &on.rules.principal_id_claim).map(drop),
            detail: |on| {
                let claim = &on.rules.principal_id_claim;
                format!(
                    "{PRINCIPAL_ID_CLAIM} {claim}: {}",
                    claim_text(on.claims, claim)
                )
            },
        },
    ]
}

/// A check that runs when its setting turns it on, and shows as skipped otherwise.
fn use_if(on: bool) -> Use {
    if on {
        Use::Check
    } else {
        Use::Skip
    }
}

/// Every required claim must be present with one of its accepted values.
pub fn check_required_claims(
    claims: &Map<String, Value>,
    required: &[RequiredClaim],
) -> Result<(), Refusal> {
    let satisfied = required.iter().all(|claim| {
        claims
            .get(&claim.name)
            .is_some_and(|value| claim.values.contains(value))
    });
    if satisfied {
        Ok(())
    } else {
        Err(Refusal::ClaimMismatch)
    }
}

/// `iss` must be one of the issuer's names, when it has names.
pub fn check_issuer(claims: &Map<String, Value>, issuer: &Issuer) -> Result<(), Refusal> {
    let iss = match claims.get("iss") {
        Some(Value::String(iss)) => Some(iss.as_str()),
        None => None,
        Some(_) if issuer.names.is_none() => None,
        Some(_) => return Err(Refusal::WrongIssuer),
    };
    if issuer.accepts(iss) {
        Ok(())
    } else {
        Err(Refusal::WrongIssuer)
    }
}

/// A NumericDate: a JSON number, finite, not negative, not absurdly large.
fn numeric_date(claims: &Map<String, Value>, name: &str) -> Result<Option<f64>, Refusal> {
    match claims.get(name) {
        None => Ok(None),
        Some(Value::Number(number)) => match number.as_f64() {
            Some(value) if (0.0..=MAX_NUMERIC_DATE).contains(&value) => Ok(Some(value)),
            _ => Err(Refusal::InvalidTimeClaim),
        },
        Some(_) => Err(Refusal::InvalidTimeClaim),
    }
}

/// `aud` (a string or an array of strings) must name an accepted audience;
/// a token without `aud` must have an accepted `client_id` instead (Cognito
/// access tokens carry the app client there). A preset may name other claims
/// that count too (Keycloak's `azp`), but only while `aud` names no other
/// API: see [`aud_names_another_api`].
pub fn check_audience(
    claims: &Map<String, Value>,
    accepted: &[String],
    also: &[String],
) -> Result<(), Refusal> {
    let is_accepted = |value: &Value| {
        value
            .as_str()
            .is_some_and(|aud| accepted.iter().any(|accepted| accepted == aud))
    };
    let matched = match claims.get("aud") {
        Some(aud @ Value::String(_)) => is_accepted(aud),
        // RFC 7519 §4.1.3: an array of strings. Any other member makes the
        // claim malformed, whatever else it names (PyJWT and aws-jwt-verify
        // refuse it too).
        Some(Value::Array(values)) => {
            values.iter().all(Value::is_string) && values.iter().any(is_accepted)
        }
        Some(_) => false,
        None => claims.get("client_id").is_some_and(is_accepted),
    } || (!aud_names_another_api(claims)
        && also
            .iter()
            .any(|claim| claims.get(claim).is_some_and(is_accepted)));
    if matched {
        Ok(())
    } else {
        Err(Refusal::WrongAudience)
    }
}

/// Whether `aud` names an API other than Keycloak's account console
/// (`account`, which Keycloak adds to the tokens of every client whose users
/// may manage their account). A token whose `aud` names another API was
/// issued for that API, whichever client (`azp`) asked for it, so `azp` must
/// not make it ours.
fn aud_names_another_api(claims: &Map<String, Value>) -> bool {
    let not_account = |value: &Value| value != KEYCLOAK_ACCOUNT_AUDIENCE;
    match claims.get("aud") {
        None => false,
        Some(Value::Array(values)) => values.iter().any(not_account),
        Some(aud) => not_account(aud),
    }
}

/// The `principalId`: the configured claim, a non-empty string. A number is
/// refused rather than written out: RFC 7519 §4.1.2 makes `sub` a string,
/// and `123` would become the same principal as the string `"123"` (the
/// same holds for any other claim configured as the principal).
pub fn principal_id<'a>(claims: &'a Map<String, Value>, claim: &str) -> Result<&'a str, Refusal> {
    match claims.get(claim) {
        Some(Value::String(value)) if !value.is_empty() => Ok(value),
        _ => Err(Refusal::MissingPrincipal),
    }
}

/// A claim as `name value`, or `no name`.
pub fn claim_text(claims: &Map<String, Value>, name: &str) -> String {
    match claims.get(name) {
        Some(value) => format!("{name} {value}"),
        None => format!("no {name}"),
    }
}

/// A time claim as an RFC 3339 date with its distance from `now`.
pub fn time_detail(claims: &Map<String, Value>, name: &str, now: u64, leeway: u64) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use serde_json::json;

    const NOW: u64 = 1_700_000_000;

    fn config(vars: &[(&str, &str)]) -> Config {
        let mut all = vec![
            ("JWT_ISSUER_JWKS_URI", "https://idp.example.com/jwks"),
            ("JWT_AUTHORIZED_AUDIENCES", "api,other"),
        ];
        all.extend_from_slice(vars);
        Config::from_lookup(|name| {
            all.iter()
                .rev()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| (*value).to_owned())
        })
        .unwrap()
    }

    fn claims(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => unreachable!(),
        }
    }

    /// The claim checks' verdict. These cases are about the other claims:
    /// a `sub` is added where they have none, for the principal check.
    fn check_with(claims: &Map<String, Value>, config: &Config) -> Result<(), Refusal> {
        let mut claims = claims.clone();
        claims.entry("sub").or_insert_with(|| json!("user-1"));
        config.claims.check(&claims, &config.issuers[0], NOW)
    }

    fn check(value: Value) -> Result<(), Refusal> {
        check_with(&claims(value), &config(&[]))
    }

    #[test]
    fn valid_claims() {
        assert_eq!(
            check(json!({"aud": "api", "exp": NOW + 60, "iat": NOW, "nbf": NOW})),
            Ok(())
        );
        assert_eq!(
            check(json!({"aud": ["x", "other"], "exp": (NOW + 60) as f64 + 0.5})),
            Ok(())
        );
        assert_eq!(check(json!({"client_id": "api", "exp": NOW + 60})), Ok(()));
    }

    #[test]
    fn expiry_with_leeway() {
        assert_eq!(check(json!({"aud": "api", "exp": NOW - 59})), Ok(()));
        assert_eq!(
            check(json!({"aud": "api", "exp": NOW - 60})),
            Err(Refusal::Expired)
        );
        assert_eq!(check(json!({"aud": "api"})), Err(Refusal::MissingExpiry));
        let no_leeway = config(&[("JWT_LEEWAY_SECONDS", "0")]);
        assert_eq!(
            check_with(&claims(json!({"aud": "api", "exp": NOW})), &no_leeway),
            Err(Refusal::Expired)
        );
        assert_eq!(
            check_with(&claims(json!({"aud": "api", "exp": NOW + 1})), &no_leeway),
            Ok(())
        );
    }

    #[test]
    fn expiry_check_can_be_disabled() {
        let lax = config(&[("JWT_VERIFY_EXPIRATION", "false")]);
        assert_eq!(check_with(&claims(json!({"aud": "api"})), &lax), Ok(()));
        assert_eq!(
            check_with(&claims(json!({"aud": "api", "exp": 1})), &lax),
            Ok(())
        );
    }

    #[test]
    fn time_claims_must_be_sane_numbers() {
        for exp in [
            json!("9999999999"),
            json!(-1),
            json!(1e19),
            json!(null),
            json!(true),
            json!([NOW + 60]),
        ] {
            assert_eq!(
                check(json!({"aud": "api", "exp": exp})),
                Err(Refusal::InvalidTimeClaim),
                "{exp}"
            );
        }
        assert_eq!(
            check(json!({"aud": "api", "exp": NOW + 60, "nbf": "0"})),
            Err(Refusal::InvalidTimeClaim)
        );
        assert_eq!(
            check(json!({"aud": "api", "exp": NOW + 60, "iat": -5})),
            Err(Refusal::InvalidTimeClaim)
        );
    }

    #[test]
    fn not_before_and_issued_at_with_leeway() {
        assert_eq!(
            check(json!({"aud": "api", "exp": NOW + 600, "nbf": NOW + 60})),
            Ok(())
        );
        assert_eq!(
            check(json!({"aud": "api", "exp": NOW + 600, "nbf": NOW + 61})),
            Err(Refusal::NotYetValid)
        );
        assert_eq!(
            check(json!({"aud": "api", "exp": NOW + 600, "iat": NOW + 60})),
            Ok(())
        );
        assert_eq!(
            check(json!({"aud": "api", "exp": NOW + 600, "iat": NOW + 61})),
            Err(Refusal::IssuedInFuture)
        );
    }

    #[test]
    fn audience_rules() {
        let exp = NOW + 60;
        for aud in [
            json!("nope"),
            json!(["a", "b"]),
            json!([]),
            json!(7),
            json!([["api"]]),
            json!(["api", 1]),
            json!(["api", null]),
            json!([{}, "api"]),
        ] {
            assert_eq!(
                check(json!({"aud": aud, "exp": exp})),
                Err(Refusal::WrongAudience),
                "{aud}"
            );
        }
        assert_eq!(check(json!({"exp": exp})), Err(Refusal::WrongAudience));
        assert_eq!(
            check(json!({"client_id": "nope", "exp": exp})),
            Err(Refusal::WrongAudience)
        );
        // With an aud present, client_id is not a second chance.
        assert_eq!(
            check(json!({"aud": "nope", "client_id": "api", "exp": exp})),
            Err(Refusal::WrongAudience)
        );
    }

    #[test]
    fn issuer_rules() {
        let strict = config(&[("JWT_ISSUER", "https://a,https://b")]);
        let exp = NOW + 60;
        assert_eq!(
            check_with(
                &claims(json!({"aud": "api", "exp": exp, "iss": "https://b"})),
                &strict
            ),
            Ok(())
        );
        for iss in [
            json!("https://c"),
            json!("https://a/"),
            json!(null),
            json!(["https://a"]),
        ] {
            assert_eq!(
                check_with(
                    &claims(json!({"aud": "api", "exp": exp, "iss": iss})),
                    &strict
                ),
                Err(Refusal::WrongIssuer)
            );
        }
        assert_eq!(
            check_with(&claims(json!({"aud": "api", "exp": exp})), &strict),
            Err(Refusal::WrongIssuer)
        );
    }

    #[test]
    fn principal() {
        let verified = claims(json!({
            "sub": "user-1", "iss": "https://a", "aud": ["api", "other"], "scope": "read write",
            "client_id": "c1", "exp": 1700000600, "groups": ["x"], "nested": {"a": 1}
        }));
        assert_eq!(principal_id(&verified, "sub"), Ok("user-1"));
        assert_eq!(principal_id(&verified, "client_id"), Ok("c1"));
        assert_eq!(
            principal_id(&verified, "email"),
            Err(Refusal::MissingPrincipal)
        );
        for sub in [json!(""), json!(123), json!(1.5), json!(true), json!({})] {
            assert_eq!(
                principal_id(&claims(json!({ "sub": sub })), "sub"),
                Err(Refusal::MissingPrincipal),
                "{sub}"
            );
        }
    }

    #[test]
    fn azp_counts_only_while_aud_names_no_other_api() {
        let accepted = ["chat-frontend".to_owned()];
        let azp = ["azp".to_owned()];
        let check = |value: Value| check_audience(&claims(value), &accepted, &azp);
        for aud in [json!("account"), json!(["account"]), json!([])] {
            assert_eq!(
                check(json!({"aud": aud, "azp": "chat-frontend"})),
                Ok(()),
                "{aud}"
            );
        }
        assert_eq!(check(json!({"azp": "chat-frontend"})), Ok(()));
        for aud in [
            json!("billing-api"),
            json!(["account", "billing-api"]),
            json!(7),
        ] {
            assert_eq!(
                check(json!({"aud": aud, "azp": "chat-frontend"})),
                Err(Refusal::WrongAudience),
                "{aud}"
            );
        }
    }

    #[test]
    fn remaining_lifetime_and_maximum_age() {
        let limits = config(&[
            ("JWT_MIN_REMAINING_SECONDS", "300"),
            ("JWT_MAX_AGE_SECONDS", "3600"),
            ("JWT_LEEWAY_SECONDS", "0"),
        ]);
        let check = |value| check_with(&claims(value), &limits);
        assert_eq!(
            check(json!({"aud": "api", "exp": NOW + 300, "iat": NOW - 3600})),
            Ok(())
        );
        assert_eq!(
            check(json!({"aud": "api", "exp": NOW + 299, "iat": NOW})),
            Err(Refusal::ExpiresTooSoon)
        );
        assert_eq!(
            check(json!({"aud": "api", "exp": NOW + 600, "iat": NOW - 3601})),
            Err(Refusal::TokenTooOld)
        );
        assert_eq!(
            check(json!({"aud": "api", "exp": NOW + 600})),
            Err(Refusal::MissingIssuedAt)
        );
        let lax = config(&[
            ("JWT_MIN_REMAINING_SECONDS", "60"),
            ("JWT_VERIFY_EXPIRATION", "false"),
        ]);
        assert_eq!(
            check_with(&claims(json!({"aud": "api"})), &lax),
            Err(Refusal::MissingExpiry),
            "a minimum lifetime needs an exp even when expiry is not verified"
        );
    }
}
