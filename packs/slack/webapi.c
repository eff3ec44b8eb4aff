/* SPDX-License-Identifier: Apache-2.0 */
/*
 * webapi.c - one call of Slack's Web API (see webapi.h).
 */
#include "fl-common.h"

#include "webapi.h"

int slack_web_call(struct httpc *h, const struct slack_call *c, json_t **answer, char *err, size_t errlen)
{
	struct httpc_request q = { .flags = c->flags };
	struct httpc_response r;
	char path[128], desc[600];
	json_t *j = NULL;
	char *body = NULL;
	int rc = SLACK_WEB_FAILED;

	if (answer)
		*answer = NULL;
	httpc_response_init(&r);
	snprintf(path, sizeof(path), "/%s", c->method);
	q.path = path;
	switch (c->kind) {
	case SLACK_CALL_GET:
		q.method = "GET";
		q.query = c->args;
		break;
	case SLACK_CALL_FORM:
		q.method = "POST";
		q.body = c->args ? c->args : "";
		q.body_len = strlen(q.body);
		q.content_type = "application/x-www-form-urlencoded";
		break;
	case SLACK_CALL_JSON:
		q.method = "POST";
		body = json_dumps(c->json, JSON_COMPACT);
		if (!body) {
			snprintf(err, errlen, "cannot serialise the arguments of %s", c->method);
			goto out;
		}
		q.body = body;
		q.body_len = strlen(body);
		q.content_type = "application/json; charset=utf-8";
		break;
	}
	if (httpc_send(h, &q, &r) != FLYTE_OK) {
		httpc_describe(err, errlen, h, &r);
		goto out;
	}
	if (r.status == 429) {
		const char *ra = httpc_response_header(&r, "Retry-After");
		httpc_describe(desc, sizeof(desc), h, &r);
		snprintf(err, errlen, "ratelimited: %s (Retry-After: %s)", desc, ra ? ra : "none");
		goto out;
	}
	if (r.status != 200) {
		httpc_describe(err, errlen, h, &r);
		goto out;
	}
	if (httpc_answer_json(&j, r.body, r.body_len, desc, sizeof(desc))) {
		snprintf(err, errlen, "unexpected answer to %s: %s", c->method, desc);
		goto out;
	}
	if (!json_is_object(j) || !json_is_boolean(json_object_get(j, "ok"))) {
		snprintf(err, errlen, "unexpected answer to %s: not an object with \"ok\"", c->method);
		goto out;
	}
	if (!json_is_true(json_object_get(j, "ok"))) {
		const json_t *e = json_object_get(j, "error"), *needed = json_object_get(j, "needed");
		const char *code = json_is_string(e) && *json_string_value(e) ? json_string_value(e) : "unknown_error";
		if (json_is_string(needed))
			snprintf(err, errlen, "%.200s (needed: %.200s)", code, json_string_value(needed));
		else
			snprintf(err, errlen, "%.300s", code);
		httpc_redact(h, err);
		rc = SLACK_WEB_REFUSED;
		goto out;
	}
	if (answer) {
		*answer = j;
		j = NULL;
	}
	rc = 0;
out:
	json_decref(j);
	free(body);
	httpc_response_release(&r);
	return rc;
}
