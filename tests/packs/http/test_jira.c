/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_jira.c - the Jira pack end to end: the real flyte-jira binary, the
 * real flyte server and a stand-in of Jira REST v2.
 *
 * The stand-in follows the Jira Server / Data Center REST v2 reference:
 * Basic authentication (401 with {"errorMessages":[..]} otherwise), JSON
 * only (415 for another Content-Type, 400 for a body that is not JSON),
 * the documented paths, methods, bodies and status codes of each resource
 * (issue, comment, search, assignee, transitions, issueLink) and Jira's
 * error shape {"errorMessages":[...],"errors":{field: msg}}.
 */
#include "fl-common.h"

#include "fltest.h"
#include "fsutil.h"
#include "harness.h"
#include "models.h"
#include "packtest.h"
#include "standin.h"

#define USER "jdoe"
#define PASS "s3cret-Pw"

/* ------------------------------------------------------------- model */

struct jira_model {
	json_t *issues; /* key -> issue */
	json_t *links;  /* id -> link */
	int next_issue, next_link;
	char base[64];
	char auth[128];
};

static struct jira_model M;

#define JIRA_JSON "application/json;charset=UTF-8"

static void answer(struct standin_resp *r, int status, json_t *j)
{
	md_answer(r, status, JIRA_JSON, j);
}

static void err_json(struct standin_resp *r, int status, const char *message)
{
	answer(r, status, json_pack("{s:[s],s:{}}", "errorMessages", message, "errors"));
}

static void field_error(struct standin_resp *r, const char *field, const char *message)
{
	answer(r, 400, json_pack("{s:[],s:{s:s}}", "errorMessages", "errors", field, message));
}

static json_t *user(const char *name)
{
	char mail[128];
	snprintf(mail, sizeof(mail), "%s@example.com", name);
	return json_pack("{s:s,s:s,s:s,s:b}", "name", name, "emailAddress", mail, "displayName", name, "active", 1);
}

static bool known_user(const char *n)
{
	return !strcmp(n, "jdoe") || !strcmp(n, "asmith");
}

static json_t *new_issue(const char *key, const char *summary, const char *status, const char *assignee)
{
	char self[128], id[16];
	static int ids = 10000;

	snprintf(id, sizeof(id), "%d", ++ids);
	snprintf(self, sizeof(self), "%s/rest/api/2/issue/%s", M.base, id);
	return json_pack("{s:s,s:s,s:s,s:s,s:{s:s,s:{s:s,s:s},s:s,s:o,s:o,s:[{s:s},{s:s}],s:[s,s],s:{s:s},s:{s:s}}}",
			 "expand", "renderedFields,names,schema", "id", id, "self", self, "key", key, "fields", "summary",
			 summary, "status", "name", status, "id", "1", "description", "It breaks.", "assignee",
			 assignee ? user(assignee) : json_null(), "reporter", user("asmith"), "components", "name", "api",
			 "name", "ui", "labels", "urgent", "p1", "priority", "name", "High", "issuetype", "name", "Bug");
}

static void model_init(const char *base)
{
	memset(&M, 0, sizeof(M));
	snprintf(M.base, sizeof(M.base), "%s", base);
	md_basic(M.auth, sizeof(M.auth), USER, PASS);
	M.issues = json_object();
	M.links = json_object();
	M.next_issue = 100;
	M.next_link = 10000;
	json_object_set_new(M.issues, "TEST-1", new_issue("TEST-1", "Login fails", "Open", "jdoe"));
	json_object_set_new(M.issues, "TEST-2", new_issue("TEST-2", "Slow search", "In Progress", NULL));
	json_object_set_new(M.issues, "OPS-7", new_issue("OPS-7", "Disk full", "Open", "asmith"));
	json_object_set_new(M.links, "10000",
			    json_pack("{s:s,s:{s:s,s:s,s:s,s:s},s:{s:s,s:s},s:{s:s,s:s}}", "id", "10000", "type", "id",
				      "10000", "name", "Blocks", "inward", "is blocked by", "outward", "blocks",
				      "inwardIssue", "id", "10001", "key", "TEST-1", "outwardIssue", "id", "10002",
				      "key", "TEST-2"));
}

static const char *const link_types[] = { "Blocks", "Relates", "Duplicate" };

static bool known_link_type(const char *n)
{
	for (size_t i = 0; i < FL_ARRAY_LEN(link_types); i++)
		if (!strcmp(n, link_types[i]))
			return true;
	return false;
}

/* The issue of a search hit with only the requested fields. */
static json_t *search_hit(json_t *issue, json_t *fields)
{
	json_t *f = json_object(), *all = json_object_get(issue, "fields"), *v;
	size_t i;

	json_array_foreach(fields, i, v)
		if (json_is_string(v) && json_object_get(all, json_string_value(v)))
			json_object_set(f, json_string_value(v), json_object_get(all, json_string_value(v)));
	return json_pack("{s:O,s:O,s:O,s:o}", "id", json_object_get(issue, "id"), "self", json_object_get(issue, "self"),
			 "key", json_object_get(issue, "key"), "fields", f);
}

