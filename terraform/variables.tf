# ---------------------------------------------------------------------------
# Where the authorizer is attached
# ---------------------------------------------------------------------------

variable "api_id" {
  description = "Id of the API Gateway WebSocket API (aws_apigatewayv2_api.id) the authorizer is created in."
  type        = string
}

variable "api_execution_arn" {
  description = "Execution ARN of that API (aws_apigatewayv2_api.execution_arn); the Lambda permission is scoped to its authorizers."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:execute-api:[a-z0-9-]+:[0-9]{12}:[a-z0-9]+$", var.api_execution_arn))
    error_message = "api_execution_arn must look like arn:aws:execute-api:REGION:ACCOUNT:API_ID."
  }
}

variable "name" {
  description = "Name of the Lambda function, its log group and the API Gateway authorizer, and prefix of its role's name."
  type        = string
  default     = "ws-jwt-authorizer"

  validation {
    condition     = can(regex("^[A-Za-z0-9-_]{1,56}$", var.name))
    error_message = "name must be 1 to 56 letters, digits, hyphens or underscores."
  }
}

variable "token_source" {
  description = <<-EOT
    The authorizer's identity source, the request part API Gateway requires before it calls the
    Lambda: "query" (the authorization query parameter), "header" (the Authorization header),
    "protocol" (the Sec-WebSocket-Protocol header) or "cookie" (the Cookie header). API Gateway
    calls a WebSocket authorizer only when every identity source is present and answers 401 itself
    otherwise, so on AWS this is the one transport every client must use: with "query", a client
    sending the token in the header (the repo's Rust client) is refused before the Lambda runs.
    TOKEN_SOURCES follows it unless token_sources is set.
  EOT
  type        = string
  default     = "query"

  validation {
    condition     = contains(["query", "header", "protocol", "cookie"], var.token_source)
    error_message = "token_source must be \"query\", \"header\", \"protocol\" or \"cookie\"."
  }
}

# ---------------------------------------------------------------------------
# The Lambda function
# ---------------------------------------------------------------------------

variable "package_path" {
  description = "Path of the deployment zip (a bootstrap binary built by scripts/package-lambda.sh). Defaults to that script's output."
  type        = string
  default     = null
}

variable "architecture" {
  description = "Instruction set of the function: arm64 (cheaper, the default) or x86_64. Must match the package."
  type        = string
  default     = "arm64"

  validation {
    condition     = contains(["arm64", "x86_64"], var.architecture)
    error_message = "architecture must be arm64 or x86_64."
  }
}

variable "memory_size" {
  description = "Memory of the function in MB. 128 is plenty: the authorizer peaks near 20 MB."
  type        = number
  default     = 128

  validation {
    condition     = var.memory_size >= 128 && var.memory_size <= 10240
    error_message = "memory_size must be between 128 and 10240."
  }
}

variable "timeout_seconds" {
  description = "Function timeout. Clients wait for the authorizer during the WebSocket handshake, and API Gateway gives up at 29 s."
  type        = number
  default     = 10

  validation {
    condition     = var.timeout_seconds >= 1 && var.timeout_seconds <= 28
    error_message = "timeout_seconds must be between 1 and 28 (API Gateway's limit is 29 s)."
  }
}

variable "log_retention_days" {
  description = "Retention of the function's CloudWatch log group, in days."
  type        = number
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a retention CloudWatch Logs supports (1, 3, 5, 7, 14, 30, 60, 90, …, 3653)."
  }
}

variable "log_kms_key_arn" {
  description = "KMS key to encrypt the log group with; null uses CloudWatch's own encryption."
  type        = string
  default     = null
}

