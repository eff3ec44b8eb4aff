/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_httpc.c - unit tests of the REST packs' HTTP client
 * (packs/common/httpc.c) against the stand-in server: URL building, auth
 * headers, bodies, retries and Retry-After, time-outs, the answer size cap,
 * TLS verification, concurrent use, error-message extraction and the
 * redaction of secrets.
 */
#include "fl-common.h"

#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <unistd.h>

#include "b64.h"
#include "fltest.h"
#include "httpc.h"
#include "standin.h"
#include "fsutil.h"

static char tmpdir[64];

/* ----------------------------------------------------------- models */

/* Echo: answers 200 with a JSON summary of the request. */
static void echo_model(const struct standin_req *q, struct standin_resp *r, void *payload)
{
	json_t *j = json_pack("{s:s,s:s,s:s,s:s%}", "method", q->method, "path", q->path, "query", q->query,
			      "body", q->body, q->body_len);
	const char *hs[] = { "Authorization", "Content-Type", "Accept", "X-Consul-Token", "Expect", "Content-Length",
			     "User-Agent", "X-Extra" };
	char *text;

	(void)payload;
	for (size_t i = 0; i < FL_ARRAY_LEN(hs); i++) {
		const char *v = standin_req_header(q, hs[i]);
		if (v)
			json_object_set_new(j, hs[i], json_string(v));
	}
	if (!strcmp(q->path, "/big")) {
		char big[5001];
		memset(big, 'x', 5000);
		big[5000] = '\0';
		standin_text(r, 200, "text/plain", big);
	} else if (!strcmp(q->path, "/echo-secret")) {
		standin_json(r, 401, "{\"message\":\"bad credentials for %s\"}", q->query);
	} else {
		text = json_dumps(j, JSON_COMPACT);
		standin_text(r, !strcmp(q->method, "POST") ? 201 : 200, "application/json", text);
		free(text);
	}
	json_decref(j);
}

static struct httpc *mk(const char *url, void (*tweak)(struct httpc_options *))
{
	struct httpc_options o;
	struct httpc *h = NULL;
	char err[256];

	httpc_options_init(&o);
	o.name = "Test";
	o.base_url = url;
	o.retry_initial_ms = 20;
	o.timeout_ms = 5000;
	if (tweak)
		tweak(&o);
	if (httpc_new(&h, &o, err, sizeof(err)))
		FLT_FAIL("httpc_new: %s", err);
	return h;
}

static json_t *body_json(const struct httpc_response *r)
{
	char err[256];
	json_t *j = NULL;

	if (httpc_answer_json(&j, r->body, r->body_len, err, sizeof(err)))
		FLT_FAIL("answer: %s: %s", err, r->body);
	return j;
}

static const char *js(json_t *j, const char *k)
{
	return json_string_value(json_object_get(j, k));
}

/* ------------------------------------------------------------ building */

FLT_TEST(pathf_escapes_segments)
{
	char *p = NULL;

	FLT_EQ_INT(httpc_pathf(&p, "/rest/api/2/issue/%s/comment", "A B/1?#%"), FLYTE_OK);
	FLT_EQ_STR(p, "/rest/api/2/issue/A%20B%2F1%3F%23%25/comment");
	free(p);
	FLT_EQ_INT(httpc_pathf(&p, "/x/%s.json%%", "ABC-DEF-12"), FLYTE_OK);
	FLT_EQ_STR(p, "/x/ABC-DEF-12.json%");
	free(p);
	FLT_EQ_INT(httpc_pathf(&p, "/u/%s", "\xc3\xa9t\xc3\xa9"), FLYTE_OK);
	FLT_EQ_STR(p, "/u/%C3%A9t%C3%A9");
	free(p);
	FLT_EQ_INT(httpc_pathf(&p, "/n/%d", 3), FLYTE_EINVALID);
	FLT_ASSERT(p == NULL);
}

FLT_TEST(query_add_escapes_keys_and_values)
{
	struct fl_buf q = FL_BUF_INIT(0);

	httpc_query_add(&q, "stage", "Deploy to prod");
	httpc_query_add(&q, "executeAllStages", "false");
	httpc_query_add(&q, "bamboo.variable.a&b", "x=y&z");
	httpc_query_add(&q, "flag", NULL);
	FLT_ASSERT(!fl_buf_failed(&q));
	FLT_EQ_STR(q.ptr, "stage=Deploy%20to%20prod&executeAllStages=false&bamboo.variable.a%26b=x%3Dy%26z&flag");
	fl_buf_release(&q);
}

