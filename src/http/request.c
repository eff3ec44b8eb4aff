// SPDX-License-Identifier: Apache-2.0
/*
 * request.c - the life of one HTTP request, independent of libmicrohttpd:
 * request ids, authorisation and routing before the body is read, body
 * buffering with the size cap, running handlers, the park/resume protocol
 * for asynchronous engine operations, content negotiation of JSON/YAML
 * answers and the access log line.
 */
#include "fl-common.h"

#include <strings.h>

#include "alloc.h"
#include "json/json.h"
#include "http/request.h"
#include "yaml/yaml.h"
#include "oid.h"
#include "timeutil.h"

static const char *path_of_target(const char *t, size_t *len)
{
	const char *p = t;

	if (strncasecmp(t, "http://", 7) == 0 || strncasecmp(t, "https://", 8) == 0) {
		p = strchr(strchr(t, ':') + 3, '/');
		if (!p) {
			*len = 1;
			return "/";
		}
	}
	*len = strcspn(p, "?#");
	return p;
}

void fl_request_init(struct fl_request *req, const struct fl_http_ctx *ctx, const char *method, const char *target)
{
	const char *p, *q;
	size_t plen;

	memset(req, 0, sizeof(*req));
	req->ctx = ctx;
	req->method = method;
	req->target = fl_xstrdup(target ? target : "");
	req->start_ns = fl_time_mono_ns();
	p = path_of_target(req->target, &plen);
	req->path = fl_xmemdup0(p, plen);
	q = p[plen] == '?' ? p + plen + 1 : NULL;
	if (q)
		fl_url_query_parse(&req->query, q, strcspn(q, "#"));
	fl_buf_init(&req->body, ctx->max_body);
	fl_response_init(&req->resp);
	atomic_init(&req->async, FL_REQUEST_RUNNING);
}

void fl_request_release(struct fl_request *req)
{
	if (!req)
		return;
	free(req->target);
	free(req->path);
	fl_url_query_release(&req->query);
	fl_router_match_release(&req->match);
	fl_buf_release(&req->body);
	fl_response_release(&req->resp);
	json_decref(req->result.body);
	json_decref(req->data);
	memset(req, 0, sizeof(*req));
}

static bool valid_request_id(const char *s)
{
	size_t n = 0;

	if (!s)
		return false;
	for (; s[n]; n++) {
		char c = s[n];
		if (n >= FL_REQUEST_ID_MAX - 1 ||
		    !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
		      c == '_' || c == '.'))
			return false;
	}
	return n > 0;
}

static bool refuse(struct fl_request *req, int status, const char *msg)
{
	fl_response_error(&req->resp, status, msg);
	return true;
}

static bool authorize(struct fl_request *req)
{
	const struct fl_http_ctx *ctx = req->ctx;
	struct fl_auth_result res;
	struct fl_buf decoded = FL_BUF_INIT(strlen(req->path) + 1);
	bool refused = false;

	memset(&res, 0, sizeof(res));
	if (fl_url_decode(&decoded, req->path, strlen(req->path), 0) != FL_OK) {
		fl_buf_release(&decoded);
		return refuse(req, 400, "malformed percent-encoding in the request path");
	}
	ctx->authorize(ctx->auth, req->method, decoded.ptr, req->h.authorization, &res);
	fl_buf_release(&decoded);
	if (res.decision != FL_AUTH_ALLOW) {
		fl_response_error(&req->resp, res.status ? res.status : 401, res.reason);
		if (res.www_authenticate)
			fl_response_add_header(&req->resp, "WWW-Authenticate", res.www_authenticate);
		if (res.allow[0])
			fl_response_add_header(&req->resp, "Allow", res.allow);
		FL_LOG_D(&req->log, "refused by the auth policy: %s", res.reason);
		refused = true;
	}
	return refused;
}

bool fl_request_begin(struct fl_request *req)
{
	const struct fl_http_ctx *ctx = req->ctx;
	struct fl_links_headers lh = { req->h.x_forwarded_proto, req->h.x_flyte_host, req->h.x_forwarded_host,
				       req->h.host };
	struct fl_error err = FL_ERROR_INIT;
	uint64_t clen = 0;
	int rc;

	if (valid_request_id(req->h.x_request_id))
		snprintf(req->id, sizeof(req->id), "%s", req->h.x_request_id);
	else
		fl_oid_new(req->id);
	req->log.request_id = req->id;
	fl_links_base(req->base, &lh, ctx->tls);

	if (req->refuse_status) {
		FL_LOG_D(&req->log, "%s", req->refuse_msg);
		return refuse(req, req->refuse_status, req->refuse_msg);
	}
	if (ctx->max_header_bytes && req->header_bytes > ctx->max_header_bytes) {
		char msg[96];
		snprintf(msg, sizeof(msg), "request headers are larger than %zu bytes", ctx->max_header_bytes);
		return refuse(req, 431, msg);
	}
	if (req->query.truncated) {
		char msg[96];
		snprintf(msg, sizeof(msg), "more than %d query parameters", FL_QUERY_MAX_PARAMS);
		return refuse(req, 400, msg);
	}
	if (req->h.content_length) {
		if (fl_body_content_length(req->h.content_length, &clen) != FL_OK)
			return refuse(req, 400, "invalid Content-Length header");
		if (clen > ctx->max_body) {
			char msg[96];
			snprintf(msg, sizeof(msg), "request body is larger than %zu bytes", ctx->max_body);
			return refuse(req, 413, msg);
		}
	}
	if (strcmp(req->method, "OPTIONS") == 0) {
		rc = fl_router_match(ctx->router, "OPTIONS", req->path, strlen(req->path), &req->match, &err);
		if (rc == FL_EMETHOD || rc == FL_OK) {
			fl_response_set(&req->resp, 204, NULL, NULL, 0);
			fl_response_add_header(&req->resp, "Allow", req->match.allow);
			return true;
		}
		fl_response_from_error(&req->resp, &err);
		return true;
	}
	if (ctx->authorize && authorize(req))
		return true;
	rc = fl_router_match(ctx->router, req->method, req->path, strlen(req->path), &req->match, &err);
	if (rc == FL_OK)
		return false;
	fl_response_from_error(&req->resp, &err);
	if (rc == FL_EMETHOD)
		fl_response_add_header(&req->resp, "Allow", req->match.allow);
	return true;
}

