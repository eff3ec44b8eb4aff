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

/* Rows several commands share. */
#define OPT_END { NULL, 0, NULL, NULL, false }
#define OPT_FLOW_FILE { "file", 'f', "FILE", "flow definition, JSON or YAML ('-' = stdin)", false }
#define OPT_CONTENT_TYPE \
	{ "content-type", 'c', "TYPE", "content type of the value (default: from the file extension)", false }
#define OPT_DESCRIPTION { "description", 'd', "TEXT", "description of the item", false }
#define OPT_ONLY_FLOW { "flow", 0, "NAME", "only executions of this flow", false }

static const struct ctl_opt no_opts[] = { OPT_END };

static const struct ctl_opt apply_opts[] = {
	OPT_FLOW_FILE,
	{ "strict", 0, NULL, "refuse the flow if any step does not compile (the server stores it with warnings otherwise)", false },
	OPT_END,
};

static const struct ctl_opt put_opts[] = {
	{ "file", 'f', "FILE", "the value ('-' = stdin)", false },
	OPT_CONTENT_TYPE,
	OPT_DESCRIPTION,
	OPT_END,
};

/* `upload flow` and `upload datastore` take the options of the original CLI. */
static const struct ctl_opt upload_flow_opts[] = {
	OPT_FLOW_FILE,
	{ "content-type", 'c', "TYPE", "application/json or application/x-yaml (default: from the file)", false },
	{ "strict", 0, NULL, "refuse the flow if any step does not compile", false },
	OPT_END,
};

static const struct ctl_opt upload_ds_opts[] = {
	{ "file", 'f', "FILE", "the value", false },
	{ "name", 'n', "KEY", "key of the item (default: the file name without its extension)", false },
	OPT_DESCRIPTION,
	OPT_CONTENT_TYPE,
	OPT_END,
};

static const struct ctl_opt exec_list_opts[] = {
	OPT_ONLY_FLOW,
	{ "step", 0, "ID", "only executions with an action of this step", false },
	{ "action", 0, "NAME", "only executions with an action of this command", false },
	{ "pack", 0, "NAME", "only executions with an action for this pack", false },
	{ "labels", 0, "K:V,...", "only actions whose pack labels include these", false },
	{ "start", 0, "N", "skip the N most recent executions", false },
	{ "limit", 0, "N", "show at most N executions (server default 50)", false },
	OPT_END,
};

static const struct ctl_opt event_opts[] = {
	{ "pack", 'p', "NAME", "name of the pack the event comes from (required)", false },
	{ "label", 'l', "K=V", "label of that pack", true },
	{ "data", 'd', "JSON", "payload given inline instead of a file", false },
	OPT_END,
};

static const struct ctl_opt tail_opts[] = {
	OPT_ONLY_FLOW,
	{ "interval", 0, "MS", "polling interval in milliseconds (default 1000)", false },
	{ "count", 'n', "N", "exit after printing N changes", false },
	{ "all", 'a', NULL, "also print what already happened", false },
	OPT_END,
};

static const struct ctl_opt test_opts[] = {
	{ "file", 'f', "FILE", "the test file: step (or --flow/--step), event, context, datastore", false },
	{ "flow", 0, "FILE", "take the step from this flow file (JSON or YAML)", false },
	{ "step", 0, "ID", "id of the step of --flow to run (default: its only step)", false },
	{ "dslookup", 0, NULL, "read datastore items missing from the test file from the server", false },
	{ "format", 0, "FORMAT", "json (default) or yaml, as -o", false },
	OPT_END,
};

