/* SPDX-License-Identifier: Apache-2.0 */
/*
 * driver_sqlite.c - the SQLite database of one conformance test: a new file
 * in a new temporary directory under the target directory.
 */
#include "fl-common.h"

#include <sqlite3.h>

#include "driver.h"
#include "fsutil.h"

static int sq_fresh(const char *target, char *db, size_t dblen, char *errbuf, size_t errlen)
{
	char dir[512];

	snprintf(dir, sizeof(dir), "%s/fl-store-XXXXXX", target);
	if (!mkdtemp(dir)) {
		snprintf(errbuf, errlen, "mkdtemp under '%s': %s", target, strerror(errno));
		return -1;
	}
	snprintf(db, dblen, "%s/t.db", dir);
	return 0;
}

/* The database's directory, with the database and its side files. */
static void sq_drop(const char *db)
{
	char dir[600];
	const char *slash = strrchr(db, '/');

	if (slash) {
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - db), db);
		flt_tmpdir_remove(dir);
	}
}

static int sq_set_schema_version(const char *db, int version, char *errbuf, size_t errlen)
{
	sqlite3 *h = NULL;
	char sql[64];
	int rc = sqlite3_open_v2(db, &h, SQLITE_OPEN_READWRITE, NULL);

	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", version);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(h, sql, NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		snprintf(errbuf, errlen, "%s", h ? sqlite3_errmsg(h) : sqlite3_errstr(rc));
	sqlite3_close(h);
	return rc == SQLITE_OK ? 0 : -1;
}

const struct conf_driver conf_driver_sqlite = {
	.name = "sqlite",
	.target_help = "a directory for the temporary database directories (default $TMPDIR or /tmp)",
	.default_target = flt_tmp_root,
	.fresh = sq_fresh,
	.drop = sq_drop,
	.set_schema_version = sq_set_schema_version,
};
