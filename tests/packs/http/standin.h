/* SPDX-License-Identifier: Apache-2.0 */
/*
 * standin.h - a small HTTP(S) server on libmicrohttpd that stands in for an
 * external service (Jira, Bamboo, Bitbucket, Consul, Graphite) in the pack
 * tests.
 *
 * The server keeps the request exactly as it arrived - method, the raw
 * request target (path and query are NOT percent-decoded), headers and
 * body - and hands it to a product model (a standin_fn) that checks it the
 * way the real service would and fills the answer.  Every request is
 * recorded, so a test can assert what the pack sent.  Faults can be queued:
 * the next N requests get a given status/body/Retry-After, or are delayed
 * before the model answers, or get garbage.
 *
 * Each connection runs in its own thread (a delay holds only that
 * connection).  The log and the fault queue are guarded by a mutex; the
 * model is called from server threads and must guard its own state (the
 * `lock` helpers below serialise model calls when asked).
 */
#ifndef STANDIN_H
#define STANDIN_H

#include "fl-common.h"

struct standin_req {
	char method[16];
	char *target; /* raw "/path?query" as sent */
	char *path;   /* raw path, before '?' */
	char *query;  /* raw query after '?', "" if none */
	char **hnames, **hvalues;
	size_t n_headers;
	char *body; /* NUL-terminated (extra NUL not counted) */
	size_t body_len;
};

/* First header called name (case-insensitive) or NULL.  Borrowed. */
const char *standin_req_header(const struct standin_req *r, const char *name);
void standin_req_release(struct standin_req *r);

#define STANDIN_MAX_HEADERS 8

struct standin_resp {
	int status;                 /* 0 = not answered yet */
	char content_type[96];      /* "" = none */
	char *body;                 /* malloc'd, may be NULL */
	size_t body_len;
	char hname[STANDIN_MAX_HEADERS][48];
	char hvalue[STANDIN_MAX_HEADERS][160];
	size_t n_headers;
};

/* Answer with status and a JSON body built printf-style (Content-Type application/json). */
void standin_json(struct standin_resp *r, int status, const char *fmt, ...) FL_PRINTF(3, 4);
/* Answer with status, a content type (NULL = none) and a body (NULL = empty). */
void standin_text(struct standin_resp *r, int status, const char *ctype, const char *body);
/* Add a header to the answer. */
void standin_header(struct standin_resp *r, const char *name, const char *value);

/*
 * A product model: check req, fill resp.  Leaving resp->status 0 answers
 * 500 with a note (a model bug shows up in the test, not as a hang).
 */
typedef void (*standin_fn)(const struct standin_req *req, struct standin_resp *resp, void *payload);

struct standin;

struct standin_tls {
	const char *cert_pem; /* PEM text (not a path) */
	const char *key_pem;
};

/*
 * Start a server on 127.0.0.1 and a free port.  tls NULL = plain HTTP.
 * Returns 0 and *out, or -1 (message on stdout as a TAP comment).
 */
int standin_start(struct standin **out, standin_fn fn, void *payload, const struct standin_tls *tls);
void standin_stop(struct standin *s); /* NULL ok */
/* "http://127.0.0.1:PORT" (or https).  Borrowed. */
const char *standin_url(const struct standin *s);

/* Requests recorded so far. */
size_t standin_count(struct standin *s);
/* Deep copy of request i (0-based); 0, or -1 if there is none. */
int standin_get(struct standin *s, size_t i, struct standin_req *out);
/* Forget recorded requests and queued faults. */
void standin_reset(struct standin *s);

struct standin_fault {
	unsigned count;       /* how many of the next requests it applies to */
	int delay_ms;         /* sleep before answering */
	int status;           /* 0 = let the model answer (after the delay) */
	const char *ctype;    /* with status: content type, NULL = none */
	const char *body;     /* with status: body, NULL = empty */
	const char *retry_after; /* with status: Retry-After value, NULL = none */
};

/* Queue a fault (copied); faults apply in order. */
void standin_fault(struct standin *s, const struct standin_fault *f);

#endif
