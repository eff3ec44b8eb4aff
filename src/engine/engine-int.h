/* SPDX-License-Identifier: Apache-2.0 */
/*
 * engine-int.h - what the files of the engine share: the engine struct, the
 * job record, the in-memory state owned by the writer thread.
 *
 * Threading: everything below the "writer only" marks is touched only by
 * the writer thread (engine.c fills it at open, before the thread starts,
 * and frees it after the thread ended).  `mu` guards the job queue and the
 * stop flag; `packs_mu` guards the pack map against readers that overlay
 * the exact in-memory lastSeen on what they read from the store.
 */
#ifndef FL_ENGINE_INT_H
#define FL_ENGINE_INT_H

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>

#include "buf.h"
#include "engine.h"
#include "error.h"
#include "fl-common.h"
#include "flow/flowdef.h"
#include "flow/step.h"
#include "oid.h"
#include "packdef.h"
#include "store/store.h"
#include "strmap.h"
#include "template.h"
#include "value.h"

#define FL_ENGINE_READERS 8 /* read-only connections in the pool */

/* A job returns this (positive) when it parked a take: no callback yet. */
#define FL_ENGINE_PARKED 1
/*
 * A job returns this (positive) when its templates need more time than the
 * writer gives them: the writer rolls the job back and hands it to the
 * render threads (render.c), which render it outside any transaction and
 * queue it again with the outcomes.
 */
#define FL_ENGINE_DEFER 2
/* Times a job may be sent back to the render threads before the writer renders it itself. */
#define FL_ENGINE_MAX_DEFERS 3

enum fl_engine_job_kind {
	FL_JOB_FAILED, /* validation failed on the caller's thread; just report */
	FL_JOB_PACK_REGISTER,
	FL_JOB_PACK_DELETE,
	FL_JOB_EVENT,
	FL_JOB_TAKE,
	FL_JOB_RELEASE,
	FL_JOB_RESULT,
	FL_JOB_FLOW_PUT,
	FL_JOB_FLOW_DELETE,
	FL_JOB_DS_PUT,
	FL_JOB_DS_DELETE,
	FL_JOB_EXPIRE,
	FL_JOB_DEAD_PACKS,
	FL_JOB_HEARTBEAT,
	FL_JOB_LEASES,
	FL_JOB_SYNC,
	FL_JOB__COUNT
};

/* An event as received (parsed on the caller's thread). */
struct fl_engine_event_in {
	char *name;
	json_t *payload;    /* owned, json null when absent */
	int64_t created;    /* ns */
	int created_offset; /* seconds east of UTC of the createdAt text */
	int64_t received;   /* ns */
	struct fl_error parse_err; /* code != 0: the body was invalid */
};

struct fl_engine_pqueue;

/* How the step loop of a job treats templates (see steps.c). */
enum fl_engine_rmode {
	FL_RMODE_INLINE, /* render on the writer within cfg.render_inline_ms, else defer */
	FL_RMODE_PLAN,   /* only record the executions and candidate steps (no render, no insert) */
	FL_RMODE_APPLY,  /* insert the outcomes rendered by the render threads; defer if the plan is stale */
	FL_RMODE_FULL,   /* render on the writer with the whole deadline (after too many defers) */
};

/* What one candidate step evaluated to. */
struct fl_engine_pstep {
	size_t index;       /* the step's index in its flow */
	bool fire;          /* false: skipped (criteria false, labels differ, template error) */
	char *input;        /* JSON text of the command input */
	char *labels_txt;   /* JSON object text of the command labels, NULL when none */
	char *context_txt;  /* JSON object text of the step context, NULL when empty */
	json_t *labels;     /* the command labels, NULL when none */
};

/* One execution a job runs steps of: recorded by PLAN, rendered by the render threads. */
struct fl_engine_pexec {
	struct fl_flowdef *flow;       /* one reference */
	char corr[FL_OID_LEN + 1];
	bool fresh;                    /* a new execution started by the event */
	bool used;                     /* matched by APPLY */
	json_t *parent;                /* parent context (owned) */
	struct fl_engine_pstep *steps; /* candidates in order */
	size_t n;
};

/* The plan of a deferred job. */
struct fl_engine_prep {
	struct fl_engine_pexec *v;
	size_t n, cap;
	char *pack_id, *pack_name; /* the sending pack as planned (copies) */
	json_t *pack_labels;       /* one reference */
};
void fl_engine__prep_release(struct fl_engine_prep *p);

