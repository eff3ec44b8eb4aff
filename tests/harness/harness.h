/* SPDX-License-Identifier: Apache-2.0 */
/*
 * harness.h - black-box test harness for the real flyte binary.
 *
 * The harness starts the server executable named by the FLYTE_BIN
 * environment variable on a free 127.0.0.1 port, with a fresh temporary
 * directory for its database and log, waits until GET /health answers 200,
 * and stops, kills or restarts it on request.  Every started server is
 * registered: an atexit handler and a handler for SIGINT/SIGTERM/SIGHUP/
 * SIGABRT kill the remaining children and remove their directories, and each
 * child is started with PR_SET_PDEATHSIG so it never outlives the test.
 * Start servers from the main thread (the death signal is tied to the
 * thread that forked).
 *
 * On top of that it offers:
 *  - an HTTP client on libcurl (flh_http and shortcuts) returning a
 *    struct flh_resp with status, headers and body, and the body parsed as
 *    JSON on demand;
 *  - JSON helpers (lookup by dotted path, link lookup by rel suffix, ordered
 *    structural comparison);
 *  - a fake pack (flh_pack_*) that registers, discovers its event and
 *    takeAction links from the registration answer the way the Go client
 *    does (rel suffix), posts events, takes actions and posts results;
 *  - assertion macros (FLH_*) for tests written with tests/fltest.h.  On a
 *    failure they print the message, then the tail of every registered
 *    server's log as TAP "#" lines (only lines not shown by an earlier
 *    failure), release every response still tracked, and end the test case.
 *
 * Ownership: responses returned by the harness are owned by the caller and
 * freed with flh_resp_free; responses that are still alive when an FLH_
 * assertion fails are freed by the harness (flh_release_all), so a failing
 * test does not leak them.  Strings in the structs below are owned by the
 * struct and released with its _release / _free function.
 *
 * Environment read by the harness:
 *   FLYTE_BIN            path of the server executable (required)
 *   FLH_START_TIMEOUT_MS how long to wait for /health (default 60000)
 *   FLH_KEEP             if set, temporary directories (and PostgreSQL databases) are kept
 *   FLH_STORE            "pg": servers run on PostgreSQL (see flh_store_is_pg)
 */
#ifndef FLH_HARNESS_H
#define FLH_HARNESS_H

#include "fl-common.h"

#include <jansson.h>
#include <sys/types.h>

/* Default deadline for waiting on asynchronous server-side effects. */
#define FLH_WAIT_MS 30000

/* ---- time ------------------------------------------------------------ */

/* Monotonic milliseconds. */
int64_t flh_now_ms(void);
/* A deadline timeout_ms from now, for flh_expired. */
int64_t flh_deadline(int timeout_ms);
bool flh_expired(int64_t deadline);
void flh_sleep_ms(int ms);

/*
 * Poll `cond` every 20 ms until it holds or timeout_ms passes; `ok` is set to
 * whether it held.  `cond` is evaluated at least once.
 */
#define FLH_WAIT_FOR(ok, timeout_ms, cond)                                            \
	do {                                                                           \
		int64_t flh_dl_ = flh_deadline(timeout_ms);                            \
		for (;;) {                                                             \
			if (cond) {                                                    \
				(ok) = true;                                           \
				break;                                                 \
			}                                                              \
			if (flh_expired(flh_dl_)) {                                    \
				(ok) = false;                                          \
				break;                                                 \
			}                                                              \
			flh_sleep_ms(20);                                              \
		}                                                                      \
	} while (0)

/* ---- servers --------------------------------------------------------- */

struct flh_server;

struct flh_server_opts {
	/* Extra "NAME=value" environment entries, NULL-terminated; may be NULL.
	 * They override the harness defaults (FLYTE_PORT, FLYTE_DB_PATH, ...). */
	const char *const *env;
	/* Extra command-line arguments, NULL-terminated; may be NULL. */
	const char *const *args;
	/* Milliseconds to wait for /health; 0 = FLH_START_TIMEOUT_MS or 60000. */
	int start_timeout_ms;
};

