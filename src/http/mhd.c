// SPDX-License-Identifier: Apache-2.0
/*
 * mhd.c - libmicrohttpd glue: the only file of flyte that includes
 * <microhttpd.h>.
 *
 * Threading: MHD runs an epoll loop in each of its pool threads and calls
 * on_request() there; handlers never block.  A request waiting for the
 * engine is suspended (MHD_suspend_connection) and resumed from the engine's
 * writer thread through fl_request_complete() -> mhd_resume().  Suspended
 * connections neither time out nor notice a client that went away, so the
 * engine bounds every wait (a take waits at most FLYTE_TAKE_WAIT_MS).
 *
 * Per request: the URI log callback keeps the raw request target in the
 * connection's context; the first handler call allocates a struct conn_req,
 * checks the framing of the head (head.c) and runs the phases NEW (headers)
 * -> BODY (chunks) -> PARKED (suspended) -> RESUMED -> DONE (response
 * queued); on_completed() logs and frees it.
 *
 * Delivery of a take answer.  An answer counts as delivered when
 * libmicrohttpd reports the request completed (MHD_REQUEST_TERMINATED_
 * COMPLETED_OK), which it does only once every byte of the answer was
 * accepted by the kernel; any other end releases the action.  A client that
 * sent end-of-file while its take waited has either half-closed its socket
 * (shutdown(SHUT_WR): nc -N, socat, some proxies; it still reads) or closed
 * it (gone).  The two look alike until something is sent, so such a client
 * is first sent an interim "HTTP/1.1 100 Continue" (every HTTP/1.1 client
 * skips it) and the connection is suspended again: a closed socket answers
 * it with a reset (the action is released, nothing else is sent), a
 * half-closed one acknowledges it (the answer is sent).  See
 * docs/internals/http.md.
 *
 * Deadlines.  libmicrohttpd's timeout counts only silence; the connection
 * guard (guard.c) bounds the time to receive a head and a body.  The
 * deadlines are armed here as a request advances.
 */
#include "fl-common.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdatomic.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "alloc.h"
#include "http/guard.h"
#include "http/head.h"
#include "http/mhd.h"
#include "log.h"
#include "timeutil.h"

/* Connection memory pool beyond the header limit: header records, the response's head. */
#define POOL_SLACK ((size_t)8 << 10)
/* Smallest connection memory pool: the largest that libmicrohttpd still mallocs. */
#define POOL_MIN ((size_t)32 << 10)

/* Bytes of an oversized body read and dropped before the connection is closed. */
#define DISCARD_LIMIT ((size_t)16 << 20)

/* The delivery probe: first check after PROBE_FIRST, then every PROBE_STEP, for at most PROBE_MAX. */
#define PROBE_FIRST_NS (5 * FL_NS_PER_MS)
#define PROBE_STEP_NS (20 * FL_NS_PER_MS)
#define PROBE_MAX_NS (2 * FL_NS_PER_SEC)

static const char probe_msg[] = "HTTP/1.1 100 Continue\r\n\r\n";

enum phase {
	PH_NEW = 0, /* first handler call: headers complete */
	PH_BODY,    /* routed, collecting the body */
	PH_PREPARK, /* waiting one turn of the event loop before suspending (hands_over) */
	PH_PARKED,  /* suspended, waiting for the engine */
	PH_RESUMED, /* resumed, answer being built */
	PH_PROBING, /* suspended again: is a half-closed client still there? */
	PH_DONE,    /* response queued */
};

struct fl_mhd {
	struct MHD_Daemon *d;
	const struct fl_http_ctx *ctx;
	uint16_t port;
	MHD_socket listen_fd;
	atomic_size_t active;  /* requests between the first handler call and completion */
	atomic_size_t parked;  /* requests suspended right now */
	atomic_bool closing;   /* quiesced: answer with Connection: close */
	bool tls;
	bool raw_head;         /* libmicrohttpd 0.9.75: its read buffer layout is known (see check_head) */
	unsigned idle_sec;     /* FLYTE_CONNECTION_TIMEOUT_SEC */
	struct fl_guard *guard;
};

