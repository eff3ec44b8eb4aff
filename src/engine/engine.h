/* SPDX-License-Identifier: Apache-2.0 */
/*
 * engine.h - the flow engine as seen by the HTTP API.
 *
 * The engine owns the store and one writer thread.  Every mutation (register
 * a pack, post an event, take an action, post a result, put/delete a flow or
 * datastore item) is queued to the writer, which runs a batch of them in one
 * transaction (group commit) and, only after COMMIT, calls each request's
 * completion callback.  So a callback with FL_OK means "durably stored".
 * Reads (get/list/audit) run on the calling thread against a read-only
 * store connection and never wait for the writer.
 *
 * Callback contract: an async call that returns an error code never calls its
 * callback; one that returns FL_OK calls it exactly once, from the writer
 * thread (or from the timer when a take's wait ends), possibly before the
 * call itself has returned.  The callback must not block; it typically stores
 * the result and resumes a suspended HTTP connection.  `res` and everything in
 * it are valid only during the callback (take a json_incref to keep data).
 *
 * JSON shapes are the wire forms of flyte-api.md *without* server links: the
 * HTTP layer adds `links` (they depend on the request's host and scheme).
 */
#ifndef FL_ENGINE_H
#define FL_ENGINE_H

#include <jansson.h>

#include "error.h"
#include "fl-common.h"
#include "template.h"

struct fl_engine;

struct fl_engine_config {
	const char *db_path;              /* SQLite file; created if missing */
	const char *db_url;               /* PostgreSQL URL (several servers share it); NULL = SQLite at db_path */
	int64_t action_ttl_sec;           /* FLYTE_TTL_IN_SECONDS, default 31557600 */
	int64_t audit_ttl_sec;            /* default: max(action ttl, 183 days) */
	bool delete_dead_packs;           /* FLYTE_SHOULD_DELETE_DEAD_PACKS */
	int dead_pack_hour, dead_pack_min;/* FLYTE_DELETE_DEAD_PACKS_AT_HH_COLON_MM, local time */
	int64_t pack_grace_sec;           /* FLYTE_PACK_GRACE_PERIOD_UNTIL_MARKED_DEAD_IN_SECONDS */
	int take_wait_ms_default;         /* long-poll wait of a take, default 5000 */
	int take_wait_ms_max;             /* cap on a client-requested wait, default 9000 */
	int max_parked_takes;             /* more parked takes than this answer 204 at once */
	size_t max_batch;                 /* max jobs per commit, default 1024 */
	struct fl_tmpl_limits tmpl_limits;/* budgets applied to every evaluation */
	int render_deadline_ms;           /* wall time for the templates of one event or result, default 1000 */
	int render_inline_ms;             /* longer than this on the writer: render on a render thread, default 2;
					     0 = every step with a candidate renders on a render thread */
	int render_threads;               /* threads rendering templates off the writer, default 2 */
	int64_t lease_sec;                /* lease of a taken action whose command declares none; 0 = no lease */
	int64_t max_attempts;             /* takes of an action before its lease ending makes it FATAL, default 3 */
	bool flows_strict;                /* refuse flows whose templates do not compile (400) */
};

/* Fill in every default. */
void fl_engine_config_default(struct fl_engine_config *cfg);

/*
 * Open (or create and migrate) the store, load flows and pending actions,
 * start the writer.  Fails with FL_EEXISTS-like FL_ECONFLICT when another
 * server holds the database ("database '…' is in use by another flyte
 * process").
 */
int fl_engine_open(struct fl_engine **out, const struct fl_engine_config *cfg, struct fl_error *err);
/*
 * Stop: refuse new jobs (FL_ECANCELLED), answer parked takes with "no
 * action", finish queued writes, stop threads.  Idempotent.  Joins the
 * writer thread, so it must not be called from a completion callback.
 */
void fl_engine_shutdown(struct fl_engine *eng);
/* Shutdown if needed, close the store, free everything.  NULL-tolerant. */
void fl_engine_free(struct fl_engine *eng);

/* Result of an async operation, valid during the callback only. */
struct fl_engine_result {
	int code;              /* FL_OK or an error code */
	struct fl_error err;   /* message when code != FL_OK */
	json_t *body;          /* operation-specific JSON (borrowed), may be NULL */
	bool created;          /* register/put: a new record was created (201 vs 204) */
	bool body_exclusive;   /* body shares nothing with the engine: see fl_engine_result_keep_body() */
};

typedef void (*fl_engine_done_fn)(const struct fl_engine_result *res, void *payload);

/*
 * The body of res for the callback to keep (caller owns; NULL when there is
 * none): the body itself when the engine built it for this answer alone
 * (take and heartbeat answers), else a deep copy, so that no jansson value
 * is shared between the writer and the thread that finishes the request.
 * At most once per callback.
 */
