/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file flyte/client.h
 * @brief The connection to a Flyte API server: options, discovery, raw
 * requests, logging.
 *
 * A flyte_client holds the API root URL, the HTTP settings (timeout, bearer
 * token, TLS files) and a pool of HTTP connections.  Packs (flyte/pack.h) and
 * tools such as flytectl build on it.
 *
 * **Thread-safety.**  A client may be used from any number of threads at the
 * same time: every request borrows its own connection from the pool.  The
 * options passed to flyte_client_new() are copied; the caller may free them
 * afterwards.  flyte_client_free() must not race with other calls on the same
 * client, and every pack using the client must be freed first.
 *
 * **Errors.**  Functions return FLYTE_OK or a negative enum flyte_err code;
 * the calling thread reads the message with flyte_last_error() or
 * flyte_client_last_error().  Nothing is printed unless a log callback is set.
 */
#ifndef FLYTE_CLIENT_H
#define FLYTE_CLIENT_H

#include "common.h"

FLYTE_BEGIN_DECL

/** Severity of a log message passed to a flyte_log_fn. */
enum flyte_log_level {
	FLYTE_LOG_DEBUG = 0,
	FLYTE_LOG_INFO = 1,
	FLYTE_LOG_WARN = 2,
	FLYTE_LOG_ERROR = 3,
	FLYTE_LOG_NONE = 4 /**< as a threshold: log nothing */
};

/**
 * Log callback.  Called from library threads (take loop, workers) as well as
 * from the threads calling into the library, possibly concurrently: the
 * callback must be thread-safe.  @p message is one line without a trailing
 * newline, borrowed for the duration of the call.  @p payload is the
 * log_payload given in the options.
 */
typedef void (*flyte_log_fn)(enum flyte_log_level level, const char *message, void *payload);

/**
 * A ready-made log callback writing "flyte: <level>: <message>" lines to
 * stderr.  Opt in with `opts.log_fn = flyte_log_stderr;`.  Thread-safe.
 */
FLYTE_API void flyte_log_stderr(enum flyte_log_level level, const char *message, void *payload);

/**
 * Settings of a client.  Initialise with flyte_client_options_init() (or
 * flyte_client_options_from_env()) and then set what you need; fields added
 * in later versions get their defaults that way.  All strings are borrowed
 * and only need to live until flyte_client_new() returns.
 */
struct flyte_client_options {
	/** Root URL of the server, e.g. "http://127.0.0.1:8080"; "/v1" is
	 *  appended for discovery (a path prefix is kept).  Required. */
	const char *api_url;
	/** Timeout of each request in milliseconds; default 10000; 0 = none.
	 *  The long-poll take of a pack uses its own, longer timeout. */
	long timeout_ms;
	/** Connect timeout in milliseconds; default 5000; 0 = curl's default. */
	long connect_timeout_ms;
	/** Bearer token sent as "Authorization: Bearer <jwt>"; NULL = none. */
	const char *jwt;
	/** PEM file with the CA certificates to trust; NULL = system store. */
	const char *ca_file;
	/** PEM client certificate for mutual TLS; NULL = none. */
	const char *cert_file;
	/** PEM private key of cert_file; NULL = key inside cert_file. */
	const char *key_file;
	/** Non-zero: do not verify the server certificate or host name. */
	int insecure;
	/** User-Agent header; NULL = "libflyte/<version>". */
	const char *user_agent;
	/** Log callback; NULL (the default) = the library logs nothing. */
	flyte_log_fn log_fn;
	/** Passed to log_fn. */
	void *log_payload;
	/** Messages below this level are not formatted; default FLYTE_LOG_INFO. */
	enum flyte_log_level log_level;
};

/**
 * Fill @p opts with the defaults (every pointer NULL, timeout 10 s, log level
 * FLYTE_LOG_INFO).  Never fails.
 */
FLYTE_API void flyte_client_options_init(struct flyte_client_options *opts);

/**
 * Initialise @p opts (as flyte_client_options_init()) and then apply the
 * environment:
 *
 * | variable | field |
 * |---|---|
 * | `FLYTE_API` (or, if unset, `FLYTE_API_URL`) | api_url |
 * | `FLYTE_API_TIMEOUT` | timeout_ms = seconds × 1000 (integer ≥ 0; 0 = none) |
 * | `FLYTE_JWT` | jwt |
 * | `FLYTE_API_CA_FILE`, `FLYTE_API_CERT_FILE`, `FLYTE_API_KEY_FILE` | TLS files |
 * | `FLYTE_API_INSECURE` | insecure (`true`/`1`/`yes` or `false`/`0`/`no`) |
 *
 * Strings point into the process environment (borrowed): they stay valid as
 * long as the environment is not modified.  Not thread-safe against
 * concurrent setenv().  Labels are read separately, see
 * flyte_labels_from_env() in flyte/pack.h.
 *
 * @return FLYTE_OK; FLYTE_EINVALID if a variable is malformed or no API URL
 *         is set (the message names the variable).
 */
