#ifndef SWIFTSFU_CMALLOC_SHIM_H
#define SWIFTSFU_CMALLOC_SHIM_H
// glibc's allocator statistics (mallinfo2), which the Glibc module does not bring in.
#include <malloc.h>
#endif
