locals {
  package_path = coalesce(var.package_path, "${path.module}/../target/lambda/ws-jwt-authorizer/bootstrap.zip")

  identity_sources = {
    query    = ["route.request.querystring.authorization"]
    header   = ["route.request.header.Authorization"]
    protocol = ["route.request.header.Sec-WebSocket-Protocol"]
    cookie   = ["route.request.header.Cookie"]
  }
}

data "aws_iam_policy_document" "assume_role" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

# Basic execution rights only, scoped to this function's log group.
data "aws_iam_policy_document" "logs" {
  statement {
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.this.arn}:*"]
  }
}

# IAM names are global: a fixed name would collide when the module is used
# with the same name in a second region (EntityAlreadyExists).
resource "aws_iam_role" "this" {
  name               = var.role_name
  name_prefix        = var.role_name == null ? "${substr(var.name, 0, 37)}-" : null
  assume_role_policy = data.aws_iam_policy_document.assume_role.json
  tags               = var.tags
}

resource "aws_iam_role_policy" "logs" {
  name   = "write-logs"
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.logs.json
}

resource "aws_cloudwatch_log_group" "this" {
  #checkov:skip=CKV_AWS_338:Retention is the log_retention_days variable (30 days by default, to keep costs predictable).
  name              = "/aws/lambda/${var.name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.log_kms_key_arn
  tags              = var.tags
}

resource "aws_lambda_function" "this" {
  #checkov:skip=CKV_AWS_116:API Gateway invokes an authorizer synchronously; a dead-letter queue only serves asynchronous invocations.
  #checkov:skip=CKV_AWS_117:The function must reach the identity provider's public key set; a VPC would need a NAT gateway for nothing.
  #checkov:skip=CKV_AWS_115:Reserved concurrency would throttle $connect under load; set it in the root module if you want a ceiling.
  #checkov:skip=CKV_AWS_173:The environment holds no secret (public URLs, audiences, numbers); AWS-managed encryption applies.
  #checkov:skip=CKV_AWS_272:Code signing needs a signing profile that this module cannot create for you; the package hash is pinned instead.
  #checkov:skip=CKV_AWS_50:X-Ray tracing is a cost decision; the decision log line carries the request id for correlation.
  function_name    = var.name
  description      = "JWT authorizer for the $connect route of a WebSocket API"
  role             = aws_iam_role.this.arn
  runtime          = "provided.al2023"
  handler          = "bootstrap"
  architectures    = [var.architecture]
  memory_size      = var.memory_size
  timeout          = var.timeout_seconds
  filename         = local.package_path
  source_code_hash = filebase64sha256(local.package_path)

  environment {
    variables = { for name, value in local.environment : name => value if value != "" }
  }

  # Lambda sets AWS_LAMBDA_LOG_FORMAT and AWS_LAMBDA_LOG_LEVEL from this block
  # (they are reserved and cannot be set as plain environment variables).
  logging_config {
    log_format            = var.log_format
    log_group             = aws_cloudwatch_log_group.this.name
    application_log_level = var.log_format == "JSON" ? var.log_level : null
    system_log_level      = var.log_format == "JSON" ? var.system_log_level : null
  }

  tags = var.tags

  depends_on = [aws_iam_role_policy.logs]

  # Start-up rules of the Lambda that span several variables (rules.tf):
  # checked here because a variable's validation cannot use a local that
  # depends on that same variable.
  lifecycle {
    precondition {
      condition     = local.keys_named
      error_message = "Name the keys: jwks_uri, jwks_json, a single issuer (OIDC discovery), trusted_issuers, or provider_preset with its parameter (the Lambda refuses to start otherwise: JWT_ISSUER_JWKS_URI)."
    }
    precondition {
      condition     = local.discovery_url
      error_message = "issuers: for OIDC discovery (one issuer, no jwks_uri or jwks_json) the issuer must be an https:// URL (the Lambda refuses to start: JWT_ISSUER)."
    }
    precondition {
      condition     = !local.multi_tenant_without_issuer
      error_message = "issuers: the key set signs tokens for every tenant or project of its provider (Entra's common keys, Google's, Firebase's), so set issuers, or a provider_preset with its parameter, or any of them would pass (the Lambda refuses to start: JWT_ISSUER)."
    }
    precondition {
      condition     = !local.cognito_without_token_use
      error_message = "provider_preset: a Cognito user pool without the cognito preset accepts its ID tokens too (their aud is the app client id); set provider_preset = \"cognito:POOL_ID\", or required_claims = { token_use = \"id\" } if ID tokens are what you want."
    }
  }
}

resource "aws_lambda_permission" "api_gateway" {
  statement_id  = "AllowApiGatewayAuthorizer"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.this.function_name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${var.api_execution_arn}/authorizers/*"
}

resource "aws_apigatewayv2_authorizer" "this" {
  api_id           = var.api_id
  name             = var.name
  authorizer_type  = "REQUEST"
  authorizer_uri   = aws_lambda_function.this.invoke_arn
  identity_sources = local.identity_sources[var.token_source]
}
