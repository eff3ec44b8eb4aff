/* SPDX-License-Identifier: Apache-2.0 */
/*
 * policy.c - the path policy: YAML loading, route matching, claim checks.
 *
 * The YAML document is read into a node tree (yaml/yaml.h, on libyaml)
 * and turned into a list of routes.  A route is a pattern *shape*: the
 * sequence of segment kinds and static texts, so `/v1/packs/:pack` and
 * `/v1/packs/:id` are the same route.  Each route holds one rule per HTTP
 * method; a rule carries the claims of the entry it came from and that
 * entry's parameter names.  Patterns, their shapes and routing to the most
 * specific match are common/pathpat.h, the matcher of the REST routes too:
 * for each path segment the kind of pattern segment that consumed it,
 * compared left to right, static before parameter before wildcard.
 */
#include "fl-common.h"

#include "alloc.h"
#include "buf.h"
#include "pathpat.h"
#include "policy.h"
#include "utf8.h"
#include "yaml/yaml.h"

/* HTTP methods a policy may name, in the order used for Allow headers. */
static const char *const method_names[] = { "CONNECT", "DELETE", "GET",   "HEAD", "OPTIONS",
					    "PATCH",   "POST",   "PUT",   "TRACE" };
#define N_METHODS FL_ARRAY_LEN(method_names)
/* Omitted `methods`: everything except HEAD, OPTIONS and TRACE. */
static const char *const default_excluded[] = { "HEAD", "OPTIONS", "TRACE" };

struct claim {
	char *name;
	char **values;
	size_t nvalues;
};

struct fl_policy_rule {
	int line;
	char *pattern;                              /* as written in the file */
	char *param_names[FL_POLICY_MAX_PARAMS];    /* by parameter ordinal */
	size_t nparams;
	struct claim *claims;
	size_t nclaims;
};

struct route {
	struct fl_pathpat pat; /* borrows the pattern text of the route's first rule */
	struct fl_policy_rule *by_method[N_METHODS];
};

struct fl_policy {
	struct route *routes;
	size_t nroutes, caproutes;
	struct fl_policy_rule **rules; /* every rule, owned here */
	size_t nrules, caprules;
};

/* ---- construction ------------------------------------------------------ */

static void rule_free(struct fl_policy_rule *r)
{
	if (!r)
		return;
	free(r->pattern);
	for (size_t i = 0; i < r->nparams; i++)
		free(r->param_names[i]);
	for (size_t i = 0; i < r->nclaims; i++) {
		free(r->claims[i].name);
		for (size_t j = 0; j < r->claims[i].nvalues; j++)
			free(r->claims[i].values[j]);
		free(r->claims[i].values);
	}
	free(r->claims);
	free(r);
}

void fl_policy_free(struct fl_policy *policy)
{
	if (!policy)
		return;
	free(policy->routes);
	for (size_t i = 0; i < policy->nrules; i++)
		rule_free(policy->rules[i]);
	free(policy->rules);
	free(policy);
}

size_t fl_policy_route_count(const struct fl_policy *policy)
{
	return policy ? policy->nroutes : 0;
}

/* ---- YAML -------------------------------------------------------------- */

struct loader {
	const char *name;
	struct fl_error *err;
	struct fl_policy *policy;
};

/* 1-based source line of a node, 0 if unknown. */
static int node_line(const struct fl_yaml_node *n)
{
	return n ? n->line : 0;
}

static int fail(struct loader *ld, int line, const char *fmt, ...) FL_PRINTF(3, 4);

static int fail(struct loader *ld, int line, const char *fmt, ...)
{
	char msg[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line > 0)
		return fl_error_set(ld->err, FL_EINVALID, "policy '%s' line %d: %s", ld->name, line, msg);
	return fl_error_set(ld->err, FL_EINVALID, "policy '%s': %s", ld->name, msg);
}

/* The text of a scalar (no NUL inside); NULL otherwise. */
static const char *scalar_text(const struct fl_yaml_node *n, size_t *len)
{
	if (!n || n->kind != FL_YAML_SCALAR || memchr(n->text, '\0', n->len))
		return NULL;
	*len = n->len;
	return n->text;
}

