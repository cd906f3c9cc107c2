# ROUTE_SCOPES (issue #29, item 3): route keys as API Gateway writes them,
# to the scopes a token needs on that route. IAM answers cover every listed
# route, so API Gateway's cache (one answer per token, reused on every route)
# stays safe; a simple answer covers its own route only, so with simple
# responses the module adds the route to the cache key ($context.routeKey).
# Malformed keys, and keys the API type never sends, fail the plan.

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  api_id               = "abcdef1234"
  api_execution_arn    = "arn:aws:execute-api:eu-west-1:123456789012:abcdef1234"
  package_path         = "tests/fixtures/bootstrap.zip"
  jwks_uri             = "https://idp.example.com/.well-known/jwks.json"
  authorized_audiences = ["orders-api"]
  issuers              = ["https://idp.example.com"]
  api_type             = "http"
}

run "route_scopes_reach_the_lambda_as_json" {
  command = apply

  variables {
    route_scopes = {
      "GET /orders"                   = ["orders:read", "orders:admin"]
      "GET /orders/{id}"              = ["orders:read"]
      "POST /orders"                  = ["orders:write"]
      "GET /orders/{id}/items/{item}" = ["orders:read"]
      "ANY /{proxy+}"                 = []
      "GET /"                         = []
      "$default"                      = []
    }
  }

  assert {
    condition = jsondecode(aws_lambda_function.this.environment[0].variables["ROUTE_SCOPES"]) == {
      "GET /orders"                   = ["orders:read", "orders:admin"]
      "GET /orders/{id}"              = ["orders:read"]
      "POST /orders"                  = ["orders:write"]
      "GET /orders/{id}/items/{item}" = ["orders:read"]
      "ANY /{proxy+}"                 = []
      "GET /"                         = []
      "$default"                      = []
    }
    error_message = "ROUTE_SCOPES must carry every route with its scopes, the empty lists too"
  }
  assert {
    condition     = tolist(aws_apigatewayv2_authorizer.this[0].identity_sources) == tolist(["$request.header.Authorization"]) && aws_apigatewayv2_authorizer.this[0].authorizer_result_ttl_in_seconds == 300
    error_message = "with IAM answers (which list every route) the token alone keys the cache, which stays on"
  }
}

run "simple_responses_with_route_scopes_key_the_cache_by_route" {
  command = apply

  variables {
    simple_responses = true
    route_scopes = {
      "GET /orders"  = ["orders:read"]
      "POST /orders" = ["orders:write"]
    }
  }

  assert {
    condition     = aws_apigatewayv2_authorizer.this[0].identity_sources == toset(["$request.header.Authorization", "$context.routeKey"])
    error_message = "a simple answer holds for its route only: the route must join the cache key, or a token allowed on GET /orders would pass POST /orders from the cache"
  }
  assert {
    condition     = output.identity_sources == toset(["$request.header.Authorization", "$context.routeKey"])
    error_message = "the output shows the route in the cache key"
  }
  assert {
    condition     = aws_lambda_function.this.environment[0].variables["SIMPLE_RESPONSES"] == "true" && jsondecode(aws_lambda_function.this.environment[0].variables["ROUTE_SCOPES"]) == { "GET /orders" = ["orders:read"], "POST /orders" = ["orders:write"] }
    error_message = "the Lambda answers simply, with the route scopes"
  }
}

run "the_route_stays_in_the_key_with_caching_off" {
  command = plan

  variables {
    simple_responses              = true
    authorizer_result_ttl_seconds = 0
    token_source                  = "query"
    route_scopes                  = { "$default" = ["orders:read"] }
  }

  assert {
    condition     = aws_apigatewayv2_authorizer.this[0].identity_sources == toset(["$request.querystring.authorization", "$context.routeKey"]) && aws_apigatewayv2_authorizer.this[0].authorizer_result_ttl_in_seconds == 0
    error_message = "with the TTL at 0 nothing is cached; the route in the identity sources costs nothing and keeps it safe if the TTL is raised"
  }
}

run "origin_and_route_both_key_the_cache" {
  command = plan

  variables {
    simple_responses = true
    allowed_origins  = ["https://app.example.com"]
    route_scopes     = { "GET /orders" = ["orders:read"] }
  }

  assert {
    condition     = aws_apigatewayv2_authorizer.this[0].identity_sources == toset(["$request.header.Authorization", "$request.header.Origin", "$context.routeKey"])
    error_message = "token, origin and route: every part of the request the answer depends on"
  }
}