variable "log_level" {
  description = "Application log level (TRACE, DEBUG, INFO, WARN, ERROR, FATAL) of JSON logs; decision lines are INFO, stale keys WARN. Metric lines count as INFO to Lambda's filter, so above INFO needs metrics_enabled = false."
  type        = string
  default     = "INFO"

  validation {
    condition     = contains(["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"], var.log_level)
    error_message = "log_level must be one of TRACE, DEBUG, INFO, WARN, ERROR, FATAL."
  }

  validation {
    condition     = !contains(["WARN", "ERROR", "FATAL"], var.log_level) || var.log_format != "JSON" || !var.metrics_enabled
    error_message = "log_level above INFO drops every metric line (Lambda's filter counts lines without a level as INFO): lower it, or set metrics_enabled = false."
  }
}

variable "system_log_level" {
  description = "Level of Lambda's own log lines in JSON format (DEBUG, INFO, WARN). INFO keeps START and REPORT, whose max memory used is how to size memory_size."
  type        = string
  default     = "INFO"

  validation {
    condition     = contains(["DEBUG", "INFO", "WARN"], var.system_log_level)
    error_message = "system_log_level must be DEBUG, INFO or WARN."
  }
}

variable "role_name" {
  description = "Name of the execution role; null names it name_prefix \"<name>-\" plus a unique suffix, so the module can be used with the same name in several regions (IAM names are global)."
  type        = string
  default     = null

  validation {
    condition     = var.role_name == null || can(regex("^[\\w+=,.@-]{1,64}$", var.role_name))
    error_message = "role_name must be 1 to 64 letters, digits or +=,.@_-."
  }
}

variable "log_format" {
  description = "Lambda log format: JSON (one JSON object per decision, the default) or Text."
  type        = string
  default     = "JSON"

  validation {
    condition     = contains(["JSON", "Text"], var.log_format)
    error_message = "log_format must be JSON or Text."
  }
}

variable "tags" {
  description = "Tags for every resource that takes them."
  type        = map(string)
  default     = {}
}

# ---------------------------------------------------------------------------
# Authorizer configuration: each becomes one environment variable
# (see environment.tf and the README's configuration table).
# ---------------------------------------------------------------------------

variable "jwks_uri" {
  description = "JWT_ISSUER_JWKS_URI: the key set URL (a JWKS, or Firebase's map of kid to X.509 certificate). Leave empty for OIDC discovery from a single issuer, for jwks_json, or with trusted_issuers."
  type        = string
  default     = ""

  validation {
    condition     = var.jwks_uri == "" || can(regex("^https://[^/\\s]+(/\\S*)?$", var.jwks_uri))
    error_message = "jwks_uri must be an https:// URL."
  }

  validation {
    condition     = var.jwks_uri == "" || var.jwks_json == ""
    error_message = "jwks_json replaces jwks_uri: set one or the other (the Lambda refuses both: JWKS_JSON)."
  }


}

variable "authorized_audiences" {
  description = "JWT_AUTHORIZED_AUDIENCES: the token's aud (or, without aud, its client_id) must be one of these. Required unless every trusted_issuers entry has its own audiences."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for audience in var.authorized_audiences : length(trimspace(audience)) > 0 && !strcontains(audience, ",")])
    error_message = "authorized_audiences must not hold empty audiences or commas."
  }

  validation {
    condition     = length(var.authorized_audiences) > 0 || (lower(trimspace(split(":", var.provider_preset)[0])) == "firebase" && can(regex("^[^:]*:\\s*\\S", var.provider_preset))) || (length(var.trusted_issuers) > 0 && alltrue([for entry in var.trusted_issuers : entry.audiences != null]))
    error_message = "authorized_audiences needs at least one audience, unless every trusted_issuers entry has its own or the preset is firebase:PROJECT (the Lambda refuses to start: JWT_AUTHORIZED_AUDIENCES)."
  }
}

variable "verify_expiration" {
  description = "JWT_VERIFY_EXPIRATION: require exp and refuse expired tokens."
  type        = bool
  default     = true
}

variable "authorized_apis" {
  description = "AUTHORIZED_APIS: execute-api ARN patterns (* wildcard) a valid token may connect to; empty allows every API."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for pattern in var.authorized_apis : pattern == "*" || startswith(pattern, "arn:")])
    error_message = "authorized_apis entries must be ARN patterns such as arn:aws:execute-api:eu-west-1:123456789012:abcdef1234/* (or *)."
  }
}

