/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fsutil.h - files and temporary directories of the tests, one way for
 * every suite.
 *
 * Temporary directories live under $TMPDIR (or /tmp), are named
 * <prefix>-XXXXXX and are removed with all they hold, unless FLH_KEEP is
 * set (then they stay for a look).
 */
#ifndef FLT_FSUTIL_H
#define FLT_FSUTIL_H

#include <stddef.h>

/* $TMPDIR, or /tmp when it is unset or empty. */
const char *flt_tmp_root(void);

/* Make <root>/<prefix>-XXXXXX and write its path into buf; 0, or -1 with errno set. */
int flt_tmpdir_make(char *buf, size_t len, const char *prefix);

/*
 * Remove an absolute path and everything below it, without following
 * links; nothing when FLH_KEEP is set.  NULL and "" are fine.  Returns -1
 * when the path is still there afterwards, else 0.
 */
int flt_tmpdir_remove(const char *dir);

/*
 * The whole file from byte `offset` on, NUL-terminated (caller frees), its
 * length in *len when len is not NULL; NULL when it cannot be read.
 */
char *flt_read_file(const char *path, size_t offset, size_t *len);

#endif
