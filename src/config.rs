//! Configuration from the environment, parsed and validated once at cold start.
//!
//! The variable names are those of the authorizer this one replaces, so an
//! existing deployment keeps working when only the code changes.

use std::sync::Arc;

use reqwest::Url;

pub use crate::access::{
    AccessRules, RequiredScopes, ScopeMode, ALLOWED_ORIGINS, AUTHORIZED_APIS, JWT_REQUIRED_SCOPES,
    JWT_REQUIRED_SCOPES_MODE,
};
use crate::algorithm::{Algorithm, AlgorithmSet};
use crate::answer::SIMPLE_RESPONSES;
pub use crate::claims::{
    ClaimRules, JWT_LEEWAY_SECONDS, JWT_MAX_AGE_SECONDS, JWT_MIN_REMAINING_SECONDS,
    JWT_REQUIRED_CLAIMS, JWT_VERIFY_EXPIRATION, PRINCIPAL_ID_CLAIM,
};
pub use crate::context::{ContextSpec, CONTEXT_CLAIMS, CONTEXT_MAX_BYTES};
use crate::issuers::{parse_https_url, parse_issuers, shared_key_set, Issuer, KeySource};
pub use crate::issuers::{JWT_AUTHORIZED_AUDIENCES, JWT_ISSUER, JWT_ISSUERS};
pub use crate::jwks::{
    KeyStoreOptions, JWKS_CACHE_TTL_SECONDS, JWKS_FETCH_TIMEOUT_MS, JWKS_MAX_BACKOFF_SECONDS,
    JWKS_MAX_BYTES, JWKS_MAX_STALE_SECONDS, JWKS_MIN_TTL_SECONDS, JWKS_REFRESH_COOLDOWN_SECONDS,
};
use crate::keys::KeySet;
pub use crate::kms::KMS_JWT_KEY_ID;
use crate::kms::{KmsKeys, KmsSettings};
use crate::provider::{self, Preset, Provider};
use crate::redact::{redact_urls_in, redact_urls_in_json, redacted};
use crate::route_scopes::ROUTE_SCOPES;
pub use crate::settings::ConfigError;
use crate::settings::Env;
use crate::token::TokenSource;
pub use crate::token::{Transports, SUBPROTOCOL_TOKEN_PREFIX, TOKEN_COOKIE_NAME, TOKEN_SOURCES};

/// The key set URL (JWKS, or a map of kid to X.509 PEM certificate).
pub const JWT_ISSUER_JWKS_URI: &str = "JWT_ISSUER_JWKS_URI";
/// Comma list of allowed signature algorithms.
pub const JWT_ALGORITHMS: &str = "JWT_ALGORITHMS";
/// How many verified tokens to remember; 0 turns the decision cache off.
pub const DECISION_CACHE_MAX_ENTRIES: &str = "DECISION_CACHE_MAX_ENTRIES";
/// Whether CloudWatch metrics (Embedded Metric Format) are written.
pub const METRICS_ENABLED: &str = "METRICS_ENABLED";
/// The header `typ` a token must carry, such as `at+jwt` (RFC 9068).
pub const JWT_REQUIRED_TYP: &str = "JWT_REQUIRED_TYP";
/// A key set given inline, instead of a URL.
pub const JWKS_JSON: &str = "JWKS_JSON";
/// A key set file bundled with the function, used while the URL cannot be fetched.
pub const JWKS_FALLBACK_FILE: &str = "JWKS_FALLBACK_FILE";
/// A provider preset, `name[:parameter]`: cognito, auth0, firebase, keycloak, entra, okta, zitadel.
pub const JWT_PROVIDER: &str = "JWT_PROVIDER";
/// Set by Lambda; the metrics' `FunctionName` dimension.
const AWS_LAMBDA_FUNCTION_NAME: &str = "AWS_LAMBDA_FUNCTION_NAME";

/// The variables [`Config`] reads itself; its parts read their own.
const OWN_VARIABLES: [&str; 13] = [
    JWT_ISSUER_JWKS_URI,
    KMS_JWT_KEY_ID,
    JWT_AUTHORIZED_AUDIENCES,
    JWT_ISSUER,
    JWT_ISSUERS,
    JWKS_JSON,
    JWKS_FALLBACK_FILE,
    JWT_PROVIDER,
    JWT_ALGORITHMS,
    JWT_REQUIRED_TYP,
    DECISION_CACHE_MAX_ENTRIES,
    METRICS_ENABLED,
    SIMPLE_RESPONSES,
];

/// Every variable the configuration reads, in the order `check-config`
/// prints them, for documentation and drift tests.
pub fn variables() -> Vec<&'static str> {
    [
        &OWN_VARIABLES[..],
        &KeyStoreOptions::VARIABLES,
        &crate::tls::Trust::VARIABLES,
        &ClaimRules::VARIABLES,
        &AccessRules::VARIABLES,
        &ContextSpec::VARIABLES,
        &Transports::VARIABLES,
    ]
    .concat()
}

/// The validated configuration of one authorizer.
#[derive(Debug, Clone)]
pub struct Config {
    /// `JWT_ISSUER_JWKS_URI`: where the key set is fetched from.
    pub jwks_uri: Option<Url>,
    /// `JWT_AUTHORIZED_AUDIENCES`: accepted audiences (empty only when every
    /// `JWT_ISSUERS` entry has its own).
    pub audiences: Vec<String>,
    /// `JWT_ISSUER`: accepted issuers; `None` skips the issuer check.
    pub accepted_issuers: Option<Vec<String>>,
    /// `JWT_ISSUERS`, as given.
    pub issuers_json: Option<String>,
    /// `KMS_JWT_KEY_ID`: the key ids or key ARNs of the issuer's KMS keys.
    pub kms_key_ids: Option<Vec<String>>,
    /// `JWKS_JSON`, as given.
    pub jwks_json: Option<String>,
    /// `JWKS_FALLBACK_FILE`, the path.
    pub jwks_fallback_file: Option<String>,
    /// The fallback key set, read and parsed at start.
    pub jwks_fallback: Option<Arc<KeySet>>,
    /// The trusted issuers, from all of the above; never empty.
    pub issuers: Vec<Issuer>,
    /// `JWT_PROVIDER`, as given.
    pub provider: Option<String>,
    /// Algorithms a token may be signed with.
    pub algorithms: AlgorithmSet,
    /// How many verified tokens the decision cache keeps (0: no cache).
    pub decision_cache_max_entries: u64,
    /// Whether metric lines are written.
    pub metrics: bool,
    /// The Lambda function's name (`AWS_LAMBDA_FUNCTION_NAME`), for metrics.
    pub function_name: String,
    /// The header `typ` required, compared as RFC 7515 §4.1.9 says.
    pub required_typ: Option<String>,
    /// What goes into the authorizer context.
    pub context: ContextSpec,
    /// Where tokens are read from.
    pub transports: Transports,
    /// How key sets are fetched and kept.
    pub key_store: KeyStoreOptions,
    /// The claim checks' settings.
    pub claims: ClaimRules,
    /// The settings of the rules that deny a valid token.
    pub access: AccessRules,
    /// `SIMPLE_RESPONSES`: answer an HTTP API's payload 2.0 with
    /// `{"isAuthorized", "context"}`.
    pub simple_responses: bool,
}

