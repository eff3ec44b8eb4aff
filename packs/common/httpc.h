/* SPDX-License-Identifier: Apache-2.0 */
/*
 * httpc.h - the HTTP client of the bundled packs that drive a REST service
 * (Jira, Bamboo, Bitbucket, Consul, Graphite, Slack, ...), on libcurl and
 * jansson.
 *
 * One `struct httpc` describes one external service: its base URL, its
 * credentials, TLS settings, timeouts and retry policy.  Handlers send
 * requests through it with httpc_send() and read the answer from a
 * `struct httpc_response`.
 *
 * Typical use in a pack:
 *
 *     struct httpc_options o;
 *     httpc_options_init(&o);
 *     o.name = "Jira";
 *     o.base_url = getenv("JIRA_HOST");
 *     o.auth = HTTPC_AUTH_BASIC; o.user = ...; o.password = ...;
 *     if (httpc_options_from_env(&o, "JIRA", 0, err, sizeof(err)) ||
 *         httpc_new(&http, &o, err, sizeof(err)))
 *             ... configuration error ...
 *
 *     // in a handler:
 *     char *path = NULL;
 *     struct httpc_response r;
 *     httpc_pathf(&path, "/rest/api/2/issue/%s", key);   // %s is escaped
 *     struct httpc_request q = { .method = "GET", .path = path, .flags = HTTPC_IDEMPOTENT };
 *     if (httpc_send(http, &q, &r) == FLYTE_OK && r.status == 200) ... httpc_answer_json(...) ...
 *     else httpc_describe(msg, sizeof(msg), &r);          // one line, secrets redacted
 *     httpc_response_release(&r); free(path);
 *
 * **Security.**  TLS certificates and host names are verified unless the
 * caller sets `insecure` (an explicit opt-out); `ca_file` / `ca_path` add
 * trust anchors.  Only http and https are spoken; redirects are not
 * followed, so credentials never travel to another host.  Secrets (the
 * password, the token, the password of a URL's userinfo) never appear in
 * anything this module logs or returns: httpc_describe(), the error text of
 * a response and httpc_logf() pass their text through httpc_redact().
 * Header values with CR or LF are refused (no header injection).
 *
 * **Retries.**  httpc_send() retries a request whose answer says "try
 * again" - 429 always (the server refused to act on it), 500/502/503/504
 * and transport failures that may have happened after the request was sent
 * (time-outs, broken connections) only when the caller marks the request
 * HTTPC_IDEMPOTENT.  A connection that could not be made at all (refused,
 * name not resolved) is always retried: nothing was sent.  Delays double
 * from retry_initial_ms with jitter, capped at retry_max_ms; a Retry-After
 * header (seconds or HTTP date) replaces the computed delay, and when it
 * asks for longer than retry_max_ms the answer is returned as it is instead
 * of waiting.  At most max_attempts requests are made.
 *
 * **Thread-safety.**  A `struct httpc` is immutable after httpc_new() except
 * for its pool of idle curl handles, which is guarded by a mutex: any number
 * of threads (the pack's action handlers) may call httpc_send() on the same
 * handle at once; each request borrows its own curl handle, and keep-alive
 * connections are reused through the pool.  httpc_free() must not race with
 * other calls.
 *
 * **Errors.**  Functions return FLYTE_OK (0) or a negative enum flyte_err
 * code from <flyte/errors.h>; messages go to caller-provided buffers or the
 * response's `error` field, never to a global.  Out of memory never aborts.
 *
 * The library also carries the src/common helpers it is built with (fl_buf,
 * fl_b64, fl_utf8, fl_time): programs linking it get them from here.
 */
#ifndef PACKS_HTTPC_H
#define PACKS_HTTPC_H

#include "fl-common.h"

#include <jansson.h>

#include <flyte.h>

#include "buf.h"

/* ------------------------------------------------------------ options */

/** How requests authenticate. */
enum httpc_auth {
	HTTPC_AUTH_NONE = 0,
	HTTPC_AUTH_BASIC,  /* "Authorization: Basic base64(user:password)", sent pre-emptively */
	HTTPC_AUTH_BEARER, /* "Authorization: Bearer <token>" */
	HTTPC_AUTH_HEADER, /* "<token_header>: <token>", e.g. X-Consul-Token; plus Basic
			    * credentials when user is set (a proxy in front) */
};

