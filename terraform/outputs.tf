output "function_arn" {
  description = "ARN of the authorizer Lambda function (unqualified)."
  value       = aws_lambda_function.this.arn
}

output "function_qualified_arn" {
  description = "ARN of the function's published version (the alias's target), or of $LATEST without publish."
  value       = aws_lambda_function.this.qualified_arn
}

output "function_invoke_arn" {
  description = "The invoke ARN the authorizer uses: the alias's when versions are published, else the function's."
  value       = local.invoke_arn
}

output "function_name" {
  description = "Name of the authorizer Lambda function."
  value       = aws_lambda_function.this.function_name
}

output "function_version" {
  description = "Latest published version ($LATEST without publish)."
  value       = aws_lambda_function.this.version
}

output "alias_arn" {
  description = "ARN of the alias the authorizer invokes; null without publish."
  value       = local.publish ? aws_lambda_alias.this[0].arn : null
}

output "authorizer_id" {
  description = "Id of the API Gateway authorizer: for aws_apigatewayv2_route.authorizer_id ($connect of a WebSocket API, the routes of an HTTP API) or aws_api_gateway_method.authorizer_id (REST)."
  value       = local.authorizer_id
}

output "identity_sources" {
  description = "The authorizer's identity sources: the request part every client must send (API Gateway answers 401 without it), and with route_scopes and simple_responses the route ($context.routeKey)."
  value       = toset(local.identity_source_list)
}

output "kms_key_arns" {
  description = "The KMS keys whose public keys the function's role may read (kms:GetPublicKey), as ARNs; empty without kms_key_ids."
  value       = local.kms_key_arns
}

output "token_sources" {
  description = "Where the Lambda reads the token (TOKEN_SOURCES)."
  value       = local.token_sources
}

output "role_arn" {
  description = "ARN of the function's execution role."
  value       = local.role_arn
}

output "role_name" {
  description = "Name of the function's execution role, to attach more policies."
  value       = var.create_role ? aws_iam_role.this[0].name : reverse(split("/", var.role_arn))[0]
}

output "log_group_name" {
  description = "CloudWatch log group holding the decision lines."
  value       = aws_cloudwatch_log_group.this.name
}

output "log_group_arn" {
  description = "ARN of that log group, for subscriptions and metric filters."
  value       = aws_cloudwatch_log_group.this.arn
}

output "alarm_arns" {
  description = "ARNs of the alarms, by name (empty without alarms)."
  value = merge(
    { for key, alarm in aws_cloudwatch_metric_alarm.single_metric : key => alarm.arn },
    { for alarm in aws_cloudwatch_metric_alarm.key_set_fetch_failures : "key-set-fetch-failures" => alarm.arn },
  )
}

output "environment" {
  description = "The function's environment as the module sets it (unset variables left out): what the authorizer starts with. Sensitive, as a key set URL may carry credentials."
  value       = aws_lambda_function.this.environment[0].variables
  sensitive   = true
}

output "dashboard_name" {
  description = "Name of the CloudWatch dashboard (null with dashboard = false)."
  value       = one(aws_cloudwatch_dashboard.this[*].dashboard_name)
}

output "query_definition_names" {
  description = "Names of the saved Logs Insights queries, by key (empty with saved_queries = false)."
  value       = { for key, query in aws_cloudwatch_query_definition.this : key => query.name }
}
