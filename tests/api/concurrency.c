/* SPDX-License-Identifier: Apache-2.0 */
/*
 * concurrency.c - many clients at once against one server.
 *
 * Concurrent takers never receive the same action twice and together
 * receive all of them; events posted from several threads all produce
 * their action exactly once; of several results posted at the same time
 * for one action exactly one is accepted (202) and the others are
 * conflicts (409, the original answered 500); concurrent registrations of
 * one pack and concurrent posts of one flow leave a single, whole record.
 */
#include "fl-common.h"

#include "api-util.h"
#include "fltest.h"
#include "harness.h"

#include <pthread.h>

#define THREADS 8

static void flow_to(const char *name, const char *src, const char *dst)
{
	char flow[512];
	snprintf(flow, sizeof(flow),
		 "{\"name\":\"%s\",\"steps\":[{\"id\":\"s\",\"event\":{\"packName\":\"%s\",\"name\":\"Go\"},"
		 "\"command\":{\"packName\":\"%s\",\"name\":\"Job\",\"input\":\"{{ Event.Payload.i }}\"}}]}",
		 name, src, dst);
	FLH_EQ_INT(api_post_flow(api_srv(), flow), 201);
}

/* ---- takers ------------------------------------------------------------- */

#define TAKE_ACTIONS 120

struct taker {
	pthread_t th;
	struct flh_pack *pack;
	int got[TAKE_ACTIONS * 2];
	int ngot;
	int errors;
};

static void *taker_main(void *arg)
{
	struct taker *t = arg;
	int empty = 0;
	while (empty < 2 && t->ngot < (int)FL_ARRAY_LEN(t->got)) {
		struct flh_action a;
		long st = flh_pack_take(t->pack, NULL, &a);
		if (st == 200) {
			const char *in = json_string_value(a.input);
			t->got[t->ngot++] = in ? (int)strtol(in, NULL, 10) : -1;
			empty = 0;
		} else if (st == 204) {
			empty++;
		} else {
			t->errors++;
			empty++;
		}
		flh_action_release(&a);
	}
	return NULL;
}

FLT_TEST(concurrent_takers_never_share_an_action)
{
	struct flh_pack src, worker;
	struct taker *t = calloc(THREADS, sizeof(*t));
	int seen[TAKE_ACTIONS] = { 0 };
	int total = 0, dup = 0, errors = 0;
	json_t *audit;

	FLH_ASSERT(t != NULL);
	FLH_EQ_INT(flh_pack_register(&src, api_srv(), "{\"name\":\"CcSrc\"}"), 201);
	FLH_EQ_INT(flh_pack_register(&worker, api_srv(), "{\"name\":\"CcWorker\"}"), 201);
	flow_to("cc_take", "CcSrc", "CcWorker");
	for (int i = 0; i < TAKE_ACTIONS; i++) {
		char payload[32];
		snprintf(payload, sizeof(payload), "{\"i\":\"%d\"}", i);
		FLH_EQ_INT(flh_pack_event(&src, "Go", payload), 202);
	}
	audit = api_audit_wait(api_srv(), "flowName=cc_take&limit=1000", TAKE_ACTIONS, NULL, NULL, FLH_WAIT_MS);
	FLH_EQ_INT(json_array_size(json_object_get(audit, "flows")), TAKE_ACTIONS);
	json_decref(audit);

	for (int i = 0; i < THREADS; i++) {
		t[i].pack = &worker;
		FLH_ASSERT(pthread_create(&t[i].th, NULL, taker_main, &t[i]) == 0);
	}
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i].th, NULL);
	for (int i = 0; i < THREADS; i++) {
		errors += t[i].errors;
		for (int k = 0; k < t[i].ngot; k++) {
			int id = t[i].got[k];
			total++;
			if (id < 0 || id >= TAKE_ACTIONS)
				continue;
			if (seen[id]++)
				dup++;
		}
	}
	free(t);
	FLH_ASSERT_MSG(errors == 0, "%d takes failed (neither 200 nor 204)", errors);
	FLH_ASSERT_MSG(dup == 0, "%d actions were handed out twice", dup);
	FLH_EQ_INT(total, TAKE_ACTIONS);
	flh_pack_release(&src);
	flh_pack_release(&worker);
}

/* ---- posters ------------------------------------------------------------ */

#define EVENTS_PER_THREAD 40

struct poster {
	pthread_t th;
	struct flh_pack *src;
	int base;
	int failed;
};

static void *poster_main(void *arg)
{
	struct poster *p = arg;
	for (int i = 0; i < EVENTS_PER_THREAD; i++) {
		char payload[32];
		snprintf(payload, sizeof(payload), "{\"i\":\"%d\"}", p->base + i);
		if (flh_pack_event(p->src, "Go", payload) != 202)
			p->failed++;
	}
	return NULL;
}

