/* SPDX-License-Identifier: Apache-2.0 */
/*
 * engine.c - the engine API of engine.h: lifecycle, the asynchronous
 * mutations (each becomes a job for the writer thread) and the synchronous
 * reads, which run on the caller's thread against a pool of read-only store
 * connections and never wait for the writer.
 *
 * Work that needs no engine state is done here, on the caller's thread,
 * before the job is queued: parsing event bodies, validating pack
 * definitions, validating and compiling flows.  A body that fails these
 * checks still becomes a job so the error reaches the callback with its
 * message, in the order Flyte reports errors (unknown pack before a bad
 * body).
 */
#include "fl-common.h"

#include <jansson.h>
#include <pthread.h>

#include "alloc.h"
#include "engine-int.h"
#include "log.h"
#include "timeutil.h"

/* ---------------------------------------------------------- config */

void fl_engine_config_default(struct fl_engine_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->db_path = "./flyte.db";
	cfg->action_ttl_sec = 31557600;
	cfg->audit_ttl_sec = 15811200; /* 183 days; the larger of the two TTLs applies */
	cfg->delete_dead_packs = false;
	cfg->dead_pack_hour = 23;
	cfg->dead_pack_min = 0;
	cfg->pack_grace_sec = 604800;
	cfg->take_wait_ms_default = 5000;
	cfg->take_wait_ms_max = 9000;
	cfg->max_parked_takes = 10000;
	cfg->max_batch = 1024;
	cfg->render_deadline_ms = 1000;
	cfg->render_inline_ms = 2;
	cfg->render_threads = 2;
	cfg->lease_sec = 0;
	cfg->max_attempts = 3;
	fl_tmpl_limits_default(&cfg->tmpl_limits);
}

static void config_fix(struct fl_engine_config *cfg)
{
	if (cfg->max_batch == 0)
		cfg->max_batch = 1024;
	if (cfg->take_wait_ms_max <= 0)
		cfg->take_wait_ms_max = 9000;
	if (cfg->take_wait_ms_default < 0)
		cfg->take_wait_ms_default = 0;
	if (cfg->take_wait_ms_default > cfg->take_wait_ms_max)
		cfg->take_wait_ms_default = cfg->take_wait_ms_max;
	if (cfg->max_parked_takes < 0)
		cfg->max_parked_takes = 0;
	if (cfg->dead_pack_hour < 0 || cfg->dead_pack_hour > 23 || cfg->dead_pack_min < 0 || cfg->dead_pack_min > 59) {
		cfg->dead_pack_hour = 23;
		cfg->dead_pack_min = 0;
	}
	if (cfg->tmpl_limits.max_source == 0)
		fl_tmpl_limits_default(&cfg->tmpl_limits);
	if (cfg->render_deadline_ms <= 0)
		cfg->render_deadline_ms = 1000;
	if (cfg->render_inline_ms < 0 || cfg->render_inline_ms > cfg->render_deadline_ms)
		cfg->render_inline_ms = FL_MIN(2, cfg->render_deadline_ms);
	if (cfg->render_threads < 0)
		cfg->render_threads = 0;
	if (cfg->lease_sec < 0 || cfg->lease_sec > INT64_C(31536000))
		cfg->lease_sec = 0;
	if (cfg->max_attempts < 1)
		cfg->max_attempts = 3;
}

/* ------------------------------------------------------- datastore() */

/*
 * datastore(key) in templates: payload is the store connection of the
 * rendering thread (the writer's, or a read-only one on a render thread).
 */
