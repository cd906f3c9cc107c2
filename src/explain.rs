//! Why a token is allowed or refused, check by check, for a person.
//!
//! `explain` runs the authorizer's own pipeline with an observer that
//! records every step (see [`crate::checks`]): the same checks in the same
//! order, and the decision is that run's, so the explanation cannot disagree
//! with what API Gateway would get.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::Serialize;
use serde_json::{json, Map, Value};

use crate::access::access_rules;
use crate::authorizer::Authorizer;
use crate::checks::Observer;
use crate::claims::{self, claim_checks};
use crate::date;
use crate::error::{Decision, Refusal};
use crate::event::{ApiType, ConnectEvent};
use crate::jws;

/// The result of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// The check passed.
    Pass,
    /// The check failed; the token is refused for its reason.
    Fail,
    /// The configuration turns the check off.
    Skipped,
}

/// One check, with the values it compared.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    /// A stable name: `token`, `format`, `alg`, `kid`, `signature`, `payload`,
    /// `exp`, `nbf`, `iat`, `iss`, `aud`, `principal`, `api`.
    pub name: &'static str,
    /// Passed, failed or skipped.
    pub status: Status,
    /// What was compared with what, for a person.
    pub detail: String,
    /// The reason code a failure is logged with.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'static str>,
}

/// The whole explanation of one token.
#[derive(Debug, Clone, Serialize)]
pub struct Explanation {
    /// What was decided, as in the decision log line.
    pub decision: Decision,
    /// The reason code, as in the decision log line.
    pub reason: &'static str,
    /// The HTTP status the client gets from API Gateway (101 opens the socket).
    pub status: u16,
    /// What API Gateway does, in words.
    pub answer: &'static str,
    /// The token's header, decoded (whether or not it passed the checks).
    pub header: Option<Value>,
    /// The token's claims, decoded; unverified unless `claims_verified`.
    pub claims: Option<Value>,
    /// Whether the signature over `claims` verified.
    pub claims_verified: bool,
    /// The checks in the order the authorizer runs them.
    pub checks: Vec<Check>,
}

impl Explanation {
    /// The process exit code of `explain`: 0 allow, 1 refused, 2 when the
    /// key set could not be had (an operational problem, not the token's).
    pub fn exit_code(&self) -> i32 {
        match self.decision {
            Decision::Allow => 0,
            Decision::Error => 2,
            Decision::Deny | Decision::Unauthorized => 1,
        }
    }
}

/// One step of the pipeline: its name (as `explain` shows it) and the
/// reason codes it can refuse with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    /// The step's name.
    pub name: &'static str,
    /// The refusals it can give.
    pub reasons: &'static [Refusal],
}

/// The steps before the claims, in the order [`Authorizer::authorize`]
/// takes them (the claim checks and access rules are lists of their own).
const TOKEN_STEPS: [Step; 11] = [
    Step {
        name: "event",
        reasons: &[Refusal::NotAnEvent],
    },
    Step {
        name: "token",
        reasons: &[
            Refusal::MissingToken,
            Refusal::ConflictingTokens,
            Refusal::TokenTooLarge,
        ],
    },
    Step {
        name: "format",
        reasons: &[Refusal::MalformedToken],
    },
    Step {
        name: "alg",
        reasons: &[Refusal::AlgorithmNotAllowed],
    },
    // The rest of the header, after its `alg`.
    Step {
        name: "format",
        reasons: &[Refusal::UnsupportedHeader, Refusal::MalformedToken],
    },
    // A header without kid, from an issuer with KMS keys, names the one
    // key that can verify its alg, once every key has been read.
    Step {
        name: "kid",
        reasons: &[Refusal::MissingKid, Refusal::KmsUnavailable],
    },
    // The signature's encoding; an empty one never verifies.
    Step {
        name: "format",
        reasons: &[Refusal::MalformedToken, Refusal::BadSignature],
    },
    Step {
        name: "typ",
        reasons: &[Refusal::WrongType],
    },
    Step {
        name: "issuer",
        reasons: &[Refusal::WrongIssuer],
    },
    Step {
        name: "kid",
        reasons: &[
            Refusal::UnknownKid,
            Refusal::JwksUnavailable,
            Refusal::KmsUnavailable,
        ],
    },
    Step {
        name: "signature",
        reasons: &[Refusal::KeyAlgorithmMismatch, Refusal::BadSignature],
    },
];

/// Every step of a decision in order: the token, its header and key, the
/// signature and payload, the claim checks, the access rules, the answer.
pub fn steps() -> Vec<Step> {
    let payload = Step {
        name: "payload",
        reasons: &[Refusal::MalformedToken],
    };
    let response = Step {
        name: "response",
        reasons: &[Refusal::SubprotocolTooLong, Refusal::ResponseTooLarge],
    };
    let claim_steps = claim_checks().map(|check| Step {
        name: check.name,
        reasons: check.reasons,
    });
    let access_steps = access_rules().map(|check| Step {
        name: check.name,
        reasons: check.reasons,
    });
    TOKEN_STEPS
        .into_iter()
        .chain([payload])
        .chain(claim_steps)
        .chain(access_steps)
        .chain([response])
        .collect()
}

