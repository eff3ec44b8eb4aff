/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mime_fuzz.c - the Email pack's message composer: arbitrary from, to,
 * subject and bodies (NUL-separated fields; the first byte picks HTML and
 * an alternative part).  Whatever passes the pack's checks must give a
 * header section whose lines end in CRLF, hold no other CR or LF, stay
 * within 998 characters, and an encoded subject that decodes back.
 */
#include "fl-common.h"

#include "buf.h"
#include "mime.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *field(const char **p, const char *end, size_t *len)
{
	const char *s = *p, *z;

	if (s >= end) {
		*len = 0;
		return "";
	}
	z = memchr(s, '\0', (size_t)(end - s));
	*len = z ? (size_t)(z - s) : (size_t)(end - s);
	*p = s + *len + 1;
	return s;
}

static void check_headers(const struct fl_buf *b)
{
	const char *end = strstr(b->ptr, "\r\n\r\n");

	if (!end)
		abort();
	for (const char *p = b->ptr; p < end;) {
		const char *eol = strstr(p, "\r\n");
		if (eol - p > 998 || memchr(p, '\n', (size_t)(eol - p)) || memchr(p, '\r', (size_t)(eol - p)))
			abort();
		/* a continuation line never starts a new header by accident */
		p = eol + 2;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data + (size ? 1 : 0), *end = (const char *)data + size;
	struct mime_addr from, to;
	struct mime_message m = { 0 };
	struct fl_buf b = FL_BUF_INIT(1 << 22);
	const char *f, *t, *subject, *body, *alt;
	size_t flen, tlen, slen, blen, alen;
	char err[256];

	f = field(&p, end, &flen);
	t = field(&p, end, &tlen);
	subject = field(&p, end, &slen);
	body = field(&p, end, &blen);
	alt = field(&p, end, &alen);
	if (mime_addr_parse(&from, f, flen, err, sizeof(err)))
		return 0;
	if (mime_addr_parse(&to, t, tlen, err, sizeof(err))) {
		mime_addr_release(&from);
		return 0;
	}
	if (mime_check_header_text(subject, slen, err, sizeof(err)) == 0) {
		m.from = &from;
		m.to = &to;
		m.n_to = 1;
		m.subject = subject;
		m.subject_len = slen;
		m.body = body;
		m.body_len = blen;
		m.is_html = size && (data[0] & 1);
		m.text_body = size && (data[0] & 2) ? alt : NULL;
		m.text_body_len = alen;
		m.date_sec = size ? (int64_t)data[0] << 24 : 0;
		m.token = "0123456789abcdef0123456789abcdef";
		mime_compose(&b, &m);
		if (!fl_buf_failed(&b))
			check_headers(&b);
	}
	fl_buf_release(&b);
	mime_addr_release(&from);
	mime_addr_release(&to);
	return 0;
}
