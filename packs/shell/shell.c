/* SPDX-License-Identifier: Apache-2.0 */
/*
 * shell.c - the Shell pack's script runner and handler.
 *
 * A script runs as `<FLYTE_SHELL_CMD...> <script>` (default `bash -c`) in a
 * new session, so that a timeout can kill the whole process group.  It is
 * started with posix_spawn (pipes are close-on-exec, so concurrent actions
 * never inherit each other's pipes), stdin is /dev/null, and stdout and
 * stderr are read through poll(): a script that writes megabytes to both
 * streams cannot deadlock against the pack.  Each stream keeps at most
 * max_output bytes; the rest is read and counted but dropped.  When the
 * script's main process has exited, the pipes are drained for a short grace
 * period only, so a background process that keeps them open does not hold
 * the action forever.
 *
 * Built only on the public libflyte API (packs are third-party code as far
 * as the library is concerned); JSON input is decoded with jansson.
 */
#include "fl-common.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "packenv.h"
#include "shell.h"
#include "timeutil.h"

extern char **environ;

#define DRAIN_GRACE_MS 500

static int64_t mono_ms(void)
{
	return fl_time_mono_ns() / FL_NS_PER_MS;
}

static int split_cmd(struct shell_config *cfg, const char *cmd, char *err, size_t errlen)
{
	char *copy = strdup(cmd), *save = NULL, *tok;
	size_t n = 0;

	if (!copy)
		goto oom;
	cfg->argv_prefix = calloc(strlen(cmd) / 2 + 2, sizeof(char *));
	if (!cfg->argv_prefix)
		goto oom;
	for (tok = strtok_r(copy, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
		cfg->argv_prefix[n] = strdup(tok);
		if (!cfg->argv_prefix[n])
			goto oom;
		cfg->n_prefix = ++n;
	}
	free(copy);
	if (!n) {
		snprintf(err, errlen, "invalid FLYTE_SHELL_CMD: empty");
		return -1;
	}
	return 0;
oom:
	free(copy);
	snprintf(err, errlen, "out of memory");
	return -1;
}

int shell_config_from_env(struct shell_config *cfg, char *err, size_t errlen)
{
	const char *v = packenv_get("FLYTE_SHELL_CMD");
	long max_output = SHELL_DEFAULT_MAX_OUTPUT;

	memset(cfg, 0, sizeof(*cfg));
	cfg->timeout_sec = SHELL_DEFAULT_TIMEOUT_SEC;
	cfg->kill_grace_ms = 1000;
	if (split_cmd(cfg, v ? v : "bash -c", err, errlen) ||
	    packenv_long("FLYTE_SHELL_TIMEOUT_SEC", 0, LONG_MAX, &cfg->timeout_sec, err, errlen) ||
	    packenv_long("FLYTE_SHELL_MAX_OUTPUT_BYTES", 1, LONG_MAX, &max_output, err, errlen))
		return -1;
	cfg->max_output = (size_t)max_output;
	if ((v = packenv_get("FLYTE_SHELL_WORKDIR"))) {
		struct stat st;
		if (stat(v, &st) || !S_ISDIR(st.st_mode)) {
			snprintf(err, errlen, "invalid FLYTE_SHELL_WORKDIR '%s': not a directory", v);
			return -1;
		}
		cfg->workdir = strdup(v);
		if (!cfg->workdir) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
	}
	return packenv_bool("FLYTE_SHELL_CLEAN_ENV", &cfg->clean_env, err, errlen);
}

void shell_config_release(struct shell_config *cfg)
{
	for (size_t i = 0; cfg->argv_prefix && i < cfg->n_prefix; i++)
		free(cfg->argv_prefix[i]);
	free(cfg->argv_prefix);
	free(cfg->workdir);
	memset(cfg, 0, sizeof(*cfg));
}

void shell_output_release(struct shell_output *o)
{
	free(o->out.data);
	free(o->err.data);
	memset(o, 0, sizeof(*o));
}

/* Append to a capped stream; returns -1 on OOM. */
static int stream_add(struct shell_stream *s, const char *data, size_t n, size_t cap)
{
	size_t keep = s->len < cap ? cap - s->len : 0;
	char *p;

	if (keep > n)
		keep = n;
	if (keep) {
		p = realloc(s->data, s->len + keep + 1);
		if (!p)
			return -1;
		s->data = p;
		memcpy(s->data + s->len, data, keep);
		s->len += keep;
		s->data[s->len] = '\0';
	}
	s->dropped += n - keep;
	return 0;
}

static char **clean_environment(char *store[4], char buf[3][4096])
{
	static const char *const keep[] = { "PATH", "HOME", "LANG" };
	size_t n = 0;

	for (size_t i = 0; i < 3; i++) {
		const char *v = getenv(keep[i]);
		if (!v && i == 0)
			v = "/usr/local/bin:/usr/bin:/bin";
		if (!v)
			continue;
		snprintf(buf[n], 4096, "%s=%s", keep[i], v);
		store[n] = buf[n];
		n++;
	}
	store[n] = NULL;
	return store;
}

static int open_pidfd(pid_t pid)
{
#ifdef SYS_pidfd_open
	int fd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (fd >= 0)
		fcntl(fd, F_SETFD, FD_CLOEXEC);
	return fd;
#else
	(void)pid;
	return -1;
#endif
}

static int exit_code_of(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return -1;
}

/* Read and capture both pipes until the child is gone (and the pipes drained). */
static int pump(const struct shell_config *cfg, pid_t pid, int fds[2], struct shell_output *o)
{
	struct shell_stream *streams[2] = { &o->out, &o->err };
	int64_t now = mono_ms();
	int64_t deadline = cfg->timeout_sec ? now + cfg->timeout_sec * 1000 : -1;
	int64_t kill_at = -1, drain_until = -1;
	int pidfd = open_pidfd(pid), status = 0, rc = 0;
	bool exited = false;
	char buf[65536];

	while (!exited || ((fds[0] >= 0 || fds[1] >= 0) && mono_ms() < drain_until)) {
		struct pollfd pfd[3];
		int np = 0, wait_ms = -1;

		for (int i = 0; i < 2; i++)
			if (fds[i] >= 0)
				pfd[np++] = (struct pollfd){ fds[i], POLLIN, 0 };
		if (!exited && pidfd >= 0)
			pfd[np++] = (struct pollfd){ pidfd, POLLIN, 0 };
		now = mono_ms();
		if (!exited && pidfd < 0)
			wait_ms = 50;
		if (exited)
			wait_ms = (int)(drain_until - now);
		if (!exited && deadline >= 0 && !o->timed_out)
			wait_ms = wait_ms < 0 || deadline - now < wait_ms ? (int)(deadline - now) : wait_ms;
		if (!exited && kill_at >= 0)
			wait_ms = wait_ms < 0 || kill_at - now < wait_ms ? (int)(kill_at - now) : wait_ms;
		if (wait_ms < 0 && (exited || deadline >= 0 || kill_at >= 0))
			wait_ms = 0;

		if (poll(pfd, (nfds_t)np, wait_ms) < 0 && errno != EINTR) {
			rc = -1;
			break;
		}
		for (int i = 0, k = 0; i < 2; i++) {
			if (fds[i] < 0)
				continue;
			if (pfd[k].revents & (POLLIN | POLLHUP | POLLERR)) {
				ssize_t r = read(fds[i], buf, sizeof(buf));
				if (r > 0) {
					if (stream_add(streams[i], buf, (size_t)r, cfg->max_output)) {
						rc = -1;
						goto out;
					}
				} else if (r == 0 || (errno != EINTR && errno != EAGAIN)) {
					close(fds[i]);
					fds[i] = -1;
				}
			}
			k++;
		}
		if (!exited && waitpid(pid, &status, WNOHANG) == pid) {
			exited = true;
			drain_until = mono_ms() + DRAIN_GRACE_MS;
			continue;
		}
		now = mono_ms();
		if (!exited && deadline >= 0 && !o->timed_out && now >= deadline) {
			o->timed_out = true;
			kill(-pid, SIGTERM);
			kill_at = now + cfg->kill_grace_ms;
		} else if (!exited && kill_at >= 0 && now >= kill_at) {
			kill(-pid, SIGKILL);
			kill_at = -1;
		}
	}
out:
	if (!exited) {
		kill(-pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
	if (pidfd >= 0)
		close(pidfd);
	o->exit_code = o->timed_out ? SHELL_TIMEOUT_EXIT_CODE : exit_code_of(status);
	return rc;
}

int shell_run(const struct shell_config *cfg, const char *script, size_t script_len, struct shell_output *o)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, all;
	char **argv = NULL, *env_store[4], env_buf[3][4096];
	int out_pipe[2] = { -1, -1 }, err_pipe[2] = { -1, -1 }, fds[2];
	pid_t pid;
	int rc = -1, err;

	memset(o, 0, sizeof(*o));
	argv = calloc(cfg->n_prefix + 2, sizeof(*argv));
	if (!argv)
		return -1;
	for (size_t i = 0; i < cfg->n_prefix; i++)
		argv[i] = cfg->argv_prefix[i];
	argv[cfg->n_prefix] = strndup(script, script_len);
	if (!argv[cfg->n_prefix]) {
		free(argv);
		return -1;
	}
	if (pipe2(out_pipe, O_CLOEXEC) || pipe2(err_pipe, O_CLOEXEC)) {
		char msg[256];
		snprintf(msg, sizeof(msg), "flyte-shell: cannot create pipes: %s\n", strerror(errno));
		rc = stream_add(&o->err, msg, strlen(msg), cfg->max_output);
		o->exit_code = 127;
		goto out;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, out_pipe[1], 1);
	posix_spawn_file_actions_adddup2(&fa, err_pipe[1], 2);
	if (cfg->workdir)
		posix_spawn_file_actions_addchdir_np(&fa, cfg->workdir);
	posix_spawnattr_init(&attr);
	sigemptyset(&none);
	sigfillset(&all);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &all);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	err = posix_spawnp(&pid, argv[0], &fa, &attr, argv,
			   cfg->clean_env ? clean_environment(env_store, env_buf) : environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	close(out_pipe[1]);
	close(err_pipe[1]);
	out_pipe[1] = err_pipe[1] = -1;
	if (err) {
		char msg[512];
		snprintf(msg, sizeof(msg), "flyte-shell: cannot run '%s'%s%s: %s\n", argv[0],
			 cfg->workdir ? " in " : "", cfg->workdir ? cfg->workdir : "", strerror(err));
		rc = stream_add(&o->err, msg, strlen(msg), cfg->max_output + sizeof(msg));
		o->exit_code = 127;
		goto out;
	}
	fds[0] = out_pipe[0];
	fds[1] = err_pipe[0];
	rc = pump(cfg, pid, fds, o);
	out_pipe[0] = fds[0];
	err_pipe[0] = fds[1];
out:
	for (int i = 0; i < 2; i++) {
		if (out_pipe[i] >= 0)
			close(out_pipe[i]);
		if (err_pipe[i] >= 0)
			close(err_pipe[i]);
	}
	free(argv[cfg->n_prefix]);
	free(argv);
	return rc;
}

/* Append "key":<quoted text> to a growing JSON text. */
static int add_string_field(char **json, size_t *len, const char *key, const char *text, size_t n)
{
	char *q = NULL, *p;
	size_t need;

	if (flyte_json_quote(&q, text ? text : "", text ? n : 0))
		return -1;
	need = *len + strlen(key) + strlen(q) + 8;
	p = realloc(*json, need);
	if (!p) {
		flyte_string_free(q);
		return -1;
	}
	*json = p;
	*len += (size_t)snprintf(p + *len, need - *len, "%s\"%s\":%s", *len > 1 ? "," : "", key, q);
	flyte_string_free(q);
	return 0;
}

char *shell_output_json(const struct shell_output *o, const struct shell_config *cfg)
{
	char *json = NULL, *errtext = NULL, tail[160];
	size_t len = 1, elen = o->err.len;
	int ok;

	/* stderr plus the notes about what the pack did to the script's output */
	errtext = malloc(o->err.len + 3 * sizeof(tail) + 1);
	if (!errtext)
		return NULL;
	if (o->err.len)
		memcpy(errtext, o->err.data, o->err.len);
	if (o->out.dropped) {
		int n = snprintf(tail, sizeof(tail), "%sflyte-shell: stdout truncated to %zu bytes (%zu dropped)\n",
				 elen && errtext[elen - 1] != '\n' ? "\n" : "", o->out.len, o->out.dropped);
		memcpy(errtext + elen, tail, (size_t)n);
		elen += (size_t)n;
	}
	if (o->err.dropped) {
		int n = snprintf(tail, sizeof(tail), "%sflyte-shell: stderr truncated to %zu bytes (%zu dropped)\n",
				 elen && errtext[elen - 1] != '\n' ? "\n" : "", o->err.len, o->err.dropped);
		memcpy(errtext + elen, tail, (size_t)n);
		elen += (size_t)n;
	}
	if (o->timed_out) {
		int n = snprintf(tail, sizeof(tail), "%sflyte-shell: timed out after %ld s; process group killed\n",
				 elen && errtext[elen - 1] != '\n' ? "\n" : "", cfg->timeout_sec);
		memcpy(errtext + elen, tail, (size_t)n);
		elen += (size_t)n;
	}
	json = malloc(2);
	if (!json) {
		free(errtext);
		return NULL;
	}
	json[0] = '{';
	json[1] = '\0';
	ok = !add_string_field(&json, &len, "stdout", o->out.data, o->out.len) &&
	     !add_string_field(&json, &len, "stderr", errtext, elen);
	free(errtext);
	if (ok) {
		char extra[160];
		size_t n = (size_t)snprintf(extra, sizeof(extra), ",\"exit_code\":%d%s%s%s}", o->exit_code,
					    o->timed_out ? ",\"timedOut\":true" : "",
					    o->out.dropped ? ",\"stdoutTruncated\":true" : "",
					    o->err.dropped ? ",\"stderrTruncated\":true" : "");
		char *p = realloc(json, len + n + 1);
		if (p) {
			json = p;
			memcpy(json + len, extra, n + 1);
			return json;
		}
	}
	free(json);
	return NULL;
}

/* The error text Go's encoding/json gives for a non-string input. */
static const char *json_type_name(const json_t *j)
{
	switch (json_typeof(j)) {
	case JSON_OBJECT: return "object";
	case JSON_ARRAY: return "array";
	case JSON_INTEGER:
	case JSON_REAL: return "number";
	case JSON_TRUE:
	case JSON_FALSE: return "bool";
	default: return "value";
	}
}

static int output_error(struct flyte_result *out, const char *msg)
{
	struct shell_output o;
	struct shell_config cfg;
	char *json;
	int rc;

	memset(&o, 0, sizeof(o));
	memset(&cfg, 0, sizeof(cfg));
	o.err.data = (char *)msg;
	o.err.len = strlen(msg);
	o.exit_code = 1;
	json = shell_output_json(&o, &cfg);
	if (!json)
		return flyte_result_fatal(out, "out of memory");
	rc = flyte_result_set(out, "Output", json);
	free(json);
	return rc;
}

int shell_handler(const char *input, size_t len, struct flyte_result *out, void *payload)
{
	const struct shell_config *cfg = payload;
	struct shell_output o;
	json_error_t jerr;
	json_t *j;
	char msg[256];
	char *json;
	int rc;

	j = json_loadb(input, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
	if (!j) {
		snprintf(msg, sizeof(msg), "invalid JSON input: %s", jerr.text);
		return output_error(out, msg);
	}
	if (json_is_null(j) || (json_is_string(j) && json_string_length(j) == 0)) {
		json_decref(j);
		return output_error(out, "No script supplied to handler");
	}
	if (!json_is_string(j)) {
		snprintf(msg, sizeof(msg), "json: cannot unmarshal %s into Go value of type string", json_type_name(j));
		json_decref(j);
		return output_error(out, msg);
	}
	if (shell_run(cfg, json_string_value(j), json_string_length(j), &o)) {
		json_decref(j);
		shell_output_release(&o);
		return flyte_result_fatal(out, "flyte-shell: out of memory while running the script");
	}
	json_decref(j);
	json = shell_output_json(&o, cfg);
	shell_output_release(&o);
	if (!json)
		return flyte_result_fatal(out, "flyte-shell: out of memory while building the output");
	rc = flyte_result_set(out, "Output", json);
	free(json);
	return rc;
}
