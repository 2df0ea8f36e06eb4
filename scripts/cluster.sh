#!/usr/bin/env bash
# A ClickHouse cluster on this machine for the cluster tests and for trying
# ARMORY_CLICKHOUSE_CLUSTER: ZooKeeper 3.8 and four ClickHouse servers (Debian's 18.16), two
# shards of two replicas, each on 127.0.0.1 and high ports, with its data under a folder this
# script owns (<services folder>/cluster: .armory/services/cluster, or $ARMORY_SERVICES_DIR/cluster).
# Installs zookeeper and clickhouse-server from Debian when missing.
#
#   scripts/cluster.sh [start]       start ZooKeeper and the four servers (or reuse those already
#                                    running), wait until each answers, write <folder>/env
#                                    (ARMORY_TEST_CLICKHOUSE_CLUSTER…, for the tests) and
#                                    <folder>/serve.env (for `armory serve`), and print the first
#   scripts/cluster.sh stop          stop exactly the processes this script started, by their PIDs
#   scripts/cluster.sh status        say which are running
#   scripts/cluster.sh start|stop s2r1   one server only: zookeeper, s1r1, s1r2, s2r1 or s2r2
#                                    (shard 2, replica 1; the fault tests stop and restart them)
#
# The cluster is named armory_cluster. Server sNrM listens for HTTP on 5813K, for its native
# protocol on 5913K and for replication on 5914K, K = 2(N-1)+M (s1r1 is 58131); ZooKeeper on
# $ARMORY_ZOOKEEPER_PORT (52181). Armory talks to s1r1, which holds no more than the others: the
# Distributed tables on it reach every shard.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
DIR=${ARMORY_SERVICES_DIR:-$ROOT/.armory/services}/cluster
ZK_PORT=${ARMORY_ZOOKEEPER_PORT:-52181}
CLUSTER=armory_cluster
NODES=(s1r1 s1r2 s2r1 s2r2)
# The test role and its password, as in scripts/services.sh: loopback only, test data only.
USER_NAME=armory
PASSWORD=armory-test
SCRIPT_NAME=cluster
# shellcheck source=lib/processes.sh
source "$ROOT/scripts/lib/processes.sh"
# shellcheck source=lib/clickhouse.sh
source "$ROOT/scripts/lib/clickhouse.sh"

index() { case "$1" in s1r1) echo 1 ;; s1r2) echo 2 ;; s2r1) echo 3 ;; s2r2) echo 4 ;; esac; }
# The PID of server NAME (zookeeper, s1r1, …) if it is running, else nothing.
pid_of() {
  local pid config=$DIR/$1/config.xml
  [ "$1" != zookeeper ] || config=$DIR/zookeeper/conf/zoo.cfg
  pid=$(pid_in "$DIR/$1/$([ "$1" = zookeeper ] && echo zookeeper || echo clickhouse).pid")
  if runs "$pid" "$config"; then echo "$pid"; fi
}

http_port() { echo $((58130 + $(index "$1"))); }
tcp_port() { echo $((59130 + $(index "$1"))); }

install_missing() {
  local packages=()
  [ -f /usr/share/java/zookeeper.jar ] || packages+=(zookeeper)
  command -v java >/dev/null || packages+=(default-jre-headless)
  command -v clickhouse-server >/dev/null || packages+=(clickhouse-server)
  command -v curl >/dev/null || packages+=(curl)
  apt_install ${packages[@]+"${packages[@]}"}
}

# Serving sessions, not only running: `ruok` answers imok before ZooKeeper has loaded its data,
# and a ClickHouse 18.16 that starts then cannot load its replicated tables and exits.
zookeeper_serves() {
  (exec 3<>/dev/tcp/127.0.0.1/$ZK_PORT && echo srvr >&3 && timeout 1 cat <&3) 2>/dev/null | grep -q "^Mode: "
}

# The server's own java, not Debian's zkServer.sh: that one always reads /etc/zookeeper/conf.
start_zookeeper() {
  local home=$DIR/zookeeper
  if [ -n "$(pid_of zookeeper)" ]; then
    say "ZooKeeper already running on 127.0.0.1:$ZK_PORT"
    return
  fi
  mkdir -p "$home/conf" "$home/data"
  cat >"$home/conf/zoo.cfg" <<CFG
tickTime=2000
dataDir=$home/data
clientPort=$ZK_PORT
clientPortAddress=127.0.0.1
admin.enableServer=false
4lw.commands.whitelist=ruok,srvr
maxClientCnxns=0
CFG
  echo "log4j.rootLogger=WARN, CONSOLE
log4j.appender.CONSOLE=org.apache.log4j.ConsoleAppender
log4j.appender.CONSOLE.layout=org.apache.log4j.PatternLayout
log4j.appender.CONSOLE.layout.ConversionPattern=%d{ISO8601} %-5p %c{1} - %m%n" >"$home/conf/log4j.properties"
  nohup java -Xmx256m -Dlog4j.configuration="file:$home/conf/log4j.properties" \
    -cp "$home/conf:/usr/share/java/zookeeper.jar:/usr/share/java/slf4j-log4j12.jar:/usr/share/java/log4j-1.2.jar" \
    org.apache.zookeeper.server.quorum.QuorumPeerMain "$home/conf/zoo.cfg" >"$home/zookeeper.log" 2>&1 &
  echo $! >"$home/zookeeper.pid"
  wait_for zookeeper_serves 30 || fail "ZooKeeper did not answer; see $home/zookeeper.log"
  say "ZooKeeper started on 127.0.0.1:$ZK_PORT (PID $(pid_in "$home/zookeeper.pid"))"
}

