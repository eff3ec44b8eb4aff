/* SPDX-License-Identifier: Apache-2.0 */
/*
 * response.h - an HTTP response being built: status, content type, body
 * and a few extra headers.
 *
 * fl_response_error() is the one place where an error becomes a response:
 * `Content-Type: application/json` and {"error":"<message>","status":<n>}.
 */
#ifndef FL_RESPONSE_H
#define FL_RESPONSE_H

#include "buf.h"
#include "error.h"
#include "fl-common.h"

#define FL_RESPONSE_MAX_HEADERS 8

struct fl_response_header {
	char *name;  /* owned */
	char *value; /* owned */
};

/*
 * A body made piece by piece while it is sent: append the next piece to out
 * and return FL_OK; an empty piece ends the body; an error ends the
 * connection (the status line has gone out already).  Called on the HTTP
 * thread that serves the connection, one call at a time.
 */
typedef int (*fl_response_produce_fn)(void *state, struct fl_buf *out);

struct fl_response {
	int status;         /* 0 until a response is set */
	char *content_type; /* owned; NULL sends no Content-Type */
	struct fl_buf body;
	struct fl_response_header headers[FL_RESPONSE_MAX_HEADERS];
	size_t nheaders;
	/* a streamed body (fl_response_stream): used instead of `body` */
	fl_response_produce_fn produce;
	void *produce_state;               /* owned: freed with produce_free */
	void (*produce_free)(void *state);
};

void fl_response_init(struct fl_response *r);
void fl_response_release(struct fl_response *r);

/* Replace status, content type (copied, may be NULL) and body (copied). */
void fl_response_set(struct fl_response *r, int status, const char *content_type, const void *body, size_t len);
/*
 * Replace status and content type, and stream the body from produce (sent
 * chunked, or until the connection closes for HTTP/1.0).  The response owns
 * state from now on and frees it with free_state (may be NULL).
 */
void fl_response_stream(struct fl_response *r, int status, const char *content_type, fl_response_produce_fn produce,
			void *state, void (*free_state)(void *state));
/* Add a header (both strings copied); extra headers beyond the maximum are dropped. */
void fl_response_add_header(struct fl_response *r, const char *name, const char *value);
/* Value of a header added with fl_response_add_header (case-insensitive), or NULL. */
const char *fl_response_header(const struct fl_response *r, const char *name);

/*
 * THE error response: status, `Content-Type: application/json` and the
 * body {"error":msg,"status":status}.  msg NULL or "" uses the reason
 * phrase of the status.  Headers already added are kept.
 */
void fl_response_error(struct fl_response *r, int status, const char *msg);
/* fl_response_error() with the HTTP status mapped from err->code (error.h). */
void fl_response_from_error(struct fl_response *r, const struct fl_error *err);

/* Reason phrase of a status ("Not Found"), "Unknown" for others. */
const char *fl_response_reason(int status);

#endif
