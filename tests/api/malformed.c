/* SPDX-License-Identifier: Apache-2.0 */
/*
 * malformed.c - black-box tests of bad requests (reliability plan §4.3).
 *
 * Each case sends one kind of malformed or invalid request and checks that
 * the answer is the expected 4xx status with a JSON body carrying an
 * "error" string, and that the server still answers /health.  Before the
 * cases run, a pack, a flow, a datastore item and an action are stored;
 * the last case checks that all of them are intact.  Where flyte
 * deliberately differs from the original server (400 instead of 500 for
 * flow validation, 409 for action state conflicts, JSON error bodies) the
 * flyte behaviour is asserted.
 *
 * The framing cases (request smuggling behind a proxy: two Content-Length
 * fields, Content-Length with Transfer-Encoding, chunked on HTTP/1.0, bare
 * CR or NUL in a value, a space in a field name, whitespace before the
 * first field, unknown transfer codings, line folding) are sent over raw
 * sockets: each gets 400 (501 for a coding list ending in chunked) with a
 * JSON error and Connection: close, and nothing is stored.  The requests
 * that libmicrohttpd 0.9.75 refuses by itself before flyte sees them
 * (negative Content-Length, bad chunk syntax, HTTP/0.9, HTTP/2.0) get a
 * prompt 400/505 from it and a log line.
 */
#include "fl-common.h"

#include "api-util.h"
#include "buf.h"
#include "fltest.h"
#include "harness.h"

/* ---- data stored before the cases, checked at the end ---------------- */

static const char PACK_DEF[] = "{\"name\":\"MalPack\",\"labels\":{\"env\":\"test\"},"
			       "\"commands\":[{\"name\":\"Job\",\"events\":[\"Done\"]}],"
			       "\"links\":[{\"href\":\"http://docs.example/mal\",\"rel\":\"help\"}]}";
static const char FLOW[] = "{\"name\":\"mal_flow\",\"description\":\"kept\",\"steps\":[{\"id\":\"s\","
			   "\"event\":{\"packName\":\"MalSrc\",\"name\":\"Go\"},"
			   "\"command\":{\"packName\":\"MalPack\",\"name\":\"Job\",\"input\":\"{{ Event.Payload.v }}\"}},"
			   "{\"id\":\"p\",\"event\":{\"packName\":\"MalSrc\",\"name\":\"Go2\"},"
			   "\"command\":{\"packName\":\"MalPending\",\"name\":\"Job2\"}}]}";
static const char ITEM[] = "precious value";

static struct flh_pack g_src, g_pack, g_pending_pack;
static json_t *g_pack_doc, *g_flow_doc;
static char g_new_aid[32]; /* an action that stays NEW */
static bool g_ready;

static json_t *pack_snapshot(void)
{
	struct flh_resp *r = flh_get(api_srv(), "/v1/packs/MalPack.env.test");
	json_t *j;
	FLH_STATUS(r, 200);
	j = json_deep_copy(flh_resp_json(r));
	json_object_del(j, "lastSeen");
	json_object_del(j, "status");
	flh_resp_free(r);
	return j;
}

static json_t *flow_snapshot(void)
{
	struct flh_resp *r = flh_get(api_srv(), "/v1/flows/mal_flow");
	json_t *j;
	FLH_STATUS(r, 200);
	j = json_incref(flh_resp_json(r));
	flh_resp_free(r);
	return j;
}

static void setup(void)
{
	json_t *audit;
	const char *aid;
	if (g_ready)
		return;
	FLH_EQ_INT(flh_pack_register(&g_src, api_srv(), "{\"name\":\"MalSrc\"}"), 201);
	FLH_EQ_INT(flh_pack_register(&g_pack, api_srv(), PACK_DEF), 201);
	FLH_EQ_INT(flh_pack_register(&g_pending_pack, api_srv(), "{\"name\":\"MalPending\"}"), 201);
	FLH_EQ_INT(api_post_flow(api_srv(), FLOW), 201);
	FLH_EQ_INT(api_put_item(api_srv(), "mal-item", ITEM, strlen(ITEM), "text/plain", "kept", NULL), 201);
	FLH_EQ_INT(flh_pack_event(&g_src, "Go", "{\"v\":\"keep-me\"}"), 202);
	audit = api_audit_wait(api_srv(), "flowName=mal_flow&stepId=s", 1, NULL, NULL, FLH_WAIT_MS);
	aid = flh_json_str(audit, "flows.0.actions.s.id");
	FLH_ASSERT_MSG(api_is_oid(aid), "no action was created for the setup event");
	snprintf(g_new_aid, sizeof(g_new_aid), "%s", aid);
	json_decref(audit);
	g_pack_doc = pack_snapshot();
	g_flow_doc = flow_snapshot();
	g_ready = true;
}

