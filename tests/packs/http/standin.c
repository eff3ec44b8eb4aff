/* SPDX-License-Identifier: Apache-2.0 */
/*
 * standin.c - the stand-in HTTP server of the pack tests (see standin.h).
 */
#include "fl-common.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>

#include "buf.h"
#include "standin.h"

#define MAX_FAULTS 16

struct fault {
	struct standin_fault f;
	char *ctype, *body, *retry_after;
};

struct standin {
	struct MHD_Daemon *d;
	char url[64];
	standin_fn fn;
	void *payload;
	pthread_mutex_t lock;       /* log and faults */
	pthread_mutex_t model_lock; /* model calls are serialised */
	struct standin_req *log;
	size_t n_log, cap_log;
	struct fault faults[MAX_FAULTS];
	size_t n_faults;
};

struct ctx {
	bool started;
	struct standin_req req;
	struct fl_buf body;
};

/* ------------------------------------------------------------ requests */

const char *standin_req_header(const struct standin_req *r, const char *name)
{
	for (size_t i = 0; i < r->n_headers; i++)
		if (!strcasecmp(r->hnames[i], name))
			return r->hvalues[i];
	return NULL;
}

void standin_req_release(struct standin_req *r)
{
	if (!r)
		return;
	free(r->target);
	free(r->path);
	free(r->query);
	for (size_t i = 0; i < r->n_headers; i++) {
		free(r->hnames[i]);
		free(r->hvalues[i]);
	}
	free(r->hnames);
	free(r->hvalues);
	free(r->body);
	memset(r, 0, sizeof(*r));
}

static char *xstrdup(const char *s)
{
	char *p = strdup(s ? s : "");
	if (!p)
		abort();
	return p;
}

static void req_copy(struct standin_req *dst, const struct standin_req *src)
{
	memset(dst, 0, sizeof(*dst));
	memcpy(dst->method, src->method, sizeof(dst->method));
	dst->target = xstrdup(src->target);
	dst->path = xstrdup(src->path);
	dst->query = xstrdup(src->query);
	dst->n_headers = src->n_headers;
	dst->hnames = calloc(src->n_headers + 1, sizeof(char *));
	dst->hvalues = calloc(src->n_headers + 1, sizeof(char *));
	if (!dst->hnames || !dst->hvalues)
		abort();
	for (size_t i = 0; i < src->n_headers; i++) {
		dst->hnames[i] = xstrdup(src->hnames[i]);
		dst->hvalues[i] = xstrdup(src->hvalues[i]);
	}
	dst->body = malloc(src->body_len + 1);
	if (!dst->body)
		abort();
	memcpy(dst->body, src->body ? src->body : "", src->body_len);
	dst->body[src->body_len] = '\0';
	dst->body_len = src->body_len;
}

/* ------------------------------------------------------------ answers */

static void set_body(struct standin_resp *r, const char *s, size_t n)
{
	free(r->body);
	r->body = malloc(n + 1);
	if (!r->body)
		abort();
	memcpy(r->body, s, n);
	r->body[n] = '\0';
	r->body_len = n;
}

void standin_json(struct standin_resp *r, int status, const char *fmt, ...)
{
	struct fl_buf b = FL_BUF_INIT(0);
	va_list ap;

	va_start(ap, fmt);
	fl_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	r->status = status;
	snprintf(r->content_type, sizeof(r->content_type), "application/json;charset=UTF-8");
	set_body(r, b.ptr, b.len);
	fl_buf_release(&b);
}

void standin_text(struct standin_resp *r, int status, const char *ctype, const char *body)
{
	r->status = status;
	snprintf(r->content_type, sizeof(r->content_type), "%s", ctype ? ctype : "");
	set_body(r, body ? body : "", body ? strlen(body) : 0);
}

void standin_header(struct standin_resp *r, const char *name, const char *value)
{
	if (r->n_headers == STANDIN_MAX_HEADERS)
		return;
	snprintf(r->hname[r->n_headers], sizeof(r->hname[0]), "%s", name);
	snprintf(r->hvalue[r->n_headers], sizeof(r->hvalue[0]), "%s", value);
	r->n_headers++;
}

/* ------------------------------------------------------------- server */

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
	struct ctx *c = calloc(1, sizeof(*c));
	const char *q;

	(void)cls;
	(void)conn;
	if (!c)
		abort();
	c->req.target = xstrdup(uri);
	q = strchr(uri, '?');
	c->req.path = q ? strndup(uri, (size_t)(q - uri)) : xstrdup(uri);
	c->req.query = xstrdup(q ? q + 1 : "");
	if (!c->req.path)
		abort();
	fl_buf_init(&c->body, (size_t)16 << 20);
	return c;
}

