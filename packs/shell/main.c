/* SPDX-License-Identifier: Apache-2.0 */
/*
 * main.c - flyte-shell, the Shell pack: runs the script of each "Shell"
 * action with bash and answers with an "Output" event.  Configuration is
 * read from the environment (see docs/packs.md).
 */
#include <stdio.h>
#include <stdlib.h>

#include "packenv.h"
#include "packutil.h"
#include "shell.h"

static const char help[] =
	"usage: flyte-shell\n"
	"Runs the Shell pack. Environment:\n"
	"  FLYTE_API (or FLYTE_API_URL)   flyte server URL (required)\n"
	"  FLYTE_LABELS                   pack labels, k=v,k=v\n"
	"  FLYTE_SHELL_PACK_NAME          pack name (default Shell)\n"
	"  FLYTE_SHELL_CMD                shell command line (default \"bash -c\")\n"
	"  FLYTE_SHELL_TIMEOUT_SEC        script timeout, 0 = none (default 300)\n"
	"  FLYTE_SHELL_MAX_OUTPUT_BYTES   bytes kept per stream (default 1048576)\n"
	"  FLYTE_SHELL_WORKDIR            working directory of scripts\n"
	"  FLYTE_SHELL_CLEAN_ENV          true: scripts get only PATH, HOME, LANG\n"
	"  FLYTE_PACK_CONCURRENCY         scripts run at once (default 8)\n"
	"  FLYTE_API_TIMEOUT, FLYTE_JWT, FLYTE_LOG_LEVEL  see docs/packs.md\n";

static const char *const output_events[] = { "Output" };

int main(int argc, char **argv)
{
	struct shell_config cfg;
	struct flyte_command_def cmd = { "Shell", output_events, 1, shell_handler, NULL, NULL };
	const char *name = packenv_get("FLYTE_SHELL_PACK_NAME");
	char err[512];
	int rc = packutil_args(argc, argv, "flyte-shell", help);

	if (rc >= 0)
		return rc;
	if (shell_config_from_env(&cfg, err, sizeof(err)))
		rc = packutil_fail("flyte-shell", err);
	else
		rc = packutil_serve("flyte-shell", name ? name : "Shell", &cmd, 1, &cfg, NULL);
	shell_config_release(&cfg);
	return rc;
}
