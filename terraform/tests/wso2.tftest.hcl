# The wso2 preset (issue #29, item 8) at plan: the parameter names the
# issuer ({server}/oauth2/token) and the keys ({server}/oauth2/jwks), as
# src/settings/provider.rs does, so the plan knows the keys are named, refuses what
# the Lambda would refuse at start, and counts its context claims.

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  api_id               = "abcdef1234"
  api_execution_arn    = "arn:aws:execute-api:eu-west-1:123456789012:abcdef1234"
  package_path         = "tests/fixtures/bootstrap.zip"
  authorized_audiences = ["jVcW4oLn1Jjb2T94H4gtPV9z5Y0a"]
  api_type             = "http"
}

run "the_server_names_issuer_and_keys" {
  command = plan

  variables {
    provider_preset = "wso2:is.example.com"
  }

  assert {
    condition     = aws_lambda_function.this.environment[0].variables["JWT_PROVIDER"] == "wso2:is.example.com" && !contains(keys(aws_lambda_function.this.environment[0].variables), "JWT_ISSUER_JWKS_URI") && !contains(keys(aws_lambda_function.this.environment[0].variables), "JWT_ISSUER")
    error_message = "the preset alone names WSO2's issuer and key set"
  }
  assert {
    condition     = local.preset_jwks_uri == "https://is.example.com/oauth2/jwks" && local.effective_issuer_count == 1 && !local.discovery
    error_message = "the plan reads the key set URL from the server, as the Lambda does"
  }
}

run "a_tenant_or_the_issuer_itself_names_the_same_keys" {
  command = plan

  variables {
    provider_preset = "wso2:https://is.example.com:9443/t/acme/oauth2/token/"
  }

  assert {
    condition     = local.preset_jwks_uri == "https://is.example.com:9443/t/acme/oauth2/jwks"
    error_message = "the tenant's key set, with the issuer's path taken off"
  }
}

run "a_local_server_over_http_plans" {
  command = plan

  variables {
    provider_preset = "wso2:http://localhost:9443"
  }

  assert {
    condition     = local.preset_jwks_uri == "http://localhost:9443/oauth2/jwks"
    error_message = "plain http on loopback is what the Lambda accepts too"
  }
}

run "a_remote_server_over_http_is_refused" {
  command = plan

  variables {
    provider_preset = "wso2:http://is.example.com"
  }

  expect_failures = [aws_lambda_function.this]
}

run "wso2_without_its_server_names_no_keys" {
  command = plan

  variables {
    provider_preset = "wso2"
  }

  expect_failures = [aws_lambda_function.this]
}

run "wso2_by_name_with_a_key_set_of_its_own" {
  command = plan

  variables {
    provider_preset = "wso2"
    jwks_uri        = "https://is.example.com/oauth2/jwks"
    issuers         = ["https://is.example.com/oauth2/token"]
  }

  assert {
    condition     = aws_lambda_function.this.environment[0].variables["JWT_ISSUER_JWKS_URI"] == "https://is.example.com/oauth2/jwks"
    error_message = "explicit settings win over the preset's"
  }
}

run "wso2_context_claims_count_against_the_budget" {
  command = plan

  variables {
    provider_preset   = "wso2:is.example.com"
    context_max_bytes = 512
    # 292 bytes reserved and two claims of 100 bytes each fit 512 alone;
    # wso2's aut, azp, org_id, roles and groups (48 bytes) do not.
    context_claims = ["claim_one_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "claim_two_yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy"]
  }

  expect_failures = [aws_lambda_function.this]
}
