/* SPDX-License-Identifier: Apache-2.0 */
/*
 * eval.c - evaluates expressions and runs the document nodes.
 *
 * The semantics are pongo2's (value.go, variable.go, parser_expression.go):
 * variable lookup (tag variables, then static functions, then the context),
 * dotted/numeric/subscript access where a missing value is nil and a wrong
 * container type is an error, automatic calls of function values, the
 * int/float arithmetic rules with Integer()/Float() conversions of strings,
 * type-strict equality, `in`, pongo2's Negate() for `not`, and short-circuit
 * `and`/`or` producing booleans.  Each evaluated node costs one step of the
 * render's budget; the output budget is enforced by the buffer's maximum.
 *
 * Values are passed as new references; the evaluator borrows the
 * template's literals and the context by taking a reference, so no memory
 * is allocated for variable lookups or literals.
 */
#include "fl-common.h"

#include <math.h>

#include "alloc.h"
#include "buf.h"
#include "builtin.h"
#include "error.h"
#include "filters/conv.h"
#include "timeutil.h"
#include "tmpl-int.h"

int fl_tmpl__rerr(struct fl_tmpl__rs *rs, uint32_t line, uint32_t col, int code, const char *fmt, ...)
{
	char msg[220];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return fl_error_set(rs->err, code, "line %u, column %u: %s", line, col, msg);
}

/* -------------------------------------------------------------- scopes */

void fl_tmpl__scope_push(struct fl_tmpl__rs *rs, struct fl_tmpl__scope *s)
{
	memset(s, 0, sizeof(*s));
	s->vars = s->small;
	s->cap = FL_ARRAY_LEN(s->small);
	s->parent = rs->scope;
	rs->scope = s;
}

void fl_tmpl__scope_pop(struct fl_tmpl__rs *rs)
{
	struct fl_tmpl__scope *s = rs->scope;

	for (size_t i = 0; i < s->n; i++)
		fl_val_unref(s->vars[i].v);
	if (s->vars != s->small)
		free(s->vars);
	rs->scope = s->parent;
}

struct fl_tmpl__svar *fl_tmpl__scope_slot(struct fl_tmpl__rs *rs, struct fl_str name)
{
	struct fl_tmpl__scope *s = rs->scope;

	for (size_t i = 0; i < s->n; i++)
		if (s->vars[i].len == name.len && memcmp(s->vars[i].name, name.ptr, name.len) == 0)
			return &s->vars[i];
	if (s->n == s->cap) {
		size_t cap = s->cap * 2; /* s->small is full: move to the heap */
		struct fl_tmpl__svar *v = fl_xmallocarray(cap, sizeof(*v));
		memcpy(v, s->vars, s->n * sizeof(*v));
		if (s->vars != s->small)
			free(s->vars);
		s->vars = v;
		s->cap = cap;
	}
	struct fl_tmpl__svar *sv = &s->vars[s->n++];
	memset(sv, 0, sizeof(*sv));
	sv->name = name.ptr;
	sv->len = name.len;
	return sv;
}

void fl_tmpl__scope_set(struct fl_tmpl__rs *rs, struct fl_str name, fl_val *v)
{
	struct fl_tmpl__svar *sv = fl_tmpl__scope_slot(rs, name);

	fl_val_unref(sv->v);
	sv->v = v;
	sv->loop = NULL;
}

static const struct fl_tmpl__svar *scope_find(const struct fl_tmpl__rs *rs, struct fl_str name)
{
	for (const struct fl_tmpl__scope *s = rs->scope; s; s = s->parent)
		for (size_t i = s->n; i-- > 0;)
			if (s->vars[i].len == name.len && memcmp(s->vars[i].name, name.ptr, name.len) == 0)
				return &s->vars[i];
	return NULL;
}

/* ------------------------------------------------------------ forloop */

static fl_val *loop_object(const struct fl_tmpl__loop *l, int depth)
{
	fl_val *o = fl_val_object_new(7);

	fl_val_object_setz(o, "Counter", fl_val_int(l->counter0 + 1));
	fl_val_object_setz(o, "Counter0", fl_val_int(l->counter0));
	fl_val_object_setz(o, "Revcounter", fl_val_int(l->count - l->counter0));
	fl_val_object_setz(o, "Revcounter0", fl_val_int(l->count - l->counter0 - 1));
	fl_val_object_setz(o, "First", fl_val_bool(l->counter0 == 0));
	fl_val_object_setz(o, "Last", fl_val_bool(l->counter0 + 1 == l->count));
	fl_val_object_setz(o, "Parentloop",
			   l->parent && depth < 16 ? loop_object(l->parent, depth + 1) : fl_val_nil());
	return o;
}

