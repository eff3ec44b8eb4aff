/* SPDX-License-Identifier: Apache-2.0 */
/*
 * error.c - the error code table and the error object helpers.
 */
#include "fl-common.h"

#include "error.h"

struct err_entry {
	int code;
	int status;
	const char *name;
	const char *text;
};

static const struct err_entry err_table[] = {
#define FL__ERR_ROW(name, value, status, text) { (value), (status), #name, (text) },
	FL_ERRORS(FL__ERR_ROW)
#undef FL__ERR_ROW
};

static const struct err_entry *find(int code)
{
	for (size_t i = 0; i < FL_ARRAY_LEN(err_table); i++)
		if (err_table[i].code == code)
			return &err_table[i];
	return NULL;
}

const char *fl_err_name(int code)
{
	const struct err_entry *e = find(code);
	return e ? e->name : "EUNKNOWN";
}

const char *fl_err_str(int code)
{
	const struct err_entry *e = find(code);
	return e ? e->text : "unknown error";
}

int fl_err_http_status(int code)
{
	const struct err_entry *e = find(code);
	return e ? e->status : 500;
}

int fl_error_vset(struct fl_error *err, int code, const char *fmt, va_list ap)
{
	if (!err)
		return code;
	err->code = code;
	if (vsnprintf(err->msg, sizeof(err->msg), fmt, ap) < 0)
		err->msg[0] = '\0';
	return code;
}

int fl_error_set(struct fl_error *err, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fl_error_vset(err, code, fmt, ap);
	va_end(ap);
	return code;
}

int fl_error_set_oom(struct fl_error *err)
{
	static const char oom[] = "out of memory";
	if (!err)
		return FL_ENOMEM;
	err->code = FL_ENOMEM;
	memcpy(err->msg, oom, sizeof(oom));
	return FL_ENOMEM;
}

void fl_error_clear(struct fl_error *err)
{
	if (!err)
		return;
	err->code = FL_OK;
	err->msg[0] = '\0';
}

int fl_error_prefix(struct fl_error *err, const char *fmt, ...)
{
	char old[FL_ERROR_MSG_MAX];
	size_t n, oldlen;
	va_list ap;
	int w;

	if (!err)
		return FL_ERROR;
	memcpy(old, err->msg, sizeof(old));
	old[sizeof(old) - 1] = '\0';
	va_start(ap, fmt);
	w = vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	n = w < 0 ? 0 : FL_MIN((size_t)w, sizeof(err->msg) - 1);
	err->msg[n] = '\0';
	oldlen = strlen(old);
	if (oldlen && n + 2 < sizeof(err->msg)) {
		memcpy(err->msg + n, ": ", 2);
		n += 2;
		oldlen = FL_MIN(oldlen, sizeof(err->msg) - 1 - n);
		memcpy(err->msg + n, old, oldlen);
		err->msg[n + oldlen] = '\0';
	}
	return err->code;
}

void fl__bug(const char *file, int line, const char *msg)
{
	fprintf(stderr, "BUG: %s:%d: %s\n", file, line, msg);
	fflush(stderr);
	abort();
}