/* ---- helpers ------------------------------------------------------------- */

/* The answer is `status` with a JSON error body, and the server is alive. */
static void expect_error(struct flh_resp *r, int status)
{
	FLH_ERROR(r, status);
	flh_resp_free(r);
	FLH_ASSERT_MSG(api_alive(api_srv()), "the server is not healthy after the request");
}

/* Same, but any of two statuses is acceptable. */
static void expect_error2(struct flh_resp *r, int st1, int st2)
{
	if (r->status == st2)
		st1 = st2;
	expect_error(r, st1);
}

static struct flh_resp *post(const char *path, const char *ctype, const char *body, size_t len)
{
	struct flh_req req = { .method = "POST", .url = path, .content_type = ctype, .body = body,
			       .body_len = len };
	return flh_http(api_srv(), &req);
}

static void bad_pack(const char *body)
{
	setup();
	expect_error(post("/v1/packs", "application/json", body, 0), 400);
}

static void bad_event(const char *body)
{
	setup();
	expect_error(post(g_src.event_href, "application/json", body, 0), 400);
}

static void bad_flow(const char *body)
{
	setup();
	expect_error(post("/v1/flows", "application/json", body, 0), 400);
}

/* A fresh PENDING action of MalPending; fills *a. */
static void make_pending(struct flh_action *a)
{
	FLH_EQ_INT(flh_pack_event(&g_src, "Go2", NULL), 202);
	FLH_EQ_INT(flh_pack_take_wait(&g_pending_pack, NULL, a, FLH_WAIT_MS), 200);
	FLH_ASSERT(a->result_href != NULL);
}

/* ---- pack bodies ---------------------------------------------------------- */

FLT_TEST(pack_truncated_json) { bad_pack("{\"name\":\"Trunc\","); }
FLT_TEST(pack_invalid_json) { bad_pack("{name: Bad}"); }
FLT_TEST(pack_trailing_garbage) { bad_pack("{\"name\":\"Trail\"} and more"); }
FLT_TEST(pack_empty_body) { bad_pack(""); }
FLT_TEST(pack_top_level_array) { bad_pack("[{\"name\":\"Arr\"}]"); }
FLT_TEST(pack_top_level_string) { bad_pack("\"Str\""); }
FLT_TEST(pack_name_number) { bad_pack("{\"name\":42}"); }
FLT_TEST(pack_labels_array) { bad_pack("{\"name\":\"L\",\"labels\":[\"env\",\"dev\"]}"); }
FLT_TEST(pack_label_value_number) { bad_pack("{\"name\":\"L\",\"labels\":{\"env\":1}}"); }
FLT_TEST(pack_commands_object) { bad_pack("{\"name\":\"C\",\"commands\":{\"name\":\"Job\"}}"); }
FLT_TEST(pack_command_name_missing) { bad_pack("{\"name\":\"C\",\"commands\":[{\"events\":[\"E\"]}]}"); }
FLT_TEST(pack_command_name_number) { bad_pack("{\"name\":\"C\",\"commands\":[{\"name\":7}]}"); }
FLT_TEST(pack_command_events_wrong_type) { bad_pack("{\"name\":\"C\",\"commands\":[{\"name\":\"J\",\"events\":\"E\"}]}"); }
FLT_TEST(pack_events_wrong_type) { bad_pack("{\"name\":\"E\",\"events\":\"Go\"}"); }
FLT_TEST(pack_links_object) { bad_pack("{\"name\":\"K\",\"links\":{\"href\":\"http://x\",\"rel\":\"help\"}}"); }
FLT_TEST(pack_link_href_number) { bad_pack("{\"name\":\"K\",\"links\":[{\"href\":5,\"rel\":\"help\"}]}"); }

