/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ldappack.c - configuration, connection pool, group lookup and the
 * GetGroups handler of the ldap pack (see ldappack.h).
 *
 * Connections: each action borrows a bound connection from the pool (or
 * opens one: ldap_initialize, LDAPv3, per-handle TLS context, StartTLS when
 * configured, simple bind with the service account) and gives it back when
 * the lookup succeeded.  A handle is only ever used by one thread at a
 * time, which is what libldap requires, and every pooled connection is
 * bound as the same identity, so reuse cannot leak another user's rights.
 * A connection that fails (server restarted, idle timeout) is unbound and
 * the lookup - read-only, so safe to repeat - runs once more on a new one.
 */
#include "fl-common.h"

#include <strings.h>

#include <jansson.h>
#include <ldap.h>

#include "ldappack.h"
#include "packenv.h"

#define DEFAULT_TIMEOUT_SEC 20L
#define DEFAULT_DEPTH 10L
#define MAX_GROUPS 10000
#define MAX_USERNAME 512
/* DNs ORed into one group search filter */
#define DNS_PER_SEARCH 64

/* ---- configuration -------------------------------------------------------- */

/* "host:port" of the original pack becomes ldap://host:port. */
static int make_url(struct ldap_config *cfg, char *err, size_t errlen)
{
	const char *v = packenv_get("LDAP_URL");
	LDAPURLDesc *desc = NULL;
	size_t n;

	if (!v) {
		snprintf(err, errlen, "LDAP_URL is not set");
		return -1;
	}
	n = strlen(v) + 8;
	cfg->url = malloc(n);
	if (!cfg->url) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	snprintf(cfg->url, n, "%s%s", strstr(v, "://") ? "" : "ldap://", v);
	if (ldap_url_parse(cfg->url, &desc) != LDAP_URL_SUCCESS) {
		snprintf(err, errlen, "invalid LDAP_URL '%s'", v);
		return -1;
	}
	ldap_free_urldesc(desc);
	return 0;
}

int ldap_config_from_env(struct ldap_config *cfg, char *err, size_t errlen)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->timeout_sec = DEFAULT_TIMEOUT_SEC;
	cfg->group_depth = DEFAULT_DEPTH;
	cfg->pool_max = 8;
	if (make_url(cfg, err, errlen) || packenv_need(&cfg->base_dn, "BASE_DN", err, errlen) ||
	    packenv_need(&cfg->filter, "SEARCH_FILTER", err, errlen) ||
	    packenv_need(&cfg->group_attribute, "GROUP_ATTRIBUTE", err, errlen) ||
	    packenv_dup(&cfg->bind_dn, "BIND_USERNAME", NULL, err, errlen) ||
	    packenv_dup(&cfg->ca_file, "LDAP_CA_FILE", NULL, err, errlen) ||
	    packenv_dup(&cfg->group_base_dn, "GROUP_SEARCH_BASE_DN", NULL, err, errlen) ||
	    packenv_dup(&cfg->member_attribute, "GROUP_MEMBER_ATTRIBUTE", "member", err, errlen) ||
	    packenv_long("SEARCH_TIMEOUT_IN_SECONDS", 1, 3600, &cfg->timeout_sec, err, errlen) ||
	    packenv_long("GROUP_SEARCH_DEPTH", 1, 100, &cfg->group_depth, err, errlen) ||
	    packenv_bool("LDAP_STARTTLS", &cfg->starttls, err, errlen) ||
	    packenv_bool("LDAP_INSECURE", &cfg->insecure, err, errlen))
		return -1;
	if (!strstr(cfg->filter, "{username}")) {
		snprintf(err, errlen, "SEARCH_FILTER '%s' has no {username} placeholder", cfg->filter);
		return -1;
	}
	if (packenv_list(&cfg->attributes, NULL, packenv_get("ATTRIBUTES"), err, errlen))
		return -1;
	if (!cfg->attributes[0] && !cfg->group_base_dn) {
		snprintf(err, errlen, "set ATTRIBUTES (e.g. memberOf) or GROUP_SEARCH_BASE_DN");
		return -1;
	}
	if (packenv_secret(&cfg->bind_password, "BIND_PASSWORD", "BIND_PASSWORD_FILE", err, errlen))
		return -1;
	if (cfg->starttls && !strncasecmp(cfg->url, "ldaps://", 8)) {
		snprintf(err, errlen, "LDAP_STARTTLS cannot be used with an ldaps:// URL");
		return -1;
	}
	return 0;
}

