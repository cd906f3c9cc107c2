# A complete WebSocket API whose $connect route is protected by the
# authorizer module, with an echo-style $default route and, when asked for,
# access logs.

terraform {
  # The module needs 1.9 (validations that refer to other variables).
  required_version = ">= 1.9"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.40"
    }
  }
}

provider "aws" {
  region = var.region
}

resource "aws_apigatewayv2_api" "this" {
  name                       = var.name
  protocol_type              = "WEBSOCKET"
  route_selection_expression = "$request.body.action"
}

module "authorizer" {
  source = "../.."

  name                 = "${var.name}-authorizer"
  api_id               = aws_apigatewayv2_api.this.id
  api_execution_arn    = aws_apigatewayv2_api.this.execution_arn
  package_path         = var.package_path
  architecture         = var.architecture
  token_source         = var.token_source
  provider_preset      = var.provider_preset
  jwks_uri             = var.jwks_uri
  authorized_audiences = var.authorized_audiences
  issuers              = var.issuers
  authorized_apis      = ["${aws_apigatewayv2_api.this.execution_arn}/*"]

  # The dashboard (on by default) shows the guard too; the alarms notify
  # the topic below.
  session_guard       = local.session_guard ? module.session_guard[0].monitoring : null
  alarms              = true
  alarm_sns_topic_arn = aws_sns_topic.alarms.arn
}

# Where the alarms go (the authorizer's and the guard's): subscribe to it,
# or give alarm_email.
resource "aws_sns_topic" "alarms" {
  #checkov:skip=CKV_AWS_26:Alarm notifications carry no secret, and CloudWatch cannot publish to a topic encrypted with the AWS-managed key aws/sns (a customer key whose policy admits cloudwatch.amazonaws.com is needed).
  name = "${var.name}-alarms"
}

resource "aws_sns_topic_subscription" "alarm_email" {
  count = var.alarm_email == null ? 0 : 1

  topic_arn = aws_sns_topic.alarms.arn
  protocol  = "email"
  endpoint  = var.alarm_email
}

# $connect: accepted once the authorizer allows it. A MOCK integration
# answers 200, which completes the handshake.
resource "aws_apigatewayv2_integration" "connect" {
  api_id                        = aws_apigatewayv2_api.this.id
  integration_type              = "MOCK"
  template_selection_expression = "200"
  request_templates = {
    "200" = "{\"statusCode\": 200}"
  }
}

resource "aws_apigatewayv2_route" "connect" {
  api_id             = aws_apigatewayv2_api.this.id
  route_key          = "$connect"
  authorization_type = "CUSTOM"
  authorizer_id      = module.authorizer.authorizer_id
  target             = "integrations/${aws_apigatewayv2_integration.connect.id}"
}

# $default: answers every message with the caller's identity, taken from the
# authorizer's context, through a MOCK integration and a route response.
resource "aws_apigatewayv2_integration" "default" {
  api_id                        = aws_apigatewayv2_api.this.id
  integration_type              = "MOCK"
  template_selection_expression = "200"
  request_templates = {
    "200" = "{\"statusCode\": 200}"
  }
}

resource "aws_apigatewayv2_integration_response" "default" {
  api_id                   = aws_apigatewayv2_api.this.id
  integration_id           = aws_apigatewayv2_integration.default.id
  integration_response_key = "$default"
  response_templates = {
    "$default" = "{\"principalId\": \"$context.authorizer.principalId\", \"connectionId\": \"$context.connectionId\"}"
  }
}

resource "aws_apigatewayv2_route" "default" {
  #checkov:skip=CKV_AWS_309:WebSocket APIs authorize only $connect; later routes run on the authorized connection.
  api_id                              = aws_apigatewayv2_api.this.id
  route_key                           = "$default"
  authorization_type                  = "NONE"
  target                              = "integrations/${aws_apigatewayv2_integration.default.id}"
  route_response_selection_expression = "$default"
}

resource "aws_apigatewayv2_route_response" "default" {
  api_id             = aws_apigatewayv2_api.this.id
  route_id           = aws_apigatewayv2_route.default.id
  route_response_key = "$default"
}