/* forloop.<field>: sets *v (new ref) or *next_loop. */
static void loop_field(const struct fl_tmpl__loop *l, struct fl_str f, fl_val **v,
		       const struct fl_tmpl__loop **next_loop)
{
	*v = NULL;
	*next_loop = NULL;
	if (fl_str_eqs(f, "Counter"))
		*v = fl_val_int(l->counter0 + 1);
	else if (fl_str_eqs(f, "Counter0"))
		*v = fl_val_int(l->counter0);
	else if (fl_str_eqs(f, "Revcounter"))
		*v = fl_val_int(l->count - l->counter0);
	else if (fl_str_eqs(f, "Revcounter0"))
		*v = fl_val_int(l->count - l->counter0 - 1);
	else if (fl_str_eqs(f, "First"))
		*v = fl_val_bool(l->counter0 == 0);
	else if (fl_str_eqs(f, "Last"))
		*v = fl_val_bool(l->counter0 + 1 == l->count);
	else if (fl_str_eqs(f, "Parentloop") && l->parent)
		*next_loop = l->parent;
	else
		*v = fl_val_nil();
}

/* ----------------------------------------------------------- time methods */

static void civil(int64_t ns, int off, int64_t *y, unsigned *mo, unsigned *d, int64_t *secs_of_day, int64_t *days)
{
	int64_t local = ns / FL_NS_PER_SEC + off - ((ns % FL_NS_PER_SEC) < 0 ? 1 : 0);
	int64_t dd = local / 86400;
	if (local % 86400 < 0)
		dd--;
	*secs_of_day = local - dd * 86400;
	*days = dd;
	fl_time_civil_from_days(dd, y, mo, d);
}

/* The methods of Go's time.Time that take no argument and return a number. */
static fl_val *time_method(const fl_val *t, struct fl_str name)
{
	int off;
	int64_t ns = fl_val_get_time(t, &off), y, sod, days;
	unsigned mo, d;

	civil(ns, off, &y, &mo, &d, &sod, &days);
	if (fl_str_eqs(name, "Year"))
		return fl_val_int(y);
	if (fl_str_eqs(name, "Month"))
		return fl_val_int(mo);
	if (fl_str_eqs(name, "Day"))
		return fl_val_int(d);
	if (fl_str_eqs(name, "Hour"))
		return fl_val_int(sod / 3600);
	if (fl_str_eqs(name, "Minute"))
		return fl_val_int(sod / 60 % 60);
	if (fl_str_eqs(name, "Second"))
		return fl_val_int(sod % 60);
	if (fl_str_eqs(name, "Nanosecond"))
		return fl_val_int(((ns % FL_NS_PER_SEC) + FL_NS_PER_SEC) % FL_NS_PER_SEC);
	if (fl_str_eqs(name, "Weekday"))
		return fl_val_int(((days % 7) + 11) % 7); /* 1970-01-01 was a Thursday */
	if (fl_str_eqs(name, "YearDay"))
		return fl_val_int(days - fl_time_days_from_civil(y, 1, 1) + 1);
	if (fl_str_eqs(name, "Unix"))
		return fl_val_int(ns / FL_NS_PER_SEC - ((ns % FL_NS_PER_SEC) < 0 ? 1 : 0));
	if (fl_str_eqs(name, "UnixNano"))
		return fl_val_int(ns);
	if (fl_str_eqs(name, "UTC"))
		return fl_val_time(ns, 0);
	return NULL;
}

/* ------------------------------------------------------------ variables */

