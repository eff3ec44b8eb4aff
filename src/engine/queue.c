/* SPDX-License-Identifier: Apache-2.0 */
/*
 * queue.c - the take queues: NEW actions indexed by pack name, labels and
 * command, so that a take finds the oldest action it may take at a cost
 * that does not grow with what is queued in front of it.
 *
 * Per pack name a struct fl_engine_pqueue holds groups: one per (label set,
 * command), each a list of entries in creation (seq) order.  An action can
 * go to a taker whose labels are a superset of the action's labels, so a
 * take enumerates the subsets of its own labels (2^k for k labels, k is
 * small in practice; above FL_QUEUE_MAX_SUBSET_LABELS it walks the label sets
 * instead), looks each one up, and compares the heads of the matching groups.
 * With a command filter one lookup per subset suffices; without one, every
 * command of a label set is a group to compare.  The cost is bounded by the
 * number of distinct label sets and commands, never by the backlog.
 *
 * A label set is keyed by a canonical text: the labels sorted by key, each
 * written as "<len>:<key><len>:<value>", so that equal sets have equal keys
 * whatever their order, and no key or value can forge another set's key.
 *
 * Writer thread only, like the rest of the in-memory state.
 */
#include "fl-common.h"

#include <jansson.h>

#include "alloc.h"
#include "buf.h"
#include "engine-int.h"
#include "packdef.h"

/* Takers with more labels than this walk the label sets instead of enumerating subsets. */
#define FL_QUEUE_MAX_SUBSET_LABELS 10

/* The NEW actions of one label set and command, oldest first. */
struct fl_engine_qgroup {
	struct fl_engine_qent *head, *tail;
	struct fl_engine_qlabels *ls;
	struct fl_engine_qgroup *lprev, *lnext; /* in ls->groups */
	char *key;                              /* labels key + '\0' + command */
	size_t keylen;
};

/* Every group of one label set (all commands). */
struct fl_engine_qlabels {
	struct fl_engine_qgroup *groups;
	json_t *labels; /* NULL when the set is empty */
	char *key;
	size_t keylen;
};

/* --------------------------------------------------------- label keys */

struct label_pair {
	const char *k, *v;
	size_t kl, vl;
};

static int pair_cmp(const void *a, const void *b)
{
	const struct label_pair *x = a, *y = b;
	int c = memcmp(x->k, y->k, FL_MIN(x->kl, y->kl));

	return c ? c : (x->kl > y->kl) - (x->kl < y->kl);
}

/* The labels of an object as pairs sorted by key (*out freed by the caller); non-strings are skipped. */
static size_t sorted_pairs(const json_t *labels, struct label_pair **out)
{
	size_t n = 0, cap = json_is_object(labels) ? json_object_size(labels) : 0;
	const char *k;
	json_t *v;

	*out = cap ? fl_xcalloc(cap, sizeof(**out)) : NULL;
	if (!cap)
		return 0;
	json_object_foreach ((json_t *)labels, k, v) {
		if (!json_is_string(v))
			continue;
		(*out)[n++] = (struct label_pair){ k, json_string_value(v), strlen(k), json_string_length(v) };
	}
	qsort(*out, n, sizeof(**out), pair_cmp);
	return n;
}

/* Append the canonical key of the pairs selected by mask (all when mask == UINT64_MAX). */
static void add_key(struct fl_buf *b, const struct label_pair *p, size_t n, uint64_t mask)
{
	for (size_t i = 0; i < n; i++) {
		if (!(mask & (UINT64_C(1) << i)))
			continue;
		fl_buf_addf(b, "%zu:", p[i].kl);
		fl_buf_add(b, p[i].k, p[i].kl);
		fl_buf_addf(b, "%zu:", p[i].vl);
		fl_buf_add(b, p[i].v, p[i].vl);
	}
}

static void labels_key(struct fl_buf *b, const json_t *labels)
{
	struct label_pair *p = NULL;
	size_t n = sorted_pairs(labels, &p);

	add_key(b, p, n, UINT64_MAX);
	free(p);
}

/* ------------------------------------------------------------ entries */

struct fl_engine_qent *fl_engine__qent_new(int64_t seq, const char *id, const char *name, const char *pack_name,
					   json_t *labels)
{
	struct fl_engine_qent *e = fl_xcalloc(1, sizeof(*e));

	e->seq = seq;
	e->id = fl_xstrdup(id);
	e->name = fl_xstrdup(name);
	e->pack_name = fl_xstrdup(pack_name);
	if (json_is_object(labels) && json_object_size(labels))
		e->labels = json_incref(labels);
	return e;
}

