/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fault.c - the PostgreSQL database lost while servers run, and back
 * (suite multi).
 *
 * Two servers run on a PostgreSQL cluster of the test's own
 * (pgtemp_start_detached), which the test stops with pg_ctl (fast mode:
 * every connection is closed) and starts again.  While it is down: every
 * write is answered 503 with a JSON error (never a 2xx: nothing can be
 * committed), a take waiting for an action is answered without waiting for
 * the end of its long poll, and /health answers 503 so that a balancer
 * takes the server out.  Once it is back the servers recover by themselves:
 * /health 200, writes accepted, what was acknowledged before the outage is
 * all there (executions, actions waiting to be taken), and a take parked on
 * one server is woken by an action created on the other (the listening
 * connection is back too).  What PostgreSQL says when it closes the
 * connections reaches the log as a JSON line, like everything else.
 *
 * Also: a server whose database cannot be reached at start exits non-zero
 * with a message that names the database without its password.
 */
#include "fl-common.h"

#include "fltest.h"
#include "harness.h"
#include "mlt.h"
#include "pgtemp.h"

#include <pthread.h>
#include <sys/wait.h>

#define TAKE_WAIT_MS MLT_TAKE_WAIT_MAX_MS
#define BEFORE 10
#define RECOVER_MS 60000

static char g_dir[300];

/* The cluster is stopped in any case; FLH_KEEP keeps its directory (data and log). */
static void stop_cluster(void)
{
	char err[256];

	if (g_dir[0] && getenv("FLH_KEEP")) {
		pgtemp_cluster_stop(g_dir, err, sizeof(err));
		printf("# kept %s\n", g_dir);
	} else if (g_dir[0]) {
		pgtemp_stop_dir(g_dir);
	}
	g_dir[0] = '\0';
}

static long post(struct flh_server *s, const char *path, const char *body)
{
	struct flh_resp *r = flh_post_json(s, path, body);
	long st = r->status;

	flh_resp_free(r);
	return st;
}

/* The write is refused with 503 and a JSON error. */
static void expect_503(struct flh_resp *r)
{
	FLH_ERROR(r, 503);
	flh_resp_free(r);
}

struct parked {
	pthread_t th;
	struct flh_server *srv;
	const char *path;
	long status;
	int64_t answered_ms;
	char input[32];
};

static void *parked_main(void *arg)
{
	struct parked *p = arg;
	struct flh_resp *r = flh_post_json(p->srv, p->path, "null");
	const char *in;

	p->status = r->status;
	p->answered_ms = flh_now_ms();
	in = r->status == 200 ? flh_json_str(flh_resp_json(r), "input") : NULL;
	snprintf(p->input, sizeof(p->input), "%s", in ? in : "");
	flh_resp_free(r);
	return NULL;
}

/* ---- reads from several threads at once (so that several read connections are used) */

#define READERS 4
#define READS 5

struct reader {
	pthread_t th;
	struct flh_server *srv;
	int ok, unavailable, other;
};

static void *reader_main(void *arg)
{
	struct reader *r = arg;

	for (int i = 0; i < READS; i++) {
		struct flh_resp *resp = flh_get(r->srv, i % 2 ? "/v1/packs/FaSrc" : "/v1/flows/fault");
		if (resp->status == 200)
			r->ok++;
		else if (resp->status == 503 && flh_resp_is_json_error(resp))
			r->unavailable++;
		else
			r->other++;
		flh_resp_free(resp);
	}
	return NULL;
}

/* READERS x READS reads on s; the counts of 200, 503 and other answers. */
static void reads(struct flh_server *s, int *ok, int *unavailable, int *other)
{
	struct reader r[READERS];

	*ok = *unavailable = *other = 0;
	for (int i = 0; i < READERS; i++) {
		r[i] = (struct reader){ .srv = s };
		if (pthread_create(&r[i].th, NULL, reader_main, &r[i]) != 0)
			abort();
	}
	for (int i = 0; i < READERS; i++) {
		pthread_join(r[i].th, NULL);
		*ok += r[i].ok;
		*unavailable += r[i].unavailable;
		*other += r[i].other;
	}
}

static bool reads_all_ok(struct flh_server *s)
{
	int ok, unavailable, other;

	reads(s, &ok, &unavailable, &other);
	return ok == READERS * READS;
}

/* Every line the server wrote is a JSON log line (the harness's own "--- flh:" markers aside). */
static bool log_is_json(struct flh_server *s)
{
	char *log = flh_server_log(s);
	bool ok = log != NULL;

	for (char *p = log; p && *p;) {
		char *nl = strchr(p, '\n');
		if (nl)
			*nl = '\0';
		if (*p && strncmp(p, "--- flh:", 8) != 0) {
			json_t *j = json_loads(p, 0, NULL);
			if (!json_is_object(j)) {
				printf("# not a JSON log line: %.300s\n", p);
				ok = false;
			}
			json_decref(j);
		}
		p = nl ? nl + 1 : p + strlen(p);
	}
	free(log);
	return ok;
}