static void route_search(const struct standin_req *q, struct standin_resp *r, json_t *b)
{
	json_t *jql = json_object_get(b, "jql"), *start = json_object_get(b, "startAt"),
	       *max = json_object_get(b, "maxResults"), *fields = json_object_get(b, "fields"), *hits, *v;
	char proj[64];
	const char *k;
	int total = 0;

	(void)q;
	if (!json_is_string(jql) || !json_is_integer(start) || !json_is_integer(max) || !json_is_array(fields))
		{ err_json(r, 400, "Invalid request payload. Refer to the REST API documentation and try again."); return; }
	if (sscanf(json_string_value(jql), "project = %63s", proj) != 1)
		{ err_json(r, 400, "Error in the JQL Query: Expecting operator but got 'query'."); return; }
	hits = json_array();
	json_object_foreach(M.issues, k, v) {
		if (strncmp(k, proj, strlen(proj)) || k[strlen(proj)] != '-')
			continue;
		if (total >= json_integer_value(start) && (json_int_t)json_array_size(hits) < json_integer_value(max))
			json_array_append_new(hits, search_hit(v, fields));
		total++;
	}
	answer(r, 200, json_pack("{s:s,s:O,s:O,s:i,s:o}", "expand", "schema,names", "startAt", start, "maxResults", max,
				 "total", total, "issues", hits));
}

static void route_create(struct standin_resp *r, json_t *b)
{
	json_t *f = json_object_get(b, "fields"), *v;
	const char *proj = json_string_value(json_object_get(json_object_get(f, "project"), "key"));
	const char *type = json_string_value(json_object_get(json_object_get(f, "issuetype"), "name"));
	const char *summary = json_string_value(json_object_get(f, "summary"));
	const char *k;
	char key[64], self[128];

	if (!json_is_object(f))
		{ err_json(r, 400, "Can not deserialize instance of fields"); return; }
	json_object_foreach(f, k, v) {
		static const char *const ok[] = { "project", "issuetype", "summary", "description", "priority",
						  "reporter", "labels" };
		bool known = false;
		for (size_t i = 0; i < FL_ARRAY_LEN(ok); i++)
			known = known || !strcmp(k, ok[i]);
		if (!known || json_is_null(v))
			{ field_error(r, k, "Field cannot be set. It is not on the appropriate screen, or unknown."); return; }
	}
	if (!proj || (strcmp(proj, "TEST") && strcmp(proj, "OPS") && strcmp(proj, "RCPSUP")))
		{ field_error(r, "project", "valid project is required"); return; }
	if (!type || (strcmp(type, "Bug") && strcmp(type, "Task") && strcmp(type, "Incident")))
		{ field_error(r, "issuetype", "valid issue type is required"); return; }
	if (!summary || !*summary)
		{ field_error(r, "summary", "You must specify a summary of the issue."); return; }
	if ((v = json_object_get(f, "description")) && !json_is_string(v))
		{ field_error(r, "description", "Operation value must be a string"); return; }
	if ((v = json_object_get(f, "priority")) &&
	    (!json_is_string(json_object_get(v, "name")) ||
	     (strcmp(json_string_value(json_object_get(v, "name")), "High") &&
	      strcmp(json_string_value(json_object_get(v, "name")), "Low"))))
		{ field_error(r, "priority", "Priority name 'x' is not valid"); return; }
	if ((v = json_object_get(f, "reporter")) && !known_user(json_string_value(json_object_get(v, "name")) ? json_string_value(json_object_get(v, "name")) : ""))
		{ field_error(r, "reporter", "The reporter specified is not a user."); return; }
	if ((v = json_object_get(f, "labels"))) {
		size_t i;
		json_t *l;
		if (!json_is_array(v))
			{ field_error(r, "labels", "data was not an array"); return; }
		json_array_foreach(v, i, l)
			if (!json_is_string(l) || strchr(json_string_value(l), ' '))
				{ field_error(r, "labels", "The label must not contain spaces."); return; }
	}
	snprintf(key, sizeof(key), "%s-%d", proj, ++M.next_issue);
	json_object_set_new(M.issues, key, new_issue(key, summary, "Open", NULL));
	snprintf(self, sizeof(self), "%s/rest/api/2/issue/%d", M.base, 20000 + M.next_issue);
	answer(r, 201, json_pack("{s:s,s:s,s:s}", "id", self + strlen(self) - 5, "key", key, "self", self));
}

