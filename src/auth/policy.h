/* SPDX-License-Identifier: Apache-2.0 */
/*
 * policy.h - the path policy file: which paths and methods need which claims.
 *
 * The file is a YAML list of entries (flyte-api.md §e.3):
 *
 *   - path: /v1/packs/:pack       required; route pattern
 *     methods: [POST, DELETE]     optional; uppercase; default: every method
 *                                 except HEAD, OPTIONS and TRACE
 *     claims:                     optional; claim name -> accepted values
 *       pack: [":pack"]           ":name" = the value of that path parameter
 *
 * Patterns: static segments, `:name` (exactly one segment) and `*` (one or
 * more segments; at most one per pattern, anywhere in it).  When several
 * patterns match a path the most specific wins, segment by segment from the
 * left: static > parameter > wildcard (common/pathpat.h, the matcher of the
 * REST routes too).  A later entry for the same pattern and method replaces
 * an earlier one.  Any error in the file fails the load
 * with "policy '<file>' line N: ..." in the error.
 *
 * A loaded policy is immutable; matching is thread-safe.
 */
#ifndef FL_POLICY_H
#define FL_POLICY_H

#include <jansson.h>

#include "error.h"
#include "fl-common.h"
#include "pathpat.h"
#include "str.h"

#define FL_POLICY_MAX_FILE (1024 * 1024)
#define FL_POLICY_MAX_SEGMENTS FL_PATHPAT_MAX_SEGMENTS
#define FL_POLICY_MAX_PARAMS FL_PATHPAT_MAX_PARAMS

struct fl_policy;
struct fl_policy_rule;

enum fl_policy_outcome {
	FL_POLICY_NO_MATCH = 0, /* no pattern matches the path (or the path is unsafe) */
	FL_POLICY_BAD_METHOD,   /* the best pattern has no rule for this method */
	FL_POLICY_MATCH,
};

struct fl_policy_match {
	enum fl_policy_outcome outcome;
	const struct fl_policy_rule *rule;             /* FL_POLICY_MATCH */
	size_t nparams;
	struct fl_str params[FL_POLICY_MAX_PARAMS];    /* parameter values, into the path */
	char allow[96];                                /* FL_POLICY_BAD_METHOD: "GET, POST" */
	const char *pattern;                           /* the pattern that matched (borrowed) */
};

/* Parse policy text; name is used in error messages (usually the file path). */
int fl_policy_parse(struct fl_policy **out, const char *text, size_t len, const char *name, struct fl_error *err);
/* Read and parse a policy file (at most FL_POLICY_MAX_FILE bytes). */
int fl_policy_load_file(struct fl_policy **out, const char *path, struct fl_error *err);
void fl_policy_free(struct fl_policy *policy);

/* Number of distinct patterns (for logs and tests). */
size_t fl_policy_route_count(const struct fl_policy *policy);

/*
 * Route a request.  path is the decoded request path without query string;
 * paths with empty segments ("//", trailing "/"), "." or ".." segments, or
 * not starting with '/' never match.  m->params point into path.
 */
void fl_policy_match(const struct fl_policy *policy, const char *method, const char *path,
		     struct fl_policy_match *m);

/* Does the matched rule require claims?  (An empty claims map does not.) */
bool fl_policy_rule_has_claims(const struct fl_policy_rule *rule);
/* Source line of the entry the rule came from. */
int fl_policy_rule_line(const struct fl_policy_rule *rule);

/*
 * Do the token's claims satisfy the matched rule?  True if any claim name
 * has any accepted value equal to the token's claim (string; boolean as
 * "true"/"false"; integral number as decimal; array of strings: any
 * element).  ":name" names and values are replaced by path parameters.
 */
bool fl_policy_claims_satisfied(const struct fl_policy_match *m, const json_t *claims);

#endif