FLT_TEST(pack_invalid_utf8)
{
	static const char body[] = "{\"name\":\"Bad\xff\xfeUtf\"}";
	setup();
	expect_error(post("/v1/packs", "application/json", body, sizeof(body) - 1), 400);
}

/* ---- event bodies ----------------------------------------------------------- */

FLT_TEST(event_truncated_json) { bad_event("{\"event\":\"Go\",\"payload\":{"); }
FLT_TEST(event_empty_body) { bad_event(""); }
FLT_TEST(event_name_number) { bad_event("{\"event\":5}"); }
FLT_TEST(event_created_at_not_rfc3339) { bad_event("{\"event\":\"Go\",\"createdAt\":\"yesterday at noon\"}"); }
FLT_TEST(event_top_level_array) { bad_event("[{\"event\":\"Go\"}]"); }

/* ---- flow bodies -------------------------------------------------------------- */

#define STEP_OK "{\"event\":{\"packName\":\"P\",\"name\":\"E\"},\"command\":{\"packName\":\"P\",\"name\":\"C\"}}"

FLT_TEST(flow_empty_body) { bad_flow(""); }
FLT_TEST(flow_missing_name) { bad_flow("{\"steps\":[" STEP_OK "]}"); }
FLT_TEST(flow_missing_steps) { bad_flow("{\"name\":\"bad_nosteps\"}"); }
FLT_TEST(flow_steps_object) { bad_flow("{\"name\":\"bad_stepsobj\",\"steps\":" STEP_OK "}"); }
FLT_TEST(flow_step_without_event)
{
	bad_flow("{\"name\":\"bad_noevent\",\"steps\":[{\"command\":{\"packName\":\"P\",\"name\":\"C\"}}]}");
}
FLT_TEST(flow_step_without_command)
{
	bad_flow("{\"name\":\"bad_nocmd\",\"steps\":[{\"event\":{\"packName\":\"P\",\"name\":\"E\"}}]}");
}
FLT_TEST(flow_event_name_number)
{
	bad_flow("{\"name\":\"bad_evnum\",\"steps\":[{\"event\":{\"packName\":\"P\",\"name\":3},"
		 "\"command\":{\"packName\":\"P\",\"name\":\"C\"}}]}");
}
FLT_TEST(flow_context_value_number)
{
	bad_flow("{\"name\":\"bad_ctx\",\"steps\":[{\"context\":{\"K\":1},\"event\":{\"packName\":\"P\",\"name\":\"E\"},"
		 "\"command\":{\"packName\":\"P\",\"name\":\"C\"}}]}");
}
FLT_TEST(flow_depends_on_string)
{
	bad_flow("{\"name\":\"bad_dep\",\"steps\":[{\"id\":\"b\",\"dependsOn\":\"a\",\"event\":{\"packName\":\"P\","
		 "\"name\":\"E\"},\"command\":{\"packName\":\"P\",\"name\":\"C\"}}]}");
}
FLT_TEST(flow_criteria_number)
{
	bad_flow("{\"name\":\"bad_crit\",\"steps\":[{\"criteria\":1,\"event\":{\"packName\":\"P\",\"name\":\"E\"},"
		 "\"command\":{\"packName\":\"P\",\"name\":\"C\"}}]}");
}
FLT_TEST(flow_pack_labels_array)
{
	bad_flow("{\"name\":\"bad_labels\",\"steps\":[{\"event\":{\"packName\":\"P\",\"name\":\"E\",\"packLabels\":[\"a\"]},"
		 "\"command\":{\"packName\":\"P\",\"name\":\"C\"}}]}");
}
FLT_TEST(flow_name_with_newline) { bad_flow("{\"name\":\"bad\\nname\",\"steps\":[" STEP_OK "]}"); }
FLT_TEST(flow_name_with_slash) { bad_flow("{\"name\":\"bad/name\",\"steps\":[" STEP_OK "]}"); }

/* ---- YAML --------------------------------------------------------------------- */