FLT_TEST(concurrent_events_each_produce_one_action)
{
	enum { N = THREADS * EVENTS_PER_THREAD };
	struct flh_pack src;
	struct poster p[THREADS];
	int seen[N] = { 0 };
	int failed = 0;
	size_t i;
	json_t *audit, *ex;

	FLH_EQ_INT(flh_pack_register(&src, api_srv(), "{\"name\":\"CcSrc2\"}"), 201);
	flow_to("cc_events", "CcSrc2", "CcSink2");
	for (int t = 0; t < THREADS; t++) {
		p[t] = (struct poster){ .src = &src, .base = t * EVENTS_PER_THREAD };
		FLH_ASSERT(pthread_create(&p[t].th, NULL, poster_main, &p[t]) == 0);
	}
	for (int t = 0; t < THREADS; t++) {
		pthread_join(p[t].th, NULL);
		failed += p[t].failed;
	}
	FLH_EQ_INT(failed, 0);
	audit = api_audit_wait(api_srv(), "flowName=cc_events&limit=1000", N, NULL, NULL, FLH_WAIT_MS);
	FLH_EQ_INT(json_array_size(json_object_get(audit, "flows")), N);
	json_array_foreach(json_object_get(audit, "flows"), i, ex) {
		const char *in = flh_json_str(ex, "actions.s.input");
		long id = in ? strtol(in, NULL, 10) : -1;
		FLH_ASSERT_MSG(id >= 0 && id < N, "unexpected input %s", in ? in : "(none)");
		seen[id]++;
	}
	for (int k = 0; k < N; k++)
		FLH_ASSERT_MSG(seen[k] == 1, "event %d produced %d actions", k, seen[k]);
	json_decref(audit);
	flh_pack_release(&src);
}

/* ---- racing results ------------------------------------------------------ */

struct resulter {
	pthread_t th;
	struct flh_server *srv;
	const struct flh_action *a;
	pthread_barrier_t *go;
	int n; /* payload {"n": n}: different results, or all alike when equal */
	long status;
};

static void *resulter_main(void *arg)
{
	struct resulter *r = arg;
	struct flh_resp *resp;
	char body[64];

	snprintf(body, sizeof(body), "{\"event\":\"Done\",\"payload\":{\"n\":%d}}", r->n);
	pthread_barrier_wait(r->go);
	resp = flh_post_json(r->srv, r->a->result_href, body);
	r->status = resp->status;
	flh_resp_free(resp);
	return NULL;
}

/* THREADS results for one action at once: different ones (one accepted) or the same (all 202, applied once). */
static void race_results(const char *tag, bool same)
{
	struct flh_pack src, worker;
	struct flh_action a;
	struct resulter r[THREADS];
	pthread_barrier_t go;
	int accepted = 0, conflicts = 0;
	json_t *audit;
	char name[64], flow[64], query[96];

	snprintf(name, sizeof(name), "CcSrc%s", tag);
	FLH_EQ_INT(flh_pack_register(&src, api_srv(), flh_path("{\"name\":\"%s\"}", name)), 201);
	snprintf(name, sizeof(name), "CcWorker%s", tag);
	FLH_EQ_INT(flh_pack_register(&worker, api_srv(), flh_path("{\"name\":\"%s\"}", name)), 201);
	snprintf(flow, sizeof(flow), "cc_results%s", tag);
	flow_to(flow, src.id, worker.id);
	FLH_EQ_INT(flh_pack_event(&src, "Go", "{\"i\":\"1\"}"), 202);
	FLH_EQ_INT(flh_pack_take_wait(&worker, NULL, &a, FLH_WAIT_MS), 200);
	pthread_barrier_init(&go, NULL, THREADS);
	for (int t = 0; t < THREADS; t++) {
		r[t] = (struct resulter){ .srv = api_srv(), .a = &a, .go = &go, .n = same ? 0 : t };
		FLH_ASSERT(pthread_create(&r[t].th, NULL, resulter_main, &r[t]) == 0);
	}
	for (int t = 0; t < THREADS; t++) {
		pthread_join(r[t].th, NULL);
		if (r[t].status == 202)
			accepted++;
		else if (r[t].status == 409)
			conflicts++;
		else
			printf("# result %d answered %ld\n", t, r[t].status);
	}
	pthread_barrier_destroy(&go);
	FLH_EQ_INT(accepted, same ? THREADS : 1);
	FLH_EQ_INT(conflicts, same ? 0 : THREADS - 1);
	snprintf(query, sizeof(query), "flowName=%s", flow);
	audit = api_audit_wait(api_srv(), query, 1, NULL, NULL, FLH_WAIT_MS);
	FLH_EQ_STR(flh_json_str(audit, "flows.0.actions.s.state.value"), "SUCCESS");
	/* completed once: NEW, PENDING, SUCCESS */
	FLH_EQ_INT(json_array_size(flh_json_get(audit, "flows.0.actions.s.states")), 3);
	/* the refused ones are in the audit */
	FLH_EQ_INT(json_array_size(flh_json_get(audit, "flows.0.actions.s.refusedResults")), same ? 0 : THREADS - 1);
	json_decref(audit);
	flh_action_release(&a);
	flh_pack_release(&src);
	flh_pack_release(&worker);
}

