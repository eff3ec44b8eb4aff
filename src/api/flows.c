// SPDX-License-Identifier: Apache-2.0
/*
 * flows.c - flow definitions (flyte-api.md §a.6): list, create/replace,
 * get and delete.  Validation is the engine's; its messages become 400
 * answers (the original answered 500 with no body).
 */
#include "fl-common.h"

#include "api/api.h"

static int list_flows(struct fl_request *req)
{
	struct fl_error err = FL_ERROR_INIT;
	json_t *list = NULL, *o, *flows, *links, *f;
	size_t i;

	if (fl_engine_flow_list(fl_api_of(req)->engine, &list, &err) != FL_OK)
		return fl_api_fail(req, &err);
	flows = json_array();
	json_array_foreach(list, i, f) {
		json_t *item = json_object(), *il = json_array();
		const char *name = json_string_value(json_object_get(f, "name"));

		json_object_set_new(item, "name", json_string(name ? name : ""));
		fl_api_copy_nonempty(item, f, "description");
		fl_api_link(req, il, "/v1/flows/", name ? name : "", NULL, "self");
		json_object_set_new(item, "links", il);
		json_array_append_new(flows, item);
	}
	links = json_array();
	fl_api_link(req, links, "/v1/flows", NULL, NULL, "self");
	fl_api_link(req, links, "/v1", NULL, NULL, "up");
	fl_api_link(req, links, "/swagger#/flow", NULL, NULL, "help");
	o = json_object();
	json_object_set_new(o, "flows", flows);
	json_object_set_new(o, "links", links);
	fl_request_reply_json(req, 200, o);
	json_decref(o);
	json_decref(list);
	return FL_OK;
}

/*
 * Steps that do not compile: a Warning header (RFC 7234 form, code 299)
 * with one warning-value per step, so clients that only look at the status
 * keep working and people see the problem.
 */
static void add_warnings(struct fl_request *req, const json_t *warnings)
{
	struct fl_buf h = FL_BUF_INIT(8192);
	size_t i;
	json_t *w;

	json_array_foreach ((json_t *)warnings, i, w) {
		const char *t = json_string_value(w);
		if (!t)
			continue;
		if (h.len)
			fl_buf_adds(&h, ", ");
		fl_buf_adds(&h, "299 flyte \"");
		for (; *t; t++) {
			if (*t == '"' || *t == '\\')
				fl_buf_addc(&h, '\\');
			fl_buf_addc(&h, (*t == '\r' || *t == '\n') ? ' ' : *t);
		}
		fl_buf_addc(&h, '"');
	}
	if (h.len && !fl_buf_failed(&h))
		fl_response_add_header(&req->resp, "Warning", h.ptr);
	fl_buf_release(&h);
}

static int created(struct fl_request *req)
{
	const char *name;

	if (req->result.code != FL_OK)
		return fl_api_fail(req, &req->result.err);
	add_warnings(req, json_object_get(req->result.body, "warnings"));
	name = json_string_value(json_object_get(req->result.body, "name"));
	if (!name)
		name = json_string_value(json_object_get(req->data, "name"));
	fl_api_location(req, "/v1/flows/", name ? name : "");
	fl_request_reply_empty(req, 201);
	return FL_OK;
}

static int put_flow(struct fl_request *req)
{
	json_t *flow = fl_api_body_object(req, false);
	const char *strict = fl_request_query(req, "strict");
	unsigned flags = strict && (strcmp(strict, "true") == 0 || strcmp(strict, "1") == 0) ? FL_ENGINE_FLOW_STRICT : 0;
	int rc;

	if (!flow)
		return FL_OK;
	req->data = json_incref(flow);
	rc = fl_engine_flow_put(fl_api_of(req)->engine, flow, flags, fl_api_engine_done, req);
	json_decref(flow);
	return fl_api_started(req, rc, created);
}

static int get_flow(struct fl_request *req)
{
	struct fl_error err = FL_ERROR_INIT;
	json_t *def = NULL, *n, *o, *links;
	const char *name = fl_request_param(req, "flowName");
	const char *k;
	json_t *v;

	if (fl_engine_flow_get(fl_api_of(req)->engine, name, &def, &err) != FL_OK)
		return fl_api_fail(req, &err);
	n = fl_api_normalize(def);
	o = json_object();
	json_object_foreach(n, k, v) {
		if (strcmp(k, "links") != 0 && strcmp(k, "uuid") != 0)
			json_object_set(o, k, v);
	}
	links = json_array();
	fl_api_link(req, links, "/v1/flows/", name, NULL, "self");
	fl_api_link(req, links, "/v1/flows", NULL, NULL, "up");
	fl_api_link(req, links, "/swagger#/flow", NULL, NULL, "help");
	json_object_set_new(o, "links", links);
	fl_request_reply_json(req, 200, o);
	json_decref(o);
	json_decref(n);
	json_decref(def);
	return FL_OK;
}

static int deleted(struct fl_request *req)
{
	if (req->result.code != FL_OK)
		return fl_api_fail(req, &req->result.err);
	fl_request_reply_empty(req, 204);
	return FL_OK;
}

static int delete_flow(struct fl_request *req)
{
	int rc = fl_engine_flow_delete(fl_api_of(req)->engine, fl_request_param(req, "flowName"), fl_api_engine_done,
				       req);
	return fl_api_started(req, rc, deleted);
}

const struct fl_route fl_api_flows_routes[] = {
	{ "GET", "/v1/flows", list_flows, "list flows, sorted by name" },
	{ "POST", "/v1/flows", put_flow, "create or replace a flow" },
	{ "GET", "/v1/flows/{flowName}", get_flow, "the latest definition of a flow" },
	{ "DELETE", "/v1/flows/{flowName}", delete_flow, "delete a flow (running executions continue)" },
};
const size_t fl_api_flows_routes_len = FL_ARRAY_LEN(fl_api_flows_routes);
