/* SPDX-License-Identifier: Apache-2.0 */
/*
 * writer.c - the engine's single writer thread: job queue, group commit,
 * take queues and parked takes, in-memory state, periodic maintenance.
 *
 * Every mutation is a job.  The writer takes everything queued (up to
 * cfg.max_batch), opens one transaction, runs each job inside its own
 * savepoint (a failing job rolls back only itself), flushes coalesced
 * lastSeen updates, commits, and only then calls the completion callbacks:
 * a callback with FL_OK means "durably stored".  There is no batching delay;
 * the next batch starts as soon as the previous commit returned.
 *
 * In-memory state (packs, flows, trigger index, take queues) changes only
 * when a job succeeded.  If a savepoint or COMMIT fails, every job of the
 * batch reports the error and the state is rebuilt from the store.
 *
 * Takes that find nothing park here with a deadline; an action created by a
 * later job is claimed for the oldest matching parked take inside the same
 * transaction and delivered after COMMIT.  The condition variable wait is
 * bounded by the nearest deadline (parked take, lastSeen flush, expiry,
 * dead-pack sweep) on CLOCK_MONOTONIC, so no thread ever polls.
 */
#include "fl-common.h"

#include <jansson.h>
#include <pthread.h>

#include "alloc.h"
#include "buf.h"
#include "engine-int.h"
#include "log.h"
#include "timeutil.h"

#define FLUSH_INTERVAL_NS FL_NS_PER_SEC
#define EXPIRE_INTERVAL_NS (INT64_C(60) * FL_NS_PER_SEC)
#define EXPIRE_FIRST_NS (INT64_C(5) * FL_NS_PER_SEC)
#define EXPIRE_CHUNK 1000        /* rows per expiry job */
#define EXPIRE_AUDIT_CHUNK 200   /* executions per audit expiry job */
#define DEAD_CHUNK 1000          /* packs per dead-pack job */
#define MAX_TTL_SEC (INT64_C(100) * 366 * 86400)
#define AUDIT_MIN_TTL_SEC (INT64_C(183) * 86400)
#define SHARED_LEASE_CHECK_NS FL_NS_PER_SEC /* a shared database: lease ends looked for at least this often */
#define RELOAD_RETRY_NS (250 * FL_NS_PER_MS) /* rebuilding the state after a store failure */

/* ------------------------------------------------------------- jobs */

struct fl_engine_job *fl_engine__job_new(enum fl_engine_job_kind kind, fl_engine_done_fn cb, void *payload)
{
	struct fl_engine_job *j = fl_xcalloc(1, sizeof(*j));

	j->kind = kind;
	j->cb = cb;
	j->payload = payload;
	j->attempt = -1;
	return j;
}

static void ids_free(struct fl_engine_idlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}

void fl_engine__job_free(struct fl_engine_job *job)
{
	if (!job)
		return;
	free(job->key);
	free(job->action);
	free(job->command);
	fl_packdef_release(&job->packdef);
	fl_flowdef_unref(job->flow);
	fl_engine__event_in_release(&job->ev);
	fl_store_ds_item_release(&job->item);
	json_decref(job->res.body);
	json_decref(job->wlabels);
	fl_engine__prep_release(&job->prep);
	free(job);
}

int fl_engine__submit(struct fl_engine *eng, struct fl_engine_job *job)
{
	pthread_mutex_lock(&eng->mu);
	if (eng->stopping) {
		pthread_mutex_unlock(&eng->mu);
		fl_engine__job_free(job);
		return FL_ECANCELLED;
	}
	job->next = NULL;
	if (eng->qtail)
		eng->qtail->next = job;
	else
		eng->qhead = job;
	eng->qtail = job;
	pthread_cond_signal(&eng->cond);
	pthread_mutex_unlock(&eng->mu);
	return FL_OK;
}

void fl_engine__resubmit(struct fl_engine *eng, struct fl_engine_job *job, bool from_render)
{
	job->next = NULL;
	pthread_mutex_lock(&eng->mu);
	if (eng->qtail)
		eng->qtail->next = job;
	else
		eng->qhead = job;
	eng->qtail = job;
	if (from_render)
		eng->deferred--;
	pthread_cond_signal(&eng->cond);
	pthread_mutex_unlock(&eng->mu);
}

void fl_engine__kick_maintenance(struct fl_engine *eng)
{
	pthread_mutex_lock(&eng->mu);
	eng->kick = true;
	pthread_cond_signal(&eng->cond);
	pthread_mutex_unlock(&eng->mu);
}

static void push_done(struct fl_engine *eng, struct fl_engine_job *job)
{
	job->next = NULL;
	if (eng->done_tail)
		eng->done_tail->next = job;
	else
		eng->done_head = job;
	eng->done_tail = job;
}

/* Call the callbacks of finished jobs and free them. */
static void deliver(struct fl_engine *eng)
{
	struct fl_engine_job *j = eng->done_head, *nx;

	eng->done_head = eng->done_tail = NULL;
	for (; j; j = nx) {
		nx = j->next;
		if (j->cb)
			j->cb(&j->res, j->payload);
		fl_engine__job_free(j);
	}
}

/* ------------------------------------------------------------ packs */

static void pack_free(void *p)
{
	struct fl_engine_pack *pk = p;

	if (!pk)
		return;
	free(pk->id);
	free(pk->name);
	free(pk->labels_txt);
	json_decref(pk->labels);
	json_decref(pk->commands);
	free(pk);
}

/* The pack by id with its lastSeen refreshed (the exact value lives here). */
static int load_pack_cb(const struct fl_store_pack *sp, void *payload);

/*
 * The pack by id, from memory; with a shared database one registered by
 * another server is read from the store on first use.
 */
static struct fl_engine_pack *pack_find(struct fl_engine *eng, const char *id, struct fl_error *err)
{
	struct fl_engine_pack *p = fl_strmap_gets(eng->packs, id);
	struct fl_store_pack sp = { 0 };

	if (p || !eng->shared)
		return p;
	if (fl_store_pack_get(eng->wst, &sp, id, err) != FL_OK)
		return NULL;
	pthread_mutex_lock(&eng->packs_mu);
	load_pack_cb(&sp, eng->packs);
	pthread_mutex_unlock(&eng->packs_mu);
	fl_store_pack_release(&sp);
	return fl_strmap_gets(eng->packs, id);
}

static struct fl_engine_pack *pack_seen(struct fl_engine *eng, const char *id, struct fl_error *err)
{
	struct fl_engine_pack *p = pack_find(eng, id, err);
	int64_t now = fl_time_now_ns();

	if (!p) {
		if (!err || err->code == FL_OK || err->code == FL_ENOTFOUND)
			fl_error_set(err, FL_ENOTFOUND, "pack '%s' not found", id);
		return NULL;
	}
	pthread_mutex_lock(&eng->packs_mu);
	if (now > p->last_seen)
		p->last_seen = now;
	pthread_mutex_unlock(&eng->packs_mu);
	if (!eng->flush_due)
		eng->flush_due = fl_time_mono_ns() + FLUSH_INTERVAL_NS;
	return p;
}

struct flush_ctx {
	struct fl_engine *eng;
	bool force;
	bool pending;
	int rc;
	struct fl_error err;
};

static int flush_one(const char *key, size_t keylen, void *val, void *payload)
{
	struct flush_ctx *c = payload;
	struct fl_engine_pack *p = val;
	int64_t seen = p->last_seen;

	(void)key;
	(void)keylen;
	if (seen <= p->flushed)
		return 0;
	if (!c->force && seen - p->flushed < FLUSH_INTERVAL_NS) {
		c->pending = true;
		return 0;
	}
	c->rc = fl_store_pack_touch(c->eng->wst, p->id, seen, &c->err);
	if (c->rc)
		return c->rc;
	p->flushed = seen;
	return 0;
}

/* Write lastSeen values that changed (at most once a second per pack unless forced). */
struct pack_ptrs {
	struct fl_engine_pack **v;
	size_t n, cap;
};

static int collect_pack(const char *key, size_t keylen, void *val, void *payload)
{
	struct pack_ptrs *l = payload;

	(void)key;
	(void)keylen;
	FL_GROW(l->v, l->cap, l->n + 1);
	l->v[l->n++] = val;
	return 0;
}

static int pack_id_cmp(const void *a, const void *b)
{
	return strcmp((*(struct fl_engine_pack *const *)a)->id, (*(struct fl_engine_pack *const *)b)->id);
}

/*
 * Write lastSeen values that are due.  In id order: servers sharing a
 * database then lock the same pack rows in the same order, so their
 * flushes never deadlock.
 */
static int flush_last_seen(struct fl_engine *eng, bool force, struct fl_error *err)
{
	struct flush_ctx c = { eng, force, false, 0, FL_ERROR_INIT };
	struct pack_ptrs l = { NULL, 0, 0 };

	fl_strmap_each(eng->packs, collect_pack, &l);
	if (l.n)
		qsort(l.v, l.n, sizeof(*l.v), pack_id_cmp);
	for (size_t i = 0; i < l.n && !c.rc; i++)
		flush_one(l.v[i]->id, strlen(l.v[i]->id), l.v[i], &c);
	free(l.v);
	if (c.rc) {
		*err = c.err;
		return c.rc;
	}
	eng->flush_due = c.pending ? fl_time_mono_ns() + FLUSH_INTERVAL_NS : 0;
	return FL_OK;
}

/* ------------------------------------------------------ take queues */

/* {"id","command","input","attempt","leaseUntil"} of a claimed action. */
static json_t *take_body(const struct fl_store_action *a)
{
	json_t *o = json_object(), *in = json_loads(a->input ? a->input : "null", JSON_DECODE_ANY, NULL);

	json_object_set_new(o, "id", json_string(a->id));
	json_object_set_new(o, "command", json_string(a->name));
	json_object_set_new(o, "input", in ? in : json_null());
	json_object_set_new(o, "attempt", json_integer(a->attempt));
	json_object_set_new(o, "leaseUntil", json_integer(a->lease_until));
	return o;
}

/* ------------------------------------------------------------ leases */

/*
 * The lease end (wall ns, 0 = none) of a take of `command` by pack p, and
 * the number of takes allowed: the pack's declaration, else the defaults.
 */