static void jira_model(const struct standin_req *q, struct standin_resp *r, void *payload)
{
	char seg[8][256];
	const char *auth = standin_req_header(q, "Authorization"), *accept = standin_req_header(q, "Accept");
	int n = md_segments(q->path, seg, 8);
	bool has_body = !strcmp(q->method, "POST") || !strcmp(q->method, "PUT");
	json_t *b = NULL, *issue = NULL;

	(void)payload;
	if (!auth || strcmp(auth, M.auth))
		{ err_json(r, 401, "You are not authenticated. Authentication required to perform this operation."); return; }
	if (!accept || !strstr(accept, "application/json"))
		{ standin_text(r, 406, "text/plain", "Not Acceptable"); return; }
	if (n < 4 || strcmp(seg[0], "rest") || strcmp(seg[1], "api") || strcmp(seg[2], "2") || *q->query)
		{ standin_json(r, 404, "{\"message\":\"null for uri: %s\",\"status-code\":404}", q->target); return; }
	if (has_body) {
		if (!md_json_ctype(q))
			{ standin_text(r, 415, "text/plain", "Unsupported Media Type"); return; }
		if (!(b = md_body(q)))
			{ err_json(r, 400, "Unexpected character: was expecting a JSON value"); return; }
	}
	if (n >= 5 && !strcmp(seg[3], "issue"))
		issue = json_object_get(M.issues, seg[4]);

	if (n == 4 && !strcmp(seg[3], "issue") && !strcmp(q->method, "POST")) {
		route_create(r, b);
	} else if (n == 4 && !strcmp(seg[3], "search") && !strcmp(q->method, "POST")) {
		route_search(q, r, b);
	} else if (n == 5 && !strcmp(seg[3], "issue") && !strcmp(q->method, "GET")) {
		if (!issue)
			err_json(r, 404, "Issue Does Not Exist");
		else
			answer(r, 200, json_incref(issue));
	} else if (n == 6 && !strcmp(seg[3], "issue") && !strcmp(seg[5], "comment") && !strcmp(q->method, "POST")) {
		json_t *body = json_object_get(b, "body");
		if (!issue)
			err_json(r, 404, "Issue Does Not Exist");
		else if (!json_is_string(body) || !*json_string_value(body))
			field_error(r, "comment", "Comment body can not be empty!");
		else
			answer(r, 201, json_pack("{s:s,s:s,s:o,s:O,s:s}", "self", "c", "id", "10400", "author", user(USER),
						 "body", body, "created", "2024-03-01T12:00:00.000+0000"));
	} else if (n == 6 && !strcmp(seg[3], "issue") && !strcmp(seg[5], "assignee") && !strcmp(q->method, "PUT")) {
		json_t *name = json_object_get(b, "name");
		if (!json_is_object(b) || !name || (!json_is_string(name) && !json_is_null(name)))
			err_json(r, 400, "Could not parse the user representation");
		else if (!issue || (json_is_string(name) && strcmp(json_string_value(name), "-1") &&
				    !known_user(json_string_value(name))))
			err_json(r, 404, "Issue or user does not exist");
		else if (!strncmp(seg[4], "OPS-", 4))
			err_json(r, 401, "You do not have permission to assign issues");
		else {
			json_object_set_new(json_object_get(issue, "fields"), "assignee",
					    json_is_string(name) ? user(json_string_value(name)) : json_null());
			standin_text(r, 204, NULL, NULL);
		}
	} else if (n == 6 && !strcmp(seg[3], "issue") && !strcmp(seg[5], "transitions")) {
		if (!issue) {
			err_json(r, 404, "Issue Does Not Exist");
		} else if (!strcmp(q->method, "GET")) {
			answer(r, 200, json_pack("{s:s,s:[{s:s,s:s,s:{s:s}},{s:s,s:s,s:{s:s}}]}", "expand", "transitions",
						 "transitions", "id", "21", "name", "Start Progress", "to", "name",
						 "In Progress", "id", "31", "name", "Resolve", "to", "name", "Resolved"));
		} else if (!strcmp(q->method, "POST")) {
			const char *id = json_string_value(json_object_get(json_object_get(b, "transition"), "id"));
			if (!id || !*id)
				err_json(r, 400, "Missing 'transition' identifier");
			else if (strcmp(id, "21") && strcmp(id, "31"))
				field_error(r, "transition", "Transition id is not valid for this issue.");
			else
				standin_text(r, 204, NULL, NULL);
		} else {
			standin_text(r, 405, NULL, NULL);
		}
	} else if (n == 4 && !strcmp(seg[3], "issueLink") && !strcmp(q->method, "POST")) {
		const char *type = json_string_value(json_object_get(json_object_get(b, "type"), "name"));
		const char *in = json_string_value(json_object_get(json_object_get(b, "inwardIssue"), "key"));
		const char *out = json_string_value(json_object_get(json_object_get(b, "outwardIssue"), "key"));
		const char *comment = json_string_value(json_object_get(json_object_get(b, "comment"), "body"));
		char id[16];
		if (!type || !in || !out || (json_object_get(b, "comment") && !comment))
			err_json(r, 400, "Invalid request payload");
		else if (!known_link_type(type))
			err_json(r, 404, "No issue link type with name found.");
		else if (!json_object_get(M.issues, in) || !json_object_get(M.issues, out))
			err_json(r, 404, "Issue Does Not Exist");
		else {
			snprintf(id, sizeof(id), "%d", ++M.next_link);
			json_object_set_new(M.links, id,
					    json_pack("{s:s,s:{s:s,s:s,s:s},s:{s:s},s:{s:s}}", "id", id, "type", "name",
						      type, "inward", "relates to", "outward", "relates to",
						      "inwardIssue", "key", in, "outwardIssue", "key", out));
			standin_text(r, 201, NULL, NULL);
		}
	} else if (n == 5 && !strcmp(seg[3], "issueLink") && (!strcmp(q->method, "GET") || !strcmp(q->method, "DELETE"))) {
		json_t *l = json_object_get(M.links, seg[4]);
		if (strspn(seg[4], "0123456789") != strlen(seg[4]))
			err_json(r, 400, "The issue link id is invalid");
		else if (!l)
			err_json(r, 404, "No issue link with this id exists.");
		else if (!strcmp(q->method, "GET"))
			answer(r, 200, json_incref(l));
		else {
			json_object_del(M.links, seg[4]);
			standin_text(r, 204, NULL, NULL);
		}
	} else {
		standin_json(r, 404, "{\"message\":\"null for uri: %s\",\"status-code\":404}", q->target);
	}
	json_decref(b);
}

