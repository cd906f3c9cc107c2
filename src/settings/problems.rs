//! Every problem of a configuration at once: a user with two bad values
//! fixes both before deploying again. And a misspelt variable is a problem
//! too: an authorizer that ignored `JWT_REQURED_SCOPES=admin` would run
//! without the check its operator meant to turn on, so a variable with one
//! of this authorizer's prefixes that it does not read stops the start,
//! with the nearest name it does read suggested.

use std::fmt;

use super::ConfigError;

/// The prefixes of every variable this authorizer reads: a variable with one
/// of them that it does not read is a mistake, not someone else's setting.
pub const PREFIXES: [&str; 13] = [
    "JWT_",
    "JWKS_",
    "AUTHORIZED_",
    "CONTEXT_",
    "TOKEN_",
    "DECISION_",
    "SUBPROTOCOL_",
    "ALLOWED_",
    "PRINCIPAL_",
    "METRICS_",
    "KMS_",
    "SIMPLE_",
    "ROUTE_",
];

/// One problem: the variable at fault and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The environment variable.
    pub variable: String,
    /// What is wrong, for a person.
    pub reason: String,
}

impl From<ConfigError> for Problem {
    fn from(error: ConfigError) -> Self {
        Problem {
            variable: error.variable.to_owned(),
            reason: error.reason,
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{}: {}", self.variable, self.reason)
    }
}

/// The problems of one configuration, in the order found (at least one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problems(pub Vec<Problem>);

impl fmt::Display for Problems {
    /// One problem per line.
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (position, problem) in self.0.iter().enumerate() {
            if position > 0 {
                formatter.write_str("\n")?;
            }
            write!(formatter, "{problem}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Problems {}

/// The variables of `present` with one of [`PREFIXES`] that are not in
/// `known`, each with the nearest known name when one is close, sorted.
pub fn unknown_variables<'a>(
    present: impl IntoIterator<Item = &'a str>,
    known: &[&str],
) -> Vec<Problem> {
    let mut unknown: Vec<Problem> = present
        .into_iter()
        .filter(|name| PREFIXES.iter().any(|prefix| name.starts_with(prefix)))
        .filter(|name| !known.contains(name))
        .map(|name| Problem {
            variable: name.to_owned(),
            reason: match nearest(name, known) {
                Some(near) => format!("is not a variable of this authorizer: did you mean {near}?"),
                None => "is not a variable of this authorizer (see --help for the list)".to_owned(),
            },
        })
        .collect();
    unknown.sort_by(|a, b| a.variable.cmp(&b.variable));
    unknown
}

/// The known name closest to `name`, if it is a likely typo of it: at most
/// a third of its characters away, and never more than four edits.
fn nearest<'k>(name: &str, known: &[&'k str]) -> Option<&'k str> {
    let limit = (name.len() / 3).clamp(1, 4);
    known
        .iter()
        .map(|candidate| (edit_distance(name, candidate), *candidate))
        .filter(|(distance, _)| *distance <= limit)
        .min()
        .map(|(_, candidate)| candidate)
}

/// Levenshtein distance, over bytes (variable names are ASCII).
fn edit_distance(a: &str, b: &str) -> usize {
    let b = b.as_bytes();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, left) in a.bytes().enumerate() {
        let mut current = vec![i + 1; b.len() + 1];
        for (j, right) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(left != *right);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    const KNOWN: [&str; 4] = [
        "JWT_LEEWAY_SECONDS",
        "JWT_REQUIRED_SCOPES",
        "JWT_ISSUER",
        "AUTHORIZED_APIS",
    ];

    #[test]
    fn a_misspelt_variable_is_named_with_the_one_meant() {
        let problems = unknown_variables(
            [
                "JWT_REQURED_SCOPES",
                "JWT_LEWAY_SECONDS",
                "JWT_ISSUER",
                "PATH",
                "AWS_REGION",
                "SSL_CERT_FILE",
                "JWT_SOMETHING_ELSE_ENTIRELY",
                "authorized_apis",
            ],
            &KNOWN,
        );
        assert_eq!(
            problems
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>(),
            [
                "JWT_LEWAY_SECONDS: is not a variable of this authorizer: did you mean JWT_LEEWAY_SECONDS?",
                "JWT_REQURED_SCOPES: is not a variable of this authorizer: did you mean JWT_REQUIRED_SCOPES?",
                "JWT_SOMETHING_ELSE_ENTIRELY: is not a variable of this authorizer (see --help for the list)",
            ]
        );
    }

    #[test]
    fn distances() {
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("JWT_ISSUER", "JWT_ISSUER"), 0);
        assert_eq!(nearest("JWT_ISSUERS", &KNOWN), Some("JWT_ISSUER"));
        assert_eq!(nearest("JWT_X", &KNOWN), None);
    }

    #[test]
    fn problems_are_one_per_line() {
        let problems = Problems(vec![
            Problem::from(ConfigError::new("JWT_ISSUER", "bad")),
            Problem {
                variable: "JWT_X".to_owned(),
                reason: "unknown".to_owned(),
            },
        ]);
        assert_eq!(problems.to_string(), "JWT_ISSUER: bad\nJWT_X: unknown");
    }
}
