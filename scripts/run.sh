#!/usr/bin/env bash
# `make run`: the main job on embedded defaults (no etcd, no Docker): `dynobs serve`, a frontend
# on :8000 (DYN_HTTP_PORT changes it) and two mock-engine workers, found through file discovery.
# It prints every URL and a curl line to try; Ctrl-C stops everything.
set -euo pipefail
bin=${1:?usage: $0 BIN_DIR}
exec "$bin/dynobs" serve "${@:2}"
