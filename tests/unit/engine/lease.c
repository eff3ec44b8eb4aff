/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of the lease state machine of the engine (writer.c) against a
 * real SQLite file: a take of a command with a lease, heartbeats that
 * extend it, a lease that ends (the action goes back to NEW and to a
 * waiting take with attempt + 1), the last attempt (FATAL, and the flow
 * reacts to it as to a pack's FATAL), a late result from an attempt that
 * lost the action (refused, recorded in the audit), the same result twice
 * (applied once), the server's default lease, and leases across a restart.
 *
 * Leases are whole seconds, so the tests wait on conditions (a parked take
 * being answered, a state appearing in the audit) with generous guards and
 * never assert how long something took.
 */
#include "fl-common.h"

#include <jansson.h>
#include <unistd.h>

#include "drive.h"
#include "engine/engine.h"
#include "error.h"
#include "fltest.h"
#include "timeutil.h"

#define GUARD_MS 20000 /* longest wait for something that must happen */

/* An engine on the test database; lease_sec / max_attempts are the server defaults. */
static struct fl_engine *open_engine(int64_t lease_sec, int64_t max_attempts)
{
	struct fl_engine_config cfg;

	fl_engine_config_default(&cfg);
	cfg.lease_sec = lease_sec;
	cfg.max_attempts = max_attempts;
	return fld_open(&cfg);
}

/* A taken action. */
struct taken {
	char id[32];
	char command[32];
	int64_t attempt;
	int64_t lease_until; /* ns, 0 = none */
	json_t *input;
};

/* Take (waiting up to wait_ms); returns the code, *got tells whether an action came. */
static int take(struct fl_engine *eng, const char *pack, const char *cmd, int wait_ms, struct taken *t, bool *got)
{
	json_t *a = NULL;
	int rc = fld_take(eng, pack, cmd, wait_ms, &a);

	*got = a != NULL;
	memset(t, 0, sizeof(*t));
	if (a) {
		snprintf(t->id, sizeof(t->id), "%s", json_string_value(json_object_get(a, "id")));
		snprintf(t->command, sizeof(t->command), "%s", json_string_value(json_object_get(a, "command")));
		t->attempt = json_integer_value(json_object_get(a, "attempt"));
		t->lease_until = json_integer_value(json_object_get(a, "leaseUntil"));
		t->input = json_incref(json_object_get(a, "input"));
	}
	json_decref(a);
	return rc;
}

/* An action must come within the guard (a parked take is answered when a lease ends). */
static void take_one(struct fl_engine *eng, const char *pack, const char *cmd, struct taken *t)
{
	int64_t until = fl_time_mono_ns() + (int64_t)GUARD_MS * FL_NS_PER_MS;
	bool got = false;

	while (!got && fl_time_mono_ns() < until) {
		int rc = take(eng, pack, cmd, 5000, t, &got);
		if (rc != FL_OK)
			FLT_FAIL("take failed: %d", rc);
	}
	if (!got)
		FLT_FAIL("no action for '%s' within %d ms", pack, GUARD_MS);
}

/* t's lease ended: the same action is taken again (command cmd of Worker), as attempt `attempt`. */
static void taken_again(struct fl_engine *eng, const char *cmd, const struct taken *t, struct taken *t2,
			int64_t attempt)
{
	take_one(eng, "Worker", cmd, t2);
	FLT_EQ_STR(t2->id, t->id);
	FLT_EQ_INT(t2->attempt, attempt);
}

static void no_action(struct fl_engine *eng, const char *pack, const char *cmd)
{
	struct taken t;
	bool got = true;

	FLT_EQ_INT(take(eng, pack, cmd, 0, &t, &got), FL_OK);
	json_decref(t.input);
	FLT_ASSERT(!got);
}

/* Heartbeat; *lease_until gets the new lease end (ns) on success. */
static int heartbeat(struct fl_engine *eng, const char *pack, const char *action, int64_t attempt,
		     int64_t *lease_until, char *msg, size_t msglen)
{
	struct fld_res r;
	int rc;

	fld_res_init(&r);
	rc = fl_engine_action_heartbeat(eng, pack, action, attempt, fld_on_done, &r);
	if (rc != FL_OK)
		FLT_FAIL("heartbeat returned %d", rc);
	fld_await(&r);
	rc = r.code;
	if (lease_until)
		*lease_until = r.body ? json_integer_value(json_object_get(r.body, "leaseUntil")) : 0;
	if (!rc)
		FLT_EQ_INT(json_integer_value(json_object_get(r.body, "attempt")), attempt);
	if (msg)
		snprintf(msg, msglen, "%s", r.msg);
	fld_res_release(&r);
	return rc;
}

/* The audit action of step `step` in the only execution of `flow` (new reference). */
static json_t *audit_action(struct fl_engine *eng, const char *flow, const char *step)
{
	struct fl_error err = FL_ERROR_INIT;
	struct fl_audit_filter f = { .flow_name = flow, .limit = 10 };
	json_t *list = NULL, *a;

	if (fl_engine_audit_list(eng, &f, &list, &err) != FL_OK)
		FLT_FAIL("audit: %s", err.msg);
	if (json_array_size(list) != 1) {
		size_t n = json_array_size(list);
		json_decref(list);
		FLT_FAIL("flow '%s' has %zu executions, expected 1", flow, n);
	}
	a = json_incref(json_object_get(json_object_get(json_array_get(list, 0), "actions"), step));
	json_decref(list);
	return a;
}

static const char *state_of(json_t *action)
{
	return json_string_value(json_object_get(json_object_get(action, "state"), "value"));
}

/* Number of entries of the action's states with this value (and reason, when given). */
static int count_states(json_t *action, const char *value, const char *reason)
{
	json_t *s;
	size_t i;
	int n = 0;

	json_array_foreach(json_object_get(action, "states"), i, s) {
		const char *v = json_string_value(json_object_get(s, "value"));
		const char *why = json_string_value(json_object_get(s, "reason"));
		if (v && !strcmp(v, value) && (!reason || (why && !strcmp(why, reason))))
			n++;
	}
	return n;
}

/*
 * Worker's command Job (lease 1 s, 2 attempts) runs for Src/Go; its Done
 * result runs Report; a FATAL of Job runs Cleanup.  Command Free declares
 * no lease.
 */
#define WORKER                                                                                         \
	"{\"name\":\"Worker\",\"commands\":[{\"name\":\"Job\",\"events\":[\"Done\"],\"leaseSeconds\":1,"    \
	"\"maxAttempts\":2},{\"name\":\"Report\",\"events\":[\"Done\"]},{\"name\":\"Cleanup\"},"            \
	"{\"name\":\"Free\",\"events\":[\"Done\"]}]}"
#define FLOW                                                                                              \
	"{\"name\":\"lf\",\"steps\":["                                                                    \
	"{\"id\":\"job\",\"event\":{\"name\":\"Go\",\"packName\":\"Src\"},"                               \
	"\"command\":{\"name\":\"Job\",\"packName\":\"Worker\",\"input\":\"{{ Event.Payload.n }}\"}},"     \
	"{\"id\":\"report\",\"dependsOn\":[\"job\"],\"event\":{\"name\":\"Done\",\"packName\":\"Worker\"}," \
	"\"command\":{\"name\":\"Report\",\"packName\":\"Worker\",\"input\":\"{{ Event.Payload.by }}\"}},"    \
	"{\"id\":\"cleanup\",\"dependsOn\":[\"job\"],\"event\":{\"name\":\"FATAL\",\"packName\":\"Worker\"},"  \
	"\"command\":{\"name\":\"Cleanup\",\"packName\":\"Worker\",\"input\":\"{{ Event.Payload.attempts }}\"}}]}"

static struct fl_engine *setup(int64_t lease_sec)
{
	struct fl_engine *eng;

	fld_tmp_setup("fl-lease");
	eng = open_engine(lease_sec, 3);
	fld_must(eng, FLD_REGISTER, NULL, "{\"name\":\"Src\"}");
	fld_must(eng, FLD_REGISTER, NULL, WORKER);
	fld_must(eng, FLD_REGISTER, NULL, "{\"name\":\"Other\",\"commands\":[{\"name\":\"Job\",\"leaseSeconds\":1}]}");
	fld_must(eng, FLD_FLOW, NULL, FLOW);
	return eng;
}

/* ------------------------------------------------------------- tests */

FLT_TEST(take_holds_the_action_for_its_lease)
{
	struct fl_engine *eng = setup(0);
	struct taken t, t2;
	int64_t before = fl_time_now_ns();
	json_t *a;

	fld_must(eng, FLD_EVENT, "Src", "{\"event\":\"Go\",\"payload\":{\"n\":\"1\"}}");
	take_one(eng, "Worker", "Job", &t);
	FLT_EQ_INT(t.attempt, 1);
	FLT_ASSERT(t.lease_until > before);
	a = audit_action(eng, "lf", "job");
	FLT_EQ_STR(state_of(a), "PENDING");
	FLT_ASSERT(json_is_string(json_object_get(a, "leaseUntil")));
	FLT_EQ_INT(json_integer_value(json_object_get(a, "attempt")), 1);
	json_decref(a);
	/* while it holds, nobody else gets it */
	no_action(eng, "Worker", "Job");
	/* the lease ends: a waiting take gets it again, as attempt 2 */
	taken_again(eng, "Job", &t, &t2, 2);
	FLT_ASSERT(t2.lease_until > t.lease_until);
	a = audit_action(eng, "lf", "job");
	/* NEW, PENDING (1), NEW "lease expired", PENDING (2) */
	FLT_EQ_INT(json_array_size(json_object_get(a, "states")), 4);
	FLT_EQ_INT(count_states(a, "NEW", "lease expired"), 1);
	FLT_EQ_INT(json_integer_value(json_object_get(json_array_get(json_object_get(a, "states"), 1), "attempt")), 1);
	FLT_EQ_INT(json_integer_value(json_object_get(json_array_get(json_object_get(a, "states"), 3), "attempt")), 2);
	/* who took it, each time */
	FLT_EQ_STR(json_string_value(json_object_get(json_array_get(json_object_get(a, "states"), 1), "takenBy")), "Worker");
	FLT_EQ_STR(json_string_value(json_object_get(json_array_get(json_object_get(a, "states"), 3), "takenBy")), "Worker");
	json_decref(a);
	json_decref(t.input);
	json_decref(t2.input);
	fld_finish(eng);
}

FLT_TEST(heartbeats_extend_the_lease)
{
	struct fl_engine *eng = setup(0);
	struct taken t, t2;
	int64_t lease = 0, prev, first_end;
	char msg[256];
	json_t *a;

	fld_must(eng, FLD_EVENT, "Src", "{\"event\":\"Go\",\"payload\":{\"n\":\"2\"}}");
	take_one(eng, "Worker", "Job", &t);
	prev = first_end = t.lease_until;
	/* heartbeats until well past the end of the first lease: the lease moves on */
	while (fl_time_now_ns() < first_end + 2 * FL_NS_PER_SEC) {
		FLT_EQ_INT(heartbeat(eng, "Worker", t.id, 1, &lease, NULL, 0), FL_OK);
		FLT_ASSERT(lease >= prev);
		prev = lease;
		usleep(200000);
	}
	FLT_ASSERT(lease > first_end);
	a = audit_action(eng, "lf", "job");
	FLT_EQ_STR(state_of(a), "PENDING");
	FLT_EQ_INT(json_integer_value(json_object_get(a, "attempt")), 1);
	FLT_EQ_INT(count_states(a, "NEW", "lease expired"), 0);
	json_decref(a);
	no_action(eng, "Worker", "Job");

	/* wrong attempt, another pack's action, unknown action */
	FLT_EQ_INT(heartbeat(eng, "Worker", t.id, 2, NULL, msg, sizeof(msg)), FL_ECONFLICT);
	FLT_ASSERT(strstr(msg, "no longer holds"));
	FLT_EQ_INT(heartbeat(eng, "Other", t.id, 1, NULL, NULL, 0), FL_EFORBIDDEN);
	FLT_EQ_INT(heartbeat(eng, "Worker", "0123456789abcdef01234567", 1, NULL, NULL, 0), FL_ENOTFOUND);
	FLT_EQ_INT(heartbeat(eng, "Ghost", t.id, 1, NULL, NULL, 0), FL_ENOTFOUND);

	/* no more heartbeats: the lease ends and the action is taken again */
	taken_again(eng, "Job", &t, &t2, 2);
	/* the old attempt's heartbeats are refused now */
	FLT_EQ_INT(heartbeat(eng, "Worker", t.id, 1, NULL, msg, sizeof(msg)), FL_ECONFLICT);
	json_decref(t.input);
	json_decref(t2.input);
	fld_finish(eng);
}

FLT_TEST(late_result_is_refused_and_recorded)
{
	struct fl_engine *eng = setup(0);
	struct taken t, t2, r;
	char msg[256];
	json_t *a, *ref;

	fld_must(eng, FLD_EVENT, "Src", "{\"event\":\"Go\",\"payload\":{\"n\":\"3\"}}");
	take_one(eng, "Worker", "Job", &t);
	take_one(eng, "Worker", "Job", &t2); /* after the first lease ended */
	FLT_EQ_INT(t2.attempt, 2);
	/* the first attempt comes back with its result: refused, recorded, not applied */
	FLT_EQ_INT(fld_result(eng, "Worker", t.id, 1, "{\"event\":\"Done\",\"payload\":{\"by\":1}}", msg, sizeof(msg)),
		   FL_ECONFLICT);
	FLT_ASSERT(strstr(msg, "no longer holds"));
	a = audit_action(eng, "lf", "job");
	FLT_EQ_STR(state_of(a), "PENDING");
	ref = json_object_get(a, "refusedResults");
	FLT_EQ_INT(json_array_size(ref), 1);
	FLT_EQ_INT(json_integer_value(json_object_get(json_array_get(ref, 0), "attempt")), 1);
	FLT_EQ_STR(json_string_value(json_object_get(json_array_get(ref, 0), "event")), "Done");
	FLT_ASSERT(json_string_value(json_object_get(json_array_get(ref, 0), "reason")) != NULL);
	json_decref(a);
	no_action(eng, "Worker", "Report"); /* the flow did not move */

	/* the current attempt completes it; the same result again is applied once */
	FLT_EQ_INT(fld_result(eng, "Worker", t2.id, 2, "{\"event\":\"Done\",\"payload\":{\"by\":\"two\"}}", NULL, 0), FL_OK);
	FLT_EQ_INT(fld_result(eng, "Worker", t2.id, 2, "{\"event\":\"Done\",\"payload\":{\"by\":\"two\"}}", NULL, 0), FL_OK);
	a = audit_action(eng, "lf", "job");
	FLT_EQ_STR(state_of(a), "SUCCESS");
	FLT_EQ_INT(count_states(a, "SUCCESS", NULL), 1);
	FLT_EQ_INT(json_array_size(json_object_get(a, "refusedResults")), 1);
	json_decref(a);
	/* the next step fired once */
	take_one(eng, "Worker", "Report", &r);
	FLT_EQ_STR(json_string_value(r.input), "two");
	no_action(eng, "Worker", "Report");
	/* the old attempt, once more after completion: still refused */
	FLT_EQ_INT(fld_result(eng, "Worker", t.id, 1, "{\"event\":\"Done\",\"payload\":{\"by\":1}}", NULL, 0),
		   FL_ECONFLICT);
	a = audit_action(eng, "lf", "job");
	FLT_EQ_INT(json_array_size(json_object_get(a, "refusedResults")), 2);
	json_decref(a);
	json_decref(t.input);
	json_decref(t2.input);
	json_decref(r.input);
	fld_finish(eng);
}

FLT_TEST(last_attempt_ends_fatal_and_the_flow_reacts)
{
	struct fl_engine *eng = setup(0);
	struct taken t, t2, c;
	struct fld_res wait;
	json_t *a, *res;
	bool done = false;

	fld_must(eng, FLD_EVENT, "Src", "{\"event\":\"Go\",\"payload\":{\"n\":\"4\"}}");
	take_one(eng, "Worker", "Job", &t);
	take_one(eng, "Worker", "Job", &t2);
	FLT_EQ_INT(t2.attempt, 2); /* maxAttempts: 2 */
	/* the second lease ends too: no third take, the action fails and Cleanup runs */
	take_one(eng, "Worker", "Cleanup", &c);
	/* numbers of payloads render as the original's (Go float64): "2.000000" */
	FLT_ASSERT(json_is_string(c.input) && strtod(json_string_value(c.input), NULL) == 2.0);
	a = audit_action(eng, "lf", "job");
	FLT_EQ_STR(state_of(a), "FATAL");
	res = json_object_get(a, "result");
	FLT_EQ_STR(json_string_value(json_object_get(res, "event")), "FATAL");
	FLT_EQ_INT(json_integer_value(json_object_get(json_object_get(res, "payload"), "attempts")), 2);
	FLT_EQ_INT(json_integer_value(json_object_get(json_object_get(res, "payload"), "maxAttempts")), 2);
	FLT_ASSERT(json_is_string(json_object_get(json_object_get(res, "payload"), "error")));
	FLT_EQ_INT(count_states(a, "NEW", "lease expired"), 1);
	json_decref(a);
	no_action(eng, "Worker", "Job");
	no_action(eng, "Worker", "Report");
	/* a result from the last attempt after that is refused */
	FLT_EQ_INT(fld_result(eng, "Worker", t2.id, 2, "{\"event\":\"Done\"}", NULL, 0), FL_ECONFLICT);
	/* and a parked take is not answered with the failed action */
	fld_res_init(&wait);
	FLT_EQ_INT(fl_engine_action_take(eng, "Worker", "Job", 300, fld_on_done, &wait), FL_OK);
	fld_await(&wait);
	done = wait.body == NULL;
	fld_res_release(&wait);
	FLT_ASSERT(done);
	json_decref(t.input);
	json_decref(t2.input);
	json_decref(c.input);
	fld_finish(eng);
}

FLT_TEST(server_default_lease_applies_to_undeclared_commands)
{
	struct fl_engine *eng;
	struct taken t, t2;

	/* no default: a command without leaseSeconds is held until its result */
	eng = setup(0);
	fld_must(eng, FLD_FLOW, NULL,
	     "{\"name\":\"ff\",\"steps\":[{\"id\":\"free\",\"event\":{\"name\":\"Free\",\"packName\":\"Src\"},"
	     "\"command\":{\"name\":\"Free\",\"packName\":\"Worker\"}}]}");
	fld_must(eng, FLD_EVENT, "Src", "{\"event\":\"Free\"}");
	take_one(eng, "Worker", "Free", &t);
	FLT_EQ_INT(t.attempt, 1);
	FLT_EQ_INT(t.lease_until, 0);
	json_decref(t.input);
	fld_finish(eng);

	/* the server's default lease (1 s) applies */
	eng = setup(1);
	fld_must(eng, FLD_FLOW, NULL,
	     "{\"name\":\"ff\",\"steps\":[{\"id\":\"free\",\"event\":{\"name\":\"Free\",\"packName\":\"Src\"},"
	     "\"command\":{\"name\":\"Free\",\"packName\":\"Worker\"}}]}");
	fld_must(eng, FLD_EVENT, "Src", "{\"event\":\"Free\"}");
	take_one(eng, "Worker", "Free", &t);
	FLT_ASSERT(t.lease_until > 0);
	taken_again(eng, "Free", &t, &t2, 2);
	json_decref(t.input);
	json_decref(t2.input);
	fld_finish(eng);
}

FLT_TEST(leases_survive_a_restart)
{
	struct fl_engine *eng = setup(0);
	struct taken t, t2;

	fld_must(eng, FLD_EVENT, "Src", "{\"event\":\"Go\",\"payload\":{\"n\":\"6\"}}");
	take_one(eng, "Worker", "Job", &t);
	fl_engine_free(eng);
	/* the engine comes back on the same database: the lease still ends and redelivers */
	eng = open_engine(0, 3);
	taken_again(eng, "Job", &t, &t2, 2);
	FLT_EQ_INT(fld_result(eng, "Worker", t2.id, 2, "{\"event\":\"Done\",\"payload\":{\"by\":\"two\"}}", NULL, 0), FL_OK);
	json_decref(t.input);
	json_decref(t2.input);
	fld_finish(eng);
}

#ifdef FL_FAULT_INJECTION
/*
 * The lease job fails (the store cannot list ended leases) while nothing
 * else happens: once the store works again the action must still be
 * taken again.  A failed lease job used to stop lease handling until the
 * next take with a lease.
 */
FLT_TEST(a_failed_lease_job_runs_again)
{
	struct fl_engine *eng;
	struct taken t, t2;
	char rules[300], env[320];
	FILE *f;

	fld_tmp_setup("fl-lease");
	snprintf(rules, sizeof(rules), "%s/faults", fld_tmp.path);
	snprintf(env, sizeof(env), "@%s", rules);
	setenv("FLYTE_STORE_FAULTS", env, 1);
	eng = open_engine(0, 3);
	fld_must(eng, FLD_REGISTER, NULL, "{\"name\":\"Src\"}");
	fld_must(eng, FLD_REGISTER, NULL, WORKER);
	fld_must(eng, FLD_FLOW, NULL, FLOW);
	fld_must(eng, FLD_EVENT, "Src", "{\"event\":\"Go\",\"payload\":{\"n\":\"7\"}}");
	take_one(eng, "Worker", "Job", &t);
	f = fopen(rules, "w");
	FLT_ASSERT(f != NULL);
	fputs("action_lease_expired eio\n", f);
	fclose(f);
	/* the lease ends and its job fails, with nobody taking or beating meanwhile */
	while (fl_time_now_ns() < t.lease_until + 1500 * FL_NS_PER_MS)
		usleep(50000);
	unlink(rules);
	usleep(100000);
	taken_again(eng, "Job", &t, &t2, 2);
	json_decref(t.input);
	json_decref(t2.input);
	fl_engine_free(eng);
	unsetenv("FLYTE_STORE_FAULTS");
	fld_tmp_cleanup();
}
#define FAULT_CASES , a_failed_lease_job_runs_again
#else
#define FAULT_CASES
#endif

FLT_MAIN(take_holds_the_action_for_its_lease, heartbeats_extend_the_lease, late_result_is_refused_and_recorded,
	 last_attempt_ends_fatal_and_the_flow_reacts, server_default_lease_applies_to_undeclared_commands,
	 leases_survive_a_restart FAULT_CASES)
