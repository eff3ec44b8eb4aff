/* SPDX-License-Identifier: Apache-2.0 */
/*
 * step.c - compile one flow step and run it against an event, offline, with
 * the server's template module (see step.h for what is mirrored from the
 * engine and how the two are kept in step).
 */
#include "fl-common.h"

#include <jansson.h>

#include "alloc.h"
#include "buf.h"
#include "error.h"
#include "step.h"
#include "template.h"
#include "value.h"

#define MAX_MAP 1000    /* keys of a context or labels map, as the server */
#define MAX_DEPENDS 100 /* entries of dependsOn, as the server */
#define MAX_DEPTH 64    /* nesting of a command input, as the server */

struct kv {
	const char *key;
	struct fl_tmpl *t;
};

enum input_kind { IN_LITERAL, IN_TEMPLATE, IN_OBJECT, IN_ARRAY };

struct input {
	enum input_kind kind;
	const json_t *literal; /* IN_LITERAL (borrowed from def) */
	struct fl_tmpl *t;     /* IN_TEMPLATE */
	size_t n;              /* IN_OBJECT / IN_ARRAY children */
	const char **keys;     /* IN_OBJECT keys (borrowed from def) */
	struct input *kids;
};

struct ctl_step {
	json_t *def; /* the step as given (one reference) */
	const char *id, *event_name, *event_pack, *command_name, *command_pack;
	struct kv *context, *event_labels, *command_labels;
	size_t ncontext, nevent_labels, ncommand_labels;
	struct fl_tmpl *criteria; /* NULL: always true */
	struct input input;
};

/* ------------------------------------------------------------ checking */

static int bad(struct fl_error *err, const char *field, const char *what)
{
	return fl_error_set(err, FL_EINVALID, "field '%s' %s", field, what);
}

static bool is_absent(const json_t *v)
{
	return !v || json_is_null(v);
}

static int req_string(const json_t *obj, const char *key, const char *path, const char **out, struct fl_error *err)
{
	json_t *v = json_object_get(obj, key);
	char field[200];

	snprintf(field, sizeof(field), "%s.%s", path, key);
	if (!json_is_string(v))
		return bad(err, field, is_absent(v) ? "is required" : "must be a string");
	*out = json_string_value(v);
	return FL_OK;
}

static int check_string_map(const json_t *v, const char *field, struct fl_error *err)
{
	const char *k;
	json_t *x;
	char sub[400];

	if (is_absent(v))
		return FL_OK;
	if (!json_is_object(v))
		return bad(err, field, "must be an object of strings");
	if (json_object_size(v) > MAX_MAP)
		return bad(err, field, "has too many keys");
	json_object_foreach ((json_t *)v, k, x) {
		if (!json_is_string(x)) {
			snprintf(sub, sizeof(sub), "%s.%s", field, k);
			return bad(err, sub, "must be a string");
		}
	}
	return FL_OK;
}

