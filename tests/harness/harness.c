/* SPDX-License-Identifier: Apache-2.0 */
/*
 * harness.c - starts the real flyte binary for black-box tests and talks to
 * it over HTTP.
 *
 * Process management: each server is forked with PR_SET_PDEATHSIG and its
 * output redirected to a log file in its own temporary directory; the pid
 * and directory are also kept in fixed arrays so the signal handler can kill
 * the children and remove the directories without allocating.  Readiness is
 * GET /health == 200 with a bounded deadline; a child that dies during
 * start-up because its port was taken meanwhile is retried on another port.
 *
 * HTTP: one libcurl easy handle per request (no connection reuse, so each
 * request is independent of earlier failures), with CURLOPT_PATH_AS_IS so
 * odd paths reach the server unchanged.  Responses are tracked in a list so
 * the failure path of the FLH_ assertion macros can release them.
 */
#include "fl-common.h"

#include "harness.h"
#include "pgtemp.h"
#include "fsutil.h"

#include "alloc.h"
#include "buf.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>
#include <arpa/inet.h>

extern char **environ;

#define MAX_SERVERS 64
#define DIR_MAX 512
#define DEFAULT_START_MS 60000
#define DEFAULT_STOP_MS 30000
#define DEFAULT_HTTP_MS 60000
#define PORT_ATTEMPTS 6

struct flh_server {
	pid_t pid; /* 0 when not running */
	int port;
	bool port_fixed; /* FLYTE_PORT given by the caller */
	bool tls;        /* FLYTE_TLS_CERT_PATH given: the URL is https */
	int slot;
	int start_timeout_ms;
	char *dir;
	char *db_path;
	char *db_url; /* FLH_STORE=pg: a database on the test PostgreSQL server */
	char *log_path;
	char url[64];
	char **args;      /* extra argv, NULL-terminated */
	char **extra_env; /* caller's env, NULL-terminated */
	size_t log_reported; /* log bytes already shown by flh_on_failure */
};

/* ---- registry (also read by the signal handler) ------------------------ */

static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static struct flh_server *reg_servers[MAX_SERVERS];
static volatile sig_atomic_t sig_pids[MAX_SERVERS];
static char sig_dirs[MAX_SERVERS][DIR_MAX];
static volatile sig_atomic_t sig_dir_set[MAX_SERVERS];
static bool keep_dirs;
static pthread_once_t init_once = PTHREAD_ONCE_INIT;

static int reg_add(struct flh_server *s, const char *dir)
{
	int slot = -1;
	pthread_mutex_lock(&reg_lock);
	for (int i = 0; i < MAX_SERVERS; i++) {
		if (!reg_servers[i] && !sig_dir_set[i]) {
			slot = i;
			break;
		}
	}
	if (slot >= 0) {
		reg_servers[slot] = s;
		snprintf(sig_dirs[slot], DIR_MAX, "%s", dir);
		sig_dir_set[slot] = 1;
	}
	pthread_mutex_unlock(&reg_lock);
	return slot;
}

static void reg_remove(int slot)
{
	if (slot < 0)
		return;
	pthread_mutex_lock(&reg_lock);
	reg_servers[slot] = NULL;
	sig_pids[slot] = 0;
	sig_dir_set[slot] = 0;
	pthread_mutex_unlock(&reg_lock);
}

