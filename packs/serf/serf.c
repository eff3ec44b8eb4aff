/* SPDX-License-Identifier: Apache-2.0 */
/*
 * serf.c - configuration, the event stream and the SendEvent handler of
 * the Serf pack (see serf.h).
 *
 * The main thread follows the agent on one RPC connection (handshake,
 * auth, join, stream); a broken connection - the agent restarted, or was
 * not up yet - is retried with exponential backoff until the pack stops,
 * and the join is repeated on every new connection, so a restarted agent
 * rejoins the cluster.  SendEvent actions run on the pack's worker
 * threads, each on a short connection of its own (a request/answer pair
 * on loopback), so they never interleave with the stream's records.
 */
#include "fl-common.h"

#include <poll.h>

#include <jansson.h>

#include "packenv.h"
#include "serf.h"

#define DEFAULT_RPC_ADDR "127.0.0.1:7373"
#define JOIN_TIMEOUT_MS 30000
/* How long an event waits for the pack's first registration. */
#define REGISTER_WAIT_MS 30000

int serf_config_from_env(struct serf_config *cfg, char *err, size_t errlen)
{
	long timeout = 5000;

	memset(cfg, 0, sizeof(*cfg));
	cfg->retry_initial_ms = 100;
	cfg->retry_max_ms = 5000;
	if (packenv_dup(&cfg->pack_name, "PACK_NAME", "Serf", err, errlen) ||
	    packenv_dup(&cfg->rpc_addr, "SERF_RPC_ADDR", DEFAULT_RPC_ADDR, err, errlen) ||
	    packenv_list(&cfg->join_hosts, &cfg->n_join, packenv_get("SERF_JOIN_HOSTS"), err, errlen) ||
	    packenv_long("SERF_RPC_TIMEOUT_MS", 100, 600000, &timeout, err, errlen) ||
	    packenv_long("SERF_RECONNECT_MAX_MS", 100, 600000, &cfg->retry_max_ms, err, errlen) ||
	    packenv_dup(&cfg->rpc_auth, "SERF_RPC_AUTH", NULL, err, errlen) ||
	    packenv_bool("SERF_MEMBER_EVENTS", &cfg->member_events, err, errlen))
		return -1;
	cfg->timeout_ms = (int)timeout;
	return 0;
}

void serf_config_release(struct serf_config *cfg)
{
	if (!cfg)
		return;
	free(cfg->pack_name);
	free(cfg->rpc_addr);
	packenv_secret_free(cfg->rpc_auth);
	packenv_list_free(cfg->join_hosts);
	memset(cfg, 0, sizeof(*cfg));
}

const char *serf_stream_type(const struct serf_config *cfg)
{
	return cfg->member_events ? "user,member-join,member-leave,member-failed" : "user";
}

/* ---- payloads ------------------------------------------------------------- */

static void add_json_bytes(struct fl_buf *b, const char *p, size_t len)
{
	char *q = NULL;

	if (flyte_json_quote(&q, p ? p : "", p ? len : 0)) {
		b->failed = true;
		return;
	}
	fl_buf_adds(b, q);
	flyte_string_free(q);
}

int serf_user_event_json(struct fl_buf *b, const struct serf_record *r)
{
	fl_buf_adds(b, "{\"name\":");
	add_json_bytes(b, r->name, r->name_len);
	fl_buf_adds(b, ",\"payload\":");
	add_json_bytes(b, r->payload, r->payload_len);
	fl_buf_addc(b, '}');
	return fl_buf_failed(b) ? -1 : 0;
}

int serf_member_event_json(struct fl_buf *b, const char *event, const struct serf_member *m)
{
	fl_buf_adds(b, "{\"name\":");
	add_json_bytes(b, event, strlen(event));
	fl_buf_adds(b, ",\"memberName\":");
	add_json_bytes(b, m->name, strlen(m->name));
	fl_buf_adds(b, ",\"memberAddr\":");
	add_json_bytes(b, m->addr, strlen(m->addr));
	fl_buf_addc(b, '}');
	return fl_buf_failed(b) ? -1 : 0;
}

