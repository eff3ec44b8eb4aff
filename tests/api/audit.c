/* SPDX-License-Identifier: Apache-2.0 */
/*
 * audit.c - black-box tests of the flow-execution audit (spec §a.8, §b.4,
 * §c.2, §c.6).
 *
 * Three executions (E1, E2, E3, created in that order) are used to check
 * the list (newest first by latest state time), every filter (flowName,
 * stepId, actionName, actionPackName, actionPackLabels), paging with start
 * and limit, "flows":[] when nothing matches, 404 for an unknown
 * correlation id, 400 for a negative start or a limit of 0 or less (the
 * original answered 500), and the exact shape of an execution: the steps
 * of the flow version that ran, actions keyed by step id, trigger and
 * result events, the state history NEW -> PENDING -> SUCCESS/FATAL.  A flow
 * replaced or deleted while an execution runs: the continuation uses the
 * definition that started it.
 */
#include "fl-common.h"

#include "api-util.h"
#include "fltest.h"
#include "harness.h"

#include "timeutil.h"

static const char FLOW_A[] =
	"{\"name\":\"aud_a\",\"description\":\"audit flow A\",\"steps\":[{\"id\":\"a1\","
	"\"event\":{\"packName\":\"AudSrc\",\"name\":\"Ev1\"},"
	"\"context\":{\"K\":\"{{ Event.Payload.k }}\"},"
	"\"command\":{\"packName\":\"AudW\",\"name\":\"CmdA\",\"packLabels\":{\"env\":\"dev\",\"foo\":\"bar\"},"
	"\"input\":{\"n\":\"{{ Event.Payload.n }}\"}}}]}";

static const char FLOW_B[] =
	"{\"name\":\"aud_b\",\"steps\":[{\"id\":\"b1\","
	"\"event\":{\"packName\":\"AudSrc\",\"name\":\"Ev2\"},"
	"\"command\":{\"packName\":\"AudW\",\"name\":\"CmdB\"}}]}";

/* Correlation ids of the three executions, set up once. */
static char e1[32], e2[32], e3[32];
static struct flh_pack g_src, g_worker;

static void copy_cid(char *dst, json_t *audit, size_t idx)
{
	const char *cid = flh_json_str(audit, flh_path("flows.%zu.correlationId", idx));
	FLH_ASSERT_MSG(api_is_oid(cid), "correlation id %s", cid ? cid : "(none)");
	snprintf(dst, 32, "%s", cid);
}

/*
 * Wait until the wall clock is past the latest state time in an audit
 * answer, so the next execution gets a later time (the list is ordered by
 * it and ties have no defined order).
 */
static void clock_past(json_t *audit)
{
	size_t i;
	json_t *ex;
	int64_t latest = 0;
	bool ok;
	json_array_foreach(json_object_get(audit, "flows"), i, ex) {
		const char *key;
		json_t *act;
		json_object_foreach(json_object_get(ex, "actions"), key, act) {
			const char *t = flh_json_str(act, "state.time");
			int64_t ns;
			if (t && fl_time_parse_rfc3339(t, strlen(t), &ns, NULL) == 0 && ns > latest)
				latest = ns;
		}
	}
	FLH_WAIT_FOR(ok, 5000, fl_time_now_ns() > latest + 2 * FL_NS_PER_MS);
	(void)ok;
}