json_t *fl_engine_result_keep_body(const struct fl_engine_result *res);

/* ---------------------------------------------------------------- packs */

/*
 * Register (upsert) a pack from its definition (parsed request body,
 * borrowed).  Validates per flyte-api.md §a.4 (FL_EINVALID on bad shapes or
 * reserved link rels).  res->body = the stored pack:
 * {"id","name","labels"?,"commands"?:[{"name","events"}],"events"?:[…],
 *  "links":[pack's own links],"lastSeen":"RFC3339","status":"live"}.
 */
int fl_engine_pack_register(struct fl_engine *eng, json_t *def, fl_engine_done_fn cb, void *payload);
/* Pack by id (same shape as above, status computed now); FL_ENOTFOUND. *out owned by caller. */
int fl_engine_pack_get(struct fl_engine *eng, const char *id, json_t **out, struct fl_error *err);
/* Array of {"id","name","labels"?,"lastSeen","status"} sorted by name. */
int fl_engine_pack_list(struct fl_engine *eng, json_t **out, struct fl_error *err);
/* Async delete; FL_ENOTFOUND in res->code when absent. */
int fl_engine_pack_delete(struct fl_engine *eng, const char *id, fl_engine_done_fn cb, void *payload);

/* -------------------------------------------------------- pack ↔ server */

/*
 * A pack reports an event (body borrowed: {"event","payload","createdAt"?}).
 * The pack is looked up by id (FL_ENOTFOUND), lastSeen refreshed, matching
 * trigger steps run and their actions inserted, all in one commit.
 */
int fl_engine_event_post(struct fl_engine *eng, const char *pack_id, json_t *event, fl_engine_done_fn cb,
			 void *payload);

/*
 * Take the oldest NEW action for the pack (name + label subset, optional
 * command name filter, NULL = any).  Waits up to wait_ms (clamped to the
 * configured maximum; 0 = do not wait) for one to be created.
 * res->body = {"id","command","input","attempt","leaseUntil"} (leaseUntil in
 * ns, 0 without a lease) or NULL when none (204).
 * FL_ENOTFOUND when the pack is unknown.
 */
int fl_engine_action_take(struct fl_engine *eng, const char *pack_id, const char *command_name, int wait_ms,
			  fl_engine_done_fn cb, void *payload);

/*
 * The HTTP layer could not deliver a taken action (the client went away):
 * put it back to NEW so another poll gets it.  attempt fences stale calls.
 */
int fl_engine_action_release(struct fl_engine *eng, const char *action_id, int64_t attempt);

/*
 * Leases.  A take of a command with a lease (declared by the taker's pack as
 * "leaseSeconds", else cfg.lease_sec; none when both are 0) holds the action
 * until the lease ends.  A heartbeat extends it; when it ends without a
 * result the action goes back to NEW (and to a waiting take at once) with
 * its state entry saying why, until "maxAttempts" takes (cfg.max_attempts)
 * have been used: then it becomes FATAL with a result saying so, which runs
 * the flow as a FATAL result from the pack would.
 *
 * Heartbeat: res->body = {"leaseUntil": <ns>, "attempt": n}.  FL_ENOTFOUND
 * (pack or action), FL_EFORBIDDEN (another pack's action), FL_ECONFLICT (the
 * action is not PENDING, or another attempt holds it now).
 */
int fl_engine_action_heartbeat(struct fl_engine *eng, const char *pack_id, const char *action_id, int64_t attempt,
			       fl_engine_done_fn cb, void *payload);

/*
 * Complete an action with a result event (body borrowed).  FL_ENOTFOUND
 * (pack or action), FL_EFORBIDDEN (action belongs to another pack),
 * FL_ECONFLICT (action not PENDING, or attempt stale; attempt < 0 = unchecked).
 * A result from an attempt that no longer holds the action is recorded in
 * the action's audit ("refused") and answered FL_ECONFLICT; the same result
 * posted again for the attempt that completed the action is FL_OK and
 * changes nothing.
 */
int fl_engine_action_result(struct fl_engine *eng, const char *pack_id, const char *action_id, int64_t attempt,
			    json_t *event, fl_engine_done_fn cb, void *payload);

/* ---------------------------------------------------------------- flows */

enum fl_engine_flow_flags {
	/* refuse a flow whose templates do not compile (else only those steps are broken) */
	FL_ENGINE_FLOW_STRICT = (1 << 0),
};

/*
 * Create/replace a flow (definition borrowed); FL_EINVALID with a message
 * naming the field.  As the original server, a flow whose templates do not
 * compile is stored unless FL_ENGINE_FLOW_STRICT (or cfg.flows_strict): the
 * steps concerned are broken, each time one would run it is recorded as a
 * FATAL action saying why, and res->body = {"warnings": [messages]}.
 */
