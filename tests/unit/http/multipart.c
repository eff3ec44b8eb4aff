// SPDX-License-Identifier: Apache-2.0
/*
 * multipart.c - unit tests of the multipart/form-data parser
 * (src/http/multipart.c).  Every body is parsed in one call and again one
 * byte at a time, and in chunks of 7; all runs must report the same parts.
 */
#include "fl-common.h"

#include "buf.h"
#include "fltest.h"
#include "http/multipart.h"

struct log {
	struct fl_buf out;
	int fail_on_begin;
};

static int on_begin(void *payload, const struct fl_multipart_part *part)
{
	struct log *l = payload;

	fl_buf_addf(&l->out, "[%s|%s%s|%s]", part->name, part->has_filename ? "file=" : "", part->filename,
		    part->content_type);
	return l->fail_on_begin ? FL_ETOOBIG : FL_OK;
}

static int on_data(void *payload, const char *data, size_t len)
{
	struct log *l = payload;

	fl_buf_add(&l->out, data, len);
	return FL_OK;
}

static int on_end(void *payload)
{
	struct log *l = payload;

	fl_buf_adds(&l->out, "{end}");
	return FL_OK;
}

static const struct fl_multipart_cb cb = { on_begin, on_data, on_end };

/* Parse body in chunks of `step` bytes (0 = all at once); returns the log or "ERR <code>: <msg>". */
static char *parse(const char *ctype, const char *body, size_t len, size_t step, int fail_on_begin);
#define PARSE(ct, body, step, fail) parse((ct), (body), strlen(body), (step), (fail))

static char *parse(const char *ctype, const char *body, size_t len, size_t step, int fail_on_begin)
{
	struct fl_multipart mp;
	struct fl_error err = FL_ERROR_INIT;
	struct log l = { FL_BUF_INIT(0), fail_on_begin };
	int rc = fl_multipart_init(&mp, ctype, &cb, &l, &err);
	char *r;

	for (size_t off = 0; rc == FL_OK && off < len;) {
		size_t n = step ? FL_MIN(step, len - off) : len;
		rc = fl_multipart_feed(&mp, body + off, n, &err);
		off += n;
	}
	if (rc == FL_OK)
		rc = fl_multipart_finish(&mp, &err);
	if (rc != FL_OK) {
		fl_buf_reset(&l.out);
		fl_buf_addf(&l.out, "ERR %d: %s", rc, err.msg);
	}
	r = fl_buf_detach(&l.out, NULL);
	fl_buf_release(&l.out);
	return r;
}

/* The same result whatever the chunking. */
static void check(const char *ctype, const char *body, size_t len, const char *want)
{
	static const size_t steps[] = { 0, 1, 2, 3, 7, 64 };

	for (size_t i = 0; i < FL_ARRAY_LEN(steps); i++) {
		char *got = parse(ctype, body, len, steps[i], 0);
		if (strcmp(got, want) != 0) {
			printf("# step %zu\n", steps[i]);
			FLT_EQ_STR(got, want);
		}
		free(got);
	}
}

#define CHECK(ct, body, want) check((ct), (body), sizeof(body) - 1, (want))

static const char *CT = "multipart/form-data; boundary=XyZ";

FLT_TEST(test_curl_style)
{
	CHECK(CT,
	      "--XyZ\r\n"
	      "Content-Disposition: form-data; name=\"description\"\r\n\r\n"
	      "teams\r\n"
	      "--XyZ\r\n"
	      "Content-Disposition: form-data; name=\"value\"; filename=\"teams.json\"\r\n"
	      "Content-Type: application/json\r\n\r\n"
	      "{\"a\":[1,2]}\r\n"
	      "--XyZ--\r\n",
	      "[description||]teams{end}[value|file=teams.json|application/json]{\"a\":[1,2]}{end}");
}

FLT_TEST(test_preamble_epilogue_padding)
{
	CHECK("Multipart/Form-Data; charset=utf-8; boundary=\"a b'c\"",
	      "ignored preamble\r\n--a b'c  \t\r\n"
	      "content-disposition: form-data; name=value\r\n\r\n"
	      "x\r\n--a b'c--epilogue is ignored\r\n--a b'c\r\n",
	      "[value||]x{end}");
}

