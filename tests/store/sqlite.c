/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sqlite.c - what only the SQLite driver does, beyond the store contract
 * that tests/store/conformance.c checks for every driver: the flock on
 * "<db>.lock", WAL checkpoints moved to maintain(), and the check that the
 * database file is still the one at its path; the writer's WAL frames,
 * buffered until a commit (src/store/sqlite/walbuf.c), are seen by readers
 * after every commit and survive a kill -9 of the writer.
 */
#include "fl-common.h"

#include <signal.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "alloc.h"
#include "driver.h"
#include "error.h"
#include "fltest.h"
#include "store/store.h"

static void fresh(void)
{
	conf_db_fresh(&conf_driver_sqlite, conf_driver_sqlite.default_target());
}

static struct fl_store *open_rw(void)
{
	return conf_db_open(0);
}

static bool exists(const char *path)
{
	struct stat s;
	return stat(path, &s) == 0;
}

static long file_size(const char *path)
{
	struct stat s;
	return stat(path, &s) == 0 ? (long)s.st_size : -1;
}

FLT_TEST(lock_file_refuses_a_second_writer)
{
	struct fl_error err = FL_ERROR_INIT;
	struct fl_store *st, *st2 = NULL, *ro = NULL;
	char want[700], lock[700];

	fresh();
	snprintf(lock, sizeof(lock), "%s.lock", conf_db);
	st = open_rw();
	FLT_ASSERT(exists(lock));
	FLT_EQ_INT(fl_store_open(&st2, NULL, conf_db, 0, &err), FL_ECONFLICT); /* NULL = the default driver */
	FLT_ASSERT(st2 == NULL);
	snprintf(want, sizeof(want), "database '%s' is in use by another flyte process", conf_db);
	FLT_EQ_STR(err.msg, want);
	/* read-only connections do not take the lock */
	OK(fl_store_open(&ro, NULL, conf_db, FL_STORE_READONLY, &err));
	OK(fl_store_ping(ro, &err));
	fl_store_close(ro);
	fl_store_close(st);
	/* released on close (the file stays) */
	FLT_ASSERT(exists(lock));
	OK(fl_store_open(&st2, NULL, conf_db, 0, &err));
	fl_store_close(st2);
}

FLT_TEST(read_only_open_needs_the_file)
{
	struct fl_error err = FL_ERROR_INIT;
	struct fl_store *ro = (struct fl_store *)1;

	fresh();
	FLT_EQ_INT(fl_store_open(&ro, "sqlite", conf_db, FL_STORE_READONLY, &err), FL_EIO);
	FLT_ASSERT(ro == NULL);
	FLT_ASSERT(!exists(conf_db)); /* never created */
}

FLT_TEST(maintain_checkpoints_a_grown_wal)
{
	struct fl_error err = FL_ERROR_INIT;
	struct fl_store *st;
	struct fl_store_ds_item it = { 0 };
	static char value[4096];
	char key[32];
	long before;

	fresh();
	st = open_rw();
	OK(fl_store_maintain(st, &err)); /* nothing to do */
	memset(value, 'v', sizeof(value));
	it.value = value;
	it.value_len = sizeof(value);
	OK(fl_store_begin(st, &err));
	for (int i = 0; i < 1200; i++) {
		snprintf(key, sizeof(key), "k%04d", i);
		it.key = key;
		OK(fl_store_ds_put(st, NULL, &it, &err));
	}
	/* not inside a transaction */
	OK(fl_store_maintain(st, &err));
	FLT_ASSERT(file_size(conf_db) < 1200L * 4096);
	OK(fl_store_commit(st, &err));
	/* commits never checkpoint by themselves: the pages are still only in the WAL */
	before = file_size(conf_db);
	FLT_ASSERT(before < 1200L * 4096);
	OK(fl_store_maintain(st, &err));
	FLT_ASSERT(file_size(conf_db) >= 1200L * 4096);
	fl_store_close(st);
}

