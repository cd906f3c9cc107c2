//! The rules that turn a valid token away with a Deny policy (403): the
//! page's origin, the scopes the token grants (for every route, and for the
//! route at hand), and the APIs it may call. A token that passes every
//! check of [`crate::claims`] is genuine; these decide whether it has the
//! rights.

use serde_json::{Map, Value};

use crate::arn::ArnPattern;
use crate::checks::{Check, Use};
use crate::error::Refusal;
use crate::event::{ConnectEvent, Shape};
use crate::provider::Preset;
use crate::route_scopes::{RouteScopes, ROUTE_SCOPES};
use crate::settings::{ConfigError, Env};

/// Comma list of origins (`https://app.example.com`) browsers may connect from.
pub const ALLOWED_ORIGINS: &str = "ALLOWED_ORIGINS";
/// Scopes a token must grant (space or comma list).
pub const JWT_REQUIRED_SCOPES: &str = "JWT_REQUIRED_SCOPES";
/// `any` (one of the scopes suffices, the default) or `all`.
pub const JWT_REQUIRED_SCOPES_MODE: &str = "JWT_REQUIRED_SCOPES_MODE";
/// Comma list of execute-api ARN patterns a valid token may connect to.
pub const AUTHORIZED_APIS: &str = "AUTHORIZED_APIS";

/// The scopes `JWT_REQUIRED_SCOPES` names and how they combine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequiredScopes {
    /// The scopes, never empty.
    pub scopes: Vec<String>,
    /// Whether one or every scope is needed.
    pub mode: ScopeMode,
}

/// How required scopes combine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScopeMode {
    /// One of them suffices.
    Any,
    /// Every one is needed.
    All,
}

impl ScopeMode {
    /// The variable's spelling.
    pub fn name(self) -> &'static str {
        match self {
            ScopeMode::Any => "any",
            ScopeMode::All => "all",
        }
    }
}

/// The settings of the three rules.
#[derive(Debug, Clone)]
pub struct AccessRules {
    /// Origins (`scheme://host[:port]`, lowercase) browsers may connect
    /// from; `None` checks no origin.
    pub allowed_origins: Option<Vec<String>>,
    /// Scopes a token must grant; `None` requires none.
    pub required_scopes: Option<RequiredScopes>,
    /// The claims scopes are read from.
    pub scope_claims: Vec<String>,
    /// API patterns a valid token may connect to; `None` grants exactly the `methodArn`.
    pub authorized_apis: Option<Vec<ArnPattern>>,
    /// The scopes each listed route needs (`ROUTE_SCOPES`); empty: none.
    pub route_scopes: RouteScopes,
}

impl AccessRules {
    /// Reads the three rules' settings, with the preset's scope claims.
    pub fn read(env: &Env, preset: &Preset) -> Result<Self, ConfigError> {
        let mode = match env.text(JWT_REQUIRED_SCOPES_MODE).as_deref() {
            None => ScopeMode::Any,
            Some(mode) if mode.eq_ignore_ascii_case("any") => ScopeMode::Any,
            Some(mode) if mode.eq_ignore_ascii_case("all") => ScopeMode::All,
            Some(other) => {
                return Err(ConfigError::new(
                    JWT_REQUIRED_SCOPES_MODE,
                    format!("must be any or all, got {other:?}"),
                ))
            }
        };
        let required_scopes = env
            .text(JWT_REQUIRED_SCOPES)
            .map(|value| {
                value
                    .split([',', ' '])
                    .filter(|scope| !scope.is_empty())
                    .map(str::to_owned)
                    .collect::<Vec<_>>()
            })
            .filter(|scopes| !scopes.is_empty())
            .map(|scopes| RequiredScopes { scopes, mode });
        Ok(AccessRules {
            allowed_origins: env
                .parsed_list(ALLOWED_ORIGINS, parse_origin)?
                .filter(|origins| !origins.is_empty()),
            required_scopes,
            scope_claims: ["scope", "scp"]
                .iter()
                .chain(preset.scope_claims)
                .map(|claim| (*claim).to_owned())
                .collect(),
            // Commas alone list no API: every token is denied, as written.
            authorized_apis: env.parsed_list(AUTHORIZED_APIS, ArnPattern::parse)?,
            route_scopes: env
                .text(ROUTE_SCOPES)
                .map(|json| RouteScopes::parse(&json))
                .transpose()
                .map_err(|reason| ConfigError::new(ROUTE_SCOPES, reason))?
                .unwrap_or_default(),
        })
    }