struct fl_engine_job {
	struct fl_engine_job *next; /* queue, then completion list */
	enum fl_engine_job_kind kind;
	fl_engine_done_fn cb; /* NULL for internal and release jobs */
	void *payload;
	struct fl_engine_result res;
	bool in_tx; /* its effects are part of the batch transaction */

	/* arguments */
	char *key;     /* pack id, flow name, datastore key */
	char *action;  /* action id (release, result) */
	char *command; /* take filter */
	int64_t attempt;
	int64_t wait_ms;
	struct fl_packdef packdef;
	struct fl_flowdef *flow;
	struct fl_engine_event_in ev;
	struct fl_store_ds_item item;

	/* parked take (writer only) */
	struct fl_engine_pqueue *wq;
	struct fl_engine_job *wprev, *wnext; /* in wq's waiters, FIFO */
	struct fl_engine_job *dprev, *dnext; /* in the engine's deadline list */
	int64_t deadline;                    /* monotonic ns */
	json_t *wlabels;                     /* taker's labels */

	/* committed, but answered with this error (res.err): a refused late result */
	int answer;

	/* a result the engine posts itself: the last lease of the action ended */
	bool system;
	int64_t lease_expected; /* the lease end that ran out (a heartbeat since cancels the job) */

	/* templates (event and result jobs) */
	enum fl_engine_rmode rmode;
	int defers;                /* times sent to the render threads */
	struct fl_engine_prep prep;
};

/* Ids collected by a maintenance job, applied to memory once it succeeded. */
struct fl_engine_idlist {
	char **v;
	size_t n, cap;
};

/* A pack as the writer knows it. */
struct fl_engine_pack {
	char *id;
	char *name;
	json_t *labels;    /* object, possibly empty */
	char *labels_txt;  /* labels as compact JSON text, NULL when empty (writer only) */
	json_t *commands;  /* the definition's commands (lease settings), NULL when none */
	int64_t last_seen; /* exact (ns), guarded by packs_mu for readers */
	int64_t flushed;   /* last value written to the store */
};

struct fl_engine_qgroup;

/* A NEW action waiting in its pack name's take queue (queue.c). */
struct fl_engine_qent {
	struct fl_engine_qent *prev, *next; /* in its group, seq order */
	struct fl_engine_pqueue *q;
	struct fl_engine_qgroup *g;
	int64_t seq;
	char *id;
	char *name;     /* command */
	char *pack_name;
	json_t *labels; /* NULL when none */
	bool own;       /* made NEW by this server (created or requeued), not heard from another */
};

/* Take queue (grouped by label set and command) and parked takes of one pack name. */
struct fl_engine_pqueue {
	struct fl_strmap *groups;    /* labels key + '\0' + command -> group */
	struct fl_strmap *labelsets; /* labels key -> every group of that label set */
	size_t n;                    /* queued actions */
	struct fl_engine_job *whead, *wtail;
};

/* Trigger steps index entry: flows with a trigger step on (pack, event). */
struct fl_engine_trig {
	struct fl_flowdef **flows; /* borrowed from eng->flows */
	size_t n, cap;
};

/* A notification from the shared database, copied for the writer. */
struct fl_engine_note {
	struct fl_engine_note *next;
	enum fl_store_note_kind kind;
	char *id;
	int64_t seq;
	char *pack_name, *command, *labels;
};

struct fl_engine {
	struct fl_engine_config cfg;
	char *db_path;   /* SQLite file or PostgreSQL URL: what the store opens */
	char *db_driver; /* NULL (SQLite) or "pg" */
	char *db_shown;  /* db_path without passwords, for messages */
	bool shared;     /* several servers share the database (FL_STORE_SHARED) */

	/* shared database: the listener thread and what it heard (guarded by mu) */
	struct fl_store *lst;
	pthread_t listener;
	bool listener_started;
	_Atomic bool listener_stop;
	struct fl_engine_note *notes, *notes_tail;
	struct fl_tmpl_env tenv;

	/* read pool */
	pthread_mutex_t rmu;
	pthread_cond_t rcond;
	struct fl_store *readers[FL_ENGINE_READERS];
	bool rbusy[FL_ENGINE_READERS];

	/* job queue */
	pthread_mutex_t mu;
	pthread_cond_t cond; /* CLOCK_MONOTONIC */
	struct fl_engine_job *qhead, *qtail;
	bool stopping;
	bool started;
	bool kick; /* run expiry and the dead-pack sweep now (tests) */
	pthread_t writer;

