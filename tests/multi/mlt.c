/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mlt.c - servers on one PostgreSQL database behind haproxy (see mlt.h).
 */
#include "fl-common.h"

#include "mlt.h"
#include "pgtemp.h"
#include "fsutil.h"

#include "buf.h"

#include <ctype.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <arpa/inet.h>

#define MAX_TRACKED 16
#define BALANCER_START_MS 30000

struct mlt_balancer {
	pid_t pid;
	char dir[256];
	char cfg_path[300];
	char log_path[300];
	char url[64];
	int slot;
};

/* what is cleaned up at exit when a failed test left it behind */
static struct mlt_balancer *live_balancers[MAX_TRACKED];
static char databases[MAX_TRACKED][1024];
static bool exit_hook;

static void at_exit(void)
{
	for (size_t i = 0; i < MAX_TRACKED; i++)
		mlt_balancer_free(live_balancers[i]);
	for (size_t i = 0; i < MAX_TRACKED; i++)
		if (databases[i][0] && !getenv("FLH_KEEP"))
			pgtemp_drop(databases[i]);
}

static void hook(void)
{
	if (!exit_hook) {
		atexit(at_exit);
		exit_hook = true;
	}
}

int mlt_database(char *url, size_t len)
{
	char why[600];

	hook();
	if (pgtemp_database(url, len, why, sizeof(why)) != 0) {
		printf("# mlt: no PostgreSQL database: %s\n", why);
		return -1;
	}
	for (size_t i = 0; i < MAX_TRACKED; i++) {
		if (!databases[i][0]) {
			snprintf(databases[i], sizeof(databases[i]), "%s", url);
			break;
		}
	}
	return 0;
}

int mlt_admin_sql(const char *statement)
{
	const char *server;
	char conn[1200], why[600];
	PGconn *c;
	PGresult *r;
	int rc = 0;

	if (pgtemp_server(&server, why, sizeof(why)) != 0) {
		printf("# mlt: no PostgreSQL server: %s\n", why);
		return -1;
	}
	snprintf(conn, sizeof(conn), "%s dbname=postgres", server);
	c = PQconnectdb(conn);
	if (PQstatus(c) != CONNECTION_OK) {
		printf("# mlt: cannot connect to the test PostgreSQL: %s", PQerrorMessage(c));
		PQfinish(c);
		return -1;
	}
	r = PQexec(c, statement);
	if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK) {
		printf("# mlt: %s: %s", statement, PQresultErrorMessage(r));
		rc = -1;
	}
	PQclear(r);
	PQfinish(c);
	return rc;
}

bool mlt_dbname(const char *url, char *out, size_t len)
{
	const char *d = url ? strstr(url, "dbname=") : NULL;
	size_t n;

	if (!d)
		return false;
	d += 7;
	n = strcspn(d, " ");
	if (!n || n >= len)
		return false;
	memcpy(out, d, n);
	out[n] = '\0';
	return true;
}

int mlt_servers_start(struct flh_server **out, size_t n, const char *url, int take_wait_ms,
		      const char *const *extra_env)
{
	char db[1200], wait[64];
	const char *env[32];
	size_t k = 0;
	struct flh_server_opts opts = { 0 };

	snprintf(db, sizeof(db), "FLYTE_DB_URL=%s", url);
	snprintf(wait, sizeof(wait), "FLYTE_TAKE_WAIT_MS=%d", take_wait_ms);
	env[k++] = db;
	env[k++] = wait;
	/* behind a balancer every client has the balancer's address (docs/multi-instance.md) */
	env[k++] = "FLYTE_MAX_CONNECTIONS_PER_ADDRESS=0";
	for (size_t i = 0; extra_env && extra_env[i] && k < FL_ARRAY_LEN(env) - 1; i++)
		env[k++] = extra_env[i];
	env[k] = NULL;
	opts.env = env;
	for (size_t i = 0; i < n; i++) {
		out[i] = NULL;
		if (flh_server_start(&out[i], &opts) != 0) {
			printf("# mlt: server %zu of %zu did not start\n", i + 1, n);
			for (size_t j = 0; j < i; j++) {
				flh_server_free(out[j]);
				out[j] = NULL;
			}
			return -1;
		}
	}
	return 0;
}

