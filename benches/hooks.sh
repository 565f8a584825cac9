#!/bin/sh
# The push policy's cost: (1) the throughput of the pre-receive hook judging a push of N signed
# commits against `gitsign verify` over the same commits, as a ratio (the hook's own time, from
# a wrapper around the installed hook, and the whole push: the hooked push's time over git's
# own unhooked push of the same commits is given beside it); (2) what the hook adds to a
# one-commit push over file:// (median of RUNS pushes each way). Prints the machine's load too.
#
# Usage: benches/hooks.sh [REPO]
#   REPO: a repository whose main holds signed offline-mode commits; default
#   target/bench-verify/own-10000, which `cargo bench --bench verify_history` makes (its trust
#   root is target/bench-verify/state/trusted_root.json, or BENCH_ROOT).
#   BENCH_GITSIGN: the gitsign binary (default target/release/gitsign); RUNS (default 11).
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
repo=$(cd "${1:-$here/target/bench-verify/own-10000}" && pwd)
root=${BENCH_ROOT:-$here/target/bench-verify/state/trusted_root.json}
gitsign=${BENCH_GITSIGN:-$here/target/release/gitsign}
runs=${RUNS:-11}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export GIT_CONFIG_NOSYSTEM=1 HOME="$tmp"
now() { date +%s.%N; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

n=$(git -C "$repo" rev-list --count main)
cat > "$tmp/policy.toml" <<POLICY
version = 1
trusted_root = "$root"
[[rule]]
refs = ["refs/heads/**"]
[[rule.signers]]
identity_regexp = ".*"
issuer_regexp = ".*"
POLICY

echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
t0=$(now)
# The same signers as the policy below allows: any identity of any issuer.
(cd "$repo" && "$gitsign" verify --offline --trusted-root "$root" --certificate-identity-regexp '.*' \
  --certificate-oidc-issuer-regexp '.*' --all >/dev/null 2>"$tmp/verify.err") || { cat "$tmp/verify.err"; exit 1; }
t1=$(now)
git init -q --bare "$tmp/unhooked.git"
git -C "$repo" push -q "$tmp/unhooked.git" main 2>"$tmp/push.err" || { cat "$tmp/push.err"; exit 1; }
t2=$(now)
git init -q --bare "$tmp/hooked.git"
"$gitsign" hook install --pre-receive --repo "$tmp/hooked.git" --policy "$tmp/policy.toml" >/dev/null 2>&1
# A wrapper around the installed hook times it alone (sh start-up and all).
mv "$tmp/hooked.git/hooks/pre-receive" "$tmp/hooked.git/hooks/pre-receive.gitsign"
cat > "$tmp/hooked.git/hooks/pre-receive" <<WRAP
#!/bin/sh
date +%s.%N > "$tmp/hook.start"
"$tmp/hooked.git/hooks/pre-receive.gitsign" "\$@"
rc=\$?
date +%s.%N > "$tmp/hook.end"
exit \$rc
WRAP
chmod +x "$tmp/hooked.git/hooks/pre-receive"
t3=$(now)
git -C "$repo" push -q "$tmp/hooked.git" main 2>"$tmp/push.err" || { cat "$tmp/push.err"; exit 1; }
t4=$(now)
grep -q "$n commit(s) and tag(s) judged by the policy .*: all allowed" "$tmp/push.err" || { cat "$tmp/push.err"; exit 1; }
verify_s=$(echo "$t1 - $t0" | bc -l)
plain_s=$(echo "$t2 - $t1" | bc -l)
push_s=$(echo "$t4 - $t3" | bc -l)
hook_s=$(echo "$(cat "$tmp/hook.end") - $(cat "$tmp/hook.start")" | bc -l)
printf 'gitsign verify:  %d commits in %.2fs (%.0f/s)\n' "$n" "$verify_s" "$(echo "$n / $verify_s" | bc -l)"
printf 'the hook alone:  %d commits in %.2fs (%.0f/s)\n' "$n" "$hook_s" "$(echo "$n / $hook_s" | bc -l)"
printf 'throughput ratio hook/verify: %.1f%%\n' "$(echo "100 * $verify_s / $hook_s" | bc -l)"
printf 'whole push: %.2fs hooked, %.2fs unhooked (git alone)\n' "$push_s" "$plain_s"

# One commit over an existing history, with and without the hook.
for kind in plain hooked1; do
  git init -q --bare "$tmp/$kind.git"
  git -C "$repo" push -q "$tmp/$kind.git" main~1:refs/heads/main
done
"$gitsign" hook install --pre-receive --repo "$tmp/hooked1.git" --policy "$tmp/policy.toml" >/dev/null 2>&1
for kind in plain hooked1; do
  : > "$tmp/$kind.times"
  i=0
  while [ $i -lt "$runs" ]; do
    a=$(now)
    git -C "$repo" push -q "$tmp/$kind.git" main:refs/heads/main 2>/dev/null
    b=$(now)
    echo "$b - $a" | bc -l >> "$tmp/$kind.times"
    git --git-dir "$tmp/$kind.git" update-ref refs/heads/main "$(git -C "$repo" rev-parse main~1)"
    i=$((i + 1))
  done
done
plain=$(median < "$tmp/plain.times")
hooked=$(median < "$tmp/hooked1.times")
printf 'one-commit push: %.1f ms unhooked, %.1f ms hooked: the hook adds %.1f ms (median of %d)\n' \
  "$(echo "1000 * $plain" | bc -l)" "$(echo "1000 * $hooked" | bc -l)" "$(echo "1000 * ($hooked - $plain)" | bc -l)" "$runs"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
