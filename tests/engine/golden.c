/* SPDX-License-Identifier: Apache-2.0 */
/*
 * golden.c - runs the engine behaviour cases (the .case files under
 * tests/engine/cases).
 *
 * Each case registers packs, puts flows and datastore items, then runs a
 * script of steps against the engine API (src/engine/engine.h) in process:
 * post an event, take an action, post a result, read the audit...  Every
 * asynchronous call is turned into a synchronous one by waiting on its
 * completion callback.  Each step is checked against the expectations that
 * follow it.  A case gets a fresh SQLite file and log file in a temporary
 * directory.  FL_TEST_RENDER_INLINE_MS overrides the engine's
 * render_inline_ms (0 = every template renders on the render threads; the
 * runner then also checks that a case which created actions really deferred
 * its renders).  The format is described in tests/engine/README.md.
 *
 * usage: engine-golden CASES_DIR [FILTER]
 */
#include "fl-common.h"

#include <jansson.h>
#include <sys/stat.h>

#include "alloc.h"
#include "buf.h"
#include "casefile.h"
#include "drive.h"
#include "engine/engine.h"
#include "error.h"
#include "yaml/yaml.h"
#include "log.h"
#include "oid.h"
#include "timeutil.h"

static const struct flc_section_spec sections[] = {
	{ "packs", false },
	{ "flow", true },
	{ "datastore", false },
	{ "script", false },
};

/* ------------------------------------------------------------ script */

struct expect {
	int line;
	struct fl_buf text; /* after "->", continuation lines joined with '\n' */
};

struct step {
	int line;
	struct fl_buf head; /* the step line */
	struct fl_buf doc;  /* continuation lines (dedented) */
	size_t indent;      /* indentation of the first continuation line */
	struct expect *ex;
	size_t nex, capex;
};

struct script {
	struct step *v;
	size_t n, cap;
};

static void script_release(struct script *s)
{
	for (size_t i = 0; i < s->n; i++) {
		fl_buf_release(&s->v[i].head);
		fl_buf_release(&s->v[i].doc);
		for (size_t k = 0; k < s->v[i].nex; k++)
			fl_buf_release(&s->v[i].ex[k].text);
		free(s->v[i].ex);
	}
	free(s->v);
	memset(s, 0, sizeof(*s));
}

static size_t indent_of(const char *p, size_t n)
{
	size_t i = 0;
	while (i < n && (p[i] == ' ' || p[i] == '\t'))
		i++;
	return i;
}

/* Split the script into steps; returns NULL or what is wrong. */
static const char *script_parse(struct script *s, const struct flc_text *t, int first_line)
{
	struct step *cur = NULL;
	size_t pos = 0;
	int lineno = first_line - 1;

	while (pos < t->n) {
		const char *line = t->p + pos;
		const char *nl = memchr(line, '\n', t->n - pos);
		size_t ll = nl ? (size_t)(nl - line) : t->n - pos;
		size_t ind = indent_of(line, ll);

		pos += ll + 1;
		lineno++;
		while (ll > ind && (line[ll - 1] == ' ' || line[ll - 1] == '\t' || line[ll - 1] == '\r'))
			ll--;
		if (ll == ind || line[ind] == '#')
			continue;
		if (ll - ind >= 2 && memcmp(line + ind, "->", 2) == 0) {
			struct expect *e;
			size_t a = ind + 2;
			if (!cur)
				return "an expectation ('->') before the first step";
			if (cur->nex == cur->capex) {
				cur->capex = cur->capex ? cur->capex * 2 : 4;
				cur->ex = fl_xrealloc(cur->ex, cur->capex * sizeof(*cur->ex));
			}
			e = &cur->ex[cur->nex++];
			e->line = lineno;
			fl_buf_init(&e->text, 0);
			a += indent_of(line + a, ll - a);
			fl_buf_add(&e->text, line + a, ll - a);
		} else if (ind > 0) {
			if (!cur)
				return "an indented line before the first step";
			if (cur->nex) {
				struct fl_buf *b = &cur->ex[cur->nex - 1].text;
				fl_buf_addc(b, '\n');
				fl_buf_add(b, line + ind, ll - ind);
			} else {
				if (cur->doc.len == 0)
					cur->indent = ind;
				else
					fl_buf_addc(&cur->doc, '\n');
				ind = FL_MIN(ind, cur->indent);
				fl_buf_add(&cur->doc, line + ind, ll - ind);
			}
		} else {
			if (s->n == s->cap) {
				s->cap = s->cap ? s->cap * 2 : 16;
				s->v = fl_xrealloc(s->v, s->cap * sizeof(*s->v));
			}
			cur = &s->v[s->n++];
			memset(cur, 0, sizeof(*cur));
			cur->line = lineno;
			fl_buf_init(&cur->head, 0);
			fl_buf_init(&cur->doc, 0);
			fl_buf_add(&cur->head, line, ll);
		}
	}
	return NULL;
}

