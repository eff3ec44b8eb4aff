/* SPDX-License-Identifier: Apache-2.0 */
/*
 * result.c - the result a handler fills, and the JSON body of event and
 * result posts.
 *
 * A result is an event name plus payload text.  Payloads are validated when
 * they are set, so a handler learns at once that its JSON is malformed, and
 * a result that reaches the retry loop can always be accepted by the server.
 */
#include "fl-common.h"

#include "internal.h"
#include "timeutil.h"

void flyte__result_init(struct flyte_result *r, const char *command)
{
	r->command = command;
	r->event = NULL;
	r->payload = NULL;
	r->attempt = 0;
	r->lease = NULL;
}

void flyte__result_release(struct flyte_result *r)
{
	free(r->event);
	free(r->payload);
	r->event = r->payload = NULL;
}

static int result_store(struct flyte_result *r, const char *event, char *payload_owned)
{
	char *ev = strdup(event);
	if (!ev) {
		free(payload_owned);
		return flyte__error_oom(NULL);
	}
	flyte__result_release(r);
	r->event = ev;
	r->payload = payload_owned;
	return FLYTE_OK;
}

FLYTE_API int flyte_result_set(struct flyte_result *r, const char *event, const char *payload_json)
{
	char *p;
	size_t off = 0;

	if (!r)
		return flyte__error(NULL, FLYTE_EMISUSE, "flyte_result_set: result is required");
	if (!event || !*event)
		return flyte__error(NULL, FLYTE_EINVALID, "invalid result: empty event name");
	if (!payload_json)
		payload_json = "null";
	if (flyte__json_check(payload_json, strlen(payload_json), &off))
		return flyte__error(NULL, FLYTE_EINVALID, "invalid payload for event '%s': bad JSON at offset %zu",
				    event, off);
	p = strdup(payload_json);
	if (!p)
		return flyte__error_oom(NULL);
	return result_store(r, event, p);
}

FLYTE_API int flyte_result_set_string(struct flyte_result *r, const char *event, const char *text)
{
	char *p = NULL;
	int rc;

	if (!r)
		return flyte__error(NULL, FLYTE_EMISUSE, "flyte_result_set_string: result is required");
	if (!event || !*event)
		return flyte__error(NULL, FLYTE_EINVALID, "invalid result: empty event name");
	rc = flyte_json_quote(&p, text ? text : "", text ? strlen(text) : 0);
	if (rc)
		return rc;
	return result_store(r, event, p);
}

FLYTE_API int flyte_result_fatal(struct flyte_result *r, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	if (vsnprintf(msg, sizeof(msg), fmt, ap) < 0)
		msg[0] = '\0';
	va_end(ap);
	if (r)
		flyte_result_set_string(r, FLYTE_EVENT_FATAL, msg);
	return -1;
}

FLYTE_API const char *flyte_result_command(const struct flyte_result *r)
{
	return r ? r->command : NULL;
}

FLYTE_API long flyte_result_attempt(const struct flyte_result *r)
{
	return r ? r->attempt : 0;
}

FLYTE_API int flyte_result_lease_lost(const struct flyte_result *r)
{
	return r && r->lease && atomic_load(&r->lease->lost) ? 1 : 0;
}

void flyte__event_body(struct fl_buf *b, const char *event, const char *payload_json)
{
	char ts[48];

	if (fl_time_format_rfc3339(ts, sizeof(ts), fl_time_now_ns(), 0, -1) < 0)
		ts[0] = '\0';
	fl_buf_adds(b, "{\"event\":");
	fl_buf_add_json_str(b, event, strlen(event));
	fl_buf_adds(b, ",\"payload\":");
	fl_buf_adds(b, payload_json ? payload_json : "null");
	if (ts[0]) {
		fl_buf_adds(b, ",\"createdAt\":\"");
		fl_buf_adds(b, ts);
		fl_buf_addc(b, '"');
	}
	fl_buf_addc(b, '}');
}
