// SPDX-License-Identifier: Apache-2.0
/*
 * request.c - unit tests of the transport-independent request
 * (src/http/request.c, response.c): early answers (OPTIONS, 404, 405, 413,
 * 431), the auth hook, request ids, JSON error bodies, YAML answers, and the
 * park/resume protocol under every interleaving, including a threaded race.
 */
#include "fl-common.h"

#include <pthread.h>
#include <sched.h>

#include "fltest.h"
#include "http/request.h"

/* ------------------------------------------------------------ fixture */

static int h_hello(struct fl_request *req)
{
	json_t *o = json_pack("{s:s,s:s}", "hello", fl_request_param(req, "name"), "q",
			      fl_request_query(req, "q") ? fl_request_query(req, "q") : "");
	fl_request_reply_json(req, 200, o);
	json_decref(o);
	return FL_OK;
}

static int h_echo(struct fl_request *req)
{
	fl_response_set(&req->resp, 200, "application/octet-stream", req->body.ptr, req->body.len);
	return FL_OK;
}

static int h_silent(struct fl_request *req)
{
	(void)req;
	return FL_OK; /* forgets to answer: must become a 500 */
}

static int finish_ok(struct fl_request *req)
{
	fl_request_reply_empty(req, req->result.code == FL_OK ? 202 : 500);
	return FL_OK;
}

static int h_async(struct fl_request *req)
{
	return fl_request_wait(req, finish_ok);
}

static const struct fl_route routes[] = {
	{ "GET", "/hello/{name}", h_hello, "hello" },
	{ "POST", "/echo", h_echo, "echo" },
	{ "GET", "/silent", h_silent, "silent" },
	{ "POST", "/async", h_async, "async" },
	{ "DELETE", "/hello/{name}", h_hello, "delete" },
};

static struct fl_router *router;

static struct fl_http_ctx make_ctx(void)
{
	struct fl_http_ctx ctx;
	struct fl_error err = FL_ERROR_INIT;

	memset(&ctx, 0, sizeof(ctx));
	if (!router && fl_router_new(&router, routes, FL_ARRAY_LEN(routes), &err) != FL_OK)
		FLT_FAIL("router: %s", err.msg);
	ctx.router = router;
	ctx.limits = (struct fl_body_limits)FL_BODY_LIMITS_DEFAULT;
	ctx.max_body = 16;
	ctx.max_header_bytes = 200;
	return ctx;
}

/* Run a whole synchronous request; returns the response status. */
static int run(struct fl_request *req, const struct fl_http_ctx *ctx, const char *method, const char *target,
	       const char *body)
{
	fl_request_init(req, ctx, method, target);
	req->h.host = "h:1";
	if (fl_request_begin(req))
		return req->resp.status;
	if (body && !fl_request_body_add(req, body, strlen(body)))
		return req->resp.status;
	if (fl_request_run(req) != FL_OK)
		FLT_FAIL("unexpected FL_EAGAIN");
	return req->resp.status;
}

/* run() when only the status matters: the request is released. */
static int status_of(const struct fl_http_ctx *ctx, const char *method, const char *target, const char *body)
{
	struct fl_request req;
	int status = run(&req, ctx, method, target, body);

	fl_request_release(&req);
	return status;
}

/* -------------------------------------------------------------- tests */

FLT_TEST(test_route_and_params)
{
	struct fl_http_ctx ctx = make_ctx();
	struct fl_request req;

	FLT_EQ_INT(run(&req, &ctx, "GET", "/hello/My%20Pack?q=a+b&:name=Other", NULL), 200);
	FLT_EQ_STR(req.resp.content_type, "application/json; charset=utf-8");
	FLT_EQ_STR(req.resp.body.ptr, "{\"hello\":\"My Pack\",\"q\":\"a b\"}");
	FLT_EQ_STR(req.base, "http://h:1");
	fl_request_release(&req);
	/* absolute-form request targets route on their path */
	FLT_EQ_INT(status_of(&ctx, "GET", "http://other:9/hello/x", NULL), 200);
}

