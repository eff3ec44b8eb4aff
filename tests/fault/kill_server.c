/* SPDX-License-Identifier: Apache-2.0 */
/*
 * kill_server.c - kill -9 of the server, again and again, under load.
 *
 * A dedicated driver on libflyte: SENDERS threads send events FkSrc/Go
 * {"i": "<n>"} at a fixed total rate (each send tried once: an event that
 * got no 2xx is not sent again, so a count can only come from the server);
 * two instances of pack FkWorker (short lease, many slots) run the flow
 * fk: Work for every event, then Finish for Work's result.  Meanwhile the
 * main thread kills the server with SIGKILL at random moments and restarts
 * it on the same database, KILLS times.  Then the load stops, the actions
 * still open are given time to finish, the server stops, and the database
 * file is checked directly:
 *
 *  - every event that got a 2xx has its Work action (0 lost);
 *  - no event has two (0 duplicated), no step of an execution has two
 *    actions (0 steps fired twice);
 *  - every action is SUCCESS or FATAL, and every execution whose Work
 *    succeeded has its Finish (every execution finishes);
 *  - PRAGMA integrity_check says ok.
 *
 * Figures: kills, events sent / acknowledged / not acknowledged, lost,
 * duplicated, redelivered actions (attempt > 1), handler runs beyond the
 * first, refused results, the longest gap between two takes of one action,
 * the achieved rate.
 *
 * Short form: 3 kills 0.8-2 s apart; long form (FLYTE_FAULT_LONG): 20
 * kills 1-3 s apart (FLYTE_FAULT_KILLS overrides).  Both aim at 1,000
 * events/s (FLYTE_FAULT_RATE); the figures say what was reached (a
 * sanitizer build on two busy cores reaches less).
 */
#include "fl-common.h"

#include "fault-util.h"
#include "fltest.h"
#include "harness.h"

#include <flyte.h>
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>
#include <unistd.h>

#define SENDERS 8
#define PACKS 2
#define PACK_SLOTS 16
#define LEASE_SEC 2
#define MAX_ATTEMPTS 10
#define MAX_EVENTS 400000

#define FLOW                                                                                                 \
	"{\"name\":\"fk\",\"steps\":["                                                                      \
	"{\"id\":\"work\",\"event\":{\"packName\":\"FkSrc\",\"name\":\"Go\"},"                               \
	"\"command\":{\"packName\":\"FkWorker\",\"name\":\"Work\",\"input\":\"{{ Event.Payload.i }}\"}},"     \
	"{\"id\":\"finish\",\"dependsOn\":[\"work\"],\"event\":{\"packName\":\"FkWorker\",\"name\":\"Done\"}," \
	"\"command\":{\"packName\":\"FkWorker\",\"name\":\"Finish\",\"input\":\"{{ Event.Payload.i }}\"}}]}"

enum { EV_NONE, EV_ACKED, EV_FAILED };

static unsigned char ev_status[MAX_EVENTS];
static atomic_int work_runs[MAX_EVENTS], finish_runs[MAX_EVENTS];
static atomic_long next_event;
static atomic_bool stop_sending;
static atomic_int errors_shown;
static atomic_long fail_kinds[4]; /* network, timeout, 5xx, other */
static struct flyte_pack *src;
static long rate;

static int64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* The event number of an input "\"<n>\"", or -1. */
static long event_of(const char *in, size_t len)
{
	char buf[32];
	char *end = NULL;
	long n;

	if (len < 3 || len > sizeof(buf) || in[0] != '"' || in[len - 1] != '"')
		return -1;
	memcpy(buf, in + 1, len - 2);
	buf[len - 2] = '\0';
	n = strtol(buf, &end, 10);
	return *end || n < 0 || n >= MAX_EVENTS ? -1 : n;
}

static int work(const char *in, size_t len, struct flyte_result *out, void *payload)
{
	long n = event_of(in, len);
	char json[64];

	(void)payload;
	if (n < 0)
		return flyte_result_fatal(out, "bad input");
	atomic_fetch_add(&work_runs[n], 1);
	snprintf(json, sizeof(json), "{\"i\":\"%ld\"}", n);
	return flyte_result_set(out, "Done", json);
}

static int finish(const char *in, size_t len, struct flyte_result *out, void *payload)
{
	long n = event_of(in, len);

	(void)payload;
	if (n < 0)
		return flyte_result_fatal(out, "bad input");
	atomic_fetch_add(&finish_runs[n], 1);
	return flyte_result_set(out, "Finished", NULL);
}

