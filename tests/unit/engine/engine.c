/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for the engine (engine.c, writer.c, render.c, queue.c) against a
 * real SQLite file in a temporary directory: what a behaviour case cannot
 * express (tests/engine/cases holds those) -- lifecycle, restart, shutdown,
 * concurrent calls, parked takes, costly renders, queue backlogs, expiry and
 * maintenance, statistics.  Asynchronous calls are turned into synchronous
 * ones by waiting on the completion callback (tests/engine/drive.h).
 */
#include "fl-common.h"

#include <jansson.h>
#include <unistd.h>

#include "engine/engine-int.h"
#include "buf.h"
#include "drive.h"
#include "engine/engine.h"
#include "store/store.h"
#include "timeutil.h"
#include "error.h"
#include "fltest.h"
#include "log.h"

static const char *sval(json_t *o, const char *path)
{
	/* dotted path lookup of a string */
	char buf[256], *p, *save = NULL;
	json_t *cur = o;

	snprintf(buf, sizeof(buf), "%s", path);
	for (p = strtok_r(buf, ".", &save); p && cur; p = strtok_r(NULL, ".", &save))
		cur = json_object_get(cur, p);
	return json_string_value(cur);
}

/* ------------------------------------------------------------- tests */

#define WORKER_FLOW                                                                                          \
	"{\"name\":\"wf\",\"steps\":["                                                                      \
	"{\"id\":\"s1\",\"event\":{\"name\":\"Go\",\"packName\":\"Src\"},"                                   \
	"\"context\":{\"who\":\"{{ Event.Payload.who }}\"},"                                                \
	"\"command\":{\"name\":\"Run\",\"packName\":\"Worker\",\"input\":{\"text\":\"hi {{ "                \
	"Event.Payload.who }}\",\"n\":5,\"arr\":[null,\"{{ Event.Name }}\"],\"drop\":null}}},"              \
	"{\"id\":\"s2\",\"dependsOn\":[\"s1\"],\"event\":{\"name\":\"Done\",\"packName\":\"Worker\"},"       \
	"\"criteria\":\"{{ Event.Payload.ok }}\","                                                          \
	"\"command\":{\"name\":\"Report\",\"packName\":\"Worker\",\"input\":\"{{ Context.who }} done\"}},"   \
	"{\"id\":\"s3\",\"dependsOn\":[\"s1\"],\"event\":{\"name\":\"FATAL\",\"packName\":\"Worker\"},"      \
	"\"command\":{\"name\":\"Alarm\",\"packName\":\"Worker\",\"input\":\"{{ Context.who }} failed\"}}"   \
	"]}"

static struct fl_engine *worker_setup(void)
{
	struct fl_engine *eng;

	fld_tmp_setup("fl-engine");
	eng = fld_open(NULL);
	fld_must(eng, FLD_REGISTER, NULL, "{\"name\":\"Src\"}");
	fld_must(eng, FLD_REGISTER, NULL, "{\"name\":\"Worker\"}");
	fld_must(eng, FLD_FLOW, NULL, WORKER_FLOW);
	return eng;
}

FLT_TEST(stats_count_what_happened)
{
	struct fl_engine *eng = worker_setup();
	json_t *a = NULL;
	struct fl_engine_stats st;

	fld_must(eng, FLD_EVENT, "Src", "{\"event\":\"Go\",\"payload\":{\"who\":\"ann\"}}");
	FLT_EQ_INT(fld_take(eng, "Worker", NULL, 0, &a), FL_OK);
	FLT_ASSERT(a != NULL);
	json_decref(a);
	FLT_EQ_INT(fld_take(eng, "Worker", NULL, 0, &a), FL_OK);
	FLT_ASSERT(a == NULL);
	fl_engine_stats(eng, &st);
	FLT_EQ_INT(st.actions_created, 1);
	FLT_EQ_INT(st.actions_taken, 1);
	FLT_EQ_INT(st.actions_completed, 0);
	FLT_EQ_INT(st.parked_takes, 0);
	FLT_ASSERT(st.commits > 0);
	FLT_ASSERT(st.jobs >= 6); /* 2 registrations, a flow, an event, 2 takes */
	if (fld_inline_ms() == 0)
		FLT_ASSERT(st.renders_deferred >= 1); /* the suite really ran on the render threads */
	else
		FLT_EQ_INT(st.renders_deferred, 0);
	fld_finish(eng);
}

