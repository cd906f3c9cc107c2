# Offline tests of the session guard submodule with a mocked AWS provider:
# what it creates and how narrowly its roles are scoped.

mock_provider "aws" {
  mock_resource "aws_cloudwatch_log_group" {
    defaults = {
      arn = "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/apigateway/abcdef1234/prod/access"
    }
  }
  mock_resource "aws_iam_role" {
    defaults = {
      arn = "arn:aws:iam::123456789012:role/ws-session-guard-scheduler-20260101000000000000000001"
      id  = "ws-session-guard-scheduler-20260101000000000000000001"
    }
  }
  mock_resource "aws_lambda_function" {
    defaults = {
      arn = "arn:aws:lambda:eu-west-1:123456789012:function:ws-session-guard"
    }
  }
  mock_resource "aws_sqs_queue" {
    defaults = {
      arn = "arn:aws:sqs:eu-west-1:123456789012:ws-session-guard-failures"
    }
  }
  mock_data "aws_iam_policy_document" {
    defaults = {
      json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
    }
  }
}

variables {
  api_execution_arn = "arn:aws:execute-api:eu-west-1:123456789012:abcdef1234"
  stage_name        = "prod"
  package_path      = "../../tests/fixtures/bootstrap.zip"
}

run "guard_schedules_subscription_and_scoped_rights" {
  command = apply

  assert {
    condition     = aws_scheduler_schedule_group.this.name == "ws-session-guard" && aws_lambda_function.guard.function_name == "ws-session-guard"
    error_message = "the guard and its schedule group are named after var.name"
  }
  assert {
    condition     = aws_lambda_function.guard.timeout == 300
    error_message = "the guard has five minutes for a large batch by default"
  }
  assert {
    condition = aws_lambda_function.guard.environment[0].variables == tomap({
      SESSION_GUARD_SCHEDULE_GROUP      = "ws-session-guard"
      SESSION_GUARD_MANAGEMENT_ENDPOINT = "https://abcdef1234.execute-api.eu-west-1.amazonaws.com/prod"
      SESSION_GUARD_FUNCTION_ARN        = "arn:aws:lambda:eu-west-1:123456789012:function:ws-session-guard"
      SESSION_GUARD_SCHEDULER_ROLE_ARN  = "arn:aws:iam::123456789012:role/ws-session-guard-scheduler-20260101000000000000000001"
      SESSION_GUARD_DEAD_LETTER_ARN     = "arn:aws:sqs:eu-west-1:123456789012:ws-session-guard-failures"
    })
    error_message = "the guard's environment names its group, the stage's management endpoint, itself and the scheduler role"
  }
  assert {
    condition     = one([for s in data.aws_iam_policy_document.guard.statement : s.resources if s.sid == "ManageThisStage"]) == toset(["arn:aws:execute-api:eu-west-1:123456789012:abcdef1234/prod/DELETE/@connections/*"])
    error_message = "ManageConnections is DeleteConnection on this API's stage only"
  }
  assert {
    condition     = one([for s in data.aws_iam_policy_document.guard.statement : s.resources if s.sid == "OwnSchedules"]) == toset(["arn:aws:scheduler:eu-west-1:123456789012:schedule/ws-session-guard/*"])
    error_message = "schedule rights are scoped to the guard's own group"
  }
  assert {
    condition     = one([for s in data.aws_iam_policy_document.guard.statement : s.resources if s.sid == "PassSchedulerRole"]) == toset([aws_iam_role.scheduler.arn])
    error_message = "the guard may pass the scheduler role only"
  }
  assert {
    condition     = one(data.aws_iam_policy_document.scheduler.statement[0].resources) == "arn:aws:lambda:eu-west-1:123456789012:function:ws-session-guard"
    error_message = "Scheduler may invoke the guard only"
  }
  assert {
    condition     = aws_cloudwatch_log_subscription_filter.access.log_group_name == aws_cloudwatch_log_group.access.name && aws_cloudwatch_log_subscription_filter.access.destination_arn == aws_lambda_function.guard.arn
    error_message = "the access log group feeds the guard"
  }
  assert {
    condition     = aws_lambda_permission.logs.principal == "logs.amazonaws.com" && aws_lambda_permission.logs.source_arn == "${aws_cloudwatch_log_group.access.arn}:*"
    error_message = "CloudWatch Logs may invoke the guard for this log group only"
  }
  assert {
    condition     = jsondecode(output.access_log_format).exp == "$context.authorizer.exp" && jsondecode(output.access_log_format).sub == "$context.authorizer.sub" && jsondecode(output.access_log_format).eventType == "$context.eventType"
    error_message = "the stage's format carries what the guard reads"
  }
  assert {
    condition     = output.revoke_command == "AWS_REGION=eu-west-1 SESSION_GUARD_SCHEDULE_GROUP=ws-session-guard SESSION_GUARD_MANAGEMENT_ENDPOINT=https://abcdef1234.execute-api.eu-west-1.amazonaws.com/prod session-guard revoke --sub \"$SUBJECT\""
    error_message = "the revoke command has the guard's settings and passes $SUBJECT quoted"
  }
  assert {
    condition     = output.revoke_invoke_command == "aws lambda invoke --region eu-west-1 --function-name ws-session-guard --cli-read-timeout 310 --cli-binary-format raw-in-base64-out --payload \"$(jq -cn --arg sub \"$SUBJECT\" '{revoke: {sub: $sub}}')\" /dev/stdout"
    error_message = "the invoke command builds its JSON with jq, so any subject is escaped"
  }
}