struct fl_engine_qent *fl_engine__qent_from_row(const struct fl_store_action *a)
{
	json_t *labels = a->pack_labels ? json_loads(a->pack_labels, 0, NULL) : NULL;
	struct fl_engine_qent *e = fl_engine__qent_new(a->seq, a->id, a->name, a->pack_name, labels);

	json_decref(labels);
	return e;
}

void fl_engine__qent_free(struct fl_engine_qent *e)
{
	if (!e)
		return;
	free(e->id);
	free(e->name);
	free(e->pack_name);
	json_decref(e->labels);
	free(e);
}

/* ------------------------------------------------------------- queues */

static void pqueue_free(void *p)
{
	struct fl_engine_pqueue *q = p;

	if (!q)
		return;
	fl_engine__queue_clear_one(q);
	fl_strmap_free(q->groups, NULL);
	fl_strmap_free(q->labelsets, NULL);
	free(q);
}

struct fl_engine_pqueue *fl_engine__queue_get(struct fl_engine *eng, const char *pack_name)
{
	struct fl_engine_pqueue *q = fl_strmap_gets(eng->queues, pack_name);

	if (!q) {
		q = fl_xcalloc(1, sizeof(*q));
		q->groups = fl_strmap_new();
		q->labelsets = fl_strmap_new();
		fl_strmap_set(eng->queues, pack_name, strlen(pack_name), q);
	}
	return q;
}

static struct fl_engine_qgroup *group_get(struct fl_engine_pqueue *q, const struct fl_engine_qent *e)
{
	struct fl_buf k = FL_BUF_INIT(0);
	struct fl_engine_qgroup *g;
	struct fl_engine_qlabels *ls;
	size_t lkeylen;

	labels_key(&k, e->labels);
	lkeylen = k.len;
	fl_buf_addc(&k, '\0');
	fl_buf_adds(&k, e->name);
	g = fl_strmap_get(q->groups, k.ptr, k.len);
	if (g) {
		fl_buf_release(&k);
		return g;
	}
	ls = fl_strmap_get(q->labelsets, k.ptr, lkeylen);
	if (!ls) {
		ls = fl_xcalloc(1, sizeof(*ls));
		ls->labels = json_incref(e->labels);
		ls->key = fl_xmemdup0(k.ptr, lkeylen);
		ls->keylen = lkeylen;
		fl_strmap_set(q->labelsets, ls->key, ls->keylen, ls);
	}
	g = fl_xcalloc(1, sizeof(*g));
	g->ls = ls;
	g->keylen = k.len;
	g->key = fl_buf_detach(&k, NULL);
	g->lnext = ls->groups;
	if (ls->groups)
		ls->groups->lprev = g;
	ls->groups = g;
	fl_strmap_set(q->groups, g->key, g->keylen, g);
	return g;
}

static void group_drop(struct fl_engine_pqueue *q, struct fl_engine_qgroup *g)
{
	struct fl_engine_qlabels *ls = g->ls;

	fl_strmap_remove(q->groups, g->key, g->keylen);
	if (g->lprev)
		g->lprev->lnext = g->lnext;
	else
		ls->groups = g->lnext;
	if (g->lnext)
		g->lnext->lprev = g->lprev;
	if (!ls->groups) {
		fl_strmap_remove(q->labelsets, ls->key, ls->keylen);
		json_decref(ls->labels);
		free(ls->key);
		free(ls);
	}
	free(g->key);
	free(g);
}

void fl_engine__queue_add(struct fl_engine *eng, struct fl_engine_qent *e)
{
	struct fl_engine_pqueue *q = fl_engine__queue_get(eng, e->pack_name);
	struct fl_engine_qgroup *g = group_get(q, e);
	struct fl_engine_qent *after = g->tail;

	/* seq order; new actions go to the tail, released ones walk back a little */
	while (after && after->seq > e->seq)
		after = after->prev;
	e->q = q;
	e->g = g;
	e->prev = after;
	e->next = after ? after->next : g->head;
	if (e->next)
		e->next->prev = e;
	else
		g->tail = e;
	if (after)
		after->next = e;
	else
		g->head = e;
	q->n++;
	fl_strmap_set(eng->qents, e->id, strlen(e->id), e);
}