/* ------------------------------------------------------------ a case */

struct var {
	char *name;
	json_t *val;
};

struct run {
	struct fld_dir dir;
	struct fl_engine *eng;
	struct var *vars;
	size_t nvars, capvars;
	int line;      /* of the step running, for diagnostics */
	bool failed;   /* a diagnostic was printed */
	long log_from; /* size of the log file before the step */
};

static void fail(struct run *r, const char *fmt, ...) FL_PRINTF(2, 3);
static void fail(struct run *r, const char *fmt, ...)
{
	va_list ap;

	printf("# line %d: ", r->line);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	r->failed = true;
}

static json_t *var_get(struct run *r, const char *name)
{
	for (size_t i = 0; i < r->nvars; i++)
		if (strcmp(r->vars[i].name, name) == 0)
			return r->vars[i].val;
	return NULL;
}

static void var_set(struct run *r, const char *name, json_t *val)
{
	for (size_t i = 0; i < r->nvars; i++)
		if (strcmp(r->vars[i].name, name) == 0) {
			json_decref(r->vars[i].val);
			r->vars[i].val = json_incref(val);
			return;
		}
	if (r->nvars == r->capvars) {
		r->capvars = r->capvars ? r->capvars * 2 : 8;
		r->vars = fl_xrealloc(r->vars, r->capvars * sizeof(*r->vars));
	}
	r->vars[r->nvars].name = fl_xstrdup(name);
	r->vars[r->nvars].val = json_incref(val);
	r->nvars++;
}

/* Parse a document: JSON when it starts with '{', '[' or '"', else YAML.  NULL after fail(). */
static json_t *parse_doc(struct run *r, const char *p, size_t n, const char *what)
{
	struct fl_yaml_limits lim = { 64, 100000, 1000 };
	struct fl_error err = FL_ERROR_INIT;
	size_t i = indent_of(p, n);
	json_error_t je;
	json_t *j = NULL;

	while (i < n && (p[i] == '\n' || p[i] == ' '))
		i++;
	if (i < n && (p[i] == '{' || p[i] == '[' || p[i] == '"')) {
		j = json_loadb(p, n, JSON_DECODE_ANY, &je);
		if (!j)
			fail(r, "%s is not valid JSON: %s (line %d of it)", what, je.text, je.line);
	} else if (fl_yaml_to_json(&j, p, n, &lim, &err) != FL_OK) {
		fail(r, "%s is not valid YAML: %s", what, err.msg);
		j = NULL;
	}
	return j;
}

/* What a step produced, checked by its expectations. */
struct outcome {
	int code;
	char msg[FL_ERROR_MSG_MAX];
	json_t *body; /* NULL = none */
	bool created;
	bool has_created; /* the step reports created/updated */
	bool is_take;
};

static void outcome_from(struct outcome *o, struct fld_res *res, bool has_created)
{
	o->code = res->code;
	snprintf(o->msg, sizeof(o->msg), "%s", res->msg);
	o->body = res->body;
	res->body = NULL;
	o->created = res->created;
	o->has_created = has_created;
}

/* ----------------------------------------------------- step words */

struct words {
	const char *p, *end;
};

static void skip_space(struct words *w)
{
	while (w->p < w->end && (*w->p == ' ' || *w->p == '\t'))
		w->p++;
}

/* The next word (copied into buf), "" at the end. */
static const char *word(struct words *w, char *buf, size_t cap)
{
	const char *s;
	size_t n;

	skip_space(w);
	s = w->p;
	while (w->p < w->end && *w->p != ' ' && *w->p != '\t')
		w->p++;
	n = FL_MIN((size_t)(w->p - s), cap - 1);
	memcpy(buf, s, n);
	buf[n] = '\0';
	return buf;
}

/* Does the rest start with a document (JSON) rather than a word? */
static bool at_doc(struct words *w)
{
	skip_space(w);
	return w->p < w->end && (*w->p == '{' || *w->p == '[' || *w->p == '"');
}

/* The argument document: the rest of the line, or the continuation lines.  NULL after fail(). */
static json_t *doc_arg(struct run *r, struct words *w, const struct step *st, const char *what)
{
	struct fl_buf b = FL_BUF_INIT(0);
	json_t *j = NULL;

	skip_space(w);
	fl_buf_add(&b, w->p, (size_t)(w->end - w->p));
	if (b.len && st->doc.len)
		fl_buf_addc(&b, '\n');
	fl_buf_add(&b, st->doc.ptr, st->doc.len);
	if (b.len)
		j = parse_doc(r, b.ptr, b.len, what);
	else
		fail(r, "%s is missing", what);
	fl_buf_release(&b);
	return j;
}

/*
 * Resolve a word naming a pack, flow, action or correlation id: `$name` is
 * a variable (its string value, or the "id" of an object); other words are
 * literal.  NULL after fail().
 */
