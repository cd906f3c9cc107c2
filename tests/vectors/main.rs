//! Published vectors (Wycheproof, RFC 7520 / RFC 8037) and the
//! differential corpus against aws-jwt-verify and PyJWT, through the code the
//! authorizer runs.
//!
//! One test binary per subject (authorizer, binary, gateway, vectors,
//! project; the soak runs alone): each links once.

mod differential;
mod published;
