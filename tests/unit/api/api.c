// SPDX-License-Identifier: Apache-2.0
/*
 * api.c - the REST resources (src/api/) driven through the request layer
 * against a real engine on a temporary database, without a network: wire
 * shapes, status codes, Location headers, links built from forwarding
 * headers, escaping of ids, YAML bodies, multipart uploads, audit query
 * parameters and the release of an undelivered take.
 */
#include "fl-common.h"

#include <pthread.h>
#include <unistd.h>

#include "api/api.h"
#include "fltest.h"
#include "http/router.h"
#include "yaml/yaml.h"
#include "log.h"
#include "fsutil.h"

static struct fl_engine *engine;
static struct fl_api api;
static struct fl_router *router;
static struct fl_http_ctx ctx;
static char dir[256];

/* ---------------------------------------------------- the test client */

struct call {
	struct fl_request req;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool resumed;
	json_t *json; /* parsed response body when it is JSON */
};

static void t_suspend(struct fl_request *req)
{
	(void)req;
}

static void t_resume(struct fl_request *req)
{
	struct call *c = req->transport;

	pthread_mutex_lock(&c->mu);
	c->resumed = true;
	pthread_cond_signal(&c->cv);
	pthread_mutex_unlock(&c->mu);
}

static const struct fl_request_ops t_ops = { t_suspend, t_resume };

struct hdrs {
	const char *content_type, *accept, *xfp, *xflyte;
};

static struct call *call_h(const char *method, const char *target, const struct hdrs *h, const char *body,
			   size_t body_len)
{
	struct call *c = calloc(1, sizeof(*c));

	pthread_mutex_init(&c->mu, NULL);
	pthread_cond_init(&c->cv, NULL);
	fl_request_init(&c->req, &ctx, method, target);
	c->req.ops = &t_ops;
	c->req.transport = c;
	c->req.h.host = "flyte.test:8080";
	if (h) {
		c->req.h.content_type = h->content_type;
		c->req.h.accept = h->accept;
		c->req.h.x_forwarded_proto = h->xfp;
		c->req.h.x_flyte_host = h->xflyte;
	}
	if (!fl_request_begin(&c->req)) {
		if (body && !fl_request_body_add(&c->req, body, body_len))
			goto done;
		if (fl_request_run(&c->req) == FL_EAGAIN) {
			fl_request_park(&c->req);
			pthread_mutex_lock(&c->mu);
			while (!c->resumed)
				pthread_cond_wait(&c->cv, &c->mu);
			pthread_mutex_unlock(&c->mu);
			fl_request_resumed(&c->req);
		}
	}
done:
	/* a streamed body is drained into the plain body, as the transport would send it */
	while (c->req.resp.produce) {
		struct fl_buf piece = FL_BUF_INIT(0);
		if (c->req.resp.produce(c->req.resp.produce_state, &piece) != FL_OK)
			FLT_FAIL("streamed body failed");
		if (piece.len == 0) {
			c->req.resp.produce_free(c->req.resp.produce_state);
			c->req.resp.produce = NULL;
			c->req.resp.produce_free = NULL;
			c->req.resp.produce_state = NULL;
		}
		fl_buf_add(&c->req.resp.body, piece.ptr, piece.len);
		fl_buf_release(&piece);
	}
	if (c->req.resp.content_type && strncmp(c->req.resp.content_type, "application/json", 16) == 0)
		c->json = json_loadb(c->req.resp.body.ptr, c->req.resp.body.len, 0, NULL);
	return c;
}

static struct call *call(const char *method, const char *target, const char *body)
{
	return call_h(method, target, NULL, body, body ? strlen(body) : 0);
}

static void done(struct call *c, bool delivered)
{
	fl_request_end(&c->req, delivered);
	json_decref(c->json);
	fl_request_release(&c->req);
	pthread_mutex_destroy(&c->mu);
	pthread_cond_destroy(&c->cv);
	free(c);
}

/* A request whose answer must have this status; nothing else of it is checked. */
#define CALL_STATUS(method, target, body, want)                                       \
	do {                                                                          \
		struct call *cs_ = call((method), (target), (body));                  \
		FLT_EQ_INT(cs_->req.resp.status, (want));                           \
		done(cs_, true);                                                      \
	} while (0)