/* ------------------------------------------------ the documented configuration */

/* The fenced block after "<!-- haproxy.cfg -->" in MLT_DOC (caller frees), or NULL. */
static char *doc_config(void)
{
	const char *path = getenv("MLT_DOC");
	struct fl_buf out = FL_BUF_INIT(1 << 20);
	char line[1024];
	int state = 0; /* 0 before the marker, 1 before the fence, 2 inside */
	FILE *f;

	if (!path || !*path) {
		printf("# mlt: MLT_DOC (docs/multi-instance.md) is not set\n");
		return NULL;
	}
	f = fopen(path, "r");
	if (!f) {
		printf("# mlt: cannot open %s: %s\n", path, strerror(errno));
		return NULL;
	}
	while (fgets(line, sizeof(line), f)) {
		if (state == 0 && strncmp(line, "<!-- haproxy.cfg -->", 20) == 0)
			state = 1;
		else if (state == 1 && strncmp(line, "```", 3) == 0)
			state = 2;
		else if (state == 2 && strncmp(line, "```", 3) == 0) {
			state = 3;
			break;
		} else if (state == 2)
			fl_buf_adds(&out, line);
	}
	fclose(f);
	if (state != 3 || !out.len) {
		printf("# mlt: no haproxy configuration after '<!-- haproxy.cfg -->' in %s\n", path);
		fl_buf_release(&out);
		return NULL;
	}
	return fl_buf_detach(&out, NULL);
}

/* Leading blanks skipped; true when the line's first word is `word`. */
static bool first_word(const char *line, const char *word, const char **rest)
{
	size_t n = strlen(word);

	while (*line == ' ' || *line == '\t')
		line++;
	if (strncmp(line, word, n) != 0 || (line[n] != ' ' && line[n] != '\t' && line[n] != '\n' && line[n]))
		return false;
	if (rest) {
		line += n;
		while (*line == ' ' || *line == '\t')
			line++;
		*rest = line;
	}
	return true;
}

/* haproxy time: a number with an optional unit (us, ms, s, m, h, d; default ms). */
static long time_ms(const char *v)
{
	char *end;
	double x = strtod(v, &end);

	if (end == v)
		return -1;
	if (strncmp(end, "us", 2) == 0)
		return (long)(x / 1000);
	if (strncmp(end, "ms", 2) == 0)
		return (long)x;
	if (*end == 's')
		return (long)(x * 1000);
	if (*end == 'm')
		return (long)(x * 60000);
	if (*end == 'h')
		return (long)(x * 3600000);
	if (*end == 'd')
		return (long)(x * 86400000);
	return (long)x;
}

long mlt_doc_timeout_ms(const char *name)
{
	char *cfg = doc_config();
	long v = -1;

	for (const char *p = cfg; p && *p;) {
		const char *rest, *nl = strchr(p, '\n');
		if (first_word(p, "timeout", &rest) && first_word(rest, name, &rest))
			v = time_ms(rest);
		p = nl ? nl + 1 : p + strlen(p);
	}
	free(cfg);
	return v;
}

/*
 * What docs/multi-instance.md says of its configuration, checked: health
 * checks of /health on every server, client and server timeouts above the
 * longest take, and retries only of requests that were never sent.
 */
static int check_doc(const char *cfg)
{
	long tserver = mlt_doc_timeout_ms("server"), tclient = mlt_doc_timeout_ms("client");
	int bad = 0;

	if (!strstr(cfg, "option httpchk") || !strstr(cfg, "/health")) {
		printf("# mlt: the documented configuration does not check /health\n");
		bad++;
	}
	if (tserver <= MLT_TAKE_WAIT_MAX_MS || tclient <= MLT_TAKE_WAIT_MAX_MS) {
		printf("# mlt: the documented timeouts (server %ld ms, client %ld ms) must exceed the longest take (%d ms)\n",
		       tserver, tclient, MLT_TAKE_WAIT_MAX_MS);
		bad++;
	}
	for (const char *p = cfg; *p;) {
		const char *rest, *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		if (first_word(p, "server", &rest) && !strstr(rest, " check")) {
			printf("# mlt: documented server line without health check: %.*s\n", (int)n, p);
			bad++;
		}
		if (first_word(p, "retry-on", &rest) && strncmp(rest, "conn-failure", 12) != 0 &&
		    strncmp(rest, "none", 4) != 0) {
			/* a write whose answer was lost may have been committed: never send it twice */
			printf("# mlt: the documented configuration retries requests already sent: %.*s\n", (int)n, p);
			bad++;
		}
		p += n + (nl ? 1 : 0);
	}
	return bad ? -1 : 0;
}