FLT_TEST(invalid_yaml)
{
	setup();
	expect_error(post("/v1/flows", "application/x-yaml", "name: [oops\n  steps: - {\n", 0), 400);
}

FLT_TEST(yaml_alias_bomb)
{
	static const char bomb[] =
		"a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
		"b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
		"c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
		"d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
		"e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
		"f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
		"g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]\n"
		"h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]\n"
		"i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h]\n"
		"name: bomb\n"
		"steps: *i\n";
	setup();
	expect_error(post("/v1/flows", "application/x-yaml", bomb, 0), 400);
}

/* ---- sizes and shapes ------------------------------------------------------------ */

FLT_TEST(huge_body_is_413)
{
	size_t n = (size_t)8 << 20;
	char *body = malloc(n + 64);
	struct flh_resp *r;
	FLH_ASSERT(body != NULL);
	setup();
	memcpy(body, "{\"event\":\"Go\",\"payload\":\"", 25);
	memset(body + 25, 'x', n);
	memcpy(body + 25 + n, "\"}", 3);
	r = post(g_src.event_href, "application/json", body, n + 27);
	free(body);
	expect_error(r, 413);
}

FLT_TEST(deeply_nested_json)
{
	const size_t depth = 10000;
	struct fl_buf b = FL_BUF_INIT(0);
	char *body;
	setup();
	fl_buf_adds(&b, "{\"event\":\"Go\",\"payload\":");
	for (size_t i = 0; i < depth; i++)
		fl_buf_addc(&b, '[');
	for (size_t i = 0; i < depth; i++)
		fl_buf_addc(&b, ']');
	fl_buf_addc(&b, '}');
	body = fl_buf_detach(&b, NULL);
	FLH_ASSERT(body != NULL);
	{
		struct flh_resp *r = post(g_src.event_href, "application/json", body, 0);
		free(body);
		expect_error(r, 400);
	}
}

FLT_TEST(too_many_elements)
{
	const size_t count = 200000;
	struct fl_buf b = FL_BUF_INIT(0);
	char *body;
	struct flh_resp *r;
	setup();
	fl_buf_adds(&b, "{\"event\":\"Go\",\"payload\":[0");
	for (size_t i = 1; i < count; i++)
		fl_buf_adds(&b, ",0");
	fl_buf_adds(&b, "]}");
	body = fl_buf_detach(&b, NULL);
	FLH_ASSERT(body != NULL);
	r = post(g_src.event_href, "application/json", body, 0);
	free(body);
	expect_error(r, 400);
}

/* ---- ids and paths ---------------------------------------------------------------- */

FLT_TEST(unknown_pack_event)
{
	setup();
	expect_error(post("/v1/packs/NoSuchPack/events", "application/json", "{\"event\":\"Go\"}", 0), 404);
}

FLT_TEST(unknown_pack_take)
{
	setup();
	expect_error(post("/v1/packs/NoSuchPack/actions/take", "application/json", "null", 0), 404);
}

FLT_TEST(unknown_pack_result)
{
	setup();
	expect_error(post(flh_path("/v1/packs/NoSuchPack/actions/%s/result", g_new_aid), "application/json",
			  "{\"event\":\"Done\"}", 0),
		     404);
}

FLT_TEST(unknown_action_id)
{
	setup();
	expect_error(post("/v1/packs/MalPack.env.test/actions/ffffffffffffffffffffffff/result", "application/json",
			  "{\"event\":\"Done\"}", 0),
		     404);
}

FLT_TEST(malformed_action_id)
{
	setup();
	expect_error2(post("/v1/packs/MalPack.env.test/actions/not-an-id!/result", "application/json",
			   "{\"event\":\"Done\"}", 0),
		      404, 400);
}

FLT_TEST(unknown_path) { setup(); expect_error(flh_get(api_srv(), "/v1/nothing-here"), 404); }
FLT_TEST(double_slash_path) { setup(); expect_error(flh_get(api_srv(), "/v1//packs"), 404); }
FLT_TEST(trailing_slash_path) { setup(); expect_error(flh_get(api_srv(), "/v1/packs/"), 404); }
FLT_TEST(nul_in_path) { setup(); expect_error2(flh_get(api_srv(), "/v1/packs/Mal%00Pack"), 404, 400); }

