/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fsutil.c - files and temporary directories of the tests (see fsutil.h).
 */
#include "fl-common.h"

#include <ftw.h>
#include <stdlib.h>
#include <unistd.h>

#include "buf.h"
#include "fsutil.h"

const char *flt_tmp_root(void)
{
	const char *t = getenv("TMPDIR");

	return t && *t ? t : "/tmp";
}

int flt_tmpdir_make(char *buf, size_t len, const char *prefix)
{
	int n = snprintf(buf, len, "%s/%s-XXXXXX", flt_tmp_root(), prefix);

	if (n < 0 || (size_t)n >= len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return mkdtemp(buf) ? 0 : -1;
}

static int remove_cb(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

int flt_tmpdir_remove(const char *dir)
{
	if (!dir || dir[0] != '/' || getenv("FLH_KEEP"))
		return 0;
	nftw(dir, remove_cb, 16, FTW_DEPTH | FTW_PHYS);
	return access(dir, F_OK) == 0 ? -1 : 0;
}

char *flt_read_file(const char *path, size_t offset, size_t *len)
{
	struct fl_buf b = FL_BUF_INIT((size_t)256 << 20);
	char chunk[65536];
	FILE *f = fopen(path, "rb");
	size_t n;

	if (!f)
		return NULL;
	if (offset && fseek(f, (long)offset, SEEK_SET) != 0) {
		fclose(f);
		return NULL;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		fl_buf_add(&b, chunk, n);
	fclose(f);
	if (fl_buf_failed(&b)) {
		fl_buf_release(&b);
		return NULL;
	}
	return fl_buf_detach(&b, len);
}
