/* SPDX-License-Identifier: Apache-2.0 */
/*
 * parser.c - unit tests of the template parser and of the compile/render
 * API: the shape of the expression tree (pongo2's precedence and
 * associativity), compile errors with positions, literal detection, budgets,
 * nested renders and concurrent renders of one compiled template.
 */
#include "fl-common.h"

#include <pthread.h>

#include "builtin.h"
#include "fltest.h"
#include "template.h"
#include "tmpl-int.h"

static struct fl_tmpl *compile(const char *s)
{
	struct fl_error err = FL_ERROR_INIT;
	struct fl_tmpl *t = NULL;
	if (fl_tmpl_compile(&t, s, strlen(s), NULL, &err) != FL_OK) {
		printf("# compile error: %s\n", err.msg);
		return NULL;
	}
	return t;
}

/* The expression of the first node of "{{ expr }}". */
static const struct fl_tmpl__ex *expr_of(const struct fl_tmpl *t)
{
	return t && t->root && t->root->nex ? t->root->ex[0] : NULL;
}

/* "{{ expr }}" in src compiles to a binary node of `kind` over operands of kinds a and b. */
static void binary_shape(const char *src, int kind, int a, int b)
{
	struct fl_tmpl *t = compile(src);
	const struct fl_tmpl__ex *e = expr_of(t);

	FLT_ASSERT(e);
	FLT_EQ_INT(e->kind, kind);
	FLT_EQ_INT(e->u.bin.a->kind, a);
	FLT_EQ_INT(e->u.bin.b->kind, b);
	fl_tmpl_free(t);
}

/* src compiles, to a literal template or not. */
static void literal_is(const char *src, bool literal)
{
	struct fl_tmpl *t = compile(src);

	FLT_ASSERT(t && fl_tmpl_is_literal(t) == literal);
	fl_tmpl_free(t);
}

FLT_TEST(mul_binds_tighter_than_add)
{
	binary_shape("{{ 1 + 2 * 3 }}", EX_ADD, EX_LIT, EX_MUL);
}

FLT_TEST(add_is_left_associative)
{
	struct fl_tmpl *t = compile("{{ 1 - 2 - 3 }}");
	const struct fl_tmpl__ex *e = expr_of(t);
	FLT_ASSERT(e);
	/* a flat chain folded from the left */
	FLT_EQ_INT(e->kind, EX_CHAIN);
	FLT_EQ_INT(e->u.chain.n, 3);
	FLT_EQ_INT(e->u.chain.ops[0], EX_SUB);
	FLT_EQ_INT(e->u.chain.ops[1], EX_SUB);
	fl_tmpl_free(t);
}

FLT_TEST(long_chains_do_not_recurse)
{
	/* a 121-operand chain is evaluated iteratively; longer chains are refused */
	struct fl_buf src = FL_BUF_INIT(0), out = FL_BUF_INIT(0);
	struct fl_error err = FL_ERROR_INIT;
	struct fl_tmpl *t = NULL;
	fl_buf_adds(&src, "{{ 0");
	for (int i = 0; i < 60; i++)
		fl_buf_adds(&src, " + 1 - 0");
	fl_buf_adds(&src, " }}");
	FLT_EQ_INT(fl_tmpl_compile(&t, src.ptr, src.len, NULL, &err), FL_OK);
	FLT_EQ_INT(fl_tmpl_render(t, NULL, NULL, &out, &err), FL_OK);
	FLT_EQ_STR(out.ptr, "60");
	fl_tmpl_free(t);
	fl_buf_release(&out);
	fl_buf_reset(&src);
	fl_buf_adds(&src, "{{ 0");
	for (int i = 0; i < 200; i++)
		fl_buf_adds(&src, " + 1");
	fl_buf_adds(&src, " }}");
	FLT_EQ_INT(fl_tmpl_compile(&t, src.ptr, src.len, NULL, &err), FL_ELIMIT);
	FLT_ASSERT(strstr(err.msg, "too many operands"));
	fl_buf_release(&src);
}