static const char *jstr(json_t *o, const char *path)
{
	json_t *v = o;
	char key[64];

	while (v && *path) {
		size_t n = strcspn(path, ".");
		snprintf(key, sizeof(key), "%.*s", (int)n, path);
		if (json_is_array(v))
			v = json_array_get(v, strtoul(key, NULL, 10));
		else
			v = json_object_get(v, key);
		path += n + (path[n] == '.');
	}
	return json_string_value(v);
}

/* --------------------------------------------------------------- setup */

FLT_TEST(test_setup)
{
	struct fl_engine_config ec;
	struct fl_error err = FL_ERROR_INIT;
	char db[sizeof(dir) + 16];

	fl_log_set_level(FL_LOG_WARN);
	FLT_ASSERT(flt_tmpdir_make(dir, sizeof(dir), "flyte-api-test") == 0);
	snprintf(db, sizeof(db), "%s/flyte.db", dir);
	fl_engine_config_default(&ec);
	ec.db_path = db;
	ec.take_wait_ms_default = 0;
	if (fl_engine_open(&engine, &ec, &err) != FL_OK)
		FLT_FAIL("engine: %s", err.msg);
	fl_api_init(&api, engine, 0, 0);
	FLT_EQ_INT(fl_router_new(&router, api.routes, api.nroutes, &err), FL_OK);
	ctx.router = router;
	ctx.limits = (struct fl_body_limits)FL_BODY_LIMITS_DEFAULT;
	ctx.max_body = 1 << 20;
	ctx.app = &api;
}

/* ---------------------------------------------------------------- info */

FLT_TEST(test_root_and_v1)
{
	struct call *c = call("GET", "/", NULL);
	struct hdrs fwd = { NULL, NULL, "https", "api.example.com" };

	FLT_EQ_INT(c->req.resp.status, 200);
	FLT_EQ_STR(c->req.resp.body.ptr,
		   "{\"links\":[{\"href\":\"http://flyte.test:8080/\",\"rel\":\"self\"},"
		   "{\"href\":\"http://flyte.test:8080/swagger#/info\",\"rel\":\"help\"},"
		   "{\"href\":\"http://flyte.test:8080/v1\",\"rel\":\"http://flyte.test:8080/swagger#!/info/v1\"}]}");
	done(c, true);
	c = call_h("GET", "/v1", &fwd, NULL, 0);
	FLT_EQ_STR(c->req.resp.body.ptr,
		   "{\"links\":[{\"href\":\"https://api.example.com/v1\",\"rel\":\"self\"},"
		   "{\"href\":\"https://api.example.com/\",\"rel\":\"up\"},"
		   "{\"href\":\"https://api.example.com/swagger#!/info/v1\",\"rel\":\"help\"},"
		   "{\"href\":\"https://api.example.com/health\",\"rel\":\"https://api.example.com/swagger#!/info/health\"},"
		   "{\"href\":\"https://api.example.com/v1/packs\",\"rel\":\"https://api.example.com/swagger#!/pack/listPacks\"},"
		   "{\"href\":\"https://api.example.com/v1/flows\",\"rel\":\"https://api.example.com/swagger#!/flow/listFlows\"},"
		   "{\"href\":\"https://api.example.com/v1/datastore\","
		   "\"rel\":\"https://api.example.com/swagger#!/datastore/listDatastoreItems\"},"
		   "{\"href\":\"https://api.example.com/v1/audit/flows\","
		   "\"rel\":\"https://api.example.com/swagger#!/flowAudit/findFlows\"},"
		   "{\"href\":\"https://api.example.com/v1/swagger\",\"rel\":\"https://api.example.com/swagger\"}]}");
	done(c, true);
}

FLT_TEST(test_health_and_swagger)
{
	struct call *c = call("GET", "/health", NULL);

	FLT_EQ_INT(c->req.resp.status, 200);
	done(c, true);
	c = call("GET", "/v1/swagger", NULL);
	FLT_EQ_INT(c->req.resp.status, 200);
	FLT_EQ_STR(c->req.resp.content_type, "application/vnd.yaml; charset=utf-8");
	FLT_ASSERT(strncmp(c->req.resp.body.ptr, "openapi: 3", 10) == 0);
	done(c, true);
	c = call("GET", "/swagger", NULL);
	FLT_ASSERT(strstr(c->req.resp.body.ptr, "http://flyte.test:8080/v1/swagger") != NULL);
	done(c, true);
	CALL_STATUS("GET", "/swagger-config/v1.yml", NULL, 200);
	CALL_STATUS("GET", "/swagger-config/other", NULL, 404);
}