/*
 * Per connection: the raw request target of the request being read.  The
 * URI callback sees every request, but libmicrohttpd reports completion only
 * for requests that reached the handler, so nothing per request is
 * allocated before that; the target waits here.
 */
struct conn_ctx {
	char *target;
	struct MHD_Connection *conn;
	struct fl_guard_conn gc;
};

struct conn_req {
	struct fl_mhd *m;
	struct MHD_Connection *conn;
	enum phase phase;
	bool too_big;
	bool queued;
	bool close;       /* answer with Connection: close (framing errors) */
	bool http11;
	size_t discarded; /* body bytes read after the limit was passed */
	int64_t probe_until;
	struct conn_ctx *cc;
	struct fl_request req;
};

/* ----------------------------------------------------------- suspend */

static void mhd_suspend(struct fl_request *req)
{
	struct conn_req *cr = req->transport;

	cr->phase = PH_PARKED;
	atomic_fetch_add(&cr->m->parked, 1);
	MHD_suspend_connection(cr->conn);
}

static void mhd_resume(struct fl_request *req)
{
	struct conn_req *cr = req->transport;

	MHD_resume_connection(cr->conn);
}

static const struct fl_request_ops mhd_ops = { mhd_suspend, mhd_resume };

/* ---------------------------------------------------------- response */

static void free_body(void *p)
{
	free(p);
}

/* A streamed body (fl_response_stream) on its way out. */
struct stream {
	fl_response_produce_fn produce;
	void *state;
	void (*free_state)(void *state);
	struct fl_buf buf; /* the piece being sent */
	size_t off;
	bool done;
};

#define STREAM_BLOCK (32 * 1024)

static ssize_t stream_read(void *cls, uint64_t pos, char *out, size_t max)
{
	struct stream *sm = cls;
	size_t n;

	(void)pos;
	if (sm->off == sm->buf.len) {
		if (sm->done)
			return MHD_CONTENT_READER_END_OF_STREAM;
		fl_buf_reset(&sm->buf);
		sm->off = 0;
		if (sm->produce(sm->state, &sm->buf) != FL_OK || fl_buf_failed(&sm->buf)) {
			FL_LOG_E(NULL, "streamed answer failed; closing the connection");
			return MHD_CONTENT_READER_END_WITH_ERROR;
		}
		if (sm->buf.len == 0) {
			sm->done = true;
			return MHD_CONTENT_READER_END_OF_STREAM;
		}
	}
	n = FL_MIN(max, sm->buf.len - sm->off);
	memcpy(out, sm->buf.ptr + sm->off, n);
	sm->off += n;
	return (ssize_t)n;
}

static void stream_free(void *cls)
{
	struct stream *sm = cls;

	if (sm->free_state)
		sm->free_state(sm->state);
	fl_buf_release(&sm->buf);
	free(sm);
}

static struct MHD_Response *stream_response(struct fl_response *r)
{
	struct stream *sm = fl_xcalloc(1, sizeof(*sm));
	struct MHD_Response *resp;

	sm->produce = r->produce;
	sm->state = r->produce_state;
	sm->free_state = r->produce_free;
	fl_buf_init(&sm->buf, 0);
	r->produce = NULL;
	r->produce_state = NULL;
	r->produce_free = NULL;
	resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, STREAM_BLOCK, stream_read, sm, stream_free);
	if (!resp)
		stream_free(sm);
	return resp;
}

static enum MHD_Result respond(struct conn_req *cr)
{
	struct fl_response *r = &cr->req.resp;
	struct MHD_Response *resp;
	size_t len = r->body.len;
	char *body = len ? fl_buf_detach(&r->body, NULL) : NULL;
	enum MHD_Result ok;

