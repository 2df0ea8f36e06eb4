#!/usr/bin/env bash
# Armory's ALS trainer against the `implicit` library (PyPI, 0.7.3, its ALS with conjugate
# gradient) on the same data, split, factors, regularization, iterations and confidences, in
# one run: offline recall@10, NDCG@10 and MAP@10 on the held-out events, and training time
# (matrix building included on both sides). Then `armory-bench models` (loading and serving a
# version) on the same release build.
#
#   bash scripts/bench-models.sh
#
# Builds the release binaries into .build-release (or uses $ARMORY_BENCH_BINARY's folder),
# seeds the demo data (5,000 movies, 10,000 users) into a temporary SQLite file, installs
# implicit into .armory/bench-python (a virtualenv) when missing. Targets (BENCHMARKS.md):
# each metric within 5% of implicit's, training time at most 1.5 × implicit's.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
PARAMS=${ARMORY_BENCH_ALS_PARAMS:-factors=64,regularization=0.05,iterations=15,alpha=10,like_weight=2,cg_steps=3}

if [ -n "${ARMORY_BENCH_BINARY:-}" ]; then
  BIN=$(dirname "$ARMORY_BENCH_BINARY")
else
  swift build -c release --scratch-path .build-release >&2
  BIN=.build-release/release
fi
PY=.armory/bench-python/bin/python
if ! "$PY" -c 'import implicit' 2>/dev/null; then
  python3 -m venv .armory/bench-python
  .armory/bench-python/bin/pip install -q 'implicit==0.7.3'
fi

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
"$BIN/armory" demo seed --database "$WORK/armory.sqlite" >&2

param() { echo "$PARAMS" | tr ',' '\n' | sed -n "s/^$1=//p"; }
"$BIN/armory" train als --name bench-mf --param "$PARAMS" --database "$WORK/armory.sqlite" --data-dir "$WORK" \
  --format json > "$WORK/armory.json"
"$PY" scripts/bench_implicit.py "$WORK/armory.sqlite" --factors "$(param factors)" --regularization "$(param regularization)" \
  --iterations "$(param iterations)" --alpha "$(param alpha)" --like-weight "$(param like_weight)" > "$WORK/implicit.json"

"$PY" - "$WORK/armory.json" "$WORK/implicit.json" "$PARAMS" <<'PYTHON'
import json, sys
armory, implicit, params = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), sys.argv[3]
scores = armory["evaluation"]["scores"]
ours = scores[0]
print(f"ALS on the demo data, time split holding out the newest 20% of events, {params}")
print(f"users scored: armory {ours['users']}, implicit {implicit['users']}")
def line(name, mine, theirs, target, ok):
    print(f"{'ok  ' if ok else 'MISS'} {name:<28} armory {mine:>9.4f}   implicit {theirs:>9.4f}   ratio {mine / theirs:6.3f}   {target}")
for key, label in [("recall", "recall@10"), ("ndcg", "NDCG@10"), ("map", "MAP@10")]:
    mine, theirs = ours[key]["value"], implicit[key]
    line(label, mine, theirs, "within 5%", abs(mine / theirs - 1) <= 0.05)
mine, theirs = armory["evaluation"]["training_seconds"], implicit["train_seconds"]
line("training seconds (split)", mine, theirs, "≤ 1.5 ×", mine <= 1.5 * theirs)
for baseline in scores[1:]:
    ok = ours["recall"]["value"] > baseline["recall"]["upper"]
    print(f"{'ok  ' if ok else 'MISS'} recall@10 vs {baseline['name']:<14} armory {ours['recall']['value']:.4f} "
          f"[{ours['recall']['lower']:.4f}, {ours['recall']['upper']:.4f}]  {baseline['name']} {baseline['recall']['value']:.4f} "
          f"[{baseline['recall']['lower']:.4f}, {baseline['recall']['upper']:.4f}]   beats it")
print(f"armory training on every event: {armory['training_seconds']:.2f} s")
PYTHON
"$BIN/armory-bench" models
