// SPDX-License-Identifier: Apache-2.0
/*
 * main.c - the flyte server executable: parse the command line and the
 * environment into the configuration, then hand over to fl_server_run().
 */
#include "fl-common.h"

#include "config/config.h"
#include "server/server.h"

int main(int argc, char **argv)
{
	struct fl_config cfg;
	struct fl_error err = FL_ERROR_INIT;
	enum fl_config_cli cli = fl_config_parse_args(argc, argv, &err);
	int rc;

	if (cli != FL_CONFIG_CLI_RUN)
		return fl_server_cli(cli, argv[0], err.msg);
	fl_config_init(&cfg);
	if (fl_config_load_env(&cfg, &err) != FL_OK) {
		fprintf(stderr, "flyte: %s\n", err.msg);
		fl_config_release(&cfg);
		return 1;
	}
	rc = fl_server_run(&cfg);
	fl_config_release(&cfg);
	return rc;
}
