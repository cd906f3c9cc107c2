# The options a platform team expects of a Lambda module (issue #20).

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  api_id               = "abcdef1234"
  api_execution_arn    = "arn:aws:execute-api:eu-west-1:123456789012:abcdef1234"
  package_path         = "tests/fixtures/bootstrap.zip"
  jwks_uri             = "https://idp.example.com/.well-known/jwks.json"
  authorized_audiences = ["chat-api"]
  # With its issuer: a configuration the Lambda starts without a warning
  # (terraform test fails a run on any check warning it does not expect).
  issuers = ["https://idp.example.com"]
}

run "nothing_extra_by_default" {
  command = apply

  assert {
    condition     = !aws_lambda_function.this.publish && length(aws_lambda_alias.this) == 0 && length(aws_lambda_provisioned_concurrency_config.this) == 0 && aws_apigatewayv2_authorizer.this[0].authorizer_uri == aws_lambda_function.this.invoke_arn
    error_message = "without publish the authorizer invokes the function itself"
  }
  assert {
    condition     = length(aws_lambda_function.this.tracing_config) == 0 && length(aws_lambda_function.this.vpc_config) == 0 && coalesce(aws_lambda_function.this.reserved_concurrent_executions, -1) == -1
    error_message = "no tracing, VPC or reserved concurrency by default"
  }
  assert {
    condition     = length(aws_cloudwatch_metric_alarm.single_metric) == 0 && length(aws_cloudwatch_metric_alarm.key_set_fetch_failures) == 0 && output.alarm_arns == {}
    error_message = "no alarms by default"
  }
  assert {
    condition     = output.identity_sources == toset(["route.request.querystring.authorization"]) && output.token_sources == tolist(["query"]) && output.function_invoke_arn == aws_lambda_function.this.invoke_arn && output.log_group_arn == aws_cloudwatch_log_group.this.arn && output.role_name == aws_iam_role.this[0].name
    error_message = "outputs for other stacks"
  }
}