# Access logs of a WebSocket stage (and so the session guard, which reads
# them) need the account-level API Gateway CloudWatch role, one setting per
# account and region: without it the stage fails to apply with "CloudWatch
# Logs role ARN must be set in account settings". api_gateway_cloudwatch_role
# (off by default) creates a role and sets it: turn it on only where the
# account has none (aws apigateway get-account shows no cloudwatchRoleArn)
# and nobody else manages it. It replaces the region's setting for every
# API, and with the hashicorp/aws provider 5.x destroying the example
# leaves the setting pointing at the deleted role (6.x resets it).
data "aws_iam_policy_document" "api_gateway_assume_role" {
  count = var.api_gateway_cloudwatch_role ? 1 : 0

  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["apigateway.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "api_gateway_cloudwatch" {
  count = var.api_gateway_cloudwatch_role ? 1 : 0

  name_prefix        = "${substr(var.name, 0, 20)}-apigw-logs-"
  assume_role_policy = data.aws_iam_policy_document.api_gateway_assume_role[0].json
}

resource "aws_iam_role_policy_attachment" "api_gateway_cloudwatch" {
  count = var.api_gateway_cloudwatch_role ? 1 : 0

  role       = aws_iam_role.api_gateway_cloudwatch[0].name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"
}

data "aws_partition" "current" {}

resource "aws_api_gateway_account" "this" {
  count = var.api_gateway_cloudwatch_role ? 1 : 0

  cloudwatch_role_arn = aws_iam_role.api_gateway_cloudwatch[0].arn

  depends_on = [aws_iam_role_policy_attachment.api_gateway_cloudwatch]
}

# The session guard (docs/sessions.md), on when its package is
# given: each connection ends at its token's exp, and revoke_command ends a
# subject's connections. It reads the stage's access log, so it needs the
# account's API Gateway CloudWatch role too (set already, or
# api_gateway_cloudwatch_role).
locals {
  session_guard = var.session_guard_package_path != null
}

module "session_guard" {
  source = "../../modules/session-guard"
  count  = local.session_guard ? 1 : 0

  name                = "${var.name}-session-guard"
  api_execution_arn   = aws_apigatewayv2_api.this.execution_arn
  stage_name          = var.stage_name
  package_path        = var.session_guard_package_path
  architecture        = var.architecture
  alarms              = true
  alarm_sns_topic_arn = aws_sns_topic.alarms.arn
}

locals {
  # The guard's log group and format when it is on (it needs CONNECT and
  # DISCONNECT lines with the authorizer's sub and exp), else the example's.
  access_log = local.session_guard ? {
    destination_arn = module.session_guard[0].access_log_destination_arn
    format          = module.session_guard[0].access_log_format
    } : var.access_logs ? {
    destination_arn = aws_cloudwatch_log_group.access[0].arn
    # Never log the query string: it carries the token.
    format = jsonencode({
      requestId         = "$context.requestId"
      connectionId      = "$context.connectionId"
      eventType         = "$context.eventType"
      routeKey          = "$context.routeKey"
      status            = "$context.status"
      sourceIp          = "$context.identity.sourceIp"
      principalId       = "$context.authorizer.principalId"
      authorizerError   = "$context.authorizer.error"
      authorizerLatency = "$context.authorizer.latency"
      requestTime       = "$context.requestTimeEpoch"
    })
  } : null
}

resource "aws_cloudwatch_log_group" "access" {
  count = var.access_logs && !local.session_guard ? 1 : 0

  #checkov:skip=CKV_AWS_158:Access logs hold no secrets (no token is logged); set kms_key_id for your own key.
  #checkov:skip=CKV_AWS_338:Thirty days keeps the example cheap; raise it for production.
  name              = "/aws/apigateway/${var.name}/access"
  retention_in_days = 30
}

resource "aws_apigatewayv2_stage" "this" {
  #checkov:skip=CKV_AWS_76:Access logs follow the session guard and access_logs; off, there is nothing to log to.
  #checkov:skip=CKV2_AWS_51:Browsers cannot present client certificates on a WebSocket; the JWT authorizer authenticates clients.
  api_id      = aws_apigatewayv2_api.this.id
  name        = var.stage_name
  auto_deploy = true

  dynamic "access_log_settings" {
    for_each = local.access_log == null ? [] : [local.access_log]
    content {
      destination_arn = access_log_settings.value.destination_arn
      format          = access_log_settings.value.format
    }
  }

  default_route_settings {
    throttling_burst_limit = 500
    throttling_rate_limit  = 1000
  }

  # The account's CloudWatch role must be set before a stage logs.
  depends_on = [aws_api_gateway_account.this]
}
