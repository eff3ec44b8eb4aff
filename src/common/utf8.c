/* SPDX-License-Identifier: Apache-2.0 */
/*
 * utf8.c - strict UTF-8 decoding and encoding (RFC 3629).
 */
#include "fl-common.h"

#include "utf8.h"

size_t fl_utf8_decode(const char *str, size_t n, uint32_t *cp)
{
	const unsigned char *s = (const unsigned char *)str;
	uint32_t c;
	size_t len;

	if (n == 0)
		return 0;
	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		c = s[0] & 0x1fu;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		c = s[0] & 0x0fu;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		c = s[0] & 0x07u;
	} else {
		return 0; /* continuation byte, overlong lead C0/C1, or F5..FF */
	}
	if (n < len)
		return 0;
	for (size_t k = 1; k < len; k++) {
		if ((s[k] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[k] & 0x3fu);
	}
	if ((len == 3 && c < 0x800) || (len == 4 && (c < 0x10000 || c > 0x10ffff)) || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

uint32_t fl_utf8_decode_rune(const char *s, size_t n, size_t *width)
{
	uint32_t cp;
	size_t len = fl_utf8_decode(s, n, &cp);

	if (len == 0) {
		*width = 1;
		return FL_UTF8_REPLACEMENT;
	}
	*width = len;
	return cp;
}

uint32_t fl_utf8_decode_last_rune(const char *s, size_t n, size_t *width)
{
	size_t k = n - 1, w;
	uint32_t r;

	/* back to the lead byte, over at most FL_UTF8_MAX - 1 continuation bytes */
	while (k > 0 && n - k < FL_UTF8_MAX && ((unsigned char)s[k] & 0xc0) == 0x80)
		k--;
	r = fl_utf8_decode_rune(s + k, n - k, &w);
	if (k + w != n) {
		*width = 1;
		return FL_UTF8_REPLACEMENT;
	}
	*width = w;
	return r;
}

size_t fl_utf8_encode(char *out, uint32_t cp)
{
	if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		cp = FL_UTF8_REPLACEMENT;
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

size_t fl_utf8_count(const char *s, size_t n)
{
	size_t count = 0, w;

	for (size_t i = 0; i < n; i += w) {
		(void)fl_utf8_decode_rune(s + i, n - i, &w);
		count++;
	}
	return count;
}

size_t fl_utf8_first_invalid(const char *s, size_t len, bool text_only)
{
	size_t i = 0;

	while (i < len) {
		uint32_t cp;
		size_t n = fl_utf8_decode(s + i, len - i, &cp);

		if (n == 0)
			return i;
		if (text_only && ((cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') || cp == 0x7f))
			return i;
		i += n;
	}
	return len;
}
