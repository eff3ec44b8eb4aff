/* SPDX-License-Identifier: Apache-2.0 */
/*
 * driver.h - what the store conformance suite needs to know about a driver
 * beyond the vtable: how to make a fresh, empty database for one test.
 *
 * A new driver adds one `struct conf_driver` (a driver_<name>.c file), lists
 * it in conf_drivers[] (conformance.c) and gets one more test() line in
 * meson.build with its name and target.
 */
#ifndef CONF_DRIVER_H
#define CONF_DRIVER_H

#include <stddef.h>

struct conf_driver {
	const char *name;        /* the store driver's name, as fl_store_open takes it */
	const char *target_help; /* what the target argument is */
	/* The target when none is given; NULL = the suite is skipped without one. */
	const char *(*default_target)(void);
	/*
	 * Make a fresh, empty database under target (no schema yet); write what
	 * fl_store_open takes into db.  0 or -1 with a message in errbuf.
	 */
	int (*fresh)(const char *target, char *db, size_t dblen, char *errbuf, size_t errlen);
	/* Remove what fresh made (the database is closed). */
	void (*drop)(const char *db);
	/* Set the schema version recorded in db, bypassing the driver (a "newer" database). */
	int (*set_schema_version)(const char *db, int version, char *errbuf, size_t errlen);
};

extern const struct conf_driver conf_driver_sqlite;
extern const struct conf_driver conf_driver_pg;

/* ---- the database of the running test (driver.c, for fltest suites) ---- */

struct fl_store;

/* What fl_store_open takes for the running test's database ("" = none). */
extern char conf_db[600];

/*
 * Drop the previous test's database (a failed test leaves by longjmp) and
 * make a fresh one with drv under target; the test fails when it cannot.
 * The last one is dropped at exit.
 */
void conf_db_fresh(const struct conf_driver *drv, const char *target);
/* Drop the running test's database now. */
void conf_db_drop(void);
/* Open conf_db with its driver (flags: 0 or FL_STORE_READONLY); the test fails when it cannot. */
struct fl_store *conf_db_open(unsigned flags);

/* The call must return FL_OK (expects a `struct fl_error err` in scope). */
#define OK(call)                                                              \
	do {                                                                  \
		int rc_ = (call);                                             \
		if (rc_ != FL_OK)                                             \
			FLT_FAIL("%s failed: %d %s", #call, rc_, err.msg);    \
	} while (0)

#endif