variable "issuers" {
  description = "JWT_ISSUER: accepted iss values, matched exactly; empty skips the issuer check (not recommended). One issuer alone, without jwks_uri or jwks_json, turns on OIDC discovery."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for issuer in var.issuers : length(trimspace(issuer)) > 0 && !strcontains(issuer, ",")])
    error_message = "issuers must not hold empty issuers or commas."
  }

  validation {
    condition     = length(var.issuers) == 0 || length(var.trusted_issuers) == 0
    error_message = "trusted_issuers replaces issuers: set one or the other (the Lambda refuses both: JWT_ISSUERS)."
  }
}

variable "algorithms" {
  description = "JWT_ALGORITHMS: allowed signature algorithms; empty allows every supported asymmetric one."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for alg in var.algorithms : contains(["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"], alg)])
    error_message = "algorithms may contain only RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512 and EdDSA."
  }
}

variable "leeway_seconds" {
  description = "JWT_LEEWAY_SECONDS: clock skew allowed on exp, nbf and iat."
  type        = number
  default     = 60

  validation {
    condition     = var.leeway_seconds >= 0 && var.leeway_seconds <= 3600 && floor(var.leeway_seconds) == var.leeway_seconds
    error_message = "leeway_seconds must be a whole number from 0 to 3600."
  }
}

variable "jwks_cache_ttl_seconds" {
  description = "JWKS_CACHE_TTL_SECONDS: how long fetched keys are used before a refetch."
  type        = number
  default     = 600

  validation {
    condition     = var.jwks_cache_ttl_seconds >= 1 && var.jwks_cache_ttl_seconds <= 86400 && floor(var.jwks_cache_ttl_seconds) == var.jwks_cache_ttl_seconds
    error_message = "jwks_cache_ttl_seconds must be a whole number from 1 to 86400."
  }
}

variable "jwks_refresh_cooldown_seconds" {
  description = "JWKS_REFRESH_COOLDOWN_SECONDS: at most one refetch per this period for unknown kids."
  type        = number
  default     = 10

  validation {
    condition     = var.jwks_refresh_cooldown_seconds >= 0 && var.jwks_refresh_cooldown_seconds <= 86400 && floor(var.jwks_refresh_cooldown_seconds) == var.jwks_refresh_cooldown_seconds
    error_message = "jwks_refresh_cooldown_seconds must be a whole number from 0 to 86400."
  }
}

variable "jwks_max_stale_seconds" {
  description = "JWKS_MAX_STALE_SECONDS: how long past the TTL cached keys keep serving while the key set cannot be refreshed (identity provider down)."
  type        = number
  default     = 3600

  validation {
    condition     = var.jwks_max_stale_seconds >= 0 && var.jwks_max_stale_seconds <= 604800 && floor(var.jwks_max_stale_seconds) == var.jwks_max_stale_seconds
    error_message = "jwks_max_stale_seconds must be a whole number from 0 to 604800."
  }
}

variable "jwks_max_backoff_seconds" {
  description = "JWKS_MAX_BACKOFF_SECONDS: after a failed key set fetch the next waits the cooldown (at least 1 s), doubled after each further failure up to this; requests in between are answered at once from stale keys or with jwks_unavailable."
  type        = number
  default     = 30

  validation {
    condition     = var.jwks_max_backoff_seconds >= 1 && var.jwks_max_backoff_seconds <= 3600 && floor(var.jwks_max_backoff_seconds) == var.jwks_max_backoff_seconds
    error_message = "jwks_max_backoff_seconds must be a whole number from 1 to 3600."
  }
}

