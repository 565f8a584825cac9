#!/usr/bin/env bash
# The main job on the embedded default: starts a local Sigstore (gitsign-devstack) in a temp
# dir, signs a file keylessly against it with Sigstore's own client, verifies the signature
# offline for the signer's identity, prints the transparency-log entry, and stops.
set -euo pipefail
cd "$(dirname "$0")"
cargo build --quiet --locked -p gitsign-devstack
. scripts/sigstore-python.sh
devstack="$PWD/target/debug/gitsign-devstack"
sigstore="$GITSIGN_TEST_SIGSTORE"

state=$(mktemp -d) work=$(mktemp -d)
"$devstack" up --state "$state" >"$work/up.out" 2>"$work/up.err" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$state" "$work"' EXIT
for _ in $(seq 100); do [ -s "$state/env.sh" ] && break; sleep 0.1; done
[ -s "$state/env.sh" ] || { cat "$work/up.err" >&2; echo "demo: the devstack did not start" >&2; exit 1; }
. "$state/env.sh"
echo "== devstack up: Fulcio $GITSIGN_FULCIO_URL, Rekor $GITSIGN_REKOR_URL, issuer $GITSIGN_OIDC_ISSUER"

echo "hello from the gitsign devstack demo" >"$work/hello.txt"
token=$("$devstack" token --state "$state" --email demo@example.com)
echo "== signing hello.txt keylessly as demo@example.com"
HOME="$work" "$sigstore" --trust-config "$state/trust_config.json" sign \
  --identity-token "$token" --bundle "$work/hello.sigstore.json" "$work/hello.txt" 2>&1 | grep -v '^\s*$' | tail -n 2
echo "== verifying offline against the devstack's trusted root"
HOME="$work" "$sigstore" --trust-config "$state/trust_config.json" verify identity --offline \
  --bundle "$work/hello.sigstore.json" --cert-identity demo@example.com \
  --cert-oidc-issuer "$GITSIGN_OIDC_ISSUER" "$work/hello.txt"
echo "== the log entry (GET $GITSIGN_REKOR_URL/api/v1/log/entries?logIndex=0)"
python3 - "$GITSIGN_REKOR_URL" <<'PY'
import base64, json, sys, urllib.request
entries = json.load(urllib.request.urlopen(sys.argv[1] + "/api/v1/log/entries?logIndex=0"))
for uuid, e in entries.items():
    proof = e["verification"]["inclusionProof"]
    print(f"uuid {uuid}\nlog index {e['logIndex']}, integrated at {e['integratedTime']}, tree size {proof['treeSize']}")
    print("body", json.dumps(json.loads(base64.b64decode(e["body"])), indent=1)[:600])
    print("checkpoint:\n" + proof["checkpoint"])
PY
