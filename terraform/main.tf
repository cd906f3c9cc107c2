locals {
  package_path = coalesce(var.package_path, "${path.module}/../target/lambda/ws-jwt-authorizer/bootstrap.zip")
  from_s3      = var.s3_bucket != null

  # A published version behind an alias when asked for, or needed by
  # provisioned concurrency (which applies to a version or alias only).
  publish = var.publish || var.provisioned_concurrency > 0

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
  count = var.create_role ? 1 : 0

  name                 = var.role_name
  name_prefix          = var.role_name == null ? "${substr(var.name, 0, 37)}-" : null
  path                 = var.role_path
  permissions_boundary = var.role_permissions_boundary
  assume_role_policy   = data.aws_iam_policy_document.assume_role.json
  tags                 = var.tags
}

# X-Ray segments, only with tracing on.
resource "aws_iam_role_policy_attachment" "tracing" {
  count = var.create_role && var.tracing_mode == "Active" ? 1 : 0

  role       = aws_iam_role.this[0].name
  policy_arn = "arn:${local.partition}:iam::aws:policy/AWSXRayDaemonWriteAccess"
}

# Network interfaces in the VPC, only with subnets.
resource "aws_iam_role_policy_attachment" "vpc" {
  count = var.create_role && length(var.vpc_subnet_ids) > 0 ? 1 : 0

  role       = aws_iam_role.this[0].name
  policy_arn = "arn:${local.partition}:iam::aws:policy/service-role/AWSLambdaENIManagementAccess"
}

resource "aws_iam_role_policy" "logs" {
  count = var.create_role ? 1 : 0

  name   = "write-logs"
  role   = aws_iam_role.this[0].id
  policy = data.aws_iam_policy_document.logs.json
}

resource "aws_cloudwatch_log_group" "this" {
  #checkov:skip=CKV_AWS_338:Retention is the log_retention_days variable (30 days by default, to keep costs predictable).
  name              = "/aws/lambda/${var.name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.log_kms_key_arn
  skip_destroy      = var.log_group_skip_destroy
  tags              = var.tags
}

resource "aws_lambda_function" "this" {
  #checkov:skip=CKV_AWS_116:API Gateway invokes an authorizer synchronously; a dead-letter queue only serves asynchronous invocations.
  #checkov:skip=CKV_AWS_117:Your choice: vpc_subnet_ids (the function must then reach the identity provider's key set through a NAT gateway or proxy).
  #checkov:skip=CKV_AWS_115:Your choice: reserved_concurrency (a ceiling throttles $connect under load).
  #checkov:skip=CKV_AWS_173:Your choice: kms_key_arn (the environment holds no secret: public URLs, audiences, numbers).
  #checkov:skip=CKV_AWS_272:Code signing needs a signing profile that this module cannot create for you; the package hash is pinned instead.
  #checkov:skip=CKV_AWS_50:Your choice: tracing_mode (the decision log line carries the request id for correlation).
  function_name     = var.name
  description       = "JWT authorizer for the $connect route of a WebSocket API"
  role              = local.role_arn
  runtime           = "provided.al2023"
  handler           = "bootstrap"
  architectures     = [var.architecture]
  memory_size       = var.memory_size
  timeout           = var.timeout_seconds
  filename          = local.from_s3 ? null : local.package_path
  s3_bucket         = var.s3_bucket
  s3_key            = var.s3_key
  s3_object_version = var.s3_object_version
  source_code_hash  = local.from_s3 ? var.source_code_hash : filebase64sha256(local.package_path)
  publish           = local.publish
  layers            = var.layers
  kms_key_arn       = var.kms_key_arn

  reserved_concurrent_executions = var.reserved_concurrency

  dynamic "tracing_config" {
    for_each = var.tracing_mode == null ? [] : [var.tracing_mode]
    content {
      mode = tracing_config.value
    }
  }

  dynamic "vpc_config" {
    for_each = length(var.vpc_subnet_ids) > 0 ? [1] : []
    content {
      subnet_ids         = var.vpc_subnet_ids
      security_group_ids = var.vpc_security_group_ids
    }
  }

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

  depends_on = [aws_iam_role_policy.logs, aws_iam_role_policy_attachment.tracing, aws_iam_role_policy_attachment.vpc]

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
      condition     = !local.preset_http_issuer
      error_message = "provider_preset: the preset's issuer is read by OIDC discovery, which needs an https:// URL (the Lambda refuses to start: JWT_ISSUER)."
    }
    precondition {
      condition     = local.context_least_bytes <= var.context_max_bytes
      error_message = "context_claims: ${length(local.context_claims_counted)} claims (the preset's included) need at least ${local.context_least_bytes} bytes of context, more than context_max_bytes (${var.context_max_bytes}) (the Lambda refuses to start: CONTEXT_CLAIMS)."
    }
    precondition {
      condition     = !local.multi_tenant_without_issuer
      error_message = "issuers: the key set signs tokens for every tenant or project of its provider (Entra's common keys, Google's, Firebase's), so set issuers, or a provider_preset with its parameter, or any of them would pass (the Lambda refuses to start: JWT_ISSUER)."
    }
  }
}

# API Gateway invokes the alias when there is one, so provisioned
# concurrency (warm environments for $connect) serves the authorizer.
resource "aws_lambda_alias" "this" {
  count = local.publish ? 1 : 0

  name             = var.alias_name
  function_name    = aws_lambda_function.this.function_name
  function_version = aws_lambda_function.this.version
}

resource "aws_lambda_provisioned_concurrency_config" "this" {
  count = var.provisioned_concurrency > 0 ? 1 : 0

  function_name                     = aws_lambda_function.this.function_name
  qualifier                         = aws_lambda_alias.this[0].name
  provisioned_concurrent_executions = var.provisioned_concurrency
}

# The role became optional (create_role); state from before keeps its place.
moved {
  from = aws_iam_role.this
  to   = aws_iam_role.this[0]
}

moved {
  from = aws_iam_role_policy.logs
  to   = aws_iam_role_policy.logs[0]
}

locals {
  role_arn   = var.create_role ? aws_iam_role.this[0].arn : var.role_arn
  partition  = split(":", local.role_arn)[1]
  invoke_arn = local.publish ? aws_lambda_alias.this[0].invoke_arn : aws_lambda_function.this.invoke_arn
}

resource "aws_lambda_permission" "api_gateway" {
  statement_id  = "AllowApiGatewayAuthorizer"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.this.function_name
  qualifier     = local.publish ? aws_lambda_alias.this[0].name : null
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${var.api_execution_arn}/authorizers/*"
}

resource "aws_apigatewayv2_authorizer" "this" {
  api_id           = var.api_id
  name             = var.name
  authorizer_type  = "REQUEST"
  authorizer_uri   = local.invoke_arn
  identity_sources = local.identity_sources[var.token_source]
}