FLT_TEST(power_is_right_associative)
{
	binary_shape("{{ 2 ^ 3 ^ 4 }}", EX_POW, EX_LIT, EX_POW);
}

FLT_TEST(and_or_share_a_right_recursive_level)
{
	binary_shape("{{ a and b or c }}", EX_AND, EX_VAR, EX_OR);
}

FLT_TEST(not_applies_to_first_term)
{
	struct fl_tmpl *t;
	const struct fl_tmpl__ex *e;

	binary_shape("{{ not a == b }}", EX_EQ, EX_NOT, EX_VAR);
	t = compile("{{ -not a }}");
	e = expr_of(t);
	FLT_ASSERT(e);
	FLT_EQ_INT(e->kind, EX_NEG);
	FLT_EQ_INT(e->u.un->kind, EX_NOT);
	fl_tmpl_free(t);
}

FLT_TEST(filters_bind_to_the_operand)
{
	struct fl_tmpl *t = compile("{{ a + b|c(1) }}");
	/* no filter named c exists: this is an unknown filter */
	FLT_ASSERT(t == NULL);
	t = compile("{{ x.y[0].z(1, 'a') }}");
	const struct fl_tmpl__ex *e = expr_of(t);
	FLT_ASSERT(e);
	FLT_EQ_INT(e->kind, EX_VAR);
	FLT_EQ_INT(e->u.var.nacc, 4);
	FLT_EQ_INT(e->u.var.acc[0].kind, ACC_ATTR);
	FLT_EQ_INT(e->u.var.acc[1].kind, ACC_SUBSCRIPT);
	FLT_EQ_INT(e->u.var.acc[2].kind, ACC_ATTR);
	FLT_EQ_INT(e->u.var.acc[3].kind, ACC_CALL);
	FLT_EQ_INT(e->u.var.acc[3].nargs, 2);
	FLT_EQ_MEM(e->u.var.text.ptr, e->u.var.text.len, "x.y[0].z(1, 'a')", 16);
	fl_tmpl_free(t);
}

FLT_TEST(in_and_not_in)
{
	struct fl_tmpl *t = compile("{{ a not in b }}");
	const struct fl_tmpl__ex *e = expr_of(t);
	FLT_ASSERT(e);
	FLT_EQ_INT(e->kind, EX_NOTIN);
	fl_tmpl_free(t);
}

FLT_TEST(literal_detection)
{
	struct fl_tmpl *t = compile("just text");
	FLT_ASSERT(t && fl_tmpl_is_literal(t));
	size_t n;
	FLT_EQ_STR(fl_tmpl_source(t, &n), "just text");
	FLT_EQ_INT(n, 9);
	fl_tmpl_free(t);
	literal_is("", true);
	literal_is("a{# c #}", false);
	literal_is("{{ 1 }}", false);
	literal_is("{% verbatim %}x{% endverbatim %}", false);
}

FLT_TEST(compile_error_positions)
{
	struct fl_error err = FL_ERROR_INIT;
	struct fl_tmpl *t = (struct fl_tmpl *)1;
	const char *src = "ok\n  {% if x %}{% nosuch %}{% endif %}";
	FLT_EQ_INT(fl_tmpl_compile(&t, src, strlen(src), NULL, &err), FL_EINVALID);
	FLT_ASSERT(t == NULL);
	FLT_EQ_STR(err.msg, "line 2, column 16: unknown tag 'nosuch'");
}

FLT_TEST(source_is_not_nul_terminated)
{
	struct fl_error err = FL_ERROR_INIT;
	struct fl_tmpl *t = NULL;
	struct fl_buf out = FL_BUF_INIT(0);
	FLT_EQ_INT(fl_tmpl_compile(&t, "{{ 1 }}{{ 2 }}", 7, NULL, &err), FL_OK);
	FLT_EQ_INT(fl_tmpl_render(t, NULL, NULL, &out, &err), FL_OK);
	FLT_EQ_STR(out.ptr, "1");
	fl_buf_release(&out);
	fl_tmpl_free(t);
}

