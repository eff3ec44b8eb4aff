/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store.h - the durable store as seen by the engine: one vtable per driver.
 *
 * A struct fl_store is one connection to a database.  It is not thread-safe:
 * the engine's writer thread owns the read-write handle, and each reader
 * borrows a read-only handle from a pool.  Every driver fills a
 * `const struct fl_store_ops` (name, abi_version, function pointers) and is
 * listed in the registry of store.c; the engine calls only the static inline
 * fl_store_*() wrappers below, so tracing or fault injection hook in here.
 *
 * Conventions of every operation:
 *  - return FL_OK or a negative code from error.h with err set;
 *  - `out` parameters come first; out structs are owned by the caller and
 *    released with the matching fl_store_*_release();
 *  - callbacks get borrowed rows valid during the call; a non-zero return
 *    from a callback stops the iteration and is returned by the operation;
 *  - times are int64 nanoseconds since the Unix epoch (UTC);
 *  - JSON-valued fields (pack definitions, labels, inputs, contexts, events)
 *    are passed as compact JSON text; the store keeps them verbatim.
 *
 * Writes happen only between begin() and commit(); the engine wraps every job
 * in savepoint()/savepoint_release()/savepoint_rollback() so that one failing job does not
 * undo the others of its batch.
 */
#ifndef FL_STORE_H
#define FL_STORE_H

#include "error.h"
#include "fl-common.h"

#define FL_STORE_ABI_VERSION 4

/* Action states; the numbers are stored, the names are the wire values. */
enum fl_action_state {
	FL_ACTION_NEW = 0,
	FL_ACTION_PENDING = 1,
	FL_ACTION_SUCCESS = 2,
	FL_ACTION_FATAL = 3,
};

/* "NEW", "PENDING", "SUCCESS", "FATAL"; "UNKNOWN" otherwise. */
const char *fl_store_state_name(int state);
/* Inverse of fl_store_state_name; -1 when unknown. */
int fl_store_state_parse(const char *name);

enum fl_store_open_flags {
	FL_STORE_READONLY = (1 << 0), /* query-only connection; never migrates, never locks */
	FL_STORE_LISTEN = (1 << 1),   /* a connection that only waits for notifications (shared drivers) */
};

struct fl_store_ops;

/* A connection.  Drivers embed this as the first member of their handle. */
struct fl_store {
	const struct fl_store_ops *ops;
};

/* ----------------------------------------------------------------- rows */

struct fl_store_pack {
	char *id;
	char *name;
	char *def;         /* JSON object: {"name","labels"?,"commands"?,"events"?,"links"?} */
	int64_t last_seen; /* ns */
};
void fl_store_pack_release(struct fl_store_pack *p);

struct fl_store_flow {
	char *uuid;
	char *name;
	char *description; /* NULL when none */
	char *def;         /* normalised flow definition (JSON object), NULL in name-only listings */
	int64_t created;   /* ns */
};
void fl_store_flow_release(struct fl_store_flow *f);

/* A new action, as inserted by the engine (all strings borrowed). */
struct fl_store_action_new {
	const char *id; /* 24-hex oid */
	const char *correlation_id;
	const char *step_id; /* "" when the step has no id */
	const char *flow_name;
	const char *flow_uuid;
	const char *name;        /* command name */
	const char *pack_name;   /* target pack name */
	const char *pack_labels; /* JSON object or NULL */
	const char *input;       /* JSON value, NULL means null */
	const char *context;     /* JSON object or NULL */
	const char *trigger;     /* JSON object (the event that caused it) */
	int64_t created;         /* time of the first state */
	/*
	 * FL_ACTION_NEW (0, the default): an action to take.  FL_ACTION_FATAL: a
	 * record of a step that could not run, finished from the start with
	 * `result` (JSON object); it is never queued nor announced.
	 */
	int state;
	const char *result;
};

/* An action row as read back (every string owned, freed by release). */
struct fl_store_action {
	int64_t seq; /* insertion order, increasing */
	char *id;
	char *correlation_id;
	char *step_id;
	char *flow_name;
	char *flow_uuid;
	char *name;
	char *pack_name;
	char *pack_labels; /* NULL when none */
	char *input;       /* JSON text, "null" when none */
	char *context;     /* NULL when none */
	char *trigger;
	char *result; /* NULL until finished */
	int state;
	int64_t state_time;
	/* JSON array [{"value":"NEW","time":<ns>}, ...]; a PENDING entry adds the
	 * "attempt" and the taker's pack id ("by"), a NEW entry after a take
	 * the "reason" it went back */
	char *states;
	int64_t attempt;     /* times taken */
	int64_t lease_until; /* 0 = no lease */
	bool expired;        /* past the action TTL: kept for the audit only */
	char *taken_by;      /* pack id of the last take, NULL before the first */
	char *refused;       /* JSON array of results refused for a stale attempt, NULL when none */
};
void fl_store_action_release(struct fl_store_action *a);

