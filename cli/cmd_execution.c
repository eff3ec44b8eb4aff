/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_execution.c - `flytectl execution list|get`, over the audit API
 * (/v1/audit/flows).
 *
 * The API has no execution status, so flytectl derives one from the
 * actions: RUNNING while any action is NEW or PENDING, else FAILED if any
 * ended FATAL, else SUCCEEDED.
 *
 * `execution get` also lists every attempt of each action (flyte's leases:
 * an action whose lease ended is taken again).  An attempt is a PENDING
 * state (its "attempt" and "takenBy"), and ends with the next state: NEW
 * when it went back (the state's "reason": "lease expired",
 * "undelivered"), or the final SUCCESS / FATAL.  Results refused for an
 * attempt ("refusedResults") are listed with it.  Servers without leases
 * give PENDING states without numbers: they are counted.
 */
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

const char *ctl_execution_state(json_t *exec)
{
	const char *key;
	json_t *a;
	bool running = false, fatal = false, any = false;

	json_object_foreach(json_object_get(exec, "actions"), key, a) {
		const char *st = ctl_str(json_object_get(a, "state"), "value");
		any = true;
		running = running || !strcmp(st, "NEW") || !strcmp(st, "PENDING");
		fatal = fatal || !strcmp(st, "FATAL");
	}
	return !any ? "-" : running ? "RUNNING" : fatal ? "FAILED" : "SUCCEEDED";
}

/* Latest state time of the execution's actions (RFC 3339 strings of equal form sort as text). */
static const char *last_update(json_t *exec)
{
	const char *key, *best = "";
	json_t *a;

	json_object_foreach(json_object_get(exec, "actions"), key, a) {
		const char *t = ctl_str(json_object_get(a, "state"), "time");
		if (strcmp(t, best) > 0)
			best = t;
	}
	return best;
}

static void add_param(char *q, size_t cap, const char *name, const char *value)
{
	char *esc = NULL;

	if (!value || flyte_url_escape(&esc, value))
		return;
	ctl_append(q, cap, "&", name);
	ctl_append(q, cap, "=", esc);
	flyte_string_free(esc);
}

int cmd_execution_list(struct ctl *ctl, struct ctl_args *a)
{
	static const char *const head[] = { "ID", "FLOW", "STATE", "ACTIONS", "UPDATED" };
	char q[2048] = "";
	char path[2100];
	struct ctl_table *t;
	json_t *j, *e;
	size_t i;
	int rc;

	add_param(q, sizeof(q), "flowName", ctl_opt(a, "flow"));
	add_param(q, sizeof(q), "stepId", ctl_opt(a, "step"));
	add_param(q, sizeof(q), "actionName", ctl_opt(a, "action"));
	add_param(q, sizeof(q), "actionPackName", ctl_opt(a, "pack"));
	add_param(q, sizeof(q), "actionPackLabels", ctl_opt(a, "labels"));
	add_param(q, sizeof(q), "start", ctl_opt(a, "start"));
	add_param(q, sizeof(q), "limit", ctl_opt(a, "limit"));
	snprintf(path, sizeof(path), "/v1/audit/flows%s%s", q[0] ? "?" : "", q);
	rc = ctl_get_list(ctl, path, "list executions", "flows", &j);
	if (rc || !j)
		return rc;
	t = ctl_table_new(5, head);
	json_array_foreach(json_object_get(j, "flows"), i, e) {
		char n[32];
		snprintf(n, sizeof(n), "%zu", json_object_size(json_object_get(e, "actions")));
		const char *row[] = { ctl_str(e, "correlationId"), ctl_str(e, "name"), ctl_execution_state(e), n,
				      last_update(e) };
		ctl_table_row(t, row);
	}
	return ctl_table_done(t, j);
}

static void action_row(struct ctl_table *t, const char *step, json_t *act)
{
	char attempts[24];
	json_t *n = json_object_get(act, "attempt");

	snprintf(attempts, sizeof(attempts), "%lld", json_is_integer(n) ? (long long)json_integer_value(n) : 0LL);
	const char *row[] = { step,
			      ctl_str(act, "name"),
			      ctl_str(act, "packName"),
			      ctl_str(json_object_get(act, "state"), "value"),
			      json_is_integer(n) ? attempts : "-",
			      ctl_str(json_object_get(act, "state"), "time"),
			      ctl_str(json_object_get(act, "result"), "event") };
	ctl_table_row(t, row);
}

/*
 * The attempts of an action as an array of
 * {"attempt","takenAt","takenBy","leaseUntil","endedAt","end","refusedResults"}
 * (members absent when unknown); a new reference.
 */
static json_t *action_attempts(json_t *act)
{
	json_t *out = json_array(), *cur = NULL, *s, *r;
	json_int_t count = 0;
	size_t i, k;

	json_array_foreach(json_object_get(act, "states"), i, s) {
		const char *v = ctl_str(s, "value");

		if (!strcmp(v, "PENDING")) {
			json_t *n = json_object_get(s, "attempt");
			count = json_is_integer(n) ? json_integer_value(n) : count + 1;
			cur = json_object();
			json_object_set_new(cur, "attempt", json_integer(count));
			json_object_set(cur, "takenAt", json_object_get(s, "time"));
			if (json_is_string(json_object_get(s, "takenBy")))
				json_object_set(cur, "takenBy", json_object_get(s, "takenBy"));
			json_array_append_new(out, cur);
			continue;
		}
		if (!cur)
			continue; /* the NEW state of the creation */
		json_object_set(cur, "endedAt", json_object_get(s, "time"));
		if (!strcmp(v, "NEW")) {
			const char *why = ctl_str(s, "reason");
			json_object_set_new(cur, "end", json_string(*why ? why : "released"));
		} else {
			json_object_set_new(cur, "end", json_string(v));
		}
		cur = NULL;
	}
	if (cur) {
		json_object_set_new(cur, "end", json_string("running"));
		if (json_is_string(json_object_get(act, "leaseUntil")))
			json_object_set(cur, "leaseUntil", json_object_get(act, "leaseUntil"));
	}
	/* refused results go with the attempt that sent them */
	json_array_foreach(json_object_get(act, "refusedResults"), k, r) {
		json_int_t n = json_integer_value(json_object_get(r, "attempt"));
		json_array_foreach(out, i, s) {
			json_t *list;
			if (json_integer_value(json_object_get(s, "attempt")) != n)
				continue;
			list = json_object_get(s, "refusedResults");
			if (!list) {
				list = json_array();
				json_object_set_new(s, "refusedResults", list);
			}
			json_array_append(list, r);
			break;
		}
	}
	return out;
}