FLT_TEST(test_not_found_and_method)
{
	struct fl_http_ctx ctx = make_ctx();
	struct fl_request req;

	FLT_EQ_INT(run(&req, &ctx, "GET", "/hello/", NULL), 404);
	FLT_EQ_STR(req.resp.content_type, "application/json");
	FLT_EQ_STR(req.resp.body.ptr, "{\"error\":\"path '/hello/' not found\",\"status\":404}");
	fl_request_release(&req);
	FLT_EQ_INT(run(&req, &ctx, "PUT", "/hello/x", NULL), 405);
	FLT_EQ_STR(fl_response_header(&req.resp, "Allow"), "DELETE, GET, OPTIONS");
	FLT_EQ_STR(req.resp.body.ptr, "{\"error\":\"method 'PUT' is not allowed on '/hello/x'\",\"status\":405}");
	fl_request_release(&req);
	FLT_EQ_INT(status_of(&ctx, "HEAD", "/hello/x", NULL), 405);
	FLT_EQ_INT(run(&req, &ctx, "TRACE", "/echo", NULL), 405);
	FLT_EQ_STR(fl_response_header(&req.resp, "Allow"), "OPTIONS, POST");
	fl_request_release(&req);
	FLT_EQ_INT(status_of(&ctx, "GET", "/hello/%zz", NULL), 400);
}

FLT_TEST(test_options)
{
	struct fl_http_ctx ctx = make_ctx();
	struct fl_request req;

	FLT_EQ_INT(run(&req, &ctx, "OPTIONS", "/hello/x", NULL), 204);
	FLT_EQ_STR(fl_response_header(&req.resp, "Allow"), "DELETE, GET, OPTIONS");
	FLT_EQ_INT(req.resp.body.len, 0);
	fl_request_release(&req);
	FLT_EQ_INT(status_of(&ctx, "OPTIONS", "/nothing", NULL), 404);
}

FLT_TEST(test_limits)
{
	struct fl_http_ctx ctx = make_ctx();
	struct fl_request req;
	char longpath[400];

	fl_request_init(&req, &ctx, "POST", "/echo");
	req.h.content_length = "17";
	FLT_ASSERT(fl_request_begin(&req));
	FLT_EQ_INT(req.resp.status, 413);
	FLT_EQ_STR(req.resp.body.ptr, "{\"error\":\"request body is larger than 16 bytes\",\"status\":413}");
	fl_request_release(&req);

	fl_request_init(&req, &ctx, "POST", "/echo");
	req.h.content_length = "16x";
	FLT_ASSERT(fl_request_begin(&req));
	FLT_EQ_INT(req.resp.status, 400);
	fl_request_release(&req);

	/* no Content-Length (chunked): the running total is checked */
	FLT_EQ_INT(run(&req, &ctx, "POST", "/echo", "0123456789abcdef"), 200);
	FLT_EQ_MEM(req.resp.body.ptr, req.resp.body.len, "0123456789abcdef", 16);
	fl_request_release(&req);
	fl_request_init(&req, &ctx, "POST", "/echo");
	FLT_ASSERT(!fl_request_begin(&req));
	FLT_ASSERT(fl_request_body_add(&req, "0123456789", 10));
	FLT_ASSERT(!fl_request_body_add(&req, "0123456789", 10));
	FLT_EQ_INT(req.resp.status, 413);
	FLT_ASSERT(!fl_request_body_add(&req, "x", 1));
	fl_request_release(&req);

	fl_request_init(&req, &ctx, "GET", "/hello/x");
	req.header_bytes = 201;
	FLT_ASSERT(fl_request_begin(&req));
	FLT_EQ_INT(req.resp.status, 431);
	fl_request_release(&req);

	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[0] = '/';
	longpath[sizeof(longpath) - 1] = '\0';
	FLT_EQ_INT(status_of(&ctx, "GET", longpath, NULL), 404);
}

FLT_TEST(test_handler_without_answer)
{
	struct fl_http_ctx ctx = make_ctx();
	struct fl_request req;

	FLT_EQ_INT(run(&req, &ctx, "GET", "/silent", NULL), 500);
	FLT_EQ_STR(req.resp.content_type, "application/json");
	fl_request_release(&req);
}