static int64_t lease_for(const struct fl_engine *eng, const struct fl_engine_pack *p, const char *command,
			 int64_t now, int64_t *max_attempts)
{
	int64_t sec = eng->cfg.lease_sec, att = eng->cfg.max_attempts;

	if (p)
		fl_packdef_command_lease(p->commands, command, &sec, &att);
	if (max_attempts)
		*max_attempts = att;
	return sec > 0 ? now + sec * FL_NS_PER_SEC : 0;
}

/* Wake the writer when this lease (wall ns) ends, unless it wakes earlier anyway. */
static void lease_watch(struct fl_engine *eng, int64_t lease_until, int64_t now)
{
	int64_t due;

	if (!lease_until)
		return;
	due = FL_MAX(fl_time_mono_ns() + FL_MAX(lease_until - now, 0), eng->lease_hold);
	if (!eng->lease_due || due < eng->lease_due)
		eng->lease_due = due;
}

/* Claim a queued action for pack p; fills *a. */
static int claim_for(struct fl_engine *eng, const struct fl_engine_pack *p, const struct fl_engine_qent *e,
		     struct fl_store_action *a, struct fl_error *err)
{
	int64_t now = fl_time_now_ns();
	struct fl_store_claim c = {
		.action_id = e->id,
		.taker = p ? p->id : NULL,
		.now = now,
		.lease_until = lease_for(eng, p, e->name, now, NULL),
	};
	int rc = fl_store_action_claim(eng->wst, a, &c, err);

	if (!rc)
		lease_watch(eng, c.lease_until, now);
	return rc;
}

static void unpark(struct fl_engine *eng, struct fl_engine_job *w)
{
	struct fl_engine_pqueue *q = w->wq;

	if (w->wprev)
		w->wprev->wnext = w->wnext;
	else
		q->whead = w->wnext;
	if (w->wnext)
		w->wnext->wprev = w->wprev;
	else
		q->wtail = w->wprev;
	if (w->dprev)
		w->dprev->dnext = w->dnext;
	else
		eng->dhead = w->dnext;
	if (w->dnext)
		w->dnext->dprev = w->dprev;
	else
		eng->dtail = w->dprev;
	w->wq = NULL;
	w->wprev = w->wnext = w->dprev = w->dnext = NULL;
	eng->nparked--;
	atomic_store_explicit(&eng->st_parked, eng->nparked, memory_order_relaxed);
}

static void park(struct fl_engine *eng, struct fl_engine_job *w, const struct fl_engine_pack *p)
{
	struct fl_engine_pqueue *q = fl_engine__queue_get(eng, p->name);
	struct fl_engine_job *after = eng->dtail;
	int64_t wait = FL_MIN(w->wait_ms, (int64_t)eng->cfg.take_wait_ms_max);

	w->wq = q;
	w->wlabels = json_incref(p->labels);
	w->wnext = NULL;
	w->wprev = q->wtail;
	if (q->wtail)
		q->wtail->wnext = w;
	else
		q->whead = w;
	q->wtail = w;
	w->deadline = fl_time_mono_ns() + wait * FL_NS_PER_MS;
	/* deadline list sorted ascending; most takes share one wait, so walk from the tail */
	while (after && after->deadline > w->deadline)
		after = after->dprev;
	w->dprev = after;
	w->dnext = after ? after->dnext : eng->dhead;
	if (w->dnext)
		w->dnext->dprev = w;
	else
		eng->dtail = w;
	if (after)
		after->dnext = w;
	else
		eng->dhead = w;
	eng->nparked++;
	atomic_store_explicit(&eng->st_parked, eng->nparked, memory_order_relaxed);
}

/* Answer parked takes whose wait is over (all of them when `all`) with "no action". */
static void answer_waiters(struct fl_engine *eng, bool all)
{
	int64_t now = fl_time_mono_ns();

	while (eng->dhead && (all || eng->dhead->deadline <= now)) {
		struct fl_engine_job *w = eng->dhead;
		unpark(eng, w);
		w->res.code = FL_OK;
		w->res.body = NULL;
		w->in_tx = false;
		push_done(eng, w);
	}
}

static bool waiter_wants(const struct fl_engine_job *w, const struct fl_engine_qent *e)
{
	return fl_packdef_labels_subset(e->labels, w->wlabels) && (!w->command || strcmp(w->command, e->name) == 0);
}

/* A NEW action became available: hand it to the oldest matching parked take, or queue it. */
static void dispatch(struct fl_engine *eng, struct fl_engine_qent *e)
{
	struct fl_engine_pqueue *q = fl_engine__queue_get(eng, e->pack_name);
	struct fl_engine_job *w;

	for (w = q->whead; w; w = w->wnext) {
		struct fl_store_action a;
		struct fl_error err = FL_ERROR_INIT;
		int rc;

		if (!waiter_wants(w, e))
			continue;
		rc = claim_for(eng, fl_strmap_gets(eng->packs, w->key), e, &a, &err);
		if (rc == FL_ENOTFOUND) {
			fl_engine__qent_free(e);
			return;
		}
		if (rc == FL_EAGAIN) {
			/* another server is claiming it: kept, in case its transaction rolls back */
			FL_LOG_D(NULL, "action '%s' not claimed for a parked take: %s", e->id, err.msg);
			break;
		}
		if (rc) {
			FL_LOG_E(NULL, "cannot claim action '%s' for a parked take: %s", e->id, err.msg);
			break;
		}
		unpark(eng, w);
		w->res.code = FL_OK;
		w->res.body = take_body(&a);
		w->res.body_exclusive = true;
		w->in_tx = true;
		push_done(eng, w);
		fl_store_action_release(&a);
		atomic_fetch_add_explicit(&eng->st_taken, 1, memory_order_relaxed);
		fl_engine__qent_free(e);
		return;
	}
	fl_engine__queue_add(eng, e);
}

static void dispatch_fresh(struct fl_engine *eng)
{
	struct fl_engine_qent *e = eng->fresh_head, *nx;

	eng->fresh_head = eng->fresh_tail = NULL;
	for (; e; e = nx) {
		nx = e->next;
		e->next = e->prev = NULL;
		/* its notification comes back to this server too: nothing to learn from it */
		if (e->own && eng->own_new)
			fl_strmap_set(eng->own_new, e->id, strlen(e->id), eng);
		dispatch(eng, e);
	}
}

static void discard_lease_fatal(struct fl_engine *eng);

/* Forget what a job that is being rolled back created in memory. */
static void discard_fresh(struct fl_engine *eng)
{
	struct fl_engine_qent *e = eng->fresh_head, *nx;

	discard_lease_fatal(eng);

	eng->fresh_head = eng->fresh_tail = NULL;
	for (; e; e = nx) {
		nx = e->next;
		fl_engine__qent_free(e);
	}
}

/* ----------------------------------------------------- flows index */

static void trig_free(void *p)
{
	struct fl_engine_trig *t = p;

	if (t) {
		free(t->flows);
		free(t);
	}
}

static int index_flow(const char *key, size_t keylen, void *val, void *payload)
{
	struct fl_engine *eng = payload;
	struct fl_flowdef *f = val;
	struct fl_buf k = FL_BUF_INIT(0);

	(void)key;
	(void)keylen;
	for (size_t i = 0; i < f->nsteps; i++) {
		const struct fl_flowdef_step *st = &f->steps[i];
		struct fl_engine_trig *t;
		if (st->ndepends)
			continue;
		fl_buf_reset(&k);
		fl_buf_adds(&k, st->event_pack);
		fl_buf_addc(&k, '\0');
		fl_buf_adds(&k, st->event_name);
		t = fl_strmap_get(eng->triggers, k.ptr, k.len);
		if (!t) {
			t = fl_xcalloc(1, sizeof(*t));
			fl_strmap_set(eng->triggers, k.ptr, k.len, t);
		}
		if (t->n && t->flows[t->n - 1] == f)
			continue; /* one execution per flow and event */
		FL_GROW(t->flows, t->cap, t->n + 1);
		t->flows[t->n++] = f;
	}
	fl_buf_release(&k);
	return 0;
}

/* Rebuild the (pack name, event name) -> flows index from the latest flows. */
static void rebuild_triggers(struct fl_engine *eng)
{
	fl_strmap_clear(eng->triggers, trig_free);
	fl_strmap_each(eng->flows, index_flow, eng);
}

static void flow_unref_cb(void *p)
{
	fl_flowdef_unref(p);
}

/* -------------------------------------------------------- job kinds */

static int run_failed(struct fl_engine *eng, struct fl_engine_job *job)
{
	(void)eng;
	return job->res.err.code ? job->res.err.code : FL_ERROR;
}

static int run_pack_register(struct fl_engine *eng, struct fl_engine_job *job)
{
	struct fl_packdef *pd = &job->packdef;
	int64_t now = fl_time_now_ns();
	char *def = json_dumps(pd->def, JSON_COMPACT);
	struct fl_store_pack sp = { pd->id, pd->name, def, now };
	struct fl_engine_pack *p, *old;
	bool created = false;
	int rc;

	rc = fl_store_pack_upsert(eng->wst, &created, &sp, &job->res.err);
	free(def);
	if (rc)
		return rc;
	p = fl_xcalloc(1, sizeof(*p));
	p->id = fl_xstrdup(pd->id);
	p->name = fl_xstrdup(pd->name);
	p->labels = json_incref(pd->labels);
	p->labels_txt = json_object_size(p->labels) ? json_dumps(p->labels, JSON_COMPACT) : NULL;
	p->commands = json_incref(json_object_get(pd->def, "commands"));
	p->last_seen = p->flushed = now;
	pthread_mutex_lock(&eng->packs_mu);
	old = fl_strmap_set(eng->packs, p->id, strlen(p->id), p);
	pthread_mutex_unlock(&eng->packs_mu);
	pack_free(old);
	job->res.created = created;
	job->res.body = fl_packdef_to_json(pd->id, pd->def, now, now);
	return FL_OK;
}

