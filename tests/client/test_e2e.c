/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_e2e.c - flytectl, flyte-shell and libflyte against the real flyte
 * server (started through tests/harness).
 *
 *  - try_it_in_a_minute runs the sequence of README.md: the flow YAML is
 *    read from that file, applied with `flytectl flow apply`, an event is
 *    sent with `flytectl event send`, the real Shell pack runs both steps
 *    (its Output continues the flow), and `flytectl execution get` shows
 *    the states;
 *  - the library cases: the server is down when a pack starts, the server
 *    restarts while a handler runs (its result still lands), the pack
 *    record is deleted (a take answers 404 and the pack registers again),
 *    heartbeats keep the lease of a handler that runs longer than it;
 *  - `flytectl execution get` lists the attempts of a redelivered action.
 *
 * Child processes (packs) are killed at the end of each case and by an
 * atexit handler if a case fails half-way; the harness removes the
 * server's temporary directory.
 */
#include "fl-common.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdatomic.h>
#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>

#include <flyte.h>

#include "fltest.h"
#include "harness.h"
#include "fsutil.h"

#define MAX_CHILDREN 8

static pid_t children[MAX_CHILDREN];
static char tmpdir[64];

static void kill_children(void)
{
	for (int i = 0; i < MAX_CHILDREN; i++) {
		if (children[i] > 0) {
			kill(children[i], SIGKILL);
			waitpid(children[i], NULL, 0);
			children[i] = 0;
		}
	}
}

static void at_exit(void)
{
	kill_children();
	if (flt_tmpdir_remove(tmpdir) != 0)
		fprintf(stderr, "cannot remove %s\n", tmpdir);
	tmpdir[0] = '\0';
}

/* Start a long-running child with output to <tmpdir>/<logname>; returns its pid. */
static pid_t start_child(const char *bin, const char *const *extra_env, const char *logname)
{
	char log[128], **env = flh_child_env(NULL, extra_env);
	char *argv[] = { (char *)bin, NULL };
	pid_t pid = -1;
	int fd;

	snprintf(log, sizeof(log), "%s/%s", tmpdir, logname);
	fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd >= 0) {
		pid = flh_spawn(bin, argv, env, fd);
		close(fd);
	}
	free(env);
	for (int i = 0; pid > 0 && i < MAX_CHILDREN; i++)
		if (!children[i]) {
			children[i] = pid;
			break;
		}
	return pid;
}

/* SIGTERM a child and return its exit code (-1 if it had to be killed). */
static int stop_child(pid_t pid)
{
	int status = 0;

	kill(pid, SIGTERM);
	for (int i = 0; i < 1000; i++) {
		if (waitpid(pid, &status, WNOHANG) == pid) {
			for (int k = 0; k < MAX_CHILDREN; k++)
				if (children[k] == pid)
					children[k] = 0;
			return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
		}
		usleep(10000);
	}
	kill_children();
	return -1;
}

struct run {
	int code;
	char out[65536];
};

/* One more "K=V" for flytectl's environment (the tests' own FLYTE_* are not passed on). */
static const char *ctl_extra_env;

/* Run flytectl with args against server url; output (stdout+stderr) in r->out. */
static void flytectl(struct run *r, const char *url, const char *const *args)
{
	posix_spawn_file_actions_t fa;
	char api[128], *argv[24], **env;
	const char *extra[] = { api, ctl_extra_env, NULL };
	int p[2], status = 0;
	size_t n = 0, argc = 0;
	pid_t pid;

	snprintf(api, sizeof(api), "FLYTE_API=%s", url);
	argv[argc++] = getenv("FLYTECTL_BIN");
	for (size_t i = 0; args[i] && argc < 23; i++)
		argv[argc++] = (char *)args[i];
	argv[argc] = NULL;
	env = flh_child_env(NULL, extra);
	if (pipe(p))
		abort();
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, p[1], 1);
	posix_spawn_file_actions_adddup2(&fa, p[1], 2);
	posix_spawn_file_actions_addclose(&fa, p[0]);
	if (posix_spawn(&pid, argv[0], &fa, NULL, argv, env))
		abort();
	posix_spawn_file_actions_destroy(&fa);
	free(env);
	close(p[1]);
	for (;;) {
		ssize_t k = read(p[0], r->out + n, sizeof(r->out) - 1 - n);
		if (k <= 0)
			break;
		n += (size_t)k;
	}
	r->out[n] = '\0';
	close(p[0]);
	waitpid(pid, &status, 0);
	r->code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

#define CTL_OK(r, url, ...)                                                                       \
	do {                                                                                      \
		const char *a_[] = { __VA_ARGS__, NULL };                                         \
		flytectl((r), (url), a_);                                                         \
		FLH_ASSERT_MSG((r)->code == 0, "flytectl %s exited %d: %s", a_[0], (r)->code, (r)->out); \
	} while (0)

static const char *nz(const char *s)
{
	return s ? s : "";
}

/* Wait up to 30 s until the pack's statistics st meet cond (an expression over st); ok: they did. */
#define WAIT_STATS(ok, p, st, cond) FLH_WAIT_FOR(ok, 30000, (flyte_pack_get_stats((p), &(st)), (cond)))

