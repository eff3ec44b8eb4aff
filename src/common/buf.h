/* SPDX-License-Identifier: Apache-2.0 */
/*
 * buf.h - the one owned, growable byte buffer.
 *
 * Invariants (after fl_buf_init or FL_BUF_INIT):
 *  - ptr is never NULL and ptr[len] == '\0';
 *  - len never exceeds max (the cap given at init; 0 means FL_BUF_DEFAULT_MAX);
 *  - an append that would exceed max, or that fails to allocate, sets the
 *    sticky `failed` flag (FL_ETOOBIG or FL_ENOMEM in `error`) and leaves the
 *    content unchanged; later appends are ignored.  Check once at the end.
 *
 * The buffer uses plain realloc and never aborts, so the client library can
 * use it too.  Memory is released with fl_buf_release or taken over with
 * fl_buf_detach.
 */
#ifndef FL_BUF_H
#define FL_BUF_H

#include "fl-common.h"

#define FL_BUF_DEFAULT_MAX ((size_t)64 << 20)

struct fl_buf {
	char *ptr;
	size_t len;
	size_t cap; /* allocated bytes, 0 while ptr points at the shared empty string */
	size_t max;
	bool failed;
	int error; /* FL_ETOOBIG or FL_ENOMEM once failed */
};

extern char fl_buf__empty[1];

#define FL_BUF_INIT(maxlen) { fl_buf__empty, 0, 0, (maxlen), false, 0 }

void fl_buf_init(struct fl_buf *b, size_t max);
/* Free the contents; the struct is left initialised and empty (same max). */
void fl_buf_release(struct fl_buf *b);
/* Forget the contents but keep the allocation and clear the error. */
void fl_buf_reset(struct fl_buf *b);
/* Make room for n more bytes; false (and sticky error) when impossible. */
bool fl_buf_grow(struct fl_buf *b, size_t n);

void fl_buf_add(struct fl_buf *b, const void *data, size_t n);
void fl_buf_adds(struct fl_buf *b, const char *s);
void fl_buf_addc(struct fl_buf *b, char c);
void fl_buf_addf(struct fl_buf *b, const char *fmt, ...) FL_PRINTF(2, 3);
void fl_buf_vaddf(struct fl_buf *b, const char *fmt, va_list ap) FL_PRINTF(2, 0);
/*
 * Append s[0..n) as a JSON string literal, quotes included: the one JSON
 * string escaper of the server and libflyte.
 *  - '"' and '\\' and the controls \b \f \n \r \t get their short escapes;
 *  - every other C0 control, DEL, the C1 controls U+0080..U+009F, U+2028,
 *    U+2029, U+FFFE and U+FFFF are written as \uXXXX (lower-case hex), so
 *    that the text is also valid YAML and safe inside JavaScript;
 *  - '/' and all other characters are written raw;
 *  - each byte that does not begin a well-formed UTF-8 sequence (utf8.h)
 *    is replaced by U+FFFD, so the result is always valid JSON.
 */
void fl_buf_add_json_str(struct fl_buf *b, const char *s, size_t n);
/*
 * Append s[0..n) percent-encoded: every byte outside the RFC 3986
 * unreserved set (A-Z a-z 0-9 - . _ ~) as %XX with upper-case digits.
 * Safe as a path segment and as a query key or value.
 */
void fl_buf_add_url_escaped(struct fl_buf *b, const char *s, size_t n);
/* Append the UTF-8 encoding of cp (U+FFFD for surrogates and values above U+10FFFF). */
void fl_buf_add_utf8(struct fl_buf *b, uint32_t cp);
/* Shorten to len bytes (len <= b->len). */
void fl_buf_truncate(struct fl_buf *b, size_t len);

/*
 * Take ownership of the contents: returns a malloc'd NUL-terminated string
 * (caller frees with free()) and leaves the buffer empty.  Returns NULL if
 * the buffer has failed or on allocation failure.  *len_out may be NULL.
 */
char *fl_buf_detach(struct fl_buf *b, size_t *len_out);

static inline bool fl_buf_failed(const struct fl_buf *b)
{
	return b->failed;
}

#endif