static int run_pack_delete(struct fl_engine *eng, struct fl_engine_job *job)
{
	struct fl_engine_pack *p;
	int rc = fl_store_pack_delete(eng->wst, job->key, &job->res.err);

	if (rc == FL_ENOTFOUND)
		fl_error_set(&job->res.err, FL_ENOTFOUND, "pack '%s' not found", job->key);
	if (rc)
		return rc;
	pthread_mutex_lock(&eng->packs_mu);
	p = fl_strmap_remove(eng->packs, job->key, strlen(job->key));
	pthread_mutex_unlock(&eng->packs_mu);
	pack_free(p);
	return FL_OK;
}

/*
 * The event of a job as the step loop sees it.  A plan records the sending
 * pack; outcomes rendered for a pack whose labels changed since are stale.
 */
static int job_event(struct fl_engine_event *ev, struct fl_engine_job *job, const struct fl_engine_pack *p)
{
	struct fl_engine_prep *prep = &job->prep;

	memset(ev, 0, sizeof(*ev));
	ev->in = &job->ev;
	ev->pack = p;
	ev->rmode = job->rmode;
	ev->prep = prep;
	if (job->rmode == FL_RMODE_PLAN) {
		prep->pack_id = fl_xstrdup(p->id);
		prep->pack_name = fl_xstrdup(p->name);
		prep->pack_labels = json_incref(p->labels);
	} else if (job->rmode == FL_RMODE_APPLY &&
		   (!prep->pack_name || strcmp(prep->pack_name, p->name) != 0 || !json_equal(prep->pack_labels, p->labels))) {
		return FL_ENGINE_DEFER;
	}
	return FL_OK;
}

static int run_event(struct fl_engine *eng, struct fl_engine_job *job)
{
	struct fl_engine_pack *p = pack_seen(eng, job->key, &job->res.err);
	struct fl_engine_event ev;
	int rc;

	if (!p)
		return FL_ENOTFOUND;
	if (job->ev.parse_err.code) {
		job->res.err = job->ev.parse_err;
		return job->ev.parse_err.code;
	}
	rc = job_event(&ev, job, p);
	if (!rc)
		rc = fl_engine__trigger(eng, &ev, &job->res.err);
	if (!rc && job->rmode != FL_RMODE_PLAN)
		atomic_fetch_add_explicit(&eng->st_events, 1, memory_order_relaxed);
	fl_engine__event_release(&ev);
	return rc;
}

/* Put back the entries a take passed because another server was claiming them. */
static void queue_restore(struct fl_engine *eng, struct fl_engine_qent *held)
{
	while (held) {
		struct fl_engine_qent *nx = held->next;
		held->next = NULL;
		fl_engine__queue_add(eng, held);
		held = nx;
	}
}

static int run_take(struct fl_engine *eng, struct fl_engine_job *job)
{
	struct fl_engine_pack *p = pack_seen(eng, job->key, &job->res.err);
	struct fl_engine_qent *e, *held = NULL;

	if (!p)
		return FL_ENOTFOUND;
	while ((e = fl_engine__queue_find(eng, p->name, p->labels, job->command)) != NULL) {
		struct fl_store_action a;
		int rc = claim_for(eng, p, e, &a, &job->res.err);

		if (rc == FL_ENOTFOUND) {
			/* expired or otherwise gone: drop it and look further */
			fl_engine__queue_remove(eng, e);
			fl_error_clear(&job->res.err);
			continue;
		}
		if (rc == FL_EAGAIN) {
			/*
			 * Another server's open transaction holds it: look further,
			 * and keep it offered (that transaction may roll back, e.g.
			 * its server was killed; if it commits, its note removes it).
			 */
			struct fl_engine_qent *copy = fl_engine__qent_new(e->seq, e->id, e->name, e->pack_name, e->labels);
			copy->own = e->own;
			copy->next = held;
			held = copy;
			fl_engine__queue_remove(eng, e);
			fl_error_clear(&job->res.err);
			continue;
		}
		queue_restore(eng, held);
		if (rc)
			return rc;
		fl_engine__queue_remove(eng, e);
		job->res.body = take_body(&a);
		job->res.body_exclusive = true;
		fl_store_action_release(&a);
		atomic_fetch_add_explicit(&eng->st_taken, 1, memory_order_relaxed);
		return FL_OK;
	}
	queue_restore(eng, held);
	if (job->wait_ms > 0 && !eng->draining && eng->nparked < (size_t)FL_MAX(eng->cfg.max_parked_takes, 0)) {
		park(eng, job, p);
		return FL_ENGINE_PARKED;
	}
	return FL_OK;
}

static int run_release(struct fl_engine *eng, struct fl_engine_job *job)
{
	struct fl_store_action a;
	struct fl_engine_qent *e;
	int rc = fl_store_action_requeue(eng->wst, &a, job->action, job->attempt, fl_time_now_ns(), "undelivered",
					 &job->res.err);

	if (rc) {
		FL_LOG_D(NULL, "action '%s' not released: %s", job->action, job->res.err.msg);
		return rc;
	}
	e = fl_engine__qent_from_row(&a);
	e->own = true;
	fl_store_action_release(&a);
	if (eng->fresh_tail)
		eng->fresh_tail->next = e;
	else
		eng->fresh_head = e;
	eng->fresh_tail = e;
	return FL_OK;
}

/* The action exists, is not expired, and belongs to pack p (name and a label subset). */
static int owned_action(struct fl_engine *eng, const struct fl_engine_pack *p, const char *id,
			struct fl_store_action *a, struct fl_error *err)
{
	json_t *labels;
	bool mine;
	int rc = fl_store_action_get(eng->wst, a, id, err);

	if (!rc && a->expired)
		rc = fl_error_set(err, FL_ENOTFOUND, "action '%s' not found", id);
	if (rc)
		return rc;
	labels = a->pack_labels ? json_loads(a->pack_labels, 0, NULL) : NULL;
	mine = strcmp(p->name, a->pack_name) == 0 && fl_packdef_labels_subset(labels, p->labels);
	json_decref(labels);
	if (!mine)
		return fl_error_set(err, FL_EFORBIDDEN, "pack '%s' may not complete action '%s' of pack '%s'", p->id,
				    a->id, a->pack_name);
	return FL_OK;
}

/* The result event posted now is the one the action was completed with. */
static bool same_result(const struct fl_store_action *a, const struct fl_engine_event_in *ev)
{
	json_t *r = a->result ? json_loads(a->result, 0, NULL) : NULL, *payload;
	const char *name = json_string_value(json_object_get(r, "event"));
	bool same;

	payload = json_object_get(r, "payload");
	same = name && strcmp(name, ev->name ? ev->name : "") == 0 &&
	       json_equal(payload ? payload : json_null(), ev->payload ? ev->payload : json_null());
	json_decref(r);
	return same;
}

static int result_state(const struct fl_engine_job *job)
{
	return strcmp(job->ev.name, "FATAL") == 0 ? FL_ACTION_FATAL : FL_ACTION_SUCCESS;
}

static int follow_result(struct fl_engine *eng, struct fl_engine_job *job, struct fl_engine_event *ev,
			 const struct fl_store_action *a);

/* Complete the action with the job's event and run what follows from it (§c.2a, §c.2b). */
static int finish_action(struct fl_engine *eng, struct fl_engine_job *job, struct fl_engine_event *ev,
			 const struct fl_store_action *a)
{
	int rc = fl_store_action_complete(eng->wst, a->id, a->attempt, result_state(job), fl_time_now_ns(),
					  fl_engine__event_json(ev), &job->res.err);

	return rc ? rc : follow_result(eng, job, ev, a);
}

/*
 * The usual result in one statement: the pack completes the action it
 * holds (store op action_finish).  FL_ENOTFOUND when it is anything else;
 * nothing was changed then, and the caller looks at the action.
 */
static int complete_owned(struct fl_engine *eng, struct fl_engine_job *job, struct fl_engine_event *ev,
			  const struct fl_engine_pack *p, struct fl_store_action *a)
{
	struct fl_store_finish f = {
		.action_id = job->action,
		.attempt = job->attempt,
		.state = result_state(job),
		.now = fl_time_now_ns(),
		.result = fl_engine__event_json(ev),
		.pack_name = p->name,
		.pack_labels = p->labels_txt,
	};
	return fl_store_action_finish(eng->wst, a, &f, &job->res.err);
}

/* What follows from a completed action: the result as an event (§c.2a), its execution (§c.2b). */
static int follow_result(struct fl_engine *eng, struct fl_engine_job *job, struct fl_engine_event *ev,
			 const struct fl_store_action *a)
{
	int rc;

	/* the result is a new event for every flow (§c.2a), then continues its own execution (§c.2b) */
	rc = fl_engine__trigger(eng, ev, &job->res.err);
	if (!rc)
		rc = fl_engine__continue(eng, a, ev, &job->res.err);
	if (!rc && job->rmode != FL_RMODE_PLAN)
		atomic_fetch_add_explicit(&eng->st_completed, 1, memory_order_relaxed);
	return rc;
}

/*
 * A result that does not belong to the attempt holding the action: repeated
 * (the same result for the attempt that completed it: nothing to do), or
 * refused (recorded in the action's audit, answered 409 after the commit).
 */
static int stale_result(struct fl_engine *eng, struct fl_engine_job *job, const struct fl_store_action *a)
{
	char why[200];
	int rc;

	if (a->state >= FL_ACTION_SUCCESS && (job->attempt < 0 || job->attempt == a->attempt) &&
	    same_result(a, &job->ev))
		return FL_OK; /* a client posting its result again: applied once, 202 again */
	if (a->state == FL_ACTION_PENDING)
		snprintf(why, sizeof(why), "attempt %" PRId64 " no longer holds the action (attempt %" PRId64 " does)",
			 job->attempt, a->attempt);
	else if (a->state == FL_ACTION_NEW)
		snprintf(why, sizeof(why), "the lease of attempt %" PRId64 " ended; the action is waiting to be taken again",
			 a->attempt);
	else
		snprintf(why, sizeof(why), "the action is already %s", fl_store_state_name(a->state));
	rc = fl_store_action_refuse(eng->wst, a->id, job->attempt, job->ev.name, fl_time_now_ns(), why, &job->res.err);
	if (rc)
		return rc;
	FL_LOG_I(NULL, "result '%s' for action '%s' refused: %s", job->ev.name ? job->ev.name : "", a->id, why);
	job->answer = fl_error_set(&job->res.err, FL_ECONFLICT, "result refused: %s", why);
	return FL_OK;
}

