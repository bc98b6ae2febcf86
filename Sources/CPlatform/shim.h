#ifndef SESSION_MOCK_CPLATFORM_H
#define SESSION_MOCK_CPLATFORM_H

// <stdlib.h> first: it is what defines __GLIBC__ (through <features.h>); tested before any libc
// header is included, the macro is undefined and the function below compiles to nothing.
#include <stdlib.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

// Returns freed heap to the system (glibc keeps it otherwise); a no-op elsewhere. malloc_trim
// is not in Swift's Glibc module.
static inline void
session_mock_release_free_memory(void)
{
#ifdef __GLIBC__
    malloc_trim(0);
#endif
}

#endif
