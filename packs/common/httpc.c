/* SPDX-License-Identifier: Apache-2.0 */
/*
 * httpc.c - the HTTP client shared by the REST packs (see httpc.h).
 *
 * Each request borrows a curl easy handle from a small pool kept in the
 * handle (guarded by a mutex), so concurrent action handlers never share a
 * curl handle while keep-alive connections are still reused: curl keeps the
 * connection cache of an easy handle across curl_easy_reset().  Transfers are
 * plain curl_easy_perform() calls with CURLOPT_NOSIGNAL, bounded by the
 * connect and total time-outs.
 *
 * Nothing here logs or returns a secret: every text that leaves the module
 * (logs, httpc_describe(), response->error) goes through httpc_redact(),
 * which knows the password, the token, the Basic credentials as they travel
 * on the wire and the password of the base URL's userinfo.
 */
#include "fl-common.h"

#include <ctype.h>
#include <pthread.h>
#include <strings.h>
#include <unistd.h>

#include <curl/curl.h>

#include "b64.h"
#include "httpc.h"
#include "packenv.h"
#include "timeutil.h"
#include "utf8.h"

#define POOL_MAX 8
#define MAX_SECRETS 6
#define MAX_HEADERS 256

struct httpc {
	char *name;
	char *base_url;
	enum httpc_auth auth;
	bool basic; /* send Basic credentials (user, password) */
	char *user;
	char *password;
	char *auth_header; /* "Authorization: Bearer x" / "X-Consul-Token: x" */
	char *ca_file, *ca_path, *cert_file, *key_file, *unix_socket;
	bool insecure;
	long connect_timeout_ms, timeout_ms, retry_initial_ms, retry_max_ms;
	unsigned max_attempts;
	size_t max_response;
	char *user_agent;
	char *query; /* sent with every request, after its own */
	flyte_log_fn log_fn;
	void *log_payload;
	enum flyte_log_level log_level;
	char *secrets[MAX_SECRETS];
	size_t n_secrets;

	pthread_mutex_t lock;
	CURL *idle[POOL_MAX];
	size_t n_idle;
	uint64_t rng;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc = CURLE_FAILED_INIT;

static void curl_init(void)
{
	curl_init_rc = curl_global_init(CURL_GLOBAL_ALL);
}

/* ------------------------------------------------------------ options */

void httpc_options_init(struct httpc_options *o)
{
	memset(o, 0, sizeof(*o));
	o->connect_timeout_ms = HTTPC_DEFAULT_CONNECT_TIMEOUT_MS;
	o->timeout_ms = HTTPC_DEFAULT_TIMEOUT_MS;
	o->max_attempts = HTTPC_DEFAULT_MAX_ATTEMPTS;
	o->retry_initial_ms = HTTPC_DEFAULT_RETRY_INITIAL_MS;
	o->retry_max_ms = HTTPC_DEFAULT_RETRY_MAX_MS;
	o->max_response = HTTPC_DEFAULT_MAX_RESPONSE;
	o->log_level = FLYTE_LOG_INFO;
}

static const char *env(const char *prefix, const char *suffix, char *name, size_t namelen)
{
	snprintf(name, namelen, "%s_%s", prefix, suffix);
	return packenv_get(name);
}

/* Seconds (decimals allowed) → ms; -1 when malformed or out of range. */
static long parse_seconds(const char *v)
{
	char *end;
	double d;

	errno = 0;
	d = strtod(v, &end);
	if (errno || end == v || *end || !(d >= 0) || d > 86400.0)
		return -1;
	return (long)(d * 1000.0 + 0.5);
}

int httpc_options_from_env(struct httpc_options *o, const char *prefix, unsigned flags, char *err,
			   size_t errlen)
{
	char name[128];
	const char *v;
	long n;
	long ms;

	if (!(flags & HTTPC_ENV_NO_TLS)) {
		bool b = o->insecure != 0;
		if ((v = env(prefix, "CA_FILE", name, sizeof(name))))
			o->ca_file = v;
		if ((v = env(prefix, "CA_PATH", name, sizeof(name))))
			o->ca_path = v;
		snprintf(name, sizeof(name), "%s_INSECURE", prefix);
		if (packenv_bool(name, &b, err, errlen))
			return FLYTE_EINVALID;
		o->insecure = b;
	}
	if ((v = env(prefix, "TIMEOUT_SEC", name, sizeof(name)))) {
		if ((ms = parse_seconds(v)) < 0)
			goto bad_seconds;
		o->timeout_ms = ms;
	}
	if ((v = env(prefix, "CONNECT_TIMEOUT_SEC", name, sizeof(name)))) {
		if ((ms = parse_seconds(v)) < 0)
			goto bad_seconds;
		o->connect_timeout_ms = ms;
	}
	snprintf(name, sizeof(name), "%s_RETRIES", prefix);
	n = -1;
	if (packenv_long(name, 0, 10, &n, err, errlen))
		return FLYTE_EINVALID;
	if (n >= 0)
		o->max_attempts = (unsigned)n + 1;
	snprintf(name, sizeof(name), "%s_RETRY_DELAY_MS", prefix);
	if (packenv_long(name, 1, 60000, &o->retry_initial_ms, err, errlen))
		return FLYTE_EINVALID;
	snprintf(name, sizeof(name), "%s_MAX_RESPONSE_BYTES", prefix);
	n = 0;
	if (packenv_long(name, 1024, 1L << 30, &n, err, errlen))
		return FLYTE_EINVALID;
	if (n)
		o->max_response = (size_t)n;
	return FLYTE_OK;
bad_seconds:
	snprintf(err, errlen, "invalid %s '%s': expected seconds (0..86400, decimals allowed)", name, v);
	return FLYTE_EINVALID;
}

/* ------------------------------------------------------------- handle */

static bool has_crlf(const char *s)
{
	return s && strpbrk(s, "\r\n") != NULL;
}

static int dup_opt(char **dst, const char *src)
{
	*dst = NULL;
	if (!src || !*src)
		return 0;
	*dst = strdup(src);
	return *dst ? 0 : -1;
}

static void add_secret(struct httpc *h, const char *s, size_t len)
{
	if (!s || !len || h->n_secrets == MAX_SECRETS)
		return;
	h->secrets[h->n_secrets] = strndup(s, len);
	if (h->secrets[h->n_secrets])
		h->n_secrets++;
}

/* Check the base URL; remember the password of its userinfo as a secret. */
static int check_base_url(struct httpc *h, char *err, size_t errlen)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *pass = NULL, *query = NULL, *frag = NULL;
	int rc = FLYTE_EINVALID;