void ldap_config_release(struct ldap_config *cfg)
{
	if (!cfg)
		return;
	free(cfg->url);
	free(cfg->bind_dn);
	packenv_secret_free(cfg->bind_password);
	free(cfg->base_dn);
	free(cfg->filter);
	packenv_list_free(cfg->attributes);
	free(cfg->group_attribute);
	free(cfg->ca_file);
	free(cfg->group_base_dn);
	free(cfg->member_attribute);
	memset(cfg, 0, sizeof(*cfg));
}

/* ---- connections ---------------------------------------------------------- */

int ldap_pool_init(struct ldap_pool *p, const struct ldap_config *cfg)
{
	memset(p, 0, sizeof(*p));
	p->cfg = cfg;
	p->idle = calloc(cfg->pool_max ? cfg->pool_max : 1, sizeof(void *));
	if (!p->idle)
		return -1;
	pthread_mutex_init(&p->lock, NULL);
	return 0;
}

void ldap_pool_release(struct ldap_pool *p)
{
	if (!p || !p->idle)
		return;
	for (size_t i = 0; i < p->n_idle; i++)
		ldap_unbind_ext_s(p->idle[i], NULL, NULL);
	free(p->idle);
	pthread_mutex_destroy(&p->lock);
	memset(p, 0, sizeof(*p));
}

/* The server's diagnostic message, if any, after ": ". */
static void ld_error(LDAP *ld, int rc, const char *what, char *err, size_t errlen)
{
	char *diag = NULL;

	if (ld)
		ldap_get_option(ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &diag);
	snprintf(err, errlen, "%s: %s%s%s", what, ldap_err2string(rc), diag && *diag ? " (" : "",
		 diag && *diag ? diag : "");
	if (diag && *diag)
		snprintf(err + strlen(err), errlen - strlen(err), ")");
	ldap_memfree(diag);
}

static LDAP *ld_open(const struct ldap_config *cfg, char *err, size_t errlen)
{
	LDAP *ld = NULL;
	int v3 = LDAP_VERSION3, rc, zero = 0;
	int reqcert = cfg->insecure ? LDAP_OPT_X_TLS_NEVER : LDAP_OPT_X_TLS_DEMAND;
	struct timeval net = { FL_MIN(cfg->timeout_sec, 10L), 0 };
	struct berval cred = { 0, NULL };
	char what[600];

	rc = ldap_initialize(&ld, cfg->url);
	if (rc != LDAP_SUCCESS) {
		ld_error(NULL, rc, "cannot use LDAP_URL", err, errlen);
		return NULL;
	}
	ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &v3);
	ldap_set_option(ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF);
	ldap_set_option(ld, LDAP_OPT_NETWORK_TIMEOUT, &net);
	ldap_set_option(ld, LDAP_OPT_TIMEOUT, &net);
	/* TLS settings of this handle only, in a context of its own */
	ldap_set_option(ld, LDAP_OPT_X_TLS_REQUIRE_CERT, &reqcert);
	if (cfg->ca_file)
		ldap_set_option(ld, LDAP_OPT_X_TLS_CACERTFILE, cfg->ca_file);
	ldap_set_option(ld, LDAP_OPT_X_TLS_NEWCTX, &zero);
	if (cfg->starttls) {
		rc = ldap_start_tls_s(ld, NULL, NULL);
		if (rc != LDAP_SUCCESS) {
			snprintf(what, sizeof(what), "cannot start TLS with %s", cfg->url);
			ld_error(ld, rc, what, err, errlen);
			ldap_unbind_ext_s(ld, NULL, NULL);
			return NULL;
		}
	}
	if (cfg->bind_password) {
		cred.bv_val = cfg->bind_password;
		cred.bv_len = strlen(cfg->bind_password);
	}
	rc = ldap_sasl_bind_s(ld, cfg->bind_dn ? cfg->bind_dn : "", LDAP_SASL_SIMPLE, &cred, NULL, NULL, NULL);
	if (rc != LDAP_SUCCESS) {
		if (rc == LDAP_SERVER_DOWN || rc == LDAP_CONNECT_ERROR)
			snprintf(what, sizeof(what), "cannot connect to %s", cfg->url);
		else
			snprintf(what, sizeof(what), "cannot bind to %s as '%s'", cfg->url,
				 cfg->bind_dn ? cfg->bind_dn : "(anonymous)");
		ld_error(ld, rc, what, err, errlen);
		ldap_unbind_ext_s(ld, NULL, NULL);
		return NULL;
	}
	return ld;
}