	pthread_mutex_t packs_mu;

	/* ---- writer only */
	struct fl_store *wst;
	struct fl_strmap *packs;    /* id -> struct fl_engine_pack */
	struct fl_strmap *flows;    /* name -> struct fl_flowdef (latest; one ref) */
	struct fl_strmap *versions; /* uuid -> struct fl_flowdef (one ref) */
	struct fl_strmap *triggers; /* "pack\0event" -> struct fl_engine_trig */
	struct fl_strmap *queues;   /* pack name -> struct fl_engine_pqueue */
	struct fl_strmap *qents;    /* action id -> struct fl_engine_qent */
	struct fl_engine_job *dhead, *dtail; /* parked takes by deadline */
	size_t nparked;
	struct fl_engine_job *done_head, *done_tail; /* callbacks after commit */
	struct fl_engine_qent *fresh_head, *fresh_tail; /* actions created by the running job */
	int64_t flush_due;    /* monotonic ns; 0 = nothing to flush */
	int64_t expire_due;   /* monotonic ns */
	int expire_phase;
	int64_t dead_due_wall; /* wall ns of the next dead-pack sweep; 0 = disabled */
	bool draining;         /* shutting down: takes do not park */
	int64_t lease_due;     /* monotonic ns of the next lease end; 0 = none known */
	int64_t lease_hold;    /* monotonic ns: after a failed lease job, none runs before */
	int64_t change_version; /* shared database: the last change of packs and flows applied */
	bool resync_due;        /* shared database: notifications were lost; the next sync reads the queues again */
	/* shared database: actions this server made NEW whose own notification has not come back yet */
	struct fl_strmap *own_new;
	atomic_bool reload_due; /* the state could not be rebuilt after a failure (read by /health) */
	int64_t reload_at;      /* monotonic ns of the next attempt */
	struct fl_error reload_err; /* why the last attempt failed: the answer to jobs meanwhile */
	struct fl_strmap *failing; /* actions whose FATAL-after-last-lease job is queued */
	struct fl_engine_job *lease_fatal; /* FATAL results queued by the running lease job */
	struct fl_engine_idlist expired_ids; /* noted by the running expiry job */
	struct fl_engine_idlist dead_ids;    /* packs deleted by the running sweep */

	/* render threads (render.c) */
	pthread_mutex_t render_mu;
	pthread_cond_t render_cond;
	struct fl_engine_job *render_head, *render_tail;
	pthread_t *render_threads;
	size_t nrender_threads;
	bool render_stop;
	size_t deferred; /* jobs at the render threads; guarded by mu */

	/* stats */
	_Atomic uint64_t st_commits, st_jobs, st_events, st_created, st_taken, st_completed;
	_Atomic uint64_t st_parked, st_deferred, st_leases_expired, st_lease_fatal;
};

/* ---- writer.c */
int fl_engine__writer_start(struct fl_engine *eng, struct fl_error *err);
/*
 * Make expiry and (when enabled) the dead-pack sweep due now; they run with
 * the next batch, before the jobs queued after this call.  For tests.
 */
void fl_engine__kick_maintenance(struct fl_engine *eng);
/* Queue a job; FL_ECANCELLED after shutdown (the job is then freed). */
int fl_engine__submit(struct fl_engine *eng, struct fl_engine_job *job);
struct fl_engine_job *fl_engine__job_new(enum fl_engine_job_kind kind, fl_engine_done_fn cb, void *payload);
void fl_engine__job_free(struct fl_engine_job *job);
/* (Re)build packs, flows, triggers and take queues from the store. */
int fl_engine__reload(struct fl_engine *eng, struct fl_error *err);
/* Free all in-memory writer state. */
void fl_engine__state_release(struct fl_engine *eng);

/* ---- queue.c (writer only) */
/* A queue entry; labels borrowed (a reference is kept when it is a non-empty object). */
struct fl_engine_qent *fl_engine__qent_new(int64_t seq, const char *id, const char *name, const char *pack_name,
					   json_t *labels);
struct fl_engine_qent *fl_engine__qent_from_row(const struct fl_store_action *a);
void fl_engine__qent_free(struct fl_engine_qent *e);
/* The queue of a pack name, created when missing. */
struct fl_engine_pqueue *fl_engine__queue_get(struct fl_engine *eng, const char *pack_name);
/* Queue a NEW action (takes ownership of e). */
void fl_engine__queue_add(struct fl_engine *eng, struct fl_engine_qent *e);
/* Unqueue and free e. */
void fl_engine__queue_remove(struct fl_engine *eng, struct fl_engine_qent *e);
/*
 * The oldest queued action of pack_name a taker with `labels` may take
 * (its labels a subset of the taker's), of `command` when not NULL.
 */
