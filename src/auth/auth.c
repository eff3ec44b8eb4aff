/* SPDX-License-Identifier: Apache-2.0 */
/*
 * auth.c - the per-request decision: policy route, token, claims.
 *
 * fl_auth_check() routes the request through the policy first (no pattern:
 * 401; pattern without this method: 405), lets requests through whose rule
 * has no claims without looking at any token, and otherwise needs a valid
 * bearer token whose claims satisfy the rule (missing token: 401 with a
 * Bearer challenge; invalid: 401 with error="invalid_token"; valid but
 * insufficient: 403).  Token verification goes through the verified-token
 * cache, then the JWT decoder, the key set of the issuer (one on-demand
 * refetch for an unknown kid, rate limited in oidc.c) and the claim checks.
 * Refusals are logged at info with the reason, never with the token.
 */
#include "fl-common.h"

#include <strings.h>

#include "alloc.h"
#include "auth.h"
#include "jwk.h"
#include "jwt.h"
#include "log.h"
#include "oidc.h"
#include "policy.h"
#include "timeutil.h"
#include "tokcache.h"

#define AUTH_CACHE_ENTRIES 4096
#define AUTH_CACHE_MAX_TOKEN 8192

static const char challenge_plain[] = "Bearer realm=\"token\"";
static const char challenge_invalid[] = "Bearer realm=\"token\", error=\"invalid_token\"";

struct fl_auth {
	struct fl_policy *policy;
	struct fl_oidc *oidc;
	struct fl_tokcache *cache;
	char *issuer;
	char *client_id;
	int leeway_sec;
	size_t max_token_len;
};

/* Status and header of each refusal; one row per decision. */
static const struct {
	enum fl_auth_decision decision;
	int status;
	const char *www_authenticate;
	const char *reason;
} decision_table[] = {
	{ FL_AUTH_ALLOW, 0, NULL, "" },
	{ FL_AUTH_NO_TOKEN, 401, challenge_plain, "missing bearer token" },
	{ FL_AUTH_INVALID_TOKEN, 401, challenge_invalid, "invalid token" },
	{ FL_AUTH_NO_POLICY, 401, NULL, "no policy covers this path" },
	{ FL_AUTH_FORBIDDEN, 403, NULL, "token claims do not satisfy the policy" },
	{ FL_AUTH_METHOD, 405, NULL, "method not allowed by the policy for this path" },
};

void fl_auth_config_default(struct fl_auth_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->leeway_sec = 60;
	cfg->jwks_refetch_cooldown_sec = 30;
	cfg->http_timeout_ms = 10000;
	cfg->max_token_len = 16 * 1024;
}

static bool set(const char *s)
{
	return s && s[0];
}

int fl_auth_open(struct fl_auth **out, const struct fl_auth_config *cfg, struct fl_error *err)
{
	struct fl_auth *a = NULL;
	struct fl_oidc_config ocfg;
	int rc;

	*out = NULL;
	if (!set(cfg->issuer_url) || !set(cfg->client_id) || !set(cfg->policy_path))
		return fl_error_set(err, FL_EINVALID, "auth needs an issuer URL, a client id and a policy file");
	a = fl_xcalloc(1, sizeof(*a));
	a->issuer = fl_xstrdup(cfg->issuer_url);
	a->client_id = fl_xstrdup(cfg->client_id);
	a->leeway_sec = cfg->leeway_sec >= 0 ? cfg->leeway_sec : 0;
	a->max_token_len = cfg->max_token_len ? cfg->max_token_len : 16 * 1024;

	rc = fl_policy_load_file(&a->policy, cfg->policy_path, err);
	if (rc != FL_OK)
		goto fail;
	memset(&ocfg, 0, sizeof(ocfg));
	ocfg.issuer_url = cfg->issuer_url;
	ocfg.http_timeout_ms = cfg->http_timeout_ms;
	ocfg.ca_file = cfg->ca_file;
	ocfg.refetch_cooldown_sec = cfg->jwks_refetch_cooldown_sec;
	rc = fl_oidc_open(&a->oidc, &ocfg, err);
	if (rc != FL_OK)
		goto fail;
	a->cache = fl_tokcache_new(AUTH_CACHE_ENTRIES);
	FL_LOG_I(NULL, "auth: enabled, issuer '%s', %zu policy patterns from '%s'", a->issuer,
		 fl_policy_route_count(a->policy), cfg->policy_path);
	*out = a;
	return FL_OK;
fail:
	fl_auth_free(a);
	return rc;
}

