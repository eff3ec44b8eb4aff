/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rawhttp.c - protocol-level abuse over raw sockets (reliability plan
 * §4.3: Content-Length mismatch, negative Content-Length, chunked bodies
 * without terminator, garbage, oversized headers, slow clients).
 *
 * libcurl never sends these, so the requests are written byte for byte.
 * Each case checks that nothing is stored from a broken request, that the
 * answer (if any) is not a success, and that the server still answers
 * /health.  Positive controls make sure the raw path itself works
 * (HTTP/1.0, pipelining, a correct chunked body).
 *
 * half_closed_takers_get_each_action_once replays the attack that handed
 * one action to two packs: five clients send a take and shutdown(SHUT_WR)
 * (nc -N, socat) while their takes wait; each must read its own action
 * and no action may go back to NEW.
 */
#include "fl-common.h"

#include "api-util.h"
#include "buf.h"
#include "fltest.h"
#include "harness.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

/*
 * How long to read the answer to a broken request.  The server may keep a
 * half-closed connection until its idle timeout instead of closing it, so
 * "no answer within this time" counts as a refusal, like a closed
 * connection; the checks that matter are "nothing stored" and "alive".
 */
#define REFUSE_WAIT_MS 5000

/* Send `req` (then EOF when shut_wr), return the status of the answer
 * (0 when the server closed without answering). */
static int raw_status(const char *req, size_t len, bool shut_wr, int timeout_ms, char **answer)
{
	char *out = NULL;
	long n = flh_raw(api_srv(), req, len ? len : strlen(req), shut_wr, timeout_ms, &out);
	int st;
	FLH_ASSERT_MSG(n >= 0, "cannot connect to the server");
	st = flh_raw_status(out);
	if (answer)
		*answer = out;
	else
		free(out);
	return st;
}

static void expect_not_stored(const char *pack_id)
{
	struct flh_resp *r = flh_get(api_srv(), flh_path("/v1/packs/%s", pack_id));
	FLH_ERROR(r, 404);
	flh_resp_free(r);
}

static void expect_alive(void)
{
	FLH_ASSERT_MSG(api_alive(api_srv()), "the server is not healthy");
}

/* 4xx, or no answer at all (connection closed). */
static void expect_refused(int st, const char *what)
{
	FLH_ASSERT_MSG(st == 0 || (st >= 400 && st < 500), "%s: answered %d", what, st);
}

FLT_TEST(http10_request)
{
	FLH_EQ_INT(raw_status("GET /health HTTP/1.0\r\n\r\n", 0, false, 20000, NULL), 200);
}

FLT_TEST(pipelined_requests)
{
	static const char req[] = "GET /health HTTP/1.1\r\nHost: a\r\n\r\n"
				  "GET /v1 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";
	char *out = NULL;
	const char *second;
	FLH_EQ_INT(raw_status(req, 0, false, 20000, &out), 200);
	second = strstr(out + 1, "HTTP/1.1 200");
	FLH_ASSERT_MSG(second != NULL, "no second answer: %.300s", out);
	FLH_ASSERT(strstr(second, "\"links\"") != NULL);
	free(out);
}

FLT_TEST(valid_chunked_body_accepted)
{
	static const char req[] = "POST /v1/packs HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\n"
				  "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
				  "9\r\n{\"name\":\"\r\n"
				  "9\r\nChunkOk\"}\r\n"
				  "0\r\n\r\n";
	struct flh_resp *r;
	FLH_EQ_INT(raw_status(req, 0, false, 20000, NULL), 201);
	r = flh_get(api_srv(), "/v1/packs/ChunkOk");
	FLH_STATUS(r, 200);
	flh_resp_free(r);
}

