// SPDX-License-Identifier: Apache-2.0
/*
 * response.c - builds HTTP responses independently of the server library,
 * including the single function that turns an error into the JSON error
 * body every failing request gets.
 */
#include "fl-common.h"

#include <strings.h>

#include "alloc.h"
#include "http/response.h"

void fl_response_init(struct fl_response *r)
{
	memset(r, 0, sizeof(*r));
	fl_buf_init(&r->body, 0);
}

void fl_response_release(struct fl_response *r)
{
	if (!r)
		return;
	free(r->content_type);
	fl_buf_release(&r->body);
	for (size_t i = 0; i < r->nheaders; i++) {
		free(r->headers[i].name);
		free(r->headers[i].value);
	}
	if (r->produce_free)
		r->produce_free(r->produce_state);
	fl_response_init(r);
}

static void drop_stream(struct fl_response *r)
{
	if (r->produce_free)
		r->produce_free(r->produce_state);
	r->produce = NULL;
	r->produce_state = NULL;
	r->produce_free = NULL;
}

void fl_response_stream(struct fl_response *r, int status, const char *content_type, fl_response_produce_fn produce,
			void *state, void (*free_state)(void *state))
{
	fl_response_set(r, status, content_type, NULL, 0);
	r->produce = produce;
	r->produce_state = state;
	r->produce_free = free_state;
}

void fl_response_set(struct fl_response *r, int status, const char *content_type, const void *body, size_t len)
{
	r->status = status;
	free(r->content_type);
	r->content_type = content_type ? fl_xstrdup(content_type) : NULL;
	drop_stream(r);
	fl_buf_release(&r->body); /* not _reset: it writes to the shared empty string */
	if (len)
		fl_buf_add(&r->body, body, len);
}

void fl_response_add_header(struct fl_response *r, const char *name, const char *value)
{
	if (r->nheaders == FL_RESPONSE_MAX_HEADERS || !value)
		return;
	r->headers[r->nheaders].name = fl_xstrdup(name);
	r->headers[r->nheaders].value = fl_xstrdup(value);
	r->nheaders++;
}

const char *fl_response_header(const struct fl_response *r, const char *name)
{
	for (size_t i = 0; i < r->nheaders; i++)
		if (strcasecmp(r->headers[i].name, name) == 0)
			return r->headers[i].value;
	return NULL;
}

struct reason {
	int status;
	const char *text;
};

static const struct reason reasons[] = {
	{ 200, "OK" },
	{ 201, "Created" },
	{ 202, "Accepted" },
	{ 204, "No Content" },
	{ 400, "Bad Request" },
	{ 401, "Unauthorized" },
	{ 403, "Forbidden" },
	{ 404, "Not Found" },
	{ 405, "Method Not Allowed" },
	{ 408, "Request Timeout" },
	{ 409, "Conflict" },
	{ 413, "Content Too Large" },
	{ 415, "Unsupported Media Type" },
	{ 422, "Unprocessable Content" },
	{ 431, "Request Header Fields Too Large" },
	{ 500, "Internal Server Error" },
	{ 501, "Not Implemented" },
	{ 503, "Service Unavailable" },
	{ 504, "Gateway Timeout" },
};

const char *fl_response_reason(int status)
{
	for (size_t i = 0; i < FL_ARRAY_LEN(reasons); i++)
		if (reasons[i].status == status)
			return reasons[i].text;
	return "Unknown";
}

void fl_response_error(struct fl_response *r, int status, const char *msg)
{
	struct fl_buf b = FL_BUF_INIT(4096);

	if (!msg || !*msg)
		msg = fl_response_reason(status);
	/* messages may quote request bytes: the escaper repairs invalid UTF-8 */
	fl_buf_adds(&b, "{\"error\":");
	fl_buf_add_json_str(&b, msg, strlen(msg));
	fl_buf_addf(&b, ",\"status\":%d}", status);
	if (fl_buf_failed(&b)) {
		fl_buf_release(&b);
		fl_buf_addf(&b, "{\"error\":\"%s\",\"status\":%d}", fl_response_reason(status), status);
	}
	fl_response_set(r, status, "application/json", b.ptr, b.len);
	fl_buf_release(&b);
}

void fl_response_from_error(struct fl_response *r, const struct fl_error *err)
{
	int code = err && err->code ? err->code : FL_ERROR;

	fl_response_error(r, fl_err_http_status(code), err && err->msg[0] ? err->msg : fl_err_str(code));
}
