/* SPDX-License-Identifier: Apache-2.0 */
/*
 * buf.c - the owned byte buffer with a size cap and a sticky error.
 */
#include "fl-common.h"

#include "buf.h"
#include "error.h"

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

void fl_buf_add_json_str(struct fl_buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t run = 0;

	fl_buf_addc(b, '"');
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		const char *esc = NULL;
		char u[6];

		switch (c) {
		case '"': esc = "\\\""; break;
		case '\\': esc = "\\\\"; break;
		case '\n': esc = "\\n"; break;
		case '\r': esc = "\\r"; break;
		case '\t': esc = "\\t"; break;
		case '\b': esc = "\\b"; break;
		case '\f': esc = "\\f"; break;
		default:
			/* C1 controls, LS, PS, U+FFFE and U+FFFF are escaped so that the text
			 * is valid YAML too (YAML forbids or folds them raw; LS/PS also break
			 * JavaScript). */
			if (c == 0xc2 && i + 1 < n && (unsigned char)s[i + 1] <= 0x9f &&
			    (unsigned char)s[i + 1] >= 0x80) {
				unsigned char d = (unsigned char)s[i + 1];
				u[0] = '\\'; u[1] = 'u'; u[2] = '0'; u[3] = '0';
				u[4] = hex[d >> 4]; u[5] = hex[d & 15];
				fl_buf_add(b, s + run, i - run);
				fl_buf_add(b, u, 6);
				i += 1;
				run = i + 1;
				continue;
			}
			if (i + 2 < n && ((c == 0xe2 && (unsigned char)s[i + 1] == 0x80 &&
					   ((unsigned char)s[i + 2] == 0xa8 || (unsigned char)s[i + 2] == 0xa9)) ||
					  (c == 0xef && (unsigned char)s[i + 1] == 0xbf &&
					   (unsigned char)s[i + 2] >= 0xbe))) {
				static const char *const names[] = { "\\u2028", "\\u2029", "\\ufffe", "\\uffff" };
				unsigned char d = (unsigned char)s[i + 2];
				fl_buf_add(b, s + run, i - run);
				fl_buf_adds(b, names[(c == 0xef ? 2 : 0) + (d & 1)]);
				i += 2;
				run = i + 1;
				continue;
			}
			if (c >= 0x20 && c != 0x7f) /* DEL escaped too: the text is valid YAML as well */
				continue;
			u[0] = '\\'; u[1] = 'u'; u[2] = '0'; u[3] = '0';
			u[4] = hex[c >> 4]; u[5] = hex[c & 15];
			fl_buf_add(b, s + run, i - run);
			fl_buf_add(b, u, 6);
			run = i + 1;
			continue;
		}
		fl_buf_add(b, s + run, i - run);
		fl_buf_adds(b, esc);
		run = i + 1;
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