	if (len && !body)
		len = 0;
	if (r->produce) {
		free(body);
		resp = stream_response(r);
		if (!resp)
			return MHD_NO;
	} else {
		resp = MHD_create_response_from_buffer_with_free_callback(len, body, free_body);
		if (!resp) {
			free(body);
			return MHD_NO;
		}
	}
	if (r->content_type)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->content_type);
	for (size_t i = 0; i < r->nheaders; i++)
		MHD_add_response_header(resp, r->headers[i].name, r->headers[i].value);
	if (cr->req.id[0])
		MHD_add_response_header(resp, "X-Request-Id", cr->req.id);
	if (cr->close || atomic_load(&cr->m->closing))
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
	/* keep len for the access log even though the buffer moved to MHD */
	r->body.len = 0;
	ok = MHD_queue_response(cr->conn, (unsigned)r->status, resp);
	MHD_destroy_response(resp);
	if (ok == MHD_YES) {
		cr->queued = true;
		cr->phase = PH_DONE;
		if (cr->cc)
			fl_guard_arm(&cr->cc->gc, FL_GUARD_NONE, 0);
	}
	return ok;
}

/* ---------------------------------------------------- delivery probe */

enum peer {
	PEER_OPEN,  /* nothing unusual: send the answer */
	PEER_EOF,   /* end-of-file received: half-closed or gone */
	PEER_RESET, /* reset or error: gone, nothing can be delivered */
};

static int conn_fd(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);

	return ci ? ci->connect_fd : -1;
}

/* At resume: did the client send end-of-file (or reset) while its take waited? */
static enum peer peer_state(int fd)
{
	char c;
	ssize_t n;

	if (fd < 0)
		return PEER_OPEN;
	n = recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
	if (n == 0)
		return PEER_EOF;
	if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
		return PEER_RESET;
	return PEER_OPEN;
}

enum probe {
	PROBE_ACKED,   /* the peer's TCP acknowledged the interim answer: it still reads */
	PROBE_RESET,   /* the peer answered with a reset: its socket is closed */
	PROBE_PENDING, /* neither yet */
};

static enum probe probe_state(int fd)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);
	int outq = 0;

	memset(&ti, 0, sizeof(ti));
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) != 0 || ti.tcpi_state == TCP_CLOSE)
		return PROBE_RESET;
	if (ioctl(fd, SIOCOUTQ, &outq) != 0)
		return PROBE_RESET;
	return outq == 0 ? PROBE_ACKED : PROBE_PENDING;
}

static void probe_wake(struct fl_guard_conn *gc)
{
	struct conn_ctx *cc = (struct conn_ctx *)(void *)((char *)gc - offsetof(struct conn_ctx, gc));

	MHD_resume_connection(cc->conn);
}

/* Suspend cr until the guard wakes it at `at`. */
static void probe_wait(struct conn_req *cr, int64_t at)
{
	cr->phase = PH_PROBING;
	atomic_fetch_add(&cr->m->parked, 1);
	MHD_suspend_connection(cr->conn);
	fl_guard_wake_at(cr->m->guard, &cr->cc->gc, at, probe_wake);
}

/*
 * The answer to a take carries an action and the client sent end-of-file
 * while it waited.  Returns true when the answer should be sent now.
 */
static bool probe_start(struct conn_req *cr, enum MHD_Result *ret)
{
	int fd = conn_fd(cr->conn);
	int64_t now;

	if (!cr->http11 || cr->m->tls || !cr->cc) {
		/* no interim answer possible (HTTP/1.0, TLS): send it, the kernel decides */
		return true;
	}
	if (send(fd, probe_msg, sizeof(probe_msg) - 1, MSG_DONTWAIT | MSG_NOSIGNAL) != (ssize_t)(sizeof(probe_msg) - 1)) {
		fl_request_undelivered(&cr->req);
		*ret = MHD_NO;
		return false;
	}
	now = fl_time_mono_ns();
	cr->probe_until = now + PROBE_MAX_NS;
	probe_wait(cr, now + PROBE_FIRST_NS);
	*ret = MHD_YES;
	return false;
}

/* ----------------------------------------------------------- handler */

static const char *header(struct MHD_Connection *conn, const char *name)
{
	return MHD_lookup_connection_value(conn, MHD_HEADER_KIND, name);
}

