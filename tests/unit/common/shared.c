/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for the primitives libflyte and the packs share with the
 * server: percent-encoding (buf.h), hex decoding (hex.h), deadlines
 * (timeutil.h) and the growth of arrays that must not abort (grow.h).
 */
#include "fl-common.h"

#include "alloc.h"
#include "buf.h"
#include "fltest.h"
#include "grow.h"
#include "hex.h"
#include "timeutil.h"

static void escaped(const char *in, size_t n, const char *want)
{
	struct fl_buf b = FL_BUF_INIT(0);

	fl_buf_add_url_escaped(&b, in, n);
	FLT_ASSERT(!fl_buf_failed(&b));
	FLT_EQ_STR(b.ptr, want);
	FLT_EQ_INT(b.len, strlen(want));
	fl_buf_release(&b);
}

FLT_TEST(url_escaping_keeps_only_unreserved)
{
	escaped("", 0, "");
	escaped("AZaz09-._~", 10, "AZaz09-._~");
	escaped("My Pack", 7, "My%20Pack");
	escaped("a/b?c#d%e&f=g+h", 15, "a%2Fb%3Fc%23d%25e%26f%3Dg%2Bh");
	escaped("\xc3\xa9", 2, "%C3%A9");
	escaped("x\0y", 3, "x%00y");
	escaped("\x7f\xff", 2, "%7F%FF");
}

FLT_TEST(url_escaping_every_byte)
{
	for (unsigned c = 0; c < 256; c++) {
		struct fl_buf b = FL_BUF_INIT(0);
		char in = (char)c;
		bool keep = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
			    c == '-' || c == '.' || c == '_' || c == '~';

		fl_buf_add_url_escaped(&b, &in, 1);
		if (keep ? b.len != 1 || b.ptr[0] != in
			 : b.len != 3 || b.ptr[0] != '%' || fl_hex_val(b.ptr[1]) * 16 + fl_hex_val(b.ptr[2]) != (int)c ||
				   (b.ptr[1] >= 'a' && b.ptr[1] <= 'f') || (b.ptr[2] >= 'a' && b.ptr[2] <= 'f'))
			FLT_FAIL("byte 0x%02x escaped as '%s'", c, b.ptr);
		fl_buf_release(&b);
	}
}

FLT_TEST(hex_decode)
{
	unsigned char out[4] = { 0 };

	FLT_ASSERT(fl_hex_decode(out, "00ff7Ab3", 4));
	FLT_EQ_INT(out[0], 0x00);
	FLT_EQ_INT(out[1], 0xff);
	FLT_EQ_INT(out[2], 0x7a);
	FLT_EQ_INT(out[3], 0xb3);
	FLT_ASSERT(fl_hex_decode(out, "", 0));
	FLT_ASSERT(!fl_hex_decode(out, "0g", 1));
	FLT_ASSERT(!fl_hex_decode(out, "g0", 1));
	FLT_ASSERT(!fl_hex_decode(out, "12 4", 2));
	FLT_ASSERT(!fl_hex_decode(out, "1", 1)); /* the NUL is not a digit */
}

FLT_TEST(grow_doubles_from_four)
{
	int *v = NULL;
	size_t cap = 0;

	FLT_EQ_INT(fl_grow_cap(0, 1), 4);
	FLT_EQ_INT(fl_grow_cap(4, 5), 8);
	FLT_EQ_INT(fl_grow_cap(8, 100), 128);
	FLT_EQ_INT(fl_grow_cap(0, SIZE_MAX), 0);
	for (int i = 0; i < 100; i++) {
		int *w = fl_grow_try(v, &cap, (size_t)i + 1, sizeof(*v));
		FLT_ASSERT(w != NULL);
		v = w;
		v[i] = i;
	}
	FLT_EQ_INT(cap, 128);
	for (int i = 0; i < 100; i++)
		FLT_EQ_INT(v[i], i);
	/* enough room: the same array, the same capacity */
	FLT_ASSERT(fl_grow_try(v, &cap, 50, sizeof(*v)) == v);
	FLT_EQ_INT(cap, 128);
	free(v);
}

FLT_TEST(grow_refuses_overflow_and_keeps_the_array)
{
	char *v = malloc(4);
	size_t cap = 4;

	FLT_ASSERT(v != NULL);
	memcpy(v, "abc", 4);
	FLT_ASSERT(fl_grow_try(v, &cap, SIZE_MAX, 1) == NULL);
	FLT_ASSERT(fl_grow_try(v, &cap, SIZE_MAX / 4, 16) == NULL); /* count * size overflows */
	FLT_EQ_INT(cap, 4);
	FLT_EQ_STR(v, "abc");
	free(v);
}

FLT_TEST(xgrow_uses_the_same_rule)
{
	long *v = NULL;
	size_t cap = 0;

	FL_GROW(v, cap, 1);
	FLT_EQ_INT(cap, 4);
	FL_GROW(v, cap, 4);
	FLT_EQ_INT(cap, 4);
	FL_GROW(v, cap, 9);
	FLT_EQ_INT(cap, 16);
	v[15] = 1;
	free(v);
}

FLT_TEST(deadlines_are_normalised)
{
	for (long ms = 0; ms < 3000; ms += 7) {
		struct timespec before, d, after;
		int64_t lo, hi, at;

		clock_gettime(CLOCK_MONOTONIC, &before);
		d = fl_time_deadline(CLOCK_MONOTONIC, ms);
		clock_gettime(CLOCK_MONOTONIC, &after);
		lo = (int64_t)before.tv_sec * FL_NS_PER_SEC + before.tv_nsec + ms * FL_NS_PER_MS;
		hi = (int64_t)after.tv_sec * FL_NS_PER_SEC + after.tv_nsec + ms * FL_NS_PER_MS;
		at = (int64_t)d.tv_sec * FL_NS_PER_SEC + d.tv_nsec;
		if (d.tv_nsec < 0 || d.tv_nsec >= 1000000000L || at < lo || at > hi)
			FLT_FAIL("%ld ms: %lld.%09ld is not in [%lld, %lld]", ms, (long long)d.tv_sec, d.tv_nsec,
				 (long long)lo, (long long)hi);
	}
}

FLT_MAIN(url_escaping_keeps_only_unreserved, url_escaping_every_byte, hex_decode, grow_doubles_from_four,
	 grow_refuses_overflow_and_keeps_the_array, xgrow_uses_the_same_rule, deadlines_are_normalised)