/* ------------------------------------------------------------- tests */

static struct pt_env E;
static struct standin *S;
static pid_t P;
static const char *const clear_jira[] = { "JIRA_", NULL };

#define RUN(r, cmd, input) FLH_ASSERT(pt_run(&E, "Jira", NULL, (cmd), (input), 0, (r)) == 0)
#define EXPECT(cmd, input, event, payload) MD_EXPECT(&E, "Jira", NULL, (cmd), (input), (event), (payload))
#define EXPECT_ERROR(cmd, input, event, part) MD_EXPECT_ERROR(&E, "Jira", NULL, (cmd), (input), (event), (part))

FLT_TEST(setup)
{
	char host[128];

	FLH_ASSERT(pt_setup(&E, "jira") == 0);
	FLH_ASSERT(standin_start(&S, jira_model, NULL, NULL) == 0);
	model_init(standin_url(S));
	snprintf(host, sizeof(host), "JIRA_HOST=%s/", standin_url(S));
	const char *env[] = { host, "JIRA_USER=" USER, "JIRA_PASSWORD=" PASS, "JIRA_RETRY_DELAY_MS=20",
			      "JIRA_TIMEOUT_SEC=2", NULL };
	P = pt_start_pack(&E, getenv("FLYTE_JIRA_BIN"), clear_jira, env, "jira.log", "Jira");
	FLH_ASSERT(P > 0);
}

FLT_TEST(help_lists_variables)
{
	md_help_lists(getenv("FLYTE_JIRA_BIN"), (const char *const[]){ "JIRA_HOST", "JIRA_USER", "JIRA_PASSWORD",
						"JIRA_API_TOKEN", "JIRA_CA_FILE", "JIRA_INSECURE", "FLYTE_API", NULL });
}

FLT_TEST(issue_info)
{
	struct pt_result r;

	EXPECT("IssueInfo", "\"please look at <http://jira/browse/TEST-1> today\"", "Info",
	       "{\"id\":\"TEST-1\",\"summary\":\"Login fails\",\"status\":\"Open\",\"description\":\"It breaks.\","
	       "\"assignee\":\"jdoe@example.com\",\"reporter\":\"asmith@example.com\",\"components\":\"api,ui\","
	       "\"labels\":\"urgent,p1\",\"priority\":\"High\",\"type\":\"Bug\"}");
	md_expect_last(S, "GET", "/rest/api/2/issue/TEST-1", M.auth);

	/* no assignee: an empty string, as the Go pack gave */
	RUN(&r, "IssueInfo", "\"TEST-2\"");
	FLH_EQ_STR(pt_str(&r, "assignee"), "");
	FLH_EQ_STR(pt_str(&r, "status"), "In Progress");
	pt_result_release(&r);
}

FLT_TEST(issue_info_failures)
{
	struct pt_result r;

	EXPECT("IssueInfo", "\"TEST-99\"", "InfoFailure",
	       "{\"id\":\"TEST-99\",\"error\":\"issueId=TEST-99 : statusCode=404 : Issue Does Not Exist\"}");
	/* no key in the text: nothing is sent to Jira */
	size_t before = standin_count(S);
	RUN(&r, "IssueInfo", "\"hello there\"");
	MD_PAYLOAD(&r, "{\"id\":\"\",\"error\":\"no issue key (like TEST-1) in the input\"}");
	FLH_EQ_INT(standin_count(S), before);
	pt_result_release(&r);
	RUN(&r, "IssueInfo", "{\"id\":\"TEST-1\"}");
	MD_PAYLOAD(&r, "{\"id\":\"\",\"error\":\"json: cannot unmarshal object into Go value of type string\"}");
	pt_result_release(&r);
}

