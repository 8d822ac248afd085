#!/usr/bin/env bash
# Prints the OpenBLAS core type the tests and benchmarks should use: the user's OPENBLAS_CORETYPE
# if set; otherwise, when OpenBLAS would fall back to its generic kernels, "SkylakeX" on a CPU with
# AVX-512 F/BW/DQ/VL or "Haswell" with AVX2/FMA (see Sources/Core/Kernels/BLASKernelSelection.swift).
if [ -n "${OPENBLAS_CORETYPE:-}" ]; then echo "$OPENBLAS_CORETYPE"; exit 0; fi
core=$(python3 -c "import ctypes; l=ctypes.CDLL('libopenblas.so.0'); l.openblas_get_corename.restype=ctypes.c_char_p; print(l.openblas_get_corename().decode())" 2>/dev/null || true)
case "$core" in
    Prescott|Core2|Nehalem|unknown)
        flags=$(grep -m1 '^flags' /proc/cpuinfo)
        if [[ " $flags " == *" avx512f "* && " $flags " == *" avx512bw "* && " $flags " == *" avx512dq "* && " $flags " == *" avx512vl "* ]]; then
            echo SkylakeX
        elif [[ " $flags " == *" avx2 "* && " $flags " == *" fma "* ]]; then
            echo Haswell
        fi ;;
esac