static LDAP *pool_get(struct ldap_pool *p, bool *reused, char *err, size_t errlen)
{
	LDAP *ld = NULL;

	pthread_mutex_lock(&p->lock);
	if (p->n_idle)
		ld = p->idle[--p->n_idle];
	pthread_mutex_unlock(&p->lock);
	*reused = ld != NULL;
	if (ld)
		return ld;
	ld = ld_open(p->cfg, err, errlen);
	if (ld) {
		pthread_mutex_lock(&p->lock);
		p->opened++;
		pthread_mutex_unlock(&p->lock);
	}
	return ld;
}

static void pool_put(struct ldap_pool *p, LDAP *ld, bool healthy)
{
	if (healthy) {
		pthread_mutex_lock(&p->lock);
		if (p->n_idle < (p->cfg->pool_max ? p->cfg->pool_max : 1)) {
			p->idle[p->n_idle++] = ld;
			ld = NULL;
		}
		pthread_mutex_unlock(&p->lock);
	}
	if (ld)
		ldap_unbind_ext_s(ld, NULL, NULL);
}

/* Close every idle connection (after one of them was found dead). */
static void pool_flush(struct ldap_pool *p)
{
	void *idle[64];
	size_t n = 0;

	pthread_mutex_lock(&p->lock);
	while (p->n_idle && n < FL_ARRAY_LEN(idle))
		idle[n++] = p->idle[--p->n_idle];
	pthread_mutex_unlock(&p->lock);
	for (size_t i = 0; i < n; i++)
		ldap_unbind_ext_s(idle[i], NULL, NULL);
}

/* ---- lookup --------------------------------------------------------------- */

void ldap_groups_release(struct ldap_groups *g)
{
	if (!g)
		return;
	for (size_t i = 0; i < g->n; i++)
		free(g->names[i]);
	free(g->names);
	memset(g, 0, sizeof(*g));
}

/* DNs already seen (case-insensitively), so cycles and duplicates end. */
struct dnset {
	char **v;
	size_t n, cap;
};

static bool dnset_add(struct dnset *s, const char *dn)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcasecmp(s->v[i], dn))
			return false;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		char **v = realloc(s->v, cap * sizeof(*v));
		if (!v)
			return false;
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n] = strdup(dn);
	return s->v[s->n] ? (s->n++, true) : false;
}

static void dnset_release(struct dnset *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	memset(s, 0, sizeof(*s));
}

/*
 * Record a group DN: 1 when it had not been seen (its name, if it has one,
 * is appended to g), 0 when it had (or holds a NUL byte), -1 when out of
 * memory.
 */
static int add_group(struct ldap_groups *g, struct dnset *seen, const char *dn, size_t len, const char *attr)
{
	char *copy, *name;
	char **v;
	bool fresh;

	if (!len || memchr(dn, 0, len))
		return 0;
	copy = strndup(dn, len);
	if (!copy)
		return -1;
	fresh = dnset_add(seen, copy);
	free(copy);
	if (!fresh)
		return 0;
	name = g->n < MAX_GROUPS ? ldapf_group_name(dn, len, attr) : NULL;
	if (!name)
		return 1;
	v = realloc(g->names, (g->n + 1) * sizeof(*v));
	if (!v) {
		free(name);
		return -1;
	}
	g->names = v;
	g->names[g->n++] = name;
	return 1;
}

/* Errors after which the connection is not trusted any more. */
static bool connection_lost(int rc)
{
	return rc == LDAP_SERVER_DOWN || rc == LDAP_CONNECT_ERROR || rc == LDAP_TIMEOUT || rc == LDAP_UNAVAILABLE ||
	       rc == LDAP_BUSY;
}

/*
 * Search the group base for groups naming any of dns[0..n) as members;
 * append each new group DN to `next`.
 */
