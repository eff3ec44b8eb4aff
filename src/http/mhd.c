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
 * engine bounds every wait (a take waits at most FLYTE_TAKE_WAIT_MS) and an
 * undelivered take answer is released back to the queue.
 *
 * Per request: the URI log callback keeps the raw request target in the
 * connection's context; the first handler call allocates a struct conn_req
 * and runs the phases NEW (headers) -> BODY (chunks) -> PARKED (suspended)
 * -> RESUMED -> DONE (response queued); on_completed() logs and frees it.
 */
#include "fl-common.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <unistd.h>

#include "alloc.h"
#include "http/mhd.h"
#include "log.h"

/* Smallest connection memory pool: above libmicrohttpd's 32 KiB mmap threshold. */
#define POOL_MIN ((size_t)36 << 10)

/* Bytes of an oversized body read and dropped before the connection is closed. */
#define DISCARD_LIMIT ((size_t)16 << 20)

enum phase {
	PH_NEW = 0, /* first handler call: headers complete */
	PH_BODY,    /* routed, collecting the body */
	PH_PARKED,  /* suspended, waiting for the engine */
	PH_RESUMED, /* resumed, answer being built */
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
};

/*
 * Per connection: the raw request target of the request being read.  The
 * URI callback sees every request, but libmicrohttpd reports completion only
 * for requests that reached the handler, so nothing per request is
 * allocated before that; the target waits here.
 */
struct conn_ctx {
	char *target;
};

struct conn_req {
	struct fl_mhd *m;
	struct MHD_Connection *conn;
	enum phase phase;
	bool too_big;
	bool queued;
	size_t discarded; /* body bytes read after the limit was passed */
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
	if (atomic_load(&cr->m->closing))
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
	/* keep len for the access log even though the buffer moved to MHD */
	r->body.len = 0;
	ok = MHD_queue_response(cr->conn, (unsigned)r->status, resp);
	MHD_destroy_response(resp);
	if (ok == MHD_YES) {
		cr->queued = true;
		cr->phase = PH_DONE;
	}
	return ok;
}

/* A take answer is about to go to a client that may have hung up while parked. */
static bool peer_closed(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	char c;

	if (!ci)
		return false;
	return recv(ci->connect_fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) == 0;
}

/* ----------------------------------------------------------- handler */

static const char *header(struct MHD_Connection *conn, const char *name)
{
	return MHD_lookup_connection_value(conn, MHD_HEADER_KIND, name);
}

static enum MHD_Result add_header_size(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	size_t *sum = cls;

	(void)kind;
	*sum += strlen(key) + (value ? strlen(value) : 0) + 4; /* ": " and CRLF */
	return MHD_YES;
}

static void read_headers(struct conn_req *cr)
{
	struct fl_request_headers *h = &cr->req.h;
	struct MHD_Connection *c = cr->conn;

	h->host = header(c, MHD_HTTP_HEADER_HOST);
	h->x_forwarded_proto = header(c, "X-Forwarded-Proto");
	h->x_forwarded_host = header(c, "X-Forwarded-Host");
	h->x_flyte_host = header(c, "X-Flyte-Host");
	h->accept = header(c, MHD_HTTP_HEADER_ACCEPT);
	h->content_type = header(c, MHD_HTTP_HEADER_CONTENT_TYPE);
	h->content_length = header(c, MHD_HTTP_HEADER_CONTENT_LENGTH);
	h->authorization = header(c, MHD_HTTP_HEADER_AUTHORIZATION);
	h->x_request_id = header(c, "X-Request-Id");
	cr->req.header_bytes = strlen(cr->req.method) + strlen(cr->req.target) + 12;
	MHD_get_connection_values(c, MHD_HEADER_KIND, add_header_size, &cr->req.header_bytes);
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

	(void)version;
	if (!cr) {
		struct conn_ctx *cc = conn_ctx_of(conn);

		/* first call: from here on libmicrohttpd reports the completion */
		cr = fl_xcalloc(1, sizeof(*cr));
		cr->m = m;
		cr->conn = conn;
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
		read_headers(cr);
		cr->phase = PH_BODY;
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
		if (cr->too_big)
			return respond(cr);
		if (fl_request_run(&cr->req) == FL_EAGAIN) {
			fl_request_park(&cr->req);
			return MHD_YES;
		}
		return respond(cr);
	case PH_PARKED:
		cr->phase = PH_RESUMED;
		atomic_fetch_sub(&m->parked, 1);
		fl_request_resumed(&cr->req);
		if (cr->req.on_undelivered && peer_closed(conn))
			fl_request_undelivered(&cr->req);
		return respond(cr);
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
	struct conn_ctx *cc = conn_ctx_of(conn);

	(void)cls;
	if (cc) {
		free(cc->target);
		cc->target = fl_xstrdup(uri ? uri : "");
	}
	return NULL;
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
			  enum MHD_ConnectionNotificationCode toe)
{
	struct conn_ctx *cc = *socket_context;

	(void)cls;
	(void)conn;
	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		*socket_context = fl_xcalloc(1, sizeof(struct conn_ctx));
		return;
	}
	if (cc) {
		free(cc->target);
		free(cc);
	}
	*socket_context = NULL;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode toe)
{
	struct fl_mhd *m = cls;
	struct conn_req *cr = *con_cls;

	(void)conn;
	if (!cr)
		return;
	*con_cls = NULL;
	if (cr->phase == PH_PARKED) {
		/*
		 * Resumed, but the connection failed (client gone) before the
		 * handler ran again: build the answer anyway so that what it
		 * holds (a taken action) is released as undelivered.
		 */
		atomic_fetch_sub(&m->parked, 1);
		if (atomic_load(&cr->req.async) == FL_REQUEST_DONE)
			fl_request_resumed(&cr->req);
	}
	fl_request_end(&cr->req, cr->queued && toe == MHD_REQUEST_TERMINATED_COMPLETED_OK);
	fl_request_release(&cr->req);
	free(cr);
	atomic_fetch_sub(&m->active, 1);
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];
	size_t n;

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
		msg[--n] = '\0';
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

	*out = NULL;
	m->ctx = cfg->ctx;
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
	 * chunks.  It is sized from the header limit (our own check answers
	 * 431 precisely; headers that do not fit at all get libmicrohttpd's
	 * own 431), but never below POOL_MIN: libmicrohttpd mallocs pools of
	 * 32 KiB or less and mmaps larger ones, and malloc'ed pools left the
	 * heap fragmented after bursts of connections (RSS stayed high) while
	 * mmap'ed pools go back to the kernel when a connection closes and
	 * cost only the pages actually touched.
	 */
	m->d = MHD_start_daemon(flags, cfg->port, NULL, NULL, on_request, m, MHD_OPTION_SOCK_ADDR, sa,
				MHD_OPTION_THREAD_POOL_SIZE, cfg->threads, MHD_OPTION_CONNECTION_LIMIT,
				cfg->max_connections, MHD_OPTION_CONNECTION_TIMEOUT, cfg->connection_timeout_sec,
				MHD_OPTION_CONNECTION_MEMORY_LIMIT, FL_MAX(cfg->max_header_bytes + (size_t)8192, POOL_MIN),
				MHD_OPTION_NOTIFY_COMPLETED, on_completed, m, MHD_OPTION_NOTIFY_CONNECTION, on_connection, m,
				MHD_OPTION_URI_LOG_CALLBACK, on_uri, m,
				MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, m, MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
	if (!m->d) {
		int e = errno;
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
	free(m);
}
