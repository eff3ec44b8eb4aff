/* SPDX-License-Identifier: Apache-2.0 */
/*
 * driver_pg.c - the PostgreSQL database of one conformance test: a new
 * database on the test server (tests/pgtemp: FLYTE_TEST_PG, or a cluster
 * started for this process).  The target, when given, is the connection
 * string of a server to use instead.
 */
#include "fl-common.h"

#include <libpq-fe.h>

#include "driver.h"
#include "pgtemp.h"

static int pg_fresh(const char *target, char *db, size_t dblen, char *errbuf, size_t errlen)
{
	if (target && *target && strcmp(target, "temp") != 0)
		setenv("FLYTE_TEST_PG", target, 1);
	return pgtemp_database(db, dblen, errbuf, errlen);
}

static void pg_drop(const char *db)
{
	pgtemp_drop(db);
}

static int pg_set_schema_version(const char *db, int version, char *errbuf, size_t errlen)
{
	PGconn *c = PQconnectdb(db);
	PGresult *r;
	char sql[96];
	int rc = 0;

	if (PQstatus(c) != CONNECTION_OK) {
		snprintf(errbuf, errlen, "%s", PQerrorMessage(c));
		PQfinish(c);
		return -1;
	}
	snprintf(sql, sizeof(sql), "UPDATE flyte_schema SET version = %d", version);
	r = PQexec(c, sql);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		snprintf(errbuf, errlen, "%s", PQresultErrorMessage(r));
		rc = -1;
	}
	PQclear(r);
	PQfinish(c);
	return rc;
}

static const char *pg_default_target(void)
{
	return "temp";
}

const struct conf_driver conf_driver_pg = {
	.name = "pg",
	.target_help = "a PostgreSQL connection string, or 'temp' (default): FLYTE_TEST_PG or a server started for the test",
	.default_target = pg_default_target,
	.fresh = pg_fresh,
	.drop = pg_drop,
	.set_schema_version = pg_set_schema_version,
};
