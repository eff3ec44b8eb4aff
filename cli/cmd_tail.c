/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_tail.c - `flytectl tail`: follow executions and their actions as
 * they happen.
 *
 * The API has no change feed, so tail polls the audit list (most recent
 * executions first) and prints every action state it has not printed yet,
 * taken from each action's `states` history: a NEW → PENDING → SUCCESS
 * sequence that happens between two polls still prints as three lines, in
 * order.  Errors while polling (a server restart) are reported and polling
 * goes on.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl.h"

struct tail {
	struct ctl *ctl;
	json_t *printed; /* "<execution>/<step>" -> number of states printed */
	long remaining;  /* lines still to print before exiting; -1 = no limit */
	bool quiet;      /* first poll without --all: record, do not print */
};

static void print_change(struct tail *t, json_t *exec, const char *step, json_t *act, json_t *state)
{
	const char *value = ctl_str(state, "value");
	bool final = !strcmp(value, "SUCCESS") || !strcmp(value, "FATAL");
	const char *result = final ? ctl_str(json_object_get(act, "result"), "event") : "";

	if (t->ctl->format == CTL_TABLE) {
		printf("%-24s  %s  %s  %s  %s/%s  %s%s%s\n", ctl_str(state, "time"), ctl_str(exec, "correlationId"),
		       ctl_str(exec, "name"), step, ctl_str(act, "packName"), ctl_str(act, "name"), value,
		       result[0] ? "  " : "", result);
	} else {
		json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "time", ctl_str(state, "time"),
				      "execution", ctl_str(exec, "correlationId"), "flow", ctl_str(exec, "name"),
				      "step", step, "pack", ctl_str(act, "packName"), "command", ctl_str(act, "name"),
				      "state", value, "result", result);
		char *s = json_dumps(o, JSON_COMPACT);
		if (t->ctl->format == CTL_YAML) {
			fputs("---\n", stdout);
			ctl_print_yaml(stdout, o);
		} else if (s) {
			puts(s);
		}
		free(s);
		json_decref(o);
	}
	fflush(stdout);
	if (t->remaining > 0)
		t->remaining--;
}

static void scan_execution(struct tail *t, json_t *exec)
{
	json_t *acts = json_object_get(exec, "actions"), *act;
	const char *step;

	json_object_foreach(acts, step, act) {
		json_t *states = json_object_get(act, "states"), *st;
		char key[512];
		size_t done, i;

		if (!json_array_size(states)) /* a server without history: the current state only */
			states = json_pack("[O]", json_object_get(act, "state"));
		else
			json_incref(states);
		snprintf(key, sizeof(key), "%s/%s", ctl_str(exec, "correlationId"), step);
		done = (size_t)json_integer_value(json_object_get(t->printed, key));
		json_array_foreach(states, i, st) {
			if (i < done || t->remaining == 0)
				continue;
			if (!t->quiet)
				print_change(t, exec, step, act, st);
			done = i + 1;
		}
		json_object_set_new(t->printed, key, json_integer((json_int_t)done));
		json_decref(states);
	}
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

int cmd_tail(struct ctl *ctl, struct ctl_args *a)
{
	const char *flow = ctl_opt(a, "flow"), *iv = ctl_opt(a, "interval"), *count = ctl_opt(a, "count");
	struct tail t = { ctl, json_object(), -1, !ctl_flag(a, "all") };
	char path[1024], *esc = NULL;
	char *end = NULL;
	long interval = iv ? strtol(iv, &end, 10) : 1000;

	if ((iv && (*end || end == iv)) || interval < 10) {
		json_decref(t.printed);
		return ctl_usage_error(ctl, "invalid --interval '%s': expected milliseconds >= 10", iv);
	}
	if (count && (strtol(count, &end, 10) < 1 || *end)) {
		json_decref(t.printed);
		return ctl_usage_error(ctl, "invalid --count '%s': expected a number >= 1", count);
	}
	if (count)
		t.remaining = strtol(count, NULL, 10);
	if (flow && flyte_url_escape(&esc, flow) == FLYTE_OK)
		snprintf(path, sizeof(path), "/v1/audit/flows?limit=100&flowName=%s", esc);
	else
		snprintf(path, sizeof(path), "/v1/audit/flows?limit=100");
	flyte_string_free(esc);
	while (t.remaining != 0) {
		json_t *j = NULL, *e;
		int rc = ctl_get_json(ctl, path, "poll executions", &j);
		if (rc == CTL_USAGE) {
			json_decref(t.printed);
			return rc;
		}
		/* oldest first, so lines come out in the order things happened */
		for (size_t i = json_array_size(json_object_get(j, "flows")); j && i-- > 0;) {
			e = json_array_get(json_object_get(j, "flows"), i);
			scan_execution(&t, e);
		}
		if (!rc)
			t.quiet = false;
		json_decref(j);
		if (t.remaining != 0)
			sleep_ms(interval);
	}
	json_decref(t.printed);
	return CTL_OK;
}
