# The module and the Lambda agree (issue #28, point 7): what the function
# refuses at start fails the plan; what it starts with but warns about
# (Config::warnings in src/config.rs) is a warning at plan, a check block
# with the same text. terraform test fails a run on any check warning it
# does not list in expect_failures, so each run here says exactly which
# warnings its configuration raises, and a run without expect_failures
# raises none.

mock_provider "aws" {
  source = "./tests/mocks"
}

# The first example of the authorizer this one replaces (its README's
# JWT_ISSUER_JWKS_URI for Cognito, JWT_AUTHORIZED_AUDIENCES,
# JWT_VERIFY_EXPIRATION, AUTHORIZED_APIS), under the module's names.
variables {
  api_id               = "abcdef1234"
  api_execution_arn    = "arn:aws:execute-api:eu-west-1:123456789012:abcdef1234"
  package_path         = "tests/fixtures/bootstrap.zip"
  jwks_uri             = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEfGhI/.well-known/jwks.json"
  authorized_audiences = ["1example23456789abcdefghij"]
  verify_expiration    = true
  authorized_apis      = ["arn:aws:execute-api:eu-west-1:123456789012:abcdef1234/prod/*"]
}

run "the_replaced_authorizers_cognito_configuration_plans_with_warnings" {
  command = plan

  # No issuer (the Lambda's warning), and a Cognito pool whose ID tokens
  # pass as well as its access tokens.
  expect_failures = [check.issuer_checked, check.cognito_token_use]

  assert {
    condition     = aws_lambda_function.this.environment[0].variables["JWT_ISSUER_JWKS_URI"] == "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEfGhI/.well-known/jwks.json" && aws_lambda_function.this.environment[0].variables["JWT_AUTHORIZED_AUDIENCES"] == "1example23456789abcdefghij" && aws_lambda_function.this.environment[0].variables["JWT_VERIFY_EXPIRATION"] == "true" && aws_lambda_function.this.environment[0].variables["AUTHORIZED_APIS"] == "arn:aws:execute-api:eu-west-1:123456789012:abcdef1234/prod/*" && !contains(keys(aws_lambda_function.this.environment[0].variables), "JWT_ISSUER") && !contains(keys(aws_lambda_function.this.environment[0].variables), "JWT_PROVIDER")
    error_message = "the replaced authorizer's variables reach the Lambda as they were"
  }
}

run "the_replaced_authorizers_configuration_without_expiry_checks" {
  command = plan

  variables {
    verify_expiration = false
  }

  expect_failures = [check.issuer_checked, check.cognito_token_use, check.expiration_verified]

  assert {
    condition     = aws_lambda_function.this.environment[0].variables["JWT_VERIFY_EXPIRATION"] == "false"
    error_message = "verify_expiration = false reaches the Lambda"
  }
}

run "another_providers_key_set_without_an_issuer_warns_once" {
  command = plan

  variables {
    jwks_uri = "https://chat.eu.auth0.com/.well-known/jwks.json"
  }

  expect_failures = [check.issuer_checked]
}

run "a_cognito_pool_with_its_issuer_and_token_use_plans_without_a_warning" {
  command = plan

  variables {
    issuers         = ["https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEfGhI"]
    required_claims = { token_use = "access" }
  }
}

run "the_cognito_preset_plans_without_a_warning" {
  command = plan

  variables {
    jwks_uri        = ""
    provider_preset = "cognito:eu-west-1_AbCdEfGhI"
  }
}

# A refusal comes alone, as the Lambda exits before its warnings.
run "a_refused_configuration_is_refused_not_warned_about" {
  command = plan

  variables {
    jwks_uri          = "https://login.microsoftonline.com/common/discovery/v2.0/keys"
    verify_expiration = false
  }

  expect_failures = [aws_lambda_function.this]
}

# entra without a tenant refuses only the preset's key set (Entra's, shared by
# every tenant): with a key set of one tenant's own the Lambda starts, warning
# that no issuer is checked; with Entra's own keys it still refuses.
run "entra_without_a_tenant_with_another_key_set_warns" {
  command = plan

  variables {
    jwks_uri        = "https://keys.example.com/jwks.json"
    provider_preset = "entra"
  }

  expect_failures = [check.issuer_checked]
}

run "entra_without_a_tenant_with_inline_keys_warns" {
  command = plan

  variables {
    jwks_uri        = ""
    jwks_json       = "{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\",\"kid\":\"k1\",\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\",\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\"}]}"
    provider_preset = "entra"
  }

  expect_failures = [check.issuer_checked]
}

run "entra_without_a_tenant_with_entras_keys_is_refused" {
  command = plan

  variables {
    jwks_uri        = "https://login.microsoftonline.com/common/discovery/v2.0/keys"
    provider_preset = "entra"
  }

  expect_failures = [aws_lambda_function.this]
}
