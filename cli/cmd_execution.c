/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_execution.c - `flytectl execution list|get`, over the audit API
 * (/v1/audit/flows).
 *
 * The API has no execution status, so flytectl derives one from the
 * actions: RUNNING while any action is NEW or PENDING, else FAILED if any
 * ended FATAL, else SUCCEEDED.
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
	rc = ctl_get_json(ctl, path, "list executions", &j);
	if (rc)
		return rc;
	if (ctl->format != CTL_TABLE) {
		ctl_print_structured(ctl, json_object_get(j, "flows"));
		json_decref(j);
		return CTL_OK;
	}
	t = ctl_table_new(5, head);
	json_array_foreach(json_object_get(j, "flows"), i, e) {
		char n[32];
		snprintf(n, sizeof(n), "%zu", json_object_size(json_object_get(e, "actions")));
		const char *row[] = { ctl_str(e, "correlationId"), ctl_str(e, "name"), ctl_execution_state(e), n,
				      last_update(e) };
		ctl_table_row(t, row);
	}
	ctl_table_print(t, stdout);
	ctl_table_free(t);
	json_decref(j);
	return CTL_OK;
}

static void action_row(struct ctl_table *t, const char *step, json_t *act)
{
	const char *row[] = { step, ctl_str(act, "name"), ctl_str(act, "packName"),
			      ctl_str(json_object_get(act, "state"), "value"), ctl_str(json_object_get(act, "state"), "time"),
			      ctl_str(json_object_get(act, "result"), "event") };
	ctl_table_row(t, row);
}

int cmd_execution_get(struct ctl *ctl, struct ctl_args *a)
{
	static const char *const head[] = { "STEP", "COMMAND", "PACK", "STATE", "UPDATED", "RESULT" };
	char *path = ctl_path("audit/flows", a->pos[0]), what[300];
	struct ctl_table *t;
	json_t *j, *s, *acts, *act;
	const char *key;
	size_t i;
	int rc;

	snprintf(what, sizeof(what), "get execution '%s'", a->pos[0]);
	rc = path ? ctl_get_json(ctl, path, what, &j) : ctl_fail(CTL_ERROR, "out of memory");
	free(path);
	if (rc)
		return rc;
	if (ctl->format != CTL_TABLE) {
		ctl_print_structured(ctl, j);
		json_decref(j);
		return CTL_OK;
	}
	printf("id:    %s\nflow:  %s\nstate: %s\n\n", ctl_str(j, "correlationId"), ctl_str(j, "name"),
	       ctl_execution_state(j));
	t = ctl_table_new(6, head);
	acts = json_object_get(j, "actions");
	/* steps in flow order first, then any action whose step is not in the definition */
	json_array_foreach(json_object_get(j, "steps"), i, s) {
		act = json_object_get(acts, ctl_str(s, "id"));
		if (act)
			action_row(t, ctl_str(s, "id"), act);
	}
	json_object_foreach(acts, key, act) {
		bool listed = false;
		json_array_foreach(json_object_get(j, "steps"), i, s)
			listed = listed || !strcmp(ctl_str(s, "id"), key);
		if (!listed)
			action_row(t, key, act);
	}
	ctl_table_print(t, stdout);
	ctl_table_free(t);
	json_decref(j);
	return CTL_OK;
}