FLT_TEST(take_parks_and_is_woken)
{
	struct fl_engine *eng = worker_setup();
	struct fl_engine_stats st;
	struct fld_res r;

	fld_res_init(&r);
	FLT_EQ_INT(fl_engine_action_take(eng, "Worker", NULL, 9000, fld_on_done, &r), FL_OK);
	fld_barrier(eng);
	fl_engine_stats(eng, &st);
	FLT_EQ_INT(st.parked_takes, 1);
	FLT_ASSERT(!fld_res_done(&r));
	fld_must(eng, FLD_EVENT, "Src", "{\"event\":\"Go\",\"payload\":{\"who\":\"bo\"}}");
	fld_await(&r);
	FLT_EQ_INT(r.code, FL_OK);
	FLT_ASSERT(r.body != NULL);
	FLT_EQ_STR(sval(r.body, "command"), "Run");
	FLT_EQ_INT(r.calls, 1);
	fl_engine_stats(eng, &st);
	FLT_EQ_INT(st.parked_takes, 0);
	fld_res_release(&r);

	/* a parked take with a command filter ignores other commands */
	fld_res_init(&r);
	FLT_EQ_INT(fl_engine_action_take(eng, "Worker", "Other", 9000, fld_on_done, &r), FL_OK);
	fld_must(eng, FLD_EVENT, "Src", "{\"event\":\"Go\",\"payload\":{\"who\":\"cy\"}}");
	fld_barrier(eng);
	FLT_ASSERT(!fld_res_done(&r));
	fl_engine_shutdown(eng);
	FLT_ASSERT(fld_res_done(&r));
	FLT_ASSERT(r.body == NULL);
	fld_res_release(&r);
	fld_finish(eng);
}

static void take_one(struct fl_engine *eng, const char *pack, const char *cmd, char *id, int64_t *attempt,
		     json_t **input)
{
	json_t *a = NULL;

	FLT_EQ_INT(fld_take(eng, pack, cmd, 0, &a), FL_OK);
	if (!a)
		FLT_FAIL("no action for %s/%s", pack, cmd ? cmd : "*");
	snprintf(id, 25, "%s", sval(a, "id"));
	if (attempt)
		*attempt = json_integer_value(json_object_get(a, "attempt"));
	if (input)
		*input = json_incref(json_object_get(a, "input"));
	json_decref(a);
}

FLT_TEST(concurrent_results_fire_a_step_once)
{
	struct fl_engine *eng;
	struct fl_error err = FL_ERROR_INIT;
	char a1[32], a2[32], c[32];
	int64_t t1, t2;
	struct fld_res r1, r2;
	json_t *e1 = fld_parse("{\"event\":\"Done\"}"), *a = NULL, *list = NULL;
	struct fl_audit_filter f = { .limit = 10 };

	fld_tmp_setup("fl-engine");
	eng = fld_open(NULL);
	fld_must(eng, FLD_REGISTER, NULL, "{\"name\":\"P\"}");
	fld_must(eng, FLD_FLOW, NULL,
	     "{\"name\":\"fan\",\"steps\":["
	     "{\"id\":\"a\",\"event\":{\"name\":\"Start\",\"packName\":\"P\"},\"command\":{\"name\":\"A\",\"packName\":\"P\"}},"
	     "{\"id\":\"b\",\"event\":{\"name\":\"Start\",\"packName\":\"P\"},\"command\":{\"name\":\"B\",\"packName\":\"P\"}},"
	     "{\"id\":\"join\",\"dependsOn\":[\"a\",\"b\"],\"event\":{\"name\":\"Done\",\"packName\":\"P\"},"
	     "\"command\":{\"name\":\"C\",\"packName\":\"P\"}}]}");
	fld_must(eng, FLD_EVENT, "P", "{\"event\":\"Start\"}");
	take_one(eng, "P", "A", a1, &t1, NULL);
	take_one(eng, "P", "B", a2, &t2, NULL);
	/* both results in flight at once */
	fld_res_init(&r1);
	fld_res_init(&r2);
	FLT_EQ_INT(fl_engine_action_result(eng, "P", a1, t1, e1, fld_on_done, &r1), FL_OK);
	FLT_EQ_INT(fl_engine_action_result(eng, "P", a2, t2, e1, fld_on_done, &r2), FL_OK);
	fld_await(&r1);
	fld_await(&r2);
	FLT_EQ_INT(r1.code, FL_OK);
	FLT_EQ_INT(r2.code, FL_OK);
	fld_res_release(&r1);
	fld_res_release(&r2);
	json_decref(e1);
	take_one(eng, "P", "C", c, NULL, NULL);
	FLT_EQ_INT(fld_take(eng, "P", NULL, 0, &a), FL_OK);
	FLT_ASSERT(a == NULL);
	FLT_EQ_INT(fl_engine_audit_list(eng, &f, &list, &err), FL_OK);
	FLT_EQ_INT(json_array_size(list), 1);
	FLT_EQ_INT(json_object_size(json_object_get(json_array_get(list, 0), "actions")), 3);
	json_decref(list);
	fld_finish(eng);
}

