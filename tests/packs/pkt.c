/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pkt.c - shared helpers of the protocol-pack tests (see pkt.h).
 */
#include "fl-common.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pkt.h"
#include "fsutil.h"

#define MAX_CHILDREN 32

static char dir[256];
static pid_t children[MAX_CHILDREN];
static int flow_seq;

void pkt_kill_others(pid_t keep)
{
	for (int i = 0; i < MAX_CHILDREN; i++)
		if (children[i] > 0 && children[i] != keep) {
			kill(children[i], SIGKILL);
			waitpid(children[i], NULL, 0);
			children[i] = 0;
		}
}

void pkt_kill_all(void)
{
	pkt_kill_others(0);
}

static void at_exit(void)
{
	pkt_kill_all();
	flt_tmpdir_remove(dir);
}

const char *pkt_dir(void)
{
	if (!dir[0]) {
		if (flt_tmpdir_make(dir, sizeof(dir), "flyte-packs") != 0) {
			perror("mkdtemp");
			abort();
		}
		chmod(dir, 0755); /* servers that drop privileges still read their files */
		atexit(at_exit);
	}
	return dir;
}

const char *pkt_path(const char *fmt, ...)
{
	static char bufs[8][512];
	static int next;
	char *b = bufs[next++ % 8];
	int n = snprintf(b, sizeof(bufs[0]), "%s/", pkt_dir());
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(b + n, sizeof(bufs[0]) - (size_t)n, fmt, ap);
	va_end(ap);
	return b;
}

static int bound_port(int type, int port)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0), got = -1;

	if (fd < 0)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons((uint16_t)port);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 && getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
		got = ntohs(sa.sin_port);
	close(fd);
	return got;
}

int pkt_free_port(bool udp)
{
	for (int i = 0; i < 50; i++) {
		int port = bound_port(SOCK_STREAM, 0);
		if (port > 0 && (!udp || bound_port(SOCK_DGRAM, port) == port))
			return port;
	}
	return -1;
}

bool pkt_wait_port(int port, int timeout_ms)
{
	int64_t dl = flh_deadline(timeout_ms);

	do {
		struct sockaddr_in sa;
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		bool ok;

		memset(&sa, 0, sizeof(sa));
		sa.sin_family = AF_INET;
		sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		sa.sin_port = htons((uint16_t)port);
		ok = fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
		if (fd >= 0)
			close(fd);
		if (ok)
			return true;
		flh_sleep_ms(20);
	} while (!flh_expired(dl));
	return false;
}

static void track(pid_t pid)
{
	for (int i = 0; i < MAX_CHILDREN; i++)
		if (children[i] <= 0) {
			children[i] = pid;
			return;
		}
}

static void untrack(pid_t pid)
{
	for (int i = 0; i < MAX_CHILDREN; i++)
		if (children[i] == pid)
			children[i] = 0;
}

static pid_t spawn_fd(const char *const *argv, const char *const *env, int outfd)
{
	char **envp = flh_child_env(NULL, env);
	pid_t pid = flh_spawn(argv[0], (char *const *)argv, envp, outfd);

	free(envp);
	if (pid > 0)
		track(pid);
	return pid;
}