/*
 * Start a server in a fresh temporary directory.  The child gets the test's
 * environment minus every FLYTE_* variable, plus FLYTE_PORT (free port),
 * FLYTE_BIND_ADDRESS=127.0.0.1, FLYTE_DB_PATH=<dir>/flyte.db, plus opts->env.
 * When opts->env sets FLYTE_TLS_CERT_PATH the server URL is https (the
 * harness does not verify certificates).
 * Its stdout and stderr go to <dir>/server.log.  Returns 0 and stores the
 * server (caller owns, flh_server_free) in *out once /health answers 200;
 * returns -1 after printing TAP diagnostics (and the log tail) otherwise.
 */
int flh_server_start(struct flh_server **out, const struct flh_server_opts *opts);

/*
 * Start the binary again on the same directory, database and environment
 * (after a stop or kill; a running server is stopped first with SIGTERM).
 * Tries the previous port first.  Returns 0 once healthy, -1 otherwise.
 */
int flh_server_restart(struct flh_server *s);

/*
 * SIGTERM, wait up to timeout_ms (0 = 30000), then SIGKILL.  Stores the
 * waitpid status in *wstatus (may be NULL).  Returns 0 if the process ended
 * by itself within the deadline, -1 if it had to be killed or was not running.
 */
int flh_server_stop(struct flh_server *s, int timeout_ms, int *wstatus);

/* SIGKILL and reap.  Returns 0, or -1 if it was not running. */
int flh_server_kill(struct flh_server *s);

/* Send a signal to the running server.  Returns 0 or -1. */
int flh_server_signal(struct flh_server *s, int sig);

/* Wait up to timeout_ms for the process to exit by itself; 0 and *wstatus
 * on exit, -1 if it is still running (or was not running). */
int flh_server_wait(struct flh_server *s, int timeout_ms, int *wstatus);

/* True while the child has not been reaped. */
bool flh_server_running(struct flh_server *s);

/* Kill if running, remove the directory (unless FLH_KEEP), free.  NULL ok. */
void flh_server_free(struct flh_server *s);

/* Borrowed accessors. */
const char *flh_server_url(const struct flh_server *s); /* "http[s]://127.0.0.1:PORT" */
int flh_server_port(const struct flh_server *s);
const char *flh_server_dir(const struct flh_server *s);
const char *flh_server_db_path(const struct flh_server *s);
/* FLYTE_DB_URL of a server on PostgreSQL (FLH_STORE=pg), else NULL. */
const char *flh_server_db_url(const struct flh_server *s);
/*
 * True when the tests run against PostgreSQL: FLH_STORE=pg.  Every server
 * the harness starts then gets a fresh database on the test PostgreSQL
 * server (tests/pgtemp: FLYTE_TEST_PG, or a server of the test's own),
 * dropped when the server is freed; FLYTE_DB_PATH is still set but unused.
 */
bool flh_store_is_pg(void);
pid_t flh_server_pid(const struct flh_server *s);

/* Whole log file as a NUL-terminated string (caller frees), or NULL. */
char *flh_server_log(const struct flh_server *s);
/* Print the last `lines` lines of the log as "# | ..." TAP diagnostics. */
void flh_server_log_tail(const struct flh_server *s, int lines);

/* Describe a waitpid status: "exit 0", "signal 9". Returns buf. */
const char *flh_status_str(int wstatus, char *buf, size_t len);

/* ---- running the binary as a command ---------------------------------- */

struct flh_run_opts {
	const char *const *args; /* arguments after argv[0], NULL-terminated */
	const char *const *env;  /* extra "NAME=value" entries, NULL-terminated */
	/* If set, the child also gets this server's FLYTE_DB_PATH and
	 * FLYTE_BIND_ADDRESS (but a new free FLYTE_PORT) unless env overrides. */
	const struct flh_server *like;
	int timeout_ms; /* 0 = 30000; the child is killed afterwards */
};

struct flh_run_result {
	int wstatus;    /* waitpid status */
	bool timed_out; /* killed by the harness at the deadline */
	char *output;   /* stdout and stderr interleaved, NUL-terminated */
};

