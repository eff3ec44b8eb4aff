/* SPDX-License-Identifier: Apache-2.0 */
/*
 * jira.c - the Jira pack's handlers (see jira.h and docs/packs/jira.md).
 *
 * Every handler decodes its input the way the Go pack did, calls Jira REST
 * v2 through the shared HTTP client and answers with the Go pack's event and
 * payload shape.  Whatever goes wrong - a missing variable, an unreachable
 * Jira, an error status, an answer that is not the JSON Jira documents - is
 * reported with the command's failure event; nothing here exits.
 */
#include "fl-common.h"

#include <strings.h>

#include "httpc.h"
#include "jira.h"
#include "packenv.h"
#include "packjson.h"
#include "packutil.h"
#include "restpack.h"

static const char *sv2(const json_t *o, const char *k1, const char *k2)
{
	return packjson_sv(json_object_get(o, k1), k2);
}

/* ------------------------------------------------------------ config */

int jira_from_env(struct jira *j, flyte_log_fn log_fn, enum flyte_log_level level, char *err, size_t errlen)
{
	struct httpc_options o;
	const char *pass = packenv_get("JIRA_PASSWORD"), *missing, *p;

	memset(j, 0, sizeof(*j));
	if (!pass)
		pass = packenv_get("JIRA_API_TOKEN"); /* Jira Cloud: an API token is the Basic password */
	restpack_options_init(&o, "Jira", log_fn, level);
	missing = restpack_auth(&o, packenv_get("JIRA_BEARER_TOKEN"), packenv_get("JIRA_USER"), pass,
				"JIRA_USER (or JIRA_BEARER_TOKEN)", "JIRA_PASSWORD (or JIRA_API_TOKEN)");
	if (restpack_new(&j->rest, &o, "JIRA", missing, err, errlen))
		return -1;
	if (!j->rest.http)
		return 0;
	/* the path of the base URL, for the requestURL of Transition */
	p = strstr(httpc_base_url(j->rest.http), "://");
	p = p ? strchr(p + 3, '/') : NULL;
	j->path_prefix = strdup(p ? p : "");
	if (!j->path_prefix) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

void jira_release(struct jira *j)
{
	if (!j)
		return;
	restpack_release(&j->rest);
	free(j->path_prefix);
	memset(j, 0, sizeof(*j));
}

/* ------------------------------------------------------------ helpers */

static char *path_of(const char *fmt, const char *arg)
{
	char *p = NULL;
	httpc_pathf(&p, fmt, arg);
	return p;
}

/* ----------------------------------------------------------- mappers */

static json_t *join_names(const json_t *list, const char *member)
{
	struct fl_buf b = FL_BUF_INIT(0);
	json_t *v, *s;
	size_t i;

	json_array_foreach(list, i, v) {
		const char *t = member ? packjson_sv(v, member) : (json_is_string(v) ? json_string_value(v) : "");
		if (b.len || i)
			fl_buf_addc(&b, ',');
		fl_buf_adds(&b, t);
	}
	s = fl_buf_failed(&b) ? NULL : packjson_stringn(b.ptr, b.len);
	fl_buf_release(&b);
	return s;
}

json_t *jira_info_payload(const json_t *issue)
{
	const json_t *f = json_object_get(issue, "fields");
	json_t *p = packjson_strs("id", packjson_sv(issue, "key"), "summary", packjson_sv(f, "summary"), "status",
				  sv2(f, "status", "name"), "description", packjson_sv(f, "description"), "assignee",
				  sv2(f, "assignee", "emailAddress"), "reporter", sv2(f, "reporter", "emailAddress"), NULL);

	if (!p)
		return NULL;
	if (json_object_set_new(p, "components", join_names(json_object_get(f, "components"), "name")) ||
	    json_object_set_new(p, "labels", join_names(json_object_get(f, "labels"), NULL)) ||
	    packjson_set_str(p, "priority", sv2(f, "priority", "name")) ||
	    packjson_set_str(p, "type", sv2(f, "issuetype", "name"))) {
		json_decref(p);
		return NULL;
	}
	return p;
}

json_t *jira_search_issues(const json_t *answer)
{
	const json_t *issues = json_object_get(answer, "issues");
	json_t *list, *v;
	size_t i;

	if (!json_array_size(issues))
		return json_null();
	list = json_array();
	json_array_foreach(issues, i, v) {
		const json_t *f = json_object_get(v, "fields");
		if (json_array_append_new(list, packjson_strs("id", packjson_sv(v, "key"), "summary",
							      packjson_sv(f, "summary"), "status", sv2(f, "status", "name"),
							      "description", packjson_sv(f, "description"), "assignee",
							      sv2(f, "assignee", "name"), NULL))) {
			json_decref(list);
			return NULL;
		}
	}
	return list;
}

json_t *jira_transitions(const json_t *answer)
{
	json_t *list = json_array(), *v;
	size_t i;

	json_array_foreach(json_object_get(answer, "transitions"), i, v) {
		if (json_array_append_new(list,
					  packjson_strs("id", packjson_sv(v, "id"), "name", packjson_sv(v, "name"), NULL))) {
			json_decref(list);
			return NULL;
		}
	}
	return list;
}

json_t *jira_link_payload(const json_t *link)
{
	const json_t *t = json_object_get(link, "type");
	json_t *type = packjson_strs("name", packjson_sv(t, "name"), NULL);

	if (!type)
		return NULL;
	/* Go's struct had omitempty on inward and outward */
	if ((*packjson_sv(t, "inward") && packjson_set_str(type, "inward", packjson_sv(t, "inward"))) ||
	    (*packjson_sv(t, "outward") && packjson_set_str(type, "outward", packjson_sv(t, "outward")))) {
		json_decref(type);
		return NULL;
	}
	return json_pack("{s:o,s:o,s:o,s:o}", "type", type, "inwardIssue",
			 packjson_strs("key", sv2(link, "inwardIssue", "key"), NULL), "outwardIssue",
			 packjson_strs("key", sv2(link, "outwardIssue", "key"), NULL), "comment",
			 packjson_strs("body", sv2(link, "comment", "body"), NULL));
}

/* ---------------------------------------------------------- IssueInfo */

static int info_failure(struct flyte_result *out, const char *id, const char *error)
{
	return packjson_result(out, "InfoFailure", packjson_strs("id", id, "error", error, NULL));
}

static int issue_info(const char *input, size_t len, struct flyte_result *out, void *payload)
{
	struct jira *j = payload;
	struct httpc_response r;
	json_t *in = json_loadb(input, len, JSON_DECODE_ANY, NULL), *ans = NULL;
	char key[256], msg[RESTPACK_MSG_LEN], err[RESTPACK_WHY_LEN], *path = NULL;
	size_t start, klen;
	int rc;

	httpc_response_init(&r);
	if (!json_is_string(in)) {
		snprintf(msg, sizeof(msg), "json: cannot unmarshal %s into Go value of type string",
			 in ? packjson_go_type(in) : "invalid input");
		rc = info_failure(out, "", msg);
		goto done;
	}
	if (!packjson_find_key(json_string_value(in), json_string_length(in), &start, &klen) || klen >= sizeof(key)) {
		rc = info_failure(out, "", "no issue key (like TEST-1) in the input");
		goto done;
	}
	memcpy(key, json_string_value(in) + start, klen);
	key[klen] = '\0';
	if (!j->rest.http) {
		rc = info_failure(out, key, j->rest.error);
		goto done;
	}
	path = path_of("/rest/api/2/issue/%s", key);
	if (restpack_exchange(j->rest.http,
			      &(struct httpc_request){ .method = "GET", .path = path, .flags = HTTPC_IDEMPOTENT },
			      200, &r, &ans, NULL, NULL, err, sizeof(err))) {
		snprintf(msg, sizeof(msg), "issueId=%s : %s", key, err);
		rc = info_failure(out, key, msg);
	} else {
		rc = packjson_result(out, "Info", jira_info_payload(ans));
	}
done:
	httpc_response_release(&r);
	json_decref(in);
	json_decref(ans);
	free(path);
	return rc;
}

/* -------------------------------------------------------- CreateIssue */

static int create_failure(struct flyte_result *out, const char *error, const char *project, const char *issuetype,
			  const char *summary, const char *description, const char *priority)
{
	return packjson_result(out, "CreateIssueFailure",
			       packjson_strs("error", error, "project", project, "issuetype", issuetype, "summary",
					     summary, "description", description, "priority", priority, NULL));
}

/* Summary "ReactionBased": the first 70 bytes of the description, newlines dropped, plus "...". */
static void reaction_summary(const char *description, char *buf, size_t len)
{
	size_t n = strlen(description), o = 0;

	if (n > 70) {
		n = 70;
		while (n > 0 && ((unsigned char)description[n] & 0xc0) == 0x80)
			n--; /* do not split a character */
	}
	for (size_t i = 0; i < n && o + 4 < len; i++)
		if (description[i] != '\n')
			buf[o++] = description[i];
	memcpy(buf + o, "...", 4);
}

static json_t *named(const char *member, const char *value)
{
	return packjson_strs(member, value, NULL);
}

/* POST a new issue; 0 with Jira's answer (which has the key) in *ans, or -1 with why it failed. */
static int post_issue(struct jira *j, json_t *body, struct httpc_response *r, json_t **ans, char *why, size_t len)
{
	if (restpack_exchange(j->rest.http,
			      &(struct httpc_request){ .method = "POST", .path = "/rest/api/2/issue", .json = body },
			      201, r, ans, NULL, NULL, why, len))
		return -1;
	if (*packjson_sv(*ans, "key"))
		return 0;
	snprintf(why, len, "err=the answer has no issue key");
	return -1;
}

static int create_issue(const char *input, size_t len, struct flyte_result *out, void *payload)
{
	struct jira *j = payload;
	struct httpc_response r;
	json_t *in = NULL, *ans = NULL, *fields = NULL, *body = NULL;
	const char *project, *issuetype, *summary, *description, *priority, *reporter;
	char err[RESTPACK_WHY_LEN], msg[RESTPACK_MSG_LEN], reaction[160], *url = NULL;
	int rc;

	httpc_response_init(&r);
	if (packjson_input(&in, input, len, err, sizeof(err), "project", &project, "issuetype", &issuetype, "summary",
			   &summary, "description", &description, "priority", &priority, "reporter", &reporter, NULL)) {
		snprintf(msg, sizeof(msg), "Could not marshal create client issue input: %s", err);
		rc = create_failure(out, msg, "unknown", "unknown", "unknown", "", "");
		goto done;
	}
	if ((!*summary || !*description) && !strcmp(project, "RCPSUP")) {
		rc = create_failure(out, "Please provide both issue title & description. mandatory fields missing!",
				    project, issuetype, summary, description, priority);
		goto done;
	}
	if (!strcmp(summary, "ReactionBased")) {
		reaction_summary(description, reaction, sizeof(reaction));
		summary = reaction;
	}
	if (!j->rest.http) {
		rc = create_failure(out, j->rest.error, project, issuetype, summary, description, priority);
		goto done;
	}
	fields = json_pack("{s:o,s:o,s:o}", "project", named("key", project), "summary", packjson_string(summary),
			   "issuetype", named("name", issuetype));
	if (fields && *description)
		json_object_set_new(fields, "description", packjson_string(description));
	if (fields && *priority)
		json_object_set_new(fields, "priority", named("name", priority));
	if (fields && *reporter)
		json_object_set_new(fields, "reporter", named("name", reporter));
	body = fields ? json_pack("{s:O}", "fields", fields) : NULL;
	if (!body) {
		rc = flyte_result_fatal(out, "out of memory");
		goto done;
	}
	if (!post_issue(j, body, &r, &ans, err, sizeof(err))) {
		struct fl_buf b = FL_BUF_INIT(0);
		fl_buf_addf(&b, "%s/browse/%s", httpc_base_url(j->rest.http), packjson_sv(ans, "key"));
		url = fl_buf_detach(&b, NULL);
		rc = packjson_result(out, "CreateIssue",
				     packjson_strs("id", packjson_sv(ans, "key"), "url", url, "project", project,
						   "issuetype", issuetype, "summary", summary, "description", description,
						   "priority", priority, "reporter", reporter, NULL));
		goto done;
	}
	snprintf(msg, sizeof(msg), "Could not create issue: issueSummary='%s' : %s", summary, err);
	rc = create_failure(out, msg, project, issuetype, summary, description, priority);
done:
	httpc_response_release(&r);
	json_decref(in);
	json_decref(ans);
	json_decref(fields);
	json_decref(body);
	free(url);
	return rc;
}

/* ----------------------------------------------------- CreateIncIssue */

static int inc_failure(struct flyte_result *out, const char *message)
{
	return packjson_result(out, "CreateIncIssueFailure", packjson_strs("message", message, NULL));
}

static bool incident_number(const char *s)
{
	size_t n = strlen(s), d;

	if (n < 3 || memcmp(s, "INC", 3))
		return false;
	for (d = 3; d < n; d++)
		if (s[d] < '0' || s[d] > '9')
			return false;
	return n - 3 == 7 || n - 3 == 8;
}

static int create_inc_issue(const char *input, size_t len, struct flyte_result *out, void *payload)
{
	struct jira *j = payload;
	struct httpc_response r;
	json_t *in = NULL, *ans = NULL, *fields = NULL, *labels = NULL, *body = NULL, *v;
	const char *inc, *project, *issuetype, *summary, *description;
	char err[RESTPACK_WHY_LEN], msg[RESTPACK_MSG_LEN];
	size_t i;
	int rc;

	httpc_response_init(&r);
	if (packjson_input(&in, input, len, err, sizeof(err), "incident", &inc, "project", &project, "issuetype",
			   &issuetype, "summary", &summary, "description", &description, NULL)) {
		snprintf(msg, sizeof(msg), "could not marshal create client issue input: %s", err);
		rc = inc_failure(out, msg);
		goto done;
	}
	v = json_object_get(in, "labels");
	if (v && !json_is_null(v)) {
		bool ok = json_is_array(v);
		json_t *e;
		json_array_foreach(v, i, e)
			ok = ok && json_is_string(e);
		if (!ok) {
			rc = inc_failure(out, "could not marshal create client issue input: labels must be a list of strings");
			goto done;
		}
		labels = json_incref(v);
	}
	if (!incident_number(inc)) {
		snprintf(msg, sizeof(msg), "%s: invalid incident number format", inc);
		rc = inc_failure(out, msg);
		goto done;
	}
	if (strlen(summary) > 255) {
		snprintf(msg, sizeof(msg), "Too long summary (length %zu). Limit is 255 symbols", strlen(summary));
		rc = inc_failure(out, msg);
		goto done;
	}
	if (!j->rest.http) {
		rc = inc_failure(out, j->rest.error);
		goto done;
	}
	fields = json_pack("{s:o,s:o,s:o,s:o}", "project", named("key", project), "summary", packjson_string(summary),
			   "issuetype", named("name", issuetype), "description", packjson_string(description));
	if (fields && labels)
		json_object_set(fields, "labels", labels);
	body = fields ? json_pack("{s:O}", "fields", fields) : NULL;
	if (!body) {
		rc = flyte_result_fatal(out, "out of memory");
		goto done;
	}
	if (!post_issue(j, body, &r, &ans, err, sizeof(err))) {
		rc = packjson_result(out, "CreateIncIssue",
				     packjson_strs("id", packjson_sv(ans, "id"), "key", packjson_sv(ans, "key"),
						   "self", packjson_sv(ans, "self"), NULL));
		goto done;
	}
	snprintf(msg, sizeof(msg), "could not create issue: issueSummary='%s' : %s", summary, err);
	rc = inc_failure(out, msg);
done:
	httpc_response_release(&r);
	json_decref(in);
	json_decref(ans);
	json_decref(fields);
	json_decref(labels);
	json_decref(body);
	return rc;
}

/* -------------------------------------------------------- CommentIssue */

static int comment_failure(struct flyte_result *out, const char *id, const char *comment, const char *error)
{
	return packjson_result(out, "CommentFailure", packjson_strs("id", id, "comment", comment, "error", error, NULL));
}

static int comment_issue(const char *input, size_t len, struct flyte_result *out, void *payload)
{
	struct jira *j = payload;
	struct httpc_response r;
	json_t *in = NULL, *body = NULL;
	const char *id, *comment;
	char err[RESTPACK_WHY_LEN], msg[RESTPACK_MSG_LEN], *path = NULL;
	int rc;

	httpc_response_init(&r);
	if (packjson_input(&in, input, len, err, sizeof(err), "id", &id, "comment", &comment, NULL)) {
		snprintf(msg, sizeof(msg), "Could not marshal comment into json: %s", err);
		rc = comment_failure(out, "unknown", "unknown", msg);
		goto done;
	}
	if (!j->rest.http || !*id) {
		rc = comment_failure(out, id, comment, !j->rest.http ? j->rest.error : "Could not leave comment: id is missing");
		goto done;
	}
	path = path_of("/rest/api/2/issue/%s/comment", id);
	body = packjson_strs("body", comment, NULL);
	if (restpack_exchange(j->rest.http, &(struct httpc_request){ .method = "POST", .path = path, .json = body }, 201, &r,
			      NULL, NULL, NULL, err, sizeof(err))) {
		snprintf(msg, sizeof(msg), "Could not leave comment: issueId=%s : %s", id, err);
		rc = comment_failure(out, id, comment, msg);
	} else {
		rc = packjson_result(out, "Comment", packjson_strs("id", id, "comment", comment, NULL));
	}
done:
	httpc_response_release(&r);
	json_decref(in);
	json_decref(body);
	free(path);
	return rc;
}

/* -------------------------------------------------------- SearchIssues */

static json_t *search_head(const char *query, long long start, long long max)
{
	return json_pack("{s:o,s:I,s:I}", "query", packjson_string(query), "startIndex", (json_int_t)start,
			 "maxResults", (json_int_t)max);
}

static int search_failure(struct flyte_result *out, const char *query, long long start, long long max,
			  const char *error)
{
	return packjson_result(out, "SearchFailure", packjson_with_error(search_head(query, start, max), error));
}

static int search_issues(const char *input, size_t len, struct flyte_result *out, void *payload)
{
	struct jira *j = payload;
	struct httpc_response r;
	json_t *in = NULL, *ans = NULL, *body = NULL, *p;
	const char *query;
	long long start = 0, max = 10;
	char err[RESTPACK_WHY_LEN], msg[RESTPACK_MSG_LEN];
	int rc;

	httpc_response_init(&r);
	if (packjson_input(&in, input, len, err, sizeof(err), "query", &query, NULL) ||
	    packjson_int(in, "startIndex", 0, &start, err, sizeof(err)) ||
	    packjson_int(in, "maxResults", 10, &max, err, sizeof(err))) {
		rc = flyte_result_fatal(out, "input is not valid: %s", err);
		goto done;
	}
	if (!*query) {
		rc = search_failure(out, query, start, max, "Empty query string");
		goto done;
	}
	if (!j->rest.http) {
		rc = search_failure(out, query, start, max, j->rest.error);
		goto done;
	}
	body = json_pack("{s:o,s:I,s:I,s:[s,s,s,s,s,s]}", "jql", packjson_string(query), "startAt", (json_int_t)start,
			 "maxResults", (json_int_t)max, "fields", "summary", "assignee", "labels", "status",
			 "description", "priority");
	if (!body) {
		rc = flyte_result_fatal(out, "out of memory");
		goto done;
	}
	if (restpack_exchange(j->rest.http,
			      &(struct httpc_request){ .method = "POST", .path = "/rest/api/2/search", .json = body,
						       .flags = HTTPC_IDEMPOTENT },
			      200, &r, &ans, "error=", NULL, err, sizeof(err))) {
		snprintf(msg, sizeof(msg), "Could not search for issues: query='%s' : %s", query, err);
	} else {
		const json_t *total = json_object_get(ans, "total");
		p = search_head(query, start, max);
		if (p && (json_object_set_new(p, "total", json_integer(json_is_integer(total) ? json_integer_value(total) : 0)) ||
			  json_object_set_new(p, "issues", jira_search_issues(ans)))) {
			json_decref(p);
			p = NULL;
		}
		rc = packjson_result(out, "SearchSuccess", p);
		goto done;
	}
	rc = search_failure(out, query, start, max, msg);
done:
	httpc_response_release(&r);
	json_decref(in);
	json_decref(ans);
	json_decref(body);
	return rc;
}

/* --------------------------------------------------------- IssueAssign */

/* The Go pack's message for an answer other than 204 to IssueAssign and Transition. */
static void status_message(char *buf, size_t len, long status, const char *bad_request, const char *unauthorized)
{
	switch (status) {
	case 400: snprintf(buf, len, "%s", bad_request); break;
	case 401: snprintf(buf, len, "%s", unauthorized); break;
	case 404: snprintf(buf, len, "issue or user does not exist"); break;
	default: snprintf(buf, len, "unsupported status code %ld", status); break;
	}
}

static json_t *assign_payload(const char *issue, const char *user)
{
	json_t *p = packjson_strs("issueId", issue, NULL);
	if (p && *user && packjson_set_str(p, "username", user)) { /* omitempty */
		json_decref(p);
		return NULL;
	}
	return p;
}

static int assign_failure(struct flyte_result *out, const char *issue, const char *user, const char *error)
{
	return packjson_result(out, "AssignFailure", packjson_with_error(assign_payload(issue, user), error));
}

static int issue_assign(const char *input, size_t len, struct flyte_result *out, void *payload)
{
	struct jira *j = payload;
	struct httpc_response r;
	json_t *in = NULL, *body = NULL;
	const char *issue, *user;
	char err[RESTPACK_WHY_LEN], msg[RESTPACK_MSG_LEN], *path = NULL;
	int rc;

	httpc_response_init(&r);
	if (packjson_input(&in, input, len, err, sizeof(err), "issueId", &issue, "username", &user, NULL)) {
		rc = assign_failure(out, issue, user, err);
		goto done;
	}
	if (!j->rest.http || !*issue) {
		rc = assign_failure(out, issue, user, !j->rest.http ? j->rest.error : "issueId is missing");
		goto done;
	}
	path = path_of("/rest/api/2/issue/%s/assignee", issue);
	/* {"name": null} unassigns, "-1" picks the project's default assignee */
	body = json_pack("{s:o}", "name", *user ? packjson_string(user) : json_null());
	if (restpack_call(j->rest.http, &(struct httpc_request){ .method = "PUT", .path = path, .json = body,
							     .flags = HTTPC_IDEMPOTENT },
			  &r, err, sizeof(err))) {
		rc = assign_failure(out, issue, user, err);
		goto done;
	}
	if (r.status == 204) {
		rc = packjson_result(out, "Assign", assign_payload(issue, user));
	} else {
		status_message(msg, sizeof(msg), r.status, "invalid user representation",
			       "invalid permission to assign to issue");
		rc = assign_failure(out, issue, user, msg);
	}
done:
	httpc_response_release(&r);
	json_decref(in);
	json_decref(body);
	free(path);
	return rc;
}

/* ------------------------------------------------------ GetTransitions */

static int transitions_failure(struct flyte_result *out, const char *id, const char *error)
{
	return packjson_result(out, "GetTransitionsFailure", packjson_strs("id", id, "error", error, NULL));
}

static int get_transitions(const char *input, size_t len, struct flyte_result *out, void *payload)
{
	struct jira *j = payload;
	struct httpc_response r;
	json_t *in = NULL, *ans = NULL;
	const char *issue;
	char err[RESTPACK_WHY_LEN], msg[RESTPACK_MSG_LEN], *path = NULL;
	int rc;

	httpc_response_init(&r);
	if (packjson_input(&in, input, len, err, sizeof(err), "issueId", &issue, NULL)) {
		rc = transitions_failure(out, issue, err);
		goto done;
	}
	if (!j->rest.http || !*issue) {
		rc = transitions_failure(out, issue, !j->rest.http ? j->rest.error : "issueId is missing");
		goto done;
	}
	path = path_of("/rest/api/2/issue/%s/transitions", issue);
	if (restpack_exchange(j->rest.http,
			      &(struct httpc_request){ .method = "GET", .path = path, .flags = HTTPC_IDEMPOTENT },
			      200, &r, &ans, NULL, NULL, err, sizeof(err))) {
		snprintf(msg, sizeof(msg), "issueId=%s : %s", issue, err);
		rc = transitions_failure(out, issue, msg);
	} else {
		rc = packjson_result(out, "GetTransitions",
				     json_pack("{s:o,s:o}", "id", packjson_string(issue), "transitions",
					       jira_transitions(ans)));
	}
done:
	httpc_response_release(&r);
	json_decref(in);
	json_decref(ans);
	free(path);
	return rc;
}

/* ---------------------------------------------------------- Transition */

static int transition_failure(struct flyte_result *out, const char *issue, const char *tid, const char *error)
{
	return packjson_result(out, "TransitionFailure",
			       packjson_strs("issueId", issue, "transitionId", tid, "error", error, NULL));
}

static int transition(const char *input, size_t len, struct flyte_result *out, void *payload)
{
	struct jira *j = payload;
	struct httpc_response r;
	json_t *in = NULL, *body = NULL;
	const char *issue, *tid;
	char err[RESTPACK_WHY_LEN], msg[RESTPACK_MSG_LEN], *path = NULL, *url = NULL;
	int rc;

	httpc_response_init(&r);
	if (packjson_input(&in, input, len, err, sizeof(err), "issueId", &issue, "transitionId", &tid, NULL)) {
		rc = transition_failure(out, issue, tid, err);
		goto done;
	}
	if (!j->rest.http || !*issue) {
		rc = transition_failure(out, issue, tid, !j->rest.http ? j->rest.error : "issueId is missing");
		goto done;
	}
	path = path_of("/rest/api/2/issue/%s/transitions", issue);
	body = json_pack("{s:o}", "transition", packjson_strs("id", tid, NULL));
	if (restpack_call(j->rest.http, &(struct httpc_request){ .method = "POST", .path = path, .json = body }, &r, err,
			  sizeof(err))) {
		rc = transition_failure(out, issue, tid, err);
		goto done;
	}
	if (r.status == 204) {
		struct fl_buf b = FL_BUF_INIT(0);
		fl_buf_addf(&b, "%s%s", j->path_prefix, path);
		url = fl_buf_detach(&b, NULL);
		rc = packjson_result(out, "Transition",
				     packjson_strs("issueId", issue, "transitionId", tid, "requestURL", url, NULL));
	} else {
		status_message(msg, sizeof(msg), r.status, "no transition specified",
			       "invalid permission to transition an issue");
		rc = transition_failure(out, issue, tid, msg);
	}
done:
	httpc_response_release(&r);
	json_decref(in);
	json_decref(body);
	free(path);
	free(url);
	return rc;
}

/* --------------------------------------------------------- issue links */

struct link_req {
	const char *link_id, *inward, *outward, *type;
};

/* The Go linkRequest: every member omitempty, in this order. */
static json_t *link_req_payload(const struct link_req *l)
{
	json_t *p = json_object();

	if (p && ((*l->link_id && packjson_set_str(p, "linkId", l->link_id)) ||
		  (*l->inward && packjson_set_str(p, "inwardIssue", l->inward)) ||
		  (*l->outward && packjson_set_str(p, "outwardIssue", l->outward)) ||
		  (*l->type && packjson_set_str(p, "linkType", l->type)))) {
		json_decref(p);
		return NULL;
	}
	return p;
}

static int link_failure(struct flyte_result *out, const struct link_req *l, const char *error)
{
	return packjson_result(out, "LinkFailure", packjson_with_error(link_req_payload(l), error));
}

static void link_release(struct link_req *l)
{
	free((char *)l->link_id);
	free((char *)l->inward);
	free((char *)l->outward);
	free((char *)l->type);
}

static int link_input(const char *input, size_t len, struct link_req *l, char *err, size_t errlen)
{
	const char *id, *inward, *outward, *type;
	json_t *in = NULL;
	/* as Go did, the members read before an error are kept */
	int rc = packjson_input(&in, input, len, err, errlen, "linkId", &id, "inwardIssue", &inward, "outwardIssue",
				&outward, "linkType", &type, NULL);

	l->link_id = strdup(id);
	l->inward = strdup(inward);
	l->outward = strdup(outward);
	l->type = strdup(type);
	json_decref(in);
	if (!l->link_id || !l->inward || !l->outward || !l->type) {
		link_release(l);
		l->link_id = l->inward = l->outward = l->type = NULL;
		snprintf(err, errlen, "out of memory");
		return -2;
	}
	return rc ? -1 : 0;
}

/* The Go pack's messages for the status of a link request. */
static void link_status_message(char *buf, size_t len, long status, const char *what)
{
	switch (status) {
	case 400: snprintf(buf, len, "failed to create issue with comment %s", what); break;
	case 401: snprintf(buf, len, "invalid permission to link issues"); break;
	case 500: snprintf(buf, len, "error occurred when creating link or comment"); break;
	case 404: snprintf(buf, len, "could not find issue or invalid link type specified"); break;
	default: snprintf(buf, len, "unsupported status code %ld found", status); break;
	}
}

/*
 * Decode the input of a link command into l.  Returns false when the
 * command is answered already (rc): an input that cannot be decoded, Jira
 * not configured, or no linkId when need_id.  Release l either way.
 */
static bool link_begin(struct jira *j, const char *input, size_t len, bool need_id, struct link_req *l,
		       struct flyte_result *out, int *rc)
{
	char err[RESTPACK_ERR_LEN];
	int in = link_input(input, len, l, err, sizeof(err));

	if (in == -2)
		*rc = flyte_result_fatal(out, "out of memory");
	else if (in)
		*rc = link_failure(out, l, err);
	else if (!j->rest.http || (need_id && !*l->link_id))
		*rc = link_failure(out, l, !j->rest.http ? j->rest.error : "linkId is missing");
	else
		return true;
	return false;
}

#define LINK_COMMENT "Link related issues!"

static int issue_create_link(const char *input, size_t len, struct flyte_result *out, void *payload)
{
	struct jira *j = payload;
	struct httpc_response r;
	struct link_req l;
	json_t *body = NULL;
	char err[RESTPACK_WHY_LEN], msg[RESTPACK_MSG_LEN];
	int rc;

	httpc_response_init(&r);
	if (!link_begin(j, input, len, false, &l, out, &rc))
		goto done;
	body = json_pack("{s:o,s:o,s:o,s:o}", "type", named("name", l.type), "inwardIssue", named("key", l.inward),
			 "outwardIssue", named("key", l.outward), "comment", named("body", LINK_COMMENT));
	if (restpack_call(j->rest.http,
			  &(struct httpc_request){ .method = "POST", .path = "/rest/api/2/issueLink", .json = body },
			  &r, err, sizeof(err))) {
		rc = link_failure(out, &l, err);
	} else if (r.status >= 200 && r.status <= 208) {
		rc = packjson_result(out, "Link", link_req_payload(&l));
	} else {
		link_status_message(msg, sizeof(msg), r.status, LINK_COMMENT);
		rc = link_failure(out, &l, msg);
	}
done:
	httpc_response_release(&r);
	json_decref(body);
	link_release(&l);
	return rc;
}

/* IssueGetLink and IssueDeleteLink: GET or DELETE /rest/api/2/issueLink/{linkId}. */
static int link_by_id(struct jira *j, const char *method, const char *input, size_t len, struct flyte_result *out)
{
	struct httpc_response r;
	struct link_req l;
	json_t *ans = NULL;
	char err[RESTPACK_WHY_LEN], msg[RESTPACK_MSG_LEN], *path = NULL;
	bool get = !strcmp(method, "GET");
	int rc;

	httpc_response_init(&r);
	if (!link_begin(j, input, len, true, &l, out, &rc))
		goto done;
	path = path_of("/rest/api/2/issueLink/%s", l.link_id);
	if (restpack_call(j->rest.http, &(struct httpc_request){ .method = method, .path = path, .flags = HTTPC_IDEMPOTENT },
			  &r, err, sizeof(err))) {
		rc = link_failure(out, &l, err);
	} else if (r.status < 200 || r.status > 208) {
		link_status_message(msg, sizeof(msg), r.status, l.link_id);
		rc = link_failure(out, &l, msg);
	} else if (get && restpack_answer_object(&r, &ans, err, sizeof(err))) {
		rc = link_failure(out, &l, err);
	} else {
		rc = packjson_result(out, "Link", get ? jira_link_payload(ans) : link_req_payload(&l));
	}
done:
	httpc_response_release(&r);
	json_decref(ans);
	link_release(&l);
	free(path);
	return rc;
}

static int issue_get_link(const char *input, size_t len, struct flyte_result *out, void *payload)
{
	return link_by_id(payload, "GET", input, len, out);
}

static int issue_delete_link(const char *input, size_t len, struct flyte_result *out, void *payload)
{
	return link_by_id(payload, "DELETE", input, len, out);
}

/* ------------------------------------------------------------- table */

const struct flyte_command_def jira_commands[] = {
	PACKUTIL_COMMAND("IssueInfo", issue_info, "Info", "InfoFailure"),
	PACKUTIL_COMMAND("CreateIssue", create_issue, "CreateIssue", "CreateIssueFailure"),
	PACKUTIL_COMMAND("CreateIncIssue", create_inc_issue, "CreateIncIssue", "CreateIncIssueFailure"),
	PACKUTIL_COMMAND("CommentIssue", comment_issue, "Comment", "CommentFailure"),
	PACKUTIL_COMMAND("SearchIssues", search_issues, "SearchSuccess", "SearchFailure"),
	PACKUTIL_COMMAND("IssueAssign", issue_assign, "Assign", "AssignFailure"),
	PACKUTIL_COMMAND("GetTransitions", get_transitions, "GetTransitions", "GetTransitionsFailure"),
	PACKUTIL_COMMAND("Transition", transition, "Transition", "TransitionFailure"),
	PACKUTIL_COMMAND("IssueCreateLink", issue_create_link, "Link", "LinkFailure"),
	PACKUTIL_COMMAND("IssueGetLink", issue_get_link, "Link", "LinkFailure"),
	PACKUTIL_COMMAND("IssueDeleteLink", issue_delete_link, "Link", "LinkFailure"),
};
const size_t jira_n_commands = FL_ARRAY_LEN(jira_commands);
