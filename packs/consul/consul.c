/* SPDX-License-Identifier: Apache-2.0 */
/*
 * consul.c - the Consul pack's handler (see consul.h).
 *
 * TransactKV validates the operations as the Go pack did (a missing key or
 * an unknown verb rolls the transaction back without calling Consul), then
 * sends them to PUT /v1/txn as KV operations whose Value is the base64 of
 * the operation's "value" written as compact JSON (a JSON string keeps its
 * quotes, as the Go pack stored it).  200 is TransactionSucceeded, 409
 * TransactionRolledBack with Consul's errors; anything else (transport,
 * another status, an answer that is not the documented JSON) is FATAL, as
 * the Go pack's client error was.
 */
#include "fl-common.h"

#include <ctype.h>
#include <strings.h>

#include "b64.h"
#include "buf.h"
#include "consul.h"
#include "httpc.h"
#include "packenv.h"
#include "packjson.h"
#include "packutil.h"
#include "restpack.h"

/* ------------------------------------------------------------ config */

/* The token of CONSUL_HTTP_TOKEN_FILE: the file's first line without trailing blanks. */
static int read_token_file(char **token, const char *path, char *err, size_t errlen)
{
	size_t n;

	if (packenv_secret_file(token, "CONSUL_HTTP_TOKEN_FILE", path, err, errlen))
		return -1;
	n = strlen(*token);
	while (n > 0 && isspace((unsigned char)(*token)[n - 1]))
		(*token)[--n] = '\0';
	return 0;
}

int consul_from_env(struct consul *c, flyte_log_fn log_fn, enum flyte_log_level level, char *err, size_t errlen)
{
	struct httpc_options o;
	struct fl_buf url = FL_BUF_INIT(0), user = FL_BUF_INIT(0);
	const char *addr = packenv_get("CONSUL_HTTP_ADDR"), *token = packenv_get("CONSUL_HTTP_TOKEN");
	const char *tfile = packenv_get("CONSUL_HTTP_TOKEN_FILE"), *auth = packenv_get("CONSUL_HTTP_AUTH");
	bool ssl = false, verify = true;
	int rc = -1;

	memset(c, 0, sizeof(*c));
	restpack_options_init(&o, "Consul", log_fn, level);
	if (httpc_options_from_env(&o, "CONSUL", HTTPC_ENV_NO_TLS, err, errlen) ||
	    packenv_bool("CONSUL_HTTP_SSL", &ssl, err, errlen) ||
	    packenv_bool("CONSUL_HTTP_SSL_VERIFY", &verify, err, errlen))
		goto out;
	if (!addr)
		addr = "127.0.0.1:8500";
	if (!strncmp(addr, "unix://", 7)) {
		o.unix_socket = addr + 7;
		fl_buf_adds(&url, ssl ? "https://localhost" : "http://localhost");
	} else if (strstr(addr, "://")) {
		if (ssl && !strncmp(addr, "http://", 7))
			fl_buf_addf(&url, "https://%s", addr + 7);
		else
			fl_buf_adds(&url, addr);
	} else {
		fl_buf_addf(&url, "%s://%s", ssl ? "https" : "http", addr);
	}
	o.base_url = url.ptr;
	o.insecure = !verify;
	o.ca_file = packenv_get("CONSUL_CACERT");
	o.ca_path = packenv_get("CONSUL_CAPATH");
	o.cert_file = packenv_get("CONSUL_CLIENT_CERT");
	o.key_file = packenv_get("CONSUL_CLIENT_KEY");
	if (!token && tfile) {
		if (read_token_file(&c->token, tfile, err, errlen))
			goto out;
		token = *c->token ? c->token : NULL;
	}
	if (token) {
		o.auth = HTTPC_AUTH_HEADER;
		o.token_header = "X-Consul-Token";
		o.token = token;
	}
	if (auth) {
		const char *colon = strchr(auth, ':');
		if (!o.auth)
			o.auth = HTTPC_AUTH_BASIC;
		fl_buf_add(&user, auth, colon ? (size_t)(colon - auth) : strlen(auth));
		o.user = user.ptr;
		o.password = colon ? colon + 1 : "";
	}
	if (fl_buf_failed(&url) || fl_buf_failed(&user)) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if (packenv_get("CONSUL_TLS_SERVER_NAME") && log_fn)
		log_fn(FLYTE_LOG_WARN, "Consul: CONSUL_TLS_SERVER_NAME is not supported and is ignored", NULL);
	rc = httpc_new(&c->http, &o, err, errlen) ? -1 : 0;
out:
	fl_buf_release(&url);
	fl_buf_release(&user);
	return rc;
}

