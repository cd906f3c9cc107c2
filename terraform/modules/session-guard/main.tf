# The session guard: ends each WebSocket connection at its token's exp, and
# all of a subject's connections on demand (docs/sessions.md).
#
#   stage access log ──subscription──▶ guard ──CreateSchedule at exp──▶ Scheduler
#   Scheduler at exp ──invoke {"disconnect"}──▶ guard ──DeleteConnection──▶ @connections
#   whatever still fails after Lambda's and Scheduler's retries ──▶ failure queue (SQS)
#
# The access log group is created here; the caller's stage writes to it in
# the format of the output access_log_format (a stage belongs to its API's
# configuration, so the module does not own it).

locals {
  # arn:{partition}:execute-api:{region}:{account}:{api_id}: the API's id,
  # region and account are read here rather than asked for again.
  arn       = split(":", var.api_execution_arn)
  partition = local.arn[1]
  region    = local.arn[3]
  account   = local.arn[4]
  api_id    = local.arn[5]
  # Where the package comes from (variables.tf: exactly one is set).
  from_path  = var.package_path != null
  from_image = var.image_uri != null

  # Known before the function exists: its environment names it, and the
  # scheduler role's policy too, without a cycle.
  function_arn        = "arn:${local.partition}:lambda:${local.region}:${local.account}:function:${var.name}"
  management_endpoint = coalesce(var.management_endpoint, "https://${local.api_id}.execute-api.${local.region}.amazonaws.com/${var.stage_name}")

  # The one format the guard reads (access-log-format.json beside this file,
  # which the local gateway writes in the tests too).
  access_log_format = trimspace(file("${path.module}/access-log-format.json"))

  # Where what still fails after every retry is kept: the caller's queue, or
  # the module's.
  failure_queue_arn = coalesce(var.failure_queue_arn, one(aws_sqs_queue.failures[*].arn))
}

# What still fails after every retry lands here instead of being dropped:
# log batches the guard could not finish (Lambda's on-failure destination,
# with the original {"awslogs": …} payload, so they can be invoked again) and
# schedules Scheduler could not hand to the guard (its dead-letter queue).
resource "aws_sqs_queue" "failures" {
  count = var.failure_queue_arn == null ? 1 : 0

  name                      = "${var.name}-failures"
  message_retention_seconds = 1209600 # 14 days, SQS's longest.
  sqs_managed_sse_enabled   = true
  tags                      = var.tags
}

resource "aws_cloudwatch_log_group" "access" {
  #checkov:skip=CKV_AWS_158:Access logs hold no secrets (no token, no query string); set your own KMS key on the group if policy requires.
  #checkov:skip=CKV_AWS_338:Retention is log_retention_days; the guard needs minutes of it.
  name              = "/aws/apigateway/${local.api_id}/${var.stage_name}/access"
  retention_in_days = var.log_retention_days
  tags              = var.tags
}

resource "aws_cloudwatch_log_group" "guard" {
  #checkov:skip=CKV_AWS_158:The guard logs counts and connection ids, never a token.
  #checkov:skip=CKV_AWS_338:Retention is log_retention_days.
  name              = "/aws/lambda/${var.name}"
  retention_in_days = var.log_retention_days
  tags              = var.tags
}

resource "aws_scheduler_schedule_group" "this" {
  name = var.name
  tags = var.tags
}

data "aws_iam_policy_document" "lambda_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

data "aws_iam_policy_document" "scheduler_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["scheduler.amazonaws.com"]
    }
    # Confused-deputy protection, as Scheduler documents it: only this
    # account's schedules of the guard's own group may use the role.
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account]
    }
    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = ["arn:${local.partition}:scheduler:${local.region}:${local.account}:schedule-group/${var.name}"]
    }
  }
}

# Scheduler's role: invoke the guard, nothing else.
resource "aws_iam_role" "scheduler" {
  name_prefix        = "${substr(var.name, 0, 27)}-scheduler-"
  assume_role_policy = data.aws_iam_policy_document.scheduler_assume.json
  tags               = var.tags
}

data "aws_iam_policy_document" "scheduler" {
  statement {
    sid       = "InvokeGuard"
    actions   = ["lambda:InvokeFunction"]
    resources = [local.function_arn]
  }
  statement {
    # The schedules' dead-letter queue.
    sid       = "FailureQueue"
    actions   = ["sqs:SendMessage"]
    resources = [local.failure_queue_arn]
  }
}

resource "aws_iam_role_policy" "scheduler" {
  name   = "invoke-guard"
  role   = aws_iam_role.scheduler.id
  policy = data.aws_iam_policy_document.scheduler.json
}

# The guard's role: its own log group, schedules of its own group only,
# passing the scheduler role to Scheduler only, and the Management API of
# this API's stage only.
resource "aws_iam_role" "guard" {
  name_prefix        = "${substr(var.name, 0, 31)}-guard-"
  assume_role_policy = data.aws_iam_policy_document.lambda_assume.json
  tags               = var.tags
}