static int search_groups(LDAP *ld, const struct ldap_config *cfg, char **dns, size_t n, struct ldap_groups *g,
			 struct dnset *seen, struct dnset *followed, struct dnset *next, int *ldrc, char *err,
			 size_t errlen)
{
	struct fl_buf f = FL_BUF_INIT(1 << 20);
	char *attrs[] = { (char *)LDAP_NO_ATTRS, NULL };
	struct timeval tv = { cfg->timeout_sec, 0 };
	LDAPMessage *res = NULL;
	int rc = 0;

	fl_buf_adds(&f, "(|");
	for (size_t i = 0; i < n; i++) {
		fl_buf_addf(&f, "(%s=", cfg->member_attribute);
		ldapf_escape(&f, dns[i], strlen(dns[i]));
		fl_buf_addc(&f, ')');
	}
	fl_buf_addc(&f, ')');
	if (fl_buf_failed(&f)) {
		snprintf(err, errlen, "group filter too long");
		fl_buf_release(&f);
		return -1;
	}
	*ldrc = ldap_search_ext_s(ld, cfg->group_base_dn, LDAP_SCOPE_SUBTREE, f.ptr, attrs, 0, NULL, NULL, &tv,
				  MAX_GROUPS, &res);
	fl_buf_release(&f);
	if (*ldrc != LDAP_SUCCESS && *ldrc != LDAP_SIZELIMIT_EXCEEDED) {
		ld_error(ld, *ldrc, "group search failed", err, errlen);
		ldap_msgfree(res);
		return -1;
	}
	for (LDAPMessage *e = ldap_first_entry(ld, res); e && !rc; e = ldap_next_entry(ld, e)) {
		char *dn = ldap_get_dn(ld, e);
		if (!dn)
			continue;
		if (add_group(g, seen, dn, strlen(dn), cfg->group_attribute) < 0)
			rc = -1;
		/* follow a group only the first time it is found: cycles end */
		else if (dnset_add(followed, dn) && !dnset_add(next, dn))
			rc = -1;
		ldap_memfree(dn);
	}
	ldap_msgfree(res);
	if (rc)
		snprintf(err, errlen, "out of memory");
	return rc;
}

static int lookup_on(LDAP *ld, const struct ldap_config *cfg, const char *username, size_t len,
		     struct ldap_groups *g, int *ldrc, char *err, size_t errlen)
{
	struct fl_buf f = FL_BUF_INIT(64 << 10);
	struct timeval tv = { cfg->timeout_sec, 0 };
	struct dnset seen = { 0 }, followed = { 0 }, level = { 0 }, next = { 0 };
	LDAPMessage *res = NULL, *e;
	char *user_dn = NULL;
	int rc = -1;

	*ldrc = LDAP_SUCCESS;
	if (ldapf_filter(&f, cfg->filter, username, len)) {
		snprintf(err, errlen, "search filter too long");
		goto out;
	}
	*ldrc = ldap_search_ext_s(ld, cfg->base_dn, LDAP_SCOPE_SUBTREE, f.ptr,
				  cfg->attributes[0] ? cfg->attributes : (char *[]){ (char *)LDAP_NO_ATTRS, NULL }, 0,
				  NULL, NULL, &tv, 0, &res);
	if (*ldrc != LDAP_SUCCESS && *ldrc != LDAP_SIZELIMIT_EXCEEDED) {
		ld_error(ld, *ldrc, "search failed", err, errlen);
		goto out;
	}
	*ldrc = LDAP_SUCCESS;
	e = ldap_first_entry(ld, res);
	if (!e) {
		rc = 0; /* unknown user: no groups, as the original */
		goto out;
	}
	g->user_found = true;
	for (size_t i = 0; cfg->attributes[i]; i++) {
		struct berval **vals = ldap_get_values_len(ld, e, cfg->attributes[i]);
		for (size_t k = 0; vals && vals[k]; k++) {
			if (add_group(g, &seen, vals[k]->bv_val, vals[k]->bv_len, cfg->group_attribute) < 0) {
				ldap_value_free_len(vals);
				snprintf(err, errlen, "out of memory");
				goto out;
			}
		}
		ldap_value_free_len(vals);
	}
	if (!cfg->group_base_dn) {
		rc = 0;
		goto out;
	}
	user_dn = ldap_get_dn(ld, e);
	if (!user_dn || !dnset_add(&level, user_dn) || !dnset_add(&followed, user_dn)) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	/* the groups of the user, then the groups of those groups, ... */
	for (long depth = 0; depth < cfg->group_depth && level.n; depth++) {
		for (size_t i = 0; i < level.n; i += DNS_PER_SEARCH)
			if (search_groups(ld, cfg, level.v + i, FL_MIN(level.n - i, (size_t)DNS_PER_SEARCH), g, &seen,
					  &followed, &next, ldrc, err, errlen))
				goto out;
		dnset_release(&level);
		level = next;
		memset(&next, 0, sizeof(next));
	}
	rc = 0;
out:
	ldap_memfree(user_dn);
	ldap_msgfree(res);
	dnset_release(&seen);
	dnset_release(&followed);
	dnset_release(&level);
	dnset_release(&next);
	fl_buf_release(&f);
	return rc;
}

