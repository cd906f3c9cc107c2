output "websocket_url" {
  description = "The wss:// URL clients connect to (add ?authorization=TOKEN)."
  value       = aws_apigatewayv2_stage.this.invoke_url
}

output "authorizer_id" {
  description = "Id of the $connect authorizer."
  value       = module.authorizer.authorizer_id
}

output "authorizer_function_name" {
  description = "Name of the authorizer Lambda (its logs are in /aws/lambda/<name>)."
  value       = module.authorizer.function_name
}

output "revoke_command" {
  description = "With the session guard: ends every connection of the subject in the shell variable SUBJECT now (needs the session-guard binary and AWS credentials)."
  value       = local.session_guard ? module.session_guard[0].revoke_command : null
}

output "revoke_invoke_command" {
  description = "With the session guard: the same through the deployed guard, with the AWS CLI."
  value       = local.session_guard ? module.session_guard[0].revoke_invoke_command : null
}

output "dashboard_name" {
  description = "The CloudWatch dashboard of the authorizer (and the guard)."
  value       = module.authorizer.dashboard_name
}

output "alarm_topic_arn" {
  description = "The SNS topic the alarms notify: subscribe to it."
  value       = aws_sns_topic.alarms.arn
}
