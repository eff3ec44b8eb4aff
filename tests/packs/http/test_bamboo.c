/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_bamboo.c - the Bamboo pack end to end: the real flyte-bamboo binary,
 * the real flyte server and a stand-in of Bamboo's REST API; and the
 * original README's deploy example (docs/examples/label-build-flow.json)
 * with a scripted chat pack in place of HipChat.
 *
 * The stand-in of Bamboo is model_bamboo.c (Bamboo's REST reference).
 */
#include "fl-common.h"

#include "fltest.h"
#include "harness.h"
#include "models.h"
#include "packtest.h"
#include "standin.h"

#define USER "builder"
#define PASS "b4mboo-pw"

/* ------------------------------------------------------------- tests */

static struct md_bamboo M;
static struct pt_env E;
static struct standin *S;
static pid_t P;
static const char *const clear_bamboo[] = { "BAMBOO_", NULL };

#define RUN(r, cmd, input) FLH_ASSERT(pt_run(&E, "Bamboo", NULL, (cmd), (input), 0, (r)) == 0)
#define EXPECT(cmd, input, event, payload) MD_EXPECT(&E, "Bamboo", NULL, (cmd), (input), (event), (payload))
#define EXPECT_ERROR(cmd, input, event, part) MD_EXPECT_ERROR(&E, "Bamboo", NULL, (cmd), (input), (event), (part))

FLT_TEST(setup)
{
	char host[128];

	FLH_ASSERT(pt_setup(&E, "bamboo") == 0);
	md_bamboo_init(&M, USER, PASS);
	FLH_ASSERT(standin_start(&S, md_bamboo_model, &M, NULL) == 0);
	snprintf(host, sizeof(host), "BAMBOO_HOST=%s", standin_url(S));
	const char *env[] = { host, "BAMBOO_USER=" USER, "BAMBOO_PASS=" PASS, "BAMBOO_RETRY_DELAY_MS=20",
			      "BAMBOO_TIMEOUT_SEC=2", NULL };
	P = pt_start_pack(&E, getenv("FLYTE_BAMBOO_BIN"), clear_bamboo, env, "bamboo.log", "Bamboo");
	FLH_ASSERT(P > 0);
}

FLT_TEST(help_lists_variables)
{
	md_help_lists(getenv("FLYTE_BAMBOO_BIN"), (const char *const[]){ "BAMBOO_HOST", "BAMBOO_USER", "BAMBOO_PASS",
						"BAMBOO_TOKEN", "BAMBOO_CA_FILE", "BAMBOO_INSECURE", NULL });
}

FLT_TEST(labels)
{
	struct pt_result r;
	struct standin_req q;

	EXPECT("AddLabel", "{\"build\":\"ABC-DEF-12\",\"label\":\"staging\"}", "AddedLabel",
	       "{\"label\":\"staging\",\"build\":\"ABC-DEF-12\"}");
	md_last(S, &q);
	FLH_EQ_STR(q.method, "POST");
	FLH_EQ_STR(q.target, "/rest/api/latest/result/ABC-DEF-12/label?os_authType=basic");
	FLH_EQ_STR(standin_req_header(&q, "Authorization"), M.auth);
	MD_BODY(&q, "{\"name\":\"staging\"}");
	standin_req_release(&q);

	EXPECT("AddLabel", "{\"build\":\"ABC-DEF-99\",\"label\":\"staging\"}", "FailedToAddLabel",
	       "{\"label\":\"staging\",\"build\":\"ABC-DEF-99\",\"error\":\"Fail: Could not apply label: POST failed: "
	       "path=/rest/api/latest/result/ABC-DEF-99/label : label=staging : statusCode=404 : Result ABC-DEF-99 "
	       "not found\"}");

	EXPECT("DeleteLabel", "{\"build\":\"ABC-DEF-12\",\"label\":\"staging\"}", "DeletedLabel",
	       "{\"label\":\"staging\",\"build\":\"ABC-DEF-12\"}");
	md_expect_last(S, "DELETE", "/rest/api/latest/result/ABC-DEF-12/label/staging?os_authType=basic", M.auth);
	EXPECT_ERROR("DeleteLabel", "{\"build\":\"ABC-DEF-12\",\"label\":\"staging\"}", "FailedToDeleteLabel",
		     "statusCode=404 : Label not found");
	/* undecodable input: FATAL, as in the Go pack */
	RUN(&r, "AddLabel", "\"ABC-DEF-12\"");
	MD_EVENT(&r, "FATAL");
	FLH_ASSERT(strstr(json_string_value(r.payload), "Input is invalid"));
	pt_result_release(&r);
}

FLT_TEST(start_stage)
{
	struct pt_result r;
	struct standin_req q;
	size_t before;

	EXPECT("StartStage",
	       "{\"build\":\"ABC-DEF-12\",\"stage\":\"Deploy to prod\",\"vars\":{\"version\":\"1.2 & up\","
	       "\"env\":\"prod\"}}", "StartStageSuccess",
	       "{\"build\":\"ABC-DEF-12\",\"stage\":\"Deploy to prod\",\"vars\":{\"version\":\"1.2 & up\",\"env\":\"prod\"}}");
	md_last(S, &q);
	FLH_EQ_STR(q.method, "PUT");
	/* variables in the order of the input object (the server hands it over with sorted keys) */
	FLH_EQ_STR(q.target, "/rest/api/latest/queue/ABC-DEF-12?stage=Deploy%20to%20prod&executeAllStages=false"
			     "&bamboo.variable.env=prod&bamboo.variable.version=1.2%20%26%20up&os_authType=basic");
	standin_req_release(&q);

	/* a busy stage is retried after `delay` seconds, up to maxRetry attempts */
	atomic_store(&M.busy, 2);
	before = standin_count(S);
	EXPECT("StartStage", "{\"build\":\"ABC-DEF-12\",\"stage\":\"Deploy\",\"maxRetry\":3,\"delay\":0}",
	       "StartStageSuccess", "{\"build\":\"ABC-DEF-12\",\"stage\":\"Deploy\",\"vars\":null}");
	FLH_EQ_INT(standin_count(S) - before, 3);
	atomic_store(&M.busy, 5);
	before = standin_count(S);
	RUN(&r, "StartStage", "{\"build\":\"ABC-DEF-12\",\"stage\":\"Deploy\",\"maxRetry\":\"2\",\"delay\":\"1\"}");
	MD_EVENT(&r, "FailedToStartStage");
	/* the Go pack put "Fail: <error>" in the build field */
	MD_PAYLOAD(&r, "{\"build\":\"ABC-DEF-12\",\"stage\":\"Deploy\",\"vars\":null,\"error\":\"failed to progress reached "
		       "maximum number of retryCount: [2] : Build is already in progress\"}");
	FLH_EQ_INT(standin_count(S) - before, 2);
	pt_result_release(&r);
	atomic_store(&M.busy, 0);

	EXPECT_ERROR("StartStage", "{\"build\":\"ABC-DEF-12\",\"stage\":\"Nope\"}", "FailedToStartStage",
		     "bamboo is returning a 404 error. Build: ABC-DEF-12,stage: Nope");
	RUN(&r, "StartStage", "{\"build\":\"ABC-DEF-12\",\"vars\":{\"n\":1}}");
	MD_EVENT(&r, "FATAL");
	pt_result_release(&r);
}

FLT_TEST(trigger_and_enable_plan)
{
	struct pt_result r;

	RUN(&r, "TriggerPlan", "{\"plan\":\"ABC-DEF\"}");
	MD_EVENT(&r, "PlanTriggered");
	MD_PAYLOAD(&r, "{\"plan\":\"ABC-DEF\",\"buildResultKey\":\"ABC-DEF-21\",\"buildNumber\":21}");
	/* with '?', and the documented "queue a build" POST (the Go pack sent PUT .../ABC-DEF&executeAllStages=false) */
	md_expect_last(S, "POST", "/rest/api/latest/queue/ABC-DEF?executeAllStages=false&os_authType=basic", M.auth);
	pt_result_release(&r);
	RUN(&r, "TriggerPlan", "{\"plan\":\"ABC-OLD\"}");
	MD_EVENT(&r, "FailedToTriggerPlan");
	/* plan and error are no longer swapped */
	MD_PAYLOAD(&r, "{\"plan\":\"ABC-OLD\",\"error\":\"Fail: Could not start Plan: POST failed: path=/rest/api/latest/"
		       "queue/ABC-OLD plan=ABC-OLD code=400 : Plan ABC-OLD is disabled\"}");
	pt_result_release(&r);

	EXPECT("EnablePlan", "{\"plan\":\"ABC-OLD\"}", "PlanEnabled", "{\"plan\":\"ABC-OLD\"}");
	md_expect_last(S, "POST", "/rest/api/latest/plan/ABC-OLD/enable?os_authType=basic", M.auth);
	EXPECT("EnablePlan", "{\"plan\":\"NO-PE\"}", "FailedToEnablePlan",
	       "{\"plan\":\"NO-PE\",\"error\":\"Fail: could not enable plan: POST failed: path=/rest/api/latest/plan/"
	       "NO-PE/enable : statusCode=404 : Plan not found\"}");
}

FLT_TEST(comments_and_lifecycle)
{
	struct pt_result r;

	EXPECT("AddComment", "{\"build\":\"ABC-DEF-13\",\"comment\":\"deployed by flyte\"}", "CommentAdded",
	       "{\"comment\":\"deployed by flyte\",\"build\":\"ABC-DEF-13\"}");
	md_expect_body(S, NULL, "/rest/api/latest/result/ABC-DEF-13/comment?os_authType=basic",
		       "{\"content\":\"deployed by flyte\"}");
	RUN(&r, "AddComment", "{\"build\":\"ABC-DEF-13\",\"comment\":\"\"}");
	MD_EVENT(&r, "FailedToAddComment");
	/* the comment is under "comment" (the Go pack used "label") */
	MD_PAYLOAD(&r, "{\"comment\":\"\",\"build\":\"ABC-DEF-13\",\"error\":\"Fail: could not apply Comment: POST failed: "
		       "path=/rest/api/latest/result/ABC-DEF-13/comment : comment= : statusCode=400 : Comment content is "
		       "required\"}");
	pt_result_release(&r);

	EXPECT("GetLifecycleState", "{\"build\":\"ABC-DEF-12\",\"stage\":\"Deploy\"}", "GetLifeCycleState",
	       "{\"stage\":\"Deploy\",\"lifecycle\":\"NotBuilt\",\"state\":\"Unknown\",\"build\":\"ABC-DEF-12\"}");
	md_expect_last(S, "GET", "/rest/api/latest/result/ABC-DEF-12.json?expand=stages&os_authType=basic", M.auth);
	RUN(&r, "GetLifecycleState", "{\"build\":\"ABC-DEF-12\",\"stage\":\"Other\"}");
	MD_PAYLOAD(&r, "{\"stage\":\"Other\",\"lifecycle\":\"\",\"state\":\"\",\"build\":\"ABC-DEF-12\"}");
	pt_result_release(&r);
	EXPECT_ERROR("GetLifecycleState", "{\"build\":\"ABC-XYZ-1\",\"stage\":\"Deploy\"}", "GetLifeCycleFailed",
		     "statusCode=404 : Result not found");
}

FLT_TEST(malformed_answers_retries_timeouts)
{
	struct pt_result r;
	struct standin_fault garbage = { .count = 1, .status = 200, .ctype = "application/json", .body = "<results/>" };
	struct standin_fault busy = { .count = 1, .status = 502, .ctype = "text/html", .body = "<title>Bad Gateway</title>" };
	struct standin_fault slow = { .count = 1, .delay_ms = 3000 };

	/* the Go pack exited on an answer it could not parse */
	standin_fault(S, &garbage);
	EXPECT_ERROR("GetLifecycleState", "{\"build\":\"ABC-DEF-12\",\"stage\":\"Deploy\"}", "GetLifeCycleFailed",
		     "answer is not JSON");
	FLH_ASSERT(pt_alive(P));
	/* an idempotent read retried through a 502 */
	standin_reset(S);
	standin_fault(S, &busy);
	RUN(&r, "GetLifecycleState", "{\"build\":\"ABC-DEF-12\",\"stage\":\"Build\"}");
	MD_EVENT(&r, "GetLifeCycleState");
	FLH_EQ_STR(pt_str(&r, "state"), "Successful");
	FLH_EQ_INT(standin_count(S), 2);
	pt_result_release(&r);
	/* a trigger is not repeated */
	standin_reset(S);
	standin_fault(S, &busy);
	EXPECT_ERROR("TriggerPlan", "{\"plan\":\"ABC-DEF\"}", "FailedToTriggerPlan", "code=502 : Bad Gateway");
	FLH_EQ_INT(standin_count(S), 1);
	/* time-out */
	standin_fault(S, &slow);
	EXPECT_ERROR("AddComment", "{\"build\":\"ABC-DEF-13\",\"comment\":\"late\"}", "FailedToAddComment",
		     "timed out after 2000 ms");
	FLH_ASSERT(pt_alive(P));
}

FLT_TEST(token_auth_wrong_password_and_missing_variables)
{
	char host[128];
	struct pt_result r;
	struct standin_req q;
	pid_t pid;

	snprintf(host, sizeof(host), "BAMBOO_HOST=%s", standin_url(S));
	/* a personal access token: bearer, no os_authType */
	const char *env_pat[] = { host, "BAMBOO_TOKEN=pat-123", "FLYTE_LABELS=auth=pat", NULL };
	pid = pt_start_pack(&E, getenv("FLYTE_BAMBOO_BIN"), clear_bamboo, env_pat, "bamboo-pat.log", "Bamboo.auth.pat");
	FLH_ASSERT(pid > 0);
	FLH_ASSERT(pt_run(&E, "Bamboo", "{\"auth\":\"pat\"}", "EnablePlan", "{\"plan\":\"ABC-DEF\"}", 0, &r) == 0);
	MD_EVENT(&r, "PlanEnabled");
	pt_result_release(&r);
	md_last(S, &q);
	FLH_EQ_STR(q.target, "/rest/api/latest/plan/ABC-DEF/enable");
	FLH_EQ_STR(standin_req_header(&q, "Authorization"), "Bearer pat-123");
	standin_req_release(&q);
	FLH_EQ_INT(pt_stop_pack(pid), 0);

	const char *env_bad[] = { host, "BAMBOO_USER=" USER, "BAMBOO_PASSWORD=nope", "FLYTE_LABELS=auth=bad", NULL };
	pid = pt_start_pack(&E, getenv("FLYTE_BAMBOO_BIN"), clear_bamboo, env_bad, "bamboo-bad.log", "Bamboo.auth.bad");
	FLH_ASSERT(pid > 0);
	FLH_ASSERT(pt_run(&E, "Bamboo", "{\"auth\":\"bad\"}", "AddLabel", "{\"build\":\"ABC-DEF-12\",\"label\":\"x\"}", 0,
			  &r) == 0);
	MD_EVENT(&r, "FailedToAddLabel");
	FLH_ASSERT(strstr(pt_str(&r, "error"), "statusCode=401 : Client must be authenticated"));
	pt_result_release(&r);
	FLH_EQ_INT(pt_stop_pack(pid), 0);

	const char *env_unset[] = { "BAMBOO_USER=" USER, "FLYTE_LABELS=auth=none", NULL };
	pid = pt_start_pack(&E, getenv("FLYTE_BAMBOO_BIN"), clear_bamboo, env_unset, "bamboo-unset.log",
			    "Bamboo.auth.none");
	FLH_ASSERT(pid > 0);
	FLH_ASSERT(pt_run(&E, "Bamboo", "{\"auth\":\"none\"}", "TriggerPlan", "{\"plan\":\"ABC-DEF\"}", 0, &r) == 0);
	MD_PAYLOAD(&r, "{\"plan\":\"ABC-DEF\",\"error\":\"Fail: BAMBOO_HOST is not set\"}");
	pt_result_release(&r);
	FLH_ASSERT(pt_alive(pid));
	FLH_EQ_INT(pt_stop_pack(pid), 0);
}

FLT_TEST(label_build_flow)
{
	struct flh_pack chat = { 0 };
	struct flh_action a = { 0 };
	struct standin_req q;
	size_t before;

	md_post_flow_file(E.srv, getenv("FLYTE_LABEL_FLOW"));
	/* the scripted chat pack, shaped like the HipChat pack */
	FLH_EQ_INT(flh_pack_register(&chat, E.srv,
				     "{\"name\":\"HipChat\",\"labels\":{\"env\":\"staging\"},\"events\":[{\"name\":"
				     "\"ReceivedMessage\"},{\"name\":\"MessageSent\"}],\"commands\":[{\"name\":\"SendMessage\","
				     "\"events\":[\"MessageSent\",\"SendMessageFailed\"]}]}"),
		   201);
	standin_reset(S);
	/* a message in another room is ignored */
	FLH_EQ_INT(flh_pack_event(&chat, "ReceivedMessage",
				  "{\"id\":\"m0\",\"roomId\":\"random\",\"from\":{\"id\":7,\"name\":\"Bob\",\"mentionName\":"
				  "\"bob\"},\"message\":\"flyte add label prod to build ABC-DEF-13\",\"messageFormat\":\"text\","
				  "\"type\":\"message\"}"),
		   202);
	/* the request in the deploy room */
	FLH_EQ_INT(flh_pack_event(&chat, "ReceivedMessage",
				  "{\"id\":\"m1\",\"roomId\":\"deployRoom\",\"date\":\"2024-03-01T12:00:00Z\",\"from\":{\"id\":"
				  "42,\"name\":\"Jane Doe\",\"mentionName\":\"jane\"},\"mentions\":[],\"message\":\"flyte add "
				  "label staging to build ABC-DEF-12\",\"messageFormat\":\"text\",\"type\":\"message\"}"),
		   202);
	/* HipChat gets the reply action once Bamboo added the label */
	FLH_EQ_INT(flh_pack_take_wait(&chat, NULL, &a, FLH_WAIT_MS), 200);
	FLH_EQ_STR(a.command, "SendMessage");
	FLH_EQ_STR(flh_json_str(a.input, "roomId"), "deployRoom");
	FLH_EQ_STR(flh_json_str(a.input, "message"), "Hi Jane Doe - labeled ABC-DEF-12 build as staging");
	FLH_EQ_INT(flh_action_result(E.srv, &a, "MessageSent", "{\"roomId\":\"deployRoom\",\"message\":\"sent\"}"), 202);
	flh_action_release(&a);
	/* Bamboo saw exactly one label request, for the right build */
	before = standin_count(S);
	FLH_EQ_INT(before, 1);
	md_last(S, &q);
	FLH_EQ_STR(q.method, "POST");
	FLH_EQ_STR(q.target, "/rest/api/latest/result/ABC-DEF-12/label?os_authType=basic");
	FLH_EQ_STR(standin_req_header(&q, "Authorization"), M.auth);
	MD_BODY(&q, "{\"name\":\"staging\"}");
	standin_req_release(&q);
	/* the execution finished both steps */
	{
		bool ok;
		FLH_WAIT_FOR(ok, FLH_WAIT_MS, md_label_flow_done(E.srv));
		FLH_ASSERT_MSG(ok, "the LabelBuildFlow execution did not complete both steps");
	}
	flh_pack_release(&chat);
}

FLT_TEST(teardown)
{
	FLH_ASSERT(pt_alive(P));
	FLH_EQ_INT(pt_stop_pack(P), 0);
	standin_stop(S);
	pt_teardown(&E);
	md_bamboo_release(&M);
}

FLT_MAIN(setup, help_lists_variables, labels, start_stage, trigger_and_enable_plan, comments_and_lifecycle,
	 malformed_answers_retries_timeouts, token_auth_wrong_password_and_missing_variables, label_build_flow, teardown)