/* --------------------------------------------------------- answers */

static const char *msg(const char *body, const char *ctype)
{
	static char buf[200];
	httpc_answer_message(buf, sizeof(buf), body, body ? strlen(body) : 0, ctype);
	return buf;
}

FLT_TEST(answer_message_shapes)
{
	FLT_EQ_STR(msg("{\"errorMessages\":[\"Issue does not exist\"],\"errors\":{}}", NULL), "Issue does not exist");
	FLT_EQ_STR(msg("{\"errorMessages\":[],\"errors\":{\"summary\":\"You must specify a summary.\","
		       "\"project\":\"project is required\"}}", NULL),
		   "summary: You must specify a summary.; project: project is required");
	FLT_EQ_STR(msg("{\"errors\":[{\"context\":\"name\",\"message\":\"This repository URL is already taken.\","
		       "\"exceptionName\":null}]}", NULL),
		   "This repository URL is already taken.");
	FLT_EQ_STR(msg("{\"Results\":null,\"Errors\":[{\"OpIndex\":1,\"What\":\"key \\\"a\\\" doesn't exist\"}]}",
		       NULL),
		   "operation 1: key \"a\" doesn't exist");
	FLT_EQ_STR(msg("{\"message\":\"Result ABC-DEF-9 not found\",\"status-code\":404}", NULL),
		   "Result ABC-DEF-9 not found");
	FLT_EQ_STR(msg("{\"ok\":false,\"error\":\"channel_not_found\"}", NULL), "channel_not_found");
	FLT_EQ_STR(msg("{\"error\":{\"code\":3,\"message\":\"nested\"}}", NULL), "nested");
	FLT_EQ_STR(msg("\"just a string\"", NULL), "just a string");
	FLT_EQ_STR(msg("<html><head><title>401 Unauthorized</title></head><body>x</body></html>", "text/html"),
		   "401 Unauthorized");
	FLT_EQ_STR(msg("<html><body><h1>Bad</h1>\n<p>gateway</p></body></html>", NULL), "Bad gateway");
	FLT_EQ_STR(msg("\n\nPermission denied\nmore lines", "text/plain"), "Permission denied");
	FLT_EQ_STR(msg("tab\there\x01 and  spaces", NULL), "tab here and spaces");
	FLT_EQ_STR(msg("bad \xff\xfe utf8 \xc3\xa9", NULL), "bad ?? utf8 \xc3\xa9");
	FLT_EQ_STR(msg("", NULL), "");
	FLT_EQ_STR(msg("   ", NULL), "");
	FLT_EQ_STR(msg("{\"unrelated\":1}", NULL), "");
	FLT_EQ_STR(msg("{not json", NULL), "{not json");
	/* cut on a character boundary with an ellipsis */
	{
		char big[600], out[12];
		for (int i = 0; i < 300; i++)
			memcpy(big + 2 * i, "\xc3\xa9", 2);
		httpc_answer_message(out, sizeof(out), big, 600, NULL);
		FLT_EQ_STR(out, "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9...");
	}
}

FLT_TEST(answer_json_errors)
{
	char err[256];
	json_t *j = NULL;

	FLT_EQ_INT(httpc_answer_json(&j, "{\"a\":1}", 7, err, sizeof(err)), FLYTE_OK);
	FLT_ASSERT(json_is_object(j));
	json_decref(j);
	FLT_EQ_INT(httpc_answer_json(&j, "", 0, err, sizeof(err)), FLYTE_EPROTOCOL);
	FLT_ASSERT(strstr(err, "empty answer"));
	FLT_EQ_INT(httpc_answer_json(&j, "{\"a\":1} x", 9, err, sizeof(err)), FLYTE_EPROTOCOL);
	FLT_ASSERT(strstr(err, "answer is not JSON"));
	FLT_EQ_INT(httpc_answer_json(&j, "<html>", 6, err, sizeof(err)), FLYTE_EPROTOCOL);
	FLT_ASSERT(j == NULL);
	FLT_EQ_INT(httpc_answer_json(&j, "\"a\0b\"", 5, err, sizeof(err)), FLYTE_EPROTOCOL);
}

/* --------------------------------------------------------- options */

