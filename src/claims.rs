//! Claim checks after the signature verified: time, issuer, audience, and
//! what the routes receive in the authorizer context.
//!
//! josekit's payload validator treats `exp` as optional, passes a missing
//! `aud` and has no leeway, so every rule is enforced here.

use serde_json::{Map, Value};

use crate::config::{Config, ScopeMode};
use crate::error::Refusal;
use crate::issuers::Issuer;
use crate::provider::{RequiredClaim, KEYCLOAK_ACCOUNT_AUDIENCE};

/// Later than any real token lifetime (9999-12-31): larger values are refused
/// as nonsense rather than compared.
const MAX_NUMERIC_DATE: f64 = 253_402_300_799.0;

/// Checks `exp`, the remaining lifetime, `nbf`, `iat`, the token's age,
/// `iss` and the audience of verified claims at `now` (seconds since the
/// epoch), in that order.
/// `issuer` is the trusted issuer the token was verified for.
pub fn check_claims(
    claims: &Map<String, Value>,
    config: &Config,
    issuer: &Issuer,
    now: u64,
) -> Result<(), Refusal> {
    check_expiry(claims, config, now)?;
    check_remaining_lifetime(claims, config, now)?;
    check_not_before(claims, config, now)?;
    check_issued_at(claims, config, now)?;
    check_max_age(claims, config, now)?;
    check_auth_time(claims, config, now)?;
    check_issuer(claims, issuer)?;
    check_audience(claims, &issuer.audiences, &config.audience_claims)?;
    check_required_claims(claims, &config.required_claims)
}

