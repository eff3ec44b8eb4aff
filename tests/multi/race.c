/* SPDX-License-Identifier: Apache-2.0 */
/*
 * race.c - three flyte servers on one PostgreSQL database, racing each
 * other (suite multi).  The requests go to the servers directly, so each
 * test chooses which server sees what:
 *
 *  - two results of one execution posted at the same moment to two servers:
 *    the step that depends on both fires once, and both results are taken;
 *  - takers on three servers for one command, parked before the actions
 *    exist: each action goes to one taker, and every action to some taker;
 *  - a flow replaced on A while B runs it: B's next event uses the new
 *    version, and the running execution goes on with the version it started;
 *  - packs and datastore items changed on A are used by B's next request;
 *  - a take parked on B is answered with the action that A creates (parked
 *    well before, and parked at the moment of the commit), also when the
 *    announcement was lost because B's listening connection was down.
 */
#include "fl-common.h"

#include "api-util.h"
#include "fltest.h"
#include "harness.h"
#include "mlt.h"

#include <libpq-fe.h>
#include <pthread.h>
#include <stdatomic.h>

#define SERVERS 3
/* long enough that a take answered 204 has been missed, not just slow */
#define TAKE_WAIT_MS 3000

static struct flh_server *g_srv[SERVERS];
static char g_url[1024];
static bool g_setup_done, g_setup_failed;

static struct flh_server *srv(int i)
{
	if (!g_setup_done) {
		g_setup_done = true;
		g_setup_failed = mlt_database(g_url, sizeof(g_url)) != 0 ||
				 mlt_servers_start(g_srv, SERVERS, g_url, TAKE_WAIT_MS, NULL) != 0;
	}
	FLH_ASSERT_MSG(!g_setup_failed, "three servers on one database did not start");
	return g_srv[i];
}

/* The path of an absolute link (so that it can be sent to another server). */
static const char *path_of(const char *href)
{
	const char *p = href ? strstr(href, "://") : NULL;

	return p ? p + 3 + strcspn(p + 3, "/") : href;
}

static long event(struct flh_server *s, const char *pack, const char *name, const char *payload)
{
	return api_post_json(s, flh_path("/v1/packs/%s/events", pack),
		    flh_path("{\"event\":\"%s\",\"payload\":%s}", name, payload));
}

/* One take on server s (commandName filter when cmd is set); the answer's JSON in *out (caller decrefs). */
static long take(struct flh_server *s, const char *pack, const char *cmd, json_t **out)
{
	struct flh_resp *r = flh_post_json(s, cmd ? flh_path("/v1/packs/%s/actions/take?commandName=%s", pack, cmd)
						  : flh_path("/v1/packs/%s/actions/take", pack),
					   "null");
	long st = r->status;

	*out = NULL;
	if (st == 200 && flh_resp_json(r))
		*out = json_incref(flh_resp_json(r));
	else if (st != 204)
		flh_resp_print(r);
	flh_resp_free(r);
	return st;
}

static const char *result_path(json_t *take_answer)
{
	return path_of(flh_link_href(json_object_get(take_answer, "links"), "actionResult"));
}

/* ------------------------------------------------------------ join */

#define JOINS 20

struct resulter {
	pthread_t th;
	struct flh_server *srv;
	char path[256];
	char body[96];
	pthread_barrier_t *go;
	long status;
};

static void *resulter_main(void *arg)
{
	struct resulter *r = arg;

	pthread_barrier_wait(r->go);
	r->status = api_post_json(r->srv, r->path, r->body);
	return NULL;
}

