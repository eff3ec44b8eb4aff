/* SPDX-License-Identifier: Apache-2.0 */
/*
 * str.h - the non-owning slice type used for everything parsed.
 *
 * A struct fl_str points into memory owned by someone else (a request body,
 * a template source); it is never NUL-terminated by contract.  Parsers return
 * slices and never allocate per token.
 */
#ifndef FL_STR_H
#define FL_STR_H

#include "fl-common.h"

struct fl_str {
	const char *ptr;
	size_t len;
};

/* Build a slice from a string literal. */
#define FL_STR(lit) ((struct fl_str){ "" lit, sizeof(lit) - 1 })
#define FL_STR_NULL ((struct fl_str){ NULL, 0 })

static inline struct fl_str fl_str_from(const char *s)
{
	return (struct fl_str){ s, s ? strlen(s) : 0 };
}

static inline struct fl_str fl_str_make(const char *p, size_t n)
{
	return (struct fl_str){ p, n };
}

static inline bool fl_str_eq(struct fl_str a, struct fl_str b)
{
	return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

/* Compare a slice with a NUL-terminated string. */
static inline bool fl_str_eqs(struct fl_str a, const char *s)
{
	size_t n = strlen(s);
	return a.len == n && (n == 0 || memcmp(a.ptr, s, n) == 0);
}

static inline bool fl_str_starts_with(struct fl_str a, const char *prefix)
{
	size_t n = strlen(prefix);
	return a.len >= n && memcmp(a.ptr, prefix, n) == 0;
}

static inline bool fl_str_ends_with(struct fl_str a, const char *suffix)
{
	size_t n = strlen(suffix);
	return a.len >= n && memcmp(a.ptr + a.len - n, suffix, n) == 0;
}

#endif
