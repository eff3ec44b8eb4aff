/* SPDX-License-Identifier: Apache-2.0 */
/*
 * inject.c - injected I/O errors on every kind of store call (builds with
 * -Dfault_injection=true; FLYTE_STORE_FAULTS names a rule file the server
 * reads again whenever it changes).
 *
 * every_store_operation: for each operation of the store interface (the
 * list comes from FL_STORE_OPS, so a new operation is covered by itself),
 * the rule "<op> eio" is set and a workload that touches the whole API runs:
 * health, packs, flows, events, take, heartbeat, result, a refused result, a
 * result for an unknown action, datastore, audit, deletions.  Every answer
 * must be the request's normal one or 503 with a JSON error - nothing else,
 * and never a 2xx for a write that was not committed (every write answered
 * 2xx is checked at the end, and again after kill -9 and a restart).  When
 * the operation is a write, every read must still be answered 200.  Then
 * the rule is removed and the same workload must get only normal answers,
 * without a restart.  Operations no request reaches (the lease job, the
 * lastSeen flush, the reload after a failed batch) are driven to run while
 * the rule holds - a taken action whose lease ends, a failed commit - and
 * must recover too: the action whose lease ended is taken again once the
 * fault is gone.  An operation counts as hit when a 503 names it or the
 * server log does; every one must be hit, except the two that the server
 * never calls through the store interface (migrate and schema_version: the
 * driver migrates inside open).  Then "write enospc" (a full disk on every
 * write), "* eio" (every call, reads included) and "commit eio nth=2" (a
 * commit in the middle of a stream).
 *
 * expiry_failures (run first): the expiry job (first run 5 s after start)
 * failing in each of its three phases, on three servers at once; each
 * keeps serving and takes writes.
 *
 * Figures: operations, hit, requests, 503 answers, writes acknowledged and
 * found, recoveries.
 */
#include "fl-common.h"

#include "api-util.h"
#include "fault-util.h"
#include "fltest.h"
#include "harness.h"
#include "fsutil.h"
#include "store/store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#define LEASE_SEC 2
#define MAX_ACKED 4096

#define FLOW                                                                                             \
	"{\"name\":\"ij\",\"steps\":["                                                                      \
	"{\"id\":\"job\",\"event\":{\"packName\":\"IjSrc\",\"name\":\"Go\"},"                               \
	"\"command\":{\"packName\":\"IjWorker\",\"name\":\"Job\",\"input\":\"{{ Event.Payload.i }}\"}},"     \
	"{\"id\":\"next\",\"dependsOn\":[\"job\"],\"event\":{\"packName\":\"IjWorker\",\"name\":\"Done\"},"  \
	"\"command\":{\"packName\":\"IjWorker\",\"name\":\"Next\",\"input\":\"{{ Event.Payload }}\"}}]}"
#define WORKER                                                                                           \
	"{\"name\":\"IjWorker\",\"commands\":[{\"name\":\"Job\",\"events\":[\"Done\"],\"leaseSeconds\":2},"  \
	"{\"name\":\"Next\",\"events\":[\"Done\"],\"leaseSeconds\":2}]}"

static const struct {
	const char *name;
	enum fl_store_op_class cls;
} ops[] = {
#define OP_ROW(op, name, cls) { name, cls },
	FL_STORE_OPS(OP_ROW)
#undef OP_ROW
};

/* Run only by the expiry job, 5 s after a start: the expiry_failures case covers them. */
static bool is_expire_op(const char *op)
{
	return !strncmp(op, "expire_", 7);
}

/*
 * Not counted as hit: called only inside the driver's open, not through the
 * store interface (migrate, schema_version); a cleanup whose failure the
 * server ignores by design, so nothing can show it (rollback: the next
 * begin abandons the transaction it left) - the workload staying normal
 * during and after its fault is the check.  The operations only several
 * servers on one PostgreSQL database call (pack_delete_stale, try_lock,
 * changes) are not reached by this single server on SQLite.
 */
static const char *const unreachable[] = { "migrate", "schema_version", "rollback",
					   "pack_delete_stale", "try_lock", "changes" };