static const char *resolve(struct run *r, const char *w)
{
	json_t *v;

	if (w[0] != '$')
		return w;
	v = var_get(r, w + 1);
	if (!v) {
		fail(r, "variable '%s' is not set", w);
		return NULL;
	}
	if (json_is_object(v))
		v = json_object_get(v, "id");
	if (!json_is_string(v)) {
		fail(r, "variable '%s' is neither a string nor an object with an id", w);
		return NULL;
	}
	return json_string_value(v);
}

static bool parse_int(const char *s, int64_t *out)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || end == s || *end)
		return false;
	*out = v;
	return true;
}

/* ------------------------------------------------------- the steps */

static void do_register(struct run *r, struct words *w, const struct step *st, struct outcome *o)
{
	struct fld_res res;
	json_t *def = doc_arg(r, w, st, "pack definition");

	if (!def)
		return;
	fld_res_init(&res);
	fld_wait(&res, fl_engine_pack_register(r->eng, def, fld_on_done, &res));
	outcome_from(o, &res, true);
	fld_res_release(&res);
	json_decref(def);
}

/* The outcome of a synchronous read; *body is read after the call returned (it is the call's out). */
static void read_outcome(struct outcome *o, int rc, json_t **body, const struct fl_error *err)
{
	o->code = rc;
	snprintf(o->msg, sizeof(o->msg), "%s", rc ? err->msg : "");
	o->body = rc ? NULL : *body;
	if (rc)
		json_decref(*body);
	*body = NULL;
}

static void do_pack(struct run *r, struct words *w, const struct step *st, struct outcome *o)
{
	struct fl_error err = FL_ERROR_INIT;
	char verb[16], arg[256];
	const char *id;
	json_t *body = NULL;
	struct fld_res res;

	(void)st;
	word(w, verb, sizeof(verb));
	if (strcmp(verb, "list") == 0) {
		read_outcome(o, fl_engine_pack_list(r->eng, &body, &err), &body, &err);
		return;
	}
	if (!(id = resolve(r, word(w, arg, sizeof(arg)))))
		return;
	if (strcmp(verb, "get") == 0) {
		read_outcome(o, fl_engine_pack_get(r->eng, id, &body, &err), &body, &err);
	} else if (strcmp(verb, "delete") == 0) {
		fld_res_init(&res);
		fld_wait(&res, fl_engine_pack_delete(r->eng, id, fld_on_done, &res));
		outcome_from(o, &res, false);
		fld_res_release(&res);
	} else {
		fail(r, "unknown step 'pack %s' (get, list, delete)", verb);
	}
}

static void do_flow(struct run *r, struct words *w, const struct step *st, struct outcome *o)
{
	struct fl_error err = FL_ERROR_INIT;
	char verb[16], arg[256];
	json_t *body = NULL, *def;
	const char *name;
	struct fld_res res;

	word(w, verb, sizeof(verb));
	if (strcmp(verb, "list") == 0) {
		read_outcome(o, fl_engine_flow_list(r->eng, &body, &err), &body, &err);
		return;
	}
	if (strcmp(verb, "put") == 0 || strcmp(verb, "put-strict") == 0) {
		if (!(def = doc_arg(r, w, st, "flow definition")))
			return;
		fld_res_init(&res);
		fld_wait(&res, fl_engine_flow_put(r->eng, def, verb[3] ? FL_ENGINE_FLOW_STRICT : 0, fld_on_done, &res));
		outcome_from(o, &res, true);
		fld_res_release(&res);
		json_decref(def);
		return;
	}
	if (!(name = resolve(r, word(w, arg, sizeof(arg)))))
		return;
	if (strcmp(verb, "get") == 0) {
		read_outcome(o, fl_engine_flow_get(r->eng, name, &body, &err), &body, &err);
	} else if (strcmp(verb, "delete") == 0) {
		fld_res_init(&res);
		fld_wait(&res, fl_engine_flow_delete(r->eng, name, fld_on_done, &res));
		outcome_from(o, &res, false);
		fld_res_release(&res);
	} else {
		fail(r, "unknown step 'flow %s' (put, get, list, delete)", verb);
	}
}

static void do_event(struct run *r, struct words *w, const struct step *st, struct outcome *o)
{
	char arg[256];
	const char *pack = resolve(r, word(w, arg, sizeof(arg)));
	json_t *ev;
	struct fld_res res;

	if (!pack || !(ev = doc_arg(r, w, st, "event body")))
		return;
	fld_res_init(&res);
	fld_wait(&res, fl_engine_event_post(r->eng, pack, ev, fld_on_done, &res));
	outcome_from(o, &res, false);
	fld_res_release(&res);
	json_decref(ev);
}

