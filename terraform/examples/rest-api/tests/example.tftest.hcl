# Offline tests of the REST API example with a mocked AWS provider.

mock_provider "aws" {
  mock_resource "aws_api_gateway_rest_api" {
    defaults = {
      id               = "r3stap1d"
      root_resource_id = "root01"
      execution_arn    = "arn:aws:execute-api:eu-west-1:123456789012:r3stap1d"
    }
  }
  mock_resource "aws_api_gateway_authorizer" {
    defaults = {
      id = "rauth1"
    }
  }
  mock_resource "aws_api_gateway_stage" {
    defaults = {
      invoke_url = "https://r3stap1d.execute-api.eu-west-1.amazonaws.com/prod"
    }
  }
  mock_resource "aws_iam_role" {
    defaults = {
      arn  = "arn:aws:iam::123456789012:role/orders-rest-demo-authorizer-20260101000000000000000001"
      name = "orders-rest-demo-authorizer-20260101000000000000000001"
    }
  }
  mock_resource "aws_cloudwatch_log_group" {
    defaults = {
      arn = "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/orders-rest-demo-authorizer"
    }
  }
  mock_resource "aws_lambda_function" {
    defaults = {
      arn        = "arn:aws:lambda:eu-west-1:123456789012:function:orders-rest-demo-authorizer"
      invoke_arn = "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:orders-rest-demo-authorizer/invocations"
    }
  }
  mock_resource "aws_sns_topic" {
    defaults = {
      arn = "arn:aws:sns:eu-west-1:123456789012:orders-rest-demo-alarms"
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
  provider_preset      = "auth0:your-tenant.eu.auth0.com"
  authorized_audiences = ["https://orders.example.com"]
}

run "rest_api_with_a_token_authorizer" {
  command = apply

  assert {
    condition     = output.dashboard_name == "orders-rest-demo-authorizer" && output.alarm_topic_arn == aws_sns_topic.alarms.arn && length(aws_sns_topic_subscription.alarm_email) == 0
    error_message = "the module's dashboard, and the alarms' topic (no subscription unless alarm_email is given)"
  }

  assert {
    condition     = alltrue([for method in aws_api_gateway_method.this : method.authorization == "CUSTOM" && method.authorizer_id == "rauth1"]) && length(aws_api_gateway_method.this) == 2
    error_message = "both methods use the module's authorizer"
  }
  assert {
    condition     = output.identity_sources == toset(["method.request.header.Authorization"]) && module.authorizer.environment["TOKEN_SOURCES"] == "header"
    error_message = "a TOKEN authorizer reads the Authorization header"
  }
  assert {
    condition     = module.authorizer.environment["AUTHORIZED_APIS"] == "arn:aws:execute-api:eu-west-1:123456789012:r3stap1d/*"
    error_message = "tokens are authorized for this API only"
  }
  assert {
    condition     = alltrue([for integration in aws_api_gateway_integration.this : integration.type == "MOCK"]) && strcontains(aws_api_gateway_integration_response.ok["GET /orders/{id}"].response_templates["application/json"], "$context.authorizer.principalId")
    error_message = "MOCK integrations answer with the caller's principalId"
  }
  assert {
    condition     = output.api_url == "https://r3stap1d.execute-api.eu-west-1.amazonaws.com/prod" && output.authorizer_id == "rauth1"
    error_message = "outputs give the stage URL and the authorizer"
  }
}

run "a_request_authorizer_reads_the_query_string" {
  command = plan

  variables {
    rest_authorizer_type = "REQUEST"
    token_source         = "query"
  }

  assert {
    condition     = output.identity_sources == toset(["method.request.querystring.authorization"]) && module.authorizer.environment["TOKEN_SOURCES"] == "query"
    error_message = "a REQUEST authorizer can read the query string"
  }
}

run "the_tfvars_example_plans" {
  command = plan

  variables {
    provider_preset      = regex("(?m)^provider_preset\\s*=\\s*\"([^\"]*)\"", file("terraform.tfvars.example"))[0]
    authorized_audiences = jsondecode(regex("(?m)^authorized_audiences\\s*=\\s*(\\[.*\\])", file("terraform.tfvars.example"))[0])
  }

  assert {
    condition     = module.authorizer.environment["JWT_PROVIDER"] == "auth0:your-tenant.eu.auth0.com"
    error_message = "the example's tfvars plan"
  }
}
