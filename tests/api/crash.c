/* SPDX-License-Identifier: Apache-2.0 */
/*
 * crash.c - durability of acknowledged work across kill -9 (reliability
 * plan §1.5, §4.2).
 *
 * Events that were answered 202 must, after the server is killed with
 * SIGKILL and restarted on the same database, have produced their actions:
 * none lost, none duplicated.  This is checked once with events posted one
 * after the other (kill right after the last 202) and once with several
 * threads posting while the kill happens, three times in a row (only the
 * acknowledged events are required).  Results, pack registrations, flows,
 * datastore items and deletions that were acknowledged also survive a
 * kill -9.  A taken action can still be completed after a crash, state
 * survives a clean restart, and a second server on the same database file
 * is refused with a clear message and a non-zero exit status.
 */
#include "fl-common.h"

#include "api-util.h"
#include "fltest.h"
#include "harness.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <strings.h>
#include <sys/wait.h>

#define SEQ_EVENTS 40
#define THREADS 4
#define MAX_IDS 100000
#define KILL_CYCLES 3

static const char FLOW[] = "{\"name\":\"cr_flow\",\"steps\":[{\"id\":\"s\","
			   "\"event\":{\"packName\":\"CrSrc\",\"name\":\"Go\"},"
			   "\"command\":{\"packName\":\"CrWorker\",\"name\":\"Job\",\"input\":\"{{ Event.Payload.i }}\"}}]}";

static struct flh_server *start(void)
{
	struct flh_server *s = api_start(300, NULL);
	FLH_ASSERT_MSG(s, "the server did not start");
	return s;
}

static void setup(struct flh_server *s, struct flh_pack *src, struct flh_pack *worker)
{
	FLH_EQ_INT(flh_pack_register(src, s, "{\"name\":\"CrSrc\"}"), 201);
	FLH_EQ_INT(flh_pack_register(worker, s, "{\"name\":\"CrWorker\",\"commands\":[{\"name\":\"Job\"}]}"), 201);
	FLH_EQ_INT(api_post_flow(s, FLOW), 201);
}

/*
 * Take every action available to `worker` until all ids marked in `want`
 * were seen and one more take answers 204, or the deadline passes.  Counts
 * how often each id was handed out into `seen` (MAX_IDS entries).
 */
static void take_all(struct flh_pack *worker, const bool *want, unsigned *seen, size_t nwant)
{
	int64_t dl = flh_deadline(90000);
	size_t found = 0;
	for (;;) {
		struct flh_action a;
		long st = flh_pack_take(worker, NULL, &a);
		if (st == 200) {
			const char *in = json_string_value(a.input);
			char *end = NULL;
			long id = in ? strtol(in, &end, 10) : -1;
			if (!in || *end || id < 0 || id >= MAX_IDS) {
				printf("# unexpected action input %s\n", in ? in : "(not a string)");
			} else {
				if (want[id] && seen[id] == 0)
					found++;
				seen[id]++;
			}
			flh_action_result(worker->srv, &a, "Done", NULL);
			flh_action_release(&a);
			continue;
		}
		flh_action_release(&a);
		if (st != 204)
			printf("# take answered %ld\n", st);
		if ((found >= nwant && st == 204) || flh_expired(dl))
			break;
	}
}

static void check_all_once(const bool *want, const unsigned *seen)
{
	size_t lost = 0, dup = 0;
	for (size_t i = 0; i < MAX_IDS; i++) {
		if (want[i] && seen[i] == 0) {
			if (lost < 10)
				printf("# acknowledged event %zu has no action\n", i);
			lost++;
		}
		if (seen[i] > 1) {
			if (dup < 10)
				printf("# event %zu produced %u actions\n", i, seen[i]);
			dup++;
		}
	}
	FLH_ASSERT_MSG(lost == 0, "%zu acknowledged events lost", lost);
	FLH_ASSERT_MSG(dup == 0, "%zu events produced duplicate actions", dup);
}

