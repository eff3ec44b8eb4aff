/* SPDX-License-Identifier: Apache-2.0 */
/*
 * filters.c - name lookup over the filter and function tables.
 *
 * The evaluator resolves a filter name once, when a template is compiled,
 * and a function name when a call is evaluated.  Both are a scan of small
 * static tables (about sixty rows in all), so no index is built: the Flyte
 * filters are searched first, then the pongo2 built-ins.
 */
#include "fl-common.h"

#include "builtin.h"

static bool name_is(const char *name, const char *s, size_t len)
{
	return strncmp(name, s, len) == 0 && name[len] == '\0';
}

static const struct fl_tmpl_filter *find_in(const struct fl_tmpl_filter *table, const char *name, size_t len)
{
	for (const struct fl_tmpl_filter *f = table; f->name; f++) {
		if (name_is(f->name, name, len))
			return f;
	}
	return NULL;
}

const struct fl_tmpl_filter *fl_tmpl_filter_find(const char *name, size_t len)
{
	const struct fl_tmpl_filter *f;

	if (!name || memchr(name, '\0', len))
		return NULL;
	f = find_in(fl_tmpl_filters_flyte, name, len);
	return f ? f : find_in(fl_tmpl_filters_builtin, name, len);
}

const struct fl_tmpl_function *fl_tmpl_function_find(const char *name, size_t len)
{
	if (!name || memchr(name, '\0', len))
		return NULL;
	for (const struct fl_tmpl_function *f = fl_tmpl_functions; f->name; f++) {
		if (name_is(f->name, name, len))
			return f;
	}
	return NULL;
}
