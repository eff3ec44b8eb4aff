/* SPDX-License-Identifier: Apache-2.0 */
/*
 * conformance.c - the store contract (src/store/store.h,
 * docs/internals/store.md) as tests every driver must pass.
 *
 * usage: store-conformance DRIVER [TARGET]
 *        (or FL_TEST_STORE_DRIVER / FL_TEST_STORE_TARGET in the environment)
 *
 * Every test works on a fresh, empty database made by the driver's hooks
 * (driver.h): for SQLite a new file in a new temporary directory under
 * TARGET, for a server database a fresh schema.  Only the vtable is used;
 * what is specific to one driver (SQLite's lock file, WAL checkpoints, the
 * deleted-file check) is tested next to it (tests/store/sqlite.c).
 */
#include "fl-common.h"

#include <jansson.h>

#include "driver.h"
#include "error.h"
#include "fltest.h"
#include "store/store.h"

static const struct conf_driver *const conf_drivers[] = {
	&conf_driver_sqlite,
#ifdef FL_HAVE_PG
	&conf_driver_pg,
#endif
};

static const struct conf_driver *drv;
static const char *target;
static struct fl_store *open_rw(void)
{
	return conf_db_open(0);
}

static struct fl_store *open_ro(void)
{
	return conf_db_open(FL_STORE_READONLY);
}

/* A fresh database for the test that calls it (driver.h), opened read-write. */
static struct fl_store *fresh(void)
{
	conf_db_fresh(drv, target);
	return open_rw();
}

/* fresh() with a transaction begun. */
static struct fl_store *fresh_begin(void)
{
	struct fl_error err = FL_ERROR_INIT;
	struct fl_store *st = fresh();
	int rc = fl_store_begin(st, &err);

	if (rc != FL_OK)
		FLT_FAIL("begin failed: %d %s", rc, err.msg);
	return st;
}

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

static struct fl_store_ds_item ds_item(const char *key, const char *value)
{
	struct fl_store_ds_item it = { 0 };

	it.key = (char *)key;
	it.value = (char *)value;
	it.value_len = strlen(value);
	return it;
}

/*
 * A put that reports whether it created (true) or replaced (false): the call
 * succeeds and says `want` (expects `bool created` and `err` in scope).
 */
#define OK_CREATED(call, want)                                                \
	do {                                                                  \
		created = !(want);                                            \
		OK(call);                                                     \
		FLT_EQ_INT(created, (want));                                  \
	} while (0)

/* An action of command Run of pack P in flow f (version u), with no optional field. */
static struct fl_store_action_new new_action(const char *id, const char *corr, const char *step, int64_t created)
{
	return (struct fl_store_action_new){
		.id = id,
		.correlation_id = corr,
		.step_id = step,
		.flow_name = "f",
		.flow_uuid = "u",
		.name = "Run",
		.pack_name = "P",
		.trigger = "{}",
		.created = created,
	};
}

/* Put a version of a flow (definition "{}") inside the open transaction. */
static void put_version(struct fl_store *st, const char *name, const char *uuid, int64_t created)
{
	struct fl_error err = FL_ERROR_INIT;
	struct fl_store_flow f = { .name = (char *)name, .uuid = (char *)uuid, .def = (char *)"{}", .created = created };

	OK(fl_store_flow_put(st, NULL, &f, &err));
}

/* Claim an action with c: it must be `want` (NULL: any). */
static void claim(struct fl_store *st, const struct fl_store_claim *c, const char *want)
{
	struct fl_error err = FL_ERROR_INIT;
	struct fl_store_action a = { 0 };

	OK(fl_store_action_claim(st, &a, c, &err));
	if (want && strcmp(a.id, want) != 0) {
		char got[64];
		snprintf(got, sizeof(got), "%s", a.id);
		fl_store_action_release(&a);
		FLT_FAIL("claimed '%s', expected '%s'", got, want);
	}
	fl_store_action_release(&a);
}

/* The datastore item `key` exists, with this value (NULL: any). */
static void ds_has(struct fl_store *st, const char *key, const char *want)
{
	struct fl_error err = FL_ERROR_INIT;
	struct fl_store_ds_item got = { 0 };
	bool same;

	OK(fl_store_ds_get(st, &got, key, &err));
	same = !want || (got.value && strcmp(got.value, want) == 0);
	fl_store_ds_item_release(&got);
	if (!same)
		FLT_FAIL("datastore '%s' is not \"%s\"", key, want);
}

/* There is no datastore item `key`. */
static void ds_absent(struct fl_store *st, const char *key)
{
	struct fl_error err = FL_ERROR_INIT;
	struct fl_store_ds_item got = { 0 };
	int rc = fl_store_ds_get(st, &got, key, &err);

	fl_store_ds_item_release(&got);
	if (rc != FL_ENOTFOUND)
		FLT_FAIL("datastore '%s': got %d, expected FL_ENOTFOUND", key, rc);
}

/* The action's state history is exactly these values at these times. */
static void expect_states(const struct fl_store_action *a, size_t n, const char *const values[],
			  const int64_t times[])
{
	json_t *states = json_loads(a->states, 0, NULL);
	size_t got = json_array_size(states), bad = SIZE_MAX;

	for (size_t i = 0; i < n && i < got && bad == SIZE_MAX; i++) {
		json_t *e = json_array_get(states, i);
		const char *v = json_string_value(json_object_get(e, "value"));
		if (!v || strcmp(v, values[i]) != 0 || json_integer_value(json_object_get(e, "time")) != times[i])
			bad = i;
	}
	json_decref(states);
	if (bad != SIZE_MAX)
		FLT_FAIL("state %zu of %s is not %s at %" PRId64 ": %s", bad, a->id, values[bad], times[bad], a->states);
	FLT_EQ_INT(got, n);
}

/* ---------------------------------------------------------- collectors */

struct names {
	char buf[1024];
	int n;       /* rows seen */
	int stop_at; /* return 7 from the callback at this row (1-based), 0 = never */
};

static int add_name(struct names *n, const char *s)
{
	size_t l = strlen(n->buf);
	snprintf(n->buf + l, sizeof(n->buf) - l, "%s%s", l ? "," : "", s);
	return ++n->n == n->stop_at ? 7 : 0;
}

static int pack_name_cb(const struct fl_store_pack *p, void *payload)
{
	return add_name(payload, p->id);
}

static int flow_name_cb(const struct fl_store_flow *f, void *payload)
{
	char s[256];
	snprintf(s, sizeof(s), "%s:%s:%s", f->name, f->description ? f->description : "-", f->def ? "def" : "nodef");
	return add_name(payload, s);
}

static int id_cb(const struct fl_store_action *a, void *payload)
{
	return add_name(payload, a->id);
}

static int step_cb(const char *step, int state, void *payload)
{
	char s[128];
	snprintf(s, sizeof(s), "%s=%s", step, fl_store_state_name(state));
	return add_name(payload, s);
}

static int corr_cb(const char *corr, int64_t latest, void *payload)
{
	(void)latest;
	return add_name(payload, corr);
}

static int ds_cb(const struct fl_store_ds_item *it, void *payload)
{
	char s[256];
	snprintf(s, sizeof(s), "%s:%s:%s", it->key, it->content_type, it->value ? "value" : "novalue");
	return add_name(payload, s);
}

static int count_cb(const struct fl_store_action *a, void *payload)
{
	(void)a;
	(*(int *)payload)++;
	return 0;
}

/* The executions an audit query lists, comma-separated (or "error: ..."). */
static const char *audit(struct fl_store *st, const struct fl_store_audit_query *q, struct names *n)
{
	struct fl_error err = FL_ERROR_INIT;

	memset(n, 0, sizeof(*n));
	if (fl_store_audit_query(st, q, corr_cb, n, &err) != FL_OK)
		snprintf(n->buf, sizeof(n->buf), "error: %.200s", err.msg);
	return n->buf;
}

/* ------------------------------------------------------------ lifecycle */

FLT_TEST(migrate_fresh_and_reopen)
{
	struct fl_error err = FL_ERROR_INIT;
	struct fl_store *st;
	struct fl_store_pack p = { 0 }, got = { 0 };
	int v = -1, first;

	st = fresh();
	OK(fl_store_schema_version(st, &v, &err));
	FLT_ASSERT(v >= 1); /* each driver numbers its own migrations */
	first = v;
	OK(fl_store_migrate(st, &err)); /* idempotent */
	OK(fl_store_migrate(st, &err));
	OK(fl_store_schema_version(st, &v, &err));
	FLT_EQ_INT(v, first);
	p.id = (char *)"A.env.dev";
	p.name = (char *)"A";
	p.def = (char *)"{\"name\":\"A\"}";
	p.last_seen = 42;
	OK(fl_store_begin(st, &err));
	OK(fl_store_pack_upsert(st, NULL, &p, &err));
	OK(fl_store_commit(st, &err));
	fl_store_close(st);

	/* reopening migrates nothing and keeps the data */
	st = open_rw();
	OK(fl_store_schema_version(st, &v, &err));
	FLT_EQ_INT(v, first);
	OK(fl_store_pack_get(st, &got, "A.env.dev", &err));
	FLT_EQ_STR(got.name, "A");
	FLT_EQ_INT(got.last_seen, 42);
	fl_store_pack_release(&got);
	OK(fl_store_ping(st, &err));
	fl_store_close(st);
}

FLT_TEST(schema_newer_than_the_program_is_refused)
{
	struct fl_error err = FL_ERROR_INIT;
	struct fl_store *st;
	char msg[256] = "";

	st = fresh();
	fl_store_close(st);
	if (drv->set_schema_version(conf_db, 99, msg, sizeof(msg)) != 0)
		FLT_FAIL("cannot set the schema version: %s", msg);
	st = NULL;
	FLT_EQ_INT(fl_store_open(&st, drv->name, conf_db, 0, &err), FL_EINVALID);
	FLT_ASSERT(st == NULL);
	FLT_ASSERT(strstr(err.msg, "schema version 99") != NULL);
	FLT_ASSERT(strstr(err.msg, "newer") != NULL);
}

