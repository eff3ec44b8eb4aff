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
#include "packenv.h"
#include "packjson.h"
#include "packutil.h"
#include "restpack.h"

int bitbucket_from_env(struct restpack *bb, flyte_log_fn log_fn, enum flyte_log_level level, char *err, size_t errlen)
{
	struct httpc_options o;
	const char *missing;

	restpack_options_init(&o, "Bitbucket", log_fn, level);
	missing = restpack_auth(&o, packenv_get("BITBUCKET_TOKEN"), packenv_get("BITBUCKET_USER"),
				packenv_get("BITBUCKET_PASS"), "BITBUCKET_USER (or BITBUCKET_TOKEN)", "BITBUCKET_PASS");
	return restpack_new(bb, &o, "BITBUCKET", missing, err, errlen);
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
	struct restpack *bb = payload;
	struct httpc_response r;
	json_t *in = NULL, *body = NULL, *ans = NULL;
	const char *project, *name, *url = NULL;
	char err[RESTPACK_WHY_LEN], why[RESTPACK_ERR_LEN], msg[RESTPACK_MSG_LEN], *path = NULL;
	int rc;

	httpc_response_init(&r);
	if (packjson_input(&in, input, len, err, sizeof(err), "project", &project, "name", &name, NULL)) {
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
	if (restpack_exchange(bb->http, &(struct httpc_request){ .method = "POST", .path = path, .json = body }, 201, &r,
			      NULL, NULL, NULL, err, sizeof(err))) {
		/* err says it: "err=..." or "statusCode=..." */
	} else if (httpc_answer_json(&ans, r.body, r.body_len, why, sizeof(why)) || !(url = bitbucket_repo_url(ans))) {
		snprintf(err, sizeof(err), "err=%s", ans ? "the answer has no links.self href" : why);
	} else {
		rc = packjson_result(out, "createRepo", packjson_strs("project", project, "name", name, "url", url, NULL));
		goto done;
	}
	snprintf(msg, sizeof(msg), "Fail: Could not create repo: POST failed: path=%s : repo=%s : %s", path, name, err);
	rc = failure(out, project, name, msg);
done:
	httpc_response_release(&r);
	json_decref(in);
	json_decref(body);
	json_decref(ans);
	free(path);
	return rc;
}

const struct flyte_command_def bitbucket_commands[] = {
	PACKUTIL_COMMAND("createRepo", create_repo, "createRepo", "createRepoFailure"),
};
const size_t bitbucket_n_commands = FL_ARRAY_LEN(bitbucket_commands);
