/* SPDX-License-Identifier: Apache-2.0 */
/*
 * driver.c - what the store drivers share: row decoding, the explanation of
 * a missed update, the audit query's shape, expiry lists (see driver.h).
 */
#include "fl-common.h"

#include "alloc.h"
#include "store/driver.h"

char *fl_store__col(const struct fl_store__row *r, int col)
{
	size_t len = 0;
	const char *p = r->text(r, col, &len);

	return p ? fl_xmemdup0(p, len) : NULL;
}

char *fl_store__col_nn(const struct fl_store__row *r, int col)
{
	char *p = fl_store__col(r, col);

	return p ? p : fl_xstrdup("");
}

void fl_store__read_action(struct fl_store_action *a, const struct fl_store__row *r)
{
	a->seq = r->integer(r, 0);
	a->id = fl_store__col_nn(r, 1);
	a->correlation_id = fl_store__col_nn(r, 2);
	a->step_id = fl_store__col_nn(r, 3);
	a->flow_name = fl_store__col_nn(r, 4);
	a->flow_uuid = fl_store__col_nn(r, 5);
	a->name = fl_store__col_nn(r, 6);
	a->pack_name = fl_store__col_nn(r, 7);
	a->pack_labels = fl_store__col(r, 8);
	a->input = fl_store__col(r, 9);
	if (!a->input)
		a->input = fl_xstrdup("null");
	a->context = fl_store__col(r, 10);
	a->trigger = fl_store__col_nn(r, 11);
	a->result = fl_store__col(r, 12);
	a->state = (int)r->integer(r, 13);
	a->state_time = r->integer(r, 14);
	a->states = fl_store__col_nn(r, 15);
	a->attempt = r->integer(r, 16);
	a->lease_until = r->integer(r, 17);
	a->expired = r->integer(r, 18) != 0;
	a->taken_by = fl_store__col(r, 19);
	a->refused = fl_store__col(r, 20);
}

void fl_store__read_pack(struct fl_store_pack *p, const struct fl_store__row *r)
{
	p->id = fl_store__col_nn(r, 0);
	p->name = fl_store__col_nn(r, 1);
	p->def = fl_store__col_nn(r, 2);
	p->last_seen = r->integer(r, 3);
}

void fl_store__read_flow(struct fl_store_flow *f, const struct fl_store__row *r)
{
	f->uuid = fl_store__col_nn(r, 0);
	f->name = fl_store__col_nn(r, 1);
	f->description = fl_store__col(r, 2);
	f->def = fl_store__col(r, 3);
	f->created = r->integer(r, 4);
}

void fl_store__read_ds_head(struct fl_store_ds_item *it, const struct fl_store__row *r)
{
	it->key = fl_store__col_nn(r, 0);
	it->content_type = fl_store__col_nn(r, 1);
	it->description = fl_store__col(r, 2);
	it->value = NULL;
	it->value_len = 0;
}

int fl_store__action_miss(struct fl_error *err, const char *id, int want_state, int64_t attempt, bool found,
			  int state, int64_t cur_attempt, bool expired)
{
	if (!found)
		return fl_error_set(err, FL_ENOTFOUND, "action '%s' not found", id);
	if (expired)
		return fl_error_set(err, FL_ENOTFOUND, "action '%s' has expired", id);
	if (state != want_state)
		return fl_error_set(err, FL_ECONFLICT, "action '%s' is in state %s, not %s", id,
				    fl_store_state_name(state), fl_store_state_name(want_state));
	return fl_error_set(err, FL_ECONFLICT, "action '%s': attempt %" PRId64 " is stale (current %" PRId64 ")", id,
			    attempt, cur_attempt);
}

int fl_store__final_state(struct fl_error *err, const char *id, int state)
{
	if (state == FL_ACTION_SUCCESS || state == FL_ACTION_FATAL)
		return FL_OK;
	return fl_error_set(err, FL_EMISUSE, "cannot complete action '%s' with state %s", id, fl_store_state_name(state));
}

/* Add a parameter to the list; its number (from 1). */
static int add(struct fl_store__param *params, int *n, const char *text, int64_t num)
{
	params[*n].text = text;
	params[*n].num = num;
	return ++*n;
}

/* The placeholder of parameter i. */
static void ph(struct fl_buf *sql, const struct fl_store__dialect *d, int i)
{
	fl_buf_addf(sql, "%c%d", d->param, i);
}

/*
 * The key of the page before (keyset paging): (time, correlation id)
 * strictly below, in the order of the list.  The redundant "time <= t"
 * bounds the index scan (PostgreSQL does not derive it from the OR).
 */
static void after(struct fl_buf *sql, struct fl_store__param *params, int *n, const struct fl_store__dialect *d,
		  const char *time_expr, const char *corr_expr, const struct fl_store_audit_query *aq)
{
	int t = add(params, n, NULL, aq->after_time), c = add(params, n, aq->after_corr ? aq->after_corr : "", 0);

	fl_buf_addf(sql, " AND %s <= %c%d AND (%s < %c%d OR (%s = %c%d AND %s%s < %c%d))", time_expr, d->param, t,
		    time_expr, d->param, t, time_expr, d->param, t, corr_expr, d->collate, d->param, c);
}