/*
 * Claim: move one NEW action to PENDING, attempt + 1, append the state.
 * Either a given action id, or the oldest NEW action (by seq) of pack_name
 * whose labels are a subset of pack_labels and whose name equals command.
 */
struct fl_store_claim {
	const char *action_id;   /* NULL: search by the fields below */
	const char *pack_name;   /* required when action_id is NULL */
	const char *pack_labels; /* taker's labels (JSON object) or NULL for none */
	const char *command;     /* NULL: any command */
	const char *taker;       /* pack id of the taker (recorded), may be NULL */
	int64_t now;
	int64_t lease_until; /* stored as is; 0 = no lease */
};

/* A result completing an action, with the pack that sends it (all strings borrowed). */
struct fl_store_finish {
	const char *action_id;
	int64_t attempt;         /* the attempt completing it; < 0: whichever holds it */
	int state;               /* FL_ACTION_SUCCESS or FL_ACTION_FATAL */
	int64_t now;
	const char *result;      /* JSON text of the result event */
	const char *pack_name;   /* the completing pack; NULL: any */
	const char *pack_labels; /* its labels (JSON object), NULL for none */
};

struct fl_store_ds_item {
	char *key;
	char *content_type;
	char *description; /* NULL when none */
	char *value;       /* NUL-terminated for convenience; may contain NULs */
	size_t value_len;
};
void fl_store_ds_item_release(struct fl_store_ds_item *it);

/* Audit: which executions to list (NULL/0 members = no condition). */
struct fl_store_audit_query {
	const char *flow_name;
	const char *step_id;
	const char *action_name;
	const char *action_pack_name;
	const char *action_pack_labels; /* JSON object of required labels, or NULL */
	int64_t start;                  /* executions to skip, >= 0 (ignored when `after` is set) */
	int64_t limit;                  /* max executions, > 0 */
	/* keyset paging: only executions after (after_time, after_corr) in the list's order */
	bool after;
	int64_t after_time;
	const char *after_corr;
};

/* What a shared database tells the other servers (see wait_notify). */
enum fl_store_note_kind {
	FL_STORE_NOTE_ACTION_NEW,   /* an action became NEW (inserted or put back) */
	FL_STORE_NOTE_ACTION_TAKEN, /* an action was claimed */
	FL_STORE_NOTE_CHANGED,      /* packs or flows changed: read `changes` */
	FL_STORE_NOTE_RESYNC,       /* notifications may have been lost: rebuild what they maintain */
};

struct fl_store_note {
	enum fl_store_note_kind kind;
	const char *id;        /* action id (ACTION_*) */
	int64_t seq;           /* ACTION_NEW; 0 when the note is short (read the action instead) */
	const char *pack_name; /* ACTION_NEW, NULL when short */
	const char *command;   /* ACTION_NEW, NULL when short */
	const char *labels;    /* ACTION_NEW: JSON object text or NULL */
};

/* A change made by any server: kind "pack" (key = pack id) or "flow" (key = flow name). */
struct fl_store_change {
	int64_t version;
	const char *kind;
	const char *key;
};

typedef int (*fl_store_note_fn)(const struct fl_store_note *n, void *payload);
typedef int (*fl_store_change_fn)(const struct fl_store_change *c, void *payload);
typedef int (*fl_store_pack_fn)(const struct fl_store_pack *p, void *payload);
typedef int (*fl_store_flow_fn)(const struct fl_store_flow *f, void *payload);
typedef int (*fl_store_action_fn)(const struct fl_store_action *a, void *payload);
typedef int (*fl_store_ds_fn)(const struct fl_store_ds_item *it, void *payload);
/* One execution of an audit query, newest first; latest = its sort key. */
typedef int (*fl_store_corr_fn)(const char *correlation_id, int64_t latest, void *payload);
/* Step id and state of one action of an execution. */
typedef int (*fl_store_step_fn)(const char *step_id, int state, void *payload);

/* --------------------------------------------------------------- vtable */

/* What a driver is. */
enum fl_store_caps {
	/*
	 * Several servers may use the database at once: the driver takes no
	 * process lock, claims are safe across servers, it sends notifications
	 * (wait_notify) and keeps a change log (changes), and try_lock elects one
	 * server for periodic work.
	 */
	FL_STORE_SHARED = (1 << 0),
	/*
	 * A statement that fails is undone alone and the transaction goes on
	 * (SQLite).  Without it (PostgreSQL) a failed statement aborts the whole
	 * transaction, so only a savepoint keeps the other jobs of a batch.
	 */
	FL_STORE_STMT_ROLLBACK = (1 << 1),
};

