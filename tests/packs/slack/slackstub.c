/* SPDX-License-Identifier: Apache-2.0 */
/*
 * slackstub.c - the stand-in of Slack's Web API and Socket Mode used by the
 * Slack pack's tests (see slackstub.h).
 *
 * One mutex guards the whole model.  The Web API model runs on the HTTP
 * stand-in's threads; the Socket Mode side runs on libwebsockets' service
 * thread, woken by lws_cancel_service() whenever the test changes
 * something and every 100 ms by a ticker (time-outs, closing connections
 * that were asked to move).
 */
#include "fl-common.h"

#include <pthread.h>
#include <stdatomic.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <libwebsockets.h>

#include "buf.h"
#include "fltest.h"
#include "harness.h"
#include "models.h"
#include "slackstub.h"
#include "timeutil.h"

#define MAX_WS 16
#define MAX_DELIVERIES 1024
#define ACK_TIMEOUT_MS 3000
#define DRAIN_GRACE_MS 300
#define DRAIN_MAX_MS 10000

enum dstate { D_QUEUED, D_SENT, D_ACKED };

struct delivery {
	json_t *callback; /* the event_callback payload */
	char event_id[32];
	char envelope_id[48];
	char old_envelope_id[48];
	enum dstate state;
	unsigned conn;
	int64_t sent_at;
	int attempt;
	bool dup, drop_after;
};

struct wsconn {
	bool used;
	struct lws *wsi;
	unsigned id;
	bool ready, draining, closing, kill;
	int64_t drain_since;
	json_t *outbox; /* [{"text": .., "kill": bool}] */
	struct fl_buf rx;
};

struct slackstub {
	struct standin *http;
	char api_url[128];
	pthread_mutex_t lock;
	/* workspace */
	json_t *users;    /* id -> user object */
	json_t *channels; /* array of conversation objects */
	json_t *posts;    /* accepted chat.postMessage arguments + ts */
	int page_size;
	bool echo;
	unsigned ts_seq, msg_seq, event_seq, envelope_seq, ticket_seq;
	json_t *tickets;  /* ticket -> used */
	/* Socket Mode */
	struct lws_context *ctx;
	int ws_port;
	bool wss;
	pthread_t service, ticker;
	atomic_bool stop;
	struct wsconn ws[MAX_WS];
	unsigned ws_seq;
	struct delivery d[MAX_DELIVERIES];
	size_t nd;
	json_t *raw;      /* raw frames for the newest live connection */
	bool dup_next, drop_next, drop_all;
	json_t *disconnects; /* reasons to send */
	struct slackstub_ws_stats st;
};

static int64_t now_ms(void)
{
	return fl_time_mono_ns() / FL_NS_PER_MS;
}

static const char *sv(const json_t *o, const char *k)
{
	const json_t *v = json_object_get(o, k);
	return json_is_string(v) ? json_string_value(v) : "";
}

/* ================================================================ Web API */

static void answer(struct standin_resp *r, json_t *j)
{
	char *t = json_dumps(j, JSON_COMPACT);
	standin_text(r, 200, "application/json; charset=utf-8", t);
	free(t);
	json_decref(j);
}

static void fail(struct standin_resp *r, const char *error)
{
	answer(r, json_pack("{s:b,s:s}", "ok", 0, "error", error));
}

/* The arguments of a call as a JSON object of strings (JSON bodies as they are). */
static json_t *arguments(const struct standin_req *q, bool json_ok, bool *charset, const char **bad)
{
	const char *ct = standin_req_header(q, "Content-Type");
	const char *src = q->query;
	json_t *args = json_object();

	*charset = true;
	*bad = NULL;
	if (!strcmp(q->method, "POST") && q->body_len) {
		if (ct && md_json_ctype(q)) {
			json_t *b;
			if (!json_ok) { /* read methods ignore JSON bodies */
				return args;
			}
			*charset = strcasestr(ct, "charset=utf-8") != NULL;
			b = md_body(q);
			if (!json_is_object(b)) {
				json_decref(b);
				*bad = "invalid_json";
				return args;
			}
			json_decref(args);
			return b;
		}
		if (!ct || strncasecmp(ct, "application/x-www-form-urlencoded", 33)) {
			*bad = "invalid_form_data";
			return args;
		}
		src = q->body;
	}
	for (const char *p = src; p && *p;) {
		const char *amp = strchr(p, '&'), *eq;
		size_t plen = amp ? (size_t)(amp - p) : strlen(p);
		char key[64], val[8192];
		eq = memchr(p, '=', plen);
		snprintf(key, sizeof(key), "%.*s", (int)(eq ? eq - p : (long)plen), p);
		if (md_query(src, key, val, sizeof(val)))
			json_object_set_new(args, key, json_string(val));
		p = amp ? amp + 1 : NULL;
	}
	return args;
}