static void on_fatal_signal(int sig)
{
	static char *const rm_env[] = { NULL };
	for (int i = 0; i < MAX_SERVERS; i++) {
		pid_t pid = (pid_t)sig_pids[i];
		if (pid > 0)
			kill(pid, SIGKILL);
	}
	for (int i = 0; i < MAX_SERVERS && !keep_dirs; i++) {
		if (!sig_dir_set[i] || sig_dirs[i][0] != '/')
			continue;
		pid_t c = fork();
		if (c == 0) {
			char *const argv[] = { (char *)"rm", (char *)"-rf", sig_dirs[i], NULL };
			execve("/bin/rm", argv, rm_env);
			_exit(127);
		}
		if (c > 0)
			waitpid(c, NULL, 0);
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

static void cleanup_at_exit(void)
{
	for (int i = 0; i < MAX_SERVERS; i++) {
		struct flh_server *s;
		pthread_mutex_lock(&reg_lock);
		s = reg_servers[i];
		pthread_mutex_unlock(&reg_lock);
		if (s)
			flh_server_free(s);
	}
	flh_release_all();
	curl_global_cleanup();
}

static void init_once_fn(void)
{
	struct sigaction sa;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	keep_dirs = getenv("FLH_KEEP") != NULL;
	signal(SIGPIPE, SIG_IGN);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_fatal_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGABRT, &sa, NULL);
	atexit(cleanup_at_exit);
}

static void harness_init(void)
{
	pthread_once(&init_once, init_once_fn);
}

/* ---- small utilities ---------------------------------------------------- */

static char *xasprintf(const char *fmt, ...) FL_PRINTF(1, 2);
static char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *p;
	int n;
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	p = fl_xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

int64_t flh_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t flh_deadline(int timeout_ms)
{
	return flh_now_ms() + timeout_ms;
}

bool flh_expired(int64_t deadline)
{
	return flh_now_ms() >= deadline;
}

void flh_sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* NULL-terminated vector of owned strings. */
struct strvec {
	char **v;
	size_t n, cap;
};

static void sv_push(struct strvec *sv, char *owned)
{
	if (sv->n + 2 > sv->cap) {
		size_t cap = sv->cap ? sv->cap * 2 : 16;
		char **v = realloc(sv->v, cap * sizeof(*v));
		if (!v)
			abort();
		sv->v = v;
		sv->cap = cap;
	}
	sv->v[sv->n++] = owned;
	sv->v[sv->n] = NULL;
}

/* Set "NAME=value", replacing an entry with the same name. */
static void sv_setenv(struct strvec *sv, const char *kv)
{
	const char *eq = strchr(kv, '=');
	size_t nlen = eq ? (size_t)(eq - kv) : strlen(kv);
	for (size_t i = 0; i < sv->n; i++) {
		if (strncmp(sv->v[i], kv, nlen) == 0 && sv->v[i][nlen] == '=') {
			free(sv->v[i]);
			sv->v[i] = fl_xstrdup(kv);
			return;
		}
	}
	sv_push(sv, fl_xstrdup(kv));
}

static void sv_release(struct strvec *sv)
{
	for (size_t i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	sv->v = NULL;
	sv->n = sv->cap = 0;
}

static char **strv_copy(const char *const *src)
{
	struct strvec sv = { 0 };
	sv_push(&sv, NULL); /* ensure allocation */
	sv.n = 0;
	for (size_t i = 0; src && src[i]; i++)
		sv_push(&sv, fl_xstrdup(src[i]));
	return sv.v;
}

static void strv_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

/* The value of NAME=value in v, or NULL. */
static const char *strv_value(char *const *v, const char *name)
{
	size_t n = strlen(name);
	for (size_t i = 0; v && v[i]; i++)
		if (strncmp(v[i], name, n) == 0 && v[i][n] == '=')
			return v[i] + n + 1;
	return NULL;
}

static bool strv_has_name(char *const *v, const char *name)
{
	return strv_value(v, name) != NULL;
}

/* The test's environment without FLYTE_* entries and LOGFILE. */
static void base_env(struct strvec *sv)
{
	for (char **e = environ; e && *e; e++) {
		if (strncmp(*e, "FLYTE_", 6) == 0 || strncmp(*e, "LOGFILE=", 8) == 0)
			continue;
		sv_push(sv, fl_xstrdup(*e));
	}
}

static bool has_prefix(const char *var, const char *const *prefixes)
{
	for (size_t i = 0; prefixes && prefixes[i]; i++)
		if (strncmp(var, prefixes[i], strlen(prefixes[i])) == 0)
			return true;
	return false;
}

/* Does a later entry of v (from index `from` on) set the variable `var` names? */
static bool set_later(const char *var, const char *const *v, size_t from)
{
	size_t len = strcspn(var, "=");

	for (size_t i = from; v && v[i]; i++)
		if (strncmp(v[i], var, len) == 0 && v[i][len] == '=')
			return true;
	return false;
}

char **flh_child_env(const char *const *clear, const char *const *extra)
{
	size_t n = 0, k = 0;
	char **env;

	while (environ[n])
		n++;
	for (size_t i = 0; extra && extra[i]; i++)
		n++;
	env = fl_xcalloc(n + 1, sizeof(*env));
	for (size_t i = 0; environ[i]; i++)
		if (strncmp(environ[i], "FLYTE_", 6) != 0 && !has_prefix(environ[i], clear) &&
		    !set_later(environ[i], extra, 0))
			env[k++] = environ[i];
	for (size_t j = 0; extra && extra[j]; j++)
		if (!set_later(extra[j], extra, j + 1))
			env[k++] = (char *)extra[j];
	return env;
}

char *flh_doc_fenced(const char *path, const char *marker)
{
	char *doc = path ? flt_read_file(path, 0, NULL) : NULL, *b, *e, *out = NULL;

	b = doc ? strstr(doc, marker) : NULL;
	b = b ? strstr(b, "```") : NULL; /* the opening fence, with its language */
	b = b ? strchr(b, '\n') : NULL;
	e = b ? strstr(b + 1, "```") : NULL;
	if (e)
		out = fl_xstrndup(b + 1, (size_t)(e - b - 1));
	free(doc);
	return out;
}

int flh_free_port(void)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int port = -1;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = 0;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
		port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

static size_t file_size(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? (size_t)st.st_size : 0;
}

static bool contains_ci(const char *hay, const char *needle)
{
	return hay && strcasestr(hay, needle) != NULL;
}

const char *flh_status_str(int wstatus, char *buf, size_t len)
{
	if (WIFEXITED(wstatus))
		snprintf(buf, len, "exit %d", WEXITSTATUS(wstatus));
	else if (WIFSIGNALED(wstatus))
		snprintf(buf, len, "signal %d", WTERMSIG(wstatus));
	else
		snprintf(buf, len, "status 0x%x", (unsigned)wstatus);
	return buf;
}

int flh_exit_code(int wstatus)
{
	return WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1;
}

/* ---- spawning ------------------------------------------------------------ */

static const char *flyte_bin(void)
{
	const char *bin = getenv("FLYTE_BIN");
	if (!bin || !*bin) {
		printf("# flh: FLYTE_BIN is not set\n");
		return NULL;
	}
	return bin;
}

pid_t flh_spawn(const char *bin, char *const *argv, char *const *envp, int outfd)
{
	pid_t parent = getpid();
	int nullfd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	pid_t pid;

	if (nullfd < 0) {
		printf("# flh: cannot open /dev/null: %s\n", strerror(errno));
		return -1;
	}
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(126);
		dup2(nullfd, 0);
		dup2(outfd, 1);
		dup2(outfd, 2);
		execve(bin, argv, envp ? envp : environ);
		{
			static const char msg[] = "flh: execve failed\n";
			ssize_t w = write(2, msg, sizeof(msg) - 1);
			(void)w;
		}
		_exit(127);
	}
	close(nullfd);
	if (pid < 0)
		printf("# flh: fork failed: %s\n", strerror(errno));
	return pid;
}

/* flh_spawn with stdout and stderr appended to log_path. */
static pid_t spawn(const char *bin, char *const *argv, char *const *envp, const char *log_path)
{
	int logfd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	pid_t pid;

	if (logfd < 0) {
		printf("# flh: cannot open %s: %s\n", log_path, strerror(errno));
		return -1;
	}
	pid = flh_spawn(bin, argv, envp, logfd);
	close(logfd);
	return pid;
}

static void log_marker(const char *log_path, const char *fmt, ...) FL_PRINTF(2, 3);
static void log_marker(const char *log_path, const char *fmt, ...)
{
	va_list ap;
	FILE *f = fopen(log_path, "a");
	if (!f)
		return;
	fputs("--- flh: ", f);
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fputs(" ---\n", f);
	fclose(f);
}

static char **server_argv(const struct flh_server *s, const char *bin)
{
	struct strvec sv = { 0 };
	sv_push(&sv, fl_xstrdup(bin));
	for (size_t i = 0; s->args && s->args[i]; i++)
		sv_push(&sv, fl_xstrdup(s->args[i]));
	return sv.v;
}

static void server_env(const struct flh_server *s, int port, struct strvec *env)
{
	char kv[DIR_MAX + 32];
	base_env(env);
	snprintf(kv, sizeof(kv), "FLYTE_PORT=%d", port);
	sv_setenv(env, kv);
	sv_setenv(env, "FLYTE_BIND_ADDRESS=127.0.0.1");
	snprintf(kv, sizeof(kv), "FLYTE_DB_PATH=%s", s->db_path);
	sv_setenv(env, kv);
	if (s->db_url) {
		char *u = xasprintf("FLYTE_DB_URL=%s", s->db_url);
		sv_setenv(env, u);
		free(u);
	}
	for (size_t i = 0; s->extra_env && s->extra_env[i]; i++)
		sv_setenv(env, s->extra_env[i]);
}

static bool reap(struct flh_server *s, int *wstatus, bool block)
{
	int st = 0;
	pid_t r;
	if (s->pid <= 0)
		return true;
	do
		r = waitpid(s->pid, &st, block ? 0 : WNOHANG);
	while (r < 0 && errno == EINTR);
	if (r == 0)
		return false;
	if (wstatus)
		*wstatus = st;
	s->pid = 0;
	if (s->slot >= 0)
		sig_pids[s->slot] = 0;
	return true;
}

static bool health_ok(struct flh_server *s)
{
	struct flh_req req = { .url = "/health", .timeout_ms = 3000 };
	struct flh_resp *r = flh_http(s, &req);
	bool ok = r->status == 200;
	flh_resp_free(r);
	return ok;
}

enum launch_result { LAUNCH_OK, LAUNCH_PORT_TAKEN, LAUNCH_FAILED };

/* One attempt: spawn on `port` and wait for health. */
static enum launch_result launch(struct flh_server *s, int port)
{
	const char *bin = flyte_bin();
	struct strvec env = { 0 };
	char **argv = NULL;
	size_t log_off;
	int64_t dl;
	int st = 0;
	char sbuf[32];
	enum launch_result res = LAUNCH_FAILED;

	if (!bin)
		return LAUNCH_FAILED;
	s->port = port;
	snprintf(s->url, sizeof(s->url), "%s://127.0.0.1:%d", s->tls ? "https" : "http", port);
	server_env(s, port, &env);
	argv = server_argv(s, bin);
	log_marker(s->log_path, "starting %s on port %d", bin, port);
	log_off = file_size(s->log_path);
	s->pid = spawn(bin, argv, env.v, s->log_path);
	if (s->pid < 0) {
		s->pid = 0;
		goto done;
	}
	sig_pids[s->slot] = s->pid;
	dl = flh_deadline(s->start_timeout_ms);
	for (;;) {
		if (reap(s, &st, false)) {
			char *log = flt_read_file(s->log_path, log_off, NULL);
			printf("# flh: server exited during start-up (%s)\n",
			       flh_status_str(st, sbuf, sizeof(sbuf)));
			if (!s->port_fixed && (contains_ci(log, "in use") || contains_ci(log, "EADDRINUSE")))
				res = LAUNCH_PORT_TAKEN;
			free(log);
			goto done;
		}
		if (health_ok(s)) {
			res = LAUNCH_OK;
			goto done;
		}
		if (flh_expired(dl)) {
			printf("# flh: /health did not answer 200 within %d ms\n", s->start_timeout_ms);
			kill(s->pid, SIGKILL);
			reap(s, NULL, true);
			goto done;
		}
		flh_sleep_ms(25);
	}
done:
	strv_free(argv);
	sv_release(&env);
	return res;
}

static int launch_retrying(struct flh_server *s, int first_port)
{
	int port = first_port;
	for (int attempt = 0; attempt < PORT_ATTEMPTS; attempt++) {
		enum launch_result r;
		if (port <= 0)
			port = flh_free_port();
		if (port <= 0) {
			printf("# flh: no free port: %s\n", strerror(errno));
			return -1;
		}
		r = launch(s, port);
		if (r == LAUNCH_OK)
			return 0;
		if (r != LAUNCH_PORT_TAKEN)
			break;
		port = 0; /* collision: pick another */
	}
	flh_server_log_tail(s, 40);
	return -1;
}

int flh_server_start(struct flh_server **out, const struct flh_server_opts *opts)
{
	struct flh_server *s;
	char tmpl[PATH_MAX];
	const char *t;

	harness_init();
	*out = NULL;
	s = fl_xmalloc(sizeof(*s));
	memset(s, 0, sizeof(*s));
	s->slot = -1;
	if (flt_tmpdir_make(tmpl, sizeof(tmpl), "flh") != 0) {
		printf("# flh: mkdtemp(%s): %s\n", tmpl, strerror(errno));
		free(s);
		return -1;
	}
	s->dir = fl_xstrdup(tmpl);
	s->db_path = xasprintf("%s/flyte.db", s->dir);
	s->log_path = xasprintf("%s/server.log", s->dir);
	s->args = strv_copy(opts ? opts->args : NULL);
	s->extra_env = strv_copy(opts ? opts->env : NULL);
	if (flh_store_is_pg() && !strv_has_name(s->extra_env, "FLYTE_DB_URL")) {
		char url[1024], why[600];
		if (pgtemp_database(url, sizeof(url), why, sizeof(why)) != 0) {
			printf("# flh: no PostgreSQL database for the server: %s\n", why);
			flt_tmpdir_remove(s->dir);
			free(s->dir);
			free(s->db_path);
			free(s->log_path);
			strv_free(s->args);
			strv_free(s->extra_env);
			free(s);
			return -1;
		}
		s->db_url = fl_xstrdup(url);
	}
	s->port_fixed = strv_has_name(s->extra_env, "FLYTE_PORT");
	s->tls = strv_has_name(s->extra_env, "FLYTE_TLS_CERT_PATH");
	s->start_timeout_ms = opts && opts->start_timeout_ms > 0 ? opts->start_timeout_ms : 0;
	if (!s->start_timeout_ms) {
		t = getenv("FLH_START_TIMEOUT_MS");
		s->start_timeout_ms = t && *t ? (int)strtol(t, NULL, 10) : DEFAULT_START_MS;
		if (s->start_timeout_ms <= 0)
			s->start_timeout_ms = DEFAULT_START_MS;
	}
	s->slot = reg_add(s, s->dir);
	if (s->slot < 0) {
		printf("# flh: too many servers\n");
		flh_server_free(s);
		return -1;
	}
	/* A caller-chosen FLYTE_PORT is the port the harness talks to. */
	if (launch_retrying(s, s->port_fixed ? (int)strtol(strv_value(s->extra_env, "FLYTE_PORT"), NULL, 10) : 0) !=
	    0) {
		flh_server_free(s);
		return -1;
	}
	*out = s;
	return 0;
}

int flh_server_restart(struct flh_server *s)
{
	if (s->pid > 0)
		flh_server_stop(s, 0, NULL);
	return launch_retrying(s, s->port);
}

int flh_server_wait(struct flh_server *s, int timeout_ms, int *wstatus)
{
	int64_t dl = flh_deadline(timeout_ms);
	if (s->pid <= 0)
		return -1;
	for (;;) {
		if (reap(s, wstatus, false))
			return 0;
		if (flh_expired(dl))
			return -1;
		flh_sleep_ms(10);
	}
}

int flh_server_stop(struct flh_server *s, int timeout_ms, int *wstatus)
{
	if (s->pid <= 0)
		return -1;
	kill(s->pid, SIGTERM);
	if (flh_server_wait(s, timeout_ms > 0 ? timeout_ms : DEFAULT_STOP_MS, wstatus) == 0)
		return 0;
	printf("# flh: server did not exit after SIGTERM; killing it\n");
	kill(s->pid, SIGKILL);
	reap(s, wstatus, true);
	return -1;
}

int flh_server_kill(struct flh_server *s)
{
	if (s->pid <= 0)
		return -1;
	kill(s->pid, SIGKILL);
	reap(s, NULL, true);
	log_marker(s->log_path, "killed with SIGKILL");
	return 0;
}

int flh_server_signal(struct flh_server *s, int sig)
{
	if (s->pid <= 0)
		return -1;
	return kill(s->pid, sig);
}

bool flh_server_running(struct flh_server *s)
{
	return s->pid > 0 && !reap(s, NULL, false);
}

void flh_server_free(struct flh_server *s)
{
	if (!s)
		return;
	if (s->pid > 0) {
		kill(s->pid, SIGKILL);
		reap(s, NULL, true);
	}
	if (s->dir && !keep_dirs)
		flt_tmpdir_remove(s->dir);
	else if (s->dir)
		printf("# flh: kept %s\n", s->dir);
	reg_remove(s->slot);
	if (s->db_url && !keep_dirs)
		pgtemp_drop(s->db_url);
	free(s->dir);
	free(s->db_path);
	free(s->db_url);
	free(s->log_path);
	strv_free(s->args);
	strv_free(s->extra_env);
	free(s);
}

const char *flh_server_url(const struct flh_server *s)
{
	return s->url;
}

int flh_server_port(const struct flh_server *s)
{
	return s->port;
}

const char *flh_server_dir(const struct flh_server *s)
{
	return s->dir;
}

const char *flh_server_db_url(const struct flh_server *s)
{
	return s->db_url;
}

bool flh_store_is_pg(void)
{
	const char *v = getenv("FLH_STORE");
	return v && strcmp(v, "pg") == 0;
}

const char *flh_server_db_path(const struct flh_server *s)
{
	return s->db_path;
}

pid_t flh_server_pid(const struct flh_server *s)
{
	return s->pid;
}

char *flh_server_log(const struct flh_server *s)
{
	return flt_read_file(s->log_path, 0, NULL);
}

/* Print the last `lines` lines of the log after byte `from`.  Returns the
 * log size, or 0 when there was nothing after `from`. */
static size_t print_tail(const struct flh_server *s, int lines, size_t from)
{
	size_t len = 0, pos;
	char *log = flt_read_file(s->log_path, 0, &len);
	const char *p;
	int seen = 0;
	if (!log) {
		printf("# flh: no log at %s\n", s->log_path);
		return 0;
	}
	if (len <= from) {
		free(log);
		return 0;
	}
	pos = len;
	if (log[pos - 1] == '\n')
		pos--;
	while (pos > from) {
		if (log[pos - 1] == '\n' && ++seen >= lines)
			break;
		pos--;
	}
	printf("# --- %s of %s (server on port %d) ---\n", from ? "new lines" : "last lines", s->log_path,
	       s->port);
	p = log + pos;
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		printf("# | %.*s\n", (int)FL_MIN(n, (size_t)400), p);
		p += n + (nl ? 1 : 0);
	}
	free(log);
	return len;
}