FLT_TEST(a_deleted_database_file_refuses_commits)
{
	struct fl_error err = FL_ERROR_INIT;
	struct fl_store *st;
	struct fl_store_ds_item it = { 0 };
	char want[700];

	fresh();
	st = open_rw();
	it.key = (char *)"k";
	it.value = (char *)"v";
	it.value_len = 1;
	OK(fl_store_ping(st, &err));
	FLT_EQ_INT(unlink(conf_db), 0);
	snprintf(want, sizeof(want), "database file '%s' was deleted or replaced; restart the server", conf_db);
	FLT_EQ_INT(fl_store_ping(st, &err), FL_EAGAIN);
	FLT_EQ_STR(err.msg, want);
	OK(fl_store_begin(st, &err));
	OK(fl_store_ds_put(st, NULL, &it, &err));
	FLT_EQ_INT(fl_store_commit(st, &err), FL_EAGAIN);
	FLT_EQ_STR(err.msg, want);
	OK(fl_store_rollback(st, &err));
	fl_store_close(st);
}

/* A value of n bytes that tells key i's from any other. */
static char *value_of(int i, size_t n)
{
	char *v = fl_xmalloc(n + 1);

	for (size_t j = 0; j < n; j++)
		v[j] = (char)('a' + (i * 7 + (int)(j % 4093)) % 26);
	v[n] = '\0';
	return v;
}

static void put(struct fl_store *st, int i, size_t n)
{
	struct fl_error err = FL_ERROR_INIT;
	struct fl_store_ds_item it = { 0 };
	char key[32];

	snprintf(key, sizeof(key), "k%05d", i);
	it.key = key;
	it.value = value_of(i, n);
	it.value_len = n;
	OK(fl_store_ds_put(st, NULL, &it, &err));
	free(it.value);
}

static void expect(struct fl_store *st, int i, size_t n)
{
	struct fl_error err = FL_ERROR_INIT;
	struct fl_store_ds_item got = { 0 };
	char key[32], *want = value_of(i, n);

	snprintf(key, sizeof(key), "k%05d", i);
	OK(fl_store_ds_get(st, &got, key, &err));
	FLT_EQ_MEM(got.value, got.value_len, want, n);
	fl_store_ds_item_release(&got);
	free(want);
}

/* Sizes from one page to past the WAL buffer (1 MiB), so a commit is written in one or several pieces. */
static size_t size_of(int i)
{
	static const size_t sizes[] = { 10, 3000, 70000, 300000, 1500000 };
	return sizes[i % 5];
}

FLT_TEST(readers_see_every_commit_of_the_buffered_wal)
{
	struct fl_error err = FL_ERROR_INIT;
	struct fl_store *st, *ro;
	int i;

	fresh();
	st = open_rw();
	ro = conf_db_open(FL_STORE_READONLY);
	for (i = 0; i < 40; i++) {
		OK(fl_store_begin(st, &err));
		put(st, i, size_of(i));
		OK(fl_store_commit(st, &err));
		expect(ro, i, size_of(i)); /* another connection, right after the commit */
	}
	/* a transaction larger than the page cache spills frames to the WAL, then rolls back */
	OK(fl_store_begin(st, &err));
	for (int j = 0; j < 8; j++)
		put(st, 1000 + j, 1500000);
	OK(fl_store_rollback(st, &err));
	OK(fl_store_begin(st, &err));
	put(st, i, 3000);
	OK(fl_store_commit(st, &err));
	expect(ro, i, 3000);
	{
		struct fl_store_ds_item got = { 0 };
		FLT_EQ_INT(fl_store_ds_get(ro, &got, "k01000", &err), FL_ENOTFOUND);
	}
	OK(fl_store_maintain(st, &err)); /* checkpoint: the database file gets the WAL's pages */
	fl_store_close(ro);
	fl_store_close(st);
	st = open_rw();
	for (int j = 0; j <= i; j++)
		expect(st, j, j == i ? 3000 : size_of(j));
	fl_store_close(st);
}

/*
 * A child commits in a loop and reports each commit on a pipe; killed with
 * SIGKILL at some point (perhaps mid-commit), every commit it reported is in
 * the database it leaves, which opens and takes new commits.
 */