const struct ctl_command ctl_commands[] = {
	{ "flow", "list", cmd_flow_list, "", "List flows.", no_opts, 0, 0, NULL },
	{ "flow", "get", cmd_flow_get, "NAME", "Show a flow, its steps and any warnings.", no_opts, 1, 1, "NAME" },
	{ "flow", "apply", cmd_flow_apply, "[-f] FILE", "Create or replace a flow from a JSON or YAML file.",
	  apply_opts, 0, 1, "FILE" },
	{ "flow", "delete", cmd_flow_delete, "NAME", "Delete a flow.", no_opts, 1, 1, "NAME" },
	{ "pack", "list", cmd_pack_list, "", "List registered packs.", no_opts, 0, 0, NULL },
	{ "pack", "get", cmd_pack_get, "ID|NAME", "Show a pack, its commands and events.", no_opts, 1, 1, "ID or NAME" },
	{ "pack", "delete", cmd_pack_delete, "ID", "Delete a pack registration.", no_opts, 1, 1, "ID" },
	{ "datastore", "list", cmd_datastore_list, "", "List datastore items.", no_opts, 0, 0, NULL },
	{ "datastore", "get", cmd_datastore_get, "KEY", "Print the raw value of an item.", no_opts, 1, 1, "KEY" },
	{ "datastore", "put", cmd_datastore_put, "[KEY] [-f] FILE [-c TYPE] [-d TEXT]",
	  "Create or replace an item; the key defaults to the file name.", put_opts, 0, 2, "FILE" },
	{ "datastore", "delete", cmd_datastore_delete, "KEY", "Delete an item.", no_opts, 1, 1, "KEY" },
	{ "execution", "list", cmd_execution_list, "[--flow NAME] [--step ID] [--action NAME] [--pack NAME] "
	  "[--labels K:V,...] [--start N] [--limit N]", "List flow executions, most recent first.", exec_list_opts, 0, 0,
	  NULL },
	{ "execution", "get", cmd_execution_get, "ID", "Show one execution and its actions.", no_opts, 1, 1, "ID" },
	{ "event", "send", cmd_event_send, "--pack NAME [--label K=V]... EVENT [PAYLOAD_FILE|-]",
	  "Send an event on behalf of a pack (registered if it is not yet).", event_opts, 1, 2, "EVENT" },
	{ "upload", "flow", cmd_upload_flow, "[-f] FILE [-c TYPE]", "Create or replace a flow (as flow apply).",
	  upload_flow_opts, 0, 1, "FILE" },
	{ "upload", "datastore", cmd_upload_datastore, "[-f] FILE [-n KEY] [-d TEXT] [-c TYPE]",
	  "Create or replace a datastore item named after its file.", upload_ds_opts, 0, 1, "FILE" },
	{ "test", NULL, cmd_test, "[-f] FILE [--flow FILE [--step ID]] [--dslookup] [--format json|yaml]",
	  "Run a flow step against a sample event, offline, and print its action.", test_opts, 0, 1, "FILE" },
	{ "tail", NULL, cmd_tail, "[--flow NAME] [--interval MS] [--count N] [--all]",
	  "Follow executions and their actions as they happen.", tail_opts, 0, 0, NULL },
	{ "health", NULL, cmd_health, "", "Check that the server is up (exit 0) or not (exit 1).", no_opts, 0, 0, NULL },
	{ "version", NULL, cmd_version, "", "Print the versions of flytectl, libflyte and the API.", no_opts, 0, 0,
	  NULL },
};

const size_t ctl_n_commands = sizeof(ctl_commands) / sizeof(ctl_commands[0]);

const struct ctl_alias ctl_aliases[] = {
	{ NULL, "flows", "flow", "list" },
	{ NULL, "packs", "pack", "list" },
	{ NULL, "executions", "execution", "list" },
	{ NULL, "events", "event", NULL },
	{ NULL, "ds", "datastore", "list" },
	{ "upload", "ds", "datastore", NULL },
};

const size_t ctl_n_aliases = sizeof(ctl_aliases) / sizeof(ctl_aliases[0]);

static bool is_help(const char *s)
{
	return !strcmp(s, "--help") || !strcmp(s, "-h");
}

void ctl_group_usage(FILE *f, const char *group)
{
	fprintf(f, "usage: flytectl %s COMMAND ...\n\ncommands:\n", group);
	for (size_t i = 0; i < ctl_n_commands; i++)
		if (!strcmp(ctl_commands[i].group, group) && ctl_commands[i].name)
			fprintf(f, "  %-10s %s\n", ctl_commands[i].name, ctl_commands[i].help);
}

