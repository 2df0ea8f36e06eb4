# Sourced by the scripts that start and stop servers (scripts/services.sh, scripts/cluster.sh):
# how they install Debian packages, tell a live process, read a PID file, wait for a server and
# stop one by its PID.
# The sourcing script sets SCRIPT_NAME, which prefixes every message.

say() { printf '%s: %s\n' "${SCRIPT_NAME:-armory}" "$*" >&2; }
fail() { say "error: $*"; exit 1; }

# Installs Debian packages (as root, or with sudo), quietly; nothing when none are named.
apt_install() {
  [ $# -eq 0 ] && return 0
  say "installing $* from Debian"
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get update -qq >/dev/null
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# Whether PID is a live process (PID 1 reaps exited processes lazily: a zombie counts as gone).
alive() {
  local pid=$1
  [ -n "$pid" ] && [ -r "/proc/$pid/stat" ] || return 1
  local state
  state=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null || echo Z)
  [ "$state" != Z ] && [ "$state" != X ]
}

# Whether PID is a live process whose command line holds TEXT (its config file's path, say): a
# PID file left from before a reboot may name some other process by now.
runs() {
  local pid=$1 text=$2
  alive "$pid" && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$text"
}

pid_in() { [ -f "$1" ] && head -n1 "$1" | tr -d ' \n' || true; }

# Waits up to $2 seconds for command $1 to succeed.
wait_for() {
  local command=$1 seconds=$2 i
  for ((i = 0; i < seconds * 10; i++)); do
    if eval "$command" >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  return 1
}

# Stops process $2 (named $1 in messages) with signal $3, and kills it if it is still running
# 5 s later: ClickHouse 18.16 can wait a long time for idle HTTP keep-alive connections, and
# 5 s is enough for a clean stop.
stop_pid() {
  local name=$1 pid=$2 signal=$3 i
  alive "$pid" || return 0
  kill "-$signal" "$pid" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do alive "$pid" || { say "$name stopped (PID $pid)"; return 0; }; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do alive "$pid" || break; sleep 0.1; done
  say "$name killed after 5 s (PID $pid)"
}
