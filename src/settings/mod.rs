//! Reading environment variables: one reader that trims, treats empty as
//! unset and validates, so each group of rules reads its own settings the
//! same way and every refusal names its variable.

pub mod problems;
pub mod provider;

use std::ops::RangeInclusive;

use crate::redact::redact_urls_in;

/// A variable is missing or has a value that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{variable}: {reason}")]
pub struct ConfigError {
    /// The environment variable at fault.
    pub variable: &'static str,
    /// What is wrong with it, for a person.
    pub reason: String,
}

impl ConfigError {
    /// The error of `variable`, for the reason given. A URL quoted in the
    /// reason is shown redacted, whoever wrote the reason: it is printed at
    /// start-up, by `check-config` and in the init error Lambda shows.
    pub fn new(variable: &'static str, reason: impl Into<String>) -> Self {
        ConfigError {
            variable,
            reason: redact_urls_in(&reason.into()),
        }
    }
}

/// The variables, through a lookup that returns a variable's value.
pub struct Env<'a> {
    lookup: &'a dyn Fn(&str) -> Option<String>,
}

impl<'a> Env<'a> {
    /// Reads through `lookup`. An empty value counts as unset, as Terraform
    /// writes empty strings for optional variables.
    pub fn new(lookup: &'a dyn Fn(&str) -> Option<String>) -> Self {
        Env { lookup }
    }

    /// The value, trimmed; `None` when unset or empty.
    pub fn text(&self, variable: &str) -> Option<String> {
        (self.lookup)(variable)
            .map(|value| value.trim().to_owned())
            .filter(|value| !value.is_empty())
    }

    /// A comma list, items trimmed, empty items dropped; `None` when unset.
    /// A value of commas alone is an empty list, not an unset variable:
    /// whether that is an error or "none" is the caller's rule.
    pub fn list(&self, variable: &str) -> Option<Vec<String>> {
        self.text(variable).map(|value| comma_list(&value))
    }

    /// A comma list of which each item must parse.
    pub fn parsed_list<T>(
        &self,
        variable: &'static str,
        parse: impl Fn(&str) -> Result<T, String>,
    ) -> Result<Option<Vec<T>>, ConfigError> {
        self.list(variable)
            .map(|items| {
                items
                    .iter()
                    .map(|item| parse(item).map_err(|reason| ConfigError::new(variable, reason)))
                    .collect()
            })
            .transpose()
    }

    /// A true/false variable that is on unless set otherwise.
    pub fn flag(&self, variable: &'static str) -> Result<bool, ConfigError> {
        self.flag_or(variable, true)
    }

    /// A true/false variable, `default` when unset.
    pub fn flag_or(&self, variable: &'static str, default: bool) -> Result<bool, ConfigError> {
        match self.text(variable) {
            None => Ok(default),
            Some(value) => parse_bool(&value).ok_or_else(|| {
                ConfigError::new(
                    variable,
                    format!("must be true, false, 1 or 0, got {value:?}"),
                )
            }),
        }
    }

    /// A whole number within `range`, `default` when unset.
    pub fn number(
        &self,
        variable: &'static str,
        default: u64,
        range: RangeInclusive<u64>,
    ) -> Result<u64, ConfigError> {
        let Some(value) = self.text(variable) else {
            return Ok(default);
        };
        let number: u64 = value.parse().map_err(|_| {
            ConfigError::new(variable, format!("must be a whole number, got {value:?}"))
        })?;
        if !range.contains(&number) {
            return Err(ConfigError::new(
                variable,
                format!(
                    "must be between {} and {}, got {number}",
                    range.start(),
                    range.end()
                ),
            ));
        }
        Ok(number)
    }

    /// A whole number within `range`, `None` when unset.
    pub fn optional_number(
        &self,
        variable: &'static str,
        range: RangeInclusive<u64>,
    ) -> Result<Option<u64>, ConfigError> {
        match self.text(variable) {
            None => Ok(None),
            Some(_) => self.number(variable, *range.start(), range).map(Some),
        }
    }
}

/// Items of a comma list, trimmed, without empty ones.
pub fn comma_list(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(str::to_owned)
        .collect()
}

fn parse_bool(value: &str) -> Option<bool> {
    if value.eq_ignore_ascii_case("true") || value == "1" {
        Some(true)
    } else if value.eq_ignore_ascii_case("false") || value == "0" {
        Some(false)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with<T>(value: &str, read: impl Fn(&Env) -> T) -> T {
        let value = value.to_owned();
        let lookup = move |name: &str| (name == "V").then(|| value.clone());
        read(&Env::new(&lookup))
    }

    #[test]
    fn empty_and_blank_values_are_unset() {
        assert_eq!(with("", |env| env.text("V")), None);
        assert_eq!(with("  ", |env| env.text("V")), None);
        assert_eq!(with(" a ", |env| env.text("V")), Some("a".to_owned()));
        assert_eq!(with(" , ,", |env| env.list("V")), Some(vec![]));
        assert_eq!(
            with("a, b,,", |env| env.list("V")),
            Some(vec!["a".to_owned(), "b".to_owned()])
        );
    }

    #[test]
    fn numbers_and_flags_name_the_variable() {
        assert_eq!(with("", |env| env.number("V", 7, 1..=9)), Ok(7));
        assert_eq!(with("9", |env| env.number("V", 7, 1..=9)), Ok(9));
        assert_eq!(
            with("10", |env| env.number("V", 7, 1..=9)),
            Err(ConfigError::new("V", "must be between 1 and 9, got 10"))
        );
        assert_eq!(
            with("-1", |env| env.number("V", 7, 1..=9)).map_err(|error| error.to_string()),
            Err("V: must be a whole number, got \"-1\"".to_owned())
        );
        assert_eq!(with("", |env| env.optional_number("V", 1..=9)), Ok(None));
        assert_eq!(
            with("0", |env| env.optional_number("V", 1..=9)),
            Err(ConfigError::new("V", "must be between 1 and 9, got 0"))
        );
        assert_eq!(with("FALSE", |env| env.flag("V")), Ok(false));
        assert_eq!(with("1", |env| env.flag("V")), Ok(true));
        assert_eq!(with("", |env| env.flag("V")), Ok(true));
        assert!(with("yes", |env| env.flag("V")).is_err());
    }
}
