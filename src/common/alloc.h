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
/* realloc to count * size bytes; the multiplication is checked (overflow aborts like OOM). */
void *fl_xreallocarray(void *p, size_t count, size_t size);
/* malloc of count * size bytes, the multiplication checked (no zeroing: fl_xcalloc zeroes). */
void *fl_xmallocarray(size_t count, size_t size);

/*
 * Growable arrays: make room for at least `need` elements of `size` bytes in
 * the array p of capacity *cap, doubling (at least 4), with checked
 * arithmetic.  Returns the (possibly moved) array.  FL_GROW(arr, cap, need)
 * does it for a typed array:  FL_GROW(v, cap, n + 1); v[n++] = x;
 */
void *fl_xgrow(void *p, size_t *cap, size_t need, size_t size);
#define FL_GROW(arr, cap, need) ((arr) = fl_xgrow((arr), &(cap), (need), sizeof(*(arr))))

#endif