static json_t *find_channel_locked(struct slackstub *s, const char *ref)
{
	json_t *c;
	size_t i;

	if (ref[0] == '#')
		ref++;
	json_array_foreach(s->channels, i, c)
		if (!strcmp(sv(c, "id"), ref) || !strcmp(sv(c, "name"), ref))
			return c;
	return NULL;
}

static size_t chars(const char *t)
{
	size_t n = 0;
	for (; *t; t++)
		if (((unsigned char)*t & 0xC0) != 0x80)
			n++;
	return n;
}

static void queue_event_locked(struct slackstub *s, json_t *event, const char *event_id, char *out, size_t outlen);

static void post_message(struct slackstub *s, json_t *args, bool charset, struct standin_resp *r)
{
	const json_t *att = json_object_get(args, "attachments");
	const char *text = sv(args, "text"), *thread = sv(args, "thread_ts");
	json_t *c = find_channel_locked(s, sv(args, "channel")), *msg, *ans, *stored, *v;
	char ts[32];
	size_t i;

	if (!*sv(args, "channel") || !c)
		{ fail(r, "channel_not_found"); return; }
	if (json_is_true(json_object_get(c, "is_archived")))
		{ fail(r, "is_archived"); return; }
	if (!json_is_true(json_object_get(c, "is_member")))
		{ fail(r, "not_in_channel"); return; }
	if (json_is_string(att)) /* form-encoded attachments are JSON text */
		att = NULL;
	if (att && !json_is_array(att))
		{ fail(r, "invalid_attachments"); return; }
	json_array_foreach(att, i, v)
		if (!json_is_object(v))
			{ fail(r, "invalid_attachments"); return; }
	if (!*text && !json_array_size(att) && !json_array_size(json_object_get(args, "blocks")))
		{ fail(r, "no_text"); return; }
	if (chars(text) > 40000)
		{ fail(r, "msg_too_long"); return; }
	s->ts_seq++;
	snprintf(ts, sizeof(ts), "1700000%03u.%06u", s->ts_seq / 1000, s->ts_seq);
	msg = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "type", "message", "text", text, "user", STUB_BOT_USER, "bot_id",
			STUB_BOT_ID, "app_id", STUB_APP_ID, "ts", ts);
	if (*thread)
		json_object_set_new(msg, "thread_ts", json_string(thread));
	if (att)
		json_object_set(msg, "attachments", (json_t *)att);
	stored = json_deep_copy(args);
	json_object_set_new(stored, "ts", json_string(ts));
	json_array_append_new(s->posts, stored);
	ans = json_pack("{s:b,s:s,s:s,s:O}", "ok", 1, "channel", sv(c, "id"), "ts", ts, "message", msg);
	if (!charset) {
		json_object_set_new(ans, "warning", json_string("missing_charset"));
		json_object_set_new(ans, "response_metadata", json_pack("{s:[s]}", "warnings", "missing_charset"));
	}
	if (s->echo) { /* Slack tells subscribed apps about the bot's own messages too */
		json_t *e = json_deep_copy(msg);
		json_object_set_new(e, "channel", json_string(sv(c, "id")));
		json_object_set_new(e, "event_ts", json_string(ts));
		json_object_set_new(e, "channel_type", json_string("channel"));
		json_object_set_new(e, "bot_profile", json_pack("{s:s,s:s}", "id", STUB_BOT_ID, "name", "flyte"));
		queue_event_locked(s, e, NULL, NULL, 0);
	}
	json_decref(msg);
	answer(r, ans);
}

