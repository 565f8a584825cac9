#!/bin/sh
# Puts gitsign (this one, which has `verify --policy`) on PATH for the CI job; the GitHub Actions
# workflow and the GitLab job here call it before verify-push.sh, and gitsign's own tests run it.
#
#   1. A gitsign with `verify --policy` already on PATH (a runner image that has it): used.
#   2. GITSIGN_FROM_CHECKOUT=1 and the checkout is gitsign's own source: built from it. Only
#      gitsign's own CI sets this: the checkout is the code being judged, so a push that adds a
#      Cargo.toml naming itself gitsign must never choose its own judge.
#   3. Otherwise built from the git URL in GITSIGN_REPO (a CI variable: GitHub Settings >
#      Secrets and variables > Actions > Variables; GitLab Settings > CI/CD > Variables),
#      at the commit GITSIGN_REV when set: pin it, as whatever that builds judges
#      your pushes.
# Exits 2, saying what to set, when none applies.
set -eu
if command -v gitsign >/dev/null 2>&1 && gitsign verify --help 2>/dev/null | grep -q -- '--policy'; then
  echo "gitsign: using $(command -v gitsign)"
  exit 0
fi
if [ "${GITSIGN_FROM_CHECKOUT:-}" = 1 ] && [ -f Cargo.toml ] && grep -q '^name = "gitsign"$' Cargo.toml && [ -f git-hooks/ci/verify-push.sh ]; then
  echo "gitsign: building gitsign from this checkout (gitsign's own repository)"
  exec cargo install --locked --path .
fi
if [ -n "${GITSIGN_REPO:-}" ]; then
  echo "gitsign: building gitsign from $GITSIGN_REPO${GITSIGN_REV:+ at $GITSIGN_REV}"
  if [ -n "${GITSIGN_REV:-}" ]; then
    exec cargo install --locked --git "$GITSIGN_REPO" --rev "$GITSIGN_REV" gitsign
  fi
  exec cargo install --locked --git "$GITSIGN_REPO" gitsign
fi
cat >&2 <<'MSG'
gitsign: no gitsign to judge the signatures with: set the CI variable GITSIGN_REPO to the git
URL of gitsign's source (and GITSIGN_REV to the commit to build), or run the job on an
image that has gitsign on PATH. See git-hooks/README.md, "CI".
MSG
exit 2
