/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for utf8.c: the one UTF-8 decoder and encoder. */
#include "fl-common.h"

#include "fltest.h"
#include "utf8.h"

/* Decode s (len bytes); returns the length and the code point in *cp. */
static size_t dec(const char *s, size_t len, uint32_t *cp)
{
	*cp = 0xdeadbeef;
	return fl_utf8_decode(s, len, cp);
}

FLT_TEST(decode_well_formed)
{
	static const struct {
		const char *s;
		size_t len, n; /* bytes given, bytes of the first character */
		uint32_t cp;
	} good[] = {
		{ "A", 1, 1, 'A' },
		{ "\0", 1, 1, 0 },
		{ "\xc2\x80", 2, 2, 0x80 },
		{ "\xdf\xbf", 2, 2, 0x7ff },
		{ "\xe0\xa0\x80", 3, 3, 0x800 },
		{ "\xe2\x80\xa8xyz", 6, 3, 0x2028 },
		{ "\xed\x9f\xbf", 3, 3, 0xd7ff },
		{ "\xee\x80\x80", 3, 3, 0xe000 },
		{ "\xef\xbf\xbf", 3, 3, 0xffff },
		{ "\xf0\x90\x80\x80", 4, 4, 0x10000 },
		{ "\xf4\x8f\xbf\xbf", 4, 4, 0x10ffff },
	};
	uint32_t cp;

	for (size_t i = 0; i < FL_ARRAY_LEN(good); i++) {
		size_t n = dec(good[i].s, good[i].len, &cp);
		if (n != good[i].n || cp != good[i].cp)
			FLT_FAIL("case %zu: %zu bytes, U+%04" PRIX32 "; expected %zu, U+%04" PRIX32, i, n, cp, good[i].n,
				 good[i].cp);
	}
}

FLT_TEST(decode_refuses_malformed)
{
	static const struct {
		const char *s;
		size_t len;
	} bad[] = {
		{ "", 0 },                 /* nothing */
		{ "\x80", 1 },             /* lone continuation byte */
		{ "\xbf", 1 },
		{ "\xc0\x80", 2 },         /* overlong NUL */
		{ "\xc1\xbf", 2 },         /* overlong */
		{ "\xe0\x9f\xbf", 3 },     /* overlong 3-byte */
		{ "\xf0\x8f\xbf\xbf", 4 }, /* overlong 4-byte */
		{ "\xed\xa0\x80", 3 },     /* surrogate U+D800 */
		{ "\xed\xbf\xbf", 3 },     /* surrogate U+DFFF */
		{ "\xf4\x90\x80\x80", 4 }, /* above U+10FFFF */
		{ "\xf5\x80\x80\x80", 4 },
		{ "\xff", 1 },
		{ "\xc3", 1 },             /* truncated */
		{ "\xe2\x82", 2 },
		{ "\xf0\x9f\x98", 3 },
		{ "\xc3(", 2 },            /* bad continuation */
		{ "\xe2(\xa1", 3 },
	};
	uint32_t cp;

	for (size_t i = 0; i < FL_ARRAY_LEN(bad); i++) {
		if (dec(bad[i].s, bad[i].len, &cp) != 0)
			FLT_FAIL("case %zu decoded", i);
		if (cp != 0xdeadbeef)
			FLT_FAIL("case %zu wrote the code point", i);
	}
}

FLT_TEST(decode_rune_reads_bad_bytes_as_replacement)
{
	size_t w;

	FLT_EQ_INT(fl_utf8_decode_rune("\xc3\xa9", 2, &w), 0xe9);
	FLT_EQ_INT(w, 2);
	FLT_EQ_INT(fl_utf8_decode_rune("\xe2\x82", 2, &w), FL_UTF8_REPLACEMENT);
	FLT_EQ_INT(w, 1);
	FLT_EQ_INT(fl_utf8_decode_rune("\xed\xa0\x80", 3, &w), FL_UTF8_REPLACEMENT);
	FLT_EQ_INT(w, 1);
	/* a real U+FFFD is three bytes wide */
	FLT_EQ_INT(fl_utf8_decode_rune("\xef\xbf\xbd", 3, &w), FL_UTF8_REPLACEMENT);
	FLT_EQ_INT(w, 3);
}

