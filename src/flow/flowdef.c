/* SPDX-License-Identifier: Apache-2.0 */
/*
 * flowdef.c - validate, normalise and compile flow definitions.
 *
 * Two passes: `normalise` checks the shape of a posted flow and builds the
 * canonical JSON (fields omitted when empty, command input always present);
 * `compile_step` then compiles every template of every step from that
 * canonical JSON, so a flow loaded back from the store compiles exactly like
 * the one that was posted.  Errors name the field ("steps[2].event.name") or,
 * for templates, the step, the field and the template's line and column.
 */
#include "fl-common.h"

#include <jansson.h>

#include "alloc.h"
#include "buf.h"
#include "error.h"
#include "flow/flowdef.h"
#include "template.h"

#define MAX_NAME 1024
#define MAX_DEPENDS 100
#define MAX_MAP 1000 /* keys of a context or labels map */

/* ------------------------------------------------------- normalising */

static int bad(struct fl_error *err, const char *field, const char *what)
{
	return fl_error_set(err, FL_EINVALID, "field '%s' %s", field, what);
}

static bool is_absent(const json_t *v)
{
	return !v || json_is_null(v);
}

static bool has_newline(const char *s)
{
	return strchr(s, '\n') || strchr(s, '\r');
}

/* Required string member `key` of obj, copied into out under the same key. */
static int req_string(json_t *out, const json_t *obj, const char *key, const char *path, struct fl_error *err)
{
	json_t *v = json_object_get(obj, key);
	char field[200];

	snprintf(field, sizeof(field), "%s.%s", path, key);
	if (!json_is_string(v))
		return bad(err, field, is_absent(v) ? "is required" : "must be a string");
	json_object_set(out, key, v);
	return FL_OK;
}

/* Optional string member `key` of obj, copied into out when non-empty. */
static int opt_string(json_t *out, const json_t *obj, const char *key, const char *path, struct fl_error *err)
{
	json_t *v = json_object_get(obj, key);
	char field[200];

	if (is_absent(v))
		return FL_OK;
	if (!json_is_string(v)) {
		snprintf(field, sizeof(field), "%s.%s", path, key);
		return bad(err, field, "must be a string");
	}
	if (json_string_length(v))
		json_object_set(out, key, v);
	return FL_OK;
}

/* Optional object of strings; copied into out[key] when non-empty. */
static int opt_string_map(json_t *out, const json_t *obj, const char *key, const char *path, struct fl_error *err)
{
	json_t *v = json_object_get(obj, key), *x;
	const char *k;
	char field[300];

	snprintf(field, sizeof(field), "%s%s%s", path, *path ? "." : "", key);
	if (is_absent(v))
		return FL_OK;
	if (!json_is_object(v))
		return bad(err, field, "must be an object of strings");
	if (json_object_size(v) > MAX_MAP)
		return bad(err, field, "has too many keys");
	json_object_foreach (v, k, x) {
		if (!json_is_string(x)) {
			char sub[400];
			snprintf(sub, sizeof(sub), "%s.%s", field, k);
			return bad(err, sub, "must be a string");
		}
	}
	if (json_object_size(v))
		json_object_set_new(out, key, json_deep_copy(v));
	return FL_OK;
}

int fl_flowdef_check_name(const json_t *name, struct fl_error *err)
{
	if (!json_is_string(name) || json_string_length(name) == 0)
		return bad(err, "name", "must be a non-empty string");
	if (json_string_length(name) > MAX_NAME || strlen(json_string_value(name)) != json_string_length(name) ||
	    has_newline(json_string_value(name)) || strchr(json_string_value(name), '/'))
		return bad(err, "name", "must be at most 1024 bytes without '/', NUL or newlines");
	return FL_OK;
}

/*
 * The event or command of a step (key): an object with name, packName and
 * optional packLabels, copied to a new object in *out.
 */
static int pack_target(json_t **out, const json_t *s, const char *key, const char *path, struct fl_error *err)
{
	const json_t *src = json_object_get(s, key);
	char field[128];
	int rc;

	*out = NULL;
	snprintf(field, sizeof(field), "%s.%s", path, key);
	if (!json_is_object(src))
		return bad(err, field, is_absent(src) ? "is required" : "must be an object");
	*out = json_object();
	if ((rc = req_string(*out, src, "name", field, err)) || (rc = req_string(*out, src, "packName", field, err)) ||
	    (rc = opt_string_map(*out, src, "packLabels", field, err))) {
		json_decref(*out);
		*out = NULL;
	}
	return rc;
}