static enum MHD_Result add_header(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct standin_req *r = cls;
	char **n, **v;

	(void)kind;
	n = realloc(r->hnames, (r->n_headers + 1) * sizeof(*n));
	if (!n)
		abort();
	r->hnames = n;
	v = realloc(r->hvalues, (r->n_headers + 1) * sizeof(*v));
	if (!v)
		abort();
	r->hvalues = v;
	r->hnames[r->n_headers] = xstrdup(key);
	r->hvalues[r->n_headers] = xstrdup(value);
	r->n_headers++;
	return MHD_YES;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static bool take_fault(struct standin *s, struct fault *out)
{
	bool got = false;

	pthread_mutex_lock(&s->lock);
	if (s->n_faults) {
		struct fault *f = &s->faults[0];
		out->f = f->f;
		out->ctype = f->ctype ? xstrdup(f->ctype) : NULL;
		out->body = f->body ? xstrdup(f->body) : NULL;
		out->retry_after = f->retry_after ? xstrdup(f->retry_after) : NULL;
		got = true;
		if (--f->f.count == 0) {
			free(f->ctype);
			free(f->body);
			free(f->retry_after);
			memmove(&s->faults[0], &s->faults[1], (s->n_faults - 1) * sizeof(s->faults[0]));
			s->n_faults--;
		}
	}
	pthread_mutex_unlock(&s->lock);
	return got;
}

static void record(struct standin *s, const struct standin_req *r)
{
	pthread_mutex_lock(&s->lock);
	if (s->n_log == s->cap_log) {
		size_t cap = s->cap_log ? s->cap_log * 2 : 32;
		struct standin_req *l = realloc(s->log, cap * sizeof(*l));
		if (!l)
			abort();
		s->log = l;
		s->cap_log = cap;
	}
	req_copy(&s->log[s->n_log++], r);
	pthread_mutex_unlock(&s->lock);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
				  const char *version, const char *upload_data, size_t *upload_data_size,
				  void **req_cls)
{
	struct standin *s = cls;
	struct ctx *c = *req_cls;
	struct standin_resp resp;
	struct MHD_Response *mr;
	struct fault fault;
	bool faulty;
	enum MHD_Result ok;

	(void)url;
	(void)version;
	if (!c->started) {
		c->started = true;
		snprintf(c->req.method, sizeof(c->req.method), "%s", method);
		MHD_get_connection_values(conn, MHD_HEADER_KIND, add_header, &c->req);
		return MHD_YES;
	}
	if (*upload_data_size) {
		fl_buf_add(&c->body, upload_data, *upload_data_size);
		*upload_data_size = 0;
		return MHD_YES;
	}
	c->req.body_len = c->body.len;
	c->req.body = fl_buf_detach(&c->body, NULL);
	if (!c->req.body)
		c->req.body = xstrdup("");
	record(s, &c->req);

	memset(&resp, 0, sizeof(resp));
	memset(&fault, 0, sizeof(fault));
	faulty = take_fault(s, &fault);
	if (faulty && fault.f.delay_ms)
		sleep_ms(fault.f.delay_ms);
	if (faulty && fault.f.status < 0) {
		free(fault.ctype);
		free(fault.body);
		free(fault.retry_after);
		return MHD_NO; /* drop the connection without an answer */
	}
	if (faulty && fault.f.status > 0) {
		standin_text(&resp, fault.f.status, fault.ctype, fault.body);
		if (fault.retry_after)
			standin_header(&resp, "Retry-After", fault.retry_after);
	} else {
		pthread_mutex_lock(&s->model_lock);
		s->fn(&c->req, &resp, s->payload);
		pthread_mutex_unlock(&s->model_lock);
		if (!resp.status)
			standin_json(&resp, 500, "{\"message\":\"stand-in: the model did not answer %s %s\"}",
				     c->req.method, c->req.path);
	}
	free(fault.ctype);
	free(fault.body);
	free(fault.retry_after);
	mr = MHD_create_response_from_buffer(resp.body_len, resp.body ? resp.body : (char *)"",
					     MHD_RESPMEM_MUST_COPY);
	if (!mr)
		abort();
	if (resp.content_type[0])
		MHD_add_response_header(mr, MHD_HTTP_HEADER_CONTENT_TYPE, resp.content_type);
	for (size_t i = 0; i < resp.n_headers; i++)
		MHD_add_response_header(mr, resp.hname[i], resp.hvalue[i]);
	ok = MHD_queue_response(conn, (unsigned)resp.status, mr);
	MHD_destroy_response(mr);
	free(resp.body);
	return ok;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **req_cls, enum MHD_RequestTerminationCode toe)
{
	struct ctx *c = *req_cls;

	(void)cls;
	(void)conn;
	(void)toe;
	if (!c)
		return;
	fl_buf_release(&c->body);
	standin_req_release(&c->req);
	free(c);
	*req_cls = NULL;
}

int standin_start(struct standin **out, standin_fn fn, void *payload, const struct standin_tls *tls)
{
	struct standin *s = calloc(1, sizeof(*s));
	struct sockaddr_in sa;
	const union MHD_DaemonInfo *info;
	unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD;

	*out = NULL;
	if (!s)
		abort();
	s->fn = fn;
	s->payload = payload;
	pthread_mutex_init(&s->lock, NULL);
	pthread_mutex_init(&s->model_lock, NULL);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (tls) {
		if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
			printf("# stand-in: libmicrohttpd has no TLS support\n");
			free(s);
			return -1;
		}
		flags |= MHD_USE_TLS;
		s->d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, s, MHD_OPTION_SOCK_ADDR, &sa,
					MHD_OPTION_URI_LOG_CALLBACK, on_uri, s, MHD_OPTION_NOTIFY_COMPLETED,
					on_completed, s, MHD_OPTION_HTTPS_MEM_KEY, tls->key_pem,
					MHD_OPTION_HTTPS_MEM_CERT, tls->cert_pem, MHD_OPTION_END);
	} else {
		s->d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, s, MHD_OPTION_SOCK_ADDR, &sa,
					MHD_OPTION_URI_LOG_CALLBACK, on_uri, s, MHD_OPTION_NOTIFY_COMPLETED,
					on_completed, s, MHD_OPTION_END);
	}
	if (!s->d) {
		printf("# stand-in: cannot start libmicrohttpd: %s\n", strerror(errno));
		free(s);
		return -1;
	}
	info = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
	snprintf(s->url, sizeof(s->url), "%s://127.0.0.1:%u", tls ? "https" : "http", info ? info->port : 0);
	*out = s;
	return 0;
}

