# Where the package comes from (issue #30.4): a file, an S3 object or a
# container image, exactly one, and nothing by default. Without one the plan
# stops with a message saying how to get one.

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  api_id               = "abcdef1234"
  api_execution_arn    = "arn:aws:execute-api:eu-west-1:123456789012:abcdef1234"
  jwks_uri             = "https://idp.example.com/.well-known/jwks.json"
  authorized_audiences = ["chat-api"]
  issuers              = ["https://idp.example.com"]
}

run "no_package_is_refused_at_plan" {
  command = plan

  expect_failures = [var.package_path]
}

run "a_package_file" {
  command = plan

  variables {
    package_path = "tests/fixtures/bootstrap.zip"
  }

  assert {
    condition     = aws_lambda_function.this.package_type == "Zip" && aws_lambda_function.this.filename == "tests/fixtures/bootstrap.zip" && aws_lambda_function.this.source_code_hash == filebase64sha256("tests/fixtures/bootstrap.zip")
    error_message = "a zip from package_path, its hash computed from the file, so a new zip redeploys"
  }
  assert {
    condition     = aws_lambda_function.this.runtime == "provided.al2023" && aws_lambda_function.this.handler == "bootstrap" && aws_lambda_function.this.image_uri == null && aws_lambda_function.this.s3_bucket == null
    error_message = "a zip runs its bootstrap on provided.al2023"
  }
}

run "a_missing_file_is_refused_at_plan" {
  command = plan

  variables {
    package_path = "tests/fixtures/ws-jwt-authorizer-0.0.0-arm64.zip"
  }

  expect_failures = [var.package_path]
}

run "a_package_in_s3" {
  command = plan

  variables {
    s3_bucket         = "artifacts"
    s3_key            = "ws-jwt-authorizer/ws-jwt-authorizer-1.2.0-arm64.zip"
    s3_object_version = "3"
    source_code_hash  = "Z29vZA=="
  }

  assert {
    condition     = aws_lambda_function.this.package_type == "Zip" && aws_lambda_function.this.filename == null && aws_lambda_function.this.s3_bucket == "artifacts" && aws_lambda_function.this.s3_key == "ws-jwt-authorizer/ws-jwt-authorizer-1.2.0-arm64.zip" && aws_lambda_function.this.s3_object_version == "3" && aws_lambda_function.this.source_code_hash == "Z29vZA=="
    error_message = "the zip from S3, with its version and hash"
  }
}

run "an_image" {
  command = plan

  variables {
    image_uri = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/ws-jwt-authorizer:1.2.0-arm64"
  }

  assert {
    condition     = aws_lambda_function.this.package_type == "Image" && aws_lambda_function.this.image_uri == "123456789012.dkr.ecr.eu-west-1.amazonaws.com/ws-jwt-authorizer:1.2.0-arm64" && aws_lambda_function.this.runtime == null && aws_lambda_function.this.handler == null && aws_lambda_function.this.filename == null && aws_lambda_function.this.s3_bucket == null
    error_message = "an image brings its own runtime: no runtime, handler or zip"
  }
}

run "a_file_and_s3_are_refused" {
  command = plan

  variables {
    package_path = "tests/fixtures/bootstrap.zip"
    s3_bucket    = "artifacts"
    s3_key       = "ws-jwt-authorizer/bootstrap.zip"
  }

  expect_failures = [var.package_path]
}

run "a_file_and_an_image_are_refused" {
  command = plan

  variables {
    package_path = "tests/fixtures/bootstrap.zip"
    image_uri    = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/ws-jwt-authorizer:1.2.0"
  }

  expect_failures = [var.package_path]
}

run "s3_and_an_image_are_refused" {
  command = plan

  variables {
    s3_bucket = "artifacts"
    s3_key    = "ws-jwt-authorizer/bootstrap.zip"
    image_uri = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/ws-jwt-authorizer:1.2.0"
  }

  expect_failures = [var.package_path]
}

run "an_image_takes_no_layers" {
  command = plan

  variables {
    image_uri = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/ws-jwt-authorizer:1.2.0"
    layers    = ["arn:aws:lambda:eu-west-1:123456789012:layer:jwks:3"]
  }

  expect_failures = [var.image_uri]
}

run "a_hash_belongs_to_s3" {
  command = plan

  variables {
    package_path     = "tests/fixtures/bootstrap.zip"
    source_code_hash = "Z29vZA=="
  }

  expect_failures = [var.source_code_hash]
}

run "an_object_version_belongs_to_s3" {
  command = plan

  variables {
    package_path      = "tests/fixtures/bootstrap.zip"
    s3_object_version = "3"
  }

  expect_failures = [var.s3_object_version]
}
