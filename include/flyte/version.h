/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file flyte/version.h
 * @brief Version of the libflyte headers and of the loaded library.
 *
 * The numbers below describe the headers a program was compiled against;
 * flyte_version() reports the library actually loaded at run time.  The
 * shared library's soname changes only with FLYTE_VERSION_MAJOR.
 */
#ifndef FLYTE_VERSION_H
#define FLYTE_VERSION_H

#include "common.h"

#define FLYTE_VERSION "0.1.0"
#define FLYTE_VERSION_MAJOR 0
#define FLYTE_VERSION_MINOR 1
#define FLYTE_VERSION_PATCH 0

/** Version of the Flyte REST API the library speaks (the path prefix). */
#define FLYTE_API_VERSION "v1"

FLYTE_BEGIN_DECL

/**
 * Version string of the loaded library, e.g. "0.1.0".
 *
 * Thread-safe.  The string is static (borrowed, never freed).
 *
 * @return the version string; never NULL.
 */
FLYTE_API const char *flyte_version(void);

FLYTE_END_DECL

#endif