/* The head as parsed by libmicrohttpd, checked field by field. */
struct head_scan {
	struct fl_head_check hc;
	const char *lo, *hi; /* the head in libmicrohttpd's read buffer, or NULL when unknown */
	size_t bytes;
};

/*
 * libmicrohttpd 0.9.75 parses the head in place: a field line
 * "Name: value CRLF" stays where it was received, ':' and the CR and LF
 * overwritten with NULs, so a well-formed field ends in two NULs inside the
 * head.  A value cut short by a NUL byte, a line ended by a bare LF, or a
 * field that libmicrohttpd moved (obsolete line folding) does not.
 */
static bool field_line_ok(const struct head_scan *hs, const char *key, const char *value, size_t value_size)
{
	const char *end = value + value_size;

	if (!hs->lo)
		return true;
	return key >= hs->lo && value >= key && end + 2 <= hs->hi && end[0] == '\0' && end[1] == '\0';
}

static enum MHD_Result scan_field(void *cls, enum MHD_ValueKind kind, const char *key, size_t key_size,
				  const char *value, size_t value_size)
{
	struct head_scan *hs = cls;

	(void)kind;
	if (!value)
		value = "";
	hs->bytes += key_size + value_size + 4; /* ": " and CRLF */
	if (!field_line_ok(hs, key, value, value_size))
		return fl_head_check_refuse(&hs->hc, "NUL byte, bare LF or line folding in header", key, key_size)
			       ? MHD_YES
			       : MHD_NO;
	return fl_head_check_field(&hs->hc, key, key_size, value, value_size) ? MHD_YES : MHD_NO;
}

/*
 * Read the headers the server uses and check the framing of the head
 * before any body byte is read.  A refusal goes to req->refuse_* (answered
 * by fl_request_begin) and closes the connection after the answer.
 */
static void read_headers(struct conn_req *cr, const char *method, const char *version)
{
	struct fl_request_headers *h = &cr->req.h;
	struct MHD_Connection *c = cr->conn;
	struct head_scan hs;
	int status;

	h->host = header(c, MHD_HTTP_HEADER_HOST);
	h->x_forwarded_proto = header(c, "X-Forwarded-Proto");
	h->x_forwarded_host = header(c, "X-Forwarded-Host");
	h->x_flyte_host = header(c, "X-Flyte-Host");
	h->accept = header(c, MHD_HTTP_HEADER_ACCEPT);
	h->prefer = header(c, "Prefer");
	h->content_type = header(c, MHD_HTTP_HEADER_CONTENT_TYPE);
	h->content_length = header(c, MHD_HTTP_HEADER_CONTENT_LENGTH);
	h->authorization = header(c, MHD_HTTP_HEADER_AUTHORIZATION);
	h->x_request_id = header(c, "X-Request-Id");

	memset(&hs, 0, sizeof(hs));
	fl_head_check_init(&hs.hc, version);
	if (cr->m->raw_head) {
		const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_REQUEST_HEADER_SIZE);
		if (ci) {
			hs.lo = method;
			hs.hi = method + ci->header_size;
			/* the request line too must end in CRLF */
			if (version < hs.lo || version + 10 > hs.hi || version[8] != '\0' || version[9] != '\0')
				fl_head_check_refuse(&hs.hc, "request line not ended by CRLF", NULL, 0);
		}
	}
	if (!fl_head_target_ok(cr->req.target))
		fl_head_check_refuse(&hs.hc, "space or control character in the request target", NULL, 0);
	MHD_get_connection_values_n(c, MHD_HEADER_KIND, scan_field, &hs);
	cr->req.header_bytes = strlen(cr->req.method) + strlen(cr->req.target) + 12 + hs.bytes;
	status = fl_head_check_finish(&hs.hc, cr->req.refuse_msg, sizeof(cr->req.refuse_msg));
	if (status) {
		cr->req.refuse_status = status;
		cr->close = true;
	}
}

