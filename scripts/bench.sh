#!/usr/bin/env bash
# `make bench`: every benchmark binary, with repetitions so that medians can be compared.
# Figures and the commands behind them are kept in docs/performance.md.
set -euo pipefail
bin=${1:?usage: $0 BIN_DIR}
reps=${BENCH_REPETITIONS:-5}
for b in metrics_bench status_server_bench otlp_bench logging_bench tracing_bench request_plane_bench; do
  [[ -x $bin/$b ]] || continue
  echo "== $b"
  "$bin/$b" --benchmark_repetitions="$reps" --benchmark_report_aggregates_only=true \
    ${BENCH_FILTER:+--benchmark_filter="$BENCH_FILTER"}
done
