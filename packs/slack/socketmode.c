/* SPDX-License-Identifier: Apache-2.0 */
/*
 * socketmode.c - the Slack Socket Mode client (see socketmode.h).
 *
 * State shared by the two threads (the URL handed over, the connection
 * counters, the backoff) is guarded by sm->lock; the connection slots, the
 * receive buffers and the acknowledgement queues belong to the service
 * thread alone.  The manager hands a URL over by setting `pending` and
 * waking the service thread with lws_cancel_service(), which delivers
 * LWS_CALLBACK_EVENT_WAIT_CANCELLED in that thread.
 */
#include "fl-common.h"

#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>

#include <libwebsockets.h>

#include "buf.h"
#include "packutil.h"
#include "slackproto.h"
#include "socketmode.h"
#include "timeutil.h"

#define MAX_CONNS 4
#define ACK_RING 256
#define HELLO_TIMEOUT_SEC 30
#define DISABLED_RETRY_MS 60000L
#define PERMANENT_RETRY_MS 60000L

enum conn_state {
	C_FREE,
	C_CONNECTING, /* handshake under way */
	C_OPEN,       /* handshake done, waiting for hello */
	C_LIVE,       /* said hello */
};

struct conn {
	struct slack_sm *sm;
	struct lws *wsi;
	enum conn_state state;
	unsigned id;
	bool closing;  /* close once the acknowledgements are written */
	bool draining; /* Slack asked us to move to a new connection */
	struct fl_buf rx;
	bool rx_bad;   /* the message being read is binary or too large */
	char acks[ACK_RING][SLACK_ID_MAX];
	size_t ack_head, ack_n;
};

struct slack_sm {
	struct slack_sm_options o;
	char *ca_file;
	struct lws_context *ctx;
	pthread_t service_thread, manager_thread;
	bool service_started, manager_started;
	atomic_bool stop;

	pthread_mutex_t lock; /* guards what follows, up to the service-only part */
	pthread_cond_t cond;
	bool pending;     /* url holds a URL for the service thread */
	char url[2048];
	bool connecting;  /* a connection is being opened: URL asked for, or no hello yet */
	bool refresh;     /* Slack asked for a new connection */
	bool disabled;    /* Socket Mode is turned off for the app */
	unsigned failures;
	int64_t next_attempt; /* monotonic ns; no apps.connections.open before */
	struct slack_sm_stats stats;

	/* service thread only */
	struct conn conns[MAX_CONNS];
	unsigned next_id;
	struct slack_seen seen;
};

/* libwebsockets logs through one global function; it goes to the one client. */
static flyte_log_fn lws_log_fn;
static void *lws_log_payload;

/* Log through the options' callback at their threshold. */
#define logf_(sm, level, ...) \
	packutil_logf((sm)->o.log_fn, (sm)->o.log_payload, (sm)->o.log_level, (level), __VA_ARGS__)

/* Cut "?..." off a URL for messages: the query holds the ticket. */
static void url_for_log(char *out, size_t len, const char *url)
{
	size_t n = strcspn(url, "?");
	snprintf(out, len, "%.*s%s", (int)FL_MIN(n, 400), url, url[n] ? "?..." : "");
}

static void lws_emit(int level, const char *line)
{
	char msg[512], *t;

	if (!lws_log_fn)
		return;
	snprintf(msg, sizeof(msg), "Slack Socket Mode: %s", line);
	msg[strcspn(msg, "\r\n")] = '\0';
	if ((t = strstr(msg, "ticket="))) /* never log a connection ticket */
		snprintf(t, sizeof(msg) - (size_t)(t - msg), "ticket=***");
	lws_log_fn(level == LLL_ERR ? FLYTE_LOG_ERROR : FLYTE_LOG_WARN, msg, lws_log_payload);
}

/* The delay before attempt number `failures` + 1, with jitter. */
static int64_t backoff_ns(struct slack_sm *sm)
{
	long ms = sm->o.retry_initial_ms;

	for (unsigned i = 1; i < sm->failures && ms < sm->o.retry_max_ms; i++)
		ms *= 2;
	if (ms > sm->o.retry_max_ms)
		ms = sm->o.retry_max_ms;
	ms = ms / 2 + (long)(random() % (ms / 2 + 1));
	return (int64_t)ms * FL_NS_PER_MS;
}

