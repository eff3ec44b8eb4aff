/* SPDX-License-Identifier: Apache-2.0 */
/*
 * eventsapi.c - the Events API endpoint of the Slack pack (see
 * eventsapi.h), on libmicrohttpd.
 */
#include "fl-common.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>

#include <microhttpd.h>
#include <openssl/crypto.h>

#include "buf.h"
#include "eventsapi.h"
#include "packutil.h"
#include "slackproto.h"
#include "timeutil.h"

struct slack_events {
	struct slack_events_options o;
	char *path, *secret;
	struct MHD_Daemon *d;
	pthread_mutex_t lock;
	struct slack_events_stats stats;
};

/* Per-request state: the body as it arrives. */
struct req {
	struct fl_buf body;
	bool too_big;
};

/* Log through the options' callback at their threshold. */
#define logf_(ev, level, ...) \
	packutil_logf((ev)->o.log_fn, (ev)->o.log_payload, (ev)->o.log_level, (level), __VA_ARGS__)

static void count(struct slack_events *ev, unsigned long *field)
{
	pthread_mutex_lock(&ev->lock);
	(*field)++;
	pthread_mutex_unlock(&ev->lock);
}

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status, const char *ctype, const char *body)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result rc;

	if (!r)
		return MHD_NO;
	if (ctype)
		MHD_add_response_header(r, "Content-Type", ctype);
	rc = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return rc;
}

static enum MHD_Result handle(struct slack_events *ev, struct MHD_Connection *conn, struct req *q)
{
	const char *ts = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Slack-Request-Timestamp");
	const char *sig = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Slack-Signature");
	const char *retry = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Slack-Retry-Num");
	enum slack_body_type type;
	char err[256], challenge[256];
	json_t *body = NULL, *answer;
	enum MHD_Result rc;
	char *text;

	count(ev, &ev->stats.requests);
	if (q->too_big) {
		count(ev, &ev->stats.refused);
		logf_(ev, FLYTE_LOG_WARN, "Slack Events API: refused a body larger than %zu bytes", SLACK_FRAME_MAX);
		return reply(conn, MHD_HTTP_CONTENT_TOO_LARGE, "text/plain", "request body too large\n");
	}
	if (slack_signature_verify(ev->secret, ts, sig, q->body.ptr, q->body.len, fl_time_now_ns() / FL_NS_PER_SEC, err,
				   sizeof(err))) {
		count(ev, &ev->stats.refused);
		logf_(ev, FLYTE_LOG_WARN, "Slack Events API: refused a request: %s", err);
		return reply(conn, MHD_HTTP_UNAUTHORIZED, "text/plain", "invalid request signature\n");
	}
	if (slack_body_decode(&body, &type, q->body.ptr, q->body.len, challenge, sizeof(challenge), err, sizeof(err))) {
		count(ev, &ev->stats.refused);
		logf_(ev, FLYTE_LOG_WARN, "Slack Events API: refused a request: %s", err);
		return reply(conn, MHD_HTTP_BAD_REQUEST, "text/plain", "body is not an Events API request\n");
	}
	switch (type) {
	case SLACK_BODY_URL_VERIFICATION:
		count(ev, &ev->stats.verifications);
		logf_(ev, FLYTE_LOG_INFO, "Slack Events API: answered the URL verification");
		answer = json_pack("{s:s}", "challenge", challenge);
		text = answer ? json_dumps(answer, JSON_COMPACT) : NULL;
		json_decref(answer);
		rc = text ? reply(conn, MHD_HTTP_OK, "application/json", text) : MHD_NO;
		free(text);
		json_decref(body);
		return rc;
	case SLACK_BODY_EVENT:
		count(ev, &ev->stats.events);
		if (retry)
			logf_(ev, FLYTE_LOG_DEBUG, "Slack Events API: delivery attempt %s of an event", retry);
		ev->o.on_event(body, ev->o.payload);
		return reply(conn, MHD_HTTP_OK, NULL, "");
	case SLACK_BODY_RATE_LIMITED:
		logf_(ev, FLYTE_LOG_WARN, "Slack Events API: Slack reports that it is dropping events of this app "
					  "(app_rate_limited)");
		break;
	case SLACK_BODY_OTHER:
		break;
	}
	json_decref(body);
	return reply(conn, MHD_HTTP_OK, NULL, "");
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
				  const char *version, const char *data, size_t *size, void **state)
{
	struct slack_events *ev = cls;
	struct req *q = *state;

	(void)version;
	if (!q) {
		if (strcmp(url, ev->path))
			return reply(conn, MHD_HTTP_NOT_FOUND, "text/plain", "not found\n");
		if (strcmp(method, "POST"))
			return reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain", "only POST\n");
		q = calloc(1, sizeof(*q));
		if (!q)
			return MHD_NO;
		fl_buf_init(&q->body, SLACK_FRAME_MAX);
		*state = q;
		return MHD_YES;
	}
	if (*size) {
		if (!q->too_big) {
			fl_buf_add(&q->body, data, *size);
			q->too_big = fl_buf_failed(&q->body);
		}
		*size = 0;
		return MHD_YES;
	}
	return handle(ev, conn, q);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **state, enum MHD_RequestTerminationCode toe)
{
	struct req *q = *state;

	(void)cls;
	(void)conn;
	(void)toe;
	if (q) {
		fl_buf_release(&q->body);
		free(q);
		*state = NULL;
	}
}

