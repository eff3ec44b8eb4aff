// SPDX-License-Identifier: Apache-2.0
/*
 * router.c - unit tests of the route table matcher (src/http/router.c):
 * exact paths, trailing slashes, empty segments, parameters that are
 * percent-decoded after splitting, query strings that cannot override path
 * parameters, 405 with Allow, and precedence of literal segments.
 */
#include "fl-common.h"

#include "fltest.h"
#include "http/router.h"

static int h_ok(struct fl_request *req)
{
	(void)req;
	return FL_OK;
}

static const struct fl_route routes[] = {
	{ "GET", "/", h_ok, "root" },
	{ "GET", "/v1", h_ok, "v1" },
	{ "GET", "/v1/packs", h_ok, "list packs" },
	{ "POST", "/v1/packs", h_ok, "register" },
	{ "GET", "/v1/packs/{packId}", h_ok, "get pack" },
	{ "DELETE", "/v1/packs/{packId}", h_ok, "delete pack" },
	{ "POST", "/v1/packs/{packId}/actions/take", h_ok, "take" },
	{ "POST", "/v1/packs/{packId}/actions/{actionId}/result", h_ok, "result" },
	{ "GET", "/v1/datastore/{key}", h_ok, "get item" },
	{ "GET", "/v1/datastore/special", h_ok, "literal wins" },
};

static struct fl_router *make(void)
{
	struct fl_router *r = NULL;
	struct fl_error err = FL_ERROR_INIT;

	if (fl_router_new(&r, routes, FL_ARRAY_LEN(routes), &err) != FL_OK)
		FLT_FAIL("router: %s", err.msg);
	return r;
}

static int match(struct fl_router *r, const char *method, const char *path, struct fl_route_match *m)
{
	struct fl_error err = FL_ERROR_INIT;
	return fl_router_match(r, method, path, strlen(path), m, &err);
}

FLT_TEST(test_exact)
{
	struct fl_router *r = make();
	struct fl_route_match m;

	FLT_EQ_INT(match(r, "GET", "/", &m), FL_OK);
	FLT_EQ_STR(m.route->help, "root");
	FLT_EQ_INT(match(r, "GET", "/v1", &m), FL_OK);
	FLT_EQ_STR(m.route->help, "v1");
	FLT_EQ_INT(match(r, "POST", "/v1/packs", &m), FL_OK);
	FLT_EQ_STR(m.route->help, "register");
	FLT_EQ_INT(match(r, "GET", "/v1/", &m), FL_ENOTFOUND);
	FLT_EQ_INT(match(r, "GET", "/v1/packs/", &m), FL_ENOTFOUND);
	FLT_EQ_INT(match(r, "GET", "//v1", &m), FL_ENOTFOUND);
	FLT_EQ_INT(match(r, "GET", "/v1//packs", &m), FL_ENOTFOUND);
	FLT_EQ_INT(match(r, "GET", "/v2", &m), FL_ENOTFOUND);
	FLT_EQ_INT(match(r, "GET", "/V1", &m), FL_ENOTFOUND);
	FLT_EQ_INT(match(r, "GET", "/v1/packs/a/b", &m), FL_ENOTFOUND);
	FLT_EQ_INT(match(r, "GET", "", &m), FL_ENOTFOUND);
	FLT_EQ_INT(match(r, "GET", "v1", &m), FL_ENOTFOUND);
	FLT_EQ_INT(match(r, "GET", "/v1/packs/./", &m), FL_ENOTFOUND);
	fl_router_free(r);
}

FLT_TEST(test_params)
{
	struct fl_router *r = make();
	struct fl_route_match m;

	FLT_EQ_INT(match(r, "GET", "/v1/packs/Shell.env.dev", &m), FL_OK);
	FLT_EQ_STR(fl_router_param(&m, "packId"), "Shell.env.dev");
	fl_router_match_release(&m);
	FLT_EQ_INT(match(r, "GET", "/v1/packs/My%20Pack", &m), FL_OK);
	FLT_EQ_STR(fl_router_param(&m, "packId"), "My Pack");
	fl_router_match_release(&m);
	/* %2F stays inside the segment; %2e%2e is just a name, never path traversal */
	FLT_EQ_INT(match(r, "GET", "/v1/packs/a%2Fb", &m), FL_OK);
	FLT_EQ_STR(fl_router_param(&m, "packId"), "a/b");
	fl_router_match_release(&m);
	FLT_EQ_INT(match(r, "GET", "/v1/packs/%2e%2e", &m), FL_OK);
	FLT_EQ_STR(fl_router_param(&m, "packId"), "..");
	fl_router_match_release(&m);
	FLT_EQ_INT(match(r, "POST", "/v1/packs/P/actions/5a1d/result", &m), FL_OK);
	FLT_EQ_STR(fl_router_param(&m, "packId"), "P");
	FLT_EQ_STR(fl_router_param(&m, "actionId"), "5a1d");
	FLT_ASSERT(fl_router_param(&m, "nope") == NULL);
	fl_router_match_release(&m);
	FLT_EQ_INT(match(r, "GET", "/v1/packs/%zz", &m), FL_EINVALID);
	FLT_EQ_INT(match(r, "GET", "/v1/packs/a%00", &m), FL_EINVALID);
	fl_router_free(r);
}

