//! The project's shape, read from its own files: the modules' imports
//! and sizes, and the README, Terraform and reason codes kept in step with
//! the code.
//!
//! One test binary per subject (authorizer, binary, gateway, vectors,
//! project; the soak runs alone): each links once.

mod architecture;
mod links;
mod prerequisites;
mod terraform_dashboard;
mod terraform_docs;
mod terraform_drift;
