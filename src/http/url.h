/* SPDX-License-Identifier: Apache-2.0 */
/*
 * url.h - percent-decoding, percent-encoding and query strings.
 *
 * Everything here works on byte slices and never trusts its input: decoding
 * rejects malformed escapes and NUL bytes, query parsing is bounded in the
 * number of parameters.
 */
#ifndef FL_URL_H
#define FL_URL_H

#include "buf.h"
#include "error.h"
#include "fl-common.h"

enum fl_url_decode_flags {
	FL_URL_PLUS_IS_SPACE = 1 << 0, /* form encoding: '+' decodes to ' ' */
};

/*
 * Append the percent-decoded form of s[0..len) to out.  Returns FL_OK, or
 * FL_EINVALID for a malformed escape ("%4", "%zz") or a decoded NUL byte.
 * out is NUL-terminated as always; on error its content is unspecified.
 */
int fl_url_decode(struct fl_buf *out, const char *s, size_t len, unsigned flags);

/*
 * Append s[0..len) escaped for use as one path segment: every byte outside
 * the RFC 3986 unreserved set and the sub-delims "!$&'()*+,;=:@" is written
 * as %XX.  The segments "." and ".." are escaped entirely so that a URL
 * normaliser cannot remove them.
 */
void fl_url_escape_segment(struct fl_buf *out, const char *s, size_t len);

/* Append s escaped as a query value (everything but unreserved as %XX). */
void fl_url_escape_query(struct fl_buf *out, const char *s, size_t len);

struct fl_query_param {
	char *name;  /* decoded, owned */
	char *value; /* decoded, owned ("" when the parameter has no '=') */
};

struct fl_query {
	struct fl_query_param *v;
	size_t n;
	bool truncated; /* parameters beyond FL_QUERY_MAX_PARAMS were ignored */
	size_t cap;     /* allocated entries of v */
};

#define FL_QUERY_INIT { NULL, 0, false, 0 }
#define FL_QUERY_MAX_PARAMS 64

/*
 * Parse "a=1&b=2" (no leading '?') into q, appending to what q holds.  '+'
 * means space.  Like Go's url.ParseQuery, pairs with malformed escapes are
 * skipped; parameters beyond FL_QUERY_MAX_PARAMS are ignored and set
 * q->truncated.
 */
void fl_url_query_parse(struct fl_query *q, const char *s, size_t len);
/* First value of name, or NULL.  Borrowed from q. */
const char *fl_url_query_get(const struct fl_query *q, const char *name);
void fl_url_query_release(struct fl_query *q);

#endif
