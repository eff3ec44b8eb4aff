/* SPDX-License-Identifier: Apache-2.0 */
/*
 * oidc.h - OpenID Connect discovery and the cached JWKS of one issuer.
 *
 * fl_oidc_open() fetches <issuer>/.well-known/openid-configuration, insists
 * that its `issuer` equals the configured URL exactly, fetches `jwks_uri`
 * and builds the key set, all before returning.  A background thread then
 * refetches the JWKS periodically (Cache-Control max-age, clamped, default
 * one hour).  A token whose kid is unknown may ask for an early refetch with
 * fl_oidc_refetch_for_kid(); such on-demand fetches happen at most once per
 * cooldown however many tokens ask, and concurrent askers share one fetch.
 *
 * Readers take a reference to the current key set (fl_oidc_keys) and keep
 * using it while a refetch swaps in a new one; the set is freed when its
 * last reader lets go.  All functions are thread-safe.
 *
 * Fetches use libcurl: no redirects, http/https only, TLS peer and host
 * verification on, the configured CA file if any, a total timeout, and a
 * size cap on every response.
 */
#ifndef FL_OIDC_H
#define FL_OIDC_H

#include "error.h"
#include "fl-common.h"
#include "jwk.h"

#define FL_OIDC_MAX_DISCOVERY (256 * 1024)
#define FL_OIDC_REFRESH_DEFAULT_SEC 3600
#define FL_OIDC_REFRESH_MIN_SEC 60
#define FL_OIDC_REFRESH_MAX_SEC 86400

struct fl_oidc;

struct fl_oidc_config {
	const char *issuer_url;
	int http_timeout_ms;
	const char *ca_file;            /* NULL: system default */
	int refetch_cooldown_sec;       /* between on-demand refetches */
	int min_refresh_sec;            /* floor of the periodic refresh; 0 = FL_OIDC_REFRESH_MIN_SEC */
};

int fl_oidc_open(struct fl_oidc **out, const struct fl_oidc_config *cfg, struct fl_error *err);
void fl_oidc_free(struct fl_oidc *oidc);

/* A reference to the current key set (release with fl_jwk_set_unref) and its generation. */
struct fl_jwk_set *fl_oidc_keys(struct fl_oidc *oidc, uint64_t *generation);
/* Generation of the current key set; it changes only when the fetched JWKS changes. */
uint64_t fl_oidc_generation(struct fl_oidc *oidc);

/*
 * A token named a kid missing from the set of generation `seen`.  Waits for
 * a refetch if one is allowed now (or already running) and returns true if
 * a different key set is now current; false when the cooldown forbids a
 * fetch or the fetch brought nothing new.
 */
bool fl_oidc_refetch_for_kid(struct fl_oidc *oidc, uint64_t seen);

/* JWKS fetches attempted since open, the first one included (tests, metrics). */
uint64_t fl_oidc_fetch_count(struct fl_oidc *oidc);

#endif