bool fl_request_body_add(struct fl_request *req, const char *data, size_t len)
{
	char msg[96];

	if (fl_buf_failed(&req->body))
		return false;
	fl_buf_add(&req->body, data, len);
	if (!fl_buf_failed(&req->body))
		return true;
	snprintf(msg, sizeof(msg), "request body is larger than %zu bytes", req->ctx->max_body);
	fl_response_error(&req->resp, 413, msg);
	return false;
}

static void check_answer(struct fl_request *req, int rc)
{
	if (rc == FL_OK && req->resp.status)
		return;
	FL_LOG_E(&req->log, "handler for '%s %s' returned %s without an answer", req->method, req->path,
		 fl_err_name(rc));
	fl_response_error(&req->resp, 500, NULL);
}

int fl_request_run(struct fl_request *req)
{
	int rc = req->match.route->fn(req);

	if (rc == FL_EAGAIN) {
		if (!req->finish)
			FL_BUG("handler returned FL_EAGAIN without fl_request_wait()");
		/* fast path: the operation already completed, no need to suspend */
		if (atomic_load(&req->async) == FL_REQUEST_DONE) {
			fl_request_resumed(req);
			return FL_OK;
		}
		return FL_EAGAIN;
	}
	check_answer(req, rc);
	return FL_OK;
}

int fl_request_wait(struct fl_request *req, int (*finish)(struct fl_request *req))
{
	req->finish = finish;
	return FL_EAGAIN;
}

void fl_request_park(struct fl_request *req)
{
	int expected = FL_REQUEST_RUNNING;

	req->ops->suspend(req);
	if (!atomic_compare_exchange_strong(&req->async, &expected, FL_REQUEST_PARKED)) {
		/* completed between the handler's return and the suspend */
		req->ops->resume(req);
	}
}

void fl_request_complete(struct fl_request *req)
{
	const struct fl_request_ops *ops = req->ops;

	if (atomic_exchange(&req->async, FL_REQUEST_DONE) == FL_REQUEST_PARKED)
		ops->resume(req);
	/* req may be gone from here on */
}

void fl_request_resumed(struct fl_request *req)
{
	int rc = req->finish(req);

	check_answer(req, rc);
}

void fl_request_undelivered(struct fl_request *req)
{
	if (req->undelivered_called || !req->on_undelivered)
		return;
	req->undelivered_called = true;
	req->on_undelivered(req);
}

void fl_request_end(struct fl_request *req, bool delivered)
{
	double ms = (double)(fl_time_mono_ns() - req->start_ns) / 1e6;

	if (!delivered)
		fl_request_undelivered(req);
	/* Answered requests are the hot path of every pack (takes, events, results):
	 * their access line is debug; refusals, errors and lost answers stay info. */
	int level = req->resp.status >= 400 || !delivered || req->undelivered_called ? FL_LOG_INFO : FL_LOG_DEBUG;
	FL_LOG(level, &req->log, "%s %s %d %.3fms%s", req->method ? req->method : "-", req->path ? req->path : "-",
	       req->resp.status, ms, delivered && !req->undelivered_called ? "" : " (not delivered)");
}

bool fl_request_wants_yaml(const struct fl_request *req)
{
	return req->h.accept && strcmp(req->h.accept, "application/x-yaml") == 0;
}

void fl_request_reply_json(struct fl_request *req, int status, const json_t *v)
{
	struct fl_buf b = FL_BUF_INIT(0);
	bool yaml = fl_request_wants_yaml(req);

	if (yaml)
		fl_yaml_from_json(&b, v);
	else
		fl_json_dump(&b, v);
	if (fl_buf_failed(&b)) {
		fl_buf_release(&b);
		fl_response_error(&req->resp, 500, "response is too large");
		return;
	}
	fl_response_set(&req->resp, status, yaml ? "application/x-yaml; charset=utf-8" : "application/json; charset=utf-8",
			b.ptr, b.len);
	fl_buf_release(&b);
}

void fl_request_reply_error(struct fl_request *req, const struct fl_error *err)
{
	fl_response_from_error(&req->resp, err);
}

void fl_request_reply_empty(struct fl_request *req, int status)
{
	fl_response_set(&req->resp, status, NULL, NULL, 0);
}

const char *fl_request_param(const struct fl_request *req, const char *name)
{
	return fl_router_param(&req->match, name);
}

const char *fl_request_query(const struct fl_request *req, const char *name)
{
	return fl_url_query_get(&req->query, name);
}
