/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tags.c - the tags of the template language: one registration table (name,
 * parser, help) and, per tag, the parser that fills a node and the executor
 * that runs it.
 *
 * Semantics follow pongo2's tags_*.go: `for` and `with` open a child scope
 * (variables set inside do not leak out), `set` writes the innermost scope,
 * `cycle`/`ifchanged` keep their state per render (not in the compiled
 * template, which stays immutable and shareable between threads).  Tags that
 * load other templates (include, extends, block, import, ssi, macro) are
 * rejected: a flow template is a single string.
 *
 * Use of the generic node fields, per tag:
 *   if          ex[i] conditions, body[i] branches, body[nex] the else branch
 *   for         text key name, text2 value name, ex[0] iterable, body[0] loop,
 *               body[1] empty branch, flags FOR_*
 *   set         text name, ex[0]
 *   with        names[i] = ex[i], body[0]
 *   firstof     ex[i]
 *   cycle       ex[i] values, text `as` name, flags CYCLE_*, slot; a reference
 *               `{% cycle name %}` has body[0] = the named cycle's node
 *   autoescape  flags AUTOESCAPE_ON, body[0]
 *   filter      fc[i] filter chain, body[0]
 *   spaceless   body[0]
 *   templatetag text = the characters to write
 *   widthratio  ex[0..2], text `as` name
 *   now         text layout, flags NOW_FAKE
 *   ifchanged   ex[i] watched values, body[0] then, body[1] else, slot
 *   ifequal     ex[0], ex[1], body[0] then, body[1] else, flags IFEQUAL_NOT
 *   lorem       num count, flags LOREM_*
 */
#include "fl-common.h"

#include <math.h>

#include "alloc.h"
#include "builtin.h"
#include "error.h"
#include "timeutil.h"
#include "filters/conv.h"
#include "tmpl-int.h"
#include "utf8.h"

enum {
	FOR_REVERSED = 1 << 0,
	FOR_SORTED = 1 << 1,
	CYCLE_SILENT = 1 << 0,
	CYCLE_REF = 1 << 1,
	AUTOESCAPE_ON = 1 << 0,
	NOW_FAKE = 1 << 0,
	IFEQUAL_NOT = 1 << 0,
	LOREM_WORDS = 1 << 0,
	LOREM_PARAS = 1 << 1,
	LOREM_RANDOM = 1 << 2,
};

#define MAX_BRANCHES 64
#define LOREM_MAX_COUNT 100000

/* -------------------------------------------------------------- helpers */

static void *arena_dup(struct fl_tmpl__ps *ps, const void *p, size_t size)
{
	void *d;

	if (!size)
		return NULL;
	d = fl_tmpl__alloc(ps->t, size);
	memcpy(d, p, size);
	return d;
}

static void set_bodies(struct fl_tmpl__ps *ps, struct fl_tmpl__node *n, struct fl_tmpl__node **b, size_t nb)
{
	n->nbody = nb;
	n->body = arena_dup(ps, b, nb * sizeof(*b));
}

static void set_exprs(struct fl_tmpl__ps *ps, struct fl_tmpl__node *n, struct fl_tmpl__ex **e, size_t ne)
{
	n->nex = ne;
	n->ex = arena_dup(ps, e, ne * sizeof(*e));
}

static int parse_one_expr(struct fl_tmpl__ps *ps, struct fl_tmpl__node *n)
{
	struct fl_tmpl__ex *e;
	int rc = fl_tmpl__parse_expr(ps, &e);

	if (rc)
		return rc;
	set_exprs(ps, n, &e, 1);
	return FL_OK;
}

/* Parse `{% ... %}` arguments as a list of expressions until `as` or the end. */
static int parse_expr_list(struct fl_tmpl__ps *ps, struct fl_tmpl__node *n, size_t max, const char *what)
{
	struct fl_tmpl__ex *list[MAX_BRANCHES];
	size_t k = 0;
	int rc;

	while (fl_tmpl__args_left(ps) && !fl_tmpl__tok_is(fl_tmpl__peek(ps), TOK_KEYWORD, "as")) {
		if (k == max || k == FL_ARRAY_LEN(list))
			return fl_tmpl__perr(ps, fl_tmpl__peek(ps), FL_EINVALID, "too many arguments for '%s'", what);
		rc = fl_tmpl__parse_expr(ps, &list[k]);
		if (rc)
			return rc;
		k++;
	}
	set_exprs(ps, n, list, k);
	return FL_OK;
}

static const char *const ends_endif[] = { "endif", NULL };

#define EXEC(name) static int name(struct fl_tmpl__rs *rs, const struct fl_tmpl__node *n)
EXEC(exec_if);
EXEC(exec_for);
EXEC(exec_set);
EXEC(exec_with);
EXEC(exec_firstof);
EXEC(exec_cycle);
EXEC(exec_autoescape);
EXEC(exec_filter);
EXEC(exec_spaceless);
EXEC(exec_templatetag);
EXEC(exec_widthratio);
EXEC(exec_now);
EXEC(exec_ifchanged);
EXEC(exec_ifequal);
EXEC(exec_lorem);

/* Parse a body that ends with one `{% name %}` without arguments. */
static int simple_body(struct fl_tmpl__ps *ps, const struct fl_tmpl__tok *name, const char *end,
		       struct fl_tmpl__node **body)
{
	const char *ends[] = { end, NULL };
	size_t which;
	int rc = fl_tmpl__parse_body(ps, ends, body, &which, name);

	return rc ? rc : fl_tmpl__close_tag(ps, end);
}

/*
 * After a tag's arguments: close `{% tag %}`, parse the body up to
 * `{% mid %}` or `{% end %}` and, after `{% mid %}`, a second body up to
 * `{% end %}`; n gets the one or two bodies.  (for/empty, ifchanged/else,
 * ifequal/else.)
 */