static void setup(void)
{
	json_t *a;
	struct flh_resp *r;
	char body[512];
	if (e3[0])
		return;
	FLH_EQ_INT(flh_pack_register(&g_src, api_srv(), "{\"name\":\"AudSrc\"}"), 201);
	FLH_EQ_INT(flh_pack_register(&g_worker, api_srv(),
				     "{\"name\":\"AudW\",\"labels\":{\"env\":\"dev\",\"foo\":\"bar\",\"x\":\"y\"}}"),
		   201);
	FLH_EQ_INT(api_post_flow(api_srv(), FLOW_A), 201);
	FLH_EQ_INT(api_post_flow(api_srv(), FLOW_B), 201);

	snprintf(body, sizeof(body),
		 "{\"event\":\"Ev1\",\"payload\":{\"n\":\"1\",\"k\":\"v1\"},\"createdAt\":\"2022-01-02T15:04:05Z\"}");
	r = flh_post_json(api_srv(), g_src.event_href, body);
	FLH_STATUS(r, 202);
	flh_resp_free(r);
	a = api_audit_wait(api_srv(), "flowName=aud_a", 1, NULL, NULL, FLH_WAIT_MS);
	FLH_ASSERT(a && json_array_size(json_object_get(a, "flows")) == 1);
	copy_cid(e1, a, 0);
	clock_past(a);
	json_decref(a);

	FLH_EQ_INT(flh_pack_event(&g_src, "Ev2", "{\"n\":\"2\"}"), 202);
	a = api_audit_wait(api_srv(), "flowName=aud_b", 1, NULL, NULL, FLH_WAIT_MS);
	FLH_ASSERT(a && json_array_size(json_object_get(a, "flows")) == 1);
	copy_cid(e2, a, 0);
	clock_past(a);
	json_decref(a);

	FLH_EQ_INT(flh_pack_event(&g_src, "Ev1", "{\"n\":\"3\",\"k\":\"v3\"}"), 202);
	a = api_audit_wait(api_srv(), "flowName=aud_a", 2, NULL, NULL, FLH_WAIT_MS);
	FLH_ASSERT(a && json_array_size(json_object_get(a, "flows")) == 2);
	copy_cid(e3, a, 0);
	FLH_ASSERT_MSG(strcmp(flh_json_str(a, "flows.1.correlationId"), e1) == 0,
		       "newest execution must come first");
	json_decref(a);
}

/* GET /v1/audit/flows?<query> and compare the correlation ids in order. */
static void expect_cids(const char *query, const char *const *cids, size_t n)
{
	struct flh_resp *r = flh_get(api_srv(), flh_path("/v1/audit/flows?%s", query));
	json_t *flows;
	FLH_STATUS(r, 200);
	flows = json_object_get(flh_resp_json(r), "flows");
	FLH_ASSERT_MSG(json_is_array(flows), "%s: no flows array", query);
	if (json_array_size(flows) != n) {
		for (size_t i = 0; i < json_array_size(flows); i++)
			printf("# got %s\n", flh_json_str(flows, flh_path("%zu.correlationId", i)));
		FLH_FAIL("%s: %zu executions, expected %zu", query, json_array_size(flows), n);
	}
	for (size_t i = 0; i < n; i++) {
		const char *got = flh_json_str(flows, flh_path("%zu.correlationId", i));
		FLH_ASSERT_MSG(got && strcmp(got, cids[i]) == 0, "%s: execution %zu is %s, expected %s", query, i,
			       got ? got : "(none)", cids[i]);
	}
	flh_resp_free(r);
}

FLT_TEST(empty_audit_is_empty_array)
{
	static const char want_tmpl[] = "{\"flows\":[],\"links\":[{\"href\":\"{B}/v1/audit/flows\",\"rel\":\"self\"},"
					"{\"href\":\"{B}/v1\",\"rel\":\"up\"},"
					"{\"href\":\"{B}/swagger#/flowExecs\",\"rel\":\"help\"}]}";
	api_get_same("/v1/audit/flows", NULL, want_tmpl, NULL);
}

FLT_TEST(list_newest_first)
{
	const char *all[] = { e3, e2, e1 };
	setup();
	expect_cids("actionPackName=AudW", all, 3);
}

FLT_TEST(filters)
{
	const char *a[] = { e3, e1 };
	const char *b[] = { e2 };
	const char *all[] = { e3, e2, e1 };
	setup();
	expect_cids("flowName=aud_a", a, 2);
	expect_cids("flowName=aud_b", b, 1);
	expect_cids("flowName=nosuchflow", NULL, 0);
	expect_cids("stepId=b1", b, 1);
	expect_cids("stepId=a1", a, 2);
	expect_cids("actionName=CmdB", b, 1);
	expect_cids("actionName=CmdA", a, 2);
	expect_cids("actionPackName=AudW", all, 3);
	expect_cids("actionPackName=AudSrc", NULL, 0);
	expect_cids("actionPackLabels=env:dev,foo:bar", a, 2);
	expect_cids("actionPackLabels=env:dev", a, 2);
	expect_cids("actionPackLabels=env:dev,foo:baz", NULL, 0);
	expect_cids("actionPackLabels=%20env%20:%20dev%20,foo:bar", a, 2);
	expect_cids("flowName=aud_a&stepId=b1", NULL, 0);
	expect_cids("flowName=aud_a&actionPackName=AudW&actionName=CmdA", a, 2);
}