/* A connection attempt failed (with sm->lock held): back off, wake the manager. */
static void failed_locked(struct slack_sm *sm)
{
	sm->connecting = false;
	sm->failures++;
	sm->next_attempt = fl_time_mono_ns() + backoff_ns(sm);
	pthread_cond_broadcast(&sm->cond);
}

/* ---------------------------------------------------------- manager */

static void *manager_main(void *arg)
{
	struct slack_sm *sm = arg;
	char url[sizeof(sm->url)], err[512], shown[512];

	pthread_mutex_lock(&sm->lock);
	while (!atomic_load(&sm->stop)) {
		bool permanent = false;
		int64_t now = fl_time_mono_ns();
		int rc;

		if (sm->pending || sm->connecting || (sm->stats.live > 0 && !sm->refresh)) {
			pthread_cond_wait(&sm->cond, &sm->lock);
			continue;
		}
		if (now < sm->next_attempt) {
			int64_t at = sm->next_attempt; /* the condition variable runs on the monotonic clock */
			struct timespec ts = { (time_t)(at / FL_NS_PER_SEC), (long)(at % FL_NS_PER_SEC) };
			pthread_cond_timedwait(&sm->cond, &sm->lock, &ts);
			continue;
		}
		sm->connecting = true;
		pthread_mutex_unlock(&sm->lock);
		rc = sm->o.open_url(url, sizeof(url), &permanent, err, sizeof(err), sm->o.payload);
		pthread_mutex_lock(&sm->lock);
		if (atomic_load(&sm->stop))
			break;
		if (rc) {
			failed_locked(sm);
			if (permanent && sm->next_attempt < fl_time_mono_ns() + PERMANENT_RETRY_MS * FL_NS_PER_MS)
				sm->next_attempt = fl_time_mono_ns() + PERMANENT_RETRY_MS * FL_NS_PER_MS;
			logf_(sm, FLYTE_LOG_ERROR, "Slack Socket Mode: cannot open a connection: %s; next try in %" PRId64 " ms",
			      err, (sm->next_attempt - fl_time_mono_ns()) / FL_NS_PER_MS);
			continue;
		}
		sm->stats.opens++;
		url_for_log(shown, sizeof(shown), url);
		logf_(sm, FLYTE_LOG_DEBUG, "Slack Socket Mode: connecting to %s", shown);
		snprintf(sm->url, sizeof(sm->url), "%s", url);
		sm->pending = true;
		pthread_mutex_unlock(&sm->lock);
		lws_cancel_service(sm->ctx);
		pthread_mutex_lock(&sm->lock);
	}
	pthread_mutex_unlock(&sm->lock);
	return NULL;
}

/* ---------------------------------------------------- service thread */

static const lws_retry_bo_t idle_policy = {
	.secs_since_valid_ping = 30,   /* ping a connection silent for 30 s */
	.secs_since_valid_hangup = 70, /* and drop it when nothing came back */
};

static struct conn *free_slot(struct slack_sm *sm)
{
	for (size_t i = 0; i < MAX_CONNS; i++)
		if (sm->conns[i].state == C_FREE)
			return &sm->conns[i];
	return NULL;
}