FLT_TEST(one_writer_per_database)
{
	struct fl_error err = FL_ERROR_INIT;
	struct fl_store *st, *st2 = (struct fl_store *)1, *ro = NULL;

	st = fresh();
	if (fl_store_is_shared(st)) {
		/* a driver for several servers takes no lock: a second writer is welcome */
		OK(fl_store_open(&st2, drv->name, conf_db, 0, &err));
		OK(fl_store_ping(st2, &err));
		fl_store_close(st2);
		fl_store_close(st);
		return;
	}
	FLT_EQ_INT(fl_store_open(&st2, drv->name, conf_db, 0, &err), FL_ECONFLICT);
	FLT_ASSERT(st2 == NULL);
	FLT_ASSERT(strstr(err.msg, "is in use by another flyte process") != NULL);
	/* read-only connections do not count */
	OK(fl_store_open(&ro, drv->name, conf_db, FL_STORE_READONLY, &err));
	OK(fl_store_ping(ro, &err));
	fl_store_close(ro);
	fl_store_close(st);
	/* the claim goes away with the connection */
	OK(fl_store_open(&st2, drv->name, conf_db, 0, &err));
	fl_store_close(st2);
}

FLT_TEST(registry)
{
	struct fl_error err = FL_ERROR_INIT;
	struct fl_store *st = (struct fl_store *)1;

	FLT_ASSERT(fl_store_driver_find(drv->name) != NULL);
	FLT_EQ_STR(fl_store_driver_find(drv->name)->name, drv->name);
	FLT_EQ_INT(fl_store_driver_find(drv->name)->abi_version, FL_STORE_ABI_VERSION);
	FLT_ASSERT(fl_store_driver_find("nosuch") == NULL);
	FLT_EQ_INT(fl_store_open(&st, "nosuch", "x", 0, &err), FL_EINVALID);
	FLT_ASSERT(st == NULL);
	FLT_ASSERT(strstr(err.msg, "unknown store driver 'nosuch'") != NULL);
	fl_store_close(NULL); /* NULL-tolerant */
}

FLT_TEST(read_only_connection)
{
	struct fl_error err = FL_ERROR_INIT;
	struct fl_store *st, *ro;
	struct fl_store_ds_item it = ds_item("k", "v");

	st = fresh();
	ro = open_ro();
	OK(fl_store_ping(ro, &err));
	FLT_EQ_INT(fl_store_migrate(ro, &err), FL_EMISUSE);
	/* a read-only connection refuses writes, inside a transaction or not */
	FLT_ASSERT(fl_store_ds_put(ro, NULL, &it, &err) != FL_OK);
	OK(fl_store_begin(ro, &err));
	FLT_ASSERT(fl_store_ds_put(ro, NULL, &it, &err) != FL_OK);
	OK(fl_store_rollback(ro, &err));
	ds_absent(st, "k");
	/* and reads */
	OK(fl_store_begin(st, &err));
	OK(fl_store_ds_put(st, NULL, &it, &err));
	OK(fl_store_commit(st, &err));
	ds_has(ro, "k", "v");
	fl_store_close(ro);
	fl_store_close(st);
}

FLT_TEST(maintain_outside_transactions)
{
	struct fl_error err = FL_ERROR_INIT;
	struct fl_store *st, *ro;
	struct fl_store_ds_item it = ds_item("k", "v");

	st = fresh();
	ro = open_ro();
	OK(fl_store_maintain(st, &err)); /* nothing to do */
	OK(fl_store_maintain(ro, &err));
	OK(fl_store_begin(st, &err));
	OK(fl_store_ds_put(st, NULL, &it, &err));
	OK(fl_store_commit(st, &err));
	OK(fl_store_maintain(st, &err));
	OK(fl_store_ping(st, &err));
	fl_store_close(ro);
	fl_store_close(st);
}

/* --------------------------------------------------------- transactions */

FLT_TEST(commit_and_rollback)
{
	struct fl_error err = FL_ERROR_INIT;
	struct fl_store *st;
	struct fl_store_ds_item a = ds_item("a", "1"), b = ds_item("b", "2"), c = ds_item("c", "3");

	st = fresh_begin();
	OK(fl_store_ds_put(st, NULL, &a, &err));
	OK(fl_store_rollback(st, &err));
	ds_absent(st, "a");

	/* a rolled back savepoint undoes only its own writes, and is released */
	OK(fl_store_begin(st, &err));
	OK(fl_store_ds_put(st, NULL, &a, &err));
	OK(fl_store_savepoint(st, &err));
	OK(fl_store_ds_put(st, NULL, &b, &err));
	OK(fl_store_savepoint_rollback(st, &err));
	ds_absent(st, "b");
	OK(fl_store_savepoint(st, &err));
	OK(fl_store_ds_put(st, NULL, &c, &err));
	OK(fl_store_savepoint_release(st, &err));
	/* the transaction sees its own writes */
	ds_has(st, "c", NULL);
	OK(fl_store_commit(st, &err));
	fl_store_close(st);

	st = open_rw();
	ds_has(st, "a", NULL);
	ds_absent(st, "b");
	ds_has(st, "c", NULL);
	fl_store_close(st);
}

/* ---------------------------------------------------------------- packs */

FLT_TEST(packs_crud)
{
	struct fl_error err = FL_ERROR_INIT;
	struct fl_store *st;
	struct fl_store_pack p = { 0 }, got = { 0 };
	struct names n = { { 0 }, 0, 0 };
	bool created = false;

	st = fresh_begin();
	p.id = (char *)"Zed";
	p.name = (char *)"Zed";
	p.def = (char *)"{}";
	p.last_seen = 10;
	OK_CREATED(fl_store_pack_upsert(st, &created, &p, &err), true);
	OK_CREATED(fl_store_pack_upsert(st, &created, &p, &err), false);
	p.id = (char *)"Alpha.env.dev";
	p.name = (char *)"Alpha";
	OK_CREATED(fl_store_pack_upsert(st, &created, &p, &err), true);
	p.id = (char *)"Alpha";
	OK(fl_store_pack_upsert(st, NULL, &p, &err));
	/* sorted by name, then id */
	OK(fl_store_pack_list(st, pack_name_cb, &n, &err));
	FLT_EQ_STR(n.buf, "Alpha,Alpha.env.dev,Zed");

	/* an upsert replaces the definition and lastSeen */
	p.id = (char *)"Zed";
	p.name = (char *)"Zed";
	p.def = (char *)"{\"name\":\"Zed\",\"labels\":{}}";
	p.last_seen = 5;
	OK_CREATED(fl_store_pack_upsert(st, &created, &p, &err), false);
	OK(fl_store_pack_get(st, &got, "Zed", &err));
	FLT_EQ_STR(got.id, "Zed");
	FLT_EQ_STR(got.def, "{\"name\":\"Zed\",\"labels\":{}}");
	FLT_EQ_INT(got.last_seen, 5);
	fl_store_pack_release(&got);

	/* touch only moves forward */
	OK(fl_store_pack_touch(st, "Zed", 100, &err));
	OK(fl_store_pack_touch(st, "Zed", 50, &err));
	OK(fl_store_pack_get(st, &got, "Zed", &err));
	FLT_EQ_INT(got.last_seen, 100);
	fl_store_pack_release(&got);
	/* touching a pack deleted meanwhile is no error (lastSeen flushes follow deletes) */
	OK(fl_store_pack_touch(st, "Gone", 100, &err));
	FLT_EQ_INT(fl_store_pack_get(st, &got, "Gone", &err), FL_ENOTFOUND);

	OK(fl_store_pack_delete(st, "Zed", &err));
	FLT_EQ_INT(fl_store_pack_delete(st, "Zed", &err), FL_ENOTFOUND);
	FLT_EQ_INT(fl_store_pack_get(st, &got, "Zed", &err), FL_ENOTFOUND);
	OK(fl_store_commit(st, &err));
	fl_store_close(st);
}

/* ---------------------------------------------------------------- flows */

FLT_TEST(flows_versions)
{
	struct fl_error err = FL_ERROR_INIT;
	struct fl_store *st;
	struct fl_store_flow f = { 0 }, got = { 0 };
	struct names n = { { 0 }, 0, 0 };
	bool created = false;

	st = fresh_begin();
	f.uuid = (char *)"u1";
	f.name = (char *)"beta";
	f.def = (char *)"{\"v\":1}";
	f.created = 1;
	OK_CREATED(fl_store_flow_put(st, &created, &f, &err), true);
	f.uuid = (char *)"u2";
	f.def = (char *)"{\"v\":2}";
	f.description = (char *)"second";
	f.created = 2;
	OK_CREATED(fl_store_flow_put(st, &created, &f, &err), false);
	f.uuid = (char *)"u3";
	f.name = (char *)"alpha";
	f.description = NULL;
	f.created = 3;
	OK_CREATED(fl_store_flow_put(st, &created, &f, &err), true);

	OK(fl_store_flow_get(st, &got, "beta", &err));
	FLT_EQ_STR(got.uuid, "u2");
	FLT_EQ_STR(got.name, "beta");
	FLT_EQ_STR(got.def, "{\"v\":2}");
	FLT_EQ_STR(got.description, "second");
	FLT_EQ_INT(got.created, 2);
	fl_store_flow_release(&got);
	OK(fl_store_flow_get_version(st, &got, "u1", &err));
	FLT_EQ_STR(got.name, "beta");
	FLT_EQ_STR(got.def, "{\"v\":1}");
	FLT_ASSERT(got.description == NULL);
	FLT_EQ_INT(got.created, 1);
	fl_store_flow_release(&got);
	FLT_EQ_INT(fl_store_flow_get_version(st, &got, "nosuch", &err), FL_ENOTFOUND);

	OK(fl_store_flow_list(st, false, flow_name_cb, &n, &err));
	FLT_EQ_STR(n.buf, "alpha:-:nodef,beta:second:nodef");
	memset(&n, 0, sizeof(n));
	OK(fl_store_flow_list(st, true, flow_name_cb, &n, &err));
	FLT_EQ_STR(n.buf, "alpha:-:def,beta:second:def");

	OK(fl_store_flow_delete(st, "beta", &err));
	FLT_EQ_INT(fl_store_flow_delete(st, "beta", &err), FL_ENOTFOUND);
	FLT_EQ_INT(fl_store_flow_get(st, &got, "beta", &err), FL_ENOTFOUND);
	memset(&n, 0, sizeof(n));
	OK(fl_store_flow_list(st, false, flow_name_cb, &n, &err));
	FLT_EQ_STR(n.buf, "alpha:-:nodef");
	/* history stays */
	OK(fl_store_flow_get_version(st, &got, "u2", &err));
	fl_store_flow_release(&got);
	/* putting a deleted name again creates it */
	f.uuid = (char *)"u4";
	f.name = (char *)"beta";
	OK_CREATED(fl_store_flow_put(st, &created, &f, &err), true);
	OK(fl_store_flow_get(st, &got, "beta", &err));
	FLT_EQ_STR(got.uuid, "u4");
	fl_store_flow_release(&got);
	OK(fl_store_commit(st, &err));
	fl_store_close(st);
}

