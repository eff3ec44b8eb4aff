/* SPDX-License-Identifier: Apache-2.0 */
/*
 * golayout.c - formatting instants with Go time layouts.
 *
 * Go describes a time format by writing the reference instant
 * "Mon Jan 2 15:04:05 MST 2006" the way the output should look.  This file
 * scans such a layout for the reference tokens (the same tokens and the same
 * left-to-right precedence as Go's time package) and writes the instant in
 * their place; every other byte is copied.  It serves the date/time filters,
 * the `now` tag and the default rendering of time values.
 *
 * Zone names: flyte keeps only a numeric offset with a time value, so the
 * zone abbreviation (MST) is "UTC" for offset 0 and otherwise the numeric
 * form "+0100", which is what Go prints for an unnamed fixed zone.
 */
#include "fl-common.h"

#include "builtin.h"
#include "buf.h"
#include "timeutil.h"

enum go_std {
	STD_NONE = 0,
	STD_LONG_MONTH,      /* January */
	STD_MONTH,           /* Jan */
	STD_NUM_MONTH,       /* 1 */
	STD_ZERO_MONTH,      /* 01 */
	STD_LONG_WEEKDAY,    /* Monday */
	STD_WEEKDAY,         /* Mon */
	STD_DAY,             /* 2 */
	STD_UNDER_DAY,       /* _2 */
	STD_ZERO_DAY,        /* 02 */
	STD_UNDER_YEARDAY,   /* __2 */
	STD_ZERO_YEARDAY,    /* 002 */
	STD_HOUR,            /* 15 */
	STD_HOUR12,          /* 3 */
	STD_ZERO_HOUR12,     /* 03 */
	STD_MINUTE,          /* 4 */
	STD_ZERO_MINUTE,     /* 04 */
	STD_SECOND,          /* 5 */
	STD_ZERO_SECOND,     /* 05 */
	STD_LONG_YEAR,       /* 2006 */
	STD_YEAR,            /* 06 */
	STD_PM,              /* PM */
	STD_PM_LOWER,        /* pm */
	STD_TZ,              /* MST */
	STD_ISO_TZ,          /* Z0700 */
	STD_ISO_SECONDS_TZ,  /* Z070000 */
	STD_ISO_SHORT_TZ,    /* Z07 */
	STD_ISO_COLON_TZ,    /* Z07:00 */
	STD_ISO_COLON_SEC_TZ,/* Z07:00:00 */
	STD_NUM_TZ,          /* -0700 */
	STD_NUM_SECONDS_TZ,  /* -070000 */
	STD_NUM_SHORT_TZ,    /* -07 */
	STD_NUM_COLON_TZ,    /* -07:00 */
	STD_NUM_COLON_SEC_TZ,/* -07:00:00 */
	STD_FRAC0,           /* .000 or ,000 */
	STD_FRAC9,           /* .999 or ,999 */
};

/* One recognised token: its kind, where it starts and how long it is. */
struct chunk {
	enum go_std std;
	size_t start;
	size_t len;
	unsigned frac_digits; /* for STD_FRAC0/9 */
	char frac_sep;        /* '.' or ',' */
};

/* Literal tokens tried at a given first byte, longest first. */
struct lit_token {
	const char *text;
	enum go_std std;
};

static const struct lit_token minus_tokens[] = {
	{ "-070000", STD_NUM_SECONDS_TZ }, { "-07:00:00", STD_NUM_COLON_SEC_TZ }, { "-0700", STD_NUM_TZ },
	{ "-07:00", STD_NUM_COLON_TZ },    { "-07", STD_NUM_SHORT_TZ },
};

static const struct lit_token z_tokens[] = {
	{ "Z070000", STD_ISO_SECONDS_TZ }, { "Z07:00:00", STD_ISO_COLON_SEC_TZ }, { "Z0700", STD_ISO_TZ },
	{ "Z07:00", STD_ISO_COLON_TZ },    { "Z07", STD_ISO_SHORT_TZ },
};

static const enum go_std zero_tokens[] = {
	STD_ZERO_MONTH, STD_ZERO_DAY, STD_ZERO_HOUR12, STD_ZERO_MINUTE, STD_ZERO_SECOND, STD_YEAR,
};

static const char *const long_months[] = {
	"January", "February", "March",     "April",   "May",      "June",
	"July",    "August",   "September", "October", "November", "December",
};

