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
#include "packenv.h"
#include "packjson.h"
#include "packutil.h"
#include "restpack.h"

/* ------------------------------------------------------------ config */

int bamboo_from_env(struct restpack *b, flyte_log_fn log_fn, enum flyte_log_level level, char *err, size_t errlen)
{
	struct httpc_options o;
	const char *pass = packenv_get("BAMBOO_PASS"), *missing;

	if (!pass)
		pass = packenv_get("BAMBOO_PASSWORD"); /* the name the Go pack's README used */
	restpack_options_init(&o, "Bamboo", log_fn, level);
	o.timeout_ms = 60000; /* the Go pack's client time-out */
	missing = restpack_auth(&o, packenv_get("BAMBOO_TOKEN"), packenv_get("BAMBOO_USER"), pass,
				"BAMBOO_USER (or BAMBOO_TOKEN)", "BAMBOO_PASS");
	if (o.auth == HTTPC_AUTH_BASIC)
		o.query = "os_authType=basic"; /* with every request, as Bamboo's REST documentation requires */
	return restpack_new(b, &o, "BAMBOO", missing, err, errlen);
}

/* ------------------------------------------------------------ helpers */

/* FATAL for an input that cannot be decoded, as the Go pack answered. */
static int invalid_input(struct flyte_result *out, const char *command, const char *err)
{
	return flyte_result_fatal(out, "Input is invalid: could not marshal %s command input: %s", command, err);
}

/* "Fail: <the variable that is not set>" or "Fail: <member> is missing" when one is needed. */
static bool unusable(const struct restpack *b, const char *member, const char *value, char *msg, size_t len)
{
	if (b->http && *value)
		return false;
	snprintf(msg, len, "Fail: %s%s", b->http ? member : b->error, b->http ? " is missing" : "");
	return true;
}

/* ----------------------------------------- AddLabel, DeleteLabel, AddComment */

/* A command that sends one request about a value (a label, a comment) of a build. */
struct build_command {
	const char *name;        /* for input errors */
	const char *member;      /* the value's member in the input and the payloads */
	const char *ok, *fail;   /* events */
	const char *method;
	const char *resource;    /* the path below /result/{build}/ */
	bool value_in_path;      /* .../{resource}/{value} */
	const char *body_member; /* the JSON body is {body_member: value}; NULL = none */
	unsigned flags;
	const char *what;        /* the Go pack's failure message: "Fail: <what>: <METHOD> failed: ..." */
};

static int build_result(struct flyte_result *out, const char *event, const struct build_command *c, const char *value,
			const char *build, const char *error)
{
	return packjson_result(out, event, packjson_with_error(packjson_strs(c->member, value, "build", build, NULL), error));
}

static int run_build_command(struct restpack *b, const struct build_command *c, const char *input, size_t len,
			     struct flyte_result *out)
{
	struct httpc_response r;
	json_t *in = NULL, *body = NULL;
	const char *build, *value;
	char err[RESTPACK_WHY_LEN], msg[RESTPACK_MSG_LEN], *path = NULL;
	int rc;

	httpc_response_init(&r);
	if (packjson_input(&in, input, len, err, sizeof(err), c->member, &value, "build", &build, NULL)) {
		rc = invalid_input(out, c->name, err);
		goto done;
	}
	if (unusable(b, "build", build, msg, sizeof(msg)) ||
	    (c->value_in_path && unusable(b, c->member, value, msg, sizeof(msg)))) {
		rc = build_result(out, c->fail, c, value, build, msg);
		goto done;
	}
	if (c->value_in_path)
		httpc_pathf(&path, "/rest/api/latest/result/%s/%s/%s", build, c->resource, value);
	else
		httpc_pathf(&path, "/rest/api/latest/result/%s/%s", build, c->resource);
	body = c->body_member ? packjson_strs(c->body_member, value, NULL) : NULL;
	if (!restpack_exchange(b->http,
			       &(struct httpc_request){ .method = c->method, .path = path, .json = body, .flags = c->flags },
			       204, &r, NULL, NULL, NULL, err, sizeof(err))) {
		rc = build_result(out, c->ok, c, value, build, NULL);
		goto done;
	}
	snprintf(msg, sizeof(msg), "Fail: %s: %s failed: path=%s : %s=%s : %s", c->what, c->method, path, c->member,
		 value, err);
	rc = build_result(out, c->fail, c, value, build, msg);
done:
	httpc_response_release(&r);
	json_decref(in);
	json_decref(body);
	free(path);
	return rc;
}