FLT_TEST(garbage_request_line)
{
	expect_refused(raw_status("HELLO WORLD\r\n\r\n", 0, true, REFUSE_WAIT_MS, NULL), "garbage");
	expect_refused(raw_status("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11, true, REFUSE_WAIT_MS, NULL),
		       "TLS hello on plain HTTP");
	expect_alive();
}

FLT_TEST(content_length_longer_than_body)
{
	static const char req[] = "POST /v1/packs HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\n"
				  "Content-Length: 100\r\n\r\n{\"name\":\"ShortBody\"}";
	expect_refused(raw_status(req, 0, true, REFUSE_WAIT_MS, NULL), "short body");
	expect_not_stored("ShortBody");
	expect_alive();
}

FLT_TEST(negative_content_length)
{
	static const char req[] = "POST /v1/packs HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\n"
				  "Content-Length: -5\r\nConnection: close\r\n\r\n{\"name\":\"Negative\"}";
	int st = raw_status(req, 0, true, REFUSE_WAIT_MS, NULL);
	expect_refused(st, "negative Content-Length");
	expect_not_stored("Negative");
	expect_alive();
}

FLT_TEST(non_numeric_content_length)
{
	static const char req[] = "POST /v1/packs HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\n"
				  "Content-Length: 1x\r\nConnection: close\r\n\r\n{\"name\":\"NotNum\"}";
	expect_refused(raw_status(req, 0, true, REFUSE_WAIT_MS, NULL), "non-numeric Content-Length");
	expect_not_stored("NotNum");
	expect_alive();
}

FLT_TEST(chunked_without_terminator)
{
	static const char req[] = "POST /v1/packs HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\n"
				  "Transfer-Encoding: chunked\r\n\r\n"
				  "17\r\n{\"name\":\"NoTerminator\"}\r\n";
	expect_refused(raw_status(req, 0, true, REFUSE_WAIT_MS, NULL), "unterminated chunked body");
	expect_not_stored("NoTerminator");
	expect_alive();
}

FLT_TEST(bad_chunk_size)
{
	static const char req[] = "POST /v1/packs HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\n"
				  "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
				  "zz\r\n{\"name\":\"BadChunk\"}\r\n0\r\n\r\n";
	expect_refused(raw_status(req, 0, true, REFUSE_WAIT_MS, NULL), "bad chunk size");
	expect_not_stored("BadChunk");
	expect_alive();
}

FLT_TEST(oversized_content_length_refused_before_body)
{
	static const char req[] = "POST /v1/packs HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\n"
				  "Content-Length: 1000000000\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n";
	char *out = NULL;
	const char *body;
	FLH_EQ_INT(raw_status(req, 0, false, 20000, &out), 413);
	body = strstr(out, "\r\n\r\n");
	FLH_ASSERT_MSG(body && strstr(body, "\"error\""), "413 without a JSON error: %.300s", out);
	free(out);
	expect_alive();
}

FLT_TEST(oversized_headers)
{
	size_t n = 64 * 1024;
	char *req = malloc(n + 256);
	size_t len;
	int st;
	FLH_ASSERT(req != NULL);
	len = (size_t)snprintf(req, 256, "GET /health HTTP/1.1\r\nHost: a\r\nX-Big: ");
	memset(req + len, 'h', n);
	len += n;
	memcpy(req + len, "\r\n\r\n", 4);
	len += 4;
	st = raw_status(req, len, true, REFUSE_WAIT_MS, NULL);
	free(req);
	FLH_ASSERT_MSG(st == 431 || st == 413 || st == 400 || st == 0, "64 KiB header answered %d", st);
	expect_alive();
}

FLT_TEST(connection_reset_mid_body)
{
	static const char req[] = "POST /v1/packs HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\n"
				  "Content-Length: 1000\r\n\r\n{\"name\":\"Reset";
	struct linger lg = { 1, 0 };
	int fd = flh_raw_open(api_srv(), req, strlen(req));
	FLH_ASSERT(fd >= 0);
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(fd); /* RST */
	expect_alive();
}

FLT_TEST(partial_requests_do_not_block_others)
{
	enum { N = 50 };
	static const char partial[] = "POST /v1/packs HTTP/1.1\r\nHost: a\r\nContent-Len";
	int fds[N];
	struct flh_req req = { .url = "/v1", .timeout_ms = 20000 };
	struct flh_resp *r;
	for (int i = 0; i < N; i++)
		fds[i] = flh_raw_open(api_srv(), partial, strlen(partial));
	/* Well below the server's idle timeout: a blocked server fails here. */
	r = flh_http(api_srv(), &req);
	for (int i = 0; i < N; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	FLH_STATUS(r, 200);
	flh_resp_free(r);
	expect_alive();
}

/* Read until the peer closes or timeout_ms passes; caller frees. */
static char *read_until_close(int fd, int timeout_ms)
{
	struct fl_buf b = FL_BUF_INIT((size_t)1 << 20);
	int64_t dl = flh_deadline(timeout_ms);
	char chunk[4096];

	while (!flh_expired(dl)) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;
		if (poll(&p, 1, 200) <= 0)
			continue;
		n = recv(fd, chunk, sizeof(chunk), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		fl_buf_add(&b, chunk, (size_t)n);
	}
	return fl_buf_detach(&b, NULL);
}

/* The final answer of a raw exchange: interim 1xx answers skipped. */
static const char *final_answer(const char *raw)
{
	while (strncmp(raw, "HTTP/1.1 1", 10) == 0 && strstr(raw, "\r\n\r\n"))
		raw = strstr(raw, "\r\n\r\n") + 4;
	return raw;
}

static bool all_pending(json_t *answer, void *arg)
{
	size_t i;
	json_t *f;
	(void)arg;
	json_array_foreach(json_object_get(answer, "flows"), i, f) {
		if (!flh_json_str(f, "actions.s.state.value") || strcmp(flh_json_str(f, "actions.s.state.value"), "PENDING"))
			return false;
	}
	return true;
}

FLT_TEST(half_closed_takers_get_each_action_once)
{
	enum { N = 5 };
	static const char take[] = "POST /v1/packs/HcWorker/actions/take HTTP/1.1\r\nHost: a\r\n"
				   "Content-Type: application/json\r\nContent-Length: 4\r\n\r\nnull";
	static const char flow[] = "{\"name\":\"hc\",\"steps\":[{\"id\":\"s\",\"event\":{\"packName\":\"HcSrc\","
				   "\"name\":\"Go\"},\"command\":{\"packName\":\"HcWorker\",\"name\":\"Job\","
				   "\"input\":\"{{ Event.Payload.n }}\"}}]}";
	struct flh_server *s = api_start(9000, NULL);
	struct flh_pack src, worker;
	int fds[N];
	char *answers[N];
	bool seen[N] = { false };
	json_t *audit;
	char *log;
	size_t i;
	json_t *f;

	FLH_ASSERT_MSG(s, "the server did not start");
	FLH_EQ_INT(flh_pack_register(&src, s, "{\"name\":\"HcSrc\"}"), 201);
	FLH_EQ_INT(flh_pack_register(&worker, s, "{\"name\":\"HcWorker\",\"commands\":[{\"name\":\"Job\"}]}"), 201);
	FLH_EQ_INT(api_post_flow(s, flow), 201);
	for (int k = 0; k < N; k++) {
		fds[k] = flh_raw_open(s, take, sizeof(take) - 1);
		FLH_ASSERT(fds[k] >= 0);
		FLH_ASSERT(shutdown(fds[k], SHUT_WR) == 0);
	}
	flh_sleep_ms(300); /* most takes are parked by now (either way, each action goes out once) */
	for (int k = 0; k < N; k++) {
		char payload[32];
		snprintf(payload, sizeof(payload), "{\"n\":\"%d\"}", k);
		FLH_EQ_INT(flh_pack_event(&src, "Go", payload), 202);
	}
	for (int k = 0; k < N; k++) {
		answers[k] = read_until_close(fds[k], 30000);
		close(fds[k]);
	}
	for (int k = 0; k < N; k++) {
		const char *a = final_answer(answers[k]);
		const char *body = strstr(a, "\r\n\r\n");
		json_t *j = body ? flh_json(body + 4) : NULL;
		const char *in = json_string_value(json_object_get(j, "input"));
		int n = in && in[0] >= '0' && in[0] <= '9' && !in[1] ? in[0] - '0' : -1;
		bool ok = flh_raw_status(a) == 200 && n >= 0 && n < N && !seen[n];
		if (!ok)
			printf("# answer %d: %.400s\n", k, answers[k]);
		json_decref(j);
		FLH_ASSERT_MSG(ok, "half-closing client %d did not get an action of its own", k);
		seen[n] = true;
	}
	for (int k = 0; k < N; k++)
		free(answers[k]);
	/* no release: every action went NEW -> PENDING once */
	audit = api_audit_wait(s, "flowName=hc&limit=100", N, all_pending, NULL, FLH_WAIT_MS);
	FLH_ASSERT(audit != NULL);
	json_array_foreach(json_object_get(audit, "flows"), i, f) {
		json_t *states = flh_json_get(f, "actions.s.states");
		FLH_EQ_INT(json_array_size(states), 2);
		FLH_EQ_STR(flh_json_str(states, "0.value"), "NEW");
		FLH_EQ_STR(flh_json_str(states, "1.value"), "PENDING");
	}
	json_decref(audit);
	log = flh_server_log(s);
	FLH_ASSERT_MSG(log && !strstr(log, "was not delivered"), "an answer was released after it was sent");
	free(log);
	flh_pack_release(&src);
	flh_pack_release(&worker);
	flh_server_free(s);
}

FLT_MAIN(http10_request, pipelined_requests, valid_chunked_body_accepted, garbage_request_line,
	 content_length_longer_than_body, negative_content_length, non_numeric_content_length,
	 chunked_without_terminator, bad_chunk_size, oversized_content_length_refused_before_body, oversized_headers,
	 connection_reset_mid_body, partial_requests_do_not_block_others, half_closed_takers_get_each_action_once)
