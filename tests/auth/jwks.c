/* SPDX-License-Identifier: Apache-2.0 */
/*
 * jwks.c - JWK import rules, OIDC discovery refusals, JWKS rotation and
 * the refetch rate limit, counted at the local issuer.
 */
#include "fl-common.h"

#include <pthread.h>
#include <unistd.h>

#include "auth/jwk.h"
#include "auth/oidc.h"
#include "fixture.h"
#include "fltest.h"
#include "mint.h"

static struct fl_jwk_set *parse_ok(const char *text)
{
	struct fl_jwk_set *set = NULL;
	struct fl_error err = FL_ERROR_INIT;
	if (fl_jwk_set_parse(&set, text, strlen(text), &err) != FL_OK)
		FLT_FAIL("jwks parse failed: %s", err.msg);
	return set;
}

/* Parse a one-key JWKS and return how many keys were usable. */
static size_t usable(json_t *jwk)
{
	char *text = ti_jwks_text(&jwk, 1);
	struct fl_jwk_set *set = parse_ok(text);
	size_t n = fl_jwk_set_count(set);
	FLT_EQ_INT(n + fl_jwk_set_skipped(set), 1);
	fl_jwk_set_unref(set);
	free(text);
	return n;
}

FLT_TEST(jwk_import_rules)
{
	struct tf *f = tf_get();
	EVP_PKEY *small = ti_key_rsa(1024);
	json_t *j;

	FLT_EQ_INT(usable(ti_jwk(f->rsa1, "a", "RS256", "sig")), 1);
	FLT_EQ_INT(usable(ti_jwk(f->rsa1, "a", NULL, NULL)), 1);
	FLT_EQ_INT(usable(ti_jwk(f->ec256, "a", "ES256", NULL)), 1);
	FLT_EQ_INT(usable(ti_jwk(small, "a", "RS256", "sig")), 0);       /* under 2048 bits */
	FLT_EQ_INT(usable(ti_jwk(f->rsa1, "a", "RS256", "enc")), 0);     /* not for signatures */
	FLT_EQ_INT(usable(ti_jwk(f->rsa1, "a", "HS256", "sig")), 0);     /* alg outside the allowlist */
	FLT_EQ_INT(usable(ti_jwk(f->rsa1, "a", "ES256", "sig")), 0);     /* alg of another key type */
	FLT_EQ_INT(usable(ti_jwk(f->ec256, "a", "ES384", "sig")), 0);    /* alg of another curve */
	FLT_EQ_INT(usable(json_pack("{s:s, s:s, s:s}", "kty", "oct", "k", "c2VjcmV0", "kid", "h")), 0);
	j = ti_jwk(f->ec256, "a", NULL, NULL);
	json_object_set_new(j, "key_ops", json_pack("[s]", "encrypt"));
	FLT_EQ_INT(usable(j), 0);
	j = ti_jwk(f->ec256, "a", NULL, NULL);
	json_object_set_new(j, "key_ops", json_pack("[s]", "verify"));
	FLT_EQ_INT(usable(j), 1);
	/* a point moved off the curve: y of another key */
	j = ti_jwk(f->ec256, "a", NULL, NULL);
	{
		EVP_PKEY *k = ti_key_ec("P-256");
		json_t *other = ti_jwk(k, NULL, NULL, NULL);
		json_object_set(j, "y", json_object_get(other, "y"));
		json_decref(other);
		EVP_PKEY_free(k);
	}
	FLT_EQ_INT(usable(j), 0);
	/* coordinates of the wrong size */
	j = ti_jwk(f->ec256, "a", NULL, NULL);
	json_object_set_new(j, "x", json_string("AAAA"));
	FLT_EQ_INT(usable(j), 0);
	j = ti_jwk(f->rsa1, "a", NULL, NULL);
	json_object_set_new(j, "e", json_string("AQ")); /* e = 1 */
	FLT_EQ_INT(usable(j), 0);
	EVP_PKEY_free(small);
}

