/* SPDX-License-Identifier: Apache-2.0 */
/*
 * template.h - compile-once, render-many pongo2-compatible templates.
 *
 * This is the API the engine uses.  A template is compiled once (errors carry
 * line and column), then rendered any number of times, from any thread,
 * against a context object.  Rendering never touches storage: the
 * datastore() function reads through the callback in struct fl_tmpl_env.
 *
 * Every evaluation is wrapped as in Flyte: autoescape is off unless the
 * template turns it on.  The static functions (randomInt, randomAlpha,
 * base64Encode, base64Decode, datastore, template, unmarshalJson) are
 * visible in every context and win over user keys of the same name.
 *
 * Budgets (struct fl_tmpl_limits) bound source size, output size, evaluation
 * steps (each node evaluated and each loop iteration counts; data a filter,
 * function or operator touches is charged by its size, one step per
 * FL_TMPL_BYTES_PER_STEP bytes or per container element), nesting depth of
 * template(), and regex cost.  A breach is an FL_ELIMIT error, never a hang
 * or a crash.  The environment may add a wall-clock deadline (FL_ETIMEOUT).
 */
#ifndef FL_TEMPLATE_H
#define FL_TEMPLATE_H

#include "buf.h"
#include "error.h"
#include "fl-common.h"
#include "value.h"

struct fl_tmpl;

/* Data charged to the step budget: one step per this many bytes. */
#define FL_TMPL_BYTES_PER_STEP 32

struct fl_tmpl_limits {
	size_t max_source;          /* bytes of template source, default 64 KiB */
	size_t max_output;          /* bytes rendered, default 1 MiB */
	uint64_t max_steps;         /* evaluation steps per render, default 1,000,000 */
	unsigned max_depth;         /* nesting of template() calls, default 8 */
	unsigned max_nesting;       /* parser nesting of tags/expressions, default 64 */
	uint32_t regex_match_limit; /* PCRE2 match limit, default 100,000 */
	uint32_t regex_depth_limit; /* PCRE2 depth limit, default 1,000 */
	size_t max_regex_len;       /* bytes of a regex pattern, default 4 KiB */
};

/* Fill in the defaults listed above. */
void fl_tmpl_limits_default(struct fl_tmpl_limits *lim);

/*
 * Datastore lookup used by datastore(key).  Return FL_OK and set *value
 * (malloc'd, caller of the callback frees with free()), *value_len and
 * *content_type (malloc'd, may be NULL for text/plain); return FL_ENOTFOUND
 * when the key does not exist, or another code with err set.
 */
typedef int (*fl_tmpl_datastore_fn)(void *payload, const char *key, size_t keylen, char **value,
				    size_t *value_len, char **content_type, struct fl_error *err);

struct fl_tmpl_env {
	const struct fl_tmpl_limits *limits; /* NULL: defaults */
	fl_tmpl_datastore_fn datastore;      /* NULL: datastore() always errors */
	void *datastore_payload;
	/* Wall-clock override for the `now` tag and tests (ns since epoch); 0 = real clock. */
	int64_t now_ns;
	/* Seed for randomInt/randomAlpha/random; 0 = seeded from the OS. */
	uint64_t random_seed;
	/*
	 * Monotonic deadline (fl_time_mono_ns) of the evaluation; 0 = none.  A
	 * render still running at the deadline fails with FL_ETIMEOUT.  The
	 * clock is read every few thousand steps and after every charge for
	 * data, so a render overruns it by at most one filter call.
	 */
	int64_t deadline_ns;
};

/*
 * Compile src (len bytes, need not be NUL-terminated).  On error returns a
 * negative code with err->msg such as "line 1, column 14: unknown filter 'uper'".
 * include/extends/import/ssi/macro are rejected with a clear message.
 * lim may be NULL (defaults).  *out is owned by the caller (fl_tmpl_free).
 */
int fl_tmpl_compile(struct fl_tmpl **out, const char *src, size_t len, const struct fl_tmpl_limits *lim,
		    struct fl_error *err);
void fl_tmpl_free(struct fl_tmpl *t);

/* The source text the template was compiled from (borrowed). */
const char *fl_tmpl_source(const struct fl_tmpl *t, size_t *len);
/* True if the template is plain text (no tags, variables or comments). */
bool fl_tmpl_is_literal(const struct fl_tmpl *t);

/*
 * Render t against ctx (an object, borrowed; may be NULL for an empty
 * context), appending to out.  env may be NULL.  On error returns a negative
 * code with err set; out may hold partial output.
 */
int fl_tmpl_render(const struct fl_tmpl *t, fl_val *ctx, const struct fl_tmpl_env *env, struct fl_buf *out,
		   struct fl_error *err);

/*
 * Render as a criteria: the output must parse as a Go strconv.ParseBool value
 * ("1 t T TRUE true True" / "0 f F FALSE false False"); anything else is an
 * FL_EINVALID error.
 */
int fl_tmpl_render_bool(const struct fl_tmpl *t, fl_val *ctx, const struct fl_tmpl_env *env, bool *out,
			struct fl_error *err);

/* Go strconv.ParseBool; returns 0 and sets *out, or -1. */
int fl_tmpl_parse_bool(const char *s, size_t len, bool *out);

#endif
