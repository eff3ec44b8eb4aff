/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cron.c - cron expressions evaluated the way gronx v0.2.4 does.
 *
 * Flyte's matchesCron filter used gronx, and flows were written against its
 * exact behaviour, quirks included:
 *  - names (JAN..DEC, SUN..SAT) are replaced anywhere in the upper-cased
 *    expression, so "MON-FRI" is "1-5";
 *  - "*" and "0/" steps test value % step, so a month step "*\/2" means the
 *    even months;
 *  - in a day-of-week range only a leading 7 means Sunday ("7-1" is "0-1",
 *    "5-7" never matches Sunday); a single 7 is Sunday;
 *  - a plain "00" never matches the value 0 (only "0" does);
 *  - a malformed item in the day-of-month or day-of-week field that has no
 *    L, W or # is silently "never due"; with one of them it is an error
 *    ("LW" and a weekday "L" alone are errors);
 *  - the sixth field is the year; there is no seconds field.
 * There are no bounds checks: "0 25 * * *" is valid and never due.
 *
 * One deliberate difference: every field is validated when the expression
 * is parsed, whereas gronx reports a malformed field only when evaluation
 * reaches it, which made validity depend on the instant.
 */
#include "fl-common.h"

#include "alloc.h"
#include "buf.h"
#include "filters/cron.h"
#include "timeutil.h"

#define MAX_SEGMENTS 6

enum field { F_MINUTE, F_HOUR, F_DOM, F_MONTH, F_DOW, F_YEAR };

struct seg {
	size_t off;
	size_t len;
};

struct fl_cron {
	char *text; /* normalised expression; segments point into it */
	struct seg segs[MAX_SEGMENTS];
	unsigned nsegs;
};

struct tag {
	const char *name;
	const char *expansion;
};

static const struct tag tags[] = {
	{ "@yearly", "0 0 1 1 *" },     { "@annually", "0 0 1 1 *" },    { "@monthly", "0 0 1 * *" },
	{ "@weekly", "0 0 * * 0" },     { "@daily", "0 0 * * *" },       { "@hourly", "0 * * * *" },
	{ "@always", "* * * * *" },     { "@5minutes", "*/5 * * * *" },  { "@10minutes", "*/10 * * * *" },
	{ "@15minutes", "*/15 * * * *" }, { "@30minutes", "0,30 * * * *" },
};

static const char *const names[] = {
	"SUN", "0", "MON", "1", "TUE", "2", "WED", "3", "THU", "4",  "FRI", "5",  "SAT", "6",
	"JAN", "1", "FEB", "2", "MAR", "3", "APR", "4", "MAY", "5",  "JUN", "6",  "JUL", "7",
	"AUG", "8", "SEP", "9", "OCT", "10", "NOV", "11", "DEC", "12",
};

/* A view of a piece of the expression. */
struct piece {
	const char *p;
	size_t n;
};

static bool piece_is(struct piece s, const char *lit)
{
	size_t n = strlen(lit);
	return s.n == n && memcmp(s.p, lit, n) == 0;
}

static bool piece_has(struct piece s, char c)
{
	return s.n > 0 && memchr(s.p, c, s.n) != NULL;
}

/* Index of the first c in s, or -1. */
static long piece_index(struct piece s, char c)
{
	const char *q = s.n ? memchr(s.p, c, s.n) : NULL;
	return q ? (long)(q - s.p) : -1;
}

/* Index of the first two-byte sequence "ab" in s, or -1. */
static long piece_index2(struct piece s, char a, char b)
{
	for (size_t k = 0; k + 1 < s.n; k++) {
		if (s.p[k] == a && s.p[k + 1] == b)
			return (long)k;
	}
	return -1;
}

/* Split s at the first c: head before, tail after (tail empty when absent). */
static struct piece split_at(struct piece s, char c, struct piece *tail)
{
	long k = piece_index(s, c);
	if (k < 0) {
		*tail = (struct piece){ s.p + s.n, 0 };
		return s;
	}
	*tail = (struct piece){ s.p + k + 1, s.n - (size_t)k - 1 };
	return (struct piece){ s.p, (size_t)k };
}

