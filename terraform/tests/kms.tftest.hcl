# Tokens signed by AWS KMS keys (issue #29, item 4; the Go authorizer's
# KMS_JWT_KEY_ID): the keys reach the Lambda as given, the role may read the
# public key of exactly those keys (kms:GetPublicKey, by key ARN), and KMS
# keys with another key source are refused at plan, as the Lambda refuses
# them at start.

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  api_id               = "abcdef1234"
  api_execution_arn    = "arn:aws:execute-api:eu-west-1:123456789012:abcdef1234"
  package_path         = "tests/fixtures/bootstrap.zip"
  authorized_audiences = ["orders-api"]
  issuers              = ["https://auth.example.com"]
  api_type             = "http"
  simple_responses     = true
}

run "a_key_id_becomes_an_arn_of_this_account_and_region" {
  command = apply

  variables {
    kms_key_ids = ["1234abcd-12ab-34cd-56ef-1234567890ab"]
  }

  assert {
    condition     = aws_lambda_function.this.environment[0].variables["KMS_JWT_KEY_ID"] == "1234abcd-12ab-34cd-56ef-1234567890ab" && aws_lambda_function.this.environment[0].variables["JWT_ISSUER"] == "https://auth.example.com"
    error_message = "the key id reaches the Lambda as given; the issuer is still checked"
  }
  assert {
    condition     = !contains(keys(aws_lambda_function.this.environment[0].variables), "JWT_ISSUER_JWKS_URI") && !contains(keys(aws_lambda_function.this.environment[0].variables), "JWT_ISSUERS")
    error_message = "KMS keys are the only key source"
  }
  assert {
    condition = jsondecode(aws_iam_role_policy.kms[0].policy) == {
      Version = "2012-10-17"
      Statement = [{
        Sid      = "ReadSigningKeys"
        Effect   = "Allow"
        Action   = "kms:GetPublicKey"
        Resource = ["arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"]
      }]
    }
    error_message = "the role may call kms:GetPublicKey on that key, named by its ARN in the provider's account and region, and nothing else"
  }
  assert {
    condition     = aws_iam_role_policy.kms[0].role == aws_iam_role.this[0].id && output.kms_key_arns == tolist(["arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"])
    error_message = "the policy is the function role's; the output lists the key ARNs"
  }
}

run "key_arns_stay_as_given" {
  command = plan

  variables {
    kms_key_ids = [
      "arn:aws:kms:us-east-1:210987654321:key/mrk-0123456789abcdef0123456789abcdef",
      "1234abcd-12ab-34cd-56ef-1234567890ab",
    ]
  }

  assert {
    condition = jsondecode(aws_iam_role_policy.kms[0].policy).Statement[0].Resource == [
      "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
      "arn:aws:kms:us-east-1:210987654321:key/mrk-0123456789abcdef0123456789abcdef",
    ]
    error_message = "in a stable order, another account's (multi-Region) key by its own ARN, a bare id in the provider's account and region"
  }
}

# The same key in an entry and in another: one grant.
run "a_key_of_two_issuers_is_granted_once" {
  command = plan

  variables {
    issuers = []
    trusted_issuers = [
      { issuer = "orders-signer", kms_key_ids = ["1234abcd-12ab-34cd-56ef-1234567890ab"] },
      { issuer = "billing-signer", kms_key_ids = ["arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"] },
    ]
  }

  assert {
    condition     = jsondecode(aws_iam_role_policy.kms[0].policy).Statement[0].Resource == ["arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"]
    error_message = "a key id and its ARN are one key: one resource in the grant"
  }
}