/* take PACK [COMMAND] [wait=MS] [as NAME] */
static void do_take(struct run *r, struct words *w, const struct step *st, struct outcome *o, char *as,
		    size_t ascap)
{
	char pack_w[256], tok[256], cmd[256] = "";
	const char *pack = resolve(r, word(w, pack_w, sizeof(pack_w)));
	int64_t wait_ms = 0;
	struct fld_res res;

	(void)st;
	if (!pack)
		return;
	while (*word(w, tok, sizeof(tok))) {
		if (strncmp(tok, "wait=", 5) == 0) {
			if (!parse_int(tok + 5, &wait_ms) || wait_ms < 0 || wait_ms > 10000) {
				fail(r, "bad '%s' (milliseconds, at most 10000)", tok);
				return;
			}
		} else if (strcmp(tok, "as") == 0) {
			if (!*word(w, as, ascap)) {
				fail(r, "'as' needs a name");
				return;
			}
		} else if (!cmd[0]) {
			snprintf(cmd, sizeof(cmd), "%s", tok);
		} else {
			fail(r, "unexpected '%s' in take", tok);
			return;
		}
	}
	fld_res_init(&res);
	fld_wait(&res, fl_engine_action_take(r->eng, pack, cmd[0] ? cmd : NULL, (int)wait_ms, fld_on_done, &res));
	outcome_from(o, &res, false);
	o->is_take = true;
	fld_res_release(&res);
}

/*
 * The action and attempt of `result`/`release`: ACTION is `$name` (a taken
 * action: its id and attempt) or a literal id (attempt unchecked);
 * attempt=N, attempt=+N (relative to the taken attempt) or attempt=any.
 */
static bool action_arg(struct run *r, struct words *w, char *arg, size_t cap, const char **id, int64_t *attempt)
{
	char tok[64];
	json_t *v = NULL;
	int64_t n;

	word(w, arg, cap);
	if (!*arg) {
		fail(r, "the action is missing");
		return false;
	}
	if (!(*id = resolve(r, arg)))
		return false;
	if (arg[0] == '$')
		v = json_object_get(var_get(r, arg + 1), "attempt");
	*attempt = json_is_integer(v) ? json_integer_value(v) : -1;
	while (!at_doc(w) && w->p < w->end) {
		word(w, tok, sizeof(tok));
		if (strcmp(tok, "attempt=any") == 0) {
			*attempt = -1;
		} else if (strncmp(tok, "attempt=+", 9) == 0 && parse_int(tok + 9, &n)) {
			if (!json_is_integer(v)) {
				fail(r, "'%s' needs an action taken with 'as'", tok);
				return false;
			}
			*attempt = json_integer_value(v) + n;
		} else if (strncmp(tok, "attempt=", 8) == 0 && parse_int(tok + 8, &n)) {
			*attempt = n;
		} else {
			fail(r, "unexpected '%s' (attempt=N, attempt=+N or attempt=any)", tok);
			return false;
		}
	}
	return true;
}

/* result PACK ACTION [attempt=...] EVENT */
static void do_result(struct run *r, struct words *w, const struct step *st, struct outcome *o)
{
	char pack_w[256];
	const char *pack = resolve(r, word(w, pack_w, sizeof(pack_w))), *id;
	char arg[256];
	int64_t attempt;
	json_t *ev;
	struct fld_res res;

	if (!pack || !action_arg(r, w, arg, sizeof(arg), &id, &attempt))
		return;
	if (!(ev = doc_arg(r, w, st, "result event")))
		return;
	fld_res_init(&res);
	fld_wait(&res, fl_engine_action_result(r->eng, pack, id, attempt, ev, fld_on_done, &res));
	outcome_from(o, &res, false);
	fld_res_release(&res);
	json_decref(ev);
}

/* release ACTION [attempt=...]: then a writer round trip, so the next step sees it */
static void do_release(struct run *r, struct words *w, const struct step *st, struct outcome *o)
{
	const char *id;
	char arg[256];
	int64_t attempt;

	(void)st;
	if (!action_arg(r, w, arg, sizeof(arg), &id, &attempt))
		return;
	o->code = fl_engine_action_release(r->eng, id, attempt);
	fld_barrier(r->eng);
}

/* datastore put KEY CONTENT-TYPE VALUE | get KEY | list | delete KEY */
static void do_datastore(struct run *r, struct words *w, const struct step *st, struct outcome *o)
{
	struct fl_error err = FL_ERROR_INIT;
	char verb[16], key[256], ct[256];
	json_t *body = NULL;
	struct fld_res res;

	word(w, verb, sizeof(verb));
	if (strcmp(verb, "list") == 0) {
		read_outcome(o, fl_engine_datastore_list(r->eng, &body, &err), &body, &err);
		return;
	}
	word(w, key, sizeof(key));
	if (strcmp(verb, "put") == 0) {
		struct fl_datastore_item_ref it = { 0 };
		word(w, ct, sizeof(ct));
		skip_space(w);
		it.key = key;
		it.content_type = ct;
		if (w->p < w->end) {
			it.value = w->p;
			it.value_len = (size_t)(w->end - w->p);
		} else {
			it.value = st->doc.ptr;
			it.value_len = st->doc.len;
		}
		fld_res_init(&res);
		fld_wait(&res, fl_engine_datastore_put(r->eng, &it, fld_on_done, &res));
		outcome_from(o, &res, true);
		fld_res_release(&res);
	} else if (strcmp(verb, "get") == 0) {
		struct fl_datastore_item *it = NULL;
		int rc = fl_engine_datastore_get(r->eng, &it, key, &err);
		if (rc == FL_OK) {
			body = json_pack("{s:s,s:s,s:s#}", "key", it->key, "contentType", it->content_type, "value",
					 it->value, (int)it->value_len);
			if (it->description)
				json_object_set_new(body, "description", json_string(it->description));
		}
		fl_engine_datastore_item_free(it);
		read_outcome(o, rc, &body, &err);
	} else if (strcmp(verb, "delete") == 0) {
		fld_res_init(&res);
		fld_wait(&res, fl_engine_datastore_delete(r->eng, key, fld_on_done, &res));
		outcome_from(o, &res, false);
		fld_res_release(&res);
	} else {
		fail(r, "unknown step 'datastore %s' (put, get, list, delete)", verb);
	}
}

