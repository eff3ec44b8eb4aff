/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pgtemp.h - a throw-away PostgreSQL server for the tests.
 *
 * pgtemp_server() gives the connection string of a PostgreSQL server the
 * tests may create databases on:
 *  - FLYTE_TEST_PG, when set (a server started for the whole test run, e.g.
 *    by ./dev test, or one the developer points at);
 *  - otherwise a cluster of its own, made on first use with Debian's
 *    `postgresql` binaries (initdb in a temporary directory, listening only
 *    on a Unix socket in that directory), run as the `postgres` user when
 *    the tests run as root (PostgreSQL refuses root), and stopped and removed
 *    when the process exits.
 * pgtemp_database() creates a fresh, empty database there and returns its
 * connection string; pgtemp_drop() removes it.
 *
 * Nothing is skipped: when no server can be had, these return -1 with a
 * message saying why (missing binaries, initdb failing, ...).
 */
#ifndef PGTEMP_H
#define PGTEMP_H

#include <stddef.h>

/* The server's connection string (no database).  0, or -1 with err. */
int pgtemp_server(const char **conninfo, char *err, size_t errlen);

/* Create a fresh database; its connection string goes to out.  0 or -1. */
int pgtemp_database(char *out, size_t outlen, char *err, size_t errlen);

/* Drop a database made by pgtemp_database (its connections closed first). */
void pgtemp_drop(const char *conninfo);

/*
 * Start a cluster of this process's own in dir_out (for `./dev test`, which
 * exports its string as FLYTE_TEST_PG), and leave it running.  0 or -1.
 */
int pgtemp_start_detached(char *conninfo_out, size_t outlen, char *dir_out, size_t dirlen, char *err,
			  size_t errlen);
/* Stop a cluster started with pgtemp_start_detached and remove its directory. */
int pgtemp_stop_dir(const char *dir);

/*
 * Stop a cluster started with pgtemp_start_detached (pg_ctl stop, fast mode:
 * clients are disconnected) and keep its data; pgtemp_cluster_start starts it
 * again on the same socket.  For tests of a database lost while servers run.
 * 0, or -1 with err.
 */
int pgtemp_cluster_stop(const char *dir, char *err, size_t errlen);
int pgtemp_cluster_start(const char *dir, char *err, size_t errlen);

#endif
