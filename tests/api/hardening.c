/* SPDX-License-Identifier: Apache-2.0 */
/*
 * hardening.c - black-box regression tests for attacks on the engine and
 * the store, each made the way it was first made against the real binary:
 *
 *  - one event whose templates cost seconds must not hold other writes
 *    back: an unrelated pack's event posted while it renders is answered
 *    first, and the costly render ends at its deadline (its step fails as a
 *    template error, the event itself is stored);
 *  - a take must find its action behind a backlog of more than 100,000
 *    actions queued for another label or another command;
 *  - a database file deleted under the running server (on PostgreSQL: the
 *    database dropped): writes answer 503 with a JSON error (never 2xx),
 *    /health answers 503;
 *  - a long audit list is streamed (chunked), complete and identical to the
 *    executions read one by one, in JSON and YAML.
 *
 * No test asserts a duration; the figures live in bench/attack.
 */
#include "fl-common.h"

#include "api-util.h"
#include "buf.h"
#include "fltest.h"
#include "harness.h"
#include "pgtemp.h"

#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

/* --------------------------------------------------- costly templates */

struct poster {
	pthread_t th;
	struct flh_pack *pack;
	const char *event;
	const char *payload;
	long status;
	atomic_int done;
};

static bool log_has(struct flh_server *s, const char *what)
{
	char *log = flh_server_log(s);
	bool found = log && strstr(log, what);

	free(log);
	return found;
}

static void *post_main(void *arg)
{
	struct poster *p = arg;

	p->status = flh_pack_event(p->pack, p->event, p->payload);
	atomic_store(&p->done, 1);
	return NULL;
}

FLT_TEST(costly_template_does_not_hold_other_writes)
{
	static const char *const env[] = { "FLYTE_TEMPLATE_DEADLINE_MS=3000", "FLYTE_TEMPLATE_MAX_STEPS=1000000000000",
					   NULL };
	struct flh_server *s = api_start(1000, env);
	struct flh_pack src = { 0 }, other = { 0 }, worker = { 0 };
	struct flh_action a = { 0 };
	struct poster big = { 0 };
	struct fl_buf payload = FL_BUF_INIT(0);
	char *log;
	bool small_first;

	FLH_ASSERT_MSG(s, "the server did not start");
	FLH_EQ_INT(flh_pack_register(&src, s, "{\"name\":\"Src\"}"), 201);
	FLH_EQ_INT(flh_pack_register(&other, s, "{\"name\":\"Other\"}"), 201);
	FLH_EQ_INT(flh_pack_register(&worker, s, "{\"name\":\"Worker\",\"commands\":[{\"name\":\"Run\"},"
						 "{\"name\":\"Pong\"}]}"),
		   201);
	/* 100^3 x the length of 3,200 bytes: far more work than the deadline allows */
	FLH_EQ_INT(api_post_flow(s, "{\"name\":\"costly\",\"steps\":[{\"id\":\"c\",\"event\":{\"name\":\"Big\","
				    "\"packName\":\"Src\"},\"command\":{\"name\":\"Run\",\"packName\":\"Worker\","
				    "\"input\":\"{% for a in Event.Payload.l %}{% for b in Event.Payload.l %}"
				    "{% for c in Event.Payload.l %}{% if Event.Payload.s|length == 0 %}x{% endif %}"
				    "{% endfor %}"
				    "{% endfor %}{% endfor %}\"}}]}"),
		   201);
	FLH_EQ_INT(api_post_flow(s, "{\"name\":\"plain\",\"steps\":[{\"id\":\"p\",\"event\":{\"name\":\"Ping\","
				    "\"packName\":\"Other\"},\"command\":{\"name\":\"Pong\",\"packName\":\"Worker\","
				    "\"input\":\"{{ Event.Name }}\"}}]}"),
		   201);
	fl_buf_adds(&payload, "{\"s\":\"");
	for (int i = 0; i < 3200; i++)
		fl_buf_addc(&payload, 'x');
	fl_buf_adds(&payload, "\",\"l\":[");
	for (int i = 0; i < 100; i++)
		fl_buf_addf(&payload, "%s%d", i ? "," : "", i);
	fl_buf_adds(&payload, "]}");

	big = (struct poster){ .pack = &src, .event = "Big", .payload = payload.ptr };
	FLH_ASSERT(pthread_create(&big.th, NULL, post_main, &big) == 0);
	/* the costly event reached the server when the render was sent off the writer */
	{
		bool seen = false;
		FLH_WAIT_FOR(seen, FLH_WAIT_MS, log_has(s, "rendering off the writer"));
		FLH_ASSERT_MSG(seen, "the costly event never started rendering");
	}
	FLH_EQ_INT(flh_pack_event(&other, "Ping", NULL), 202);
	small_first = !atomic_load(&big.done);
	FLH_EQ_INT(flh_pack_take(&worker, "commandName=Pong", &a), 200);
	flh_action_release(&a);
	pthread_join(big.th, NULL);
	FLH_ASSERT_MSG(small_first, "the unrelated event waited for the costly render");
	FLH_EQ_INT(big.status, 202);
	/* the costly step ran out of time: logged as a template error, no action */
	FLH_EQ_INT(flh_pack_take(&worker, "commandName=Run", &a), 204);
	flh_action_release(&a);
	log = flh_server_log(s);
	FLH_ASSERT(log && strstr(log, "evaluation exceeds its time limit"));
	free(log);
	fl_buf_release(&payload);
	flh_pack_release(&src);
	flh_pack_release(&other);
	flh_pack_release(&worker);
	flh_server_free(s);
}