FLT_TEST(limits_defaults)
{
	struct fl_tmpl_limits lim;
	fl_tmpl_limits_default(&lim);
	FLT_EQ_INT(lim.max_source, 64 * 1024);
	FLT_EQ_INT(lim.max_output, 1024 * 1024);
	FLT_EQ_INT(lim.max_steps, 1000000);
	FLT_EQ_INT(lim.max_depth, 8);
	FLT_EQ_INT(lim.max_nesting, 64);
	FLT_EQ_INT(lim.regex_match_limit, 100000);
	FLT_EQ_INT(lim.regex_depth_limit, 1000);
	FLT_EQ_INT(lim.max_regex_len, 4096);
}

FLT_TEST(output_budget_keeps_existing_content)
{
	struct fl_error err = FL_ERROR_INIT;
	struct fl_tmpl_limits lim;
	struct fl_tmpl_env env = { 0 };
	struct fl_tmpl *t = compile("0123456789");
	struct fl_buf out = FL_BUF_INIT(0);

	fl_tmpl_limits_default(&lim);
	lim.max_output = 10;
	env.limits = &lim;
	fl_buf_adds(&out, "prefix-");
	FLT_EQ_INT(fl_tmpl_render(t, NULL, &env, &out, &err), FL_OK);
	FLT_EQ_STR(out.ptr, "prefix-0123456789");
	lim.max_output = 9;
	FLT_EQ_INT(fl_tmpl_render(t, NULL, &env, &out, &err), FL_ELIMIT);
	FLT_EQ_STR(err.msg, "output exceeds 9 bytes");
	FLT_EQ_INT(out.max, 0); /* the caller's cap is restored */
	fl_buf_release(&out);
	fl_tmpl_free(t);
}

FLT_TEST(parse_bool_is_go_parsebool)
{
	static const char *const yes[] = { "1", "t", "T", "TRUE", "true", "True" };
	static const char *const no[] = { "0", "f", "F", "FALSE", "false", "False" };
	static const char *const bad[] = { "", " true", "true ", "yes", "tRUE", "2", "truee" };
	bool b;
	for (size_t i = 0; i < FL_ARRAY_LEN(yes); i++) {
		b = false;
		FLT_EQ_INT(fl_tmpl_parse_bool(yes[i], strlen(yes[i]), &b), 0);
		FLT_ASSERT(b);
	}
	for (size_t i = 0; i < FL_ARRAY_LEN(no); i++) {
		b = true;
		FLT_EQ_INT(fl_tmpl_parse_bool(no[i], strlen(no[i]), &b), 0);
		FLT_ASSERT(!b);
	}
	for (size_t i = 0; i < FL_ARRAY_LEN(bad); i++)
		FLT_EQ_INT(fl_tmpl_parse_bool(bad[i], strlen(bad[i]), &b), -1);
}

FLT_TEST(nested_render_depth)
{
	struct fl_error err = FL_ERROR_INIT;
	struct fl_tmpl_limits lim;
	uint64_t steps = 0, rng = 0;
	struct fl_tmpl_call call;
	struct fl_buf out = FL_BUF_INIT(0);
	fl_val *ctx = fl_val_object_new(1);

	fl_tmpl_limits_default(&lim);
	memset(&call, 0, sizeof(call));
	call.err = &err;
	call.limits = &lim;
	call.steps = &steps;
	call.rng = &rng;
	fl_val_object_setz(ctx, "who", fl_val_strz("nested"));
	call.depth = lim.max_depth - 1;
	FLT_EQ_INT(fl_tmpl_render_nested(&call, "hi {{ who }}", 12, ctx, &out), FL_OK);
	FLT_EQ_STR(out.ptr, "hi nested");
	FLT_ASSERT(steps > 0); /* the nested render spends the caller's budget */
	call.depth = lim.max_depth;
	FLT_EQ_INT(fl_tmpl_render_nested(&call, "x", 1, ctx, &out), FL_ELIMIT);
	FLT_ASSERT(strstr(err.msg, "nesting exceeds 8 levels"));
	call.depth = 0;
	FLT_EQ_INT(fl_tmpl_render_nested(&call, "{% if %}", 8, ctx, &out), FL_EINVALID);
	fl_buf_release(&out);
	fl_val_unref(ctx);
}