static struct flh_server *srv;
static struct flh_pack src, worker;
static char rules_path[600];
static char done_link[512]; /* result link of an action completed in setup */
static char done_corr[64];

/* What the workload got acknowledged, checked at the end. */
static int acked_events[MAX_ACKED], n_events;
static char acked_packs[MAX_ACKED][64];
static int n_packs;
static int next_id;
static long requests, answered_503;
static bool hit[FL_ARRAY_LEN(ops)];

static void set_rules(const char *text)
{
	FILE *f = fopen(rules_path, "w");

	FLH_ASSERT(f != NULL);
	fputs(text, f);
	fclose(f);
	flh_sleep_ms(60); /* the server looks at the file every 20 ms at most */
}

/* Mark the operations a message names ("... store operation 'x'"). */
static void note_hits(const char *text)
{
	for (size_t i = 0; text && i < FL_ARRAY_LEN(ops); i++) {
		char needle[64];
		snprintf(needle, sizeof(needle), "store operation '%s'", ops[i].name);
		if (strstr(text, needle))
			hit[i] = true;
	}
}

static void note_log_hits(void)
{
	char *log = flh_server_log(srv);
	note_hits(log);
	free(log);
}

/*
 * Check one answer: `ok` (or `ok2` when not 0), or 503 with a JSON error
 * when faults are on and the request may touch the store.  Returns the
 * status; frees r.
 */
static struct flh_resp *kept;

/* Let answer() leave this response to the caller. */
static struct flh_resp *r_keep(struct flh_resp *r)
{
	kept = r;
	return r;
}

static void done_with(struct flh_resp *r)
{
	if (r == kept)
		kept = NULL;
	else
		flh_resp_free(r);
}

static long answer(struct flh_resp *r, bool faulty, bool is_read, const enum fl_store_op_class *cls, long ok,
		   long ok2)
{
	long st = r->status;

	requests++;
	if (st == ok || (ok2 && st == ok2)) {
		done_with(r);
		return st;
	}
	if (st == 503 && faulty && !(is_read && cls && *cls == FL_STORE_WRITE)) {
		FLH_ERROR(r, 503);
		note_hits(r->body);
		answered_503++;
		done_with(r);
		return st;
	}
	flh_resp_print(r);
	if (st == 503 && is_read)
		FLH_FAIL("a read was refused while only writes failed");
	FLH_FAIL("unexpected answer %ld (expected %ld%s)", st, ok, faulty ? " or 503" : "");
	return st;
}

/*
 * After a fault the engine rebuilds its state from the store; until it has,
 * /health answers 503 and so do writes.  Wait for it (bounded).
 */
static void wait_healthy(void)
{
	for (int t = 0; t < 100; t++) {
		struct flh_resp *r = flh_get(srv, "/health");
		long st = r->status;

		flh_resp_free(r);
		if (st == 200)
			return;
		FLH_ASSERT_MSG(st == 503, "/health answered %ld", st);
		flh_sleep_ms(50);
	}
	FLH_FAIL("the server did not recover within 5 s of the fault ending");
}

/* Print what the server holds for the flow (a diagnostic), then fail. */
static void dump_state(const char *why)
{
	struct flh_resp *r = flh_get(srv, "/v1/audit/flows?flowName=ij&limit=3");

	flh_resp_print(r);
	flh_resp_free(r);
	FLH_FAIL("%s", why);
}

/* The heartbeat link of a result link. */
static const char *heartbeat_of(const char *result_link)
{
	static char hb[600];
	const char *q = strstr(result_link, "/result");

	FLH_ASSERT(q != NULL);
	snprintf(hb, sizeof(hb), "%.*s/heartbeat%s", (int)(q - result_link), result_link, q + 7);
	return hb;
}

/* PUT a datastore item (multipart), keeping the answer. */
static struct flh_resp *put_item(const char *key)
{
	struct flh_part part = { .name = "value", .data = "value", .len = 5, .filename = "value", .type = "text/plain" };
	struct flh_req req = { 0 };

	req.method = "PUT";
	req.url = flh_path("/v1/datastore/%s", key);
	req.parts = &part;
	req.nparts = 1;
	return flh_http(srv, &req);
}

