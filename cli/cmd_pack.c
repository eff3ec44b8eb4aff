/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_pack.c - `flytectl pack list|get|delete`.
 *
 * pack get takes an id (the name followed by .key.value per label) or a
 * pack name: an id that does not exist is looked up as a name in the pack
 * list; one pack of that name is shown, several make it print the id of
 * each, as the commands to type.
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
	rc = ctl_get_list(ctl, "/v1/packs", "list packs", "packs", &j);
	if (rc || !j)
		return rc;
	t = ctl_table_new(5, head);
	json_array_foreach(json_object_get(j, "packs"), i, p) {
		char *labels = ctl_labels_text(json_object_get(p, "labels"));
		const char *row[] = { ctl_str(p, "id"), ctl_str(p, "name"), labels, ctl_str(p, "status"),
				      ctl_str(p, "lastSeen") };
		ctl_table_row(t, row);
		free(labels);
	}
	return ctl_table_done(t, j);
}

/* GET the pack with id `id`; CTL_NOTFOUND without a message (the caller looks for a name). */
static int get_pack(struct ctl *ctl, const char *id, json_t **out)
{
	return ctl_get_item(ctl, "packs", "pack", id, true, out);
}

/* No pack has id `arg`: find the packs named arg.  Returns CTL_OK with the one pack in *out, or an error. */
static int get_pack_by_name(struct ctl *ctl, const char *arg, json_t **out)
{
	json_t *list, *p, *found = json_array();
	size_t i;
	int rc;

	*out = NULL;
	rc = ctl_get_json(ctl, "/v1/packs", "list packs", &list);
	json_array_foreach(json_object_get(list, "packs"), i, p)
		if (!strcmp(ctl_str(p, "name"), arg))
			json_array_append(found, p);
	if (rc) {
		/* reported */
	} else if (json_array_size(found) == 0) {
		rc = ctl_fail(CTL_NOTFOUND, "get pack '%s': no pack has that id or name", arg);
	} else if (json_array_size(found) == 1) {
		rc = get_pack(ctl, ctl_str(json_array_get(found, 0), "id"), out);
		if (rc == CTL_NOTFOUND) /* deleted in between */
			rc = ctl_fail(CTL_NOTFOUND, "get pack '%s': not found", arg);
	} else {
		ctl_fail(CTL_ERROR, "%zu packs are named '%s' (one per set of labels); give the id of one:",
			 json_array_size(found), arg);
		json_array_foreach(found, i, p)
			fprintf(stderr, "  flytectl pack get %s\n", ctl_str(p, "id"));
		rc = CTL_ERROR;
	}
	json_decref(found);
	json_decref(list);
	return rc;
}

int cmd_pack_get(struct ctl *ctl, struct ctl_args *a)
{
	static const char *const head[] = { "COMMAND", "EVENTS" };
	struct ctl_table *t;
	json_t *j, *c, *e;
	char *labels;
	size_t i, k;
	int rc;

	rc = get_pack(ctl, a->pos[0], &j);
	if (rc == CTL_NOTFOUND)
		rc = get_pack_by_name(ctl, a->pos[0], &j);
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
	return ctl_table_done(t, j);
}

int cmd_pack_delete(struct ctl *ctl, struct ctl_args *a)
{
	return ctl_delete_item(ctl, "packs", "pack", a->pos[0]);
}