/* The canonical spelling of a group word (itself when it is not an alias); *bare: command when none follows. */
static const char *group_word(const char *w, const char **bare)
{
	*bare = NULL;
	for (size_t i = 0; i < ctl_n_aliases; i++)
		if (!ctl_aliases[i].group && !strcmp(ctl_aliases[i].alias, w)) {
			*bare = ctl_aliases[i].bare;
			return ctl_aliases[i].target;
		}
	return w;
}

static const char *command_word(const char *group, const char *w)
{
	for (size_t i = 0; i < ctl_n_aliases; i++)
		if (ctl_aliases[i].group && !strcmp(ctl_aliases[i].group, group) && !strcmp(ctl_aliases[i].alias, w))
			return ctl_aliases[i].target;
	return w;
}

static const struct ctl_command *find(const char *group, const char *name, bool *group_known)
{
	for (size_t i = 0; i < ctl_n_commands; i++) {
		const struct ctl_command *k = &ctl_commands[i];
		if (strcmp(k->group, group))
			continue;
		*group_known = true;
		if (!k->name || (name && !strcmp(k->name, name)))
			return k;
	}
	return NULL;
}

/* Check the number of positional arguments: one line naming what is missing or extra. */
static int check_positionals(struct ctl *ctl, const struct ctl_command *c, const struct ctl_args *args)
{
	char words[64];

	snprintf(words, sizeof(words), "%s%s%s", c->group, c->name ? " " : "", c->name ? c->name : "");
	if (args->n_pos < c->min_pos)
		return ctl_usage_error(ctl, "%s needs %s", words, c->pos_names ? c->pos_names : "more arguments");
	if (args->n_pos > c->max_pos)
		return ctl_usage_error(ctl, "unexpected argument '%s'", args->pos[c->max_pos]);
	return CTL_OK;
}

/* Run `GROUP [NAME] ARGS...` (global options already removed). */
int ctl_dispatch(struct ctl *ctl, int argc, char **argv);
int ctl_dispatch(struct ctl *ctl, int argc, char **argv)
{
	const struct ctl_command *c;
	const char *group, *name, *bare;
	struct ctl_args args;
	bool group_known = false;
	int skip = 1;

	if (argc < 1)
		return ctl_usage_error(ctl, "missing command");
	if (is_help(argv[0])) {
		ctl_usage(stdout);
		return CTL_OK;
	}
	if (argv[0][0] == '-')
		return ctl_usage_error(ctl, "unknown option '%s'", argv[0]);
	group = group_word(argv[0], &bare);
	c = find(group, NULL, &group_known);
	if (!group_known)
		return ctl_usage_error(ctl, "unknown command '%s'", argv[0]);
	ctl->group = group;
	if (!c) {
		name = argc > 1 ? argv[1] : bare;
		if (!name)
			return ctl_usage_error(ctl, "%s needs a command", argv[0]);
		if (is_help(name)) {
			ctl_group_usage(stdout, group);
			return CTL_OK;
		}
		if (name[0] == '-' && !bare)
			return ctl_usage_error(ctl, "unknown option '%s'", name);
		if (name[0] == '-') /* `flytectl flows -o json`: the bare command with options */
			name = bare;
		else
			skip = 2;
		c = find(group, command_word(group, name), &group_known);
		if (!c)
			return ctl_usage_error(ctl, "unknown command '%s %s'", argv[0], name);
	}
	ctl->cmd = c;
	for (int i = skip; i < argc && strcmp(argv[i], "--"); i++)
		if (is_help(argv[i])) {
			ctl_command_help(stdout, c);
			return CTL_OK;
		}
	if (ctl_parse(&args, c->opts, argc - skip, argv + skip)) {
		ctl_print_usage(stderr, ctl);
		return CTL_USAGE;
	}
	if (check_positionals(ctl, c, &args))
		return CTL_USAGE;
	return c->fn(ctl, &args);
}