static void *sender(void *arg)
{
	int64_t period = (int64_t)1000000000 * SENDERS / (rate > 0 ? rate : 1), next = mono_ns();
	char payload[64];

	(void)arg;
	while (!atomic_load(&stop_sending)) {
		long n = atomic_fetch_add(&next_event, 1);
		int64_t now;

		if (n >= MAX_EVENTS)
			break;
		snprintf(payload, sizeof(payload), "{\"i\":\"%ld\"}", n);
		int rc = flyte_pack_send_event(src, "Go", payload);
		if (rc == FLYTE_OK) {
			ev_status[n] = EV_ACKED;
		} else {
			ev_status[n] = EV_FAILED;
			atomic_fetch_add(&fail_kinds[rc == FLYTE_ENETWORK ? 0 : rc == FLYTE_ETIMEOUT ? 1 : rc == FLYTE_ESERVER ? 2 : 3], 1);
			if (atomic_fetch_add(&errors_shown, 1) < 5)
				printf("# event %ld not acknowledged: %s\n", n, flyte_last_error());
		}
		now = mono_ns();
		/* on time after a success; after a failure, no catching up into a server that is down */
		next = ev_status[n] == EV_ACKED ? next + period : now + period;
		if (next > now) {
			struct timespec ts = { (time_t)(next / 1000000000), (long)(next % 1000000000) };
			clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
		} else if (now - next > 1000000000) {
			next = now; /* after an outage: keep the pace, do not burst */
		}
	}
	return NULL;
}

static struct flyte_client *new_client(const char *url)
{
	struct flyte_client_options o;
	struct flyte_client *c = NULL;

	flyte_client_options_init(&o);
	o.api_url = url;
	o.timeout_ms = 5000;
	o.connect_timeout_ms = 2000;
	if (getenv("FLYTE_TEST_LOG"))
		o.log_fn = flyte_log_stderr, o.log_level = FLYTE_LOG_INFO;
	if (flyte_client_new(&c, &o))
		FLH_FAIL("client: %s", flyte_last_error());
	return c;
}

static struct flyte_pack *worker(struct flyte_client *c, int instance)
{
	static const char *const done[] = { "Done" }, *const finished[] = { "Finished" };
	static const struct flyte_command_def cmds[] = {
		{ "Work", done, 1, work, NULL, NULL },
		{ "Finish", finished, 1, finish, NULL, NULL },
	};
	struct flyte_pack_def def = { 0 };
	struct flyte_pack_options po;
	struct flyte_labels *labels = NULL;
	struct flyte_pack *p = NULL;
	char inst[16];

	snprintf(inst, sizeof(inst), "%d", instance);
	FLH_ASSERT(flyte_labels_new(&labels) == FLYTE_OK && flyte_labels_set(labels, "instance", inst) == FLYTE_OK);
	def.name = "FkWorker";
	def.labels = labels;
	def.commands = cmds;
	def.n_commands = FL_ARRAY_LEN(cmds);
	flyte_pack_options_init(&po);
	po.concurrency = PACK_SLOTS;
	po.pollers = PACK_SLOTS;
	po.retry_initial_ms = 50;
	po.retry_max_ms = 300;
	po.lease_seconds = LEASE_SEC;
	po.max_attempts = MAX_ATTEMPTS;
	if (flyte_pack_new(&p, c, &def, &po) || flyte_pack_register(p) || flyte_pack_start(p))
		FLH_FAIL("worker pack: %s", flyte_last_error());
	flyte_labels_free(labels);
	return p;
}

/* Open (state NEW or PENDING) actions of flow fk, read from the file while the server runs. */
static int64_t open_actions(const char *db_path)
{
	sqlite3 *db = fu_db_open(db_path);
	int64_t n;

	if (!db)
		return -1;
	n = fu_db_int(db, "SELECT count(*) FROM actions WHERE flow_name = 'fk' AND state < 2");
	fu_db_close(db);
	return n;
}

struct verdict {
	long sent, acked, failed, present_unacked;
	long lost, duplicated, steps_twice, unfinished, missing_finish;
	long executions, fatal, redelivered, max_attempt, refused, handler_reruns;
	int64_t max_gap_ms;
};

/* Longest time between two consecutive takes (PENDING states) of one action, in ms. */
static int64_t retake_gap(const char *states)
{
	json_t *arr = json_loads(states, 0, NULL), *s;
	int64_t last = -1, gap = 0;
	size_t i;

	json_array_foreach(arr, i, s) {
		const char *v = json_string_value(json_object_get(s, "value"));
		int64_t t = json_integer_value(json_object_get(s, "time"));
		if (!v || strcmp(v, "PENDING"))
			continue;
		if (last >= 0 && (t - last) / 1000000 > gap)
			gap = (t - last) / 1000000;
		last = t;
	}
	json_decref(arr);
	return gap;
}