FLT_TEST(jwks_document_errors)
{
	struct fl_jwk_set *set = NULL;
	struct fl_error err = FL_ERROR_INIT;
	const char *bad[] = { "", "[]", "{}", "{\"keys\":{}}", "{\"keys\":[],\"keys\":[]}", "nope" };
	char *big;
	size_t n = 0;

	for (size_t i = 0; i < FL_ARRAY_LEN(bad); i++) {
		FLT_ASSERT(fl_jwk_set_parse(&set, bad[i], strlen(bad[i]), &err) != FL_OK);
		FLT_ASSERT(set == NULL);
	}
	big = malloc(70 * 16 + 32);
	n += (size_t)snprintf(big, 32, "{\"keys\":[");
	for (int i = 0; i < 70; i++)
		n += (size_t)snprintf(big + n, 16, "%s{}", i ? "," : "");
	snprintf(big + n, 8, "]}");
	FLT_EQ_INT(fl_jwk_set_parse(&set, big, strlen(big), &err), FL_ETOOBIG);
	free(big);
}

FLT_TEST(key_choice)
{
	struct tf *f = tf_get();
	json_t *keys[3];
	char *text;
	struct fl_jwk_set *set;
	const struct fl_jwk *k;

	keys[0] = ti_jwk(f->rsa1, "r1", NULL, NULL);
	keys[1] = ti_jwk(f->rsa2, "r2", "RS256", NULL);
	keys[2] = ti_jwk(f->ec256, "e1", NULL, NULL);
	text = ti_jwks_text(keys, 3);
	set = parse_ok(text);
	free(text);
	FLT_EQ_INT(fl_jwk_set_find(set, "r1", 2, FL_JWK_PS384, &k), FL_JWK_FOUND);
	FLT_EQ_STR(k->kid, "r1");
	FLT_EQ_INT(fl_jwk_set_find(set, "r2", 2, FL_JWK_PS256, &k), FL_JWK_INCOMPATIBLE);
	FLT_EQ_INT(fl_jwk_set_find(set, "e1", 2, FL_JWK_RS256, &k), FL_JWK_INCOMPATIBLE);
	FLT_EQ_INT(fl_jwk_set_find(set, "e1", 2, FL_JWK_ES384, &k), FL_JWK_INCOMPATIBLE);
	FLT_EQ_INT(fl_jwk_set_find(set, "zz", 2, FL_JWK_RS256, &k), FL_JWK_UNKNOWN_KID);
	FLT_EQ_INT(fl_jwk_set_find(set, "r", 1, FL_JWK_RS256, &k), FL_JWK_UNKNOWN_KID);
	/* no kid: only when exactly one key fits the algorithm */
	FLT_EQ_INT(fl_jwk_set_find(set, NULL, 0, FL_JWK_ES256, &k), FL_JWK_FOUND);
	FLT_EQ_STR(k->kid, "e1");
	FLT_EQ_INT(fl_jwk_set_find(set, NULL, 0, FL_JWK_RS256, &k), FL_JWK_AMBIGUOUS);
	FLT_EQ_INT(fl_jwk_set_find(set, NULL, 0, FL_JWK_PS256, &k), FL_JWK_FOUND);
	FLT_EQ_STR(k->kid, "r1");
	FLT_EQ_INT(fl_jwk_set_find(set, NULL, 0, FL_JWK_ES384, &k), FL_JWK_AMBIGUOUS);
	fl_jwk_set_unref(set);
}

/* Try to open auth against an issuer whose discovery document is `disc` (NULL: default). */
static int open_with(struct ti_issuer *iss, const char *issuer_url, struct fl_error *err)
{
	struct tf *f = tf_get();
	struct fl_auth_config cfg;
	struct fl_auth *a = NULL;
	int rc;

	(void)iss;
	fl_auth_config_default(&cfg);
	cfg.issuer_url = issuer_url;
	cfg.client_id = TF_AUDIENCE;
	cfg.policy_path = f->policy_path;
	cfg.http_timeout_ms = 3000;
	rc = fl_auth_open(&a, &cfg, err);
	fl_auth_free(a);
	return rc;
}