	if (!u)
		return FLYTE_ENOMEM;
	if (curl_url_set(u, CURLUPART_URL, h->base_url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
		snprintf(err, errlen, "invalid %s URL: not an absolute http(s) URL", h->name);
		goto out;
	}
	if (strcasecmp(scheme, "http") && strcasecmp(scheme, "https")) {
		snprintf(err, errlen, "invalid %s URL: scheme '%s' is not http or https", h->name, scheme);
		goto out;
	}
	if (curl_url_get(u, CURLUPART_QUERY, &query, 0) == CURLUE_OK ||
	    curl_url_get(u, CURLUPART_FRAGMENT, &frag, 0) == CURLUE_OK) {
		snprintf(err, errlen, "invalid %s URL: it must not have a query or fragment", h->name);
		goto out;
	}
	if (curl_url_get(u, CURLUPART_PASSWORD, &pass, 0) == CURLUE_OK && *pass) {
		char *raw = NULL;
		add_secret(h, pass, strlen(pass));
		/* as written in the URL, possibly percent-encoded */
		if (curl_url_get(u, CURLUPART_PASSWORD, &raw, CURLU_URLENCODE) == CURLUE_OK)
			add_secret(h, raw, strlen(raw));
		curl_free(raw);
	}
	rc = FLYTE_OK;
out:
	curl_free(scheme);
	curl_free(host);
	curl_free(pass);
	curl_free(query);
	curl_free(frag);
	curl_url_cleanup(u);
	return rc;
}

static int check_file(const char *what, const char *path, char *err, size_t errlen)
{
	if (path && access(path, R_OK)) {
		snprintf(err, errlen, "cannot read %s '%s': %s", what, path, strerror(errno));
		return FLYTE_EINVALID;
	}
	return FLYTE_OK;
}

/* Basic credentials (also used with HTTPC_AUTH_HEADER when a user is set). */
static int setup_basic(struct httpc *h, const struct httpc_options *o, char *err, size_t errlen)
{
	struct fl_buf b = FL_BUF_INIT(0), enc = FL_BUF_INIT(0);

	if (!o->user || !*o->user) {
		snprintf(err, errlen, "%s: Basic authentication needs a user name", h->name);
		return FLYTE_EINVALID;
	}
	if (strchr(o->user, ':') || has_crlf(o->user) || has_crlf(o->password)) {
		snprintf(err, errlen, "%s: the user name must not contain ':' or line breaks", h->name);
		return FLYTE_EINVALID;
	}
	if (dup_opt(&h->user, o->user) || !(h->password = strdup(o->password ? o->password : "")))
		return FLYTE_ENOMEM;
	h->basic = true;
	add_secret(h, h->password, strlen(h->password));
	/* the credentials as they travel, should a server echo them */
	fl_buf_addf(&b, "%s:%s", h->user, h->password);
	fl_b64_encode(&enc, b.ptr, b.len, FL_B64_PAD);
	if (!fl_buf_failed(&enc))
		add_secret(h, enc.ptr, enc.len);
	fl_buf_release(&b);
	fl_buf_release(&enc);
	return FLYTE_OK;
}

static int setup_auth(struct httpc *h, const struct httpc_options *o, char *err, size_t errlen)
{
	struct fl_buf b = FL_BUF_INIT(0);

	h->auth = o->auth;
	switch (o->auth) {
	case HTTPC_AUTH_NONE:
		return FLYTE_OK;
	case HTTPC_AUTH_BASIC:
		return setup_basic(h, o, err, errlen);
	case HTTPC_AUTH_BEARER:
	case HTTPC_AUTH_HEADER:
		if (!o->token || !*o->token) {
			snprintf(err, errlen, "%s: token authentication needs a token", h->name);
			return FLYTE_EINVALID;
		}
		if (has_crlf(o->token)) {
			snprintf(err, errlen, "%s: the token must not contain line breaks", h->name);
			return FLYTE_EINVALID;
		}
		if (o->auth == HTTPC_AUTH_HEADER) {
			const char *n = o->token_header;
			if (!n || !*n || strpbrk(n, ": \t\r\n")) {
				snprintf(err, errlen, "%s: invalid token header name", h->name);
				return FLYTE_EINVALID;
			}
			fl_buf_addf(&b, "%s: %s", n, o->token);
		} else {
			fl_buf_addf(&b, "Authorization: Bearer %s", o->token);
		}
		h->auth_header = fl_buf_detach(&b, NULL);
		if (!h->auth_header)
			return FLYTE_ENOMEM;
		add_secret(h, o->token, strlen(o->token));
		if (o->auth == HTTPC_AUTH_HEADER && o->user && *o->user)
			return setup_basic(h, o, err, errlen); /* e.g. a proxy in front of Consul */
		return FLYTE_OK;
	}
	snprintf(err, errlen, "%s: unknown authentication kind", h->name);
	return FLYTE_EINVALID;
}

int httpc_new(struct httpc **out, const struct httpc_options *o, char *err, size_t errlen)
{
	struct httpc *h;
	size_t n;
	int rc;

	*out = NULL;
	pthread_once(&curl_once, curl_init);
	if (curl_init_rc != CURLE_OK) {
		snprintf(err, errlen, "cannot initialise libcurl: %s", curl_easy_strerror(curl_init_rc));
		return FLYTE_ERROR;
	}
	h = calloc(1, sizeof(*h));
	if (!h)
		goto oom;
	if (pthread_mutex_init(&h->lock, NULL)) {
		free(h);
		snprintf(err, errlen, "cannot create a mutex");
		return FLYTE_ERROR;
	}
	if (!(h->name = strdup(o->name && *o->name ? o->name : "http")))
		goto oom;
	if (!o->base_url || !*o->base_url) {
		snprintf(err, errlen, "%s: no base URL", h->name);
		rc = FLYTE_EINVALID;
		goto fail;
	}
	if (!(h->base_url = strdup(o->base_url)))
		goto oom;
	n = strlen(h->base_url);
	while (n > 0 && h->base_url[n - 1] == '/')
		h->base_url[--n] = '\0';
	if ((rc = check_base_url(h, err, errlen)) || (rc = setup_auth(h, o, err, errlen)))
		goto fail;
	if ((rc = check_file("CA file", o->ca_file, err, errlen)) ||
	    (rc = check_file("client certificate", o->cert_file, err, errlen)) ||
	    (rc = check_file("client key", o->key_file, err, errlen)))
		goto fail;
	if (dup_opt(&h->ca_file, o->ca_file) || dup_opt(&h->ca_path, o->ca_path) ||
	    dup_opt(&h->cert_file, o->cert_file) || dup_opt(&h->key_file, o->key_file) ||
	    dup_opt(&h->unix_socket, o->unix_socket) || dup_opt(&h->query, o->query))
		goto oom;
	if (o->user_agent && *o->user_agent) {
		if (has_crlf(o->user_agent)) {
			snprintf(err, errlen, "%s: the user agent must not contain line breaks", h->name);
			rc = FLYTE_EINVALID;
			goto fail;
		}
		h->user_agent = strdup(o->user_agent);
	} else {
		struct fl_buf b = FL_BUF_INIT(0);
		fl_buf_addf(&b, "flyte-packs/%s", flyte_version());
		h->user_agent = fl_buf_detach(&b, NULL);
	}
	if (!h->user_agent)
		goto oom;
	h->insecure = o->insecure != 0;
	h->connect_timeout_ms = o->connect_timeout_ms > 0 ? o->connect_timeout_ms : 0;
	h->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : 0;
	h->max_attempts = o->max_attempts ? o->max_attempts : 1;
	h->retry_initial_ms = o->retry_initial_ms > 0 ? o->retry_initial_ms : 1;
	h->retry_max_ms = o->retry_max_ms > 0 ? o->retry_max_ms : h->retry_initial_ms;
	h->max_response = o->max_response ? o->max_response : HTTPC_DEFAULT_MAX_RESPONSE;
	h->log_fn = o->log_fn;
	h->log_payload = o->log_payload;
	h->log_level = o->log_level;
	h->rng = (uint64_t)fl_time_mono_ns() ^ (uint64_t)(uintptr_t)h ^ 0x9e3779b97f4a7c15ull;
	*out = h;
	return FLYTE_OK;
oom:
	snprintf(err, errlen, "out of memory");
	rc = FLYTE_ENOMEM;
fail:
	httpc_free(h);
	return rc;
}

void httpc_free(struct httpc *h)
{
	if (!h)
		return;
	for (size_t i = 0; i < h->n_idle; i++)
		curl_easy_cleanup(h->idle[i]);
	for (size_t i = 0; i < h->n_secrets; i++) {
		explicit_bzero(h->secrets[i], strlen(h->secrets[i]));
		free(h->secrets[i]);
	}
	if (h->password)
		explicit_bzero(h->password, strlen(h->password));
	if (h->auth_header)
		explicit_bzero(h->auth_header, strlen(h->auth_header));
	free(h->name);
	free(h->base_url);
	free(h->user);
	free(h->password);
	free(h->auth_header);
	free(h->ca_file);
	free(h->ca_path);
	free(h->cert_file);
	free(h->key_file);
	free(h->unix_socket);
	free(h->user_agent);
	free(h->query);
	pthread_mutex_destroy(&h->lock);
	free(h);
}

const char *httpc_base_url(const struct httpc *h)
{
	return h->base_url;
}

const char *httpc_name(const struct httpc *h)
{
	return h->name;
}

/* ------------------------------------------------------ redaction, logs */

void httpc_redact(const struct httpc *h, char *text)
{
	if (!h || !text)
		return;
	for (size_t i = 0; i < h->n_secrets; i++) {
		const char *s = h->secrets[i];
		size_t slen = strlen(s);
		char *p = text;

		while ((p = strstr(p, s)) != NULL) {
			if (slen >= 3) {
				memcpy(p, "***", 3);
				memmove(p + 3, p + slen, strlen(p + slen) + 1);
				p += 3;
			} else {
				memset(p, '*', slen);
				p += slen;
			}
		}
	}
}

void httpc_logf(const struct httpc *h, enum flyte_log_level level, const char *fmt, ...)
{
	char msg[2048];
	va_list ap;

	if (!h || !h->log_fn || level < h->log_level || level >= FLYTE_LOG_NONE)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	httpc_redact(h, msg);
	h->log_fn(level, msg, h->log_payload);
}

/* ------------------------------------------------------------ response */

void httpc_response_init(struct httpc_response *r)
{
	memset(r, 0, sizeof(*r));
}

static void clear_answer(struct httpc_response *r)
{
	free(r->body);
	free(r->content_type);
	for (size_t i = 0; i < r->n_headers; i++) {
		free(r->headers[i].name);
		free(r->headers[i].value);
	}
	free(r->headers);
	r->body = NULL;
	r->body_len = 0;
	r->content_type = NULL;
	r->headers = NULL;
	r->n_headers = 0;
	r->status = 0;
}

void httpc_response_release(struct httpc_response *r)
{
	if (!r)
		return;
	clear_answer(r);
	memset(r, 0, sizeof(*r));
}

const char *httpc_response_header(const struct httpc_response *r, const char *name)
{
	for (size_t i = 0; i < r->n_headers; i++)
		if (!strcasecmp(r->headers[i].name, name))
			return r->headers[i].value;
	return NULL;
}

/* ------------------------------------------------------------- transfer */

struct xfer {
	struct fl_buf body;
	size_t max;
	bool toobig;
	bool oom;
	struct httpc_response *resp;
};

static size_t on_body(char *data, size_t size, size_t n, void *ud)
{
	struct xfer *x = ud;
	size_t len = size * n;

	if (len > x->max || x->body.len > x->max - len) {
		x->toobig = true;
		return 0;
	}
	fl_buf_add(&x->body, data, len);
	if (fl_buf_failed(&x->body)) {
		x->oom = true;
		return 0;
	}
	return len;
}

static size_t on_header(char *data, size_t size, size_t n, void *ud)
{
	struct xfer *x = ud;
	struct httpc_response *r = x->resp;
	size_t len = size * n, k;
	const char *colon;
	struct httpc_header *hs;

	if (len >= 5 && !memcmp(data, "HTTP/", 5)) {
		/* a new status line (100 Continue, then the final one): start over */
		for (size_t i = 0; i < r->n_headers; i++) {
			free(r->headers[i].name);
			free(r->headers[i].value);
		}
		r->n_headers = 0;
		return len;
	}
	colon = memchr(data, ':', len);
	if (!colon || colon == data || r->n_headers >= MAX_HEADERS)
		return len;
	hs = realloc(r->headers, (r->n_headers + 1) * sizeof(*hs));
	if (!hs) {
		x->oom = true;
		return 0;
	}
	r->headers = hs;
	k = (size_t)(colon - data);
	colon++;
	while (colon < data + len && (*colon == ' ' || *colon == '\t'))
		colon++;
	n = (size_t)(data + len - colon);
	while (n > 0 && (colon[n - 1] == '\r' || colon[n - 1] == '\n' || colon[n - 1] == ' ' || colon[n - 1] == '\t'))
		n--;
	hs[r->n_headers].name = strndup(data, k);
	hs[r->n_headers].value = strndup(colon, n);
	if (!hs[r->n_headers].name || !hs[r->n_headers].value) {
		free(hs[r->n_headers].name);
		free(hs[r->n_headers].value);
		x->oom = true;
		return 0;
	}
	r->n_headers++;
	return len;
}

static CURL *borrow(struct httpc *h)
{
	CURL *e = NULL;

	pthread_mutex_lock(&h->lock);
	if (h->n_idle)
		e = h->idle[--h->n_idle];
	pthread_mutex_unlock(&h->lock);
	return e ? e : curl_easy_init();
}

static void give_back(struct httpc *h, CURL *e)
{
	if (!e)
		return;
	pthread_mutex_lock(&h->lock);
	if (h->n_idle < POOL_MAX) {
		h->idle[h->n_idle++] = e;
		e = NULL;
	}
	pthread_mutex_unlock(&h->lock);
	if (e)
		curl_easy_cleanup(e);
}

/* Uniform in [lo, hi]. */
static long jitter(struct httpc *h, long lo, long hi)
{
	uint64_t x;

	pthread_mutex_lock(&h->lock);
	x = h->rng;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	h->rng = x;
	pthread_mutex_unlock(&h->lock);
	return hi > lo ? lo + (long)(x % (uint64_t)(hi - lo + 1)) : lo;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static bool retryable_status(long status, unsigned flags)
{
	if (status == 429)
		return true;
	if (!(flags & HTTPC_IDEMPOTENT))
		return false;
	return status == 500 || status == 502 || status == 503 || status == 504;
}

static bool retryable_transport(CURLcode cc, unsigned flags)
{
	switch (cc) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_CONNECT:
		return true; /* nothing was sent */
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
		return (flags & HTTPC_IDEMPOTENT) != 0;
	default:
		return false; /* TLS and configuration errors do not heal */
	}
}

static bool has_header(const char *const *headers, const char *name)
{
	size_t n = strlen(name);

	for (size_t i = 0; headers && headers[i]; i++)
		if (!strncasecmp(headers[i], name, n) && headers[i][n] == ':')
			return true;
	return false;
}

static int build_headers(struct httpc *h, const struct httpc_request *req, const char *ctype,
			 struct curl_slist **out)
{
	struct curl_slist *l = NULL, *t;
	struct fl_buf b = FL_BUF_INIT(0);
	int rc = FLYTE_ENOMEM;

#define ADD(s)                                  \
	do {                                    \
		t = curl_slist_append(l, (s));  \
		if (!t)                         \
			goto out;               \
		l = t;                          \
	} while (0)

