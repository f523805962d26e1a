#!/usr/bin/env bash
# Runs every `func FuzzXxx` in the module for $FUZZTIME (default 3s) each.
# Corpora live in each package's testdata/fuzz/FuzzXxx and are committed.
set -euo pipefail
cd "$(dirname "$0")/.."
FUZZTIME=${FUZZTIME:-3s}
n=0
while IFS= read -r file; do
  dir=$(dirname "$file")
  for fn in $(grep -oE '^func (Fuzz[A-Za-z0-9_]+)\(' "$file" | sed -E 's/^func (Fuzz[A-Za-z0-9_]+)\(/\1/'); do
    echo "fuzz ./$dir $fn ($FUZZTIME)"
    go test -run='^$' -fuzz="^${fn}\$" -fuzztime="$FUZZTIME" -fuzzminimizetime=100x "./$dir" >/tmp/fleetsim-fuzz.log 2>&1 || {
      cat /tmp/fleetsim-fuzz.log; echo "FAIL: fuzz $dir $fn"; exit 1; }
    n=$((n+1))
  done
done < <(grep -rlE '^func Fuzz[A-Za-z0-9_]+\(' --include='*_test.go' . | sed 's|^\./||' | sort)
echo "fuzz: $n targets ok"