FLT_TEST(paging_start_and_limit)
{
	const char *first[] = { e3 };
	const char *second[] = { e2 };
	const char *third[] = { e1 };
	const char *two[] = { e2, e1 };
	setup();
	expect_cids("actionPackName=AudW&limit=1", first, 1);
	expect_cids("actionPackName=AudW&start=1&limit=1", second, 1);
	expect_cids("actionPackName=AudW&start=1", two, 2);
	expect_cids("actionPackName=AudW&start=2&limit=5", third, 1);
	expect_cids("actionPackName=AudW&start=3", NULL, 0);
	expect_cids("actionPackName=AudW&start=0&limit=50", (const char *[]){ e3, e2, e1 }, 3);
}

FLT_TEST(bad_paging_is_400)
{
	static const char *const bad[] = { "start=-1", "limit=0", "limit=-1", "start=-5&limit=10" };
	for (size_t i = 0; i < FL_ARRAY_LEN(bad); i++) {
		struct flh_resp *r = flh_get(api_srv(), flh_path("/v1/audit/flows?%s", bad[i]));
		FLH_ERROR(r, 400);
		flh_resp_free(r);
	}
}

FLT_TEST(unknown_correlation_id_is_404)
{
	struct flh_resp *r = flh_get(api_srv(), "/v1/audit/flows/0123456789abcdef01234567");
	FLH_ERROR(r, 404);
	flh_resp_free(r);
}

