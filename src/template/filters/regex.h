/* SPDX-License-Identifier: Apache-2.0 */
/*
 * regex.h - Go RE2-syntax regular expressions executed by PCRE2.
 *
 * Flow templates are written for Go's regexp package.  fl_regex_compile
 * parses the pattern with RE2's grammar (rejecting what Go rejects:
 * backreferences, lookaround, atomic groups, possessive quantifiers,
 * recursion, conditionals, \Z, \G, \K, callouts, repeat counts above 1000,
 * unknown Unicode classes, ...) and rewrites it into an equivalent PCRE2
 * pattern, so no PCRE2-only construct (such as an inline (*LIMIT_MATCH=...))
 * can ever reach the engine.  Matching is bounded by a match limit and a
 * depth limit: a catastrophic pattern ends with an FL_ELIMIT error.
 *
 * A compiled regex is immutable and may be used from several threads at
 * once; every match allocates its own match data.
 */
#ifndef FL_REGEX_H
#define FL_REGEX_H

#include "buf.h"
#include "error.h"
#include "fl-common.h"

struct fl_regex;

struct fl_regex_limits {
	uint32_t match_limit; /* 0: PCRE2's default */
	uint32_t depth_limit; /* 0: PCRE2's default */
};

/* Offsets of one match: pairs (start, end) for group 0..n; FL_REGEX_UNSET when a group did not take part. */
#define FL_REGEX_UNSET SIZE_MAX

/*
 * Compile a Go-syntax pattern of len bytes.  max_len (0 = no cap) bounds the
 * pattern length (FL_ELIMIT).  A pattern Go would reject is FL_EINVALID with
 * a message in Go's style: "error parsing regexp: missing closing ): `(a`".
 * *out is owned by the caller (fl_regex_free).
 */
int fl_regex_compile(struct fl_regex **out, const char *pat, size_t len, size_t max_len, struct fl_error *err);
void fl_regex_free(struct fl_regex *re);

/* Number of capture groups (not counting group 0). */
unsigned fl_regex_groups(const struct fl_regex *re);

/*
 * Size of the expression in Go program instructions (repeats expanded).  A
 * search costs up to about size x subject length simple steps even without
 * backtracking, which the match limit does not see; callers charge it to
 * their own budget.  Patterns above Go's limit (about 3.3 million) are
 * rejected at compile time ("expression too large").
 */
uint64_t fl_regex_cost(const struct fl_regex *re);

/*
 * Search s[start..len) (context before start is visible to ^, \b).  On a
 * match returns 1 and fills ovec with up to `pairs` (start, end) pairs;
 * returns 0 when there is no match, or FL_ELIMIT / FL_ERROR with err set.
 * lim may be NULL.
 */
int fl_regex_search(const struct fl_regex *re, const char *s, size_t len, size_t start, const struct fl_regex_limits *lim,
		    size_t *ovec, unsigned pairs, struct fl_error *err);

/* 1 when the pattern matches anywhere in s, 0 when not, negative on error. */
int fl_regex_match(const struct fl_regex *re, const char *s, size_t len, const struct fl_regex_limits *lim,
		   struct fl_error *err);

/*
 * Called for every match of fl_regex_replace_all with the match's offsets
 * (ovec has 1 + groups pairs); appends the replacement to out.
 */
typedef void (*fl_regex_replace_fn)(struct fl_buf *out, const char *s, const size_t *ovec, unsigned pairs,
				    void *payload);

/*
 * Go's ReplaceAllStringFunc: append s to out with every non-overlapping match
 * replaced by what fn appends (an empty match right after a previous match
 * is not replaced).  Returns FL_OK or a negative code with err set.
 */
int fl_regex_replace_all(struct fl_buf *out, const struct fl_regex *re, const char *s, size_t len,
			 const struct fl_regex_limits *lim, fl_regex_replace_fn fn, void *payload, struct fl_error *err);

#endif
