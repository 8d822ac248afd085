// oneDNN's C API (Debian: libdnnl-dev, oneDNN 2.6 with OpenMP threading), and the two OpenMP
// functions Tandem calls to give oneDNN its thread count and read it back.
#include <dnnl.h>

void omp_set_num_threads(int count);
int omp_get_max_threads(void);

// DNNL_MEMORY_ALLOCATE is a macro Swift cannot import: "let oneDNN allocate this buffer".
static inline void *tandem_dnnl_memory_allocate(void) { return DNNL_MEMORY_ALLOCATE; }