    /// The scopes `claims` grant, as the answers of `ROUTE_SCOPES` need them:
    /// empty, and not read, when no route is listed.
    pub fn scopes_for_routes<'c>(&self, claims: &'c Map<String, Value>) -> Vec<&'c str> {
        if self.route_scopes.is_empty() {
            return Vec::new();
        }
        granted_scopes(claims, &self.scope_claims)
    }

    /// Whether API Gateway may call `resource` on this token's behalf as far
    /// as `AUTHORIZED_APIS` goes: a resource with wildcards only when every
    /// ARN it reaches is authorized (a pattern matching its text does).
    pub fn authorizes(&self, resource: &str) -> bool {
        self.authorized_apis
            .as_ref()
            .is_none_or(|patterns| patterns.iter().any(|pattern| pattern.matches(resource)))
    }

    /// The first rule a valid token fails, in the order of [`access_rules`].
    pub fn denial(&self, claims: &Map<String, Value>, event: &ConnectEvent) -> Option<Refusal> {
        let shape = match event.shape() {
            Ok(shape) => shape,
            Err(refusal) => return Some(refusal),
        };
        let request = Request {
            claims,
            rules: self,
            event,
            shape: &shape,
        };
        crate::checks::run(&access_rules(), &request, &mut ()).err()
    }
}

impl AccessRules {
    /// The variables these rules read.
    pub const VARIABLES: [&'static str; 5] = [
        ALLOWED_ORIGINS,
        JWT_REQUIRED_SCOPES,
        JWT_REQUIRED_SCOPES_MODE,
        AUTHORIZED_APIS,
        ROUTE_SCOPES,
    ];

    /// Each variable with the value in effect, in the order of [`Self::VARIABLES`].
    pub fn settings(&self) -> [(&'static str, String); 5] {
        let scopes = self.required_scopes.as_ref();
        [
            (
                ALLOWED_ORIGINS,
                self.allowed_origins
                    .as_deref()
                    .map(|origins| origins.join(","))
                    .unwrap_or_default(),
            ),
            (
                JWT_REQUIRED_SCOPES,
                scopes
                    .map(|required| required.scopes.join(" "))
                    .unwrap_or_default(),
            ),
            (
                JWT_REQUIRED_SCOPES_MODE,
                scopes
                    .map_or(ScopeMode::Any, |required| required.mode)
                    .name()
                    .to_owned(),
            ),
            (
                AUTHORIZED_APIS,
                self.authorized_apis
                    .as_ref()
                    .map(|patterns| {
                        let patterns: Vec<&str> = patterns.iter().map(ArnPattern::as_str).collect();
                        patterns.join(",")
                    })
                    .unwrap_or_default(),
            ),
            (ROUTE_SCOPES, self.route_scopes.to_json()),
        ]
    }
}

/// What the access rules look at: the verified claims and the request.
pub struct Request<'a> {
    /// The verified claims.
    pub claims: &'a Map<String, Value>,
    /// The rules in effect.
    pub rules: &'a AccessRules,
    /// The request.
    pub event: &'a ConnectEvent,
    /// Its kind, ARN and route.
    pub shape: &'a Shape<'a>,
}

