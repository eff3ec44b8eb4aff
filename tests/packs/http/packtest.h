/* SPDX-License-Identifier: Apache-2.0 */
/*
 * packtest.h - end-to-end scaffolding of the REST pack tests: the real flyte
 * server (tests/harness), the real pack binary as a child process, and
 * actions sent to it through flows.
 *
 * pt_run() makes one action happen the way a user's flow would: it creates
 * a flow whose only step reacts to event Go of the fake pack "Src" (with a
 * criteria matching a fresh number) and sends the command with the given
 * input to the pack; then it posts that event and waits in the audit API
 * until the action has a result, which it returns.
 *
 * Children are killed by an atexit handler when a test fails half-way; the
 * harness removes the server's directory.
 */
#ifndef PACKTEST_H
#define PACKTEST_H

#include "fl-common.h"

#include <sys/types.h>

#include <jansson.h>

#include "harness.h"

struct pt_env {
	struct flh_server *srv;
	struct flh_pack src; /* the fake pack whose event Go triggers the flows */
	char dir[64];        /* temporary directory for logs */
};

/* Start the server and register Src.  Returns 0, or -1 after TAP diagnostics. */
int pt_setup(struct pt_env *e, const char *name);
void pt_teardown(struct pt_env *e);

/*
 * Start bin with the test's environment minus FLYTE_* and the pack
 * variables listed in clear (NULL-terminated prefixes, e.g. {"JIRA_", NULL}),
 * plus FLYTE_API=<server>, FLYTE_LOG_LEVEL=debug and env (NULL-terminated
 * "K=V").  Output goes to <dir>/<log>.  Then wait until the server knows
 * pack id (e.g. "Jira" or "Jira.env.x").  Returns the pid, or -1.
 */
pid_t pt_start_pack(struct pt_env *e, const char *bin, const char *const *clear, const char *const *env,
		    const char *log, const char *id);
/* SIGTERM, wait up to 20 s; the exit code, or -1 when killed or not an exit. */
int pt_stop_pack(pid_t pid);
/* True while the child runs. */
bool pt_alive(pid_t pid);
/* Print the last lines of <dir>/<log> as TAP comments. */
void pt_log_tail(struct pt_env *e, const char *log, int lines);

struct pt_result {
	char event[64];  /* result event, "" if none within the deadline */
	json_t *payload; /* owned */
	json_t *input;   /* the action input as the server rendered it (owned) */
};

/*
 * Run command on pack (packLabels: JSON object text or NULL) with input
 * (JSON text), wait up to timeout_ms (0 = 30000).  Returns 0 when a result
 * arrived, -1 otherwise (diagnostics printed).  Release r with
 * pt_result_release().
 */
int pt_run(struct pt_env *e, const char *pack, const char *labels, const char *command, const char *input,
	   int timeout_ms, struct pt_result *r);
void pt_result_release(struct pt_result *r);

/* Payload member as a string (NULL when absent or not a string). */
const char *pt_str(const struct pt_result *r, const char *path);

#endif
