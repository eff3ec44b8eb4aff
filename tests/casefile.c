/* SPDX-License-Identifier: Apache-2.0 */
/*
 * casefile.c - reading golden case files and running them as TAP (see
 * casefile.h for the format).
 */
#include "fl-common.h"

#include <dirent.h>
#include <sys/stat.h>

#include "alloc.h"
#include "casefile.h"
#include "fsutil.h"

static struct flc_case *new_case(struct flc_cases *cs, const char *rel, const char *name, size_t namelen)
{
	struct flc_case *c;
	size_t rl = strlen(rel);

	if (cs->n == cs->cap) {
		cs->cap = cs->cap ? cs->cap * 2 : 256;
		cs->v = fl_xrealloc(cs->v, cs->cap * sizeof(*cs->v));
	}
	c = &cs->v[cs->n++];
	memset(c, 0, sizeof(*c));
	c->name = fl_xmalloc(rl + namelen + 2);
	memcpy(c->name, rel, rl);
	c->name[rl] = ':';
	memcpy(c->name + rl + 1, name, namelen);
	c->name[rl + 1 + namelen] = '\0';
	return c;
}

/* Open section `name` of c; NULL (and c->problem set) when it is not allowed. */
static struct flc_text *add_section(const struct flc_cases *cs, struct flc_case *c, const char *name, size_t n)
{
	const struct flc_section_spec *spec = NULL;

	for (size_t i = 0; i < cs->nspecs && !spec; i++)
		if (strlen(cs->specs[i].name) == n && memcmp(cs->specs[i].name, name, n) == 0)
			spec = &cs->specs[i];
	if (!spec) {
		c->problem = "unknown section";
		return NULL;
	}
	if (!spec->repeat && flc_section(c, spec->name, 0)) {
		c->problem = "duplicate section";
		return NULL;
	}
	if (c->nsec == c->capsec) {
		c->capsec = c->capsec ? c->capsec * 2 : 8;
		c->sec = fl_xrealloc(c->sec, c->capsec * sizeof(*c->sec));
	}
	c->sec[c->nsec].name = spec->name;
	c->sec[c->nsec].text.p = NULL;
	c->sec[c->nsec].text.n = 0;
	return &c->sec[c->nsec++].text;
}

/* Split one file into cases; rel is "<dir>/<file>" without ".case". */
static void parse_file(struct flc_cases *cs, const char *rel, const char *data, size_t len)
{
	struct flc_case *c = NULL;
	struct flc_text *open = NULL; /* section being collected */
	bool in_header = false;       /* after "=== case", before the first section */
	size_t pos = 0;

	while (pos < len) {
		const char *line = data + pos;
		const char *nl = memchr(line, '\n', len - pos);
		size_t ll = nl ? (size_t)(nl - line) : len - pos;
		size_t next = pos + ll + (nl ? 1 : 0);

		if (ll >= 4 && memcmp(line, "=== ", 4) == 0) {
			const char *word = line + 4;
			size_t wl = ll - 4;
			if (open && open->n > 0 && open->p[open->n - 1] == '\n')
				open->n--; /* the newline that precedes the "=== " line */
			open = NULL;
			if (wl > 5 && memcmp(word, "case ", 5) == 0) {
				c = new_case(cs, rel, word + 5, wl - 5);
				in_header = true;
			} else if (c) {
				in_header = false;
				open = add_section(cs, c, word, wl);
				if (open)
					open->p = data + next;
			}
		} else if (open) {
			open->n = next - (size_t)(open->p - data);
		} else if (c && in_header && ll > 0 && line[0] != '#') {
			c->problem = "text after '=== case' that is not a '#' comment";
		}
		pos = next;
	}
	if (open && open->n > 0 && open->p[open->n - 1] == '\n')
		open->n--;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void walk(struct flc_cases *cs, const char *root, const char *rel)
{
	char path[4096];
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *e;
	DIR *d;

	snprintf(path, sizeof(path), "%s%s%s", root, *rel ? "/" : "", rel);
	d = opendir(path);
	if (!d)
		return;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 32;
			names = fl_xrealloc(names, cap * sizeof(*names));
		}
		names[n++] = fl_xstrdup(e->d_name);
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof(*names), cmp_str);
	for (size_t i = 0; i < n; i++) {
		char sub[4096], full[8192];
		struct stat st;
		snprintf(sub, sizeof(sub), "%s%s%s", rel, *rel ? "/" : "", names[i]);
		snprintf(full, sizeof(full), "%s/%s", root, sub);
		if (stat(full, &st) == 0 && S_ISDIR(st.st_mode)) {
			walk(cs, root, sub);
		} else {
			size_t sl = strlen(sub), len;
			if (sl > 5 && strcmp(sub + sl - 5, ".case") == 0) {
				char *data = flt_read_file(full, 0, &len);
				if (data) {
					if (cs->nfiles == cs->capfiles) {
						cs->capfiles = cs->capfiles ? cs->capfiles * 2 : 64;
						cs->files = fl_xrealloc(cs->files, cs->capfiles * sizeof(*cs->files));
					}
					cs->files[cs->nfiles++] = data;
					sub[sl - 5] = '\0';
					parse_file(cs, sub, data, len);
				}
			}
		}
		free(names[i]);
	}
	free(names);
}