/* audit [flow=F] [step=S] [action=A] [pack=P] [labels=JSON] [start=N] [limit=N] | audit get CORR */
static void do_audit(struct run *r, struct words *w, const struct step *st, struct outcome *o)
{
	struct fl_error err = FL_ERROR_INIT;
	struct fl_audit_filter f = { .limit = 100 };
	char tok[8][256];
	json_t *body = NULL, *labels = NULL;
	size_t n = 0;

	(void)st;
	while (n < FL_ARRAY_LEN(tok) && *word(w, tok[n], sizeof(tok[n])))
		n++;
	if (n >= 1 && strcmp(tok[0], "get") == 0) {
		const char *corr = n == 2 ? resolve(r, tok[1]) : NULL;
		if (n != 2)
			fail(r, "audit get needs one correlation id");
		else if (corr)
			read_outcome(o, fl_engine_audit_get(r->eng, corr, &body, &err), &body, &err);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		char *t = tok[i], *v = strchr(t, '=');
		if (!v) {
			fail(r, "unexpected '%s' in audit", t);
			goto out;
		}
		*v++ = '\0';
		if (strcmp(t, "flow") == 0)
			f.flow_name = v;
		else if (strcmp(t, "step") == 0)
			f.step_id = v;
		else if (strcmp(t, "action") == 0)
			f.action_name = v;
		else if (strcmp(t, "pack") == 0)
			f.action_pack_name = v;
		else if (strcmp(t, "labels") == 0 && !labels && (labels = json_loads(v, 0, NULL)))
			f.action_pack_labels = labels;
		else if (!(strcmp(t, "start") == 0 && parse_int(v, &f.start)) &&
			 !(strcmp(t, "limit") == 0 && parse_int(v, &f.limit))) {
			fail(r, "bad audit filter '%s=%s' (flow= step= action= pack= labels= start= limit=)", t, v);
			goto out;
		}
	}
	read_outcome(o, fl_engine_audit_list(r->eng, &f, &body, &err), &body, &err);
out:
	json_decref(labels);
}

/* ---------------------------------------------------- expectations */

static void json_show(const char *label, const json_t *j)
{
	char *s = j ? json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY | JSON_SORT_KEYS) : NULL;
	printf("#   %s: %.3000s\n", label, s ? s : "(none)");
	free(s);
}

/* An RFC 3339 UTC time; with ms, exactly milliseconds (2022-06-23T10:42:29.001Z). */
static bool is_time(const char *s, bool ms)
{
	size_t n = strlen(s);
	int64_t ns;

	if (ms && (n != 24 || s[19] != '.'))
		return false;
	return n > 0 && s[n - 1] == 'Z' && fl_time_parse_rfc3339(s, n, &ns, NULL) == 0;
}

/*
 * Does act match exp?  Objects: every member of exp matches (extra members
 * of act are fine; "<absent>" requires the member to be missing).  Arrays:
 * same length, element by element.  Strings "<any>", "<time>", "<time-ms>", "<id>" and
 * "$name" (capture or compare a variable; "$$" is a literal "$") are
 * patterns; numbers compare by value.  On a mismatch, path names it.
 */
