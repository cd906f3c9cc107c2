# Offline tests of the example with a mocked AWS provider.

mock_provider "aws" {
  mock_resource "aws_apigatewayv2_api" {
    defaults = {
      id            = "abcdef1234"
      execution_arn = "arn:aws:execute-api:eu-west-1:123456789012:abcdef1234"
      api_endpoint  = "wss://abcdef1234.execute-api.eu-west-1.amazonaws.com"
    }
  }
  mock_resource "aws_apigatewayv2_authorizer" {
    defaults = {
      id = "auth123"
    }
  }
  mock_resource "aws_apigatewayv2_stage" {
    defaults = {
      invoke_url = "wss://abcdef1234.execute-api.eu-west-1.amazonaws.com/prod"
    }
  }
  mock_resource "aws_iam_role" {
    defaults = {
      arn = "arn:aws:iam::123456789012:role/ws-jwt-demo-authorizer"
    }
  }
  mock_resource "aws_cloudwatch_log_group" {
    defaults = {
      arn = "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/ws-jwt-demo-authorizer"
    }
  }
  mock_resource "aws_lambda_function" {
    defaults = {
      arn        = "arn:aws:lambda:eu-west-1:123456789012:function:ws-jwt-demo-authorizer"
      invoke_arn = "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:ws-jwt-demo-authorizer/invocations"
    }
  }
  mock_data "aws_iam_policy_document" {
    defaults = {
      json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
    }
  }
}

variables {
  package_path         = "../../tests/fixtures/bootstrap.zip"
  jwks_uri             = "https://example.auth0.com/.well-known/jwks.json"
  authorized_audiences = ["https://chat.example.com"]
  issuers              = ["https://example.auth0.com/"]
}

run "websocket_api_with_protected_connect" {
  command = apply

  assert {
    condition     = aws_apigatewayv2_api.this.protocol_type == "WEBSOCKET" && aws_apigatewayv2_api.this.route_selection_expression == "$request.body.action"
    error_message = "the example must be a WebSocket API"
  }
  assert {
    condition     = aws_apigatewayv2_route.connect.route_key == "$connect" && aws_apigatewayv2_route.connect.authorization_type == "CUSTOM"
    error_message = "$connect must use the custom authorizer"
  }
  assert {
    condition     = aws_apigatewayv2_route.connect.authorizer_id == module.authorizer.authorizer_id && module.authorizer.authorizer_id == "auth123"
    error_message = "$connect must reference the module's authorizer"
  }
  assert {
    condition     = aws_apigatewayv2_route.default.route_key == "$default" && aws_apigatewayv2_route.default.authorization_type == "NONE"
    error_message = "$default needs no authorizer: only $connect is authorized on WebSocket APIs"
  }
  assert {
    condition     = !strcontains(aws_apigatewayv2_stage.this.access_log_settings[0].format, "querystring")
    error_message = "access logs must not include the query string (it carries the token)"
  }
  assert {
    condition     = output.websocket_url == "wss://abcdef1234.execute-api.eu-west-1.amazonaws.com/prod" && output.authorizer_id == "auth123"
    error_message = "outputs must give the wss URL and the authorizer id"
  }
}