/* -------------------------------------------------------------- actions */

FLT_TEST(insert_and_get_every_field)
{
	struct fl_error err = FL_ERROR_INIT;
	struct fl_store *st;
	struct fl_store_action a = { 0 };
	struct fl_store_action_new n = new_action("a1", "c1", "s1", 1700000000123456789);
	int64_t s1 = 0, s2 = 0;

	n.pack_labels = "{\"env\":\"prod\"}";
	n.input = "[1,\"two\",null]";
	n.context = "{\"who\":\"ann\"}";
	n.trigger = "{\"event\":\"Go\",\"pack\":{\"id\":\"Src\",\"name\":\"Src\"}}";
	st = fresh_begin();
	OK(fl_store_action_insert(st, &s1, &n, &err));
	OK(fl_store_action_get(st, &a, "a1", &err));
	FLT_EQ_INT(a.seq, s1);
	FLT_EQ_STR(a.id, "a1");
	FLT_EQ_STR(a.correlation_id, "c1");
	FLT_EQ_STR(a.step_id, "s1");
	FLT_EQ_STR(a.flow_name, "f");
	FLT_EQ_STR(a.flow_uuid, "u");
	FLT_EQ_STR(a.name, "Run");
	FLT_EQ_STR(a.pack_name, "P");
	FLT_EQ_STR(a.pack_labels, "{\"env\":\"prod\"}");
	FLT_EQ_STR(a.input, "[1,\"two\",null]");
	FLT_EQ_STR(a.context, "{\"who\":\"ann\"}");
	FLT_EQ_STR(a.trigger, "{\"event\":\"Go\",\"pack\":{\"id\":\"Src\",\"name\":\"Src\"}}");
	FLT_ASSERT(a.result == NULL);
	FLT_EQ_INT(a.state, FL_ACTION_NEW);
	FLT_EQ_INT(a.state_time, 1700000000123456789);
	FLT_EQ_INT(a.attempt, 0);
	FLT_EQ_INT(a.lease_until, 0);
	FLT_ASSERT(!a.expired);
	expect_states(&a, 1, (const char *const[]){ "NEW" }, (const int64_t[]){ 1700000000123456789 });
	fl_store_action_release(&a);

	/* optional fields: no labels, input null, no context, no step id */
	n.id = "a2";
	n.step_id = NULL;
	n.pack_labels = NULL;
	n.input = NULL;
	n.context = NULL;
	OK(fl_store_action_insert(st, &s2, &n, &err));
	FLT_ASSERT(s2 > s1); /* seq grows with insertion order */
	OK(fl_store_action_get(st, &a, "a2", &err));
	FLT_EQ_STR(a.step_id, "");
	FLT_ASSERT(a.pack_labels == NULL);
	FLT_EQ_STR(a.input, "null");
	FLT_ASSERT(a.context == NULL);
	fl_store_action_release(&a);
	FLT_EQ_INT(fl_store_action_get(st, &a, "nosuch", &err), FL_ENOTFOUND);
	OK(fl_store_commit(st, &err));
	fl_store_close(st);
}

FLT_TEST(json_fields_kept_verbatim)
{
	struct fl_error err = FL_ERROR_INIT;
	struct fl_store *st;
	struct fl_store_pack p = { 0 }, gp = { 0 };
	struct fl_store_flow f = { 0 }, gf = { 0 };
	struct fl_store_action a = { 0 };
	struct fl_store_claim c = { .action_id = "a1", .now = 2 };
	/* key order, duplicate-looking keys, unicode and escapes must survive as written */
	static const char odd[] = "{\"z\":1,\"a\":[1.50,\"\\u00e9\\n\"],\"m\":{\"b\":true,\"a\":null}}";
	struct fl_store_action_new n = new_action("a1", "c1", "s1", 1);

	n.pack_labels = "{\"z\":\"1\",\"a\":\"2\"}";
	n.input = n.context = n.trigger = odd;
	st = fresh_begin();
	p.id = (char *)"P";
	p.name = (char *)"P";
	p.def = (char *)odd;
	OK(fl_store_pack_upsert(st, NULL, &p, &err));
	f.uuid = (char *)"u";
	f.name = (char *)"f";
	f.def = (char *)odd;
	OK(fl_store_flow_put(st, NULL, &f, &err));
	OK(fl_store_action_insert(st, NULL, &n, &err));
	claim(st, &c, "a1");
	OK(fl_store_action_complete(st, "a1", 1, FL_ACTION_SUCCESS, 3, odd, &err));
	OK(fl_store_commit(st, &err));

	OK(fl_store_pack_get(st, &gp, "P", &err));
	FLT_EQ_STR(gp.def, odd);
	fl_store_pack_release(&gp);
	OK(fl_store_flow_get(st, &gf, "f", &err));
	FLT_EQ_STR(gf.def, odd);
	fl_store_flow_release(&gf);
	OK(fl_store_action_get(st, &a, "a1", &err));
	FLT_EQ_STR(a.pack_labels, "{\"z\":\"1\",\"a\":\"2\"}");
	FLT_EQ_STR(a.input, odd);
	FLT_EQ_STR(a.context, odd);
	FLT_EQ_STR(a.trigger, odd);
	FLT_EQ_STR(a.result, odd);
	fl_store_action_release(&a);
	fl_store_close(st);
}

FLT_TEST(claim_oldest_first_and_states)
{
	struct fl_error err = FL_ERROR_INIT;
	struct fl_store *st;
	struct fl_store_action a = { 0 };
	struct fl_store_claim c = { .pack_name = "P", .taker = "P-1", .now = 500, .lease_until = 777 };
	json_t *states;

	st = fresh_begin();
	add_action(st, "a1", "c1", "s1", "P", NULL, "Run", 100);
	add_action(st, "a2", "c2", "s1", "Q", NULL, "Run", 50);
	/* oldest means first inserted (seq), not earliest `created` */
	add_action(st, "a3", "c3", "s1", "P", NULL, "Run", 20);

	OK(fl_store_action_claim(st, &a, &c, &err));
	FLT_EQ_STR(a.id, "a1");
	FLT_EQ_INT(a.state, FL_ACTION_PENDING);
	FLT_EQ_INT(a.attempt, 1);
	FLT_EQ_INT(a.state_time, 500);
	FLT_EQ_INT(a.lease_until, 777); /* stored as given */
	FLT_EQ_STR(a.input, "{\"x\":1}");
	FLT_EQ_STR(a.context, "{\"k\":\"v\"}");
	expect_states(&a, 2, (const char *const[]){ "NEW", "PENDING" }, (const int64_t[]){ 100, 500 });
	/* the PENDING entry says which attempt it was and who took it */
	states = json_loads(a.states, 0, NULL);
	FLT_EQ_INT(json_integer_value(json_object_get(json_array_get(states, 1), "attempt")), 1);
	FLT_EQ_STR(json_string_value(json_object_get(json_array_get(states, 1), "by")), "P-1");
	json_decref(states);
	fl_store_action_release(&a);
	/* what the claim returned is what is stored */
	OK(fl_store_action_get(st, &a, "a1", &err));
	FLT_EQ_INT(a.state, FL_ACTION_PENDING);
	FLT_EQ_INT(a.attempt, 1);
	FLT_EQ_INT(a.lease_until, 777);
	fl_store_action_release(&a);

	claim(st, &c, "a3");
	FLT_EQ_INT(fl_store_action_claim(st, &a, &c, &err), FL_ENOTFOUND);

	/* by id, whatever the pack */
	c.action_id = "a2";
	OK(fl_store_action_claim(st, &a, &c, &err));
	FLT_EQ_STR(a.pack_name, "Q");
	fl_store_action_release(&a);
	/* not NEW any more */
	FLT_EQ_INT(fl_store_action_claim(st, &a, &c, &err), FL_ENOTFOUND);
	c.action_id = "nosuch";
	FLT_EQ_INT(fl_store_action_claim(st, &a, &c, &err), FL_ENOTFOUND);
	/* a pack name with nothing queued */
	c.action_id = NULL;
	c.pack_name = "Nobody";
	FLT_EQ_INT(fl_store_action_claim(st, &a, &c, &err), FL_ENOTFOUND);
	OK(fl_store_commit(st, &err));
	fl_store_close(st);
}

