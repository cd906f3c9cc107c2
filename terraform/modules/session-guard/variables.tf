variable "name" {
  description = "Name of the guard Lambda, prefix of its roles, and name of its schedule group."
  type        = string
  default     = "ws-session-guard"

  validation {
    condition     = can(regex("^[0-9A-Za-z_-]{1,50}$", var.name))
    error_message = "name: 1 to 50 letters, digits, - or _ (it names the function and the schedule group)."
  }
}

variable "api_execution_arn" {
  description = "Execution ARN of the WebSocket API whose connections are guarded (aws_apigatewayv2_api.*.execution_arn): the Management API rights are scoped to it and the stage, and its API id, region and account are the guard's."
  type        = string

  validation {
    condition     = can(regex("^arn:[a-z-]+:execute-api:[a-z0-9-]+:[0-9]{12}:[0-9a-z]+$", var.api_execution_arn))
    error_message = "api_execution_arn: arn:PARTITION:execute-api:REGION:ACCOUNT:API_ID."
  }
}

variable "stage_name" {
  description = "The guarded stage. Give this stage the outputs access_log_destination_arn and access_log_format as its access_log_settings."
  type        = string

  # API Gateway's own rule for stage names; it also keeps the IAM resource,
  # the log group and the endpoint from taking a /, * or ?.
  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,128}$", var.stage_name))
    error_message = "stage_name: 1 to 128 letters, digits, - or _."
  }
}

variable "management_endpoint" {
  description = "The Management API endpoint; null for https://{api_id}.execute-api.{region}.amazonaws.com/{stage_name}."
  type        = string
  default     = null

  # As the guard judges SESSION_GUARD_MANAGEMENT_ENDPOINT at start: by the
  # URL's host, not a text prefix. The authority (up to the first /, ? or #)
  # holds no user info, so http://127.0.0.1:1@example.com/ (whose host is
  # example.com) is refused, plain http only reaches a loopback host, and
  # there is no query or fragment (a stage's URL has none).
  validation {
    condition = var.management_endpoint == null || (
      can(regex("^https://[^/?#@\\s:][^/?#@\\s]*(/[^?#\\s]*)?$", var.management_endpoint))
      || can(regex("^http://(127\\.0\\.0\\.1|localhost|\\[::1\\])(:[0-9]*)?(/[^?#\\s]*)?$", var.management_endpoint))
    )
    error_message = "management_endpoint must be the stage's https:// URL, without user info, query or fragment, or http:// on loopback (127.0.0.1, localhost or [::1]); the guard refuses anything else at start. It is the Management API, not the wss:// WebSocket URL."
  }
}

variable "package_path" {
  description = "The guard's deployment zip; null for target/lambda/session-guard/bootstrap.zip (cargo lambda build --release -p session-guard --output-format zip)."
  type        = string
  default     = null
}

variable "architecture" {
  description = "arm64 or x86_64; must match the package."
  type        = string
  default     = "arm64"

  validation {
    condition     = contains(["arm64", "x86_64"], var.architecture)
    error_message = "architecture: arm64 or x86_64."
  }
}

variable "failure_queue_arn" {
  description = "An SQS standard queue (same account and region) for what still fails after every retry: log batches the guard could not finish and schedules Scheduler could not deliver. null creates <name>-failures (14 days' retention, SSE)."
  type        = string
  default     = null

  validation {
    condition     = var.failure_queue_arn == null || can(regex("^arn:[a-z-]+:sqs:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,80}$", var.failure_queue_arn))
    error_message = "failure_queue_arn: arn:PARTITION:sqs:REGION:ACCOUNT:QUEUE (a standard queue: Scheduler refuses FIFO queues)."
  }
}

variable "timeout" {
  description = "The guard Lambda's timeout in seconds. A reconnect storm delivers thousands of CONNECTs in one batch, each a CreateSchedule at Scheduler's API rate; the guard stops starting lines 2 s before the timeout and fails the invocation, so that Lambda runs the batch again (idempotently)."
  type        = number
  default     = 300

  validation {
    condition     = var.timeout >= 30 && var.timeout <= 900
    error_message = "timeout: 30 to 900 seconds."
  }
}

variable "log_retention_days" {
  description = "Retention of the access log group and of the guard's own log group."
  type        = number
  default     = 30
}

variable "tags" {
  description = "Tags for every resource that takes them."
  type        = map(string)
  default     = {}
}