/* An action whose lease is left to end; set when a take (any) gets it again. */
static const char *watch_id;
static bool watch_taken;

/* One round over the API.  `cls`: class of the failing operation (NULL: none or several). */
static void workload(bool faulty, const enum fl_store_op_class *cls)
{
	int id = next_id++;
	char name[64], link[512];
	long st;

#define A(resp, read, ok, ok2) answer((resp), faulty, (read), cls, (ok), (ok2))
	A(flh_get(srv, "/health"), true, 200, 0);
	A(flh_get(srv, "/v1"), true, 200, 0);
	A(flh_get(srv, "/v1/packs"), true, 200, 0);
	A(flh_get(srv, "/v1/packs/IjWorker"), true, 200, 0);
	snprintf(name, sizeof(name), "IjP%d", id);
	st = A(flh_post_json(srv, "/v1/packs", flh_path("{\"name\":\"%s\"}", name)), false, 201, 0);
	if (st == 201 && n_packs < MAX_ACKED)
		snprintf(acked_packs[n_packs++], sizeof(acked_packs[0]), "%s", name);
	A(flh_get(srv, "/v1/flows"), true, 200, 0);
	A(flh_get(srv, "/v1/flows/ij"), true, 200, 0);
	st = A(flh_post_json(srv, "/v1/flows",
			     flh_path("{\"name\":\"ijf%d\",\"steps\":[{\"id\":\"s\",\"event\":{\"packName\":\"IjSrc\","
				      "\"name\":\"Nothing\"},\"command\":{\"packName\":\"IjWorker\",\"name\":\"Next\"}}]}",
				      id)),
	       false, 201, 0);
	if (st == 201)
		A(flh_delete(srv, flh_path("/v1/flows/ijf%d", id)), false, 204, 0);
	st = A(flh_post_json(srv, src.event_href, flh_path("{\"event\":\"Go\",\"payload\":{\"i\":\"%d\"}}", id)), false,
	       202, 0);
	if (st == 202 && n_events < MAX_ACKED)
		acked_events[n_events++] = id;
	/* take; after a clean event there is always something to take */
	{
		struct flh_resp *r = flh_post_json(srv, worker.take_href, "null");
		st = answer(r_keep(r), faulty, false, cls, 200, faulty ? 204 : 0);
		if (st == 200) {
			json_t *j = flh_resp_json(r);
			const char *href = flh_link_href(json_object_get(j, "links"), "actionResult");
			FLH_ASSERT(href != NULL);
			snprintf(link, sizeof(link), "%s", href);
			if (watch_id && strstr(link, watch_id))
				watch_taken = true;
		}
		flh_resp_free(r);
	}
	if (st == 200) {
		A(flh_post_json(srv, heartbeat_of(link), NULL), false, 200, 0);
		A(flh_post_json(srv, link, flh_path("{\"event\":\"Done\",\"payload\":{\"i\":\"%d\"}}", id)), false,
		  202, 0);
	} else if (!faulty) {
		dump_state("a take after a clean event answered 204");
	}
	/* a different result for a completed action: refused and recorded */
	A(flh_post_json(srv, done_link, flh_path("{\"event\":\"Done\",\"payload\":{\"other\":%d}}", id)), false, 409, 0);
	/* a result for an action that does not exist */
	A(flh_post_json(srv, "/v1/packs/IjWorker/actions/0123456789abcdef01234567/result", "{\"event\":\"Done\"}"),
	  false, 404, 0);
	snprintf(name, sizeof(name), "d%d", id);
	st = A(put_item(name), false, 201, 0);
	A(flh_get(srv, "/v1/datastore/ds0"), true, 200, 0);
	A(flh_get(srv, "/v1/datastore"), true, 200, 0);
	if (st == 201)
		A(flh_delete(srv, flh_path("/v1/datastore/%s", name)), false, 204, 0);
	A(flh_get(srv, "/v1/audit/flows?flowName=ij&limit=3"), true, 200, 0);
	A(flh_get(srv, flh_path("/v1/audit/flows/%s", done_corr)), true, 200, 0);
	snprintf(name, sizeof(name), "IjD%d", id);
	st = A(flh_post_json(srv, "/v1/packs", flh_path("{\"name\":\"%s\"}", name)), false, 201, 0);
	if (st == 201)
		A(flh_delete(srv, flh_path("/v1/packs/%s", name)), false, 204, 0);
#undef A
}

