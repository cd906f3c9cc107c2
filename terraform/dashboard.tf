# The dashboard (var.dashboard, on by default): the authorizer's decisions,
# latency, cold starts, key set and function health and, with
# var.session_guard, what the guard did. Each widget is described in
# terraform/README.md ("The dashboard").
#
# Every metric a widget shows is one line of the tables below: namespace,
# metric and the dimension set it is read by. tests/project/terraform_dashboard.rs
# holds each WsJwtAuthorizer line to a metric and dimension set that
# src/ops/metrics.rs writes, and every metric the code writes to a line here.
locals {
  region = split(":", var.api_execution_arn)[3]

  # Read by FunctionName = the authorizer's name; dimensions beyond it are
  # searched (SEARCH), so every Decision, Reason, ApiType or Result that
  # occurs gets its own line.
  authorizer_metrics = {
    decisions               = { namespace = "WsJwtAuthorizer", metric = "Decisions", dimensions = ["FunctionName"] }
    decisions_by_outcome    = { namespace = "WsJwtAuthorizer", metric = "Decisions", dimensions = ["FunctionName", "ApiType", "Decision"] }
    decisions_by_reason     = { namespace = "WsJwtAuthorizer", metric = "Decisions", dimensions = ["FunctionName", "Decision", "Reason"] }
    decision_latency        = { namespace = "WsJwtAuthorizer", metric = "DecisionLatency", dimensions = ["FunctionName"] }
    decision_cache_hits     = { namespace = "WsJwtAuthorizer", metric = "DecisionCacheHits", dimensions = ["FunctionName"] }
    cold_starts             = { namespace = "WsJwtAuthorizer", metric = "ColdStarts", dimensions = ["FunctionName"] }
    key_set_fetches         = { namespace = "WsJwtAuthorizer", metric = "KeySetFetches", dimensions = ["FunctionName", "Result"] }
    key_set_fetch_latency   = { namespace = "WsJwtAuthorizer", metric = "KeySetFetchLatency", dimensions = ["FunctionName", "Result"] }
    key_set_fetches_skipped = { namespace = "WsJwtAuthorizer", metric = "KeySetFetchesSkipped", dimensions = ["FunctionName"] }
    stale_keys_served       = { namespace = "WsJwtAuthorizer", metric = "StaleKeysServed", dimensions = ["FunctionName"] }
    lambda_invocations      = { namespace = "AWS/Lambda", metric = "Invocations", dimensions = ["FunctionName"] }
    lambda_errors           = { namespace = "AWS/Lambda", metric = "Errors", dimensions = ["FunctionName"] }
    lambda_throttles        = { namespace = "AWS/Lambda", metric = "Throttles", dimensions = ["FunctionName"] }
  }

  # The session guard's function (FunctionName) and failure queue (QueueName).
  guard_metrics = {
    guard_errors         = { namespace = "AWS/Lambda", metric = "Errors", dimensions = ["FunctionName"] }
    guard_throttles      = { namespace = "AWS/Lambda", metric = "Throttles", dimensions = ["FunctionName"] }
    guard_failures_queue = { namespace = "AWS/SQS", metric = "ApproximateNumberOfMessagesVisible", dimensions = ["QueueName"] }
  }

  # Each metric as a widget line, [namespace, metric, dimension, value],
  # when its one dimension names the function (or queue); else the search
  # term of its dimension set, narrowed to this function, for SEARCH().
  function_name = aws_lambda_function.this.function_name
  metric_line = {
    for key, m in local.authorizer_metrics : key => [m.namespace, m.metric, m.dimensions[0], local.function_name]
    if length(m.dimensions) == 1
  }
  search = {
    for key, m in local.authorizer_metrics : key => "{${m.namespace},${join(",", m.dimensions)}} MetricName=\"${m.metric}\" FunctionName=\"${local.function_name}\""
    if length(m.dimensions) > 1
  }
  guard_line = {
    for key, m in local.guard_metrics : key => [m.namespace, m.metric, m.dimensions[0], m.dimensions[0] == "QueueName" ? local.guard.failure_queue_name : local.guard.function_name]
  }

  # Without metrics_enabled the function writes none of these.
  custom_metric_widgets = [for widget in [
    {
      title   = "Decisions by outcome"
      stacked = true
      metrics = [[{ id = "outcomes", expression = "SEARCH('${local.search.decisions_by_outcome}', 'Sum', 60)", label = "$${PROP('Dim.ApiType')} $${PROP('Dim.Decision')}" }]]
    },
    {
      title   = "Refusals by reason"
      stacked = true
      metrics = [[{ id = "reasons", expression = "SEARCH('${local.search.decisions_by_reason} NOT Decision=\"allow\"', 'Sum', 60)", label = "$${PROP('Dim.Decision')} $${PROP('Dim.Reason')}" }]]
    },
    {
      title   = "Decision latency (microseconds)"
      stacked = false
      metrics = [
        concat(local.metric_line.decision_latency, [{ stat = "p50", label = "p50" }]),
        concat(local.metric_line.decision_latency, [{ stat = "p99", label = "p99" }]),
      ]
    },
    {
      title   = "Decision cache hits"
      stacked = false
      metrics = [
        concat(local.metric_line.decisions, [{ stat = "Sum", label = "decisions" }]),
        concat(local.metric_line.decision_cache_hits, [{ stat = "Sum", label = "answered from the decision cache" }]),
      ]
    },
    {
      title   = "Cold starts"
      stacked = false
      metrics = [concat(local.metric_line.cold_starts, [{ stat = "Sum", label = "cold starts" }])]
    },
    {
      title   = "Key set fetches by result"
      stacked = true
      metrics = [[{ id = "fetches", expression = "SEARCH('${local.search.key_set_fetches}', 'Sum', 60)", label = "$${PROP('Dim.Result')}" }]]
    },
    {
      title   = "Key set fetch latency (milliseconds)"
      stacked = false
      metrics = [[{ id = "fetch_latency", expression = "SEARCH('${local.search.key_set_fetch_latency}', 'Maximum', 60)", label = "$${PROP('Dim.Result')} (max)" }]]
    },
    {
      title   = "Stale keys served, fetches skipped"
      stacked = false
      metrics = [
        concat(local.metric_line.stale_keys_served, [{ stat = "Sum", label = "stale keys served" }]),
        concat(local.metric_line.key_set_fetches_skipped, [{ stat = "Sum", label = "fetches skipped (backoff)" }]),
      ]
    },
  ] : widget if var.metrics_enabled]

  function_widgets = [
    {
      title   = "Function invocations, errors and throttles"
      stacked = false
      metrics = [
        concat(local.metric_line.lambda_invocations, [{ stat = "Sum", label = "invocations" }]),
        concat(local.metric_line.lambda_errors, [{ stat = "Sum", label = "errors (API Gateway answers 500)" }]),
        concat(local.metric_line.lambda_throttles, [{ stat = "Sum", label = "throttles (API Gateway answers 500)" }]),
      ]
    },
  ]

  # The guard's parts, empty without one (its widgets are then left out).
  guarded = var.session_guard != null
  guard = local.guarded ? var.session_guard : {
    function_name      = ""
    log_group_name     = ""
    failure_queue_name = ""
    alarm_arns         = []
    activity_query     = ""
  }
  guard_metric_widgets = [for widget in [
    {
      title   = "Session guard: errors, throttles, failure queue"
      stacked = false
      metrics = [
        concat(local.guard_line.guard_errors, [{ stat = "Sum", label = "guard errors (retried by Lambda)" }]),
        concat(local.guard_line.guard_throttles, [{ stat = "Sum", label = "guard throttles" }]),
        concat(local.guard_line.guard_failures_queue, [{ stat = "Maximum", label = "in the failure queue (failed after every retry)" }]),
      ]
    },
  ] : widget if local.guarded]

  metric_widgets = [
    for widget in concat(local.custom_metric_widgets, local.function_widgets, local.guard_metric_widgets) : {
      type = "metric"
      properties = {
        title   = widget.title
        region  = local.region
        view    = "timeSeries"
        stacked = widget.stacked
        period  = 60
        metrics = widget.metrics
      }
    }
  ]

  # Logs Insights widgets: the guard's own counts, read from its log lines
  # (the guard writes no metrics).
  log_widgets = [for widget in [
    {
      type = "log"
      properties = {
        title   = "Session guard: connections scheduled, ended and failed"
        region  = local.region
        view    = "timeSeries"
        stacked = false
        query   = "SOURCE '${local.guard.log_group_name}' | ${local.guard.activity_query}"
      }
    },
  ] : widget if local.guarded]

  alarm_widgets = [for widget in [
    {
      type = "alarm"
      properties = {
        title  = "Alarms"
        alarms = local.dashboard_alarm_arns
      }
    },
  ] : widget if length(local.dashboard_alarm_arns) > 0]
  dashboard_alarm_arns = concat(
    [for alarm in aws_cloudwatch_metric_alarm.single_metric : alarm.arn],
    aws_cloudwatch_metric_alarm.key_set_fetch_failures[*].arn,
    local.guard.alarm_arns,
  )

  # Two widgets a row, 12 of 24 columns wide, 6 high; the alarms first, on
  # a row of their own.
  widgets = concat(
    [for widget in local.alarm_widgets : merge(widget, { x = 0, y = 0, width = 24, height = 3 })],
    [
      for index, widget in concat(local.metric_widgets, local.log_widgets) : merge(widget, {
        x      = (index % 2) * 12
        y      = (length(local.alarm_widgets) > 0 ? 3 : 0) + floor(index / 2) * 6
        width  = 12
        height = 6
      })
    ],
  )
}

