/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pathpat.h - path patterns and the one "most specific wins" matcher.
 *
 * Both the REST route table (http/router.c) and the path policy
 * (auth/policy.c) route a request path to a pattern here, so they agree on
 * what matches and on which pattern wins.
 *
 * A pattern is an absolute path of segments, each one of:
 *  - static text, compared byte for byte;
 *  - a parameter, matching exactly one non-empty segment: `{name}` with
 *    FL_PATHPAT_BRACES (the route tables), `:name` otherwise (the policy
 *    file); names are letters, digits, '_' and '-', unique in a pattern;
 *  - with FL_PATHPAT_WILDCARD, the wildcard `*`, matching one or more
 *    segments, at most once per pattern, anywhere in it.
 * The root "/" is one empty segment: the pattern "/" and a wildcard match
 * it, a parameter never does.  Patterns and paths never have empty
 * segments ("//", a trailing '/'); patterns have no "." or ".." segment.
 *
 * Specificity: when several patterns match a path, the most specific wins,
 * comparing segment by segment from the left the kind of pattern segment
 * that consumed each path segment: static before parameter before
 * wildcard.  Between equally specific patterns the first one wins.  Since a
 * pattern has at most one wildcard, it matches a path in at most one way.
 */
#ifndef FL_PATHPAT_H
#define FL_PATHPAT_H

#include "fl-common.h"
#include "str.h"

#define FL_PATHPAT_MAX_SEGMENTS 64
#define FL_PATHPAT_MAX_PARAMS 16

/* Segment kinds, in order of specificity (the lowest wins). */
enum fl_pathpat_kind {
	FL_PATHPAT_STATIC = 0,
	FL_PATHPAT_PARAM = 1,
	FL_PATHPAT_WILD = 2,
};

struct fl_pathpat_seg {
	enum fl_pathpat_kind kind;
	struct fl_str text; /* static text or parameter name, borrowed from the pattern; empty for '*' */
};

struct fl_pathpat {
	size_t nseg;
	size_t nparams;
	int wild; /* index of the '*' segment, -1 if none */
	struct fl_pathpat_seg seg[FL_PATHPAT_MAX_SEGMENTS];
};

enum fl_pathpat_flags {
	FL_PATHPAT_BRACES = (1 << 0),   /* parameters are `{name}` (else `:name`) */
	FL_PATHPAT_WILDCARD = (1 << 1), /* a `*` segment is allowed */
};

/*
 * Compile the NUL-terminated pattern into *pp.  The pattern is borrowed:
 * segment texts point into it.  Returns NULL, or a static message saying
 * what is wrong ("path has an empty segment ...").
 */
const char *fl_pathpat_compile(struct fl_pathpat *pp, const char *pattern, unsigned flags);

/* Same segment kinds and static texts (parameter names aside): patterns that match the same paths. */
bool fl_pathpat_same_shape(const struct fl_pathpat *a, const struct fl_pathpat *b);

/* A request path cut into segments (slices into the path). */
struct fl_pathpat_path {
	size_t n;
	struct fl_str seg[FL_PATHPAT_MAX_SEGMENTS];
};

enum fl_pathpat_split_flags {
	FL_PATHPAT_NO_DOTS = (1 << 0), /* a "." or ".." segment makes the path match nothing */
};

/*
 * Cut path[0..len) into segments.  False when no pattern can match it: it
 * does not start with '/', has an empty segment, more than
 * FL_PATHPAT_MAX_SEGMENTS segments or, with FL_PATHPAT_NO_DOTS, a "." or
 * ".." segment.
 */
bool fl_pathpat_split(struct fl_pathpat_path *out, const char *path, size_t len, unsigned flags);

struct fl_pathpat_match {
	size_t index;                                 /* fl_pathpat_best: the winning pattern */
	size_t nparams;
	struct fl_str params[FL_PATHPAT_MAX_PARAMS];  /* parameter values in pattern order, into the path */
	unsigned char kinds[FL_PATHPAT_MAX_SEGMENTS]; /* kind of the pattern segment that took each path segment */
};

/* Does pp match path?  On a match, m->params and m->kinds are filled in. */
bool fl_pathpat_match(struct fl_pathpat_match *m, const struct fl_pathpat *pp, const struct fl_pathpat_path *path);

/*
 * The most specific of n patterns matching path: the patterns are the
 * struct fl_pathpat at `first` and every `stride` bytes after it (so they
 * may sit inside an array of larger structs).  False when none matches;
 * otherwise m->index is the winner's position and m holds its match.
 */
bool fl_pathpat_best(struct fl_pathpat_match *m, const struct fl_pathpat *first, size_t n, size_t stride,
		     const struct fl_pathpat_path *path);

#endif