FLT_TEST(create_issue)
{
	struct pt_result r;
	struct standin_req q;

	RUN(&r, "CreateIssue", "{\"project\":\"TEST\",\"issuetype\":\"Bug\",\"summary\":\"Crash on save\","
			       "\"description\":\"Steps: save\",\"priority\":\"High\",\"reporter\":\"asmith\"}");
	MD_EVENT(&r, "CreateIssue");
	{
		char want[512];
		snprintf(want, sizeof(want),
			 "{\"id\":\"TEST-101\",\"url\":\"%s/browse/TEST-101\",\"project\":\"TEST\",\"issuetype\":\"Bug\","
			 "\"summary\":\"Crash on save\",\"description\":\"Steps: save\",\"priority\":\"High\","
			 "\"reporter\":\"asmith\"}",
			 standin_url(S));
		MD_PAYLOAD(&r, want);
	}
	pt_result_release(&r);
	md_last(S, &q);
	FLH_EQ_STR(q.method, "POST");
	FLH_EQ_STR(q.target, "/rest/api/2/issue");
	FLH_ASSERT(md_json_ctype(&q));
	MD_BODY(&q, "{\"fields\":{\"project\":{\"key\":\"TEST\"},\"summary\":\"Crash on save\",\"issuetype\":{\"name\":\"Bug\"},"
		    "\"description\":\"Steps: save\",\"priority\":{\"name\":\"High\"},\"reporter\":{\"name\":\"asmith\"}}}");
	standin_req_release(&q);

	/* optional fields left empty are not sent */
	RUN(&r, "CreateIssue", "{\"project\":\"OPS\",\"issuetype\":\"Task\",\"summary\":\"Rotate keys\"}");
	MD_EVENT(&r, "CreateIssue");
	FLH_EQ_STR(pt_str(&r, "id"), "OPS-102");
	pt_result_release(&r);
	md_last(S, &q);
	MD_BODY(&q, "{\"fields\":{\"project\":{\"key\":\"OPS\"},\"summary\":\"Rotate keys\",\"issuetype\":{\"name\":\"Task\"}}}");
	standin_req_release(&q);

	/* ReactionBased: the summary is made from the description */
	RUN(&r, "CreateIssue", "{\"project\":\"TEST\",\"issuetype\":\"Bug\",\"summary\":\"ReactionBased\","
			       "\"description\":\"first line\\nsecond line that is long enough to be cut somewhere after "
			       "seventy bytes of text\"}");
	FLH_EQ_STR(pt_str(&r, "summary"), "first linesecond line that is long enough to be cut somewhere after s...");
	pt_result_release(&r);
}

FLT_TEST(create_issue_failures)
{
	struct pt_result r;
	size_t before;

	EXPECT("CreateIssue",
	       "{\"project\":\"TEST\",\"issuetype\":\"Epic\",\"summary\":\"x\",\"description\":\"d\","
	       "\"priority\":\"Low\"}", "CreateIssueFailure",
	       "{\"error\":\"Could not create issue: issueSummary='x' : statusCode=400 : issuetype: valid issue "
	       "type is required\",\"project\":\"TEST\",\"issuetype\":\"Epic\",\"summary\":\"x\","
	       "\"description\":\"d\",\"priority\":\"Low\"}");
	/* RCPSUP needs a summary and a description; fields are no longer swapped */
	before = standin_count(S);
	RUN(&r, "CreateIssue", "{\"project\":\"RCPSUP\",\"issuetype\":\"Bug\",\"summary\":\"only a title\"}");
	MD_PAYLOAD(&r, "{\"error\":\"Please provide both issue title & description. mandatory fields missing!\","
		       "\"project\":\"RCPSUP\",\"issuetype\":\"Bug\",\"summary\":\"only a title\",\"description\":\"\","
		       "\"priority\":\"\"}");
	FLH_EQ_INT(standin_count(S), before);
	pt_result_release(&r);
	RUN(&r, "CreateIssue", "{\"project\":\"TEST\",\"summary\":5}");
	MD_PAYLOAD(&r, "{\"error\":\"Could not marshal create client issue input: json: cannot unmarshal number into Go "
		       "struct field .summary of type string\",\"project\":\"unknown\",\"issuetype\":\"unknown\","
		       "\"summary\":\"unknown\",\"description\":\"\",\"priority\":\"\"}");
	pt_result_release(&r);
}

FLT_TEST(create_inc_issue)
{
	struct pt_result r;
	struct standin_req q;

	RUN(&r, "CreateIncIssue", "{\"incident\":\"INC1234567\",\"project\":\"OPS\",\"issuetype\":\"Incident\","
				  "\"summary\":\"INC1234567: db down\",\"description\":\"see INC\",\"labels\":[\"inc\",\"db\"]}");
	MD_EVENT(&r, "CreateIncIssue");
	FLH_EQ_STR(pt_str(&r, "key"), "OPS-104");
	FLH_ASSERT(pt_str(&r, "id") && pt_str(&r, "self") && strstr(pt_str(&r, "self"), "/rest/api/2/issue/"));
	pt_result_release(&r);
	md_last(S, &q);
	MD_BODY(&q, "{\"fields\":{\"project\":{\"key\":\"OPS\"},\"summary\":\"INC1234567: db down\",\"issuetype\":{\"name\":"
		    "\"Incident\"},\"description\":\"see INC\",\"labels\":[\"inc\",\"db\"]}}");
	standin_req_release(&q);

	EXPECT("CreateIncIssue", "{\"incident\":\"INC12\",\"project\":\"OPS\"}", "CreateIncIssueFailure",
	       "{\"message\":\"INC12: invalid incident number format\"}");
	/* a Jira error is the command's own failure event (the Go pack sent CreateIssueFailure) */
	EXPECT("CreateIncIssue",
	       "{\"incident\":\"INC12345678\",\"project\":\"NOPE\",\"issuetype\":\"Incident\","
	       "\"summary\":\"s\"}", "CreateIncIssueFailure",
	       "{\"message\":\"could not create issue: issueSummary='s' : statusCode=400 : project: valid project "
	       "is required\"}");
	RUN(&r, "CreateIncIssue", "[1]");
	MD_EVENT(&r, "CreateIncIssueFailure");
	pt_result_release(&r);
}

