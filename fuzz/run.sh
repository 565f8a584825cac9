#!/usr/bin/env bash
# Runs every fuzz target for SECONDS (default 120) each, seeded from ../shared where present
# (real gitsign objects, conformance bundles, the public-good root), and prints libFuzzer's
# final counts. cargo-fuzz needs nightly flags; RUSTC_BOOTSTRAP lets the stable toolchain take
# them. Usage: fuzz/run.sh [SECONDS] [TARGET...]   (SECONDS=0: build the targets, run nothing)
set -euo pipefail
cd "$(dirname "$0")"
secs=${1:-120}; shift || true
targets=("$@"); [ ${#targets[@]} -gt 0 ] || targets=(signature verify_commit bundle protocol)
command -v cargo-fuzz >/dev/null || cargo install --locked cargo-fuzz
shared=../../shared
seed() { # $1 target, rest: files
  local dir=corpus/$1; shift; mkdir -p "$dir"
  for f in "$@"; do [ -f "$f" ] && cp "$f" "$dir/seed-$(sha256sum "$f" | cut -c1-16)"; done; true
}
if [ -d "$shared/vectors" ]; then
  objs=("$shared"/vectors/gitsign-realworld/objects/*)
  seed verify_commit "${objs[@]:0:40}"
  for o in "${objs[@]:0:40}"; do
    sed -n '/BEGIN SIGNED MESSAGE/,/END SIGNED MESSAGE/p' "$o" | sed 's/^ //' | grep -v 'SIGNED MESSAGE' | base64 -d > "corpus/tmp.der" 2>/dev/null || true
    mkdir -p corpus/signature; [ -s corpus/tmp.der ] && cp corpus/tmp.der "corpus/signature/seed-$(sha256sum corpus/tmp.der | cut -c1-16)"
  done
  rm -f corpus/tmp.der
  seed bundle "$shared"/vectors/sigstore-conformance/bundle-verify/*/bundle.sigstore.json "$shared/trust/public-good/trusted_root.json"
  seed protocol "$shared/trust/public-good/trusted_root.json"
fi
if [ "$secs" = 0 ]; then # build only (libFuzzer reads -max_total_time=0 as "no limit")
  for t in "${targets[@]}"; do RUSTC_BOOTSTRAP=1 cargo fuzz build -O "$t"; done
  echo "fuzz/run.sh: built ${targets[*]}"; exit 0
fi
failed=()
for t in "${targets[@]}"; do
  mkdir -p "corpus/$t"
  echo "== $t ($secs s)"
  # The filter only trims libFuzzer's output; the status is cargo-fuzz's (PIPESTATUS[0]), so a
  # crash, a leak or a build failure makes this script fail. grep finding nothing is not an error.
  set +e
  RUSTC_BOOTSTRAP=1 cargo fuzz run -O "$t" "corpus/$t" -- -max_total_time="$secs" -rss_limit_mb=2048 2>&1 |
    grep -E "DONE|Done [0-9]+ runs|ERROR|panicked|SUMMARY|crash-|^error"
  status=${PIPESTATUS[0]}
  set -e
  if [ "$status" -ne 0 ]; then
    echo "fuzz/run.sh: target $t FAILED (cargo fuzz exited $status); reproduce with the crash- file named above" >&2
    failed+=("$t")
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz/run.sh: ${#failed[@]} of ${#targets[@]} targets failed: ${failed[*]}" >&2
  exit 1
fi
echo "fuzz/run.sh: ${#targets[@]} of ${#targets[@]} targets ran $secs s without a finding"
