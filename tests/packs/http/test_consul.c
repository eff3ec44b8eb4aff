/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_consul.c - the Consul pack end to end: the real flyte-consul binary,
 * the real flyte server and a stand-in of Consul's transaction endpoint.
 *
 * The stand-in implements PUT /v1/txn as Consul documents it: the ACL token
 * in X-Consul-Token (403 "Permission denied" otherwise), ?dc= (500 "No path
 * to datacenter" for an unknown one), a JSON array of at most 128
 * {"KV":{"Verb","Key","Value" (base64),"Flags","Index","Session"}}
 * operations (400 "Failed to parse body: ..." otherwise), applied
 * atomically: 200 {"Results":[{"KV":{...}}],"Errors":null} with Value only
 * for the get verbs and no result for deletes, or 409 {"Results":null,
 * "Errors":[{"OpIndex","What"}]} and nothing applied.  The KV verbs set,
 * cas, get, get-or-empty, get-tree, delete, delete-tree, delete-cas,
 * check-index, check-not-exists, check-session, lock and unlock follow the
 * documented semantics.
 */
#include "fl-common.h"

#include "b64.h"
#include "buf.h"
#include "fltest.h"
#include "harness.h"
#include "models.h"
#include "packtest.h"
#include "standin.h"

#define TOKEN "root-token-1"

/* ------------------------------------------------------------- model */

static json_t *kv;  /* key -> {"Value": b64|null, "CreateIndex", "ModifyIndex", "Flags", "Session"} */
static int raft_index = 100;

static json_t *b64(const char *text)
{
	struct fl_buf b = FL_BUF_INIT(0);
	json_t *j;

	fl_b64_encode(&b, text, strlen(text), FL_B64_PAD);
	j = json_string(b.ptr);
	fl_buf_release(&b);
	return j;
}

static void put_entry(json_t *store, const char *key, json_t *value, json_int_t flags, const char *session)
{
	json_t *old = json_object_get(store, key);
	json_int_t created = old ? json_integer_value(json_object_get(old, "CreateIndex")) : raft_index + 1;

	raft_index++;
	json_object_set_new(store, key, json_pack("{s:O,s:I,s:I,s:I,s:s}", "Value", value ? value : json_null(),
						  "CreateIndex", created, "ModifyIndex", (json_int_t)raft_index, "Flags",
						  flags, "Session", session));
}

static json_t *result(const char *key, const json_t *e, bool with_value)
{
	return json_pack("{s:{s:i,s:s,s:O,s:O,s:O,s:O}}", "KV", "LockIndex", 0, "Key", key, "Flags",
			 json_object_get(e, "Flags"), "Value", with_value ? json_object_get(e, "Value") : json_null(),
			 "CreateIndex", json_object_get(e, "CreateIndex"), "ModifyIndex", json_object_get(e, "ModifyIndex"));
}

/* Apply one operation to store; "" or the reason it failed in why. */
static void apply(json_t *store, json_t *results, const json_t *op, char *why, size_t len)
{
	const char *verb = json_string_value(json_object_get(op, "Verb"));
	const char *key = json_string_value(json_object_get(op, "Key"));
	const char *session = json_string_value(json_object_get(op, "Session"));
	json_t *value = json_object_get(op, "Value");
	json_int_t index = json_integer_value(json_object_get(op, "Index"));
	json_int_t flags = json_integer_value(json_object_get(op, "Flags"));
	json_t *e = json_object_get(store, key);
	json_int_t modify = e ? json_integer_value(json_object_get(e, "ModifyIndex")) : 0;
	const char *locked = e ? json_string_value(json_object_get(e, "Session")) : "";

	why[0] = '\0';
	if (!strcmp(verb, "set")) {
		put_entry(store, key, value, flags, locked);
		json_array_append_new(results, result(key, json_object_get(store, key), false));
	} else if (!strcmp(verb, "cas")) {
		if ((index == 0 && e) || (index != 0 && (!e || modify != index)))
			snprintf(why, len, "failed to set key \"%s\", index is stale", key);
		else {
			put_entry(store, key, value, flags, locked);
			json_array_append_new(results, result(key, json_object_get(store, key), false));
		}
	} else if (!strcmp(verb, "get") || !strcmp(verb, "get-or-empty")) {
		if (e)
			json_array_append_new(results, result(key, e, true));
		else if (!strcmp(verb, "get"))
			snprintf(why, len, "key \"%s\" doesn't exist", key);
	} else if (!strcmp(verb, "get-tree")) {
		const char *k;
		json_t *x;
		json_object_foreach(store, k, x)
			if (!strncmp(k, key, strlen(key)))
				json_array_append_new(results, result(k, x, true));
	} else if (!strcmp(verb, "delete")) {
		json_object_del(store, key);
	} else if (!strcmp(verb, "delete-tree")) {
		const char *k;
		void *tmp;
		json_t *x;
		json_object_foreach_safe(store, tmp, k, x)
			if (!strncmp(k, key, strlen(key)))
				json_object_del(store, k);
	} else if (!strcmp(verb, "delete-cas")) {
		if (!e || modify != index)
			snprintf(why, len, "failed to delete key \"%s\", index is stale", key);
		else
			json_object_del(store, key);
	} else if (!strcmp(verb, "check-index")) {
		if (!e)
			snprintf(why, len, "key \"%s\" doesn't exist", key);
		else if (modify != index)
			snprintf(why, len, "current modify index %" JSON_INTEGER_FORMAT " != %" JSON_INTEGER_FORMAT, modify,
				 index);
		else
			json_array_append_new(results, result(key, e, false));
	} else if (!strcmp(verb, "check-not-exists")) {
		if (e)
			snprintf(why, len, "key \"%s\" exists", key);
	} else if (!strcmp(verb, "check-session")) {
		if (!e || strcmp(locked, session))
			snprintf(why, len, "key \"%s\" is not locked by session \"%s\"", key, session);
		else
			json_array_append_new(results, result(key, e, false));
	} else if (!strcmp(verb, "lock")) {
		if (strcmp(session, "sess-1"))
			snprintf(why, len, "invalid session \"%s\"", session);
		else if (e && *locked && strcmp(locked, session))
			snprintf(why, len, "failed to lock key \"%s\"", key);
		else {
			put_entry(store, key, value, flags, session);
			json_array_append_new(results, result(key, json_object_get(store, key), false));
		}
	} else if (!strcmp(verb, "unlock")) {
		if (!e || strcmp(locked, session))
			snprintf(why, len, "failed to unlock key \"%s\"", key);
		else {
			put_entry(store, key, value, flags, "");
			json_array_append_new(results, result(key, json_object_get(store, key), false));
		}
	}
}

static const char *const model_verbs[] = { "set", "cas", "get", "get-or-empty", "get-tree", "delete", "delete-tree",
					   "delete-cas", "check-index", "check-not-exists", "check-session", "lock", "unlock" };

/* A body error, in Consul's words; "" when the operation is well-formed. */
static void check_op(const json_t *op, size_t i, char *why, size_t len)
{
	const json_t *k = json_object_get(op, "KV");
	const json_t *v = json_object_get(k, "Value");
	const char *verb = json_string_value(json_object_get(k, "Verb"));
	bool known = false;

	why[0] = '\0';
	if (!json_is_object(op) || json_object_size(op) != 1 || !json_is_object(k)) {
		snprintf(why, len, "Failed to parse body: operation %zu has no KV", i);
		return;
	}
	for (size_t n = 0; verb && n < FL_ARRAY_LEN(model_verbs); n++)
		known = known || !strcmp(verb, model_verbs[n]);
	if (!known) {
		snprintf(why, len, "Failed to parse body: unknown KV verb \"%s\"", verb ? verb : "");
		return;
	}
	if (!json_is_string(json_object_get(k, "Key")) || !json_is_integer(json_object_get(k, "Flags")) ||
	    !json_is_integer(json_object_get(k, "Index")) || !json_is_string(json_object_get(k, "Session"))) {
		snprintf(why, len, "Failed to parse body: operation %zu has a member of the wrong type", i);
		return;
	}
	if (v && !json_is_null(v)) {
		struct fl_buf raw = FL_BUF_INIT(0);
		int bad = !json_is_string(v) || fl_b64_decode(&raw, json_string_value(v), json_string_length(v), FL_B64_PAD);
		fl_buf_release(&raw);
		if (bad)
			snprintf(why, len, "Failed to parse body: illegal base64 data in operation %zu", i);
	}
}

static void consul_model(const struct standin_req *q, struct standin_resp *r, void *payload)
{
	const char *token = standin_req_header(q, "X-Consul-Token");
	json_t *b, *scratch, *results, *op;
	char why[256], dc[64];
	size_t i;

	(void)payload;
	if (strcmp(q->path, "/v1/txn")) {
		standin_text(r, 404, "text/plain", "404 page not found");
		return;
	}
	if (strcmp(q->method, "PUT")) {
		standin_text(r, 405, "text/plain", "method not allowed");
		return;
	}
	if (!token || strcmp(token, TOKEN)) {
		standin_text(r, 403, "text/plain; charset=utf-8", "Permission denied");
		return;
	}
	if (md_query_count(q->query) > (md_query(q->query, "dc", dc, sizeof(dc)) ? 1 : 0)) {
		standin_text(r, 400, "text/plain", "unexpected query parameters");
		return;
	}
	if (*q->query && strcmp(dc, "dc1")) {
		standin_text(r, 500, "text/plain", "No path to datacenter");
		return;
	}
	b = md_body(q);
	if (!json_is_array(b)) {
		standin_text(r, 400, "text/plain", "Failed to parse body: not a JSON array");
		json_decref(b);
		return;
	}
	if (json_array_size(b) > 128) {
		standin_text(r, 413, "text/plain", "Transaction contains too many operations (129 > 128)");
		json_decref(b);
		return;
	}
	json_array_foreach(b, i, op) {
		check_op(op, i, why, sizeof(why));
		if (*why) {
			standin_text(r, 400, "text/plain", why);
			json_decref(b);
			return;
		}
	}
	scratch = json_deep_copy(kv);
	results = json_array();
	json_array_foreach(b, i, op) {
		apply(scratch, results, json_object_get(op, "KV"), why, sizeof(why));
		if (*why) {
			json_t *a = json_pack("{s:n,s:[{s:I,s:s}]}", "Results", "Errors", "OpIndex", (json_int_t)i, "What", why);
			char *t = json_dumps(a, JSON_COMPACT);
			standin_text(r, 409, "application/json", t);
			free(t);
			json_decref(a);
			json_decref(scratch);
			json_decref(results);
			json_decref(b);
			return;
		}
	}
	json_decref(kv);
	kv = scratch; /* committed */
	{
		json_t *a = json_pack("{s:o,s:n}", "Results", results, "Errors");
		char *t = json_dumps(a, JSON_COMPACT);
		standin_text(r, 200, "application/json", t);
		free(t);
		json_decref(a);
	}
	json_decref(b);
}

/* ------------------------------------------------------------- tests */

static struct pt_env E;
static struct standin *S;
static pid_t P;
static const char *const clear_consul[] = { "CONSUL_", "PACK_NAME", NULL };

#define RUN(r, input) FLH_ASSERT(pt_run(&E, "Consul", NULL, "TransactKV", (input), 0, (r)) == 0)
#define EXPECT(input, event, payload) MD_EXPECT(&E, "Consul", NULL, "TransactKV", (input), (event), (payload))
#define EXPECT_ERROR(input, event, part) MD_EXPECT_ERROR(&E, "Consul", NULL, "TransactKV", (input), (event), (part))

FLT_TEST(setup)
{
	char addr[128];

	FLH_ASSERT(pt_setup(&E, "consul") == 0);
	kv = json_object();
	{
		json_t *v1 = b64("{\"replicas\":3}"), *v2 = b64("hello \xff"), *v3 = b64("\"v\"");
		put_entry(kv, "app/config", v1, 0, "");
		put_entry(kv, "app/plain", v2, 0, "");
		put_entry(kv, "app/locked", v3, 0, "sess-1");
		json_decref(v1);
		json_decref(v2);
		json_decref(v3);
	}
	FLH_ASSERT(standin_start(&S, consul_model, NULL, NULL) == 0);
	/* host:port without a scheme, as Consul's clients accept it */
	snprintf(addr, sizeof(addr), "CONSUL_HTTP_ADDR=%s", standin_url(S) + strlen("http://"));
	const char *env[] = { addr, "CONSUL_HTTP_TOKEN=" TOKEN, "CONSUL_TIMEOUT_SEC=2", "CONSUL_RETRY_DELAY_MS=20", NULL };
	P = pt_start_pack(&E, getenv("FLYTE_CONSUL_BIN"), clear_consul, env, "consul.log", "Consul");
	FLH_ASSERT(P > 0);
}

FLT_TEST(help_lists_variables)
{
	md_help_lists(getenv("FLYTE_CONSUL_BIN"), (const char *const[]){ "CONSUL_HTTP_ADDR", "CONSUL_HTTP_TOKEN",
						"CONSUL_HTTP_AUTH", "CONSUL_HTTP_SSL", "CONSUL_CACERT", "PACK_NAME", NULL });
}

FLT_TEST(transaction_succeeds)
{
	struct pt_result r;
	struct standin_req q;

	EXPECT("{\"operations\":[{\"verb\":\"set\",\"key\":\"deploy/version\",\"value\":\"1.2\"},"
	       "{\"verb\":\"set\",\"key\":\"deploy/meta\",\"value\":{\"by\":\"flyte\"}},"
	       "{\"verb\":\"get\",\"key\":\"app/config\"},{\"verb\":\"get\",\"key\":\"app/plain\"}]}",
	       "TransactionSucceeded",
	       "{\"input\":{\"dc\":\"\",\"operations\":[{\"verb\":\"set\",\"key\":\"deploy/version\",\"value\":\"1.2\"},"
	       "{\"verb\":\"set\",\"key\":\"deploy/meta\",\"value\":{\"by\":\"flyte\"}},{\"verb\":\"get\",\"key\":"
	       "\"app/config\",\"value\":null},{\"verb\":\"get\",\"key\":\"app/plain\",\"value\":null}]},\"results\":"
	       "[{\"index\":0,\"key\":\"deploy/version\",\"value\":null},{\"index\":1,\"key\":\"deploy/meta\",\"value\":"
	       "null},{\"index\":2,\"key\":\"app/config\",\"value\":{\"replicas\":3}},{\"index\":3,\"key\":\"app/plain\","
	       "\"value\":\"hello \xef\xbf\xbd\"}]}");
	md_last(S, &q);
	FLH_EQ_STR(q.method, "PUT");
	FLH_EQ_STR(q.target, "/v1/txn");
	FLH_EQ_STR(standin_req_header(&q, "X-Consul-Token"), TOKEN);
	/* values are the JSON text of "value", base64: "1.2" keeps its quotes */
	MD_BODY(&q, "[{\"KV\":{\"Verb\":\"set\",\"Key\":\"deploy/version\",\"Value\":\"IjEuMiI=\",\"Flags\":0,\"Index\":0,"
		    "\"Session\":\"\"}},{\"KV\":{\"Verb\":\"set\",\"Key\":\"deploy/meta\",\"Value\":\"eyJieSI6ImZseXRlIn0=\","
		    "\"Flags\":0,\"Index\":0,\"Session\":\"\"}},{\"KV\":{\"Verb\":\"get\",\"Key\":\"app/config\",\"Value\":"
		    "null,\"Flags\":0,\"Index\":0,\"Session\":\"\"}},{\"KV\":{\"Verb\":\"get\",\"Key\":\"app/plain\","
		    "\"Value\":null,\"Flags\":0,\"Index\":0,\"Session\":\"\"}}]");
	standin_req_release(&q);

	/* what was stored is read back as it was given */
	RUN(&r, "{\"dc\":\"dc1\",\"operations\":[{\"verb\":\"get-tree\",\"key\":\"deploy/\"}]}");
	MD_EVENT(&r, "TransactionSucceeded");
	FLH_EQ_STR(flh_json_str(r.payload, "results.0.value"), "1.2");
	FLH_EQ_STR(flh_json_str(r.payload, "results.1.value.by"), "flyte");
	pt_result_release(&r);
	md_last(S, &q);
	FLH_EQ_STR(q.target, "/v1/txn?dc=dc1");
	standin_req_release(&q);
}

FLT_TEST(sessions_indexes_and_rollbacks)
{
	struct pt_result r;
	struct standin_req q;

	/* check-session is sent as check-session (the Go pack sent check-index), with the session */
	RUN(&r, "{\"operations\":[{\"verb\":\"check-session\",\"key\":\"app/locked\",\"session\":\"sess-1\"},"
		"{\"verb\":\"set\",\"key\":\"app/under-lock\",\"value\":true}]}");
	MD_EVENT(&r, "TransactionSucceeded");
	pt_result_release(&r);
	md_last(S, &q);
	MD_BODY(&q, "[{\"KV\":{\"Verb\":\"check-session\",\"Key\":\"app/locked\",\"Value\":null,\"Flags\":0,\"Index\":0,"
		    "\"Session\":\"sess-1\"}},{\"KV\":{\"Verb\":\"set\",\"Key\":\"app/under-lock\",\"Value\":\"dHJ1ZQ==\","
		    "\"Flags\":0,\"Index\":0,\"Session\":\"\"}}]");
	standin_req_release(&q);

	/* Consul rolls back: nothing is applied, the errors come back */
	EXPECT(
	       "{\"operations\":[{\"verb\":\"set\",\"key\":\"never\",\"value\":1},{\"verb\":\"get\",\"key\":\"nope\"}]}",
	       "TransactionRolledBack",
	       "{\"input\":{\"dc\":\"\",\"operations\":[{\"verb\":\"set\",\"key\":\"never\",\"value\":1},{\"verb\":"
	       "\"get\",\"key\":\"nope\",\"value\":null}]},\"errors\":[{\"index\":1,\"error\":\"key \\\"nope\\\" "
	       "doesn't exist\"}]}");
	RUN(&r, "{\"operations\":[{\"verb\":\"get-or-empty\",\"key\":\"never\"}]}");
	MD_PAYLOAD(&r, "{\"input\":{\"dc\":\"\",\"operations\":[{\"verb\":\"get-or-empty\",\"key\":\"never\",\"value\":null}]},"
		       "\"results\":[]}");
	pt_result_release(&r);
	/* cas with the index given in the input */
	RUN(&r, "{\"operations\":[{\"verb\":\"cas\",\"key\":\"app/config\",\"index\":1,\"value\":0}]}");
	MD_EVENT(&r, "TransactionRolledBack");
	FLH_EQ_STR(flh_json_str(r.payload, "errors.0.error"), "failed to set key \"app/config\", index is stale");
	FLH_EQ_INT(json_integer_value(flh_json_get(r.payload, "input.operations.0.index")), 1);
	pt_result_release(&r);
	RUN(&r, "{\"operations\":[{\"verb\":\"cas\",\"key\":\"brand/new\",\"index\":\"0\",\"value\":\"x\",\"flags\":7}]}");
	MD_EVENT(&r, "TransactionSucceeded");
	pt_result_release(&r);
	md_last(S, &q);
	MD_BODY(&q, "[{\"KV\":{\"Verb\":\"cas\",\"Key\":\"brand/new\",\"Value\":\"Ingi\",\"Flags\":7,\"Index\":0,"
		    "\"Session\":\"\"}}]");
	standin_req_release(&q);
}

FLT_TEST(validation_before_calling_consul)
{
	struct pt_result r;
	size_t before = standin_count(S);

	EXPECT(
	       "{\"operations\":[{\"verb\":\"set\",\"value\":1},{\"verb\":\"frobnicate\",\"key\":\"k\"},{\"verb\":\"nope\"}]}",
	       "TransactionRolledBack",
	       "{\"input\":{\"dc\":\"\",\"operations\":[{\"verb\":\"set\",\"key\":\"\",\"value\":1},{\"verb\":"
	       "\"frobnicate\",\"key\":\"k\",\"value\":null},{\"verb\":\"nope\",\"key\":\"\",\"value\":null}]},"
	       "\"errors\":[{\"index\":0,\"error\":\"key is missing\"},{\"index\":1,\"error\":\"frobnicate verb is not "
	       "valid\"},{\"index\":2,\"error\":\"key is missing\"},{\"index\":2,\"error\":\"nope verb is not valid\"}]}");
	RUN(&r, "{\"operations\":[]}");
	MD_EVENT(&r, "FATAL");
	FLH_EQ_STR(json_string_value(r.payload), "missing operations");
	pt_result_release(&r);
	RUN(&r, "{\"operations\":\"set a\"}");
	MD_EVENT(&r, "FATAL");
	FLH_ASSERT(strstr(json_string_value(r.payload), "input is not valid"));
	pt_result_release(&r);
	FLH_EQ_INT(standin_count(S), before);
}

FLT_TEST(errors_malformed_answers_retries)
{
	struct pt_result r;
	struct standin_fault garbage = { .count = 1, .status = 200, .ctype = "application/json", .body = "{\"Results\":[{\"KV\":" };
	struct standin_fault badb64 = { .count = 1, .status = 200, .ctype = "application/json",
					.body = "{\"Results\":[{\"KV\":{\"Key\":\"k\",\"Value\":\"%%%\"}}],\"Errors\":null}" };
	struct standin_fault busy = { .count = 2, .status = 503, .ctype = "text/plain", .body = "No cluster leader" };
	struct standin_fault slow = { .count = 1, .delay_ms = 3000 };

	RUN(&r, "{\"dc\":\"mars\",\"operations\":[{\"verb\":\"get\",\"key\":\"app/config\"}]}");
	MD_EVENT(&r, "FATAL");
	FLH_EQ_STR(json_string_value(r.payload),
		   "failed to make transaction request: Unexpected response code: 500 (No path to datacenter)");
	pt_result_release(&r);
	standin_fault(S, &garbage);
	RUN(&r, "{\"operations\":[{\"verb\":\"get\",\"key\":\"app/config\"}]}");
	MD_EVENT(&r, "FATAL");
	FLH_ASSERT(strstr(json_string_value(r.payload), "failed to make transaction request: answer is not JSON"));
	pt_result_release(&r);
	standin_fault(S, &badb64);
	RUN(&r, "{\"operations\":[{\"verb\":\"get\",\"key\":\"k\"}]}");
	MD_EVENT(&r, "FATAL");
	FLH_ASSERT(strstr(json_string_value(r.payload), "not a KV entry with a base64 value"));
	pt_result_release(&r);
	FLH_ASSERT(pt_alive(P));
	/* a read-only transaction is retried on 503, a write is not */
	standin_reset(S);
	standin_fault(S, &busy);
	RUN(&r, "{\"operations\":[{\"verb\":\"get\",\"key\":\"app/config\"},{\"verb\":\"check-not-exists\",\"key\":\"x\"}]}");
	MD_EVENT(&r, "TransactionSucceeded");
	FLH_EQ_INT(standin_count(S), 3);
	pt_result_release(&r);
	standin_reset(S);
	busy.count = 1;
	standin_fault(S, &busy);
	RUN(&r, "{\"operations\":[{\"verb\":\"set\",\"key\":\"w\",\"value\":1}]}");
	MD_EVENT(&r, "FATAL");
	FLH_ASSERT(strstr(json_string_value(r.payload), "Unexpected response code: 503 (No cluster leader)"));
	FLH_EQ_INT(standin_count(S), 1);
	pt_result_release(&r);
	/* a write that outlives CONSUL_TIMEOUT_SEC is not sent again */
	standin_reset(S);
	standin_fault(S, &slow);
	RUN(&r, "{\"operations\":[{\"verb\":\"set\",\"key\":\"w\",\"value\":2}]}");
	MD_EVENT(&r, "FATAL");
	FLH_ASSERT(strstr(json_string_value(r.payload), "failed to make transaction request: PUT http://127.0.0.1:"));
	FLH_ASSERT(strstr(json_string_value(r.payload), "/v1/txn: timed out after 2000 ms"));
	FLH_EQ_INT(standin_count(S), 1);
	pt_result_release(&r);
	FLH_ASSERT(pt_alive(P));
}

FLT_TEST(token_file_wrong_token_and_pack_name)
{
	char addr[128], file[160], fileenv[200];
	struct pt_result r;
	struct standin_req q;
	FILE *f;
	pid_t pid;

	snprintf(addr, sizeof(addr), "CONSUL_HTTP_ADDR=%s", standin_url(S));
	snprintf(file, sizeof(file), "%s/token", E.dir);
	f = fopen(file, "w");
	FLH_ASSERT(f != NULL);
	fputs(TOKEN "\n", f);
	fclose(f);
	snprintf(fileenv, sizeof(fileenv), "CONSUL_HTTP_TOKEN_FILE=%s", file);
	/* PACK_NAME names the pack; the token comes from a file; Basic for a proxy as well */
	const char *env_file[] = { addr, fileenv, "PACK_NAME=ConsulDC1", "CONSUL_HTTP_AUTH=proxy:px-pw", NULL };
	pid = pt_start_pack(&E, getenv("FLYTE_CONSUL_BIN"), clear_consul, env_file, "consul-file.log", "ConsulDC1");
	FLH_ASSERT(pid > 0);
	FLH_ASSERT(pt_run(&E, "ConsulDC1", NULL, "TransactKV", "{\"operations\":[{\"verb\":\"get\",\"key\":\"app/config\"}]}",
			  0, &r) == 0);
	MD_EVENT(&r, "TransactionSucceeded");
	pt_result_release(&r);
	md_last(S, &q);
	FLH_EQ_STR(standin_req_header(&q, "X-Consul-Token"), TOKEN);
	{
		char basic[128];
		md_basic(basic, sizeof(basic), "proxy", "px-pw");
		FLH_EQ_STR(standin_req_header(&q, "Authorization"), basic);
	}
	standin_req_release(&q);
	FLH_EQ_INT(pt_stop_pack(pid), 0);

	const char *env_bad[] = { addr, "CONSUL_HTTP_TOKEN=guess", "PACK_NAME=ConsulBad", NULL };
	pid = pt_start_pack(&E, getenv("FLYTE_CONSUL_BIN"), clear_consul, env_bad, "consul-bad.log", "ConsulBad");
	FLH_ASSERT(pid > 0);
	FLH_ASSERT(pt_run(&E, "ConsulBad", NULL, "TransactKV", "{\"operations\":[{\"verb\":\"get\",\"key\":\"app/config\"}]}",
			  0, &r) == 0);
	MD_EVENT(&r, "FATAL");
	FLH_EQ_STR(json_string_value(r.payload), "failed to make transaction request: Unexpected response code: 403 "
						 "(Permission denied)");
	pt_result_release(&r);
	FLH_ASSERT(pt_alive(pid));
	FLH_EQ_INT(pt_stop_pack(pid), 0);
}

FLT_TEST(teardown)
{
	FLH_ASSERT(pt_alive(P));
	FLH_EQ_INT(pt_stop_pack(P), 0);
	standin_stop(S);
	pt_teardown(&E);
	json_decref(kv);
}

FLT_MAIN(setup, help_lists_variables, transaction_succeeds, sessions_indexes_and_rollbacks,
	 validation_before_calling_consul, errors_malformed_answers_retries, token_file_wrong_token_and_pack_name,
	 teardown)