void flh_server_log_tail(const struct flh_server *s, int lines)
{
	print_tail(s, lines, 0);
}

/* ---- running the binary as a command --------------------------------------- */

int flh_run(const struct flh_run_opts *o, struct flh_run_result *r)
{
	const char *bin;
	struct strvec env = { 0 }, argv = { 0 };
	char *dir = NULL, *log_path = NULL, tmpl[PATH_MAX];
	char kv[DIR_MAX + 32];
	pid_t pid;
	int slot = -1;
	int rc = -1;
	int64_t dl;

	harness_init();
	memset(r, 0, sizeof(*r));
	bin = flyte_bin();
	if (!bin)
		return -1;
	if (flt_tmpdir_make(tmpl, sizeof(tmpl), "flh-run") != 0) {
		printf("# flh: mkdtemp: %s\n", strerror(errno));
		goto done;
	}
	dir = fl_xstrdup(tmpl);
	log_path = xasprintf("%s/output.log", dir);

	base_env(&env);
	snprintf(kv, sizeof(kv), "FLYTE_PORT=%d", flh_free_port());
	sv_setenv(&env, kv);
	sv_setenv(&env, "FLYTE_BIND_ADDRESS=127.0.0.1");
	snprintf(kv, sizeof(kv), "FLYTE_DB_PATH=%s/flyte.db",
		 dir);
	sv_setenv(&env, kv);
	if (o->like) {
		snprintf(kv, sizeof(kv), "FLYTE_DB_PATH=%s", o->like->db_path);
		sv_setenv(&env, kv);
		if (o->like->db_url) {
			char *u = xasprintf("FLYTE_DB_URL=%s", o->like->db_url);
			sv_setenv(&env, u);
			free(u);
		}
		for (size_t i = 0; o->like->extra_env && o->like->extra_env[i]; i++)
			if (strncmp(o->like->extra_env[i], "FLYTE_PORT=", 11) != 0)
				sv_setenv(&env, o->like->extra_env[i]);
	}
	for (size_t i = 0; o->env && o->env[i]; i++)
		sv_setenv(&env, o->env[i]);
	sv_push(&argv, fl_xstrdup(bin));
	for (size_t i = 0; o->args && o->args[i]; i++)
		sv_push(&argv, fl_xstrdup(o->args[i]));

	pthread_mutex_lock(&reg_lock);
	for (int i = 0; i < MAX_SERVERS; i++) {
		if (!reg_servers[i] && !sig_dir_set[i]) {
			slot = i;
			snprintf(sig_dirs[i], DIR_MAX, "%s", dir);
			sig_dir_set[i] = 1;
			break;
		}
	}
	pthread_mutex_unlock(&reg_lock);

	pid = spawn(bin, argv.v, env.v, log_path);
	if (pid < 0)
		goto done;
	if (slot >= 0)
		sig_pids[slot] = pid;
	dl = flh_deadline(o->timeout_ms > 0 ? o->timeout_ms : DEFAULT_STOP_MS);
	for (;;) {
		pid_t w = waitpid(pid, &r->wstatus, WNOHANG);
		if (w == pid)
			break;
		if (w < 0 && errno != EINTR)
			break;
		if (flh_expired(dl)) {
			r->timed_out = true;
			kill(pid, SIGKILL);
			waitpid(pid, &r->wstatus, 0);
			break;
		}
		flh_sleep_ms(10);
	}
	r->output = flt_read_file(log_path, 0, NULL);
	if (!r->output)
		r->output = fl_xstrdup("");
	rc = 0;
done:
	if (slot >= 0) {
		sig_pids[slot] = 0;
		sig_dir_set[slot] = 0;
	}
	if (dir)
		flt_tmpdir_remove(dir);
	free(dir);
	free(log_path);
	sv_release(&env);
	sv_release(&argv);
	return rc;
}

