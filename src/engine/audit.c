/* SPDX-License-Identifier: Apache-2.0 */
/*
 * audit.c - the execution objects of the audit API, built from the store.
 *
 * An execution is the set of actions sharing a correlation id plus the flow
 * version that started it.  The object has the shape of the Flyte audit:
 * steps of that version (id always present), actions keyed by step id,
 * `trigger` and `result` always present (`result` with zero values until the
 * action finished), times in RFC 3339 UTC with milliseconds.
 */
#include "fl-common.h"

#include <jansson.h>

#include "alloc.h"
#include "engine-int.h"
#include "store/store.h"

static const char zero_time[] = "0001-01-01T00:00:00Z";

static json_t *load_any(const char *text)
{
	return text ? json_loads(text, JSON_DECODE_ANY, NULL) : NULL;
}

static json_t *state_json(const char *value, int64_t ns)
{
	char ts[48];
	json_t *o = json_object();

	fl_engine__format_ms(ts, sizeof(ts), ns);
	json_object_set_new(o, "value", json_string(value));
	json_object_set_new(o, "time", json_string(ts));
	return o;
}

static json_t *zero_event(void)
{
	json_t *o = json_object(), *p = json_object();

	json_object_set_new(o, "event", json_string(""));
	json_object_set_new(p, "id", json_string(""));
	json_object_set_new(p, "name", json_string(""));
	json_object_set_new(o, "pack", p);
	json_object_set_new(o, "createdAt", json_string(zero_time));
	json_object_set_new(o, "receivedAt", json_string(zero_time));
	return o;
}

static json_t *action_json(const struct fl_store_action *a)
{
	json_t *o = json_object(), *v, *states, *arr, *s;
	size_t i;

	json_object_set_new(o, "id", json_string(a->id));
	json_object_set_new(o, "name", json_string(a->name));
	json_object_set_new(o, "packName", json_string(a->pack_name));
	v = load_any(a->pack_labels);
	if (json_is_object(v) && json_object_size(v))
		json_object_set(o, "packLabels", v);
	json_decref(v);
	v = load_any(a->input);
	if (v && !json_is_null(v))
		json_object_set(o, "input", v);
	json_decref(v);
	json_object_set_new(o, "state", state_json(fl_store_state_name(a->state), a->state_time));
	states = load_any(a->states);
	if (json_is_array(states) && json_array_size(states)) {
		arr = json_array();
		json_array_foreach (states, i, s) {
			const char *val = json_string_value(json_object_get(s, "value"));
			json_t *st = state_json(val ? val : "", (int64_t)json_integer_value(json_object_get(s, "time")));
			/* flyte's additions: which take a PENDING state was and who took it, why an action went back to NEW */
			if (json_is_integer(json_object_get(s, "attempt")))
				json_object_set(st, "attempt", json_object_get(s, "attempt"));
			if (json_is_string(json_object_get(s, "by")))
				json_object_set(st, "takenBy", json_object_get(s, "by"));
			if (json_is_string(json_object_get(s, "reason")))
				json_object_set(st, "reason", json_object_get(s, "reason"));
			json_array_append_new(arr, st);
		}
		json_object_set_new(o, "states", arr);
	}
	json_decref(states);
	if (a->attempt)
		json_object_set_new(o, "attempt", json_integer(a->attempt));
	if (a->state == FL_ACTION_PENDING && a->lease_until) {
		char ts[48];
		fl_engine__format_ms(ts, sizeof(ts), a->lease_until);
		json_object_set_new(o, "leaseUntil", json_string(ts));
	}
	v = load_any(a->refused);
	if (json_is_array(v) && json_array_size(v)) {
		arr = json_array();
		json_array_foreach (v, i, s) {
			json_t *r = state_json("REFUSED", (int64_t)json_integer_value(json_object_get(s, "time")));
			json_object_del(r, "value");
			json_object_set(r, "attempt", json_object_get(s, "attempt"));
			json_object_set(r, "event", json_object_get(s, "event"));
			json_object_set(r, "reason", json_object_get(s, "reason"));
			json_array_append_new(arr, r);
		}
		json_object_set_new(o, "refusedResults", arr);
	}
	json_decref(v);
	json_object_set_new(o, "correlationId", json_string(a->correlation_id));
	json_object_set_new(o, "flowName", json_string(a->flow_name));
	json_object_set_new(o, "flowUUID", json_string(a->flow_uuid));
	json_object_set_new(o, "stepId", json_string(a->step_id));
	v = load_any(a->context);
	if (json_is_object(v) && json_object_size(v))
		json_object_set(o, "context", v);
	json_decref(v);
	v = load_any(a->trigger);
	json_object_set_new(o, "trigger", json_is_object(v) ? json_incref(v) : zero_event());
	json_decref(v);
	v = load_any(a->result);
	json_object_set_new(o, "result", json_is_object(v) ? json_incref(v) : zero_event());
	json_decref(v);
	return o;
}