FLYTE_API int flyte_client_options_from_env(struct flyte_client_options *opts);

/** A client handle; opaque. */
struct flyte_client;

/**
 * Create a client.  Does not contact the server.
 *
 * @param out   receives the client; the caller owns it and frees it with
 *              flyte_client_free().  Set to NULL on failure.
 * @param opts  settings (copied).
 * @return FLYTE_OK; FLYTE_EINVALID (missing or malformed api_url, unreadable
 *         TLS file); FLYTE_ENOMEM; FLYTE_ERROR if libcurl cannot initialise.
 */
FLYTE_API int flyte_client_new(struct flyte_client **out, const struct flyte_client_options *opts);

/** Free a client (NULL is accepted).  See the thread-safety note above. */
FLYTE_API void flyte_client_free(struct flyte_client *client);

/**
 * The API root URL of the client, without a trailing slash.
 * @return a borrowed string living as long as the client.
 */
FLYTE_API const char *flyte_client_api_url(const struct flyte_client *client);

/**
 * Message of the most recent failure of a call on @p client made by the
 * calling thread, or "" if the thread's most recent failure concerned
 * something else.  Borrowed; valid until the thread's next libflyte call.
 * Thread-safe.
 *
 * @return the message; never NULL.
 */
FLYTE_API const char *flyte_client_last_error(const struct flyte_client *client);

/**
 * GET `<api_url>/v1` once and remember its links (replacing those of an
 * earlier discovery).  No retries; packs retry for you.
 *
 * @return FLYTE_OK; FLYTE_ENETWORK / FLYTE_ETIMEOUT (transport);
 *         FLYTE_ESERVER (5xx) or another status code mapped by
 *         flyte_err_from_status(); FLYTE_EPROTOCOL (no JSON links).
 */
FLYTE_API int flyte_client_discover(struct flyte_client *client);

/**
 * Find a discovered link by the suffix of its rel, e.g. "pack/listPacks",
 * "info/health", "flow/listFlows".  Discovers first if needed.
 *
 * @param out receives a copy of the href (caller frees with
 *            flyte_string_free()); NULL on failure.
 * @return FLYTE_OK; FLYTE_ENOTFOUND if no link has that suffix; the codes of
 *         flyte_client_discover().
 */
FLYTE_API int flyte_client_link(char **out, struct flyte_client *client, const char *rel_suffix);

/** Free a string returned by libflyte (NULL is accepted). */
FLYTE_API void flyte_string_free(char *s);

/**
 * An HTTP response.  Fields are owned by the struct and freed by
 * flyte_response_release(); body is always NUL-terminated (empty string when
 * there was no body), the other strings are NULL when absent.
 */
struct flyte_response {
	int status;           /**< HTTP status, e.g. 200 */
	char *body;           /**< response body (may contain NUL bytes) */
	size_t body_len;      /**< length of body */
	char *content_type;   /**< Content-Type header or NULL */
	char *location;       /**< Location header or NULL */
};

/** Zero a response so that it can be released safely.  Never fails. */
FLYTE_API void flyte_response_init(struct flyte_response *resp);

/** Free the contents of a response and zero it (NULL is accepted). */
FLYTE_API void flyte_response_release(struct flyte_response *resp);

/**
 * Send one HTTP request and read the whole response.  A response with any
 * status (including 4xx and 5xx) is a success of this call: check
 * out->status.  No retries.
 *
 * @param out          receives the response (initialised by the call;
 *                     release it with flyte_response_release() even on
 *                     failure).
 * @param client       the client.
 * @param method       "GET", "POST", "PUT", "DELETE", ...
 * @param path         an absolute http(s) URL, or a path such as "/v1/flows"
 *                     appended to the API root URL.
 * @param content_type Content-Type of the body; NULL = none sent.
 * @param body         request body (may be NULL when body_len is 0).
 * @param body_len     length of body.
 * @return FLYTE_OK when a response was received; FLYTE_ENETWORK,
 *         FLYTE_ETIMEOUT (transport); FLYTE_ETOOBIG (response larger than
 *         64 MiB); FLYTE_EINVALID (bad method or path); FLYTE_ENOMEM.
 */
FLYTE_API int flyte_client_request(struct flyte_response *out, struct flyte_client *client,
				   const char *method, const char *path, const char *content_type,
				   const void *body, size_t body_len);

/**
 * Percent-encode one path segment (RFC 3986 unreserved characters are kept),
 * e.g. "My Pack" → "My%20Pack".
 *
 * @param out receives the encoded string (caller frees with
 *            flyte_string_free()).
 * @return FLYTE_OK or FLYTE_ENOMEM.
 */
FLYTE_API int flyte_url_escape(char **out, const char *segment);

FLYTE_END_DECL

#endif
