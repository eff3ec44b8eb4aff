/* SPDX-License-Identifier: Apache-2.0 */
/*
 * decide.c - fl_auth_check end to end against the local issuer: genuine
 * tokens of every allowed algorithm, Authorization header forms, leeway,
 * and the decision procedure (401 no policy, 405 + Allow, open routes,
 * missing token, 403 on unsatisfied claims, :param claims, numeric and
 * boolean claims, the verified-token cache).
 */
#include "fl-common.h"

#include "fixture.h"
#include "fltest.h"
#include "mint.h"

static struct fl_auth_result check_as(struct fl_auth *a, const char *method, const char *path, const char *authz)
{
	struct fl_auth_result res;
	if (fl_auth_check(a, method, path, authz, &res) != FL_OK)
		FLT_FAIL("fl_auth_check did not return FL_OK");
	return res;
}

static struct fl_auth_result check(const char *method, const char *path, const char *authz)
{
	return check_as(tf_get()->auth, method, path, authz);
}

static json_t *claims(void)
{
	return ti_claims(tf_get()->url, TF_AUDIENCE, 3600);
}

/* "<prefix><token>" for a token of claims c (consumed) signed with key/alg/kid. */
static char *authz_for(const char *prefix, EVP_PKEY *key, const char *alg, const char *kid, json_t *c)
{
	char *t = ti_mint(key, alg, kid, c);
	size_t n = strlen(prefix) + strlen(t) + 1;
	char *out = malloc(n);
	snprintf(out, n, "%s%s", prefix, t);
	free(t);
	json_decref(c);
	return out;
}

static void expect_allowed(const char *method, const char *path, char *authz)
{
	struct fl_auth_result r = check(method, path, authz);
	if (r.decision != FL_AUTH_ALLOW)
		FLT_FAIL("%s %s refused (%d): %s", method, path, r.status, r.reason);
	FLT_EQ_INT(r.status, 0);
	FLT_ASSERT(r.www_authenticate == NULL);
	free(authz);
}

static void expect_decision(const char *method, const char *path, char *authz, enum fl_auth_decision d, int status)
{
	struct fl_auth_result r = check(method, path, authz);
	if (r.decision != d)
		FLT_FAIL("%s %s: decision %d (%s), expected %d", method, path, (int)r.decision, r.reason, (int)d);
	FLT_EQ_INT(r.status, status);
	free(authz);
}

FLT_TEST(rs256_accepted)
{
	struct tf *f = tf_get();
	expect_allowed("GET", "/secure", authz_for("Bearer ", f->rsa1, "RS256", "rsa1", claims()));
	expect_allowed("GET", "/secure", authz_for("Bearer ", f->rsa2, "RS256", "rsa2", claims()));
}

FLT_TEST(rs384_and_rs512_accepted)
{
	struct tf *f = tf_get();
	expect_allowed("GET", "/secure", authz_for("Bearer ", f->rsa1, "RS384", "rsa1", claims()));
	expect_allowed("GET", "/secure", authz_for("Bearer ", f->rsa1, "RS512", "rsa1", claims()));
}

FLT_TEST(ps256_ps384_ps512_accepted)
{
	struct tf *f = tf_get();
	expect_allowed("GET", "/secure", authz_for("Bearer ", f->rsa1, "PS256", "rsa1", claims()));
	expect_allowed("GET", "/secure", authz_for("Bearer ", f->rsa1, "PS384", "rsa1", claims()));
	expect_allowed("GET", "/secure", authz_for("Bearer ", f->rsa1, "PS512", "rsa1", claims()));
}

FLT_TEST(es256_accepted)
{
	expect_allowed("GET", "/secure", authz_for("Bearer ", tf_get()->ec256, "ES256", "ec256", claims()));
}

FLT_TEST(es384_accepted)
{
	expect_allowed("GET", "/secure", authz_for("Bearer ", tf_get()->ec384, "ES384", "ec384", claims()));
}

