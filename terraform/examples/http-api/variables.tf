variable "region" {
  description = "AWS region of the API."
  type        = string
  default     = "eu-west-1"
}

variable "name" {
  description = "Name of the HTTP API (and prefix of the authorizer's resources)."
  type        = string
  default     = "orders-http-demo"
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

variable "backend_url" {
  description = "The HTTP endpoint every route proxies to (an HTTP_PROXY integration), such as https://httpbin.org/anything, which echoes the request."
  type        = string
}

variable "route_scopes" {
  description = "The API's routes, each with the scopes of which the token must hold one ([] for none of its own): every key becomes a route behind the authorizer."
  type        = map(list(string))
  default = {
    "GET /orders"      = ["orders:read"]
    "GET /orders/{id}" = ["orders:read"]
    "POST /orders"     = ["orders:write"]
  }
}

variable "simple_responses" {
  description = "Answer {\"isAuthorized\", \"context\"} (true) or an IAM policy (false). With simple answers the module adds the route to the cache key ($context.routeKey)."
  type        = bool
  default     = true
}

variable "authorizer_result_ttl_seconds" {
  description = "How long API Gateway reuses an answer for the same token (and, with simple answers, the same route); 0 turns caching off; null is the module's choice (300 s here, as the answers cover every route)."
  type        = number
  default     = null
}

variable "kms_signing_key" {
  description = "Create an AWS KMS signing key (ECC_NIST_P521: tokens are ES512) and accept the tokens it signs, instead of provider_preset or jwks_uri. issuers then names the iss your token service writes."
  type        = bool
  default     = false
}

variable "provider_preset" {
  description = "The module's provider_preset, such as wso2:is.example.com or auth0:your-tenant.eu.auth0.com; empty to use jwks_uri and issuers alone. Unused with kms_signing_key."
  type        = string
  default     = ""
}

variable "jwks_uri" {
  description = "Your identity provider's key set URL; empty with a provider_preset, with kms_signing_key, or for OIDC discovery from one issuer."
  type        = string
  default     = ""
}

variable "issuers" {
  description = "Accepted iss values (with kms_signing_key: the iss of your token service)."
  type        = list(string)
  default     = []
}

variable "authorized_audiences" {
  description = "Audiences (or client ids) your tokens carry."
  type        = list(string)
}

variable "access_logs" {
  description = "Write the stage's access logs (never the Authorization header) to a log group; they carry the authorizer's error for refusals API Gateway makes itself."
  type        = bool
  default     = true
}

variable "alarm_email" {
  description = "An email address subscribed to the alarms' SNS topic (it must confirm the subscription); null to subscribe yourself."
  type        = string
  default     = null
}
