/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_shell.c - the Shell pack's runner and handler: raw output and exit
 * codes, the Go-compatible answers to bad input, timeout with process-group
 * kill, output caps without deadlock, working directory, clean environment,
 * a shell that cannot be started, background processes holding the pipes.
 */
#include "fl-common.h"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "fltest.h"
#include "internal.h"
#include "shell.h"
#include "fsutil.h"

static struct shell_config cfg;
static char tmpdir[64];

static void setup(void)
{
	char err[256];

	shell_config_release(&cfg);
	unsetenv("FLYTE_SHELL_CMD");
	unsetenv("FLYTE_SHELL_TIMEOUT_SEC");
	unsetenv("FLYTE_SHELL_MAX_OUTPUT_BYTES");
	unsetenv("FLYTE_SHELL_WORKDIR");
	unsetenv("FLYTE_SHELL_CLEAN_ENV");
	if (shell_config_from_env(&cfg, err, sizeof(err)))
		FLT_FAIL("config: %s", err);
	cfg.kill_grace_ms = 300;
}

static void run(const char *script, struct shell_output *o)
{
	if (shell_run(&cfg, script, strlen(script), o))
		FLT_FAIL("shell_run failed");
}

/* Run the handler and return the decoded Output payload (caller decrefs). */
static json_t *handle(const char *input)
{
	struct flyte_result r;
	json_t *j;

	flyte__result_init(&r, "Shell");
	FLT_EQ_INT(shell_handler(input, strlen(input), &r, &cfg), 0);
	FLT_EQ_STR(r.event, "Output");
	j = json_loads(r.payload, JSON_ALLOW_NUL, NULL);
	flyte__result_release(&r);
	FLT_ASSERT(j != NULL);
	return j;
}

FLT_TEST(config_defaults_and_errors)
{
	char err[256];
	struct shell_config c;

	setup();
	FLT_EQ_INT(cfg.timeout_sec, 300);
	FLT_EQ_INT(cfg.max_output, 1 << 20);
	FLT_EQ_INT(cfg.n_prefix, 2);
	FLT_EQ_STR(cfg.argv_prefix[0], "bash");
	FLT_EQ_STR(cfg.argv_prefix[1], "-c");
	FLT_ASSERT(!cfg.clean_env);

	setenv("FLYTE_SHELL_TIMEOUT_SEC", "soon", 1);
	FLT_EQ_INT(shell_config_from_env(&c, err, sizeof(err)), -1);
	FLT_ASSERT(strstr(err, "FLYTE_SHELL_TIMEOUT_SEC"));
	shell_config_release(&c);
	unsetenv("FLYTE_SHELL_TIMEOUT_SEC");
	setenv("FLYTE_SHELL_WORKDIR", "/nonexistent/dir", 1);
	FLT_EQ_INT(shell_config_from_env(&c, err, sizeof(err)), -1);
	FLT_ASSERT(strstr(err, "/nonexistent/dir"));
	shell_config_release(&c);
	unsetenv("FLYTE_SHELL_WORKDIR");
	setenv("FLYTE_SHELL_CMD", "sh -e -c", 1);
	setenv("FLYTE_SHELL_CLEAN_ENV", "true", 1);
	FLT_EQ_INT(shell_config_from_env(&c, err, sizeof(err)), 0);
	FLT_EQ_INT(c.n_prefix, 3);
	FLT_EQ_STR(c.argv_prefix[1], "-e");
	FLT_ASSERT(c.clean_env);
	shell_config_release(&c);
	unsetenv("FLYTE_SHELL_CMD");
	unsetenv("FLYTE_SHELL_CLEAN_ENV");
}

FLT_TEST(output_is_raw_with_exit_code)
{
	json_t *j;

	setup();
	j = handle("\"printf 'hi\\\\n\\\\n'; echo oops >&2; exit 3\"");
	FLT_EQ_STR(json_string_value(json_object_get(j, "stdout")), "hi\n\n");
	FLT_EQ_STR(json_string_value(json_object_get(j, "stderr")), "oops\n");
	FLT_EQ_INT(json_integer_value(json_object_get(j, "exit_code")), 3);
	FLT_ASSERT(json_object_get(j, "timedOut") == NULL);
	FLT_EQ_INT(json_object_size(j), 3); /* exactly the fields of the original pack */
	json_decref(j);

	/* a script killed by a signal reports 128 + signal, like bash */
	j = handle("\"kill -TERM $$\"");
	FLT_EQ_INT(json_integer_value(json_object_get(j, "exit_code")), 128 + SIGTERM);
	json_decref(j);
}

