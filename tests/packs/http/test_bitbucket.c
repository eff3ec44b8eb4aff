/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_bitbucket.c - the Bitbucket pack end to end: the real flyte-bitbucket
 * binary, the real flyte server and a stand-in of Bitbucket Server / Data
 * Center REST 1.0.
 *
 * The stand-in implements POST /rest/api/1.0/projects/{projectKey}/repos as
 * documented: Basic authentication or an HTTP access token (bearer), a JSON
 * body with "name", 201 with the repository (slug, project, links.clone,
 * links.self), and the errors {"errors":[{"context","message",
 * "exceptionName"}]} with 400 (invalid name), 401, 404 (no such project) and
 * 409 (name taken).
 */
#include "fl-common.h"

#include <ctype.h>

#include "fltest.h"
#include "harness.h"
#include "models.h"
#include "packtest.h"
#include "standin.h"

#define USER "svc-flyte"
#define PASS "bb-Pa55"

/* ------------------------------------------------------------- model */

static char auth_basic[128];
static json_t *repos; /* "PROJECT/slug" -> true */
static char base[64];

static void bb_error(struct standin_resp *r, int status, const char *context, const char *message, const char *exc)
{
	json_t *j = json_pack("{s:[{s:o,s:s,s:o}]}", "errors", "context", context ? json_string(context) : json_null(),
			      "message", message, "exceptionName", exc ? json_string(exc) : json_null());
	char *t = json_dumps(j, JSON_COMPACT);
	standin_text(r, status, "application/json;charset=UTF-8", t);
	free(t);
	json_decref(j);
}

static void bitbucket_model(const struct standin_req *q, struct standin_resp *r, void *payload)
{
	char seg[8][256], slug[256], key[600], self[1024], clone[1024];
	const char *auth = standin_req_header(q, "Authorization");
	int n = md_segments(q->path, seg, 8);
	json_t *b, *name;
	size_t i;

	(void)payload;
	if (!auth || (strcmp(auth, auth_basic) && strcmp(auth, "Bearer http-access-token")))
		{ bb_error(r, 401, NULL, "Authentication failed. Please check your credentials and try again.",
				"com.atlassian.bitbucket.auth.IncorrectPasswordAuthenticationException"); return; }
	if (n != 6 || strcmp(seg[0], "rest") || strcmp(seg[1], "api") || strcmp(seg[2], "1.0") ||
	    strcmp(seg[3], "projects") || strcmp(seg[5], "repos") || *q->query)
		{ bb_error(r, 404, NULL, "Not Found", NULL); return; }
	if (strcmp(q->method, "POST"))
		{ bb_error(r, 405, NULL, "Method Not Allowed", NULL); return; }
	if (!md_json_ctype(q))
		{ bb_error(r, 415, NULL, "Unsupported Media Type", NULL); return; }
	if (strcmp(seg[4], "FLYTE") && strcmp(seg[4], "OPS"))
		{ bb_error(r, 404, NULL, "Project does not exist.", "com.atlassian.bitbucket.project.NoSuchProjectException"); return; }
	b = md_body(q);
	name = json_object_get(b, "name");
	if (!json_is_string(name) || !json_string_length(name) || json_string_length(name) > 128 ||
	    strspn(json_string_value(name), "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 _.-") !=
		    json_string_length(name)) {
		json_decref(b);
		{ bb_error(r, 400, "name",
				"Repository name must begin with a letter or number and contain only alphanumeric "
				"characters, \"_\", \"-\" and \".\"", NULL); return; }
	}
	for (i = 0; i < json_string_length(name) && i < sizeof(slug) - 1; i++)
		slug[i] = json_string_value(name)[i] == ' ' ? '-' : (char)tolower((unsigned char)json_string_value(name)[i]);
	slug[i] = '\0';
	snprintf(key, sizeof(key), "%s/%s", seg[4], slug);
	if (json_object_get(repos, key)) {
		char m[640];
		snprintf(m, sizeof(m), "This repository URL is already taken by '%s' in '%s'", slug, seg[4]);
		json_decref(b);
		{ bb_error(r, 409, "name", m, NULL); return; }
	}
	json_object_set_new(repos, key, json_true());
	snprintf(self, sizeof(self), "%s/projects/%s/repos/%s/browse", base, seg[4], slug);
	snprintf(clone, sizeof(clone), "%s/scm/%s/%s.git", base, seg[4], slug);
	{
		json_t *a = json_pack("{s:s,s:i,s:O,s:s,s:s,s:s,s:b,s:{s:s,s:i,s:s,s:b,s:s},s:b,s:{s:[{s:s,s:s}],s:[{s:s}]}}",
				      "slug", slug, "id", 7, "name", name, "scmId", "git", "state", "AVAILABLE",
				      "statusMessage", "Available", "forkable", 1, "project", "key", seg[4], "id", 1, "name",
				      seg[4], "public", 0, "type", "NORMAL", "public", 0, "links", "clone", "href", clone,
				      "name", "http", "self", "href", self);
		char *t = json_dumps(a, JSON_COMPACT);
		standin_text(r, 201, "application/json;charset=UTF-8", t);
		free(t);
		json_decref(a);
	}
	json_decref(b);
}

