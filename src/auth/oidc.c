/* SPDX-License-Identifier: Apache-2.0 */
/*
 * oidc.c - OIDC discovery, JWKS fetching and the refresh thread.
 *
 * One thread per issuer does every JWKS fetch after start-up: it sleeps on
 * a condition variable until the refresh time or an on-demand request
 * (unknown kid), fetches without holding the lock, and swaps the new key
 * set in under the lock only if the document changed (compared by SHA-256),
 * so a periodic refetch of an unchanged JWKS does not invalidate the
 * verified-token cache.  Request threads asking for a refetch set a flag,
 * wake the thread and wait on a second condition variable for the fetch to
 * complete; the cooldown is checked under the same lock, so any number of
 * tokens with random kids cause at most one fetch per cooldown.
 */
#include "fl-common.h"

#include <pthread.h>
#include <stdatomic.h>
#include <strings.h>

#include <curl/curl.h>
#include <dlfcn.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "alloc.h"
#include "buf.h"
#include "log.h"
#include "oidc.h"
#include "timeutil.h"

struct fl_oidc {
	char *issuer;
	char *jwks_uri;
	char *ca_file;
	int timeout_ms;
	int min_refresh_sec;
	int64_t cooldown_ns;

	pthread_mutex_t lock;
	pthread_cond_t wake; /* the refresh thread waits here */
	pthread_cond_t done; /* requesters wait here for a fetch to finish */
	struct fl_jwk_set *keys;
	unsigned char digest[SHA256_DIGEST_LENGTH]; /* of the JWKS document behind keys */
	_Atomic uint64_t generation;
	_Atomic uint64_t fetch_count;
	uint64_t fetch_done;
	bool requested, fetching, stop;
	bool ondemand_used;
	int64_t last_ondemand_ns; /* monotonic */
	int64_t next_refresh_ns;  /* monotonic */
	pthread_t thread;
	bool thread_started;
};

/*
 * libcurl is loaded with dlopen the first time auth fetches something, so a
 * server without auth does not map libcurl and its ~20 dependencies (about
 * 1.4 MB of resident pages, most of the idle footprint).  Only the handful
 * of entry points below are used.
 */
static struct {
	CURLcode (*global_init)(long flags);
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *h, CURLoption opt, ...);
	CURLcode (*easy_perform)(CURL *h);
	CURLcode (*easy_getinfo)(CURL *h, CURLINFO info, ...);
	void (*easy_cleanup)(CURL *h);
	const char *(*easy_strerror)(CURLcode cc);
	bool loaded;
	char error[160];
} lcurl;

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_init_once(void)
{
	static const char *const names[] = { "libcurl.so.4", "libcurl-gnutls.so.4", "libcurl.so" };
	void *lib = NULL;

	for (size_t i = 0; i < FL_ARRAY_LEN(names) && !lib; i++)
		lib = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
	if (!lib) {
		snprintf(lcurl.error, sizeof(lcurl.error), "cannot load libcurl: %s", dlerror());
		return;
	}
	/* POSIX guarantees that a data pointer from dlsym converts to a function pointer. */
#define FL__SYM(field, name) *(void **)(&lcurl.field) = dlsym(lib, name)
	FL__SYM(global_init, "curl_global_init");
	FL__SYM(easy_init, "curl_easy_init");
	FL__SYM(easy_setopt, "curl_easy_setopt");
	FL__SYM(easy_perform, "curl_easy_perform");
	FL__SYM(easy_getinfo, "curl_easy_getinfo");
	FL__SYM(easy_cleanup, "curl_easy_cleanup");
	FL__SYM(easy_strerror, "curl_easy_strerror");
#undef FL__SYM
	if (!lcurl.global_init || !lcurl.easy_init || !lcurl.easy_setopt || !lcurl.easy_perform ||
	    !lcurl.easy_getinfo || !lcurl.easy_cleanup || !lcurl.easy_strerror) {
		snprintf(lcurl.error, sizeof(lcurl.error), "cannot load libcurl: missing symbols");
		return;
	}
	lcurl.global_init(CURL_GLOBAL_DEFAULT);
	lcurl.loaded = true;
}