FLT_TEST(racing_results_exactly_one_accepted)
{
	race_results("3", false);
}

FLT_TEST(repeated_result_is_applied_once)
{
	race_results("4", true);
}

/* ---- racing writes of one record ------------------------------------------- */

struct writer {
	pthread_t th;
	struct flh_server *srv;
	const char *path;
	char body[512];
	long status;
};

static void *writer_main(void *arg)
{
	struct writer *w = arg;
	struct flh_resp *r = flh_post_json(w->srv, w->path, w->body);
	w->status = r->status;
	flh_resp_free(r);
	return NULL;
}

FLT_TEST(racing_registrations_and_flow_posts)
{
	struct writer w[THREADS];
	struct flh_resp *r;
	const char *cmd, *input;
	char want[64];

	for (int t = 0; t < THREADS; t++) {
		w[t] = (struct writer){ .srv = api_srv(), .path = "/v1/packs" };
		snprintf(w[t].body, sizeof(w[t].body),
			 "{\"name\":\"CcRace\",\"labels\":{\"env\":\"x\"},\"commands\":[{\"name\":\"Cmd%d\",\"events\":[\"E%d\"]}]}",
			 t, t);
		FLH_ASSERT(pthread_create(&w[t].th, NULL, writer_main, &w[t]) == 0);
	}
	for (int t = 0; t < THREADS; t++) {
		pthread_join(w[t].th, NULL);
		FLH_EQ_INT(w[t].status, 201);
	}
	r = flh_get(api_srv(), "/v1/packs/CcRace.env.x");
	FLH_STATUS(r, 200);
	FLH_EQ_INT(json_array_size(json_object_get(flh_resp_json(r), "commands")), 1);
	cmd = flh_json_str(flh_resp_json(r), "commands.0.name");
	FLH_ASSERT(cmd && strncmp(cmd, "Cmd", 3) == 0);
	/* The command and its event come from the same registration. */
	snprintf(want, sizeof(want), "E%s", cmd + 3);
	FLH_EQ_STR(flh_json_str(flh_resp_json(r), "commands.0.events.0"), want);
	flh_resp_free(r);

	for (int t = 0; t < THREADS; t++) {
		w[t] = (struct writer){ .srv = api_srv(), .path = "/v1/flows" };
		snprintf(w[t].body, sizeof(w[t].body),
			 "{\"name\":\"cc_race\",\"description\":\"d%d\",\"steps\":[{\"id\":\"s\",\"event\":{\"packName\":\"P\","
			 "\"name\":\"E\"},\"command\":{\"packName\":\"P\",\"name\":\"C\",\"input\":\"d%d\"}}]}",
			 t, t);
		FLH_ASSERT(pthread_create(&w[t].th, NULL, writer_main, &w[t]) == 0);
	}
	for (int t = 0; t < THREADS; t++) {
		pthread_join(w[t].th, NULL);
		FLH_EQ_INT(w[t].status, 201);
	}
	r = flh_get(api_srv(), "/v1/flows/cc_race");
	FLH_STATUS(r, 200);
	input = flh_json_str(flh_resp_json(r), "steps.0.command.input");
	FLH_EQ_STR(flh_json_str(flh_resp_json(r), "description"), input);
	flh_resp_free(r);
	r = flh_get(api_srv(), "/v1/flows");
	{
		size_t i, same = 0;
		json_t *f;
		json_array_foreach(json_object_get(flh_resp_json(r), "flows"), i, f)
			same += strcmp(json_string_value(json_object_get(f, "name")), "cc_race") == 0;
		FLH_EQ_INT(same, 1);
	}
	flh_resp_free(r);
}

FLT_MAIN(concurrent_takers_never_share_an_action, concurrent_events_each_produce_one_action,
	 racing_results_exactly_one_accepted, repeated_result_is_applied_once, racing_registrations_and_flow_posts)