/* Open a connection to the URL the manager fetched. */
static void connect_to(struct slack_sm *sm, const char *url)
{
	struct lws_client_connect_info ci;
	char copy[sizeof(sm->url)], path[sizeof(sm->url) + 2], shown[512];
	const char *prot = NULL, *ads = NULL, *p = NULL;
	struct conn *c = free_slot(sm);
	int port = 0;

	snprintf(copy, sizeof(copy), "%s", url);
	url_for_log(shown, sizeof(shown), url);
	if (!c || lws_parse_uri(copy, &prot, &ads, &port, &p) || (strcmp(prot, "wss") && strcmp(prot, "ws"))) {
		logf_(sm, FLYTE_LOG_ERROR, "Slack Socket Mode: cannot connect to '%s': %s", shown,
		      c ? "not a ws:// or wss:// URL" : "too many connections");
		pthread_mutex_lock(&sm->lock);
		failed_locked(sm);
		pthread_mutex_unlock(&sm->lock);
		return;
	}
	snprintf(path, sizeof(path), "/%s", p);
	memset(&ci, 0, sizeof(ci));
	ci.context = sm->ctx;
	ci.address = ads;
	ci.port = port;
	ci.path = path;
	ci.host = ads;
	ci.origin = ads;
	ci.ietf_version_or_minus_one = -1;
	ci.local_protocol_name = "slack-socket-mode";
	if (!strcmp(prot, "wss")) {
		ci.ssl_connection = LCCSCF_USE_SSL;
		if (sm->o.insecure)
			ci.ssl_connection |= LCCSCF_ALLOW_SELFSIGNED | LCCSCF_SKIP_SERVER_CERT_HOSTNAME_CHECK |
					     LCCSCF_ALLOW_EXPIRED | LCCSCF_ALLOW_INSECURE;
	}
	ci.retry_and_idle_policy = &idle_policy;
	ci.opaque_user_data = c;
	memset(c, 0, sizeof(*c));
	c->sm = sm;
	c->id = ++sm->next_id;
	c->state = C_CONNECTING;
	fl_buf_init(&c->rx, SLACK_FRAME_MAX);
	ci.pwsi = &c->wsi;
	if (!lws_client_connect_via_info(&ci)) {
		/* the failure callback may have run already and freed the slot */
		if (c->state != C_FREE) {
			fl_buf_release(&c->rx);
			c->state = C_FREE;
			pthread_mutex_lock(&sm->lock);
			failed_locked(sm);
			pthread_mutex_unlock(&sm->lock);
		}
		logf_(sm, FLYTE_LOG_ERROR, "Slack Socket Mode: cannot connect to '%s'", shown);
	}
}

/* Forget a connection (closed or failed). */
static void conn_gone(struct slack_sm *sm, struct conn *c, const char *why)
{
	enum conn_state was = c->state;

	if (was == C_FREE)
		return;
	fl_buf_release(&c->rx);
	c->state = C_FREE;
	c->wsi = NULL;
	pthread_mutex_lock(&sm->lock);
	if (was == C_LIVE)
		sm->stats.live--;
	if (was == C_CONNECTING || was == C_OPEN) {
		logf_(sm, FLYTE_LOG_WARN, "Slack Socket Mode: connection %u failed: %s", c->id, why);
		failed_locked(sm);
	} else if (!c->closing && !c->draining && !atomic_load(&sm->stop)) {
		sm->stats.drops++;
		/* reconnect at once after a drop; back off when they keep coming */
		if (sm->failures++ > 0)
			sm->next_attempt = fl_time_mono_ns() + backoff_ns(sm);
		logf_(sm, FLYTE_LOG_WARN, "Slack Socket Mode: connection %u lost: %s", c->id, why);
		pthread_cond_broadcast(&sm->cond);
	} else {
		logf_(sm, FLYTE_LOG_DEBUG, "Slack Socket Mode: connection %u closed", c->id);
		pthread_cond_broadcast(&sm->cond);
	}
	pthread_mutex_unlock(&sm->lock);
}

static void queue_ack(struct conn *c, const char *envelope_id)
{
	if (c->ack_n == ACK_RING) { /* cannot happen at Slack's rates; Slack will deliver it again */
		logf_(c->sm, FLYTE_LOG_WARN, "Slack Socket Mode: acknowledgement queue full; envelope %s not acknowledged",
		      envelope_id);
		return;
	}
	snprintf(c->acks[(c->ack_head + c->ack_n) % ACK_RING], SLACK_ID_MAX, "%s", envelope_id);
	c->ack_n++;
	lws_callback_on_writable(c->wsi);
}