/* Restart and re-register the packs (links may name a new port). */
static void restart(struct flh_server *s, struct flh_pack *src, struct flh_pack *worker)
{
	FLH_ASSERT_MSG(flh_server_restart(s) == 0, "the server did not come back after the crash");
	flh_pack_release(src);
	flh_pack_release(worker);
	FLH_EQ_INT(flh_pack_register(src, s, "{\"name\":\"CrSrc\"}"), 201);
	FLH_EQ_INT(flh_pack_register(worker, s, "{\"name\":\"CrWorker\",\"commands\":[{\"name\":\"Job\"}]}"), 201);
}

FLT_TEST(acknowledged_events_survive_kill9)
{
	struct flh_server *s = start();
	struct flh_pack src, worker;
	bool *want = calloc(MAX_IDS, sizeof(bool));
	unsigned *seen = calloc(MAX_IDS, sizeof(unsigned));
	json_t *audit;

	FLH_ASSERT(want && seen);
	setup(s, &src, &worker);
	for (int i = 0; i < SEQ_EVENTS; i++) {
		char payload[64];
		snprintf(payload, sizeof(payload), "{\"i\":\"%d\"}", i);
		FLH_EQ_INT(flh_pack_event(&src, "Go", payload), 202);
		want[i] = true;
	}
	FLH_EQ_INT(flh_server_kill(s), 0);
	restart(s, &src, &worker);

	audit = api_audit_wait(s, "flowName=cr_flow&limit=1000", SEQ_EVENTS, NULL, NULL, FLH_WAIT_MS);
	FLH_ASSERT(audit != NULL);
	FLH_EQ_INT(json_array_size(json_object_get(audit, "flows")), SEQ_EVENTS);
	json_decref(audit);

	take_all(&worker, want, seen, SEQ_EVENTS);
	check_all_once(want, seen);
	free(want);
	free(seen);
	flh_pack_release(&src);
	flh_pack_release(&worker);
	flh_server_free(s);
}

struct poster {
	pthread_t th;
	struct flh_pack *src;
	int base;
	int acked[4096];
	int nacked;
	atomic_int *stop;
	atomic_int *total;
};

static void *poster_main(void *arg)
{
	struct poster *p = arg;
	for (int seq = 0; seq < (int)FL_ARRAY_LEN(p->acked) && !atomic_load(p->stop); seq++) {
		char payload[64];
		long st;
		snprintf(payload, sizeof(payload), "{\"i\":\"%d\"}", p->base + seq);
		st = flh_pack_event(p->src, "Go", payload);
		if (st != 202)
			break; /* the server is gone */
		p->acked[p->nacked++] = p->base + seq;
		atomic_fetch_add(p->total, 1);
	}
	return NULL;
}

FLT_TEST(concurrent_posts_killed_midway)
{
	struct flh_server *s = start();
	struct flh_pack src, worker;
	struct poster *ps = calloc(THREADS, sizeof(*ps));
	bool *want = calloc(MAX_IDS, sizeof(bool));
	unsigned *seen = calloc(MAX_IDS, sizeof(unsigned));
	atomic_int stop, total;
	size_t nwant = 0;
	bool enough;

	FLH_ASSERT(ps && want && seen);
	setup(s, &src, &worker);
	for (int cycle = 0; cycle < KILL_CYCLES; cycle++) {
		size_t before = nwant;
		atomic_init(&stop, 0);
		atomic_init(&total, 0);
		memset(ps, 0, THREADS * sizeof(*ps));
		for (int t = 0; t < THREADS; t++) {
			ps[t].src = &src;
			ps[t].base = cycle * THREADS * 5000 + t * 5000;
			ps[t].stop = &stop;
			ps[t].total = &total;
			FLH_ASSERT(pthread_create(&ps[t].th, NULL, poster_main, &ps[t]) == 0);
		}
		FLH_WAIT_FOR(enough, 60000, atomic_load(&total) >= 60);
		/* Kill while requests are in flight. */
		flh_server_kill(s);
		atomic_store(&stop, 1);
		for (int t = 0; t < THREADS; t++)
			pthread_join(ps[t].th, NULL);
		FLH_ASSERT_MSG(enough, "only %d events were acknowledged before the deadline", atomic_load(&total));
		for (int t = 0; t < THREADS; t++) {
			for (int i = 0; i < ps[t].nacked; i++)
				want[ps[t].acked[i]] = true;
			nwant += (size_t)ps[t].nacked;
		}
		printf("# cycle %d: %zu events acknowledged before the kill\n", cycle, nwant - before);
		restart(s, &src, &worker);
	}
	take_all(&worker, want, seen, nwant);
	check_all_once(want, seen);
	free(ps);
	free(want);
	free(seen);
	flh_pack_release(&src);
	flh_pack_release(&worker);
	flh_server_free(s);
}

