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

static int dump_to_buf(const char *data, size_t len, void *payload)
{
	fl_buf_add(payload, data, len);
	return 0;
}

void fl_engine__json_add(struct fl_buf *b, const json_t *v)
{
	json_dump_callback(v, dump_to_buf, b, JSON_COMPACT | JSON_ENCODE_ANY);
}

/*
 * {"event","pack":{"id","name","labels"?},"payload"?,"createdAt","receivedAt"},
 * written straight into one buffer (it is built for every event and result).
 */
const char *fl_engine__event_json(struct fl_engine_event *ev)
{
	struct fl_buf b = FL_BUF_INIT(0);
	const char *name = ev->in->name ? ev->in->name : "";
	char ts[48];

	if (ev->json)
		return ev->json;
	fl_buf_adds(&b, "{\"event\":");
	fl_buf_add_json_str(&b, name, strlen(name));
	fl_buf_adds(&b, ",\"pack\":{\"id\":");
	fl_buf_add_json_str(&b, ev->pack->id, strlen(ev->pack->id));
	fl_buf_adds(&b, ",\"name\":");
	fl_buf_add_json_str(&b, ev->pack->name, strlen(ev->pack->name));
	if (json_object_size(ev->pack->labels)) {
		fl_buf_adds(&b, ",\"labels\":");
		fl_engine__json_add(&b, ev->pack->labels);
	}
	fl_buf_addc(&b, '}');
	if (ev->in->payload && !json_is_null(ev->in->payload)) {
		fl_buf_adds(&b, ",\"payload\":");
		fl_engine__json_add(&b, ev->in->payload);
	}
	fl_engine__format_ms(ts, sizeof(ts), ev->in->created);
	fl_buf_addf(&b, ",\"createdAt\":\"%s\"", ts);
	fl_engine__format_ms(ts, sizeof(ts), ev->in->received);
	fl_buf_addf(&b, ",\"receivedAt\":\"%s\"}", ts);
	ev->json = fl_buf_detach(&b, NULL);
	if (!ev->json)
		ev->json = fl_xstrdup("{}");
	return ev->json;
}

