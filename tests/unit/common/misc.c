/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for error.c, timeutil.c, oid.c and b64.c. */
#include "fl-common.h"

#include "b64.h"
#include "buf.h"
#include "error.h"
#include "fltest.h"
#include "oid.h"
#include "timeutil.h"

FLT_TEST(error_table)
{
	struct fl_error err = FL_ERROR_INIT;
	FLT_EQ_STR(fl_err_name(FL_ENOTFOUND), "ENOTFOUND");
	FLT_EQ_INT(fl_err_http_status(FL_ENOTFOUND), 404);
	FLT_EQ_INT(fl_err_http_status(FL_EINVALID), 400);
	FLT_EQ_INT(fl_err_http_status(-999), 500);
	FLT_EQ_INT(fl_error_set(&err, FL_EINVALID, "field '%s'", "name"), FL_EINVALID);
	FLT_EQ_STR(err.msg, "field 'name'");
	fl_error_prefix(&err, "flow '%s'", "f");
	FLT_EQ_STR(err.msg, "flow 'f': field 'name'");
	FLT_EQ_INT(err.code, FL_EINVALID);
}

FLT_TEST(rfc3339_round_trip)
{
	char out[64];
	int64_t ns;
	int off;
	FLT_EQ_INT(fl_time_parse_rfc3339("2022-01-02T15:04:05Z", 20, &ns, &off), 0);
	FLT_EQ_INT(off, 0);
	FLT_EQ_INT(ns, INT64_C(1641135845) * FL_NS_PER_SEC);
	fl_time_format_rfc3339(out, sizeof(out), ns, 0, 0);
	FLT_EQ_STR(out, "2022-01-02T15:04:05Z");
	const char *s = "2018-02-14T17:14:37.765525+01:00";
	FLT_EQ_INT(fl_time_parse_rfc3339(s, strlen(s), &ns, &off), 0);
	FLT_EQ_INT(off, 3600);
	fl_time_format_rfc3339(out, sizeof(out), ns, off, -1);
	FLT_EQ_STR(out, "2018-02-14T17:14:37.765525+01:00");
	fl_time_format_rfc3339(out, sizeof(out), ns, 0, 3);
	FLT_EQ_STR(out, "2018-02-14T16:14:37.765Z");
}

FLT_TEST(rfc3339_rejects_garbage)
{
	int64_t ns;
	const char *bad[] = { "", "2022-01-02", "2022-13-02T15:04:05Z", "2022-02-30T00:00:00Z",
			      "2022-01-02T15:04:05", "2022-01-02T15:04:05Zjunk", "2022-01-02T15:04:05.Z",
			      "2021-02-29T00:00:00Z", "2022-01-02 15:04:05Z" };
	for (size_t i = 0; i < FL_ARRAY_LEN(bad); i++)
		if (fl_time_parse_rfc3339(bad[i], strlen(bad[i]), &ns, NULL) == 0)
			FLT_FAIL("accepted '%s'", bad[i]);
}

FLT_TEST(oid_shape_and_order)
{
	char a[FL_OID_LEN + 1], b[FL_OID_LEN + 1];
	fl_oid_new(a);
	fl_oid_new(b);
	FLT_ASSERT(fl_oid_valid(a, strlen(a)));
	FLT_ASSERT(strcmp(a, b) != 0);
	FLT_ASSERT(!fl_oid_valid("xyz", 3));
	FLT_ASSERT(!fl_oid_valid("zzzzzzzzzzzzzzzzzzzzzzzz", 24));
}

FLT_TEST(base64_url_raw)
{
	struct fl_buf b = FL_BUF_INIT(0);
	fl_b64_encode(&b, "hello?>", 7, FL_B64_URL);
	FLT_EQ_STR(b.ptr, "aGVsbG8_Pg");
	fl_buf_reset(&b);
	fl_b64_encode(&b, "\xca\x98\xe2\x80\xbf\xca\x98", 8 - 1, FL_B64_URL);
	FLT_EQ_STR(b.ptr, "ypjigL_KmA");
	fl_buf_reset(&b);
	FLT_EQ_INT(fl_b64_decode(&b, "aGVsbG8", 7, FL_B64_URL), 0);
	FLT_EQ_STR(b.ptr, "hello");
	fl_buf_reset(&b);
	FLT_EQ_INT(fl_b64_decode(&b, "aGVsbG8=", 8, FL_B64_URL), -1);
	fl_buf_reset(&b);
	FLT_EQ_INT(fl_b64_decode(&b, "aGVsbG8/Pg", 10, FL_B64_URL), -1);
	fl_buf_reset(&b);
	FLT_EQ_INT(fl_b64_decode(&b, "aGVsbG8=", 8, FL_B64_PAD), 0);
	FLT_EQ_STR(b.ptr, "hello");
	fl_buf_release(&b);
}

/* Strict decoding refuses what Go's lenient decoder (FL_B64_LAX, the template's base64Decode) accepts. */
FLT_TEST(base64_lax_and_error_offsets)
{
	struct fl_buf b = FL_BUF_INIT(0);
	size_t off = 99;

	/* "aGk" is "hi" with two unused bits clear; "aGl" sets one of them */
	FLT_EQ_INT(fl_b64_decode(&b, "aGl", 3, FL_B64_URL), -1);
	fl_buf_reset(&b);
	FLT_EQ_INT(fl_b64_decode_at(&b, "aGl", 3, FL_B64_URL, &off), -1);
	FLT_EQ_INT(off, 2);
	fl_buf_reset(&b);
	FLT_EQ_INT(fl_b64_decode(&b, "aGl", 3, FL_B64_URL | FL_B64_LAX), 0);
	FLT_EQ_STR(b.ptr, "hi");
	fl_buf_reset(&b);
	/* CR and LF are skipped only when lax */
	FLT_EQ_INT(fl_b64_decode(&b, "aGVs\r\nbG8", 9, FL_B64_URL), -1);
	fl_buf_reset(&b);
	FLT_EQ_INT(fl_b64_decode(&b, "aGVs\r\nbG8", 9, FL_B64_URL | FL_B64_LAX), 0);
	FLT_EQ_STR(b.ptr, "hello");
	fl_buf_reset(&b);
	/* offsets: the byte outside the alphabet, or the last character of a dangling one */
	FLT_EQ_INT(fl_b64_decode_at(&b, "aGVsbG8=", 8, FL_B64_URL | FL_B64_LAX, &off), -1);
	FLT_EQ_INT(off, 7);
	fl_buf_reset(&b);
	FLT_EQ_INT(fl_b64_decode_at(&b, "aGVsb\n", 6, FL_B64_URL | FL_B64_LAX, &off), -1);
	FLT_EQ_INT(off, 4);
	fl_buf_reset(&b);
	FLT_EQ_INT(fl_b64_decode_at(&b, "a", 1, FL_B64_URL, &off), -1);
	FLT_EQ_INT(off, 0);
	fl_buf_reset(&b);
	FLT_EQ_INT(fl_b64_decode_at(&b, "", 0, FL_B64_URL | FL_B64_LAX, &off), 0);
	FLT_EQ_STR(b.ptr, "");
	fl_buf_release(&b);
}

FLT_MAIN(error_table, rfc3339_round_trip, rfc3339_rejects_garbage, oid_shape_and_order, base64_url_raw,
	 base64_lax_and_error_offsets)
