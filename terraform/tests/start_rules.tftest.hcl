# Every start-up rule of the Lambda (src/config.rs, src/settings/provider.rs,
# src/key_sources/issuers.rs) that can be checked at plan: a configuration the function
# would refuse at cold start (a 500 on every $connect) must fail the plan,
# naming the variable (issue #20, defect 3; issue #16's Entra and
# multi-tenant key set rules).

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

run "entra_needs_a_tenant" {
  command = plan

  variables {
    jwks_uri        = ""
    provider_preset = "entra"
  }

  expect_failures = [var.provider_preset]
}

run "entra_needs_a_tenant_not_an_empty_list" {
  command = plan

  variables {
    jwks_uri        = ""
    provider_preset = "entra: , "
  }

  expect_failures = [var.provider_preset]
}

run "entra_common_keys_need_an_issuer" {
  command = plan

  variables {
    jwks_uri = "https://login.microsoftonline.com/common/discovery/v2.0/keys"
  }

  expect_failures = [aws_lambda_function.this]
}

run "entra_v1_organizations_keys_need_an_issuer" {
  command = plan

  variables {
    jwks_uri = "https://login.microsoftonline.com/organizations/discovery/keys"
  }

  expect_failures = [aws_lambda_function.this]
}

run "entra_consumers_keys_need_an_issuer" {
  command = plan

  variables {
    jwks_uri = "https://login.microsoftonline.com/consumers/discovery/v2.0/keys"
  }

  expect_failures = [aws_lambda_function.this]
}

run "google_v3_keys_need_an_issuer" {
  command = plan

  variables {
    jwks_uri = "https://www.googleapis.com/oauth2/v3/certs"
  }

  expect_failures = [aws_lambda_function.this]
}

run "google_v1_keys_need_an_issuer" {
  command = plan

  variables {
    jwks_uri = "https://www.googleapis.com/oauth2/v1/certs"
  }

  expect_failures = [aws_lambda_function.this]
}

run "firebase_x509_keys_need_an_issuer" {
  command = plan

  variables {
    jwks_uri = "https://www.googleapis.com/robot/v1/metadata/x509/securetoken@system.gserviceaccount.com"
  }

  expect_failures = [aws_lambda_function.this]
}

run "firebase_jwk_keys_need_an_issuer" {
  command = plan

  variables {
    jwks_uri = "https://www.googleapis.com/service_accounts/v1/jwk/securetoken@system.gserviceaccount.com"
  }

  expect_failures = [aws_lambda_function.this]
}

# Entra's keys are the same for every tenant, whatever path serves them,
# national clouds included: the Lambda decides by host, and so does the plan.
run "a_tenant_path_of_entra_keys_needs_an_issuer" {
  command = plan

  variables {
    jwks_uri = "https://login.microsoftonline.com/0e3f7b1c-tenant/discovery/v2.0/keys"
  }

  expect_failures = [aws_lambda_function.this]
}

run "entra_national_cloud_keys_need_an_issuer" {
  command = plan

  variables {
    jwks_uri = "https://login.microsoftonline.us/0e3f7b1c-tenant/discovery/v2.0/keys"
  }

  expect_failures = [aws_lambda_function.this]
}

run "a_shared_key_set_with_an_issuer_plans" {
  command = plan

  variables {
    jwks_uri = "https://login.microsoftonline.com/0e3f7b1c-tenant/discovery/v2.0/keys"
    issuers  = ["https://login.microsoftonline.com/0e3f7b1c-tenant/v2.0"]
  }
}

run "the_firebase_preset_without_project_needs_an_issuer" {
  command = plan

  variables {
    jwks_uri        = ""
    provider_preset = "firebase"
  }

  expect_failures = [aws_lambda_function.this]
}

run "cognito_presets_take_a_pool_id" {
  command = plan

  variables {
    provider_preset = "cognito:AbCdEfGhI"
  }

  expect_failures = [var.provider_preset]
}

run "preset_parameters_name_one_issuer" {
  command = plan

  variables {
    jwks_uri        = ""
    provider_preset = "auth0:tenant.eu.auth0.com"
    trusted_issuers = [{ issuer = "https://a.example.com" }]
  }

  expect_failures = [var.provider_preset]
}

run "inline_keys_replace_the_url" {
  command = plan

  variables {
    jwks_json = "{\"keys\":[{\"kty\":\"EC\",\"kid\":\"k\"}]}"
    issuers   = ["https://idp.example.com"]
  }

  expect_failures = [var.jwks_uri]
}