static int call_func(struct fl_tmpl__rs *rs, const struct fl_tmpl__ex *e, const fl_val *fn,
		     const struct fl_tmpl__acc *acc, fl_val **out)
{
	fl_val *args[64];
	size_t n = acc ? acc->nargs : 0;
	fl_val_func_fn f = fl_val_get_func(fn, NULL);
	int rc = FL_OK;

	for (size_t i = 0; i < n; i++) {
		rc = fl_tmpl__eval(rs, acc->args[i], &args[i]);
		if (rc) {
			n = i;
			goto done;
		}
	}
	*out = NULL;
	for (size_t i = 0; !rc && i < n; i++)
		rc = fl_tmpl_call_charge(&rs->call, args[i]);
	if (!rc)
		rc = f(&rs->call, args, n, out);
	if (!rc)
		rc = fl_tmpl_call_charge(&rs->call, *out);
	if (rc) {
		if (rs->err->code == FL_OK)
			fl_tmpl__rerr(rs, e->line, e->col, rc, "function '%.*s' failed", (int)e->u.var.text.len,
				      e->u.var.text.ptr);
		fl_val_unref(*out);
		*out = NULL;
	} else if (!*out) {
		*out = fl_val_nil();
	}
done:
	for (size_t i = 0; i < n; i++)
		fl_val_unref(args[i]);
	return rc;
}

static int var_error(struct fl_tmpl__rs *rs, const struct fl_tmpl__ex *e, const struct fl_tmpl__acc *a,
		     const char *what, const fl_val *cur)
{
	return fl_tmpl__rerr(rs, a->line, a->col, FL_EINVALID, "can't access %s on type %s (variable %.*s)", what,
			     fl_conv_go_kind(cur), (int)e->u.var.text.len, e->u.var.text.ptr);
}

/* One accessor applied to cur (consumed); *out new ref. */
static int access(struct fl_tmpl__rs *rs, const struct fl_tmpl__ex *e, const struct fl_tmpl__acc *a, fl_val *cur,
		  fl_val **out)
{
	fl_val *next = NULL, *sub = NULL;
	int rc = FL_OK;

	switch (a->kind) {
	case ACC_ATTR:
		switch (fl_val_type(cur)) {
		case FL_VAL_OBJECT:
			next = fl_val_ref(fl_val_object_get_hashed(cur, a->name.ptr, a->name.len, a->hash));
			break;
		case FL_VAL_TIME:
			next = time_method(cur, a->name);
			break;
		default:
			rc = var_error(rs, e, a, "a field by name", cur);
		}
		break;
	case ACC_INDEX:
		switch (fl_val_type(cur)) {
		case FL_VAL_ARRAY:
			next = fl_val_ref(fl_val_array_get(cur, (size_t)a->index));
			break;
		case FL_VAL_STR: {
			size_t n;
			const char *s = fl_val_get_str(cur, &n);
			/* Go indexes the bytes of a string: the result is a uint8 */
			if ((uint64_t)a->index < n)
				next = fl_val_int((unsigned char)s[a->index]);
			break;
		}
		default:
			rc = var_error(rs, e, a, "an index", cur);
		}
		break;
	case ACC_SUBSCRIPT:
		rc = fl_tmpl__eval(rs, a->sub, &sub);
		if (rc)
			break;
		switch (fl_val_type(cur)) {
		case FL_VAL_ARRAY:
		case FL_VAL_STR: {
			int64_t ix = fl_conv_integer(sub);
			if (ix < 0 || (uint64_t)ix >= fl_val_len(cur))
				break;
			if (fl_val_type(cur) == FL_VAL_ARRAY)
				next = fl_val_ref(fl_val_array_get(cur, (size_t)ix));
			else
				next = fl_val_int((unsigned char)fl_val_get_str(cur, NULL)[ix]);
			break;
		}
		case FL_VAL_OBJECT:
			if (fl_val_type(sub) == FL_VAL_STR) {
				size_t kl;
				const char *k = fl_val_get_str(sub, &kl);
				next = fl_val_ref(fl_val_object_get(cur, k, kl));
			}
			break;
		default:
			rc = var_error(rs, e, a, "an index", cur);
		}
		fl_val_unref(sub);
		break;
	case ACC_CALL:
		if (fl_val_type(cur) != FL_VAL_FUNC) {
			rc = fl_tmpl__rerr(rs, a->line, a->col, FL_EINVALID, "'%.*s' is not a function (it is %s)",
					   (int)(a->at - e->u.var.text.ptr), e->u.var.text.ptr, fl_conv_go_kind(cur));
			break;
		}
		rc = call_func(rs, e, cur, a, &next);
		break;
	}
	fl_val_unref(cur);
	*out = rc ? NULL : (next ? next : fl_val_nil());
	return rc;
}

