output "function_arn" {
  description = "ARN of the authorizer Lambda function."
  value       = aws_lambda_function.this.arn
}

output "function_name" {
  description = "Name of the authorizer Lambda function."
  value       = aws_lambda_function.this.function_name
}

output "authorizer_id" {
  description = "Id of the API Gateway authorizer, for aws_apigatewayv2_route.authorizer_id on $connect."
  value       = aws_apigatewayv2_authorizer.this.id
}

output "role_arn" {
  description = "ARN of the function's execution role."
  value       = aws_iam_role.this.arn
}

output "log_group_name" {
  description = "CloudWatch log group holding the decision lines."
  value       = aws_cloudwatch_log_group.this.name
}