static int ds_lookup(void *payload, const char *key, size_t keylen, char **value, size_t *value_len,
		     char **content_type, struct fl_error *err)
{
	struct fl_store *st = payload;
	struct fl_store_ds_item it;
	char *k;
	int rc;

	if (!st)
		return fl_error_set(err, FL_EAGAIN, "cannot find datastore item key=%.*s: store unavailable",
				    (int)FL_MIN(keylen, (size_t)100), key);
	k = fl_xmemdup0(key, keylen);
	rc = fl_store_ds_get(st, &it, k, err);

	if (rc == FL_ENOTFOUND)
		fl_error_set(err, FL_ENOTFOUND, "cannot find datastore item key=%s", k);
	free(k);
	if (rc)
		return rc;
	*value = it.value;
	*value_len = it.value_len;
	*content_type = it.content_type;
	it.value = NULL;
	it.content_type = NULL;
	fl_store_ds_item_release(&it);
	return FL_OK;
}

/* -------------------------------------------------------- lifecycle */

int fl_engine_open(struct fl_engine **out, const struct fl_engine_config *cfg, struct fl_error *err)
{
	struct fl_engine *eng;
	pthread_condattr_t ca;
	int rc;

	*out = NULL;
	eng = fl_xcalloc(1, sizeof(*eng));
	if (cfg)
		eng->cfg = *cfg;
	else
		fl_engine_config_default(&eng->cfg);
	config_fix(&eng->cfg);
	if (eng->cfg.db_url && *eng->cfg.db_url) {
		eng->db_driver = fl_xstrdup("pg");
		eng->db_path = fl_xstrdup(eng->cfg.db_url);
	} else {
		eng->db_path = fl_xstrdup(eng->cfg.db_path && *eng->cfg.db_path ? eng->cfg.db_path : "./flyte.db");
		eng->cfg.db_path = eng->db_path;
	}
	eng->cfg.db_url = NULL; /* the caller's string; db_path holds the copy */
	eng->db_shown = fl_store_describe(eng->db_driver, eng->db_path);
	pthread_mutex_init(&eng->mu, NULL);
	pthread_mutex_init(&eng->rmu, NULL);
	pthread_mutex_init(&eng->packs_mu, NULL);
	pthread_cond_init(&eng->rcond, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&eng->cond, &ca);
	pthread_condattr_destroy(&ca);
	eng->tenv.limits = &eng->cfg.tmpl_limits;
	eng->tenv.datastore = ds_lookup;
	pthread_mutex_init(&eng->render_mu, NULL);
	pthread_cond_init(&eng->render_cond, NULL);
	eng->packs = fl_strmap_new();
	eng->flows = fl_strmap_new();
	eng->versions = fl_strmap_new();
	eng->triggers = fl_strmap_new();
	eng->queues = fl_strmap_new();
	eng->qents = fl_strmap_new();
	eng->failing = fl_strmap_new();

	rc = fl_store_open(&eng->wst, eng->db_driver, eng->db_path, 0, err);
	eng->tenv.datastore_payload = eng->wst;
	if (!rc && fl_store_is_shared(eng->wst)) {
		eng->shared = true;
		eng->own_new = fl_strmap_new();
		/* listen first, then read: nothing committed meanwhile is missed */
		rc = fl_engine__listener_start(eng, err);
		if (!rc) {
			eng->change_version = -1;
			rc = fl_store_changes(eng->wst, &eng->change_version, NULL, NULL, err);
		}
	}
	if (!rc)
		rc = fl_engine__reload(eng, err);
	if (!rc)
		rc = fl_engine__render_start(eng, err);
	if (!rc)
		rc = fl_engine__writer_start(eng, err);
	if (rc) {
		fl_engine_free(eng);
		return rc;
	}
	FL_LOG_I(NULL, "engine open on '%s'%s: %zu packs, %zu flows, %zu actions waiting", eng->db_shown,
		 eng->shared ? " (shared)" : "", fl_strmap_count(eng->packs), fl_strmap_count(eng->flows),
		 fl_strmap_count(eng->qents));
	*out = eng;
	return FL_OK;
}

