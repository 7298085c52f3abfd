#!/usr/bin/env bash
# `make run`: the main job on embedded defaults (no etcd, no Docker).
# Until the serving path exists, that is one worker and its system status server.
set -euo pipefail
bin=${1:?usage: $0 BIN_DIR}
port=${DYN_SYSTEM_PORT:-8081}
export DYN_SYSTEM_PORT=$port
export DYN_SYSTEM_STARTING_HEALTH_STATUS=${DYN_SYSTEM_STARTING_HEALTH_STATUS:-ready}
cat <<MSG
dynobs worker on :$port (Ctrl-C stops it)
  metrics    http://localhost:$port/metrics
  readiness  http://localhost:$port/health
  liveness   http://localhost:$port/live
try:  curl -s localhost:$port/metrics | head -20
MSG
exec "$bin/dynobs" worker
