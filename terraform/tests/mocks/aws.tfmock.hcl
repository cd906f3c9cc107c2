# The AWS provider's computed values for the module's offline tests (shared
# by every *.tftest.hcl here through mock_provider's source).

mock_resource "aws_iam_role" {
  defaults = {
    arn  = "arn:aws:iam::123456789012:role/ws-jwt-authorizer-20260101000000000000000001"
    name = "ws-jwt-authorizer-20260101000000000000000001"
  }
}

mock_resource "aws_cloudwatch_log_group" {
  defaults = {
    arn = "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/ws-jwt-authorizer"
  }
}

mock_resource "aws_lambda_function" {
  defaults = {
    arn           = "arn:aws:lambda:eu-west-1:123456789012:function:ws-jwt-authorizer"
    qualified_arn = "arn:aws:lambda:eu-west-1:123456789012:function:ws-jwt-authorizer:1"
    invoke_arn    = "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:ws-jwt-authorizer/invocations"
    version       = "1"
  }
}

mock_data "aws_iam_policy_document" {
  defaults = {
    json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
  }
}

mock_resource "aws_lambda_alias" {
  defaults = {
    arn        = "arn:aws:lambda:eu-west-1:123456789012:function:ws-jwt-authorizer:live"
    invoke_arn = "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:ws-jwt-authorizer:live/invocations"
  }
}

mock_resource "aws_cloudwatch_metric_alarm" {
  defaults = {
    arn = "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:ws-jwt-authorizer"
  }
}

mock_resource "aws_apigatewayv2_authorizer" {
  defaults = {
    id = "auth123"
  }
}

mock_resource "aws_api_gateway_authorizer" {
  defaults = {
    id = "rauth1"
  }
}

# The account and region a bare KMS key id belongs to.
mock_data "aws_caller_identity" {
  defaults = {
    account_id = "123456789012"
    arn        = "arn:aws:iam::123456789012:user/terraform"
  }
}

mock_data "aws_region" {
  defaults = {
    name = "eu-west-1"
  }
}
