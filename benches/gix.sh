#!/usr/bin/env bash
# Issue 16's gix measurement (benches/gix/src/main.rs): a history's commits read in-process with
# gix against `git cat-file --batch --buffer` (what `gitsign verify` runs), and `gitsign.*` read
# with gix against `git config` (what gitsign runs when its own reader is not sure), with the
# view each gives of a config with an include, a conditional include and GIT_CONFIG_COUNT.
# Its own workspace: gix is built only here, never by CI or the product.
#
# Usage: benches/gix.sh [REPO] [ROUNDS]   (default: the bench repository of 10,000 commits that
#   `cargo bench --bench verify_history` generates, target/bench-verify/own-10000; 5 rounds)
set -euo pipefail
cd "$(dirname "$0")/.."
repo=${1:-target/bench-verify/own-10000}
[ -d "$repo/.git" ] || { echo "bench: no repository at $repo (run cargo bench --bench verify_history first)" >&2; exit 1; }
cargo build --quiet --locked --release --manifest-path benches/gix/Cargo.toml --target-dir target/gix-compare
target/gix-compare/release/gix-compare "$repo" "${2:-5}"
