/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store_sqlite.h - the SQLite store driver (registered as "sqlite").
 *
 * Only store_sqlite.c includes <sqlite3.h>; everything else reaches the
 * driver through this ops table and the wrappers of store.h.
 */
#ifndef FL_STORE_SQLITE_H
#define FL_STORE_SQLITE_H

#include "store/store.h"

extern const struct fl_store_ops fl_store_sqlite_ops;

#endif
