/* SPDX-License-Identifier: Apache-2.0 */
/*
 * auth.h - OpenID Connect bearer-token authentication and the path policy.
 *
 * Enabled only when the issuer URL, client id and policy path are all set
 * (flyte-api.md §e.1).  fl_auth_open() parses the policy file (a malformed
 * file fails with a message naming the line), performs OIDC discovery (the
 * document's `issuer` must equal the configured URL) and fetches the JWKS.
 * fl_auth_check() is called for every request before routing and is
 * thread-safe; it never logs or stores a token in clear.
 */
#ifndef FL_AUTH_H
#define FL_AUTH_H

#include "error.h"
#include "fl-common.h"

struct fl_auth;

struct fl_auth_config {
	const char *issuer_url;      /* FLYTE_OIDC_ISSUER_URL */
	const char *client_id;       /* FLYTE_OIDC_ISSUER_CLIENT_ID */
	const char *policy_path;     /* FLYTE_AUTH_POLICY_PATH */
	int leeway_sec;              /* clock skew allowed on exp/nbf/iat, default 60 */
	int jwks_refetch_cooldown_sec; /* min seconds between JWKS refetches on unknown kid, default 30 */
	int http_timeout_ms;         /* discovery/JWKS fetch timeout, default 10000 */
	const char *ca_file;         /* CA bundle for an https issuer, NULL = system default */
	size_t max_token_len;        /* longer Authorization values are rejected, default 16 KiB */
};

void fl_auth_config_default(struct fl_auth_config *cfg);

int fl_auth_open(struct fl_auth **out, const struct fl_auth_config *cfg, struct fl_error *err);
void fl_auth_free(struct fl_auth *auth);

enum fl_auth_decision {
	FL_AUTH_ALLOW = 0,        /* pass to the API */
	FL_AUTH_NO_TOKEN,         /* 401, WWW-Authenticate: Bearer realm="token" */
	FL_AUTH_INVALID_TOKEN,    /* 401, WWW-Authenticate: Bearer realm="token", error="invalid_token" */
	FL_AUTH_NO_POLICY,        /* 401: no policy pattern matches the path */
	FL_AUTH_FORBIDDEN,        /* 403: valid token, claims not satisfied */
	FL_AUTH_METHOD,           /* 405: path matched but no policy for the method */
};

struct fl_auth_result {
	enum fl_auth_decision decision;
	int status;                   /* HTTP status for a refusal, 0 when allowed */
	const char *www_authenticate; /* header value or NULL (static string) */
	char allow[96];               /* Allow header for FL_AUTH_METHOD */
	char reason[160];             /* for the JSON error body and the log; never contains the token */
	char subject[128];            /* `sub` of an accepted token, for logs; may be empty */
};

/*
 * Decide on one request.  method is the HTTP method, path the request path
 * as routed (percent-decoded, no query string), authorization the raw
 * Authorization header or NULL.  Always fills res; returns FL_OK.
 */
int fl_auth_check(struct fl_auth *auth, const char *method, const char *path, const char *authorization,
		  struct fl_auth_result *res);

#endif