/* Go's strconv.Atoi on a 64-bit platform. */
static bool go_atoi(struct piece s, int64_t *out)
{
	size_t k = 0;
	bool neg = false;
	uint64_t v = 0;

	if (s.n > 0 && (s.p[0] == '+' || s.p[0] == '-')) {
		neg = s.p[0] == '-';
		k = 1;
	}
	if (k == s.n)
		return false;
	for (; k < s.n; k++) {
		if (s.p[k] < '0' || s.p[k] > '9')
			return false;
		v = v * 10 + (uint64_t)(s.p[k] - '0');
		if (v > (uint64_t)INT64_MAX + (neg ? 1 : 0))
			return false;
	}
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return true;
}

/* --- the wall clock of the instant being checked --- */

struct when {
	int64_t year;
	int64_t month, day, hour, minute, weekday;
	int64_t last_day; /* days in the month */
	int64_t days;     /* days since the epoch of the 1st of the month */
};

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	if ((a % b != 0) && ((a < 0) != (b < 0)))
		q--;
	return q;
}

static int64_t weekday_of_days(int64_t days)
{
	return ((days % 7) + 7 + 4) % 7; /* 1970-01-01 was a Thursday */
}

static void when_init(struct when *w, int64_t ns, int offset_sec)
{
	int64_t local = floor_div(ns, FL_NS_PER_SEC) + offset_sec;
	int64_t days = floor_div(local, 86400);
	int64_t sod = local - days * 86400;
	unsigned m, d;
	int64_t y, ny;
	unsigned nm;

	fl_time_civil_from_days(days, &y, &m, &d);
	w->year = y;
	w->month = m;
	w->day = d;
	w->hour = sod / 3600;
	w->minute = sod / 60 % 60;
	w->weekday = weekday_of_days(days);
	w->days = fl_time_days_from_civil(y, m, 1);
	ny = m == 12 ? y + 1 : y;
	nm = m == 12 ? 1 : m + 1;
	w->last_day = fl_time_days_from_civil(ny, nm, 1) - w->days;
}

static int64_t value_of(const struct when *w, enum field f)
{
	switch (f) {
	case F_MINUTE:
		return w->minute;
	case F_HOUR:
		return w->hour;
	case F_DOM:
		return w->day;
	case F_MONTH:
		return w->month;
	case F_DOW:
		return w->weekday;
	case F_YEAR:
		return w->year;
	}
	return 0;
}

/* Weekday of day `d` of the month of w. */
static int64_t weekday_of(const struct when *w, int64_t d)
{
	return weekday_of_days(w->days + d - 1);
}

/*
 * --- one item of a field ---
 *
 * item_due() reproduces gronx's isOffsetDue; it returns 1 (due), 0 (not
 * due) or -1 where gronx's strconv.Atoi (or the step check) would fail.
 */

static int step_due(struct piece s, int64_t val)
{
	struct piece head, tail, rest, lo, hi;
	int64_t step, start, end = val;

	head = split_at(s, '/', &tail);
	tail = split_at(tail, '/', &rest); /* gronx reads only the second part */
	if (!go_atoi(tail, &step) || step == 0)
		return -1;
	if ((s.n >= 2 && s.p[0] == '*' && s.p[1] == '/') || (s.n >= 2 && s.p[0] == '0' && s.p[1] == '/'))
		return val % step == 0;
	lo = split_at(head, '-', &hi);
	if (!go_atoi(lo, &start))
		return -1;
	if (piece_has(head, '-')) {
		struct piece more;
		hi = split_at(hi, '-', &more);
		if (!go_atoi(hi, &end))
			return -1;
	}
	/* for i := start; i <= end && i <= val; i += step { if i == val ... } */
	if (start > end || start > val)
		return 0;
	if (step < 0)
		return start == val;
	return val <= end && (val - start) % step == 0;
}

static int range_due(struct piece s, int64_t val, enum field f)
{
	char tmp[FL_CRON_MAX_LEN];
	struct piece lo, hi, more;
	int64_t start, end;

	if (f == F_DOW) {
		/* strings.Replace(offset, "7-", "0-", 1) */
		long k = piece_index2(s, '7', '-');
		if (k >= 0 && s.n <= sizeof(tmp)) {
			memcpy(tmp, s.p, s.n);
			tmp[k] = '0';
			s.p = tmp;
		}
	}
	lo = split_at(s, '-', &hi);
	hi = split_at(hi, '-', &more);
	if (!go_atoi(lo, &start) || !go_atoi(hi, &end))
		return -1;
	return start <= val && val <= end;
}

