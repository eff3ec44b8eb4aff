// SPDX-License-Identifier: Apache-2.0
/*
 * links.c - unit tests of the links builder (src/http/links.c): the base
 * URL from forwarding headers, escaping of ids, absolute swagger rels.
 */
#include "fl-common.h"

#include "fltest.h"
#include "http/links.h"

static const char *base_of(const char *xfp, const char *xflyte, const char *xfh, const char *host, bool tls)
{
	static char out[FL_LINKS_BASE_MAX];
	struct fl_links_headers h = { xfp, xflyte, xfh, host };

	fl_links_base(out, &h, tls);
	return out;
}

FLT_TEST(test_base)
{
	FLT_EQ_STR(base_of(NULL, NULL, NULL, "localhost:8080", false), "http://localhost:8080");
	FLT_EQ_STR(base_of(NULL, NULL, NULL, "flyte:8443", true), "https://flyte:8443");
	FLT_EQ_STR(base_of("https", NULL, NULL, "internal:8080", false), "https://internal:8080");
	FLT_EQ_STR(base_of("HTTPS, http", NULL, NULL, "h", false), "https://h");
	FLT_EQ_STR(base_of(NULL, NULL, "proxy.example.com", "internal:8080", false), "http://proxy.example.com");
	FLT_EQ_STR(base_of(NULL, NULL, "a.example, b.example", "internal", false), "http://a.example");
	FLT_EQ_STR(base_of("http", "flyte.example", "proxy", "internal", true), "http://flyte.example");
	FLT_EQ_STR(base_of(NULL, NULL, NULL, "[::1]:8080", false), "http://[::1]:8080");
	FLT_EQ_STR(base_of(NULL, NULL, NULL, NULL, false), "http://localhost");
}

FLT_TEST(test_base_rejects_garbage)
{
	/* malformed headers are skipped, never copied into links */
	FLT_EQ_STR(base_of("ht tp", NULL, NULL, "h", false), "http://h");
	FLT_EQ_STR(base_of("javascript:alert(1)", NULL, NULL, "h", true), "https://h");
	FLT_EQ_STR(base_of(NULL, "evil/path", NULL, "h", false), "http://h");
	FLT_EQ_STR(base_of(NULL, "a b", "c\"d", "h", false), "http://h");
	FLT_EQ_STR(base_of(NULL, NULL, NULL, "", false), "http://localhost");
}

FLT_TEST(test_push)
{
	json_t *links = json_array();
	char *s;

	fl_links_push(links, "http://h", "/v1/packs/", "My Pack", "/actions/take", "/swagger#!/action/takeAction");
	fl_links_push(links, "http://h", "/v1/packs", NULL, NULL, "self");
	fl_links_push(links, "http://h", "/v1/swagger", NULL, NULL, "/swagger");
	fl_links_push(links, "http://h", "/v1/packs/", "a/b", NULL, NULL);
	fl_links_push_href(links, "https://docs/x", "help");
	s = json_dumps(links, JSON_COMPACT);
	FLT_EQ_STR(s, "[{\"href\":\"http://h/v1/packs/My%20Pack/actions/take\","
		      "\"rel\":\"http://h/swagger#!/action/takeAction\"},"
		      "{\"href\":\"http://h/v1/packs\",\"rel\":\"self\"},"
		      "{\"href\":\"http://h/v1/swagger\",\"rel\":\"http://h/swagger\"},"
		      "{\"href\":\"http://h/v1/packs/a%2Fb\"},"
		      "{\"href\":\"https://docs/x\",\"rel\":\"help\"}]");
	free(s);
	json_decref(links);
}

FLT_MAIN(test_base, test_base_rejects_garbage, test_push)