resource "aws_cloudwatch_dashboard" "this" {
  count = var.dashboard ? 1 : 0

  dashboard_name = var.name
  dashboard_body = jsonencode({ widgets = local.widgets })
}

# Saved Logs Insights queries on the function's log group, in the console's
# folder "<name>". Their field names are the decision line's
# (src/decision_log.rs; tests/project/terraform_dashboard.rs holds them to
# it): `fields.X` as Logs Insights reads the JSON line.
locals {
  saved_queries = {
    refused-connection = {
      title = "Why was this connection refused"
      query = <<-EOT
        # Every refusal, newest first. For one connection add:
        #   | filter fields.connection_id = "Dzl8bdcnDoECJZQ="
        # (the connection id API Gateway gave the client), or filter on
        # fields.request_id; the reason codes are in docs/troubleshooting.md's
        # troubleshooting table.
        fields @timestamp, fields.connection_id, fields.request_id, fields.decision, fields.reason, fields.api_type, fields.alg, fields.kid, fields.iss
        | filter fields.message = "decision" and fields.decision != "allow"
        | sort @timestamp desc
        | limit 200
      EOT
    }
    refusals-by-reason = {
      title = "Refusals by reason"
      query = <<-EOT
        # How many refusals of each reason, per API type and outcome.
        filter fields.message = "decision" and fields.decision != "allow"
        | stats count(*) as refusals by fields.reason, fields.decision, fields.api_type
        | sort refusals desc
      EOT
    }
    subject-connections = {
      title = "Connections of a subject"
      query = <<-EOT
        # The connections each subject (sub) opened. sub is logged on allow
        # only: a refused token was not trusted, so its sub is not either.
        # For one subject add:
        #   | filter fields.sub = "user-123"
        filter fields.message = "decision" and fields.decision = "allow"
        | stats count(*) as allowed, latest(fields.connection_id) as last_connection, max(@timestamp) as last_allowed by fields.sub, fields.iss
        | sort allowed desc
        | limit 200
      EOT
    }
    decision-latency = {
      title = "Decision latency"
      query = <<-EOT
        # Time spent deciding, in microseconds: from the decision cache,
        # after a signature check, and on a cold start.
        filter fields.message = "decision"
        | stats count(*) as decisions, pct(fields.duration_us, 50) as p50_us, pct(fields.duration_us, 99) as p99_us, max(fields.duration_us) as max_us by fields.cached, fields.cold_start
      EOT
    }
    warnings-and-errors = {
      title = "Warnings and errors"
      query = <<-EOT
        # Start-up warnings, stale keys served, key set trouble, and the
        # errors of the function itself (refusals are INFO decision lines).
        fields @timestamp, level, fields.message
        | filter level = "WARN" or level = "ERROR"
        | sort @timestamp desc
        | limit 200
      EOT
    }
  }
}

resource "aws_cloudwatch_query_definition" "this" {
  for_each = var.saved_queries ? local.saved_queries : {}

  name            = "${var.name}/${each.value.title}"
  log_group_names = [aws_cloudwatch_log_group.this.name]
  query_string    = each.value.query
}
