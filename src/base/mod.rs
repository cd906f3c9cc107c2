//! What every part uses: the refusals and their codes (`error`), dates
//! (`date`), and what may be printed of a credential-carrying URL
//! (`redact`).

pub mod date;
pub mod error;
pub mod redact;