FLT_TEST(options_from_env)
{
	struct httpc_options o;
	char err[256];

	httpc_options_init(&o);
	setenv("TST_TIMEOUT_SEC", "1.5", 1);
	setenv("TST_RETRIES", "4", 1);
	setenv("TST_INSECURE", "yes", 1);
	setenv("TST_CA_FILE", "/etc/hostname", 1);
	setenv("TST_MAX_RESPONSE_BYTES", "4096", 1);
	FLT_EQ_INT(httpc_options_from_env(&o, "TST", 0, err, sizeof(err)), FLYTE_OK);
	FLT_EQ_INT(o.timeout_ms, 1500);
	FLT_EQ_INT(o.max_attempts, 5);
	FLT_EQ_INT(o.insecure, 1);
	FLT_EQ_STR(o.ca_file, "/etc/hostname");
	FLT_EQ_INT(o.max_response, 4096);
	httpc_options_init(&o);
	FLT_EQ_INT(httpc_options_from_env(&o, "TST", HTTPC_ENV_NO_TLS, err, sizeof(err)), FLYTE_OK);
	FLT_EQ_INT(o.insecure, 0);
	FLT_ASSERT(o.ca_file == NULL);
	setenv("TST_RETRIES", "eleven", 1);
	FLT_EQ_INT(httpc_options_from_env(&o, "TST", 0, err, sizeof(err)), FLYTE_EINVALID);
	FLT_ASSERT(strstr(err, "TST_RETRIES"));
	setenv("TST_RETRIES", "1", 1);
	setenv("TST_INSECURE", "maybe", 1);
	FLT_EQ_INT(httpc_options_from_env(&o, "TST", 0, err, sizeof(err)), FLYTE_EINVALID);
	FLT_ASSERT(strstr(err, "TST_INSECURE"));
	setenv("TST_INSECURE", "", 1);
	setenv("TST_TIMEOUT_SEC", "-1", 1);
	FLT_EQ_INT(httpc_options_from_env(&o, "TST", 0, err, sizeof(err)), FLYTE_EINVALID);
	FLT_ASSERT(strstr(err, "TST_TIMEOUT_SEC"));
	unsetenv("TST_TIMEOUT_SEC");
	unsetenv("TST_RETRIES");
	unsetenv("TST_INSECURE");
	unsetenv("TST_CA_FILE");
	unsetenv("TST_MAX_RESPONSE_BYTES");
}

FLT_TEST(new_validates)
{
	struct httpc_options o;
	struct httpc *h = NULL;
	char err[256];

	httpc_options_init(&o);
	o.name = "Jira";
	FLT_EQ_INT(httpc_new(&h, &o, err, sizeof(err)), FLYTE_EINVALID);
	FLT_ASSERT(strstr(err, "Jira"));
	o.base_url = "ftp://example.org";
	FLT_EQ_INT(httpc_new(&h, &o, err, sizeof(err)), FLYTE_EINVALID);
	o.base_url = "https://example.org/?a=b";
	FLT_EQ_INT(httpc_new(&h, &o, err, sizeof(err)), FLYTE_EINVALID);
	o.base_url = "not a url";
	FLT_EQ_INT(httpc_new(&h, &o, err, sizeof(err)), FLYTE_EINVALID);
	o.base_url = "https://example.org/jira/";
	o.auth = HTTPC_AUTH_BASIC;
	FLT_EQ_INT(httpc_new(&h, &o, err, sizeof(err)), FLYTE_EINVALID);
	o.user = "u";
	o.password = "p\r\nX-Injected: 1";
	FLT_EQ_INT(httpc_new(&h, &o, err, sizeof(err)), FLYTE_EINVALID);
	o.auth = HTTPC_AUTH_BEARER;
	FLT_EQ_INT(httpc_new(&h, &o, err, sizeof(err)), FLYTE_EINVALID);
	o.token = "tok\nen";
	FLT_EQ_INT(httpc_new(&h, &o, err, sizeof(err)), FLYTE_EINVALID);
	o.token = "token";
	o.ca_file = "/nonexistent/ca.pem";
	FLT_EQ_INT(httpc_new(&h, &o, err, sizeof(err)), FLYTE_EINVALID);
	FLT_ASSERT(strstr(err, "/nonexistent/ca.pem"));
	o.ca_file = NULL;
	FLT_EQ_INT(httpc_new(&h, &o, err, sizeof(err)), FLYTE_OK);
	FLT_EQ_STR(httpc_base_url(h), "https://example.org/jira");
	FLT_EQ_STR(httpc_name(h), "Jira");
	httpc_free(h);
}

/* ------------------------------------------------------------ wire */

static void basic_auth(struct httpc_options *o)
{
	o->auth = HTTPC_AUTH_BASIC;
	o->user = "jdoe";
	o->password = "s3cr3t-pw";
}

