/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for store.c and the SQLite driver: every vtable operation is
 * exercised against a real database file in a temporary directory.
 */
#include "fl-common.h"

#include <jansson.h>
#include <unistd.h>

#include "buf.h"
#include "error.h"
#include "fltest.h"
#include "store/store.h"

static char tmpdir[64];
static char dbpath[128];

static void tmp_setup(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/fl-store-XXXXXX");
	if (!mkdtemp(tmpdir))
		FLT_FAIL("mkdtemp failed");
	snprintf(dbpath, sizeof(dbpath), "%s/t.db", tmpdir);
}

static void tmp_cleanup(void)
{
	static const char *const suffixes[] = { "", "-wal", "-shm", ".lock", "-journal" };
	char p[160];

	for (size_t i = 0; i < FL_ARRAY_LEN(suffixes); i++) {
		snprintf(p, sizeof(p), "%s%s", dbpath, suffixes[i]);
		unlink(p);
	}
	rmdir(tmpdir);
}

static struct fl_store *open_rw(void)
{
	struct fl_store *st = NULL;
	struct fl_error err = FL_ERROR_INIT;
	int rc = fl_store_open(&st, NULL, dbpath, 0, &err);

	if (rc)
		FLT_FAIL("open: %s", err.msg);
	return st;
}

