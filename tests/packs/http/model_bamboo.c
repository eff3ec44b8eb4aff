/* SPDX-License-Identifier: Apache-2.0 */
/*
 * model_bamboo.c - the stand-in of Bamboo's REST API (/rest/api/latest),
 * for the Bamboo pack's own tests and the deploy flow of the HipChat tests.
 *
 * It follows Bamboo's REST reference: Basic authentication with the
 * os_authType=basic query parameter (or the bearer personal access token
 * "pat-123"), JSON when asked with Accept: application/json (XML
 * otherwise), error bodies {"message":..,"status-code":N}, and the
 * documented resources: result labels and comments (204), the result with
 * expand=stages, "queue a build" (POST /queue/{plan}) and "continue a
 * build" (PUT /queue/{build}?stage=..) answering 400 while the stage is
 * busy, and plan enable (204).  Builds ABC-DEF-12 and ABC-DEF-13 and plans
 * ABC-DEF and ABC-OLD (disabled) exist.
 */
#include "fl-common.h"

#include "models.h"

void md_bamboo_init(struct md_bamboo *m, const char *user, const char *password)
{
	memset(m, 0, sizeof(*m));
	snprintf(m->user, sizeof(m->user), "%s", user);
	md_basic(m->auth, sizeof(m->auth), user, password);
	m->labels = json_object();
	m->next_build = 20;
	atomic_init(&m->busy, 0);
}

void md_bamboo_release(struct md_bamboo *m)
{
	json_decref(m->labels);
	m->labels = NULL;
}

/* Bamboo's error body. */
static void err(struct standin_resp *r, int status, const char *message)
{
	md_answer(r, status, "application/json", json_pack("{s:s,s:i}", "message", message, "status-code", status));
}

static void answer(struct standin_resp *r, int status, json_t *j)
{
	md_answer(r, status, "application/json", j);
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

void md_bamboo_model(const struct standin_req *q, struct standin_resp *r, void *payload)
{
	struct md_bamboo *bm = payload;
	char seg[8][256], v[64];
	const char *auth = standin_req_header(q, "Authorization"), *accept = standin_req_header(q, "Accept");
	bool basic = md_query(q->query, "os_authType", v, sizeof(v)) && !strcmp(v, "basic");
	int n = md_segments(q->path, seg, 8);
	json_t *b = NULL;

	if (!auth || !((basic && !strcmp(auth, bm->auth)) || !strcmp(auth, "Bearer pat-123")))
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
			json_t *l = json_object_get(bm->labels, seg[4]);
			if (!l)
				json_object_set_new(bm->labels, seg[4], l = json_array());
			json_array_append_new(l, json_string(name));
			standin_text(r, 204, NULL, NULL);
		}
	} else if (n == 7 && !strcmp(seg[3], "result") && !strcmp(seg[5], "label") && !strcmp(q->method, "DELETE")) {
		json_t *l = json_object_get(bm->labels, seg[4]), *e;
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
		else if (atomic_load(&bm->busy) > 0) {
			atomic_fetch_sub(&bm->busy, 1);
			err(r, 400, "Build is already in progress");
		} else
			answer(r, 200, json_pack("{s:s,s:i,s:s,s:s}", "planKey", "ABC-DEF", "buildNumber", 12, "buildResultKey",
						 seg[4], "triggerReason", "Manual run"));
	} else if (n == 5 && !strcmp(seg[3], "queue") && !strcmp(q->method, "POST")) {
		/* queue a build: POST /queue/{plan}?executeAllStages=false */
		const char *want[] = { "executeAllStages", "false", basic ? "os_authType" : NULL, "basic", NULL };
		char key[64], reason[160];
		if (!query_is(q, 0, want))
			err(r, 400, "bad query");
		else if (!known_plan(seg[4]))
			err(r, 404, "Plan not found");
		else if (!strcmp(seg[4], "ABC-OLD"))
			err(r, 400, "Plan ABC-OLD is disabled");
		else {
			snprintf(key, sizeof(key), "%s-%d", seg[4], ++bm->next_build);
			snprintf(reason, sizeof(reason), "Manual run by %s", bm->user);
			answer(r, 200, json_pack("{s:s,s:i,s:s,s:s,s:{s:s,s:s}}", "planKey", seg[4], "buildNumber", bm->next_build,
						 "buildResultKey", key, "triggerReason", reason, "link", "href",
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
