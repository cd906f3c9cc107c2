//! The trusted issuers: for each, the `iss` values it answers to, where its
//! keys come from, and the audiences its tokens must name.
//!
//! One issuer comes from `JWT_ISSUER_JWKS_URI` (or `JWKS_JSON`, or OIDC
//! discovery from `JWT_ISSUER` alone) with `JWT_ISSUER` and
//! `JWT_AUTHORIZED_AUDIENCES`; several come from `JWT_ISSUERS`.

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;

use reqwest::Url;
use serde::Deserialize;
use serde_json::Value;

use crate::algorithm::AlgorithmSet;
use crate::keys::{KeySet, KeySetError};
use crate::kms::{KmsKeys, KmsSettings};
use crate::redact::{redact_urls_in, redacted};

/// Comma list of accepted `iss` values.
pub const JWT_ISSUER: &str = "JWT_ISSUER";
/// A JSON list of issuers, each with its key set and audiences.
pub const JWT_ISSUERS: &str = "JWT_ISSUERS";
/// Comma list of accepted audiences.
pub const JWT_AUTHORIZED_AUDIENCES: &str = "JWT_AUTHORIZED_AUDIENCES";

/// Where an issuer's key set comes from.
#[derive(Debug, Clone)]
pub enum KeySource {
    /// A key set URL.
    Url(Url),
    /// OIDC discovery: the `jwks_uri` of `{issuer}/.well-known/openid-configuration`,
    /// whose `issuer` must be exactly this one.
    Discovery {
        /// The issuer, as configured.
        issuer: String,
        /// Its discovery document.
        document: Url,
    },
    /// A key set given in the configuration (air-gapped deployments, tests),
    /// parsed once at start and shared by every refresh of the store.
    Inline(Arc<KeySet>),
    /// AWS KMS keys, each public key read once with `kms:GetPublicKey`.
    Kms(Arc<KmsKeys>),
}

/// Shown with any user info and query values redacted: a key set URL may
/// carry credentials, and this is what logs, `check-config`, `explain` and
/// errors print.
impl fmt::Display for KeySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeySource::Url(url) => f.write_str(&redacted(url)),
            KeySource::Discovery { document, .. } => write!(f, "discovery {}", redacted(document)),
            KeySource::Inline(_) => f.write_str("the inline key set"),
            KeySource::Kms(keys) => write!(f, "{keys}"),
        }
    }
}

/// The provider whose key set at `url` signs for many tenants or projects,
/// if it is a known one: such a key set proves only that the provider
/// issued a token, not for whom, so it needs an issuer to mean anything.
pub fn shared_key_set(url: &Url) -> Option<&'static str> {
    let host = url.host_str()?.trim_end_matches('.').to_ascii_lowercase();
    match host.as_str() {
        // Entra's keys are the same for every tenant, whatever path serves
        // them, in the public and the national clouds.
        "login.microsoftonline.com"
        | "login.microsoft.com"
        | "login.windows.net"
        | "sts.windows.net"
        | "login.microsoftonline.us"
        | "login.partner.microsoftonline.cn"
        | "login.chinacloudapi.cn"
        | "login.microsoftonline.de" => Some("Microsoft Entra ID"),
        // Google's OAuth keys and Firebase's securetoken keys sign for every project.
        "www.googleapis.com" | "securetoken.googleapis.com" => Some("Google and Firebase"),
        _ => None,
    }
}

impl KeySource {
    /// OIDC discovery for `issuer`, which must be an `https://` URL
    /// (`http://` on loopback).
    pub fn discovery(issuer: &str) -> Result<Self, String> {
        let base = parse_https_url(issuer)?;
        let document = format!(
            "{}/.well-known/openid-configuration",
            base.as_str().trim_end_matches('/')
        );
        Ok(KeySource::Discovery {
            issuer: issuer.to_owned(),
            document: parse_https_url(&document)?,
        })
    }

    /// A key set given in the configuration: it must hold a usable key.
    pub fn inline(json: &[u8], algorithms: AlgorithmSet) -> Result<Self, KeySetError> {
        KeySet::parse(json, algorithms).map(|set| KeySource::Inline(Arc::new(set)))
    }
}

