//! `gitsign-credential-cache`: a per-user daemon that keeps gitsign's ephemeral credentials —
//! private key, certificate and chain — in memory only, so one login serves every signature made
//! while the certificate lives (a whole rebase). [`protocol`] is the wire format both sides
//! share, [`client`] gitsign's side, [`daemon`] the server's, [`setup`] its socket and hardening.
#![forbid(unsafe_code)]

pub mod client;
pub mod daemon;
pub mod protocol;
pub mod setup;