FLT_TEST(restart_keeps_state)
{
	struct fl_engine *eng = worker_setup(), *eng2 = NULL;
	struct fl_error err = FL_ERROR_INIT;
	struct fl_engine_config cfg;
	char id[32];
	int64_t att;
	json_t *got = NULL, *list = NULL, *in = NULL;
	struct fl_audit_filter f = { .limit = 10 };

	fld_must(eng, FLD_EVENT, "Src", "{\"event\":\"Go\",\"payload\":{\"who\":\"max\"}}");
	fld_must(eng, FLD_EVENT, "Src", "{\"event\":\"Go\",\"payload\":{\"who\":\"ned\"}}");
	take_one(eng, "Worker", NULL, id, &att, NULL); /* max's action is PENDING, ned's NEW */
	/* a second server on the same database is refused */
	fl_engine_config_default(&cfg);
	cfg.db_path = fld_tmp.db;
	FLT_EQ_INT(fl_engine_open(&eng2, &cfg, &err), FL_ECONFLICT);
	FLT_ASSERT(strstr(err.msg, "in use by another flyte process"));
	FLT_EQ_INT(fl_engine_health(eng, &err), FL_OK);
	fl_engine_free(eng);

	eng = fld_open(NULL);
	FLT_EQ_INT(fl_engine_health(eng, &err), FL_OK);
	FLT_EQ_INT(fl_engine_pack_get(eng, "Worker", &got, &err), FL_OK);
	json_decref(got);
	FLT_EQ_INT(fl_engine_flow_get(eng, "wf", &got, &err), FL_OK);
	json_decref(got);
	FLT_EQ_INT(fl_engine_audit_list(eng, &f, &list, &err), FL_OK);
	FLT_EQ_INT(json_array_size(list), 2);
	json_decref(list);
	{
		char id2[32];
		take_one(eng, "Worker", NULL, id2, NULL, &in);
		FLT_EQ_STR(json_string_value(json_object_get(in, "text")), "hi ned");
		json_decref(in);
	}
	/* the PENDING action survives and completes; the flow continues */
	FLT_EQ_INT(fld_result(eng, "Worker", id, att, "{\"event\":\"Done\",\"payload\":{\"ok\":true}}", NULL, 0), FL_OK);
	{
		char id3[32];
		take_one(eng, "Worker", NULL, id3, NULL, &in);
		FLT_EQ_STR(json_string_value(in), "max done");
		json_decref(in);
	}
	fld_finish(eng);
}

FLT_TEST(shutdown_refuses_new_jobs)
{
	struct fl_engine *eng = worker_setup();
	struct fld_res r;
	json_t *j = fld_parse("{\"event\":\"Go\"}");

	fl_engine_shutdown(eng);
	fl_engine_shutdown(eng); /* idempotent */
	fld_res_init(&r);
	FLT_EQ_INT(fl_engine_event_post(eng, "Src", j, fld_on_done, &r), FL_ECANCELLED);
	FLT_EQ_INT(fl_engine_action_take(eng, "Worker", NULL, 100, fld_on_done, &r), FL_ECANCELLED);
	FLT_ASSERT(!fld_res_done(&r));
	fld_res_release(&r);
	json_decref(j);
	fld_finish(eng);
}

