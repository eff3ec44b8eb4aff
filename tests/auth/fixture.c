/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fixture.c - lazily built issuer + keys + fl_auth shared by one test binary.
 */
#include "fl-common.h"

#include <unistd.h>

#include "error.h"
#include "fixture.h"
#include "log.h"
#include "mint.h"

static struct tf fixture;
static bool built;

static void teardown(void)
{
	fl_auth_free(fixture.auth);
	ti_issuer_stop(fixture.iss);
	EVP_PKEY_free(fixture.rsa1);
	EVP_PKEY_free(fixture.rsa2);
	EVP_PKEY_free(fixture.ec256);
	EVP_PKEY_free(fixture.ec384);
	EVP_PKEY_free(fixture.foreign);
	EVP_PKEY_free(fixture.attacker);
	if (fixture.policy_path) {
		unlink(fixture.policy_path);
		free(fixture.policy_path);
	}
}

char *tf_jwks(struct tf *f, json_t *const *extra, size_t n)
{
	json_t *keys[16];
	size_t k = 0;

	keys[k++] = ti_jwk(f->rsa1, "rsa1", NULL, "sig");
	keys[k++] = ti_jwk(f->rsa2, "rsa2", "RS256", "sig");
	keys[k++] = ti_jwk(f->ec256, "ec256", "ES256", "sig");
	keys[k++] = ti_jwk(f->ec384, "ec384", NULL, NULL);
	for (size_t i = 0; i < n && k < FL_ARRAY_LEN(keys); i++)
		keys[k++] = extra[i];
	return ti_jwks_text(keys, k);
}

struct fl_auth *tf_open(struct tf *f, int cooldown_sec, int leeway_sec)
{
	struct fl_auth_config cfg;
	struct fl_error err = FL_ERROR_INIT;
	struct fl_auth *a = NULL;

	fl_auth_config_default(&cfg);
	cfg.issuer_url = f->url;
	cfg.client_id = TF_AUDIENCE;
	cfg.policy_path = f->policy_path;
	cfg.jwks_refetch_cooldown_sec = cooldown_sec;
	cfg.leeway_sec = leeway_sec;
	cfg.http_timeout_ms = 5000;
	if (fl_auth_open(&a, &cfg, &err) != FL_OK) {
		fprintf(stderr, "fl_auth_open: %s\n", err.msg);
		abort();
	}
	return a;
}

struct tf *tf_get(void)
{
	char *jwks;

	if (built)
		return &fixture;
	built = true;
	fl_log_set_level(FL_LOG_WARN);
	fixture.rsa1 = ti_key_rsa(2048);
	fixture.rsa2 = ti_key_rsa(2048);
	fixture.ec256 = ti_key_ec("P-256");
	fixture.ec384 = ti_key_ec("P-384");
	fixture.foreign = ti_key_rsa(2048);
	fixture.attacker = ti_key_rsa(2048);
	fixture.iss = ti_issuer_start();
	fixture.url = ti_issuer_url(fixture.iss);
	jwks = tf_jwks(&fixture, NULL, 0);
	ti_issuer_set_jwks(fixture.iss, jwks);
	free(jwks);
	fixture.policy_path = ti_write_temp(TF_POLICY, ".yaml");
	fixture.auth = tf_open(&fixture, 30, 60);
	atexit(teardown);
	return &fixture;
}