static void check_file(const char *db_path, struct verdict *v)
{
	static unsigned short work_actions[MAX_EVENTS];
	sqlite3 *db = fu_db_open(db_path);
	sqlite3_stmt *st = NULL;

	FLH_ASSERT_MSG(db, "cannot open the database file");
	memset(work_actions, 0, sizeof(work_actions));
	FLH_ASSERT(sqlite3_prepare_v2(db, "SELECT input, count(*) FROM actions WHERE flow_name = 'fk' AND step_id = 'work' "
					  "GROUP BY input",
				      -1, &st, NULL) == SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *in = (const char *)sqlite3_column_text(st, 0);
		long n = in ? event_of(in, strlen(in)) : -1;
		if (n < 0) {
			printf("# unexpected Work input %s\n", in ? in : "(null)");
			v->duplicated++;
			continue;
		}
		work_actions[n] = (unsigned short)sqlite3_column_int(st, 1);
	}
	sqlite3_finalize(st);
	for (long n = 0; n < v->sent; n++) {
		if (ev_status[n] == EV_ACKED && work_actions[n] == 0) {
			if (v->lost < 5)
				printf("# lost: event %ld was acknowledged but has no action\n", n);
			v->lost++;
		}
		if (work_actions[n] > 1)
			v->duplicated++;
		if (ev_status[n] == EV_FAILED && work_actions[n] == 1)
			v->present_unacked++;
		if (atomic_load(&work_runs[n]) > 1)
			v->handler_reruns += atomic_load(&work_runs[n]) - 1;
		if (atomic_load(&finish_runs[n]) > 1)
			v->handler_reruns += atomic_load(&finish_runs[n]) - 1;
	}
	v->steps_twice = fu_db_int(db, "SELECT count(*) FROM (SELECT 1 FROM actions WHERE flow_name = 'fk' "
				       "GROUP BY correlation_id, step_id HAVING count(*) > 1)");
	v->unfinished = fu_db_int(db, "SELECT count(*) FROM actions WHERE flow_name = 'fk' AND state < 2");
	v->missing_finish = fu_db_int(db, "SELECT count(*) FROM actions w WHERE w.flow_name = 'fk' AND w.step_id = "
					  "'work' AND w.state = 2 AND NOT EXISTS (SELECT 1 FROM actions f WHERE "
					  "f.correlation_id = w.correlation_id AND f.step_id = 'finish')");
	v->executions = fu_db_int(db, "SELECT count(DISTINCT correlation_id) FROM actions WHERE flow_name = 'fk'");
	v->fatal = fu_db_int(db, "SELECT count(*) FROM actions WHERE flow_name = 'fk' AND state = 3");
	v->redelivered = fu_db_int(db, "SELECT count(*) FROM actions WHERE flow_name = 'fk' AND attempt > 1");
	v->max_attempt = fu_db_int(db, "SELECT coalesce(max(attempt), 0) FROM actions WHERE flow_name = 'fk'");
	v->refused = fu_db_int(db, "SELECT coalesce(sum(json_array_length(refused)), 0) FROM actions "
				   "WHERE flow_name = 'fk' AND refused IS NOT NULL");
	FLH_ASSERT(sqlite3_prepare_v2(db, "SELECT states FROM actions WHERE flow_name = 'fk' AND attempt > 1", -1, &st,
				      NULL) == SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW) {
		int64_t g = retake_gap((const char *)sqlite3_column_text(st, 0));
		if (g > v->max_gap_ms)
			v->max_gap_ms = g;
	}
	sqlite3_finalize(st);
	fu_db_close(db);
}