static void list_conversations(struct slackstub *s, json_t *args, struct standin_resp *r)
{
	const char *types = *sv(args, "types") ? sv(args, "types") : "public_channel";
	const char *cursor = sv(args, "cursor");
	bool exclude = !strcmp(sv(args, "exclude_archived"), "true") || !strcmp(sv(args, "exclude_archived"), "1");
	long limit = *sv(args, "limit") ? strtol(sv(args, "limit"), NULL, 10) : 100;
	long start = 0, n = 0;
	json_t *out = json_array(), *c;
	char next[32] = "";
	size_t i;

	if (limit < 1 || limit > 1000)
		{ fail(r, "invalid_limit"); return; }
	if (*cursor) {
		char *end;
		if (strncmp(cursor, "dGVhbTpD", 8) || (start = strtol(cursor + 8, &end, 10)) < 0 || *end) {
			json_decref(out);
			{ fail(r, "invalid_cursor"); return; }
		}
	}
	json_array_foreach(s->channels, i, c) {
		bool priv = json_is_true(json_object_get(c, "is_private"));
		if ((long)i < start)
			continue;
		if (n >= limit || n >= s->page_size) {
			snprintf(next, sizeof(next), "dGVhbTpD%zu", i);
			break;
		}
		if (exclude && json_is_true(json_object_get(c, "is_archived")))
			continue;
		if (!strstr(types, priv ? "private_channel" : "public_channel"))
			continue;
		json_array_append(out, c);
		n++;
	}
	answer(r, json_pack("{s:b,s:o,s:{s:s}}", "ok", 1, "channels", out, "response_metadata", "next_cursor", next));
}

static void web_model(const struct standin_req *q, struct standin_resp *r, void *payload)
{
	struct slackstub *s = payload;
	const char *auth = standin_req_header(q, "Authorization");
	const char *method = strncmp(q->path, "/api/", 5) ? "" : q->path + 5;
	bool app = auth && !strcmp(auth, "Bearer " STUB_APP_TOKEN);
	bool bot = auth && !strcmp(auth, "Bearer " STUB_BOT_TOKEN);
	bool charset;
	const char *bad;
	json_t *args;

	if (!*method) {
		standin_text(r, 404, "text/plain", "not found");
		return;
	}
	args = arguments(q, !strcmp(method, "chat.postMessage"), &charset, &bad);
	pthread_mutex_lock(&s->lock);
	if (!auth)
		fail(r, "not_authed");
	else if (!app && !bot)
		fail(r, "invalid_auth");
	else if (bad)
		fail(r, bad);
	else if (json_object_get(args, "token")) /* tokens belong in the Authorization header */
		fail(r, "invalid_arguments");
	else if (!strcmp(method, "apps.connections.open")) {
		char ticket[64], url[160];
		if (!app)
			fail(r, "not_allowed_token_type");
		else if (strcmp(q->method, "POST"))
			fail(r, "invalid_request");
		else {
			snprintf(ticket, sizeof(ticket), "tk-%04u-5b1e", ++s->ticket_seq);
			json_object_set_new(s->tickets, ticket, json_false());
			snprintf(url, sizeof(url), "%s://127.0.0.1:%d/link/?ticket=%s&app_id=%s", s->wss ? "wss" : "ws",
				 s->ws_port, ticket, STUB_APP_ID);
			answer(r, json_pack("{s:b,s:s}", "ok", 1, "url", url));
		}
	} else if (app)
		fail(r, "not_allowed_token_type");
	else if (!strcmp(method, "chat.postMessage")) {
		if (strcmp(q->method, "POST"))
			fail(r, "invalid_request");
		else
			post_message(s, args, charset, r);
	} else if (!strcmp(method, "users.info")) {
		json_t *u = json_object_get(s->users, sv(args, "user"));
		if (!u)
			fail(r, "user_not_found");
		else
			answer(r, json_pack("{s:b,s:O}", "ok", 1, "user", u));
	} else if (!strcmp(method, "conversations.list")) {
		list_conversations(s, args, r);
	} else if (!strcmp(method, "conversations.join")) {
		json_t *c = find_channel_locked(s, sv(args, "channel"));
		if (strcmp(q->method, "POST"))
			fail(r, "invalid_request");
		else if (!c || strcmp(sv(c, "id"), sv(args, "channel")))
			fail(r, "channel_not_found");
		else if (json_is_true(json_object_get(c, "is_private")))
			fail(r, "method_not_supported_for_channel_type");
		else {
			json_object_set_new(c, "is_member", json_true());
			answer(r, json_pack("{s:b,s:O}", "ok", 1, "channel", c));
		}
	} else {
		fail(r, "unknown_method");
	}
	pthread_mutex_unlock(&s->lock);
	json_decref(args);
}

/* ============================================================ Socket Mode */

/* The newest connection that said hello and was not asked to move. */
static struct wsconn *target(struct slackstub *s)
{
	struct wsconn *best = NULL;

	for (int i = 0; i < MAX_WS; i++) {
		struct wsconn *c = &s->ws[i];
		if (c->used && c->ready && !c->draining && !c->closing && !c->kill && (!best || c->id > best->id))
			best = c;
	}
	return best;
}