FLT_TEST(test_request_id)
{
	struct fl_http_ctx ctx = make_ctx();
	struct fl_request req;

	fl_request_init(&req, &ctx, "GET", "/hello/x");
	req.h.x_request_id = "abc-123_X.y";
	fl_request_begin(&req);
	FLT_EQ_STR(req.id, "abc-123_X.y");
	FLT_EQ_STR(req.log.request_id, req.id);
	fl_request_release(&req);
	fl_request_init(&req, &ctx, "GET", "/hello/x");
	req.h.x_request_id = "bad id\"";
	fl_request_begin(&req);
	FLT_EQ_INT(strlen(req.id), 24);
	fl_request_release(&req);
}

/* ------------------------------------------------------------- auth */

static char seen_path[128];

static int fake_authorize(struct fl_auth *auth, const char *method, const char *path, const char *authorization,
			  struct fl_auth_result *res)
{
	(void)auth;
	snprintf(seen_path, sizeof(seen_path), "%s %s", method, path);
	memset(res, 0, sizeof(*res));
	if (!authorization) {
		res->decision = FL_AUTH_NO_TOKEN;
		res->status = 401;
		res->www_authenticate = "Bearer realm=\"token\"";
		snprintf(res->reason, sizeof(res->reason), "a bearer token is required");
	} else if (strcmp(authorization, "Bearer reader") == 0 && strcmp(method, "GET") != 0) {
		res->decision = FL_AUTH_METHOD;
		res->status = 405;
		snprintf(res->allow, sizeof(res->allow), "GET");
		snprintf(res->reason, sizeof(res->reason), "method not allowed by policy");
	} else if (strcmp(authorization, "Bearer nobody") == 0) {
		res->decision = FL_AUTH_FORBIDDEN;
		res->status = 403;
		snprintf(res->reason, sizeof(res->reason), "claims not satisfied");
	}
	return FL_OK;
}

FLT_TEST(test_auth_hook)
{
	struct fl_http_ctx ctx = make_ctx();
	struct fl_request req;

	ctx.authorize = fake_authorize;
	FLT_EQ_INT(run(&req, &ctx, "GET", "/hello/a%2Fb?x=1", NULL), 401);
	FLT_EQ_STR(seen_path, "GET /hello/a/b");
	FLT_EQ_STR(fl_response_header(&req.resp, "WWW-Authenticate"), "Bearer realm=\"token\"");
	FLT_EQ_STR(req.resp.body.ptr, "{\"error\":\"a bearer token is required\",\"status\":401}");
	fl_request_release(&req);

	fl_request_init(&req, &ctx, "DELETE", "/hello/x");
	req.h.authorization = "Bearer reader";
	FLT_ASSERT(fl_request_begin(&req));
	FLT_EQ_INT(req.resp.status, 405);
	FLT_EQ_STR(fl_response_header(&req.resp, "Allow"), "GET");
	fl_request_release(&req);

	fl_request_init(&req, &ctx, "GET", "/hello/x");
	req.h.authorization = "Bearer nobody";
	FLT_ASSERT(fl_request_begin(&req));
	FLT_EQ_INT(req.resp.status, 403);
	fl_request_release(&req);

	fl_request_init(&req, &ctx, "GET", "/hello/x");
	req.h.authorization = "Bearer reader";
	FLT_ASSERT(!fl_request_begin(&req));
	fl_request_release(&req);

	/* OPTIONS is answered before auth, like the original's outer router */
	FLT_EQ_INT(status_of(&ctx, "OPTIONS", "/hello/x", NULL), 204);
}

/* ---------------------------------------------------------- answers */

