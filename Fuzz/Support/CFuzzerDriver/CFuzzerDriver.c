// Declarations only (include/CFuzzerDriver.h); the definition is in libFuzzer's runtime.
#include "CFuzzerDriver.h"
