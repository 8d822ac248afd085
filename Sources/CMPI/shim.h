// Open MPI's C API (Debian: libopenmpi-dev; the header is the multiarch alternative
// /usr/include/<triplet>/mpi/mpi.h), for runs over several processes.
#include <mpi/mpi.h>

// MPI's handles are macros over library globals, which Swift cannot import.
static inline MPI_Comm tandem_mpi_comm_world(void) { return MPI_COMM_WORLD; }
static inline MPI_Datatype tandem_mpi_float(void) { return MPI_FLOAT; }
static inline MPI_Datatype tandem_mpi_int(void) { return MPI_INT; }
static inline MPI_Datatype tandem_mpi_double(void) { return MPI_DOUBLE; }
static inline MPI_Datatype tandem_mpi_char(void) { return MPI_CHAR; }
