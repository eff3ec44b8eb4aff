/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_version.c - `flytectl version`: the versions of flytectl, of the
 * libflyte it runs with, and of the REST API it speaks.
 */
#include "ctl.h"

int cmd_version(struct ctl *ctl, struct ctl_args *a)
{
	json_t *v;

	(void)a;
	if (ctl->format == CTL_TABLE) {
		printf("flytectl version: %s\nlibflyte version: %s\nAPI version:      %s\n", FLYTE_VERSION, flyte_version(),
		       FLYTE_API_VERSION);
		return CTL_OK;
	}
	v = json_pack("{s:s, s:s, s:s}", "client", FLYTE_VERSION, "library", flyte_version(), "api", FLYTE_API_VERSION);
	ctl_print_structured(ctl, v);
	json_decref(v);
	return CTL_OK;
}