/* Take an action for the worker without answering it: its lease ends LEASE_SEC later. */
static void dangle(char *id_out, size_t len)
{
	struct flh_action a = { 0 };

	FLH_EQ_INT(flh_pack_event(&src, "Go", flh_path("{\"i\":\"%d\"}", next_id)), 202);
	acked_events[n_events++] = next_id++;
	FLH_EQ_INT(flh_pack_take_wait(&worker, NULL, &a, FLH_WAIT_MS), 200);
	snprintf(id_out, len, "%s", strstr(a.result_href, "/actions/") + 9);
	*strchr(id_out, '/') = '\0';
	flh_action_release(&a);
}

/*
 * Take until the action `id` comes back (its lease ended), answering the
 * others; the workload may have taken it already (it is the oldest).
 */
static bool taken_again(const char *id, int timeout_ms)
{
	int64_t dl = flh_deadline(timeout_ms);

	if (watch_taken && watch_id == id)
		return true;
	while (!flh_expired(dl)) {
		struct flh_action a = { 0 };
		long st = flh_pack_take(&worker, NULL, &a);
		bool mine = st == 200 && strstr(a.result_href, id);
		if (st == 200)
			flh_action_result(srv, &a, "Done", "{\"i\":\"-1\"}");
		flh_action_release(&a);
		if (mine)
			return true;
	}
	return false;
}

static bool is_lease_op(const char *op)
{
	return !strcmp(op, "action_lease_expired") || !strcmp(op, "action_lease_next") ||
	       !strcmp(op, "action_requeue");
}

/* Operations reached only through a reload after a failed batch. */
static bool is_reload_op(const char *op)
{
	return !strcmp(op, "pack_list") || !strcmp(op, "flow_list") || !strcmp(op, "action_load_new") ||
	       !strcmp(op, "action_lease_next");
}

/* Every 2xx'd write is there (through the API). */
static void check_acked(const char *when)
{
	struct flh_resp *r = flh_get(srv, "/v1/audit/flows?flowName=ij&limit=5000");
	json_t *flows = json_object_get(flh_resp_json(r), "flows"), *e;
	static bool seen[MAX_ACKED * 2];
	int missing = 0;
	size_t i;

	FLH_STATUS(r, 200);
	memset(seen, 0, sizeof(seen));
	json_array_foreach(flows, i, e) {
		const char *in = flh_json_str(e, "actions.job.input");
		long n = in ? strtol(in, NULL, 10) : -1;
		if (n >= 0 && n < MAX_ACKED * 2)
			seen[n] = true;
	}
	flh_resp_free(r);
	for (int k = 0; k < n_events; k++)
		if (!seen[acked_events[k]]) {
			if (missing < 5)
				printf("# %s: acknowledged event %d has no action\n", when, acked_events[k]);
			missing++;
		}
	for (int k = 0; k < n_packs; k++) {
		r = flh_get(srv, flh_path("/v1/packs/%s", acked_packs[k]));
		if (r->status != 200) {
			printf("# %s: acknowledged pack %s answers %ld\n", when, acked_packs[k], r->status);
			missing++;
		}
		flh_resp_free(r);
	}
	printf("# %s: %d events and %d packs acknowledged, %d missing\n", when, n_events, n_packs, missing);
	FLH_EQ_INT(missing, 0);
}

/* Take and complete everything still open. */
static void drain(void)
{
	int64_t dl = flh_deadline(60000);
	int quiet = 0;

	while (quiet < 3 && !flh_expired(dl)) {
		struct flh_action a = { 0 };
		long st = flh_pack_take(&worker, NULL, &a);
		if (st == 200)
			FLH_EQ_INT(flh_action_result(srv, &a, "Done", "{\"i\":\"-1\"}"), 202);
		quiet = st == 204 ? quiet + 1 : 0;
		flh_action_release(&a);
	}
}

