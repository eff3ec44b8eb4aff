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
#include "pathpat.h"

struct compiled {
	const struct fl_route *route;
	struct fl_pathpat pat;
	size_t pattern_id; /* routes with the same pattern shape share an id */
};

struct fl_router {
	struct compiled *v;
	size_t n;
};

static int compile(struct compiled *c, const struct fl_route *route, struct fl_error *err)
{
	const char *why;

	c->route = route;
	why = fl_pathpat_compile(&c->pat, route->pattern, FL_PATHPAT_BRACES);
	if (why)
		return fl_error_set(err, FL_EINVALID, "route pattern '%s': %s", route->pattern ? route->pattern : "",
				    why);
	if (c->pat.nparams > FL_ROUTER_MAX_PARAMS)
		return fl_error_set(err, FL_EINVALID, "route pattern '%s' has more than %d parameters", route->pattern,
				    FL_ROUTER_MAX_PARAMS);
	return FL_OK;
}

void fl_router_free(struct fl_router *r)
{
	if (!r)
		return;
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
			if (!fl_pathpat_same_shape(&r->v[j].pat, &r->v[i].pat))
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

static void build_allow(const struct fl_router *r, size_t pattern_id, char *out, size_t outlen)
{
	const char *methods[16];
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
	snprintf(out, outlen, "%s", fl_buf_failed(&b) ? "" : b.ptr);
	fl_buf_release(&b);
}

int fl_router_match(const struct fl_router *r, const char *method, const char *path, size_t len,
		    struct fl_route_match *m, struct fl_error *err)
{
	struct fl_pathpat_path sp;
	struct fl_pathpat_match pm;
	const struct compiled *best, *hit = NULL;

	memset(m, 0, sizeof(*m));
	if (!fl_pathpat_split(&sp, path, len, 0) ||
	    !fl_pathpat_best(&pm, &r->v[0].pat, r->n, sizeof(r->v[0]), &sp))
		return fl_error_set(err, FL_ENOTFOUND, "path '%.*s' not found", (int)FL_MIN(len, 200), path);
	best = &r->v[pm.index];
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
	/* hit has best's shape: its parameters are the same segments, in the same order */
	m->route = hit->route;
	for (size_t i = 0, k = 0; i < hit->pat.nseg; i++) {
		const struct fl_pathpat_seg *sg = &hit->pat.seg[i];
		struct fl_str raw;
		struct fl_buf b;
		struct fl_route_param *pp;

		if (sg->kind != FL_PATHPAT_PARAM)
			continue;
		raw = pm.params[k++];
		fl_buf_init(&b, raw.len + 1);
		if (fl_url_decode(&b, raw.ptr, raw.len, 0) != FL_OK) {
			fl_buf_release(&b);
			fl_router_match_release(m);
			return fl_error_set(err, FL_EINVALID, "malformed percent-encoding in path segment '%.*s'",
					    (int)FL_MIN(raw.len, 200), raw.ptr);
		}
		pp = &m->params[m->nparams++];
		pp->name = sg->text;
		pp->value = fl_buf_detach(&b, NULL);
		if (!pp->value)
			pp->value = fl_xstrdup("");
	}
	return FL_OK;
}

const char *fl_router_param(const struct fl_route_match *m, const char *name)
{
	for (size_t i = 0; i < m->nparams; i++)
		if (fl_str_eqs(m->params[i].name, name))
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