void flh_run_result_release(struct flh_run_result *r)
{
	free(r->output);
	r->output = NULL;
}

/* ---- HTTP -------------------------------------------------------------------- */

/* Responses are allocated inside this node so they can be tracked. */
struct tracked {
	struct flh_resp resp; /* first member: &t->resp == (void *)t */
	struct tracked *prev, *next;
};

static pthread_mutex_t track_lock = PTHREAD_MUTEX_INITIALIZER;
static struct tracked *track_head;

static void track(struct tracked *t)
{
	pthread_mutex_lock(&track_lock);
	t->prev = NULL;
	t->next = track_head;
	if (track_head)
		track_head->prev = t;
	track_head = t;
	pthread_mutex_unlock(&track_lock);
}

static void untrack(struct tracked *t)
{
	pthread_mutex_lock(&track_lock);
	if (t->prev)
		t->prev->next = t->next;
	else
		track_head = t->next;
	if (t->next)
		t->next->prev = t->prev;
	pthread_mutex_unlock(&track_lock);
}

static void resp_release(struct flh_resp *r)
{
	free(r->method);
	free(r->url);
	free(r->body);
	for (size_t i = 0; i < r->nheaders; i++) {
		free(r->headers[i].name);
		free(r->headers[i].value);
	}
	free(r->headers);
	if (r->json)
		json_decref(r->json);
}

