/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fakesrv.h - a tiny threaded HTTP/1.1 server on 127.0.0.1 for client tests.
 *
 * Each connection gets a thread; requests are read whole (Content-Length
 * bodies only) and passed to the test's handler, which fills the response.
 * A handler may block (to imitate a long-poll) and may ask for the
 * connection to be dropped without an answer.  Handlers run concurrently:
 * they protect their own state.
 */
#ifndef FAKESRV_H
#define FAKESRV_H

#include <stdbool.h>
#include <stddef.h>

struct fake_req {
	char method[16];
	char path[1024];
	char content_type[256];
	char authorization[1024];
	char prefer[128];
	char *body; /* NUL-terminated */
	size_t body_len;
};

struct fake_resp {
	int status;
	char content_type[128];
	char location[512];
	char *body; /* malloc'd by fake_body(), freed by the server */
	size_t body_len;
	bool drop; /* close the connection without answering */
};

struct fake_srv;

typedef void (*fake_handler)(struct fake_srv *s, const struct fake_req *req, struct fake_resp *resp, void *ud);

/* Start on 127.0.0.1; port 0 picks a free port.  NULL on failure. */
struct fake_srv *fake_start(int port, fake_handler h, void *ud);
/* Stop: close the listener and every connection, join all threads. */
void fake_stop(struct fake_srv *s);
int fake_port(const struct fake_srv *s);
/* "http://127.0.0.1:<port>" */
const char *fake_url(const struct fake_srv *s);
/* Set the response body (JSON content type unless set). */
void fake_body(struct fake_resp *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A free TCP port on 127.0.0.1 (bound and released). */
int fake_free_port(void);

#endif