static struct conn_ctx *conn_ctx_of(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return ci ? ci->socket_context : NULL;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
				  const char *version, const char *upload_data, size_t *upload_size, void **con_cls)
{
	struct fl_mhd *m = cls;
	struct conn_req *cr = *con_cls;
	enum MHD_Result ret;

	if (!cr) {
		struct conn_ctx *cc = conn_ctx_of(conn);

		/* first call: from here on libmicrohttpd reports the completion */
		cr = fl_xcalloc(1, sizeof(*cr));
		cr->m = m;
		cr->conn = conn;
		cr->cc = cc;
		fl_request_init(&cr->req, m->ctx, method, cc && cc->target ? cc->target : url);
		if (cc) {
			free(cc->target);
			cc->target = NULL;
		}
		cr->req.ops = &mhd_ops;
		cr->req.transport = cr;
		atomic_fetch_add(&m->active, 1);
		*con_cls = cr;
	}
	switch (cr->phase) {
	case PH_NEW:
		cr->http11 = version && strcmp(version, MHD_HTTP_VERSION_1_1) == 0;
		read_headers(cr, method, version);
		cr->phase = PH_BODY;
		if (cr->cc)
			fl_guard_arm(&cr->cc->gc, FL_GUARD_BODY, cr->req.start_ns + fl_guard_body_ns(m->guard));
		if (fl_request_begin(&cr->req))
			return respond(cr);
		return MHD_YES;
	case PH_BODY:
		if (*upload_size) {
			if (cr->too_big) {
				/*
				 * libmicrohttpd accepts no answer before the whole body
				 * is read (chunked uploads): discard it without buffering,
				 * but give up on a client that keeps sending.
				 */
				cr->discarded += *upload_size;
				*upload_size = 0;
				return cr->discarded > m->ctx->max_body + DISCARD_LIMIT ? MHD_NO : MHD_YES;
			}
			if (!fl_request_body_add(&cr->req, upload_data, *upload_size)) {
				cr->too_big = true;
				cr->discarded = cr->req.body.len + *upload_size;
			}
			*upload_size = 0;
			return MHD_YES;
		}
		if (cr->cc)
			fl_guard_arm(&cr->cc->gc, FL_GUARD_NONE, 0);
		if (cr->too_big)
			return respond(cr);
		if (fl_request_run(&cr->req) == FL_EAGAIN) {
			if (cr->req.hands_over) {
				/*
				 * libmicrohttpd 0.9.75 keeps the poll state of the call that
				 * suspends: suspended in the same pass that read the request,
				 * the connection is resumed "waiting to read", reads the
				 * end-of-file of a half-closed client first and closes without
				 * asking for the answer.  Returning without an answer lets it
				 * mark the request complete (no reading); it calls again at
				 * once, and the request is suspended then.
				 */
				cr->phase = PH_PREPARK;
				return MHD_YES;
			}
			fl_request_park(&cr->req);
			return MHD_YES;
		}
		return respond(cr);
	case PH_PREPARK:
		fl_request_park(&cr->req);
		return MHD_YES;
	case PH_PARKED:
		cr->phase = PH_RESUMED;
		atomic_fetch_sub(&m->parked, 1);
		fl_request_resumed(&cr->req);
		if (cr->req.on_undelivered) {
			switch (peer_state(conn_fd(conn))) {
			case PEER_OPEN:
				break;
			case PEER_RESET:
				fl_request_undelivered(&cr->req);
				return MHD_NO;
			case PEER_EOF:
				if (!probe_start(cr, &ret))
					return ret;
				break;
			}
		}
		return respond(cr);
	case PH_PROBING:
		cr->phase = PH_RESUMED;
		atomic_fetch_sub(&m->parked, 1);
		switch (probe_state(conn_fd(conn))) {
		case PROBE_ACKED:
			return respond(cr);
		case PROBE_RESET:
			fl_request_undelivered(&cr->req);
			return MHD_NO;
		case PROBE_PENDING: {
			int64_t now = fl_time_mono_ns();
			if (now < cr->probe_until) {
				probe_wait(cr, now + PROBE_STEP_NS);
				return MHD_YES;
			}
			/* no answer to the probe at all: send; its fate is unknown */
			FL_LOG_D(&cr->req.log, "client neither acknowledged nor refused the interim answer; sending");
			return respond(cr);
		}
		}
		return MHD_NO;
	case PH_RESUMED:
		return MHD_NO; /* the answer could not be queued */
	case PH_DONE:
		*upload_size = 0; /* body after an early answer: discard */
		return MHD_YES;
	}
	return MHD_NO;
}

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
	struct fl_mhd *m = cls;
	struct conn_ctx *cc = conn_ctx_of(conn);

	if (cc) {
		free(cc->target);
		cc->target = fl_xstrdup(uri ? uri : "");
	}
	/*
	 * libmicrohttpd 0.9.75 would now split the query into its connection
	 * memory pool, one record per parameter: a few hundred parameters
	 * exhaust the pool, and its error path then stalls the connection
	 * without an answer.  The server parses the query itself from the copy
	 * above, so the query is cut from libmicrohttpd's view: `uri` points
	 * into its (writable) read buffer, and the byte after '?' is where it
	 * starts parsing.
	 */
	if (m->raw_head && uri) {
		char *q = strchr(uri, '?');
		if (q && q[1])
			q[1] = '\0';
	}
	return NULL;
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
			  enum MHD_ConnectionNotificationCode toe)
{
	struct fl_mhd *m = cls;
	struct conn_ctx *cc = *socket_context;

	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		cc = fl_xcalloc(1, sizeof(*cc));
		cc->conn = conn;
		fl_guard_add(m->guard, &cc->gc, conn_fd(conn), m->tls);
		fl_guard_arm(&cc->gc, FL_GUARD_HEAD, fl_time_mono_ns() + fl_guard_header_ns(m->guard));
		*socket_context = cc;
		return;
	}
	if (cc) {
		fl_guard_remove(m->guard, &cc->gc);
		free(cc->target);
		free(cc);
	}
	*socket_context = NULL;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode toe)
{
	struct fl_mhd *m = cls;
	struct conn_req *cr = *con_cls;
	struct conn_ctx *cc;

	(void)conn;
	if (!cr)
		return;
	*con_cls = NULL;
	cc = cr->cc;
	if (cr->phase == PH_PARKED || cr->phase == PH_PROBING) {
		/*
		 * Resumed, but the connection failed (client gone) before the
		 * handler ran again: build the answer anyway so that what it
		 * holds (a taken action) is released as undelivered.
		 */
		atomic_fetch_sub(&m->parked, 1);
		if (cr->phase == PH_PARKED && atomic_load(&cr->req.async) == FL_REQUEST_DONE)
			fl_request_resumed(&cr->req);
	}
	if (cc && atomic_exchange_explicit(&cc->gc.expired, 0, memory_order_relaxed) && !cr->queued)
		fl_response_error(&cr->req.resp, 408, "request body not received in time");
	fl_request_end(&cr->req, cr->queued && toe == MHD_REQUEST_TERMINATED_COMPLETED_OK);
	/* a kept-alive connection waits for its next request: idle time plus the head deadline */
	if (cc)
		fl_guard_arm(&cc->gc, FL_GUARD_HEAD,
			     fl_time_mono_ns() + (int64_t)m->idle_sec * FL_NS_PER_SEC + fl_guard_header_ns(m->guard));
	fl_request_release(&cr->req);
	free(cr);
	atomic_fetch_sub(&m->active, 1);
}