/// The rules in the order a `$connect` applies them; a failure is a Deny.
pub fn access_rules<'a>() -> [Check<Request<'a>>; 4] {
    [
        Check {
            name: "origin",
            setting: ALLOWED_ORIGINS,
            reasons: &[Refusal::OriginNotAllowed],
            applies: |on| use_if(on.rules.allowed_origins.is_some()),
            verdict: |on| match &on.rules.allowed_origins {
                Some(origins) if !origin_allowed(on.event, origins) => {
                    Err(Refusal::OriginNotAllowed)
                }
                _ => Ok(()),
            },
            detail: |on| match &on.rules.allowed_origins {
                None => format!("{ALLOWED_ORIGINS} is not set"),
                Some(origins) => {
                    let sent: Vec<&str> = sent_origins(on.event).collect();
                    format!(
                        "Origin [{}] against {ALLOWED_ORIGINS} ({})",
                        sent.join(", "),
                        origins.join(", ")
                    )
                }
            },
        },
        Check {
            name: "scope",
            setting: JWT_REQUIRED_SCOPES,
            reasons: &[Refusal::MissingScope],
            applies: |on| use_if(on.rules.required_scopes.is_some()),
            verdict: |on| check_scopes(on.claims, on.rules),
            detail: |on| match &on.rules.required_scopes {
                None => format!("{JWT_REQUIRED_SCOPES} is not set"),
                Some(required) => format!(
                    "granted [{}] against {JWT_REQUIRED_SCOPES} ({}, {} of them)",
                    granted_scopes(on.claims, &on.rules.scope_claims).join(" "),
                    required.scopes.join(" "),
                    required.mode.name()
                ),
            },
        },
        Check {
            name: "api",
            setting: AUTHORIZED_APIS,
            reasons: &[Refusal::ApiNotAuthorized],
            applies: |on| use_if(on.rules.authorized_apis.is_some()),
            verdict: |on| match &on.rules.authorized_apis {
                Some(patterns) if !patterns.iter().any(|p| p.matches(on.shape.arn)) => {
                    Err(Refusal::ApiNotAuthorized)
                }
                _ => Ok(()),
            },
            detail: |on| {
                let method_arn = on.shape.arn;
                let Some(patterns) = &on.rules.authorized_apis else {
                    return format!(
                        "{AUTHORIZED_APIS} is not set: every API using this authorizer is allowed"
                    );
                };
                match patterns.iter().find(|pattern| pattern.matches(method_arn)) {
                    Some(pattern) => format!("{method_arn} matches {}", pattern.as_str()),
                    None => {
                        let patterns: Vec<&str> = patterns.iter().map(ArnPattern::as_str).collect();
                        format!(
                            "{method_arn} matches none of {AUTHORIZED_APIS} ({})",
                            patterns.join(", ")
                        )
                    }
                }
            },
        },
        Check {
            name: "route",
            setting: ROUTE_SCOPES,
            reasons: &[Refusal::MissingRouteScope],
            applies: |on| use_if(!on.rules.route_scopes.is_empty()),
            verdict: |on| {
                let granted = granted_scopes(on.claims, &on.rules.scope_claims);
                let refusing = on.rules.route_scopes.refusing(
                    on.shape.route.as_deref(),
                    on.shape.arn,
                    &granted,
                );
                if refusing.is_empty() {
                    Ok(())
                } else {
                    Err(Refusal::MissingRouteScope)
                }
            },
            detail: |on| {
                if on.rules.route_scopes.is_empty() {
                    return format!("{ROUTE_SCOPES} is not set");
                }
                let granted = granted_scopes(on.claims, &on.rules.scope_claims);
                let route = on
                    .shape
                    .route
                    .as_deref()
                    .unwrap_or("(not named by the event)");
                let refusing = on.rules.route_scopes.refusing(
                    on.shape.route.as_deref(),
                    on.shape.arn,
                    &granted,
                );
                if refusing.is_empty() {
                    format!(
                        "route {route} on {}: granted [{}] covers every route of {ROUTE_SCOPES} that reaches it",
                        on.shape.arn,
                        granted.join(" ")
                    )
                } else {
                    let needs: Vec<String> = refusing
                        .iter()
                        .map(|route| {
                            format!("{} needs one of [{}]", route.key, route.scopes.join(" "))
                        })
                        .collect();
                    format!(
                        "route {route} on {}: granted [{}]; {}",
                        on.shape.arn,
                        granted.join(" "),
                        needs.join("; ")
                    )
                }
            },
        },
    ]
}

/// A rule that runs when its setting is given, and shows as skipped otherwise.
fn use_if(on: bool) -> Use {
    if on {
        Use::Check
    } else {
        Use::Skip
    }
}

/// Every `Origin` the request carries.
fn sent_origins(event: &ConnectEvent) -> impl Iterator<Item = &str> {
    event
        .multi_value_headers
        .origin
        .values
        .iter()
        .chain(&event.headers.origin.values)
        .map(String::as_str)
}

/// Whether the request's `Origin` is one of `allowed` (each written as
/// `scheme://host[:port]`, compared in any case). A request without an
/// `Origin`, or with several different ones, is not.
pub fn origin_allowed(event: &ConnectEvent, allowed: &[String]) -> bool {
    let mut origins = sent_origins(event).map(|origin| origin.trim().trim_end_matches('/'));
    let Some(first) = origins.next() else {
        return false;
    };
    origins.all(|origin| origin.eq_ignore_ascii_case(first))
        && allowed
            .iter()
            .any(|allowed| allowed.eq_ignore_ascii_case(first))
}