static void push(struct wsconn *c, const char *text, bool kill)
{
	json_array_append_new(c->outbox, json_pack("{s:s,s:b}", "text", text, "kill", kill));
}

static void new_envelope(struct slackstub *s, struct delivery *d)
{
	memcpy(d->old_envelope_id, d->envelope_id, sizeof(d->old_envelope_id));
	s->envelope_seq++;
	snprintf(d->envelope_id, sizeof(d->envelope_id), "b2e8f0c4-%04u-4d3a-9e1f-%012u", s->envelope_seq,
		 s->envelope_seq * 7919u);
}

static void queue_event_locked(struct slackstub *s, json_t *event, const char *event_id, char *out, size_t outlen)
{
	struct delivery *d;

	if (s->nd == MAX_DELIVERIES) {
		json_decref(event);
		return;
	}
	d = &s->d[s->nd++];
	memset(d, 0, sizeof(*d));
	if (event_id)
		snprintf(d->event_id, sizeof(d->event_id), "%s", event_id);
	else
		snprintf(d->event_id, sizeof(d->event_id), "Ev0STUB%05u", ++s->event_seq);
	if (out)
		snprintf(out, outlen, "%s", d->event_id);
	d->callback = json_pack("{s:s,s:s,s:s,s:o,s:s,s:s,s:i,s:[{s:n,s:s,s:s,s:b,s:b}],s:b,s:s}", "token", "vRfsT2dS",
				"team_id", "T0STUB001", "api_app_id", STUB_APP_ID, "event", event, "type", "event_callback",
				"event_id", d->event_id, "event_time", 1700000000, "authorizations", "enterprise_id",
				"team_id", "T0STUB001", "user_id", STUB_BOT_USER, "is_bot", 1, "is_enterprise_install", 0,
				"is_ext_shared_channel", 0, "event_context", "4-eyJldCI6Im1lc3NhZ2UifQ");
	d->dup = s->dup_next;
	d->drop_after = s->drop_next;
	s->dup_next = s->drop_next = false;
	new_envelope(s, d);
	d->old_envelope_id[0] = '\0';
}

/* Assign what is queued to connections; time-outs; connections to close. Locked. */
static void pump(struct slackstub *s)
{
	int64_t now = now_ms();
	struct wsconn *t;

	for (size_t i = 0; i < s->nd; i++) { /* unacknowledged for too long: deliver again */
		struct delivery *d = &s->d[i];
		if (d->state == D_SENT && now - d->sent_at > ACK_TIMEOUT_MS) {
			d->state = D_QUEUED;
			d->attempt++;
			s->st.retries++;
			new_envelope(s, d);
		}
	}
	while (json_array_size(s->disconnects)) {
		const char *reason = json_string_value(json_array_get(s->disconnects, 0));
		for (int i = 0; i < MAX_WS; i++) {
			struct wsconn *c = &s->ws[i];
			json_t *f;
			char *text;
			if (!c->used || !c->ready || c->draining || c->closing)
				continue;
			f = json_pack("{s:s,s:s,s:{s:s}}", "type", "disconnect", "reason", reason, "debug_info", "host",
				      "applink-stub-1");
			text = json_dumps(f, JSON_COMPACT);
			push(c, text, false);
			free(text);
			json_decref(f);
			c->draining = true;
			c->drain_since = now;
		}
		json_array_remove(s->disconnects, 0);
	}
	for (int i = 0; i < MAX_WS; i++) { /* a connection asked to move closes once a newer one is up */
		struct wsconn *c = &s->ws[i], *n = target(s);
		if (c->used && c->draining && !c->closing &&
		    ((n && n->id > c->id && now - c->drain_since > DRAIN_GRACE_MS) || now - c->drain_since > DRAIN_MAX_MS))
			c->closing = true;
	}
	if (s->drop_all) {
		for (int i = 0; i < MAX_WS; i++)
			if (s->ws[i].used)
				s->ws[i].kill = true;
		s->drop_all = false;
	}
	t = target(s);
	for (size_t i = 0; t && i < s->nd; i++) {
		struct delivery *d = &s->d[i];
		json_t *env;
		char *text;
		if (d->state != D_QUEUED)
			continue;
		env = json_pack("{s:s,s:O,s:s,s:b,s:i,s:s}", "envelope_id", d->envelope_id, "payload", d->callback, "type",
				"events_api", "accepts_response_payload", 0, "retry_attempt", d->attempt, "retry_reason",
				d->attempt ? "timeout" : "");
		text = json_dumps(env, JSON_COMPACT);
		json_decref(env);
		push(t, text, d->drop_after && !d->dup);
		s->st.delivered++;
		if (d->dup) {
			push(t, text, d->drop_after);
			s->st.delivered++;
			s->st.duplicates_sent++;
		}
		free(text);
		d->drop_after = d->dup = false;
		d->state = D_SENT;
		d->conn = t->id;
		d->sent_at = now;
	}
	while (t && json_array_size(s->raw)) {
		push(t, json_string_value(json_array_get(s->raw, 0)), false);
		json_array_remove(s->raw, 0);
	}
	for (int i = 0; i < MAX_WS; i++) {
		struct wsconn *c = &s->ws[i];
		if (!c->used)
			continue;
		if (c->kill) {
			shutdown(lws_get_socket_fd(c->wsi), SHUT_RDWR);
			continue;
		}
		if (json_array_size(c->outbox) || c->closing)
			lws_callback_on_writable(c->wsi);
	}
}

