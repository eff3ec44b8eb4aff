/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_bamboo.c - the Bamboo pack end to end: the real flyte-bamboo binary,
 * the real flyte server and a stand-in of Bamboo's REST API; and the
 * original README's deploy example (docs/examples/label-build-flow.json)
 * with a scripted chat pack in place of HipChat.
 *
 * The stand-in follows Bamboo's REST reference (/rest/api/latest): Basic
 * authentication with the os_authType=basic query parameter (or a bearer
 * personal access token), JSON when asked with Accept: application/json
 * (XML otherwise), error bodies {"message":..,"status-code":N}, and the
 * documented resources: result labels and comments (204), the result with
 * expand=stages, "queue a build" (POST /queue/{plan}) and "continue a
 * build" (PUT /queue/{build}?stage=..) answering 400 while the stage is
 * busy, and plan enable (204).
 */
#include "fl-common.h"

#include <stdatomic.h>

#include "fltest.h"
#include "harness.h"
#include "models.h"
#include "packtest.h"
#include "standin.h"

#define USER "builder"
#define PASS "b4mboo-pw"

/* ------------------------------------------------------------- model */

struct bamboo_model {
	char auth[128];
	json_t *labels; /* build key -> [labels] */
	atomic_int busy; /* PUT queue answers 400 this many times */
	int next_build;
	char base[64];
};

static struct bamboo_model M;

static void err(struct standin_resp *r, int status, const char *message)
{
	json_t *j = json_pack("{s:s,s:i}", "message", message, "status-code", status);
	char *t = json_dumps(j, JSON_COMPACT);
	standin_text(r, status, "application/json", t);
	free(t);
	json_decref(j);
}

static void answer(struct standin_resp *r, int status, json_t *j)
{
	char *t = json_dumps(j, JSON_COMPACT);
	standin_text(r, status, "application/json", t);
	free(t);
	json_decref(j);
}

static bool known_build(const char *k)
{
	return !strcmp(k, "ABC-DEF-12") || !strcmp(k, "ABC-DEF-13");
}

static bool known_plan(const char *k)
{
	return !strcmp(k, "ABC-DEF") || !strcmp(k, "ABC-OLD");
}

/* The query must hold exactly these parameters (NULL-terminated name/value pairs; value NULL = any). */
static bool query_is(const struct standin_req *q, int extra_vars, const char *const *kv)
{
	char v[256];
	int n = 0;

	for (size_t i = 0; kv[i]; i += 2, n++)
		if (!md_query(q->query, kv[i], v, sizeof(v)) || (kv[i + 1] && strcmp(v, kv[i + 1])))
			return false;
	return md_query_count(q->query) == n + extra_vars;
}

static int count_vars(const char *query)
{
	int n = 0;
	for (const char *p = query; (p = strstr(p, "bamboo.variable.")); p++)
		n++;
	return n;
}