run "inline_keys_need_keys" {
  command = plan

  variables {
    jwks_uri  = ""
    jwks_json = "{\"keys\":[]}"
    issuers   = ["https://idp.example.com"]
  }

  expect_failures = [var.jwks_json]
}

run "inline_keys_are_json" {
  command = plan

  variables {
    jwks_uri  = ""
    jwks_json = "not json"
    issuers   = ["https://idp.example.com"]
  }

  expect_failures = [var.jwks_json]
}

run "several_issuers_replace_the_issuer" {
  command = plan

  variables {
    jwks_uri        = ""
    issuers         = ["https://a.example.com"]
    trusted_issuers = [{ issuer = "https://a.example.com" }]
  }

  expect_failures = [var.issuers]
}

run "several_issuers_replace_the_url" {
  command = plan

  variables {
    trusted_issuers = [{ issuer = "https://a.example.com" }]
  }

  expect_failures = [var.trusted_issuers]
}

run "issuers_are_listed_once" {
  command = plan

  variables {
    jwks_uri        = ""
    trusted_issuers = [{ issuer = "https://a.example.com" }, { issuer = "https://a.example.com" }]
  }

  expect_failures = [var.trusted_issuers]
}

run "an_issuer_has_one_key_source" {
  command = plan

  variables {
    jwks_uri        = ""
    trusted_issuers = [{ issuer = "https://a.example.com", jwks_uri = "https://a.example.com/keys", jwks = "{\"keys\":[{\"kty\":\"EC\"}]}" }]
  }

  expect_failures = [var.trusted_issuers]
}

run "issuer_key_sets_are_https" {
  command = plan

  variables {
    jwks_uri        = ""
    trusted_issuers = [{ issuer = "https://a.example.com", jwks_uri = "http://a.example.com/keys" }]
  }

  expect_failures = [var.trusted_issuers]
}

run "issuer_audiences_are_not_empty" {
  command = plan

  variables {
    jwks_uri        = ""
    trusted_issuers = [{ issuer = "https://a.example.com", audiences = [] }]
  }

  expect_failures = [var.trusted_issuers]
}

run "one_fallback_file_for_one_key_set" {
  command = plan

  variables {
    jwks_uri           = ""
    jwks_fallback_file = "/opt/jwks.json"
    trusted_issuers    = [{ issuer = "https://a.example.com" }, { issuer = "https://b.example.com" }]
  }

  expect_failures = [var.jwks_fallback_file]
}

run "discovery_needs_one_issuer" {
  command = plan

  variables {
    jwks_uri = ""
    issuers  = ["https://a.example.com", "https://b.example.com"]
  }

  expect_failures = [aws_lambda_function.this]
}

run "discovery_needs_https" {
  command = plan

  variables {
    jwks_uri = ""
    issuers  = ["http://idp.example.com"]
  }

  expect_failures = [aws_lambda_function.this]
}

run "issuers_have_no_commas" {
  command = plan

  variables {
    issuers = ["https://a.example.com,https://b.example.com"]
  }

  expect_failures = [var.issuers]
}

run "fetches_end_before_the_function" {
  command = plan

  variables {
    timeout_seconds       = 2
    jwks_fetch_timeout_ms = 2000
    issuers               = ["https://idp.example.com"]
  }

  expect_failures = [var.jwks_fetch_timeout_ms]
}

run "context_claims_are_paths" {
  command = plan

  variables {
    context_claims = ["a..b"]
    issuers        = ["https://idp.example.com"]
  }

  expect_failures = [var.context_claims]
}

run "required_claims_accept_something" {
  command = plan

  variables {
    required_claims = { tid = [] }
    issuers         = ["https://idp.example.com"]
  }

  expect_failures = [var.required_claims]
}

run "required_claims_are_not_objects" {
  command = plan

  variables {
    required_claims = { tid = { a = 1 } }
    issuers         = ["https://idp.example.com"]
  }

  expect_failures = [var.required_claims]
}

run "the_key_set_floor_stays_under_the_ttl" {
  command = plan

  variables {
    jwks_cache_ttl_seconds = 30
    jwks_min_ttl_seconds   = 60
    issuers                = ["https://idp.example.com"]
  }

  expect_failures = [var.jwks_min_ttl_seconds]
}

