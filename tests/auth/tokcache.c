/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tokcache.c - the verified-token cache: hits, expiry, generation changes,
 * bounded size with least-recently-used eviction inside a set.
 */
#include "fl-common.h"

#include "auth/tokcache.h"
#include "fltest.h"

static void digest_of(int i, unsigned char d[FL_TOKCACHE_DIGEST])
{
	char tok[32];
	snprintf(tok, sizeof(tok), "token-%d", i);
	fl_tokcache_digest(tok, strlen(tok), d);
}

FLT_TEST(hit_expiry_generation)
{
	struct fl_tokcache *c = fl_tokcache_new(64);
	unsigned char d[FL_TOKCACHE_DIGEST], other[FL_TOKCACHE_DIGEST];
	json_t *claims = json_pack("{s:s}", "sub", "a"), *got = NULL;

	digest_of(1, d);
	digest_of(2, other);
	FLT_ASSERT(!fl_tokcache_get(c, d, 1, 100, &got));
	fl_tokcache_put(c, d, 1, 200, claims);
	FLT_ASSERT(fl_tokcache_get(c, d, 1, 100, &got));
	FLT_ASSERT(got == claims);
	json_decref(got);
	FLT_ASSERT(!fl_tokcache_get(c, other, 1, 100, &got));
	FLT_ASSERT(!fl_tokcache_get(c, d, 2, 100, &got)); /* key set changed: entry dropped */
	FLT_ASSERT(!fl_tokcache_get(c, d, 1, 100, &got));
	fl_tokcache_put(c, d, 1, 200, claims);
	FLT_ASSERT(!fl_tokcache_get(c, d, 1, 200, &got)); /* dead at expires_at */
	FLT_EQ_INT(fl_tokcache_size(c), 0);
	json_decref(claims);
	fl_tokcache_free(c);
}

FLT_TEST(bounded_with_lru_eviction)
{
	struct fl_tokcache *c = fl_tokcache_new(16);
	json_t *claims = json_object(), *got;
	unsigned char d[FL_TOKCACHE_DIGEST], first[FL_TOKCACHE_DIGEST];
	int hits = 0;

	digest_of(0, first);
	fl_tokcache_put(c, first, 1, 1000, claims);
	for (int i = 1; i < 1000; i++) {
		digest_of(i, d);
		fl_tokcache_put(c, d, 1, 1000, claims);
		/* keep the first entry hot */
		if (fl_tokcache_get(c, first, 1, 10, &got)) {
			hits++;
			json_decref(got);
		}
	}
	FLT_EQ_INT(fl_tokcache_size(c), 16);
	FLT_EQ_INT(hits, 999);
	json_decref(claims);
	fl_tokcache_free(c);
}

FLT_TEST(disabled_cache)
{
	unsigned char d[FL_TOKCACHE_DIGEST];
	json_t *got;
	digest_of(1, d);
	FLT_ASSERT(fl_tokcache_new(0) == NULL);
	fl_tokcache_put(NULL, d, 1, 10, json_null());
	FLT_ASSERT(!fl_tokcache_get(NULL, d, 1, 0, &got));
	fl_tokcache_free(NULL);
}

FLT_MAIN(hit_expiry_generation, bounded_with_lru_eviction, disabled_cache)
