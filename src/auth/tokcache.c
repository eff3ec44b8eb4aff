/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tokcache.c - the verified-token cache: sets of a few ways, a lock per set.
 *
 * The set index comes from the first bytes of the SHA-256 digest, which is
 * uniformly distributed, so no further hashing is needed.  Within a set an
 * entry is found by comparing the whole digest; a miss that inserts takes a
 * free or dead way first, otherwise the least recently used one.  Claims
 * are jansson values, reference counted atomically, so a hit hands out a
 * reference and the caller reads the claims without holding the lock.
 */
#include "fl-common.h"

#include <pthread.h>

#include <openssl/sha.h>

#include "alloc.h"
#include "tokcache.h"

struct entry {
	unsigned char digest[FL_TOKCACHE_DIGEST];
	uint64_t generation;
	int64_t expires_at;
	uint64_t last_used;
	json_t *claims; /* NULL = free way */
};

struct set {
	pthread_mutex_t lock;
	uint64_t tick;
	struct entry ways[FL_TOKCACHE_WAYS];
};

struct fl_tokcache {
	size_t nsets; /* power of two */
	struct set *sets;
};

struct fl_tokcache *fl_tokcache_new(size_t capacity)
{
	struct fl_tokcache *c;
	size_t nsets = 1;

	if (capacity == 0)
		return NULL;
	while (nsets * FL_TOKCACHE_WAYS < capacity)
		nsets <<= 1;
	c = fl_xcalloc(1, sizeof(*c));
	c->nsets = nsets;
	c->sets = fl_xcalloc(nsets, sizeof(*c->sets));
	for (size_t i = 0; i < nsets; i++)
		pthread_mutex_init(&c->sets[i].lock, NULL);
	return c;
}

void fl_tokcache_free(struct fl_tokcache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->nsets; i++) {
		for (size_t w = 0; w < FL_TOKCACHE_WAYS; w++)
			json_decref(c->sets[i].ways[w].claims);
		pthread_mutex_destroy(&c->sets[i].lock);
	}
	free(c->sets);
	free(c);
}

void fl_tokcache_digest(const char *token, size_t len, unsigned char out[FL_TOKCACHE_DIGEST])
{
	SHA256((const unsigned char *)token, len, out);
}

static struct set *set_for(struct fl_tokcache *c, const unsigned char *digest)
{
	uint64_t h;
	memcpy(&h, digest, sizeof(h));
	return &c->sets[h & (c->nsets - 1)];
}

bool fl_tokcache_get(struct fl_tokcache *c, const unsigned char digest[FL_TOKCACHE_DIGEST], uint64_t generation,
		     int64_t now, json_t **claims)
{
	struct set *s;
	bool hit = false;

	*claims = NULL;
	if (!c)
		return false;
	s = set_for(c, digest);
	pthread_mutex_lock(&s->lock);
	for (size_t w = 0; w < FL_TOKCACHE_WAYS; w++) {
		struct entry *e = &s->ways[w];
		if (!e->claims || memcmp(e->digest, digest, FL_TOKCACHE_DIGEST) != 0)
			continue;
		if (e->generation != generation || now >= e->expires_at) {
			json_decref(e->claims);
			memset(e, 0, sizeof(*e));
			break;
		}
		e->last_used = ++s->tick;
		*claims = json_incref(e->claims);
		hit = true;
		break;
	}
	pthread_mutex_unlock(&s->lock);
	return hit;
}

/* Eviction preference: free way, then stale generation, then live (LRU among equals). */
static int way_rank(const struct entry *e, uint64_t generation)
{
	if (!e->claims)
		return 0;
	return e->generation != generation ? 1 : 2;
}

void fl_tokcache_put(struct fl_tokcache *c, const unsigned char digest[FL_TOKCACHE_DIGEST], uint64_t generation,
		     int64_t expires_at, json_t *claims)
{
	struct set *s;
	struct entry *victim = NULL;

	if (!c || !claims)
		return;
	s = set_for(c, digest);
	pthread_mutex_lock(&s->lock);
	for (size_t w = 0; w < FL_TOKCACHE_WAYS; w++) {
		struct entry *e = &s->ways[w];
		if (e->claims && memcmp(e->digest, digest, FL_TOKCACHE_DIGEST) == 0) {
			victim = e; /* the same token again: refresh it */
			break;
		}
		if (!victim || way_rank(e, generation) < way_rank(victim, generation) ||
		    (way_rank(e, generation) == way_rank(victim, generation) && e->last_used < victim->last_used))
			victim = e;
	}
	json_decref(victim->claims);
	memcpy(victim->digest, digest, FL_TOKCACHE_DIGEST);
	victim->generation = generation;
	victim->expires_at = expires_at;
	victim->last_used = ++s->tick;
	victim->claims = json_incref(claims);
	pthread_mutex_unlock(&s->lock);
}

size_t fl_tokcache_size(struct fl_tokcache *c)
{
	size_t n = 0;

	if (!c)
		return 0;
	for (size_t i = 0; i < c->nsets; i++) {
		pthread_mutex_lock(&c->sets[i].lock);
		for (size_t w = 0; w < FL_TOKCACHE_WAYS; w++)
			n += c->sets[i].ways[w].claims != NULL;
		pthread_mutex_unlock(&c->sets[i].lock);
	}
	return n;
}