FLT_TEST(a_killed_writer_keeps_every_commit_it_reported)
{
	struct fl_error err = FL_ERROR_INIT;
	struct fl_store *st;
	int fds[2], status, last = -1, n;
	pid_t pid;

	fresh();
	st = open_rw(); /* the schema */
	fl_store_close(st);
	FLT_EQ_INT(pipe(fds), 0);
	pid = fork();
	FLT_ASSERT(pid >= 0);
	if (pid == 0) {
		close(fds[0]);
		st = open_rw();
		for (int i = 0;; i++) {
			if (fl_store_begin(st, &err) || (put(st, i, size_of(i)), fl_store_commit(st, &err)))
				_exit(2);
			if (write(fds[1], &i, sizeof(i)) != (ssize_t)sizeof(i))
				_exit(3);
		}
	}
	close(fds[1]);
	for (int i; last < 60 && read(fds[0], &i, sizeof(i)) == (ssize_t)sizeof(i);)
		last = i;
	kill(pid, SIGKILL);
	for (int i; (n = (int)read(fds[0], &i, sizeof(i))) == (int)sizeof(i);)
		last = i;
	close(fds[0]);
	FLT_EQ_INT(waitpid(pid, &status, 0), pid);
	FLT_ASSERT(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	FLT_ASSERT(last >= 60);
	st = open_rw();
	for (int i = 0; i <= last; i++)
		expect(st, i, size_of(i));
	OK(fl_store_begin(st, &err));
	put(st, last + 1, 3000);
	OK(fl_store_commit(st, &err));
	expect(st, last + 1, 3000);
	fl_store_close(st);
}

/* Run SQL on the database file directly (not through the store). */
static void raw_sql(const char *sql)
{
	sqlite3 *h = NULL;
	int rc = sqlite3_open_v2(conf_db, &h, SQLITE_OPEN_READWRITE, NULL);

	if (rc == SQLITE_OK)
		rc = sqlite3_exec(h, sql, NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		FLT_FAIL("%s: %s", sql, h ? sqlite3_errmsg(h) : sqlite3_errstr(rc));
	sqlite3_close(h);
}

static bool has_index(const char *name)
{
	sqlite3 *h = NULL;
	sqlite3_stmt *q = NULL;
	bool found = false;

	if (sqlite3_open_v2(conf_db, &h, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(h, "SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?", -1, &q, NULL) ==
		    SQLITE_OK &&
	    sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC) == SQLITE_OK)
		found = sqlite3_step(q) == SQLITE_ROW;
	sqlite3_finalize(q);
	sqlite3_close(h);
	return found;
}

/*
 * An upgrade over several schema versions is one transaction: when a later
 * version fails, the earlier ones are undone too and the database keeps
 * the version it had.  Made here by a database at version 4 dressed as a
 * version 2 on which migration 3 succeeds (its old claim index is there)
 * and migration 4 fails (an index it drops is missing).
 */
FLT_TEST(a_failed_upgrade_leaves_the_schema_as_it_was)
{
	struct fl_error err = FL_ERROR_INIT;
	struct fl_store *st;
	int v = -1;

	fresh();
	st = open_rw(); /* opening migrates */
	OK(fl_store_schema_version(st, &v, &err));
	fl_store_close(st);
	FLT_EQ_INT(v, 4);
	raw_sql("DROP INDEX actions_new; CREATE INDEX actions_claim ON actions(pack_name);"
		"DROP INDEX actions_name; PRAGMA user_version = 2");
	st = NULL;
	FLT_ASSERT(fl_store_open(&st, "sqlite", conf_db, 0, &err) != FL_OK);
	FLT_ASSERT(st == NULL);
	if (!strstr(err.msg, "migrating to schema version 4"))
		FLT_FAIL("error: %s", err.msg);
	st = conf_db_open(FL_STORE_READONLY);
	OK(fl_store_schema_version(st, &v, &err));
	fl_store_close(st);
	FLT_EQ_INT(v, 2);
	/* migration 3 was undone with it */
	FLT_ASSERT(has_index("actions_claim"));
	FLT_ASSERT(!has_index("actions_new"));
}

FLT_MAIN(a_failed_upgrade_leaves_the_schema_as_it_was, lock_file_refuses_a_second_writer, read_only_open_needs_the_file, maintain_checkpoints_a_grown_wal,
	 a_deleted_database_file_refuses_commits, readers_see_every_commit_of_the_buffered_wal,
	 a_killed_writer_keeps_every_commit_it_reported)