/* The template value `Event` (borrowed from ev). */
static fl_val *event_val(struct fl_engine_event *ev)
{
	struct fl_step_event e = {
		.name = ev->in->name,
		.pack_id = ev->pack->id,
		.pack_name = ev->pack->name,
		.pack_labels = ev->pack->labels,
		.payload = ev->in->payload,
		.created_ns = ev->in->created,
		.created_offset = ev->in->created_offset,
		.received_ns = ev->in->received,
	};

	if (!ev->val)
		ev->val = fl_step_event_val(&e);
	return ev->val;
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
	FL_GROW(x->v, x->cap, x->n + 1);
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
	const struct fl_tmpl_env *env;
	bool defer_on_timeout; /* the writer's short budget: a timeout defers the job */
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

static char *dump_or_null(const json_t *j)
{
	if (!j || (json_is_object(j) && json_object_size(j) == 0))
		return NULL;
	return json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
}

static void pstep_release(struct fl_engine_pstep *o)
{
	free(o->input);
	free(o->labels_txt);
	free(o->context_txt);
	json_decref(o->labels);
	memset(o, 0, sizeof(*o));
}

/*
 * Evaluate one step (src/flow/step.c).  Returns FL_OK (o->fire tells
 * whether an action is due; a template that failed is logged and skips the
 * step) or FL_ETIMEOUT when the writer's short budget ran out (the job is
 * deferred to the render threads).
 */
static int eval_step(struct step_run *r, const json_t *parent, struct fl_engine_pstep *o)
{
	const struct fl_flowdef_step *st = r->step;
	struct fl_step_run run;
	int rc = FL_OK;

	memset(o, 0, sizeof(*o));
	o->index = st->index;
	fl_step_run(&run, st, event_val(r->ev), r->ev->pack->labels, parent, r->env);
	switch (run.outcome) {
	case FL_STEP_FIRES:
		o->fire = true;
		o->input = json_dumps(run.input, JSON_COMPACT | JSON_ENCODE_ANY);
		o->labels_txt = dump_or_null(run.labels);
		o->context_txt = dump_or_null(run.context);
		o->labels = json_object_size(run.labels) ? json_incref(run.labels) : NULL;
		break;
	case FL_STEP_LABELS:
		FL_LOG_D(&r->lctx, "step '%s' skipped: pack label '%s' does not match", st->id, run.label);
		break;
	case FL_STEP_CRITERIA:
		FL_LOG_D(&r->lctx, "step '%s' skipped: criteria is false", st->id);
		break;
	case FL_STEP_FAILED:
		if (run.err.code == FL_ETIMEOUT && r->defer_on_timeout)
			rc = FL_ETIMEOUT;
		else
			log_tmpl_error(r, run.tmpl, run.field, &run.err);
		break;
	}
	fl_step_run_release(&run);
	return rc;
}

/*
 * Insert the action of an evaluated step.  Returns FL_OK (*created tells;
 * a second action for the same step of the execution is skipped) or a store
 * error that fails the job.
 */
static int insert_action(struct step_run *r, const struct fl_engine_pstep *o, bool *created, struct fl_error *err)
{
	struct fl_engine *eng = r->eng;
	const struct fl_flowdef_step *st = r->step;
	struct fl_store_action_new a;
	struct fl_engine_qent *q;
	char id[FL_OID_LEN + 1];
	int64_t seq = 0;
	int rc;

	*created = false;
	fl_oid_new(id);
	a = (struct fl_store_action_new){
		.id = id,
		.correlation_id = r->corr,
		.step_id = st->id,
		.flow_name = r->flow->name,
		.flow_uuid = r->flow->uuid,
		.name = st->command_name,
		.pack_name = st->command_pack,
		.pack_labels = o->labels_txt,
		.input = o->input,
		.context = o->context_txt,
		.trigger = fl_engine__event_json(r->ev),
		.created = fl_time_now_ns(),
	};
	rc = fl_store_action_insert(eng->wst, &seq, &a, err);
	if (rc == FL_EEXISTS) {
		FL_LOG_W(&r->lctx, "step '%s' skipped: %s", st->id, err->msg);
		fl_error_clear(err);
		return FL_OK;
	}
	if (rc)
		return rc;
	q = fl_engine__qent_new(seq, id, st->command_name, st->command_pack, o->labels);
	q->own = true;
	if (eng->fresh_tail)
		eng->fresh_tail->next = q;
	else
		eng->fresh_head = q;
	eng->fresh_tail = q;
	atomic_fetch_add_explicit(&eng->st_created, 1, memory_order_relaxed);
	FL_LOG_D(&r->lctx, "step '%s' created action '%s' (%s/%s)", st->id, id, st->command_pack, st->command_name);
	*created = true;
	return FL_OK;
}

/*
 * A step whose templates do not compile (a flow stored as the original
 * server stores it): instead of an action, a record that it failed, in the
 * audit of the execution, finished from the start as FATAL with the reason.
 */
static int record_broken(struct step_run *r, bool *created, struct fl_error *err)
{
	const struct fl_flowdef_step *st = r->step;
	struct fl_store_action_new a;
	char id[FL_OID_LEN + 1], ts[48];
	int64_t now = fl_time_now_ns();
	json_t *res;
	char *result;
	int rc;

	*created = false;
	FL_LOG_W(&r->lctx, "step '%s' does not compile and is recorded as FATAL: %s", st->id, st->broken);
	fl_engine__format_ms(ts, sizeof(ts), now);
	res = json_pack("{s:s,s:{s:s},s:s,s:s}", "event", "FATAL", "payload", "error", st->broken, "createdAt", ts,
			"receivedAt", ts);
	result = json_dumps(res, JSON_COMPACT);
	json_decref(res);
	fl_oid_new(id);
	a = (struct fl_store_action_new){
		.id = id,
		.correlation_id = r->corr,
		.step_id = st->id,
		.flow_name = r->flow->name,
		.flow_uuid = r->flow->uuid,
		.name = st->command_name,
		.pack_name = st->command_pack,
		.input = "null",
		.trigger = fl_engine__event_json(r->ev),
		.created = now,
		.state = FL_ACTION_FATAL,
		.result = result,
	};
	rc = fl_store_action_insert(r->eng->wst, NULL, &a, err);
	free(result);
	if (rc == FL_EEXISTS) {
		fl_error_clear(err);
		return FL_OK;
	}
	*created = rc == FL_OK;
	return rc;
}

/* ---------------------------------------------------------- plans */

void fl_engine__prep_release(struct fl_engine_prep *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n; i++) {
		struct fl_engine_pexec *x = &p->v[i];
		for (size_t k = 0; k < x->n; k++)
			pstep_release(&x->steps[k]);
		free(x->steps);
		json_decref(x->parent);
		fl_flowdef_unref(x->flow);
	}
	free(p->v);
	free(p->pack_id);
	free(p->pack_name);
	json_decref(p->pack_labels);
	memset(p, 0, sizeof(*p));
}

static void plan_add(struct fl_engine_prep *p, struct fl_flowdef *flow, const char *corr, bool fresh,
		     const json_t *parent, const struct fl_flowdef_step **cand, size_t ncand)
{
	struct fl_engine_pexec *x;

	FL_GROW(p->v, p->cap, p->n + 1);
	x = &p->v[p->n++];
	memset(x, 0, sizeof(*x));
	x->flow = fl_flowdef_ref(flow);
	snprintf(x->corr, sizeof(x->corr), "%s", corr);
	x->fresh = fresh;
	x->parent = json_deep_copy(parent);
	x->n = ncand;
	x->steps = fl_xcalloc(ncand ? ncand : 1, sizeof(*x->steps));
	for (size_t i = 0; i < ncand; i++)
		x->steps[i].index = cand[i]->index;
}

