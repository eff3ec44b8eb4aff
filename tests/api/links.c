/* SPDX-License-Identifier: Apache-2.0 */
/*
 * links.c - black-box tests of the hypermedia links (spec §a.1, §a.3, §j.2).
 *
 * Checks the exact link documents of GET / and GET /v1 (pinned order),
 * how hrefs follow X-Forwarded-Proto, X-Flyte-Host, X-Forwarded-Host and
 * Host, and the Location + links contract pack clients rely on: a pack
 * registration answers 201 with an absolute Location and links whose rels
 * end in "event" and "takeAction", GET <Location> returns the same links,
 * pack-supplied links come first, each command advertises its own take link
 * with ?commandName=, flows answer 201 with a Location, and the datastore
 * answers 201 then 204.
 */
#include "fl-common.h"

#include "api-util.h"
#include "fltest.h"
#include "harness.h"

static const char ROOT_LINKS[] =
	"{\"links\":["
	"{\"href\":\"{B}/\",\"rel\":\"self\"},"
	"{\"href\":\"{B}/swagger#/info\",\"rel\":\"help\"},"
	"{\"href\":\"{B}/v1\",\"rel\":\"{B}/swagger#!/info/v1\"}]}";

static const char V1_LINKS[] =
	"{\"links\":["
	"{\"href\":\"{B}/v1\",\"rel\":\"self\"},"
	"{\"href\":\"{B}/\",\"rel\":\"up\"},"
	"{\"href\":\"{B}/swagger#!/info/v1\",\"rel\":\"help\"},"
	"{\"href\":\"{B}/health\",\"rel\":\"{B}/swagger#!/info/health\"},"
	"{\"href\":\"{B}/v1/packs\",\"rel\":\"{B}/swagger#!/pack/listPacks\"},"
	"{\"href\":\"{B}/v1/flows\",\"rel\":\"{B}/swagger#!/flow/listFlows\"},"
	"{\"href\":\"{B}/v1/datastore\",\"rel\":\"{B}/swagger#!/datastore/listDatastoreItems\"},"
	"{\"href\":\"{B}/v1/audit/flows\",\"rel\":\"{B}/swagger#!/flowAudit/findFlows\"},"
	"{\"href\":\"{B}/v1/swagger\",\"rel\":\"{B}/swagger\"}]}";

FLT_TEST(root_links_exact)
{
	api_get_same("/", NULL, ROOT_LINKS, api_base());
}

FLT_TEST(v1_links_exact_order)
{
	api_get_same("/v1", NULL, V1_LINKS, api_base());
}

FLT_TEST(links_follow_x_forwarded_proto)
{
	const char *h[] = { "X-Forwarded-Proto: https", NULL };
	char b[128];
	snprintf(b, sizeof(b), "https://127.0.0.1:%d", flh_server_port(api_srv()));
	api_get_same("/v1", h, V1_LINKS, b);
	api_get_same("/", h, ROOT_LINKS, b);
}

FLT_TEST(x_flyte_host_wins_over_forwarded_host_and_host)
{
	const char *h[] = { "X-Flyte-Host: flyte.example.com", "X-Forwarded-Host: proxy.example.com",
			    "Host: direct.example.com:8080", NULL };
	api_get_same("/v1", h, V1_LINKS, "http://flyte.example.com");
}

FLT_TEST(x_forwarded_host_wins_over_host)
{
	const char *h[] = { "X-Forwarded-Host: proxy.example.com:8443", "Host: direct.example.com:8080",
			    "X-Forwarded-Proto: https", NULL };
	api_get_same("/v1", h, V1_LINKS, "https://proxy.example.com:8443");
}

FLT_TEST(host_header_with_port_is_used)
{
	const char *h[] = { "Host: direct.example.com:8080", NULL };
	api_get_same("/v1", h, V1_LINKS, "http://direct.example.com:8080");
	api_get_same("/", h, ROOT_LINKS, "http://direct.example.com:8080");
}