/* ---- HTTP -------------------------------------------------------------- */

struct fetch {
	struct fl_buf body;
	long max_age; /* -1 when absent */
};

static size_t on_body(char *data, size_t size, size_t nmemb, void *user)
{
	struct fetch *f = user;
	size_t n = size * nmemb;

	fl_buf_add(&f->body, data, n);
	return fl_buf_failed(&f->body) ? 0 : n;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *user)
{
	struct fetch *f = user;
	size_t n = size * nmemb;
	static const char name[] = "cache-control:";
	char line[256];
	const char *p;

	if (n < sizeof(name) - 1 || n >= sizeof(line) || strncasecmp(data, name, sizeof(name) - 1) != 0)
		return n;
	memcpy(line, data, n);
	line[n] = '\0';
	for (p = line; (p = strcasestr(p, "max-age=")); p++) {
		char *end;
		long v = strtol(p + 8, &end, 10);
		if (end != p + 8 && v >= 0)
			f->max_age = v;
	}
	return n;
}

static int http_get(const struct fl_oidc *o, const char *what, const char *url, size_t max, struct fetch *f,
		    struct fl_error *err)
{
	CURL *h = NULL;
	CURLcode cc;
	long status = 0;
	char cerr[CURL_ERROR_SIZE] = "";
	int rc = FL_EIO;

	fl_buf_init(&f->body, max);
	f->max_age = -1;
	pthread_once(&curl_once, curl_init_once);
	if (!lcurl.loaded) {
		rc = fl_error_set(err, FL_EIO, "%s '%s': %s", what, url, lcurl.error);
		goto done;
	}
	h = lcurl.easy_init();
	if (!h) {
		rc = fl_error_set(err, FL_ENOMEM, "%s '%s': cannot create an HTTP handle", what, url);
		goto done;
	}
	lcurl.easy_setopt(h, CURLOPT_URL, url);
	lcurl.easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	lcurl.easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	lcurl.easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	lcurl.easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)o->timeout_ms);
	lcurl.easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)o->timeout_ms);
	lcurl.easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
	lcurl.easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	if (o->ca_file)
		lcurl.easy_setopt(h, CURLOPT_CAINFO, o->ca_file);
	lcurl.easy_setopt(h, CURLOPT_ERRORBUFFER, cerr);
	lcurl.easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	lcurl.easy_setopt(h, CURLOPT_WRITEDATA, f);
	lcurl.easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	lcurl.easy_setopt(h, CURLOPT_HEADERDATA, f);
	lcurl.easy_setopt(h, CURLOPT_USERAGENT, "flyte");
	cc = lcurl.easy_perform(h);
	if (cc != CURLE_OK) {
		if (cc == CURLE_WRITE_ERROR && fl_buf_failed(&f->body))
			rc = fl_error_set(err, FL_ETOOBIG, "%s '%s': response larger than %zu bytes", what, url, max);
		else
			rc = fl_error_set(err, cc == CURLE_OPERATION_TIMEDOUT ? FL_ETIMEOUT : FL_EIO, "%s '%s': %s",
					  what, url, cerr[0] ? cerr : lcurl.easy_strerror(cc));
		goto done;
	}
	lcurl.easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	if (status != 200) {
		rc = fl_error_set(err, FL_EIO, "%s '%s': HTTP status %ld", what, url, status);
		goto done;
	}
	rc = FL_OK;
done:
	if (h)
		lcurl.easy_cleanup(h);
	if (rc != FL_OK)
		fl_buf_release(&f->body);
	return rc;
}

/* ---- discovery and JWKS ------------------------------------------------ */

static bool is_http_url(const char *s)
{
	return strncmp(s, "https://", 8) == 0 || strncmp(s, "http://", 7) == 0;
}

