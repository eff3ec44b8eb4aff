/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fault-util.h - what the fault suite's programs share: the short (CI) or
 * long form of a run, figures, child processes, the database file read
 * directly with SQLite, and tmpfs mounts.
 *
 * The suite checks the server from the outside (tests/harness starts it),
 * and afterwards opens the database file itself (read-only, through the
 * SQLite library) to count what a client cannot see through the API:
 * duplicate actions, every action's state and attempts, and
 * `PRAGMA integrity_check`.
 *
 * Environment:
 *   FLYTE_FAULT_LONG     set (non-empty, not "0"): the long form (more kills,
 *                        longer load, the full event rate)
 *   FLYTE_FAULT_FIGURES  a file the figures lines are appended to as well
 */
#ifndef FAULT_UTIL_H
#define FAULT_UTIL_H

#include "fl-common.h"

#include <sqlite3.h>
#include <sys/types.h>

/* The long form was asked for (FLYTE_FAULT_LONG). */
bool fu_long(void);
/* Integer from the environment, or def when unset or malformed. */
long fu_env_long(const char *name, long def);

/* Wall-clock milliseconds (the server's audit times are wall clock too). */
int64_t fu_wall_ms(void);
/* Milliseconds of an RFC 3339 time, or -1. */
int64_t fu_time_ms(const char *rfc3339);

/*
 * Print one "# figures <name>: ..." line (and append it to
 * FLYTE_FAULT_FIGURES when set).
 */
void fu_figures(const char *name, const char *fmt, ...) FL_PRINTF(2, 3);

/* ------------------------------------------------------------ children */

/*
 * Start bin with argv (argv[0] included, NULL-terminated), the test's
 * environment minus FLYTE_* plus extra "K=V" entries, stdout and stderr
 * appended to log.  The child dies with the test (PR_SET_PDEATHSIG).
 * Returns the pid or -1.
 */
pid_t fu_spawn(const char *bin, char *const *argv, const char *const *extra_env, const char *log);
/* SIGKILL and reap; 0, or -1 if it had already gone. */
int fu_kill9(pid_t pid);
/* SIGTERM, wait up to timeout_ms, then SIGKILL; the exit code, or -1 if killed. */
int fu_stop(pid_t pid, int timeout_ms);

/* -------------------------------------------------------------- the file */

/* Open the database read-only (NULL and a TAP line when it cannot). */
sqlite3 *fu_db_open(const char *path);
void fu_db_close(sqlite3 *db);
/* First column of the first row of a query as an integer (-1 on error, printed). */
int64_t fu_db_int(sqlite3 *db, const char *sql);
/* "ok" from PRAGMA integrity_check (0), else the first problems are printed (-1). */
int fu_integrity(const char *path);

/* ------------------------------------------------------------- mounts */

/*
 * Mount a tmpfs of size_kib KiB on dir.  Returns 0, or -1 with a TAP line
 * saying why (the caller must fail: the test needs it).
 */
int fu_mount_tmpfs(const char *dir, long size_kib);
/* Remount dir read-only or read-write; 0 or -1 (errno kept). */
int fu_remount(const char *dir, bool read_only);
/* Unmount (lazily); NULL-tolerant; never fails loudly. */
void fu_umount(const char *dir);
/* Bytes free on the file system of path, or -1. */
long long fu_free_bytes(const char *path);
/* Fill the file system of dir with file `name` until `leave` bytes are left; 0 or -1. */
int fu_fill(const char *dir, const char *name, long long leave);

#endif
