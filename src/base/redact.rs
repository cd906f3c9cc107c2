//! What may be printed of a value that can carry credentials: URLs with
//! their user info, query values and fragment hidden, wherever they appear in
//! a text and whatever the case of their scheme.

use reqwest::Url;

/// What a hidden part is shown as.
const HIDDEN: &str = "***";

/// `url` with its user info and the values of its query and fragment
/// replaced by `***`: what may be printed of a URL that can carry credentials.
pub fn redacted(url: &Url) -> String {
    let mut shown = url.clone();
    if !shown.username().is_empty() || shown.password().is_some() {
        let _ = shown.set_username(HIDDEN);
        let _ = shown.set_password(shown.password().map(|_| HIDDEN));
    }
    if shown.query().is_some() {
        // A name without a value (`?s3cr3t-signature`) may be the secret itself.
        let names: Vec<String> = url
            .query_pairs()
            .map(|(name, value)| {
                if value.is_empty() {
                    HIDDEN.to_owned()
                } else {
                    name.into_owned()
                }
            })
            .collect();
        shown
            .query_pairs_mut()
            .clear()
            .extend_pairs(names.iter().map(|name| (name.as_str(), HIDDEN)));
    }
    if shown.fragment().is_some() {
        shown.set_fragment(Some(HIDDEN));
    }
    shown.to_string()
}

/// `text` with every URL in it (`scheme://…`, any scheme in any case:
/// `HTTPS://` is as much a URL as `https://`) shown as [`redacted`], what
/// only looks like one as `***`, and any other user info (`user:pw@host`,
/// `https:user:pw@host`, written without `//`) as `***@`: parser messages
/// and configuration errors quote the values they could not use.
pub fn redact_urls_in(text: &str) -> String {
    hide_user_info(&redact_schemed_urls(text))
}

/// The `scheme://…` URLs of `text`, redacted. A URL runs to whitespace, a
/// double quote or backquote, or the next URL's scheme: a comma, quote or
/// bracket may be part of a password or a query value.
fn redact_schemed_urls(text: &str) -> String {
    let mut shown = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(separator) = rest.find("://") {
        let start = scheme_start(&rest[..separator]);
        shown.push_str(&rest[..start]);
        let candidate = &rest[start..];
        let after_scheme = separator - start + 3;
        let mut end = candidate
            .find(|c: char| c.is_whitespace() || matches!(c, '"' | '`'))
            .unwrap_or(candidate.len());
        if let Some(next) = candidate[after_scheme..end].find("://") {
            let next = after_scheme + next;
            end = scheme_start(&candidate[..next]).max(after_scheme);
        }
        // Prose punctuation after a URL (`https://a/k: not found`) is not its own.
        let end = candidate[..end]
            .trim_end_matches([':', ';', '.', ')', ',', ']', '}', '\''])
            .len()
            .max(after_scheme.min(end));
        let written = &candidate[..end];
        match Url::parse(written) {
            // Nothing to hide: shown as written, not as the parser would write it.
            Ok(url) if !carries_secrets(&url) && !written.contains('@') => shown.push_str(written),
            Ok(url) => shown.push_str(&redacted(&url)),
            // A scheme alone (`https://`, as advice in a message) hides nothing.
            Err(_) if written.ends_with("://") => shown.push_str(written),
            Err(_) => shown.push_str(HIDDEN),
        }
        rest = &candidate[end..];
    }
    shown.push_str(rest);
    shown
}

