#!/usr/bin/env bash
# Per-commit signing time, in one run: unsigned commits, SSH-signed commits (gpg.format=ssh), and
# commits signed by gitsign (release build) against a local devstack with the identity token
# supplied (SIGSTORE_ID_TOKEN) — each paying for a Fulcio certificate and a Rekor entry — and
# with a warm credential cache (one certificate for all; a Rekor entry each). Usage: benches/commit.sh [N]   (default 30 commits of each kind)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-30}
cargo build --quiet --locked --release --workspace --bins
bin="$PWD/target/release"
work=$(mktemp -d)
"$bin/gitsign-devstack" up --state "$work/state" >/dev/null 2>&1 &
pid=$!
# The stopped servers' status (143) must not end the trap under set -e before the work directory
# (which holds an SSH key and tokens) is removed, nor become the script's exit status.
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 100); do [ -s "$work/state/env.sh" ] && break; sleep 0.1; done
. "$work/state/env.sh"
export HOME="$work" GIT_CONFIG_NOSYSTEM=1
SIGSTORE_ID_TOKEN=$("$bin/gitsign-devstack" token --state "$work/state" --email bench@example.com)
export SIGSTORE_ID_TOKEN
ssh-keygen -q -t ed25519 -N '' -f "$work/ssh_key"

setup() { # $1 = repo dir, rest = git config pairs
  local dir=$1; shift
  git init -q -b main "$dir"
  git -C "$dir" config user.name Bench; git -C "$dir" config user.email bench@example.com
  while [ $# -gt 0 ]; do git -C "$dir" config "$1" "$2"; shift 2; done
}
run() { # $1 = label, $2 = repo dir, $3 = extra commit flag
  local dir=$1 label=$2 flag=${3:-}
  local start end
  start=$(date +%s%N)
  for i in $(seq "$n"); do
    echo "$i" >"$dir/f"; git -C "$dir" add f
    git -C "$dir" commit -q $flag -m "commit $i"
  done
  end=$(date +%s%N)
  awk -v l="$label" -v t=$((end - start)) -v n="$n" 'BEGIN { printf "%-34s %7.2f ms per commit (%d commits)\n", l, t / n / 1e6, n }'
  last_ns=$((end - start))
}
setup "$work/plain"
setup "$work/ssh" gpg.format ssh user.signingkey "$work/ssh_key.pub"
setup "$work/gitsign" gpg.format x509 gpg.x509.program "$bin/gitsign"
setup "$work/cached" gpg.format x509 gpg.x509.program "$bin/gitsign"
git -C "$work/gitsign" commit -q --allow-empty -S -m warm-up
"$bin/gitsign-credential-cache" --socket "$work/cache/cache.sock" 2>/dev/null &
cache_pid=$!
trap 'kill $pid $cache_pid 2>/dev/null || true; wait $pid $cache_pid 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 100); do [ -S "$work/cache/cache.sock" ] && break; sleep 0.05; done
[ -S "$work/cache/cache.sock" ] || { echo "bench: the credential cache did not start" >&2; exit 1; }
run "$work/plain" "unsigned"
run "$work/ssh" "ssh-signed (ed25519)" -S
ssh_ns=$last_ns
run "$work/gitsign" "gitsign (token supplied, devstack)" -S
GITSIGN_CREDENTIAL_CACHE="$work/cache/cache.sock" git -C "$work/cached" commit -q --allow-empty -S -m warm-up
GITSIGN_CREDENTIAL_CACHE="$work/cache/cache.sock" run "$work/cached" "gitsign, warm credential cache" -S
awk -v g="$last_ns" -v s="$ssh_ns" -v l="$(cut -d' ' -f1-3 /proc/loadavg)" \
  'BEGIN { printf "warm-cache gitsign / SSH-signed:   %7.2f x (goal <= 1.2; load %s)\n", g / s, l }'
git -C "$work/gitsign" verify-commit HEAD 2>/dev/null && git -C "$work/cached" verify-commit HEAD 2>/dev/null && echo "(last gitsign commits verified)"