/// One trusted issuer.
#[derive(Debug, Clone)]
pub struct Issuer {
    /// The `iss` values accepted; `None` accepts any (no `JWT_ISSUER`).
    pub names: Option<Vec<String>>,
    /// Where its keys come from.
    pub keys: KeySource,
    /// The audiences its tokens must name; never empty.
    pub audiences: Vec<String>,
}

impl Issuer {
    /// Whether a token claiming `iss` belongs to this issuer.
    pub fn accepts(&self, iss: Option<&str>) -> bool {
        match (&self.names, iss) {
            (None, _) => true,
            (Some(names), Some(iss)) => names.iter().any(|name| name == iss),
            (Some(_), None) => false,
        }
    }
}

/// One entry of `JWT_ISSUERS`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct IssuerEntry {
    issuer: String,
    #[serde(default)]
    jwks_uri: Option<String>,
    #[serde(default)]
    jwks: Option<Value>,
    #[serde(default)]
    audiences: Option<Vec<String>>,
    #[serde(default)]
    kms_key_ids: Option<Vec<String>>,
}

/// Parses `JWT_ISSUERS`: a JSON list of `{"issuer", "jwks_uri"?, "jwks"?,
/// "kms_key_ids"?, "audiences"?}`. Without `jwks_uri`, `jwks` or
/// `kms_key_ids` the keys are discovered; without `audiences`,
/// `default_audiences` apply. An inline `jwks` is parsed here, keeping the
/// keys that can verify one of `algorithms`; KMS keys are resolved with `kms`.
pub fn parse_issuers(
    json: &str,
    default_audiences: &[String],
    algorithms: AlgorithmSet,
    kms: &KmsSettings,
) -> Result<Vec<Issuer>, String> {
    let entries: Vec<IssuerEntry> = serde_json::from_str(json).map_err(|error| {
        format!(
            "is not a JSON list of {{\"issuer\", \"jwks_uri\"?, \"jwks\"?, \"kms_key_ids\"?, \"audiences\"?}}: {}",
            redact_urls_in(&error.to_string())
        )
    })?;
    if entries.is_empty() {
        return Err("lists no issuer".to_owned());
    }
    let mut issuers: Vec<Issuer> = Vec::with_capacity(entries.len());
    for entry in entries {
        let name = entry.issuer.trim().to_owned();
        if name.is_empty() {
            return Err("has an empty issuer".to_owned());
        }
        // How errors name it: an issuer URL may carry user info too.
        let shown = redact_urls_in(&name);
        if issuers.iter().any(|issuer| issuer.accepts(Some(&name))) {
            return Err(format!("lists {shown:?} twice"));
        }
        let keys = match (entry.jwks_uri, entry.jwks, entry.kms_key_ids) {
            (Some(uri), None, None) => {
                KeySource::Url(parse_https_url(&uri).map_err(|error| format!("{shown}: {error}"))?)
            }
            (None, Some(jwks), None) => KeySource::inline(jwks.to_string().as_bytes(), algorithms)
                .map_err(|error| format!("{shown}: {error}"))?,
            (None, None, Some(ids)) => KmsKeys::parse(&ids, kms)
                .map(|keys| KeySource::Kms(Arc::new(keys)))
                .map_err(|error| format!("{shown}: kms_key_ids: {error}"))?,
            (None, None, None) => {
                KeySource::discovery(&name).map_err(|error| format!("{shown}: {error}"))?
            }
            _ => {
                return Err(format!(
                    "{shown}: give one of jwks_uri, jwks and kms_key_ids, not several"
                ));
            }
        };
        let audiences: Vec<String> = entry
            .audiences
            .unwrap_or_else(|| default_audiences.to_vec())
            .into_iter()
            .map(|audience| audience.trim().to_owned())
            .filter(|audience| !audience.is_empty())
            .collect();
        if audiences.is_empty() {
            return Err(format!(
                "{shown}: no audiences (give \"audiences\" or JWT_AUTHORIZED_AUDIENCES)"
            ));
        }
        issuers.push(Issuer {
            names: Some(vec![name]),
            keys,
            audiences,
        });
    }
    Ok(issuers)
}

