/* SPDX-License-Identifier: Apache-2.0 */
/*
 * walbuf.c - a SQLite VFS that hands the frames of one commit to the kernel
 * in one write.
 *
 * SQLite appends a transaction to the WAL one frame at a time, and the unix
 * VFS turns every frame into two pwrite() calls (the 24-byte frame header,
 * then the page).  A commit of 30 pages is 60 system calls; at a few
 * thousand commits a second that was the largest part of the writer's
 * system time.  This VFS wraps the default one and, for WAL files only,
 * collects writes that continue each other in a buffer, handing them over
 * in one pwrite() before anything that could look at the file:
 *
 *  - xSync, xRead, xTruncate, xFileSize, xClose and xFetch of the WAL file
 *    flush first, so the fsync of a commit covers every frame (durability
 *    is unchanged: a frame was never on disk before that fsync anyway, and
 *    a process killed before it loses only the transaction that was not
 *    committed yet);
 *  - every shared-memory call (xShmMap, xShmLock, xShmBarrier, xShmUnmap)
 *    of a database file flushes the buffer of that connection's WAL first
 *    (the WAL file is found from the database's at open time, with
 *    sqlite3_database_file_object(), so it does not matter which thread runs
 *    the connection): SQLite publishes new frames to readers through the
 *    wal-index in shared memory, so no reader can learn of a frame still in
 *    the buffer;
 *  - a write that does not continue the buffer, or that would grow it past
 *    WALBUF_MAX, flushes it first; so does a file control of the WAL file.
 *
 * With synchronous=FULL (the store's only setting) SQLite syncs the WAL
 * before it appends a commit's frames to the wal-index, so every frame of a
 * commit is written, and a failed write reported, before any reader or
 * checkpointer can see it.  Frames of a transaction that spilled its cache
 * and then rolled back may stay in the buffer; they lie past the end of the
 * log, as they would on disk, and are written or overwritten later.
 * A process killed with buffered frames loses only a transaction that had
 * not been committed, which WAL recovery discards in any case.
 *
 * Only the read-write connection opens its database through this VFS; the
 * read-only connections use the default one.
 */
#include "fl-common.h"

#include <pthread.h>
#include <sqlite3.h>

#include "store/sqlite/walbuf.h"

#define WALBUF_MAX ((size_t)1 << 20) /* flushed at this size */
/*
 * Bytes per write when flushing: the unix VFS writes at most 0x1ffff bytes
 * per call (it masks the length), so a buffer goes out in pieces of 31
 * pages of 4 KiB.
 */
#define WALBUF_WRITE ((size_t)0x1f000)

struct wfile {
	sqlite3_file base; /* pMethods: &wfile_methods or &wfile_plain_methods */
	bool wal;
	char *buf;
	size_t len, cap;
	sqlite3_int64 off; /* file offset of buf[0] */
	struct wfile *peer; /* of a database: its open WAL; of a WAL: its database; or NULL */
	sqlite3_file *real; /* the default VFS's file, allocated right after this struct */
};

static sqlite3_vfs walbuf_vfs;
static sqlite3_vfs *real_vfs;
static sqlite3_io_methods wfile_methods;
static pthread_once_t walbuf_once = PTHREAD_ONCE_INIT;
static int walbuf_rc = SQLITE_ERROR;

static int flush(struct wfile *f)
{
	int rc = SQLITE_OK;

	for (size_t done = 0; done < f->len && rc == SQLITE_OK;) {
		size_t n = FL_MIN(f->len - done, WALBUF_WRITE);
		rc = f->real->pMethods->xWrite(f->real, f->buf + done, (int)n, f->off + (sqlite3_int64)done);
		done += n;
	}
	f->len = 0;
	return rc;
}

/* Before a shared-memory call on database file f: its WAL's frames go out. */
static int flush_wal_of(struct wfile *f)
{
	return !f->wal && f->peer && f->peer->len ? flush(f->peer) : SQLITE_OK;
}

static int w_close(sqlite3_file *pf)
{
	struct wfile *f = (struct wfile *)pf;
	int rc = flush(f), rc2 = f->real->pMethods ? f->real->pMethods->xClose(f->real) : SQLITE_OK;

	if (f->peer)
		f->peer->peer = NULL;
	f->peer = NULL;
	sqlite3_free(f->buf);
	f->buf = NULL;
	f->cap = 0;
	return rc != SQLITE_OK ? rc : rc2;
}

static int w_read(sqlite3_file *pf, void *out, int amt, sqlite3_int64 off)
{
	struct wfile *f = (struct wfile *)pf;
	int rc = flush(f);

	return rc != SQLITE_OK ? rc : f->real->pMethods->xRead(f->real, out, amt, off);
}

