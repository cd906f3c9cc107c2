# What the guard did, in its own log lines (it writes no metrics): saved
# Logs Insights queries on its log group, the activity query the
# authorizer module's dashboard draws (output monitoring), and an alarm on
# the failure queue. The field names and messages are the guard's
# (session-guard/src/guard.rs: the tracing lines and BatchReport, in
# camelCase); tests/project/terraform_dashboard.rs holds them to it.
locals {
  # Known at plan (the dashboard's body then is too).
  failure_queue_name = var.failure_queue_arn == null ? aws_sqs_queue.failures[0].name : reverse(split(":", var.failure_queue_arn))[0]

  # Per period: schedules created (a guarded connection), connections ended
  # at their exp by a schedule, ended at once (the token had expired when
  # the guard read the CONNECT), revokes run, and calls that still failed
  # after retrying. The report is a JSON text inside the line, read with
  # regular expressions (a key preceded by a quote, so "unscheduled" is not
  # read as "scheduled").
  activity_query = join(" ", [
    "filter fields.message in [\"log batch\", \"token expired\", \"revoked\"]",
    "| parse fields.report /\\WdisconnectedNow\\W+(?<ended_at_connect>\\d+)/",
    "| parse fields.report /\\Wscheduled\\W+(?<scheduled>\\d+)/",
    "| parse fields.report /\\Wfailed\\W+(?<failed>\\d+)/",
    "| parse fields.outcome /(?<ended_at_exp>closed)/",
    "| parse fields.message /(?<revoke>revoked)/",
    "| stats sum(scheduled) as scheduled, count(ended_at_exp) as ended_at_exp, sum(ended_at_connect) as ended_at_connect, count(revoke) as revokes, sum(failed) as failed by bin(5m)",
  ])

  saved_queries = {
    connection = {
      title = "What happened to this connection"
      query = <<-EOT
        # The guard's lines that name a connection: a call that failed for
        # it, its end at exp. For one connection add:
        #   | filter fields.connection_id = "Dzl8bdcnDoECJZQ="
        fields @timestamp, fields.message, fields.connection_id, fields.outcome, fields.call, fields.error
        | filter ispresent(fields.connection_id)
        | sort @timestamp desc
        | limit 200
      EOT
    }
    activity = {
      title = "Connections scheduled, ended and failed"
      query = local.activity_query
    }
    failures = {
      title = "Failures"
      query = <<-EOT
        # Calls that still failed after retrying, and invocations that
        # failed (Lambda retries them, then sends them to the failure queue).
        fields @timestamp, fields.message, fields.call, fields.connection_id, fields.schedule, fields.error_type, fields.error
        | filter level = "ERROR"
        | sort @timestamp desc
        | limit 200
      EOT
    }
    revokes = {
      title = "Revokes"
      query = <<-EOT
        # Each revoke's report: the subject, the connections ended and
        # those already gone, what failed or was deferred.
        fields @timestamp, fields.report
        | filter fields.message = "revoked"
        | sort @timestamp desc
        | limit 100
      EOT
    }
  }
}

resource "aws_cloudwatch_query_definition" "this" {
  for_each = var.saved_queries ? local.saved_queries : {}

  name            = "${var.name}/${each.value.title}"
  log_group_names = [aws_cloudwatch_log_group.guard.name]
  query_string    = each.value.query
}

# What still failed after every retry waits in the failure queue: a
# connection that outlives its token, or a revoke left undone.
resource "aws_cloudwatch_metric_alarm" "failures" {
  count = var.alarms ? 1 : 0

  alarm_name          = "${var.name}-failures"
  alarm_description   = "The session guard's failure queue holds work that still failed after every retry (connections that may outlive their token): see the module's README to replay it."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = local.failure_queue_name }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "notBreaching"
  alarm_actions       = var.alarm_sns_topic_arn == null ? [] : [var.alarm_sns_topic_arn]
  ok_actions          = var.alarm_sns_topic_arn == null ? [] : [var.alarm_sns_topic_arn]
  tags                = var.tags
}
