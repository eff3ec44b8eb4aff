/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_flow.c - `flytectl flow list|get|apply|delete` and `upload flow`
 * (the original CLI's spelling of apply).
 *
 * apply sends the file unchanged: JSON as application/json, YAML as
 * application/x-yaml (the server converts it), so what the server stores is
 * exactly what the user wrote.  YAML is recognised by the .yaml/.yml
 * extension, or, for other names and stdin, by a first character that
 * cannot start JSON.
 *
 * Flow warnings: a server that stores a flow although some of its steps
 * cannot run (a template that does not compile) lists the problems in a
 * `warnings` array of the flow, and may send the same array in the body of
 * its 201 answer.  flow get prints them under the steps, flow apply on
 * stderr; -o json|yaml keep the array as the server sent it.  An element is
 * a string, or an object whose step, field, line, column and message
 * members are shown (any other object is shown as JSON).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

int cmd_flow_list(struct ctl *ctl, struct ctl_args *a)
{
	static const char *const head[] = { "NAME", "DESCRIPTION" };
	struct ctl_table *t;
	json_t *j, *f;
	size_t i;
	int rc;

	(void)a;
	rc = ctl_get_list(ctl, "/v1/flows", "list flows", "flows", &j);
	if (rc || !j)
		return rc;
	t = ctl_table_new(2, head);
	json_array_foreach(json_object_get(j, "flows"), i, f) {
		const char *row[] = { ctl_str(f, "name"), ctl_str(f, "description") };
		ctl_table_row(t, row);
	}
	return ctl_table_done(t, j);
}

/* One warning as a line of text (caller frees). */
static char *warning_text(json_t *w)
{
	char buf[2048] = "", num[32];
	const char *msg = json_string_value(json_object_get(w, "message"));

	if (json_is_string(w))
		return strdup(json_string_value(w));
	if (!json_is_object(w) || !msg)
		return json_dumps(w, JSON_COMPACT | JSON_ENCODE_ANY);
	if (json_is_string(json_object_get(w, "step"))) {
		ctl_append(buf, sizeof(buf), "", "step '");
		ctl_append(buf, sizeof(buf), "", ctl_str(w, "step"));
		ctl_append(buf, sizeof(buf), "", "'");
	} else if (json_is_integer(json_object_get(w, "step"))) {
		snprintf(num, sizeof(num), "step #%lld", (long long)json_integer_value(json_object_get(w, "step")));
		ctl_append(buf, sizeof(buf), "", num);
	}
	if (json_is_string(json_object_get(w, "field"))) {
		ctl_append(buf, sizeof(buf), " ", "field '");
		ctl_append(buf, sizeof(buf), "", ctl_str(w, "field"));
		ctl_append(buf, sizeof(buf), "", "'");
	}
	if (json_is_integer(json_object_get(w, "line"))) {
		snprintf(num, sizeof(num), "line %lld", (long long)json_integer_value(json_object_get(w, "line")));
		ctl_append(buf, sizeof(buf), buf[0] ? ", " : "", num);
		if (json_is_integer(json_object_get(w, "column"))) {
			snprintf(num, sizeof(num), "column %lld", (long long)json_integer_value(json_object_get(w, "column")));
			ctl_append(buf, sizeof(buf), ", ", num);
		}
	}
	ctl_append(buf, sizeof(buf), ": ", msg);
	return strdup(buf);
}

/* Print the `warnings` array of a flow (or of an apply answer); returns how many there were. */
static size_t print_warnings(FILE *f, json_t *flow, const char *prefix)
{
	json_t *ws = json_object_get(flow, "warnings"), *w;
	size_t i;

	json_array_foreach(ws, i, w) {
		char *t = warning_text(w);
		fprintf(f, "%s%s\n", prefix, t ? t : "?");
		free(t);
	}
	return json_array_size(ws);
}

int cmd_flow_get(struct ctl *ctl, struct ctl_args *a)
{
	static const char *const head[] = { "STEP", "DEPENDS ON", "ON EVENT", "COMMAND", "CRITERIA" };
	struct ctl_table *t;
	json_t *j, *s;
	size_t i;
	int rc;

	rc = ctl_get_item(ctl, "flows", "flow", a->pos[0], false, &j);
	if (rc)
		return rc;
	if (ctl->format != CTL_TABLE) {
		json_object_del(j, "links");
		ctl_print_structured(ctl, j);
		json_decref(j);
		return CTL_OK;
	}
	printf("name:        %s\ndescription: %s\n\n", ctl_str(j, "name"), ctl_str(j, "description"));
	t = ctl_table_new(5, head);
	json_array_foreach(json_object_get(j, "steps"), i, s) {
		json_t *ev = json_object_get(s, "event"), *cmd = json_object_get(s, "command"), *d;
		char deps[256] = "", on[256], command[256];
		size_t k;
		json_array_foreach(json_object_get(s, "dependsOn"), k, d)
			ctl_append(deps, sizeof(deps), ",", json_string_value(d));
		snprintf(on, sizeof(on), "%s/%s", ctl_str(ev, "packName"), ctl_str(ev, "name"));
		snprintf(command, sizeof(command), "%s/%s", ctl_str(cmd, "packName"), ctl_str(cmd, "name"));
		const char *row[] = { ctl_str(s, "id"), deps, on, command, ctl_str(s, "criteria") };
		ctl_table_row(t, row);
	}
	ctl_table_print(t, stdout);
	ctl_table_free(t);
	if (json_array_size(json_object_get(j, "warnings"))) {
		printf("\nwarnings:\n");
		print_warnings(stdout, j, "  ");
	}
	json_decref(j);
	return CTL_OK;
}

bool ctl_is_yaml(const char *file, const char *body)
{
	const char *dot = strrchr(file, '.');

	if (dot && (!strcmp(dot, ".yaml") || !strcmp(dot, ".yml")))
		return true;
	if (dot && !strcmp(dot, ".json"))
		return false;
	while (isspace((unsigned char)*body))
		body++;
	return *body != '{' && *body != '[';
}

/*
 * POST the flow in file (content type ctype, or guessed); prints what
 * happened.  strict: the server refuses the flow (400) rather than store
 * steps that do not compile.
 */
static int apply(struct ctl *ctl, const char *file, const char *ctype, bool strict)
{
	struct flyte_response r;
	const char *name;
	json_t *answer;
	size_t len;
	char *body;
	int rc;

	body = ctl_read_file(file, &len);
	if (!body)
		return ctl_fail(CTL_ERROR, "cannot read '%s'", file);
	if (!ctype)
		ctype = ctl_is_yaml(file, body) ? "application/x-yaml" : "application/json";
	rc = ctl_request(ctl, &r, "POST", strict ? "/v1/flows?strict=true" : "/v1/flows", ctype, body, len);
	free(body);
	if (!rc)
		rc = ctl_expect(&r, 201, "apply flow");
	if (!rc) {
		name = r.location ? strrchr(r.location, '/') : NULL;
		answer = r.body_len ? json_loadb(r.body, r.body_len, 0, NULL) : NULL;
		print_warnings(stderr, answer, "flytectl: warning: ");
		json_decref(answer);
		if (ctl->format == CTL_TABLE)
			printf("flow %s applied\n", name ? name + 1 : "");
		else {
			json_t *o = json_pack("{s:s, s:s?}", "name", name ? name + 1 : "", "location", r.location);
			ctl_print_structured(ctl, o);
			json_decref(o);
		}
	}
	if (rc == CTL_NOTFOUND)
		rc = CTL_ERROR;
	flyte_response_release(&r);
	return rc;
}

/* The file of `flow apply` and `upload flow`: -f FILE or the argument, not both. */
static const char *flow_file(struct ctl *ctl, struct ctl_args *a)
{
	const char *file = ctl_opt(a, "file");

	if (file && a->n_pos) {
		ctl_usage_error(ctl, "give the flow file either with -f or as the argument, not both");
		return NULL;
	}
	if (!file && !a->n_pos) {
		ctl_usage_error(ctl, "%s %s needs FILE", ctl->cmd->group, ctl->cmd->name);
		return NULL;
	}
	return file ? file : a->pos[0];
}

int cmd_flow_apply(struct ctl *ctl, struct ctl_args *a)
{
	const char *file = flow_file(ctl, a);

	return file ? apply(ctl, file, NULL, ctl_flag(a, "strict")) : CTL_USAGE;
}

int cmd_upload_flow(struct ctl *ctl, struct ctl_args *a)
{
	const char *file = flow_file(ctl, a), *ctype = ctl_opt(a, "content-type");

	if (!file)
		return CTL_USAGE;
	if (ctype && strcmp(ctype, "application/json") && strcmp(ctype, "application/x-yaml") &&
	    strcmp(ctype, "application/yaml"))
		return ctl_usage_error(ctl, "invalid content type '%s': a flow is application/json or application/x-yaml",
				       ctype);
	if (ctype && !strcmp(ctype, "application/yaml"))
		ctype = "application/x-yaml"; /* the type the server reads */
	return apply(ctl, file, ctype, ctl_flag(a, "strict"));
}

int cmd_flow_delete(struct ctl *ctl, struct ctl_args *a)
{
	return ctl_delete_item(ctl, "flows", "flow", a->pos[0]);
}