/* Print a scalar for an error message, shortened and with control bytes replaced. */
static const char *shown(const char *s, size_t len, char *out, size_t outlen)
{
	size_t j = 0;
	for (size_t i = 0; i < len && j + 4 < outlen; i++)
		out[j++] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	if (len > 0 && j + 4 >= outlen) {
		out[j++] = '.';
		out[j++] = '.';
		out[j++] = '.';
	}
	out[j] = '\0';
	return out;
}

static int method_index(const char *s, size_t len)
{
	for (size_t i = 0; i < N_METHODS; i++)
		if (strlen(method_names[i]) == len && memcmp(method_names[i], s, len) == 0)
			return (int)i;
	return -1;
}

static int load_methods(struct loader *ld, const struct fl_yaml_node *key, const struct fl_yaml_node *val,
			bool mask[N_METHODS])
{
	size_t count = 0;
	char tmp[48];

	if (fl_yaml_node_is_null(val)) {
		for (size_t i = 0; i < N_METHODS; i++)
			mask[i] = true;
		for (size_t i = 0; i < FL_ARRAY_LEN(default_excluded); i++)
			mask[method_index(default_excluded[i], strlen(default_excluded[i]))] = false;
		return FL_OK;
	}
	if (val->kind != FL_YAML_SEQUENCE)
		return fail(ld, node_line(key), "'methods' must be a list");
	for (size_t i = 0; i < val->n; i++) {
		const struct fl_yaml_node *item = val->items[i];
		size_t len;
		const char *s = scalar_text(item, &len);
		int m;
		if (!s)
			return fail(ld, node_line(item) ? node_line(item) : node_line(key),
				    "'methods' must be a list of method names");
		m = method_index(s, len);
		if (m < 0)
			return fail(ld, node_line(item), "unknown method '%s'", shown(s, len, tmp, sizeof(tmp)));
		mask[m] = true;
		count++;
	}
	if (count == 0)
		return fail(ld, node_line(key), "'methods' is empty");
	return FL_OK;
}

static int load_claims(struct loader *ld, const struct fl_yaml_node *key, const struct fl_yaml_node *val,
		       struct fl_policy_rule *rule)
{
	char tmp[48];

	if (fl_yaml_node_is_null(val))
		return FL_OK;
	if (val->kind != FL_YAML_MAPPING)
		return fail(ld, node_line(key), "'claims' must be a map of claim name to list of values");
	rule->claims = fl_xcalloc(val->n / 2 + 1, sizeof(*rule->claims));
	for (size_t p = 0; p + 1 < val->n; p += 2) {
		const struct fl_yaml_node *k = val->items[p], *v = val->items[p + 1];
		struct claim *c = &rule->claims[rule->nclaims];
		size_t len;
		const char *name = scalar_text(k, &len);

		if (!name || len == 0)
			return fail(ld, node_line(k) ? node_line(k) : node_line(key), "claim name must be a non-empty string");
		c->name = fl_xstrndup(name, len);
		rule->nclaims++;
		if (!v || v->kind != FL_YAML_SEQUENCE)
			return fail(ld, node_line(k), "values of claim '%s' must be a list",
				    shown(name, len, tmp, sizeof(tmp)));
		c->values = fl_xcalloc(v->n + 1, sizeof(*c->values));
		for (size_t i = 0; i < v->n; i++) {
			const struct fl_yaml_node *item = v->items[i];
			size_t vlen;
			const char *s = scalar_text(item, &vlen);
			if (!s)
				return fail(ld, node_line(item) ? node_line(item) : node_line(k),
					    "values of claim '%s' must be plain strings", c->name);
			c->values[c->nvalues++] = fl_xstrndup(s, vlen);
		}
	}
	return FL_OK;
}

static bool rule_has_param(const struct fl_policy_rule *rule, const char *name)
{
	for (size_t i = 0; i < rule->nparams; i++)
		if (strcmp(rule->param_names[i], name) == 0)
			return true;
	return false;
}

/* Every ":name" in claims must be a parameter of the entry's path. */
static int check_claim_params(struct loader *ld, int line, const struct fl_policy_rule *rule)
{
	for (size_t i = 0; i < rule->nclaims; i++) {
		const struct claim *c = &rule->claims[i];
		if (c->name[0] == ':' && !rule_has_param(rule, c->name + 1))
			return fail(ld, line, "claim name '%s' is not a parameter of path '%s'", c->name,
				    rule->pattern);
		for (size_t j = 0; j < c->nvalues; j++)
			if (c->values[j][0] == ':' && !rule_has_param(rule, c->values[j] + 1))
				return fail(ld, line, "claim value '%s' is not a parameter of path '%s'",
					    c->values[j], rule->pattern);
	}
	return FL_OK;
}

