//! `gitsign-devstack`: a complete Sigstore on loopback — a Fulcio-compatible CA, a
//! Rekor-compatible transparency log and an OIDC issuer, one port, state in one directory — so
//! keyless signing can be tried and tested with no internet.
//!
//! Modules: [`store`] (the SQLite database), [`state`] (the state directory, keys, client files),
//! [`ca`] (certificates and SCTs), [`fulcio`], [`rekor`] and [`oidc`] (the three services),
//! [`web`] (the page), [`server`] (assembly and lifecycle).
#![forbid(unsafe_code)]

pub mod ca;
pub mod fulcio;
pub mod issuers;
pub mod oidc;
pub mod rekor;
pub mod server;
pub mod state;
pub mod store;
pub mod web;

pub use server::{Devstack, DevstackError, Options, Running, Urls};
