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

/* Remove global option i (and its value) from argv; returns the value or NULL when there is none. */
static const char *take(int *argc, char **argv, int i, const char *eq)
{
	const char *v = eq ? eq + 1 : (i + 1 < *argc && strcmp(argv[i + 1], "--") ? argv[i + 1] : NULL);
	int n = eq || !v ? 1 : 2;

	memmove(&argv[i], &argv[i + n], (size_t)(*argc - i - n + 1) * sizeof(*argv));
	*argc -= n;
	return v;
}

static bool is_opt(const char *a, size_t n, const char *lng, const char *shrt)
{
	return (n == strlen(lng) && !strncmp(a, lng, n)) || (shrt && !strcmp(a, shrt));
}

/* The global options; --url is the original CLI's name of --server. */
static int parse_globals(struct ctl *ctl, int *argc, char **argv)
{
	const char *fmt = NULL, *timeout = NULL, *missing = NULL, **slot;
	char *end;

	ctl->server = getenv("FLYTE_API") ? getenv("FLYTE_API") : getenv("FLYTE_API_URL");
	ctl->token = getenv("FLYTE_JWT");
	for (int i = 1; i < *argc && strcmp(argv[i], "--");) {
		const char *a = argv[i], *eq = a[0] == '-' && a[1] == '-' ? strchr(a, '=') : NULL;
		size_t n = eq ? (size_t)(eq - a) : strlen(a);
		if (is_opt(a, n, "--server", "-s") || is_opt(a, n, "--url", NULL)) {
			slot = &ctl->server;
			ctl->server_given = true;
		} else if (is_opt(a, n, "--token", NULL)) {
			slot = &ctl->token;
		} else if (is_opt(a, n, "--output", "-o")) {
			slot = &fmt;
			ctl->format_given = true;
		} else if (is_opt(a, n, "--timeout", NULL)) {
			slot = &timeout;
		} else {
			if (i == 1 && !strcmp(a, "--version"))
				argv[i] = (char *)"version";
			i++;
			continue;
		}
		*slot = take(argc, argv, i, eq);
		if (!*slot && !missing)
			missing = a;
	}
	if (missing)
		return ctl_usage_error(ctl, "option '%s' needs a value", missing);
	if (!ctl->server || !*ctl->server)
		ctl->server = "http://localhost:8080";
	if (fmt && strcmp(fmt, "table") && strcmp(fmt, "json") && strcmp(fmt, "yaml"))
		return ctl_usage_error(ctl, "invalid output format '%s': expected table, json or yaml", fmt);
	ctl->format = !fmt || !strcmp(fmt, "table") ? CTL_TABLE : !strcmp(fmt, "json") ? CTL_JSON : CTL_YAML;
	if (timeout) {
		long sec = strtol(timeout, &end, 10);
		if (*end || end == timeout || sec <= 0 || sec > 86400)
			return ctl_usage_error(ctl, "invalid timeout '%s': expected seconds 1..86400", timeout);
		ctl->timeout_ms = sec * 1000;
	}
	return CTL_OK;
}

int main(int argc, char **argv)
{
	struct ctl ctl = { .timeout_ms = 30000, .format = CTL_TABLE };
	int rc = parse_globals(&ctl, &argc, argv);

	if (rc == CTL_OK)
		rc = ctl_dispatch(&ctl, argc - 1, argv + 1);
	flyte_client_free(ctl.client);
	return rc;
}
