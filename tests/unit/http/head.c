// SPDX-License-Identifier: Apache-2.0
/*
 * head.c - unit tests of the request framing checks (src/http/head.c):
 * every smuggling shape the server refuses, and the ordinary heads it
 * must keep accepting.
 */
#include "fl-common.h"

#include "fltest.h"
#include "http/head.h"

/* Feed "Name: value" lines (NULL-terminated) of an HTTP `version` request; returns the status. */
static int check(const char *version, const char *const *lines, char *msg, size_t msglen)
{
	struct fl_head_check hc;

	fl_head_check_init(&hc, version);
	for (size_t i = 0; lines[i]; i++) {
		const char *colon = strchr(lines[i], ':');
		const char *v = colon + 1;
		while (*v == ' ' || *v == '\t')
			v++;
		if (!fl_head_check_field(&hc, lines[i], (size_t)(colon - lines[i]), v, strlen(v)))
			break;
	}
	return fl_head_check_finish(&hc, msg, msglen);
}

#define CHECK(version, expect, ...)                                                    \
	do {                                                                           \
		static const char *const l_[] = { __VA_ARGS__, NULL };                 \
		char m_[160] = "";                                                     \
		FLT_EQ_INT(check(version, l_, m_, sizeof(m_)), expect);                \
	} while (0)

FLT_TEST(test_ordinary_heads)
{
	CHECK("HTTP/1.1", 0, "Host: a", "Content-Type: application/json", "Content-Length: 12");
	CHECK("HTTP/1.1", 0, "Host: a", "Transfer-Encoding: chunked");
	CHECK("HTTP/1.1", 0, "host: a", "transfer-encoding: Chunked", "Authorization: Bearer x.y-z_");
	CHECK("HTTP/1.0", 0, "Content-Length: 3");
	CHECK("HTTP/1.0", 0, "X-Empty: ");
	CHECK("HTTP/1.1", 0, "Host: a", "X-Tab: a\tb", "X-Utf8: \xc3\xa9t\xc3\xa9");
	CHECK("HTTP/1.1", 0, "Host: a", "X-Tokens: !#$%&'*+-.^_`|~");
}

FLT_TEST(test_smuggling_shapes)
{
	char msg[160];
	static const char *const two_cl[] = { "Host: a", "Content-Length: 17", "Content-Length: 5", NULL };
	static const char *const cl_te[] = { "Host: a", "Content-Length: 5", "Transfer-Encoding: chunked", NULL };

	FLT_EQ_INT(check("HTTP/1.1", two_cl, msg, sizeof(msg)), 400);
	FLT_EQ_STR(msg, "malformed request head: more than one header 'Content-Length'");
	FLT_EQ_INT(check("HTTP/1.1", cl_te, msg, sizeof(msg)), 400);
	FLT_EQ_STR(msg, "malformed request head: both Content-Length and Transfer-Encoding");
	CHECK("HTTP/1.1", 400, "Host: a", "Content-Length: 2", "Content-Length: 2");
	CHECK("HTTP/1.1", 400, "Host: a", "Transfer-Encoding: chunked", "Transfer-Encoding: chunked");
	CHECK("HTTP/1.0", 400, "Transfer-Encoding: chunked");
	CHECK("HTTP/1.1", 400, "Host: a", "Host: b");
	CHECK("HTTP/1.1", 400, "Content-Length: 0");
}

FLT_TEST(test_transfer_codings)
{
	CHECK("HTTP/1.1", 400, "Host: a", "Transfer-Encoding: gzip");
	CHECK("HTTP/1.1", 400, "Host: a", "Transfer-Encoding: chunked, gzip");
	CHECK("HTTP/1.1", 400, "Host: a", "Transfer-Encoding: ");
	CHECK("HTTP/1.1", 400, "Host: a", "Transfer-Encoding: xchunked");
	CHECK("HTTP/1.1", 501, "Host: a", "Transfer-Encoding: gzip, chunked");
	CHECK("HTTP/1.1", 0, "Host: a", "Transfer-Encoding: chunked  ");
}

FLT_TEST(test_bad_bytes)
{
	char msg[160];
	static const char *const cr[] = { "Host: a", "X-A: b\rc", NULL };
	static const char *const sp[] = { "Host: a", "X A: b", NULL };

	FLT_EQ_INT(check("HTTP/1.1", cr, msg, sizeof(msg)), 400);
	FLT_EQ_STR(msg, "malformed request head: control character in header value 'X-A'");
	FLT_EQ_INT(check("HTTP/1.1", sp, msg, sizeof(msg)), 400);
	FLT_EQ_STR(msg, "malformed request head: invalid character in header name 'X?A'");
	CHECK("HTTP/1.1", 400, "Host: a", "X-A : b");
	CHECK("HTTP/1.1", 400, " Host: a");
	CHECK("HTTP/1.1", 400, "Host: a", "X-A: b\x01");
	CHECK("HTTP/1.1", 400, "Host: a", "X-A: b\x7f");
	CHECK("HTTP/1.1", 400, "Host: a", "X\"A: b");
	CHECK("HTTP/1.1", 400, "Host: a", ": b");
	{
		struct fl_head_check hc;
		fl_head_check_init(&hc, "HTTP/1.1");
		FLT_ASSERT(fl_head_check_field(&hc, "Host", 4, "a", 1));
		FLT_ASSERT(!fl_head_check_field(&hc, "X-A", 3, "b\0c", 3));
		FLT_EQ_INT(fl_head_check_finish(&hc, msg, sizeof(msg)), 400);
		fl_head_check_init(&hc, "HTTP/1.1");
		FLT_ASSERT(!fl_head_check_refuse(&hc, "request line not ended by CRLF", NULL, 0));
		FLT_ASSERT(!fl_head_check_field(&hc, "Host", 4, "a", 1));
		FLT_EQ_INT(fl_head_check_finish(&hc, msg, sizeof(msg)), 400);
		FLT_EQ_STR(msg, "malformed request head: request line not ended by CRLF");
	}
}

FLT_TEST(test_target)
{
	FLT_ASSERT(fl_head_target_ok("/v1/packs?x=%20"));
	FLT_ASSERT(fl_head_target_ok("http://host/v1"));
	FLT_ASSERT(!fl_head_target_ok("/v1/a b"));
	FLT_ASSERT(!fl_head_target_ok("/v1/a\tb"));
	FLT_ASSERT(!fl_head_target_ok("/v1/a\x7f"));
	FLT_ASSERT(!fl_head_target_ok("/v1/\x01"));
}

FLT_MAIN(test_ordinary_heads, test_smuggling_shapes, test_transfer_codings, test_bad_bytes, test_target)