void fl_auth_free(struct fl_auth *a)
{
	if (!a)
		return;
	fl_tokcache_free(a->cache);
	fl_oidc_free(a->oidc);
	fl_policy_free(a->policy);
	free(a->issuer);
	free(a->client_id);
	free(a);
}

/* Copy for logs: printable ASCII only, shortened. */
static void printable(char *out, size_t outlen, const char *s)
{
	size_t j = 0;
	for (size_t i = 0; s && s[i] && j + 1 < outlen; i++)
		out[j++] = ((unsigned char)s[i] >= 0x20 && (unsigned char)s[i] < 0x7f) ? s[i] : '?';
	out[j] = '\0';
}

static int decide(struct fl_auth_result *res, enum fl_auth_decision d, const char *detail)
{
	for (size_t i = 0; i < FL_ARRAY_LEN(decision_table); i++) {
		if (decision_table[i].decision != d)
			continue;
		res->decision = d;
		res->status = decision_table[i].status;
		res->www_authenticate = decision_table[i].www_authenticate;
		if (detail)
			snprintf(res->reason, sizeof(res->reason), "%s: %s", decision_table[i].reason, detail);
		else
			snprintf(res->reason, sizeof(res->reason), "%s", decision_table[i].reason);
		break;
	}
	return FL_OK;
}

/* The token inside an Authorization value: "Bearer " (any case) stripped, blanks trimmed. */
static void extract_token(const char *value, size_t cap, const char **tok, size_t *len)
{
	size_t n = strnlen(value, cap + 32);
	const char *p = value;
	bool huge = n == cap + 32; /* only a prefix was measured: certainly longer than cap */

	if (n >= 7 && strncasecmp(p, "bearer ", 7) == 0) {
		p += 7;
		n -= 7;
		while (n > 0 && (*p == ' ' || *p == '\t')) {
			p++;
			n--;
		}
	}
	while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
		n--;
	*tok = p;
	*len = huge ? cap + 1 : n;
}

static int64_t clamp_time(double t)
{
	if (!(t < 9.0e15))
		return INT64_C(9000000000000000);
	if (t < 0)
		return 0;
	return (int64_t)t;
}

/* Verify a token; on success *claims holds a reference the caller drops. */
static enum fl_jwt_status verify(struct fl_auth *a, const char *tok, size_t len, json_t **claims)
{
	struct fl_jwt jwt;
	struct fl_jwt_expect expect;
	struct fl_jwk_set *keys = NULL;
	const struct fl_jwk *key = NULL;
	unsigned char digest[FL_TOKCACHE_DIGEST];
	uint64_t gen = 0;
	int64_t now = fl_time_now_ns() / FL_NS_PER_SEC;
	enum fl_jwk_find found;
	enum fl_jwt_status st;
	bool cacheable = len <= AUTH_CACHE_MAX_TOKEN && a->cache;