	for (size_t i = 0; req->headers && req->headers[i]; i++) {
		if (has_crlf(req->headers[i]) || !strchr(req->headers[i], ':')) {
			rc = FLYTE_EINVALID;
			goto out;
		}
		ADD(req->headers[i]);
	}
	if (!has_header(req->headers, "Accept"))
		ADD("Accept: application/json");
	if (!has_header(req->headers, "Content-Type")) {
		if (ctype) {
			if (has_crlf(ctype)) {
				rc = FLYTE_EINVALID;
				goto out;
			}
			fl_buf_addf(&b, "Content-Type: %s", ctype);
			if (fl_buf_failed(&b))
				goto out;
			ADD(b.ptr);
		} else {
			ADD("Content-Type:"); /* no form content type for an empty POST */
		}
	}
	ADD("Expect:"); /* no 100-continue round trip */
	if (h->auth_header)
		ADD(h->auth_header);
#undef ADD
	*out = l;
	l = NULL;
	rc = FLYTE_OK;
out:
	fl_buf_release(&b);
	curl_slist_free_all(l);
	return rc;
}

static void set_error(struct httpc *h, struct httpc_response *r, const char *fmt, ...) FL_PRINTF(3, 4);

static void set_error(struct httpc *h, struct httpc_response *r, const char *fmt, ...)
{
	int n = snprintf(r->error, sizeof(r->error), "%s %s: ", r->method, r->url);
	va_list ap;

	if (n < 0 || (size_t)n >= sizeof(r->error))
		n = 0;
	va_start(ap, fmt);
	vsnprintf(r->error + n, sizeof(r->error) - (size_t)n, fmt, ap);
	va_end(ap);
	httpc_redact(h, r->error);
}

/* One exchange.  Returns the CURLcode; fills r (status, body, headers). */
static CURLcode perform(struct httpc *h, CURL *e, const char *url, const struct httpc_request *req,
			const char *body, size_t body_len, struct curl_slist *headers, struct xfer *x,
			char *errbuf)
{
	const char *m = req->method;
	CURLcode cc;
	long status = 0;

	curl_easy_reset(e);
	errbuf[0] = '\0';
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(e, CURLOPT_USERAGENT, h->user_agent);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, x);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, req->timeout_ms > 0 ? req->timeout_ms : h->timeout_ms);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, h->connect_timeout_ms);
	curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
	curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
	if (h->unix_socket)
		curl_easy_setopt(e, CURLOPT_UNIX_SOCKET_PATH, h->unix_socket);
	if (h->ca_file)
		curl_easy_setopt(e, CURLOPT_CAINFO, h->ca_file);
	if (h->ca_path)
		curl_easy_setopt(e, CURLOPT_CAPATH, h->ca_path);
	if (h->cert_file)
		curl_easy_setopt(e, CURLOPT_SSLCERT, h->cert_file);
	if (h->key_file)
		curl_easy_setopt(e, CURLOPT_SSLKEY, h->key_file);
	if (h->insecure) {
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (h->basic) {
		curl_easy_setopt(e, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(e, CURLOPT_USERNAME, h->user);
		curl_easy_setopt(e, CURLOPT_PASSWORD, h->password);
	}
	if (!strcmp(m, "GET")) {
		curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
	} else if (!strcmp(m, "HEAD")) {
		curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
	} else {
		if (body || !strcmp(m, "POST") || !strcmp(m, "PUT") || !strcmp(m, "PATCH")) {
			curl_easy_setopt(e, CURLOPT_POSTFIELDS, body ? body : "");
			curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(body ? body_len : 0));
		}
		if (strcmp(m, "POST"))
			curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, m);
	}
	cc = curl_easy_perform(e);
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
	x->resp->status = cc == CURLE_OK ? status : 0;
	return cc;
}

