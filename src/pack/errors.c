/* SPDX-License-Identifier: Apache-2.0 */
/*
 * errors.c - error codes, the thread-local last-error message and logging
 * of libflyte.
 *
 * Every failing call records its code and a one-line message in a
 * thread-local slot, tagged with the handle the call concerned; the public
 * flyte_last_error() / flyte_client_last_error() / flyte_pack_last_error()
 * read it back.  Keeping it per thread means concurrent calls never see each
 * other's messages.  Logging goes only to the callback the application set
 * on the client; with none, the library is silent.
 */
#include "fl-common.h"

#include "error.h"
#include "internal.h"

struct err_row {
	int code;
	const char *name;
	const char *text;
};

static const struct err_row err_rows[] = {
#define ROW(name, value, text) { (value), #name, (text) },
	FLYTE_ERRORS(ROW)
#undef ROW
};

static _Thread_local struct {
	const void *handle;
	int code;
	char msg[512];
} last;

static const struct err_row *err_find(int code)
{
	for (size_t i = 0; i < FL_ARRAY_LEN(err_rows); i++)
		if (err_rows[i].code == code)
			return &err_rows[i];
	return NULL;
}

FLYTE_API const char *flyte_err_name(int code)
{
	const struct err_row *r = err_find(code);
	return r ? r->name : "EUNKNOWN";
}

FLYTE_API const char *flyte_err_str(int code)
{
	const struct err_row *r = err_find(code);
	return r ? r->text : "unknown error";
}

FLYTE_API int flyte_err_from_status(int status)
{
	if (status >= 200 && status < 300)
		return FLYTE_OK;
	switch (status) {
	case 400:
	case 422:
		return FLYTE_EINVALID;
	case 401:
		return FLYTE_EUNAUTHORIZED;
	case 403:
		return FLYTE_EFORBIDDEN;
	case 404:
		return FLYTE_ENOTFOUND;
	case 409:
		return FLYTE_ECONFLICT;
	case 413:
		return FLYTE_ETOOBIG;
	default:
		return status >= 500 && status < 600 ? FLYTE_ESERVER : FLYTE_EHTTP;
	}
}

FLYTE_API const char *flyte_last_error(void)
{
	return last.msg;
}

FLYTE_API int flyte_last_error_code(void)
{
	return last.code;
}

const char *flyte__last_error_for(const void *handle)
{
	return last.handle == handle && last.code != FLYTE_OK ? last.msg : "";
}

int flyte__error(const void *handle, int code, const char *fmt, ...)
{
	va_list ap;

	last.handle = handle;
	last.code = code;
	va_start(ap, fmt);
	if (vsnprintf(last.msg, sizeof(last.msg), fmt, ap) < 0)
		last.msg[0] = '\0';
	va_end(ap);
	return code;
}

int flyte__error_oom(const void *handle)
{
	static const char oom[] = "out of memory";

	last.handle = handle;
	last.code = FLYTE_ENOMEM;
	memcpy(last.msg, oom, sizeof(oom));
	return FLYTE_ENOMEM;
}

int flyte__error_buf(const void *handle, const struct fl_buf *b)
{
	if (b->error == FL_ETOOBIG)
		return flyte__error(handle, FLYTE_ETOOBIG, "message larger than %zu bytes", b->max);
	return flyte__error_oom(handle);
}

bool flyte__log_enabled(const struct flyte_client *c, enum flyte_log_level level)
{
	return c && c->log_fn && level >= c->log_level && level < FLYTE_LOG_NONE;
}

void flyte__log(const struct flyte_client *c, enum flyte_log_level level, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	if (!flyte__log_enabled(c, level))
		return;
	va_start(ap, fmt);
	if (vsnprintf(line, sizeof(line), fmt, ap) < 0)
		line[0] = '\0';
	va_end(ap);
	c->log_fn(level, line, c->log_payload);
}

FLYTE_API void flyte_log_stderr(enum flyte_log_level level, const char *message, void *payload)
{
	static const char *const names[] = { "debug", "info", "warning", "error" };
	const char *name = (unsigned)level < FL_ARRAY_LEN(names) ? names[level] : "log";
	char ts[40];
	struct timespec now;
	struct tm tm;

	(void)payload;
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	if (!strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm))
		ts[0] = '\0';
	/* One fprintf per line: stdio locks the stream, so lines do not interleave. */
	fprintf(stderr, "%s.%03ldZ flyte: %s: %s\n", ts, now.tv_nsec / 1000000L, name, message);
}

FLYTE_API const char *flyte_version(void)
{
	return FLYTE_VERSION;
}