FLT_TEST(test_error_body)
{
	struct fl_response r;
	struct fl_error err = FL_ERROR_INIT;

	fl_response_init(&r);
	fl_response_error(&r, 404, "pack \"a\\b\" not found");
	FLT_EQ_STR(r.body.ptr, "{\"error\":\"pack \\\"a\\\\b\\\" not found\",\"status\":404}");
	FLT_EQ_STR(r.content_type, "application/json");
	fl_response_error(&r, 409, NULL);
	FLT_EQ_STR(r.body.ptr, "{\"error\":\"Conflict\",\"status\":409}");
	/* bytes that are not UTF-8 never reach the JSON body: U+FFFD, as in every JSON string */
	fl_response_error(&r, 400, "bad \xff\xfe name \xc3\xa9");
	FLT_EQ_STR(r.body.ptr, "{\"error\":\"bad \xef\xbf\xbd\xef\xbf\xbd name \xc3\xa9\",\"status\":400}");
	fl_error_set(&err, FL_ECONFLICT, "action 'x' is not in PENDING state");
	fl_response_from_error(&r, &err);
	FLT_EQ_INT(r.status, 409);
	fl_error_set(&err, FL_EFORBIDDEN, "%s", "");
	fl_response_from_error(&r, &err);
	FLT_EQ_STR(r.body.ptr, "{\"error\":\"forbidden\",\"status\":403}");
	fl_response_release(&r);
}

FLT_TEST(test_yaml_answer)
{
	struct fl_http_ctx ctx = make_ctx();
	struct fl_request req;

	fl_request_init(&req, &ctx, "GET", "/hello/x");
	req.h.accept = "application/x-yaml";
	FLT_ASSERT(!fl_request_begin(&req));
	FLT_EQ_INT(fl_request_run(&req), FL_OK);
	FLT_EQ_STR(req.resp.content_type, "application/x-yaml; charset=utf-8");
	FLT_EQ_STR(req.resp.body.ptr, "hello: \"x\"\nq: \"\"\n");
	fl_request_release(&req);
	fl_request_init(&req, &ctx, "GET", "/hello/x");
	req.h.accept = "application/x-yaml, application/json";
	FLT_ASSERT(!fl_request_begin(&req));
	FLT_EQ_INT(fl_request_run(&req), FL_OK);
	FLT_EQ_STR(req.resp.content_type, "application/json; charset=utf-8");
	fl_request_release(&req);
}

static int undelivered_calls;

static void on_undelivered(struct fl_request *req)
{
	(void)req;
	undelivered_calls++;
}

FLT_TEST(test_undelivered_once)
{
	struct fl_http_ctx ctx = make_ctx();
	struct fl_request req;

	undelivered_calls = 0;
	FLT_EQ_INT(run(&req, &ctx, "GET", "/hello/x", NULL), 200);
	req.on_undelivered = on_undelivered;
	fl_request_undelivered(&req);
	fl_request_end(&req, false);
	FLT_EQ_INT(undelivered_calls, 1);
	fl_request_release(&req);
	FLT_EQ_INT(run(&req, &ctx, "GET", "/hello/x", NULL), 200);
	req.on_undelivered = on_undelivered;
	fl_request_end(&req, true);
	FLT_EQ_INT(undelivered_calls, 1);
	fl_request_release(&req);
}

/* -------------------------------------------------- park and resume */

struct fake_transport {
	atomic_int suspends, resumes;
	atomic_int order_ok; /* resume never before suspend */
};

static void t_suspend(struct fl_request *req)
{
	struct fake_transport *t = req->transport;
	atomic_fetch_add(&t->suspends, 1);
}

static void t_resume(struct fl_request *req)
{
	struct fake_transport *t = req->transport;
	if (atomic_load(&t->suspends) != 1)
		atomic_store(&t->order_ok, 0);
	atomic_fetch_add(&t->resumes, 1);
}

static const struct fl_request_ops t_ops = { t_suspend, t_resume };

static void start_async(struct fl_request *req, const struct fl_http_ctx *ctx, struct fake_transport *t)
{
	memset(t, 0, sizeof(*t));
	atomic_store(&t->order_ok, 1);
	fl_request_init(req, ctx, "POST", "/async");
	req->ops = &t_ops;
	req->transport = t;
	if (fl_request_begin(req))
		FLT_FAIL("async route not found");
}

