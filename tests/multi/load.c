/* SPDX-License-Identifier: Apache-2.0 */
/*
 * load.c - three flyte servers on one PostgreSQL database behind haproxy,
 * under load, then with one of them killed (suite multi).
 *
 * Senders post events with unique payload ids through the balancer; workers
 * take actions through it (long polls) and post results for a two-step flow
 * whose commands declare a short lease.  Every delivery is written down at
 * the worker (action id, command, payload id, how its result was answered).
 * After the run the audit (read through the balancer) must show, for every
 * acknowledged event, one execution whose two actions succeeded, and the
 * workers' records must show no action delivered twice and no step that
 * fired twice (one action id per payload id and command).
 *
 * The second run kills one server with SIGKILL in the middle of the load:
 * nothing acknowledged may be lost, the workers' takes parked on it move to
 * the survivors (they keep receiving actions), and the run completes;
 * actions claimed for a take whose answer died with the server come back
 * when their lease ends.  A second delivery of an action is allowed there
 * only when no earlier delivery's result was accepted.
 */
#include "fl-common.h"

#include "fltest.h"
#include "harness.h"
#include "mlt.h"

#include "buf.h"

#include <pthread.h>
#include <stdatomic.h>

#define SERVERS 3
#define TAKE_WAIT_MS 2000
#define LEASE_SEC 4
#define SENDERS 4
#define WORKERS 12
#define SEND_PAUSE_MS 8
#define MAX_EVENTS 4000
#define RESULT_RETRY_MS 30000
#define COMPLETE_WAIT_MS 60000

static struct flh_server *g_srv[SERVERS];
static struct mlt_balancer *g_lb;
static bool g_setup_done, g_setup_failed;

static void setup(void)
{
	char url[1024];

	if (!g_setup_done) {
		g_setup_done = true;
		g_setup_failed = mlt_database(url, sizeof(url)) != 0 ||
				 mlt_servers_start(g_srv, SERVERS, url, TAKE_WAIT_MS, NULL) != 0 ||
				 mlt_balancer_start(&g_lb, g_srv, SERVERS) != 0;
	}
	FLH_ASSERT_MSG(!g_setup_failed, "three servers behind haproxy did not start");
}

/* ------------------------------------------------------------ records */

enum { CMD_ONE, CMD_TWO };

struct delivery {
	char id[40];
	int cmd;
	long k;           /* payload id */
	long result;      /* answer to the result: 202, or the last status when given up */
	bool after_kill;  /* taken after the kill */
	size_t order;     /* delivery order */
};

struct run {
	char flow[32], src_name[32], work_name[32];
	char *event_href, *take_href;
	atomic_bool stop_send, stop_work, killed;
	atomic_long next_k;
	unsigned char acked[MAX_EVENTS];
	atomic_uchar delivered[MAX_EVENTS]; /* a worker got an action of this payload id */
	size_t complete_reads;              /* consecutive audit reads that found the run complete */
	pthread_mutex_t mu;
	struct delivery *d;
	size_t nd, cap;
	atomic_long send_failed, take_failed, take_failed_after_kill;
};

static size_t record(struct run *r, const char *id, int cmd, long k)
{
	size_t i;

	pthread_mutex_lock(&r->mu);
	if (r->nd == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 1024;
		r->d = realloc(r->d, r->cap * sizeof(*r->d));
		if (!r->d)
			abort();
	}
	i = r->nd++;
	memset(&r->d[i], 0, sizeof(r->d[i]));
	snprintf(r->d[i].id, sizeof(r->d[i].id), "%s", id);
	r->d[i].cmd = cmd;
	r->d[i].k = k;
	r->d[i].after_kill = atomic_load(&r->killed);
	r->d[i].order = i;
	pthread_mutex_unlock(&r->mu);
	return i;
}

static void record_result(struct run *r, size_t i, long status)
{
	pthread_mutex_lock(&r->mu);
	r->d[i].result = status;
	pthread_mutex_unlock(&r->mu);
}

/* ------------------------------------------------------------ threads */