/* README.md's try-it flow (the hello.yaml block), written to <tmpdir>/hello.yaml, whose path goes to path. */
static void write_try_it_flow(char *path, size_t len)
{
	char *yaml = flh_doc_fenced(getenv("FLYTE_DOC_TRYIT"), "<!-- try-it: hello.yaml -->");
	FILE *f;

	FLH_ASSERT_MSG(yaml != NULL, "no '<!-- try-it: hello.yaml -->' block in README.md");
	snprintf(path, len, "%s/hello.yaml", tmpdir);
	f = fopen(path, "w");
	if (!f)
		free(yaml);
	FLH_ASSERT(f != NULL);
	fputs(yaml, f);
	fclose(f);
	free(yaml);
}

FLT_TEST(try_it_in_a_minute)
{
	struct flh_server *srv = NULL;
	struct run r;
	char flowfile[128], api[128], id[64] = "";
	const char *url;
	json_t *j, *execs, *acts;
	bool ok = false;
	pid_t shell;

	write_try_it_flow(flowfile, sizeof(flowfile));

	/* 1. the server */
	FLH_ASSERT(flh_server_start(&srv, NULL) == 0);
	url = flh_server_url(srv);
	snprintf(api, sizeof(api), "FLYTE_API=%s", url);
	/* 2. the Shell pack */
	const char *shell_env[] = { api, NULL };
	shell = start_child(getenv("FLYTE_SHELL_BIN"), shell_env, "shell.log");
	FLH_ASSERT(shell > 0);
	/* 3. the flow */
	CTL_OK(&r, url, "flow", "apply", "-f", flowfile);
	FLH_ASSERT(strstr(r.out, "flow hello applied"));
	/* the pack is up once it appears in the pack list */
	for (int i = 0; i < 500 && !strstr(r.out, "Shell"); i++) {
		usleep(20000);
		CTL_OK(&r, url, "pack", "list");
	}
	FLH_ASSERT_MSG(strstr(r.out, "Shell"), "the Shell pack did not register: %s", r.out);
	/* 4. the event */
	CTL_OK(&r, url, "event", "send", "--pack", "Cli", "Hello", "-d", "{\"who\": \"world\"}");
	FLH_ASSERT(strstr(r.out, "event Hello sent as pack Cli"));
	/* 5. the execution: both Shell actions run, the second one fed by the first's Output */
	for (int i = 0; i < 1500 && !ok; i++) {
		CTL_OK(&r, url, "execution", "list", "--flow", "hello", "-o", "json");
		j = json_loads(r.out, 0, NULL);
		execs = json_array_get(j, 0);
		acts = json_object_get(execs, "actions");
		ok = json_object_size(acts) == 2 && !strcmp(nz(flh_json_str(acts, "second.state.value")), "SUCCESS");
		if (execs)
			snprintf(id, sizeof(id), "%s", nz(flh_json_str(execs, "correlationId")));
		json_decref(j);
		if (!ok)
			usleep(20000);
	}
	FLH_ASSERT_MSG(ok, "the execution did not finish: %s", r.out);
	CTL_OK(&r, url, "execution", "get", id);
	FLH_ASSERT(strstr(r.out, "state: SUCCEEDED"));
	FLH_ASSERT(strstr(r.out, "first "));
	CTL_OK(&r, url, "execution", "get", id, "-o", "json");
	j = json_loads(r.out, 0, NULL);
	FLH_ASSERT(j != NULL);
	acts = json_object_get(j, "actions");
	FLH_EQ_STR(flh_json_str(acts, "first.state.value"), "SUCCESS");
	FLH_EQ_STR(flh_json_str(acts, "first.input"), "echo hello world");
	FLH_EQ_STR(flh_json_str(acts, "first.result.event"), "Output");
	FLH_EQ_STR(flh_json_str(acts, "first.result.payload.stdout"), "hello world\n");
	FLH_EQ_STR(flh_json_str(acts, "second.state.value"), "SUCCESS");
	FLH_EQ_STR(flh_json_str(acts, "second.result.payload.stdout"), "got: hello world\n");
	FLH_EQ_INT(json_integer_value(flh_json_get(acts, "second.result.payload.exit_code")), 0);
	json_decref(j);

	/* a missing execution is exit code 3 */
	const char *missing[] = { "execution", "get", "000000000000000000000000", NULL };
	flytectl(&r, url, missing);
	FLH_EQ_INT(r.code, 3);
	/* the pack stops cleanly on SIGTERM */
	FLH_EQ_INT(stop_child(shell), 0);
	flh_server_free(srv);
}

/* ------------------------------------------------------------- library */

static atomic_int handled;
static atomic_bool hold;

static int echo(const char *in, size_t len, struct flyte_result *out, void *payload)
{
	while (atomic_load(&hold))
		usleep(5000);
	atomic_fetch_add(&handled, 1);
	return flyte_result_set(out, "Echoed", in);
}

static const char echo_flow[] =
	"{\"name\":\"echo\",\"steps\":[{\"id\":\"echo\",\"event\":{\"packName\":\"Src\",\"name\":\"Go\"},"
	"\"command\":{\"packName\":\"E2E\",\"name\":\"Echo\",\"input\":\"{{ Event.Payload.n }}\"}}]}";

static struct flyte_client *lib_client(const char *url)
{
	struct flyte_client_options o;
	struct flyte_client *c = NULL;