FLT_TEST(server_killed_under_load)
{
	int kills = (int)fu_env_long("FLYTE_FAULT_KILLS", fu_long() ? 20 : 3);
	int gap_min = fu_long() ? 1000 : 800, gap_max = fu_long() ? 3000 : 2000;
	const char *env[] = { "LOGLEVEL=warn", NULL };
	struct flh_server_opts so = { env, NULL, 0 };
	struct flh_server *srv = NULL;
	struct flyte_client *c;
	struct flyte_pack *workers[PACKS];
	struct flyte_pack_def sdef = { 0 };
	struct flyte_pack_options spo;
	struct flyte_response resp;
	struct verdict v = { 0 };
	pthread_t th[SENDERS];
	int64_t t0, t1, restart_ms = 0, drain_start, drain_ms;
	int port;
	bool ok = false;

	rate = fu_env_long("FLYTE_FAULT_RATE", 1000);
	srand((unsigned)time(NULL));
	FLH_ASSERT(flh_server_start(&srv, &so) == 0);
	port = flh_server_port(srv);
	c = new_client(flh_server_url(srv));
	FLH_EQ_INT(flyte_client_request(&resp, c, "POST", "/v1/flows", "application/json", FLOW, strlen(FLOW)),
		   FLYTE_OK);
	FLH_EQ_INT(resp.status, 201);
	flyte_response_release(&resp);
	for (int k = 0; k < PACKS; k++)
		workers[k] = worker(c, k);
	sdef.name = "FkSrc";
	flyte_pack_options_init(&spo);
	spo.event_attempts = 1; /* an event without a 2xx is not sent again */
	spo.register_attempts = 5;
	FLH_ASSERT(flyte_pack_new(&src, c, &sdef, &spo) == FLYTE_OK && flyte_pack_register(src) == FLYTE_OK);

	t0 = mono_ns();
	for (int k = 0; k < SENDERS; k++)
		FLH_ASSERT(pthread_create(&th[k], NULL, sender, NULL) == 0);
	for (int k = 0; k < kills; k++) {
		int64_t r0;
		flh_sleep_ms(gap_min + rand() % (gap_max - gap_min + 1));
		FLH_EQ_INT(flh_server_kill(srv), 0);
		r0 = mono_ns();
		FLH_ASSERT_MSG(flh_server_restart(srv) == 0, "restart %d failed", k + 1);
		restart_ms += (mono_ns() - r0) / 1000000;
		FLH_ASSERT_MSG(flh_server_port(srv) == port, "the server came back on another port");
	}
	flh_sleep_ms(1000);
	atomic_store(&stop_sending, true);
	for (int k = 0; k < SENDERS; k++)
		pthread_join(th[k], NULL);
	t1 = mono_ns();
	v.sent = FL_MIN(atomic_load(&next_event), (long)MAX_EVENTS);
	for (long n = 0; n < v.sent; n++) {
		v.acked += ev_status[n] == EV_ACKED;
		v.failed += ev_status[n] == EV_FAILED;
	}
	/* the packs finish what is open (redelivered leases included) */
	drain_start = mono_ns();
	FLH_WAIT_FOR(ok, 90000, open_actions(flh_server_db_path(srv)) == 0);
	FLH_ASSERT_MSG(ok, "%lld actions still open after 90 s", (long long)open_actions(flh_server_db_path(srv)));
	drain_ms = (mono_ns() - drain_start) / 1000000;
	for (int k = 0; k < PACKS; k++)
		flyte_pack_free(workers[k]);
	flyte_pack_free(src);
	flyte_client_free(c);
	FLH_EQ_INT(flh_server_stop(srv, 0, NULL), 0);

	FLH_EQ_INT(fu_integrity(flh_server_db_path(srv)), 0);
	check_file(flh_server_db_path(srv), &v);
	fu_figures("kill-server",
		   "kills=%d events_sent=%ld events_acknowledged=%ld not_acknowledged=%ld (of which present %ld) "
		   "lost=%ld duplicated=%ld steps_fired_twice=%ld executions=%ld unfinished=%ld fatal=%ld "
		   "redelivered=%ld max_attempt=%ld handler_reruns=%ld refused_results=%ld max_redelivery_gap_ms=%lld "
		   "rate_acked=%.0f/s (target %ld/s) mean_restart_ms=%lld drain_ms=%lld not_acknowledged_by_cause: "
		   "network=%ld timeout=%ld 5xx=%ld other=%ld",
		   kills, v.sent, v.acked, v.failed, v.present_unacked, v.lost, v.duplicated, v.steps_twice,
		   v.executions, v.unfinished + v.missing_finish, v.fatal, v.redelivered, v.max_attempt,
		   v.handler_reruns, v.refused, (long long)v.max_gap_ms,
		   (double)v.acked / ((double)(t1 - t0) / 1e9), rate, (long long)(restart_ms / (kills ? kills : 1)),
		   (long long)drain_ms, atomic_load(&fail_kinds[0]), atomic_load(&fail_kinds[1]),
		   atomic_load(&fail_kinds[2]), atomic_load(&fail_kinds[3]));
	FLH_ASSERT(v.acked > 0);
	FLH_EQ_INT(v.lost, 0);
	FLH_EQ_INT(v.duplicated, 0);
	FLH_EQ_INT(v.steps_twice, 0);
	FLH_EQ_INT(v.unfinished, 0);
	FLH_EQ_INT(v.missing_finish, 0);
	/* every execution of an acknowledged or stored event is there: acked + stored unacked */
	FLH_EQ_INT(v.executions, v.acked + v.present_unacked);
	flh_server_free(srv);
}

FLT_MAIN(server_killed_under_load)
