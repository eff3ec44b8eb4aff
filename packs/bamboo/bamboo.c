/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bamboo.c - the Bamboo pack's handlers (see bamboo.h and
 * docs/packs/bamboo.md).
 *
 * Calls go to Bamboo's REST API (/rest/api/latest/...) as JSON.  With Basic
 * authentication every request carries os_authType=basic, as Bamboo's REST
 * documentation requires; with a personal access token it is a bearer
 * token.  Failures of any kind give the command's failure event; an input
 * that cannot be decoded gives FATAL, as the Go pack did.
 */
#include "fl-common.h"

#include "bamboo.h"
#include "httpc.h"
#include "packjson.h"

#define MSG_LEN 2048 /* room for a description (ERR_LEN) and the input values */
#define ERR_LEN 1024

static const char *sv(const json_t *o, const char *k)
{
	const json_t *v = json_object_get(o, k);
	return json_is_string(v) ? json_string_value(v) : "";
}

static const char *getenv_ne(const char *name)
{
	const char *v = getenv(name);
	return v && *v ? v : NULL;
}

/* ------------------------------------------------------------ config */

int bamboo_from_env(struct bamboo *b, flyte_log_fn log_fn, enum flyte_log_level level, char *err, size_t errlen)
{
	struct httpc_options o;
	const char *host = getenv_ne("BAMBOO_HOST"), *user = getenv_ne("BAMBOO_USER");
	const char *pass = getenv_ne("BAMBOO_PASS"), *token = getenv_ne("BAMBOO_TOKEN");

	memset(b, 0, sizeof(*b));
	if (!pass)
		pass = getenv_ne("BAMBOO_PASSWORD"); /* the name the Go pack's README used */
	httpc_options_init(&o);
	o.name = "Bamboo";
	o.timeout_ms = 60000; /* the Go pack's client time-out */
	o.log_fn = log_fn;
	o.log_level = level;
	if (httpc_options_from_env(&o, "BAMBOO", 0, err, errlen))
		return -1;
	if (!host) {
		snprintf(b->error, sizeof(b->error), "BAMBOO_HOST is not set");
		return 0;
	}
	o.base_url = host;
	if (token) {
		o.auth = HTTPC_AUTH_BEARER;
		o.token = token;
	} else if (user && pass) {
		o.auth = HTTPC_AUTH_BASIC;
		o.user = user;
		o.password = pass;
		b->basic = true;
	} else {
		snprintf(b->error, sizeof(b->error), "%s is not set",
			 user ? "BAMBOO_PASS" : "BAMBOO_USER (or BAMBOO_TOKEN)");
		return 0;
	}
	return httpc_new(&b->http, &o, err, errlen) ? -1 : 0;
}

void bamboo_release(struct bamboo *b)
{
	if (!b)
		return;
	httpc_free(b->http);
	memset(b, 0, sizeof(*b));
}

/* ------------------------------------------------------------ helpers */

/*
 * Send method path?query (query: fl_buf being built, may be NULL) with an
 * optional JSON body.  Returns 0 when Bamboo answered, -1 with a
 * description in msg otherwise.
 */
static int call(struct bamboo *b, const char *method, const char *path, struct fl_buf *query, json_t *body,
		unsigned flags, struct httpc_response *r, char *msg, size_t len)
{
	struct fl_buf q = FL_BUF_INIT(0);
	struct httpc_request req = { .method = method, .path = path, .json = body, .flags = flags };
	int rc;

	if (query)
		fl_buf_add(&q, query->ptr, query->len);
	if (b->basic)
		httpc_query_add(&q, "os_authType", "basic");
	if (fl_buf_failed(&q)) {
		snprintf(msg, len, "out of memory");
		httpc_response_init(r);
		return -1;
	}
	req.query = q.ptr;
	rc = httpc_send(b->http, &req, r);
	fl_buf_release(&q);
	if (rc == FLYTE_OK)
		return 0;
	httpc_describe(msg, len, b->http, r);
	return -1;
}