/* --------------------------------------------------------------- packs */

FLT_TEST(test_register_pack)
{
	const char *def = "{\"name\":\"Slack\",\"labels\":{\"env\":\"dev\",\"a\":\"b\"},"
			  "\"commands\":[{\"name\":\"SendMessage\",\"events\":[\"MessageSent\"]},{\"name\":\"Ping\"}],"
			  "\"events\":[{\"name\":\"ReceivedMessage\"}],"
			  "\"links\":[{\"href\":\"https://docs/README.md\",\"rel\":\"help\"}]}";
	struct call *c = call("POST", "/v1/packs", def);
	json_t *b = c->json;

	FLT_EQ_INT(c->req.resp.status, 201);
	FLT_EQ_STR(c->req.resp.content_type, "application/json; charset=utf-8");
	FLT_EQ_STR(fl_response_header(&c->req.resp, "Location"), "http://flyte.test:8080/v1/packs/Slack.a.b.env.dev");
	FLT_EQ_STR(jstr(b, "id"), "Slack.a.b.env.dev");
	FLT_EQ_STR(jstr(b, "status"), "live");
	FLT_ASSERT(jstr(b, "lastSeen") != NULL);
	FLT_EQ_STR(jstr(b, "commands.0.links.0.href"),
		   "http://flyte.test:8080/v1/packs/Slack.a.b.env.dev/actions/take?commandName=SendMessage");
	FLT_EQ_STR(jstr(b, "commands.0.links.0.rel"), "http://flyte.test:8080/swagger#!/action/takeAction");
	FLT_ASSERT(json_is_null(json_object_get(json_array_get(json_object_get(b, "commands"), 1), "events")));
	FLT_EQ_STR(jstr(b, "links.0.rel"), "help");
	FLT_EQ_STR(jstr(b, "links.1.rel"), "self");
	FLT_EQ_STR(jstr(b, "links.2.href"), "http://flyte.test:8080/v1/packs");
	FLT_EQ_STR(jstr(b, "links.3.href"), "http://flyte.test:8080/v1/packs/Slack.a.b.env.dev/actions/take");
	FLT_EQ_STR(jstr(b, "links.4.href"), "http://flyte.test:8080/v1/packs/Slack.a.b.env.dev/events");
	FLT_EQ_STR(jstr(b, "links.4.rel"), "http://flyte.test:8080/swagger#/event");
	/* labels come out sorted, like a Go map */
	FLT_ASSERT(strstr(c->req.resp.body.ptr, "\"labels\":{\"a\":\"b\",\"env\":\"dev\"}") != NULL);
	done(c, true);

	/* GET <Location> gives the same links (old clients do this) */
	c = call("GET", "/v1/packs/Slack.a.b.env.dev", NULL);
	FLT_EQ_INT(c->req.resp.status, 200);
	FLT_EQ_STR(jstr(c->json, "links.3.rel"), "http://flyte.test:8080/swagger#!/action/takeAction");
	done(c, true);
}

FLT_TEST(test_register_pack_errors)
{
	struct call *c = call("POST", "/v1/packs", "{\"name\":");

	FLT_EQ_INT(c->req.resp.status, 400);
	FLT_EQ_STR(c->req.resp.content_type, "application/json");
	FLT_EQ_INT(json_integer_value(json_object_get(c->json, "status")), 400);
	done(c, true);
	CALL_STATUS("POST", "/v1/packs", "", 400);
	CALL_STATUS("POST", "/v1/packs", "[1]", 400);
	CALL_STATUS("POST", "/v1/packs", "{\"name\":\"X\",\"links\":[{\"href\":\"h\",\"rel\":\"self\"}]}", 400);
}

