/* SPDX-License-Identifier: Apache-2.0 */
/*
 * parser.c - builds the compiled tree from the tokens.
 *
 * Expressions follow pongo2's grammar and precedence exactly, quirks
 * included (all right-recursive where pongo2 is):
 *
 *   expression := relational [ (and | or | && | ||) expression ]
 *   relational := simple [ (== != <> < > <= >=) relational | [not] in simple ]
 *   simple     := [+ | -] [! | not] term { (+ | -) term }
 *   term       := power { (* | / | %) power }
 *   power      := factor [ ^ power ]
 *   factor     := ( expression ) | operand { | filter }
 *   filter     := name [ : operand ]
 *   operand    := NUMBER [ . NUMBER ] | STRING | true false True False nil none None
 *               | IDENT { . IDENT | . NUMBER | [ expression ] | ( [expression {, expression}] ) }
 *
 * Filters are resolved here (an unknown filter is a compile error) and a
 * filter with a literal argument is prepared once.  Static functions are
 * resolved by name here too.  The document is a linked list of nodes; tags
 * are parsed by the functions registered in tags.c.  Nesting of expressions
 * and tag bodies is bounded by limits->max_nesting.
 */
#include "fl-common.h"

#include "alloc.h"
#include "builtin.h"
#include "error.h"
#include "tmpl-int.h"

static const struct fl_tmpl__tok eof_tok = { "", 0, 0, 0, TOK_HTML, false, false };

