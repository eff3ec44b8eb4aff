/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tmpl-int.h - internals shared by the files of the template interpreter.
 *
 * Not a public header: only the .c files of src/template include it.  It defines the
 * tokens produced by the lexer, the compiled tree (expressions and document
 * nodes) built by the parser, the per-render state used by the evaluator and
 * the tags, and the module-family functions (prefix fl_tmpl__) that connect
 * lexer.c, parser.c, eval.c, tags.c and template.c.
 *
 * Memory: every tree node lives in the template's arena and is freed with it;
 * literal values and filter states are recorded in the template and released
 * by fl_tmpl_free.  A compiled template is never modified by a render.
 */
#ifndef FL_TEMPLATE_TMPL_INT_H
#define FL_TEMPLATE_TMPL_INT_H

#include "buf.h"
#include "builtin.h"
#include "error.h"
#include "fl-common.h"
#include "str.h"
#include "template.h"
#include "value.h"

/* ---------------------------------------------------------------- tokens */

enum fl_tmpl__tok_type {
	TOK_HTML = 0,  /* literal text */
	TOK_VAR_OPEN,  /* {{ */
	TOK_VAR_CLOSE, /* }} */
	TOK_TAG_OPEN,  /* {% */
	TOK_TAG_CLOSE, /* %} */
	TOK_IDENT,
	TOK_KEYWORD, /* in and or not true false as export */
	TOK_STRING,  /* slice excludes the quotes; `escaped` when \\ or \" occur */
	TOK_NUMBER,  /* decimal digits only */
	TOK_SYMBOL,
};

struct fl_tmpl__tok {
	const char *p;
	uint32_t len;
	uint32_t line, col;
	uint8_t type;
	bool trim;    /* {{- -}} {%- -%}: trim whitespace on that side */
	bool escaped; /* TOK_STRING holds escape sequences */
};

struct fl_tmpl__toks {
	struct fl_tmpl__tok *v;
	size_t n, cap;
};

/* Tokenize src; on error returns FL_EINVALID with "line L, column C: ...". */
int fl_tmpl__lex(struct fl_tmpl__toks *out, const char *src, size_t len, struct fl_error *err);
void fl_tmpl__toks_release(struct fl_tmpl__toks *toks);

static inline bool fl_tmpl__tok_is(const struct fl_tmpl__tok *t, enum fl_tmpl__tok_type type, const char *s)
{
	size_t n = strlen(s);
	return t->type == type && t->len == n && memcmp(t->p, s, n) == 0;
}

/* ---------------------------------------------------------- expressions */

enum fl_tmpl__ex_kind {
	EX_LIT = 0,
	EX_VAR,
	EX_FILTER,
	EX_NOT,  /* pongo2 Negate() */
	EX_NEG,  /* unary minus */
	EX_ADD,
	EX_SUB,
	EX_MUL,
	EX_DIV,
	EX_MOD,
	EX_POW,
	EX_EQ,
	EX_NE,
	EX_LT,
	EX_LE,
	EX_GT,
	EX_GE,
	EX_IN,
	EX_NOTIN,
	EX_AND,
	EX_OR,
	EX_CHAIN, /* a op b op c ... of one left-associative level, folded left */
	EX__COUNT
};

enum fl_tmpl__acc_kind {
	ACC_ATTR = 0,  /* .name */
	ACC_INDEX,     /* .3 */
	ACC_SUBSCRIPT, /* [expr] */
	ACC_CALL,      /* (args) */
};

struct fl_tmpl__ex;

/* A filter call `name[:arg]` (in a chain or the filter tag). */
struct fl_tmpl__fcall {
	const struct fl_tmpl_filter *f;
	struct fl_tmpl__ex *arg; /* NULL when absent */
	void *state;             /* from prepare() */
	uint32_t line, col;
};

struct fl_tmpl__acc {
	uint8_t kind;
	uint32_t line, col;
	const char *at;     /* source position of the accessor */
	struct fl_str name; /* ACC_ATTR */
	uint32_t hash;      /* ACC_ATTR: fl_val_key_hash(name) */
	int64_t index;      /* ACC_INDEX */
	struct fl_tmpl__ex *sub;  /* ACC_SUBSCRIPT */
	struct fl_tmpl__ex **args; /* ACC_CALL */
	size_t nargs;
};

struct fl_tmpl__ex {
	uint8_t kind;
	uint32_t line, col;
	union {
		fl_val *lit; /* EX_LIT (owned by the template) */
		struct {
			struct fl_str name; /* root identifier */
			uint32_t hash;      /* fl_val_key_hash(name) */
			struct fl_str text; /* whole variable, for messages */
			fl_val *func;       /* static function of that name, or NULL */
			struct fl_tmpl__acc *acc;
			size_t nacc;
		} var;
		struct {
			struct fl_tmpl__ex *in;
			struct fl_tmpl__fcall *fc; /* the chain, applied in order */
			size_t nfc;
		} filt;
		struct {
			struct fl_tmpl__ex **items; /* n operands */
			uint8_t *ops;               /* n - 1 operators (EX_ADD ... EX_MOD) */
			size_t n;
		} chain;
		struct {
			struct fl_tmpl__ex *a, *b;
		} bin;
		struct fl_tmpl__ex *un;
	} u;
};

