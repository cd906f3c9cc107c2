//! Finding the token in a `$connect` request, and checking where it comes from.
//!
//! Browsers cannot set headers on a WebSocket, so the token travels in the
//! `authorization` query parameter, in the `Sec-WebSocket-Protocol` header
//! (which stays out of access logs), or in a cookie; other clients may use
//! the `Authorization` header. `TOKEN_SOURCES` says which of these are read.

use std::str::FromStr;

use crate::error::Refusal;
pub use crate::event::MAX_TOKEN_BYTES;
use crate::event::{Carried, ConnectEvent};
use crate::settings::{ConfigError, Env};

/// Comma list of where tokens are read from, in order: query, header, protocol, cookie.
pub const TOKEN_SOURCES: &str = "TOKEN_SOURCES";
/// The prefix of a subprotocol that carries the token after it.
pub const SUBPROTOCOL_TOKEN_PREFIX: &str = "SUBPROTOCOL_TOKEN_PREFIX";
/// The cookie that carries the token.
pub const TOKEN_COOKIE_NAME: &str = "TOKEN_COOKIE_NAME";

/// The subprotocol that announces a token as the next one offered:
/// `new WebSocket(url, ["bearer", token])`.
pub const BEARER_PROTOCOL: &str = "bearer";

/// Where a token may travel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenSource {
    /// The `authorization` query parameter.
    Query,
    /// The `Authorization` header, with or without `Bearer `.
    Header,
    /// The `Sec-WebSocket-Protocol` header: `bearer, <token>` or a prefixed
    /// protocol such as `base64url.bearer.authorization.<token>`.
    Protocol,
    /// A cookie (only with an `Origin` allow-list).
    Cookie,
    /// A REST API `TOKEN` event's `authorizationToken`: the value of the
    /// header its authorizer names, the only one such an event carries
    /// (read whatever `TOKEN_SOURCES` says).
    AuthorizationToken,
}

impl TokenSource {
    /// The name `TOKEN_SOURCES` uses.
    pub fn name(self) -> &'static str {
        match self {
            TokenSource::Query => "query",
            TokenSource::Header => "header",
            TokenSource::Protocol => "protocol",
            TokenSource::Cookie => "cookie",
            TokenSource::AuthorizationToken => "authorizationToken",
        }
    }
}

impl FromStr for TokenSource {
    type Err = ();

    fn from_str(name: &str) -> Result<Self, ()> {
        [
            TokenSource::Query,
            TokenSource::Header,
            TokenSource::Protocol,
            TokenSource::Cookie,
        ]
        .into_iter()
        .find(|source| source.name().eq_ignore_ascii_case(name))
        .ok_or(())
    }
}

/// Which transports are read, in order, and how the configurable ones look.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transports {
    /// The sources read, in order; never empty.
    pub sources: Vec<TokenSource>,
    /// A subprotocol starting with this carries the token after it.
    pub protocol_prefix: String,
    /// The cookie that carries the token.
    pub cookie_name: String,
}

impl Default for Transports {
    /// The query parameter and the header, as in the authorizer this one replaces.
    fn default() -> Self {
        Transports {
            sources: vec![TokenSource::Query, TokenSource::Header],
            protocol_prefix: "base64url.bearer.authorization.".to_owned(),
            cookie_name: "access_token".to_owned(),
        }
    }
}

/// The token of a request and where it was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Found<'a> {
    /// The token.
    pub token: &'a str,
    /// The first source, in `TOKEN_SOURCES` order, that carried it.
    pub source: TokenSource,
    /// The subprotocol the `$connect` integration must answer with, when the
    /// client offered subprotocols and `protocol` is a source: the first one
    /// offered that carries no token. Never the token-carrying one: a client
    /// that offers only that cannot be answered, and browsers then fail the
    /// handshake (offer another, as Kubernetes clients offer `v4.channel.k8s.io`
    /// beside `base64url.bearer.authorization.k8s.io.<token>`).
    pub subprotocol: Option<&'a str>,
}

