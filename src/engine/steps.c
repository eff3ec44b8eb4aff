/* SPDX-License-Identifier: Apache-2.0 */
/*
 * steps.c - flow execution: from an event to the actions it creates.
 *
 * Runs on the writer thread inside the transaction of the job that received
 * the event, so an execution's step loop never races with itself: one step
 * fires at most once per execution (and the store's unique (correlation,
 * step) index backs that up).  For each candidate step the context values
 * are rendered against the parent context, then the event's pack labels are
 * matched, the criteria evaluated, and the command's labels and input
 * rendered; a template error skips only that step and is logged as
 * "error while evaluating expression: '<source>': <cause>".
 */
#include "fl-common.h"

#include <jansson.h>

#include "alloc.h"
#include "buf.h"
#include "engine-int.h"
#include "log.h"
#include "oid.h"
#include "timeutil.h"

/* ------------------------------------------------------------ events */

static const char zero_time_prefix[] = "0001-01-01T00:00:00";

void fl_engine__event_parse(struct fl_engine_event_in *out, const json_t *body)
{
	json_t *name, *created;

	memset(out, 0, sizeof(*out));
	out->received = fl_time_now_ns();
	out->created = out->received;
	out->payload = json_null();
	if (!json_is_object(body)) {
		fl_error_set(&out->parse_err, FL_EINVALID, "event body must be a JSON object");
		return;
	}
	name = json_object_get(body, "event");
	if (!json_is_string(name)) {
		fl_error_set(&out->parse_err, FL_EINVALID, "field 'event' must be a string");
		return;
	}
	out->name = fl_xmemdup0(json_string_value(name), json_string_length(name));
	if (json_object_get(body, "payload"))
		out->payload = json_deep_copy(json_object_get(body, "payload")); /* no sharing with the caller */
	created = json_object_get(body, "createdAt");
	if (created && !json_is_null(created)) {
		const char *s = json_string_value(created);
		if (!s || (strncmp(s, zero_time_prefix, sizeof(zero_time_prefix) - 1) != 0 &&
			   fl_time_parse_rfc3339(s, json_string_length(created), &out->created, &out->created_offset) != 0))
			fl_error_set(&out->parse_err, FL_EINVALID, "field 'createdAt' must be an RFC 3339 timestamp");
	}
}

void fl_engine__event_in_release(struct fl_engine_event_in *ev)
{
	if (!ev)
		return;
	free(ev->name);
	json_decref(ev->payload);
	ev->name = NULL;
	ev->payload = NULL;
}

void fl_engine__event_release(struct fl_engine_event *ev)
{
	if (!ev)
		return;
	fl_val_unref(ev->val);
	free(ev->json);
	ev->val = NULL;
	ev->json = NULL;
}

void fl_engine__format_ms(char *out, size_t outlen, int64_t ns)
{
	if (fl_time_format_rfc3339(out, outlen, ns, 0, 3) < 0 && outlen)
		out[0] = '\0';
}

const char *fl_engine__event_json(struct fl_engine_event *ev)
{
	json_t *o, *p;
	char ts[48];

	if (ev->json)
		return ev->json;
	o = json_object();
	p = json_object();
	json_object_set_new(o, "event", json_string(ev->in->name ? ev->in->name : ""));
	json_object_set_new(p, "id", json_string(ev->pack->id));
	json_object_set_new(p, "name", json_string(ev->pack->name));
	if (json_object_size(ev->pack->labels))
		json_object_set(p, "labels", ev->pack->labels);
	json_object_set_new(o, "pack", p);
	if (ev->in->payload && !json_is_null(ev->in->payload))
		json_object_set(o, "payload", ev->in->payload);
	fl_engine__format_ms(ts, sizeof(ts), ev->in->created);
	json_object_set_new(o, "createdAt", json_string(ts));
	fl_engine__format_ms(ts, sizeof(ts), ev->in->received);
	json_object_set_new(o, "receivedAt", json_string(ts));
	ev->json = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (!ev->json)
		ev->json = fl_xstrdup("{}");
	return ev->json;
}

