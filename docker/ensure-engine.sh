#!/usr/bin/env bash
# Makes sure a Docker engine answers on this machine, for the `docker` runtime (docs/docker.md).
#
#   docker/ensure-engine.sh              # exit 0 once `docker info` works
#   docker/ensure-engine.sh --tcp 2375   # ... and once it also answers on tcp://127.0.0.1:2375
#
# - If `docker info` already works: nothing to do (idempotent; safe to run before every test run).
# - Otherwise, as root: installs docker.io with apt if `dockerd` is missing, starts `dockerd` in the
#   background (there is no systemd on the CI machines), logging to /var/log/keelhaul-dockerd.log,
#   and waits up to KEELHAUL_DOCKERD_WAIT seconds (default 30) for `docker info` to answer.
# - --tcp <port>: the engine's API also on 127.0.0.1:<port> (only there: the API is root on this
#   machine), so clients can be given DOCKER_HOST=tcp://127.0.0.1:<port> as for a remote engine. A
#   dockerd this script starts listens there itself (-H); one that already runs without it gets a
#   forwarder from the port to its unix socket (dist/harness/runtime/docker/engine-tcp-forward.js:
#   needs the project built), logging to /var/log/keelhaul-docker-tcp.log.
# Exit codes: 0 ready, 1 not root / install failed / the TCP port cannot be served, 2 the engine did
# not come up in time, 3 a bad argument.
set -euo pipefail

TCP_PORT=
while [ "$#" -gt 0 ]; do
  case "$1" in
    --tcp) TCP_PORT=${2:-}; shift 2 || { echo "ensure-engine: --tcp needs a port" >&2; exit 3; } ;;
    --tcp=*) TCP_PORT=${1#--tcp=}; shift ;;
    *) echo "ensure-engine: unknown argument $1 (usage: ensure-engine.sh [--tcp <port>])" >&2; exit 3 ;;
  esac
done
if [ -n "$TCP_PORT" ] && { ! [[ "$TCP_PORT" =~ ^[0-9]+$ ]] || [ "$TCP_PORT" -lt 1 ] || [ "$TCP_PORT" -gt 65535 ]; }; then
  echo "ensure-engine: --tcp takes a port from 1 to 65535, not \"$TCP_PORT\"" >&2
  exit 3
fi
SOCKET=/var/run/docker.sock
if [ -n "$TCP_PORT" ]; then
  # The local engine is this script's business here: a DOCKER_HOST already pointing at the port
  # (or elsewhere) must not decide whether the local engine answers.
  unset DOCKER_HOST
fi

LOG=/var/log/keelhaul-dockerd.log
WAIT_S=${KEELHAUL_DOCKERD_WAIT:-30}

engine_up() { docker info >/dev/null 2>&1; }
tcp_up() { DOCKER_HOST="tcp://127.0.0.1:$TCP_PORT" docker info >/dev/null 2>&1; }

# wait_for <check> <seconds> <what> <log> <log lines> <exit code>: polls the check until it passes,
# or exits with the code after saying what did not answer and the log's last lines.
wait_for() {
  local deadline=$((SECONDS + $2))
  until "$1"; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "ensure-engine: $3 did not answer within $2 s; last lines of $4:" >&2
      tail -n "$5" "$4" >&2 || true
      exit "$6"
    fi
    sleep 0.2
  done
}

# The API on 127.0.0.1:$TCP_PORT for an engine that answers on its socket: dockerd's own listener
# when it has one there, else a forwarder to the socket.
ensure_tcp() {
  [ -z "$TCP_PORT" ] && return 0
  tcp_up && return 0
  local here forward log=/var/log/keelhaul-docker-tcp.log
  here=$(cd "$(dirname "$0")/.." && pwd)
  forward="$here/dist/harness/runtime/docker/engine-tcp-forward.js"
  if [ ! -f "$forward" ]; then
    echo "ensure-engine: $forward is missing: build the project first (npm ci, or npm run build), then run this again" >&2
    exit 1
  fi
  echo "ensure-engine: serving the engine's API on tcp://127.0.0.1:$TCP_PORT (forwarder to $SOCKET; log: $log)" >&2
  nohup node "$forward" "$TCP_PORT" "$SOCKET" >>"$log" 2>&1 </dev/null &
  disown || true
  wait_for tcp_up 10 "the engine on tcp://127.0.0.1:$TCP_PORT" "$log" 5 1
}

if command -v docker >/dev/null 2>&1 && engine_up; then
  ensure_tcp
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "ensure-engine: the Docker engine does not answer and starting it needs root (run this script as root, or start dockerd yourself)" >&2
  exit 1
fi

if ! command -v dockerd >/dev/null 2>&1; then
  echo "ensure-engine: dockerd not found; installing docker.io with apt-get" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends docker.io >/dev/null
fi
if ! command -v docker >/dev/null 2>&1; then
  echo "ensure-engine: the docker CLI is missing (apt-get install docker.io provides it)" >&2
  exit 1
fi

# Start dockerd unless one is already starting (a second dockerd would fail on the pid file).
if ! pgrep -x dockerd >/dev/null 2>&1; then
  echo "ensure-engine: starting dockerd (log: $LOG)" >&2
  # With --tcp, dockerd listens there itself (and keeps its socket); --tls=false says the plain TCP
  # listener is meant (newer engines refuse one otherwise); it is on 127.0.0.1 only.
  listen=()
  [ -n "$TCP_PORT" ] && listen=(-H "unix://$SOCKET" -H "tcp://127.0.0.1:$TCP_PORT" --tls=false)
  nohup dockerd "${listen[@]}" >>"$LOG" 2>&1 </dev/null &
  disown || true
fi

wait_for engine_up "$WAIT_S" dockerd "$LOG" 20 2
ensure_tcp
echo "ensure-engine: Docker engine ready ($(docker version --format '{{.Server.Version}}' 2>/dev/null || echo '?'))${TCP_PORT:+, also on tcp://127.0.0.1:$TCP_PORT}" >&2
