//! `JWT_PROVIDER` presets with tokens shaped like each provider's, through
//! the handler against a key server on loopback (the preset's issuer is
//! kept; its public key set URL is replaced by the loopback one).

use serde_json::{json, Value};
use testkit::*;
use ws_jwt_authorizer::{Authorizer, Refusal};

struct Setup {
    authorizer: Authorizer,
    key: &'static SigningKey,
    _server: KeyServer,
}

async fn setup(vars: &[(&str, &str)]) -> Setup {
    let key = SigningKey::shared("RS256");
    let server = KeyServer::start(&jwks(&[key])).await;
    let mut all = vec![("JWT_ISSUER_JWKS_URI", server.url.as_str())];
    all.extend_from_slice(vars);
    let config = config_from(&all);
    Setup {
        authorizer: Authorizer::new(config).unwrap(),
        key,
        _server: server,
    }
}

impl Setup {
    /// The answer's principal and context, or the refusal.
    async fn decide(&self, claims: Value) -> Result<(String, Value), Refusal> {
        let mut claims = claims;
        let now = now();
        claims["iat"] = json!(now);
        claims["exp"] = json!(now + 600);
        let token = self.key.sign(&claims);
        match self.authorizer.authorize(&query_event(&token)).await {
            Ok(response) => {
                let response = serde_json::to_value(response).unwrap();
                let effect = &response["policyDocument"]["Statement"][0]["Effect"];
                assert_eq!(effect, "Allow", "{response}");
                Ok((
                    response["principalId"].as_str().unwrap().to_owned(),
                    response["context"].clone(),
                ))
            }
            Err(error) => Err(error.refusal),
        }
    }
}

const POOL_ISSUER: &str = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Test";

