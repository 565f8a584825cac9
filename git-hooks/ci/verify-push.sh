#!/bin/sh
# Judges the commits a push or a merge request adds by the signing policy kept in the
# repository, read from the commit they are added to (BASE), so that a change to the policy
# cannot approve itself. The GitHub Actions workflow and the GitLab job here call this script;
# gitsign's own tests run it too.
#
# Usage: verify-push.sh BASE HEAD REF
#   BASE  the commit the push or merge request builds on (all zeros or empty: a new branch,
#         then its merge base with $GITSIGN_DEFAULT_BRANCH, default origin/main)
#   HEAD  the pushed commit
#   REF   the ref whose rule applies, e.g. refs/heads/main
# Environment: GITSIGN (the program, default gitsign), GITSIGN_POLICY_PATH (default
# .gitsign/policy.toml).
set -eu
[ $# -eq 3 ] || { echo "usage: $0 BASE HEAD REF" >&2; exit 2; }
base=$1 head=$2 ref=$3
case $base in
  *[!0]*) ;;
  *) base=$(git merge-base "$head" "${GITSIGN_DEFAULT_BRANCH:-origin/main}") ;;
esac
policy_path=${GITSIGN_POLICY_PATH:-.gitsign/policy.toml}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if ! git show "$base:$policy_path" > "$tmp/policy.toml"; then
  echo "gitsign: $base has no $policy_path: no policy to judge the commits by" >&2
  exit 2
fi
"${GITSIGN:-gitsign}" verify --policy "$tmp/policy.toml" --ref "$ref" "$base..$head"
