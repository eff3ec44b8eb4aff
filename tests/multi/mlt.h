/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mlt.h - several flyte servers on one PostgreSQL database, behind a real
 * haproxy, for the multi-instance tests (suite multi).
 *
 * The balancer runs the haproxy configuration printed in
 * docs/multi-instance.md (the fenced block after "<!-- haproxy.cfg -->"),
 * with only its addresses replaced: the frontend's `bind` line by a free
 * loopback port, and the address of the n-th `server` line by the n-th
 * test server.  Everything else (timeouts, health check, retries, balance)
 * is used as written, so the configuration the documentation shows is the
 * one the tests run; mlt_balancer_start also checks what the documentation
 * promises of it (health checks on /health, timeouts above the longest
 * long-poll take, no retry of a request already sent).
 *
 * Environment (set by tests/multi/meson.build):
 *   MLT_DOC      path of docs/multi-instance.md
 *   MLT_HAPROXY  haproxy executable (else "haproxy" on PATH, /usr/sbin)
 * plus what the harness reads (FLYTE_BIN, FLYTE_TEST_PG).
 *
 * Every balancer and private PostgreSQL cluster started here is stopped at
 * exit (also after a failed assertion); balancers are started with
 * PR_SET_PDEATHSIG so they never outlive the test.
 */
#ifndef MLT_H
#define MLT_H

#include "fl-common.h"

#include "harness.h"

#include <jansson.h>

/* The longest long-poll wait of a take (FLYTE_TAKE_WAIT_MS's maximum). */
#define MLT_TAKE_WAIT_MAX_MS 9000

/*
 * A fresh database on the test PostgreSQL server (pgtemp) for a group of
 * servers; its connection string goes to url.  0, or -1 after a TAP
 * diagnostic.  Dropped at exit.
 */
int mlt_database(char *url, size_t len);

/*
 * Start n servers on the database `url`, with FLYTE_TAKE_WAIT_MS=take_wait_ms
 * and the extra "NAME=value" entries (NULL-terminated, may be NULL).  0, or
 * -1 (the servers started so far are freed).
 */
int mlt_servers_start(struct flh_server **out, size_t n, const char *url, int take_wait_ms,
		      const char *const *extra_env);

/*
 * Run one SQL statement on the test PostgreSQL server's maintenance
 * database (as the superuser), e.g. to end other servers' connections.
 * 0, or -1 after a TAP diagnostic.
 */
int mlt_admin_sql(const char *statement);

/* The database name (dbname=...) of a connection string, into out. */
bool mlt_dbname(const char *url, char *out, size_t len);

struct mlt_balancer;

/* Start haproxy in front of the n servers; 0 once it answers /health. */
int mlt_balancer_start(struct mlt_balancer **out, struct flh_server *const *srv, size_t n);
/* "http://127.0.0.1:PORT" (borrowed). */
const char *mlt_balancer_url(const struct mlt_balancer *b);
/* The configuration file it runs (borrowed), for diagnostics. */
const char *mlt_balancer_config(const struct mlt_balancer *b);
/* Stop haproxy and remove its directory.  NULL ok. */
void mlt_balancer_free(struct mlt_balancer *b);

/*
 * The value, in milliseconds, of the `timeout <name>` line of the
 * documented configuration (e.g. "server"), or -1 when it has none.
 */
long mlt_doc_timeout_ms(const char *name);

/* The id of an action from its result link (.../actions/<id>/result?...), into out. */
bool mlt_action_id(const char *result_href, char *out, size_t len);

/* The statuses that say "this instance or the way to it failed": 0 (no answer), 502, 503, 504. */
bool mlt_status_transient(long status);

#endif
