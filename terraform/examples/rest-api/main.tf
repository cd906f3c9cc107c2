# A REST API whose methods are protected by the authorizer module (a TOKEN
# authorizer on the Authorization header by default, REQUEST when asked):
# GET /orders and GET /orders/{id}, answered by MOCK integrations with the
# caller's principalId, so the API works without a backend.

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

resource "aws_api_gateway_rest_api" "this" {
  name = var.name

  endpoint_configuration {
    types = ["REGIONAL"]
  }

  lifecycle {
    create_before_destroy = true
  }
}

module "authorizer" {
  source = "../.."

  name                          = "${var.name}-authorizer"
  api_type                      = "rest"
  api_id                        = aws_api_gateway_rest_api.this.id
  api_execution_arn             = aws_api_gateway_rest_api.this.execution_arn
  package_path                  = var.package_path
  architecture                  = var.architecture
  rest_authorizer_type          = var.rest_authorizer_type
  token_source                  = var.token_source
  authorizer_result_ttl_seconds = var.authorizer_result_ttl_seconds
  route_scopes                  = var.route_scopes
  provider_preset               = var.provider_preset
  jwks_uri                      = var.jwks_uri
  issuers                       = var.issuers
  authorized_audiences          = var.authorized_audiences
  authorized_apis               = ["${aws_api_gateway_rest_api.this.execution_arn}/*"]

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

resource "aws_api_gateway_resource" "orders" {
  rest_api_id = aws_api_gateway_rest_api.this.id
  parent_id   = aws_api_gateway_rest_api.this.root_resource_id
  path_part   = "orders"
}

resource "aws_api_gateway_resource" "order" {
  rest_api_id = aws_api_gateway_rest_api.this.id
  parent_id   = aws_api_gateway_resource.orders.id
  path_part   = "{id}"
}

locals {
  # Each method: its resource, and what the MOCK integration answers.
  methods = {
    "GET /orders" = {
      resource_id = aws_api_gateway_resource.orders.id
      parameters  = {}
      answer      = "{\"principalId\": \"$context.authorizer.principalId\", \"orders\": []}"
    }
    "GET /orders/{id}" = {
      resource_id = aws_api_gateway_resource.order.id
      parameters  = { "method.request.path.id" = true }
      answer      = "{\"principalId\": \"$context.authorizer.principalId\", \"id\": \"$input.params('id')\"}"
    }
  }
}

resource "aws_api_gateway_method" "this" {
  for_each = local.methods

  #checkov:skip=CKV2_AWS_53:The MOCK integrations read no request body; validate requests where a backend does.
  rest_api_id        = aws_api_gateway_rest_api.this.id
  resource_id        = each.value.resource_id
  http_method        = "GET"
  authorization      = "CUSTOM"
  authorizer_id      = module.authorizer.authorizer_id
  request_parameters = each.value.parameters
}

resource "aws_api_gateway_integration" "this" {
  for_each = local.methods

  rest_api_id       = aws_api_gateway_rest_api.this.id
  resource_id       = each.value.resource_id
  http_method       = aws_api_gateway_method.this[each.key].http_method
  type              = "MOCK"
  request_templates = { "application/json" = "{\"statusCode\": 200}" }
}

resource "aws_api_gateway_method_response" "ok" {
  for_each = local.methods

  rest_api_id = aws_api_gateway_rest_api.this.id
  resource_id = each.value.resource_id
  http_method = aws_api_gateway_method.this[each.key].http_method
  status_code = "200"
}

resource "aws_api_gateway_integration_response" "ok" {
  for_each = local.methods

  rest_api_id        = aws_api_gateway_rest_api.this.id
  resource_id        = each.value.resource_id
  http_method        = aws_api_gateway_method.this[each.key].http_method
  status_code        = aws_api_gateway_method_response.ok[each.key].status_code
  response_templates = { "application/json" = each.value.answer }

  depends_on = [aws_api_gateway_integration.this]
}

# A REST API serves what was deployed: a change of its methods or of the
# authorizer needs a new deployment.
resource "aws_api_gateway_deployment" "this" {
  rest_api_id = aws_api_gateway_rest_api.this.id

  triggers = {
    redeployment = sha1(jsonencode([
      local.methods,
      module.authorizer.authorizer_id,
      module.authorizer.identity_sources,
      var.rest_authorizer_type,
      var.authorizer_result_ttl_seconds,
      var.route_scopes, # the default TTL follows them
    ]))
  }

  lifecycle {
    create_before_destroy = true
  }

  depends_on = [aws_api_gateway_integration.this, aws_api_gateway_integration_response.ok]
}

resource "aws_api_gateway_stage" "this" {
  #checkov:skip=CKV_AWS_76:Access logs of a REST stage need the account's API Gateway CloudWatch role (see the websocket-api example); add access_log_settings where it is set.
  #checkov:skip=CKV_AWS_73:X-Ray tracing is your choice (the decision log line carries the request id).
  #checkov:skip=CKV_AWS_120:Response caching would serve one caller's answer to another; the authorizer's answers are cached per token.
  #checkov:skip=CKV2_AWS_29:A WAF web ACL is your choice; the example has none to attach.
  #checkov:skip=CKV2_AWS_51:Clients authenticate with JWTs, not client certificates.
  #checkov:skip=CKV2_AWS_4:Execution logging needs the account's CloudWatch role too; the authorizer logs each decision itself.
  rest_api_id   = aws_api_gateway_rest_api.this.id
  deployment_id = aws_api_gateway_deployment.this.id
  stage_name    = var.stage_name
}