#define HTTPC_DEFAULT_TIMEOUT_MS 30000L
#define HTTPC_DEFAULT_CONNECT_TIMEOUT_MS 10000L
#define HTTPC_DEFAULT_MAX_ATTEMPTS 3u
#define HTTPC_DEFAULT_RETRY_INITIAL_MS 500L
#define HTTPC_DEFAULT_RETRY_MAX_MS 30000L
#define HTTPC_DEFAULT_MAX_RESPONSE ((size_t)8 << 20)

/*
 * Settings of one service.  Initialise with httpc_options_init() and set
 * what you need.  Strings are borrowed: they only need to live until
 * httpc_new() returns (it copies them).
 */
struct httpc_options {
	/* Service name used in messages and logs, e.g. "Jira"; default "http". */
	const char *name;
	/* Base URL, e.g. "https://jira.example.com" or "https://host/jira";
	 * request paths are appended to it (a trailing '/' is dropped).
	 * Required by httpc_new(). */
	const char *base_url;
	enum httpc_auth auth;
	const char *user;         /* BASIC (and HEADER, optionally) */
	const char *password;     /* BASIC (and HEADER, optionally); secret */
	const char *token;        /* BEARER, HEADER; secret */
	const char *token_header; /* HEADER: the header name */
	/* TLS.  Verification is on unless insecure is non-zero. */
	const char *ca_file;   /* PEM bundle of trusted CAs (CURLOPT_CAINFO) */
	const char *ca_path;   /* directory of hashed CA certificates (CURLOPT_CAPATH) */
	const char *cert_file; /* PEM client certificate for mutual TLS */
	const char *key_file;  /* its private key (NULL: inside cert_file) */
	int insecure;          /* non-zero: no certificate or host name verification */
	/* Talk HTTP over this Unix socket instead of TCP (base_url then only
	 * names the Host); NULL = TCP. */
	const char *unix_socket;
	long connect_timeout_ms; /* default HTTPC_DEFAULT_CONNECT_TIMEOUT_MS; 0 = curl's */
	long timeout_ms;         /* whole exchange, per attempt; default 30000; 0 = none */
	unsigned max_attempts;   /* requests made at most, >= 1; default 3 */
	long retry_initial_ms;   /* first retry delay; default 500 */
	long retry_max_ms;       /* largest delay (and Retry-After) waited; default 30000 */
	size_t max_response;     /* answers larger than this fail with FLYTE_ETOOBIG; default 8 MiB */
	const char *user_agent;  /* default "flyte-packs/<libflyte version>" */
	/* Query sent with every request, after the request's own, already
	 * escaped (e.g. Bamboo's "os_authType=basic"); NULL = none. */
	const char *query;
	/* Logging (see flyte/client.h); NULL = silent.  Requests are logged at
	 * debug level, retries at info, with secrets redacted. */
	flyte_log_fn log_fn;
	void *log_payload;
	enum flyte_log_level log_level;
};

/* Fill o with the defaults above (every pointer NULL).  Never fails. */
void httpc_options_init(struct httpc_options *o);

enum httpc_env_flags {
	HTTPC_ENV_NO_TLS = (1 << 0), /* do not read <P>_CA_FILE, <P>_CA_PATH, <P>_INSECURE */
};

/*
 * Apply the common variables of a pack whose variables start with prefix P
 * (e.g. "JIRA"), when they are set and not empty:
 *
 * | variable | field |
 * |---|---|
 * | `<P>_CA_FILE`, `<P>_CA_PATH` | ca_file, ca_path |
 * | `<P>_INSECURE` | insecure (true or false, see packenv_bool()) |
 * | `<P>_TIMEOUT_SEC` | timeout_ms (seconds, decimals allowed; 0 = none) |
 * | `<P>_CONNECT_TIMEOUT_SEC` | connect_timeout_ms |
 * | `<P>_RETRIES` | max_attempts = 1 + retries (0..10) |
 * | `<P>_RETRY_DELAY_MS` | retry_initial_ms (1..60000) |
 * | `<P>_MAX_RESPONSE_BYTES` | max_response (1024..1 GiB) |
 *
 * Strings point into the environment (borrowed).  Returns FLYTE_OK, or
 * FLYTE_EINVALID with a message naming the variable in err.
 */
