/* SPDX-License-Identifier: Apache-2.0 */
/*
 * api.h - the REST resources of flyte-api.md §a on top of the engine.
 *
 * One source file per resource (info.c, packs.c, actions.c, flows.c,
 * datastore.c, audit.c), each exporting its route table; api.c joins them
 * and holds the helpers they share.  This header is the family's only
 * header: the resource files are one module split by resource.
 *
 * Handlers never block: reads call the engine's synchronous read
 * functions, mutations call its asynchronous functions with
 * fl_api_engine_done() as the callback and return fl_request_wait(), and
 * the answer is built on a server thread when the request is resumed.
 */
#ifndef FL_API_H
#define FL_API_H

#include <jansson.h>

#include "engine/engine.h"
#include "fl-common.h"
#include "http/request.h"
#include "http/router.h"

struct fl_api {
	struct fl_engine *engine; /* borrowed */
	int take_wait_ms;         /* long-poll wait of a take that does not ask for one */
	int take_wait_max_ms;     /* longest wait a take may ask for (Prefer: wait=N) */
	struct fl_route *routes;  /* all resources' routes, owned */
	size_t nroutes;
};

/* Join every resource's route table.  api->engine etc. are set by the caller. */
void fl_api_init(struct fl_api *api, struct fl_engine *engine, int take_wait_ms, int take_wait_max_ms);
void fl_api_release(struct fl_api *api);

/* Route tables of the resources (static). */
extern const struct fl_route fl_api_info_routes[];
extern const size_t fl_api_info_routes_len;
extern const struct fl_route fl_api_packs_routes[];
extern const size_t fl_api_packs_routes_len;
extern const struct fl_route fl_api_actions_routes[];
extern const size_t fl_api_actions_routes_len;
extern const struct fl_route fl_api_flows_routes[];
extern const size_t fl_api_flows_routes_len;
extern const struct fl_route fl_api_datastore_routes[];
extern const size_t fl_api_datastore_routes_len;
extern const struct fl_route fl_api_audit_routes[];
extern const size_t fl_api_audit_routes_len;

/* The OpenAPI document, embedded at build time from docs/api/openapi.yaml. */
extern const char fl_api_openapi_yaml[];
extern const size_t fl_api_openapi_yaml_len;

/* ------------------------------------------------------------ helpers */

/* The API context of a request. */
static inline struct fl_api *fl_api_of(const struct fl_request *req)
{
	return req->ctx->app;
}

/*
 * The engine completion callback of every asynchronous call: stores the
 * result in the request (payload; the body is deep-copied so that no
 * jansson value is shared between threads) and resumes it.
 */
void fl_api_engine_done(const struct fl_engine_result *res, void *payload);

/*
 * After calling an asynchronous engine function: rc is its return value.
 * FL_OK parks the request until `finish`; an error answers at once.
 */
int fl_api_started(struct fl_request *req, int rc, int (*finish)(struct fl_request *req));

/*
 * Finish callbacks of mutations answered without a body: the engine's
 * error, or 204 (fl_api_done_deleted), 202 (fl_api_done_accepted), or 201
 * when a record was created and 204 when one was replaced
 * (fl_api_done_stored).
 */
int fl_api_done_deleted(struct fl_request *req);
int fl_api_done_accepted(struct fl_request *req);
int fl_api_done_stored(struct fl_request *req);

/*
 * A mutation whose input is the request body: decode it as an object as
 * fl_api_body_object does (answering 400 when it is not one), hand it to
 * `submit` (borrowed: submit takes its own reference to keep it), which
 * calls the engine with fl_api_engine_done and returns the call's code,
 * then park the request until `finish` as fl_api_started does.
 */
typedef int (*fl_api_submit_fn)(struct fl_request *req, json_t *body);
int fl_api_submit(struct fl_request *req, bool null_ok, fl_api_submit_fn submit,
		  int (*finish)(struct fl_request *req));

/* An asynchronous delete of the engine: fl_engine_flow_delete, _pack_delete, _datastore_delete. */
typedef int (*fl_api_delete_fn)(struct fl_engine *eng, const char *name, fl_engine_done_fn cb, void *payload);

/* DELETE of the resource named by the path parameter `param`: 204 or the engine's error. */
int fl_api_delete(struct fl_request *req, fl_api_delete_fn del, const char *param);

enum fl_api_reply_list_flags {
	FL_API_LIST_LINKS_FIRST = (1 << 0), /* "links" before the items (the original's field order) */
};

/*
 * Answer 200 with a collection: {"<key>": items, "links": [self, up,
 * help]} where self is `path`, up is /v1 and help is `help`.  Takes
 * ownership of items.
 */
int fl_api_reply_list(struct fl_request *req, const char *key, json_t *items, const char *path, const char *help,
		      unsigned flags);

/*
 * The links of a collection, [self, up, help], as fl_api_reply_list writes
 * them, under the links base `base` (req->base, or a copy of it kept by an
 * answer that is streamed after the handler returned).  New reference.
 */
json_t *fl_api_list_links(const char *base, const char *path, const char *help);

/* The links of one list entry: [{"href": <base><path><escaped id>, "rel": "self"}] (new reference). */
json_t *fl_api_self_links(struct fl_request *req, const char *path, const char *id);
/* The same under the links base `base` (see fl_api_list_links). */
json_t *fl_api_self_links_at(const char *base, const char *path, const char *id);

/*
 * Decode the request body (JSON, or YAML for application/x-yaml) as an
 * object.  null_ok: a JSON `null` body counts as {}.  On failure answers
 * 400 and returns NULL.  Caller owns the result.
 */
json_t *fl_api_body_object(struct fl_request *req, bool null_ok);

/* Answer an error from a struct fl_error (JSON error body). */
int fl_api_fail(struct fl_request *req, const struct fl_error *err);

/*
 * Copy of an engine JSON value with map keys sorted the way Go marshals
 * maps: the members of labels, packLabels, context and actions objects are
 * sorted, and input/payload values are sorted all the way down.  Struct-like
 * objects keep their order.  Returns a new reference (json_null() for NULL).
 */
json_t *fl_api_normalize(const json_t *v);
/* Copy of any JSON value with every object's members sorted (a Go map all the way down). */
json_t *fl_api_sorted_deep(const json_t *v);

/* Add {"href","rel"} links (see http/links.h) using the request's base. */
void fl_api_link(struct fl_request *req, json_t *links, const char *path, const char *id, const char *suffix,
		 const char *rel);

/* Set `Location: <base><path><escaped id>`. */
void fl_api_location(struct fl_request *req, const char *path, const char *id);

/* Copy member `key` of src into dst when it exists and is not empty/null. */
void fl_api_copy_nonempty(json_t *dst, const json_t *src, const char *key);

#endif
