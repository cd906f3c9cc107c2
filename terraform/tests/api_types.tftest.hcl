# One function for WebSocket, HTTP and REST APIs (issue #29, item 5): the
# right authorizer resource for each api_type, its identity sources in that
# API's syntax, payload format, simple responses and result TTL, and a
# refusal at plan for every combination API Gateway or the Lambda cannot
# serve.

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  api_id               = "abcdef1234"
  api_execution_arn    = "arn:aws:execute-api:eu-west-1:123456789012:abcdef1234"
  package_path         = "tests/fixtures/bootstrap.zip"
  jwks_uri             = "https://idp.example.com/.well-known/jwks.json"
  authorized_audiences = ["orders-api"]
  # With its issuer: no warning (terraform test fails a run on any check
  # warning it does not expect).
  issuers = ["https://idp.example.com"]
}

# Existing users set no api_type: what they had is what they get.
run "websocket_is_the_default_and_unchanged" {
  command = apply

  assert {
    condition     = length(aws_apigatewayv2_authorizer.this) == 1 && length(aws_api_gateway_authorizer.this) == 0
    error_message = "a WebSocket API gets one API Gateway v2 authorizer and no REST one"
  }
  assert {
    condition     = aws_apigatewayv2_authorizer.this[0].authorizer_payload_format_version == null && aws_apigatewayv2_authorizer.this[0].enable_simple_responses == null && local.result_ttl_seconds == null
    error_message = "a WebSocket authorizer takes no payload format, simple responses or TTL (API Gateway refuses them)"
  }
  assert {
    condition     = aws_lambda_function.this.description == "JWT authorizer for the $connect route of a WebSocket API"
    error_message = "the WebSocket function keeps its description, so existing deployments see no change"
  }
  assert {
    condition     = !contains(keys(aws_lambda_function.this.environment[0].variables), "SIMPLE_RESPONSES") && !contains(keys(aws_lambda_function.this.environment[0].variables), "ROUTE_SCOPES") && !contains(keys(aws_lambda_function.this.environment[0].variables), "KMS_JWT_KEY_ID")
    error_message = "the new variables stay unset when unused, leaving the Lambda's defaults"
  }
  assert {
    condition     = output.authorizer_id == "auth123" && length(output.kms_key_arns) == 0
    error_message = "authorizer_id is the v2 authorizer's; no KMS keys"
  }
}

run "http_api_payload_2_with_iam_answers_by_default" {
  command = apply

  variables {
    api_type = "http"
  }

  assert {
    condition     = aws_apigatewayv2_authorizer.this[0].authorizer_type == "REQUEST" && aws_apigatewayv2_authorizer.this[0].authorizer_payload_format_version == "2.0" && aws_apigatewayv2_authorizer.this[0].enable_simple_responses == false
    error_message = "an HTTP API gets a REQUEST authorizer with payload format 2.0, IAM answers unless asked"
  }
  assert {
    condition     = tolist(aws_apigatewayv2_authorizer.this[0].identity_sources) == tolist(["$request.header.Authorization"]) && aws_lambda_function.this.environment[0].variables["TOKEN_SOURCES"] == "header"
    error_message = "an HTTP API reads the Authorization header by default ($request.header.Authorization), and the Lambda too"
  }
  assert {
    condition     = aws_apigatewayv2_authorizer.this[0].authorizer_result_ttl_in_seconds == 0
    error_message = "an IAM answer names its own route only: without route scopes it is not cached, or a cached Allow for GET /orders/1 would refuse GET /orders/2"
  }
  assert {
    condition     = aws_lambda_permission.api_gateway.source_arn == "arn:aws:execute-api:eu-west-1:123456789012:abcdef1234/authorizers/*" && aws_apigatewayv2_authorizer.this[0].authorizer_uri == aws_lambda_function.this.invoke_arn
    error_message = "the permission is scoped to this API's authorizers, which invoke the function"
  }
  assert {
    condition     = aws_lambda_function.this.description == "JWT authorizer for an HTTP API (payload format 2.0)" && length(aws_api_gateway_authorizer.this) == 0
    error_message = "the function says what it serves; no REST authorizer"
  }
  assert {
    condition     = !contains(keys(aws_lambda_function.this.environment[0].variables), "SIMPLE_RESPONSES")
    error_message = "IAM answers are the Lambda's default: SIMPLE_RESPONSES stays unset"
  }
}