static struct route *route_for(struct fl_policy *p, const struct fl_pathpat *pat)
{
	struct route *r;

	for (size_t i = 0; i < p->nroutes; i++)
		if (fl_pathpat_same_shape(&p->routes[i].pat, pat))
			return &p->routes[i];
	FL_GROW(p->routes, p->caproutes, p->nroutes + 1);
	r = &p->routes[p->nroutes++];
	memset(r, 0, sizeof(*r));
	r->pat = *pat;
	return r;
}

/* The rule's parameter names, by ordinal, from its compiled pattern. */
static void set_param_names(struct fl_policy_rule *rule, const struct fl_pathpat *pat)
{
	for (size_t i = 0; i < pat->nseg; i++)
		if (pat->seg[i].kind == FL_PATHPAT_PARAM)
			rule->param_names[rule->nparams++] = fl_xstrndup(pat->seg[i].text.ptr, pat->seg[i].text.len);
}

static int load_entry(struct loader *ld, const struct fl_yaml_node *entry)
{
	struct fl_policy_rule *rule = fl_xcalloc(1, sizeof(*rule));
	const struct fl_yaml_node *path_key = NULL, *path_val = NULL, *methods_key = NULL, *methods_val = NULL;
	const struct fl_yaml_node *claims_key = NULL, *claims_val = NULL;
	struct fl_pathpat pat;
	struct route *route;
	size_t len;
	bool mask[N_METHODS] = { false };
	const char *s, *why;
	char tmp[48];
	int line = node_line(entry), rc;

	/* the rule is owned by the policy from the start, so every error path frees it */
	FL_GROW(ld->policy->rules, ld->policy->caprules, ld->policy->nrules + 1);
	ld->policy->rules[ld->policy->nrules++] = rule;
	rule->line = line;

	if (entry->kind != FL_YAML_MAPPING)
		return fail(ld, line, "each entry must be a map with 'path', 'methods' and 'claims'");
	for (size_t p = 0; p + 1 < entry->n; p += 2) {
		const struct fl_yaml_node *k = entry->items[p], *v = entry->items[p + 1], **kslot, **vslot;
		s = scalar_text(k, &len);
		if (s && len == 4 && memcmp(s, "path", 4) == 0) {
			kslot = &path_key;
			vslot = &path_val;
		} else if (s && len == 7 && memcmp(s, "methods", 7) == 0) {
			kslot = &methods_key;
			vslot = &methods_val;
		} else if (s && len == 6 && memcmp(s, "claims", 6) == 0) {
			kslot = &claims_key;
			vslot = &claims_val;
		} else {
			return fail(ld, node_line(k) ? node_line(k) : line, "unknown key '%s'",
				    s ? shown(s, len, tmp, sizeof(tmp)) : "?");
		}
		if (*kslot)
			return fail(ld, node_line(k), "duplicate key '%s'", shown(s, len, tmp, sizeof(tmp)));
		*kslot = k;
		*vslot = v;
	}
	if (!path_key)
		return fail(ld, line, "entry has no 'path'");
	s = scalar_text(path_val, &len);
	if (!s || len == 0)
		return fail(ld, node_line(path_key), "'path' must be a non-empty string");
	rule->pattern = fl_xstrndup(s, len);
	why = fl_pathpat_compile(&pat, rule->pattern, FL_PATHPAT_WILDCARD);
	if (why)
		return fail(ld, node_line(path_key), "%s in '%s'", why, shown(s, len, tmp, sizeof(tmp)));
	set_param_names(rule, &pat);
	route = route_for(ld->policy, &pat);
	rc = load_methods(ld, methods_key, methods_val, mask);
	if (rc == FL_OK)
		rc = load_claims(ld, claims_key, claims_val, rule);
	if (rc == FL_OK)
		rc = check_claim_params(ld, claims_key ? node_line(claims_key) : line, rule);
	if (rc != FL_OK)
		return rc;
	for (size_t i = 0; i < N_METHODS; i++)
		if (mask[i])
			route->by_method[i] = rule; /* a later entry replaces an earlier one */
	return FL_OK;
}

