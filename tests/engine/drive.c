/* SPDX-License-Identifier: Apache-2.0 */
/*
 * drive.c - the engine API turned synchronous, and the temporary database
 * of an engine test (see drive.h).
 */
#include "fl-common.h"

#include <time.h>

#include "drive.h"
#include "fsutil.h"

void fld_res_init(struct fld_res *r)
{
	memset(r, 0, sizeof(*r));
	pthread_mutex_init(&r->mu, NULL);
	pthread_cond_init(&r->cv, NULL);
}

void fld_res_release(struct fld_res *r)
{
	json_decref(r->body);
	r->body = NULL;
	pthread_mutex_destroy(&r->mu);
	pthread_cond_destroy(&r->cv);
}

void fld_on_done(const struct fl_engine_result *er, void *payload)
{
	struct fld_res *r = payload;

	pthread_mutex_lock(&r->mu);
	r->code = er->code;
	snprintf(r->msg, sizeof(r->msg), "%s", er->code ? er->err.msg : "");
	json_decref(r->body);
	r->body = er->body ? json_deep_copy(er->body) : NULL;
	r->created = er->created;
	r->calls++;
	r->done = true;
	pthread_cond_broadcast(&r->cv);
	pthread_mutex_unlock(&r->mu);
}

bool fld_res_done(struct fld_res *r)
{
	bool d;

	pthread_mutex_lock(&r->mu);
	d = r->done;
	pthread_mutex_unlock(&r->mu);
	return d;
}

int fld_wait(struct fld_res *r, int rc)
{
	struct timespec ts;
	int code;

	if (rc != FL_OK) {
		r->code = rc;
		snprintf(r->msg, sizeof(r->msg), "(returned at once, no callback)");
		return rc;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += FLD_GUARD_SEC;
	pthread_mutex_lock(&r->mu);
	while (!r->done)
		if (pthread_cond_timedwait(&r->cv, &r->mu, &ts) != 0)
			break;
	if (!r->done) {
		r->code = FL_ETIMEOUT;
		snprintf(r->msg, sizeof(r->msg), "(the callback never came)");
	}
	code = r->code;
	pthread_mutex_unlock(&r->mu);
	return code;
}

void fld_barrier(struct fl_engine *eng)
{
	struct fld_res r;
	json_t *j = json_pack("{s:s}", "event", "barrier");

	fld_res_init(&r);
	fld_wait(&r, fl_engine_event_post(eng, "(no such pack)", j, fld_on_done, &r));
	json_decref(j);
	fld_res_release(&r);
}

int fld_dir_make(struct fld_dir *d, const char *prefix)
{
	if (flt_tmpdir_make(d->path, sizeof(d->path), prefix) != 0)
		return -1;
	snprintf(d->db, sizeof(d->db), "%s/e.db", d->path);
	snprintf(d->log, sizeof(d->log), "%s/log", d->path);
	return 0;
}

void fld_dir_remove(const struct fld_dir *d)
{
	flt_tmpdir_remove(d->path);
}

int fld_inline_ms(void)
{
	const char *env = getenv("FL_TEST_RENDER_INLINE_MS");

	return env ? (int)strtol(env, NULL, 10) : -1;
}

void fld_config(struct fl_engine_config *cfg, const char *db)
{
	fl_engine_config_default(cfg);
	cfg->db_path = db;
	if (fld_inline_ms() >= 0)
		cfg->render_inline_ms = fld_inline_ms();
}
