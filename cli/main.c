/* SPDX-License-Identifier: Apache-2.0 */
/*
 * main.c - flytectl's entry point: take the global options (anywhere on the
 * command line, before "--"), then dispatch through the command table
 * (commands.c); each command group lives in its own cmd_<group>.c.
 */
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

int ctl_dispatch(struct ctl *ctl, int argc, char **argv);

/* Remove global option i (and its value) from argv; returns the value or NULL. */
static const char *take(int *argc, char **argv, int i, const char *eq)
{
	const char *v = eq ? eq + 1 : (i + 1 < *argc ? argv[i + 1] : NULL);
	int n = eq || !v ? 1 : 2;

	memmove(&argv[i], &argv[i + n], (size_t)(*argc - i - n + 1) * sizeof(*argv));
	*argc -= n;
	return v ? v : "";
}

static bool is_opt(const char *a, size_t n, const char *lng, const char *shrt)
{
	return (n == strlen(lng) && !strncmp(a, lng, n)) || (shrt && !strcmp(a, shrt));
}

static int parse_globals(struct ctl *ctl, int *argc, char **argv)
{
	const char *fmt = NULL, *timeout = NULL;
	char *end;

	ctl->server = getenv("FLYTE_API") ? getenv("FLYTE_API") : getenv("FLYTE_API_URL");
	ctl->token = getenv("FLYTE_JWT");
	for (int i = 1; i < *argc && strcmp(argv[i], "--");) {
		const char *a = argv[i], *eq = a[0] == '-' && a[1] == '-' ? strchr(a, '=') : NULL;
		size_t n = eq ? (size_t)(eq - a) : strlen(a);
		if (is_opt(a, n, "--server", "-s"))
			ctl->server = take(argc, argv, i, eq);
		else if (is_opt(a, n, "--token", NULL))
			ctl->token = take(argc, argv, i, eq);
		else if (is_opt(a, n, "--output", "-o"))
			fmt = take(argc, argv, i, eq);
		else if (is_opt(a, n, "--timeout", NULL))
			timeout = take(argc, argv, i, eq);
		else if (i == 1 && !strcmp(a, "--version"))
			argv[i++] = (char *)"version";
		else
			i++;
	}
	if (!ctl->server || !*ctl->server)
		ctl->server = "http://localhost:8080";
	if (fmt && strcmp(fmt, "table") && strcmp(fmt, "json") && strcmp(fmt, "yaml"))
		return ctl_fail(CTL_USAGE, "invalid output format '%s': expected table, json or yaml", fmt);
	ctl->format = !fmt || !strcmp(fmt, "table") ? CTL_TABLE : !strcmp(fmt, "json") ? CTL_JSON : CTL_YAML;
	if (timeout) {
		long sec = strtol(timeout, &end, 10);
		if (*end || end == timeout || sec <= 0 || sec > 86400)
			return ctl_fail(CTL_USAGE, "invalid timeout '%s': expected seconds 1..86400", timeout);
		ctl->timeout_ms = sec * 1000;
	}
	return CTL_OK;
}

int main(int argc, char **argv)
{
	struct ctl ctl = { NULL, NULL, 30000, CTL_TABLE, NULL };
	int rc = parse_globals(&ctl, &argc, argv);

	if (rc == CTL_OK)
		rc = ctl_dispatch(&ctl, argc - 1, argv + 1);
	flyte_client_free(ctl.client);
	return rc;
}