FLT_TEST(bearer_prefix_any_case)
{
	struct tf *f = tf_get();
	expect_allowed("GET", "/secure", authz_for("bearer ", f->rsa1, "RS256", "rsa1", claims()));
	expect_allowed("GET", "/secure", authz_for("BEARER ", f->rsa1, "RS256", "rsa1", claims()));
	expect_allowed("GET", "/secure", authz_for("bEaReR ", f->rsa1, "RS256", "rsa1", claims()));
}

FLT_TEST(token_without_prefix_accepted)
{
	expect_allowed("GET", "/secure", authz_for("", tf_get()->rsa1, "RS256", "rsa1", claims()));
}

FLT_TEST(other_scheme_is_an_invalid_token)
{
	expect_decision("GET", "/secure", authz_for("Basic ", tf_get()->rsa1, "RS256", "rsa1", claims()),
			FL_AUTH_INVALID_TOKEN, 401);
}

FLT_TEST(aud_as_array)
{
	json_t *c = claims();
	json_object_set_new(c, "aud", json_pack("[s,s]", "other", TF_AUDIENCE));
	expect_allowed("GET", "/secure", authz_for("Bearer ", tf_get()->rsa1, "RS256", "rsa1", c));
}

FLT_TEST(leeway_respected)
{
	struct tf *f = tf_get();
	json_t *c = claims();
	json_object_set_new(c, "exp", json_integer(ti_now() - 30)); /* expired, within 60 s leeway */
	expect_allowed("GET", "/secure", authz_for("Bearer ", f->rsa1, "RS256", "rsa1", c));
	c = claims();
	json_object_set_new(c, "nbf", json_integer(ti_now() + 30));
	json_object_set_new(c, "iat", json_integer(ti_now() + 30));
	expect_allowed("GET", "/secure", authz_for("Bearer ", f->rsa1, "RS256", "rsa1", c));
}

FLT_TEST(zero_leeway_is_strict)
{
	struct tf *f = tf_get();
	struct fl_auth *strict = tf_open(f, 30, 0);
	json_t *c = claims();
	char *authz;
	struct fl_auth_result r;

	json_object_set_new(c, "exp", json_integer(ti_now() - 5));
	authz = authz_for("Bearer ", f->rsa1, "RS256", "rsa1", c);
	r = check_as(strict, "GET", "/secure", authz);
	FLT_EQ_INT(r.decision, FL_AUTH_INVALID_TOKEN);
	r = check_as(f->auth, "GET", "/secure", authz); /* the 60 s fixture accepts it */
	FLT_EQ_INT(r.decision, FL_AUTH_ALLOW);
	free(authz);
	fl_auth_free(strict);
}

FLT_TEST(fractional_exp_accepted)
{
	json_t *c = claims();
	json_object_set_new(c, "exp", json_real((double)ti_now() + 600.5));
	expect_allowed("GET", "/secure", authz_for("Bearer ", tf_get()->rsa1, "RS256", "rsa1", c));
}

FLT_TEST(no_policy_for_path_is_401)
{
	struct fl_auth *a = tf_get()->auth;
	struct fl_auth_result r;
	/* the fixture policy has a catch-all pattern, so only unsafe paths miss it */
	r = check_as(a, "GET", "/v1//packs", NULL);
	FLT_EQ_INT(r.decision, FL_AUTH_NO_POLICY);
	FLT_EQ_INT(r.status, 401);
	FLT_ASSERT(r.www_authenticate == NULL);
	FLT_EQ_INT(check_as(a, "GET", "/v1/packs/../flows", NULL).decision, FL_AUTH_NO_POLICY);
	FLT_EQ_INT(check_as(a, "GET", "/v1/packs/", NULL).decision, FL_AUTH_NO_POLICY);
	FLT_EQ_INT(check_as(a, "GET", "relative", NULL).decision, FL_AUTH_NO_POLICY);
}

