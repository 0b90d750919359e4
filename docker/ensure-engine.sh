#!/usr/bin/env bash
# Makes sure a Docker engine answers on this machine, for the `docker` runtime (docs/docker.md).
#
#   docker/ensure-engine.sh            # exit 0 once `docker info` works
#
# - If `docker info` already works: nothing to do (idempotent; safe to run before every test run).
# - Otherwise, as root: installs docker.io with apt if `dockerd` is missing, starts `dockerd` in the
#   background (there is no systemd on the CI machines), logging to /var/log/keelhaul-dockerd.log,
#   and waits up to KEELHAUL_DOCKERD_WAIT seconds (default 30) for `docker info` to answer.
# Exit codes: 0 ready, 1 not root / install failed, 2 the engine did not come up in time.
set -euo pipefail

LOG=/var/log/keelhaul-dockerd.log
WAIT_S=${KEELHAUL_DOCKERD_WAIT:-30}

engine_up() { docker info >/dev/null 2>&1; }

if command -v docker >/dev/null 2>&1 && engine_up; then
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
  nohup dockerd >>"$LOG" 2>&1 </dev/null &
  disown || true
fi

deadline=$((SECONDS + WAIT_S))
until engine_up; do
  if [ "$SECONDS" -ge "$deadline" ]; then
    echo "ensure-engine: dockerd did not answer within ${WAIT_S} s; last lines of $LOG:" >&2
    tail -n 20 "$LOG" >&2 || true
    exit 2
  fi
  sleep 0.2
done
echo "ensure-engine: Docker engine ready ($(docker version --format '{{.Server.Version}}' 2>/dev/null || echo '?'))" >&2