run "what_still_fails_goes_to_the_failure_queue" {
  command = apply

  assert {
    condition     = aws_sqs_queue.failures[0].name == "ws-session-guard-failures" && aws_sqs_queue.failures[0].message_retention_seconds == 1209600 && aws_sqs_queue.failures[0].sqs_managed_sse_enabled
    error_message = "the module creates an encrypted failure queue keeping messages 14 days"
  }
  assert {
    condition     = aws_lambda_function_event_invoke_config.guard.maximum_retry_attempts == 2 && aws_lambda_function_event_invoke_config.guard.maximum_event_age_in_seconds == 21600
    error_message = "asynchronous invocations are retried twice and kept six hours when throttled"
  }
  assert {
    condition     = aws_lambda_function_event_invoke_config.guard.destination_config[0].on_failure[0].destination == aws_sqs_queue.failures[0].arn
    error_message = "a failed invocation goes to the failure queue"
  }
  assert {
    condition     = one([for s in data.aws_iam_policy_document.guard.statement : s.resources if s.sid == "FailureQueue"]) == toset([aws_sqs_queue.failures[0].arn]) && one([for s in data.aws_iam_policy_document.guard.statement : s.actions if s.sid == "FailureQueue"]) == toset(["sqs:SendMessage"])
    error_message = "the guard's role may send to the failure queue (Lambda's destination uses it)"
  }
  assert {
    condition     = one([for s in data.aws_iam_policy_document.scheduler.statement : s.resources if s.sid == "FailureQueue"]) == toset([aws_sqs_queue.failures[0].arn])
    error_message = "Scheduler's role may send to the failure queue (the schedules' dead-letter queue)"
  }
  assert {
    condition     = output.failure_queue_arn == aws_sqs_queue.failures[0].arn
    error_message = "the module outputs the failure queue"
  }
}

run "a_queue_of_the_callers_replaces_the_modules" {
  command = apply

  variables {
    failure_queue_arn = "arn:aws:sqs:eu-west-1:123456789012:ops-failures"
  }

  assert {
    condition     = length(aws_sqs_queue.failures) == 0 && aws_lambda_function_event_invoke_config.guard.destination_config[0].on_failure[0].destination == "arn:aws:sqs:eu-west-1:123456789012:ops-failures"
    error_message = "a given queue is used and none is created"
  }
  assert {
    condition     = aws_lambda_function.guard.environment[0].variables.SESSION_GUARD_DEAD_LETTER_ARN == "arn:aws:sqs:eu-west-1:123456789012:ops-failures"
    error_message = "schedules dead-letter to the given queue"
  }
}

run "a_fifo_queue_is_refused" {
  command = plan

  variables {
    failure_queue_arn = "arn:aws:sqs:eu-west-1:123456789012:ops-failures.fifo"
  }

  expect_failures = [var.failure_queue_arn]
}

run "schedulers_role_trusts_only_the_guards_own_schedule_group" {
  command = plan

  assert {
    condition = toset([for c in data.aws_iam_policy_document.scheduler_assume.statement[0].condition : "${c.test} ${c.variable} ${join(",", c.values)}"]) == toset([
      "StringEquals aws:SourceAccount 123456789012",
      "ArnEquals aws:SourceArn arn:aws:scheduler:eu-west-1:123456789012:schedule-group/ws-session-guard",
    ])
    error_message = "Scheduler may assume the role for the guard's schedule group in this account only"
  }
  assert {
    condition     = aws_cloudwatch_log_group.access.name == "/aws/apigateway/abcdef1234/prod/access"
    error_message = "the API id comes from the execution ARN"
  }
}

