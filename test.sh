#!/usr/bin/env bash
# Runs every test of the workspace after installing what the tests need:
#   - sigstore-python 4.5.1 from PyPI, in .venv (Sigstore's own client: the independent check of
#     the devstack and of the log entries gitsign embeds);
#   - git, openssl and python3 from Debian where they are missing (openssl checks the CMS).
# Extra arguments go to `cargo test`.
set -euo pipefail
cd "$(dirname "$0")"

missing=()
for tool in git openssl python3; do command -v "$tool" >/dev/null || missing+=("$tool"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "test.sh: installing ${missing[*]}" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" python3-venv >/dev/null
fi
. scripts/sigstore-python.sh
cargo test --workspace --locked "$@"
