/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bitbucket.c - the Bitbucket pack's handler (see bitbucket.h).
 *
 * createRepo: POST {host}/rest/api/1.0/projects/{project}/repos {"name"},
 * success only on 201, the new repository's first links.self href as url.
 * The Go pack read its variables at each action and exited when one was
 * missing, and panicked on a 201 without links; here both are
 * createRepoFailure events.
 */
#include "fl-common.h"

#include "bitbucket.h"
#include "httpc.h"
#include "packjson.h"

#define MSG_LEN 2048 /* room for a description (ERR_LEN) and the input values */
#define ERR_LEN 1024

static const char *getenv_ne(const char *name)
{
	const char *v = getenv(name);
	return v && *v ? v : NULL;
}

int bitbucket_from_env(struct bitbucket *bb, flyte_log_fn log_fn, enum flyte_log_level level, char *err, size_t errlen)
{
	struct httpc_options o;
	const char *host = getenv_ne("BITBUCKET_HOST"), *user = getenv_ne("BITBUCKET_USER");
	const char *pass = getenv_ne("BITBUCKET_PASS"), *token = getenv_ne("BITBUCKET_TOKEN");

	memset(bb, 0, sizeof(*bb));
	httpc_options_init(&o);
	o.name = "Bitbucket";
	o.log_fn = log_fn;
	o.log_level = level;
	if (httpc_options_from_env(&o, "BITBUCKET", 0, err, errlen))
		return -1;
	if (!host) {
		snprintf(bb->error, sizeof(bb->error), "BITBUCKET_HOST is not set");
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
	} else {
		snprintf(bb->error, sizeof(bb->error), "%s is not set",
			 user ? "BITBUCKET_PASS" : "BITBUCKET_USER (or BITBUCKET_TOKEN)");
		return 0;
	}
	return httpc_new(&bb->http, &o, err, errlen) ? -1 : 0;
}

void bitbucket_release(struct bitbucket *bb)
{
	if (!bb)
		return;
	httpc_free(bb->http);
	memset(bb, 0, sizeof(*bb));
}

const char *bitbucket_repo_url(const json_t *repo)
{
	const json_t *self = json_object_get(json_object_get(repo, "links"), "self");
	const json_t *href = json_object_get(json_array_get(self, 0), "href");

	return json_is_string(href) && *json_string_value(href) ? json_string_value(href) : NULL;
}

static int failure(struct flyte_result *out, const char *project, const char *name, const char *error)
{
	return packjson_result(out, "createRepoFailure",
			       packjson_strs("project", project, "name", name, "error", error, NULL));
}

static int create_repo(const char *input, size_t len, struct flyte_result *out, void *payload)
{
	struct bitbucket *bb = payload;
	struct httpc_response r;
	struct httpc_request q = { .method = "POST" };
	json_t *in = NULL, *body = NULL, *ans = NULL;
	const char *project = "", *name = "", *url;
	char err[ERR_LEN], msg[MSG_LEN], m[400], *path = NULL;
	int rc;

	httpc_response_init(&r);
	if (packjson_object(&in, input, len, err, sizeof(err)) ||
	    packjson_str(in, "project", NULL, &project, err, sizeof(err)) ||
	    packjson_str(in, "name", NULL, &name, err, sizeof(err))) {
		snprintf(msg, sizeof(msg), "Fail: Could not marshal Project & name into json: %s", err);
		rc = failure(out, "unknown", "unknown", msg);
		goto done;
	}
	if (!bb->http || !*project) {
		snprintf(msg, sizeof(msg), "Fail: Could not create repo: %s", !bb->http ? bb->error : "project is missing");
		rc = failure(out, project, name, msg);
		goto done;
	}
	httpc_pathf(&path, "/rest/api/1.0/projects/%s/repos", project);
	body = packjson_strs("name", name, NULL);
	q.path = path;
	q.json = body;
	if (httpc_send(bb->http, &q, &r)) {
		httpc_describe(err, sizeof(err), bb->http, &r);
		snprintf(msg, sizeof(msg), "Fail: Could not create repo: POST failed: path=%s : repo=%s : err=%s", path, name,
			 err);
	} else if (r.status != 201) {
		char vendor[384];
		m[0] = '\0';
		if (httpc_answer_message(vendor, sizeof(vendor), r.body, r.body_len, r.content_type))
			snprintf(m, sizeof(m), " : %s", vendor);
		snprintf(msg, sizeof(msg), "Fail: Could not create repo: POST failed: path=%s : repo=%s : statusCode=%ld%s",
			 path, name, r.status, m);
		httpc_redact(bb->http, msg);
	} else if (httpc_answer_json(&ans, r.body, r.body_len, err, sizeof(err)) || !(url = bitbucket_repo_url(ans))) {
		snprintf(msg, sizeof(msg), "Fail: Could not create repo: POST failed: path=%s : repo=%s : err=%s", path, name,
			 ans ? "the answer has no links.self href" : err);
	} else {
		rc = packjson_result(out, "createRepo", packjson_strs("project", project, "name", name, "url", url, NULL));
		goto done;
	}
	rc = failure(out, project, name, msg);
done:
	httpc_response_release(&r);
	json_decref(in);
	json_decref(body);
	json_decref(ans);
	free(path);
	return rc;
}

static const char *const create_events[] = { "createRepo", "createRepoFailure" };

const struct flyte_command_def bitbucket_commands[] = {
	{ "createRepo", create_events, 2, create_repo, NULL, NULL },
};
const size_t bitbucket_n_commands = FL_ARRAY_LEN(bitbucket_commands);