void standin_reset(struct standin *s)
{
	pthread_mutex_lock(&s->lock);
	for (size_t i = 0; i < s->n_log; i++)
		standin_req_release(&s->log[i]);
	s->n_log = 0;
	for (size_t i = 0; i < s->n_faults; i++) {
		free(s->faults[i].ctype);
		free(s->faults[i].body);
		free(s->faults[i].retry_after);
	}
	s->n_faults = 0;
	pthread_mutex_unlock(&s->lock);
}

void standin_stop(struct standin *s)
{
	if (!s)
		return;
	MHD_stop_daemon(s->d);
	standin_reset(s);
	free(s->log);
	pthread_mutex_destroy(&s->lock);
	pthread_mutex_destroy(&s->model_lock);
	free(s);
}

const char *standin_url(const struct standin *s)
{
	return s->url;
}

size_t standin_count(struct standin *s)
{
	size_t n;

	pthread_mutex_lock(&s->lock);
	n = s->n_log;
	pthread_mutex_unlock(&s->lock);
	return n;
}

int standin_get(struct standin *s, size_t i, struct standin_req *out)
{
	int rc = -1;

	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&s->lock);
	if (i < s->n_log) {
		req_copy(out, &s->log[i]);
		rc = 0;
	}
	pthread_mutex_unlock(&s->lock);
	return rc;
}

void standin_fault(struct standin *s, const struct standin_fault *f)
{
	pthread_mutex_lock(&s->lock);
	if (s->n_faults < MAX_FAULTS && f->count) {
		struct fault *d = &s->faults[s->n_faults++];
		d->f = *f;
		d->ctype = f->ctype ? xstrdup(f->ctype) : NULL;
		d->body = f->body ? xstrdup(f->body) : NULL;
		d->retry_after = f->retry_after ? xstrdup(f->retry_after) : NULL;
		d->f.ctype = d->f.body = d->f.retry_after = NULL;
	}
	pthread_mutex_unlock(&s->lock);
}