static int two_bodies(struct fl_tmpl__ps *ps, const struct fl_tmpl__tok *name, struct fl_tmpl__node *n,
		      const char *tag, const char *mid, const char *end)
{
	const char *const ends[] = { mid, end, NULL };
	struct fl_tmpl__node *bodies[2];
	size_t nb = 0, which;
	int rc = fl_tmpl__close_tag(ps, tag);

	if (!rc)
		rc = fl_tmpl__parse_body(ps, ends, &bodies[nb++], &which, name);
	if (!rc && which == 0) {
		rc = fl_tmpl__close_tag(ps, mid);
		if (!rc)
			rc = fl_tmpl__parse_body(ps, ends + 1, &bodies[nb++], &which, name);
	}
	if (!rc)
		rc = fl_tmpl__close_tag(ps, end);
	if (!rc)
		set_bodies(ps, n, bodies, nb);
	return rc;
}

/* ------------------------------------------------------------------ if */

static int parse_if(struct fl_tmpl__ps *ps, const struct fl_tmpl__tok *name, struct fl_tmpl__node *n)
{
	static const char *const ends[] = { "elif", "else", "endif", NULL };
	struct fl_tmpl__ex *conds[MAX_BRANCHES];
	struct fl_tmpl__node *bodies[MAX_BRANCHES + 1];
	size_t nc = 0, nb = 0, which;
	int rc;

	n->exec = exec_if;
	if (!fl_tmpl__args_left(ps))
		return fl_tmpl__perr(ps, name, FL_EINVALID, "'if' requires a condition");
	rc = fl_tmpl__parse_expr(ps, &conds[nc++]);
	if (!rc)
		rc = fl_tmpl__close_tag(ps, "if");
	while (!rc) {
		rc = fl_tmpl__parse_body(ps, ends, &bodies[nb++], &which, name);
		if (rc)
			break;
		if (which == 0) {
			if (nc == MAX_BRANCHES)
				return fl_tmpl__perr(ps, fl_tmpl__peek(ps), FL_ELIMIT, "too many 'elif' branches");
			if (!fl_tmpl__args_left(ps))
				return fl_tmpl__perr(ps, name, FL_EINVALID, "'elif' requires a condition");
			rc = fl_tmpl__parse_expr(ps, &conds[nc++]);
			if (!rc)
				rc = fl_tmpl__close_tag(ps, "elif");
			continue;
		}
		if (which == 1) {
			rc = fl_tmpl__close_tag(ps, "else");
			if (!rc)
				rc = fl_tmpl__parse_body(ps, ends_endif, &bodies[nb++], &which, name);
		}
		if (!rc)
			rc = fl_tmpl__close_tag(ps, "endif");
		break;
	}
	if (rc)
		return rc;
	set_exprs(ps, n, conds, nc);
	set_bodies(ps, n, bodies, nb);
	return FL_OK;
}

static int exec_if(struct fl_tmpl__rs *rs, const struct fl_tmpl__node *n)
{
	for (size_t i = 0; i < n->nex; i++) {
		fl_val *v;
		int rc = fl_tmpl__eval(rs, n->ex[i], &v);
		if (rc)
			return rc;
		bool t = fl_val_truthy(v);
		fl_val_unref(v);
		if (t)
			return fl_tmpl__exec_list(rs, n->body[i]);
	}
	if (n->nbody > n->nex)
		return fl_tmpl__exec_list(rs, n->body[n->nex]);
	return FL_OK;
}

/* ----------------------------------------------------------------- for */

static int parse_for(struct fl_tmpl__ps *ps, const struct fl_tmpl__tok *name, struct fl_tmpl__node *n)
{
	const struct fl_tmpl__tok *key, *val = NULL;
	int rc;

	n->exec = exec_for;
	key = fl_tmpl__match_type(ps, TOK_IDENT);
	if (!key)
		return fl_tmpl__perr(ps, fl_tmpl__peek(ps), FL_EINVALID,
				     "expected a key identifier as first argument for 'for'");
	if (fl_tmpl__match(ps, TOK_SYMBOL, ",")) {
		val = fl_tmpl__match_type(ps, TOK_IDENT);
		if (!val)
			return fl_tmpl__perr(ps, fl_tmpl__peek(ps), FL_EINVALID, "value name must be an identifier");
	}
	if (!fl_tmpl__match(ps, TOK_KEYWORD, "in"))
		return fl_tmpl__perr(ps, fl_tmpl__peek(ps), FL_EINVALID, "expected keyword 'in'");
	rc = parse_one_expr(ps, n);
	if (rc)
		return rc;
	n->text = fl_str_make(key->p, key->len);
	if (val)
		n->text2 = fl_str_make(val->p, val->len);
	if (fl_tmpl__match(ps, TOK_IDENT, "reversed"))
		n->flags |= FOR_REVERSED;
	if (fl_tmpl__match(ps, TOK_IDENT, "sorted"))
		n->flags |= FOR_SORTED;
	return two_bodies(ps, name, n, "for", "empty", "endfor");
}

struct sort_item {
	const char *key;
	size_t keylen;
	fl_val *v;
};

static int cmp_keys(const void *a, const void *b)
{
	const struct sort_item *x = a, *y = b;
	int c = memcmp(x->key, y->key, FL_MIN(x->keylen, y->keylen));
	return c ? c : (x->keylen > y->keylen) - (x->keylen < y->keylen);
}

/* Order of values for `sorted`: numbers numerically, strings bytewise, others by type. */
static int cmp_vals(const void *a, const void *b)
{
	const fl_val *x = ((const struct sort_item *)a)->v, *y = ((const struct sort_item *)b)->v;

	if (fl_val_is_number(x) && fl_val_is_number(y)) {
		double p = fl_val_as_double(x), q = fl_val_as_double(y);
		return (p > q) - (p < q);
	}
	if (fl_val_type(x) == FL_VAL_STR && fl_val_type(y) == FL_VAL_STR) {
		struct sort_item i = { fl_val_get_str(x, NULL), fl_val_len(x), NULL };
		struct sort_item j = { fl_val_get_str(y, NULL), fl_val_len(y), NULL };
		return cmp_keys(&i, &j);
	}
	return (int)fl_val_type(x) - (int)fl_val_type(y);
}