FLT_TEST(method_not_in_policy_is_405_with_allow)
{
	struct fl_auth_result r = check("PUT", "/v1/packs", NULL);
	FLT_EQ_INT(r.decision, FL_AUTH_METHOD);
	FLT_EQ_INT(r.status, 405);
	FLT_EQ_STR(r.allow, "GET, POST");
	r = check("GET", "/v1/packs/Slack", NULL);
	FLT_EQ_INT(r.status, 405);
	FLT_EQ_STR(r.allow, "DELETE");
}

FLT_TEST(open_route_ignores_tokens)
{
	FLT_EQ_INT(check("GET", "/v1/packs", NULL).decision, FL_AUTH_ALLOW);
	FLT_EQ_INT(check("GET", "/v1/packs", "Bearer garbage").decision, FL_AUTH_ALLOW);
	FLT_EQ_INT(check("GET", "/health", NULL).decision, FL_AUTH_ALLOW);
	FLT_EQ_INT(check("GET", "/", NULL).decision, FL_AUTH_ALLOW);
}

FLT_TEST(missing_token_is_401_with_challenge)
{
	struct fl_auth_result r = check("POST", "/v1/packs", NULL);
	FLT_EQ_INT(r.decision, FL_AUTH_NO_TOKEN);
	FLT_EQ_INT(r.status, 401);
	FLT_EQ_STR(r.www_authenticate, "Bearer realm=\"token\"");
}

FLT_TEST(unsatisfied_claims_are_403)
{
	json_t *c = claims();
	struct fl_auth_result r;
	char *authz;
	json_object_set_new(c, "groups", json_pack("[s]", "viewer"));
	authz = authz_for("Bearer ", tf_get()->rsa1, "RS256", "rsa1", c);
	r = check("POST", "/v1/packs", authz);
	FLT_EQ_INT(r.decision, FL_AUTH_FORBIDDEN);
	FLT_EQ_INT(r.status, 403);
	FLT_ASSERT(r.www_authenticate == NULL);
	FLT_EQ_STR(r.subject, "tester");
	free(authz);
}

FLT_TEST(param_claim_limits_to_own_pack)
{
	struct tf *f = tf_get();
	json_t *c = claims();
	char *authz;

	json_object_set_new(c, "pack", json_string("Slack"));
	authz = authz_for("Bearer ", f->rsa1, "RS256", "rsa1", c);
	FLT_EQ_INT(check("DELETE", "/v1/packs/Slack", authz).decision, FL_AUTH_ALLOW);
	FLT_EQ_INT(check("DELETE", "/v1/packs/Other", authz).decision, FL_AUTH_FORBIDDEN);
	FLT_EQ_INT(check("DELETE", "/v1/packs/Slack?:pack=Other", authz).decision, FL_AUTH_FORBIDDEN);
	FLT_EQ_INT(check("DELETE", "/v1/packs/slack", authz).decision, FL_AUTH_FORBIDDEN);
	free(authz);
	/* the alternative claim of the same rule */
	c = claims();
	json_object_set_new(c, "role", json_string("admin"));
	authz = authz_for("Bearer ", f->rsa1, "RS256", "rsa1", c);
	FLT_EQ_INT(check("DELETE", "/v1/packs/Other", authz).decision, FL_AUTH_ALLOW);
	free(authz);
}

FLT_TEST(numeric_claim_matches_decimal_string)
{
	struct tf *f = tf_get();
	json_t *c = claims();
	char *authz;

	json_object_set_new(c, "level", json_integer(1));
	authz = authz_for("Bearer ", f->rsa1, "RS256", "rsa1", c);
	FLT_EQ_INT(check("GET", "/v1/flows/x", authz).decision, FL_AUTH_ALLOW);
	free(authz);
	c = claims();
	json_object_set_new(c, "level", json_integer(2));
	authz = authz_for("Bearer ", f->rsa1, "RS256", "rsa1", c);
	FLT_EQ_INT(check("GET", "/v1/flows/x", authz).decision, FL_AUTH_FORBIDDEN);
	free(authz);
}

