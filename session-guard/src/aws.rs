//! The thin shell: [`Schedules`] and [`Connections`] over the AWS SDK.

use aws_sdk_apigatewaymanagement::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_scheduler::types::{
    ActionAfterCompletion, FlexibleTimeWindow, FlexibleTimeWindowMode, RetryPolicy, Target,
};

use crate::guard::{schedule_input, Input};
use crate::plan::Schedule;
use crate::ports::{CallError, Connections, Created, Ended, Schedules};

/// Error codes worth another try: throttling and the services' own
/// transient failures. `LimitExceededException` is the Management API's 429.
const RETRYABLE: [&str; 5] = [
    "ThrottlingException",
    "TooManyRequestsException",
    "LimitExceededException",
    "InternalServerException",
    "ServiceUnavailableException",
];

/// Sorts an SDK failure: service errors by their code, transport failures
/// (timeouts, connection errors) as retryable. Returns the code too.
fn classify<E>(error: &SdkError<E>) -> (Option<String>, CallError)
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let code = error.code().map(str::to_owned);
    let message = match &code {
        Some(code) => format!("{code}: {}", error.message().unwrap_or_default()),
        None => DisplayErrorContext(error).to_string(),
    };
    let retryable = match error {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) => true,
        SdkError::ServiceError(_) | SdkError::ResponseError(_) => {
            code.as_deref()
                .is_some_and(|code| RETRYABLE.contains(&code))
                || error
                    .raw_response()
                    .is_some_and(|response| response.status().is_server_error())
        }
        _ => false,
    };
    let call_error = if retryable {
        CallError::Retryable(message)
    } else {
        CallError::Failed(message)
    };
    (code, call_error)
}

/// What the schedules target: the guard itself, invoked by Scheduler with
/// its own role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleTarget {
    /// The guard Lambda's ARN.
    pub function_arn: String,
    /// The role Scheduler assumes to invoke it.
    pub role_arn: String,
}

/// EventBridge Scheduler, in one schedule group.
pub struct AwsSchedules {
    /// The SDK client.
    pub client: aws_sdk_scheduler::Client,
    /// The guard's own group (its role can touch no other).
    pub group: String,
    /// Needed to create schedules; a revoke from the command line has none.
    pub target: Option<ScheduleTarget>,
}

impl Schedules for AwsSchedules {
    async fn create(&self, schedule: &Schedule) -> Result<Created, CallError> {
        let target = self
            .target
            .as_ref()
            .ok_or_else(|| CallError::Failed("no schedule target configured".into()))?;
        let input = schedule_input(&schedule.target)
            .map_err(|error| CallError::Failed(error.to_string()))?;
        let built = (
            FlexibleTimeWindow::builder()
                .mode(FlexibleTimeWindowMode::Off)
                .build(),
            Target::builder()
                .arn(&target.function_arn)
                .role_arn(&target.role_arn)
                .input(input)
                // Past an hour the connection has reached API Gateway's own
                // two-hour limit or been closed anyway.
                .retry_policy(
                    RetryPolicy::builder()
                        .maximum_retry_attempts(10)
                        .maximum_event_age_in_seconds(3600)
                        .build(),
                )
                .build(),
        );
        let (Ok(window), Ok(target)) = built else {
            return Err(CallError::Failed("schedule request incomplete".into()));
        };
        let sent = self
            .client
            .create_schedule()
            .name(&schedule.name)
            .group_name(&self.group)
            .schedule_expression(&schedule.expression)
            .schedule_expression_timezone("UTC")
            .flexible_time_window(window)
            .action_after_completion(ActionAfterCompletion::Delete)
            .target(target)
            .send()
            .await;
        match sent {
            Ok(_) => Ok(Created::New),
            Err(error) => match classify(&error) {
                (Some(code), _) if code == "ConflictException" => Ok(Created::AlreadyExists),
                (_, error) => Err(error),
            },
        }
    }

    async fn delete(&self, name: &str) -> Result<(), CallError> {
        let sent = self
            .client
            .delete_schedule()
            .name(name)
            .group_name(&self.group)
            .send()
            .await;
        match sent {
            Ok(_) => Ok(()),
            Err(error) => match classify(&error) {
                (Some(code), _) if code == "ResourceNotFoundException" => Ok(()),
                (_, error) => Err(error),
            },
        }
    }

    async fn list(&self, prefix: &str) -> Result<Vec<String>, CallError> {
        let mut names = Vec::new();
        let mut next_token = None;
        loop {
            let page = self
                .client
                .list_schedules()
                .group_name(&self.group)
                .name_prefix(prefix)
                .set_next_token(next_token)
                .send()
                .await
                .map_err(|error| classify(&error).1)?;
            names.extend(
                page.schedules()
                    .iter()
                    .filter_map(|summary| summary.name().map(str::to_owned)),
            );
            next_token = page.next_token().map(str::to_owned);
            if next_token.is_none() {
                return Ok(names);
            }
        }
    }