FLT_TEST(basic_auth_json_body_and_headers)
{
	struct standin *s = NULL;
	struct httpc *h;
	struct httpc_response r;
	struct fl_buf want = FL_BUF_INIT(0);
	json_t *body = json_pack("{s:s,s:i}", "name", "x \xc3\xa9", "n", 5), *j;
	const char *extra[] = { "X-Extra: 1", NULL };
	struct httpc_request q = { .method = "POST", .path = "/rest/api/2/issue/", .query = "a=1&b=%20", .json = body,
				   .headers = extra };

	FLT_EQ_INT(standin_start(&s, echo_model, NULL, NULL), 0);
	h = mk(standin_url(s), basic_auth);
	FLT_EQ_INT(httpc_send(h, &q, &r), FLYTE_OK);
	FLT_EQ_INT(r.status, 201);
	FLT_EQ_INT(r.attempts, 1);
	j = body_json(&r);
	FLT_EQ_STR(js(j, "method"), "POST");
	FLT_EQ_STR(js(j, "path"), "/rest/api/2/issue/");
	FLT_EQ_STR(js(j, "query"), "a=1&b=%20");
	FLT_EQ_STR(js(j, "body"), "{\"name\":\"x \xc3\xa9\",\"n\":5}");
	FLT_EQ_STR(js(j, "Content-Type"), "application/json");
	FLT_EQ_STR(js(j, "Accept"), "application/json");
	FLT_EQ_STR(js(j, "X-Extra"), "1");
	FLT_ASSERT(json_object_get(j, "Expect") == NULL);
	FLT_ASSERT(!strncmp(js(j, "User-Agent"), "flyte-packs/", 12));
	fl_buf_adds(&want, "Basic ");
	fl_b64_encode(&want, "jdoe:s3cr3t-pw", 14, FL_B64_PAD);
	FLT_EQ_STR(js(j, "Authorization"), want.ptr);
	FLT_ASSERT(httpc_response_header(&r, "content-type") != NULL);
	FLT_EQ_STR(r.content_type, "application/json");
	json_decref(j);
	httpc_response_release(&r);

	/* a POST without a body: Content-Length 0 and no form Content-Type */
	struct httpc_request e = { .method = "POST", .path = "plan/X/enable" };
	FLT_EQ_INT(httpc_send(h, &e, &r), FLYTE_OK);
	j = body_json(&r);
	FLT_EQ_STR(js(j, "path"), "/plan/X/enable");
	FLT_EQ_STR(js(j, "Content-Length"), "0");
	FLT_ASSERT(json_object_get(j, "Content-Type") == NULL);
	json_decref(j);
	httpc_response_release(&r);

	/* DELETE and PUT keep their methods */
	struct httpc_request d = { .method = "DELETE", .path = "/l/1" };
	FLT_EQ_INT(httpc_send(h, &d, &r), FLYTE_OK);
	j = body_json(&r);
	FLT_EQ_STR(js(j, "method"), "DELETE");
	json_decref(j);
	httpc_response_release(&r);
	struct httpc_request p = { .method = "PUT", .path = "/q", .body = "x=1", .body_len = 3,
				   .content_type = "application/x-www-form-urlencoded" };
	FLT_EQ_INT(httpc_send(h, &p, &r), FLYTE_OK);
	j = body_json(&r);
	FLT_EQ_STR(js(j, "method"), "PUT");
	FLT_EQ_STR(js(j, "body"), "x=1");
	FLT_EQ_STR(js(j, "Content-Type"), "application/x-www-form-urlencoded");
	json_decref(j);
	httpc_response_release(&r);

	/* bad request fields are refused before anything is sent */
	const char *bad[] = { "X-A: 1\r\nX-B: 2", NULL };
	struct httpc_request b = { .method = "GET", .path = "/x", .headers = bad };
	FLT_EQ_INT(httpc_send(h, &b, &r), FLYTE_EINVALID);
	httpc_response_release(&r);
	struct httpc_request b2 = { .method = "GET", .path = "/x y" };
	FLT_EQ_INT(httpc_send(h, &b2, &r), FLYTE_EINVALID);
	httpc_response_release(&r);
	FLT_EQ_INT(standin_count(s), 4);

	json_decref(body);
	fl_buf_release(&want);
	httpc_free(h);
	standin_stop(s);
}

static void bearer(struct httpc_options *o)
{
	o->auth = HTTPC_AUTH_BEARER;
	o->token = "tok-123";
}

