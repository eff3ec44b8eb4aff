/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store.c - the registry of store drivers and the helpers shared by all of
 * them: action state names and the release functions of the row structs.
 *
 * A driver is added by listing its ops table in `drivers` below; the engine
 * picks one by name and never sees anything but store.h.
 */
#include "fl-common.h"

#include "alloc.h"

#include "sqlite/store_sqlite.h"
#include "store.h"
#include "store/driver.h"
#ifdef FL_HAVE_PG
#include "pg/store_pg.h"
#endif

static const struct fl_store_ops *const drivers[] = {
	&fl_store_sqlite_ops,
#ifdef FL_HAVE_PG
	&fl_store_pg_ops,
#endif
};

static const char *const state_names[] = {
	[FL_ACTION_NEW] = "NEW",
	[FL_ACTION_PENDING] = "PENDING",
	[FL_ACTION_SUCCESS] = "SUCCESS",
	[FL_ACTION_FATAL] = "FATAL",
};

const char *fl_store_state_name(int state)
{
	if (state < 0 || (size_t)state >= FL_ARRAY_LEN(state_names))
		return "UNKNOWN";
	return state_names[state];
}

int fl_store_state_parse(const char *name)
{
	if (!name)
		return -1;
	for (size_t i = 0; i < FL_ARRAY_LEN(state_names); i++)
		if (strcmp(name, state_names[i]) == 0)
			return (int)i;
	return -1;
}

const struct fl_store_ops *fl_store_driver_find(const char *name)
{
	for (size_t i = 0; i < FL_ARRAY_LEN(drivers); i++)
		if (strcmp(drivers[i]->name, name) == 0)
			return drivers[i];
	return NULL;
}

int fl_store_open(struct fl_store **out, const char *driver, const char *path, unsigned flags,
		  struct fl_error *err)
{
	const struct fl_store_ops *ops = fl_store_driver_find(driver ? driver : "sqlite");

	*out = NULL;
	if (!ops)
		return fl_error_set(err, FL_EINVALID, "unknown store driver '%s'", driver);
	if (ops->abi_version != FL_STORE_ABI_VERSION)
		return fl_error_set(err, FL_EINVALID, "store driver '%s' has abi version %d, expected %d", ops->name,
				    ops->abi_version, FL_STORE_ABI_VERSION);
	return ops->open(out, path, flags, err);
}

char *fl_store_describe(const char *driver, const char *target)
{
#ifdef FL_HAVE_PG
	if (driver && strcmp(driver, "pg") == 0)
		return fl_store_pg_redact(target);
#endif
	(void)driver;
	return fl_xstrdup(target ? target : "");
}

int fl_store_action_complete(struct fl_store *st, const char *id, int64_t attempt, int state, int64_t now,
			     const char *result, struct fl_error *err)
{
	struct fl_store_finish f = { .action_id = id, .attempt = attempt, .state = state, .now = now, .result = result };
	struct fl_store_action a;
	int rc = fl_store_action_finish(st, &a, &f, err);

	if (rc != FL_ENOTFOUND) {
		if (!rc)
			fl_store_action_release(&a);
		return rc;
	}
	/* nothing matched: tell why from the action as it is */
	fl_error_clear(err);
	rc = fl_store_action_get(st, &a, id, err);
	if (rc && rc != FL_ENOTFOUND)
		return rc;
	rc = fl_store__action_miss(err, id, FL_ACTION_PENDING, attempt, rc == FL_OK, a.state, a.attempt, a.expired);
	fl_store_action_release(&a);
	return rc;
}

void fl_store_close(struct fl_store *st)
{
	if (st)
		st->ops->close(st);
}

void fl_store_pack_release(struct fl_store_pack *p)
{
	if (!p)
		return;
	free(p->id);
	free(p->name);
	free(p->def);
	memset(p, 0, sizeof(*p));
}

void fl_store_flow_release(struct fl_store_flow *f)
{
	if (!f)
		return;
	free(f->uuid);
	free(f->name);
	free(f->description);
	free(f->def);
	memset(f, 0, sizeof(*f));
}

void fl_store_action_release(struct fl_store_action *a)
{
	if (!a)
		return;
	free(a->id);
	free(a->correlation_id);
	free(a->step_id);
	free(a->flow_name);
	free(a->flow_uuid);
	free(a->name);
	free(a->pack_name);
	free(a->pack_labels);
	free(a->input);
	free(a->context);
	free(a->trigger);
	free(a->result);
	free(a->states);
	free(a->taken_by);
	free(a->refused);
	memset(a, 0, sizeof(*a));
}

void fl_store_ds_item_release(struct fl_store_ds_item *it)
{
	if (!it)
		return;
	free(it->key);
	free(it->content_type);
	free(it->description);
	free(it->value);
	memset(it, 0, sizeof(*it));
}