/* ------------------------------------------------------------- tests */

static struct pt_env E;
static struct standin *S;
static pid_t P;
static const char *const clear_bb[] = { "BITBUCKET_", NULL };

#define RUN(r, input) FLH_ASSERT(pt_run(&E, "BitBucket", NULL, "createRepo", (input), 0, (r)) == 0)
#define EXPECT(input, event, payload) MD_EXPECT(&E, "BitBucket", NULL, "createRepo", (input), (event), (payload))
#define EXPECT_ERROR(input, event, part) MD_EXPECT_ERROR(&E, "BitBucket", NULL, "createRepo", (input), (event), (part))

FLT_TEST(setup)
{
	char host[128];

	FLH_ASSERT(pt_setup(&E, "bitbucket") == 0);
	md_basic(auth_basic, sizeof(auth_basic), USER, PASS);
	repos = json_object();
	FLH_ASSERT(standin_start(&S, bitbucket_model, NULL, NULL) == 0);
	snprintf(base, sizeof(base), "%s", standin_url(S));
	snprintf(host, sizeof(host), "BITBUCKET_HOST=%s", standin_url(S));
	const char *env[] = { host, "BITBUCKET_USER=" USER, "BITBUCKET_PASS=" PASS, "BITBUCKET_TIMEOUT_SEC=2",
			      "BITBUCKET_RETRY_DELAY_MS=20", NULL };
	P = pt_start_pack(&E, getenv("FLYTE_BITBUCKET_BIN"), clear_bb, env, "bitbucket.log", "BitBucket");
	FLH_ASSERT(P > 0);
}

FLT_TEST(help_lists_variables)
{
	md_help_lists(getenv("FLYTE_BITBUCKET_BIN"), (const char *const[]){ "BITBUCKET_HOST", "BITBUCKET_USER",
						"BITBUCKET_PASS", "BITBUCKET_TOKEN", "BITBUCKET_CA_FILE",
						"BITBUCKET_INSECURE", NULL });
}

FLT_TEST(create_repo)
{
	struct pt_result r;
	struct standin_req q;
	char want[512];

	RUN(&r, "{\"project\":\"FLYTE\",\"name\":\"newRepo\"}");
	MD_EVENT(&r, "createRepo");
	snprintf(want, sizeof(want), "{\"project\":\"FLYTE\",\"name\":\"newRepo\",\"url\":\"%s/projects/FLYTE/repos/newrepo/browse\"}",
		 standin_url(S));
	MD_PAYLOAD(&r, want);
	pt_result_release(&r);
	md_last(S, &q);
	FLH_EQ_STR(q.method, "POST");
	FLH_EQ_STR(q.target, "/rest/api/1.0/projects/FLYTE/repos");
	FLH_EQ_STR(standin_req_header(&q, "Authorization"), auth_basic);
	MD_BODY(&q, "{\"name\":\"newRepo\"}");
	standin_req_release(&q);
}

FLT_TEST(create_repo_failures)
{
	struct pt_result r;
	size_t before;

	EXPECT("{\"project\":\"FLYTE\",\"name\":\"newRepo\"}", "createRepoFailure",
	       "{\"project\":\"FLYTE\",\"name\":\"newRepo\",\"error\":\"Fail: Could not create repo: POST failed: "
	       "path=/rest/api/1.0/projects/FLYTE/repos : repo=newRepo : statusCode=409 : This repository URL is "
	       "already taken by 'newrepo' in 'FLYTE'\"}");
	EXPECT_ERROR("{\"project\":\"NOPE\",\"name\":\"x\"}", "createRepoFailure",
		     "statusCode=404 : Project does not exist.");
	RUN(&r, "{\"project\":\"OPS\",\"name\":\"bad/name\"}");
	FLH_ASSERT(strstr(pt_str(&r, "error"), "statusCode=400 : Repository name must begin"));
	pt_result_release(&r);
	before = standin_count(S);
	RUN(&r, "{\"project\":5}");
	MD_PAYLOAD(&r, "{\"project\":\"unknown\",\"name\":\"unknown\",\"error\":\"Fail: Could not marshal Project & name into "
		       "json: json: cannot unmarshal number into Go struct field .project of type string\"}");
	FLH_EQ_INT(standin_count(S), before);
	pt_result_release(&r);
}