static void consul_token(struct httpc_options *o)
{
	o->auth = HTTPC_AUTH_HEADER;
	o->token = "c0ffee";
	o->token_header = "X-Consul-Token";
}

static void consul_token_and_proxy(struct httpc_options *o)
{
	consul_token(o);
	o->user = "proxy";
	o->password = "px";
}

FLT_TEST(token_auth)
{
	struct standin *s = NULL;
	struct httpc *h;
	struct httpc_response r;
	struct httpc_request q = { .method = "GET", .path = "/" };
	json_t *j;

	FLT_EQ_INT(standin_start(&s, echo_model, NULL, NULL), 0);
	h = mk(standin_url(s), bearer);
	FLT_EQ_INT(httpc_send(h, &q, &r), FLYTE_OK);
	j = body_json(&r);
	FLT_EQ_STR(js(j, "Authorization"), "Bearer tok-123");
	json_decref(j);
	httpc_response_release(&r);
	httpc_free(h);

	h = mk(standin_url(s), consul_token);
	FLT_EQ_INT(httpc_send(h, &q, &r), FLYTE_OK);
	j = body_json(&r);
	FLT_EQ_STR(js(j, "X-Consul-Token"), "c0ffee");
	FLT_ASSERT(json_object_get(j, "Authorization") == NULL);
	json_decref(j);
	httpc_response_release(&r);
	httpc_free(h);

	/* a header token plus Basic credentials for a proxy in front */
	h = mk(standin_url(s), consul_token_and_proxy);
	FLT_EQ_INT(httpc_send(h, &q, &r), FLYTE_OK);
	j = body_json(&r);
	FLT_EQ_STR(js(j, "X-Consul-Token"), "c0ffee");
	FLT_EQ_STR(js(j, "Authorization"), "Basic cHJveHk6cHg=");
	json_decref(j);
	httpc_response_release(&r);
	httpc_free(h);
	standin_stop(s);
}

/* ---------------------------------------------------------- retries */

static void three_attempts(struct httpc_options *o)
{
	o->max_attempts = 3;
	o->retry_initial_ms = 10;
	o->retry_max_ms = 2000;
}

FLT_TEST(retries_on_5xx_only_when_idempotent)
{
	struct standin *s = NULL;
	struct httpc *h;
	struct httpc_response r;
	struct standin_fault f503 = { .count = 2, .status = 503, .ctype = "text/plain", .body = "busy" };
	struct httpc_request get = { .method = "GET", .path = "/a", .flags = HTTPC_IDEMPOTENT };
	struct httpc_request post = { .method = "POST", .path = "/a" };

	FLT_EQ_INT(standin_start(&s, echo_model, NULL, NULL), 0);
	h = mk(standin_url(s), three_attempts);
	standin_fault(s, &f503);
	FLT_EQ_INT(httpc_send(h, &get, &r), FLYTE_OK);
	FLT_EQ_INT(r.status, 200);
	FLT_EQ_INT(r.attempts, 3);
	FLT_EQ_INT(standin_count(s), 3);
	httpc_response_release(&r);

	/* three failures: the third answer is returned */
	standin_reset(s);
	f503.count = 3;
	standin_fault(s, &f503);
	FLT_EQ_INT(httpc_send(h, &get, &r), FLYTE_OK);
	FLT_EQ_INT(r.status, 503);
	FLT_EQ_INT(r.attempts, 3);
	httpc_response_release(&r);

	/* a POST is not repeated after a 503: it may have been acted on */
	standin_reset(s);
	f503.count = 1;
	standin_fault(s, &f503);
	FLT_EQ_INT(httpc_send(h, &post, &r), FLYTE_OK);
	FLT_EQ_INT(r.status, 503);
	FLT_EQ_INT(r.attempts, 1);
	FLT_EQ_INT(standin_count(s), 1);
	httpc_response_release(&r);

	/* HTTPC_NO_RETRY wins */
	standin_reset(s);
	standin_fault(s, &f503);
	get.flags |= HTTPC_NO_RETRY;
	FLT_EQ_INT(httpc_send(h, &get, &r), FLYTE_OK);
	FLT_EQ_INT(r.attempts, 1);
	httpc_response_release(&r);

	/* 404 is never retried */
	standin_reset(s);
	struct standin_fault f404 = { .count = 1, .status = 404 };
	standin_fault(s, &f404);
	get.flags = HTTPC_IDEMPOTENT;
	FLT_EQ_INT(httpc_send(h, &get, &r), FLYTE_OK);
	FLT_EQ_INT(r.status, 404);
	FLT_EQ_INT(r.attempts, 1);
	httpc_response_release(&r);
	httpc_free(h);
	standin_stop(s);
}