struct fl_store_ops {
	const char *name;
	int abi_version; /* FL_STORE_ABI_VERSION the driver was written for */
	unsigned caps;   /* enum fl_store_caps */

	/*
	 * Open a connection to `path`.  Read-write opens create the database,
	 * take the exclusive process lock (FL_ECONFLICT "database '<path>' is in
	 * use by another flyte process") and migrate the schema.
	 */
	int (*open)(struct fl_store **out, const char *path, unsigned flags, struct fl_error *err);
	void (*close)(struct fl_store *st);
	/* Bring the schema to the newest version (idempotent). */
	int (*migrate)(struct fl_store *st, struct fl_error *err);
	/* Schema version of the open database. */
	int (*schema_version)(struct fl_store *st, int *out, struct fl_error *err);
	/* A trivial read (health check). */
	int (*ping)(struct fl_store *st, struct fl_error *err);
	/*
	 * Deferred housekeeping of the connection (SQLite: checkpoint a grown
	 * WAL), called by the engine outside transactions when nobody waits on
	 * the result.  Cheap when there is nothing to do.
	 */
	int (*maintain)(struct fl_store *st, struct fl_error *err);

	int (*begin)(struct fl_store *st, struct fl_error *err);
	int (*commit)(struct fl_store *st, struct fl_error *err);
	int (*rollback)(struct fl_store *st, struct fl_error *err);
	/* One level of savepoint inside a transaction (the engine's per-job scope). */
	int (*savepoint)(struct fl_store *st, struct fl_error *err);
	int (*savepoint_release)(struct fl_store *st, struct fl_error *err);
	int (*savepoint_rollback)(struct fl_store *st, struct fl_error *err);

	/* ---- packs */
	int (*pack_upsert)(struct fl_store *st, bool *created, const struct fl_store_pack *p, struct fl_error *err);
	int (*pack_get)(struct fl_store *st, struct fl_store_pack *out, const char *id, struct fl_error *err);
	/* All packs sorted by name, then id. */
	int (*pack_list)(struct fl_store *st, fl_store_pack_fn cb, void *payload, struct fl_error *err);
	int (*pack_delete)(struct fl_store *st, const char *id, struct fl_error *err);
	/* Delete the pack only if its stored lastSeen is before `before`; FL_ENOTFOUND otherwise. */
	int (*pack_delete_stale)(struct fl_store *st, const char *id, int64_t before, struct fl_error *err);
	int (*pack_touch)(struct fl_store *st, const char *id, int64_t last_seen, struct fl_error *err);

	/* ---- flows */
	/* Insert a version into the history and make it the latest of its name. */
	int (*flow_put)(struct fl_store *st, bool *created, const struct fl_store_flow *f, struct fl_error *err);
	/* Latest version by name. */
	int (*flow_get)(struct fl_store *st, struct fl_store_flow *out, const char *name, struct fl_error *err);
	/* Any version (history) by uuid. */
	int (*flow_get_version)(struct fl_store *st, struct fl_store_flow *out, const char *uuid,
				struct fl_error *err);
	/* Latest versions sorted by name; def filled only when with_def. */
	int (*flow_list)(struct fl_store *st, bool with_def, fl_store_flow_fn cb, void *payload,
			 struct fl_error *err);
	/* Remove the latest entry (history stays). */
	int (*flow_delete)(struct fl_store *st, const char *name, struct fl_error *err);