static void *sender_main(void *arg)
{
	struct run *r = arg;
	char body[96];

	while (!atomic_load(&r->stop_send)) {
		long k = atomic_fetch_add(&r->next_k, 1);
		struct flh_resp *resp;
		if (k >= MAX_EVENTS)
			break;
		snprintf(body, sizeof(body), "{\"event\":\"Go\",\"payload\":{\"i\":\"%ld\"}}", k);
		resp = flh_post_json(NULL, r->event_href, body);
		if (resp->status == 202)
			r->acked[k] = 1;
		else
			atomic_fetch_add(&r->send_failed, 1);
		flh_resp_free(resp);
		flh_sleep_ms(SEND_PAUSE_MS);
	}
	return NULL;
}

/* Post the result of one delivery, again while the way to a server fails. */
static long post_result(const char *href, const char *event, long k)
{
	int64_t dl = flh_deadline(RESULT_RETRY_MS);
	char body[128];

	snprintf(body, sizeof(body), "{\"event\":\"%s\",\"payload\":{\"i\":\"%ld\"}}", event, k);
	for (;;) {
		struct flh_resp *resp = flh_post_json(NULL, href, body);
		long st = resp->status;
		flh_resp_free(resp);
		if (!mlt_status_transient(st) || flh_expired(dl))
			return st;
		flh_sleep_ms(100);
	}
}

static void *worker_main(void *arg)
{
	struct run *r = arg;

	while (!atomic_load(&r->stop_work)) {
		struct flh_resp *resp = flh_post_json(NULL, r->take_href, "null");
		json_t *j;
		const char *cmd, *in, *href;
		char id[40];
		size_t i;
		int c;

		if (resp->status != 200) {
			if (resp->status != 204) {
				atomic_fetch_add(&r->take_failed, 1);
				if (atomic_load(&r->killed))
					atomic_fetch_add(&r->take_failed_after_kill, 1);
				flh_sleep_ms(50);
			}
			flh_resp_free(resp);
			continue;
		}
		j = flh_resp_json(resp);
		cmd = flh_json_str(j, "command");
		in = flh_json_str(j, "input");
		href = flh_link_href(json_object_get(j, "links"), "actionResult");
		if (!cmd || !in || !href || !mlt_action_id(href, id, sizeof(id))) {
			/* recorded as an unknown delivery: the checks fail on it */
			record(r, "?", -1, -1);
			flh_resp_free(resp);
			continue;
		}
		c = strcmp(cmd, "StepOne") == 0 ? CMD_ONE : CMD_TWO;
		i = record(r, id, c, strtol(in, NULL, 10));
		if (strtol(in, NULL, 10) >= 0 && strtol(in, NULL, 10) < MAX_EVENTS)
			atomic_store(&r->delivered[strtol(in, NULL, 10)], 1);
		record_result(r, i, post_result(href, c == CMD_ONE ? "DoneOne" : "DoneTwo", strtol(in, NULL, 10)));
		flh_resp_free(resp);
	}
	return NULL;
}

/* ------------------------------------------------------------ audit */

struct audit_state {
	size_t executions, complete;
	unsigned short per_k[MAX_EVENTS]; /* executions per payload id */
	size_t bad_k;                     /* executions whose payload id is not one of ours */
	char first_incomplete[64];
};

static int audit_read(struct run *r, struct audit_state *a)
{
	char url[256];
	struct flh_resp *resp;
	json_t *flows, *ex;
	size_t i;

	memset(a, 0, sizeof(*a));
	snprintf(url, sizeof(url), "%s/v1/audit/flows?flowName=%s&limit=100000", mlt_balancer_url(g_lb), r->flow);
	resp = flh_get(NULL, url);
	flows = resp->status == 200 ? json_object_get(flh_resp_json(resp), "flows") : NULL;
	if (!json_is_array(flows)) {
		flh_resp_free(resp);
		return -1;
	}
	json_array_foreach(flows, i, ex) {
		const char *one = flh_json_str(ex, "actions.one.state.value");
		const char *two = flh_json_str(ex, "actions.two.state.value");
		const char *in = flh_json_str(ex, "actions.one.input");
		long k = in ? strtol(in, NULL, 10) : -1;
		a->executions++;
		if (one && two && strcmp(one, "SUCCESS") == 0 && strcmp(two, "SUCCESS") == 0)
			a->complete++;
		else if (!a->first_incomplete[0])
			snprintf(a->first_incomplete, sizeof(a->first_incomplete), "%s (one %s, two %s)",
				 flh_json_str(ex, "correlationId") ? flh_json_str(ex, "correlationId") : "?",
				 one ? one : "none", two ? two : "none");
		if (k >= 0 && k < MAX_EVENTS)
			a->per_k[k]++;
		else
			a->bad_k++;
	}
	flh_resp_free(resp);
	return 0;
}