void fl_engine_shutdown(struct fl_engine *eng)
{
	bool join;

	if (!eng)
		return;
	pthread_mutex_lock(&eng->mu);
	join = eng->started && !eng->stopping;
	eng->stopping = true;
	pthread_cond_signal(&eng->cond);
	pthread_mutex_unlock(&eng->mu);
	if (join)
		pthread_join(eng->writer, NULL);
	/* the writer waited for every deferred job: the render threads are idle */
	fl_engine__render_stop(eng);
	fl_engine__listener_stop(eng);
}

void fl_engine_free(struct fl_engine *eng)
{
	if (!eng)
		return;
	fl_engine_shutdown(eng);
	for (size_t i = 0; i < FL_ENGINE_READERS; i++)
		fl_store_close(eng->readers[i]);
	fl_engine__state_release(eng);
	fl_store_close(eng->wst);
	pthread_cond_destroy(&eng->cond);
	pthread_cond_destroy(&eng->rcond);
	pthread_cond_destroy(&eng->render_cond);
	pthread_mutex_destroy(&eng->render_mu);
	pthread_mutex_destroy(&eng->mu);
	pthread_mutex_destroy(&eng->rmu);
	pthread_mutex_destroy(&eng->packs_mu);
	free(eng->db_path);
	free(eng->db_driver);
	free(eng->db_shown);
	free(eng);
}

/* ------------------------------------------------------- read pool */

/* Borrow a read-only connection (opened on first use); *slot for reader_put. */
struct fl_store *fl_engine__reader_get(struct fl_engine *eng, size_t *slot, struct fl_error *err)
{
	struct fl_store *st = NULL;
	int rc;

	pthread_mutex_lock(&eng->rmu);
	for (;;) {
		for (size_t i = 0; i < FL_ENGINE_READERS; i++)
			if (eng->readers[i] && !eng->rbusy[i]) {
				eng->rbusy[i] = true;
				*slot = i;
				pthread_mutex_unlock(&eng->rmu);
				return eng->readers[i];
			}
		for (size_t i = 0; i < FL_ENGINE_READERS; i++)
			if (!eng->readers[i] && !eng->rbusy[i]) {
				eng->rbusy[i] = true; /* reserved while opening */
				pthread_mutex_unlock(&eng->rmu);
				rc = fl_store_open(&st, eng->db_driver, eng->db_path, FL_STORE_READONLY, err);
				pthread_mutex_lock(&eng->rmu);
				if (rc) {
					eng->rbusy[i] = false;
					pthread_cond_signal(&eng->rcond);
					pthread_mutex_unlock(&eng->rmu);
					return NULL;
				}
				eng->readers[i] = st;
				*slot = i;
				pthread_mutex_unlock(&eng->rmu);
				return st;
			}
		pthread_cond_wait(&eng->rcond, &eng->rmu);
	}
}

void fl_engine__reader_put(struct fl_engine *eng, size_t slot)
{
	pthread_mutex_lock(&eng->rmu);
	eng->rbusy[slot] = false;
	pthread_cond_signal(&eng->rcond);
	pthread_mutex_unlock(&eng->rmu);
}

/* ------------------------------------------------------ async calls */

static int submit(struct fl_engine *eng, struct fl_engine_job *job)
{
	return fl_engine__submit(eng, job);
}

/* A job about a key (a pack id, flow name or datastore key), and an action and its attempt when given. */
static struct fl_engine_job *keyed_job(enum fl_engine_job_kind kind, const char *key, const char *action,
				       int64_t attempt, fl_engine_done_fn cb, void *payload)
{
	struct fl_engine_job *job = fl_engine__job_new(kind, cb, payload);

	job->key = key ? fl_xstrdup(key) : NULL;
	job->action = action ? fl_xstrdup(action) : NULL;
	job->attempt = attempt < 0 ? -1 : attempt;
	return job;
}