	/* ---- actions */
	/* FL_EEXISTS when (correlation_id, step_id) already has an action. */
	int (*action_insert)(struct fl_store *st, int64_t *seq, const struct fl_store_action_new *a,
			     struct fl_error *err);
	/*
	 * FL_ENOTFOUND when nothing matched / the action is not NEW (see
	 * fl_store_claim).  A shared store answers a claim by id FL_EAGAIN when
	 * the action is NEW but another server's open transaction holds it: it
	 * may yet commit its claim, or roll back (a server killed mid-batch) and
	 * leave the action NEW, so the caller keeps it offered.
	 */
	int (*action_claim)(struct fl_store *st, struct fl_store_action *out, const struct fl_store_claim *q,
			    struct fl_error *err);
	/*
	 * PENDING -> NEW when attempt matches (an undelivered take, or a lease that
	 * ended); the NEW state entry records `reason` (NULL: none).
	 * FL_ENOTFOUND, FL_ECONFLICT.
	 */
	int (*action_requeue)(struct fl_store *st, struct fl_store_action *out, const char *id, int64_t attempt,
			      int64_t now, const char *reason, struct fl_error *err);
	/*
	 * Set the lease end of a PENDING action taken as `attempt` (a heartbeat).
	 * FL_ENOTFOUND (unknown or expired), FL_ECONFLICT (not PENDING, or another attempt).
	 */
	int (*action_extend)(struct fl_store *st, const char *id, int64_t attempt, int64_t lease_until,
			     struct fl_error *err);
	/* PENDING actions whose lease ended at or before `before`, earliest first, at most limit. */
	int (*action_lease_expired)(struct fl_store *st, int64_t before, size_t limit, fl_store_action_fn cb,
				    void *payload, struct fl_error *err);
	/* The earliest lease end of a PENDING action; 0 when no lease runs. */
	int (*action_lease_next)(struct fl_store *st, int64_t *out, struct fl_error *err);
	/*
	 * Record in the action's audit a result that was refused because it came
	 * from an attempt that no longer holds the lease (at most 20 are kept).
	 */
	int (*action_refuse)(struct fl_store *st, const char *id, int64_t attempt, const char *event, int64_t now,
			     const char *reason, struct fl_error *err);
	/*
	 * PENDING -> SUCCESS|FATAL (f->state) with the result event, fenced by
	 * f->attempt (any attempt when < 0), in one statement; with
	 * f->pack_name set only when the sending pack owns the action (same
	 * name, the action's labels a subset of f->pack_labels).  *out = the
	 * action after the change.  FL_ENOTFOUND when any of it does not hold
	 * (unknown, expired, not PENDING, another attempt, another pack):
	 * nothing changed, and the caller looks at the action to tell why
	 * (fl_store_action_complete does).  FL_EMISUSE for another state.
	 */
	int (*action_finish)(struct fl_store *st, struct fl_store_action *out, const struct fl_store_finish *f,
			     struct fl_error *err);
	int (*action_get)(struct fl_store *st, struct fl_store_action *out, const char *id, struct fl_error *err);
	/* Every NEW, unexpired action in seq order (to rebuild the take queues). */
	int (*action_load_new)(struct fl_store *st, fl_store_action_fn cb, void *payload, struct fl_error *err);
	/* Step id and state of every action of one execution. */
	int (*execution_steps)(struct fl_store *st, const char *correlation_id, fl_store_step_fn cb, void *payload,
			       struct fl_error *err);

	/* ---- audit */
	/* Executions with at least one matching action, newest matching state time first. */
	int (*audit_query)(struct fl_store *st, const struct fl_store_audit_query *q, fl_store_corr_fn cb,
			   void *payload, struct fl_error *err);
	/* All actions of one execution in seq order; FL_ENOTFOUND when there is none. */
	int (*audit_actions)(struct fl_store *st, const char *correlation_id, fl_store_action_fn cb, void *payload,
			     struct fl_error *err);

	/* ---- datastore */
	int (*ds_put)(struct fl_store *st, bool *created, const struct fl_store_ds_item *it, struct fl_error *err);
	int (*ds_get)(struct fl_store *st, struct fl_store_ds_item *out, const char *key, struct fl_error *err);
	/* Items sorted by key, value not filled. */
	int (*ds_list)(struct fl_store *st, fl_store_ds_fn cb, void *payload, struct fl_error *err);
	int (*ds_delete)(struct fl_store *st, const char *key, struct fl_error *err);

	/* ---- expiry, each bounded by limit rows; *n = rows affected */
	/* Mark NEW/PENDING actions whose state time is before `before` as expired; cb gets each one. */
	int (*expire_actions)(struct fl_store *st, size_t *n, int64_t before, size_t limit, fl_store_action_fn cb,
			      void *payload, struct fl_error *err);
	/* Delete actions and executions whose latest state time is before `before`. */
	int (*expire_audit)(struct fl_store *st, size_t *n, int64_t before, size_t limit, struct fl_error *err);
	/* Delete flow versions created before `before` that are neither latest nor used by an execution. */
	int (*expire_flow_versions)(struct fl_store *st, size_t *n, int64_t before, size_t limit,
				    struct fl_error *err);

	/* ---- several servers on one database (FL_STORE_SHARED; others: trivial) */
	/*
	 * Inside a transaction: try to become the one server doing `name` until
	 * the transaction ends.  Drivers without FL_STORE_SHARED set *got.
	 */
	int (*try_lock)(struct fl_store *st, const char *name, bool *got, struct fl_error *err);
	/*
	 * Changes (packs, flows) committed by any server after *version, in
	 * commit order; *version moves to the last one.  *version < 0: only set
	 * it to the current version.  FL_ECONFLICT when changes after *version
	 * were trimmed already (read everything again).
	 */
	int (*changes)(struct fl_store *st, int64_t *version, fl_store_change_fn cb, void *payload,
		       struct fl_error *err);
	/*
	 * On a FL_STORE_LISTEN connection: wait up to timeout_ms for
	 * notifications and hand each to cb.  Reconnects by itself after a loss
	 * and then reports FL_STORE_NOTE_RESYNC.  FL_EUNSUPPORTED without
	 * FL_STORE_SHARED.
	 */
	int (*wait_notify)(struct fl_store *st, int timeout_ms, fl_store_note_fn cb, void *payload,
			   struct fl_error *err);
};