/* The text of the <body> of libmicrohttpd's HTML error page in msg, tags removed (in place). */
static const char *html_text(char *msg)
{
	char *p = strstr(msg, "<body>");
	char *end = p ? strstr(p, "</body>") : NULL;
	char *w;

	if (!end)
		return msg;
	p += 6;
	w = msg;
	for (bool tag = false; p < end; p++) {
		if (*p == '<')
			tag = true;
		else if (*p == '>')
			tag = false;
		else if (!tag)
			*w++ = *p;
	}
	*w = '\0';
	return msg;
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	static const char refused[] = "Error processing request (HTTP response code is ";
	char msg[512];
	size_t n;

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
		msg[--n] = '\0';
	/*
	 * libmicrohttpd answers some malformed requests itself (request line,
	 * Content-Length, chunk syntax, heads too large for its memory pool)
	 * before the handler sees them; its message is the only trace.
	 */
	if (strncmp(msg, refused, sizeof(refused) - 1) == 0) {
		unsigned status = 0;
		sscanf(msg + sizeof(refused) - 1, "%u", &status);
		FL_LOG_I(NULL, "refused a malformed request with %u (answered by libmicrohttpd): %s", status,
			 html_text(msg));
		return;
	}
	FL_LOG_D(NULL, "libmicrohttpd: %s", msg);
}