/// Returns the token of the request, or why there is none to check.
///
/// Every value of every source read must agree: a request carrying two
/// different tokens is refused rather than guessed at.
pub fn extract_token<'a>(
    event: &'a ConnectEvent,
    transports: &Transports,
) -> Result<Found<'a>, Refusal> {
    if event.kind == "TOKEN" {
        let token = from_values(&[&event.authorization_token])?.ok_or(Refusal::MissingToken)?;
        return Ok(Found {
            token,
            source: TokenSource::AuthorizationToken,
            subprotocol: None,
        });
    }
    let mut found: Option<(&str, TokenSource)> = None;
    let mut echo_candidates = Vec::new();
    for &source in &transports.sources {
        let token = match source {
            TokenSource::Query => from_values(&[
                &event.query_authorization_values,
                &event.query_authorization,
            ])?,
            TokenSource::Header => from_values(&[
                &event.multi_value_headers.authorization,
                &event.headers.authorization,
            ])?,
            TokenSource::Protocol => {
                let (token, offered) = from_protocols(event, &transports.protocol_prefix)?;
                echo_candidates = offered;
                token
            }
            TokenSource::Cookie => from_cookies(event, &transports.cookie_name)?,
            TokenSource::AuthorizationToken => None,
        };
        match (found, token) {
            (Some((previous, _)), Some(token)) if previous != token => {
                return Err(Refusal::ConflictingTokens)
            }
            (None, Some(token)) => found = Some((token, source)),
            _ => {}
        }
    }
    let (token, source) = found.ok_or(Refusal::MissingToken)?;
    // Never the token, whatever source carried it: the echoed protocol goes
    // into the context, the routes' logs and the handshake's answer.
    let subprotocol = echo_candidates
        .into_iter()
        .find(|protocol| !reveals(protocol, token));
    Ok(Found {
        token,
        source,
        subprotocol,
    })
}

/// Whether `protocol` is, contains or carries `token`, or its signature:
/// a client offering the raw token (or any wrapping of it) as a
/// subprotocol must not have it echoed.
fn reveals(protocol: &str, token: &str) -> bool {
    let signature = token.rsplit('.').next().unwrap_or_default();
    protocol.contains(token)
        || (signature.len() >= MIN_SIGNATURE_CHARS && protocol.contains(signature))
}

/// The shortest signature (in base64url characters) looked for on its
/// own in an offered subprotocol: an Ed25519 signature, the shortest this
/// authorizer verifies, takes 86.
const MIN_SIGNATURE_CHARS: usize = 16;

/// `protocol` after `prefix`, matched in any ASCII case (as the `bearer`
/// marker is): `BASE64URL.BEARER.AUTHORIZATION.<token>` carries a token too.
fn strip_prefix_ignoring_case<'a>(protocol: &'a str, prefix: &str) -> Option<&'a str> {
    let head = protocol.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &protocol[prefix.len()..])
}

fn oversize(carried: &[&Carried]) -> Result<(), Refusal> {
    if carried.iter().any(|carried| carried.oversize) {
        return Err(Refusal::TokenTooLarge);
    }
    Ok(())
}

/// The one token named by all the values of `carried`, if any.
fn from_values<'a>(carried: &[&'a Carried]) -> Result<Option<&'a str>, Refusal> {
    oversize(carried)?;
    agreed(
        carried
            .iter()
            .flat_map(|carried| &carried.values)
            .map(|value| normalize(value)),
    )
}

/// The one token in the offered subprotocols, if any, and the offered
/// subprotocols that carry none, in order: the ones the answer may echo.
fn from_protocols<'a>(
    event: &'a ConnectEvent,
    prefix: &str,
) -> Result<(Option<&'a str>, Vec<&'a str>), Refusal> {
    let headers = [&event.multi_value_headers.protocol, &event.headers.protocol];
    oversize(&headers)?;
    // Both maps repeat the same header; the multi-value one has every value.
    let offered: Vec<&str> = headers
        .iter()
        .find(|carried| !carried.values.is_empty())
        .map(|carried| {
            carried
                .values
                .iter()
                .flat_map(|value| value.split(','))
                .map(str::trim)
                .filter(|protocol| !protocol.is_empty())
                .collect()
        })
        .unwrap_or_default();
    let mut carriers = vec![false; offered.len()];
    let mut tokens = Vec::new();
    for (index, protocol) in offered.iter().enumerate() {
        if protocol.eq_ignore_ascii_case(BEARER_PROTOCOL) {
            if let Some(token) = offered.get(index + 1) {
                carriers[index + 1] = true;
                tokens.push(*token);
            }
        } else if let Some(token) = strip_prefix_ignoring_case(protocol, prefix) {
            carriers[index] = true;
            tokens.push(token);
        }
    }
    let token = agreed(tokens.into_iter().map(normalize))?;
    let echo_candidates = offered
        .iter()
        .zip(&carriers)
        .filter(|(_, carrier)| !**carrier)
        .map(|(protocol, _)| *protocol)
        .collect();
    Ok((token, echo_candidates))
}