static int exec_for(struct fl_tmpl__rs *rs, const struct fl_tmpl__node *n)
{
	static const struct fl_str forloop = { "forloop", 7 };
	struct fl_tmpl__scope scope;
	struct fl_tmpl__loop loop = { 0, 0, NULL };
	const struct fl_tmpl__svar *parent;
	struct sort_item *items = NULL;
	size_t count = 0;
	fl_val *obj;
	int rc;

	rc = fl_tmpl__eval(rs, n->ex[0], &obj);
	if (rc)
		return rc;
	switch (fl_val_type(obj)) {
	case FL_VAL_ARRAY:
	case FL_VAL_OBJECT:
		count = fl_val_len(obj);
		break;
	case FL_VAL_STR: {
		size_t len;
		const char *s = fl_val_get_str(obj, &len);
		count = fl_utf8_count(s, len);
		break;
	}
	default:
		break;
	}
	if (!count) {
		fl_val_unref(obj);
		return n->nbody > 1 ? fl_tmpl__exec_list(rs, n->body[1]) : FL_OK;
	}
	items = fl_xmallocarray(count, sizeof(*items));
	if (fl_val_type(obj) == FL_VAL_OBJECT) {
		for (size_t i = 0; i < count; i++)
			fl_val_object_entry(obj, i, &items[i].key, &items[i].keylen, &items[i].v);
		/* Go ranges over maps in random order; flyte iterates keys sorted */
		qsort(items, count, sizeof(*items), cmp_keys);
	} else if (fl_val_type(obj) == FL_VAL_ARRAY) {
		for (size_t i = 0; i < count; i++)
			items[i] = (struct sort_item){ NULL, 0, fl_val_array_get(obj, i) };
		if (n->flags & FOR_SORTED)
			qsort(items, count, sizeof(*items), cmp_vals);
	} else {
		size_t len, k = 0;
		const char *s = fl_val_get_str(obj, &len);
		for (size_t i = 0; i < len; k++) {
			size_t w; /* Go ranges over a string rune by rune, an invalid byte being one rune */
			(void)fl_utf8_decode_rune(s + i, len - i, &w);
			items[k] = (struct sort_item){ s + i, w, NULL };
			i += w;
		}
		if (n->flags & FOR_SORTED)
			qsort(items, count, sizeof(*items), cmp_keys);
	}

	parent = NULL;
	for (const struct fl_tmpl__scope *s = rs->scope; s && !parent; s = s->parent)
		for (size_t i = 0; i < s->n; i++)
			if (s->vars[i].loop && fl_str_eq(fl_str_make(s->vars[i].name, s->vars[i].len), forloop))
				parent = &s->vars[i];
	loop.parent = parent ? parent->loop : NULL;
	loop.count = (int64_t)count;
	fl_tmpl__scope_push(rs, &scope);
	fl_tmpl__scope_slot(rs, forloop)->loop = &loop;

	for (size_t k = 0; k < count; k++) {
		size_t i = (n->flags & FOR_REVERSED) ? count - 1 - k : k;
		fl_val *key, *val = NULL;

		rc = fl_tmpl__step(rs);
		if (rc)
			break;
		if (fl_val_type(obj) == FL_VAL_OBJECT) {
			key = fl_val_str(items[i].key, items[i].keylen);
			val = fl_val_ref(items[i].v);
		} else if (fl_val_type(obj) == FL_VAL_ARRAY) {
			key = fl_val_ref(items[i].v);
		} else {
			key = fl_val_str(items[i].key, items[i].keylen);
		}
		loop.counter0 = (int64_t)k;
		fl_tmpl__scope_set(rs, n->text, key);
		if (val && n->text2.len)
			fl_tmpl__scope_set(rs, n->text2, val);
		else
			fl_val_unref(val);
		rc = fl_tmpl__exec_list(rs, n->body[0]);
		if (rc)
			break;
	}
	fl_tmpl__scope_pop(rs);
	free(items);
	fl_val_unref(obj);
	return rc;
}

/* ----------------------------------------------------------------- set */

static int parse_set(struct fl_tmpl__ps *ps, const struct fl_tmpl__tok *name, struct fl_tmpl__node *n)
{
	const struct fl_tmpl__tok *var = fl_tmpl__match_type(ps, TOK_IDENT);
	int rc;

	(void)name;
	n->exec = exec_set;
	if (!var)
		return fl_tmpl__perr(ps, fl_tmpl__peek(ps), FL_EINVALID, "'set' expects an identifier");
	if (!fl_tmpl__match(ps, TOK_SYMBOL, "="))
		return fl_tmpl__perr(ps, fl_tmpl__peek(ps), FL_EINVALID, "expected '=' after '%.*s'", (int)var->len,
				     var->p);
	n->text = fl_str_make(var->p, var->len);
	rc = parse_one_expr(ps, n);
	return rc ? rc : fl_tmpl__close_tag(ps, "set");
}

static int exec_set(struct fl_tmpl__rs *rs, const struct fl_tmpl__node *n)
{
	fl_val *v;
	int rc = fl_tmpl__eval(rs, n->ex[0], &v);

	if (rc)
		return rc;
	fl_tmpl__scope_set(rs, n->text, v);
	return FL_OK;
}

/* ---------------------------------------------------------------- with */