void flh_resp_free(struct flh_resp *r)
{
	struct tracked *t = (struct tracked *)r;
	if (!r)
		return;
	untrack(t);
	resp_release(r);
	free(t);
}

void flh_release_all(void)
{
	for (;;) {
		struct tracked *t;
		pthread_mutex_lock(&track_lock);
		t = track_head;
		pthread_mutex_unlock(&track_lock);
		if (!t)
			break;
		flh_resp_free(&t->resp);
	}
}

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *ud)
{
	struct fl_buf *b = ud;
	size_t n = size * nmemb;
	fl_buf_add(b, ptr, n);
	return fl_buf_failed(b) ? 0 : n;
}

static size_t on_header(char *ptr, size_t size, size_t nmemb, void *ud)
{
	struct fl_buf *b = ud;
	size_t n = size * nmemb;
	if (n >= 5 && memcmp(ptr, "HTTP/", 5) == 0)
		fl_buf_reset(b); /* a new response block (after 100 Continue) */
	fl_buf_add(b, ptr, n);
	return n;
}

static void parse_headers(struct flh_resp *r, const char *block)
{
	size_t cap = 0;
	const char *p = block;
	while (*p) {
		const char *eol = strchr(p, '\n');
		size_t n = eol ? (size_t)(eol - p) : strlen(p);
		const char *colon = memchr(p, ':', n);
		if (colon && memcmp(p, "HTTP/", 5) != 0) {
			const char *v = colon + 1;
			const char *end = p + n;
			while (v < end && (*v == ' ' || *v == '\t'))
				v++;
			while (end > v && (end[-1] == '\r' || end[-1] == ' ' || end[-1] == '\t'))
				end--;
			if (r->nheaders == cap) {
				cap = cap ? cap * 2 : 16;
				r->headers = realloc(r->headers, cap * sizeof(*r->headers));
				if (!r->headers)
					abort();
			}
			r->headers[r->nheaders].name = fl_xmalloc((size_t)(colon - p) + 1);
			memcpy(r->headers[r->nheaders].name, p, (size_t)(colon - p));
			r->headers[r->nheaders].name[colon - p] = '\0';
			r->headers[r->nheaders].value = fl_xmalloc((size_t)(end - v) + 1);
			memcpy(r->headers[r->nheaders].value, v, (size_t)(end - v));
			r->headers[r->nheaders].value[end - v] = '\0';
			r->nheaders++;
		}
		p += n + (eol ? 1 : 0);
	}
}

struct flh_resp *flh_http(struct flh_server *s, const struct flh_req *req)
{
	struct tracked *t = fl_xmalloc(sizeof(*t));
	struct flh_resp *r = &t->resp;
	struct fl_buf body = FL_BUF_INIT((size_t)512 << 20);
	struct fl_buf hdrs = FL_BUF_INIT((size_t)4 << 20);
	struct curl_slist *hl = NULL;
	curl_mime *mime = NULL;
	const char *method = req->method ? req->method : "GET";
	char errbuf[CURL_ERROR_SIZE] = "";
	CURL *c;
	CURLcode cc;
	char *line;