static bool recovered(struct flh_server *s)
{
	struct flh_resp *r = flh_get(s, "/health");
	bool ok = r->status == 200;

	flh_resp_free(r);
	return ok && post(s, "/v1/packs/FaSrc/events", "{\"event\":\"Probe\"}") == 202;
}

FLT_TEST(database_lost_and_back)
{
	static struct flh_server *s[2];
	char conn[600], url[700], err[600];
	struct parked idle = { 0 }, woken = { 0 };
	struct flh_resp *r, *audit;
	json_t *flows, *ex;
	int64_t stopped_at;
	int seen[BEFORE] = { 0 };
	size_t i;
	bool ok;

	FLH_ASSERT_MSG(pgtemp_start_detached(conn, sizeof(conn), g_dir, sizeof(g_dir), err, sizeof(err)) == 0,
		       "cannot start a PostgreSQL cluster: %s", err);
	atexit(stop_cluster);
	snprintf(url, sizeof(url), "%s dbname=postgres", conn);
	FLH_ASSERT(mlt_servers_start(s, 2, url, TAKE_WAIT_MS, NULL) == 0);

	FLH_EQ_INT(post(s[0], "/v1/packs", "{\"name\":\"FaSrc\"}"), 201);
	FLH_EQ_INT(post(s[0], "/v1/packs", "{\"name\":\"FaWork\",\"commands\":[{\"name\":\"Job\"}]}"), 201);
	FLH_EQ_INT(post(s[0], "/v1/packs", "{\"name\":\"FaIdle\"}"), 201);
	FLH_EQ_INT(post(s[0], "/v1/flows",
			"{\"name\":\"fault\",\"steps\":[{\"id\":\"s\",\"event\":{\"packName\":\"FaSrc\",\"name\":\"Go\"},"
			"\"command\":{\"packName\":\"FaWork\",\"name\":\"Job\",\"input\":\"{{ Event.Payload.i }}\"}}]}"),
		   201);
	for (int k = 0; k < BEFORE; k++)
		FLH_EQ_INT(post(s[k % 2], "/v1/packs/FaSrc/events", flh_path("{\"event\":\"Go\",\"payload\":{\"i\":\"%d\"}}", k)),
			   202);

	for (int k = 0; k < 2; k++)
		FLH_ASSERT(reads_all_ok(s[k]));

	/* a take waits on server 1 for an action that will not come */
	idle.srv = s[1];
	idle.path = "/v1/packs/FaIdle/actions/take";
	FLH_ASSERT(pthread_create(&idle.th, NULL, parked_main, &idle) == 0);
	flh_sleep_ms(300);

	FLH_ASSERT_MSG(pgtemp_cluster_stop(g_dir, err, sizeof(err)) == 0, "pg_ctl stop: %s", err);
	stopped_at = flh_now_ms();
	printf("# PostgreSQL stopped\n");

	/* every kind of write, on both servers, several times: 503, never 2xx */
	for (int round = 0; round < 3; round++) {
		for (int k = 0; k < 2; k++) {
			expect_503(flh_post_json(s[k], "/v1/packs/FaSrc/events", "{\"event\":\"Go\",\"payload\":{\"i\":\"x\"}}"));
			expect_503(flh_post_json(s[k], "/v1/packs", "{\"name\":\"FaNew\"}"));
			expect_503(flh_post_json(s[k], "/v1/flows",
						 "{\"name\":\"fault2\",\"steps\":[{\"id\":\"s\",\"event\":{\"packName\":\"A\","
						 "\"name\":\"B\"},\"command\":{\"packName\":\"C\",\"name\":\"D\"}}]}"));
			expect_503(flh_post_json(s[k], "/v1/packs/FaWork/actions/take", "null"));
			expect_503(flh_delete(s[k], "/v1/flows/fault"));
			r = flh_get(s[k], "/health");
			FLH_ERROR(r, 503);
			flh_resp_free(r);
			{
				int good, unavailable, other;
				reads(s[k], &good, &unavailable, &other);
				FLH_ASSERT_MSG(good == 0 && other == 0, "reads while the database is down: %d answered 200, "
						"%d neither 200 nor 503", good, other);
			}
		}
		flh_sleep_ms(300);
	}

	/*
	 * The waiting take was answered because the database went away: its
	 * own wait (TAKE_WAIT_MS from its start, before the stop) cannot have
	 * ended yet, or only just.
	 */
	pthread_join(idle.th, NULL);
	printf("# the waiting take was answered %ld ms after the stop\n", (long)(idle.answered_ms - stopped_at));
	FLH_ASSERT_MSG(idle.status == 204 || idle.status == 503, "the waiting take answered %ld", idle.status);
	FLH_ASSERT_MSG(idle.answered_ms - stopped_at < TAKE_WAIT_MS - 1000,
		       "the waiting take was answered only when its wait ended");

	FLH_ASSERT_MSG(pgtemp_cluster_start(g_dir, err, sizeof(err)) == 0, "pg_ctl start: %s", err);
	printf("# PostgreSQL started again\n");
	FLH_WAIT_FOR(ok, RECOVER_MS, recovered(s[0]) && recovered(s[1]));
	FLH_ASSERT_MSG(ok, "the servers did not recover within %d ms", RECOVER_MS);
	/* every read connection too (the first read on one may still meet the lost connection) */
	for (int k = 0; k < 2; k++) {
		FLH_WAIT_FOR(ok, RECOVER_MS, reads_all_ok(s[k]) && reads_all_ok(s[k]));
		FLH_ASSERT_MSG(ok, "reads on server %d did not recover within %d ms", k, RECOVER_MS);
	}

	/* what was acknowledged before the outage is all there */
	audit = flh_get(s[1], "/v1/audit/flows?flowName=fault&limit=1000");
	FLH_STATUS(audit, 200);
	flows = json_object_get(flh_resp_json(audit), "flows");
	FLH_EQ_INT(json_array_size(flows), BEFORE);
	json_array_foreach(flows, i, ex) {
		const char *in = flh_json_str(ex, "actions.s.input");
		long k = in ? strtol(in, NULL, 10) : -1;
		FLH_ASSERT_MSG(k >= 0 && k < BEFORE && !seen[k]++, "unexpected execution for input %s", in ? in : "?");
	}
	flh_resp_free(audit);
	for (int k = 0; k < BEFORE; k++) {
		json_t *j;
		const char *in;
		long n;
		r = flh_post_json(s[k % 2], "/v1/packs/FaWork/actions/take", "null");
		FLH_STATUS(r, 200);
		j = flh_resp_json(r);
		in = flh_json_str(j, "input");
		n = in ? strtol(in, NULL, 10) : -1;
		FLH_ASSERT_MSG(n >= 0 && n < BEFORE && seen[n] == 1, "take %d got input %s", k, in ? in : "?");
		seen[n]++;
		flh_resp_free(r);
	}

	/* server 1 listens again: a take parked there gets the action server 0 creates */
	woken.srv = s[1];
	woken.path = "/v1/packs/FaWork/actions/take";
	FLH_ASSERT(pthread_create(&woken.th, NULL, parked_main, &woken) == 0);
	flh_sleep_ms(300);
	FLH_EQ_INT(post(s[0], "/v1/packs/FaSrc/events", "{\"event\":\"Go\",\"payload\":{\"i\":\"after\"}}"), 202);
	pthread_join(woken.th, NULL);
	FLH_EQ_INT(woken.status, 200);
	FLH_EQ_STR(woken.input, "after");

	/* what PostgreSQL said when it closed the connections went to the log as JSON */
	FLH_ASSERT(log_is_json(s[0]));
	FLH_ASSERT(log_is_json(s[1]));

	flh_server_free(s[0]);
	flh_server_free(s[1]);
	s[0] = s[1] = NULL;
	stop_cluster();
}

