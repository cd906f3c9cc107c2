# Offline tests of the HTTP API example with a mocked AWS provider.

mock_provider "aws" {
  mock_resource "aws_apigatewayv2_api" {
    defaults = {
      id            = "h77pap1d"
      execution_arn = "arn:aws:execute-api:eu-west-1:123456789012:h77pap1d"
      api_endpoint  = "https://h77pap1d.execute-api.eu-west-1.amazonaws.com"
    }
  }
  mock_resource "aws_apigatewayv2_authorizer" {
    defaults = {
      id = "auth123"
    }
  }
  mock_resource "aws_apigatewayv2_integration" {
    defaults = {
      id = "integ1"
    }
  }
  mock_resource "aws_apigatewayv2_stage" {
    defaults = {
      invoke_url = "https://h77pap1d.execute-api.eu-west-1.amazonaws.com/"
    }
  }
  mock_resource "aws_cloudwatch_log_group" {
    defaults = {
      arn = "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/apigateway/orders-http-demo/access"
    }
  }
  mock_resource "aws_iam_role" {
    defaults = {
      arn  = "arn:aws:iam::123456789012:role/orders-http-demo-authorizer-20260101000000000000000001"
      name = "orders-http-demo-authorizer-20260101000000000000000001"
    }
  }
  mock_resource "aws_lambda_function" {
    defaults = {
      arn        = "arn:aws:lambda:eu-west-1:123456789012:function:orders-http-demo-authorizer"
      invoke_arn = "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:orders-http-demo-authorizer/invocations"
    }
  }
  mock_resource "aws_kms_key" {
    defaults = {
      key_id = "0b5f5e2c-8a1d-4c3e-9f6a-2d7b1e4c5a69"
      arn    = "arn:aws:kms:eu-west-1:123456789012:key/0b5f5e2c-8a1d-4c3e-9f6a-2d7b1e4c5a69"
    }
  }
  mock_data "aws_caller_identity" {
    defaults = {
      account_id = "123456789012"
    }
  }
  mock_data "aws_region" {
    defaults = {
      name = "eu-west-1"
    }
  }
  mock_resource "aws_sns_topic" {
    defaults = {
      arn = "arn:aws:sns:eu-west-1:123456789012:orders-http-demo-alarms"
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
  backend_url          = "https://backend.example.com"
  provider_preset      = "wso2:is.example.com"
  authorized_audiences = ["jVcW4oLn1Jjb2T94H4gtPV9z5Y0a"]
}

run "http_api_with_a_scope_per_route" {
  command = apply

  assert {
    condition     = output.dashboard_name == "orders-http-demo-authorizer" && output.alarm_topic_arn == aws_sns_topic.alarms.arn && length(aws_sns_topic_subscription.alarm_email) == 0
    error_message = "the module's dashboard, and the alarms' topic (no subscription unless alarm_email is given)"
  }

  assert {
    condition     = aws_apigatewayv2_api.this.protocol_type == "HTTP"
    error_message = "the example is an HTTP API"
  }
  assert {
    condition     = toset(keys(aws_apigatewayv2_route.this)) == toset(["GET /orders", "GET /orders/{id}", "POST /orders"]) && alltrue([for route in aws_apigatewayv2_route.this : route.authorization_type == "CUSTOM" && route.authorizer_id == "auth123" && route.target == "integrations/integ1"])
    error_message = "every route of route_scopes is a route behind the module's authorizer"
  }
  assert {
    condition     = jsondecode(module.authorizer.environment["ROUTE_SCOPES"]) == { "GET /orders" = ["orders:read"], "GET /orders/{id}" = ["orders:read"], "POST /orders" = ["orders:write"] } && module.authorizer.environment["SIMPLE_RESPONSES"] == "true"
    error_message = "the Lambda knows each route's scopes and answers simply"
  }
  assert {
    condition     = output.identity_sources == toset(["$request.header.Authorization", "$context.routeKey"])
    error_message = "simple answers with route scopes: the cache is keyed by token and route"
  }
  assert {
    condition     = aws_apigatewayv2_integration.backend.integration_type == "HTTP_PROXY" && aws_apigatewayv2_integration.backend.integration_uri == "https://backend.example.com"
    error_message = "routes proxy to the backend"
  }
  assert {
    condition     = !strcontains(lower(aws_apigatewayv2_stage.this.access_log_settings[0].format), "authorization\"") && jsondecode(aws_apigatewayv2_stage.this.access_log_settings[0].format).authorizerError == "$context.authorizer.error"
    error_message = "access logs carry the authorizer's error, never the Authorization header"
  }
  assert {
    condition     = length(aws_kms_key.jwt) == 0 && module.authorizer.environment["JWT_PROVIDER"] == "wso2:is.example.com"
    error_message = "without kms_signing_key the identity provider's keys are used"
  }
  assert {
    condition     = output.api_url == "https://h77pap1d.execute-api.eu-west-1.amazonaws.com/" && output.authorizer_id == "auth123" && output.kms_key_id == null
    error_message = "outputs give the URL and the authorizer"
  }
}

run "kms_signed_tokens" {
  command = apply

  variables {
    kms_signing_key      = true
    provider_preset      = "wso2:is.example.com"
    issuers              = ["https://auth.example.com"]
    authorized_audiences = ["orders-api"]
  }

  assert {
    condition     = aws_kms_key.jwt[0].customer_master_key_spec == "ECC_NIST_P521" && aws_kms_key.jwt[0].key_usage == "SIGN_VERIFY"
    error_message = "the signing key is ECC_NIST_P521 (ES512), for signing, as the Go authorizer's"
  }
  assert {
    condition     = module.authorizer.environment["KMS_JWT_KEY_ID"] == "0b5f5e2c-8a1d-4c3e-9f6a-2d7b1e4c5a69" && !contains(keys(module.authorizer.environment), "JWT_PROVIDER") && !contains(keys(module.authorizer.environment), "JWT_ISSUER_JWKS_URI") && module.authorizer.environment["JWT_ISSUER"] == "https://auth.example.com"
    error_message = "the KMS key replaces the identity provider's keys (the preset is left out), and the issuer is checked"
  }
  assert {
    condition     = module.authorizer.kms_key_arns == tolist(["arn:aws:kms:eu-west-1:123456789012:key/0b5f5e2c-8a1d-4c3e-9f6a-2d7b1e4c5a69"]) && output.kms_key_id == "0b5f5e2c-8a1d-4c3e-9f6a-2d7b1e4c5a69"
    error_message = "the role may read that key's public key; the output names the kid to write"
  }
}

run "iam_answers_keep_the_token_as_the_cache_key" {
  command = plan

  variables {
    simple_responses = false
  }

  assert {
    condition     = output.identity_sources == toset(["$request.header.Authorization"])
    error_message = "an IAM answer lists every route: one answer per token is safe"
  }
}

# The settings users copy: terraform.tfvars.example, read as it is.
run "the_tfvars_example_plans" {
  command = plan

  variables {
    backend_url          = regex("(?m)^backend_url\\s*=\\s*\"([^\"]*)\"", file("terraform.tfvars.example"))[0]
    provider_preset      = regex("(?m)^provider_preset\\s*=\\s*\"([^\"]*)\"", file("terraform.tfvars.example"))[0]
    authorized_audiences = jsondecode(regex("(?m)^authorized_audiences\\s*=\\s*(\\[.*\\])", file("terraform.tfvars.example"))[0])
  }

  assert {
    condition     = startswith(var.provider_preset, "wso2:") && module.authorizer.environment["JWT_PROVIDER"] == var.provider_preset
    error_message = "the example's tfvars use the wso2 preset of the seed article"
  }
}