static void setup(const char *dir)
{
	char env_rules[640];
	const char *env[] = { env_rules, "LOGLEVEL=warn", "FLYTE_TAKE_WAIT_MS=300", NULL };
	struct flh_server_opts so = { env, NULL, 0 };
	struct flh_action a = { 0 };
	struct flh_resp *r;

	snprintf(rules_path, sizeof(rules_path), "%s/faults", dir);
	set_rules("");
	snprintf(env_rules, sizeof(env_rules), "FLYTE_STORE_FAULTS=@%s", rules_path);
	FLH_ASSERT(flh_server_start(&srv, &so) == 0);
	FLH_EQ_INT(api_post_flow(srv, FLOW), 201);
	FLH_EQ_INT(flh_pack_register(&src, srv, "{\"name\":\"IjSrc\"}"), 201);
	FLH_EQ_INT(flh_pack_register(&worker, srv, WORKER), 201);
	FLH_EQ_INT(api_put_item(srv, "ds0", "v", 1, "text/plain", NULL, NULL), 201);
	/* one completed action whose link later gets different results */
	FLH_EQ_INT(flh_pack_event(&src, "Go", "{\"i\":\"0\"}"), 202);
	acked_events[n_events++] = next_id++;
	FLH_EQ_INT(flh_pack_take_wait(&worker, "commandName=Job", &a, FLH_WAIT_MS), 200);
	snprintf(done_link, sizeof(done_link), "%s", a.result_href);
	FLH_EQ_INT(flh_action_result(srv, &a, "Done", "{\"i\":\"0\"}"), 202);
	flh_action_release(&a);
	r = flh_get(srv, "/v1/audit/flows?flowName=ij&limit=1");
	snprintf(done_corr, sizeof(done_corr), "%s", flh_json_str(flh_resp_json(r), "flows.0.correlationId"));
	flh_resp_free(r);
	drain();
}

FLT_TEST(every_store_operation)
{
	char dir[256];
	char rule[256], dangler[64];
	int n_hit = 0, recoveries = 0;

	FLH_ASSERT(flt_tmpdir_make(dir, sizeof(dir), "flyte-inject") == 0);
	setup(dir);
	for (size_t i = 0; i < FL_ARRAY_LEN(ops); i++) {
		const char *op = ops[i].name;
		bool skip = false, lease = is_lease_op(op);

		for (size_t k = 0; k < FL_ARRAY_LEN(unreachable); k++)
			skip = skip || !strcmp(op, unreachable[k]);
		if ((skip && strcmp(op, "rollback")) || is_expire_op(op))
			continue;
		if (lease) {
			dangle(dangler, sizeof(dangler));
			watch_id = dangler;
			watch_taken = false;
		}
		snprintf(rule, sizeof(rule), "%s eio\n%s", op, is_reload_op(op) ? "commit eio nth=1\n" : "");
		set_rules(rule);
		workload(true, is_reload_op(op) ? NULL : &ops[i].cls);
		/* operations no request reaches: let them run while the rule holds */
		for (int t = 0; t < 40 && !hit[i] && !skip; t++) {
			flh_sleep_ms(100);
			workload(true, is_reload_op(op) ? NULL : &ops[i].cls);
			note_log_hits();
		}
		set_rules("");
		printf("# %-22s %s\n", op, hit[i] ? "hit" : skip ? "failure ignored by design" : "NOT HIT");
		/* the fault is gone: everything works again, without a restart */
		wait_healthy();
		workload(false, NULL);
		workload(false, NULL);
		if (lease) {
			FLH_ASSERT_MSG(taken_again(dangler, (LEASE_SEC + 8) * 1000),
				       "after '%s' failed, the action whose lease ended was not taken again", op);
			recoveries++;
		}
		recoveries++;
	}
	/* a full disk on every write, every call failing, a commit failing mid-stream */
	{
		static const char *const combos[] = { "write enospc\n", "* eio\n", "commit eio nth=2\n" };
		static const enum fl_store_op_class write_cls = FL_STORE_WRITE;
		for (size_t k = 0; k < FL_ARRAY_LEN(combos); k++) {
			set_rules(combos[k]);
			for (int t = 0; t < 3; t++)
				workload(true, k == 0 ? &write_cls : NULL);
			set_rules("");
			wait_healthy();
			workload(false, NULL);
			recoveries++;
		}
	}
	note_log_hits();
	for (size_t i = 0; i < FL_ARRAY_LEN(ops); i++) {
		bool skip = false;
		for (size_t k = 0; k < FL_ARRAY_LEN(unreachable); k++)
			skip = skip || !strcmp(ops[i].name, unreachable[k]);
		if (!skip && !hit[i])
			printf("# operation '%s' was never hit\n", ops[i].name);
		n_hit += hit[i];
	}
	FLH_ASSERT(flh_server_running(srv));
	drain();
	check_acked("after the faults");
	FLH_EQ_INT(flh_server_kill(srv), 0);
	FLH_ASSERT(flh_server_restart(srv) == 0);
	check_acked("after kill -9 and a restart");
	FLH_EQ_INT(flh_server_stop(srv, 0, NULL), 0);
	FLH_EQ_INT(fu_integrity(flh_server_db_path(srv)), 0);
	fu_figures("inject", "store operations=%zu hit=%d (not called by the server: migrate, schema_version; "
			     "failure ignored by design: rollback) "
			     "requests=%ld answered_503=%ld other_errors=0 events_acknowledged=%d packs_acknowledged=%d "
			     "lost=0 recoveries_without_restart=%d integrity=ok",
		   FL_ARRAY_LEN(ops), n_hit, requests, answered_503, n_events, n_packs, recoveries);
	FLH_EQ_INT(n_hit, (int)(FL_ARRAY_LEN(ops) - FL_ARRAY_LEN(unreachable)));
	flh_pack_release(&src);
	flh_pack_release(&worker);
	flh_server_free(srv);
	srv = NULL;
	flt_tmpdir_remove(dir);
}

