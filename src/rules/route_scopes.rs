//! `ROUTE_SCOPES`: the scopes each route needs, as the managed JWT
//! authorizer's `authorizationScopes`, and what an IAM answer must say so
//! that API Gateway's authorizer cache, which reuses one answer for every
//! route of the API, neither refuses a route the token may call nor admits
//! one it may not.
//!
//! A route is written as API Gateway writes its key: `GET /orders/{id}`,
//! `ANY /{proxy+}`, `$default`, `$connect`. In a policy it becomes an
//! execute-api resource on the request's own API and stage, its path
//! parameters as wildcards (`GET/orders/*`). IAM's `*` matches across `/`,
//! so a route's wildcard also reaches longer paths under it: a Deny for
//! `GET /orders/{id}` covers `GET /orders/1/items` as well. That errs toward
//! refusing, never toward admitting; `explain` shows which route decided.

use std::collections::BTreeMap;

use crate::arn::ArnPattern;

/// JSON object from route key to the scopes it needs (one of them suffices).
pub const ROUTE_SCOPES: &str = "ROUTE_SCOPES";

/// The methods a route key may name.
const METHODS: [&str; 8] = [
    "ANY", "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS",
];

/// One route of `ROUTE_SCOPES`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// The key as written (`GET /orders/{id}`).
    pub key: String,
    /// What follows `{api}/{stage}/` in its resources (`GET/orders/*`);
    /// `None` for `$default`, which is every request no other route takes
    /// and so has no resource of its own.
    resource: Option<String>,
    /// One of these must be granted; none listed: any token may call it.
    pub scopes: Vec<String>,
}

/// The routes and their scopes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RouteScopes {
    routes: Vec<Route>,
}

/// What an IAM answer says about the listed routes for one token.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Reach {
    /// Resources the token may call.
    pub allow: Vec<String>,
    /// Resources it may not.
    pub deny: Vec<String>,
}

impl RouteScopes {
    /// Parses `{"GET /orders/{id}": ["orders:read"], …}`.
    pub fn parse(json: &str) -> Result<Self, String> {
        let entries: BTreeMap<String, Vec<String>> = serde_json::from_str(json).map_err(|_| {
            "must be a JSON object from route key (\"GET /orders/{id}\", \"$default\") to a list of scopes".to_owned()
        })?;
        let mut routes = Vec::with_capacity(entries.len());
        for (key, scopes) in entries {
            let resource = route_resource(&key)?;
            if scopes
                .iter()
                .any(|scope| scope.trim().is_empty() || scope.contains(' '))
            {
                return Err(format!("{key:?} lists an empty scope or one with a space"));
            }
            routes.push(Route {
                key,
                resource,
                scopes,
            });
        }
        Ok(RouteScopes { routes })
    }

    /// The routes, in key order.
    pub fn routes(&self) -> &[Route] {
        &self.routes
    }

    /// The routes as `ROUTE_SCOPES` JSON (empty when none is listed).
    pub fn to_json(&self) -> String {
        if self.routes.is_empty() {
            return String::new();
        }
        let entries: BTreeMap<&str, &[String]> = self
            .routes
            .iter()
            .map(|route| (route.key.as_str(), route.scopes.as_slice()))
            .collect();
        serde_json::to_string(&entries).unwrap_or_default()
    }

    /// Whether no route is listed.
    pub fn is_empty(&self) -> bool {
        self.routes.is_empty()
    }

    /// The routes whose scopes `granted` lacks and that refuse the request
    /// on `arn`: its own route when the event names one (`route_key`),
    /// listed or not; else (a `TOKEN` event) every listed route whose
    /// resource reaches the ARN. Empty when the request may go on.
    pub fn refusing<'r>(
        &'r self,
        route_key: Option<&str>,
        arn: &str,
        granted: &[&str],
    ) -> Vec<&'r Route> {
        let refused = self.routes.iter().filter(|route| !route.granted(granted));
        match (route_key, stage_prefix(arn)) {
            (Some(key), _) => refused.filter(|route| route.key == key).collect(),
            (None, Some(stage)) => refused
                .filter(|route| {
                    route
                        .resource
                        .as_ref()
                        .is_some_and(|resource| reaches(&format!("{stage}{resource}"), arn))
                })
                .collect(),
            (None, None) => Vec::new(),
        }
    }

    /// What an IAM answer for the request on `arn` (allowed or not) may say
    /// of the listed routes besides it, for API Gateway's cache: their
    /// resources on the request's API and stage, split by whether `granted`
    /// lets the token call them. `None` when no answer can say it safely,
    /// because a route the token may not call reaches the allowed request
    /// or a route it may (a
    /// refused `ANY /{proxy+}` beside a granted `GET /orders/{id}`): the
    /// answer then names the request alone, and a cached one refuses the
    /// other routes rather than admit one it should not.
    ///
    /// `$default` granted allows the whole stage (the Denies still hold);
    /// refused, it takes every path no other route serves, which a
    /// wildcard Allow would reach too: only exact resources are allowed.
    pub fn reach(&self, arn: &str, granted: &[&str], request_allowed: bool) -> Option<Reach> {
        let mut reach = Reach::default();
        let Some(stage) = stage_prefix(arn) else {
            return Some(reach);
        };
        let mut default_refused = false;
        for route in &self.routes {
            let resource = match &route.resource {
                Some(resource) => format!("{stage}{resource}"),
                None if route.granted(granted) => format!("{stage}*"),
                None => {
                    default_refused = true;
                    continue;
                }
            };
            if route.granted(granted) {
                reach.allow.push(resource);
            } else {
                reach.deny.push(resource);
            }
        }
        if default_refused {
            reach.allow.retain(|resource| !resource.contains('*'));
        }
        let overlaps = reach.deny.iter().any(|denied| {
            (request_allowed && reaches(denied, arn))
                || reach.allow.iter().any(|allowed| reaches(denied, allowed))
        });
        (!overlaps).then_some(reach)
    }
}