FLT_TEST(join_step_fires_once_when_results_race_on_two_servers)
{
	static const char flow[] =
		"{\"name\":\"race_join\",\"steps\":["
		"{\"id\":\"a\",\"event\":{\"packName\":\"JSrc\",\"name\":\"Go\"},"
		"\"command\":{\"packName\":\"JWork\",\"name\":\"JA\",\"input\":\"{{ Event.Payload.i }}\"}},"
		"{\"id\":\"b\",\"event\":{\"packName\":\"JSrc\",\"name\":\"Go\"},"
		"\"command\":{\"packName\":\"JWork\",\"name\":\"JB\",\"input\":\"{{ Event.Payload.i }}\"}},"
		"{\"id\":\"c\",\"dependsOn\":[\"a\",\"b\"],\"event\":{\"packName\":\"JWork\",\"name\":\"Done\"},"
		"\"command\":{\"packName\":\"JWork\",\"name\":\"JC\",\"input\":\"{{ Event.Payload.i }}\"}}]}";
	static json_t *ja[JOINS], *jb[JOINS];
	int got_c[JOINS] = { 0 };
	json_t *a;

	FLH_EQ_INT(api_post_json(srv(0), "/v1/packs", "{\"name\":\"JSrc\"}"), 201);
	FLH_EQ_INT(api_post_json(srv(0), "/v1/packs", "{\"name\":\"JWork\"}"), 201);
	FLH_EQ_INT(api_post_json(srv(0), "/v1/flows", flow), 201);
	for (int i = 0; i < JOINS; i++)
		FLH_EQ_INT(event(srv(i % SERVERS), "JSrc", "Go", flh_path("{\"i\":\"%d\"}", i)), 202);
	/* the first two actions of every execution */
	for (int n = 0; n < 2 * JOINS; n++) {
		const char *cmd, *in;
		long i;
		FLH_EQ_INT(take(srv(n % SERVERS), "JWork", NULL, &a), 200);
		cmd = flh_json_str(a, "command");
		in = flh_json_str(a, "input");
		i = in ? strtol(in, NULL, 10) : -1;
		FLH_ASSERT_MSG(cmd && i >= 0 && i < JOINS, "unexpected action %s", in ? in : "(no input)");
		if (strcmp(cmd, "JA") == 0 && !ja[i])
			ja[i] = a;
		else if (strcmp(cmd, "JB") == 0 && !jb[i])
			jb[i] = a;
		else
			FLH_FAIL("action %s of execution %ld taken twice", cmd, i);
	}
	/* both results of each execution at the same moment, on servers 1 and 2 */
	for (int i = 0; i < JOINS; i++) {
		struct resulter r[2];
		pthread_barrier_t go;
		pthread_barrier_init(&go, NULL, 2);
		for (int k = 0; k < 2; k++) {
			r[k] = (struct resulter){ .srv = srv(1 + k), .go = &go };
			snprintf(r[k].path, sizeof(r[k].path), "%s", result_path(k ? jb[i] : ja[i]));
			snprintf(r[k].body, sizeof(r[k].body), "{\"event\":\"Done\",\"payload\":{\"i\":\"%d\"}}", i);
			FLH_ASSERT(pthread_create(&r[k].th, NULL, resulter_main, &r[k]) == 0);
		}
		for (int k = 0; k < 2; k++)
			pthread_join(r[k].th, NULL);
		pthread_barrier_destroy(&go);
		FLH_EQ_INT(r[0].status, 202);
		FLH_EQ_INT(r[1].status, 202);
		json_decref(ja[i]);
		json_decref(jb[i]);
		ja[i] = jb[i] = NULL;
	}
	/* the join step: one action per execution, and no more */
	for (int n = 0; n < JOINS; n++) {
		const char *in;
		long i;
		FLH_EQ_INT(take(srv(n % SERVERS), "JWork", "JC", &a), 200);
		in = flh_json_str(a, "input");
		i = in ? strtol(in, NULL, 10) : -1;
		json_decref(a);
		FLH_ASSERT_MSG(i >= 0 && i < JOINS && !got_c[i], "join step of execution %ld fired twice", i);
		got_c[i] = 1;
	}
	FLH_EQ_INT(take(srv(0), "JWork", NULL, &a), 204);
}

/* ------------------------------------------------------------ takers */

#define TAKERS_PER_SERVER 4
#define TAKE_ACTIONS 150

struct taker {
	pthread_t th;
	struct flh_server *srv;
	atomic_int *total;
	int got[TAKE_ACTIONS];
	int ngot, errors;
};