pid_t pkt_spawn(const char *const *argv, const char *const *env, const char *logname)
{
	int fd = open(pkt_path("%s", logname), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	pid_t pid;

	if (fd < 0)
		return -1;
	pid = spawn_fd(argv, env, fd);
	close(fd);
	return pid;
}

static int reap(pid_t pid, int timeout_ms, int *status)
{
	int64_t dl = flh_deadline(timeout_ms);

	for (;;) {
		pid_t r = waitpid(pid, status, WNOHANG);
		if (r == pid || (r < 0 && errno == ECHILD)) {
			untrack(pid);
			return 0;
		}
		if (flh_expired(dl))
			return -1;
		flh_sleep_ms(10);
	}
}

int pkt_stop(pid_t pid, int timeout_ms)
{
	int status = 0;

	if (pid <= 0)
		return -1;
	kill(pid, SIGTERM);
	if (reap(pid, timeout_ms, &status)) {
		pkt_kill(pid);
		return -1;
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

void pkt_kill(pid_t pid)
{
	if (pid <= 0)
		return;
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	untrack(pid);
}

bool pkt_alive(pid_t pid)
{
	int status;

	if (pid <= 0)
		return false;
	if (waitpid(pid, &status, WNOHANG) == pid) {
		untrack(pid);
		return false;
	}
	return kill(pid, 0) == 0;
}

int pkt_run(const char *const *argv, const char *const *env, int timeout_ms, char **out)
{
	int p[2], status = 0;
	pid_t pid;
	size_t n = 0, cap = 4096;
	char *buf = malloc(cap);
	int64_t dl = flh_deadline(timeout_ms);

	if (!buf || pipe2(p, O_CLOEXEC))
		abort();
	pid = spawn_fd(argv, env, p[1]);
	close(p[1]);
	for (;;) {
		struct pollfd pfd = { p[0], POLLIN, 0 };
		ssize_t k;
		if (poll(&pfd, 1, 100) == 0) {
			if (flh_expired(dl))
				break;
			continue;
		}
		if (n + 1024 > cap && !(buf = realloc(buf, cap *= 2)))
			abort();
		k = read(p[0], buf + n, cap - n - 1);
		if (k <= 0)
			break;
		n += (size_t)k;
	}
	buf[n] = '\0';
	close(p[0]);
	if (pid > 0 && reap(pid, 1000, &status))
		pkt_kill(pid), status = -1;
	if (out)
		*out = buf;
	else
		free(buf);
	return pid > 0 && status >= 0 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

char *pkt_read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *b;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	b = malloc((size_t)(n < 0 ? 0 : n) + 1);
	if (!b)
		abort();
	n = (long)fread(b, 1, (size_t)(n < 0 ? 0 : n), f);
	b[n] = '\0';
	fclose(f);
	return b;
}

int pkt_write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -1;
	fputs(text, f);
	return fclose(f) ? -1 : 0;
}

void pkt_log_tail(const char *logname, int lines)
{
	char *text = pkt_read_file(pkt_path("%s", logname));
	const char *p;
	int seen = 0;

	if (!text)
		return;
	p = text + strlen(text);
	while (p > text && seen <= lines) {
		p--;
		if (*p == '\n')
			seen++;
	}
	if (*p == '\n')
		p++;
	printf("# --- %s\n", logname);
	while (*p) {
		size_t len = strcspn(p, "\n");
		printf("# | %.*s\n", (int)len, p);
		p += len + (p[len] == '\n');
	}
	free(text);
}

static bool pack_listed(struct flh_server *srv, const char *name)
{
	struct flh_resp *r = flh_get(srv, "/v1/packs");
	json_t *packs = json_object_get(flh_resp_json(r), "packs"), *p;
	bool found = false;
	size_t i;

	json_array_foreach(packs, i, p) {
		const char *n = json_string_value(json_object_get(p, "name"));
		if (n && !strcmp(n, name))
			found = true;
	}
	flh_resp_free(r);
	return found;
}

pid_t pkt_pack_start(struct flh_server *srv, const char *bin, const char *name, const char *const *env,
		     const char *logname)
{
	const char *args[] = { bin, NULL };
	const char *full[32];
	char api[256];
	size_t n = 0;
	pid_t pid;
	bool ok;

	snprintf(api, sizeof(api), "FLYTE_API=%s", flh_server_url(srv));
	full[n++] = api;
	full[n++] = "FLYTE_LOG_LEVEL=debug";
	for (size_t i = 0; env && env[i] && n < 31; i++)
		full[n++] = env[i];
	full[n] = NULL;
	pid = pkt_spawn(args, full, logname);
	if (pid <= 0)
		return -1;
	FLH_WAIT_FOR(ok, 20000, !pkt_alive(pid) || pack_listed(srv, name));
	if (!ok || !pkt_alive(pid)) {
		printf("# pack %s did not register\n", name);
		pkt_log_tail(logname, 30);
		return -1;
	}
	return pid;
}

long pkt_flow(struct flh_server *srv, const char *flow_json)
{
	struct flh_resp *r = flh_post_json(srv, "/v1/flows", flow_json);
	long st = r->status;

	if (st != 201)
		printf("# flow refused (%ld): %s\n", st, r->body);
	flh_resp_free(r);
	return st;
}

/* The test's own event source; registered again whenever the server changes. */
static struct flh_pack src;
static struct flh_server *src_srv;

const char *pkt_action_start(struct flh_server *srv, const char *pack, const char *command,
			     const char *input_json)
{
	static char names[64][32];
	char flow[8192], *name;

	if (src_srv != srv) {
		flh_pack_release(&src);
		memset(&src, 0, sizeof(src));
		if (flh_pack_register(&src, srv, "{\"name\":\"TestSource\"}") != 201)
			return NULL;
		src_srv = srv;
	}
	name = names[flow_seq % 64];
	snprintf(name, sizeof(names[0]), "case%d", ++flow_seq);
	snprintf(flow, sizeof(flow),
		 "{\"name\":\"%s\",\"steps\":[{\"id\":\"s\",\"event\":{\"packName\":\"TestSource\",\"name\":\"%s\"},"
		 "\"command\":{\"packName\":\"%s\",\"name\":\"%s\",\"input\":%s}}]}",
		 name, name, pack, command, input_json);
	if (pkt_flow(srv, flow) != 201 || flh_pack_event(&src, name, "{}") != 202)
		return NULL;
	return name;
}

json_t *pkt_action_wait(struct flh_server *srv, const char *flow, int timeout_ms)
{
	char path[128];
	json_t *found = NULL;
	int64_t dl = flh_deadline(timeout_ms);

	snprintf(path, sizeof(path), "/v1/audit/flows?flowName=%s", flow);
	while (!found && !flh_expired(dl)) {
		struct flh_resp *r = flh_get(srv, path);
		json_t *a = flh_json_get(flh_resp_json(r), "flows.0.actions.s");
		const char *st = flh_json_str(a, "state.value");
		if (st && (!strcmp(st, "SUCCESS") || !strcmp(st, "FATAL")))
			found = json_incref(a);
		flh_resp_free(r);
		if (!found)
			flh_sleep_ms(25);
	}
	return found;
}

json_t *pkt_action(struct flh_server *srv, const char *pack, const char *command, const char *input_json,
		   int timeout_ms)
{
	const char *flow = pkt_action_start(srv, pack, command, input_json);

	return flow ? pkt_action_wait(srv, flow, timeout_ms) : NULL;
}

json_t *pkt_wait_trigger(struct flh_server *srv, const char *flow, const char *step, const char *key,
			 const char *value, int timeout_ms)
{
	char path[256], kpath[128];
	json_t *found = NULL;
	int64_t dl = flh_deadline(timeout_ms);

	snprintf(path, sizeof(path), "/v1/audit/flows?flowName=%s&limit=200", flow);
	snprintf(kpath, sizeof(kpath), "trigger.payload.%s", key ? key : "");
	while (!found && !flh_expired(dl)) {
		struct flh_resp *r = flh_get(srv, path);
		json_t *flows = json_object_get(flh_resp_json(r), "flows"), *e;
		size_t i;
		json_array_foreach(flows, i, e) {
			json_t *a = json_object_get(json_object_get(e, "actions"), step);
			const char *v = key ? flh_json_str(a, kpath) : NULL;
			if (!found && a && (!key || (v && !strcmp(v, value))))
				found = json_incref(a);
		}
		flh_resp_free(r);
		if (!found)
			flh_sleep_ms(25);
	}
	return found;
}

size_t pkt_count_executions(struct flh_server *srv, const char *flow)
{
	char path[256];
	struct flh_resp *r;
	size_t n;

	snprintf(path, sizeof(path), "/v1/audit/flows?flowName=%s&limit=200", flow);
	r = flh_get(srv, path);
	n = json_array_size(json_object_get(flh_resp_json(r), "flows"));
	flh_resp_free(r);
	return n;
}