int fl_engine_pack_register(struct fl_engine *eng, json_t *def, fl_engine_done_fn cb, void *payload)
{
	struct fl_engine_job *job;

	if (!eng || !cb)
		return FL_EMISUSE;
	job = fl_engine__job_new(FL_JOB_PACK_REGISTER, cb, payload);
	if (fl_packdef_parse(&job->packdef, def, &job->res.err) != FL_OK)
		job->kind = FL_JOB_FAILED;
	return submit(eng, job);
}

int fl_engine_pack_delete(struct fl_engine *eng, const char *id, fl_engine_done_fn cb, void *payload)
{
	if (!eng || !id || !cb)
		return FL_EMISUSE;
	return submit(eng, keyed_job(FL_JOB_PACK_DELETE, id, NULL, -1, cb, payload));
}

int fl_engine_event_post(struct fl_engine *eng, const char *pack_id, json_t *event, fl_engine_done_fn cb,
			 void *payload)
{
	struct fl_engine_job *job;

	if (!eng || !pack_id || !cb)
		return FL_EMISUSE;
	job = keyed_job(FL_JOB_EVENT, pack_id, NULL, -1, cb, payload);
	fl_engine__event_parse(&job->ev, event);
	return submit(eng, job);
}

int fl_engine_action_take(struct fl_engine *eng, const char *pack_id, const char *command_name, int wait_ms,
			  fl_engine_done_fn cb, void *payload)
{
	struct fl_engine_job *job;

	if (!eng || !pack_id || !cb)
		return FL_EMISUSE;
	job = keyed_job(FL_JOB_TAKE, pack_id, NULL, -1, cb, payload);
	job->command = command_name ? fl_xstrdup(command_name) : NULL;
	if (wait_ms < 0)
		wait_ms = eng->cfg.take_wait_ms_default;
	job->wait_ms = FL_MIN(wait_ms, eng->cfg.take_wait_ms_max);
	return submit(eng, job);
}

int fl_engine_action_release(struct fl_engine *eng, const char *action_id, int64_t attempt)
{
	struct fl_engine_job *job;

	if (!eng || !action_id)
		return FL_EMISUSE;
	job = keyed_job(FL_JOB_RELEASE, NULL, action_id, -1, NULL, NULL);
	job->attempt = attempt; /* as given: the release matches it exactly */
	return submit(eng, job);
}

int fl_engine_action_heartbeat(struct fl_engine *eng, const char *pack_id, const char *action_id, int64_t attempt,
			       fl_engine_done_fn cb, void *payload)
{
	if (!eng || !pack_id || !action_id || !cb)
		return FL_EMISUSE;
	return submit(eng, keyed_job(FL_JOB_HEARTBEAT, pack_id, action_id, attempt, cb, payload));
}

int fl_engine_action_result(struct fl_engine *eng, const char *pack_id, const char *action_id, int64_t attempt,
			    json_t *event, fl_engine_done_fn cb, void *payload)
{
	struct fl_engine_job *job;

	if (!eng || !pack_id || !action_id || !cb)
		return FL_EMISUSE;
	job = keyed_job(FL_JOB_RESULT, pack_id, action_id, attempt, cb, payload);
	fl_engine__event_parse(&job->ev, event);
	return submit(eng, job);
}

int fl_engine_flow_put(struct fl_engine *eng, json_t *flow, unsigned flags, fl_engine_done_fn cb, void *payload)
{
	struct fl_engine_job *job;
	bool strict;

	if (!eng || !cb)
		return FL_EMISUSE;
	strict = (flags & FL_ENGINE_FLOW_STRICT) || eng->cfg.flows_strict;
	job = fl_engine__job_new(FL_JOB_FLOW_PUT, cb, payload);
	/* validation and template compilation happen here, off the writer thread */
	if (fl_flowdef_compile(&job->flow, flow, &eng->cfg.tmpl_limits, strict ? FL_FLOWDEF_STRICT : 0,
			       &job->res.err) != FL_OK)
		job->kind = FL_JOB_FAILED;
	return submit(eng, job);
}

