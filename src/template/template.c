/* SPDX-License-Identifier: Apache-2.0 */
/*
 * template.c - the public face of the template interpreter (template.h) and
 * the runtime services filters and functions use (builtin.h).
 *
 * Compiling copies the source, tokenizes it (lexer.c) and builds the tree
 * (parser.c) in an arena owned by the template.  Rendering sets up the
 * per-render state on the stack (scopes, step counter, random state, tag
 * slots), bounds the output buffer by the output budget and runs the tree
 * (eval.c, tags.c).  A compiled template is immutable, so renders may run
 * concurrently.  template() nests renders through fl_tmpl_render_nested.
 */
#include "fl-common.h"

#include <sys/random.h>

#include "alloc.h"
#include "buf.h"
#include "builtin.h"
#include "error.h"
#include "template.h"
#include "timeutil.h"
#include "tmpl-int.h"

#define ARENA_CHUNK 8192

struct fl_tmpl__chunk {
	struct fl_tmpl__chunk *next;
	size_t used, size;
	max_align_t data[];
};

void fl_tmpl_limits_default(struct fl_tmpl_limits *lim)
{
	lim->max_source = 64 * 1024;
	lim->max_output = 1024 * 1024;
	lim->max_steps = 1000000;
	lim->max_depth = 8;
	lim->max_nesting = 64;
	lim->regex_match_limit = 100000;
	lim->regex_depth_limit = 1000;
	lim->max_regex_len = 4 * 1024;
}

/* ---------------------------------------------------------------- arena */

void *fl_tmpl__alloc(struct fl_tmpl *t, size_t size)
{
	struct fl_tmpl__chunk *c = t->arena;
	const size_t align = sizeof(max_align_t);

	size = (size + align - 1) & ~(align - 1);
	if (!c || c->size - c->used < size) {
		size_t cap = size > ARENA_CHUNK ? size : ARENA_CHUNK;
		c = fl_xmalloc(sizeof(*c) + cap);
		c->size = cap;
		c->used = 0;
		c->next = t->arena;
		t->arena = c;
	}
	void *p = (char *)c->data + c->used;
	c->used += size;
	memset(p, 0, size);
	return p;
}

fl_val *fl_tmpl__keep(struct fl_tmpl *t, fl_val *v)
{
	if (t->nvals == t->capvals) {
		t->capvals = t->capvals ? t->capvals * 2 : 16;
		t->vals = fl_xrealloc(t->vals, t->capvals * sizeof(*t->vals));
	}
	t->vals[t->nvals++] = v;
	return v;
}

void fl_tmpl__keep_state(struct fl_tmpl *t, const struct fl_tmpl_filter *f, void *state)
{
	if (t->nstates == t->capstates) {
		t->capstates = t->capstates ? t->capstates * 2 : 4;
		t->states = fl_xrealloc(t->states, t->capstates * sizeof(*t->states));
	}
	t->states[t->nstates].f = f;
	t->states[t->nstates].state = state;
	t->nstates++;
}

/* -------------------------------------------------------------- compile */

int fl_tmpl_compile(struct fl_tmpl **out, const char *src, size_t len, const struct fl_tmpl_limits *lim,
		    struct fl_error *err)
{
	struct fl_tmpl_limits deflim;
	struct fl_tmpl__toks toks = { NULL, 0, 0 };
	struct fl_tmpl *t = NULL;
	int rc;

	*out = NULL;
	if (!lim) {
		fl_tmpl_limits_default(&deflim);
		lim = &deflim;
	}
	if (len > lim->max_source)
		return fl_error_set(err, FL_ELIMIT, "template source exceeds %zu bytes", lim->max_source);
	t = fl_xcalloc(1, sizeof(*t));
	t->src = fl_xmemdup0(src ? src : "", len);
	t->len = len;
	t->lim = *lim;
	rc = fl_tmpl__lex(&toks, t->src, len, err);
	if (rc)
		goto done;
	t->literal = toks.n == 0 ? len == 0 : (toks.n == 1 && toks.v[0].type == TOK_HTML && toks.v[0].len == len);
	rc = fl_tmpl__parse(t, &toks, &t->lim, err);
done:
	fl_tmpl__toks_release(&toks);
	if (rc) {
		fl_tmpl_free(t);
		return rc;
	}
	*out = t;
	return FL_OK;
}

void fl_tmpl_free(struct fl_tmpl *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->nstates; i++)
		if (t->states[i].f->state_free)
			t->states[i].f->state_free(t->states[i].state);
	free(t->states);
	for (size_t i = 0; i < t->nvals; i++)
		fl_val_unref(t->vals[i]);
	free(t->vals);
	while (t->arena) {
		struct fl_tmpl__chunk *c = t->arena;
		t->arena = c->next;
		free(c);
	}
	free(t->src);
	free(t);
}

const char *fl_tmpl_source(const struct fl_tmpl *t, size_t *len)
{
	if (len)
		*len = t->len;
	return t->src;
}

bool fl_tmpl_is_literal(const struct fl_tmpl *t)
{
	return t->literal;
}

/* --------------------------------------------------------------- render */