/* The router sees only the path: a "?:packId=" trick is part of the segment. */
FLT_TEST(test_query_cannot_override)
{
	struct fl_router *r = make();
	struct fl_route_match m;

	FLT_EQ_INT(match(r, "GET", "/v1/packs/Real?:packId=Other", &m), FL_OK);
	FLT_EQ_STR(fl_router_param(&m, "packId"), "Real?:packId=Other");
	fl_router_match_release(&m);
	fl_router_free(r);
}

FLT_TEST(test_take_vs_result)
{
	struct fl_router *r = make();
	struct fl_route_match m;

	FLT_EQ_INT(match(r, "POST", "/v1/packs/P/actions/take", &m), FL_OK);
	FLT_EQ_STR(m.route->help, "take");
	fl_router_match_release(&m);
	FLT_EQ_INT(match(r, "POST", "/v1/packs/P/actions/take/result", &m), FL_OK);
	FLT_EQ_STR(m.route->help, "result");
	FLT_EQ_STR(fl_router_param(&m, "actionId"), "take");
	fl_router_match_release(&m);
	FLT_EQ_INT(match(r, "GET", "/v1/datastore/special", &m), FL_OK);
	FLT_EQ_STR(m.route->help, "literal wins");
	fl_router_match_release(&m);
	FLT_EQ_INT(match(r, "GET", "/v1/datastore/other", &m), FL_OK);
	FLT_EQ_STR(m.route->help, "get item");
	fl_router_match_release(&m);
	fl_router_free(r);
}

FLT_TEST(test_method_not_allowed)
{
	struct fl_router *r = make();
	struct fl_route_match m;
	struct fl_error err = FL_ERROR_INIT;

	FLT_EQ_INT(fl_router_match(r, "PUT", "/v1/packs", 9, &m, &err), FL_EMETHOD);
	FLT_EQ_STR(m.allow, "GET, OPTIONS, POST");
	FLT_EQ_STR(err.msg, "method 'PUT' is not allowed on '/v1/packs'");
	FLT_EQ_INT(match(r, "HEAD", "/v1/packs/x", &m), FL_EMETHOD);
	FLT_EQ_STR(m.allow, "DELETE, GET, OPTIONS");
	FLT_EQ_INT(match(r, "TRACE", "/", &m), FL_EMETHOD);
	FLT_EQ_STR(m.allow, "GET, OPTIONS");
	FLT_EQ_INT(match(r, "OPTIONS", "/v1/packs/x/actions/take", &m), FL_EMETHOD);
	FLT_EQ_STR(m.allow, "OPTIONS, POST");
	fl_router_free(r);
}

FLT_TEST(test_too_many_segments)
{
	struct fl_router *r = make();
	struct fl_route_match m;
	char path[4096];
	size_t n = 0;

	for (int i = 0; i < 1000; i++)
		n += (size_t)snprintf(path + n, sizeof(path) - n, "/a");
	FLT_EQ_INT(fl_router_match(r, "GET", path, n, &m, &(struct fl_error)FL_ERROR_INIT), FL_ENOTFOUND);
	fl_router_free(r);
}

FLT_TEST(test_bad_tables)
{
	struct fl_router *r = NULL;
	struct fl_error err = FL_ERROR_INIT;
	const struct fl_route dup[] = { { "GET", "/a", h_ok, "x" }, { "GET", "/a", h_ok, "y" } };
	const struct fl_route rel[] = { { "GET", "a", h_ok, "x" } };
	const struct fl_route trail[] = { { "GET", "/a/", h_ok, "x" } };
	const struct fl_route brace[] = { { "GET", "/a/{x", h_ok, "x" } };

	FLT_EQ_INT(fl_router_new(&r, dup, 2, &err), FL_EINVALID);
	FLT_ASSERT(r == NULL);
	FLT_EQ_INT(fl_router_new(&r, rel, 1, &err), FL_EINVALID);
	FLT_EQ_INT(fl_router_new(&r, trail, 1, &err), FL_EINVALID);
	FLT_EQ_INT(fl_router_new(&r, brace, 1, &err), FL_EINVALID);
}

FLT_MAIN(test_exact, test_params, test_query_cannot_override, test_take_vs_result, test_method_not_allowed,
	 test_too_many_segments, test_bad_tables)
