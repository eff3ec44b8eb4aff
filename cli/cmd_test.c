/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_test.c - `flytectl test`: run one flow step against a sample event,
 * offline, and print the action it would create (the original CLI's
 * `flyte test`).
 *
 * The test file (JSON or YAML) holds the step and the test data, in either
 * of the original CLI's two layouts:
 *
 *     step: {id, event, context, criteria, command}     # one flow step
 *     testData:                                         # or these three
 *       event: {pack: {name, labels}, event: NAME, payload}   # at the top
 *       context: {K: V}                                 # optional
 *       datastore: {KEY: VALUE}                         # optional
 *
 * (the event's name may also be given as `name`).  With --flow FILE the
 * step comes from a flow file instead (--step ID picks it).  The step runs
 * through step.c with the server's template module; datastore('KEY') reads
 * the test file's `datastore` (a string is a text item, anything else a
 * JSON item), and items it lacks come from the server's datastore when one
 * is named (--server/--url on the command line, or --dslookup for
 * $FLYTE_API); otherwise they are an error.  Nothing else talks to a
 * server.
 *
 * Output: the action {name, packName, packLabels, input, context} as JSON
 * (default) or YAML (-o yaml or --format yaml), exit 0; a step that does
 * not run for that event prints why on stderr and exits 4; a template that
 * fails (the server would skip the step) exits 1.
 */
#include "fl-common.h"

#include <errno.h>

#include "alloc.h"
#include "ctl.h"
#include "error.h"
#include "step.h"
#include "template.h"
#include "timeutil.h"
#include "yaml/yaml.h"

/* Where datastore() reads. */
struct ds_source {
	struct ctl *ctl;
	const json_t *items; /* the test file's datastore object, or NULL */
	bool server;         /* read missing items from the server */
};

/* datastore() for one key: the test file's item, else the server's, else an error. */
static int ds_read(void *payload, const char *key, size_t keylen, char **value, size_t *value_len, char **content_type,
		   struct fl_error *err)
{
	struct ds_source *src = payload;
	struct flyte_response r;
	char *k = NULL, *path = NULL;
	json_t *item;
	int rc = FL_OK;

	if (memchr(key, '\0', keylen))
		return fl_error_set(err, FL_EINVALID, "cannot find datastore item: the key holds a NUL byte");
	k = fl_xmemdup0(key, keylen);
	item = json_object_get(src->items, k);
	if (item) {
		*value = json_is_string(item) ? strdup(json_string_value(item)) : json_dumps(item, JSON_ENCODE_ANY);
		*value_len = *value ? strlen(*value) : 0;
		*content_type = json_is_string(item) ? NULL : strdup("application/json");
		if (!*value)
			rc = fl_error_set_oom(err);
		goto out;
	}
	if (!src->server) {
		rc = fl_error_set(err, FL_ERROR,
				  "cannot find datastore item key=%.100s: not in the test file (--dslookup or --server reads "
				  "the server's datastore)",
				  k);
		goto out;
	}
	path = ctl_path("datastore", k);
	if (!path || !ctl_client(src->ctl)) {
		rc = fl_error_set(err, FL_ERROR, "cannot find datastore item key=%.100s: no server", k);
		goto out;
	}
	if (flyte_client_request(&r, src->ctl->client, "GET", path, NULL, NULL, 0)) {
		rc = fl_error_set(err, FL_EIO, "cannot find datastore item key=%.100s: %s", k,
				  flyte_client_last_error(src->ctl->client));
	} else if (r.status == 404) {
		rc = FL_ENOTFOUND;
	} else if (r.status != 200) {
		rc = fl_error_set(err, FL_ERROR, "cannot find datastore item key=%.100s: the server answered HTTP %d", k,
				  r.status);
	} else {
		*value = fl_xmemdup0(r.body ? r.body : "", r.body_len);
		*value_len = r.body_len;
		*content_type = r.content_type ? fl_xstrdup(r.content_type) : NULL;
	}
	flyte_response_release(&r);
out:
	free(path);
	free(k);
	return rc;
}