void consul_release(struct consul *c)
{
	if (!c)
		return;
	httpc_free(c->http);
	packenv_secret_free(c->token);
	memset(c, 0, sizeof(*c));
}

/* ----------------------------------------------------------- answers */

json_t *consul_value(const json_t *b64)
{
	struct fl_buf raw = FL_BUF_INIT(0);
	json_t *v;

	if (!b64 || json_is_null(b64))
		return json_null();
	if (!json_is_string(b64) ||
	    fl_b64_decode(&raw, json_string_value(b64), json_string_length(b64), FL_B64_PAD) || fl_buf_failed(&raw)) {
		fl_buf_release(&raw);
		return NULL;
	}
	/* the Go pack embedded the stored bytes as raw JSON (and failed when they were not JSON) */
	v = json_loadb(raw.ptr, raw.len, JSON_DECODE_ANY, NULL);
	if (!v)
		v = packjson_stringn(raw.ptr, raw.len);
	fl_buf_release(&raw);
	return v;
}

json_t *consul_results(const json_t *answer, char *err, size_t errlen)
{
	const json_t *results = json_object_get(answer, "Results"), *r;
	json_t *list;
	size_t i;

	if (!json_is_object(answer) || (results && !json_is_null(results) && !json_is_array(results))) {
		snprintf(err, errlen, "unexpected answer: no Results list");
		return NULL;
	}
	list = json_array();
	json_array_foreach(results, i, r) {
		const json_t *kv = json_object_get(r, "KV"), *key = json_object_get(kv, "Key");
		json_t *value = consul_value(json_object_get(kv, "Value")), *item;
		if (!json_is_object(kv) || !json_is_string(key) || !value) {
			json_decref(value);
			json_decref(list);
			snprintf(err, errlen, "unexpected answer: result %zu is not a KV entry with a base64 value", i);
			return NULL;
		}
		item = json_pack("{s:I,s:O,s:o}", "index", (json_int_t)i, "key", key, "value", value);
		if (!item || json_array_append_new(list, item)) {
			json_decref(list);
			snprintf(err, errlen, "out of memory");
			return NULL;
		}
	}
	return list;
}

json_t *consul_errors(const json_t *answer, char *err, size_t errlen)
{
	const json_t *errors = json_object_get(answer, "Errors"), *e;
	json_t *list;
	size_t i;

	if (!json_is_array(errors)) {
		snprintf(err, errlen, "unexpected answer: no Errors list");
		return NULL;
	}
	list = json_array();
	json_array_foreach(errors, i, e) {
		const json_t *op = json_object_get(e, "OpIndex"), *what = json_object_get(e, "What");
		json_t *item = json_is_integer(op) && json_is_string(what)
				       ? json_pack("{s:O,s:o}", "index", op, "error", packjson_string(json_string_value(what)))
				       : NULL;
		if (!item || json_array_append_new(list, item)) {
			json_decref(list);
			snprintf(err, errlen, "unexpected answer: error %zu has no OpIndex and What", i);
			return NULL;
		}
	}
	return list;
}

/* -------------------------------------------------------- TransactKV */

static const char *const verbs[] = { "set", "delete", "delete-cas", "delete-tree", "cas", "lock", "unlock", "get",
				     "get-tree", "check-index", "check-not-exists", "check-session", "get-or-empty" };
/* verbs that change nothing: a transaction of only these may be retried */
static const char *const read_verbs[] = { "get", "get-tree", "check-index", "check-not-exists", "check-session",
					  "get-or-empty" };

static bool in_list(const char *v, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v, list[i]))
			return true;
	return false;
}