FLT_TEST(expiry_and_dead_packs)
{
	struct fl_engine *eng = NULL;
	struct fl_engine_config cfg;
	struct fl_error err = FL_ERROR_INIT;
	struct fl_audit_filter f = { .limit = 10 };
	json_t *list = NULL, *got = NULL, *in = NULL, *a = NULL;
	char id[32], old_id[32];

	fld_tmp_setup("fl-engine");
	fl_engine_config_default(&cfg);
	cfg.action_ttl_sec = 2;
	cfg.delete_dead_packs = true;
	cfg.pack_grace_sec = 2;
	eng = fld_open(&cfg);
	fld_must(eng, FLD_REGISTER, NULL, "{\"name\":\"Src\"}");
	fld_must(eng, FLD_REGISTER, NULL, "{\"name\":\"Worker\"}");
	fld_must(eng, FLD_REGISTER, NULL, "{\"name\":\"Gone\"}");
	fld_must(eng, FLD_FLOW, NULL, WORKER_FLOW);
	fld_must(eng, FLD_EVENT, "Src", "{\"event\":\"Go\",\"payload\":{\"who\":\"old\"}}");
	FLT_EQ_INT(fl_engine_audit_list(eng, &f, &list, &err), FL_OK);
	snprintf(old_id, sizeof(old_id), "%s",
		 sval(json_object_get(json_array_get(list, 0), "actions"), "s1.id"));
	json_decref(list);
	/* let the action and the packs age past their 2 s limits (the margin absorbs a slow machine) */
	usleep(2200 * 1000);
	fld_must(eng, FLD_EVENT, "Src", "{\"event\":\"Go\",\"payload\":{\"who\":\"new\"}}");
	fld_must(eng, FLD_EVENT, "Worker", "{\"event\":\"Ping\"}"); /* a sign of life */
	fl_engine__kick_maintenance(eng);
	fld_barrier(eng);

	/* the old NEW action expired: only the new one can be taken */
	take_one(eng, "Worker", NULL, id, NULL, &in);
	FLT_EQ_STR(json_string_value(json_object_get(in, "text")), "hi new");
	json_decref(in);
	FLT_EQ_INT(fld_take(eng, "Worker", NULL, 0, &a), FL_OK);
	FLT_ASSERT(a == NULL);
	FLT_EQ_INT(fld_result(eng, "Worker", old_id, -1, "{\"event\":\"Done\"}", NULL, 0), FL_ENOTFOUND);
	/* ...but it stays in the audit, which is kept longer */
	FLT_EQ_INT(fl_engine_audit_list(eng, &f, &list, &err), FL_OK);
	FLT_EQ_INT(json_array_size(list), 2);
	json_decref(list);
	/* the silent pack was swept, the living ones stay */
	FLT_EQ_INT(fl_engine_pack_get(eng, "Gone", &got, &err), FL_ENOTFOUND);
	FLT_EQ_INT(fl_engine_pack_get(eng, "Src", &got, &err), FL_OK);
	json_decref(got);
	FLT_EQ_INT(fl_engine_pack_get(eng, "Worker", &got, &err), FL_OK);
	json_decref(got);
	fld_finish(eng);
}

/* ------------------------------------------------ costly templates */

/* An event payload {"s": <n bytes>, "l": [1..k]} */
static char *big_event(const char *name, size_t n, size_t k)
{
	struct fl_buf b = FL_BUF_INIT(0);

	fl_buf_addf(&b, "{\"event\":\"%s\",\"payload\":{\"s\":\"", name);
	for (size_t i = 0; i < n; i++)
		fl_buf_addc(&b, 'x');
	fl_buf_adds(&b, "\",\"l\":[");
	for (size_t i = 0; i < k; i++)
		fl_buf_addf(&b, "%s%zu", i ? "," : "", i);
	fl_buf_adds(&b, "]}}");
	return fl_buf_detach(&b, NULL);
}

