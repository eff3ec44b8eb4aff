/* SPDX-License-Identifier: Apache-2.0 */
/*
 * internal.h - declarations shared by the files of libflyte (src/pack/).
 *
 * Everything here has hidden visibility: the library is built with
 * -fvisibility=hidden and only FLYTE_API functions are exported.  Internal
 * cross-file functions use the flyte__ prefix.  The library never exits,
 * aborts or prints by itself: errors are codes plus a thread-local message
 * (errors.c), diagnostics go to the client's log callback (flyte__log).
 */
#ifndef FLYTE_INTERNAL_H
#define FLYTE_INTERNAL_H

#include "fl-common.h"

#include <pthread.h>
#include <stdatomic.h>

#include <curl/curl.h>

#include "buf.h"
#include "flyte.h"

/* Largest response body read into memory. */
#define FLYTE__MAX_BODY ((size_t)64 << 20)
/* Largest JSON nesting the scanner accepts. */
#define FLYTE__JSON_MAX_DEPTH 256

/* ------------------------------------------------------------- errors.c */

/*
 * Record a failure for the calling thread: code plus formatted message,
 * attributed to handle (a client, a pack, or NULL).  Returns code.
 */
int flyte__error(const void *handle, int code, const char *fmt, ...) FL_PRINTF(3, 4);
/* Same with the message of the thread's previous failure appended. */
int flyte__error_oom(const void *handle);
/* Map the sticky error of a failed fl_buf to a flyte code and record it. */
int flyte__error_buf(const void *handle, const struct fl_buf *b);
/* Last recorded message for the calling thread if it concerns handle. */
const char *flyte__last_error_for(const void *handle);

/* Log through the client's callback if level passes its threshold. */
void flyte__log(const struct flyte_client *c, enum flyte_log_level level, const char *fmt, ...)
	FL_PRINTF(3, 4);
bool flyte__log_enabled(const struct flyte_client *c, enum flyte_log_level level);

/* --------------------------------------------------------------- json.c */

/* A raw slice of the input. */
struct flyte__span {
	const char *ptr;
	size_t len;
};

/*
 * Validate exactly one JSON value in [s, s+len) (surrounding white space
 * allowed).  Returns 0 or -1 with *err_off set to the offending offset.
 */
int flyte__json_check(const char *s, size_t len, size_t *err_off);
/*
 * In a JSON object text, find the raw text of member key (first match at
 * the top level).  Returns 0 and sets *out, or -1 if absent or malformed.
 */
int flyte__json_member(const char *s, size_t len, const char *key, struct flyte__span *out);

/* ------------------------------------------------------------- cancel.c */

/*
 * A cancellation token: a flag plus the curl multi handles currently
 * waiting on its behalf, so firing it interrupts transfers and sleeps at
 * once.
 */
struct flyte__cancel {
	pthread_mutex_t mu;
	pthread_cond_t cond;
	atomic_bool fired;
	/* Optional flag that also counts as fired.  It may be set from a signal
	 * handler, so nobody is woken: transfers and sleeps notice it within
	 * FLYTE__CANCEL_CHECK_MS. */
	const atomic_bool *linked;
	CURLM **waiting;
	size_t n_waiting, cap_waiting;
};

#define FLYTE__CANCEL_CHECK_MS 200

int flyte__cancel_init(struct flyte__cancel *c);
void flyte__cancel_release(struct flyte__cancel *c);
void flyte__cancel_fire(struct flyte__cancel *c);
bool flyte__cancel_fired(struct flyte__cancel *c);
/* Sleep ms milliseconds; returns true early when c fires.  c may be NULL. */
bool flyte__cancel_sleep(struct flyte__cancel *c, long ms);
/* Register / unregister a multi handle to wake when c fires. */
int flyte__cancel_watch(struct flyte__cancel *c, CURLM *m);
void flyte__cancel_unwatch(struct flyte__cancel *c, CURLM *m);

/* Delay before retry number attempt (0-based): exponential, full jitter in [d/2, d]. */
long flyte__backoff_ms(unsigned attempt, long initial_ms, long max_ms);
/* Monotonic milliseconds. */
int64_t flyte__mono_ms(void);

/* ------------------------------------------------------------- client.c */

