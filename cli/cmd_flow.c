/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_flow.c - `flytectl flow list|get|apply|delete`.
 *
 * apply sends the file unchanged: JSON as application/json, YAML as
 * application/x-yaml (the server converts it), so what the server stores is
 * exactly what the user wrote.  YAML is recognised by the .yaml/.yml
 * extension, or, for other names and stdin, by a first character that
 * cannot start JSON.
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
	rc = ctl_get_json(ctl, "/v1/flows", "list flows", &j);
	if (rc)
		return rc;
	if (ctl->format != CTL_TABLE) {
		ctl_print_structured(ctl, json_object_get(j, "flows"));
		json_decref(j);
		return CTL_OK;
	}
	t = ctl_table_new(2, head);
	json_array_foreach(json_object_get(j, "flows"), i, f) {
		const char *row[] = { ctl_str(f, "name"), ctl_str(f, "description") };
		ctl_table_row(t, row);
	}
	ctl_table_print(t, stdout);
	ctl_table_free(t);
	json_decref(j);
	return CTL_OK;
}

int cmd_flow_get(struct ctl *ctl, struct ctl_args *a)
{
	static const char *const head[] = { "STEP", "DEPENDS ON", "ON EVENT", "COMMAND", "CRITERIA" };
	char *path = ctl_path("flows", a->pos[0]), what[300];
	struct ctl_table *t;
	json_t *j, *s;
	size_t i;
	int rc;

	snprintf(what, sizeof(what), "get flow '%s'", a->pos[0]);
	rc = path ? ctl_get_json(ctl, path, what, &j) : ctl_fail(CTL_ERROR, "out of memory");
	free(path);
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
	json_decref(j);
	return CTL_OK;
}

static bool is_yaml(const char *file, const char *body)
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

int cmd_flow_apply(struct ctl *ctl, struct ctl_args *a)
{
	const char *file = ctl_opt(a, "file");
	struct flyte_response r;
	const char *name;
	size_t len;
	char *body;
	int rc;

	if (!file)
		return ctl_fail(CTL_USAGE, "flow apply needs -f FILE");
	body = ctl_read_file(file, &len);
	if (!body)
		return ctl_fail(CTL_ERROR, "cannot read '%s'", file);
	rc = ctl_request(ctl, &r, "POST", "/v1/flows", is_yaml(file, body) ? "application/x-yaml" : "application/json",
			 body, len);
	free(body);
	if (!rc)
		rc = ctl_expect(&r, 201, "apply flow");
	if (!rc) {
		name = r.location ? strrchr(r.location, '/') : NULL;
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

int cmd_flow_delete(struct ctl *ctl, struct ctl_args *a)
{
	char *path = ctl_path("flows", a->pos[0]), what[300];
	struct flyte_response r;
	int rc;

	if (!path)
		return ctl_fail(CTL_ERROR, "out of memory");
	snprintf(what, sizeof(what), "delete flow '%s'", a->pos[0]);
	rc = ctl_request(ctl, &r, "DELETE", path, NULL, NULL, 0);
	free(path);
	if (!rc)
		rc = ctl_expect(&r, 204, what);
	if (!rc)
		printf("flow %s deleted\n", a->pos[0]);
	flyte_response_release(&r);
	return rc;
}