FLT_TEST(claim_label_subset_and_command_filter)
{
	struct fl_error err = FL_ERROR_INIT;
	struct fl_store *st;
	struct fl_store_action a = { 0 };
	struct fl_store_claim c = { .pack_name = "P", .now = 1 };

	st = fresh_begin();
	add_action(st, "prod1", "c1", "s", "P", "{\"env\":\"prod\"}", "Run", 10);
	add_action(st, "any1", "c2", "s", "P", NULL, "Stop", 20);
	add_action(st, "dev1", "c3", "s", "P", "{\"env\":\"dev\"}", "Run", 30);
	add_action(st, "deveu", "c4", "s", "P", "{\"zone\":\"eu\",\"env\":\"dev\"}", "Run", 40);
	add_action(st, "empty", "c5", "s", "P", "{}", "Run", 50);
	add_action(st, "other", "c6", "s", "PP", NULL, "Run", 60);

	/* a taker without labels can only take actions without labels */
	claim(st, &c, "any1");
	claim(st, &c, "empty"); /* an empty label set is no condition */
	FLT_EQ_INT(fl_store_action_claim(st, &a, &c, &err), FL_ENOTFOUND); /* not "PP"'s */

	/* command filter */
	c.pack_labels = "{\"env\":\"dev\",\"zone\":\"eu\"}";
	c.command = "Stop";
	FLT_EQ_INT(fl_store_action_claim(st, &a, &c, &err), FL_ENOTFOUND);
	c.command = "Run";
	claim(st, &c, "dev1");
	/* every label of the action, in any order, must be among the taker's */
	c.pack_labels = "{\"env\":\"dev\"}";
	FLT_EQ_INT(fl_store_action_claim(st, &a, &c, &err), FL_ENOTFOUND);
	c.pack_labels = "{\"zone\":\"eu\",\"env\":\"dev\",\"x\":\"y\"}";
	claim(st, &c, "deveu");

	/* label values must be equal */
	c.pack_labels = "{\"env\":\"staging\"}";
	FLT_EQ_INT(fl_store_action_claim(st, &a, &c, &err), FL_ENOTFOUND);
	c.pack_labels = "{\"env\":\"prod\"}";
	c.command = NULL;
	claim(st, &c, "prod1");
	OK(fl_store_commit(st, &err));
	fl_store_close(st);
}

FLT_TEST(complete_and_requeue_are_fenced)
{
	struct fl_error err = FL_ERROR_INIT;
	struct fl_store *st;
	struct fl_store_action a = { 0 };
	struct fl_store_claim c = { .action_id = "a1", .now = 5 };

	st = fresh_begin();
	add_action(st, "a1", "c1", "s1", "P", NULL, "Run", 1);
	add_action(st, "a2", "c2", "s1", "P", NULL, "Run", 2);

	/* not taken yet */
	FLT_EQ_INT(fl_store_action_complete(st, "a1", -1, FL_ACTION_SUCCESS, 6, "{}", &err), FL_ECONFLICT);
	FLT_EQ_INT(fl_store_action_complete(st, "zz", -1, FL_ACTION_SUCCESS, 6, "{}", &err), FL_ENOTFOUND);
	FLT_EQ_INT(fl_store_action_requeue(st, &a, "a1", 0, 6, NULL, &err), FL_ECONFLICT);
	FLT_EQ_INT(fl_store_action_requeue(st, &a, "zz", 1, 6, NULL, &err), FL_ENOTFOUND);

	OK(fl_store_action_claim(st, &a, &c, &err));
	FLT_EQ_INT(a.attempt, 1);
	fl_store_action_release(&a);
	/* undelivered: back to NEW, fenced */
	FLT_EQ_INT(fl_store_action_requeue(st, &a, "a1", 2, 7, NULL, &err), FL_ECONFLICT);
	OK(fl_store_action_requeue(st, &a, "a1", 1, 7, NULL, &err));
	FLT_EQ_STR(a.id, "a1");
	FLT_EQ_INT(a.state, FL_ACTION_NEW);
	FLT_EQ_INT(a.state_time, 7);
	FLT_EQ_INT(a.attempt, 1);
	fl_store_action_release(&a);
	FLT_EQ_INT(fl_store_action_requeue(st, &a, "a1", 1, 7, NULL, &err), FL_ECONFLICT);
	/* a requeued action is taken before younger ones */
	c.action_id = NULL;
	c.pack_name = "P";
	c.now = 8;
	OK(fl_store_action_claim(st, &a, &c, &err));
	FLT_EQ_STR(a.id, "a1");
	FLT_EQ_INT(a.attempt, 2);
	fl_store_action_release(&a);

	/* a result of the first attempt is stale */
	FLT_EQ_INT(fl_store_action_complete(st, "a1", 1, FL_ACTION_SUCCESS, 9, "{}", &err), FL_ECONFLICT);
	FLT_ASSERT(strstr(err.msg, "stale") != NULL);
	/* only SUCCESS and FATAL finish an action */
	FLT_EQ_INT(fl_store_action_complete(st, "a1", 2, FL_ACTION_NEW, 9, "{}", &err), FL_EMISUSE);
	OK(fl_store_action_complete(st, "a1", 2, FL_ACTION_FATAL, 9, "{\"event\":\"FATAL\"}", &err));
	/* double completion */
	FLT_EQ_INT(fl_store_action_complete(st, "a1", -1, FL_ACTION_SUCCESS, 10, "{}", &err), FL_ECONFLICT);
	FLT_EQ_INT(fl_store_action_requeue(st, &a, "a1", 2, 10, NULL, &err), FL_ECONFLICT);

	OK(fl_store_action_get(st, &a, "a1", &err));
	FLT_EQ_INT(a.state, FL_ACTION_FATAL);
	FLT_EQ_INT(a.state_time, 9);
	FLT_EQ_INT(a.attempt, 2);
	FLT_EQ_STR(a.result, "{\"event\":\"FATAL\"}");
	expect_states(&a, 5, (const char *const[]){ "NEW", "PENDING", "NEW", "PENDING", "FATAL" },
		      (const int64_t[]){ 1, 5, 7, 8, 9 });
	fl_store_action_release(&a);

	/* an unchecked attempt (< 0) completes whatever the attempt */
	c.now = 11;
	claim(st, &c, "a2");
	OK(fl_store_action_complete(st, "a2", -1, FL_ACTION_SUCCESS, 12, "{\"event\":\"Done\"}", &err));
	OK(fl_store_action_get(st, &a, "a2", &err));
	FLT_EQ_INT(a.state, FL_ACTION_SUCCESS);
	fl_store_action_release(&a);
	OK(fl_store_commit(st, &err));
	fl_store_close(st);
}

struct times {
	int n;
	int64_t t[4];
};

static int audit_time_cb(const char *corr, int64_t latest, void *payload)
{
	struct times *x = payload;

	(void)corr;
	if (x->n < 4)
		x->t[x->n] = latest;
	x->n++;
	return 0;
}

FLT_TEST(finish_only_what_the_pack_holds)
{
	struct fl_error err = FL_ERROR_INIT;
	struct fl_store *st;
	struct fl_store_action a = { 0 };
	struct fl_store_claim c = { .action_id = "f1", .taker = "P-1", .now = 5 };
	struct fl_store_finish f = { .action_id = "f1", .attempt = 1, .state = FL_ACTION_SUCCESS, .now = 9,
				     .result = "{\"event\":\"Done\"}", .pack_name = "P",
				     .pack_labels = "{\"env\":\"dev\",\"zone\":\"eu\"}" };

	st = fresh_begin();
	add_action(st, "f1", "fc1", "s1", "P", "{\"env\":\"dev\"}", "Run", 1);
	add_action(st, "f2", "fc2", "s1", "P", NULL, "Run", 2);

	/* NEW: nothing to complete, nothing changed */
	FLT_EQ_INT(fl_store_action_finish(st, &a, &f, &err), FL_ENOTFOUND);
	OK(fl_store_action_claim(st, &a, &c, &err));
	fl_store_action_release(&a);
	/* another pack name, labels that are not a superset, another attempt, an unknown id */
	f.pack_name = "Q";
	FLT_EQ_INT(fl_store_action_finish(st, &a, &f, &err), FL_ENOTFOUND);
	f.pack_name = "P";
	f.pack_labels = "{\"env\":\"prod\"}";
	FLT_EQ_INT(fl_store_action_finish(st, &a, &f, &err), FL_ENOTFOUND);
	f.pack_labels = NULL;
	FLT_EQ_INT(fl_store_action_finish(st, &a, &f, &err), FL_ENOTFOUND);
	f.pack_labels = "{\"zone\":\"eu\",\"env\":\"dev\"}";
	f.attempt = 2;
	FLT_EQ_INT(fl_store_action_finish(st, &a, &f, &err), FL_ENOTFOUND);
	f.action_id = "zz";
	FLT_EQ_INT(fl_store_action_finish(st, &a, &f, &err), FL_ENOTFOUND);
	f.action_id = "f1";
	f.state = FL_ACTION_NEW;
	FLT_EQ_INT(fl_store_action_finish(st, &a, &f, &err), FL_EMISUSE);
	OK(fl_store_action_get(st, &a, "f1", &err));
	FLT_EQ_INT(a.state, FL_ACTION_PENDING);
	fl_store_action_release(&a);

	/* the pack that holds it: completed, the row as it is now comes back */
	f.state = FL_ACTION_SUCCESS;
	f.attempt = 1;
	OK(fl_store_action_finish(st, &a, &f, &err));
	FLT_EQ_STR(a.id, "f1");
	FLT_EQ_STR(a.correlation_id, "fc1");
	FLT_EQ_STR(a.flow_uuid, "uuid1");
	FLT_EQ_STR(a.context, "{\"k\":\"v\"}");
	FLT_EQ_INT(a.state, FL_ACTION_SUCCESS);
	FLT_EQ_INT(a.state_time, 9);
	FLT_EQ_INT(a.attempt, 1);
	FLT_EQ_STR(a.result, "{\"event\":\"Done\"}");
	fl_store_action_release(&a);
	/* once */
	FLT_EQ_INT(fl_store_action_finish(st, &a, &f, &err), FL_ENOTFOUND);

	/* without a fence, and an action without labels completed by a pack with labels */
	c.action_id = "f2";
	c.now = 10;
	OK(fl_store_action_claim(st, &a, &c, &err));
	fl_store_action_release(&a);
	f.action_id = "f2";
	f.attempt = -1;
	f.state = FL_ACTION_FATAL;
	f.now = 11;
	OK(fl_store_action_finish(st, &a, &f, &err));
	FLT_EQ_INT(a.state, FL_ACTION_FATAL);
	fl_store_action_release(&a);
	OK(fl_store_commit(st, &err));

	/* the execution's latest state time followed (the audit order) */
	{
		struct fl_store_audit_query q = { .limit = 10 };
		struct times got = { 0, { 0 } };
		OK(fl_store_audit_query(st, &q, audit_time_cb, &got, &err));
		FLT_EQ_INT(got.n, 2);
		FLT_EQ_INT(got.t[0], 11);
		FLT_EQ_INT(got.t[1], 9);
	}
	fl_store_close(st);
}

