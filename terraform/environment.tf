# The authorizer's configuration, one environment variable per line.
# tests/project/terraform_drift.rs checks that these names are exactly the ones the
# Rust configuration reads. Empty lists and nulls become empty strings, which
# the authorizer treats as unset, so its own default applies.
locals {
  environment = {
    JWT_ISSUER_JWKS_URI           = var.jwks_uri
    JWT_AUTHORIZED_AUDIENCES      = join(",", var.authorized_audiences)
    JWT_VERIFY_EXPIRATION         = tostring(var.verify_expiration)
    AUTHORIZED_APIS               = join(",", var.authorized_apis)
    JWT_ISSUER                    = join(",", var.issuers)
    JWT_ALGORITHMS                = join(",", var.algorithms)
    JWT_LEEWAY_SECONDS            = tostring(var.leeway_seconds)
    JWKS_CACHE_TTL_SECONDS        = tostring(var.jwks_cache_ttl_seconds)
    JWKS_REFRESH_COOLDOWN_SECONDS = tostring(var.jwks_refresh_cooldown_seconds)
    JWKS_MAX_STALE_SECONDS        = tostring(var.jwks_max_stale_seconds)
    JWKS_MAX_BACKOFF_SECONDS      = tostring(var.jwks_max_backoff_seconds)
    JWKS_FETCH_TIMEOUT_MS         = tostring(var.jwks_fetch_timeout_ms)
    JWKS_MAX_BYTES                = tostring(var.jwks_max_bytes)
    PRINCIPAL_ID_CLAIM            = var.principal_id_claim
    DECISION_CACHE_MAX_ENTRIES    = tostring(var.decision_cache_max_entries)
    METRICS_ENABLED               = tostring(var.metrics_enabled)
    JWT_REQUIRED_SCOPES           = join(" ", var.required_scopes)
    JWT_REQUIRED_SCOPES_MODE      = var.required_scopes_mode
    JWT_MIN_REMAINING_SECONDS     = tostring(var.min_remaining_seconds)
    JWT_MAX_AGE_SECONDS           = var.max_age_seconds == null ? "" : tostring(var.max_age_seconds)
    JWT_REQUIRED_TYP              = var.required_typ
    CONTEXT_CLAIMS                = join(",", var.context_claims)
    CONTEXT_MAX_BYTES             = tostring(var.context_max_bytes)
    TOKEN_SOURCES                 = join(",", local.token_sources)
    SUBPROTOCOL_TOKEN_PREFIX      = var.subprotocol_token_prefix
    TOKEN_COOKIE_NAME             = var.token_cookie_name
    ALLOWED_ORIGINS               = join(",", var.allowed_origins)
    JWT_ISSUERS                   = length(var.trusted_issuers) == 0 ? "" : jsonencode(local.trusted_issuers)
    JWKS_JSON                     = var.jwks_json
    JWKS_FALLBACK_FILE            = var.jwks_fallback_file
    JWKS_CA_BUNDLE                = var.jwks_ca_bundle
    JWKS_TRUST_WEB_ROOTS          = var.jwks_trust_web_roots ? "" : "false"
    JWKS_MIN_TTL_SECONDS          = var.jwks_min_ttl_seconds == null ? "" : tostring(var.jwks_min_ttl_seconds)
    JWT_PROVIDER                  = var.provider_preset
    JWT_REQUIRED_CLAIMS           = length(var.required_claims) == 0 ? "" : jsonencode(var.required_claims)
    ROUTE_SCOPES                  = length(var.route_scopes) == 0 ? "" : jsonencode(var.route_scopes)
    SIMPLE_RESPONSES              = var.simple_responses ? "true" : ""
    KMS_JWT_KEY_ID                = join(",", var.kms_key_ids)
  }
}

# JWT_ISSUERS as the Lambda reads it (src/key_sources/issuers.rs, IssuerEntry): unset
# fields left out, an inline key set as JSON rather than as a string.
locals {
  trusted_issuers = [
    for entry in var.trusted_issuers : {
      for field, value in {
        issuer      = entry.issuer
        jwks_uri    = entry.jwks_uri
        jwks        = entry.jwks == null ? null : jsondecode(entry.jwks)
        kms_key_ids = entry.kms_key_ids
        audiences   = entry.audiences
      } : field => value if value != null
    }
  ]
}