struct op {
	const char *verb, *key, *session;
	json_t *value; /* borrowed; NULL when absent */
	long long index, flags;
	bool has_index, has_session, has_flags;
};

static int rolled_back(struct flyte_result *out, json_t *input, json_t *errors)
{
	return packjson_result(out, "TransactionRolledBack",
			       json_pack("{s:O,s:o}", "input", input, "errors", errors ? errors : json_array()));
}

/* The operation as Consul's /v1/txn expects it. */
static json_t *txn_op(const struct op *o)
{
	json_t *kv, *value = json_null();

	if (o->value) { /* an explicit null is stored as the text null, as the Go pack did */
		struct fl_buf enc = FL_BUF_INIT(0);
		char *text = json_dumps(o->value, JSON_COMPACT | JSON_ENCODE_ANY);
		if (!text)
			return NULL;
		fl_b64_encode(&enc, text, strlen(text), FL_B64_PAD);
		free(text);
		value = fl_buf_failed(&enc) ? NULL : json_stringn(enc.ptr, enc.len);
		fl_buf_release(&enc);
		if (!value)
			return NULL;
	}
	kv = json_pack("{s:s,s:o,s:o,s:I,s:I,s:o}", "Verb", o->verb, "Key", packjson_string(o->key), "Value", value,
		       "Flags", (json_int_t)o->flags, "Index", (json_int_t)o->index, "Session",
		       packjson_string(o->session));
	return kv ? json_pack("{s:o}", "KV", kv) : NULL;
}

