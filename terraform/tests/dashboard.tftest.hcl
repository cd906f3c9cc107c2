# The dashboard, its off switch, and the saved Logs Insights queries
# (issue #30.5). Which metrics and fields they read is held to the code by
# tests/project/terraform_dashboard.rs.

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  api_id               = "abcdef1234"
  api_execution_arn    = "arn:aws:execute-api:eu-west-1:123456789012:abcdef1234"
  package_path         = "tests/fixtures/bootstrap.zip"
  jwks_uri             = "https://idp.example.com/.well-known/jwks.json"
  authorized_audiences = ["chat-api"]
  issuers              = ["https://idp.example.com"]
}

run "a_dashboard_by_default" {
  command = apply

  assert {
    condition     = aws_cloudwatch_dashboard.this[0].dashboard_name == "ws-jwt-authorizer" && output.dashboard_name == "ws-jwt-authorizer"
    error_message = "the dashboard is on by default, named after the function"
  }
  assert {
    condition = [for widget in jsondecode(aws_cloudwatch_dashboard.this[0].dashboard_body).widgets : widget.properties.title] == [
      "Decisions by outcome",
      "Refusals by reason",
      "Decision latency (microseconds)",
      "Decision cache hits",
      "Cold starts",
      "Key set fetches by result",
      "Key set fetch latency (milliseconds)",
      "Stale keys served, fetches skipped",
      "Function invocations, errors and throttles",
    ]
    error_message = "the authorizer's widgets, in order; no alarms and no guard by default"
  }
  assert {
    condition     = alltrue([for widget in jsondecode(aws_cloudwatch_dashboard.this[0].dashboard_body).widgets : widget.type == "metric" && widget.properties.region == "eu-west-1" && widget.width == 12 && widget.height == 6])
    error_message = "metric widgets of the API's region, two a row"
  }
  assert {
    condition     = jsondecode(aws_cloudwatch_dashboard.this[0].dashboard_body).widgets[1].properties.metrics[0][0].expression == "SEARCH('{WsJwtAuthorizer,FunctionName,Decision,Reason} MetricName=\"Decisions\" FunctionName=\"ws-jwt-authorizer\" NOT Decision=\"allow\"', 'Sum', 60)"
    error_message = "refusals are searched by decision and reason, this function's only, allow left out"
  }
  assert {
    condition     = jsondecode(aws_cloudwatch_dashboard.this[0].dashboard_body).widgets[1].properties.metrics[0][0].label == "$${PROP('Dim.Decision')} $${PROP('Dim.Reason')}"
    error_message = "each refusal line is labelled with its decision and reason"
  }
  assert {
    condition = jsondecode(aws_cloudwatch_dashboard.this[0].dashboard_body).widgets[2].properties.metrics == [
      ["WsJwtAuthorizer", "DecisionLatency", "FunctionName", "ws-jwt-authorizer", { stat = "p50", label = "p50" }],
      ["WsJwtAuthorizer", "DecisionLatency", "FunctionName", "ws-jwt-authorizer", { stat = "p99", label = "p99" }],
    ]
    error_message = "decision latency p50 and p99"
  }
  assert {
    condition     = jsondecode(aws_cloudwatch_dashboard.this[0].dashboard_body).widgets[8].properties.metrics[1] == ["AWS/Lambda", "Errors", "FunctionName", "ws-jwt-authorizer", { stat = "Sum", label = "errors (API Gateway answers 500)" }]
    error_message = "the function's errors"
  }
  assert {
    condition     = output.query_definition_names == { refused-connection = "ws-jwt-authorizer/Why was this connection refused", refusals-by-reason = "ws-jwt-authorizer/Refusals by reason", subject-connections = "ws-jwt-authorizer/Connections of a subject", decision-latency = "ws-jwt-authorizer/Decision latency", warnings-and-errors = "ws-jwt-authorizer/Warnings and errors" }
    error_message = "five saved queries in the folder <name>"
  }
  assert {
    condition     = alltrue([for query in aws_cloudwatch_query_definition.this : query.log_group_names == tolist(["/aws/lambda/ws-jwt-authorizer"])])
    error_message = "the queries read the function's log group"
  }
  assert {
    condition     = strcontains(aws_cloudwatch_query_definition.this["refused-connection"].query_string, "| filter fields.message = \"decision\" and fields.decision != \"allow\"")
    error_message = "why a connection was refused: its decision lines other than allow"
  }
}

