#!/usr/bin/env bash
# The main job on the embedded default: starts a local Sigstore (gitsign-devstack) in a temp
# dir, makes a repository, signs a commit keylessly through `git commit -S` with gitsign,
# verifies it with `git verify-commit` and `gitsign verify`, prints its transparency-log entry,
# and stops. Nothing is left behind.
set -euo pipefail
cd "$(dirname "$0")"
cargo build --quiet --locked --workspace --bins
bin="$PWD/target/debug"

state=$(mktemp -d) repo=$(mktemp -d)
"$bin/gitsign-devstack" up --state "$state" >/dev/null 2>"$state.err" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$state" "$state.err" "$repo"' EXIT
for _ in $(seq 100); do [ -s "$state/env.sh" ] && break; sleep 0.1; done
[ -s "$state/env.sh" ] || { cat "$state.err" >&2; echo "demo: the devstack did not start" >&2; exit 1; }
. "$state/env.sh"
echo "== devstack: Fulcio $GITSIGN_FULCIO_URL, Rekor $GITSIGN_REKOR_URL, OIDC issuer $GITSIGN_OIDC_ISSUER"

cd "$repo"
export HOME="$repo" GIT_CONFIG_NOSYSTEM=1
git init -q -b main
git config user.name "Demo User"
git config user.email demo@example.com
git config gpg.format x509
git config gpg.x509.program "$bin/gitsign"
git config commit.gpgsign true
# A token from the devstack's issuer, as a CI job would have; interactively, gitsign opens the
# issuer's login page instead.
SIGSTORE_ID_TOKEN=$("$bin/gitsign-devstack" token --state "$state" --email demo@example.com)
export SIGSTORE_ID_TOKEN

echo "hello, keyless signing" >hello.txt
git add hello.txt
echo "== git commit (signed by gitsign)"
git commit -q -m "A keylessly signed commit"
git log --format='%H %G? %s' -1
echo "== git verify-commit HEAD"
git verify-commit HEAD
echo "== gitsign verify --certificate-identity demo@example.com --certificate-oidc-issuer $GITSIGN_OIDC_ISSUER HEAD"
"$bin/gitsign" verify --certificate-identity demo@example.com --certificate-oidc-issuer "$GITSIGN_OIDC_ISSUER" HEAD
echo "== the log entry (GET $GITSIGN_REKOR_URL/api/v1/log/entries?logIndex=0)"
python3 - "$GITSIGN_REKOR_URL" <<'PY'
import base64, json, sys, urllib.request
entries = json.load(urllib.request.urlopen(sys.argv[1] + "/api/v1/log/entries?logIndex=0"))
for uuid, e in entries.items():
    body = json.loads(base64.b64decode(e["body"]))
    proof = e["verification"]["inclusionProof"]
    print(f"uuid {uuid}\nlog index {e['logIndex']}, integrated at {e['integratedTime']}, tree size {proof['treeSize']}")
    print(f"kind {body['kind']} {body['apiVersion']}, signed-attributes digest sha256:{body['spec']['data']['hash']['value']}")
    print("checkpoint:\n" + proof["checkpoint"])
PY
