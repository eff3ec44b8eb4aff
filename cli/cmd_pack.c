/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_pack.c - `flytectl pack list|get|delete`.
 */
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

int cmd_pack_list(struct ctl *ctl, struct ctl_args *a)
{
	static const char *const head[] = { "ID", "NAME", "LABELS", "STATUS", "LAST SEEN" };
	struct ctl_table *t;
	json_t *j, *p;
	size_t i;
	int rc;

	(void)a;
	rc = ctl_get_json(ctl, "/v1/packs", "list packs", &j);
	if (rc)
		return rc;
	if (ctl->format != CTL_TABLE) {
		ctl_print_structured(ctl, json_object_get(j, "packs"));
		json_decref(j);
		return CTL_OK;
	}
	t = ctl_table_new(5, head);
	json_array_foreach(json_object_get(j, "packs"), i, p) {
		char *labels = ctl_labels_text(json_object_get(p, "labels"));
		const char *row[] = { ctl_str(p, "id"), ctl_str(p, "name"), labels, ctl_str(p, "status"),
				      ctl_str(p, "lastSeen") };
		ctl_table_row(t, row);
		free(labels);
	}
	ctl_table_print(t, stdout);
	ctl_table_free(t);
	json_decref(j);
	return CTL_OK;
}

int cmd_pack_get(struct ctl *ctl, struct ctl_args *a)
{
	static const char *const head[] = { "COMMAND", "EVENTS" };
	char *path = ctl_path("packs", a->pos[0]), what[300], *labels;
	struct ctl_table *t;
	json_t *j, *c, *e;
	size_t i, k;
	int rc;

	snprintf(what, sizeof(what), "get pack '%s'", a->pos[0]);
	rc = path ? ctl_get_json(ctl, path, what, &j) : ctl_fail(CTL_ERROR, "out of memory");
	free(path);
	if (rc)
		return rc;
	if (ctl->format != CTL_TABLE) {
		ctl_print_structured(ctl, j);
		json_decref(j);
		return CTL_OK;
	}
	labels = ctl_labels_text(json_object_get(j, "labels"));
	printf("id:        %s\nname:      %s\nlabels:    %s\nstatus:    %s\nlast seen: %s\nevents:   ", ctl_str(j, "id"),
	       ctl_str(j, "name"), labels && *labels ? labels : "-", ctl_str(j, "status"), ctl_str(j, "lastSeen"));
	free(labels);
	json_array_foreach(json_object_get(j, "events"), i, e)
		printf("%s%s", i ? ", " : " ", ctl_str(e, "name"));
	printf("%s\n\n", json_array_size(json_object_get(j, "events")) ? "" : " -");
	t = ctl_table_new(2, head);
	json_array_foreach(json_object_get(j, "commands"), i, c) {
		char evs[512] = "";
		json_array_foreach(json_object_get(c, "events"), k, e)
			ctl_append(evs, sizeof(evs), ",", json_string_value(e));
		const char *row[] = { ctl_str(c, "name"), evs };
		ctl_table_row(t, row);
	}
	ctl_table_print(t, stdout);
	ctl_table_free(t);
	json_decref(j);
	return CTL_OK;
}

int cmd_pack_delete(struct ctl *ctl, struct ctl_args *a)
{
	char *path = ctl_path("packs", a->pos[0]), what[300];
	struct flyte_response r;
	int rc;

	if (!path)
		return ctl_fail(CTL_ERROR, "out of memory");
	snprintf(what, sizeof(what), "delete pack '%s'", a->pos[0]);
	rc = ctl_request(ctl, &r, "DELETE", path, NULL, NULL, 0);
	free(path);
	if (!rc)
		rc = ctl_expect(&r, 204, what);
	if (!rc)
		printf("pack %s deleted\n", a->pos[0]);
	flyte_response_release(&r);
	return rc;
}
