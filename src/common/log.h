/* SPDX-License-Identifier: Apache-2.0 */
/*
 * log.h - levelled, categorised logging with JSON-lines or text output.
 *
 * The macros test the level before formatting anything.  Each line carries
 * the fields of an optional struct fl_log_ctx (request id, flow, execution,
 * pack) so a request can be followed through the server.  Output goes to
 * stderr by default, or to a file (fl_log_open_file).  Thread-safe: a line is
 * written with a single write(2).
 *
 * Tokens and other secrets must never be passed to these functions.
 */
#ifndef FL_LOG_H
#define FL_LOG_H

#include "fl-common.h"

enum fl_log_level {
	FL_LOG_TRACE = 0,
	FL_LOG_DEBUG,
	FL_LOG_INFO,
	FL_LOG_WARN,
	FL_LOG_ERROR,
	FL_LOG_FATAL,
	FL_LOG_OFF,
};

enum fl_log_format {
	FL_LOG_FORMAT_JSON = 0,
	FL_LOG_FORMAT_TEXT,
};

/* Per-request / per-execution context; every field may be NULL. */
struct fl_log_ctx {
	const char *request_id;
	const char *flow;
	const char *execution; /* correlation id */
	const char *pack;
	const char *action; /* what was being done, "while claiming action" */
};

extern int fl_log__level;

/* Parse a level name case-insensitively ("trace" … "panic"); -1 if unknown. */
int fl_log_level_parse(const char *name);
const char *fl_log_level_name(int level);

void fl_log_set_level(int level);
void fl_log_set_format(enum fl_log_format fmt);
/* Append logs to path (created 0640); returns 0 or -1 with errno set. */
int fl_log_open_file(const char *path);
/* Return to stderr, closing any log file. */
void fl_log_close(void);

static inline bool fl_log_enabled(int level)
{
	return level >= fl_log__level;
}

void fl_log_write(int level, const struct fl_log_ctx *ctx, const char *fmt, ...) FL_PRINTF(3, 4);

#define FL_LOG(level, ctx, ...)                                    \
	do {                                                       \
		if (fl_log_enabled(level))                         \
			fl_log_write((level), (ctx), __VA_ARGS__); \
	} while (0)

#define FL_LOG_T(ctx, ...) FL_LOG(FL_LOG_TRACE, ctx, __VA_ARGS__)
#define FL_LOG_D(ctx, ...) FL_LOG(FL_LOG_DEBUG, ctx, __VA_ARGS__)
#define FL_LOG_I(ctx, ...) FL_LOG(FL_LOG_INFO, ctx, __VA_ARGS__)
#define FL_LOG_W(ctx, ...) FL_LOG(FL_LOG_WARN, ctx, __VA_ARGS__)
#define FL_LOG_E(ctx, ...) FL_LOG(FL_LOG_ERROR, ctx, __VA_ARGS__)

#endif