/* " : <Bamboo's message>" of an error answer, or "". */
static const char *detail(struct bamboo *b, const struct httpc_response *r, char *buf, size_t len)
{
	char m[400];

	buf[0] = '\0';
	if (httpc_answer_message(m, sizeof(m), r->body, r->body_len, r->content_type)) {
		snprintf(buf, len, " : %s", m);
		httpc_redact(b->http, buf);
	}
	return buf;
}

/* Decode the input object and its string members; FATAL on failure. */
static int decode(const char *input, size_t len, json_t **in, const char *command, struct flyte_result *out,
		  const char *k1, const char **v1, const char *k2, const char **v2)
{
	char err[512];

	*v1 = "";
	if (v2)
		*v2 = "";
	if (packjson_object(in, input, len, err, sizeof(err)) || packjson_str(*in, k1, NULL, v1, err, sizeof(err)) ||
	    (k2 && packjson_str(*in, k2, NULL, v2, err, sizeof(err))))
		return flyte_result_fatal(out, "Input is invalid: could not marshal %s command input: %s", command, err);
	return 0;
}

/* ------------------------------------------------------ AddLabel etc. */

static int label_result(struct flyte_result *out, const char *event, const char *label, const char *build,
			const char *error)
{
	json_t *p = packjson_strs("label", label, "build", build, NULL);
	if (p && error && packjson_set_str(p, "error", error)) {
		json_decref(p);
		p = NULL;
	}
	return packjson_result(out, event, p);
}

static int add_label(const char *input, size_t len, struct flyte_result *out, void *payload)
{
	struct bamboo *b = payload;
	struct httpc_response r;
	json_t *in = NULL, *body = NULL;
	const char *build, *label;
	char err[ERR_LEN], msg[MSG_LEN], more[512], *path = NULL;
	int rc;

	httpc_response_init(&r);
	if ((rc = decode(input, len, &in, "AddLabel", out, "label", &label, "build", &build)))
		goto done;
	if (!b->http || !*build) {
		snprintf(msg, sizeof(msg), "Fail: %s", !b->http ? b->error : "build is missing");
		rc = label_result(out, "FailedToAddLabel", label, build, msg);
		goto done;
	}
	httpc_pathf(&path, "/rest/api/latest/result/%s/label", build);
	body = packjson_strs("name", label, NULL);
	/* adding a label that is there already changes nothing: safe to retry */
	if (call(b, "POST", path, NULL, body, HTTPC_IDEMPOTENT, &r, err, sizeof(err)))
		snprintf(msg, sizeof(msg), "Fail: Could not apply label: POST failed: path=%s : label=%s : err=%s", path,
			 label, err);
	else if (r.status != 204)
		snprintf(msg, sizeof(msg), "Fail: Could not apply label: POST failed: path=%s : label=%s : statusCode=%ld%s",
			 path, label, r.status, detail(b, &r, more, sizeof(more)));
	else {
		rc = label_result(out, "AddedLabel", label, build, NULL);
		goto done;
	}
	rc = label_result(out, "FailedToAddLabel", label, build, msg);
done:
	httpc_response_release(&r);
	json_decref(in);
	json_decref(body);
	free(path);
	return rc;
}

static int delete_label(const char *input, size_t len, struct flyte_result *out, void *payload)
{
	struct bamboo *b = payload;
	struct httpc_response r;
	json_t *in = NULL;
	const char *build, *label;
	char err[ERR_LEN], msg[MSG_LEN], more[512], *path = NULL;
	int rc;

	httpc_response_init(&r);
	if ((rc = decode(input, len, &in, "DeleteLabel", out, "label", &label, "build", &build)))
		goto done;
	if (!b->http || !*build || !*label) {
		snprintf(msg, sizeof(msg), "Fail: %s",
			 !b->http ? b->error : !*build ? "build is missing" : "label is missing");
		rc = label_result(out, "FailedToDeleteLabel", label, build, msg);
		goto done;
	}
	httpc_pathf(&path, "/rest/api/latest/result/%s/label/%s", build, label);
	if (call(b, "DELETE", path, NULL, NULL, HTTPC_IDEMPOTENT, &r, err, sizeof(err)))
		snprintf(msg, sizeof(msg), "Fail: could not delete label: DELETE failed: path=%s : label=%s : err=%s", path,
			 label, err);
	else if (r.status != 204)
		snprintf(msg, sizeof(msg),
			 "Fail: could not delete label: DELETE failed: path=%s : label=%s : statusCode=%ld%s", path, label,
			 r.status, detail(b, &r, more, sizeof(more)));
	else {
		rc = label_result(out, "DeletedLabel", label, build, NULL);
		goto done;
	}
	rc = label_result(out, "FailedToDeleteLabel", label, build, msg);
done:
	httpc_response_release(&r);
	json_decref(in);
	free(path);
	return rc;
}