int fl_tmpl__perr(struct fl_tmpl__ps *ps, const struct fl_tmpl__tok *at, int code, const char *fmt, ...)
{
	char msg[220];
	va_list ap;

	if (!at || at == &eof_tok) {
		/* position of the last token the parse could see */
		size_t i = ps->end ? ps->end : ps->ntok;
		at = i && i <= ps->ntok ? &ps->tok[i - 1] : NULL;
		if (ps->end < ps->ntok)
			at = &ps->tok[ps->end];
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (at)
		return fl_error_set(ps->err, code, "line %u, column %u: %s", at->line, at->col, msg);
	return fl_error_set(ps->err, code, "line 1, column 1: %s", msg);
}

const struct fl_tmpl__tok *fl_tmpl__peek(struct fl_tmpl__ps *ps)
{
	return ps->pos < ps->end ? &ps->tok[ps->pos] : &eof_tok;
}

bool fl_tmpl__args_left(struct fl_tmpl__ps *ps)
{
	return ps->pos < ps->end;
}

const struct fl_tmpl__tok *fl_tmpl__match(struct fl_tmpl__ps *ps, enum fl_tmpl__tok_type type, const char *s)
{
	const struct fl_tmpl__tok *t;

	if (ps->pos >= ps->end)
		return NULL;
	t = &ps->tok[ps->pos];
	if (!fl_tmpl__tok_is(t, type, s))
		return NULL;
	ps->pos++;
	return t;
}

const struct fl_tmpl__tok *fl_tmpl__match_type(struct fl_tmpl__ps *ps, enum fl_tmpl__tok_type type)
{
	const struct fl_tmpl__tok *t;

	if (ps->pos >= ps->end)
		return NULL;
	t = &ps->tok[ps->pos];
	if (t->type != type)
		return NULL;
	ps->pos++;
	return t;
}

static bool peek_sym(struct fl_tmpl__ps *ps, const char *s)
{
	return ps->pos < ps->end && fl_tmpl__tok_is(&ps->tok[ps->pos], TOK_SYMBOL, s);
}

static bool peek_kw(struct fl_tmpl__ps *ps, const char *s)
{
	return ps->pos < ps->end && fl_tmpl__tok_is(&ps->tok[ps->pos], TOK_KEYWORD, s);
}

static int enter(struct fl_tmpl__ps *ps)
{
	if (++ps->depth > ps->lim->max_nesting)
		return fl_tmpl__perr(ps, fl_tmpl__peek(ps), FL_ELIMIT, "nesting exceeds %u levels",
				     ps->lim->max_nesting);
	return FL_OK;
}

static struct fl_tmpl__ex *new_ex(struct fl_tmpl__ps *ps, enum fl_tmpl__ex_kind kind, const struct fl_tmpl__tok *at)
{
	struct fl_tmpl__ex *e = fl_tmpl__alloc(ps->t, sizeof(*e));
	e->kind = (uint8_t)kind;
	e->line = at->line;
	e->col = at->col;
	return e;
}

/* ------------------------------------------------------------ literals */

static fl_val *string_literal(const struct fl_tmpl__tok *t)
{
	char *p;
	size_t n = 0;

	if (!t->escaped)
		return fl_val_str(t->p, t->len);
	p = fl_xmalloc(t->len + 1);
	for (size_t i = 0; i < t->len; i++) {
		if (t->p[i] == '\\' && i + 1 < t->len)
			i++;
		p[n++] = t->p[i];
	}
	p[n] = '\0';
	return fl_val_str_own(p, n);
}

static int number_literal(struct fl_tmpl__ps *ps, const struct fl_tmpl__tok *t, fl_val **out)
{
	char buf[80];
	const struct fl_tmpl__tok *frac = NULL;

	if (peek_sym(ps, ".")) {
		ps->pos++;
		frac = fl_tmpl__match_type(ps, TOK_NUMBER);
		if (!frac)
			return fl_tmpl__perr(ps, fl_tmpl__peek(ps), FL_EINVALID, "expected a number after the '.'");
	}
	if (t->len + (frac ? frac->len + 1 : 0) >= sizeof(buf))
		return fl_tmpl__perr(ps, t, FL_EINVALID, "number literal too long");
	memcpy(buf, t->p, t->len);
	buf[t->len] = '\0';
	if (frac) {
		buf[t->len] = '.';
		memcpy(buf + t->len + 1, frac->p, frac->len);
		buf[t->len + 1 + frac->len] = '\0';
		*out = fl_val_float(strtod(buf, NULL));
		return FL_OK;
	}
	errno = 0;
	long long v = strtoll(buf, NULL, 10);
	if (errno == ERANGE)
		return fl_tmpl__perr(ps, t, FL_EINVALID, "number '%s' out of range", buf);
	*out = fl_val_int((int64_t)v);
	return FL_OK;
}

/* Identifiers that are literals rather than variables. */
static const struct {
	const char *name;
	int value; /* 1 true, 0 false, -1 nil */
} word_literals[] = {
	{ "True", 1 }, { "False", 0 }, { "nil", -1 }, { "none", -1 }, { "None", -1 },
};

/* ------------------------------------------------------------- operand */

static int parse_args(struct fl_tmpl__ps *ps, struct fl_tmpl__acc *acc)
{
	struct fl_tmpl__ex *args[32];
	size_t n = 0;
	int rc;

	for (;;) {
		if (!fl_tmpl__args_left(ps))
			return fl_tmpl__perr(ps, NULL, FL_EINVALID, "unexpected end, expected function call argument list");
		if (fl_tmpl__match(ps, TOK_SYMBOL, ")"))
			break;
		if (n == FL_ARRAY_LEN(args))
			return fl_tmpl__perr(ps, fl_tmpl__peek(ps), FL_ELIMIT, "too many function arguments");
		rc = fl_tmpl__parse_expr(ps, &args[n]);
		if (rc)
			return rc;
		n++;
		if (fl_tmpl__match(ps, TOK_SYMBOL, ")"))
			break;
		if (!fl_tmpl__match(ps, TOK_SYMBOL, ","))
			return fl_tmpl__perr(ps, fl_tmpl__peek(ps), FL_EINVALID,
					     "missing comma or closing bracket after argument");
	}
	acc->nargs = n;
	if (n) {
		acc->args = fl_tmpl__alloc(ps->t, n * sizeof(*acc->args));
		memcpy(acc->args, args, n * sizeof(*args));
	}
	return FL_OK;
}

static int parse_operand(struct fl_tmpl__ps *ps, struct fl_tmpl__ex **out)
{
	const struct fl_tmpl__tok *t = fl_tmpl__peek(ps);
	struct fl_tmpl__acc accs[32];
	size_t nacc = 0;
	struct fl_tmpl__ex *e;
	fl_val *v = NULL;
	int rc;

	if (t == &eof_tok)
		return fl_tmpl__perr(ps, NULL, FL_EINVALID, "unexpected end, expected a number, string, keyword or identifier");
	switch (t->type) {
	case TOK_NUMBER:
		ps->pos++;
		rc = number_literal(ps, t, &v);
		if (rc)
			return rc;
		break;
	case TOK_STRING:
		ps->pos++;
		v = string_literal(t);
		break;
	case TOK_KEYWORD:
		if (fl_tmpl__tok_is(t, TOK_KEYWORD, "true") || fl_tmpl__tok_is(t, TOK_KEYWORD, "false")) {
			ps->pos++;
			v = fl_val_bool(t->p[0] == 't');
			break;
		}
		return fl_tmpl__perr(ps, t, FL_EINVALID, "keyword '%.*s' is not allowed here", (int)t->len, t->p);
	case TOK_IDENT:
		for (size_t i = 0; i < FL_ARRAY_LEN(word_literals); i++) {
			if (fl_tmpl__tok_is(t, TOK_IDENT, word_literals[i].name)) {
				ps->pos++;
				v = word_literals[i].value < 0 ? fl_val_nil() : fl_val_bool(word_literals[i].value);
				break;
			}
		}
		break;
	default:
		return fl_tmpl__perr(ps, t, FL_EINVALID, "expected a number, string, keyword or identifier, got '%.*s'",
				     (int)t->len, t->p);
	}
	if (v) {
		e = new_ex(ps, EX_LIT, t);
		e->u.lit = fl_tmpl__keep(ps->t, v);
		*out = e;
		return FL_OK;
	}

	/* a variable: IDENT followed by accessors */
	ps->pos++;
	e = new_ex(ps, EX_VAR, t);
	e->u.var.name = fl_str_make(t->p, t->len);
	e->u.var.hash = fl_val_key_hash(t->p, t->len);
	const struct fl_tmpl_function *fn = fl_tmpl_function_find(t->p, t->len);
	if (fn)
		e->u.var.func = fl_tmpl__keep(ps->t, fl_val_func(fn->name, fn->fn));
	for (;;) {
		const struct fl_tmpl__tok *a = fl_tmpl__peek(ps);
		struct fl_tmpl__acc *acc = &accs[nacc];

		if (!peek_sym(ps, ".") && !peek_sym(ps, "[") && !peek_sym(ps, "("))
			break;
		if (nacc == FL_ARRAY_LEN(accs))
			return fl_tmpl__perr(ps, a, FL_ELIMIT, "variable has too many parts");
		memset(acc, 0, sizeof(*acc));
		acc->line = a->line;
		acc->col = a->col;
		acc->at = a->p;
		ps->pos++;
		if (a->p[0] == '.') {
			const struct fl_tmpl__tok *p = fl_tmpl__peek(ps);
			if (p->type == TOK_IDENT) {
				acc->kind = ACC_ATTR;
				acc->name = fl_str_make(p->p, p->len);
				acc->hash = fl_val_key_hash(p->p, p->len);
			} else if (p->type == TOK_NUMBER) {
				char buf[24];
				if (p->len >= sizeof(buf))
					return fl_tmpl__perr(ps, p, FL_EINVALID, "index '%.*s' out of range", (int)p->len, p->p);
				memcpy(buf, p->p, p->len);
				buf[p->len] = '\0';
				errno = 0;
				long long ix = strtoll(buf, NULL, 10);
				if (errno == ERANGE)
					return fl_tmpl__perr(ps, p, FL_EINVALID, "index '%s' out of range", buf);
				acc->kind = ACC_INDEX;
				acc->index = (int64_t)ix;
			} else if (p == &eof_tok) {
				return fl_tmpl__perr(ps, a, FL_EINVALID,
						     "unexpected end, expected either identifier or number after dot");
			} else {
				return fl_tmpl__perr(ps, p, FL_EINVALID, "'%.*s' is not allowed within a variable name",
						     (int)p->len, p->p);
			}
			ps->pos++;
		} else if (a->p[0] == '[') {
			acc->kind = ACC_SUBSCRIPT;
			rc = fl_tmpl__parse_expr(ps, &acc->sub);
			if (rc)
				return rc;
			if (!fl_tmpl__match(ps, TOK_SYMBOL, "]"))
				return fl_tmpl__perr(ps, fl_tmpl__peek(ps), FL_EINVALID,
						     "missing closing bracket after subscript");
		} else {
			acc->kind = ACC_CALL;
			rc = parse_args(ps, acc);
			if (rc)
				return rc;
		}
		nacc++;
	}
	const struct fl_tmpl__tok *last = &ps->tok[ps->pos - 1];
	e->u.var.text = fl_str_make(t->p, (size_t)(last->p + last->len - t->p));
	if (last->type == TOK_STRING)
		e->u.var.text.len++;
	e->u.var.nacc = nacc;
	if (nacc) {
		e->u.var.acc = fl_tmpl__alloc(ps->t, nacc * sizeof(*accs));
		memcpy(e->u.var.acc, accs, nacc * sizeof(*accs));
	}
	*out = e;
	return FL_OK;
}

/* -------------------------------------------------------------- filters */

int fl_tmpl__parse_fcall(struct fl_tmpl__ps *ps, struct fl_tmpl__fcall *fc)
{
	const struct fl_tmpl__tok *name = fl_tmpl__match_type(ps, TOK_IDENT);
	int rc;

	memset(fc, 0, sizeof(*fc));
	if (!name)
		return fl_tmpl__perr(ps, fl_tmpl__peek(ps), FL_EINVALID, "filter name must be an identifier");
	fc->line = name->line;
	fc->col = name->col;
	fc->f = fl_tmpl_filter_find(name->p, name->len);
	if (!fc->f)
		return fl_tmpl__perr(ps, name, FL_EINVALID, "unknown filter '%.*s'", (int)name->len, name->p);
	if (fl_tmpl__match(ps, TOK_SYMBOL, ":")) {
		const struct fl_tmpl__tok *at = fl_tmpl__peek(ps);
		if (at == &eof_tok || at->type == TOK_VAR_CLOSE)
			return fl_tmpl__perr(ps, at, FL_EINVALID, "filter argument required after ':'");
		rc = parse_operand(ps, &fc->arg);
		if (rc)
			return rc;
		if (fc->f->flags & FL_FILTER_PARAM_NONE)
			return fl_tmpl__perr(ps, name, FL_EINVALID, "filter '%s' takes no argument", fc->f->name);
	} else if (fc->f->flags & FL_FILTER_PARAM_REQUIRED) {
		return fl_tmpl__perr(ps, name, FL_EINVALID, "filter '%s' requires an argument", fc->f->name);
	}
	if (fc->arg && fc->arg->kind == EX_LIT && fc->f->prepare) {
		struct fl_error perr = FL_ERROR_INIT;
		rc = fc->f->prepare(fc->arg->u.lit, ps->lim, &fc->state, &perr);
		if (rc)
			return fl_tmpl__perr(ps, name, rc, "filter '%s': %s", fc->f->name, perr.msg);
		if (fc->state)
			fl_tmpl__keep_state(ps->t, fc->f, fc->state);
	}
	return FL_OK;
}

static int parse_factor(struct fl_tmpl__ps *ps, struct fl_tmpl__ex **out)
{
	struct fl_tmpl__ex *e;
	int rc;

	if (fl_tmpl__match(ps, TOK_SYMBOL, "(")) {
		rc = fl_tmpl__parse_expr(ps, out);
		if (rc)
			return rc;
		if (!fl_tmpl__match(ps, TOK_SYMBOL, ")"))
			return fl_tmpl__perr(ps, fl_tmpl__peek(ps), FL_EINVALID,
					     "closing bracket expected after expression");
		return FL_OK;
	}
	struct fl_tmpl__fcall fc[32];
	size_t nfc = 0;
	const struct fl_tmpl__tok *at = NULL;

	rc = parse_operand(ps, &e);
	if (rc)
		return rc;
	while (fl_tmpl__match(ps, TOK_SYMBOL, "|")) {
		if (!at)
			at = fl_tmpl__peek(ps);
		if (nfc == FL_ARRAY_LEN(fc))
			return fl_tmpl__perr(ps, fl_tmpl__peek(ps), FL_ELIMIT, "too many filters in a chain");
		rc = fl_tmpl__parse_fcall(ps, &fc[nfc]);
		if (rc)
			return rc;
		nfc++;
	}
	if (nfc) {
		struct fl_tmpl__ex *f = new_ex(ps, EX_FILTER, at);
		f->u.filt.in = e;
		f->u.filt.nfc = nfc;
		f->u.filt.fc = fl_tmpl__alloc(ps->t, nfc * sizeof(*fc));
		memcpy(f->u.filt.fc, fc, nfc * sizeof(*fc));
		e = f;
	}
	*out = e;
	return FL_OK;
}

/* ---------------------------------------------------------- expressions */

static int parse_power(struct fl_tmpl__ps *ps, struct fl_tmpl__ex **out)
{
	const struct fl_tmpl__tok *op;
	int rc = parse_factor(ps, out);

	if (!rc && (op = fl_tmpl__match(ps, TOK_SYMBOL, "^"))) {
		struct fl_tmpl__ex *e = new_ex(ps, EX_POW, op);
		e->u.bin.a = *out;
		*out = e;
		rc = enter(ps);
		if (rc)
			return rc;
		rc = parse_power(ps, &e->u.bin.b);
		ps->depth--;
	}
	return rc;
}

static const struct {
	const char *sym;
	enum fl_tmpl__ex_kind kind;
} term_ops[] = { { "*", EX_MUL }, { "/", EX_DIV }, { "%", EX_MOD } },
  simple_ops[] = { { "+", EX_ADD }, { "-", EX_SUB } },
  rel_ops[] = { { "==", EX_EQ }, { "<=", EX_LE }, { ">=", EX_GE }, { "!=", EX_NE },
		{ "<>", EX_NE }, { ">", EX_GT },  { "<", EX_LT } };

/*
 * Operands and operators of one left-associative level, collected into a
 * flat chain that the evaluator folds iteratively (so a long `a + b + c ...`
 * does not turn into deep recursion).
 */
struct chain {
	struct fl_tmpl__ex *items[128];
	uint8_t ops[128];
	size_t n;
	const struct fl_tmpl__tok *first_op;
};

static int chain_add(struct fl_tmpl__ps *ps, struct chain *c, const struct fl_tmpl__tok *op, enum fl_tmpl__ex_kind kind)
{
	if (c->n == FL_ARRAY_LEN(c->items))
		return fl_tmpl__perr(ps, op, FL_ELIMIT, "expression has too many operands");
	if (!c->first_op)
		c->first_op = op;
	c->ops[c->n - 1] = (uint8_t)kind;
	return FL_OK;
}

static struct fl_tmpl__ex *chain_build(struct fl_tmpl__ps *ps, struct chain *c)
{
	struct fl_tmpl__ex *e;

	if (c->n == 1)
		return c->items[0];
	if (c->n == 2) {
		e = new_ex(ps, (enum fl_tmpl__ex_kind)c->ops[0], c->first_op);
		e->u.bin.a = c->items[0];
		e->u.bin.b = c->items[1];
		return e;
	}
	e = new_ex(ps, EX_CHAIN, c->first_op);
	e->u.chain.n = c->n;
	e->u.chain.items = fl_tmpl__alloc(ps->t, c->n * sizeof(*c->items));
	memcpy(e->u.chain.items, c->items, c->n * sizeof(*c->items));
	e->u.chain.ops = fl_tmpl__alloc(ps->t, c->n - 1);
	memcpy(e->u.chain.ops, c->ops, c->n - 1);
	return e;
}

static int parse_term(struct fl_tmpl__ps *ps, struct fl_tmpl__ex **out)
{
	struct chain c;
	int rc;

	c.n = 1;
	c.first_op = NULL;
	rc = parse_power(ps, &c.items[0]);
	while (!rc) {
		const struct fl_tmpl__tok *op = NULL;
		size_t i;
		for (i = 0; i < FL_ARRAY_LEN(term_ops) && !op; i++)
			op = fl_tmpl__match(ps, TOK_SYMBOL, term_ops[i].sym);
		if (!op)
			break;
		rc = chain_add(ps, &c, op, term_ops[i - 1].kind);
		if (!rc)
			rc = parse_power(ps, &c.items[c.n++]);
	}
	if (!rc)
		*out = chain_build(ps, &c);
	return rc;
}

static int parse_simple(struct fl_tmpl__ps *ps, struct fl_tmpl__ex **out)
{
	const struct fl_tmpl__tok *neg = NULL, *not = NULL, *sign;
	int rc;

	if ((sign = fl_tmpl__match(ps, TOK_SYMBOL, "-")) != NULL)
		neg = sign;
	else
		fl_tmpl__match(ps, TOK_SYMBOL, "+");
	not = fl_tmpl__match(ps, TOK_SYMBOL, "!");
	if (!not)
		not = fl_tmpl__match(ps, TOK_KEYWORD, "not");
	rc = parse_term(ps, out);
	if (rc)
		return rc;
	/* pongo2 applies the negation first, then the sign, to the first term */
	if (not) {
		struct fl_tmpl__ex *e = new_ex(ps, EX_NOT, not);
		e->u.un = *out;
		*out = e;
	}
	if (neg) {
		struct fl_tmpl__ex *e = new_ex(ps, EX_NEG, neg);
		e->u.un = *out;
		*out = e;
	}
	struct chain chain, *c = &chain;
	c->n = 1;
	c->first_op = NULL;
	c->items[0] = *out;
	while (!rc) {
		const struct fl_tmpl__tok *op = NULL;
		size_t i;
		for (i = 0; i < FL_ARRAY_LEN(simple_ops) && !op; i++)
			op = fl_tmpl__match(ps, TOK_SYMBOL, simple_ops[i].sym);
		if (!op)
			break;
		rc = chain_add(ps, c, op, simple_ops[i - 1].kind);
		if (!rc)
			rc = parse_term(ps, &c->items[c->n++]);
	}
	if (!rc)
		*out = chain_build(ps, c);
	return rc;
}

static int parse_relational(struct fl_tmpl__ps *ps, struct fl_tmpl__ex **out)
{
	const struct fl_tmpl__tok *op = NULL;
	size_t i;
	int rc = parse_simple(ps, out);

	if (rc)
		return rc;
	for (i = 0; i < FL_ARRAY_LEN(rel_ops) && !op; i++)
		op = fl_tmpl__match(ps, TOK_SYMBOL, rel_ops[i].sym);
	if (op) {
		struct fl_tmpl__ex *e = new_ex(ps, rel_ops[i - 1].kind, op);
		e->u.bin.a = *out;
		*out = e;
		rc = enter(ps);
		if (rc)
			return rc;
		rc = parse_relational(ps, &e->u.bin.b);
		ps->depth--;
	} else if ((op = fl_tmpl__match(ps, TOK_KEYWORD, "in")) != NULL ||
		   (peek_kw(ps, "not") && ps->pos + 1 < ps->end &&
		    fl_tmpl__tok_is(&ps->tok[ps->pos + 1], TOK_KEYWORD, "in"))) {
		enum fl_tmpl__ex_kind kind = EX_IN;
		if (!op) {
			op = &ps->tok[ps->pos];
			ps->pos += 2;
			kind = EX_NOTIN;
		}
		struct fl_tmpl__ex *e = new_ex(ps, kind, op);
		e->u.bin.a = *out;
		rc = parse_simple(ps, &e->u.bin.b);
		*out = e;
	}
	return rc;
}

int fl_tmpl__parse_expr(struct fl_tmpl__ps *ps, struct fl_tmpl__ex **out)
{
	const struct fl_tmpl__tok *op;
	enum fl_tmpl__ex_kind kind = EX_AND;
	int rc = enter(ps);

	if (rc)
		return rc;
	rc = parse_relational(ps, out);
	if (rc)
		goto done;
	op = fl_tmpl__match(ps, TOK_SYMBOL, "&&");
	if (!op)
		op = fl_tmpl__match(ps, TOK_KEYWORD, "and");
	if (!op) {
		kind = EX_OR;
		op = fl_tmpl__match(ps, TOK_SYMBOL, "||");
		if (!op)
			op = fl_tmpl__match(ps, TOK_KEYWORD, "or");
	}
	if (op) {
		/* right-recursive like pongo2, so each operator is one nesting level */
		struct fl_tmpl__ex *e = new_ex(ps, kind, op);
		e->u.bin.a = *out;
		*out = e;
		rc = fl_tmpl__parse_expr(ps, &e->u.bin.b);
	}
done:
	ps->depth--;
	return rc;
}

/* ------------------------------------------------------------- document */

static struct fl_tmpl__node *new_node(struct fl_tmpl__ps *ps, fl_tmpl__exec_fn exec, const struct fl_tmpl__tok *at)
{
	struct fl_tmpl__node *n = fl_tmpl__alloc(ps->t, sizeof(*n));
	n->exec = exec;
	n->line = at->line;
	n->col = at->col;
	return n;
}

int fl_tmpl__close_tag(struct fl_tmpl__ps *ps, const char *what)
{
	if (ps->pos < ps->end)
		return fl_tmpl__perr(ps, &ps->tok[ps->pos], FL_EINVALID, "malformed '%s' tag arguments near '%.*s'",
				     what, (int)ps->tok[ps->pos].len, ps->tok[ps->pos].p);
	ps->pos = ps->end + 1;
	ps->end = ps->ntok;
	return FL_OK;
}

/* Set the parse range to the arguments of the tag opened at ps->pos. */
static int tag_range(struct fl_tmpl__ps *ps, const struct fl_tmpl__tok **name)
{
	const struct fl_tmpl__tok *open = &ps->tok[ps->pos];
	size_t i;

	for (i = ps->pos + 1; i < ps->ntok; i++)
		if (ps->tok[i].type == TOK_TAG_CLOSE || ps->tok[i].type == TOK_VAR_CLOSE)
			break;
	if (i == ps->ntok)
		return fl_tmpl__perr(ps, open, FL_EINVALID, "tag not closed, '%%}' expected");
	if (ps->tok[i].type != TOK_TAG_CLOSE)
		return fl_tmpl__perr(ps, &ps->tok[i], FL_EINVALID, "'%%}' expected");
	if (i == ps->pos + 1 || ps->tok[ps->pos + 1].type != TOK_IDENT)
		return fl_tmpl__perr(ps, &ps->tok[ps->pos + 1], FL_EINVALID, "tag name must be an identifier");
	*name = &ps->tok[ps->pos + 1];
	ps->pos += 2;
	ps->end = i;
	return FL_OK;
}

static void append(struct fl_tmpl__node ***tail, struct fl_tmpl__node *n)
{
	**tail = n;
	*tail = &n->next;
}

static int parse_output(struct fl_tmpl__ps *ps, struct fl_tmpl__node **out)
{
	const struct fl_tmpl__tok *open = &ps->tok[ps->pos];
	struct fl_tmpl__node *n = new_node(ps, fl_tmpl__exec_output, open);
	size_t i;
	int rc;

	for (i = ps->pos + 1; i < ps->ntok; i++)
		if (ps->tok[i].type == TOK_TAG_CLOSE || ps->tok[i].type == TOK_VAR_CLOSE)
			break;
	if (i == ps->ntok)
		return fl_tmpl__perr(ps, open, FL_EINVALID, "variable not closed, '}}' expected");
	ps->pos++;
	ps->end = i;
	n->nex = 1;
	n->ex = fl_tmpl__alloc(ps->t, sizeof(*n->ex));
	rc = fl_tmpl__parse_expr(ps, &n->ex[0]);
	if (rc)
		return rc;
	if (ps->pos < ps->end)
		return fl_tmpl__perr(ps, &ps->tok[ps->pos], FL_EINVALID, "'}}' expected, got '%.*s'",
				     (int)ps->tok[ps->pos].len, ps->tok[ps->pos].p);
	if (ps->tok[i].type != TOK_VAR_CLOSE)
		return fl_tmpl__perr(ps, &ps->tok[i], FL_EINVALID, "'}}' expected, got '%%}'");
	ps->pos = i + 1;
	ps->end = ps->ntok;
	*out = n;
	return FL_OK;
}

static void list_names(char *buf, size_t size, const char *const *ends)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; ends[i] && used < size; i++) {
		int w = snprintf(buf + used, size - used, "%s'%s'", i ? (ends[i + 1] ? ", " : " or ") : "", ends[i]);
		if (w < 0)
			break;
		used += (size_t)w;
	}
}