	flyte_client_options_init(&o);
	o.api_url = url;
	o.timeout_ms = 5000;
	if (getenv("FLYTE_TEST_LOG"))
		o.log_fn = flyte_log_stderr, o.log_level = FLYTE_LOG_DEBUG;
	if (flyte_client_new(&c, &o))
		FLH_FAIL("client: %s", flyte_last_error());
	return c;
}

static struct flyte_pack *lib_pack(struct flyte_client *c)
{
	static const char *const outs[] = { "Echoed" };
	static const struct flyte_command_def cmd = { "Echo", outs, 1, echo, NULL, NULL };
	struct flyte_pack_def def = { 0 };
	struct flyte_pack_options po;
	struct flyte_pack *p = NULL;

	def.name = "E2E";
	def.commands = &cmd;
	def.n_commands = 1;
	flyte_pack_options_init(&po);
	po.retry_initial_ms = 50;
	po.retry_max_ms = 500;
	if (flyte_pack_new(&p, c, &def, &po) || flyte_pack_start(p))
		FLH_FAIL("pack: %s", flyte_last_error());
	return p;
}

/* Post event Go {n} from pack Src; wait until the execution's action is SUCCESS with payload n. */
static void roundtrip(struct flh_server *srv, struct flh_pack *src, int n)
{
	char payload[64], path[128];
	bool ok = false;

	snprintf(payload, sizeof(payload), "{\"n\":\"%d\"}", n);
	FLH_EQ_INT(flh_pack_event(src, "Go", payload), 202);
	for (int i = 0; i < 1500 && !ok; i++) {
		struct flh_resp *r = flh_get(srv, "/v1/audit/flows?flowName=echo&limit=100");
		json_t *flows = json_object_get(flh_resp_json(r), "flows"), *e;
		size_t k;
		json_array_foreach(flows, k, e) {
			const char *st = flh_json_str(e, "actions.echo.state.value");
			snprintf(path, sizeof(path), "%d", n);
			if (st && !strcmp(st, "SUCCESS") && flh_json_str(e, "actions.echo.result.payload") &&
			    !strcmp(flh_json_str(e, "actions.echo.result.payload"), path))
				ok = true;
		}
		flh_resp_free(r);
		if (!ok)
			flh_sleep_ms(20);
	}
	FLH_ASSERT_MSG(ok, "action for event %d did not complete", n);
}

static void setup_flow(struct flh_server *srv, struct flh_pack *src)
{
	struct flh_resp *r = flh_post_json(srv, "/v1/flows", echo_flow);
	FLH_STATUS(r, 201);
	flh_resp_free(r);
	FLH_EQ_INT(flh_pack_register(src, srv, "{\"name\":\"Src\"}"), 201);
}

/* A server with the flow "echo" and its pack Src, and a libflyte pack that has done one round trip. */
struct echo_env {
	struct flh_server *srv;
	struct flh_pack src;
	struct flyte_client *c;
	struct flyte_pack *p;
};

static void echo_start(struct echo_env *e)
{
	memset(e, 0, sizeof(*e));
	FLH_ASSERT(flh_server_start(&e->srv, NULL) == 0);
	setup_flow(e->srv, &e->src);
	e->c = lib_client(flh_server_url(e->srv));
	e->p = lib_pack(e->c);
	roundtrip(e->srv, &e->src, 1);
}

static void echo_stop(struct echo_env *e)
{
	flyte_pack_free(e->p);
	flyte_client_free(e->c);
	flh_pack_release(&e->src);
	flh_server_free(e->srv);
}

FLT_TEST(server_down_at_start_then_up)
{
	struct flh_server *srv = NULL;
	struct flh_pack src = { 0 };
	struct flyte_client *c;
	struct flyte_pack *p;
	struct flyte_pack_stats st;

	/* prepare a server (flow, event source), then take it down */
	FLH_ASSERT(flh_server_start(&srv, NULL) == 0);
	setup_flow(srv, &src);
	FLH_ASSERT(flh_server_stop(srv, 0, NULL) == 0);
	/* the pack starts while nothing listens on the server's port */
	c = lib_client(flh_server_url(srv));
	p = lib_pack(c);
	flh_sleep_ms(400); /* discovery fails and is retried meanwhile */
	flyte_pack_get_stats(p, &st);
	FLH_EQ_INT(st.registrations, 0);
	/* the server comes up on the same port: the pack registers and works */
	FLH_ASSERT(flh_server_restart(srv) == 0);
	roundtrip(srv, &src, 1);
	flyte_pack_get_stats(p, &st);
	FLH_EQ_INT(st.registrations, 1);
	flyte_pack_free(p);
	flyte_client_free(c);
	flh_pack_release(&src);
	flh_server_free(srv);
}

