/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for golayout.c: Go layout tokens on instants in various zone
 * offsets, including the zone-name rule ("UTC" for offset 0, the numeric
 * offset otherwise) and instants before the epoch.
 */
#include "fl-common.h"

#include "buf.h"
#include "builtin.h"
#include "fltest.h"
#include "template.h"
#include "timeutil.h"

struct layout_case {
	const char *instant; /* RFC 3339 */
	int offset;          /* the zone offset to format in, seconds east of UTC */
	const char *layout;
	const char *expected;
};

static const struct layout_case layout_cases[] = {
	{ "2018-02-14T16:14:37.765525Z", 3600, "2006-01-02T15:04:05Z07:00", "2018-02-14T17:14:37+01:00" },
	{ "2018-02-14T16:14:37.765525Z", 3600, "2006-01-02 15:04:05.999999999 -0700 MST",
	  "2018-02-14 17:14:37.765525 +0100 +0100" },
	{ "2022-01-02T03:04:05Z", 0, "2006-01-02 15:04:05.999999999 -0700 MST", "2022-01-02 03:04:05 +0000 UTC" },
	{ "2022-01-02T08:34:05Z", -19800, "-0700|-07:00|-07|Z0700|Z07:00|Z07|MST",
	  "-0530|-05:30|-05|-0530|-05:30|-05|-0530" },
	{ "2022-01-02T03:04:05Z", 0, "-0700|-07:00|-07|Z0700|Z07:00|Z07", "+0000|+00:00|+00|Z|Z|Z" },
	{ "2022-01-02T03:04:05Z", 3723, "Z07:00:00|-070000|-07:00:00|Z070000", "+01:02:03|+010203|+01:02:03|+010203" },
	{ "2022-01-02T03:04:05Z", 3723, "15:04:05", "04:06:08" },
	{ "1969-12-31T23:59:59.5Z", 0, "2006-01-02 15:04:05.999 Mon", "1969-12-31 23:59:59.5 Wed" },
	{ "2024-12-31T12:00:00Z", 0, "002 __2 Monday", "366 366 Tuesday" },
	{ "2024-01-05T12:00:00Z", 0, "002|__2|_2|2|02", "005|  5| 5|5|05" },
	{ "2022-07-09T00:00:00Z", 0, "_2006 06 1 01 Jan January", "_2022 22 7 07 Jul July" },
	{ "2022-07-09T13:05:09Z", 0, "3 03 15 4 04 5 05 PM pm", "1 01 13 5 05 9 09 PM pm" },
	{ "2022-07-09T00:05:09Z", 0, "3 PM", "12 AM" },
	{ "2022-07-09T00:05:09.000001Z", 0, ".000|.000000|,999999|.99", ".000|.000001|,000001|" },
	{ "2022-07-09T00:05:09Z", 0, "Mond Janu MSTx 2006x1", "Mond Janu UTCx 2022x7" },
	{ "2022-07-09T00:05:09Z", 0, "Janx Monx", "Janx Monx" },
	{ "2022-07-09T00:05:09Z", 0, "", "" },
	{ "2022-07-09T23:30:00Z", 3600, "2006-01-02 Mon", "2022-07-10 Sun" },
	{ "1700-03-01T00:00:00Z", 0, "2006-01-02 Mon 002", "1700-03-01 Mon 060" },
};

FLT_TEST(layout_table)
{
	for (size_t i = 0; i < FL_ARRAY_LEN(layout_cases); i++) {
		const struct layout_case *c = &layout_cases[i];
		struct fl_buf out = FL_BUF_INIT(0);
		int64_t ns;

		FLT_EQ_INT(fl_time_parse_rfc3339(c->instant, strlen(c->instant), &ns, NULL), 0);
		fl_tmpl_format_go_layout(&out, c->layout, strlen(c->layout), ns, c->offset);
		if (strcmp(out.ptr, c->expected) != 0) {
			char got[128];
			snprintf(got, sizeof(got), "%s", out.ptr);
			fl_buf_release(&out);
			FLT_FAIL("'%s' at %s%+d: got '%s', expected '%s'", c->layout, c->instant, c->offset, got,
				 c->expected);
		}
		fl_buf_release(&out);
	}
}

/* Offsets are written as Go writes them, with the sign and the seconds kept. */
FLT_TEST(negative_offsets_keep_their_seconds)
{
	struct fl_buf out = FL_BUF_INIT(0);
	static const char layout[] = "-07:00:00 Z070000 -07 MST";

	fl_tmpl_format_go_layout(&out, layout, sizeof(layout) - 1, 0, -(3 * 3600 + 30 * 60 + 15));
	FLT_EQ_STR(out.ptr, "-03:30:15 -033015 -03 -0330");
	fl_buf_release(&out);
}

/* t.Format(layout) in a template is bounded by max_output like any other output. */
FLT_TEST(format_method_respects_max_output)
{
	static const char src[] = "{{ t.Format(\"2006-01-02 2006-01-02 2006-01-02\") }}";
	struct fl_tmpl_limits lim;
	struct fl_tmpl *t = NULL;
	struct fl_error err = FL_ERROR_INIT;
	struct fl_buf out = FL_BUF_INIT(0);
	fl_val *ctx = fl_val_object_new(1);
	int rc;

	fl_tmpl_limits_default(&lim);
	lim.max_output = 16;
	fl_val_object_setz(ctx, "t", fl_val_time(0, 0));
	FLT_EQ_INT(fl_tmpl_compile(&t, src, sizeof(src) - 1, &lim, &err), FL_OK);
	rc = fl_tmpl_render(t, ctx, NULL, &out, &err);
	fl_tmpl_free(t);
	fl_val_unref(ctx);
	fl_buf_release(&out);
	FLT_EQ_INT(rc, FL_ELIMIT);
	if (!strstr(err.msg, "Format output exceeds 16 bytes"))
		FLT_FAIL("message: %s", err.msg);
}

FLT_MAIN(layout_table, negative_offsets_keep_their_seconds, format_method_respects_max_output)