static int parse_with(struct fl_tmpl__ps *ps, const struct fl_tmpl__tok *name, struct fl_tmpl__node *n)
{
	struct fl_tmpl__ex *ex[MAX_BRANCHES];
	struct fl_str names[MAX_BRANCHES];
	size_t k = 0;
	int rc;

	n->exec = exec_with;
	if (!fl_tmpl__args_left(ps))
		return fl_tmpl__perr(ps, name, FL_EINVALID, "'with' requires an argument");
	while (fl_tmpl__args_left(ps)) {
		const struct fl_tmpl__tok *t = fl_tmpl__peek(ps);
		if (k == MAX_BRANCHES)
			return fl_tmpl__perr(ps, t, FL_ELIMIT, "too many 'with' variables");
		if (t->type == TOK_IDENT && ps->pos + 1 < ps->end &&
		    fl_tmpl__tok_is(&ps->tok[ps->pos + 1], TOK_SYMBOL, "=")) {
			ps->pos += 2;
			names[k] = fl_str_make(t->p, t->len);
			rc = fl_tmpl__parse_expr(ps, &ex[k]);
			if (rc)
				return rc;
		} else {
			/* legacy form: expr as name */
			const struct fl_tmpl__tok *as;
			rc = fl_tmpl__parse_expr(ps, &ex[k]);
			if (rc)
				return rc;
			if (!fl_tmpl__match(ps, TOK_KEYWORD, "as"))
				return fl_tmpl__perr(ps, fl_tmpl__peek(ps), FL_EINVALID, "expected '=' or 'as' in 'with'");
			as = fl_tmpl__match_type(ps, TOK_IDENT);
			if (!as)
				return fl_tmpl__perr(ps, fl_tmpl__peek(ps), FL_EINVALID, "expected a name after 'as'");
			names[k] = fl_str_make(as->p, as->len);
		}
		k++;
	}
	set_exprs(ps, n, ex, k);
	n->nnames = k;
	n->names = arena_dup(ps, names, k * sizeof(*names));
	rc = fl_tmpl__close_tag(ps, "with");
	if (!rc) {
		struct fl_tmpl__node *body;
		rc = simple_body(ps, name, "endwith", &body);
		if (!rc)
			set_bodies(ps, n, &body, 1);
	}
	return rc;
}

static int exec_with(struct fl_tmpl__rs *rs, const struct fl_tmpl__node *n)
{
	fl_val *vals[MAX_BRANCHES];
	struct fl_tmpl__scope scope;
	int rc = FL_OK;
	size_t k;

	for (k = 0; k < n->nex; k++) {
		rc = fl_tmpl__eval(rs, n->ex[k], &vals[k]);
		if (rc)
			break;
	}
	if (rc) {
		while (k-- > 0)
			fl_val_unref(vals[k]);
		return rc;
	}
	fl_tmpl__scope_push(rs, &scope);
	for (k = 0; k < n->nex; k++)
		fl_tmpl__scope_set(rs, n->names[k], vals[k]);
	rc = fl_tmpl__exec_list(rs, n->body[0]);
	fl_tmpl__scope_pop(rs);
	return rc;
}

/* -------------------------------------------------------------- firstof */

static int parse_firstof(struct fl_tmpl__ps *ps, const struct fl_tmpl__tok *name, struct fl_tmpl__node *n)
{
	int rc;

	n->exec = exec_firstof;
	if (!fl_tmpl__args_left(ps))
		return fl_tmpl__perr(ps, name, FL_EINVALID, "'firstof' requires at least one argument");
	rc = parse_expr_list(ps, n, MAX_BRANCHES, "firstof");
	return rc ? rc : fl_tmpl__close_tag(ps, "firstof");
}

static int exec_firstof(struct fl_tmpl__rs *rs, const struct fl_tmpl__node *n)
{
	for (size_t i = 0; i < n->nex; i++) {
		fl_val *v;
		int rc = fl_tmpl__eval(rs, n->ex[i], &v);
		if (rc)
			return rc;
		if (fl_val_truthy(v)) {
			fl_tmpl__emit(rs, v);
			fl_val_unref(v);
			return FL_OK;
		}
		fl_val_unref(v);
	}
	return FL_OK;
}

/* ---------------------------------------------------------------- cycle */

static int parse_cycle(struct fl_tmpl__ps *ps, const struct fl_tmpl__tok *name, struct fl_tmpl__node *n)
{
	int rc;

	n->exec = exec_cycle;
	n->slot = ps->t->nslots++;
	if (!fl_tmpl__args_left(ps))
		return fl_tmpl__perr(ps, name, FL_EINVALID, "'cycle' requires at least one argument");
	rc = parse_expr_list(ps, n, MAX_BRANCHES, "cycle");
	if (rc)
		return rc;
	if (!n->nex)
		return fl_tmpl__perr(ps, name, FL_EINVALID, "'cycle' requires at least one value");
	if (fl_tmpl__match(ps, TOK_KEYWORD, "as")) {
		const struct fl_tmpl__tok *as = fl_tmpl__match_type(ps, TOK_IDENT);
		if (!as)
			return fl_tmpl__perr(ps, fl_tmpl__peek(ps), FL_EINVALID, "name (identifier) expected after 'as'");
		n->text = fl_str_make(as->p, as->len);
		if (fl_tmpl__match(ps, TOK_IDENT, "silent"))
			n->flags |= CYCLE_SILENT;
		if (ps->ncycles < FL_ARRAY_LEN(ps->cycles)) {
			ps->cycles[ps->ncycles] = n->text;
			ps->cycle_node[ps->ncycles] = n;
			ps->ncycles++;
		}
	} else if (n->nex == 1 && n->ex[0]->kind == EX_VAR && n->ex[0]->u.var.nacc == 0) {
		/* {% cycle name %} advances the cycle declared `as name` earlier */
		for (size_t i = ps->ncycles; i-- > 0;) {
			if (fl_str_eq(ps->cycles[i], n->ex[0]->u.var.name)) {
				struct fl_tmpl__node *ref = ps->cycle_node[i];
				n->flags |= CYCLE_REF;
				n->text = ps->cycles[i];
				set_bodies(ps, n, &ref, 1);
				break;
			}
		}
	}
	return fl_tmpl__close_tag(ps, "cycle");
}

static int cycle_next(struct fl_tmpl__rs *rs, const struct fl_tmpl__node *c)
{
	struct fl_tmpl__slot *slot = &rs->slots[c->slot];
	fl_val *v;
	int rc = fl_tmpl__eval(rs, c->ex[(size_t)(slot->idx % (int64_t)c->nex)], &v);

	slot->idx++;
	if (rc)
		return rc;
	if (!(c->flags & CYCLE_SILENT))
		fl_val_render(v, rs->out);
	if (c->text.len)
		fl_tmpl__scope_set(rs, c->text, v);
	else
		fl_val_unref(v);
	return FL_OK;
}