run "the_dashboard_turns_off" {
  command = plan

  variables {
    dashboard = false
  }

  assert {
    condition     = length(aws_cloudwatch_dashboard.this) == 0 && length(aws_cloudwatch_query_definition.this) == 5
    error_message = "dashboard = false drops the dashboard alone"
  }
}

run "the_saved_queries_turn_off" {
  command = apply

  variables {
    saved_queries = false
  }

  assert {
    condition     = length(aws_cloudwatch_query_definition.this) == 0 && output.query_definition_names == {} && length(aws_cloudwatch_dashboard.this) == 1
    error_message = "saved_queries = false drops the queries alone"
  }
}

run "without_metrics_the_function_alone" {
  command = apply

  variables {
    metrics_enabled = false
  }

  assert {
    condition     = [for widget in jsondecode(aws_cloudwatch_dashboard.this[0].dashboard_body).widgets : widget.properties.title] == ["Function invocations, errors and throttles"]
    error_message = "without metric lines only the function's own metrics are drawn"
  }
}

run "the_guard_and_the_alarms" {
  command = apply

  variables {
    name                = "chat-authorizer"
    alarms              = true
    alarm_sns_topic_arn = "arn:aws:sns:eu-west-1:123456789012:oncall"
    session_guard = {
      function_name      = "chat-session-guard"
      log_group_name     = "/aws/lambda/chat-session-guard"
      failure_queue_name = "chat-session-guard-failures"
      alarm_arns         = ["arn:aws:cloudwatch:eu-west-1:123456789012:alarm:chat-session-guard-failures"]
      activity_query     = "filter fields.message = \"log batch\""
    }
  }

  assert {
    condition     = [for widget in jsondecode(aws_cloudwatch_dashboard.this[0].dashboard_body).widgets : widget.type] == ["alarm", "metric", "metric", "metric", "metric", "metric", "metric", "metric", "metric", "metric", "metric", "log"]
    error_message = "the alarms first, the authorizer's widgets, the guard's metrics, then its activity"
  }
  assert {
    condition     = jsondecode(aws_cloudwatch_dashboard.this[0].dashboard_body).widgets[0].properties.alarms == concat([for alarm in aws_cloudwatch_metric_alarm.single_metric : alarm.arn], [aws_cloudwatch_metric_alarm.key_set_fetch_failures[0].arn], ["arn:aws:cloudwatch:eu-west-1:123456789012:alarm:chat-session-guard-failures"]) && jsondecode(aws_cloudwatch_dashboard.this[0].dashboard_body).widgets[0].width == 24
    error_message = "the alarm widget shows the authorizer's four alarms and the guard's, across the dashboard"
  }
  assert {
    condition = jsondecode(aws_cloudwatch_dashboard.this[0].dashboard_body).widgets[10].properties.metrics == [
      ["AWS/Lambda", "Errors", "FunctionName", "chat-session-guard", { stat = "Sum", label = "guard errors (retried by Lambda)" }],
      ["AWS/Lambda", "Throttles", "FunctionName", "chat-session-guard", { stat = "Sum", label = "guard throttles" }],
      ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", "chat-session-guard-failures", { stat = "Maximum", label = "in the failure queue (failed after every retry)" }],
    ]
    error_message = "the guard's errors and throttles, and its failure queue's depth"
  }
  assert {
    condition     = jsondecode(aws_cloudwatch_dashboard.this[0].dashboard_body).widgets[11].properties.query == "SOURCE '/aws/lambda/chat-session-guard' | filter fields.message = \"log batch\"" && jsondecode(aws_cloudwatch_dashboard.this[0].dashboard_body).widgets[11].properties.title == "Session guard: connections scheduled, ended and failed"
    error_message = "the guard's activity, queried from its log group"
  }
  assert {
    condition     = jsondecode(aws_cloudwatch_dashboard.this[0].dashboard_body).widgets[1].y == 3 && jsondecode(aws_cloudwatch_dashboard.this[0].dashboard_body).widgets[2].x == 12 && jsondecode(aws_cloudwatch_dashboard.this[0].dashboard_body).widgets[11].y == 33
    error_message = "two widgets a row below the alarms"
  }
}
