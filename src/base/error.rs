//! Why a connection was refused, with a stable reason code for logs and alarms.

use std::fmt;

/// Declares [`Refusal`] from one table: each variant with its reason code,
/// what API Gateway makes of it, and its message, side by side.
macro_rules! refusals {
    ($(
        $(#[doc = $doc:literal])*
        $variant:ident => $code:literal, $outcome:ident, $message:literal;
    )*) => {
        /// Every way a `$connect` can fail, each with a stable snake_case reason code.
        ///
        /// The code is part of the log schema: dashboards and alarms match on it, so a
        /// variant's code never changes once released.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Refusal {
            $($(#[doc = $doc])* $variant,)*
        }

        impl Refusal {
            /// Every refusal, for documentation and its drift test.
            pub const ALL: [Refusal; [$($code),*].len()] = [$(Refusal::$variant),*];

            /// The stable reason code written to logs.
            pub fn code(self) -> &'static str {
                match self {
                    $(Refusal::$variant => $code,)*
                }
            }

            /// What API Gateway makes of this refusal.
            pub fn outcome(self) -> Outcome {
                match self {
                    $(Refusal::$variant => Outcome::$outcome,)*
                }
            }

            /// What went wrong, for a person.
            pub fn message(self) -> &'static str {
                match self {
                    $(Refusal::$variant => $message,)*
                }
            }
        }
    };
}

refusals! {
    /// The invocation's body is not an API Gateway authorizer event (a
    /// direct `lambda invoke` with a bare token, say): answered with its
    /// JSON type and length only, never its content.
    NotAnEvent => "not_an_event", Error, "the invocation's body is not an API Gateway authorizer event";
    /// None of the `TOKEN_SOURCES` (by default the `authorization` query
    /// parameter and header) carries a token.
    MissingToken => "missing_token", Unauthorized, "no token in the request's token sources (TOKEN_SOURCES)";
    /// Two token sources (or two values of one) carry different tokens.
    ConflictingTokens => "conflicting_tokens", Unauthorized, "the request carries different tokens";
    /// The token is longer than the size cap; nothing of it was decoded.
    TokenTooLarge => "token_too_large", Unauthorized, "the token is larger than the size cap";
    /// The token is not a compact JWS with a JSON header and a JSON object payload.
    MalformedToken => "malformed_token", Unauthorized, "the token is not a well-formed compact JWS";
    /// The header asks for something this authorizer refuses (`crit`, a nested JWT).
    UnsupportedHeader => "unsupported_header", Unauthorized, "the token header carries a parameter this authorizer refuses";
    /// The header `alg` is not in the configured allow-list (this includes `none` and HMAC).
    AlgorithmNotAllowed => "alg_not_allowed", Unauthorized, "the token's algorithm is not allowed";
    /// The header has no `kid`, so no key of the key set can be chosen.
    MissingKid => "missing_kid", Unauthorized, "the token header has no kid";
    /// No usable key of the key set has the token's `kid` (after a refetch, if allowed).
    UnknownKid => "unknown_kid", Unauthorized, "no key of the key set has the token's kid";
    /// The key with this `kid` cannot verify the token's algorithm.
    KeyAlgorithmMismatch => "key_alg_mismatch", Unauthorized, "the key with this kid does not fit the token's algorithm";
    /// The signature does not verify with the key.
    BadSignature => "bad_signature", Unauthorized, "the signature does not verify";
    /// `exp` is absent while expiry verification is on.
    MissingExpiry => "missing_exp", Unauthorized, "the token has no exp claim";
    /// A time claim (`exp`, `nbf`, `iat`) is not a number in range.
    InvalidTimeClaim => "invalid_time_claim", Unauthorized, "a time claim is not a valid number";
    /// `exp` is in the past (beyond the leeway).
    Expired => "expired", Unauthorized, "the token has expired";
    /// `nbf` is in the future (beyond the leeway).
    NotYetValid => "not_yet_valid", Unauthorized, "the token is not valid yet";
    /// `iat` is in the future (beyond the leeway).
    IssuedInFuture => "issued_in_future", Unauthorized, "the token was issued in the future";
    /// The header's `typ` is not the one `JWT_REQUIRED_TYP` asks for (an ID
    /// token where an access token is expected).
    WrongType => "wrong_type", Unauthorized, "the token's typ is not the required one";
    /// The token expires sooner than `JWT_MIN_REMAINING_SECONDS` from now.
    ExpiresTooSoon => "expires_too_soon", Unauthorized, "the token expires too soon";
    /// `iat` is absent while `JWT_MAX_AGE_SECONDS` is set.
    MissingIssuedAt => "missing_iat", Unauthorized, "the token has no iat claim";
    /// `iat` is further in the past than `JWT_MAX_AGE_SECONDS`.
    TokenTooOld => "token_too_old", Unauthorized, "the token is older than the maximum age";
    /// `auth_time` is in the future (beyond the leeway).
    AuthTimeInFuture => "auth_time_in_future", Unauthorized, "the token's auth_time is in the future";
    /// `iss` is missing or not one of the configured issuers.
    WrongIssuer => "wrong_issuer", Unauthorized, "the token's issuer is not accepted";
    /// Neither `aud` nor, without `aud`, `client_id` names a configured audience.
    WrongAudience => "wrong_audience", Unauthorized, "the token's audience is not accepted";
    /// A claim of `JWT_REQUIRED_CLAIMS` (or of the provider preset) is missing
    /// or has another value (an ID token where access tokens are expected,
    /// another tenant).
    ClaimMismatch => "claim_mismatch", Unauthorized, "a required claim is missing or has another value";
    /// The configured principal claim is missing or not a string.
    MissingPrincipal => "missing_principal", Unauthorized, "the token has no usable principal claim";
    /// The token is valid but the request's `Origin` is not in `ALLOWED_ORIGINS`
    /// (a page of another site: cross-site WebSocket hijacking).
    OriginNotAllowed => "origin_not_allowed", Deny, "the request's Origin is not in ALLOWED_ORIGINS";
    /// The token is valid but lacks the scopes `JWT_REQUIRED_SCOPES` asks for.
    MissingScope => "missing_scope", Deny, "the token lacks a required scope";
    /// The token is valid but lacks every scope `ROUTE_SCOPES` names for the
    /// route at hand (or for a listed route whose resource reaches it).
    MissingRouteScope => "missing_route_scope", Deny, "the token lacks the scopes ROUTE_SCOPES names for this route";
    /// The token is valid but the API being connected to is not in `AUTHORIZED_APIS`.
    ApiNotAuthorized => "api_not_authorized", Deny, "the API is not covered by AUTHORIZED_APIS";
    /// The client offered a subprotocol to echo that the context budget
    /// (`CONTEXT_MAX_BYTES`) cannot hold beside `exp` and `sub`: it is
    /// refused rather than allowed to push the subject out of the context,
    /// where the session guard files the connection under it.
    SubprotocolTooLong => "subprotocol_too_long", Deny, "the offered subprotocol is too long to echo within CONTEXT_MAX_BYTES beside exp and sub";
    /// The answer would be larger than API Gateway accepts from an
    /// authorizer (8 KiB; it turns a larger one into a 500): an oversize
    /// principal claim, an oversize subprotocol offered beside the token, or
    /// a subject longer than `CONTEXT_MAX_BYTES` holds.
    ResponseTooLarge => "response_too_large", Unauthorized, "the answer would exceed API Gateway's authorizer response limit";
    /// The key set could not be fetched or used and no cached key exists.
    JwksUnavailable => "jwks_unavailable", Error, "the key set is unavailable";
    /// A KMS key's public key could not be read (`kms:GetPublicKey`
    /// failed: KMS unreachable, the key disabled or unknown, a permission
    /// missing) and the token names it, or, without `kid`, might.
    KmsUnavailable => "kms_unavailable", Error, "a KMS public key could not be read";
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

impl std::error::Error for Refusal {}

/// The three ways a refusal reaches the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The handler returns the error `Unauthorized`: the client sees 401.
    Unauthorized,
    /// The handler returns a Deny policy: the client sees 403.
    Deny,
    /// The handler returns another error: the client sees 500.
    Error,
}

