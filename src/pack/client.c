/* SPDX-License-Identifier: Apache-2.0 */
/*
 * client.c - the flyte_client handle: options, the HTTP transport over
 * libcurl, API discovery and the raw request API.
 *
 * Each request borrows a connection (a curl easy handle plus a private multi
 * handle) from a pool kept in the client, so any number of threads can use
 * one client and keep-alive connections are reused.  Transfers always run
 * through the multi interface: that is what lets a cancellation token
 * (cancel.c) interrupt a long-poll at once with curl_multi_wakeup() instead of
 * waiting for a timeout.  CURLOPT_NOSIGNAL is set on every handle because the
 * library runs in threads of programs it does not control.
 */
#include "fl-common.h"

#include <strings.h>

#include <jansson.h>

#include "internal.h"

struct flyte__conn {
	CURL *easy;
	CURLM *multi;
	struct flyte__conn *next;
	/* per-request state */
	struct fl_buf body;
	char *content_type;
	char *location;
	char errbuf[CURL_ERROR_SIZE];
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc = CURLE_FAILED_INIT;

static void curl_init(void)
{
	curl_init_rc = curl_global_init(CURL_GLOBAL_ALL);
}

FLYTE_API void flyte_client_options_init(struct flyte_client_options *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->timeout_ms = 10000;
	opts->connect_timeout_ms = 5000;
	opts->log_level = FLYTE_LOG_INFO;
}

static int parse_bool(const char *s, int *out)
{
	static const char *const yes[] = { "1", "true", "yes", "on", "TRUE", "True", "YES", "Yes" };
	static const char *const no[] = { "0", "false", "no", "off", "FALSE", "False", "NO", "No", "" };

	for (size_t i = 0; i < FL_ARRAY_LEN(yes); i++)
		if (!strcmp(s, yes[i])) {
			*out = 1;
			return 0;
		}
	for (size_t i = 0; i < FL_ARRAY_LEN(no); i++)
		if (!strcmp(s, no[i])) {
			*out = 0;
			return 0;
		}
	return -1;
}

FLYTE_API int flyte_client_options_from_env(struct flyte_client_options *opts)
{
	const char *v;

	flyte_client_options_init(opts);
	v = getenv("FLYTE_API");
	if (!v || !*v)
		v = getenv("FLYTE_API_URL");
	if (!v || !*v)
		return flyte__error(NULL, FLYTE_EINVALID, "no API URL: set FLYTE_API (or FLYTE_API_URL)");
	opts->api_url = v;

	v = getenv("FLYTE_API_TIMEOUT");
	if (v && *v) {
		char *end;
		long sec;
		errno = 0;
		sec = strtol(v, &end, 10);
		if (errno || *end || end == v || sec < 0 || sec > 86400)
			return flyte__error(NULL, FLYTE_EINVALID,
					    "invalid FLYTE_API_TIMEOUT '%s': expected whole seconds >= 0", v);
		opts->timeout_ms = sec * 1000;
	}
	v = getenv("FLYTE_JWT");
	if (v && *v)
		opts->jwt = v;
	v = getenv("FLYTE_API_CA_FILE");
	if (v && *v)
		opts->ca_file = v;
	v = getenv("FLYTE_API_CERT_FILE");
	if (v && *v)
		opts->cert_file = v;
	v = getenv("FLYTE_API_KEY_FILE");
	if (v && *v)
		opts->key_file = v;
	v = getenv("FLYTE_API_INSECURE");
	if (v && parse_bool(v, &opts->insecure))
		return flyte__error(NULL, FLYTE_EINVALID,
				    "invalid FLYTE_API_INSECURE '%s': expected true or false", v);
	return FLYTE_OK;
}

static char *dup_or_null(const char *s, bool *oom)
{
	char *d;
	if (!s)
		return NULL;
	d = strdup(s);
	if (!d)
		*oom = true;
	return d;
}

static bool readable(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return false;
	fclose(f);
	return true;
}

FLYTE_API int flyte_client_new(struct flyte_client **out, const struct flyte_client_options *opts)
{
	struct flyte_client *c = NULL;
	struct fl_buf b = FL_BUF_INIT(0);
	bool oom = false;
	size_t n;
	int rc;

	*out = NULL;
	if (!opts || !opts->api_url || !*opts->api_url)
		return flyte__error(NULL, FLYTE_EINVALID, "no API URL given");
	if (strncmp(opts->api_url, "http://", 7) && strncmp(opts->api_url, "https://", 8))
		return flyte__error(NULL, FLYTE_EINVALID, "invalid API URL '%s': expected http:// or https://",
				    opts->api_url);
	if (opts->timeout_ms < 0 || opts->connect_timeout_ms < 0)
		return flyte__error(NULL, FLYTE_EINVALID, "invalid timeout: must be >= 0");
	if (opts->ca_file && !readable(opts->ca_file))
		return flyte__error(NULL, FLYTE_EINVALID, "cannot read CA file '%s': %s", opts->ca_file,
				    strerror(errno));
	if (opts->cert_file && !readable(opts->cert_file))
		return flyte__error(NULL, FLYTE_EINVALID, "cannot read certificate file '%s': %s",
				    opts->cert_file, strerror(errno));
	if (opts->key_file && !readable(opts->key_file))
		return flyte__error(NULL, FLYTE_EINVALID, "cannot read key file '%s': %s", opts->key_file,
				    strerror(errno));
	pthread_once(&curl_once, curl_init);
	if (curl_init_rc != CURLE_OK)
		return flyte__error(NULL, FLYTE_ERROR, "cannot initialise libcurl: %s",
				    curl_easy_strerror(curl_init_rc));

	c = calloc(1, sizeof(*c));
	if (!c)
		return flyte__error_oom(NULL);
	if (pthread_mutex_init(&c->mu, NULL)) {
		free(c);
		return flyte__error(NULL, FLYTE_ERROR, "cannot create mutex");
	}
	n = strlen(opts->api_url);
	while (n > 0 && opts->api_url[n - 1] == '/')
		n--;
	c->api_url = strndup(opts->api_url, n);
	if (!c->api_url)
		oom = true;
	c->timeout_ms = opts->timeout_ms;
	c->connect_timeout_ms = opts->connect_timeout_ms;
	if (opts->jwt) {
		fl_buf_addf(&b, "Authorization: Bearer %s", opts->jwt);
		c->auth_header = fl_buf_detach(&b, NULL);
		if (!c->auth_header)
			oom = true;
	}
	c->ca_file = dup_or_null(opts->ca_file, &oom);
	c->cert_file = dup_or_null(opts->cert_file, &oom);
	c->key_file = dup_or_null(opts->key_file, &oom);
	c->insecure = opts->insecure;
	c->user_agent = dup_or_null(opts->user_agent ? opts->user_agent : "libflyte/" FLYTE_VERSION, &oom);
	c->log_fn = opts->log_fn;
	c->log_payload = opts->log_payload;
	c->log_level = opts->log_level;
	if (oom) {
		rc = flyte__error_oom(NULL);
		flyte_client_free(c);
		return rc;
	}
	*out = c;
	return FLYTE_OK;
}

static void conn_free(struct flyte__conn *k)
{
	if (!k)
		return;
	if (k->multi)
		curl_multi_cleanup(k->multi);
	if (k->easy)
		curl_easy_cleanup(k->easy);
	fl_buf_release(&k->body);
	free(k->content_type);
	free(k->location);
	free(k);
}

FLYTE_API void flyte_client_free(struct flyte_client *c)
{
	if (!c)
		return;
	while (c->idle) {
		struct flyte__conn *k = c->idle;
		c->idle = k->next;
		conn_free(k);
	}
	flyte__links_free(c->links, c->n_links);
	pthread_mutex_destroy(&c->mu);
	free(c->api_url);
	free(c->auth_header);
	free(c->ca_file);
	free(c->cert_file);
	free(c->key_file);
	free(c->user_agent);
	free(c);
}

FLYTE_API const char *flyte_client_api_url(const struct flyte_client *c)
{
	return c->api_url;
}

FLYTE_API const char *flyte_client_last_error(const struct flyte_client *c)
{
	return flyte__last_error_for(c);
}

FLYTE_API void flyte_string_free(char *s)
{
	free(s);
}

FLYTE_API void flyte_response_init(struct flyte_response *r)
{
	memset(r, 0, sizeof(*r));
}

FLYTE_API void flyte_response_release(struct flyte_response *r)
{
	if (!r)
		return;
	free(r->body);
	free(r->content_type);
	free(r->location);
	memset(r, 0, sizeof(*r));
}

/* ---------------------------------------------------------- connections */

static struct flyte__conn *conn_get(struct flyte_client *c)
{
	struct flyte__conn *k;