static void *taker_main(void *arg)
{
	struct taker *t = arg;

	while (atomic_load(t->total) < TAKE_ACTIONS && t->ngot < TAKE_ACTIONS) {
		json_t *a;
		long st = take(t->srv, "TWork", "Job", &a);
		if (st == 200) {
			const char *in = flh_json_str(a, "input");
			t->got[t->ngot++] = in ? (int)strtol(in, NULL, 10) : -1;
			atomic_fetch_add(t->total, 1);
		} else if (st != 204) {
			t->errors++;
		}
		json_decref(a);
	}
	return NULL;
}

FLT_TEST(takers_on_three_servers_share_one_command)
{
	static struct taker t[SERVERS * TAKERS_PER_SERVER];
	atomic_int total = 0;
	int seen[TAKE_ACTIONS] = { 0 }, dup = 0, errors = 0, n = 0;

	FLH_EQ_INT(api_post_json(srv(0), "/v1/packs", "{\"name\":\"TSrc\"}"), 201);
	FLH_EQ_INT(api_post_json(srv(0), "/v1/packs", "{\"name\":\"TWork\",\"commands\":[{\"name\":\"Job\"}]}"), 201);
	FLH_EQ_INT(api_post_json(srv(1), "/v1/flows",
			"{\"name\":\"race_take\",\"steps\":[{\"id\":\"s\",\"event\":{\"packName\":\"TSrc\",\"name\":\"Go\"},"
			"\"command\":{\"packName\":\"TWork\",\"name\":\"Job\",\"input\":\"{{ Event.Payload.i }}\"}}]}"),
		   201);
	for (size_t i = 0; i < FL_ARRAY_LEN(t); i++) {
		t[i] = (struct taker){ .srv = srv((int)(i % SERVERS)), .total = &total };
		FLH_ASSERT(pthread_create(&t[i].th, NULL, taker_main, &t[i]) == 0);
	}
	flh_sleep_ms(300); /* most takers are parked by now; the others take from the queues */
	for (int i = 0; i < TAKE_ACTIONS; i++)
		FLH_EQ_INT(event(srv(i % SERVERS), "TSrc", "Go", flh_path("{\"i\":\"%d\"}", i)), 202);
	for (size_t i = 0; i < FL_ARRAY_LEN(t); i++)
		pthread_join(t[i].th, NULL);
	for (size_t i = 0; i < FL_ARRAY_LEN(t); i++) {
		errors += t[i].errors;
		for (int k = 0; k < t[i].ngot; k++) {
			int id = t[i].got[k];
			n++;
			FLH_ASSERT_MSG(id >= 0 && id < TAKE_ACTIONS, "unexpected input %d", id);
			if (seen[id]++)
				dup++;
		}
	}
	FLH_EQ_INT(errors, 0);
	FLH_ASSERT_MSG(dup == 0, "%d actions were handed to two takers", dup);
	FLH_EQ_INT(n, TAKE_ACTIONS);
}

/* ------------------------------------------------------------ versions */

static const char *flow_version(const char *tag)
{
	return flh_path("{\"name\":\"race_flow\",\"steps\":["
			"{\"id\":\"x\",\"event\":{\"packName\":\"FSrc\",\"name\":\"Go\"},"
			"\"command\":{\"packName\":\"FWork\",\"name\":\"X\",\"input\":\"%s-{{ Event.Payload.i }}\"}},"
			"{\"id\":\"y\",\"dependsOn\":[\"x\"],\"event\":{\"packName\":\"FWork\",\"name\":\"Done\"},"
			"\"command\":{\"packName\":\"FWork\",\"name\":\"Y\",\"input\":\"%s-{{ Event.Payload.i }}\"}}]}",
			tag, tag);
}

/* Take one action of `cmd` on s and check its input. */
static json_t *take_expect(struct flh_server *s, const char *pack, const char *cmd, const char *input)
{
	json_t *a;

	FLH_EQ_INT(take(s, pack, cmd, &a), 200);
	if (!flh_json_str(a, "input") || strcmp(flh_json_str(a, "input"), input) != 0) {
		char *d = flh_json_dump(a);
		printf("# take answer: %s\n", d);
		free(d);
		json_decref(a);
		FLH_FAIL("%s took input '%s', expected '%s'", cmd, flh_json_str(a, "input"), input);
	}
	return a;
}