void fl_engine__queue_remove(struct fl_engine *eng, struct fl_engine_qent *e)
{
	struct fl_engine_pqueue *q = e->q;
	struct fl_engine_qgroup *g = e->g;

	if (e->prev)
		e->prev->next = e->next;
	else
		g->head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		g->tail = e->prev;
	q->n--;
	if (!g->head)
		group_drop(q, g);
	fl_strmap_remove(eng->qents, e->id, strlen(e->id));
	fl_engine__qent_free(e);
}

/* The older of best and the head of the group for (labels key, command); command NULL = any. */
static struct fl_engine_qent *older_head(struct fl_engine_pqueue *q, struct fl_buf *key, const char *command,
					 struct fl_engine_qent *best)
{
	struct fl_engine_qlabels *ls;
	struct fl_engine_qgroup *g;

	if (command) {
		size_t base = key->len;
		fl_buf_addc(key, '\0');
		fl_buf_adds(key, command);
		g = fl_strmap_get(q->groups, key->ptr, key->len);
		fl_buf_truncate(key, base);
		if (g && (!best || g->head->seq < best->seq))
			best = g->head;
		return best;
	}
	ls = fl_strmap_get(q->labelsets, key->ptr, key->len);
	for (g = ls ? ls->groups : NULL; g; g = g->lnext)
		if (!best || g->head->seq < best->seq)
			best = g->head;
	return best;
}

struct walk_ctx {
	struct fl_engine_pqueue *q;
	const json_t *labels;
	const char *command;
	struct fl_engine_qent *best;
	struct fl_buf key;
};

static int walk_labelset(const char *key, size_t keylen, void *val, void *payload)
{
	struct walk_ctx *w = payload;
	struct fl_engine_qlabels *ls = val;

	if (!fl_packdef_labels_subset(ls->labels, w->labels))
		return 0;
	fl_buf_reset(&w->key);
	fl_buf_add(&w->key, key, keylen);
	w->best = older_head(w->q, &w->key, w->command, w->best);
	return 0;
}

struct fl_engine_qent *fl_engine__queue_find(struct fl_engine *eng, const char *pack_name, const json_t *labels,
					     const char *command)
{
	struct fl_engine_pqueue *q = fl_strmap_gets(eng->queues, pack_name);
	struct fl_engine_qent *best = NULL;
	struct label_pair *p = NULL;
	struct fl_buf key = FL_BUF_INIT(0);
	size_t n;

	if (!q || !q->n)
		return NULL;
	n = sorted_pairs(labels, &p);
	if (n > FL_QUEUE_MAX_SUBSET_LABELS) {
		struct walk_ctx w = { q, labels, command, NULL, FL_BUF_INIT(0) };
		fl_strmap_each(q->labelsets, walk_labelset, &w);
		fl_buf_release(&w.key);
		free(p);
		return w.best;
	}
	for (uint64_t mask = 0; mask < (UINT64_C(1) << n); mask++) {
		fl_buf_reset(&key);
		add_key(&key, p, n, mask);
		best = older_head(q, &key, command, best);
	}
	fl_buf_release(&key);
	free(p);
	return best;
}

struct group_list {
	struct fl_engine_qgroup **v;
	size_t n;
};

static int collect_group(const char *key, size_t keylen, void *val, void *payload)
{
	struct group_list *l = payload;

	(void)key;
	(void)keylen;
	l->v[l->n++] = val;
	return 0;
}

void fl_engine__queue_clear_one(struct fl_engine_pqueue *q)
{
	struct group_list l = { NULL, 0 };

	if (!fl_strmap_count(q->groups))
		return;
	l.v = fl_xcalloc(fl_strmap_count(q->groups), sizeof(*l.v));
	fl_strmap_each(q->groups, collect_group, &l);
	for (size_t i = 0; i < l.n; i++) {
		struct fl_engine_qent *e = l.v[i]->head, *nx;
		for (; e; e = nx) {
			nx = e->next;
			fl_engine__qent_free(e);
		}
		group_drop(q, l.v[i]);
	}
	free(l.v);
	q->n = 0;
}

static int clear_queue_cb(const char *key, size_t keylen, void *val, void *payload)
{
	(void)key;
	(void)keylen;
	(void)payload;
	fl_engine__queue_clear_one(val);
	return 0;
}

void fl_engine__queues_clear(struct fl_engine *eng)
{
	fl_strmap_each(eng->queues, clear_queue_cb, NULL);
	fl_strmap_clear(eng->qents, NULL);
}

void fl_engine__queues_free(struct fl_engine *eng)
{
	fl_engine__queues_clear(eng);
	fl_strmap_free(eng->queues, pqueue_free);
	fl_strmap_free(eng->qents, NULL);
	eng->queues = eng->qents = NULL;
}