variable "jwks_fetch_timeout_ms" {
  description = "JWKS_FETCH_TIMEOUT_MS: total timeout of one key set fetch; below timeout_seconds, so a slow identity provider gets a 500 the function can log rather than a timeout."
  type        = number
  default     = 2000

  validation {
    condition     = var.jwks_fetch_timeout_ms >= 1 && var.jwks_fetch_timeout_ms <= 10000 && floor(var.jwks_fetch_timeout_ms) == var.jwks_fetch_timeout_ms
    error_message = "jwks_fetch_timeout_ms must be a whole number from 1 to 10000."
  }

  validation {
    condition     = var.jwks_fetch_timeout_ms < var.timeout_seconds * 1000
    error_message = "jwks_fetch_timeout_ms must be below timeout_seconds: a fetch that outlives the function ends in a Lambda timeout, not a logged refusal."
  }
}

variable "jwks_max_bytes" {
  description = "JWKS_MAX_BYTES: larger key set bodies are refused."
  type        = number
  default     = 262144

  validation {
    condition     = var.jwks_max_bytes >= 1024 && var.jwks_max_bytes <= 16777216 && floor(var.jwks_max_bytes) == var.jwks_max_bytes
    error_message = "jwks_max_bytes must be a whole number from 1024 to 16777216."
  }
}

variable "principal_id_claim" {
  description = "PRINCIPAL_ID_CLAIM: the claim used as principalId."
  type        = string
  default     = "sub"

  validation {
    condition     = length(trimspace(var.principal_id_claim)) > 0
    error_message = "principal_id_claim must not be empty."
  }
}

variable "decision_cache_max_entries" {
  description = "DECISION_CACHE_MAX_ENTRIES: how many verified tokens to remember (by SHA-256) so reconnects skip signature verification; 0 turns the cache off."
  type        = number
  default     = 10000

  validation {
    condition     = var.decision_cache_max_entries >= 0 && var.decision_cache_max_entries <= 1000000 && floor(var.decision_cache_max_entries) == var.decision_cache_max_entries
    error_message = "decision_cache_max_entries must be a whole number from 0 to 1000000."
  }
}

variable "metrics_enabled" {
  description = "METRICS_ENABLED: write CloudWatch metrics (Embedded Metric Format, namespace WsJwtAuthorizer) to the log: decisions by reason, latency, cache hits, cold starts, key set fetches."
  type        = bool
  default     = true
}

variable "required_scopes" {
  description = "JWT_REQUIRED_SCOPES: scopes the token must grant (read from scope and scp); a valid token without them gets a Deny policy (403)."
  type        = list(string)
  default     = []
}

variable "required_scopes_mode" {
  description = "JWT_REQUIRED_SCOPES_MODE: any (one of required_scopes suffices) or all."
  type        = string
  default     = "any"

  validation {
    condition     = contains(["any", "all"], var.required_scopes_mode)
    error_message = "required_scopes_mode must be any or all."
  }
}

variable "min_remaining_seconds" {
  description = "JWT_MIN_REMAINING_SECONDS: refuse tokens that expire sooner than this (expires_too_soon); 0 for no limit."
  type        = number
  default     = 0

  validation {
    condition     = var.min_remaining_seconds >= 0 && var.min_remaining_seconds <= 86400 && floor(var.min_remaining_seconds) == var.min_remaining_seconds
    error_message = "min_remaining_seconds must be a whole number from 0 to 86400."
  }
}

variable "max_age_seconds" {
  description = "JWT_MAX_AGE_SECONDS: refuse tokens issued (iat) longer ago than this (token_too_old); null for no limit."
  type        = number
  default     = null

  validation {
    condition     = var.max_age_seconds == null || (try(var.max_age_seconds >= 1 && var.max_age_seconds <= 31536000 && floor(var.max_age_seconds) == var.max_age_seconds, false))
    error_message = "max_age_seconds must be null or a whole number from 1 to 31536000."
  }
}

variable "required_typ" {
  description = "JWT_REQUIRED_TYP: the header typ tokens must carry, such as at+jwt (RFC 9068) to refuse ID tokens; empty for no check."
  type        = string
  default     = ""
}

variable "context_claims" {
  description = "CONTEXT_CLAIMS: claim paths (realm_access.roles) copied into the authorizer context; arrays and objects are JSON-encoded."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for path in var.context_claims : can(regex("^[^.,]+(\\.[^.,]+)*$", path))])
    error_message = "context_claims must be claim paths (name or name.name: no empty part, no comma); the Lambda refuses others (CONTEXT_CLAIMS)."
  }
}

