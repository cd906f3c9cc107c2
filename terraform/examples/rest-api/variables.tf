variable "region" {
  description = "AWS region of the API."
  type        = string
  default     = "eu-west-1"
}

variable "name" {
  description = "Name of the REST API (and prefix of the authorizer's resources)."
  type        = string
  default     = "orders-rest-demo"
}

variable "stage_name" {
  description = "Stage name; part of the invoke URL."
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

variable "rest_authorizer_type" {
  description = "TOKEN (the Authorization header's value, the default) or REQUEST (the whole request: with token_source query or cookie)."
  type        = string
  default     = "TOKEN"
}

variable "token_source" {
  description = "Where clients send the token: null for the Authorization header; \"query\" (?authorization=) or \"cookie\" with a REQUEST authorizer."
  type        = string
  default     = null
}

variable "authorizer_result_ttl_seconds" {
  description = "How long API Gateway reuses an answer for the same token; 0 turns caching off; null is the module's choice: 300 s with route_scopes (list both methods then), else 0, as an IAM answer for one method would refuse the other from the cache."
  type        = number
  default     = null
}

variable "route_scopes" {
  description = "Scopes of which the token must hold one, by method and resource (\"GET /orders/{id}\"), [] for none of its own; list both methods, so that a cached answer speaks for both. Empty: no route scopes, and no caching."
  type        = map(list(string))
  default     = {}
}

variable "provider_preset" {
  description = "The module's provider_preset, such as cognito:eu-west-1_AbCdEfGhI; empty to use jwks_uri and issuers alone."
  type        = string
  default     = ""
}

variable "jwks_uri" {
  description = "Your identity provider's key set URL; empty with a provider_preset or for OIDC discovery from one issuer."
  type        = string
  default     = ""
}

variable "issuers" {
  description = "Accepted iss values."
  type        = list(string)
  default     = []
}

variable "authorized_audiences" {
  description = "Audiences (or client ids) your tokens carry."
  type        = list(string)
}

variable "alarm_email" {
  description = "An email address subscribed to the alarms' SNS topic (it must confirm the subscription); null to subscribe yourself."
  type        = string
  default     = null
}