FLT_TEST(boolean_claim_matches_true)
{
	struct tf *f = tf_get();
	json_t *c = claims();
	char *authz;

	json_object_set_new(c, "admin", json_true());
	authz = authz_for("Bearer ", f->rsa1, "RS256", "rsa1", c);
	FLT_EQ_INT(check("POST", "/v1/flows/a/b", authz).decision, FL_AUTH_ALLOW);
	free(authz);
	c = claims();
	json_object_set_new(c, "admin", json_false());
	authz = authz_for("Bearer ", f->rsa1, "RS256", "rsa1", c);
	FLT_EQ_INT(check("POST", "/v1/flows/a/b", authz).decision, FL_AUTH_FORBIDDEN);
	free(authz);
}

FLT_TEST(cached_token_still_checked_against_policy)
{
	struct tf *f = tf_get();
	char *authz = authz_for("Bearer ", f->rsa1, "RS256", "rsa1", claims());
	for (int i = 0; i < 3; i++) {
		FLT_EQ_INT(check("POST", "/v1/packs", authz).decision, FL_AUTH_ALLOW);
		FLT_EQ_INT(check("DELETE", "/v1/packs/Other", authz).decision, FL_AUTH_FORBIDDEN);
	}
	free(authz);
}

FLT_TEST(expired_token_not_served_from_cache)
{
	/* a token that expired long ago is refused even right after a genuine one was cached */
	struct tf *f = tf_get();
	json_t *c = claims();
	char *authz;
	json_object_set_new(c, "exp", json_integer(ti_now() - 120));
	authz = authz_for("Bearer ", f->rsa1, "RS256", "rsa1", c);
	FLT_EQ_INT(check("POST", "/v1/packs", authz).decision, FL_AUTH_INVALID_TOKEN);
	FLT_EQ_INT(check("POST", "/v1/packs", authz).decision, FL_AUTH_INVALID_TOKEN);
	free(authz);
}

FLT_TEST(null_auth_allows_everything)
{
	struct fl_auth_result r;
	FLT_EQ_INT(fl_auth_check(NULL, "DELETE", "/v1/packs/x", NULL, &r), FL_OK);
	FLT_EQ_INT(r.decision, FL_AUTH_ALLOW);
}

FLT_TEST(config_defaults)
{
	struct fl_auth_config cfg;
	struct fl_auth *a = NULL;
	struct fl_error err = FL_ERROR_INIT;
	fl_auth_config_default(&cfg);
	FLT_EQ_INT(cfg.leeway_sec, 60);
	FLT_EQ_INT(cfg.jwks_refetch_cooldown_sec, 30);
	FLT_EQ_INT(cfg.http_timeout_ms, 10000);
	FLT_EQ_INT(cfg.max_token_len, 16384);
	FLT_EQ_INT(fl_auth_open(&a, &cfg, &err), FL_EINVALID);
	FLT_ASSERT(a == NULL);
}

FLT_MAIN(rs256_accepted, rs384_and_rs512_accepted, ps256_ps384_ps512_accepted, es256_accepted, es384_accepted,
	 bearer_prefix_any_case, token_without_prefix_accepted, other_scheme_is_an_invalid_token, aud_as_array,
	 leeway_respected, zero_leeway_is_strict, fractional_exp_accepted, no_policy_for_path_is_401,
	 method_not_in_policy_is_405_with_allow, open_route_ignores_tokens, missing_token_is_401_with_challenge,
	 unsatisfied_claims_are_403, param_claim_limits_to_own_pack, numeric_claim_matches_decimal_string,
	 boolean_claim_matches_true, cached_token_still_checked_against_policy, expired_token_not_served_from_cache,
	 null_auth_allows_everything, config_defaults)
