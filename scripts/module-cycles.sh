#!/usr/bin/env bash
# Fails when the modules of a crate import each other in a cycle. For each crate (default: every
# workspace crate), an edge A -> B is any `crate::B` path (a `use crate::B...` or an inline
# `crate::B::item`) in module A's code outside its tests (a file's code before its first
# top-level `#[cfg(test)]`; whole-line comments skipped). Files under src/A/ belong to module A.
# Items of the crate root (lib.rs or main.rs) and exported macros (`crate::debug_log!`) are not
# modules and make no edge. Prints the edges with -v.
# Usage: scripts/module-cycles.sh [-v] [CRATE_DIR...]
set -euo pipefail
cd "$(dirname "$0")/.."
verbose=0
if [ "${1:-}" = "-v" ]; then verbose=1; shift; fi
if [ $# -eq 0 ]; then set -- . core protocol devstack credential-cache; fi
python3 - "$verbose" "$@" <<'PY'
import os, re, sys

verbose = sys.argv[1] == "1"
failed = False
for crate in sys.argv[2:]:
    src = os.path.join(crate, "src")
    if not os.path.isdir(src):
        print(f"module-cycles: {src} does not exist", file=sys.stderr)
        sys.exit(2)
    files = []
    for root, _, names in os.walk(src):
        files += [os.path.join(root, n) for n in names if n.endswith(".rs")]
    def module_of(path):
        rel = os.path.relpath(path, src).split(os.sep)
        if len(rel) == 1:
            stem = rel[0][:-3]
            return "crate" if stem in ("lib", "main") else stem  # the root
        return rel[0]
    modules = {module_of(f) for f in files}
    edges = {}
    for f in sorted(files):
        a = module_of(f)
        code = []
        for line in open(f, encoding="utf-8").read().split("\n"):
            if line == "#[cfg(test)]":
                break
            if not line.lstrip().startswith("//"):
                code.append(line)
        text = "\n".join(code)
        # `use crate::{a, b::c}` groups, then every `crate::name` path.
        names = set()
        for group in re.findall(r"(?<![\w$])crate::\{([^}]*)\}", text):
            names |= {p.strip().split("::")[0] for p in group.split(",") if p.strip()}
        names |= set(re.findall(r"(?<![\w$])crate::(\w+)", text))
        for b in names:
            if b in modules and b != a and b != "crate":
                edges.setdefault(a, set()).add(b)
    if verbose:
        for a in sorted(edges):
            print(f"{crate}: {a} -> {', '.join(sorted(edges[a]))}")
    # Depth-first search for a back edge; report each cycle once.
    state, stack, cycles = {}, [], []
    def visit(n):
        state[n] = 1
        stack.append(n)
        for m in sorted(edges.get(n, ())):
            if state.get(m) == 1:
                cycles.append(stack[stack.index(m):] + [m])
            elif m not in state:
                visit(m)
        stack.pop()
        state[n] = 2
    for n in sorted(modules):
        if n not in state:
            visit(n)
    for c in cycles:
        failed = True
        print(f"module-cycles: {crate}: cycle {' -> '.join(c)}", file=sys.stderr)
    if not cycles:
        print(f"module-cycles: {crate}: {len(modules)} modules, {sum(len(v) for v in edges.values())} edges, no cycle")
sys.exit(1 if failed else 0)
PY