FLT_TEST(flow_replaced_on_a_while_b_runs_it)
{
	json_t *x1, *x2, *y;

	FLH_EQ_INT(api_post_json(srv(0), "/v1/packs", "{\"name\":\"FSrc\"}"), 201);
	FLH_EQ_INT(api_post_json(srv(0), "/v1/packs", "{\"name\":\"FWork\"}"), 201);
	FLH_EQ_INT(api_post_json(srv(0), "/v1/flows", flow_version("v1")), 201);
	/* B starts an execution with version 1 */
	FLH_EQ_INT(event(srv(1), "FSrc", "Go", "{\"i\":\"1\"}"), 202);
	x1 = take_expect(srv(1), "FWork", "X", "v1-1");
	/* A replaces the flow; B's very next event uses version 2 */
	FLH_EQ_INT(api_post_json(srv(0), "/v1/flows", flow_version("v2")), 201);
	FLH_EQ_INT(event(srv(1), "FSrc", "Go", "{\"i\":\"2\"}"), 202);
	x2 = take_expect(srv(1), "FWork", "X", "v2-2");
	/* the first execution finishes with version 1, the second with version 2 */
	FLH_EQ_INT(api_post_json(srv(1), result_path(x1), "{\"event\":\"Done\",\"payload\":{\"i\":\"1\"}}"), 202);
	y = take_expect(srv(1), "FWork", "Y", "v1-1");
	json_decref(y);
	FLH_EQ_INT(api_post_json(srv(2), result_path(x2), "{\"event\":\"Done\",\"payload\":{\"i\":\"2\"}}"), 202);
	y = take_expect(srv(2), "FWork", "Y", "v2-2");
	json_decref(y);
	/* and the other way round: B replaces it, A's next event uses it */
	FLH_EQ_INT(api_post_json(srv(1), "/v1/flows", flow_version("v3")), 201);
	FLH_EQ_INT(event(srv(0), "FSrc", "Go", "{\"i\":\"3\"}"), 202);
	y = take_expect(srv(0), "FWork", "X", "v3-3");
	json_decref(y);
	json_decref(x1);
	json_decref(x2);
}

FLT_TEST(packs_and_datastore_changed_on_a_are_used_by_b_at_once)
{
	struct flh_resp *r;
	json_t *a;

	FLH_EQ_INT(api_post_json(srv(0), "/v1/flows",
			"{\"name\":\"race_ds\",\"steps\":[{\"id\":\"s\",\"event\":{\"packName\":\"DSrc\",\"name\":\"Go\"},"
			"\"command\":{\"packName\":\"DWork\",\"name\":\"D\",\"input\":\"{{ datastore('race-key') }}\"}}]}"),
		   201);
	/* a pack registered on A sends on B at once */
	FLH_EQ_INT(api_post_json(srv(0), "/v1/packs", "{\"name\":\"DSrc\"}"), 201);
	FLH_EQ_INT(api_post_json(srv(0), "/v1/packs", "{\"name\":\"DWork\"}"), 201);
	FLH_EQ_INT(api_put_item(srv(0), "race-key", "one", 3, NULL, NULL, NULL), 201);
	FLH_EQ_INT(event(srv(1), "DSrc", "Go", "{}"), 202);
	a = take_expect(srv(2), "DWork", "D", "one");
	json_decref(a);
	/* a datastore item replaced on C is read by B's next event */
	FLH_EQ_INT(api_put_item(srv(2), "race-key", "two", 3, NULL, NULL, NULL), 204);
	FLH_EQ_INT(event(srv(1), "DSrc", "Go", "{}"), 202);
	a = take_expect(srv(0), "DWork", "D", "two");
	json_decref(a);
	/* a pack deleted on A is unknown to B's next request */
	r = flh_delete(srv(0), "/v1/packs/DSrc");
	FLH_STATUS(r, 204);
	flh_resp_free(r);
	r = flh_post_json(srv(1), "/v1/packs/DSrc/events", "{\"event\":\"Go\"}");
	FLH_ERROR(r, 404);
	flh_resp_free(r);
}