	harness_init();
	memset(t, 0, sizeof(*t));
	track(t);
	r->method = fl_xstrdup(method);
	if (strncmp(req->url, "http://", 7) == 0 || strncmp(req->url, "https://", 8) == 0 || !s)
		r->url = fl_xstrdup(req->url);
	else
		r->url = xasprintf("%s%s", s->url, req->url);

	c = curl_easy_init();
	if (!c) {
		snprintf(r->error, sizeof(r->error), "curl_easy_init failed");
		return r;
	}
	curl_easy_setopt(c, CURLOPT_URL, r->url);
	curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, req->timeout_ms > 0 ? req->timeout_ms : (long)DEFAULT_HTTP_MS);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &hdrs);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	/* Test servers use throw-away certificates on loopback. */
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);

	for (size_t i = 0; req->headers && req->headers[i]; i++)
		hl = curl_slist_append(hl, req->headers[i]);
	if (req->accept) {
		line = xasprintf("Accept: %s", req->accept);
		hl = curl_slist_append(hl, line);
		free(line);
	}

	if (req->parts) {
		mime = curl_mime_init(c);
		for (size_t i = 0; i < req->nparts; i++) {
			const struct flh_part *pt = &req->parts[i];
			curl_mimepart *mp = curl_mime_addpart(mime);
			curl_mime_name(mp, pt->name);
			curl_mime_data(mp, pt->data, pt->len ? pt->len : strlen(pt->data));
			if (pt->filename)
				curl_mime_filename(mp, pt->filename);
			if (pt->type)
				curl_mime_type(mp, pt->type);
		}
		curl_easy_setopt(c, CURLOPT_MIMEPOST, mime);
		if (strcmp(method, "POST") != 0)
			curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	} else if (strcmp(method, "HEAD") == 0) {
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	} else {
		if (strcmp(method, "GET") != 0)
			curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
		if (req->body || strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0) {
			const char *b = req->body ? req->body : "";
			size_t blen = req->body_len ? req->body_len : strlen(b);
			curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)blen);
			curl_easy_setopt(c, CURLOPT_POSTFIELDS, b);
			if (!req->content_type)
				hl = curl_slist_append(hl, "Content-Type:");
		}
	}
	if (req->content_type) {
		line = xasprintf("Content-Type: %s", req->content_type);
		hl = curl_slist_append(hl, line);
		free(line);
	}
	if (hl)
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);

	cc = curl_easy_perform(c);
	r->curl_code = (int)cc;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	if (cc != CURLE_OK)
		snprintf(r->error, sizeof(r->error), "%s", errbuf[0] ? errbuf : curl_easy_strerror(cc));
	/* A transfer that failed before any answer has no status. */
	if (r->status == 100)
		r->status = 0;
	r->body = fl_buf_detach(&body, &r->body_len);
	if (!r->body) {
		r->body = fl_xstrdup("");
		r->body_len = 0;
	}
	parse_headers(r, hdrs.ptr);
	fl_buf_release(&hdrs);
	fl_buf_release(&body);
	curl_slist_free_all(hl);
	curl_mime_free(mime);
	curl_easy_cleanup(c);
	return r;
}

struct flh_resp *flh_get(struct flh_server *s, const char *path)
{
	struct flh_req req = { .url = path };
	return flh_http(s, &req);
}

struct flh_resp *flh_delete(struct flh_server *s, const char *path)
{
	struct flh_req req = { .method = "DELETE", .url = path };
	return flh_http(s, &req);
}

struct flh_resp *flh_post_json(struct flh_server *s, const char *path, const char *json)
{
	struct flh_req req = { .method = "POST", .url = path, .body = json,
			       .content_type = "application/json" };
	return flh_http(s, &req);
}

struct flh_resp *flh_send(struct flh_server *s, const char *method, const char *path,
			  const char *content_type, const char *body)
{
	struct flh_req req = { .method = method, .url = path, .body = body,
			       .content_type = content_type };
	return flh_http(s, &req);
}

const char *flh_path(const char *fmt, ...)
{
	static _Thread_local char bufs[4][8192];
	static _Thread_local int next;
	char *b = bufs[next];
	va_list ap;
	next = (next + 1) % 4;
	va_start(ap, fmt);
	vsnprintf(b, sizeof(bufs[0]), fmt, ap);
	va_end(ap);
	return b;
}

const char *flh_resp_header(const struct flh_resp *r, const char *name)
{
	for (size_t i = 0; i < r->nheaders; i++)
		if (strcasecmp(r->headers[i].name, name) == 0)
			return r->headers[i].value;
	return NULL;
}

json_t *flh_resp_json(struct flh_resp *r)
{
	if (!r->json_tried) {
		json_error_t err;
		r->json_tried = true;
		r->json = json_loadb(r->body, r->body_len, JSON_DECODE_ANY, &err);
	}
	return r->json;
}

bool flh_resp_ctype_is(const struct flh_resp *r, const char *prefix)
{
	const char *ct = flh_resp_header(r, "Content-Type");
	return ct && strncasecmp(ct, prefix, strlen(prefix)) == 0;
}

bool flh_resp_is_json_error(struct flh_resp *r)
{
	json_t *j = flh_resp_json(r);
	json_t *e = j ? json_object_get(j, "error") : NULL;
	return flh_resp_ctype_is(r, "application/json") && json_is_string(e) &&
	       json_string_length(e) > 0;
}

void flh_resp_print(const struct flh_resp *r)
{
	const char *ct = flh_resp_header(r, "Content-Type");
	size_t n = FL_MIN(r->body_len, (size_t)800);
	printf("# > %s %.300s\n", r->method, r->url);
	if (r->status == 0)
		printf("# < no answer: %s\n", r->error);
	else
		printf("# < %ld, Content-Type: %s, %zu body bytes\n", r->status, ct ? ct : "(none)",
		       r->body_len);
	if (n) {
		printf("# < body: ");
		for (size_t i = 0; i < n; i++) {
			unsigned char ch = (unsigned char)r->body[i];
			if (ch == '\n')
				printf("\\n");
			else if (ch < 0x20 || ch == 0x7f)
				printf("\\x%02x", ch);
			else
				putchar(ch);
		}
		printf("%s\n", n < r->body_len ? "..." : "");
	}
}

