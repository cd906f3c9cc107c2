//! `JWT_PROVIDER` presets: for each identity provider, the defaults its
//! users would otherwise have to know (and often get wrong): the issuer and
//! key set from one parameter, which claim says what kind of token it is,
//! where scopes and roles live, what the audience is.
//!
//! A preset only fills in: a variable set explicitly always wins.

use serde_json::Value;

/// The identity providers with a preset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Provider {
    /// Amazon Cognito user pools.
    Cognito,
    /// Auth0.
    Auth0,
    /// Firebase Authentication (Google Identity Platform).
    Firebase,
    /// Keycloak.
    Keycloak,
    /// Microsoft Entra ID (Azure AD).
    Entra,
    /// Okta.
    Okta,
    /// Zitadel.
    Zitadel,
    /// WSO2 Identity Server (and Asgardeo, its hosted form).
    Wso2,
}

impl Provider {
    /// Every preset, for documentation and tests.
    pub const ALL: [Provider; 8] = [
        Provider::Cognito,
        Provider::Auth0,
        Provider::Firebase,
        Provider::Keycloak,
        Provider::Entra,
        Provider::Okta,
        Provider::Zitadel,
        Provider::Wso2,
    ];

    /// The name `JWT_PROVIDER` uses.
    pub fn name(self) -> &'static str {
        match self {
            Provider::Cognito => "cognito",
            Provider::Auth0 => "auth0",
            Provider::Firebase => "firebase",
            Provider::Keycloak => "keycloak",
            Provider::Entra => "entra",
            Provider::Okta => "okta",
            Provider::Zitadel => "zitadel",
            Provider::Wso2 => "wso2",
        }
    }

    /// What `name[:parameter]` names, or why it names nothing.
    pub fn parse(value: &str) -> Result<(Provider, Option<&str>), String> {
        let (name, parameter) = match value.split_once(':') {
            Some((name, parameter)) => (name, Some(parameter.trim())),
            None => (value, None),
        };
        let provider = Provider::ALL
            .into_iter()
            .find(|provider| provider.name().eq_ignore_ascii_case(name.trim()))
            .ok_or_else(|| {
                format!(
                    "{name:?} is not one of {}",
                    Provider::ALL.map(Provider::name).join(", ")
                )
            })?;
        Ok((
            provider,
            parameter.filter(|parameter| !parameter.is_empty()),
        ))
    }
}

/// The audience Keycloak puts in the tokens of clients whose users may manage
/// their account: its account console, not an API of the token's client.
pub const KEYCLOAK_ACCOUNT_AUDIENCE: &str = "account";

/// A claim the token must carry with one of the values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequiredClaim {
    /// The claim's name.
    pub name: String,
    /// The accepted values; the claim must equal one of them.
    pub values: Vec<Value>,
}

/// Parses `JWT_REQUIRED_CLAIMS`: a JSON object of claim name to the value
/// required, or to a list of accepted values.
pub fn parse_required_claims(json: &str) -> Result<Vec<RequiredClaim>, String> {
    let Ok(Value::Object(members)) = serde_json::from_str::<Value>(json) else {
        return Err(
            "is not a JSON object of claim to value (or to a list of accepted values)".to_owned(),
        );
    };
    let mut claims = members
        .into_iter()
        .map(|(name, value)| {
            let values = match value {
                Value::Array(values) if values.is_empty() => {
                    return Err(format!("{name}: an empty list accepts nothing"))
                }
                Value::Array(values) => values,
                Value::Null | Value::Object(_) => {
                    return Err(format!("{name}: give a value or a list of values"))
                }
                value => vec![value],
            };
            Ok(RequiredClaim { name, values })
        })
        .collect::<Result<Vec<_>, String>>()?;
    claims.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(claims)
}

