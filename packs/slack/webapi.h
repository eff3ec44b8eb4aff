/* SPDX-License-Identifier: Apache-2.0 */
/*
 * webapi.h - calls of Slack's Web API (https://slack.com/api/<method>)
 * through the packs' HTTP client.
 *
 * Slack answers every call with a JSON object whose "ok" member says
 * whether it worked; a failure carries an "error" code such as
 * "channel_not_found" (mostly with HTTP 200).  Rate limits are HTTP 429
 * with Retry-After, which httpc honours (it retries after the given delay
 * when that is not longer than the handle's retry_max_ms).
 *
 * Arguments travel the way Slack documents them: write methods that accept
 * JSON get "application/json; charset=utf-8", the others
 * "application/x-www-form-urlencoded"; reads are GETs with a query.  The
 * token goes in the Authorization header of the handle, never in a URL.
 */
#ifndef SLACK_WEBAPI_H
#define SLACK_WEBAPI_H

#include "fl-common.h"

#include <jansson.h>

#include "httpc.h"

enum slack_call_kind {
	SLACK_CALL_GET,  /* GET <method>?<args> */
	SLACK_CALL_FORM, /* POST <args> as application/x-www-form-urlencoded */
	SLACK_CALL_JSON, /* POST json as application/json; charset=utf-8 */
};

struct slack_call {
	const char *method;        /* "chat.postMessage" */
	enum slack_call_kind kind;
	const char *args;          /* GET/FORM: escaped "k=v&k=v" (httpc_query_add), may be NULL */
	json_t *json;              /* JSON: the body (borrowed) */
	unsigned flags;            /* enum httpc_request_flags */
};

/* Slack answered "ok": false; err holds its error code (and "needed" scope). */
#define SLACK_WEB_REFUSED (-1)
/* No usable answer: transport failure, HTTP error (429 included), not JSON. */
#define SLACK_WEB_FAILED (-2)

/*
 * Make one call.
 *
 * @param answer receives the answer object on success (caller owns); NULL
 *               may be passed when it is not needed.
 * @return 0; SLACK_WEB_REFUSED with Slack's error code in err
 *         ("channel_not_found", "missing_scope (needed: groups:read)");
 *         SLACK_WEB_FAILED with a description in err ("ratelimited: HTTP 429
 *         from POST http://.../chat.postMessage (Retry-After: 30)").
 */
int slack_web_call(struct httpc *h, const struct slack_call *c, json_t **answer, char *err, size_t errlen);

#endif
