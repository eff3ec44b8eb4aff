/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fault-util.c - helpers of the fault suite (see fault-util.h).
 */
#include "fl-common.h"

#include "fault-util.h"
#include "harness.h"

#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "timeutil.h"

bool fu_long(void)
{
	const char *v = getenv("FLYTE_FAULT_LONG");
	return v && *v && strcmp(v, "0") != 0;
}

long fu_env_long(const char *name, long def)
{
	const char *v = getenv(name);
	char *end = NULL;
	long n;

	if (!v || !*v)
		return def;
	errno = 0;
	n = strtol(v, &end, 10);
	return errno || *end ? def : n;
}

int64_t fu_wall_ms(void)
{
	return fl_time_now_ns() / 1000000;
}

int64_t fu_time_ms(const char *s)
{
	int64_t ns;

	if (!s || fl_time_parse_rfc3339(s, strlen(s), &ns, NULL) != 0)
		return -1;
	return ns / 1000000;
}

void fu_figures(const char *name, const char *fmt, ...)
{
	char line[1024];
	const char *path = getenv("FLYTE_FAULT_FIGURES");
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	printf("# figures %s: %s\n", name, line);
	if (path && *path) {
		FILE *f = fopen(path, "a");
		if (f) {
			fprintf(f, "%s: %s\n", name, line);
			fclose(f);
		}
	}
}

/* ------------------------------------------------------------ children */

pid_t fu_spawn(const char *bin, char *const *argv, const char *const *extra_env, const char *log)
{
	char **env;
	pid_t pid;
	int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);

	if (fd < 0) {
		printf("# cannot open %s: %s\n", log, strerror(errno));
		return -1;
	}
	env = flh_child_env(NULL, extra_env);
	pid = flh_spawn(bin, argv, env, fd);
	close(fd);
	free(env);
	return pid;
}

int fu_kill9(pid_t pid)
{
	if (pid <= 0 || kill(pid, SIGKILL) != 0)
		return -1;
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	return 0;
}

int fu_stop(pid_t pid, int timeout_ms)
{
	int status = 0;

	if (pid <= 0)
		return -1;
	kill(pid, SIGTERM);
	for (int waited = 0; waited < timeout_ms; waited += 10) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
		usleep(10000);
	}
	fu_kill9(pid);
	return -1;
}

/* -------------------------------------------------------------- the file */

sqlite3 *fu_db_open(const char *path)
{
	sqlite3 *db = NULL;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		printf("# cannot open %s: %s\n", path, db ? sqlite3_errmsg(db) : "out of memory");
		sqlite3_close(db);
		return NULL;
	}
	sqlite3_busy_timeout(db, 5000);
	return db;
}

void fu_db_close(sqlite3 *db)
{
	sqlite3_close(db);
}

int64_t fu_db_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	int64_t v = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		printf("# sql error: %s: %s\n", sqlite3_errmsg(db), sql);
		return -1;
	}
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	else
		printf("# sql gave no row: %s: %s\n", sqlite3_errmsg(db), sql);
	sqlite3_finalize(st);
	return v;
}

int fu_integrity(const char *path)
{
	sqlite3 *db = fu_db_open(path);
	sqlite3_stmt *st = NULL;
	int rc = -1, rows = 0;

	if (!db)
		return -1;
	if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL) == SQLITE_OK) {
		while (sqlite3_step(st) == SQLITE_ROW) {
			const char *msg = (const char *)sqlite3_column_text(st, 0);
			if (rows == 0 && msg && !strcmp(msg, "ok"))
				rc = 0;
			else if (rows < 10)
				printf("# integrity_check: %s\n", msg ? msg : "(null)");
			rows++;
		}
	}
	if (rows != 1)
		rc = -1;
	sqlite3_finalize(st);
	sqlite3_close(db);
	return rc;
}

/* ------------------------------------------------------------- mounts */

int fu_mount_tmpfs(const char *dir, long size_kib)
{
	char opts[64];

	snprintf(opts, sizeof(opts), "size=%ldk,mode=0700", size_kib);
	if (mount("tmpfs", dir, "tmpfs", MS_NOSUID | MS_NODEV, opts) != 0) {
		printf("# cannot mount a tmpfs on %s (%s): this test needs root and mount(2) "
		       "(CAP_SYS_ADMIN); it does not skip\n",
		       dir, strerror(errno));
		return -1;
	}
	return 0;
}

int fu_remount(const char *dir, bool read_only)
{
	unsigned long flags = MS_REMOUNT | MS_NOSUID | MS_NODEV | (read_only ? MS_RDONLY : 0);
	return mount("tmpfs", dir, "tmpfs", flags, NULL);
}

void fu_umount(const char *dir)
{
	if (dir && *dir)
		umount2(dir, MNT_DETACH);
}

long long fu_free_bytes(const char *path)
{
	struct statvfs sv;

	if (statvfs(path, &sv) != 0)
		return -1;
	return (long long)sv.f_bavail * (long long)sv.f_frsize;
}

int fu_fill(const char *dir, const char *name, long long leave)
{
	char path[512], block[65536];
	long long avail = fu_free_bytes(dir);
	int fd;

	if (avail < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	memset(block, 'x', sizeof(block));
	while (avail > leave) {
		long long want = avail - leave;
		ssize_t w = write(fd, block, want < (long long)sizeof(block) ? (size_t)want : sizeof(block));
		if (w <= 0)
			break;
		avail = fu_free_bytes(dir);
	}
	close(fd);
	return 0;
}