/* Check and normalise one step; path names it in messages ("steps[3]", "step"). */
static int normalise_step(json_t **out, const json_t *s, const char *path, struct fl_error *err)
{
	char field[128];
	json_t *st = json_object(), *ev = NULL, *cmd = NULL, *v;
	int rc = FL_OK;

	*out = NULL;
	if (!json_is_object(s)) {
		rc = bad(err, path, "must be an object");
		goto fail;
	}
	if ((rc = opt_string(st, s, "id", path, err)))
		goto fail;
	v = json_object_get(s, "dependsOn");
	if (!is_absent(v)) {
		size_t j;
		json_t *d;
		snprintf(field, sizeof(field), "%s.dependsOn", path);
		if (!json_is_array(v) || json_array_size(v) > MAX_DEPENDS) {
			rc = bad(err, field, "must be an array of at most 100 step ids");
			goto fail;
		}
		json_array_foreach (v, j, d) {
			if (!json_is_string(d)) {
				snprintf(field, sizeof(field), "%s.dependsOn[%zu]", path, j);
				rc = bad(err, field, "must be a string");
				goto fail;
			}
		}
		if (json_array_size(v))
			json_object_set_new(st, "dependsOn", json_deep_copy(v));
	}

	if ((rc = pack_target(&ev, s, "event", path, err)))
		goto fail;
	json_object_set(st, "event", ev);

	if ((rc = opt_string_map(st, s, "context", path, err)))
		goto fail;
	if ((rc = opt_string(st, s, "criteria", path, err)))
		goto fail;

	if ((rc = pack_target(&cmd, s, "command", path, err)))
		goto fail;
	v = json_object_get(json_object_get(s, "command"), "input");
	json_object_set_new(cmd, "input", v ? json_deep_copy(v) : json_null());
	json_object_set(st, "command", cmd);
	json_decref(ev);
	json_decref(cmd);
	*out = st;
	return FL_OK;
fail:
	json_decref(ev);
	json_decref(cmd);
	json_decref(st);
	return rc;
}

static int normalise(json_t **out, const json_t *body, struct fl_error *err)
{
	json_t *def = NULL, *name, *desc, *steps, *arr = NULL, *s, *ns;
	size_t i;
	int rc;

	*out = NULL;
	if (!json_is_object(body))
		return fl_error_set(err, FL_EINVALID, "flow definition must be a JSON object");
	name = json_object_get(body, "name");
	if ((rc = fl_flowdef_check_name(name, err)))
		return rc;
	desc = json_object_get(body, "description");
	if (!is_absent(desc) && (!json_is_string(desc) || has_newline(json_string_value(desc))))
		return bad(err, "description", "must be a string without newlines");
	steps = json_object_get(body, "steps");
	if (is_absent(steps))
		return bad(err, "steps", "is required");
	if (!json_is_array(steps))
		return bad(err, "steps", "must be an array");
	if (json_array_size(steps) > FL_FLOWDEF_MAX_STEPS)
		return bad(err, "steps", "has more than 1000 steps");
	arr = json_array();
	json_array_foreach (steps, i, s) {
		char path[64];
		snprintf(path, sizeof(path), "steps[%zu]", i);
		rc = normalise_step(&ns, s, path, err);
		if (rc) {
			json_decref(arr);
			return rc;
		}
		json_array_append_new(arr, ns);
	}
	def = json_object();
	json_object_set(def, "name", name);
	if (json_is_string(desc) && json_string_length(desc))
		json_object_set(def, "description", desc);
	json_object_set_new(def, "steps", arr);
	*out = def;
	return FL_OK;
}

/* --------------------------------------------------------- compiling */

struct cctx {
	const char *flow;
	const struct fl_flowdef_step *step;
	const struct fl_tmpl_limits *lim;
	struct fl_error *err;
};

static int tmpl_fail(struct cctx *c, const char *field, const struct fl_error *terr)
{
	if (!c->flow) /* a step on its own */
		return c->step->id[0] ? fl_error_set(c->err, FL_EINVALID, "step '%s' field '%s': %s", c->step->id,
						     field, terr->msg)
				      : fl_error_set(c->err, FL_EINVALID, "step field '%s': %s", field, terr->msg);
	if (c->step->id[0])
		return fl_error_set(c->err, FL_EINVALID, "flow '%s': step '%s' field '%s': %s", c->flow, c->step->id,
				    field, terr->msg);
	return fl_error_set(c->err, FL_EINVALID, "flow '%s': step #%zu field '%s': %s", c->flow, c->step->index,
			    field, terr->msg);
}