struct fl_engine_qent *fl_engine__queue_find(struct fl_engine *eng, const char *pack_name, const json_t *labels,
					     const char *command);
/* Drop every queued entry of one queue / of all queues (parked takes stay). */
void fl_engine__queue_clear_one(struct fl_engine_pqueue *q);
void fl_engine__queues_clear(struct fl_engine *eng);
/* Clear and free the queue maps. */
void fl_engine__queues_free(struct fl_engine *eng);

/* ---- steps.c */
/* Borrowed pack + parsed event: what the step loop needs. */
struct fl_engine_event {
	const struct fl_engine_event_in *in;
	const struct fl_engine_pack *pack;
	fl_val *val;  /* lazily built template value `Event` */
	char *json;   /* lazily built stored form (trigger/result) */
	/* how templates are treated, and the plan PLAN fills and APPLY reads */
	enum fl_engine_rmode rmode;
	struct fl_engine_prep *prep;
};
/* Parse an event body on the caller's thread (never fails: errors go to parse_err). */
void fl_engine__event_parse(struct fl_engine_event_in *out, const json_t *body);
void fl_engine__event_in_release(struct fl_engine_event_in *ev);
void fl_engine__event_release(struct fl_engine_event *ev);
/* The stored JSON text of an event (owned by ev). */
const char *fl_engine__event_json(struct fl_engine_event *ev);
/* Append v as compact JSON (jansson's form) to b. */
void fl_engine__json_add(struct fl_buf *b, const json_t *v);
/* Start new executions of every flow with a trigger step on this event (§c.1). */
int fl_engine__trigger(struct fl_engine *eng, struct fl_engine_event *ev, struct fl_error *err);
/* Continue the execution of a completed action with its result event (§c.2b). */
int fl_engine__continue(struct fl_engine *eng, const struct fl_store_action *a, struct fl_engine_event *ev,
			struct fl_error *err);
/* The flow version by uuid: cache, else store (compiled and cached); NULL when gone. */
struct fl_flowdef *fl_engine__version(struct fl_engine *eng, const char *uuid);
/*
 * Render every candidate of a plan (render threads): env carries the
 * deadline and the datastore; the pack and event come from ev.
 */
void fl_engine__render_plan(struct fl_engine *eng, struct fl_engine_event *ev, const struct fl_tmpl_env *env);

/* ---- render.c: the render threads */
int fl_engine__render_start(struct fl_engine *eng, struct fl_error *err);
/* Stop and join the render threads (after the writer ended). */
void fl_engine__render_stop(struct fl_engine *eng);
/* Hand a deferred job (with its plan) to the render threads. */
void fl_engine__render_submit(struct fl_engine *eng, struct fl_engine_job *job);
/*
 * Queue a job for the writer even while stopping: jobs coming back from the
 * render threads (from_render), or jobs the writer queues for itself.
 */
void fl_engine__resubmit(struct fl_engine *eng, struct fl_engine_job *job, bool from_render);

/* ---- sync.c: several servers on one database */
/* Start / stop the thread that listens for the database's notifications. */
int fl_engine__listener_start(struct fl_engine *eng, struct fl_error *err);
void fl_engine__listener_stop(struct fl_engine *eng);
/* Take the notifications heard so far (the writer frees them with note_free). */
struct fl_engine_note *fl_engine__notes_take(struct fl_engine *eng);
void fl_engine__note_free(struct fl_engine_note *n);

/* ---- engine.c */
/* Borrow a read-only store connection from the pool; *slot for reader_put. NULL with err set. */
struct fl_store *fl_engine__reader_get(struct fl_engine *eng, size_t *slot, struct fl_error *err);
void fl_engine__reader_put(struct fl_engine *eng, size_t slot);

/* ---- audit.c */
/* The execution object of one correlation id (§a.8); FL_ENOTFOUND when absent. */
int fl_engine__execution_json(json_t **out, struct fl_store *st, const char *correlation_id, struct fl_error *err);
/* RFC 3339 UTC with milliseconds ("2022-06-23T10:42:29.001Z"); zero time as Go's. */
void fl_engine__format_ms(char *out, size_t outlen, int64_t ns);

#endif
