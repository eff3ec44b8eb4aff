// SPDX-License-Identifier: Apache-2.0
/*
 * actions.c - the pack <-> server endpoints (flyte-api.md §a.5): posting
 * events, taking actions (long poll) and posting action results.
 *
 * A take answered with an action hands the action to a client that may be
 * gone already; if the answer cannot be delivered, the action is released
 * back to NEW (fl_engine_action_release) so the next poll gets it.
 */
#include "fl-common.h"

#include <strings.h>

#include "api/api.h"

/*
 * The server decides who sent an event: a body cannot pose as another pack.
 * A missing event name is "" as in the original ({} is a valid event).
 */
static void prepare_event(json_t *ev)
{
	json_object_del(ev, "pack");
	json_object_del(ev, "receivedAt");
	if (!json_object_get(ev, "event"))
		json_object_set_new(ev, "event", json_string(""));
}

static int accepted(struct fl_request *req)
{
	if (req->result.code != FL_OK)
		return fl_api_fail(req, &req->result.err);
	fl_request_reply_empty(req, 202);
	return FL_OK;
}

static int post_event(struct fl_request *req)
{
	json_t *ev = fl_api_body_object(req, true);
	int rc;

	if (!ev)
		return FL_OK;
	prepare_event(ev);
	rc = fl_engine_event_post(fl_api_of(req)->engine, fl_request_param(req, "packId"), ev, fl_api_engine_done, req);
	json_decref(ev);
	return fl_api_started(req, rc, accepted);
}

static void release_undelivered(struct fl_request *req)
{
	const char *id = json_string_value(json_object_get(req->data, "id"));
	json_int_t attempt = json_integer_value(json_object_get(req->data, "attempt"));
	int rc;

	if (!id)
		return;
	rc = fl_engine_action_release(fl_api_of(req)->engine, id, attempt);
	FL_LOG_W(&req->log, "take answer for action '%s' was not delivered; released it (%s)", id, fl_err_name(rc));
}

/* {"href": <base>/v1/packs/<packId from the path>/actions/<id>/result, "rel": …/actionResult} */
static void add_result_link(struct fl_request *req, json_t *links, const char *id)
{
	struct fl_buf href = FL_BUF_INIT(0), rel = FL_BUF_INIT(0);

	fl_links_url(&href, req->base, "/v1/packs/", fl_request_param(req, "packId"), "/actions/");
	fl_url_escape_segment(&href, id, strlen(id));
	fl_buf_adds(&href, "/result");
	fl_buf_addf(&rel, "%s/swagger#/actionResult", req->base);
	fl_links_push_href(links, href.ptr, rel.ptr);
	fl_buf_release(&href);
	fl_buf_release(&rel);
}

static int taken(struct fl_request *req)
{
	const json_t *a = req->result.body;
	json_t *o, *links, *input;
	const char *id, *cmd;

	if (req->result.code != FL_OK)
		return fl_api_fail(req, &req->result.err);
	if (!a || json_is_null(a)) {
		fl_request_reply_empty(req, 204);
		return FL_OK;
	}
	id = json_string_value(json_object_get(a, "id"));
	if (!id) {
		struct fl_error err = FL_ERROR_INIT;
		fl_error_set(&err, FL_ERROR, "engine returned an action without an id");
		return fl_api_fail(req, &err);
	}
	o = json_object();
	links = json_array();
	input = json_object_get(a, "input");
	cmd = json_string_value(json_object_get(a, "command"));
	json_object_set_new(o, "command", json_string(cmd ? cmd : ""));
	json_object_set_new(o, "input", fl_api_sorted_deep(input));
	add_result_link(req, links, id);
	json_object_set_new(o, "links", links);
	fl_request_reply_json(req, 200, o);
	json_decref(o);
	req->data = json_pack("{s:s,s:I}", "id", id, "attempt",
			      json_integer_value(json_object_get(a, "attempt")));
	req->on_undelivered = release_undelivered;
	return FL_OK;
}

/* Command filter: ?actionName= (the original), ?commandName= (its links), or a form field. */
static const char *command_filter(struct fl_request *req, struct fl_query *form)
{
	const char *name = fl_request_query(req, "actionName");

	if (!name)
		name = fl_request_query(req, "commandName");
	if (!name && req->h.content_type &&
	    strncasecmp(req->h.content_type, "application/x-www-form-urlencoded", 33) == 0) {
		fl_url_query_parse(form, req->body.ptr, req->body.len);
		name = fl_url_query_get(form, "actionName");
		if (!name)
			name = fl_url_query_get(form, "commandName");
	}
	return name && *name ? name : NULL;
}

static int take_action(struct fl_request *req)
{
	struct fl_api *api = fl_api_of(req);
	struct fl_query form = FL_QUERY_INIT;
	int rc = fl_engine_action_take(api->engine, fl_request_param(req, "packId"), command_filter(req, &form),
				       api->take_wait_ms, fl_api_engine_done, req);

	fl_url_query_release(&form);
	req->hands_over = true; /* the answer may carry an action */
	return fl_api_started(req, rc, taken);
}

static int post_result(struct fl_request *req)
{
	json_t *ev = fl_api_body_object(req, true);
	const char *att = fl_request_query(req, "attempt");
	int64_t attempt = -1;
	char *end = NULL;
	int rc;

	if (!ev)
		return FL_OK;
	if (att && *att) {
		long long v;
		errno = 0;
		v = strtoll(att, &end, 10);
		if (!errno && !*end && v >= 0)
			attempt = v;
	}
	prepare_event(ev);
	rc = fl_engine_action_result(fl_api_of(req)->engine, fl_request_param(req, "packId"),
				     fl_request_param(req, "actionId"), attempt, ev, fl_api_engine_done, req);
	json_decref(ev);
	return fl_api_started(req, rc, accepted);
}

const struct fl_route fl_api_actions_routes[] = {
	{ "POST", "/v1/packs/{packId}/events", post_event, "a pack reports an event" },
	{ "POST", "/v1/packs/{packId}/actions/take", take_action, "a pack polls for an action (long poll)" },
	{ "POST", "/v1/packs/{packId}/actions/{actionId}/result", post_result, "a pack completes an action" },
};
const size_t fl_api_actions_routes_len = FL_ARRAY_LEN(fl_api_actions_routes);