/* The documented configuration with the test's addresses. */
static char *test_config(const char *cfg, int port, struct flh_server *const *srv, size_t n)
{
	struct fl_buf out = FL_BUF_INIT(1 << 20);
	size_t servers = 0, binds = 0;

	for (const char *p = cfg; *p;) {
		const char *rest, *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		if (first_word(p, "bind", &rest)) {
			fl_buf_addf(&out, "    bind 127.0.0.1:%d\n", port);
			binds++;
		} else if (first_word(p, "server", &rest)) {
			/* server NAME ADDRESS OPTIONS... */
			const char *name = rest, *addr, *opts;
			size_t nlen = strcspn(name, " \t\n");
			addr = name + nlen;
			addr += strspn(addr, " \t");
			opts = addr + strcspn(addr, " \t\n");
			if (servers < n)
				fl_buf_addf(&out, "    server %.*s 127.0.0.1:%d%.*s\n", (int)nlen, name,
					    flh_server_port(srv[servers]), (int)(p + len - opts), opts);
			servers++;
		} else {
			fl_buf_add(&out, p, len);
			fl_buf_addc(&out, '\n');
		}
		p += len + (nl ? 1 : 0);
	}
	if (binds != 1 || servers < n) {
		printf("# mlt: the documented configuration has %zu bind lines and %zu servers; the test needs 1 and %zu\n",
		       binds, servers, n);
		fl_buf_release(&out);
		return NULL;
	}
	return fl_buf_detach(&out, NULL);
}

/* ------------------------------------------------------------- haproxy */

static const char *haproxy_bin(void)
{
	static const char *const dirs[] = { "/usr/sbin", "/usr/local/sbin", "/usr/bin", "/sbin" };
	static char found[300];
	const char *env = getenv("MLT_HAPROXY");

	if (env && *env)
		return env;
	for (size_t i = 0; i < FL_ARRAY_LEN(dirs); i++) {
		snprintf(found, sizeof(found), "%s/haproxy", dirs[i]);
		if (access(found, X_OK) == 0)
			return found;
	}
	return NULL;
}

static void print_file(const char *path, const char *what)
{
	char line[512];
	FILE *f = fopen(path, "r");

	if (!f)
		return;
	printf("# --- %s (%s) ---\n", what, path);
	while (fgets(line, sizeof(line), f))
		printf("# | %s%s", line, strchr(line, '\n') ? "" : "\n");
	fclose(f);
}