static int eval_var(struct fl_tmpl__rs *rs, const struct fl_tmpl__ex *e, fl_val **out)
{
	const struct fl_tmpl__svar *sv = rs->scope ? scope_find(rs, e->u.var.name) : NULL;
	const struct fl_tmpl__acc *acc = e->u.var.acc;
	size_t nacc = e->u.var.nacc, i = 0;
	fl_val *cur = NULL;
	int rc;

	if (sv && sv->loop) {
		/* forloop and its Parentloop chain are resolved without allocating */
		const struct fl_tmpl__loop *l = sv->loop;
		while (!cur) {
			if (i < nacc && acc[i].kind == ACC_ATTR) {
				const struct fl_tmpl__loop *nl;
				loop_field(l, acc[i].name, &cur, &nl);
				i++;
				if (nl) {
					l = nl;
					continue;
				}
			} else if (i < nacc && acc[i].kind != ACC_CALL) {
				return fl_tmpl__rerr(rs, acc[i].line, acc[i].col, FL_EINVALID,
						     "can't access an index on type struct (variable %.*s)",
						     (int)e->u.var.text.len, e->u.var.text.ptr);
			} else {
				cur = loop_object(l, 0);
			}
		}
	} else if (sv) {
		cur = fl_val_ref(sv->v);
	} else if (e->u.var.func) {
		cur = fl_val_ref(e->u.var.func);
	} else {
		cur = fl_val_ref(fl_val_object_get_hashed(rs->ctx, e->u.var.name.ptr, e->u.var.name.len, e->u.var.hash));
		if (!cur)
			cur = fl_val_nil();
	}
	for (;;) {
		/* a function value not followed by a call is called without arguments, as pongo2 does */
		if (fl_val_type(cur) == FL_VAL_FUNC && !(i < nacc && acc[i].kind == ACC_CALL)) {
			fl_val *r;
			rc = call_func(rs, e, cur, NULL, &r);
			fl_val_unref(cur);
			if (rc)
				return rc;
			cur = r;
		}
		if (i >= nacc || fl_val_type(cur) == FL_VAL_NIL)
			break;
		/* time.Format(layout) */
		if (fl_val_type(cur) == FL_VAL_TIME && acc[i].kind == ACC_ATTR && fl_str_eqs(acc[i].name, "Format") &&
		    i + 1 < nacc && acc[i + 1].kind == ACC_CALL && acc[i + 1].nargs == 1) {
			fl_val *layout;
			struct fl_buf b = FL_BUF_INIT(rs->call.limits->max_output);
			int off;
			int64_t ns = fl_val_get_time(cur, &off);
			rc = fl_tmpl__eval(rs, acc[i + 1].args[0], &layout);
			if (rc) {
				fl_val_unref(cur);
				return rc;
			}
			size_t ll;
			const char *ls = fl_val_get_str(layout, &ll);
			fl_tmpl_format_go_layout(&b, ls, ll, ns, off);
			fl_val_unref(layout);
			fl_val_unref(cur);
			if (fl_buf_failed(&b)) {
				fl_buf_release(&b);
				return fl_tmpl__rerr(rs, e->line, e->col, FL_ELIMIT, "Format output exceeds %zu bytes",
						     rs->call.limits->max_output);
			}
			cur = fl_val_str(b.ptr, b.len);
			fl_buf_release(&b);
			i += 2;
			continue;
		}
		rc = fl_tmpl__step(rs);
		if (rc) {
			fl_val_unref(cur);
			return rc;
		}
		rc = access(rs, e, &acc[i], cur, &cur);
		if (rc)
			return rc;
		i++;
	}
	*out = cur;
	return FL_OK;
}

/* ------------------------------------------------------------- operators */

static int eval_lit(struct fl_tmpl__rs *rs, const struct fl_tmpl__ex *e, fl_val **out)
{
	(void)rs;
	*out = fl_val_ref(e->u.lit);
	return FL_OK;
}