/* ------------------------------------------------------------- registry */

/* The driver registered under name ("sqlite"); NULL when unknown. */
const struct fl_store_ops *fl_store_driver_find(const char *name);
/*
 * Open a connection with the named driver (NULL = "sqlite").  FL_EINVALID for
 * an unknown driver or an ABI mismatch, else whatever the driver returns.
 */
int fl_store_open(struct fl_store **out, const char *driver, const char *path, unsigned flags,
		  struct fl_error *err);
/* NULL-tolerant. */
void fl_store_close(struct fl_store *st);
/*
 * PENDING -> SUCCESS|FATAL with the result event; attempt < 0 skips the
 * fence (action_finish without an owner, telling why when nothing
 * matched): FL_ENOTFOUND (unknown or expired), FL_ECONFLICT (not PENDING or
 * a stale attempt), FL_EMISUSE (another state).
 */
int fl_store_action_complete(struct fl_store *st, const char *id, int64_t attempt, int state, int64_t now,
			     const char *result, struct fl_error *err);

/* The database target as it may be shown in logs and messages (passwords hidden); caller frees. */
char *fl_store_describe(const char *driver, const char *target);

/* ---------------------------------------------------- fault injection */

/*
 * Every operation of the vtable (name, class).  Reads are what a query-only
 * connection may do; writes change the database or end a transaction.
 */
enum fl_store_op_class { FL_STORE_READ, FL_STORE_WRITE };
#define FL_STORE_OPS(X)  \
	X(MIGRATE, "migrate", FL_STORE_WRITE) \
	X(SCHEMA_VERSION, "schema_version", FL_STORE_READ) \
	X(PING, "ping", FL_STORE_READ) \
	X(MAINTAIN, "maintain", FL_STORE_WRITE) \
	X(BEGIN, "begin", FL_STORE_READ) \
	X(COMMIT, "commit", FL_STORE_WRITE) \
	X(ROLLBACK, "rollback", FL_STORE_READ) \
	X(SAVEPOINT, "savepoint", FL_STORE_WRITE) \
	X(SAVEPOINT_RELEASE, "savepoint_release", FL_STORE_WRITE) \
	X(SAVEPOINT_ROLLBACK, "savepoint_rollback", FL_STORE_WRITE) \
	X(PACK_UPSERT, "pack_upsert", FL_STORE_WRITE) \
	X(PACK_GET, "pack_get", FL_STORE_READ) \
	X(PACK_LIST, "pack_list", FL_STORE_READ) \
	X(PACK_DELETE, "pack_delete", FL_STORE_WRITE) \
	X(PACK_DELETE_STALE, "pack_delete_stale", FL_STORE_WRITE) \
	X(PACK_TOUCH, "pack_touch", FL_STORE_WRITE) \
	X(FLOW_PUT, "flow_put", FL_STORE_WRITE) \
	X(FLOW_GET, "flow_get", FL_STORE_READ) \
	X(FLOW_GET_VERSION, "flow_get_version", FL_STORE_READ) \
	X(FLOW_LIST, "flow_list", FL_STORE_READ) \
	X(FLOW_DELETE, "flow_delete", FL_STORE_WRITE) \
	X(ACTION_INSERT, "action_insert", FL_STORE_WRITE) \
	X(ACTION_CLAIM, "action_claim", FL_STORE_WRITE) \
	X(ACTION_REQUEUE, "action_requeue", FL_STORE_WRITE) \
	X(ACTION_EXTEND, "action_extend", FL_STORE_WRITE) \
	X(ACTION_LEASE_EXPIRED, "action_lease_expired", FL_STORE_READ) \
	X(ACTION_LEASE_NEXT, "action_lease_next", FL_STORE_READ) \
	X(ACTION_REFUSE, "action_refuse", FL_STORE_WRITE) \
	X(ACTION_FINISH, "action_finish", FL_STORE_WRITE) \
	X(ACTION_GET, "action_get", FL_STORE_READ) \
	X(ACTION_LOAD_NEW, "action_load_new", FL_STORE_READ) \
	X(EXECUTION_STEPS, "execution_steps", FL_STORE_READ) \
	X(AUDIT_QUERY, "audit_query", FL_STORE_READ) \
	X(AUDIT_ACTIONS, "audit_actions", FL_STORE_READ) \
	X(DS_PUT, "ds_put", FL_STORE_WRITE) \
	X(DS_GET, "ds_get", FL_STORE_READ) \
	X(DS_LIST, "ds_list", FL_STORE_READ) \
	X(DS_DELETE, "ds_delete", FL_STORE_WRITE) \
	X(EXPIRE_ACTIONS, "expire_actions", FL_STORE_WRITE) \
	X(EXPIRE_AUDIT, "expire_audit", FL_STORE_WRITE) \
	X(EXPIRE_FLOW_VERSIONS, "expire_flow_versions", FL_STORE_WRITE) \
	X(TRY_LOCK, "try_lock", FL_STORE_WRITE) \
	X(CHANGES, "changes", FL_STORE_READ)

