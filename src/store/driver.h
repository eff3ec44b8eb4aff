/* SPDX-License-Identifier: Apache-2.0 */
/*
 * driver.h - what the store drivers share (driver.c): turning a result row
 * into the row structs of store.h, the explanation of an update on an
 * action that matched nothing, the shape of the audit query, and the list
 * of rows an expiry job collects before changing them.
 *
 * Each driver keeps its own SQL and reaches its rows through a
 * struct fl_store__row, so the decoding is written once.  Only the
 * drivers include this header.
 */
#ifndef FL_STORE_DRIVER_H
#define FL_STORE_DRIVER_H

#include "buf.h"
#include "error.h"
#include "fl-common.h"
#include "store/store.h"

/*
 * The prepared statements every driver has (the SQL text is each driver's
 * own): drivers list them in their enum of statements with
 * FL_STORE__STMTS(their macro), then their own.
 */
#define FL_STORE__STMTS(X) \
	X(PING) X(PACK_EXISTS) X(PACK_UPSERT) X(PACK_GET) \
	X(PACK_LIST) X(PACK_DELETE) X(PACK_DELETE_STALE) X(PACK_TOUCH) \
	X(FLOW_EXISTS) X(FLOW_VERSION_INSERT) X(FLOW_LATEST_SET) X(FLOW_GET) \
	X(FLOW_GET_VERSION) X(FLOW_LIST) X(FLOW_LIST_DEF) X(FLOW_DELETE) \
	X(ACTION_INSERT) X(ACTION_CLAIM_ID) X(ACTION_CLAIM_FIND) X(ACTION_REQUEUE) \
	X(ACTION_EXTEND) X(LEASE_EXPIRED) X(LEASE_NEXT) X(ACTION_REFUSE) \
	X(ACTION_FINISH) X(ACTION_GET) X(ACTION_STATE) X(ACTION_LOAD_NEW) \
	X(EXEC_STEPS) X(AUDIT_ACTIONS) X(DS_EXISTS) X(DS_PUT) \
	X(DS_GET) X(DS_LIST) X(DS_DELETE) X(EXPIRE_OPEN_SELECT) \
	X(EXPIRE_OPEN_MARK) X(EXPIRE_EXEC_SELECT) X(EXPIRE_EXEC_ACTIONS) X(EXPIRE_EXEC_DELETE) \
	X(EXPIRE_FLOW_VERSIONS)

/* One result row of a driver, read column by column (0-based). */
struct fl_store__row {
	/* the text of a column and its length, NULL for SQL NULL (borrowed until the next row) */
	const char *(*text)(const struct fl_store__row *r, int col, size_t *len);
	int64_t (*integer)(const struct fl_store__row *r, int col); /* 0 for SQL NULL */
	void *res; /* the driver's statement or result */
	int row;
};

/* Copy of a text column: NULL for SQL NULL / "" for SQL NULL (_nn). */
char *fl_store__col(const struct fl_store__row *r, int col);
char *fl_store__col_nn(const struct fl_store__row *r, int col);

/*
 * The row structs from a row whose columns are, in order:
 *  action: seq, id, correlation_id, step_id, flow_name, flow_uuid, name,
 *          pack_name, pack_labels, input, context, trigger, result, state,
 *          state_time, states (text), attempt, lease_until, expired (0/1),
 *          taken_by, refused (text)
 *  pack:   id, name, def, last_seen
 *  flow:   uuid, name, description, def, created
 *  ds:     key, content_type, description (value: the driver's own)
 */
void fl_store__read_action(struct fl_store_action *a, const struct fl_store__row *r);
void fl_store__read_pack(struct fl_store_pack *p, const struct fl_store__row *r);
void fl_store__read_flow(struct fl_store_flow *f, const struct fl_store__row *r);
void fl_store__read_ds_head(struct fl_store_ds_item *it, const struct fl_store__row *r);

/*
 * Why a conditional update of action `id` (expected in want_state, fenced
 * by attempt) changed nothing, from what the action is now: not found
 * (FL_ENOTFOUND: found false, or expired), in another state or held by
 * another attempt (FL_ECONFLICT).  Returns the code set in err.
 */
int fl_store__action_miss(struct fl_error *err, const char *id, int want_state, int64_t attempt, bool found,
			  int state, int64_t cur_attempt, bool expired);

/* FL_OK for SUCCESS and FATAL, the only states that finish an action; FL_EMISUSE otherwise. */
int fl_store__final_state(struct fl_error *err, const char *id, int state);

/* ------------------------------------------------------------- audit */

/* How one database writes the audit query. */
struct fl_store__dialect {
	char param;               /* placeholder prefix: '?' (SQLite, ?N) or '$' (PostgreSQL, $N) */
	/* condition "labels of the parameter (first %s) are a subset of the action's" (second %s:
	 * the table alias and a dot, before the column) */
	const char *labels_match;
	const char *collate;      /* after correlation_id in comparisons and ORDER BY: "" or " COLLATE \"C\"" */
	/* the audit's table "b" of the other actions of execution a.correlation_id, written so
	 * that the lookup goes through actions_step (correlation_id, ...), never the filter's index */
	const char *exec_actions;
};

struct fl_store__param {
	const char *text; /* NULL: the integer */
	int64_t num;
};

#define FL_STORE__AUDIT_PARAMS 10

/*
 * The audit query of store.h (audit_query) as SQL text in `sql` and its
 * parameters in order (numbered from 1); two columns come back:
 * correlation_id and its sort time.  FL_EINVALID for a bad start or limit,
 * FL_ENOMEM when the text cannot be built.
 */
int fl_store__audit_sql(struct fl_buf *sql, struct fl_store__param params[FL_STORE__AUDIT_PARAMS], int *nparams,
			const struct fl_store_audit_query *aq, const struct fl_store__dialect *d, struct fl_error *err);

/* ------------------------------------------------------------ expiry */

/* The seq of every row an expiry job selects (fl_store_action_fn), handed to cb on the way. */
struct fl_store__seqs {
	int64_t *v;
	size_t n, cap;
	fl_store_action_fn cb;
	void *payload;
};
int fl_store__collect_seq(const struct fl_store_action *a, void *payload);

#endif