static int item_due(struct piece s, int64_t val, enum field f)
{
	int64_t n;

	if (piece_is(s, "*") || piece_is(s, "?"))
		return 1;
	if (piece_has(s, '/'))
		return step_due(s, val);
	if (piece_has(s, '-'))
		return range_due(s, val, f);
	if (f != F_DOW && (val == 0 || piece_is(s, "0")))
		return piece_is(s, "0") && val == 0;
	if (!go_atoi(s, &n))
		return -1;
	if (f == F_DOW && n == 7)
		n = 0;
	return n == val;
}

/* The syntax check behind item_due: whether gronx's Atoi calls succeed. */
static bool item_valid(struct piece s, enum field f)
{
	int64_t ignored;

	if (piece_is(s, "*") || piece_is(s, "?"))
		return true;
	if (piece_has(s, '/'))
		return step_due(s, 0) >= 0;
	if (piece_has(s, '-'))
		return range_due(s, 0, f) >= 0;
	if (f != F_DOW && piece_is(s, "0"))
		return true;
	return go_atoi(s, &ignored);
}

/* Day of month with L or W: 1 due, 0 not, -1 malformed (gronx isValidMonthDay). */
static int monthday_due(struct piece s, const struct when *w)
{
	static const int around[] = { 0, -1, 1, -2, 2 };
	long pos;
	int64_t n;

	if (piece_is(s, "L"))
		return w ? w->day == w->last_day : 1;
	pos = piece_index(s, 'W');
	if (pos < 1 || !go_atoi((struct piece){ s.p, (size_t)pos }, &n))
		return -1;
	if (!w)
		return 1;
	for (size_t k = 0; k < FL_ARRAY_LEN(around); k++) {
		int64_t d = n + around[k];
		if (d > 0 && d <= w->last_day) {
			int64_t wd = weekday_of(w, d);
			if (wd > 0 && wd < 6)
				return w->day == d;
		}
	}
	return 0;
}

/* Day of week with L or #: 1 due, 0 not, -1 malformed (gronx isValidWeekDay). */
static int weekday_due(struct piece s, const struct when *w)
{
	long pos = piece_index(s, 'L');
	char tmp[FL_CRON_MAX_LEN];
	struct piece a, b, more;
	int64_t day, nth;

	if (pos > 0) {
		if (!go_atoi((struct piece){ s.p, (size_t)pos }, &day))
			return -1;
		if (!w)
			return 1;
		if (day == 7)
			day = 0;
		for (int64_t i = 0; i < 7; i++) {
			int64_t d = w->last_day - i;
			if (weekday_of(w, d) == day)
				return w->day == d;
		}
		return 0;
	}
	pos = piece_index(s, '#');
	if (pos < 1)
		return -1;
	/* strings.ReplaceAll(val, "7#", "0#") */
	if (s.n <= sizeof(tmp)) {
		memcpy(tmp, s.p, s.n);
		for (size_t k = 0; k + 1 < s.n; k++) {
			if (tmp[k] == '7' && tmp[k + 1] == '#')
				tmp[k] = '0';
		}
		s.p = tmp;
	}
	a = split_at(s, '#', &b);
	b = split_at(b, '#', &more);
	if (!go_atoi(a, &day) || !go_atoi(b, &nth))
		return -1;
	if (!w)
		return 1;
	if (day < 0 || day > 7 || nth < 1 || nth > 5 || w->weekday != day)
		return 0;
	return (w->day - 1) / 7 == nth - 1;
}

static bool has_lw_hash(struct piece s)
{
	return piece_has(s, 'L') || piece_has(s, 'W') || piece_has(s, '#');
}

/*
 * A whole field (gronx CheckDue).  With w == NULL only validates: returns
 * -1 when malformed, 1 otherwise.
 */
static int field_due(struct piece seg, enum field f, const struct when *w)
{
	bool special = f == F_DOM || f == F_DOW;
	struct piece rest = seg;

	for (;;) {
		struct piece tail, item = split_at(rest, ',', &tail);
		bool more = piece_has(rest, ',');
		int r;

		if (w)
			r = item_due(item, value_of(w, f), f);
		else
			r = item_valid(item, f) ? 0 : -1;
		if (r == 1)
			return 1;
		if (r < 0 && !special)
			return -1;
		if (r < 0 && has_lw_hash(item)) {
			r = f == F_DOM ? monthday_due(item, w) : weekday_due(item, w);
			if (r < 0)
				return -1;
			if (r == 1 && w)
				return 1;
		}
		if (!more)
			break;
		rest = tail;
	}
	return w ? 0 : 1;
}

