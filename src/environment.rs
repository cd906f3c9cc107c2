//! Reading the configuration as the Lambda starts and the commands run:
//! from the process environment, with every problem at once (each refused
//! value, and each misspelt variable with the name meant), so that a user
//! fixes them all before deploying again.

use crate::config::{
    variables, Config, JWKS_JSON, JWT_AUTHORIZED_AUDIENCES, JWT_ISSUER, JWT_ISSUERS,
    JWT_ISSUER_JWKS_URI, JWT_PROVIDER, KMS_JWT_KEY_ID,
};
use crate::settings::problems::{unknown_variables, Problems};

/// The variables that name where the keys come from: leaving one out would
/// only make another say that no key source is configured.
const KEY_SOURCES: [&str; 6] = [
    JWT_ISSUER_JWKS_URI,
    JWKS_JSON,
    JWT_ISSUERS,
    JWT_ISSUER,
    KMS_JWT_KEY_ID,
    JWT_PROVIDER,
];

/// The key source the reading goes on with once the configured one was
/// refused: a URL that is never fetched (reading the configuration fetches
/// nothing), so every other variable is still checked.
const STAND_IN_KEY_SOURCE: &str = "https://key-source.invalid/jwks";

/// The required variable that is not a key source, and the stand-in the
/// reading goes on with once its absence is reported.
const STAND_IN_AUDIENCE: (&str, &str) = (JWT_AUTHORIZED_AUDIENCES, "stand-in-audience");

impl Config {
    /// Reads the configuration from the process environment, with every
    /// problem at once: how the Lambda starts and the commands read it.
    pub fn from_environment() -> Result<Self, Problems> {
        let names: Vec<String> = std::env::vars_os()
            .filter_map(|(name, _)| name.into_string().ok())
            .collect();
        Self::from_lookup_reporting_all(
            |name| std::env::var(name).ok(),
            names.iter().map(String::as_str),
        )
    }

    /// Reads the configuration through `lookup`, finding every problem:
    /// each variable of `present` with one of the authorizer's prefixes
    /// that it does not read, then each refused value. After a refusal the
    /// reading goes on with that variable left out, so the next problem
    /// shows; after a refused key source, with a stand-in key source in
    /// place of them all, so that no "no key source" follows from it. It
    /// stops when leaving a variable out is a problem itself (a required
    /// one).
    pub fn from_lookup_reporting_all<'a>(
        lookup: impl Fn(&str) -> Option<String>,
        present: impl IntoIterator<Item = &'a str>,
    ) -> Result<Self, Problems> {
        let known = variables();
        let mut problems = unknown_variables(present, &known);
        let mut left_out: Vec<&'static str> = Vec::new();
        let mut stand_in = false;
        let config = loop {
            let read = Self::from_lookup(|name| {
                if stand_in && KEY_SOURCES.contains(&name) {
                    return (name == JWT_ISSUER_JWKS_URI).then(|| STAND_IN_KEY_SOURCE.to_owned());
                }
                if name == STAND_IN_AUDIENCE.0 && left_out.contains(&name) {
                    return Some(STAND_IN_AUDIENCE.1.to_owned());
                }
                (!left_out.contains(&name)).then(|| lookup(name)).flatten()
            });
            match read {
                Ok(config) => break Some(config),
                Err(error) if left_out.contains(&error.variable) => break None,
                Err(error) if KEY_SOURCES.contains(&error.variable) && stand_in => break None,
                Err(error) => {
                    stand_in |= KEY_SOURCES.contains(&error.variable);
                    left_out.push(error.variable);
                    problems.push(error.into());
                    if left_out.len() > known.len() {
                        break None;
                    }
                }
            }
        };
        match config {
            Some(config) if problems.is_empty() => Ok(config),
            _ => Err(Problems(problems)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(vars: &[(&str, &str)]) -> Vec<String> {
        let lookup = |name: &str| {
            vars.iter()
                .find(|(variable, _)| *variable == name)
                .map(|(_, value)| (*value).to_owned())
        };
        match Config::from_lookup_reporting_all(lookup, vars.iter().map(|(name, _)| *name)) {
            Ok(_) => Vec::new(),
            Err(problems) => problems.0.iter().map(|p| p.variable.clone()).collect(),
        }
    }

    /// A refused key source is reported once, and the reading goes on to the
    /// other variables, with no "is required" that would only follow from it.
    #[test]
    fn a_refused_key_source_hides_nothing_and_adds_nothing() {
        for source in [
            (JWKS_JSON, "{"),
            (JWT_ISSUER_JWKS_URI, "http://example.com/jwks"),
            (JWT_PROVIDER, "nope"),
            (JWT_ISSUER, "not a url"),
            (JWT_ISSUERS, "[{]"),
        ] {
            let found = problems(&[
                source,
                ("JWT_LEEWAY_SECONDS", "abc"),
                ("JWT_REQUIRED_SCOPES_MODE", "bogus"),
            ]);
            assert_eq!(found[0], source.0, "{source:?}: {found:?}");
            for expected in [
                "JWT_LEEWAY_SECONDS",
                "JWT_REQUIRED_SCOPES_MODE",
                "JWT_AUTHORIZED_AUDIENCES",
            ] {
                assert!(
                    found.contains(&expected.to_owned()),
                    "{source:?}: {found:?}"
                );
            }
            assert!(
                !found[1..]
                    .iter()
                    .any(|variable| KEY_SOURCES.contains(&variable.as_str())),
                "{source:?}: {found:?}"
            );
        }
        assert_eq!(
            problems(&[("JWT_AUTHORIZED_AUDIENCES", "api")]),
            [JWT_ISSUER_JWKS_URI]
        );
    }
}