# <remote_servers>: the cluster as every server sees it. Each shard writes to one replica and
# lets replication copy it (internal_replication), as ReplicatedMergeTree expects.
remote_servers() {
  local shard node
  echo "<remote_servers><$CLUSTER>"
  for shard in 1 2; do
    echo "<shard><internal_replication>true</internal_replication>"
    for node in "s${shard}r1" "s${shard}r2"; do
      echo "<replica><host>127.0.0.1</host><port>$(tcp_port "$node")</port><user>$USER_NAME</user><password>$PASSWORD</password></replica>"
    done
    echo "</shard>"
  done
  echo "</$CLUSTER></remote_servers>"
}

# A server of the cluster: its shard and replica, the cluster as all see it, ZooKeeper, and the
# port its replicas copy parts over.
write_node_config() {
  local node=$1
  write_clickhouse_config "$DIR/$node" "$(http_port "$node")" "$(tcp_port "$node")" 67108864 1000000000 "$USER_NAME" "$PASSWORD" "
  <interserver_http_port>$((59140 + $(index "$node")))</interserver_http_port>
  <interserver_http_host>127.0.0.1</interserver_http_host>
  <zookeeper><node><host>127.0.0.1</host><port>$ZK_PORT</port></node><session_timeout_ms>10000</session_timeout_ms></zookeeper>
  <macros><shard>${node:1:1}</shard><replica>$node</replica></macros>
  $(remote_servers)
  <distributed_ddl><path>/clickhouse/task_queue/ddl</path></distributed_ddl>"
}

start_clickhouse() {
  local node=$1 home=$DIR/$1 port
  port=$(http_port "$node")
  if [ -n "$(pid_of "$node")" ]; then
    say "ClickHouse $node already running on 127.0.0.1:$port"
    return
  fi
  write_node_config "$node"
  nohup clickhouse-server --config-file="$home/config.xml" >"$home/log/stdout.log" 2>&1 &
  echo $! >"$home/clickhouse.pid"
}

wait_for_clickhouse() {
  local node=$1 home=$DIR/$1
  wait_for "curl -sf http://127.0.0.1:$(http_port "$node")/ping" 60 || fail "ClickHouse $node did not answer; see $home/log/"
  # The PID recorded must be the server's own (a wrapper's would outlive nothing).
  grep -q "clickhouse" "/proc/$(pid_in "$home/clickhouse.pid")/cmdline" 2>/dev/null || fail "PID $(pid_in "$home/clickhouse.pid") is not ClickHouse $node"
  say "ClickHouse $node started on 127.0.0.1:$(http_port "$node") (PID $(pid_in "$home/clickhouse.pid"))"
}

write_env() {
  local node urls=""
  for node in "${NODES[@]}"; do urls+="${urls:+,}$node=http://$USER_NAME:$PASSWORD@127.0.0.1:$(http_port "$node")"; done
  cat >"$DIR/env" <<ENV
ARMORY_TEST_CLICKHOUSE_CLUSTER=$CLUSTER
ARMORY_TEST_CLICKHOUSE_CLUSTER_NODES=$urls
ENV
  curl -sf --max-time 60 "http://127.0.0.1:$(http_port s1r1)/" --data-binary "CREATE DATABASE IF NOT EXISTS armory_local ON CLUSTER $CLUSTER" \
    >/dev/null || fail "could not make the armory_local database on every server; see $DIR/*/log/"
  cat >"$DIR/serve.env" <<ENV
ARMORY_CLICKHOUSE_URL=http://$USER_NAME:$PASSWORD@127.0.0.1:$(http_port s1r1)/armory_local
ARMORY_CLICKHOUSE_CLUSTER=$CLUSTER
ENV
  cat "$DIR/env"
}

only=${2:-all}
case "$only" in all | zookeeper | s1r1 | s1r2 | s2r1 | s2r2) ;; *) fail "unknown server '$only': use zookeeper, s1r1, s1r2, s2r1 or s2r2" ;; esac
nodes=("${NODES[@]}")
[ "$only" = all ] || [ "$only" = zookeeper ] || nodes=("$only")
[ "$only" != zookeeper ] || nodes=()

case "${1:-start}" in
  start)
    mkdir -p "$DIR"
    install_missing
    if [ "$only" = all ] || [ "$only" = zookeeper ]; then start_zookeeper; fi
    # The servers start side by side: each waits for nothing but ZooKeeper.
    for node in "${nodes[@]}"; do start_clickhouse "$node"; done
    for node in "${nodes[@]}"; do wait_for_clickhouse "$node"; done
    if [ "$only" = all ]; then write_env; fi
    ;;
  stop)
    for node in "${nodes[@]}"; do stop_pid "ClickHouse $node" "$(pid_of "$node")" TERM; done
    if [ "$only" = all ] || [ "$only" = zookeeper ]; then stop_pid ZooKeeper "$(pid_of zookeeper)" TERM; fi
    ;;
  status)
    for name in zookeeper "${NODES[@]}"; do
      pid=$(pid_of "$name")
      if [ -n "$pid" ]; then echo "$name: running (PID $pid)"; else echo "$name: stopped"; fi
    done
    ;;
  *)
    fail "unknown command '$1': use start, stop or status"
    ;;
esac