FLT_TEST(overlong_path)
{
	char path[4200];
	setup();
	memcpy(path, "/v1/packs/", 10);
	memset(path + 10, 'a', 4000);
	path[4010] = '\0';
	expect_error(flh_get(api_srv(), path), 404);
}

FLT_TEST(oversized_request_line)
{
	/* Beyond the header limit libmicrohttpd answers itself (414 or 431);
	 * only the status and the server's health are checked. */
	size_t n = 64 * 1024;
	char *path = malloc(n + 16);
	struct flh_resp *r;
	FLH_ASSERT(path != NULL);
	setup();
	memcpy(path, "/v1/packs/", 10);
	memset(path + 10, 'b', n);
	path[10 + n] = '\0';
	r = flh_get(api_srv(), path);
	free(path);
	if (r->status != 414 && r->status != 431) {
		flh_resp_print(r);
		FLH_FAIL("status %ld, expected 414 or 431", r->status);
	}
	flh_resp_free(r);
	FLH_ASSERT(api_alive(api_srv()));
}

static bool allow_has(const char *allow, const char *method)
{
	size_t n = strlen(method);
	const char *p = allow;
	while (p && (p = strstr(p, method)) != NULL) {
		bool start = p == allow || p[-1] == ' ' || p[-1] == ',';
		bool end = p[n] == '\0' || p[n] == ',' || p[n] == ' ';
		if (start && end)
			return true;
		p += n;
	}
	return false;
}

FLT_TEST(unsupported_method_405_with_allow)
{
	struct flh_resp *r;
	const char *allow;
	setup();
	r = flh_send(api_srv(), "PUT", "/v1/packs", "application/json", "{}");
	allow = flh_resp_header(r, "Allow");
	FLH_ASSERT_MSG(allow && allow_has(allow, "GET") && allow_has(allow, "POST") && !allow_has(allow, "PUT"),
		       "Allow: %s", allow ? allow : "(none)");
	expect_error(r, 405);
	r = flh_send(api_srv(), "PATCH", "/v1/flows/mal_flow", "application/json", "{}");
	allow = flh_resp_header(r, "Allow");
	FLH_ASSERT_MSG(allow && allow_has(allow, "GET") && allow_has(allow, "DELETE"), "Allow: %s",
		       allow ? allow : "(none)");
	expect_error(r, 405);
	r = flh_send(api_srv(), "POST", "/v1/datastore", "application/json", "{\"key\":\"x\"}");
	allow = flh_resp_header(r, "Allow");
	FLH_ASSERT_MSG(allow && allow_has(allow, "GET"), "Allow: %s", allow ? allow : "(none)");
	expect_error(r, 405);
}

/* ---- action state conflicts ----------------------------------------------------- */

FLT_TEST(result_for_new_action_is_409)
{
	setup();
	expect_error(post(flh_path("/v1/packs/MalPack.env.test/actions/%s/result", g_new_aid), "application/json",
			  "{\"event\":\"Done\"}", 0),
		     409);
}

FLT_TEST(double_result_is_409)
{
	struct flh_action a;
	setup();
	make_pending(&a);
	FLH_EQ_INT(flh_action_result(api_srv(), &a, "Done", "{\"n\":1}"), 202);
	expect_error(post(a.result_href, "application/json", "{\"event\":\"Done\",\"payload\":{\"n\":2}}", 0), 409);
	flh_action_release(&a);
}

FLT_TEST(result_with_bad_body_is_400)
{
	struct flh_action a;
	json_t *audit;
	setup();
	make_pending(&a);
	expect_error(post(a.result_href, "application/json", "{\"event\":", 0), 400);
	/* The action was not completed by the bad request. */
	FLH_EQ_INT(flh_action_result(api_srv(), &a, "Done", NULL), 202);
	audit = api_audit_wait(api_srv(), "stepId=p", 1, NULL, NULL, FLH_WAIT_MS);
	FLH_ASSERT(audit != NULL);
	json_decref(audit);
	flh_action_release(&a);
}

/* ---- datastore ------------------------------------------------------------------ */