static void describe_transport(struct httpc *h, struct httpc_response *r, CURLcode cc, const struct xfer *x,
			       const char *errbuf, long timeout_ms)
{
	if (x->toobig) {
		r->code = FLYTE_ETOOBIG;
		set_error(h, r, "answer larger than %zu bytes", h->max_response);
	} else if (x->oom) {
		r->code = FLYTE_ENOMEM;
		set_error(h, r, "out of memory while reading the answer");
	} else if (cc == CURLE_OPERATION_TIMEDOUT) {
		r->code = FLYTE_ETIMEOUT;
		set_error(h, r, "timed out after %ld ms", timeout_ms);
	} else {
		r->code = FLYTE_ENETWORK;
		set_error(h, r, "%s", errbuf[0] ? errbuf : curl_easy_strerror(cc));
	}
}

int httpc_send(struct httpc *h, const struct httpc_request *req, struct httpc_response *out)
{
	struct fl_buf url = FL_BUF_INIT(0);
	struct curl_slist *headers = NULL;
	char *json = NULL, errbuf[CURL_ERROR_SIZE];
	const char *body = req->body, *ctype = req->content_type;
	size_t body_len = req->body_len;
	long timeout_ms = req->timeout_ms > 0 ? req->timeout_ms : h->timeout_ms;
	CURL *e = NULL;
	int rc;

	httpc_response_init(out);
	if (!req->method || !*req->method || strlen(req->method) >= sizeof(out->method) ||
	    strpbrk(req->method, " \t\r\n")) {
		snprintf(out->error, sizeof(out->error), "invalid HTTP method");
		return out->code = FLYTE_EINVALID;
	}
	snprintf(out->method, sizeof(out->method), "%s", req->method);
	fl_buf_adds(&url, h->base_url);
	if (req->path && *req->path) {
		if (req->path[0] != '/')
			fl_buf_addc(&url, '/');
		fl_buf_adds(&url, req->path);
	}
	snprintf(out->url, sizeof(out->url), "%s", url.ptr);
	httpc_redact(h, out->url);
	if ((req->query && *req->query) || h->query) {
		fl_buf_addc(&url, '?');
		fl_buf_adds(&url, req->query ? req->query : "");
		if (req->query && *req->query && h->query)
			fl_buf_addc(&url, '&');
		fl_buf_adds(&url, h->query ? h->query : "");
	}
	if (fl_buf_failed(&url)) {
		rc = FLYTE_ENOMEM;
		set_error(h, out, "out of memory");
		goto done;
	}
	if (has_crlf(url.ptr) || strpbrk(url.ptr, " \t")) {
		rc = FLYTE_EINVALID;
		set_error(h, out, "the URL contains blanks or line breaks");
		goto done;
	}
	if (req->json) {
		json = json_dumps(req->json, JSON_COMPACT | JSON_ENCODE_ANY);
		if (!json) {
			rc = FLYTE_EINVALID;
			set_error(h, out, "cannot serialise the JSON body");
			goto done;
		}
		body = json;
		body_len = strlen(json);
		ctype = "application/json";
	}
	if ((rc = build_headers(h, req, ctype, &headers))) {
		set_error(h, out, rc == FLYTE_EINVALID ? "invalid request header" : "out of memory");
		goto done;
	}
	if (!(e = borrow(h))) {
		rc = FLYTE_ENOMEM;
		set_error(h, out, "cannot create a curl handle");
		goto done;
	}
	for (unsigned attempt = 1;; attempt++) {
		struct xfer x;
		int64_t t0 = fl_time_mono_ns();
		curl_off_t retry_after = -1;
		CURLcode cc;
		bool retry;
		long delay;

		clear_answer(out);
		out->error[0] = '\0';
		out->code = FLYTE_OK;
		memset(&x, 0, sizeof(x));
		fl_buf_init(&x.body, 0);
		x.max = h->max_response;
		x.resp = out;
		cc = perform(h, e, url.ptr, req, body, body_len, headers, &x, errbuf);
		out->attempts = attempt;
		if (cc == CURLE_OK) {
			char *ct = NULL;
			out->body_len = x.body.len;
			out->body = fl_buf_detach(&x.body, NULL);
			if (!out->body) {
				out->body_len = 0;
				out->body = strdup("");
			}
			curl_easy_getinfo(e, CURLINFO_CONTENT_TYPE, &ct);
			if (ct)
				out->content_type = strdup(ct);
			if (!out->body) {
				rc = out->code = FLYTE_ENOMEM;
				set_error(h, out, "out of memory");
				break;
			}
			curl_easy_getinfo(e, CURLINFO_RETRY_AFTER, &retry_after);
			httpc_logf(h, FLYTE_LOG_DEBUG, "%s: %s %s -> %ld (%zu bytes, %" PRId64 " ms)", h->name,
				   out->method, out->url, out->status, out->body_len,
				   (fl_time_mono_ns() - t0) / FL_NS_PER_MS);
			rc = FLYTE_OK;
			retry = !(req->flags & HTTPC_NO_RETRY) && retryable_status(out->status, req->flags);
		} else {
			fl_buf_release(&x.body);
			describe_transport(h, out, cc, &x, errbuf, timeout_ms);
			rc = out->code;
			httpc_logf(h, FLYTE_LOG_DEBUG, "%s: %s", h->name, out->error);
			retry = !(req->flags & HTTPC_NO_RETRY) && !x.toobig && !x.oom && retryable_transport(cc, req->flags);
		}
		if (!retry || attempt >= h->max_attempts)
			break;
		if (retry_after > 0) {
			if (retry_after > (curl_off_t)(h->retry_max_ms / 1000)) {
				httpc_logf(h, FLYTE_LOG_INFO,
					   "%s: %s %s asks to retry after %" CURL_FORMAT_CURL_OFF_T
					   " s, longer than the %ld ms allowed; giving up",
					   h->name, out->method, out->url, retry_after, h->retry_max_ms);
				break;
			}
			delay = (long)retry_after * 1000;
		} else {
			delay = h->retry_initial_ms;
			for (unsigned i = 1; i < attempt && delay < h->retry_max_ms; i++)
				delay *= 2;
			if (delay > h->retry_max_ms)
				delay = h->retry_max_ms;
			delay = jitter(h, delay / 2, delay);
		}
		if (out->status)
			httpc_logf(h, FLYTE_LOG_INFO, "%s: %s %s answered %ld; retrying in %ld ms (attempt %u of %u)",
				   h->name, out->method, out->url, out->status, delay, attempt + 1, h->max_attempts);
		else
			httpc_logf(h, FLYTE_LOG_INFO, "%s: %s; retrying in %ld ms (attempt %u of %u)", h->name,
				   out->error, delay, attempt + 1, h->max_attempts);
		sleep_ms(delay);
	}
done:
	give_back(h, e);
	curl_slist_free_all(headers);
	free(json);
	fl_buf_release(&url);
	return rc;
}