run "http_api_simple_responses" {
  command = apply

  variables {
    api_type                      = "http"
    simple_responses              = true
    authorizer_result_ttl_seconds = 60
  }

  assert {
    condition     = aws_apigatewayv2_authorizer.this[0].enable_simple_responses == true && aws_lambda_function.this.environment[0].variables["SIMPLE_RESPONSES"] == "true"
    error_message = "simple responses: the authorizer expects them and the Lambda gives them"
  }
  assert {
    condition     = tolist(aws_apigatewayv2_authorizer.this[0].identity_sources) == tolist(["$request.header.Authorization"]) && aws_apigatewayv2_authorizer.this[0].authorizer_result_ttl_in_seconds == 60
    error_message = "without route scopes every route gets the same answer: the token alone keys the cache"
  }
  assert {
    condition     = aws_lambda_function.this.description == "JWT authorizer for an HTTP API (payload format 2.0, simple responses)"
    error_message = "the function says it answers simply"
  }
}

run "http_api_payload_1" {
  command = plan

  variables {
    api_type               = "http"
    payload_format_version = "1.0"
    token_source           = "query"
  }

  assert {
    condition     = aws_apigatewayv2_authorizer.this[0].authorizer_payload_format_version == "1.0" && tolist(aws_apigatewayv2_authorizer.this[0].identity_sources) == tolist(["$request.querystring.authorization"]) && aws_lambda_function.this.environment[0].variables["TOKEN_SOURCES"] == "query"
    error_message = "payload 1.0 with the token in the query string, in the HTTP API's syntax"
  }
}

run "http_api_cookie" {
  command = plan

  variables {
    api_type        = "http"
    token_source    = "cookie"
    allowed_origins = ["https://app.example.com"]
  }

  assert {
    condition     = aws_apigatewayv2_authorizer.this[0].identity_sources == toset(["$request.header.Cookie", "$request.header.Origin"]) && aws_lambda_function.this.environment[0].variables["TOKEN_SOURCES"] == "cookie"
    error_message = "the cookie transport on an HTTP API is its Cookie header; with allowed_origins (which cookies need) the Origin joins the cache key, so an answer given to your page is never reused for another site's request"
  }
}

run "rest_api_token_authorizer_by_default" {
  command = apply

  variables {
    api_id            = "r3stap1d"
    api_execution_arn = "arn:aws:execute-api:eu-west-1:123456789012:r3stap1d"
    api_type          = "rest"
  }

  assert {
    condition     = length(aws_api_gateway_authorizer.this) == 1 && length(aws_apigatewayv2_authorizer.this) == 0
    error_message = "a REST API gets an aws_api_gateway_authorizer, no v2 one"
  }
  assert {
    condition     = aws_api_gateway_authorizer.this[0].type == "TOKEN" && aws_api_gateway_authorizer.this[0].identity_source == "method.request.header.Authorization" && aws_api_gateway_authorizer.this[0].rest_api_id == "r3stap1d"
    error_message = "a TOKEN authorizer on the Authorization header of this REST API"
  }
  assert {
    condition     = aws_api_gateway_authorizer.this[0].authorizer_uri == aws_lambda_function.this.invoke_arn && aws_api_gateway_authorizer.this[0].authorizer_result_ttl_in_seconds == 0
    error_message = "it invokes the function; its IAM answers, for the method called only, are not cached without route scopes"
  }
  assert {
    condition     = aws_lambda_permission.api_gateway.source_arn == "arn:aws:execute-api:eu-west-1:123456789012:r3stap1d/authorizers/*"
    error_message = "the permission is scoped to this REST API's authorizers"
  }
  assert {
    condition     = output.authorizer_id == "rauth1" && output.identity_sources == toset(["method.request.header.Authorization"]) && aws_lambda_function.this.environment[0].variables["TOKEN_SOURCES"] == "header"
    error_message = "outputs name the REST authorizer and its identity source"
  }
  assert {
    condition     = aws_lambda_function.this.description == "JWT authorizer for a REST API (TOKEN authorizer)"
    error_message = "the function says what it serves"
  }
}

# With route scopes an IAM answer speaks for every listed route: cached by
# default, 300 s as API Gateway's own default.
run "route_scopes_turn_caching_on" {
  command = plan

  variables {
    api_type     = "rest"
    route_scopes = { "GET /orders" = [], "GET /orders/{id}" = ["orders:read"] }
  }

  assert {
    condition     = aws_api_gateway_authorizer.this[0].authorizer_result_ttl_in_seconds == 300
    error_message = "answers that cover the listed routes are cached 300 s"
  }
}

run "simple_answers_without_route_scopes_are_cached" {
  command = plan

  variables {
    api_type         = "http"
    simple_responses = true
  }

  assert {
    condition     = aws_apigatewayv2_authorizer.this[0].authorizer_result_ttl_in_seconds == 300 && tolist(aws_apigatewayv2_authorizer.this[0].identity_sources) == tolist(["$request.header.Authorization"])
    error_message = "a simple answer without route scopes holds for every route: cached 300 s by token"
  }
}

run "an_explicit_ttl_wins" {
  command = plan

  variables {
    api_type                      = "http"
    authorizer_result_ttl_seconds = 120
  }

  assert {
    condition     = aws_apigatewayv2_authorizer.this[0].authorizer_result_ttl_in_seconds == 120
    error_message = "a TTL you set is kept (an API of one route without parameters may cache IAM answers)"
  }
}