int ldap_lookup(struct ldap_pool *p, const char *username, size_t len, struct ldap_groups *out, char *err,
		size_t errlen)
{
	for (int attempt = 0; attempt < 2; attempt++) {
		bool reused = false;
		int ldrc = LDAP_SUCCESS;
		LDAP *ld = pool_get(p, &reused, err, errlen);

		memset(out, 0, sizeof(*out));
		if (!ld)
			return -1;
		if (lookup_on(ld, p->cfg, username, len, out, &ldrc, err, errlen) == 0) {
			pool_put(p, ld, true);
			return 0;
		}
		ldap_groups_release(out);
		pool_put(p, ld, false);
		/* a pooled connection may have died while idle (server restarted):
		 * so have its siblings, probably; try once more on a fresh one */
		if (!reused || !connection_lost(ldrc))
			return -1;
		pool_flush(p);
	}
	return -1;
}

/* ---- handler -------------------------------------------------------------- */

static int retrieval_error(struct flyte_result *out, const char *username, const char *msg)
{
	json_t *p = json_object(), *m;
	char *text;
	int rc;

	if (!p)
		return flyte_result_fatal(out, "out of memory");
	if (username && *username)
		json_object_set_new(p, "username", json_string(username));
	m = json_string(msg);
	json_object_set_new(p, "error", m ? m : json_string("error"));
	text = json_dumps(p, JSON_COMPACT);
	json_decref(p);
	if (!text)
		return flyte_result_fatal(out, "out of memory");
	rc = flyte_result_set(out, "GroupsRetrievalError", text);
	free(text);
	return rc ? -1 : 0;
}

int ldap_groups_handler(const char *input, size_t len, struct flyte_result *out, void *payload)
{
	struct ldap_pool *pool = payload;
	struct ldap_groups g = { 0 };
	json_error_t je;
	json_t *in = json_loadb(input, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je), *user, *p = NULL;
	const char *username;
	char err[1024], *text = NULL;
	int rc = -1;

	if (!in || !json_is_object(in) ||
	    ((user = json_object_get(in, "username")) && !json_is_string(user) && !json_is_null(user))) {
		/* the original: FATAL with {"error": "Json unmarshalling error: ..."} */
		char msg[300];
		json_t *f;
		snprintf(msg, sizeof(msg), "Json unmarshalling error: %s",
			 in ? "expected an object {\"username\": string}" : je.text);
		f = json_pack("{s:s}", "error", msg);
		text = f ? json_dumps(f, JSON_COMPACT) : NULL;
		json_decref(f);
		flyte_result_set(out, FLYTE_EVENT_FATAL, text ? text : "null");
		free(text);
		json_decref(in);
		return 0;
	}
	username = json_string_value(user);
	if (!username || !*username) {
		rc = retrieval_error(out, NULL, "No Username provided.");
		goto out;
	}
	if (json_string_length(user) > MAX_USERNAME) {
		rc = retrieval_error(out, username, "username is too long");
		goto out;
	}
	if (ldap_lookup(pool, username, json_string_length(user), &g, err, sizeof(err))) {
		rc = retrieval_error(out, username, err);
		goto out;
	}
	p = json_object();
	json_object_set_new(p, "username", json_stringn(username, json_string_length(user)));
	if (g.n) {
		json_t *arr = json_array();
		for (size_t i = 0; i < g.n; i++) {
			json_t *s = json_string(g.names[i]);
			/* a name that is not UTF-8 cannot be put in JSON as is */
			json_array_append_new(arr, s ? s : json_string("\xef\xbf\xbd"));
		}
		json_object_set_new(p, "usergroups", arr);
	}
	text = json_dumps(p, JSON_COMPACT);
	rc = text && !flyte_result_set(out, "GroupsRetrieved", text) ? 0 : flyte_result_fatal(out, "out of memory");
out:
	free(text);
	json_decref(p);
	json_decref(in);
	ldap_groups_release(&g);
	return rc;
}