/* http://127.x.x.x, http://localhost or http://[::1] (tests and sidecars). */
static bool is_loopback_url(const char *s)
{
	static const char *const prefixes[] = { "http://127.", "http://localhost:", "http://localhost/",
						"http://[::1]" };
	for (size_t i = 0; i < FL_ARRAY_LEN(prefixes); i++)
		if (strncmp(s, prefixes[i], strlen(prefixes[i])) == 0)
			return true;
	return strcmp(s, "http://localhost") == 0;
}

static int discover(struct fl_oidc *o, struct fl_error *err)
{
	struct fetch f = { FL_BUF_INIT(0), -1 };
	struct fl_buf url = FL_BUF_INIT(4096);
	json_t *doc = NULL;
	json_error_t jerr;
	const char *iss, *jwks;
	size_t ilen = strlen(o->issuer);
	int rc;

	while (ilen > 0 && o->issuer[ilen - 1] == '/')
		ilen--;
	fl_buf_add(&url, o->issuer, ilen);
	fl_buf_adds(&url, "/.well-known/openid-configuration");
	if (fl_buf_failed(&url)) {
		rc = fl_error_set(err, FL_EINVALID, "oidc issuer URL too long");
		goto done;
	}
	rc = http_get(o, "oidc discovery", url.ptr, FL_OIDC_MAX_DISCOVERY, &f, err);
	if (rc != FL_OK)
		goto done;
	doc = json_loadb(f.body.ptr, f.body.len, JSON_REJECT_DUPLICATES, &jerr);
	if (!json_is_object(doc)) {
		rc = fl_error_set(err, FL_EINVALID, "oidc discovery '%s': not a JSON object", url.ptr);
		goto done;
	}
	iss = json_string_value(json_object_get(doc, "issuer"));
	if (!iss || strcmp(iss, o->issuer) != 0) {
		rc = fl_error_set(err, FL_EINVALID,
				  "oidc discovery '%s': issuer in the document does not equal the configured issuer '%s'",
				  url.ptr, o->issuer);
		goto done;
	}
	jwks = json_string_value(json_object_get(doc, "jwks_uri"));
	if (!jwks || !is_http_url(jwks) || (strncmp(o->issuer, "https://", 8) == 0 && strncmp(jwks, "https://", 8) != 0)) {
		rc = fl_error_set(err, FL_EINVALID, "oidc discovery '%s': missing or unusable jwks_uri", url.ptr);
		goto done;
	}
	o->jwks_uri = fl_xstrdup(jwks);
	rc = FL_OK;
done:
	json_decref(doc);
	fl_buf_release(&f.body);
	fl_buf_release(&url);
	return rc;
}

/* Fetch and parse the JWKS; *refresh_sec is when to fetch again. */
static int fetch_jwks(struct fl_oidc *o, struct fl_jwk_set **out, unsigned char digest[SHA256_DIGEST_LENGTH],
		      int *refresh_sec, struct fl_error *err)
{
	struct fetch f = { FL_BUF_INIT(0), -1 };
	int rc;

	*out = NULL;
	atomic_fetch_add(&o->fetch_count, 1);
	rc = http_get(o, "jwks", o->jwks_uri, FL_JWK_MAX_DOC, &f, err);
	if (rc != FL_OK)
		goto done;
	rc = fl_jwk_set_parse(out, f.body.ptr, f.body.len, err);
	if (rc != FL_OK) {
		fl_error_prefix(err, "jwks '%s'", o->jwks_uri);
		goto done;
	}
	if (fl_jwk_set_count(*out) == 0) {
		rc = fl_error_set(err, FL_EINVALID, "jwks '%s': no usable signing key (%zu skipped)", o->jwks_uri,
				  fl_jwk_set_skipped(*out));
		fl_jwk_set_unref(*out);
		*out = NULL;
		goto done;
	}
	SHA256((const unsigned char *)f.body.ptr, f.body.len, digest);
	*refresh_sec = FL_OIDC_REFRESH_DEFAULT_SEC;
	if (f.max_age >= 0)
		*refresh_sec = (int)FL_MIN(FL_MAX(f.max_age, (long)o->min_refresh_sec), FL_OIDC_REFRESH_MAX_SEC);
done:
	fl_buf_release(&f.body);
	return rc;
}

