/* SPDX-License-Identifier: Apache-2.0 */
/*
 * golden.c - runs the template golden cases (the .case files under tests/template/cases).
 *
 * Each case gives a template, optionally a JSON context, datastore items and
 * options, and either the exact expected output or the expected error (code
 * name and message substrings).  The runner walks the directory given on the
 * command line recursively in sorted order, prints one TAP line per case
 * (`<area>/<file>:<case>`), shows expected and actual text on failure, and
 * checks that no template value leaks (fl_val_live_count() returns to its
 * starting value after each case).  The file format is described in
 * tests/template/README.md.
 */
#include "fl-common.h"

#include "alloc.h"
#include "buf.h"
#include "casefile.h"
#include "error.h"
#include "template.h"
#include "timeutil.h"
#include "value.h"

static const struct flc_section_spec sections[] = {
	{ "template", false }, { "context", false }, { "datastore", false },
	{ "options", false },  { "output", false },  { "error", false },
};

/* ------------------------------------------------------------ running */

struct datastore {
	fl_val *items;
};

static int datastore_cb(void *payload, const char *key, size_t keylen, char **value, size_t *value_len,
			char **content_type, struct fl_error *err)
{
	struct datastore *ds = payload;
	fl_val *item = fl_val_object_get(ds->items, key, keylen);
	const char *s;
	size_t n;

	(void)err;
	if (!item)
		return FL_ENOTFOUND;
	s = fl_val_get_str(fl_val_object_get(item, "value", 5), &n);
	*value = fl_xmemdup0(s, n);
	*value_len = n;
	fl_val *ct = fl_val_object_get(item, "contentType", 11);
	*content_type = ct ? fl_xmemdup0(fl_val_get_str(ct, NULL), fl_val_len(ct)) : NULL;
	return FL_OK;
}

struct opts {
	bool criteria, numbers_int;
	struct fl_tmpl_limits lim;
	struct fl_tmpl_env env;
};

static bool parse_u64(const char *s, size_t n, uint64_t *out)
{
	char buf[32];
	char *end;

	if (!n || n >= sizeof(buf))
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	errno = 0;
	unsigned long long v = strtoull(buf, &end, 10);
	if (errno || *end)
		return false;
	*out = v;
	return true;
}

static const char *parse_options(const struct flc_text *t, struct opts *o)
{
	size_t pos = 0;

	while (t && pos < t->n) {
		const char *line = t->p + pos;
		const char *nl = memchr(line, '\n', t->n - pos);
		size_t ll = nl ? (size_t)(nl - line) : t->n - pos;
		const char *eq = memchr(line, '=', ll);
		uint64_t u = 0;

		pos += ll + 1;
		if (!ll || line[0] == '#')
			continue;
		if (!eq)
			return "option line without '='";
		size_t kl = (size_t)(eq - line), vl = ll - kl - 1;
		const char *v = eq + 1;
#define KEY(k) (kl == strlen(k) && memcmp(line, k, kl) == 0)
#define NUM() (parse_u64(v, vl, &u) ? 1 : 0)
		if (KEY("mode")) {
			if (vl == 8 && memcmp(v, "criteria", 8) == 0)
				o->criteria = true;
			else if (!(vl == 6 && memcmp(v, "render", 6) == 0))
				return "mode must be criteria or render";
		} else if (KEY("numbers")) {
			if (vl == 3 && memcmp(v, "int", 3) == 0)
				o->numbers_int = true;
			else if (!(vl == 5 && memcmp(v, "float", 5) == 0))
				return "numbers must be int or float";
		} else if (KEY("now")) {
			if (fl_time_parse_rfc3339(v, vl, &o->env.now_ns, NULL) != 0)
				return "now must be RFC 3339";
		} else if (KEY("deadline")) {
			/* only a deadline already passed keeps a case deterministic */
			if (!(vl == 4 && memcmp(v, "past", 4) == 0))
				return "deadline must be past";
			o->env.deadline_ns = 1;
		} else if (KEY("seed")) {
			if (!NUM())
				return "bad seed";
			o->env.random_seed = u;
		} else if (KEY("max_source")) {
			if (!NUM())
				return "bad number";
			o->lim.max_source = (size_t)u;
		} else if (KEY("max_output")) {
			if (!NUM())
				return "bad number";
			o->lim.max_output = (size_t)u;
		} else if (KEY("max_steps")) {
			if (!NUM())
				return "bad number";
			o->lim.max_steps = u;
		} else if (KEY("max_depth")) {
			if (!NUM())
				return "bad number";
			o->lim.max_depth = (unsigned)u;
		} else if (KEY("max_nesting")) {
			if (!NUM())
				return "bad number";
			o->lim.max_nesting = (unsigned)u;
		} else if (KEY("regex_match_limit")) {
			if (!NUM())
				return "bad number";
			o->lim.regex_match_limit = (uint32_t)u;
		} else if (KEY("regex_depth_limit")) {
			if (!NUM())
				return "bad number";
			o->lim.regex_depth_limit = (uint32_t)u;
		} else if (KEY("max_regex_len")) {
			if (!NUM())
				return "bad number";
			o->lim.max_regex_len = (size_t)u;
		} else {
			return "unknown option";
		}
#undef KEY
#undef NUM
	}
	return NULL;
}