data "aws_iam_policy_document" "guard" {
  statement {
    sid       = "OwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.guard.arn}:*"]
  }
  statement {
    sid       = "OwnSchedules"
    actions   = ["scheduler:CreateSchedule", "scheduler:DeleteSchedule", "scheduler:GetSchedule"]
    resources = ["arn:${local.partition}:scheduler:${local.region}:${local.account}:schedule/${aws_scheduler_schedule_group.this.name}/*"]
  }
  statement {
    # ListSchedules has no resource-level permission.
    sid       = "ListSchedules"
    actions   = ["scheduler:ListSchedules"]
    resources = ["*"]
  }
  statement {
    sid       = "PassSchedulerRole"
    actions   = ["iam:PassRole"]
    resources = [aws_iam_role.scheduler.arn]
    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["scheduler.amazonaws.com"]
    }
  }
  statement {
    # Lambda's on-failure destination sends with the function's role.
    sid       = "FailureQueue"
    actions   = ["sqs:SendMessage"]
    resources = [local.failure_queue_arn]
  }
  statement {
    # DeleteConnection only (DELETE @connections/{id}), on this stage only:
    # the guard never posts to, nor reads, a connection.
    sid       = "ManageThisStage"
    actions   = ["execute-api:ManageConnections"]
    resources = ["${var.api_execution_arn}/${var.stage_name}/DELETE/@connections/*"]
  }
}

resource "aws_iam_role_policy" "guard" {
  name   = "session-guard"
  role   = aws_iam_role.guard.id
  policy = data.aws_iam_policy_document.guard.json
}

resource "aws_lambda_function" "guard" {
  #checkov:skip=CKV_AWS_116:Failed asynchronous invocations go to the on-failure destination of aws_lambda_function_event_invoke_config.guard (the failure queue), which records more than a dead-letter queue would.
  #checkov:skip=CKV_AWS_117:It calls only AWS APIs; put it in a VPC (with endpoints) if your policy requires.
  #checkov:skip=CKV_AWS_115:A ceiling would throttle the guard during a reconnect storm; Scheduler and the subscription retry anyway.
  #checkov:skip=CKV_AWS_173:The environment holds names and ARNs, no secret.
  #checkov:skip=CKV_AWS_272:Code signing needs a signing profile; the package hash is pinned instead.
  #checkov:skip=CKV_AWS_50:The guard's log lines carry the request id.
  function_name     = var.name
  description       = "Ends WebSocket connections of ${local.api_id}/${var.stage_name} at their token's exp, and on revoke"
  role              = aws_iam_role.guard.arn
  package_type      = local.from_image ? "Image" : "Zip"
  runtime           = local.from_image ? null : "provided.al2023"
  handler           = local.from_image ? null : "bootstrap"
  image_uri         = var.image_uri
  architectures     = [var.architecture]
  memory_size       = 128
  timeout           = var.timeout
  filename          = var.package_path
  s3_bucket         = var.s3_bucket
  s3_key            = var.s3_key
  s3_object_version = var.s3_object_version
  source_code_hash  = local.from_path ? filebase64sha256(var.package_path) : var.source_code_hash
  tags              = var.tags

  environment {
    variables = {
      SESSION_GUARD_SCHEDULE_GROUP      = aws_scheduler_schedule_group.this.name
      SESSION_GUARD_MANAGEMENT_ENDPOINT = local.management_endpoint
      SESSION_GUARD_FUNCTION_ARN        = local.function_arn
      SESSION_GUARD_SCHEDULER_ROLE_ARN  = aws_iam_role.scheduler.arn
      SESSION_GUARD_DEAD_LETTER_ARN     = local.failure_queue_arn
    }
  }

  depends_on = [aws_iam_role_policy.guard, aws_cloudwatch_log_group.guard]
}

# The subscription and Scheduler both invoke the guard asynchronously: a
# failed invocation (a call that still failed, or the timeout) is retried by
# Lambda twice, about one and then two minutes later, and then goes to the
# failure queue instead of being dropped. Every invocation is idempotent
# (same schedule names; a 410 is success), so a retry redoes only what is
# missing. Throttled invocations are kept for up to six hours.
resource "aws_lambda_function_event_invoke_config" "guard" {
  function_name                = aws_lambda_function.guard.function_name
  maximum_retry_attempts       = 2
  maximum_event_age_in_seconds = 21600

  destination_config {
    on_failure {
      destination = local.failure_queue_arn
    }
  }
}

resource "aws_lambda_permission" "logs" {
  statement_id   = "access-log-subscription"
  action         = "lambda:InvokeFunction"
  function_name  = aws_lambda_function.guard.function_name
  principal      = "logs.amazonaws.com"
  source_arn     = "${aws_cloudwatch_log_group.access.arn}:*"
  source_account = local.account
}

# Only CONNECT and DISCONNECT lines reach the guard: messages cost nothing.
resource "aws_cloudwatch_log_subscription_filter" "access" {
  name            = "${var.name}-connects"
  log_group_name  = aws_cloudwatch_log_group.access.name
  filter_pattern  = "{ ($.eventType = \"CONNECT\") || ($.eventType = \"DISCONNECT\") }"
  destination_arn = aws_lambda_function.guard.arn

  depends_on = [aws_lambda_permission.logs]
}