variable "context_max_bytes" {
  description = "CONTEXT_MAX_BYTES: the largest authorizer context, in bytes of JSON; claims over it are left out (and logged)."
  type        = number
  default     = 4096

  validation {
    condition     = var.context_max_bytes >= 512 && var.context_max_bytes <= 7680 && floor(var.context_max_bytes) == var.context_max_bytes
    error_message = "context_max_bytes must be a whole number from 512 to 7680."
  }
}

variable "token_sources" {
  description = <<-EOT
    TOKEN_SOURCES: where the authorizer reads the token, in order: query, header, protocol
    (Sec-WebSocket-Protocol), cookie. null (the default) reads token_source only. Must include
    token_source; the others are read only from requests that also carry token_source (API Gateway
    refuses the rest before the Lambda runs), so they are no fallback. cookie needs allowed_origins.
  EOT
  type        = list(string)
  default     = null

  validation {
    condition     = var.token_sources == null || try(length(var.token_sources) > 0 && alltrue([for source in var.token_sources : contains(["query", "header", "protocol", "cookie"], source)]), false)
    error_message = "token_sources must be null or a non-empty list of query, header, protocol and cookie."
  }

  validation {
    condition     = var.token_sources == null || contains(coalesce(var.token_sources, []), var.token_source)
    error_message = "token_sources must include token_source: API Gateway calls the authorizer only with the identity source present, and the Lambda would not read it (every client would get 401 missing_token)."
  }

  validation {
    condition     = !contains(var.token_sources == null ? [var.token_source] : var.token_sources, "cookie") || length(var.allowed_origins) > 0
    error_message = "The cookie transport (token_source or token_sources) needs allowed_origins: the Lambda refuses to start without them (TOKEN_SOURCES: cross-site WebSocket hijacking)."
  }
}

variable "subprotocol_token_prefix" {
  description = "SUBPROTOCOL_TOKEN_PREFIX: a subprotocol starting with this carries the token after it (besides the pair \"bearer\", <token>)."
  type        = string
  default     = "base64url.bearer.authorization."

  validation {
    condition     = can(regex("^[A-Za-z0-9!#$%&'*+.^_`|~-]+$", var.subprotocol_token_prefix)) && lower(var.subprotocol_token_prefix) != "bearer"
    error_message = "subprotocol_token_prefix must be letters, digits and !#$%&'*+-.^_`|~, and not \"bearer\" (the Lambda refuses others: SUBPROTOCOL_TOKEN_PREFIX)."
  }
}

variable "token_cookie_name" {
  description = "TOKEN_COOKIE_NAME: the cookie that carries the token when token_sources has cookie."
  type        = string
  default     = "access_token"

  validation {
    condition     = can(regex("^[A-Za-z0-9!#$%&'*+.^_`|~-]+$", var.token_cookie_name))
    error_message = "token_cookie_name must be a cookie name: letters, digits and !#$%&'*+-.^_`|~ (the Lambda refuses others: TOKEN_COOKIE_NAME)."
  }
}

variable "allowed_origins" {
  description = "ALLOWED_ORIGINS: origins (https://app.example.com) browsers may connect from; when set, every connection must come with one of them (403 origin_not_allowed otherwise)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for origin in var.allowed_origins : can(regex("^https?://[^/?#,\\s]+/?$", origin))])
    error_message = "allowed_origins must be origins, scheme://host[:port] with no path, query or comma (the Lambda refuses others: ALLOWED_ORIGINS)."
  }
}

