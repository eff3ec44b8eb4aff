/* SPDX-License-Identifier: Apache-2.0 */
/*
 * graphite.c - the Graphite pack's handler (see graphite.h).
 *
 * AddEvents: POST {GRAPHITE_HOST}/events/ with {"what","tags","data"};
 * success only on 200.  The Go pack scrambled the members of its failure
 * payload (the error in "tags", the tags in "error", ...); here every
 * member holds what its name says.
 */
#include "fl-common.h"

#include "graphite.h"
#include "httpc.h"
#include "packenv.h"
#include "packjson.h"
#include "packutil.h"
#include "restpack.h"

int graphite_from_env(struct restpack *g, flyte_log_fn log_fn, enum flyte_log_level level, char *err, size_t errlen)
{
	struct httpc_options o;
	const char *user = packenv_get("GRAPHITE_USER");

	restpack_options_init(&o, "Graphite", log_fn, level);
	o.timeout_ms = 10000; /* the Go pack's client time-out */
	if (user) { /* graphite-web behind a proxy with Basic authentication */
		o.auth = HTTPC_AUTH_BASIC;
		o.user = user;
		o.password = getenv("GRAPHITE_PASSWORD");
	}
	return restpack_new(g, &o, "GRAPHITE", NULL, err, errlen);
}

static int failure(struct flyte_result *out, const char *tags, const char *what, const char *data, const char *error)
{
	return packjson_result(out, "AddEventsFailure",
			       packjson_strs("tags", tags, "what", what, "data", data, "error", error, NULL));
}

static int add_events(const char *input, size_t len, struct flyte_result *out, void *payload)
{
	struct restpack *g = payload;
	struct httpc_response r;
	json_t *in = NULL, *body = NULL;
	const char *what, *tags, *data;
	char err[RESTPACK_WHY_LEN], msg[RESTPACK_MSG_LEN];
	int rc;

	httpc_response_init(&r);
	if (packjson_input(&in, input, len, err, sizeof(err), "what", &what, "tags", &tags, "data", &data, NULL)) {
		snprintf(msg, sizeof(msg), "Fail: Could not marshal Tags,What and Data into json: %s", err);
		rc = failure(out, "unknown", "unknown", "unknown", msg);
		goto done;
	}
	if (!*what) {
		rc = failure(out, tags, what, data, "What must not be null");
		goto done;
	}
	body = packjson_strs("what", what, "tags", tags, "data", data, NULL);
	if (!g->http)
		snprintf(err, sizeof(err), "%s", g->error);
	else if (!restpack_exchange(g->http, &(struct httpc_request){ .method = "POST", .path = "/events/", .json = body },
				    200, &r, NULL, "", "status code ", err, sizeof(err))) {
		rc = packjson_result(out, "AddEventsSuccess", packjson_strs("tags", tags, "what", what, "data", data, NULL));
		goto done;
	}
	snprintf(msg, sizeof(msg), "Fail: could not apply event: %s", err);
	rc = failure(out, tags, what, data, msg);
done:
	httpc_response_release(&r);
	json_decref(in);
	json_decref(body);
	return rc;
}

const struct flyte_command_def graphite_commands[] = {
	PACKUTIL_COMMAND("AddEvents", add_events, "AddEventsSuccess", "AddEventsFailure"),
};
const size_t graphite_n_commands = FL_ARRAY_LEN(graphite_commands);