struct resulter {
	pthread_t th;
	struct flh_server *srv;
	struct flh_action *acts;
	size_t from, to;
	bool *acked; /* by action index */
	atomic_int *total;
};

static void *resulter_main(void *arg)
{
	struct resulter *r = arg;
	for (size_t i = r->from; i < r->to; i++) {
		if (flh_action_result(r->srv, &r->acts[i], "Done", "{\"r\":1}") != 202)
			break;
		r->acked[i] = true;
		atomic_fetch_add(r->total, 1);
	}
	return NULL;
}

FLT_TEST(acknowledged_results_survive_kill9)
{
	enum { N = 30, RT = 3 };
	struct flh_server *s = start();
	struct flh_pack src, worker;
	struct flh_action *acts = calloc(N, sizeof(*acts));
	bool acked[N] = { false };
	struct resulter rs[RT];
	atomic_int total;
	json_t *audit, *ex;
	size_t i, nacked = 0, checked = 0;
	bool some;

	FLH_ASSERT(acts != NULL);
	setup(s, &src, &worker);
	for (i = 0; i < N; i++) {
		char payload[64];
		snprintf(payload, sizeof(payload), "{\"i\":\"%zu\"}", i);
		FLH_EQ_INT(flh_pack_event(&src, "Go", payload), 202);
	}
	for (i = 0; i < N; i++)
		FLH_EQ_INT(flh_pack_take_wait(&worker, NULL, &acts[i], FLH_WAIT_MS), 200);
	atomic_init(&total, 0);
	for (int t = 0; t < RT; t++) {
		rs[t] = (struct resulter){ .srv = s, .acts = acts, .from = (size_t)t * N / RT,
					   .to = (size_t)(t + 1) * N / RT, .acked = acked, .total = &total };
		FLH_ASSERT(pthread_create(&rs[t].th, NULL, resulter_main, &rs[t]) == 0);
	}
	FLH_WAIT_FOR(some, 60000, atomic_load(&total) >= N / 2);
	flh_server_kill(s);
	for (int t = 0; t < RT; t++)
		pthread_join(rs[t].th, NULL);
	FLH_ASSERT(some);
	restart(s, &src, &worker);

	audit = api_audit_wait(s, "flowName=cr_flow&limit=1000", N, NULL, NULL, FLH_WAIT_MS);
	FLH_EQ_INT(json_array_size(json_object_get(audit, "flows")), N);
	json_array_foreach(json_object_get(audit, "flows"), i, ex) {
		const char *in = flh_json_str(ex, "actions.s.input");
		const char *st = flh_json_str(ex, "actions.s.state.value");
		long idx = in ? strtol(in, NULL, 10) : -1;
		FLH_ASSERT_MSG(idx >= 0 && idx < N, "unexpected action input %s", in ? in : "(none)");
		if (acked[idx]) {
			nacked++;
			FLH_ASSERT_MSG(st && strcmp(st, "SUCCESS") == 0,
				       "action %ld: result acknowledged before the kill, state now %s", idx,
				       st ? st : "(none)");
			FLH_EQ_STR(flh_json_str(ex, "actions.s.result.event"), "Done");
		}
		checked++;
	}
	printf("# %zu results acknowledged before the kill\n", nacked);
	FLH_EQ_INT(checked, N);
	json_decref(audit);
	for (i = 0; i < N; i++)
		flh_action_release(&acts[i]);
	free(acts);
	flh_pack_release(&src);
	flh_pack_release(&worker);
	flh_server_free(s);
}

