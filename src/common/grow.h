/* SPDX-License-Identifier: Apache-2.0 */
/*
 * grow.h - the capacity arithmetic of growable arrays, without aborting.
 *
 * One rule for every growable array: the capacity doubles, starting at 4,
 * until it holds `need` elements; the multiplications are checked.  The
 * server's FL_GROW (alloc.h) aborts when this fails; libflyte, which must
 * never abort, calls fl_grow_try itself and reports FLYTE_ENOMEM.
 * Header-only, like hex.h, so that libflyte and the packs have it without
 * another source file.
 */
#ifndef FL_GROW_H
#define FL_GROW_H

#include "fl-common.h"

/*
 * The capacity an array of capacity cap < need grows to: cap doubled (from
 * at least 4) until it holds need elements.  0 when the doubling overflows.
 */
static inline size_t fl_grow_cap(size_t cap, size_t need)
{
	size_t c = cap < 4 ? 4 : cap;

	while (c < need) {
		if (c > SIZE_MAX / 2)
			return 0;
		c *= 2;
	}
	return c;
}

/*
 * Make room for at least `need` elements of `size` bytes in the array p of
 * capacity *cap.  Returns the (possibly moved) array and updates *cap, or
 * returns NULL when out of memory or when the size overflows: p and *cap
 * are then unchanged (p is still the caller's to free).
 *
 *     struct item *v = fl_grow_try(l->items, &l->cap, l->n + 1, sizeof(*v));
 *     if (!v)
 *             return FLYTE_ENOMEM;
 *     l->items = v;
 */
static inline void *fl_grow_try(void *p, size_t *cap, size_t need, size_t size)
{
	size_t c, bytes;

	if (need <= *cap)
		return p;
	c = fl_grow_cap(*cap, need);
	if (!c || __builtin_mul_overflow(c, size, &bytes))
		return NULL;
	p = realloc(p, bytes);
	if (p)
		*cap = c;
	return p;
}

#endif
