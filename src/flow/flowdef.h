/* SPDX-License-Identifier: Apache-2.0 */
/*
 * flowdef.h - flow definitions: validation, normalisation and compilation
 * (module src/flow: the template module and jansson only, so that flytectl
 * compiles steps with the server's own code).
 *
 * fl_flowdef_compile turns a posted flow (or one loaded from the store) into
 * a struct fl_flowdef: the normalised JSON definition plus, per step, every
 * template compiled once (context values, event/command pack labels,
 * criteria, every string inside the command input).  A flow whose templates
 * do not compile is rejected with FL_EINVALID naming the step, the field and
 * the line and column.
 *
 * A compiled flow is immutable and reference counted (fl_flowdef_ref/unref,
 * not atomic: one thread at a time owns the references).  Step strings are
 * borrowed from `def` and live as long as the flow.
 */
#ifndef FL_FLOWDEF_H
#define FL_FLOWDEF_H

#include <jansson.h>

#include "error.h"
#include "fl-common.h"
#include "oid.h"
#include "template.h"

#define FL_FLOWDEF_MAX_STEPS 1000
#define FL_FLOWDEF_MAX_DEPTH 64 /* nesting of a command input */

/* A (key, template) pair of a context or a labels map. */
struct fl_flowdef_kv {
	const char *key;
	struct fl_tmpl *t;
};

enum fl_flowdef_input_kind {
	FL_FLOWDEF_IN_LITERAL, /* non-string JSON value, passed through */
	FL_FLOWDEF_IN_TEMPLATE,
	FL_FLOWDEF_IN_OBJECT,
	FL_FLOWDEF_IN_ARRAY,
};

/* Compiled command input: the JSON tree with its strings compiled. */
struct fl_flowdef_input {
	enum fl_flowdef_input_kind kind;
	const json_t *literal;          /* LITERAL (borrowed from def) */
	struct fl_tmpl *t;              /* TEMPLATE */
	size_t n;                       /* OBJECT/ARRAY children */
	const char **keys;              /* OBJECT keys (borrowed) */
	struct fl_flowdef_input *kids;
};

struct fl_flowdef_step {
	size_t index;
	const char *id; /* "" when the step has none */
	const char *event_name, *event_pack;
	const char *command_name, *command_pack;
	const char **depends_on;
	size_t ndepends;
	struct fl_flowdef_kv *context, *event_labels, *command_labels;
	size_t ncontext, nevent_labels, ncommand_labels;
	struct fl_tmpl *criteria; /* NULL: always true */
	struct fl_flowdef_input input;
	char *broken; /* why a template of the step does not compile; NULL when all do */
};

struct fl_flowdef {
	int refs; /* atomic: the render threads hold references too */
	char uuid[FL_OID_LEN + 1]; /* "" until assigned */
	char *name;
	char *description; /* NULL when none */
	json_t *def;       /* normalised definition */
	struct fl_flowdef_step *steps;
	size_t nsteps;
	json_t *warnings; /* messages of the steps that do not compile (array of strings), NULL when none */
};

enum fl_flowdef_flags {
	/* a template that does not compile fails the whole flow (else only its step is broken) */
	FL_FLOWDEF_STRICT = (1 << 0),
};

/*
 * Validate, normalise and compile a flow definition (borrowed JSON).  lim may
 * be NULL (template defaults).  *out is owned by the caller (one reference).
 * FL_EINVALID with a message naming the field for a definition that is not
 * a flow.  A template that does not compile fails the flow the same way with
 * FL_FLOWDEF_STRICT; without it (as the original server) the flow is
 * compiled, the step is marked `broken` and its message added to `warnings`.
 */
int fl_flowdef_compile(struct fl_flowdef **out, const json_t *body, const struct fl_tmpl_limits *lim,
		       unsigned flags, struct fl_error *err);
/*
 * Check and compile one step on its own (borrowed JSON), as `flytectl test`
 * does: a flow with that single step and an empty name.  Any error fails it
 * (FL_EINVALID): "field 'step.event.name' is required", "step 'x' field
 * 'criteria': line 1, column 4: unknown filter 'trim'".
 */
int fl_flowdef_compile_step(struct fl_flowdef **out, const json_t *step, const struct fl_tmpl_limits *lim,
			    struct fl_error *err);
/*
 * The rule for the name of a flow or a pack (it is a path segment): a
 * non-empty string of at most 1024 bytes without '/', NUL or newlines.
 * FL_EINVALID naming the field 'name' otherwise.
 */
int fl_flowdef_check_name(const json_t *name, struct fl_error *err);
struct fl_flowdef *fl_flowdef_ref(struct fl_flowdef *f);
/* Drop a reference; frees at zero.  NULL-tolerant. */
void fl_flowdef_unref(struct fl_flowdef *f);

/*
 * The audit form of a normalised step (borrowed): "id" always present and
 * first, other fields as stored.  New reference.
 */
json_t *fl_flowdef_audit_step(const json_t *step);

#endif