int fl_tmpl__parse_body(struct fl_tmpl__ps *ps, const char *const *ends, struct fl_tmpl__node **body,
			size_t *which, const struct fl_tmpl__tok *opener)
{
	struct fl_tmpl__node *head = NULL, **tail = &head;
	int rc = FL_OK;

	if (ends && (rc = enter(ps)) != FL_OK)
		return rc;
	ps->end = ps->ntok;
	while (ps->pos < ps->ntok) {
		const struct fl_tmpl__tok *t = &ps->tok[ps->pos];
		const struct fl_tmpl__tok *name = NULL;
		struct fl_tmpl__node *n = NULL;

		if (t->type == TOK_HTML) {
			n = new_node(ps, fl_tmpl__exec_text, t);
			n->text = fl_str_make(t->p, t->len);
			append(&tail, n);
			ps->pos++;
			continue;
		}
		if (t->type == TOK_VAR_OPEN) {
			rc = parse_output(ps, &n);
			if (rc)
				goto out;
			append(&tail, n);
			continue;
		}
		if (t->type != TOK_TAG_OPEN) {
			rc = fl_tmpl__perr(ps, t, FL_EINVALID, "unexpected '%.*s'", (int)t->len, t->p);
			goto out;
		}
		rc = tag_range(ps, &name);
		if (rc)
			goto out;
		for (size_t i = 0; ends && ends[i]; i++) {
			if (fl_tmpl__tok_is(name, TOK_IDENT, ends[i])) {
				*which = i;
				*body = head;
				goto out;
			}
		}
		const char *rejected = fl_tmpl__tag_rejected(name->p, name->len);
		if (rejected) {
			rc = fl_tmpl__perr(ps, name, FL_EINVALID, "%s", rejected);
			goto out;
		}
		const struct fl_tmpl__tag *tag = fl_tmpl__tag_find(name->p, name->len);
		if (!tag) {
			rc = fl_tmpl__perr(ps, name, FL_EINVALID, "%s tag '%.*s'",
					   fl_tmpl__tag_is_inner(name->p, name->len) ? "unexpected" : "unknown",
					   (int)name->len, name->p);
			goto out;
		}
		n = new_node(ps, NULL, t);
		rc = tag->parse(ps, name, n);
		if (rc)
			goto out;
		if (n->exec)
			append(&tail, n);
	}
	if (ends) {
		char names[160];
		list_names(names, sizeof(names), ends);
		rc = fl_tmpl__perr(ps, opener, FL_EINVALID, "tag '%.*s' not closed, expected %s", (int)opener->len,
				   opener->p, names);
		goto out;
	}
	*body = head;
out:
	if (ends)
		ps->depth--;
	return rc;
}

