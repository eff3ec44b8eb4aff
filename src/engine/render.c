/* SPDX-License-Identifier: Apache-2.0 */
/*
 * render.c - the render threads: templates that need more time than the
 * writer gives them are rendered here, outside any transaction.
 *
 * The writer renders a job's templates itself within cfg.render_inline_ms
 * (almost every template takes microseconds).  A job that runs over is
 * rolled back, its plan (executions and candidate steps) recorded, and the
 * job handed to these threads, which render every candidate with the whole
 * deadline (cfg.render_deadline_ms; a step still rendering then fails as a
 * template error) and datastore() reading through a read-only connection.
 * The job then goes back to the writer, which checks that the plan still
 * holds and inserts the outcomes (see FL_RMODE_APPLY in steps.c).  So one
 * costly template costs the writer at most render_inline_ms, and every other
 * write goes on meanwhile.
 *
 * Threading: render_mu guards the queue; a job belongs to exactly one thread
 * at a time (writer, then a render thread, then the writer again), handed
 * over under a mutex.  eng->deferred (under eng->mu) counts jobs out here, so
 * the writer does not finish a shutdown before they came back.
 */
#include "fl-common.h"

#include <pthread.h>

#include "alloc.h"
#include "engine-int.h"
#include "log.h"
#include "timeutil.h"

static void render_job(struct fl_engine *eng, struct fl_engine_job *job)
{
	struct fl_engine_pack pack = {
		.id = job->prep.pack_id,
		.name = job->prep.pack_name,
		.labels = job->prep.pack_labels,
	};
	struct fl_engine_event ev = {
		.in = &job->ev,
		.pack = &pack,
		.rmode = FL_RMODE_FULL,
		.prep = &job->prep,
	};
	struct fl_tmpl_env env = eng->tenv;
	struct fl_error err = FL_ERROR_INIT;
	size_t slot = 0;
	struct fl_store *st = fl_engine__reader_get(eng, &slot, &err);

	if (!st)
		FL_LOG_W(NULL, "datastore() unavailable while rendering: %s", err.msg);
	env.datastore_payload = st;
	env.deadline_ns = fl_time_mono_ns() + (int64_t)eng->cfg.render_deadline_ms * FL_NS_PER_MS;
	fl_engine__render_plan(eng, &ev, &env);
	fl_engine__event_release(&ev);
	if (st)
		fl_engine__reader_put(eng, slot);
}

static void *render_main(void *arg)
{
	struct fl_engine *eng = arg;
	struct fl_engine_job *job;

	for (;;) {
		pthread_mutex_lock(&eng->render_mu);
		while (!eng->render_head && !eng->render_stop)
			pthread_cond_wait(&eng->render_cond, &eng->render_mu);
		job = eng->render_head;
		if (job) {
			eng->render_head = job->next;
			if (!eng->render_head)
				eng->render_tail = NULL;
			job->next = NULL;
		}
		pthread_mutex_unlock(&eng->render_mu);
		if (!job)
			return NULL; /* stopping with nothing queued */
		render_job(eng, job);
		fl_engine__resubmit(eng, job, true);
	}
}

void fl_engine__render_submit(struct fl_engine *eng, struct fl_engine_job *job)
{
	FL_LOG_I(NULL, "templates of an event of pack '%s' need more than %d ms: rendering off the writer",
		 job->prep.pack_name ? job->prep.pack_name : "?", eng->cfg.render_inline_ms);
	atomic_fetch_add_explicit(&eng->st_deferred, 1, memory_order_relaxed);
	pthread_mutex_lock(&eng->mu);
	eng->deferred++;
	pthread_mutex_unlock(&eng->mu);
	job->next = NULL;
	pthread_mutex_lock(&eng->render_mu);
	if (eng->render_tail)
		eng->render_tail->next = job;
	else
		eng->render_head = job;
	eng->render_tail = job;
	pthread_cond_signal(&eng->render_cond);
	pthread_mutex_unlock(&eng->render_mu);
}

int fl_engine__render_start(struct fl_engine *eng, struct fl_error *err)
{
	size_t n = (size_t)FL_MAX(eng->cfg.render_threads, 0);
	int rc;

	eng->render_threads = fl_xcalloc(n ? n : 1, sizeof(*eng->render_threads));
	for (size_t i = 0; i < n; i++) {
		rc = pthread_create(&eng->render_threads[i], NULL, render_main, eng);
		if (rc)
			return fl_error_set(err, FL_ERROR, "cannot start a render thread: %s", strerror(rc));
		eng->nrender_threads++;
	}
	return FL_OK;
}

void fl_engine__render_stop(struct fl_engine *eng)
{
	pthread_mutex_lock(&eng->render_mu);
	eng->render_stop = true;
	pthread_cond_broadcast(&eng->render_cond);
	pthread_mutex_unlock(&eng->render_mu);
	for (size_t i = 0; i < eng->nrender_threads; i++)
		pthread_join(eng->render_threads[i], NULL);
	eng->nrender_threads = 0;
	free(eng->render_threads);
	eng->render_threads = NULL;
}