static void on_ack(struct slackstub *s, struct wsconn *c)
{
	json_t *j = json_loadb(c->rx.ptr, c->rx.len, 0, NULL);
	const char *id = sv(j, "envelope_id");
	bool ok = json_is_object(j) && *id && json_object_size(j) == (json_object_get(j, "payload") ? 2u : 1u);
	bool found = false;

	for (size_t i = 0; ok && i < s->nd; i++) {
		struct delivery *d = &s->d[i];
		if (!strcmp(d->envelope_id, id) || (d->old_envelope_id[0] && !strcmp(d->old_envelope_id, id))) {
			found = true;
			if (d->state != D_ACKED) {
				d->state = D_ACKED;
				s->st.acked++;
			}
		}
	}
	if (!ok)
		s->st.bad_frames++;
	else if (!found)
		s->st.unknown_acks++;
	json_decref(j);
}

static int ws_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
	struct lws_context *ctx = lws_get_context(wsi);
	struct slackstub *s = ctx ? lws_context_user(ctx) : NULL;
	struct wsconn **pc = user, *c = pc ? *pc : NULL;
	char buf[256];
	int rc = 0;

	if (!s)
		return 0;
	switch (reason) {
	case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
		pthread_mutex_lock(&s->lock);
		pump(s);
		pthread_mutex_unlock(&s->lock);
		break;
	case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION: {
		/* GET /link/?ticket=T&app_id=A with a ticket handed out and not used */
		const json_t *t;
		char ticket[sizeof(buf)] = "";
		int n;
		if (lws_hdr_copy(wsi, buf, sizeof(buf), WSI_TOKEN_GET_URI) < 0 || strcmp(buf, "/link/"))
			rc = -1;
		for (int i = 0; rc == 0 && (n = lws_hdr_copy_fragment(wsi, buf, sizeof(buf), WSI_TOKEN_HTTP_URI_ARGS, i)) > 0;
		     i++)
			if (!strncmp(buf, "ticket=", 7))
				snprintf(ticket, sizeof(ticket), "%s", buf + 7);
		pthread_mutex_lock(&s->lock);
		t = json_object_get(s->tickets, ticket);
		if (rc || !t || json_is_true(t)) {
			s->st.refused++;
			rc = -1;
		} else {
			json_object_set_new(s->tickets, ticket, json_true());
		}
		pthread_mutex_unlock(&s->lock);
		break;
	}
	case LWS_CALLBACK_ESTABLISHED: {
		json_t *hello;
		char *text;
		unsigned live = 1;
		pthread_mutex_lock(&s->lock);
		for (int i = 0; i < MAX_WS; i++) {
			if (s->ws[i].used) {
				live += s->ws[i].ready;
				continue;
			}
			if (c)
				continue;
			c = &s->ws[i];
			memset(c, 0, sizeof(*c));
			c->used = true;
			c->wsi = wsi;
			c->id = ++s->ws_seq;
			c->outbox = json_array();
			fl_buf_init(&c->rx, 1 << 20);
		}
		if (!c) {
			pthread_mutex_unlock(&s->lock);
			return -1;
		}
		*pc = c;
		s->st.connects++;
		hello = json_pack("{s:s,s:i,s:{s:s,s:i,s:i},s:{s:s}}", "type", "hello", "num_connections", live, "debug_info",
				  "host", "applink-stub-1", "build_number", 118, "approximate_connection_time", 18060,
				  "connection_info", "app_id", STUB_APP_ID);
		text = json_dumps(hello, JSON_COMPACT);
		push(c, text, false);
		free(text);
		json_decref(hello);
		c->ready = true;
		s->st.live++;
		pump(s);
		pthread_mutex_unlock(&s->lock);
		break;
	}
	case LWS_CALLBACK_RECEIVE:
		if (!c)
			break;
		pthread_mutex_lock(&s->lock);
		fl_buf_add(&c->rx, in, len);
		if (lws_is_final_fragment(wsi) && !lws_remaining_packet_payload(wsi)) {
			/* a killed socket may still deliver what was in flight (Linux reads past
			 * SHUT_RD): it never reached "Slack" */
			if (c->kill)
				;
			else if (lws_frame_is_binary(wsi) || fl_buf_failed(&c->rx))
				s->st.bad_frames++;
			else
				on_ack(s, c);
			fl_buf_reset(&c->rx);
		}
		pthread_mutex_unlock(&s->lock);
		break;
	case LWS_CALLBACK_SERVER_WRITEABLE: {
		unsigned char *frame;
		json_t *f;
		size_t n;
		bool kill;
		if (!c)
			break;
		pthread_mutex_lock(&s->lock);
		f = json_incref(json_array_get(c->outbox, 0));
		if (f)
			json_array_remove(c->outbox, 0);
		if (!f && c->closing) {
			pthread_mutex_unlock(&s->lock);
			lws_close_reason(wsi, LWS_CLOSE_STATUS_NORMAL, NULL, 0);
			return -1;
		}
		if (f) {
			const char *text = sv(f, "text");
			n = strlen(text);
			frame = malloc(LWS_PRE + n + 1);
			if (!frame)
				abort();
			memcpy(frame + LWS_PRE, text, n);
			kill = json_is_true(json_object_get(f, "kill"));
			json_decref(f);
			if (lws_write(wsi, frame + LWS_PRE, n, LWS_WRITE_TEXT) < (int)n)
				rc = -1;
			free(frame);
			if (kill) { /* gone before the acknowledgement can arrive */
				c->kill = true;
				shutdown(lws_get_socket_fd(wsi), SHUT_RDWR);
			} else if (json_array_size(c->outbox) || c->closing) {
				lws_callback_on_writable(wsi);
			}
		}
		pthread_mutex_unlock(&s->lock);
		break;
	}
	case LWS_CALLBACK_CLOSED:
		if (!c)
			break;
		pthread_mutex_lock(&s->lock);
		for (size_t i = 0; i < s->nd; i++) { /* not acknowledged: Slack delivers it again */
			struct delivery *d = &s->d[i];
			if (d->state == D_SENT && d->conn == c->id) {
				d->state = D_QUEUED;
				d->attempt++;
				s->st.retries++;
				new_envelope(s, d);
			}
		}
		if (c->ready)
			s->st.live--;
		json_decref(c->outbox);
		fl_buf_release(&c->rx);
		memset(c, 0, sizeof(*c));
		*pc = NULL;
		pump(s);
		pthread_mutex_unlock(&s->lock);
		break;
	default:
		break;
	}
	return rc;
}