FLT_TEST(discovery_refusals)
{
	struct tf *f = tf_get();
	struct ti_issuer *iss = ti_issuer_start();
	struct fl_error err = FL_ERROR_INIT;
	char url[128], doc[512], *jwks = tf_jwks(f, NULL, 0);

	ti_issuer_set_jwks(iss, jwks);
	free(jwks);
	FLT_EQ_INT(open_with(iss, ti_issuer_url(iss), &err), FL_OK);

	/* the configured URL must equal the document's issuer exactly */
	snprintf(url, sizeof(url), "%s/", ti_issuer_url(iss));
	FLT_EQ_INT(open_with(iss, url, &err), FL_EINVALID);
	FLT_ASSERT(strstr(err.msg, "does not equal the configured issuer") != NULL);
	snprintf(doc, sizeof(doc), "{\"issuer\":\"https://accounts.example.com\",\"jwks_uri\":\"%s/jwks\"}",
		 ti_issuer_url(iss));
	ti_issuer_set_discovery(iss, doc);
	FLT_EQ_INT(open_with(iss, ti_issuer_url(iss), &err), FL_EINVALID);

	snprintf(doc, sizeof(doc), "{\"issuer\":\"%s\",\"jwks_uri\":\"file:///etc/passwd\"}", ti_issuer_url(iss));
	ti_issuer_set_discovery(iss, doc);
	FLT_EQ_INT(open_with(iss, ti_issuer_url(iss), &err), FL_EINVALID);
	FLT_ASSERT(strstr(err.msg, "jwks_uri") != NULL);

	ti_issuer_set_discovery(iss, "not json");
	FLT_EQ_INT(open_with(iss, ti_issuer_url(iss), &err), FL_EINVALID);
	ti_issuer_set_discovery(iss, NULL);

	/* no usable key at all */
	ti_issuer_set_jwks(iss, "{\"keys\":[{\"kty\":\"oct\",\"k\":\"c2VjcmV0\"}]}");
	FLT_EQ_INT(open_with(iss, ti_issuer_url(iss), &err), FL_EINVALID);
	FLT_ASSERT(strstr(err.msg, "no usable signing key") != NULL);

	/* HTTP errors */
	ti_issuer_set_status(iss, 500);
	FLT_EQ_INT(open_with(iss, ti_issuer_url(iss), &err), FL_EIO);
	FLT_ASSERT(strstr(err.msg, "HTTP status 500") != NULL);
	ti_issuer_stop(iss);

	/* nothing listening */
	FLT_ASSERT(open_with(NULL, "http://127.0.0.1:1", &err) != FL_OK);
	FLT_ASSERT(open_with(NULL, "ftp://127.0.0.1/", &err) == FL_EINVALID);
}

FLT_TEST(policy_error_stops_open)
{
	struct tf *f = tf_get();
	char *path = ti_write_temp("- path: /x\n  methods: [get]\n", ".yaml");
	struct fl_auth_config cfg;
	struct fl_auth *a = NULL;
	struct fl_error err = FL_ERROR_INIT;
	char want[300];

	fl_auth_config_default(&cfg);
	cfg.issuer_url = f->url;
	cfg.client_id = TF_AUDIENCE;
	cfg.policy_path = path;
	FLT_EQ_INT(fl_auth_open(&a, &cfg, &err), FL_EINVALID);
	snprintf(want, sizeof(want), "policy '%s' line 2: unknown method 'get'", path);
	FLT_EQ_STR(err.msg, want);
	unlink(path);
	free(path);
}

static char *token(EVP_PKEY *key, const char *kid)
{
	json_t *c = ti_claims(tf_get()->url, TF_AUDIENCE, 3600);
	char *t = ti_mint(key, kid && strncmp(kid, "ec", 2) == 0 ? "ES256" : "RS256", kid, c);
	size_t n = strlen(t) + 8;
	char *authz = malloc(n);
	snprintf(authz, n, "Bearer %s", t);
	free(t);
	json_decref(c);
	return authz;
}

static enum fl_auth_decision decide(struct fl_auth *a, const char *authz)
{
	struct fl_auth_result r;
	fl_auth_check(a, "GET", "/secure", authz, &r);
	return r.decision;
}