/* adding a label that is there already, or deleting one, changes nothing: safe to retry */
static const struct build_command add_label_cmd = { "AddLabel", "label", "AddedLabel", "FailedToAddLabel", "POST",
						    "label", false, "name", HTTPC_IDEMPOTENT, "Could not apply label" };
static const struct build_command delete_label_cmd = { "DeleteLabel", "label", "DeletedLabel", "FailedToDeleteLabel",
						       "DELETE", "label", true, NULL, HTTPC_IDEMPOTENT,
						       "could not delete label" };
static const struct build_command add_comment_cmd = { "AddComment", "comment", "CommentAdded", "FailedToAddComment",
						      "POST", "comment", false, "content", 0,
						      "could not apply Comment" };

static int add_label(const char *input, size_t len, struct flyte_result *out, void *payload)
{
	return run_build_command(payload, &add_label_cmd, input, len, out);
}

static int delete_label(const char *input, size_t len, struct flyte_result *out, void *payload)
{
	return run_build_command(payload, &delete_label_cmd, input, len, out);
}

static int add_comment(const char *input, size_t len, struct flyte_result *out, void *payload)
{
	return run_build_command(payload, &add_comment_cmd, input, len, out);
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
	return packjson_result(out, event,
			       packjson_with_error(json_pack("{s:o,s:o,s:O}", "build", packjson_string(build), "stage",
							     packjson_string(stage), "vars", vars ? vars : json_null()),
						   error));
}

