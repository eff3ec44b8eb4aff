/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for the filter tables and the helpers behind the filters:
 * lookup by name, Go's ParseFloat (conv.c), strconv float formatting and
 * fmt.Sprintf (gofmt.c), UTF-8 case mapping (unicase.c), and a compiled
 * regex shared by several threads.
 */
#include "fl-common.h"

#include <math.h>
#include <pthread.h>

#include "buf.h"
#include "builtin.h"
#include "filters/conv.h"
#include "filters/gofmt.h"
#include "filters/regex.h"
#include "filters/unicase.h"
#include "fltest.h"

FLT_TEST(every_table_row_is_found_and_documented)
{
	const struct fl_tmpl_filter *tables[] = { fl_tmpl_filters_builtin, fl_tmpl_filters_flyte };
	size_t count = 0;

	for (size_t t = 0; t < FL_ARRAY_LEN(tables); t++) {
		for (const struct fl_tmpl_filter *f = tables[t]; f->name; f++) {
			FLT_ASSERT(fl_tmpl_filter_find(f->name, strlen(f->name)) == f);
			FLT_ASSERT(f->fn != NULL);
			FLT_ASSERT(f->help != NULL && f->help[0] != '\0');
			FLT_ASSERT((f->prepare == NULL) == (f->state_free == NULL));
			count++;
		}
	}
	FLT_EQ_INT(count, 50 + 8);
	for (const struct fl_tmpl_function *f = fl_tmpl_functions; f->name; f++) {
		FLT_ASSERT(fl_tmpl_function_find(f->name, strlen(f->name)) == f);
		FLT_ASSERT(f->help != NULL && f->help[0] != '\0');
	}
}

FLT_TEST(lookup_needs_the_exact_name)
{
	FLT_ASSERT(fl_tmpl_filter_find("upper", 5) != NULL);
	FLT_ASSERT(fl_tmpl_filter_find("uppe", 4) == NULL);
	FLT_ASSERT(fl_tmpl_filter_find("upperx", 6) == NULL);
	FLT_ASSERT(fl_tmpl_filter_find("upperx", 5) != NULL); /* a slice of a longer buffer */
	FLT_ASSERT(fl_tmpl_filter_find("Upper", 5) == NULL);
	FLT_ASSERT(fl_tmpl_filter_find("", 0) == NULL);
	FLT_ASSERT(fl_tmpl_filter_find("up\0per", 6) == NULL);
	FLT_ASSERT(fl_tmpl_function_find("randomInt", 9) != NULL);
	FLT_ASSERT(fl_tmpl_function_find("randomint", 9) == NULL);
	FLT_ASSERT(fl_tmpl_function_find("upper", 5) == NULL);
}

struct float_case {
	const char *text;
	bool ok;
	double value;
};

FLT_TEST(parse_float_follows_go)
{
	static const struct float_case cases[] = {
		{ "1", true, 1 },         { "-2.5", true, -2.5 },  { "+.5", true, 0.5 },     { "5.", true, 5 },
		{ "1e3", true, 1000 },    { "1E-2", true, 0.01 },  { "0x1p-2", true, 0.25 }, { "0X1.8P1", true, 3 },
		{ "1_000", true, 1000 },  { "0x_1p0", true, 1 },   { "inf", true, INFINITY }, { "-Infinity", true, -INFINITY },
		{ "", false, 0 },         { " 1", false, 0 },      { "1 ", false, 0 },       { "1e", false, 0 },
		{ ".", false, 0 },        { "0x1", false, 0 },     { "1__0", false, 0 },     { "_1", false, 0 },
		{ "1_", false, 0 },       { "+nan", false, 0 },    { "infin", false, 0 },    { "1e400", false, 0 },
		{ "1.2.3", false, 0 },    { "0x", false, 0 },      { "e5", false, 0 },       { "1e-400", true, 0 },
	};
	for (size_t i = 0; i < FL_ARRAY_LEN(cases); i++) {
		double d = -12345;
		bool ok = fl_conv_parse_float(cases[i].text, strlen(cases[i].text), &d);
		if (ok != cases[i].ok)
			FLT_FAIL("'%s': got ok=%d", cases[i].text, ok);
		if (ok && d != cases[i].value)
			FLT_FAIL("'%s': got %g, expected %g", cases[i].text, d, cases[i].value);
	}
	{
		double d = 0;
		FLT_ASSERT(fl_conv_parse_float("NaN", 3, &d) && isnan(d));
	}
}

FLT_TEST(float_to_int_like_amd64)
{
	FLT_EQ_INT(fl_conv_f2i(3.9), 3);
	FLT_EQ_INT(fl_conv_f2i(-3.9), -3);
	FLT_ASSERT(fl_conv_f2i(NAN) == INT64_MIN);
	FLT_ASSERT(fl_conv_f2i(1e19) == INT64_MIN);
	FLT_ASSERT(fl_conv_f2i(-1e19) == INT64_MIN);
}

struct fmt_float_case {
	double d;
	char verb;
	int prec;
	const char *expected;
};

