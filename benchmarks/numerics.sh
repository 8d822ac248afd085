#!/bin/bash
# The speed cost of the portable numerics (docs/numerics.md): tandem-bench under
# TANDEM_NUMERICS=portable and =native, back to back, 5 rounds; prints "round policy case median_ms".
# Build first: make bench-build. On a CPU without AVX-512 both policies run the same kernels.
B="$(dirname "$0")/../.build-bench/release/tandem-bench"
for round in 1 2 3 4 5; do
  for policy in portable native; do
    for case in "models splitvgg split=3 batch=8 height=64 width=96 reps=5 warmup=1 min_time=0" "models multilenet batch=256 height=36 width=36 reps=10 warmup=2 min_time=0" "core sgemm m=1024 n=1024 k=1024 reps=10 warmup=2 min_time=0"; do
      out=$(TANDEM_NUMERICS=$policy TANDEM_THREADS=2 OPENBLAS_NUM_THREADS=2 $B $case 2>/dev/null | tail -1)
      med=$(echo "$out" | python3 -c "import json,sys; d=json.loads(sys.stdin.read()); print(d['median_ms'])")
      echo "$round $policy ${case%% reps*} $med"
    done
  done
done