/* ----------------------------------------------------------- backlog */

FLT_TEST(take_finds_its_action_behind_a_backlog)
{
	struct flh_server *s = api_start(0, NULL);
	struct flh_pack src = { 0 }, prod = { 0 }, dev = { 0 };
	struct flh_action a = { 0 };
	struct fl_buf flow = FL_BUF_INIT(0);
	const int steps = 1000, events = 101;

	FLH_ASSERT_MSG(s, "the server did not start");
	FLH_EQ_INT(flh_pack_register(&src, s, "{\"name\":\"Src\"}"), 201);
	FLH_EQ_INT(flh_pack_register(&prod, s, "{\"name\":\"W\",\"labels\":{\"env\":\"prod\"},\"commands\":["
					       "{\"name\":\"Work\"},{\"name\":\"Other\"}]}"),
		   201);
	FLH_EQ_INT(flh_pack_register(&dev, s, "{\"name\":\"W\",\"labels\":{\"env\":\"dev\"},\"commands\":["
					      "{\"name\":\"Mine\"}]}"),
		   201);
	/* one Flood event queues 1,000 actions for W {env: prod} */
	fl_buf_adds(&flow, "{\"name\":\"flood\",\"steps\":[");
	for (int i = 0; i < steps; i++)
		fl_buf_addf(&flow,
			    "%s{\"id\":\"s%d\",\"event\":{\"name\":\"Flood\",\"packName\":\"Src\"},\"command\":{"
			    "\"name\":\"Work\",\"packName\":\"W\",\"packLabels\":{\"env\":\"prod\"},\"input\":%d}}",
			    i ? "," : "", i, i);
	fl_buf_adds(&flow, "]}");
	FLH_EQ_INT(api_post_flow(s, flow.ptr), 201);
	FLH_EQ_INT(api_post_flow(s, "{\"name\":\"mine\",\"steps\":[{\"id\":\"m\",\"event\":{\"name\":\"Mine\","
				    "\"packName\":\"Src\"},\"command\":{\"name\":\"Mine\",\"packName\":\"W\","
				    "\"packLabels\":{\"env\":\"dev\"}}},{\"id\":\"o\",\"event\":{\"name\":\"Mine\","
				    "\"packName\":\"Src\"},\"command\":{\"name\":\"Other\",\"packName\":\"W\","
				    "\"packLabels\":{\"env\":\"prod\"}}}]}"),
		   201);
	for (int i = 0; i < events; i++)
		FLH_EQ_INT(flh_pack_event(&src, "Flood", NULL), 202);
	FLH_EQ_INT(flh_pack_event(&src, "Mine", NULL), 202);
	/* 101,000 actions for another label are queued in front */
	FLH_EQ_INT(flh_pack_take(&dev, NULL, &a), 200);
	FLH_EQ_STR(a.command, "Mine");
	flh_action_release(&a);
	/* and in front of the command asked for */
	FLH_EQ_INT(flh_pack_take(&prod, "commandName=Other", &a), 200);
	FLH_EQ_STR(a.command, "Other");
	flh_action_release(&a);
	/* the backlog itself is served oldest first */
	FLH_EQ_INT(flh_pack_take(&prod, NULL, &a), 200);
	FLH_EQ_STR(a.command, "Work");
	FLH_ASSERT(json_integer_value(a.input) == 0);
	flh_action_release(&a);
	fl_buf_release(&flow);
	flh_pack_release(&src);
	flh_pack_release(&prod);
	flh_pack_release(&dev);
	flh_server_free(s);
}

/* ---------------------------------------------------- database moved */