/* ------------------------------------------------------------ wake-up */

struct parked {
	pthread_t th;
	struct flh_server *srv;
	long status;
	json_t *answer;
};

static void *parked_main(void *arg)
{
	struct parked *p = arg;

	p->status = take(p->srv, "WWork", "W", &p->answer);
	return NULL;
}

/*
 * A take on B, then an event on A: B answers the take with A's action, so
 * the take was woken, not left to answer 204 when its wait ends.  With
 * pause_ms the take is parked well before the commit; without, parking and
 * the commit race.
 */
static void wake_rounds(int rounds, int pause_ms, int base)
{
	for (int i = base; i < base + rounds; i++) {
		struct parked p = { .srv = srv(1) };
		const char *in;
		char want[32];
		FLH_ASSERT(pthread_create(&p.th, NULL, parked_main, &p) == 0);
		if (pause_ms)
			flh_sleep_ms(pause_ms);
		FLH_EQ_INT(event(srv(0), "WSrc", "Go", flh_path("{\"i\":\"%d\"}", i)), 202);
		pthread_join(p.th, NULL);
		snprintf(want, sizeof(want), "%d", i);
		in = flh_json_str(p.answer, "input");
		FLH_ASSERT_MSG(p.status == 200 && in && strcmp(in, want) == 0,
			       "round %d: the take on B answered %ld with input %s", i, p.status, in ? in : "(none)");
		json_decref(p.answer);
	}
}

FLT_TEST(take_parked_on_b_gets_the_action_a_creates)
{
	FLH_EQ_INT(api_post_json(srv(0), "/v1/packs", "{\"name\":\"WSrc\"}"), 201);
	FLH_EQ_INT(api_post_json(srv(1), "/v1/packs", "{\"name\":\"WWork\",\"commands\":[{\"name\":\"W\"}]}"), 201);
	FLH_EQ_INT(api_post_json(srv(2), "/v1/flows",
			"{\"name\":\"race_wake\",\"steps\":[{\"id\":\"s\",\"event\":{\"packName\":\"WSrc\",\"name\":\"Go\"},"
			"\"command\":{\"packName\":\"WWork\",\"name\":\"W\",\"input\":\"{{ Event.Payload.i }}\"}}]}"),
		   201);
	wake_rounds(5, 300, 0);
	wake_rounds(20, 0, 100);
}

/*
 * The announcement of A's action is lost: the servers' listening connections
 * are ended while no new connection to the database is allowed, and A
 * creates the action before they may connect again.  B reads its queues
 * again when it listens again, and its parked take gets the action.
 */
FLT_TEST(take_parked_on_b_gets_an_action_announced_while_b_was_not_listening)
{
	struct parked p = { 0 };
	char db[128], sql[512];
	const char *in;

	FLH_ASSERT(srv(0) && mlt_dbname(g_url, db, sizeof(db)));
	FLH_EQ_INT(api_post_json(srv(0), "/v1/packs", "{\"name\":\"LSrc\"}"), 201);
	FLH_EQ_INT(api_post_json(srv(1), "/v1/packs", "{\"name\":\"WWork\",\"commands\":[{\"name\":\"W\"}]}"), 201);
	FLH_EQ_INT(api_post_json(srv(2), "/v1/flows",
			"{\"name\":\"race_lost\",\"steps\":[{\"id\":\"s\",\"event\":{\"packName\":\"LSrc\",\"name\":\"Go\"},"
			"\"command\":{\"packName\":\"WWork\",\"name\":\"W\",\"input\":\"{{ Event.Payload.i }}\"}}]}"),
		   201);
	p.srv = srv(1);
	FLH_ASSERT(pthread_create(&p.th, NULL, parked_main, &p) == 0);
	flh_sleep_ms(300);
	snprintf(sql, sizeof(sql), "ALTER DATABASE %s ALLOW_CONNECTIONS false", db);
	FLH_ASSERT(mlt_admin_sql(sql) == 0);
	snprintf(sql, sizeof(sql),
		 "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '%s' AND query LIKE 'LISTEN%%'", db);
	FLH_ASSERT(mlt_admin_sql(sql) == 0);
	FLH_EQ_INT(event(srv(0), "LSrc", "Go", "{\"i\":\"lost\"}"), 202);
	snprintf(sql, sizeof(sql), "ALTER DATABASE %s ALLOW_CONNECTIONS true", db);
	FLH_ASSERT(mlt_admin_sql(sql) == 0);
	pthread_join(p.th, NULL);
	in = flh_json_str(p.answer, "input");
	FLH_ASSERT_MSG(p.status == 200 && in && strcmp(in, "lost") == 0, "the take on B answered %ld with input %s",
		       p.status, in ? in : "(none)");
	json_decref(p.answer);
}