run "a_stage_name_api_gateway_refuses_is_refused" {
  command = plan

  variables {
    stage_name = "prod/*"
  }

  expect_failures = [var.stage_name]
}

run "a_malformed_execution_arn_is_refused" {
  command = plan

  variables {
    api_execution_arn = "abcdef1234"
  }

  expect_failures = [var.api_execution_arn]
}

run "a_management_endpoint_the_guard_refuses_is_refused" {
  command = plan

  variables {
    management_endpoint = "wss://abcdef1234.execute-api.eu-west-1.amazonaws.com/prod"
  }

  expect_failures = [var.management_endpoint]
}

# Issue #28, point 8: plain http only on loopback, judged by the URL's host.
# User info before a loopback name hides the real host (example.com here),
# and no endpoint carries user info.
run "user_info_after_127_0_0_1_is_refused" {
  command = plan

  variables {
    management_endpoint = "http://127.0.0.1:1@example.com/prod"
  }

  expect_failures = [var.management_endpoint]
}

run "user_info_after_localhost_is_refused" {
  command = plan

  variables {
    management_endpoint = "http://localhost:80@example.com/"
  }

  expect_failures = [var.management_endpoint]
}

run "user_info_after_ipv6_loopback_is_refused" {
  command = plan

  variables {
    management_endpoint = "http://[::1]:1@example.com/"
  }

  expect_failures = [var.management_endpoint]
}

run "user_info_in_an_https_endpoint_is_refused" {
  command = plan

  variables {
    management_endpoint = "https://user:pw@abcdef1234.execute-api.eu-west-1.amazonaws.com/prod"
  }

  expect_failures = [var.management_endpoint]
}

run "plain_http_to_another_host_is_refused" {
  command = plan

  variables {
    management_endpoint = "http://127.0.0.1.example.com:8080/prod"
  }

  expect_failures = [var.management_endpoint]
}

run "a_query_after_a_loopback_host_is_refused" {
  command = plan

  variables {
    management_endpoint = "http://127.0.0.1:8080?@example.com/prod"
  }

  expect_failures = [var.management_endpoint]
}

run "an_endpoint_with_a_query_is_refused" {
  command = plan

  variables {
    management_endpoint = "https://abc.execute-api.eu-west-1.amazonaws.com/prod?stage=dev"
  }

  expect_failures = [var.management_endpoint]
}

run "an_https_endpoint_reaches_the_guard" {
  command = plan

  variables {
    management_endpoint = "https://abc.execute-api.eu-west-1.amazonaws.com/prod"
  }

  assert {
    condition     = aws_lambda_function.guard.environment[0].variables["SESSION_GUARD_MANAGEMENT_ENDPOINT"] == "https://abc.execute-api.eu-west-1.amazonaws.com/prod"
    error_message = "an https:// endpoint is the guard's as given"
  }
}

run "plain_http_on_127_0_0_1_is_accepted" {
  command = plan

  variables {
    management_endpoint = "http://127.0.0.1:8080/local"
  }

  assert {
    condition     = aws_lambda_function.guard.environment[0].variables["SESSION_GUARD_MANAGEMENT_ENDPOINT"] == "http://127.0.0.1:8080/local"
    error_message = "plain http on 127.0.0.1 (the local gateway) is accepted"
  }
}

run "plain_http_on_localhost_is_accepted" {
  command = plan

  variables {
    management_endpoint = "http://localhost:3001/x"
  }

  assert {
    condition     = aws_lambda_function.guard.environment[0].variables["SESSION_GUARD_MANAGEMENT_ENDPOINT"] == "http://localhost:3001/x"
    error_message = "plain http on localhost is accepted"
  }
}

run "plain_http_on_ipv6_loopback_is_accepted" {
  command = plan

  variables {
    management_endpoint = "http://[::1]:9/x"
  }

  assert {
    condition     = aws_lambda_function.guard.environment[0].variables["SESSION_GUARD_MANAGEMENT_ENDPOINT"] == "http://[::1]:9/x"
    error_message = "plain http on [::1] is accepted"
  }
}

# The package (issue #30.4): a file, an S3 object or an image, exactly one,
# and nothing by default.
run "no_package_is_refused_at_plan" {
  command = plan

  variables {
    package_path = null
  }

  expect_failures = [var.package_path]
}

run "a_missing_package_file_is_refused_at_plan" {
  command = plan

  variables {
    package_path = "session-guard-0.0.0-arm64.zip"
  }

  expect_failures = [var.package_path]
}

