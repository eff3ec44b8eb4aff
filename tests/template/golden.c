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

#include <dirent.h>
#include <sys/stat.h>

#include "buf.h"
#include "error.h"
#include "template.h"
#include "timeutil.h"
#include "value.h"

struct text {
	const char *p;
	size_t n;
	bool set;
};

struct gcase {
	char *name; /* TAP name */
	struct text tmpl, context, datastore, options, output, error;
	const char *problem; /* malformed case */
};

struct cases {
	struct gcase *v;
	size_t n, cap;
	char **files; /* file contents kept alive for the slices */
	size_t nfiles, capfiles;
};

static void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n);
	if (!q) {
		fprintf(stderr, "out of memory\n");
		abort();
	}
	return q;
}

static char *xstrdup_n(const char *s, size_t n)
{
	char *p = xrealloc(NULL, n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *data = NULL;
	size_t n = 0, cap = 0, r;

	if (!f)
		return NULL;
	do {
		if (cap - n < 4096) {
			cap = cap ? cap * 2 : 8192;
			data = xrealloc(data, cap + 1);
		}
		r = fread(data + n, 1, cap - n, f);
		n += r;
	} while (r > 0);
	fclose(f);
	data[n] = '\0';
	*len = n;
	return data;
}

static struct gcase *new_case(struct cases *cs, const char *rel, const char *name, size_t namelen)
{
	struct gcase *c;
	size_t rl = strlen(rel);

	if (cs->n == cs->cap) {
		cs->cap = cs->cap ? cs->cap * 2 : 256;
		cs->v = xrealloc(cs->v, cs->cap * sizeof(*cs->v));
	}
	c = &cs->v[cs->n++];
	memset(c, 0, sizeof(*c));
	c->name = xrealloc(NULL, rl + namelen + 2);
	memcpy(c->name, rel, rl);
	c->name[rl] = ':';
	memcpy(c->name + rl + 1, name, namelen);
	c->name[rl + 1 + namelen] = '\0';
	return c;
}

static struct text *section(struct gcase *c, const char *name, size_t n)
{
	static const struct {
		const char *name;
		size_t off;
	} sections[] = {
		{ "template", offsetof(struct gcase, tmpl) },        { "context", offsetof(struct gcase, context) },
		{ "datastore", offsetof(struct gcase, datastore) }, { "options", offsetof(struct gcase, options) },
		{ "output", offsetof(struct gcase, output) },        { "error", offsetof(struct gcase, error) },
	};
	for (size_t i = 0; i < FL_ARRAY_LEN(sections); i++)
		if (strlen(sections[i].name) == n && memcmp(sections[i].name, name, n) == 0)
			return (struct text *)((char *)c + sections[i].off);
	return NULL;
}

/* Split one file into cases; rel is "<area>/<file>" without ".case". */
static void parse_file(struct cases *cs, const char *rel, const char *data, size_t len)
{
	struct gcase *c = NULL;
	struct text *open = NULL; /* section being collected */
	bool in_header = false;   /* after "=== case", before the first section */
	size_t pos = 0;

	while (pos < len) {
		const char *line = data + pos;
		const char *nl = memchr(line, '\n', len - pos);
		size_t ll = nl ? (size_t)(nl - line) : len - pos;
		size_t next = pos + ll + (nl ? 1 : 0);

		if (ll >= 4 && memcmp(line, "=== ", 4) == 0) {
			const char *word = line + 4;
			size_t wl = ll - 4;
			if (open && open->n > 0 && open->p[open->n - 1] == '\n')
				open->n--; /* the newline that precedes the "=== " line */
			open = NULL;
			if (wl > 5 && memcmp(word, "case ", 5) == 0) {
				c = new_case(cs, rel, word + 5, wl - 5);
				in_header = true;
			} else if (c) {
				struct text *s = section(c, word, wl);
				in_header = false;
				if (!s)
					c->problem = "unknown section";
				else if (s->set)
					c->problem = "duplicate section";
				else {
					s->set = true;
					s->p = data + next;
					s->n = 0;
					open = s;
				}
			}
		} else if (open) {
			open->n = next - (size_t)(open->p - data);
		} else if (c && in_header && ll > 0 && line[0] != '#') {
			c->problem = "text after '=== case' that is not a '#' comment";
		}
		pos = next;
	}
	if (open && open->n > 0 && open->p[open->n - 1] == '\n')
		open->n--;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void walk(struct cases *cs, const char *root, const char *rel)
{
	char path[4096];
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *e;
	DIR *d;

	snprintf(path, sizeof(path), "%s%s%s", root, *rel ? "/" : "", rel);
	d = opendir(path);
	if (!d)
		return;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 32;
			names = xrealloc(names, cap * sizeof(*names));
		}
		names[n++] = xstrdup_n(e->d_name, strlen(e->d_name));
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof(*names), cmp_str);
	for (size_t i = 0; i < n; i++) {
		char sub[4096], full[8192];
		struct stat st;
		snprintf(sub, sizeof(sub), "%s%s%s", rel, *rel ? "/" : "", names[i]);
		snprintf(full, sizeof(full), "%s/%s", root, sub);
		if (stat(full, &st) == 0 && S_ISDIR(st.st_mode)) {
			walk(cs, root, sub);
		} else {
			size_t sl = strlen(sub), len;
			if (sl > 5 && strcmp(sub + sl - 5, ".case") == 0) {
				char *data = read_file(full, &len);
				if (data) {
					if (cs->nfiles == cs->capfiles) {
						cs->capfiles = cs->capfiles ? cs->capfiles * 2 : 64;
						cs->files = xrealloc(cs->files, cs->capfiles * sizeof(*cs->files));
					}
					cs->files[cs->nfiles++] = data;
					sub[sl - 5] = '\0';
					parse_file(cs, sub, data, len);
				}
			}
		}
		free(names[i]);
	}
	free(names);
}

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
	*value = xstrdup_n(s, n);
	*value_len = n;
	fl_val *ct = fl_val_object_get(item, "contentType", 11);
	*content_type = ct ? xstrdup_n(fl_val_get_str(ct, NULL), fl_val_len(ct)) : NULL;
	return FL_OK;
}

