/* SPDX-License-Identifier: Apache-2.0 */
/*
 * strmap.c - chained hash map with FNV-1a hashing and power-of-two buckets.
 *
 * The engine indexes packs, take queues, flows and flow versions by string
 * keys with it.  Buckets double when the load passes 3/4, so lookups stay
 * O(1) on average whatever the number of entries.
 */
#include "fl-common.h"

#include "alloc.h"
#include "strmap.h"

struct ent {
	struct ent *next;
	uint64_t hash;
	void *val;
	size_t keylen;
	char key[]; /* keylen bytes + NUL */
};

struct fl_strmap {
	struct ent **b;
	size_t nb; /* power of two */
	size_t n;
};

static uint64_t hash_key(const char *k, size_t n)
{
	uint64_t h = UINT64_C(14695981039346656037);
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)k[i];
		h *= UINT64_C(1099511628211);
	}
	return h;
}

struct fl_strmap *fl_strmap_new(void)
{
	struct fl_strmap *m = fl_xcalloc(1, sizeof(*m));
	m->nb = 16;
	m->b = fl_xcalloc(m->nb, sizeof(*m->b));
	return m;
}

void fl_strmap_clear(struct fl_strmap *m, void (*free_val)(void *))
{
	if (!m)
		return;
	for (size_t i = 0; i < m->nb; i++) {
		struct ent *e = m->b[i], *nx;
		for (; e; e = nx) {
			nx = e->next;
			if (free_val)
				free_val(e->val);
			free(e);
		}
		m->b[i] = NULL;
	}
	m->n = 0;
}

void fl_strmap_free(struct fl_strmap *m, void (*free_val)(void *))
{
	if (!m)
		return;
	fl_strmap_clear(m, free_val);
	free(m->b);
	free(m);
}

size_t fl_strmap_count(const struct fl_strmap *m)
{
	return m ? m->n : 0;
}

static struct ent **find(const struct fl_strmap *m, const char *key, size_t keylen, uint64_t h)
{
	struct ent **pp = &m->b[h & (m->nb - 1)];
	for (; *pp; pp = &(*pp)->next)
		if ((*pp)->hash == h && (*pp)->keylen == keylen && memcmp((*pp)->key, key, keylen) == 0)
			return pp;
	return pp;
}

void *fl_strmap_get(const struct fl_strmap *m, const char *key, size_t keylen)
{
	struct ent **pp;

	if (!m)
		return NULL;
	pp = find(m, key, keylen, hash_key(key, keylen));
	return *pp ? (*pp)->val : NULL;
}

static void grow(struct fl_strmap *m)
{
	size_t nb = m->nb * 2;
	struct ent **b = fl_xcalloc(nb, sizeof(*b));

	for (size_t i = 0; i < m->nb; i++) {
		struct ent *e = m->b[i], *nx;
		for (; e; e = nx) {
			nx = e->next;
			e->next = b[e->hash & (nb - 1)];
			b[e->hash & (nb - 1)] = e;
		}
	}
	free(m->b);
	m->b = b;
	m->nb = nb;
}

void *fl_strmap_set(struct fl_strmap *m, const char *key, size_t keylen, void *val)
{
	uint64_t h = hash_key(key, keylen);
	struct ent **pp = find(m, key, keylen, h), *e;
	void *old;

	if (*pp) {
		old = (*pp)->val;
		(*pp)->val = val;
		return old;
	}
	e = fl_xmalloc(sizeof(*e) + keylen + 1);
	e->next = NULL;
	e->hash = h;
	e->val = val;
	e->keylen = keylen;
	memcpy(e->key, key, keylen);
	e->key[keylen] = '\0';
	*pp = e;
	if (++m->n > m->nb / 4 * 3)
		grow(m);
	return NULL;
}

void *fl_strmap_remove(struct fl_strmap *m, const char *key, size_t keylen)
{
	struct ent **pp, *e;
	void *val;

	if (!m)
		return NULL;
	pp = find(m, key, keylen, hash_key(key, keylen));
	e = *pp;
	if (!e)
		return NULL;
	*pp = e->next;
	val = e->val;
	free(e);
	m->n--;
	return val;
}

int fl_strmap_each(const struct fl_strmap *m, int (*fn)(const char *key, size_t keylen, void *val, void *payload),
		   void *payload)
{
	if (!m)
		return 0;
	for (size_t i = 0; i < m->nb; i++)
		for (struct ent *e = m->b[i]; e; e = e->next) {
			int rc = fn(e->key, e->keylen, e->val, payload);
			if (rc)
				return rc;
		}
	return 0;
}