int httpc_options_from_env(struct httpc_options *o, const char *prefix, unsigned flags, char *err,
			   size_t errlen);

/* ------------------------------------------------------------- handle */

struct httpc;

/*
 * Create a handle.  Does not connect.  Validates the options: base_url must
 * be an absolute http(s) URL, credentials of the chosen auth must be set
 * and free of CR/LF, TLS files must be readable.
 *
 * @param out receives the handle (caller owns; httpc_free()); NULL on failure.
 * @return FLYTE_OK; FLYTE_EINVALID (message in err); FLYTE_ENOMEM;
 *         FLYTE_ERROR (libcurl cannot initialise).
 */
int httpc_new(struct httpc **out, const struct httpc_options *o, char *err, size_t errlen);

/* Free a handle and its idle connections.  NULL is accepted. */
void httpc_free(struct httpc *h);

/* The base URL, without a trailing '/'.  Borrowed. */
const char *httpc_base_url(const struct httpc *h);

/* The service name given in the options.  Borrowed. */
const char *httpc_name(const struct httpc *h);

/* ------------------------------------------------------------ request */

enum httpc_request_flags {
	/* Sending the request twice has the effect of sending it once: it may
	 * be retried after 5xx answers, time-outs and broken connections. */
	HTTPC_IDEMPOTENT = (1 << 0),
	/* Never retry, whatever happens (the caller retries itself). */
	HTTPC_NO_RETRY = (1 << 1),
};

struct httpc_request {
	const char *method; /* "GET", "POST", "PUT", "DELETE", ...; required */
	/* Path below the base URL, already escaped (see httpc_pathf()), e.g.
	 * "/rest/api/2/issue/TEST-1"; NULL or "" = the base URL itself. */
	const char *path;
	/* Query without '?', already escaped (see httpc_query_add()); NULL or
	 * "" = none. */
	const char *query;
	/* Body as JSON (borrowed), sent compact with Content-Type
	 * application/json.  Takes precedence over body. */
	json_t *json;
	/* Raw body (borrowed) and its Content-Type (NULL = none sent). */
	const char *body;
	size_t body_len;
	const char *content_type;
	/* Extra "Name: value" headers, NULL-terminated; may be NULL.  An
	 * "Accept" here replaces the default "Accept: application/json". */
	const char *const *headers;
	unsigned flags;  /* enum httpc_request_flags */
	long timeout_ms; /* per attempt; 0 = the handle's */
};

struct httpc_header {
	char *name;
	char *value;
};

/*
 * An answer.  Strings are owned by the struct (httpc_response_release()).
 * body is always NUL-terminated ("" when there was none); content_type is
 * NULL when absent.  headers are those of the final answer.
 */
struct httpc_response {
	long status;        /* HTTP status; 0 when no answer was received */
	char *body;
	size_t body_len;
	char *content_type;
	struct httpc_header *headers;
	size_t n_headers;
	unsigned attempts;  /* requests made */
	int code;           /* FLYTE_OK, or the transport failure of the last attempt */
	/* "" or a one-line description of the transport failure, e.g.
	 * "GET http://127.0.0.1:9/x: Connection refused" (secrets redacted). */
	char error[512];
	/* The request's method and URL without its query (for messages). */
	char method[16];
	char url[512];
};

/* Zero a response so that it can be released.  Never fails. */
void httpc_response_init(struct httpc_response *r);
/* Free the contents and zero the response.  NULL is accepted. */
void httpc_response_release(struct httpc_response *r);

/*
 * Send a request (with retries, see above) and read the whole answer.  An
 * answer with any status is a success of this call: check out->status.
 *
 * @param out initialised by the call; release it even on failure.
 * @return FLYTE_OK when an answer arrived; FLYTE_ETIMEOUT, FLYTE_ENETWORK
 *         (message in out->error); FLYTE_ETOOBIG (answer over max_response);
 *         FLYTE_EINVALID (no method, CR/LF in a header, unserialisable JSON);
 *         FLYTE_ENOMEM.
 */