/* Expects a `struct fl_error err` in scope. */
#define OK(call)                                                              \
	do {                                                                  \
		int rc_ = (call);                                             \
		if (rc_ != FL_OK)                                             \
			FLT_FAIL("%s failed: %d %s", #call, rc_, err.msg);    \
	} while (0)

/* Insert one action with the given fields inside the open transaction. */
static int64_t add_action(struct fl_store *st, const char *id, const char *corr, const char *step, const char *pack,
			  const char *labels, const char *cmd, int64_t t)
{
	struct fl_error err = FL_ERROR_INIT;
	struct fl_store_action_new a = {
		.id = id,
		.correlation_id = corr,
		.step_id = step,
		.flow_name = "flow1",
		.flow_uuid = "uuid1",
		.name = cmd,
		.pack_name = pack,
		.pack_labels = labels,
		.input = "{\"x\":1}",
		.context = "{\"k\":\"v\"}",
		.trigger = "{\"event\":\"E\"}",
		.created = t,
	};
	int64_t seq = 0;
	OK(fl_store_action_insert(st, &seq, &a, &err));
	return seq;
}

FLT_TEST(migrate_fresh_and_reopen)
{
	struct fl_error err = FL_ERROR_INIT;
	struct fl_store *st;
	struct fl_store_pack p = { 0 }, got = { 0 };
	int v = -1;

	tmp_setup();
	st = open_rw();
	OK(fl_store_schema_version(st, &v, &err));
	FLT_EQ_INT(v, 2);
	OK(fl_store_migrate(st, &err)); /* idempotent */
	p.id = (char *)"A.env.dev";
	p.name = (char *)"A";
	p.def = (char *)"{\"name\":\"A\"}";
	p.last_seen = 42;
	OK(fl_store_begin(st, &err));
	OK(fl_store_pack_upsert(st, NULL, &p, &err));
	OK(fl_store_commit(st, &err));
	fl_store_close(st);

	st = open_rw();
	OK(fl_store_schema_version(st, &v, &err));
	FLT_EQ_INT(v, 2);
	OK(fl_store_pack_get(st, &got, "A.env.dev", &err));
	FLT_EQ_STR(got.name, "A");
	FLT_EQ_INT(got.last_seen, 42);
	fl_store_pack_release(&got);
	OK(fl_store_ping(st, &err));
	fl_store_close(st);
	tmp_cleanup();
}

FLT_TEST(lock_refuses_second_open)
{
	struct fl_error err = FL_ERROR_INIT;
	struct fl_store *st, *st2 = NULL, *ro = NULL;
	char want[256];

	tmp_setup();
	st = open_rw();
	FLT_EQ_INT(fl_store_open(&st2, NULL, dbpath, 0, &err), FL_ECONFLICT);
	FLT_ASSERT(st2 == NULL);
	snprintf(want, sizeof(want), "database '%s' is in use by another flyte process", dbpath);
	FLT_EQ_STR(err.msg, want);
	/* read-only connections do not take the lock */
	OK(fl_store_open(&ro, NULL, dbpath, FL_STORE_READONLY, &err));
	OK(fl_store_ping(ro, &err));
	fl_store_close(ro);
	fl_store_close(st);
	/* released on close */
	OK(fl_store_open(&st2, NULL, dbpath, 0, &err));
	fl_store_close(st2);
	FLT_EQ_INT(fl_store_open(&st2, "nosuch", dbpath, 0, &err), FL_EINVALID);
	tmp_cleanup();
}

struct names {
	char buf[256];
};

static int pack_name_cb(const struct fl_store_pack *p, void *payload)
{
	struct names *n = payload;
	size_t l = strlen(n->buf);
	snprintf(n->buf + l, sizeof(n->buf) - l, "%s%s", l ? "," : "", p->id);
	return 0;
}

FLT_TEST(packs_crud)
{
	struct fl_error err = FL_ERROR_INIT;
	struct fl_store *st;
	struct fl_store_pack p = { 0 }, got = { 0 };
	struct names n = { { 0 } };
	bool created = false;

	tmp_setup();
	st = open_rw();
	OK(fl_store_begin(st, &err));
	p.id = (char *)"Zed";
	p.name = (char *)"Zed";
	p.def = (char *)"{}";
	p.last_seen = 10;
	OK(fl_store_pack_upsert(st, &created, &p, &err));
	FLT_ASSERT(created);
	OK(fl_store_pack_upsert(st, &created, &p, &err));
	FLT_ASSERT(!created);
	p.id = (char *)"Alpha.env.dev";
	p.name = (char *)"Alpha";
	OK(fl_store_pack_upsert(st, &created, &p, &err));
	FLT_ASSERT(created);
	OK(fl_store_pack_list(st, pack_name_cb, &n, &err));
	FLT_EQ_STR(n.buf, "Alpha.env.dev,Zed");

	/* touch only moves forward */
	OK(fl_store_pack_touch(st, "Zed", 100, &err));
	OK(fl_store_pack_touch(st, "Zed", 50, &err));
	OK(fl_store_pack_get(st, &got, "Zed", &err));
	FLT_EQ_INT(got.last_seen, 100);
	fl_store_pack_release(&got);

	OK(fl_store_pack_delete(st, "Zed", &err));
	FLT_EQ_INT(fl_store_pack_delete(st, "Zed", &err), FL_ENOTFOUND);
	FLT_EQ_INT(fl_store_pack_get(st, &got, "Zed", &err), FL_ENOTFOUND);
	OK(fl_store_commit(st, &err));
	fl_store_close(st);
	tmp_cleanup();
}

static int flow_name_cb(const struct fl_store_flow *f, void *payload)
{
	struct names *n = payload;
	size_t l = strlen(n->buf);
	snprintf(n->buf + l, sizeof(n->buf) - l, "%s%s:%s:%s", l ? "," : "", f->name,
		 f->description ? f->description : "-", f->def ? "def" : "nodef");
	return 0;
}

FLT_TEST(flows_versions)
{
	struct fl_error err = FL_ERROR_INIT;
	struct fl_store *st;
	struct fl_store_flow f = { 0 }, got = { 0 };
	struct names n = { { 0 } };
	bool created = false;

	tmp_setup();
	st = open_rw();
	OK(fl_store_begin(st, &err));
	f.uuid = (char *)"u1";
	f.name = (char *)"beta";
	f.def = (char *)"{\"v\":1}";
	f.created = 1;
	OK(fl_store_flow_put(st, &created, &f, &err));
	FLT_ASSERT(created);
	f.uuid = (char *)"u2";
	f.def = (char *)"{\"v\":2}";
	f.description = (char *)"second";
	OK(fl_store_flow_put(st, &created, &f, &err));
	FLT_ASSERT(!created);
	f.uuid = (char *)"u3";
	f.name = (char *)"alpha";
	f.description = NULL;
	OK(fl_store_flow_put(st, &created, &f, &err));

	OK(fl_store_flow_get(st, &got, "beta", &err));
	FLT_EQ_STR(got.uuid, "u2");
	FLT_EQ_STR(got.def, "{\"v\":2}");
	FLT_EQ_STR(got.description, "second");
	fl_store_flow_release(&got);
	OK(fl_store_flow_get_version(st, &got, "u1", &err));
	FLT_EQ_STR(got.def, "{\"v\":1}");
	FLT_ASSERT(got.description == NULL);
	fl_store_flow_release(&got);

	OK(fl_store_flow_list(st, false, flow_name_cb, &n, &err));
	FLT_EQ_STR(n.buf, "alpha:-:nodef,beta:second:nodef");
	n.buf[0] = 0;
	OK(fl_store_flow_list(st, true, flow_name_cb, &n, &err));
	FLT_EQ_STR(n.buf, "alpha:-:def,beta:second:def");

	OK(fl_store_flow_delete(st, "beta", &err));
	FLT_EQ_INT(fl_store_flow_delete(st, "beta", &err), FL_ENOTFOUND);
	FLT_EQ_INT(fl_store_flow_get(st, &got, "beta", &err), FL_ENOTFOUND);
	/* history stays */
	OK(fl_store_flow_get_version(st, &got, "u2", &err));
	fl_store_flow_release(&got);
	OK(fl_store_commit(st, &err));
	fl_store_close(st);
	tmp_cleanup();
}

FLT_TEST(claim_oldest_first_and_states)
{
	struct fl_error err = FL_ERROR_INIT;
	struct fl_store *st;
	struct fl_store_action a = { 0 };
	struct fl_store_claim c = { .pack_name = "P", .now = 500 };
	json_t *states;

	tmp_setup();
	st = open_rw();
	OK(fl_store_begin(st, &err));
	add_action(st, "a1", "c1", "s1", "P", NULL, "Run", 100);
	add_action(st, "a2", "c2", "s1", "Q", NULL, "Run", 50);
	add_action(st, "a3", "c3", "s1", "P", NULL, "Run", 200);

	OK(fl_store_action_claim(st, &a, &c, &err));
	FLT_EQ_STR(a.id, "a1");
	FLT_EQ_INT(a.state, FL_ACTION_PENDING);
	FLT_EQ_INT(a.attempt, 1);
	FLT_EQ_INT(a.state_time, 500);
	FLT_EQ_STR(a.input, "{\"x\":1}");
	states = json_loads(a.states, 0, NULL);
	FLT_ASSERT(json_array_size(states) == 2);
	FLT_EQ_STR(json_string_value(json_object_get(json_array_get(states, 0), "value")), "NEW");
	FLT_EQ_INT(json_integer_value(json_object_get(json_array_get(states, 0), "time")), 100);
	FLT_EQ_STR(json_string_value(json_object_get(json_array_get(states, 1), "value")), "PENDING");
	json_decref(states);
	fl_store_action_release(&a);

	OK(fl_store_action_claim(st, &a, &c, &err));
	FLT_EQ_STR(a.id, "a3");
	fl_store_action_release(&a);
	FLT_EQ_INT(fl_store_action_claim(st, &a, &c, &err), FL_ENOTFOUND);

	/* by id */
	c.action_id = "a2";
	OK(fl_store_action_claim(st, &a, &c, &err));
	FLT_EQ_STR(a.pack_name, "Q");
	fl_store_action_release(&a);
	FLT_EQ_INT(fl_store_action_claim(st, &a, &c, &err), FL_ENOTFOUND);
	c.action_id = "nosuch";
	FLT_EQ_INT(fl_store_action_claim(st, &a, &c, &err), FL_ENOTFOUND);
	OK(fl_store_commit(st, &err));
	fl_store_close(st);
	tmp_cleanup();
}

FLT_TEST(claim_label_subset_and_command_filter)
{
	struct fl_error err = FL_ERROR_INIT;
	struct fl_store *st;
	struct fl_store_action a = { 0 };
	struct fl_store_claim c = { .pack_name = "P", .now = 1 };

	tmp_setup();
	st = open_rw();
	OK(fl_store_begin(st, &err));
	add_action(st, "prod1", "c1", "s", "P", "{\"env\":\"prod\"}", "Run", 10);
	add_action(st, "any1", "c2", "s", "P", NULL, "Stop", 20);
	add_action(st, "dev1", "c3", "s", "P", "{\"env\":\"dev\"}", "Run", 30);

	/* taker without labels can only take unlabelled actions */
	OK(fl_store_action_claim(st, &a, &c, &err));
	FLT_EQ_STR(a.id, "any1");
	fl_store_action_release(&a);
	FLT_EQ_INT(fl_store_action_claim(st, &a, &c, &err), FL_ENOTFOUND);

	/* command filter */
	c.pack_labels = "{\"env\":\"dev\",\"zone\":\"eu\"}";
	c.command = "Stop";
	FLT_EQ_INT(fl_store_action_claim(st, &a, &c, &err), FL_ENOTFOUND);
	c.command = "Run";
	OK(fl_store_action_claim(st, &a, &c, &err));
	FLT_EQ_STR(a.id, "dev1");
	fl_store_action_release(&a);

	/* label values must be equal */
	c.pack_labels = "{\"env\":\"staging\"}";
	FLT_EQ_INT(fl_store_action_claim(st, &a, &c, &err), FL_ENOTFOUND);
	c.pack_labels = "{\"env\":\"prod\"}";
	c.command = NULL;
	OK(fl_store_action_claim(st, &a, &c, &err));
	FLT_EQ_STR(a.id, "prod1");
	fl_store_action_release(&a);
	OK(fl_store_commit(st, &err));
	fl_store_close(st);
	tmp_cleanup();
}

FLT_TEST(complete_and_requeue_are_fenced)
{
	struct fl_error err = FL_ERROR_INIT;
	struct fl_store *st;
	struct fl_store_action a = { 0 };
	struct fl_store_claim c = { .action_id = "a1", .now = 5 };

	tmp_setup();
	st = open_rw();
	OK(fl_store_begin(st, &err));
	add_action(st, "a1", "c1", "s1", "P", NULL, "Run", 1);

	/* not taken yet */
	FLT_EQ_INT(fl_store_action_complete(st, "a1", -1, FL_ACTION_SUCCESS, 6, "{}", &err), FL_ECONFLICT);
	FLT_EQ_INT(fl_store_action_complete(st, "zz", -1, FL_ACTION_SUCCESS, 6, "{}", &err), FL_ENOTFOUND);

	OK(fl_store_action_claim(st, &a, &c, &err));
	FLT_EQ_INT(a.attempt, 1);
	fl_store_action_release(&a);
	/* undelivered: back to NEW, fenced */
	FLT_EQ_INT(fl_store_action_requeue(st, &a, "a1", 2, 7, NULL, &err), FL_ECONFLICT);
	OK(fl_store_action_requeue(st, &a, "a1", 1, 7, NULL, &err));
	FLT_EQ_INT(a.state, FL_ACTION_NEW);
	fl_store_action_release(&a);
	FLT_EQ_INT(fl_store_action_requeue(st, &a, "a1", 1, 7, NULL, &err), FL_ECONFLICT);

	c.now = 8;
	OK(fl_store_action_claim(st, &a, &c, &err));
	FLT_EQ_INT(a.attempt, 2);
	fl_store_action_release(&a);

	/* a result of the first attempt is stale */
	FLT_EQ_INT(fl_store_action_complete(st, "a1", 1, FL_ACTION_SUCCESS, 9, "{}", &err), FL_ECONFLICT);
	FLT_ASSERT(strstr(err.msg, "stale") != NULL);
	OK(fl_store_action_complete(st, "a1", 2, FL_ACTION_FATAL, 9, "{\"event\":\"FATAL\"}", &err));
	/* double completion */
	FLT_EQ_INT(fl_store_action_complete(st, "a1", -1, FL_ACTION_SUCCESS, 10, "{}", &err), FL_ECONFLICT);

	OK(fl_store_action_get(st, &a, "a1", &err));
	FLT_EQ_INT(a.state, FL_ACTION_FATAL);
	FLT_EQ_INT(a.state_time, 9);
	FLT_EQ_STR(a.result, "{\"event\":\"FATAL\"}");
	{
		json_t *states = json_loads(a.states, 0, NULL);
		FLT_EQ_INT(json_array_size(states), 5); /* NEW PENDING NEW PENDING FATAL */
		FLT_EQ_STR(json_string_value(json_object_get(json_array_get(states, 4), "value")), "FATAL");
		json_decref(states);
	}
	fl_store_action_release(&a);
	OK(fl_store_commit(st, &err));
	fl_store_close(st);
	tmp_cleanup();
}

FLT_TEST(once_per_execution_step_and_savepoints)
{
	struct fl_error err = FL_ERROR_INIT;
	struct fl_store *st;
	struct fl_store_action a = { 0 };
	struct fl_store_action_new dup = {
		.id = "a2",
		.correlation_id = "c1",
		.step_id = "s1",
		.flow_name = "f",
		.flow_uuid = "u",
		.name = "Run",
		.pack_name = "P",
		.trigger = "{}",
		.created = 2,
	};

	tmp_setup();
	st = open_rw();
	OK(fl_store_begin(st, &err));
	add_action(st, "a1", "c1", "s1", "P", NULL, "Run", 1);
	OK(fl_store_savepoint(st, &err));
	FLT_EQ_INT(fl_store_action_insert(st, NULL, &dup, &err), FL_EEXISTS);
	OK(fl_store_savepoint_rollback(st, &err));
	/* another step of the same execution is fine; a rolled back savepoint leaves nothing */
	OK(fl_store_savepoint(st, &err));
	dup.step_id = "s2";
	OK(fl_store_action_insert(st, NULL, &dup, &err));
	OK(fl_store_savepoint_rollback(st, &err));
	FLT_EQ_INT(fl_store_action_get(st, &a, "a2", &err), FL_ENOTFOUND);
	OK(fl_store_savepoint(st, &err));
	OK(fl_store_action_insert(st, NULL, &dup, &err));
	OK(fl_store_savepoint_release(st, &err));
	OK(fl_store_commit(st, &err));
	OK(fl_store_action_get(st, &a, "a2", &err));
	FLT_EQ_STR(a.input, "null");
	FLT_ASSERT(a.pack_labels == NULL);
	fl_store_action_release(&a);

	/* rollback of a whole transaction */
	OK(fl_store_begin(st, &err));
	dup.id = "a3";
	dup.step_id = "s3";
	OK(fl_store_action_insert(st, NULL, &dup, &err));
	OK(fl_store_rollback(st, &err));
	FLT_EQ_INT(fl_store_action_get(st, &a, "a3", &err), FL_ENOTFOUND);
	fl_store_close(st);
	tmp_cleanup();
}

struct step_states {
	char buf[128];
};

static int step_cb(const char *step, int state, void *payload)
{
	struct step_states *s = payload;
	size_t l = strlen(s->buf);
	snprintf(s->buf + l, sizeof(s->buf) - l, "%s%s=%s", l ? "," : "", step, fl_store_state_name(state));
	return 0;
}

static int id_cb(const struct fl_store_action *a, void *payload)
{
	struct names *n = payload;
	size_t l = strlen(n->buf);
	snprintf(n->buf + l, sizeof(n->buf) - l, "%s%s", l ? "," : "", a->id);
	return 0;
}

FLT_TEST(load_new_and_execution_steps)
{
	struct fl_error err = FL_ERROR_INIT;
	struct fl_store *st;
	struct fl_store_action a = { 0 };
	struct fl_store_claim c = { .action_id = "n2", .now = 9 };
	struct names n = { { 0 } };
	struct step_states ss = { { 0 } };

	tmp_setup();
	st = open_rw();
	OK(fl_store_begin(st, &err));
	add_action(st, "n1", "c1", "a", "P", NULL, "Run", 30);
	add_action(st, "n2", "c1", "b", "Q", NULL, "Run", 10);
	add_action(st, "n3", "c2", "a", "P", NULL, "Run", 20);
	OK(fl_store_action_claim(st, &a, &c, &err));
	fl_store_action_release(&a);
	OK(fl_store_commit(st, &err));
	OK(fl_store_action_load_new(st, id_cb, &n, &err));
	FLT_EQ_STR(n.buf, "n1,n3"); /* insertion order, NEW only */
	OK(fl_store_execution_steps(st, "c1", step_cb, &ss, &err));
	FLT_ASSERT(strstr(ss.buf, "a=NEW") && strstr(ss.buf, "b=PENDING"));
	fl_store_close(st);
	tmp_cleanup();
}

static int corr_cb(const char *corr, int64_t latest, void *payload)
{
	struct names *n = payload;
	size_t l = strlen(n->buf);
	(void)latest;
	snprintf(n->buf + l, sizeof(n->buf) - l, "%s%s", l ? "," : "", corr);
	return 0;
}

static const char *audit(struct fl_store *st, struct fl_store_audit_query *q, struct names *n)
{
	struct fl_error err = FL_ERROR_INIT;
	n->buf[0] = 0;
	if (fl_store_audit_query(st, q, corr_cb, n, &err) != FL_OK)
		snprintf(n->buf, sizeof(n->buf), "error: %.200s", err.msg);
	return n->buf;
}

FLT_TEST(audit_filters_and_paging)
{
	struct fl_error err = FL_ERROR_INIT;
	struct fl_store *st;
	struct fl_store_action a = { 0 };
	struct names n = { { 0 } };
	struct fl_store_audit_query q = { .limit = 50 };
	struct fl_store_claim c = { .action_id = "x1", .now = 500 };

	tmp_setup();
	st = open_rw();
	OK(fl_store_begin(st, &err));
	add_action(st, "x1", "e1", "s1", "Slack", "{\"env\":\"dev\"}", "Send", 100);
	add_action(st, "x2", "e2", "s1", "Shell", NULL, "Run", 200);
	add_action(st, "x3", "e3", "s1", "Slack", "{\"env\":\"prod\"}", "Send", 300);
	add_action(st, "x4", "e3", "s2", "Shell", NULL, "Run", 310);
	/* taking x1 makes e1 the most recent execution */
	OK(fl_store_action_claim(st, &a, &c, &err));
	fl_store_action_release(&a);
	OK(fl_store_commit(st, &err));

	FLT_EQ_STR(audit(st, &q, &n), "e1,e3,e2");
	q.start = 1;
	q.limit = 1;
	FLT_EQ_STR(audit(st, &q, &n), "e3");
	q.start = 5;
	FLT_EQ_STR(audit(st, &q, &n), "");
	q.start = 0;
	q.limit = 50;
	q.flow_name = "flow1";
	FLT_EQ_STR(audit(st, &q, &n), "e1,e3,e2");
	q.flow_name = "other";
	FLT_EQ_STR(audit(st, &q, &n), "");
	q.flow_name = NULL;
	q.action_pack_name = "Shell";
	FLT_EQ_STR(audit(st, &q, &n), "e3,e2");
	q.action_pack_name = NULL;
	q.step_id = "s2";
	FLT_EQ_STR(audit(st, &q, &n), "e3");
	q.step_id = NULL;
	q.action_name = "Send";
	q.action_pack_labels = "{\"env\":\"prod\"}";
	FLT_EQ_STR(audit(st, &q, &n), "e3");
	q.action_pack_labels = "{\"env\":\"dev\"}";
	FLT_EQ_STR(audit(st, &q, &n), "e1");
	q.limit = 0;
	FLT_EQ_INT(fl_store_audit_query(st, &q, corr_cb, &n, &err), FL_EINVALID);
	q.limit = 1;
	q.start = -1;
	FLT_EQ_INT(fl_store_audit_query(st, &q, corr_cb, &n, &err), FL_EINVALID);

	n.buf[0] = 0;
	OK(fl_store_audit_actions(st, "e3", id_cb, &n, &err));
	FLT_EQ_STR(n.buf, "x3,x4");
	FLT_EQ_INT(fl_store_audit_actions(st, "nope", id_cb, &n, &err), FL_ENOTFOUND);
	fl_store_close(st);
	tmp_cleanup();
}

static int ds_cb(const struct fl_store_ds_item *it, void *payload)
{
	struct names *n = payload;
	size_t l = strlen(n->buf);
	snprintf(n->buf + l, sizeof(n->buf) - l, "%s%s:%s:%s", l ? "," : "", it->key, it->content_type,
		 it->value ? "value" : "novalue");
	return 0;
}

FLT_TEST(datastore_created_updated)
{
	struct fl_error err = FL_ERROR_INIT;
	struct fl_store *st;
	struct fl_store_ds_item it = { 0 }, got = { 0 };
	struct names n = { { 0 } };
	bool created = false;

	tmp_setup();
	st = open_rw();
	OK(fl_store_begin(st, &err));
	it.key = (char *)"teams";
	it.content_type = (char *)"application/json";
	it.value = (char *)"{\"a\":\0}";
	it.value_len = 7;
	OK(fl_store_ds_put(st, &created, &it, &err));
	FLT_ASSERT(created);
	/* identical re-put is an update, not a creation */
	OK(fl_store_ds_put(st, &created, &it, &err));
	FLT_ASSERT(!created);
	it.key = (char *)"alpha";
	it.description = (char *)"first";
	it.content_type = NULL;
	OK(fl_store_ds_put(st, &created, &it, &err));
	OK(fl_store_commit(st, &err));

	OK(fl_store_ds_get(st, &got, "teams", &err));
	FLT_EQ_MEM(got.value, got.value_len, "{\"a\":\0}", (size_t)7);
	FLT_EQ_STR(got.content_type, "application/json");
	FLT_ASSERT(got.description == NULL);
	fl_store_ds_item_release(&got);
	OK(fl_store_ds_list(st, ds_cb, &n, &err));
	FLT_EQ_STR(n.buf, "alpha:text/plain; charset=us-ascii:novalue,teams:application/json:novalue");

	OK(fl_store_begin(st, &err));
	OK(fl_store_ds_delete(st, "teams", &err));
	FLT_EQ_INT(fl_store_ds_delete(st, "teams", &err), FL_ENOTFOUND);
	OK(fl_store_commit(st, &err));
	FLT_EQ_INT(fl_store_ds_get(st, &got, "teams", &err), FL_ENOTFOUND);
	fl_store_close(st);
	tmp_cleanup();
}

static int count_cb(const struct fl_store_action *a, void *payload)
{
	(void)a;
	(*(int *)payload)++;
	return 0;
}

FLT_TEST(expiry_in_chunks)
{
	struct fl_error err = FL_ERROR_INIT;
	struct fl_store *st;
	struct fl_store_action a = { 0 };
	struct fl_store_claim c = { .now = 5000 };
	struct fl_store_flow f = { 0 };
	struct names n = { { 0 } };
	struct fl_store_audit_query q = { .limit = 100 };
	char id[16], corr[16];
	size_t cnt;
	int seen = 0;

	tmp_setup();
	st = open_rw();
	OK(fl_store_begin(st, &err));
	for (int i = 0; i < 25; i++) {
		snprintf(id, sizeof(id), "old%02d", i);
		snprintf(corr, sizeof(corr), "c%02d", i);
		add_action(st, id, corr, "s", "P", NULL, "Run", 100 + i);
	}
	add_action(st, "fresh", "cf", "s", "P", NULL, "Run", 10000);
	OK(fl_store_commit(st, &err));

	/* open actions expire in chunks of at most `limit` */
	size_t chunks[] = { 10, 10, 5, 0 };
	for (size_t i = 0; i < FL_ARRAY_LEN(chunks); i++) {
		OK(fl_store_begin(st, &err));
		OK(fl_store_expire_actions(st, &cnt, 1000, 10, count_cb, &seen, &err));
		OK(fl_store_commit(st, &err));
		FLT_EQ_INT(cnt, chunks[i]);
	}
	FLT_EQ_INT(seen, 25);
	/* expired actions cannot be taken or completed but stay in the audit */
	OK(fl_store_begin(st, &err));
	c.action_id = "old00";
	FLT_EQ_INT(fl_store_action_claim(st, &a, &c, &err), FL_ENOTFOUND);
	c.action_id = NULL;
	c.pack_name = "P";
	OK(fl_store_action_claim(st, &a, &c, &err));
	FLT_EQ_STR(a.id, "fresh");
	fl_store_action_release(&a);
	OK(fl_store_commit(st, &err));
	OK(fl_store_action_get(st, &a, "old00", &err));
	FLT_ASSERT(a.expired);
	FLT_EQ_INT(a.state, FL_ACTION_NEW);
	fl_store_action_release(&a);
	OK(fl_store_action_load_new(st, id_cb, &n, &err));
	FLT_EQ_STR(n.buf, "");

	/* audit records go in chunks of executions */
	OK(fl_store_begin(st, &err));
	OK(fl_store_expire_audit(st, &cnt, 1000, 20, &err));
	FLT_EQ_INT(cnt, 40); /* 20 executions + their 20 actions */
	OK(fl_store_expire_audit(st, &cnt, 1000, 20, &err));
	FLT_EQ_INT(cnt, 10);
	OK(fl_store_expire_audit(st, &cnt, 1000, 20, &err));
	FLT_EQ_INT(cnt, 0);
	OK(fl_store_commit(st, &err));
	FLT_EQ_INT(fl_store_action_get(st, &a, "old24", &err), FL_ENOTFOUND);
	n.buf[0] = 0;
	FLT_EQ_STR(audit(st, &q, &n), "cf");

	/* flow versions: only old, non-latest, unreferenced ones go */
	OK(fl_store_begin(st, &err));
	f.name = (char *)"flow1";
	f.def = (char *)"{}";
	f.created = 1;
	f.uuid = (char *)"uuid1"; /* referenced by execution cf */
	OK(fl_store_flow_put(st, NULL, &f, &err));
	f.uuid = (char *)"unused";
	OK(fl_store_flow_put(st, NULL, &f, &err));
	f.uuid = (char *)"latest";
	OK(fl_store_flow_put(st, NULL, &f, &err));
	OK(fl_store_expire_flow_versions(st, &cnt, 1000, 100, &err));
	FLT_EQ_INT(cnt, 1);
	OK(fl_store_commit(st, &err));
	{
		struct fl_store_flow got = { 0 };
		FLT_EQ_INT(fl_store_flow_get_version(st, &got, "unused", &err), FL_ENOTFOUND);
		OK(fl_store_flow_get_version(st, &got, "uuid1", &err));
		fl_store_flow_release(&got);
		OK(fl_store_flow_get_version(st, &got, "latest", &err));
		fl_store_flow_release(&got);
	}
	fl_store_close(st);
	tmp_cleanup();
}

FLT_TEST(readers_see_committed_snapshot)
{
	struct fl_error err = FL_ERROR_INIT;
	struct fl_store *st, *ro = NULL;
	struct fl_store_ds_item it = { 0 }, got = { 0 };

	tmp_setup();
	st = open_rw();
	OK(fl_store_open(&ro, NULL, dbpath, FL_STORE_READONLY, &err));
	it.key = (char *)"k";
	it.value = (char *)"v";
	it.value_len = 1;
	OK(fl_store_begin(st, &err));
	OK(fl_store_ds_put(st, NULL, &it, &err));
	/* uncommitted: invisible to the reader, and the reader is not blocked */
	FLT_EQ_INT(fl_store_ds_get(ro, &got, "k", &err), FL_ENOTFOUND);
	OK(fl_store_commit(st, &err));
	OK(fl_store_ds_get(ro, &got, "k", &err));
	FLT_EQ_STR(got.value, "v");
	fl_store_ds_item_release(&got);
	/* a read-only connection refuses writes */
	FLT_ASSERT(fl_store_ds_put(ro, NULL, &it, &err) != FL_OK);
	FLT_EQ_INT(fl_store_migrate(ro, &err), FL_EMISUSE);
	fl_store_close(ro);
	fl_store_close(st);
	tmp_cleanup();
}

/*
 * A transaction whose rollback never ran (the rollback failed) must not make
 * the connection unusable: the next begin abandons it.  Otherwise every
 * later begin fails with "cannot start a transaction within a transaction".
 */
FLT_TEST(begin_after_a_rollback_that_did_not_happen)
{
	struct fl_error err = FL_ERROR_INIT;
	struct fl_store *st, *ro = NULL;
	struct fl_store_ds_item it = { 0 }, got = { 0 };

	tmp_setup();
	st = open_rw();
	OK(fl_store_open(&ro, NULL, dbpath, FL_STORE_READONLY, &err));
	it.key = (char *)"k";
	it.value = (char *)"v";
	it.value_len = 1;
	/* the writer: a write left in an open transaction is dropped by the next begin */
	OK(fl_store_begin(st, &err));
	OK(fl_store_ds_put(st, NULL, &it, &err));
	OK(fl_store_begin(st, &err));
	FLT_EQ_INT(fl_store_ds_get(st, &got, "k", &err), FL_ENOTFOUND);
	it.key = (char *)"k2";
	OK(fl_store_ds_put(st, NULL, &it, &err));
	OK(fl_store_commit(st, &err));
	/* a reader left in its read transaction begins again and sees the commit */
	OK(fl_store_begin(ro, &err));
	OK(fl_store_begin(ro, &err));
	OK(fl_store_ds_get(ro, &got, "k2", &err));
	fl_store_ds_item_release(&got);
	OK(fl_store_rollback(ro, &err));
	fl_store_close(ro);
	fl_store_close(st);
	tmp_cleanup();
}

static long file_size(const char *path)
{
	FILE *f = fopen(path, "rb");
	long n;

	if (!f)
		return -1;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fclose(f);
	return n;
}

FLT_TEST(maintain_checkpoints_a_grown_wal)
{
	struct fl_error err = FL_ERROR_INIT;
	struct fl_store *st;
	struct fl_store_ds_item it = { 0 };
	static char value[4096];
	char key[32];
	long before;

	tmp_setup();
	st = open_rw();
	OK(fl_store_maintain(st, &err)); /* nothing to do */
	memset(value, 'v', sizeof(value));
	it.value = value;
	it.value_len = sizeof(value);
	OK(fl_store_begin(st, &err));
	for (int i = 0; i < 1200; i++) {
		snprintf(key, sizeof(key), "k%04d", i);
		it.key = key;
		OK(fl_store_ds_put(st, NULL, &it, &err));
	}
	OK(fl_store_commit(st, &err));
	/* commits never checkpoint by themselves: the pages are still only in the WAL */
	before = file_size(dbpath);
	FLT_ASSERT(before < 1200L * 4096);
	OK(fl_store_maintain(st, &err));
	FLT_ASSERT(file_size(dbpath) >= 1200L * 4096);
	fl_store_close(st);
	tmp_cleanup();
}

FLT_TEST(state_names)
{
	FLT_EQ_STR(fl_store_state_name(FL_ACTION_SUCCESS), "SUCCESS");
	FLT_EQ_STR(fl_store_state_name(9), "UNKNOWN");
	FLT_EQ_INT(fl_store_state_parse("PENDING"), FL_ACTION_PENDING);
	FLT_EQ_INT(fl_store_state_parse("DONE"), -1);
}

FLT_MAIN(migrate_fresh_and_reopen, lock_refuses_second_open, packs_crud, flows_versions,
	 claim_oldest_first_and_states, claim_label_subset_and_command_filter, complete_and_requeue_are_fenced,
	 once_per_execution_step_and_savepoints, load_new_and_execution_steps, audit_filters_and_paging,
	 datastore_created_updated, expiry_in_chunks, readers_see_committed_snapshot,
	 begin_after_a_rollback_that_did_not_happen, maintain_checkpoints_a_grown_wal,
	 state_names)
