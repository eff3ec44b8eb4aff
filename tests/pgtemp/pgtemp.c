/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pgtemp.c - a throw-away PostgreSQL server for the tests (see pgtemp.h).
 */
#include "fl-common.h"

#include <dirent.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pgtemp.h"

#define PGTEMP_PORT "5432"

static char own_dir[256];   /* a cluster of this process's own, removed at exit */
static char own_conn[512];
static unsigned db_counter;

/* Debian keeps each major version in /usr/lib/postgresql/<major>/bin: take the newest. */
static int find_bindir(char *out, size_t outlen, char *err, size_t errlen)
{
	const char *env = getenv("PGTEMP_BINDIR");
	DIR *d;
	struct dirent *e;
	long best = -1;

	if (env && *env) {
		snprintf(out, outlen, "%s", env);
		return 0;
	}
	d = opendir("/usr/lib/postgresql");
	if (!d) {
		snprintf(err, errlen, "PostgreSQL is not installed (no /usr/lib/postgresql; Debian package 'postgresql')");
		return -1;
	}
	while ((e = readdir(d)) != NULL) {
		char *end;
		long v = strtol(e->d_name, &end, 10);
		char probe[512];
		if (*end || v <= best)
			continue;
		snprintf(probe, sizeof(probe), "/usr/lib/postgresql/%ld/bin/initdb", v);
		if (access(probe, X_OK) == 0)
			best = v;
	}
	closedir(d);
	if (best < 0) {
		snprintf(err, errlen, "no PostgreSQL server binaries under /usr/lib/postgresql (Debian package 'postgresql')");
		return -1;
	}
	snprintf(out, outlen, "/usr/lib/postgresql/%ld/bin", best);
	return 0;
}

/* Run argv (as the postgres user when we are root), output appended to log; 0 when it exited 0. */
static int run(const char *const *argv, const char *log, char *err, size_t errlen)
{
	const char *full[24];
	size_t n = 0;
	pid_t pid;
	int status;

	if (geteuid() == 0) {
		full[n++] = "runuser";
		full[n++] = "-u";
		full[n++] = "postgres";
		full[n++] = "--";
	}
	for (size_t i = 0; argv[i] && n < FL_ARRAY_LEN(full) - 1; i++)
		full[n++] = argv[i];
	full[n] = NULL;
	pid = fork();
	if (pid < 0) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
			close(fd);
		}
		execvp(full[0], (char *const *)full);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		snprintf(err, errlen, "'%s' failed (see %s)", argv[0], log);
		return -1;
	}
	return 0;
}