/* ------------------------------------------------------------ rolled-back claim */

/*
 * A server that claims an action and dies before its transaction commits
 * (kill -9 in the middle of a batch) leaves the action NEW, and nobody
 * announces it again.  Here a connection of the test holds the action's
 * row lock as that server's open claim would, while a take on A (which
 * created the action) and one on B (which heard of it) try to claim it;
 * then the "server" goes away without committing.  Both servers must still
 * offer the action: the next take on B gets it, and then A has nothing.
 */
FLT_TEST(action_whose_claim_rolled_back_on_a_dead_server_is_taken)
{
	PGconn *c;
	PGresult *r;
	json_t *a = NULL;
	const char *in;
	bool locked;

	FLH_EQ_INT(api_post_json(srv(0), "/v1/packs", "{\"name\":\"RSrc\"}"), 201);
	FLH_EQ_INT(api_post_json(srv(1), "/v1/packs", "{\"name\":\"RWork\",\"commands\":[{\"name\":\"R\"}]}"), 201);
	FLH_EQ_INT(api_post_json(srv(2), "/v1/flows",
			"{\"name\":\"race_rollback\",\"steps\":[{\"id\":\"s\",\"event\":{\"packName\":\"RSrc\",\"name\":\"Go\"},"
			"\"command\":{\"packName\":\"RWork\",\"name\":\"R\",\"input\":\"{{ Event.Payload.i }}\"}}]}"),
		   201);
	FLH_EQ_INT(event(srv(0), "RSrc", "Go", "{\"i\":\"back\"}"), 202);
	flh_sleep_ms(300); /* B hears of it (if not, its take below parks and hears of it while the lock is held) */

	c = PQconnectdb(g_url);
	FLH_ASSERT_MSG(PQstatus(c) == CONNECTION_OK, "cannot connect to the test database: %s", PQerrorMessage(c));
	PQclear(PQexec(c, "BEGIN"));
	r = PQexec(c, "SELECT id FROM actions WHERE pack_name = 'RWork' AND state = 0 FOR UPDATE");
	locked = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1;
	PQclear(r);
	if (!locked)
		PQfinish(c);
	FLH_ASSERT_MSG(locked, "the action of the event is not NEW in the database");
	/* while "another server" holds it, neither A nor B can take it */
	FLH_EQ_INT(take(srv(0), "RWork", NULL, &a), 204);
	FLH_EQ_INT(take(srv(1), "RWork", NULL, &a), 204);
	PQfinish(c); /* the claiming server is gone: its transaction rolls back */

	FLH_EQ_INT(take(srv(1), "RWork", NULL, &a), 200);
	in = flh_json_str(a, "input");
	FLH_ASSERT_MSG(in && strcmp(in, "back") == 0, "B took input '%s'", in ? in : "(none)");
	json_decref(a);
	FLH_EQ_INT(take(srv(0), "RWork", NULL, &a), 204);
}

FLT_MAIN(join_step_fires_once_when_results_race_on_two_servers, takers_on_three_servers_share_one_command,
	 flow_replaced_on_a_while_b_runs_it, packs_and_datastore_changed_on_a_are_used_by_b_at_once,
	 take_parked_on_b_gets_the_action_a_creates, take_parked_on_b_gets_an_action_announced_while_b_was_not_listening,
	 action_whose_claim_rolled_back_on_a_dead_server_is_taken)