variable "trusted_issuers" {
  description = <<-EOT
    JWT_ISSUERS: several issuers, each with its key set (jwks_uri; jwks, the key set itself as JSON
    text, for air-gapped deployments; or OIDC discovery without either) and audiences
    (authorized_audiences without them). Replaces jwks_uri, jwks_json and issuers.
  EOT
  type = list(object({
    issuer    = string
    jwks_uri  = optional(string)
    jwks      = optional(string)
    audiences = optional(list(string))
  }))
  default = []

  validation {
    condition     = length(distinct([for entry in var.trusted_issuers : trimspace(entry.issuer)])) == length(var.trusted_issuers) && alltrue([for entry in var.trusted_issuers : trimspace(entry.issuer) != ""])
    error_message = "trusted_issuers must name each issuer once, none empty (the Lambda refuses to start: JWT_ISSUERS)."
  }

  validation {
    condition = alltrue([for entry in var.trusted_issuers : (
      entry.jwks_uri == null || entry.jwks == null) && (
      entry.jwks_uri == null ? true : can(regex("^https://[^/\\s]+(/\\S*)?$", entry.jwks_uri))) && (
      entry.jwks == null ? true : (try(anytrue([for key in jsondecode(entry.jwks).keys : try(key.kid != "" && contains(["RSA", "EC", "OKP"], key.kty), false)]), false) || try(length(jsondecode(entry.jwks)) > 0 && alltrue([for kid, pem in jsondecode(entry.jwks) : can(regex("-----BEGIN CERTIFICATE-----", pem))]), false))) && (
      entry.jwks_uri != null || entry.jwks != null || can(regex("^https://[^/\\s]+", entry.issuer)))
    ])
    error_message = "Each trusted_issuers entry takes jwks_uri (https://) or jwks (a JWKS with a key that has a kid and kty RSA, EC or OKP, or a map of kid to X.509 certificate), not both; without either its issuer must be an https:// URL for OIDC discovery (the Lambda refuses to start: JWT_ISSUERS)."
  }

  validation {
    condition     = alltrue([for entry in var.trusted_issuers : entry.audiences == null ? true : length([for audience in entry.audiences : audience if trimspace(audience) != ""]) > 0])
    error_message = "A trusted_issuers entry with audiences must name at least one (leave it out for authorized_audiences)."
  }

  validation {
    condition     = length(var.trusted_issuers) == 0 || (var.jwks_uri == "" && var.jwks_json == "")
    error_message = "trusted_issuers replaces jwks_uri and jwks_json: set one or the other (the Lambda refuses both: JWT_ISSUERS)."
  }
}

variable "jwks_json" {
  description = "JWKS_JSON: the key set itself, for deployments without access to the identity provider."
  type        = string
  default     = ""

  validation {
    condition     = var.jwks_json == "" || try(anytrue([for key in jsondecode(var.jwks_json).keys : try(key.kid != "" && contains(["RSA", "EC", "OKP"], key.kty), false)]), false) || try(length(jsondecode(var.jwks_json)) > 0 && alltrue([for kid, pem in jsondecode(var.jwks_json) : can(regex("-----BEGIN CERTIFICATE-----", pem))]), false)
    error_message = "jwks_json must be a key set with a usable key: {\"keys\": [...]} with a key that has a kid and kty RSA, EC or OKP, or a map of kid to X.509 certificate (the Lambda refuses to start: JWKS_JSON). Whether the key material itself is valid is checked when the function starts."
  }
}

variable "jwks_fallback_file" {
  description = "JWKS_FALLBACK_FILE: path of a key set file shipped with the function (in the package under /var/task, or a layer under /opt: see layers), served while the key set cannot be fetched. One key set only, so not with several trusted_issuers."
  type        = string
  default     = ""

  validation {
    condition     = var.jwks_fallback_file == "" || length(var.trusted_issuers) <= 1
    error_message = "jwks_fallback_file applies to one key set, not to several trusted_issuers (the Lambda refuses to start: JWKS_FALLBACK_FILE)."
  }
}