static int check_step(struct ctl_step *st, const json_t *s, struct fl_error *err)
{
	const json_t *v, *ev, *cmd;
	size_t i;
	json_t *d;
	int rc;

	if (!json_is_object(s))
		return bad(err, "step", "must be an object");
	v = json_object_get(s, "id");
	if (!is_absent(v) && !json_is_string(v))
		return bad(err, "step.id", "must be a string");
	st->id = json_is_string(v) ? json_string_value(v) : "";
	v = json_object_get(s, "dependsOn");
	if (!is_absent(v)) {
		if (!json_is_array(v) || json_array_size(v) > MAX_DEPENDS)
			return bad(err, "step.dependsOn", "must be an array of at most 100 step ids");
		json_array_foreach ((json_t *)v, i, d)
			if (!json_is_string(d))
				return fl_error_set(err, FL_EINVALID, "field 'step.dependsOn[%zu]' must be a string", i);
	}
	ev = json_object_get(s, "event");
	if (!json_is_object(ev))
		return bad(err, "step.event", is_absent(ev) ? "is required" : "must be an object");
	if ((rc = req_string(ev, "name", "step.event", &st->event_name, err)) ||
	    (rc = req_string(ev, "packName", "step.event", &st->event_pack, err)) ||
	    (rc = check_string_map(json_object_get(ev, "packLabels"), "step.event.packLabels", err)) ||
	    (rc = check_string_map(json_object_get(s, "context"), "step.context", err)))
		return rc;
	v = json_object_get(s, "criteria");
	if (!is_absent(v) && !json_is_string(v))
		return bad(err, "step.criteria", "must be a string");
	cmd = json_object_get(s, "command");
	if (!json_is_object(cmd))
		return bad(err, "step.command", is_absent(cmd) ? "is required" : "must be an object");
	if ((rc = req_string(cmd, "name", "step.command", &st->command_name, err)) ||
	    (rc = req_string(cmd, "packName", "step.command", &st->command_pack, err)) ||
	    (rc = check_string_map(json_object_get(cmd, "packLabels"), "step.command.packLabels", err)))
		return rc;
	return FL_OK;
}

/* ----------------------------------------------------------- compiling */

static int compile_str(const struct ctl_step *st, struct fl_tmpl **out, const json_t *s, const char *field,
		       const struct fl_tmpl_limits *lim, struct fl_error *err)
{
	struct fl_error terr = FL_ERROR_INIT;

	if (fl_tmpl_compile(out, json_string_value(s), json_string_length(s), lim, &terr)) {
		*out = NULL;
		if (st->id[0])
			return fl_error_set(err, FL_EINVALID, "step '%s' field '%s': %s", st->id, field, terr.msg);
		return fl_error_set(err, FL_EINVALID, "step field '%s': %s", field, terr.msg);
	}
	return FL_OK;
}

static int compile_map(const struct ctl_step *st, struct kv **out, size_t *n, const json_t *map, const char *field,
		       const struct fl_tmpl_limits *lim, struct fl_error *err)
{
	const char *k;
	json_t *v;
	char sub[400];
	int rc;

	*out = NULL;
	*n = 0;
	if (!json_is_object(map) || json_object_size(map) == 0)
		return FL_OK;
	*out = fl_xcalloc(json_object_size(map), sizeof(**out));
	json_object_foreach ((json_t *)map, k, v) {
		snprintf(sub, sizeof(sub), "%s.%s", field, k);
		(*out)[*n].key = k;
		rc = compile_str(st, &(*out)[*n].t, v, sub, lim, err);
		if (rc)
			return rc;
		(*n)++;
	}
	return FL_OK;
}

static int compile_input(const struct ctl_step *st, struct input *in, const json_t *v, struct fl_buf *path,
			 unsigned depth, const struct fl_tmpl_limits *lim, struct fl_error *err);

/* Compile x as the next child of in; path names it (cut back to mark after). */
static int compile_kid(const struct ctl_step *st, struct input *in, const json_t *x, struct fl_buf *path, size_t mark,
		       unsigned depth, const struct fl_tmpl_limits *lim, struct fl_error *err)
{
	int rc = compile_input(st, &in->kids[in->n], x, path, depth + 1, lim, err);

	in->n++;
	fl_buf_truncate(path, mark);
	return rc;
}