FLT_TEST(datastore_put_not_multipart)
{
	setup();
	expect_error(flh_send(api_srv(), "PUT", "/v1/datastore/not-multi", "application/json", "{\"value\":\"x\"}"), 400);
}

FLT_TEST(datastore_multipart_without_value)
{
	struct flh_part part = { .name = "description", .data = "only a description" };
	struct flh_req req = { .method = "PUT", .url = "/v1/datastore/no-value", .parts = &part, .nparts = 1 };
	setup();
	expect_error(flh_http(api_srv(), &req), 400);
}

FLT_TEST(datastore_empty_value)
{
	struct flh_part part = { .name = "value", .data = "", .len = 0, .filename = "v", .type = "text/plain" };
	struct flh_req req = { .method = "PUT", .url = "/v1/datastore/empty-value", .parts = &part, .nparts = 1 };
	setup();
	expect_error(flh_http(api_srv(), &req), 400);
}

FLT_TEST(datastore_multipart_truncated)
{
	static const char body[] = "--XyZ\r\nContent-Disposition: form-data; name=\"value\"; filename=\"v\"\r\n\r\nabc";
	setup();
	expect_error(flh_send(api_srv(), "PUT", "/v1/datastore/truncated", "multipart/form-data; boundary=XyZ", body), 400);
}

/* ---- audit ------------------------------------------------------------------------ */

FLT_TEST(audit_limit_negative) { setup(); expect_error(flh_get(api_srv(), "/v1/audit/flows?limit=-1"), 400); }
FLT_TEST(audit_start_negative) { setup(); expect_error(flh_get(api_srv(), "/v1/audit/flows?start=-3"), 400); }

/* ---- everything stored before is intact ------------------------------------------- */

FLT_TEST(stored_data_intact)
{
	struct flh_resp *r;
	json_t *now, *audit;
	setup();
	now = pack_snapshot();
	FLH_JSON_SAME(now, g_pack_doc, true);
	json_decref(now);
	now = flow_snapshot();
	FLH_JSON_SAME(now, g_flow_doc, true);
	json_decref(now);
	r = flh_get(api_srv(), "/v1/datastore/mal-item");
	FLH_STATUS(r, 200);
	FLH_EQ_INT(r->body_len, strlen(ITEM));
	FLH_ASSERT(memcmp(r->body, ITEM, r->body_len) == 0);
	flh_resp_free(r);
	audit = api_audit_wait(api_srv(), "flowName=mal_flow&stepId=s", 1, NULL, NULL, FLH_WAIT_MS);
	FLH_EQ_INT(json_array_size(json_object_get(audit, "flows")), 1);
	FLH_EQ_STR(flh_json_str(audit, "flows.0.actions.s.id"), g_new_aid);
	FLH_EQ_STR(flh_json_str(audit, "flows.0.actions.s.state.value"), "NEW");
	FLH_EQ_STR(flh_json_str(audit, "flows.0.actions.s.input"), "keep-me");
	json_decref(audit);
	/* None of the rejected flows was stored. */
	r = flh_get(api_srv(), "/v1/flows");
	FLH_STATUS(r, 200);
	FLH_EQ_INT(json_array_size(json_object_get(flh_resp_json(r), "flows")), 1);
	flh_resp_free(r);
	FLH_ASSERT(api_alive(api_srv()));
}

/* ---- HTTP framing (raw sockets) ----------------------------------------------------- */

/* Send a raw request; its answer must be `status` with a JSON error and Connection: close. */
static void framing(const char *req, size_t len, int status, const char *not_stored)
{
	char *out = NULL;
	const char *body;
	long n;
	setup();
	n = flh_raw(api_srv(), req, len ? len : strlen(req), false, 20000, &out);
	FLH_ASSERT_MSG(n > 0, "no answer");
	body = strstr(out, "\r\n\r\n");
	if (flh_raw_status(out) != status || !body || !strstr(body, "{\"error\":") ||
	    !strstr(out, "\r\nConnection: close\r\n") || !strstr(out, "application/json"))
		printf("# answer: %.500s\n", out);
	FLH_EQ_INT(flh_raw_status(out), status);
	FLH_ASSERT(body && strstr(body, "{\"error\":") != NULL);
	FLH_ASSERT(strstr(out, "\r\nConnection: close\r\n") != NULL);
	free(out);
	if (not_stored) {
		struct flh_resp *r = flh_get(api_srv(), flh_path("/v1/packs/%s", not_stored));
		FLH_ERROR(r, 404);
		flh_resp_free(r);
	}
	FLH_ASSERT(api_alive(api_srv()));
}