/* The pack a result the engine posts itself comes from: the last taker, else one made from the action. */
static const struct fl_engine_pack *system_pack(struct fl_engine *eng, const struct fl_store_action *a,
						struct fl_engine_pack *tmp)
{
	const struct fl_engine_pack *p = a->taken_by ? fl_strmap_gets(eng->packs, a->taken_by) : NULL;
	json_t *labels;

	if (p)
		return p;
	labels = a->pack_labels ? json_loads(a->pack_labels, 0, NULL) : NULL;
	tmp->id = a->taken_by ? a->taken_by : a->pack_name;
	tmp->name = a->pack_name;
	tmp->labels = json_is_object(labels) ? labels : json_object();
	if (tmp->labels != labels)
		json_decref(labels);
	return tmp;
}

/* The FATAL result after the last lease ran out, unless a result or a heartbeat came first. */
static int run_system_result(struct fl_engine *eng, struct fl_engine_job *job)
{
	struct fl_store_action a = { 0 };
	struct fl_engine_pack tmp = { 0 };
	struct fl_engine_event ev = { 0 };
	const struct fl_engine_pack *p;
	int rc;

	fl_strmap_remove(eng->failing, job->action, strlen(job->action));
	rc = fl_store_action_get(eng->wst, &a, job->action, &job->res.err);
	if (rc || a.expired || a.state != FL_ACTION_PENDING || a.attempt != job->attempt ||
	    a.lease_until != job->lease_expected) {
		fl_error_clear(&job->res.err);
		fl_store_action_release(&a);
		return FL_OK; /* it moved on meanwhile */
	}
	p = system_pack(eng, &a, &tmp);
	rc = job_event(&ev, job, p);
	if (!rc)
		rc = finish_action(eng, job, &ev, &a);
	if (!rc && job->rmode != FL_RMODE_PLAN) {
		atomic_fetch_add_explicit(&eng->st_lease_fatal, 1, memory_order_relaxed);
		FL_LOG_W(NULL, "action '%s' (%s/%s) failed: no result after %" PRId64 " attempts", a.id, a.pack_name,
			 a.name, a.attempt);
	}
	fl_engine__event_release(&ev);
	if (p == &tmp)
		json_decref(tmp.labels);
	fl_store_action_release(&a);
	return rc;
}

static int run_result(struct fl_engine *eng, struct fl_engine_job *job)
{
	struct fl_engine_pack *p;
	struct fl_store_action a = { 0 };
	struct fl_engine_event ev = { 0 };
	int rc;

	if (job->system)
		return run_system_result(eng, job);
	p = pack_seen(eng, job->key, &job->res.err);
	if (!p)
		return FL_ENOTFOUND;
	if (job->ev.parse_err.code) {
		job->res.err = job->ev.parse_err;
		return job->ev.parse_err.code;
	}
	rc = job_event(&ev, job, p);
	if (rc)
		goto out;
	rc = complete_owned(eng, job, &ev, p, &a);
	if (rc == FL_OK) {
		rc = follow_result(eng, job, &ev, &a);
		goto out;
	}
	if (rc != FL_ENOTFOUND)
		goto out;
	/* not the usual case: tell why from the action as it is */
	fl_error_clear(&job->res.err);
	fl_store_action_release(&a);
	rc = owned_action(eng, p, job->action, &a, &job->res.err);
	if (rc)
		goto out;
	if (a.state != FL_ACTION_PENDING || (job->attempt >= 0 && job->attempt != a.attempt))
		rc = stale_result(eng, job, &a);
	else
		rc = finish_action(eng, job, &ev, &a);
out:
	fl_engine__event_release(&ev);
	fl_store_action_release(&a);
	return rc;
}

static int run_heartbeat(struct fl_engine *eng, struct fl_engine_job *job)
{
	struct fl_engine_pack *p = pack_seen(eng, job->key, &job->res.err);
	struct fl_store_action a = { 0 };
	int64_t now = fl_time_now_ns(), lease;
	int rc;

	if (!p)
		return FL_ENOTFOUND;
	rc = owned_action(eng, p, job->action, &a, &job->res.err);
	if (rc)
		goto out;
	if (a.state != FL_ACTION_PENDING || (job->attempt >= 0 && job->attempt != a.attempt)) {
		rc = a.state != FL_ACTION_PENDING
			     ? fl_error_set(&job->res.err, FL_ECONFLICT, "action '%s' is not in PENDING state (it is %s)",
					    a.id, fl_store_state_name(a.state))
			     : fl_error_set(&job->res.err, FL_ECONFLICT,
					    "attempt %" PRId64 " no longer holds action '%s' (attempt %" PRId64 " does)",
					    job->attempt, a.id, a.attempt);
		goto out;
	}
	lease = lease_for(eng, p, a.name, now, NULL);
	if (lease) {
		rc = fl_store_action_extend(eng->wst, a.id, a.attempt, lease, &job->res.err);
		if (rc)
			goto out;
		lease_watch(eng, lease, now);
	}
	job->res.body = json_pack("{s:I,s:I}", "leaseUntil", (json_int_t)lease, "attempt", (json_int_t)a.attempt);
	job->res.body_exclusive = true;
out:
	fl_store_action_release(&a);
	return rc;
}

static int run_flow_put(struct fl_engine *eng, struct fl_engine_job *job)
{
	struct fl_flowdef *f = job->flow, *old;
	char *def;
	struct fl_store_flow sf;
	bool created = false;
	int rc;

	fl_oid_new(f->uuid);
	def = json_dumps(f->def, JSON_COMPACT);
	sf = (struct fl_store_flow){ f->uuid, f->name, f->description, def, fl_time_now_ns() };
	rc = fl_store_flow_put(eng->wst, &created, &sf, &job->res.err);
	free(def);
	if (rc)
		return rc;
	old = fl_strmap_set(eng->flows, f->name, strlen(f->name), fl_flowdef_ref(f));
	fl_strmap_set(eng->versions, f->uuid, strlen(f->uuid), fl_flowdef_ref(f));
	fl_flowdef_unref(old);
	rebuild_triggers(eng);
	job->res.created = created;
	if (f->warnings)
		job->res.body = json_pack("{s:O}", "warnings", f->warnings);
	return FL_OK;
}

static int run_flow_delete(struct fl_engine *eng, struct fl_engine_job *job)
{
	int rc = fl_store_flow_delete(eng->wst, job->key, &job->res.err);

	if (rc == FL_ENOTFOUND)
		fl_error_set(&job->res.err, FL_ENOTFOUND, "flow '%s' not found", job->key);
	if (rc)
		return rc;
	fl_flowdef_unref(fl_strmap_remove(eng->flows, job->key, strlen(job->key)));
	rebuild_triggers(eng);
	return FL_OK;
}

static int run_ds_put(struct fl_engine *eng, struct fl_engine_job *job)
{
	bool created = false;
	int rc = fl_store_ds_put(eng->wst, &created, &job->item, &job->res.err);

	job->res.created = created;
	return rc;
}

static int run_ds_delete(struct fl_engine *eng, struct fl_engine_job *job)
{
	int rc = fl_store_ds_delete(eng->wst, job->key, &job->res.err);

	if (rc == FL_ENOTFOUND)
		fl_error_set(&job->res.err, FL_ENOTFOUND, "datastore item '%s' not found", job->key);
	return rc;
}

/* ------------------------------------------------------ maintenance */

static int64_t ttl_ns(int64_t sec)
{
	if (sec <= 0 || sec > MAX_TTL_SEC)
		sec = MAX_TTL_SEC;
	return sec * FL_NS_PER_SEC;
}

/* Retention of executions: the larger of the audit and the action TTL. */
static int64_t audit_ttl_ns(const struct fl_engine_config *cfg)
{
	int64_t audit = cfg->audit_ttl_sec > 0 ? cfg->audit_ttl_sec : AUDIT_MIN_TTL_SEC;
	return ttl_ns(FL_MAX(audit, cfg->action_ttl_sec));
}

static void ids_add(struct fl_engine_idlist *l, const char *id, size_t len)
{
	FL_GROW(l->v, l->cap, l->n + 1);
	l->v[l->n++] = fl_xmemdup0(id, len);
}

static int note_expired_id(const struct fl_store_action *a, void *payload)
{
	struct fl_engine *eng = payload;
	ids_add(&eng->expired_ids, a->id, strlen(a->id));
	return 0;
}

static int run_expire(struct fl_engine *eng, struct fl_engine_job *job)
{
	int64_t now = fl_time_now_ns();
	size_t n = 0;
	int rc = FL_OK;
	bool mine = true;

	ids_free(&eng->expired_ids);
	rc = fl_store_try_lock(eng->wst, "expiry", &mine, &job->res.err);
	if (rc || !mine) {
		/* another server expires (or the store failed): look again at the next interval */
		eng->expire_phase = 0;
		eng->expire_due = fl_time_mono_ns() + EXPIRE_INTERVAL_NS;
		return rc;
	}
	switch (eng->expire_phase) {
	case 0:
		rc = fl_store_expire_actions(eng->wst, &n, now - ttl_ns(eng->cfg.action_ttl_sec), EXPIRE_CHUNK,
					     note_expired_id, eng, &job->res.err);
		break;
	case 1:
		rc = fl_store_expire_audit(eng->wst, &n, now - audit_ttl_ns(&eng->cfg), EXPIRE_AUDIT_CHUNK,
					   &job->res.err);
		break;
	default:
		rc = fl_store_expire_flow_versions(eng->wst, &n, now - audit_ttl_ns(&eng->cfg), EXPIRE_CHUNK,
						   &job->res.err);
		break;
	}
	if (rc) {
		FL_LOG_E(NULL, "expiry failed: %s", job->res.err.msg);
		eng->expire_phase = 0;
		eng->expire_due = fl_time_mono_ns() + EXPIRE_INTERVAL_NS;
		return rc;
	}
	if (n)
		FL_LOG_D(NULL, "expiry phase %d removed %zu rows", eng->expire_phase, n);
	if (n == 0 && ++eng->expire_phase > 2) {
		eng->expire_phase = 0;
		eng->expire_due = fl_time_mono_ns() + EXPIRE_INTERVAL_NS;
	} else {
		eng->expire_due = fl_time_mono_ns(); /* next chunk right after this batch */
	}
	return FL_OK;
}