/// The one token in the cookies named `name`, if any.
fn from_cookies<'a>(event: &'a ConnectEvent, name: &str) -> Result<Option<&'a str>, Refusal> {
    // Payload 2.0 moves the `Cookie` header into `cookies`.
    let headers = [
        &event.multi_value_headers.cookie,
        &event.headers.cookie,
        &event.cookies,
    ];
    oversize(&headers)?;
    agreed(
        headers
            .iter()
            .flat_map(|carried| &carried.values)
            .flat_map(|header| header.split(';'))
            .filter_map(|pair| pair.split_once('='))
            .filter(|(cookie, _)| cookie.trim() == name)
            .map(|(_, value)| {
                let value = value.trim();
                // RFC 6265 allows a value in double quotes.
                let value = value
                    .strip_prefix('"')
                    .and_then(|inner| inner.strip_suffix('"'))
                    .unwrap_or(value);
                normalize(value)
            }),
    )
}

/// The one token all of `tokens` name (empty ones do not count).
fn agreed<'a>(
    tokens: impl Iterator<Item = Result<Option<&'a str>, Refusal>>,
) -> Result<Option<&'a str>, Refusal> {
    let mut found: Option<&str> = None;
    for token in tokens {
        let Some(token) = token? else {
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

impl Transports {
    /// The variables these settings come from.
    pub const VARIABLES: [&'static str; 3] =
        [TOKEN_SOURCES, SUBPROTOCOL_TOKEN_PREFIX, TOKEN_COOKIE_NAME];

    /// Each variable with the value in effect, in the order of [`Self::VARIABLES`].
    pub fn settings(&self) -> [(&'static str, String); 3] {
        let sources: Vec<&str> = self.sources.iter().map(|source| source.name()).collect();
        [
            (TOKEN_SOURCES, sources.join(",")),
            (SUBPROTOCOL_TOKEN_PREFIX, self.protocol_prefix.clone()),
            (TOKEN_COOKIE_NAME, self.cookie_name.clone()),
        ]
    }
}

impl Transports {
    /// Reads where tokens come from. (That a cookie needs the origin check
    /// is the configuration's rule: it joins two parts' settings.)
    pub fn read(env: &Env) -> Result<Self, ConfigError> {
        let mut transports = Transports::default();
        if let Some(names) = env.list(TOKEN_SOURCES) {
            let mut sources = Vec::new();
            for name in names {
                let source: TokenSource = name.parse().map_err(|_| {
                    ConfigError::new(
                        TOKEN_SOURCES,
                        format!("{name:?} is not one of query, header, protocol, cookie"),
                    )
                })?;
                if !sources.contains(&source) {
                    sources.push(source);
                }
            }
            if sources.is_empty() {
                return Err(ConfigError::new(TOKEN_SOURCES, "names no source"));
            }
            transports.sources = sources;
        }
        let is_token_text = |text: &str| {
            !text.is_empty()
                && text
                    .bytes()
                    .all(|byte| byte.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&byte))
        };
        if let Some(prefix) = env.text(SUBPROTOCOL_TOKEN_PREFIX) {
            if !is_token_text(&prefix) || prefix.eq_ignore_ascii_case(BEARER_PROTOCOL) {
                return Err(ConfigError::new(
                SUBPROTOCOL_TOKEN_PREFIX,
                format!("{prefix:?} is not a subprotocol prefix (letters, digits and !#$%&'*+-.^_`|~, not \"bearer\")"),
            ));
            }
            transports.protocol_prefix = prefix;
        }
        if let Some(name) = env.text(TOKEN_COOKIE_NAME) {
            if !is_token_text(&name) {
                return Err(ConfigError::new(
                    TOKEN_COOKIE_NAME,
                    format!("{name:?} is not a cookie name"),
                ));
            }
            transports.cookie_name = name;
        }
        Ok(transports)
    }
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

    fn extract(event: &ConnectEvent) -> Result<&str, Refusal> {
        extract_token(event, &Transports::default()).map(|found| found.token)
    }

    fn with_sources(names: &[&str]) -> Transports {
        Transports {
            sources: names.iter().map(|name| name.parse().unwrap()).collect(),
            ..Transports::default()
        }
    }

    const PREFIX: &str = "base64url.bearer.authorization.";

    #[test]
    fn subprotocol_pair_and_prefixed_forms_with_the_protocol_to_answer() {
        let protocol = with_sources(&["protocol"]);
        let found = |header: &str| {
            extract_token(
                &event(&[], &[("Sec-WebSocket-Protocol", header)]),
                &protocol,
            )
            .map(|found| (found.token.to_owned(), found.subprotocol.map(str::to_owned)))
        };
        assert_eq!(
            found("bearer, a.b.c"),
            Ok(("a.b.c".to_owned(), Some("bearer".to_owned())))
        );
        assert_eq!(
            found("chat.v1, bearer, a.b.c"),
            Ok(("a.b.c".to_owned(), Some("chat.v1".to_owned())))
        );
        assert_eq!(
            found(&format!("chat.v1, {PREFIX}a.b.c")),
            Ok(("a.b.c".to_owned(), Some("chat.v1".to_owned())))
        );
        let alone = format!("{PREFIX}a.b.c");
        assert_eq!(found(&alone), Ok(("a.b.c".to_owned(), None)));
        assert_eq!(
            found(&format!("bearer, a.b.c, {PREFIX}a.b.c")),
            Ok(("a.b.c".to_owned(), Some("bearer".to_owned())))
        );
        assert_eq!(
            found(&format!("bearer, a.b.c, {PREFIX}x.y.z")),
            Err(Refusal::ConflictingTokens)
        );
        assert_eq!(found("chat.v1"), Err(Refusal::MissingToken));
        assert_eq!(found("bearer"), Err(Refusal::MissingToken));
        assert_eq!(found(PREFIX), Err(Refusal::MissingToken));
    }

    /// #28.2: with the token also in the query, an offered subprotocol that
    /// is the token, holds it, or carries it behind the prefix in another
    /// case is never the one to echo.
    #[test]
    fn no_offered_subprotocol_that_holds_the_token_is_echoed() {
        let token =
            "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhIn0.c2lnbmF0dXJlLW9mLXRoZS10b2tlbi0xMjM0NTY3ODkw";
        let signature = token.rsplit('.').next().unwrap();
        let both = with_sources(&["protocol", "query"]);
        let echoed = |header: &str| {
            let request = event(
                &[("authorization", token)],
                &[("Sec-WebSocket-Protocol", header)],
            );
            extract_token(&request, &both)
                .map(|found| (found.token.to_owned(), found.subprotocol.map(str::to_owned)))
        };
        let token = token.to_owned();
        let chat = Some("chat.v1".to_owned());
        for header in [
            token.to_owned(),
            format!("x-{token}-y"),
            format!("sig.{signature}"),
            format!("{}{token}", PREFIX.to_uppercase()),
            format!("Base64Url.Bearer.Authorization.{token}"),
        ] {
            assert_eq!(echoed(&header), Ok((token.clone(), None)), "{header}");
            assert_eq!(
                echoed(&format!("{header}, chat.v1")),
                Ok((token.clone(), chat.clone())),
                "{header}"
            );
        }
        // Another token behind the prefix in another case is a token, not a protocol.
        assert_eq!(
            echoed(&format!("{}x.y.z, chat.v1", PREFIX.to_uppercase())),
            Err(Refusal::ConflictingTokens)
        );
        assert_eq!(echoed("chat.v1"), Ok((token, chat)));
    }

    #[test]
    fn subprotocols_from_every_value_of_the_multi_value_header() {
        let mut request = event(&[], &[]);
        request.multi_value_headers.protocol.values =
            vec!["chat.v1".into(), "bearer, a.b.c".into()];
        let found = extract_token(&request, &with_sources(&["protocol"])).unwrap();
        assert_eq!((found.token, found.subprotocol), ("a.b.c", Some("chat.v1")));
    }

    #[test]
    fn a_cookie_by_its_configured_name() {
        let cookie = Transports {
            cookie_name: "session_jwt".into(),
            ..with_sources(&["cookie"])
        };
        let found = |header: &str| {
            extract_token(&event(&[], &[("Cookie", header)]), &cookie)
                .map(|found| found.token.to_owned())
        };
        assert_eq!(
            found("theme=dark; session_jwt=a.b.c; x=1"),
            Ok("a.b.c".to_owned())
        );
        assert_eq!(found("session_jwt=\"a.b.c\""), Ok("a.b.c".to_owned()));
        assert_eq!(
            found("session_jwt=a.b.c; session_jwt=a.b.c"),
            Ok("a.b.c".to_owned())
        );
        assert_eq!(
            found("session_jwt=a.b.c; session_jwt=x.y.z"),
            Err(Refusal::ConflictingTokens)
        );
        assert_eq!(found("my_session_jwt=a.b.c"), Err(Refusal::MissingToken));
        assert_eq!(found("session_jwt="), Err(Refusal::MissingToken));
    }

    #[test]
    fn only_the_configured_sources_are_read_and_they_must_agree() {
        let request = event(
            &[("authorization", "q.q.q")],
            &[
                ("Sec-WebSocket-Protocol", "bearer, p.p.p"),
                ("Cookie", "access_token=c.c.c"),
            ],
        );
        for (sources, expected) in [
            (&["query"][..], Ok(("q.q.q", TokenSource::Query))),
            (&["protocol"][..], Ok(("p.p.p", TokenSource::Protocol))),
            (
                &["cookie", "header"][..],
                Ok(("c.c.c", TokenSource::Cookie)),
            ),
            (&["header"][..], Err(Refusal::MissingToken)),
            (&["protocol", "query"][..], Err(Refusal::ConflictingTokens)),
        ] {
            assert_eq!(
                extract_token(&request, &with_sources(sources))
                    .map(|found| (found.token, found.source)),
                expected,
                "{sources:?}"
            );
        }
        let found = extract_token(&request, &with_sources(&["query", "protocol"]));
        assert_eq!(found, Err(Refusal::ConflictingTokens));
        let same = event(
            &[("authorization", "t.t.t")],
            &[("Sec-WebSocket-Protocol", "bearer, t.t.t")],
        );
        let found = extract_token(&same, &with_sources(&["query", "protocol"])).unwrap();
        assert_eq!(
            (found.source, found.subprotocol),
            (TokenSource::Query, Some("bearer"))
        );
    }

    #[test]
    fn query_parameter() {
        assert_eq!(
            extract(&event(&[("authorization", "a.b.c")], &[])),
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
                extract(&event(&[], &[(name, value)])),
                Ok("a.b.c"),
                "{name}: {value}"
            );
        }
    }

    #[test]
    fn query_name_is_exact_and_other_names_are_ignored() {
        assert_eq!(
            extract(&event(
                &[("token", "a.b.c"), ("Authorization", "x.y.z")],
                &[]
            )),
            Err(Refusal::MissingToken)
        );
    }

    #[test]
    fn missing_or_empty() {
        assert_eq!(extract(&event(&[], &[])), Err(Refusal::MissingToken));
        assert_eq!(
            extract(&event(&[("authorization", " ")], &[])),
            Err(Refusal::MissingToken)
        );
        assert_eq!(
            extract(&event(&[], &[("Authorization", "Bearer ")])),
            Err(Refusal::MissingToken)
        );
        assert_eq!(
            extract(&event(&[], &[("Authorization", "Bearer")])),
            Err(Refusal::MissingToken)
        );
    }

    #[test]
    fn both_transports_must_agree() {
        assert_eq!(
            extract(&event(
                &[("authorization", "a.b.c")],
                &[("Authorization", "Bearer a.b.c")]
            )),
            Ok("a.b.c")
        );
        assert_eq!(
            extract(&event(
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
        assert_eq!(extract(&repeated), Err(Refusal::ConflictingTokens));

        let mut same = event(&[("authorization", "a.b.c")], &[]);
        same.query_authorization_values.values = vec!["a.b.c".into()];
        assert_eq!(extract(&same), Ok("a.b.c"));
    }

    #[test]
    fn oversize_is_refused_before_decoding() {
        let at_cap = "a".repeat(MAX_TOKEN_BYTES);
        assert_eq!(
            extract(&event(&[("authorization", &at_cap)], &[])),
            Ok(at_cap.as_str())
        );
        let over = "a".repeat(MAX_TOKEN_BYTES + 1);
        assert_eq!(
            extract(&event(&[("authorization", &over)], &[])),
            Err(Refusal::TokenTooLarge)
        );
        let huge = "a".repeat(1 << 20);
        assert_eq!(
            extract(&event(&[], &[("authorization", &huge)])),
            Err(Refusal::TokenTooLarge)
        );
    }

    #[test]
    fn non_ascii_prefix_does_not_panic() {
        assert_eq!(
            extract(&event(&[("authorization", "é€a.b.c")], &[])),
            Ok("é€a.b.c")
        );
    }
}
