// SPDX-License-Identifier: Apache-2.0
/*
 * api.c - joins the route tables of the REST resources and holds what the
 * resource files share: the engine completion callback, body decoding into
 * an object, Go-style key ordering of map values, and link helpers.
 */
#include "fl-common.h"

#include "alloc.h"
#include "api/api.h"

struct table {
	const struct fl_route *routes;
	const size_t *len;
};

static const struct table tables[] = {
	{ fl_api_info_routes, &fl_api_info_routes_len },
	{ fl_api_packs_routes, &fl_api_packs_routes_len },
	{ fl_api_actions_routes, &fl_api_actions_routes_len },
	{ fl_api_flows_routes, &fl_api_flows_routes_len },
	{ fl_api_datastore_routes, &fl_api_datastore_routes_len },
	{ fl_api_audit_routes, &fl_api_audit_routes_len },
};

void fl_api_init(struct fl_api *api, struct fl_engine *engine, int take_wait_ms, int take_wait_max_ms)
{
	size_t n = 0;

	memset(api, 0, sizeof(*api));
	api->engine = engine;
	api->take_wait_ms = take_wait_ms;
	api->take_wait_max_ms = FL_MAX(take_wait_max_ms, take_wait_ms);
	for (size_t i = 0; i < FL_ARRAY_LEN(tables); i++)
		n += *tables[i].len;
	api->routes = fl_xcalloc(n, sizeof(*api->routes));
	for (size_t i = 0; i < FL_ARRAY_LEN(tables); i++) {
		memcpy(api->routes + api->nroutes, tables[i].routes, *tables[i].len * sizeof(*api->routes));
		api->nroutes += *tables[i].len;
	}
}

void fl_api_release(struct fl_api *api)
{
	if (!api)
		return;
	free(api->routes);
	memset(api, 0, sizeof(*api));
}

void fl_api_engine_done(const struct fl_engine_result *res, void *payload)
{
	struct fl_request *req = payload;

	req->result.code = res->code;
	req->result.err = res->err;
	if (res->code && !req->result.err.code)
		req->result.err.code = res->code;
	/*
	 * Private to the request (handed over, or a copy made here on the
	 * completing thread): the request is finished on a server thread, and
	 * sharing jansson values between threads relies on their reference
	 * counts, whose final decrement has no acquire barrier (ThreadSanitizer
	 * reports it).
	 */
	req->result.body = fl_engine_result_keep_body(res);
	req->result.created = res->created;
	fl_request_complete(req);
}

int fl_api_fail(struct fl_request *req, const struct fl_error *err)
{
	fl_request_reply_error(req, err);
	return FL_OK;
}

int fl_api_started(struct fl_request *req, int rc, int (*finish)(struct fl_request *req))
{
	struct fl_error err = FL_ERROR_INIT;

	if (rc == FL_OK)
		return fl_request_wait(req, finish);
	if (rc == FL_ECANCELLED)
		fl_error_set(&err, rc, "the server is shutting down");
	else
		fl_error_set(&err, rc, "%s", fl_err_str(rc));
	return fl_api_fail(req, &err);
}

static int done_empty(struct fl_request *req, int status)
{
	if (req->result.code != FL_OK)
		return fl_api_fail(req, &req->result.err);
	fl_request_reply_empty(req, status);
	return FL_OK;
}

int fl_api_done_deleted(struct fl_request *req)
{
	return done_empty(req, 204);
}

int fl_api_done_accepted(struct fl_request *req)
{
	return done_empty(req, 202);
}

int fl_api_done_stored(struct fl_request *req)
{
	return done_empty(req, req->result.created ? 201 : 204);
}

int fl_api_submit(struct fl_request *req, bool null_ok, fl_api_submit_fn submit,
		  int (*finish)(struct fl_request *req))
{
	json_t *body = fl_api_body_object(req, null_ok);
	int rc;

	if (!body)
		return FL_OK; /* answered 400 */
	rc = submit(req, body);
	json_decref(body);
	return fl_api_started(req, rc, finish);
}

int fl_api_delete(struct fl_request *req, fl_api_delete_fn del, const char *param)
{
	int rc = del(fl_api_of(req)->engine, fl_request_param(req, param), fl_api_engine_done, req);

	return fl_api_started(req, rc, fl_api_done_deleted);
}

json_t *fl_api_list_links(const char *base, const char *path, const char *help)
{
	json_t *links = json_array();

	fl_links_push(links, base, path, NULL, NULL, "self");
	fl_links_push(links, base, "/v1", NULL, NULL, "up");
	fl_links_push(links, base, help, NULL, NULL, "help");
	return links;
}