FLT_TEST(test_complete_before_return)
{
	struct fl_http_ctx ctx = make_ctx();
	struct fl_request req;
	struct fake_transport t;

	start_async(&req, &ctx, &t);
	/* the engine finished before the handler returned: no suspend at all */
	req.result.code = FL_OK;
	fl_request_complete(&req);
	FLT_EQ_INT(fl_request_run(&req), FL_OK);
	FLT_EQ_INT(req.resp.status, 202);
	FLT_EQ_INT(atomic_load(&t.suspends), 0);
	FLT_EQ_INT(atomic_load(&t.resumes), 0);
	fl_request_release(&req);
}

FLT_TEST(test_complete_before_park)
{
	struct fl_http_ctx ctx = make_ctx();
	struct fl_request req;
	struct fake_transport t;

	start_async(&req, &ctx, &t);
	FLT_EQ_INT(fl_request_run(&req), FL_EAGAIN);
	fl_request_complete(&req); /* between the handler's return and park() */
	fl_request_park(&req);     /* suspends, sees DONE, resumes itself */
	FLT_EQ_INT(atomic_load(&t.suspends), 1);
	FLT_EQ_INT(atomic_load(&t.resumes), 1);
	FLT_EQ_INT(atomic_load(&t.order_ok), 1);
	fl_request_resumed(&req);
	FLT_EQ_INT(req.resp.status, 202);
	fl_request_release(&req);
}

FLT_TEST(test_complete_after_park)
{
	struct fl_http_ctx ctx = make_ctx();
	struct fl_request req;
	struct fake_transport t;

	start_async(&req, &ctx, &t);
	FLT_EQ_INT(fl_request_run(&req), FL_EAGAIN);
	fl_request_park(&req);
	FLT_EQ_INT(atomic_load(&t.resumes), 0);
	req.result.code = FL_ENOTFOUND;
	fl_request_complete(&req);
	FLT_EQ_INT(atomic_load(&t.suspends), 1);
	FLT_EQ_INT(atomic_load(&t.resumes), 1);
	fl_request_resumed(&req);
	FLT_EQ_INT(req.resp.status, 500);
	fl_request_release(&req);
}

struct racer {
	struct fl_request *req;
	atomic_int go;
	int spin;
};

static void *complete_thread(void *arg)
{
	struct racer *r = arg;

	while (!atomic_load(&r->go))
		sched_yield();
	for (volatile int i = 0; i < r->spin; i++)
		;
	r->req->result.code = FL_OK;
	fl_request_complete(r->req);
	return NULL;
}

/* Whatever the interleaving: at most one suspend, exactly one resume after it. */
FLT_TEST(test_race)
{
	struct fl_http_ctx ctx = make_ctx();

	for (int round = 0; round < 2000; round++) {
		struct fl_request req;
		struct fake_transport t;
		struct racer r = { &req, 0, (round * 37) % 500 };
		pthread_t th;
		int rc;

		start_async(&req, &ctx, &t);
		pthread_create(&th, NULL, complete_thread, &r);
		atomic_store(&r.go, 1);
		rc = fl_request_run(&req);
		if (rc == FL_EAGAIN)
			fl_request_park(&req);
		pthread_join(th, NULL);
		if (rc == FL_EAGAIN) {
			FLT_EQ_INT(atomic_load(&t.suspends), 1);
			FLT_EQ_INT(atomic_load(&t.resumes), 1);
			FLT_EQ_INT(atomic_load(&t.order_ok), 1);
			fl_request_resumed(&req);
		} else {
			FLT_EQ_INT(atomic_load(&t.suspends), 0);
			FLT_EQ_INT(atomic_load(&t.resumes), 0);
		}
		FLT_EQ_INT(req.resp.status, 202);
		fl_request_release(&req);
	}
	fl_router_free(router);
	router = NULL;
}

FLT_MAIN(test_route_and_params, test_not_found_and_method, test_options, test_limits, test_handler_without_answer,
	 test_request_id, test_auth_hook, test_error_body, test_yaml_answer, test_undelivered_once,
	 test_complete_before_return, test_complete_before_park, test_complete_after_park, test_race)