/* Run FLYTE_BIN to completion.  Returns 0 if it ran (see r), -1 if it could
 * not be started.  Release r with flh_run_result_release. */
int flh_run(const struct flh_run_opts *opts, struct flh_run_result *r);
void flh_run_result_release(struct flh_run_result *r);
/* Exit code if the process exited normally, else -1. */
int flh_exit_code(int wstatus);

/*
 * The environment of a child process the test starts itself: the test's
 * own minus every FLYTE_* variable and every variable starting with one of
 * the prefixes of `clear` (NULL-terminated, may be NULL), plus the
 * "NAME=value" entries of `extra` (NULL-terminated, may be NULL), which
 * replace variables of the same name (a later entry replaces an earlier
 * one).  The array is the caller's (free it); its strings are borrowed.
 */
char **flh_child_env(const char *const *clear, const char *const *extra);

/*
 * The text of the first fenced block (``` ... ```) after the line holding
 * `marker` in the Markdown file at path (caller frees), or NULL.
 */
char *flh_doc_fenced(const char *path, const char *marker);

/*
 * Fork and exec bin with argv and envp (NULL: this process's environment),
 * stdin from /dev/null, stdout and stderr to outfd; the child dies with the
 * thread that forked it.  Returns the pid, or -1 (after a TAP note).
 */
pid_t flh_spawn(const char *bin, char *const *argv, char *const *envp, int outfd);

/* A TCP port on 127.0.0.1 that nothing listens on right now, or -1. */
int flh_free_port(void);

/* ---- HTTP ------------------------------------------------------------ */

/* One part of a multipart/form-data body. */
struct flh_part {
	const char *name;
	const void *data;
	size_t len;           /* 0 = strlen(data) */
	const char *filename; /* NULL = plain field */
	const char *type;     /* part Content-Type; NULL = none sent */
};

struct flh_req {
	const char *method;         /* default "GET" */
	const char *url;            /* absolute URL, or a path below the server URL */
	const char *const *headers; /* "Name: value" lines, NULL-terminated */
	const void *body;           /* NULL = no body */
	size_t body_len;            /* 0 = strlen(body) when body is set */
	const char *content_type;   /* NULL = no Content-Type header */
	const char *accept;         /* NULL = curl's default */
	const struct flh_part *parts; /* multipart body instead of `body` */
	size_t nparts;
	long timeout_ms;              /* 0 = 60000 */
};

struct flh_header {
	char *name;
	char *value;
};

struct flh_resp {
	long status;   /* 0 when no HTTP answer was received */
	int curl_code; /* CURLcode of the transfer */
	char error[256];
	char *method;
	char *url;
	char *body; /* NUL-terminated (extra NUL not counted in body_len) */
	size_t body_len;
	struct flh_header *headers; /* of the final response */
	size_t nheaders;
	json_t *json; /* parsed on demand by flh_resp_json */
	bool json_tried;
};

/*
 * Perform one request.  `s` resolves relative URLs and may be NULL when
 * req->url is absolute.  Never returns NULL (aborts on OOM); transport
 * failures give status 0 and a message in ->error.  Caller frees.
 */
struct flh_resp *flh_http(struct flh_server *s, const struct flh_req *req);

/* Shortcuts; `path` may be a path or an absolute URL. */
struct flh_resp *flh_get(struct flh_server *s, const char *path);
struct flh_resp *flh_delete(struct flh_server *s, const char *path);
struct flh_resp *flh_post_json(struct flh_server *s, const char *path, const char *json);
struct flh_resp *flh_send(struct flh_server *s, const char *method, const char *path,
			  const char *content_type, const char *body);
/* printf-style path builder into a static-per-thread buffer (8 KiB). */
const char *flh_path(const char *fmt, ...) FL_PRINTF(1, 2);