int fl_tmpl__apply_filter(struct fl_tmpl__rs *rs, const struct fl_tmpl__fcall *fc, fl_val *in, fl_val **out)
{
	fl_val *arg = NULL;
	int rc;

	if (fc->arg) {
		rc = fl_tmpl__eval(rs, fc->arg, &arg);
		if (rc)
			return rc;
	}
	*out = NULL;
	/* a filter's cost follows the data it reads and the data it makes */
	rc = fl_tmpl_call_charge(&rs->call, in);
	if (!rc)
		rc = fl_tmpl_call_charge(&rs->call, arg);
	if (!rc)
		rc = fc->f->fn(&rs->call, in, arg, fc->state, out);
	if (!rc)
		rc = fl_tmpl_call_charge(&rs->call, *out);
	fl_val_unref(arg);
	if (rc) {
		if (rs->err->code == FL_OK)
			fl_tmpl__rerr(rs, fc->line, fc->col, rc, "filter '%s' failed", fc->f->name);
		fl_val_unref(*out);
		*out = NULL;
		return rc;
	}
	if (!*out)
		*out = fl_val_nil();
	return FL_OK;
}

static int eval_filter(struct fl_tmpl__rs *rs, const struct fl_tmpl__ex *e, fl_val **out)
{
	fl_val *v, *r;
	int rc = fl_tmpl__eval(rs, e->u.filt.in, &v);

	for (size_t i = 0; !rc && i < e->u.filt.nfc; i++) {
		rc = fl_tmpl__step(rs);
		if (!rc)
			rc = fl_tmpl__apply_filter(rs, &e->u.filt.fc[i], v, &r);
		fl_val_unref(v);
		v = rc ? NULL : r;
	}
	*out = v;
	return rc;
}

/* pongo2's Value.Negate(): `not v`. */
static int value_not(const fl_val *v, fl_val **out)
{
	switch (fl_val_type(v)) {
	case FL_VAL_INT:
		*out = fl_val_int(fl_val_get_int(v) != 0 ? 0 : 1);
		break;
	case FL_VAL_FLOAT:
		*out = fl_val_float(fl_val_get_float(v) != 0.0 ? 0.0 : 1.1);
		break;
	case FL_VAL_STR:
	case FL_VAL_ARRAY:
	case FL_VAL_OBJECT:
		*out = fl_val_bool(fl_val_len(v) == 0);
		break;
	case FL_VAL_BOOL:
		*out = fl_val_bool(!fl_val_get_bool(v));
		break;
	default:
		*out = fl_val_bool(true);
		break;
	}
	return FL_OK;
}

/* `-v`: numbers only (integers wrap as Go's do). */
static int value_neg(struct fl_tmpl__rs *rs, const struct fl_tmpl__ex *e, const fl_val *v, fl_val **out)
{
	if (fl_val_type(v) == FL_VAL_INT)
		*out = fl_val_int((int64_t)((uint64_t)0 - (uint64_t)fl_val_get_int(v)));
	else if (fl_val_type(v) == FL_VAL_FLOAT)
		*out = fl_val_float(-fl_val_get_float(v));
	else
		return fl_tmpl__rerr(rs, e->line, e->col, FL_EINVALID, "negative sign on a non-number expression");
	return FL_OK;
}

/* EX_NOT and EX_NEG: evaluate the operand, then apply the operator. */
static int eval_unary(struct fl_tmpl__rs *rs, const struct fl_tmpl__ex *e, fl_val **out)
{
	fl_val *v;
	int rc = fl_tmpl__eval(rs, e->u.un, &v);

	if (rc)
		return rc;
	rc = e->kind == EX_NOT ? value_not(v, out) : value_neg(rs, e, v, out);
	fl_val_unref(v);
	return rc;
}

static int eval_pair(struct fl_tmpl__rs *rs, const struct fl_tmpl__ex *e, fl_val **a, fl_val **b)
{
	int rc = fl_tmpl__eval(rs, e->u.bin.a, a);

	if (rc)
		return rc;
	rc = fl_tmpl__eval(rs, e->u.bin.b, b);
	if (rc) {
		fl_val_unref(*a);
		*a = NULL;
	}
	return rc;
}

static bool is_float(const fl_val *v)
{
	return fl_val_type(v) == FL_VAL_FLOAT;
}

