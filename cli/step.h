/* SPDX-License-Identifier: Apache-2.0 */
/*
 * step.h - one flow step, compiled and run offline for `flytectl test`.
 *
 * The step is checked, compiled and run by the server's own code: the flow
 * module (src/flow: fl_flowdef_compile_step, fl_step_run) on the template
 * module, so templates, filters, functions, datastore(), the budgets and
 * the order (context, event labels, criteria, command labels and input)
 * are exactly the server's.  This file only adds what the server does
 * around a step: which event triggers it, and the reason a step does not
 * run, in words.  Dependencies (dependsOn) are not checked: a test runs the
 * step as if they had finished.
 */
#ifndef FLYTECTL_STEP_H
#define FLYTECTL_STEP_H

#include "fl-common.h"

#include <jansson.h>

#include "error.h"
#include "template.h"

struct ctl_step;

/* The triggering event, as the server builds the template value `Event`. */
struct ctl_step_event {
	const char *name;
	const char *pack_id;
	const char *pack_name;
	const json_t *pack_labels; /* object of strings (borrowed) */
	const json_t *payload;     /* any JSON (borrowed); NULL = null */
	int64_t created_ns;        /* Event.CreatedAt */
	int created_offset;        /* its UTC offset in seconds */
	int64_t received_ns;       /* Event.ReceivedAt */
};

enum ctl_step_outcome {
	CTL_STEP_RUNS,        /* the step creates an action */
	CTL_STEP_OTHER_EVENT, /* the step waits for another event */
	CTL_STEP_LABELS,      /* the event's pack lacks a label the step wants */
	CTL_STEP_CRITERIA,    /* the criteria is false */
};

/*
 * Check and compile a step (borrowed JSON; kept referenced by the step).
 * Errors are FL_EINVALID naming the field ("field 'event.name' is required",
 * "step 'x' field 'criteria': line 1, column 4: unknown filter 'trim'").
 * *out is owned by the caller (ctl_step_free).
 */
int ctl_step_compile(struct ctl_step **out, json_t *step, const struct fl_tmpl_limits *lim, struct fl_error *err);
void ctl_step_free(struct ctl_step *s);
/* The step's id ("" when it has none; borrowed). */
const char *ctl_step_id(const struct ctl_step *s);

/*
 * Run the step for event ev with parent context `context` (an object,
 * borrowed; NULL = empty).  On FL_OK *outcome says what happened; when the
 * step runs, *action is the action it creates (caller owns): {name,
 * packName, packLabels (when any), input, context (when not empty)}; else
 * `why` says why not.  A template that fails is an error (the server logs
 * it and skips the step): FL_E* with err->msg "error while evaluating
 * expression: '<source>': <cause> (field '<field>')".
 */
int ctl_step_run(json_t **action, enum ctl_step_outcome *outcome, char *why, size_t whylen, const struct ctl_step *s,
		 const struct ctl_step_event *ev, const json_t *context, const struct fl_tmpl_env *env,
		 struct fl_error *err);

#endif