/* ---------------------------------------------------------- lifecycle */

/* Only TLS 1.2/1.3, forward-secret key exchange, AEAD ciphers. */
static const char tls_priorities[] = "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:"
				     "-CIPHER-ALL:+AES-256-GCM:+AES-128-GCM:+CHACHA20-POLY1305:"
				     "-MAC-ALL:+AEAD:-KX-ALL:+ECDHE-RSA:+ECDHE-ECDSA:%SERVER_PRECEDENCE";

int fl_mhd_start(struct fl_mhd **out, const struct fl_mhd_config *cfg, struct fl_error *err)
{
	struct fl_mhd *m = fl_xcalloc(1, sizeof(*m));
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
	struct sockaddr *sa;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
	bool tls = cfg->tls_cert_pem && cfg->tls_key_pem;
	const union MHD_DaemonInfo *info;
	struct MHD_OptionItem opts[8];
	size_t nopt = 0;
	struct fl_guard_config gcfg = { cfg->header_timeout_sec, cfg->body_timeout_sec, 0 };
	int rc;

	*out = NULL;
	m->ctx = cfg->ctx;
	m->tls = tls;
	m->idle_sec = cfg->connection_timeout_sec;
	/* the head checks that rely on libmicrohttpd's buffer layout, see read_headers() */
	m->raw_head = strcmp(MHD_get_version(), "0.9.75") == 0;
	m->listen_fd = MHD_INVALID_SOCKET;
	atomic_init(&m->active, 0);
	atomic_init(&m->parked, 0);
	atomic_init(&m->closing, false);
	memset(&sin, 0, sizeof(sin));
	memset(&sin6, 0, sizeof(sin6));
	if (inet_pton(AF_INET, cfg->bind_address, &sin.sin_addr) == 1) {
		sin.sin_family = AF_INET;
		sin.sin_port = htons(cfg->port);
		sa = (struct sockaddr *)&sin;
	} else if (inet_pton(AF_INET6, cfg->bind_address, &sin6.sin6_addr) == 1) {
		sin6.sin6_family = AF_INET6;
		sin6.sin6_port = htons(cfg->port);
		sa = (struct sockaddr *)&sin6;
		flags |= MHD_USE_IPv6;
	} else {
		free(m);
		return fl_error_set(err, FL_EINVALID, "invalid bind address '%s'", cfg->bind_address);
	}
	rc = fl_guard_start(&m->guard, &gcfg, err);
	if (rc) {
		free(m);
		return rc;
	}
	if (tls) {
		flags |= MHD_USE_TLS;
		opts[nopt++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_CERT, 0, (void *)cfg->tls_cert_pem };
		opts[nopt++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_KEY, 0, (void *)cfg->tls_key_pem };
		opts[nopt++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_PRIORITIES, 0, (void *)tls_priorities };
	}
	opts[nopt++] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };

	/*
	 * The connection memory pool holds the request line, the headers and
	 * the response headers; the request body streams through it in
	 * chunks; query parameters no longer go there (on_uri).  It is sized
	 * from the header limit plus POOL_SLACK, at least POOL_MIN (our own
	 * check answers 431 precisely; headers that do not fit at all get
	 * libmicrohttpd's own 431): 32 KiB with the default limit.  Each header
	 * line also costs libmicrohttpd a record of several dozen bytes in the pool:
	 * with 24 KiB, a head under the default limit in 150 fields was
	 * refused.
	 *
	 * libmicrohttpd mallocs pools of 32 KiB or less and mmaps larger ones.
	 * A waiting request touches only the two ends of its pool (the head
	 * read at the start, header records allocated from the end): with
	 * mmap'ed pools that is two pages per connection (8 KB), while
	 * malloc'ed pools lie end to end in the heap and share a page with
	 * their neighbour (about 4 KB).  Malloc'ed pools used to leave the heap
	 * fragmented after a burst of connections (RSS stayed high once they
	 * closed); the guard now trims the heap after such a burst (guard.h),
	 * which brings RSS below where mmap'ed pools left it.  A pool above
	 * 32 KiB (a header limit above 24 KiB) is mmap'ed as before.
	 *
	 * Every kept-alive connection costs the whole pool: libmicrohttpd
	 * zeroes it between two requests.  Hence FLYTE_MAX_HEADER_BYTES is
	 * capped at 64 KiB (a 1 MiB limit made 1000 idle connections cost 1 GB).
	 */
	m->d = MHD_start_daemon(flags, cfg->port, NULL, NULL, on_request, m, MHD_OPTION_SOCK_ADDR, sa,
				MHD_OPTION_THREAD_POOL_SIZE, cfg->threads, MHD_OPTION_CONNECTION_LIMIT,
				cfg->max_connections, MHD_OPTION_CONNECTION_TIMEOUT, cfg->connection_timeout_sec,
				MHD_OPTION_CONNECTION_MEMORY_LIMIT, FL_MAX(cfg->max_header_bytes + POOL_SLACK, POOL_MIN),
				MHD_OPTION_NOTIFY_COMPLETED, on_completed, m, MHD_OPTION_NOTIFY_CONNECTION, on_connection, m,
				MHD_OPTION_URI_LOG_CALLBACK, on_uri, m, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
				cfg->max_connections_per_address,
				MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, m, MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
	if (!m->d) {
		int e = errno;
		fl_guard_stop(m->guard);
		free(m);
		return fl_error_set(err, FL_EIO, "cannot listen on %s port %u: %s", cfg->bind_address, cfg->port,
				    e ? strerror(e) : "libmicrohttpd refused to start");
	}
	info = MHD_get_daemon_info(m->d, MHD_DAEMON_INFO_BIND_PORT);
	m->port = info ? info->port : cfg->port;
	*out = m;
	return FL_OK;
}

