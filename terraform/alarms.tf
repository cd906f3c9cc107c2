# Alarms on what goes wrong without any client noticing at first: the
# function failing or throttled (API Gateway then answers 500) and the key
# set unreachable (stale keys serving, then jwks_unavailable refusals). The
# key set metrics are the authorizer's own EMF lines (src/ops/metrics.rs):
# KeySetFetches by FunctionName and Result, StaleKeysServed by FunctionName.
locals {
  alarm_actions = var.alarm_sns_topic_arn == null ? [] : [var.alarm_sns_topic_arn]
  # Every Result of a failed fetch (src/ops/metrics.rs, Metrics::key_set_fetch).
  # Outages, and answers with no usable key (empty, gone): every token refused.
  fetch_failures = ["unreachable", "timeout", "http_status", "too_large", "invalid", "empty", "gone"]
  # One metric each, by FunctionName; the authorizer's own only with metrics on.
  single_metric_alarms = merge({
    errors    = { namespace = "AWS/Lambda", metric = "Errors", description = "The authorizer function failed (API Gateway answers 500 on $connect)." }
    throttles = { namespace = "AWS/Lambda", metric = "Throttles", description = "The authorizer function was throttled (API Gateway answers 500 on $connect)." }
    }, var.metrics_enabled ? {
    stale-keys-served = { namespace = "WsJwtAuthorizer", metric = "StaleKeysServed", description = "Keys past their TTL served because the key set could not be refreshed." }
  } : {})
}

resource "aws_cloudwatch_metric_alarm" "single_metric" {
  for_each = var.alarms ? local.single_metric_alarms : {}

  alarm_name          = "${var.name}-${each.key}"
  alarm_description   = each.value.description
  namespace           = each.value.namespace
  metric_name         = each.value.metric
  dimensions          = { FunctionName = aws_lambda_function.this.function_name }
  statistic           = "Sum"
  period              = 60
  evaluation_periods  = 5
  datapoints_to_alarm = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = var.tags
}

resource "aws_cloudwatch_metric_alarm" "key_set_fetch_failures" {
  count = var.alarms && var.metrics_enabled ? 1 : 0

  alarm_name          = "${var.name}-key-set-fetch-failures"
  alarm_description   = "Key set fetches failed (cached keys serve until jwks_max_stale_seconds, then tokens are refused) or found no usable key (the provider revoked every key)."
  evaluation_periods  = 5
  datapoints_to_alarm = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = var.tags

  metric_query {
    id          = "failures"
    expression  = "SUM([${join(", ", [for result in local.fetch_failures : "m_${result}"])}])"
    label       = "Failed key set fetches"
    return_data = true
  }

  dynamic "metric_query" {
    for_each = local.fetch_failures
    content {
      id = "m_${metric_query.value}"
      metric {
        namespace   = "WsJwtAuthorizer"
        metric_name = "KeySetFetches"
        dimensions  = { FunctionName = aws_lambda_function.this.function_name, Result = metric_query.value }
        stat        = "Sum"
        period      = 60
      }
    }
  }
}