/* a <op> b for the arithmetic operators; a and b borrowed. */
static int arith(struct fl_tmpl__rs *rs, const struct fl_tmpl__ex *e, enum fl_tmpl__ex_kind op, fl_val *a, fl_val *b,
		 fl_val **out)
{
	int rc = FL_OK;
	bool fl = is_float(a) || is_float(b);
	uint64_t ia = (uint64_t)fl_conv_integer(a), ib = (uint64_t)fl_conv_integer(b);
	double fa = fl_conv_float(a), fb = fl_conv_float(b);

	switch (op) {
	case EX_ADD:
		if (fl_val_type(a) == FL_VAL_STR || fl_val_type(b) == FL_VAL_STR) {
			struct fl_buf s = FL_BUF_INIT(rs->call.limits->max_output);
			fl_val_render(a, &s);
			fl_val_render(b, &s);
			if (s.failed) {
				fl_buf_release(&s);
				rc = fl_tmpl__rerr(rs, e->line, e->col, FL_ELIMIT, "string exceeds %zu bytes",
						   rs->call.limits->max_output);
				break;
			}
			size_t n;
			char *p = fl_buf_detach(&s, &n);
			*out = fl_val_str_own(p, n);
			rc = fl_tmpl_call_charge(&rs->call, *out);
			if (rc) {
				fl_val_unref(*out);
				*out = NULL;
			}
		} else {
			*out = fl ? fl_val_float(fa + fb) : fl_val_int((int64_t)(ia + ib));
		}
		break;
	case EX_SUB:
		*out = fl ? fl_val_float(fa - fb) : fl_val_int((int64_t)(ia - ib));
		break;
	case EX_MUL:
		*out = fl ? fl_val_float(fa * fb) : fl_val_int((int64_t)(ia * ib));
		break;
	case EX_DIV:
		if (fl) {
			*out = fl_val_float(fa / fb);
		} else if (ib == 0) {
			rc = fl_tmpl__rerr(rs, e->line, e->col, FL_EINVALID, "integer divide by zero");
		} else if ((int64_t)ib == -1) {
			*out = fl_val_int((int64_t)((uint64_t)0 - ia)); /* Go: MinInt64 / -1 == MinInt64 */
		} else {
			*out = fl_val_int((int64_t)ia / (int64_t)ib);
		}
		break;
	case EX_MOD:
		if (ib == 0)
			rc = fl_tmpl__rerr(rs, e->line, e->col, FL_EINVALID, "integer divide by zero");
		else if ((int64_t)ib == -1)
			*out = fl_val_int(0);
		else
			*out = fl_val_int((int64_t)ia % (int64_t)ib);
		break;
	case EX_POW:
		*out = fl_val_float(pow(fa, fb));
		break;
	default:
		FL_BUG("not an arithmetic operator");
	}
	return rc;
}

static int eval_arith(struct fl_tmpl__rs *rs, const struct fl_tmpl__ex *e, fl_val **out)
{
	fl_val *a, *b;
	int rc = eval_pair(rs, e, &a, &b);

	if (rc)
		return rc;
	rc = arith(rs, e, (enum fl_tmpl__ex_kind)e->kind, a, b, out);
	fl_val_unref(a);
	fl_val_unref(b);
	return rc;
}

/* A left-associative chain `x0 op1 x1 op2 x2 ...`, folded left to right. */
static int eval_chain(struct fl_tmpl__rs *rs, const struct fl_tmpl__ex *e, fl_val **out)
{
	fl_val *acc, *b, *r = NULL;
	int rc = fl_tmpl__eval(rs, e->u.chain.items[0], &acc);

	for (size_t i = 1; !rc && i < e->u.chain.n; i++) {
		rc = fl_tmpl__eval(rs, e->u.chain.items[i], &b);
		if (rc)
			break;
		rc = arith(rs, e, (enum fl_tmpl__ex_kind)e->u.chain.ops[i - 1], acc, b, &r);
		fl_val_unref(b);
		fl_val_unref(acc);
		acc = rc ? NULL : r;
	}
	*out = rc ? NULL : acc;
	if (rc)
		fl_val_unref(acc);
	return rc;
}

/* pongo2 EqualValueTo: integers by value, everything else type-strict. */
static bool equal_value(const fl_val *a, const fl_val *b)
{
	if (fl_val_type(a) == FL_VAL_INT && fl_val_type(b) == FL_VAL_INT)
		return fl_val_get_int(a) == fl_val_get_int(b);
	return fl_val_equal(a, b);
}