FLT_TEST(rotation_refetches_once_and_flood_is_rate_limited)
{
	struct tf *f = tf_get();
	struct ti_issuer *iss = ti_issuer_start();
	EVP_PKEY *k1 = ti_key_rsa(2048), *k2 = ti_key_rsa(2048), *k3 = ti_key_rsa(2048);
	json_t *keys[3];
	char *text, *authz, url_save[64];
	struct fl_auth *a;
	const char *saved_url = f->url;
	unsigned base;

	keys[0] = ti_jwk(k1, "k1", "RS256", "sig");
	text = ti_jwks_text(keys, 1);
	ti_issuer_set_jwks(iss, text);
	free(text);
	/* tokens are minted for this issuer: point the fixture URL at it for the duration */
	snprintf(url_save, sizeof(url_save), "%s", ti_issuer_url(iss));
	f->url = url_save;
	a = tf_open(f, 3600, 60);
	base = ti_issuer_jwks_hits(iss);
	FLT_EQ_INT(base, 1);

	authz = token(k1, "k1");
	FLT_EQ_INT(decide(a, authz), FL_AUTH_ALLOW);
	free(authz);
	FLT_EQ_INT(ti_issuer_jwks_hits(iss), base);

	/* rotation: the issuer adds k2; a k2 token is accepted after exactly one refetch */
	keys[0] = ti_jwk(k1, "k1", "RS256", "sig");
	keys[1] = ti_jwk(k2, "k2", "RS256", "sig");
	text = ti_jwks_text(keys, 2);
	ti_issuer_set_jwks(iss, text);
	free(text);
	authz = token(k2, "k2");
	FLT_EQ_INT(decide(a, authz), FL_AUTH_ALLOW);
	FLT_EQ_INT(ti_issuer_jwks_hits(iss), base + 1);
	FLT_EQ_INT(decide(a, authz), FL_AUTH_ALLOW);
	free(authz);
	FLT_EQ_INT(ti_issuer_jwks_hits(iss), base + 1);

	/* 100 random kids within the cooldown: no further fetch */
	for (int i = 0; i < 100; i++) {
		char kid[32];
		snprintf(kid, sizeof(kid), "rnd-%d-%ld", i, random());
		authz = token(k1, kid);
		FLT_EQ_INT(decide(a, authz), FL_AUTH_INVALID_TOKEN);
		free(authz);
	}
	FLT_EQ_INT(ti_issuer_jwks_hits(iss), base + 1);

	/* and a key rotated in now waits for the cooldown (or the periodic refresh) */
	keys[0] = ti_jwk(k1, "k1", "RS256", "sig");
	keys[1] = ti_jwk(k2, "k2", "RS256", "sig");
	keys[2] = ti_jwk(k3, "k3", "RS256", "sig");
	text = ti_jwks_text(keys, 3);
	ti_issuer_set_jwks(iss, text);
	free(text);
	authz = token(k3, "k3");
	FLT_EQ_INT(decide(a, authz), FL_AUTH_INVALID_TOKEN);
	free(authz);
	FLT_EQ_INT(ti_issuer_jwks_hits(iss), base + 1);
	/* k2 keeps working throughout */
	authz = token(k2, "k2");
	FLT_EQ_INT(decide(a, authz), FL_AUTH_ALLOW);
	free(authz);

	fl_auth_free(a);
	f->url = saved_url;
	ti_issuer_stop(iss);
	EVP_PKEY_free(k1);
	EVP_PKEY_free(k2);
	EVP_PKEY_free(k3);
}

FLT_TEST(flood_of_random_kids_causes_at_most_one_fetch)
{
	struct tf *f = tf_get();
	struct fl_auth *a = tf_open(f, 3600, 60);
	unsigned base = ti_issuer_jwks_hits(f->iss);

	for (int i = 0; i < 100; i++) {
		char kid[32], *authz;
		snprintf(kid, sizeof(kid), "flood-%d", i);
		authz = token(f->rsa1, kid);
		FLT_EQ_INT(decide(a, authz), FL_AUTH_INVALID_TOKEN);
		free(authz);
	}
	FLT_ASSERT(ti_issuer_jwks_hits(f->iss) - base <= 1);
	FLT_EQ_INT(ti_issuer_jwks_hits(f->iss) - base, 1); /* the first unknown kid did ask once */
	fl_auth_free(a);
}

/* Concurrent verifiers while the key set changes under them. */
struct worker {
	struct fl_auth *a;
	char *authz;
	int allowed;
};

static void *verify_loop(void *arg)
{
	struct worker *w = arg;
	for (int i = 0; i < 200; i++)
		w->allowed += decide(w->a, w->authz) == FL_AUTH_ALLOW;
	return NULL;
}