FLT_TEST(steps_and_random)
{
	struct fl_error err = FL_ERROR_INIT;
	struct fl_tmpl_limits lim;
	struct fl_tmpl_env env = { 0 };
	uint64_t steps = 0, rng = 0, rng2 = 0;
	struct fl_tmpl_call call;

	fl_tmpl_limits_default(&lim);
	lim.max_steps = 5;
	env.random_seed = 7;
	memset(&call, 0, sizeof(call));
	call.err = &err;
	call.env = &env;
	call.limits = &lim;
	call.steps = &steps;
	call.rng = &rng;
	FLT_EQ_INT(fl_tmpl_call_step(&call, 5), FL_OK);
	FLT_EQ_INT(fl_tmpl_call_step(&call, 1), FL_ELIMIT);
	FLT_ASSERT(strstr(err.msg, "evaluation exceeds 5 steps"));
	uint64_t a = fl_tmpl_call_random(&call), b = fl_tmpl_call_random(&call);
	FLT_ASSERT(a != b);
	call.rng = &rng2; /* same seed, same sequence */
	FLT_ASSERT(fl_tmpl_call_random(&call) == a);
	env.random_seed = 0; /* seeded from the OS */
	rng2 = 0;
	(void)fl_tmpl_call_random(&call);
	FLT_ASSERT(rng2 != 0);
}

struct worker {
	const struct fl_tmpl *t;
	fl_val *ctx;
	int bad;
};

static void *render_many(void *arg)
{
	struct worker *w = arg;
	for (int i = 0; i < 2000; i++) {
		struct fl_error err = FL_ERROR_INIT;
		struct fl_buf out = FL_BUF_INIT(0);
		if (fl_tmpl_render(w->t, w->ctx, NULL, &out, &err) != FL_OK ||
		    strcmp(out.ptr, "1:a 2:b 3:c |x|y|x") != 0)
			w->bad++;
		fl_buf_release(&out);
	}
	return NULL;
}

FLT_TEST(concurrent_renders_share_a_template)
{
	struct fl_tmpl *t = compile("{% for x in l %}{{ forloop.Counter }}:{{ x }} {% endfor %}"
				    "{% for i in l %}{% ifchanged %}|{% cycle 'x' 'y' as c silent %}{{ c }}{% endifchanged %}{% endfor %}");
	const char *json = "{\"l\": [\"a\", \"b\", \"c\"]}";
	fl_val *ctx = fl_val_parse_json(json, strlen(json), 0, NULL);
	struct worker w[2] = { { t, ctx, 0 }, { t, ctx, 0 } };
	pthread_t th[2];

	FLT_ASSERT(t && ctx);
	for (int i = 0; i < 2; i++)
		pthread_create(&th[i], NULL, render_many, &w[i]);
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	FLT_EQ_INT(w[0].bad + w[1].bad, 0);
	fl_val_unref(ctx);
	fl_tmpl_free(t);
}

FLT_MAIN(mul_binds_tighter_than_add, add_is_left_associative, long_chains_do_not_recurse, power_is_right_associative,
	 and_or_share_a_right_recursive_level, not_applies_to_first_term, filters_bind_to_the_operand, in_and_not_in,
	 literal_detection, compile_error_positions, source_is_not_nul_terminated, limits_defaults,
	 output_budget_keeps_existing_content, parse_bool_is_go_parsebool, nested_render_depth, steps_and_random,
	 concurrent_renders_share_a_template)
