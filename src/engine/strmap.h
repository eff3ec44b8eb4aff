/* SPDX-License-Identifier: Apache-2.0 */
/*
 * strmap.h - a hash map from byte-string keys to borrowed pointers.
 *
 * Keys are copied (they may contain NUL bytes: the length is explicit);
 * values are opaque pointers that the map never frees, except through the
 * optional destructor given to fl_strmap_free.  Not thread-safe: the engine
 * uses it only from its writer thread.
 */
#ifndef FL_STRMAP_H
#define FL_STRMAP_H

#include "fl-common.h"

struct fl_strmap;

struct fl_strmap *fl_strmap_new(void);
/* Free the map; free_val (may be NULL) is called on every value. NULL-tolerant. */
void fl_strmap_free(struct fl_strmap *m, void (*free_val)(void *));
/* Remove every entry (calling free_val on each value when not NULL). */
void fl_strmap_clear(struct fl_strmap *m, void (*free_val)(void *));

size_t fl_strmap_count(const struct fl_strmap *m);
/* The value for key, or NULL. */
void *fl_strmap_get(const struct fl_strmap *m, const char *key, size_t keylen);
/* Set key to val; returns the previous value (NULL if none). */
void *fl_strmap_set(struct fl_strmap *m, const char *key, size_t keylen, void *val);
/* Remove key; returns its value (NULL if absent). */
void *fl_strmap_remove(struct fl_strmap *m, const char *key, size_t keylen);

/*
 * Visit every entry (unspecified order).  The callback must not modify the
 * map; a non-zero return stops the walk and is returned.
 */
int fl_strmap_each(const struct fl_strmap *m, int (*fn)(const char *key, size_t keylen, void *val, void *payload),
		   void *payload);

static inline void *fl_strmap_gets(const struct fl_strmap *m, const char *key)
{
	return fl_strmap_get(m, key, strlen(key));
}

#endif