FLT_TEST(execution_shape)
{
	static const char steps_json[] =
		"[{\"id\":\"a1\",\"event\":{\"name\":\"Ev1\",\"packName\":\"AudSrc\"},"
		"\"context\":{\"K\":\"{{ Event.Payload.k }}\"},"
		"\"command\":{\"name\":\"CmdA\",\"packName\":\"AudW\",\"packLabels\":{\"env\":\"dev\",\"foo\":\"bar\"},"
		"\"input\":{\"n\":\"{{ Event.Payload.n }}\"}}}]";
	static const char *const top_keys[] = { "name", "uuid", "correlationId", "steps", "actions", "links" };
	struct flh_resp *r;
	json_t *ex, *act, *want, *res;
	const char *key;
	json_t *v;
	size_t k = 0;
	int64_t created;
	const char *ts;
	char self[256];

	setup();
	r = flh_get(api_srv(), flh_path("/v1/audit/flows/%s", e1));
	FLH_STATUS(r, 200);
	FLH_ASSERT(flh_resp_ctype_is(r, "application/json"));
	ex = flh_resp_json(r);
	json_object_foreach(ex, key, v) {
		FLH_ASSERT_MSG(k < FL_ARRAY_LEN(top_keys) && strcmp(key, top_keys[k]) == 0,
			       "execution member %zu is '%s'", k, key);
		k++;
	}
	FLH_EQ_INT(k, FL_ARRAY_LEN(top_keys));
	FLH_EQ_STR(flh_json_str(ex, "name"), "aud_a");
	FLH_ASSERT(api_is_oid(flh_json_str(ex, "uuid")));
	FLH_EQ_STR(flh_json_str(ex, "correlationId"), e1);
	want = flh_json(steps_json);
	FLH_JSON_SAME(json_object_get(ex, "steps"), want, false);
	json_decref(want);
	snprintf(self, sizeof(self), "%s/v1/audit/flows/%s", flh_server_url(api_srv()), e1);
	FLH_EQ_STR(flh_json_str(ex, "links.0.href"), self);
	FLH_EQ_STR(flh_json_str(ex, "links.0.rel"), "self");

	FLH_EQ_INT(json_object_size(json_object_get(ex, "actions")), 1);
	act = flh_json_get(ex, "actions.a1");
	FLH_ASSERT(json_is_object(act));
	FLH_ASSERT(api_is_oid(flh_json_str(act, "id")));
	FLH_EQ_STR(flh_json_str(act, "name"), "CmdA");
	FLH_EQ_STR(flh_json_str(act, "packName"), "AudW");
	want = flh_json("{\"env\":\"dev\",\"foo\":\"bar\"}");
	FLH_JSON_SAME(json_object_get(act, "packLabels"), want, false);
	json_decref(want);
	want = flh_json("{\"n\":\"1\"}");
	FLH_JSON_SAME(json_object_get(act, "input"), want, false);
	json_decref(want);
	FLH_EQ_STR(flh_json_str(act, "state.value"), "NEW");
	FLH_ASSERT(api_time_near_now(flh_json_str(act, "state.time"), 300));
	FLH_EQ_INT(json_array_size(json_object_get(act, "states")), 1);
	FLH_EQ_STR(flh_json_str(act, "states.0.value"), "NEW");
	FLH_EQ_STR(flh_json_str(act, "correlationId"), e1);
	FLH_EQ_STR(flh_json_str(act, "flowName"), "aud_a");
	FLH_EQ_STR(flh_json_str(act, "flowUUID"), flh_json_str(ex, "uuid"));
	FLH_EQ_STR(flh_json_str(act, "stepId"), "a1");
	FLH_EQ_STR(flh_json_str(act, "context.K"), "v1");
	/* Trigger event: name, server-set pack, payload, createdAt kept, receivedAt now. */
	FLH_EQ_STR(flh_json_str(act, "trigger.event"), "Ev1");
	FLH_EQ_STR(flh_json_str(act, "trigger.pack.id"), "AudSrc");
	FLH_EQ_STR(flh_json_str(act, "trigger.pack.name"), "AudSrc");
	FLH_EQ_STR(flh_json_str(act, "trigger.payload.k"), "v1");
	ts = flh_json_str(act, "trigger.createdAt");
	FLH_ASSERT_MSG(ts && fl_time_parse_rfc3339(ts, strlen(ts), &created, NULL) == 0, "createdAt %s",
		       ts ? ts : "(none)");
	FLH_EQ_INT(created, INT64_C(1641135845) * FL_NS_PER_SEC);
	FLH_ASSERT(api_time_near_now(flh_json_str(act, "trigger.receivedAt"), 300));
	/* No result yet: present but empty. */
	res = json_object_get(act, "result");
	FLH_ASSERT_MSG(json_is_object(res), "result must be present");
	FLH_ASSERT_MSG(!flh_json_str(res, "event") || !*flh_json_str(res, "event"), "unfinished action has a result");
	flh_resp_free(r);
}

FLT_TEST(take_result_states_and_reordering)
{
	static const char *const want_states[] = { "NEW", "PENDING", "SUCCESS" };
	const char *order[] = { e1, e3, e2 };
	struct flh_action a;
	struct flh_resp *r;
	json_t *act;
	const char *aid;
	int64_t prev = 0;

	setup();
	r = flh_get(api_srv(), flh_path("/v1/audit/flows/%s", e1));
	FLH_STATUS(r, 200);
	aid = flh_json_str(flh_resp_json(r), "actions.a1.id");
	FLH_ASSERT(aid != NULL);
	/* The oldest NEW action of the pack is handed out first: E1's. */
	FLH_EQ_INT(flh_pack_take(&g_worker, NULL, &a), 200);
	FLH_EQ_STR(a.command, "CmdA");
	FLH_ASSERT_MSG(a.result_href && strstr(a.result_href, aid), "took %s, expected action %s",
		       a.result_href ? a.result_href : "(none)", aid);
	flh_resp_free(r);
	FLH_EQ_INT(flh_action_result(api_srv(), &a, "Done", "{\"out\":\"fine\"}"), 202);
	flh_action_release(&a);

	r = flh_get(api_srv(), flh_path("/v1/audit/flows/%s", e1));
	FLH_STATUS(r, 200);
	act = flh_json_get(flh_resp_json(r), "actions.a1");
	FLH_EQ_STR(flh_json_str(act, "state.value"), "SUCCESS");
	FLH_EQ_INT(json_array_size(json_object_get(act, "states")), 3);
	for (size_t i = 0; i < 3; i++) {
		const char *t = flh_json_str(act, flh_path("states.%zu.time", i));
		int64_t ns;
		FLH_EQ_STR(flh_json_str(act, flh_path("states.%zu.value", i)), want_states[i]);
		FLH_ASSERT(t && fl_time_parse_rfc3339(t, strlen(t), &ns, NULL) == 0);
		FLH_ASSERT_MSG(ns >= prev, "state times go backwards");
		prev = ns;
	}
	FLH_EQ_STR(flh_json_str(act, "result.event"), "Done");
	FLH_EQ_STR(flh_json_str(act, "result.pack.name"), "AudW");
	FLH_EQ_STR(flh_json_str(act, "result.pack.id"), "AudW.env.dev.foo.bar.x.y");
	FLH_EQ_STR(flh_json_str(act, "result.payload.out"), "fine");
	FLH_ASSERT(api_time_near_now(flh_json_str(act, "result.receivedAt"), 300));
	flh_resp_free(r);

	/* E1's latest state is now the newest of the three. */
	expect_cids("actionPackName=AudW", order, 3);
}

