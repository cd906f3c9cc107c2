# Issuers reach the Lambda whole (issue #20, defect 5: an inline key set was
# dropped), and a Cognito pool without the cognito preset is a warning at plan
# (defect 9: its ID tokens would pass the audience check; issue #28: the
# Lambda starts with it, so the plan must not refuse it).

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  api_id               = "abcdef1234"
  api_execution_arn    = "arn:aws:execute-api:eu-west-1:123456789012:abcdef1234"
  package_path         = "tests/fixtures/bootstrap.zip"
  jwks_uri             = "https://idp.example.com/.well-known/jwks.json"
  authorized_audiences = ["chat-api"]
}

run "inline_key_sets_survive_the_module" {
  command = plan

  variables {
    jwks_uri             = ""
    authorized_audiences = []
    trusted_issuers = [
      { issuer = "https://a.example.com", jwks = "{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\",\"kid\":\"k1\",\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\",\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\"}]}", audiences = ["api-a"] },
      { issuer = "https://b.example.com", jwks_uri = "https://b.example.com/keys", audiences = ["api-b"] },
      { issuer = "https://c.example.com", audiences = ["api-c"] },
    ]
  }

  assert {
    condition = jsondecode(aws_lambda_function.this.environment[0].variables["JWT_ISSUERS"]) == [
      { issuer = "https://a.example.com", audiences = ["api-a"], jwks = { keys = [{ kty = "EC", crv = "P-256", kid = "k1", x = "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU", y = "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0" }] } },
      { issuer = "https://b.example.com", audiences = ["api-b"], jwks_uri = "https://b.example.com/keys" },
      { issuer = "https://c.example.com", audiences = ["api-c"] },
    ]
    error_message = "JWT_ISSUERS must carry every field of each entry (the inline key set as JSON), and no null for fields left out"
  }
}

# The Lambda starts with this (issue #28, point 7), so the plan warns only.
run "cognito_without_the_preset_is_a_warning" {
  command = plan

  variables {
    jwks_uri = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Example/.well-known/jwks.json"
    issuers  = ["https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Example"]
  }

  expect_failures = [check.cognito_token_use]
}

run "cognito_id_tokens_when_asked_for" {
  command = plan

  variables {
    jwks_uri        = ""
    issuers         = ["https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Example"]
    required_claims = { token_use = "id" }
  }

  assert {
    condition     = aws_lambda_function.this.environment[0].variables["JWT_REQUIRED_CLAIMS"] == "{\"token_use\":\"id\"}"
    error_message = "a token_use rule is an explicit choice of Cognito tokens"
  }
}

run "cognito_with_the_preset" {
  command = plan

  variables {
    jwks_uri        = ""
    provider_preset = "cognito:eu-west-1_Example"
  }

  assert {
    condition     = aws_lambda_function.this.environment[0].variables["JWT_PROVIDER"] == "cognito:eu-west-1_Example" && !contains(keys(aws_lambda_function.this.environment[0].variables), "JWT_ISSUER_JWKS_URI")
    error_message = "the preset alone names the pool's issuer and keys"
  }
}
