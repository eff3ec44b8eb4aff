// SPDX-License-Identifier: Apache-2.0
/*
 * packs.c - pack registration, listing, lookup and deletion
 * (flyte-api.md §a.4).  The engine stores packs; this file gives them their
 * wire form: field order, omitted empty fields, the per-command take links
 * and the server links after the pack's own links.
 */
#include "fl-common.h"

#include "api/api.h"
#include "buf.h"
#include "http/url.h"

#define TAKE_REL "/swagger#!/action/takeAction"

static const char *str_of(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

/* A command: name, events (always present, null when none), the take link. */
static json_t *command_json(struct fl_request *req, const char *id, const json_t *cmd)
{
	json_t *o = json_object(), *links = json_array(), *events = json_object_get(cmd, "events");
	struct fl_buf suffix = FL_BUF_INIT(0);
	const char *name = str_of(cmd, "name");

	json_object_set_new(o, "name", json_string(name));
	json_object_set_new(o, "events", json_is_array(events) ? json_deep_copy(events) : json_null());
	fl_buf_adds(&suffix, "/actions/take?commandName=");
	fl_url_escape_query(&suffix, name, strlen(name));
	if (!fl_buf_failed(&suffix)) /* never a take link cut short */
		fl_api_link(req, links, "/v1/packs/", id, suffix.ptr, TAKE_REL);
	json_object_set_new(o, "links", links);
	fl_buf_release(&suffix);
	return o;
}

/* An event as the pack declared it: name, links when present. */
static json_t *event_json(const json_t *ev)
{
	json_t *o = json_object();

	json_object_set_new(o, "name", json_string(str_of(ev, "name")));
	fl_api_copy_nonempty(o, ev, "links");
	return o;
}

/* The full pack response (GET /v1/packs/{id}, POST /v1/packs). */
static json_t *pack_json(struct fl_request *req, const json_t *stored)
{
	json_t *p = fl_api_normalize(stored), *o = json_object(), *links = json_array(), *v;
	const char *id = str_of(p, "id");
	size_t i;

	json_object_set_new(o, "id", json_string(id));
	json_object_set_new(o, "name", json_string(str_of(p, "name")));
	fl_api_copy_nonempty(o, p, "labels");
	v = json_object_get(p, "commands");
	if (json_array_size(v) > 0) {
		json_t *cmds = json_array(), *c;
		json_array_foreach(v, i, c)
			json_array_append_new(cmds, command_json(req, id, c));
		json_object_set_new(o, "commands", cmds);
	}
	v = json_object_get(p, "events");
	if (json_array_size(v) > 0) {
		json_t *evs = json_array(), *e;
		json_array_foreach(v, i, e)
			json_array_append_new(evs, event_json(e));
		json_object_set_new(o, "events", evs);
	}
	json_object_set_new(o, "lastSeen", json_string(str_of(p, "lastSeen")));
	json_object_set_new(o, "status", json_string(str_of(p, "status")));
	v = json_object_get(p, "links");
	if (json_is_array(v)) {
		json_t *l;
		json_array_foreach(v, i, l)
			fl_links_push_href(links, str_of(l, "href"), str_of(l, "rel"));
	}
	fl_api_link(req, links, "/v1/packs/", id, NULL, "self");
	fl_api_link(req, links, "/v1/packs", NULL, NULL, "up");
	fl_api_link(req, links, "/v1/packs/", id, "/actions/take", TAKE_REL);
	fl_api_link(req, links, "/v1/packs/", id, "/events", "/swagger#/event");
	json_object_set_new(o, "links", links);
	json_decref(p);
	return o;
}

static int list_packs(struct fl_request *req)
{
	struct fl_error err = FL_ERROR_INIT;
	json_t *list = NULL, *packs, *p;
	size_t i;

	if (fl_engine_pack_list(fl_api_of(req)->engine, &list, &err) != FL_OK)
		return fl_api_fail(req, &err);
	packs = json_array();
	json_array_foreach(list, i, p) {
		json_t *n = fl_api_normalize(p), *item = json_object();
		const char *id = str_of(n, "id");

		json_object_set_new(item, "id", json_string(id));
		json_object_set_new(item, "name", json_string(str_of(n, "name")));
		fl_api_copy_nonempty(item, n, "labels");
		json_object_set_new(item, "lastSeen", json_string(str_of(n, "lastSeen")));
		json_object_set_new(item, "status", json_string(str_of(n, "status")));
		json_object_set_new(item, "links", fl_api_self_links(req, "/v1/packs/", id));
		json_array_append_new(packs, item);
		json_decref(n);
	}
	json_decref(list);
	return fl_api_reply_list(req, "packs", packs, "/v1/packs", "/swagger#/pack", FL_API_LIST_LINKS_FIRST);
}

static int registered(struct fl_request *req)
{
	json_t *o;

	if (req->result.code != FL_OK)
		return fl_api_fail(req, &req->result.err);
	o = pack_json(req, req->result.body);
	fl_api_location(req, "/v1/packs/", json_string_value(json_object_get(o, "id")));
	fl_request_reply_json(req, 201, o);
	json_decref(o);
	return FL_OK;
}

static int submit_pack(struct fl_request *req, json_t *def)
{
	return fl_engine_pack_register(fl_api_of(req)->engine, def, fl_api_engine_done, req);
}

static int register_pack(struct fl_request *req)
{
	return fl_api_submit(req, false, submit_pack, registered);
}

static int get_pack(struct fl_request *req)
{
	struct fl_error err = FL_ERROR_INIT;
	json_t *p = NULL, *o;

	if (fl_engine_pack_get(fl_api_of(req)->engine, fl_request_param(req, "packId"), &p, &err) != FL_OK)
		return fl_api_fail(req, &err);
	o = pack_json(req, p);
	fl_request_reply_json(req, 200, o);
	json_decref(o);
	json_decref(p);
	return FL_OK;
}

static int delete_pack(struct fl_request *req)
{
	return fl_api_delete(req, fl_engine_pack_delete, "packId");
}

const struct fl_route fl_api_packs_routes[] = {
	{ "GET", "/v1/packs", list_packs, "list packs, sorted by name" },
	{ "POST", "/v1/packs", register_pack, "register or re-register a pack" },
	{ "GET", "/v1/packs/{packId}", get_pack, "a pack with its links" },
	{ "DELETE", "/v1/packs/{packId}", delete_pack, "forget a pack" },
};
const size_t fl_api_packs_routes_len = FL_ARRAY_LEN(fl_api_packs_routes);
