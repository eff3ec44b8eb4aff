/* SPDX-License-Identifier: Apache-2.0 */
/*
 * args.c - flytectl's argument parser and help printer.
 *
 * Each command of the table lists its options (struct ctl_opt); the same
 * list drives parsing and the --help text, so the two cannot drift apart.
 * Accepted spellings: --name value, --name=value, -x value, repeated options
 * when marked `repeat`, and "--" to end options.  A lone "-" is a positional
 * argument (stdin).
 */
#include <stdarg.h>
#include <string.h>

#include "ctl.h"

static const char usage_line[] =
	"usage: flytectl [--server URL] [--token JWT] [-o table|json|yaml] [--timeout SEC] COMMAND ...\n";

/* "flytectl: <message>" on stderr. */
static void say(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));
static void say(const char *fmt, va_list ap)
{
	fputs("flytectl: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

int ctl_fail(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	say(fmt, ap);
	va_end(ap);
	return code;
}

void ctl_print_usage(FILE *f, const struct ctl *ctl)
{
	if (ctl && ctl->cmd)
		ctl_command_help(f, ctl->cmd);
	else if (ctl && ctl->group)
		ctl_group_usage(f, ctl->group);
	else
		fprintf(f, "%sRun 'flytectl --help' for the commands and options.\n", usage_line);
}

int ctl_usage_error(const struct ctl *ctl, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	say(fmt, ap);
	va_end(ap);
	ctl_print_usage(stderr, ctl);
	return CTL_USAGE;
}

static int find_opt(const struct ctl_opt *opts, const char *name, size_t len, char short_name)
{
	for (int i = 0; opts && opts[i].name; i++) {
		if (short_name ? opts[i].short_name == short_name
			       : strlen(opts[i].name) == len && !strncmp(opts[i].name, name, len))
			return i;
	}
	return -1;
}

int ctl_parse(struct ctl_args *a, const struct ctl_opt *opts, int argc, char **argv)
{
	bool only_pos = false;

	memset(a, 0, sizeof(*a));
	a->opts = opts;
	for (int i = 0; i < argc; i++) {
		const char *arg = argv[i], *value = NULL, *eq;
		int k;

		if (only_pos || arg[0] != '-' || !arg[1]) {
			if (a->n_pos == CTL_MAX_POS)
				return ctl_fail(-1, "too many arguments");
			a->pos[a->n_pos++] = argv[i];
			continue;
		}
		if (!strcmp(arg, "--")) {
			only_pos = true;
			continue;
		}
		if (arg[1] == '-') {
			eq = strchr(arg + 2, '=');
			k = find_opt(opts, arg + 2, eq ? (size_t)(eq - arg - 2) : strlen(arg + 2), 0);
			if (eq)
				value = eq + 1;
		} else {
			if (arg[2])
				return ctl_fail(-1, "unknown option '%s' (options are spelled -x VALUE)", arg);
			k = find_opt(opts, NULL, 0, arg[1]);
		}
		if (k < 0)
			return ctl_fail(-1, "unknown option '%s'", arg);
		if (!opts[k].arg) {
			if (value)
				return ctl_fail(-1, "option '--%s' takes no value", opts[k].name);
			value = "true";
		} else if (!value) {
			if (i + 1 >= argc)
				return ctl_fail(-1, "option '--%s' needs a value (%s)", opts[k].name, opts[k].arg);
			value = argv[++i];
		}
		if (!opts[k].repeat) {
			for (int j = 0; j < a->n_values; j++)
				if (a->value_opt[j] == k)
					return ctl_fail(-1, "option '--%s' given twice", opts[k].name);
		}
		if (a->n_values == CTL_MAX_VALUES)
			return ctl_fail(-1, "too many options");
		a->value_opt[a->n_values] = k;
		a->values[a->n_values++] = value;
	}
	return 0;
}

const char *ctl_opt_n(const struct ctl_args *a, const char *name, int i)
{
	int k = find_opt(a->opts, name, strlen(name), 0);

	for (int j = 0; k >= 0 && j < a->n_values; j++)
		if (a->value_opt[j] == k && i-- == 0)
			return a->values[j];
	return NULL;
}

const char *ctl_opt(const struct ctl_args *a, const char *name)
{
	return ctl_opt_n(a, name, 0);
}

bool ctl_flag(const struct ctl_args *a, const char *name)
{
	return ctl_opt(a, name) != NULL;
}

void ctl_command_help(FILE *f, const struct ctl_command *c)
{
	fprintf(f, "usage: flytectl %s%s%s%s%s\n\n%s\n", c->group, c->name ? " " : "", c->name ? c->name : "",
		c->usage[0] ? " " : "", c->usage, c->help);
	for (size_t i = 0; i < ctl_n_aliases; i++) {
		const struct ctl_alias *al = &ctl_aliases[i];
		if (al->group && c->name && !strcmp(al->group, c->group) && !strcmp(al->target, c->name))
			fprintf(f, "Also spelled: flytectl %s %s\n", al->group, al->alias);
	}
	if (c->opts && c->opts[0].name) {
		fputs("\noptions:\n", f);
		for (int i = 0; c->opts[i].name; i++) {
			const struct ctl_opt *o = &c->opts[i];
			char spec[64];
			if (o->short_name)
				snprintf(spec, sizeof(spec), "-%c, --%s%s%s", o->short_name, o->name, o->arg ? " " : "",
					 o->arg ? o->arg : "");
			else
				snprintf(spec, sizeof(spec), "    --%s%s%s", o->name, o->arg ? " " : "", o->arg ? o->arg : "");
			fprintf(f, "  %-30s %s%s\n", spec, o->help, o->repeat ? " (repeatable)" : "");
		}
	}
	fputs("\nglobal options: --server URL, --token JWT, -o table|json|yaml, --timeout SEC (see flytectl --help)\n",
	      f);
}

void ctl_usage(FILE *f)
{
	fputs(usage_line, f);
	fputs("\nCommand line client for the flyte automation server.\n\ncommands:\n", f);
	for (size_t i = 0; i < ctl_n_commands; i++) {
		const struct ctl_command *c = &ctl_commands[i];
		char words[64];
		snprintf(words, sizeof(words), "%s%s%s", c->group, c->name ? " " : "", c->name ? c->name : "");
		fprintf(f, "  %-20s %s\n", words, c->help);
	}
	fputs("\naliases:\n", f);
	for (size_t i = 0; i < ctl_n_aliases; i++) {
		const struct ctl_alias *al = &ctl_aliases[i];
		char words[64];
		snprintf(words, sizeof(words), "%s%s%s", al->group ? al->group : "", al->group ? " " : "", al->alias);
		fprintf(f, "  %-20s %s%s%s%s%s\n", words, al->group ? al->group : "", al->group ? " " : "", al->target,
			al->bare ? "; alone: " : "", al->bare ? al->bare : "");
	}
	fputs("\nglobal options:\n"
	      "  -s, --server URL     server URL (default $FLYTE_API, then $FLYTE_API_URL, then http://localhost:8080);\n"
	      "                       --url URL is the same\n"
	      "      --token JWT      bearer token (default $FLYTE_JWT)\n"
	      "  -o, --output FORMAT  table (default), json or yaml\n"
	      "      --timeout SEC    request timeout in seconds (default 30)\n"
	      "  -h, --help           help; `flytectl COMMAND --help` for a command\n"
	      "\nexit status: 0 success, 1 error, 2 usage error, 3 not found, 4 the tested step does not run\n",
	      f);
}