FLT_TEST(fatal_result_marks_action_fatal)
{
	static const char flow[] =
		"{\"name\":\"aud_fatal\",\"steps\":[{\"id\":\"f1\","
		"\"event\":{\"packName\":\"AudSrc\",\"name\":\"EvF\"},"
		"\"command\":{\"packName\":\"AudF\",\"name\":\"Fail\"}}]}";
	struct flh_pack worker;
	struct flh_action a;
	json_t *audit;
	setup();
	FLH_EQ_INT(flh_pack_register(&worker, api_srv(), "{\"name\":\"AudF\"}"), 201);
	FLH_EQ_INT(api_post_flow(api_srv(), flow), 201);
	FLH_EQ_INT(flh_pack_event(&g_src, "EvF", NULL), 202);
	FLH_EQ_INT(flh_pack_take_wait(&worker, NULL, &a, FLH_WAIT_MS), 200);
	FLH_EQ_INT(flh_action_result(api_srv(), &a, "FATAL", "\"no handler\""), 202);
	audit = api_audit_wait(api_srv(), "flowName=aud_fatal", 1, NULL, NULL, FLH_WAIT_MS);
	FLH_EQ_STR(flh_json_str(audit, "flows.0.actions.f1.state.value"), "FATAL");
	FLH_EQ_STR(flh_json_str(audit, "flows.0.actions.f1.states.2.value"), "FATAL");
	FLH_EQ_STR(flh_json_str(audit, "flows.0.actions.f1.result.payload"), "no handler");
	json_decref(audit);
	flh_action_release(&a);
	flh_pack_release(&worker);
}