FLT_TEST(bad_input_answers_like_the_go_pack)
{
	json_t *j;

	setup();
	j = handle("{\"script\":\"ls\"}");
	FLT_EQ_STR(json_string_value(json_object_get(j, "stdout")), "");
	FLT_EQ_STR(json_string_value(json_object_get(j, "stderr")),
		   "json: cannot unmarshal object into Go value of type string");
	FLT_EQ_INT(json_integer_value(json_object_get(j, "exit_code")), 1);
	json_decref(j);
	j = handle("42");
	FLT_EQ_STR(json_string_value(json_object_get(j, "stderr")),
		   "json: cannot unmarshal number into Go value of type string");
	json_decref(j);
	j = handle("\"\"");
	FLT_EQ_STR(json_string_value(json_object_get(j, "stderr")), "No script supplied to handler");
	FLT_EQ_INT(json_integer_value(json_object_get(j, "exit_code")), 1);
	json_decref(j);
	j = handle("null");
	FLT_EQ_STR(json_string_value(json_object_get(j, "stderr")), "No script supplied to handler");
	json_decref(j);
}

FLT_TEST(timeout_kills_the_process_group)
{
	struct shell_output o;
	char pidfile[128], script[512];
	FILE *f;
	int bg = 0;
	json_t *j;
	char *json;

	setup();
	cfg.timeout_sec = 1;
	snprintf(pidfile, sizeof(pidfile), "%s/bg.pid", tmpdir);
	/* a background child and a foreground sleep, both in the script's group */
	snprintf(script, sizeof(script), "sleep 60 & echo $! > %s; echo started; sleep 60", pidfile);
	run(script, &o);
	FLT_ASSERT(o.timed_out);
	FLT_EQ_INT(o.exit_code, 124);
	FLT_EQ_STR(o.out.data, "started\n");
	json = shell_output_json(&o, &cfg);
	j = json_loads(json, 0, NULL);
	FLT_ASSERT(json_is_true(json_object_get(j, "timedOut")));
	FLT_EQ_INT(json_integer_value(json_object_get(j, "exit_code")), 124);
	FLT_ASSERT(strstr(json_string_value(json_object_get(j, "stderr")), "timed out after 1 s"));
	json_decref(j);
	free(json);
	shell_output_release(&o);

	f = fopen(pidfile, "r");
	FLT_ASSERT(f != NULL);
	FLT_EQ_INT(fscanf(f, "%d", &bg), 1);
	fclose(f);
	unlink(pidfile);
	/* the background sleep was in the killed group: it disappears */
	for (int i = 0; i < 200 && kill(bg, 0) == 0; i++)
		usleep(10000);
	FLT_EQ_INT(kill(bg, 0), -1);
}

FLT_TEST(output_caps_and_no_deadlock)
{
	struct shell_output o;
	char *json;
	json_t *j;

	setup();
	cfg.max_output = 1000;
	/* 2 MB on each stream, interleaved: would deadlock a pipe read sequentially */
	run("for i in 1 2; do head -c 1048576 /dev/zero | tr '\\0' a; head -c 1048576 /dev/zero | tr '\\0' b >&2; done",
	    &o);
	FLT_EQ_INT(o.exit_code, 0);
	FLT_EQ_INT(o.out.len, 1000);
	FLT_EQ_INT(o.out.dropped, 2 * 1048576 - 1000);
	FLT_EQ_INT(o.err.len, 1000);
	FLT_ASSERT(o.out.data[0] == 'a' && o.out.data[999] == 'a');
	json = shell_output_json(&o, &cfg);
	j = json_loads(json, 0, NULL);
	FLT_ASSERT(json_is_true(json_object_get(j, "stdoutTruncated")));
	FLT_ASSERT(json_is_true(json_object_get(j, "stderrTruncated")));
	FLT_ASSERT(strstr(json_string_value(json_object_get(j, "stderr")), "stdout truncated to 1000 bytes"));
	json_decref(j);
	free(json);
	shell_output_release(&o);

	/* uncapped: everything arrives */
	cfg.max_output = 8 << 20;
	run("head -c 3000000 /dev/zero | tr '\\0' x; head -c 3000000 /dev/zero >&2", &o);
	FLT_EQ_INT(o.out.len, 3000000);
	FLT_EQ_INT(o.err.len, 3000000);
	FLT_EQ_INT(o.out.dropped, 0);
	shell_output_release(&o);
}