FLT_TEST(once_per_execution_step_and_savepoints)
{
	struct fl_error err = FL_ERROR_INIT;
	struct fl_store *st;
	struct fl_store_action a = { 0 };
	struct fl_store_action_new dup = new_action("a2", "c1", "s1", 2);

	st = fresh_begin();
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
}

FLT_TEST(a_refused_duplicate_leaves_the_transaction_usable)
{
	struct fl_error err = FL_ERROR_INIT;
	struct fl_store *st;
	struct fl_store_action a = { 0 };
	struct fl_store_action_new dup = new_action("dup", "c1", "s1", 2);
	struct names n = { { 0 }, 0, 0 };

	/* the engine skips a duplicate step and goes on with the job in the same savepoint */
	st = fresh_begin();
	OK(fl_store_savepoint(st, &err));
	add_action(st, "a1", "c1", "s1", "P", NULL, "Run", 1);
	FLT_EQ_INT(fl_store_action_insert(st, NULL, &dup, &err), FL_EEXISTS);
	/* the same id in another step is refused too (ids are unique) */
	dup.step_id = "s9";
	dup.id = "a1";
	FLT_EQ_INT(fl_store_action_insert(st, NULL, &dup, &err), FL_EEXISTS);
	add_action(st, "a2", "c1", "s2", "P", NULL, "Run", 3);
	OK(fl_store_savepoint_release(st, &err));
	OK(fl_store_commit(st, &err));
	OK(fl_store_audit_actions(st, "c1", id_cb, &n, &err));
	FLT_EQ_STR(n.buf, "a1,a2");
	OK(fl_store_action_get(st, &a, "a1", &err));
	FLT_EQ_STR(a.step_id, "s1");
	fl_store_action_release(&a);
	FLT_EQ_INT(fl_store_action_get(st, &a, "dup", &err), FL_ENOTFOUND);
	fl_store_close(st);
}

FLT_TEST(load_new_and_execution_steps)
{
	struct fl_error err = FL_ERROR_INIT;
	struct fl_store *st;
	struct fl_store_action a = { 0 };
	struct fl_store_claim c = { .action_id = "n2", .now = 9 };
	struct names n = { { 0 }, 0, 0 };
	struct names ss = { { 0 }, 0, 0 };

	st = fresh_begin();
	add_action(st, "n1", "c1", "a", "P", NULL, "Run", 30);
	add_action(st, "n2", "c1", "b", "Q", NULL, "Run", 10);
	add_action(st, "n3", "c2", "a", "P", NULL, "Run", 20);
	add_action(st, "n4", "c2", "b", "P", NULL, "Run", 40);
	claim(st, &c, "n2");
	c.action_id = "n4";
	claim(st, &c, "n4");
	OK(fl_store_action_complete(st, "n4", 1, FL_ACTION_SUCCESS, 50, "{}", &err));
	OK(fl_store_commit(st, &err));
	OK(fl_store_action_load_new(st, id_cb, &n, &err));
	FLT_EQ_STR(n.buf, "n1,n3"); /* insertion order, NEW only */
	OK(fl_store_execution_steps(st, "c1", step_cb, &ss, &err));
	FLT_EQ_INT(ss.n, 2);
	FLT_ASSERT(strstr(ss.buf, "a=NEW") && strstr(ss.buf, "b=PENDING"));
	memset(&ss, 0, sizeof(ss));
	OK(fl_store_execution_steps(st, "c2", step_cb, &ss, &err));
	FLT_EQ_INT(ss.n, 2);
	FLT_ASSERT(strstr(ss.buf, "a=NEW") && strstr(ss.buf, "b=SUCCESS"));
	/* an unknown execution has no steps */
	memset(&ss, 0, sizeof(ss));
	OK(fl_store_execution_steps(st, "nosuch", step_cb, &ss, &err));
	FLT_EQ_INT(ss.n, 0);

	/* a requeued action is NEW again */
	OK(fl_store_begin(st, &err));
	OK(fl_store_action_requeue(st, &a, "n2", 1, 60, NULL, &err));
	fl_store_action_release(&a);
	OK(fl_store_commit(st, &err));
	memset(&n, 0, sizeof(n));
	OK(fl_store_action_load_new(st, id_cb, &n, &err));
	FLT_EQ_STR(n.buf, "n1,n2,n3");
	/* and can be claimed by id again, one attempt later */
	OK(fl_store_begin(st, &err));
	c.action_id = "n2";
	c.now = 70;
	OK(fl_store_action_claim(st, &a, &c, &err));
	FLT_EQ_INT(a.attempt, 2);
	FLT_EQ_INT(a.state, FL_ACTION_PENDING);
	fl_store_action_release(&a);
	OK(fl_store_commit(st, &err));
	fl_store_close(st);
}

/* ---------------------------------------------------------------- audit */

FLT_TEST(audit_filters_and_paging)
{
	struct fl_error err = FL_ERROR_INIT;
	struct fl_store *st;
	struct names n;
	struct fl_store_audit_query q = { .limit = 50 };
	struct fl_store_claim c = { .action_id = "x1", .now = 500 };

	st = fresh_begin();
	add_action(st, "x1", "e1", "s1", "Slack", "{\"env\":\"dev\"}", "Send", 100);
	add_action(st, "x2", "e2", "s1", "Shell", NULL, "Run", 200);
	add_action(st, "x3", "e3", "s1", "Slack", "{\"env\":\"prod\",\"zone\":\"eu\"}", "Send", 300);
	add_action(st, "x4", "e3", "s2", "Shell", NULL, "Run", 310);
	/* taking x1 makes e1 the most recent execution */
	claim(st, &c, "x1");
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
	FLT_EQ_STR(audit(st, &q, &n), "e3"); /* the filter's labels are a subset of the action's */
	q.action_pack_labels = "{\"env\":\"dev\"}";
	FLT_EQ_STR(audit(st, &q, &n), "e1");
	q.action_pack_labels = "{\"env\":\"prod\",\"zone\":\"us\"}";
	FLT_EQ_STR(audit(st, &q, &n), "");
	/* filters combine */
	q.action_pack_labels = NULL;
	q.action_name = "Run";
	q.action_pack_name = "Slack";
	FLT_EQ_STR(audit(st, &q, &n), "");
	q.action_pack_name = "Shell";
	q.flow_name = "flow1";
	q.step_id = "s1";
	FLT_EQ_STR(audit(st, &q, &n), "e2");
	q = (struct fl_store_audit_query){ .limit = 0 };
	FLT_EQ_INT(fl_store_audit_query(st, &q, corr_cb, &n, &err), FL_EINVALID);
	q.limit = 1;
	q.start = -1;
	FLT_EQ_INT(fl_store_audit_query(st, &q, corr_cb, &n, &err), FL_EINVALID);

	memset(&n, 0, sizeof(n));
	OK(fl_store_audit_actions(st, "e3", id_cb, &n, &err));
	FLT_EQ_STR(n.buf, "x3,x4"); /* seq order */
	FLT_EQ_INT(fl_store_audit_actions(st, "nope", id_cb, &n, &err), FL_ENOTFOUND);
	fl_store_close(st);
}

struct keyed {
	char corr[16][32];
	int64_t t[16];
	int n;
};

static int keyed_cb(const char *corr, int64_t latest, void *payload)
{
	struct keyed *k = payload;
	if (k->n < 16) {
		snprintf(k->corr[k->n], sizeof(k->corr[0]), "%s", corr);
		k->t[k->n] = latest;
	}
	k->n++;
	return 0;
}

FLT_TEST(audit_sort_key_is_the_latest_matching_state_time)
{
	struct fl_error err = FL_ERROR_INIT;
	struct fl_store *st;
	struct fl_store_claim c = { .action_id = "e1b", .now = 900 };
	struct fl_store_audit_query q = { .limit = 10 };
	struct keyed k = { 0 };

	st = fresh_begin();
	add_action(st, "e1a", "e1", "s1", "P", NULL, "Run", 100);
	add_action(st, "e1b", "e1", "s2", "P", NULL, "Run", 150);
	add_action(st, "e2a", "e2", "s1", "P", NULL, "Run", 500);
	claim(st, &c, "e1b"); /* e1's latest state: 900 */
	OK(fl_store_commit(st, &err));
	OK(fl_store_audit_query(st, &q, keyed_cb, &k, &err));
	FLT_EQ_INT(k.n, 2);
	FLT_EQ_STR(k.corr[0], "e1");
	FLT_EQ_INT(k.t[0], 900);
	FLT_EQ_STR(k.corr[1], "e2");
	FLT_EQ_INT(k.t[1], 500);
	/* filtered by step: only the matching actions' times count */
	q.step_id = "s1";
	memset(&k, 0, sizeof(k));
	OK(fl_store_audit_query(st, &q, keyed_cb, &k, &err));
	FLT_EQ_INT(k.n, 2);
	FLT_EQ_STR(k.corr[0], "e2");
	FLT_EQ_INT(k.t[0], 500);
	FLT_EQ_STR(k.corr[1], "e1");
	FLT_EQ_INT(k.t[1], 100);
	fl_store_close(st);
}

