// SPDX-License-Identifier: Apache-2.0
/*
 * info.c - the discovery and service endpoints: `/`, `/v1` (the links every
 * pack client starts from), `/health`, the OpenAPI document at
 * `/v1/swagger` and a small page at `/swagger` pointing to it.
 */
#include "fl-common.h"

#include "api/api.h"

static int get_root(struct fl_request *req)
{
	json_t *o = json_object(), *links = json_array();

	fl_api_link(req, links, "/", NULL, NULL, "self");
	fl_api_link(req, links, "/swagger#/info", NULL, NULL, "help");
	fl_api_link(req, links, "/v1", NULL, NULL, "/swagger#!/info/v1");
	json_object_set_new(o, "links", links);
	fl_request_reply_json(req, 200, o);
	json_decref(o);
	return FL_OK;
}

/* The order is pinned by the original's tests. */
static int get_v1(struct fl_request *req)
{
	static const struct {
		const char *path, *rel;
	} v1_links[] = {
		{ "/v1", "self" },
		{ "/", "up" },
		{ "/swagger#!/info/v1", "help" },
		{ "/health", "/swagger#!/info/health" },
		{ "/v1/packs", "/swagger#!/pack/listPacks" },
		{ "/v1/flows", "/swagger#!/flow/listFlows" },
		{ "/v1/datastore", "/swagger#!/datastore/listDatastoreItems" },
		{ "/v1/audit/flows", "/swagger#!/flowAudit/findFlows" },
		{ "/v1/swagger", "/swagger" },
	};
	json_t *o = json_object(), *links = json_array();

	for (size_t i = 0; i < FL_ARRAY_LEN(v1_links); i++)
		fl_api_link(req, links, v1_links[i].path, NULL, NULL, v1_links[i].rel);
	json_object_set_new(o, "links", links);
	fl_request_reply_json(req, 200, o);
	json_decref(o);
	return FL_OK;
}

static int get_health(struct fl_request *req)
{
	struct fl_error err = FL_ERROR_INIT;
	json_t *o;

	if (fl_engine_health(fl_api_of(req)->engine, &err) != FL_OK) {
		FL_LOG_E(&req->log, "health check failed: %s", err.msg);
		/* 503: what a load balancer takes as "take this instance out" */
		fl_response_error(&req->resp, 503, err.msg);
		return FL_OK;
	}
	o = json_pack("{s:s}", "status", "ok");
	fl_request_reply_json(req, 200, o);
	json_decref(o);
	return FL_OK;
}

static int get_swagger_yaml(struct fl_request *req)
{
	fl_response_set(&req->resp, 200, "application/vnd.yaml; charset=utf-8", fl_api_openapi_yaml,
			fl_api_openapi_yaml_len);
	return FL_OK;
}

static int get_swagger_config(struct fl_request *req)
{
	struct fl_error err = FL_ERROR_INIT;

	if (strcmp(fl_request_param(req, "file"), "v1.yml") != 0) {
		fl_error_set(&err, FL_ENOTFOUND, "file '%s' not found", fl_request_param(req, "file"));
		return fl_api_fail(req, &err);
	}
	return get_swagger_yaml(req);
}

static int get_swagger_page(struct fl_request *req)
{
	struct fl_buf b = FL_BUF_INIT(0);

	fl_buf_addf(&b,
		    "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>flyte API</title></head>\n"
		    "<body><h1>flyte API</h1>\n"
		    "<p>The OpenAPI 3 description of this server is at <a href=\"%s/v1/swagger\">%s/v1/swagger</a>.\n"
		    "Load it into any OpenAPI viewer.</p>\n</body></html>\n",
		    req->base, req->base);
	if (fl_buf_failed(&b)) {
		struct fl_error err = FL_ERROR_INIT;
		fl_error_set(&err, b.error, "cannot build the page");
		fl_buf_release(&b);
		return fl_api_fail(req, &err);
	}
	fl_response_set(&req->resp, 200, "text/html; charset=utf-8", b.ptr, b.len);
	fl_buf_release(&b);
	return FL_OK;
}

const struct fl_route fl_api_info_routes[] = {
	{ "GET", "/", get_root, "links to the API versions" },
	{ "GET", "/v1", get_v1, "links to every resource of API v1" },
	{ "GET", "/health", get_health, "200 when the database answers" },
	{ "GET", "/v1/swagger", get_swagger_yaml, "the OpenAPI document" },
	{ "GET", "/swagger", get_swagger_page, "a page linking to the OpenAPI document" },
	{ "GET", "/swagger-config/{file}", get_swagger_config, "the OpenAPI document under its original name v1.yml" },
};
const size_t fl_api_info_routes_len = FL_ARRAY_LEN(fl_api_info_routes);
