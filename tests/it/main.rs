//! gitsign's integration tests, one test binary (each module was a binary of its own; one binary
//! links tokio, axum and rusqlite, through the devstack, once). `cargo test -p gitsign --test it`
//! runs them; a module's tests are named after it, e.g. `cargo test --test it git::`.
//! All modules share one process and run on parallel threads: no test sets process-wide state
//! (environment variables, the current directory); each passes what it needs to its child
//! processes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

mod attest;
mod cli;
mod conformance;
mod credential_cache;
mod differential;
mod dsse;
mod explorer;
mod faults;
mod git;
mod gitconfig;
mod history;
mod hooks;
mod login;
mod realworld;
mod rekor_v2;
mod settings;
mod sha256;
mod show;
mod sigstore_js;
mod sigstore_python;
mod size_caps;
mod third_party_oidc;
mod tokens;
mod tuf;
mod verify_claims;
