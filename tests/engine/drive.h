/* SPDX-License-Identifier: Apache-2.0 */
/*
 * drive.h - driving the engine API (src/engine/engine.h) in process, for
 * the engine tests: the behaviour-case runner (tests/engine/golden.c), the
 * unit tests (tests/unit/engine) and the load generator.
 *
 * Every engine call answers through a completion callback; a struct
 * fld_res collects that answer and fld_wait turns the call into a
 * synchronous one.  Each test gets a fresh SQLite file in a temporary
 * directory (struct fld_dir).
 *
 * The functions of the second part end the running test with FLT_FAIL
 * (tests/fltest.h) on what cannot happen (bad test JSON, a call refused at
 * once, a callback that never comes); they live in drive_flt.c, which only
 * fltest suites link.
 */
#ifndef FLD_DRIVE_H
#define FLD_DRIVE_H

#include "fl-common.h"

#include <jansson.h>
#include <pthread.h>

#include "engine/engine.h"
#include "error.h"

/* How long a call may take to call back before the test gives up on it. */
#define FLD_GUARD_SEC 30

/* The answer of one asynchronous call. */
struct fld_res {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool done;  /* the callback came */
	int code;   /* its code, or the call's own when it failed at once */
	char msg[FL_ERROR_MSG_MAX];
	json_t *body; /* a copy of the answer's body (owned), NULL = none */
	bool created;
	int calls; /* how many times the callback came */
};

void fld_res_init(struct fld_res *r);
void fld_res_release(struct fld_res *r);
/* The completion callback to pass with a struct fld_res as payload. */
void fld_on_done(const struct fl_engine_result *er, void *payload);
/* Has the callback come yet? */
bool fld_res_done(struct fld_res *r);
/*
 * Wait for the callback of a call that returned rc and return the answer's
 * code.  A call that failed at once never calls back: rc is the answer.  A
 * callback that does not come within FLD_GUARD_SEC gives FL_ETIMEOUT (and
 * r->done stays false).
 */
int fld_wait(struct fld_res *r, int rc);

/* A writer round trip: every job queued before it has been processed. */
void fld_barrier(struct fl_engine *eng);

/* A temporary directory holding the database file e.db and a log file. */
struct fld_dir {
	char path[256];
	char db[300];
	char log[300];
};

/* Make the directory (tests/fsutil.h: $TMPDIR/<prefix>-XXXXXX); 0, or -1 with errno. */
int fld_dir_make(struct fld_dir *d, const char *prefix);
/* Remove the directory and what it holds (kept when FLH_KEEP is set). */
void fld_dir_remove(const struct fld_dir *d);

/*
 * The engine's default configuration on `db`, with FL_TEST_RENDER_INLINE_MS
 * (when set) as render_inline_ms: 0 renders every template on the render
 * threads.
 */
void fld_config(struct fl_engine_config *cfg, const char *db);
/* FL_TEST_RENDER_INLINE_MS, or -1 when it is not set. */
int fld_inline_ms(void);

/* ---- for fltest suites (drive_flt.c) ---------------------------------- */

/* The directory of the running test (fld_tmp_setup / fld_tmp_cleanup). */
extern struct fld_dir fld_tmp;

void fld_tmp_setup(const char *prefix);
void fld_tmp_cleanup(void);
/* The end of a test: free the engine (NULL is fine), then fld_tmp_cleanup. */
void fld_finish(struct fl_engine *eng);

/* Open an engine on fld_tmp.db with cfg (NULL: fld_config's) at log level error. */
struct fl_engine *fld_open(const struct fl_engine_config *cfg);

/* Parse test JSON (any value); new reference. */
json_t *fld_parse(const char *text);

/* Wait for the callback of a call that was accepted. */
void fld_await(struct fld_res *r);
/* Post an event (JSON text) as pack `id` without waiting: r (initialised here) gets the answer. */
void fld_post(struct fl_engine *eng, const char *id, const char *text, struct fld_res *r);

enum fld_call { FLD_REGISTER, FLD_FLOW, FLD_EVENT };

/*
 * Register a pack, put a flow or post an event as pack `id` (JSON text) and
 * wait; returns the answer's code, r holds the answer (release it).
 */
int fld_call(struct fl_engine *eng, enum fld_call k, const char *id, const char *text, struct fld_res *r);
/* fld_call that must succeed. */
void fld_must(struct fl_engine *eng, enum fld_call k, const char *id, const char *text);
/* Take (waiting up to wait_ms); *out gets the action (new reference, NULL = none). */
int fld_take(struct fl_engine *eng, const char *pack, const char *cmd, int wait_ms, json_t **out);
/* Post a result (JSON text) for an attempt (-1 = any); msg gets the error message. */
int fld_result(struct fl_engine *eng, const char *pack, const char *action, int64_t attempt, const char *text,
	       char *msg, size_t msglen);

#endif