static const char *const long_days[] = {
	"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday",
};

static bool has_at(const char *s, size_t len, size_t i, const char *tok)
{
	size_t n = strlen(tok);
	return len - i >= n && memcmp(s + i, tok, n) == 0;
}

static bool lower_at(const char *s, size_t len, size_t i)
{
	return i < len && s[i] >= 'a' && s[i] <= 'z';
}

static bool digit_at(const char *s, size_t len, size_t i)
{
	return i < len && s[i] >= '0' && s[i] <= '9';
}

static bool match_table(const struct lit_token *t, size_t n, const char *s, size_t len, size_t i,
			struct chunk *c)
{
	for (size_t k = 0; k < n; k++) {
		if (has_at(s, len, i, t[k].text)) {
			c->std = t[k].std;
			c->start = i;
			c->len = strlen(t[k].text);
			return true;
		}
	}
	return false;
}

/* Recognise a token starting exactly at i; false when the byte is literal. */
static bool token_at(const char *s, size_t len, size_t i, struct chunk *c)
{
	c->start = i;
	switch (s[i]) {
	case 'J':
		if (has_at(s, len, i, "January")) {
			c->std = STD_LONG_MONTH, c->len = 7;
			return true;
		}
		if (has_at(s, len, i, "Jan") && !lower_at(s, len, i + 3)) {
			c->std = STD_MONTH, c->len = 3;
			return true;
		}
		return false;
	case 'M':
		if (has_at(s, len, i, "Monday")) {
			c->std = STD_LONG_WEEKDAY, c->len = 6;
			return true;
		}
		if (has_at(s, len, i, "Mon") && !lower_at(s, len, i + 3)) {
			c->std = STD_WEEKDAY, c->len = 3;
			return true;
		}
		if (has_at(s, len, i, "MST")) {
			c->std = STD_TZ, c->len = 3;
			return true;
		}
		return false;
	case '0':
		if (i + 1 < len && s[i + 1] >= '1' && s[i + 1] <= '6') {
			c->std = zero_tokens[s[i + 1] - '1'], c->len = 2;
			return true;
		}
		if (has_at(s, len, i, "002")) {
			c->std = STD_ZERO_YEARDAY, c->len = 3;
			return true;
		}
		return false;
	case '1':
		if (i + 1 < len && s[i + 1] == '5') {
			c->std = STD_HOUR, c->len = 2;
			return true;
		}
		c->std = STD_NUM_MONTH, c->len = 1;
		return true;
	case '2':
		if (has_at(s, len, i, "2006")) {
			c->std = STD_LONG_YEAR, c->len = 4;
			return true;
		}
		c->std = STD_DAY, c->len = 1;
		return true;
	case '_':
		if (i + 1 < len && s[i + 1] == '2') {
			/* "_2006" is a literal '_' followed by the long year */
			if (has_at(s, len, i + 1, "2006")) {
				c->std = STD_LONG_YEAR, c->start = i + 1, c->len = 4;
				return true;
			}
			c->std = STD_UNDER_DAY, c->len = 2;
			return true;
		}
		if (has_at(s, len, i, "__2")) {
			c->std = STD_UNDER_YEARDAY, c->len = 3;
			return true;
		}
		return false;
	case '3':
		c->std = STD_HOUR12, c->len = 1;
		return true;
	case '4':
		c->std = STD_MINUTE, c->len = 1;
		return true;
	case '5':
		c->std = STD_SECOND, c->len = 1;
		return true;
	case 'P':
		if (i + 1 < len && s[i + 1] == 'M') {
			c->std = STD_PM, c->len = 2;
			return true;
		}
		return false;
	case 'p':
		if (i + 1 < len && s[i + 1] == 'm') {
			c->std = STD_PM_LOWER, c->len = 2;
			return true;
		}
		return false;
	case '-':
		return match_table(minus_tokens, FL_ARRAY_LEN(minus_tokens), s, len, i, c);
	case 'Z':
		return match_table(z_tokens, FL_ARRAY_LEN(z_tokens), s, len, i, c);
	case '.':
	case ',':
		if (i + 1 < len && (s[i + 1] == '0' || s[i + 1] == '9')) {
			char ch = s[i + 1];
			size_t j = i + 1;
			while (j < len && s[j] == ch)
				j++;
			/* only a fraction when the run of digits ends here */
			if (!digit_at(s, len, j)) {
				c->std = ch == '0' ? STD_FRAC0 : STD_FRAC9;
				c->len = j - i;
				c->frac_digits = (unsigned)(j - i - 1);
				c->frac_sep = s[i];
				return true;
			}
		}
		return false;
	default:
		return false;
	}
}

