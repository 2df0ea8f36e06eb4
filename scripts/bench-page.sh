#!/usr/bin/env bash
# The results page of the repository's own experiments/ (because-you-watched: all three arms),
# on a release build, through the stores a user runs: the embedded default (SQLite files, the demo
# catalog), or the PostgreSQL and ClickHouse named by ARMORY_DATABASE_URL and
# ARMORY_CLICKHOUSE_URL (databases of the run's own are made in them).
# 1. A server starts, `armory demo traffic` sends 20,000 decisions with their clicks.
# 2. The server restarts; its first load of /experiments/because-you-watched is cold (nothing
#    kept), then 30 loads follow (reads kept ARMORY_PAGE_FRESHNESS, 10 s); then 30 loads of the
#    results JSON and /health from the same server, as baselines.
#
#   swift build -c release --scratch-path .build-release && bash scripts/bench-page.sh
set -euo pipefail
cd "$(dirname "$0")/.."

binary=${ARMORY_BENCH_BINARY:-.build-release/release/armory}
[ -x "$binary" ] || { echo "bench-page: build first: swift build -c release --scratch-path .build-release" >&2; exit 1; }
work=$(mktemp -d)
pid=""
database="armory_bench_page_$$"
postgres_base=${ARMORY_DATABASE_URL:-}
clickhouse_base=${ARMORY_CLICKHOUSE_URL:-}
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  if [ -n "$postgres_base" ]; then psql "$postgres_base" -qc "DROP DATABASE IF EXISTS $database WITH (FORCE)" >/dev/null 2>&1 || true; fi
  if [ -n "$clickhouse_base" ]; then curl -sf "${clickhouse_base%/*}/" --data-binary "DROP DATABASE IF EXISTS $database" >/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
stores="SQLite"
if [ -n "$postgres_base" ] && [ -n "$clickhouse_base" ]; then
  psql "$postgres_base" -qc "CREATE DATABASE $database" >/dev/null
  curl -sf "${clickhouse_base%/*}/" --data-binary "CREATE DATABASE $database" >/dev/null
  export ARMORY_DATABASE_URL="${postgres_base%/*}/$database" ARMORY_CLICKHOUSE_URL="${clickhouse_base%/*}/$database"
  stores="PostgreSQL + ClickHouse"
else
  unset ARMORY_DATABASE_URL ARMORY_CLICKHOUSE_URL
fi
unset ARMORY_REDIS_URL
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
url="http://127.0.0.1:$port"

serve() {
  "$binary" serve --port "$port" --experiments experiments --data-dir "$work/.armory" --log-level warning >>"$work/serve.log" 2>&1 &
  pid=$!
  for _ in $(seq 600); do curl -sf "$url/ready" >/dev/null 2>&1 && return 0; sleep 0.1; done
  echo "bench-page: the server did not get ready; see its log:" >&2; cat "$work/serve.log" >&2; exit 1
}
stop() { kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""; }
# Prints the p50 and p99 of 30 loads of $1, in ms.
loads() {
  for _ in $(seq 30); do curl -s -o /dev/null -w '%{time_total}\n' "$1"; done | sort -n \
    | awk '{ t[NR] = $1 * 1000 } END { printf "%.2f ms / %.2f ms", t[int(NR / 2) + 1], t[NR] }'
}

echo "Armory results page, because-you-watched on $stores, $(date -u '+%Y-%m-%d %H:%M:%S UTC'), $(nproc) cores"
serve
"$binary" demo traffic --decisions 20000 --url "$url" --data-dir "$work/.armory" | head -1
stop
serve
page="$url/experiments/because-you-watched"
first=$(curl -s -o "$work/page.html" -w '%{time_total}' "$page")
size=$(( $(wc -c <"$work/page.html") / 1024 ))
awk -v t="$first" 'BEGIN { ms = t * 1000; printf "%s first load after a start (cold)          %8.2f ms     <= 50 ms\n", (ms <= 50 ? "ok  " : "MISS"), ms }'
echo "     later loads p50 / p99 ($size KiB)            $(loads "$page")"
echo "     baseline: results JSON p50 / p99            $(loads "$url/v1/experiments/because-you-watched/results")"
echo "     baseline: /health p50 / p99                 $(loads "$url/health")"
