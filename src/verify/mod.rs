//! Verification: the compact JWS with its unverified reads fenced off
//! (`jws`), the algorithms (`algorithm`), the keys parsed once into
//! verifiers (`keys`) from their material (`public_key`, with the DER
//! reader of `der`), and the two verifier families.

pub mod algorithm;
pub mod curve_verifier;
pub mod der;
pub mod jws;
pub mod keys;
pub mod public_key;
pub mod rsa_verifier;
