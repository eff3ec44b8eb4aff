/* SPDX-License-Identifier: Apache-2.0 */
/*
 * driver.c - the database of the running store test, made and dropped by
 * a driver's hooks (see driver.h).
 */
#include "fl-common.h"

#include "driver.h"
#include "error.h"
#include "fltest.h"
#include "store/store.h"

char conf_db[600];

static const struct conf_driver *db_driver; /* NULL while there is no database */

void conf_db_drop(void)
{
	if (db_driver)
		db_driver->drop(conf_db);
	db_driver = NULL;
	conf_db[0] = '\0';
}

void conf_db_fresh(const struct conf_driver *drv, const char *target)
{
	static bool at_exit_set;
	char msg[256] = "";

	conf_db_drop();
	if (!at_exit_set) {
		atexit(conf_db_drop);
		at_exit_set = true;
	}
	if (drv->fresh(target, conf_db, sizeof(conf_db), msg, sizeof(msg)) != 0)
		FLT_FAIL("cannot make a fresh %s database under '%s': %s", drv->name, target, msg);
	db_driver = drv;
}

struct fl_store *conf_db_open(unsigned flags)
{
	struct fl_store *st = NULL;
	struct fl_error err = FL_ERROR_INIT;

	if (!db_driver)
		FLT_FAIL("no database to open");
	if (fl_store_open(&st, db_driver->name, conf_db, flags, &err) != FL_OK)
		FLT_FAIL("open %s: %s", flags & FL_STORE_READONLY ? "read-only" : "read-write", err.msg);
	return st;
}