FLT_TEST(retry_after_on_429)
{
	struct standin *s = NULL;
	struct httpc *h;
	struct httpc_response r;
	struct standin_fault f = { .count = 1, .status = 429, .ctype = "application/json",
				   .body = "{\"ok\":false,\"error\":\"ratelimited\"}", .retry_after = "1" };
	struct httpc_request post = { .method = "POST", .path = "/api/chat.postMessage" };

	FLT_EQ_INT(standin_start(&s, echo_model, NULL, NULL), 0);
	h = mk(standin_url(s), three_attempts);
	/* 429 is retried even for a POST (the server did not act on it) */
	standin_fault(s, &f);
	FLT_EQ_INT(httpc_send(h, &post, &r), FLYTE_OK);
	FLT_EQ_INT(r.status, 201);
	FLT_EQ_INT(r.attempts, 2);
	httpc_response_release(&r);

	/* a Retry-After longer than retry_max_ms is not waited for */
	standin_reset(s);
	f.retry_after = "3600";
	standin_fault(s, &f);
	FLT_EQ_INT(httpc_send(h, &post, &r), FLYTE_OK);
	FLT_EQ_INT(r.status, 429);
	FLT_EQ_INT(r.attempts, 1);
	FLT_EQ_STR(httpc_response_header(&r, "Retry-After"), "3600");
	{
		char d[512];
		httpc_describe(d, sizeof(d), h, &r);
		FLT_ASSERT(strstr(d, "HTTP 429 from POST http://127.0.0.1:"));
		FLT_ASSERT(strstr(d, "/api/chat.postMessage: ratelimited"));
	}
	httpc_response_release(&r);
	httpc_free(h);
	standin_stop(s);
}

FLT_TEST(timeouts_and_dropped_connections)
{
	struct standin *s = NULL;
	struct httpc *h;
	struct httpc_response r;
	struct standin_fault slow = { .count = 2, .delay_ms = 1500 };
	struct standin_fault drop = { .count = 1, .status = -1 };
	struct httpc_request get = { .method = "GET", .path = "/slow", .flags = HTTPC_IDEMPOTENT, .timeout_ms = 300 };
	struct httpc_request post = { .method = "POST", .path = "/slow", .timeout_ms = 300 };

	FLT_EQ_INT(standin_start(&s, echo_model, NULL, NULL), 0);
	h = mk(standin_url(s), three_attempts);
	standin_fault(s, &slow);
	FLT_EQ_INT(httpc_send(h, &post, &r), FLYTE_ETIMEOUT);
	FLT_EQ_INT(r.status, 0);
	FLT_EQ_INT(r.attempts, 1);
	FLT_ASSERT(strstr(r.error, "timed out after 300 ms"));
	FLT_ASSERT(strstr(r.error, "POST http://127.0.0.1:"));
	httpc_response_release(&r);
	/* idempotent: the second try is slow too, the third answers */
	FLT_EQ_INT(httpc_send(h, &get, &r), FLYTE_OK);
	FLT_EQ_INT(r.status, 200);
	FLT_EQ_INT(r.attempts, 2);
	httpc_response_release(&r);
	httpc_free(h);
	/* a connection closed without an answer (fresh handles: curl itself
	 * re-sends once when a reused keep-alive connection turns out dead) */
	h = mk(standin_url(s), three_attempts);
	standin_fault(s, &drop);
	get.timeout_ms = 0;
	FLT_EQ_INT(httpc_send(h, &get, &r), FLYTE_OK);
	FLT_EQ_INT(r.attempts, 2);
	httpc_response_release(&r);
	httpc_free(h);
	h = mk(standin_url(s), three_attempts);
	standin_fault(s, &drop);
	FLT_EQ_INT(httpc_send(h, &post, &r), FLYTE_ENETWORK);
	FLT_EQ_INT(r.attempts, 1);
	FLT_ASSERT(strstr(r.error, "POST http://127.0.0.1:"));
	httpc_response_release(&r);
	httpc_free(h);
	standin_stop(s);
}

