/* SPDX-License-Identifier: Apache-2.0 */
/*
 * walbuf.h - the SQLite VFS of the read-write connection: the default VFS,
 * with the WAL frames of a commit written in one system call (walbuf.c).
 */
#ifndef FL_WALBUF_H
#define FL_WALBUF_H

#include "fl-common.h"

#define FL_WALBUF_VFS "flyte-walbuf"

/* Register the VFS once; its name for sqlite3_open_v2(), NULL when it cannot be registered. */
const char *fl_walbuf_vfs(void);

#endif
