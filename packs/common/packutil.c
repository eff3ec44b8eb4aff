/* SPDX-License-Identifier: Apache-2.0 */
/*
 * packutil.c - shared start-up code of the bundled packs (see packutil.h).
 *
 * Uses only the public libflyte API.  Signals are turned into
 * flyte_pack_request_stop(), which is async-signal-safe; the thread blocked
 * in flyte_pack_run() then stops the pack gracefully.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unistd.h>

#include "packutil.h"

static struct flyte_pack *running_pack;
static int signal_pipe[2] = { -1, -1 };

static void on_signal_pipe(int sig)
{
	int saved = errno;
	ssize_t w = write(signal_pipe[1], "s", 1);
	(void)sig;
	(void)w;
	errno = saved;
}

int packutil_signal_fd(void)
{
	struct sigaction sa;

	if (pipe2(signal_pipe, O_CLOEXEC | O_NONBLOCK))
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sa.sa_handler = on_signal_pipe;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	return signal_pipe[0];
}

static void on_signal(int sig)
{
	(void)sig;
	if (running_pack)
		flyte_pack_request_stop(running_pack);
}

int packutil_args(int argc, char **argv, const char *prog, const char *help)
{
	if (argc < 2)
		return -1;
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fputs(help, stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("%s %s\n", prog, flyte_version());
		return 0;
	}
	fprintf(stderr, "%s: unknown argument '%s' (try --help)\n", prog, argv[1]);
	return 2;
}

enum flyte_log_level packutil_log_level(void)
{
	const char *v = getenv("FLYTE_LOG_LEVEL");

	if (!v)
		return FLYTE_LOG_INFO;
	if (!strcmp(v, "debug"))
		return FLYTE_LOG_DEBUG;
	if (!strcmp(v, "warn") || !strcmp(v, "warning"))
		return FLYTE_LOG_WARN;
	if (!strcmp(v, "error"))
		return FLYTE_LOG_ERROR;
	if (!strcmp(v, "none"))
		return FLYTE_LOG_NONE;
	return FLYTE_LOG_INFO;
}

int packutil_client(struct flyte_client **client, struct flyte_labels **labels, const char *prog)
{
	struct flyte_client_options o;

	*client = NULL;
	*labels = NULL;
	if (flyte_client_options_from_env(&o)) {
		fprintf(stderr, "%s: %s\n", prog, flyte_last_error());
		return -1;
	}
	o.log_fn = flyte_log_stderr;
	o.log_level = packutil_log_level();
	if (flyte_client_new(client, &o)) {
		fprintf(stderr, "%s: %s\n", prog, flyte_last_error());
		return -1;
	}
	if (flyte_labels_from_env(labels)) {
		fprintf(stderr, "%s: %s\n", prog, flyte_last_error());
		flyte_client_free(*client);
		*client = NULL;
		return -1;
	}
	return 0;
}

int packutil_options(struct flyte_pack_options *po, const char *prog)
{
	const char *v = getenv("FLYTE_PACK_CONCURRENCY");

	flyte_pack_options_init(po);
	if (v && *v) {
		char *end;
		long n = strtol(v, &end, 10);
		if (*end || n < 1 || n > 4096) {
			fprintf(stderr, "%s: invalid FLYTE_PACK_CONCURRENCY '%s': expected 1..4096\n", prog, v);
			return -1;
		}
		po->concurrency = (unsigned)n;
	}
	return 0;
}

int packutil_run(struct flyte_pack *pack, const char *prog)
{
	struct sigaction sa;
	int rc;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	running_pack = pack;
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	rc = flyte_pack_run(pack);
	running_pack = NULL;
	if (rc) {
		fprintf(stderr, "%s: %s\n", prog, flyte_pack_last_error(pack));
		return 1;
	}
	return 0;
}

int packutil_serve(const char *prog, const char *name, const struct flyte_command_def *commands, size_t n,
		   void *payload, const char *warning)
{
	struct flyte_client *client = NULL;
	struct flyte_labels *labels = NULL;
	struct flyte_pack *pack = NULL;
	struct flyte_pack_options po;
	struct flyte_command_def *cmds = calloc(n ? n : 1, sizeof(*cmds));
	struct flyte_pack_def def;
	int rc = 1;

	if (!cmds) {
		fprintf(stderr, "%s: out of memory\n", prog);
		return 1;
	}
	if (warning)
		fprintf(stderr, "%s: warning: %s; every command will fail until it is set\n", prog, warning);
	if (packutil_client(&client, &labels, prog) || packutil_options(&po, prog))
		goto out;
	for (size_t i = 0; i < n; i++) {
		cmds[i] = commands[i];
		cmds[i].payload = payload;
	}
	memset(&def, 0, sizeof(def));
	def.name = name;
	def.labels = labels;
	def.commands = cmds;
	def.n_commands = n;
	if (flyte_pack_new(&pack, client, &def, &po)) {
		fprintf(stderr, "%s: %s\n", prog, flyte_last_error());
		goto out;
	}
	rc = packutil_run(pack, prog);
out:
	flyte_pack_free(pack);
	flyte_labels_free(labels);
	flyte_client_free(client);
	free(cmds);
	return rc;
}