FLT_TEST(decode_last_rune)
{
	size_t w;

	FLT_EQ_INT(fl_utf8_decode_last_rune("a\xc3\xa9", 3, &w), 0xe9);
	FLT_EQ_INT(w, 2);
	FLT_EQ_INT(fl_utf8_decode_last_rune("ab", 2, &w), 'b');
	FLT_EQ_INT(w, 1);
	FLT_EQ_INT(fl_utf8_decode_last_rune("\xf0\x9f\x98\x80", 4, &w), 0x1f600);
	FLT_EQ_INT(w, 4);
	/* a stray continuation byte at the end is one bad rune */
	FLT_EQ_INT(fl_utf8_decode_last_rune("a\x80", 2, &w), FL_UTF8_REPLACEMENT);
	FLT_EQ_INT(w, 1);
	/* a truncated sequence at the end: only its last byte */
	FLT_EQ_INT(fl_utf8_decode_last_rune("a\xe2\x82", 3, &w), FL_UTF8_REPLACEMENT);
	FLT_EQ_INT(w, 1);
	/* more continuation bytes than a sequence can have */
	FLT_EQ_INT(fl_utf8_decode_last_rune("\x80\x80\x80\x80\x80", 5, &w), FL_UTF8_REPLACEMENT);
	FLT_EQ_INT(w, 1);
}

FLT_TEST(encode_round_trips)
{
	static const uint32_t cps[] = { 0, 0x7f, 0x80, 0x7ff, 0x800, 0xd7ff, 0xe000, 0xfffd, 0xffff, 0x10000, 0x10ffff };
	char out[FL_UTF8_MAX];

	for (size_t i = 0; i < FL_ARRAY_LEN(cps); i++) {
		uint32_t back = 0;
		size_t n = fl_utf8_encode(out, cps[i]);
		if (fl_utf8_decode(out, n, &back) != n || back != cps[i])
			FLT_FAIL("U+%04" PRIX32 " does not round-trip", cps[i]);
	}
	FLT_EQ_INT(fl_utf8_encode(out, 0xd800), 3);
	FLT_EQ_MEM(out, 3, "\xef\xbf\xbd", 3);
	FLT_EQ_INT(fl_utf8_encode(out, 0x110000), 3);
	FLT_EQ_MEM(out, 3, "\xef\xbf\xbd", 3);
}

FLT_TEST(count_runes_like_go)
{
	FLT_EQ_INT(fl_utf8_count("", 0), 0);
	FLT_EQ_INT(fl_utf8_count("h\xc3\xa9llo", 6), 5);
	FLT_EQ_INT(fl_utf8_count("\xe2\x82", 2), 2);
	FLT_EQ_INT(fl_utf8_count("\xf0\x9f\x98\x80!", 5), 2);
}

FLT_TEST(first_invalid)
{
	FLT_EQ_INT(fl_utf8_first_invalid("abc", 3, false), 3);
	FLT_EQ_INT(fl_utf8_first_invalid("a\xc3\xa9\xff", 4, false), 3);
	FLT_EQ_INT(fl_utf8_first_invalid("ab\xe2\x82", 4, false), 2);
	FLT_EQ_INT(fl_utf8_first_invalid("a\tb\r\n", 5, true), 5);
	FLT_EQ_INT(fl_utf8_first_invalid("a\x01", 2, true), 1);
	FLT_EQ_INT(fl_utf8_first_invalid("a\x01", 2, false), 2);
	FLT_EQ_INT(fl_utf8_first_invalid("ab\x7f", 3, true), 2);
}

FLT_MAIN(decode_well_formed, decode_refuses_malformed, decode_rune_reads_bad_bytes_as_replacement, decode_last_rune,
	 encode_round_trips, count_runes_like_go, first_invalid)
