//! The authorizer in process: every check, refusal and answer of
//! `Authorizer::authorize` against a loopback key server, the configured
//! issuers and presets, the adversarial corpus and property tests against
//! plain models.
//!
//! One test binary per subject (authorizer, binary, gateway, vectors,
//! project; the soak runs alone): each links once.

mod adversarial;
mod authorize;
mod claim_rules;
mod issuers;
mod key_store_rules;
mod presets;
mod properties;