#define COSTLY_FLOW(input)                                                                               \
	"{\"name\":\"costly\",\"steps\":[{\"id\":\"c\",\"event\":{\"name\":\"Big\",\"packName\":\"Src\"}," \
	"\"context\":{\"n\":\"{{ Event.Payload.s|length }}\"},"                                         \
	"\"command\":{\"name\":\"Run\",\"packName\":\"Worker\",\"input\":{\"out\":\"" input "\"}}}]}"

/* The length of the event's string, once per element of its list. */
#define LENGTHS "{% for i in Event.Payload.l %}{{ Event.Payload.s|length }},{% endfor %}"

/* An engine with cfg on a fresh database, packs Src and Worker and the costly flow (COSTLY_FLOW text). */
static struct fl_engine *costly_setup(const struct fl_engine_config *cfg, const char *flow)
{
	struct fl_engine *eng;

	fld_tmp_setup("fl-engine");
	eng = fld_open(cfg);
	fld_must(eng, FLD_REGISTER, NULL, "{\"name\":\"Src\"}");
	fld_must(eng, FLD_REGISTER, NULL, "{\"name\":\"Worker\"}");
	fld_must(eng, FLD_FLOW, NULL, flow);
	return eng;
}

FLT_TEST(costly_render_moves_off_the_writer)
{
	struct fl_engine_config cfg;
	struct fl_engine *eng;
	struct fl_engine_stats st;
	json_t *a = NULL;
	char *ev = big_event("Big", 64 * 1024, 200), want[16];

	fl_engine_config_default(&cfg);
	cfg.render_inline_ms = 1;
	cfg.render_deadline_ms = 60000;
	/* 200 x length of 64 KiB: far more than a millisecond of work */
	eng = costly_setup(&cfg, COSTLY_FLOW(LENGTHS));
	fld_must(eng, FLD_EVENT, "Src", ev);
	FLT_EQ_INT(fld_take(eng, "Worker", NULL, 0, &a), FL_OK);
	FLT_ASSERT(a != NULL);
	{
		const char *out = sval(a, "input.out");
		FLT_ASSERT(out != NULL);
		FLT_EQ_INT(strlen(out), 200 * strlen("65536,"));
		snprintf(want, sizeof(want), "65536,");
		FLT_ASSERT(strncmp(out, want, strlen(want)) == 0);
	}
	json_decref(a);
	fl_engine_stats(eng, &st);
	FLT_EQ_INT(st.renders_deferred, 1);
	FLT_EQ_INT(st.actions_created, 1);
	free(ev);
	fld_finish(eng);
}

FLT_TEST(costly_render_does_not_hold_other_writes)
{
	struct fl_engine_config cfg;
	struct fl_engine *eng;
	struct fld_res big;
	json_t *a = NULL;
	char *ev = big_event("Big", 3200, 100);
	bool small_first;

	fl_engine_config_default(&cfg);
	cfg.render_inline_ms = 1;
	cfg.render_deadline_ms = 3000;
	cfg.tmpl_limits.max_steps = UINT64_MAX / 2; /* only the deadline stops it */
	/* 100^3 x length of 3,200 bytes: runs until the deadline */
	eng = costly_setup(&cfg, COSTLY_FLOW("{% for a in Event.Payload.l %}{% for b in Event.Payload.l %}"
					     "{% for c in Event.Payload.l %}{{ Event.Payload.s|length }}{% endfor %}"
					     "{% endfor %}{% endfor %}"));
	fld_must(eng, FLD_REGISTER, NULL, "{\"name\":\"Other\"}");
	fld_must(eng, FLD_FLOW, NULL,
	     "{\"name\":\"plain\",\"steps\":[{\"id\":\"p\",\"event\":{\"name\":\"Ping\",\"packName\":\"Other\"},"
	     "\"command\":{\"name\":\"Pong\",\"packName\":\"Worker\",\"input\":\"{{ Event.Name }}\"}}]}");

	fld_post(eng, "Src", ev, &big);
	/* an unrelated pack's event, posted while the costly one renders, is answered first */
	fld_must(eng, FLD_EVENT, "Other", "{\"event\":\"Ping\"}");
	small_first = !fld_res_done(&big);
	FLT_EQ_INT(fld_take(eng, "Worker", "Pong", 0, &a), FL_OK);
	FLT_ASSERT(a != NULL);
	json_decref(a);
	fld_await(&big);
	FLT_ASSERT(small_first);
	/* the costly step ran out of time: the event is stored, its step skipped */
	FLT_EQ_INT(big.code, FL_OK);
	FLT_EQ_INT(fld_take(eng, "Worker", "Run", 0, &a), FL_OK);
	FLT_ASSERT(a == NULL);
	fld_res_release(&big);
	free(ev);
	fld_finish(eng);
}