/// With a preset that asks for it (Firebase), `auth_time`, when present,
/// must not be in the future (within the leeway).
pub fn check_auth_time(
    claims: &Map<String, Value>,
    config: &Config,
    now: u64,
) -> Result<(), Refusal> {
    if !config.check_auth_time {
        return Ok(());
    }
    match numeric_date(claims, "auth_time")? {
        Some(at) if at > now as f64 + config.leeway_seconds as f64 => {
            Err(Refusal::AuthTimeInFuture)
        }
        _ => Ok(()),
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

/// `exp` must be present and later than `now` (within the leeway), unless
/// expiry verification is off.
pub fn check_expiry(claims: &Map<String, Value>, config: &Config, now: u64) -> Result<(), Refusal> {
    if !config.verify_expiration {
        return Ok(());
    }
    let exp = numeric_date(claims, "exp")?.ok_or(Refusal::MissingExpiry)?;
    if now as f64 >= exp + config.leeway_seconds as f64 {
        return Err(Refusal::Expired);
    }
    Ok(())
}

/// With `JWT_MIN_REMAINING_SECONDS`, `exp` must be present and at least that
/// far from `now` (no leeway: the limit is about the future).
pub fn check_remaining_lifetime(
    claims: &Map<String, Value>,
    config: &Config,
    now: u64,
) -> Result<(), Refusal> {
    if config.min_remaining_seconds == 0 {
        return Ok(());
    }
    let exp = numeric_date(claims, "exp")?.ok_or(Refusal::MissingExpiry)?;
    if exp < now as f64 + config.min_remaining_seconds as f64 {
        return Err(Refusal::ExpiresTooSoon);
    }
    Ok(())
}

/// With `JWT_MAX_AGE_SECONDS`, `iat` must be present and no further in the
/// past than that (within the leeway).
pub fn check_max_age(
    claims: &Map<String, Value>,
    config: &Config,
    now: u64,
) -> Result<(), Refusal> {
    let Some(max_age) = config.max_age_seconds else {
        return Ok(());
    };
    let iat = numeric_date(claims, "iat")?.ok_or(Refusal::MissingIssuedAt)?;
    if (now as f64) > iat + max_age as f64 + config.leeway_seconds as f64 {
        return Err(Refusal::TokenTooOld);
    }
    Ok(())
}

/// `nbf`, when present, must not be later than `now` (within the leeway).
pub fn check_not_before(
    claims: &Map<String, Value>,
    config: &Config,
    now: u64,
) -> Result<(), Refusal> {
    match numeric_date(claims, "nbf")? {
        Some(nbf) if nbf > now as f64 + config.leeway_seconds as f64 => Err(Refusal::NotYetValid),
        _ => Ok(()),
    }
}

/// `iat`, when present, must not be later than `now` (within the leeway).
pub fn check_issued_at(
    claims: &Map<String, Value>,
    config: &Config,
    now: u64,
) -> Result<(), Refusal> {
    match numeric_date(claims, "iat")? {
        Some(iat) if iat > now as f64 + config.leeway_seconds as f64 => {
            Err(Refusal::IssuedInFuture)
        }
        _ => Ok(()),
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
pub fn principal_id(claims: &Map<String, Value>, claim: &str) -> Result<String, Refusal> {
    match claims.get(claim) {
        Some(Value::String(value)) if !value.is_empty() => Ok(value.clone()),
        _ => Err(Refusal::MissingPrincipal),
    }
}

/// The scopes the token grants: the space-separated `scope`, and `scp` as
/// a space-separated string or an array of strings (Entra ID, Okta), plus
/// any other claim the provider uses (Auth0's `permissions`).
pub fn granted_scopes<'a>(claims: &'a Map<String, Value>, scope_claims: &[String]) -> Vec<&'a str> {
    let mut granted = Vec::new();
    for name in scope_claims {
        match claims.get(name) {
            Some(Value::String(list)) => granted.extend(list.split_ascii_whitespace()),
            Some(Value::Array(items)) => granted.extend(items.iter().filter_map(Value::as_str)),
            _ => {}
        }
    }
    granted
}

/// With `JWT_REQUIRED_SCOPES`, the token must grant any (or all, by the
/// mode) of them; a valid token without them is denied (403), not refused.
pub fn check_scopes(claims: &Map<String, Value>, config: &Config) -> Result<(), Refusal> {
    let Some(required) = &config.required_scopes else {
        return Ok(());
    };
    let granted = granted_scopes(claims, &config.scope_claims);
    let has = |scope: &String| granted.contains(&scope.as_str());
    let satisfied = match required.mode {
        ScopeMode::Any => required.scopes.iter().any(has),
        ScopeMode::All => required.scopes.iter().all(has),
    };
    if satisfied {
        Ok(())
    } else {
        Err(Refusal::MissingScope)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
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

    fn check_with(claims: &Map<String, Value>, config: &Config) -> Result<(), Refusal> {
        check_claims(claims, config, &config.issuers[0], NOW)
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
        assert_eq!(principal_id(&verified, "sub"), Ok("user-1".to_owned()));
        assert_eq!(principal_id(&verified, "client_id"), Ok("c1".to_owned()));
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

    #[test]
    fn scopes_from_scope_and_scp_any_or_all() {
        let any = config(&[("JWT_REQUIRED_SCOPES", "chat:write admin")]);
        let all = config(&[
            ("JWT_REQUIRED_SCOPES", "chat:write,chat:read"),
            ("JWT_REQUIRED_SCOPES_MODE", "all"),
        ]);
        let cases = [
            (
                json!({"scope": "openid chat:write"}),
                Ok(()),
                Err(Refusal::MissingScope),
            ),
            (json!({"scp": "chat:read chat:write"}), Ok(()), Ok(())),
            (json!({"scp": ["chat:write", "chat:read"]}), Ok(()), Ok(())),
            (
                json!({"scope": "chat:read", "scp": ["chat:write"]}),
                Ok(()),
                Ok(()),
            ),
            (
                json!({"scope": "chat:writer"}),
                Err(Refusal::MissingScope),
                Err(Refusal::MissingScope),
            ),
            (
                json!({"scope": ["chat:write"]}),
                Ok(()),
                Err(Refusal::MissingScope),
            ),
            (
                json!({}),
                Err(Refusal::MissingScope),
                Err(Refusal::MissingScope),
            ),
        ];
        for (value, with_any, with_all) in cases {
            assert_eq!(
                check_scopes(&claims(value.clone()), &any),
                with_any,
                "{value}"
            );
            assert_eq!(
                check_scopes(&claims(value.clone()), &all),
                with_all,
                "{value}"
            );
        }
        assert_eq!(check_scopes(&claims(json!({})), &config(&[])), Ok(()));
        assert_eq!(Refusal::MissingScope.outcome(), crate::error::Outcome::Deny);
    }
}
