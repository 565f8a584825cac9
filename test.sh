#!/usr/bin/env bash
# Runs every test of the workspace after installing what the tests need:
#   - sigstore-python 4.5.1 from PyPI, in .venv (Sigstore's own client: the independent check of
#     the devstack and of the log entries gitsign embeds);
#   - panva/oidc-provider from npm (a third-party OpenID provider for the login tests);
#   - sigstore-js (@sigstore/verify) from npm (an independent verifier of gitsign's bundles);
#   - Debian's chromium and playwright-core from npm (the devstack log explorer's browser tests);
#   - from Debian where missing: git, openssl (checks the CMS), python3, npm, and dbus +
#     gnome-keyring (the credential cache's keyring mode runs against a real Secret Service).
# Extra arguments go to `cargo test`.
set -euo pipefail
cd "$(dirname "$0")"

missing=()
for pair in git:git openssl:openssl python3:python3 npm:npm dbus-run-session:dbus gnome-keyring-daemon:gnome-keyring; do
  command -v "${pair%%:*}" >/dev/null || missing+=("${pair#*:}")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "test.sh: installing ${missing[*]}" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" python3-venv >/dev/null
fi
. scripts/sigstore-python.sh
if [ ! -d tests/support/oidc-provider/node_modules/oidc-provider ]; then
  echo "test.sh: installing oidc-provider (npm ci)" >&2
  (cd tests/support/oidc-provider && npm ci --no-audit --no-fund --loglevel=error)
fi
if [ ! -d tests/support/sigstore-js/node_modules/@sigstore/verify ]; then
  echo "test.sh: installing sigstore-js (npm ci)" >&2
  (cd tests/support/sigstore-js && npm ci --no-audit --no-fund --loglevel=error)
fi
if ! command -v chromium >/dev/null; then
  echo "test.sh: installing chromium" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
if [ ! -d tests/support/browser/node_modules/playwright-core ]; then
  echo "test.sh: installing playwright-core (npm ci)" >&2
  (cd tests/support/browser && npm ci --no-audit --no-fund --loglevel=error)
fi
# No crate's modules import each other in a cycle (cheap: checked before anything builds).
scripts/module-cycles.sh
# Tests run the binaries of every workspace package (gitsign, gitsign-devstack,
# gitsign-credential-cache); cargo test builds only those of the package under test.
cargo build --workspace --bins --locked
# Every skip is appended to this file by tests/it/common/skip.rs and summed up after the run, where a
# person sees it (libtest captures the tests' own "skipped" lines). Under CI a skip fails instead.
export GITSIGN_TEST_SKIPS_FILE
GITSIGN_TEST_SKIPS_FILE=$(realpath -m "${CARGO_TARGET_DIR:-target}/skipped.txt")
mkdir -p "$(dirname "$GITSIGN_TEST_SKIPS_FILE")" && : > "$GITSIGN_TEST_SKIPS_FILE"
skip_summary() {
  local n; n=$(grep -c . "$GITSIGN_TEST_SKIPS_FILE" 2>/dev/null) || n=0
  if [ "$n" -gt 0 ]; then
    echo "test.sh: $n tests skipped:" >&2; sed 's/^/  /' "$GITSIGN_TEST_SKIPS_FILE" >&2
  else
    echo "test.sh: 0 tests skipped" >&2
  fi
}
trap skip_summary EXIT
cargo test --workspace --locked "$@"