static void print_text(const char *label, const char *p, size_t n)
{
	size_t i = 0;

	printf("#   %s (%zu bytes, each line between bars):\n", label, n);
	for (;;) {
		const char *nl = memchr(p + i, '\n', n - i);
		size_t e = nl ? (size_t)(nl - p) : n;
		printf("#     |%.*s|\n", (int)(e - i), p + i);
		if (!nl)
			break;
		i = e + 1;
	}
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

static const char *parse_options(const struct text *t, struct opts *o)
{
	size_t pos = 0;

	while (t->set && pos < t->n) {
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
static bool run_case(const struct gcase *c)
{
	struct fl_error err = FL_ERROR_INIT;
	struct opts o;
	struct datastore ds = { NULL };
	struct fl_tmpl *t = NULL;
	struct fl_buf out = FL_BUF_INIT(0);
	fl_val *ctx = NULL;
	const char *problem = c->problem;
	bool ok = false, bval = false;
	int rc = FL_OK;

	memset(&o, 0, sizeof(o));
	fl_tmpl_limits_default(&o.lim);
	if (!problem && !c->tmpl.set)
		problem = "missing '=== template'";
	if (!problem && c->output.set == c->error.set)
		problem = "need exactly one of '=== output' and '=== error'";
	if (!problem)
		problem = parse_options(&c->options, &o);
	if (!problem && c->context.set) {
		ctx = fl_val_parse_json(c->context.p, c->context.n, o.numbers_int ? 0 : FL_VAL_JSON_NUMBERS_AS_FLOAT,
					&err);
		if (!ctx || fl_val_type(ctx) != FL_VAL_OBJECT)
			problem = "context is not a JSON object";
	}
	if (!problem && c->datastore.set) {
		ds.items = fl_val_parse_json(c->datastore.p, c->datastore.n, 0, &err);
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
	rc = fl_tmpl_compile(&t, c->tmpl.p, c->tmpl.n, &o.lim, &err);
	if (!rc) {
		if (o.criteria) {
			rc = fl_tmpl_render_bool(t, ctx, &o.env, &bval, &err);
			if (!rc)
				fl_buf_adds(&out, bval ? "true" : "false");
		} else {
			rc = fl_tmpl_render(t, ctx, &o.env, &out, &err);
		}
	}

	if (c->output.set) {
		if (rc) {
			printf("# unexpected error %s: %s\n", fl_err_name(rc), err.msg);
			print_text("expected output", c->output.p, c->output.n);
		} else if (out.len != c->output.n || memcmp(out.ptr, c->output.p, out.len) != 0) {
			print_text("expected", c->output.p, c->output.n);
			print_text("got", out.ptr, out.len);
		} else {
			ok = true;
		}
	} else {
		const char *nl = memchr(c->error.p, '\n', c->error.n);
		size_t cl = nl ? (size_t)(nl - c->error.p) : c->error.n;
		const char *code = fl_err_name(rc);
		if (!rc) {
			printf("# expected an error, got success\n");
			print_text("got", out.ptr, out.len);
		} else if (!(cl == 3 && memcmp(c->error.p, "any", 3) == 0) &&
			   !(strlen(code) == cl && memcmp(code, c->error.p, cl) == 0)) {
			printf("# expected error %.*s, got %s: %s\n", (int)cl, c->error.p, code, err.msg);
		} else {
			ok = true;
			size_t pos = nl ? cl + 1 : c->error.n;
			while (pos < c->error.n) {
				const char *l = c->error.p + pos;
				const char *e = memchr(l, '\n', c->error.n - pos);
				size_t ll = e ? (size_t)(e - l) : c->error.n - pos;
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
	return ok;
}

int main(int argc, char **argv)
{
	struct cases cs;
	int failed = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2) {
		fprintf(stderr, "usage: %s CASES_DIR [FILTER]\n", argv[0]);
		return 2;
	}
	memset(&cs, 0, sizeof(cs));
	walk(&cs, argv[1], "");
	if (cs.n == 0) {
		printf("1..1\nnot ok 1 - no cases found under %s\n", argv[1]);
		return 1;
	}
	printf("1..%zu\n", cs.n);
	for (size_t i = 0; i < cs.n; i++) {
		long before = fl_val_live_count();
		bool ok = true;

		if (argc < 3 || strstr(cs.v[i].name, argv[2])) {
			ok = run_case(&cs.v[i]);
			long after = fl_val_live_count();
			if (after != before) {
				printf("# leak: %ld live values before, %ld after\n", before, after);
				ok = false;
			}
			printf("%sok %zu - %s\n", ok ? "" : "not ", i + 1, cs.v[i].name);
		} else {
			printf("ok %zu - %s # SKIP filtered out\n", i + 1, cs.v[i].name);
		}
		failed += !ok;
		free(cs.v[i].name);
	}
	for (size_t i = 0; i < cs.nfiles; i++)
		free(cs.files[i]);
	free(cs.files);
	free(cs.v);
	return failed ? 1 : 0;
}
