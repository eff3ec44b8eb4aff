/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for jsonscan.c: the nesting and size pre-scan of JSON text. */
#include "fl-common.h"

#include "fltest.h"
#include "jsonscan.h"

static enum fl_jsonscan_result scan(const char *s, size_t depth, size_t values)
{
	return fl_jsonscan_check(s, strlen(s), depth, values);
}

FLT_TEST(depth_limit_is_inclusive)
{
	FLT_EQ_INT(scan("[[1]]", 2, SIZE_MAX), FL_JSONSCAN_OK);
	FLT_EQ_INT(scan("[[1]]", 1, SIZE_MAX), FL_JSONSCAN_TOO_DEEP);
	FLT_EQ_INT(scan("{\"a\":{\"b\":[]}}", 3, SIZE_MAX), FL_JSONSCAN_OK);
	FLT_EQ_INT(scan("{\"a\":{\"b\":[]}}", 2, SIZE_MAX), FL_JSONSCAN_TOO_DEEP);
	/* siblings do not add up */
	FLT_EQ_INT(scan("[[],[],[[]]]", 3, SIZE_MAX), FL_JSONSCAN_OK);
	FLT_EQ_INT(scan("1", 0, SIZE_MAX), FL_JSONSCAN_OK);
	FLT_EQ_INT(scan("[]", 0, SIZE_MAX), FL_JSONSCAN_TOO_DEEP);
}

FLT_TEST(strings_are_skipped)
{
	FLT_EQ_INT(scan("[\"[[[[{{{{\"]", 1, SIZE_MAX), FL_JSONSCAN_OK);
	/* an escaped quote does not end the string */
	FLT_EQ_INT(scan("[\"\\\"[[[[\"]", 1, SIZE_MAX), FL_JSONSCAN_OK);
	/* an escaped backslash does */
	FLT_EQ_INT(scan("[\"\\\\\",[[]]]", 2, SIZE_MAX), FL_JSONSCAN_TOO_DEEP);
	FLT_EQ_INT(scan("[\"a,b,c,d\"]", SIZE_MAX, 2), FL_JSONSCAN_OK);
}

/* Stray closers never make room for deeper nesting later on. */
FLT_TEST(closers_do_not_go_below_zero)
{
	FLT_EQ_INT(scan("]]]]]]]][[[[", 3, SIZE_MAX), FL_JSONSCAN_TOO_DEEP);
	FLT_EQ_INT(scan("}}}[[[", 3, SIZE_MAX), FL_JSONSCAN_OK);
}

FLT_TEST(values_are_bounded)
{
	FLT_EQ_INT(scan("[1,2,3]", SIZE_MAX, 4), FL_JSONSCAN_OK);
	FLT_EQ_INT(scan("[1,2,3]", SIZE_MAX, 3), FL_JSONSCAN_TOO_MANY);
	FLT_EQ_INT(scan("{\"a\":1,\"b\":[2]}", SIZE_MAX, 4), FL_JSONSCAN_OK);
	FLT_EQ_INT(scan("{\"a\":1,\"b\":[2]}", SIZE_MAX, 3), FL_JSONSCAN_TOO_MANY);
	/* the first limit hit is the one reported */
	FLT_EQ_INT(scan("[[[1,2,3]]]", 2, 2), FL_JSONSCAN_TOO_MANY);
	FLT_EQ_INT(scan("[[[1,2,3]]]", 2, 100), FL_JSONSCAN_TOO_DEEP);
}

FLT_TEST(empty_and_truncated_text)
{
	FLT_EQ_INT(fl_jsonscan_check("", 0, 0, 1), FL_JSONSCAN_OK);
	FLT_EQ_INT(scan("[\"\\", 1, SIZE_MAX), FL_JSONSCAN_OK);
	FLT_EQ_INT(scan("\"", 0, 1), FL_JSONSCAN_OK);
}

FLT_MAIN(depth_limit_is_inclusive, strings_are_skipped, closers_do_not_go_below_zero, values_are_bounded,
	 empty_and_truncated_text)
