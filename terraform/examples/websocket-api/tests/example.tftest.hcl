# Offline tests of the example with a mocked AWS provider.

mock_provider "aws" {
  mock_resource "aws_apigatewayv2_api" {
    defaults = {
      id            = "abcdef1234"
      execution_arn = "arn:aws:execute-api:eu-west-1:123456789012:abcdef1234"
      api_endpoint  = "wss://abcdef1234.execute-api.eu-west-1.amazonaws.com"
    }
  }
  mock_resource "aws_apigatewayv2_authorizer" {
    defaults = {
      id = "auth123"
    }
  }
  mock_resource "aws_apigatewayv2_stage" {
    defaults = {
      invoke_url = "wss://abcdef1234.execute-api.eu-west-1.amazonaws.com/prod"
    }
  }
  mock_resource "aws_cloudwatch_log_group" {
    defaults = {
      arn = "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/ws-jwt-demo-authorizer"
    }
  }
  mock_resource "aws_iam_role" {
    defaults = {
      arn  = "arn:aws:iam::123456789012:role/ws-jwt-demo-apigw-logs-20260101000000000000000001"
      name = "ws-jwt-demo-apigw-logs-20260101000000000000000001"
    }
  }
  mock_data "aws_partition" {
    defaults = {
      partition = "aws"
    }
  }
  mock_resource "aws_lambda_function" {
    defaults = {
      arn        = "arn:aws:lambda:eu-west-1:123456789012:function:ws-jwt-demo-authorizer"
      invoke_arn = "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:ws-jwt-demo-authorizer/invocations"
    }
  }
  mock_resource "aws_sqs_queue" {
    defaults = {
      arn = "arn:aws:sqs:eu-west-1:123456789012:ws-jwt-demo-session-guard-failures"
    }
  }
  mock_resource "aws_sns_topic" {
    defaults = {
      arn = "arn:aws:sns:eu-west-1:123456789012:ws-jwt-demo-alarms"
    }
  }
  mock_resource "aws_cloudwatch_metric_alarm" {
    defaults = {
      arn = "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:ws-jwt-demo"
    }
  }
  mock_data "aws_iam_policy_document" {
    defaults = {
      json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
    }
  }
}

variables {
  package_path               = "../../tests/fixtures/bootstrap.zip"
  session_guard_package_path = "../../tests/fixtures/bootstrap.zip"
  jwks_uri                   = "https://example.auth0.com/.well-known/jwks.json"
  authorized_audiences       = ["https://chat.example.com"]
  issuers                    = ["https://example.auth0.com/"]
}

run "websocket_api_with_protected_connect" {
  command = apply

  assert {
    condition     = aws_apigatewayv2_api.this.protocol_type == "WEBSOCKET" && aws_apigatewayv2_api.this.route_selection_expression == "$request.body.action"
    error_message = "the example must be a WebSocket API"
  }
  assert {
    condition     = aws_apigatewayv2_route.connect.route_key == "$connect" && aws_apigatewayv2_route.connect.authorization_type == "CUSTOM"
    error_message = "$connect must use the custom authorizer"
  }
  assert {
    condition     = aws_apigatewayv2_route.connect.authorizer_id == module.authorizer.authorizer_id && module.authorizer.authorizer_id == "auth123"
    error_message = "$connect must reference the module's authorizer"
  }
  assert {
    condition     = aws_apigatewayv2_route.default.route_key == "$default" && aws_apigatewayv2_route.default.authorization_type == "NONE"
    error_message = "$default needs no authorizer: only $connect is authorized on WebSocket APIs"
  }
  assert {
    condition     = length(module.session_guard) == 1 && aws_apigatewayv2_stage.this.access_log_settings[0].destination_arn == module.session_guard[0].access_log_destination_arn
    error_message = "the example turns the session guard on: its stage logs to the guard's subscribed log group"
  }
  assert {
    condition     = length(aws_api_gateway_account.this) == 0 && length(aws_iam_role.api_gateway_cloudwatch) == 0
    error_message = "by default the example leaves the account's API Gateway CloudWatch role, an account-wide setting, alone"
  }
  assert {
    condition     = module.authorizer.dashboard_name == "ws-jwt-demo-authorizer" && output.dashboard_name == "ws-jwt-demo-authorizer"
    error_message = "the example has the module's dashboard"
  }
  assert {
    condition     = output.alarm_topic_arn == aws_sns_topic.alarms.arn && length(aws_sns_topic_subscription.alarm_email) == 0
    error_message = "the alarms' topic, without a subscription unless alarm_email is given"
  }
  assert {
    condition     = output.websocket_url == "wss://abcdef1234.execute-api.eu-west-1.amazonaws.com/prod" && output.authorizer_id == "auth123"
    error_message = "outputs must give the wss URL and the authorizer id"
  }
}