	*claims = NULL;
	if (len == 0)
		return FL_JWT_EMPTY;
	if (len > a->max_token_len)
		return FL_JWT_TOO_LONG;
	if (cacheable) {
		fl_tokcache_digest(tok, len, digest);
		if (fl_tokcache_get(a->cache, digest, fl_oidc_generation(a->oidc), now, claims))
			return FL_JWT_OK;
	}
	st = fl_jwt_decode(&jwt, tok, len, a->max_token_len);
	if (st != FL_JWT_OK)
		return st;
	keys = fl_oidc_keys(a->oidc, &gen);
	found = fl_jwk_set_find(keys, jwt.has_kid ? jwt.kid : NULL, jwt.kid_len, jwt.alg, &key);
	if (found == FL_JWK_UNKNOWN_KID && fl_oidc_refetch_for_kid(a->oidc, gen)) {
		fl_jwk_set_unref(keys);
		keys = fl_oidc_keys(a->oidc, &gen);
		found = fl_jwk_set_find(keys, jwt.kid, jwt.kid_len, jwt.alg, &key);
	}
	switch (found) {
	case FL_JWK_FOUND:
		st = fl_jwt_verify(&jwt, key);
		break;
	case FL_JWK_UNKNOWN_KID:
		st = FL_JWT_UNKNOWN_KID;
		break;
	case FL_JWK_INCOMPATIBLE:
		st = FL_JWT_KEY_MISMATCH;
		break;
	case FL_JWK_AMBIGUOUS:
	default:
		st = FL_JWT_NO_KEY;
		break;
	}
	if (st != FL_JWT_OK)
		goto done;
	expect = (struct fl_jwt_expect){ a->issuer, a->client_id, a->leeway_sec, now };
	st = fl_jwt_check_claims(&jwt, &expect);
	if (st != FL_JWT_OK)
		goto done;
	*claims = json_incref(jwt.claims);
	if (cacheable) {
		double exp = json_number_value(json_object_get(jwt.claims, "exp"));
		fl_tokcache_put(a->cache, digest, gen, clamp_time(exp + a->leeway_sec), jwt.claims);
	}
done:
	fl_jwk_set_unref(keys);
	fl_jwt_release(&jwt);
	return st;
}

static void log_refusal(const char *method, const char *path, const struct fl_auth_result *res)
{
	char m[16], p[200];

	if (!fl_log_enabled(FL_LOG_INFO))
		return;
	printable(m, sizeof(m), method ? method : "-");
	printable(p, sizeof(p), path ? path : "-");
	fl_log_write(FL_LOG_INFO, NULL, "auth: %s %s refused with %d: %s", m, p, res->status, res->reason);
}

int fl_auth_check(struct fl_auth *a, const char *method, const char *path, const char *authorization,
		  struct fl_auth_result *res)
{
	struct fl_policy_match m;
	const char *tok;
	size_t len;
	json_t *claims = NULL;
	enum fl_jwt_status st;

	memset(res, 0, sizeof(*res));
	if (!a)
		return decide(res, FL_AUTH_ALLOW, NULL);
	fl_policy_match(a->policy, method, path, &m);
	if (m.outcome == FL_POLICY_NO_MATCH) {
		decide(res, FL_AUTH_NO_POLICY, NULL);
		goto refused;
	}
	if (m.outcome == FL_POLICY_BAD_METHOD) {
		decide(res, FL_AUTH_METHOD, NULL);
		snprintf(res->allow, sizeof(res->allow), "%s", m.allow);
		goto refused;
	}
	if (!fl_policy_rule_has_claims(m.rule))
		return decide(res, FL_AUTH_ALLOW, NULL);
	if (!authorization) {
		decide(res, FL_AUTH_NO_TOKEN, NULL);
		goto refused;
	}
	extract_token(authorization, a->max_token_len, &tok, &len);
	st = verify(a, tok, len, &claims);
	if (st != FL_JWT_OK) {
		decide(res, FL_AUTH_INVALID_TOKEN, fl_jwt_status_str(st));
		goto refused;
	}
	printable(res->subject, sizeof(res->subject), json_string_value(json_object_get(claims, "sub")));
	if (!fl_policy_claims_satisfied(&m, claims)) {
		decide(res, FL_AUTH_FORBIDDEN, NULL);
		json_decref(claims);
		goto refused;
	}
	json_decref(claims);
	return decide(res, FL_AUTH_ALLOW, NULL);
refused:
	log_refusal(method, path, res);
	return FL_OK;
}