static int compile_str(struct cctx *c, struct fl_tmpl **out, const json_t *s, const char *field)
{
	struct fl_error terr = FL_ERROR_INIT;
	int rc = fl_tmpl_compile(out, json_string_value(s), json_string_length(s), c->lim, &terr);

	if (rc) {
		*out = NULL;
		return tmpl_fail(c, field, &terr);
	}
	return FL_OK;
}

static int compile_map(struct cctx *c, struct fl_flowdef_kv **out, size_t *n, const json_t *map, const char *field)
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
		rc = compile_str(c, &(*out)[*n].t, v, sub);
		if (rc)
			return rc;
		(*n)++;
	}
	return FL_OK;
}

static int compile_input(struct cctx *c, struct fl_flowdef_input *in, const json_t *v, struct fl_buf *path,
			 unsigned depth)
{
	size_t mark = path->len, i;
	const char *k;
	json_t *x;
	int rc;

	memset(in, 0, sizeof(*in));
	if (depth > FL_FLOWDEF_MAX_DEPTH)
		return fl_error_set(c->err, FL_EINVALID, "field '%s' is nested more than %d levels", path->ptr,
				    FL_FLOWDEF_MAX_DEPTH);
	if (json_is_string(v)) {
		in->kind = FL_FLOWDEF_IN_TEMPLATE;
		return compile_str(c, &in->t, v, path->ptr);
	}
	if (json_is_object(v)) {
		in->kind = FL_FLOWDEF_IN_OBJECT;
		in->keys = fl_xcalloc(json_object_size(v) + 1, sizeof(*in->keys));
		in->kids = fl_xcalloc(json_object_size(v) + 1, sizeof(*in->kids));
		json_object_foreach ((json_t *)v, k, x) {
			if (json_is_null(x))
				continue; /* a null property is dropped, as Flyte does */
			fl_buf_addf(path, ".%s", k);
			in->keys[in->n] = k;
			rc = compile_input(c, &in->kids[in->n], x, path, depth + 1);
			in->n++;
			fl_buf_truncate(path, mark);
			if (rc)
				return rc;
		}
		return FL_OK;
	}
	if (json_is_array(v)) {
		in->kind = FL_FLOWDEF_IN_ARRAY;
		in->kids = fl_xcalloc(json_array_size(v) + 1, sizeof(*in->kids));
		json_array_foreach (v, i, x) {
			fl_buf_addf(path, "[%zu]", i);
			rc = compile_input(c, &in->kids[in->n], x, path, depth + 1);
			in->n++;
			fl_buf_truncate(path, mark);
			if (rc)
				return rc;
		}
		return FL_OK;
	}
	in->kind = FL_FLOWDEF_IN_LITERAL;
	in->literal = v;
	return FL_OK;
}