/* ---------------------------------------------------------------- nodes */

struct fl_tmpl__rs;
struct fl_tmpl__node;

typedef int (*fl_tmpl__exec_fn)(struct fl_tmpl__rs *rs, const struct fl_tmpl__node *n);

struct fl_tmpl__node {
	fl_tmpl__exec_fn exec;
	struct fl_tmpl__node *next;
	uint32_t line, col;
	unsigned slot; /* per-render state slot (cycle, ifchanged) */
	/* Generic payload used by the tags; meaning documented in tags.c. */
	struct fl_tmpl__ex **ex; /* expressions */
	size_t nex;
	struct fl_tmpl__node **body; /* bodies */
	size_t nbody;
	struct fl_str text;  /* text / names */
	struct fl_str text2;
	int64_t num;
	unsigned flags;
	struct fl_tmpl__fcall *fc;
	size_t nfc;
	struct fl_str *names;
	size_t nnames;
};

/* ------------------------------------------------------------- template */

struct fl_tmpl__chunk;

struct fl_tmpl {
	char *src;
	size_t len;
	struct fl_tmpl_limits lim;
	struct fl_tmpl__node *root;
	bool literal;
	unsigned nslots;
	struct fl_tmpl__chunk *arena;
	/* Values and prepared filter states owned by the tree. */
	fl_val **vals;
	size_t nvals, capvals;
	struct fl_tmpl__fstate {
		const struct fl_tmpl_filter *f;
		void *state;
	} *states;
	size_t nstates, capstates;
};

/* Arena allocation, zero-filled; never fails (aborts on OOM). */
void *fl_tmpl__alloc(struct fl_tmpl *t, size_t size);
/* Keep v (consumed) alive as long as t; returns v. */
fl_val *fl_tmpl__keep(struct fl_tmpl *t, fl_val *v);
void fl_tmpl__keep_state(struct fl_tmpl *t, const struct fl_tmpl_filter *f, void *state);

/* --------------------------------------------------------------- parser */

struct fl_tmpl__ps {
	struct fl_tmpl *t;
	const struct fl_tmpl_limits *lim;
	const struct fl_tmpl__tok *tok;
	size_t pos, end; /* end: one past the last token the current parse may use */
	size_t ntok;
	unsigned depth;
	struct fl_error *err;
	/* names declared by `cycle ... as name`, for `{% cycle name %}` */
	struct fl_str cycles[32];
	struct fl_tmpl__node *cycle_node[32];
	size_t ncycles;
};

int fl_tmpl__parse(struct fl_tmpl *t, const struct fl_tmpl__toks *toks, const struct fl_tmpl_limits *lim,
		   struct fl_error *err);

/* Helpers for tag parsers (tags.c). */
int fl_tmpl__perr(struct fl_tmpl__ps *ps, const struct fl_tmpl__tok *at, int code, const char *fmt, ...)
	FL_PRINTF(4, 5);
const struct fl_tmpl__tok *fl_tmpl__peek(struct fl_tmpl__ps *ps);
const struct fl_tmpl__tok *fl_tmpl__match(struct fl_tmpl__ps *ps, enum fl_tmpl__tok_type type, const char *s);
const struct fl_tmpl__tok *fl_tmpl__match_type(struct fl_tmpl__ps *ps, enum fl_tmpl__tok_type type);
bool fl_tmpl__args_left(struct fl_tmpl__ps *ps);
int fl_tmpl__parse_expr(struct fl_tmpl__ps *ps, struct fl_tmpl__ex **out);
/* A filter call `name[:arg]` as in the filter tag. */
int fl_tmpl__parse_fcall(struct fl_tmpl__ps *ps, struct fl_tmpl__fcall *out);
/*
 * Parse document nodes until `{% name %}` for one of the NULL-terminated
 * end names.  On success *body is the node list, *which the index of the end
 * tag found, and ps->pos/end delimit that end tag's arguments (the caller
 * consumes them and calls fl_tmpl__close_tag).  At top level (ends == NULL) parses
 * to the end of the template.
 */
int fl_tmpl__parse_body(struct fl_tmpl__ps *ps, const char *const *ends, struct fl_tmpl__node **body,
			size_t *which, const struct fl_tmpl__tok *opener);
/*
 * Finish the arguments of the current tag: error "malformed '<what>' tag
 * arguments" if tokens are left, else move past its %} and restore the
 * parse range to the whole template.
 */
int fl_tmpl__close_tag(struct fl_tmpl__ps *ps, const char *what);
/* Skip raw tokens until `{% name`, leaving the range on its arguments (comment tag). */
int fl_tmpl__skip_until(struct fl_tmpl__ps *ps, const char *name, const struct fl_tmpl__tok *opener);

