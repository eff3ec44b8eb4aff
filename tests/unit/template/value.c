/* SPDX-License-Identifier: Apache-2.0 */
/*
 * value.c - unit tests of the template value model (src/template/value.c):
 * reference counting and the live counter, objects (order, replacement, the
 * hash index), truthiness, type-strict equality, rendering and the JSON
 * bridge.
 */
#include "fl-common.h"

#include <jansson.h>
#include <math.h>

#include "buf.h"
#include "fltest.h"
#include "value.h"

static char rendered[4096];

static fl_val *pj(const char *s, unsigned flags, struct fl_error *err)
{
	return fl_val_parse_json(s, strlen(s), flags, err);
}

static const char *render(fl_val *v)
{
	struct fl_buf b = FL_BUF_INIT(0);
	fl_val_render(v, &b);
	snprintf(rendered, sizeof(rendered), "%s", b.ptr);
	fl_buf_release(&b);
	fl_val_unref(v);
	return rendered;
}

FLT_TEST(singletons_do_not_count)
{
	long before = fl_val_live_count();
	fl_val *n = fl_val_nil(), *t = fl_val_bool(true);
	FLT_EQ_INT(fl_val_live_count(), before);
	FLT_ASSERT(fl_val_ref(n) == n);
	fl_val_unref(n);
	fl_val_unref(n);
	fl_val_unref(t);
	FLT_EQ_INT(fl_val_type(n), FL_VAL_NIL);
	FLT_EQ_INT(fl_val_get_bool(fl_val_bool(true)), 1);
	FLT_EQ_INT(fl_val_live_count(), before);
}

FLT_TEST(refcount_frees_at_zero)
{
	long before = fl_val_live_count();
	fl_val *s = fl_val_strz("abc");
	FLT_EQ_INT(fl_val_live_count(), before + 1);
	fl_val_ref(s);
	fl_val_unref(s);
	FLT_EQ_INT(fl_val_live_count(), before + 1);
	fl_val_unref(s);
	FLT_EQ_INT(fl_val_live_count(), before);
	fl_val_unref(NULL);
	FLT_ASSERT(fl_val_ref(NULL) == NULL);
}

FLT_TEST(containers_release_children)
{
	long before = fl_val_live_count();
	fl_val *a = fl_val_array_new(0);
	fl_val *o = fl_val_object_new(2);
	fl_val_array_push(a, fl_val_int(1));
	fl_val_array_push(a, fl_val_strz("x"));
	fl_val_object_setz(o, "list", a);
	fl_val_object_setz(o, "n", fl_val_float(2.5));
	FLT_EQ_INT(fl_val_live_count(), before + 5);
	fl_val_unref(o);
	FLT_EQ_INT(fl_val_live_count(), before);
}

FLT_TEST(strings)
{
	size_t n;
	fl_val *s = fl_val_str("a\0b", 3);
	const char *p = fl_val_get_str(s, &n);
	FLT_EQ_INT(n, 3);
	FLT_EQ_MEM(p, n, "a\0b", 3);
	FLT_EQ_INT(p[3], 0);
	FLT_EQ_INT(fl_val_is_safe(s), 0);
	fl_val_unref(s);
	s = fl_val_str_safe("<b>", 3);
	FLT_EQ_INT(fl_val_is_safe(s), 1);
	fl_val_unref(s);
	char *own = malloc(4);
	memcpy(own, "own", 4);
	s = fl_val_str_own(own, 3);
	FLT_EQ_STR(fl_val_get_str(s, NULL), "own");
	FLT_EQ_INT(fl_val_len(s), 3);
	fl_val_unref(s);
	/* non-strings read as empty */
	s = fl_val_int(4);
	FLT_EQ_STR(fl_val_get_str(s, &n), "");
	FLT_EQ_INT(n, 0);
	fl_val_unref(s);
}

FLT_TEST(object_order_and_replace)
{
	fl_val *o = fl_val_object_new(0);
	const char *k;
	size_t kl;
	fl_val *v;

	fl_val_object_setz(o, "b", fl_val_int(1));
	fl_val_object_setz(o, "a", fl_val_int(2));
	fl_val_object_setz(o, "b", fl_val_int(3));
	FLT_EQ_INT(fl_val_len(o), 2);
	FLT_ASSERT(fl_val_object_entry(o, 0, &k, &kl, &v));
	FLT_EQ_STR(k, "b");
	FLT_EQ_INT(fl_val_get_int(v), 3);
	FLT_ASSERT(fl_val_object_entry(o, 1, &k, &kl, &v));
	FLT_EQ_STR(k, "a");
	FLT_ASSERT(!fl_val_object_entry(o, 2, &k, &kl, &v));
	FLT_ASSERT(fl_val_object_get(o, "c", 1) == NULL);
	FLT_ASSERT(fl_val_object_get(o, "ab", 1) != NULL); /* length-bounded key */
	FLT_EQ_STR(render(o), "{\"b\":3,\"a\":2}");
}

