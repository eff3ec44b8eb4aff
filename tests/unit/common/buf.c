/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for src/common/buf.c. */
#include "fl-common.h"

#include <jansson.h>

#include "buf.h"
#include "error.h"
#include "fltest.h"

FLT_TEST(empty_buffer_is_terminated)
{
	struct fl_buf b = FL_BUF_INIT(0);
	FLT_ASSERT(b.ptr != NULL);
	FLT_EQ_STR(b.ptr, "");
	fl_buf_release(&b);
	FLT_EQ_STR(b.ptr, "");
}

FLT_TEST(appends_and_formats)
{
	struct fl_buf b = FL_BUF_INIT(0);
	fl_buf_adds(&b, "a");
	fl_buf_addc(&b, 'b');
	fl_buf_addf(&b, "%d-%s", 42, "x");
	FLT_EQ_STR(b.ptr, "ab42-x");
	FLT_EQ_INT(b.len, 6);
	for (int i = 0; i < 1000; i++)
		fl_buf_addf(&b, "%0100d", i);
	FLT_EQ_INT(b.len, 6 + 100000);
	FLT_ASSERT(!fl_buf_failed(&b));
	fl_buf_release(&b);
}

FLT_TEST(cap_sets_sticky_error)
{
	struct fl_buf b = FL_BUF_INIT(8);
	fl_buf_adds(&b, "12345678");
	FLT_ASSERT(!fl_buf_failed(&b));
	fl_buf_addc(&b, '9');
	FLT_ASSERT(fl_buf_failed(&b));
	FLT_EQ_INT(b.error, FL_ETOOBIG);
	FLT_EQ_STR(b.ptr, "12345678");
	fl_buf_adds(&b, "x");
	FLT_EQ_INT(b.len, 8);
	FLT_ASSERT(fl_buf_detach(&b, NULL) == NULL);
	fl_buf_release(&b);
}

FLT_TEST(detach_transfers_ownership)
{
	struct fl_buf b = FL_BUF_INIT(0);
	size_t n = 0;
	char *p;
	fl_buf_adds(&b, "hello");
	p = fl_buf_detach(&b, &n);
	FLT_EQ_STR(p, "hello");
	FLT_EQ_INT(n, 5);
	FLT_EQ_INT(b.len, 0);
	free(p);
	p = fl_buf_detach(&b, &n);
	FLT_EQ_STR(p, "");
	free(p);
}

FLT_TEST(json_string_escapes)
{
	struct fl_buf b = FL_BUF_INIT(0);
	fl_buf_add_json_str(&b, "a\"b\\c\n\x01", 7);
	FLT_EQ_STR(b.ptr, "\"a\\\"b\\\\c\\n\\u0001\"");
	fl_buf_reset(&b);
	fl_buf_add_json_str(&b, "x\xc2\x85y\xe2\x80\xa8z\xe2\x80\xa9\x7f\xc3\xa9\xc2\x90\xef\xbf\xbf\xc2\xa0", 21);
	FLT_EQ_STR(b.ptr, "\"x\\u0085y\\u2028z\\u2029\\u007f\xc3\xa9\\u0090\\uffff\xc2\xa0\"");
	fl_buf_release(&b);
}

/* Escape s and compare with the expected literal (quotes included). */
static void expect_json(const char *s, size_t n, const char *want)
{
	struct fl_buf b = FL_BUF_INIT(0);

	fl_buf_add_json_str(&b, s, n);
	if (strcmp(b.ptr, want) != 0) {
		char got[256];
		snprintf(got, sizeof(got), "%s", b.ptr);
		fl_buf_release(&b);
		FLT_FAIL("escaped '%.*s' as %s, expected %s", (int)n, s, got, want);
	}
	fl_buf_release(&b);
}

FLT_TEST(json_string_short_escapes_and_slash)
{
	expect_json("\b\f\n\r\t", 5, "\"\\b\\f\\n\\r\\t\"");
	expect_json("a/b</script>", 12, "\"a/b</script>\"");
	expect_json("\x1f\x00", 2, "\"\\u001f\\u0000\"");
	expect_json("", 0, "\"\"");
	/* U+FFFE is escaped; U+FFFD and U+FFEF are not */
	expect_json("\xef\xbf\xbe\xef\xbf\xbd\xef\xbf\xaf", 9, "\"\\ufffe\xef\xbf\xbd\xef\xbf\xaf\"");
	/* U+009F is escaped, U+00A0 and U+2027, U+202A are not */
	expect_json("\xc2\x9f\xc2\xa0\xe2\x80\xa7\xe2\x80\xaa", 10, "\"\\u009f\xc2\xa0\xe2\x80\xa7\xe2\x80\xaa\"");
}

/*
 * Malformed UTF-8 used to be copied raw, which made the body invalid JSON:
 * now each byte that does not begin a well-formed sequence is U+FFFD.
 */
FLT_TEST(json_string_repairs_invalid_utf8)
{
	expect_json("a\xff" "b", 3, "\"a\xef\xbf\xbd" "b\"");
	/* truncated sequence at the end: one replacement per byte */
	expect_json("a\xe2\x82", 3, "\"a\xef\xbf\xbd\xef\xbf\xbd\"");
	/* an encoded surrogate and an overlong '/' */
	expect_json("\xed\xa0\x80", 3, "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"");
	expect_json("\xc0\xaf", 2, "\"\xef\xbf\xbd\xef\xbf\xbd\"");
	/* a truncated C1 control is not mistaken for one */
	expect_json("\xc2", 1, "\"\xef\xbf\xbd\"");
	expect_json("\xe2\x80", 2, "\"\xef\xbf\xbd\xef\xbf\xbd\"");
}

/* Whatever the bytes, the literal parses as JSON and gives back the text when it was valid UTF-8. */
FLT_TEST(json_string_is_always_valid_json)
{
	struct fl_buf b = FL_BUF_INIT(0);
	char all[256];
	json_t *j;

	for (int i = 0; i < 256; i++)
		all[i] = (char)i;
	fl_buf_add_json_str(&b, all, sizeof(all));
	j = json_loadb(b.ptr, b.len, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
	FLT_ASSERT(j != NULL && json_is_string(j));
	FLT_EQ_INT(json_string_length(j), 128 + 128 * 3);
	FLT_EQ_MEM(json_string_value(j), 128, all, 128);
	json_decref(j);
	fl_buf_reset(&b);
	fl_buf_add_json_str(&b, "\xe2\x80\xa8\xf0\x9f\x98\x80\x7f", 8);
	j = json_loadb(b.ptr, b.len, JSON_DECODE_ANY, NULL);
	FLT_ASSERT(j != NULL);
	FLT_EQ_STR(json_string_value(j), "\xe2\x80\xa8\xf0\x9f\x98\x80\x7f");
	json_decref(j);
	fl_buf_release(&b);
}

FLT_TEST(add_utf8)
{
	struct fl_buf b = FL_BUF_INIT(0);

	fl_buf_add_utf8(&b, 'a');
	fl_buf_add_utf8(&b, 0xe9);
	fl_buf_add_utf8(&b, 0x1f600);
	fl_buf_add_utf8(&b, 0xdc00);
	FLT_EQ_STR(b.ptr, "a\xc3\xa9\xf0\x9f\x98\x80\xef\xbf\xbd");
	fl_buf_release(&b);
}

FLT_MAIN(empty_buffer_is_terminated, appends_and_formats, cap_sets_sticky_error, detach_transfers_ownership,
	 json_string_escapes, json_string_short_escapes_and_slash, json_string_repairs_invalid_utf8,
	 json_string_is_always_valid_json, add_utf8)