static int exec_cycle(struct fl_tmpl__rs *rs, const struct fl_tmpl__node *n)
{
	if (n->flags & CYCLE_REF) {
		const struct fl_tmpl__node *c = n->body[0];
		if (rs->slots[c->slot].idx > 0)
			return cycle_next(rs, c);
	}
	return cycle_next(rs, n);
}

/* ----------------------------------------------------------- autoescape */

static int parse_autoescape(struct fl_tmpl__ps *ps, const struct fl_tmpl__tok *name, struct fl_tmpl__node *n)
{
	const struct fl_tmpl__tok *mode = fl_tmpl__match_type(ps, TOK_IDENT);
	struct fl_tmpl__node *body;
	int rc;

	n->exec = exec_autoescape;
	if (!mode || !(fl_tmpl__tok_is(mode, TOK_IDENT, "on") || fl_tmpl__tok_is(mode, TOK_IDENT, "off")))
		return fl_tmpl__perr(ps, mode ? mode : name, FL_EINVALID, "'autoescape' expects 'on' or 'off'");
	if (mode->len == 2)
		n->flags |= AUTOESCAPE_ON;
	rc = fl_tmpl__close_tag(ps, "autoescape");
	if (!rc)
		rc = simple_body(ps, name, "endautoescape", &body);
	if (!rc)
		set_bodies(ps, n, &body, 1);
	return rc;
}

static int exec_autoescape(struct fl_tmpl__rs *rs, const struct fl_tmpl__node *n)
{
	bool saved = rs->call.autoescape;
	int rc;

	rs->call.autoescape = (n->flags & AUTOESCAPE_ON) != 0;
	rc = fl_tmpl__exec_list(rs, n->body[0]);
	rs->call.autoescape = saved;
	return rc;
}

/* -------------------------------------------------------------- comment */

static int parse_comment(struct fl_tmpl__ps *ps, const struct fl_tmpl__tok *name, struct fl_tmpl__node *n)
{
	int rc = fl_tmpl__close_tag(ps, "comment");

	(void)n; /* no exec: the node is dropped */
	if (!rc)
		rc = fl_tmpl__skip_until(ps, "endcomment", name);
	if (!rc)
		rc = fl_tmpl__close_tag(ps, "endcomment");
	return rc;
}

/* --------------------------------------------------------------- filter */

static int parse_filter(struct fl_tmpl__ps *ps, const struct fl_tmpl__tok *name, struct fl_tmpl__node *n)
{
	struct fl_tmpl__fcall fc[32];
	struct fl_tmpl__node *body;
	size_t k = 0;
	int rc;

	n->exec = exec_filter;
	do {
		if (k == FL_ARRAY_LEN(fc))
			return fl_tmpl__perr(ps, fl_tmpl__peek(ps), FL_ELIMIT, "too many filters");
		rc = fl_tmpl__parse_fcall(ps, &fc[k++]);
		if (rc)
			return rc;
	} while (fl_tmpl__match(ps, TOK_SYMBOL, "|"));
	n->nfc = k;
	n->fc = arena_dup(ps, fc, k * sizeof(*fc));
	rc = fl_tmpl__close_tag(ps, "filter");
	if (!rc)
		rc = simple_body(ps, name, "endfilter", &body);
	if (!rc)
		set_bodies(ps, n, &body, 1);
	return rc;
}

static int exec_filter(struct fl_tmpl__rs *rs, const struct fl_tmpl__node *n)
{
	struct fl_buf tmp;
	fl_val *v;
	size_t len;
	char *p;
	int rc = fl_tmpl__capture(rs, n->body[0], &tmp);

	if (rc)
		return rc;
	p = fl_buf_detach(&tmp, &len);
	v = p ? fl_val_str_own(p, len) : fl_val_str("", 0);
	for (size_t i = 0; i < n->nfc; i++) {
		fl_val *r;
		rc = fl_tmpl__apply_filter(rs, &n->fc[i], v, &r);
		fl_val_unref(v);
		if (rc)
			return rc;
		v = r;
	}
	fl_val_render(v, rs->out);
	fl_val_unref(v);
	return FL_OK;
}

/* ------------------------------------------------------------ spaceless */

static int parse_spaceless(struct fl_tmpl__ps *ps, const struct fl_tmpl__tok *name, struct fl_tmpl__node *n)
{
	struct fl_tmpl__node *body;
	int rc = fl_tmpl__close_tag(ps, "spaceless");

	n->exec = exec_spaceless;
	if (!rc)
		rc = simple_body(ps, name, "endspaceless", &body);
	if (!rc)
		set_bodies(ps, n, &body, 1);
	return rc;
}

static bool ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/*
 * Drop each whitespace run that separates two HTML tags: the run follows a
 * '>' that closes a '<' on the same line and precedes a '<' closed by a '>'
 * on the same line (pongo2's `(<.*>)\s+(<.*>)` with `.` not matching a
 * newline, applied until nothing changes).  Linear: the last '<' and the
 * last newline are tracked while scanning, and each forward search for '>'
 * ends before the '>' that any later run needs.
 */
static void spaceless(struct fl_buf *out, const char *s, size_t n)
{
	size_t i = 0, last_lt = SIZE_MAX, last_nl = SIZE_MAX;

	while (i < n) {
		if (!ws(s[i]) || i == 0 || s[i - 1] != '>') {
			if (s[i] == '<')
				last_lt = i;
			else if (s[i] == '\n')
				last_nl = i;
			fl_buf_addc(out, s[i++]);
			continue;
		}
		/* a '<' on the line of the '>' at i - 1, before it */
		bool before = last_lt != SIZE_MAX && (last_nl == SIZE_MAX || last_nl < last_lt);
		bool after = false;
		size_t j = i;
		while (j < n && ws(s[j])) {
			if (s[j] == '\n')
				last_nl = j;
			j++;
		}
		if (j < n && s[j] == '<')
			for (size_t k = j + 1; k < n && s[k] != '\n'; k++)
				if (s[k] == '>') {
					after = true;
					break;
				}
		if (!(before && after))
			fl_buf_add(out, s + i, j - i);
		i = j;
	}
}

