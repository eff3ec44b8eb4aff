/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pathpat.c - compiling path patterns and routing paths to the most
 * specific one.  No allocation: patterns and paths are cut into slices.
 */
#include "fl-common.h"

#include "pathpat.h"

static bool is_dots(const char *p, size_t len)
{
	return (len == 1 && p[0] == '.') || (len == 2 && p[0] == '.' && p[1] == '.');
}

static bool param_name_ok(struct fl_str name)
{
	if (name.len == 0)
		return false;
	for (size_t i = 0; i < name.len; i++) {
		char c = name.ptr[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
			return false;
	}
	return true;
}

/* One parameter segment p[0..len) (opener included): its name, or a message. */
static const char *add_param(struct fl_pathpat *pp, const char *p, size_t len, unsigned flags)
{
	struct fl_str name;

	if (flags & FL_PATHPAT_BRACES) {
		if (len < 2 || p[len - 1] != '}')
			return "path parameter must be written '{name}'";
		name = fl_str_make(p + 1, len - 2);
	} else {
		name = fl_str_make(p + 1, len - 1);
	}
	if (!param_name_ok(name))
		return "path parameter name must be letters, digits, '_' or '-'";
	if (pp->nparams == FL_PATHPAT_MAX_PARAMS)
		return "path has too many parameters";
	for (size_t i = 0; i < pp->nseg; i++)
		if (pp->seg[i].kind == FL_PATHPAT_PARAM && fl_str_eq(pp->seg[i].text, name))
			return "path parameter name used twice";
	pp->seg[pp->nseg] = (struct fl_pathpat_seg){ FL_PATHPAT_PARAM, name };
	pp->nparams++;
	return NULL;
}

const char *fl_pathpat_compile(struct fl_pathpat *pp, const char *pattern, unsigned flags)
{
	const char opener = (flags & FL_PATHPAT_BRACES) ? '{' : ':';
	const char *p, *why;

	pp->nseg = 0;
	pp->nparams = 0;
	pp->wild = -1;
	if (!pattern || pattern[0] != '/')
		return "path must start with '/'";
	if (pattern[1] == '\0') {
		pp->seg[pp->nseg++] = (struct fl_pathpat_seg){ FL_PATHPAT_STATIC, fl_str_make(pattern + 1, 0) };
		return NULL;
	}
	p = pattern + 1;
	for (;;) {
		const char *end = strchr(p, '/');
		size_t len = end ? (size_t)(end - p) : strlen(p);

		if (pp->nseg == FL_PATHPAT_MAX_SEGMENTS)
			return "path has too many segments";
		if (len == 0)
			return "path has an empty segment (\"//\" or a trailing '/')";
		if (len == 1 && p[0] == '*') {
			if (!(flags & FL_PATHPAT_WILDCARD))
				return "'*' is not allowed in this path";
			if (pp->wild >= 0)
				return "path has more than one '*'";
			pp->wild = (int)pp->nseg;
			pp->seg[pp->nseg] = (struct fl_pathpat_seg){ FL_PATHPAT_WILD, fl_str_make(p, 0) };
		} else if (p[0] == opener) {
			why = add_param(pp, p, len, flags);
			if (why)
				return why;
		} else {
			if (memchr(p, '*', len))
				return "'*' must be a whole path segment";
			if (is_dots(p, len))
				return "path has a '.' or '..' segment";
			pp->seg[pp->nseg] = (struct fl_pathpat_seg){ FL_PATHPAT_STATIC, fl_str_make(p, len) };
		}
		pp->nseg++;
		if (!end)
			return NULL;
		p = end + 1;
	}
}

bool fl_pathpat_same_shape(const struct fl_pathpat *a, const struct fl_pathpat *b)
{
	if (a->nseg != b->nseg)
		return false;
	for (size_t i = 0; i < a->nseg; i++) {
		if (a->seg[i].kind != b->seg[i].kind)
			return false;
		if (a->seg[i].kind == FL_PATHPAT_STATIC && !fl_str_eq(a->seg[i].text, b->seg[i].text))
			return false;
	}
	return true;
}

bool fl_pathpat_split(struct fl_pathpat_path *out, const char *path, size_t len, unsigned flags)
{
	size_t i = 1;

	out->n = 0;
	if (len == 0 || path[0] != '/')
		return false;
	if (len == 1) {
		out->seg[out->n++] = fl_str_make(path + 1, 0); /* the root: one empty segment */
		return true;
	}
	while (i <= len) {
		size_t start = i;

		while (i < len && path[i] != '/')
			i++;
		if (i == start || out->n == FL_PATHPAT_MAX_SEGMENTS)
			return false;
		if ((flags & FL_PATHPAT_NO_DOTS) && is_dots(path + start, i - start))
			return false;
		out->seg[out->n++] = fl_str_make(path + start, i - start);
		i++; /* past the '/' (or the end) */
	}
	return true;
}

bool fl_pathpat_match(struct fl_pathpat_match *m, const struct fl_pathpat *pp, const struct fl_pathpat_path *path)
{
	size_t wild_len = 0, pi = 0;

	m->nparams = 0;
	if (pp->wild < 0) {
		if (pp->nseg != path->n)
			return false;
	} else {
		if (path->n < pp->nseg)
			return false;
		wild_len = path->n - (pp->nseg - 1);
	}
	for (size_t i = 0; i < pp->nseg; i++) {
		const struct fl_pathpat_seg *sg = &pp->seg[i];

		switch (sg->kind) {
		case FL_PATHPAT_WILD:
			for (size_t k = 0; k < wild_len; k++)
				m->kinds[pi++] = FL_PATHPAT_WILD;
			continue;
		case FL_PATHPAT_STATIC:
			if (!fl_str_eq(sg->text, path->seg[pi]))
				return false;
			break;
		case FL_PATHPAT_PARAM:
			if (path->seg[pi].len == 0) /* never the root's empty segment */
				return false;
			m->params[m->nparams++] = path->seg[pi];
			break;
		}
		m->kinds[pi++] = (unsigned char)sg->kind;
	}
	return true;
}

bool fl_pathpat_best(struct fl_pathpat_match *m, const struct fl_pathpat *first, size_t n, size_t stride,
		     const struct fl_pathpat_path *path)
{
	struct fl_pathpat_match cur;
	bool found = false;

	for (size_t i = 0; i < n; i++) {
		const struct fl_pathpat *pp = (const struct fl_pathpat *)(const void *)((const char *)first + i * stride);

		if (!fl_pathpat_match(&cur, pp, path))
			continue;
		/* kinds compare left to right: static (0) < parameter (1) < wildcard (2); ties keep the first */
		if (found && memcmp(cur.kinds, m->kinds, path->n) >= 0)
			continue;
		*m = cur;
		m->index = i;
		found = true;
	}
	return found;
}
