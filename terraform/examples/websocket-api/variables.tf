variable "region" {
  description = "AWS region of the API."
  type        = string
  default     = "eu-west-1"
}

variable "name" {
  description = "Name of the WebSocket API (and prefix of the authorizer's resources)."
  type        = string
  default     = "ws-jwt-demo"
}

variable "stage_name" {
  description = "Stage name; part of the wss URL."
  type        = string
  default     = "prod"
}

variable "package_path" {
  description = "The authorizer's deployment zip: the release's ws-jwt-authorizer-VERSION-ARCH.zip, checked against SHA256SUMS, or target/lambda/ws-jwt-authorizer/bootstrap.zip from scripts/package-lambda.sh (relative paths start here). Without it the plan stops and says how to get one."
  type        = string
  default     = null
}

variable "architecture" {
  description = "arm64 or x86_64; must match the package."
  type        = string
  default     = "arm64"
}

variable "token_source" {
  description = "The one transport every client uses (API Gateway refuses requests without it before the authorizer runs): \"query\" (browsers, wscat) or \"header\" (the Node, Python and Rust clients with --header or by default)."
  type        = string
  default     = "query"
}

variable "provider_preset" {
  description = "The module's provider_preset, such as cognito:eu-west-1_AbCdEfGhI (access tokens only); empty to use jwks_uri and issuers alone."
  type        = string
  default     = ""
}

variable "jwks_uri" {
  description = "Your identity provider's key set URL; empty with a provider_preset or for OIDC discovery from one issuer."
  type        = string
  default     = ""
}

variable "authorized_audiences" {
  description = "Audiences (or Cognito app client ids) your tokens carry."
  type        = list(string)
}

variable "issuers" {
  description = "Accepted iss values."
  type        = list(string)
  default     = []
}

variable "access_logs" {
  description = "Write the stage's access logs (no query string: it may carry the token) to a log group. Needs the account-level API Gateway CloudWatch role in this region: set api_gateway_cloudwatch_role, or have it set already."
  type        = bool
  default     = false
}

variable "api_gateway_cloudwatch_role" {
  description = "Create an API Gateway CloudWatch Logs role and set it in this region's account settings (aws_api_gateway_account), which stage access logs (and so the session guard) need. Off by default: it is ONE setting per account and region, replacing any role set before (other APIs' stages then log through this one), and destroying the example with the hashicorp/aws provider 5.x leaves the setting pointing at the deleted role. Turn it on only where the account has no such role (aws apigateway get-account shows no cloudwatchRoleArn) and no one else manages it."
  type        = bool
  default     = false
}

variable "session_guard_package_path" {
  description = "The session guard's deployment zip (the release's session-guard-VERSION-ARCH.zip, checked against SHA256SUMS, or target/lambda/session-guard/bootstrap.zip from scripts/package-lambda.sh ARCH session-guard). Given, the guard is deployed: each connection ends at its token's exp, and a subject's connections on demand (docs/sessions.md), with the stage's access log, which needs the account's API Gateway CloudWatch role (set already, or api_gateway_cloudwatch_role). null (the default): no guard."
  type        = string
  default     = null
}

variable "alarm_email" {
  description = "An email address subscribed to the alarms' SNS topic (it must confirm the subscription); null to subscribe yourself."
  type        = string
  default     = null
}
