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
#include "packjson.h"

#define MSG_LEN 2048 /* room for a description (ERR_LEN) and the input values */
#define ERR_LEN 1024

static const char *sv(const json_t *o, const char *k)
{
	const json_t *v = json_object_get(o, k);
	return json_is_string(v) ? json_string_value(v) : "";
}

static const char *sv2(const json_t *o, const char *k1, const char *k2)
{
	return sv(json_object_get(o, k1), k2);
}

/* ------------------------------------------------------------ config */

static int missing(struct jira *j, const char *var)
{
	snprintf(j->error, sizeof(j->error), "%s is not set", var);
	return 0;
}

static const char *getenv_ne(const char *name)
{
	const char *v = getenv(name);
	return v && *v ? v : NULL;
}

int jira_from_env(struct jira *j, flyte_log_fn log_fn, enum flyte_log_level level, char *err, size_t errlen)
{
	struct httpc_options o;
	const char *host = getenv_ne("JIRA_HOST"), *user = getenv_ne("JIRA_USER");
	const char *pass = getenv_ne("JIRA_PASSWORD"), *token = getenv_ne("JIRA_API_TOKEN");
	const char *bearer = getenv_ne("JIRA_BEARER_TOKEN"), *p;

	memset(j, 0, sizeof(*j));
	httpc_options_init(&o);
	o.name = "Jira";
	o.log_fn = log_fn;
	o.log_level = level;
	if (httpc_options_from_env(&o, "JIRA", 0, err, errlen))
		return -1;
	if (!host)
		return missing(j, "JIRA_HOST");
	o.base_url = host;
	if (bearer) {
		o.auth = HTTPC_AUTH_BEARER;
		o.token = bearer;
	} else if (user) {
		if (!pass && !token)
			return missing(j, "JIRA_PASSWORD (or JIRA_API_TOKEN)");
		o.auth = HTTPC_AUTH_BASIC;
		o.user = user;
		o.password = pass ? pass : token;
	} else {
		return missing(j, "JIRA_USER (or JIRA_BEARER_TOKEN)");
	}
	if (httpc_new(&j->http, &o, err, errlen))
		return -1;
	/* the path of the base URL, for the requestURL of Transition */
	p = strstr(httpc_base_url(j->http), "://");
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
	httpc_free(j->http);
	free(j->path_prefix);
	memset(j, 0, sizeof(*j));
}

/* ------------------------------------------------------------ helpers */

/*
 * Send a request.  Returns 0 when Jira answered (any status), -1 with a
 * one-line description in msg otherwise.
 */
static int call(struct jira *j, const char *method, const char *path, json_t *body, unsigned flags,
		struct httpc_response *r, char *msg, size_t len)
{
	struct httpc_request q = { .method = method, .path = path, .json = body, .flags = flags };

	if (httpc_send(j->http, &q, r) == FLYTE_OK)
		return 0;
	httpc_describe(msg, len, j->http, r);
	return -1;
}

/* " : <Jira's message>" of an error answer, or "". */
static const char *detail(struct jira *j, const struct httpc_response *r, char *buf, size_t len)
{
	char m[400];

	buf[0] = '\0';
	if (httpc_answer_message(m, sizeof(m), r->body, r->body_len, r->content_type)) {
		snprintf(buf, len, " : %s", m);
		httpc_redact(j->http, buf);
	}
	return buf;
}