/* The command input: strings are templates, a null member of an object is dropped (as the server does). */
static int compile_input(const struct ctl_step *st, struct input *in, const json_t *v, struct fl_buf *path,
			 unsigned depth, const struct fl_tmpl_limits *lim, struct fl_error *err)
{
	size_t mark = path->len, i;
	const char *k;
	json_t *x;
	int rc;

	memset(in, 0, sizeof(*in));
	if (depth > MAX_DEPTH)
		return fl_error_set(err, FL_EINVALID, "field '%s' is nested more than %d levels", path->ptr, MAX_DEPTH);
	if (json_is_string(v)) {
		in->kind = IN_TEMPLATE;
		return compile_str(st, &in->t, v, path->ptr, lim, err);
	}
	if (json_is_object(v)) {
		in->kind = IN_OBJECT;
		in->keys = fl_xcalloc(json_object_size(v) + 1, sizeof(*in->keys));
		in->kids = fl_xcalloc(json_object_size(v) + 1, sizeof(*in->kids));
		json_object_foreach ((json_t *)v, k, x) {
			if (json_is_null(x))
				continue; /* a null member is dropped, as the server does */
			fl_buf_addf(path, ".%s", k);
			in->keys[in->n] = k;
			if ((rc = compile_kid(st, in, x, path, mark, depth, lim, err)))
				return rc;
		}
		return FL_OK;
	}
	if (json_is_array(v)) {
		in->kind = IN_ARRAY;
		in->kids = fl_xcalloc(json_array_size(v) + 1, sizeof(*in->kids));
		json_array_foreach ((json_t *)v, i, x) {
			fl_buf_addf(path, "[%zu]", i);
			if ((rc = compile_kid(st, in, x, path, mark, depth, lim, err)))
				return rc;
		}
		return FL_OK;
	}
	in->kind = IN_LITERAL;
	in->literal = v ? v : json_null();
	return FL_OK;
}

static void input_release(struct input *in)
{
	fl_tmpl_free(in->t);
	for (size_t i = 0; i < in->n; i++)
		input_release(&in->kids[i]);
	free(in->kids);
	free(in->keys);
}

static void kv_free(struct kv *kv, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fl_tmpl_free(kv[i].t);
	free(kv);
}

void ctl_step_free(struct ctl_step *s)
{
	if (!s)
		return;
	kv_free(s->context, s->ncontext);
	kv_free(s->event_labels, s->nevent_labels);
	kv_free(s->command_labels, s->ncommand_labels);
	fl_tmpl_free(s->criteria);
	input_release(&s->input);
	json_decref(s->def);
	free(s);
}

const char *ctl_step_id(const struct ctl_step *s)
{
	return s->id;
}

int ctl_step_compile(struct ctl_step **out, json_t *step, const struct fl_tmpl_limits *lim, struct fl_error *err)
{
	struct ctl_step *st = fl_xcalloc(1, sizeof(*st));
	struct fl_buf path = FL_BUF_INIT(4096);
	const json_t *ev, *cmd, *crit;
	int rc;

	*out = NULL;
	st->def = json_incref(step);
	st->id = "";
	rc = check_step(st, step, err);
	if (rc)
		goto out;
	ev = json_object_get(step, "event");
	cmd = json_object_get(step, "command");
	rc = compile_map(st, &st->context, &st->ncontext, json_object_get(step, "context"), "context", lim, err);
	if (!rc)
		rc = compile_map(st, &st->event_labels, &st->nevent_labels, json_object_get(ev, "packLabels"),
				 "event.packLabels", lim, err);
	if (!rc)
		rc = compile_map(st, &st->command_labels, &st->ncommand_labels, json_object_get(cmd, "packLabels"),
				 "command.packLabels", lim, err);
	crit = json_object_get(step, "criteria");
	if (!rc && json_is_string(crit) && json_string_length(crit))
		rc = compile_str(st, &st->criteria, crit, "criteria", lim, err);
	if (!rc) {
		fl_buf_adds(&path, "command.input");
		rc = compile_input(st, &st->input, json_object_get(cmd, "input"), &path, 0, lim, err);
	}
out:
	fl_buf_release(&path);
	if (rc)
		ctl_step_free(st);
	else
		*out = st;
	return rc;
}

/* ------------------------------------------------------------- running */

static int tmpl_error(const struct fl_tmpl *t, const char *field, const struct fl_error *e, struct fl_error *err)
{
	size_t len = 0;
	const char *src = fl_tmpl_source(t, &len);

	return fl_error_set(err, e->code ? e->code : FL_ERROR, "error while evaluating expression: '%.*s': %s (field '%s')",
			    (int)FL_MIN(len, (size_t)120), src ? src : "", e->msg, field);
}