/// Records each step of the pipeline, and the token as a person reads it.
#[derive(Default)]
struct Recorder {
    checks: Vec<Check>,
    header: Option<Value>,
    claims: Option<Map<String, Value>>,
    claims_verified: bool,
}

impl Observer for Recorder {
    const RECORDS: bool = true;

    fn record(
        &mut self,
        name: &'static str,
        result: Result<(), Refusal>,
        detail: impl FnOnce() -> String,
    ) {
        let (status, reason) = match result {
            Ok(()) => (Status::Pass, None),
            Err(refusal) => (Status::Fail, Some(refusal.code())),
        };
        self.checks.push(Check {
            name,
            status,
            detail: detail(),
            reason,
        });
    }

    fn skip(&mut self, name: &'static str, detail: impl FnOnce() -> String) {
        self.checks.push(Check {
            name,
            status: Status::Skipped,
            detail: detail(),
            reason: None,
        });
    }

    fn token(&mut self, token: &str) {
        let mut segments = token.split('.');
        self.header = segments.next().and_then(jws::segment_for_display);
        self.claims = segments
            .next()
            .and_then(jws::segment_for_display)
            .and_then(|value| match value {
                Value::Object(map) => Some(map),
                _ => None,
            });
    }

    fn verified(&mut self, claims: &Map<String, Value>) {
        self.claims = Some(claims.clone());
        self.claims_verified = true;
    }
}

impl Authorizer {
    /// Explains the decision for `event`, fetching the key set if needed.
    pub async fn explain(&self, event: &ConnectEvent) -> Explanation {
        let mut recorder = Recorder::default();
        let (decision, reason, api) = self.observe(event, &mut recorder).await;
        let (status, answer) = seen_by_the_client(decision, api);
        Explanation {
            decision,
            reason,
            status,
            answer,
            header: recorder.header,
            claims: recorder.claims.map(Value::Object),
            claims_verified: recorder.claims_verified,
            checks: recorder.checks,
        }
    }
}

/// The status the client gets from API Gateway for `decision` on `api`
/// (unknown when the event is not one), and what API Gateway does, in words.
fn seen_by_the_client(decision: Decision, api: Option<ApiType>) -> (u16, &'static str) {
    match (decision, api) {
        (Decision::Allow, Some(ApiType::WebSocket) | None) => {
            (101, "Allow policy: the connection opens")
        }
        (Decision::Allow, Some(ApiType::Rest)) => {
            (200, "Allow policy: the request goes on to the integration")
        }
        (Decision::Allow, Some(ApiType::Http)) => (
            200,
            "Allow policy or isAuthorized true: the request goes on to the integration",
        ),
        (Decision::Deny, Some(ApiType::Http)) => {
            (403, "Deny policy or isAuthorized false: 403 Forbidden")
        }
        (Decision::Deny, _) => (403, "Deny policy: 403 Forbidden"),
        (Decision::Unauthorized, _) => (401, "error Unauthorized: 401 Unauthorized"),
        (Decision::Error, _) => (
            500,
            "an error other than Unauthorized: 500 Internal Server Error",
        ),
    }
}
/// A token's header and claims as they are written, with no configuration
/// and no check at all (`explain --decode`): `None` when the header or the
/// payload is not base64url JSON. The signature's length is given, never
/// the signature.
pub fn decode(token: &str) -> Option<Value> {
    let mut parts = token.split('.');
    let header = jws::segment_for_display(parts.next()?)?;
    let claims = jws::segment_for_display(parts.next()?)?;
    let signature_bytes = parts
        .next()
        .and_then(|signature| URL_SAFE_NO_PAD.decode(signature).ok())
        .map(|signature| signature.len());
    let now = date::unix_now();
    let times: Map<String, Value> = ["exp", "nbf", "iat"]
        .into_iter()
        .filter_map(|name| {
            let object = claims.as_object()?;
            object.get(name)?;
            Some((
                name.to_owned(),
                json!(claims::time_detail(object, name, now, 0).replace("; leeway 0 s", "")),
            ))
        })
        .collect();
    Some(json!({
        "verified": false,
        "note": "decoded without a configuration or a key: nothing here has been checked",
        "header": header,
        "claims": claims,
        "times": times,
        "signature_bytes": signature_bytes,
    }))
}

/// [`decode`]'s report as text for a person, marked UNVERIFIED first.
pub fn render_decoded(report: &Value) -> String {
    let pretty = |value: &Value| serde_json::to_string_pretty(value).unwrap_or_default();
    let mut out = String::from(
        "UNVERIFIED: decoded without a configuration or a key; nothing below has been checked.\n",
    );
    out.push_str(&format!(
        "Header:\n{}\nClaims:\n{}\n",
        pretty(&report["header"]),
        pretty(&report["claims"])
    ));
    for (_, time) in report["times"].as_object().into_iter().flatten() {
        out.push_str(&format!("  {}\n", time.as_str().unwrap_or_default()));
    }
    match report["signature_bytes"].as_u64() {
        Some(bytes) => out.push_str(&format!(
            "Signature: {bytes} bytes (not shown, not verified)\n"
        )),
        None => out.push_str("Signature: not base64url (cut short?)\n"),
    }
    out
}