FLT_TEST(list_resources_have_self_up_help)
{
	static const struct {
		const char *path;
		const char *links;
	} cases[] = {
		{ "/v1/packs", "[{\"href\":\"{B}/v1/packs\",\"rel\":\"self\"},"
			       "{\"href\":\"{B}/v1\",\"rel\":\"up\"},"
			       "{\"href\":\"{B}/swagger#/pack\",\"rel\":\"help\"}]" },
		{ "/v1/flows", "[{\"href\":\"{B}/v1/flows\",\"rel\":\"self\"},"
			       "{\"href\":\"{B}/v1\",\"rel\":\"up\"},"
			       "{\"href\":\"{B}/swagger#/flow\",\"rel\":\"help\"}]" },
		{ "/v1/datastore", "[{\"href\":\"{B}/v1/datastore\",\"rel\":\"self\"},"
				   "{\"href\":\"{B}/v1\",\"rel\":\"up\"},"
				   "{\"href\":\"{B}/swagger#/datastore\",\"rel\":\"help\"}]" },
		{ "/v1/audit/flows", "[{\"href\":\"{B}/v1/audit/flows\",\"rel\":\"self\"},"
				     "{\"href\":\"{B}/v1\",\"rel\":\"up\"},"
				     "{\"href\":\"{B}/swagger#/flowExecs\",\"rel\":\"help\"}]" },
	};
	for (size_t i = 0; i < FL_ARRAY_LEN(cases); i++) {
		struct flh_resp *r = flh_get(api_srv(), cases[i].path);
		json_t *want = api_expect_json(cases[i].links, api_base());
		FLH_STATUS(r, 200);
		FLH_JSON_SAME(json_object_get(flh_resp_json(r), "links"), want, true);
		json_decref(want);
		flh_resp_free(r);
	}
}

static const char LINK_PACK[] =
	"{\"name\":\"LinkPack\",\"labels\":{\"env\":\"test\"},"
	"\"commands\":[{\"name\":\"DoIt\",\"events\":[\"Done\"],"
	"\"links\":[{\"href\":\"http://docs.example.com/doit\",\"rel\":\"help\"}]},"
	"{\"name\":\"Other\",\"events\":[]}],"
	"\"events\":[{\"name\":\"Happened\"}],"
	"\"links\":[{\"href\":\"http://docs.example.com/readme\",\"rel\":\"help\"}]}";

static const char LINK_PACK_LINKS[] =
	"[{\"href\":\"http://docs.example.com/readme\",\"rel\":\"help\"},"
	"{\"href\":\"{B}/v1/packs/LinkPack.env.test\",\"rel\":\"self\"},"
	"{\"href\":\"{B}/v1/packs\",\"rel\":\"up\"},"
	"{\"href\":\"{B}/v1/packs/LinkPack.env.test/actions/take\",\"rel\":\"{B}/swagger#!/action/takeAction\"},"
	"{\"href\":\"{B}/v1/packs/LinkPack.env.test/events\",\"rel\":\"{B}/swagger#/event\"}]";

FLT_TEST(pack_registration_201_location_and_links)
{
	struct flh_resp *r = flh_post_json(api_srv(), "/v1/packs", LINK_PACK);
	json_t *want = api_expect_json(LINK_PACK_LINKS, api_base());
	json_t *links;
	char loc[256];
	FLH_STATUS(r, 201);
	snprintf(loc, sizeof(loc), "%s/v1/packs/LinkPack.env.test", api_base());
	FLH_EQ_STR(flh_resp_header(r, "Location"), loc);
	links = json_object_get(flh_resp_json(r), "links");
	FLH_JSON_SAME(links, want, true);
	/* Client discovery by rel suffix finds the server links, not the pack's. */
	snprintf(loc, sizeof(loc), "%s/v1/packs/LinkPack.env.test/events", api_base());
	FLH_EQ_STR(flh_link_href(links, "event"), loc);
	snprintf(loc, sizeof(loc), "%s/v1/packs/LinkPack.env.test/actions/take", api_base());
	FLH_EQ_STR(flh_link_href(links, "takeAction"), loc);
	json_decref(want);
	flh_resp_free(r);
}

FLT_TEST(get_location_returns_the_same_links)
{
	struct flh_resp *reg = flh_post_json(api_srv(), "/v1/packs", LINK_PACK);
	struct flh_resp *got;
	const char *loc;
	FLH_STATUS(reg, 201);
	loc = flh_resp_header(reg, "Location");
	FLH_ASSERT(loc != NULL);
	got = flh_get(api_srv(), loc);
	FLH_STATUS(got, 200);
	FLH_JSON_SAME(json_object_get(flh_resp_json(got), "links"),
		      json_object_get(flh_resp_json(reg), "links"), true);
	FLH_JSON_SAME(json_object_get(flh_resp_json(got), "commands"),
		      json_object_get(flh_resp_json(reg), "commands"), true);
	flh_resp_free(got);
	flh_resp_free(reg);
}

FLT_TEST(per_command_take_links_use_command_name)
{
	static const char want_tmpl[] =
		"[{\"name\":\"DoIt\",\"events\":[\"Done\"],\"links\":[{\"href\":"
		"\"{B}/v1/packs/LinkPack.env.test/actions/take?commandName=DoIt\","
		"\"rel\":\"{B}/swagger#!/action/takeAction\"}]},"
		"{\"name\":\"Other\",\"events\":[],\"links\":[{\"href\":"
		"\"{B}/v1/packs/LinkPack.env.test/actions/take?commandName=Other\","
		"\"rel\":\"{B}/swagger#!/action/takeAction\"}]}]";
	struct flh_resp *r = flh_post_json(api_srv(), "/v1/packs", LINK_PACK);
	json_t *want = api_expect_json(want_tmpl, api_base());
	FLH_STATUS(r, 201);
	/* The command's own help link is replaced by the server's take link. */
	FLH_JSON_SAME(json_object_get(flh_resp_json(r), "commands"), want, true);
	json_decref(want);
	flh_resp_free(r);
}