/* Parse a JSON object answer; -1 with the reason in msg. */
static int answer_object(const struct httpc_response *r, json_t **out, char *msg, size_t len)
{
	if (httpc_answer_json(out, r->body, r->body_len, msg, len))
		return -1;
	if (!json_is_object(*out)) {
		json_decref(*out);
		*out = NULL;
		snprintf(msg, len, "unexpected answer: not a JSON object");
		return -1;
	}
	return 0;
}

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
		const char *t = member ? sv(v, member) : (json_is_string(v) ? json_string_value(v) : "");
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
	json_t *p = packjson_strs("id", sv(issue, "key"), "summary", sv(f, "summary"), "status",
				  sv2(f, "status", "name"), "description", sv(f, "description"), "assignee",
				  sv2(f, "assignee", "emailAddress"), "reporter", sv2(f, "reporter", "emailAddress"),
				  NULL);

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
		if (json_array_append_new(list, packjson_strs("id", sv(v, "key"), "summary", sv(f, "summary"), "status",
							      sv2(f, "status", "name"), "description",
							      sv(f, "description"), "assignee",
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
		if (json_array_append_new(list, packjson_strs("id", sv(v, "id"), "name", sv(v, "name"), NULL))) {
			json_decref(list);
			return NULL;
		}
	}
	return list;
}

json_t *jira_link_payload(const json_t *link)
{
	const json_t *t = json_object_get(link, "type");
	json_t *type = packjson_strs("name", sv(t, "name"), NULL);

	if (!type)
		return NULL;
	/* Go's struct had omitempty on inward and outward */
	if ((*sv(t, "inward") && packjson_set_str(type, "inward", sv(t, "inward"))) ||
	    (*sv(t, "outward") && packjson_set_str(type, "outward", sv(t, "outward")))) {
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
	char key[256], msg[MSG_LEN], err[ERR_LEN], more[512], *path = NULL;
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
	if (!j->http) {
		rc = info_failure(out, key, j->error);
		goto done;
	}
	path = path_of("/rest/api/2/issue/%s", key);
	if (call(j, "GET", path, NULL, HTTPC_IDEMPOTENT, &r, err, sizeof(err))) {
		snprintf(msg, sizeof(msg), "issueId=%s : err=%s", key, err);
		rc = info_failure(out, key, msg);
	} else if (r.status != 200) {
		snprintf(msg, sizeof(msg), "issueId=%s : statusCode=%ld%s", key, r.status, detail(j, &r, more, sizeof(more)));
		rc = info_failure(out, key, msg);
	} else if (answer_object(&r, &ans, err, sizeof(err))) {
		snprintf(msg, sizeof(msg), "issueId=%s : err=%s", key, err);
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

static int create_issue(const char *input, size_t len, struct flyte_result *out, void *payload)
{
	struct jira *j = payload;
	struct httpc_response r;
	json_t *in = NULL, *ans = NULL, *fields = NULL, *body = NULL;
	const char *project = "", *issuetype = "", *summary = "", *description = "", *priority = "", *reporter = "";
	char err[ERR_LEN], msg[MSG_LEN], more[512], reaction[160], *url = NULL;
	int rc;

	httpc_response_init(&r);
	if (packjson_object(&in, input, len, err, sizeof(err)) ||
	    packjson_str(in, "project", NULL, &project, err, sizeof(err)) ||
	    packjson_str(in, "issuetype", NULL, &issuetype, err, sizeof(err)) ||
	    packjson_str(in, "summary", NULL, &summary, err, sizeof(err)) ||
	    packjson_str(in, "description", NULL, &description, err, sizeof(err)) ||
	    packjson_str(in, "priority", NULL, &priority, err, sizeof(err)) ||
	    packjson_str(in, "reporter", NULL, &reporter, err, sizeof(err))) {
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
	if (!j->http) {
		rc = create_failure(out, j->error, project, issuetype, summary, description, priority);
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
	if (call(j, "POST", "/rest/api/2/issue", body, 0, &r, err, sizeof(err))) {
		snprintf(msg, sizeof(msg), "Could not create issue: issueSummary='%s' : err=%s", summary, err);
	} else if (r.status != 201) {
		snprintf(msg, sizeof(msg), "Could not create issue: issueSummary='%s' : statusCode=%ld%s", summary,
			 r.status, detail(j, &r, more, sizeof(more)));
	} else if (answer_object(&r, &ans, err, sizeof(err)) || !*sv(ans, "key")) {
		snprintf(msg, sizeof(msg), "Could not create issue: issueSummary='%s' : err=%s", summary,
			 ans ? "the answer has no issue key" : err);
	} else {
		struct fl_buf b = FL_BUF_INIT(0);
		fl_buf_addf(&b, "%s/browse/%s", httpc_base_url(j->http), sv(ans, "key"));
		url = fl_buf_detach(&b, NULL);
		rc = packjson_result(out, "CreateIssue",
				     packjson_strs("id", sv(ans, "key"), "url", url, "project", project, "issuetype",
						   issuetype, "summary", summary, "description", description, "priority",
						   priority, "reporter", reporter, NULL));
		goto done;
	}
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
	const char *inc = "", *project = "", *issuetype = "", *summary = "", *description = "";
	char err[ERR_LEN], msg[MSG_LEN], more[512];
	size_t i;
	int rc;

	httpc_response_init(&r);
	if (packjson_object(&in, input, len, err, sizeof(err)) ||
	    packjson_str(in, "incident", NULL, &inc, err, sizeof(err)) ||
	    packjson_str(in, "project", NULL, &project, err, sizeof(err)) ||
	    packjson_str(in, "issuetype", NULL, &issuetype, err, sizeof(err)) ||
	    packjson_str(in, "summary", NULL, &summary, err, sizeof(err)) ||
	    packjson_str(in, "description", NULL, &description, err, sizeof(err))) {
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
	if (!j->http) {
		rc = inc_failure(out, j->error);
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
	if (call(j, "POST", "/rest/api/2/issue", body, 0, &r, err, sizeof(err))) {
		snprintf(msg, sizeof(msg), "could not create issue: issueSummary='%s' : err=%s", summary, err);
	} else if (r.status != 201) {
		snprintf(msg, sizeof(msg), "could not create issue: issueSummary='%s' : statusCode=%ld%s", summary,
			 r.status, detail(j, &r, more, sizeof(more)));
	} else if (answer_object(&r, &ans, err, sizeof(err)) || !*sv(ans, "key")) {
		snprintf(msg, sizeof(msg), "could not create issue: issueSummary='%s' : err=%s", summary,
			 ans ? "the answer has no issue key" : err);
	} else {
		rc = packjson_result(out, "CreateIncIssue",
				     packjson_strs("id", sv(ans, "id"), "key", sv(ans, "key"), "self", sv(ans, "self"),
						   NULL));
		goto done;
	}
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
	const char *id = "", *comment = "";
	char err[ERR_LEN], msg[MSG_LEN], more[512], *path = NULL;
	int rc;

	httpc_response_init(&r);
	if (packjson_object(&in, input, len, err, sizeof(err)) || packjson_str(in, "id", NULL, &id, err, sizeof(err)) ||
	    packjson_str(in, "comment", NULL, &comment, err, sizeof(err))) {
		snprintf(msg, sizeof(msg), "Could not marshal comment into json: %s", err);
		rc = comment_failure(out, "unknown", "unknown", msg);
		goto done;
	}
	if (!j->http || !*id) {
		rc = comment_failure(out, id, comment, !j->http ? j->error : "Could not leave comment: id is missing");
		goto done;
	}
	path = path_of("/rest/api/2/issue/%s/comment", id);
	body = packjson_strs("body", comment, NULL);
	if (call(j, "POST", path, body, 0, &r, err, sizeof(err))) {
		snprintf(msg, sizeof(msg), "Could not leave comment: issueId=%s : err=%s", id, err);
	} else if (r.status != 201) {
		snprintf(msg, sizeof(msg), "Could not leave comment: issueId=%s : statusCode=%ld%s", id, r.status,
			 detail(j, &r, more, sizeof(more)));
	} else {
		rc = packjson_result(out, "Comment", packjson_strs("id", id, "comment", comment, NULL));
		goto done;
	}
	rc = comment_failure(out, id, comment, msg);
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
	json_t *p = search_head(query, start, max);
	if (p)
		packjson_set_str(p, "error", error);
	return packjson_result(out, "SearchFailure", p);
}

static int search_issues(const char *input, size_t len, struct flyte_result *out, void *payload)
{
	struct jira *j = payload;
	struct httpc_response r;
	json_t *in = NULL, *ans = NULL, *body = NULL, *p;
	const char *query = "";
	long long start = 0, max = 10;
	char err[ERR_LEN], msg[MSG_LEN], more[512];
	int rc;

	httpc_response_init(&r);
	if (packjson_object(&in, input, len, err, sizeof(err)) ||
	    packjson_str(in, "query", NULL, &query, err, sizeof(err)) ||
	    packjson_int(in, "startIndex", 0, &start, err, sizeof(err)) ||
	    packjson_int(in, "maxResults", 10, &max, err, sizeof(err))) {
		rc = flyte_result_fatal(out, "input is not valid: %s", err);
		goto done;
	}
	if (!*query) {
		rc = search_failure(out, query, start, max, "Empty query string");
		goto done;
	}
	if (!j->http) {
		rc = search_failure(out, query, start, max, j->error);
		goto done;
	}
	body = json_pack("{s:o,s:I,s:I,s:[s,s,s,s,s,s]}", "jql", packjson_string(query), "startAt", (json_int_t)start,
			 "maxResults", (json_int_t)max, "fields", "summary", "assignee", "labels", "status",
			 "description", "priority");
	if (!body) {
		rc = flyte_result_fatal(out, "out of memory");
		goto done;
	}
	if (call(j, "POST", "/rest/api/2/search", body, HTTPC_IDEMPOTENT, &r, err, sizeof(err))) {
		snprintf(msg, sizeof(msg), "Could not search for issues: query='%s' : error=%s", query, err);
	} else if (r.status != 200) {
		snprintf(msg, sizeof(msg), "Could not search for issues: query='%s' : statusCode=%ld%s", query, r.status,
			 detail(j, &r, more, sizeof(more)));
	} else if (answer_object(&r, &ans, err, sizeof(err))) {
		snprintf(msg, sizeof(msg), "Could not search for issues: query='%s' : error=%s", query, err);
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
	json_t *p = assign_payload(issue, user);
	if (p && packjson_set_str(p, "error", error)) {
		json_decref(p);
		p = NULL;
	}
	return packjson_result(out, "AssignFailure", p);
}

static int issue_assign(const char *input, size_t len, struct flyte_result *out, void *payload)
{
	struct jira *j = payload;
	struct httpc_response r;
	json_t *in = NULL, *body = NULL;
	const char *issue = "", *user = "";
	char err[ERR_LEN], msg[MSG_LEN], *path = NULL;
	int rc;

	httpc_response_init(&r);
	if (packjson_object(&in, input, len, err, sizeof(err)) ||
	    packjson_str(in, "issueId", NULL, &issue, err, sizeof(err)) ||
	    packjson_str(in, "username", NULL, &user, err, sizeof(err))) {
		rc = assign_failure(out, issue, user, err);
		goto done;
	}
	if (!j->http || !*issue) {
		rc = assign_failure(out, issue, user, !j->http ? j->error : "issueId is missing");
		goto done;
	}
	path = path_of("/rest/api/2/issue/%s/assignee", issue);
	/* {"name": null} unassigns, "-1" picks the project's default assignee */
	body = json_pack("{s:o}", "name", *user ? packjson_string(user) : json_null());
	if (call(j, "PUT", path, body, HTTPC_IDEMPOTENT, &r, err, sizeof(err))) {
		rc = assign_failure(out, issue, user, err);
		goto done;
	}
	switch (r.status) {
	case 204:
		rc = packjson_result(out, "Assign", assign_payload(issue, user));
		goto done;
	case 400: snprintf(msg, sizeof(msg), "invalid user representation"); break;
	case 401: snprintf(msg, sizeof(msg), "invalid permission to assign to issue"); break;
	case 404: snprintf(msg, sizeof(msg), "issue or user does not exist"); break;
	default: snprintf(msg, sizeof(msg), "unsupported status code %ld", r.status); break;
	}
	rc = assign_failure(out, issue, user, msg);
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
	const char *issue = "";
	char err[ERR_LEN], msg[MSG_LEN], more[512], *path = NULL;
	int rc;

	httpc_response_init(&r);
	if (packjson_object(&in, input, len, err, sizeof(err)) ||
	    packjson_str(in, "issueId", NULL, &issue, err, sizeof(err))) {
		rc = transitions_failure(out, issue, err);
		goto done;
	}
	if (!j->http || !*issue) {
		rc = transitions_failure(out, issue, !j->http ? j->error : "issueId is missing");
		goto done;
	}
	path = path_of("/rest/api/2/issue/%s/transitions", issue);
	if (call(j, "GET", path, NULL, HTTPC_IDEMPOTENT, &r, err, sizeof(err))) {
		snprintf(msg, sizeof(msg), "issueId=%s : err=%s", issue, err);
	} else if (r.status != 200) {
		snprintf(msg, sizeof(msg), "issueId=%s : statusCode=%ld%s", issue, r.status, detail(j, &r, more, sizeof(more)));
	} else if (answer_object(&r, &ans, err, sizeof(err))) {
		snprintf(msg, sizeof(msg), "issueId=%s : err=%s", issue, err);
	} else {
		rc = packjson_result(out, "GetTransitions",
				     json_pack("{s:o,s:o}", "id", packjson_string(issue), "transitions",
					       jira_transitions(ans)));
		goto done;
	}
	rc = transitions_failure(out, issue, msg);
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
	const char *issue = "", *tid = "";
	char err[ERR_LEN], msg[MSG_LEN], *path = NULL, *url = NULL;
	int rc;

	httpc_response_init(&r);
	if (packjson_object(&in, input, len, err, sizeof(err)) ||
	    packjson_str(in, "issueId", NULL, &issue, err, sizeof(err)) ||
	    packjson_str(in, "transitionId", NULL, &tid, err, sizeof(err))) {
		rc = transition_failure(out, issue, tid, err);
		goto done;
	}
	if (!j->http || !*issue) {
		rc = transition_failure(out, issue, tid, !j->http ? j->error : "issueId is missing");
		goto done;
	}
	path = path_of("/rest/api/2/issue/%s/transitions", issue);
	body = json_pack("{s:o}", "transition", packjson_strs("id", tid, NULL));
	if (call(j, "POST", path, body, 0, &r, err, sizeof(err))) {
		rc = transition_failure(out, issue, tid, err);
		goto done;
	}
	switch (r.status) {
	case 204: {
		struct fl_buf b = FL_BUF_INIT(0);
		fl_buf_addf(&b, "%s%s", j->path_prefix, path);
		url = fl_buf_detach(&b, NULL);
		rc = packjson_result(out, "Transition",
				     packjson_strs("issueId", issue, "transitionId", tid, "requestURL", url, NULL));
		goto done;
	}
	case 400: snprintf(msg, sizeof(msg), "no transition specified"); break;
	case 401: snprintf(msg, sizeof(msg), "invalid permission to transition an issue"); break;
	case 404: snprintf(msg, sizeof(msg), "issue or user does not exist"); break;
	default: snprintf(msg, sizeof(msg), "unsupported status code %ld", r.status); break;
	}
	rc = transition_failure(out, issue, tid, msg);
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
	json_t *p = link_req_payload(l);
	if (p && packjson_set_str(p, "error", error)) {
		json_decref(p);
		p = NULL;
	}
	return packjson_result(out, "LinkFailure", p);
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
	const char *id = "", *inward = "", *outward = "", *type = "";
	json_t *in = NULL;
	int rc;

	/* as Go did, the members read before an error are kept */
	rc = packjson_object(&in, input, len, err, errlen) ||
	     packjson_str(in, "linkId", NULL, &id, err, errlen) ||
	     packjson_str(in, "inwardIssue", NULL, &inward, err, errlen) ||
	     packjson_str(in, "outwardIssue", NULL, &outward, err, errlen) ||
	     packjson_str(in, "linkType", NULL, &type, err, errlen);
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

#define LINK_COMMENT "Link related issues!"

static int issue_create_link(const char *input, size_t len, struct flyte_result *out, void *payload)
{
	struct jira *j = payload;
	struct httpc_response r;
	struct link_req l;
	json_t *body = NULL;
	char err[ERR_LEN], msg[MSG_LEN];
	int rc;

	httpc_response_init(&r);
	if ((rc = link_input(input, len, &l, err, sizeof(err))) == -2)
		return flyte_result_fatal(out, "out of memory");
	if (rc) {
		rc = link_failure(out, &l, err);
		goto done;
	}
	if (!j->http) {
		rc = link_failure(out, &l, j->error);
		goto done;
	}
	body = json_pack("{s:o,s:o,s:o,s:o}", "type", named("name", l.type), "inwardIssue", named("key", l.inward),
			 "outwardIssue", named("key", l.outward), "comment", named("body", LINK_COMMENT));
	if (call(j, "POST", "/rest/api/2/issueLink", body, 0, &r, err, sizeof(err))) {
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

static int issue_get_link(const char *input, size_t len, struct flyte_result *out, void *payload)
{
	struct jira *j = payload;
	struct httpc_response r;
	struct link_req l;
	json_t *ans = NULL;
	char err[ERR_LEN], msg[MSG_LEN], *path = NULL;
	int rc;

	httpc_response_init(&r);
	if ((rc = link_input(input, len, &l, err, sizeof(err))) == -2)
		return flyte_result_fatal(out, "out of memory");
	if (rc) {
		rc = link_failure(out, &l, err);
		goto done;
	}
	if (!j->http || !*l.link_id) {
		rc = link_failure(out, &l, !j->http ? j->error : "linkId is missing");
		goto done;
	}
	path = path_of("/rest/api/2/issueLink/%s", l.link_id);
	if (call(j, "GET", path, NULL, HTTPC_IDEMPOTENT, &r, err, sizeof(err))) {
		rc = link_failure(out, &l, err);
	} else if (r.status < 200 || r.status > 208) {
		link_status_message(msg, sizeof(msg), r.status, l.link_id);
		rc = link_failure(out, &l, msg);
	} else if (answer_object(&r, &ans, err, sizeof(err))) {
		rc = link_failure(out, &l, err);
	} else {
		rc = packjson_result(out, "Link", jira_link_payload(ans));
	}
done:
	httpc_response_release(&r);
	json_decref(ans);
	link_release(&l);
	free(path);
	return rc;
}

static int issue_delete_link(const char *input, size_t len, struct flyte_result *out, void *payload)
{
	struct jira *j = payload;
	struct httpc_response r;
	struct link_req l;
	char err[ERR_LEN], msg[MSG_LEN], *path = NULL;
	int rc;

	httpc_response_init(&r);
	if ((rc = link_input(input, len, &l, err, sizeof(err))) == -2)
		return flyte_result_fatal(out, "out of memory");
	if (rc) {
		rc = link_failure(out, &l, err);
		goto done;
	}
	if (!j->http || !*l.link_id) {
		rc = link_failure(out, &l, !j->http ? j->error : "linkId is missing");
		goto done;
	}
	path = path_of("/rest/api/2/issueLink/%s", l.link_id);
	if (call(j, "DELETE", path, NULL, HTTPC_IDEMPOTENT, &r, err, sizeof(err))) {
		rc = link_failure(out, &l, err);
	} else if (r.status < 200 || r.status > 208) {
		link_status_message(msg, sizeof(msg), r.status, l.link_id);
		rc = link_failure(out, &l, msg);
	} else {
		rc = packjson_result(out, "Link", link_req_payload(&l));
	}
done:
	httpc_response_release(&r);
	link_release(&l);
	free(path);
	return rc;
}

/* ------------------------------------------------------------- table */

static const char *const info_events[] = { "Info", "InfoFailure" };
static const char *const create_events[] = { "CreateIssue", "CreateIssueFailure" };
static const char *const inc_events[] = { "CreateIncIssue", "CreateIncIssueFailure" };
static const char *const comment_events[] = { "Comment", "CommentFailure" };
static const char *const search_events[] = { "SearchSuccess", "SearchFailure" };
static const char *const assign_events[] = { "Assign", "AssignFailure" };
static const char *const transitions_events[] = { "GetTransitions", "GetTransitionsFailure" };
static const char *const transition_events[] = { "Transition", "TransitionFailure" };
static const char *const link_events[] = { "Link", "LinkFailure" };

const struct flyte_command_def jira_commands[] = {
	{ "IssueInfo", info_events, 2, issue_info, NULL, NULL },
	{ "CreateIssue", create_events, 2, create_issue, NULL, NULL },
	{ "CreateIncIssue", inc_events, 2, create_inc_issue, NULL, NULL },
	{ "CommentIssue", comment_events, 2, comment_issue, NULL, NULL },
	{ "SearchIssues", search_events, 2, search_issues, NULL, NULL },
	{ "IssueAssign", assign_events, 2, issue_assign, NULL, NULL },
	{ "GetTransitions", transitions_events, 2, get_transitions, NULL, NULL },
	{ "Transition", transition_events, 2, transition, NULL, NULL },
	{ "IssueCreateLink", link_events, 2, issue_create_link, NULL, NULL },
	{ "IssueGetLink", link_events, 2, issue_get_link, NULL, NULL },
	{ "IssueDeleteLink", link_events, 2, issue_delete_link, NULL, NULL },
};
const size_t jira_n_commands = FL_ARRAY_LEN(jira_commands);
