//! Where keys come from and how they are kept: the issuers and their
//! sources (`issuers`), the network edge (`fetch`), the cache with its
//! refresh, backoff and stale rules (`jwks`, `backoff`), and KMS public keys
//! (`kms`, read with a hand-made SigV4, `sigv4`).

pub mod backoff;
pub mod fetch;
pub mod issuers;
pub mod jwks;
pub mod kms;
pub mod sigv4;
