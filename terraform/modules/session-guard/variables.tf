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

# The package: exactly one of package_path, s3_bucket with s3_key, or
# image_uri; nothing points into the repository.
variable "package_path" {
  description = <<-EOT
    Path of the guard's deployment zip, relative to the directory Terraform runs in (or
    absolute): the release's session-guard-VERSION-ARCH.zip, checked against its SHA256SUMS, or
    target/lambda/session-guard/bootstrap.zip built by scripts/package-lambda.sh ARCH
    session-guard. One of package_path, s3_bucket with s3_key, or image_uri.
  EOT
  type        = string
  default     = null

  validation {
    condition     = (var.package_path != null ? 1 : 0) + (var.s3_bucket != null ? 1 : 0) + (var.image_uri != null ? 1 : 0) > 0
    error_message = <<-EOT
      The session guard's package is missing: set package_path (a zip), s3_bucket with s3_key (that zip in S3), or image_uri (a container image). To get the zip, either
        - download the release's session-guard-VERSION-arm64.zip (or -x86_64.zip, for architecture = "x86_64") and its SHA256SUMS, and check it: sha256sum --check --ignore-missing SHA256SUMS; or
        - build it from the repository: scripts/package-lambda.sh arm64 session-guard (or x86_64), which writes target/lambda/session-guard/bootstrap.zip.
    EOT
  }

  validation {
    condition     = (var.package_path != null ? 1 : 0) + (var.s3_bucket != null ? 1 : 0) + (var.image_uri != null ? 1 : 0) <= 1
    error_message = "package_path, s3_bucket with s3_key, and image_uri are three ways to give the guard's package: set one of them."
  }

  validation {
    condition     = var.package_path == null || try(fileexists(var.package_path), false)
    error_message = "package_path names no file (relative paths start from the directory Terraform runs in). Download the release's session-guard-VERSION-ARCH.zip and check it against SHA256SUMS (sha256sum --check --ignore-missing SHA256SUMS), or build it with scripts/package-lambda.sh arm64 session-guard (target/lambda/session-guard/bootstrap.zip)."
  }
}

variable "s3_bucket" {
  description = "Deploy the guard's zip from this S3 bucket (with s3_key) instead of package_path."
  type        = string
  default     = null
}

variable "s3_key" {
  description = "Key of the guard's zip in s3_bucket."
  type        = string
  default     = null

  validation {
    condition     = (var.s3_key == null) == (var.s3_bucket == null)
    error_message = "s3_bucket and s3_key go together."
  }
}

variable "s3_object_version" {
  description = "Version of the zip object in s3_bucket, for versioned buckets."
  type        = string
  default     = null

  validation {
    condition     = var.s3_object_version == null || var.s3_bucket != null
    error_message = "s3_object_version is the version of the zip in s3_bucket: set s3_bucket and s3_key too."
  }
}

variable "source_code_hash" {
  description = "Base64 SHA-256 of the zip in S3 (filebase64sha256 of the file), so a new zip redeploys; package_path's is computed."
  type        = string
  default     = null

  validation {
    condition     = var.source_code_hash == null || var.s3_bucket != null
    error_message = "source_code_hash is for a zip in S3: package_path's is computed from the file, and an image is named by its digest."
  }
}

variable "image_uri" {
  description = "A container image holding the guard (an ECR image URI) instead of a zip: the function's package_type is then Image."
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

variable "saved_queries" {
  description = "Save Logs Insights queries on the guard's log group, in the folder <name>: what happened to a connection, connections scheduled, ended and failed, failures, revokes. false for none."
  type        = bool
  default     = true
}

variable "alarms" {
  description = "Create a CloudWatch alarm on the failure queue: it holds anything (work that still failed after every retry)."
  type        = bool
  default     = false
}

variable "alarm_sns_topic_arn" {
  description = "SNS topic the alarm notifies (alarm and back to OK); null for an alarm without actions."
  type        = string
  default     = null
}
