//! Why a connection was refused, with a stable reason code for logs and alarms.

use std::fmt;

/// Every way a `$connect` can fail, each with a stable snake_case reason code.
///
/// The code is part of the log schema: dashboards and alarms match on it, so a
/// variant's code never changes once released.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
pub enum Refusal {
    /// None of the `TOKEN_SOURCES` (by default the `authorization` query
    /// parameter and header) carries a token.
    #[error("no token in the request's token sources (TOKEN_SOURCES)")]
    MissingToken,
    /// Two token sources (or two values of one) carry different tokens.
    #[error("the request carries different tokens")]
    ConflictingTokens,
    /// The token is longer than the size cap; nothing of it was decoded.
    #[error("the token is larger than the size cap")]
    TokenTooLarge,
    /// The token is not a compact JWS with a JSON header and a JSON object payload.
    #[error("the token is not a well-formed compact JWS")]
    MalformedToken,
    /// The header asks for something this authorizer refuses (`crit`, a nested JWT).
    #[error("the token header carries a parameter this authorizer refuses")]
    UnsupportedHeader,
    /// The header `alg` is not in the configured allow-list (this includes `none` and HMAC).
    #[error("the token's algorithm is not allowed")]
    AlgorithmNotAllowed,
    /// The header has no `kid`, so no key of the key set can be chosen.
    #[error("the token header has no kid")]
    MissingKid,
    /// No usable key of the key set has the token's `kid` (after a refetch, if allowed).
    #[error("no key of the key set has the token's kid")]
    UnknownKid,
    /// The key with this `kid` cannot verify the token's algorithm.
    #[error("the key with this kid does not fit the token's algorithm")]
    KeyAlgorithmMismatch,
    /// The signature does not verify with the key.
    #[error("the signature does not verify")]
    BadSignature,
    /// `exp` is absent while expiry verification is on.
    #[error("the token has no exp claim")]
    MissingExpiry,
    /// A time claim (`exp`, `nbf`, `iat`) is not a number in range.
    #[error("a time claim is not a valid number")]
    InvalidTimeClaim,
    /// `exp` is in the past (beyond the leeway).
    #[error("the token has expired")]
    Expired,
    /// `nbf` is in the future (beyond the leeway).
    #[error("the token is not valid yet")]
    NotYetValid,
    /// `iat` is in the future (beyond the leeway).
    #[error("the token was issued in the future")]
    IssuedInFuture,
    /// The header's `typ` is not the one `JWT_REQUIRED_TYP` asks for (an ID
    /// token where an access token is expected).
    #[error("the token's typ is not the required one")]
    WrongType,
    /// The token expires sooner than `JWT_MIN_REMAINING_SECONDS` from now.
    #[error("the token expires too soon")]
    ExpiresTooSoon,
    /// `iat` is absent while `JWT_MAX_AGE_SECONDS` is set.
    #[error("the token has no iat claim")]
    MissingIssuedAt,
    /// `iat` is further in the past than `JWT_MAX_AGE_SECONDS`.
    #[error("the token is older than the maximum age")]
    TokenTooOld,
    /// `auth_time` is in the future (beyond the leeway).
    #[error("the token's auth_time is in the future")]
    AuthTimeInFuture,
    /// `iss` is missing or not one of the configured issuers.
    #[error("the token's issuer is not accepted")]
    WrongIssuer,
    /// Neither `aud` nor, without `aud`, `client_id` names a configured audience.
    #[error("the token's audience is not accepted")]
    WrongAudience,
    /// A claim of `JWT_REQUIRED_CLAIMS` (or of the provider preset) is missing
    /// or has another value (an ID token where access tokens are expected,
    /// another tenant).
    #[error("a required claim is missing or has another value")]
    ClaimMismatch,
    /// The configured principal claim is missing or not a string.
    #[error("the token has no usable principal claim")]
    MissingPrincipal,
    /// The token is valid but the request's `Origin` is not in `ALLOWED_ORIGINS`
    /// (a page of another site: cross-site WebSocket hijacking).
    #[error("the request's Origin is not in ALLOWED_ORIGINS")]
    OriginNotAllowed,
    /// The token is valid but lacks the scopes `JWT_REQUIRED_SCOPES` asks for.
    #[error("the token lacks a required scope")]
    MissingScope,
    /// The token is valid but the API being connected to is not in `AUTHORIZED_APIS`.
    #[error("the API is not covered by AUTHORIZED_APIS")]
    ApiNotAuthorized,
    /// The answer would be larger than API Gateway accepts from an
    /// authorizer (8 KiB; it turns a larger one into a 500): an oversize
    /// principal claim, or an oversize subprotocol offered beside the token.
    #[error("the answer would exceed API Gateway's authorizer response limit")]
    ResponseTooLarge,
    /// The key set could not be fetched or used and no cached key exists.
    #[error("the key set is unavailable")]
    JwksUnavailable,
}