FLT_TEST(writer_renders_when_there_are_no_render_threads)
{
	struct fl_engine_config cfg;
	struct fl_engine *eng;
	struct fl_engine_stats st;
	json_t *a = NULL;
	char *ev = big_event("Big", 64 * 1024, 100);

	fl_engine_config_default(&cfg);
	cfg.render_inline_ms = 1;
	cfg.render_threads = 0;
	eng = costly_setup(&cfg, COSTLY_FLOW(LENGTHS));
	fld_must(eng, FLD_EVENT, "Src", ev);
	FLT_EQ_INT(fld_take(eng, "Worker", NULL, 0, &a), FL_OK);
	FLT_ASSERT(a != NULL);
	FLT_EQ_INT(strlen(sval(a, "input.out")), 100 * strlen("65536,"));
	json_decref(a);
	fl_engine_stats(eng, &st);
	FLT_EQ_INT(st.renders_deferred, 0);
	free(ev);
	fld_finish(eng);
}

FLT_TEST(shutdown_waits_for_deferred_jobs)
{
	struct fl_engine_config cfg;
	struct fl_engine *eng;
	struct fld_res big;
	char *ev = big_event("Big", 64 * 1024, 300);

	fl_engine_config_default(&cfg);
	cfg.render_inline_ms = 1;
	eng = costly_setup(&cfg, COSTLY_FLOW(LENGTHS));
	fld_post(eng, "Src", ev, &big);
	fl_engine_shutdown(eng);
	/* the event was answered (and stored) before the shutdown returned */
	FLT_ASSERT(fld_res_done(&big));
	FLT_EQ_INT(big.code, FL_OK);
	fld_res_release(&big);
	fl_engine_free(eng);
	eng = fld_open(&cfg);
	{
		json_t *a = NULL;
		FLT_EQ_INT(fld_take(eng, "Worker", NULL, 0, &a), FL_OK);
		FLT_ASSERT(a != NULL);
		json_decref(a);
	}
	free(ev);
	fld_finish(eng);
}

/* ------------------------------------------------------ take queues */

/* Insert n NEW actions straight into the store (the engine is closed); returns the first one's number. */
static size_t store_actions(size_t n, const char *name, const char *labels)
{
	struct fl_store *st = NULL;
	struct fl_error err = FL_ERROR_INIT;
	char id[32], corr[32], step[32];
	static size_t next;
	size_t first = next + 1;

	if (fl_store_open(&st, NULL, fld_tmp.db, 0, &err) != FL_OK)
		FLT_FAIL("store open: %s", err.msg);
	FLT_EQ_INT(fl_store_begin(st, &err), FL_OK);
	for (size_t i = 0; i < n; i++) {
		int64_t seq;
		struct fl_store_action_new a = {
			.id = id, .correlation_id = corr, .step_id = step, .flow_name = "flood",
			.flow_uuid = "000000000000000000000001", .name = name, .pack_name = "W",
			.pack_labels = labels, .input = "null", .trigger = "{}", .created = fl_time_now_ns(),
		};
		snprintf(id, sizeof(id), "%024zx", ++next);
		snprintf(corr, sizeof(corr), "c%zu", next);
		snprintf(step, sizeof(step), "s");
		if (fl_store_action_insert(st, &seq, &a, &err) != FL_OK)
			FLT_FAIL("insert: %s", err.msg);
	}
	FLT_EQ_INT(fl_store_commit(st, &err), FL_OK);
	fl_store_close(st);
	return first;
}

