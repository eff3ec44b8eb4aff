/* SPDX-License-Identifier: Apache-2.0 */
/*
 * json.c - the small JSON scanner of libflyte.
 *
 * Payloads travel through the library as JSON text.  Rather than parse them
 * into a tree and print them again (which would reformat numbers and cost an
 * allocation per node), the library validates them with the scanner below
 * and copies the raw text into request bodies; the take response's `input`
 * is likewise handed to handlers as the exact bytes the server sent.  The
 * scanner follows RFC 8259 strictly (no comments, no trailing commas, no
 * NaN), checks UTF-8 inside strings, and limits nesting depth.
 */
#include "fl-common.h"

#include "hex.h"
#include "internal.h"
#include "utf8.h"

struct scan {
	const char *p, *end, *start;
	int depth;
};

static void skip_ws(struct scan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
		s->p++;
}

static int scan_string(struct scan *s)
{
	s->p++; /* opening quote */
	while (s->p < s->end) {
		unsigned char c = (unsigned char)*s->p;
		if (c == '"') {
			s->p++;
			return 0;
		}
		if (c < 0x20)
			return -1;
		if (c == '\\') {
			if (++s->p >= s->end)
				return -1;
			switch (*s->p) {
			case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
				s->p++;
				break;
			case 'u':
				if (s->end - s->p < 5)
					return -1;
				for (int i = 1; i <= 4; i++)
					if (fl_hex_val((unsigned char)s->p[i]) < 0)
						return -1;
				s->p += 5;
				break;
			default:
				return -1;
			}
			continue;
		}
		uint32_t cp;
		size_t n = fl_utf8_decode(s->p, (size_t)(s->end - s->p), &cp);
		if (!n)
			return -1;
		s->p += n;
	}
	return -1;
}

static int scan_digits(struct scan *s)
{
	const char *b = s->p;
	while (s->p < s->end && *s->p >= '0' && *s->p <= '9')
		s->p++;
	return s->p > b ? 0 : -1;
}

static int scan_number(struct scan *s)
{
	if (*s->p == '-')
		s->p++;
	if (s->p >= s->end)
		return -1;
	if (*s->p == '0')
		s->p++;
	else if (scan_digits(s))
		return -1;
	if (s->p < s->end && *s->p == '.') {
		s->p++;
		if (scan_digits(s))
			return -1;
	}
	if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
		s->p++;
		if (s->p < s->end && (*s->p == '+' || *s->p == '-'))
			s->p++;
		if (scan_digits(s))
			return -1;
	}
	return 0;
}

static int scan_literal(struct scan *s, const char *lit)
{
	size_t n = strlen(lit);
	if ((size_t)(s->end - s->p) < n || memcmp(s->p, lit, n) != 0)
		return -1;
	s->p += n;
	return 0;
}

static int scan_value(struct scan *s);

static int scan_container(struct scan *s, char close, bool object)
{
	if (++s->depth > FLYTE__JSON_MAX_DEPTH)
		return -1;
	s->p++;
	skip_ws(s);
	if (s->p < s->end && *s->p == close) {
		s->p++;
		s->depth--;
		return 0;
	}
	for (;;) {
		if (object) {
			skip_ws(s);
			if (s->p >= s->end || *s->p != '"' || scan_string(s))
				return -1;
			skip_ws(s);
			if (s->p >= s->end || *s->p != ':')
				return -1;
			s->p++;
		}
		if (scan_value(s))
			return -1;
		skip_ws(s);
		if (s->p >= s->end)
			return -1;
		if (*s->p == ',') {
			s->p++;
			continue;
		}
		if (*s->p != close)
			return -1;
		s->p++;
		s->depth--;
		return 0;
	}
}

static int scan_value(struct scan *s)
{
	skip_ws(s);
	if (s->p >= s->end)
		return -1;
	switch (*s->p) {
	case '{':
		return scan_container(s, '}', true);
	case '[':
		return scan_container(s, ']', false);
	case '"':
		return scan_string(s);
	case 't':
		return scan_literal(s, "true");
	case 'f':
		return scan_literal(s, "false");
	case 'n':
		return scan_literal(s, "null");
	default:
		if (*s->p == '-' || (*s->p >= '0' && *s->p <= '9'))
			return scan_number(s);
		return -1;
	}
}

int flyte__json_check(const char *str, size_t len, size_t *err_off)
{
	struct scan s = { str, str + len, str, 0 };

	if (scan_value(&s) == 0) {
		skip_ws(&s);
		if (s.p == s.end)
			return 0;
	}
	if (err_off)
		*err_off = (size_t)(s.p - s.start);
	return -1;
}

int flyte__json_member(const char *str, size_t len, const char *key, struct flyte__span *out)
{
	struct scan s = { str, str + len, str, 0 };
	size_t klen = strlen(key);

	skip_ws(&s);
	if (s.p >= s.end || *s.p != '{')
		return -1;
	s.p++;
	s.depth = 1;
	skip_ws(&s);
	if (s.p < s.end && *s.p == '}')
		return -1;
	for (;;) {
		const char *kb, *vb;
		skip_ws(&s);
		if (s.p >= s.end || *s.p != '"')
			return -1;
		kb = s.p + 1;
		if (scan_string(&s))
			return -1;
		/* Keys are compared raw: escaped key spellings are not matched. */
		bool match = (size_t)(s.p - 1 - kb) == klen && memcmp(kb, key, klen) == 0;
		skip_ws(&s);
		if (s.p >= s.end || *s.p != ':')
			return -1;
		s.p++;
		skip_ws(&s);
		vb = s.p;
		if (scan_value(&s))
			return -1;
		if (match) {
			out->ptr = vb;
			out->len = (size_t)(s.p - vb);
			return 0;
		}
		skip_ws(&s);
		if (s.p >= s.end || *s.p != ',')
			return -1;
		s.p++;
	}
}

FLYTE_API int flyte_json_validate(const char *json, size_t len)
{
	size_t off = 0;

	if (!json)
		return flyte__error(NULL, FLYTE_EINVALID, "invalid JSON: no text");
	if (flyte__json_check(json, len, &off))
		return flyte__error(NULL, FLYTE_EINVALID, "invalid JSON at offset %zu", off);
	return FLYTE_OK;
}

FLYTE_API int flyte_json_quote(char **out, const char *text, size_t len)
{
	struct fl_buf b = FL_BUF_INIT(0);

	*out = NULL;
	fl_buf_add_json_str(&b, text ? text : "", text ? len : 0);
	if (fl_buf_failed(&b)) {
		int rc = flyte__error_buf(NULL, &b);
		fl_buf_release(&b);
		return rc;
	}
	*out = fl_buf_detach(&b, NULL);
	return *out ? FLYTE_OK : flyte__error_oom(NULL);
}