static int start_stage(const char *input, size_t len, struct flyte_result *out, void *payload)
{
	struct restpack *b = payload;
	struct httpc_response r;
	struct fl_buf q = FL_BUF_INIT(0);
	json_t *in = NULL, *vars;
	const char *build, *stage, *k;
	long long max_retry = 0, delay = 0;
	char err[RESTPACK_WHY_LEN], msg[RESTPACK_MSG_LEN], more[512], *path = NULL;
	json_t *v;
	int rc, count = 0;

	httpc_response_init(&r);
	if (packjson_input(&in, input, len, err, sizeof(err), "build", &build, "stage", &stage, NULL) ||
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
		if (fl_buf_failed(&q)) {
			snprintf(msg, sizeof(msg), "failed to initiate stage: %s err: out of memory", path);
			break;
		}
		if (restpack_call(b->http, &(struct httpc_request){ .method = "PUT", .path = path, .query = q.ptr }, &r, err,
				  sizeof(err))) {
			snprintf(msg, sizeof(msg), "failed to initiate stage: %s err: %s", path, err);
			break;
		}
		if (r.status >= 200 && r.status <= 299) {
			rc = stage_result(out, "StartStageSuccess", build, stage, vars, NULL);
			goto done;
		}
		if (r.status != 400) {
			snprintf(msg, sizeof(msg), "bamboo is returning a %ld error. Build: %s,stage: %s%s", r.status, build,
				 stage, restpack_detail(b->http, &r, more, sizeof(more)));
			break;
		}
		/* 400: the stage is busy (running or queued); try again later */
		if (++count >= max_retry) {
			snprintf(msg, sizeof(msg), "failed to progress reached maximum number of retryCount: [%lld]%s",
				 max_retry, restpack_detail(b->http, &r, more, sizeof(more)));
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

/* ------------------------------------------------ TriggerPlan, EnablePlan */

static int plan_result(struct flyte_result *out, const char *event, const char *plan, const char *error)
{
	return packjson_result(out, event, packjson_strs("plan", plan, "error", error, NULL));
}

/* Decode the input of a plan command.  False when the command is answered already (rc). */
static bool plan_input(struct restpack *b, const char *command, const char *fail, const char *input, size_t len,
		       json_t **in, const char **plan, struct flyte_result *out, int *rc)
{
	char msg[RESTPACK_MSG_LEN];

	if (packjson_input(in, input, len, msg, sizeof(msg), "plan", plan, NULL))
		*rc = invalid_input(out, command, msg);
	else if (unusable(b, "plan", *plan, msg, sizeof(msg)))
		*rc = plan_result(out, fail, *plan, msg);
	else
		return true;
	return false;
}

static int trigger_plan(const char *input, size_t len, struct flyte_result *out, void *payload)
{
	struct restpack *b = payload;
	struct httpc_response r;
	struct fl_buf q = FL_BUF_INIT(0);
	json_t *in = NULL, *ans = NULL, *p;
	const char *plan;
	char err[RESTPACK_WHY_LEN], msg[RESTPACK_MSG_LEN], *path = NULL;
	int rc;

	httpc_response_init(&r);
	if (!plan_input(b, "TriggerPlan", "FailedToTriggerPlan", input, len, &in, &plan, out, &rc))
		goto done;
	/* Bamboo's "queue a build" call; the Go pack sent PUT .../queue/{plan}&executeAllStages=false */
	httpc_pathf(&path, "/rest/api/latest/queue/%s", plan);
	httpc_query_add(&q, "executeAllStages", "false");
	if (fl_buf_failed(&q)) {
		rc = flyte_result_fatal(out, "out of memory");
		goto done;
	}
	if (restpack_exchange(b->http, &(struct httpc_request){ .method = "POST", .path = path, .query = q.ptr }, 200,
			      &r, NULL, "err=", "code=", err, sizeof(err))) {
		snprintf(msg, sizeof(msg), "Fail: Could not start Plan: POST failed: path=%s plan=%s %s", path, plan, err);
		rc = plan_result(out, "FailedToTriggerPlan", plan, msg);
		goto done;
	}
	p = packjson_strs("plan", plan, NULL);
	/* what was queued, when the answer says so (additions) */
	if (p && !restpack_answer_object(&r, &ans, err, sizeof(err))) {
		if (*packjson_sv(ans, "buildResultKey"))
			packjson_set_str(p, "buildResultKey", packjson_sv(ans, "buildResultKey"));
		if (json_is_integer(json_object_get(ans, "buildNumber")))
			json_object_set(p, "buildNumber", json_object_get(ans, "buildNumber"));
	}
	rc = packjson_result(out, "PlanTriggered", p);
done:
	httpc_response_release(&r);
	fl_buf_release(&q);
	json_decref(in);
	json_decref(ans);
	free(path);
	return rc;
}

static int enable_plan(const char *input, size_t len, struct flyte_result *out, void *payload)
{
	struct restpack *b = payload;
	struct httpc_response r;
	json_t *in = NULL;
	const char *plan;
	char err[RESTPACK_WHY_LEN], msg[RESTPACK_MSG_LEN], *path = NULL;
	int rc;

	httpc_response_init(&r);
	if (!plan_input(b, "EnablePlan", "FailedToEnablePlan", input, len, &in, &plan, out, &rc))
		goto done;
	httpc_pathf(&path, "/rest/api/latest/plan/%s/enable", plan);
	/* the Go pack's messages: "path=<p>  err=<e>" (two blanks), "path=<p> : statusCode=<s>" */
	if (restpack_exchange(b->http,
			      &(struct httpc_request){ .method = "POST", .path = path, .flags = HTTPC_IDEMPOTENT }, 204,
			      &r, NULL, " err=", ": statusCode=", err, sizeof(err))) {
		snprintf(msg, sizeof(msg), "Fail: could not enable plan: POST failed: path=%s %s", path, err);
		rc = plan_result(out, "FailedToEnablePlan", plan, msg);
		goto done;
	}
	rc = packjson_result(out, "PlanEnabled", packjson_strs("plan", plan, NULL));
done:
	httpc_response_release(&r);
	json_decref(in);
	free(path);
	return rc;
}

/* --------------------------------------------------- GetLifecycleState */

json_t *bamboo_lifecycle_payload(const json_t *result, const char *build, const char *stage)
{
	const json_t *stages = json_object_get(json_object_get(result, "stages"), "stage"), *s, *found = NULL;
	size_t i;

	json_array_foreach(stages, i, s) {
		if (!strcmp(packjson_sv(s, "name"), stage)) {
			found = s;
			break;
		}
	}
	return packjson_strs("stage", stage, "lifecycle", packjson_sv(found, "lifeCycleState"), "state",
			     packjson_sv(found, "state"), "build", build, NULL);
}

static int get_lifecycle(const char *input, size_t len, struct flyte_result *out, void *payload)
{
	struct restpack *b = payload;
	struct httpc_response r;
	struct fl_buf q = FL_BUF_INIT(0);
	json_t *in = NULL, *ans = NULL;
	const char *build, *stage;
	char err[RESTPACK_WHY_LEN], msg[RESTPACK_MSG_LEN], *path = NULL;
	int rc;

	httpc_response_init(&r);
	if (packjson_input(&in, input, len, err, sizeof(err), "build", &build, "stage", &stage, NULL)) {
		rc = invalid_input(out, "GetStage", err);
		goto done;
	}
	if (!b->http || !*build) {
		snprintf(msg, sizeof(msg), "%s", !b->http ? b->error : "build is missing");
		goto failed;
	}
	httpc_pathf(&path, "/rest/api/latest/result/%s.json", build);
	httpc_query_add(&q, "expand", "stages");
	if (fl_buf_failed(&q)) {
		rc = flyte_result_fatal(out, "out of memory");
		goto done;
	}
	if (restpack_exchange(b->http,
			      &(struct httpc_request){ .method = "GET", .path = path, .query = q.ptr, .flags = HTTPC_IDEMPOTENT },
			      200, &r, NULL, NULL, NULL, err, sizeof(err))) {
		snprintf(msg, sizeof(msg), "could not get life cycle of build: GET failed: path=%s : build=%s : %s", path,
			 build, err);
	} else if (restpack_answer_object(&r, &ans, err, sizeof(err))) {
		/* the Go pack exited here (logger.Fatalf) */
		snprintf(msg, sizeof(msg), "could not get life cycle of build: build=%s : %s", build, err);
	} else {
		rc = packjson_result(out, "GetLifeCycleState", bamboo_lifecycle_payload(ans, build, stage));
		goto done;
	}
failed:
	rc = packjson_result(out, "GetLifeCycleFailed", packjson_strs("stage", stage, "build", build, "error", msg, NULL));
done:
	httpc_response_release(&r);
	fl_buf_release(&q);
	json_decref(in);
	json_decref(ans);
	free(path);
	return rc;
}

/* ------------------------------------------------------------- table */

const struct flyte_command_def bamboo_commands[] = {
	PACKUTIL_COMMAND("AddLabel", add_label, "AddedLabel", "FailedToAddLabel"),
	PACKUTIL_COMMAND("DeleteLabel", delete_label, "DeletedLabel", "FailedToDeleteLabel"),
	PACKUTIL_COMMAND("StartStage", start_stage, "StartStageSuccess", "FailedToStartStage"),
	PACKUTIL_COMMAND("TriggerPlan", trigger_plan, "PlanTriggered", "FailedToTriggerPlan"),
	PACKUTIL_COMMAND("EnablePlan", enable_plan, "PlanEnabled", "FailedToEnablePlan"),
	PACKUTIL_COMMAND("AddComment", add_comment, "CommentAdded", "FailedToAddComment"),
	PACKUTIL_COMMAND("GetLifecycleState", get_lifecycle, "GetLifeCycleState", "GetLifeCycleFailed"),
};
const size_t bamboo_n_commands = FL_ARRAY_LEN(bamboo_commands);