/* The template value `Event` (borrowed from ev). */
static fl_val *event_val(struct fl_engine_event *ev)
{
	fl_val *e, *p;

	if (ev->val)
		return ev->val;
	e = fl_val_object_new(6);
	p = fl_val_object_new(3);
	fl_val_object_setz(e, "Name", fl_val_strz(ev->in->name ? ev->in->name : ""));
	fl_val_object_setz(p, "Id", fl_val_strz(ev->pack->id));
	fl_val_object_setz(p, "Name", fl_val_strz(ev->pack->name));
	fl_val_object_setz(p, "Labels", fl_val_from_json(ev->pack->labels, 0));
	fl_val_object_setz(e, "Pack", p);
	fl_val_object_setz(e, "Payload", fl_val_from_json(ev->in->payload, FL_VAL_JSON_NUMBERS_AS_FLOAT));
	fl_val_object_setz(e, "CreatedAt", fl_val_time(ev->in->created, ev->in->created_offset));
	fl_val_object_setz(e, "ReceivedAt", fl_val_time(ev->in->received, 0));
	ev->val = e;
	return e;
}

/* ------------------------------------------------- execution state */

struct step_state {
	const char *step; /* borrowed (flow def or store row copy) */
	char *owned;
	int state;
};

struct exec_state {
	struct step_state *v;
	size_t n, cap;
};

static void exec_add(struct exec_state *x, const char *step, bool copy, int state)
{
	if (x->n == x->cap) {
		x->cap = x->cap ? x->cap * 2 : 8;
		x->v = fl_xrealloc(x->v, x->cap * sizeof(*x->v));
	}
	x->v[x->n].owned = copy ? fl_xstrdup(step) : NULL;
	x->v[x->n].step = copy ? x->v[x->n].owned : step;
	x->v[x->n].state = state;
	x->n++;
}

static void exec_release(struct exec_state *x)
{
	for (size_t i = 0; i < x->n; i++)
		free(x->v[i].owned);
	free(x->v);
}

static const struct step_state *exec_find(const struct exec_state *x, const char *step)
{
	for (size_t i = 0; i < x->n; i++)
		if (strcmp(x->v[i].step, step) == 0)
			return &x->v[i];
	return NULL;
}

static bool exec_finished(const struct exec_state *x, const char *step)
{
	for (size_t i = 0; i < x->n; i++)
		if (strcmp(x->v[i].step, step) == 0 &&
		    (x->v[i].state == FL_ACTION_SUCCESS || x->v[i].state == FL_ACTION_FATAL))
			return true;
	return false;
}

static int collect_step(const char *step, int state, void *payload)
{
	exec_add(payload, step, true, state);
	return 0;
}

/* ---------------------------------------------------------- one step */

/* Everything one step evaluation needs. */
struct step_run {
	struct fl_engine *eng;
	struct fl_flowdef *flow;
	const struct fl_flowdef_step *step;
	struct fl_engine_event *ev;
	const char *corr;
	struct fl_log_ctx lctx;
};

static void log_tmpl_error(struct step_run *r, const struct fl_tmpl *t, const char *field, const struct fl_error *e)
{
	size_t len = 0;
	const char *src = fl_tmpl_source(t, &len);

	FL_LOG_W(&r->lctx, "error while evaluating expression: '%.*s': %s (step '%s', field '%s')",
		 (int)FL_MIN(len, (size_t)1024), src ? src : "", e->msg, r->step->id, field);
}

/* Render t into a new JSON string; NULL (logged) on error. */
static json_t *render_string(struct step_run *r, const struct fl_tmpl *t, fl_val *ctx, const char *field)
{
	struct fl_buf out = FL_BUF_INIT(0);
	struct fl_error e = FL_ERROR_INIT;
	json_t *s = NULL;
	size_t len;
	const char *src;

	if (fl_tmpl_is_literal(t)) {
		src = fl_tmpl_source(t, &len);
		return json_stringn(src ? src : "", len);
	}
	if (fl_tmpl_render(t, ctx, &r->eng->tenv, &out, &e) != FL_OK) {
		log_tmpl_error(r, t, field, &e);
		goto out;
	}
	if (fl_buf_failed(&out)) {
		fl_error_set(&e, FL_ETOOBIG, "rendered value is too big");
		log_tmpl_error(r, t, field, &e);
		goto out;
	}
	s = json_stringn(out.ptr, out.len);
	if (!s) {
		fl_error_set(&e, FL_EINVALID, "rendered value is not valid UTF-8");
		log_tmpl_error(r, t, field, &e);
	}
out:
	fl_buf_release(&out);
	return s;
}

