# The module leaves unset what the Lambda defaults (issue #20, defect 6),
# lets Lambda's START/REPORT lines through (defect 7) and names its role so
# that a second region does not collide (defect 8).

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

run "a_short_ttl_alone_plans" {
  command = plan

  variables {
    jwks_cache_ttl_seconds = 30
  }

  assert {
    condition     = aws_lambda_function.this.environment[0].variables["JWKS_CACHE_TTL_SECONDS"] == "30" && !contains(keys(aws_lambda_function.this.environment[0].variables), "JWKS_MIN_TTL_SECONDS")
    error_message = "the key set floor is the Lambda's to default (60, or the TTL when shorter)"
  }
}

run "a_floor_when_set" {
  command = plan

  variables {
    jwks_min_ttl_seconds = 0
  }

  assert {
    condition     = aws_lambda_function.this.environment[0].variables["JWKS_MIN_TTL_SECONDS"] == "0"
    error_message = "an explicit floor, 0 included, must reach the Lambda"
  }
}

run "system_log_level_is_a_choice" {
  command = plan

  variables {
    system_log_level = "DEBUG"
    log_level        = "WARN"
    metrics_enabled  = false
  }

  assert {
    condition     = aws_lambda_function.this.logging_config[0].system_log_level == "DEBUG" && aws_lambda_function.this.logging_config[0].application_log_level == "WARN"
    error_message = "system_log_level and log_level must reach logging_config"
  }
}

run "metrics_are_not_filtered_away" {
  command = plan

  variables {
    log_level = "WARN"
  }

  expect_failures = [var.log_level]
}

run "text_logs_take_no_levels" {
  command = plan

  variables {
    log_format = "Text"
  }

  assert {
    condition     = aws_lambda_function.this.logging_config[0].system_log_level == null && aws_lambda_function.this.logging_config[0].application_log_level == null
    error_message = "Lambda filters levels of JSON logs only"
  }
}

run "roles_are_unique_per_region" {
  command = plan

  variables {
    name = "chat-authorizer"
  }

  assert {
    condition     = aws_iam_role.this[0].name_prefix == "chat-authorizer-"
    error_message = "without role_name, the role's name must be generated from the prefix <name>- (IAM names are global)"
  }
}

run "a_role_name_when_given" {
  command = plan

  variables {
    role_name = "chat-authorizer-eu-west-1"
  }

  assert {
    condition     = aws_iam_role.this[0].name == "chat-authorizer-eu-west-1"
    error_message = "role_name must name the role"
  }
}
