# An HTTP API whose routes are protected by the authorizer module: payload
# format 2.0, simple responses, a scope per route (route_scopes; each route
# of the API is one of its keys), proxied to your backend. With
# kms_signing_key the tokens are signed by an AWS KMS key (ECC_NIST_P521, so
# ES512) instead of an identity provider: the setup of the Go authorizer this
# project replaces (KMS_JWT_KEY_ID).

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
  name          = var.name
  protocol_type = "HTTP"
}

# The key your token service signs with (kms:Sign, ECDSA_SHA_512; the JWS
# signature is the DER signature converted to r || s). The authorizer reads
# its public key once (kms:GetPublicKey, granted by the module on this key
# only). Asymmetric keys cannot rotate: a new key is a new key id (kid).
resource "aws_kms_key" "jwt" {
  count = var.kms_signing_key ? 1 : 0

  #checkov:skip=CKV_AWS_7:Asymmetric KMS keys cannot rotate automatically; rotate by adding a key to kms_key_ids.
  #checkov:skip=CKV2_AWS_64:The default key policy: the account's IAM policies decide who signs (the authorizer's role reads the public key only).
  description              = "Signs the JWTs that ${var.name}'s authorizer verifies"
  customer_master_key_spec = "ECC_NIST_P521"
  key_usage                = "SIGN_VERIFY"
  deletion_window_in_days  = 7
}

module "authorizer" {
  source = "../.."

  name                          = "${var.name}-authorizer"
  api_type                      = "http"
  api_id                        = aws_apigatewayv2_api.this.id
  api_execution_arn             = aws_apigatewayv2_api.this.execution_arn
  package_path                  = var.package_path
  architecture                  = var.architecture
  simple_responses              = var.simple_responses
  authorizer_result_ttl_seconds = var.authorizer_result_ttl_seconds
  route_scopes                  = var.route_scopes
  # The keys: the KMS key, or your identity provider's.
  kms_key_ids          = var.kms_signing_key ? [aws_kms_key.jwt[0].key_id] : []
  provider_preset      = var.kms_signing_key ? "" : var.provider_preset
  jwks_uri             = var.kms_signing_key ? "" : var.jwks_uri
  issuers              = var.issuers
  authorized_audiences = var.authorized_audiences
  authorized_apis      = ["${aws_apigatewayv2_api.this.execution_arn}/*"]

  # The dashboard is the module's default; the alarms notify the topic below.
  alarms              = true
  alarm_sns_topic_arn = aws_sns_topic.alarms.arn
}

# Where the alarms go: subscribe to it, or give alarm_email.
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

# Every route passes through to the backend, the request's path and query
# as they came.
resource "aws_apigatewayv2_integration" "backend" {
  api_id                 = aws_apigatewayv2_api.this.id
  integration_type       = "HTTP_PROXY"
  integration_method     = "ANY"
  integration_uri        = var.backend_url
  payload_format_version = "1.0"
}

# One route per key of route_scopes, so that an IAM answer (which lists
# every configured route) covers every route of the API.
resource "aws_apigatewayv2_route" "this" {
  for_each = var.route_scopes

  api_id             = aws_apigatewayv2_api.this.id
  route_key          = each.key
  authorization_type = "CUSTOM"
  authorizer_id      = module.authorizer.authorizer_id
  target             = "integrations/${aws_apigatewayv2_integration.backend.id}"
}

# HTTP APIs write access logs without the account's CloudWatch role. Never
# the Authorization header: it carries the token.
resource "aws_cloudwatch_log_group" "access" {
  count = var.access_logs ? 1 : 0

  #checkov:skip=CKV_AWS_158:Access logs hold no secrets (no token is logged); set kms_key_id for your own key.
  #checkov:skip=CKV_AWS_338:Thirty days keeps the example cheap; raise it for production.
  name              = "/aws/apigateway/${var.name}/access"
  retention_in_days = 30
}

resource "aws_apigatewayv2_stage" "this" {
  #checkov:skip=CKV_AWS_76:Access logs follow access_logs (on by default).
  api_id      = aws_apigatewayv2_api.this.id
  name        = "$default"
  auto_deploy = true

  dynamic "access_log_settings" {
    for_each = var.access_logs ? [1] : []
    content {
      destination_arn = aws_cloudwatch_log_group.access[0].arn
      format = jsonencode({
        requestId         = "$context.requestId"
        routeKey          = "$context.routeKey"
        status            = "$context.status"
        sourceIp          = "$context.identity.sourceIp"
        authorizerError   = "$context.authorizer.error"
        authorizerStatus  = "$context.authorizer.status"
        authorizerLatency = "$context.authorizer.latency"
        requestTime       = "$context.requestTimeEpoch"
      })
    }
  }

  default_route_settings {
    throttling_burst_limit = 500
    throttling_rate_limit  = 1000
  }
}