run "a_key_named_twice_is_refused" {
  command = plan

  variables {
    kms_key_ids = [
      "1234abcd-12ab-34cd-56ef-1234567890ab",
      "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    ]
  }

  expect_failures = [var.kms_key_ids]
}

run "an_entrys_key_named_twice_is_refused" {
  command = plan

  variables {
    issuers         = []
    trusted_issuers = [{ issuer = "orders-signer", kms_key_ids = ["1234abcd-12ab-34cd-56ef-1234567890ab", "1234abcd-12ab-34cd-56ef-1234567890ab"] }]
  }

  expect_failures = [var.trusted_issuers]
}

run "trusted_issuers_bring_their_own_kms_keys" {
  command = apply

  variables {
    issuers = []
    trusted_issuers = [
      { issuer = "orders-signer", kms_key_ids = ["1234abcd-12ab-34cd-56ef-1234567890ab"] },
      { issuer = "https://idp.example.com", jwks_uri = "https://idp.example.com/keys" },
    ]
  }

  assert {
    condition = jsondecode(aws_lambda_function.this.environment[0].variables["JWT_ISSUERS"]) == [
      { issuer = "orders-signer", kms_key_ids = ["1234abcd-12ab-34cd-56ef-1234567890ab"] },
      { issuer = "https://idp.example.com", jwks_uri = "https://idp.example.com/keys" },
    ]
    error_message = "an entry's kms_key_ids reach JWT_ISSUERS (an issuer with KMS keys needs no URL: nothing is discovered)"
  }
  assert {
    condition     = jsondecode(aws_iam_role_policy.kms[0].policy).Statement[0].Resource == ["arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"] && !contains(keys(aws_lambda_function.this.environment[0].variables), "KMS_JWT_KEY_ID")
    error_message = "the entries' keys are granted as KMS_JWT_KEY_ID's are"
  }
}

run "without_kms_keys_no_kms_right" {
  command = plan

  variables {
    jwks_uri = "https://auth.example.com/keys"
  }

  assert {
    condition     = length(aws_iam_role_policy.kms) == 0 && length(data.aws_caller_identity.current) == 0
    error_message = "no KMS key, no KMS right and no lookup"
  }
}

run "with_your_own_role_the_right_is_yours_to_grant" {
  command = plan

  variables {
    kms_key_ids = ["1234abcd-12ab-34cd-56ef-1234567890ab"]
    create_role = false
    role_arn    = "arn:aws:iam::123456789012:role/my-authorizer"
  }

  assert {
    condition     = length(aws_iam_role_policy.kms) == 0 && output.kms_key_arns == tolist(["arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"])
    error_message = "the module leaves a role it did not create alone, and names the ARNs to grant"
  }
}

# The Lambda starts with KMS keys and no issuer, warning as with any key set.
run "kms_keys_without_an_issuer_warn" {
  command = plan

  variables {
    issuers     = []
    kms_key_ids = ["1234abcd-12ab-34cd-56ef-1234567890ab"]
  }

  expect_failures = [check.issuer_checked]
}

run "an_alias_is_refused" {
  command = plan

  variables {
    kms_key_ids = ["alias/jwt-signing"]
  }

  expect_failures = [var.kms_key_ids]
}

run "an_alias_arn_is_refused" {
  command = plan

  variables {
    kms_key_ids = ["arn:aws:kms:eu-west-1:123456789012:alias/jwt-signing"]
  }

  expect_failures = [var.kms_key_ids]
}

run "kms_keys_with_a_key_set_url_are_refused" {
  command = plan

  variables {
    kms_key_ids = ["1234abcd-12ab-34cd-56ef-1234567890ab"]
    jwks_uri    = "https://auth.example.com/keys"
  }

  expect_failures = [var.kms_key_ids]
}

run "kms_keys_with_inline_keys_are_refused" {
  command = plan

  variables {
    kms_key_ids = ["1234abcd-12ab-34cd-56ef-1234567890ab"]
    jwks_json   = "{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\",\"kid\":\"k1\",\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\",\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\"}]}"
  }

  expect_failures = [var.kms_key_ids]
}

run "kms_keys_with_a_preset_are_refused" {
  command = plan

  variables {
    issuers         = []
    kms_key_ids     = ["1234abcd-12ab-34cd-56ef-1234567890ab"]
    provider_preset = "wso2:is.example.com"
  }

  expect_failures = [var.kms_key_ids]
}

run "kms_keys_with_trusted_issuers_are_refused" {
  command = plan

  variables {
    issuers         = []
    kms_key_ids     = ["1234abcd-12ab-34cd-56ef-1234567890ab"]
    trusted_issuers = [{ issuer = "https://idp.example.com", jwks_uri = "https://idp.example.com/keys" }]
  }

  expect_failures = [var.kms_key_ids]
}

run "an_entrys_kms_keys_with_its_key_set_url_are_refused" {
  command = plan

  variables {
    issuers         = []
    trusted_issuers = [{ issuer = "https://idp.example.com", jwks_uri = "https://idp.example.com/keys", kms_key_ids = ["1234abcd-12ab-34cd-56ef-1234567890ab"] }]
  }

  expect_failures = [var.trusted_issuers]
}

run "an_entrys_empty_kms_key_list_is_refused" {
  command = plan

  variables {
    issuers         = []
    trusted_issuers = [{ issuer = "orders-signer", kms_key_ids = [] }]
  }

  expect_failures = [var.trusted_issuers]
}

run "an_entrys_kms_alias_is_refused" {
  command = plan

  variables {
    issuers         = []
    trusted_issuers = [{ issuer = "orders-signer", kms_key_ids = ["alias/jwt-signing"] }]
  }

  expect_failures = [var.trusted_issuers]
}