FLT_TEST(test_pack_ids_are_escaped)
{
	struct call *c = call("POST", "/v1/packs", "{\"name\":\"My Pack\",\"links\":null,\"events\":null}");

	FLT_EQ_INT(c->req.resp.status, 201);
	FLT_EQ_STR(fl_response_header(&c->req.resp, "Location"), "http://flyte.test:8080/v1/packs/My%20Pack");
	FLT_ASSERT(json_object_get(c->json, "labels") == NULL);
	FLT_ASSERT(json_object_get(c->json, "commands") == NULL);
	done(c, true);
	c = call("GET", "/v1/packs/My%20Pack", NULL);
	FLT_EQ_INT(c->req.resp.status, 200);
	FLT_EQ_STR(jstr(c->json, "name"), "My Pack");
	done(c, true);
	c = call("GET", "/v1/packs", NULL);
	FLT_EQ_INT(c->req.resp.status, 200);
	FLT_EQ_STR(jstr(c->json, "links.0.rel"), "self");
	FLT_EQ_STR(jstr(c->json, "packs.0.name"), "My Pack");
	FLT_EQ_STR(jstr(c->json, "packs.0.links.0.href"), "http://flyte.test:8080/v1/packs/My%20Pack");
	FLT_ASSERT(json_object_get(json_array_get(json_object_get(c->json, "packs"), 0), "commands") == NULL);
	done(c, true);
	CALL_STATUS("DELETE", "/v1/packs/My%20Pack", NULL, 204);
	CALL_STATUS("DELETE", "/v1/packs/My%20Pack", NULL, 404);
	CALL_STATUS("GET", "/v1/packs/My%20Pack", NULL, 404);
}

/* ------------------------------------------------------------- actions */

static const char flow_yaml[] = "name: slack_flow\n"
				"description: replies\n"
				"steps:\n"
				"  - id: reply\n"
				"    event: {packName: Slack, name: ReceivedMessage}\n"
				"    command:\n"
				"      packName: Slack\n"
				"      name: SendMessage\n"
				"      packLabels: {env: dev, a: b}\n"
				"      input: {z: \"{{ Event.Payload.text }}\", a: 1}\n";

static char action_href[256];

FLT_TEST(test_flow_event_take_result)
{
	struct hdrs yaml = { "application/x-yaml", NULL, NULL, NULL };
	struct call *c = call_h("POST", "/v1/flows", &yaml, flow_yaml, sizeof(flow_yaml) - 1);
	const char *path;

	FLT_EQ_INT(c->req.resp.status, 201);
	FLT_EQ_STR(fl_response_header(&c->req.resp, "Location"), "http://flyte.test:8080/v1/flows/slack_flow");
	FLT_EQ_INT(c->req.resp.body.len, 0);
	done(c, true);

	CALL_STATUS("POST", "/v1/packs/Slack.a.b.env.dev/events",
		    "{\"event\":\"ReceivedMessage\",\"payload\":{\"text\":\"hi\"}}", 202);

	CALL_STATUS("POST", "/v1/packs/Slack.a.b.env.dev/actions/take?commandName=Other", NULL, 204);

	c = call("POST", "/v1/packs/Slack.a.b.env.dev/actions/take?commandName=SendMessage", "null");
	FLT_EQ_INT(c->req.resp.status, 200);
	FLT_EQ_STR(jstr(c->json, "command"), "SendMessage");
	FLT_ASSERT(strstr(c->req.resp.body.ptr, "\"input\":{\"a\":1,\"z\":\"hi\"}") != NULL);
	FLT_EQ_STR(jstr(c->json, "links.0.rel"), "http://flyte.test:8080/swagger#/actionResult");
	snprintf(action_href, sizeof(action_href), "%s", jstr(c->json, "links.0.href"));
	FLT_ASSERT(strncmp(action_href, "http://flyte.test:8080/v1/packs/Slack.a.b.env.dev/actions/", 58) == 0);
	FLT_ASSERT(strstr(action_href, "/result") != NULL);
	done(c, true);

	path = action_href + strlen("http://flyte.test:8080");
	CALL_STATUS("POST", path, "{\"event\":\"MessageSent\",\"payload\":{\"ok\":true}}", 202);
	CALL_STATUS("POST", path, "{\"event\":\"MessageSent\"}", 409);
	CALL_STATUS("POST", path, "not json", 400);
	CALL_STATUS("POST", "/v1/packs/Slack.a.b.env.dev/actions/0123456789abcdef01234567/result", "{}", 404);
	CALL_STATUS("POST", "/v1/packs/Nope/actions/take", NULL, 404);
	CALL_STATUS("POST", "/v1/packs/Nope/events", "{\"event\":\"x\"}", 404);
	CALL_STATUS("POST", "/v1/packs/Slack.a.b.env.dev/events", "{}", 202);
}

