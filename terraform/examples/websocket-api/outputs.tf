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
