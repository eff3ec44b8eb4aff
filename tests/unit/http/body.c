// SPDX-License-Identifier: Apache-2.0
/*
 * body.c - unit tests of request body decoding (src/http/body.c): the
 * depth/element scanner, JSON and YAML selection, empty bodies and
 * Content-Length parsing.
 */
#include "fl-common.h"

#include "fltest.h"
#include "http/body.h"

static const struct fl_body_limits lim = { 4, 10, 5 };

static int scan(const char *s)
{
	struct fl_error err = FL_ERROR_INIT;
	return fl_body_json_scan(s, strlen(s), &lim, &err);
}

FLT_TEST(test_scan_depth)
{
	FLT_EQ_INT(scan("[[[[1]]]]"), FL_OK);
	FLT_EQ_INT(scan("[[[[[1]]]]]"), FL_EINVALID);
	FLT_EQ_INT(scan("{\"a\":{\"b\":{\"c\":{\"d\":{}}}}}"), FL_EINVALID);
	/* brackets inside strings, including after escaped quotes, do not count */
	FLT_EQ_INT(scan("[\"[[[[[[[[\", \"\\\"[[[[[[\"]"), FL_OK);
	/* depth goes back down */
	FLT_EQ_INT(scan("[[[[1]]],[[[2]]]]"), FL_OK);
}

FLT_TEST(test_scan_elements)
{
	FLT_EQ_INT(scan("[1,2,3,4,5,6,7,8]"), FL_OK);
	FLT_EQ_INT(scan("[1,2,3,4,5,6,7,8,9,10]"), FL_EINVALID);
	FLT_EQ_INT(scan("[\"a,b,c,d,e,f,g,h,i,j,k,l\"]"), FL_OK);
}

FLT_TEST(test_decode_json)
{
	struct fl_body_limits big = FL_BODY_LIMITS_DEFAULT;
	struct fl_error err = FL_ERROR_INIT;
	json_t *v = NULL;
	const char *ev = "{\"event\":\"Output\",\"payload\":{\"exit_code\":0}}";

	FLT_EQ_INT(fl_body_decode("text/plain", ev, strlen(ev), &big, &v, &err), FL_OK);
	FLT_EQ_STR(json_string_value(json_object_get(v, "event")), "Output");
	json_decref(v);
	FLT_EQ_INT(fl_body_decode(NULL, "null", 4, &big, &v, &err), FL_OK);
	FLT_ASSERT(json_is_null(v));
	json_decref(v);
	FLT_EQ_INT(fl_body_decode(NULL, " \r\n", 3, &big, &v, &err), FL_EINVALID);
	FLT_EQ_STR(err.msg, "request body is empty");
	FLT_EQ_INT(fl_body_decode(NULL, "{\"a\":", 5, &big, &v, &err), FL_EINVALID);
	FLT_ASSERT(strncmp(err.msg, "invalid JSON at line 1", 22) == 0);
	FLT_EQ_INT(fl_body_decode(NULL, "{} x", 4, &big, &v, &err), FL_EINVALID);
	/* NUL inside a string is refused (everything downstream is C strings) */
	FLT_EQ_INT(fl_body_decode(NULL, "\"a\\u0000b\"", 10, &big, &v, &err), FL_EINVALID);
	FLT_ASSERT(v == NULL);
}

FLT_TEST(test_decode_yaml_only_exact_type)
{
	struct fl_body_limits big = FL_BODY_LIMITS_DEFAULT;
	struct fl_error err = FL_ERROR_INIT;
	json_t *v = NULL;
	const char *y = "name: Slack\nlabels:\n  env: dev\n";

	FLT_ASSERT(fl_body_is_yaml("application/x-yaml"));
	FLT_ASSERT(!fl_body_is_yaml("application/x-yaml; charset=utf-8"));
	FLT_ASSERT(!fl_body_is_yaml("application/yaml"));
	FLT_ASSERT(!fl_body_is_yaml(NULL));
	FLT_EQ_INT(fl_body_decode("application/x-yaml", y, strlen(y), &big, &v, &err), FL_OK);
	FLT_EQ_STR(json_string_value(json_object_get(json_object_get(v, "labels"), "env")), "dev");
	json_decref(v);
	FLT_EQ_INT(fl_body_decode("application/json", y, strlen(y), &big, &v, &err), FL_EINVALID);
}

FLT_TEST(test_content_length)
{
	uint64_t n = 0;

	FLT_EQ_INT(fl_body_content_length("0", &n), FL_OK);
	FLT_EQ_INT(n, 0);
	FLT_EQ_INT(fl_body_content_length("4194305", &n), FL_OK);
	FLT_EQ_INT(n, 4194305);
	FLT_EQ_INT(fl_body_content_length("18446744073709551615", &n), FL_OK);
	FLT_EQ_INT(fl_body_content_length("18446744073709551616", &n), FL_EINVALID);
	FLT_EQ_INT(fl_body_content_length("-1", &n), FL_EINVALID);
	FLT_EQ_INT(fl_body_content_length("12a", &n), FL_EINVALID);
	FLT_EQ_INT(fl_body_content_length("", &n), FL_EINVALID);
	FLT_EQ_INT(fl_body_content_length(NULL, &n), FL_EINVALID);
}

FLT_MAIN(test_scan_depth, test_scan_elements, test_decode_json, test_decode_yaml_only_exact_type, test_content_length)