impl Refusal {
    /// Every refusal, for documentation and its drift test.
    pub const ALL: [Refusal; 29] = [
        Refusal::MissingToken,
        Refusal::ConflictingTokens,
        Refusal::TokenTooLarge,
        Refusal::MalformedToken,
        Refusal::UnsupportedHeader,
        Refusal::AlgorithmNotAllowed,
        Refusal::MissingKid,
        Refusal::UnknownKid,
        Refusal::KeyAlgorithmMismatch,
        Refusal::BadSignature,
        Refusal::MissingExpiry,
        Refusal::InvalidTimeClaim,
        Refusal::Expired,
        Refusal::NotYetValid,
        Refusal::IssuedInFuture,
        Refusal::WrongType,
        Refusal::ExpiresTooSoon,
        Refusal::MissingIssuedAt,
        Refusal::TokenTooOld,
        Refusal::AuthTimeInFuture,
        Refusal::WrongIssuer,
        Refusal::WrongAudience,
        Refusal::ClaimMismatch,
        Refusal::MissingPrincipal,
        Refusal::OriginNotAllowed,
        Refusal::MissingScope,
        Refusal::ApiNotAuthorized,
        Refusal::ResponseTooLarge,
        Refusal::JwksUnavailable,
    ];

    /// The stable reason code written to logs.
    pub fn code(self) -> &'static str {
        match self {
            Refusal::MissingToken => "missing_token",
            Refusal::ConflictingTokens => "conflicting_tokens",
            Refusal::TokenTooLarge => "token_too_large",
            Refusal::MalformedToken => "malformed_token",
            Refusal::UnsupportedHeader => "unsupported_header",
            Refusal::AlgorithmNotAllowed => "alg_not_allowed",
            Refusal::MissingKid => "missing_kid",
            Refusal::UnknownKid => "unknown_kid",
            Refusal::KeyAlgorithmMismatch => "key_alg_mismatch",
            Refusal::BadSignature => "bad_signature",
            Refusal::MissingExpiry => "missing_exp",
            Refusal::InvalidTimeClaim => "invalid_time_claim",
            Refusal::Expired => "expired",
            Refusal::NotYetValid => "not_yet_valid",
            Refusal::IssuedInFuture => "issued_in_future",
            Refusal::WrongType => "wrong_type",
            Refusal::ExpiresTooSoon => "expires_too_soon",
            Refusal::MissingIssuedAt => "missing_iat",
            Refusal::TokenTooOld => "token_too_old",
            Refusal::AuthTimeInFuture => "auth_time_in_future",
            Refusal::WrongIssuer => "wrong_issuer",
            Refusal::WrongAudience => "wrong_audience",
            Refusal::ClaimMismatch => "claim_mismatch",
            Refusal::MissingPrincipal => "missing_principal",
            Refusal::OriginNotAllowed => "origin_not_allowed",
            Refusal::MissingScope => "missing_scope",
            Refusal::ApiNotAuthorized => "api_not_authorized",
            Refusal::ResponseTooLarge => "response_too_large",
            Refusal::JwksUnavailable => "jwks_unavailable",
        }
    }

    /// What API Gateway makes of this refusal.
    pub fn outcome(self) -> Outcome {
        match self {
            Refusal::ApiNotAuthorized | Refusal::MissingScope | Refusal::OriginNotAllowed => {
                Outcome::Deny
            }
            Refusal::JwksUnavailable => Outcome::Error,
            _ => Outcome::Unauthorized,
        }
    }
}

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

/// The error the Lambda handler returns; its message is what API Gateway reads.
///
/// API Gateway answers 401 only when the message is exactly `Unauthorized`;
/// every other message becomes a 500.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandlerError {
    /// The refusal behind the error.
    pub refusal: Refusal,
}

impl fmt::Display for HandlerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.refusal.outcome() {
            Outcome::Unauthorized => f.write_str("Unauthorized"),
            _ => write!(f, "{}: {}", self.refusal.code(), self.refusal),
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
        let error = HandlerError {
            refusal: Refusal::Expired,
        };
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
        let error = HandlerError {
            refusal: Refusal::JwksUnavailable,
        };
        assert_eq!(
            error.to_string(),
            "jwks_unavailable: the key set is unavailable"
        );
        assert_eq!(Refusal::JwksUnavailable.outcome(), Outcome::Error);
        assert_eq!(Refusal::ApiNotAuthorized.outcome(), Outcome::Deny);
    }
}