static json_t *render_input(struct step_run *r, const struct fl_flowdef_input *in, fl_val *ctx)
{
	json_t *o, *kid;

	switch (in->kind) {
	case FL_FLOWDEF_IN_LITERAL:
		return json_incref((json_t *)in->literal);
	case FL_FLOWDEF_IN_TEMPLATE:
		return render_string(r, in->t, ctx, "command.input");
	case FL_FLOWDEF_IN_OBJECT:
		o = json_object();
		for (size_t i = 0; i < in->n; i++) {
			kid = render_input(r, &in->kids[i], ctx);
			if (!kid) {
				json_decref(o);
				return NULL;
			}
			json_object_set_new(o, in->keys[i], kid);
		}
		return o;
	case FL_FLOWDEF_IN_ARRAY:
		/* a null element stays null (Flyte failed the whole step here) */
		o = json_array();
		for (size_t i = 0; i < in->n; i++) {
			kid = render_input(r, &in->kids[i], ctx);
			if (!kid) {
				json_decref(o);
				return NULL;
			}
			json_array_append_new(o, kid);
		}
		return o;
	}
	return NULL;
}

/* The root template context {Event, Context}. */
static fl_val *root_ctx(struct fl_engine_event *ev, const json_t *context)
{
	fl_val *root = fl_val_object_new(2);

	fl_val_object_setz(root, "Event", fl_val_ref(event_val(ev)));
	fl_val_object_setz(root, "Context", fl_val_from_json(context, 0));
	return root;
}

static char *dump_or_null(const json_t *j)
{
	if (!j || (json_is_object(j) && json_object_size(j) == 0))
		return NULL;
	return json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
}

/*
 * Evaluate one step and insert its action.  Returns FL_OK (action created or
 * step skipped; *created tells) or a store error that fails the job.
 */
static int run_step(struct step_run *r, const json_t *parent, bool *created, struct fl_error *err)
{
	struct fl_engine *eng = r->eng;
	const struct fl_flowdef_step *st = r->step;
	json_t *ctx = json_deep_copy(parent), *labels = json_object(), *input = NULL, *v;
	fl_val *root = NULL;
	struct fl_store_action_new a;
	struct fl_engine_qent *q;
	char id[FL_OID_LEN + 1], field[320];
	char *input_txt = NULL, *labels_txt = NULL, *ctx_txt = NULL;
	int64_t seq = 0;
	int rc = FL_OK;
	bool ok;

	*created = false;
	/* 1. context: every value sees only the parent context */
	if (st->ncontext) {
		root = root_ctx(r->ev, parent);
		for (size_t i = 0; i < st->ncontext; i++) {
			snprintf(field, sizeof(field), "context.%s", st->context[i].key);
			v = render_string(r, st->context[i].t, root, field);
			if (!v)
				goto out;
			json_object_set_new(ctx, st->context[i].key, v);
		}
		fl_val_unref(root);
	}
	root = root_ctx(r->ev, ctx);

	/* 2. the sending pack must carry the (rendered) event labels */
	for (size_t i = 0; i < st->nevent_labels; i++) {
		const char *want;
		snprintf(field, sizeof(field), "event.packLabels.%s", st->event_labels[i].key);
		v = render_string(r, st->event_labels[i].t, root, field);
		if (!v)
			goto out;
		want = json_string_value(json_object_get(r->ev->pack->labels, st->event_labels[i].key));
		ok = want && strcmp(want, json_string_value(v)) == 0;
		json_decref(v);
		if (!ok) {
			FL_LOG_D(&r->lctx, "step '%s' skipped: pack label '%s' does not match", st->id,
				 st->event_labels[i].key);
			goto out;
		}
	}

	/* 3. criteria */
	if (st->criteria) {
		struct fl_error e = FL_ERROR_INIT;
		bool yes = false;
		if (fl_tmpl_render_bool(st->criteria, root, &eng->tenv, &yes, &e) != FL_OK) {
			log_tmpl_error(r, st->criteria, "criteria", &e);
			goto out;
		}
		if (!yes) {
			FL_LOG_D(&r->lctx, "step '%s' skipped: criteria is false", st->id);
			goto out;
		}
	}

	/* 4. command labels and input */
	for (size_t i = 0; i < st->ncommand_labels; i++) {
		snprintf(field, sizeof(field), "command.packLabels.%s", st->command_labels[i].key);
		v = render_string(r, st->command_labels[i].t, root, field);
		if (!v)
			goto out;
		json_object_set_new(labels, st->command_labels[i].key, v);
	}
	input = render_input(r, &st->input, root);
	if (!input)
		goto out;

	/* 5. the action */
	fl_oid_new(id);
	input_txt = json_dumps(input, JSON_COMPACT | JSON_ENCODE_ANY);
	labels_txt = dump_or_null(labels);
	ctx_txt = dump_or_null(ctx);
	a = (struct fl_store_action_new){
		.id = id,
		.correlation_id = r->corr,
		.step_id = st->id,
		.flow_name = r->flow->name,
		.flow_uuid = r->flow->uuid,
		.name = st->command_name,
		.pack_name = st->command_pack,
		.pack_labels = labels_txt,
		.input = input_txt,
		.context = ctx_txt,
		.trigger = fl_engine__event_json(r->ev),
		.created = fl_time_now_ns(),
	};
	rc = fl_store_action_insert(eng->wst, &seq, &a, err);
	if (rc == FL_EEXISTS) {
		FL_LOG_W(&r->lctx, "step '%s' skipped: %s", st->id, err->msg);
		fl_error_clear(err);
		rc = FL_OK;
		goto out;
	}
	if (rc)
		goto out;
	q = fl_xcalloc(1, sizeof(*q));
	q->seq = seq;
	q->id = fl_xstrdup(id);
	q->name = fl_xstrdup(st->command_name);
	q->pack_name = fl_xstrdup(st->command_pack);
	q->labels = json_object_size(labels) ? json_incref(labels) : NULL;
	if (eng->fresh_tail)
		eng->fresh_tail->next = q;
	else
		eng->fresh_head = q;
	eng->fresh_tail = q;
	atomic_fetch_add_explicit(&eng->st_created, 1, memory_order_relaxed);
	FL_LOG_D(&r->lctx, "step '%s' created action '%s' (%s/%s)", st->id, id, st->command_pack, st->command_name);
	*created = true;
out:
	fl_val_unref(root);
	json_decref(ctx);
	json_decref(labels);
	json_decref(input);
	free(input_txt);
	free(labels_txt);
	free(ctx_txt);
	return rc;
}