void flc_cases_load(struct flc_cases *cs, const char *root, const struct flc_section_spec *specs, size_t nspecs)
{
	memset(cs, 0, sizeof(*cs));
	cs->specs = specs;
	cs->nspecs = nspecs;
	walk(cs, root, "");
}

void flc_cases_release(struct flc_cases *cs)
{
	for (size_t i = 0; i < cs->n; i++) {
		free(cs->v[i].name);
		free(cs->v[i].sec);
	}
	for (size_t i = 0; i < cs->nfiles; i++)
		free(cs->files[i]);
	free(cs->files);
	free(cs->v);
	memset(cs, 0, sizeof(*cs));
}

const struct flc_text *flc_section(const struct flc_case *c, const char *name, size_t idx)
{
	for (size_t i = 0; i < c->nsec; i++)
		if (strcmp(c->sec[i].name, name) == 0 && idx-- == 0)
			return &c->sec[i].text;
	return NULL;
}

int flc_cases_run(const struct flc_cases *cs, const char *root, const char *filter,
		  bool (*run)(const struct flc_case *c, void *payload), void *payload)
{
	int failed = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (cs->n == 0) {
		printf("1..1\nnot ok 1 - no cases found under %s\n", root);
		return 1;
	}
	printf("1..%zu\n", cs->n);
	for (size_t i = 0; i < cs->n; i++) {
		const struct flc_case *c = &cs->v[i];
		bool ok;

		if (filter && !strstr(c->name, filter)) {
			printf("ok %zu - %s # SKIP filtered out\n", i + 1, c->name);
			continue;
		}
		if (c->problem) {
			printf("# malformed case: %s\n", c->problem);
			ok = false;
		} else {
			ok = run(c, payload);
		}
		printf("%sok %zu - %s\n", ok ? "" : "not ", i + 1, c->name);
		failed += !ok;
	}
	return failed ? 1 : 0;
}

bool flc_wildcard(const char *pat, size_t plen, const char *s, size_t slen)
{
	size_t p = 0, i = 0, star = SIZE_MAX, mark = 0;

	while (i < slen) {
		if (p < plen && pat[p] == '*') {
			star = p++;
			mark = i;
		} else if (p < plen && pat[p] == s[i]) {
			p++;
			i++;
		} else if (star != SIZE_MAX) {
			p = star + 1; /* let the last star swallow one more character */
			i = ++mark;
		} else {
			return false;
		}
	}
	while (p < plen && pat[p] == '*')
		p++;
	return p == plen;
}

void flc_print_text(const char *label, const char *p, size_t n)
{
	size_t i = 0;

	printf("#   %s (%zu bytes, each line between bars):\n", label, n);
	for (;;) {
		const char *nl = memchr(p + i, '\n', n - i);
		size_t e = nl ? (size_t)(nl - p) : n;
		printf("#     |%.*s|\n", (int)(e - i), p + i);
		if (!nl)
			break;
		i = e + 1;
	}
}