FLT_TEST(server_restart_keeps_results)
{
	struct echo_env e;
	struct flyte_pack_stats st;

	echo_start(&e);

	/* a handler is busy while the server goes down and comes back */
	atomic_store(&hold, true);
	int before = atomic_load(&handled);
	FLH_EQ_INT(flh_pack_event(&e.src, "Go", "{\"n\":\"2\"}"), 202);
	bool taken;
	WAIT_STATS(taken, e.p, st, st.actions_taken >= 2);
	FLH_ASSERT(taken);
	FLH_ASSERT(flh_server_stop(e.srv, 0, NULL) == 0);
	atomic_store(&hold, false); /* its result post now fails and is kept */
	for (int i = 0; i < 500 && atomic_load(&handled) == before; i++)
		flh_sleep_ms(10);
	flh_sleep_ms(300);
	FLH_ASSERT(flh_server_restart(e.srv) == 0);
	/* the result lands after the restart and the pack keeps working */
	bool done;
	WAIT_STATS(done, e.p, st, st.results_posted >= 2);
	FLH_ASSERT_MSG(done, "the result held across the restart was not posted");
	FLH_EQ_INT(st.results_dropped, 0);
	FLH_ASSERT(st.result_retries >= 1);
	roundtrip(e.srv, &e.src, 3);
	echo_stop(&e);
}

FLT_TEST(deleted_pack_registers_again)
{
	struct echo_env e;
	struct flyte_pack_stats st;
	struct run r;

	echo_start(&e);
	CTL_OK(&r, flh_server_url(e.srv), "pack", "delete", "E2E");
	/* the next take answers 404: the pack registers again and keeps working */
	bool again;
	WAIT_STATS(again, e.p, st, st.registrations >= 2);
	FLH_ASSERT_MSG(again, "the pack did not register again after its record was deleted");
	roundtrip(e.srv, &e.src, 2);
	echo_stop(&e);
}

FLT_TEST(docs_example_pack)
{
	static const char flow[] =
		"{\"name\":\"echo-doc\",\"steps\":[{\"id\":\"say\",\"event\":{\"packName\":\"Echo\",\"name\":\"Started\"},"
		"\"command\":{\"packName\":\"Echo\",\"name\":\"Say\",\"input\":{\"x\":1}}}]}";
	struct flh_server *srv = NULL;
	struct flh_resp *r;
	char api[128];
	const char *bin = getenv("FLYTE_ECHO_PACK_BIN");
	bool ok = false;
	pid_t pid;

	FLH_ASSERT(bin != NULL);
	/* Ctrl-C while the server is unreachable: registration is abandoned, exit 0 */
	const char *dead_env[] = { "FLYTE_API=http://127.0.0.1:1", NULL };
	pid = start_child(bin, dead_env, "echo-dead.log");
	FLH_ASSERT(pid > 0);
	flh_sleep_ms(300);
	FLH_EQ_INT(stop_child(pid), 0);

	/* against a server: the Started event runs a flow whose action the pack answers */
	FLH_ASSERT(flh_server_start(&srv, NULL) == 0);
	r = flh_post_json(srv, "/v1/flows", flow);
	FLH_STATUS(r, 201);
	flh_resp_free(r);
	snprintf(api, sizeof(api), "FLYTE_API=%s", flh_server_url(srv));
	const char *env[] = { api, "FLYTE_LABELS=env=dev", NULL };
	pid = start_child(bin, env, "echo.log");
	FLH_ASSERT(pid > 0);
	for (int i = 0; i < 1500 && !ok; i++) {
		r = flh_get(srv, "/v1/audit/flows?flowName=echo-doc");
		json_t *e = json_array_get(json_object_get(flh_resp_json(r), "flows"), 0);
		ok = e && !strcmp(nz(flh_json_str(e, "actions.say.state.value")), "SUCCESS");
		if (ok) {
			FLH_EQ_STR(flh_json_str(e, "actions.say.result.event"), "Said");
			FLH_EQ_INT(json_integer_value(flh_json_get(e, "actions.say.result.payload.you said.x")), 1);
			FLH_EQ_STR(flh_json_str(e, "actions.say.trigger.pack.id"), "Echo.env.dev");
		}
		flh_resp_free(r);
		if (!ok)
			flh_sleep_ms(20);
	}
	FLH_ASSERT_MSG(ok, "the example pack did not complete its action");
	FLH_EQ_INT(stop_child(pid), 0);
	flh_server_free(srv);
}

static atomic_long slow_attempt;

/* Holds while `hold` is set (longer than its lease), then answers. */
static int slow_echo(const char *in, size_t len, struct flyte_result *out, void *payload)
{
	atomic_store(&slow_attempt, flyte_result_attempt(out));
	atomic_fetch_add(&handled, 1);
	while (atomic_load(&hold) && !flyte_result_lease_lost(out))
		usleep(5000);
	return flyte_result_set(out, "Echoed", in);
}