FLT_TEST(take_finds_its_action_behind_a_backlog)
{
	struct fl_engine *eng;
	json_t *a = NULL;
	char oldest[32];

	fld_tmp_setup("fl-engine");
	eng = fld_open(NULL);
	fld_must(eng, FLD_REGISTER, NULL, "{\"name\":\"W\",\"labels\":{\"env\":\"prod\"}}");
	fld_must(eng, FLD_REGISTER, NULL, "{\"name\":\"W\",\"labels\":{\"env\":\"dev\"}}");
	fld_must(eng, FLD_REGISTER, NULL, "{\"name\":\"W\",\"labels\":{\"env\":\"dev\",\"region\":\"eu\"}}");
	fl_engine_free(eng);
	/* more queued in front than any bounded scan would look at */
	snprintf(oldest, sizeof(oldest), "%024zx", store_actions(101000, "Work", "{\"env\":\"prod\"}"));
	store_actions(1, "Other", "{\"env\":\"prod\"}");
	store_actions(1, "Mine", "{\"env\":\"dev\"}");
	store_actions(1, "Any", NULL);
	store_actions(1, "Eu", "{\"region\":\"eu\",\"env\":\"dev\"}");
	eng = fld_open(NULL);
	/* another label's backlog is not in the way */
	FLT_EQ_INT(fld_take(eng, "W.env.dev", NULL, 0, &a), FL_OK);
	FLT_EQ_STR(sval(a, "command"), "Mine");
	json_decref(a);
	/* an action without labels goes to any taker; label order does not matter */
	FLT_EQ_INT(fld_take(eng, "W.env.dev.region.eu", "Eu", 0, &a), FL_OK);
	FLT_EQ_STR(sval(a, "command"), "Eu");
	json_decref(a);
	FLT_EQ_INT(fld_take(eng, "W.env.dev", NULL, 0, &a), FL_OK);
	FLT_EQ_STR(sval(a, "command"), "Any");
	json_decref(a);
	FLT_EQ_INT(fld_take(eng, "W.env.dev", NULL, 0, &a), FL_OK);
	FLT_ASSERT(a == NULL);
	/* nor is the backlog of another command */
	FLT_EQ_INT(fld_take(eng, "W.env.prod", "Other", 0, &a), FL_OK);
	FLT_EQ_STR(sval(a, "command"), "Other");
	json_decref(a);
	/* and the backlog itself is still served oldest first */
	FLT_EQ_INT(fld_take(eng, "W.env.prod", NULL, 0, &a), FL_OK);
	FLT_EQ_STR(sval(a, "command"), "Work");
	FLT_EQ_STR(sval(a, "id"), oldest);
	json_decref(a);
	fld_finish(eng);
}

FLT_TEST(take_with_many_labels_walks_the_label_sets)
{
	struct fl_engine *eng;
	json_t *a = NULL;
	const char *many = "{\"name\":\"W\",\"labels\":{\"a\":\"1\",\"b\":\"1\",\"c\":\"1\",\"d\":\"1\",\"e\":\"1\","
			   "\"f\":\"1\",\"g\":\"1\",\"h\":\"1\",\"i\":\"1\",\"j\":\"1\",\"k\":\"1\",\"l\":\"1\"}}";

	fld_tmp_setup("fl-engine");
	eng = fld_open(NULL);
	fld_must(eng, FLD_REGISTER, NULL, many);
	fl_engine_free(eng);
	store_actions(3, "Work", "{\"x\":\"1\"}");
	store_actions(1, "Fit", "{\"l\":\"1\",\"a\":\"1\"}");
	store_actions(1, "Late", "{\"b\":\"1\"}");
	eng = fld_open(NULL);
	FLT_EQ_INT(fld_take(eng, "W.a.1.b.1.c.1.d.1.e.1.f.1.g.1.h.1.i.1.j.1.k.1.l.1", NULL, 0, &a), FL_OK);
	FLT_EQ_STR(sval(a, "command"), "Fit");
	json_decref(a);
	FLT_EQ_INT(fld_take(eng, "W.a.1.b.1.c.1.d.1.e.1.f.1.g.1.h.1.i.1.j.1.k.1.l.1", NULL, 0, &a), FL_OK);
	FLT_EQ_STR(sval(a, "command"), "Late");
	json_decref(a);
	FLT_EQ_INT(fld_take(eng, "W.a.1.b.1.c.1.d.1.e.1.f.1.g.1.h.1.i.1.j.1.k.1.l.1", NULL, 0, &a), FL_OK);
	FLT_ASSERT(a == NULL);
	fld_finish(eng);
}

