/* SPDX-License-Identifier: Apache-2.0 */
/*
 * policy.c - the path policy: YAML loading, route matching, claim checks.
 *
 * The YAML document is read into a node tree (yaml/yaml.h, on libyaml)
 * and turned into a list of routes.  A route is a pattern *shape*: the
 * sequence of segment kinds and static texts, so `/v1/packs/:pack` and
 * `/v1/packs/:id` are the same route.  Each route holds one rule per HTTP
 * method; a rule carries the claims of the entry it came from and that
 * entry's parameter names.  Routing compares a request path with every
 * route (policies are small) and keeps the most specific match: for each
 * path segment the kind of pattern segment that consumed it, compared left
 * to right, static before parameter before wildcard.  Because each pattern
 * has at most one wildcard and every other segment consumes exactly one
 * path segment, a pattern matches a path in at most one way.
 */
#include "fl-common.h"

#include "alloc.h"
#include "buf.h"
#include "policy.h"
#include "utf8.h"
#include "yaml/yaml.h"

/* HTTP methods a policy may name, in the order used for Allow headers. */
static const char *const method_names[] = { "CONNECT", "DELETE", "GET",   "HEAD", "OPTIONS",
					    "PATCH",   "POST",   "PUT",   "TRACE" };
#define N_METHODS FL_ARRAY_LEN(method_names)
/* Omitted `methods`: everything except HEAD, OPTIONS and TRACE. */
static const char *const default_excluded[] = { "HEAD", "OPTIONS", "TRACE" };

enum seg_kind { SEG_STATIC = 0, SEG_PARAM = 1, SEG_WILD = 2 };

struct seg {
	enum seg_kind kind;
	char *text; /* static text; NULL otherwise */
};

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
	struct seg *segs;
	size_t nsegs;
	int wild; /* index of the wildcard segment, -1 if none */
	struct fl_policy_rule *by_method[N_METHODS];
};

struct fl_policy {
	struct route *routes;
	size_t nroutes;
	struct fl_policy_rule **rules; /* every rule, owned here */
	size_t nrules;
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

static void segs_free(struct seg *segs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(segs[i].text);
	free(segs);
}

void fl_policy_free(struct fl_policy *policy)
{
	if (!policy)
		return;
	for (size_t i = 0; i < policy->nroutes; i++)
		segs_free(policy->routes[i].segs, policy->routes[i].nsegs);
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

static bool param_name_ok(const char *s, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
		      c == '-'))
			return false;
	}
	return true;
}

/*
 * Split a pattern into segments, recording parameter names in rule.
 * Returns NULL on success or a message.
 */
static const char *parse_pattern(const char *pat, struct seg **out, size_t *nout, int *wild,
				 struct fl_policy_rule *rule)
{
	struct seg *segs = NULL;
	size_t n = 0;
	const char *p, *why = NULL;

	*out = NULL;
	*nout = 0;
	*wild = -1;
	if (pat[0] != '/')
		return "path must start with '/'";
	segs = fl_xcalloc(FL_POLICY_MAX_SEGMENTS, sizeof(*segs));
	if (strcmp(pat, "/") == 0) {
		segs[n++] = (struct seg){ SEG_STATIC, fl_xstrdup("") };
		goto done;
	}
	p = pat + 1;
	for (;;) {
		const char *end = strchr(p, '/');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (n == FL_POLICY_MAX_SEGMENTS) {
			why = "path has too many segments";
			goto done;
		}
		if (len == 0) {
			why = "path has an empty segment (\"//\" or a trailing '/')";
			goto done;
		}
		if (len == 1 && p[0] == '*') {
			if (*wild >= 0) {
				why = "path has more than one '*'";
				goto done;
			}
			*wild = (int)n;
			segs[n++] = (struct seg){ SEG_WILD, NULL };
		} else if (p[0] == ':') {
			if (!param_name_ok(p + 1, len - 1)) {
				why = "path parameter name must be letters, digits, '_' or '-'";
				goto done;
			}
			if (rule->nparams == FL_POLICY_MAX_PARAMS) {
				why = "path has too many parameters";
				goto done;
			}
			for (size_t i = 0; i < rule->nparams; i++) {
				if (strlen(rule->param_names[i]) == len - 1 &&
				    memcmp(rule->param_names[i], p + 1, len - 1) == 0) {
					why = "path parameter name used twice";
					goto done;
				}
			}
			rule->param_names[rule->nparams++] = fl_xstrndup(p + 1, len - 1);
			segs[n++] = (struct seg){ SEG_PARAM, NULL };
		} else {
			if (memchr(p, '*', len)) {
				why = "'*' must be a whole path segment";
				goto done;
			}
			if ((len == 1 && p[0] == '.') || (len == 2 && p[0] == '.' && p[1] == '.')) {
				why = "path has a '.' or '..' segment";
				goto done;
			}
			segs[n++] = (struct seg){ SEG_STATIC, fl_xstrndup(p, len) };
		}
		if (!end)
			break;
		p = end + 1;
	}
done:
	if (why) {
		segs_free(segs, n);
		return why;
	}
	*out = segs;
	*nout = n;
	return NULL;
}

