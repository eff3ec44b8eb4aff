/* SPDX-License-Identifier: Apache-2.0 */
/*
 * packtest.c - end-to-end scaffolding of the REST pack tests (packtest.h).
 */
#include "fl-common.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "packtest.h"
#include "fsutil.h"

#define MAX_CHILDREN 16

static pid_t children[MAX_CHILDREN];
static bool atexit_set;
static unsigned flow_seq;

static void kill_children(void)
{
	for (int i = 0; i < MAX_CHILDREN; i++)
		if (children[i] > 0) {
			kill(children[i], SIGKILL);
			waitpid(children[i], NULL, 0);
			children[i] = 0;
		}
}

int pt_setup(struct pt_env *e, const char *name)
{
	char prefix[32];

	memset(e, 0, sizeof(*e));
	if (!atexit_set) {
		atexit(kill_children);
		atexit_set = true;
	}
	snprintf(prefix, sizeof(prefix), "flyte-%s", name);
	if (flt_tmpdir_make(e->dir, sizeof(e->dir), prefix) != 0) {
		printf("# cannot create a temporary directory\n");
		return -1;
	}
	if (flh_server_start(&e->srv, NULL))
		return -1;
	if (flh_pack_register(&e->src, e->srv, "{\"name\":\"Src\",\"events\":[{\"name\":\"Go\"}]}") != 201) {
		printf("# cannot register the Src pack\n");
		return -1;
	}
	return 0;
}

void pt_teardown(struct pt_env *e)
{
	kill_children();
	flh_pack_release(&e->src);
	flh_server_free(e->srv);
	e->srv = NULL;
	if (flt_tmpdir_remove(e->dir) != 0)
		printf("# cannot remove %s\n", e->dir);
}

static bool pack_known(struct pt_env *e, const char *id)
{
	struct flh_resp *r = flh_get(e->srv, flh_path("/v1/packs/%s", id));
	bool ok = r->status == 200;
	flh_resp_free(r);
	return ok;
}

pid_t pt_start_pack(struct pt_env *e, const char *bin, const char *const *clear, const char *const *env,
		    const char *log, const char *id)
{
	int fd;
	char api[160], path[256], **envp;
	char *argv[] = { (char *)bin, NULL };
	const char *extra[32];
	size_t k = 0;
	pid_t pid = -1;
	bool ok;

	snprintf(api, sizeof(api), "FLYTE_API=%s", flh_server_url(e->srv));
	extra[k++] = api;
	extra[k++] = "FLYTE_LOG_LEVEL=debug";
	for (size_t i = 0; env && env[i] && k < FL_ARRAY_LEN(extra) - 1; i++)
		extra[k++] = env[i];
	extra[k] = NULL;
	envp = flh_child_env(clear, extra);
	snprintf(path, sizeof(path), "%s/%s", e->dir, log);
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd >= 0) {
		pid = flh_spawn(bin, argv, envp, fd);
		close(fd);
	}
	free(envp);
	if (pid < 0) {
		printf("# cannot start %s\n", bin);
		return -1;
	}
	for (int i = 0; i < MAX_CHILDREN; i++)
		if (!children[i]) {
			children[i] = pid;
			break;
		}
	FLH_WAIT_FOR(ok, FLH_WAIT_MS, pack_known(e, id) || !pt_alive(pid));
	if (!ok || !pt_alive(pid)) {
		printf("# pack %s did not register\n", id);
		pt_log_tail(e, log, 20);
		return -1;
	}
	return pid;
}

bool pt_alive(pid_t pid)
{
	int st;
	pid_t w = waitpid(pid, &st, WNOHANG);

	if (w == 0)
		return true;
	if (w == pid) /* reaped now: forget it */
		for (int i = 0; i < MAX_CHILDREN; i++)
			if (children[i] == pid)
				children[i] = 0;
	return false;
}