/* The plan entry of this execution: a fresh one of the same flow version, or the same correlation id. */
static struct fl_engine_pexec *plan_find(struct fl_engine_prep *p, const struct fl_flowdef *flow, const char *corr,
					 bool fresh)
{
	for (size_t i = 0; p && i < p->n; i++) {
		struct fl_engine_pexec *x = &p->v[i];
		if (x->used || x->fresh != fresh || strcmp(x->flow->uuid, flow->uuid) != 0)
			continue;
		if (fresh || strcmp(x->corr, corr) == 0)
			return x;
	}
	return NULL;
}

static const struct fl_engine_pstep *plan_step(const struct fl_engine_pexec *x, size_t index)
{
	for (size_t i = 0; i < x->n; i++)
		if (x->steps[i].index == index)
			return &x->steps[i];
	return NULL;
}

/* ---------------------------------------------------------- step loop */

static int run_steps(struct fl_engine *eng, struct fl_flowdef *flow, struct fl_engine_event *ev, const char *corr,
		     bool fresh, const json_t *parent, struct exec_state *x, struct fl_error *err)
{
	const struct fl_flowdef_step **cand = NULL;
	struct fl_engine_pexec *planned = NULL;
	struct fl_tmpl_env env = eng->tenv;
	size_t ncand = 0;
	int rc = FL_OK;
	struct step_run r = {
		.eng = eng,
		.flow = flow,
		.ev = ev,
		.env = &env,
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
	switch (ev->rmode) {
	case FL_RMODE_PLAN:
		plan_add(ev->prep, flow, corr, fresh, parent, cand, ncand);
		goto out;
	case FL_RMODE_APPLY:
		/* the plan must still hold: same flow version, no candidate it did not render */
		planned = plan_find(ev->prep, flow, corr, fresh);
		for (size_t i = 0; planned && i < ncand; i++)
			if (!plan_step(planned, cand[i]->index))
				planned = NULL;
		if (!planned) {
			rc = FL_ENGINE_DEFER;
			goto out;
		}
		planned->used = true;
		if (fresh)
			r.corr = r.lctx.execution = planned->corr;
		break;
	case FL_RMODE_INLINE:
		if (eng->cfg.render_inline_ms == 0 && ncand) {
			rc = FL_ENGINE_DEFER;
			goto out;
		}
		env.deadline_ns = fl_time_mono_ns() + (int64_t)eng->cfg.render_inline_ms * FL_NS_PER_MS;
		r.defer_on_timeout = true;
		break;
	case FL_RMODE_FULL:
		env.deadline_ns = fl_time_mono_ns() + (int64_t)eng->cfg.render_deadline_ms * FL_NS_PER_MS;
		break;
	}
	for (size_t i = 0; i < ncand && !rc; i++) {
		struct fl_engine_pstep local;
		const struct fl_engine_pstep *o = &local;
		bool created = false;

		r.step = cand[i];
		/* two candidates sharing a step id: only the first may fire */
		if (exec_find(x, cand[i]->id))
			continue;
		if (cand[i]->broken) {
			rc = record_broken(&r, &created, err);
			if (!rc && created)
				exec_add(x, cand[i]->id, false, FL_ACTION_FATAL);
			continue;
		}
		if (planned) {
			o = plan_step(planned, cand[i]->index);
		} else if ((rc = eval_step(&r, parent, &local)) != FL_OK) {
			pstep_release(&local);
			rc = rc == FL_ETIMEOUT ? FL_ENGINE_DEFER : rc;
			break;
		}
		if (o->fire)
			rc = insert_action(&r, o, &created, err);
		if (!planned)
			pstep_release(&local);
		if (!rc && created)
			exec_add(x, cand[i]->id, false, FL_ACTION_NEW);
	}
out:
	free(cand);
	return rc;
}

void fl_engine__render_plan(struct fl_engine *eng, struct fl_engine_event *ev, const struct fl_tmpl_env *env)
{
	for (size_t i = 0; i < ev->prep->n; i++) {
		struct fl_engine_pexec *x = &ev->prep->v[i];
		struct step_run r = {
			.eng = eng,
			.flow = x->flow,
			.ev = ev,
			.env = env,
			.corr = x->corr,
			.lctx = { .flow = x->flow->name, .execution = x->corr, .pack = ev->pack->name,
				  .action = "running a flow step" },
		};
		for (size_t k = 0; k < x->n; k++) {
			size_t index = x->steps[k].index;
			r.step = &x->flow->steps[index];
			if (r.step->broken)
				continue; /* recorded by the writer */
			(void)eval_step(&r, x->parent, &x->steps[k]); /* no defer here: timeouts skip the step */
			x->steps[k].index = index;
		}
	}
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
		rc = run_steps(eng, flows[i], ev, corr, true, empty, &x, err);
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

	if (latest != f && __atomic_load_n(&f->refs, __ATOMIC_ACQUIRE) == 1 && e->n < e->cap)
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
	if (!def || fl_flowdef_compile(&f, def, &eng->cfg.tmpl_limits, 0, &err) != FL_OK) {
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
		rc = run_steps(eng, flow, ev, a->correlation_id, false, parent, &x, err);
	}
	json_decref(parent);
	exec_release(&x);
	fl_flowdef_unref(flow);
	return rc;
}