/* Run one case; returns true when it passes (diagnostics printed otherwise). */
static bool run_case(const struct flc_case *c, void *payload)
{
	const struct flc_text *tmpl = flc_section(c, "template", 0), *context = flc_section(c, "context", 0);
	const struct flc_text *datastore = flc_section(c, "datastore", 0), *options = flc_section(c, "options", 0);
	const struct flc_text *output = flc_section(c, "output", 0), *error = flc_section(c, "error", 0);
	struct fl_error err = FL_ERROR_INIT;
	struct opts o;
	struct datastore ds = { NULL };
	struct fl_tmpl *t = NULL;
	struct fl_buf out = FL_BUF_INIT(0);
	fl_val *ctx = NULL;
	const char *problem = NULL;
	long before = fl_val_live_count(), after;
	bool ok = false, bval = false;
	int rc = FL_OK;

	(void)payload;
	memset(&o, 0, sizeof(o));
	fl_tmpl_limits_default(&o.lim);
	if (!tmpl)
		problem = "missing '=== template'";
	if (!problem && !output == !error)
		problem = "need exactly one of '=== output' and '=== error'";
	if (!problem)
		problem = parse_options(options, &o);
	if (!problem && context) {
		ctx = fl_val_parse_json(context->p, context->n, o.numbers_int ? 0 : FL_VAL_JSON_NUMBERS_AS_FLOAT,
					&err);
		if (!ctx || fl_val_type(ctx) != FL_VAL_OBJECT)
			problem = "context is not a JSON object";
	}
	if (!problem && datastore) {
		ds.items = fl_val_parse_json(datastore->p, datastore->n, 0, &err);
		if (!ds.items || fl_val_type(ds.items) != FL_VAL_OBJECT)
			problem = "datastore is not a JSON object";
		o.env.datastore = datastore_cb;
		o.env.datastore_payload = &ds;
	}
	if (problem) {
		printf("# malformed case: %s\n", problem);
		goto done;
	}
	o.env.limits = &o.lim;
	fl_error_clear(&err);
	rc = fl_tmpl_compile(&t, tmpl->p, tmpl->n, &o.lim, &err);
	if (!rc) {
		if (o.criteria) {
			rc = fl_tmpl_render_bool(t, ctx, &o.env, &bval, &err);
			if (!rc)
				fl_buf_adds(&out, bval ? "true" : "false");
		} else {
			rc = fl_tmpl_render(t, ctx, &o.env, &out, &err);
		}
	}

	if (output) {
		if (rc) {
			printf("# unexpected error %s: %s\n", fl_err_name(rc), err.msg);
			flc_print_text("expected output", output->p, output->n);
		} else if (out.len != output->n || memcmp(out.ptr, output->p, out.len) != 0) {
			flc_print_text("expected", output->p, output->n);
			flc_print_text("got", out.ptr, out.len);
		} else {
			ok = true;
		}
	} else {
		const char *nl = memchr(error->p, '\n', error->n);
		size_t cl = nl ? (size_t)(nl - error->p) : error->n;
		const char *code = fl_err_name(rc);
		if (!rc) {
			printf("# expected an error, got success\n");
			flc_print_text("got", out.ptr, out.len);
		} else if (!(cl == 3 && memcmp(error->p, "any", 3) == 0) &&
			   !(strlen(code) == cl && memcmp(code, error->p, cl) == 0)) {
			printf("# expected error %.*s, got %s: %s\n", (int)cl, error->p, code, err.msg);
		} else {
			ok = true;
			size_t pos = nl ? cl + 1 : error->n;
			while (pos < error->n) {
				const char *l = error->p + pos;
				const char *e = memchr(l, '\n', error->n - pos);
				size_t ll = e ? (size_t)(e - l) : error->n - pos;
				if (ll && !memmem(err.msg, strlen(err.msg), l, ll)) {
					printf("# error message lacks '%.*s'\n#   message: %s\n", (int)ll, l, err.msg);
					ok = false;
				}
				pos += ll + 1;
			}
		}
	}
done:
	fl_tmpl_free(t);
	fl_buf_release(&out);
	fl_val_unref(ctx);
	fl_val_unref(ds.items);
	after = fl_val_live_count();
	if (after != before) {
		printf("# leak: %ld live values before, %ld after\n", before, after);
		ok = false;
	}
	return ok;
}

int main(int argc, char **argv)
{
	struct flc_cases cs;
	int rc;

	if (argc < 2) {
		fprintf(stderr, "usage: %s CASES_DIR [FILTER]\n", argv[0]);
		return 2;
	}
	flc_cases_load(&cs, argv[1], sections, FL_ARRAY_LEN(sections));
	rc = flc_cases_run(&cs, argv[1], argc > 2 ? argv[2] : NULL, run_case, NULL);
	flc_cases_release(&cs);
	return rc;
}
