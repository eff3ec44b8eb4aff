/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for cron.c: a table of (expression, RFC 3339 instant, expected)
 * covering every gronx v0.2.4 feature and quirk, plus the validation rules.
 */
#include "fl-common.h"

#include "error.h"
#include "filters/cron.h"
#include "fltest.h"
#include "timeutil.h"

#define BAD (-1)

struct cron_case {
	const char *expr;
	const char *when;
	int expected; /* 1 due, 0 not due, BAD invalid expression */
};

static const struct cron_case cron_cases[] = {
	/* plain fields */
	{ "18 23 * * *", "2018-02-14T23:18:09.0481031Z", 1 },
	{ "18 23 * * *", "2018-02-14T23:19:00Z", 0 },
	{ "* * * * *", "2022-01-03T10:11:12Z", 1 },
	{ "? ? ? ? ?", "2022-01-03T10:11:12Z", 1 },
	{ "0 9 * * 1-5", "2022-01-03T09:00:59Z", 1 },
	{ "0 9 * * 1-5", "2022-01-01T09:00:00Z", 0 },          /* Saturday */
	{ "0 0 * * *", "2022-01-03T00:00:00Z", 1 },
	{ "00 0 * * *", "2022-01-03T00:00:00Z", 0 },           /* "00" never matches 0 */
	{ "5 0 * * *", "2022-01-03T00:05:00Z", 1 },
	{ "05 0 * * *", "2022-01-03T00:05:00Z", 1 },
	/* the offset of the instant is the wall clock used */
	{ "0 9 * * *", "2022-01-03T09:00:00+01:00", 1 },
	{ "0 8 * * *", "2022-01-03T09:00:00+01:00", 0 },
	{ "30 23 2 1 *", "2022-01-03T01:30:00+02:00", 0 },
	{ "30 1 3 1 1", "2022-01-03T01:30:00+02:00", 1 },
	{ "30 23 2 1 0", "2022-01-02T23:30:00-05:30", 1 },
	/* lists, ranges, steps */
	{ "1,2,3 * * * *", "2022-01-03T10:02:00Z", 1 },
	{ "1,2,3 * * * *", "2022-01-03T10:04:00Z", 0 },
	{ "*/5 * * * *", "2022-01-03T10:25:00Z", 1 },
	{ "*/5 * * * *", "2022-01-03T10:26:00Z", 0 },
	{ "0/20 * * * *", "2022-01-03T10:40:00Z", 1 },
	{ "10-20/5 * * * *", "2022-01-03T10:15:00Z", 1 },
	{ "10-20/5 * * * *", "2022-01-03T10:25:00Z", 0 },
	{ "10-20/5 * * * *", "2022-01-03T10:16:00Z", 0 },
	{ "5/15 * * * *", "2022-01-03T10:50:00Z", 1 },
	{ "5/15 * * * *", "2022-01-03T10:45:00Z", 0 },
	{ "20-10/5 * * * *", "2022-01-03T10:20:00Z", 0 },
	{ "0 9-17 * * *", "2022-01-03T17:00:00Z", 1 },
	{ "0 9-17 * * *", "2022-01-03T18:00:00Z", 0 },
	{ "0 0 1 */2 *", "2022-02-01T00:00:00Z", 1 },        /* month % 2: even months */
	{ "0 0 1 */2 *", "2022-01-01T00:00:00Z", 0 },
	/* names, any case */
	{ "0 9 * jan mon", "2022-01-03T09:00:00Z", 1 },
	{ "0 9 * JAN-MAR MON-FRI", "2022-01-07T09:00:00Z", 1 },
	{ "0 9 * feb *", "2022-01-03T09:00:00Z", 0 },
	{ "0 0 * * sun", "2022-01-02T00:00:00Z", 1 },
	/* Sunday is 0 and 7; in a range only a leading 7 */
	{ "0 0 * * 7", "2022-01-02T00:00:00Z", 1 },
	{ "0 0 * * 0", "2022-01-02T00:00:00Z", 1 },
	{ "0 0 * * 7-1", "2022-01-02T00:00:00Z", 1 },
	{ "0 0 * * 5-7", "2022-01-02T00:00:00Z", 0 },
	/* year field */
	{ "0 0 1 1 * 2022", "2022-01-01T00:00:00Z", 1 },
	{ "0 0 1 1 * 2023", "2022-01-01T00:00:00Z", 0 },
	{ "0 0 1 1 * 2020-2030", "2022-01-01T00:00:00Z", 1 },
	/* L and W in the day of month */
	{ "0 0 L * *", "2022-01-31T00:00:00Z", 1 },
	{ "0 0 L * *", "2022-01-30T00:00:00Z", 0 },
	{ "0 0 L 2 *", "2024-02-29T00:00:00Z", 1 },
	{ "0 0 15W * *", "2022-05-16T00:00:00Z", 1 },         /* the 15th is a Sunday */
	{ "0 0 15W * *", "2022-05-15T00:00:00Z", 0 },
	{ "0 0 1W * *", "2022-10-03T00:00:00Z", 1 },          /* the 1st is a Saturday */
	{ "0 0 1W * *", "2022-10-01T00:00:00Z", 0 },
	{ "0 0 3W * *", "2022-01-03T00:00:00Z", 1 },
	{ "0 0 1,L * *", "2022-01-31T00:00:00Z", 1 },
	/* L and # in the day of week */
	{ "0 0 * * 1L", "2022-01-31T00:00:00Z", 1 },          /* last Monday */
	{ "0 0 * * 1L", "2022-01-24T00:00:00Z", 0 },
	{ "0 0 * * 0L", "2022-01-30T00:00:00Z", 1 },
	{ "0 0 * * 7L", "2022-01-30T00:00:00Z", 1 },
	{ "0 0 * * 1#1", "2022-01-03T00:00:00Z", 1 },
	{ "0 0 * * 1#2", "2022-01-10T00:00:00Z", 1 },
	{ "0 0 * * 1#2", "2022-01-03T00:00:00Z", 0 },
	{ "0 0 * * 5#1", "2022-01-07T00:00:00Z", 1 },         /* the 7th is still the first week */
	{ "0 0 * * 0#5", "2022-01-30T00:00:00Z", 1 },
	{ "0 0 * * 7#5", "2022-01-30T00:00:00Z", 1 },
	{ "0 0 * * 1#6", "2022-01-31T00:00:00Z", 0 },
	/* tags */
	{ "@yearly", "2022-01-01T00:00:00Z", 1 },
	{ "@annually", "2022-01-01T00:01:00Z", 0 },
	{ "@monthly", "2022-05-01T00:00:00Z", 1 },
	{ "@weekly", "2022-01-02T00:00:00Z", 1 },
	{ "@weekly", "2022-01-03T00:00:00Z", 0 },
	{ "@daily", "2022-01-03T00:00:00Z", 1 },
	{ "@hourly", "2022-01-03T13:00:30Z", 1 },
	{ "@always", "2022-01-03T13:07:00Z", 1 },
	{ "@5minutes", "2022-01-03T13:05:00Z", 1 },
	{ "@10minutes", "2022-01-03T13:05:00Z", 0 },
	{ "@15minutes", "2022-01-03T13:45:00Z", 1 },
	{ "@30minutes", "2022-01-03T13:30:00Z", 1 },
	{ "@HOURLY", "2022-01-03T13:00:00Z", 1 },
	{ "  @daily\t", "2022-01-03T00:00:00Z", 1 },
	/* whitespace */
	{ "0  9\t*  * *", "2022-01-03T09:00:00Z", 1 },
	/* no bounds checks in this gronx version */
	{ "0 25 * * *", "2022-01-03T01:00:00Z", 0 },
	/* a malformed day-of-month/day-of-week item without L, W or # never matches */
	{ "0 0 foo * *", "2022-01-03T00:00:00Z", 0 },
	{ "0 0 3,foo * *", "2022-01-03T00:00:00Z", 1 },
	/* invalid expressions */
	{ "not a cron expression", "2022-01-03T00:00:00Z", BAD },
	{ "* * * *", "2022-01-03T00:00:00Z", BAD },
	{ "* * * * * * *", "2022-01-03T00:00:00Z", BAD },
	{ "", "2022-01-03T00:00:00Z", BAD },
	{ "@foo", "2022-01-03T00:00:00Z", BAD },
	{ "x * * * *", "2022-01-03T00:00:00Z", BAD },
	{ "*/0 * * * *", "2022-01-03T00:00:00Z", BAD },
	{ "*/x * * * *", "2022-01-03T00:00:00Z", BAD },
	{ "5- * * * *", "2022-01-03T00:00:00Z", BAD },
	{ "* * * 13x *", "2022-01-03T00:00:00Z", BAD },
	{ "0 0 LW * *", "2022-01-31T00:00:00Z", BAD },
	{ "0 0 W * *", "2022-01-31T00:00:00Z", BAD },
	{ "0 0 5L * *", "2022-01-31T00:00:00Z", BAD },
	{ "0 0 * * L", "2022-01-31T00:00:00Z", BAD },
	{ "0 0 * * #2", "2022-01-31T00:00:00Z", BAD },
	{ "0 0 * * 1#x", "2022-01-31T00:00:00Z", BAD },
	{ "0 0 * * 1W", "2022-01-31T00:00:00Z", BAD },
	{ "0 0 * * * 20x2", "2022-01-31T00:00:00Z", BAD },
};