FLT_TEST(comment_issue)
{
	struct pt_result r;

	EXPECT("CommentIssue", "{\"id\":\"TEST-1\",\"comment\":\"deployed to staging\"}", "Comment",
	       "{\"id\":\"TEST-1\",\"comment\":\"deployed to staging\"}");
	md_expect_body(S, NULL, "/rest/api/2/issue/TEST-1/comment", "{\"body\":\"deployed to staging\"}");

	EXPECT("CommentIssue", "{\"id\":\"TEST-77\",\"comment\":\"x\"}", "CommentFailure",
	       "{\"id\":\"TEST-77\",\"comment\":\"x\",\"error\":\"Could not leave comment: issueId=TEST-77 : "
	       "statusCode=404 : Issue Does Not Exist\"}");
	RUN(&r, "CommentIssue", "\"TEST-1\"");
	MD_PAYLOAD(&r, "{\"id\":\"unknown\",\"comment\":\"unknown\",\"error\":\"Could not marshal comment into json: json: "
		       "cannot unmarshal string into Go value of type object\"}");
	pt_result_release(&r);
}

FLT_TEST(search_issues)
{
	struct pt_result r;

	RUN(&r, "SearchIssues", "{\"query\":\"project = TEST\",\"maxResults\":\"1\"}");
	MD_EVENT(&r, "SearchSuccess");
	FLH_EQ_INT(json_integer_value(json_object_get(r.payload, "total")), 4);
	FLH_EQ_INT(json_array_size(json_object_get(r.payload, "issues")), 1);
	MD_PAYLOAD(&r, "{\"query\":\"project = TEST\",\"startIndex\":0,\"maxResults\":1,\"total\":4,\"issues\":[{\"id\":"
		       "\"TEST-1\",\"summary\":\"Login fails\",\"status\":\"Open\",\"description\":\"It breaks.\","
		       "\"assignee\":\"jdoe\"}]}");
	pt_result_release(&r);
	md_expect_body(S, NULL, "/rest/api/2/search",
		       "{\"jql\":\"project = TEST\",\"startAt\":0,\"maxResults\":1,\"fields\":[\"summary\",\"assignee\","
		       "\"labels\",\"status\",\"description\",\"priority\"]}");

	RUN(&r, "SearchIssues", "{\"query\":\"project = NONE\",\"startIndex\":3}");
	MD_PAYLOAD(&r, "{\"query\":\"project = NONE\",\"startIndex\":3,\"maxResults\":10,\"total\":0,\"issues\":null}");
	pt_result_release(&r);
	EXPECT("SearchIssues", "{\"query\":\"summary ~ crash\"}", "SearchFailure",
	       "{\"query\":\"summary ~ crash\",\"startIndex\":0,\"maxResults\":10,\"error\":\"Could not search for "
	       "issues: query='summary ~ crash' : statusCode=400 : Error in the JQL Query: Expecting operator but "
	       "got 'query'.\"}");
	RUN(&r, "SearchIssues", "{}");
	MD_PAYLOAD(&r, "{\"query\":\"\",\"startIndex\":0,\"maxResults\":10,\"error\":\"Empty query string\"}");
	pt_result_release(&r);
	RUN(&r, "SearchIssues", "{\"query\":\"project = TEST\",\"maxResults\":\"ten\"}");
	MD_EVENT(&r, "FATAL");
	FLH_ASSERT(strstr(json_string_value(r.payload), "input is not valid"));
	pt_result_release(&r);
}

FLT_TEST(issue_assign)
{
	struct pt_result r;
	struct standin_req q;

	EXPECT("IssueAssign", "{\"issueId\":\"TEST-2\",\"username\":\"asmith\"}", "Assign",
	       "{\"issueId\":\"TEST-2\",\"username\":\"asmith\"}");
	md_last(S, &q);
	FLH_EQ_STR(q.method, "PUT");
	FLH_EQ_STR(q.target, "/rest/api/2/issue/TEST-2/assignee");
	FLH_ASSERT(md_json_ctype(&q)); /* the Go pack sent "Content-LinkType" */
	MD_BODY(&q, "{\"name\":\"asmith\"}");
	standin_req_release(&q);

	RUN(&r, "IssueAssign", "{\"issueId\":\"TEST-2\"}");
	MD_PAYLOAD(&r, "{\"issueId\":\"TEST-2\"}");
	pt_result_release(&r);
	md_last(S, &q);
	MD_BODY(&q, "{\"name\":null}");
	standin_req_release(&q);

	EXPECT("IssueAssign", "{\"issueId\":\"TEST-2\",\"username\":\"ghost\"}", "AssignFailure",
	       "{\"issueId\":\"TEST-2\",\"username\":\"ghost\",\"error\":\"issue or user does not exist\"}");
	RUN(&r, "IssueAssign", "{\"issueId\":\"OPS-7\",\"username\":\"jdoe\"}");
	MD_PAYLOAD(&r, "{\"issueId\":\"OPS-7\",\"username\":\"jdoe\",\"error\":\"invalid permission to assign to issue\"}");
	pt_result_release(&r);
}