static const struct lws_protocols ws_protocols[] = {
	{ "slack-stub", ws_callback, sizeof(struct wsconn *), 0, 0, NULL, 0 },
	{ NULL, NULL, 0, 0, 0, NULL, 0 },
};

static void *service_main(void *arg)
{
	struct slackstub *s = arg;

	while (!atomic_load(&s->stop))
		if (lws_service(s->ctx, 0) < 0)
			break;
	return NULL;
}

static void *ticker_main(void *arg)
{
	struct slackstub *s = arg;

	while (!atomic_load(&s->stop)) {
		flh_sleep_ms(100);
		lws_cancel_service(s->ctx);
	}
	return NULL;
}

static void wake(struct slackstub *s)
{
	lws_cancel_service(s->ctx);
}

/* ================================================================ public */

int slackstub_start(struct slackstub **out)
{
	return slackstub_start_tls(out, NULL, NULL);
}

int slackstub_start_tls(struct slackstub **out, const char *cert_file, const char *key_file)
{
	struct lws_context_creation_info info;
	struct slackstub *s = calloc(1, sizeof(*s));

	*out = NULL;
	if (!s)
		return -1;
	pthread_mutex_init(&s->lock, NULL);
	s->users = json_object();
	s->channels = json_array();
	s->posts = json_array();
	s->tickets = json_object();
	s->raw = json_array();
	s->disconnects = json_array();
	s->page_size = 2;
	lws_set_log_level(LLL_ERR, NULL);
	memset(&info, 0, sizeof(info));
	info.port = 0;
	info.iface = "127.0.0.1";
	info.protocols = ws_protocols;
	info.user = s;
	info.fd_limit_per_thread = 64;
	if (cert_file) {
		info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
		info.ssl_cert_filepath = cert_file;
		info.ssl_private_key_filepath = key_file;
		s->wss = true;
	}
	s->ctx = lws_create_context(&info);
	if (!s->ctx) {
		printf("# cannot start the Socket Mode stand-in\n");
		return -1;
	}
	s->ws_port = lws_get_vhost_listen_port(lws_get_vhost_by_name(s->ctx, "default"));
	if (standin_start(&s->http, web_model, s, NULL))
		return -1;
	snprintf(s->api_url, sizeof(s->api_url), "%s/api", standin_url(s->http));
	pthread_create(&s->service, NULL, service_main, s);
	pthread_create(&s->ticker, NULL, ticker_main, s);
	*out = s;
	return 0;
}