FLT_TEST(heartbeats_keep_a_slow_handler_s_lease)
{
	static const char flow[] =
		"{\"name\":\"lease\",\"steps\":[{\"id\":\"slow\",\"event\":{\"packName\":\"Src\",\"name\":\"Go\"},"
		"\"command\":{\"packName\":\"Leased\",\"name\":\"Slow\",\"input\":\"{{ Event.Payload.n }}\"}}]}";
	static const char *const outs[] = { "Echoed" };
	static const struct flyte_command_def cmd = { "Slow", outs, 1, slow_echo, NULL, NULL };
	struct flh_server *srv = NULL;
	struct flh_pack src = { 0 };
	struct flyte_pack_def def = { 0 };
	struct flyte_pack_stats st;
	struct flyte_client *c;
	struct flyte_pack *p = NULL;
	struct flh_resp *r;
	json_t *act = NULL;
	bool ok = false;

	FLH_ASSERT(flh_server_start(&srv, NULL) == 0);
	r = flh_post_json(srv, "/v1/flows", flow);
	FLH_STATUS(r, 201);
	flh_resp_free(r);
	FLH_EQ_INT(flh_pack_register(&src, srv, "{\"name\":\"Src\"}"), 201);
	c = lib_client(flh_server_url(srv));
	def.name = "Leased";
	def.commands = &cmd;
	def.n_commands = 1;
	FLH_EQ_INT(flyte_pack_new(&p, c, &def, NULL), FLYTE_OK);
	FLH_EQ_INT(flyte_pack_set_command_lease(p, "Slow", 1, 2), FLYTE_OK);
	FLH_EQ_INT(flyte_pack_start(p), FLYTE_OK);
	atomic_store(&hold, true);
	atomic_store(&handled, 0);
	atomic_store(&slow_attempt, 0);
	FLH_EQ_INT(flh_pack_event(&src, "Go", "{\"n\":\"1\"}"), 202);
	/* held for several leases: heartbeats extend it, nobody else gets it */
	WAIT_STATS(ok, p, st, st.heartbeats >= 6);
	FLH_ASSERT_MSG(ok, "fewer than 6 heartbeats were accepted");
	/* the server applies the declared lease: the held action shows when it ends */
	r = flh_get(srv, "/v1/audit/flows?flowName=lease");
	FLH_EQ_STR(flh_json_str(flh_resp_json(r), "flows.0.actions.slow.state.value"), "PENDING");
	FLH_ASSERT(flh_json_str(flh_resp_json(r), "flows.0.actions.slow.leaseUntil") != NULL);
	FLH_EQ_INT(json_integer_value(flh_json_get(flh_resp_json(r), "flows.0.actions.slow.attempt")), 1);
	flh_resp_free(r);
	FLH_EQ_INT(atomic_load(&handled), 1);
	FLH_EQ_INT(atomic_load(&slow_attempt), 1);
	atomic_store(&hold, false);
	ok = false;
	for (int i = 0; i < 1500 && !ok; i++) {
		r = flh_get(srv, "/v1/audit/flows?flowName=lease");
		act = flh_json_get(flh_resp_json(r), "flows.0.actions.slow");
		ok = act && !strcmp(nz(flh_json_str(act, "state.value")), "SUCCESS");
		if (ok) {
			/* one take, no redelivery: NEW, PENDING (attempt 1), SUCCESS */
			FLH_EQ_INT(json_integer_value(json_object_get(act, "attempt")), 1);
			FLH_EQ_INT(json_array_size(json_object_get(act, "states")), 3);
			FLH_EQ_INT(json_integer_value(flh_json_get(act, "states.1.attempt")), 1);
			FLH_ASSERT(json_object_get(act, "refusedResults") == NULL);
		}
		flh_resp_free(r);
		if (!ok)
			flh_sleep_ms(20);
	}
	FLH_ASSERT_MSG(ok, "the slow action did not complete");
	flyte_pack_get_stats(p, &st);
	FLH_EQ_INT(st.leases_lost, 0);
	FLH_EQ_INT(st.results_posted, 1);
	flyte_pack_free(p);
	flyte_client_free(c);
	flh_pack_release(&src);
	flh_server_free(srv);
}