/* 1-based line of a byte offset (for a policy that is not UTF-8 text). */
static int line_of(const char *text, size_t off)
{
	int line = 1;
	for (size_t i = 0; i < off; i++)
		line += text[i] == '\n';
	return line;
}

int fl_policy_parse(struct fl_policy **out, const char *text, size_t len, const char *name, struct fl_error *err)
{
	static const struct fl_yaml_limits lim = { 64, 100000, 0 };
	struct loader ld = { name ? name : "(policy)", err, NULL };
	struct fl_yaml_node *root = NULL;
	struct fl_error yerr = FL_ERROR_INIT;
	size_t bad;
	int rc;

	*out = NULL;
	if (len > FL_POLICY_MAX_FILE) {
		rc = fail(&ld, 0, "file larger than %d bytes", FL_POLICY_MAX_FILE);
		goto done;
	}
	bad = fl_utf8_first_invalid(text, len, true);
	if (bad < len) {
		rc = fail(&ld, line_of(text, bad), "not UTF-8 text (byte 0x%02x)", (unsigned char)text[bad]);
		goto done;
	}
	if (fl_yaml_parse_tree(&root, text, len, &lim, &yerr) != FL_OK) {
		rc = fail(&ld, 0, "%s", yerr.msg);
		goto done;
	}
	if (!root || root->kind != FL_YAML_SEQUENCE) {
		rc = fail(&ld, node_line(root), "policy must be a list of entries");
		goto done;
	}
	ld.policy = fl_xcalloc(1, sizeof(*ld.policy));
	for (size_t i = 0; i < root->n; i++) {
		rc = load_entry(&ld, root->items[i]);
		if (rc != FL_OK)
			goto done;
	}
	if (ld.policy->nroutes == 0) {
		rc = fail(&ld, node_line(root), "policy has no entries");
		goto done;
	}
	*out = ld.policy;
	ld.policy = NULL;
	rc = FL_OK;
done:
	fl_policy_free(ld.policy);
	fl_yaml_node_free(root);
	return rc;
}