FLT_TEST(malformed_answers_retries_timeouts)
{
	struct pt_result r;
	struct standin_fault nolinks = { .count = 1, .status = 201, .ctype = "application/json", .body = "{\"slug\":\"x\"}" };
	struct standin_fault garbage = { .count = 1, .status = 201, .ctype = "application/json", .body = "{\"slug\"" };
	struct standin_fault busy = { .count = 1, .status = 503, .ctype = "text/plain", .body = "maintenance" };
	struct standin_fault slow = { .count = 1, .delay_ms = 3000 };

	/* the Go pack panicked on a 201 without links */
	standin_fault(S, &nolinks);
	EXPECT_ERROR("{\"project\":\"OPS\",\"name\":\"a\"}", "createRepoFailure", "the answer has no links.self href");
	standin_fault(S, &garbage);
	RUN(&r, "{\"project\":\"OPS\",\"name\":\"b\"}");
	FLH_ASSERT(strstr(pt_str(&r, "error"), "answer is not JSON"));
	pt_result_release(&r);
	/* creating is not idempotent: no retry on 503 */
	standin_reset(S);
	standin_fault(S, &busy);
	RUN(&r, "{\"project\":\"OPS\",\"name\":\"c\"}");
	FLH_ASSERT(strstr(pt_str(&r, "error"), "statusCode=503 : maintenance"));
	FLH_EQ_INT(standin_count(S), 1);
	pt_result_release(&r);
	standin_fault(S, &slow);
	RUN(&r, "{\"project\":\"OPS\",\"name\":\"d\"}");
	FLH_ASSERT(strstr(pt_str(&r, "error"), "timed out after 2000 ms"));
	pt_result_release(&r);
	FLH_ASSERT(pt_alive(P));
}

FLT_TEST(token_wrong_password_and_missing_variables)
{
	char host[128];
	struct pt_result r;
	struct standin_req q;
	pid_t pid;

	snprintf(host, sizeof(host), "BITBUCKET_HOST=%s", standin_url(S));
	const char *env_tok[] = { host, "BITBUCKET_TOKEN=http-access-token", "FLYTE_LABELS=a=tok", NULL };
	pid = pt_start_pack(&E, getenv("FLYTE_BITBUCKET_BIN"), clear_bb, env_tok, "bb-tok.log", "BitBucket.a.tok");
	FLH_ASSERT(pid > 0);
	FLH_ASSERT(pt_run(&E, "BitBucket", "{\"a\":\"tok\"}", "createRepo", "{\"project\":\"OPS\",\"name\":\"tok repo\"}", 0,
			  &r) == 0);
	MD_EVENT(&r, "createRepo");
	FLH_ASSERT(strstr(pt_str(&r, "url"), "/projects/OPS/repos/tok-repo/browse"));
	pt_result_release(&r);
	md_last(S, &q);
	FLH_EQ_STR(standin_req_header(&q, "Authorization"), "Bearer http-access-token");
	standin_req_release(&q);
	FLH_EQ_INT(pt_stop_pack(pid), 0);

	const char *env_bad[] = { host, "BITBUCKET_USER=" USER, "BITBUCKET_PASS=wrong", "FLYTE_LABELS=a=bad", NULL };
	pid = pt_start_pack(&E, getenv("FLYTE_BITBUCKET_BIN"), clear_bb, env_bad, "bb-bad.log", "BitBucket.a.bad");
	FLH_ASSERT(pid > 0);
	FLH_ASSERT(pt_run(&E, "BitBucket", "{\"a\":\"bad\"}", "createRepo", "{\"project\":\"OPS\",\"name\":\"z\"}", 0, &r) == 0);
	FLH_ASSERT(strstr(pt_str(&r, "error"), "statusCode=401 : Authentication failed."));
	pt_result_release(&r);
	FLH_EQ_INT(pt_stop_pack(pid), 0);

	/* the Go pack exited at the first action when a variable was missing */
	const char *env_unset[] = { host, "FLYTE_LABELS=a=unset", NULL };
	pid = pt_start_pack(&E, getenv("FLYTE_BITBUCKET_BIN"), clear_bb, env_unset, "bb-unset.log", "BitBucket.a.unset");
	FLH_ASSERT(pid > 0);
	FLH_ASSERT(pt_run(&E, "BitBucket", "{\"a\":\"unset\"}", "createRepo", "{\"project\":\"OPS\",\"name\":\"z\"}", 0,
			  &r) == 0);
	MD_PAYLOAD(&r, "{\"project\":\"OPS\",\"name\":\"z\",\"error\":\"Fail: Could not create repo: BITBUCKET_USER (or "
		       "BITBUCKET_TOKEN) is not set\"}");
	pt_result_release(&r);
	FLH_ASSERT(pt_alive(pid));
	FLH_EQ_INT(pt_stop_pack(pid), 0);
}

FLT_TEST(teardown)
{
	FLH_ASSERT(pt_alive(P));
	FLH_EQ_INT(pt_stop_pack(P), 0);
	standin_stop(S);
	pt_teardown(&E);
	json_decref(repos);
}

FLT_MAIN(setup, help_lists_variables, create_repo, create_repo_failures, malformed_answers_retries_timeouts,
	 token_wrong_password_and_missing_variables, teardown)
