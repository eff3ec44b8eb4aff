// SPDX-License-Identifier: Apache-2.0
/*
 * url.c - unit tests of percent-decoding, segment escaping and query
 * parsing (src/http/url.c).
 */
#include "fl-common.h"

#include "fltest.h"
#include "http/url.h"

static int dec(const char *in, unsigned flags, struct fl_buf *out)
{
	fl_buf_reset(out);
	return fl_url_decode(out, in, strlen(in), flags);
}

FLT_TEST(test_decode)
{
	struct fl_buf b = FL_BUF_INIT(0);

	FLT_EQ_INT(dec("My%20Pack", 0, &b), FL_OK);
	FLT_EQ_STR(b.ptr, "My Pack");
	FLT_EQ_INT(dec("a+b", 0, &b), FL_OK);
	FLT_EQ_STR(b.ptr, "a+b");
	FLT_EQ_INT(dec("a+b%2b", FL_URL_PLUS_IS_SPACE, &b), FL_OK);
	FLT_EQ_STR(b.ptr, "a b+");
	FLT_EQ_INT(dec("%2e%2E", 0, &b), FL_OK);
	FLT_EQ_STR(b.ptr, "..");
	FLT_EQ_INT(dec("a%2Fb", 0, &b), FL_OK);
	FLT_EQ_STR(b.ptr, "a/b");
	FLT_EQ_INT(dec("%C3%A9", 0, &b), FL_OK);
	FLT_EQ_STR(b.ptr, "\xc3\xa9");
	FLT_EQ_INT(dec("%", 0, &b), FL_EINVALID);
	FLT_EQ_INT(dec("%4", 0, &b), FL_EINVALID);
	FLT_EQ_INT(dec("%zz", 0, &b), FL_EINVALID);
	FLT_EQ_INT(dec("a%00b", 0, &b), FL_EINVALID);
	FLT_EQ_INT(fl_url_decode(&b, "a\0b", 3, 0), FL_EINVALID);
	fl_buf_release(&b);
}

FLT_TEST(test_escape_segment)
{
	struct fl_buf b = FL_BUF_INIT(0);

	fl_url_escape_segment(&b, "Slack.env.dev", 13);
	FLT_EQ_STR(b.ptr, "Slack.env.dev");
	fl_buf_reset(&b);
	fl_url_escape_segment(&b, "My Pack/x?y#z%", 14);
	FLT_EQ_STR(b.ptr, "My%20Pack%2Fx%3Fy%23z%25");
	fl_buf_reset(&b);
	fl_url_escape_segment(&b, "..", 2);
	FLT_EQ_STR(b.ptr, "%2E%2E");
	fl_buf_reset(&b);
	fl_url_escape_segment(&b, "a:b@c=d", 7);
	FLT_EQ_STR(b.ptr, "a:b@c=d");
	fl_buf_reset(&b);
	fl_url_escape_segment(&b, "\xc3\xa9", 2);
	FLT_EQ_STR(b.ptr, "%C3%A9");
	fl_buf_reset(&b);
	fl_url_escape_query(&b, "a b&c", 5);
	FLT_EQ_STR(b.ptr, "a%20b%26c");
	fl_buf_release(&b);
}

/* Escaping then decoding gives back every byte value except NUL. */
FLT_TEST(test_escape_round_trip)
{
	char all[255];
	struct fl_buf e = FL_BUF_INIT(0), d = FL_BUF_INIT(0);

	for (int i = 0; i < 255; i++)
		all[i] = (char)(i + 1);
	fl_url_escape_segment(&e, all, sizeof(all));
	FLT_ASSERT(strchr(e.ptr, '/') == NULL && strchr(e.ptr, '?') == NULL && strchr(e.ptr, ' ') == NULL);
	FLT_EQ_INT(fl_url_decode(&d, e.ptr, e.len, 0), FL_OK);
	FLT_EQ_MEM(d.ptr, d.len, all, sizeof(all));
	fl_buf_release(&e);
	fl_buf_release(&d);
}

FLT_TEST(test_query)
{
	struct fl_query q = FL_QUERY_INIT;
	const char *s = "actionName=Send%20It&x&&flowName=a+b&bad=%zz&actionName=second&=v";

	fl_url_query_parse(&q, s, strlen(s));
	FLT_EQ_STR(fl_url_query_get(&q, "actionName"), "Send It");
	FLT_EQ_STR(fl_url_query_get(&q, "x"), "");
	FLT_EQ_STR(fl_url_query_get(&q, "flowName"), "a b");
	FLT_ASSERT(fl_url_query_get(&q, "bad") == NULL);
	FLT_ASSERT(fl_url_query_get(&q, "missing") == NULL);
	FLT_EQ_STR(fl_url_query_get(&q, ""), "v");
	fl_url_query_release(&q);
	FLT_EQ_INT(q.n, 0);
}

FLT_TEST(test_query_bounded)
{
	struct fl_query q = FL_QUERY_INIT;
	struct fl_buf s = FL_BUF_INIT(0);

	for (int i = 0; i < 1000; i++)
		fl_buf_addf(&s, "p%d=%d&", i, i);
	fl_url_query_parse(&q, s.ptr, s.len);
	FLT_EQ_INT(q.n, FL_QUERY_MAX_PARAMS);
	FLT_EQ_STR(fl_url_query_get(&q, "p0"), "0");
	FLT_ASSERT(fl_url_query_get(&q, "p999") == NULL);
	FLT_ASSERT(q.truncated);
	fl_url_query_release(&q);
	/* exactly the maximum, trailing '&'s: not truncated */
	fl_buf_reset(&s);
	for (int i = 0; i < FL_QUERY_MAX_PARAMS; i++)
		fl_buf_addf(&s, "p%d=%d&", i, i);
	fl_buf_adds(&s, "&&");
	fl_url_query_parse(&q, s.ptr, s.len);
	FLT_EQ_INT(q.n, FL_QUERY_MAX_PARAMS);
	FLT_ASSERT(!q.truncated);
	fl_url_query_release(&q);
	fl_buf_release(&s);
}

FLT_MAIN(test_decode, test_escape_segment, test_escape_round_trip, test_query, test_query_bounded)