/// `scheme://host[:port]` as browsers send it in `Origin`.
fn parse_origin(value: &str) -> Result<String, String> {
    let invalid = |why: &str| format!("{value:?} is not an origin (https://host[:port]): {why}");
    let url = reqwest::Url::parse(value).map_err(|error| invalid(&error.to_string()))?;
    if !matches!(url.scheme(), "https" | "http") {
        return Err(invalid("the scheme must be https or http"));
    }
    if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
        return Err(invalid("an origin has no path, query or fragment"));
    }
    Ok(url.origin().ascii_serialization())
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
pub fn check_scopes(claims: &Map<String, Value>, rules: &AccessRules) -> Result<(), Refusal> {
    let Some(required) = &rules.required_scopes else {
        return Ok(());
    };
    let granted = granted_scopes(claims, &rules.scope_claims);
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
    use crate::error::Outcome;
    use serde_json::json;

    /// The rules these variables give, with no preset.
    fn rules(vars: &[(&str, &str)]) -> AccessRules {
        let lookup = |name: &str| {
            vars.iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| (*value).to_owned())
        };
        AccessRules::read(&Env::new(&lookup), &Preset::default()).unwrap()
    }

    fn claims(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => unreachable!(),
        }
    }

    /// An event as API Gateway sends it, with these headers.
    fn event(headers: &[(&str, &str)]) -> ConnectEvent {
        let headers: Map<String, Value> = headers
            .iter()
            .map(|(k, v)| ((*k).to_owned(), Value::from(*v)))
            .collect();
        serde_json::from_value(json!({
            "type": "REQUEST",
            "headers": headers,
            "methodArn": "arn:aws:execute-api:eu-west-1:123456789012:abc/prod/$connect",
            "requestContext": {"routeKey": "$connect", "eventType": "CONNECT"},
        }))
        .unwrap()
    }

    #[test]
    fn origins_must_be_listed() {
        let allowed = vec![
            "https://app.example.com".to_owned(),
            "http://localhost:5173".to_owned(),
        ];
        for (origin, expected) in [
            (Some("https://app.example.com"), true),
            (Some("HTTPS://APP.EXAMPLE.COM/"), true),
            (Some("http://localhost:5173"), true),
            (Some("https://evil.example.com"), false),
            (Some("https://app.example.com.evil.com"), false),
            (Some("null"), false),
            (None, false),
        ] {
            let headers: Vec<(&str, &str)> = origin
                .map(|origin| ("Origin", origin))
                .into_iter()
                .collect();
            assert_eq!(
                origin_allowed(&event(&headers), &allowed),
                expected,
                "{origin:?}"
            );
        }
        let mut two = event(&[("Origin", "https://app.example.com")]);
        two.multi_value_headers.origin.values = vec!["https://evil.example.com".into()];
        assert!(!origin_allowed(&two, &allowed));
    }

    #[test]
    fn scopes_from_scope_and_scp_any_or_all() {
        let any = rules(&[("JWT_REQUIRED_SCOPES", "chat:write admin")]);
        let all = rules(&[
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
        assert_eq!(check_scopes(&claims(json!({})), &rules(&[])), Ok(()));
        assert_eq!(Refusal::MissingScope.outcome(), Outcome::Deny);
    }
    #[test]
    fn the_first_rule_a_token_fails_is_the_denial() {
        let strict = rules(&[
            (ALLOWED_ORIGINS, "https://app.example.com"),
            (JWT_REQUIRED_SCOPES, "chat:write"),
            (
                AUTHORIZED_APIS,
                "arn:aws:execute-api:eu-west-1:123456789012:other/*",
            ),
        ]);
        let from_app = event(&[("Origin", "https://app.example.com")]);
        let from_elsewhere = event(&[("Origin", "https://evil.example.com")]);
        let granted = claims(json!({"scope": "chat:write"}));
        let none = claims(json!({}));
        assert_eq!(
            strict.denial(&none, &from_elsewhere),
            Some(Refusal::OriginNotAllowed)
        );
        assert_eq!(strict.denial(&none, &from_app), Some(Refusal::MissingScope));
        assert_eq!(
            strict.denial(&granted, &from_app),
            Some(Refusal::ApiNotAuthorized)
        );
        let commas = rules(&[(AUTHORIZED_APIS, " , ")]);
        assert_eq!(
            commas.denial(&granted, &from_app),
            Some(Refusal::ApiNotAuthorized),
            "a list of no API denies every token"
        );
        assert_eq!(rules(&[]).denial(&none, &from_elsewhere), None);
    }
}