/* Page through q with keyset windows of `window`; the corrs in order. */
static const char *keyset_all(struct fl_store *st, struct fl_store_audit_query q, int64_t window, struct names *out)
{
	struct fl_error err = FL_ERROR_INIT;
	char last[32] = "";
	struct keyed k;

	memset(out, 0, sizeof(*out));
	q.limit = window;
	for (int pages = 0; pages < 50; pages++) {
		memset(&k, 0, sizeof(k));
		if (fl_store_audit_query(st, &q, keyed_cb, &k, &err) != FL_OK) {
			snprintf(out->buf, sizeof(out->buf), "error: %.200s", err.msg);
			break;
		}
		for (int i = 0; i < k.n && i < 16; i++)
			add_name(out, k.corr[i]);
		if (k.n < window)
			break;
		snprintf(last, sizeof(last), "%s", k.corr[k.n - 1]);
		q.after = true;
		q.after_time = k.t[k.n - 1];
		q.after_corr = last;
	}
	return out->buf;
}

FLT_TEST(audit_keyset_paging)
{
	struct fl_error err = FL_ERROR_INIT;
	struct fl_store *st;
	struct fl_store_audit_query q = { .limit = 100 };
	struct names all, paged;
	char id[16], corr[16];

	st = fresh_begin();
	/* ties on the sort key: c01..c04 at 100, c05..c07 at 200, c08 at 50 */
	for (int i = 1; i <= 8; i++) {
		snprintf(id, sizeof(id), "a%02d", i);
		snprintf(corr, sizeof(corr), "c%02d", i);
		add_action(st, id, corr, "s", i % 2 ? "P" : "Q", NULL, "Run", i <= 4 ? 100 : i <= 7 ? 200 : 50);
	}
	OK(fl_store_commit(st, &err));
	/* newest first; equal times by correlation id, descending */
	FLT_EQ_STR(audit(st, &q, &all), "c07,c06,c05,c04,c03,c02,c01,c08");
	for (int64_t w = 1; w <= 4; w++)
		FLT_EQ_STR(keyset_all(st, q, w, &paged), all.buf);
	/* the same through the action filters */
	q.action_pack_name = "P";
	FLT_EQ_STR(audit(st, &q, &all), "c07,c05,c03,c01");
	for (int64_t w = 1; w <= 3; w++)
		FLT_EQ_STR(keyset_all(st, q, w, &paged), all.buf);
	q.action_pack_name = NULL;
	q.flow_name = "flow1";
	for (int64_t w = 1; w <= 3; w++)
		FLT_EQ_STR(keyset_all(st, q, w, &paged), "c07,c06,c05,c04,c03,c02,c01,c08");

	/* strictly after the position: an exact (time, corr) is not listed again; start is ignored */
	q = (struct fl_store_audit_query){ .limit = 100, .after = true, .after_time = 100, .after_corr = "c03",
					  .start = 3 };
	FLT_EQ_STR(audit(st, &q, &all), "c02,c01,c08");
	q.after_corr = "c00"; /* between two executions of the same time */
	FLT_EQ_STR(audit(st, &q, &all), "c08");
	q.after_time = 1000;
	q.after_corr = "";
	FLT_EQ_STR(audit(st, &q, &all), "c07,c06,c05,c04,c03,c02,c01,c08");
	q.after_time = 50;
	FLT_EQ_STR(audit(st, &q, &all), "");
	q.step_id = "s";
	q.after_time = 200;
	q.after_corr = "c06";
	FLT_EQ_STR(audit(st, &q, &all), "c05,c04,c03,c02,c01,c08");
	q.limit = 0;
	FLT_EQ_INT(fl_store_audit_query(st, &q, corr_cb, &all, &err), FL_EINVALID);
	fl_store_close(st);
}

/*
 * Many actions per execution against a model: the latest matching state
 * time of each execution orders the list (ties by correlation id,
 * descending), whatever the filters, through one big page, `start` pages
 * and keyset pages alike.
 */
struct model_action {
	char id[8], corr[8], step[4];
	const char *flow, *name, *pack, *labels;
	int64_t t;
};

#define MODEL_EXECS 14
#define MODEL_MAX (MODEL_EXECS * 4)

static const char *const model_labels[] = { NULL, "{\"env\":\"prod\"}", "{\"env\":\"dev\",\"zone\":\"eu\"}" };

/* Does action a pass the filters of q (the labels filters used below: NULL, env=prod, zone=eu)? */
static bool model_match(const struct model_action *a, const struct fl_store_audit_query *q)
{
	if ((q->flow_name && strcmp(q->flow_name, a->flow) != 0) || (q->step_id && strcmp(q->step_id, a->step) != 0) ||
	    (q->action_name && strcmp(q->action_name, a->name) != 0) ||
	    (q->action_pack_name && strcmp(q->action_pack_name, a->pack) != 0))
		return false;
	if (!q->action_pack_labels)
		return true;
	if (!a->labels)
		return false;
	if (strstr(q->action_pack_labels, "prod"))
		return strstr(a->labels, "prod") != NULL;
	return strstr(a->labels, "eu") != NULL;
}

/* The list q should give: every execution with a matching action, by its latest one. */
static const char *model_list(const struct model_action *m, int nm, const struct fl_store_audit_query *q,
			      struct names *out)
{
	struct {
		const char *corr;
		int64_t t;
	} e[MODEL_EXECS], tmp;
	int ne = 0;

	for (int i = 0; i < nm; i++) {
		int k = 0;
		if (!model_match(&m[i], q))
			continue;
		while (k < ne && strcmp(e[k].corr, m[i].corr) != 0)
			k++;
		if (k == ne) {
			e[ne].corr = m[i].corr;
			e[ne++].t = m[i].t;
		} else if (m[i].t > e[k].t) {
			e[k].t = m[i].t;
		}
	}
	for (int i = 1; i < ne; i++)
		for (int j = i; j > 0 && (e[j].t > e[j - 1].t || (e[j].t == e[j - 1].t &&
								     strcmp(e[j].corr, e[j - 1].corr) > 0));
		     j--) {
			tmp = e[j];
			e[j] = e[j - 1];
			e[j - 1] = tmp;
		}
	memset(out, 0, sizeof(*out));
	for (int i = 0; i < ne; i++)
		add_name(out, e[i].corr);
	return out->buf;
}

/* q through `start` pages of `window`, concatenated. */
static const char *start_all(struct fl_store *st, struct fl_store_audit_query q, int64_t window, struct names *out)
{
	struct names page;

	memset(out, 0, sizeof(*out));
	q.limit = window;
	for (q.start = 0; q.start <= MODEL_EXECS; q.start += window) {
		audit(st, &q, &page);
		if (strncmp(page.buf, "error", 5) == 0 || page.n > window) {
			snprintf(out->buf, sizeof(out->buf), "%s", page.n > window ? "error: page too long" : page.buf);
			break;
		}
		if (page.buf[0])
			add_name(out, page.buf);
	}
	return out->buf;
}

FLT_TEST(audit_many_actions_per_execution)
{
	struct fl_error err = FL_ERROR_INIT;
	struct fl_store *st;
	struct model_action m[MODEL_MAX];
	struct fl_store_claim c = { .action_id = "a03_0", .now = 95 };
	struct names want, got;
	int nm = 0;
	static const char *const labels_prod = "{\"env\":\"prod\"}", *const labels_eu = "{\"zone\":\"eu\"}";
	const struct fl_store_audit_query qs[] = {
		{ .action_name = "Run" },
		{ .action_name = "Send" },
		{ .action_pack_name = "P" },
		{ .step_id = "s2" },
		{ .flow_name = "f1", .step_id = "s1" },
		{ .action_pack_labels = labels_prod },
		{ .action_pack_labels = labels_eu, .action_name = "Send" },
		{ .action_name = "Run", .action_pack_name = "Q" },
		{ .flow_name = "f1", .action_name = "Run", .action_pack_labels = labels_prod },
		{ .flow_name = "f1", .step_id = "s2", .action_pack_name = "Q", .action_pack_labels = labels_eu },
		{ .flow_name = "f2", .action_name = "Send" },
		{ .flow_name = "f2" },
		{ 0 },
	};

	st = fresh_begin();
	for (int i = 1; i <= MODEL_EXECS; i++) {
		for (int j = 0; j <= i % 4; j++) {
			struct model_action *a = &m[nm++];
			struct fl_store_action_new an = { 0 };
			int64_t seq = 0;

			snprintf(a->id, sizeof(a->id), "a%02d_%d", i, j);
			snprintf(a->corr, sizeof(a->corr), "e%02d", i);
			snprintf(a->step, sizeof(a->step), "s%d", j + 1);
			a->flow = i % 3 ? "f1" : "f2";
			a->name = (i + j) % 2 ? "Run" : "Send";
			a->pack = (i * j) % 3 ? "Q" : "P";
			a->labels = model_labels[(i + j) % 3];
			/* ties between executions, and within one (its second action at the time of its first) */
			a->t = 10 * ((i * 7 + j * 13) % 9);
			if (i % 5 == 0 && j == 1) {
				a->t = a[-1].t;
				a->name = a[-1].name;
				a->pack = a[-1].pack;
			}
			an = (struct fl_store_action_new){ .id = a->id, .correlation_id = a->corr, .step_id = a->step,
							   .flow_name = a->flow, .flow_uuid = "uuid1", .name = a->name,
							   .pack_name = a->pack, .pack_labels = a->labels,
							   .input = "{}", .trigger = "{}", .created = a->t };
			OK(fl_store_action_insert(st, &seq, &an, &err));
		}
	}
	/* a take moves a03's first action to the top */
	claim(st, &c, "a03_0");
	FLT_EQ_STR(m[5].id, "a03_0");
	m[5].t = 95;
	OK(fl_store_commit(st, &err));

	for (size_t i = 0; i < FL_ARRAY_LEN(qs); i++) {
		struct fl_store_audit_query q = qs[i];

		q.limit = 100;
		model_list(m, nm, &q, &want);
		if (want.n < 2) /* each case lists something to order */
			FLT_FAIL("case %zu lists %d executions", i, want.n);
		FLT_EQ_STR(audit(st, &q, &got), want.buf);
		for (int64_t w = 1; w <= 4; w++) {
			FLT_EQ_STR(start_all(st, q, w, &got), want.buf);
			FLT_EQ_STR(keyset_all(st, q, w, &got), want.buf);
		}
	}
	fl_store_close(st);
}