FLT_TEST(object_hash_index)
{
	fl_val *o = fl_val_object_new(0);
	char key[16];

	for (int i = 0; i < 1000; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		fl_val_object_setz(o, key, fl_val_int(i));
	}
	for (int i = 0; i < 1000; i += 7) {
		snprintf(key, sizeof(key), "k%d", i);
		fl_val *v = fl_val_object_get(o, key, strlen(key));
		FLT_ASSERT(v != NULL);
		FLT_EQ_INT(fl_val_get_int(v), i);
	}
	/* replacing through the index keeps the position */
	fl_val_object_setz(o, "k500", fl_val_strz("x"));
	FLT_EQ_INT(fl_val_len(o), 1000);
	const char *k;
	fl_val *v;
	FLT_ASSERT(fl_val_object_entry(o, 500, &k, NULL, &v));
	FLT_EQ_STR(k, "k500");
	FLT_EQ_STR(fl_val_get_str(v, NULL), "x");
	FLT_ASSERT(fl_val_object_get(o, "k1000", 5) == NULL);
	fl_val_unref(o);
}

FLT_TEST(truthiness)
{
	fl_val *v;
	FLT_ASSERT(!fl_val_truthy(fl_val_nil()));
	FLT_ASSERT(!fl_val_truthy(NULL));
	FLT_ASSERT(!fl_val_truthy(fl_val_bool(false)));
	v = fl_val_int(0);
	FLT_ASSERT(!fl_val_truthy(v));
	fl_val_unref(v);
	v = fl_val_float(0.0);
	FLT_ASSERT(!fl_val_truthy(v));
	fl_val_unref(v);
	v = fl_val_float(-0.5);
	FLT_ASSERT(fl_val_truthy(v));
	fl_val_unref(v);
	v = fl_val_strz("");
	FLT_ASSERT(!fl_val_truthy(v));
	fl_val_unref(v);
	v = fl_val_array_new(0);
	FLT_ASSERT(!fl_val_truthy(v));
	fl_val_array_push(v, fl_val_nil());
	FLT_ASSERT(fl_val_truthy(v));
	fl_val_unref(v);
	v = fl_val_time(0, 0);
	FLT_ASSERT(fl_val_truthy(v));
	fl_val_unref(v);
}

FLT_TEST(type_strict_equality)
{
	fl_val *i5 = fl_val_int(5), *f5 = fl_val_float(5.0), *s5 = fl_val_strz("5");
	fl_val *i5b = fl_val_int(5);
	FLT_ASSERT(fl_val_equal(i5, i5b));
	FLT_ASSERT(!fl_val_equal(i5, f5));
	FLT_ASSERT(!fl_val_equal(i5, s5));
	FLT_ASSERT(!fl_val_equal(fl_val_nil(), s5));
	FLT_ASSERT(fl_val_equal(fl_val_nil(), NULL));
	fl_val *nan = fl_val_float(NAN);
	FLT_ASSERT(!fl_val_equal(nan, nan));
	fl_val *a = pj("{\"x\":[1,{\"y\":\"z\"}],\"w\":null}", 0, NULL);
	fl_val *b = pj("{\"w\":null,\"x\":[1,{\"y\":\"z\"}]}", 0, NULL);
	fl_val *c = pj("{\"w\":null,\"x\":[1,{\"y\":\"q\"}]}", 0, NULL);
	FLT_ASSERT(a && b && c);
	FLT_ASSERT(fl_val_equal(a, b));
	FLT_ASSERT(!fl_val_equal(a, c));
	fl_val_unref(a);
	fl_val_unref(b);
	fl_val_unref(c);
	fl_val_unref(i5);
	fl_val_unref(i5b);
	fl_val_unref(f5);
	fl_val_unref(s5);
	fl_val_unref(nan);
}

FLT_TEST(render_scalars)
{
	FLT_EQ_STR(render(fl_val_int(0)), "0");
	FLT_EQ_STR(render(fl_val_int(-42)), "-42");
	FLT_EQ_STR(render(fl_val_int(INT64_MIN)), "-9223372036854775808");
	FLT_EQ_STR(render(fl_val_float(5)), "5.000000");
	FLT_EQ_STR(render(fl_val_float(2.5)), "2.500000");
	FLT_EQ_STR(render(fl_val_float(-0.0000001)), "-0.000000");
	FLT_EQ_STR(render(fl_val_float(NAN)), "NaN");
	FLT_EQ_STR(render(fl_val_float(INFINITY)), "+Inf");
	FLT_EQ_STR(render(fl_val_float(-INFINITY)), "-Inf");
	FLT_EQ_STR(render(fl_val_bool(true)), "True");
	FLT_EQ_STR(render(fl_val_bool(false)), "False");
	FLT_EQ_STR(render(fl_val_nil()), "");
	FLT_EQ_STR(render(fl_val_strz("as is <&>")), "as is <&>");
	FLT_EQ_STR(render(fl_val_func("f", NULL)), "");
}

