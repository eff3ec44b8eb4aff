/* SPDX-License-Identifier: Apache-2.0 */
/*
 * drive_flt.c - the engine driven from fltest suites: what cannot happen
 * ends the running test (see drive.h).
 */
#include "fl-common.h"

#include "drive.h"
#include "fltest.h"
#include "log.h"

struct fld_dir fld_tmp;

void fld_tmp_setup(const char *prefix)
{
	if (fld_dir_make(&fld_tmp, prefix) != 0)
		FLT_FAIL("mkdtemp failed: %s", strerror(errno));
}

void fld_tmp_cleanup(void)
{
	fld_dir_remove(&fld_tmp);
}

void fld_finish(struct fl_engine *eng)
{
	fl_engine_free(eng);
	fld_tmp_cleanup();
}

struct fl_engine *fld_open(const struct fl_engine_config *cfg)
{
	struct fl_engine_config c;
	struct fl_engine *eng = NULL;
	struct fl_error err = FL_ERROR_INIT;

	if (cfg)
		c = *cfg;
	else
		fld_config(&c, NULL);
	c.db_path = fld_tmp.db;
	fl_log_set_level(FL_LOG_ERROR);
	if (fl_engine_open(&eng, &c, &err) != FL_OK)
		FLT_FAIL("engine open: %s", err.msg);
	return eng;
}

json_t *fld_parse(const char *text)
{
	json_error_t je;
	json_t *j = json_loads(text, JSON_DECODE_ANY, &je);

	if (!j)
		FLT_FAIL("bad test JSON: %s: %s", je.text, text);
	return j;
}

void fld_await(struct fld_res *r)
{
	fld_wait(r, FL_OK);
	if (!r->done)
		FLT_FAIL("callback never came");
}

void fld_post(struct fl_engine *eng, const char *id, const char *text, struct fld_res *r)
{
	json_t *j = fld_parse(text);
	int rc;

	fld_res_init(r);
	rc = fl_engine_event_post(eng, id, j, fld_on_done, r);
	json_decref(j);
	if (rc != FL_OK)
		FLT_FAIL("event post returned %d", rc);
}

int fld_call(struct fl_engine *eng, enum fld_call k, const char *id, const char *text, struct fld_res *r)
{
	json_t *j = fld_parse(text);
	int rc;

	fld_res_init(r);
	switch (k) {
	case FLD_REGISTER:
		rc = fl_engine_pack_register(eng, j, fld_on_done, r);
		break;
	case FLD_FLOW:
		rc = fl_engine_flow_put(eng, j, 0, fld_on_done, r);
		break;
	default:
		rc = fl_engine_event_post(eng, id, j, fld_on_done, r);
		break;
	}
	json_decref(j);
	if (rc != FL_OK)
		FLT_FAIL("call returned %d", rc);
	fld_await(r);
	return r->code;
}

void fld_must(struct fl_engine *eng, enum fld_call k, const char *id, const char *text)
{
	struct fld_res r;
	int rc = fld_call(eng, k, id, text, &r);

	if (rc != FL_OK)
		FLT_FAIL("call failed: %d %s (%s)", rc, r.msg, text);
	fld_res_release(&r);
}

int fld_take(struct fl_engine *eng, const char *pack, const char *cmd, int wait_ms, json_t **out)
{
	struct fld_res r;
	int rc;

	fld_res_init(&r);
	rc = fl_engine_action_take(eng, pack, cmd, wait_ms, fld_on_done, &r);
	if (rc != FL_OK)
		FLT_FAIL("take returned %d", rc);
	fld_await(&r);
	rc = r.code;
	*out = r.body;
	r.body = NULL;
	fld_res_release(&r);
	return rc;
}

int fld_result(struct fl_engine *eng, const char *pack, const char *action, int64_t attempt, const char *text,
	       char *msg, size_t msglen)
{
	struct fld_res r;
	json_t *j = fld_parse(text);
	int rc;

	fld_res_init(&r);
	rc = fl_engine_action_result(eng, pack, action, attempt, j, fld_on_done, &r);
	json_decref(j);
	if (rc != FL_OK)
		FLT_FAIL("result returned %d", rc);
	fld_await(&r);
	rc = r.code;
	if (msg)
		snprintf(msg, msglen, "%s", r.msg);
	fld_res_release(&r);
	return rc;
}
