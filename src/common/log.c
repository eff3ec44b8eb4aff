/* SPDX-License-Identifier: Apache-2.0 */
/*
 * log.c - log line formatting and the two sinks (JSON lines, text).
 */
#include "fl-common.h"

#include <fcntl.h>
#include <strings.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"
#include "timeutil.h"

int fl_log__level = FL_LOG_INFO;
static enum fl_log_format log_format = FL_LOG_FORMAT_JSON;
static int log_fd = 2;

static const char *const level_names[] = { "trace", "debug", "info", "warn", "error", "fatal", "off" };

int fl_log_level_parse(const char *name)
{
	if (!name)
		return -1;
	for (size_t i = 0; i < FL_ARRAY_LEN(level_names); i++)
		if (strcasecmp(name, level_names[i]) == 0)
			return (int)i;
	if (strcasecmp(name, "panic") == 0)
		return FL_LOG_FATAL;
	if (strcasecmp(name, "warning") == 0)
		return FL_LOG_WARN;
	return -1;
}

const char *fl_log_level_name(int level)
{
	if (level < 0 || (size_t)level >= FL_ARRAY_LEN(level_names))
		return "unknown";
	return level_names[level];
}

void fl_log_set_level(int level)
{
	fl_log__level = level;
}

void fl_log_set_format(enum fl_log_format fmt)
{
	log_format = fmt;
}

int fl_log_open_file(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
	if (fd < 0)
		return -1;
	if (log_fd > 2)
		close(log_fd);
	log_fd = fd;
	return 0;
}

void fl_log_close(void)
{
	if (log_fd > 2)
		close(log_fd);
	log_fd = 2;
}

static void add_field(struct fl_buf *b, const char *key, const char *val)
{
	if (!val)
		return;
	if (log_format == FL_LOG_FORMAT_JSON) {
		fl_buf_addf(b, ",\"%s\":", key);
		fl_buf_add_json_str(b, val, strlen(val));
	} else {
		fl_buf_addf(b, " %s=%s", key, val);
	}
}

void fl_log_write(int level, const struct fl_log_ctx *ctx, const char *fmt, ...)
{
	struct fl_buf b = FL_BUF_INIT(64 * 1024);
	char ts[64];
	char msg[2048];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n < 0)
		msg[0] = '\0';
	fl_time_format_rfc3339(ts, sizeof(ts), fl_time_now_ns(), 0, 3);

	if (log_format == FL_LOG_FORMAT_JSON) {
		fl_buf_addf(&b, "{\"ts\":\"%s\",\"level\":\"%s\",\"msg\":", ts, fl_log_level_name(level));
		fl_buf_add_json_str(&b, msg, strlen(msg));
	} else {
		fl_buf_addf(&b, "%s [%s] %s", ts, fl_log_level_name(level), msg);
	}
	if (ctx) {
		add_field(&b, "request_id", ctx->request_id);
		add_field(&b, "flow", ctx->flow);
		add_field(&b, "execution", ctx->execution);
		add_field(&b, "pack", ctx->pack);
		add_field(&b, "while", ctx->action);
	}
	if (log_format == FL_LOG_FORMAT_JSON)
		fl_buf_addc(&b, '}');
	fl_buf_addc(&b, '\n');
	if (!fl_buf_failed(&b)) {
		ssize_t w = write(log_fd, b.ptr, b.len);
		(void)w;
	}
	fl_buf_release(&b);
}