FLT_TEST(workdir_and_clean_env)
{
	struct shell_output o;

	setup();
	cfg.workdir = strdup(tmpdir);
	setenv("FLYTE_TEST_SECRET", "s3cret", 1);
	run("pwd; echo ${FLYTE_TEST_SECRET:-unset}", &o);
	FLT_ASSERT(strstr(o.out.data, tmpdir) == o.out.data);
	FLT_ASSERT(strstr(o.out.data, "s3cret"));
	shell_output_release(&o);
	cfg.clean_env = true;
	run("echo ${FLYTE_TEST_SECRET:-unset}; test -n \"$PATH\" && echo path", &o);
	FLT_EQ_STR(o.out.data, "unset\npath\n");
	shell_output_release(&o);
	unsetenv("FLYTE_TEST_SECRET");
}

FLT_TEST(unstartable_shell_reports_127)
{
	struct shell_output o;
	char *saved;

	setup();
	saved = cfg.argv_prefix[0];
	cfg.argv_prefix[0] = (char *)"/nonexistent/bash";
	run("true", &o);
	cfg.argv_prefix[0] = saved;
	FLT_EQ_INT(o.exit_code, 127);
	FLT_ASSERT(o.err.data && strstr(o.err.data, "/nonexistent/bash"));
	shell_output_release(&o);
}

FLT_TEST(background_process_does_not_hold_the_action)
{
	struct shell_output o;
	char pidfile[128], script[256];
	FILE *f;
	int bg = 0;

	setup();
	snprintf(pidfile, sizeof(pidfile), "%s/keep.pid", tmpdir);
	/* the background sleep inherits stdout and keeps the pipe open */
	snprintf(script, sizeof(script), "sleep 60 & echo $! > %s; echo done", pidfile);
	run(script, &o);
	FLT_EQ_INT(o.exit_code, 0);
	FLT_EQ_STR(o.out.data, "done\n");
	shell_output_release(&o);
	f = fopen(pidfile, "r");
	FLT_ASSERT(f != NULL);
	FLT_EQ_INT(fscanf(f, "%d", &bg), 1);
	fclose(f);
	unlink(pidfile);
	/* run() returned while the background process still lives */
	FLT_EQ_INT(kill(bg, 0), 0);
	kill(bg, SIGKILL);
}

FLT_TEST(binary_output_stays_valid_json)
{
	json_t *j;

	setup();
	j = handle("\"printf 'ok \\\\377\\\\000 end'\"");
	FLT_EQ_MEM(json_string_value(json_object_get(j, "stdout")), json_string_length(json_object_get(j, "stdout")),
		   "ok \xef\xbf\xbd\0 end", 11);
	json_decref(j);
	shell_config_release(&cfg);
	flt_tmpdir_remove(tmpdir);
}

/* Runs first: a private directory for pid files and the workdir test. */
FLT_TEST(make_temp_dir)
{
	FLT_ASSERT(flt_tmpdir_make(tmpdir, sizeof(tmpdir), "flyte-shell-test") == 0);
}

FLT_MAIN(make_temp_dir, config_defaults_and_errors, output_is_raw_with_exit_code, bad_input_answers_like_the_go_pack,
	 timeout_kills_the_process_group, output_caps_and_no_deadlock, workdir_and_clean_env,
	 unstartable_shell_reports_127, background_process_does_not_hold_the_action, binary_output_stays_valid_json)