static bool same_shape(const struct route *r, const struct seg *segs, size_t n)
{
	if (r->nsegs != n)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (r->segs[i].kind != segs[i].kind)
			return false;
		if (segs[i].kind == SEG_STATIC && strcmp(r->segs[i].text, segs[i].text) != 0)
			return false;
	}
	return true;
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

static struct route *route_for(struct fl_policy *p, struct seg *segs, size_t nsegs, int wild)
{
	struct route *r;

	for (size_t i = 0; i < p->nroutes; i++) {
		if (same_shape(&p->routes[i], segs, nsegs)) {
			segs_free(segs, nsegs);
			return &p->routes[i];
		}
	}
	p->routes = fl_xrealloc(p->routes, (p->nroutes + 1) * sizeof(*p->routes));
	r = &p->routes[p->nroutes++];
	memset(r, 0, sizeof(*r));
	r->segs = segs;
	r->nsegs = nsegs;
	r->wild = wild;
	return r;
}

static int load_entry(struct loader *ld, const struct fl_yaml_node *entry)
{
	struct fl_policy_rule *rule = fl_xcalloc(1, sizeof(*rule));
	const struct fl_yaml_node *path_key = NULL, *path_val = NULL, *methods_key = NULL, *methods_val = NULL;
	const struct fl_yaml_node *claims_key = NULL, *claims_val = NULL;
	struct seg *segs = NULL;
	struct route *route;
	size_t nsegs = 0, len;
	bool mask[N_METHODS] = { false };
	const char *s, *why;
	char tmp[48];
	int wild, line = node_line(entry), rc;

	/* the rule is owned by the policy from the start, so every error path frees it */
	ld->policy->rules = fl_xrealloc(ld->policy->rules, (ld->policy->nrules + 1) * sizeof(*ld->policy->rules));
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
	why = parse_pattern(rule->pattern, &segs, &nsegs, &wild, rule);
	if (why)
		return fail(ld, node_line(path_key), "%s in '%s'", why, shown(s, len, tmp, sizeof(tmp)));
	route = route_for(ld->policy, segs, nsegs, wild);
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

struct path_segs {
	struct fl_str s[FL_POLICY_MAX_SEGMENTS];
	size_t n;
};

/* Split a request path; false when it is one we refuse to route. */
static bool split_path(const char *path, struct path_segs *ps)
{
	const char *p;

	ps->n = 0;
	if (!path || path[0] != '/')
		return false;
	if (path[1] == '\0') {
		ps->s[ps->n++] = fl_str_make(path + 1, 0); /* the root: one empty segment */
		return true;
	}
	p = path + 1;
	for (;;) {
		const char *end = strchr(p, '/');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (len == 0 || ps->n == FL_POLICY_MAX_SEGMENTS)
			return false;
		if ((len == 1 && p[0] == '.') || (len == 2 && p[0] == '.' && p[1] == '.'))
			return false;
		ps->s[ps->n++] = fl_str_make(p, len);
		if (!end)
			return true;
		p = end + 1;
	}
}

static bool seg_matches(const struct seg *sg, struct fl_str s)
{
	if (sg->kind == SEG_STATIC)
		return fl_str_eqs(s, sg->text);
	return s.len > 0; /* a parameter never matches the root's empty segment */
}

/*
 * Match one route; on success fill kinds[] (one per path segment) and the
 * parameter values in order.
 */
static bool route_matches(const struct route *r, const struct path_segs *ps, unsigned char *kinds,
			  struct fl_str *params, size_t *nparams)
{
	size_t wild_len = 0, pi = 0;

	*nparams = 0;
	if (r->wild < 0) {
		if (r->nsegs != ps->n)
			return false;
	} else {
		if (ps->n < r->nsegs)
			return false;
		wild_len = ps->n - (r->nsegs - 1);
	}
	for (size_t i = 0; i < r->nsegs; i++) {
		const struct seg *sg = &r->segs[i];
		if (sg->kind == SEG_WILD) {
			for (size_t k = 0; k < wild_len; k++)
				kinds[pi++] = SEG_WILD;
			continue;
		}
		if (!seg_matches(sg, ps->s[pi]))
			return false;
		if (sg->kind == SEG_PARAM)
			params[(*nparams)++] = ps->s[pi];
		kinds[pi++] = (unsigned char)sg->kind;
	}
	return true;
}

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
	struct path_segs ps;
	unsigned char best_kinds[FL_POLICY_MAX_SEGMENTS], kinds[FL_POLICY_MAX_SEGMENTS];
	struct fl_str params[FL_POLICY_MAX_PARAMS];
	const struct route *best = NULL;
	size_t nparams;
	int mi;

	memset(m, 0, sizeof(*m));
	m->outcome = FL_POLICY_NO_MATCH;
	if (!policy || !split_path(path, &ps))
		return;
	for (size_t i = 0; i < policy->nroutes; i++) {
		const struct route *r = &policy->routes[i];
		if (!route_matches(r, &ps, kinds, params, &nparams))
			continue;
		if (best && memcmp(kinds, best_kinds, ps.n) >= 0)
			continue;
		best = r;
		memcpy(best_kinds, kinds, ps.n);
		memcpy(m->params, params, nparams * sizeof(*params));
		m->nparams = nparams;
	}
	if (!best) {
		m->nparams = 0;
		return;
	}
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
