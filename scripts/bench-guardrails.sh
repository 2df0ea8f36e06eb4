#!/usr/bin/env bash
# The guardrails, the sample-ratio check and period-weighted rates, measured with the simulator
# (`armory simulate`, the worker's own GuardrailCheck, WeightPeriods and Thompson code) against
# the targets of BENCHMARKS.md, "Safe bandits":
#
#   bash scripts/bench-guardrails.sh
#
# Builds the release binary into .build-release (or uses $ARMORY_BENCH_BINARY). Every scenario
# uses seeds 1, 2, 3, … so a rerun prints the same figures.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
if [ -n "${ARMORY_BENCH_BINARY:-}" ]; then
  ARMORY=$ARMORY_BENCH_BINARY
else
  swift build -c release --scratch-path .build-release --product armory >&2
  ARMORY=.build-release/release/armory
fi

# run LABEL TARGET-EXPRESSION ARGS…: one scenario; the expression reads the JSON report as r.
run() {
  local label=$1 check=$2
  shift 2
  echo "\$ armory simulate $*" >&2
  "$ARMORY" simulate "$@" --format json 2>/dev/null | python3 -c '
import json, sys
label, check = sys.argv[1], sys.argv[2]
r = json.load(sys.stdin)
runs = r["runs"]
guardrail = r.get("guardrail_actions")
median = r.get("median_decisions_to_guardrail")
regret = r["cumulative_regret"]
line = "%-58s regret %8.1f ± %6.1f" % (label, regret["mean"], regret["standard_deviation"])
if guardrail is not None:
    line += f"   guardrail acted {guardrail}/{runs}" + (f", median {median:.0f} decisions" if median else "")
line += "   SRM p<0.001 %d/%d" % (r["sample_ratio_mismatches"], runs)
verdict = "" if check == "-" else ("ok   " if eval(check) else "MISS ")
print((verdict or "     ") + line + (f"   [{check}]" if check != "-" else ""))
' "$label" "$check"
}

echo "Armory safe-bandit simulations, $(date -u '+%Y-%m-%d %H:%M:%S') UTC, $(nproc) cores"
GUARD="--true-rates 0.05,0.05 --decisions 30000 --batch 1000 --runs 1000 --tolerance 0"
run "A/A: conversion 10% in both arms, 30 checks" 'guardrail <= 0.05 * runs' $GUARD --guardrail-rates 0.10,0.10
run "A/A, 3 arms (alpha split over 2 comparisons)" 'guardrail <= 0.05 * runs' \
  --true-rates 0.05,0.05,0.05 --guardrail-rates 0.10,0.10,0.10 --decisions 45000 --batch 1500 --runs 1000 --tolerance 0
run "2 pp drop: conversion 10% vs 8%, 30 checks" 'guardrail >= 0.80 * runs' $GUARD --guardrail-rates 0.10,0.08
run "1 pp drop: conversion 10% vs 9%, 30 checks" '-' $GUARD --guardrail-rates 0.10,0.09
SRM="--decisions 100000 --batch 10000 --runs 1000"
run "SRM, Thompson 3 arms, 10 weight versions, logged right" 'r["sample_ratio_mismatches"] <= 0.001 * runs' --true-rates 0.04,0.05,0.06 $SRM
run "SRM, Thompson 3 arms, 2% of decisions leak into arm 1" 'r["sample_ratio_mismatches"] >= 0.95 * runs' --true-rates 0.04,0.05,0.06 $SRM --leak 0.02
# A fixed split is the calibration check: a right test says p < 0.001 in 1 run of 1,000 on average.
run "SRM, fixed 50/50, logged right (calibration: ~1/1000)" '-' --true-rates 0.05,0.05 --policy fixed $SRM
run "SRM, fixed 50/50, 2% of decisions leak into arm 1" 'r["sample_ratio_mismatches"] >= 0.95 * runs' --true-rates 0.05,0.05 --policy fixed $SRM --leak 0.02
DRIFT="--decisions 100000 --batch 1000 --runs 200"
for rates in pooled period_weighted; do
  run "best arm changes halfway (6%/4% → 4%/6%), $rates" '-' --true-rates 0.06,0.04 --rates-after 0.04,0.06 $DRIFT --rates $rates
done
for rates in pooled period_weighted; do
  run "all rates halve after 20% (10%/9% → 5%/4.5%), $rates" '-' --true-rates 0.10,0.09 --rates-after 0.05,0.045 --change-at 0.2 $DRIFT --rates $rates
done