/* Go's appendInt: optional '-', then at least `width` digits, zero padded. */
static void add_int(struct fl_buf *out, int64_t v, int width)
{
	char tmp[24];
	int n = 0;
	uint64_t u;

	if (v < 0) {
		fl_buf_addc(out, '-');
		u = (uint64_t)0 - (uint64_t)v;
	} else {
		u = (uint64_t)v;
	}
	do {
		tmp[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u > 0);
	for (int k = n; k < width; k++)
		fl_buf_addc(out, '0');
	while (n > 0)
		fl_buf_addc(out, tmp[--n]);
}

/* The broken-down wall clock of an instant in a fixed offset. */
struct civil {
	int64_t year;
	unsigned month; /* 1..12 */
	unsigned day;   /* 1..31 */
	unsigned yday;  /* 1..366 */
	unsigned wday;  /* 0 = Sunday */
	unsigned hour, min, sec;
	long nsec;
};

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	if ((a % b != 0) && ((a < 0) != (b < 0)))
		q--;
	return q;
}

static void to_civil(int64_t ns, int offset_sec, struct civil *c)
{
	int64_t secs = floor_div(ns, FL_NS_PER_SEC);
	int64_t local = secs + offset_sec;
	int64_t days = floor_div(local, 86400);
	int64_t sod = local - days * 86400;

	c->nsec = (long)(ns - secs * FL_NS_PER_SEC);
	fl_time_civil_from_days(days, &c->year, &c->month, &c->day);
	c->yday = (unsigned)(days - fl_time_days_from_civil(c->year, 1, 1) + 1);
	/* 1970-01-01 was a Thursday */
	c->wday = (unsigned)((days % 7 + 7 + 4) % 7);
	c->hour = (unsigned)(sod / 3600);
	c->min = (unsigned)(sod / 60 % 60);
	c->sec = (unsigned)(sod % 60);
}

static bool is_iso(enum go_std s)
{
	return s == STD_ISO_TZ || s == STD_ISO_SECONDS_TZ || s == STD_ISO_SHORT_TZ || s == STD_ISO_COLON_TZ ||
	       s == STD_ISO_COLON_SEC_TZ;
}

static void add_offset(struct fl_buf *out, enum go_std std, int offset)
{
	bool colon = std == STD_ISO_COLON_TZ || std == STD_NUM_COLON_TZ || std == STD_ISO_COLON_SEC_TZ ||
		     std == STD_NUM_COLON_SEC_TZ;
	bool shrt = std == STD_NUM_SHORT_TZ || std == STD_ISO_SHORT_TZ;
	bool secs = std == STD_ISO_SECONDS_TZ || std == STD_NUM_SECONDS_TZ || std == STD_ISO_COLON_SEC_TZ ||
		    std == STD_NUM_COLON_SEC_TZ;
	int zone, abs_off;

	if (offset == 0 && is_iso(std)) {
		fl_buf_addc(out, 'Z');
		return;
	}
	zone = offset / 60;
	abs_off = offset;
	if (zone < 0) {
		fl_buf_addc(out, '-');
		zone = -zone;
		abs_off = -abs_off;
	} else {
		fl_buf_addc(out, '+');
	}
	add_int(out, zone / 60, 2);
	if (colon)
		fl_buf_addc(out, ':');
	if (!shrt)
		add_int(out, zone % 60, 2);
	if (secs) {
		if (colon)
			fl_buf_addc(out, ':');
		add_int(out, abs_off % 60, 2);
	}
}

static void add_frac(struct fl_buf *out, const struct chunk *ch, long nsec)
{
	char digits[10];
	unsigned n = FL_MIN(ch->frac_digits, 9u);
	bool trim = ch->std == STD_FRAC9;

	if (trim && (n == 0 || nsec == 0))
		return;
	for (int k = 8; k >= 0; k--) {
		digits[k] = (char)('0' + nsec % 10);
		nsec /= 10;
	}
	if (trim) {
		while (n > 0 && digits[n - 1] == '0')
			n--;
		if (n == 0)
			return;
	}
	fl_buf_addc(out, ch->frac_sep);
	fl_buf_add(out, digits, n);
}

