/* SPDX-License-Identifier: Apache-2.0 */
/*
 * packutil.h - the start-up chores every bundled pack shares: command-line
 * help, client and labels from the environment, signal handling.
 */
#ifndef PACKUTIL_H
#define PACKUTIL_H

#include <flyte.h>

/*
 * Handle --help / --version.  Returns -1 when the pack should go on,
 * otherwise the exit code (0 after printing help or version, 2 on an
 * unknown argument).
 */
int packutil_args(int argc, char **argv, const char *prog, const char *help);

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

/*
 * Stop the pack on SIGINT/SIGTERM, ignore SIGPIPE, run until stopped.
 * Returns the process exit code.
 */
int packutil_run(struct flyte_pack *pack, const char *prog);

/*
 * The rest of main() for a pack whose commands share one payload (the REST
 * packs): client and labels from the environment, FLYTE_PACK_CONCURRENCY,
 * the pack `name` with commands[0..n) each given `payload`, run until
 * stopped.  When `warning` is not NULL it is printed first (e.g. a missing
 * variable).  Returns the process exit code.
 */
int packutil_serve(const char *prog, const char *name, const struct flyte_command_def *commands, size_t n,
		   void *payload, const char *warning);

/*
 * For packs whose main thread has its own loop: ignore SIGPIPE and make
 * SIGINT/SIGTERM write to a pipe.  Returns the read end (to poll), or -1.
 */
int packutil_signal_fd(void);

#endif
