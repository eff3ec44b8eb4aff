/* SPDX-License-Identifier: Apache-2.0 */
/*
 * kill_pack.c - kill -9 of a pack process that holds taken actions.
 *
 * Instance a of pack FpWorker (flyte-fault-pack in "hold" mode, a short
 * lease) takes HELD actions whose handlers never return.  While it lives,
 * its heartbeats keep the leases: after two leases' time the actions are
 * still PENDING and a's.  Instance b (the same pack with other
 * labels, "work" mode) is then started and a is killed with SIGKILL.  Every
 * held action must be taken again by b — the delay from the kill to b's take
 * is measured (the lease plus the server's reaction) and bounded — and
 * completed exactly once, by the next attempt.  A late result posted to a's
 * result link is then refused with 409 and shows in the action's
 * refusedResults, and the action keeps b's result.
 *
 * Short form: one round of 4 actions.  Long form (FLYTE_FAULT_LONG): 5
 * rounds of 16, and the delay bound is the lease + 1 s.
 */
#include "fl-common.h"

#include "fault-util.h"
#include "fltest.h"
#include "harness.h"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#define LEASE_SEC 2
#define FLOW                                                                                           \
	"{\"name\":\"fp\",\"steps\":[{\"id\":\"hold\",\"event\":{\"packName\":\"FpSrc\",\"name\":\"Go\"},"   \
	"\"command\":{\"packName\":\"FpWorker\",\"name\":\"Hold\",\"input\":\"{{ Event.Payload.i }}\"}}]}"

static struct flh_server *srv;
static char api_env[128];

/* The fp executions as an array (new reference). */
static json_t *executions(void)
{
	struct flh_resp *r = flh_get(srv, "/v1/audit/flows?flowName=fp&limit=1000");
	json_t *flows = json_incref(json_object_get(flh_resp_json(r), "flows"));

	flh_resp_free(r);
	return flows ? flows : json_array();
}

/* Number of hold actions in state `state`, last taken by `by`. */
static int count_actions(json_t *execs, const char *state, const char *by)
{
	json_t *e;
	size_t i;
	int n = 0;

	json_array_foreach(execs, i, e) {
		json_t *a = flh_json_get(e, "actions.hold"), *states = json_object_get(a, "states");
		const char *taker = NULL;
		json_t *s;
		size_t k;

		if (!a || strcmp(flh_json_str(a, "state.value") ? flh_json_str(a, "state.value") : "", state))
			continue;
		json_array_foreach(states, k, s)
			if (!strcmp(flh_json_str(s, "value") ? flh_json_str(s, "value") : "", "PENDING"))
				taker = flh_json_str(s, "takenBy");
		if (!taker || strcmp(taker, by))
			continue;
		n++;
	}
	return n;
}

