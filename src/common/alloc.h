/* SPDX-License-Identifier: Apache-2.0 */
/*
 * alloc.h - allocation wrappers for the server.
 *
 * The server treats out-of-memory as fatal: these log and abort instead of
 * returning NULL.  Sizes that come from input are capped by the callers
 * (see fl_buf's maximum size), so OOM here means the machine is exhausted.
 * Library code that must never abort (libflyte) does not use these.
 */
#ifndef FL_ALLOC_H
#define FL_ALLOC_H

#include "fl-common.h"

void *fl_xmalloc(size_t n);
void *fl_xcalloc(size_t count, size_t size);
void *fl_xrealloc(void *p, size_t n);
char *fl_xstrdup(const char *s);
char *fl_xstrndup(const char *s, size_t n);
/* Copy n bytes and add a terminating NUL. */
char *fl_xmemdup0(const void *p, size_t n);

#endif