static int w_write(sqlite3_file *pf, const void *data, int amt, sqlite3_int64 off)
{
	struct wfile *f = (struct wfile *)pf;
	size_t n = (size_t)amt;
	int rc;

	if (!f->wal || amt <= 0)
		return f->real->pMethods->xWrite(f->real, data, amt, off);
	if (f->len && (off != f->off + (sqlite3_int64)f->len || f->len + n > WALBUF_MAX)) {
		rc = flush(f);
		if (rc != SQLITE_OK)
			return rc;
	}
	if (n > WALBUF_WRITE)
		return f->real->pMethods->xWrite(f->real, data, amt, off);
	if (f->len + n > f->cap) {
		size_t cap = f->cap ? f->cap : 64 * 1024;
		char *nb;
		while (cap < f->len + n)
			cap *= 2;
		nb = sqlite3_realloc64(f->buf, cap);
		if (!nb) {
			rc = flush(f);
			return rc != SQLITE_OK ? rc : f->real->pMethods->xWrite(f->real, data, amt, off);
		}
		f->buf = nb;
		f->cap = cap;
	}
	if (!f->len)
		f->off = off;
	memcpy(f->buf + f->len, data, n);
	f->len += n;
	return SQLITE_OK;
}

static int w_truncate(sqlite3_file *pf, sqlite3_int64 size)
{
	struct wfile *f = (struct wfile *)pf;
	int rc = flush(f);

	return rc != SQLITE_OK ? rc : f->real->pMethods->xTruncate(f->real, size);
}

static int w_sync(sqlite3_file *pf, int flags)
{
	struct wfile *f = (struct wfile *)pf;
	int rc = flush(f);

	return rc != SQLITE_OK ? rc : f->real->pMethods->xSync(f->real, flags);
}

static int w_file_size(sqlite3_file *pf, sqlite3_int64 *size)
{
	struct wfile *f = (struct wfile *)pf;
	int rc = flush(f);

	return rc != SQLITE_OK ? rc : f->real->pMethods->xFileSize(f->real, size);
}

static int w_lock(sqlite3_file *pf, int lock)
{
	struct wfile *f = (struct wfile *)pf;
	return f->real->pMethods->xLock(f->real, lock);
}

static int w_unlock(sqlite3_file *pf, int lock)
{
	struct wfile *f = (struct wfile *)pf;
	return f->real->pMethods->xUnlock(f->real, lock);
}

static int w_check_reserved(sqlite3_file *pf, int *out)
{
	struct wfile *f = (struct wfile *)pf;
	return f->real->pMethods->xCheckReservedLock(f->real, out);
}

static int w_file_control(sqlite3_file *pf, int op, void *arg)
{
	struct wfile *f = (struct wfile *)pf;
	int rc = f->len ? flush(f) : SQLITE_OK;

	return rc != SQLITE_OK ? rc : f->real->pMethods->xFileControl(f->real, op, arg);
}

static int w_sector_size(sqlite3_file *pf)
{
	struct wfile *f = (struct wfile *)pf;
	return f->real->pMethods->xSectorSize(f->real);
}

static int w_device_characteristics(sqlite3_file *pf)
{
	struct wfile *f = (struct wfile *)pf;
	return f->real->pMethods->xDeviceCharacteristics(f->real);
}

/* Shared memory: every call publishes or looks at the wal-index, so the WAL's frames go out first. */
static int w_shm_map(sqlite3_file *pf, int page, int size, int extend, void volatile **out)
{
	struct wfile *f = (struct wfile *)pf;
	int rc = flush_wal_of(f);

	return rc != SQLITE_OK ? rc : f->real->pMethods->xShmMap(f->real, page, size, extend, out);
}

static int w_shm_lock(sqlite3_file *pf, int offset, int n, int flags)
{
	struct wfile *f = (struct wfile *)pf;
	int rc = flush_wal_of(f);

	return rc != SQLITE_OK ? rc : f->real->pMethods->xShmLock(f->real, offset, n, flags);
}

static void w_shm_barrier(sqlite3_file *pf)
{
	struct wfile *f = (struct wfile *)pf;

	/* no way to report a failure here; the next xSync or xShmLock does */
	if (flush_wal_of(f) == SQLITE_OK)
		f->real->pMethods->xShmBarrier(f->real);
}

static int w_shm_unmap(sqlite3_file *pf, int del)
{
	struct wfile *f = (struct wfile *)pf;
	int rc = flush_wal_of(f);

	return rc != SQLITE_OK ? rc : f->real->pMethods->xShmUnmap(f->real, del);
}

static int w_fetch(sqlite3_file *pf, sqlite3_int64 off, int amt, void **out)
{
	struct wfile *f = (struct wfile *)pf;
	int rc = flush(f);

	*out = NULL;
	if (rc != SQLITE_OK || f->real->pMethods->iVersion < 3)
		return rc;
	return f->real->pMethods->xFetch(f->real, off, amt, out);
}

static int w_unfetch(sqlite3_file *pf, sqlite3_int64 off, void *p)
{
	struct wfile *f = (struct wfile *)pf;
	return f->real->pMethods->iVersion < 3 ? SQLITE_OK : f->real->pMethods->xUnfetch(f->real, off, p);
}