int fl_engine_flow_put(struct fl_engine *eng, json_t *flow, unsigned flags, fl_engine_done_fn cb, void *payload);
/* Latest definition as stored (no uuid), plus "warnings" when steps do not compile; FL_ENOTFOUND. */
int fl_engine_flow_get(struct fl_engine *eng, const char *name, json_t **out, struct fl_error *err);
/* Array of {"name","description"?} sorted by name. */
int fl_engine_flow_list(struct fl_engine *eng, json_t **out, struct fl_error *err);
int fl_engine_flow_delete(struct fl_engine *eng, const char *name, fl_engine_done_fn cb, void *payload);

/* ------------------------------------------------------------ datastore */

/* A stored item as the engine hands it out: owned by the caller, freed with fl_engine_datastore_item_free. */
struct fl_datastore_item {
	char *key;
	char *content_type;
	char *description; /* NULL when none */
	char *value;       /* value_len bytes, NUL-terminated for convenience */
	size_t value_len;
};
void fl_engine_datastore_item_free(struct fl_datastore_item *item);

/* An item to store: every pointer borrowed for the call (the engine copies what it keeps). */
struct fl_datastore_item_ref {
	const char *key;
	const char *content_type; /* NULL or "": text/plain; charset=us-ascii */
	const char *description;  /* NULL when none */
	const char *value;        /* value_len bytes; NULL: empty */
	size_t value_len;
};

/* Upsert; res->created tells 201 from 204. */
int fl_engine_datastore_put(struct fl_engine *eng, const struct fl_datastore_item_ref *item, fl_engine_done_fn cb,
			    void *payload);
/* The item under key into *out (caller owns; NULL on error); FL_ENOTFOUND. */
int fl_engine_datastore_get(struct fl_engine *eng, struct fl_datastore_item **out, const char *key,
			    struct fl_error *err);
/* Array of {"key","contentType","description"?} sorted by key. */
int fl_engine_datastore_list(struct fl_engine *eng, json_t **out, struct fl_error *err);
int fl_engine_datastore_delete(struct fl_engine *eng, const char *key, fl_engine_done_fn cb, void *payload);

/* ---------------------------------------------------------------- audit */

struct fl_audit_filter {
	const char *flow_name, *step_id, *action_name, *action_pack_name; /* NULL = any */
	json_t *action_pack_labels; /* object of required labels, borrowed, NULL = any */
	int64_t start;              /* executions to skip */
	int64_t limit;              /* max executions */
};

/* Array of execution objects (§a.8), newest first. */
int fl_engine_audit_list(struct fl_engine *eng, const struct fl_audit_filter *f, json_t **out, struct fl_error *err);

/*
 * The same list read piece by piece, so that a long answer is streamed with
 * bounded memory.  The cursor reads the selected correlation ids in windows
 * (keyset paging, each window from a fresh snapshot; the first applies
 * f->start) and builds executions on demand, each from one snapshot.  An
 * execution updated while a long list is read may move ahead of the cursor
 * and not be listed; none is listed twice.  The filter is copied.
 * Used from one thread at a time; *out owned by the caller.
 */
struct fl_engine_audit_cursor;
int fl_engine_audit_open(struct fl_engine *eng, const struct fl_audit_filter *f, struct fl_engine_audit_cursor **out,
			 struct fl_error *err);
/* The next execution object (new reference) in *out, or NULL at the end. */
int fl_engine_audit_next(struct fl_engine_audit_cursor *c, json_t **out, struct fl_error *err);
void fl_engine_audit_close(struct fl_engine_audit_cursor *c);
/* One execution by correlation id; FL_ENOTFOUND. */
int fl_engine_audit_get(struct fl_engine *eng, const char *correlation_id, json_t **out, struct fl_error *err);

/* ---------------------------------------------------------------- misc */

/* The database in use, as it may be shown (passwords hidden); borrowed. */
const char *fl_engine_database(const struct fl_engine *eng);

/* FL_OK when the store answers. */
int fl_engine_health(struct fl_engine *eng, struct fl_error *err);

struct fl_engine_stats {
	uint64_t commits, jobs, events, actions_created, actions_taken, actions_completed;
	uint64_t parked_takes;
	uint64_t renders_deferred; /* jobs whose templates were rendered off the writer */
	uint64_t leases_expired;   /* leases that ended without a result (redelivered or FATAL) */
	uint64_t lease_fatal;      /* actions made FATAL after their last attempt */
};
void fl_engine_stats(struct fl_engine *eng, struct fl_engine_stats *out);

#endif