run "access_logs_with_the_account_role" {
  command = apply

  variables {
    access_logs                 = true
    session_guard_package_path  = null
    api_gateway_cloudwatch_role = true
  }

  assert {
    condition     = aws_api_gateway_account.this[0].cloudwatch_role_arn == aws_iam_role.api_gateway_cloudwatch[0].arn
    error_message = "the account-level API Gateway CloudWatch role must be set when asked for"
  }
  assert {
    condition     = aws_iam_role_policy_attachment.api_gateway_cloudwatch[0].policy_arn == "arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"
    error_message = "the role must be allowed to write to CloudWatch Logs"
  }
  assert {
    condition     = aws_apigatewayv2_stage.this.access_log_settings[0].destination_arn == aws_cloudwatch_log_group.access[0].arn
    error_message = "access logs must go to their log group"
  }
  assert {
    condition     = !strcontains(aws_apigatewayv2_stage.this.access_log_settings[0].format, "querystring")
    error_message = "access logs must not include the query string (it carries the token)"
  }
}

run "without_the_guard_nor_the_account_role_nothing_is_logged" {
  command = plan

  variables {
    session_guard_package_path = null
  }

  assert {
    condition     = length(aws_apigatewayv2_stage.this.access_log_settings) == 0 && length(aws_cloudwatch_log_group.access) == 0 && length(aws_api_gateway_account.this) == 0 && length(module.session_guard) == 0
    error_message = "with both off the example logs nothing and leaves the account setting alone"
  }
}

run "access_logs_with_an_existing_account_role" {
  command = plan

  variables {
    access_logs                = true
    session_guard_package_path = null
  }

  assert {
    condition     = length(aws_apigatewayv2_stage.this.access_log_settings) == 1 && length(aws_api_gateway_account.this) == 0
    error_message = "access logs without api_gateway_cloudwatch_role must leave the account setting alone"
  }
}

# The settings users copy: terraform.tfvars.example, read as it is.
run "the_tfvars_example_accepts_access_tokens_only" {
  command = plan

  variables {
    package_path         = "../../tests/fixtures/bootstrap.zip"
    jwks_uri             = ""
    issuers              = []
    provider_preset      = regex("(?m)^provider_preset\\s*=\\s*\"([^\"]*)\"", file("terraform.tfvars.example"))[0]
    authorized_audiences = jsondecode(regex("(?m)^authorized_audiences\\s*=\\s*(\\[.*\\])", file("terraform.tfvars.example"))[0])
  }

  assert {
    condition     = startswith(module.authorizer.function_name, "ws-jwt-demo") && can(regex("^cognito:eu-west-1_", var.provider_preset))
    error_message = "the example's tfvars must use the cognito preset, which refuses ID tokens"
  }
}

run "session_guard_reads_the_stage_access_log" {
  command = apply

  variables {
    session_guard_package_path = "../../tests/fixtures/bootstrap.zip"
  }

  assert {
    condition     = aws_apigatewayv2_stage.this.access_log_settings[0].destination_arn == module.session_guard[0].access_log_destination_arn && length(aws_cloudwatch_log_group.access) == 0
    error_message = "with the guard on, the stage logs to the guard's subscribed log group"
  }
  assert {
    condition     = jsondecode(aws_apigatewayv2_stage.this.access_log_settings[0].format).exp == "$context.authorizer.exp" && jsondecode(aws_apigatewayv2_stage.this.access_log_settings[0].format).connectionId == "$context.connectionId"
    error_message = "the stage's format carries the connection id and the authorizer's exp"
  }
  assert {
    condition     = !strcontains(aws_apigatewayv2_stage.this.access_log_settings[0].format, "querystring")
    error_message = "access logs must not include the query string (it carries the token)"
  }
  assert {
    condition     = endswith(output.revoke_command, "session-guard revoke --sub \"$SUBJECT\"") && strcontains(output.revoke_command, "SESSION_GUARD_SCHEDULE_GROUP=ws-jwt-demo-session-guard")
    error_message = "the example outputs the revoke command"
  }
}

run "alarms_notify_the_topic" {
  command = apply

  variables {
    alarm_email = "oncall@example.com"
  }

  assert {
    condition     = aws_sns_topic_subscription.alarm_email[0].endpoint == "oncall@example.com" && aws_sns_topic_subscription.alarm_email[0].protocol == "email" && aws_sns_topic_subscription.alarm_email[0].topic_arn == aws_sns_topic.alarms.arn
    error_message = "alarm_email subscribes to the alarms' topic"
  }
  assert {
    condition     = length(module.authorizer.alarm_arns) == 4 && length(module.session_guard[0].monitoring.alarm_arns) == 1
    error_message = "the authorizer's four alarms and the guard's failure queue alarm"
  }
}