/* The new connection said hello: close the ones it replaces. */
static void retire_others(struct slack_sm *sm, struct conn *keep)
{
	for (size_t i = 0; i < MAX_CONNS; i++) {
		struct conn *c = &sm->conns[i];
		if (c == keep || c->state == C_FREE || c->closing)
			continue;
		c->closing = true;
		lws_callback_on_writable(c->wsi);
	}
}

static void on_frame(struct slack_sm *sm, struct conn *c)
{
	struct slack_frame f;
	char err[256];
	bool fresh;

	if (slack_frame_decode(&f, c->rx.ptr, c->rx.len, err, sizeof(err))) {
		pthread_mutex_lock(&sm->lock);
		sm->stats.malformed++;
		pthread_mutex_unlock(&sm->lock);
		logf_(sm, FLYTE_LOG_WARN, "Slack Socket Mode: ignored a frame on connection %u: %s", c->id, err);
		return;
	}
	switch (f.type) {
	case SLACK_FRAME_HELLO:
		lws_set_timeout(c->wsi, NO_PENDING_TIMEOUT, 0);
		pthread_mutex_lock(&sm->lock);
		if (c->state != C_LIVE) {
			c->state = C_LIVE;
			sm->stats.live++;
		}
		sm->stats.hellos++;
		sm->connecting = false;
		sm->refresh = false;
		sm->disabled = false;
		sm->failures = 0;
		pthread_cond_broadcast(&sm->cond);
		pthread_mutex_unlock(&sm->lock);
		logf_(sm, FLYTE_LOG_INFO, "Slack Socket Mode: connection %u ready", c->id);
		retire_others(sm, c);
		break;
	case SLACK_FRAME_DISCONNECT:
		pthread_mutex_lock(&sm->lock);
		sm->stats.disconnects++;
		c->draining = true;
		if (!strcmp(f.reason, "link_disabled")) {
			/* nothing to connect to until someone turns Socket Mode on again */
			sm->disabled = true;
			sm->next_attempt = fl_time_mono_ns() + DISABLED_RETRY_MS * FL_NS_PER_MS;
			logf_(sm, FLYTE_LOG_ERROR, "Slack Socket Mode: Slack disabled the connection (Socket Mode is off "
						   "for the app); trying again in %ld s", DISABLED_RETRY_MS / 1000);
			c->closing = true;
			lws_callback_on_writable(c->wsi);
		} else {
			logf_(sm, FLYTE_LOG_INFO, "Slack Socket Mode: connection %u: disconnect (%s); opening a new one", c->id,
			      f.reason[0] ? f.reason : "no reason");
		}
		sm->refresh = true;
		pthread_cond_broadcast(&sm->cond);
		pthread_mutex_unlock(&sm->lock);
		break;
	case SLACK_FRAME_EVENTS_API:
	case SLACK_FRAME_OTHER:
		queue_ack(c, f.envelope_id); /* duplicates too: the first ack may have been lost */
		fresh = slack_seen_add(&sm->seen, f.envelope_id);
		pthread_mutex_lock(&sm->lock);
		if (!fresh)
			sm->stats.duplicates++;
		else if (f.type == SLACK_FRAME_EVENTS_API)
			sm->stats.envelopes++;
		else if (f.problem[0])
			sm->stats.malformed++;
		pthread_mutex_unlock(&sm->lock);
		if (!fresh) {
			logf_(sm, FLYTE_LOG_DEBUG, "Slack Socket Mode: envelope %s delivered again (attempt %lld); ignored",
			      f.envelope_id, f.retry_attempt);
		} else if (f.type == SLACK_FRAME_EVENTS_API) {
			sm->o.on_event(f.payload, sm->o.payload);
			f.payload = NULL;
		} else if (f.problem[0]) {
			logf_(sm, FLYTE_LOG_WARN, "Slack Socket Mode: envelope %s ignored: %s", f.envelope_id, f.problem);
		} else {
			logf_(sm, FLYTE_LOG_DEBUG, "Slack Socket Mode: envelope %s of type '%s' acknowledged and ignored",
			      f.envelope_id, f.kind);
		}
		break;
	}
	slack_frame_release(&f);
}