static void add_std(struct fl_buf *out, const struct chunk *ch, const struct civil *c, int offset)
{
	unsigned h12 = c->hour % 12 == 0 ? 12 : c->hour % 12;

	switch (ch->std) {
	case STD_NONE:
		break;
	case STD_LONG_MONTH:
		fl_buf_adds(out, long_months[c->month - 1]);
		break;
	case STD_MONTH:
		fl_buf_add(out, long_months[c->month - 1], 3);
		break;
	case STD_NUM_MONTH:
		add_int(out, c->month, 0);
		break;
	case STD_ZERO_MONTH:
		add_int(out, c->month, 2);
		break;
	case STD_LONG_WEEKDAY:
		fl_buf_adds(out, long_days[c->wday]);
		break;
	case STD_WEEKDAY:
		fl_buf_add(out, long_days[c->wday], 3);
		break;
	case STD_DAY:
		add_int(out, c->day, 0);
		break;
	case STD_UNDER_DAY:
		if (c->day < 10)
			fl_buf_addc(out, ' ');
		add_int(out, c->day, 0);
		break;
	case STD_ZERO_DAY:
		add_int(out, c->day, 2);
		break;
	case STD_UNDER_YEARDAY:
		if (c->yday < 100)
			fl_buf_addc(out, ' ');
		if (c->yday < 10)
			fl_buf_addc(out, ' ');
		add_int(out, c->yday, 0);
		break;
	case STD_ZERO_YEARDAY:
		add_int(out, c->yday, 3);
		break;
	case STD_HOUR:
		add_int(out, c->hour, 2);
		break;
	case STD_HOUR12:
		add_int(out, h12, 0);
		break;
	case STD_ZERO_HOUR12:
		add_int(out, h12, 2);
		break;
	case STD_MINUTE:
		add_int(out, c->min, 0);
		break;
	case STD_ZERO_MINUTE:
		add_int(out, c->min, 2);
		break;
	case STD_SECOND:
		add_int(out, c->sec, 0);
		break;
	case STD_ZERO_SECOND:
		add_int(out, c->sec, 2);
		break;
	case STD_LONG_YEAR:
		add_int(out, c->year, 4);
		break;
	case STD_YEAR:
		add_int(out, (c->year % 100 + 100) % 100, 2);
		break;
	case STD_PM:
		fl_buf_adds(out, c->hour >= 12 ? "PM" : "AM");
		break;
	case STD_PM_LOWER:
		fl_buf_adds(out, c->hour >= 12 ? "pm" : "am");
		break;
	case STD_TZ:
		if (offset == 0) {
			fl_buf_adds(out, "UTC");
		} else {
			int zone = offset / 60;
			fl_buf_addc(out, zone < 0 ? '-' : '+');
			zone = zone < 0 ? -zone : zone;
			add_int(out, zone / 60, 2);
			add_int(out, zone % 60, 2);
		}
		break;
	case STD_ISO_TZ:
	case STD_ISO_SECONDS_TZ:
	case STD_ISO_SHORT_TZ:
	case STD_ISO_COLON_TZ:
	case STD_ISO_COLON_SEC_TZ:
	case STD_NUM_TZ:
	case STD_NUM_SECONDS_TZ:
	case STD_NUM_SHORT_TZ:
	case STD_NUM_COLON_TZ:
	case STD_NUM_COLON_SEC_TZ:
		add_offset(out, ch->std, offset);
		break;
	case STD_FRAC0:
	case STD_FRAC9:
		add_frac(out, ch, c->nsec);
		break;
	}
}

void fl_tmpl_format_go_layout(struct fl_buf *out, const char *layout, size_t layout_len, int64_t ns,
			      int offset_sec)
{
	struct civil c;
	size_t i = 0, lit = 0;

	to_civil(ns, offset_sec, &c);
	while (i < layout_len) {
		struct chunk ch = { STD_NONE, 0, 0, 0, '.' };
		if (!token_at(layout, layout_len, i, &ch)) {
			i++;
			continue;
		}
		/* ch.start may be i + 1 ("_2006"); copy the literal run before it */
		fl_buf_add(out, layout + lit, ch.start - lit);
		add_std(out, &ch, &c, offset_sec);
		i = ch.start + ch.len;
		lit = i;
	}
	fl_buf_add(out, layout + lit, layout_len - lit);
}
