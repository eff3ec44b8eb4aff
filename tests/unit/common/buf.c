/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for src/common/buf.c. */
#include "fl-common.h"

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

FLT_MAIN(empty_buffer_is_terminated, appends_and_formats, cap_sets_sticky_error, detach_transfers_ownership,
	 json_string_escapes)