struct acc {
	json_t *actions;
	char *flow_uuid;
};

static int add_action(const struct fl_store_action *a, void *payload)
{
	struct acc *acc = payload;

	if (!acc->flow_uuid)
		acc->flow_uuid = fl_xstrdup(a->flow_uuid);
	/* keyed by step id: a later action of the same id wins, as in Flyte */
	json_object_set_new(acc->actions, a->step_id, action_json(a));
	return 0;
}

int fl_engine__execution_json(json_t **out, struct fl_store *st, const char *corr, struct fl_error *err)
{
	struct acc acc = { json_object(), NULL };
	struct fl_store_flow flow = { 0 };
	json_t *def = NULL, *steps, *exe, *s;
	size_t i;
	int rc;

	*out = NULL;
	rc = fl_store_audit_actions(st, corr, add_action, &acc, err);
	if (rc)
		goto out;
	rc = fl_store_flow_get_version(st, &flow, acc.flow_uuid ? acc.flow_uuid : "", err);
	if (rc == FL_ENOTFOUND)
		rc = fl_error_set(err, FL_ENOTFOUND, "execution '%s' not found (its flow version is gone)", corr);
	if (rc)
		goto out;
	def = json_loads(flow.def ? flow.def : "", 0, NULL);
	exe = json_object();
	json_object_set_new(exe, "name", json_string(flow.name));
	json_object_set_new(exe, "uuid", json_string(flow.uuid));
	json_object_set_new(exe, "correlationId", json_string(corr));
	steps = json_array();
	json_array_foreach (json_object_get(def, "steps"), i, s)
		json_array_append_new(steps, fl_flowdef_audit_step(s));
	json_object_set_new(exe, "steps", steps);
	json_object_set(exe, "actions", acc.actions);
	*out = exe;
out:
	json_decref(def);
	json_decref(acc.actions);
	free(acc.flow_uuid);
	fl_store_flow_release(&flow);
	return rc;
}

/* ------------------------------------------------------------ listing */

/* Correlation ids read per window of the cursor. */
#define AUDIT_WINDOW 256

struct fl_engine_audit_cursor {
	struct fl_engine *eng;
	struct fl_store_audit_query q; /* strings below are owned copies */
	char *flow_name, *step_id, *action_name, *action_pack_name, *labels;
	int64_t remaining;             /* executions still to list */
	bool started, exhausted;
	/* the current window */
	char **ids;
	size_t n, pos;
	int64_t last_time;
	char *last_corr;
};

static char *dup_or_null(const char *s)
{
	return s ? fl_xstrdup(s) : NULL;
}

int fl_engine_audit_open(struct fl_engine *eng, const struct fl_audit_filter *f, struct fl_engine_audit_cursor **out,
			 struct fl_error *err)
{
	struct fl_engine_audit_cursor *c;