int fl_api_reply_list(struct fl_request *req, const char *key, json_t *items, const char *path, const char *help,
		      unsigned flags)
{
	json_t *o = json_object(), *links = fl_api_list_links(req->base, path, help);

	if (flags & FL_API_LIST_LINKS_FIRST) {
		json_object_set_new(o, "links", links);
		json_object_set_new(o, key, items);
	} else {
		json_object_set_new(o, key, items);
		json_object_set_new(o, "links", links);
	}
	fl_request_reply_json(req, 200, o);
	json_decref(o);
	return FL_OK;
}

json_t *fl_api_self_links_at(const char *base, const char *path, const char *id)
{
	json_t *links = json_array();

	fl_links_push(links, base, path, id, NULL, "self");
	return links;
}

json_t *fl_api_self_links(struct fl_request *req, const char *path, const char *id)
{
	return fl_api_self_links_at(req->base, path, id);
}

json_t *fl_api_body_object(struct fl_request *req, bool null_ok)
{
	struct fl_error err = FL_ERROR_INIT;
	json_t *v = NULL;

	if (fl_body_decode(req->h.content_type, req->body.ptr, req->body.len, &req->ctx->limits, &v, &err) != FL_OK) {
		fl_api_fail(req, &err);
		return NULL;
	}
	if (json_is_null(v) && null_ok) {
		json_decref(v);
		return json_object();
	}
	if (!json_is_object(v)) {
		json_decref(v);
		fl_error_set(&err, FL_EINVALID, "request body must be a JSON object");
		fl_api_fail(req, &err);
		return NULL;
	}
	return v;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

enum norm_mode {
	NORM_STRUCT = 0, /* keep member order, look at member names */
	NORM_MAP,        /* sort members, values are structs */
	NORM_DEEP,       /* sort everything below */
};

static bool name_in(const char *k, const char *const *set, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(k, set[i]) == 0)
			return true;
	return false;
}

static json_t *normalize(const json_t *v, enum norm_mode mode, unsigned depth)
{
	static const char *const maps[] = { "labels", "packLabels", "context", "actions" };
	static const char *const deep[] = { "input", "payload" };

	if (depth > 256)
		return json_deep_copy(v);
	if (json_is_array(v)) {
		json_t *a = json_array();
		size_t i;
		json_t *item;

		json_array_foreach(v, i, item)
			json_array_append_new(a, normalize(item, mode == NORM_DEEP ? NORM_DEEP : NORM_STRUCT, depth + 1));
		return a;
	}
	if (json_is_object(v)) {
		size_t n = json_object_size(v), i = 0;
		const char **keys = fl_xcalloc(n ? n : 1, sizeof(*keys));
		json_t *o = json_object(), *item;
		const char *k;

		json_object_foreach((json_t *)v, k, item)
			keys[i++] = k;
		if (mode != NORM_STRUCT)
			qsort(keys, n, sizeof(*keys), cmp_str);
		for (i = 0; i < n; i++) {
			enum norm_mode child = NORM_STRUCT;

			if (mode == NORM_DEEP || name_in(keys[i], deep, FL_ARRAY_LEN(deep)))
				child = NORM_DEEP;
			else if (mode == NORM_STRUCT && name_in(keys[i], maps, FL_ARRAY_LEN(maps)))
				child = NORM_MAP;
			json_object_set_new(o, keys[i], normalize(json_object_get(v, keys[i]), child, depth + 1));
		}
		free(keys);
		return o;
	}
	return json_incref((json_t *)v);
}

json_t *fl_api_normalize(const json_t *v)
{
	return v ? normalize(v, NORM_STRUCT, 0) : json_null();
}

json_t *fl_api_sorted_deep(const json_t *v)
{
	return v ? normalize(v, NORM_DEEP, 0) : json_null();
}

void fl_api_link(struct fl_request *req, json_t *links, const char *path, const char *id, const char *suffix,
		 const char *rel)
{
	fl_links_push(links, req->base, path, id, suffix, rel);
}

void fl_api_location(struct fl_request *req, const char *path, const char *id)
{
	struct fl_buf b = FL_BUF_INIT(0);

	fl_links_url(&b, req->base, path, id, NULL);
	if (!fl_buf_failed(&b)) /* never a Location cut short */
		fl_response_add_header(&req->resp, "Location", b.ptr);
	fl_buf_release(&b);
}

void fl_api_copy_nonempty(json_t *dst, const json_t *src, const char *key)
{
	json_t *v = json_object_get(src, key);

	if (!v || json_is_null(v))
		return;
	if ((json_is_object(v) && json_object_size(v) == 0) || (json_is_array(v) && json_array_size(v) == 0) ||
	    (json_is_string(v) && json_string_length(v) == 0))
		return;
	json_object_set(dst, key, v);
}
