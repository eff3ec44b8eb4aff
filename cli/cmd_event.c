/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_event.c - `flytectl event send`: post an event on behalf of a pack.
 *
 * Events come from packs, so flytectl takes on a pack identity (name plus
 * labels).  It registers that identity only if the server does not know it
 * yet (FLYTE_PACK_ATTACH), so sending an event "from" a running pack never
 * replaces that pack's registered commands.
 */
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

static int add_labels(struct ctl *ctl, struct flyte_labels *labels, struct ctl_args *a)
{
	const char *l;

	for (int i = 0; (l = ctl_opt_n(a, "label", i)); i++) {
		const char *eq = strchr(l, '=');
		char *key;
		int rc;
		if (!eq || eq == l)
			return ctl_usage_error(ctl, "invalid label '%s': expected KEY=VALUE", l);
		key = strndup(l, (size_t)(eq - l));
		rc = key ? flyte_labels_set(labels, key, eq + 1) : FLYTE_ENOMEM;
		free(key);
		if (rc)
			return ctl_fail(CTL_ERROR, "%s", flyte_last_error());
	}
	return CTL_OK;
}

int cmd_event_send(struct ctl *ctl, struct ctl_args *a)
{
	const char *pack_name = ctl_opt(a, "pack"), *data = ctl_opt(a, "data"), *event = a->pos[0];
	struct flyte_labels *labels = NULL;
	struct flyte_pack *pack = NULL;
	struct flyte_pack_options po;
	struct flyte_pack_def def = { 0 };
	char *payload = NULL;
	size_t len = 0;
	int rc = CTL_ERROR;

	if (!pack_name)
		return ctl_usage_error(ctl, "event send needs --pack NAME");
	if (data && a->n_pos > 1)
		return ctl_usage_error(ctl, "give the payload either with --data or as a file, not both");
	if (a->n_pos > 1 && !(payload = ctl_read_file(a->pos[1], &len)))
		return ctl_fail(CTL_ERROR, "cannot read '%s'", a->pos[1]);
	if (data && !(payload = strdup(data)))
		return ctl_fail(CTL_ERROR, "out of memory");
	if (payload && flyte_json_validate(payload, strlen(payload))) {
		rc = ctl_usage_error(ctl, "the payload is not JSON: %s", flyte_last_error());
		goto out;
	}
	if (flyte_labels_new(&labels) || (rc = add_labels(ctl, labels, a))) {
		rc = labels ? rc : ctl_fail(CTL_ERROR, "out of memory");
		goto out;
	}
	if (!ctl_client(ctl)) {
		rc = CTL_USAGE;
		goto out;
	}
	flyte_pack_options_init(&po);
	po.flags = FLYTE_PACK_ATTACH;
	po.register_attempts = 3;
	po.event_attempts = 3;
	po.retry_initial_ms = 200;
	po.retry_max_ms = 1000;
	def.name = pack_name;
	def.labels = labels;
	if (flyte_pack_new(&pack, ctl->client, &def, &po)) {
		rc = ctl_usage_error(ctl, "%s", flyte_last_error());
		goto out;
	}
	if (flyte_pack_register(pack) || flyte_pack_send_event(pack, event, payload)) {
		rc = ctl_fail(CTL_ERROR, "cannot send event '%s': %s", event, flyte_pack_last_error(pack));
		goto out;
	}
	printf("event %s sent as pack %s\n", event, flyte_pack_id(pack));
	rc = CTL_OK;
out:
	flyte_pack_free(pack);
	flyte_labels_free(labels);
	free(payload);
	return rc;
}
