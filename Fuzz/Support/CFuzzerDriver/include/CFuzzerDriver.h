// libFuzzer's driver entry point (compiler-rt, LLVM ≥ 11): runs the fuzzing loop over `callback`
// with libFuzzer's command-line options. The fuzz targets call it from their own `main`, so they
// link as ordinary SwiftPM executables with the fuzzer runtime's `main` left unused.
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));