run "every_platform_option" {
  command = apply

  variables {
    package_path              = null
    s3_bucket                 = "artifacts"
    s3_key                    = "ws-jwt-authorizer/bootstrap.zip"
    s3_object_version         = "v1"
    source_code_hash          = "Z29vZA=="
    provisioned_concurrency   = 2
    reserved_concurrency      = 50
    tracing_mode              = "Active"
    vpc_subnet_ids            = ["subnet-1", "subnet-2"]
    vpc_security_group_ids    = ["sg-1"]
    kms_key_arn               = "arn:aws:kms:eu-west-1:123456789012:key/1111"
    layers                    = ["arn:aws:lambda:eu-west-1:123456789012:layer:jwks:3"]
    jwks_fallback_file        = "/opt/jwks.json"
    role_path                 = "/authorizers/"
    role_permissions_boundary = "arn:aws:iam::123456789012:policy/boundary"
    log_group_skip_destroy    = true
    alarms                    = true
    alarm_sns_topic_arn       = "arn:aws:sns:eu-west-1:123456789012:oncall"
  }

  assert {
    condition     = aws_lambda_function.this.s3_bucket == "artifacts" && aws_lambda_function.this.s3_key == "ws-jwt-authorizer/bootstrap.zip" && aws_lambda_function.this.s3_object_version == "v1" && aws_lambda_function.this.filename == null && aws_lambda_function.this.source_code_hash == "Z29vZA=="
    error_message = "the package comes from S3"
  }
  assert {
    condition     = aws_lambda_function.this.publish && aws_lambda_alias.this[0].name == "live" && aws_lambda_provisioned_concurrency_config.this[0].qualifier == "live" && aws_lambda_provisioned_concurrency_config.this[0].provisioned_concurrent_executions == 2
    error_message = "provisioned concurrency publishes a version behind the alias"
  }
  assert {
    condition     = aws_apigatewayv2_authorizer.this[0].authorizer_uri == aws_lambda_alias.this[0].invoke_arn && aws_lambda_permission.api_gateway.qualifier == "live" && output.alias_arn == aws_lambda_alias.this[0].arn
    error_message = "the authorizer invokes the alias, which the permission covers"
  }
  assert {
    condition     = aws_lambda_function.this.reserved_concurrent_executions == 50 && aws_lambda_function.this.tracing_config[0].mode == "Active" && aws_iam_role_policy_attachment.tracing[0].policy_arn == "arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess"
    error_message = "reserved concurrency and active tracing (with its policy)"
  }
  assert {
    condition     = aws_lambda_function.this.vpc_config[0].subnet_ids == toset(["subnet-1", "subnet-2"]) && aws_lambda_function.this.vpc_config[0].security_group_ids == toset(["sg-1"]) && aws_iam_role_policy_attachment.vpc[0].policy_arn == "arn:aws:iam::aws:policy/service-role/AWSLambdaENIManagementAccess"
    error_message = "the VPC, with the network interface policy"
  }
  assert {
    condition     = aws_lambda_function.this.kms_key_arn == "arn:aws:kms:eu-west-1:123456789012:key/1111" && aws_lambda_function.this.layers == tolist(["arn:aws:lambda:eu-west-1:123456789012:layer:jwks:3"])
    error_message = "the environment's KMS key and the layers"
  }
  assert {
    condition     = aws_iam_role.this[0].path == "/authorizers/" && aws_iam_role.this[0].permissions_boundary == "arn:aws:iam::123456789012:policy/boundary" && aws_cloudwatch_log_group.this.skip_destroy
    error_message = "role path, permissions boundary, and a log group kept on destroy"
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.single_metric["errors"].metric_name == "Errors" && aws_cloudwatch_metric_alarm.single_metric["throttles"].metric_name == "Throttles" && aws_cloudwatch_metric_alarm.single_metric["errors"].alarm_actions == toset(["arn:aws:sns:eu-west-1:123456789012:oncall"])
    error_message = "alarms on errors and throttles notify the topic"
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.single_metric["stale-keys-served"].namespace == "WsJwtAuthorizer" && aws_cloudwatch_metric_alarm.single_metric["stale-keys-served"].metric_name == "StaleKeysServed" && aws_cloudwatch_metric_alarm.single_metric["stale-keys-served"].dimensions == tomap({ FunctionName = "ws-jwt-authorizer" })
    error_message = "the stale keys alarm uses the metric src/ops/metrics.rs emits"
  }
  assert {
    condition     = toset([for query in aws_cloudwatch_metric_alarm.key_set_fetch_failures[0].metric_query : query.metric[0].dimensions["Result"] if length(query.metric) > 0]) == toset(["unreachable", "timeout", "http_status", "too_large", "invalid", "empty", "gone"]) && alltrue([for query in aws_cloudwatch_metric_alarm.key_set_fetch_failures[0].metric_query : query.metric[0].metric_name == "KeySetFetches" && query.metric[0].namespace == "WsJwtAuthorizer" if length(query.metric) > 0])
    error_message = "the fetch failure alarm sums KeySetFetches of every failing Result"
  }
  assert {
    condition     = length(output.alarm_arns) == 4
    error_message = "alarm_arns lists the four alarms"
  }
}

run "bring_your_own_role" {
  command = plan

  variables {
    create_role  = false
    role_arn     = "arn:aws:iam::123456789012:role/platform/authorizer"
    tracing_mode = "Active"
  }

  assert {
    condition     = length(aws_iam_role.this) == 0 && length(aws_iam_role_policy.logs) == 0 && length(aws_iam_role_policy_attachment.tracing) == 0
    error_message = "no role, policy or attachment when the role is brought"
  }
  assert {
    condition     = aws_lambda_function.this.role == "arn:aws:iam::123456789012:role/platform/authorizer" && output.role_arn == "arn:aws:iam::123456789012:role/platform/authorizer" && output.role_name == "authorizer"
    error_message = "the function runs as the role brought"
  }
}

run "a_brought_role_needs_its_arn" {
  command = plan

  variables {
    create_role = false
  }

  expect_failures = [var.role_arn]
}

run "s3_needs_its_key" {
  command = plan

  variables {
    package_path = null
    s3_bucket    = "artifacts"
  }

  expect_failures = [var.s3_key]
}

run "subnets_need_security_groups" {
  command = plan

  variables {
    vpc_subnet_ids = ["subnet-1"]
  }

  expect_failures = [var.vpc_security_group_ids]
}