/* Value of the first header named `name` (case-insensitive) or NULL. */
const char *flh_resp_header(const struct flh_resp *r, const char *name);
/* Body parsed as JSON (any top-level value); borrowed; NULL if not JSON. */
json_t *flh_resp_json(struct flh_resp *r);
/* True if the Content-Type header starts with `prefix` (case-insensitive). */
bool flh_resp_ctype_is(const struct flh_resp *r, const char *prefix);
/* True if the body is a JSON object with a string member "error". */
bool flh_resp_is_json_error(struct flh_resp *r);
void flh_resp_free(struct flh_resp *r);

/* Free every response not yet freed (called by the FLH_ failure path). */
void flh_release_all(void);

/*
 * Raw HTTP: connect to the server, send `len` bytes exactly as given, then
 * (with shut_wr) shut down the sending side, and read until the server
 * closes the connection or timeout_ms passes.  Stores what was received in
 * *out (NUL-terminated, caller frees) and returns its length, or -1 when
 * the connection could not be made.  For protocol-level tests that libcurl
 * would not produce (bad Content-Length, truncated chunks, garbage).
 */
long flh_raw(struct flh_server *s, const void *req, size_t len, bool shut_wr, int timeout_ms, char **out);
/* Status code of the first "HTTP/1.x NNN" line of a raw answer, or 0. */
int flh_raw_status(const char *raw);
/* Open a connection and send `len` bytes, leaving it open; returns the
 * socket (close it with close(2)) or -1. */
int flh_raw_open(struct flh_server *s, const void *req, size_t len);

/* ---- JSON helpers ---------------------------------------------------- */

/* Parse text (any top-level value); new reference or NULL. */
json_t *flh_json(const char *text);
/* Value at a dotted path ("links.0.href"); numeric segments index arrays.
 * Borrowed; NULL when absent. */
json_t *flh_json_get(json_t *root, const char *path);
/* String at a dotted path, or NULL if absent or not a string. */
const char *flh_json_str(json_t *root, const char *path);
/* href of the first link in a links array whose rel ends with `suffix`. */
const char *flh_link_href(json_t *links, const char *rel_suffix);
/*
 * Structural equality.  With `ordered`, object members must also appear in
 * the same order (the wire order of the original server).  On a mismatch
 * and when `why` is not NULL, a short description of the first difference
 * (JSON path) is written there.
 */
bool flh_json_same(json_t *a, json_t *b, bool ordered, char *why, size_t whylen);
/* Compact serialisation for diagnostics (caller frees). */
char *flh_json_dump(json_t *v);

/* ---- fake pack ------------------------------------------------------- */

struct flh_pack {
	struct flh_server *srv;
	char *id;         /* from the registration body */
	char *location;   /* Location header */
	char *event_href; /* link whose rel ends with "event" */
	char *take_href;  /* link whose rel ends with "takeAction" */
	json_t *body;     /* registration answer */
};

struct flh_action {
	long status;        /* 200, 204, or the error status */
	char *command;      /* NULL unless 200 */
	json_t *input;      /* owned; json null when the action had none */
	char *result_href;  /* link whose rel ends with "actionResult" */
	json_t *body;       /* whole answer (owned) */
};

/*
 * POST the pack definition (JSON text) to /v1/packs.  Returns the HTTP
 * status; on 201 the links are filled in.  Release with flh_pack_release.
 */
long flh_pack_register(struct flh_pack *p, struct flh_server *s, const char *def_json);
/* POST {"event":..,"payload":..} to the event link; payload is JSON text
 * (NULL = no payload).  Returns the status. */
long flh_pack_event(struct flh_pack *p, const char *event, const char *payload_json);
/* One POST to the take link (query appended, e.g. "commandName=X").
 * Returns the status and fills *a (release with flh_action_release). */
long flh_pack_take(struct flh_pack *p, const char *query, struct flh_action *a);
/* Repeat takes until one answers 200 or timeout_ms passes; returns the last
 * status (200 on success). */
long flh_pack_take_wait(struct flh_pack *p, const char *query, struct flh_action *a, int timeout_ms);
/* POST a result event to the action's result link.  Returns the status. */
long flh_action_result(struct flh_server *s, const struct flh_action *a, const char *event,
		       const char *payload_json);
/* lastSeen of the pack as read by GET <location> (caller frees) or NULL. */
char *flh_pack_last_seen(struct flh_pack *p);
void flh_pack_release(struct flh_pack *p);
void flh_action_release(struct flh_action *a);

