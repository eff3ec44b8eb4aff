/* SPDX-License-Identifier: Apache-2.0 */
/*
 * hex.h - hexadecimal digits, both ways.
 *
 * The one place that knows the digits: JSON \u escapes, percent-encoding,
 * object ids and regex escapes all read and write them through these.
 * Header-only so that every binary that compiles a src/common file
 * (the server, libflyte, the packs) has them without another source file.
 */
#ifndef FL_HEX_H
#define FL_HEX_H

#include "fl-common.h"

/* Value of the hex digit c (either case), or -1 when c is not one. */
static inline int fl_hex_val(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The digit of the low four bits of v, lower case. */
static inline char fl_hex_lower(unsigned v)
{
	return "0123456789abcdef"[v & 15];
}

/* The digit of the low four bits of v, upper case. */
static inline char fl_hex_upper(unsigned v)
{
	return "0123456789ABCDEF"[v & 15];
}

/* Write byte c as two digits into out[0..2) (no NUL); upper or lower case. */
static inline void fl_hex_byte(char *out, unsigned char c, bool upper)
{
	out[0] = upper ? fl_hex_upper(c >> 4) : fl_hex_lower(c >> 4);
	out[1] = upper ? fl_hex_upper(c) : fl_hex_lower(c);
}

/*
 * Decode the 2 * n hex digits at s into out[0..n).  Returns false (out
 * partly written) when one of them is not a hex digit.
 */
static inline bool fl_hex_decode(unsigned char *out, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int hi = fl_hex_val((unsigned char)s[2 * i]), lo;

		if (hi < 0 || (lo = fl_hex_val((unsigned char)s[2 * i + 1])) < 0)
			return false;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return true;
}

#endif