run "entra_with_its_tenant_and_the_common_keys" {
  command = plan

  variables {
    jwks_uri        = ""
    provider_preset = "entra:00000000-0000-0000-0000-000000000001"
  }

  assert {
    condition     = aws_lambda_function.this.environment[0].variables["JWT_PROVIDER"] == "entra:00000000-0000-0000-0000-000000000001"
    error_message = "entra with a tenant is a complete configuration"
  }
}

run "google_keys_with_an_issuer" {
  command = plan

  variables {
    jwks_uri = "https://www.googleapis.com/oauth2/v3/certs"
    issuers  = ["https://accounts.google.com"]
  }

  assert {
    condition     = aws_lambda_function.this.environment[0].variables["JWT_ISSUER"] == "https://accounts.google.com"
    error_message = "a multi-tenant key set with its issuer is a complete configuration"
  }
}

run "firebase_with_its_project" {
  command = plan

  variables {
    jwks_uri             = ""
    authorized_audiences = []
    provider_preset      = "firebase:chat-app"
  }

  assert {
    condition     = aws_lambda_function.this.environment[0].variables["JWT_PROVIDER"] == "firebase:chat-app"
    error_message = "firebase:PROJECT names the issuer and the audience"
  }
}

# Found by comparing every start-up refusal of the Lambda with the plan.

run "a_presets_http_issuer_cannot_be_discovered" {
  command = plan

  variables {
    jwks_uri        = ""
    provider_preset = "keycloak:http://sso.example.com/realms/chat"
  }

  expect_failures = [aws_lambda_function.this]
}

run "context_claims_must_fit_the_budget_with_the_presets" {
  command = plan

  variables {
    jwks_uri          = "https://chat.zitadel.cloud/oauth/v2/keys"
    provider_preset   = "zitadel:https://chat.zitadel.cloud"
    context_max_bytes = 512
    context_claims    = ["https://example.com/claims/roles", "https://example.com/claims/group", "https://example.com/claims/email", "https://example.com/claims/plans"]
  }

  # 292 reserved, 148 for these claims, 80 for the preset's two: 520 bytes.
  expect_failures = [aws_lambda_function.this]
}

run "context_claims_that_fit_plan" {
  command = plan

  variables {
    context_max_bytes = 512
    context_claims    = ["https://example.com/claims/roles", "https://example.com/claims/group", "https://example.com/claims/email", "https://example.com/claims/plans"]
    issuers           = ["https://idp.example.com"]
  }
}

run "an_inline_key_needs_a_kid_and_an_asymmetric_type" {
  command = plan

  variables {
    jwks_uri  = ""
    issuers   = ["https://idp.example.com"]
    jwks_json = "{\"keys\":[{\"kty\":\"oct\",\"kid\":\"k\",\"k\":\"c2VjcmV0\"}]}"
  }

  expect_failures = [var.jwks_json]
}

run "a_certificate_map_is_an_inline_key_set" {
  command = plan

  variables {
    jwks_uri  = ""
    issuers   = ["https://securetoken.google.com/chat"]
    jwks_json = "{\"k1\":\"-----BEGIN CERTIFICATE-----\\nMIIB\\n-----END CERTIFICATE-----\\n\"}"
  }
}

run "entra_without_a_tenant_plans_when_issuers_name_the_tenants" {
  command = plan

  variables {
    jwks_uri        = ""
    provider_preset = "entra"
    trusted_issuers = [{ issuer = "https://login.microsoftonline.com/t1/v2.0", jwks_uri = "https://login.microsoftonline.com/t1/discovery/v2.0/keys" }]
  }
}

run "web_roots_off_needs_a_ca_bundle" {
  command = plan

  variables {
    issuers              = ["https://idp.example.com"]
    jwks_trust_web_roots = false
  }

  expect_failures = [var.jwks_trust_web_roots]
}

run "a_private_ca_alone" {
  command = plan

  variables {
    issuers              = ["https://idp.example.com"]
    jwks_ca_bundle       = "/opt/ca/internal.pem"
    jwks_trust_web_roots = false
  }

  assert {
    condition     = aws_lambda_function.this.environment[0].variables["JWKS_CA_BUNDLE"] == "/opt/ca/internal.pem" && aws_lambda_function.this.environment[0].variables["JWKS_TRUST_WEB_ROOTS"] == "false"
    error_message = "the bundle and the web roots setting reach the function"
  }
}
