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
  description = "The authorizer's deployment zip; null uses scripts/package-lambda.sh's output."
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
  description = "Create the API Gateway CloudWatch Logs role and set it in this region's account settings (aws_api_gateway_account), which stage access logs (and so the session guard) need: on by default so that the example applies the first time on a fresh account. It is ONE setting per account and region: it replaces any role set before (other APIs' stages then log through this role), and destroying the example leaves the setting pointing at the deleted role. Set false where the account has the setting already (aws apigateway get-account shows cloudwatchRoleArn) or a platform team manages it."
  type        = bool
  default     = true
}

variable "session_guard" {
  description = "End each connection at its token's exp, and a subject's connections on demand (README, \"Ending sessions\"): the session guard Lambda, its schedule group and failure queue, and the stage's access log. Needs the account's API Gateway CloudWatch role (api_gateway_cloudwatch_role, or one set already) and the guard's package (scripts/package-lambda.sh arm64 session-guard)."
  type        = bool
  default     = true
}

variable "session_guard_package_path" {
  description = "The session guard's deployment zip; null for target/lambda/session-guard/bootstrap.zip."
  type        = string
  default     = null
}
