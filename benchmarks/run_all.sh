#!/usr/bin/env bash
# Run every benchmark in turn: bash benchmarks/run_all.sh
# PYTHON (default: python) must have ordinance installed with the bench extra
# (pip install .[bench]). Sizes can be overridden: DECIDE_N, PEERS_N, COLD_RUNS,
# SCALE_N, BATCH_N, ANALYSIS_RUNS, HTTP_N, HTTP_CLIENTS, SPARSE_LIMIT.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python}"
export PATH="$(dirname "$(command -v "$PYTHON")"):$PATH"

echo "== bench_decide.py"; "$PYTHON" benchmarks/bench_decide.py "${DECIDE_N:-2000}"
echo; echo "== bench_peers.py"; "$PYTHON" benchmarks/bench_peers.py "${PEERS_N:-10000}"
echo; echo "== bench_coldstart.py"; "$PYTHON" benchmarks/bench_coldstart.py "${COLD_RUNS:-10}"
echo; echo "== bench_scale.py"; "$PYTHON" benchmarks/bench_scale.py "${SCALE_N:-300}"
echo; echo "== bench_batch.py"; "$PYTHON" benchmarks/bench_batch.py "${BATCH_N:-2000}"
echo; echo "== bench_sparse.py"; "$PYTHON" benchmarks/bench_sparse.py ${SPARSE_LIMIT:-}
echo; echo "== bench_questions.py"; "$PYTHON" benchmarks/bench_questions.py
echo; echo "== bench_analysis.py"; "$PYTHON" benchmarks/bench_analysis.py "${ANALYSIS_RUNS:-3}"
echo; echo "== bench_http_load.py"; "$PYTHON" benchmarks/bench_http_load.py "${HTTP_N:-5000}" --clients "${HTTP_CLIENTS:-8}" --verify --log
