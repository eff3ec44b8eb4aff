/* SPDX-License-Identifier: Apache-2.0 */
/*
 * buf.c - the owned byte buffer with a size cap and a sticky error.
 */
#include "fl-common.h"

#include "buf.h"
#include "error.h"
#include "hex.h"
#include "utf8.h"

char fl_buf__empty[1];

void fl_buf_init(struct fl_buf *b, size_t max)
{
	b->ptr = fl_buf__empty;
	b->len = 0;
	b->cap = 0;
	b->max = max;
	b->failed = false;
	b->error = 0;
}

static size_t buf_max(const struct fl_buf *b)
{
	return b->max ? b->max : FL_BUF_DEFAULT_MAX;
}

void fl_buf_release(struct fl_buf *b)
{
	if (!b)
		return;
	if (b->cap)
		free(b->ptr);
	fl_buf_init(b, b->max);
}

void fl_buf_reset(struct fl_buf *b)
{
	b->len = 0;
	if (b->cap) /* never write to the shared empty string */
		b->ptr[0] = '\0';
	b->failed = false;
	b->error = 0;
}

static void fail(struct fl_buf *b, int code)
{
	b->failed = true;
	b->error = code;
}

bool fl_buf_grow(struct fl_buf *b, size_t n)
{
	size_t need, cap;
	char *p;

	if (b->failed)
		return false;
	if (n > buf_max(b) || b->len > buf_max(b) - n) {
		fail(b, FL_ETOOBIG);
		return false;
	}
	need = b->len + n + 1;
	if (need <= b->cap)
		return true;
	cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	p = realloc(b->cap ? b->ptr : NULL, cap);
	if (!p) {
		fail(b, FL_ENOMEM);
		return false;
	}
	if (!b->cap)
		p[0] = '\0';
	b->ptr = p;
	b->cap = cap;
	return true;
}

void fl_buf_add(struct fl_buf *b, const void *data, size_t n)
{
	if (!n || !fl_buf_grow(b, n))
		return;
	memcpy(b->ptr + b->len, data, n);
	b->len += n;
	b->ptr[b->len] = '\0';
}

void fl_buf_adds(struct fl_buf *b, const char *s)
{
	fl_buf_add(b, s, strlen(s));
}

void fl_buf_addc(struct fl_buf *b, char c)
{
	fl_buf_add(b, &c, 1);
}

void fl_buf_vaddf(struct fl_buf *b, const char *fmt, va_list ap)
{
	char small[256];
	va_list cp;
	int n;

	if (b->failed)
		return;
	va_copy(cp, ap);
	n = vsnprintf(small, sizeof(small), fmt, cp);
	va_end(cp);
	if (n < 0)
		return;
	if ((size_t)n < sizeof(small)) {
		fl_buf_add(b, small, (size_t)n);
		return;
	}
	if (!fl_buf_grow(b, (size_t)n))
		return;
	vsnprintf(b->ptr + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
}

void fl_buf_addf(struct fl_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fl_buf_vaddf(b, fmt, ap);
	va_end(ap);
}

void fl_buf_add_utf8(struct fl_buf *b, uint32_t cp)
{
	char u[FL_UTF8_MAX];

	fl_buf_add(b, u, fl_utf8_encode(u, cp));
}

void fl_buf_add_url_escaped(struct fl_buf *b, const char *s, size_t n)
{
	size_t run = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char e[3] = { '%' };

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    c == '_' || c == '~')
			continue;
		fl_buf_add(b, s + run, i - run);
		fl_hex_byte(e + 1, c, true);
		fl_buf_add(b, e, 3);
		run = i + 1;
	}
	fl_buf_add(b, s + run, n - run);
}

/* Code points written as escapes rather than raw (see buf.h). */
static bool json_escaped(uint32_t cp)
{
	return cp < 0x20 || cp == '"' || cp == '\\' || (cp >= 0x7f && cp <= 0x9f) || cp == 0x2028 || cp == 0x2029 ||
	       cp == 0xfffe || cp == 0xffff;
}

static void add_json_escape(struct fl_buf *b, uint32_t cp)
{
	char u[6] = { '\\', 'u' };

	switch (cp) {
	case '"': fl_buf_add(b, "\\\"", 2); return;
	case '\\': fl_buf_add(b, "\\\\", 2); return;
	case '\n': fl_buf_add(b, "\\n", 2); return;
	case '\r': fl_buf_add(b, "\\r", 2); return;
	case '\t': fl_buf_add(b, "\\t", 2); return;
	case '\b': fl_buf_add(b, "\\b", 2); return;
	case '\f': fl_buf_add(b, "\\f", 2); return;
	default:
		fl_hex_byte(u + 2, (unsigned char)(cp >> 8), false);
		fl_hex_byte(u + 4, (unsigned char)cp, false);
		fl_buf_add(b, u, 6);
	}
}

void fl_buf_add_json_str(struct fl_buf *b, const char *s, size_t n)
{
	size_t i = 0, run = 0;

	fl_buf_addc(b, '"');
	while (i < n) {
		unsigned char c = (unsigned char)s[i];
		uint32_t cp;
		size_t w;

		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
			i++;
			continue;
		}
		w = fl_utf8_decode(s + i, n - i, &cp);
		if (w && !json_escaped(cp)) {
			i += w;
			continue;
		}
		fl_buf_add(b, s + run, i - run);
		if (w) {
			add_json_escape(b, cp);
		} else {
			fl_buf_add_utf8(b, FL_UTF8_REPLACEMENT); /* one per malformed byte */
			w = 1;
		}
		i += w;
		run = i;
	}
	fl_buf_add(b, s + run, n - run);
	fl_buf_addc(b, '"');
}

void fl_buf_truncate(struct fl_buf *b, size_t len)
{
	if (len >= b->len)
		return;
	b->len = len;
	b->ptr[len] = '\0';
}

char *fl_buf_detach(struct fl_buf *b, size_t *len_out)
{
	char *p;

	if (b->failed) {
		fl_buf_release(b);
		return NULL;
	}
	if (b->cap) {
		p = b->ptr;
	} else {
		p = malloc(1);
		if (!p)
			return NULL;
		p[0] = '\0';
	}
	if (len_out)
		*len_out = b->len;
	fl_buf_init(b, b->max);
	return p;
}
