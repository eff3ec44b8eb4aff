/* SPDX-License-Identifier: Apache-2.0 */
/*
 * b64.c - strict base64 encoder and decoder.
 */
#include "fl-common.h"

#include "b64.h"

static const char std_alpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char url_alpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

void fl_b64_encode(struct fl_buf *out, const void *data, size_t len, unsigned flags)
{
	const char *a = (flags & FL_B64_URL) ? url_alpha : std_alpha;
	const unsigned char *p = data;
	char q[4];
	size_t i = 0;

	for (; i + 3 <= len; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		q[0] = a[v >> 18];
		q[1] = a[(v >> 12) & 63];
		q[2] = a[(v >> 6) & 63];
		q[3] = a[v & 63];
		fl_buf_add(out, q, 4);
	}
	if (len - i == 1) {
		uint32_t v = (uint32_t)p[i] << 16;
		q[0] = a[v >> 18];
		q[1] = a[(v >> 12) & 63];
		fl_buf_add(out, q, 2);
		if (flags & FL_B64_PAD)
			fl_buf_add(out, "==", 2);
	} else if (len - i == 2) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;
		q[0] = a[v >> 18];
		q[1] = a[(v >> 12) & 63];
		q[2] = a[(v >> 6) & 63];
		fl_buf_add(out, q, 3);
		if (flags & FL_B64_PAD)
			fl_buf_addc(out, '=');
	}
}

static int val(char c, unsigned flags)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (flags & FL_B64_URL) {
		if (c == '-')
			return 62;
		if (c == '_')
			return 63;
	} else {
		if (c == '+')
			return 62;
		if (c == '/')
			return 63;
	}
	return -1;
}

int fl_b64_decode_at(struct fl_buf *out, const char *s, size_t len, unsigned flags, size_t *err_off)
{
	size_t n = len, chars = 0, last = 0;
	uint32_t acc = 0;
	int bits = 0;

	*err_off = len;
	if (flags & FL_B64_PAD) {
		if (len % 4)
			return -1;
		if (n && s[n - 1] == '=')
			n--;
		if (n && s[n - 1] == '=')
			n--;
	}
	for (size_t i = 0; i < n; i++) {
		int v;

		if ((flags & FL_B64_LAX) && (s[i] == '\r' || s[i] == '\n'))
			continue;
		v = val(s[i], flags);
		if (v < 0) {
			*err_off = i;
			return -1;
		}
		last = i;
		chars++;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			fl_buf_addc(out, (char)((acc >> bits) & 0xff));
		}
	}
	if (chars % 4 == 1 || (!(flags & FL_B64_LAX) && bits && (acc & ((1u << bits) - 1)))) {
		*err_off = last;
		return -1;
	}
	if ((flags & FL_B64_PAD) && len - n != (4 - n % 4) % 4)
		return -1;
	return fl_buf_failed(out) ? -1 : 0;
}

int fl_b64_decode(struct fl_buf *out, const char *s, size_t len, unsigned flags)
{
	size_t off;

	return fl_b64_decode_at(out, s, len, flags, &off);
}