static int write_one(struct conn *c)
{
	unsigned char buf[LWS_PRE + SLACK_ID_MAX + 32];
	struct fl_buf b = FL_BUF_INIT(0);
	size_t n;
	int rc = 0;

	slack_frame_ack(&b, c->acks[c->ack_head]);
	n = FL_MIN(b.len, sizeof(buf) - LWS_PRE);
	memcpy(buf + LWS_PRE, b.ptr, n);
	fl_buf_release(&b);
	if (lws_write(c->wsi, buf + LWS_PRE, n, LWS_WRITE_TEXT) < (int)n)
		rc = -1;
	c->ack_head = (c->ack_head + 1) % ACK_RING;
	c->ack_n--;
	pthread_mutex_lock(&c->sm->lock);
	c->sm->stats.acks++;
	pthread_mutex_unlock(&c->sm->lock);
	return rc;
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
	struct lws_context *ctx = lws_get_context(wsi);
	struct slack_sm *sm = ctx ? lws_context_user(ctx) : NULL;
	struct conn *c = lws_get_opaque_user_data(wsi);
	char why[160];

	(void)user;
	if (!sm)
		return 0;
	switch (reason) {
	case LWS_CALLBACK_EVENT_WAIT_CANCELLED: {
		char url[sizeof(sm->url)];
		bool take;
		pthread_mutex_lock(&sm->lock);
		take = sm->pending && !atomic_load(&sm->stop);
		if (take)
			snprintf(url, sizeof(url), "%s", sm->url);
		sm->pending = false;
		pthread_mutex_unlock(&sm->lock);
		if (take)
			connect_to(sm, url);
		break;
	}
	case LWS_CALLBACK_CLIENT_ESTABLISHED:
		if (!c)
			break;
		c->state = C_OPEN;
		pthread_mutex_lock(&sm->lock);
		sm->stats.connects++;
		pthread_mutex_unlock(&sm->lock);
		lws_set_timeout(wsi, PENDING_TIMEOUT_USER_OK, HELLO_TIMEOUT_SEC);
		break;
	case LWS_CALLBACK_CLIENT_RECEIVE:
		if (!c)
			break;
		if (lws_frame_is_binary(wsi))
			c->rx_bad = true;
		if (!c->rx_bad) {
			fl_buf_add(&c->rx, in, len);
			if (fl_buf_failed(&c->rx))
				c->rx_bad = true;
		}
		if (lws_is_final_fragment(wsi) && !lws_remaining_packet_payload(wsi)) {
			if (c->rx_bad) {
				pthread_mutex_lock(&sm->lock);
				sm->stats.malformed++;
				pthread_mutex_unlock(&sm->lock);
				logf_(sm, FLYTE_LOG_WARN, "Slack Socket Mode: ignored a %s message on connection %u",
				      lws_frame_is_binary(wsi) ? "binary" : "too large", c->id);
			} else {
				on_frame(sm, c);
			}
			fl_buf_release(&c->rx);
			fl_buf_init(&c->rx, SLACK_FRAME_MAX);
			c->rx_bad = false;
		}
		break;
	case LWS_CALLBACK_CLIENT_WRITEABLE:
		if (!c)
			break;
		if (c->ack_n) {
			if (write_one(c))
				return -1;
			if (c->ack_n || c->closing)
				lws_callback_on_writable(wsi);
			break;
		}
		if (c->closing) {
			lws_close_reason(wsi, LWS_CLOSE_STATUS_NORMAL, NULL, 0);
			return -1;
		}
		break;
	case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
		if (c && len >= 2)
			logf_(sm, FLYTE_LOG_DEBUG, "Slack Socket Mode: connection %u closed by Slack (code %u)", c->id,
			      (unsigned)(((const unsigned char *)in)[0] << 8 | ((const unsigned char *)in)[1]));
		break;
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
		snprintf(why, sizeof(why), "%.*s", in ? (int)FL_MIN(len ? len : strlen(in), 150) : 0,
			 in ? (const char *)in : "");
		if (c)
			conn_gone(sm, c, why[0] ? why : "connection error");
		break;
	case LWS_CALLBACK_CLIENT_CLOSED:
		if (c)
			conn_gone(sm, c, "socket closed");
		break;
	default:
		break;
	}
	return 0;
}