/* ---- the stream ------------------------------------------------------------ */

static void logf_(const char *fmt, ...) FL_PRINTF(1, 2);
static void logf_(const char *fmt, ...)
{
	va_list ap;
	char line[1024];

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "flyte-serf: %s\n", line);
}

/* Sleep ms, or less when wake_fd becomes readable; true if woken. */
static bool nap(int wake_fd, long ms)
{
	struct pollfd p = { wake_fd, POLLIN, 0 };
	return poll(&p, 1, (int)ms) > 0;
}

/* Send an event, waiting for the first registration if needed; false when stopping. */
static bool send_event(struct serf_stream *s, const char *event, const char *json)
{
	for (long waited = 0;; waited += 100) {
		int rc = flyte_pack_send_event(s->pack, event, json);
		if (rc == FLYTE_OK)
			return true;
		if (rc == FLYTE_ECANCELLED)
			return false;
		if (rc != FLYTE_EAGAIN || waited >= REGISTER_WAIT_MS) {
			logf_("cannot send %s: %s", event, flyte_pack_last_error(s->pack));
			return true;
		}
		if (nap(s->wake_fd, 100))
			return false;
	}
}

static void join(struct serf_stream *s, struct serf_conn *c)
{
	const struct serf_config *cfg = s->cfg;
	struct fl_buf b = FL_BUF_INIT(1 << 20);
	char err[512];
	long n;
	int saved = c->timeout_ms;

	c->timeout_ms = JOIN_TIMEOUT_MS;
	n = serf_conn_join(c, (const char *const *)cfg->join_hosts, cfg->n_join, err, sizeof(err));
	c->timeout_ms = saved;
	if (n > 0) {
		logf_("joined %ld of %zu hosts", n, cfg->n_join);
		return;
	}
	if (n == 0)
		snprintf(err, sizeof(err), "joined none of the hosts");
	logf_("join failed: %s", err);
	fl_buf_adds(&b, "{\"hosts\":[");
	for (size_t i = 0; i < cfg->n_join; i++) {
		if (i)
			fl_buf_addc(&b, ',');
		add_json_bytes(&b, cfg->join_hosts[i], strlen(cfg->join_hosts[i]));
	}
	fl_buf_adds(&b, "],\"error\":");
	add_json_bytes(&b, err, strlen(err));
	fl_buf_addc(&b, '}');
	if (!fl_buf_failed(&b))
		send_event(s, "JoinFailed", b.ptr);
	fl_buf_release(&b);
}

/* Forward one stream record; false when stopping. */
static bool forward(struct serf_stream *s, const msgpack_object *o)
{
	struct serf_record r;
	struct fl_buf b = FL_BUF_INIT(1 << 20);
	bool go_on = true;

	if (serf_parse_record(o, &r)) {
		logf_("ignored a malformed record from the agent");
		return true;
	}
	if (r.kind == SERF_RECORD_USER) {
		if (!serf_user_event_json(&b, &r))
			go_on = send_event(s, "UserEvent", b.ptr);
	} else if (r.kind == SERF_RECORD_MEMBER && s->cfg->member_events) {
		for (size_t i = 0; go_on && i < serf_record_n_members(&r); i++) {
			struct serf_member m;
			if (serf_record_member(&r, i, &m))
				continue;
			fl_buf_reset(&b);
			if (!serf_member_event_json(&b, r.event, &m))
				go_on = send_event(s, "MemberEvent", b.ptr);
		}
	}
	fl_buf_release(&b);
	return go_on;
}