/* ---- failure reporting and assertions (use with tests/fltest.h) ------ */

/* Print the log tails of all registered servers and release tracked
 * responses.  Called by FLH_FAIL before ending the test case. */
void flh_on_failure(void);
/* Print a response as "# " lines (method, URL, status, body excerpt). */
void flh_resp_print(const struct flh_resp *r);

#define FLH_FAIL(...)                                                          \
	do {                                                                   \
		printf("# %s:%d: ", __FILE__, __LINE__);                       \
		printf(__VA_ARGS__);                                           \
		printf("\n");                                                  \
		flh_on_failure();                                              \
		flt__failed = 1;                                               \
		longjmp(flt__jmp, 1);                                          \
	} while (0)

#define FLH_ASSERT(cond)                                                       \
	do {                                                                   \
		if (!(cond))                                                   \
			FLH_FAIL("assertion failed: %s", #cond);               \
	} while (0)

#define FLH_ASSERT_MSG(cond, ...)                                              \
	do {                                                                   \
		if (!(cond))                                                   \
			FLH_FAIL(__VA_ARGS__);                                 \
	} while (0)

#define FLH_EQ_INT(a, b)                                                                  \
	do {                                                                              \
		long long flh_a_ = (long long)(a), flh_b_ = (long long)(b);               \
		if (flh_a_ != flh_b_)                                                     \
			FLH_FAIL("%s == %s: got %lld, expected %lld", #a, #b, flh_a_, flh_b_); \
	} while (0)

#define FLH_EQ_STR(a, b)                                                                  \
	do {                                                                              \
		const char *flh_a_ = (a), *flh_b_ = (b);                                  \
		if (!flh_a_ || !flh_b_ || strcmp(flh_a_, flh_b_) != 0)                    \
			FLH_FAIL("%s == %s: got \"%s\", expected \"%s\"", #a, #b,         \
				 flh_a_ ? flh_a_ : "(null)", flh_b_ ? flh_b_ : "(null)");  \
	} while (0)

/* The response has exactly this status; prints the response otherwise. */
#define FLH_STATUS(resp, code)                                                 \
	do {                                                                   \
		const struct flh_resp *flh_r_ = (resp);                        \
		if (flh_r_->status != (long)(code)) {                          \
			flh_resp_print(flh_r_);                                \
			FLH_FAIL("status of %s %s: got %ld, expected %d",      \
				 flh_r_->method, flh_r_->url, flh_r_->status,  \
				 (int)(code));                                 \
		}                                                              \
	} while (0)

/* Error answer: this status and a JSON body {"error": "<string>", ...}. */
#define FLH_ERROR(resp, code)                                                  \
	do {                                                                   \
		struct flh_resp *flh_e_ = (resp);                              \
		FLH_STATUS(flh_e_, code);                                      \
		if (!flh_resp_is_json_error(flh_e_)) {                         \
			flh_resp_print(flh_e_);                                \
			FLH_FAIL("%s %s: error body is not JSON with an "      \
				 "\"error\" string", flh_e_->method,           \
				 flh_e_->url);                                 \
		}                                                              \
	} while (0)

/* JSON values equal (ordered or not); prints both otherwise. */
#define FLH_JSON_SAME(got, expected, ordered)                                            \
	do {                                                                             \
		char flh_why_[512];                                                      \
		json_t *flh_g_ = (got), *flh_x_ = (expected);                            \
		if (!flh_json_same(flh_g_, flh_x_, (ordered), flh_why_, sizeof(flh_why_))) { \
			char *flh_gs_ = flh_json_dump(flh_g_);                           \
			char *flh_xs_ = flh_json_dump(flh_x_);                           \
			printf("# got:      %s\n# expected: %s\n", flh_gs_, flh_xs_);     \
			free(flh_gs_);                                                   \
			free(flh_xs_);                                                   \
			FLH_FAIL("JSON differs (%s): %s", #got, flh_why_);               \
		}                                                                        \
	} while (0)

#endif