	pthread_mutex_lock(&c->mu);
	k = c->idle;
	if (k)
		c->idle = k->next;
	pthread_mutex_unlock(&c->mu);
	if (k)
		return k;
	k = calloc(1, sizeof(*k));
	if (!k)
		return NULL;
	fl_buf_init(&k->body, FLYTE__MAX_BODY);
	k->easy = curl_easy_init();
	k->multi = curl_multi_init();
	if (!k->easy || !k->multi) {
		conn_free(k);
		return NULL;
	}
	return k;
}

static void conn_put(struct flyte_client *c, struct flyte__conn *k)
{
	fl_buf_release(&k->body);
	free(k->content_type);
	free(k->location);
	k->content_type = k->location = NULL;
	pthread_mutex_lock(&c->mu);
	k->next = c->idle;
	c->idle = k;
	pthread_mutex_unlock(&c->mu);
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *ud)
{
	struct flyte__conn *k = ud;
	size_t n = size * nmemb;

	fl_buf_add(&k->body, data, n);
	return fl_buf_failed(&k->body) ? 0 : n;
}

/* Copy the value of header line "Name: value\r\n" if it has the given name. */
static void take_header(char **dst, const char *line, size_t n, const char *name)
{
	size_t nl = strlen(name);
	const char *v, *e;

	if (n <= nl || strncasecmp(line, name, nl) != 0 || line[nl] != ':')
		return;
	v = line + nl + 1;
	e = line + n;
	while (v < e && (*v == ' ' || *v == '\t'))
		v++;
	while (e > v && (e[-1] == '\r' || e[-1] == '\n' || e[-1] == ' ' || e[-1] == '\t'))
		e--;
	free(*dst);
	*dst = strndup(v, (size_t)(e - v));
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *ud)
{
	struct flyte__conn *k = ud;
	size_t n = size * nmemb;

	/* A new status line (redirects, 100-continue) starts a new header block. */
	if (n > 5 && !strncmp(data, "HTTP/", 5)) {
		free(k->content_type);
		free(k->location);
		k->content_type = k->location = NULL;
		if (k->body.cap)
			fl_buf_reset(&k->body);
	}
	take_header(&k->content_type, data, n, "Content-Type");
	take_header(&k->location, data, n, "Location");
	return n;
}

char *flyte__url(const struct flyte_client *c, const char *path)
{
	struct fl_buf b = FL_BUF_INIT(0);

	if (!strncmp(path, "http://", 7) || !strncmp(path, "https://", 8)) {
		fl_buf_adds(&b, path);
	} else {
		fl_buf_adds(&b, c->api_url);
		if (path[0] != '/')
			fl_buf_addc(&b, '/');
		fl_buf_adds(&b, path);
	}
	return fl_buf_detach(&b, NULL);
}

static int map_curl_error(const void *handle, CURLcode cc, struct flyte__conn *k, const char *method,
			  const char *url)
{
	const char *detail = k->errbuf[0] ? k->errbuf : curl_easy_strerror(cc);

	switch (cc) {
	case CURLE_OPERATION_TIMEDOUT:
		return flyte__error(handle, FLYTE_ETIMEOUT, "%s '%s' timed out: %s", method, url, detail);
	case CURLE_OUT_OF_MEMORY:
		return flyte__error_oom(handle);
	case CURLE_WRITE_ERROR:
		if (fl_buf_failed(&k->body))
			return flyte__error(handle, FLYTE_ETOOBIG, "%s '%s': response larger than %zu bytes",
					    method, url, (size_t)FLYTE__MAX_BODY);
		break;
	case CURLE_URL_MALFORMAT:
	case CURLE_UNSUPPORTED_PROTOCOL:
		return flyte__error(handle, FLYTE_EINVALID, "invalid URL '%s': %s", url, detail);
	default:
		break;
	}
	return flyte__error(handle, FLYTE_ENETWORK, "cannot %s '%s': %s", method, url, detail);
}

int flyte__request(struct flyte_response *out, struct flyte_client *c, const void *handle,
		   struct flyte__cancel *cancel, long timeout_ms, const char *method, const char *url,
		   const char *content_type, const void *body, size_t body_len)
{
	return flyte__request_h(out, c, handle, cancel, timeout_ms, method, url, content_type, body, body_len, NULL);
}

int flyte__request_h(struct flyte_response *out, struct flyte_client *c, const void *handle,
		     struct flyte__cancel *cancel, long timeout_ms, const char *method, const char *url,
		     const char *content_type, const void *body, size_t body_len, const char *header)
{
	struct flyte__conn *k = NULL;
	struct curl_slist *headers = NULL, *h;
	char ctype_hdr[256];
	bool watching = false, cancelled = false;
	CURLcode cc = CURLE_OK;
	CURLMsg *msg;
	int rc, left;
	long status = 0;

	flyte_response_init(out);
	if (!method || !*method || !url)
		return flyte__error(handle, FLYTE_EINVALID, "invalid request: method and URL are required");
	if (flyte__cancel_fired(cancel))
		return flyte__error(handle, FLYTE_ECANCELLED, "%s '%s' cancelled", method, url);
	k = conn_get(c);
	if (!k)
		return flyte__error_oom(handle);
	k->errbuf[0] = '\0';

	h = curl_slist_append(headers, "Accept: application/json");
	if (h)
		headers = h;
	h = h ? curl_slist_append(headers, "Expect:") : NULL;
	if (h)
		headers = h;
	if (h && c->auth_header) {
		h = curl_slist_append(headers, c->auth_header);
		if (h)
			headers = h;
	}
	if (h && header) {
		h = curl_slist_append(headers, header);
		if (h)
			headers = h;
	}
	if (h && content_type) {
		snprintf(ctype_hdr, sizeof(ctype_hdr), "Content-Type: %s", content_type);
		h = curl_slist_append(headers, ctype_hdr);
		if (h)
			headers = h;
	}
	if (!h) {
		rc = flyte__error_oom(handle);
		goto out;
	}

	curl_easy_reset(k->easy);
	curl_easy_setopt(k->easy, CURLOPT_URL, url);
	curl_easy_setopt(k->easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(k->easy, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(k->easy, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(k->easy, CURLOPT_USERAGENT, c->user_agent);
	curl_easy_setopt(k->easy, CURLOPT_ERRORBUFFER, k->errbuf);
	curl_easy_setopt(k->easy, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(k->easy, CURLOPT_WRITEDATA, k);
	curl_easy_setopt(k->easy, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(k->easy, CURLOPT_HEADERDATA, k);
	curl_easy_setopt(k->easy, CURLOPT_TIMEOUT_MS, timeout_ms < 0 ? c->timeout_ms : timeout_ms);
	curl_easy_setopt(k->easy, CURLOPT_CONNECTTIMEOUT_MS, c->connect_timeout_ms);
	curl_easy_setopt(k->easy, CURLOPT_TCP_NODELAY, 1L);
	if (c->ca_file)
		curl_easy_setopt(k->easy, CURLOPT_CAINFO, c->ca_file);
	if (c->cert_file)
		curl_easy_setopt(k->easy, CURLOPT_SSLCERT, c->cert_file);
	if (c->key_file)
		curl_easy_setopt(k->easy, CURLOPT_SSLKEY, c->key_file);
	if (c->insecure) {
		curl_easy_setopt(k->easy, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(k->easy, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (!strcmp(method, "GET") && !body_len) {
		curl_easy_setopt(k->easy, CURLOPT_HTTPGET, 1L);
	} else if (!strcmp(method, "HEAD")) {
		curl_easy_setopt(k->easy, CURLOPT_NOBODY, 1L);
	} else {
		if (body_len || !strcmp(method, "POST") || !strcmp(method, "PUT") || !strcmp(method, "PATCH")) {
			curl_easy_setopt(k->easy, CURLOPT_POSTFIELDS, body ? (const char *)body : "");
			curl_easy_setopt(k->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
		}
		if (strcmp(method, "POST") != 0)
			curl_easy_setopt(k->easy, CURLOPT_CUSTOMREQUEST, method);
	}

	if (cancel) {
		if (flyte__cancel_watch(cancel, k->multi)) {
			rc = flyte__error_oom(handle);
			goto out;
		}
		watching = true;
	}
	if (curl_multi_add_handle(k->multi, k->easy) != CURLM_OK) {
		rc = flyte__error(handle, FLYTE_ERROR, "cannot start transfer to '%s'", url);
		goto out;
	}
	for (;;) {
		int running = 0;
		CURLMcode mc = curl_multi_perform(k->multi, &running);
		if (mc != CURLM_OK) {
			cc = CURLE_FAILED_INIT;
			break;
		}
		if (!running)
			break;
		if (flyte__cancel_fired(cancel)) {
			cancelled = true;
			break;
		}
		mc = curl_multi_poll(k->multi, NULL, 0, FLYTE__CANCEL_CHECK_MS, NULL);
		if (mc != CURLM_OK) {
			cc = CURLE_FAILED_INIT;
			break;
		}
	}
	while ((msg = curl_multi_info_read(k->multi, &left)))
		if (msg->msg == CURLMSG_DONE)
			cc = msg->data.result;
	curl_multi_remove_handle(k->multi, k->easy);

	if (cancelled) {
		rc = flyte__error(handle, FLYTE_ECANCELLED, "%s '%s' cancelled", method, url);
		goto out;
	}
	if (cc != CURLE_OK) {
		rc = map_curl_error(handle, cc, k, method, url);
		goto out;
	}
	curl_easy_getinfo(k->easy, CURLINFO_RESPONSE_CODE, &status);
	out->status = (int)status;
	out->body_len = k->body.len;
	out->body = fl_buf_detach(&k->body, NULL);
	out->content_type = k->content_type;
	out->location = k->location;
	k->content_type = k->location = NULL;
	if (!out->body) {
		flyte_response_release(out);
		rc = flyte__error_oom(handle);
		goto out;
	}
	rc = FLYTE_OK;
out:
	if (watching)
		flyte__cancel_unwatch(cancel, k->multi);
	curl_slist_free_all(headers);
	/* The slist is referenced by the easy handle until the next reset. */
	curl_easy_setopt(k->easy, CURLOPT_HTTPHEADER, NULL);
	if (cancelled || cc != CURLE_OK) {
		/* A half-done transfer leaves its connection unusable: start afresh. */
		conn_free(k);
	} else {
		conn_put(c, k);
	}
	return rc;
}

FLYTE_API int flyte_client_request(struct flyte_response *out, struct flyte_client *c, const char *method,
				   const char *path, const char *content_type, const void *body,
				   size_t body_len)
{
	char *url;
	int rc;

	flyte_response_init(out);
	if (!c || !path)
		return flyte__error(c, FLYTE_EMISUSE, "flyte_client_request: client and path are required");
	url = flyte__url(c, path);
	if (!url)
		return flyte__error_oom(c);
	rc = flyte__request(out, c, c, NULL, -1, method, url, content_type, body, body_len);
	free(url);
	return rc;
}

/* ------------------------------------------------------------ discovery */

void flyte__links_free(struct flyte__link *links, size_t n)
{
	if (!links)
		return;
	for (size_t i = 0; i < n; i++) {
		free(links[i].rel);
		free(links[i].href);
	}
	free(links);
}

int flyte__parse_links(const char *body, size_t len, struct flyte__link **out, size_t *n_out)
{
	json_t *root = NULL, *arr;
	struct flyte__link *links = NULL;
	size_t n = 0, i;
	json_t *it;
	int rc = FLYTE_EPROTOCOL;

	*out = NULL;
	*n_out = 0;
	root = json_loadb(body, len, 0, NULL);
	if (!root)
		goto out;
	arr = json_object_get(root, "links");
	if (!json_is_array(arr))
		goto out;
	links = calloc(json_array_size(arr) + 1, sizeof(*links));
	if (!links) {
		rc = FLYTE_ENOMEM;
		goto out;
	}
	json_array_foreach(arr, i, it) {
		const char *href = json_string_value(json_object_get(it, "href"));
		const char *rel = json_string_value(json_object_get(it, "rel"));
		if (!href)
			continue;
		links[n].href = strdup(href);
		links[n].rel = strdup(rel ? rel : "");
		if (!links[n].href || !links[n].rel) {
			n++;
			rc = FLYTE_ENOMEM;
			goto out;
		}
		n++;
	}
	*out = links;
	*n_out = n;
	links = NULL;
	rc = FLYTE_OK;
out:
	flyte__links_free(links, n);
	json_decref(root);
	return rc;
}

const char *flyte__links_find(const struct flyte__link *links, size_t n, const char *suffix)
{
	size_t sl = strlen(suffix);

	for (size_t i = 0; i < n; i++) {
		size_t rl = strlen(links[i].rel);
		if (rl >= sl && !strcmp(links[i].rel + rl - sl, suffix))
			return links[i].href;
	}
	return NULL;
}

void flyte__client_forget_links(struct flyte_client *c)
{
	pthread_mutex_lock(&c->mu);
	flyte__links_free(c->links, c->n_links);
	c->links = NULL;
	c->n_links = 0;
	pthread_mutex_unlock(&c->mu);
}

static int discover(struct flyte_client *c, const void *handle, struct flyte__cancel *cancel)
{
	struct flyte_response resp;
	struct flyte__link *links = NULL;
	size_t n = 0;
	char *url;
	int rc;

	url = flyte__url(c, "/" FLYTE_API_VERSION);
	if (!url)
		return flyte__error_oom(handle);
	rc = flyte__request(&resp, c, handle, cancel, -1, "GET", url, NULL, NULL, 0);
	if (rc)
		goto out;
	if (resp.status != 200) {
		rc = flyte__error(handle, flyte_err_from_status(resp.status),
				  "discovery GET '%s' answered HTTP %d", url, resp.status);
		goto out;
	}
	rc = flyte__parse_links(resp.body, resp.body_len, &links, &n);
	if (rc == FLYTE_ENOMEM) {
		rc = flyte__error_oom(handle);
		goto out;
	}
	if (rc) {
		rc = flyte__error(handle, FLYTE_EPROTOCOL, "discovery GET '%s' returned no JSON links", url);
		goto out;
	}
	pthread_mutex_lock(&c->mu);
	flyte__links_free(c->links, c->n_links);
	c->links = links;
	c->n_links = n;
	pthread_mutex_unlock(&c->mu);
	flyte__log(c, FLYTE_LOG_DEBUG, "discovered %zu links at '%s'", n, url);
out:
	flyte_response_release(&resp);
	free(url);
	return rc;
}

FLYTE_API int flyte_client_discover(struct flyte_client *c)
{
	return discover(c, c, NULL);
}

int flyte__client_link(char **out, struct flyte_client *c, const void *handle, struct flyte__cancel *cancel,
		       const char *rel_suffix)
{
	const char *href;
	bool have;
	int rc;

	*out = NULL;
	pthread_mutex_lock(&c->mu);
	have = c->links != NULL;
	pthread_mutex_unlock(&c->mu);
	if (!have) {
		rc = discover(c, handle, cancel);
		if (rc)
			return rc;
	}
	pthread_mutex_lock(&c->mu);
	href = flyte__links_find(c->links, c->n_links, rel_suffix);
	if (href)
		*out = strdup(href);
	pthread_mutex_unlock(&c->mu);
	if (!href)
		return flyte__error(handle, FLYTE_ENOTFOUND, "the server advertises no link with rel '*%s'",
				    rel_suffix);
	return *out ? FLYTE_OK : flyte__error_oom(handle);
}

FLYTE_API int flyte_client_link(char **out, struct flyte_client *c, const char *rel_suffix)
{
	return flyte__client_link(out, c, c, NULL, rel_suffix);
}

FLYTE_API int flyte_url_escape(char **out, const char *segment)
{
	struct fl_buf b = FL_BUF_INIT(0);

	fl_buf_add_url_escaped(&b, segment, strlen(segment));
	*out = fl_buf_detach(&b, NULL);
	return *out ? FLYTE_OK : flyte__error_oom(NULL);
}
