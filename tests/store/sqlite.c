/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sqlite.c - what only the SQLite driver does, beyond the store contract
 * that tests/store/conformance.c checks for every driver: the flock on
 * "<db>.lock", WAL checkpoints moved to maintain(), and the check that the
 * database file is still the one at its path.
 */
#include "fl-common.h"

#include <sys/stat.h>
#include <unistd.h>

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

FLT_MAIN(lock_file_refuses_a_second_writer, read_only_open_needs_the_file, maintain_checkpoints_a_grown_wal,
	 a_deleted_database_file_refuses_commits)
