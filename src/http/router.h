/* SPDX-License-Identifier: Apache-2.0 */
/*
 * router.h - the REST route table and its matcher.
 *
 * A route is { method, pattern, handler, help }.  Patterns are absolute
 * paths whose segments are either literal or a parameter `{name}` that
 * matches exactly one non-empty segment (common/pathpat.h, the matcher the
 * path policy uses too).  Matching is exact: no trailing slash tolerance,
 * no empty segments, no path cleaning.  Parameter values are
 * percent-decoded after the path has been split, so "%2F" inside a
 * segment stays inside that parameter.  Parameters come only from the path.
 *
 * When several patterns match a path, the most specific wins: the one with
 * a literal segment where the others have a parameter, compared left to
 * right (pathpat.h).  Routes of the same pattern shape are one resource:
 * its methods are the Allow list of a 405.
 */
#ifndef FL_ROUTER_H
#define FL_ROUTER_H

#include "error.h"
#include "fl-common.h"
#include "str.h"

struct fl_request;

/*
 * A route handler.  Returns FL_OK once req->resp holds the answer, or
 * FL_EAGAIN when it started an asynchronous operation (see request.h).
 */
typedef int (*fl_route_fn)(struct fl_request *req);

struct fl_route {
	const char *method;  /* "GET", "POST", "PUT", "DELETE" */
	const char *pattern; /* "/v1/packs/{packId}" */
	fl_route_fn fn;
	const char *help;    /* one line, for docs and logs */
};

#define FL_ROUTER_MAX_PARAMS 4
#define FL_ROUTER_ALLOW_MAX 96

struct fl_route_param {
	struct fl_str name; /* borrowed from the route table */
	char *value;        /* decoded, owned by the match */
};

struct fl_route_match {
	const struct fl_route *route;
	size_t nparams;
	struct fl_route_param params[FL_ROUTER_MAX_PARAMS];
	char allow[FL_ROUTER_ALLOW_MAX]; /* methods of the matched path, "DELETE, GET, OPTIONS" */
};

struct fl_router;

/*
 * Compile a route table (borrowed: routes must outlive the router).
 * FL_EINVALID for a malformed pattern (pathpat.h: not absolute, empty
 * segment, too many segments, a bad or repeated parameter name, more than
 * FL_ROUTER_MAX_PARAMS parameters) or a method registered twice for one
 * pattern shape.
 */
int fl_router_new(struct fl_router **out, const struct fl_route *routes, size_t n, struct fl_error *err);
void fl_router_free(struct fl_router *r);

/*
 * Match method + raw path (no query string, not decoded).  Returns
 *  - FL_OK: m->route and m->params are set;
 *  - FL_ENOTFOUND: no pattern matches the path;
 *  - FL_EMETHOD: the path matches but not with this method; m->allow lists
 *    the methods that do (plus OPTIONS);
 *  - FL_EINVALID: a parameter segment has a malformed escape or a NUL.
 * err gets a message naming the method and path.  m is always released
 * with fl_router_match_release().
 */
int fl_router_match(const struct fl_router *r, const char *method, const char *path, size_t len,
		    struct fl_route_match *m, struct fl_error *err);
/* Value of a path parameter, or NULL.  Borrowed from m. */
const char *fl_router_param(const struct fl_route_match *m, const char *name);
void fl_router_match_release(struct fl_route_match *m);

#endif