FLT_TEST(deleted_database_refuses_writes)
{
	struct flh_server *s = api_start(0, NULL);
	struct flh_pack p = { 0 };
	struct flh_resp *r;
	char path[4200];

	FLH_ASSERT_MSG(s, "the server did not start");
	FLH_EQ_INT(flh_pack_register(&p, s, "{\"name\":\"P\"}"), 201);
	FLH_EQ_INT(flh_pack_event(&p, "Before", NULL), 202);
	if (flh_store_is_pg()) {
		/* PostgreSQL: the database is dropped under the server (its connections closed) */
		pgtemp_drop(flh_server_db_url(s));
	} else {
		FLH_ASSERT(unlink(flh_server_db_path(s)) == 0);
		snprintf(path, sizeof(path), "%s-wal", flh_server_db_path(s));
		unlink(path);
		snprintf(path, sizeof(path), "%s-shm", flh_server_db_path(s));
		unlink(path);
	}
	/* a write is never acknowledged into a file nobody can open again */
	r = flh_post_json(s, flh_path("/v1/packs/%s/events", p.id), "{\"event\":\"After\"}");
	FLH_EQ_INT(r->status, 503);
	FLH_ASSERT(flh_resp_is_json_error(r));
	FLH_ASSERT(strstr(flh_json_str(flh_resp_json(r), "error"),
			  flh_store_is_pg() ? "unavailable" : "deleted or replaced") != NULL);
	flh_resp_free(r);
	r = flh_post_json(s, "/v1/packs", "{\"name\":\"Q\"}");
	FLH_EQ_INT(r->status, 503);
	flh_resp_free(r);
	/* and a load balancer sees the instance as down */
	r = flh_get(s, "/health");
	FLH_EQ_INT(r->status, 503);
	FLH_ASSERT(flh_resp_is_json_error(r));
	flh_resp_free(r);
	FLH_ASSERT(flh_server_running(s));
	flh_pack_release(&p);
	flh_server_free(s);
}

/* ------------------------------------------------------- audit stream */

FLT_TEST(long_audit_list_is_streamed)
{
	struct flh_server *s = api_start(0, NULL);
	struct flh_pack p = { 0 };
	struct flh_resp *r, *one;
	json_t *flows;
	const int n = 600;
	char why[256];

	FLH_ASSERT_MSG(s, "the server did not start");
	FLH_EQ_INT(flh_pack_register(&p, s, "{\"name\":\"P\"}"), 201);
	FLH_EQ_INT(api_post_flow(s, "{\"name\":\"f\",\"steps\":[{\"id\":\"a\",\"event\":{\"name\":\"E\","
				    "\"packName\":\"P\"},\"command\":{\"name\":\"C\",\"packName\":\"P\","
				    "\"input\":\"{{ Event.Payload.i }}\"}}]}"),
		   201);
	for (int i = 0; i < n; i++) {
		char payload[32];
		snprintf(payload, sizeof(payload), "{\"i\":%d}", i);
		FLH_EQ_INT(flh_pack_event(&p, "E", payload), 202);
	}
	r = flh_get(s, "/v1/audit/flows?limit=100000");
	FLH_EQ_INT(r->status, 200);
	FLH_ASSERT(flh_resp_header(r, "Transfer-Encoding") &&
		   strcmp(flh_resp_header(r, "Transfer-Encoding"), "chunked") == 0);
	flows = flh_json_get(flh_resp_json(r), "flows");
	FLH_EQ_INT(json_array_size(flows), n);
	FLH_ASSERT(flh_link_href(flh_json_get(flh_resp_json(r), "links"), "self") != NULL);
	/* newest first, each identical to the execution read alone */
	FLH_EQ_STR(json_string_value(flh_json_get(json_array_get(flows, 0), "actions.a.input")), "599.000000");
	for (int i = 0; i < n; i += 97) {
		json_t *e = json_array_get(flows, (size_t)i);
		one = flh_get(s, flh_path("/v1/audit/flows/%s", flh_json_str(e, "correlationId")));
		FLH_EQ_INT(one->status, 200);
		FLH_ASSERT_MSG(flh_json_same(e, flh_resp_json(one), true, why, sizeof(why)), "%s", why);
		flh_resp_free(one);
	}
	/* paging still applies */
	one = flh_get(s, "/v1/audit/flows?start=595&limit=10");
	FLH_EQ_INT(json_array_size(flh_json_get(flh_resp_json(one), "flows")), 5);
	FLH_EQ_STR(json_string_value(flh_json_get(flh_resp_json(one), "flows.4.actions.a.input")), "0.000000");
	flh_resp_free(one);
	one = flh_get(s, "/v1/audit/flows?start=600");
	FLH_EQ_INT(json_array_size(flh_json_get(flh_resp_json(one), "flows")), 0);
	flh_resp_free(one);
	flh_resp_free(r);
	/* YAML, streamed too */
	{
		struct flh_req req = { .url = "/v1/audit/flows?limit=3", .accept = "application/x-yaml" };
		r = flh_http(s, &req);
		FLH_EQ_INT(r->status, 200);
		FLH_ASSERT(strncmp(r->body, "flows:\n  - ", 11) == 0);
		FLH_ASSERT(strstr(r->body, "\nlinks:\n  - href: ") != NULL);
		flh_resp_free(r);
		req.url = "/v1/audit/flows?flowName=none";
		r = flh_http(s, &req);
		FLH_ASSERT(strncmp(r->body, "flows: []\nlinks:\n", 17) == 0);
		flh_resp_free(r);
	}
	flh_pack_release(&p);
	flh_server_free(s);
}

FLT_MAIN(costly_template_does_not_hold_other_writes, take_finds_its_action_behind_a_backlog,
	 deleted_database_refuses_writes, long_audit_list_is_streamed)
