/* SPDX-License-Identifier: Apache-2.0 */
/*
 * restpack.c - configuration and exchanges of the REST packs' handlers
 * (see restpack.h).
 */
#include "fl-common.h"

#include "httpc.h"
#include "packenv.h"
#include "packutil.h"
#include "restpack.h"

void restpack_options_init(struct httpc_options *o, const char *name, flyte_log_fn log_fn, enum flyte_log_level level)
{
	httpc_options_init(o);
	o->name = name;
	o->log_fn = log_fn;
	o->log_level = level;
}

const char *restpack_auth(struct httpc_options *o, const char *token, const char *user, const char *password,
			  const char *user_var, const char *password_var)
{
	if (token) {
		o->auth = HTTPC_AUTH_BEARER;
		o->token = token;
		return NULL;
	}
	if (!user || !password)
		return user ? password_var : user_var;
	o->auth = HTTPC_AUTH_BASIC;
	o->user = user;
	o->password = password;
	return NULL;
}

int restpack_new(struct restpack *rp, struct httpc_options *o, const char *prefix, const char *missing, char *err,
		 size_t errlen)
{
	char name[64];

	memset(rp, 0, sizeof(*rp));
	if (httpc_options_from_env(o, prefix, 0, err, errlen))
		return -1;
	snprintf(name, sizeof(name), "%s_HOST", prefix);
	o->base_url = packenv_get(name);
	if (!o->base_url || missing) {
		snprintf(rp->error, sizeof(rp->error), "%s is not set", o->base_url ? missing : name);
		return 0;
	}
	return httpc_new(&rp->http, o, err, errlen) ? -1 : 0;
}

void restpack_release(struct restpack *rp)
{
	if (!rp)
		return;
	httpc_free(rp->http);
	memset(rp, 0, sizeof(*rp));
}

int restpack_main(int argc, char **argv, const char *prog, const char *name, const char *help,
		  const struct flyte_command_def *commands, size_t n, restpack_from_env_fn from_env)
{
	struct restpack rp;
	char err[512];
	int rc = packutil_args(argc, argv, prog, help);

	if (rc >= 0)
		return rc;
	if (from_env(&rp, flyte_log_stderr, packutil_log_level(), err, sizeof(err)))
		rc = packutil_fail(prog, err);
	else
		rc = packutil_serve(prog, name, commands, n, &rp, rp.http ? NULL : rp.error);
	restpack_release(&rp);
	return rc;
}

int restpack_call(struct httpc *h, const struct httpc_request *q, struct httpc_response *r, char *msg, size_t len)
{
	if (httpc_send(h, q, r) == FLYTE_OK)
		return 0;
	httpc_describe(msg, len, h, r);
	return -1;
}

const char *restpack_detail(const struct httpc *h, const struct httpc_response *r, char *buf, size_t len)
{
	char m[400];

	buf[0] = '\0';
	if (httpc_answer_message(m, sizeof(m), r->body, r->body_len, r->content_type)) {
		snprintf(buf, len, " : %s", m);
		httpc_redact(h, buf);
	}
	return buf;
}

int restpack_answer_object(const struct httpc_response *r, json_t **out, char *msg, size_t len)
{
	if (httpc_answer_json(out, r->body, r->body_len, msg, len))
		return -1;
	if (!json_is_object(*out)) {
		json_decref(*out);
		*out = NULL;
		snprintf(msg, len, "unexpected answer: not a JSON object");
		return -1;
	}
	return 0;
}

int restpack_exchange(struct httpc *h, const struct httpc_request *q, long want, struct httpc_response *r,
		      json_t **ans, const char *err_name, const char *status_name, char *why, size_t len)
{
	char msg[RESTPACK_ERR_LEN], more[512];

	if (ans)
		*ans = NULL;
	if (restpack_call(h, q, r, msg, sizeof(msg)) ||
	    (r->status == want && ans && restpack_answer_object(r, ans, msg, sizeof(msg)))) {
		snprintf(why, len, "%s%s", err_name ? err_name : "err=", msg);
		return -1;
	}
	if (r->status != want) {
		snprintf(why, len, "%s%ld%s", status_name ? status_name : "statusCode=", r->status,
			 restpack_detail(h, r, more, sizeof(more)));
		return -1;
	}
	return 0;
}