/// What one `$connect` decided, as the decision log line and the metrics
/// name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Decision {
    /// An Allow policy: the connection opens.
    Allow,
    /// A Deny policy: 403.
    Deny,
    /// The error `Unauthorized`: 401.
    Unauthorized,
    /// Another error: 500.
    Error,
}

impl Decision {
    /// The name in the decision log line and the metrics.
    pub fn name(self) -> &'static str {
        match self {
            Decision::Allow => "allow",
            Decision::Deny => "deny",
            Decision::Unauthorized => "unauthorized",
            Decision::Error => "error",
        }
    }
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl From<Outcome> for Decision {
    fn from(outcome: Outcome) -> Self {
        match outcome {
            Outcome::Unauthorized => Decision::Unauthorized,
            Outcome::Deny => Decision::Deny,
            Outcome::Error => Decision::Error,
        }
    }
}

/// The error the Lambda handler returns; its message is what API Gateway reads.
///
/// API Gateway answers 401 only when the message is exactly `Unauthorized`;
/// every other message becomes a 500.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandlerError {
    /// The refusal behind the error.
    pub refusal: Refusal,
    /// What the message adds after the refusal's own, for an error other
    /// than `Unauthorized` (whose message must stay exactly that). Never
    /// anything of the request's content.
    pub detail: Option<String>,
}

impl From<Refusal> for HandlerError {
    fn from(refusal: Refusal) -> Self {
        HandlerError {
            refusal,
            detail: None,
        }
    }
}

impl fmt::Display for HandlerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.refusal.outcome(), &self.detail) {
            (Outcome::Unauthorized, _) => f.write_str("Unauthorized"),
            (_, Some(detail)) => write!(f, "{}: {}: {detail}", self.refusal.code(), self.refusal),
            (_, None) => write!(f, "{}: {}", self.refusal.code(), self.refusal),
        }
    }
}

impl std::error::Error for HandlerError {}

impl From<HandlerError> for lambda_runtime::Diagnostic {
    fn from(error: HandlerError) -> Self {
        let error_type = match error.refusal.outcome() {
            Outcome::Unauthorized => "Unauthorized",
            _ => "AuthorizerError",
        };
        lambda_runtime::Diagnostic {
            error_type: error_type.to_owned(),
            error_message: error.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unauthorized_message_is_exactly_what_api_gateway_maps_to_401() {
        let error = HandlerError::from(Refusal::Expired);
        assert_eq!(error.to_string(), "Unauthorized");
        let diagnostic: lambda_runtime::Diagnostic = error.into();
        assert_eq!(diagnostic.error_message, "Unauthorized");
    }

    #[test]
    fn every_refusal_is_listed_once_with_its_own_code() {
        let codes: std::collections::HashSet<&str> =
            Refusal::ALL.iter().map(|refusal| refusal.code()).collect();
        assert_eq!(codes.len(), Refusal::ALL.len());
    }

    #[test]
    fn key_set_failure_is_not_a_401() {
        let error = HandlerError::from(Refusal::JwksUnavailable);
        assert_eq!(
            error.to_string(),
            "jwks_unavailable: the key set is unavailable"
        );
        assert_eq!(Refusal::JwksUnavailable.outcome(), Outcome::Error);
        assert_eq!(Refusal::ApiNotAuthorized.outcome(), Outcome::Deny);
    }
}