int pt_stop_pack(pid_t pid)
{
	int st = 0;

	kill(pid, SIGTERM);
	for (int i = 0; i < 2000; i++) {
		if (waitpid(pid, &st, WNOHANG) == pid) {
			for (int k = 0; k < MAX_CHILDREN; k++)
				if (children[k] == pid)
					children[k] = 0;
			return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
		}
		flh_sleep_ms(10);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	for (int k = 0; k < MAX_CHILDREN; k++)
		if (children[k] == pid)
			children[k] = 0;
	return -1;
}

void pt_log_tail(struct pt_env *e, const char *log, int lines)
{
	char path[256], cmd[320];

	snprintf(path, sizeof(path), "%s/%s", e->dir, log);
	snprintf(cmd, sizeof(cmd), "tail -n %d '%s' | sed 's/^/# | /'", lines, path);
	fflush(stdout);
	if (system(cmd) != 0)
		printf("# (no log)\n");
}

/* True once the action of flow `name` has a result; fills r. */
static bool poll_result(struct pt_env *e, const char *name, struct pt_result *r)
{
	bool done = false;
	struct flh_resp *a = flh_get(e->srv, flh_path("/v1/audit/flows?flowName=%s", name));
	json_t *act = flh_json_get(json_array_get(json_object_get(flh_resp_json(a), "flows"), 0), "actions.s");
	const char *ev = flh_json_str(act, "result.event");

	if (ev && *ev) { /* "" until the action completes */
		snprintf(r->event, sizeof(r->event), "%s", ev);
		r->payload = json_incref(flh_json_get(act, "result.payload"));
		r->input = json_incref(json_object_get(act, "input"));
		done = true;
	}
	flh_resp_free(a);
	return done;
}

int pt_run(struct pt_env *e, const char *pack, const char *labels, const char *command, const char *input,
	   int timeout_ms, struct pt_result *r)
{
	struct flh_resp *resp;
	char name[32], payload[64];
	json_t *flow, *in;
	char *text;
	bool ok;

	memset(r, 0, sizeof(*r));
	in = flh_json(input);
	if (!in) {
		printf("# test bug: input is not JSON: %s\n", input);
		return -1;
	}
	snprintf(name, sizeof(name), "t%u", ++flow_seq);
	snprintf(payload, sizeof(payload), "{\"n\":\"%u\"}", flow_seq);
	flow = json_pack("{s:s,s:[{s:s,s:{s:s,s:s},s:s,s:{s:s,s:s,s:o}}]}", "name", name, "steps", "id", "s", "event",
			 "packName", "Src", "name", "Go", "criteria",
			 flh_path("{{ Event.Payload.n == '%u' }}", flow_seq), "command", "packName", pack, "name",
			 command, "input", in);
	if (labels)
		json_object_set_new(json_object_get(json_array_get(json_object_get(flow, "steps"), 0), "command"),
				    "packLabels", flh_json(labels));
	text = json_dumps(flow, JSON_COMPACT);
	json_decref(flow);
	resp = flh_post_json(e->srv, "/v1/flows", text);
	free(text);
	if (resp->status != 201) {
		flh_resp_print(resp);
		flh_resp_free(resp);
		return -1;
	}
	flh_resp_free(resp);
	if (flh_pack_event(&e->src, "Go", payload) != 202) {
		printf("# cannot post event Go\n");
		return -1;
	}
	FLH_WAIT_FOR(ok, timeout_ms ? timeout_ms : 30000, poll_result(e, name, r));
	if (!ok) {
		printf("# no result for %s %s within the deadline\n", pack, command);
		return -1;
	}
	return 0;
}

void pt_result_release(struct pt_result *r)
{
	if (!r)
		return;
	json_decref(r->payload);
	json_decref(r->input);
	memset(r, 0, sizeof(*r));
}

const char *pt_str(const struct pt_result *r, const char *path)
{
	return flh_json_str(r->payload, path);
}