static bool log_has(struct flh_server *s, const char *needle)
{
	char *log = flh_server_log(s);
	bool found = log && strstr(log, needle);

	free(log);
	return found;
}

FLT_TEST(expiry_failures)
{
	static const char *const phase[] = { "expire_actions", "expire_audit", "expire_flow_versions" };
	struct flh_server *s[3] = { 0 };
	char dir[256], paths[3][300], envs[3][960]; /* envs: room for what gcc -O2 assumes paths[k] may hold */
	bool ok = false;

	FLH_ASSERT(flt_tmpdir_make(dir, sizeof(dir), "flyte-inject") == 0);
	for (int k = 0; k < 3; k++) {
		const char *env[] = { envs[k], "LOGLEVEL=warn", NULL };
		struct flh_server_opts so = { env, NULL, 0 };
		FILE *f;

		snprintf(paths[k], sizeof(paths[k]), "%s/faults%d", dir, k);
		f = fopen(paths[k], "w");
		FLH_ASSERT(f != NULL);
		fprintf(f, "%s %s\n", phase[k], k == 1 ? "enospc" : "eio");
		fclose(f);
		snprintf(envs[k], sizeof(envs[k]), "FLYTE_STORE_FAULTS=@%s", paths[k]);
		FLH_ASSERT(flh_server_start(&s[k], &so) == 0);
	}
	/* the first expiry runs 5 s after the start */
	for (int k = 0; k < 3; k++) {
		char needle[96];
		snprintf(needle, sizeof(needle), "store operation '%s'", phase[k]);
		FLH_WAIT_FOR(ok, 20000, log_has(s[k], needle));
		FLH_ASSERT_MSG(ok, "the expiry never ran into the fault in '%s'", phase[k]);
		for (size_t i = 0; i < FL_ARRAY_LEN(ops); i++)
			if (!strcmp(ops[i].name, phase[k]))
				hit[i] = true;
		FLH_ASSERT(api_alive(s[k]));
		unlink(paths[k]);
		FLH_EQ_INT(flh_pack_register(&src, s[k], "{\"name\":\"After\"}"), 201);
		flh_pack_release(&src);
	}
	fu_figures("inject-expiry", "expiry phases failed=3 servers alive=3 writes after=3");
	for (int k = 0; k < 3; k++)
		flh_server_free(s[k]);
	flt_tmpdir_remove(dir);
}

FLT_MAIN(expiry_failures, every_store_operation)
