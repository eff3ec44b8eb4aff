// SPDX-License-Identifier: Apache-2.0
/*
 * router.c - compiles the REST route table into segment lists and matches
 * request paths against it.  Used once per request before the body is read,
 * so unknown paths (404) and wrong methods (405) are answered without
 * buffering anything.
 */
#include "fl-common.h"

#include "alloc.h"
#include "buf.h"
#include "http/router.h"
#include "http/url.h"

struct segment {
	const char *text; /* literal text, or the parameter name */
	size_t len;
	bool param;
};

struct compiled {
	const struct fl_route *route;
	size_t nseg;
	struct segment seg[FL_ROUTER_MAX_SEGMENTS];
	char *names; /* NUL-separated parameter names, owned */
	size_t pattern_id; /* routes with the same pattern share an id */
};

struct fl_router {
	struct compiled *v;
	size_t n;
};

static int compile(struct compiled *c, const struct fl_route *route, struct fl_error *err)
{
	const char *p = route->pattern;
	size_t nparams = 0, namepos = 0, plen;

	memset(c, 0, sizeof(*c));
	c->route = route;
	if (!p || p[0] != '/')
		return fl_error_set(err, FL_EINVALID, "route pattern '%s' is not absolute", p ? p : "");
	plen = strlen(p);
	c->names = fl_xcalloc(1, plen + 1);
	if (plen == 1)
		return FL_OK; /* "/" */
	p++;
	while (*p) {
		const char *end = strchr(p, '/');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		struct segment *s;

		if (len == 0 || c->nseg == FL_ROUTER_MAX_SEGMENTS)
			return fl_error_set(err, FL_EINVALID, "route pattern '%s' has an empty segment or too many",
					    route->pattern);
		s = &c->seg[c->nseg++];
		if (p[0] == '{') {
			if (len < 3 || p[len - 1] != '}' || nparams == FL_ROUTER_MAX_PARAMS)
				return fl_error_set(err, FL_EINVALID, "route pattern '%s' has a malformed parameter",
						    route->pattern);
			memcpy(c->names + namepos, p + 1, len - 2);
			s->text = c->names + namepos;
			s->len = len - 2;
			s->param = true;
			namepos += len - 1; /* keep the NUL */
			nparams++;
		} else {
			s->text = p;
			s->len = len;
		}
		p += len;
		if (*p == '/') {
			p++;
			if (!*p)
				return fl_error_set(err, FL_EINVALID, "route pattern '%s' ends with '/'",
						    route->pattern);
		}
	}
	return FL_OK;
}

void fl_router_free(struct fl_router *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++)
		free(r->v[i].names);
	free(r->v);
	free(r);
}

int fl_router_new(struct fl_router **out, const struct fl_route *routes, size_t n, struct fl_error *err)
{
	struct fl_router *r = fl_xcalloc(1, sizeof(*r));
	int rc = FL_OK;

	*out = NULL;
	r->v = fl_xcalloc(n ? n : 1, sizeof(*r->v));
	for (size_t i = 0; i < n; i++) {
		r->n = i + 1;
		rc = compile(&r->v[i], &routes[i], err);
		if (rc)
			goto done;
		r->v[i].pattern_id = i;
		for (size_t j = 0; j < i; j++) {
			if (strcmp(routes[j].pattern, routes[i].pattern) != 0)
				continue;
			if (strcmp(routes[j].method, routes[i].method) == 0) {
				rc = fl_error_set(err, FL_EINVALID, "route '%s %s' is registered twice",
						  routes[i].method, routes[i].pattern);
				goto done;
			}
			r->v[i].pattern_id = r->v[j].pattern_id;
			break;
		}
	}
	*out = r;
	r = NULL;
done:
	fl_router_free(r);
	return rc;
}

struct split {
	size_t n;
	struct {
		const char *p;
		size_t len;
	} seg[FL_ROUTER_MAX_SEGMENTS];
};

/* Split "/a/b" into segments; false if too many.  "/" has none; "/a/" has "a" and "". */
static bool split_path(const char *path, size_t len, struct split *sp)
{
	size_t i = 1;

	sp->n = 0;
	if (len <= 1)
		return true;
	while (i <= len) {
		size_t start = i;

		while (i < len && path[i] != '/')
			i++;
		if (sp->n == FL_ROUTER_MAX_SEGMENTS)
			return false;
		sp->seg[sp->n].p = path + start;
		sp->seg[sp->n].len = i - start;
		sp->n++;
		i++; /* skip '/' (or step past the end) */
	}
	return true;
}