/* ---------------------------------------------------------- step loop */

static int run_steps(struct fl_engine *eng, struct fl_flowdef *flow, struct fl_engine_event *ev, const char *corr,
		     const json_t *parent, struct exec_state *x, struct fl_error *err)
{
	const struct fl_flowdef_step **cand = NULL;
	size_t ncand = 0;
	int rc = FL_OK;
	struct step_run r = {
		.eng = eng,
		.flow = flow,
		.ev = ev,
		.corr = corr,
		.lctx = { .flow = flow->name, .execution = corr, .pack = ev->pack->name, .action = "running a flow step" },
	};

	/* candidates are computed once, before any of them runs */
	for (size_t i = 0; i < flow->nsteps; i++) {
		const struct fl_flowdef_step *st = &flow->steps[i];
		bool deps_ok = st->ndepends == 0;
		if (strcmp(st->event_name, ev->in->name) != 0 || strcmp(st->event_pack, ev->pack->name) != 0)
			continue;
		if (exec_find(x, st->id))
			continue;
		for (size_t d = 0; !deps_ok && d < st->ndepends; d++)
			deps_ok = exec_finished(x, st->depends_on[d]);
		if (!deps_ok)
			continue;
		if (!cand)
			cand = fl_xcalloc(flow->nsteps, sizeof(*cand));
		cand[ncand++] = st;
	}
	for (size_t i = 0; i < ncand && !rc; i++) {
		bool created = false;
		r.step = cand[i];
		/* two candidates sharing a step id: only the first may fire */
		if (exec_find(x, cand[i]->id))
			continue;
		rc = run_step(&r, parent, &created, err);
		if (!rc && created)
			exec_add(x, cand[i]->id, false, FL_ACTION_NEW);
	}
	free(cand);
	return rc;
}

int fl_engine__trigger(struct fl_engine *eng, struct fl_engine_event *ev, struct fl_error *err)
{
	struct fl_buf key = FL_BUF_INIT(0);
	struct fl_engine_trig *t;
	struct fl_flowdef **flows = NULL;
	size_t n = 0;
	int rc = FL_OK;

	fl_buf_adds(&key, ev->pack->name);
	fl_buf_addc(&key, '\0');
	fl_buf_adds(&key, ev->in->name);
	t = fl_strmap_get(eng->triggers, key.ptr, key.len);
	fl_buf_release(&key);
	if (!t || t->n == 0)
		return FL_OK;
	/* hold references: the index may not change under a job, but be safe */
	flows = fl_xcalloc(t->n, sizeof(*flows));
	for (n = 0; n < t->n; n++)
		flows[n] = fl_flowdef_ref(t->flows[n]);
	for (size_t i = 0; i < n && !rc; i++) {
		struct exec_state x = { 0 };
		json_t *empty = json_object();
		char corr[FL_OID_LEN + 1];
		fl_oid_new(corr);
		rc = run_steps(eng, flows[i], ev, corr, empty, &x, err);
		json_decref(empty);
		exec_release(&x);
	}
	for (size_t i = 0; i < n; i++)
		fl_flowdef_unref(flows[i]);
	free(flows);
	return rc;
}

