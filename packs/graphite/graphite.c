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
#include "packjson.h"

#define MSG_LEN 2048 /* room for a description (ERR_LEN) and the input values */
#define ERR_LEN 1024

static const char *getenv_ne(const char *name)
{
	const char *v = getenv(name);
	return v && *v ? v : NULL;
}

int graphite_from_env(struct graphite *g, flyte_log_fn log_fn, enum flyte_log_level level, char *err, size_t errlen)
{
	struct httpc_options o;
	const char *host = getenv_ne("GRAPHITE_HOST"), *user = getenv_ne("GRAPHITE_USER");

	memset(g, 0, sizeof(*g));
	httpc_options_init(&o);
	o.name = "Graphite";
	o.timeout_ms = 10000; /* the Go pack's client time-out */
	o.log_fn = log_fn;
	o.log_level = level;
	if (httpc_options_from_env(&o, "GRAPHITE", 0, err, errlen))
		return -1;
	if (!host) {
		snprintf(g->error, sizeof(g->error), "GRAPHITE_HOST is not set");
		return 0;
	}
	o.base_url = host;
	if (user) { /* graphite-web behind a proxy with Basic authentication */
		o.auth = HTTPC_AUTH_BASIC;
		o.user = user;
		o.password = getenv("GRAPHITE_PASSWORD");
	}
	return httpc_new(&g->http, &o, err, errlen) ? -1 : 0;
}

void graphite_release(struct graphite *g)
{
	if (!g)
		return;
	httpc_free(g->http);
	memset(g, 0, sizeof(*g));
}

static int failure(struct flyte_result *out, const char *tags, const char *what, const char *data, const char *error)
{
	return packjson_result(out, "AddEventsFailure",
			       packjson_strs("tags", tags, "what", what, "data", data, "error", error, NULL));
}

static int add_events(const char *input, size_t len, struct flyte_result *out, void *payload)
{
	struct graphite *g = payload;
	struct httpc_response r;
	struct httpc_request q = { .method = "POST", .path = "/events/" };
	json_t *in = NULL, *body = NULL;
	const char *what = "", *tags = "", *data = "";
	char err[ERR_LEN], msg[MSG_LEN], vendor[384];
	int rc;

	httpc_response_init(&r);
	if (packjson_object(&in, input, len, err, sizeof(err)) || packjson_str(in, "what", NULL, &what, err, sizeof(err)) ||
	    packjson_str(in, "tags", NULL, &tags, err, sizeof(err)) ||
	    packjson_str(in, "data", NULL, &data, err, sizeof(err))) {
		snprintf(msg, sizeof(msg), "Fail: Could not marshal Tags,What and Data into json: %s", err);
		rc = failure(out, "unknown", "unknown", "unknown", msg);
		goto done;
	}
	if (!*what) {
		rc = failure(out, tags, what, data, "What must not be null");
		goto done;
	}
	if (!g->http) {
		snprintf(msg, sizeof(msg), "Fail: could not apply event: %s", g->error);
		rc = failure(out, tags, what, data, msg);
		goto done;
	}
	body = packjson_strs("what", what, "tags", tags, "data", data, NULL);
	q.json = body;
	if (httpc_send(g->http, &q, &r)) {
		httpc_describe(err, sizeof(err), g->http, &r);
		snprintf(msg, sizeof(msg), "Fail: could not apply event: %s", err);
	} else if (r.status != 200) {
		if (httpc_answer_message(vendor, sizeof(vendor), r.body, r.body_len, r.content_type))
			snprintf(msg, sizeof(msg), "Fail: could not apply event: status code %ld : %s", r.status, vendor);
		else
			snprintf(msg, sizeof(msg), "Fail: could not apply event: status code %ld", r.status);
		httpc_redact(g->http, msg);
	} else {
		rc = packjson_result(out, "AddEventsSuccess", packjson_strs("tags", tags, "what", what, "data", data, NULL));
		goto done;
	}
	rc = failure(out, tags, what, data, msg);
done:
	httpc_response_release(&r);
	json_decref(in);
	json_decref(body);
	return rc;
}

static const char *const add_events_events[] = { "AddEventsSuccess", "AddEventsFailure" };

const struct flyte_command_def graphite_commands[] = {
	{ "AddEvents", add_events_events, 2, add_events, NULL, NULL },
};
const size_t graphite_n_commands = FL_ARRAY_LEN(graphite_commands);
