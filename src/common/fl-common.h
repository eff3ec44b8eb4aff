/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fl-common.h - the first include of every flyte source file.
 *
 * Pulls in the system headers every module uses, the compiler attribute
 * macros, the assertion macros and, last, banned.h which turns unsafe libc
 * calls into compile errors.  A .c file includes this header first and then
 * exactly the headers it uses.
 */
#ifndef FL_COMMON_H
#define FL_COMMON_H

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FL_PRINTF(fmt_idx, args_idx) __attribute__((format(printf, fmt_idx, args_idx)))
#define FL_UNUSED __attribute__((unused))
#define FL_NORETURN __attribute__((noreturn))
#define FL_WARN_UNUSED __attribute__((warn_unused_result))
#define FL_LIKELY(x) __builtin_expect(!!(x), 1)
#define FL_UNLIKELY(x) __builtin_expect(!!(x), 0)

#define FL_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define FL_MIN(a, b) ((a) < (b) ? (a) : (b))
#define FL_MAX(a, b) ((a) > (b) ? (a) : (b))

FL_NORETURN void fl__bug(const char *file, int line, const char *msg);

/* Internal invariant: aborts in debug builds, compiled out in release. */
#ifdef NDEBUG
#define FL_ASSERT(x) ((void)0)
#else
#define FL_ASSERT(x) ((x) ? (void)0 : fl__bug(__FILE__, __LINE__, "assertion failed: " #x))
#endif

/* An impossible state was reached. Always aborts. */
#define FL_BUG(msg) fl__bug(__FILE__, __LINE__, (msg))

/* Defensive checks on conditions believed impossible (coverage tools may ignore them). */
#define FL_ALWAYS(x) (!!(x))
#define FL_NEVER(x) (!!(x))

#include "banned.h"

#endif