/* ---------------------------------------------------------------- tags */

typedef int (*fl_tmpl__tag_parse_fn)(struct fl_tmpl__ps *ps, const struct fl_tmpl__tok *name,
				     struct fl_tmpl__node *n);

struct fl_tmpl__tag {
	const char *name;
	fl_tmpl__tag_parse_fn parse;
	const char *help;
};

/* Lookup by name; NULL when unknown. */
const struct fl_tmpl__tag *fl_tmpl__tag_find(const char *name, size_t len);
/* Message for tags that flow templates reject (include, extends, ...), or NULL. */
const char *fl_tmpl__tag_rejected(const char *name, size_t len);
/* True for names that only close or split another tag (endif, else, ...). */
bool fl_tmpl__tag_is_inner(const char *name, size_t len);

/* ----------------------------------------------------------- evaluation */

/* A variable introduced by set/for/with/cycle/widthratio. */
struct fl_tmpl__loop;
struct fl_tmpl__svar {
	const char *name;
	size_t len;
	fl_val *v;                   /* owned; NULL when `loop` is set */
	struct fl_tmpl__loop *loop; /* forloop */
};

struct fl_tmpl__scope {
	struct fl_tmpl__scope *parent;
	struct fl_tmpl__svar *vars;
	size_t n, cap;
	struct fl_tmpl__svar small[4];
};

struct fl_tmpl__loop {
	int64_t counter0, count;
	struct fl_tmpl__loop *parent;
};

/* Per-render slot state. */
struct fl_tmpl__slot {
	int64_t idx;       /* cycle position */
	fl_val **last;     /* ifchanged: previous values */
	size_t nlast;
	char *content;     /* ifchanged: previous rendered body */
	size_t content_len;
	bool seen;
};

/* State of one render. */
struct fl_tmpl__rs {
	const struct fl_tmpl *t;
	struct fl_tmpl_call call;
	struct fl_error *err;
	fl_val *ctx;
	struct fl_tmpl__scope *scope;
	struct fl_buf *out;
	struct fl_tmpl__slot *slots;
	uint64_t steps;
	uint64_t rng;
	size_t out_base; /* out->len when the render began (output budget) */
};

/* Steps between two reads of the clock when the environment has a deadline. */
#define FL_TMPL__CLOCK_EVERY 1024

static inline int fl_tmpl__step(struct fl_tmpl__rs *rs)
{
	uint64_t n = ++*rs->call.steps;

	if (FL_UNLIKELY(n > rs->call.limits->max_steps || n % FL_TMPL__CLOCK_EVERY == 0))
		return fl_tmpl_call_step(&rs->call, 0);
	return FL_OK;
}

/* Evaluate an expression: *out receives a new reference. */
int fl_tmpl__eval(struct fl_tmpl__rs *rs, const struct fl_tmpl__ex *e, fl_val **out);
/* Executors of the two non-tag nodes (text and {{ expression }}). */
int fl_tmpl__exec_text(struct fl_tmpl__rs *rs, const struct fl_tmpl__node *n);
int fl_tmpl__exec_output(struct fl_tmpl__rs *rs, const struct fl_tmpl__node *n);
/* Execute a node list. */
int fl_tmpl__exec_list(struct fl_tmpl__rs *rs, const struct fl_tmpl__node *n);
/* Write v as {{ }} does (autoescape applied to unsafe strings when on). */
void fl_tmpl__emit(struct fl_tmpl__rs *rs, const fl_val *v);
/* Run a filter on in (borrowed): *out receives a new reference. */
int fl_tmpl__apply_filter(struct fl_tmpl__rs *rs, const struct fl_tmpl__fcall *fc, fl_val *in, fl_val **out);
/* Check the output buffer after writes: FL_ELIMIT when over the budget. */
int fl_tmpl__out_check(struct fl_tmpl__rs *rs);
/* Render a node list into a temporary buffer bounded by the remaining budget. */
int fl_tmpl__capture(struct fl_tmpl__rs *rs, const struct fl_tmpl__node *body, struct fl_buf *tmp);

/* Scopes. */
void fl_tmpl__scope_push(struct fl_tmpl__rs *rs, struct fl_tmpl__scope *s);
void fl_tmpl__scope_pop(struct fl_tmpl__rs *rs);
/* Set name in the innermost scope; consumes v. */
void fl_tmpl__scope_set(struct fl_tmpl__rs *rs, struct fl_str name, fl_val *v);
struct fl_tmpl__svar *fl_tmpl__scope_slot(struct fl_tmpl__rs *rs, struct fl_str name);

/* Numeric views of values: fl_conv_integer(), fl_conv_float() (filters/conv.h). */

/* Error at a position, "line L, column C: ...". */
int fl_tmpl__rerr(struct fl_tmpl__rs *rs, uint32_t line, uint32_t col, int code, const char *fmt, ...)
	FL_PRINTF(5, 6);

#endif