uint16_t fl_mhd_port(const struct fl_mhd *m)
{
	return m->port;
}

void fl_mhd_quiesce(struct fl_mhd *m)
{
	if (!m || atomic_exchange(&m->closing, true))
		return;
	m->listen_fd = MHD_quiesce_daemon(m->d);
}

size_t fl_mhd_parked(const struct fl_mhd *m)
{
	return atomic_load(&m->parked);
}

bool fl_mhd_drain(struct fl_mhd *m, int64_t timeout_ms)
{
	for (int64_t waited = 0;; waited += 10) {
		if (atomic_load(&m->parked) == 0 && atomic_load(&m->active) == 0)
			return true;
		if (waited >= timeout_ms)
			return atomic_load(&m->parked) == 0;
		usleep(10 * 1000);
	}
}

void fl_mhd_stop(struct fl_mhd *m)
{
	if (!m)
		return;
	if (atomic_load(&m->parked) != 0) {
		/* stopping now would violate the libmicrohttpd API; the process exits anyway */
		FL_LOG_E(NULL, "%zu requests still suspended at shutdown; leaving the HTTP server running",
			 atomic_load(&m->parked));
		return;
	}
	MHD_stop_daemon(m->d);
	if (m->listen_fd != MHD_INVALID_SOCKET)
		close(m->listen_fd);
	/* after the daemon: it removes every connection from the guard as it closes them */
	fl_guard_stop(m->guard);
	free(m);
}