/*
 * Every acknowledged event, and every event whose actions a worker got, has
 * an execution, and every execution completed.  The audit lists a long run
 * in windows, each read at its own moment, so an execution that changes
 * while the list is read may be missing from it: the run counts as complete
 * after two such answers in a row (the final check reads it again once the
 * workers stopped).
 */
static bool audit_complete(struct run *r, struct audit_state *a)
{
	if (audit_read(r, a) != 0 || a->complete != a->executions)
		return false;
	for (long k = 0; k < MAX_EVENTS; k++)
		if ((r->acked[k] || atomic_load(&r->delivered[k])) && !a->per_k[k])
			return false;
	return true;
}

static bool run_complete(struct run *r, struct audit_state *a)
{
	r->complete_reads = audit_complete(r, a) ? r->complete_reads + 1 : 0;
	return r->complete_reads >= 2;
}

/* ------------------------------------------------------------ checks */

static int by_id(const void *x, const void *y)
{
	const struct delivery *a = x, *b = y;
	int c = strcmp(a->id, b->id);

	return c ? c : (a->order > b->order) - (a->order < b->order);
}

static int by_step(const void *x, const void *y)
{
	const struct delivery *a = x, *b = y;

	if (a->k != b->k)
		return a->k < b->k ? -1 : 1;
	if (a->cmd != b->cmd)
		return a->cmd < b->cmd ? -1 : 1;
	return strcmp(a->id, b->id);
}

struct tally {
	size_t deliveries, actions, twice, after_accept, unknown, steps_twice, after_kill;
};

static void tally(struct run *r, struct tally *t)
{
	memset(t, 0, sizeof(*t));
	t->deliveries = r->nd;
	qsort(r->d, r->nd, sizeof(*r->d), by_id);
	for (size_t i = 0; i < r->nd; i++) {
		const struct delivery *d = &r->d[i];
		bool first = i == 0 || strcmp(r->d[i - 1].id, d->id) != 0;
		if (d->cmd < 0) {
			t->unknown++;
			continue;
		}
		t->after_kill += d->after_kill;
		if (first) {
			t->actions++;
			continue;
		}
		t->twice++;
		/* a delivery after one whose result was accepted: the action was handed out again */
		for (size_t j = i; j-- > 0 && strcmp(r->d[j].id, d->id) == 0;)
			if (r->d[j].result == 202) {
				t->after_accept++;
				printf("# action %s delivered again after its result was accepted\n", d->id);
				break;
			}
	}
	qsort(r->d, r->nd, sizeof(*r->d), by_step);
	for (size_t i = 1; i < r->nd; i++) {
		const struct delivery *p = &r->d[i - 1], *d = &r->d[i];
		if (d->cmd >= 0 && p->k == d->k && p->cmd == d->cmd && strcmp(p->id, d->id) != 0) {
			t->steps_twice++;
			printf("# payload %ld: command %d came as two actions (%s, %s)\n", d->k, d->cmd, p->id, d->id);
		}
	}
}

/* ------------------------------------------------------------ the run */

static void run_init(struct run *r, const char *tag)
{
	memset(r, 0, sizeof(*r));
	pthread_mutex_init(&r->mu, NULL);
	snprintf(r->flow, sizeof(r->flow), "mlt_%s", tag);
	snprintf(r->src_name, sizeof(r->src_name), "MltSrc%s", tag);
	snprintf(r->work_name, sizeof(r->work_name), "MltWork%s", tag);
}

static void run_release(struct run *r)
{
	free(r->d);
	free(r->event_href);
	free(r->take_href);
	pthread_mutex_destroy(&r->mu);
}

