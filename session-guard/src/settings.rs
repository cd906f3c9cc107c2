//! The guard's settings, from its environment (Terraform sets them on the
//! Lambda and prints them in the revoke command).

/// What the schedules target: the guard itself, invoked by Scheduler with
/// its own role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleTarget {
    /// The guard Lambda's ARN.
    pub function_arn: String,
    /// The role Scheduler assumes to invoke it.
    pub role_arn: String,
    /// `SESSION_GUARD_DEAD_LETTER_ARN`: the SQS queue where Scheduler puts a
    /// firing it could not hand to the guard after its retries, instead of
    /// dropping it (the module's failure queue).
    pub dead_letter_arn: Option<String>,
}

/// Where the guard finds its services, from its environment (Terraform
/// sets these on the Lambda and prints them in the revoke command).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// `SESSION_GUARD_SCHEDULE_GROUP`.
    pub group: String,
    /// `SESSION_GUARD_MANAGEMENT_ENDPOINT`.
    pub management_endpoint: String,
    /// `SESSION_GUARD_FUNCTION_ARN` and `SESSION_GUARD_SCHEDULER_ROLE_ARN`.
    pub target: Option<ScheduleTarget>,
}

impl Settings {
    /// Reads the settings through `lookup` (the environment in the binary).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, String> {
        // An empty value counts as unset, as Terraform writes empty strings.
        let set = |name: &str| lookup(name).filter(|value| !value.trim().is_empty());
        let required = |name: &str| set(name).ok_or_else(|| format!("{name} is not set"));
        let target =
            match (
                set("SESSION_GUARD_FUNCTION_ARN"),
                set("SESSION_GUARD_SCHEDULER_ROLE_ARN"),
            ) {
                (Some(function_arn), Some(role_arn)) => Some(ScheduleTarget {
                    function_arn,
                    role_arn,
                    dead_letter_arn: set("SESSION_GUARD_DEAD_LETTER_ARN"),
                }),
                (None, None) => None,
                _ => return Err(
                    "SESSION_GUARD_FUNCTION_ARN and SESSION_GUARD_SCHEDULER_ROLE_ARN go together"
                        .into(),
                ),
            };
        Ok(Settings {
            group: required("SESSION_GUARD_SCHEDULE_GROUP")?,
            management_endpoint: management_endpoint(required(
                "SESSION_GUARD_MANAGEMENT_ENDPOINT",
            )?)?,
            target,
        })
    }
}

/// The Management API is HTTPS (`http://` only on loopback, for the local
/// gateway): a `wss://` URL, the WebSocket's own, would fail only at each
/// call, after the connection should have ended.
fn management_endpoint(value: String) -> Result<String, String> {
    let value = value.trim().to_owned();
    let loopback = ["http://127.0.0.1:", "http://localhost:", "http://[::1]:"];
    if value.starts_with("https://") || loopback.iter().any(|prefix| value.starts_with(prefix)) {
        Ok(value)
    } else {
        Err(format!(
            "SESSION_GUARD_MANAGEMENT_ENDPOINT must be an https:// URL (http:// on loopback), got {value:?}"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(pairs: &'a [(&str, &str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            pairs
                .iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| (*value).to_owned())
        }
    }

    #[test]
    fn settings_need_the_group_and_endpoint_and_both_or_neither_target_variables() {
        let base = [
            ("SESSION_GUARD_SCHEDULE_GROUP", "g"),
            (
                "SESSION_GUARD_MANAGEMENT_ENDPOINT",
                "https://a.execute-api.eu-west-1.amazonaws.com/prod",
            ),
        ];
        assert_eq!(
            Settings::from_lookup(env(&base)),
            Ok(Settings {
                group: "g".into(),
                management_endpoint: "https://a.execute-api.eu-west-1.amazonaws.com/prod".into(),
                target: None,
            })
        );
        let mut with_target = base.to_vec();
        with_target.push(("SESSION_GUARD_FUNCTION_ARN", "arn:f"));
        assert!(Settings::from_lookup(env(&with_target)).is_err());
        with_target.push(("SESSION_GUARD_SCHEDULER_ROLE_ARN", "arn:r"));
        assert_eq!(
            Settings::from_lookup(env(&with_target)).unwrap().target,
            Some(ScheduleTarget {
                function_arn: "arn:f".into(),
                role_arn: "arn:r".into(),
                dead_letter_arn: None,
            })
        );
        with_target.push(("SESSION_GUARD_DEAD_LETTER_ARN", "arn:q"));
        assert_eq!(
            Settings::from_lookup(env(&with_target))
                .unwrap()
                .target
                .and_then(|target| target.dead_letter_arn),
            Some("arn:q".into())
        );
        assert_eq!(
            Settings::from_lookup(env(&base[..1])),
            Err("SESSION_GUARD_MANAGEMENT_ENDPOINT is not set".into())
        );
        // Terraform writes empty strings for what is not set.
        let mut empty_target = base.to_vec();
        empty_target.push(("SESSION_GUARD_FUNCTION_ARN", ""));
        empty_target.push(("SESSION_GUARD_SCHEDULER_ROLE_ARN", " "));
        assert_eq!(
            Settings::from_lookup(env(&empty_target)).unwrap().target,
            None
        );
        empty_target[2] = ("SESSION_GUARD_FUNCTION_ARN", "arn:f");
        assert!(Settings::from_lookup(env(&empty_target)).is_err());
    }

    #[test]
    fn the_management_endpoint_is_https_or_loopback() {
        for endpoint in [
            "https://a.execute-api.eu-west-1.amazonaws.com/prod",
            "http://127.0.0.1:8080/local",
        ] {
            assert_eq!(management_endpoint(endpoint.into()), Ok(endpoint.into()));
        }
        for endpoint in [
            "wss://a.execute-api.eu-west-1.amazonaws.com/prod",
            "http://a.execute-api.eu-west-1.amazonaws.com/prod",
            "a.execute-api.eu-west-1.amazonaws.com/prod",
        ] {
            assert!(
                management_endpoint(endpoint.into())
                    .unwrap_err()
                    .starts_with("SESSION_GUARD_MANAGEMENT_ENDPOINT must be an https:// URL"),
                "{endpoint}"
            );
        }
    }
}