static const char *str_member(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

static int compile_step(struct fl_flowdef *f, struct fl_flowdef_step *st, const json_t *s,
			const struct fl_tmpl_limits *lim, unsigned flags, struct fl_error *err)
{
	struct fl_error terr = FL_ERROR_INIT;
	struct cctx c = { f->name[0] ? f->name : NULL, st, lim, (flags & FL_FLOWDEF_STRICT) ? err : &terr };
	const json_t *ev = json_object_get(s, "event"), *cmd = json_object_get(s, "command"), *deps, *crit;
	struct fl_buf path = FL_BUF_INIT(4096);
	int rc;

	st->id = str_member(s, "id");
	st->event_name = str_member(ev, "name");
	st->event_pack = str_member(ev, "packName");
	st->command_name = str_member(cmd, "name");
	st->command_pack = str_member(cmd, "packName");
	deps = json_object_get(s, "dependsOn");
	if (json_is_array(deps) && json_array_size(deps)) {
		st->depends_on = fl_xcalloc(json_array_size(deps), sizeof(*st->depends_on));
		for (size_t i = 0; i < json_array_size(deps); i++)
			st->depends_on[st->ndepends++] = json_string_value(json_array_get(deps, i));
	}
	rc = compile_map(&c, &st->context, &st->ncontext, json_object_get(s, "context"), "context");
	if (!rc)
		rc = compile_map(&c, &st->event_labels, &st->nevent_labels, json_object_get(ev, "packLabels"),
				 "event.packLabels");
	if (!rc)
		rc = compile_map(&c, &st->command_labels, &st->ncommand_labels, json_object_get(cmd, "packLabels"),
				 "command.packLabels");
	crit = json_object_get(s, "criteria");
	if (!rc && json_is_string(crit))
		rc = compile_str(&c, &st->criteria, crit, "criteria");
	if (!rc) {
		fl_buf_adds(&path, "command.input");
		rc = compile_input(&c, &st->input, json_object_get(cmd, "input"), &path, 0);
	}
	fl_buf_release(&path);
	if (rc && !(flags & FL_FLOWDEF_STRICT)) {
		/* as the original server: the flow is kept, this step fails each time it would run */
		st->broken = fl_xstrdup(terr.msg);
		if (!f->warnings)
			f->warnings = json_array();
		json_array_append_new(f->warnings, json_string(terr.msg));
		rc = FL_OK;
	}
	return rc;
}

/* ------------------------------------------------------------ public */

static void input_release(struct fl_flowdef_input *in)
{
	fl_tmpl_free(in->t);
	for (size_t i = 0; i < in->n; i++)
		input_release(&in->kids[i]);
	free(in->kids);
	free(in->keys);
}

static void kv_free(struct fl_flowdef_kv *kv, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fl_tmpl_free(kv[i].t);
	free(kv);
}

static void flowdef_free(struct fl_flowdef *f)
{
	for (size_t i = 0; i < f->nsteps; i++) {
		struct fl_flowdef_step *st = &f->steps[i];
		free(st->depends_on);
		kv_free(st->context, st->ncontext);
		kv_free(st->event_labels, st->nevent_labels);
		kv_free(st->command_labels, st->ncommand_labels);
		fl_tmpl_free(st->criteria);
		input_release(&st->input);
		free(st->broken);
	}
	free(f->steps);
	json_decref(f->warnings);
	free(f->name);
	free(f->description);
	json_decref(f->def);
	free(f);
}

int fl_flowdef_compile(struct fl_flowdef **out, const json_t *body, const struct fl_tmpl_limits *lim,
		       unsigned flags, struct fl_error *err)
{
	struct fl_flowdef *f = NULL;
	json_t *def = NULL, *steps;
	const char *desc;
	int rc;

	*out = NULL;
	rc = normalise(&def, body, err);
	if (rc)
		return rc;
	f = fl_xcalloc(1, sizeof(*f));
	f->refs = 1;
	f->def = def;
	f->name = fl_xstrdup(json_string_value(json_object_get(def, "name")));
	desc = json_string_value(json_object_get(def, "description"));
	f->description = desc ? fl_xstrdup(desc) : NULL;
	steps = json_object_get(def, "steps");
	f->steps = fl_xcalloc(json_array_size(steps) + 1, sizeof(*f->steps));
	for (size_t i = 0; i < json_array_size(steps); i++) {
		f->steps[i].index = i;
		f->nsteps++;
		rc = compile_step(f, &f->steps[i], json_array_get(steps, i), lim, flags, err);
		if (rc) {
			flowdef_free(f);
			return rc;
		}
	}
	*out = f;
	return FL_OK;
}

int fl_flowdef_compile_step(struct fl_flowdef **out, const json_t *step, const struct fl_tmpl_limits *lim,
			    struct fl_error *err)
{
	struct fl_flowdef *f;
	json_t *ns = NULL;
	int rc;

	*out = NULL;
	rc = normalise_step(&ns, step, "step", err);
	if (rc)
		return rc;
	f = fl_xcalloc(1, sizeof(*f));
	f->refs = 1;
	f->name = fl_xstrdup("");
	f->def = json_pack("{s:s, s:[o]}", "name", "", "steps", ns);
	f->steps = fl_xcalloc(2, sizeof(*f->steps));
	f->nsteps = 1;
	rc = compile_step(f, &f->steps[0], json_array_get(json_object_get(f->def, "steps"), 0), lim,
			  FL_FLOWDEF_STRICT, err);
	if (rc) {
		flowdef_free(f);
		return rc;
	}
	*out = f;
	return FL_OK;
}

struct fl_flowdef *fl_flowdef_ref(struct fl_flowdef *f)
{
	if (f)
		__atomic_add_fetch(&f->refs, 1, __ATOMIC_RELAXED);
	return f;
}

void fl_flowdef_unref(struct fl_flowdef *f)
{
	if (f && __atomic_sub_fetch(&f->refs, 1, __ATOMIC_ACQ_REL) == 0)
		flowdef_free(f);
}

json_t *fl_flowdef_audit_step(const json_t *step)
{
	json_t *o = json_object(), *v;
	const char *k;

	json_object_set_new(o, "id", json_string(str_member(step, "id")));
	json_object_foreach ((json_t *)step, k, v)
		if (strcmp(k, "id") != 0)
			json_object_set(o, k, v);
	return o;
}