struct flyte__link {
	char *rel;
	char *href;
};

struct flyte__conn;

struct flyte_client {
	char *api_url; /* without trailing slash */
	long timeout_ms;
	long connect_timeout_ms;
	char *auth_header; /* "Authorization: Bearer ..." or NULL */
	char *ca_file, *cert_file, *key_file;
	int insecure;
	char *user_agent;
	flyte_log_fn log_fn;
	void *log_payload;
	enum flyte_log_level log_level;

	pthread_mutex_t mu; /* protects links and the connection pool */
	struct flyte__link *links;
	size_t n_links;
	struct flyte__conn *idle;
};

/*
 * Send one request.  url is absolute.  timeout_ms < 0 uses the client's
 * timeout.  cancel (may be NULL) aborts the transfer when fired
 * (FLYTE_ECANCELLED).  On transport failure the message is recorded under
 * handle (the client or a pack).
 */
int flyte__request(struct flyte_response *out, struct flyte_client *c, const void *handle,
		   struct flyte__cancel *cancel, long timeout_ms, const char *method, const char *url,
		   const char *content_type, const void *body, size_t body_len);
/* The same with one more request header (a whole "Name: value" line; NULL = none). */
int flyte__request_h(struct flyte_response *out, struct flyte_client *c, const void *handle,
		     struct flyte__cancel *cancel, long timeout_ms, const char *method, const char *url,
		     const char *content_type, const void *body, size_t body_len, const char *header);
/* Absolute URL for path (absolute URLs are copied).  NULL on OOM. */
char *flyte__url(const struct flyte_client *c, const char *path);
/* Parse {"links":[{"href","rel"}...]} from a JSON body. */
int flyte__parse_links(const char *body, size_t len, struct flyte__link **out, size_t *n_out);
void flyte__links_free(struct flyte__link *links, size_t n);
/* Href of the first link whose rel ends with suffix, or NULL (borrowed). */
const char *flyte__links_find(const struct flyte__link *links, size_t n, const char *suffix);
/* Forget discovered links (they are fetched again on next use). */
void flyte__client_forget_links(struct flyte_client *c);
/* Like flyte_client_link(), recording errors under handle and cancellable. */
int flyte__client_link(char **out, struct flyte_client *c, const void *handle,
		       struct flyte__cancel *cancel, const char *rel_suffix);

/* -------------------------------------------------------------- result.c */

struct flyte__lease;

struct flyte_result {
	const char *command; /* borrowed from the pack */
	char *event;
	char *payload; /* JSON text */
	long attempt;  /* the take this result answers; 0 = unknown */
	const struct flyte__lease *lease; /* heartbeats of the action, NULL when none */
};

void flyte__result_init(struct flyte_result *r, const char *command);
void flyte__result_release(struct flyte_result *r);
/*
 * Build the body of an event or result post:
 * {"event":<name>,"payload":<json>,"createdAt":"<now>"}.
 */
void flyte__event_body(struct fl_buf *b, const char *event, const char *payload_json);

/* ---------------------------------------------------------------- pack.c */

struct flyte__cmd {
	char *name;
	char **events;
	size_t n_events;
	flyte_handler_fn handler;
	void *payload;
	char *help_url;
	long lease_sec;        /* flyte_pack_set_command_lease(): 0 = the pack's, < 0 = none */
	unsigned max_attempts; /* 0 = the pack's */
};

/* One taken action waiting for or running in a worker. */
struct flyte__job {
	struct flyte__job *next;
	const struct flyte__cmd *cmd; /* NULL: no handler for this command */
	char *command;
	char *input;
	size_t input_len;
	char *result_url;
	long attempt;        /* "attempt" of the take answer, 0 when absent */
	long heartbeat_ms;   /* heartbeat period; 0 = the take has no lease */
	char *heartbeat_url; /* the result link with /heartbeat for /result, NULL when none */
};

/*
 * The heartbeats of one running handler (heartbeat.c).  Owned by the
 * pack's lease list; the worker adds it before the handler runs and removes
 * it when the handler returns.  `lost` may be read without the lock.
 */
