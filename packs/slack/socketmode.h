/* SPDX-License-Identifier: Apache-2.0 */
/*
 * socketmode.h - a Slack Socket Mode client on libwebsockets.
 *
 * Slack hands a Socket Mode app a single-use WebSocket URL
 * (apps.connections.open, called through open_url) and then delivers
 * envelopes on that connection; each must be acknowledged with
 * {"envelope_id": ...} within a few seconds or Slack delivers it again.
 * Connections do not last: Slack sends {"type":"disconnect"} when it wants
 * the app to move to a new one, and sockets drop.
 *
 * This client:
 *  - acknowledges every envelope as soon as it has read it, before the
 *    event is handed on (on_event is called from the client's thread and
 *    must not block: the pack queues the event);
 *  - hands each envelope id on once: a redelivered envelope is acknowledged
 *    again but not handed on (the event ids inside are checked by the pack,
 *    because a redelivery may come in a new envelope);
 *  - on "disconnect" (refresh_requested, warning) opens the next connection
 *    first and closes the old one once the new one said hello, so there is
 *    no time without a connection; on "link_disabled" (Socket Mode turned
 *    off in the app's settings) it retries once a minute;
 *  - on a dropped socket, a failed connection or a refused
 *    apps.connections.open it connects again with exponential backoff and
 *    jitter; a connection that does not say hello within 30 s, or stays
 *    silent (no pong to its pings) for 70 s, is dropped and replaced.
 *
 * Two threads: libwebsockets' service thread (all socket work and the
 * callbacks) and a manager thread that calls open_url (an HTTP request) so
 * the service thread never blocks.  The WebSocket URL carries a ticket and
 * is never logged with its query.
 */
#ifndef SLACK_SOCKETMODE_H
#define SLACK_SOCKETMODE_H

#include "fl-common.h"

#include <jansson.h>

#include <flyte.h>

struct slack_sm_options {
	/*
	 * Get a fresh WebSocket URL (apps.connections.open).  Returns 0 with
	 * the URL in url, or -1 with a reason in err; *permanent set when
	 * asking again soon is pointless (an invalid token).  Called from the
	 * manager thread.
	 */
	int (*open_url)(char *url, size_t len, bool *permanent, char *err, size_t errlen, void *payload);
	/* An event_callback object, consumed.  Called from the service thread. */
	void (*on_event)(json_t *callback, void *payload);
	void *payload;
	const char *ca_file; /* extra trusted CAs for wss (PEM); NULL = system store */
	bool insecure;       /* no certificate verification */
	long retry_initial_ms; /* first reconnection delay; default 500 */
	long retry_max_ms;     /* largest delay; default 30000 */
	flyte_log_fn log_fn;
	void *log_payload;
	enum flyte_log_level log_level;
};

struct slack_sm_stats {
	unsigned long opens;       /* URLs obtained */
	unsigned long connects;    /* WebSocket handshakes completed */
	unsigned long hellos;
	unsigned long disconnects; /* "disconnect" messages */
	unsigned long drops;       /* connections lost without being asked to move */
	unsigned long envelopes;   /* envelopes handed on */
	unsigned long duplicates;  /* envelopes seen before */
	unsigned long malformed;   /* frames that could not be used */
	unsigned long acks;        /* acknowledgements written */
	unsigned live;             /* connections that said hello and are open */
};

struct slack_sm;

/*
 * Start the client (it connects in the background).
 * @return FLYTE_OK; FLYTE_ERROR (libwebsockets or a thread could not start,
 *         message in err).
 */
int slack_sm_start(struct slack_sm **out, const struct slack_sm_options *o, char *err, size_t errlen);

/* Close the connections, stop the threads, free.  NULL is accepted. */
void slack_sm_free(struct slack_sm *sm);

void slack_sm_get_stats(struct slack_sm *sm, struct slack_sm_stats *out);

#endif