/* Read a JSON or YAML document. */
static int load_doc(const char *file, json_t **out)
{
	struct fl_yaml_limits lim = { 64, 100000, 1000 };
	struct fl_error err = FL_ERROR_INIT;
	json_error_t jerr;
	size_t len = 0;
	char *body = ctl_read_file(file, &len);
	int rc = CTL_OK;

	*out = NULL;
	if (!body)
		return ctl_fail(CTL_ERROR, "cannot read '%s': %s", file, strerror(errno));
	if (ctl_is_yaml(file, body)) {
		if (fl_yaml_to_json(out, body, len, &lim, &err))
			rc = ctl_fail(CTL_ERROR, "'%s': %s", file, err.msg);
	} else if (!(*out = json_loadb(body, len, 0, &jerr))) {
		rc = ctl_fail(CTL_ERROR, "'%s' is not JSON: %s at line %d, column %d", file, jerr.text, jerr.line,
			      jerr.column);
	}
	if (!rc && !json_is_object(*out)) {
		rc = ctl_fail(CTL_ERROR, "'%s' must hold an object", file);
		json_decref(*out);
		*out = NULL;
	}
	free(body);
	return rc;
}

/* The step of the flow file (a new reference in *out): the one with id `id`, or the only one. */
static int flow_step(struct ctl *ctl, const char *file, const char *id, json_t **out)
{
	json_t *flow = NULL, *steps, *s;
	char ids[512] = "";
	size_t i;
	int rc = load_doc(file, &flow);

	*out = NULL;
	if (rc)
		return rc;
	steps = json_object_get(flow, "steps");
	if (!json_array_size(steps)) {
		rc = ctl_fail(CTL_ERROR, "'%s' has no steps", file);
		goto out;
	}
	json_array_foreach(steps, i, s) {
		const char *sid = json_string_value(json_object_get(s, "id"));
		if (id && sid && !strcmp(sid, id))
			*out = json_incref(s);
		ctl_append(ids, sizeof(ids), ", ", sid ? sid : "(no id)");
	}
	if (!id && json_array_size(steps) == 1)
		*out = json_incref(json_array_get(steps, 0));
	else if (!id)
		rc = ctl_usage_error(ctl, "'%s' has %zu steps: name one with --step (%s)", file, json_array_size(steps),
				     ids);
	else if (!*out)
		rc = ctl_fail(CTL_ERROR, "'%s' has no step '%s' (its steps: %s)", file, id, ids);
out:
	json_decref(flow);
	return rc;
}

/* The pack id the server derives: the name, then ".key.value" per label in key order. */
static char *pack_id(const char *name, const json_t *labels)
{
	struct flyte_labels *set = NULL;
	char id[2048] = "";
	const char *k;
	json_t *v;

	ctl_append(id, sizeof(id), "", name);
	if (flyte_labels_new(&set))
		return NULL;
	json_object_foreach((json_t *)labels, k, v)
		flyte_labels_set(set, k, json_string_value(v) ? json_string_value(v) : "");
	for (size_t i = 0; i < flyte_labels_count(set); i++) {
		ctl_append(id, sizeof(id), ".", flyte_labels_key(set, i));
		ctl_append(id, sizeof(id), ".", flyte_labels_value(set, i));
	}
	flyte_labels_free(set);
	return strdup(id);
}

/* Fill ev from the test data's event; returns CTL_OK or a reported error. */
static int read_event(const char *file, json_t *e, struct ctl_step_event *ev, char **id_out)
{
	json_t *pack = json_object_get(e, "pack"), *name = json_object_get(e, "event"), *created, *labels, *v;
	const char *k;

	*id_out = NULL;
	if (!json_is_object(e))
		return ctl_fail(CTL_ERROR, "'%s': the test data needs an event {pack: {name}, event: NAME, payload}", file);
	if (!name)
		name = json_object_get(e, "name");
	if (!json_is_string(name))
		return ctl_fail(CTL_ERROR, "'%s': field 'event.event' (the event's name) must be a string", file);
	if (!json_is_string(json_object_get(pack, "name")))
		return ctl_fail(CTL_ERROR, "'%s': field 'event.pack.name' must be a string", file);
	labels = json_object_get(pack, "labels");
	if (labels && !json_is_null(labels) && !json_is_object(labels))
		return ctl_fail(CTL_ERROR, "'%s': field 'event.pack.labels' must be an object of strings", file);
	json_object_foreach(labels, k, v)
		if (!json_is_string(v))
			return ctl_fail(CTL_ERROR, "'%s': field 'event.pack.labels.%s' must be a string", file, k);
	memset(ev, 0, sizeof(*ev));
	ev->name = json_string_value(name);
	ev->pack_name = json_string_value(json_object_get(pack, "name"));
	ev->pack_labels = json_is_object(labels) ? labels : NULL;
	ev->payload = json_object_get(e, "payload");
	ev->received_ns = fl_time_now_ns();
	ev->created_ns = ev->received_ns;
	created = json_object_get(e, "createdAt");
	if (created && !json_is_null(created) &&
	    (!json_is_string(created) || fl_time_parse_rfc3339(json_string_value(created), json_string_length(created),
								 &ev->created_ns, &ev->created_offset)))
		return ctl_fail(CTL_ERROR, "'%s': field 'event.createdAt' must be an RFC 3339 timestamp", file);
	if (json_is_string(json_object_get(pack, "id")))
		ev->pack_id = json_string_value(json_object_get(pack, "id"));
	else if (!(ev->pack_id = *id_out = pack_id(ev->pack_name, labels)))
		return ctl_fail(CTL_ERROR, "out of memory");
	return CTL_OK;
}