impl Config {
    /// Reads the configuration from the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the configuration through `lookup`, which returns a variable's value.
    ///
    /// An empty value counts as unset, as Terraform writes empty strings for
    /// optional variables.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let env = Env::new(&lookup);
        let get = |name: &str| env.text(name);

        let provider = get(JWT_PROVIDER);
        let mut entra_without_tenant = false;
        let preset = match &provider {
            None => Preset::default(),
            Some(value) => {
                let (provider, parameter) = Provider::parse(value)
                    .map_err(|reason| ConfigError::new(JWT_PROVIDER, reason))?;
                entra_without_tenant = provider == Provider::Entra && parameter.is_none();
                if get(KMS_JWT_KEY_ID).is_some() {
                    return Err(ConfigError::new(
                        KMS_JWT_KEY_ID,
                        format!("names the issuer's keys, and so does {JWT_PROVIDER}: set one or the other"),
                    ));
                }
                if parameter.is_some() && get(JWT_ISSUERS).is_some() {
                    return Err(ConfigError::new(
                        JWT_PROVIDER,
                        format!("names one issuer; with {JWT_ISSUERS} give the name alone"),
                    ));
                }
                provider::preset(provider, parameter)
                    .map_err(|reason| ConfigError::new(JWT_PROVIDER, reason))?
            }
        };
        // A preset's issuer (and key set) apply where none is configured.
        let explicit_keys = get(JWT_ISSUER_JWKS_URI).is_some()
            || get(JWKS_JSON).is_some()
            || get(JWT_ISSUERS).is_some();
        let get = |name: &str| match name {
            JWT_ISSUER if !preset.issuers.is_empty() && get(JWT_ISSUERS).is_none() => {
                get(name).or_else(|| Some(preset.issuers.join(",")))
            }
            JWT_ISSUER_JWKS_URI if !explicit_keys => preset.jwks_uri.clone(),
            JWT_AUTHORIZED_AUDIENCES if !preset.audiences.is_empty() => {
                get(name).or_else(|| Some(preset.audiences.join(",")))
            }
            _ => get(name),
        };
        let env = Env::new(&get);
        let jwks_uri = get(JWT_ISSUER_JWKS_URI)
            .map(|value| {
                parse_https_url(&value)
                    .map_err(|reason| ConfigError::new(JWT_ISSUER_JWKS_URI, reason))
            })
            .transpose()?;
        let audiences = env.list(JWT_AUTHORIZED_AUDIENCES).unwrap_or_default();
        let accepted_issuers = env.list(JWT_ISSUER).filter(|list| !list.is_empty());
        let algorithms = match get(JWT_ALGORITHMS) {
            None => AlgorithmSet::all(),
            Some(value) => parse_algorithms(&value)?,
        };
        let issuers_json = get(JWT_ISSUERS);
        let jwks_json = get(JWKS_JSON);
        let jwks_fallback_file = get(JWKS_FALLBACK_FILE);
        let kms_key_ids = env.list(KMS_JWT_KEY_ID);
        // The endpoint and region matter (and are checked) only with KMS keys.
        let kms = match (&kms_key_ids, &issuers_json) {
            (None, None) => KmsSettings::default(),
            (None, Some(json)) if !json.contains("kms_key_ids") => KmsSettings::default(),
            _ => kms_settings(&env)?,
        };
        let issuers = trusted_issuers(
            jwks_uri.as_ref(),
            &audiences,
            accepted_issuers.as_ref(),
            issuers_json.as_deref(),
            jwks_json.as_deref(),
            algorithms,
            (kms_key_ids.as_deref(), &kms),
        )?;
        for issuer in &issuers {
            if let (None, KeySource::Url(url)) = (&issuer.names, &issuer.keys) {
                if let Some(provider) = shared_key_set(url) {
                    let (variable, fix) = if entra_without_tenant {
                        (JWT_PROVIDER, "name the tenant: entra:TENANT_ID")
                    } else {
                        (JWT_ISSUER, "set it to the issuer of your tenant or project")
                    };
                    return Err(ConfigError::new(
                        variable,
                        format!(
                            "is required with {}: {provider}'s key set signs tokens for every tenant and project, so without an issuer any of them would be accepted ({fix})",
                            redacted(url)
                        ),
                    ));
                }
            }
        }
        let jwks_fallback = match &jwks_fallback_file {
            None => None,
            Some(_)
                if issuers
                    .iter()
                    .any(|issuer| matches!(issuer.keys, KeySource::Kms(_))) =>
            {
                return Err(ConfigError::new(
                    JWKS_FALLBACK_FILE,
                    "applies to a key set, not to KMS keys (read once, then kept)",
                ))
            }
            Some(_) if issuers.len() > 1 => {
                return Err(ConfigError::new(
                    JWKS_FALLBACK_FILE,
                    format!(
                        "applies to one key set, not to the {} of {JWT_ISSUERS}",
                        issuers.len()
                    ),
                ))
            }
            Some(path) => {
                let content = std::fs::read_to_string(path).map_err(|error| {
                    ConfigError::new(JWKS_FALLBACK_FILE, format!("{path}: {error}"))
                })?;
                let set = KeySet::parse(content.as_bytes(), algorithms).map_err(|error| {
                    ConfigError::new(JWKS_FALLBACK_FILE, format!("{path}: {error}"))
                })?;
                Some(Arc::new(set))
            }
        };
        let key_store = KeyStoreOptions::read(&env)?;
        let context = ContextSpec::read(&env, &preset)?;

        let access = AccessRules::read(&env, &preset)?;
        let transports = Transports::read(&env)?;
        if transports.sources.contains(&TokenSource::Cookie) && access.allowed_origins.is_none() {
            return Err(ConfigError::new(
                TOKEN_SOURCES,
                format!(
                    "cookie needs {ALLOWED_ORIGINS}: a browser sends the cookie from any site's page, \
                     so without an origin check any site could open a connection as the user \
                     (cross-site WebSocket hijacking)"
                ),
            ));
        }

