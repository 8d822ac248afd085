#!/usr/bin/env bash
# The step time of one run over 1 and 2 MPI processes (docs/distributed.md, "Scaling"):
# SplitVGG-3 on 128×192 synthetic scenes, batch 16 in S = 2 micro-batches, one kernel thread per
# rank, for a loss weighting (EW) and a gradient method at θ_s (PCGrad). Also one process with two
# threads, the usual way to use both cores. Rounds alternate the settings back to back; prints the
# median and min of the per-step time (result.json's secondsPerStep) of each.
#
#   bash benchmarks/mpi-scaling.sh [ROUNDS (default 5)] [STEPS (default 12)] [STRATEGY… (default ew pcgrad)]
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
tandem="$here/.build/release/tandem"
rounds="${1:-5}" steps="${2:-12}"
shift $(( $# < 2 ? $# : 2 ))
strategies=("${@:-ew pcgrad}")
[ $# -eq 0 ] && strategies=(ew pcgrad)
[ -x "$tandem" ] || { echo "build first: swift build -c release --product tandem" >&2; exit 1; }
work="$(mktemp -d /tmp/tandem-mpi-scaling.XXXXXX)"
trap 'rm -rf "$work"' EXIT
cat >"$work/r.yaml" <<YAML
name: mpi-scaling
seed: 0
dataset: {name: synthetic-scenes, train: 64, validation: 16, test: 16, height: 128, width: 192}
tasks: [segmentation, {name: depth, role: auxiliary}, {name: normals, role: auxiliary}]
model: {name: splitvgg, split: 3}
strategy: ew
optimizer: {name: sgd, learning_rate: 0.01, momentum: 0.9}
budget: {steps: $steps, batch_size: 16, micro_batches: 2}
evaluation: {selection: last, criterion: loss, batch_size: 16}
YAML
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
settings=("1 process, 1 thread" "2 processes, 1 thread each" "1 process, 2 threads")
for strategy in "${strategies[@]}"; do
    declare -A times=()
    for round in $(seq 1 "$rounds"); do
        for index in 0 1 2; do
            out="$work/$strategy-$index-$round"
            case $index in
                0) TANDEM_THREADS=1 "$tandem" train "$work/r.yaml" strategy=$strategy --output "$out" --quiet >/dev/null ;;
                1) mpirun -np 2 -x TANDEM_THREADS=1 "$tandem" train "$work/r.yaml" strategy=$strategy --output "$out" --quiet >/dev/null ;;
                2) TANDEM_THREADS=2 "$tandem" train "$work/r.yaml" strategy=$strategy --output "$out" --quiet >/dev/null ;;
            esac
            times[$index]+="$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['secondsPerStep'] * 1000)" "$out/result.json") "
        done
    done
    for index in 0 1 2; do
        python3 - "$strategy" "${settings[$index]}" ${times[$index]} <<'PY'
import statistics, sys
values = [float(v) for v in sys.argv[3:]]
print(f"{sys.argv[1]:7s} {sys.argv[2]:28s} median {statistics.median(values):8.1f} ms  min {min(values):8.1f} ms  ({len(values)} rounds)")
PY
    done
    unset times
done