static void *service_main(void *arg)
{
	struct slack_sm *sm = arg;

	while (!atomic_load(&sm->stop))
		if (lws_service(sm->ctx, 0) < 0)
			break;
	return NULL;
}

static const struct lws_protocols protocols[] = {
	{ "slack-socket-mode", callback, 0, 0, 0, NULL, 0 },
	{ NULL, NULL, 0, 0, 0, NULL, 0 },
};

int slack_sm_start(struct slack_sm **out, const struct slack_sm_options *o, char *err, size_t errlen)
{
	struct lws_context_creation_info info;
	pthread_condattr_t ca;
	struct slack_sm *sm;

	*out = NULL;
	sm = calloc(1, sizeof(*sm));
	if (!sm) {
		snprintf(err, errlen, "out of memory");
		return FLYTE_ENOMEM;
	}
	sm->o = *o;
	if (sm->o.retry_initial_ms <= 0)
		sm->o.retry_initial_ms = 500;
	if (sm->o.retry_max_ms <= 0)
		sm->o.retry_max_ms = 30000;
	if (o->ca_file)
		sm->ca_file = strdup(o->ca_file);
	sm->o.ca_file = sm->ca_file;
	slack_seen_init(&sm->seen);
	pthread_mutex_init(&sm->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&sm->cond, &ca);
	pthread_condattr_destroy(&ca);

	lws_log_fn = o->log_fn;
	lws_log_payload = o->log_payload;
	lws_set_log_level(LLL_ERR | LLL_WARN, lws_emit);
	memset(&info, 0, sizeof(info));
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.protocols = protocols;
	info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
	info.user = sm;
	info.fd_limit_per_thread = 64;
	info.client_ssl_ca_filepath = sm->ca_file;
	info.connect_timeout_secs = 20;
	sm->ctx = lws_create_context(&info);
	if (!sm->ctx) {
		snprintf(err, errlen, "cannot create the libwebsockets context");
		slack_sm_free(sm);
		return FLYTE_ERROR;
	}
	if (pthread_create(&sm->service_thread, NULL, service_main, sm)) {
		snprintf(err, errlen, "cannot start a thread");
		slack_sm_free(sm);
		return FLYTE_ERROR;
	}
	sm->service_started = true;
	if (pthread_create(&sm->manager_thread, NULL, manager_main, sm)) {
		snprintf(err, errlen, "cannot start a thread");
		slack_sm_free(sm);
		return FLYTE_ERROR;
	}
	sm->manager_started = true;
	*out = sm;
	return FLYTE_OK;
}

void slack_sm_free(struct slack_sm *sm)
{
	if (!sm)
		return;
	atomic_store(&sm->stop, true);
	pthread_mutex_lock(&sm->lock);
	pthread_cond_broadcast(&sm->cond);
	pthread_mutex_unlock(&sm->lock);
	if (sm->ctx)
		lws_cancel_service(sm->ctx);
	if (sm->manager_started)
		pthread_join(sm->manager_thread, NULL);
	if (sm->service_started)
		pthread_join(sm->service_thread, NULL);
	if (sm->ctx)
		lws_context_destroy(sm->ctx); /* closes what is open; the callbacks see stop */
	for (size_t i = 0; i < MAX_CONNS; i++)
		if (sm->conns[i].state != C_FREE)
			fl_buf_release(&sm->conns[i].rx);
	lws_set_log_level(LLL_ERR | LLL_WARN, NULL);
	lws_log_fn = NULL;
	pthread_cond_destroy(&sm->cond);
	pthread_mutex_destroy(&sm->lock);
	free(sm->ca_file);
	free(sm);
}

void slack_sm_get_stats(struct slack_sm *sm, struct slack_sm_stats *out)
{
	pthread_mutex_lock(&sm->lock);
	*out = sm->stats;
	pthread_mutex_unlock(&sm->lock);
}