FLT_TEST(concurrent_verification_during_rotation)
{
	struct tf *f = tf_get();
	struct fl_auth *a = tf_open(f, 0, 60); /* cooldown 0: every unknown kid refetches */
	struct worker w[4];
	pthread_t th[4];
	EVP_PKEY *extra = ti_key_rsa(2048);
	json_t *jwk;
	char *text, *authz_new;

	for (int i = 0; i < 4; i++) {
		w[i].a = a;
		w[i].authz = token(i % 2 ? f->ec256 : f->rsa1, i % 2 ? "ec256" : "rsa1");
		w[i].allowed = 0;
		pthread_create(&th[i], NULL, verify_loop, &w[i]);
	}
	/* rotate in a new key and use it while the workers run */
	jwk = ti_jwk(extra, "extra", "RS256", "sig");
	text = tf_jwks(f, &jwk, 1);
	ti_issuer_set_jwks(f->iss, text);
	free(text);
	authz_new = token(extra, "extra");
	FLT_EQ_INT(decide(a, authz_new), FL_AUTH_ALLOW);
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		FLT_EQ_INT(w[i].allowed, 200);
		free(w[i].authz);
	}
	/* restore the fixture's key set */
	text = tf_jwks(f, NULL, 0);
	ti_issuer_set_jwks(f->iss, text);
	free(text);
	free(authz_new);
	EVP_PKEY_free(extra);
	fl_auth_free(a);
}

/* Wait up to 10 s for cond, polling every 50 ms. */
#define WAIT_FOR(cond)                                            \
	do {                                                      \
		for (int w_ = 0; w_ < 200 && !(cond); w_++)       \
			usleep(50 * 1000);                        \
	} while (0)

FLT_TEST(periodic_refresh_follows_cache_control)
{
	struct tf *f = tf_get();
	struct ti_issuer *iss = ti_issuer_start();
	EVP_PKEY *k1 = ti_key_rsa(2048), *k2 = ti_key_rsa(2048);
	struct fl_oidc_config cfg = { ti_issuer_url(iss), 3000, NULL, 3600, 1 };
	struct fl_oidc *o = NULL;
	struct fl_error err = FL_ERROR_INIT;
	struct fl_jwk_set *set;
	const struct fl_jwk *k;
	json_t *keys[2];
	char *text;
	uint64_t gen;
	unsigned hits;

	(void)f;
	keys[0] = ti_jwk(k1, "k1", NULL, NULL);
	text = ti_jwks_text(keys, 1);
	ti_issuer_set_jwks(iss, text);
	free(text);
	ti_issuer_set_max_age(iss, 1); /* refresh every second (floor lowered to 1 s for the test) */
	FLT_EQ_INT(fl_oidc_open(&o, &cfg, &err), FL_OK);
	gen = fl_oidc_generation(o);

	/* unchanged documents are refetched but do not change the generation */
	WAIT_FOR(ti_issuer_jwks_hits(iss) >= 3);
	FLT_ASSERT(ti_issuer_jwks_hits(iss) >= 3);
	FLT_EQ_INT(fl_oidc_generation(o), gen);

	/* a rotation is picked up without any token asking */
	keys[0] = ti_jwk(k1, "k1", NULL, NULL);
	keys[1] = ti_jwk(k2, "k2", NULL, NULL);
	text = ti_jwks_text(keys, 2);
	ti_issuer_set_jwks(iss, text);
	free(text);
	WAIT_FOR(fl_oidc_generation(o) != gen);
	FLT_ASSERT(fl_oidc_generation(o) == gen + 1);
	set = fl_oidc_keys(o, NULL);
	FLT_EQ_INT(fl_jwk_set_find(set, "k2", 2, FL_JWK_RS256, &k), FL_JWK_FOUND);
	fl_jwk_set_unref(set);

	/* a failing issuer keeps the current keys */
	ti_issuer_set_status(iss, 503);
	hits = ti_issuer_jwks_hits(iss);
	WAIT_FOR(ti_issuer_jwks_hits(iss) > hits + 1);
	FLT_ASSERT(ti_issuer_jwks_hits(iss) > hits);
	set = fl_oidc_keys(o, NULL);
	FLT_EQ_INT(fl_jwk_set_count(set), 2);
	fl_jwk_set_unref(set);

	fl_oidc_free(o);
	ti_issuer_stop(iss);
	EVP_PKEY_free(k1);
	EVP_PKEY_free(k2);
}

FLT_MAIN(jwk_import_rules, jwks_document_errors, key_choice, discovery_refusals, policy_error_stops_open,
	 rotation_refetches_once_and_flood_is_rate_limited, flood_of_random_kids_causes_at_most_one_fetch,
	 concurrent_verification_during_rotation, periodic_refresh_follows_cache_control)