static void bamboo_model(const struct standin_req *q, struct standin_resp *r, void *payload)
{
	char seg[8][256], v[64];
	const char *auth = standin_req_header(q, "Authorization"), *accept = standin_req_header(q, "Accept");
	bool basic = md_query(q->query, "os_authType", v, sizeof(v)) && !strcmp(v, "basic");
	int n = md_segments(q->path, seg, 8);
	json_t *b = NULL;

	(void)payload;
	if (!auth || !((basic && !strcmp(auth, M.auth)) || !strcmp(auth, "Bearer pat-123")))
		{ err(r, 401, "Client must be authenticated to access this resource."); return; }
	if (!accept || !strstr(accept, "application/json")) {
		standin_text(r, 200, "application/xml", "<results/>"); /* Bamboo's default is XML */
		return;
	}
	if (n < 4 || strcmp(seg[0], "rest") || strcmp(seg[1], "api") || strcmp(seg[2], "latest"))
		{ err(r, 404, "Not Found"); return; }
	if (q->body_len) {
		if (!md_json_ctype(q))
			{ err(r, 415, "Unsupported Media Type"); return; }
		if (!(b = md_body(q)))
			{ err(r, 400, "Can not deserialize the request body"); return; }
	}
	const char *auth_q[] = { "os_authType", "basic", NULL };
	const char *no_q[] = { NULL };
	const char *const *plain_q = basic ? auth_q : no_q;

	/* POST /result/{key}/label  {"name": label} */
	if (n == 6 && !strcmp(seg[3], "result") && !strcmp(seg[5], "label") && !strcmp(q->method, "POST")) {
		const char *name = json_string_value(json_object_get(b, "name"));
		if (!query_is(q, 0, plain_q))
			err(r, 400, "unexpected query parameters");
		else if (!known_build(seg[4]))
			err(r, 404, "Result ABC-DEF-99 not found");
		else if (!name || !*name || strchr(name, ' '))
			err(r, 400, "Label name is invalid");
		else {
			json_t *l = json_object_get(M.labels, seg[4]);
			if (!l)
				json_object_set_new(M.labels, seg[4], l = json_array());
			json_array_append_new(l, json_string(name));
			standin_text(r, 204, NULL, NULL);
		}
	} else if (n == 7 && !strcmp(seg[3], "result") && !strcmp(seg[5], "label") && !strcmp(q->method, "DELETE")) {
		json_t *l = json_object_get(M.labels, seg[4]), *e;
		size_t i;
		bool found = false;
		json_array_foreach(l, i, e)
			if (!found && !strcmp(json_string_value(e), seg[6])) {
				json_array_remove(l, i);
				found = true;
			}
		if (!known_build(seg[4]) || !found)
			err(r, 404, "Label not found");
		else
			standin_text(r, 204, NULL, NULL);
	} else if (n == 6 && !strcmp(seg[3], "result") && !strcmp(seg[5], "comment") && !strcmp(q->method, "POST")) {
		const char *content = json_string_value(json_object_get(b, "content"));
		if (!known_build(seg[4]))
			err(r, 404, "Result not found");
		else if (!content || !*content)
			err(r, 400, "Comment content is required");
		else
			standin_text(r, 204, NULL, NULL);
	} else if (n == 5 && !strcmp(seg[3], "result") && !strcmp(q->method, "GET")) {
		const char *want[] = { "expand", "stages", basic ? "os_authType" : NULL, "basic", NULL };
		size_t kl = strlen(seg[4]);
		if (kl < 6 || strcmp(seg[4] + kl - 5, ".json"))
			{ err(r, 404, "Not Found"); return; }
		seg[4][kl - 5] = '\0';
		if (!query_is(q, 0, want))
			err(r, 400, "expected expand=stages");
		else if (!known_build(seg[4]))
			err(r, 404, "Result not found");
		else
			answer(r, 200, json_pack("{s:s,s:s,s:i,s:{s:i,s:s,s:[{s:s,s:s,s:s,s:b},{s:s,s:s,s:s,s:b}],s:i,s:i}}",
						 "key", seg[4], "state", "Successful", "buildNumber", 12, "stages", "size",
						 2, "expand", "stage", "stage", "name", "Build", "lifeCycleState", "Finished",
						 "state", "Successful", "manual", 0, "name", "Deploy", "lifeCycleState",
						 "NotBuilt", "state", "Unknown", "manual", 1, "max-result", 2, "start-index", 0));
	} else if (n == 5 && !strcmp(seg[3], "queue") && !strcmp(q->method, "PUT")) {
		/* continue a build: PUT /queue/{build}?stage=..&executeAllStages=false&bamboo.variable.X=.. */
		const char *want[] = { "stage", NULL, "executeAllStages", "false", basic ? "os_authType" : NULL, "basic", NULL };
		char stage[64];
		if (!known_build(seg[4]))
			err(r, 404, "Result not found");
		else if (!query_is(q, count_vars(q->query), want) || !md_query(q->query, "stage", stage, sizeof(stage)))
			err(r, 400, "bad query");
		else if (strcmp(stage, "Deploy") && strcmp(stage, "Deploy to prod"))
			err(r, 404, "Stage not found");
		else if (atomic_load(&M.busy) > 0) {
			atomic_fetch_sub(&M.busy, 1);
			err(r, 400, "Build is already in progress");
		} else
			answer(r, 200, json_pack("{s:s,s:i,s:s,s:s}", "planKey", "ABC-DEF", "buildNumber", 12, "buildResultKey",
						 seg[4], "triggerReason", "Manual run"));
	} else if (n == 5 && !strcmp(seg[3], "queue") && !strcmp(q->method, "POST")) {
		/* queue a build: POST /queue/{plan}?executeAllStages=false */
		const char *want[] = { "executeAllStages", "false", basic ? "os_authType" : NULL, "basic", NULL };
		char key[64];
		if (!query_is(q, 0, want))
			err(r, 400, "bad query");
		else if (!known_plan(seg[4]))
			err(r, 404, "Plan not found");
		else if (!strcmp(seg[4], "ABC-OLD"))
			err(r, 400, "Plan ABC-OLD is disabled");
		else {
			snprintf(key, sizeof(key), "%s-%d", seg[4], ++M.next_build);
			answer(r, 200, json_pack("{s:s,s:i,s:s,s:s,s:{s:s,s:s}}", "planKey", seg[4], "buildNumber", M.next_build,
						 "buildResultKey", key, "triggerReason", "Manual run by " USER, "link", "href",
						 "x", "rel", "self"));
		}
	} else if (n == 6 && !strcmp(seg[3], "plan") && !strcmp(seg[5], "enable") && !strcmp(q->method, "POST")) {
		if (!query_is(q, 0, plain_q))
			err(r, 400, "unexpected query parameters");
		else if (!known_plan(seg[4]))
			err(r, 404, "Plan not found");
		else
			standin_text(r, 204, NULL, NULL);
	} else if (n >= 4 && (!strcmp(seg[3], "queue") || !strcmp(seg[3], "result") || !strcmp(seg[3], "plan"))) {
		err(r, 405, "Method Not Allowed");
	} else {
		err(r, 404, "Not Found");
	}
	json_decref(b);
}

