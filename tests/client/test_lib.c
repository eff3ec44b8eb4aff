/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_lib.c - unit tests of libflyte's building blocks: error table, JSON
 * scanner and quoting, labels and FLYTE_LABELS parsing, client options from
 * the environment, results, pack ids and registration bodies, backoff.
 */
#include "fl-common.h"

#include <jansson.h>

#include "fltest.h"
#include "internal.h"

FLT_TEST(error_table_is_complete)
{
#define CHECK_ROW(name, value, text)                                  \
	FLT_EQ_STR(flyte_err_name(FLYTE_##name), #name);              \
	FLT_EQ_STR(flyte_err_str(FLYTE_##name), text);
	FLYTE_ERRORS(CHECK_ROW)
#undef CHECK_ROW
	FLT_EQ_STR(flyte_err_name(-999), "EUNKNOWN");
	FLT_EQ_INT(flyte_err_from_status(202), FLYTE_OK);
	FLT_EQ_INT(flyte_err_from_status(404), FLYTE_ENOTFOUND);
	FLT_EQ_INT(flyte_err_from_status(401), FLYTE_EUNAUTHORIZED);
	FLT_EQ_INT(flyte_err_from_status(409), FLYTE_ECONFLICT);
	FLT_EQ_INT(flyte_err_from_status(503), FLYTE_ESERVER);
	FLT_EQ_INT(flyte_err_from_status(302), FLYTE_EHTTP);
	FLT_EQ_STR(flyte_version(), FLYTE_VERSION);
	FLT_EQ_STR(FLYTE_VERSION, PROJECT_VERSION);
}

FLT_TEST(json_check_accepts_and_rejects)
{
	static const char *const good[] = {
		"null", " true ", "false", "0", "-0.5e+10", "\"a\\u00e9\\n\"", "[]", "{}",
		"{\"a\":[1,2,{\"b\":null}],\"c\":\"\xc3\xa9\"}", "\"\\ud83d\\ude00\"",
	};
	static const char *const bad[] = {
		"", " ", "nul", "01", "1.", "-", "[1,]", "{\"a\":1,}", "{a:1}", "\"abc", "\"\x01\"",
		"[1] 2", "\"\xff\"", "\"\xc0\xaf\"", "\"\xed\xa0\x80\"", "{\"a\" 1}", "NaN", "'x'",
	};
	size_t off;

	for (size_t i = 0; i < FL_ARRAY_LEN(good); i++)
		if (flyte__json_check(good[i], strlen(good[i]), &off))
			FLT_FAIL("rejected valid JSON %s at %zu", good[i], off);
	for (size_t i = 0; i < FL_ARRAY_LEN(bad); i++)
		if (!flyte__json_check(bad[i], strlen(bad[i]), &off))
			FLT_FAIL("accepted invalid JSON '%s'", bad[i]);
	FLT_EQ_INT(flyte_json_validate("{\"x\":", 5), FLYTE_EINVALID);
	FLT_ASSERT(strstr(flyte_last_error(), "offset 5"));
}

FLT_TEST(json_depth_is_limited)
{
	char deep[2 * FLYTE__JSON_MAX_DEPTH + 4];
	size_t n = 0;

	for (int i = 0; i < FLYTE__JSON_MAX_DEPTH + 1; i++)
		deep[n++] = '[';
	for (int i = 0; i < FLYTE__JSON_MAX_DEPTH + 1; i++)
		deep[n++] = ']';
	FLT_ASSERT(flyte__json_check(deep, n, NULL) != 0);
	FLT_ASSERT(flyte__json_check(deep + 1, n - 2, NULL) == 0);
}

FLT_TEST(json_member_returns_raw_text)
{
	const char *doc = "{ \"command\" : \"Shell\", \"input\" : {\"n\": 1.50, \"s\":\"x\"} , \"z\":[] }";
	struct flyte__span sp;

	FLT_EQ_INT(flyte__json_member(doc, strlen(doc), "input", &sp), 0);
	FLT_EQ_MEM(sp.ptr, sp.len, "{\"n\": 1.50, \"s\":\"x\"}", strlen("{\"n\": 1.50, \"s\":\"x\"}"));
	FLT_EQ_INT(flyte__json_member(doc, strlen(doc), "command", &sp), 0);
	FLT_EQ_MEM(sp.ptr, sp.len, "\"Shell\"", 7);
	FLT_EQ_INT(flyte__json_member(doc, strlen(doc), "missing", &sp), -1);
	FLT_EQ_INT(flyte__json_member("[1]", 3, "a", &sp), -1);
}

FLT_TEST(json_quote_escapes_and_repairs_utf8)
{
	char *q = NULL;
	const char raw[] = "a\"b\\c\n\t\x01 \xc3\xa9 \xff end";
	json_t *j;

	FLT_EQ_INT(flyte_json_quote(&q, raw, sizeof(raw) - 1), FLYTE_OK);
	FLT_EQ_INT(flyte__json_check(q, strlen(q), NULL), 0);
	j = json_loads(q, JSON_DECODE_ANY, NULL);
	FLT_ASSERT(j != NULL);
	FLT_EQ_STR(json_string_value(j), "a\"b\\c\n\t\x01 \xc3\xa9 \xef\xbf\xbd end");
	json_decref(j);
	flyte_string_free(q);

	/* embedded NUL bytes survive as \u0000 */
	FLT_EQ_INT(flyte_json_quote(&q, "a\0b", 3), FLYTE_OK);
	FLT_EQ_STR(q, "\"a\\u0000b\"");
	flyte_string_free(q);
}

FLT_TEST(labels_parse_like_the_go_client)
{
	struct flyte_labels *l = NULL;

	FLT_EQ_INT(flyte_labels_new(&l), FLYTE_OK);
	FLT_EQ_INT(flyte_labels_parse(l, " env = dev ,team=core,, url=http://x?a=b "), FLYTE_OK);
	FLT_EQ_INT(flyte_labels_count(l), 3);
	FLT_EQ_STR(flyte_labels_key(l, 0), "env"); /* sorted by key */
	FLT_EQ_STR(flyte_labels_value(l, 0), "dev");
	FLT_EQ_STR(flyte_labels_key(l, 1), "team");
	FLT_EQ_STR(flyte_labels_get(l, "url"), "http://x?a=b"); /* split on the first '=' */
	FLT_EQ_INT(flyte_labels_set(l, "env", "prod"), FLYTE_OK);
	FLT_EQ_STR(flyte_labels_get(l, "env"), "prod");
	FLT_EQ_INT(flyte_labels_count(l), 3);

	/* a piece without '=' is an error, and nothing of that list is added */
	FLT_EQ_INT(flyte_labels_parse(l, "a=1,broken"), FLYTE_EINVALID);
	FLT_ASSERT(strstr(flyte_last_error(), "'broken'"));
	FLT_ASSERT(flyte_labels_get(l, "a") == NULL);
	FLT_EQ_INT(flyte_labels_parse(l, "=x"), FLYTE_EINVALID);
	FLT_ASSERT(flyte_labels_key(l, 99) == NULL);
	flyte_labels_free(l);
	flyte_labels_free(NULL);
}

FLT_TEST(labels_from_env)
{
	struct flyte_labels *l = NULL;

	setenv("FLYTE_LABELS", "b=2,a=1", 1);
	FLT_EQ_INT(flyte_labels_from_env(&l), FLYTE_OK);
	FLT_EQ_INT(flyte_labels_count(l), 2);
	FLT_EQ_STR(flyte_labels_key(l, 0), "a");
	flyte_labels_free(l);
	setenv("FLYTE_LABELS", "nope", 1);
	FLT_EQ_INT(flyte_labels_from_env(&l), FLYTE_EINVALID);
	FLT_ASSERT(l == NULL);
	FLT_ASSERT(strstr(flyte_last_error(), "FLYTE_LABELS"));
	unsetenv("FLYTE_LABELS");
	FLT_EQ_INT(flyte_labels_from_env(&l), FLYTE_OK);
	FLT_EQ_INT(flyte_labels_count(l), 0);
	flyte_labels_free(l);
}

FLT_TEST(client_options_from_env)
{
	struct flyte_client_options o;

	unsetenv("FLYTE_API");
	unsetenv("FLYTE_API_URL");
	FLT_EQ_INT(flyte_client_options_from_env(&o), FLYTE_EINVALID);
	FLT_ASSERT(strstr(flyte_last_error(), "FLYTE_API"));

	setenv("FLYTE_API_URL", "http://127.0.0.1:1/", 1);
	setenv("FLYTE_API_TIMEOUT", "3", 1);
	setenv("FLYTE_JWT", "tok", 1);
	FLT_EQ_INT(flyte_client_options_from_env(&o), FLYTE_OK);
	FLT_EQ_STR(o.api_url, "http://127.0.0.1:1/");
	FLT_EQ_INT(o.timeout_ms, 3000);
	FLT_EQ_STR(o.jwt, "tok");

	setenv("FLYTE_API", "http://127.0.0.1:2", 1); /* FLYTE_API wins */
	FLT_EQ_INT(flyte_client_options_from_env(&o), FLYTE_OK);
	FLT_EQ_STR(o.api_url, "http://127.0.0.1:2");

	setenv("FLYTE_API_TIMEOUT", "-1", 1);
	FLT_EQ_INT(flyte_client_options_from_env(&o), FLYTE_EINVALID);
	setenv("FLYTE_API_TIMEOUT", "ten", 1);
	FLT_EQ_INT(flyte_client_options_from_env(&o), FLYTE_EINVALID);
	FLT_ASSERT(strstr(flyte_last_error(), "FLYTE_API_TIMEOUT"));
	setenv("FLYTE_API_TIMEOUT", "0", 1);
	setenv("FLYTE_API_INSECURE", "maybe", 1);
	FLT_EQ_INT(flyte_client_options_from_env(&o), FLYTE_EINVALID);
	setenv("FLYTE_API_INSECURE", "true", 1);
	FLT_EQ_INT(flyte_client_options_from_env(&o), FLYTE_OK);
	FLT_EQ_INT(o.insecure, 1);
	FLT_EQ_INT(o.timeout_ms, 0);
	unsetenv("FLYTE_API");
	unsetenv("FLYTE_API_URL");
	unsetenv("FLYTE_API_TIMEOUT");
	unsetenv("FLYTE_JWT");
	unsetenv("FLYTE_API_INSECURE");
}

FLT_TEST(client_rejects_bad_options)
{
	struct flyte_client_options o;
	struct flyte_client *c = (struct flyte_client *)1;

	flyte_client_options_init(&o);
	FLT_EQ_INT(flyte_client_new(&c, &o), FLYTE_EINVALID);
	FLT_ASSERT(c == NULL);
	o.api_url = "ftp://x";
	FLT_EQ_INT(flyte_client_new(&c, &o), FLYTE_EINVALID);
	o.api_url = "http://127.0.0.1:1///";
	o.ca_file = "/nonexistent/ca.pem";
	FLT_EQ_INT(flyte_client_new(&c, &o), FLYTE_EINVALID);
	FLT_ASSERT(strstr(flyte_last_error(), "/nonexistent/ca.pem"));
	o.ca_file = NULL;
	FLT_EQ_INT(flyte_client_new(&c, &o), FLYTE_OK);
	FLT_EQ_STR(flyte_client_api_url(c), "http://127.0.0.1:1");
	flyte_client_free(c);
}

FLT_TEST(connection_refused_is_a_network_error)
{
	struct flyte_client_options o;
	struct flyte_client *c = NULL;
	struct flyte_response r;
	char url[64];

	snprintf(url, sizeof(url), "http://127.0.0.1:%d", 1);
	flyte_client_options_init(&o);
	o.api_url = url;
	FLT_EQ_INT(flyte_client_new(&c, &o), FLYTE_OK);
	FLT_EQ_INT(flyte_client_request(&r, c, "GET", "/v1", NULL, NULL, 0), FLYTE_ENETWORK);
	FLT_ASSERT(strstr(flyte_client_last_error(c), "127.0.0.1:1/v1"));
	flyte_response_release(&r);
	FLT_EQ_INT(flyte_client_discover(c), FLYTE_ENETWORK);
	flyte_client_free(c);
}

static int noop_handler(const char *in, size_t len, struct flyte_result *out, void *payload)
{
	return flyte_result_set(out, "Done", in);
}

FLT_TEST(registration_body_and_id)
{
	static const char *const outs[] = { "Output", "Error", "Output" };
	static const char *const outs2[] = { "Tick", "Other" };
	struct flyte_command_def cmds[] = {
		{ "Run", outs, 3, noop_handler, NULL, "http://docs/run" },
		{ "Other", outs2, 2, noop_handler, NULL, NULL },
	};
	struct flyte_event_def evs[] = { { "Tick", NULL }, { "Error", "http://docs/err" } };
	struct flyte_client_options o;
	struct flyte_client *c = NULL;
	struct flyte_labels *l = NULL;
	struct flyte_pack *p = NULL;
	struct flyte_pack_def def = { 0 };
	json_t *j, *ev;

	flyte_client_options_init(&o);
	o.api_url = "http://127.0.0.1:1";
	FLT_EQ_INT(flyte_client_new(&c, &o), FLYTE_OK);
	flyte_labels_new(&l);
	flyte_labels_parse(l, "x=y,env=staging,network=lab");
	def.name = "Argo";
	def.labels = l;
	def.commands = cmds;
	def.n_commands = 2;
	def.events = evs;
	def.n_events = 2;
	FLT_EQ_INT(flyte_pack_new(&p, c, &def, NULL), FLYTE_OK);
	FLT_EQ_STR(flyte_pack_id(p), "Argo.env.staging.network.lab.x.y");

	j = json_loads(p->reg_body, 0, NULL);
	FLT_ASSERT(j != NULL);
	FLT_EQ_STR(json_string_value(json_object_get(j, "name")), "Argo");
	FLT_EQ_STR(json_string_value(json_object_get(json_object_get(j, "labels"), "env")), "staging");
	ev = json_object_get(j, "events");
	/* declared events first, then command outputs, each name once */
	FLT_EQ_INT(json_array_size(ev), 4);
	FLT_EQ_STR(json_string_value(json_object_get(json_array_get(ev, 0), "name")), "Tick");
	FLT_EQ_STR(json_string_value(json_object_get(json_array_get(ev, 1), "name")), "Error");
	FLT_EQ_STR(json_string_value(json_object_get(json_array_get(ev, 2), "name")), "Output");
	FLT_EQ_STR(json_string_value(json_object_get(json_array_get(ev, 3), "name")), "Other");
	FLT_EQ_STR(json_string_value(json_object_get(json_array_get(json_object_get(json_array_get(ev, 1), "links"), 0), "href")),
		   "http://docs/err");
	/* a command keeps its own list, help link optional */
	FLT_EQ_INT(json_array_size(json_object_get(json_array_get(json_object_get(j, "commands"), 0), "events")), 3);
	FLT_ASSERT(json_object_get(json_array_get(json_object_get(j, "commands"), 1), "links") == NULL);
	/* no pack help URL: an empty links array, not a crash */
	FLT_EQ_INT(json_array_size(json_object_get(j, "links")), 0);
	json_decref(j);
	flyte_pack_free(p);

	/* invalid definitions */
	def.n_commands = 2;
	cmds[1].name = "Run";
	FLT_EQ_INT(flyte_pack_new(&p, c, &def, NULL), FLYTE_EINVALID);
	FLT_ASSERT(strstr(flyte_last_error(), "duplicate command 'Run'"));
	def.name = "";
	FLT_EQ_INT(flyte_pack_new(&p, c, &def, NULL), FLYTE_EINVALID);
	flyte_labels_free(l);
	flyte_client_free(c);
}

FLT_TEST(results)
{
	struct flyte_result r;
	struct fl_buf b = FL_BUF_INIT(0);
	json_t *j;

	flyte__result_init(&r, "Cmd");
	FLT_EQ_STR(flyte_result_command(&r), "Cmd");
	FLT_EQ_INT(flyte_result_set(&r, "Out", "{\"a\":1"), FLYTE_EINVALID);
	FLT_ASSERT(r.event == NULL);
	FLT_EQ_INT(flyte_result_set(&r, "", "1"), FLYTE_EINVALID);
	FLT_EQ_INT(flyte_result_set(&r, "Out", NULL), FLYTE_OK);
	FLT_EQ_STR(r.payload, "null");
	FLT_EQ_INT(flyte_result_set_string(&r, "Out", "line\n"), FLYTE_OK);
	FLT_EQ_STR(r.payload, "\"line\\n\"");
	FLT_EQ_INT(flyte_result_fatal(&r, "bad %d", 7), -1);
	FLT_EQ_STR(r.event, "FATAL");
	FLT_EQ_STR(r.payload, "\"bad 7\"");

	flyte__event_body(&b, r.event, r.payload);
	j = json_loads(b.ptr, 0, NULL);
	FLT_ASSERT(j != NULL);
	FLT_EQ_STR(json_string_value(json_object_get(j, "event")), "FATAL");
	FLT_EQ_STR(json_string_value(json_object_get(j, "payload")), "bad 7");
	FLT_ASSERT(json_string_value(json_object_get(j, "createdAt")) != NULL);
	json_decref(j);
	fl_buf_release(&b);
	flyte__result_release(&r);
}

FLT_TEST(backoff_grows_with_jitter_and_is_capped)
{
	for (int i = 0; i < 200; i++) {
		long d0 = flyte__backoff_ms(0, 100, 5000);
		long d3 = flyte__backoff_ms(3, 100, 5000);
		long d20 = flyte__backoff_ms(20, 100, 5000);
		FLT_ASSERT(d0 >= 50 && d0 <= 100);
		FLT_ASSERT(d3 >= 400 && d3 <= 800);
		FLT_ASSERT(d20 >= 2500 && d20 <= 5000);
	}
	FLT_ASSERT(flyte__backoff_ms(1000, 1, 1) >= 0);
}

FLT_TEST(heartbeat_links_come_from_result_links)
{
	static const struct {
		const char *result, *heartbeat;
	} cases[] = {
		{ "http://h/v1/packs/P/actions/a1/result?attempt=2", "http://h/v1/packs/P/actions/a1/heartbeat?attempt=2" },
		{ "http://h/v1/packs/P/actions/a1/result", "http://h/v1/packs/P/actions/a1/heartbeat" },
		{ "https://h:8443/x/v1/packs/P.env.dev/actions/a%2F1/result?attempt=1&z=1#f",
		  "https://h:8443/x/v1/packs/P.env.dev/actions/a%2F1/heartbeat?attempt=1&z=1#f" },
		{ "http://h/v1/packs/P/actions/a1/results?attempt=1", NULL },
		{ "http://h/v1/packs/P/actions/a1", NULL },
		{ "/result", "/heartbeat" },
		{ "", NULL },
	};

	for (size_t i = 0; i < FL_ARRAY_LEN(cases); i++) {
		char *hb = flyte__heartbeat_url(cases[i].result);
		if (cases[i].heartbeat)
			FLT_EQ_STR(hb, cases[i].heartbeat);
		else
			FLT_ASSERT(hb == NULL);
		free(hb);
	}
}

FLT_TEST(result_attempt_and_lease)
{
	struct flyte_result r;

	flyte__result_init(&r, "Cmd");
	FLT_EQ_INT(flyte_result_attempt(&r), 0);
	FLT_EQ_INT(flyte_result_lease_lost(&r), 0);
	r.attempt = 3;
	FLT_EQ_INT(flyte_result_attempt(&r), 3);
	FLT_EQ_INT(flyte_result_attempt(NULL), 0);
	FLT_EQ_INT(flyte_result_lease_lost(NULL), 0);
	flyte__result_release(&r);
}

FLT_TEST(url_escape)
{
	char *e = NULL;
	FLT_EQ_INT(flyte_url_escape(&e, "My Pack/é.x~_-"), FLYTE_OK);
	FLT_EQ_STR(e, "My%20Pack%2F%C3%A9.x~_-");
	flyte_string_free(e);
}

FLT_MAIN(error_table_is_complete, json_check_accepts_and_rejects, json_depth_is_limited,
	 json_member_returns_raw_text, json_quote_escapes_and_repairs_utf8, labels_parse_like_the_go_client,
	 labels_from_env, client_options_from_env, client_rejects_bad_options,
	 connection_refused_is_a_network_error, registration_body_and_id, results,
	 backoff_grows_with_jitter_and_is_capped, heartbeat_links_come_from_result_links, result_attempt_and_lease,
	 url_escape)