/* One connection's life: returns when it breaks (false) or the pack stops (true). */
static bool follow(struct serf_stream *s, bool *connected)
{
	const struct serf_config *cfg = s->cfg;
	struct serf_conn c;
	char err[512];
	long long seq;
	bool stop = false;

	*connected = false;
	if (serf_conn_open(&c, cfg->rpc_addr, cfg->rpc_auth, cfg->timeout_ms, err, sizeof(err))) {
		serf_conn_close(&c);
		logf_("%s", err);
		return false;
	}
	*connected = true;
	s->connects++;
	logf_("connected to the serf agent at %s", cfg->rpc_addr);
	if (cfg->n_join)
		join(s, &c);
	seq = serf_conn_stream(&c, serf_stream_type(cfg), err, sizeof(err));
	if (seq < 0) {
		logf_("cannot subscribe to events: %s", err);
		serf_conn_close(&c);
		return false;
	}
	logf_("subscribed to '%s' events", serf_stream_type(cfg));
	while (!stop) {
		const msgpack_object *o;
		struct serf_header h;
		int r = serf_conn_read(&c, &o, -1, s->wake_fd, err, sizeof(err));

		if (r == 0) {
			stop = true; /* woken: the pack is stopping */
			break;
		}
		if (r < 0)
			break;
		if (serf_parse_header(o, &h) || h.seq != (uint64_t)seq) {
			snprintf(err, sizeof(err), "unexpected message from the serf agent");
			break;
		}
		if (h.error[0]) {
			snprintf(err, sizeof(err), "stream error: %s", h.error);
			break;
		}
		r = serf_conn_read(&c, &o, cfg->timeout_ms, s->wake_fd, err, sizeof(err));
		if (r <= 0) {
			stop = r == 0 && nap(s->wake_fd, 0);
			if (r == 0 && !stop)
				snprintf(err, sizeof(err), "record missing after a stream header");
			break;
		}
		stop = !forward(s, o);
	}
	if (!stop)
		logf_("lost the serf agent at %s: %s; reconnecting", cfg->rpc_addr, err);
	serf_conn_close(&c);
	return stop;
}

int serf_stream_run(struct serf_stream *s)
{
	long delay = s->cfg->retry_initial_ms;

	for (;;) {
		bool connected;
		if (follow(s, &connected))
			return 0;
		if (connected)
			delay = s->cfg->retry_initial_ms;
		if (nap(s->wake_fd, delay))
			return 0;
		delay = FL_MIN(delay * 2, s->cfg->retry_max_ms);
	}
}

/* ---- SendEvent ------------------------------------------------------------- */

int serf_send_handler(const char *input, size_t len, struct flyte_result *out, void *payload)
{
	const struct serf_config *cfg = payload;
	struct serf_conn c;
	json_error_t je;
	json_t *in = json_loadb(input, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je), *name, *data, *coalesce;
	char err[600];
	int rc;

	if (!in || !json_is_object(in)) {
		snprintf(err, sizeof(err), "invalid input: %s", in ? "expected an object" : je.text);
		json_decref(in);
		return flyte_result_set_string(out, "SendEventFailed", err) ? -1 : 0;
	}
	name = json_object_get(in, "name");
	data = json_object_get(in, "payload");
	coalesce = json_object_get(in, "coalesce");
	if ((data && !json_is_string(data) && !json_is_null(data)) ||
	    (coalesce && !json_is_boolean(coalesce) && !json_is_null(coalesce)) || (name && !json_is_string(name))) {
		snprintf(err, sizeof(err), "invalid input: expected {\"name\": string, \"payload\": string, "
					   "\"coalesce\": bool}");
		goto failed;
	}
	if (!name || !json_string_length(name) || memchr(json_string_value(name), 0, json_string_length(name))) {
		snprintf(err, sizeof(err), "name is required");
		goto failed;
	}
	if (serf_conn_open(&c, cfg->rpc_addr, cfg->rpc_auth, cfg->timeout_ms, err, sizeof(err)) ||
	    serf_conn_event(&c, json_string_value(name), data ? json_string_value(data) : "",
			    data ? json_string_length(data) : 0, json_is_true(coalesce), err, sizeof(err))) {
		serf_conn_close(&c);
		goto failed;
	}
	serf_conn_close(&c);
	json_decref(in);
	return flyte_result_set(out, "EventSent", input) ? -1 : 0;
failed:
	json_decref(in);
	rc = flyte_result_set_string(out, "SendEventFailed", err);
	return rc ? -1 : 0;
}