FLT_TEST(execution_get_lists_attempts)
{
	static const char flow[] =
		"{\"name\":\"att\",\"steps\":[{\"id\":\"job\",\"event\":{\"packName\":\"Src\",\"name\":\"Go\"},"
		"\"command\":{\"packName\":\"Lw\",\"name\":\"Job\"}}]}";
	struct flh_server *srv = NULL;
	struct flh_pack src = { 0 }, worker = { 0 };
	struct flh_action a1 = { 0 }, a2 = { 0 };
	struct flh_resp *r;
	struct run out;
	char id[64];
	json_t *j, *att;

	FLH_ASSERT(flh_server_start(&srv, NULL) == 0);
	r = flh_post_json(srv, "/v1/flows", flow);
	FLH_STATUS(r, 201);
	flh_resp_free(r);
	FLH_EQ_INT(flh_pack_register(&src, srv, "{\"name\":\"Src\"}"), 201);
	FLH_EQ_INT(flh_pack_register(&worker, srv,
				     "{\"name\":\"Lw\",\"commands\":[{\"name\":\"Job\",\"leaseSeconds\":1}]}"),
		   201);
	FLH_EQ_INT(flh_pack_event(&src, "Go", "{}"), 202);
	/* taken, never answered: the lease ends and the action is taken again */
	FLH_EQ_INT(flh_pack_take_wait(&worker, NULL, &a1, FLH_WAIT_MS), 200);
	FLH_EQ_INT(flh_pack_take_wait(&worker, NULL, &a2, FLH_WAIT_MS), 200);
	FLH_EQ_INT(json_integer_value(json_object_get(a2.body, "attempt")), 2);
	/* the first attempt answers late: refused; the second completes it */
	FLH_EQ_INT(flh_action_result(srv, &a1, "Done", "1"), 409);
	FLH_EQ_INT(flh_action_result(srv, &a2, "Done", "2"), 202);
	r = flh_get(srv, "/v1/audit/flows?flowName=att");
	snprintf(id, sizeof(id), "%s", nz(flh_json_str(flh_resp_json(r), "flows.0.correlationId")));
	flh_resp_free(r);

	CTL_OK(&out, flh_server_url(srv), "execution", "get", id);
	FLH_ASSERT_MSG(strstr(out.out, "attempts:") && strstr(out.out, "refused results:"), "%s", out.out);
	FLH_ASSERT_MSG(strstr(out.out, "lease expired") && strstr(out.out, "SUCCESS"), "%s", out.out);
	FLH_ASSERT_MSG(strstr(out.out, " Lw "), "the taker is not shown: %s", out.out);
	FLH_ASSERT_MSG(strstr(out.out, "no longer holds"), "the refusal reason is not shown: %s", out.out);

	CTL_OK(&out, flh_server_url(srv), "execution", "get", id, "-o", "json");
	j = json_loads(out.out, 0, NULL);
	FLH_ASSERT_MSG(j != NULL, "not JSON: %s", out.out);
	att = flh_json_get(j, "actions.job.attempts");
	FLH_EQ_INT(json_array_size(att), 2);
	FLH_EQ_INT(json_integer_value(flh_json_get(att, "0.attempt")), 1);
	FLH_EQ_STR(flh_json_str(att, "0.takenBy"), "Lw");
	FLH_EQ_STR(flh_json_str(att, "0.end"), "lease expired");
	FLH_ASSERT(flh_json_str(att, "0.takenAt") && flh_json_str(att, "0.endedAt"));
	FLH_EQ_INT(json_integer_value(flh_json_get(att, "0.refusedResults.0.attempt")), 1);
	FLH_EQ_STR(flh_json_str(att, "0.refusedResults.0.event"), "Done");
	FLH_EQ_INT(json_integer_value(flh_json_get(att, "1.attempt")), 2);
	FLH_EQ_STR(flh_json_str(att, "1.end"), "SUCCESS");
	FLH_ASSERT(flh_json_get(att, "1.refusedResults") == NULL);
	FLH_EQ_STR(flh_json_str(j, "actions.job.state.value"), "SUCCESS"); /* the server's data is still there */
	json_decref(j);

	CTL_OK(&out, flh_server_url(srv), "execution", "get", id, "-o", "yaml");
	FLH_ASSERT_MSG(strstr(out.out, "attempts:") && strstr(out.out, "end: lease expired") &&
			       strstr(out.out, "takenBy: Lw"),
		       "%s", out.out);
	flh_action_release(&a1);
	flh_action_release(&a2);
	flh_pack_release(&src);
	flh_pack_release(&worker);
	flh_server_free(srv);
}

