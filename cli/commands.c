/* SPDX-License-Identifier: Apache-2.0 */
/*
 * commands.c - flytectl's command table and its dispatcher.
 *
 * Every command is one row: words, handler, usage, one-line help and its
 * options.  The same rows produce `flytectl --help`, `flytectl GROUP --help`
 * and `flytectl GROUP NAME --help`, and the man page documents them.
 */
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

static const struct ctl_opt no_opts[] = { { NULL, 0, NULL, NULL, false } };

static const struct ctl_opt apply_opts[] = {
	{ "file", 'f', "FILE", "flow definition, JSON or YAML ('-' = stdin)", false },
	{ NULL, 0, NULL, NULL, false },
};

static const struct ctl_opt put_opts[] = {
	{ "file", 'f', "FILE", "the value ('-' = stdin)", false },
	{ "content-type", 0, "TYPE", "content type of the value (default: from the file extension)", false },
	{ "description", 0, "TEXT", "description of the item", false },
	{ NULL, 0, NULL, NULL, false },
};

static const struct ctl_opt exec_list_opts[] = {
	{ "flow", 0, "NAME", "only executions of this flow", false },
	{ "step", 0, "ID", "only executions with an action of this step", false },
	{ "action", 0, "NAME", "only executions with an action of this command", false },
	{ "pack", 0, "NAME", "only executions with an action for this pack", false },
	{ "labels", 0, "K:V,...", "only actions whose pack labels include these", false },
	{ "start", 0, "N", "skip the N most recent executions", false },
	{ "limit", 0, "N", "show at most N executions (server default 50)", false },
	{ NULL, 0, NULL, NULL, false },
};

static const struct ctl_opt event_opts[] = {
	{ "pack", 'p', "NAME", "name of the pack the event comes from (required)", false },
	{ "label", 'l', "K=V", "label of that pack", true },
	{ "data", 'd', "JSON", "payload given inline instead of a file", false },
	{ NULL, 0, NULL, NULL, false },
};

static const struct ctl_opt tail_opts[] = {
	{ "flow", 0, "NAME", "only executions of this flow", false },
	{ "interval", 0, "MS", "polling interval in milliseconds (default 1000)", false },
	{ "count", 'n', "N", "exit after printing N changes", false },
	{ "all", 'a', NULL, "also print what already happened", false },
	{ NULL, 0, NULL, NULL, false },
};

const struct ctl_command ctl_commands[] = {
	{ "flow", "list", cmd_flow_list, "", "List flows.", no_opts, 0, 0 },
	{ "flow", "get", cmd_flow_get, "NAME", "Show a flow and its steps.", no_opts, 1, 1 },
	{ "flow", "apply", cmd_flow_apply, "-f FILE", "Create or replace a flow from a JSON or YAML file.",
	  apply_opts, 0, 0 },
	{ "flow", "delete", cmd_flow_delete, "NAME", "Delete a flow.", no_opts, 1, 1 },
	{ "pack", "list", cmd_pack_list, "", "List registered packs.", no_opts, 0, 0 },
	{ "pack", "get", cmd_pack_get, "ID", "Show a pack, its commands and events.", no_opts, 1, 1 },
	{ "pack", "delete", cmd_pack_delete, "ID", "Delete a pack registration.", no_opts, 1, 1 },
	{ "datastore", "list", cmd_datastore_list, "", "List datastore items.", no_opts, 0, 0 },
	{ "datastore", "get", cmd_datastore_get, "KEY", "Print the raw value of an item.", no_opts, 1, 1 },
	{ "datastore", "put", cmd_datastore_put, "KEY -f FILE [--content-type T] [--description D]",
	  "Create or replace an item.", put_opts, 1, 1 },
	{ "datastore", "delete", cmd_datastore_delete, "KEY", "Delete an item.", no_opts, 1, 1 },
	{ "execution", "list", cmd_execution_list, "[--flow NAME] [--step ID] [--action NAME] [--pack NAME] "
	  "[--labels K:V,...] [--start N] [--limit N]", "List flow executions, most recent first.", exec_list_opts, 0, 0 },
	{ "execution", "get", cmd_execution_get, "ID", "Show one execution and its actions.", no_opts, 1, 1 },
	{ "event", "send", cmd_event_send, "--pack NAME [--label K=V]... EVENT [PAYLOAD_FILE|-]",
	  "Send an event on behalf of a pack (registered if it is not yet).", event_opts, 1, 2 },
	{ "tail", NULL, cmd_tail, "[--flow NAME] [--interval MS] [--count N] [--all]",
	  "Follow executions and their actions as they happen.", tail_opts, 0, 0 },
	{ "health", NULL, cmd_health, "", "Check that the server is up (exit 0) or not (exit 1).", no_opts, 0, 0 },
	{ "version", NULL, cmd_version, "", "Print the versions of flytectl, libflyte and the API.", no_opts, 0, 0 },
};

const size_t ctl_n_commands = sizeof(ctl_commands) / sizeof(ctl_commands[0]);

static bool is_help(const char *s)
{
	return !strcmp(s, "--help") || !strcmp(s, "-h");
}

static void group_usage(FILE *f, const char *group)
{
	fprintf(f, "usage: flytectl %s COMMAND ...\n\ncommands:\n", group);
	for (size_t i = 0; i < ctl_n_commands; i++)
		if (!strcmp(ctl_commands[i].group, group) && ctl_commands[i].name)
			fprintf(f, "  %-10s %s\n", ctl_commands[i].name, ctl_commands[i].help);
}

/* Run `GROUP [NAME] ARGS...` (global options already removed). */
int ctl_dispatch(struct ctl *ctl, int argc, char **argv);
int ctl_dispatch(struct ctl *ctl, int argc, char **argv)
{
	const struct ctl_command *c = NULL;
	struct ctl_args args;
	bool group_known = false;
	int skip = 1;

	if (argc < 1 || is_help(argv[0])) {
		ctl_usage(argc < 1 ? stderr : stdout);
		return argc < 1 ? CTL_USAGE : CTL_OK;
	}
	for (size_t i = 0; i < ctl_n_commands && !c; i++) {
		const struct ctl_command *k = &ctl_commands[i];
		if (strcmp(k->group, argv[0]))
			continue;
		group_known = true;
		if (!k->name)
			c = k;
		else if (argc > 1 && !strcmp(k->name, argv[1]))
			c = k, skip = 2;
	}
	if (!group_known)
		return ctl_fail(CTL_USAGE, "unknown command '%s' (try flytectl --help)", argv[0]);
	if (!c) {
		if (argc > 1 && is_help(argv[1])) {
			group_usage(stdout, argv[0]);
			return CTL_OK;
		}
		group_usage(stderr, argv[0]);
		return argc > 1 ? ctl_fail(CTL_USAGE, "unknown command '%s %s'", argv[0], argv[1]) : CTL_USAGE;
	}
	for (int i = skip; i < argc && strcmp(argv[i], "--"); i++)
		if (is_help(argv[i])) {
			ctl_command_help(stdout, c);
			return CTL_OK;
		}
	if (ctl_parse(&args, c->opts, argc - skip, argv + skip))
		return CTL_USAGE;
	if (args.n_pos < c->min_pos || args.n_pos > c->max_pos) {
		ctl_command_help(stderr, c);
		return CTL_USAGE;
	}
	return c->fn(ctl, &args);
}