#define PACK_HEAD "POST /v1/packs HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\n"

static void framing_two_content_lengths(void)
{
	framing(PACK_HEAD "Content-Length: 17\r\nContent-Length: 5\r\n\r\n{\"name\":\"TwoCL\"}", 0, 400, "TwoCL");
}
static void framing_same_content_length_twice(void)
{
	framing(PACK_HEAD "Content-Length: 16\r\nContent-Length: 16\r\n\r\n{\"name\":\"SameCL\"}", 0, 400, "SameCL");
}
static void framing_content_length_and_chunked(void)
{
	framing(PACK_HEAD "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
			  "10\r\n{\"name\":\"ClTe\"}\r\n0\r\n\r\n", 0, 400, "ClTe");
}
static void framing_chunked_on_http10(void)
{
	framing("POST /v1/packs HTTP/1.0\r\nConnection: keep-alive\r\nContent-Type: application/json\r\n"
		"Transfer-Encoding: chunked\r\n\r\n10\r\n{\"name\":\"Ch10\"}\r\n0\r\n\r\n",
		0, 400, "Ch10");
}
static void framing_bare_cr_in_value(void) { framing("GET /health HTTP/1.1\r\nHost: a\r\nX-A: b\rc\r\n\r\n", 0, 400, NULL); }
static void framing_nul_in_value(void)
{
	static const char req[] = "GET /health HTTP/1.1\r\nHost: a\r\nX-A: b\0c\r\n\r\n";
	framing(req, sizeof(req) - 1, 400, NULL);
}
static void framing_space_in_name(void) { framing("GET /health HTTP/1.1\r\nHost: a\r\nX A: b\r\n\r\n", 0, 400, NULL); }
static void framing_space_before_colon(void) { framing("GET /health HTTP/1.1\r\nHost: a\r\nX-A : b\r\n\r\n", 0, 400, NULL); }
static void framing_whitespace_before_first_header(void) { framing("GET /health HTTP/1.1\r\n Host: a\r\n\r\n", 0, 400, NULL); }
static void framing_line_folding(void) { framing("GET /health HTTP/1.1\r\nHost: a\r\nX-A: b\r\n c\r\n\r\n", 0, 400, NULL); }
static void framing_transfer_encoding_gzip(void)
{
	framing(PACK_HEAD "Transfer-Encoding: gzip\r\n\r\n{\"name\":\"Gz\"}", 0, 400, "Gz");
}
static void framing_transfer_encoding_gzip_chunked(void)
{
	framing(PACK_HEAD "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 0, 501, NULL);
}
static void framing_two_hosts(void) { framing("GET /health HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 0, 400, NULL); }
static void framing_http11_without_host(void) { framing("GET /health HTTP/1.1\r\n\r\n", 0, 400, NULL); }
static void framing_bare_lf(void) { framing("GET /health HTTP/1.1\nHost: a\n\n", 0, 400, NULL); }

/* Every framing shape: 400 (501) with a JSON error, connection closed, nothing stored. */
FLT_TEST(framing_refused)
{
	framing_two_content_lengths();
	framing_same_content_length_twice();
	framing_content_length_and_chunked();
	framing_chunked_on_http10();
	framing_bare_cr_in_value();
	framing_nul_in_value();
	framing_space_in_name();
	framing_space_before_colon();
	framing_whitespace_before_first_header();
	framing_line_folding();
	framing_transfer_encoding_gzip();
	framing_transfer_encoding_gzip_chunked();
	framing_two_hosts();
	framing_http11_without_host();
	framing_bare_lf();
}

static void many_query_parameters(void)
{
	struct fl_buf b = FL_BUF_INIT(0);
	char *req;
	fl_buf_adds(&b, "GET /v1/packs?");
	for (int i = 0; i < 600; i++)
		fl_buf_addf(&b, "%sp%d=x", i ? "&" : "", i);
	fl_buf_adds(&b, " HTTP/1.1\r\nHost: a\r\n\r\n");
	req = fl_buf_detach(&b, NULL);
	FLH_ASSERT(req != NULL);
	{
		char *out = NULL;
		const char *body;
		long n;
		setup();
		n = flh_raw(api_srv(), req, strlen(req), false, 20000, &out);
		free(req);
		FLH_ASSERT_MSG(n > 0, "no answer to 600 query parameters");
		body = strstr(out, "\r\n\r\n");
		if (flh_raw_status(out) != 400 || !body || !strstr(body, "more than 64 query parameters"))
			printf("# answer: %.300s\n", out);
		FLH_EQ_INT(flh_raw_status(out), 400);
		FLH_ASSERT(body && strstr(body, "more than 64 query parameters") != NULL);
		free(out);
	}
	FLH_ASSERT(api_alive(api_srv()));
}

/* Refused by libmicrohttpd itself (HTML body, see docs/internals/http.md): prompt, logged. */
static void refused_by_library(const char *req, int status, const char *log_needle)
{
	char *out = NULL, *log;
	bool ok = false;
	setup();
	FLH_ASSERT(flh_raw(api_srv(), req, strlen(req), false, 20000, &out) > 0);
	if (flh_raw_status(out) != status)
		printf("# answer: %.300s\n", out);
	FLH_EQ_INT(flh_raw_status(out), status);
	free(out);
	FLH_WAIT_FOR(ok, 10000, (log = flh_server_log(api_srv())) != NULL && strstr(log, log_needle) && (free(log), 1));
	FLH_ASSERT_MSG(ok, "no log line containing \"%s\"", log_needle);
	FLH_ASSERT(api_alive(api_srv()));
}

FLT_TEST(prompt_answers_to_other_malformed_requests)
{
	many_query_parameters();
	refused_by_library(PACK_HEAD "Content-Length: -5\r\n\r\n{}", 400,
			   "refused a malformed request with 400 (answered by libmicrohttpd): Your HTTP request has "
			   "wrong value for Content-Length header.");
	refused_by_library(PACK_HEAD "Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n", 400,
			   "Your HTTP chunked encoding was syntactically incorrect.");
	refused_by_library("GET /health\r\n\r\n", 400, "Your HTTP request was syntactically incorrect.");
	refused_by_library("GET /health HTTP/2.0\r\nHost: a\r\n\r\n", 505,
			   "refused a malformed request with 505");
}

FLT_MAIN(pack_truncated_json, pack_invalid_json, pack_trailing_garbage, pack_empty_body, pack_top_level_array,
	 pack_top_level_string, pack_name_number, pack_labels_array, pack_label_value_number, pack_commands_object,
	 pack_command_name_missing, pack_command_name_number, pack_command_events_wrong_type, pack_events_wrong_type,
	 pack_links_object, pack_link_href_number, pack_invalid_utf8, event_truncated_json, event_empty_body,
	 event_name_number, event_created_at_not_rfc3339, event_top_level_array, flow_empty_body, flow_missing_name,
	 flow_missing_steps, flow_steps_object, flow_step_without_event, flow_step_without_command,
	 flow_event_name_number, flow_context_value_number, flow_depends_on_string, flow_criteria_number,
	 flow_pack_labels_array, flow_name_with_newline, flow_name_with_slash, invalid_yaml, yaml_alias_bomb,
	 huge_body_is_413, deeply_nested_json, too_many_elements, unknown_pack_event, unknown_pack_take,
	 unknown_pack_result, unknown_action_id, malformed_action_id, unknown_path, double_slash_path,
	 trailing_slash_path, nul_in_path, overlong_path, oversized_request_line, unsupported_method_405_with_allow,
	 result_for_new_action_is_409, double_result_is_409, result_with_bad_body_is_400,
	 datastore_put_not_multipart, datastore_multipart_without_value, datastore_empty_value,
	 datastore_multipart_truncated,
	 audit_limit_negative, audit_start_negative, framing_refused, prompt_answers_to_other_malformed_requests,
	 stored_data_intact)