static int render_call(const struct fl_tmpl *t, fl_val *ctx, const struct fl_tmpl_call *call, struct fl_buf *out)
{
	struct fl_tmpl__rs rs;
	struct fl_tmpl__scope root;
	struct fl_tmpl__slot small[4];
	size_t saved_max = out->max;
	size_t cur_max = out->max ? out->max : FL_BUF_DEFAULT_MAX;
	size_t budget = call->limits->max_output;
	int rc;

	memset(&rs, 0, sizeof(rs));
	rs.t = t;
	rs.call = *call;
	rs.err = call->err;
	rs.ctx = ctx;
	rs.out = out;
	rs.out_base = out->len;
	rs.slots = small;
	if (t->nslots > FL_ARRAY_LEN(small))
		rs.slots = fl_xcalloc(t->nslots, sizeof(*rs.slots));
	else
		memset(small, 0, sizeof(small));
	if (out->len <= SIZE_MAX - budget && out->len + budget < cur_max)
		out->max = out->len + budget;
	fl_tmpl__scope_push(&rs, &root);

	rc = fl_tmpl__exec_list(&rs, t->root);

	fl_tmpl__scope_pop(&rs);
	out->max = saved_max;
	for (size_t i = 0; i < t->nslots; i++) {
		for (size_t k = 0; k < rs.slots[i].nlast; k++)
			fl_val_unref(rs.slots[i].last[k]);
		free(rs.slots[i].last);
		free(rs.slots[i].content);
	}
	if (rs.slots != small)
		free(rs.slots);
	return rc;
}

int fl_tmpl_render(const struct fl_tmpl *t, fl_val *ctx, const struct fl_tmpl_env *env, struct fl_buf *out,
		   struct fl_error *err)
{
	struct fl_error local = FL_ERROR_INIT;
	struct fl_tmpl_call call;
	uint64_t steps = 0, rng = 0;

	memset(&call, 0, sizeof(call));
	call.err = err ? err : &local;
	call.env = env;
	call.limits = env && env->limits ? env->limits : &t->lim;
	call.steps = &steps;
	call.rng = &rng;
	call.depth = 0;
	call.autoescape = false;
	return render_call(t, ctx, &call, out);
}

int fl_tmpl_parse_bool(const char *s, size_t len, bool *out)
{
	static const struct {
		const char *text;
		bool value;
	} words[] = {
		{ "1", true },  { "t", true },  { "T", true },  { "TRUE", true },   { "true", true },   { "True", true },
		{ "0", false }, { "f", false }, { "F", false }, { "FALSE", false }, { "false", false }, { "False", false },
	};
	for (size_t i = 0; i < FL_ARRAY_LEN(words); i++) {
		if (strlen(words[i].text) == len && memcmp(words[i].text, s, len) == 0) {
			*out = words[i].value;
			return 0;
		}
	}
	return -1;
}

int fl_tmpl_render_bool(const struct fl_tmpl *t, fl_val *ctx, const struct fl_tmpl_env *env, bool *out,
			struct fl_error *err)
{
	struct fl_buf b = FL_BUF_INIT(0);
	int rc = fl_tmpl_render(t, ctx, env, &b, err);

	*out = false;
	if (!rc && fl_tmpl_parse_bool(b.ptr, b.len, out) != 0) {
		size_t show = b.len > 64 ? 64 : b.len;
		rc = fl_error_set(err, FL_EINVALID, "criteria output '%.*s%s' is not a boolean", (int)show, b.ptr,
				  b.len > show ? "..." : "");
	}
	fl_buf_release(&b);
	return rc;
}

int fl_tmpl_render_nested(struct fl_tmpl_call *call, const char *src, size_t len, fl_val *ctx, struct fl_buf *out)
{
	struct fl_tmpl *t = NULL;
	struct fl_tmpl_call nested;
	int rc;

	if (call->depth + 1 > call->limits->max_depth)
		return fl_error_set(call->err, FL_ELIMIT, "template() nesting exceeds %u levels", call->limits->max_depth);
	rc = fl_tmpl_compile(&t, src, len, call->limits, call->err);
	if (rc)
		return rc;
	nested = *call;
	nested.depth = call->depth + 1;
	nested.autoescape = false;
	rc = render_call(t, ctx, &nested, out);
	if (!rc && out->failed)
		rc = fl_error_set(call->err, FL_ELIMIT, "output exceeds %zu bytes", call->limits->max_output);
	fl_tmpl_free(t);
	return rc;
}

/* ---------------------------------------------------------- call runtime */

int fl_tmpl_call_step(struct fl_tmpl_call *call, uint64_t n)
{
	*call->steps += n;
	if (*call->steps > call->limits->max_steps)
		return fl_error_set(call->err, FL_ELIMIT, "evaluation exceeds %" PRIu64 " steps",
				    call->limits->max_steps);
	return FL_OK;
}

uint64_t fl_tmpl_call_random(struct fl_tmpl_call *call)
{
	uint64_t x = *call->rng;

	if (!x) {
		if (call->env && call->env->random_seed)
			x = call->env->random_seed;
		else if (getrandom(&x, sizeof(x), 0) != (ssize_t)sizeof(x))
			x = (uint64_t)fl_time_now_ns() ^ (uint64_t)(uintptr_t)call;
		if (!x)
			x = 0x9e3779b97f4a7c15u;
	}
	/* xorshift64* */
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*call->rng = x;
	return x * 0x2545f4914f6cdd1du;
}