/* ------------------------------------------------------------- tests */

static struct pt_env E;
static struct standin *S;
static pid_t P;
static const char *const clear_bamboo[] = { "BAMBOO_", NULL };

#define RUN(r, cmd, input) FLH_ASSERT(pt_run(&E, "Bamboo", NULL, (cmd), (input), 0, (r)) == 0)

static void expect_last(const char *method, const char *target)
{
	struct standin_req q;

	md_last(S, &q);
	if (strcmp(q.method, method) || strcmp(q.target, target)) {
		printf("# got %s %s\n", q.method, q.target);
		standin_req_release(&q);
		FLH_FAIL("expected %s %s", method, target);
	}
	FLH_EQ_STR(standin_req_header(&q, "Authorization"), M.auth);
	standin_req_release(&q);
}

FLT_TEST(setup)
{
	char host[128];

	FLH_ASSERT(pt_setup(&E, "bamboo") == 0);
	memset(&M, 0, sizeof(M));
	md_basic(M.auth, sizeof(M.auth), USER, PASS);
	M.labels = json_object();
	M.next_build = 20;
	FLH_ASSERT(standin_start(&S, bamboo_model, NULL, NULL) == 0);
	snprintf(host, sizeof(host), "BAMBOO_HOST=%s", standin_url(S));
	const char *env[] = { host, "BAMBOO_USER=" USER, "BAMBOO_PASS=" PASS, "BAMBOO_RETRY_DELAY_MS=20",
			      "BAMBOO_TIMEOUT_SEC=2", NULL };
	P = pt_start_pack(&E, getenv("FLYTE_BAMBOO_BIN"), clear_bamboo, env, "bamboo.log", "Bamboo");
	FLH_ASSERT(P > 0);
}