FLT_TEST(event_body_cannot_spoof_pack)
{
	static const char spoofed[] =
		"{\"name\":\"aud_spoof_evil\",\"steps\":[{\"id\":\"x\",\"event\":{\"packName\":\"Evil\",\"name\":\"EvS\"},"
		"\"command\":{\"packName\":\"AudSpoof\",\"name\":\"Never\"}}]}";
	static const char real[] =
		"{\"name\":\"aud_spoof_real\",\"steps\":[{\"id\":\"r\",\"event\":{\"packName\":\"AudSrc\",\"name\":\"EvS\"},"
		"\"command\":{\"packName\":\"AudSpoof\",\"name\":\"Real\","
		"\"input\":\"{{ Event.Pack.Name }}/{{ Event.Pack.Id }}\"}}]}";
	struct flh_pack w;
	struct flh_action a, none;
	struct flh_resp *r;
	json_t *audit;
	setup();
	FLH_EQ_INT(flh_pack_register(&w, api_srv(), "{\"name\":\"AudSpoof\"}"), 201);
	FLH_EQ_INT(api_post_flow(api_srv(), spoofed), 201);
	FLH_EQ_INT(api_post_flow(api_srv(), real), 201);
	r = flh_post_json(api_srv(), g_src.event_href,
			  "{\"event\":\"EvS\",\"pack\":{\"id\":\"Evil\",\"name\":\"Evil\",\"labels\":{\"a\":\"b\"}},"
			  "\"payload\":{}}");
	FLH_STATUS(r, 202);
	flh_resp_free(r);
	FLH_EQ_INT(flh_pack_take_wait(&w, NULL, &a, FLH_WAIT_MS), 200);
	FLH_EQ_STR(a.command, "Real");
	FLH_EQ_STR(json_string_value(a.input), "AudSrc/AudSrc");
	FLH_EQ_INT(flh_pack_take(&w, NULL, &none), 204);
	flh_action_release(&none);
	audit = api_audit_wait(api_srv(), "flowName=aud_spoof_real", 1, NULL, NULL, FLH_WAIT_MS);
	FLH_EQ_STR(flh_json_str(audit, "flows.0.actions.r.trigger.pack.name"), "AudSrc");
	FLH_ASSERT(flh_json_get(audit, "flows.0.actions.r.trigger.pack.labels.a") == NULL);
	json_decref(audit);
	audit = api_audit_wait(api_srv(), "flowName=aud_spoof_evil", 0, NULL, NULL, FLH_WAIT_MS);
	FLH_EQ_INT(json_array_size(json_object_get(audit, "flows")), 0);
	json_decref(audit);
	flh_action_release(&a);
	flh_pack_release(&w);
}

static const char VFLOW[] =
	"{\"name\":\"%s\",\"steps\":["
	"{\"id\":\"s1\",\"event\":{\"packName\":\"AudSrc\",\"name\":\"%s\"},"
	"\"command\":{\"packName\":\"%s\",\"name\":\"Step1\",\"input\":\"s1\"}},"
	"{\"id\":\"s2\",\"dependsOn\":[\"s1\"],\"event\":{\"packName\":\"%s\",\"name\":\"Done\"},"
	"\"command\":{\"packName\":\"%s\",\"name\":\"Step2\",\"input\":\"%s\"}}]}";

static long post_vflow(const char *name, const char *ev, const char *pack, const char *version)
{
	char flow[1024];
	snprintf(flow, sizeof(flow), VFLOW, name, ev, pack, pack, pack, version);
	return api_post_flow(api_srv(), flow);
}