/* Render t into a new JSON string (*out), as the server renders step fields. */
static int render_string(const struct fl_tmpl *t, fl_val *ctx, const struct fl_tmpl_env *env, const char *field,
			 json_t **out, struct fl_error *err)
{
	struct fl_buf buf = FL_BUF_INIT(0);
	struct fl_error e = FL_ERROR_INIT;
	size_t len;
	const char *src;
	int rc = FL_OK;

	*out = NULL;
	if (fl_tmpl_is_literal(t)) {
		src = fl_tmpl_source(t, &len);
		*out = json_stringn(src ? src : "", len);
		return FL_OK;
	}
	if (fl_tmpl_render(t, ctx, env, &buf, &e) != FL_OK) {
		rc = tmpl_error(t, field, &e, err);
	} else if (fl_buf_failed(&buf)) {
		fl_error_set(&e, FL_ETOOBIG, "rendered value is too big");
		rc = tmpl_error(t, field, &e, err);
	} else if (!(*out = json_stringn(buf.ptr, buf.len))) {
		fl_error_set(&e, FL_EINVALID, "rendered value is not valid UTF-8");
		rc = tmpl_error(t, field, &e, err);
	}
	fl_buf_release(&buf);
	return rc;
}

static int render_input(const struct input *in, fl_val *ctx, const struct fl_tmpl_env *env, json_t **out,
			struct fl_error *err)
{
	json_t *o, *kid;
	int rc;

	*out = NULL;
	switch (in->kind) {
	case IN_LITERAL:
		*out = json_incref((json_t *)in->literal);
		return FL_OK;
	case IN_TEMPLATE:
		return render_string(in->t, ctx, env, "command.input", out, err);
	case IN_OBJECT:
	case IN_ARRAY:
		o = in->kind == IN_OBJECT ? json_object() : json_array();
		for (size_t i = 0; i < in->n; i++) {
			rc = render_input(&in->kids[i], ctx, env, &kid, err);
			if (rc) {
				json_decref(o);
				return rc;
			}
			if (in->kind == IN_OBJECT)
				json_object_set_new(o, in->keys[i], kid);
			else
				json_array_append_new(o, kid);
		}
		*out = o;
		return FL_OK;
	}
	return FL_OK;
}

/* The template value `Event`, built as the server builds it. */
static fl_val *event_val(const struct ctl_step_event *ev)
{
	fl_val *e = fl_val_object_new(6), *p = fl_val_object_new(3);
	json_t *empty = json_object();

	fl_val_object_setz(e, "Name", fl_val_strz(ev->name ? ev->name : ""));
	fl_val_object_setz(p, "Id", fl_val_strz(ev->pack_id ? ev->pack_id : ""));
	fl_val_object_setz(p, "Name", fl_val_strz(ev->pack_name ? ev->pack_name : ""));
	fl_val_object_setz(p, "Labels", fl_val_from_json(ev->pack_labels ? ev->pack_labels : empty, 0));
	fl_val_object_setz(e, "Pack", p);
	fl_val_object_setz(e, "Payload",
			   fl_val_from_json(ev->payload ? ev->payload : json_null(), FL_VAL_JSON_NUMBERS_AS_FLOAT));
	fl_val_object_setz(e, "CreatedAt", fl_val_time(ev->created_ns, ev->created_offset));
	fl_val_object_setz(e, "ReceivedAt", fl_val_time(ev->received_ns, 0));
	json_decref(empty);
	return e;
}

/* The root template context {Event, Context}. */
static fl_val *root_ctx(fl_val *event, const json_t *context)
{
	fl_val *root = fl_val_object_new(2);

	fl_val_object_setz(root, "Event", fl_val_ref(event));
	fl_val_object_setz(root, "Context", fl_val_from_json(context, 0));
	return root;
}