#[tokio::test]
async fn cognito_accepts_access_tokens_by_client_id_and_refuses_id_tokens() {
    let cognito = setup(&[
        ("JWT_PROVIDER", "cognito:eu-west-1_Test"),
        ("JWT_AUTHORIZED_AUDIENCES", "app-client"),
    ])
    .await;
    let access = json!({
        "iss": POOL_ISSUER, "sub": "u-1", "client_id": "app-client", "token_use": "access",
        "scope": "chat/write", "cognito:groups": ["admins"], "username": "ada"
    });
    let (principal, context) = cognito.decide(access.clone()).await.unwrap();
    assert_eq!(principal, "u-1");
    assert_eq!(context["cognito:groups"], "[\"admins\"]");
    assert_eq!(context["username"], "ada");

    let id_token = json!({
        "iss": POOL_ISSUER, "sub": "u-1", "aud": "app-client", "token_use": "id",
        "cognito:username": "ada"
    });
    assert_eq!(
        cognito.decide(id_token.clone()).await,
        Err(Refusal::ClaimMismatch)
    );
    let mut other_pool = access;
    other_pool["iss"] = json!("https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Other");
    assert_eq!(cognito.decide(other_pool).await, Err(Refusal::WrongIssuer));

    let id_tokens = setup(&[
        ("JWT_PROVIDER", "cognito:eu-west-1_Test"),
        ("JWT_AUTHORIZED_AUDIENCES", "app-client"),
        ("JWT_REQUIRED_CLAIMS", r#"{"token_use": "id"}"#),
    ])
    .await;
    assert!(id_tokens.decide(id_token).await.is_ok());
}

#[tokio::test]
async fn firebase_refuses_an_auth_time_in_the_future() {
    let firebase = setup(&[
        ("JWT_PROVIDER", "firebase:chat-app"),
        ("JWT_LEEWAY_SECONDS", "0"),
    ])
    .await;
    let token = |auth_time: u64| {
        json!({
            "iss": "https://securetoken.google.com/chat-app", "aud": "chat-app", "sub": "fb-1",
            "auth_time": auth_time, "email": "ada@example.com", "email_verified": true,
            "firebase": {"sign_in_provider": "password"}
        })
    };
    let (_, context) = firebase.decide(token(now() - 60)).await.unwrap();
    assert_eq!(context["email"], "ada@example.com");
    assert_eq!(context["firebase.sign_in_provider"], "password");
    assert_eq!(
        firebase.decide(token(now() + 3600)).await,
        Err(Refusal::AuthTimeInFuture)
    );
}

#[tokio::test]
async fn keycloak_takes_the_client_from_azp_and_roles_from_the_realm() {
    let keycloak = setup(&[
        (
            "JWT_PROVIDER",
            "keycloak:https://sso.example.com/realms/chat",
        ),
        ("JWT_AUTHORIZED_AUDIENCES", "chat-frontend"),
    ])
    .await;
    let token = |azp: &str| {
        json!({
            "iss": "https://sso.example.com/realms/chat", "aud": "account", "azp": azp,
            "sub": "kc-1", "preferred_username": "ada",
            "realm_access": {"roles": ["chat-user", "offline_access"]}
        })
    };
    let (_, context) = keycloak.decide(token("chat-frontend")).await.unwrap();
    assert_eq!(
        context["realm_access.roles"],
        "[\"chat-user\",\"offline_access\"]"
    );
    assert_eq!(context["preferred_username"], "ada");
    assert_eq!(
        keycloak.decide(token("another-client")).await,
        Err(Refusal::WrongAudience)
    );
}

#[tokio::test]
async fn entra_accepts_both_issuer_forms_of_the_listed_tenants_only() {
    let entra = setup(&[
        ("JWT_PROVIDER", "entra:tenant-1"),
        ("JWT_AUTHORIZED_AUDIENCES", "api://chat"),
    ])
    .await;
    let token = |iss: &str, tid: &str| {
        json!({"iss": iss, "tid": tid, "aud": "api://chat", "sub": "e-1", "oid": "o-1",
               "roles": ["Chat.Admin"], "scp": "Chat.Write"})
    };
    let (_, v1) = entra
        .decide(token("https://sts.windows.net/tenant-1/", "tenant-1"))
        .await
        .unwrap();
    assert_eq!(v1["roles"], "[\"Chat.Admin\"]");
    assert_eq!(v1["tid"], "tenant-1");
    assert!(entra
        .decide(token(
            "https://login.microsoftonline.com/tenant-1/v2.0",
            "tenant-1"
        ))
        .await
        .is_ok());
    assert_eq!(
        entra
            .decide(token(
                "https://login.microsoftonline.com/tenant-2/v2.0",
                "tenant-2"
            ))
            .await,
        Err(Refusal::WrongIssuer)
    );
    assert_eq!(
        entra
            .decide(token("https://sts.windows.net/tenant-1/", "tenant-2"))
            .await,
        Err(Refusal::ClaimMismatch),
        "the tid allow-list holds even when the issuer matches"
    );
}

#[tokio::test]
async fn auth0_permissions_count_as_scopes() {
    let auth0 = setup(&[
        ("JWT_PROVIDER", "auth0:tenant.eu.auth0.com"),
        ("JWT_AUTHORIZED_AUDIENCES", "https://chat.example.com"),
        ("JWT_REQUIRED_SCOPES", "chat:write"),
    ])
    .await;
    let token = |permissions: Value| {
        json!({"iss": "https://tenant.eu.auth0.com/", "aud": ["https://chat.example.com", "https://tenant.eu.auth0.com/userinfo"],
               "sub": "auth0|1", "scope": "openid", "permissions": permissions})
    };
    let (_, context) = auth0.decide(token(json!(["chat:write"]))).await.unwrap();
    assert_eq!(context["permissions"], "[\"chat:write\"]");
    // A Deny (403) is a response, not a refusal; `decide` asserts Allow.
    let denied = auth0
        .authorizer
        .authorize(&query_event(&auth0.key.sign(&claims_with(json!({
            "iss": "https://tenant.eu.auth0.com/", "aud": "https://chat.example.com",
            "permissions": ["chat:read"], "scope": "openid"
        })))))
        .await
        .unwrap();
    let denied = serde_json::to_value(denied).unwrap();
    assert_eq!(denied["policyDocument"]["Statement"][0]["Effect"], "Deny");
}

#[tokio::test]
async fn okta_and_zitadel_context_claims() {
    let okta = setup(&[
        ("JWT_PROVIDER", "okta:dev-1.okta.com/oauth2/default"),
        ("JWT_AUTHORIZED_AUDIENCES", "api://default"),
        ("JWT_REQUIRED_SCOPES", "chat.write"),
    ])
    .await;
    let (_, context) = okta
        .decide(
            json!({"iss": "https://dev-1.okta.com/oauth2/default", "aud": "api://default",
                       "sub": "ada@example.com", "cid": "0oa1", "uid": "00u1",
                       "scp": ["openid", "chat.write"]}),
        )
        .await
        .unwrap();
    assert_eq!(
        (&context["cid"], &context["uid"], &context["scp"]),
        (
            &json!("0oa1"),
            &json!("00u1"),
            &json!("[\"openid\",\"chat.write\"]")
        )
    );

    let zitadel = setup(&[
        ("JWT_PROVIDER", "zitadel:https://chat.zitadel.cloud"),
        ("JWT_AUTHORIZED_AUDIENCES", "2468"),
    ])
    .await;
    let (_, context) = zitadel
        .decide(json!({"iss": "https://chat.zitadel.cloud", "aud": ["2468"], "sub": "z-1",
                       "urn:zitadel:iam:org:project:roles": {"admin": {"1357": "chat.zitadel.cloud"}}}))
        .await
        .unwrap();
    assert_eq!(
        context["urn:zitadel:iam:org:project:roles"],
        "{\"admin\":{\"1357\":\"chat.zitadel.cloud\"}}"
    );
}

/// An access token as WSO2 Identity Server 7 issues it (its documentation's
/// decoded example): the client in `aud`, `azp` and `client_id`, the kind of
/// subject in `aut`, the organization in `org_id` and `org_name`, scopes
/// space-separated in `scope`, the issuer `{server}/oauth2/token`.
fn wso2_access_token(iss: &str, scope: Value) -> Value {
    json!({
        "sub": "32bc4697-ed0f-4546-8387-dcd6403e7caa", "aut": "APPLICATION_USER",
        "iss": iss, "client_id": "jVcW4oLn1Jjb2T94H4gtPV9z5Y0a",
        "aud": "jVcW4oLn1Jjb2T94H4gtPV9z5Y0a", "azp": "jVcW4oLn1Jjb2T94H4gtPV9z5Y0a",
        "nbf": now() - 5, "org_id": "10084a8d-113f-4211-a0d5-efe36b082211", "org_name": "Super",
        "scope": scope, "roles": ["orders-admin"], "jti": "0728d517-7968-474f-bd7d-12537ccbe436"
    })
}

#[tokio::test]
async fn wso2_takes_the_client_from_aud_and_scopes_from_scope() {
    let wso2 = setup(&[
        ("JWT_PROVIDER", "wso2:is.example.com"),
        ("JWT_AUTHORIZED_AUDIENCES", "jVcW4oLn1Jjb2T94H4gtPV9z5Y0a"),
        ("JWT_REQUIRED_SCOPES", "orders:read"),
    ])
    .await;
    let token = |scope: Value| wso2_access_token("https://is.example.com/oauth2/token", scope);
    let (principal, context) = wso2
        .decide(token(json!("openid orders:read")))
        .await
        .unwrap();
    assert_eq!(principal, "32bc4697-ed0f-4546-8387-dcd6403e7caa");
    assert_eq!(
        (
            &context["aut"],
            &context["azp"],
            &context["org_id"],
            &context["roles"]
        ),
        (
            &json!("APPLICATION_USER"),
            &json!("jVcW4oLn1Jjb2T94H4gtPV9z5Y0a"),
            &json!("10084a8d-113f-4211-a0d5-efe36b082211"),
            &json!("[\"orders-admin\"]")
        )
    );
    // Scopes as an array (enableJwtScopeAsArray) count the same.
    assert!(wso2
        .decide(token(json!(["openid", "orders:read"])))
        .await
        .is_ok());
    // Without the scope: a Deny (403), not a refusal.
    let mut claims = token(json!("openid"));
    claims["exp"] = json!(now() + 600);
    let denied = wso2
        .authorizer
        .authorize(&query_event(&wso2.key.sign(&claims)))
        .await
        .unwrap();
    let denied = serde_json::to_value(denied).unwrap();
    assert_eq!(denied["policyDocument"]["Statement"][0]["Effect"], "Deny");
    // Another client of the same server, and a tenant's token: not ours.
    let mut other_client = token(json!("orders:read"));
    other_client["aud"] = json!("another-client");
    assert_eq!(wso2.decide(other_client).await, Err(Refusal::WrongAudience));
    assert_eq!(
        wso2.decide(wso2_access_token(
            "https://is.example.com/t/acme/oauth2/token",
            json!("orders:read")
        ))
        .await,
        Err(Refusal::WrongIssuer)
    );
}

#[tokio::test]
async fn wso2_tenants_and_asgardeo_organizations_are_their_own_issuers() {
    for (parameter, iss) in [
        (
            "wso2:https://is.example.com/t/acme",
            "https://is.example.com/t/acme/oauth2/token",
        ),
        (
            "wso2:https://api.asgardeo.io/t/acme",
            "https://api.asgardeo.io/t/acme/oauth2/token",
        ),
        (
            "wso2:https://is.example.com:9443/oauth2/token",
            "https://is.example.com:9443/oauth2/token",
        ),
    ] {
        let wso2 = setup(&[
            ("JWT_PROVIDER", parameter),
            ("JWT_AUTHORIZED_AUDIENCES", "jVcW4oLn1Jjb2T94H4gtPV9z5Y0a"),
        ])
        .await;
        assert!(
            wso2.decide(wso2_access_token(iss, json!("openid")))
                .await
                .is_ok(),
            "{parameter}"
        );
        assert_eq!(
            wso2.decide(wso2_access_token(
                "https://is.example.com/oauth2/token",
                json!("openid")
            ))
            .await,
            Err(Refusal::WrongIssuer),
            "{parameter}: the super tenant's token"
        );
    }
}

/// WSO2's ID tokens name the client in `aud` too, so the preset alone takes
/// them; `aut`, which only access tokens carry, tells them apart when asked.
#[tokio::test]
async fn wso2_id_tokens_are_refused_with_an_aut_rule() {
    let id_token = json!({
        "iss": "https://is.example.com/oauth2/token", "sub": "32bc4697-ed0f-4546-8387-dcd6403e7caa",
        "aud": "jVcW4oLn1Jjb2T94H4gtPV9z5Y0a", "azp": "jVcW4oLn1Jjb2T94H4gtPV9z5Y0a",
        "at_hash": "CXohr-OdgZHI1zTIo4qzrg", "amr": ["BasicAuthenticator"],
        "sid": "9173438d-41e7-42aa-afe7-69d43769554e"
    });
    let preset_alone = setup(&[
        ("JWT_PROVIDER", "wso2:is.example.com"),
        ("JWT_AUTHORIZED_AUDIENCES", "jVcW4oLn1Jjb2T94H4gtPV9z5Y0a"),
    ])
    .await;
    assert!(preset_alone.decide(id_token.clone()).await.is_ok());

    let access_only = setup(&[
        ("JWT_PROVIDER", "wso2:is.example.com"),
        ("JWT_AUTHORIZED_AUDIENCES", "jVcW4oLn1Jjb2T94H4gtPV9z5Y0a"),
        (
            "JWT_REQUIRED_CLAIMS",
            r#"{"aut": ["APPLICATION_USER", "APPLICATION"]}"#,
        ),
    ])
    .await;
    assert_eq!(
        access_only.decide(id_token).await,
        Err(Refusal::ClaimMismatch)
    );
    assert!(access_only
        .decide(wso2_access_token(
            "https://is.example.com/oauth2/token",
            json!("openid")
        ))
        .await
        .is_ok());
}
