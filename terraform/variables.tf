# ---------------------------------------------------------------------------
# Where the authorizer is attached
# ---------------------------------------------------------------------------

variable "api_type" {
  description = <<-EOT
    The kind of API the authorizer serves: "websocket" (a REQUEST authorizer on $connect, the
    default), "http" (an HTTP API's Lambda authorizer, payload format 2.0 by default, IAM or simple
    answers) or "rest" (a REST API's TOKEN or REQUEST authorizer). The function is the same for all
    three: it tells the event kinds apart itself.
  EOT
  type        = string
  default     = "websocket"

  validation {
    condition     = contains(["websocket", "http", "rest"], var.api_type)
    error_message = "api_type must be \"websocket\", \"http\" or \"rest\"."
  }
}

variable "api_id" {
  description = "Id of the API the authorizer is created in: aws_apigatewayv2_api.id for a WebSocket or HTTP API, aws_api_gateway_rest_api.id for a REST API."
  type        = string
}

variable "api_execution_arn" {
  description = "Execution ARN of that API (execution_arn of aws_apigatewayv2_api or aws_api_gateway_rest_api); the Lambda permission is scoped to its authorizers."
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
    "protocol" (the Sec-WebSocket-Protocol header, WebSocket APIs only) or "cookie" (the Cookie
    header). API Gateway calls the authorizer only when every identity source is present and
    answers 401 itself otherwise, so on AWS this is the one transport every client must use: with
    "query", a client sending the token in the header (the repo's Rust client) is refused before
    the Lambda runs. null (the default) is "query" for a WebSocket API, "header" for HTTP and REST
    APIs; a REST TOKEN authorizer reads the Authorization header only. TOKEN_SOURCES follows it
    unless token_sources is set.
  EOT
  type        = string
  default     = null

  validation {
    condition     = var.token_source == null || contains(["query", "header", "protocol", "cookie"], coalesce(var.token_source, "-"))
    error_message = "token_source must be null, \"query\", \"header\", \"protocol\" or \"cookie\"."
  }

  validation {
    condition     = var.token_source != "protocol" || var.api_type == "websocket"
    error_message = "token_source = \"protocol\" (Sec-WebSocket-Protocol) exists on WebSocket APIs only."
  }

  validation {
    condition     = var.api_type != "rest" || coalesce(var.rest_authorizer_type, "TOKEN") != "TOKEN" || var.token_source == null || var.token_source == "header"
    error_message = "A REST TOKEN authorizer reads one header, Authorization (token_source = \"header\"): set rest_authorizer_type = \"REQUEST\" for the query string or a cookie."
  }
}

variable "rest_authorizer_type" {
  description = "For api_type = \"rest\": TOKEN (the Authorization header alone, the default when null) or REQUEST (headers, query string, cookies)."
  type        = string
  default     = null

  validation {
    condition     = var.rest_authorizer_type == null || (var.api_type == "rest" && contains(["TOKEN", "REQUEST"], coalesce(var.rest_authorizer_type, "-")))
    error_message = "rest_authorizer_type is TOKEN or REQUEST, and only with api_type = \"rest\"."
  }
}

variable "payload_format_version" {
  description = "For api_type = \"http\": the authorizer's payload format, \"2.0\" (the default when null) or \"1.0\" (IAM answers only)."
  type        = string
  default     = null

  validation {
    condition     = var.payload_format_version == null || (var.api_type == "http" && contains(["1.0", "2.0"], coalesce(var.payload_format_version, "-")))
    error_message = "payload_format_version is \"1.0\" or \"2.0\", and only with api_type = \"http\" (WebSocket and REST authorizers have no choice)."
  }
}

variable "simple_responses" {
  description = <<-EOT
    SIMPLE_RESPONSES: for an HTTP API with payload format 2.0, answer {"isAuthorized", "context"}
    instead of an IAM policy (the authorizer's enable_simple_responses). A simple answer is for the
    route it was asked about only, so with route_scopes the module adds $context.routeKey to the
    identity sources: API Gateway then caches one answer per token and route.
  EOT
  type        = bool
  default     = false

  validation {
    condition     = !var.simple_responses || (var.api_type == "http" && coalesce(var.payload_format_version, "2.0") == "2.0")
    error_message = "simple_responses needs api_type = \"http\" and payload_format_version 2.0: WebSocket, REST and payload 1.0 authorizers answer with an IAM policy only."
  }
}

variable "authorizer_result_ttl_seconds" {
  description = <<-EOT
    For HTTP and REST APIs: how long API Gateway caches an answer, keyed by the identity sources
    (the token), and reuses it on every route of the API; 0 to 3600, 0 turns caching off. null is
    300 (API Gateway's default) when the answer holds for the other routes (with route_scopes, which
    should then list every route of the API, [] for those without scopes; or simple answers without
    route scopes), and 0 otherwise: an IAM answer names the request's own resource, which a cached
    copy would refuse on the API's other routes and path parameters. A cached Allow is reused until
    the TTL ends, even past the token's exp: min_remaining_seconds at least this long keeps it
    within its token's life. WebSocket authorizers run once per connection and take no TTL.
  EOT
  type        = number
  default     = null

  validation {
    condition     = var.authorizer_result_ttl_seconds == null || try(var.authorizer_result_ttl_seconds >= 0 && var.authorizer_result_ttl_seconds <= 3600 && floor(var.authorizer_result_ttl_seconds) == var.authorizer_result_ttl_seconds, false)
    error_message = "authorizer_result_ttl_seconds must be null or a whole number from 0 to 3600."
  }

  validation {
    condition     = var.authorizer_result_ttl_seconds == null || var.api_type != "websocket"
    error_message = "authorizer_result_ttl_seconds applies to HTTP and REST APIs: API Gateway caches no WebSocket authorizer answer (the authorizer runs once, on $connect)."
  }
}

variable "route_scopes" {
  description = <<-EOT
    ROUTE_SCOPES: for each route key, written as API Gateway writes it ("GET /orders",
    "GET /orders/{id}", "ANY /{proxy+}", "$default" on HTTP APIs, "$connect" on WebSocket APIs),
    the scopes of which the token must hold at least one; [] for a route that needs none of its own
    but should be covered by a cached IAM answer. required_scopes still apply to every route. IAM
    answers allow every listed route the token may call and deny the others, so caching stays
    safe (and is on by default: authorizer_result_ttl_seconds); with simple_responses the module
    keys the cache by route ($context.routeKey).
  EOT
  type        = map(list(string))
  default     = {}

  validation {
    condition = alltrue([for key in keys(var.route_scopes) : (
      key == "$default" || key == "$connect"
      || can(regex("^(ANY|GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS) (/|(/([^/{}*\\s]+|\\{[A-Za-z0-9_.-]+\\}))*/([^/{}*\\s]+|\\{[A-Za-z0-9_.-]+\\+?\\}))$", key))
    )])
    error_message = "route_scopes keys must be route keys as API Gateway writes them: \"$default\", \"$connect\", or a method (ANY, GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS), one space and a path such as /orders/{id} or /{proxy+} (a greedy {name+} last only; no trailing slash, no empty segment, no *) (the Lambda refuses others: ROUTE_SCOPES)."
  }

  validation {
    condition     = alltrue([for scopes in values(var.route_scopes) : alltrue([for scope in scopes : can(regex("^\\S+$", scope))])])
    error_message = "route_scopes values must be lists of scopes, none empty or with a space (an empty list is allowed: the route needs no scope of its own) (the Lambda refuses others: ROUTE_SCOPES)."
  }

  validation {
    condition     = var.api_type != "websocket" || alltrue([for key in keys(var.route_scopes) : key == "$connect"])
    error_message = "On a WebSocket API the authorizer runs on $connect only: route_scopes can name \"$connect\" alone."
  }

  validation {
    condition     = var.api_type != "http" || !contains(keys(var.route_scopes), "$connect")
    error_message = "An HTTP API has no $connect route: name its routes (\"GET /orders\", \"$default\")."
  }

  validation {
    condition     = var.api_type != "rest" || alltrue([for key in keys(var.route_scopes) : !startswith(key, "$")])
    error_message = "A REST API has neither $default nor $connect: name its methods and resources (\"GET /orders/{id}\", \"ANY /{proxy+}\")."
  }
}

# ---------------------------------------------------------------------------
# The Lambda function
# ---------------------------------------------------------------------------

# The package: exactly one of package_path, s3_bucket with s3_key, or
# image_uri. Nothing points into the repository, so the module works from
# any copy; without a package the plan stops and says how to get one.
variable "package_path" {
  description = <<-EOT
    Path of the deployment zip, relative to the directory Terraform runs in (or absolute): the
    release's ws-jwt-authorizer-VERSION-ARCH.zip, checked against its SHA256SUMS, or
    target/lambda/ws-jwt-authorizer/bootstrap.zip built by scripts/package-lambda.sh. One of
    package_path, s3_bucket with s3_key, or image_uri.
  EOT
  type        = string
  default     = null

  validation {
    condition     = (var.package_path != null ? 1 : 0) + (var.s3_bucket != null ? 1 : 0) + (var.image_uri != null ? 1 : 0) > 0
    error_message = <<-EOT
      The authorizer's package is missing: set package_path (a zip), s3_bucket with s3_key (that zip in S3), or image_uri (a container image). To get the zip, either
        - download the release's ws-jwt-authorizer-VERSION-arm64.zip (or -x86_64.zip, for architecture = "x86_64") and its SHA256SUMS, and check it: sha256sum --check --ignore-missing SHA256SUMS; or
        - build it from the repository: scripts/package-lambda.sh (arm64) or scripts/package-lambda.sh x86_64, which writes target/lambda/ws-jwt-authorizer/bootstrap.zip.
    EOT
  }

  validation {
    condition     = (var.package_path != null ? 1 : 0) + (var.s3_bucket != null ? 1 : 0) + (var.image_uri != null ? 1 : 0) <= 1
    error_message = "package_path, s3_bucket with s3_key, and image_uri are three ways to give the package: set one of them."
  }

  validation {
    condition     = var.package_path == null || try(fileexists(var.package_path), false)
    error_message = "package_path names no file (relative paths start from the directory Terraform runs in). Download the release's ws-jwt-authorizer-VERSION-ARCH.zip and check it against SHA256SUMS (sha256sum --check --ignore-missing SHA256SUMS), or build it with scripts/package-lambda.sh (target/lambda/ws-jwt-authorizer/bootstrap.zip)."
  }
}

variable "image_uri" {
  description = "A container image holding the authorizer (an ECR image URI, tag or digest) instead of a zip: the function's package_type is then Image, which takes no layers. terraform/README.md shows how to build one from the zip."
  type        = string
  default     = null

  validation {
    condition     = var.image_uri == null || length(var.layers) == 0
    error_message = "A function from a container image takes no layers: put the key set file in the image instead (image_uri with layers)."
  }
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
# (see environment.tf and docs/configuration.md).
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
  description = "JWT_ISSUER: accepted iss values, matched exactly; empty skips the issuer check (not recommended). One issuer alone, without jwks_uri, jwks_json or kms_key_ids, turns on OIDC discovery; with kms_key_ids it is the iss the KMS-signed tokens must carry."
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
    A REST TOKEN event carries the Authorization header's value alone, whatever this says.
  EOT
  type        = list(string)
  default     = null

  validation {
    condition     = var.token_sources == null || try(length(var.token_sources) > 0 && alltrue([for source in var.token_sources : contains(["query", "header", "protocol", "cookie"], source)]), false)
    error_message = "token_sources must be null or a non-empty list of query, header, protocol and cookie."
  }

  validation {
    condition     = var.token_sources == null || contains(coalesce(var.token_sources, []), coalesce(var.token_source, var.api_type == "websocket" ? "query" : "header"))
    error_message = "token_sources must include token_source: API Gateway calls the authorizer only with the identity source present, and the Lambda would not read it (every client would get 401 missing_token)."
  }

  validation {
    condition     = !contains(var.token_sources == null ? [coalesce(var.token_source, var.api_type == "websocket" ? "query" : "header")] : var.token_sources, "cookie") || length(var.allowed_origins) > 0
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
  description = "ALLOWED_ORIGINS: origins (https://app.example.com) browsers may connect from; when set, every connection must come with one of them (403 origin_not_allowed otherwise). On HTTP and REST APIs the module adds the Origin header to the identity sources, so that a cached answer is reused for the same origin only (a request without Origin then gets 401 from API Gateway); a REST TOKEN authorizer sees no Origin, so it is refused with them."
  type        = list(string)
  default     = []

  validation {
    condition     = length(var.allowed_origins) == 0 || var.api_type != "rest" || coalesce(var.rest_authorizer_type, "TOKEN") != "TOKEN"
    error_message = "A REST TOKEN authorizer hands the Lambda the token alone, no Origin header: with allowed_origins every request would be refused (origin_not_allowed). Use rest_authorizer_type = \"REQUEST\"."
  }

  validation {
    condition     = alltrue([for origin in var.allowed_origins : can(regex("^https?://[^/?#,\\s]+/?$", origin))])
    error_message = "allowed_origins must be origins, scheme://host[:port] with no path, query or comma (the Lambda refuses others: ALLOWED_ORIGINS)."
  }
}

variable "trusted_issuers" {
  description = <<-EOT
    JWT_ISSUERS: several issuers, each with its key set (jwks_uri; jwks, the key set itself as JSON
    text, for air-gapped deployments; kms_key_ids, AWS KMS keys that sign its tokens; or OIDC
    discovery without any) and audiences (authorized_audiences without them). Replaces jwks_uri,
    jwks_json, issuers and kms_key_ids. The function's role may read the public key of each
    kms_key_ids key (kms:GetPublicKey), of those keys only.
  EOT
  type = list(object({
    issuer      = string
    jwks_uri    = optional(string)
    jwks        = optional(string)
    kms_key_ids = optional(list(string))
    audiences   = optional(list(string))
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
      entry.jwks_uri != null || entry.jwks != null || entry.kms_key_ids != null || can(regex("^https://[^/\\s]+", entry.issuer)))
    ])
    error_message = "Each trusted_issuers entry takes jwks_uri (https://) or jwks (a JWKS with a key that has a kid and kty RSA, EC or OKP, or a map of kid to X.509 certificate), not both; without either its issuer must be an https:// URL for OIDC discovery (the Lambda refuses to start: JWT_ISSUERS)."
  }

  validation {
    condition = alltrue([for entry in var.trusted_issuers : entry.kms_key_ids == null ? true : (
      entry.jwks_uri == null && entry.jwks == null && length(coalesce(entry.kms_key_ids, [])) > 0
      && alltrue([for key in coalesce(entry.kms_key_ids, []) : can(regex("^(arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/)?([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})$", key))])
      && length(distinct([for key in coalesce(entry.kms_key_ids, []) : reverse(split("/", key))[0]])) == length(coalesce(entry.kms_key_ids, []))
    )])
    error_message = "A trusted_issuers entry's kms_key_ids are its keys (no jwks_uri, no jwks beside them): at least one, each a KMS key id (1234abcd-12ab-34cd-56ef-1234567890ab, mrk-…) or key ARN, not an alias, each key once (the Lambda refuses others: JWT_ISSUERS)."
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

variable "kms_key_ids" {
  description = <<-EOT
    KMS_JWT_KEY_ID: AWS KMS asymmetric keys (SIGN_VERIFY: RSA, ECC_NIST_P256/P384/P521) whose
    signatures the authorizer accepts, by key id or key ARN (not alias); a token's kid names the
    key id. The public keys are read once with kms:GetPublicKey, which the module grants the
    function's role on exactly these keys (a bare key id is a key of the provider's account and
    region). Replaces jwks_uri, jwks_json, provider_preset and trusted_issuers (a trusted_issuers
    entry takes its own kms_key_ids); issuers still checks iss.
  EOT
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for key in var.kms_key_ids : can(regex("^(arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/)?([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})$", key))])
    error_message = "kms_key_ids must be KMS key ids (1234abcd-12ab-34cd-56ef-1234567890ab, or mrk-… for a multi-Region key) or key ARNs (arn:aws:kms:REGION:ACCOUNT:key/ID), not aliases: the role is granted kms:GetPublicKey on exactly those keys."
  }

  validation {
    condition     = length(distinct([for key in var.kms_key_ids : reverse(split("/", key))[0]])) == length(var.kms_key_ids)
    error_message = "kms_key_ids must name each key once (a key id and its key ARN are the same key) (the Lambda refuses to start: KMS_JWT_KEY_ID)."
  }

  validation {
    condition     = length(var.kms_key_ids) == 0 || (var.jwks_uri == "" && var.jwks_json == "" && var.provider_preset == "" && length(var.trusted_issuers) == 0)
    error_message = "kms_key_ids are the keys: not with jwks_uri, jwks_json, provider_preset or trusted_issuers (the Lambda refuses them together: KMS_JWT_KEY_ID). With several issuers give each trusted_issuers entry its kms_key_ids."
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

variable "jwks_ca_bundle" {
  description = "JWKS_CA_BUNDLE: path of a PEM file of CA certificates (in the package under /var/task, or a layer under /opt: see layers) trusted for key set and discovery fetches beside the web's roots, for a provider behind a private CA (a self-hosted Keycloak or WSO2 Identity Server). The function refuses to start when the file cannot be read or holds no usable CA certificate."
  type        = string
  default     = ""
}

variable "jwks_trust_web_roots" {
  description = "JWKS_TRUST_WEB_ROOTS: whether the web's roots (Mozilla's) are trusted for key set and discovery fetches. false leaves only jwks_ca_bundle's CAs, and needs it. KMS is always reached through the web's roots."
  type        = bool
  default     = true

  validation {
    condition     = var.jwks_trust_web_roots || var.jwks_ca_bundle != ""
    error_message = "jwks_trust_web_roots = false needs jwks_ca_bundle: nothing else would be trusted (the Lambda refuses to start: JWKS_TRUST_WEB_ROOTS)."
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
  description = "JWT_PROVIDER: a preset, name[:parameter]: cognito:USER_POOL_ID, auth0:DOMAIN, firebase:PROJECT_ID, keycloak:REALM_URL, entra:TENANT_ID[,TENANT_ID], okta:AUTH_SERVER_URL, zitadel:INSTANCE_URL, wso2:SERVER_OR_TENANT_URL. It fills in the issuer, key set, audience and context rules of that provider; explicit settings win."
  type        = string
  default     = ""

  validation {
    condition     = var.provider_preset == "" || contains(["cognito", "auth0", "firebase", "keycloak", "entra", "okta", "zitadel", "wso2"], lower(trimspace(split(":", var.provider_preset)[0])))
    error_message = "provider_preset must start with cognito, auth0, firebase, keycloak, entra, okta, zitadel or wso2."
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
  description = "Deploy the package from this S3 bucket (with s3_key) instead of package_path: the release's zip uploaded there."
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

  validation {
    condition     = var.s3_object_version == null || var.s3_bucket != null
    error_message = "s3_object_version is the version of the package in s3_bucket: set s3_bucket and s3_key too."
  }
}

variable "source_code_hash" {
  description = "Base64 SHA-256 of the package in S3 (filebase64sha256 of the zip), so a new package redeploys; package_path's is computed."
  type        = string
  default     = null

  validation {
    condition     = var.source_code_hash == null || var.s3_bucket != null
    error_message = "source_code_hash is for a package in S3: package_path's is computed from the file, and an image is named by its digest."
  }
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

# ---------------------------------------------------------------------------
# Seeing it at a glance (dashboard.tf)
# ---------------------------------------------------------------------------

variable "dashboard" {
  description = "Create a CloudWatch dashboard named after name: decisions by outcome and by refusal reason, decision latency p50 and p99, decision cache hits, cold starts, key set fetches by result and their latency, stale keys served, the function's invocations, errors and throttles, the alarms, and with session_guard what the guard did (terraform/README.md describes each widget). false for none."
  type        = bool
  default     = true
}

variable "saved_queries" {
  description = "Save Logs Insights queries on the function's log group, in the folder <name>: why a connection was refused, refusals by reason, a subject's connections, decision latency, warnings and errors. false for none."
  type        = bool
  default     = true
}

variable "session_guard" {
  description = "The session guard beside this authorizer, for the dashboard: the output monitoring of terraform/modules/session-guard (its function, log group, failure queue, alarms and the query of its activity). null (the default) for none."
  type = object({
    function_name      = string
    log_group_name     = string
    failure_queue_name = string
    alarm_arns         = list(string)
    activity_query     = string
  })
  default = null
}