    async fn target_input(&self, name: &str) -> Result<Option<String>, CallError> {
        let sent = self
            .client
            .get_schedule()
            .name(name)
            .group_name(&self.group)
            .send()
            .await;
        match sent {
            Ok(schedule) => Ok(schedule
                .target()
                .and_then(|target| target.input())
                .map(str::to_owned)),
            Err(error) => match classify(&error) {
                (Some(code), _) if code == "ResourceNotFoundException" => Ok(None),
                (_, error) => Err(error),
            },
        }
    }
}

/// The Management API at the stage's `https://{api}.execute-api.{region}.amazonaws.com/{stage}`.
pub struct AwsConnections {
    /// The SDK client, its endpoint set to the stage's.
    pub client: aws_sdk_apigatewaymanagement::Client,
}

impl AwsConnections {
    /// A client for the stage's management endpoint.
    pub fn new(config: &aws_config::SdkConfig, endpoint: &str) -> Self {
        let config = aws_sdk_apigatewaymanagement::config::Builder::from(config)
            .endpoint_url(endpoint)
            .build();
        AwsConnections {
            client: aws_sdk_apigatewaymanagement::Client::from_conf(config),
        }
    }
}

impl Connections for AwsConnections {
    async fn end(&self, connection_id: &str) -> Result<Ended, CallError> {
        let sent = self
            .client
            .delete_connection()
            .connection_id(connection_id)
            .send()
            .await;
        match sent {
            Ok(_) => Ok(Ended::Closed),
            Err(error) => match classify(&error) {
                (Some(code), _) if code == "GoneException" => Ok(Ended::AlreadyGone),
                (_, error) => Err(error),
            },
        }
    }
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
        let required = |name: &str| {
            lookup(name)
                .filter(|value| !value.is_empty())
                .ok_or_else(|| format!("{name} is not set"))
        };
        let target =
            match (
                lookup("SESSION_GUARD_FUNCTION_ARN"),
                lookup("SESSION_GUARD_SCHEDULER_ROLE_ARN"),
            ) {
                (Some(function_arn), Some(role_arn)) => Some(ScheduleTarget {
                    function_arn,
                    role_arn,
                }),
                (None, None) => None,
                _ => return Err(
                    "SESSION_GUARD_FUNCTION_ARN and SESSION_GUARD_SCHEDULER_ROLE_ARN go together"
                        .into(),
                ),
            };
        Ok(Settings {
            group: required("SESSION_GUARD_SCHEDULE_GROUP")?,
            management_endpoint: required("SESSION_GUARD_MANAGEMENT_ENDPOINT")?,
            target,
        })
    }
}

/// The guard over the AWS SDK, from the default credential chain (and its
/// `AWS_ENDPOINT_URL_SCHEDULER`, which the tests point at moto).
pub async fn guard(settings: &Settings) -> crate::Guard<AwsSchedules, AwsConnections> {
    guard_with(&aws_config::load_from_env().await, settings)
}

/// The guard over the AWS SDK with `config`.
pub fn guard_with(
    config: &aws_config::SdkConfig,
    settings: &Settings,
) -> crate::Guard<AwsSchedules, AwsConnections> {
    crate::Guard {
        schedules: AwsSchedules {
            client: aws_sdk_scheduler::Client::new(config),
            group: settings.group.clone(),
            target: settings.target.clone(),
        },
        connections: AwsConnections::new(config, &settings.management_endpoint),
        backoff: crate::retry::Backoff::default(),
    }
}

/// Reads an invocation's input.
pub fn input(event: serde_json::Value) -> Result<Input, String> {
    serde_json::from_value(event).map_err(|error| format!("not a guard input: {error}"))
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
                role_arn: "arn:r".into()
            })
        );
        assert_eq!(
            Settings::from_lookup(env(&base[..1])),
            Err("SESSION_GUARD_MANAGEMENT_ENDPOINT is not set".into())
        );
    }

    #[test]
    fn inputs_are_the_three_documented_shapes() {
        assert_eq!(
            input(serde_json::json!({"revoke": {"sub": "alice"}})),
            Ok(Input::Revoke {
                sub: "alice".into()
            })
        );
        assert_eq!(
            input(serde_json::json!({"awslogs": {"data": "H4s="}})),
            Ok(Input::Awslogs {
                data: "H4s=".into()
            })
        );
        assert!(matches!(
            input(serde_json::json!({"disconnect": {"connectionId": "c", "sub": "s"}})),
            Ok(Input::Disconnect(_))
        ));
        assert!(input(serde_json::json!({"revoke": {}})).is_err());
        assert!(input(serde_json::json!({"other": 1})).is_err());
    }
}
