/* SPDX-License-Identifier: Apache-2.0 */
/*
 * body.h - request body decoding with limits.
 *
 * Bodies are JSON, or YAML when the request's Content-Type is exactly
 * "application/x-yaml" (as the original server).  Before jansson sees a
 * JSON body, a linear scan checks nesting depth and the number of values,
 * so a hostile body costs at most one pass; YAML is converted with the same
 * limits plus a bound on alias expansions.  Every failure is FL_EINVALID
 * with a message for the 400 answer.
 */
#ifndef FL_BODY_H
#define FL_BODY_H

#include <jansson.h>

#include "error.h"
#include "fl-common.h"

struct fl_body_limits {
	size_t max_depth;    /* nesting of arrays/objects (FLYTE_MAX_JSON_DEPTH) */
	size_t max_elements; /* values in the document (FLYTE_MAX_JSON_ELEMENTS) */
	size_t max_aliases;  /* YAML alias expansions (FLYTE_MAX_YAML_ALIASES) */
};

#define FL_BODY_LIMITS_DEFAULT { 64, 100000, 1000 }

/* True if the media type selects YAML: exactly "application/x-yaml". */
bool fl_body_is_yaml(const char *content_type);

/*
 * Check JSON text against the limits without building it.  Counts every
 * '[', '{' and ',' outside strings plus one as the number of values (an
 * upper bound).  FL_EINVALID when a limit is exceeded; syntax errors are
 * left to the parser.
 */
int fl_body_json_scan(const char *p, size_t n, const struct fl_body_limits *lim, struct fl_error *err);

/*
 * Decode a request body into *out (caller owns).  content_type may be NULL.
 * Any JSON value is accepted at the top level; an empty body (only
 * whitespace) is FL_EINVALID "request body is empty".
 */
int fl_body_decode(const char *content_type, const char *p, size_t n, const struct fl_body_limits *lim,
		   json_t **out, struct fl_error *err);

/*
 * Parse a Content-Length value: decimal digits only, no sign, no overflow.
 * Returns FL_OK or FL_EINVALID.
 */
int fl_body_content_length(const char *value, uint64_t *out);

#endif