/* ---- raw HTTP ---------------------------------------------------------------- */

static int connect_server(const struct flh_server *s)
{
	struct sockaddr_in sa;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons((uint16_t)s->port);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static bool send_all(int fd, const void *data, size_t len)
{
	const char *p = data;
	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		p += n;
		len -= (size_t)n;
	}
	return true;
}

int flh_raw_open(struct flh_server *s, const void *req, size_t len)
{
	int fd = connect_server(s);
	if (fd < 0)
		return -1;
	if (len && !send_all(fd, req, len)) {
		close(fd);
		return -1;
	}
	return fd;
}

long flh_raw(struct flh_server *s, const void *req, size_t len, bool shut_wr, int timeout_ms, char **out)
{
	struct fl_buf b = FL_BUF_INIT((size_t)16 << 20);
	int64_t dl = flh_deadline(timeout_ms);
	char chunk[8192];
	int fd = connect_server(s);
	long n;
	*out = NULL;
	if (fd < 0)
		return -1;
	send_all(fd, req, len); /* the server may close early; read what it said */
	if (shut_wr)
		shutdown(fd, SHUT_WR);
	for (;;) {
		struct timeval tv;
		int64_t left = dl - flh_now_ms();
		ssize_t got;
		if (left <= 0)
			break;
		tv.tv_sec = (time_t)(left / 1000);
		tv.tv_usec = (suseconds_t)((left % 1000) * 1000);
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		got = recv(fd, chunk, sizeof(chunk), 0);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		fl_buf_add(&b, chunk, (size_t)got);
	}
	close(fd);
	n = (long)b.len;
	*out = fl_buf_detach(&b, NULL);
	if (!*out)
		*out = fl_xstrdup("");
	return n;
}

int flh_raw_status(const char *raw)
{
	if (!raw || strncmp(raw, "HTTP/1.", 7) != 0 || !raw[7] || raw[8] != ' ')
		return 0;
	return (int)strtol(raw + 9, NULL, 10);
}

/* ---- JSON helpers ---------------------------------------------------------- */

json_t *flh_json(const char *text)
{
	json_error_t err;
	return json_loads(text, JSON_DECODE_ANY, &err);
}

json_t *flh_json_get(json_t *root, const char *path)
{
	json_t *cur = root;
	const char *p = path;
	while (cur && *p) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);
		char seg[256];
		if (n >= sizeof(seg))
			return NULL;
		memcpy(seg, p, n);
		seg[n] = '\0';
		if (json_is_array(cur)) {
			char *end;
			long idx = strtol(seg, &end, 10);
			if (end == seg || *end || idx < 0)
				return NULL;
			cur = json_array_get(cur, (size_t)idx);
		} else if (json_is_object(cur)) {
			cur = json_object_get(cur, seg);
		} else {
			return NULL;
		}
		p += n + (dot ? 1 : 0);
	}
	return cur;
}

