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
  description = "\"query\" (browsers) or \"header\"."
  type        = string
  default     = "query"
}

variable "jwks_uri" {
  description = "Your identity provider's key set URL."
  type        = string
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