int fl_engine_flow_delete(struct fl_engine *eng, const char *name, fl_engine_done_fn cb, void *payload)
{
	if (!eng || !name || !cb)
		return FL_EMISUSE;
	return submit(eng, keyed_job(FL_JOB_FLOW_DELETE, name, NULL, -1, cb, payload));
}

int fl_engine_datastore_put(struct fl_engine *eng, const struct fl_datastore_item_ref *item, fl_engine_done_fn cb,
			    void *payload)
{
	struct fl_engine_job *job;

	if (!eng || !item || !item->key || !cb)
		return FL_EMISUSE;
	job = fl_engine__job_new(FL_JOB_DS_PUT, cb, payload);
	job->item.key = fl_xstrdup(item->key);
	job->item.content_type = fl_xstrdup(item->content_type && *item->content_type ? item->content_type
										  : "text/plain; charset=us-ascii");
	job->item.description = item->description ? fl_xstrdup(item->description) : NULL;
	job->item.value = fl_xmemdup0(item->value ? item->value : "", item->value ? item->value_len : 0);
	job->item.value_len = item->value ? item->value_len : 0;
	return submit(eng, job);
}

int fl_engine_datastore_delete(struct fl_engine *eng, const char *key, fl_engine_done_fn cb, void *payload)
{
	if (!eng || !key || !cb)
		return FL_EMISUSE;
	return submit(eng, keyed_job(FL_JOB_DS_DELETE, key, NULL, -1, cb, payload));
}

/* ------------------------------------------------------------ reads */

/* The exact lastSeen of a pack as the writer knows it, else the stored one. */
static int64_t last_seen(struct fl_engine *eng, const char *id, int64_t stored)
{
	struct fl_engine_pack *p;
	int64_t v = stored;

	pthread_mutex_lock(&eng->packs_mu);
	p = fl_strmap_gets(eng->packs, id);
	if (p && p->last_seen > v)
		v = p->last_seen;
	pthread_mutex_unlock(&eng->packs_mu);
	return v;
}

int fl_engine_pack_get(struct fl_engine *eng, const char *id, json_t **out, struct fl_error *err)
{
	struct fl_store_pack p = { 0 };
	struct fl_store *st;
	size_t slot;
	json_t *def;
	int rc;

	*out = NULL;
	st = fl_engine__reader_get(eng, &slot, err);
	if (!st)
		return err ? err->code : FL_EIO;
	rc = fl_store_pack_get(st, &p, id, err);
	fl_engine__reader_put(eng, slot);
	if (rc)
		return rc;
	def = json_loads(p.def, 0, NULL);
	*out = fl_packdef_to_json(p.id, def, last_seen(eng, p.id, p.last_seen), fl_time_now_ns());
	json_decref(def);
	fl_store_pack_release(&p);
	return FL_OK;
}

struct list_ctx {
	struct fl_engine *eng;
	json_t *arr;
	int64_t now;
};

/* Run one store listing on a reader connection, collecting a JSON array. */
static int read_list(struct fl_engine *eng, int (*list)(struct fl_store *st, struct list_ctx *c, struct fl_error *err),
		     json_t **out, struct fl_error *err)
{
	struct list_ctx c = { eng, json_array(), fl_time_now_ns() };
	struct fl_store *st;
	size_t slot;
	int rc;

	*out = NULL;
	st = fl_engine__reader_get(eng, &slot, err);
	if (!st) {
		json_decref(c.arr);
		return err ? err->code : FL_EIO;
	}
	rc = list(st, &c, err);
	fl_engine__reader_put(eng, slot);
	if (rc) {
		json_decref(c.arr);
		return rc;
	}
	*out = c.arr;
	return FL_OK;
}

static int pack_summary_cb(const struct fl_store_pack *p, void *payload)
{
	struct list_ctx *c = payload;
	json_t *def = json_loads(p->def, 0, NULL);

	json_array_append_new(c->arr, fl_packdef_summary_json(p->id, p->name, json_object_get(def, "labels"),
							       last_seen(c->eng, p->id, p->last_seen), c->now));
	json_decref(def);
	return 0;
}

