#!/usr/bin/env bash
# `make run`: the main job on embedded defaults (no etcd, no Docker).
# Until the frontend exists, that is one worker (mock engine, file discovery) and its system
# status server; `dynobs call` talks to it over the request plane.
set -euo pipefail
bin=${1:?usage: $0 BIN_DIR}
port=${DYN_SYSTEM_PORT:-8081}
export DYN_SYSTEM_PORT=$port
cat <<MSG
dynobs worker on :$port (Ctrl-C stops it)
  metrics    http://localhost:$port/metrics
  readiness  http://localhost:$port/health
  liveness   http://localhost:$port/live
try, in another terminal:
  $bin/dynobs call --prompt "Hello there" --max-tokens 8
  curl -s localhost:$port/metrics | grep dynamo_component_requests_total
MSG
exec "$bin/dynobs" worker
