output "access_log_destination_arn" {
  description = "The stage's access_log_settings.destination_arn."
  value       = aws_cloudwatch_log_group.access.arn
}

output "access_log_format" {
  description = "The stage's access_log_settings.format: the guard reads eventType, connectionId, status, sub (or principalId) and exp."
  value       = local.access_log_format
}

output "function_name" {
  description = "The guard Lambda (its logs are in /aws/lambda/<name>)."
  value       = aws_lambda_function.guard.function_name
}

output "schedule_group" {
  description = "The schedule group holding one schedule per guarded connection."
  value       = aws_scheduler_schedule_group.this.name
}

output "revoke_command" {
  description = "Ends every guarded connection of the subject in the shell variable SUBJECT now, from a shell with AWS credentials and the session-guard binary. The subject is passed quoted, as one argument, whatever characters it has."
  value       = "AWS_REGION=${local.region} SESSION_GUARD_SCHEDULE_GROUP=${aws_scheduler_schedule_group.this.name} SESSION_GUARD_MANAGEMENT_ENDPOINT=${local.management_endpoint} session-guard revoke --sub \"$SUBJECT\""
}

output "revoke_invoke_command" {
  description = "The same through the deployed guard, with the AWS CLI and jq (which writes SUBJECT into the JSON payload escaped, whatever characters it has). The CLI waits as long as the function may run (its default 60 s read timeout would re-invoke a long revoke while the first still runs)."
  value       = "aws lambda invoke --region ${local.region} --function-name ${aws_lambda_function.guard.function_name} --cli-read-timeout ${var.timeout + 10} --cli-binary-format raw-in-base64-out --payload \"$(jq -cn --arg sub \"$SUBJECT\" '{revoke: {sub: $sub}}')\" /dev/stdout"
}

output "failure_queue_arn" {
  description = "The queue holding what still failed after every retry (Lambda's on-failure records with the original payload, Scheduler's dead-letter events): alarm on its depth."
  value       = local.failure_queue_arn
}

output "log_group_name" {
  description = "The guard's own log group (/aws/lambda/<name>)."
  value       = aws_cloudwatch_log_group.guard.name
}

output "monitoring" {
  description = "What the authorizer module's dashboard shows of the guard: give it as that module's session_guard."
  value = {
    function_name      = aws_lambda_function.guard.function_name
    log_group_name     = aws_cloudwatch_log_group.guard.name
    failure_queue_name = local.failure_queue_name
    alarm_arns         = aws_cloudwatch_metric_alarm.failures[*].arn
    activity_query     = local.activity_query
  }
}

output "query_definition_names" {
  description = "Names of the saved Logs Insights queries, by key (empty with saved_queries = false)."
  value       = { for key, query in aws_cloudwatch_query_definition.this : key => query.name }
}