/// An `https://` URL, or `http://` on a loopback address (tests, local runs).
/// Errors show the URL redacted, and an unreadable value not at all: either
/// may carry credentials.
pub fn parse_https_url(value: &str) -> Result<Url, String> {
    let url = Url::parse(value).map_err(|error| format!("is not a URL: {error}"))?;
    match url.scheme() {
        "https" => Ok(url),
        "http" if is_loopback(&url) => Ok(url),
        "http" => Err(format!(
            "{} must use https:// (plain http:// is allowed only for loopback addresses)",
            redacted(&url)
        )),
        other => Err(format!(
            "{} must use https://, got {other}://",
            redacted(&url)
        )),
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn defaults() -> Vec<String> {
        vec!["api".to_owned()]
    }

    const EC_KEY: &str = r#"{"kty":"EC","crv":"P-256","kid":"k1","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}"#;

    #[test]
    fn an_inline_key_set_must_hold_a_key_the_algorithms_can_use() {
        let json = r#"[{"issuer": "https://b.example.com", "jwks": {"keys": [EC_KEY]}}]"#
            .replace("EC_KEY", EC_KEY);
        let rsa_only: AlgorithmSet = [crate::algorithm::Algorithm::Rs256].into_iter().collect();
        assert_eq!(
            parse_issuers(&json, &defaults(), rsa_only, &KmsSettings::default()).unwrap_err(),
            "https://b.example.com: no usable key in the key set (1 skipped: \"k1\": none of its algorithms is allowed by JWT_ALGORITHMS)"
        );
        let empty = r#"[{"issuer": "https://b.example.com", "jwks": {"keys": []}}]"#;
        assert_eq!(
            parse_issuers(
                empty,
                &defaults(),
                AlgorithmSet::all(),
                &KmsSettings::default()
            )
            .unwrap_err(),
            "https://b.example.com: no usable key in the key set (0 skipped)"
        );
    }

    #[test]
    fn entries_with_a_uri_inline_keys_or_discovery() {
        let issuers = parse_issuers(
            r#"[
                {"issuer": "https://a.example.com", "jwks_uri": "https://a.example.com/keys", "audiences": ["x", " "]},
                {"issuer": "https://b.example.com/realms/r/", "jwks": {"keys": [EC_KEY]}},
                {"issuer": "http://127.0.0.1:9000"}
            ]"#
            .replace("EC_KEY", EC_KEY)
            .as_str(),
            &defaults(),
            AlgorithmSet::all(),
            &KmsSettings::default(),
        )
        .unwrap();
        assert_eq!(issuers.len(), 3);
        assert!(matches!(
            &issuers[0].keys,
            KeySource::Url(url) if url.as_str() == "https://a.example.com/keys"
        ));
        assert_eq!(issuers[0].audiences, vec!["x"]);
        assert!(matches!(
            &issuers[1].keys,
            KeySource::Inline(set) if set.len() == 1 && set.get("k1").is_some()
        ));
        assert_eq!(issuers[1].audiences, vec!["api"]);
        assert_eq!(
            issuers[2].keys.to_string(),
            "discovery http://127.0.0.1:9000/.well-known/openid-configuration"
        );
        assert!(issuers[1].accepts(Some("https://b.example.com/realms/r/")));
        assert!(!issuers[1].accepts(Some("https://b.example.com/realms/r")));
        assert!(!issuers[1].accepts(None));
    }

    #[test]
    fn discovery_keeps_the_issuer_path() {
        let KeySource::Discovery { document, issuer } =
            KeySource::discovery("https://kc.example.com/realms/chat/").unwrap()
        else {
            panic!("not discovery");
        };
        assert_eq!(
            document.as_str(),
            "https://kc.example.com/realms/chat/.well-known/openid-configuration"
        );
        assert_eq!(issuer, "https://kc.example.com/realms/chat/");
    }

    #[test]
    fn urls_are_shown_without_credentials() {
        for (url, shown) in [
            (
                "https://idp.example.com/keys",
                "https://idp.example.com/keys",
            ),
            (
                "https://user:p%40ss@idp.example.com/keys",
                "https://***:***@idp.example.com/keys",
            ),
            (
                "https://token@idp.example.com/keys",
                "https://***@idp.example.com/keys",
            ),
            (
                "https://idp.example.com/keys?api_key=s3cr3t&tenant=a#frag",
                "https://idp.example.com/keys?api_key=***&tenant=***#***",
            ),
            (
                "https://idp.example.com/keys?S3CR3T-sig",
                "https://idp.example.com/keys?***=***",
            ),
        ] {
            assert_eq!(redacted(&Url::parse(url).unwrap()), shown);
            assert_eq!(KeySource::Url(Url::parse(url).unwrap()).to_string(), shown);
        }
        let error = parse_https_url("https//user:secret@host").unwrap_err();
        assert!(!error.contains("secret"), "{error}");
        for json in [
            r#"["https://user:S3CR3T@idp.example.com/keys?api_key=S3CR3T"]"#,
            r#"[{"issuer": "https://a", "audiences": "https://u:S3CR3T@x/?k=S3CR3T"}]"#,
            r#"[{"issuer": 7, "jwks_uri": "https://u:S3CR3T@x"}]"#,
        ] {
            let error = parse_issuers(
                json,
                &defaults(),
                AlgorithmSet::all(),
                &KmsSettings::default(),
            )
            .unwrap_err();
            assert!(!error.contains("S3CR3T"), "{error}");
        }
        assert_eq!(
            redact_urls_in("invalid type: string \"http://a:b@h/p?q=1\", expected"),
            "invalid type: string \"http://***:***@h/p?q=***\", expected"
        );
    }

    #[test]
    fn known_shared_key_sets() {
        for (url, shared) in [
            (
                "https://login.microsoftonline.com/common/discovery/v2.0/keys",
                true,
            ),
            (
                "https://LOGIN.microsoftonline.com/0000-tenant/discovery/keys",
                true,
            ),
            ("https://login.microsoftonline.com./common/discovery/keys", true),
            ("https://login.microsoftonline.us/t/discovery/v2.0/keys", true),
            ("https://login.partner.microsoftonline.cn/t/discovery/v2.0/keys", true),
            ("https://www.googleapis.com/oauth2/v3/certs", true),
            (
                "https://www.googleapis.com/robot/v1/metadata/x509/securetoken@system.gserviceaccount.com",
                true,
            ),
            (
                "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_x/.well-known/jwks.json",
                false,
            ),
            ("https://tenant.eu.auth0.com/.well-known/jwks.json", false),
        ] {
            assert_eq!(
                shared_key_set(&Url::parse(url).unwrap()).is_some(),
                shared,
                "{url}"
            );
        }
    }

    #[test]
    fn mistakes_are_named() {
        for (json, expected) in [
            ("{}", "is not a JSON list"),
            ("[]", "lists no issuer"),
            (r#"[{"issuer": " "}]"#, "empty issuer"),
            (
                r#"[{"issuer": "https://a"}, {"issuer": "https://a"}]"#,
                "twice",
            ),
            (
                r#"[{"issuer": "https://a", "jwks_uri": "https://a/k", "jwks": {}}]"#,
                "not several",
            ),
            (
                r#"[{"issuer": "https://a", "jwks_uri": "http://a/k"}]"#,
                "must use https://",
            ),
            (r#"[{"issuer": "not a url"}]"#, "is not a URL"),
            (
                r#"[{"issuer": "https://a", "jwks_uri": "http://u:secret@a/k?key=secret"}]"#,
                "http://***:***@a/k?key=*** must use https://",
            ),
            (
                r#"[{"issuer": "https://a", "audiences": []}]"#,
                "no audiences",
            ),
            (
                r#"[{"issuer": "https://a", "audience": ["x"]}]"#,
                "unknown field",
            ),
        ] {
            let error = parse_issuers(
                json,
                &defaults(),
                AlgorithmSet::all(),
                &KmsSettings::default(),
            )
            .unwrap_err();
            assert!(error.contains(expected), "{json}: {error}");
        }
        assert!(parse_issuers(
            r#"[{"issuer": "https://a"}]"#,
            &[],
            AlgorithmSet::all(),
            &KmsSettings::default()
        )
        .is_err());
    }
}
