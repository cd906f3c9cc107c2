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
  description = "With session_guard: ends every connection of a subject now (replace SUBJECT; needs the session-guard binary and AWS credentials)."
  value       = var.session_guard ? module.session_guard[0].revoke_command : null
}

output "revoke_invoke_command" {
  description = "With session_guard: the same through the deployed guard, with the AWS CLI."
  value       = var.session_guard ? module.session_guard[0].revoke_invoke_command : null
}