int slack_events_start(struct slack_events **out, const struct slack_events_options *o, char *err, size_t errlen)
{
	struct sockaddr_in sa;
	struct slack_events *ev;

	*out = NULL;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)o->port);
	if (inet_pton(AF_INET, o->host, &sa.sin_addr) != 1) {
		snprintf(err, errlen, "'%s' is not an IPv4 address", o->host);
		return FLYTE_EINVALID;
	}
	ev = calloc(1, sizeof(*ev));
	if (!ev) {
		snprintf(err, errlen, "out of memory");
		return FLYTE_ENOMEM;
	}
	ev->o = *o;
	ev->path = strdup(o->path);
	ev->secret = strdup(o->secret);
	pthread_mutex_init(&ev->lock, NULL);
	if (!ev->path || !ev->secret) {
		snprintf(err, errlen, "out of memory");
		slack_events_free(ev);
		return FLYTE_ENOMEM;
	}
	ev->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION, (uint16_t)o->port, NULL,
				 NULL, on_request, ev, MHD_OPTION_SOCK_ADDR, &sa, MHD_OPTION_CONNECTION_TIMEOUT, 10u,
				 MHD_OPTION_CONNECTION_LIMIT, 64u, MHD_OPTION_NOTIFY_COMPLETED, on_completed, ev,
				 MHD_OPTION_END);
	if (!ev->d) {
		int e = errno;
		snprintf(err, errlen, "cannot listen on %s port %u: %s", o->host, o->port,
			 e ? strerror(e) : "libmicrohttpd refused to start");
		slack_events_free(ev);
		return FLYTE_ERROR;
	}
	logf_(ev, FLYTE_LOG_INFO, "Slack Events API: listening on http://%s:%u%s", o->host, o->port, ev->path);
	*out = ev;
	return FLYTE_OK;
}

void slack_events_free(struct slack_events *ev)
{
	if (!ev)
		return;
	if (ev->d)
		MHD_stop_daemon(ev->d);
	pthread_mutex_destroy(&ev->lock);
	free(ev->path);
	if (ev->secret) /* do not leave the secret in freed memory */
		OPENSSL_cleanse(ev->secret, strlen(ev->secret));
	free(ev->secret);
	free(ev);
}

void slack_events_get_stats(struct slack_events *ev, struct slack_events_stats *out)
{
	pthread_mutex_lock(&ev->lock);
	*out = ev->stats;
	pthread_mutex_unlock(&ev->lock);
}