/* --------------------------------------------------------- StartStage */

static void sleep_sec(long long s)
{
	struct timespec ts = { (time_t)s, 0 };
	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static int stage_result(struct flyte_result *out, const char *event, const char *build, const char *stage,
			json_t *vars, const char *error)
{
	json_t *p = json_pack("{s:o,s:o,s:O}", "build", packjson_string(build), "stage", packjson_string(stage), "vars",
			      vars ? vars : json_null());
	if (p && error && packjson_set_str(p, "error", error)) {
		json_decref(p);
		p = NULL;
	}
	return packjson_result(out, event, p);
}

static int start_stage(const char *input, size_t len, struct flyte_result *out, void *payload)
{
	struct bamboo *b = payload;
	struct httpc_response r;
	struct fl_buf q = FL_BUF_INIT(0);
	json_t *in = NULL, *vars;
	const char *build = "", *stage = "", *k;
	long long max_retry = 0, delay = 0;
	char err[ERR_LEN], msg[MSG_LEN], more[512], *path = NULL;
	json_t *v;
	int rc, count = 0;

	httpc_response_init(&r);
	if (packjson_object(&in, input, len, err, sizeof(err)) ||
	    packjson_str(in, "build", NULL, &build, err, sizeof(err)) ||
	    packjson_str(in, "stage", NULL, &stage, err, sizeof(err)) ||
	    packjson_int(in, "maxRetry", 0, &max_retry, err, sizeof(err)) ||
	    packjson_int(in, "delay", 0, &delay, err, sizeof(err))) {
		rc = flyte_result_fatal(out, "input is invalid: %s", err);
		goto done;
	}
	vars = json_object_get(in, "vars");
	if (vars && json_is_null(vars))
		vars = NULL;
	if (vars && !json_is_object(vars)) {
		rc = flyte_result_fatal(out, "input is invalid: json: cannot unmarshal %s into Go struct field .vars of "
					     "type map[string]string", packjson_go_type(vars));
		goto done;
	}
	json_object_foreach(vars, k, v) {
		if (!json_is_string(v)) {
			rc = flyte_result_fatal(out, "input is invalid: json: cannot unmarshal %s into Go struct field "
						     ".vars of type string", packjson_go_type(v));
			goto done;
		}
	}
	if (max_retry < 0 || max_retry > BAMBOO_MAX_RETRY || delay < 0 || delay > BAMBOO_MAX_DELAY_SEC) {
		rc = flyte_result_fatal(out, "input is invalid: maxRetry must be 0..%d and delay 0..%d seconds",
					BAMBOO_MAX_RETRY, BAMBOO_MAX_DELAY_SEC);
		goto done;
	}
	if (!b->http || !*build) {
		rc = stage_result(out, "FailedToStartStage", build, stage, vars, !b->http ? b->error : "build is missing");
		goto done;
	}
	httpc_pathf(&path, "/rest/api/latest/queue/%s", build);
	httpc_query_add(&q, "stage", stage);
	httpc_query_add(&q, "executeAllStages", "false");
	json_object_foreach(vars, k, v) {
		struct fl_buf name = FL_BUF_INIT(0);
		fl_buf_addf(&name, "bamboo.variable.%s", k);
		httpc_query_add(&q, name.ptr, json_string_value(v));
		fl_buf_release(&name);
	}
	for (;;) {
		httpc_response_release(&r);
		if (call(b, "PUT", path, &q, NULL, 0, &r, err, sizeof(err))) {
			snprintf(msg, sizeof(msg), "failed to initiate stage: %s err: %s", path, err);
			break;
		}
		if (r.status >= 200 && r.status <= 299) {
			rc = stage_result(out, "StartStageSuccess", build, stage, vars, NULL);
			goto done;
		}
		if (r.status != 400) {
			snprintf(msg, sizeof(msg), "bamboo is returning a %ld error. Build: %s,stage: %s%s", r.status, build,
				 stage, detail(b, &r, more, sizeof(more)));
			break;
		}
		/* 400: the stage is busy (running or queued); try again later */
		if (++count >= max_retry) {
			snprintf(msg, sizeof(msg), "failed to progress reached maximum number of retryCount: [%lld]%s",
				 max_retry, detail(b, &r, more, sizeof(more)));
			break;
		}
		httpc_logf(b->http, FLYTE_LOG_INFO, "Bamboo: stage '%s' of build '%s' is busy; retry %d of %lld in %lld s",
			   stage, build, count, max_retry - 1, delay);
		sleep_sec(delay);
	}
	rc = stage_result(out, "FailedToStartStage", build, stage, vars, msg);
done:
	httpc_response_release(&r);
	fl_buf_release(&q);
	json_decref(in);
	free(path);
	return rc;
}

/* --------------------------------------------------------- TriggerPlan */

static int trigger_plan(const char *input, size_t len, struct flyte_result *out, void *payload)
{
	struct bamboo *b = payload;
	struct httpc_response r;
	struct fl_buf q = FL_BUF_INIT(0);
	json_t *in = NULL, *ans = NULL, *p;
	const char *plan;
	char err[ERR_LEN], msg[MSG_LEN], more[512], *path = NULL;
	int rc;

	httpc_response_init(&r);
	if ((rc = decode(input, len, &in, "TriggerPlan", out, "plan", &plan, NULL, NULL)))
		goto done;
	if (!b->http || !*plan) {
		snprintf(msg, sizeof(msg), "Fail: %s", !b->http ? b->error : "plan is missing");
		rc = packjson_result(out, "FailedToTriggerPlan", packjson_strs("plan", plan, "error", msg, NULL));
		goto done;
	}
	/* Bamboo's "queue a build" call; the Go pack sent PUT .../queue/{plan}&executeAllStages=false */
	httpc_pathf(&path, "/rest/api/latest/queue/%s", plan);
	httpc_query_add(&q, "executeAllStages", "false");
	if (call(b, "POST", path, &q, NULL, 0, &r, err, sizeof(err))) {
		snprintf(msg, sizeof(msg), "Fail: Could not start Plan: POST failed: path=%s plan=%s err=%s", path, plan, err);
	} else if (r.status != 200) {
		snprintf(msg, sizeof(msg), "Fail: Could not start Plan: POST failed: path=%s plan=%s code=%ld%s", path, plan,
			 r.status, detail(b, &r, more, sizeof(more)));
	} else {
		p = packjson_strs("plan", plan, NULL);
		/* what was queued, when the answer says so (additions) */
		if (p && !httpc_answer_json(&ans, r.body, r.body_len, err, sizeof(err)) && json_is_object(ans)) {
			if (*sv(ans, "buildResultKey"))
				packjson_set_str(p, "buildResultKey", sv(ans, "buildResultKey"));
			if (json_is_integer(json_object_get(ans, "buildNumber")))
				json_object_set(p, "buildNumber", json_object_get(ans, "buildNumber"));
		}
		rc = packjson_result(out, "PlanTriggered", p);
		goto done;
	}
	rc = packjson_result(out, "FailedToTriggerPlan", packjson_strs("plan", plan, "error", msg, NULL));
done:
	httpc_response_release(&r);
	fl_buf_release(&q);
	json_decref(in);
	json_decref(ans);
	free(path);
	return rc;
}

/* ---------------------------------------------------------- EnablePlan */

static int enable_plan(const char *input, size_t len, struct flyte_result *out, void *payload)
{
	struct bamboo *b = payload;
	struct httpc_response r;
	json_t *in = NULL;
	const char *plan;
	char err[ERR_LEN], msg[MSG_LEN], more[512], *path = NULL;
	int rc;

	httpc_response_init(&r);
	if ((rc = decode(input, len, &in, "EnablePlan", out, "plan", &plan, NULL, NULL)))
		goto done;
	if (!b->http || !*plan) {
		snprintf(msg, sizeof(msg), "Fail: %s", !b->http ? b->error : "plan is missing");
		rc = packjson_result(out, "FailedToEnablePlan", packjson_strs("plan", plan, "error", msg, NULL));
		goto done;
	}
	httpc_pathf(&path, "/rest/api/latest/plan/%s/enable", plan);
	if (call(b, "POST", path, NULL, NULL, HTTPC_IDEMPOTENT, &r, err, sizeof(err)))
		snprintf(msg, sizeof(msg), "Fail: could not enable plan: POST failed: path=%s  err=%s", path, err);
	else if (r.status != 204)
		snprintf(msg, sizeof(msg), "Fail: could not enable plan: POST failed: path=%s : statusCode=%ld%s", path,
			 r.status, detail(b, &r, more, sizeof(more)));
	else {
		rc = packjson_result(out, "PlanEnabled", packjson_strs("plan", plan, NULL));
		goto done;
	}
	rc = packjson_result(out, "FailedToEnablePlan", packjson_strs("plan", plan, "error", msg, NULL));
done:
	httpc_response_release(&r);
	json_decref(in);
	free(path);
	return rc;
}

/* ---------------------------------------------------------- AddComment */

static int comment_result(struct flyte_result *out, const char *event, const char *comment, const char *build,
			  const char *error)
{
	json_t *p = packjson_strs("comment", comment, "build", build, NULL);
	if (p && error && packjson_set_str(p, "error", error)) {
		json_decref(p);
		p = NULL;
	}
	return packjson_result(out, event, p);
}

static int add_comment(const char *input, size_t len, struct flyte_result *out, void *payload)
{
	struct bamboo *b = payload;
	struct httpc_response r;
	json_t *in = NULL, *body = NULL;
	const char *build, *comment;
	char err[ERR_LEN], msg[MSG_LEN], more[512], *path = NULL;
	int rc;

	httpc_response_init(&r);
	if ((rc = decode(input, len, &in, "AddComment", out, "comment", &comment, "build", &build)))
		goto done;
	if (!b->http || !*build) {
		snprintf(msg, sizeof(msg), "Fail: %s", !b->http ? b->error : "build is missing");
		rc = comment_result(out, "FailedToAddComment", comment, build, msg);
		goto done;
	}
	httpc_pathf(&path, "/rest/api/latest/result/%s/comment", build);
	body = packjson_strs("content", comment, NULL);
	if (call(b, "POST", path, NULL, body, 0, &r, err, sizeof(err)))
		snprintf(msg, sizeof(msg), "Fail: could not apply Comment: POST failed: path=%s : comment=%s : err=%s", path,
			 comment, err);
	else if (r.status != 204)
		snprintf(msg, sizeof(msg),
			 "Fail: could not apply Comment: POST failed: path=%s : comment=%s : statusCode=%ld%s", path,
			 comment, r.status, detail(b, &r, more, sizeof(more)));
	else {
		rc = comment_result(out, "CommentAdded", comment, build, NULL);
		goto done;
	}
	rc = comment_result(out, "FailedToAddComment", comment, build, msg);
done:
	httpc_response_release(&r);
	json_decref(in);
	json_decref(body);
	free(path);
	return rc;
}

/* --------------------------------------------------- GetLifecycleState */

json_t *bamboo_lifecycle_payload(const json_t *result, const char *build, const char *stage)
{
	const json_t *stages = json_object_get(json_object_get(result, "stages"), "stage"), *s, *found = NULL;
	size_t i;

	json_array_foreach(stages, i, s) {
		if (!strcmp(sv(s, "name"), stage)) {
			found = s;
			break;
		}
	}
	return packjson_strs("stage", stage, "lifecycle", sv(found, "lifeCycleState"), "state", sv(found, "state"),
			     "build", build, NULL);
}

static int lifecycle_failure(struct flyte_result *out, const char *stage, const char *build, const char *error)
{
	return packjson_result(out, "GetLifeCycleFailed",
			       packjson_strs("stage", stage, "build", build, "error", error, NULL));
}

static int get_lifecycle(const char *input, size_t len, struct flyte_result *out, void *payload)
{
	struct bamboo *b = payload;
	struct httpc_response r;
	struct fl_buf q = FL_BUF_INIT(0);
	json_t *in = NULL, *ans = NULL;
	const char *build, *stage;
	char err[ERR_LEN], msg[MSG_LEN], more[512], *path = NULL;
	int rc;

	httpc_response_init(&r);
	if ((rc = decode(input, len, &in, "GetStage", out, "build", &build, "stage", &stage)))
		goto done;
	if (!b->http || !*build) {
		rc = lifecycle_failure(out, stage, build, !b->http ? b->error : "build is missing");
		goto done;
	}
	httpc_pathf(&path, "/rest/api/latest/result/%s.json", build);
	httpc_query_add(&q, "expand", "stages");
	if (call(b, "GET", path, &q, NULL, HTTPC_IDEMPOTENT, &r, err, sizeof(err))) {
		snprintf(msg, sizeof(msg), "could not get life cycle of build: GET failed: path=%s : build=%s : err=%s", path,
			 build, err);
	} else if (r.status != 200) {
		snprintf(msg, sizeof(msg), "could not get life cycle of build: GET failed: path=%s : build=%s : statusCode=%ld%s",
			 path, build, r.status, detail(b, &r, more, sizeof(more)));
	} else if (httpc_answer_json(&ans, r.body, r.body_len, err, sizeof(err)) || !json_is_object(ans)) {
		/* the Go pack exited here (logger.Fatalf) */
		snprintf(msg, sizeof(msg), "could not get life cycle of build: build=%s : %s", build,
			 ans ? "unexpected answer: not a JSON object" : err);
	} else {
		rc = packjson_result(out, "GetLifeCycleState", bamboo_lifecycle_payload(ans, build, stage));
		goto done;
	}
	rc = lifecycle_failure(out, stage, build, msg);
done:
	httpc_response_release(&r);
	fl_buf_release(&q);
	json_decref(in);
	json_decref(ans);
	free(path);
	return rc;
}

/* ------------------------------------------------------------- table */

static const char *const add_label_events[] = { "AddedLabel", "FailedToAddLabel" };
static const char *const delete_label_events[] = { "DeletedLabel", "FailedToDeleteLabel" };
static const char *const stage_events[] = { "StartStageSuccess", "FailedToStartStage" };
static const char *const trigger_events[] = { "PlanTriggered", "FailedToTriggerPlan" };
static const char *const enable_events[] = { "PlanEnabled", "FailedToEnablePlan" };
static const char *const comment_events[] = { "CommentAdded", "FailedToAddComment" };
static const char *const lifecycle_events[] = { "GetLifeCycleState", "GetLifeCycleFailed" };

const struct flyte_command_def bamboo_commands[] = {
	{ "AddLabel", add_label_events, 2, add_label, NULL, NULL },
	{ "DeleteLabel", delete_label_events, 2, delete_label, NULL, NULL },
	{ "StartStage", stage_events, 2, start_stage, NULL, NULL },
	{ "TriggerPlan", trigger_events, 2, trigger_plan, NULL, NULL },
	{ "EnablePlan", enable_events, 2, enable_plan, NULL, NULL },
	{ "AddComment", comment_events, 2, add_comment, NULL, NULL },
	{ "GetLifecycleState", lifecycle_events, 2, get_lifecycle, NULL, NULL },
};
const size_t bamboo_n_commands = FL_ARRAY_LEN(bamboo_commands);
