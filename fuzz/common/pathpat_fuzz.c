/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pathpat_fuzz.c - libFuzzer target: path patterns and the matcher.
 *
 * Input: a flags byte, then lines; the first line is a request path, each
 * further line a pattern (at most eight).  Checks that compiling either
 * succeeds or says why, that splitting a path loses nothing, that a match
 * binds one value per parameter from inside the path, and that
 * fl_pathpat_best picks a match no other pattern beats (the first of the
 * equally specific ones).
 */
#include "fl-common.h"

#include "pathpat.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_PATTERNS 8

static void check_split(const struct fl_pathpat_path *p, const char *path, size_t len)
{
	size_t off = 0;

	if (p->n == 0)
		abort();
	for (size_t i = 0; i < p->n; i++) {
		if (off >= len || path[off] != '/' || p->seg[i].ptr != path + off + 1)
			abort();
		off += 1 + p->seg[i].len;
		if (p->seg[i].len == 0 && len != 1)
			abort();
	}
	if (off != len)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fl_pathpat pats[MAX_PATTERNS];
	static char text[4096];
	struct fl_pathpat_path path;
	struct fl_pathpat_match m, best;
	bool matched[MAX_PATTERNS];
	size_t n = 0, len;
	const char *line, *path_text;
	unsigned flags;
	char *nl;

	if (size < 1 || size >= sizeof(text))
		return 0;
	flags = data[0] & (FL_PATHPAT_BRACES | FL_PATHPAT_WILDCARD);
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	path_text = text;
	nl = strchr(text, '\n');
	if (!nl)
		return 0;
	*nl = '\0';
	line = nl + 1;
	while (*line && n < MAX_PATTERNS) {
		const char *why;
		nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		why = fl_pathpat_compile(&pats[n], line, flags);
		if (why) {
			if (!*why)
				abort();
		} else {
			if (pats[n].nseg == 0 || pats[n].nparams > FL_PATHPAT_MAX_PARAMS ||
			    (pats[n].wild >= 0 && !(flags & FL_PATHPAT_WILDCARD)))
				abort();
			if (!fl_pathpat_same_shape(&pats[n], &pats[n]))
				abort();
			n++;
		}
		if (!nl)
			break;
		line = nl + 1;
	}
	len = strlen(path_text);
	if (!fl_pathpat_split(&path, path_text, len, data[0] & 0x80 ? FL_PATHPAT_NO_DOTS : 0))
		return 0;
	check_split(&path, path_text, len);
	for (size_t i = 0; i < n; i++) {
		matched[i] = fl_pathpat_match(&m, &pats[i], &path);
		if (!matched[i])
			continue;
		if (m.nparams != pats[i].nparams)
			abort();
		for (size_t k = 0; k < m.nparams; k++)
			if (m.params[k].len == 0 || m.params[k].ptr < path_text ||
			    m.params[k].ptr + m.params[k].len > path_text + len)
				abort();
		for (size_t k = 0; k < path.n; k++)
			if (m.kinds[k] > FL_PATHPAT_WILD)
				abort();
	}
	if (!fl_pathpat_best(&best, pats, n, sizeof(pats[0]), &path)) {
		for (size_t i = 0; i < n; i++)
			if (matched[i])
				abort();
		return 0;
	}
	if (best.index >= n || !matched[best.index])
		abort();
	for (size_t i = 0; i < n; i++) {
		int c;
		if (!matched[i] || !fl_pathpat_match(&m, &pats[i], &path))
			continue;
		c = memcmp(m.kinds, best.kinds, path.n);
		if (c < 0 || (c == 0 && i < best.index))
			abort();
	}
	return 0;
}