static int w_open(sqlite3_vfs *vfs, sqlite3_filename name, sqlite3_file *pf, int flags, int *out_flags)
{
	struct wfile *f = (struct wfile *)pf;
	int rc;

	(void)vfs;
	memset(f, 0, sizeof(*f));
	f->real = (sqlite3_file *)(void *)((char *)f + sizeof(*f));
	rc = real_vfs->xOpen(real_vfs, name, f->real, flags, out_flags);
	/* SQLite calls xClose when pMethods is set, also after a failed open */
	f->base.pMethods = f->real->pMethods ? &wfile_methods : NULL;
	if (rc == SQLITE_OK && (flags & SQLITE_OPEN_WAL) && name) {
		/*
		 * The database file of this WAL, opened through this VFS by the
		 * same connection; without it the WAL is written through.
		 */
		sqlite3_file *db = sqlite3_database_file_object(name);
		if (db && db->pMethods == &wfile_methods) {
			f->wal = true;
			f->peer = (struct wfile *)db;
			f->peer->peer = f;
		}
	}
	return rc;
}

static int w_delete(sqlite3_vfs *vfs, const char *name, int sync_dir)
{
	(void)vfs;
	return real_vfs->xDelete(real_vfs, name, sync_dir);
}

static int w_access(sqlite3_vfs *vfs, const char *name, int flags, int *out)
{
	(void)vfs;
	return real_vfs->xAccess(real_vfs, name, flags, out);
}

static int w_full_pathname(sqlite3_vfs *vfs, const char *name, int n, char *out)
{
	(void)vfs;
	return real_vfs->xFullPathname(real_vfs, name, n, out);
}

static void *w_dlopen(sqlite3_vfs *vfs, const char *name)
{
	(void)vfs;
	return real_vfs->xDlOpen(real_vfs, name);
}

static void w_dlerror(sqlite3_vfs *vfs, int n, char *out)
{
	(void)vfs;
	real_vfs->xDlError(real_vfs, n, out);
}

static void (*w_dlsym(sqlite3_vfs *vfs, void *h, const char *sym))(void)
{
	(void)vfs;
	return real_vfs->xDlSym(real_vfs, h, sym);
}

static void w_dlclose(sqlite3_vfs *vfs, void *h)
{
	(void)vfs;
	real_vfs->xDlClose(real_vfs, h);
}

static int w_randomness(sqlite3_vfs *vfs, int n, char *out)
{
	(void)vfs;
	return real_vfs->xRandomness(real_vfs, n, out);
}

static int w_sleep(sqlite3_vfs *vfs, int us)
{
	(void)vfs;
	return real_vfs->xSleep(real_vfs, us);
}

static int w_current_time(sqlite3_vfs *vfs, double *out)
{
	(void)vfs;
	return real_vfs->xCurrentTime(real_vfs, out);
}

static int w_last_error(sqlite3_vfs *vfs, int n, char *out)
{
	(void)vfs;
	return real_vfs->xGetLastError ? real_vfs->xGetLastError(real_vfs, n, out) : 0;
}

static int w_current_time_int64(sqlite3_vfs *vfs, sqlite3_int64 *out)
{
	(void)vfs;
	return real_vfs->xCurrentTimeInt64(real_vfs, out);
}

static void walbuf_init(void)
{
	real_vfs = sqlite3_vfs_find(NULL);
	if (!real_vfs || real_vfs->iVersion < 2)
		return;
	wfile_methods = (sqlite3_io_methods){
		.iVersion = 3,
		.xClose = w_close,
		.xRead = w_read,
		.xWrite = w_write,
		.xTruncate = w_truncate,
		.xSync = w_sync,
		.xFileSize = w_file_size,
		.xLock = w_lock,
		.xUnlock = w_unlock,
		.xCheckReservedLock = w_check_reserved,
		.xFileControl = w_file_control,
		.xSectorSize = w_sector_size,
		.xDeviceCharacteristics = w_device_characteristics,
		.xShmMap = w_shm_map,
		.xShmLock = w_shm_lock,
		.xShmBarrier = w_shm_barrier,
		.xShmUnmap = w_shm_unmap,
		.xFetch = w_fetch,
		.xUnfetch = w_unfetch,
	};
	walbuf_vfs = (sqlite3_vfs){
		.iVersion = 2,
		.szOsFile = (int)sizeof(struct wfile) + real_vfs->szOsFile,
		.mxPathname = real_vfs->mxPathname,
		.zName = FL_WALBUF_VFS,
		.xOpen = w_open,
		.xDelete = w_delete,
		.xAccess = w_access,
		.xFullPathname = w_full_pathname,
		.xDlOpen = w_dlopen,
		.xDlError = w_dlerror,
		.xDlSym = w_dlsym,
		.xDlClose = w_dlclose,
		.xRandomness = w_randomness,
		.xSleep = w_sleep,
		.xCurrentTime = w_current_time,
		.xGetLastError = w_last_error,
		.xCurrentTimeInt64 = w_current_time_int64,
	};
	walbuf_rc = sqlite3_vfs_register(&walbuf_vfs, 0);
}

const char *fl_walbuf_vfs(void)
{
	pthread_once(&walbuf_once, walbuf_init);
	return walbuf_rc == SQLITE_OK ? FL_WALBUF_VFS : NULL;
}
