/* SPDX-License-Identifier: Apache-2.0 */
/*
 * main.c - flyte-shell, the Shell pack: runs the script of each "Shell"
 * action with bash and answers with an "Output" event.  Configuration is
 * read from the environment (see docs/packs.md).
 */
#include <stdio.h>
#include <stdlib.h>

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
	struct flyte_client *client = NULL;
	struct flyte_labels *labels = NULL;
	struct flyte_pack *pack = NULL;
	struct flyte_pack_options po;
	struct flyte_command_def cmd = { "Shell", output_events, 1, shell_handler, &cfg, NULL };
	struct flyte_pack_def def = { 0 };
	char err[512];
	int rc = packutil_args(argc, argv, "flyte-shell", help);

	if (rc >= 0)
		return rc;
	rc = 1;
	if (shell_config_from_env(&cfg, err, sizeof(err))) {
		fprintf(stderr, "flyte-shell: %s\n", err);
		goto out;
	}
	if (packutil_client(&client, &labels, "flyte-shell") || packutil_options(&po, "flyte-shell"))
		goto out;
	def.name = getenv("FLYTE_SHELL_PACK_NAME") ? getenv("FLYTE_SHELL_PACK_NAME") : "Shell";
	def.labels = labels;
	def.commands = &cmd;
	def.n_commands = 1;
	if (flyte_pack_new(&pack, client, &def, &po)) {
		fprintf(stderr, "flyte-shell: %s\n", flyte_last_error());
		goto out;
	}
	rc = packutil_run(pack, "flyte-shell");
out:
	flyte_pack_free(pack);
	flyte_labels_free(labels);
	flyte_client_free(client);
	shell_config_release(&cfg);
	return rc;
}
