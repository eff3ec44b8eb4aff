/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cron.h - cron expressions with the semantics of gronx v0.2.4.
 *
 * This is what the matchesCron filter evaluates: five fields
 * "min hour dom month dow" and an optional sixth field, the year; lists,
 * ranges, steps, month and weekday names, '?', L and W in the day of month,
 * L and # in the day of week, and the @yearly .. @30minutes tags.  "Due"
 * means the wall-clock minute of an instant, read in a given UTC offset,
 * matches every field.
 *
 * Parsing validates every field up front (gronx itself only reports a
 * malformed field when its evaluation reaches it), so whether an expression
 * is valid never depends on the instant.
 */
#ifndef FL_CRON_H
#define FL_CRON_H

#include "error.h"
#include "fl-common.h"

struct fl_cron;

/* Longest expression accepted (bytes). */
#define FL_CRON_MAX_LEN 1024

/*
 * Parse expr (len bytes).  Returns FL_OK and a new expression in *out
 * (caller frees with fl_cron_free), or FL_EINVALID with err set.
 */
int fl_cron_parse(struct fl_cron **out, const char *expr, size_t len, struct fl_error *err);
void fl_cron_free(struct fl_cron *c);

/* Whether the minute of instant ns (ns since the epoch), in the zone offset_sec east of UTC, is due. */
bool fl_cron_is_due(const struct fl_cron *c, int64_t ns, int offset_sec);

#endif