FLT_TEST(registration_links_follow_forwarded_headers)
{
	const char *h[] = { "X-Forwarded-Proto: https", "X-Forwarded-Host: proxy.example.com", NULL };
	struct flh_req req = { .method = "POST", .url = "/v1/packs", .headers = h, .body = LINK_PACK,
			       .content_type = "application/json" };
	struct flh_resp *r = flh_http(api_srv(), &req);
	json_t *want = api_expect_json(LINK_PACK_LINKS, "https://proxy.example.com");
	FLH_STATUS(r, 201);
	FLH_EQ_STR(flh_resp_header(r, "Location"), "https://proxy.example.com/v1/packs/LinkPack.env.test");
	FLH_JSON_SAME(json_object_get(flh_resp_json(r), "links"), want, true);
	json_decref(want);
	flh_resp_free(r);
}

FLT_TEST(pack_links_before_server_links_do_not_capture_suffixes)
{
	/* A pack with "support" and "setup" links (accepted by flyte) still
	 * exposes the server's event/takeAction links to suffix discovery. */
	static const char def[] =
		"{\"name\":\"LinkPack2\",\"links\":[{\"href\":\"http://x.example/s\",\"rel\":\"support\"},"
		"{\"href\":\"http://x.example/h\",\"rel\":\"help\"}]}";
	struct flh_pack p;
	char want[256];
	FLH_EQ_INT(flh_pack_register(&p, api_srv(), def), 201);
	snprintf(want, sizeof(want), "%s/v1/packs/LinkPack2/events", api_base());
	FLH_EQ_STR(p.event_href, want);
	snprintf(want, sizeof(want), "%s/v1/packs/LinkPack2/actions/take", api_base());
	FLH_EQ_STR(p.take_href, want);
	FLH_EQ_STR(flh_json_str(p.body, "links.0.rel"), "support");
	FLH_EQ_STR(flh_json_str(p.body, "links.1.rel"), "help");
	FLH_EQ_STR(flh_json_str(p.body, "links.2.rel"), "self");
	flh_pack_release(&p);
}

FLT_TEST(discovered_links_work)
{
	struct flh_pack p;
	struct flh_action a;
	FLH_EQ_INT(flh_pack_register(&p, api_srv(), "{\"name\":\"LinkPack3\",\"commands\":[{\"name\":\"C\"}]}"), 201);
	FLH_EQ_INT(flh_pack_event(&p, "Nothing", "{\"a\":1}"), 202);
	FLH_EQ_INT(flh_pack_take(&p, NULL, &a), 204);
	flh_action_release(&a);
	flh_pack_release(&p);
}

FLT_TEST(action_result_link_and_audit_self_link)
{
	static const char flow[] =
		"{\"name\":\"links_flow\",\"steps\":[{\"id\":\"s1\","
		"\"event\":{\"packName\":\"LinkSrc\",\"name\":\"Go\"},"
		"\"command\":{\"packName\":\"LinkWorker\",\"name\":\"Work\",\"input\":\"x\"}}]}";
	struct flh_pack src, worker;
	struct flh_action a;
	json_t *audit;
	const char *href, *rel, *cid;
	char want[512];
	size_t blen;

	FLH_EQ_INT(flh_pack_register(&src, api_srv(), "{\"name\":\"LinkSrc\"}"), 201);
	FLH_EQ_INT(flh_pack_register(&worker, api_srv(), "{\"name\":\"LinkWorker\",\"commands\":[{\"name\":\"Work\"}]}"),
		   201);
	FLH_EQ_INT(api_post_flow(api_srv(), flow), 201);
	FLH_EQ_INT(flh_pack_event(&src, "Go", "{}"), 202);
	FLH_EQ_INT(flh_pack_take_wait(&worker, NULL, &a, FLH_WAIT_MS), 200);
	FLH_EQ_STR(a.command, "Work");
	FLH_EQ_INT(json_array_size(json_object_get(a.body, "links")), 1);
	href = flh_json_str(a.body, "links.0.href");
	rel = flh_json_str(a.body, "links.0.rel");
	snprintf(want, sizeof(want), "%s/swagger#/actionResult", api_base());
	FLH_EQ_STR(rel, want);
	snprintf(want, sizeof(want), "%s/v1/packs/LinkWorker/actions/", api_base());
	blen = strlen(want);
	FLH_ASSERT_MSG(href && strncmp(href, want, blen) == 0, "result href %s", href ? href : "(none)");
	/* the link carries the attempt it belongs to (fencing) */
	FLH_ASSERT_MSG(strlen(href) == blen + 24 + strlen("/result?attempt=1") &&
			       strcmp(href + blen + 24, "/result?attempt=1") == 0,
		       "result href %s", href);
	FLH_EQ_INT(flh_action_result(api_srv(), &a, "Done", "{}"), 202);

	audit = api_audit_wait(api_srv(), "flowName=links_flow", 1, NULL, NULL, FLH_WAIT_MS);
	FLH_ASSERT(audit != NULL);
	cid = flh_json_str(audit, "flows.0.correlationId");
	FLH_ASSERT(cid != NULL);
	snprintf(want, sizeof(want), "%s/v1/audit/flows/%s", api_base(), cid);
	FLH_EQ_STR(flh_json_str(audit, "flows.0.links.0.href"), want);
	FLH_EQ_STR(flh_json_str(audit, "flows.0.links.0.rel"), "self");
	json_decref(audit);
	flh_action_release(&a);
	flh_pack_release(&src);
	flh_pack_release(&worker);
}