/*
 * 0 = no match; otherwise a score where a literal in an earlier segment
 * outranks any parameters later on.
 */
static uint32_t match_score(const struct compiled *c, const struct split *sp)
{
	uint32_t score = 1;

	if (c->nseg != sp->n)
		return 0;
	for (size_t i = 0; i < c->nseg; i++) {
		const struct segment *s = &c->seg[i];

		if (sp->seg[i].len == 0)
			return 0;
		if (s->param)
			continue;
		if (s->len != sp->seg[i].len || memcmp(s->text, sp->seg[i].p, s->len) != 0)
			return 0;
		score |= UINT32_C(1) << (31 - i);
	}
	return score;
}

static void build_allow(const struct fl_router *r, size_t pattern_id, char *out, size_t outlen)
{
	const char *methods[FL_ROUTER_MAX_SEGMENTS + 1];
	size_t n = 0;
	struct fl_buf b = FL_BUF_INIT(outlen - 1);

	for (size_t i = 0; i < r->n && n < FL_ARRAY_LEN(methods) - 1; i++)
		if (r->v[i].pattern_id == pattern_id)
			methods[n++] = r->v[i].route->method;
	methods[n++] = "OPTIONS";
	/* insertion sort: a handful of names */
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && strcmp(methods[j - 1], methods[j]) > 0; j--) {
			const char *t = methods[j];
			methods[j] = methods[j - 1];
			methods[j - 1] = t;
		}
	for (size_t i = 0; i < n; i++)
		fl_buf_addf(&b, "%s%s", i ? ", " : "", methods[i]);
	snprintf(out, outlen, "%s", b.ptr);
	fl_buf_release(&b);
}

int fl_router_match(const struct fl_router *r, const char *method, const char *path, size_t len,
		    struct fl_route_match *m, struct fl_error *err)
{
	struct split sp;
	const struct compiled *best = NULL, *hit = NULL;
	uint32_t best_score = 0;

	memset(m, 0, sizeof(*m));
	if (len == 0 || path[0] != '/' || !split_path(path, len, &sp))
		goto notfound;
	for (size_t i = 0; i < r->n; i++) {
		uint32_t s = match_score(&r->v[i], &sp);
		if (s > best_score) {
			best_score = s;
			best = &r->v[i];
		}
	}
	if (!best)
		goto notfound;
	for (size_t i = 0; i < r->n; i++) {
		if (r->v[i].pattern_id == best->pattern_id && strcmp(r->v[i].route->method, method) == 0) {
			hit = &r->v[i];
			break;
		}
	}
	build_allow(r, best->pattern_id, m->allow, sizeof(m->allow));
	if (!hit)
		return fl_error_set(err, FL_EMETHOD, "method '%s' is not allowed on '%.*s'", method,
				    (int)FL_MIN(len, 200), path);
	m->route = hit->route;
	for (size_t i = 0; i < hit->nseg; i++) {
		struct fl_buf b = FL_BUF_INIT(sp.seg[i].len + 1);
		struct fl_route_param *pp;

		if (!hit->seg[i].param)
			continue;
		if (fl_url_decode(&b, sp.seg[i].p, sp.seg[i].len, 0) != FL_OK) {
			fl_buf_release(&b);
			fl_router_match_release(m);
			return fl_error_set(err, FL_EINVALID, "malformed percent-encoding in path segment '%.*s'",
					    (int)FL_MIN(sp.seg[i].len, 200), sp.seg[i].p);
		}
		pp = &m->params[m->nparams++];
		pp->name = hit->seg[i].text;
		pp->value = fl_buf_detach(&b, NULL);
		if (!pp->value)
			pp->value = fl_xstrdup("");
	}
	return FL_OK;
notfound:
	return fl_error_set(err, FL_ENOTFOUND, "path '%.*s' not found", (int)FL_MIN(len, 200), path);
}

const char *fl_router_param(const struct fl_route_match *m, const char *name)
{
	for (size_t i = 0; i < m->nparams; i++)
		if (strcmp(m->params[i].name, name) == 0)
			return m->params[i].value;
	return NULL;
}

void fl_router_match_release(struct fl_route_match *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->nparams; i++)
		free(m->params[i].value);
	m->nparams = 0;
	m->route = NULL;
}