run "websocket_route_scopes_name_connect" {
  command = plan

  variables {
    api_type     = "websocket"
    route_scopes = { "$connect" = ["chat:connect"] }
  }

  assert {
    condition     = aws_lambda_function.this.environment[0].variables["ROUTE_SCOPES"] == "{\"$connect\":[\"chat:connect\"]}"
    error_message = "a WebSocket API's one authorized route is $connect"
  }
}

run "rest_route_scopes_name_methods_and_resources" {
  command = plan

  variables {
    api_type     = "rest"
    route_scopes = { "GET /orders/{id}" = ["orders:read"], "DELETE /orders/{id}" = ["orders:admin"] }
  }

  assert {
    condition     = jsondecode(aws_lambda_function.this.environment[0].variables["ROUTE_SCOPES"]) == { "GET /orders/{id}" = ["orders:read"], "DELETE /orders/{id}" = ["orders:admin"] }
    error_message = "REST route keys are method and resource path"
  }
}

# Malformed route keys, one at a time.

run "a_lower_case_method_is_refused" {
  command = plan

  variables {
    route_scopes = { "get /orders" = ["orders:read"] }
  }

  expect_failures = [var.route_scopes]
}

run "an_unknown_method_is_refused" {
  command = plan

  variables {
    route_scopes = { "FETCH /orders" = ["orders:read"] }
  }

  expect_failures = [var.route_scopes]
}

run "a_path_without_its_slash_is_refused" {
  command = plan

  variables {
    route_scopes = { "GET orders" = ["orders:read"] }
  }

  expect_failures = [var.route_scopes]
}

run "a_path_alone_is_refused" {
  command = plan

  variables {
    route_scopes = { "/orders" = ["orders:read"] }
  }

  expect_failures = [var.route_scopes]
}

run "two_spaces_are_refused" {
  command = plan

  variables {
    route_scopes = { "GET  /orders" = ["orders:read"] }
  }

  expect_failures = [var.route_scopes]
}

run "a_trailing_slash_is_refused" {
  command = plan

  variables {
    route_scopes = { "GET /orders/" = ["orders:read"] }
  }

  expect_failures = [var.route_scopes]
}

run "an_empty_segment_is_refused" {
  command = plan

  variables {
    route_scopes = { "GET /orders//items" = ["orders:read"] }
  }

  expect_failures = [var.route_scopes]
}

run "a_greedy_parameter_before_the_end_is_refused" {
  command = plan

  variables {
    route_scopes = { "GET /{proxy+}/items" = ["orders:read"] }
  }

  expect_failures = [var.route_scopes]
}

run "an_unclosed_parameter_is_refused" {
  command = plan

  variables {
    route_scopes = { "GET /orders/{id" = ["orders:read"] }
  }

  expect_failures = [var.route_scopes]
}

run "another_dollar_route_is_refused" {
  command = plan

  variables {
    route_scopes = { "$other" = [] }
  }

  expect_failures = [var.route_scopes]
}

run "a_wildcard_in_a_path_is_refused" {
  command = plan

  variables {
    route_scopes = { "GET /orders*" = ["orders:read"] }
  }

  expect_failures = [var.route_scopes]
}

run "a_scope_with_a_space_is_refused" {
  command = plan

  variables {
    route_scopes = { "GET /orders" = ["orders:read orders:write"] }
  }

  expect_failures = [var.route_scopes]
}

run "an_empty_scope_is_refused" {
  command = plan

  variables {
    route_scopes = { "GET /orders" = [""] }
  }

  expect_failures = [var.route_scopes]
}

# Keys the API type never sends: the route could never match.

run "an_http_route_on_a_websocket_api_is_refused" {
  command = plan

  variables {
    api_type     = "websocket"
    route_scopes = { "GET /orders" = ["orders:read"] }
  }

  expect_failures = [var.route_scopes]
}

run "disconnect_is_never_authorized" {
  command = plan

  variables {
    api_type     = "websocket"
    route_scopes = { "$disconnect" = [] }
  }

  expect_failures = [var.route_scopes]
}

run "default_on_a_websocket_api_is_refused" {
  command = plan

  variables {
    api_type     = "websocket"
    route_scopes = { "$default" = ["chat:send"] }
  }

  expect_failures = [var.route_scopes]
}

run "connect_on_an_http_api_is_refused" {
  command = plan

  variables {
    route_scopes = { "$connect" = ["chat:connect"] }
  }

  expect_failures = [var.route_scopes]
}

run "default_on_a_rest_api_is_refused" {
  command = plan

  variables {
    api_type     = "rest"
    route_scopes = { "$default" = ["orders:read"] }
  }

  expect_failures = [var.route_scopes]
}