FLT_TEST(cron_table)
{
	for (size_t i = 0; i < FL_ARRAY_LEN(cron_cases); i++) {
		const struct cron_case *c = &cron_cases[i];
		struct fl_error err = FL_ERROR_INIT;
		struct fl_cron *cron = NULL;
		int64_t ns;
		int off, got;

		FLT_EQ_INT(fl_time_parse_rfc3339(c->when, strlen(c->when), &ns, &off), 0);
		if (fl_cron_parse(&cron, c->expr, strlen(c->expr), &err) != FL_OK) {
			FLT_EQ_INT(err.code, FL_EINVALID);
			got = BAD;
		} else {
			got = fl_cron_is_due(cron, ns, off) ? 1 : 0;
		}
		fl_cron_free(cron);
		if (got != c->expected)
			FLT_FAIL("'%s' at %s: got %d, expected %d", c->expr, c->when, got, c->expected);
	}
}

FLT_TEST(overlong_expression_is_invalid)
{
	static char big[FL_CRON_MAX_LEN + 2];
	struct fl_error err = FL_ERROR_INIT;
	struct fl_cron *cron = NULL;

	memset(big, '*', sizeof(big) - 1);
	FLT_EQ_INT(fl_cron_parse(&cron, big, sizeof(big) - 1, &err), FL_EINVALID);
	FLT_ASSERT(cron == NULL);
}

FLT_TEST(huge_numbers_do_not_overflow)
{
	struct fl_error err = FL_ERROR_INIT;
	struct fl_cron *cron = NULL;
	const char *e1 = "0-9223372036854775807/9223372036854775807 * * * *";
	const char *e2 = "99999999999999999999 * * * *";
	const char *e3 = "0--5 * * * *";

	FLT_EQ_INT(fl_cron_parse(&cron, e1, strlen(e1), &err), FL_OK);
	FLT_ASSERT(fl_cron_is_due(cron, 0, 0));
	fl_cron_free(cron);
	FLT_EQ_INT(fl_cron_parse(&cron, e2, strlen(e2), &err), FL_EINVALID);
	FLT_EQ_INT(fl_cron_parse(&cron, e3, strlen(e3), &err), FL_EINVALID);
}

FLT_MAIN(cron_table, overlong_expression_is_invalid, huge_numbers_do_not_overflow)
