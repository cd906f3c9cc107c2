//! The thin shell: [`Schedules`] and [`Connections`] over the AWS SDK.

use std::time::Duration;

use aws_config::timeout::TimeoutConfig;
use aws_sdk_apigatewaymanagement::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_scheduler::types::{
    ActionAfterCompletion, DeadLetterConfig, FlexibleTimeWindow, FlexibleTimeWindowMode,
    RetryPolicy, Target,
};

use crate::guard::schedule_input;
use crate::plan::Schedule;
use crate::ports::{CallError, Connections, Created, Ended, Schedules};
use crate::settings::{ScheduleTarget, Settings};

/// Error codes worth another try: throttling and the services' own
/// transient failures. `LimitExceededException` is the Management API's 429.
const RETRYABLE: [&str; 5] = [
    "ThrottlingException",
    "TooManyRequestsException",
    "LimitExceededException",
    "InternalServerException",
    "ServiceUnavailableException",
];

/// Whether a service's answer is worth another try: a retryable code, or
/// any 5xx.
fn retryable(code: Option<&str>, status: Option<u16>) -> bool {
    code.is_some_and(|code| RETRYABLE.contains(&code))
        || status.is_some_and(|status| (500..600).contains(&status))
}

/// The HTTP status of a service's answer, if one came.
fn status<E>(error: &SdkError<E>) -> Option<u16> {
    error
        .raw_response()
        .map(|response| response.status().as_u16())
}

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
            retryable(code.as_deref(), status(error))
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
        let window = FlexibleTimeWindow::builder()
            .mode(FlexibleTimeWindowMode::Off)
            .build();
        let (Ok(window), Ok(target)) = (window, schedule_target(target, input)) else {
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

/// Scheduler's retries: at most [`SCHEDULE_RETRY_AGE`], as many times as
/// it allows. They cover handing the firing to Lambda (throttling, a missing
/// permission); Lambda then runs the guard asynchronously, with its own two
/// retries and on-failure destination (the Terraform module).
const SCHEDULE_RETRIES: i32 = 185;

/// Two hours, API Gateway's limit on a connection: past it the connection
/// is gone whatever happened, and retrying has nothing left to end.
const SCHEDULE_RETRY_AGE: i32 = 7200;

/// The schedule's target: the guard, through Scheduler's role, with its
/// retry policy and, when configured, its dead-letter queue.
fn schedule_target(
    target: &ScheduleTarget,
    input: String,
) -> Result<Target, aws_sdk_scheduler::error::BuildError> {
    Target::builder()
        .arn(&target.function_arn)
        .role_arn(&target.role_arn)
        .input(input)
        .retry_policy(
            RetryPolicy::builder()
                .maximum_retry_attempts(SCHEDULE_RETRIES)
                .maximum_event_age_in_seconds(SCHEDULE_RETRY_AGE)
                .build(),
        )
        .set_dead_letter_config(
            target
                .dead_letter_arn
                .as_ref()
                .map(|arn| DeadLetterConfig::builder().arn(arn).build()),
        )
        .build()
}

/// The Management API at the stage's `https://{api}.execute-api.{region}.amazonaws.com/{stage}`.
pub struct AwsConnections {
    /// The SDK client, its endpoint set to the stage's.
    pub client: aws_sdk_apigatewaymanagement::Client,
}

impl AwsConnections {
    /// A client for the stage's management endpoint, with `timeouts`.
    pub fn new(config: &aws_config::SdkConfig, endpoint: &str, timeouts: TimeoutConfig) -> Self {
        let config = aws_sdk_apigatewaymanagement::config::Builder::from(config)
            .endpoint_url(endpoint)
            .timeout_config(timeouts)
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
            // 410 is the Management API's "no such connection", whatever
            // error code the SDK parses from the body (a proxy's, none, or
            // another's): the connection is gone, the goal reached.
            Err(error) if status(&error) == Some(410) => Ok(Ended::AlreadyGone),
            Err(error) => match classify(&error) {
                (Some(code), _) if code == "GoneException" => Ok(Ended::AlreadyGone),
                (_, error) => Err(error),
            },
        }
    }
}

/// The guard over the AWS SDK, from the default credential chain (and its
/// `AWS_ENDPOINT_URL_SCHEDULER`, which the tests point at moto).
pub async fn guard(settings: &Settings) -> crate::Guard<AwsSchedules, AwsConnections> {
    guard_with(&aws_config::load_from_env().await, settings)
}

/// Bounds on every AWS call. The SDK sets none by default: a call to an
/// endpoint that accepts and never answers would hang until the Lambda's
/// timeout, and the whole batch with it. A call that times out is
/// retryable (see [`classify`]).
pub fn timeouts() -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(3))
        // One HTTP attempt.
        .operation_attempt_timeout(Duration::from_secs(5))
        // The SDK's own retries included.
        .operation_timeout(Duration::from_secs(15))
        .build()
}

/// The guard over the AWS SDK with `config`, and [`timeouts`].
pub fn guard_with(
    config: &aws_config::SdkConfig,
    settings: &Settings,
) -> crate::Guard<AwsSchedules, AwsConnections> {
    let scheduler = aws_sdk_scheduler::config::Builder::from(config)
        .timeout_config(timeouts())
        .build();
    crate::Guard {
        schedules: AwsSchedules {
            client: aws_sdk_scheduler::Client::from_conf(scheduler),
            group: settings.group.clone(),
            target: settings.target.clone(),
        },
        connections: AwsConnections::new(config, &settings.management_endpoint, timeouts()),
        backoff: crate::retry::Backoff::default(),
        concurrency: crate::guard::CONCURRENCY,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttling_and_5xx_are_retried_the_rest_is_not() {
        assert!(retryable(Some("ThrottlingException"), Some(400)));
        assert!(retryable(Some("LimitExceededException"), Some(429)));
        assert!(retryable(None, Some(503)));
        assert!(retryable(Some("InternalServerException"), None));
        for code in [
            "AccessDeniedException",
            "ValidationException",
            "ConflictException",
            "GoneException",
        ] {
            assert!(!retryable(Some(code), Some(400)), "{code}");
        }
        assert!(!retryable(None, Some(410)));
        assert!(!retryable(None, None));
    }

    #[test]
    fn schedules_retry_for_two_hours_then_go_to_the_dead_letter_queue() {
        let mut target = ScheduleTarget {
            function_arn: "arn:aws:lambda:eu-west-1:123456789012:function:g".into(),
            role_arn: "arn:aws:iam::123456789012:role/s".into(),
            dead_letter_arn: Some("arn:aws:sqs:eu-west-1:123456789012:g-failures".into()),
        };
        let built = schedule_target(&target, "{}".into()).unwrap();
        let policy = built.retry_policy().unwrap();
        assert_eq!(
            (
                policy.maximum_retry_attempts(),
                policy.maximum_event_age_in_seconds()
            ),
            (Some(185), Some(7200))
        );
        assert_eq!(
            built.dead_letter_config().and_then(|dlq| dlq.arn()),
            Some("arn:aws:sqs:eu-west-1:123456789012:g-failures")
        );
        assert_eq!(built.input(), Some("{}"));
        target.dead_letter_arn = None;
        assert!(schedule_target(&target, "{}".into())
            .unwrap()
            .dead_letter_config()
            .is_none());
    }
}
