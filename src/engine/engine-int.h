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

#include "engine.h"
#include "error.h"
#include "fl-common.h"
#include "flowdef.h"
#include "oid.h"
#include "packdef.h"
#include "store/store.h"
#include "strmap.h"
#include "template.h"
#include "value.h"

#define FL_ENGINE_READERS 8 /* read-only connections in the pool */

/* A job returns this (positive) when it parked a take: no callback yet. */
#define FL_ENGINE_PARKED 1

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
};

/* Ids collected by a maintenance job, applied to memory once it succeeded. */
struct fl_engine_idlist {
	char **v;
	size_t n;
};

/* A pack as the writer knows it. */
struct fl_engine_pack {
	char *id;
	char *name;
	json_t *labels;    /* object, possibly empty */
	int64_t last_seen; /* exact (ns), guarded by packs_mu for readers */
	int64_t flushed;   /* last value written to the store */
};

/* A NEW action waiting in its pack name's take queue. */
struct fl_engine_qent {
	struct fl_engine_qent *prev, *next;
	struct fl_engine_pqueue *q;
	int64_t seq;
	char *id;
	char *name;     /* command */
	char *pack_name;
	json_t *labels; /* NULL when none */
};

/* Take queue and parked takes of one pack name. */
struct fl_engine_pqueue {
	struct fl_engine_qent *head, *tail;
	size_t n;
	struct fl_engine_job *whead, *wtail;
};

/* Trigger steps index entry: flows with a trigger step on (pack, event). */
struct fl_engine_trig {
	struct fl_flowdef **flows; /* borrowed from eng->flows */
	size_t n, cap;
};

struct fl_engine {
	struct fl_engine_config cfg;
	char *db_path;
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
	struct fl_engine_idlist expired_ids; /* noted by the running expiry job */
	struct fl_engine_idlist dead_ids;    /* packs deleted by the running sweep */

	/* stats */
	_Atomic uint64_t st_commits, st_jobs, st_events, st_created, st_taken, st_completed;
	_Atomic uint64_t st_parked;
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

/* ---- steps.c */
/* Borrowed pack + parsed event: what the step loop needs. */
struct fl_engine_event {
	const struct fl_engine_event_in *in;
	const struct fl_engine_pack *pack;
	fl_val *val;  /* lazily built template value `Event` */
	char *json;   /* lazily built stored form (trigger/result) */
};
/* Parse an event body on the caller's thread (never fails: errors go to parse_err). */
void fl_engine__event_parse(struct fl_engine_event_in *out, const json_t *body);
void fl_engine__event_in_release(struct fl_engine_event_in *ev);
void fl_engine__event_release(struct fl_engine_event *ev);
/* The stored JSON text of an event (owned by ev). */
const char *fl_engine__event_json(struct fl_engine_event *ev);
/* Start new executions of every flow with a trigger step on this event (§c.1). */
int fl_engine__trigger(struct fl_engine *eng, struct fl_engine_event *ev, struct fl_error *err);
/* Continue the execution of a completed action with its result event (§c.2b). */
int fl_engine__continue(struct fl_engine *eng, const struct fl_store_action *a, struct fl_engine_event *ev,
			struct fl_error *err);
/* The flow version by uuid: cache, else store (compiled and cached); NULL when gone. */
struct fl_flowdef *fl_engine__version(struct fl_engine *eng, const char *uuid);

/* ---- audit.c */
/* The execution object of one correlation id (§a.8); FL_ENOTFOUND when absent. */
int fl_engine__execution_json(json_t **out, struct fl_store *st, const char *correlation_id, struct fl_error *err);
/* RFC 3339 UTC with milliseconds ("2022-06-23T10:42:29.001Z"); zero time as Go's. */
void fl_engine__format_ms(char *out, size_t outlen, int64_t ns);

#endif
