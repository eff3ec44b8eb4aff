/* SPDX-License-Identifier: Apache-2.0 */
/*
 * step.c - run one compiled flow step against one event (see step.h).
 */
#include "fl-common.h"

#include <jansson.h>

#include "alloc.h"
#include "buf.h"
#include "error.h"
#include "flow/step.h"
#include "template.h"
#include "value.h"

fl_val *fl_step_event_val(const struct fl_step_event *ev)
{
	fl_val *e = fl_val_object_new(6), *p = fl_val_object_new(3);
	json_t *none = ev->pack_labels ? NULL : json_object();

	fl_val_object_setz(e, "Name", fl_val_strz(ev->name ? ev->name : ""));
	fl_val_object_setz(p, "Id", fl_val_strz(ev->pack_id ? ev->pack_id : ""));
	fl_val_object_setz(p, "Name", fl_val_strz(ev->pack_name ? ev->pack_name : ""));
	fl_val_object_setz(p, "Labels", fl_val_from_json(ev->pack_labels ? ev->pack_labels : none, 0));
	fl_val_object_setz(e, "Pack", p);
	fl_val_object_setz(e, "Payload",
			   fl_val_from_json(ev->payload ? ev->payload : json_null(), FL_VAL_JSON_NUMBERS_AS_FLOAT));
	fl_val_object_setz(e, "CreatedAt", fl_val_time(ev->created_ns, ev->created_offset));
	fl_val_object_setz(e, "ReceivedAt", fl_val_time(ev->received_ns, 0));
	json_decref(none);
	return e;
}

/* Record a failed template in r; returns false (the step stops). */
static bool failed(struct fl_step_run *r, const struct fl_tmpl *t, const char *field, const struct fl_error *e)
{
	r->outcome = FL_STEP_FAILED;
	r->tmpl = t;
	snprintf(r->field, sizeof(r->field), "%s", field);
	r->err = *e;
	return false;
}

/* Render t into a new JSON string (*out); false when it failed (recorded in r). */
static bool render_string(struct fl_step_run *r, const struct fl_tmpl *t, fl_val *ctx, const struct fl_tmpl_env *env,
			  const char *field, json_t **out)
{
	struct fl_buf buf = FL_BUF_INIT(0);
	struct fl_error e = FL_ERROR_INIT;
	bool ok = true;
	size_t len;
	const char *src;

	*out = NULL;
	if (fl_tmpl_is_literal(t)) {
		src = fl_tmpl_source(t, &len);
		*out = json_stringn(src ? src : "", len);
		return true;
	}
	if (fl_tmpl_render(t, ctx, env, &buf, &e) != FL_OK) {
		ok = failed(r, t, field, &e);
	} else if (fl_buf_failed(&buf)) {
		fl_error_set(&e, FL_ETOOBIG, "rendered value is too big");
		ok = failed(r, t, field, &e);
	} else if (!(*out = json_stringn(buf.ptr, buf.len))) {
		fl_error_set(&e, FL_EINVALID, "rendered value is not valid UTF-8");
		ok = failed(r, t, field, &e);
	}
	fl_buf_release(&buf);
	return ok;
}

/* The command input: literals as they are, strings rendered, containers element by element. */
static bool render_input(struct fl_step_run *r, const struct fl_flowdef_input *in, fl_val *ctx,
			 const struct fl_tmpl_env *env, json_t **out)
{
	json_t *o, *kid;

	*out = NULL;
	switch (in->kind) {
	case FL_FLOWDEF_IN_LITERAL:
		*out = json_incref((json_t *)(in->literal ? in->literal : json_null()));
		return true;
	case FL_FLOWDEF_IN_TEMPLATE:
		return render_string(r, in->t, ctx, env, "command.input", out);
	case FL_FLOWDEF_IN_OBJECT:
	case FL_FLOWDEF_IN_ARRAY:
		/* a null element of an array stays null (Flyte failed the whole step here) */
		o = in->kind == FL_FLOWDEF_IN_OBJECT ? json_object() : json_array();
		for (size_t i = 0; i < in->n; i++) {
			if (!render_input(r, &in->kids[i], ctx, env, &kid)) {
				json_decref(o);
				return false;
			}
			if (in->kind == FL_FLOWDEF_IN_OBJECT)
				json_object_set_new(o, in->keys[i], kid);
			else
				json_array_append_new(o, kid);
		}
		*out = o;
		return true;
	}
	return true;
}

