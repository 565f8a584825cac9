#!/usr/bin/env bash
# The cost of one gitsign process under git (issue 16), in one run, side by side with SSH signing
# (git's own ssh-keygen signer and verifier) as the reference:
#   1. signing: ms per commit, unsigned / SSH-signed (ed25519) / gitsign with a warm credential
#      cache (one certificate, a Rekor entry each, against a local devstack), and the ratio
#      gitsign ÷ SSH (benches/commit.sh's figure; goal ≤ 1.2);
#   2. verifying the same N commits: `git log --show-signature -N` minus `git log -N`, ÷ N, and
#      `git verify-commit C` minus `git cat-file commit C` (a plain git process reading the same
#      commit), per commit — for gitsign (goal ≤ 3 ms) and for SSH.
# Batches of each kind are interleaved and the median of RUNS repetitions is taken, so that the
# load of a shared machine falls on all kinds alike; the load average is printed beside the figures.
#
# Usage: benches/per_process.sh [N]   (default 300 commits of each kind; RUNS=5 repetitions)
#   BENCH_BIN: the directory of gitsign, gitsign-devstack, gitsign-credential-cache (default: the
#   release build, built first).
#   BENCH_BASELINE: another gitsign binary (e.g. a build of the previous commit), measured in the
#   same run, interleaved, as the kind "baseline": before and after side by side.
#   BENCH_INCLUDE=1: a global config with a conditional include (`includeIf "gitdir:…"`, as
#   many developers keep one for work repositories) for every kind.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-300}
runs=${RUNS:-5}
if [ -z "${BENCH_BIN:-}" ]; then
  cargo build --quiet --locked --release --workspace --bins
  bin="$PWD/target/release"
else
  bin=$(cd "$BENCH_BIN" && pwd)
fi
work=$(mktemp -d)
"$bin/gitsign-devstack" up --state "$work/state" >/dev/null 2>&1 &
pid=$!
cache_pid=
# The stopped servers' status (143) must not end the trap under set -e before the work directory
# (which holds an SSH key and tokens) is removed, nor become the script's exit status.
trap 'kill $pid $cache_pid 2>/dev/null || true; wait $pid $cache_pid 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 100); do [ -s "$work/state/env.sh" ] && break; sleep 0.1; done
[ -s "$work/state/env.sh" ] || { echo "bench: the devstack did not start" >&2; exit 1; }
. "$work/state/env.sh"
export HOME="$work" GIT_CONFIG_NOSYSTEM=1 LC_ALL=C
if [ "${BENCH_INCLUDE:-0}" = 1 ]; then
  printf '[includeIf "gitdir:%s/"]\n\tpath = work.cfg\n' "$work" >"$work/.gitconfig"
  printf '[user]\n\temail = bench@example.com\n' >"$work/work.cfg"
  echo "global config: an includeIf \"gitdir:$work/\""
fi
SIGSTORE_ID_TOKEN=$("$bin/gitsign-devstack" token --state "$work/state" --email bench@example.com)
export SIGSTORE_ID_TOKEN
ssh-keygen -q -t ed25519 -N '' -f "$work/ssh_key"
echo "bench@example.com $(cut -d' ' -f1-2 "$work/ssh_key.pub")" >"$work/allowed_signers"
"$bin/gitsign-credential-cache" --socket "$work/cache/cache.sock" 2>/dev/null &
cache_pid=$!
for _ in $(seq 100); do [ -S "$work/cache/cache.sock" ] && break; sleep 0.05; done
[ -S "$work/cache/cache.sock" ] || { echo "bench: the credential cache did not start" >&2; exit 1; }
export GITSIGN_CREDENTIAL_CACHE="$work/cache/cache.sock"

