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
///
/// Judged on the parsed URL, never on its text: `http://127.0.0.1:1@example.com/`
/// begins like a loopback address, but its host is `example.com` (what
/// precedes `@` is user info). User info is refused in any endpoint: the
/// SDK signs its requests, a password in the URL has no use, and it would
/// be printed wherever the endpoint is. So are a query and a fragment,
/// which a stage's URL never has. The value kept is the URL as parsed and
/// written back, so the SDK is handed exactly what was judged (a `\` that
/// the parser read as `/`, say, is a `/` in what the SDK gets).
fn management_endpoint(value: String) -> Result<String, String> {
    const NAME: &str = "SESSION_GUARD_MANAGEMENT_ENDPOINT";
    let value = value.trim();
    let url = url::Url::parse(value).map_err(|error| {
        format!("{NAME} must be an https:// URL (http:// on loopback): not a URL ({error})")
    })?;
    // The value is not quoted when it carries user info: it may hold a
    // password.
    if !url.username().is_empty() || url.password().is_some() {
        return Err(format!(
            "{NAME} must not carry user info (user:password@ before the host); \
             the guard signs its calls with its role"
        ));
    }
    let loopback = match url.host() {
        Some(url::Host::Domain(domain)) => domain == "localhost",
        Some(url::Host::Ipv4(address)) => address.is_loopback(),
        Some(url::Host::Ipv6(address)) => address.is_loopback(),
        None => false,
    };
    match url.scheme() {
        "https" if url.host().is_some() => {}
        "http" if loopback => {}
        _ => {
            return Err(format!(
                "{NAME} must be an https:// URL (http:// on loopback), got {value:?}"
            ))
        }
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(format!(
            "{NAME} must be the stage's URL, without a query or fragment, got {value:?}"
        ));
    }
    let mut written = url.to_string();
    // The parser writes an empty path as `/`; keep the value's own form.
    if !value.ends_with('/') && url.path() == "/" {
        written.pop();
    }
    Ok(written)
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
            "https://ws.example.com/",
            "https://ws.example.com",
            "http://127.0.0.1:8080/local",
            "http://127.0.0.1/local",
            "http://localhost:9000/local",
            "http://[::1]:9000/local",
        ] {
            assert_eq!(management_endpoint(endpoint.into()), Ok(endpoint.into()));
        }
        // Written back as parsed: what the SDK is handed is what was judged.
        for (endpoint, written) in [
            (
                " HTTPS://A.Execute-Api.eu-west-1.amazonaws.com/prod ",
                "https://a.execute-api.eu-west-1.amazonaws.com/prod",
            ),
            ("http://LOCALHOST:9000/local", "http://localhost:9000/local"),
            (
                "http://127.0.0.1:9000\\@example.com/",
                "http://127.0.0.1:9000/@example.com/",
            ),
        ] {
            assert_eq!(management_endpoint(endpoint.into()), Ok(written.into()));
        }
        for endpoint in [
            "wss://a.execute-api.eu-west-1.amazonaws.com/prod",
            "http://a.execute-api.eu-west-1.amazonaws.com/prod",
            "a.execute-api.eu-west-1.amazonaws.com/prod",
            "http://localhost.example.com:80/prod",
            "http://127.0.0.1.example.com/prod",
            "http://10.0.0.1:8080/prod",
            "file:///tmp/prod",
        ] {
            assert!(
                management_endpoint(endpoint.into())
                    .unwrap_err()
                    .starts_with("SESSION_GUARD_MANAGEMENT_ENDPOINT must be an https:// URL"),
                "{endpoint}"
            );
        }
    }

    /// What precedes `@` is user info: these begin like loopback addresses
    /// but name example.com, and were taken for plain http to loopback.
    #[test]
    fn a_loopback_prefix_with_user_info_is_refused_and_not_quoted() {
        for endpoint in [
            "http://127.0.0.1:1@example.com/prod",
            "http://localhost:80@example.com/prod",
            "http://[::1]:1@example.com/prod",
            // Nor in an https endpoint, nor as a user name alone.
            "https://user:secret@a.execute-api.eu-west-1.amazonaws.com/prod",
            "https://secret@a.execute-api.eu-west-1.amazonaws.com/prod",
            "http://:secret@127.0.0.1:9000/local",
        ] {
            let refused = management_endpoint(endpoint.into()).unwrap_err();
            assert!(
                refused.starts_with("SESSION_GUARD_MANAGEMENT_ENDPOINT must not carry user info"),
                "{endpoint}: {refused}"
            );
            assert!(!refused.contains("secret") && !refused.contains("example.com"));
        }
    }

    #[test]
    fn the_endpoint_has_no_query_or_fragment() {
        for endpoint in [
            "https://a.execute-api.eu-west-1.amazonaws.com/prod?x=1",
            "https://a.execute-api.eu-west-1.amazonaws.com/prod#x",
        ] {
            assert!(
                management_endpoint(endpoint.into())
                    .unwrap_err()
                    .contains("without a query or fragment"),
                "{endpoint}"
            );
        }
    }

    /// At start: the whole settings are refused, naming the variable.
    #[test]
    fn settings_with_such_an_endpoint_are_refused() {
        let refused = Settings::from_lookup(env(&[
            ("SESSION_GUARD_SCHEDULE_GROUP", "g"),
            (
                "SESSION_GUARD_MANAGEMENT_ENDPOINT",
                "http://127.0.0.1:1@example.com/prod",
            ),
        ]));
        assert!(
            refused
                .as_ref()
                .is_err_and(|error| error.contains("must not carry user info")),
            "{refused:?}"
        );
    }
}