int fl_policy_load_file(struct fl_policy **out, const char *path, struct fl_error *err)
{
	struct fl_buf text = FL_BUF_INIT(FL_POLICY_MAX_FILE + 1);
	FILE *f = NULL;
	char chunk[8192];
	size_t n;
	int rc;

	*out = NULL;
	f = fopen(path, "rb");
	if (!f) {
		rc = fl_error_set(err, FL_EIO, "policy '%s': cannot open: %s", path, strerror(errno));
		goto done;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		fl_buf_add(&text, chunk, n);
	if (ferror(f)) {
		rc = fl_error_set(err, FL_EIO, "policy '%s': cannot read: %s", path, strerror(errno));
		goto done;
	}
	if (fl_buf_failed(&text)) {
		rc = fl_error_set(err, FL_ETOOBIG, "policy '%s': file larger than %d bytes", path,
				  FL_POLICY_MAX_FILE);
		goto done;
	}
	rc = fl_policy_parse(out, text.ptr, text.len, path, err);
done:
	if (f)
		fclose(f);
	fl_buf_release(&text);
	return rc;
}

/* ---- matching ---------------------------------------------------------- */

static void format_allow(const struct route *r, char *out, size_t outlen)
{
	struct fl_buf b = FL_BUF_INIT(outlen - 1);

	for (size_t i = 0; i < N_METHODS; i++) {
		if (!r->by_method[i])
			continue;
		fl_buf_addf(&b, "%s%s", b.len ? ", " : "", method_names[i]);
	}
	snprintf(out, outlen, "%s", fl_buf_failed(&b) ? "" : b.ptr);
	fl_buf_release(&b);
}

void fl_policy_match(const struct fl_policy *policy, const char *method, const char *path,
		     struct fl_policy_match *m)
{
	struct fl_pathpat_path ps;
	struct fl_pathpat_match pm;
	const struct route *best;
	int mi;

	memset(m, 0, sizeof(*m));
	m->outcome = FL_POLICY_NO_MATCH;
	if (!policy || !policy->nroutes || !path)
		return;
	if (!fl_pathpat_split(&ps, path, strlen(path), FL_PATHPAT_NO_DOTS) ||
	    !fl_pathpat_best(&pm, &policy->routes[0].pat, policy->nroutes, sizeof(policy->routes[0]), &ps))
		return;
	best = &policy->routes[pm.index];
	m->nparams = pm.nparams;
	memcpy(m->params, pm.params, pm.nparams * sizeof(*pm.params));
	mi = method ? method_index(method, strlen(method)) : -1;
	if (mi < 0 || !best->by_method[mi]) {
		m->outcome = FL_POLICY_BAD_METHOD;
		format_allow(best, m->allow, sizeof(m->allow));
		for (size_t i = 0; i < N_METHODS; i++)
			if (best->by_method[i]) {
				m->pattern = best->by_method[i]->pattern;
				break;
			}
		return;
	}
	m->outcome = FL_POLICY_MATCH;
	m->rule = best->by_method[mi];
	m->pattern = m->rule->pattern;
}

/* ---- claims ------------------------------------------------------------ */

bool fl_policy_rule_has_claims(const struct fl_policy_rule *rule)
{
	return rule && rule->nclaims > 0;
}

int fl_policy_rule_line(const struct fl_policy_rule *rule)
{
	return rule ? rule->line : 0;
}

/* Replace ":name" by the path parameter of that name; other text as is. */
static struct fl_str resolve(const struct fl_policy_match *m, const char *text)
{
	if (text[0] != ':')
		return fl_str_from(text);
	for (size_t i = 0; i < m->rule->nparams && i < m->nparams; i++)
		if (strcmp(m->rule->param_names[i], text + 1) == 0)
			return m->params[i];
	return fl_str_make("", 0);
}

/* The token claim as comparable text; false for types that never match. */
static bool scalar_as_text(const json_t *v, char *buf, size_t buflen, struct fl_str *out)
{
	switch (json_typeof(v)) {
	case JSON_STRING:
		*out = fl_str_make(json_string_value(v), json_string_length(v));
		return true;
	case JSON_TRUE:
		*out = FL_STR("true");
		return true;
	case JSON_FALSE:
		*out = FL_STR("false");
		return true;
	case JSON_INTEGER:
		snprintf(buf, buflen, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		*out = fl_str_from(buf);
		return true;
	case JSON_REAL: {
		double d = json_real_value(v);
		/* integral values only, within the range where doubles are exact */
		if (d != d || d < -9007199254740992.0 || d > 9007199254740992.0 || d != (double)(long long)d)
			return false;
		snprintf(buf, buflen, "%lld", (long long)d);
		*out = fl_str_from(buf);
		return true;
	}
	default:
		return false;
	}
}

static bool value_accepted(const struct fl_policy_match *m, const struct claim *c, struct fl_str have)
{
	for (size_t j = 0; j < c->nvalues; j++)
		if (fl_str_eq(resolve(m, c->values[j]), have))
			return true;
	return false;
}

static bool array_all_strings(const json_t *arr)
{
	for (size_t i = 0; i < json_array_size(arr); i++)
		if (!json_is_string(json_array_get(arr, i)))
			return false;
	return true;
}

bool fl_policy_claims_satisfied(const struct fl_policy_match *m, const json_t *claims)
{
	char numbuf[32];

	if (!m || m->outcome != FL_POLICY_MATCH || !m->rule || !json_is_object(claims))
		return false;
	for (size_t i = 0; i < m->rule->nclaims; i++) {
		const struct claim *c = &m->rule->claims[i];
		struct fl_str name = resolve(m, c->name), have;
		const json_t *v;

		if (name.len == 0)
			continue;
		v = json_object_getn(claims, name.ptr, name.len);
		if (!v)
			continue;
		if (json_is_array(v)) {
			if (!array_all_strings(v))
				continue;
			for (size_t k = 0; k < json_array_size(v); k++) {
				const json_t *el = json_array_get(v, k);
				if (value_accepted(m, c, fl_str_make(json_string_value(el), json_string_length(el))))
					return true;
			}
			continue;
		}
		if (scalar_as_text(v, numbuf, sizeof(numbuf), &have) && value_accepted(m, c, have))
			return true;
	}
	return false;
}