        Ok(Config {
            jwks_uri,
            audiences,
            accepted_issuers,
            issuers_json,
            kms_key_ids,
            jwks_json,
            jwks_fallback_file,
            jwks_fallback,
            issuers,
            algorithms,
            key_store,
            decision_cache_max_entries: env.number(
                DECISION_CACHE_MAX_ENTRIES,
                10_000,
                0..=1_000_000,
            )?,
            metrics: env.flag(METRICS_ENABLED)?,
            simple_responses: env.flag_or(SIMPLE_RESPONSES, false)?,
            function_name: get(AWS_LAMBDA_FUNCTION_NAME)
                .unwrap_or_else(|| "ws-jwt-authorizer".to_owned()),
            provider,
            required_typ: get(JWT_REQUIRED_TYP),
            context,
            transports,
            claims: ClaimRules::read(&env, &preset)?,
            access,
        })
    }

    /// Every variable with the value in effect (defaults included), in the
    /// order of [`variables`], for `check-config`.
    pub fn settings(&self) -> Vec<(&'static str, String)> {
        let list = |items: &[String]| items.join(",");
        let own = [
            (
                JWT_ISSUER_JWKS_URI,
                self.jwks_uri.as_ref().map(redacted).unwrap_or_default(),
            ),
            (
                KMS_JWT_KEY_ID,
                self.kms_key_ids.as_deref().map(list).unwrap_or_default(),
            ),
            (JWT_AUTHORIZED_AUDIENCES, list(&self.audiences)),
            (
                JWT_ISSUER,
                self.accepted_issuers
                    .as_deref()
                    .map(list)
                    .unwrap_or_default(),
            ),
            (
                JWT_ISSUERS,
                self.issuers_json
                    .as_deref()
                    .map(redacted_issuers)
                    .unwrap_or_default(),
            ),
            (JWKS_JSON, self.jwks_json.clone().unwrap_or_default()),
            (
                JWKS_FALLBACK_FILE,
                self.jwks_fallback_file.clone().unwrap_or_default(),
            ),
            (JWT_PROVIDER, self.provider.clone().unwrap_or_default()),
            (JWT_ALGORITHMS, self.algorithms.to_string()),
            (
                JWT_REQUIRED_TYP,
                self.required_typ.clone().unwrap_or_default(),
            ),
            (
                DECISION_CACHE_MAX_ENTRIES,
                self.decision_cache_max_entries.to_string(),
            ),
            (METRICS_ENABLED, self.metrics.to_string()),
            (SIMPLE_RESPONSES, self.simple_responses.to_string()),
        ];
        own.into_iter()
            .chain(self.key_store.settings())
            .chain(self.key_store.trust.settings())
            .chain(self.claims.settings())
            .chain(self.access.settings())
            .chain(self.context.settings())
            .chain(self.transports.settings())
            // A URL in any value (an issuer with user info, say) is shown redacted.
            .map(|(variable, value)| (variable, redact_urls_in(&value)))
            .collect()
    }

    /// Settings that are valid but weaken the checks, for a warning at start-up.
    pub fn warnings(&self) -> Vec<String> {
        let mut warnings = Vec::new();
        if self.issuers.iter().any(|issuer| issuer.names.is_none()) {
            warnings.push(format!(
                "{JWT_ISSUER} is not set: tokens from any issuer signed by the key set are accepted"
            ));
        }
        if !self.claims.verify_expiration {
            warnings.push(format!(
                "{JWT_VERIFY_EXPIRATION} is false: expired tokens are accepted"
            ));
        }
        // Cognito signs ID tokens (aud: the app client) and access tokens
        // (no aud, client_id: the app client) with the same keys, so an
        // audience check alone accepts both. The authorizer this one replaces
        // ran so, hence a warning, not a refusal.
        let cognito = self.issuers.iter().any(|issuer| {
            issuer.keys.to_string().contains("cognito-idp.")
                || issuer
                    .names
                    .iter()
                    .flatten()
                    .any(|name| name.contains("cognito-idp."))
        });
        let token_use_checked = self
            .claims
            .required_claims
            .iter()
            .any(|claim| claim.name == "token_use");
        if self.simple_responses && !self.access.route_scopes.is_empty() {
            warnings.push(format!(
                "{SIMPLE_RESPONSES} with {ROUTE_SCOPES}: a simple response answers for one route only, so API Gateway's authorizer cache must be keyed by route ($context.routeKey among the identity sources) or off (TTL 0), or an answer given for one route is reused for the others"
            ));
        }
        if cognito && !token_use_checked {
            warnings.push(format!(
                "a Cognito user pool is trusted without {JWT_PROVIDER}=cognito:POOL_ID or a token_use rule in {JWT_REQUIRED_CLAIMS}: its ID tokens (aud: the app client id) are accepted as well as its access tokens"
            ));
        }
        warnings
    }
}

/// `JWT_ISSUERS` with every URL in its strings shown as [`redacted`],
/// whichever member holds it (`\/` escapes read as `/`); the JSON as given,
/// with its URLs redacted, when it cannot be read.
fn redacted_issuers(json: &str) -> String {
    match serde_json::from_str::<serde_json::Value>(json) {
        Ok(mut value) => {
            redact_urls_in_json(&mut value);
            value.to_string()
        }
        Err(_) => redact_urls_in(json),
    }
}

fn parse_algorithms(value: &str) -> Result<AlgorithmSet, ConfigError> {
    let names = crate::settings::comma_list(value);
    let mut algorithms = Vec::with_capacity(names.len());
    for name in &names {
        if name.to_ascii_uppercase().starts_with("HS") {
            return Err(ConfigError::new(
                JWT_ALGORITHMS,
                format!("{name} is an HMAC algorithm, which a public key set cannot verify safely"),
            ));
        }
        let alg = name.parse::<Algorithm>().map_err(|_| {
            ConfigError::new(
                JWT_ALGORITHMS,
                format!(
                    "{name:?} is not one of {}",
                    Algorithm::ALL.map(Algorithm::name).join(", ")
                ),
            )
        })?;
        algorithms.push(alg);
    }
    let set: AlgorithmSet = algorithms.into_iter().collect();
    if set.is_empty() {
        return Err(ConfigError::new(JWT_ALGORITHMS, "names no algorithm"));
    }
    Ok(set)
}

/// The endpoint (`AWS_ENDPOINT_URL_KMS`, `AWS_ENDPOINT_URL`) and region
/// (`AWS_REGION`, `AWS_DEFAULT_REGION`) KMS keys are read with.
fn kms_settings(env: &Env) -> Result<KmsSettings, ConfigError> {
    let endpoint = match crate::kms::endpoint_variable(|name| env.text(name)) {
        None => None,
        Some((variable, value)) => {
            let url =
                parse_https_url(&value).map_err(|reason| ConfigError::new(variable, reason))?;
            if url.query().is_some() || url.fragment().is_some() {
                return Err(ConfigError::new(variable, "must have no query or fragment"));
            }
            Some(url)
        }
    };
    Ok(KmsSettings {
        region: crate::kms::default_region(|name| env.text(name)),
        endpoint,
    })
}

