locals {
  # Where the package comes from (variables.tf: exactly one is set).
  from_path  = var.package_path != null
  from_image = var.image_uri != null

  # A published version behind an alias when asked for, or needed by
  # provisioned concurrency (which applies to a version or alias only).
  publish = var.publish || var.provisioned_concurrency > 0

  # Where API Gateway looks for the token, in each API type's syntax.
  identity_sources = {
    websocket = {
      query    = ["route.request.querystring.authorization"]
      header   = ["route.request.header.Authorization"]
      protocol = ["route.request.header.Sec-WebSocket-Protocol"]
      cookie   = ["route.request.header.Cookie"]
    }
    http = {
      query  = ["$request.querystring.authorization"]
      header = ["$request.header.Authorization"]
      cookie = ["$request.header.Cookie"]
    }
    rest = {
      query  = ["method.request.querystring.authorization"]
      header = ["method.request.header.Authorization"]
      cookie = ["method.request.header.Cookie"]
    }
  }
  token_source = coalesce(var.token_source, var.api_type == "websocket" ? "query" : "header")

  # A simple answer holds for the route it was asked about only, while API
  # Gateway caches answers by identity sources for every route of the API:
  # with route scopes the route joins the cache key, so a token allowed on
  # one route is never let through another by a cached answer.
  route_keyed_cache = var.api_type == "http" && var.simple_responses && length(var.route_scopes) > 0
  # With allowed_origins the answer depends on the request's Origin too: in
  # the cache key, or an answer given to your own page would admit another
  # site's request with the same token. (A request without Origin is refused
  # by the Lambda anyway; API Gateway now refuses it first, 401.) WebSocket
  # APIs cache nothing.
  origin_keyed_cache = var.api_type != "websocket" && length(var.allowed_origins) > 0
  origin_source      = { websocket = [], http = ["$request.header.Origin"], rest = ["method.request.header.Origin"] }[var.api_type]
  identity_source_list = concat(
    lookup(local.identity_sources[var.api_type], local.token_source, []),
    local.origin_keyed_cache ? local.origin_source : [],
    local.route_keyed_cache ? ["$context.routeKey"] : [],
  )

  rest_authorizer_type   = coalesce(var.rest_authorizer_type, "TOKEN")
  payload_format_version = coalesce(var.payload_format_version, "2.0")
  # API Gateway caches an answer by the identity sources and reuses it on
  # every route of the API. An IAM answer names the request's own resource
  # (…/GET/orders/1), so reused on another route, or another id, it refuses:
  # it may be cached only when it speaks for the other routes, which it does
  # with route scopes (every listed route, parameters as wildcards). A simple
  # answer without route scopes holds for every route. So by default: API
  # Gateway's 300 s when the answer covers the routes, no caching otherwise.
  # WebSocket APIs cache nothing.
  answers_cover_routes = length(var.route_scopes) > 0 || (var.api_type == "http" && var.simple_responses)
  result_ttl_seconds   = var.api_type == "websocket" ? null : coalesce(var.authorizer_result_ttl_seconds, local.answers_cover_routes ? 300 : 0)

  description = {
    websocket = "JWT authorizer for the $connect route of a WebSocket API"
    http      = "JWT authorizer for an HTTP API (payload format ${local.payload_format_version}${var.simple_responses ? ", simple responses" : ""})"
    rest      = "JWT authorizer for a REST API (${local.rest_authorizer_type} authorizer)"
  }[var.api_type]
}

# KMS keys whose tokens the function verifies: it reads each public key once
# (kms:GetPublicKey), and may read those keys only. A bare key id is a key of
# the function's own account and region, so it becomes an ARN through them.
# Whether there are keys is known at plan even when the keys are not (a key
# created in the same apply), so counts depend on that alone.
locals {
  kms_key_ids = distinct(concat(var.kms_key_ids, flatten([
    for entry in var.trusted_issuers : entry.kms_key_ids == null ? [] : entry.kms_key_ids
  ])))
  kms_configured = length(var.kms_key_ids) + length(flatten([for entry in var.trusted_issuers : entry.kms_key_ids == null ? [] : entry.kms_key_ids])) > 0
  api_partition  = split(":", var.api_execution_arn)[1]
  kms_key_arns = sort(distinct([
    for key in local.kms_key_ids : startswith(key, "arn:") ? key : "arn:${local.api_partition}:kms:${data.aws_region.current[0].name}:${data.aws_caller_identity.current[0].account_id}:key/${key}"
  ]))
}