void slackstub_stop(struct slackstub *s)
{
	if (!s)
		return;
	atomic_store(&s->stop, true);
	lws_cancel_service(s->ctx);
	pthread_join(s->ticker, NULL);
	pthread_join(s->service, NULL);
	lws_context_destroy(s->ctx);
	standin_stop(s->http);
	for (size_t i = 0; i < s->nd; i++)
		json_decref(s->d[i].callback);
	for (int i = 0; i < MAX_WS; i++)
		if (s->ws[i].used) {
			json_decref(s->ws[i].outbox);
			fl_buf_release(&s->ws[i].rx);
		}
	json_decref(s->users);
	json_decref(s->channels);
	json_decref(s->posts);
	json_decref(s->tickets);
	json_decref(s->raw);
	json_decref(s->disconnects);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

const char *slackstub_api_url(const struct slackstub *s)
{
	return s->api_url;
}

struct standin *slackstub_http(struct slackstub *s)
{
	return s->http;
}

void slackstub_user(struct slackstub *s, const char *id, const char *name, const char *real_name,
		    const char *display_name, const char *email, const char *title)
{
	const char *sp = strchr(real_name, ' ');
	char first[64];

	snprintf(first, sizeof(first), "%.*s", (int)(sp ? sp - real_name : (long)strlen(real_name)), real_name);
	pthread_mutex_lock(&s->lock);
	json_object_set_new(s->users, id,
			    json_pack("{s:s,s:s,s:s,s:b,s:b,s:s,s:{s:s,s:s,s:s,s:s,s:s,s:s,s:s}}", "id", id, "team_id",
				      "T0STUB001", "name", name, "deleted", 0, "is_bot", 0, "real_name", real_name,
				      "profile", "title", title, "real_name", real_name, "display_name", display_name,
				      "email", email, "first_name", first, "last_name", sp ? sp + 1 : "", "image_48",
				      "https://avatars.example/48.png"));
	pthread_mutex_unlock(&s->lock);
}

void slackstub_channel(struct slackstub *s, const char *id, const char *name, const char *topic, bool is_private,
		       bool is_member)
{
	pthread_mutex_lock(&s->lock);
	json_array_append_new(s->channels,
			      json_pack("{s:s,s:s,s:b,s:b,s:b,s:b,s:b,s:{s:s,s:s,s:i},s:{s:s,s:s,s:i},s:i}", "id", id,
					"name", name, "is_channel", !is_private, "is_group", 0, "is_private", is_private,
					"is_archived", 0, "is_member", is_member, "topic", "value", topic, "creator",
					"U0ADMIN01", "last_set", 1690000000, "purpose", "value", "", "creator", "", "last_set",
					0, "num_members", 3));
	pthread_mutex_unlock(&s->lock);
}

void slackstub_page_size(struct slackstub *s, int n)
{
	pthread_mutex_lock(&s->lock);
	s->page_size = n;
	pthread_mutex_unlock(&s->lock);
}

void slackstub_echo_posts(struct slackstub *s, bool on)
{
	pthread_mutex_lock(&s->lock);
	s->echo = on;
	pthread_mutex_unlock(&s->lock);
	wake(s);
}

size_t slackstub_posts(struct slackstub *s)
{
	size_t n;

	pthread_mutex_lock(&s->lock);
	n = json_array_size(s->posts);
	pthread_mutex_unlock(&s->lock);
	return n;
}

json_t *slackstub_post(struct slackstub *s, size_t i)
{
	json_t *p;

	pthread_mutex_lock(&s->lock);
	p = json_incref(json_array_get(s->posts, i));
	pthread_mutex_unlock(&s->lock);
	return p;
}

bool slackstub_wait_posts(struct slackstub *s, size_t n, int ms)
{
	bool ok;

	FLH_WAIT_FOR(ok, ms, slackstub_posts(s) >= n);
	return ok;
}

void slackstub_event(struct slackstub *s, json_t *event, const char *event_id, char *out, size_t outlen)
{
	pthread_mutex_lock(&s->lock);
	queue_event_locked(s, event, event_id, out, outlen);
	pthread_mutex_unlock(&s->lock);
	wake(s);
}

void slackstub_message(struct slackstub *s, const char *channel, const char *user, const char *text,
		       const char *ts, const char *thread_ts, char *event_id, size_t idlen)
{
	json_t *e = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "client_msg_id", "7f1d2a4c-aa11-4b5e-9c3d-000000000001",
			      "type", "message", "text", text, "user", user, "ts", ts, "team", "T0STUB001", "channel",
			      channel, "event_ts", ts);

	json_object_set_new(e, "channel_type", json_string("channel"));
	if (thread_ts)
		json_object_set_new(e, "thread_ts", json_string(thread_ts));
	slackstub_event(s, e, NULL, event_id, idlen);
}

