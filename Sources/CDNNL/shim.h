// oneDNN's C API (Debian: libdnnl-dev, oneDNN 2.6 with OpenMP threading), and the one OpenMP
// function Tandem calls to give oneDNN its thread count.
#include <dnnl.h>

void omp_set_num_threads(int count);

// DNNL_MEMORY_ALLOCATE is a macro Swift cannot import: "let oneDNN allocate this buffer".
static inline void *tandem_dnnl_memory_allocate(void) { return DNNL_MEMORY_ALLOCATE; }
