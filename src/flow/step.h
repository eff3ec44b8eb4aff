/* SPDX-License-Identifier: Apache-2.0 */
/*
 * step.h - one compiled flow step, run against one event.
 *
 * The order is the server's: the step's context values (each sees only the
 * parent context), the event's pack labels, the criteria, then the command's
 * pack labels and input.  Nothing here touches storage or engine state, so
 * the engine (src/engine/steps.c) and `flytectl test` (cli/cmd_test.c) run
 * steps with the same code; what to do with the outcome (insert an action,
 * log and skip, defer on a timeout, print) is the caller's.
 */
#ifndef FL_STEP_H
#define FL_STEP_H

#include <jansson.h>

#include "error.h"
#include "fl-common.h"
#include "flow/flowdef.h"
#include "template.h"
#include "value.h"

/* The triggering event, from which the template value `Event` is built. */
struct fl_step_event {
	const char *name;
	const char *pack_id;
	const char *pack_name;
	const json_t *pack_labels; /* object of strings (borrowed); NULL = none */
	const json_t *payload;     /* any JSON (borrowed); NULL = null */
	int64_t created_ns;        /* Event.CreatedAt */
	int created_offset;        /* its UTC offset in seconds */
	int64_t received_ns;       /* Event.ReceivedAt */
};

/*
 * The template value `Event` {Name, Pack {Id, Name, Labels}, Payload,
 * CreatedAt, ReceivedAt}; numbers of the payload are floats, as in Go.
 * Owned by the caller (fl_val_unref); build it once per event.
 */
fl_val *fl_step_event_val(const struct fl_step_event *ev);

enum fl_step_outcome {
	FL_STEP_FIRES,    /* the step creates an action: context, labels and input are set */
	FL_STEP_LABELS,   /* the event's pack lacks a label the step wants (label, want) */
	FL_STEP_CRITERIA, /* the criteria is false */
	FL_STEP_FAILED,   /* a template failed (field, tmpl, err) */
};

struct fl_step_run {
	enum fl_step_outcome outcome;
	json_t *context; /* FIRES: the execution context after this step (object, never NULL) */
	json_t *labels;  /* FIRES: the command's pack labels (object, may be empty) */
	json_t *input;   /* FIRES: the command input */
	const char *label;      /* LABELS: the label that did not match (borrowed from the step) */
	char want[256];         /* LABELS: the value the step wanted (cut at 255 bytes) */
	char field[320];        /* FAILED: e.g. "context.Who", "criteria", "command.input" */
	const struct fl_tmpl *tmpl; /* FAILED: the template (borrowed from the step) */
	struct fl_error err;        /* FAILED: why; FL_ETIMEOUT when the render deadline passed */
};

/*
 * Run step st for the event value `event` (fl_step_event_val) sent by a
 * pack with labels event_labels (borrowed; NULL = none), in the parent
 * context `parent` (object, borrowed; NULL = empty).  Fills *out (release
 * with fl_step_run_release).  A template that fails is an outcome, not an
 * error: FL_STEP_FAILED.
 */
void fl_step_run(struct fl_step_run *out, const struct fl_flowdef_step *st, fl_val *event,
		 const json_t *event_labels, const json_t *parent, const struct fl_tmpl_env *env);
void fl_step_run_release(struct fl_step_run *r);

#endif