void slackstub_raw(struct slackstub *s, const char *text)
{
	pthread_mutex_lock(&s->lock);
	json_array_append_new(s->raw, json_string(text));
	pthread_mutex_unlock(&s->lock);
	wake(s);
}

void slackstub_disconnect(struct slackstub *s, const char *reason)
{
	pthread_mutex_lock(&s->lock);
	json_array_append_new(s->disconnects, json_string(reason));
	pthread_mutex_unlock(&s->lock);
	wake(s);
}

void slackstub_drop(struct slackstub *s)
{
	pthread_mutex_lock(&s->lock);
	s->drop_all = true;
	pthread_mutex_unlock(&s->lock);
	wake(s);
}

void slackstub_duplicate_next(struct slackstub *s)
{
	pthread_mutex_lock(&s->lock);
	s->dup_next = true;
	pthread_mutex_unlock(&s->lock);
}

void slackstub_drop_after_next(struct slackstub *s)
{
	pthread_mutex_lock(&s->lock);
	s->drop_next = true;
	pthread_mutex_unlock(&s->lock);
}

void slackstub_ws_stats(struct slackstub *s, struct slackstub_ws_stats *out)
{
	pthread_mutex_lock(&s->lock);
	*out = s->st;
	out->pending = 0;
	for (size_t i = 0; i < s->nd; i++)
		out->pending += s->d[i].state != D_ACKED;
	pthread_mutex_unlock(&s->lock);
}

bool slackstub_wait_live(struct slackstub *s, unsigned live, int ms)
{
	struct slackstub_ws_stats st;
	bool ok;

	FLH_WAIT_FOR(ok, ms, (slackstub_ws_stats(s, &st), st.live >= live));
	return ok;
}

bool slackstub_wait_idle(struct slackstub *s, int ms)
{
	struct slackstub_ws_stats st;
	bool ok;

	FLH_WAIT_FOR(ok, ms, (slackstub_ws_stats(s, &st), st.pending == 0));
	return ok;
}

int slackstub_count_requests(struct slackstub *s, const char *path, const char *part)
{
	struct standin *h = slackstub_http(s);
	int n = 0;

	for (size_t i = 0; i < standin_count(h); i++) {
		struct standin_req q;
		if (standin_get(h, i, &q))
			continue;
		n += !strcmp(q.path, path) && (!part || strstr(q.query, part) || strstr(q.body, part));
		standin_req_release(&q);
	}
	return n;
}

const char *slackstub_next_ts(struct slackstub *s, char *buf, size_t len)
{
	unsigned n;

	pthread_mutex_lock(&s->lock);
	n = ++s->msg_seq;
	pthread_mutex_unlock(&s->lock);
	snprintf(buf, len, "1700100%03u.%06u", n / 1000, n * 100);
	return buf;
}

void slackstub_settle(struct slackstub *s, struct flh_server *srv, const char *channel, const char *flow)
{
	static unsigned n;
	char text[64], ts[32];
	bool ok;

	snprintf(text, sizeof(text), "marker %u", ++n);
	slackstub_message(s, channel, "U0BOB0001", text, slackstub_next_ts(s, ts, sizeof(ts)), NULL, NULL, 0);
	ok = md_wait_with(srv, flow, "message", text, 1);
	FLH_ASSERT_MSG(ok, "marker message '%s' did not arrive", text);
	flh_sleep_ms(200); /* executions of earlier events are stored by now */
}