data "aws_region" "current" {
  count = local.kms_configured ? 1 : 0
}

data "aws_caller_identity" "current" {
  count = local.kms_configured ? 1 : 0
}

resource "aws_iam_role_policy" "kms" {
  count = var.create_role && local.kms_configured ? 1 : 0

  name = "read-kms-public-keys"
  role = aws_iam_role.this[0].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid      = "ReadSigningKeys"
      Effect   = "Allow"
      Action   = "kms:GetPublicKey"
      Resource = local.kms_key_arns
    }]
  })
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
  function_name = var.name
  description   = local.description
  role          = local.role_arn
  # A zip (a file or an S3 object) runs on provided.al2023; an image
  # brings its own runtime.
  package_type      = local.from_image ? "Image" : "Zip"
  runtime           = local.from_image ? null : "provided.al2023"
  handler           = local.from_image ? null : "bootstrap"
  image_uri         = var.image_uri
  architectures     = [var.architecture]
  memory_size       = var.memory_size
  timeout           = var.timeout_seconds
  filename          = var.package_path
  s3_bucket         = var.s3_bucket
  s3_key            = var.s3_key
  s3_object_version = var.s3_object_version
  source_code_hash  = local.from_path ? filebase64sha256(var.package_path) : var.source_code_hash
  publish           = local.publish
  layers            = local.from_image ? null : var.layers
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

  depends_on = [aws_iam_role_policy.logs, aws_iam_role_policy.kms, aws_iam_role_policy_attachment.tracing, aws_iam_role_policy_attachment.vpc]

  # Start-up rules of the Lambda that span several variables (rules.tf):
  # checked here because a variable's validation cannot use a local that
  # depends on that same variable.
  lifecycle {
    precondition {
      condition     = local.keys_named
      error_message = "Name the keys: jwks_uri, jwks_json, a single issuer (OIDC discovery), trusted_issuers, kms_key_ids, or provider_preset with its parameter (the Lambda refuses to start otherwise: JWT_ISSUER_JWKS_URI)."
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
      condition     = !local.wso2_http_server
      error_message = "provider_preset: wso2's key set URL ({server}/oauth2/jwks) must use https:// (plain http:// only on loopback) (the Lambda refuses to start: JWT_ISSUER_JWKS_URI)."
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

# WebSocket and HTTP APIs (API Gateway v2): a REQUEST authorizer; an HTTP
# API's takes a payload format, simple responses and a result TTL.
resource "aws_apigatewayv2_authorizer" "this" {
  count = var.api_type == "rest" ? 0 : 1

  api_id           = var.api_id
  name             = var.name
  authorizer_type  = "REQUEST"
  authorizer_uri   = local.invoke_arn
  identity_sources = local.identity_source_list

  authorizer_payload_format_version = var.api_type == "http" ? local.payload_format_version : null
  enable_simple_responses           = var.api_type == "http" ? var.simple_responses : null
  authorizer_result_ttl_in_seconds  = local.result_ttl_seconds
}

# A REST API: a TOKEN authorizer (the Authorization header's value) or a
# REQUEST one. Methods name it in aws_api_gateway_method.authorizer_id, and
# the API needs a new deployment to use it.
resource "aws_api_gateway_authorizer" "this" {
  count = var.api_type == "rest" ? 1 : 0

  rest_api_id                      = var.api_id
  name                             = var.name
  type                             = local.rest_authorizer_type
  authorizer_uri                   = local.invoke_arn
  identity_source                  = join(",", local.identity_source_list)
  authorizer_result_ttl_in_seconds = local.result_ttl_seconds
}

# The WebSocket authorizer became one of two (api_type); state from before
# keeps its place.
moved {
  from = aws_apigatewayv2_authorizer.this
  to   = aws_apigatewayv2_authorizer.this[0]
}

locals {
  authorizer_id = one(concat(aws_apigatewayv2_authorizer.this[*].id, aws_api_gateway_authorizer.this[*].id))
}
