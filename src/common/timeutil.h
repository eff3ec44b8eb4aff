/* SPDX-License-Identifier: Apache-2.0 */
/*
 * timeutil.h - clocks and RFC 3339 timestamps.
 *
 * Times are int64 nanoseconds since the Unix epoch (UTC).  A timestamp read
 * from text keeps its UTC offset separately (seconds east of UTC) because the
 * template language evaluates cron expressions in the timestamp's own offset.
 */
#ifndef FL_TIMEUTIL_H
#define FL_TIMEUTIL_H

#include "fl-common.h"

#define FL_NS_PER_SEC INT64_C(1000000000)
#define FL_NS_PER_MS INT64_C(1000000)

/* Wall clock, ns since the epoch. */
int64_t fl_time_now_ns(void);
/* Monotonic clock in ns (for timeouts and measurements). */
int64_t fl_time_mono_ns(void);
/* The time of clock (CLOCK_REALTIME, CLOCK_MONOTONIC) ms from now: a deadline for pthread's timed waits. */
struct timespec fl_time_deadline(clockid_t clock, long ms);

/*
 * Format ns as RFC 3339 into out (at least 40 bytes).  offset_sec is the zone
 * offset to show (0 renders "Z").  frac_digits: 0 (none), 3 (ms), 6, 9, or -1
 * for Go's RFC3339Nano style (up to 9 digits, trailing zeros removed).
 * Returns the length written, or -1 if out is too small.
 */
int fl_time_format_rfc3339(char *out, size_t outlen, int64_t ns, int offset_sec, int frac_digits);

/*
 * Parse an RFC 3339 timestamp ("2006-01-02T15:04:05.999999999Z07:00"; 'T'/'t'
 * and 'Z'/'z' accepted, fractional seconds optional).  On success stores the
 * instant in *ns and the offset in *offset_sec (may be NULL) and returns 0;
 * returns -1 on malformed input.
 */
int fl_time_parse_rfc3339(const char *s, size_t len, int64_t *ns, int *offset_sec);

/* Civil date helpers (proleptic Gregorian). */
int64_t fl_time_days_from_civil(int64_t y, unsigned m, unsigned d);
void fl_time_civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d);

#endif
