/* SPDX-License-Identifier: Apache-2.0 */
/*
 * slackstub.h - a stand-in of Slack for the Slack pack's tests: the Web API
 * methods the pack calls and Socket Mode, both as Slack documents them.
 *
 * Web API (on tests/packs/http/standin.c, so every request is recorded and
 * faults - 429 with Retry-After, 5xx, garbage - can be queued):
 *  - the token is read from "Authorization: Bearer"; none gives not_authed,
 *    an unknown one invalid_auth, an app-level token on a bot method (or the
 *    other way round) not_allowed_token_type;
 *  - arguments come from the query (GET), an
 *    application/x-www-form-urlencoded body, or - for chat.postMessage only,
 *    a write method - an application/json body (a JSON body without
 *    "charset=utf-8" gets the "missing_charset" warning, as Slack adds);
 *  - answers are HTTP 200 JSON objects with "ok"; failures carry "error":
 *    channel_not_found, not_in_channel, is_archived, no_text, msg_too_long,
 *    invalid_attachments, user_not_found, invalid_cursor, invalid_limit,
 *    method_not_supported_for_channel_type, unknown_method;
 *  - conversations.list pages with response_metadata.next_cursor and may
 *    return fewer items than `limit` (page size set by the test);
 *  - apps.connections.open (POST, app-level token) hands out a single-use
 *    ws:// URL with a ticket.
 *
 * Socket Mode (on libwebsockets' server side, its own service thread):
 *  - a connection needs a ticket from apps.connections.open, used once;
 *  - it starts with {"type":"hello",...};
 *  - each event goes out in an "events_api" envelope (envelope_id, payload
 *    = event_callback with event_id, accepts_response_payload,
 *    retry_attempt, retry_reason) on the newest connection that said hello
 *    and was not asked to move; it must be acknowledged with
 *    {"envelope_id": ...}; an envelope not acknowledged within 3 s, or
 *    whose connection closes first, is delivered again (new envelope_id,
 *    same event_id, retry_attempt + 1), as Slack retries;
 *  - slackstub_disconnect() sends {"type":"disconnect","reason":...} and
 *    closes that connection once the client has a new one (or after 10 s);
 *    slackstub_drop() kills the sockets without a close frame.
 *
 * Thread-safety: every function may be called from the test's thread while
 * the servers run.
 */
#ifndef SLACKSTUB_H
#define SLACKSTUB_H

#include "fl-common.h"

#include <jansson.h>

#include "standin.h"

#define STUB_BOT_TOKEN "xoxb-1111-2222-stubbottoken"
#define STUB_APP_TOKEN "xapp-1-A0STUB-3333-stubapptoken"
#define STUB_BOT_USER "U0BOT0001"
#define STUB_BOT_ID "B0BOT0001"
#define STUB_APP_ID "A0STUB0001"

struct slackstub;

int slackstub_start(struct slackstub **out);
/* The same with Socket Mode over TLS (wss://) with this certificate; the Web API stays http. */
int slackstub_start_tls(struct slackstub **out, const char *cert_file, const char *key_file);
void slackstub_stop(struct slackstub *s);

/* "http://127.0.0.1:PORT/api", the value of SLACK_API_URL. */
const char *slackstub_api_url(const struct slackstub *s);
/* The HTTP stand-in: recorded requests, faults. */
struct standin *slackstub_http(struct slackstub *s);

/* ---- the workspace ---- */
void slackstub_user(struct slackstub *s, const char *id, const char *name, const char *real_name,
		    const char *display_name, const char *email, const char *title);
void slackstub_channel(struct slackstub *s, const char *id, const char *name, const char *topic, bool is_private,
		       bool is_member);
/* conversations.list returns at most n channels per page (default 2). */
void slackstub_page_size(struct slackstub *s, int n);
/* Post a message event for every message the bot posts, as Slack does (default off). */
void slackstub_echo_posts(struct slackstub *s, bool on);

/* ---- what the pack posted ---- */
size_t slackstub_posts(struct slackstub *s);
/* The arguments of accepted chat.postMessage call i plus "ts" (new reference), or NULL. */
json_t *slackstub_post(struct slackstub *s, size_t i);
/* Wait up to ms for at least n accepted posts. */
bool slackstub_wait_posts(struct slackstub *s, size_t n, int ms);

/* Requests of the Web API to path whose query or body contains `part` (NULL: all). */
int slackstub_count_requests(struct slackstub *s, const char *path, const char *part);

/* ---- Socket Mode ---- */

/* A fresh ts for a message the test sends (never one of the stub's own posts). */
const char *slackstub_next_ts(struct slackstub *s, char *buf, size_t len);

struct flh_server;
/*
 * Send a marker message to channel and wait until flow (one step "s" per
 * ReceivedMessage) has run for it: the pack sends events in order, so
 * everything delivered before it has been handled.  The test fails when it
 * does not arrive.
 */
void slackstub_settle(struct slackstub *s, struct flh_server *srv, const char *channel, const char *flow);

/*
 * Deliver an event (consumed; the "event" object of an event_callback) with
 * event_id (NULL: a fresh one).  Returns the event id used (static per
 * call-site buffer in out, at least 32 bytes).
 */
void slackstub_event(struct slackstub *s, json_t *event, const char *event_id, char *out, size_t outlen);
/* A message event from user in channel (thread_ts may be NULL). */
void slackstub_message(struct slackstub *s, const char *channel, const char *user, const char *text,
		       const char *ts, const char *thread_ts, char *event_id, size_t idlen);
/* A raw text frame on the newest live connection. */
void slackstub_raw(struct slackstub *s, const char *text);
/* {"type":"disconnect","reason":reason} on every live connection. */
void slackstub_disconnect(struct slackstub *s, const char *reason);
/* Kill every connection's socket, no close frame. */
void slackstub_drop(struct slackstub *s);
/* The next envelope is sent twice with the same envelope_id. */
void slackstub_duplicate_next(struct slackstub *s);
/* The next envelope's connection is killed right after it is sent, before the ack is read. */
void slackstub_drop_after_next(struct slackstub *s);

struct slackstub_ws_stats {
	unsigned connects;    /* WebSocket connections accepted */
	unsigned refused;     /* handshakes refused (bad or used ticket) */
	unsigned live;        /* open and said hello */
	unsigned delivered;   /* envelope frames sent, including repeats */
	unsigned acked;       /* deliveries acknowledged */
	unsigned retries;     /* deliveries made again */
	unsigned duplicates_sent;
	unsigned bad_frames;  /* frames from the client that are not a valid ack */
	unsigned unknown_acks; /* acks of envelopes never sent (raw frames) */
	unsigned pending;     /* events not acknowledged yet */
};
void slackstub_ws_stats(struct slackstub *s, struct slackstub_ws_stats *out);
/* Wait up to ms for cond over the stats, e.g. live >= 1. */
bool slackstub_wait_live(struct slackstub *s, unsigned live, int ms);
bool slackstub_wait_idle(struct slackstub *s, int ms); /* nothing pending */

#endif