/* Rows of the attempts table (and of the refused results table) for one action. */
static void attempt_rows(struct ctl_table *t, struct ctl_table *refused, const char *step, json_t *attempts)
{
	json_t *a, *r;
	size_t i, k;

	json_array_foreach(attempts, i, a) {
		char n[24];
		const char *end = ctl_str(a, "end");
		/* a lease that expired ended when the action went back to NEW */
		const char *lease = !strcmp(end, "lease expired") ? ctl_str(a, "endedAt") : ctl_str(a, "leaseUntil");

		snprintf(n, sizeof(n), "%lld", (long long)json_integer_value(json_object_get(a, "attempt")));
		const char *row[] = { step, n, ctl_str(a, "takenAt"), ctl_str(a, "takenBy"), lease, ctl_str(a, "endedAt"),
				      end };
		ctl_table_row(t, row);
		json_array_foreach(json_object_get(a, "refusedResults"), k, r) {
			const char *rrow[] = { step, n, ctl_str(r, "time"), ctl_str(r, "event"), ctl_str(r, "reason") };
			ctl_table_row(refused, rrow);
		}
	}
}

/* Steps in flow order first, then any action whose step is not in the definition. */
static void for_each_action(json_t *exec, void (*fn)(const char *step, json_t *act, void *payload), void *payload)
{
	json_t *acts = json_object_get(exec, "actions"), *s, *act;
	const char *key;
	size_t i;

	json_array_foreach(json_object_get(exec, "steps"), i, s) {
		act = json_object_get(acts, ctl_str(s, "id"));
		if (act)
			fn(ctl_str(s, "id"), act, payload);
	}
	json_object_foreach(acts, key, act) {
		bool listed = false;
		json_array_foreach(json_object_get(exec, "steps"), i, s)
			listed = listed || !strcmp(ctl_str(s, "id"), key);
		if (!listed)
			fn(key, act, payload);
	}
}

struct tables {
	struct ctl_table *actions, *attempts, *refused;
};

static void add_rows(const char *step, json_t *act, void *payload)
{
	struct tables *t = payload;
	json_t *attempts = action_attempts(act);

	action_row(t->actions, step, act);
	attempt_rows(t->attempts, t->refused, step, attempts);
	json_decref(attempts);
}

static void add_attempts(const char *step, json_t *act, void *payload)
{
	(void)step;
	(void)payload;
	json_object_set_new(act, "attempts", action_attempts(act));
}

/* Number of data rows of a table (the header is row 0). */
static size_t table_rows(json_t *exec, const char *member)
{
	json_t *act;
	const char *key;
	size_t n = 0;

	json_object_foreach(json_object_get(exec, "actions"), key, act) {
		json_t *attempts = action_attempts(act), *a;
		size_t i;
		json_array_foreach(attempts, i, a)
			n += member ? json_array_size(json_object_get(a, member)) : 1;
		json_decref(attempts);
	}
	return n;
}

int cmd_execution_get(struct ctl *ctl, struct ctl_args *a)
{
	static const char *const head[] = { "STEP", "COMMAND", "PACK", "STATE", "ATTEMPTS", "UPDATED", "RESULT" };
	static const char *const attempt_head[] = { "STEP", "ATTEMPT", "TAKEN", "BY", "LEASE END", "ENDED", "END" };
	static const char *const refused_head[] = { "STEP", "ATTEMPT", "REFUSED AT", "EVENT", "REASON" };
	struct tables t;
	json_t *j;
	int rc;

	rc = ctl_get_item(ctl, "audit/flows", "execution", a->pos[0], false, &j);
	if (rc)
		return rc;
	if (ctl->format != CTL_TABLE) {
		/* the server's object, each action with the list of its attempts */
		for_each_action(j, add_attempts, NULL);
		ctl_print_structured(ctl, j);
		json_decref(j);
		return CTL_OK;
	}
	printf("id:    %s\nflow:  %s\nstate: %s\n\n", ctl_str(j, "correlationId"), ctl_str(j, "name"),
	       ctl_execution_state(j));
	t.actions = ctl_table_new(7, head);
	t.attempts = ctl_table_new(7, attempt_head);
	t.refused = ctl_table_new(5, refused_head);
	for_each_action(j, add_rows, &t);
	ctl_table_print(t.actions, stdout);
	if (table_rows(j, NULL)) {
		printf("\nattempts:\n");
		ctl_table_print(t.attempts, stdout);
	}
	if (table_rows(j, "refusedResults")) {
		printf("\nrefused results:\n");
		ctl_table_print(t.refused, stdout);
	}
	ctl_table_free(t.actions);
	ctl_table_free(t.attempts);
	ctl_table_free(t.refused);
	json_decref(j);
	return CTL_OK;
}