/* Register the packs and the flow through the balancer; 0 or -1. */
static int run_prepare(struct run *r)
{
	char def[512], flow[1024];
	long st1, st2;
	struct flh_resp *resp;
	int rc;

	snprintf(def, sizeof(def), "{\"name\":\"%s\"}", r->src_name);
	resp = flh_post_json(NULL, flh_path("%s/v1/packs", mlt_balancer_url(g_lb)), def);
	st1 = resp->status;
	if (st1 == 201)
		r->event_href = strdup(flh_link_href(json_object_get(flh_resp_json(resp), "links"), "event"));
	flh_resp_free(resp);
	snprintf(def, sizeof(def),
		 "{\"name\":\"%s\",\"commands\":[{\"name\":\"StepOne\",\"leaseSeconds\":%d,\"maxAttempts\":20},"
		 "{\"name\":\"StepTwo\",\"leaseSeconds\":%d,\"maxAttempts\":20}]}",
		 r->work_name, LEASE_SEC, LEASE_SEC);
	resp = flh_post_json(NULL, flh_path("%s/v1/packs", mlt_balancer_url(g_lb)), def);
	st2 = resp->status;
	if (st2 == 201)
		r->take_href = strdup(flh_link_href(json_object_get(flh_resp_json(resp), "links"), "takeAction"));
	flh_resp_free(resp);
	snprintf(flow, sizeof(flow),
		 "{\"name\":\"%s\",\"steps\":["
		 "{\"id\":\"one\",\"event\":{\"packName\":\"%s\",\"name\":\"Go\"},"
		 "\"command\":{\"packName\":\"%s\",\"name\":\"StepOne\",\"input\":\"{{ Event.Payload.i }}\"}},"
		 "{\"id\":\"two\",\"dependsOn\":[\"one\"],\"event\":{\"packName\":\"%s\",\"name\":\"DoneOne\"},"
		 "\"command\":{\"packName\":\"%s\",\"name\":\"StepTwo\",\"input\":\"{{ Event.Payload.i }}\"}}]}",
		 r->flow, r->src_name, r->work_name, r->work_name, r->work_name);
	resp = flh_post_json(NULL, flh_path("%s/v1/flows", mlt_balancer_url(g_lb)), flow);
	rc = st1 == 201 && st2 == 201 && resp->status == 201 && r->event_href && r->take_href ? 0 : -1;
	if (rc) {
		printf("# registering through the balancer: source %ld, worker %ld, flow %ld\n", st1, st2, resp->status);
		flh_resp_print(resp);
	}
	flh_resp_free(resp);
	return rc;
}

/*
 * Load for load_ms (killing server `victim` after kill_after_ms when >= 0),
 * then wait until the run completed; the workers stop after that.  Returns
 * whether it completed; the last audit is in *a.
 */
static bool run_load(struct run *r, int load_ms, int victim, int kill_after_ms, struct audit_state *a)
{
	pthread_t senders[SENDERS], workers[WORKERS];
	int64_t start = flh_now_ms();
	bool ok;

	for (int i = 0; i < WORKERS; i++)
		if (pthread_create(&workers[i], NULL, worker_main, r) != 0)
			abort();
	for (int i = 0; i < SENDERS; i++)
		if (pthread_create(&senders[i], NULL, sender_main, r) != 0)
			abort();
	if (victim >= 0) {
		flh_sleep_ms(kill_after_ms);
		atomic_store(&r->killed, true);
		flh_server_kill(g_srv[victim]);
		printf("# killed server %d (port %d) with SIGKILL after %d ms of load\n", victim,
		       flh_server_port(g_srv[victim]), kill_after_ms);
	}
	while (flh_now_ms() - start < load_ms)
		flh_sleep_ms(50);
	atomic_store(&r->stop_send, true);
	for (int i = 0; i < SENDERS; i++)
		pthread_join(senders[i], NULL);
	FLH_WAIT_FOR(ok, COMPLETE_WAIT_MS, run_complete(r, a));
	atomic_store(&r->stop_work, true);
	for (int i = 0; i < WORKERS; i++)
		pthread_join(workers[i], NULL);
	/* nothing changes any more: this answer is the whole run */
	return ok && audit_complete(r, a);
}