/* A take answer that never reached the client puts the action back. */
FLT_TEST(test_undelivered_take_is_released)
{
	struct call *c = call("POST", "/v1/packs/Slack.a.b.env.dev/events", "{\"event\":\"ReceivedMessage\",\"payload\":{}}");
	char first[256];

	FLT_EQ_INT(c->req.resp.status, 202);
	done(c, true);
	c = call("POST", "/v1/packs/Slack.a.b.env.dev/actions/take", NULL);
	FLT_EQ_INT(c->req.resp.status, 200);
	snprintf(first, sizeof(first), "%s", jstr(c->json, "links.0.href"));
	done(c, false);
	c = call("POST", "/v1/packs/Slack.a.b.env.dev/actions/take", NULL);
	FLT_EQ_INT(c->req.resp.status, 200);
	/* the same action, taken again: the next attempt */
	FLT_ASSERT(strstr(first, "/result?attempt=1") != NULL);
	first[strlen(first) - 1] = '2';
	FLT_EQ_STR(jstr(c->json, "links.0.href"), first);
	FLT_EQ_INT(json_integer_value(json_object_get(c->json, "attempt")), 2);
	done(c, true);
}

/* ---------------------------------------------------------------- flows */

FLT_TEST(test_flows)
{
	struct call *c = call("GET", "/v1/flows", NULL);

	FLT_EQ_INT(c->req.resp.status, 200);
	FLT_EQ_STR(jstr(c->json, "flows.0.name"), "slack_flow");
	FLT_EQ_STR(jstr(c->json, "flows.0.description"), "replies");
	FLT_EQ_STR(jstr(c->json, "flows.0.links.0.href"), "http://flyte.test:8080/v1/flows/slack_flow");
	FLT_EQ_STR(jstr(c->json, "links.2.href"), "http://flyte.test:8080/swagger#/flow");
	done(c, true);
	c = call("GET", "/v1/flows/slack_flow", NULL);
	FLT_EQ_INT(c->req.resp.status, 200);
	FLT_EQ_STR(jstr(c->json, "steps.0.id"), "reply");
	FLT_ASSERT(json_object_get(c->json, "uuid") == NULL);
	FLT_EQ_STR(jstr(c->json, "links.1.href"), "http://flyte.test:8080/v1/flows");
	done(c, true);
	CALL_STATUS("POST", "/v1/flows", "{\"description\":\"no name\"}", 400);
	CALL_STATUS("POST", "/v1/flows", "{\"name\":\"tmp\",\"steps\":[]}", 201);
	CALL_STATUS("DELETE", "/v1/flows/tmp", NULL, 204);
	CALL_STATUS("GET", "/v1/flows/tmp", NULL, 404);
}

/* ------------------------------------------------------------ datastore */

static struct call *put_item(const char *target, const char *ctype, const char *body)
{
	struct hdrs h = { ctype, NULL, NULL, NULL };
	return call_h("PUT", target, &h, body, strlen(body));
}

/* put_item whose answer must have this status. */
#define PUT_STATUS(target, ctype, body, want)                                         \
	do {                                                                          \
		struct call *cs_ = put_item((target), (ctype), (body));               \
		FLT_EQ_INT(cs_->req.resp.status, (want));                           \
		done(cs_, true);                                                      \
	} while (0)