static pid_t spawn_haproxy(const char *bin, const struct mlt_balancer *b)
{
	const char *argv[] = { bin, "-f", b->cfg_path, "-db", NULL };
	int logfd = open(b->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	pid_t pid;

	if (logfd < 0)
		return -1;
	pid = flh_spawn(bin, (char *const *)argv, NULL, logfd);
	close(logfd);
	return pid;
}

static bool exited(pid_t pid)
{
	int st;
	pid_t r;

	do
		r = waitpid(pid, &st, WNOHANG);
	while (r < 0 && errno == EINTR);
	return r != 0;
}

int mlt_balancer_start(struct mlt_balancer **out, struct flh_server *const *srv, size_t n)
{
	const char *bin = haproxy_bin();
	struct mlt_balancer *b = NULL;
	char *doc = NULL, *cfg = NULL, tmpl[256];
	int64_t dl;
	FILE *f;
	int port, rc = -1;

	hook();
	*out = NULL;
	if (!bin) {
		printf("# mlt: haproxy is not installed (Debian package 'haproxy'; ./dev deps installs it)\n");
		return -1;
	}
	doc = doc_config();
	if (!doc || check_doc(doc) != 0)
		goto done;
	port = flh_free_port();
	cfg = port > 0 ? test_config(doc, port, srv, n) : NULL;
	if (!cfg)
		goto done;
	if (flt_tmpdir_make(tmpl, sizeof(tmpl), "flyte-lb") != 0) {
		printf("# mlt: mkdtemp: %s\n", strerror(errno));
		goto done;
	}
	b = calloc(1, sizeof(*b));
	if (!b)
		abort();
	b->slot = -1;
	snprintf(b->dir, sizeof(b->dir), "%s", tmpl);
	snprintf(b->cfg_path, sizeof(b->cfg_path), "%s/haproxy.cfg", b->dir);
	snprintf(b->log_path, sizeof(b->log_path), "%s/haproxy.log", b->dir);
	snprintf(b->url, sizeof(b->url), "http://127.0.0.1:%d", port);
	for (int i = 0; i < MAX_TRACKED; i++) {
		if (!live_balancers[i]) {
			live_balancers[i] = b;
			b->slot = i;
			break;
		}
	}
	f = fopen(b->cfg_path, "w");
	if (!f || fputs(cfg, f) < 0 || fclose(f) != 0) {
		printf("# mlt: cannot write %s\n", b->cfg_path);
		goto done;
	}
	b->pid = spawn_haproxy(bin, b);
	if (b->pid <= 0) {
		printf("# mlt: cannot start %s: %s\n", bin, strerror(errno));
		b->pid = 0;
		goto done;
	}
	dl = flh_deadline(BALANCER_START_MS);
	for (;;) {
		struct flh_req req = { .url = "/health", .timeout_ms = 3000 };
		struct flh_resp *r;
		char url[128];
		bool ok;
		if (exited(b->pid)) {
			b->pid = 0;
			printf("# mlt: haproxy exited during start-up\n");
			print_file(b->log_path, "haproxy output");
			print_file(b->cfg_path, "haproxy configuration");
			goto done;
		}
		snprintf(url, sizeof(url), "%s/health", b->url);
		req.url = url;
		r = flh_http(NULL, &req);
		ok = r->status == 200;
		flh_resp_free(r);
		if (ok)
			break;
		if (flh_expired(dl)) {
			printf("# mlt: haproxy did not answer /health within %d ms\n", BALANCER_START_MS);
			print_file(b->log_path, "haproxy output");
			goto done;
		}
		flh_sleep_ms(50);
	}
	*out = b;
	b = NULL;
	rc = 0;
done:
	mlt_balancer_free(b);
	free(doc);
	free(cfg);
	return rc;
}

const char *mlt_balancer_url(const struct mlt_balancer *b)
{
	return b->url;
}

const char *mlt_balancer_config(const struct mlt_balancer *b)
{
	return b->cfg_path;
}

void mlt_balancer_free(struct mlt_balancer *b)
{
	if (!b)
		return;
	if (b->pid > 0) {
		kill(b->pid, SIGKILL);
		while (waitpid(b->pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	if (b->slot >= 0)
		live_balancers[b->slot] = NULL;
	if (b->dir[0] && !getenv("FLH_KEEP")) {
		flt_tmpdir_remove(b->dir);
	} else if (b->dir[0]) {
		printf("# mlt: kept %s\n", b->dir);
	}
	free(b);
}

/* ------------------------------------------------------------- misc */

bool mlt_action_id(const char *href, char *out, size_t len)
{
	const char *a = href ? strstr(href, "/actions/") : NULL, *e;

	if (!a)
		return false;
	a += 9;
	e = strchr(a, '/');
	if (!e || e == a || (size_t)(e - a) >= len)
		return false;
	memcpy(out, a, (size_t)(e - a));
	out[e - a] = '\0';
	return true;
}

bool mlt_status_transient(long status)
{
	return status == 0 || status == 502 || status == 503 || status == 504;
}
