/* SPDX-License-Identifier: Apache-2.0 */
/*
 * timeutil.c - clocks, civil-date arithmetic and RFC 3339.
 */
#include "fl-common.h"

#include "timeutil.h"

int64_t fl_time_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * FL_NS_PER_SEC + ts.tv_nsec;
}

int64_t fl_time_mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * FL_NS_PER_SEC + ts.tv_nsec;
}

struct timespec fl_time_deadline(clockid_t clock, long ms)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return ts;
}

/* Howard Hinnant's days_from_civil / civil_from_days. */
int64_t fl_time_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

void fl_time_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t yy = (int64_t)yoe + era * 400;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	unsigned dd = doy - (153 * mp + 2) / 5 + 1;
	unsigned mm = mp < 10 ? mp + 3 : mp - 9;
	*y = yy + (mm <= 2);
	*m = mm;
	*d = dd;
}

static int64_t floordiv(int64_t a, int64_t b)
{
	int64_t q = a / b;
	if ((a % b != 0) && ((a < 0) != (b < 0)))
		q--;
	return q;
}

/* Write v as exactly n decimal digits (v >= 0). */
static char *put_digits(char *p, int64_t v, int n)
{
	for (int i = n - 1; i >= 0; i--, v /= 10)
		p[i] = (char)('0' + v % 10);
	return p + n;
}

/*
 * The usual form, without printf (it is written for every event and
 * result): years 0..9999, 0, 3, 6 or 9 fraction digits, any offset.
 * Returns -1 for what fl_time_format_rfc3339 formats with snprintf.
 */
static int format_fast(char *out, size_t outlen, int64_t y, unsigned mo, unsigned d, int64_t rem, int64_t frac,
		       int offset_sec, int frac_digits)
{
	char buf[48], *p = buf;
	int o = offset_sec < 0 ? -offset_sec : offset_sec;

	if (y < 0 || y > 9999 || (frac_digits != 0 && frac_digits != 3 && frac_digits != 6 && frac_digits != 9))
		return -1;
	p = put_digits(p, y, 4);
	*p++ = '-';
	p = put_digits(p, mo, 2);
	*p++ = '-';
	p = put_digits(p, d, 2);
	*p++ = 'T';
	p = put_digits(p, rem / 3600, 2);
	*p++ = ':';
	p = put_digits(p, rem / 60 % 60, 2);
	*p++ = ':';
	p = put_digits(p, rem % 60, 2);
	if (frac_digits) {
		*p++ = '.';
		p = put_digits(p, frac / (frac_digits == 3 ? 1000000 : frac_digits == 6 ? 1000 : 1), frac_digits);
	}
	if (offset_sec == 0) {
		*p++ = 'Z';
	} else {
		*p++ = offset_sec < 0 ? '-' : '+';
		p = put_digits(p, (o / 3600) % 100, 2);
		*p++ = ':';
		p = put_digits(p, (o / 60) % 60, 2);
	}
	if ((size_t)(p - buf) >= outlen)
		return -2;
	memcpy(out, buf, (size_t)(p - buf));
	out[p - buf] = '\0';
	return (int)(p - buf);
}

int fl_time_format_rfc3339(char *out, size_t outlen, int64_t ns, int offset_sec, int frac_digits)
{
	int64_t local = ns + (int64_t)offset_sec * FL_NS_PER_SEC;
	int64_t secs = floordiv(local, FL_NS_PER_SEC);
	int64_t frac = local - secs * FL_NS_PER_SEC;
	int64_t days = floordiv(secs, 86400);
	int64_t rem = secs - days * 86400;
	int64_t y;
	unsigned mo, d;
	char fracbuf[32] = "";
	char zone[16];
	int n;

	fl_time_civil_from_days(days, &y, &mo, &d);
	n = format_fast(out, outlen, y, mo, d, rem, frac, offset_sec, frac_digits);
	if (n != -1)
		return n < 0 ? -1 : n;
	if (frac_digits == 3)
		snprintf(fracbuf, sizeof(fracbuf), ".%03" PRId64, frac / 1000000);
	else if (frac_digits == 6)
		snprintf(fracbuf, sizeof(fracbuf), ".%06" PRId64, frac / 1000);
	else if (frac_digits == 9)
		snprintf(fracbuf, sizeof(fracbuf), ".%09" PRId64, frac);
	else if (frac_digits < 0 && frac) {
		snprintf(fracbuf, sizeof(fracbuf), ".%09" PRId64, frac);
		size_t l = strlen(fracbuf);
		while (l > 1 && fracbuf[l - 1] == '0')
			fracbuf[--l] = '\0';
	}
	if (offset_sec == 0) {
		zone[0] = 'Z';
		zone[1] = '\0';
	} else {
		int o = offset_sec < 0 ? -offset_sec : offset_sec;
		snprintf(zone, sizeof(zone), "%c%02d:%02d", offset_sec < 0 ? '-' : '+', (o / 3600) % 100, (o / 60) % 60);
	}
	n = snprintf(out, outlen, "%04" PRId64 "-%02u-%02uT%02d:%02d:%02d%s%s", y, mo, d, (int)(rem / 3600),
		     (int)(rem / 60 % 60), (int)(rem % 60), fracbuf, zone);
	if (n < 0 || (size_t)n >= outlen)
		return -1;
	return n;
}

static int digits(const char *s, size_t n, int *out)
{
	int v = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

int fl_time_parse_rfc3339(const char *s, size_t len, int64_t *ns, int *offset_sec)
{
	int y, mo, d, h, mi, se, oh, om;
	int64_t frac = 0;
	size_t i = 19;
	int off = 0;
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (len < 20)
		return -1;
	if (digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &mo) || s[7] != '-' || digits(s + 8, 2, &d) ||
	    (s[10] != 'T' && s[10] != 't') || digits(s + 11, 2, &h) || s[13] != ':' || digits(s + 14, 2, &mi) ||
	    s[16] != ':' || digits(s + 17, 2, &se))
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 || mi > 59 || se > 59)
		return -1;
	if (mo == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return -1;
	if (s[i] == '.') {
		size_t start = ++i;
		int64_t scale = FL_NS_PER_SEC;
		while (i < len && s[i] >= '0' && s[i] <= '9') {
			if (i - start < 9) {
				scale /= 10;
				frac += (s[i] - '0') * scale;
			}
			i++;
		}
		if (i == start)
			return -1;
	}
	if (i >= len)
		return -1;
	if (s[i] == 'Z' || s[i] == 'z') {
		i++;
	} else if (s[i] == '+' || s[i] == '-') {
		if (len - i < 6 || digits(s + i + 1, 2, &oh) || s[i + 3] != ':' || digits(s + i + 4, 2, &om) ||
		    oh > 23 || om > 59)
			return -1;
		off = oh * 3600 + om * 60;
		if (s[i] == '-')
			off = -off;
		i += 6;
	} else {
		return -1;
	}
	if (i != len)
		return -1;
	int64_t days = fl_time_days_from_civil(y, (unsigned)mo, (unsigned)d);
	int64_t secs = days * 86400 + h * 3600 + mi * 60 + se - off;
	if (secs >= INT64_MAX / FL_NS_PER_SEC || secs <= INT64_MIN / FL_NS_PER_SEC)
		return -1; /* beyond what int64 nanoseconds can hold (years before 1678 or after 2262) */
	*ns = secs * FL_NS_PER_SEC + frac;
	if (offset_sec)
		*offset_sec = off;
	return 0;
}