/* pongo2 Value.Contains: container `hay` holds `needle`. */
static bool contains(const fl_val *hay, const fl_val *needle)
{
	switch (fl_val_type(hay)) {
	case FL_VAL_OBJECT:
		if (fl_val_type(needle) == FL_VAL_STR) {
			size_t n;
			const char *k = fl_val_get_str(needle, &n);
			return fl_val_object_get(hay, k, n) != NULL;
		}
		return false;
	case FL_VAL_STR: {
		struct fl_buf s = FL_BUF_INIT(0);
		size_t hn;
		const char *h = fl_val_get_str(hay, &hn);
		bool found;
		fl_val_render(needle, &s);
		found = s.len == 0 || (s.len <= hn && memmem(h, hn, s.ptr, s.len) != NULL);
		fl_buf_release(&s);
		return found;
	}
	case FL_VAL_ARRAY:
		for (size_t i = 0; i < fl_val_len(hay); i++)
			if (equal_value(fl_val_array_get(hay, i), needle))
				return true;
		return false;
	default:
		return false;
	}
}

static int eval_cmp(struct fl_tmpl__rs *rs, const struct fl_tmpl__ex *e, fl_val **out)
{
	fl_val *a, *b;
	bool r = false;
	int rc = eval_pair(rs, e, &a, &b);

	if (rc)
		return rc;
	enum fl_tmpl__ex_kind k = (enum fl_tmpl__ex_kind)e->kind;
	if (k == EX_EQ || k == EX_NE || k == EX_IN || k == EX_NOTIN) {
		rc = fl_tmpl_call_charge(&rs->call, a);
		if (!rc)
			rc = fl_tmpl_call_charge(&rs->call, b);
		if (rc) {
			fl_val_unref(a);
			fl_val_unref(b);
			return rc;
		}
	}
	if (k == EX_EQ || k == EX_NE) {
		r = equal_value(a, b) == (k == EX_EQ);
	} else if (k == EX_IN || k == EX_NOTIN) {
		r = contains(b, a) == (k == EX_IN);
	} else {
		int c;
		if (is_float(a) || is_float(b)) {
			double x = fl_conv_float(a), y = fl_conv_float(b);
			/* NaN compares false with everything, as in Go */
			c = x < y ? -1 : x > y ? 1 : x == y ? 0 : 2;
		} else if (fl_val_type(a) == FL_VAL_TIME && fl_val_type(b) == FL_VAL_TIME) {
			int64_t x = fl_val_get_time(a, NULL), y = fl_val_get_time(b, NULL);
			c = x < y ? -1 : x > y;
		} else {
			int64_t x = fl_conv_integer(a), y = fl_conv_integer(b);
			c = x < y ? -1 : x > y;
		}
		switch (k) {
		case EX_LT: r = c == -1; break;
		case EX_LE: r = c == -1 || c == 0; break;
		case EX_GT: r = c == 1; break;
		case EX_GE: r = c == 1 || c == 0; break;
		default: FL_BUG("not a comparison");
		}
	}
	fl_val_unref(a);
	fl_val_unref(b);
	*out = fl_val_bool(r);
	return FL_OK;
}

static int eval_logic(struct fl_tmpl__rs *rs, const struct fl_tmpl__ex *e, fl_val **out)
{
	fl_val *v;
	bool is_and = e->kind == EX_AND, t;
	int rc = fl_tmpl__eval(rs, e->u.bin.a, &v);

	if (rc)
		return rc;
	t = fl_val_truthy(v);
	fl_val_unref(v);
	if (t != is_and) {
		/* and: left false; or: left true */
		*out = fl_val_bool(t);
		return FL_OK;
	}
	rc = fl_tmpl__eval(rs, e->u.bin.b, &v);
	if (rc)
		return rc;
	*out = fl_val_bool(fl_val_truthy(v));
	fl_val_unref(v);
	return FL_OK;
}

typedef int (*eval_fn)(struct fl_tmpl__rs *rs, const struct fl_tmpl__ex *e, fl_val **out);