FLT_TEST(refused_connections_are_retried)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	char url[64];
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct httpc *h;
	struct httpc_response r;
	struct httpc_request post = { .method = "POST", .path = "/x" };

	/* a port that was free a moment ago and has no listener */
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	FLT_ASSERT(fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	FLT_ASSERT(getsockname(fd, (struct sockaddr *)&sa, &len) == 0);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u", ntohs(sa.sin_port));
	close(fd);
	h = mk(url, three_attempts);
	FLT_EQ_INT(httpc_send(h, &post, &r), FLYTE_ENETWORK);
	FLT_EQ_INT(r.attempts, 3); /* nothing was sent, so even a POST is tried again */
	FLT_ASSERT(strstr(r.error, "POST http://127.0.0.1:"));
	httpc_response_release(&r);
	httpc_free(h);
}

static void small_answers(struct httpc_options *o)
{
	o->max_response = 1024;
}

FLT_TEST(answer_size_cap)
{
	struct standin *s = NULL;
	struct httpc *h;
	struct httpc_response r;
	struct httpc_request get = { .method = "GET", .path = "/big", .flags = HTTPC_IDEMPOTENT };

	FLT_EQ_INT(standin_start(&s, echo_model, NULL, NULL), 0);
	h = mk(standin_url(s), small_answers);
	FLT_EQ_INT(httpc_send(h, &get, &r), FLYTE_ETOOBIG);
	FLT_ASSERT(strstr(r.error, "answer larger than 1024 bytes"));
	FLT_EQ_INT(r.attempts, 1);
	httpc_response_release(&r);
	get.path = "/small";
	FLT_EQ_INT(httpc_send(h, &get, &r), FLYTE_OK);
	httpc_response_release(&r);
	httpc_free(h);
	standin_stop(s);
}

/* ------------------------------------------------------------- TLS */

static const char *ca_path_for_test;

static void with_ca(struct httpc_options *o)
{
	o->ca_file = ca_path_for_test;
}

static void insecure(struct httpc_options *o)
{
	o->insecure = 1;
}

FLT_TEST(tls_verification)
{
	char cert[128], key[128], cmd[512];
	struct standin_tls tls;
	struct standin *s = NULL;
	struct httpc *h;
	struct httpc_response r;
	struct httpc_request get = { .method = "GET", .path = "/x", .flags = HTTPC_IDEMPOTENT };

	snprintf(cert, sizeof(cert), "%s/cert.pem", tmpdir);
	snprintf(key, sizeof(key), "%s/key.pem", tmpdir);
	snprintf(cmd, sizeof(cmd),
		 "openssl req -x509 -newkey rsa:2048 -nodes -keyout %s -out %s -days 2 -subj /CN=127.0.0.1 "
		 "-addext subjectAltName=IP:127.0.0.1 >/dev/null 2>&1",
		 key, cert);
	FLT_ASSERT(system(cmd) == 0);
	tls.cert_pem = flt_read_file(cert, 0, NULL);
	tls.key_pem = flt_read_file(key, 0, NULL);
	FLT_ASSERT(tls.cert_pem && tls.key_pem);
	FLT_EQ_INT(standin_start(&s, echo_model, NULL, &tls), 0);
	FLT_ASSERT(!strncmp(standin_url(s), "https://", 8));
	/* verification is on by default: a self-signed certificate is refused */
	h = mk(standin_url(s), three_attempts);
	FLT_EQ_INT(httpc_send(h, &get, &r), FLYTE_ENETWORK);
	FLT_EQ_INT(r.attempts, 1); /* TLS failures are not retried */
	FLT_ASSERT(strstr(r.error, "certificate") || strstr(r.error, "SSL"));
	httpc_response_release(&r);
	httpc_free(h);
	/* trusted through the CA file */
	ca_path_for_test = cert;
	h = mk(standin_url(s), with_ca);
	FLT_EQ_INT(httpc_send(h, &get, &r), FLYTE_OK);
	FLT_EQ_INT(r.status, 200);
	httpc_response_release(&r);
	httpc_free(h);
	/* or with the explicit opt-out */
	h = mk(standin_url(s), insecure);
	FLT_EQ_INT(httpc_send(h, &get, &r), FLYTE_OK);
	FLT_EQ_INT(r.status, 200);
	httpc_response_release(&r);
	httpc_free(h);
	standin_stop(s);
	free((char *)tls.cert_pem);
	free((char *)tls.key_pem);
}

/* ------------------------------------------------------ concurrency */

static struct httpc *shared;
static atomic_int oks;

static void *worker(void *arg)
{
	(void)arg;
	for (int i = 0; i < 15; i++) {
		struct httpc_response r;
		struct httpc_request q = { .method = "GET", .path = "/c", .flags = HTTPC_IDEMPOTENT };
		if (httpc_send(shared, &q, &r) == FLYTE_OK && r.status == 200)
			atomic_fetch_add(&oks, 1);
		httpc_response_release(&r);
	}
	return NULL;
}