static int exec_spaceless(struct fl_tmpl__rs *rs, const struct fl_tmpl__node *n)
{
	struct fl_buf tmp;
	int rc = fl_tmpl__capture(rs, n->body[0], &tmp);

	if (rc)
		return rc;
	spaceless(rs->out, tmp.ptr, tmp.len);
	fl_buf_release(&tmp);
	return FL_OK;
}

/* ---------------------------------------------------------- templatetag */

static const struct {
	const char *arg, *out;
} templatetags[] = {
	{ "openblock", "{%" },     { "closeblock", "%}" },  { "openvariable", "{{" }, { "closevariable", "}}" },
	{ "openbrace", "{" },      { "closebrace", "}" },   { "opencomment", "{#" },  { "closecomment", "#}" },
};

static int parse_templatetag(struct fl_tmpl__ps *ps, const struct fl_tmpl__tok *name, struct fl_tmpl__node *n)
{
	const struct fl_tmpl__tok *arg = fl_tmpl__match_type(ps, TOK_IDENT);

	n->exec = exec_templatetag;
	for (size_t i = 0; arg && i < FL_ARRAY_LEN(templatetags); i++) {
		if (fl_tmpl__tok_is(arg, TOK_IDENT, templatetags[i].arg)) {
			n->text = fl_str_from(templatetags[i].out);
			return fl_tmpl__close_tag(ps, "templatetag");
		}
	}
	return fl_tmpl__perr(ps, arg ? arg : name, FL_EINVALID, "'templatetag' expects one of openblock, closeblock, "
				"openvariable, closevariable, openbrace, closebrace, opencomment, closecomment");
}

static int exec_templatetag(struct fl_tmpl__rs *rs, const struct fl_tmpl__node *n)
{
	fl_buf_add(rs->out, n->text.ptr, n->text.len);
	return FL_OK;
}

/* ----------------------------------------------------------- widthratio */

static int parse_widthratio(struct fl_tmpl__ps *ps, const struct fl_tmpl__tok *name, struct fl_tmpl__node *n)
{
	int rc;

	n->exec = exec_widthratio;
	rc = parse_expr_list(ps, n, 3, "widthratio");
	if (rc)
		return rc;
	if (n->nex != 3)
		return fl_tmpl__perr(ps, name, FL_EINVALID, "'widthratio' expects three arguments");
	if (fl_tmpl__match(ps, TOK_KEYWORD, "as")) {
		const struct fl_tmpl__tok *as = fl_tmpl__match_type(ps, TOK_IDENT);
		if (!as)
			return fl_tmpl__perr(ps, fl_tmpl__peek(ps), FL_EINVALID, "expected name (identifier)");
		n->text = fl_str_make(as->p, as->len);
	}
	return fl_tmpl__close_tag(ps, "widthratio");
}

static int exec_widthratio(struct fl_tmpl__rs *rs, const struct fl_tmpl__node *n)
{
	fl_val *v[3] = { NULL, NULL, NULL };
	int rc = FL_OK;

	for (size_t i = 0; i < 3 && !rc; i++)
		rc = fl_tmpl__eval(rs, n->ex[i], &v[i]);
	if (!rc) {
		double r = ceil(fl_conv_float(v[0]) / fl_conv_float(v[1]) * fl_conv_float(v[2]) + 0.5);
		fl_val *res = fl_val_int(fl_conv_f2i(r));
		if (n->text.len) {
			fl_tmpl__scope_set(rs, n->text, res);
		} else {
			fl_val_render(res, rs->out);
			fl_val_unref(res);
		}
	}
	for (size_t i = 0; i < 3; i++)
		fl_val_unref(v[i]);
	return rc;
}

/* ------------------------------------------------------------------ now */

static int parse_now(struct fl_tmpl__ps *ps, const struct fl_tmpl__tok *name, struct fl_tmpl__node *n)
{
	const struct fl_tmpl__tok *fmt = fl_tmpl__match_type(ps, TOK_STRING);

	n->exec = exec_now;
	if (!fmt)
		return fl_tmpl__perr(ps, fl_tmpl__peek(ps) ? fl_tmpl__peek(ps) : name, FL_EINVALID,
				     "'now' expects a format string");
	if (fmt->escaped) {
		char *p = fl_tmpl__alloc(ps->t, fmt->len + 1);
		size_t k = 0;
		for (size_t i = 0; i < fmt->len; i++) {
			if (fmt->p[i] == '\\' && i + 1 < fmt->len)
				i++;
			p[k++] = fmt->p[i];
		}
		n->text = fl_str_make(p, k);
	} else {
		n->text = fl_str_make(fmt->p, fmt->len);
	}
	if (fl_tmpl__match(ps, TOK_IDENT, "fake"))
		n->flags |= NOW_FAKE;
	return fl_tmpl__close_tag(ps, "now");
}

static int exec_now(struct fl_tmpl__rs *rs, const struct fl_tmpl__node *n)
{
	/* pongo2's fake clock: 2014-02-05 18:31:45 UTC */
	static const int64_t fake_ns = INT64_C(1391625105) * FL_NS_PER_SEC;
	int64_t now;

	if (n->flags & NOW_FAKE)
		now = fake_ns;
	else if (rs->call.env && rs->call.env->now_ns)
		now = rs->call.env->now_ns;
	else
		now = fl_time_now_ns();
	fl_tmpl_format_go_layout(rs->out, n->text.ptr, n->text.len, now, 0);
	return FL_OK;
}

/* ------------------------------------------------------------ ifchanged */

static int parse_ifchanged(struct fl_tmpl__ps *ps, const struct fl_tmpl__tok *name, struct fl_tmpl__node *n)
{
	int rc;

	n->exec = exec_ifchanged;
	n->slot = ps->t->nslots++;
	rc = parse_expr_list(ps, n, MAX_BRANCHES, "ifchanged");
	return rc ? rc : two_bodies(ps, name, n, "ifchanged", "else", "endifchanged");
}

