/* SPDX-License-Identifier: Apache-2.0 */
/*
 * step_fuzz.c - libFuzzer target for flytectl's offline step runner
 * (cli/step.c).
 *
 * Input: a JSON test document {step, event: {pack: {name, labels}, event,
 * payload}, context, datastore}, read as loosely as possible so that any
 * shape reaches ctl_step_compile and ctl_step_run.  The step is compiled
 * with small budgets and run; nothing may crash, hang or leak (the live
 * value counter must return to its starting value).
 */
#include "fl-common.h"

#include <jansson.h>

#include "error.h"
#include "step.h"
#include "template.h"
#include "value.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* datastore(): the document's items, a string as text, anything else as JSON. */
static int items(void *payload, const char *key, size_t keylen, char **value, size_t *value_len, char **content_type,
		 struct fl_error *err)
{
	json_t *it = json_object_getn(payload, key, keylen);

	(void)err;
	if (!it)
		return FL_ENOTFOUND;
	*value = json_is_string(it) ? strdup(json_string_value(it)) : json_dumps(it, JSON_ENCODE_ANY);
	if (!*value)
		return FL_ENOTFOUND;
	*value_len = strlen(*value);
	*content_type = json_is_string(it) ? NULL : strdup("application/json");
	return FL_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *doc = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL), *e, *pack, *labels, *ctx, *action = NULL;
	struct fl_error err = FL_ERROR_INIT;
	struct fl_tmpl_limits lim;
	struct fl_tmpl_env env = { 0 };
	struct ctl_step_event ev = { 0 };
	struct ctl_step *step = NULL;
	enum ctl_step_outcome outcome;
	long before = fl_val_live_count();
	char why[256];

	if (!doc)
		return 0;
	fl_tmpl_limits_default(&lim);
	lim.max_source = 16 * 1024;
	lim.max_output = 64 * 1024;
	lim.max_steps = 20000;
	env.limits = &lim;
	env.datastore = items;
	env.datastore_payload = json_object_get(doc, "datastore");
	env.now_ns = 1700000000LL * 1000000000LL;
	env.random_seed = 1;
	e = json_object_get(doc, "event");
	pack = json_object_get(e, "pack");
	labels = json_object_get(pack, "labels");
	ev.name = json_string_value(json_object_get(e, "event"));
	ev.pack_name = json_string_value(json_object_get(pack, "name"));
	ev.pack_id = json_string_value(json_object_get(pack, "id"));
	ev.pack_labels = json_is_object(labels) ? labels : NULL;
	ev.payload = json_object_get(e, "payload");
	ev.created_ns = ev.received_ns = env.now_ns;
	ctx = json_object_get(doc, "context");
	if (ctl_step_compile(&step, json_object_get(doc, "step"), &lim, &err) == FL_OK) {
		(void)ctl_step_run(&action, &outcome, why, sizeof(why), step, &ev, json_is_object(ctx) ? ctx : NULL, &env,
				   &err);
		json_decref(action);
	}
	ctl_step_free(step);
	json_decref(doc);
	if (fl_val_live_count() != before)
		abort(); /* a template value leaked */
	return 0;
}