FLT_TEST(acknowledged_writes_survive_kill9)
{
	struct flh_server *s = start();
	struct flh_resp *r;
	FLH_EQ_INT(api_post_flow(s, "{\"name\":\"cr_gone\",\"steps\":[]}"), 201);
	FLH_EQ_INT(api_post_status(s, "/v1/packs", "application/json",
				   "{\"name\":\"CrKeep\",\"labels\":{\"env\":\"x\"},\"commands\":[{\"name\":\"C\"}]}"),
		   201);
	FLH_EQ_INT(api_post_flow(s, FLOW), 201);
	FLH_EQ_INT(api_put_item(s, "cr-keep", "durable", 7, "text/plain", "kept", NULL), 201);
	r = flh_delete(s, "/v1/flows/cr_gone");
	FLH_STATUS(r, 204);
	flh_resp_free(r);
	FLH_EQ_INT(flh_server_kill(s), 0);
	FLH_ASSERT_MSG(flh_server_restart(s) == 0, "the server did not come back after the crash");

	r = flh_get(s, "/v1/packs/CrKeep.env.x");
	FLH_STATUS(r, 200);
	FLH_EQ_STR(flh_json_str(flh_resp_json(r), "commands.0.name"), "C");
	flh_resp_free(r);
	r = flh_get(s, "/v1/flows/cr_flow");
	FLH_STATUS(r, 200);
	flh_resp_free(r);
	r = flh_get(s, "/v1/flows/cr_gone");
	FLH_ERROR(r, 404);
	flh_resp_free(r);
	r = flh_get(s, "/v1/datastore/cr-keep");
	FLH_STATUS(r, 200);
	FLH_EQ_INT(r->body_len, 7);
	FLH_ASSERT(memcmp(r->body, "durable", 7) == 0);
	flh_resp_free(r);
	flh_server_free(s);
}

FLT_TEST(taken_action_can_be_completed_after_kill9)
{
	struct flh_server *s = start();
	struct flh_pack src, worker;
	struct flh_action a;
	json_t *audit;
	char *path;
	const char *p;

	setup(s, &src, &worker);
	FLH_EQ_INT(flh_pack_event(&src, "Go", "{\"i\":\"7\"}"), 202);
	FLH_EQ_INT(flh_pack_take_wait(&worker, NULL, &a, FLH_WAIT_MS), 200);
	FLH_EQ_INT(flh_server_kill(s), 0);
	restart(s, &src, &worker);

	/* Post the result to the same path on the (possibly new) address. */
	p = strstr(a.result_href, "/v1/");
	FLH_ASSERT(p != NULL);
	path = strdup(p);
	FLH_ASSERT(path != NULL);
	{
		struct flh_resp *r = flh_post_json(s, path, "{\"event\":\"Done\",\"payload\":{\"ok\":true}}");
		free(path);
		FLH_STATUS(r, 202);
		flh_resp_free(r);
	}
	audit = api_audit_wait(s, "flowName=cr_flow", 1, NULL, NULL, FLH_WAIT_MS);
	FLH_EQ_STR(flh_json_str(audit, "flows.0.actions.s.state.value"), "SUCCESS");
	FLH_EQ_STR(flh_json_str(audit, "flows.0.actions.s.states.1.value"), "PENDING");
	json_decref(audit);
	flh_action_release(&a);
	flh_pack_release(&src);
	flh_pack_release(&worker);
	flh_server_free(s);
}

