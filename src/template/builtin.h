/* SPDX-License-Identifier: Apache-2.0 */
/*
 * builtin.h - the interface between the evaluator and its filters/functions.
 *
 * Filters and functions are registered in tables (one row each: name, flags,
 * function, help).  The evaluator looks filters up at compile time (unknown
 * filter = compile error) and functions at render time (unknown function
 * renders "" as in pongo2).
 *
 * A filter with a literal argument may precompile it once through `prepare`
 * (regexes, cron expressions): the state is kept in the compiled template and
 * passed back on every call.
 */
#ifndef FL_TEMPLATE_BUILTIN_H
#define FL_TEMPLATE_BUILTIN_H

#include "buf.h"
#include "error.h"
#include "fl-common.h"
#include "template.h"
#include "value.h"

/* Runtime of one render, handed to every filter and function. */
struct fl_tmpl_call {
	struct fl_error *err;
	const struct fl_tmpl_env *env;
	const struct fl_tmpl_limits *limits; /* never NULL */
	uint64_t *steps;                     /* shared step counter of the render */
	unsigned depth;                      /* template() nesting depth */
	uint64_t *rng;                       /* xorshift state of the render */
	bool autoescape;                     /* autoescape currently on */
};

/*
 * Count n evaluation steps; returns FL_ELIMIT (err set) when the budget is
 * spent, FL_ETIMEOUT when the environment's deadline has passed.
 */
int fl_tmpl_call_step(struct fl_tmpl_call *call, uint64_t n);
/*
 * Charge the size of v (borrowed, may be NULL) to the step budget: string
 * bytes / FL_TMPL_BYTES_PER_STEP, one step per element of an array or
 * object.  Filters, functions and operators charge what they read and
 * what they produce, so that cost follows the data touched, not the nodes.
 */
int fl_tmpl_call_charge(struct fl_tmpl_call *call, const fl_val *v);
/* Next pseudo-random 64-bit number of the render. */
uint64_t fl_tmpl_call_random(struct fl_tmpl_call *call);
/* A uniform pseudo-random number in [0, n) (n > 0), without modulo bias. */
uint64_t fl_tmpl_call_random_below(struct fl_tmpl_call *call, uint64_t n);

enum fl_tmpl_filter_flags {
	FL_FILTER_PARAM_NONE = (1 << 0),     /* takes no argument */
	FL_FILTER_PARAM_REQUIRED = (1 << 1), /* must have an argument */
	/* neither flag: optional argument */
};

/*
 * A filter: `in` and `param` are borrowed (param is NULL when absent);
 * `state` is what prepare() produced, or NULL.  Store a new reference in *out
 * and return FL_OK, or return an error code with call->err set.
 */
typedef int (*fl_tmpl_filter_fn)(struct fl_tmpl_call *call, fl_val *in, fl_val *param, void *state, fl_val **out);

/* Called at compile time when the argument is a literal; return FL_OK and set
 * *state (may stay NULL), or an error with err set (a compile error). */
typedef int (*fl_tmpl_filter_prepare_fn)(fl_val *param, const struct fl_tmpl_limits *lim, void **state,
					 struct fl_error *err);
typedef void (*fl_tmpl_filter_state_free_fn)(void *state);

struct fl_tmpl_filter {
	const char *name;
	unsigned flags;
	fl_tmpl_filter_fn fn;
	fl_tmpl_filter_prepare_fn prepare;        /* may be NULL */
	fl_tmpl_filter_state_free_fn state_free;  /* may be NULL */
	const char *help;
};

struct fl_tmpl_function {
	const char *name;
	fl_val_func_fn fn;
	const char *help;
};

/* Lookup by name; NULL when unknown. */
const struct fl_tmpl_filter *fl_tmpl_filter_find(const char *name, size_t len);
const struct fl_tmpl_function *fl_tmpl_function_find(const char *name, size_t len);

/* The tables, for documentation and tests (terminated by a row with name NULL). */
extern const struct fl_tmpl_filter fl_tmpl_filters_builtin[];  /* pongo2 built-ins */
extern const struct fl_tmpl_filter fl_tmpl_filters_flyte[];    /* Flyte's own filters */
extern const struct fl_tmpl_function fl_tmpl_functions[];      /* static functions */

/*
 * Format an instant with a Go time layout ("2006-01-02T15:04:05Z07:00",
 * "Mon Jan _2 15:04:05 2006", ...) in the given offset, appending to out.
 * Used by the date/time filters, the `now` tag and the default rendering of
 * time values (layout "2006-01-02 15:04:05.999999999 -0700 MST").  Defined
 * with the filters.
 */
void fl_tmpl_format_go_layout(struct fl_buf *out, const char *layout, size_t layout_len, int64_t ns,
			      int offset_sec);

/* Render a nested template (the template() function); defined by the evaluator. */
int fl_tmpl_render_nested(struct fl_tmpl_call *call, const char *src, size_t len, fl_val *ctx, struct fl_buf *out);

#endif