run "the_package_from_s3" {
  command = plan

  variables {
    package_path     = null
    s3_bucket        = "artifacts"
    s3_key           = "session-guard/session-guard-1.2.0-arm64.zip"
    source_code_hash = "Z29vZA=="
  }

  assert {
    condition     = aws_lambda_function.guard.package_type == "Zip" && aws_lambda_function.guard.filename == null && aws_lambda_function.guard.s3_bucket == "artifacts" && aws_lambda_function.guard.s3_key == "session-guard/session-guard-1.2.0-arm64.zip" && aws_lambda_function.guard.source_code_hash == "Z29vZA==" && aws_lambda_function.guard.runtime == "provided.al2023"
    error_message = "the guard's zip from S3, with its hash"
  }
}

run "the_package_as_an_image" {
  command = plan

  variables {
    package_path = null
    image_uri    = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/session-guard:1.2.0"
  }

  assert {
    condition     = aws_lambda_function.guard.package_type == "Image" && aws_lambda_function.guard.image_uri == "123456789012.dkr.ecr.eu-west-1.amazonaws.com/session-guard:1.2.0" && aws_lambda_function.guard.runtime == null && aws_lambda_function.guard.handler == null
    error_message = "an image brings its own runtime"
  }
}

run "two_packages_are_refused" {
  command = plan

  variables {
    s3_bucket = "artifacts"
    s3_key    = "session-guard/bootstrap.zip"
  }

  expect_failures = [var.package_path]
}

# What the guard did (issue #30.5): saved queries, the failure queue's
# alarm, and what the authorizer module's dashboard takes.
run "queries_and_monitoring" {
  command = apply

  assert {
    condition     = output.query_definition_names == { connection = "ws-session-guard/What happened to this connection", activity = "ws-session-guard/Connections scheduled, ended and failed", failures = "ws-session-guard/Failures", revokes = "ws-session-guard/Revokes" }
    error_message = "four saved queries in the folder <name>"
  }
  assert {
    condition     = alltrue([for query in aws_cloudwatch_query_definition.this : query.log_group_names == tolist(["/aws/lambda/ws-session-guard"])])
    error_message = "the queries read the guard's own log group"
  }
  assert {
    condition     = length(aws_cloudwatch_metric_alarm.failures) == 0 && output.monitoring.alarm_arns == []
    error_message = "no alarm by default"
  }
  assert {
    condition     = output.monitoring.function_name == "ws-session-guard" && output.monitoring.log_group_name == "/aws/lambda/ws-session-guard" && output.monitoring.failure_queue_name == "ws-session-guard-failures" && output.monitoring.activity_query == aws_cloudwatch_query_definition.this["activity"].query_string
    error_message = "monitoring names the guard, its log group and failure queue, and the activity query saved here"
  }
  assert {
    condition     = startswith(output.monitoring.activity_query, "filter fields.message in [\"log batch\", \"token expired\", \"revoked\"] | ") && endswith(output.monitoring.activity_query, "| stats sum(scheduled) as scheduled, count(ended_at_exp) as ended_at_exp, sum(ended_at_connect) as ended_at_connect, count(revoke) as revokes, sum(failed) as failed by bin(5m)")
    error_message = "the activity query counts schedules, ends, revokes and failures from the guard's lines"
  }
}

run "the_failure_queue_alarm" {
  command = apply

  variables {
    alarms              = true
    alarm_sns_topic_arn = "arn:aws:sns:eu-west-1:123456789012:oncall"
    failure_queue_arn   = "arn:aws:sqs:eu-west-1:123456789012:platform-dead-letters"
    saved_queries       = false
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.failures[0].alarm_name == "ws-session-guard-failures" && aws_cloudwatch_metric_alarm.failures[0].namespace == "AWS/SQS" && aws_cloudwatch_metric_alarm.failures[0].metric_name == "ApproximateNumberOfMessagesVisible" && aws_cloudwatch_metric_alarm.failures[0].dimensions == tomap({ QueueName = "platform-dead-letters" })
    error_message = "the alarm watches the failure queue, the caller's when given"
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.failures[0].alarm_actions == toset(["arn:aws:sns:eu-west-1:123456789012:oncall"]) && aws_cloudwatch_metric_alarm.failures[0].threshold == 0 && aws_cloudwatch_metric_alarm.failures[0].comparison_operator == "GreaterThanThreshold"
    error_message = "anything in the queue notifies the topic"
  }
  assert {
    condition     = output.monitoring.alarm_arns == [aws_cloudwatch_metric_alarm.failures[0].arn] && output.monitoring.failure_queue_name == "platform-dead-letters" && length(aws_cloudwatch_query_definition.this) == 0
    error_message = "the dashboard is given the alarm and the caller's queue; saved_queries = false saves none"
  }
}