static void apply_expire(struct fl_engine *eng, struct fl_engine_job *job)
{
	(void)job;
	for (size_t i = 0; i < eng->expired_ids.n; i++) {
		struct fl_engine_qent *e = fl_strmap_gets(eng->qents, eng->expired_ids.v[i]);
		if (e)
			fl_engine__queue_remove(eng, e);
	}
	ids_free(&eng->expired_ids);
}

/* Wall-clock ns of the next local HH:MM after now. */
static int64_t next_local_time(int hour, int min, int64_t now_ns)
{
	time_t now = (time_t)(now_ns / FL_NS_PER_SEC), t;
	struct tm tm;

	localtime_r(&now, &tm);
	tm.tm_hour = hour;
	tm.tm_min = min;
	tm.tm_sec = 0;
	tm.tm_isdst = -1;
	t = mktime(&tm);
	if (t <= now) {
		tm.tm_mday += 1;
		tm.tm_hour = hour;
		tm.tm_min = min;
		tm.tm_sec = 0;
		tm.tm_isdst = -1;
		t = mktime(&tm);
	}
	return (int64_t)t * FL_NS_PER_SEC;
}

struct dead_ctx {
	int64_t cutoff;
	struct fl_engine_idlist ids;
};

static int pick_dead(const char *key, size_t keylen, void *val, void *payload)
{
	struct dead_ctx *d = payload;
	struct fl_engine_pack *p = val;

	if (p->last_seen >= d->cutoff || d->ids.n >= DEAD_CHUNK)
		return 0;
	ids_add(&d->ids, key, keylen);
	return 0;
}

static int run_dead_packs(struct fl_engine *eng, struct fl_engine_job *job)
{
	struct dead_ctx d = { fl_time_now_ns() - ttl_ns(eng->cfg.pack_grace_sec), { NULL, 0, 0 } };
	int rc = FL_OK;
	bool mine = true;

	ids_free(&eng->dead_ids);
	rc = fl_store_try_lock(eng->wst, "dead packs", &mine, &job->res.err);
	if (!rc && !mine) {
		/* another server sweeps */
		eng->dead_due_wall = next_local_time(eng->cfg.dead_pack_hour, eng->cfg.dead_pack_min, fl_time_now_ns());
		return FL_OK;
	}
	/* what this server saw is in the store first, so every server's sightings count */
	if (!rc)
		rc = flush_last_seen(eng, true, &job->res.err);
	/*
	 * lastSeen is exact in memory, so a pack that polled here a moment ago is
	 * never picked; the store decides for packs that polled other servers.
	 */
	if (!rc)
		fl_strmap_each(eng->packs, pick_dead, &d);
	for (size_t i = 0; i < d.ids.n && !rc; i++) {
		rc = fl_store_pack_delete_stale(eng->wst, d.ids.v[i], d.cutoff, &job->res.err);
		if (rc == FL_ENOTFOUND) {
			rc = FL_OK;
			fl_error_clear(&job->res.err);
			free(d.ids.v[i]);
			d.ids.v[i] = d.ids.v[--d.ids.n];
			i--;
		}
	}
	if (rc) {
		ids_free(&d.ids);
		FL_LOG_E(NULL, "dead pack sweep failed: %s", job->res.err.msg);
		eng->dead_due_wall = next_local_time(eng->cfg.dead_pack_hour, eng->cfg.dead_pack_min, fl_time_now_ns());
		return rc;
	}
	FL_LOG_I(NULL, "deleted %zu dead packs", d.ids.n);
	if (d.ids.n < DEAD_CHUNK)
		eng->dead_due_wall = next_local_time(eng->cfg.dead_pack_hour, eng->cfg.dead_pack_min, fl_time_now_ns());
	eng->dead_ids = d.ids;
	return FL_OK;
}

static void apply_dead_packs(struct fl_engine *eng, struct fl_engine_job *job)
{
	(void)job;
	pthread_mutex_lock(&eng->packs_mu);
	for (size_t i = 0; i < eng->dead_ids.n; i++)
		pack_free(fl_strmap_remove(eng->packs, eng->dead_ids.v[i], strlen(eng->dead_ids.v[i])));
	pthread_mutex_unlock(&eng->packs_mu);
	ids_free(&eng->dead_ids);
}

/* ------------------------------------------------------- lease ends */

#define LEASE_CHUNK 256                      /* ended leases handled per lease job */
#define LEASE_RETRY_NS (100 * FL_NS_PER_MS) /* when only queued FATAL results are left */
#define LEASE_FAIL_RETRY_NS FL_NS_PER_SEC   /* after the lease job failed (the store) */

struct lease_row {
	char *id, *name, *taken_by;
	int64_t attempt, lease_until;
};

struct lease_rows {
	struct lease_row *v;
	size_t n, cap;
};

static int note_lease(const struct fl_store_action *a, void *payload)
{
	struct lease_rows *l = payload;

	FL_GROW(l->v, l->cap, l->n + 1);
	l->v[l->n++] = (struct lease_row){ fl_xstrdup(a->id), fl_xstrdup(a->name),
					   a->taken_by ? fl_xstrdup(a->taken_by) : NULL, a->attempt, a->lease_until };
	return 0;
}

static void lease_rows_free(struct lease_rows *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].id);
		free(l->v[i].name);
		free(l->v[i].taken_by);
	}
	free(l->v);
}

/* The FATAL result of an action whose last lease ended, posted by the engine itself. */
static struct fl_engine_job *lease_fatal_job(const struct lease_row *r, int64_t max_attempts)
{
	struct fl_engine_job *j = fl_engine__job_new(FL_JOB_RESULT, NULL, NULL);
	json_t *body = json_pack("{s:s,s:{s:s,s:I,s:I}}", "event", "FATAL", "payload", "error",
				 "no result before the lease ended, after the last attempt", "attempts",
				 (json_int_t)r->attempt, "maxAttempts", (json_int_t)max_attempts);

	j->system = true;
	j->action = fl_xstrdup(r->id);
	j->attempt = r->attempt;
	j->lease_expected = r->lease_until;
	fl_engine__event_parse(&j->ev, body);
	json_decref(body);
	return j;
}

/*
 * Leases that ended: back to NEW (and to a waiting take) while attempts
 * are left, else a FATAL result is queued (run as a result job, so the
 * flow reacts as to a pack's FATAL).  Bounded by LEASE_CHUNK; the next
 * lease end re-arms the job.
 */
static int run_leases(struct fl_engine *eng, struct fl_engine_job *job)
{
	struct lease_rows l = { 0 };
	int64_t now = fl_time_now_ns(), next = 0;
	bool waiting = false;
	int rc;

	(void)job;
	rc = fl_store_action_lease_expired(eng->wst, now, LEASE_CHUNK, note_lease, &l, &job->res.err);
	for (size_t i = 0; i < l.n && !rc; i++) {
		const struct lease_row *r = &l.v[i];
		const struct fl_engine_pack *p = r->taken_by ? fl_strmap_gets(eng->packs, r->taken_by) : NULL;
		struct fl_store_action a;
		int64_t max_attempts;

		if (fl_strmap_gets(eng->failing, r->id)) {
			waiting = true;
			continue;
		}
		lease_for(eng, p, r->name, now, &max_attempts);
		atomic_fetch_add_explicit(&eng->st_leases_expired, 1, memory_order_relaxed);
		if (r->attempt >= max_attempts) {
			struct fl_engine_job *f = lease_fatal_job(r, max_attempts);
			f->next = eng->lease_fatal;
			eng->lease_fatal = f;
			waiting = true;
			continue;
		}
		rc = fl_store_action_requeue(eng->wst, &a, r->id, r->attempt, now, "lease expired", &job->res.err);
		if (rc == FL_ECONFLICT || rc == FL_ENOTFOUND) {
			rc = FL_OK; /* completed or expired meanwhile */
			fl_error_clear(&job->res.err);
			continue;
		}
		if (rc)
			break;
		FL_LOG_I(NULL, "lease of action '%s' (%s/%s, attempt %" PRId64 ") ended without a result; taken again",
			 a.id, a.pack_name, a.name, a.attempt);
		{
			struct fl_engine_qent *e = fl_engine__qent_from_row(&a);
			e->own = true;
			if (eng->fresh_tail)
				eng->fresh_tail->next = e;
			else
				eng->fresh_head = e;
			eng->fresh_tail = e;
		}
		fl_store_action_release(&a);
	}
	if (!rc)
		rc = fl_store_action_lease_next(eng->wst, &next, &job->res.err);
	if (!rc) {
		eng->lease_due = 0;
		eng->lease_hold = 0;
		lease_watch(eng, next, now);
		if (l.n == LEASE_CHUNK || (waiting && eng->lease_due && eng->lease_due <= fl_time_mono_ns()))
			eng->lease_due = fl_time_mono_ns() + (l.n == LEASE_CHUNK ? 0 : LEASE_RETRY_NS);
	} else {
		/* the ended leases are still there: run again, or nothing would until the next take */
		int64_t retry = fl_time_mono_ns() + LEASE_FAIL_RETRY_NS;
		FL_LOG_E(NULL, "ended leases not handled, trying again in 1 s: %s", job->res.err.msg);
		/* not sooner either, though the reload after the failed batch finds the ended lease */
		eng->lease_hold = retry;
		eng->lease_due = retry;
	}
	lease_rows_free(&l);
	return rc;
}

/* Queue the FATAL results the lease job decided, once it is part of the batch. */
static void apply_leases(struct fl_engine *eng, struct fl_engine_job *job)
{
	struct fl_engine_job *f = eng->lease_fatal, *nx;

	(void)job;
	eng->lease_fatal = NULL;
	for (; f; f = nx) {
		nx = f->next;
		fl_strmap_set(eng->failing, f->action, strlen(f->action), f);
		fl_engine__resubmit(eng, f, false);
	}
}

static void discard_lease_fatal(struct fl_engine *eng)
{
	struct fl_engine_job *f = eng->lease_fatal, *nx;

	eng->lease_fatal = NULL;
	for (; f; f = nx) {
		nx = f->next;
		fl_engine__job_free(f);
	}
}

