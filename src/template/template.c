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

/* Arena chunks start small (most flow templates are a few nodes) and double. */
#define ARENA_FIRST 512
#define ARENA_MAX 65536

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
		size_t cap = c ? FL_MIN(c->size * 2, (size_t)ARENA_MAX) : ARENA_FIRST;
		if (cap < size)
			cap = size;
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
	FL_GROW(t->vals, t->capvals, t->nvals + 1);
	t->vals[t->nvals++] = v;
	return v;
}

void fl_tmpl__keep_state(struct fl_tmpl *t, const struct fl_tmpl_filter *f, void *state)
{
	FL_GROW(t->states, t->capstates, t->nstates + 1);
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

/* The state of one render, set up and torn down around the tree's execution. */
struct render {
	struct fl_tmpl__rs rs;
	struct fl_tmpl__scope root;
	struct fl_tmpl__slot small[4];
	size_t saved_max;
};

static void render_begin(struct render *r, const struct fl_tmpl *t, fl_val *ctx, const struct fl_tmpl_call *call,
			 struct fl_buf *out)
{
	size_t cur_max = out->max ? out->max : FL_BUF_DEFAULT_MAX;
	size_t budget = call->limits->max_output;

	memset(&r->rs, 0, sizeof(r->rs));
	r->rs.t = t;
	r->rs.call = *call;
	r->rs.err = call->err;
	r->rs.ctx = ctx;
	r->rs.out = out;
	r->rs.out_base = out->len;
	r->rs.slots = r->small;
	if (t->nslots > FL_ARRAY_LEN(r->small))
		r->rs.slots = fl_xcalloc(t->nslots, sizeof(*r->rs.slots));
	else if (t->nslots)
		memset(r->small, 0, t->nslots * sizeof(r->small[0]));
	r->saved_max = out->max;
	if (out->len <= SIZE_MAX - budget && out->len + budget < cur_max)
		out->max = out->len + budget;
	fl_tmpl__scope_push(&r->rs, &r->root);
}

static void render_end(struct render *r, const struct fl_tmpl *t)
{
	struct fl_tmpl__rs *rs = &r->rs;

	fl_tmpl__scope_pop(rs);
	rs->out->max = r->saved_max;
	for (size_t i = 0; i < t->nslots; i++) {
		for (size_t k = 0; k < rs->slots[i].nlast; k++)
			fl_val_unref(rs->slots[i].last[k]);
		free(rs->slots[i].last);
		free(rs->slots[i].content);
	}
	if (rs->slots != r->small)
		free(rs->slots);
}

static int render_call(const struct fl_tmpl *t, fl_val *ctx, const struct fl_tmpl_call *call, struct fl_buf *out)
{
	struct render r;
	int rc;

	render_begin(&r, t, ctx, call, out);
	rc = fl_tmpl__exec_list(&r.rs, t->root);
	render_end(&r, t);
	return rc;
}

static void call_init(struct fl_tmpl_call *call, const struct fl_tmpl *t, const struct fl_tmpl_env *env,
		      struct fl_error *err, uint64_t *steps, uint64_t *rng)
{
	memset(call, 0, sizeof(*call));
	call->err = err;
	call->env = env;
	call->limits = env && env->limits ? env->limits : &t->lim;
	call->steps = steps;
	call->rng = rng;
}

int fl_tmpl_render(const struct fl_tmpl *t, fl_val *ctx, const struct fl_tmpl_env *env, struct fl_buf *out,
		   struct fl_error *err)
{
	struct fl_error local = FL_ERROR_INIT;
	struct fl_tmpl_call call;
	uint64_t steps = 0, rng = 0;

	fl_error_clear(err);
	call_init(&call, t, env, err ? err : &local, &steps, &rng);
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

/*
 * A criteria that is a single `{{ expression }}` is evaluated without
 * rendering: a boolean result is the answer (True/False parse back to it),
 * any other value is rendered into b exactly as {{ }} would.  Returns
 * FAST_DECIDED, FAST_RENDERED, FAST_NO (another shape of template) or an error.
 */
enum { FAST_NO = 0, FAST_RENDERED = 1, FAST_DECIDED = 2 };

static int bool_fast_path(const struct fl_tmpl *t, fl_val *ctx, const struct fl_tmpl_env *env, bool *out,
			  struct fl_buf *b, struct fl_error *err)
{
	struct fl_tmpl_call call;
	struct fl_buf none = FL_BUF_INIT(1);
	struct render r;
	uint64_t steps = 0, rng = 0;
	fl_val *v = NULL;
	int rc;

	if (!t->root || t->root->next || t->root->exec != fl_tmpl__exec_output)
		return FAST_NO;
	call_init(&call, t, env, err, &steps, &rng);
	render_begin(&r, t, ctx, &call, &none);
	rc = fl_tmpl__step(&r.rs);
	if (!rc)
		rc = fl_tmpl__eval(&r.rs, t->root->ex[0], &v);
	render_end(&r, t);
	if (rc)
		return rc;
	rc = FAST_RENDERED;
	if (fl_val_type(v) == FL_VAL_BOOL) {
		*out = fl_val_get_bool(v);
		rc = FAST_DECIDED;
	} else {
		fl_val_render(v, b);
	}
	fl_val_unref(v);
	if (b->failed)
		return fl_error_set(err, FL_ELIMIT, "output exceeds %zu bytes", call.limits->max_output);
	return rc;
}

int fl_tmpl_render_bool(const struct fl_tmpl *t, fl_val *ctx, const struct fl_tmpl_env *env, bool *out,
			struct fl_error *err)
{
	struct fl_error local = FL_ERROR_INIT;
	struct fl_buf b = FL_BUF_INIT(0);
	int rc;

	*out = false;
	fl_error_clear(err);
	fl_buf_init(&b, env && env->limits ? env->limits->max_output : t->lim.max_output);
	rc = bool_fast_path(t, ctx, env, out, &b, err ? err : &local);
	if (rc == FAST_DECIDED) {
		fl_buf_release(&b);
		return FL_OK;
	}
	if (rc == FAST_NO)
		rc = fl_tmpl_render(t, ctx, env, &b, err);
	else if (rc == FAST_RENDERED)
		rc = FL_OK;
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
	const struct fl_tmpl_env *env = call->env;

	*call->steps += n;
	if (*call->steps > call->limits->max_steps)
		return fl_error_set(call->err, FL_ELIMIT, "evaluation exceeds %" PRIu64 " steps",
				    call->limits->max_steps);
	if (env && env->deadline_ns && fl_time_mono_ns() > env->deadline_ns)
		return fl_error_set(call->err, FL_ETIMEOUT, "evaluation exceeds its time limit");
	return FL_OK;
}

int fl_tmpl_call_charge(struct fl_tmpl_call *call, const fl_val *v)
{
	uint64_t n;

	switch (v ? fl_val_type(v) : FL_VAL_NIL) {
	case FL_VAL_STR:
		n = fl_val_len(v) / FL_TMPL_BYTES_PER_STEP;
		break;
	case FL_VAL_ARRAY:
	case FL_VAL_OBJECT:
		n = fl_val_len(v);
		break;
	default:
		return FL_OK;
	}
	return n ? fl_tmpl_call_step(call, n) : FL_OK;
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

uint64_t fl_tmpl_call_random_below(struct fl_tmpl_call *call, uint64_t n)
{
	uint64_t limit = UINT64_MAX - UINT64_MAX % n;
	uint64_t r = fl_tmpl_call_random(call);

	for (int k = 0; k < 64 && r >= limit; k++)
		r = fl_tmpl_call_random(call);
	return r % n;
}