/// Where the scheme ending `before` begins: letters, digits, `+`, `-` and
/// `.` before a `://`.
fn scheme_start(before: &str) -> usize {
    before
        .rfind(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')))
        .map_or(0, |at| at + 1)
}

/// `text` with what comes before any `@` (back to whitespace, a quote or a
/// `/`) shown as `***` when it holds a `:` and is not hidden already: user
/// info written
/// without `//`, which no URL parser reads as such but a browser or a
/// typo's author may mean.
fn hide_user_info(text: &str) -> String {
    let mut shown = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('@') {
        let start = rest[..at]
            .rfind(|c: char| {
                c.is_whitespace() || matches!(c, '"' | '\'' | '`' | '/' | '(' | '[' | ',')
            })
            .map_or(0, |before| before + 1);
        let user_info = &rest[start..at];
        shown.push_str(&rest[..start]);
        // `name:secret@`; a bare `name@` is an address, or a path such as
        // Firebase's `…/x509/securetoken@system.gserviceaccount.com`.
        if !user_info.contains(':') || user_info.chars().all(|c| c == '*' || c == ':') {
            shown.push_str(user_info);
        } else {
            shown.push_str(HIDDEN);
        }
        shown.push('@');
        rest = &rest[at + 1..];
    }
    shown.push_str(rest);
    shown
}

/// Whether `url` has a part [`redacted`] hides.
fn carries_secrets(url: &Url) -> bool {
    !url.username().is_empty()
        || url.password().is_some()
        || url.query().is_some()
        || url.fragment().is_some()
}

/// Every string in the JSON `value` (members and items, at any depth) with
/// its URLs redacted.
pub fn redact_urls_in_json(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::String(text) => *text = redact_urls_in(text),
        serde_json::Value::Array(items) => items.iter_mut().for_each(redact_urls_in_json),
        serde_json::Value::Object(members) => members.values_mut().for_each(redact_urls_in_json),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// #28.6: a URL's scheme may be written in any case, and any scheme
    /// may carry credentials.
    #[test]
    fn urls_are_redacted_whatever_the_case_of_their_scheme() {
        for (text, shown) in [
            (
                "invalid type: string \"http://a:b@h/p?q=1\", expected",
                "invalid type: string \"http://***:***@h/p?q=***\", expected",
            ),
            (
                "got HTTPS://user:pw@idp.example.com/keys?api_key=S3CR3T here",
                "got https://***:***@idp.example.com/keys?api_key=*** here",
            ),
            (
                "Http://user:pw@127.0.0.1/k and hTtPs://t0k@x.example/",
                "http://***:***@127.0.0.1/k and https://***@x.example/",
            ),
            (
                "\"wss://u:pw@gw.example.com/prod?t=1\"",
                "\"wss://***:***@gw.example.com/prod?t=***\"",
            ),
            ("x-https://u:pw@h/", "x-https://***:***@h/"),
            (
                "https://u:pw@h/?k=s3cr3t: no audiences.",
                "https://***:***@h/?k=***: no audiences.",
            ),
            ("bad ://u:pw@h", "bad ***"),
            ("no url at all", "no url at all"),
            (
                "https://www.googleapis.com/robot/v1/metadata/x509/securetoken@system.gserviceaccount.com",
                "https://www.googleapis.com/robot/v1/metadata/x509/securetoken@system.gserviceaccount.com",
            ),
            ("mail alice@example.com", "mail alice@example.com"),
            // Commas and quotes may be part of a password or a query value.
            (
                "\"https://user:S3C,R3T@idp.example.com/k?api_key=K3Y,PART2\"",
                "\"https://***:***@idp.example.com/k?api_key=***\"",
            ),
            (
                "string \"https://user:S3C'R3T@h/\", expected",
                "string \"https://***:***@h/\", expected",
            ),
            (
                "https://a.example/k,https://u:pw@b.example/",
                "https://a.example/k,https://***:***@b.example/",
            ),
            // User info without `//`, or without a scheme at all.
            (
                "https:user:S3CR3T@idp.example.com/k",
                "***@idp.example.com/k",
            ),
            (
                "HTTPS:/user:S3CR3T@idp.example.com/k",
                "HTTPS:/***@idp.example.com/k",
            ),
            (
                "user:S3CR3T@idp.example.com/keys must use https://",
                "***@idp.example.com/keys must use https://",
            ),
            (
                "HTTPS://idp.example.com must use https:// or http://",
                "HTTPS://idp.example.com must use https:// or http://",
            ),
        ] {
            assert_eq!(redact_urls_in(text), shown, "{text}");
        }
    }

    #[test]
    fn every_string_of_a_json_value_is_redacted() {
        let mut value = serde_json::json!([
            {"issuer": "HTTPS://u:S3CR3T@idp/", "audiences": ["https://x/?k=S3CR3T"], "n": 1}
        ]);
        redact_urls_in_json(&mut value);
        assert_eq!(
            value,
            serde_json::json!([
                {"issuer": "https://***:***@idp/", "audiences": ["https://x/?k=***"], "n": 1}
            ])
        );
    }
}
