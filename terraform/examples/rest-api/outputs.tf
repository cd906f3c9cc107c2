output "api_url" {
  description = "The stage's URL: curl -H \"Authorization: Bearer $TOKEN\" \"$(terraform output -raw api_url)/orders\"."
  value       = aws_api_gateway_stage.this.invoke_url
}

output "authorizer_id" {
  description = "Id of the methods' authorizer."
  value       = module.authorizer.authorizer_id
}

output "authorizer_function_name" {
  description = "Name of the authorizer Lambda (its logs are in /aws/lambda/<name>)."
  value       = module.authorizer.function_name
}

output "identity_sources" {
  description = "What API Gateway requires and caches answers by."
  value       = module.authorizer.identity_sources
}

output "dashboard_name" {
  description = "The CloudWatch dashboard of the authorizer."
  value       = module.authorizer.dashboard_name
}

output "alarm_topic_arn" {
  description = "The SNS topic the alarms notify: subscribe to it."
  value       = aws_sns_topic.alarms.arn
}