enum fl_store_op {
#define FL__STORE_OP_ENUM(op, name, cls) FL_STORE_OP_##op,
	FL_STORE_OPS(FL__STORE_OP_ENUM)
#undef FL__STORE_OP_ENUM
	FL_STORE_OP__COUNT
};

/*
 * Builds with -Dfault_injection=true route every wrapper below through
 * fl_store_fault() (store/fault.c): faults configured by the environment
 * variable FLYTE_STORE_FAULTS or the file it names, re-read when the file
 * changes, fail chosen operations with an I/O error or "disk full" before the
 * driver runs.  Release builds compile the check away.
 */
#ifdef FL_FAULT_INJECTION
int fl_store_fault(enum fl_store_op op, struct fl_error *err);
#define FL_STORE_FAULT(st, op, err)                                               \
	do {                                                                     \
		int fl_fault_rc_ = fl_store_fault(FL_STORE_OP_##op, (err));      \
		if (fl_fault_rc_)                                               \
			return fl_fault_rc_;                                     \
	} while (0)
#else
#define FL_STORE_FAULT(st, op, err) ((void)(st))
#endif

/* ------------------------------------------------------------- wrappers */

static inline int fl_store_migrate(struct fl_store *st, struct fl_error *err)
{
	FL_STORE_FAULT(st, MIGRATE, err);
	return st->ops->migrate(st, err);
}
static inline int fl_store_schema_version(struct fl_store *st, int *out, struct fl_error *err)
{
	FL_STORE_FAULT(st, SCHEMA_VERSION, err);
	return st->ops->schema_version(st, out, err);
}
static inline int fl_store_ping(struct fl_store *st, struct fl_error *err)
{
	FL_STORE_FAULT(st, PING, err);
	return st->ops->ping(st, err);
}
static inline int fl_store_maintain(struct fl_store *st, struct fl_error *err)
{
	FL_STORE_FAULT(st, MAINTAIN, err);
	return st->ops->maintain(st, err);
}
static inline int fl_store_begin(struct fl_store *st, struct fl_error *err)
{
	FL_STORE_FAULT(st, BEGIN, err);
	return st->ops->begin(st, err);
}
static inline int fl_store_commit(struct fl_store *st, struct fl_error *err)
{
	FL_STORE_FAULT(st, COMMIT, err);
	return st->ops->commit(st, err);
}
static inline int fl_store_rollback(struct fl_store *st, struct fl_error *err)
{
	FL_STORE_FAULT(st, ROLLBACK, err);
	return st->ops->rollback(st, err);
}
static inline int fl_store_savepoint(struct fl_store *st, struct fl_error *err)
{
	FL_STORE_FAULT(st, SAVEPOINT, err);
	return st->ops->savepoint(st, err);
}
static inline int fl_store_savepoint_release(struct fl_store *st, struct fl_error *err)
{
	FL_STORE_FAULT(st, SAVEPOINT_RELEASE, err);
	return st->ops->savepoint_release(st, err);
}
static inline int fl_store_savepoint_rollback(struct fl_store *st, struct fl_error *err)
{
	FL_STORE_FAULT(st, SAVEPOINT_ROLLBACK, err);
	return st->ops->savepoint_rollback(st, err);
}

static inline int fl_store_pack_upsert(struct fl_store *st, bool *created, const struct fl_store_pack *p,
				       struct fl_error *err)
{
	FL_STORE_FAULT(st, PACK_UPSERT, err);
	return st->ops->pack_upsert(st, created, p, err);
}
static inline int fl_store_pack_get(struct fl_store *st, struct fl_store_pack *out, const char *id,
				    struct fl_error *err)
{
	FL_STORE_FAULT(st, PACK_GET, err);
	return st->ops->pack_get(st, out, id, err);
}
static inline int fl_store_pack_list(struct fl_store *st, fl_store_pack_fn cb, void *payload, struct fl_error *err)
{
	FL_STORE_FAULT(st, PACK_LIST, err);
	return st->ops->pack_list(st, cb, payload, err);
}
static inline int fl_store_pack_delete(struct fl_store *st, const char *id, struct fl_error *err)
{
	FL_STORE_FAULT(st, PACK_DELETE, err);
	return st->ops->pack_delete(st, id, err);
}
static inline int fl_store_pack_delete_stale(struct fl_store *st, const char *id, int64_t before,
					     struct fl_error *err)
{
	FL_STORE_FAULT(st, PACK_DELETE_STALE, err);
	return st->ops->pack_delete_stale(st, id, before, err);
}
static inline int fl_store_try_lock(struct fl_store *st, const char *name, bool *got, struct fl_error *err)
{
	FL_STORE_FAULT(st, TRY_LOCK, err);
	return st->ops->try_lock(st, name, got, err);
}
static inline int fl_store_changes(struct fl_store *st, int64_t *version, fl_store_change_fn cb, void *payload,
				   struct fl_error *err)
{
	FL_STORE_FAULT(st, CHANGES, err);
	return st->ops->changes(st, version, cb, payload, err);
}
static inline int fl_store_wait_notify(struct fl_store *st, int timeout_ms, fl_store_note_fn cb, void *payload,
				       struct fl_error *err)
{
	return st->ops->wait_notify(st, timeout_ms, cb, payload, err);
}
static inline bool fl_store_is_shared(const struct fl_store *st)
{
	return (st->ops->caps & FL_STORE_SHARED) != 0;
}
static inline int fl_store_pack_touch(struct fl_store *st, const char *id, int64_t last_seen, struct fl_error *err)
{
	FL_STORE_FAULT(st, PACK_TOUCH, err);
	return st->ops->pack_touch(st, id, last_seen, err);
}

static inline int fl_store_flow_put(struct fl_store *st, bool *created, const struct fl_store_flow *f,
				    struct fl_error *err)
{
	FL_STORE_FAULT(st, FLOW_PUT, err);
	return st->ops->flow_put(st, created, f, err);
}
static inline int fl_store_flow_get(struct fl_store *st, struct fl_store_flow *out, const char *name,
				    struct fl_error *err)
{
	FL_STORE_FAULT(st, FLOW_GET, err);
	return st->ops->flow_get(st, out, name, err);
}
static inline int fl_store_flow_get_version(struct fl_store *st, struct fl_store_flow *out, const char *uuid,
					    struct fl_error *err)
{
	FL_STORE_FAULT(st, FLOW_GET_VERSION, err);
	return st->ops->flow_get_version(st, out, uuid, err);
}
static inline int fl_store_flow_list(struct fl_store *st, bool with_def, fl_store_flow_fn cb, void *payload,
				     struct fl_error *err)
{
	FL_STORE_FAULT(st, FLOW_LIST, err);
	return st->ops->flow_list(st, with_def, cb, payload, err);
}
static inline int fl_store_flow_delete(struct fl_store *st, const char *name, struct fl_error *err)
{
	FL_STORE_FAULT(st, FLOW_DELETE, err);
	return st->ops->flow_delete(st, name, err);
}

static inline int fl_store_action_insert(struct fl_store *st, int64_t *seq, const struct fl_store_action_new *a,
					 struct fl_error *err)
{
	FL_STORE_FAULT(st, ACTION_INSERT, err);
	return st->ops->action_insert(st, seq, a, err);
}
static inline int fl_store_action_claim(struct fl_store *st, struct fl_store_action *out,
					const struct fl_store_claim *q, struct fl_error *err)
{
	FL_STORE_FAULT(st, ACTION_CLAIM, err);
	return st->ops->action_claim(st, out, q, err);
}
static inline int fl_store_action_requeue(struct fl_store *st, struct fl_store_action *out, const char *id,
					  int64_t attempt, int64_t now, const char *reason, struct fl_error *err)
{
	FL_STORE_FAULT(st, ACTION_REQUEUE, err);
	return st->ops->action_requeue(st, out, id, attempt, now, reason, err);
}
static inline int fl_store_action_extend(struct fl_store *st, const char *id, int64_t attempt, int64_t lease_until,
					 struct fl_error *err)
{
	FL_STORE_FAULT(st, ACTION_EXTEND, err);
	return st->ops->action_extend(st, id, attempt, lease_until, err);
}
static inline int fl_store_action_lease_expired(struct fl_store *st, int64_t before, size_t limit,
						fl_store_action_fn cb, void *payload, struct fl_error *err)
{
	FL_STORE_FAULT(st, ACTION_LEASE_EXPIRED, err);
	return st->ops->action_lease_expired(st, before, limit, cb, payload, err);
}
static inline int fl_store_action_lease_next(struct fl_store *st, int64_t *out, struct fl_error *err)
{
	FL_STORE_FAULT(st, ACTION_LEASE_NEXT, err);
	return st->ops->action_lease_next(st, out, err);
}
static inline int fl_store_action_refuse(struct fl_store *st, const char *id, int64_t attempt, const char *event,
					 int64_t now, const char *reason, struct fl_error *err)
{
	FL_STORE_FAULT(st, ACTION_REFUSE, err);
	return st->ops->action_refuse(st, id, attempt, event, now, reason, err);
}
static inline int fl_store_action_finish(struct fl_store *st, struct fl_store_action *out,
					 const struct fl_store_finish *f, struct fl_error *err)
{
	FL_STORE_FAULT(st, ACTION_FINISH, err);
	return st->ops->action_finish(st, out, f, err);
}
static inline bool fl_store_stmt_rollback(const struct fl_store *st)
{
	return (st->ops->caps & FL_STORE_STMT_ROLLBACK) != 0;
}
static inline int fl_store_action_get(struct fl_store *st, struct fl_store_action *out, const char *id,
				      struct fl_error *err)
{
	FL_STORE_FAULT(st, ACTION_GET, err);
	return st->ops->action_get(st, out, id, err);
}
static inline int fl_store_action_load_new(struct fl_store *st, fl_store_action_fn cb, void *payload,
					   struct fl_error *err)
{
	FL_STORE_FAULT(st, ACTION_LOAD_NEW, err);
	return st->ops->action_load_new(st, cb, payload, err);
}
static inline int fl_store_execution_steps(struct fl_store *st, const char *correlation_id, fl_store_step_fn cb,
					   void *payload, struct fl_error *err)
{
	FL_STORE_FAULT(st, EXECUTION_STEPS, err);
	return st->ops->execution_steps(st, correlation_id, cb, payload, err);
}

static inline int fl_store_audit_query(struct fl_store *st, const struct fl_store_audit_query *q,
				       fl_store_corr_fn cb, void *payload, struct fl_error *err)
{
	FL_STORE_FAULT(st, AUDIT_QUERY, err);
	return st->ops->audit_query(st, q, cb, payload, err);
}
static inline int fl_store_audit_actions(struct fl_store *st, const char *correlation_id, fl_store_action_fn cb,
					 void *payload, struct fl_error *err)
{
	FL_STORE_FAULT(st, AUDIT_ACTIONS, err);
	return st->ops->audit_actions(st, correlation_id, cb, payload, err);
}

static inline int fl_store_ds_put(struct fl_store *st, bool *created, const struct fl_store_ds_item *it,
				  struct fl_error *err)
{
	FL_STORE_FAULT(st, DS_PUT, err);
	return st->ops->ds_put(st, created, it, err);
}
static inline int fl_store_ds_get(struct fl_store *st, struct fl_store_ds_item *out, const char *key,
				  struct fl_error *err)
{
	FL_STORE_FAULT(st, DS_GET, err);
	return st->ops->ds_get(st, out, key, err);
}
static inline int fl_store_ds_list(struct fl_store *st, fl_store_ds_fn cb, void *payload, struct fl_error *err)
{
	FL_STORE_FAULT(st, DS_LIST, err);
	return st->ops->ds_list(st, cb, payload, err);
}
static inline int fl_store_ds_delete(struct fl_store *st, const char *key, struct fl_error *err)
{
	FL_STORE_FAULT(st, DS_DELETE, err);
	return st->ops->ds_delete(st, key, err);
}

static inline int fl_store_expire_actions(struct fl_store *st, size_t *n, int64_t before, size_t limit,
					  fl_store_action_fn cb, void *payload, struct fl_error *err)
{
	FL_STORE_FAULT(st, EXPIRE_ACTIONS, err);
	return st->ops->expire_actions(st, n, before, limit, cb, payload, err);
}
static inline int fl_store_expire_audit(struct fl_store *st, size_t *n, int64_t before, size_t limit,
					struct fl_error *err)
{
	FL_STORE_FAULT(st, EXPIRE_AUDIT, err);
	return st->ops->expire_audit(st, n, before, limit, err);
}
static inline int fl_store_expire_flow_versions(struct fl_store *st, size_t *n, int64_t before, size_t limit,
						struct fl_error *err)
{
	FL_STORE_FAULT(st, EXPIRE_FLOW_VERSIONS, err);
	return st->ops->expire_flow_versions(st, n, before, limit, err);
}

#endif