/* Lines of a server's log saying that a lease ended and the action was offered again. */
static size_t lease_ends(struct flh_server *s)
{
	char *log = flh_server_log(s);
	size_t n = 0;

	for (const char *p = log; p && (p = strstr(p, "ended without a result; taken again")); p++)
		n++;
	free(log);
	return n;
}

static void report(const struct run *r, const struct audit_state *a, const struct tally *t)
{
	size_t acked = 0;

	for (long k = 0; k < MAX_EVENTS; k++)
		acked += r->acked[k];
	printf("# events sent %ld, acknowledged %zu, failed %ld; executions %zu (%zu complete); deliveries %zu of %zu "
	       "actions (%zu after the kill); takes failed %ld (%ld after the kill)\n",
	       atomic_load(&r->next_k) > MAX_EVENTS ? (long)MAX_EVENTS : atomic_load(&r->next_k), acked,
	       atomic_load(&r->send_failed), a->executions, a->complete, t->deliveries, t->actions, t->after_kill,
	       atomic_load(&r->take_failed), atomic_load(&r->take_failed_after_kill));
}

/* The assertions common to both runs. */
static void check_run(struct run *r, bool complete, struct audit_state *a, struct tally *t)
{
	size_t lost = 0, dup_exec = 0;

	tally(r, t);
	report(r, a, t);
	for (long k = 0; k < MAX_EVENTS; k++) {
		if (r->acked[k] && !a->per_k[k]) {
			if (!lost)
				printf("# acknowledged event %ld has no execution\n", k);
			lost++;
		}
		if (a->per_k[k] > 1)
			dup_exec++;
	}
	FLH_ASSERT_MSG(lost == 0, "%zu acknowledged events have no execution", lost);
	FLH_ASSERT_MSG(complete, "the run did not complete: %zu of %zu executions have both actions done (first "
				 "not: %s)", a->complete, a->executions, a->first_incomplete);
	FLH_EQ_INT(a->bad_k, 0);
	FLH_ASSERT_MSG(dup_exec == 0, "%zu events have more than one execution", dup_exec);
	FLH_EQ_INT(t->unknown, 0);
	FLH_ASSERT_MSG(t->steps_twice == 0, "%zu steps fired twice", t->steps_twice);
	FLH_ASSERT_MSG(t->after_accept == 0, "%zu actions delivered again after their result was accepted",
		       t->after_accept);
	/* every action of every execution reached a worker */
	FLH_EQ_INT(t->actions, 2 * a->executions);
}

FLT_TEST(load_through_the_balancer_delivers_each_action_once)
{
	static struct run r;
	static struct audit_state as;
	struct audit_state *a = &as;
	struct tally t;
	bool complete;

	setup();
	run_init(&r, "a");
	FLH_ASSERT(run_prepare(&r) == 0);
	complete = run_load(&r, 4000, -1, 0, a);
	check_run(&r, complete, a, &t);
	FLH_ASSERT_MSG(a->executions >= 100, "only %zu executions: the load did not run", a->executions);
	FLH_ASSERT_MSG(t.twice == 0, "%zu deliveries of actions delivered before", t.twice);
	run_release(&r);

}

FLT_TEST(kill_9_of_one_server_loses_nothing_acknowledged)
{
	static struct run r;
	static struct audit_state as;
	struct audit_state *a = &as;
	struct tally t;
	bool complete;

	setup();
	run_init(&r, "b");
	FLH_ASSERT(run_prepare(&r) == 0);
	complete = run_load(&r, 5000, SERVERS - 1, 2000, a);
	check_run(&r, complete, a, &t);
	/* the workers went on with the survivors */
	FLH_ASSERT_MSG(t.after_kill > 0, "no action was delivered after the kill");
	printf("# leases that ended without a result on the survivors (answers lost with the killed server): %zu\n",
	       lease_ends(g_srv[0]) + lease_ends(g_srv[1]));
	for (int i = 0; i < SERVERS - 1; i++) {
		struct flh_resp *h = flh_get(g_srv[i], "/health");
		FLH_STATUS(h, 200);
		flh_resp_free(h);
	}
	run_release(&r);

}

FLT_MAIN(load_through_the_balancer_delivers_each_action_once, kill_9_of_one_server_loses_nothing_acknowledged)