/* Run the server against a database that cannot be reached; returns its output (caller frees). */
static char *refused_start(const char *db_url, int *code)
{
	char kv[512];
	const char *env[] = { kv, NULL };
	struct flh_run_opts o = { .env = env, .timeout_ms = 60000 };
	struct flh_run_result rr;
	char *out;

	snprintf(kv, sizeof(kv), "FLYTE_DB_URL=%s", db_url);
	if (flh_run(&o, &rr) != 0)
		return NULL;
	*code = rr.timed_out ? -2 : flh_exit_code(rr.wstatus);
	out = rr.output;
	rr.output = NULL;
	flh_run_result_release(&rr);
	return out;
}

FLT_TEST(unreachable_database_at_start_exits_with_the_password_hidden)
{
	static const char *const urls[] = {
		"postgresql://flyte:s3cret-pw@127.0.0.1:1/flyte?connect_timeout=5",
		"host=127.0.0.1 port=1 user=flyte password=s3cret-pw dbname=flyte connect_timeout=5",
		"host=127.0.0.1 port=1 user=flyte password='s3cret-pw' dbname=flyte connect_timeout=5",
	};

	for (size_t i = 0; i < FL_ARRAY_LEN(urls); i++) {
		int code = 0;
		char *out = refused_start(urls[i], &code);
		FLH_ASSERT(out != NULL);
		if (code == 0 || code == -2 || strstr(out, "s3cret") || !strstr(out, "127.0.0.1") ||
		    !strstr(out, "flyte")) {
			printf("# output: %.800s\n", out);
			free(out);
			FLH_FAIL("FLYTE_DB_URL %zu: exit %d; the message must name the database, not its password", i, code);
		}
		free(out);
	}
}

FLT_MAIN(database_lost_and_back, unreachable_database_at_start_exits_with_the_password_hidden)
