/* SPDX-License-Identifier: Apache-2.0 */
/*
 * lifecycle.c - process-level behaviour of the flyte binary.
 *
 * SIGTERM answers the takes that are parked (204) and the process exits
 * with status 0 (under the sanitizers this also means no leak report);
 * --help lists the environment variables, --version prints the project
 * version, and invalid settings such as a bad FLYTE_PORT stop the process
 * with a non-zero status and a message naming the variable.
 */
#include "fl-common.h"

#include "api-util.h"
#include "fltest.h"
#include "harness.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/wait.h>

static void expect_exit0(struct flh_server *s)
{
	int st = 0;
	char sbuf[32];
	FLH_ASSERT_MSG(flh_server_wait(s, 30000, &st) == 0, "the server did not exit within 30 s of SIGTERM");
	FLH_ASSERT_MSG(WIFEXITED(st) && WEXITSTATUS(st) == 0, "exit after SIGTERM: %s",
		       flh_status_str(st, sbuf, sizeof(sbuf)));
}

FLT_TEST(sigterm_answers_parked_takes_and_exits_0)
{
	struct flh_server *s = api_start(9000, NULL);
	struct flh_pack p;
	struct api_taker t[3];
	FLH_ASSERT_MSG(s, "the server did not start");
	FLH_EQ_INT(flh_pack_register(&p, s, "{\"name\":\"LcWorker\",\"commands\":[{\"name\":\"Job\"}]}"), 201);
	/* each take reached the server once it refreshed lastSeen */
	for (int i = 0; i < 3; i++)
		api_taker_park(&t[i], &p, NULL);
	for (int i = 0; i < 3; i++)
		FLH_ASSERT_MSG(!atomic_load(&t[i].done), "take %d returned %ld before SIGTERM", i, t[i].status);
	FLH_EQ_INT(flh_server_signal(s, SIGTERM), 0);
	for (int i = 0; i < 3; i++)
		pthread_join(t[i].th, NULL);
	for (int i = 0; i < 3; i++) {
		if (t[i].status != 204)
			printf("# take %d answered %ld\n", i, t[i].status);
		flh_action_release(&t[i].a);
	}
	for (int i = 0; i < 3; i++)
		FLH_EQ_INT(t[i].status, 204);
	expect_exit0(s);
	flh_pack_release(&p);
	flh_server_free(s);
}

FLT_TEST(sigterm_idle_exits_0)
{
	struct flh_server *s = api_start(300, NULL);
	FLH_ASSERT_MSG(s, "the server did not start");
	FLH_EQ_INT(api_post_json(s, "/v1/packs", "{\"name\":\"LcIdle\"}"), 201);
	FLH_EQ_INT(flh_server_signal(s, SIGTERM), 0);
	expect_exit0(s);
	flh_server_free(s);
}

static void run(const char *const *args, const char *const *env, struct flh_run_result *rr)
{
	struct flh_run_opts o = { .args = args, .env = env, .timeout_ms = 20000 };
	FLH_EQ_INT(flh_run(&o, rr), 0);
	FLH_ASSERT_MSG(!rr->timed_out, "the process kept running (output: %.300s)", rr->output);
}

FLT_TEST(help_lists_environment_variables)
{
	static const char *const args[] = { "--help", NULL };
	static const char *const vars[] = { "FLYTE_PORT", "FLYTE_BIND_ADDRESS", "FLYTE_DB_PATH", "FLYTE_TAKE_WAIT_MS",
					    "FLYTE_TTL_IN_SECONDS", "LOGLEVEL" };
	struct flh_run_result rr;
	run(args, NULL, &rr);
	FLH_EQ_INT(flh_exit_code(rr.wstatus), 0);
	for (size_t i = 0; i < FL_ARRAY_LEN(vars); i++)
		FLH_ASSERT_MSG(strstr(rr.output, vars[i]) != NULL, "--help does not mention %s", vars[i]);
	flh_run_result_release(&rr);
}

FLT_TEST(version_prints_project_version)
{
	static const char *const args[] = { "--version", NULL };
	const char *want = getenv("FLYTE_EXPECTED_VERSION");
	struct flh_run_result rr;
	run(args, NULL, &rr);
	FLH_EQ_INT(flh_exit_code(rr.wstatus), 0);
	FLH_ASSERT_MSG(want && *want, "FLYTE_EXPECTED_VERSION is not set by the build");
	FLH_ASSERT_MSG(strstr(rr.output, want) != NULL, "--version printed '%.200s', expected to contain %s",
		       rr.output, want);
	flh_run_result_release(&rr);
}

FLT_TEST(unknown_argument_is_an_error)
{
	static const char *const args[] = { "--no-such-option", NULL };
	struct flh_run_result rr;
	run(args, NULL, &rr);
	FLH_ASSERT_MSG(flh_exit_code(rr.wstatus) > 0, "exit code %d", flh_exit_code(rr.wstatus));
	FLH_ASSERT(rr.output[0] != '\0');
	flh_run_result_release(&rr);
}

FLT_TEST(invalid_port_is_refused)
{
	static const char *const bad[] = { "FLYTE_PORT=http", "FLYTE_PORT=70000", "FLYTE_PORT=-1", "FLYTE_PORT=80a",
					   "FLYTE_PORT=99999999999999999999" };
	for (size_t i = 0; i < FL_ARRAY_LEN(bad); i++) {
		const char *env[] = { bad[i], NULL };
		struct flh_run_result rr;
		run(NULL, env, &rr);
		if (flh_exit_code(rr.wstatus) <= 0)
			printf("# %s: output %.300s\n", bad[i], rr.output);
		FLH_ASSERT_MSG(flh_exit_code(rr.wstatus) > 0, "%s: exit code %d", bad[i], flh_exit_code(rr.wstatus));
		FLH_ASSERT_MSG(strstr(rr.output, "FLYTE_PORT") != NULL, "%s: message does not name the variable: %.300s",
			       bad[i], rr.output);
		flh_run_result_release(&rr);
	}
}

FLT_TEST(invalid_take_wait_is_refused)
{
	const char *env[] = { "FLYTE_TAKE_WAIT_MS=soon", NULL };
	struct flh_run_result rr;
	run(NULL, env, &rr);
	FLH_ASSERT_MSG(flh_exit_code(rr.wstatus) > 0, "exit code %d", flh_exit_code(rr.wstatus));
	FLH_ASSERT(strstr(rr.output, "FLYTE_TAKE_WAIT_MS") != NULL);
	flh_run_result_release(&rr);
}

FLT_MAIN(sigterm_answers_parked_takes_and_exits_0, sigterm_idle_exits_0, help_lists_environment_variables,
	 version_prints_project_version, unknown_argument_is_an_error, invalid_port_is_refused,
	 invalid_take_wait_is_refused)