FLT_TEST(help_lists_variables)
{
	const char *h = md_help(getenv("FLYTE_BAMBOO_BIN"));

	FLH_ASSERT(h != NULL);
	FLH_ASSERT(strstr(h, "BAMBOO_HOST") && strstr(h, "BAMBOO_USER") && strstr(h, "BAMBOO_PASS") &&
		   strstr(h, "BAMBOO_TOKEN") && strstr(h, "BAMBOO_CA_FILE") && strstr(h, "BAMBOO_INSECURE"));
}

FLT_TEST(labels)
{
	struct pt_result r;
	struct standin_req q;

	RUN(&r, "AddLabel", "{\"build\":\"ABC-DEF-12\",\"label\":\"staging\"}");
	MD_EVENT(&r, "AddedLabel");
	MD_PAYLOAD(&r, "{\"label\":\"staging\",\"build\":\"ABC-DEF-12\"}");
	pt_result_release(&r);
	md_last(S, &q);
	FLH_EQ_STR(q.method, "POST");
	FLH_EQ_STR(q.target, "/rest/api/latest/result/ABC-DEF-12/label?os_authType=basic");
	FLH_EQ_STR(standin_req_header(&q, "Authorization"), M.auth);
	MD_BODY(&q, "{\"name\":\"staging\"}");
	standin_req_release(&q);

	RUN(&r, "AddLabel", "{\"build\":\"ABC-DEF-99\",\"label\":\"staging\"}");
	MD_EVENT(&r, "FailedToAddLabel");
	MD_PAYLOAD(&r, "{\"label\":\"staging\",\"build\":\"ABC-DEF-99\",\"error\":\"Fail: Could not apply label: POST failed: "
		       "path=/rest/api/latest/result/ABC-DEF-99/label : label=staging : statusCode=404 : Result ABC-DEF-99 "
		       "not found\"}");
	pt_result_release(&r);

	RUN(&r, "DeleteLabel", "{\"build\":\"ABC-DEF-12\",\"label\":\"staging\"}");
	MD_EVENT(&r, "DeletedLabel");
	MD_PAYLOAD(&r, "{\"label\":\"staging\",\"build\":\"ABC-DEF-12\"}");
	expect_last("DELETE", "/rest/api/latest/result/ABC-DEF-12/label/staging?os_authType=basic");
	pt_result_release(&r);
	RUN(&r, "DeleteLabel", "{\"build\":\"ABC-DEF-12\",\"label\":\"staging\"}");
	MD_EVENT(&r, "FailedToDeleteLabel");
	FLH_ASSERT(strstr(pt_str(&r, "error"), "statusCode=404 : Label not found"));
	pt_result_release(&r);
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

	RUN(&r, "StartStage", "{\"build\":\"ABC-DEF-12\",\"stage\":\"Deploy to prod\",\"vars\":{\"version\":\"1.2 & up\","
			      "\"env\":\"prod\"}}");
	MD_EVENT(&r, "StartStageSuccess");
	MD_PAYLOAD(&r, "{\"build\":\"ABC-DEF-12\",\"stage\":\"Deploy to prod\",\"vars\":{\"version\":\"1.2 & up\",\"env\":\"prod\"}}");
	pt_result_release(&r);
	md_last(S, &q);
	FLH_EQ_STR(q.method, "PUT");
	/* variables in the order of the input object (the server hands it over with sorted keys) */
	FLH_EQ_STR(q.target, "/rest/api/latest/queue/ABC-DEF-12?stage=Deploy%20to%20prod&executeAllStages=false"
			     "&bamboo.variable.env=prod&bamboo.variable.version=1.2%20%26%20up&os_authType=basic");
	standin_req_release(&q);

	/* a busy stage is retried after `delay` seconds, up to maxRetry attempts */
	atomic_store(&M.busy, 2);
	before = standin_count(S);
	RUN(&r, "StartStage", "{\"build\":\"ABC-DEF-12\",\"stage\":\"Deploy\",\"maxRetry\":3,\"delay\":0}");
	MD_EVENT(&r, "StartStageSuccess");
	MD_PAYLOAD(&r, "{\"build\":\"ABC-DEF-12\",\"stage\":\"Deploy\",\"vars\":null}");
	FLH_EQ_INT(standin_count(S) - before, 3);
	pt_result_release(&r);
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

	RUN(&r, "StartStage", "{\"build\":\"ABC-DEF-12\",\"stage\":\"Nope\"}");
	MD_EVENT(&r, "FailedToStartStage");
	FLH_ASSERT(strstr(pt_str(&r, "error"), "bamboo is returning a 404 error. Build: ABC-DEF-12,stage: Nope"));
	pt_result_release(&r);
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
	expect_last("POST", "/rest/api/latest/queue/ABC-DEF?executeAllStages=false&os_authType=basic");
	pt_result_release(&r);
	RUN(&r, "TriggerPlan", "{\"plan\":\"ABC-OLD\"}");
	MD_EVENT(&r, "FailedToTriggerPlan");
	/* plan and error are no longer swapped */
	MD_PAYLOAD(&r, "{\"plan\":\"ABC-OLD\",\"error\":\"Fail: Could not start Plan: POST failed: path=/rest/api/latest/"
		       "queue/ABC-OLD plan=ABC-OLD code=400 : Plan ABC-OLD is disabled\"}");
	pt_result_release(&r);

	RUN(&r, "EnablePlan", "{\"plan\":\"ABC-OLD\"}");
	MD_EVENT(&r, "PlanEnabled");
	MD_PAYLOAD(&r, "{\"plan\":\"ABC-OLD\"}");
	expect_last("POST", "/rest/api/latest/plan/ABC-OLD/enable?os_authType=basic");
	pt_result_release(&r);
	RUN(&r, "EnablePlan", "{\"plan\":\"NO-PE\"}");
	MD_EVENT(&r, "FailedToEnablePlan");
	MD_PAYLOAD(&r, "{\"plan\":\"NO-PE\",\"error\":\"Fail: could not enable plan: POST failed: path=/rest/api/latest/plan/"
		       "NO-PE/enable : statusCode=404 : Plan not found\"}");
	pt_result_release(&r);
}

