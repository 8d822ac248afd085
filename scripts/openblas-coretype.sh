#!/usr/bin/env bash
# Prints the OpenBLAS core type the tests and benchmarks should use: the user's OPENBLAS_CORETYPE
# if set; otherwise "Haswell" when OpenBLAS would fall back to its generic kernels on a CPU with
# AVX2/FMA (see Sources/Core/Kernels/BLASKernelSelection.swift); otherwise nothing.
if [ -n "${OPENBLAS_CORETYPE:-}" ]; then echo "$OPENBLAS_CORETYPE"; exit 0; fi
core=$(python3 -c "import ctypes; l=ctypes.CDLL('libopenblas.so.0'); l.openblas_get_corename.restype=ctypes.c_char_p; print(l.openblas_get_corename().decode())" 2>/dev/null || true)
case "$core" in
    Prescott|Core2|Nehalem|unknown)
        if grep -q -w avx2 /proc/cpuinfo && grep -q -w fma /proc/cpuinfo; then echo Haswell; fi ;;
esac