FLT_TEST(render_time_like_go)
{
	/* 2022-01-02T03:04:05Z */
	FLT_EQ_STR(render(fl_val_time(INT64_C(1641092645) * 1000000000, 0)), "2022-01-02 03:04:05 +0000 UTC");
	/* fractional seconds are trimmed like Go's .999999999 */
	FLT_EQ_STR(render(fl_val_time(INT64_C(1641092645) * 1000000000 + 120000000, 0)),
		   "2022-01-02 03:04:05.12 +0000 UTC");
}

FLT_TEST(render_containers_as_json)
{
	fl_val *v = pj("[1.5, 100, 1e21, 1e-7, \"a\\\"b\", true, null, {\"k\": []}]", 0, NULL);
	FLT_ASSERT(v != NULL);
	FLT_EQ_STR(render(v), "[1.5,100,1e+21,1e-7,\"a\\\"b\",true,null,{\"k\":[]}]");
	v = fl_val_array_new(1);
	fl_val_array_push(v, fl_val_float(NAN));
	fl_val_array_push(v, fl_val_time(0, 3600));
	FLT_EQ_STR(render(v), "[null,\"1970-01-01T01:00:00+01:00\"]");
}

FLT_TEST(json_numbers)
{
	struct fl_error err = FL_ERROR_INIT;
	fl_val *v = pj("{\"i\": 5, \"f\": 2.5}", 0, &err);
	FLT_ASSERT(v != NULL);
	FLT_EQ_INT(fl_val_type(fl_val_object_get(v, "i", 1)), FL_VAL_INT);
	FLT_EQ_INT(fl_val_type(fl_val_object_get(v, "f", 1)), FL_VAL_FLOAT);
	fl_val_unref(v);
	v = pj("{\"i\": 5, \"big\": 123456789012345678901234}", FL_VAL_JSON_NUMBERS_AS_FLOAT, &err);
	FLT_ASSERT(v != NULL);
	FLT_EQ_INT(fl_val_type(fl_val_object_get(v, "i", 1)), FL_VAL_FLOAT);
	FLT_ASSERT(fl_val_get_float(fl_val_object_get(v, "big", 3)) > 1e23);
	fl_val_unref(v);
}

FLT_TEST(json_errors)
{
	struct fl_error err = FL_ERROR_INIT;
	FLT_ASSERT(pj("{\"a\":", 0, &err) == NULL);
	FLT_EQ_INT(err.code, FL_EINVALID);
	FLT_ASSERT(strstr(err.msg, "invalid JSON") != NULL);
	/* scalars are accepted */
	fl_val *v = pj("\"s\"", 0, &err);
	FLT_EQ_STR(fl_val_get_str(v, NULL), "s");
	fl_val_unref(v);
}

FLT_TEST(json_roundtrip)
{
	const char *src = "{\"a\":[1,2.5,\"x\",true,false,null],\"b\":{\"c\":\"d\"}}";
	fl_val *v = fl_val_parse_json(src, strlen(src), 0, NULL);
	json_t *j = fl_val_to_json(v);
	char *s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
	FLT_EQ_STR(s, src);
	free(s);
	json_decref(j);
	fl_val *back = NULL;
	j = json_loads(src, 0, NULL);
	back = fl_val_from_json(j, 0);
	json_decref(j);
	FLT_ASSERT(fl_val_equal(v, back));
	fl_val_unref(back);
	fl_val_unref(v);
	v = fl_val_time(0, 0);
	j = fl_val_to_json(v);
	FLT_EQ_STR(json_string_value(j), "1970-01-01T00:00:00Z");
	json_decref(j);
	fl_val_unref(v);
}

FLT_TEST(deep_nesting_is_bounded)
{
	/* a 1000-deep array renders without recursing without bound */
	fl_val *root = fl_val_array_new(1), *cur = root;
	for (int i = 0; i < 1000; i++) {
		fl_val *next = fl_val_array_new(1);
		fl_val_array_push(cur, next);
		cur = next;
	}
	struct fl_buf b = FL_BUF_INIT(0);
	fl_val_render(root, &b);
	FLT_ASSERT(b.len > 0 && b.len < 1000);
	fl_buf_release(&b);
	fl_val_unref(root);
}

FLT_MAIN(singletons_do_not_count, refcount_frees_at_zero, containers_release_children, strings,
	 object_order_and_replace, object_hash_index, truthiness, type_strict_equality, render_scalars,
	 render_time_like_go, render_containers_as_json, json_numbers, json_errors, json_roundtrip,
	 deep_nesting_is_bounded)