/* ------------------------------------------------------- answer handling */

/*
 * Copy s into buf as one clean line: invalid UTF-8 → '?', control
 * characters → ' ', blank runs collapsed, ends trimmed, cut with "..." when
 * too long (on a character boundary).  Returns the length.
 */
static size_t fit_line(char *buf, size_t len, const char *s, size_t n)
{
	size_t o = 0, i = 0;
	bool space = true, cut = false;

	if (!len)
		return 0;
	while (i < n) {
		size_t ok = fl_utf8_first_invalid(s + i, n - i, false);
		size_t end = i + ok;
		for (; i < end; i++) {
			unsigned char c = (unsigned char)s[i];
			size_t clen = 1;
			if (c < 0x20 || c == 0x7f) {
				if (!space) {
					if (o + 1 >= len) {
						cut = true;
						goto stop;
					}
					buf[o++] = ' ';
					space = true;
				}
				continue;
			}
			if (c == ' ') {
				if (space)
					continue;
				space = true;
			} else {
				space = false;
			}
			if (c >= 0xf0)
				clen = 4;
			else if (c >= 0xe0)
				clen = 3;
			else if (c >= 0xc0)
				clen = 2;
			if (o + clen >= len) {
				cut = true;
				goto stop;
			}
			memcpy(buf + o, s + i, clen);
			o += clen;
			i += clen - 1;
		}
		if (i < n) { /* one invalid byte */
			if (o + 1 >= len) {
				cut = true;
				goto stop;
			}
			buf[o++] = '?';
			space = false;
			i++;
		}
	}
stop:
	while (o > 0 && buf[o - 1] == ' ')
		o--;
	if (cut && len > 4) {
		/* keep buf[0..o) with room for "..." and the NUL, cutting before a
		 * lead byte so no character is split */
		while (o > 0 && o + 3 >= len) {
			o--;
			while (o > 0 && ((unsigned char)buf[o] & 0xc0) == 0x80)
				o--;
		}
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o] = '\0';
	return o;
}

