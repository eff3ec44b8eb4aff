/* SPDX-License-Identifier: Apache-2.0 */
/*
 * api-util.h - helpers shared by the black-box API suites in tests/api.
 *
 * Thin conveniences over tests/harness: starting a server with the
 * defaults these suites use, posting flows and datastore items, and waiting
 * for the audit to show executions.  Functions that can fail return the
 * HTTP status (or -1) and leave asserting to the caller.
 */
#ifndef FL_API_UTIL_H
#define FL_API_UTIL_H

#include "fl-common.h"

#include "harness.h"

/*
 * Start a server whose takes wait `take_wait_ms` (FLYTE_TAKE_WAIT_MS) plus
 * the given extra "NAME=value" entries (NULL-terminated, may be NULL).
 * Returns NULL after printing diagnostics if it does not become healthy.
 */
struct flh_server *api_start(int take_wait_ms, const char *const *extra_env);

/* POST a flow definition (JSON text); returns the status. */
long api_post_flow(struct flh_server *s, const char *json);
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

/* GET /health == 200. */
bool api_alive(struct flh_server *s);

/* RFC 3339 timestamp within `slack_sec` of the wall clock. */
bool api_time_near_now(const char *rfc3339, int slack_sec);

/* 24 hexadecimal characters (ObjectId shape). */
bool api_is_oid(const char *s);

#endif
