/* SPDX-License-Identifier: Apache-2.0 */
/*
 * driver_sqlite.c - the SQLite database of one conformance test: a new file
 * in a new temporary directory under the target directory.
 */
#include "fl-common.h"

#include <sqlite3.h>
#include <unistd.h>

#include "driver.h"

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

static void sq_drop(const char *db)
{
	static const char *const suffixes[] = { "", "-wal", "-shm", ".lock", "-journal" };
	char p[600];
	const char *slash = strrchr(db, '/');

	for (size_t i = 0; i < FL_ARRAY_LEN(suffixes); i++) {
		snprintf(p, sizeof(p), "%s%s", db, suffixes[i]);
		unlink(p);
	}
	if (slash) {
		snprintf(p, sizeof(p), "%.*s", (int)(slash - db), db);
		rmdir(p);
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

static const char *sq_default_target(void)
{
	const char *t = getenv("TMPDIR");
	return t && *t ? t : "/tmp";
}

const struct conf_driver conf_driver_sqlite = {
	.name = "sqlite",
	.target_help = "a directory for the temporary database directories (default $TMPDIR or /tmp)",
	.default_target = sq_default_target,
	.fresh = sq_fresh,
	.drop = sq_drop,
	.set_schema_version = sq_set_schema_version,
};