variable "jwks_min_ttl_seconds" {
  description = "JWKS_MIN_TTL_SECONDS: the least time a key set is cached when its Cache-Control max-age is shorter (the TTL stays the longest). null leaves the Lambda's default: 60, or the TTL when shorter."
  type        = number
  default     = null

  validation {
    condition     = var.jwks_min_ttl_seconds == null || try(var.jwks_min_ttl_seconds >= 0 && var.jwks_min_ttl_seconds <= var.jwks_cache_ttl_seconds && floor(var.jwks_min_ttl_seconds) == var.jwks_min_ttl_seconds, false)
    error_message = "jwks_min_ttl_seconds must be null or a whole number from 0 to jwks_cache_ttl_seconds."
  }
}

variable "provider_preset" {
  description = "JWT_PROVIDER: a preset, name[:parameter]: cognito:USER_POOL_ID, auth0:DOMAIN, firebase:PROJECT_ID, keycloak:REALM_URL, entra:TENANT_ID[,TENANT_ID], okta:AUTH_SERVER_URL, zitadel:INSTANCE_URL. It fills in the issuer, key set, audience and context rules of that provider; explicit settings win."
  type        = string
  default     = ""

  validation {
    condition     = var.provider_preset == "" || contains(["cognito", "auth0", "firebase", "keycloak", "entra", "okta", "zitadel"], lower(trimspace(split(":", var.provider_preset)[0])))
    error_message = "provider_preset must start with cognito, auth0, firebase, keycloak, entra, okta or zitadel."
  }

  # Only with Entra's key set, the preset's: with jwks_uri or jwks_json the
  # Lambda refuses a shared key set (a precondition in main.tf) and starts
  # with any other, warning that no issuer is checked.
  validation {
    condition     = lower(trimspace(split(":", var.provider_preset)[0])) != "entra" || can(regex("^[^:]*:[\\s,]*[^\\s,]", var.provider_preset)) || length(var.issuers) > 0 || length(var.trusted_issuers) > 0 || var.jwks_uri != "" || var.jwks_json != ""
    error_message = "provider_preset entra with the preset's key set needs its tenant, entra:TENANT_ID[,TENANT_ID], or issuers or trusted_issuers naming the tenants' issuers: Entra's key set signs for every tenant (the Lambda refuses to start: JWT_PROVIDER)."
  }

  validation {
    condition     = lower(trimspace(split(":", var.provider_preset)[0])) != "cognito" || !can(regex("^[^:]*:\\s*\\S", var.provider_preset)) || can(regex("^[^:]*:\\s*[^_\\s][^_]*_", var.provider_preset))
    error_message = "provider_preset cognito takes a user pool id, REGION_ID like eu-west-1_AbCdEfGhI (the Lambda refuses to start: JWT_PROVIDER)."
  }

  validation {
    condition     = !can(regex("^[^:]*:\\s*\\S", var.provider_preset)) || length(var.trusted_issuers) == 0
    error_message = "With trusted_issuers give provider_preset its name alone: the parameter names one issuer (the Lambda refuses to start: JWT_PROVIDER)."
  }
}

variable "required_claims" {
  description = "JWT_REQUIRED_CLAIMS: claims the token must carry, each with its value or a list of accepted values, such as { token_use = \"id\" } or { tid = [\"tenant-1\", \"tenant-2\"] }."
  type        = any
  default     = {}

  validation {
    condition     = can(keys(var.required_claims)) && alltrue([for value in try(values(var.required_claims), []) : value != null && !can(keys(value)) && try(length(value) > 0 || !can(tolist(value)), true)])
    error_message = "required_claims must be an object of claim to a value or a non-empty list of values, not null or an object (the Lambda refuses to start: JWT_REQUIRED_CLAIMS)."
  }
}

# ---------------------------------------------------------------------------
# Platform options (the terraform-aws-modules/lambda names where they exist)
# ---------------------------------------------------------------------------

variable "s3_bucket" {
  description = "Deploy the package from this S3 bucket (with s3_key) instead of package_path."
  type        = string
  default     = null
}

variable "s3_key" {
  description = "Key of the package in s3_bucket."
  type        = string
  default     = null

  validation {
    condition     = (var.s3_key == null) == (var.s3_bucket == null)
    error_message = "s3_bucket and s3_key go together."
  }
}

