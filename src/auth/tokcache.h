/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tokcache.h - bounded cache of verified tokens (SHA-256 -> claims).
 *
 * Verifying an RS256 token costs tens of microseconds; packs send the same
 * long-lived token on every request, so the outcome of a successful
 * verification is kept: the key is the SHA-256 of the token (the token
 * itself is never stored), the value the decoded claims, the key-set
 * generation the token was verified under, and the instant after which the
 * entry is dead (the token's exp plus leeway).  An entry is used only while
 * it is alive and its generation is the current one, so a JWKS change
 * drops every cached verification.
 *
 * Set-associative: FL_TOKCACHE_WAYS entries per set, one mutex per set,
 * least recently used entry of the set evicted.  Thread-safe.
 */
#ifndef FL_TOKCACHE_H
#define FL_TOKCACHE_H

#include <jansson.h>

#include "fl-common.h"

#define FL_TOKCACHE_DIGEST 32
#define FL_TOKCACHE_WAYS 8

struct fl_tokcache;

/* capacity is rounded up to a multiple of FL_TOKCACHE_WAYS (power-of-two sets); 0 disables. */
struct fl_tokcache *fl_tokcache_new(size_t capacity);
void fl_tokcache_free(struct fl_tokcache *cache);

/* SHA-256 of a token, the cache key. */
void fl_tokcache_digest(const char *token, size_t len, unsigned char out[FL_TOKCACHE_DIGEST]);

/*
 * Look up a digest.  On a hit returns true and a new reference to the claims
 * in *claims (caller json_decref()s it).
 */
bool fl_tokcache_get(struct fl_tokcache *cache, const unsigned char digest[FL_TOKCACHE_DIGEST], uint64_t generation,
		     int64_t now, json_t **claims);

/* Remember a verification (takes its own reference to claims). */
void fl_tokcache_put(struct fl_tokcache *cache, const unsigned char digest[FL_TOKCACHE_DIGEST], uint64_t generation,
		     int64_t expires_at, json_t *claims);

/* Number of live-or-dead occupied entries (tests). */
size_t fl_tokcache_size(struct fl_tokcache *cache);

#endif