#ifdef FL_FAULT_INJECTION
/*
 * A batch whose commit fails reloads the state from the store; when that
 * reload fails too (the flows cannot be read), no later job may run on the
 * half-loaded state: it used to keep no flows, so events were acknowledged
 * and started nothing until a restart.  The reload is tried again before
 * the next batch; once the store works, events start their steps again.
 */
FLT_TEST(a_failed_reload_is_tried_again)
{
	struct fl_engine *eng;
	struct fld_res r;
	char rules[300], env[320], id[32];
	json_t *a = NULL;
	FILE *f;

	fld_tmp_setup("fl-engine");
	snprintf(rules, sizeof(rules), "%s/faults", fld_tmp.path);
	snprintf(env, sizeof(env), "@%s", rules);
	setenv("FLYTE_STORE_FAULTS", env, 1);
	eng = fld_open(NULL);
	fld_must(eng, FLD_REGISTER, NULL, "{\"name\":\"Src\"}");
	fld_must(eng, FLD_REGISTER, NULL, "{\"name\":\"Worker\"}");
	fld_must(eng, FLD_FLOW, NULL, WORKER_FLOW);
	f = fopen(rules, "w");
	FLT_ASSERT(f != NULL);
	fputs("commit eio nth=1\nflow_list eio\n", f);
	fclose(f);
	usleep(100000); /* the rules are looked at every 20 ms */
	FLT_EQ_INT(fld_call(eng, FLD_EVENT, "Src", "{\"event\":\"Go\",\"payload\":{\"who\":\"kim\"}}", &r), FL_EIO);
	fld_res_release(&r);
	/* while the flows cannot be read, writes are refused rather than run without them */
	FLT_EQ_INT(fld_call(eng, FLD_EVENT, "Src", "{\"event\":\"Go\",\"payload\":{\"who\":\"lou\"}}", &r), FL_EIO);
	FLT_ASSERT(strstr(r.msg, "flow_list"));
	fld_res_release(&r);
	unlink(rules);
	/* the store works again: once the reload is retried, the next event starts its step */
	for (int i = 0; i < 200; i++) {
		int rc = fld_call(eng, FLD_EVENT, "Src", "{\"event\":\"Go\",\"payload\":{\"who\":\"max\"}}", &r);
		fld_res_release(&r);
		if (rc == FL_OK)
			break;
		FLT_EQ_INT(rc, FL_EIO);
		usleep(50000);
	}
	take_one(eng, "Worker", NULL, id, NULL, &a);
	FLT_EQ_STR(sval(a, "text"), "hi max");
	json_decref(a);
	FLT_EQ_INT(fld_take(eng, "Worker", NULL, 0, &a), FL_OK);
	FLT_ASSERT(a == NULL); /* the refused events left nothing */
	fl_engine_free(eng);
	unsetenv("FLYTE_STORE_FAULTS");
	fld_tmp_cleanup();
}
#define FAULT_CASES , a_failed_reload_is_tried_again
#else
#define FAULT_CASES
#endif

FLT_MAIN(stats_count_what_happened, take_parks_and_is_woken, concurrent_results_fire_a_step_once,
	 restart_keeps_state, shutdown_refuses_new_jobs, expiry_and_dead_packs, costly_render_moves_off_the_writer,
	 costly_render_does_not_hold_other_writes, writer_renders_when_there_are_no_render_threads,
	 shutdown_waits_for_deferred_jobs, take_finds_its_action_behind_a_backlog,
	 take_with_many_labels_walks_the_label_sets FAULT_CASES)