/* The action filters of a query: the number of each one's parameter (0: not set). */
enum { F_FLOW, F_STEP, F_NAME, F_PACK, F__EQ };
struct action_filters {
	int eq[F__EQ]; /* equal to a column */
	int labels;    /* the action's labels include them */
};

/* " AND <alias>.<column> = <param>" for each filter that is set. */
static void action_where(struct fl_buf *sql, const struct action_filters *f, char alias,
			 const struct fl_store__dialect *d)
{
	static const char *const column[F__EQ] = { "flow_name", "step_id", "name", "pack_name" };

	for (int i = 0; i < F__EQ; i++)
		if (f->eq[i])
			fl_buf_addf(sql, " AND %c.%s = %c%d", alias, column[i], d->param, f->eq[i]);
	if (f->labels) {
		char p[16], a[3] = { alias, '.', 0 };
		snprintf(p, sizeof(p), "%c%d", d->param, f->labels);
		fl_buf_adds(sql, " AND ");
		fl_buf_addf(sql, d->labels_match, p, a);
	}
}

/*
 * Filtered by action fields, an execution is listed at the time of its
 * latest matching action.  The query walks the matching actions newest
 * first (an index ending in state_time gives that order without a sort)
 * and keeps an action only when no other matching action of its execution
 * is newer (a lookup of that execution's few actions through actions_step,
 * never a range of the filter's index): the first occurrence of each
 * execution, which comes out in the order of the list, and the scan stops
 * at the LIMIT.  With a keyset cursor, an execution whose latest matching
 * action is above the cursor was listed on an earlier page: its older
 * actions below the cursor fail the same test.  Ties within one execution
 * (equal state times) keep the action with the highest seq.
 */
static void by_actions(struct fl_buf *sql, struct fl_store__param *params, int *n, const struct fl_store__dialect *d,
		       const struct fl_store_audit_query *aq)
{
	struct action_filters f = { 0 };
	const char *const value[F__EQ] = { aq->flow_name, aq->step_id, aq->action_name, aq->action_pack_name };

	for (int i = 0; i < F__EQ; i++)
		if (value[i])
			f.eq[i] = add(params, n, value[i], 0);
	if (aq->action_pack_labels)
		f.labels = add(params, n, aq->action_pack_labels, 0);
	fl_buf_adds(sql, "SELECT a.correlation_id, a.state_time AS t FROM actions a WHERE true");
	action_where(sql, &f, 'a', d);
	if (aq->after)
		after(sql, params, n, d, "a.state_time", "a.correlation_id", aq);
	fl_buf_addf(sql, " AND NOT EXISTS (SELECT 1 FROM %s WHERE b.correlation_id = a.correlation_id",
		    d->exec_actions);
	action_where(sql, &f, 'b', d);
	fl_buf_adds(sql, " AND (b.state_time > a.state_time OR (b.state_time = a.state_time AND b.seq > a.seq)))");
	fl_buf_addf(sql, " ORDER BY a.state_time DESC, a.correlation_id%s DESC", d->collate);
}

int fl_store__audit_sql(struct fl_buf *sql, struct fl_store__param params[FL_STORE__AUDIT_PARAMS], int *nparams,
			const struct fl_store_audit_query *aq, const struct fl_store__dialect *d, struct fl_error *err)
{
	int n = 0;

	*nparams = 0;
	if (aq->start < 0 || aq->limit <= 0)
		return fl_error_set(err, FL_EINVALID, "audit query needs start >= 0 and limit > 0");
	if (aq->step_id || aq->action_name || aq->action_pack_name || aq->action_pack_labels) {
		by_actions(sql, params, &n, d, aq);
	} else {
		/* every action of an execution matches: its latest state time is the execution's */
		fl_buf_adds(sql, "SELECT correlation_id, latest_time AS t FROM executions WHERE true");
		if (aq->flow_name) {
			fl_buf_adds(sql, " AND flow_name = ");
			ph(sql, d, add(params, &n, aq->flow_name, 0));
		}
		if (aq->after)
			after(sql, params, &n, d, "latest_time", "correlation_id", aq);
		fl_buf_addf(sql, " ORDER BY t DESC, correlation_id%s DESC", d->collate);
	}
	fl_buf_adds(sql, " LIMIT ");
	ph(sql, d, add(params, &n, NULL, aq->limit));
	fl_buf_adds(sql, " OFFSET ");
	ph(sql, d, add(params, &n, NULL, aq->after ? 0 : aq->start));
	*nparams = n;
	if (fl_buf_failed(sql))
		return fl_error_set(err, FL_ENOMEM, "cannot build the audit query");
	return FL_OK;
}

int fl_store__collect_seq(const struct fl_store_action *a, void *payload)
{
	struct fl_store__seqs *l = payload;
	int stop = l->cb ? l->cb(a, l->payload) : 0;

	FL_GROW(l->v, l->cap, l->n + 1);
	l->v[l->n++] = a->seq;
	return stop;
}
