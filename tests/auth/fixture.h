/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fixture.h - one local issuer, its keys and an fl_auth for a test binary.
 *
 * tf_get() builds it on first use (and tears it down at exit): the issuer
 * publishes rsa1 (RSA-2048, no alg), rsa2 (RSA-2048, alg RS256), ec256
 * (P-256, alg ES256) and ec384 (P-384); `foreign` and `attacker` are
 * RSA-2048 keys the issuer does not publish.  The policy is TF_POLICY.
 */
#ifndef TF_FIXTURE_H
#define TF_FIXTURE_H

#include <jansson.h>
#include <openssl/evp.h>

#include "auth/auth.h"
#include "issuer.h"

#define TF_AUDIENCE "flyte-api"

#define TF_POLICY                                      \
	"- path: /*\n"                                 \
	"- path: /v1/packs\n"                          \
	"  methods: [GET]\n"                           \
	"- path: /v1/packs\n"                          \
	"  methods: [POST]\n"                          \
	"  claims: {groups: [dev]}\n"                  \
	"- path: /v1/packs/:pack\n"                    \
	"  methods: [DELETE]\n"                        \
	"  claims:\n"                                  \
	"    pack: [\":pack\"]\n"                      \
	"    role: [admin]\n"                          \
	"- path: /v1/flows/*\n"                        \
	"  claims: {level: [\"1\"], admin: [\"true\"]}\n" \
	"- path: /secure\n"                            \
	"  methods: [GET]\n"                           \
	"  claims: {groups: [dev]}\n"

struct tf {
	struct ti_issuer *iss;
	const char *url;
	EVP_PKEY *rsa1, *rsa2, *ec256, *ec384, *foreign, *attacker;
	struct fl_auth *auth;
	char *policy_path;
};

struct tf *tf_get(void);

/* The JWKS text the fixture's issuer publishes, plus `extra` JWK objects (stolen). */
char *tf_jwks(struct tf *f, json_t *const *extra, size_t n);

/* Open a second fl_auth against the fixture's issuer with another cooldown/leeway. */
struct fl_auth *tf_open(struct tf *f, int cooldown_sec, int leeway_sec);

#endif
