/* SPDX-License-Identifier: Apache-2.0 */
/*
 * packutil.h - the start-up chores every bundled pack shares: command-line
 * help, client, labels and pack from the environment, signal handling.
 */
#ifndef PACKUTIL_H
#define PACKUTIL_H

#include <flyte.h>

/*
 * A row of a command table: the command `name` whose handler answers with
 * the event `ok` or `fail`, the shape of every command of the original packs.
 */
#define PACKUTIL_COMMAND(name, handler, ok, fail) \
	{ (name), (const char *const[]){ (ok), (fail) }, 2, (handler), NULL, NULL }

/*
 * Handle --help / --version.  Returns -1 when the pack should go on,
 * otherwise the exit code (0 after printing help or version, 2 on an
 * unknown argument).
 */
int packutil_args(int argc, char **argv, const char *prog, const char *help);

/* Print "<prog>: <msg>" on stderr and return 1, the exit code of a pack that cannot start. */
int packutil_fail(const char *prog, const char *msg);

/*
 * Build the client from FLYTE_API / FLYTE_API_URL and friends (logging to
 * stderr at FLYTE_LOG_LEVEL, default info) and the labels from FLYTE_LABELS.
 * Prints the reason and returns -1 on failure.
 */
int packutil_client(struct flyte_client **client, struct flyte_labels **labels, const char *prog);

/* The log threshold from FLYTE_LOG_LEVEL (debug, info, warn, error, none; default info). */
enum flyte_log_level packutil_log_level(void);

/* Pack options with the concurrency from FLYTE_PACK_CONCURRENCY (default 8). */
int packutil_options(struct flyte_pack_options *po, const char *prog);

/* What a pack's main() holds while the pack runs (packutil_open). */
struct packutil_session {
	struct flyte_client *client;
	struct flyte_labels *labels;
	struct flyte_pack_options po;
	struct flyte_command_def *commands; /* def's, each with the payload */
	struct flyte_pack *pack;
};

enum packutil_open_flags {
	PACKUTIL_START = (1 << 0), /* also flyte_pack_start() it */
};

/*
 * Client and labels from the environment (packutil_client), the pack
 * options (packutil_options), then the pack of def, whose labels are those
 * of FLYTE_LABELS and whose commands are each given `payload`.  Prints the
 * reason and returns -1 on failure.  Close s with packutil_close() either
 * way.
 */
int packutil_open(struct packutil_session *s, const char *prog, const struct flyte_pack_def *def, void *payload,
		  unsigned flags);

/* Free the pack, the labels, the client.  A zeroed session is accepted. */
void packutil_close(struct packutil_session *s);

/*
 * Stop the pack on SIGINT/SIGTERM, ignore SIGPIPE, run until stopped.
 * Returns the process exit code.
 */
int packutil_run(struct flyte_pack *pack, const char *prog);

/*
 * The rest of main() for a pack whose commands share one payload:
 * packutil_open() with the pack `name` and commands[0..n), run until
 * stopped, close.  When `warning` is not NULL it is printed first (e.g. a
 * missing variable).  Returns the process exit code.
 */
int packutil_serve(const char *prog, const char *name, const struct flyte_command_def *commands, size_t n,
		   void *payload, const char *warning);

/*
 * Log a formatted message through fn (NULL: nothing) when level is at
 * least threshold: the logging of a pack's own modules, which take fn,
 * payload and threshold in their options.
 */
void packutil_logf(flyte_log_fn fn, void *payload, enum flyte_log_level threshold, enum flyte_log_level level,
		   const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/*
 * For packs whose main thread has its own loop: ignore SIGPIPE and make
 * SIGINT/SIGTERM write to a pipe.  Returns the read end (to poll), or -1.
 */
int packutil_signal_fd(void);

#endif
