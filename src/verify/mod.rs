//! Verification: the compact JWS with its unverified reads fenced off
//! (`jws`), the algorithms (`algorithm`), the keys parsed once into
//! verifiers (`keys`) and the two verifier families.

pub mod algorithm;
pub mod curve_verifier;
pub mod jws;
pub mod keys;
pub mod rsa_verifier;