/* Lines "taken ..." in a pack's output file. */
static int taken_lines(const char *log, const char *needle)
{
	char line[1024];
	int n = 0;
	FILE *f = fopen(log, "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "taken ", 6) && (!needle || strstr(line, needle)))
			n++;
	fclose(f);
	return n;
}

static pid_t start_pack(const char *mode, const char *labels, const char *log, int concurrency)
{
	char lease[64], lab[64], conc[16], *argv[4];
	const char *env[] = { api_env, lease, lab, NULL };
	pid_t pid;

	snprintf(lease, sizeof(lease), "FLYTE_LEASE_SECONDS=%d", LEASE_SEC);
	snprintf(lab, sizeof(lab), "FLYTE_LABELS=%s", labels);
	snprintf(conc, sizeof(conc), "%d", concurrency);
	argv[0] = (char *)"flyte-fault-pack";
	argv[1] = (char *)mode;
	argv[2] = conc;
	argv[3] = NULL;
	pid = fu_spawn(getenv("FLYTE_FAULT_PACK_BIN"), argv, env, log);
	FLH_ASSERT_MSG(pid > 0, "cannot start flyte-fault-pack");
	return pid;
}

static bool pack_registered(const char *id)
{
	struct flh_resp *r = flh_get(srv, flh_path("/v1/packs/%s", id));
	bool ok = r->status == 200;

	flh_resp_free(r);
	return ok;
}

/* One round: `held` actions held by a killed instance, redelivered to another. */
static void round_of(struct flh_pack *src, int round, int held, int64_t *max_delay, int *redelivered, int *refused)
{
	char alog[512], blog[512], alabels[64], blabels[64], aid[96], bid[96];
	json_t *execs, *e;
	int64_t kill_ms;
	pid_t a, b;
	size_t i;
	bool ok = false;
	int base = round * 1000;

	snprintf(alog, sizeof(alog), "%s/pack-a%d.log", flh_server_dir(srv), round);
	snprintf(blog, sizeof(blog), "%s/pack-b%d.log", flh_server_dir(srv), round);
	snprintf(alabels, sizeof(alabels), "instance=a%d", round);
	snprintf(blabels, sizeof(blabels), "instance=b%d", round);
	snprintf(aid, sizeof(aid), "FpWorker.instance.a%d", round);
	snprintf(bid, sizeof(bid), "FpWorker.instance.b%d", round);

	/* a takes every action and holds it */
	a = start_pack("hold", alabels, alog, held);
	FLH_WAIT_FOR(ok, FLH_WAIT_MS, pack_registered(aid));
	FLH_ASSERT_MSG(ok, "instance a did not register");
	for (int k = 0; k < held; k++)
		FLH_EQ_INT(flh_pack_event(src, "Go", flh_path("{\"i\":\"%d\"}", base + k)), 202);
	FLH_WAIT_FOR(ok, FLH_WAIT_MS, taken_lines(alog, NULL) == held);
	FLH_ASSERT_MSG(ok, "instance a took %d of %d actions", taken_lines(alog, NULL), held);

	/* two leases later they are still a's: its heartbeats keep them */
	flh_sleep_ms(2 * LEASE_SEC * 1000);
	execs = executions();
	FLH_EQ_INT(count_actions(execs, "PENDING", aid), held);
	json_decref(execs);

	/* b waits for work; a dies */
	b = start_pack("work", blabels, blog, held);
	FLH_WAIT_FOR(ok, FLH_WAIT_MS, pack_registered(bid));
	FLH_ASSERT_MSG(ok, "instance b did not register");
	flh_sleep_ms(300); /* its take is parked */
	FLH_EQ_INT(taken_lines(blog, NULL), 0);
	kill_ms = fu_wall_ms();
	FLH_EQ_INT(fu_kill9(a), 0);

	/* every held action is taken again by b and completed, once */
	FLH_WAIT_FOR(ok, FLH_WAIT_MS, taken_lines(blog, NULL) >= held);
	FLH_ASSERT_MSG(ok, "instance b took %d of %d held actions", taken_lines(blog, NULL), held);
	execs = NULL;
	FLH_WAIT_FOR(ok, FLH_WAIT_MS,
		     (json_decref(execs), execs = executions(), count_actions(execs, "SUCCESS", bid) == held));
	FLH_ASSERT_MSG(ok, "%d of %d held actions completed by b", count_actions(execs, "SUCCESS", bid), held);
	FLH_EQ_INT(taken_lines(blog, NULL), held); /* nothing ran twice on b */

	json_array_foreach(execs, i, e) {
		json_t *act = flh_json_get(e, "actions.hold"), *states = json_object_get(act, "states"), *s;
		int64_t taken_b = -1, delay, attempt_a = 0, attempt_b = 0;
		int successes = 0, expired = 0;
		size_t k;
		struct flh_resp *r;
		char link[512];
		const char *in = flh_json_str(act, "input");
		long n = in ? strtol(in, NULL, 10) : -1;

		if (n < base || n >= base + held)
			continue; /* an earlier round's */
		/* a's take (usually attempt 1; 2 when a take answer for it was not delivered), then b's */
		json_array_foreach(states, k, s) {
			const char *v = flh_json_str(s, "value"), *by = flh_json_str(s, "takenBy");
			if (!strcmp(v, "PENDING") && by && !strcmp(by, aid))
				attempt_a = json_integer_value(json_object_get(s, "attempt"));
			if (!strcmp(v, "PENDING") && by && !strcmp(by, bid)) {
				attempt_b = json_integer_value(json_object_get(s, "attempt"));
				taken_b = fu_time_ms(flh_json_str(s, "time"));
			}
			successes += !strcmp(v, "SUCCESS");
			expired += !strcmp(v, "NEW") && flh_json_str(s, "reason") &&
				   !strcmp(flh_json_str(s, "reason"), "lease expired");
		}
		FLH_EQ_INT(successes, 1);
		FLH_EQ_INT(expired, 1);
		FLH_ASSERT(attempt_a >= 1 && taken_b > 0);
		FLH_EQ_INT(attempt_b, attempt_a + 1);
		FLH_EQ_INT(json_integer_value(json_object_get(act, "attempt")), attempt_b);
		delay = taken_b - kill_ms;
		if (delay > *max_delay)
			*max_delay = delay;
		(*redelivered)++;
		/* b's result, of its attempt */
		FLH_EQ_INT(json_integer_value(flh_json_get(act, "result.payload.attempt")), attempt_b);

		/* a's late result on its link: 409, recorded, not applied */
		snprintf(link, sizeof(link), "/v1/packs/%s/actions/%s/result?attempt=%lld", aid, flh_json_str(act, "id"),
			 (long long)attempt_a);
		r = flh_post_json(srv, link, "{\"event\":\"Done\",\"payload\":{\"late\":true}}");
		FLH_ERROR(r, 409);
		flh_resp_free(r);
		(*refused)++;
	}
	json_decref(execs);
	FLH_EQ_INT(*redelivered, (round + 1) * held);

	/* the audit shows the refused results; the actions keep b's result */
	execs = executions();
	json_array_foreach(execs, i, e) {
		json_t *act = flh_json_get(e, "actions.hold");
		const char *in = flh_json_str(act, "input");
		long n = in ? strtol(in, NULL, 10) : -1;

		if (n < base || n >= base + held)
			continue;
		FLH_EQ_STR(flh_json_str(act, "state.value"), "SUCCESS");
		FLH_EQ_INT(json_array_size(json_object_get(act, "refusedResults")), 1);
		FLH_EQ_INT(json_integer_value(flh_json_get(act, "refusedResults.0.attempt")),
			   json_integer_value(json_object_get(act, "attempt")) - 1);
		FLH_ASSERT(json_object_get(flh_json_get(act, "result.payload"), "late") == NULL);
	}
	json_decref(execs);
	FLH_EQ_INT(fu_stop(b, 10000), 0);
}

FLT_TEST(killed_pack_actions_are_redelivered)
{
	int rounds = fu_long() ? 5 : 1, held = fu_long() ? 16 : 4, redelivered = 0, refused = 0;
	int64_t max_delay = 0, bound;
	struct flh_pack src = { 0 };
	struct flh_resp *r;

	FLH_ASSERT_MSG(getenv("FLYTE_FAULT_PACK_BIN"), "FLYTE_FAULT_PACK_BIN is not set");
	FLH_ASSERT(flh_server_start(&srv, NULL) == 0);
	snprintf(api_env, sizeof(api_env), "FLYTE_API=%s", flh_server_url(srv));
	r = flh_post_json(srv, "/v1/flows", FLOW);
	FLH_STATUS(r, 201);
	flh_resp_free(r);
	FLH_EQ_INT(flh_pack_register(&src, srv, "{\"name\":\"FpSrc\"}"), 201);
	for (int k = 0; k < rounds; k++)
		round_of(&src, k, held, &max_delay, &redelivered, &refused);
	flh_pack_release(&src);
	fu_figures("kill-pack", "kills=%d held=%d redelivered=%d completed_once=%d late_results_refused=%d lost=0 "
		   "max_redelivery_delay_ms=%lld (lease %d s)",
		   rounds, rounds * held, redelivered, redelivered, refused, (long long)max_delay, LEASE_SEC);
	/* The lease ends at most one lease after a's last heartbeat, before the kill. */
	bound = LEASE_SEC * 1000 + (fu_long() ? 1000 : 5000);
	FLH_ASSERT_MSG(max_delay <= bound, "redelivery took %lld ms, more than %lld ms", (long long)max_delay,
		       (long long)bound);
	flh_server_free(srv);
	srv = NULL;
}

FLT_MAIN(killed_pack_actions_are_redelivered)