FLT_TEST(flow_replaced_mid_execution_uses_old_definition)
{
	struct flh_pack w;
	struct flh_action a1, a2, b1, b2;
	struct flh_resp *r;
	json_t *audit, *ex_old = NULL, *ex_new = NULL;
	size_t i;
	json_t *ex;

	setup();
	FLH_EQ_INT(flh_pack_register(&w, api_srv(), "{\"name\":\"AudV\"}"), 201);
	FLH_EQ_INT(post_vflow("aud_v", "EvV", "AudV", "v1"), 201);
	FLH_EQ_INT(flh_pack_event(&g_src, "EvV", NULL), 202);
	FLH_EQ_INT(flh_pack_take_wait(&w, NULL, &a1, FLH_WAIT_MS), 200);
	FLH_EQ_STR(a1.command, "Step1");

	/* Replace the flow while the execution waits for Step1's result. */
	FLH_EQ_INT(post_vflow("aud_v", "EvV", "AudV", "v2"), 201);
	FLH_EQ_INT(flh_action_result(api_srv(), &a1, "Done", NULL), 202);
	FLH_EQ_INT(flh_pack_take_wait(&w, NULL, &a2, FLH_WAIT_MS), 200);
	FLH_EQ_STR(a2.command, "Step2");
	FLH_EQ_STR(json_string_value(a2.input), "v1");

	/* A new execution uses the new version. */
	FLH_EQ_INT(flh_pack_event(&g_src, "EvV", NULL), 202);
	FLH_EQ_INT(flh_pack_take_wait(&w, NULL, &b1, FLH_WAIT_MS), 200);
	FLH_EQ_STR(b1.command, "Step1");
	FLH_EQ_INT(flh_action_result(api_srv(), &b1, "Done", NULL), 202);
	FLH_EQ_INT(flh_pack_take_wait(&w, NULL, &b2, FLH_WAIT_MS), 200);
	FLH_EQ_STR(b2.command, "Step2");
	FLH_EQ_STR(json_string_value(b2.input), "v2");

	r = flh_get(api_srv(), "/v1/flows/aud_v");
	FLH_STATUS(r, 200);
	FLH_EQ_STR(flh_json_str(flh_resp_json(r), "steps.1.command.input"), "v2");
	flh_resp_free(r);

	/* The audit shows each execution with the steps of its own version. */
	audit = api_audit_wait(api_srv(), "flowName=aud_v", 2, NULL, NULL, FLH_WAIT_MS);
	FLH_EQ_INT(json_array_size(json_object_get(audit, "flows")), 2);
	json_array_foreach(json_object_get(audit, "flows"), i, ex) {
		const char *in = flh_json_str(ex, "actions.s2.input");
		if (in && strcmp(in, "v1") == 0)
			ex_old = ex;
		else if (in && strcmp(in, "v2") == 0)
			ex_new = ex;
	}
	FLH_ASSERT_MSG(ex_old && ex_new, "expected one execution per version");
	FLH_EQ_STR(flh_json_str(ex_old, "steps.1.command.input"), "v1");
	FLH_EQ_STR(flh_json_str(ex_new, "steps.1.command.input"), "v2");
	FLH_ASSERT(strcmp(flh_json_str(ex_old, "uuid"), flh_json_str(ex_new, "uuid")) != 0);
	FLH_EQ_STR(flh_json_str(ex_old, "actions.s1.flowUUID"), flh_json_str(ex_old, "uuid"));
	FLH_EQ_STR(flh_json_str(ex_old, "actions.s2.flowUUID"), flh_json_str(ex_old, "uuid"));
	json_decref(audit);
	flh_action_release(&a1);
	flh_action_release(&a2);
	flh_action_release(&b1);
	flh_action_release(&b2);
	flh_pack_release(&w);
}

FLT_TEST(flow_deleted_mid_execution_continues)
{
	struct flh_pack w;
	struct flh_action a1, a2;
	struct flh_resp *r;
	json_t *audit;
	char cid[32];

	setup();
	FLH_EQ_INT(flh_pack_register(&w, api_srv(), "{\"name\":\"AudD\"}"), 201);
	FLH_EQ_INT(post_vflow("aud_d", "EvD", "AudD", "only"), 201);
	FLH_EQ_INT(flh_pack_event(&g_src, "EvD", NULL), 202);
	FLH_EQ_INT(flh_pack_take_wait(&w, NULL, &a1, FLH_WAIT_MS), 200);
	audit = api_audit_wait(api_srv(), "flowName=aud_d", 1, NULL, NULL, FLH_WAIT_MS);
	copy_cid(cid, audit, 0);
	json_decref(audit);

	r = flh_delete(api_srv(), "/v1/flows/aud_d");
	FLH_STATUS(r, 204);
	flh_resp_free(r);
	FLH_EQ_INT(flh_action_result(api_srv(), &a1, "Done", NULL), 202);
	FLH_EQ_INT(flh_pack_take_wait(&w, NULL, &a2, FLH_WAIT_MS), 200);
	FLH_EQ_STR(a2.command, "Step2");
	FLH_EQ_STR(json_string_value(a2.input), "only");

	r = flh_get(api_srv(), flh_path("/v1/audit/flows/%s", cid));
	FLH_STATUS(r, 200);
	FLH_EQ_INT(json_array_size(json_object_get(flh_resp_json(r), "steps")), 2);
	FLH_EQ_INT(json_object_size(json_object_get(flh_resp_json(r), "actions")), 2);
	flh_resp_free(r);
	flh_action_release(&a1);
	flh_action_release(&a2);
	flh_pack_release(&w);
}

FLT_MAIN(empty_audit_is_empty_array, list_newest_first, filters, paging_start_and_limit, bad_paging_is_400,
	 unknown_correlation_id_is_404, execution_shape, take_result_states_and_reordering,
	 fatal_result_marks_action_fatal, event_body_cannot_spoof_pack, flow_replaced_mid_execution_uses_old_definition,
	 flow_deleted_mid_execution_continues)