FLT_TEST(state_survives_clean_restart)
{
	struct flh_server *s = start();
	struct flh_pack src, worker;
	struct flh_action a;
	struct flh_resp *r;
	int st = 0;
	char sbuf[32];

	setup(s, &src, &worker);
	FLH_EQ_INT(api_put_item(s, "kept", "value", 5, "text/plain", "d", NULL), 201);
	FLH_EQ_INT(flh_pack_event(&src, "Go", "{\"i\":\"11\"}"), 202);
	/* Wait until the action exists, then stop cleanly. */
	{
		json_t *audit = api_audit_wait(s, "flowName=cr_flow", 1, NULL, NULL, FLH_WAIT_MS);
		FLH_EQ_INT(json_array_size(json_object_get(audit, "flows")), 1);
		json_decref(audit);
	}
	FLH_EQ_INT(flh_server_stop(s, 30000, &st), 0);
	FLH_ASSERT_MSG(WIFEXITED(st) && WEXITSTATUS(st) == 0, "SIGTERM: %s", flh_status_str(st, sbuf, sizeof(sbuf)));
	restart(s, &src, &worker);

	r = flh_get(s, "/v1/packs/CrSrc");
	FLH_STATUS(r, 200);
	flh_resp_free(r);
	r = flh_get(s, "/v1/flows/cr_flow");
	FLH_STATUS(r, 200);
	flh_resp_free(r);
	r = flh_get(s, "/v1/datastore/kept");
	FLH_STATUS(r, 200);
	FLH_EQ_INT(r->body_len, 5);
	flh_resp_free(r);
	FLH_EQ_INT(flh_pack_take_wait(&worker, NULL, &a, FLH_WAIT_MS), 200);
	FLH_EQ_STR(json_string_value(a.input), "11");
	flh_action_release(&a);
	flh_pack_release(&src);
	flh_pack_release(&worker);
	flh_server_free(s);
}

/* On PostgreSQL several servers share one database: the second serves what the first stored. */
static void second_server_shares_the_database(struct flh_server *s)
{
	char url[1200];
	const char *env[] = { url, NULL };
	struct flh_server_opts o = { .env = env };
	struct flh_server *s2 = NULL;
	struct flh_resp *r;

	snprintf(url, sizeof(url), "FLYTE_DB_URL=%s", flh_server_db_url(s));
	FLH_EQ_INT(api_post_json(s, "/v1/packs", "{\"name\":\"FirstServer\"}"), 201);
	FLH_ASSERT_MSG(flh_server_start(&s2, &o) == 0, "a second server on the same PostgreSQL database did not start");
	r = flh_get(s2, "/v1/packs/FirstServer");
	FLH_STATUS(r, 200);
	flh_resp_free(r);
	FLH_EQ_INT(api_post_json(s2, "/v1/packs", "{\"name\":\"SecondServer\"}"), 201);
	r = flh_get(s, "/v1/packs/SecondServer");
	FLH_STATUS(r, 200);
	flh_resp_free(r);
	FLH_ASSERT(api_alive(s));
	flh_server_free(s2);
	flh_server_free(s);
}

/* SQLite: one server per database file; PostgreSQL: any number (see above). */
FLT_TEST(second_server_on_same_db)
{
	struct flh_server *s = start();
	struct flh_run_opts o = { .like = s, .timeout_ms = 30000 };
	struct flh_run_result rr;
	char sbuf[32];
	bool clear;

	if (flh_store_is_pg()) {
		second_server_shares_the_database(s);
		return;
	}

	FLH_EQ_INT(api_post_json(s, "/v1/packs", "{\"name\":\"FirstServer\"}"), 201);
	FLH_EQ_INT(flh_run(&o, &rr), 0);
	printf("# second server: %s\n", flh_status_str(rr.wstatus, sbuf, sizeof(sbuf)));
	FLH_ASSERT_MSG(!rr.timed_out, "the second server kept running on the same database");
	FLH_ASSERT_MSG(WIFEXITED(rr.wstatus) && WEXITSTATUS(rr.wstatus) != 0, "second server: %s",
		       flh_status_str(rr.wstatus, sbuf, sizeof(sbuf)));
	clear = strcasestr(rr.output, "in use") || strcasestr(rr.output, "lock") ||
		strcasestr(rr.output, "already");
	if (!clear)
		printf("# output: %.500s\n", rr.output);
	FLH_ASSERT_MSG(clear, "the refusal message does not say the database is in use");
	flh_run_result_release(&rr);
	/* The first server is unaffected. */
	FLH_ASSERT(api_alive(s));
	{
		struct flh_resp *r = flh_get(s, "/v1/packs/FirstServer");
		FLH_STATUS(r, 200);
		flh_resp_free(r);
	}
	flh_server_free(s);
}

FLT_MAIN(acknowledged_events_survive_kill9, concurrent_posts_killed_midway, acknowledged_results_survive_kill9,
	 acknowledged_writes_survive_kill9, taken_action_can_be_completed_after_kill9,
	 state_survives_clean_restart, second_server_on_same_db)
