output "api_url" {
  description = "The API's URL: curl -H \"Authorization: Bearer $TOKEN\" \"$(terraform output -raw api_url)/orders\"."
  value       = aws_apigatewayv2_stage.this.invoke_url
}

output "authorizer_id" {
  description = "Id of the routes' authorizer."
  value       = module.authorizer.authorizer_id
}

output "authorizer_function_name" {
  description = "Name of the authorizer Lambda (its logs are in /aws/lambda/<name>)."
  value       = module.authorizer.function_name
}

output "identity_sources" {
  description = "What API Gateway requires and caches answers by: the Authorization header, and with simple answers the route."
  value       = module.authorizer.identity_sources
}

output "kms_key_id" {
  description = "With kms_signing_key: the key id your token service signs with (kms:Sign, ECDSA_SHA_512) and writes as the token's kid."
  value       = var.kms_signing_key ? aws_kms_key.jwt[0].key_id : null
}

output "kms_key_arn" {
  description = "With kms_signing_key: the key's ARN, to grant your token service kms:Sign."
  value       = var.kms_signing_key ? aws_kms_key.jwt[0].arn : null
}

output "dashboard_name" {
  description = "The CloudWatch dashboard of the authorizer."
  value       = module.authorizer.dashboard_name
}

output "alarm_topic_arn" {
  description = "The SNS topic the alarms notify: subscribe to it."
  value       = aws_sns_topic.alarms.arn
}