FLT_TEST(test_data_resembling_delimiter)
{
	/* CR, LF, "--" and a boundary prefix inside the data are data */
	CHECK(CT,
	      "--XyZ\r\nContent-Disposition: form-data; name=\"value\"\r\n\r\n"
	      "a\r\nb\r\n--c\r\n--Xy\r\r\n--XyQ\r\n\r\n\r\r\n--XyZ\r\n"
	      "Content-Disposition: form-data; name=\"n\"\r\n\r\n"
	      "\r\n--XyZ--",
	      "[value||]a\r\nb\r\n--c\r\n--Xy\r\r\n--XyQ\r\n\r\n\r{end}[n||]{end}");
}

FLT_TEST(test_binary_and_empty)
{
	static const char body[] = "--XyZ\r\nContent-Disposition: form-data; name=\"value\"; filename=\"b\"\r\n\r\n"
				   "\x00\xff\x01\r\n--XyZ\r\n\r\n\r\n--XyZ--";
	check(CT, body, sizeof(body) - 1, "[value|file=b|]\x00\xff\x01{end}[||]{end}");
}

FLT_TEST(test_errors)
{
	char *r;

	r = PARSE("application/json", "x", 0, 0);
	FLT_EQ_STR(r, "ERR -5: request body is not multipart/form-data");
	free(r);
	r = PARSE("multipart/form-data", "x", 0, 0);
	FLT_EQ_STR(r, "ERR -5: multipart/form-data needs a valid boundary parameter");
	free(r);
	r = PARSE("multipart/form-data; boundary=\"unterminated", "x", 0, 0);
	FLT_EQ_STR(r, "ERR -5: multipart/form-data needs a valid boundary parameter");
	free(r);
	r = PARSE("multipart/form-data; boundary=a\x01", "x", 0, 0);
	FLT_EQ_STR(r, "ERR -5: multipart/form-data needs a valid boundary parameter");
	free(r);
	r = parse("multipart/form-data; boundary=0123456789012345678901234567890123456789012345678901234567890123456789X",
		  "x", 1, 0, 0);
	FLT_EQ_STR(r, "ERR -5: multipart/form-data needs a valid boundary parameter");
	free(r);
	r = PARSE(CT, "--XyZ\r\nContent-Disposition: form-data; name=\"v\"\r\n\r\nabc", 1, 0);
	FLT_EQ_STR(r, "ERR -5: multipart body is truncated (no closing boundary)");
	free(r);
	r = PARSE(CT, "", 0, 0);
	FLT_EQ_STR(r, "ERR -5: multipart body is truncated (no closing boundary)");
	free(r);
	r = PARSE(CT, "--XyZjunk", 0, 0);
	FLT_EQ_STR(r, "ERR -5: malformed multipart delimiter");
	free(r);
	r = PARSE(CT, "--XyZ\r\nno colon here\r\n\r\n--XyZ--", 0, 0);
	FLT_EQ_STR(r, "ERR -5: malformed multipart part header");
	free(r);
	r = PARSE(CT, "--XyZ\r\nContent-Disposition: attachment\r\n\r\n--XyZ--", 0, 0);
	FLT_EQ_STR(r, "ERR -5: multipart part is not form-data");
	free(r);
	/* a callback error stops the parse with its code */
	r = PARSE(CT, "--XyZ\r\n\r\nx\r\n--XyZ--", 0, 1);
	FLT_EQ_STR(r, "ERR -9: ");
	free(r);
}

FLT_TEST(test_limits)
{
	struct fl_buf b = FL_BUF_INIT(0);
	char *r;

	fl_buf_adds(&b, "--XyZ\r\nX-Big: ");
	for (int i = 0; i < FL_MULTIPART_MAX_HEADER; i++)
		fl_buf_addc(&b, 'a');
	fl_buf_adds(&b, "\r\n\r\n--XyZ--");
	r = parse(CT, b.ptr, b.len, 0, 0);
	FLT_EQ_STR(r, "ERR -5: multipart part headers are too large");
	free(r);
	fl_buf_reset(&b);
	for (int i = 0; i <= FL_MULTIPART_MAX_PARTS; i++)
		fl_buf_adds(&b, "--XyZ\r\n\r\n\r\n");
	fl_buf_adds(&b, "--XyZ--");
	r = parse(CT, b.ptr, b.len, 0, 0);
	FLT_EQ_STR(r, "ERR -5: multipart body has too many parts");
	free(r);
	fl_buf_release(&b);
}

FLT_MAIN(test_curl_style, test_preamble_epilogue_padding, test_data_resembling_delimiter, test_binary_and_empty,
	 test_errors, test_limits)
