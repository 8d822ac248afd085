#!/usr/bin/env bash
# Runs the whole test suite once per OpenBLAS kernel family, so that no test depends on the
# rounding of one family (issue "portable and open", item 2):
#
#   bash scripts/test-kernel-families.sh SWIFT LOG_PREFIX FAMILY… -- TEST_ARGUMENTS…
#
# Each pass runs `SWIFT test TEST_ARGUMENTS` with OPENBLAS_CORETYPE=FAMILY and TANDEM_NUMERICS=native
# (so the `tandem` processes the tests start use that family too), inside its own private Slurm
# cluster (scripts/with-slurm.sh), and writes LOG_PREFIX-FAMILY.log. A family this CPU cannot run
# (SkylakeX needs AVX-512 F/BW/DQ/VL, Haswell AVX2 and FMA) is skipped, saying so. Prints one
# closing line for all passes ("N passed, M failed") and exits non-zero if any pass failed.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
swift="$1" prefix="$2"; shift 2
families=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do families+=("$1"); shift; done
[ "${1:-}" = "--" ] && shift

flags=" $(grep -m1 '^flags' /proc/cpuinfo) "
runs() {
    case "$1" in
        SkylakeX|Cooperlake|SapphireRapids)
            for f in avx512f avx512bw avx512dq avx512vl; do [[ "$flags" == *" $f "* ]] || return 1; done ;;
        Haswell|Zen)
            for f in avx2 fma; do [[ "$flags" == *" $f "* ]] || return 1; done ;;
    esac
    return 0
}

status=0 logs=()
for family in "${families[@]}"; do
    if ! runs "$family"; then
        echo "test-kernel-families: skipping $family: this CPU cannot run its kernels"
        continue
    fi
    log="$prefix-$family.log"
    echo "test-kernel-families: the test suite with OpenBLAS's $family kernels (OPENBLAS_CORETYPE=$family TANDEM_NUMERICS=native)"
    OPENBLAS_CORETYPE="$family" TANDEM_NUMERICS=native bash "$here/with-slurm.sh" "$swift" test "$@" 2>&1 | tee "$log"
    pass=${PIPESTATUS[0]}
    echo "test-kernel-families: $family: $(bash "$here/test-summary.sh" "$log")$([ "$pass" -ne 0 ] && echo " (exit $pass)")"
    [ "$pass" -ne 0 ] && status=1
    logs+=("$log")
done
[ ${#logs[@]} -gt 0 ] || { echo "test-kernel-families: this CPU runs none of: ${families[*]}" >&2; exit 1; }
bash "$here/test-summary.sh" "${logs[@]}"
exit $status
