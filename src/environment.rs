//! Reading the configuration as the Lambda starts and the commands run:
//! from the process environment, with every problem at once (each refused
//! value, and each misspelt variable with the name meant), so that a user
//! fixes them all before deploying again.

use crate::config::{variables, Config};
use crate::settings::problems::{unknown_variables, Problems};

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
    /// shows; it stops when leaving one out is a problem itself (a required
    /// variable).
    pub fn from_lookup_reporting_all<'a>(
        lookup: impl Fn(&str) -> Option<String>,
        present: impl IntoIterator<Item = &'a str>,
    ) -> Result<Self, Problems> {
        let known = variables();
        let mut problems = unknown_variables(present, &known);
        let mut left_out: Vec<&'static str> = Vec::new();
        let config = loop {
            let read = Self::from_lookup(|name| {
                (!left_out.contains(&name)).then(|| lookup(name)).flatten()
            });
            match read {
                Ok(config) => break Some(config),
                Err(error) if left_out.contains(&error.variable) => break None,
                Err(error) => {
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