/* --- parsing --- */

static bool go_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r';
}

/* gronx normalize(): tags, whitespace runs, upper case, then names. */
static void normalize(struct fl_buf *out, const char *expr, size_t len)
{
	struct fl_buf tmp = FL_BUF_INIT(0);
	size_t b = 0, e = len, k;

	while (b < e && (expr[b] == ' ' || expr[b] == '\t'))
		b++;
	while (e > b && (expr[e - 1] == ' ' || expr[e - 1] == '\t'))
		e--;
	for (k = 0; k < FL_ARRAY_LEN(tags); k++) {
		const char *t = tags[k].name;
		if (strlen(t) == e - b && strncasecmp(t, expr + b, e - b) == 0) {
			expr = tags[k].expansion;
			b = 0;
			e = strlen(expr);
			break;
		}
	}
	for (k = b; k < e;) {
		if (go_space(expr[k])) {
			fl_buf_addc(&tmp, ' ');
			while (k < e && go_space(expr[k]))
				k++;
			continue;
		}
		fl_buf_addc(&tmp, (expr[k] >= 'a' && expr[k] <= 'z') ? (char)(expr[k] - 32) : expr[k]);
		k++;
	}
	for (k = 0; k < tmp.len;) {
		size_t n;
		for (n = 0; n < FL_ARRAY_LEN(names); n += 2) {
			if (tmp.len - k >= 3 && memcmp(tmp.ptr + k, names[n], 3) == 0)
				break;
		}
		if (n < FL_ARRAY_LEN(names)) {
			fl_buf_adds(out, names[n + 1]);
			k += 3;
		} else {
			fl_buf_addc(out, tmp.ptr[k++]);
		}
	}
	fl_buf_release(&tmp);
}

int fl_cron_parse(struct fl_cron **out, const char *expr, size_t len, struct fl_error *err)
{
	struct fl_buf norm = FL_BUF_INIT(0);
	struct fl_cron *c = NULL;
	size_t k, start = 0;
	int rc;

	*out = NULL;
	if (len > FL_CRON_MAX_LEN) {
		rc = fl_error_set(err, FL_EINVALID, "cron expression longer than %d bytes", FL_CRON_MAX_LEN);
		goto done;
	}
	normalize(&norm, expr, len);
	c = fl_xcalloc(1, sizeof(*c));
	for (k = 0; k <= norm.len; k++) {
		if (k < norm.len && norm.ptr[k] != ' ')
			continue;
		if (c->nsegs == MAX_SEGMENTS) {
			rc = fl_error_set(err, FL_EINVALID, "expr should contain 5-6 segments separated by space");
			goto done;
		}
		c->segs[c->nsegs].off = start;
		c->segs[c->nsegs].len = k - start;
		c->nsegs++;
		start = k + 1;
	}
	if (c->nsegs < 5) {
		rc = fl_error_set(err, FL_EINVALID, "expr should contain 5-6 segments separated by space");
		goto done;
	}
	for (k = 0; k < c->nsegs; k++) {
		struct piece seg = { norm.ptr + c->segs[k].off, c->segs[k].len };
		if (piece_is(seg, "*") || piece_is(seg, "?"))
			continue;
		if (field_due(seg, (enum field)k, NULL) < 0) {
			rc = fl_error_set(err, FL_EINVALID, "invalid cron field '%.*s'", (int)FL_MIN(seg.n, (size_t)64),
					  seg.p);
			goto done;
		}
	}
	c->text = fl_buf_detach(&norm, NULL);
	if (!c->text) {
		rc = fl_error_set_oom(err);
		goto done;
	}
	*out = c;
	c = NULL;
	rc = FL_OK;
done:
	fl_cron_free(c);
	fl_buf_release(&norm);
	return rc;
}

void fl_cron_free(struct fl_cron *c)
{
	if (!c)
		return;
	free(c->text);
	free(c);
}

bool fl_cron_is_due(const struct fl_cron *c, int64_t ns, int offset_sec)
{
	struct when w;

	when_init(&w, ns, offset_sec);
	for (unsigned k = 0; k < c->nsegs; k++) {
		struct piece seg = { c->text + c->segs[k].off, c->segs[k].len };
		if (piece_is(seg, "*") || piece_is(seg, "?"))
			continue;
		if (field_due(seg, (enum field)k, &w) != 1)
			return false;
	}
	return true;
}
