# The identity source (what API Gateway requires before it calls the Lambda)
# and TOKEN_SOURCES (where the Lambda reads the token) must agree: a mismatch
# plans and then refuses every client (issue #20, defects 3 and 4).

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  api_id               = "abcdef1234"
  api_execution_arn    = "arn:aws:execute-api:eu-west-1:123456789012:abcdef1234"
  package_path         = "tests/fixtures/bootstrap.zip"
  jwks_uri             = "https://idp.example.com/.well-known/jwks.json"
  authorized_audiences = ["chat-api"]
  # With its issuer: a configuration the Lambda starts without a warning
  # (terraform test fails a run on any check warning it does not expect).
  issuers = ["https://idp.example.com"]
}

run "token_sources_follow_the_identity_source" {
  command = apply

  variables {
    token_source = "protocol"
  }

  assert {
    condition     = tolist(aws_apigatewayv2_authorizer.this[0].identity_sources) == tolist(["route.request.header.Sec-WebSocket-Protocol"])
    error_message = "token_source = protocol makes Sec-WebSocket-Protocol the identity source"
  }
  assert {
    condition     = aws_lambda_function.this.environment[0].variables["TOKEN_SOURCES"] == "protocol"
    error_message = "TOKEN_SOURCES must follow the identity source, or browsers sending the subprotocol get 401 missing_token"
  }
}

run "the_default_reads_only_the_query_string" {
  command = plan

  assert {
    condition     = aws_lambda_function.this.environment[0].variables["TOKEN_SOURCES"] == "query"
    error_message = "with the query string as identity source the header is never a fallback on AWS: TOKEN_SOURCES must say query"
  }
}

run "header_clients_with_the_header_identity_source" {
  command = plan

  variables {
    token_source = "header"
  }

  assert {
    condition     = tolist(aws_apigatewayv2_authorizer.this[0].identity_sources) == tolist(["route.request.header.Authorization"]) && aws_lambda_function.this.environment[0].variables["TOKEN_SOURCES"] == "header"
    error_message = "token_source = header must be the Authorization header, read by the Lambda"
  }
}

run "token_sources_must_include_the_identity_source" {
  command = plan

  variables {
    token_source  = "protocol"
    token_sources = ["query", "header"]
  }

  expect_failures = [var.token_sources]
}

run "token_sources_must_not_be_empty" {
  command = plan

  variables {
    token_sources = []
  }

  expect_failures = [var.token_sources]
}

run "cookie_sources_need_origins" {
  command = plan

  variables {
    token_sources = ["query", "cookie"]
  }

  expect_failures = [var.token_sources]
}

run "the_cookie_identity_source_needs_origins" {
  command = plan

  variables {
    token_source = "cookie"
  }

  expect_failures = [var.token_sources]
}

run "the_cookie_identity_source_with_origins" {
  command = plan

  variables {
    token_source    = "cookie"
    allowed_origins = ["https://app.example.com"]
  }

  assert {
    condition     = aws_lambda_function.this.environment[0].variables["TOKEN_SOURCES"] == "cookie" && aws_lambda_function.this.environment[0].variables["ALLOWED_ORIGINS"] == "https://app.example.com"
    error_message = "cookie with origins must reach the Lambda"
  }
}

run "subprotocol_prefixes_are_tokens" {
  command = plan

  variables {
    subprotocol_token_prefix = "bad prefix"
  }

  expect_failures = [var.subprotocol_token_prefix]
}

run "bearer_is_not_a_prefix" {
  command = plan

  variables {
    subprotocol_token_prefix = "Bearer"
  }

  expect_failures = [var.subprotocol_token_prefix]
}

run "cookie_names_are_tokens" {
  command = plan

  variables {
    token_cookie_name = "a;b"
  }

  expect_failures = [var.token_cookie_name]
}

run "origins_have_no_path" {
  command = plan

  variables {
    allowed_origins = ["https://a.example.com/app"]
  }

  expect_failures = [var.allowed_origins]
}

run "origins_are_not_wildcards" {
  command = plan

  variables {
    allowed_origins = ["*"]
  }

  expect_failures = [var.allowed_origins]
}
