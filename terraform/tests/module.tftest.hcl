# Offline tests of the module with a mocked AWS provider:
#   terraform init -backend=false -plugin-dir=/opt/tf-plugins && terraform test
# (scripts/test-terraform.sh runs them, and creates the stand-in package.)

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  api_id               = "abcdef1234"
  api_execution_arn    = "arn:aws:execute-api:eu-west-1:123456789012:abcdef1234"
  package_path         = "tests/fixtures/bootstrap.zip"
  jwks_uri             = "https://idp.example.com/.well-known/jwks.json"
  authorized_audiences = ["app-client-1", "app-client-2"]
}

# The defaults with a key set and audiences alone (the configuration of the
# authorizer this one replaces): the Lambda starts, warning that no issuer is
# checked, and so does the plan.
run "defaults" {
  command = apply

  expect_failures = [check.issuer_checked]

  assert {
    condition     = aws_apigatewayv2_authorizer.this[0].authorizer_type == "REQUEST"
    error_message = "the authorizer must be a REQUEST authorizer"
  }
  assert {
    condition     = tolist(aws_apigatewayv2_authorizer.this[0].identity_sources) == tolist(["route.request.querystring.authorization"])
    error_message = "the default identity source is the authorization query parameter"
  }
  assert {
    condition     = aws_apigatewayv2_authorizer.this[0].authorizer_uri == aws_lambda_function.this.invoke_arn
    error_message = "the authorizer must invoke the function"
  }
  assert {
    condition     = aws_lambda_permission.api_gateway.principal == "apigateway.amazonaws.com"
    error_message = "only API Gateway may invoke the function"
  }
  assert {
    condition     = aws_lambda_permission.api_gateway.source_arn == "arn:aws:execute-api:eu-west-1:123456789012:abcdef1234/authorizers/*"
    error_message = "the permission must be scoped to this API's authorizers"
  }
  assert {
    condition     = aws_lambda_function.this.runtime == "provided.al2023" && aws_lambda_function.this.handler == "bootstrap"
    error_message = "the function runs the bootstrap binary on provided.al2023"
  }
  assert {
    condition     = aws_lambda_function.this.architectures == tolist(["arm64"])
    error_message = "arm64 is the default architecture"
  }
  assert {
    condition     = aws_lambda_function.this.memory_size == 128 && aws_lambda_function.this.timeout == 10
    error_message = "128 MB and 10 s by default"
  }
  assert {
    condition     = aws_lambda_function.this.logging_config[0].log_format == "JSON"
    error_message = "logs are JSON by default (Lambda then sets AWS_LAMBDA_LOG_FORMAT=JSON)"
  }
  assert {
    condition     = aws_lambda_function.this.logging_config[0].system_log_level == "INFO" && aws_lambda_function.this.logging_config[0].application_log_level == "INFO"
    error_message = "system logs at INFO by default: START and REPORT lines (max memory used) must reach CloudWatch"
  }
  assert {
    condition     = aws_iam_role.this[0].name_prefix == "ws-jwt-authorizer-" && aws_iam_role.this[0].name == "ws-jwt-authorizer-20260101000000000000000001"
    error_message = "the role takes a unique name from the prefix <name>-, so a second region does not collide"
  }
  assert {
    condition     = aws_cloudwatch_log_group.this.retention_in_days == 30
    error_message = "30 days of log retention by default"
  }
  assert {
    condition = aws_lambda_function.this.environment[0].variables == tomap({
      JWT_ISSUER_JWKS_URI           = "https://idp.example.com/.well-known/jwks.json"
      JWT_AUTHORIZED_AUDIENCES      = "app-client-1,app-client-2"
      JWT_VERIFY_EXPIRATION         = "true"
      JWT_LEEWAY_SECONDS            = "60"
      JWKS_CACHE_TTL_SECONDS        = "600"
      JWKS_REFRESH_COOLDOWN_SECONDS = "10"
      JWKS_MAX_STALE_SECONDS        = "3600"
      JWKS_MAX_BACKOFF_SECONDS      = "30"
      JWKS_FETCH_TIMEOUT_MS         = "2000"
      JWKS_MAX_BYTES                = "262144"
      PRINCIPAL_ID_CLAIM            = "sub"
      DECISION_CACHE_MAX_ENTRIES    = "10000"
      METRICS_ENABLED               = "true"
      JWT_REQUIRED_SCOPES_MODE      = "any"
      JWT_MIN_REMAINING_SECONDS     = "0"
      CONTEXT_MAX_BYTES             = "4096"
      SUBPROTOCOL_TOKEN_PREFIX      = "base64url.bearer.authorization."
      TOKEN_COOKIE_NAME             = "access_token"
      TOKEN_SOURCES                 = "query"
    })
    error_message = "unset lists and jwks_min_ttl_seconds must not reach the environment; TOKEN_SOURCES must follow the identity source"
  }
  assert {
    condition     = output.authorizer_id == aws_apigatewayv2_authorizer.this[0].id && output.function_arn == aws_lambda_function.this.arn && output.role_arn == aws_iam_role.this[0].arn
    error_message = "outputs must expose the authorizer, function and role"
  }
}