/// What a preset fills in.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Preset {
    /// Accepted issuers, from the parameter (`JWT_ISSUER` when unset).
    pub issuers: Vec<String>,
    /// The key set URL, when it is not the discovered one.
    pub jwks_uri: Option<String>,
    /// Accepted audiences, when the parameter says (`JWT_AUTHORIZED_AUDIENCES` when unset).
    pub audiences: Vec<String>,
    /// Claims copied into the context besides `CONTEXT_CLAIMS`.
    pub context_claims: &'static [&'static str],
    /// Claims read for scopes besides `scope` and `scp`.
    pub scope_claims: &'static [&'static str],
    /// Claims that may name the audience besides `aud`, when `aud` is absent
    /// or names only [`KEYCLOAK_ACCOUNT_AUDIENCE`].
    pub audience_claims: &'static [&'static str],
    /// Claims the token must carry (`JWT_REQUIRED_CLAIMS` overrides per claim).
    pub required_claims: Vec<RequiredClaim>,
    /// Whether `auth_time` must not be in the future.
    pub check_auth_time: bool,
}

/// The preset of `provider` with its parameter.
pub fn preset(provider: Provider, parameter: Option<&str>) -> Result<Preset, String> {
    let https = |host_or_url: &str| {
        if host_or_url.starts_with("https://") || host_or_url.starts_with("http://") {
            host_or_url.to_owned()
        } else {
            format!("https://{host_or_url}")
        }
    };
    let claim = |name: &str, values: &[&str]| RequiredClaim {
        name: name.to_owned(),
        values: values.iter().map(|value| Value::from(*value)).collect(),
    };
    let preset = match provider {
        // cognito:eu-west-1_AbCdEfGhI, the user pool id (its region is its prefix).
        Provider::Cognito => Preset {
            issuers: parameter
                .map(|pool| {
                    let region = pool
                        .split_once('_')
                        .map(|(region, _)| region)
                        .filter(|region| !region.is_empty())
                        .ok_or_else(|| {
                            format!("{pool:?} is not a user pool id (REGION_ID, like eu-west-1_AbCdEfGhI)")
                        })?;
                    Ok::<_, String>(vec![format!(
                        "https://cognito-idp.{region}.amazonaws.com/{pool}"
                    )])
                })
                .transpose()?
                .unwrap_or_default(),
            context_claims: &["cognito:groups", "username"],
            // Access tokens, not ID tokens; `JWT_REQUIRED_CLAIMS={"token_use":"id"}` for the other.
            required_claims: vec![claim("token_use", &["access"])],
            ..Preset::default()
        },
        // auth0:your-tenant.eu.auth0.com (or a custom domain).
        Provider::Auth0 => Preset {
            issuers: parameter
                .map(|domain| vec![format!("{}/", https(domain).trim_end_matches('/'))])
                .unwrap_or_default(),
            context_claims: &["permissions"],
            scope_claims: &["permissions"],
            ..Preset::default()
        },
        // firebase:your-project-id.
        Provider::Firebase => Preset {
            issuers: parameter
                .map(|project| vec![format!("https://securetoken.google.com/{project}")])
                .unwrap_or_default(),
            // Firebase ID tokens name the project as their audience.
            audiences: parameter.map(|project| vec![project.to_owned()]).unwrap_or_default(),
            jwks_uri: Some(
                "https://www.googleapis.com/service_accounts/v1/jwk/securetoken@system.gserviceaccount.com"
                    .to_owned(),
            ),
            context_claims: &["email", "email_verified", "firebase.sign_in_provider"],
            check_auth_time: true,
            ..Preset::default()
        },
        // keycloak:https://sso.example.com/realms/chat.
        Provider::Keycloak => Preset {
            issuers: parameter
                .map(|realm| vec![https(realm).trim_end_matches('/').to_owned()])
                .unwrap_or_default(),
            context_claims: &["realm_access.roles", "azp", "preferred_username"],
            // Keycloak access tokens name the client in `azp`; `aud` is often
            // `account` or absent. When `aud` names another API, the token is
            // that API's, whichever client asked for it: `azp` does not count.
            audience_claims: &["azp"],
            ..Preset::default()
        },
        // entra:TENANT_ID[,TENANT_ID…]: v1 and v2 issuers of each tenant.
        Provider::Entra => {
            let tenants: Vec<&str> = parameter
                .map(|list| {
                    list.split(',')
                        .map(str::trim)
                        .filter(|tenant| !tenant.is_empty())
                        .collect()
                })
                .unwrap_or_default();
            Preset {
                issuers: tenants
                    .iter()
                    .flat_map(|tenant| {
                        [
                            format!("https://sts.windows.net/{tenant}/"),
                            format!("https://login.microsoftonline.com/{tenant}/v2.0"),
                        ]
                    })
                    .collect(),
                jwks_uri: Some(
                    "https://login.microsoftonline.com/common/discovery/v2.0/keys".to_owned(),
                ),
                context_claims: &["roles", "scp", "tid", "oid"],
                required_claims: if tenants.is_empty() {
                    Vec::new()
                } else {
                    vec![claim("tid", &tenants)]
                },
                ..Preset::default()
            }
        }
        // okta:https://dev-123.okta.com/oauth2/default (the authorization server).
        Provider::Okta => Preset {
            issuers: parameter
                .map(|server| vec![https(server).trim_end_matches('/').to_owned()])
                .unwrap_or_default(),
            context_claims: &["cid", "uid", "scp"],
            ..Preset::default()
        },
        // zitadel:https://your-instance.zitadel.cloud.
        Provider::Zitadel => Preset {
            issuers: parameter
                .map(|instance| vec![https(instance).trim_end_matches('/').to_owned()])
                .unwrap_or_default(),
            context_claims: &["urn:zitadel:iam:org:project:roles", "urn:zitadel:iam:user:resourceowner:id"],
            ..Preset::default()
        },
        // wso2:is.example.com (the server, its port if not 443), or the URL
        // of a tenant or organization, https://is.example.com/t/acme or
        // Asgardeo's https://api.asgardeo.io/t/acme; the issuer itself
        // (…/oauth2/token) names the same. WSO2 IS 5.x to 7.x sign with the
        // keys of `{server}/oauth2/jwks` and name `{server}/oauth2/token` as
        // issuer; the key set is named directly because the discovery
        // document's place changed across versions (5.x served it at
        // /oauth2/oidcdiscovery/…). Access tokens name the client in `aud`
        // (beside the API resources of IS 7) and `azp`, scopes in `scope`
        // (space-separated, or an array when the server is told so), the
        // kind of subject in `aut` (APPLICATION_USER, APPLICATION), the
        // organization in `org_id`, and roles and groups, when the
        // application adds them, in `roles` and `groups`.
        Provider::Wso2 => {
            let server = parameter.map(|server| {
                let url = https(server);
                let url = url.trim_end_matches('/');
                url.strip_suffix("/oauth2/token")
                    .unwrap_or(url)
                    .trim_end_matches('/')
                    .to_owned()
            });
            Preset {
                issuers: server
                    .iter()
                    .map(|server| format!("{server}/oauth2/token"))
                    .collect(),
                jwks_uri: server.map(|server| format!("{server}/oauth2/jwks")),
                context_claims: &["aut", "azp", "org_id", "roles", "groups"],
                ..Preset::default()
            }
        }
    };
    Ok(preset)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names_and_parameters() {
        assert_eq!(Provider::parse("cognito"), Ok((Provider::Cognito, None)));
        assert_eq!(
            Provider::parse("Keycloak:https://sso.example.com/realms/chat"),
            Ok((
                Provider::Keycloak,
                Some("https://sso.example.com/realms/chat")
            ))
        );
        assert_eq!(Provider::parse("entra: "), Ok((Provider::Entra, None)));
        assert!(Provider::parse("google")
            .unwrap_err()
            .contains("cognito, auth0"));
    }

    #[test]
    fn issuers_from_the_parameter() {
        let issuers = |provider, parameter| preset(provider, Some(parameter)).unwrap().issuers;
        assert_eq!(
            issuers(Provider::Cognito, "eu-west-1_AbCdEfGhI"),
            vec!["https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEfGhI"]
        );
        assert!(preset(Provider::Cognito, Some("AbCdEfGhI")).is_err());
        assert_eq!(
            issuers(Provider::Auth0, "tenant.eu.auth0.com"),
            vec!["https://tenant.eu.auth0.com/"]
        );
        assert_eq!(
            issuers(Provider::Auth0, "https://login.example.com/"),
            vec!["https://login.example.com/"]
        );
        assert_eq!(
            issuers(Provider::Firebase, "chat-app"),
            vec!["https://securetoken.google.com/chat-app"]
        );
        assert_eq!(
            preset(Provider::Firebase, Some("chat-app"))
                .unwrap()
                .audiences,
            vec!["chat-app"]
        );
        assert_eq!(
            issuers(Provider::Entra, "t1, t2"),
            vec![
                "https://sts.windows.net/t1/",
                "https://login.microsoftonline.com/t1/v2.0",
                "https://sts.windows.net/t2/",
                "https://login.microsoftonline.com/t2/v2.0"
            ]
        );
        assert_eq!(
            issuers(Provider::Okta, "dev-1.okta.com/oauth2/default/"),
            vec!["https://dev-1.okta.com/oauth2/default"]
        );
        // WSO2: the server, a tenant, Asgardeo, or the issuer itself.
        let wso2 = |parameter| {
            let preset = preset(Provider::Wso2, Some(parameter)).unwrap();
            (preset.issuers, preset.jwks_uri.unwrap())
        };
        for (parameter, server) in [
            ("is.example.com", "https://is.example.com"),
            ("is.example.com:9443/", "https://is.example.com:9443"),
            ("https://is.example.com:9443", "https://is.example.com:9443"),
            (
                "https://is.example.com/oauth2/token",
                "https://is.example.com",
            ),
            (
                "https://is.example.com/t/acme",
                "https://is.example.com/t/acme",
            ),
            (
                "https://is.example.com/t/acme/oauth2/token/",
                "https://is.example.com/t/acme",
            ),
            (
                "https://api.asgardeo.io/t/acme",
                "https://api.asgardeo.io/t/acme",
            ),
        ] {
            assert_eq!(
                wso2(parameter),
                (
                    vec![format!("{server}/oauth2/token")],
                    format!("{server}/oauth2/jwks")
                ),
                "{parameter}"
            );
        }
        let bare = preset(Provider::Wso2, None).unwrap();
        assert!(bare.issuers.is_empty() && bare.jwks_uri.is_none());
        let entra = preset(Provider::Entra, Some("t1,t2")).unwrap();
        assert_eq!(
            entra.required_claims,
            vec![RequiredClaim {
                name: "tid".into(),
                values: vec![json!("t1"), json!("t2")]
            }]
        );
        assert!(preset(Provider::Entra, None)
            .unwrap()
            .required_claims
            .is_empty());
    }

    #[test]
    fn required_claims_syntax() {
        assert_eq!(
            parse_required_claims(
                r#"{"token_use": "id", "tid": ["a", "b"], "email_verified": true}"#
            ),
            Ok(vec![
                RequiredClaim {
                    name: "email_verified".into(),
                    values: vec![json!(true)]
                },
                RequiredClaim {
                    name: "tid".into(),
                    values: vec![json!("a"), json!("b")]
                },
                RequiredClaim {
                    name: "token_use".into(),
                    values: vec![json!("id")]
                },
            ])
        );
        for bad in [
            "[]",
            r#"{"a": []}"#,
            r#"{"a": null}"#,
            r#"{"a": {}}"#,
            "nope",
        ] {
            assert!(parse_required_claims(bad).is_err(), "{bad}");
        }
    }
}
