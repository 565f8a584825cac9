//! `gitsign-devstack`: a complete Sigstore on loopback — a Fulcio-compatible CA, a
//! Rekor-compatible transparency log and an OIDC issuer, one port, state in one directory — so
//! keyless signing can be tried and tested with no internet.
//!
//! Modules, in layers; a module imports only from the layers below it (no module cycle):
//! 1. Parts with no dependency inside the crate: [`store`] (the SQLite database), [`ca`]
//!    (certificates and SCTs), [`html`] (escaping and the page frame), [`explorer_view`] (log
//!    entries decoded for people).
//! 2. The services' own state: [`tlog`] (the transparency log: its signer, entries, proofs),
//!    [`oidc`] (the OIDC issuer: its tokens, and its own routes and pages, which share nothing
//!    else), [`issuers`] (every issuer Fulcio trusts).
//! 3. [`services`]: what the handlers share ([`Services`], [`Urls`]).
//! 4. The handlers, [`fulcio`], [`rekor`], [`explorer`] (the log explorer's pages) and [`web`]
//!    (the front page and the trusted root), and [`state`] (the state directory, keys, client
//!    files); [`explorer_cli`] (`gitsign-devstack log`, a client of a running devstack).
//! 5. [`server`]: assembly and lifecycle.
#![forbid(unsafe_code)]

pub mod ca;
pub mod explorer;
pub mod explorer_cli;
pub mod explorer_view;
pub mod fulcio;
pub mod html;
pub mod issuers;
pub mod oidc;
pub mod rekor;
pub mod rekor_v2;
pub mod server;
pub mod services;
pub mod state;
pub mod store;
pub mod tlog;
pub mod tsa;
pub mod web;

pub use server::{Devstack, DevstackError, Options, Running};
pub use services::{Services, Urls};
