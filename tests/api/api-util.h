/* SPDX-License-Identifier: Apache-2.0 */
/*
 * api-util.h - helpers shared by the black-box API suites in tests/api.
 *
 * Thin conveniences over tests/harness: starting a server with the
 * defaults these suites use, posting flows and datastore items, and waiting
 * for the audit to show executions.  Functions that can fail return the
 * HTTP status (or -1) and leave asserting to the caller; api_srv, for
 * tests/fltest.h suites, asserts itself.
 */
#ifndef FL_API_UTIL_H
#define FL_API_UTIL_H

#include "fl-common.h"

#include "harness.h"

#include <pthread.h>
#include <stdatomic.h>

/*
 * Start a server whose takes wait `take_wait_ms` (FLYTE_TAKE_WAIT_MS) plus
 * the given extra "NAME=value" entries (NULL-terminated, may be NULL).
 * Returns NULL after printing diagnostics if it does not become healthy.
 */
struct flh_server *api_start(int take_wait_ms, const char *const *extra_env);

/*
 * The server the tests of a suite share: started on first use with takes
 * waiting 300 ms, kept to the end of the suite.  When it does not start,
 * the calling test fails (FLH_ASSERT) and later tests do not try again.
 */
struct flh_server *api_srv(void);
/* api_srv's URL, the base of the links it answers with. */
const char *api_base(void);

/* POST a flow definition (JSON text); returns the status. */
long api_post_flow(struct flh_server *s, const char *json);
/* POST JSON text to a path; returns the status (the answer is printed unless 2xx). */
long api_post_json(struct flh_server *s, const char *path, const char *json);
/* POST a body with a content type to a path; returns the status. */
long api_post_status(struct flh_server *s, const char *path, const char *ctype, const char *body);

/*
 * PUT a datastore item as multipart: file part "value" (with a filename,
 * content type `type` or none when NULL) and, when `description` is not
 * NULL, a form field "description".  `query` is appended to the URL when not
 * NULL (e.g. "description=x").  Returns the status.
 */
long api_put_item(struct flh_server *s, const char *key, const void *data, size_t len, const char *type,
		  const char *description, const char *query);

/*
 * GET /v1/audit/flows?<query> until its "flows" array has at least
 * `min_flows` entries and `pred` (when not NULL) accepts the answer, or
 * timeout_ms passes.  Returns the last answer's JSON (new reference; caller
 * decrefs) or NULL when the request kept failing.
 */
json_t *api_audit_wait(struct flh_server *s, const char *query, size_t min_flows,
		       bool (*pred)(json_t *answer, void *arg), void *arg, int timeout_ms);

/* Number of actions in all executions of an audit answer. */
size_t api_audit_action_count(json_t *answer);

/*
 * Copy of `tmpl` with every "{B}" replaced by `base` (the scheme://host of
 * the expected links).  Caller frees.
 */
char *api_subst(const char *tmpl, const char *base);

/* Parse api_subst(tmpl, base) as JSON; new reference or NULL. */
json_t *api_expect_json(const char *tmpl, const char *base);

/*
 * GET path on api_srv() with extra request headers (NULL-terminated, may be
 * NULL): 200, a JSON Content-Type and exactly (in member order) the
 * document api_expect_json(tmpl, base); base NULL is api_base().
 */
void api_get_same(const char *path, const char *const *headers, const char *tmpl, const char *base);

/* A take on a thread of its own: a long poll that parks in the server. */
struct api_taker {
	pthread_t th;
	struct flh_pack *pack;
	const char *query; /* appended to the take link, may be NULL */
	struct flh_action a; /* the answer: release it */
	long status;
	atomic_int done; /* set once the take has answered */
};

/* Start t's take; the test fails when the thread cannot start. */
void api_taker_start(struct api_taker *t, struct flh_pack *p, const char *query);
/*
 * Wait up to 3 s for the pack's lastSeen to differ from `before`: a take
 * reached the server.  Prints a note when it did not; false then.
 */
bool api_take_arrived(struct flh_pack *p, const char *before);
/* api_taker_start, then wait until the server has the take (api_take_arrived). */
void api_taker_park(struct api_taker *t, struct flh_pack *p, const char *query);

/* GET /health == 200. */
bool api_alive(struct flh_server *s);

/* RFC 3339 timestamp within `slack_sec` of the wall clock. */
bool api_time_near_now(const char *rfc3339, int slack_sec);

/* 24 hexadecimal characters (ObjectId shape). */
bool api_is_oid(const char *s);

#endif
