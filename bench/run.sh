#!/usr/bin/env bash
# make bench: the benchmark harness; writes bench/RESULTS.md. Pass harness
# flags through, e.g. bash bench/run.sh -embedded 100,1000 -nginx 50 -window 20s
set -euo pipefail
cd "$(dirname "$0")/.."
ulimit -n 65536 2>/dev/null || true
go run ./bench/harness "$@"