/* Install a fetched set (lock held).  Takes ownership of set. */
static void install(struct fl_oidc *o, struct fl_jwk_set *set, const unsigned char digest[SHA256_DIGEST_LENGTH])
{
	if (o->keys && CRYPTO_memcmp(o->digest, digest, SHA256_DIGEST_LENGTH) == 0) {
		fl_jwk_set_unref(set);
		return;
	}
	fl_jwk_set_unref(o->keys);
	o->keys = set;
	memcpy(o->digest, digest, SHA256_DIGEST_LENGTH);
	atomic_fetch_add(&o->generation, 1);
	FL_LOG_I(NULL, "oidc: key set loaded from '%s': %zu usable keys, %zu skipped", o->jwks_uri,
		 fl_jwk_set_count(set), fl_jwk_set_skipped(set));
}

/* ---- refresh thread ---------------------------------------------------- */

static void deadline_ts(int64_t mono_ns, struct timespec *ts)
{
	ts->tv_sec = (time_t)(mono_ns / FL_NS_PER_SEC);
	ts->tv_nsec = (long)(mono_ns % FL_NS_PER_SEC);
}

static void *refresh_main(void *arg)
{
	struct fl_oidc *o = arg;

	pthread_mutex_lock(&o->lock);
	while (!o->stop) {
		struct fl_jwk_set *set = NULL;
		unsigned char digest[SHA256_DIGEST_LENGTH];
		struct fl_error err = FL_ERROR_INIT;
		int refresh = o->min_refresh_sec, rc;

		if (!o->requested && fl_time_mono_ns() < o->next_refresh_ns) {
			struct timespec ts;
			deadline_ts(o->next_refresh_ns, &ts);
			pthread_cond_timedwait(&o->wake, &o->lock, &ts);
			continue;
		}
		o->requested = false;
		o->fetching = true;
		pthread_mutex_unlock(&o->lock);

		rc = fetch_jwks(o, &set, digest, &refresh, &err);
		if (rc != FL_OK)
			FL_LOG_W(NULL, "oidc: jwks refetch failed, keeping the current keys: %s", err.msg);

		pthread_mutex_lock(&o->lock);
		if (rc == FL_OK)
			install(o, set, digest);
		else
			refresh = o->min_refresh_sec;
		o->next_refresh_ns = fl_time_mono_ns() + (int64_t)refresh * FL_NS_PER_SEC;
		o->fetching = false;
		o->fetch_done++;
		pthread_cond_broadcast(&o->done);
	}
	pthread_mutex_unlock(&o->lock);
	return NULL;
}

/* ---- public ------------------------------------------------------------ */