/// Whether the resource `pattern` (IAM's `*`) reaches `resource`, read as
/// text: a pattern that reaches a pattern's text reaches every ARN it does.
fn reaches(pattern: &str, resource: &str) -> bool {
    ArnPattern::parse(pattern).is_ok_and(|pattern| pattern.matches(resource))
}

impl Route {
    /// Whether `granted` holds one of the route's scopes (or it needs none).
    pub fn granted(&self, granted: &[&str]) -> bool {
        self.scopes.is_empty()
            || self
                .scopes
                .iter()
                .any(|scope| granted.contains(&scope.as_str()))
    }
}

/// `arn:aws:execute-api:{region}:{account}:{api}/{stage}/`, the part of an
/// execute-api ARN every route of its API and stage shares.
fn stage_prefix(arn: &str) -> Option<&str> {
    let resource_start = arn.match_indices(':').nth(4)?.0 + 1;
    if !arn.starts_with("arn:") || !arn[..resource_start].contains(":execute-api:") {
        return None;
    }
    let api_end = resource_start + arn[resource_start..].find('/')?;
    let stage_end = api_end + 1 + arn[api_end + 1..].find('/')?;
    Some(&arn[..=stage_end])
}

/// What follows `{api}/{stage}/` in the resources of `key`.
fn route_resource(key: &str) -> Result<Option<String>, String> {
    match key {
        "$default" => return Ok(None),
        "$connect" | "$disconnect" => return Ok(Some(key.to_owned())),
        _ => {}
    }
    let malformed = || {
        format!(
            "{key:?} is not a route key (METHOD /path with {{name}} or a final {{name+}}, or $default, $connect)"
        )
    };
    let (method, path) = key.split_once(' ').ok_or_else(malformed)?;
    if !METHODS.contains(&method) || !path.starts_with('/') {
        return Err(malformed());
    }
    let segments: Vec<&str> = path[1..].split('/').collect();
    let mut resource = String::from(if method == "ANY" { "*" } else { method });
    for (index, segment) in segments.iter().enumerate() {
        let last = index + 1 == segments.len();
        resource.push('/');
        match segment
            .strip_prefix('{')
            .and_then(|rest| rest.strip_suffix('}'))
        {
            Some(name) if name.ends_with('+') && last && name.len() > 1 => resource.push('*'),
            Some(name) if !name.is_empty() && !name.contains(['+', '{', '}', '*']) => {
                resource.push('*')
            }
            Some(_) => return Err(malformed()),
            None if segment.contains(['{', '}', '*', ' ']) => return Err(malformed()),
            None if segment.is_empty() && !(last && index == 0) => return Err(malformed()),
            None => resource.push_str(segment),
        }
    }
    Ok(Some(resource))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ARN: &str = "arn:aws:execute-api:eu-west-1:123456789012:abc123/prod/GET/orders/42";
    const STAGE: &str = "arn:aws:execute-api:eu-west-1:123456789012:abc123/prod/";

    fn scopes(json: &str) -> RouteScopes {
        RouteScopes::parse(json).unwrap()
    }

    #[test]
    fn route_keys_become_resources_with_parameters_as_wildcards() {
        for (key, resource) in [
            ("GET /orders", Some("GET/orders")),
            ("GET /orders/{id}", Some("GET/orders/*")),
            ("POST /orders/{id}/items", Some("POST/orders/*/items")),
            ("ANY /{proxy+}", Some("*/*")),
            ("DELETE /a/{b}/{rest+}", Some("DELETE/a/*/*")),
            ("GET /", Some("GET/")),
            ("$connect", Some("$connect")),
            ("$default", None),
        ] {
            assert_eq!(route_resource(key).unwrap().as_deref(), resource, "{key}");
        }
        for bad in [
            "get /orders",
            "GET orders",
            "GET /orders/{id",
            "GET /{proxy+}/x",
            "GET /a//b",
            "GET /a/{}",
            "GET /a*",
            "FETCH /a",
            "$other",
            "",
        ] {
            assert!(route_resource(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_value_must_be_an_object_of_scope_lists() {
        for bad in [
            r#"["GET /a"]"#,
            r#"{"GET /a": "read"}"#,
            r#"{"GET /a": [""]}"#,
            "nope",
        ] {
            assert!(RouteScopes::parse(bad).is_err(), "{bad}");
        }
        assert!(RouteScopes::parse(r#"{"GET /a": []}"#).is_ok());
    }

    #[test]
    fn the_stage_prefix_is_the_requests_api_and_stage() {
        assert_eq!(stage_prefix(ARN), Some(STAGE));
        assert_eq!(
            stage_prefix("arn:aws:execute-api:eu-west-1:1:abc/prod/$connect"),
            Some("arn:aws:execute-api:eu-west-1:1:abc/prod/")
        );
        for bad in [
            "",
            "arn:aws:lambda:eu-west-1:1:function/x/y",
            "arn:aws:execute-api:r:1:abc",
        ] {
            assert_eq!(stage_prefix(bad), None, "{bad}");
        }
    }

    #[test]
    fn an_answer_allows_the_granted_routes_and_denies_the_others() {
        let routes = scopes(
            r#"{"GET /orders/{id}": ["orders:read"], "DELETE /orders/{id}": ["orders:admin"],
                "GET /health": [], "$default": ["misc"]}"#,
        );
        // `$default` refused: wildcard Allows would reach the paths it serves.
        assert_eq!(
            routes.reach(ARN, &["orders:read"], true),
            Some(Reach {
                allow: vec![format!("{STAGE}GET/health")],
                deny: vec![format!("{STAGE}DELETE/orders/*")],
            })
        );
        let everything = routes
            .reach(ARN, &["orders:read", "orders:admin", "misc"], true)
            .unwrap();
        assert!(everything.deny.is_empty());
        assert!(everything.allow.contains(&format!("{STAGE}*")));
        assert!(everything.allow.contains(&format!("{STAGE}GET/orders/*")));
        assert_eq!(
            routes.reach("not an arn", &["orders:read"], true),
            Some(Reach::default())
        );
    }

    #[test]
    fn overlapping_routes_leave_the_answer_to_the_request_alone() {
        let routes = scopes(
            r#"{"GET /orders/{id}": ["orders:read"], "GET /health": [], "ANY /{proxy+}": ["api"]}"#,
        );
        // The refused catch-all reaches the request and the granted routes.
        assert_eq!(routes.reach(ARN, &["orders:read"], true), None);
        assert!(routes.reach(ARN, &["orders:read", "api"], true).is_some());
        let nested = scopes(
            r#"{"GET /orders/{id}": ["orders:read"], "GET /orders/{id}/items": ["items:read"]}"#,
        );
        assert_eq!(nested.reach(ARN, &["items:read"], true), None);
        // The other way round the Deny is narrower than the Allow: it holds.
        assert_eq!(
            nested.reach(ARN, &["orders:read"], true),
            Some(Reach {
                allow: vec![format!("{STAGE}GET/orders/*")],
                deny: vec![format!("{STAGE}GET/orders/*/items")],
            })
        );
    }

    #[test]
    fn the_request_is_refused_by_its_own_route_or_without_one_by_its_arn() {
        let routes = scopes(
            r#"{"GET /orders/{id}": ["orders:read"], "GET /orders/{id}/items": ["items:read"],
                "$default": ["misc"]}"#,
        );
        let keys = |refusing: Vec<&Route>| -> Vec<String> {
            refusing.iter().map(|route| route.key.clone()).collect()
        };
        assert!(routes
            .refusing(Some("GET /orders/{id}"), ARN, &["orders:read"])
            .is_empty());
        assert_eq!(
            keys(routes.refusing(Some("GET /orders/{id}"), ARN, &["items:read"])),
            ["GET /orders/{id}"]
        );
        // A named route decides alone, listed or not.
        let items = format!("{STAGE}GET/orders/42/items");
        assert!(routes
            .refusing(Some("GET /orders/{id}/items"), &items, &["items:read"])
            .is_empty());
        assert!(routes.refusing(Some("GET /other"), &items, &[]).is_empty());
        assert_eq!(
            keys(routes.refusing(Some("$default"), &format!("{STAGE}GET/other"), &[])),
            ["$default"]
        );
        // Without a route key (a TOKEN event), the ARN decides: every
        // refused route that reaches it.
        assert_eq!(keys(routes.refusing(None, ARN, &[])), ["GET /orders/{id}"]);
        assert_eq!(
            keys(routes.refusing(None, &items, &["items:read"])),
            ["GET /orders/{id}"]
        );
        assert!(routes
            .refusing(None, &format!("{STAGE}GET/other"), &[])
            .is_empty());
    }
}