FLT_TEST(flow_post_201_location_and_flow_links)
{
	static const char flow[] =
		"{\"name\":\"links_flow2\",\"steps\":[{\"event\":{\"packName\":\"P\",\"name\":\"E\"},"
		"\"command\":{\"packName\":\"P\",\"name\":\"C\"}}]}";
	static const char links[] = "[{\"href\":\"{B}/v1/flows/links_flow2\",\"rel\":\"self\"},"
				    "{\"href\":\"{B}/v1/flows\",\"rel\":\"up\"},"
				    "{\"href\":\"{B}/swagger#/flow\",\"rel\":\"help\"}]";
	struct flh_resp *r = flh_post_json(api_srv(), "/v1/flows", flow);
	json_t *want = api_expect_json(links, api_base());
	char loc[256];
	FLH_STATUS(r, 201);
	snprintf(loc, sizeof(loc), "%s/v1/flows/links_flow2", api_base());
	FLH_EQ_STR(flh_resp_header(r, "Location"), loc);
	flh_resp_free(r);
	r = flh_get(api_srv(), loc);
	FLH_STATUS(r, 200);
	FLH_JSON_SAME(json_object_get(flh_resp_json(r), "links"), want, true);
	json_decref(want);
	flh_resp_free(r);
}

FLT_TEST(datastore_put_201_then_204_and_item_link)
{
	struct flh_resp *r;
	char want[256];
	FLH_EQ_INT(api_put_item(api_srv(), "linkitem", "v1", 2, "text/plain", "d", NULL), 201);
	FLH_EQ_INT(api_put_item(api_srv(), "linkitem", "v2", 2, "text/plain", "d", NULL), 204);
	r = flh_get(api_srv(), "/v1/datastore");
	FLH_STATUS(r, 200);
	snprintf(want, sizeof(want), "%s/v1/datastore/linkitem", api_base());
	FLH_EQ_STR(flh_json_str(flh_resp_json(r), "datastore.0.links.0.href"), want);
	FLH_EQ_STR(flh_json_str(flh_resp_json(r), "datastore.0.links.0.rel"), "self");
	flh_resp_free(r);
}

FLT_TEST(every_advertised_link_answers)
{
	/* Clients navigate from /v1: every href it advertises must work. */
	struct flh_resp *r = flh_get(api_srv(), "/v1");
	json_t *links, *l;
	size_t i;
	FLH_STATUS(r, 200);
	links = json_object_get(flh_resp_json(r), "links");
	FLH_ASSERT(json_array_size(links) > 0);
	json_array_foreach(links, i, l) {
		const char *href = json_string_value(json_object_get(l, "href"));
		struct flh_resp *t;
		FLH_ASSERT(href != NULL);
		t = flh_get(api_srv(), href);
		FLH_STATUS(t, 200);
		flh_resp_free(t);
	}
	flh_resp_free(r);
}

FLT_MAIN(root_links_exact, v1_links_exact_order, links_follow_x_forwarded_proto,
	 x_flyte_host_wins_over_forwarded_host_and_host, x_forwarded_host_wins_over_host,
	 host_header_with_port_is_used, list_resources_have_self_up_help,
	 pack_registration_201_location_and_links, get_location_returns_the_same_links,
	 per_command_take_links_use_command_name, registration_links_follow_forwarded_headers,
	 pack_links_before_server_links_do_not_capture_suffixes, discovered_links_work,
	 action_result_link_and_audit_self_link, flow_post_201_location_and_flow_links,
	 datastore_put_201_then_204_and_item_link, every_advertised_link_answers)
