# A complete WebSocket API whose $connect route is protected by the
# authorizer module, with an echo-style $default route and access logs.

terraform {
  required_version = ">= 1.7"

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
  jwks_uri             = var.jwks_uri
  authorized_audiences = var.authorized_audiences
  issuers              = var.issuers
  authorized_apis      = ["${aws_apigatewayv2_api.this.execution_arn}/*"]
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

resource "aws_cloudwatch_log_group" "access" {
  #checkov:skip=CKV_AWS_158:Access logs hold no secrets (no token is logged); set kms_key_id for your own key.
  #checkov:skip=CKV_AWS_338:Thirty days keeps the example cheap; raise it for production.
  name              = "/aws/apigateway/${var.name}/access"
  retention_in_days = 30
}

resource "aws_apigatewayv2_stage" "this" {
  #checkov:skip=CKV2_AWS_51:Browsers cannot present client certificates on a WebSocket; the JWT authorizer authenticates clients.
  api_id      = aws_apigatewayv2_api.this.id
  name        = var.stage_name
  auto_deploy = true

  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.access.arn
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
  }

  default_route_settings {
    throttling_burst_limit = 500
    throttling_rate_limit  = 1000
  }
}
