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
#include "timeutil.h"

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

static int submit_event(struct fl_request *req, json_t *ev)
{
	prepare_event(ev);
	return fl_engine_event_post(fl_api_of(req)->engine, fl_request_param(req, "packId"), ev, fl_api_engine_done,
				    req);
}

static int post_event(struct fl_request *req)
{
	return fl_api_submit(req, true, submit_event, fl_api_done_accepted);
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

/*
 * {"href": <base>/v1/packs/<packId from the path>/actions/<id>/<what>?attempt=<n>,
 *  "rel": <base>/swagger#/<rel>}.  The attempt fences the link: a client of
 * an attempt that lost the action (its lease ended) is refused with 409.
 * Clients post to the link as given, so the original ones are fenced too.
 */
static void add_action_link(struct fl_request *req, json_t *links, const char *id, int64_t attempt,
			    const char *what, const char *rel_name)
{
	struct fl_buf href = FL_BUF_INIT(0), rel = FL_BUF_INIT(0);

	fl_links_url(&href, req->base, "/v1/packs/", fl_request_param(req, "packId"), "/actions/");
	fl_url_escape_segment(&href, id, strlen(id));
	fl_buf_addf(&href, "/%s?attempt=%" PRId64, what, attempt);
	fl_buf_addf(&rel, "%s/swagger#/%s", req->base, rel_name);
	if (!fl_buf_failed(&href) && !fl_buf_failed(&rel)) /* never a link cut short */
		fl_links_push_href(links, href.ptr, rel.ptr);
	fl_buf_release(&href);
	fl_buf_release(&rel);
}

static int taken(struct fl_request *req)
{
	const json_t *a = req->result.body;
	json_t *o, *links, *input;
	const char *id, *cmd;
	int64_t attempt, lease;

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
	attempt = json_integer_value(json_object_get(a, "attempt"));
	lease = json_integer_value(json_object_get(a, "leaseUntil"));
	json_object_set_new(o, "command", json_string(cmd ? cmd : ""));
	json_object_set_new(o, "input", fl_api_sorted_deep(input));
	/* one link, as the original: a heartbeat goes to the same path ending in /heartbeat */
	add_action_link(req, links, id, attempt, "result", "actionResult");
	json_object_set_new(o, "links", links);
	/* flyte's additions, ignored by the original clients */
	json_object_set_new(o, "attempt", json_integer(attempt));
	if (lease) {
		char ts[48];
		fl_time_format_rfc3339(ts, sizeof(ts), lease, 0, 3);
		json_object_set_new(o, "leaseUntil", json_string(ts));
	}
	fl_request_reply_json(req, 200, o);
	json_decref(o);
	req->data = json_pack("{s:s,s:I}", "id", id, "attempt", (json_int_t)attempt);
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

/*
 * The wait a take asked for with `Prefer: wait=N` (RFC 7240, seconds),
 * capped at the server's maximum; the default wait when it asked for none.
 * *asked is set when the preference was there (it is then echoed in
 * Preference-Applied).
 */
static int take_wait(struct fl_request *req, const struct fl_api *api, bool *asked)
{
	const char *p = req->h.prefer;

	*asked = false;
	while (p && *p) {
		size_t n = strcspn(p, ",;");
		const char *t = p;
		while (n && (*t == ' ' || *t == '\t'))
			t++, n--;
		if (n > 5 && strncasecmp(t, "wait", 4) == 0 && (t[4] == '=' || t[4] == ' ')) {
			const char *v = memchr(t, '=', n);
			char *end = NULL;
			long long sec;
			if (v) {
				v++;
				while (*v == ' ' || *v == '"')
					v++;
				errno = 0;
				sec = strtoll(v, &end, 10);
				if (end != v && sec >= 0) { /* ERANGE: LLONG_MAX, capped below */
					*asked = true;
					if (sec > api->take_wait_max_ms / 1000)
						return api->take_wait_max_ms;
					return (int)(sec * 1000);
				}
			}
		}
		p += strcspn(p, ",");
		if (*p == ',')
			p++;
	}
	return api->take_wait_ms;
}

static int take_action(struct fl_request *req)
{
	struct fl_api *api = fl_api_of(req);
	struct fl_query form = FL_QUERY_INIT;
	bool asked;
	int wait = take_wait(req, api, &asked);
	int rc = fl_engine_action_take(api->engine, fl_request_param(req, "packId"), command_filter(req, &form),
				       wait, fl_api_engine_done, req);

	if (asked) {
		char v[32];
		snprintf(v, sizeof(v), "wait=%d", wait / 1000);
		fl_response_add_header(&req->resp, "Preference-Applied", v);
	}

	fl_url_query_release(&form);
	req->hands_over = true; /* the answer may carry an action */
	return fl_api_started(req, rc, taken);
}

/* ?attempt=<n> of a result or heartbeat link; -1 when absent or not a number (unchecked, as the original). */
static int64_t attempt_param(struct fl_request *req)
{
	const char *att = fl_request_query(req, "attempt");
	char *end = NULL;
	long long v;

	if (!att || !*att)
		return -1;
	errno = 0;
	v = strtoll(att, &end, 10);
	return !errno && !*end && v >= 0 ? v : -1;
}

static int submit_result(struct fl_request *req, json_t *ev)
{
	prepare_event(ev);
	return fl_engine_action_result(fl_api_of(req)->engine, fl_request_param(req, "packId"),
				       fl_request_param(req, "actionId"), attempt_param(req), ev, fl_api_engine_done, req);
}

static int post_result(struct fl_request *req)
{
	return fl_api_submit(req, true, submit_result, fl_api_done_accepted);
}

static int heartbeat_done(struct fl_request *req)
{
	const json_t *b = req->result.body;
	json_t *o;
	char ts[48];

	if (req->result.code != FL_OK)
		return fl_api_fail(req, &req->result.err);
	o = json_object();
	json_object_set_new(o, "attempt", json_integer(json_integer_value(json_object_get(b, "attempt"))));
	if (json_integer_value(json_object_get(b, "leaseUntil"))) {
		fl_time_format_rfc3339(ts, sizeof(ts), json_integer_value(json_object_get(b, "leaseUntil")), 0, 3);
		json_object_set_new(o, "leaseUntil", json_string(ts));
	} else {
		json_object_set_new(o, "leaseUntil", json_null());
	}
	fl_request_reply_json(req, 200, o);
	json_decref(o);
	return FL_OK;
}

/* A pack still works on a taken action: extend its lease (flyte's addition; no body needed). */
static int post_heartbeat(struct fl_request *req)
{
	int rc = fl_engine_action_heartbeat(fl_api_of(req)->engine, fl_request_param(req, "packId"),
					    fl_request_param(req, "actionId"), attempt_param(req),
					    fl_api_engine_done, req);

	return fl_api_started(req, rc, heartbeat_done);
}

const struct fl_route fl_api_actions_routes[] = {
	{ "POST", "/v1/packs/{packId}/events", post_event, "a pack reports an event" },
	{ "POST", "/v1/packs/{packId}/actions/take", take_action, "a pack polls for an action (long poll)" },
	{ "POST", "/v1/packs/{packId}/actions/{actionId}/result", post_result, "a pack completes an action" },
	{ "POST", "/v1/packs/{packId}/actions/{actionId}/heartbeat", post_heartbeat,
	  "a pack extends the lease of an action it works on" },
};
const size_t fl_api_actions_routes_len = FL_ARRAY_LEN(fl_api_actions_routes);