const char *flh_json_str(json_t *root, const char *path)
{
	json_t *v = flh_json_get(root, path);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

const char *flh_link_href(json_t *links, const char *rel_suffix)
{
	size_t i, n = strlen(rel_suffix);
	json_t *l;
	if (!json_is_array(links))
		return NULL;
	json_array_foreach(links, i, l) {
		const char *rel = json_string_value(json_object_get(l, "rel"));
		size_t rl = rel ? strlen(rel) : 0;
		if (rel && rl >= n && strcmp(rel + rl - n, rel_suffix) == 0)
			return json_string_value(json_object_get(l, "href"));
	}
	return NULL;
}

static bool same_at(json_t *a, json_t *b, bool ordered, struct fl_buf *path, char *why,
		    size_t whylen)
{
	size_t mark = path->len;
	bool ok = true;
	if (json_is_number(a) && json_is_number(b)) {
		if (json_number_value(a) != json_number_value(b))
			goto differ;
		return true;
	}
	if (json_typeof(a) != json_typeof(b))
		goto differ;
	switch (json_typeof(a)) {
	case JSON_OBJECT: {
		const char *key;
		json_t *va;
		if (json_object_size(a) != json_object_size(b)) {
			if (why)
				snprintf(why, whylen, "at '%s': %zu members, expected %zu", path->ptr,
					 json_object_size(a), json_object_size(b));
			return false;
		}
		if (ordered) {
			void *ia = json_object_iter(a), *ib = json_object_iter(b);
			while (ia && ib) {
				const char *ka = json_object_iter_key(ia), *kb = json_object_iter_key(ib);
				if (strcmp(ka, kb) != 0) {
					if (why)
						snprintf(why, whylen, "at '%s': member '%s' where '%s' was expected",
							 path->ptr, ka, kb);
					return false;
				}
				fl_buf_addf(path, "%s%s", path->len ? "." : "", ka);
				ok = same_at(json_object_iter_value(ia), json_object_iter_value(ib), ordered,
					     path, why, whylen);
				fl_buf_truncate(path, mark);
				if (!ok)
					return false;
				ia = json_object_iter_next(a, ia);
				ib = json_object_iter_next(b, ib);
			}
			return true;
		}
		json_object_foreach(a, key, va) {
			json_t *vb = json_object_get(b, key);
			if (!vb) {
				if (why)
					snprintf(why, whylen, "at '%s': unexpected member '%s'", path->ptr, key);
				return false;
			}
			fl_buf_addf(path, "%s%s", path->len ? "." : "", key);
			ok = same_at(va, vb, ordered, path, why, whylen);
			fl_buf_truncate(path, mark);
			if (!ok)
				return false;
		}
		return true;
	}
	case JSON_ARRAY:
		if (json_array_size(a) != json_array_size(b)) {
			if (why)
				snprintf(why, whylen, "at '%s': %zu elements, expected %zu", path->ptr,
					 json_array_size(a), json_array_size(b));
			return false;
		}
		for (size_t i = 0; i < json_array_size(a); i++) {
			fl_buf_addf(path, "%s%zu", path->len ? "." : "", i);
			ok = same_at(json_array_get(a, i), json_array_get(b, i), ordered, path, why, whylen);
			fl_buf_truncate(path, mark);
			if (!ok)
				return false;
		}
		return true;
	case JSON_STRING:
		if (json_string_length(a) != json_string_length(b) ||
		    memcmp(json_string_value(a), json_string_value(b), json_string_length(a)) != 0)
			goto differ;
		return true;
	default:
		return true; /* true, false, null: same type is same value */
	}
differ:
	if (why) {
		char *da = flh_json_dump(a), *db = flh_json_dump(b);
		snprintf(why, whylen, "at '%s': %.150s, expected %.150s", path->ptr, da, db);
		free(da);
		free(db);
	}
	return false;
}

bool flh_json_same(json_t *a, json_t *b, bool ordered, char *why, size_t whylen)
{
	struct fl_buf path = FL_BUF_INIT(4096);
	bool ok;
	if (!a || !b) {
		if (why)
			snprintf(why, whylen, "%s is missing", !a ? "value" : "expected value");
		return a == b;
	}
	ok = same_at(a, b, ordered, &path, why, whylen);
	fl_buf_release(&path);
	return ok;
}

char *flh_json_dump(json_t *v)
{
	char *s = v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
	return s ? s : fl_xstrdup("(none)");
}

/* ---- fake pack --------------------------------------------------------------- */

static char *dup_or_null(const char *s)
{
	return s ? fl_xstrdup(s) : NULL;
}

long flh_pack_register(struct flh_pack *p, struct flh_server *s, const char *def_json)
{
	struct flh_resp *r;
	json_t *links;
	long st;
	memset(p, 0, sizeof(*p));
	p->srv = s;
	r = flh_post_json(s, "/v1/packs", def_json);
	st = r->status;
	if (st == 201) {
		json_t *j = flh_resp_json(r);
		p->location = dup_or_null(flh_resp_header(r, "Location"));
		p->id = dup_or_null(flh_json_str(j, "id"));
		links = json_object_get(j, "links");
		p->event_href = dup_or_null(flh_link_href(links, "event"));
		p->take_href = dup_or_null(flh_link_href(links, "takeAction"));
		p->body = j ? json_incref(j) : NULL;
	} else {
		flh_resp_print(r);
	}
	flh_resp_free(r);
	return st;
}

static char *event_body(const char *event, const char *payload_json)
{
	struct fl_buf b = FL_BUF_INIT(0);
	fl_buf_adds(&b, "{\"event\":");
	fl_buf_add_json_str(&b, event, strlen(event));
	if (payload_json) {
		fl_buf_adds(&b, ",\"payload\":");
		fl_buf_adds(&b, payload_json);
	}
	fl_buf_addc(&b, '}');
	return fl_buf_detach(&b, NULL);
}

long flh_pack_event(struct flh_pack *p, const char *event, const char *payload_json)
{
	char *body;
	struct flh_resp *r;
	long st;
	if (!p->event_href)
		return 0;
	body = event_body(event, payload_json);
	r = flh_post_json(p->srv, p->event_href, body);
	st = r->status;
	if (st != 202)
		flh_resp_print(r);
	flh_resp_free(r);
	free(body);
	return st;
}

long flh_pack_take(struct flh_pack *p, const char *query, struct flh_action *a)
{
	struct flh_resp *r;
	char *url;
	memset(a, 0, sizeof(*a));
	if (!p->take_href)
		return 0;
	if (query && *query)
		url = xasprintf("%s%c%s", p->take_href, strchr(p->take_href, '?') ? '&' : '?', query);
	else
		url = fl_xstrdup(p->take_href);
	r = flh_post_json(p->srv, url, "null");
	a->status = r->status;
	if (r->status == 200) {
		json_t *j = flh_resp_json(r);
		json_t *in = json_object_get(j, "input");
		a->command = dup_or_null(flh_json_str(j, "command"));
		a->input = in ? json_incref(in) : json_null();
		a->result_href = dup_or_null(flh_link_href(json_object_get(j, "links"), "actionResult"));
		a->body = j ? json_incref(j) : NULL;
	} else if (r->status != 204) {
		flh_resp_print(r);
	}
	flh_resp_free(r);
	free(url);
	return a->status;
}

long flh_pack_take_wait(struct flh_pack *p, const char *query, struct flh_action *a, int timeout_ms)
{
	int64_t dl = flh_deadline(timeout_ms);
	for (;;) {
		int64_t t0 = flh_now_ms();
		long st = flh_pack_take(p, query, a);
		if (st != 204 || flh_expired(dl))
			return st;
		flh_action_release(a);
		if (flh_now_ms() - t0 < 20)
			flh_sleep_ms(20);
	}
}

long flh_action_result(struct flh_server *s, const struct flh_action *a, const char *event,
		       const char *payload_json)
{
	char *body;
	struct flh_resp *r;
	long st;
	if (!a->result_href)
		return 0;
	body = event_body(event, payload_json);
	r = flh_post_json(s, a->result_href, body);
	st = r->status;
	if (st != 202)
		flh_resp_print(r);
	flh_resp_free(r);
	free(body);
	return st;
}

char *flh_pack_last_seen(struct flh_pack *p)
{
	struct flh_resp *r;
	char *v = NULL;
	if (!p->location)
		return NULL;
	r = flh_get(p->srv, p->location);
	if (r->status == 200)
		v = dup_or_null(flh_json_str(flh_resp_json(r), "lastSeen"));
	flh_resp_free(r);
	return v;
}

void flh_pack_release(struct flh_pack *p)
{
	free(p->id);
	free(p->location);
	free(p->event_href);
	free(p->take_href);
	if (p->body)
		json_decref(p->body);
	memset(p, 0, sizeof(*p));
}

void flh_action_release(struct flh_action *a)
{
	free(a->command);
	free(a->result_href);
	if (a->input)
		json_decref(a->input);
	if (a->body)
		json_decref(a->body);
	memset(a, 0, sizeof(*a));
}

/* ---- failure reporting ----------------------------------------------------- */

void flh_on_failure(void)
{
	for (int i = 0; i < MAX_SERVERS; i++) {
		struct flh_server *s;
		size_t shown;
		pthread_mutex_lock(&reg_lock);
		s = reg_servers[i];
		pthread_mutex_unlock(&reg_lock);
		if (!s)
			continue;
		/* Only what was logged since the previous failure report. */
		shown = print_tail(s, 30, s->log_reported);
		if (shown)
			s->log_reported = shown;
	}
	flh_release_all();
	fflush(stdout);
}
