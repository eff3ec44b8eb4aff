/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_graphite.c - the Graphite pack end to end: the real flyte-graphite
 * binary, the real flyte server and a stand-in of graphite-web's events
 * API.
 *
 * The stand-in behaves like graphite-web's /events/ view: POST only (405
 * otherwise), a JSON object body with "what", "tags" (a space-separated
 * string or a list; anything else is 400 {"error":"\"tags\" must be an
 * array or space-separated string"}) and "data", an empty 200 answer once
 * the event is stored; a body that is not a JSON object or an event
 * without "what" fails with a 500 HTML page, as Django does.  Under
 * /secure/ it sits behind a proxy that wants Basic authentication.
 */
#include "fl-common.h"

#include "fltest.h"
#include "harness.h"
#include "models.h"
#include "packtest.h"
#include "standin.h"

static char auth_basic[128];
static json_t *stored; /* events received */

static void graphite_model(const struct standin_req *q, struct standin_resp *r, void *payload)
{
	const char *path = q->path;
	json_t *b, *tags, *what;

	(void)payload;
	if (!strncmp(path, "/secure/", 8)) {
		const char *auth = standin_req_header(q, "Authorization");
		if (!auth || strcmp(auth, auth_basic)) {
			standin_text(r, 401, "text/html", "<html><head><title>401 Authorization Required</title></head></html>");
			standin_header(r, "WWW-Authenticate", "Basic realm=\"graphite\"");
			return;
		}
		path += 7;
	}
	if (strcmp(path, "/events/") || *q->query) {
		standin_text(r, 404, "text/html", "<html><title>Page not found</title></html>");
		return;
	}
	if (strcmp(q->method, "POST")) {
		standin_text(r, 405, NULL, NULL);
		return;
	}
	b = md_body(q);
	what = json_object_get(b, "what");
	tags = json_object_get(b, "tags");
	if (!json_is_object(b) || !json_is_string(what) || !strcmp(json_string_value(what), "explode")) {
		standin_text(r, 500, "text/html", "<html><head><title>Server Error (500)</title></head></html>");
	} else if (tags && !json_is_string(tags) && !json_is_array(tags)) {
		standin_json(r, 400, "{\"error\": \"\\\"tags\\\" must be an array or space-separated string\"}");
	} else {
		json_array_append(stored, b);
		standin_text(r, 200, "text/html; charset=utf-8", NULL);
	}
	json_decref(b);
}

static struct pt_env E;
static struct standin *S;
static pid_t P;
static const char *const clear_graphite[] = { "GRAPHITE_", NULL };

FLT_TEST(setup)
{
	char host[128];

	FLH_ASSERT(pt_setup(&E, "graphite") == 0);
	md_basic(auth_basic, sizeof(auth_basic), "grafana", "gr-pw");
	stored = json_array();
	FLH_ASSERT(standin_start(&S, graphite_model, NULL, NULL) == 0);
	snprintf(host, sizeof(host), "GRAPHITE_HOST=%s", standin_url(S));
	/* FLYTE_LABELS is honoured, as in the Go pack */
	const char *env[] = { host, "FLYTE_LABELS=env=prod", "GRAPHITE_TIMEOUT_SEC=2", "GRAPHITE_RETRY_DELAY_MS=20", NULL };
	P = pt_start_pack(&E, getenv("FLYTE_GRAPHITE_BIN"), clear_graphite, env, "graphite.log", "Graphite.env.prod");
	FLH_ASSERT(P > 0);
}

#define RUN(r, input) FLH_ASSERT(pt_run(&E, "Graphite", "{\"env\":\"prod\"}", "AddEvents", (input), 0, (r)) == 0)
#define EXPECT(input, event, payload) \
	MD_EXPECT(&E, "Graphite", "{\"env\":\"prod\"}", "AddEvents", (input), (event), (payload))
#define EXPECT_ERROR(input, event, part) \
	MD_EXPECT_ERROR(&E, "Graphite", "{\"env\":\"prod\"}", "AddEvents", (input), (event), (part))

FLT_TEST(help_lists_variables)
{
	md_help_lists(getenv("FLYTE_GRAPHITE_BIN"), (const char *const[]){ "GRAPHITE_HOST", "FLYTE_LABELS",
						"GRAPHITE_USER", "GRAPHITE_CA_FILE", "GRAPHITE_INSECURE", NULL });
}

FLT_TEST(add_events)
{
	struct standin_req q;

	EXPECT("{\"what\":\"deploy api 1.2\",\"tags\":\"deploy api\",\"data\":\"by flyte\"}", "AddEventsSuccess",
	       "{\"tags\":\"deploy api\",\"what\":\"deploy api 1.2\",\"data\":\"by flyte\"}");
	md_last(S, &q);
	FLH_EQ_STR(q.method, "POST");
	FLH_EQ_STR(q.target, "/events/");
	FLH_ASSERT(md_json_ctype(&q));
	FLH_ASSERT(standin_req_header(&q, "Authorization") == NULL);
	MD_BODY(&q, "{\"what\":\"deploy api 1.2\",\"tags\":\"deploy api\",\"data\":\"by flyte\"}");
	standin_req_release(&q);
	FLH_EQ_INT(json_array_size(stored), 1);
}

FLT_TEST(add_events_failures)
{
	struct pt_result r;
	size_t before = standin_count(S);

	/* the Go pack put what in tags, data in what and tags in data */
	EXPECT("{\"tags\":\"t\",\"data\":\"d\"}", "AddEventsFailure",
	       "{\"tags\":\"t\",\"what\":\"\",\"data\":\"d\",\"error\":\"What must not be null\"}");
	RUN(&r, "{\"what\":[1]}");
	MD_PAYLOAD(&r, "{\"tags\":\"unknown\",\"what\":\"unknown\",\"data\":\"unknown\",\"error\":\"Fail: Could not marshal "
		       "Tags,What and Data into json: json: cannot unmarshal array into Go struct field .what of type string\"}");
	pt_result_release(&r);
	FLH_EQ_INT(standin_count(S), before);
	/* graphite-web's own failure: the error is in error, the tags stay in tags */
	RUN(&r, "{\"what\":\"explode\",\"tags\":\"x\",\"data\":\"\"}");
	MD_PAYLOAD(&r, "{\"tags\":\"x\",\"what\":\"explode\",\"data\":\"\",\"error\":\"Fail: could not apply event: status code "
		       "500 : Server Error (500)\"}");
	pt_result_release(&r);
}

FLT_TEST(rate_limit_and_timeouts)
{
	struct pt_result r;
	struct standin_fault limited = { .count = 1, .status = 429, .ctype = "text/plain", .body = "slow down",
					 .retry_after = "1" };
	struct standin_fault busy = { .count = 1, .status = 503, .ctype = "text/plain", .body = "busy" };
	struct standin_fault slow = { .count = 1, .delay_ms = 3000 };

	/* 429 is retried after Retry-After even for a POST: graphite did not store it */
	standin_reset(S);
	standin_fault(S, &limited);
	RUN(&r, "{\"what\":\"after a pause\"}");
	MD_EVENT(&r, "AddEventsSuccess");
	FLH_EQ_INT(standin_count(S), 2);
	pt_result_release(&r);
	/* 503 on a POST is not retried (the event may be stored twice) */
	standin_reset(S);
	standin_fault(S, &busy);
	RUN(&r, "{\"what\":\"once\"}");
	MD_EVENT(&r, "AddEventsFailure");
	FLH_EQ_STR(pt_str(&r, "error"), "Fail: could not apply event: status code 503 : busy");
	FLH_EQ_INT(standin_count(S), 1);
	pt_result_release(&r);
	standin_fault(S, &slow);
	RUN(&r, "{\"what\":\"late\"}");
	FLH_ASSERT(strstr(pt_str(&r, "error"), "timed out after 2000 ms"));
	pt_result_release(&r);
	FLH_ASSERT(pt_alive(P));
}

FLT_TEST(basic_auth_path_prefix_and_missing_host)
{
	char host[160];
	struct pt_result r;
	struct standin_req q;
	pid_t pid;

	snprintf(host, sizeof(host), "GRAPHITE_HOST=%s/secure/", standin_url(S));
	const char *env_auth[] = { host, "GRAPHITE_USER=grafana", "GRAPHITE_PASSWORD=gr-pw", "FLYTE_LABELS=env=auth", NULL };
	pid = pt_start_pack(&E, getenv("FLYTE_GRAPHITE_BIN"), clear_graphite, env_auth, "graphite-auth.log",
			    "Graphite.env.auth");
	FLH_ASSERT(pid > 0);
	FLH_ASSERT(pt_run(&E, "Graphite", "{\"env\":\"auth\"}", "AddEvents", "{\"what\":\"secured\"}", 0, &r) == 0);
	MD_EVENT(&r, "AddEventsSuccess");
	pt_result_release(&r);
	md_last(S, &q);
	FLH_EQ_STR(q.target, "/secure/events/");
	FLH_EQ_STR(standin_req_header(&q, "Authorization"), auth_basic);
	standin_req_release(&q);
	FLH_EQ_INT(pt_stop_pack(pid), 0);

	const char *env_noauth[] = { host, "FLYTE_LABELS=env=noauth", NULL };
	pid = pt_start_pack(&E, getenv("FLYTE_GRAPHITE_BIN"), clear_graphite, env_noauth, "graphite-noauth.log",
			    "Graphite.env.noauth");
	FLH_ASSERT(pid > 0);
	FLH_ASSERT(pt_run(&E, "Graphite", "{\"env\":\"noauth\"}", "AddEvents", "{\"what\":\"x\"}", 0, &r) == 0);
	FLH_EQ_STR(pt_str(&r, "error"), "Fail: could not apply event: status code 401 : 401 Authorization Required");
	pt_result_release(&r);
	FLH_EQ_INT(pt_stop_pack(pid), 0);

	const char *env_unset[] = { "FLYTE_LABELS=env=unset", NULL };
	pid = pt_start_pack(&E, getenv("FLYTE_GRAPHITE_BIN"), clear_graphite, env_unset, "graphite-unset.log",
			    "Graphite.env.unset");
	FLH_ASSERT(pid > 0);
	FLH_ASSERT(pt_run(&E, "Graphite", "{\"env\":\"unset\"}", "AddEvents", "{\"what\":\"x\"}", 0, &r) == 0);
	MD_PAYLOAD(&r, "{\"tags\":\"\",\"what\":\"x\",\"data\":\"\",\"error\":\"Fail: could not apply event: GRAPHITE_HOST is not set\"}");
	pt_result_release(&r);
	FLH_ASSERT(pt_alive(pid));
	FLH_EQ_INT(pt_stop_pack(pid), 0);
}

/* Every YAML flow of the REST packs' pages is accepted by the server as it is written. */
FLT_TEST(doc_example_flows_are_valid)
{
	static const char *const pages[] = { "jira.md", "bamboo.md", "bitbucket.md", "consul.md", "graphite.md" };
	const char *dir = getenv("FLYTE_PACK_DOCS");
	int flows = 0;

	FLH_ASSERT(dir != NULL);
	for (size_t i = 0; i < FL_ARRAY_LEN(pages); i++) {
		char path[512], *text, *p;
		FILE *f;
		long n;
		snprintf(path, sizeof(path), "%s/%s", dir, pages[i]);
		f = fopen(path, "r");
		FLH_ASSERT_MSG(f != NULL, "cannot read %s", path);
		fseek(f, 0, SEEK_END);
		n = ftell(f);
		rewind(f);
		text = calloc(1, (size_t)n + 1);
		FLH_ASSERT(text && fread(text, 1, (size_t)n, f) == (size_t)n);
		fclose(f);
		for (p = strstr(text, "```yaml\n"); p; p = strstr(p, "```yaml\n")) {
			char *body = p + 8, *end = strstr(body, "```");
			struct flh_resp *r;
			FLH_ASSERT(end != NULL);
			*end = '\0';
			r = flh_send(E.srv, "POST", "/v1/flows", "application/x-yaml", body);
			if (r->status != 201) {
				flh_resp_print(r);
				flh_resp_free(r);
				free(text);
				FLH_FAIL("the example flow of %s is refused", pages[i]);
			}
			flh_resp_free(r);
			flows++;
			p = end + 3;
		}
		free(text);
	}
	FLH_EQ_INT(flows, 4); /* bamboo.md shows docs/examples/label-build-flow.json, run by pack-bamboo */
}

FLT_TEST(teardown)
{
	FLH_ASSERT(pt_alive(P));
	FLH_EQ_INT(pt_stop_pack(P), 0);
	standin_stop(S);
	pt_teardown(&E);
	json_decref(stored);
}

FLT_MAIN(setup, help_lists_variables, add_events, add_events_failures, rate_limit_and_timeouts,
	 basic_auth_path_prefix_and_missing_host, doc_example_flows_are_valid, teardown)
