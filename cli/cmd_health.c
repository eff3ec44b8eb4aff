/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_health.c - `flytectl health`: discover the API and GET the link whose
 * rel ends in "info/health" (the same check packs use).
 */
#include <stdlib.h>

#include "ctl.h"

int cmd_health(struct ctl *ctl, struct ctl_args *a)
{
	struct flyte_client *c = ctl_client(ctl);
	struct flyte_response r;
	char *href = NULL;
	int rc;

	(void)a;
	if (!c)
		return CTL_USAGE;
	if (flyte_client_link(&href, c, "info/health"))
		return ctl_fail(CTL_ERROR, "unhealthy: %s", flyte_client_last_error(c));
	rc = ctl_request(ctl, &r, "GET", href, NULL, NULL, 0);
	if (!rc && r.status != 200)
		rc = ctl_fail(CTL_ERROR, "unhealthy: %s answered HTTP %d", href, r.status);
	if (!rc)
		printf("ok: %s is healthy\n", flyte_client_api_url(c));
	flyte_response_release(&r);
	flyte_string_free(href);
	return rc;
}