FLT_TEST(comments_and_lifecycle)
{
	struct pt_result r;
	struct standin_req q;

	RUN(&r, "AddComment", "{\"build\":\"ABC-DEF-13\",\"comment\":\"deployed by flyte\"}");
	MD_EVENT(&r, "CommentAdded");
	MD_PAYLOAD(&r, "{\"comment\":\"deployed by flyte\",\"build\":\"ABC-DEF-13\"}");
	pt_result_release(&r);
	md_last(S, &q);
	FLH_EQ_STR(q.target, "/rest/api/latest/result/ABC-DEF-13/comment?os_authType=basic");
	MD_BODY(&q, "{\"content\":\"deployed by flyte\"}");
	standin_req_release(&q);
	RUN(&r, "AddComment", "{\"build\":\"ABC-DEF-13\",\"comment\":\"\"}");
	MD_EVENT(&r, "FailedToAddComment");
	/* the comment is under "comment" (the Go pack used "label") */
	MD_PAYLOAD(&r, "{\"comment\":\"\",\"build\":\"ABC-DEF-13\",\"error\":\"Fail: could not apply Comment: POST failed: "
		       "path=/rest/api/latest/result/ABC-DEF-13/comment : comment= : statusCode=400 : Comment content is "
		       "required\"}");
	pt_result_release(&r);

	RUN(&r, "GetLifecycleState", "{\"build\":\"ABC-DEF-12\",\"stage\":\"Deploy\"}");
	MD_EVENT(&r, "GetLifeCycleState");
	MD_PAYLOAD(&r, "{\"stage\":\"Deploy\",\"lifecycle\":\"NotBuilt\",\"state\":\"Unknown\",\"build\":\"ABC-DEF-12\"}");
	expect_last("GET", "/rest/api/latest/result/ABC-DEF-12.json?expand=stages&os_authType=basic");
	pt_result_release(&r);
	RUN(&r, "GetLifecycleState", "{\"build\":\"ABC-DEF-12\",\"stage\":\"Other\"}");
	MD_PAYLOAD(&r, "{\"stage\":\"Other\",\"lifecycle\":\"\",\"state\":\"\",\"build\":\"ABC-DEF-12\"}");
	pt_result_release(&r);
	RUN(&r, "GetLifecycleState", "{\"build\":\"ABC-XYZ-1\",\"stage\":\"Deploy\"}");
	MD_EVENT(&r, "GetLifeCycleFailed");
	FLH_ASSERT(strstr(pt_str(&r, "error"), "statusCode=404 : Result not found"));
	pt_result_release(&r);
}