static int list_packs(struct fl_store *st, struct list_ctx *c, struct fl_error *err)
{
	return fl_store_pack_list(st, pack_summary_cb, c, err);
}

int fl_engine_pack_list(struct fl_engine *eng, json_t **out, struct fl_error *err)
{
	return read_list(eng, list_packs, out, err);
}

int fl_engine_flow_get(struct fl_engine *eng, const char *name, json_t **out, struct fl_error *err)
{
	struct fl_store_flow f = { 0 };
	struct fl_store *st;
	size_t slot;
	int rc;

	*out = NULL;
	st = fl_engine__reader_get(eng, &slot, err);
	if (!st)
		return err ? err->code : FL_EIO;
	rc = fl_store_flow_get(st, &f, name, err);
	fl_engine__reader_put(eng, slot);
	if (rc)
		return rc;
	*out = json_loads(f.def ? f.def : "", 0, NULL);
	fl_store_flow_release(&f);
	if (!*out)
		return fl_error_set(err, FL_EIO, "stored definition of flow '%s' is not JSON", name);
	{
		/* the steps that do not compile, as "warnings" (flyte's addition) */
		struct fl_flowdef *fd = NULL;
		struct fl_error cerr = FL_ERROR_INIT;
		if (fl_flowdef_compile(&fd, *out, &eng->cfg.tmpl_limits, 0, &cerr) == FL_OK && fd->warnings)
			json_object_set(*out, "warnings", fd->warnings);
		fl_flowdef_unref(fd);
	}
	return FL_OK;
}

static int flow_summary_cb(const struct fl_store_flow *f, void *payload)
{
	struct list_ctx *c = payload;
	json_t *o = json_object();

	json_object_set_new(o, "name", json_string(f->name));
	if (f->description && *f->description)
		json_object_set_new(o, "description", json_string(f->description));
	json_array_append_new(c->arr, o);
	return 0;
}

static int list_flows(struct fl_store *st, struct list_ctx *c, struct fl_error *err)
{
	return fl_store_flow_list(st, false, flow_summary_cb, c, err);
}

int fl_engine_flow_list(struct fl_engine *eng, json_t **out, struct fl_error *err)
{
	return read_list(eng, list_flows, out, err);
}

void fl_engine_datastore_item_free(struct fl_datastore_item *item)
{
	if (!item)
		return;
	free(item->key);
	free(item->content_type);
	free(item->description);
	free(item->value);
	free(item);
}

int fl_engine_datastore_get(struct fl_engine *eng, struct fl_datastore_item **out, const char *key,
			    struct fl_error *err)
{
	struct fl_store_ds_item it = { 0 };
	struct fl_datastore_item *item;
	struct fl_store *st;
	size_t slot;
	int rc;

	*out = NULL;
	st = fl_engine__reader_get(eng, &slot, err);
	if (!st)
		return err ? err->code : FL_EIO;
	rc = fl_store_ds_get(st, &it, key, err);
	fl_engine__reader_put(eng, slot);
	if (rc)
		return rc;
	item = fl_xcalloc(1, sizeof(*item));
	item->key = it.key;
	item->content_type = it.content_type;
	item->description = it.description;
	item->value = it.value ? it.value : fl_xstrdup("");
	item->value_len = it.value_len;
	*out = item;
	return FL_OK;
}

static int ds_summary_cb(const struct fl_store_ds_item *it, void *payload)
{
	struct list_ctx *c = payload;
	json_t *o = json_object();

	json_object_set_new(o, "key", json_string(it->key));
	json_object_set_new(o, "contentType", json_string(it->content_type));
	if (it->description && *it->description)
		json_object_set_new(o, "description", json_string(it->description));
	json_array_append_new(c->arr, o);
	return 0;
}