static bool equal_value(const fl_val *a, const fl_val *b)
{
	if (fl_val_type(a) == FL_VAL_INT && fl_val_type(b) == FL_VAL_INT)
		return fl_val_get_int(a) == fl_val_get_int(b);
	return fl_val_equal(a, b);
}

static int exec_ifchanged(struct fl_tmpl__rs *rs, const struct fl_tmpl__node *n)
{
	struct fl_tmpl__slot *slot = &rs->slots[n->slot];
	int rc;

	if (!n->nex) {
		struct fl_buf tmp;
		rc = fl_tmpl__capture(rs, n->body[0], &tmp);
		if (rc)
			return rc;
		if (tmp.len != slot->content_len || (tmp.len && memcmp(tmp.ptr, slot->content, tmp.len) != 0)) {
			fl_buf_add(rs->out, tmp.ptr, tmp.len);
			free(slot->content);
			slot->content_len = tmp.len;
			slot->content = fl_buf_detach(&tmp, NULL);
		}
		fl_buf_release(&tmp);
		return FL_OK;
	}

	fl_val **now = fl_xcalloc(n->nex, sizeof(*now));
	bool changed = !slot->last;
	for (size_t i = 0; i < n->nex; i++) {
		rc = fl_tmpl__eval(rs, n->ex[i], &now[i]);
		if (rc) {
			for (size_t k = 0; k < i; k++)
				fl_val_unref(now[k]);
			free(now);
			return rc;
		}
		if (slot->last && !equal_value(slot->last[i], now[i]))
			changed = true;
	}
	if (slot->last) {
		for (size_t i = 0; i < slot->nlast; i++)
			fl_val_unref(slot->last[i]);
		free(slot->last);
	}
	slot->last = now;
	slot->nlast = n->nex;
	if (changed)
		return fl_tmpl__exec_list(rs, n->body[0]);
	if (n->nbody > 1)
		return fl_tmpl__exec_list(rs, n->body[1]);
	return FL_OK;
}

/* -------------------------------------------------- ifequal / ifnotequal */

static int parse_ifequal_common(struct fl_tmpl__ps *ps, const struct fl_tmpl__tok *name, struct fl_tmpl__node *n,
				const char *tag, const char *end)
{
	struct fl_tmpl__ex *ex[2];
	int rc;

	n->exec = exec_ifequal;
	for (size_t i = 0; i < 2; i++) {
		if (!fl_tmpl__args_left(ps))
			return fl_tmpl__perr(ps, name, FL_EINVALID, "'%s' expects two arguments", tag);
		rc = fl_tmpl__parse_expr(ps, &ex[i]);
		if (rc)
			return rc;
	}
	set_exprs(ps, n, ex, 2);
	return two_bodies(ps, name, n, tag, "else", end);
}

static int parse_ifequal(struct fl_tmpl__ps *ps, const struct fl_tmpl__tok *name, struct fl_tmpl__node *n)
{
	return parse_ifequal_common(ps, name, n, "ifequal", "endifequal");
}

static int parse_ifnotequal(struct fl_tmpl__ps *ps, const struct fl_tmpl__tok *name, struct fl_tmpl__node *n)
{
	n->flags |= IFEQUAL_NOT;
	return parse_ifequal_common(ps, name, n, "ifnotequal", "endifnotequal");
}

static int exec_ifequal(struct fl_tmpl__rs *rs, const struct fl_tmpl__node *n)
{
	fl_val *a, *b;
	bool eq;
	int rc = fl_tmpl__eval(rs, n->ex[0], &a);

	if (rc)
		return rc;
	rc = fl_tmpl__eval(rs, n->ex[1], &b);
	if (rc) {
		fl_val_unref(a);
		return rc;
	}
	eq = equal_value(a, b);
	fl_val_unref(a);
	fl_val_unref(b);
	if (eq != ((n->flags & IFEQUAL_NOT) != 0))
		return fl_tmpl__exec_list(rs, n->body[0]);
	if (n->nbody > 1)
		return fl_tmpl__exec_list(rs, n->body[1]);
	return FL_OK;
}

/* ---------------------------------------------------------------- lorem */

/* Classic placeholder text, one paragraph per entry. */
static const char *const lorem_paragraphs[] = {
	"Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et "
	"dolore magna aliqua. Ut enim ad minim veniam, quis nostrud exercitation ullamco laboris nisi ut aliquip "
	"ex ea commodo consequat.",
	"Duis aute irure dolor in reprehenderit in voluptate velit esse cillum dolore eu fugiat nulla pariatur. "
	"Excepteur sint occaecat cupidatat non proident, sunt in culpa qui officia deserunt mollit anim id est "
	"laborum.",
	"Curabitur pretium tincidunt lacus, nulla gravida orci a odio. Nullam varius, turpis et commodo pharetra, "
	"est eros bibendum elit, nec luctus magna felis sollicitudin mauris.",
	"Integer in mauris eu nibh euismod gravida. Duis ac tellus et risus vulputate vehicula. Donec lobortis "
	"risus a elit. Etiam tempor. Ut ullamcorper, ligula eu tempor congue, eros est euismod turpis, id "
	"tincidunt sapien risus a quam.",
};

static int parse_lorem(struct fl_tmpl__ps *ps, const struct fl_tmpl__tok *name, struct fl_tmpl__node *n)
{
	const struct fl_tmpl__tok *t;

	(void)name;
	n->exec = exec_lorem;
	n->num = 1;
	if ((t = fl_tmpl__match_type(ps, TOK_NUMBER)) != NULL) {
		n->num = 0;
		for (size_t i = 0; i < t->len; i++) {
			n->num = n->num * 10 + (t->p[i] - '0');
			if (n->num > LOREM_MAX_COUNT)
				return fl_tmpl__perr(ps, t, FL_ELIMIT, "max count for lorem is %d", LOREM_MAX_COUNT);
		}
	}
	if ((t = fl_tmpl__match_type(ps, TOK_IDENT)) != NULL && !fl_tmpl__tok_is(t, TOK_IDENT, "random")) {
		if (fl_tmpl__tok_is(t, TOK_IDENT, "w"))
			n->flags |= LOREM_WORDS;
		else if (fl_tmpl__tok_is(t, TOK_IDENT, "p"))
			n->flags |= LOREM_PARAS;
		else if (!fl_tmpl__tok_is(t, TOK_IDENT, "b"))
			return fl_tmpl__perr(ps, t, FL_EINVALID, "lorem method must be either 'w', 'p' or 'b'");
		t = fl_tmpl__match_type(ps, TOK_IDENT);
	}
	if (t && fl_tmpl__tok_is(t, TOK_IDENT, "random"))
		n->flags |= LOREM_RANDOM;
	else if (t)
		ps->pos--;
	return fl_tmpl__close_tag(ps, "lorem");
}