/* ---------------------------------------- several servers, one database */

static int load_flow_cb(const struct fl_store_flow *sf, void *payload);
static int load_new_cb(const struct fl_store_action *a, void *payload);

/* Another server changed the flow `name`: read it again (or forget it). */
static int sync_flow(struct fl_engine *eng, const char *name, struct fl_error *err)
{
	struct fl_store_flow row = { 0 };
	int rc = fl_store_flow_get(eng->wst, &row, name, err);

	if (rc == FL_ENOTFOUND) {
		fl_error_clear(err);
		fl_flowdef_unref(fl_strmap_remove(eng->flows, name, strlen(name)));
		return FL_OK;
	}
	if (rc)
		return rc;
	if (!fl_strmap_gets(eng->versions, row.uuid))
		load_flow_cb(&row, eng);
	else
		fl_flowdef_unref(fl_strmap_set(eng->flows, name, strlen(name),
					      fl_flowdef_ref(fl_strmap_gets(eng->versions, row.uuid))));
	fl_store_flow_release(&row);
	return FL_OK;
}

/* Another server changed the pack `id`: read it again (or forget it), keeping the newest lastSeen. */
static int sync_pack(struct fl_engine *eng, const char *id, struct fl_error *err)
{
	struct fl_store_pack sp = { 0 };
	struct fl_engine_pack *old = fl_strmap_gets(eng->packs, id);
	int rc = fl_store_pack_get(eng->wst, &sp, id, err);

	if (rc == FL_ENOTFOUND) {
		fl_error_clear(err);
		pthread_mutex_lock(&eng->packs_mu);
		pack_free(fl_strmap_remove(eng->packs, id, strlen(id)));
		pthread_mutex_unlock(&eng->packs_mu);
		return FL_OK;
	}
	if (rc)
		return rc;
	if (old && old->last_seen > sp.last_seen)
		sp.last_seen = old->last_seen;
	pthread_mutex_lock(&eng->packs_mu);
	load_pack_cb(&sp, eng->packs);
	pthread_mutex_unlock(&eng->packs_mu);
	fl_store_pack_release(&sp);
	return FL_OK;
}

struct sync_ctx {
	struct fl_engine *eng;
	bool flows;
	struct fl_error *err;
};

static int apply_change(const struct fl_store_change *c, void *payload)
{
	struct sync_ctx *x = payload;

	if (strcmp(c->kind, "flow") == 0) {
		x->flows = true;
		return sync_flow(x->eng, c->key, x->err);
	}
	if (strcmp(c->kind, "pack") == 0)
		return sync_pack(x->eng, c->key, x->err);
	return FL_OK;
}

/* Queue what a notification announced as NEW (unless it is known already). */
static int heard_new(struct fl_engine *eng, const struct fl_engine_note *n, struct fl_error *err)
{
	struct fl_engine_qent *e;

	if (fl_strmap_remove(eng->own_new, n->id, strlen(n->id)))
		return FL_OK; /* made NEW here, and handed out or queued then */
	if (fl_strmap_gets(eng->qents, n->id))
		return FL_OK;
	if (n->seq > 0 && n->pack_name && n->command) {
		json_t *labels = n->labels ? json_loads(n->labels, 0, NULL) : NULL;
		e = fl_engine__qent_new(n->seq, n->id, n->command, n->pack_name, labels);
		json_decref(labels);
	} else {
		/* a short note: read the action */
		struct fl_store_action a = { 0 };
		int rc = fl_store_action_get(eng->wst, &a, n->id, err);
		if (rc == FL_ENOTFOUND) {
			fl_error_clear(err);
			return FL_OK;
		}
		if (rc)
			return rc;
		e = a.state == FL_ACTION_NEW && !a.expired ? fl_engine__qent_from_row(&a) : NULL;
		fl_store_action_release(&a);
		if (!e)
			return FL_OK;
	}
	if (eng->fresh_tail)
		eng->fresh_tail->next = e;
	else
		eng->fresh_head = e;
	eng->fresh_tail = e;
	return FL_OK;
}

static int load_fresh_cb(const struct fl_store_action *a, void *payload);

/*
 * First job of every batch with a shared database: apply the changes of
 * packs and flows that other servers committed (so the batch's requests
 * see them), then what the notifications announced: actions to queue (and
 * hand to parked takes, after this job) or to drop.  When notifications were
 * lost (the listening connection was replaced, or a failed batch took them
 * with it) the queues are read again, and every NEW action found is offered
 * to the parked takes like a new one.
 */
static int run_sync(struct fl_engine *eng, struct fl_engine_job *job)
{
	struct sync_ctx x = { eng, false, &job->res.err };
	struct fl_engine_note *notes = fl_engine__notes_take(eng), *n;
	bool resync = eng->resync_due;
	int rc = fl_store_changes(eng->wst, &eng->change_version, apply_change, &x, &job->res.err);

	if (rc == FL_ECONFLICT) {
		/* this server fell behind the trimmed change log: read everything again */
		fl_engine__note_free(notes);
		eng->change_version = -1;
		rc = fl_store_changes(eng->wst, &eng->change_version, NULL, NULL, &job->res.err);
		if (!rc)
			rc = fl_engine__reload(eng, &job->res.err);
		return rc;
	}
	if (x.flows)
		rebuild_triggers(eng);
	for (n = notes; n && !rc; n = n->next) {
		if (n->kind == FL_STORE_NOTE_RESYNC)
			resync = true;
		else if (n->kind == FL_STORE_NOTE_ACTION_NEW && !resync)
			rc = heard_new(eng, n, &job->res.err);
		else if (n->kind == FL_STORE_NOTE_ACTION_TAKEN && !resync) {
			struct fl_engine_qent *e = fl_strmap_gets(eng->qents, n->id);
			if (e)
				fl_engine__queue_remove(eng, e);
		}
	}
	fl_engine__note_free(notes);
	if (!rc && resync) {
		/* notifications were lost: the queues are read again */
		discard_fresh(eng);
		fl_strmap_clear(eng->own_new, NULL);
		fl_engine__queues_clear(eng);
		rc = fl_store_action_load_new(eng->wst, load_fresh_cb, eng, &job->res.err);
		if (!rc)
			eng->resync_due = false;
	}
	return rc;
}

struct job_type {
	const char *name;
	int (*run)(struct fl_engine *eng, struct fl_engine_job *job);
	/* after the job's savepoint was released (may be NULL) */
	void (*apply)(struct fl_engine *eng, struct fl_engine_job *job);
	bool no_tx; /* touches neither the store nor the state */
	/*
	 * Changes the store with one statement at most, and fails before it
	 * otherwise: on a store whose failed statements undo themselves
	 * (FL_STORE_STMT_ROLLBACK) it needs no savepoint.
	 */
	bool one_write;
};

static const struct job_type job_types[FL_JOB__COUNT] = {
	[FL_JOB_FAILED] = { "failed", run_failed, NULL, true, false },
	[FL_JOB_PACK_REGISTER] = { "pack register", run_pack_register, NULL, false, false },
	[FL_JOB_PACK_DELETE] = { "pack delete", run_pack_delete, NULL, false, false },
	[FL_JOB_EVENT] = { "event", run_event, NULL, false, false },
	[FL_JOB_TAKE] = { "take", run_take, NULL, false, true },
	[FL_JOB_RELEASE] = { "release", run_release, NULL, false, false },
	[FL_JOB_RESULT] = { "result", run_result, NULL, false, false },
	[FL_JOB_FLOW_PUT] = { "flow put", run_flow_put, NULL, false, false },
	[FL_JOB_FLOW_DELETE] = { "flow delete", run_flow_delete, NULL, false, false },
	[FL_JOB_DS_PUT] = { "datastore put", run_ds_put, NULL, false, false },
	[FL_JOB_DS_DELETE] = { "datastore delete", run_ds_delete, NULL, false, false },
	[FL_JOB_EXPIRE] = { "expire", run_expire, apply_expire, false, false },
	[FL_JOB_DEAD_PACKS] = { "dead packs", run_dead_packs, apply_dead_packs, false, false },
	[FL_JOB_HEARTBEAT] = { "heartbeat", run_heartbeat, NULL, false, false },
	[FL_JOB_LEASES] = { "lease ends", run_leases, apply_leases, false, false },
	[FL_JOB_SYNC] = { "sync", run_sync, NULL, false, false },
};

/* ----------------------------------------------------------- reload */

static int load_pack_cb(const struct fl_store_pack *sp, void *payload)
{
	struct fl_strmap *m = payload;
	struct fl_engine_pack *p = fl_xcalloc(1, sizeof(*p));
	json_t *def = json_loads(sp->def, 0, NULL), *labels = json_object_get(def, "labels");

	p->id = fl_xstrdup(sp->id);
	p->name = fl_xstrdup(sp->name);
	p->labels = json_is_object(labels) ? json_incref(labels) : json_object();
	p->labels_txt = json_object_size(p->labels) ? json_dumps(p->labels, JSON_COMPACT) : NULL;
	p->commands = json_incref(json_object_get(def, "commands"));
	p->last_seen = p->flushed = sp->last_seen;
	json_decref(def);
	pack_free(fl_strmap_set(m, p->id, strlen(p->id), p));
	return 0;
}

static int load_flow_cb(const struct fl_store_flow *sf, void *payload)
{
	struct fl_engine *eng = payload;
	struct fl_error err = FL_ERROR_INIT;
	struct fl_flowdef *f = NULL;
	json_t *def = json_loads(sf->def ? sf->def : "", 0, NULL);

	if (!def || fl_flowdef_compile(&f, def, &eng->cfg.tmpl_limits, 0, &err) != FL_OK) {
		FL_LOG_E(NULL, "flow '%s' (version '%s') cannot be loaded: %s", sf->name, sf->uuid,
			 def ? err.msg : "stored definition is not JSON");
		json_decref(def);
		return 0;
	}
	json_decref(def);
	snprintf(f->uuid, sizeof(f->uuid), "%s", sf->uuid);
	fl_flowdef_unref(fl_strmap_set(eng->flows, f->name, strlen(f->name), f));
	fl_flowdef_unref(fl_strmap_set(eng->versions, f->uuid, strlen(f->uuid), fl_flowdef_ref(f)));
	return 0;
}