static bool match(struct run *r, const json_t *exp, const json_t *act, struct fl_buf *path)
{
	size_t mark = path->len;

	if (json_is_string(exp)) {
		const char *s = json_string_value(exp);
		if (strcmp(s, "<any>") == 0)
			return act != NULL;
		if (strcmp(s, "<absent>") == 0)
			return act == NULL;
		if (strcmp(s, "<time>") == 0 || strcmp(s, "<time-ms>") == 0)
			return json_is_string(act) && is_time(json_string_value(act), s[5] == '-');
		if (strcmp(s, "<id>") == 0)
			return json_is_string(act) &&
			       fl_oid_valid(json_string_value(act), json_string_length(act));
		if (s[0] == '$' && s[1] != '$') {
			json_t *v = var_get(r, s + 1);
			if (!act)
				return false;
			if (!v) {
				var_set(r, s + 1, (json_t *)act);
				return true;
			}
			return json_equal(v, act);
		}
		if (s[0] == '$')
			s++;
		return json_is_string(act) && strcmp(s, json_string_value(act)) == 0;
	}
	if (json_is_number(exp))
		return json_is_number(act) && json_number_value(exp) == json_number_value(act);
	if (json_is_object(exp)) {
		const char *k;
		json_t *v;
		if (!json_is_object(act))
			return false;
		json_object_foreach ((json_t *)exp, k, v) {
			fl_buf_addf(path, ".%s", k);
			if (!match(r, v, json_object_get(act, k), path))
				return false;
			path->len = mark;
			path->ptr[mark] = '\0';
		}
		return true;
	}
	if (json_is_array(exp)) {
		if (!json_is_array(act) || json_array_size(act) != json_array_size(exp)) {
			if (json_is_array(act))
				fl_buf_addf(path, " (%zu elements, expected %zu)", json_array_size(act),
					    json_array_size(exp));
			return false;
		}
		for (size_t i = 0; i < json_array_size(exp); i++) {
			fl_buf_addf(path, "[%zu]", i);
			if (!match(r, json_array_get(exp, i), json_array_get(act, i), path))
				return false;
			path->len = mark;
			path->ptr[mark] = '\0';
		}
		return true;
	}
	return act && json_equal(exp, act); /* true, false, null */
}