int fl_oidc_open(struct fl_oidc **out, const struct fl_oidc_config *cfg, struct fl_error *err)
{
	struct fl_oidc *o = NULL;
	struct fl_jwk_set *set = NULL;
	unsigned char digest[SHA256_DIGEST_LENGTH];
	pthread_condattr_t ca;
	int refresh = FL_OIDC_REFRESH_DEFAULT_SEC, rc;

	*out = NULL;
	if (!cfg->issuer_url || !is_http_url(cfg->issuer_url)) {
		rc = fl_error_set(err, FL_EINVALID, "oidc issuer URL must start with https:// or http://");
		goto fail;
	}
	o = fl_xcalloc(1, sizeof(*o));
	o->issuer = fl_xstrdup(cfg->issuer_url);
	o->ca_file = cfg->ca_file ? fl_xstrdup(cfg->ca_file) : NULL;
	o->timeout_ms = cfg->http_timeout_ms > 0 ? cfg->http_timeout_ms : 10000;
	o->cooldown_ns = (int64_t)FL_MAX(cfg->refetch_cooldown_sec, 0) * FL_NS_PER_SEC;
	o->min_refresh_sec = cfg->min_refresh_sec > 0 ? cfg->min_refresh_sec : FL_OIDC_REFRESH_MIN_SEC;
	pthread_mutex_init(&o->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&o->wake, &ca);
	pthread_cond_init(&o->done, &ca);
	pthread_condattr_destroy(&ca);
	atomic_init(&o->generation, 0);
	atomic_init(&o->fetch_count, 0);
	if (strncmp(o->issuer, "http://", 7) == 0 && !is_loopback_url(o->issuer))
		FL_LOG_W(NULL, "oidc: issuer '%s' is plain http; keys are fetched without TLS", o->issuer);

	rc = discover(o, err);
	if (rc != FL_OK)
		goto fail;
	rc = fetch_jwks(o, &set, digest, &refresh, err);
	if (rc != FL_OK)
		goto fail;
	install(o, set, digest);
	o->next_refresh_ns = fl_time_mono_ns() + (int64_t)refresh * FL_NS_PER_SEC;
	if (pthread_create(&o->thread, NULL, refresh_main, o) != 0) {
		rc = fl_error_set(err, FL_ERROR, "oidc: cannot start the key refresh thread");
		goto fail;
	}
	o->thread_started = true;
	*out = o;
	return FL_OK;
fail:
	fl_oidc_free(o);
	return rc;
}

void fl_oidc_free(struct fl_oidc *o)
{
	if (!o)
		return;
	if (o->thread_started) {
		pthread_mutex_lock(&o->lock);
		o->stop = true;
		pthread_cond_broadcast(&o->wake);
		pthread_mutex_unlock(&o->lock);
		pthread_join(o->thread, NULL);
	}
	fl_jwk_set_unref(o->keys);
	pthread_cond_destroy(&o->wake);
	pthread_cond_destroy(&o->done);
	pthread_mutex_destroy(&o->lock);
	free(o->issuer);
	free(o->jwks_uri);
	free(o->ca_file);
	free(o);
}

struct fl_jwk_set *fl_oidc_keys(struct fl_oidc *o, uint64_t *generation)
{
	struct fl_jwk_set *set;

	pthread_mutex_lock(&o->lock);
	set = fl_jwk_set_ref(o->keys);
	if (generation)
		*generation = atomic_load(&o->generation);
	pthread_mutex_unlock(&o->lock);
	return set;
}

uint64_t fl_oidc_generation(struct fl_oidc *o)
{
	return atomic_load(&o->generation);
}

uint64_t fl_oidc_fetch_count(struct fl_oidc *o)
{
	return atomic_load(&o->fetch_count);
}

bool fl_oidc_refetch_for_kid(struct fl_oidc *o, uint64_t seen)
{
	struct timespec ts;
	uint64_t target;
	int64_t now = fl_time_mono_ns();
	bool changed;

	pthread_mutex_lock(&o->lock);
	if (atomic_load(&o->generation) != seen) {
		pthread_mutex_unlock(&o->lock);
		return true;
	}
	if (!o->fetching && !o->requested) {
		if (o->ondemand_used && now - o->last_ondemand_ns < o->cooldown_ns) {
			pthread_mutex_unlock(&o->lock);
			return false;
		}
		o->ondemand_used = true;
		o->last_ondemand_ns = now;
		o->requested = true;
		pthread_cond_signal(&o->wake);
	}
	/* a pending request is served by the next fetch to finish; a running one by the current */
	target = o->fetch_done + 1;
	deadline_ts(now + ((int64_t)o->timeout_ms + 2000) * FL_NS_PER_MS, &ts);
	while (o->fetch_done < target && !o->stop)
		if (pthread_cond_timedwait(&o->done, &o->lock, &ts) == ETIMEDOUT)
			break;
	changed = atomic_load(&o->generation) != seen;
	pthread_mutex_unlock(&o->lock);
	return changed;
}