#define MAX_CACHED_OLD_VERSIONS 256

struct evict {
	char **uuids;
	size_t n, cap;
	struct fl_engine *eng;
};

static int pick_old(const char *key, size_t keylen, void *val, void *payload)
{
	struct evict *e = payload;
	struct fl_flowdef *f = val, *latest = fl_strmap_gets(e->eng->flows, f->name);

	if (latest != f && f->refs == 1 && e->n < e->cap)
		e->uuids[e->n++] = fl_xmemdup0(key, keylen);
	return 0;
}

/* Bound the cache of old flow versions: drop every unused non-latest one. */
static void evict_old_versions(struct fl_engine *eng)
{
	struct evict e = { NULL, 0, 0, eng };

	if (fl_strmap_count(eng->versions) <= fl_strmap_count(eng->flows) + MAX_CACHED_OLD_VERSIONS)
		return;
	e.cap = fl_strmap_count(eng->versions);
	e.uuids = fl_xcalloc(e.cap, sizeof(*e.uuids));
	fl_strmap_each(eng->versions, pick_old, &e);
	for (size_t i = 0; i < e.n; i++) {
		fl_flowdef_unref(fl_strmap_remove(eng->versions, e.uuids[i], strlen(e.uuids[i])));
		free(e.uuids[i]);
	}
	free(e.uuids);
}

struct fl_flowdef *fl_engine__version(struct fl_engine *eng, const char *uuid)
{
	struct fl_flowdef *f = fl_strmap_gets(eng->versions, uuid);
	struct fl_store_flow row = { 0 };
	struct fl_error err = FL_ERROR_INIT;
	json_t *def;

	if (f)
		return f;
	if (fl_store_flow_get_version(eng->wst, &row, uuid, &err) != FL_OK) {
		if (err.code != FL_ENOTFOUND)
			FL_LOG_E(NULL, "cannot load flow version '%s': %s", uuid, err.msg);
		return NULL;
	}
	def = json_loads(row.def ? row.def : "", 0, NULL);
	if (!def || fl_flowdef_compile(&f, def, &eng->cfg.tmpl_limits, &err) != FL_OK) {
		FL_LOG_E(NULL, "cannot compile flow version '%s' of flow '%s': %s", uuid, row.name,
			 def ? err.msg : "stored definition is not JSON");
		json_decref(def);
		fl_store_flow_release(&row);
		return NULL;
	}
	json_decref(def);
	fl_store_flow_release(&row);
	snprintf(f->uuid, sizeof(f->uuid), "%s", uuid);
	evict_old_versions(eng);
	fl_strmap_set(eng->versions, uuid, strlen(uuid), f);
	return f;
}

int fl_engine__continue(struct fl_engine *eng, const struct fl_store_action *a, struct fl_engine_event *ev,
			struct fl_error *err)
{
	struct fl_flowdef *flow = fl_engine__version(eng, a->flow_uuid);
	struct exec_state x = { 0 };
	json_t *parent = NULL;
	int rc;

	if (!flow) {
		struct fl_log_ctx lctx = { .flow = a->flow_name, .execution = a->correlation_id };
		FL_LOG_W(&lctx, "cannot continue execution: flow version '%s' is gone", a->flow_uuid);
		return FL_OK;
	}
	fl_flowdef_ref(flow);
	rc = fl_store_execution_steps(eng->wst, a->correlation_id, collect_step, &x, err);
	if (!rc) {
		parent = a->context ? json_loads(a->context, 0, NULL) : NULL;
		if (!json_is_object(parent)) {
			json_decref(parent);
			parent = json_object();
		}
		rc = run_steps(eng, flow, ev, a->correlation_id, parent, &x, err);
	}
	json_decref(parent);
	exec_release(&x);
	fl_flowdef_unref(flow);
	return rc;
}