static int err_code(const char *name, size_t n)
{
#define FL__CODE(nm, value, status, text)                                        \
	if (strlen(#nm) == n && memcmp(#nm, name, n) == 0 && (value) != 0) \
		return (value);
	FL_ERRORS(FL__CODE)
#undef FL__CODE
	return 0;
}

/* The log lines written since the step began, one message per line in *out. */
static void log_since(struct run *r, struct fl_buf *out)
{
	FILE *f = fopen(r->dir.log, "rb");
	char line[8192];

	if (!f)
		return;
	if (fseek(f, r->log_from, SEEK_SET) == 0)
		while (fgets(line, sizeof(line), f)) {
			json_t *j = json_loads(line, 0, NULL);
			const char *msg = json_string_value(json_object_get(j, "msg"));
			if (msg) {
				fl_buf_adds(out, msg);
				fl_buf_addc(out, '\n');
			}
			json_decref(j);
		}
	fclose(f);
}

static bool log_has(const struct fl_buf *logs, const char *pat, size_t plen)
{
	size_t pos = 0;

	while (pos < logs->len) {
		const char *l = logs->ptr + pos;
		const char *nl = memchr(l, '\n', logs->len - pos);
		size_t ll = nl ? (size_t)(nl - l) : logs->len - pos;
		if (flc_wildcard(pat, plen, l, ll))
			return true;
		pos += ll + 1;
	}
	return false;
}

static bool word_is(const char *t, size_t wl, const char *w)
{
	return strlen(w) == wl && memcmp(t, w, wl) == 0;
}

/*
 * Check one step's outcome against its expectations.  Every expectation but
 * an error code implies success; without any, a step must succeed and a
 * take must get an action.
 */
static void check(struct run *r, const struct step *st, const struct outcome *o)
{
	bool want_error = false, want_none = false;

	for (size_t i = 0; i < st->nex; i++) {
		const char *t = st->ex[i].text.ptr;
		size_t wl = strcspn(t, " \n");
		want_error |= err_code(t, wl) != 0;
	}
	r->line = st->line;
	if (!want_error && o->code) {
		fail(r, "unexpected %s: %s", fl_err_name(o->code), o->msg);
		return;
	}
	for (size_t i = 0; i < st->nex && !r->failed; i++) {
		const char *t = st->ex[i].text.ptr;
		size_t n = st->ex[i].text.len, wl = strcspn(t, " \n");
		int code = err_code(t, wl);

		r->line = st->ex[i].line;
		if (code) {
			const char *m = t + wl + strspn(t + wl, " ");
			if (o->code != code)
				fail(r, "expected %.*s, got %s%s%s", (int)wl, t, o->code ? fl_err_name(o->code) : "success",
				     o->code ? ": " : "", o->msg);
			else if (*m && !flc_wildcard(m, strlen(m), o->msg, strlen(o->msg)))
				fail(r, "the message does not match\n#   expected: %s\n#   got:      %s", m, o->msg);
		} else if (word_is(t, wl, "log") && n > 4) {
			struct fl_buf logs = FL_BUF_INIT(0);
			log_since(r, &logs);
			if (!log_has(&logs, t + 4, n - 4)) {
				fail(r, "no log line matches '%.*s'", (int)(n - 4), t + 4);
				flc_print_text("log lines of the step", logs.ptr, logs.len);
			}
			fl_buf_release(&logs);
		} else if (want_error) {
			fail(r, "'%.*s' cannot be expected together with an error", (int)n, t);
		} else if (wl == n && word_is(t, wl, "ok")) {
			continue;
		} else if (wl == n && word_is(t, wl, "none")) {
			want_none = true;
			if (o->body) {
				fail(r, "expected no action");
				json_show("got", o->body);
			}
		} else if (wl == n && (word_is(t, wl, "created") || word_is(t, wl, "updated"))) {
			bool want = t[0] == 'c';
			if (!o->has_created)
				fail(r, "this step does not report created/updated");
			else if (o->created != want)
				fail(r, "expected %s, got %s", want ? "created" : "updated",
				     o->created ? "created" : "updated");
		} else if (t[0] == '{' || t[0] == '[' || t[0] == '"') {
			struct fl_buf path = FL_BUF_INIT(0);
			json_error_t je;
			json_t *exp = json_loadb(t, n, JSON_DECODE_ANY, &je);
			if (!exp) {
				fail(r, "expectation is not valid JSON: %s", je.text);
			} else if (!match(r, exp, o->body, &path)) {
				fail(r, "the answer does not match at '%s'", path.len ? path.ptr : "(top)");
				json_show("expected", exp);
				json_show("got", o->body);
			}
			json_decref(exp);
			fl_buf_release(&path);
		} else {
			fail(r, "unknown expectation '%.*s' (ok, none, created, updated, log PATTERN, an error code, JSON)",
			     (int)n, t);
		}
	}
	r->line = st->line;
	if (!r->failed && o->is_take && !want_error && !want_none && !o->body)
		fail(r, "expected an action, got none");
}

/* ------------------------------------------------------ running */

static long file_size(const char *path)
{
	struct stat s;
	return stat(path, &s) == 0 ? (long)s.st_size : 0;
}

static void run_step(struct run *r, const struct step *st)
{
	struct words w = { st->head.ptr, st->head.ptr + st->head.len };
	struct outcome o;
	char verb[32], as[128] = "";

	memset(&o, 0, sizeof(o));
	r->line = st->line;
	r->log_from = file_size(r->dir.log);
	word(&w, verb, sizeof(verb));
	if (strcmp(verb, "register") == 0)
		do_register(r, &w, st, &o);
	else if (strcmp(verb, "pack") == 0)
		do_pack(r, &w, st, &o);
	else if (strcmp(verb, "flow") == 0)
		do_flow(r, &w, st, &o);
	else if (strcmp(verb, "event") == 0)
		do_event(r, &w, st, &o);
	else if (strcmp(verb, "take") == 0)
		do_take(r, &w, st, &o, as, sizeof(as));
	else if (strcmp(verb, "result") == 0)
		do_result(r, &w, st, &o);
	else if (strcmp(verb, "release") == 0)
		do_release(r, &w, st, &o);
	else if (strcmp(verb, "datastore") == 0)
		do_datastore(r, &w, st, &o);
	else if (strcmp(verb, "audit") == 0)
		do_audit(r, &w, st, &o);
	else
		fail(r, "unknown step '%s'", verb);
	if (!r->failed)
		check(r, st, &o);
	if (!r->failed && as[0]) {
		if (!o.body)
			fail(r, "'as %s' without an action", as);
		else
			var_set(r, as, o.body);
	}
	if (r->failed)
		printf("#   step: %s\n", st->head.ptr);
	json_decref(o.body);
}

/* The setup sections: packs (one JSON definition a line), flows, datastore items. */
static void setup(struct run *r, const struct flc_case *c)
{
	const struct flc_text *t;
	struct fld_res res;

	r->line = 0;
	if ((t = flc_section(c, "packs", 0))) {
		size_t pos = 0;
		while (pos < t->n && !r->failed) {
			const char *l = t->p + pos, *nl = memchr(l, '\n', t->n - pos);
			size_t ll = nl ? (size_t)(nl - l) : t->n - pos;
			json_t *def;
			pos += ll + 1;
			if (ll == indent_of(l, ll) || l[indent_of(l, ll)] == '#')
				continue;
			if (!(def = parse_doc(r, l, ll, "pack definition")))
				break;
			fld_res_init(&res);
			fld_wait(&res, fl_engine_pack_register(r->eng, def, fld_on_done, &res));
			if (res.code)
				fail(r, "pack %.*s: %s: %s", (int)ll, l, fl_err_name(res.code), res.msg);
			fld_res_release(&res);
			json_decref(def);
		}
	}
	for (size_t i = 0; !r->failed && (t = flc_section(c, "flow", i)); i++) {
		json_t *def = parse_doc(r, t->p, t->n, "flow");
		if (!def)
			break;
		fld_res_init(&res);
		fld_wait(&res, fl_engine_flow_put(r->eng, def, 0, fld_on_done, &res));
		if (res.code)
			fail(r, "flow #%zu: %s: %s", i + 1, fl_err_name(res.code), res.msg);
		fld_res_release(&res);
		json_decref(def);
	}
	if (!r->failed && (t = flc_section(c, "datastore", 0))) {
		json_t *items = parse_doc(r, t->p, t->n, "datastore"), *v;
		const char *key;
		if (items && !json_is_object(items))
			fail(r, "datastore must be an object {key: {contentType, value}}");
		json_object_foreach (items, key, v) {
			json_t *val = json_object_get(v, "value");
			char *dumped = json_is_string(val) ? NULL : json_dumps(val, JSON_COMPACT | JSON_ENCODE_ANY);
			struct fl_datastore_item_ref it = {
				.key = key,
				.content_type = json_string_value(json_object_get(v, "contentType")),
				.value = dumped ? dumped : json_string_value(val),
				.value_len = dumped ? strlen(dumped) : json_string_length(val),
			};
			if (r->failed)
				break;
			if (!it.value || !it.content_type) {
				fail(r, "datastore item '%s' needs contentType and value", key);
				break;
			}
			fld_res_init(&res);
			fld_wait(&res, fl_engine_datastore_put(r->eng, &it, fld_on_done, &res));
			if (res.code)
				fail(r, "datastore '%s': %s: %s", key, fl_err_name(res.code), res.msg);
			fld_res_release(&res);
			free(dumped);
		}
		json_decref(items);
	}
	if (r->failed)
		printf("#   (while setting up the case)\n");
}

/* The line number (in its file) of the first line of a section. */
static int line_of(const struct flc_cases *cs, const char *p)
{
	for (size_t i = 0; i < cs->nfiles; i++) {
		const char *f = cs->files[i];
		size_t len = strlen(f);
		if (p >= f && p <= f + len) {
			int n = 1;
			for (const char *q = f; q < p; q++)
				n += *q == '\n';
			return n;
		}
	}
	return 0;
}

struct runner {
	const struct flc_cases *cs;
	int inline_ms; /* FL_TEST_RENDER_INLINE_MS, -1 = engine default */
};

static bool run_case(const struct flc_case *c, void *payload)
{
	const struct runner *rn = payload;
	const struct flc_text *script_text = flc_section(c, "script", 0);
	struct fl_engine_config cfg;
	struct fl_error err = FL_ERROR_INIT;
	struct script sc = { 0 };
	struct run r;
	const char *problem;

	memset(&r, 0, sizeof(r));
	if (!script_text) {
		printf("# malformed case: missing '=== script'\n");
		return false;
	}
	if ((problem = script_parse(&sc, script_text, line_of(rn->cs, script_text->p)))) {
		printf("# malformed case: %s\n", problem);
		script_release(&sc);
		return false;
	}
	if (fld_dir_make(&r.dir, "fl-engine") != 0) {
		printf("# mkdtemp failed: %s\n", strerror(errno));
		script_release(&sc);
		return false;
	}
	fl_log_set_format(FL_LOG_FORMAT_JSON);
	fl_log_set_level(FL_LOG_WARN);
	if (fl_log_open_file(r.dir.log) != 0)
		printf("# cannot open the log file %s\n", r.dir.log);
	fld_config(&cfg, r.dir.db);
	if (fl_engine_open(&r.eng, &cfg, &err) != FL_OK) {
		printf("# engine open: %s\n", err.msg);
		r.failed = true;
	}
	if (!r.failed)
		setup(&r, c);
	for (size_t i = 0; i < sc.n && !r.failed; i++)
		run_step(&r, &sc.v[i]);
	if (!r.failed && rn->inline_ms == 0) {
		struct fl_engine_stats s;
		fl_engine_stats(r.eng, &s);
		if (s.actions_created > 0 && s.renders_deferred == 0) {
			printf("# FL_TEST_RENDER_INLINE_MS=0 but no render was deferred (%" PRIu64 " actions created)\n",
			       s.actions_created);
			r.failed = true;
		}
	}
	fl_engine_free(r.eng);
	if (r.failed) {
		struct fl_buf logs = FL_BUF_INIT(0);
		r.log_from = 0;
		log_since(&r, &logs);
		if (logs.len)
			flc_print_text("log of the case", logs.ptr, logs.len);
		fl_buf_release(&logs);
	}
	fl_log_close();
	fld_dir_remove(&r.dir);
	for (size_t i = 0; i < r.nvars; i++) {
		free(r.vars[i].name);
		json_decref(r.vars[i].val);
	}
	free(r.vars);
	script_release(&sc);
	return !r.failed;
}

int main(int argc, char **argv)
{
	struct flc_cases cs;
	struct runner rn = { &cs, fld_inline_ms() };
	int rc;

	if (argc < 2) {
		fprintf(stderr, "usage: %s CASES_DIR [FILTER]\n", argv[0]);
		return 2;
	}
	flc_cases_load(&cs, argv[1], sections, FL_ARRAY_LEN(sections));
	rc = flc_cases_run(&cs, argv[1], argc > 2 ? argv[2] : NULL, run_case, &rn);
	flc_cases_release(&cs);
	return rc;
}