static int load_new_cb(const struct fl_store_action *a, void *payload)
{
	struct fl_engine *eng = payload;
	struct fl_engine_qent *e = fl_engine__qent_from_row(a);

	fl_engine__queue_add(eng, e);
	return 0;
}

/* A NEW action read again by a sync: offered to the parked takes after the job (dispatch_fresh). */
static int load_fresh_cb(const struct fl_store_action *a, void *payload)
{
	struct fl_engine *eng = payload;
	struct fl_engine_qent *e = fl_engine__qent_from_row(a);

	if (eng->fresh_tail)
		eng->fresh_tail->next = e;
	else
		eng->fresh_head = e;
	eng->fresh_tail = e;
	return 0;
}

int fl_engine__reload(struct fl_engine *eng, struct fl_error *err)
{
	struct fl_strmap *packs = fl_strmap_new(), *old;
	int rc;

	rc = fl_store_pack_list(eng->wst, load_pack_cb, packs, err);
	if (rc) {
		fl_strmap_free(packs, pack_free);
		return rc;
	}
	pthread_mutex_lock(&eng->packs_mu);
	old = eng->packs;
	eng->packs = packs;
	pthread_mutex_unlock(&eng->packs_mu);
	fl_strmap_free(old, pack_free);

	fl_strmap_clear(eng->triggers, trig_free);
	fl_strmap_clear(eng->flows, flow_unref_cb);
	fl_strmap_clear(eng->versions, flow_unref_cb);
	rc = fl_store_flow_list(eng->wst, true, load_flow_cb, eng, err);
	rebuild_triggers(eng);
	if (rc)
		return rc;

	fl_engine__queues_clear(eng);
	fl_strmap_clear(eng->failing, NULL);
	rc = fl_store_action_load_new(eng->wst, load_new_cb, eng, err);
	if (!rc) {
		int64_t next = 0;
		rc = fl_store_action_lease_next(eng->wst, &next, err);
		eng->lease_due = 0;
		lease_watch(eng, next, fl_time_now_ns());
	}
	return rc;
}

void fl_engine__state_release(struct fl_engine *eng)
{
	fl_engine__queues_free(eng);
	fl_strmap_free(eng->failing, NULL);
	eng->failing = NULL;
	fl_strmap_free(eng->own_new, NULL);
	eng->own_new = NULL;
	discard_lease_fatal(eng);
	fl_strmap_free(eng->triggers, trig_free);
	fl_strmap_free(eng->flows, flow_unref_cb);
	fl_strmap_free(eng->versions, flow_unref_cb);
	fl_strmap_free(eng->packs, pack_free);
	eng->triggers = eng->flows = eng->versions = eng->packs = NULL;
	ids_free(&eng->expired_ids);
	ids_free(&eng->dead_ids);
}

/* ------------------------------------------------------------ batch */

static void fail_job(struct fl_engine_job *j, const struct fl_error *err)
{
	json_decref(j->res.body);
	j->res.body = NULL;
	j->res.body_exclusive = false;
	j->res.created = false;
	j->res.err = *err;
	j->res.code = err->code ? err->code : FL_EIO;
}

/* Add the maintenance jobs that are due to the batch. */
static struct fl_engine_job *add_maintenance(struct fl_engine *eng, struct fl_engine_job *list)
{
	struct fl_engine_job *j;

	if (eng->expire_due && fl_time_mono_ns() >= eng->expire_due) {
		eng->expire_due = 0; /* re-armed by the job */
		j = fl_engine__job_new(FL_JOB_EXPIRE, NULL, NULL);
		j->next = list;
		list = j;
	}
	if (eng->lease_due && fl_time_mono_ns() >= eng->lease_due) {
		eng->lease_due = 0; /* re-armed by the job and by every take with a lease */
		j = fl_engine__job_new(FL_JOB_LEASES, NULL, NULL);
		j->next = list;
		list = j;
	}
	if (eng->dead_due_wall && fl_time_now_ns() >= eng->dead_due_wall) {
		eng->dead_due_wall = 0; /* re-armed by the job */
		j = fl_engine__job_new(FL_JOB_DEAD_PACKS, NULL, NULL);
		j->next = list;
		list = j;
	}
	if (eng->shared) {
		/* leases taken on other servers end too: look at least every second */
		int64_t soon = fl_time_mono_ns() + SHARED_LEASE_CHECK_NS;
		if (!eng->lease_due || eng->lease_due > soon)
			eng->lease_due = soon;
		/* what other servers changed comes first, so every job of the batch sees it */
		j = fl_engine__job_new(FL_JOB_SYNC, NULL, NULL);
		j->next = list;
		list = j;
	}
	return list;
}

/* Forget what a failed or rolled-back run of a job produced. */
static void reset_result(struct fl_engine_job *j)
{
	json_decref(j->res.body);
	j->res.body = NULL;
	j->res.body_exclusive = false;
	j->res.created = false;
	fl_error_clear(&j->res.err);
}

/*
 * The job's templates need more than the writer's budget (FL_ENGINE_DEFER,
 * its savepoint already rolled back): record its plan in a savepoint that is
 * rolled back too, and hand it to the render threads.  Returns FL_OK when
 * handed over, FL_ENGINE_DEFER when the writer must render it itself (too
 * many defers, no render threads), or the error that planning met.
 */
static int defer_job(struct fl_engine *eng, struct fl_engine_job *j, struct fl_error *broken)
{
	struct fl_error err = FL_ERROR_INIT;
	int rc;

	fl_engine__prep_release(&j->prep);
	if (j->defers >= FL_ENGINE_MAX_DEFERS || !eng->nrender_threads) {
		j->rmode = FL_RMODE_FULL;
		return FL_ENGINE_DEFER;
	}
	j->defers++;
	j->rmode = FL_RMODE_PLAN;
	if (fl_store_savepoint(eng->wst, &err) != FL_OK) {
		*broken = err;
		return err.code;
	}
	rc = job_types[j->kind].run(eng, j);
	discard_fresh(eng);
	if (fl_store_savepoint_rollback(eng->wst, &err) != FL_OK) {
		*broken = err;
		return err.code;
	}
	if (rc != FL_OK) {
		fl_engine__prep_release(&j->prep);
		j->rmode = FL_RMODE_INLINE;
		return rc;
	}
	reset_result(j);
	j->rmode = FL_RMODE_APPLY;
	fl_engine__render_submit(eng, j);
	return FL_OK;
}

/* A job that ran: apply what it decided and answer it (unless parked: false, answered later). */
static bool job_done(struct fl_engine *eng, struct fl_engine_job *j, const struct job_type *t, int rc)
{
	if (t->apply)
		t->apply(eng, j);
	dispatch_fresh(eng);
	if (rc == FL_ENGINE_PARKED)
		return false;
	j->res.code = j->answer ? j->answer : FL_OK;
	j->in_tx = true;
	return true;
}

/* A job that failed with rc: its answer, and nothing of what it prepared. */
static void job_failed(struct fl_engine *eng, struct fl_engine_job *j, const struct job_type *t, int rc)
{
	j->res.code = rc;
	if (!j->res.err.code)
		fl_error_set(&j->res.err, rc, "%s failed", t->name);
	discard_fresh(eng);
	json_decref(j->res.body);
	j->res.body = NULL;
	j->res.body_exclusive = false;
}

/*
 * A job that writes one statement at most, on a store that undoes a failed
 * statement alone: no savepoint.  It never defers (no templates).  A store
 * failure fails the batch: whether the store rolled back only the statement
 * or the whole transaction is not known here.
 */
static void run_unguarded(struct fl_engine *eng, struct fl_engine_job *j, struct fl_error *broken)
{
	const struct job_type *t = &job_types[j->kind];
	int rc = t->run(eng, j);

	FL_ASSERT(rc != FL_ENGINE_DEFER);
	if (rc == FL_OK || rc == FL_ENGINE_PARKED) {
		if (!job_done(eng, j, t, rc))
			return; /* parked: answered later */
	} else {
		job_failed(eng, j, t, rc);
		if (rc != FL_ENOTFOUND)
			*broken = j->res.err;
	}
	push_done(eng, j);
}

/* Run one job of the batch in its own savepoint and queue its answer (unless parked or deferred). */
static void run_job(struct fl_engine *eng, struct fl_engine_job *j, struct fl_error *broken)
{
	const struct job_type *t = &job_types[j->kind];
	struct fl_error err = FL_ERROR_INIT;
	bool sp = !(t->one_write && fl_store_stmt_rollback(eng->wst));
	int rc;

	if (!sp) {
		run_unguarded(eng, j, broken);
		return;
	}
	for (;;) {
		if (fl_store_savepoint(eng->wst, &err) != FL_OK) {
			*broken = err;
			fail_job(j, broken);
			push_done(eng, j);
			return;
		}
		rc = t->run(eng, j);
		if (rc != FL_ENGINE_DEFER)
			break;
		discard_fresh(eng);
		reset_result(j);
		if (fl_store_savepoint_rollback(eng->wst, &err) != FL_OK) {
			*broken = err;
			fail_job(j, broken);
			push_done(eng, j);
			return;
		}
		rc = defer_job(eng, j, broken);
		if (rc == FL_OK)
			return; /* comes back from the render threads */
		if (rc != FL_ENGINE_DEFER) {
			if (broken->code) {
				fail_job(j, broken);
			} else {
				j->res.code = rc;
				if (!j->res.err.code)
					fl_error_set(&j->res.err, rc, "%s failed", t->name);
			}
			push_done(eng, j);
			return;
		}
		/* FL_RMODE_FULL: run it again here */
	}
	fl_engine__prep_release(&j->prep);
	if (rc == FL_OK || rc == FL_ENGINE_PARKED) {
		if (fl_store_savepoint_release(eng->wst, &err) != FL_OK) {
			*broken = err;
			discard_fresh(eng);
			if (rc == FL_ENGINE_PARKED)
				unpark(eng, j);
			fail_job(j, broken);
			push_done(eng, j);
			return;
		}
		if (!job_done(eng, j, t, rc))
			return; /* parked: answered later */
	} else {
		job_failed(eng, j, t, rc);
		if (fl_store_savepoint_rollback(eng->wst, &err) != FL_OK)
			*broken = err;
		else if (rc == FL_ERETRY || rc == FL_EIO)
			*broken = j->res.err; /* a lost race or a lost database: the whole batch is in question */
	}
	push_done(eng, j);
}