FLT_TEST(transitions)
{
	struct pt_result r;
	struct standin_req q;

	EXPECT("GetTransitions", "{\"issueId\":\"TEST-1\"}", "GetTransitions",
	       "{\"id\":\"TEST-1\",\"transitions\":[{\"id\":\"21\",\"name\":\"Start Progress\"},{\"id\":\"31\","
	       "\"name\":\"Resolve\"}]}");
	md_expect_last(S, "GET", "/rest/api/2/issue/TEST-1/transitions", M.auth);
	EXPECT("GetTransitions", "{\"issueId\":\"TEST-404\"}", "GetTransitionsFailure",
	       "{\"id\":\"TEST-404\",\"error\":\"issueId=TEST-404 : statusCode=404 : Issue Does Not Exist\"}");

	EXPECT("Transition", "{\"issueId\":\"TEST-1\",\"transitionId\":\"21\"}", "Transition",
	       "{\"issueId\":\"TEST-1\",\"transitionId\":\"21\",\"requestURL\":\"/rest/api/2/issue/TEST-1/transitions\"}");
	md_last(S, &q);
	FLH_EQ_STR(q.method, "POST");
	MD_BODY(&q, "{\"transition\":{\"id\":\"21\"}}");
	standin_req_release(&q);
	EXPECT("Transition", "{\"issueId\":\"TEST-1\",\"transitionId\":\"99\"}", "TransitionFailure",
	       "{\"issueId\":\"TEST-1\",\"transitionId\":\"99\",\"error\":\"no transition specified\"}");
	RUN(&r, "Transition", "{\"issueId\":\"NOPE-1\",\"transitionId\":\"21\"}");
	MD_PAYLOAD(&r, "{\"issueId\":\"NOPE-1\",\"transitionId\":\"21\",\"error\":\"issue or user does not exist\"}");
	pt_result_release(&r);
}

FLT_TEST(issue_links)
{
	struct pt_result r;

	EXPECT("IssueCreateLink", "{\"inwardIssue\":\"TEST-1\",\"outwardIssue\":\"OPS-7\",\"linkType\":\"Relates\"}",
	       "Link", "{\"inwardIssue\":\"TEST-1\",\"outwardIssue\":\"OPS-7\",\"linkType\":\"Relates\"}");
	md_expect_body(S, NULL, "/rest/api/2/issueLink",
		       "{\"type\":{\"name\":\"Relates\"},\"inwardIssue\":{\"key\":\"TEST-1\"},\"outwardIssue\":{\"key\":"
		       "\"OPS-7\"},\"comment\":{\"body\":\"Link related issues!\"}}");
	EXPECT("IssueCreateLink", "{\"inwardIssue\":\"TEST-1\",\"outwardIssue\":\"OPS-7\",\"linkType\":\"Causes\"}",
	       "LinkFailure",
	       "{\"inwardIssue\":\"TEST-1\",\"outwardIssue\":\"OPS-7\",\"linkType\":\"Causes\",\"error\":\"could not "
	       "find issue or invalid link type specified\"}");

	EXPECT("IssueGetLink", "{\"linkId\":\"10000\"}", "Link",
	       "{\"type\":{\"name\":\"Blocks\",\"inward\":\"is blocked by\",\"outward\":\"blocks\"},\"inwardIssue\":"
	       "{\"key\":\"TEST-1\"},\"outwardIssue\":{\"key\":\"TEST-2\"},\"comment\":{\"body\":\"\"}}");
	md_expect_last(S, "GET", "/rest/api/2/issueLink/10000", M.auth);
	RUN(&r, "IssueGetLink", "{\"linkId\":\"777\"}");
	MD_PAYLOAD(&r, "{\"linkId\":\"777\",\"error\":\"could not find issue or invalid link type specified\"}");
	pt_result_release(&r);

	EXPECT("IssueDeleteLink", "{\"linkId\":\"10000\"}", "Link", "{\"linkId\":\"10000\"}");
	md_expect_last(S, "DELETE", "/rest/api/2/issueLink/10000", M.auth);
	RUN(&r, "IssueDeleteLink", "{\"linkId\":\"10000\"}");
	MD_EVENT(&r, "LinkFailure");
	pt_result_release(&r);
	RUN(&r, "IssueDeleteLink", "{\"linkId\":7}");
	MD_PAYLOAD(&r, "{\"error\":\"json: cannot unmarshal number into Go struct field .linkId of type string\"}");
	pt_result_release(&r);
}

FLT_TEST(retries_and_timeouts)
{
	struct pt_result r;
	struct standin_fault busy = { .count = 2, .status = 503, .ctype = "text/html",
				      .body = "<html><title>Service Unavailable</title></html>" };
	struct standin_fault slow = { .count = 1, .delay_ms = 3000 };
	size_t before;

	/* an idempotent read is retried through two 503s */
	standin_reset(S);
	standin_fault(S, &busy);
	RUN(&r, "IssueInfo", "\"TEST-1\"");
	MD_EVENT(&r, "Info");
	FLH_EQ_INT(standin_count(S), 3);
	pt_result_release(&r);
	/* a create is not repeated: one request, the failure names the status */
	standin_reset(S);
	busy.count = 1;
	standin_fault(S, &busy);
	EXPECT_ERROR("CreateIssue", "{\"project\":\"TEST\",\"issuetype\":\"Bug\",\"summary\":\"once\"}",
		     "CreateIssueFailure", "statusCode=503 : Service Unavailable");
	FLH_EQ_INT(standin_count(S), 1);
	/* a request that outlives JIRA_TIMEOUT_SEC */
	standin_reset(S);
	standin_fault(S, &slow);
	EXPECT_ERROR("CommentIssue", "{\"id\":\"TEST-1\",\"comment\":\"slow\"}", "CommentFailure",
		     "timed out after 2000 ms");
	before = standin_count(S);
	FLH_EQ_INT(before, 1);
	FLH_ASSERT(pt_alive(P));
}