static const eval_fn evaluators[EX__COUNT] = {
	[EX_LIT] = eval_lit,     [EX_VAR] = eval_var,     [EX_FILTER] = eval_filter, [EX_NOT] = eval_unary,
	[EX_NEG] = eval_unary,     [EX_ADD] = eval_arith,   [EX_SUB] = eval_arith,     [EX_MUL] = eval_arith,
	[EX_DIV] = eval_arith,   [EX_MOD] = eval_arith,   [EX_POW] = eval_arith,     [EX_EQ] = eval_cmp,
	[EX_NE] = eval_cmp,      [EX_LT] = eval_cmp,      [EX_LE] = eval_cmp,        [EX_GT] = eval_cmp,
	[EX_GE] = eval_cmp,      [EX_IN] = eval_cmp,      [EX_NOTIN] = eval_cmp,     [EX_AND] = eval_logic,
	[EX_OR] = eval_logic,    [EX_CHAIN] = eval_chain,
};

int fl_tmpl__eval(struct fl_tmpl__rs *rs, const struct fl_tmpl__ex *e, fl_val **out)
{
	int rc = fl_tmpl__step(rs);

	*out = NULL;
	if (rc)
		return rc;
	return evaluators[e->kind](rs, e, out);
}

/* ---------------------------------------------------------------- nodes */

int fl_tmpl__out_check(struct fl_tmpl__rs *rs)
{
	if (!rs->out->failed)
		return FL_OK;
	if (rs->out->error == FL_ENOMEM)
		return fl_error_set_oom(rs->err);
	return fl_error_set(rs->err, FL_ELIMIT, "output exceeds %zu bytes", rs->call.limits->max_output);
}

static void add_escaped(struct fl_buf *out, const char *s, size_t n)
{
	size_t run = 0;

	for (size_t i = 0; i < n; i++) {
		const char *rep;
		switch (s[i]) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&quot;"; break;
		case '\'': rep = "&#39;"; break;
		default: continue;
		}
		fl_buf_add(out, s + run, i - run);
		fl_buf_adds(out, rep);
		run = i + 1;
	}
	fl_buf_add(out, s + run, n - run);
}

void fl_tmpl__emit(struct fl_tmpl__rs *rs, const fl_val *v)
{
	if (rs->call.autoescape && fl_val_type(v) == FL_VAL_STR && !fl_val_is_safe(v)) {
		size_t n;
		const char *s = fl_val_get_str(v, &n);
		add_escaped(rs->out, s, n);
		return;
	}
	fl_val_render(v, rs->out);
}

int fl_tmpl__exec_text(struct fl_tmpl__rs *rs, const struct fl_tmpl__node *n)
{
	fl_buf_add(rs->out, n->text.ptr, n->text.len);
	return FL_OK;
}

int fl_tmpl__exec_output(struct fl_tmpl__rs *rs, const struct fl_tmpl__node *n)
{
	fl_val *v;
	int rc = fl_tmpl__eval(rs, n->ex[0], &v);

	if (rc)
		return rc;
	fl_tmpl__emit(rs, v);
	fl_val_unref(v);
	return FL_OK;
}

int fl_tmpl__exec_list(struct fl_tmpl__rs *rs, const struct fl_tmpl__node *n)
{
	int rc;

	for (; n; n = n->next) {
		rc = fl_tmpl__step(rs);
		if (rc)
			return rc;
		rc = n->exec(rs, n);
		if (rc)
			return rc;
		if (FL_UNLIKELY(rs->out->failed))
			return fl_tmpl__out_check(rs);
	}
	return FL_OK;
}

int fl_tmpl__capture(struct fl_tmpl__rs *rs, const struct fl_tmpl__node *body, struct fl_buf *tmp)
{
	struct fl_buf *saved = rs->out;
	size_t max = saved->max ? saved->max : FL_BUF_DEFAULT_MAX;
	size_t room = max > saved->len ? max - saved->len : 0;
	int rc;

	fl_buf_init(tmp, room ? room : 1);
	if (!room)
		tmp->failed = true, tmp->error = FL_ETOOBIG;
	rs->out = tmp;
	rc = fl_tmpl__exec_list(rs, body);
	if (!rc && tmp->failed)
		rc = fl_tmpl__out_check(rs);
	rs->out = saved;
	if (rc)
		fl_buf_release(tmp);
	return rc;
}
