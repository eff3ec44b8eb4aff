/* SPDX-License-Identifier: Apache-2.0 */
/*
 * restpack.h - what the handlers of the REST packs (Jira, Bamboo,
 * Bitbucket, Graphite, Consul) share on top of httpc: their configuration
 * from <P>_HOST and the credential variables, and the exchange of one
 * request whose failures become the one-line descriptions the Go packs put
 * in their failure events ("err=<what happened>", "statusCode=<status> :
 * <the service's message>").
 */
#ifndef PACKS_RESTPACK_H
#define PACKS_RESTPACK_H

#include "fl-common.h"

#include <jansson.h>

#include "httpc.h"
#include "packutil.h"

#define RESTPACK_ERR_LEN 1024                   /* a description of a failure (httpc_describe) */
#define RESTPACK_WHY_LEN (RESTPACK_ERR_LEN + 32) /* "err=" or "statusCode=<n>" and a description */
#define RESTPACK_MSG_LEN 2048                   /* room for a description and the input values */

/* The state of a REST pack: the handle of its service, or why there is none. */
struct restpack {
	struct httpc *http; /* NULL when not configured: see error */
	char error[256];    /* why, e.g. "BAMBOO_HOST is not set" */
};

/* Free the handle; rp is zeroed.  NULL is accepted. */
void restpack_release(struct restpack *rp);

/*
 * Configure a pack whose state is a struct restpack from the environment:
 * returns 0 (rp->http NULL when a variable is missing), or -1 with a
 * message in err when one is malformed.
 */
typedef int (*restpack_from_env_fn)(struct restpack *rp, flyte_log_fn log_fn, enum flyte_log_level level,
				    char *err, size_t errlen);

/*
 * main() of such a pack: --help and --version, from_env (logging to stderr
 * at FLYTE_LOG_LEVEL), then the pack `name` with commands[0..n) until it
 * is stopped.  A missing variable is a warning: the commands answer with
 * their failure event.  Returns the process exit code.
 */
int restpack_main(int argc, char **argv, const char *prog, const char *name, const char *help,
		  const struct flyte_command_def *commands, size_t n, restpack_from_env_fn from_env);

/* httpc_options_init() with the service's name and the pack's log callback. */
void restpack_options_init(struct httpc_options *o, const char *name, flyte_log_fn log_fn, enum flyte_log_level level);

/*
 * Credentials of a REST pack: a bearer token when token is set, else Basic
 * with user and password when both are set (o->auth, o->token, o->user,
 * o->password).  Returns NULL, or the variable to name as missing: user_var
 * when user is not set, else password_var.
 */
const char *restpack_auth(struct httpc_options *o, const char *token, const char *user, const char *password,
			  const char *user_var, const char *password_var);

/*
 * Make rp's handle from o (name, time-outs, credentials set by the
 * caller), the httpc settings <prefix>_* (httpc_options_from_env) and the
 * base URL <prefix>_HOST.  A missing <prefix>_HOST or `missing` (a
 * credential variable that is not set, see restpack_auth) is no error:
 * rp->http stays NULL and rp->error says "<variable> is not set", for the
 * commands to answer with their failure event.  Returns -1 with a message
 * in err only when a variable is malformed or the handle cannot be made.
 */
int restpack_new(struct restpack *rp, struct httpc_options *o, const char *prefix, const char *missing, char *err,
		 size_t errlen);

/* Send q; 0 when the service answered (any status), else -1 with httpc_describe() in msg. */
int restpack_call(struct httpc *h, const struct httpc_request *q, struct httpc_response *r, char *msg, size_t len);

/* " : <the service's message>" of an answer (redacted), or "" when it has none.  Returns buf. */
const char *restpack_detail(const struct httpc *h, const struct httpc_response *r, char *buf, size_t len);

/*
 * Parse an answer that must be a JSON object.  Returns 0 with a new
 * reference in *out, or -1 with the reason in msg (*out NULL).
 */
int restpack_answer_object(const struct httpc_response *r, json_t **out, char *msg, size_t len);

/*
 * Send q and expect status `want` and, when ans is not NULL, a JSON object
 * answer (a new reference in *ans).  Returns 0, or -1 with why =
 * "<err_name><what failed>" when there was no answer or it is not a JSON
 * object, or "<status_name><status><restpack_detail()>" for another
 * status.  err_name NULL means "err=", status_name NULL "statusCode=".
 */
int restpack_exchange(struct httpc *h, const struct httpc_request *q, long want, struct httpc_response *r,
		      json_t **ans, const char *err_name, const char *status_name, char *why, size_t len);

#endif