FLT_TEST(malformed_answers)
{
	struct pt_result r;
	struct standin_fault garbage = { .count = 1, .status = 200, .ctype = "application/json", .body = "{\"key\": tru" };
	struct standin_fault array = { .count = 1, .status = 200, .ctype = "application/json", .body = "[1,2]" };
	struct standin_fault html = { .count = 1, .status = 201, .ctype = "text/html", .body = "<html>proxy</html>" };

	standin_fault(S, &garbage);
	EXPECT_ERROR("IssueInfo", "\"TEST-1\"", "InfoFailure", "issueId=TEST-1 : err=answer is not JSON");
	standin_fault(S, &array);
	EXPECT_ERROR("SearchIssues", "{\"query\":\"project = TEST\"}", "SearchFailure", "not a JSON object");
	standin_fault(S, &html);
	EXPECT_ERROR("CreateIssue", "{\"project\":\"TEST\",\"issuetype\":\"Bug\",\"summary\":\"s\"}",
		     "CreateIssueFailure", "answer is not JSON");
	/* the pack is still there and working */
	FLH_ASSERT(pt_alive(P));
	RUN(&r, "IssueInfo", "\"TEST-1\"");
	MD_EVENT(&r, "Info");
	pt_result_release(&r);
}

FLT_TEST(wrong_password_and_missing_variables)
{
	char host[128];
	struct pt_result r;
	pid_t bad, unset;

	snprintf(host, sizeof(host), "JIRA_HOST=%s", standin_url(S));
	const char *env_bad[] = { host, "JIRA_USER=" USER, "JIRA_API_TOKEN=wrong", "FLYTE_LABELS=env=bad", NULL };
	bad = pt_start_pack(&E, getenv("FLYTE_JIRA_BIN"), clear_jira, env_bad, "jira-bad.log", "Jira.env.bad");
	FLH_ASSERT(bad > 0);
	FLH_ASSERT(pt_run(&E, "Jira", "{\"env\":\"bad\"}", "IssueInfo", "\"TEST-1\"", 0, &r) == 0);
	MD_EVENT(&r, "InfoFailure");
	MD_PAYLOAD(&r, "{\"id\":\"TEST-1\",\"error\":\"issueId=TEST-1 : statusCode=401 : You are not authenticated. "
		       "Authentication required to perform this operation.\"}");
	pt_result_release(&r);
	FLH_EQ_INT(pt_stop_pack(bad), 0);

	/* no JIRA_HOST: the pack starts, says so, and answers with failure events */
	const char *env_unset[] = { "FLYTE_LABELS=env=unset", NULL };
	unset = pt_start_pack(&E, getenv("FLYTE_JIRA_BIN"), clear_jira, env_unset, "jira-unset.log", "Jira.env.unset");
	FLH_ASSERT(unset > 0);
	FLH_ASSERT(pt_run(&E, "Jira", "{\"env\":\"unset\"}", "CommentIssue", "{\"id\":\"TEST-1\",\"comment\":\"c\"}", 0,
			  &r) == 0);
	MD_PAYLOAD(&r, "{\"id\":\"TEST-1\",\"comment\":\"c\",\"error\":\"JIRA_HOST is not set\"}");
	pt_result_release(&r);
	FLH_ASSERT(pt_run(&E, "Jira", "{\"env\":\"unset\"}", "SearchIssues", "{\"query\":\"project = TEST\"}", 0, &r) == 0);
	MD_EVENT(&r, "SearchFailure");
	FLH_EQ_STR(pt_str(&r, "error"), "JIRA_HOST is not set");
	pt_result_release(&r);
	FLH_ASSERT(pt_alive(unset));
	FLH_EQ_INT(pt_stop_pack(unset), 0);
}

FLT_TEST(teardown)
{
	FLH_ASSERT(pt_alive(P));
	FLH_EQ_INT(pt_stop_pack(P), 0);
	/* secrets never reach the log */
	{
		char *log = flt_read_file(flh_path("%s/jira.log", E.dir), 0, NULL);
		bool read = log != NULL, written = read && strstr(log, "/rest/api/2/issue/TEST-1"),
		     secret = read && strstr(log, PASS);
		free(log);
		FLH_ASSERT(read);
		FLH_ASSERT(written); /* debug lines were written */
		FLH_ASSERT(!secret);
	}
	standin_stop(S);
	pt_teardown(&E);
	json_decref(M.issues);
	json_decref(M.links);
}

FLT_MAIN(setup, help_lists_variables, issue_info, issue_info_failures, create_issue, create_issue_failures,
	 create_inc_issue, comment_issue, search_issues, issue_assign, transitions, issue_links, retries_and_timeouts,
	 malformed_answers, wrong_password_and_missing_variables, teardown)