	*out = NULL;
	if (!eng || !f)
		return fl_error_set(err, FL_EMISUSE, "audit list needs an engine and a filter");
	if (f->start < 0)
		return fl_error_set(err, FL_EINVALID, "start must not be negative");
	if (f->limit <= 0)
		return fl_error_set(err, FL_EINVALID, "limit must be positive");
	if (f->action_pack_labels && !json_is_object(f->action_pack_labels))
		return fl_error_set(err, FL_EINVALID, "actionPackLabels must be an object of strings");
	c = fl_xcalloc(1, sizeof(*c));
	c->eng = eng;
	c->flow_name = dup_or_null(f->flow_name);
	c->step_id = dup_or_null(f->step_id);
	c->action_name = dup_or_null(f->action_name);
	c->action_pack_name = dup_or_null(f->action_pack_name);
	if (json_object_size(f->action_pack_labels))
		c->labels = json_dumps(f->action_pack_labels, JSON_COMPACT);
	c->q = (struct fl_store_audit_query){
		.flow_name = c->flow_name,
		.step_id = c->step_id,
		.action_name = c->action_name,
		.action_pack_name = c->action_pack_name,
		.action_pack_labels = c->labels,
		.start = f->start,
	};
	c->remaining = f->limit;
	*out = c;
	return FL_OK;
}

static void window_clear(struct fl_engine_audit_cursor *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->ids[i]);
	c->n = c->pos = 0;
}

static int window_add(const char *corr, int64_t latest, void *payload)
{
	struct fl_engine_audit_cursor *c = payload;

	c->ids[c->n++] = fl_xstrdup(corr);
	c->last_time = latest;
	return 0;
}

/* Read the next window of correlation ids. */
static int window_fill(struct fl_engine_audit_cursor *c, struct fl_store *st, struct fl_error *err)
{
	int rc;

	window_clear(c);
	if (!c->ids)
		c->ids = fl_xcalloc(AUDIT_WINDOW, sizeof(*c->ids));
	c->q.limit = FL_MIN(c->remaining, (int64_t)AUDIT_WINDOW);
	c->q.after = c->started;
	c->q.after_time = c->last_time;
	c->q.after_corr = c->last_corr;
	rc = fl_store_audit_query(st, &c->q, window_add, c, err);
	if (rc)
		return rc;
	c->started = true;
	if (c->n < (size_t)c->q.limit)
		c->exhausted = true;
	if (c->n) {
		free(c->last_corr);
		c->last_corr = fl_xstrdup(c->ids[c->n - 1]);
	}
	return FL_OK;
}

int fl_engine_audit_next(struct fl_engine_audit_cursor *c, json_t **out, struct fl_error *err)
{
	struct fl_store *st;
	size_t slot;
	int rc = FL_OK;

	*out = NULL;
	if (!c->remaining)
		return FL_OK;
	st = fl_engine__reader_get(c->eng, &slot, err);
	if (!st)
		return err && err->code ? err->code : FL_EIO;
	/* one snapshot per call: the window read and the execution built from it */
	rc = fl_store_begin(st, err);
	while (!*out && c->remaining && !rc) {
		if (c->pos == c->n) {
			if (c->exhausted)
				break;
			rc = window_fill(c, st, err);
			if (rc || c->n == 0)
				break;
		}
		rc = fl_engine__execution_json(out, st, c->ids[c->pos++], err);
		if (!rc || rc == FL_ENOTFOUND)
			c->remaining--; /* the limit counts it even when it cannot be listed, as in Flyte */
		if (rc == FL_ENOTFOUND) {
			/* expired meanwhile, or its flow version is gone: not listed */
			rc = FL_OK;
			fl_error_clear(err);
		}
	}
	fl_store_rollback(st, NULL);
	fl_engine__reader_put(c->eng, slot);
	if (rc) {
		json_decref(*out);
		*out = NULL;
	}
	return rc;
}

void fl_engine_audit_close(struct fl_engine_audit_cursor *c)
{
	if (!c)
		return;
	window_clear(c);
	free(c->ids);
	free(c->last_corr);
	free(c->flow_name);
	free(c->step_id);
	free(c->action_name);
	free(c->action_pack_name);
	free(c->labels);
	free(c);
}