int httpc_answer_json(json_t **out, const char *body, size_t len, char *err, size_t errlen)
{
	json_error_t je;
	size_t i = 0;

	*out = NULL;
	while (i < len && (body[i] == ' ' || body[i] == '\t' || body[i] == '\r' || body[i] == '\n'))
		i++;
	if (i == len) {
		snprintf(err, errlen, "empty answer where JSON was expected");
		return FLYTE_EPROTOCOL;
	}
	*out = json_loadb(body, len, JSON_DECODE_ANY, &je);
	if (!*out) {
		char text[160];
		fit_line(text, sizeof(text), je.text, strlen(je.text));
		snprintf(err, errlen, "answer is not JSON: %s (line %d, column %d)", text, je.line, je.column);
		return FLYTE_EPROTOCOL;
	}
	return FLYTE_OK;
}

#define MSG_MAX 4096
#define MSG_ITEMS 10

static void msg_add(struct fl_buf *m, const char *s)
{
	if (!s || !*s)
		return;
	if (m->len)
		fl_buf_adds(m, "; ");
	fl_buf_adds(m, s);
}

static const char *jstr(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* Messages of an array: strings, or objects with "message" (or "What"). */
static void msg_array(struct fl_buf *m, const json_t *a)
{
	size_t i;
	json_t *v;

	json_array_foreach(a, i, v) {
		if (i >= MSG_ITEMS)
			break;
		if (json_is_string(v)) {
			msg_add(m, json_string_value(v));
		} else if (json_is_object(v)) {
			const char *s = jstr(v, "message");
			const json_t *op = json_object_get(v, "OpIndex");
			if (!s && (s = jstr(v, "What")) && json_is_integer(op)) {
				char t[64];
				snprintf(t, sizeof(t), "operation %" JSON_INTEGER_FORMAT ": ", json_integer_value(op));
				if (m->len)
					fl_buf_adds(m, "; ");
				fl_buf_adds(m, t);
				fl_buf_adds(m, s);
				continue;
			}
			msg_add(m, s);
		}
	}
}

static void msg_json(struct fl_buf *m, const json_t *j)
{
	static const char *const keys[] = { "message", "errorMessage", "error_description", "detail",
					    "title", "Message" };
	const json_t *v;

	if (json_is_string(j)) {
		msg_add(m, json_string_value(j));
		return;
	}
	if (json_is_array(j)) {
		msg_array(m, j);
		return;
	}
	if (!json_is_object(j))
		return;
	/* Jira: errorMessages + errors{field: msg} */
	if (json_is_array(v = json_object_get(j, "errorMessages")))
		msg_array(m, v);
	v = json_object_get(j, "errors");
	if (json_is_object(v)) {
		const char *k;
		json_t *e;
		size_t n = 0;
		json_object_foreach((json_t *)v, k, e) {
			if (n++ >= MSG_ITEMS)
				break;
			if (json_is_string(e)) {
				if (m->len)
					fl_buf_adds(m, "; ");
				fl_buf_addf(m, "%s: %s", k, json_string_value(e));
			}
		}
	} else if (json_is_array(v)) { /* Bitbucket */
		msg_array(m, v);
	}
	if (json_is_array(v = json_object_get(j, "Errors"))) /* Consul */
		msg_array(m, v);
	if (m->len)
		return;
	v = json_object_get(j, "error");
	if (json_is_string(v)) {
		msg_add(m, json_string_value(v));
		/* Slack-style extras */
		if (json_is_string(json_object_get(j, "error_description")))
			msg_add(m, jstr(j, "error_description"));
		return;
	}
	if (json_is_object(v)) {
		msg_json(m, v);
		if (m->len)
			return;
	}
	for (size_t i = 0; i < FL_ARRAY_LEN(keys); i++) {
		const char *s = jstr(j, keys[i]);
		if (s && *s) {
			msg_add(m, s);
			return;
		}
	}
}

static bool ci_prefix(const char *s, const char *end, const char *p)
{
	size_t n = strlen(p);
	return (size_t)(end - s) >= n && !strncasecmp(s, p, n);
}

static const char *ci_find(const char *s, const char *end, const char *p)
{
	for (; s < end; s++)
		if (ci_prefix(s, end, p))
			return s;
	return NULL;
}

/* The <title> of an HTML page, else its text without tags. */
static void msg_html(struct fl_buf *m, const char *s, size_t n)
{
	const char *end = s + n, *t = ci_find(s, end, "<title");

	if (t && (t = memchr(t, '>', (size_t)(end - t)))) {
		const char *e = ci_find(++t, end, "</title");
		if (e && e > t) {
			fl_buf_add(m, t, (size_t)(e - t));
			return;
		}
	}
	for (bool in_tag = false; s < end && m->len < MSG_MAX; s++) {
		if (*s == '<')
			in_tag = true;
		else if (*s == '>' && in_tag) {
			in_tag = false;
			fl_buf_addc(m, ' ');
		} else if (!in_tag)
			fl_buf_addc(m, *s);
	}
}

size_t httpc_answer_message(char *buf, size_t len, const char *body, size_t body_len, const char *content_type)
{
	struct fl_buf m = FL_BUF_INIT(MSG_MAX + 64);
	size_t i = 0, n;

	if (!len)
		return 0;
	buf[0] = '\0';
	if (!body)
		return 0;
	while (i < body_len && isspace((unsigned char)body[i]))
		i++;
	if (i == body_len)
		return 0;
	if (body[i] == '{' || body[i] == '[' || body[i] == '"') {
		json_t *j = json_loadb(body, body_len, JSON_DECODE_ANY, NULL);
		if (j) {
			msg_json(&m, j);
			json_decref(j);
			goto finish;
		}
	}
	if (body[i] == '<' || (content_type && strstr(content_type, "html"))) {
		msg_html(&m, body + i, body_len - i);
	} else {
		/* the first non-empty line of text */
		const char *s = body + i, *end = body + body_len, *nl = memchr(s, '\n', (size_t)(end - s));
		fl_buf_add(&m, s, (size_t)((nl ? nl : end) - s));
	}
finish:
	n = fl_buf_failed(&m) ? 0 : fit_line(buf, len, m.ptr, m.len);
	fl_buf_release(&m);
	return n;
}

void httpc_describe(char *buf, size_t len, const struct httpc *h, const struct httpc_response *r)
{
	char msg[384];
	int n;

	if (!len)
		return;
	if (!r->status) {
		n = snprintf(buf, len, "%s", r->error[0] ? r->error : "no answer");
	} else {
		n = snprintf(buf, len, "HTTP %ld from %s %s", r->status, r->method, r->url);
		if (n >= 0 && (size_t)n < len &&
		    httpc_answer_message(msg, sizeof(msg), r->body, r->body_len, r->content_type))
			snprintf(buf + n, len - (size_t)n, ": %s", msg);
	}
	httpc_redact(h, buf);
}

/* ------------------------------------------------------- URL building */

int httpc_pathf(char **out, const char *fmt, ...)
{
	struct fl_buf b = FL_BUF_INIT(0);
	va_list ap;
	int rc = FLYTE_OK;

	*out = NULL;
	va_start(ap, fmt);
	for (const char *p = fmt; *p; p++) {
		if (*p != '%') {
			fl_buf_addc(&b, *p);
			continue;
		}
		if (p[1] == '%') {
			fl_buf_addc(&b, '%');
			p++;
		} else if (p[1] == 's') {
			const char *arg = va_arg(ap, const char *);
			char *esc = NULL;
			if (flyte_url_escape(&esc, arg ? arg : "")) {
				rc = FLYTE_ENOMEM;
				break;
			}
			fl_buf_adds(&b, esc);
			flyte_string_free(esc);
			p++;
		} else {
			rc = FLYTE_EINVALID;
			break;
		}
	}
	va_end(ap);
	if (rc == FLYTE_OK) {
		*out = fl_buf_detach(&b, NULL);
		if (!*out)
			rc = FLYTE_ENOMEM;
	}
	fl_buf_release(&b);
	return rc;
}

void httpc_query_add(struct fl_buf *q, const char *key, const char *value)
{
	char *k = NULL, *v = NULL;

	if (fl_buf_failed(q))
		return;
	if (flyte_url_escape(&k, key ? key : "") || (value && flyte_url_escape(&v, value))) {
		flyte_string_free(k);
		q->failed = true;
		q->error = FLYTE_ENOMEM;
		return;
	}
	if (q->len)
		fl_buf_addc(q, '&');
	fl_buf_adds(q, k);
	if (v) {
		fl_buf_addc(q, '=');
		fl_buf_adds(q, v);
	}
	flyte_string_free(k);
	flyte_string_free(v);
}