/* Run one shell line in tmpdir with flytectl on PATH; returns the exit code (-1: killed at 30 s). */
static int run_line(const char *line, const char *url, char *out, size_t outlen)
{
	posix_spawn_file_actions_t fa;
	char api[128], path[4096], dir[1024], *slash;
	const char *extra[] = { api, path, NULL };
	char *argv[] = { (char *)"/bin/sh", (char *)"-c", (char *)line, NULL }, **env;
	int p[2], status = 0;
	size_t n = 0;
	pid_t pid;

	snprintf(dir, sizeof(dir), "%s", getenv("FLYTECTL_BIN"));
	slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	snprintf(api, sizeof(api), "FLYTE_API=%s", url);
	snprintf(path, sizeof(path), "PATH=%s:%s", dir, getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin");
	env = flh_child_env(NULL, extra);
	if (pipe(p))
		abort();
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, p[1], 1);
	posix_spawn_file_actions_adddup2(&fa, p[1], 2);
	posix_spawn_file_actions_addclose(&fa, p[0]);
	posix_spawn_file_actions_addchdir_np(&fa, tmpdir);
	if (posix_spawn(&pid, "/bin/sh", &fa, NULL, argv, env))
		abort();
	posix_spawn_file_actions_destroy(&fa);
	free(env);
	close(p[1]);
	for (int i = 0; i < 3000; i++) {
		ssize_t k = read(p[0], out + n, outlen - 1 - n);
		if (k > 0)
			n += (size_t)k;
		if (waitpid(pid, &status, WNOHANG) == pid) {
			while ((k = read(p[0], out + n, outlen - 1 - n)) > 0)
				n += (size_t)k;
			out[n] = '\0';
			close(p[0]);
			return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
		}
		usleep(10000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	out[n] = '\0';
	close(p[0]);
	return -1;
}

/* The lines of the EXAMPLES section of docs/flytectl.1, unescaped. */
static int man_examples(char lines[][512], int max, char *man, size_t manlen)
{
	const char *path = getenv("FLYTE_DOC_MAN");
	FILE *f = path ? fopen(path, "r") : NULL;
	char buf[1024];
	int n = 0, state = 0;
	size_t mlen = 0;

	if (!f)
		return -1;
	while (fgets(buf, sizeof(buf), f)) {
		size_t l = strlen(buf);
		if (mlen + l < manlen) {
			memcpy(man + mlen, buf, l + 1);
			mlen += l;
		}
		buf[strcspn(buf, "\n")] = '\0';
		if (!strcmp(buf, ".SH EXAMPLES"))
			state = 1;
		else if (state == 1 && !strcmp(buf, ".nf"))
			state = 2;
		else if (state == 2 && !strcmp(buf, ".fi"))
			state = 3;
		else if (state == 2 && n < max) {
			size_t k = 0;
			for (const char *c = buf; *c && k < 511; c++) {
				if (c[0] == '\\' && c[1] == '-')
					continue; /* "\-" is a plain minus */
				lines[n][k++] = *c;
			}
			lines[n++][k] = '\0';
		}
	}
	fclose(f);
	return n;
}

FLT_TEST(man_page_examples_run)
{
	static char lines[64][512], man[65536], out[65536];
	struct flh_server *srv = NULL;
	char api[128], flowfile[128];
	struct run r;
	int n;
	pid_t shell;

	n = man_examples(lines, 64, man, sizeof(man));
	FLH_ASSERT_MSG(n > 5, "no EXAMPLES in docs/flytectl.1 (FLYTE_DOC_MAN)");
	write_try_it_flow(flowfile, sizeof(flowfile));
	FLH_ASSERT(flh_server_start(&srv, NULL) == 0);
	snprintf(api, sizeof(api), "FLYTE_API=%s", flh_server_url(srv));
	const char *shell_env[] = { api, NULL };
	shell = start_child(getenv("FLYTE_SHELL_BIN"), shell_env, "shell-man.log");
	FLH_ASSERT(shell > 0);
	for (int i = 0; i < 500; i++) { /* the Shell pack is registered */
		CTL_OK(&r, flh_server_url(srv), "pack", "list");
		if (strstr(r.out, "Shell"))
			break;
		usleep(20000);
	}
	for (int i = 0; i < n; i++) {
		if (!strncmp(lines[i], "export FLYTE_API=", 17))
			continue; /* the test's server is in FLYTE_API already */
		int code = run_line(lines[i], flh_server_url(srv), out, sizeof(out));
		FLH_ASSERT_MSG(code == 0, "man page example '%s' exited %d:\n%s", lines[i], code, out);
		if (strstr(lines[i], "execution list --flow hello"))
			FLH_ASSERT_MSG(strstr(out, "hello"), "'%s' listed no execution: %s", lines[i], out);
	}
	/* every command of the table is documented */
	const char *help[] = { "--help", NULL };
	flytectl(&r, flh_server_url(srv), help);
	FLH_EQ_INT(r.code, 0);
	for (char *l = strstr(r.out, "commands:\n"); l && (l = strchr(l, '\n')) && l[1] == ' ';) {
		char g[32] = "", c[32] = "", want[80];
		l++;
		if (sscanf(l, " %31s %31s", g, c) < 1)
			break;
		if (c[0] >= 'a' && c[0] <= 'z')
			snprintf(want, sizeof(want), ".SS %s %s", g, c);
		else
			snprintf(want, sizeof(want), ".SS %s", g);
		FLH_ASSERT_MSG(strstr(man, want), "docs/flytectl.1 does not document '%s'", want + 4);
	}
	FLH_EQ_INT(stop_child(shell), 0);
	flh_server_free(srv);
}

FLT_TEST(tls_options_reach_curl)
{
	char cert[128], key[128], cmd[512], certenv[160], keyenv[160], caenv[160];
	struct flyte_client_options o;
	struct flyte_client *c = NULL;
	struct flh_server *srv = NULL;
	struct run r;

	snprintf(cert, sizeof(cert), "%s/cert.pem", tmpdir);
	snprintf(key, sizeof(key), "%s/key.pem", tmpdir);
	snprintf(cmd, sizeof(cmd),
		 "openssl req -x509 -newkey rsa:2048 -nodes -keyout %s -out %s -days 2 -subj /CN=127.0.0.1 "
		 "-addext subjectAltName=IP:127.0.0.1 >/dev/null 2>&1",
		 key, cert);
	if (system(cmd) != 0) {
		printf("# SKIP openssl cannot make a test certificate\n");
		return;
	}
	snprintf(certenv, sizeof(certenv), "FLYTE_TLS_CERT_PATH=%s", cert);
	snprintf(keyenv, sizeof(keyenv), "FLYTE_TLS_KEY_PATH=%s", key);
	const char *env[] = { certenv, keyenv, NULL };
	struct flh_server_opts so = { env, NULL, 0 };
	FLH_ASSERT(flh_server_start(&srv, &so) == 0);
	FLH_ASSERT(!strncmp(flh_server_url(srv), "https://", 8));

	flyte_client_options_init(&o);
	o.api_url = flh_server_url(srv);
	/* the system store does not trust a self-signed certificate */
	FLH_EQ_INT(flyte_client_new(&c, &o), FLYTE_OK);
	FLH_EQ_INT(flyte_client_discover(c), FLYTE_ENETWORK);
	FLH_ASSERT(strstr(flyte_client_last_error(c), "certificate"));
	flyte_client_free(c);
	/* ca_file trusts it */
	o.ca_file = cert;
	FLH_EQ_INT(flyte_client_new(&c, &o), FLYTE_OK);
	FLH_EQ_INT(flyte_client_discover(c), FLYTE_OK);
	flyte_client_free(c);
	/* insecure skips verification */
	o.ca_file = NULL;
	o.insecure = 1;
	FLH_EQ_INT(flyte_client_new(&c, &o), FLYTE_OK);
	FLH_EQ_INT(flyte_client_discover(c), FLYTE_OK);
	flyte_client_free(c);
	/* flytectl takes the CA from FLYTE_API_CA_FILE */
	snprintf(caenv, sizeof(caenv), "FLYTE_API_CA_FILE=%s", cert);
	ctl_extra_env = caenv;
	CTL_OK(&r, flh_server_url(srv), "health");
	ctl_extra_env = NULL;
	const char *health[] = { "health", NULL };
	flytectl(&r, flh_server_url(srv), health);
	FLH_EQ_INT(r.code, 1); /* without the CA: refused */
	flh_server_free(srv);
}

/* The ticks seen by the handler (worker threads), counted once written. */
static pthread_mutex_t tick_mu = PTHREAD_MUTEX_INITIALIZER;
static int ticks;
static char tick_times[8][64];

static int tick_seen(const char *in, size_t len, struct flyte_result *out, void *payload)
{
	pthread_mutex_lock(&tick_mu);
	if (ticks < 8)
		snprintf(tick_times[ticks], sizeof(tick_times[ticks]), "%.*s", (int)len, in);
	ticks++;
	pthread_mutex_unlock(&tick_mu);
	return flyte_result_set(out, "Seen", in);
}

/* Copies the first three ticks into out once there are three; false before. */
static bool three_ticks(char out[3][64])
{
	bool ok;

	pthread_mutex_lock(&tick_mu);
	ok = ticks >= 3;
	if (ok)
		memcpy(out, tick_times, 3 * sizeof(tick_times[0]));
	pthread_mutex_unlock(&tick_mu);
	return ok;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(a, b);
}

FLT_TEST(ticker_ticks_on_aligned_seconds)
{
	static const char flow[] =
		"{\"name\":\"ticks\",\"steps\":[{\"id\":\"see\",\"event\":{\"packName\":\"Ticker\",\"name\":\"Tick\"},"
		"\"command\":{\"packName\":\"TickWatch\",\"name\":\"See\",\"input\":\"{{ Event.Payload.time }}\"}}]}";
	static const char *const outs[] = { "Seen" };
	static const struct flyte_command_def cmd = { "See", outs, 1, tick_seen, NULL, NULL };
	struct flh_server *srv = NULL;
	struct flyte_pack_def def = { 0 };
	struct flyte_client *c;
	struct flyte_pack *p = NULL;
	struct flh_resp *r;
	char api[128], seen[3][64];
	pid_t ticker;

	FLH_ASSERT(flh_server_start(&srv, NULL) == 0);
	r = flh_post_json(srv, "/v1/flows", flow);
	FLH_STATUS(r, 201);
	flh_resp_free(r);
	c = lib_client(flh_server_url(srv));
	def.name = "TickWatch";
	def.commands = &cmd;
	def.n_commands = 1;
	FLH_EQ_INT(flyte_pack_new(&p, c, &def, NULL), FLYTE_OK);
	FLH_EQ_INT(flyte_pack_start(p), FLYTE_OK);
	snprintf(api, sizeof(api), "FLYTE_API=%s", flh_server_url(srv));
	const char *env[] = { api, "FLYTE_TICKER_INTERVAL_SEC=1", "FLYTE_LABELS=zone=test", NULL };
	ticker = start_child(getenv("FLYTE_TICKER_BIN"), env, "ticker.log");
	FLH_ASSERT(ticker > 0);
	for (int i = 0; i < 1000 && !three_ticks(seen); i++)
		flh_sleep_ms(10);
	FLH_ASSERT_MSG(three_ticks(seen), "fewer than 3 ticks arrived");
	FLH_EQ_INT(stop_child(ticker), 0);
	/* handlers may run in parallel: order the first three by time */
	qsort(seen, 3, sizeof(seen[0]), cmp_str);
	/* whole seconds, consecutive, none skipped */
	for (int i = 0; i < 3; i++)
		FLH_ASSERT_MSG(strstr(seen[i], ".000000000Z\""), "tick %d not aligned: %s", i, seen[i]);
	for (int i = 1; i < 3; i++) {
		int s0 = (int)strtol(seen[i - 1] + 18, NULL, 10), s1 = (int)strtol(seen[i] + 18, NULL, 10);
		FLH_ASSERT_MSG((s0 + 1) % 60 == s1, "ticks %s and %s are not one second apart", seen[i - 1],
			       seen[i]);
	}
	/* the labels of FLYTE_LABELS were applied */
	r = flh_get(srv, "/v1/packs/Ticker.zone.test");
	FLH_STATUS(r, 200);
	flh_resp_free(r);
	flyte_pack_free(p);
	flyte_client_free(c);
	flh_server_free(srv);
}

/* Runs first: temp dir and cleanup handler. */
FLT_TEST(prepare)
{
	FLT_ASSERT(flt_tmpdir_make(tmpdir, sizeof(tmpdir), "flyte-e2e") == 0);
	atexit(at_exit);
	FLT_ASSERT(getenv("FLYTECTL_BIN") && getenv("FLYTE_SHELL_BIN") && getenv("FLYTE_BIN"));
}

FLT_MAIN(prepare, try_it_in_a_minute, server_down_at_start_then_up, server_restart_keeps_results,
	 deleted_pack_registers_again, docs_example_pack, heartbeats_keep_a_slow_handler_s_lease,
	 execution_get_lists_attempts, man_page_examples_run, tls_options_reach_curl,
	 ticker_ticks_on_aligned_seconds)