run "rest_api_request_authorizer_reads_the_query_string" {
  command = plan

  variables {
    api_type                      = "rest"
    rest_authorizer_type          = "REQUEST"
    token_source                  = "query"
    authorizer_result_ttl_seconds = 0
  }

  assert {
    condition     = aws_api_gateway_authorizer.this[0].type == "REQUEST" && aws_api_gateway_authorizer.this[0].identity_source == "method.request.querystring.authorization" && aws_api_gateway_authorizer.this[0].authorizer_result_ttl_in_seconds == 0
    error_message = "a REQUEST authorizer on the query string, caching off"
  }
}

run "rest_api_invokes_the_alias_when_published" {
  command = apply

  variables {
    api_type = "rest"
    publish  = true
  }

  assert {
    condition     = aws_api_gateway_authorizer.this[0].authorizer_uri == aws_lambda_alias.this[0].invoke_arn && aws_lambda_permission.api_gateway.qualifier == "live"
    error_message = "with versions published, the REST authorizer invokes the alias"
  }
}

# Refused at plan: what API Gateway or the Lambda cannot serve.

run "an_unknown_api_type_is_refused" {
  command = plan

  variables {
    api_type = "graphql"
  }

  expect_failures = [var.api_type]
}

run "simple_responses_on_a_websocket_api_are_refused" {
  command = plan

  variables {
    simple_responses = true
  }

  expect_failures = [var.simple_responses]
}

run "simple_responses_on_a_rest_api_are_refused" {
  command = plan

  variables {
    api_type         = "rest"
    simple_responses = true
  }

  expect_failures = [var.simple_responses]
}

run "simple_responses_with_payload_1_are_refused" {
  command = plan

  variables {
    api_type               = "http"
    payload_format_version = "1.0"
    simple_responses       = true
  }

  expect_failures = [var.simple_responses]
}

run "a_payload_format_is_for_http_apis" {
  command = plan

  variables {
    payload_format_version = "2.0"
  }

  expect_failures = [var.payload_format_version]
}

run "payload_formats_are_1_or_2" {
  command = plan

  variables {
    api_type               = "http"
    payload_format_version = "3.0"
  }

  expect_failures = [var.payload_format_version]
}

run "a_rest_authorizer_type_is_for_rest_apis" {
  command = plan

  variables {
    api_type             = "http"
    rest_authorizer_type = "TOKEN"
  }

  expect_failures = [var.rest_authorizer_type]
}

run "a_token_authorizer_reads_the_header_not_the_query" {
  command = plan

  variables {
    api_type     = "rest"
    token_source = "query"
  }

  expect_failures = [var.token_source]
}

run "a_token_authorizer_reads_the_header_not_a_cookie" {
  command = plan

  variables {
    api_type             = "rest"
    rest_authorizer_type = "TOKEN"
    token_source         = "cookie"
  }

  expect_failures = [var.token_source]
}

run "a_token_authorizer_sees_no_origin" {
  command = plan

  variables {
    api_type        = "rest"
    allowed_origins = ["https://app.example.com"]
  }

  expect_failures = [var.allowed_origins]
}

run "a_rest_request_authorizer_keys_the_cache_by_origin" {
  command = plan

  variables {
    api_type             = "rest"
    rest_authorizer_type = "REQUEST"
    token_source         = "cookie"
    allowed_origins      = ["https://app.example.com"]
  }

  assert {
    condition     = aws_api_gateway_authorizer.this[0].identity_source == "method.request.header.Cookie,method.request.header.Origin"
    error_message = "with allowed_origins the Origin joins a REST REQUEST authorizer's cache key"
  }
}

run "websocket_identity_sources_stay_as_they_were_with_origins" {
  command = plan

  variables {
    token_source    = "cookie"
    allowed_origins = ["https://app.example.com"]
  }

  assert {
    condition     = tolist(aws_apigatewayv2_authorizer.this[0].identity_sources) == tolist(["route.request.header.Cookie"])
    error_message = "a WebSocket authorizer caches nothing: its identity sources keep the transport alone"
  }
}

run "the_subprotocol_is_for_websocket_apis" {
  command = plan

  variables {
    api_type     = "http"
    token_source = "protocol"
  }

  expect_failures = [var.token_source]
}

run "websocket_answers_are_not_cached" {
  command = plan

  variables {
    authorizer_result_ttl_seconds = 300
  }

  expect_failures = [var.authorizer_result_ttl_seconds]
}

run "a_ttl_over_an_hour_is_refused" {
  command = plan

  variables {
    api_type                      = "http"
    authorizer_result_ttl_seconds = 3601
  }

  expect_failures = [var.authorizer_result_ttl_seconds]
}