int fl_tmpl__skip_until(struct fl_tmpl__ps *ps, const char *name, const struct fl_tmpl__tok *opener)
{
	ps->end = ps->ntok;
	while (ps->pos < ps->ntok) {
		const struct fl_tmpl__tok *t = &ps->tok[ps->pos];
		if (t->type == TOK_TAG_OPEN && ps->pos + 1 < ps->ntok &&
		    fl_tmpl__tok_is(&ps->tok[ps->pos + 1], TOK_IDENT, name)) {
			const struct fl_tmpl__tok *n = NULL;
			return tag_range(ps, &n);
		}
		ps->pos++;
	}
	return fl_tmpl__perr(ps, opener, FL_EINVALID, "tag '%.*s' not closed, expected '%s'", (int)opener->len,
			     opener->p, name);
}

int fl_tmpl__parse(struct fl_tmpl *t, const struct fl_tmpl__toks *toks, const struct fl_tmpl_limits *lim,
		   struct fl_error *err)
{
	struct fl_tmpl__ps ps;

	memset(&ps, 0, sizeof(ps));
	ps.t = t;
	ps.lim = lim;
	ps.tok = toks->v;
	ps.ntok = toks->n;
	ps.end = toks->n;
	ps.err = err;
	return fl_tmpl__parse_body(&ps, NULL, &t->root, NULL, NULL);
}