FLT_TEST(test_datastore)
{
	const char *mp = "multipart/form-data; boundary=B";
	struct call *c = put_item("/v1/datastore/teams", mp,
				  "--B\r\nContent-Disposition: form-data; name=\"description\"\r\n\r\nteams\r\n"
				  "--B\r\nContent-Disposition: form-data; name=\"value\"; filename=\"t.json\"\r\n"
				  "Content-Type: application/json\r\n\r\n{\"t\":1}\r\n--B--\r\n");

	FLT_EQ_INT(c->req.resp.status, 201);
	done(c, true);
	c = put_item("/v1/datastore/teams?description=from%20query", mp,
		     "--B\r\nContent-Disposition: form-data; name=\"description\"\r\n\r\nignored\r\n"
		     "--B\r\nContent-Disposition: form-data; name=\"value\"\r\n\r\nplain\r\n--B--\r\n");
	FLT_EQ_INT(c->req.resp.status, 204);
	done(c, true);
	c = call("GET", "/v1/datastore/teams", NULL);
	FLT_EQ_INT(c->req.resp.status, 200);
	FLT_EQ_STR(c->req.resp.content_type, "text/plain; charset=us-ascii");
	FLT_EQ_MEM(c->req.resp.body.ptr, c->req.resp.body.len, "plain", 5);
	done(c, true);
	c = call("GET", "/v1/datastore", NULL);
	FLT_EQ_STR(jstr(c->json, "datastore.0.key"), "teams");
	FLT_EQ_STR(jstr(c->json, "datastore.0.description"), "from query");
	FLT_EQ_STR(jstr(c->json, "datastore.0.links.0.href"), "http://flyte.test:8080/v1/datastore/teams");
	done(c, true);
	c = put_item("/v1/datastore/x", mp, "--B\r\nContent-Disposition: form-data; name=\"value\"\r\n\r\n\r\n--B--");
	FLT_EQ_INT(c->req.resp.status, 400);
	done(c, true);
	PUT_STATUS("/v1/datastore/x", "application/json", "{}", 400);
	c = put_item("/v1/datastore/x", mp, "--B\r\nContent-Disposition: form-data; name=\"value\"\r\n\r\nunterminated");
	FLT_EQ_INT(c->req.resp.status, 400);
	done(c, true);
	CALL_STATUS("DELETE", "/v1/datastore/teams", NULL, 204);
	c = call("GET", "/v1/datastore/teams", NULL);
	FLT_EQ_INT(c->req.resp.status, 404);
	FLT_EQ_STR(c->req.resp.content_type, "application/json");
	done(c, true);
}

/* The collections and deletes of flows, packs and datastore share one helper each: same shapes. */
FLT_TEST(test_lists_and_deletes)
{
	static const struct {
		const char *path, *key, *help, *start;
	} lists[] = {
		{ "/v1/flows", "flows", "/swagger#/flow", "{\"flows\":[" },
		{ "/v1/packs", "packs", "/swagger#/pack", "{\"links\":[" },
		{ "/v1/datastore", "datastore", "/swagger#/datastore", "{\"links\":[" },
	};
	static const char *const unknown[] = { "/v1/flows/nope", "/v1/packs/nope", "/v1/datastore/nope" };
	const char *mp = "multipart/form-data; boundary=B";
	struct call *c = put_item("/v1/datastore/k", mp,
				  "--B\r\nContent-Disposition: form-data; name=\"value\"\r\n\r\nv\r\n--B--\r\n");
	char want[128];

	FLT_EQ_INT(c->req.resp.status, 201);
	done(c, true);
	for (size_t i = 0; i < FL_ARRAY_LEN(lists); i++) {
		c = call("GET", lists[i].path, NULL);
		FLT_EQ_INT(c->req.resp.status, 200);
		/* the original's member order: flows before links, links before packs and datastore */
		FLT_ASSERT(strncmp(c->req.resp.body.ptr, lists[i].start, strlen(lists[i].start)) == 0);
		FLT_EQ_INT(json_object_size(c->json), 2);
		FLT_ASSERT(json_array_size(json_object_get(c->json, lists[i].key)) > 0);
		snprintf(want, sizeof(want), "http://flyte.test:8080%s", lists[i].path);
		FLT_EQ_STR(jstr(c->json, "links.0.href"), want);
		FLT_EQ_STR(jstr(c->json, "links.0.rel"), "self");
		FLT_EQ_STR(jstr(c->json, "links.1.href"), "http://flyte.test:8080/v1");
		FLT_EQ_STR(jstr(c->json, "links.1.rel"), "up");
		snprintf(want, sizeof(want), "http://flyte.test:8080%s", lists[i].help);
		FLT_EQ_STR(jstr(c->json, "links.2.href"), want);
		FLT_EQ_STR(jstr(c->json, "links.2.rel"), "help");
		FLT_ASSERT(json_array_size(json_object_get(c->json, "links")) == 3);
		snprintf(want, sizeof(want), "%s.0.links.0.rel", lists[i].key);
		FLT_EQ_STR(jstr(c->json, want), "self");
		done(c, true);
	}
	for (size_t i = 0; i < FL_ARRAY_LEN(unknown); i++) {
		c = call("DELETE", unknown[i], NULL);
		FLT_EQ_INT(c->req.resp.status, 404);
		FLT_ASSERT(json_string_value(json_object_get(c->json, "error")) != NULL);
		done(c, true);
	}
	c = call("DELETE", "/v1/datastore/k", NULL);
	FLT_EQ_INT(c->req.resp.status, 204);
	FLT_EQ_INT(c->req.resp.body.len, 0);
	done(c, true);
}

