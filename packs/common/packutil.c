/* SPDX-License-Identifier: Apache-2.0 */
/*
 * packutil.c - shared start-up code of the bundled packs (see packutil.h).
 *
 * Uses only the public libflyte API.  Signals are turned into
 * flyte_pack_request_stop(), which is async-signal-safe; the thread blocked
 * in flyte_pack_run() then stops the pack gracefully.
 */
#include "fl-common.h"

#include <fcntl.h>
#include <signal.h>

#include <unistd.h>

#include "packenv.h"
#include "packutil.h"

/* The failures below print with packutil_fail(); -packutil_fail() is the -1 of a function that failed. */

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

static void on_signal(int sig)
{
	(void)sig;
	if (running_pack)
		flyte_pack_request_stop(running_pack);
}

/* Ignore SIGPIPE; SIGINT and SIGTERM go to handler. */
static void catch_signals(void (*handler)(int))
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sa.sa_handler = handler;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

int packutil_signal_fd(void)
{
	if (pipe2(signal_pipe, O_CLOEXEC | O_NONBLOCK))
		return -1;
	catch_signals(on_signal_pipe);
	return signal_pipe[0];
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

int packutil_fail(const char *prog, const char *msg)
{
	fprintf(stderr, "%s: %s\n", prog, msg);
	return 1;
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
	if (flyte_client_options_from_env(&o))
		return -packutil_fail(prog, flyte_last_error());
	o.log_fn = flyte_log_stderr;
	o.log_level = packutil_log_level();
	if (flyte_client_new(client, &o))
		return -packutil_fail(prog, flyte_last_error());
	if (flyte_labels_from_env(labels)) {
		packutil_fail(prog, flyte_last_error());
		flyte_client_free(*client);
		*client = NULL;
		return -1;
	}
	return 0;
}

int packutil_options(struct flyte_pack_options *po, const char *prog)
{
	long n = 0;
	char err[256];

	flyte_pack_options_init(po);
	if (packenv_long("FLYTE_PACK_CONCURRENCY", 1, 4096, &n, err, sizeof(err)))
		return -packutil_fail(prog, err);
	if (n)
		po->concurrency = (unsigned)n;
	return 0;
}

int packutil_open(struct packutil_session *s, const char *prog, const struct flyte_pack_def *def, void *payload,
		  unsigned flags)
{
	struct flyte_pack_def d = *def;

	memset(s, 0, sizeof(*s));
	if (packutil_client(&s->client, &s->labels, prog) || packutil_options(&s->po, prog))
		return -1;
	if (def->n_commands) {
		s->commands = calloc(def->n_commands, sizeof(*s->commands));
		if (!s->commands)
			return -packutil_fail(prog, "out of memory");
		for (size_t i = 0; i < def->n_commands; i++) {
			s->commands[i] = def->commands[i];
			s->commands[i].payload = payload;
		}
	}
	d.labels = s->labels;
	d.commands = s->commands;
	if (flyte_pack_new(&s->pack, s->client, &d, &s->po) || ((flags & PACKUTIL_START) && flyte_pack_start(s->pack)))
		return -packutil_fail(prog, flyte_last_error());
	return 0;
}

void packutil_close(struct packutil_session *s)
{
	flyte_pack_free(s->pack);
	flyte_labels_free(s->labels);
	flyte_client_free(s->client);
	free(s->commands);
	memset(s, 0, sizeof(*s));
}

int packutil_run(struct flyte_pack *pack, const char *prog)
{
	int rc;

	running_pack = pack;
	catch_signals(on_signal);
	rc = flyte_pack_run(pack);
	running_pack = NULL;
	return rc ? packutil_fail(prog, flyte_pack_last_error(pack)) : 0;
}

void packutil_logf(flyte_log_fn fn, void *payload, enum flyte_log_level threshold, enum flyte_log_level level,
		   const char *fmt, ...)
{
	char msg[2048];
	va_list ap;

	if (!fn || level < threshold || level >= FLYTE_LOG_NONE)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fn(level, msg, payload);
}

int packutil_serve(const char *prog, const char *name, const struct flyte_command_def *commands, size_t n,
		   void *payload, const char *warning)
{
	struct flyte_pack_def def = { .name = name, .commands = commands, .n_commands = n };
	struct packutil_session s;
	int rc = 1;

	if (warning)
		fprintf(stderr, "%s: warning: %s; every command will fail until it is set\n", prog, warning);
	if (!packutil_open(&s, prog, &def, payload, 0))
		rc = packutil_run(s.pack, prog);
	packutil_close(&s);
	return rc;
}