FLT_TEST(malformed_answers_retries_timeouts)
{
	struct pt_result r;
	struct standin_fault garbage = { .count = 1, .status = 200, .ctype = "application/json", .body = "<results/>" };
	struct standin_fault busy = { .count = 1, .status = 502, .ctype = "text/html", .body = "<title>Bad Gateway</title>" };
	struct standin_fault slow = { .count = 1, .delay_ms = 3000 };

	/* the Go pack exited on an answer it could not parse */
	standin_fault(S, &garbage);
	RUN(&r, "GetLifecycleState", "{\"build\":\"ABC-DEF-12\",\"stage\":\"Deploy\"}");
	MD_EVENT(&r, "GetLifeCycleFailed");
	FLH_ASSERT(strstr(pt_str(&r, "error"), "answer is not JSON"));
	pt_result_release(&r);
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
	RUN(&r, "TriggerPlan", "{\"plan\":\"ABC-DEF\"}");
	MD_EVENT(&r, "FailedToTriggerPlan");
	FLH_ASSERT(strstr(pt_str(&r, "error"), "code=502 : Bad Gateway"));
	FLH_EQ_INT(standin_count(S), 1);
	pt_result_release(&r);
	/* time-out */
	standin_fault(S, &slow);
	RUN(&r, "AddComment", "{\"build\":\"ABC-DEF-13\",\"comment\":\"late\"}");
	MD_EVENT(&r, "FailedToAddComment");
	FLH_ASSERT(strstr(pt_str(&r, "error"), "timed out after 2000 ms"));
	pt_result_release(&r);
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

/* ---------------------------------------------- the README's deploy flow */

static char *read_text(const char *path)
{
	FILE *f = path ? fopen(path, "r") : NULL;
	static char buf[16384];
	size_t n;

	if (!f)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return buf;
}

/* Both steps of the LabelBuildFlow execution have their result. */
static bool both_steps_done(void)
{
	struct flh_resp *x = flh_get(E.srv, "/v1/audit/flows?flowName=LabelBuildFlow");
	json_t *e = json_array_get(json_object_get(flh_resp_json(x), "flows"), 0);
	const char *s1 = flh_json_str(e, "actions.hipchat_start_to_bamboo.result.event");
	const char *s2 = flh_json_str(e, "actions.bamboo_to_hipchat.result.event");
	bool done = s1 && s2 && !strcmp(s1, "AddedLabel") && !strcmp(s2, "MessageSent");

	flh_resp_free(x);
	return done;
}

FLT_TEST(label_build_flow)
{
	struct flh_pack chat = { 0 };
	struct flh_action a = { 0 };
	struct flh_resp *resp;
	struct standin_req q;
	const char *flow = read_text(getenv("FLYTE_LABEL_FLOW"));
	size_t before;

	FLH_ASSERT_MSG(flow != NULL, "cannot read docs/examples/label-build-flow.json");
	resp = flh_post_json(E.srv, "/v1/flows", flow);
	FLH_STATUS(resp, 201);
	flh_resp_free(resp);
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
		FLH_WAIT_FOR(ok, FLH_WAIT_MS, both_steps_done());
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
	json_decref(M.labels);
}

FLT_MAIN(setup, help_lists_variables, labels, start_stage, trigger_and_enable_plan, comments_and_lifecycle,
	 malformed_answers_retries_timeouts, token_auth_wrong_password_and_missing_variables, label_build_flow, teardown)