/* ---------------------------------------------------------------- audit */

FLT_TEST(test_audit)
{
	struct call *c = call("GET", "/v1/audit/flows?flowName=slack_flow&limit=abc&start=x", NULL);
	char corr[64], target[128];

	FLT_EQ_INT(c->req.resp.status, 200);
	FLT_ASSERT(json_array_size(json_object_get(c->json, "flows")) >= 1);
	FLT_EQ_STR(jstr(c->json, "flows.0.name"), "slack_flow");
	FLT_EQ_STR(jstr(c->json, "links.2.href"), "http://flyte.test:8080/swagger#/flowExecs");
	snprintf(corr, sizeof(corr), "%s", jstr(c->json, "flows.0.correlationId"));
	done(c, true);
	c = call("GET", "/v1/audit/flows?limit=1&actionPackLabels=env:dev,%20a%20:%20b%20,junk", NULL);
	FLT_EQ_INT(c->req.resp.status, 200);
	FLT_EQ_INT(json_array_size(json_object_get(c->json, "flows")), 1);
	done(c, true);
	c = call("GET", "/v1/audit/flows?actionPackLabels=env:prod", NULL);
	FLT_EQ_INT(json_array_size(json_object_get(c->json, "flows")), 0);
	FLT_ASSERT(strstr(c->req.resp.body.ptr, "\"flows\":[]") != NULL);
	done(c, true);
	CALL_STATUS("GET", "/v1/audit/flows?limit=0", NULL, 400);
	CALL_STATUS("GET", "/v1/audit/flows?start=-1", NULL, 400);
	snprintf(target, sizeof(target), "/v1/audit/flows/%s", corr);
	c = call("GET", target, NULL);
	FLT_EQ_INT(c->req.resp.status, 200);
	FLT_EQ_STR(jstr(c->json, "correlationId"), corr);
	FLT_ASSERT(json_is_object(json_object_get(c->json, "actions")));
	done(c, true);
	CALL_STATUS("GET", "/v1/audit/flows/0123456789abcdef01234567", NULL, 404);
}

/* The embedded OpenAPI document parses and describes every route of the table. */
FLT_TEST(test_openapi_covers_routes)
{
	struct fl_yaml_limits lim = { 64, 100000, 1000 };
	struct fl_error err = FL_ERROR_INIT;
	json_t *doc = NULL, *paths;

	FLT_EQ_INT(fl_yaml_to_json(&doc, fl_api_openapi_yaml, fl_api_openapi_yaml_len, &lim, &err), FL_OK);
	paths = json_object_get(doc, "paths");
	FLT_ASSERT(json_is_object(paths));
	for (size_t i = 0; i < api.nroutes; i++) {
		const struct fl_route *r = &api.routes[i];
		char method[16];
		json_t *p = json_object_get(paths, r->pattern);

		if (strcmp(r->pattern, "/swagger-config/{file}") == 0)
			continue; /* an alias of /v1/swagger */
		for (size_t k = 0; k < sizeof(method); k++) {
			method[k] = (char)(r->method[k] >= 'A' && r->method[k] <= 'Z' ? r->method[k] + 32 : r->method[k]);
			if (!method[k])
				break;
		}
		if (!p || !json_object_get(p, method))
			FLT_FAIL("docs/api/openapi.yaml does not describe %s %s", r->method, r->pattern);
	}
	json_decref(doc);
}

FLT_TEST(test_teardown)
{
	fl_engine_free(engine);
	fl_router_free(router);
	fl_api_release(&api);
	FLT_EQ_INT(flt_tmpdir_remove(dir), 0);
}

FLT_MAIN(test_setup, test_root_and_v1, test_health_and_swagger, test_register_pack, test_register_pack_errors,
	 test_pack_ids_are_escaped, test_flow_event_take_result, test_undelivered_take_is_released, test_flows,
	 test_datastore, test_lists_and_deletes, test_audit, test_openapi_covers_routes, test_teardown)