/* The root template context {Event, Context}. */
static fl_val *root_ctx(fl_val *event, const json_t *context)
{
	fl_val *root = fl_val_object_new(2);

	fl_val_object_setz(root, "Event", fl_val_ref(event));
	fl_val_object_setz(root, "Context", fl_val_from_json(context, 0));
	return root;
}

void fl_step_run(struct fl_step_run *r, const struct fl_flowdef_step *st, fl_val *event,
		 const json_t *event_labels, const json_t *parent, const struct fl_tmpl_env *env)
{
	json_t *empty = parent ? NULL : json_object(), *ctx, *labels = json_object(), *input = NULL, *v;
	fl_val *root = NULL;
	char field[320];
	bool yes = false;

	memset(r, 0, sizeof(*r));
	if (!parent)
		parent = empty;
	ctx = json_deep_copy(parent);

	/* 1. context: every value sees only the parent context */
	if (st->ncontext) {
		root = root_ctx(event, parent);
		for (size_t i = 0; i < st->ncontext; i++) {
			snprintf(field, sizeof(field), "context.%s", st->context[i].key);
			if (!render_string(r, st->context[i].t, root, env, field, &v))
				goto out;
			json_object_set_new(ctx, st->context[i].key, v);
		}
		fl_val_unref(root);
	}
	root = root_ctx(event, ctx);

	/* 2. the sending pack must carry the (rendered) event labels */
	for (size_t i = 0; i < st->nevent_labels; i++) {
		const char *key = st->event_labels[i].key, *have;
		bool ok;
		snprintf(field, sizeof(field), "event.packLabels.%s", key);
		if (!render_string(r, st->event_labels[i].t, root, env, field, &v))
			goto out;
		have = json_string_value(json_object_get(event_labels, key));
		ok = have && strcmp(have, json_string_value(v)) == 0;
		if (!ok) {
			r->outcome = FL_STEP_LABELS;
			r->label = key;
			snprintf(r->want, sizeof(r->want), "%s", json_string_value(v));
		}
		json_decref(v);
		if (!ok)
			goto out;
	}

	/* 3. criteria */
	if (st->criteria) {
		struct fl_error e = FL_ERROR_INIT;
		if (fl_tmpl_render_bool(st->criteria, root, env, &yes, &e) != FL_OK) {
			failed(r, st->criteria, "criteria", &e);
			goto out;
		}
		if (!yes) {
			r->outcome = FL_STEP_CRITERIA;
			goto out;
		}
	}

	/* 4. command labels and input */
	for (size_t i = 0; i < st->ncommand_labels; i++) {
		snprintf(field, sizeof(field), "command.packLabels.%s", st->command_labels[i].key);
		if (!render_string(r, st->command_labels[i].t, root, env, field, &v))
			goto out;
		json_object_set_new(labels, st->command_labels[i].key, v);
	}
	if (!render_input(r, &st->input, root, env, &input))
		goto out;

	r->outcome = FL_STEP_FIRES;
	r->context = json_incref(ctx);
	r->labels = json_incref(labels);
	r->input = json_incref(input);
out:
	fl_val_unref(root);
	json_decref(ctx);
	json_decref(labels);
	json_decref(input);
	json_decref(empty);
}

void fl_step_run_release(struct fl_step_run *r)
{
	json_decref(r->context);
	json_decref(r->labels);
	json_decref(r->input);
	memset(r, 0, sizeof(*r));
}