int httpc_send(struct httpc *h, const struct httpc_request *req, struct httpc_response *out);

/* Value of the first header called name (case-insensitive), or NULL.  Borrowed. */
const char *httpc_response_header(const struct httpc_response *r, const char *name);

/* ------------------------------------------------------- answer handling */

/*
 * Parse an answer body as one JSON value (any type), without size-related
 * surprises: the body was capped by max_response and jansson limits depth.
 * Empty bodies, NUL bytes and trailing garbage are errors.
 *
 * @param out receives a new reference (caller owns, json_decref()).
 * @return FLYTE_OK, or FLYTE_EPROTOCOL with a one-line reason in err, e.g.
 *         "answer is not JSON: '[' or '{' expected near 'x' (line 1, column 1)".
 */
int httpc_answer_json(json_t **out, const char *body, size_t len, char *err, size_t errlen);

/*
 * Extract the human-readable error message of an answer body, in the shapes
 * REST services use:
 *  - Jira `{"errorMessages":[..],"errors":{"field":"msg"}}`,
 *  - Bitbucket `{"errors":[{"message":..}]}`,
 *  - Consul `{"Errors":[{"OpIndex":0,"What":..}]}`,
 *  - `{"message":..}` (Bamboo, Graphite, generic), `{"error":".."}` (Slack,
 *    Graphite), `{"error":{"message":..}}`, `{"error_description":..}`,
 *    `{"errorMessage":..}`, `{"detail":..}`, `{"title":..}`,
 *  - a JSON string,
 *  - HTML (the <title>, else the text without tags) or plain text (the
 *    first non-empty line).
 * The result is one line of valid UTF-8 (control characters become
 * spaces, runs of blanks collapse, invalid bytes become '?'), cut to fit
 * buf with "..." at the end.  Never fails.
 *
 * @return the length written to buf ("" and 0 when nothing was found).
 */
size_t httpc_answer_message(char *buf, size_t len, const char *body, size_t body_len, const char *content_type);

/*
 * Describe a failed exchange in one line, secrets redacted:
 *  - no answer: r->error ("POST http://h/x: timed out after 500 ms");
 *  - an answer: "HTTP <status> from <METHOD> <url>" plus ": <message>" when
 *    httpc_answer_message() finds one.
 * h may be NULL (no redaction beyond what r->error already had).
 */
void httpc_describe(char *buf, size_t len, const struct httpc *h, const struct httpc_response *r);

/*
 * Replace every occurrence of the handle's secrets in text (NUL-terminated,
 * modified in place) by "***".  h may be NULL.
 */
void httpc_redact(const struct httpc *h, char *text);

/* Log a formatted message through the handle's callback, redacted. */
void httpc_logf(const struct httpc *h, enum flyte_log_level level, const char *fmt, ...) FL_PRINTF(3, 4);

/* ------------------------------------------------------- URL building */

/*
 * Build a path from fmt, where every %s is replaced by its argument escaped
 * as one path segment (RFC 3986 unreserved characters are kept, everything
 * else - '/', '?', '#', '%', spaces, UTF-8 - is percent-encoded) and %% is a
 * '%'.  Other conversions are refused.
 *
 *     httpc_pathf(&p, "/rest/api/2/issue/%s/comment", "A B/1")
 *         → "/rest/api/2/issue/A%20B%2F1/comment"
 *
 * @param out receives the path (caller frees with free()); NULL on failure.
 * @return FLYTE_OK, FLYTE_EINVALID (bad conversion) or FLYTE_ENOMEM.
 */
int httpc_pathf(char **out, const char *fmt, ...) FL_PRINTF(2, 3);

/*
 * Append "key=value" to a query being built in q (a '&' first when q is not
 * empty), both escaped like path segments.  value NULL appends "key" alone.
 * Failures are sticky in q (fl_buf_failed()).
 */
void httpc_query_add(struct fl_buf *q, const char *key, const char *value);

#endif