/*
 * The store failed and the state could not be rebuilt: until it can, jobs
 * fail at once (503) and parked takes are answered (their clients poll
 * again).  True when the batch must not run.
 */
static bool store_down(struct fl_engine *eng, struct fl_engine_job *list)
{
	struct fl_error err = FL_ERROR_INIT;
	struct fl_engine_job *j, *nx;

	if (!eng->reload_due)
		return false;
	if (fl_time_mono_ns() >= eng->reload_at) {
		if (fl_engine__reload(eng, &err) == FL_OK) {
			eng->reload_due = false;
			FL_LOG_I(NULL, "store available again; state rebuilt");
			return false;
		}
		eng->reload_at = fl_time_mono_ns() + RELOAD_RETRY_NS;
		eng->reload_err = err;
	}
	err = eng->reload_err;
	if (!err.code)
		fl_error_set(&err, FL_EIO, "the database is unavailable");
	answer_waiters(eng, true);
	for (j = list; j; j = nx) {
		nx = j->next;
		if (job_types[j->kind].no_tx) {
			j->res.code = job_types[j->kind].run(eng, j);
		} else {
			fail_job(j, &err);
		}
		push_done(eng, j);
	}
	deliver(eng);
	return true;
}

static void run_batch(struct fl_engine *eng, struct fl_engine_job *list, bool draining, bool retrying);

/*
 * The batch lost a race with another server (deadlock or serialization
 * failure): every job whose answer depended on it runs again, each in a
 * transaction of its own, which cannot deadlock with another server's.
 */
static void retry_singly(struct fl_engine *eng, bool draining)
{
	struct fl_engine_job *again = NULL, **tail = &again, *j, *nx, *list = eng->done_head;

	eng->done_head = eng->done_tail = NULL;
	for (j = list; j; j = nx) {
		nx = j->next;
		j->next = NULL;
		if (j->in_tx || j->res.code == FL_ERETRY) {
			reset_result(j);
			j->res.code = FL_OK;
			j->in_tx = false;
			j->answer = 0;
			fl_engine__prep_release(&j->prep);
			j->rmode = FL_RMODE_INLINE;
			*tail = j;
			tail = &j->next;
		} else {
			push_done(eng, j); /* answered for reasons of its own: delivered as it is */
		}
	}
	for (j = again; j; j = nx) {
		nx = j->next;
		j->next = NULL;
		run_batch(eng, j, draining, true);
	}
}

static void run_batch(struct fl_engine *eng, struct fl_engine_job *list, bool draining, bool retrying)
{
	struct fl_error err = FL_ERROR_INIT, broken = FL_ERROR_INIT;
	struct fl_engine_job *j, *nx;
	bool need_tx = eng->flush_due && fl_time_mono_ns() >= eng->flush_due;
	int rc;

	if (!retrying) {
		if (store_down(eng, list))
			return;
		answer_waiters(eng, draining);
		list = add_maintenance(eng, list);
	}
	for (j = list; j; j = j->next)
		need_tx |= !job_types[j->kind].no_tx;
	if (need_tx && (rc = fl_store_begin(eng->wst, &err)) != FL_OK) {
		FL_LOG_E(NULL, "cannot begin a transaction: %s", err.msg);
		broken = err;
	}
	for (j = list; j; j = nx) {
		nx = j->next;
		j->next = NULL;
		atomic_fetch_add_explicit(&eng->st_jobs, 1, memory_order_relaxed);
		if (job_types[j->kind].no_tx) {
			j->res.code = job_types[j->kind].run(eng, j);
			push_done(eng, j);
		} else if (broken.code) {
			fail_job(j, &broken);
			push_done(eng, j);
		} else {
			run_job(eng, j, &broken);
		}
	}
	if (need_tx && !broken.code && (eng->flush_due || draining)) {
		if (eng->flush_due && fl_time_mono_ns() >= eng->flush_due)
			rc = flush_last_seen(eng, draining, &err);
		else
			rc = draining ? flush_last_seen(eng, true, &err) : FL_OK;
		if (rc)
			broken = err;
	}
	if (need_tx && !broken.code) {
		rc = fl_store_commit(eng->wst, &err);
		if (rc)
			broken = err;
		else
			atomic_fetch_add_explicit(&eng->st_commits, 1, memory_order_relaxed);
	}
	if (need_tx && broken.code) {
		struct fl_error rerr = FL_ERROR_INIT;
		bool retry = broken.code == FL_ERETRY && !retrying;

		FL_LOG_E(NULL, "batch transaction failed, state reloaded from the store%s: %s",
			 retry ? ", its jobs run again one by one" : "", broken.msg);
		fl_store_rollback(eng->wst, NULL);
		discard_fresh(eng);
		/* the notifications its sync took are gone with it, and its own will not come */
		if (eng->shared) {
			eng->resync_due = true;
			fl_strmap_clear(eng->own_new, NULL);
		}
		if (!retry)
			for (j = eng->done_head; j; j = j->next)
				if (j->in_tx)
					fail_job(j, &broken);
		if (fl_engine__reload(eng, &rerr) != FL_OK) {
			FL_LOG_E(NULL, "cannot reload the engine state, trying again before the next batch: %s",
				 rerr.msg);
			eng->reload_due = true;
			eng->reload_err = rerr;
			eng->reload_at = fl_time_mono_ns() + RELOAD_RETRY_NS;
			if (retry)
				for (j = eng->done_head; j; j = j->next)
					if (j->in_tx || j->res.code == FL_ERETRY)
						fail_job(j, &broken);
			answer_waiters(eng, true);
		} else if (retry) {
			retry_singly(eng, draining);
		}
	}
	deliver(eng);
}

/* Final flush of lastSeen values at shutdown. */
static void final_flush(struct fl_engine *eng)
{
	struct fl_error err = FL_ERROR_INIT;

	if (fl_store_begin(eng->wst, &err) != FL_OK || flush_last_seen(eng, true, &err) != FL_OK ||
	    fl_store_commit(eng->wst, &err) != FL_OK) {
		FL_LOG_E(NULL, "cannot save lastSeen of packs at shutdown: %s", err.msg);
		fl_store_rollback(eng->wst, NULL);
	}
}

/* ----------------------------------------------------------- thread */

/* Store housekeeping (WAL checkpoint) after the callbacks of a batch went out. */
static void maintain_store(struct fl_engine *eng)
{
	struct fl_error err = FL_ERROR_INIT;

	if (fl_store_maintain(eng->wst, &err) != FL_OK)
		FL_LOG_W(NULL, "store maintenance failed: %s", err.msg);
}

static int64_t next_deadline(struct fl_engine *eng, int64_t now)
{
	int64_t dl = now + EXPIRE_INTERVAL_NS;

	if (eng->dhead)
		dl = FL_MIN(dl, eng->dhead->deadline);
	if (eng->flush_due)
		dl = FL_MIN(dl, eng->flush_due);
	if (eng->expire_due)
		dl = FL_MIN(dl, eng->expire_due);
	if (eng->lease_due)
		dl = FL_MIN(dl, eng->lease_due);
	if (eng->reload_due)
		dl = FL_MIN(dl, eng->reload_at);
	if (eng->dead_due_wall) {
		int64_t wall = fl_time_now_ns();
		dl = FL_MIN(dl, now + FL_MAX(eng->dead_due_wall - wall, 0));
	}
	return dl;
}

static void *writer_main(void *arg)
{
	struct fl_engine *eng = arg;
	bool stopping = false, more, kick;

	do {
		struct fl_engine_job *batch, *last;
		size_t n = 0;

		pthread_mutex_lock(&eng->mu);
		/* when stopping, wait only for the jobs still at the render threads */
		while (!eng->qhead && !eng->notes && !eng->kick && (!eng->stopping || eng->deferred)) {
			int64_t now = fl_time_mono_ns(), dl = next_deadline(eng, now);
			struct timespec ts;
			if (dl <= now)
				break;
			ts.tv_sec = (time_t)(dl / FL_NS_PER_SEC);
			ts.tv_nsec = (long)(dl % FL_NS_PER_SEC);
			pthread_cond_timedwait(&eng->cond, &eng->mu, &ts);
		}
		batch = eng->qhead;
		last = NULL;
		for (struct fl_engine_job *j = batch; j && n < eng->cfg.max_batch; j = j->next, n++)
			last = j;
		if (last) {
			eng->qhead = last->next;
			if (!eng->qhead)
				eng->qtail = NULL;
			last->next = NULL;
		}
		stopping = eng->stopping;
		more = eng->qhead != NULL || eng->deferred;
		kick = eng->kick;
		eng->kick = false;
		pthread_mutex_unlock(&eng->mu);
		if (kick) {
			eng->expire_phase = 0;
			eng->expire_due = fl_time_mono_ns();
			if (eng->cfg.delete_dead_packs)
				eng->dead_due_wall = fl_time_now_ns();
		}
		eng->draining = stopping; /* no new parked takes while draining */
		run_batch(eng, last ? batch : NULL, stopping, false);
		maintain_store(eng);
		if (stopping) {
			/* the batch may have sent jobs to the render threads */
			pthread_mutex_lock(&eng->mu);
			more = eng->qhead != NULL || eng->deferred;
			pthread_mutex_unlock(&eng->mu);
		}
	} while (!stopping || more);
	answer_waiters(eng, true);
	deliver(eng);
	final_flush(eng);
	return NULL;
}

int fl_engine__writer_start(struct fl_engine *eng, struct fl_error *err)
{
	int rc;

	eng->expire_due = fl_time_mono_ns() + EXPIRE_FIRST_NS;
	if (eng->cfg.delete_dead_packs)
		eng->dead_due_wall = next_local_time(eng->cfg.dead_pack_hour, eng->cfg.dead_pack_min, fl_time_now_ns());
	rc = pthread_create(&eng->writer, NULL, writer_main, eng);
	if (rc)
		return fl_error_set(err, FL_ERROR, "cannot start the writer thread: %s", strerror(rc));
	eng->started = true;
	return FL_OK;
}