static int transact_kv(const char *input, size_t len, struct flyte_result *out, void *payload)
{
	struct consul *c = payload;
	struct httpc_response r;
	struct httpc_request req = { .method = "PUT", .path = "/v1/txn" };
	struct fl_buf q = FL_BUF_INIT(0);
	struct op *ops = NULL;
	json_t *in = NULL, *list, *echo = NULL, *echo_ops, *errors = NULL, *body = NULL, *ans = NULL, *v;
	const char *dc = "";
	char err[RESTPACK_ERR_LEN], msg[RESTPACK_MSG_LEN];
	bool reads_only = true;
	size_t n, i;
	int rc;

	httpc_response_init(&r);
	if (packjson_object(&in, input, len, err, sizeof(err)) || packjson_str(in, "dc", NULL, &dc, err, sizeof(err))) {
		rc = flyte_result_fatal(out, "input is not valid: %s", err);
		goto done;
	}
	list = json_object_get(in, "operations");
	if (list && !json_is_null(list) && !json_is_array(list)) {
		rc = flyte_result_fatal(out, "input is not valid: json: cannot unmarshal %s into Go struct field "
					     ".operations of type []client.KVOperation", packjson_go_type(list));
		goto done;
	}
	n = json_array_size(list);
	if (!n) {
		rc = flyte_result_fatal(out, "missing operations");
		goto done;
	}
	ops = calloc(n, sizeof(*ops));
	echo_ops = json_array();
	echo = json_pack("{s:s,s:o}", "dc", dc, "operations", echo_ops);
	errors = json_array();
	if (!ops || !echo || !errors) {
		rc = flyte_result_fatal(out, "out of memory");
		goto done;
	}
	json_array_foreach(list, i, v) {
		struct op *o = &ops[i];
		json_t *e;
		if (!json_is_object(v) && !json_is_null(v)) {
			rc = flyte_result_fatal(out, "input is not valid: json: cannot unmarshal %s into Go struct field "
						     ".operations of type client.KVOperation", packjson_go_type(v));
			goto done;
		}
		if (packjson_str(v, "verb", NULL, &o->verb, err, sizeof(err)) ||
		    packjson_str(v, "key", NULL, &o->key, err, sizeof(err)) ||
		    packjson_str(v, "session", NULL, &o->session, err, sizeof(err)) ||
		    packjson_int(v, "index", 0, &o->index, err, sizeof(err)) ||
		    packjson_int(v, "flags", 0, &o->flags, err, sizeof(err))) {
			rc = flyte_result_fatal(out, "input is not valid: %s", err);
			goto done;
		}
		if (o->index < 0 || o->flags < 0) {
			rc = flyte_result_fatal(out, "input is not valid: index and flags must not be negative");
			goto done;
		}
		o->value = json_object_get(v, "value");
		o->has_index = json_object_get(v, "index") != NULL;
		o->has_flags = json_object_get(v, "flags") != NULL;
		o->has_session = json_object_get(v, "session") != NULL;
		/* the input as the Go pack echoed it, plus the members it did not know when given */
		e = json_pack("{s:s,s:o,s:O}", "verb", o->verb, "key", packjson_string(o->key), "value",
			      o->value ? o->value : json_null());
		if (e && o->has_index)
			json_object_set_new(e, "index", json_integer(o->index));
		if (e && o->has_session)
			json_object_set_new(e, "session", packjson_string(o->session));
		if (e && o->has_flags)
			json_object_set_new(e, "flags", json_integer(o->flags));
		if (!e || json_array_append_new(echo_ops, e)) {
			rc = flyte_result_fatal(out, "out of memory");
			goto done;
		}
		if (!*o->key)
			json_array_append_new(errors, json_pack("{s:I,s:s}", "index", (json_int_t)i, "error", "key is missing"));
		if (!in_list(o->verb, verbs, FL_ARRAY_LEN(verbs))) {
			snprintf(msg, sizeof(msg), "%s verb is not valid", o->verb);
			json_array_append_new(errors, json_pack("{s:I,s:o}", "index", (json_int_t)i, "error",
								packjson_string(msg)));
		}
		reads_only = reads_only && in_list(o->verb, read_verbs, FL_ARRAY_LEN(read_verbs));
	}
	if (json_array_size(errors)) {
		rc = rolled_back(out, echo, json_incref(errors));
		goto done;
	}
	if (n > CONSUL_MAX_OPS) {
		rc = rolled_back(out, echo,
				 json_pack("[{s:i,s:s}]", "index", CONSUL_MAX_OPS, "error",
					   "too many operations: Consul accepts at most 128 in a transaction"));
		goto done;
	}
	body = json_array();
	for (i = 0; i < n; i++) {
		if (json_array_append_new(body, txn_op(&ops[i]))) {
			rc = flyte_result_fatal(out, "cannot encode operation %zu", i);
			goto done;
		}
	}
	if (*dc)
		httpc_query_add(&q, "dc", dc);
	req.query = q.ptr;
	req.json = body;
	req.flags = reads_only ? HTTPC_IDEMPOTENT : 0;
	if (restpack_call(c->http, &req, &r, err, sizeof(err))) {
		rc = flyte_result_fatal(out, "failed to make transaction request: %s", err);
	} else if (r.status != 200 && r.status != 409) {
		char vendor[384] = "";
		httpc_answer_message(vendor, sizeof(vendor), r.body, r.body_len, r.content_type);
		snprintf(msg, sizeof(msg), "Unexpected response code: %ld (%s)", r.status, vendor);
		httpc_redact(c->http, msg);
		rc = flyte_result_fatal(out, "failed to make transaction request: %s", msg);
	} else if (httpc_answer_json(&ans, r.body, r.body_len, err, sizeof(err))) {
		rc = flyte_result_fatal(out, "failed to make transaction request: %s", err);
	} else if (r.status == 409) {
		json_t *errs = consul_errors(ans, err, sizeof(err));
		rc = errs ? rolled_back(out, echo, errs)
			  : flyte_result_fatal(out, "failed to make transaction request: %s", err);
	} else {
		json_t *results = consul_results(ans, err, sizeof(err));
		rc = results ? packjson_result(out, "TransactionSucceeded",
					       json_pack("{s:O,s:o}", "input", echo, "results", results))
			     : flyte_result_fatal(out, "failed to make transaction request: %s", err);
	}
done:
	httpc_response_release(&r);
	fl_buf_release(&q);
	free(ops);
	json_decref(in);
	json_decref(echo);
	json_decref(errors);
	json_decref(body);
	json_decref(ans);
	return rc;
}

const struct flyte_command_def consul_commands[] = {
	PACKUTIL_COMMAND("TransactKV", transact_kv, "TransactionSucceeded", "TransactionRolledBack"),
};
const size_t consul_n_commands = FL_ARRAY_LEN(consul_commands);
