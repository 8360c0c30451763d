/* Compiled as C99 by the build: orgscim.h must stand alone in C. */
#include <orgscim/abi/orgscim.h>

uint32_t orgscim_header_check_version(void);
uint32_t orgscim_header_check_version(void) { return ORGSCIM_ABI_VERSION; }