now() { date +%s%N; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
setup() { # $1 = repo dir, rest = git config pairs
  local dir=$1; shift
  git init -q -b main "$dir"
  git -C "$dir" config user.name Bench; git -C "$dir" config user.email bench@example.com
  while [ $# -gt 0 ]; do git -C "$dir" config "$1" "$2"; shift 2; done
}
setup "$work/plain"
setup "$work/ssh" gpg.format ssh user.signingkey "$work/ssh_key.pub" gpg.ssh.allowedSignersFile "$work/allowed_signers"
setup "$work/gitsign" gpg.format x509 gpg.x509.program "$bin/gitsign"
kinds=(plain ssh gitsign)
if [ -n "${BENCH_BASELINE:-}" ]; then
  setup "$work/baseline" gpg.format x509 gpg.x509.program "$(realpath "$BENCH_BASELINE")"
  git -C "$work/baseline" commit -q --allow-empty -S -m warm-up
  kinds+=(baseline)
fi
# The first signature logs in (fills the cache); it is not timed.
git -C "$work/gitsign" commit -q --allow-empty -S -m warm-up
git -C "$work/ssh" commit -q --allow-empty -S -m warm-up
git -C "$work/plain" commit -q --allow-empty -m warm-up

# 1. Signing: batches of 10 commits of each kind in turn; total ns per kind.
declare -A spent=([plain]=0 [ssh]=0 [gitsign]=0 [baseline]=0)
commits() { # $1 = kind, $2 = first index, $3 = count, $4 = commit flag
  local dir=$work/$1 start end i
  start=$(now)
  for ((i = $2; i < $2 + $3; i++)); do
    echo "$i" >"$dir/f"; git -C "$dir" add f
    git -C "$dir" commit -q $4 -m "commit $i"
  done
  end=$(now)
  spent[$1]=$((spent[$1] + end - start))
}
load_sign=$(cut -d' ' -f1-3 /proc/loadavg)
for ((done = 0; done < n; done += 10)); do
  batch=$((n - done < 10 ? n - done : 10))
  commits plain "$done" "$batch" ""
  commits ssh "$done" "$batch" -S
  commits gitsign "$done" "$batch" -S
  [ -z "${BENCH_BASELINE:-}" ] || commits baseline "$done" "$batch" -S
done
printf 'signing, %d commits each (load %s):\n' "$n" "$load_sign"
for k in "${kinds[@]}"; do
  awk -v k="$k" -v t="${spent[$k]}" -v n="$n" 'BEGIN { printf "  %-32s %7.2f ms per commit\n", k, t / n / 1e6 }'
done
awk -v g="${spent[gitsign]}" -v s="${spent[ssh]}" \
  'BEGIN { printf "  warm-cache gitsign / SSH-signed:  %7.2f x (goal <= 1.2)\n", g / s }'
[ -z "${BENCH_BASELINE:-}" ] || awk -v g="${spent[baseline]}" -v s="${spent[ssh]}" \
  'BEGIN { printf "  warm-cache baseline / SSH-signed: %7.2f x\n", g / s }'

# 2. Verifying. Every signature must verify, else no figure means anything.
gs_good=$(git -C "$work/gitsign" log --show-signature -"$n" 2>&1 | grep -c 'Good signature from' || true)
ssh_good=$(git -C "$work/ssh" log --show-signature -"$n" 2>&1 | grep -c 'Good "git" signature' || true)
if [ "$gs_good" -ne "$n" ] || [ "$ssh_good" -ne "$n" ]; then
  echo "bench: $gs_good of $n gitsign and $ssh_good of $n SSH signatures verified under git log" >&2
  exit 1
fi
mapfile -t gs_commits < <(git -C "$work/gitsign" rev-list -"$n" main)
if [ -n "${BENCH_BASELINE:-}" ]; then
  cp -a "$work/gitsign" "$work/baseline-verify"
  git -C "$work/baseline-verify" config gpg.x509.program "$(realpath "$BENCH_BASELINE")"
fi
mapfile -t ssh_commits < <(git -C "$work/ssh" rev-list -"$n" main)
timed() { # prints the ns the command took
  local a b
  a=$(now); "$@" >/dev/null 2>&1 || { echo "bench: failed: $*" >&2; exit 1; }; b=$(now)
  echo $((b - a))
}
each() { # $1 = repo, $2 = git subcommand, rest = commits: runs one git process per commit
  local dir=$1 sub=$2 c; shift 2
  for c in "$@"; do
    if [ "$sub" = cat-file ]; then git -C "$dir" cat-file commit "$c"; else git -C "$dir" verify-commit "$c"; fi
  done
}
vkinds=(gitsign ssh)
[ -z "${BENCH_BASELINE:-}" ] || vkinds+=(baseline)
: >"$work/t"
load_verify=$(cut -d' ' -f1-3 /proc/loadavg)
for ((r = 0; r < runs; r++)); do
  for kind in "${vkinds[@]}"; do
    # The baseline verifies the gitsign repository's commits with the other binary, in a copy
    # whose own config names it (not `git -c`: GIT_CONFIG_PARAMETERS sends gitsign's config
    # read to a `git config` process, ~1 ms that the kind it is compared with does not pay).
    dir=$work/$kind
    if [ "$kind" = baseline ]; then dir=$work/baseline-verify; fi
    if [ "$kind" = ssh ]; then list=("${ssh_commits[@]}"); else list=("${gs_commits[@]}"); fi
    echo "$kind log-plain $(timed git -C "$dir" log -"$n")" >>"$work/t"
    echo "$kind log-sig $(timed git -C "$dir" log --show-signature -"$n")" >>"$work/t"
    echo "$kind cat-file $(timed each "$dir" cat-file "${list[@]}")" >>"$work/t"
    echo "$kind verify-commit $(timed each "$dir" verify-commit "${list[@]}")" >>"$work/t"
  done
done
med() { awk -v k="$1" -v m="$2" '$1 == k && $2 == m { print $3 }' "$work/t" | median; }
printf 'verifying, %d commits each, median of %d runs (load %s):\n' "$n" "$runs" "$load_verify"
for kind in "${vkinds[@]}"; do
  for pair in "log --show-signature:log-sig:log-plain" "verify-commit:verify-commit:cat-file"; do
    IFS=: read -r label with without <<<"$pair"
    awk -v k="$kind" -v l="$label" -v a="$(med "$kind" "$with")" -v b="$(med "$kind" "$without")" -v n="$n" \
      'BEGIN { printf "  %-8s %-22s %6.2f ms per verification (%.1f - %.1f ms per commit)\n", k, l, (a - b) / n / 1e6, a / n / 1e6, b / n / 1e6 }'
  done
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