/* ------------------------------------------------------------ datastore */

FLT_TEST(datastore_created_updated)
{
	struct fl_error err = FL_ERROR_INIT;
	struct fl_store *st;
	struct fl_store_ds_item it = { 0 }, got = { 0 };
	struct names n = { { 0 }, 0, 0 };
	bool created = false;

	st = fresh_begin();
	it.key = (char *)"teams";
	it.content_type = (char *)"application/json";
	it.value = (char *)"{\"a\":\0}";
	it.value_len = 7;
	OK_CREATED(fl_store_ds_put(st, &created, &it, &err), true);
	/* identical re-put is an update, not a creation */
	OK_CREATED(fl_store_ds_put(st, &created, &it, &err), false);
	it.key = (char *)"alpha";
	it.description = (char *)"first";
	it.content_type = NULL;
	OK_CREATED(fl_store_ds_put(st, &created, &it, &err), true);
	it.key = (char *)"empty";
	it.description = NULL;
	it.content_type = (char *)"text/plain";
	it.value = NULL;
	it.value_len = 0;
	OK(fl_store_ds_put(st, &created, &it, &err));
	OK(fl_store_commit(st, &err));

	OK(fl_store_ds_get(st, &got, "teams", &err));
	FLT_EQ_STR(got.key, "teams");
	FLT_EQ_MEM(got.value, got.value_len, "{\"a\":\0}", (size_t)7);
	FLT_EQ_STR(got.content_type, "application/json");
	FLT_ASSERT(got.description == NULL);
	fl_store_ds_item_release(&got);
	/* no content type: the one of the Flyte API */
	OK(fl_store_ds_get(st, &got, "alpha", &err));
	FLT_EQ_STR(got.content_type, "text/plain; charset=us-ascii");
	FLT_EQ_STR(got.description, "first");
	fl_store_ds_item_release(&got);
	OK(fl_store_ds_get(st, &got, "empty", &err));
	FLT_EQ_INT(got.value_len, 0);
	FLT_ASSERT(got.value != NULL && got.value[0] == '\0');
	fl_store_ds_item_release(&got);
	OK(fl_store_ds_list(st, ds_cb, &n, &err));
	FLT_EQ_STR(n.buf, "alpha:text/plain; charset=us-ascii:novalue,empty:text/plain:novalue,"
			  "teams:application/json:novalue");

	/* a re-put replaces every field */
	OK(fl_store_begin(st, &err));
	it.key = (char *)"alpha";
	it.content_type = (char *)"text/csv";
	it.value = (char *)"a,b";
	it.value_len = 3;
	OK_CREATED(fl_store_ds_put(st, &created, &it, &err), false);
	OK(fl_store_commit(st, &err));
	OK(fl_store_ds_get(st, &got, "alpha", &err));
	FLT_EQ_STR(got.content_type, "text/csv");
	FLT_ASSERT(got.description == NULL);
	FLT_EQ_MEM(got.value, got.value_len, "a,b", (size_t)3);
	fl_store_ds_item_release(&got);

	OK(fl_store_begin(st, &err));
	OK(fl_store_ds_delete(st, "teams", &err));
	FLT_EQ_INT(fl_store_ds_delete(st, "teams", &err), FL_ENOTFOUND);
	OK(fl_store_commit(st, &err));
	ds_absent(st, "teams");
	fl_store_close(st);
}

/* ---------------------------------------------------------------- expiry */

FLT_TEST(expiry_in_chunks)
{
	struct fl_error err = FL_ERROR_INIT;
	struct fl_store *st;
	struct fl_store_action a = { 0 };
	struct fl_store_claim c = { .now = 5000 };
	struct names n = { { 0 }, 0, 0 };
	struct fl_store_audit_query q = { .limit = 100 };
	char id[16], corr[16];
	size_t cnt;
	int seen = 0;

	st = fresh_begin();
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
	claim(st, &c, "fresh");
	OK(fl_store_commit(st, &err));
	OK(fl_store_action_get(st, &a, "old00", &err));
	FLT_ASSERT(a.expired);
	FLT_EQ_INT(a.state, FL_ACTION_NEW);
	fl_store_action_release(&a);
	OK(fl_store_action_load_new(st, id_cb, &n, &err));
	FLT_EQ_STR(n.buf, "");
	FLT_EQ_STR(audit(st, &q, &n), "cf,c24,c23,c22,c21,c20,c19,c18,c17,c16,c15,c14,c13,c12,c11,c10,c09,c08,c07,"
				      "c06,c05,c04,c03,c02,c01,c00");

	/* audit records go in chunks of executions, oldest first */
	OK(fl_store_begin(st, &err));
	OK(fl_store_expire_audit(st, &cnt, 1000, 20, &err));
	FLT_EQ_INT(cnt, 40); /* 20 executions + their 20 actions */
	FLT_EQ_INT(fl_store_action_get(st, &a, "old00", &err), FL_ENOTFOUND);
	OK(fl_store_action_get(st, &a, "old24", &err));
	fl_store_action_release(&a);
	OK(fl_store_expire_audit(st, &cnt, 1000, 20, &err));
	FLT_EQ_INT(cnt, 10);
	OK(fl_store_expire_audit(st, &cnt, 1000, 20, &err));
	FLT_EQ_INT(cnt, 0);
	OK(fl_store_commit(st, &err));
	FLT_EQ_INT(fl_store_action_get(st, &a, "old24", &err), FL_ENOTFOUND);
	FLT_EQ_STR(audit(st, &q, &n), "cf");

	/* flow versions: only old, non-latest, unreferenced ones go */
	OK(fl_store_begin(st, &err));
	put_version(st, "flow1", "uuid1", 1); /* referenced by execution cf */
	put_version(st, "flow1", "unused", 1);
	put_version(st, "flow1", "young", 2000);
	put_version(st, "flow1", "latest", 1);
	OK(fl_store_expire_flow_versions(st, &cnt, 1000, 100, &err));
	FLT_EQ_INT(cnt, 1);
	OK(fl_store_commit(st, &err));
	{
		struct fl_store_flow got = { 0 };
		FLT_EQ_INT(fl_store_flow_get_version(st, &got, "unused", &err), FL_ENOTFOUND);
		OK(fl_store_flow_get_version(st, &got, "uuid1", &err));
		fl_store_flow_release(&got);
		OK(fl_store_flow_get_version(st, &got, "young", &err));
		fl_store_flow_release(&got);
		OK(fl_store_flow_get_version(st, &got, "latest", &err));
		fl_store_flow_release(&got);
	}
	fl_store_close(st);
}

FLT_TEST(expiry_of_pending_actions_and_whole_executions)
{
	struct fl_error err = FL_ERROR_INIT;
	struct fl_store *st;
	struct fl_store_action a = { 0 };
	struct fl_store_claim c = { .action_id = "p1", .now = 200 };
	struct names n;
	struct fl_store_audit_query q = { .limit = 10 };
	size_t cnt;

	st = fresh_begin();
	add_action(st, "p1", "e1", "s1", "P", NULL, "Run", 100);
	claim(st, &c, "p1");
	/* e2: one old action, one young: the execution is young */
	add_action(st, "o2", "e2", "s1", "P", NULL, "Run", 100);
	add_action(st, "y2", "e2", "s2", "P", NULL, "Run", 5000);
	/* finished actions do not expire */
	add_action(st, "d3", "e3", "s1", "P", NULL, "Run", 100);
	c.action_id = "d3";
	claim(st, &c, "d3");
	OK(fl_store_action_complete(st, "d3", 1, FL_ACTION_SUCCESS, 300, "{}", &err));
	OK(fl_store_commit(st, &err));

	OK(fl_store_begin(st, &err));
	OK(fl_store_expire_actions(st, &cnt, 1000, 100, NULL, NULL, &err));
	FLT_EQ_INT(cnt, 2); /* p1 (PENDING) and o2 (NEW) */
	/* an expired action is gone for results and requeues */
	FLT_EQ_INT(fl_store_action_complete(st, "p1", 1, FL_ACTION_SUCCESS, 1100, "{}", &err), FL_ENOTFOUND);
	FLT_EQ_INT(fl_store_action_complete(st, "p1", -1, FL_ACTION_SUCCESS, 1100, "{}", &err), FL_ENOTFOUND);
	FLT_EQ_INT(fl_store_action_requeue(st, &a, "p1", 1, 1100, NULL, &err), FL_ENOTFOUND);
	OK(fl_store_expire_actions(st, &cnt, 1000, 100, NULL, NULL, &err));
	FLT_EQ_INT(cnt, 0); /* once */
	OK(fl_store_commit(st, &err));
	OK(fl_store_action_get(st, &a, "p1", &err));
	FLT_ASSERT(a.expired);
	FLT_EQ_INT(a.state, FL_ACTION_PENDING);
	fl_store_action_release(&a);
	OK(fl_store_action_get(st, &a, "d3", &err));
	FLT_ASSERT(!a.expired);
	fl_store_action_release(&a);

	/* the audit goes per execution, by its latest state time */
	OK(fl_store_begin(st, &err));
	OK(fl_store_expire_audit(st, &cnt, 1000, 100, &err));
	FLT_EQ_INT(cnt, 4); /* e1 and e3, one action each */
	OK(fl_store_commit(st, &err));
	FLT_EQ_STR(audit(st, &q, &n), "e2");
	memset(&n, 0, sizeof(n));
	OK(fl_store_audit_actions(st, "e2", id_cb, &n, &err));
	FLT_EQ_STR(n.buf, "o2,y2");

	/* a version used by a remaining execution stays; once that is gone, it may go */
	OK(fl_store_begin(st, &err));
	put_version(st, "flow1", "uuid1", 1);
	put_version(st, "flow1", "uuid2", 1);
	OK(fl_store_expire_flow_versions(st, &cnt, 1000, 100, &err));
	FLT_EQ_INT(cnt, 0);
	OK(fl_store_expire_audit(st, &cnt, 10000, 100, &err));
	FLT_EQ_INT(cnt, 3);
	OK(fl_store_expire_flow_versions(st, &cnt, 1000, 100, &err));
	FLT_EQ_INT(cnt, 1);
	/* a zero limit does nothing */
	OK(fl_store_expire_actions(st, &cnt, 1000000, 0, NULL, NULL, &err));
	FLT_EQ_INT(cnt, 0);
	OK(fl_store_expire_audit(st, &cnt, 1000000, 0, &err));
	FLT_EQ_INT(cnt, 0);
	OK(fl_store_commit(st, &err));
	fl_store_close(st);
}