static void remove_tree(const char *dir)
{
	const char *argv[] = { "rm", "-rf", dir, NULL };
	pid_t pid = fork();
	int status;

	if (pid == 0) {
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	if (pid > 0)
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
}

int pgtemp_stop_dir(const char *dir)
{
	char bindir[256], pg_ctl[300], data[300], log[300], err[256];
	const char *argv[] = { pg_ctl, "-D", data, "-m", "immediate", "-w", "stop", NULL };
	int rc;

	if (find_bindir(bindir, sizeof(bindir), err, sizeof(err)) != 0)
		return -1;
	snprintf(pg_ctl, sizeof(pg_ctl), "%s/pg_ctl", bindir);
	snprintf(data, sizeof(data), "%s/data", dir);
	snprintf(log, sizeof(log), "%s/stop.log", dir);
	rc = run(argv, log, err, sizeof(err));
	remove_tree(dir);
	return rc;
}

static void stop_own(void)
{
	if (own_dir[0])
		pgtemp_stop_dir(own_dir);
	own_dir[0] = '\0';
}

/* pg_ctl start on the cluster in dir (made by start_cluster): its socket in dir, no TCP. */
static int pg_start(const char *bindir, const char *dir, char *err, size_t errlen)
{
	char pg_ctl[300], data[300], log[300], cmdlog[300], opts[600];
	const char *start_argv[] = { pg_ctl, "-D", data, "-l", log, "-w", "-t", "60", "-o", opts, "start", NULL };

	snprintf(pg_ctl, sizeof(pg_ctl), "%s/pg_ctl", bindir);
	snprintf(data, sizeof(data), "%s/data", dir);
	snprintf(log, sizeof(log), "%s/server.log", dir); /* written by the server (as postgres) */
	snprintf(cmdlog, sizeof(cmdlog), "%s/commands.log", dir);
	/* Unix socket only, in the cluster's directory; room for several servers and their pools */
	snprintf(opts, sizeof(opts),
		 "-k %s -c listen_addresses='' -p " PGTEMP_PORT " -c max_connections=400 -c shared_buffers=32MB", dir);
	return run(start_argv, cmdlog, err, errlen);
}

int pgtemp_cluster_stop(const char *dir, char *err, size_t errlen)
{
	char bindir[256], pg_ctl[300], data[300], cmdlog[300];
	const char *argv[] = { pg_ctl, "-D", data, "-m", "fast", "-w", "-t", "60", "stop", NULL };

	if (find_bindir(bindir, sizeof(bindir), err, errlen) != 0)
		return -1;
	snprintf(pg_ctl, sizeof(pg_ctl), "%s/pg_ctl", bindir);
	snprintf(data, sizeof(data), "%s/data", dir);
	snprintf(cmdlog, sizeof(cmdlog), "%s/commands.log", dir);
	return run(argv, cmdlog, err, errlen);
}

int pgtemp_cluster_start(const char *dir, char *err, size_t errlen)
{
	char bindir[256];

	if (find_bindir(bindir, sizeof(bindir), err, errlen) != 0)
		return -1;
	return pg_start(bindir, dir, err, errlen);
}

static int start_cluster(char *dir, size_t dirlen, char *conn, size_t connlen, char *err, size_t errlen)
{
	char bindir[256], initdb[300], data[300], cmdlog[300];
	const char *init_argv[] = { initdb, "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync",
				    NULL };
	char tmpl[] = "/tmp/flyte-pg-XXXXXX";

	if (find_bindir(bindir, sizeof(bindir), err, errlen) != 0)
		return -1;
	if (!mkdtemp(tmpl)) {
		snprintf(err, errlen, "mkdtemp: %s", strerror(errno));
		return -1;
	}
	snprintf(dir, dirlen, "%s", tmpl);
	if (geteuid() == 0) {
		struct passwd *pw = getpwnam("postgres");
		if (!pw || chown(dir, pw->pw_uid, pw->pw_gid) != 0) {
			snprintf(err, errlen, "cannot give '%s' to the postgres user: %s", dir,
				 pw ? strerror(errno) : "no such user");
			remove_tree(dir);
			return -1;
		}
	}
	snprintf(initdb, sizeof(initdb), "%s/initdb", bindir);
	snprintf(data, sizeof(data), "%s/data", dir);
	snprintf(cmdlog, sizeof(cmdlog), "%s/commands.log", dir);
	if (run(init_argv, cmdlog, err, errlen) != 0 || pg_start(bindir, dir, err, errlen) != 0) {
		/* keep the directory and its logs for a look; the message names them */
		return -1;
	}
	snprintf(conn, connlen, "host=%s port=" PGTEMP_PORT " user=postgres", dir);
	return 0;
}

int pgtemp_start_detached(char *conninfo_out, size_t outlen, char *dir_out, size_t dirlen, char *err, size_t errlen)
{
	return start_cluster(dir_out, dirlen, conninfo_out, outlen, err, errlen);
}

int pgtemp_server(const char **conninfo, char *err, size_t errlen)
{
	const char *env = getenv("FLYTE_TEST_PG");

	if (env && *env) {
		*conninfo = env;
		return 0;
	}
	if (!own_conn[0]) {
		if (start_cluster(own_dir, sizeof(own_dir), own_conn, sizeof(own_conn), err, errlen) != 0) {
			own_conn[0] = '\0';
			return -1;
		}
		atexit(stop_own);
	}
	*conninfo = own_conn;
	return 0;
}

/* Run one statement on the server's maintenance database. */
static int admin(const char *statement, char *err, size_t errlen)
{
	const char *server;
	char conn[700];
	PGconn *c;
	PGresult *r;
	int rc = 0;

	if (pgtemp_server(&server, err, errlen) != 0)
		return -1;
	snprintf(conn, sizeof(conn), "%s dbname=postgres", server);
	c = PQconnectdb(conn);
	if (PQstatus(c) != CONNECTION_OK) {
		snprintf(err, errlen, "cannot connect to the test PostgreSQL: %s", PQerrorMessage(c));
		PQfinish(c);
		return -1;
	}
	r = PQexec(c, statement);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		snprintf(err, errlen, "%s: %s", statement, PQresultErrorMessage(r));
		rc = -1;
	}
	PQclear(r);
	PQfinish(c);
	return rc;
}

int pgtemp_database(char *out, size_t outlen, char *err, size_t errlen)
{
	const char *server;
	char name[64], stmt[128];

	if (pgtemp_server(&server, err, errlen) != 0)
		return -1;
	snprintf(name, sizeof(name), "flt_%ld_%u_%ld", (long)getpid(), ++db_counter, (long)random() % 100000);
	snprintf(stmt, sizeof(stmt), "CREATE DATABASE %s", name);
	if (admin(stmt, err, errlen) != 0)
		return -1;
	snprintf(out, outlen, "%s dbname=%s", server, name);
	return 0;
}

void pgtemp_drop(const char *conninfo)
{
	const char *db = conninfo ? strstr(conninfo, "dbname=") : NULL;
	char stmt[160], err[256];

	if (!db)
		return;
	snprintf(stmt, sizeof(stmt), "DROP DATABASE IF EXISTS %.*s WITH (FORCE)", (int)strcspn(db + 7, " "), db + 7);
	admin(stmt, err, sizeof(err));
}