/* Split the placeholder text into words (at most max). */
static size_t lorem_words(struct fl_str *w, size_t max)
{
	size_t n = 0;

	for (size_t p = 0; p < FL_ARRAY_LEN(lorem_paragraphs); p++) {
		const char *s = lorem_paragraphs[p];
		while (*s && n < max) {
			while (*s == ' ')
				s++;
			const char *b = s;
			while (*s && *s != ' ')
				s++;
			if (s > b)
				w[n++] = fl_str_make(b, (size_t)(s - b));
		}
	}
	return n;
}

static int exec_lorem(struct fl_tmpl__rs *rs, const struct fl_tmpl__node *n)
{
	size_t np = FL_ARRAY_LEN(lorem_paragraphs), nw = 0;
	struct fl_str words[256];
	int rc;

	if (n->flags & LOREM_WORDS)
		nw = lorem_words(words, FL_ARRAY_LEN(words));

	for (int64_t i = 0; i < n->num; i++) {
		rc = fl_tmpl__step(rs);
		if (rc)
			return rc;
		if (rs->out->failed)
			return fl_tmpl__out_check(rs);
		size_t pick = (n->flags & LOREM_RANDOM) ? (size_t)fl_tmpl_call_random(&rs->call) : (size_t)i;
		if (n->flags & LOREM_WORDS) {
			struct fl_str w = words[pick % nw];
			if (i)
				fl_buf_addc(rs->out, ' ');
			fl_buf_add(rs->out, w.ptr, w.len);
			continue;
		}
		if (i)
			fl_buf_addc(rs->out, '\n');
		if (n->flags & LOREM_PARAS)
			fl_buf_adds(rs->out, "<p>");
		fl_buf_adds(rs->out, lorem_paragraphs[pick % np]);
		if (n->flags & LOREM_PARAS)
			fl_buf_adds(rs->out, "</p>");
	}
	return FL_OK;
}

/* --------------------------------------------------------------- table */

static const struct fl_tmpl__tag tags[] = {
	{ "if", parse_if, "{% if cond %}…{% elif cond %}…{% else %}…{% endif %}" },
	{ "for", parse_for, "{% for x in list [reversed] [sorted] %}…{% empty %}…{% endfor %}; also `for k, v in map`" },
	{ "set", parse_set, "{% set name = expression %}" },
	{ "with", parse_with, "{% with a=expr b=expr %}…{% endwith %} or {% with expr as name %}…{% endwith %}" },
	{ "firstof", parse_firstof, "{% firstof a b c %}: the first true value" },
	{ "cycle", parse_cycle, "{% cycle a b c [as name [silent]] %}; {% cycle name %} advances it" },
	{ "autoescape", parse_autoescape, "{% autoescape on|off %}…{% endautoescape %}" },
	{ "comment", parse_comment, "{% comment %}…{% endcomment %}" },
	{ "filter", parse_filter, "{% filter f1|f2:arg %}…{% endfilter %}" },
	{ "spaceless", parse_spaceless, "{% spaceless %}…{% endspaceless %}: drop whitespace between HTML tags" },
	{ "templatetag", parse_templatetag, "{% templatetag openblock %} and friends" },
	{ "widthratio", parse_widthratio, "{% widthratio value max width [as name] %}" },
	{ "now", parse_now, "{% now \"Go layout\" [fake] %}" },
	{ "ifchanged", parse_ifchanged, "{% ifchanged [expr...] %}…{% else %}…{% endifchanged %}" },
	{ "ifequal", parse_ifequal, "{% ifequal a b %}…{% else %}…{% endifequal %}" },
	{ "ifnotequal", parse_ifnotequal, "{% ifnotequal a b %}…{% else %}…{% endifnotequal %}" },
	{ "lorem", parse_lorem, "{% lorem [count] [w|p|b] [random] %}" },
};

static const char *const rejected[] = { "include", "extends", "block", "import", "ssi", "macro" };

static const char *const inner[] = {
	"elif", "else", "endif", "empty", "endfor", "endwith", "endautoescape", "endcomment", "endfilter",
	"endspaceless", "endifchanged", "endifequal", "endifnotequal", "verbatim", "endverbatim", "endblock",
	"endmacro",
};

const struct fl_tmpl__tag *fl_tmpl__tag_find(const char *name, size_t len)
{
	for (size_t i = 0; i < FL_ARRAY_LEN(tags); i++)
		if (strlen(tags[i].name) == len && memcmp(tags[i].name, name, len) == 0)
			return &tags[i];
	return NULL;
}

const char *fl_tmpl__tag_rejected(const char *name, size_t len)
{
	static const char *const msgs[] = {
		"tag 'include' is not supported in flow templates", "tag 'extends' is not supported in flow templates",
		"tag 'block' is not supported in flow templates",   "tag 'import' is not supported in flow templates",
		"tag 'ssi' is not supported in flow templates",     "tag 'macro' is not supported in flow templates",
	};
	for (size_t i = 0; i < FL_ARRAY_LEN(rejected); i++)
		if (strlen(rejected[i]) == len && memcmp(rejected[i], name, len) == 0)
			return msgs[i];
	return NULL;
}

bool fl_tmpl__tag_is_inner(const char *name, size_t len)
{
	for (size_t i = 0; i < FL_ARRAY_LEN(inner); i++)
		if (strlen(inner[i]) == len && memcmp(inner[i], name, len) == 0)
			return true;
	return false;
}
