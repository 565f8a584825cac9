#!/usr/bin/env bash
# Runs every test of the workspace after installing what the tests need (sigstore-python 4.5.1
# from PyPI, in .venv: Sigstore's own client, the independent check of the devstack).
# Extra arguments go to `cargo test`.
set -euo pipefail
cd "$(dirname "$0")"
. scripts/sigstore-python.sh
cargo test --workspace --locked "$@"
