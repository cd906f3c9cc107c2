# The Lambda's start-up rules, computed at plan so that a configuration the
# function would refuse at cold start (a 500 on every $connect) fails
# `terraform plan` instead, naming the variable. Each local mirrors a step of
# Config::from_lookup in src/config.rs (presets: src/settings/provider.rs, JWT_ISSUERS:
# src/key_sources/issuers.rs); the validations in variables.tf use them.
locals {
  # JWT_PROVIDER is name[:parameter], split at the first colon; an empty
  # parameter counts as none.
  preset_name      = lower(trimspace(split(":", var.provider_preset)[0]))
  preset_parameter = try(trimspace(regex("^[^:]*:(.*)$", var.provider_preset)[0]), "")
  entra_tenants    = [for tenant in split(",", local.preset_parameter) : trimspace(tenant) if trimspace(tenant) != ""]

  # wso2:SERVER names the server (https:// added when no scheme is given)
  # or a tenant's URL, or the issuer itself (…/oauth2/token): the issuer is
  # {server}/oauth2/token and the keys {server}/oauth2/jwks (src/settings/provider.rs).
  wso2_url    = startswith(local.preset_parameter, "https://") || startswith(local.preset_parameter, "http://") ? local.preset_parameter : "https://${local.preset_parameter}"
  wso2_server = replace(trimsuffix(replace(local.wso2_url, "/[/]+$/", ""), "/oauth2/token"), "/[/]+$/", "")

  # The issuers and key set URL a preset fills in where none is configured.
  preset_issuer_count = local.preset_name == "entra" ? 2 * length(local.entra_tenants) : (local.preset_parameter == "" ? 0 : 1)
  preset_jwks_uri = local.preset_name == "wso2" ? (local.preset_parameter == "" ? "" : "${local.wso2_server}/oauth2/jwks") : lookup({
    firebase = "https://www.googleapis.com/service_accounts/v1/jwk/securetoken@system.gserviceaccount.com"
    entra    = "https://login.microsoftonline.com/common/discovery/v2.0/keys"
  }, local.preset_name, "")

  # What the Lambda ends up with: JWT_ISSUER and the key set URL, the
  # preset's where nothing explicit is set.
  several_issuers        = length(var.trusted_issuers) > 0
  kms_keys               = length(var.kms_key_ids) > 0
  effective_issuer_count = length(var.issuers) > 0 ? length(var.issuers) : (local.several_issuers ? 0 : local.preset_issuer_count)
  explicit_keys          = var.jwks_uri != "" || var.jwks_json != "" || local.several_issuers || local.kms_keys
  effective_jwks_uri     = local.explicit_keys ? var.jwks_uri : local.preset_jwks_uri

  # One issuer needs a key source: a URL, inline keys, KMS keys, or OIDC
  # discovery from exactly one issuer (which must then be an https:// URL).
  discovery     = !local.several_issuers && !local.kms_keys && var.jwks_json == "" && local.effective_jwks_uri == ""
  keys_named    = local.several_issuers || !local.discovery || local.effective_issuer_count == 1
  discovery_url = !local.discovery || length(var.issuers) != 1 || can(regex("^https://[^/\\s]+", try(var.issuers[0], "")))

  # Key sets that sign for every tenant or project of their provider:
  # without an issuer check any tenant's token would pass (issue #16). By host,
  # whatever the path, as src/key_sources/issuers.rs (shared_key_set) decides: Entra ID's
  # public and national clouds, Google's and Firebase's.
  multi_tenant_hosts          = "login\\.microsoftonline\\.com|login\\.microsoft\\.com|login\\.windows\\.net|sts\\.windows\\.net|login\\.microsoftonline\\.us|login\\.partner\\.microsoftonline\\.cn|login\\.chinacloudapi\\.cn|login\\.microsoftonline\\.de|www\\.googleapis\\.com|securetoken\\.googleapis\\.com"
  multi_tenant_key_set        = can(regex("^https?://([^/@]*@)?(${local.multi_tenant_hosts})\\.?(:[0-9]+)?(/|$)", lower(local.effective_jwks_uri)))
  multi_tenant_without_issuer = local.multi_tenant_key_set && local.effective_issuer_count == 0

  # An issuer a preset fills in from its parameter (keycloak, okta, zitadel,
  # auth0) is used for OIDC discovery, which needs https: the Lambda keeps an
  # http:// parameter as given and then refuses it.
  preset_http_issuer = (
    contains(["keycloak", "okta", "zitadel", "auth0"], local.preset_name)
    && can(regex("^(?i)http://", local.preset_parameter))
    && !local.explicit_keys && length(var.issuers) == 0
  )
  # wso2's key set URL is built from its parameter, which the Lambda takes
  # as it is: plain http:// only on loopback (src/key_sources/issuers.rs, parse_https_url).
  wso2_loopback    = can(regex("^http://([^/@]*@)?(?i:localhost|127\\.[0-9.]+|\\[::1\\])(:[0-9]+)?(/|$)", local.preset_parameter))
  wso2_http_server = local.preset_name == "wso2" && startswith(local.preset_parameter, "http://") && !local.wso2_loopback && !local.explicit_keys

  # The context budget must hold every configured claim with its shortest
  # value: src/rules/context.rs (ContextSpec::new) reserves 292 bytes (`exp` and
  # room for a subprotocol) and counts `"name":0,` per claim, the preset's
  # claims (src/settings/provider.rs) included, the standard ones (sub, iss, scope,
  # client_id, aud, exp) not. jsonencode escapes <, > and & more than
  # serde_json does, so names with them are counted a little high.
  preset_context_claims = lookup({
    cognito  = ["cognito:groups", "username"]
    auth0    = ["permissions"]
    firebase = ["email", "email_verified", "firebase.sign_in_provider"]
    keycloak = ["realm_access.roles", "azp", "preferred_username"]
    entra    = ["roles", "scp", "tid", "oid"]
    okta     = ["cid", "uid", "scp"]
    zitadel  = ["urn:zitadel:iam:org:project:roles", "urn:zitadel:iam:user:resourceowner:id"]
    wso2     = ["aut", "azp", "org_id", "roles", "groups"]
  }, local.preset_name, [])
  context_claims_counted = distinct([
    for claim in concat([for claim in var.context_claims : trimspace(claim)], local.preset_context_claims) : claim
    if !contains(["sub", "iss", "scope", "client_id", "aud", "exp"], claim)
  ])
  context_least_bytes = 292 + sum(concat([0], [for claim in local.context_claims_counted : length(jsonencode(claim)) + 3]))

  # Cognito signs ID tokens (aud: the app client) and access tokens (no aud,
  # client_id: the app client) with the same keys, so an audience check alone
  # accepts both; the cognito preset (or a token_use rule) tells them apart.
  # The Lambda starts without either (the configuration of the authorizer it
  # replaces), so this is a warning below, not a refusal.
  cognito_issuers = concat([var.jwks_uri], var.issuers, [for entry in var.trusted_issuers : entry.issuer])
  cognito_without_token_use = (
    anytrue([for value in local.cognito_issuers : strcontains(value, "cognito-idp.")])
    && local.preset_name != "cognito"
    && !contains(try(keys(var.required_claims), []), "token_use")
  )

  # Whether the Lambda starts at all: the preconditions of
  # aws_lambda_function.this (main.tf). It warns only when it does.
  refused_at_start = (
    !local.keys_named || !local.discovery_url || local.preset_http_issuer || local.wso2_http_server
    || local.context_least_bytes > var.context_max_bytes || local.multi_tenant_without_issuer
  )

  # Config::warnings (src/config.rs): a key set with no issuer to check, from
  # JWT_ISSUER or the preset's parameter (JWT_ISSUERS always names them).
  issuer_unchecked = !local.several_issuers && local.effective_issuer_count == 0

  # TOKEN_SOURCES follows the identity source unless set: API Gateway calls
  # the authorizer only when the identity source is present, so a source
  # read besides it never decides alone.
  token_sources = var.token_sources == null ? [local.token_source] : var.token_sources
}

# What the Lambda starts with but warns about (Config::warnings in
# src/config.rs, logged at cold start and printed by check-config) is a
# warning at plan, with the Lambda's own text: the module refuses only what
# the function would refuse. A drop-in replacement of the authorizer whose
# variables it takes (a Cognito key set, audiences, no issuer) must plan.
# Like the Lambda, which exits before its warnings, no warning with a refusal.
check "issuer_checked" {
  assert {
    condition     = local.refused_at_start || !local.issuer_unchecked
    error_message = "JWT_ISSUER is not set: tokens from any issuer signed by the key set are accepted"
  }
}

check "expiration_verified" {
  assert {
    condition     = local.refused_at_start || var.verify_expiration
    error_message = "JWT_VERIFY_EXPIRATION is false: expired tokens are accepted"
  }
}

check "cognito_token_use" {
  assert {
    condition     = local.refused_at_start || !local.cognito_without_token_use
    error_message = "a Cognito user pool is trusted without JWT_PROVIDER=cognito:POOL_ID or a token_use rule in JWT_REQUIRED_CLAIMS: its ID tokens (aud: the app client id) are accepted as well as its access tokens"
  }
}
