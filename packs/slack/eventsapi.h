/* SPDX-License-Identifier: Apache-2.0 */
/*
 * eventsapi.h - the pack's HTTP endpoint for Slack's Events API (for
 * deployments that let Slack reach the pack instead of using Socket Mode).
 *
 * Slack POSTs JSON to the app's Request URL.  Every request is verified
 * before it is read: the X-Slack-Signature HMAC over the timestamp and the
 * body, keyed with the app's signing secret, and a timestamp at most five
 * minutes old (slackproto.h).  Then:
 *  - url_verification: answered with {"challenge": ...};
 *  - event_callback: handed on (on_event, which must not block) and
 *    answered 200 at once, since Slack retries a request not answered within
 *    3 s - a retry carries the same event_id and is recognised by the pack;
 *  - anything else: 200 and ignored.
 * Unsigned or badly signed requests get 401, bodies over 1 MiB 413, other
 * paths 404, other methods 405.  The endpoint speaks plain HTTP: put it
 * behind the TLS-terminating proxy that Slack's HTTPS requirement needs.
 */
#ifndef SLACK_EVENTSAPI_H
#define SLACK_EVENTSAPI_H

#include "fl-common.h"

#include <jansson.h>

#include <flyte.h>

struct slack_events_options {
	const char *host;   /* address to bind, e.g. "0.0.0.0" or "127.0.0.1" */
	unsigned port;
	const char *path;   /* e.g. "/slack/events" */
	const char *secret; /* signing secret (required) */
	void (*on_event)(json_t *callback, void *payload); /* consumes */
	void *payload;
	flyte_log_fn log_fn;
	void *log_payload;
	enum flyte_log_level log_level;
};

struct slack_events_stats {
	unsigned long requests, events, verifications, refused;
};

struct slack_events;

/* @return FLYTE_OK; FLYTE_EINVALID (bad address); FLYTE_ERROR (cannot listen). */
int slack_events_start(struct slack_events **out, const struct slack_events_options *o, char *err, size_t errlen);
void slack_events_free(struct slack_events *ev);
void slack_events_get_stats(struct slack_events *ev, struct slack_events_stats *out);

#endif
