/* SPDX-License-Identifier: Apache-2.0 */
/*
 * alloc.c - aborting allocation wrappers (server side).
 */
#include "fl-common.h"

#include "alloc.h"
#include "grow.h"

static FL_NORETURN void oom(size_t n)
{
	fprintf(stderr, "fatal: out of memory allocating %zu bytes\n", n);
	fflush(stderr);
	abort();
}

void *fl_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		oom(n);
	return p;
}

void *fl_xcalloc(size_t count, size_t size)
{
	void *p = calloc(count ? count : 1, size ? size : 1);
	if (!p)
		oom(count * size);
	return p;
}

void *fl_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		oom(n);
	return q;
}

char *fl_xmemdup0(const void *p, size_t n)
{
	char *q = fl_xmalloc(n + 1);
	if (n)
		memcpy(q, p, n);
	q[n] = '\0';
	return q;
}

char *fl_xstrdup(const char *s)
{
	return fl_xmemdup0(s, strlen(s));
}

char *fl_xstrndup(const char *s, size_t n)
{
	return fl_xmemdup0(s, strnlen(s, n));
}

void *fl_xreallocarray(void *p, size_t count, size_t size)
{
	size_t n;

	if (__builtin_mul_overflow(count, size, &n))
		oom(SIZE_MAX);
	return fl_xrealloc(p, n);
}

void *fl_xmallocarray(size_t count, size_t size)
{
	return fl_xreallocarray(NULL, count, size);
}

void *fl_xgrow(void *p, size_t *cap, size_t need, size_t size)
{
	size_t c;

	if (need <= *cap)
		return p;
	c = fl_grow_cap(*cap, need);
	if (!c)
		oom(SIZE_MAX);
	p = fl_xreallocarray(p, c, size);
	*cap = c;
	return p;
}