/// The trusted issuers from the variables that name them; `kms`, the
/// `KMS_JWT_KEY_ID` list and what KMS keys are read with.
fn trusted_issuers(
    jwks_uri: Option<&Url>,
    audiences: &[String],
    accepted_issuers: Option<&Vec<String>>,
    issuers_json: Option<&str>,
    jwks_json: Option<&str>,
    algorithms: AlgorithmSet,
    (kms_key_ids, kms): (Option<&[String]>, &KmsSettings),
) -> Result<Vec<Issuer>, ConfigError> {
    if kms_key_ids.is_some() {
        for (variable, set) in [
            (JWT_ISSUER_JWKS_URI, jwks_uri.is_some()),
            (JWKS_JSON, jwks_json.is_some()),
            (JWT_ISSUERS, issuers_json.is_some()),
        ] {
            if set {
                return Err(ConfigError::new(
                    KMS_JWT_KEY_ID,
                    format!("names the issuer's keys, and so does {variable}: set one or the other (kms_key_ids for an entry of {JWT_ISSUERS})"),
                ));
            }
        }
    }
    if let Some(json) = issuers_json {
        for (variable, set) in [
            (JWT_ISSUER_JWKS_URI, jwks_uri.is_some()),
            (JWT_ISSUER, accepted_issuers.is_some()),
            (JWKS_JSON, jwks_json.is_some()),
        ] {
            if set {
                return Err(ConfigError::new(
                    JWT_ISSUERS,
                    format!("replaces {variable}: set one or the other"),
                ));
            }
        }
        return parse_issuers(json, audiences, algorithms, kms)
            .map_err(|reason| ConfigError::new(JWT_ISSUERS, reason));
    }
    let keys = match (kms_key_ids, jwks_json, jwks_uri, accepted_issuers.map(Vec::as_slice)) {
        // KMS keys, whatever JWT_ISSUER says: it checks `iss` and finds no keys.
        (Some(ids), ..) => KmsKeys::parse(ids, kms)
            .map(|keys| KeySource::Kms(Arc::new(keys)))
            .map_err(|reason| ConfigError::new(KMS_JWT_KEY_ID, reason))?,
        (None, Some(_), Some(_), _) => {
            return Err(ConfigError::new(
                JWKS_JSON,
                format!("replaces {JWT_ISSUER_JWKS_URI}: set one or the other"),
            ))
        }
        (None, Some(json), None, _) => KeySource::inline(json.as_bytes(), algorithms)
            .map_err(|error| ConfigError::new(JWKS_JSON, error.to_string()))?,
        (None, None, Some(url), _) => KeySource::Url(url.clone()),
        (None, None, None, Some([issuer])) => KeySource::discovery(issuer)
            .map_err(|reason| ConfigError::new(JWT_ISSUER, format!("for OIDC discovery, {reason}")))?,
        (None, None, None, Some(_)) => {
            return Err(ConfigError::new(
                JWT_ISSUER_JWKS_URI,
                format!("is required when {JWT_ISSUER} lists several issuers (or use {JWT_ISSUERS})"),
            ))
        }
        (None, None, None, None) => {
            return Err(ConfigError::new(
                JWT_ISSUER_JWKS_URI,
                format!(
                    "is required (or {JWT_ISSUER} alone for OIDC discovery, {JWKS_JSON}, or {JWT_ISSUERS})"
                ),
            ))
        }
    };
    if audiences.is_empty() {
        return Err(ConfigError::new(
            JWT_AUTHORIZED_AUDIENCES,
            "is required: without it any token signed by the key set would pass",
        ));
    }
    Ok(vec![Issuer {
        names: accepted_issuers.cloned(),
        keys,
        audiences: audiences.to_vec(),
    }])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::ClaimPath;
    use crate::tls::JWKS_TRUST_WEB_ROOTS;
    use crate::token::TokenSource;
    use std::collections::HashMap;
    use std::time::Duration;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Config::from_lookup(|name| map.get(name).cloned())
    }

    const MINIMAL: [(&str, &str); 2] = [
        (
            JWT_ISSUER_JWKS_URI,
            "https://idp.example.com/.well-known/jwks.json",
        ),
        (JWT_AUTHORIZED_AUDIENCES, "api://one, two ,,"),
    ];

    #[test]
    fn defaults() {
        let config = config(&MINIMAL).unwrap();
        assert_eq!(config.audiences, vec!["api://one", "two"]);
        assert!(config.claims.verify_expiration);
        assert!(config.access.authorized_apis.is_none());
        assert!(config.accepted_issuers.is_none());
        assert_eq!(config.algorithms, AlgorithmSet::all());
        assert_eq!(config.claims.leeway_seconds, 60);
        assert_eq!(config.key_store.cache_ttl, Duration::from_secs(600));
        assert_eq!(config.key_store.refresh_cooldown, Duration::from_secs(10));
        assert_eq!(config.key_store.max_stale, Duration::from_secs(3600));
        assert_eq!(config.key_store.fetch_timeout, Duration::from_millis(2000));
        assert_eq!(config.key_store.max_bytes, 262_144);
        assert_eq!(config.claims.principal_id_claim, "sub");
        assert_eq!(config.decision_cache_max_entries, 10_000);
        assert!(config.metrics);
        assert_eq!(config.function_name, "ws-jwt-authorizer");
        assert_eq!(config.warnings().len(), 1);
    }

    #[test]
    fn settings_name_every_variable_and_read_back_to_the_same_configuration() {
        let custom = config(&[
            MINIMAL[0],
            MINIMAL[1],
            (JWT_VERIFY_EXPIRATION, "0"),
            (
                AUTHORIZED_APIS,
                "arn:aws:execute-api:eu-west-1:1:a/prod/*,arn:aws:execute-api:eu-west-1:1:b/*",
            ),
            (JWT_ISSUER, "https://one, https://two"),
            (JWT_ALGORITHMS, "ES256, RS256"),
            (JWT_LEEWAY_SECONDS, "5"),
            (JWKS_MAX_BYTES, "4096"),
            (DECISION_CACHE_MAX_ENTRIES, "0"),
            (JWT_REQUIRED_SCOPES, "a,b"),
            (JWT_MAX_AGE_SECONDS, "60"),
            (CONTEXT_CLAIMS, "x.y,z"),
            (TOKEN_SOURCES, "cookie,protocol"),
            (ALLOWED_ORIGINS, "https://a.example.com:8443"),
        ])
        .unwrap();
        let several = config(&[
            MINIMAL[1],
            (
                JWT_ISSUERS,
                r#"[{"issuer":"https://a.example.com"},{"issuer":"https://b.example.com","jwks_uri":"https://b.example.com/keys","audiences":["b"]}]"#,
            ),
        ])
        .unwrap();
        let kms = config(&[
            MINIMAL[1],
            (KMS_JWT_KEY_ID, KMS_ARN),
            (JWT_ISSUER, "https://issuer.example.com"),
        ])
        .unwrap();
        for source in [config(&MINIMAL).unwrap(), custom, several, kms] {
            let settings = source.settings();
            let names: Vec<&str> = settings.iter().map(|(name, _)| *name).collect();
            assert_eq!(names, variables());
            let again = Config::from_lookup(|name| {
                settings
                    .iter()
                    .find(|(variable, _)| *variable == name)
                    .map(|(_, value)| value.clone())
            })
            .unwrap();
            assert_eq!(again.settings(), settings);
        }
        let custom = config(&[MINIMAL[0], MINIMAL[1], (JWT_ALGORITHMS, "ES256, RS256")]).unwrap();
        let algorithms = custom
            .settings()
            .into_iter()
            .find(|(name, _)| *name == JWT_ALGORITHMS);
        assert_eq!(algorithms, Some((JWT_ALGORITHMS, "RS256,ES256".to_owned())));
    }

    #[test]
    fn a_shared_key_set_needs_an_issuer() {
        let entra =
            config(&[(JWT_PROVIDER, "entra"), (JWT_AUTHORIZED_AUDIENCES, "api")]).unwrap_err();
        assert_eq!(entra.variable, JWT_PROVIDER);
        assert!(entra.reason.contains("entra:TENANT_ID"), "{entra}");
        for url in [
            "https://login.microsoftonline.com/common/discovery/v2.0/keys",
            "https://www.googleapis.com/oauth2/v3/certs",
            "https://www.googleapis.com/service_accounts/v1/jwk/securetoken@system.gserviceaccount.com",
        ] {
            let vars = [(JWT_ISSUER_JWKS_URI, url), (JWT_AUTHORIZED_AUDIENCES, "api")];
            let error = config(&vars).unwrap_err();
            assert_eq!(error.variable, JWT_ISSUER, "{url}");
            let with_issuer = [vars[0], vars[1], (JWT_ISSUER, "https://issuer.example.com")];
            assert!(config(&with_issuer).is_ok(), "{url}");
        }
        assert!(config(&[
            (JWT_PROVIDER, "entra:t1"),
            (JWT_AUTHORIZED_AUDIENCES, "api")
        ])
        .is_ok());
        // A key set of one tenant without JWT_ISSUER stays allowed, with a warning.
        let own = config(&MINIMAL).unwrap();
        assert_eq!(own.warnings().len(), 1);
    }

    #[test]
    fn settings_show_key_set_urls_without_credentials() {
        let with_secrets = config(&[
            (
                JWT_ISSUER_JWKS_URI,
                "https://user:pw@idp.example.com/keys?api_key=k",
            ),
            (JWT_AUTHORIZED_AUDIENCES, "api"),
        ])
        .unwrap();
        assert_eq!(
            with_secrets.settings()[0].1,
            "https://***:***@idp.example.com/keys?api_key=***"
        );
        let issuers = config(&[
            (
                JWT_ISSUERS,
                r#"[{"issuer": "https://a.example.com", "jwks_uri": "https://a.example.com/k?token=t0p"}]"#,
            ),
            (JWT_AUTHORIZED_AUDIENCES, "api"),
        ])
        .unwrap();
        let shown =
            &issuers.settings()[variables().iter().position(|v| *v == JWT_ISSUERS).unwrap()].1;
        assert!(
            shown.contains("https://a.example.com/k?token=***"),
            "{shown}"
        );
        assert!(!shown.contains("t0p"), "{shown}");
    }

    #[test]
    fn every_variable_is_read() {
        let vars = [
            MINIMAL[0],
            MINIMAL[1],
            (JWT_VERIFY_EXPIRATION, "FALSE"),
            (
                AUTHORIZED_APIS,
                "arn:aws:execute-api:eu-west-1:123456789012:abc/*",
            ),
            (JWT_ISSUER, "https://a, https://b"),
            (JWT_ALGORITHMS, "RS256,ES256"),
            (JWT_LEEWAY_SECONDS, "5"),
            (JWKS_CACHE_TTL_SECONDS, "30"),
            (JWKS_MIN_TTL_SECONDS, "10"),
            (JWT_PROVIDER, "keycloak"),
            (JWT_REQUIRED_CLAIMS, r#"{"tenant": ["a", "b"]}"#),
            (JWKS_REFRESH_COOLDOWN_SECONDS, "0"),
            (JWKS_MAX_STALE_SECONDS, "0"),
            (JWKS_FETCH_TIMEOUT_MS, "500"),
            (JWKS_MAX_BACKOFF_SECONDS, "5"),
            (JWKS_MAX_BYTES, "4096"),
            (JWKS_TRUST_WEB_ROOTS, "true"),
            (PRINCIPAL_ID_CLAIM, "email"),
            (DECISION_CACHE_MAX_ENTRIES, "0"),
            (METRICS_ENABLED, "false"),
            (JWT_REQUIRED_SCOPES, "chat:write chat:read"),
            (JWT_REQUIRED_SCOPES_MODE, "ALL"),
            (JWT_MIN_REMAINING_SECONDS, "30"),
            (JWT_MAX_AGE_SECONDS, "86400"),
            (JWT_REQUIRED_TYP, "at+jwt"),
            (CONTEXT_CLAIMS, "realm_access.roles, email"),
            (CONTEXT_MAX_BYTES, "2048"),
            (TOKEN_SOURCES, "protocol, cookie,query"),
            (SUBPROTOCOL_TOKEN_PREFIX, "jwt."),
            (TOKEN_COOKIE_NAME, "session"),
            (
                ALLOWED_ORIGINS,
                "https://App.Example.com/, http://localhost:5173",
            ),
            (SIMPLE_RESPONSES, "true"),
            (ROUTE_SCOPES, r#"{"GET /orders/{id}": ["orders:read"]}"#),
        ];
        // JWT_ISSUERS replaces JWT_ISSUER; JWKS_JSON and KMS_JWT_KEY_ID
        // replace the URI; JWKS_FALLBACK_FILE needs a file: read in
        // `issuer_variables_are_read` and `kms_keys_are_the_issuers_keys`;
        // JWKS_CA_BUNDLE needs one too (read in `tls`'s tests).
        assert_eq!(vars.len() + 5, variables().len());
        let config = config(&vars).unwrap();
        assert!(!config.claims.verify_expiration);
        assert_eq!(
            config.access.authorized_apis.as_ref().map(Vec::len),
            Some(1)
        );
        assert_eq!(
            config.accepted_issuers,
            Some(vec!["https://a".to_owned(), "https://b".to_owned()])
        );
        assert_eq!(
            config.algorithms.iter().collect::<Vec<_>>(),
            vec![Algorithm::Rs256, Algorithm::Es256]
        );
        assert_eq!(config.claims.leeway_seconds, 5);
        assert_eq!(config.key_store.cache_ttl, Duration::from_secs(30));
        assert_eq!(config.key_store.refresh_cooldown, Duration::ZERO);
        assert_eq!(config.key_store.max_stale, Duration::ZERO);
        assert_eq!(config.key_store.fetch_timeout, Duration::from_millis(500));
        assert_eq!(config.key_store.max_bytes, 4096);
        assert!(config.key_store.trust.web_roots);
        assert_eq!(config.claims.principal_id_claim, "email");
        assert_eq!(config.decision_cache_max_entries, 0);
        assert!(!config.metrics);
        assert!(config.simple_responses);
        assert_eq!(config.access.route_scopes.routes().len(), 1);
        assert_eq!(
            config.access.required_scopes,
            Some(RequiredScopes {
                scopes: vec!["chat:write".to_owned(), "chat:read".to_owned()],
                mode: ScopeMode::All
            })
        );
        assert_eq!(config.claims.min_remaining_seconds, 30);
        assert_eq!(config.claims.audience_claims, vec!["azp"]);
        assert_eq!(config.claims.required_claims.len(), 1);
        assert_eq!(config.claims.max_age_seconds, Some(86_400));
        assert_eq!(config.required_typ.as_deref(), Some("at+jwt"));
        // Keycloak's preset adds azp and preferred_username.
        assert_eq!(config.context.claims().len(), 4);
        assert_eq!(config.context.max_bytes(), 2048);
        assert_eq!(
            config.transports,
            Transports {
                sources: vec![
                    TokenSource::Protocol,
                    TokenSource::Cookie,
                    TokenSource::Query
                ],
                protocol_prefix: "jwt.".to_owned(),
                cookie_name: "session".to_owned(),
            }
        );
        assert_eq!(
            config.access.allowed_origins,
            Some(vec![
                "https://app.example.com".to_owned(),
                "http://localhost:5173".to_owned()
            ])
        );
        // Expiry not verified; simple responses with route scopes.
        assert_eq!(config.warnings().len(), 2, "{:?}", config.warnings());
        assert!(config.warnings()[1].contains("$context.routeKey"));
    }

    #[test]
    fn issuer_variables_are_read() {
        let jwks = r#"{"keys":[{"kty":"EC","crv":"P-256","kid":"k1","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}]}"#;
        let inline = config(&[MINIMAL[1], (JWKS_JSON, jwks)]).unwrap();
        assert_eq!(inline.issuers.len(), 1);
        assert!(
            matches!(&inline.issuers[0].keys, KeySource::Inline(set) if set.get("k1").is_some())
        );
        assert_eq!(inline.key_store.min_ttl, Duration::from_secs(60));

        let discovery =
            config(&[MINIMAL[1], (JWT_ISSUER, "https://idp.example.com/realms/x")]).unwrap();
        assert_eq!(
            discovery.issuers[0].keys.to_string(),
            "discovery https://idp.example.com/realms/x/.well-known/openid-configuration"
        );

        let path = std::env::temp_dir().join(format!("jwks-fallback-{}.json", std::process::id()));
        std::fs::write(&path, jwks).unwrap();
        let path_text = path.to_string_lossy().into_owned();
        let fallback = config(&[MINIMAL[0], MINIMAL[1], (JWKS_FALLBACK_FILE, &path_text)]).unwrap();
        assert!(fallback
            .jwks_fallback
            .is_some_and(|set| set.len() == 1 && set.get("k1").is_some()));

        let several = config(&[
            MINIMAL[1],
            (
                JWT_ISSUERS,
                r#"[{"issuer":"https://a.example.com"},{"issuer":"https://b.example.com"}]"#,
            ),
        ])
        .unwrap();
        assert_eq!(several.issuers.len(), 2);
        assert_eq!(several.issuers[1].audiences, vec!["api://one", "two"]);
        let error = config(&[
            MINIMAL[1],
            (
                JWT_ISSUERS,
                r#"[{"issuer":"https://a.example.com"},{"issuer":"https://b.example.com"}]"#,
            ),
            (JWKS_FALLBACK_FILE, &path_text),
        ])
        .unwrap_err();
        assert_eq!(error.variable, JWKS_FALLBACK_FILE);
        std::fs::remove_file(&path).unwrap();
    }

    const KMS_ID: &str = "1234abcd-12ab-34cd-56ef-1234567890ab";
    const KMS_ARN: &str =
        "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";

    #[test]
    fn kms_keys_are_the_issuers_keys() {
        let other = "mrk-1234abcd12ab34cd56ef1234567890ab";
        let list = format!("{KMS_ARN}, {other}");
        let vars = [
            MINIMAL[1],
            (KMS_JWT_KEY_ID, list.as_str()),
            (JWT_ISSUER, "https://issuer.example.com"),
            (crate::kms::AWS_REGION, "us-east-2"),
        ];
        let kms = config(&vars).unwrap();
        assert_eq!(kms.issuers.len(), 1);
        let issuer = &kms.issuers[0];
        // JWT_ISSUER checks `iss` and finds no keys: no discovery.
        assert_eq!(
            issuer.names,
            Some(vec!["https://issuer.example.com".to_owned()])
        );
        let KeySource::Kms(keys) = &issuer.keys else {
            panic!("not KMS keys: {}", issuer.keys)
        };
        let regions: Vec<(&str, &str)> = keys
            .keys()
            .iter()
            .map(|key| (key.id.as_str(), key.region.as_str()))
            .collect();
        assert_eq!(regions, vec![(KMS_ID, "eu-west-1"), (other, "us-east-2")]);
        assert_eq!(
            issuer.keys.to_string(),
            format!("KMS keys {KMS_ID}, {other}")
        );
        let emulated = config(&[
            vars[0],
            vars[1],
            (crate::kms::AWS_DEFAULT_REGION, "us-east-2"),
            (crate::kms::AWS_ENDPOINT_URL, "http://127.0.0.1:1"),
            (crate::kms::AWS_ENDPOINT_URL_KMS, "http://localhost:5000"),
        ])
        .unwrap();
        let KeySource::Kms(keys) = &emulated.issuers[0].keys else {
            panic!("not KMS keys")
        };
        assert_eq!(keys.keys()[1].endpoint.as_str(), "http://localhost:5000/");
        assert_eq!(keys.keys()[1].region, "us-east-2");
        let entry = format!(
            r#"[{{"issuer": "https://a.example.com", "kms_key_ids": ["{KMS_ARN}"]}}, {{"issuer": "https://b.example.com"}}]"#
        );
        let listed = config(&[MINIMAL[1], (JWT_ISSUERS, &entry)]).unwrap();
        assert!(matches!(&listed.issuers[0].keys, KeySource::Kms(keys) if keys.contains(KMS_ID)));
        // Without KMS keys the endpoint variables are never read.
        let unused = config(&[
            MINIMAL[0],
            MINIMAL[1],
            (crate::kms::AWS_ENDPOINT_URL, "nonsense"),
        ]);
        assert!(unused.is_ok());
    }

    #[test]
    fn kms_mistakes_name_their_variable() {
        use crate::kms::{AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_KMS};
        let kms = (KMS_JWT_KEY_ID, KMS_ARN);
        let issuers = format!(r#"[{{"issuer": "https://a", "kms_key_ids": ["{KMS_ID}"]}}]"#);
        let path = std::env::temp_dir().join(format!("kms-fallback-{}.json", std::process::id()));
        let path_text = path.to_string_lossy().into_owned();
        let cases: &[(&[(&str, &str)], &str)] = &[
            (&[MINIMAL[0], MINIMAL[1], kms], KMS_JWT_KEY_ID),
            (
                &[MINIMAL[1], kms, (JWKS_JSON, r#"{"keys":[]}"#)],
                KMS_JWT_KEY_ID,
            ),
            (
                &[
                    MINIMAL[1],
                    kms,
                    (JWT_ISSUERS, r#"[{"issuer":"https://a"}]"#),
                ],
                KMS_JWT_KEY_ID,
            ),
            (&[MINIMAL[1], kms, (JWT_PROVIDER, "auth0")], KMS_JWT_KEY_ID),
            (&[MINIMAL[1], (KMS_JWT_KEY_ID, "alias/jwt")], KMS_JWT_KEY_ID),
            (&[MINIMAL[1], (KMS_JWT_KEY_ID, "not-a-key")], KMS_JWT_KEY_ID),
            (&[MINIMAL[1], (KMS_JWT_KEY_ID, KMS_ID)], KMS_JWT_KEY_ID),
            (&[MINIMAL[1], (KMS_JWT_KEY_ID, ",")], KMS_JWT_KEY_ID),
            (&[kms], JWT_AUTHORIZED_AUDIENCES),
            (
                &[
                    MINIMAL[1],
                    kms,
                    (AWS_ENDPOINT_URL_KMS, "http://kms.example.com"),
                ],
                AWS_ENDPOINT_URL_KMS,
            ),
            (
                &[MINIMAL[1], kms, (AWS_ENDPOINT_URL, "not a url")],
                AWS_ENDPOINT_URL,
            ),
            (&[MINIMAL[1], (JWT_ISSUERS, &issuers)], JWT_ISSUERS),
            (
                &[MINIMAL[1], kms, (JWKS_FALLBACK_FILE, &path_text)],
                JWKS_FALLBACK_FILE,
            ),
            (
                &[
                    MINIMAL[1],
                    kms,
                    (AWS_ENDPOINT_URL, "http://127.0.0.1:1/?a=b"),
                ],
                AWS_ENDPOINT_URL,
            ),
        ];
        std::fs::write(&path, r#"{"keys":[{"kty":"EC","crv":"P-256","kid":"k1","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}]}"#).unwrap();
        for (vars, variable) in cases {
            let error = config(vars).unwrap_err();
            assert_eq!(error.variable, *variable, "{vars:?}: {error}");
        }
        std::fs::remove_file(&path).unwrap();
        let contradiction = config(cases[0].0).unwrap_err();
        assert!(
            contradiction.reason.contains(JWT_ISSUER_JWKS_URI),
            "{contradiction}"
        );
        let regionless = config(cases[6].0).unwrap_err();
        assert!(regionless.reason.contains("AWS_REGION"), "{regionless}");
        let in_entry = config(cases[11].0).unwrap_err();
        assert!(in_entry.reason.contains("kms_key_ids"), "{in_entry}");
    }

    #[test]
    fn presets_fill_in_what_is_not_set() {
        let cognito = config(&[MINIMAL[1], (JWT_PROVIDER, "cognito:eu-west-1_Pool")]).unwrap();
        assert_eq!(
            cognito.issuers[0].keys.to_string(),
            "discovery https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Pool/.well-known/openid-configuration"
        );
        assert_eq!(cognito.claims.required_claims[0].name, "token_use");
        let names: Vec<&str> = cognito
            .context
            .claims()
            .iter()
            .map(ClaimPath::as_str)
            .collect();
        assert_eq!(names, vec!["cognito:groups", "username"]);
        let overridden = config(&[
            MINIMAL[0],
            MINIMAL[1],
            (JWT_PROVIDER, "cognito:eu-west-1_Pool"),
            (JWT_ISSUER, "https://other.example.com"),
            (JWT_REQUIRED_CLAIMS, r#"{"token_use": "id"}"#),
            (CONTEXT_CLAIMS, "email"),
        ])
        .unwrap();
        assert_eq!(
            overridden.issuers[0].names,
            Some(vec!["https://other.example.com".to_owned()])
        );
        assert_eq!(overridden.issuers[0].keys.to_string(), MINIMAL[0].1);
        assert_eq!(
            overridden.claims.required_claims[0].values,
            vec![serde_json::json!("id")]
        );
        assert_eq!(overridden.context.claims().len(), 3);
        let firebase = config(&[(JWT_PROVIDER, "firebase:chat-app")]).unwrap();
        assert!(firebase.claims.check_auth_time);
        assert_eq!(
            firebase.audiences,
            vec!["chat-app"],
            "the project is the audience"
        );
        assert_eq!(
            firebase.issuers[0].keys.to_string(),
            "https://www.googleapis.com/service_accounts/v1/jwk/securetoken@system.gserviceaccount.com"
        );
        let auth0 = config(&[MINIMAL[0], MINIMAL[1], (JWT_PROVIDER, "auth0")]).unwrap();
        assert_eq!(
            auth0.access.scope_claims,
            vec!["scope", "scp", "permissions"]
        );
        for (name, value) in [
            (JWT_PROVIDER, "google"),
            (JWT_PROVIDER, "cognito:nopool"),
            (JWT_REQUIRED_CLAIMS, "[]"),
        ] {
            let error = config(&[MINIMAL[0], MINIMAL[1], (name, value)]).unwrap_err();
            assert_eq!(error.variable, name, "{value}");
        }
    }

    #[test]
    fn booleans_accept_any_case_and_digits() {
        for (value, expected) in [
            ("true", true),
            ("TRUE", true),
            ("1", true),
            ("False", false),
            ("0", false),
        ] {
            let config = config(&[MINIMAL[0], MINIMAL[1], (JWT_VERIFY_EXPIRATION, value)]).unwrap();
            assert_eq!(config.claims.verify_expiration, expected, "{value}");
        }
    }

    #[test]
    fn errors_name_the_variable() {
        let cases: &[(&[(&str, &str)], &str)] = &[
            (&[MINIMAL[1]], JWT_ISSUER_JWKS_URI),
            (&[MINIMAL[0]], JWT_AUTHORIZED_AUDIENCES),
            (
                &[MINIMAL[0], (JWT_AUTHORIZED_AUDIENCES, " , ")],
                JWT_AUTHORIZED_AUDIENCES,
            ),
            (
                &[
                    (JWT_ISSUER_JWKS_URI, "http://idp.example.com/jwks"),
                    MINIMAL[1],
                ],
                JWT_ISSUER_JWKS_URI,
            ),
            (
                &[(JWT_ISSUER_JWKS_URI, "ftp://127.0.0.1/jwks"), MINIMAL[1]],
                JWT_ISSUER_JWKS_URI,
            ),
            (
                &[(JWT_ISSUER_JWKS_URI, "not a url"), MINIMAL[1]],
                JWT_ISSUER_JWKS_URI,
            ),
            (
                &[MINIMAL[0], MINIMAL[1], (JWT_VERIFY_EXPIRATION, "yes")],
                JWT_VERIFY_EXPIRATION,
            ),
            (
                &[MINIMAL[0], MINIMAL[1], (JWT_ALGORITHMS, "HS256")],
                JWT_ALGORITHMS,
            ),
            (
                &[MINIMAL[0], MINIMAL[1], (JWT_ALGORITHMS, "none")],
                JWT_ALGORITHMS,
            ),
            (
                &[MINIMAL[0], MINIMAL[1], (JWT_ALGORITHMS, ",")],
                JWT_ALGORITHMS,
            ),
            (
                &[MINIMAL[0], MINIMAL[1], (JWT_LEEWAY_SECONDS, "-1")],
                JWT_LEEWAY_SECONDS,
            ),
            (
                &[MINIMAL[0], MINIMAL[1], (JWKS_CACHE_TTL_SECONDS, "0")],
                JWKS_CACHE_TTL_SECONDS,
            ),
            (
                &[MINIMAL[0], MINIMAL[1], (JWKS_FETCH_TIMEOUT_MS, "30000")],
                JWKS_FETCH_TIMEOUT_MS,
            ),
            (
                &[MINIMAL[0], MINIMAL[1], (JWKS_MAX_BYTES, "ten")],
                JWKS_MAX_BYTES,
            ),
            (
                &[MINIMAL[0], MINIMAL[1], (AUTHORIZED_APIS, "abcdef/prod")],
                AUTHORIZED_APIS,
            ),
            (
                &[MINIMAL[0], MINIMAL[1], (JWT_REQUIRED_SCOPES_MODE, "some")],
                JWT_REQUIRED_SCOPES_MODE,
            ),
            (
                &[MINIMAL[0], MINIMAL[1], (JWT_MAX_AGE_SECONDS, "0")],
                JWT_MAX_AGE_SECONDS,
            ),
            (
                &[MINIMAL[0], MINIMAL[1], (CONTEXT_CLAIMS, "a..b")],
                CONTEXT_CLAIMS,
            ),
            (
                &[MINIMAL[0], MINIMAL[1], (TOKEN_SOURCES, "query,body")],
                TOKEN_SOURCES,
            ),
            (
                &[MINIMAL[0], MINIMAL[1], (TOKEN_SOURCES, "cookie")],
                TOKEN_SOURCES,
            ),
            (
                &[MINIMAL[0], MINIMAL[1], (SUBPROTOCOL_TOKEN_PREFIX, "bad prefix")],
                SUBPROTOCOL_TOKEN_PREFIX,
            ),
            (
                &[MINIMAL[0], MINIMAL[1], (TOKEN_COOKIE_NAME, "a;b")],
                TOKEN_COOKIE_NAME,
            ),
            (
                &[MINIMAL[0], MINIMAL[1], (ALLOWED_ORIGINS, "https://a.example.com/app")],
                ALLOWED_ORIGINS,
            ),
            (
                &[MINIMAL[0], MINIMAL[1], (ALLOWED_ORIGINS, "*")],
                ALLOWED_ORIGINS,
            ),
            (
                &[MINIMAL[0], MINIMAL[1], (JWT_ISSUERS, r#"[{"issuer":"https://a"}]"#)],
                JWT_ISSUERS,
            ),
            (
                &[MINIMAL[1], (JWT_ISSUERS, r#"[{"issuer":"https://a"}]"#), (JWT_ISSUER, "https://a")],
                JWT_ISSUERS,
            ),
            (&[MINIMAL[1], (JWT_ISSUERS, "[")], JWT_ISSUERS),
            (&[MINIMAL[0], MINIMAL[1], (JWKS_JSON, r#"{"keys":[]}"#)], JWKS_JSON),
            (&[MINIMAL[1], (JWKS_JSON, r#"{"keys":[]}"#)], JWKS_JSON),
            (&[MINIMAL[1], (JWT_ISSUER, "https://a,https://b")], JWT_ISSUER_JWKS_URI),
            (&[MINIMAL[1], (JWT_ISSUER, "http://idp.example.com")], JWT_ISSUER),
            (
                &[MINIMAL[0], MINIMAL[1], (JWKS_FALLBACK_FILE, "/nonexistent/jwks.json")],
                JWKS_FALLBACK_FILE,
            ),
            (
                &[MINIMAL[0], MINIMAL[1], (JWKS_MIN_TTL_SECONDS, "700")],
                JWKS_MIN_TTL_SECONDS,
            ),
            (
                &[
                    MINIMAL[0],
                    MINIMAL[1],
                    (CONTEXT_CLAIMS, "a_long_claim_name_for_the_budget,another_long_claim_name_here,and_a_third_long_claim_name_xx,fourth_long_claim_name_to_pass_it,fifth_long_claim_name_over_budget,sixth_long_claim_name_over_budget,seventh_long_claim_name_over_budget"),
                    (CONTEXT_MAX_BYTES, "512"),
                ],
                CONTEXT_CLAIMS,
            ),
        ];
        for (vars, variable) in cases {
            let error = config(vars).unwrap_err();
            assert_eq!(error.variable, *variable, "{vars:?}");
            assert!(error.to_string().starts_with(variable), "{error}");
        }
    }

    #[test]
    fn plain_http_only_on_loopback() {
        for uri in [
            "http://127.0.0.1:9000/jwks",
            "http://localhost/jwks",
            "http://[::1]:80/jwks",
            "http://127.1.2.3/jwks",
        ] {
            assert!(
                config(&[(JWT_ISSUER_JWKS_URI, uri), MINIMAL[1]]).is_ok(),
                "{uri}"
            );
        }
        for uri in [
            "http://10.0.0.1/jwks",
            "http://localhost.example.com/jwks",
            "http://[::2]/jwks",
        ] {
            assert!(
                config(&[(JWT_ISSUER_JWKS_URI, uri), MINIMAL[1]]).is_err(),
                "{uri}"
            );
        }
    }

    #[test]
    fn empty_optional_values_count_as_unset() {
        let config = config(&[
            MINIMAL[0],
            MINIMAL[1],
            (JWT_ISSUER, ""),
            (AUTHORIZED_APIS, " "),
        ])
        .unwrap();
        assert!(config.accepted_issuers.is_none());
        assert!(config.access.authorized_apis.is_none());
    }
}