struct flyte__lease {
	struct flyte__lease *next, *prev;
	char *url;
	char *command;
	long attempt;
	long period_ms;
	int64_t due;     /* monotonic ms of the next heartbeat */
	unsigned fails;  /* heartbeats failed in a row */
	bool in_flight;  /* the heartbeat thread is posting it (lock released) */
	bool removed;    /* the handler ended while in flight: the heartbeat thread frees it */
	bool stopped;    /* refused for good (not a lost lease): no more heartbeats */
	atomic_bool lost;
};

struct flyte_pack {
	struct flyte_client *client;
	struct flyte_pack_options opts;
	char *name;
	char *id;
	struct flyte__cmd *cmds;
	size_t n_cmds;
	char *reg_head, *reg_tail; /* the registration JSON around its commands */
	char *reg_body;            /* the registration JSON (rebuilt when a command lease is set) */
	long lease_sec;            /* lease of commands that set none (s): > 0, or -1 = none */

	pthread_mutex_t mu; /* links and generation */
	char *events_url;
	char *take_url;
	unsigned long generation; /* number of successful registrations */
	pthread_mutex_t reg_mu;   /* one registration at a time */

	struct flyte__cancel stop_take; /* fired when a stop starts */

	pthread_mutex_t qmu; /* the job queue and worker bookkeeping */
	pthread_cond_t q_work, q_slot;
	struct flyte__job *qhead, *qtail;
	unsigned busy; /* jobs queued or running */
	unsigned workers_alive;
	bool draining; /* no more jobs will come: workers exit when idle */
	bool inline_jobs; /* pollers run the handlers themselves (pollers == concurrency) */
	bool loop_done;   /* the loop thread (and its pollers) finished */

	pthread_mutex_t life_mu; /* start and stop */
	bool started, stopped;
	pthread_t loop_thread;
	bool loop_started;
	pthread_t *workers;
	unsigned n_workers;

	int wake[2]; /* self-pipe for flyte_pack_request_stop() */
	atomic_bool stop_requested;

	pthread_mutex_t hb_mu; /* the lease list */
	pthread_cond_t hb_cond;
	struct flyte__lease *leases;
	pthread_t hb_thread;
	bool hb_started, hb_stop;

	atomic_ulong st_registrations, st_taken, st_posted, st_result_retries, st_dropped, st_events,
		st_take_errors, st_heartbeats, st_leases_lost;
	atomic_ulong st_stop_lost; /* dropped because the stop deadline passed (flyte_pack_stop's error) */
};

/* Sentinel for flyte__pack_register(): register even if someone just did. */
#define FLYTE__FORCE_REGISTER ((unsigned long)-1)

/*
 * Register until it works, max_attempts is reached (0 = no limit) or cancel
 * fires.  seen_gen: the generation the caller saw fail; if another thread
 * registered since, return at once.
 */
int flyte__pack_register(struct flyte_pack *p, struct flyte__cancel *cancel, unsigned max_attempts,
			 unsigned long seen_gen);
unsigned long flyte__pack_generation(struct flyte_pack *p);
/* Free a pack whose threads are gone (flyte_pack_free()). */
void flyte__pack_destroy(struct flyte_pack *p);
/* Copy of the take URL (caller frees), NULL if not registered. */
char *flyte__pack_take_url(struct flyte_pack *p);
/* Lease in seconds command c is registered with; 0 = none. */
long flyte__pack_command_lease(const struct flyte_pack *p, const struct flyte__cmd *c);

/* ----------------------------------------------------------- heartbeat.c */

/*
 * The heartbeat URL of a result link: its path ends in "/result" (a query
 * may follow), which becomes "/heartbeat".  NULL when the link has another
 * shape or on OOM.
 */
char *flyte__heartbeat_url(const char *result_url);
/* Start / stop the pack's heartbeat thread (stop after the handlers ended). */
int flyte__heartbeat_start(struct flyte_pack *p);
void flyte__heartbeat_stop(struct flyte_pack *p);
/* Begin heartbeats for job j, whose handler starts now; NULL when the take has no lease. */
struct flyte__lease *flyte__lease_begin(struct flyte_pack *p, const struct flyte__job *j);
/* End them (the handler returned); NULL is accepted. */
void flyte__lease_end(struct flyte_pack *p, struct flyte__lease *l);

#endif