/* ------------------------------------------------------- isolation */

FLT_TEST(readers_see_committed_snapshot)
{
	struct fl_error err = FL_ERROR_INIT;
	struct fl_store *st, *ro;
	struct fl_store_ds_item it = ds_item("k", "v");

	st = fresh();
	ro = open_ro();
	OK(fl_store_begin(st, &err));
	OK(fl_store_ds_put(st, NULL, &it, &err));
	/* uncommitted: invisible to the reader, and the reader is not blocked */
	ds_absent(ro, "k");
	OK(fl_store_commit(st, &err));
	ds_has(ro, "k", "v");
	fl_store_close(ro);
	fl_store_close(st);
}

/*
 * A transaction whose rollback never ran (the rollback failed) must not make
 * the connection unusable: the next begin abandons it.  Otherwise every
 * later begin fails ("cannot start a transaction within a transaction").
 */
FLT_TEST(begin_after_a_rollback_that_did_not_happen)
{
	struct fl_error err = FL_ERROR_INIT;
	struct fl_store *st, *ro;
	struct fl_store_ds_item it = ds_item("k", "v");

	st = fresh();
	ro = open_ro();
	/* the writer: a write left in an open transaction is dropped by the next begin */
	OK(fl_store_begin(st, &err));
	OK(fl_store_ds_put(st, NULL, &it, &err));
	OK(fl_store_begin(st, &err));
	ds_absent(st, "k");
	it.key = (char *)"k2";
	OK(fl_store_ds_put(st, NULL, &it, &err));
	OK(fl_store_commit(st, &err));
	/* a reader left in its read transaction begins again and sees the commit */
	OK(fl_store_begin(ro, &err));
	OK(fl_store_begin(ro, &err));
	ds_has(ro, "k2", NULL);
	OK(fl_store_rollback(ro, &err));
	fl_store_close(ro);
	fl_store_close(st);
}

FLT_TEST(a_read_transaction_keeps_one_snapshot)
{
	struct fl_error err = FL_ERROR_INIT;
	struct fl_store *st, *ro;
	struct fl_store_ds_item v1 = ds_item("k", "one"), v2 = ds_item("k", "two"), other = ds_item("o", "x");
	struct names n = { { 0 }, 0, 0 };

	st = fresh();
	ro = open_ro();
	OK(fl_store_begin(st, &err));
	OK(fl_store_ds_put(st, NULL, &v1, &err));
	OK(fl_store_commit(st, &err));

	/* the audit reads an execution from several statements in one read transaction */
	OK(fl_store_begin(ro, &err));
	ds_has(ro, "k", "one");
	OK(fl_store_begin(st, &err));
	OK(fl_store_ds_put(st, NULL, &v2, &err));
	OK(fl_store_ds_put(st, NULL, &other, &err));
	OK(fl_store_commit(st, &err)); /* the writer is not blocked by the reader */
	ds_has(ro, "k", "one");
	OK(fl_store_ds_list(ro, ds_cb, &n, &err));
	FLT_EQ_INT(n.n, 1);
	OK(fl_store_rollback(ro, &err));
	/* a new snapshot */
	ds_has(ro, "k", "two");
	fl_store_close(ro);
	fl_store_close(st);
}

/* ------------------------------------------------------------ callbacks */

static int pack_stop_cb(const struct fl_store_pack *p, void *payload)
{
	return add_name(payload, p->id);
}

static int ds_stop_cb(const struct fl_store_ds_item *it, void *payload)
{
	return add_name(payload, it->key);
}

FLT_TEST(a_callback_stops_the_iteration)
{
	struct fl_error err = FL_ERROR_INIT;
	struct fl_store *st;
	struct fl_store_pack p = { 0 };
	struct fl_store_flow f = { 0 };
	struct fl_store_ds_item it = ds_item("", "v");
	struct fl_store_audit_query q = { .limit = 10 };
	struct names n;
	char key[8];

	st = fresh_begin();
	for (int i = 0; i < 3; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		p.id = p.name = key;
		p.def = (char *)"{}";
		OK(fl_store_pack_upsert(st, NULL, &p, &err));
		f.uuid = f.name = key;
		f.def = (char *)"{}";
		OK(fl_store_flow_put(st, NULL, &f, &err));
		it.key = key;
		OK(fl_store_ds_put(st, NULL, &it, &err));
	}
	add_action(st, "a1", "c1", "s1", "P", NULL, "Run", 1);
	add_action(st, "a2", "c1", "s2", "P", NULL, "Run", 2);
	add_action(st, "a3", "c2", "s1", "P", NULL, "Run", 3);
	add_action(st, "a4", "c3", "s1", "P", NULL, "Run", 4);
	OK(fl_store_commit(st, &err));

	/* a non-zero return stops the iteration and is the result */
	n = (struct names){ .stop_at = 2 };
	FLT_EQ_INT(fl_store_pack_list(st, pack_stop_cb, &n, &err), 7);
	FLT_EQ_STR(n.buf, "k0,k1");
	n = (struct names){ .stop_at = 1 };
	FLT_EQ_INT(fl_store_flow_list(st, false, flow_name_cb, &n, &err), 7);
	FLT_EQ_INT(n.n, 1);
	n = (struct names){ .stop_at = 2 };
	FLT_EQ_INT(fl_store_ds_list(st, ds_stop_cb, &n, &err), 7);
	FLT_EQ_STR(n.buf, "k0,k1");
	n = (struct names){ .stop_at = 2 };
	FLT_EQ_INT(fl_store_action_load_new(st, id_cb, &n, &err), 7);
	FLT_EQ_STR(n.buf, "a1,a2");
	n = (struct names){ .stop_at = 1 };
	FLT_EQ_INT(fl_store_audit_actions(st, "c1", id_cb, &n, &err), 7);
	FLT_EQ_STR(n.buf, "a1");
	n = (struct names){ .stop_at = 1 };
	FLT_EQ_INT(fl_store_execution_steps(st, "c1", step_cb, &n, &err), 7);
	FLT_EQ_INT(n.n, 1);
	n = (struct names){ .stop_at = 2 };
	FLT_EQ_INT(fl_store_audit_query(st, &q, corr_cb, &n, &err), 7);
	FLT_EQ_STR(n.buf, "c3,c2");
	fl_store_close(st);
}

FLT_TEST(state_names)
{
	FLT_EQ_STR(fl_store_state_name(FL_ACTION_NEW), "NEW");
	FLT_EQ_STR(fl_store_state_name(FL_ACTION_PENDING), "PENDING");
	FLT_EQ_STR(fl_store_state_name(FL_ACTION_SUCCESS), "SUCCESS");
	FLT_EQ_STR(fl_store_state_name(FL_ACTION_FATAL), "FATAL");
	FLT_EQ_STR(fl_store_state_name(9), "UNKNOWN");
	FLT_EQ_STR(fl_store_state_name(-1), "UNKNOWN");
	FLT_EQ_INT(fl_store_state_parse("PENDING"), FL_ACTION_PENDING);
	FLT_EQ_INT(fl_store_state_parse("FATAL"), FL_ACTION_FATAL);
	FLT_EQ_INT(fl_store_state_parse("DONE"), -1);
	FLT_EQ_INT(fl_store_state_parse(NULL), -1);
}

/* ------------------------------------------------------------------ main */

static int init(int argc, char **argv)
{
	const char *name = argc > 1 ? argv[1] : getenv("FL_TEST_STORE_DRIVER");

	target = argc > 2 ? argv[2] : getenv("FL_TEST_STORE_TARGET");
	for (size_t i = 0; name && i < FL_ARRAY_LEN(conf_drivers); i++)
		if (strcmp(conf_drivers[i]->name, name) == 0)
			drv = conf_drivers[i];
	if (!drv) {
		fprintf(stderr, "usage: %s DRIVER [TARGET]  (or FL_TEST_STORE_DRIVER, FL_TEST_STORE_TARGET)\n",
			argv[0]);
		for (size_t i = 0; i < FL_ARRAY_LEN(conf_drivers); i++)
			fprintf(stderr, "  %s: TARGET is %s\n", conf_drivers[i]->name, conf_drivers[i]->target_help);
		return -1;
	}
	if (!target || !*target)
		target = drv->default_target ? drv->default_target() : NULL;
	if (!target) {
		printf("1..0 # SKIP no target for the %s driver (%s)\n", drv->name, drv->target_help);
		return 1;
	}
	printf("# store driver '%s', target '%s'\n", drv->name, target);
	return 0;
}

FLT_MAIN_ARGS(init, migrate_fresh_and_reopen, schema_newer_than_the_program_is_refused, one_writer_per_database,
	      registry, read_only_connection, maintain_outside_transactions, commit_and_rollback, packs_crud,
	      flows_versions, insert_and_get_every_field, json_fields_kept_verbatim, claim_oldest_first_and_states,
	      claim_label_subset_and_command_filter, complete_and_requeue_are_fenced, finish_only_what_the_pack_holds,
	      once_per_execution_step_and_savepoints, a_refused_duplicate_leaves_the_transaction_usable,
	      load_new_and_execution_steps, audit_filters_and_paging,
	      audit_sort_key_is_the_latest_matching_state_time, audit_keyset_paging,
	      audit_many_actions_per_execution, datastore_created_updated,
	      expiry_in_chunks, expiry_of_pending_actions_and_whole_executions, readers_see_committed_snapshot,
	      begin_after_a_rollback_that_did_not_happen, a_read_transaction_keeps_one_snapshot, a_callback_stops_the_iteration, state_names)
