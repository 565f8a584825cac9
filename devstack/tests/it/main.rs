//! The devstack's integration tests, one test binary (each module was a binary of its own; one
//! binary links tokio, axum and rusqlite once). `cargo test -p gitsign-devstack --test it` runs
//! them; a module's tests are named after it, e.g. `rekor::`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod explorer_cli;
mod fulcio;
mod kill;
mod oidc;
mod rekor;
mod rekor_v2;
mod sigstore_python;
mod state;
mod tsa;
