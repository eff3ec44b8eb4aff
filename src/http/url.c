// SPDX-License-Identifier: Apache-2.0
/*
 * url.c - percent-decoding, percent-encoding and query-string parsing for
 * the HTTP layer.  Path parameters, query parameters and the ids written
 * into link hrefs all pass through here.
 */
#include "fl-common.h"

#include "alloc.h"
#include "hex.h"
#include "http/url.h"

int fl_url_decode(struct fl_buf *out, const char *s, size_t len, unsigned flags)
{
	size_t i = 0;

	while (i < len) {
		size_t run = i;
		char c;

		while (run < len && s[run] != '%' && s[run] != '\0' &&
		       !((flags & FL_URL_PLUS_IS_SPACE) && s[run] == '+'))
			run++;
		if (run > i)
			fl_buf_add(out, s + i, run - i);
		i = run;
		if (i >= len)
			break;
		if (s[i] == '\0')
			return FL_EINVALID;
		if (s[i] == '+') {
			fl_buf_addc(out, ' ');
			i++;
			continue;
		}
		if (len - i < 3 || fl_hex_val((unsigned char)s[i + 1]) < 0 || fl_hex_val((unsigned char)s[i + 2]) < 0)
			return FL_EINVALID;
		c = (char)(fl_hex_val((unsigned char)s[i + 1]) * 16 + fl_hex_val((unsigned char)s[i + 2]));
		if (c == '\0')
			return FL_EINVALID;
		fl_buf_addc(out, c);
		i += 3;
	}
	return fl_buf_failed(out) ? out->error : FL_OK;
}

static bool is_unreserved(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
	       c == '_' || c == '~';
}

static bool is_segment_safe(unsigned char c)
{
	return is_unreserved(c) || (c && strchr("!$&'()*+,;=:@", c));
}

static void add_escaped(struct fl_buf *out, unsigned char c)
{
	char e[3] = { '%' };

	fl_hex_byte(e + 1, c, true);
	fl_buf_add(out, e, 3);
}

void fl_url_escape_segment(struct fl_buf *out, const char *s, size_t len)
{
	bool dots = (len == 1 && s[0] == '.') || (len == 2 && s[0] == '.' && s[1] == '.');

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!dots && is_segment_safe(c))
			fl_buf_addc(out, (char)c);
		else
			add_escaped(out, c);
	}
}

void fl_url_escape_query(struct fl_buf *out, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (is_unreserved(c))
			fl_buf_addc(out, (char)c);
		else
			add_escaped(out, c);
	}
}

static char *decode_dup(const char *s, size_t len)
{
	struct fl_buf b = FL_BUF_INIT(len + 1);
	char *r = NULL;

	if (fl_url_decode(&b, s, len, FL_URL_PLUS_IS_SPACE) == FL_OK)
		r = fl_xmemdup0(b.ptr, b.len);
	fl_buf_release(&b);
	return r;
}

void fl_url_query_parse(struct fl_query *q, const char *s, size_t len)
{
	size_t i = 0;

	while (i < len && q->n < FL_QUERY_MAX_PARAMS) {
		const char *pair = s + i, *amp = memchr(pair, '&', len - i), *eq;
		size_t plen = amp ? (size_t)(amp - pair) : len - i;
		char *name, *value;

		i += plen + 1;
		if (plen == 0)
			continue;
		eq = memchr(pair, '=', plen);
		name = decode_dup(pair, eq ? (size_t)(eq - pair) : plen);
		value = eq ? decode_dup(eq + 1, plen - (size_t)(eq + 1 - pair)) : fl_xstrdup("");
		if (!name || !value) {
			free(name);
			free(value);
			continue;
		}
		FL_GROW(q->v, q->cap, q->n + 1);
		q->v[q->n].name = name;
		q->v[q->n].value = value;
		q->n++;
	}
	for (; i < len && !q->truncated; i++)
		q->truncated = s[i] != '&';
}

const char *fl_url_query_get(const struct fl_query *q, const char *name)
{
	for (size_t i = 0; i < q->n; i++)
		if (strcmp(q->v[i].name, name) == 0)
			return q->v[i].value;
	return NULL;
}

void fl_url_query_release(struct fl_query *q)
{
	if (!q)
		return;
	for (size_t i = 0; i < q->n; i++) {
		free(q->v[i].name);
		free(q->v[i].value);
	}
	free(q->v);
	q->v = NULL;
	q->n = 0;
	q->cap = 0;
	q->truncated = false;
}
