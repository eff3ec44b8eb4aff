/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store_pg.h - the PostgreSQL store driver (registered as "pg").
 *
 * Only store_pg.c includes <libpq-fe.h>; everything else reaches the driver
 * through this ops table and the wrappers of store.h.  The `path` given to
 * open() is a libpq connection string or URI (postgres://user@host/db?...);
 * the usual PG* environment variables fill in what it leaves out.
 */
#ifndef FL_STORE_PG_H
#define FL_STORE_PG_H

#include "store/store.h"

extern const struct fl_store_ops fl_store_pg_ops;

/*
 * The connection string with any password replaced by "***", for messages
 * (caller frees).
 */
char *fl_store_pg_redact(const char *url);

#endif