variable "s3_object_version" {
  description = "Version of the package object in s3_bucket, for versioned buckets."
  type        = string
  default     = null
}

variable "source_code_hash" {
  description = "Base64 SHA-256 of the package in S3 (filebase64sha256 of the zip), so a new package redeploys; package_path's is computed."
  type        = string
  default     = null
}

variable "publish" {
  description = "Publish a version on each change and point the authorizer at the alias alias_name (implied by provisioned_concurrency)."
  type        = bool
  default     = false
}

variable "alias_name" {
  description = "Name of the alias the authorizer invokes when versions are published."
  type        = string
  default     = "live"
}

variable "provisioned_concurrency" {
  description = "Execution environments kept initialised on the alias, so $connect meets no cold start; 0 for none."
  type        = number
  default     = 0

  validation {
    condition     = var.provisioned_concurrency >= 0 && floor(var.provisioned_concurrency) == var.provisioned_concurrency
    error_message = "provisioned_concurrency must be a whole number, 0 or more."
  }
}

variable "reserved_concurrency" {
  description = "Concurrent executions reserved for (and capping) the function; null for none. A cap throttles $connect under load: API Gateway then answers 500."
  type        = number
  default     = null

  validation {
    condition     = var.reserved_concurrency == null || try(var.reserved_concurrency >= 0 && floor(var.reserved_concurrency) == var.reserved_concurrency, false)
    error_message = "reserved_concurrency must be null or a whole number, 0 or more."
  }
}

variable "tracing_mode" {
  description = "X-Ray tracing: null (off), PassThrough or Active (adds the X-Ray write policy to the role)."
  type        = string
  default     = null

  validation {
    condition     = var.tracing_mode == null || contains(["PassThrough", "Active"], coalesce(var.tracing_mode, "-"))
    error_message = "tracing_mode must be null, PassThrough or Active."
  }
}

variable "vpc_subnet_ids" {
  description = "Subnets to run the function in; empty for none. The function must still reach the key set URL (NAT gateway or proxy), unless the keys are inline or in a layer."
  type        = list(string)
  default     = []
}

variable "vpc_security_group_ids" {
  description = "Security groups of the function in the VPC; they must allow HTTPS out to the identity provider."
  type        = list(string)
  default     = []

  validation {
    condition     = (length(var.vpc_security_group_ids) > 0) == (length(var.vpc_subnet_ids) > 0)
    error_message = "vpc_subnet_ids and vpc_security_group_ids go together."
  }
}

variable "kms_key_arn" {
  description = "KMS key to encrypt the environment variables with; null uses Lambda's AWS-managed key."
  type        = string
  default     = null
}

variable "layers" {
  description = "Layer version ARNs, such as one holding the key set file for jwks_fallback_file under /opt."
  type        = list(string)
  default     = []
}

variable "create_role" {
  description = "Create the execution role (logs to its own group, plus X-Ray and VPC rights when used); false to bring your own as role_arn."
  type        = bool
  default     = true
}

variable "role_arn" {
  description = "Execution role to use when create_role is false. It must let the function write to its log group (and X-Ray, VPC network interfaces when used)."
  type        = string
  default     = null

  validation {
    condition     = var.create_role ? var.role_arn == null : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/", var.role_arn))
    error_message = "Give role_arn (an IAM role ARN) exactly when create_role is false."
  }
}

variable "role_path" {
  description = "Path of the execution role."
  type        = string
  default     = "/"
}

variable "role_permissions_boundary" {
  description = "ARN of a permissions boundary policy for the execution role."
  type        = string
  default     = null
}

variable "log_group_skip_destroy" {
  description = "Keep the function's log group (and its logs) when the module is destroyed."
  type        = bool
  default     = false
}

variable "alarms" {
  description = "Create CloudWatch alarms: function errors, throttles, failed key set fetches and stale keys served."
  type        = bool
  default     = false
}

variable "alarm_sns_topic_arn" {
  description = "SNS topic the alarms notify (alarm and back to OK); null for alarms without actions."
  type        = string
  default     = null
}