static int list_datastore(struct fl_store *st, struct list_ctx *c, struct fl_error *err)
{
	return fl_store_ds_list(st, ds_summary_cb, c, err);
}

int fl_engine_datastore_list(struct fl_engine *eng, json_t **out, struct fl_error *err)
{
	return read_list(eng, list_datastore, out, err);
}

/* ------------------------------------------------------------ audit */

int fl_engine_audit_list(struct fl_engine *eng, const struct fl_audit_filter *f, json_t **out, struct fl_error *err)
{
	struct fl_engine_audit_cursor *c = NULL;
	json_t *arr, *exe = NULL;
	int rc;

	*out = NULL;
	rc = fl_engine_audit_open(eng, f, &c, err);
	if (rc)
		return rc;
	arr = json_array();
	while ((rc = fl_engine_audit_next(c, &exe, err)) == FL_OK && exe)
		json_array_append_new(arr, exe);
	fl_engine_audit_close(c);
	if (rc) {
		json_decref(arr);
		return rc;
	}
	*out = arr;
	return FL_OK;
}

int fl_engine_audit_get(struct fl_engine *eng, const char *correlation_id, json_t **out, struct fl_error *err)
{
	struct fl_store *st;
	size_t slot;
	int rc;

	*out = NULL;
	st = fl_engine__reader_get(eng, &slot, err);
	if (!st)
		return err ? err->code : FL_EIO;
	rc = fl_store_begin(st, err);
	if (!rc)
		rc = fl_engine__execution_json(out, st, correlation_id, err);
	fl_store_rollback(st, NULL);
	fl_engine__reader_put(eng, slot);
	return rc;
}

/* ------------------------------------------------------------- misc */

const char *fl_engine_database(const struct fl_engine *eng)
{
	return eng->db_shown;
}

int fl_engine_health(struct fl_engine *eng, struct fl_error *err)
{
	struct fl_store *st;
	size_t slot;
	int rc;

	if (eng->reload_due) /* the store failed and the state is not rebuilt yet: writes answer 503 */
		return fl_error_set(err, FL_EIO, "the engine state could not be rebuilt from the store yet");
	st = fl_engine__reader_get(eng, &slot, err);
	if (!st)
		return err ? err->code : FL_EIO;
	rc = fl_store_ping(st, err);
	fl_engine__reader_put(eng, slot);
	return rc;
}

json_t *fl_engine_result_keep_body(const struct fl_engine_result *res)
{
	/* the result is the engine's (a job's); handing its body over is the one change made to it here */
	struct fl_engine_result *r = (struct fl_engine_result *)(uintptr_t)res;
	json_t *b = r->body;

	if (!b)
		return NULL;
	if (!r->body_exclusive)
		return json_deep_copy(b);
	r->body = NULL;
	r->body_exclusive = false;
	return b;
}

void fl_engine_stats(struct fl_engine *eng, struct fl_engine_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (!eng)
		return;
	out->commits = atomic_load_explicit(&eng->st_commits, memory_order_relaxed);
	out->jobs = atomic_load_explicit(&eng->st_jobs, memory_order_relaxed);
	out->events = atomic_load_explicit(&eng->st_events, memory_order_relaxed);
	out->actions_created = atomic_load_explicit(&eng->st_created, memory_order_relaxed);
	out->actions_taken = atomic_load_explicit(&eng->st_taken, memory_order_relaxed);
	out->actions_completed = atomic_load_explicit(&eng->st_completed, memory_order_relaxed);
	out->parked_takes = atomic_load_explicit(&eng->st_parked, memory_order_relaxed);
	out->renders_deferred = atomic_load_explicit(&eng->st_deferred, memory_order_relaxed);
	out->leases_expired = atomic_load_explicit(&eng->st_leases_expired, memory_order_relaxed);
	out->lease_fatal = atomic_load_explicit(&eng->st_lease_fatal, memory_order_relaxed);
}
