/* SPDX-License-Identifier: Apache-2.0 */
/*
 * casefile.h - the golden case files shared by the data-driven runners
 * (tests/template/golden.c, tests/engine/golden.c).
 *
 * A directory holds `*.case` files, walked recursively in sorted order.  A
 * file holds one or more cases: a line `=== case NAME` starts one, each
 * following `=== SECTION` line starts a section whose text is every byte up
 * to the next `=== ` line minus the newline that precedes it.  Lines between
 * `=== case` and the first section must be `#` comments (or empty).  Each
 * case is named `<dir>/<file>:<NAME>` (the path below the root, without
 * `.case`).  Every runner prints TAP, one line per case, and takes an
 * optional filter argument (a substring of the case names).
 */
#ifndef FLC_CASEFILE_H
#define FLC_CASEFILE_H

#include "fl-common.h"

struct flc_text {
	const char *p; /* into the file's bytes, which live as long as the flc_cases */
	size_t n;
};

/* The sections a runner accepts; a name not listed makes the case malformed. */
struct flc_section_spec {
	const char *name;
	bool repeat; /* may appear more than once (in order) */
};

struct flc_section {
	const char *name; /* the spec's name */
	struct flc_text text;
};

struct flc_case {
	char *name;
	struct flc_section *sec;
	size_t nsec, capsec;
	const char *problem; /* malformed case: why, else NULL */
};

struct flc_cases {
	struct flc_case *v;
	size_t n, cap;
	char **files;
	size_t nfiles, capfiles;
	const struct flc_section_spec *specs;
	size_t nspecs;
};

/* Read every case under root (specs borrowed for the life of cs). */
void flc_cases_load(struct flc_cases *cs, const char *root, const struct flc_section_spec *specs, size_t nspecs);
void flc_cases_release(struct flc_cases *cs);

/* The idx-th section called name (0 = first), or NULL. */
const struct flc_text *flc_section(const struct flc_case *c, const char *name, size_t idx);

/*
 * Run every case whose name contains filter (NULL = all; the others are
 * reported as skipped) and print TAP; returns the process exit code.  run
 * prints its own "# ..." diagnostics and returns true when the case passed.
 */
int flc_cases_run(const struct flc_cases *cs, const char *root, const char *filter,
		  bool (*run)(const struct flc_case *c, void *payload), void *payload);

/*
 * Match text against a pattern in which `*` stands for any run of
 * characters (and nothing else is special).
 */
bool flc_wildcard(const char *pat, size_t plen, const char *s, size_t slen);

/* Print text as "#   label (n bytes, each line between bars):" and the lines. */
void flc_print_text(const char *label, const char *p, size_t n);

#endif