FLT_TEST(concurrent_requests_share_one_handle)
{
	struct standin *s = NULL;
	pthread_t t[8];

	FLT_EQ_INT(standin_start(&s, echo_model, NULL, NULL), 0);
	shared = mk(standin_url(s), basic_auth);
	for (int i = 0; i < 8; i++)
		FLT_ASSERT(pthread_create(&t[i], NULL, worker, NULL) == 0);
	for (int i = 0; i < 8; i++)
		pthread_join(t[i], NULL);
	FLT_EQ_INT(atomic_load(&oks), 120);
	FLT_EQ_INT(standin_count(s), 120);
	httpc_free(shared);
	standin_stop(s);
}

/* -------------------------------------------------------- secrets */

static char logged[64][512];
static int n_logged;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

static void collect(enum flyte_log_level level, const char *message, void *payload)
{
	(void)level;
	(void)payload;
	pthread_mutex_lock(&log_lock);
	if (n_logged < 64)
		snprintf(logged[n_logged++], sizeof(logged[0]), "%s", message);
	pthread_mutex_unlock(&log_lock);
}

static void logging_basic(struct httpc_options *o)
{
	basic_auth(o);
	o->log_fn = collect;
	o->log_level = FLYTE_LOG_DEBUG;
	three_attempts(o);
}

FLT_TEST(secrets_are_redacted)
{
	struct standin *s = NULL;
	struct httpc *h;
	struct httpc_response r;
	char d[512], url[128], text[256];
	struct standin_fault f503 = { .count = 1, .status = 503, .body = "pw s3cr3t-pw echoed" };
	struct httpc_request q = { .method = "GET", .path = "/echo-secret", .query = "s3cr3t-pw",
				   .flags = HTTPC_IDEMPOTENT };

	FLT_EQ_INT(standin_start(&s, echo_model, NULL, NULL), 0);
	h = mk(standin_url(s), logging_basic);
	standin_fault(s, &f503);
	FLT_EQ_INT(httpc_send(h, &q, &r), FLYTE_OK);
	FLT_EQ_INT(r.status, 401);
	httpc_describe(d, sizeof(d), h, &r);
	FLT_ASSERT(strstr(d, "bad credentials for ***"));
	FLT_ASSERT(!strstr(d, "s3cr3t"));
	httpc_response_release(&r);
	httpc_logf(h, FLYTE_LOG_ERROR, "the password is %s, the header %s", "s3cr3t-pw", "Basic amRvZTpzM2NyM3QtcHc=");
	FLT_ASSERT(n_logged >= 3); /* two exchanges and a retry, then ours */
	for (int i = 0; i < n_logged; i++)
		FLT_ASSERT(!strstr(logged[i], "s3cr3t") && !strstr(logged[i], "amRvZTpzM2NyM3QtcHc="));
	FLT_ASSERT(strstr(logged[n_logged - 1], "the password is ***, the header Basic ***"));
	httpc_free(h);

	/* the password of a URL's userinfo */
	snprintf(url, sizeof(url), "http://bob:hunter22@%s", standin_url(s) + 7);
	h = mk(url, NULL);
	snprintf(text, sizeof(text), "see http://bob:hunter22@host");
	httpc_redact(h, text);
	FLT_EQ_STR(text, "see http://bob:***@host");
	struct httpc_request q2 = { .method = "GET", .path = "/x" };
	FLT_EQ_INT(httpc_send(h, &q2, &r), FLYTE_OK);
	FLT_ASSERT(!strstr(r.url, "hunter22"));
	httpc_response_release(&r);
	httpc_free(h);
	standin_stop(s);
}

FLT_TEST(prepare)
{
	FLT_ASSERT(flt_tmpdir_make(tmpdir, sizeof(tmpdir), "flyte-httpc") == 0);
}

FLT_TEST(cleanup)
{
	FLT_ASSERT(flt_tmpdir_remove(tmpdir) == 0);
}

FLT_MAIN(prepare, pathf_escapes_segments, query_add_escapes_keys_and_values, answer_message_shapes,
	 answer_json_errors, options_from_env, new_validates, basic_auth_json_body_and_headers, token_auth,
	 retries_on_5xx_only_when_idempotent, retry_after_on_429, timeouts_and_dropped_connections,
	 refused_connections_are_retried, answer_size_cap, tls_verification, concurrent_requests_share_one_handle,
	 secrets_are_redacted, cleanup)
