/* SPDX-License-Identifier: Apache-2.0 */
/*
 * request.h - one HTTP request from arrival to completion, independent of
 * the server library.
 *
 * Lifecycle, driven by the transport (mhd.c) or by a test:
 *
 *   fl_request_init()          method and raw request target known
 *   (transport fills req->h)   headers
 *   fl_request_begin()         request id, links base, auth, routing, the
 *                              Content-Length limit; true = answer now
 *   fl_request_body_add() ...  body chunks (false = over the limit, 413 set)
 *   fl_request_run()           the route handler: FL_OK = answer ready,
 *                              FL_EAGAIN = an asynchronous operation runs
 *   fl_request_park()          transport side of FL_EAGAIN (see below)
 *   fl_request_resumed()       after resume: the handler's finish step
 *   fl_request_end()           response sent (or not): access log, and the
 *                              undelivered hook when the client is gone
 *   fl_request_release()
 *
 * Park/resume protocol.  A handler starts an engine operation whose
 * completion callback may run on another thread at any moment, even before
 * the handler has returned.  The callback stores its outcome in req->result
 * and calls fl_request_complete().  The transport calls fl_request_park():
 * it suspends the connection first, then moves RUNNING -> PARKED with a
 * compare-and-swap; if the callback won the race (state DONE), park resumes
 * the connection itself.  fl_request_complete() swaps in DONE and resumes
 * only if it saw PARKED.  So resume always follows suspend, exactly once,
 * and the completing thread never touches the request after resuming it.
 */
#ifndef FL_REQUEST_H
#define FL_REQUEST_H

#include <jansson.h>
#include <stdatomic.h>

#include "auth/auth.h"
#include "buf.h"
#include "error.h"
#include "fl-common.h"
#include "http/body.h"
#include "http/links.h"
#include "http/response.h"
#include "http/router.h"
#include "http/url.h"
#include "log.h"

#define FL_REQUEST_ID_MAX 40

struct fl_request;

/* Everything the server shares with its requests; borrowed, read-only. */
struct fl_http_ctx {
	const struct fl_router *router;
	struct fl_body_limits limits;
	size_t max_body;
	size_t max_header_bytes; /* request line + headers; 0 = unchecked */
	bool tls;
	void *app; /* the API context (struct fl_api) */
	/* Called before routing when set (fl_auth_check); NULL = open API. */
	int (*authorize)(struct fl_auth *auth, const char *method, const char *path, const char *authorization,
			 struct fl_auth_result *res);
	struct fl_auth *auth;
};

/* The request headers the server looks at (borrowed from the transport). */
struct fl_request_headers {
	const char *host;
	const char *x_forwarded_proto;
	const char *x_forwarded_host;
	const char *x_flyte_host;
	const char *accept;
	const char *content_type;
	const char *content_length;
	const char *authorization;
	const char *x_request_id;
	const char *prefer; /* RFC 7240 */
};

struct fl_request_ops {
	void (*suspend)(struct fl_request *req);
	void (*resume)(struct fl_request *req);
};

/* Outcome of an asynchronous operation, written by the completing thread. */
struct fl_request_result {
	int code;
	struct fl_error err;
	json_t *body; /* reference owned by the request */
	bool created;
};

enum fl_request_async {
	FL_REQUEST_RUNNING = 0,
	FL_REQUEST_PARKED,
	FL_REQUEST_DONE,
};

struct fl_request {
	const struct fl_http_ctx *ctx;
	const char *method;       /* borrowed */
	char *target;             /* request target as received, owned */
	char *path;               /* raw path without the query, owned */
	struct fl_query query;
	struct fl_route_match match;
	struct fl_request_headers h;
	size_t header_bytes; /* size of the request line and headers, set by the transport */
	int refuse_status;   /* set by the transport: the head is refused (framing), 0 = no */
	char refuse_msg[128];
	char id[FL_REQUEST_ID_MAX];
	char base[FL_LINKS_BASE_MAX];
	struct fl_buf body;
	struct fl_response resp;
	struct fl_log_ctx log;
	int64_t start_ns;

	/* asynchronous completion */
	atomic_int async;
	const struct fl_request_ops *ops;
	void *transport;
	int (*finish)(struct fl_request *req);
	struct fl_request_result result;

	/*
	 * Set by a handler whose answer hands something over (a take): the
	 * transport then suspends it so that a client that half-closed its
	 * socket while waiting still gets the answer (see mhd.c).
	 */
	bool hands_over;
	/* Called at most once when the answer could not be delivered. */
	void (*on_undelivered)(struct fl_request *req);
	json_t *data; /* handler data kept until the end (e.g. for the hook); owned */
	bool undelivered_called;
};

/* Prepare req for method + request target (both copied or borrowed as noted). */
void fl_request_init(struct fl_request *req, const struct fl_http_ctx *ctx, const char *method, const char *target);
void fl_request_release(struct fl_request *req);

/*
 * After the headers: assign the request id, compute the links base, answer
 * a refusal of the transport (refuse_status), check the header size, the
 * number of query parameters and the body size announced by
 * Content-Length, authorise, route.  Returns true
 * when req->resp already holds the answer (error, OPTIONS, 413...).
 */
bool fl_request_begin(struct fl_request *req);

/* Append body data; false when the limit is passed (req->resp is then 413). */
bool fl_request_body_add(struct fl_request *req, const char *data, size_t len);

/* Run the route handler.  FL_OK: req->resp is ready.  FL_EAGAIN: park it. */
int fl_request_run(struct fl_request *req);

/*
 * Called by a handler just before it returns FL_EAGAIN: finish runs on a
 * server thread once the operation completed (req->result is filled).
 */
int fl_request_wait(struct fl_request *req, int (*finish)(struct fl_request *req));

/* Transport: suspend and park after fl_request_run() returned FL_EAGAIN. */
void fl_request_park(struct fl_request *req);
/* Completing thread: req->result is filled; resumes the request if parked. */
void fl_request_complete(struct fl_request *req);
/* Transport, after resume: run the finish step; req->resp is then ready. */
void fl_request_resumed(struct fl_request *req);

/* The client will not get the answer: call the undelivered hook once. */
void fl_request_undelivered(struct fl_request *req);

/* The exchange is over: access log line, undelivered hook if !delivered. */
void fl_request_end(struct fl_request *req, bool delivered);

/* True if the client asked for YAML (Accept exactly application/x-yaml). */
bool fl_request_wants_yaml(const struct fl_request *req);

/*
 * Answer with a JSON value (borrowed): compact JSON with
 * `application/json; charset=utf-8`, or YAML with
 * `application/x-yaml; charset=utf-8` when the client asked for it.
 */
void fl_request_reply_json(struct fl_request *req, int status, const json_t *v);
/* Answer with an error (the JSON error body of response.h). */
void fl_request_reply_error(struct fl_request *req, const struct fl_error *err);
/* Answer with a status and no body. */
void fl_request_reply_empty(struct fl_request *req, int status);

/* Path parameter by name (decoded), or NULL.  Borrowed. */
const char *fl_request_param(const struct fl_request *req, const char *name);
/* First query parameter by name (decoded), or NULL.  Borrowed. */
const char *fl_request_query(const struct fl_request *req, const char *name);

#endif
