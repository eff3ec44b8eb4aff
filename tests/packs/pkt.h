/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pkt.h - what the protocol-pack tests share: a temporary directory,
 * free ports, child processes (the external servers and the pack
 * binaries) that never outlive the test, and the flyte side of a test:
 * start a pack against a harness server, run one action through a flow
 * and read its result from the audit, wait for an execution triggered by
 * a pack's own event.
 *
 * Every child is started with PR_SET_PDEATHSIG and registered; an atexit
 * handler kills the remaining ones and removes the directory (kept when
 * FLH_KEEP is set).  Child output goes to <dir>/<logname>; pkt_log_tail
 * prints it as TAP diagnostics when a case fails.
 */
#ifndef PKT_H
#define PKT_H

#include "fl-common.h"

#include <sys/types.h>

#include <jansson.h>

#include "harness.h"

/* The test's temporary directory (created on first use). */
const char *pkt_dir(void);
/* printf into a path below pkt_dir(); returns one of 8 rotating static buffers. */
const char *pkt_path(const char *fmt, ...) FL_PRINTF(1, 2);

/* A port free on 127.0.0.1 for TCP (and UDP too when udp is true). */
int pkt_free_port(bool udp);
/* True once a TCP connection to 127.0.0.1:port succeeds (polls until timeout_ms). */
bool pkt_wait_port(int port, int timeout_ms);

/*
 * Start argv[0] (a path) with the test's environment minus FLYTE_* plus
 * env ("K=V", NULL-terminated, may be NULL), stdin /dev/null, stdout and
 * stderr appended to <dir>/<logname>.  Returns the pid or -1.
 */
pid_t pkt_spawn(const char *const *argv, const char *const *env, const char *logname);
/* SIGTERM, wait up to timeout_ms, then SIGKILL.  Exit code, or -1 if killed or signalled. */
int pkt_stop(pid_t pid, int timeout_ms);
/* SIGKILL and reap. */
void pkt_kill(pid_t pid);
/* SIGKILL every child still running (but `keep`). */
void pkt_kill_all(void);
void pkt_kill_others(pid_t keep);
/* True while the child has not exited (reaps it if it has). */
bool pkt_alive(pid_t pid);
/* Run argv to completion (env as pkt_spawn); output in *out (caller frees). Exit code or -1. */
int pkt_run(const char *const *argv, const char *const *env, int timeout_ms, char **out);

/* Whole file as a NUL-terminated string (caller frees), or NULL. */
char *pkt_read_file(const char *path);
int pkt_write_file(const char *path, const char *text);
/* Print the last lines of <dir>/<logname> as "# | " lines. */
void pkt_log_tail(const char *logname, int lines);

/*
 * Start a pack binary against srv (FLYTE_API set, plus env) and wait until
 * the server lists a pack named `name`.  Returns the pid, or -1 after
 * printing the pack's log.
 */
pid_t pkt_pack_start(struct flh_server *srv, const char *bin, const char *name, const char *const *env,
		     const char *logname);

/*
 * Run one action through a flow: create a flow whose single step "s" is
 * triggered by an event of the test's source pack and runs command
 * `command` of pack `pack` with input `input_json`, send that event, and
 * wait until the action is SUCCESS or FATAL.  Returns the action of the
 * audit record (new reference: input, state, result.event,
 * result.payload...), or NULL on timeout.
 */
json_t *pkt_action(struct flh_server *srv, const char *pack, const char *command, const char *input_json,
		   int timeout_ms);

/* The two halves of pkt_action, to run several actions at once: start
 * returns the flow name (static storage, 64 slots) or NULL. */
const char *pkt_action_start(struct flh_server *srv, const char *pack, const char *command,
			     const char *input_json);
json_t *pkt_action_wait(struct flh_server *srv, const char *flow, int timeout_ms);

/* Create a flow from JSON text; returns the HTTP status. */
long pkt_flow(struct flh_server *srv, const char *flow_json);

/*
 * Wait until an execution of flow `flow` has a step-`step` action whose
 * trigger payload has string `key` equal to `value` (any, when key is NULL); returns that action
 * (new reference) or NULL on timeout.
 */
json_t *pkt_wait_trigger(struct flh_server *srv, const char *flow, const char *step, const char *key,
			 const char *value, int timeout_ms);

/* Number of executions of flow `flow` in the audit. */
size_t pkt_count_executions(struct flh_server *srv, const char *flow);

#endif
