/* SPDX-License-Identifier: Apache-2.0 */
/*
 * step.c - compile one flow step and run it against an event, offline, with
 * the server's own flow and template modules (src/flow, src/template).
 */
#include "fl-common.h"

#include <jansson.h>

#include "alloc.h"
#include "error.h"
#include "flow/flowdef.h"
#include "flow/step.h"
#include "step.h"
#include "template.h"
#include "value.h"

struct ctl_step {
	struct fl_flowdef *flow; /* one step */
};

int ctl_step_compile(struct ctl_step **out, json_t *step, const struct fl_tmpl_limits *lim, struct fl_error *err)
{
	struct fl_flowdef *f;
	int rc = fl_flowdef_compile_step(&f, step, lim, err);

	*out = NULL;
	if (rc)
		return rc;
	*out = fl_xcalloc(1, sizeof(**out));
	(*out)->flow = f;
	return FL_OK;
}

void ctl_step_free(struct ctl_step *s)
{
	if (!s)
		return;
	fl_flowdef_unref(s->flow);
	free(s);
}

const char *ctl_step_id(const struct ctl_step *s)
{
	return s->flow->steps[0].id;
}

int ctl_step_run(json_t **action, enum ctl_step_outcome *outcome, char *why, size_t whylen, const struct ctl_step *s,
		 const struct ctl_step_event *ev, const json_t *context, const struct fl_tmpl_env *env,
		 struct fl_error *err)
{
	const struct fl_flowdef_step *st = &s->flow->steps[0];
	struct fl_step_event sev = {
		.name = ev->name,
		.pack_id = ev->pack_id,
		.pack_name = ev->pack_name,
		.pack_labels = ev->pack_labels,
		.payload = ev->payload,
		.created_ns = ev->created_ns,
		.created_offset = ev->created_offset,
		.received_ns = ev->received_ns,
	};
	struct fl_step_run run;
	const char *have;
	fl_val *event;
	size_t len = 0;
	const char *src;
	int rc = FL_OK;

	*action = NULL;
	*outcome = CTL_STEP_OTHER_EVENT;
	if (strcmp(st->event_name, ev->name ? ev->name : "") || strcmp(st->event_pack, ev->pack_name ? ev->pack_name : "")) {
		snprintf(why, whylen, "it waits for event '%s' of pack '%s', not '%s' of pack '%s'", st->event_name,
			 st->event_pack, ev->name ? ev->name : "", ev->pack_name ? ev->pack_name : "");
		return FL_OK;
	}
	event = fl_step_event_val(&sev);
	fl_step_run(&run, st, event, ev->pack_labels, context, env);
	switch (run.outcome) {
	case FL_STEP_FIRES:
		*outcome = CTL_STEP_RUNS;
		*action = json_object();
		json_object_set_new(*action, "name", json_string(st->command_name));
		json_object_set_new(*action, "packName", json_string(st->command_pack));
		if (json_object_size(run.labels))
			json_object_set(*action, "packLabels", run.labels);
		json_object_set(*action, "input", run.input);
		if (json_object_size(run.context))
			json_object_set(*action, "context", run.context);
		break;
	case FL_STEP_LABELS:
		*outcome = CTL_STEP_LABELS;
		have = json_string_value(json_object_get(ev->pack_labels, run.label));
		if (have)
			snprintf(why, whylen, "the event's pack has label %s=%s, the step wants %s=%s", run.label, have,
				 run.label, run.want);
		else
			snprintf(why, whylen, "the event's pack has no label '%s' (the step wants %s=%s)", run.label,
				 run.label, run.want);
		break;
	case FL_STEP_CRITERIA:
		*outcome = CTL_STEP_CRITERIA;
		snprintf(why, whylen, "its criteria is false");
		break;
	case FL_STEP_FAILED:
		/* what the server logs when it skips the step */
		src = fl_tmpl_source(run.tmpl, &len);
		rc = fl_error_set(err, run.err.code ? run.err.code : FL_ERROR,
				  "error while evaluating expression: '%.*s': %s (field '%s')", (int)FL_MIN(len, (size_t)120),
				  src ? src : "", run.err.msg, run.field);
		break;
	}
	fl_step_run_release(&run);
	fl_val_unref(event);
	return rc;
}