FLT_TEST(format_float_follows_strconv)
{
	static const struct fmt_float_case cases[] = {
		{ 0.1, 'g', -1, "0.1" },          { 1e21, 'g', -1, "1e+21" },         { 5e-324, 'g', -1, "5e-324" },
		{ 123456789.0, 'g', -1, "1.23456789e+08" }, { 100000, 'g', -1, "100000" }, { 1e6, 'g', -1, "1e+06" },
		{ -0.0, 'g', -1, "-0" },          { 0, 'e', -1, "0e+00" },            { 1.5, 'e', -1, "1.5e+00" },
		{ 0.000123, 'f', -1, "0.000123" }, { 1e20, 'f', -1, "100000000000000000000" },
		{ 2.5, 'f', 0, "2" },             { 0.125, 'f', 2, "0.12" },          { 1.0 / 3, 'f', 3, "0.333" },
		{ 5, 'x', -1, "0x1.4p+02" },      { 5, 'b', -1, "5629499534213120p-50" }, { NAN, 'g', -1, "NaN" },
		{ -INFINITY, 'f', 2, "-Inf" },    { 1, 'f', 1105, NULL },
	};
	for (size_t i = 0; i < FL_ARRAY_LEN(cases); i++) {
		struct fl_buf b = FL_BUF_INIT(0);
		fl_gofmt_float(&b, cases[i].d, cases[i].verb, cases[i].prec);
		if (cases[i].expected && strcmp(b.ptr, cases[i].expected) != 0) {
			char got[64];
			snprintf(got, sizeof(got), "%s", b.ptr);
			fl_buf_release(&b);
			FLT_FAIL("%g %c %d: got '%s', expected '%s'", cases[i].d, cases[i].verb, cases[i].prec, got,
				 cases[i].expected);
		}
		if (!cases[i].expected) {
			/* very long precisions are padded with zeros */
			FLT_EQ_INT(b.len, 2 + 1105);
			FLT_ASSERT(strspn(b.ptr + 2, "0") == 1105);
		}
		fl_buf_release(&b);
	}
}

FLT_TEST(sprintf_widths_are_bounded)
{
	struct fl_buf b = FL_BUF_INIT(4096);
	fl_val *v = fl_val_int(7);

	fl_gofmt_sprintf(&b, "%100000000d", 12, v);
	FLT_EQ_STR(b.ptr, "%!(NOVERB)%!(EXTRA int=7)");
	fl_buf_reset(&b);
	fl_gofmt_sprintf(&b, "%5000d", 6, v);
	FLT_ASSERT(fl_buf_failed(&b)); /* the buffer cap stops it */
	fl_buf_release(&b);
	fl_val_unref(v);
}

FLT_TEST(case_mapping)
{
	struct fl_buf b = FL_BUF_INIT(0);
	const char *s = "Ab\xc3\xa9\xce\xa3\xd0\xb6\xff";

	fl_unicase_map(&b, s, strlen(s), FL_UNICASE_UPPER);
	FLT_EQ_STR(b.ptr, "AB\xc3\x89\xce\xa3\xd0\x96\xef\xbf\xbd"); /* invalid byte becomes U+FFFD */
	fl_buf_reset(&b);
	fl_unicase_map(&b, s, strlen(s), FL_UNICASE_LOWER);
	FLT_EQ_STR(b.ptr, "ab\xc3\xa9\xcf\x83\xd0\xb6\xef\xbf\xbd");
	fl_buf_release(&b);
	FLT_EQ_INT(fl_unicase_upper(0x101), 0x100);
	FLT_EQ_INT(fl_unicase_lower(0x100), 0x101);
	FLT_EQ_INT(fl_unicase_upper(0x13A), 0x139);
	FLT_EQ_INT(fl_unicase_upper(0x3C2), 0x3A3);
	FLT_EQ_INT(fl_unicase_lower(0x130), 'i');
	FLT_EQ_INT(fl_unicase_upper(0xDF), 0xDF);
	FLT_EQ_INT(fl_unicase_title(0x1C6), 0x1C5);
	FLT_EQ_INT(fl_unicase_upper(0x4E2D), 0x4E2D);
	FLT_EQ_INT(fl_utf8_count("a\xff\xe2\x80\xbf", 5), 3);
}

FLT_TEST(trim_space_is_unicode_aware)
{
	const char *s = "\xc2\xa0 \t x y \xe3\x80\x80\n";
	size_t n = strlen(s);

	fl_unicase_trim_space(&s, &n);
	FLT_EQ_MEM(s, n, "x y", 3);
	s = "\xe2\x80";
	n = 2;
	fl_unicase_trim_space(&s, &n);
	FLT_EQ_INT(n, 2);
	s = " \xff ";
	n = 3;
	fl_unicase_trim_space(&s, &n);
	FLT_EQ_MEM(s, n, "\xff", 1);
}

struct shared_regex {
	const struct fl_regex *re;
	int matches;
};

static void *match_many(void *arg)
{
	struct shared_regex *sh = arg;
	const struct fl_regex_limits lim = { 100000, 1000 };
	struct fl_error err = FL_ERROR_INIT;
	char subject[32];

	sh->matches = 0;
	for (int i = 0; i < 2000; i++) {
		int n = snprintf(subject, sizeof(subject), "build-%d done", i);
		if (fl_regex_match(sh->re, subject, (size_t)n, &lim, &err) == 1)
			sh->matches++;
	}
	return NULL;
}

FLT_TEST(compiled_regex_is_shared_by_threads)
{
	struct fl_error err = FL_ERROR_INIT;
	struct fl_regex *re = NULL;
	struct shared_regex sh[4];
	pthread_t th[4];
	const char *pat = "^build-\\d*7 done$";

	FLT_EQ_INT(fl_regex_compile(&re, pat, strlen(pat), 0, &err), 0);
	for (int i = 0; i < 4; i++) {
		sh[i].re = re;
		FLT_EQ_INT(pthread_create(&th[i], NULL, match_many, &sh[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		FLT_EQ_INT(sh[i].matches, 200);
	}
	fl_regex_free(re);
}

FLT_MAIN(every_table_row_is_found_and_documented, lookup_needs_the_exact_name, parse_float_follows_go,
	 float_to_int_like_amd64, format_float_follows_strconv, sprintf_widths_are_bounded, case_mapping,
	 trim_space_is_unicode_aware, compiled_regex_is_shared_by_threads)
