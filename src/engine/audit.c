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
			json_array_append_new(arr, state_json(val ? val : "",
							      (int64_t)json_integer_value(json_object_get(s, "time"))));
		}
		json_object_set_new(o, "states", arr);
	}
	json_decref(states);
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
