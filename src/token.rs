//! Finding the token in a `$connect` request.
//!
//! Browsers cannot set headers on a WebSocket, so the `authorization` query
//! parameter comes first; other clients may use the `Authorization` header.

use crate::error::Refusal;
use crate::event::ConnectEvent;

/// Tokens longer than this are refused before any decoding. Real access
/// tokens are well under 4 KiB; the cap bounds the work an attacker can cause.
pub const MAX_TOKEN_BYTES: usize = 8 * 1024;

/// Returns the token of the request, or why there is none to check.
///
/// Every value of the query parameter and of the header must agree: a request
/// carrying two different tokens is refused rather than guessed at.
pub fn extract_token(event: &ConnectEvent) -> Result<&str, Refusal> {
    let carried = [
        &event.query_authorization_values,
        &event.query_authorization,
        &event.header_authorization_values,
        &event.header_authorization,
    ];
    if carried.iter().any(|carried| carried.oversize) {
        return Err(Refusal::TokenTooLarge);
    }
    let query = single_value(
        event
            .query_authorization_values
            .values
            .iter()
            .chain(&event.query_authorization.values),
    )?;
    let header = single_value(
        event
            .header_authorization_values
            .values
            .iter()
            .chain(&event.header_authorization.values),
    )?;
    match (query, header) {
        (Some(query), Some(header)) if query != header => Err(Refusal::ConflictingTokens),
        (Some(token), _) | (None, Some(token)) => Ok(token),
        (None, None) => Err(Refusal::MissingToken),
    }
}

/// The one token named by all of `values`, if any.
fn single_value<'a>(values: impl Iterator<Item = &'a String>) -> Result<Option<&'a str>, Refusal> {
    let mut found: Option<&str> = None;
    for value in values {
        let Some(token) = normalize(value)? else {
            continue;
        };
        match found {
            Some(previous) if previous != token => return Err(Refusal::ConflictingTokens),
            _ => found = Some(token),
        }
    }
    Ok(found)
}

/// Trims whitespace and an optional `Bearer ` prefix (any case); `None` when
/// nothing is left.
fn normalize(value: &str) -> Result<Option<&str>, Refusal> {
    // The cap applies to what arrived, before any work on it.
    if value.len() > MAX_TOKEN_BYTES + "Bearer ".len() + 64 {
        return Err(Refusal::TokenTooLarge);
    }
    let value = value.trim();
    let token = match value.get(..7) {
        Some(prefix) if prefix.eq_ignore_ascii_case("bearer ") => value[7..].trim_start(),
        _ if value.eq_ignore_ascii_case("bearer") => "",
        _ => value,
    };
    if token.len() > MAX_TOKEN_BYTES {
        return Err(Refusal::TokenTooLarge);
    }
    Ok((!token.is_empty()).then_some(token))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An event as API Gateway sends it, with these query parameters and headers.
    fn event(query: &[(&str, &str)], headers: &[(&str, &str)]) -> ConnectEvent {
        let map = |pairs: &[(&str, &str)]| {
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), serde_json::Value::from(*v)))
                .collect::<serde_json::Map<_, _>>()
        };
        serde_json::from_value(serde_json::json!({
            "queryStringParameters": map(query),
            "headers": map(headers),
        }))
        .unwrap()
    }

    #[test]
    fn query_parameter() {
        assert_eq!(
            extract_token(&event(&[("authorization", "a.b.c")], &[])),
            Ok("a.b.c")
        );
    }

    #[test]
    fn header_in_any_case_with_optional_bearer() {
        for (name, value) in [
            ("Authorization", "Bearer a.b.c"),
            ("AUTHORIZATION", "bearer a.b.c"),
            ("authorization", "  BEARER   a.b.c  "),
            ("authorization", "a.b.c"),
        ] {
            assert_eq!(
                extract_token(&event(&[], &[(name, value)])),
                Ok("a.b.c"),
                "{name}: {value}"
            );
        }
    }

    #[test]
    fn query_name_is_exact_and_other_names_are_ignored() {
        assert_eq!(
            extract_token(&event(
                &[("token", "a.b.c"), ("Authorization", "x.y.z")],
                &[]
            )),
            Err(Refusal::MissingToken)
        );
    }

    #[test]
    fn missing_or_empty() {
        assert_eq!(extract_token(&event(&[], &[])), Err(Refusal::MissingToken));
        assert_eq!(
            extract_token(&event(&[("authorization", " ")], &[])),
            Err(Refusal::MissingToken)
        );
        assert_eq!(
            extract_token(&event(&[], &[("Authorization", "Bearer ")])),
            Err(Refusal::MissingToken)
        );
        assert_eq!(
            extract_token(&event(&[], &[("Authorization", "Bearer")])),
            Err(Refusal::MissingToken)
        );
    }

    #[test]
    fn both_transports_must_agree() {
        assert_eq!(
            extract_token(&event(
                &[("authorization", "a.b.c")],
                &[("Authorization", "Bearer a.b.c")]
            )),
            Ok("a.b.c")
        );
        assert_eq!(
            extract_token(&event(
                &[("authorization", "a.b.c")],
                &[("Authorization", "Bearer x.y.z")]
            )),
            Err(Refusal::ConflictingTokens)
        );
    }

    #[test]
    fn repeated_query_values_must_agree() {
        let mut repeated = event(&[("authorization", "x.y.z")], &[]);
        repeated.query_authorization_values.values = vec!["a.b.c".into(), "x.y.z".into()];
        assert_eq!(extract_token(&repeated), Err(Refusal::ConflictingTokens));

        let mut same = event(&[("authorization", "a.b.c")], &[]);
        same.query_authorization_values.values = vec!["a.b.c".into()];
        assert_eq!(extract_token(&same), Ok("a.b.c"));
    }

    #[test]
    fn oversize_is_refused_before_decoding() {
        let at_cap = "a".repeat(MAX_TOKEN_BYTES);
        assert_eq!(
            extract_token(&event(&[("authorization", &at_cap)], &[])),
            Ok(at_cap.as_str())
        );
        let over = "a".repeat(MAX_TOKEN_BYTES + 1);
        assert_eq!(
            extract_token(&event(&[("authorization", &over)], &[])),
            Err(Refusal::TokenTooLarge)
        );
        let huge = "a".repeat(1 << 20);
        assert_eq!(
            extract_token(&event(&[], &[("authorization", &huge)])),
            Err(Refusal::TokenTooLarge)
        );
    }

    #[test]
    fn non_ascii_prefix_does_not_panic() {
        assert_eq!(
            extract_token(&event(&[("authorization", "é€a.b.c")], &[])),
            Ok("é€a.b.c")
        );
    }
}