/* "step 'ID'", or "the step" when it has no id. */
static const char *step_name(const struct ctl_step *step, char *buf, size_t len)
{
	if (!ctl_step_id(step)[0])
		return "the step";
	snprintf(buf, len, "step '%s'", ctl_step_id(step));
	return buf;
}

int cmd_test(struct ctl *ctl, struct ctl_args *a)
{
	const char *file = ctl_opt(a, "file"), *flow = ctl_opt(a, "flow"), *format = ctl_opt(a, "format");
	struct fl_error err = FL_ERROR_INIT;
	struct fl_tmpl_limits lim;
	struct fl_tmpl_env env = { 0 };
	struct ds_source ds = { ctl, NULL, false };
	struct ctl_step_event ev;
	struct ctl_step *step = NULL;
	enum ctl_step_outcome outcome;
	json_t *doc = NULL, *data, *stepdef = NULL, *context, *action = NULL;
	char why[512] = "", *id = NULL;
	int rc;

	if (file && a->n_pos)
		return ctl_usage_error(ctl, "give the test file either with -f or as the argument, not both");
	if (!file && !a->n_pos)
		return ctl_usage_error(ctl, "test needs FILE");
	if (format && strcmp(format, "json") && strcmp(format, "yaml"))
		return ctl_usage_error(ctl, "invalid format '%s': expected json or yaml", format);
	if (ctl_opt(a, "step") && !flow)
		return ctl_usage_error(ctl, "--step picks a step of --flow FILE");
	file = file ? file : a->pos[0];
	rc = load_doc(file, &doc);
	if (rc)
		return rc;
	if (flow && json_object_get(doc, "step")) {
		rc = ctl_usage_error(ctl, "'%s' has a step: give the step either there or with --flow, not both", file);
		goto out;
	}
	if (flow)
		rc = flow_step(ctl, flow, ctl_opt(a, "step"), &stepdef);
	else if (json_object_get(doc, "step"))
		stepdef = json_incref(json_object_get(doc, "step"));
	else
		rc = ctl_fail(CTL_ERROR, "'%s' has no step (or give one with --flow FILE --step ID)", file);
	if (rc)
		goto out;
	data = json_is_object(json_object_get(doc, "testData")) ? json_object_get(doc, "testData") : doc;
	context = json_object_get(data, "context");
	if (context && !json_is_null(context) && !json_is_object(context)) {
		rc = ctl_fail(CTL_ERROR, "'%s': field 'context' must be an object", file);
		goto out;
	}
	ds.items = json_object_get(data, "datastore");
	if (ds.items && !json_is_null(ds.items) && !json_is_object(ds.items)) {
		rc = ctl_fail(CTL_ERROR, "'%s': field 'datastore' must be an object of items", file);
		goto out;
	}
	ds.server = ctl->server_given || ctl_flag(a, "dslookup");
	rc = read_event(file, json_object_get(data, "event"), &ev, &id);
	if (rc)
		goto out;

	fl_tmpl_limits_default(&lim);
	env.limits = &lim;
	env.datastore = ds_read;
	env.datastore_payload = &ds;
	if (ctl_step_compile(&step, stepdef, &lim, &err)) {
		rc = ctl_fail(CTL_ERROR, "%s", err.msg);
		goto out;
	}
	if (ctl_step_run(&action, &outcome, why, sizeof(why), step, &ev, json_is_object(context) ? context : NULL, &env,
			 &err)) {
		rc = ctl_fail(CTL_ERROR, "%s fails (the server skips it): %s", step_name(step, why, sizeof(why)), err.msg);
		goto out;
	}
	if (outcome != CTL_STEP_RUNS) {
		char name[300];
		rc = ctl_fail(CTL_NORUN, "%s does not run: %s", step_name(step, name, sizeof(name)), why);
		goto out;
	}
	if ((format && !strcmp(format, "yaml")) || (!format && ctl->format == CTL_YAML))
		ctl_print_yaml(stdout, action);
	else
		ctl_print_json(stdout, action);
	rc = CTL_OK;
out:
	ctl_step_free(step);
	json_decref(action);
	json_decref(stepdef);
	json_decref(doc);
	free(id);
	return rc;
}