int ctl_step_run(json_t **action, enum ctl_step_outcome *outcome, char *why, size_t whylen, const struct ctl_step *st,
		 const struct ctl_step_event *ev, const json_t *context, const struct fl_tmpl_env *env,
		 struct fl_error *err)
{
	json_t *ctx = context ? json_deep_copy(context) : json_object(), *labels = json_object(), *input = NULL, *v;
	fl_val *event = NULL, *root = NULL;
	char field[320];
	int rc = FL_OK;
	bool yes = true;

	*action = NULL;
	*outcome = CTL_STEP_OTHER_EVENT;
	if (strcmp(st->event_name, ev->name ? ev->name : "") || strcmp(st->event_pack, ev->pack_name ? ev->pack_name : "")) {
		snprintf(why, whylen, "it waits for event '%s' of pack '%s', not '%s' of pack '%s'", st->event_name,
			 st->event_pack, ev->name ? ev->name : "", ev->pack_name ? ev->pack_name : "");
		goto out;
	}
	event = event_val(ev);

	/* 1. context: every value sees only the parent context */
	if (st->ncontext) {
		root = root_ctx(event, context ? context : ctx);
		for (size_t i = 0; i < st->ncontext && !rc; i++) {
			snprintf(field, sizeof(field), "context.%s", st->context[i].key);
			rc = render_string(st->context[i].t, root, env, field, &v, err);
			if (!rc)
				json_object_set_new(ctx, st->context[i].key, v);
		}
		fl_val_unref(root);
		root = NULL;
		if (rc)
			goto out;
	}
	root = root_ctx(event, ctx);

	/* 2. the sending pack must carry the (rendered) event labels */
	*outcome = CTL_STEP_LABELS;
	for (size_t i = 0; i < st->nevent_labels; i++) {
		const char *key = st->event_labels[i].key, *have;
		snprintf(field, sizeof(field), "event.packLabels.%s", key);
		rc = render_string(st->event_labels[i].t, root, env, field, &v, err);
		if (rc)
			goto out;
		have = json_string_value(json_object_get(ev->pack_labels, key));
		if (!have || strcmp(have, json_string_value(v))) {
			if (have)
				snprintf(why, whylen, "the event's pack has label %s=%s, the step wants %s=%s", key, have, key,
					 json_string_value(v));
			else
				snprintf(why, whylen, "the event's pack has no label '%s' (the step wants %s=%s)", key, key,
					 json_string_value(v));
			json_decref(v);
			goto out;
		}
		json_decref(v);
	}

	/* 3. criteria */
	*outcome = CTL_STEP_CRITERIA;
	if (st->criteria) {
		struct fl_error e = FL_ERROR_INIT;
		if (fl_tmpl_render_bool(st->criteria, root, env, &yes, &e) != FL_OK) {
			rc = tmpl_error(st->criteria, "criteria", &e, err);
			goto out;
		}
		if (!yes) {
			snprintf(why, whylen, "its criteria is false");
			goto out;
		}
	}

	/* 4. command labels and input */
	for (size_t i = 0; i < st->ncommand_labels; i++) {
		snprintf(field, sizeof(field), "command.packLabels.%s", st->command_labels[i].key);
		rc = render_string(st->command_labels[i].t, root, env, field, &v, err);
		if (rc)
			goto out;
		json_object_set_new(labels, st->command_labels[i].key, v);
	}
	rc = render_input(&st->input, root, env, &input, err);
	if (rc)
		goto out;
	*outcome = CTL_STEP_RUNS;
	*action = json_object();
	json_object_set_new(*action, "name", json_string(st->command_name));
	json_object_set_new(*action, "packName", json_string(st->command_pack));
	if (json_object_size(labels))
		json_object_set(*action, "packLabels", labels);
	json_object_set(*action, "input", input);
	if (json_object_size(ctx))
		json_object_set(*action, "context", ctx);
out:
	fl_val_unref(root);
	fl_val_unref(event);
	json_decref(ctx);
	json_decref(labels);
	json_decref(input);
	return rc;
}