run "every_variable_reaches_the_environment" {
  command = apply

  variables {
    token_source                  = "header"
    architecture                  = "x86_64"
    verify_expiration             = false
    authorized_apis               = ["arn:aws:execute-api:eu-west-1:123456789012:abcdef1234/prod/*", "arn:aws:execute-api:eu-west-1:123456789012:abcdef1234/dev/*"]
    issuers                       = ["https://idp.example.com"]
    algorithms                    = ["RS256", "ES256"]
    leeway_seconds                = 5
    jwks_cache_ttl_seconds        = 300
    jwks_refresh_cooldown_seconds = 30
    jwks_max_stale_seconds        = 900
    jwks_max_backoff_seconds      = 60
    jwks_fetch_timeout_ms         = 1500
    jwks_max_bytes                = 65536
    principal_id_claim            = "username"
    decision_cache_max_entries    = 0
    metrics_enabled               = false
    required_scopes               = ["chat:write", "chat:read"]
    required_scopes_mode          = "all"
    min_remaining_seconds         = 30
    max_age_seconds               = 86400
    required_typ                  = "at+jwt"
    context_claims                = ["realm_access.roles", "email"]
    context_max_bytes             = 2048
    token_sources                 = ["cookie", "header"]
    subprotocol_token_prefix      = "jwt."
    token_cookie_name             = "session"
    allowed_origins               = ["https://app.example.com"]
    jwks_fallback_file            = "/var/task/jwks.json"
    jwks_min_ttl_seconds          = 120
    provider_preset               = "cognito"
    required_claims               = { token_use = "id" }
  }

  expect_failures = [check.expiration_verified]

  assert {
    condition     = tolist(aws_apigatewayv2_authorizer.this[0].identity_sources) == tolist(["route.request.header.Authorization"])
    error_message = "token_source = header uses the Authorization header"
  }
  assert {
    condition     = aws_lambda_function.this.architectures == tolist(["x86_64"])
    error_message = "architecture must reach the function"
  }
  assert {
    condition = aws_lambda_function.this.environment[0].variables == tomap({
      JWT_ISSUER_JWKS_URI           = "https://idp.example.com/.well-known/jwks.json"
      JWT_AUTHORIZED_AUDIENCES      = "app-client-1,app-client-2"
      JWT_VERIFY_EXPIRATION         = "false"
      AUTHORIZED_APIS               = "arn:aws:execute-api:eu-west-1:123456789012:abcdef1234/prod/*,arn:aws:execute-api:eu-west-1:123456789012:abcdef1234/dev/*"
      JWT_ISSUER                    = "https://idp.example.com"
      JWT_ALGORITHMS                = "RS256,ES256"
      JWT_LEEWAY_SECONDS            = "5"
      JWKS_CACHE_TTL_SECONDS        = "300"
      JWKS_REFRESH_COOLDOWN_SECONDS = "30"
      JWKS_MAX_STALE_SECONDS        = "900"
      JWKS_MAX_BACKOFF_SECONDS      = "60"
      JWKS_FETCH_TIMEOUT_MS         = "1500"
      JWKS_MAX_BYTES                = "65536"
      PRINCIPAL_ID_CLAIM            = "username"
      DECISION_CACHE_MAX_ENTRIES    = "0"
      METRICS_ENABLED               = "false"
      JWT_REQUIRED_SCOPES           = "chat:write chat:read"
      JWT_REQUIRED_SCOPES_MODE      = "all"
      JWT_MIN_REMAINING_SECONDS     = "30"
      JWT_MAX_AGE_SECONDS           = "86400"
      JWT_REQUIRED_TYP              = "at+jwt"
      CONTEXT_CLAIMS                = "realm_access.roles,email"
      CONTEXT_MAX_BYTES             = "2048"
      TOKEN_SOURCES                 = "cookie,header"
      SUBPROTOCOL_TOKEN_PREFIX      = "jwt."
      TOKEN_COOKIE_NAME             = "session"
      ALLOWED_ORIGINS               = "https://app.example.com"
      JWKS_FALLBACK_FILE            = "/var/task/jwks.json"
      JWKS_MIN_TTL_SECONDS          = "120"
      JWT_PROVIDER                  = "cognito"
      JWT_REQUIRED_CLAIMS           = "{\"token_use\":\"id\"}"
    })
    error_message = "each authorizer variable must reach the environment under its name"
  }
}

run "plain_http_key_sets_are_refused" {
  command = plan

  variables {
    issuers  = ["https://idp.example.com"]
    jwks_uri = "http://idp.example.com/jwks"
  }

  expect_failures = [var.jwks_uri]
}

run "hmac_is_not_an_algorithm" {
  command = plan

  variables {
    issuers    = ["https://idp.example.com"]
    algorithms = ["HS256"]
  }

  expect_failures = [var.algorithms]
}

run "timeouts_stay_under_api_gateway_limit" {
  command = plan

  variables {
    issuers         = ["https://idp.example.com"]
    timeout_seconds = 30
  }

  expect_failures = [var.timeout_seconds]
}

run "audiences_are_required" {
  command = plan

  variables {
    issuers              = ["https://idp.example.com"]
    authorized_audiences = []
  }

  expect_failures = [var.authorized_audiences]
}

run "several_issuers_replace_the_key_set_url" {
  command = apply

  variables {
    jwks_uri             = ""
    authorized_audiences = []
    trusted_issuers = [
      { issuer = "https://a.example.com", audiences = ["api-a"] },
      { issuer = "https://b.example.com", jwks_uri = "https://b.example.com/keys", audiences = ["api-b"] },
    ]
  }

  assert {
    condition     = jsondecode(aws_lambda_function.this.environment[0].variables["JWT_ISSUERS"])[1].jwks_uri == "https://b.example.com/keys"
    error_message = "trusted_issuers must reach JWT_ISSUERS as JSON"
  }
  assert {
    condition     = !contains(keys(aws_lambda_function.this.environment[0].variables), "JWT_ISSUER_JWKS_URI")
    error_message = "an empty jwks_uri must not reach the environment"
  }
}

run "keys_must_be_named" {
  command = plan

  variables {
    jwks_uri = ""
  }

  expect_failures = [aws_lambda_function.this]
}
